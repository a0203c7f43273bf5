//! [`MemoryDirectory`]: an in-RAM directory for tests that can inject storage faults.

use super::{check_name, Directory, FileBytes};
use crate::error::{Result, StorageError};
use std::collections::BTreeMap;
use std::io::{Error as IoError, ErrorKind};
use std::sync::{Arc, Mutex, MutexGuard};

/// Files held in memory. Keeps the [`Directory`] contract and can be told to fail the next write,
/// to fail a write half-way (the file is then not exposed), or to corrupt a stored file.
#[derive(Debug, Default)]
pub struct MemoryDirectory {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    files: BTreeMap<String, Arc<Vec<u8>>>,
    next_write: Option<WriteFault>,
    partial_writes: usize,
}

#[derive(Debug, Clone, Copy)]
enum WriteFault {
    Fail,
    Short,
}

impl MemoryDirectory {
    /// An empty directory.
    pub fn new() -> MemoryDirectory {
        MemoryDirectory::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave `State` half-updated (every update is one insert).
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next `atomic_write` fails with an I/O error before writing anything.
    pub fn fail_next_write(&self) {
        self.state().next_write = Some(WriteFault::Fail);
    }

    /// The next `atomic_write` writes only half of its bytes to the temporary file and then fails
    /// (like a full disk): the target name keeps its previous contents or stays absent.
    pub fn short_next_write(&self) {
        self.state().next_write = Some(WriteFault::Short);
    }

    /// How many writes were abandoned half-way by [`MemoryDirectory::short_next_write`].
    pub fn partial_writes(&self) -> usize {
        self.state().partial_writes
    }

    /// Flips bit `bit % 8` of byte `offset` of the stored file `name` (bytes already opened are unaffected).
    pub fn flip_bit(&self, name: &str, offset: usize, bit: u8) -> Result<()> {
        self.modify(name, |bytes| match bytes.get_mut(offset) {
            Some(b) => {
                *b ^= 1 << (bit % 8);
                Ok(())
            }
            None => Err(StorageError::InvalidInput(format!(
                "offset {offset} is past the end of {name}"
            ))),
        })
    }

    /// Cuts the stored file `name` to its first `len` bytes (simulates a torn file from another writer).
    pub fn truncate(&self, name: &str, len: usize) -> Result<()> {
        self.modify(name, |bytes| {
            bytes.truncate(len);
            Ok(())
        })
    }

    fn modify(&self, name: &str, f: impl FnOnce(&mut Vec<u8>) -> Result<()>) -> Result<()> {
        let mut state = self.state();
        let file = state.files.get_mut(name).ok_or_else(|| not_found(name))?;
        let mut bytes = file.as_ref().clone();
        f(&mut bytes)?;
        *file = Arc::new(bytes);
        Ok(())
    }
}

fn not_found(name: &str) -> StorageError {
    StorageError::io(
        format!("opening {name} in memory directory"),
        IoError::from(ErrorKind::NotFound),
    )
}

impl Directory for MemoryDirectory {
    fn atomic_write(&self, name: &str, bytes: &[u8]) -> Result<()> {
        check_name(name)?;
        let mut state = self.state();
        match state.next_write.take() {
            Some(WriteFault::Fail) => {
                let e = IoError::other("injected write failure");
                Err(StorageError::io(format!("writing {name} in memory directory"), e))
            }
            Some(WriteFault::Short) => {
                state.partial_writes += 1;
                let e = IoError::new(
                    ErrorKind::WriteZero,
                    format!("injected short write: {} of {} bytes", bytes.len() / 2, bytes.len()),
                );
                Err(StorageError::io(format!("writing {name} in memory directory"), e))
            }
            None => {
                state.files.insert(name.to_string(), Arc::new(bytes.to_vec()));
                Ok(())
            }
        }
    }

    fn open_read(&self, name: &str) -> Result<FileBytes> {
        check_name(name)?;
        let state = self.state();
        state
            .files
            .get(name)
            .map(|b| FileBytes::from_arc(Arc::clone(b)))
            .ok_or_else(|| not_found(name))
    }

    fn delete(&self, name: &str) -> Result<()> {
        check_name(name)?;
        self.state()
            .files
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| not_found(name))
    }

    fn list(&self) -> Result<Vec<String>> {
        Ok(self.state().files.keys().cloned().collect())
    }

    fn exists(&self, name: &str) -> bool {
        self.state().files.contains_key(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_and_short_writes_never_expose_a_file() {
        let dir = MemoryDirectory::new();
        dir.fail_next_write();
        assert!(matches!(dir.atomic_write("a", b"new"), Err(StorageError::Io { .. })));
        assert!(!dir.exists("a"));
        dir.atomic_write("a", b"old").unwrap();
        dir.short_next_write();
        assert!(dir.atomic_write("a", b"new contents").is_err());
        assert_eq!(dir.partial_writes(), 1);
        assert_eq!(&*dir.open_read("a").unwrap(), b"old", "previous version intact");
        dir.atomic_write("a", b"new").unwrap();
        assert_eq!(&*dir.open_read("a").unwrap(), b"new", "faults are one-shot");
    }

    #[test]
    fn bit_flips_and_truncation_change_only_later_reads() {
        let dir = MemoryDirectory::new();
        dir.atomic_write("f", &[0u8, 0, 0]).unwrap();
        let before = dir.open_read("f").unwrap();
        dir.flip_bit("f", 1, 3).unwrap();
        assert_eq!(&*dir.open_read("f").unwrap(), &[0u8, 8, 0]);
        assert_eq!(&*before, &[0u8, 0, 0]);
        dir.truncate("f", 1).unwrap();
        assert_eq!(dir.open_read("f").unwrap().len(), 1);
        assert!(dir.flip_bit("f", 5, 0).is_err());
        assert!(dir.flip_bit("missing", 0, 0).is_err());
        dir.delete("f").unwrap();
        assert!(dir.list().unwrap().is_empty());
    }
}
