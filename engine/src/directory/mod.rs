//! The write-once, read-many file store that segments live in, modelled on tantivy's `Directory`.
//!
//! Contract every implementation keeps:
//! - [`Directory::atomic_write`] never exposes a partial file: after a crash or an error, `name` either
//!   does not exist, holds its previous complete contents, or holds the complete new contents.
//! - Files are never modified in place; they are written once and later deleted.
//! - [`FileBytes`] returned by [`Directory::open_read`] stay valid (and unchanged) even if the file is
//!   deleted afterwards.

mod memory;
mod mmap;

pub use memory::MemoryDirectory;
pub use mmap::MmapDirectory;

use crate::error::{Result, StorageError};
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A store of named, immutable files. Names are plain file names (no path separators, no leading `.`).
pub trait Directory: Send + Sync + fmt::Debug {
    /// Writes `bytes` as file `name`, replacing any previous file of that name, such that readers and
    /// crash recovery see either the old complete file or the new complete file, never a prefix.
    /// Durable when this returns `Ok`.
    fn atomic_write(&self, name: &str, bytes: &[u8]) -> Result<()>;

    /// The complete contents of `name`; an `Io` error (kind `NotFound`) if it does not exist.
    fn open_read(&self, name: &str) -> Result<FileBytes>;

    /// Removes `name`. Deleting a file that does not exist is an `Io` error of kind `NotFound`.
    /// Bytes already handed out by [`Directory::open_read`] remain readable.
    fn delete(&self, name: &str) -> Result<()>;

    /// Names of all complete files, sorted ascending (temporary files of in-flight writes are excluded).
    fn list(&self) -> Result<Vec<String>>;

    /// Whether a complete file called `name` exists.
    fn exists(&self, name: &str) -> bool;
}

/// Read-only bytes of one file: memory-mapped or on the heap. Cheap to clone; derefs to `[u8]`.
#[derive(Clone)]
pub struct FileBytes(Backing);

#[derive(Clone)]
enum Backing {
    Mmap(Arc<memmap2::Mmap>),
    Heap(Arc<Vec<u8>>),
}

impl FileBytes {
    /// Bytes held on the heap (used for in-memory segments and [`MemoryDirectory`]).
    pub fn from_vec(bytes: Vec<u8>) -> FileBytes {
        FileBytes(Backing::Heap(Arc::new(bytes)))
    }

    pub(crate) fn from_arc(bytes: Arc<Vec<u8>>) -> FileBytes {
        FileBytes(Backing::Heap(bytes))
    }

    pub(crate) fn from_mmap(map: memmap2::Mmap) -> FileBytes {
        FileBytes(Backing::Mmap(Arc::new(map)))
    }
}

impl Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match &self.0 {
            Backing::Mmap(m) => m,
            Backing::Heap(v) => v,
        }
    }
}

impl fmt::Debug for FileBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.0 {
            Backing::Mmap(_) => "mmap",
            Backing::Heap(_) => "heap",
        };
        write!(f, "FileBytes({kind}, {} bytes)", self.len())
    }
}

/// Rejects names that could escape the directory or collide with temporary files.
pub(crate) fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\\', '\0']);
    if ok {
        Ok(())
    } else {
        Err(StorageError::InvalidInput(format!(
            "invalid directory file name {name:?}: must be a plain file name not starting with '.'"
        )))
    }
}

/// The temporary name `atomic_write` writes to before renaming; hidden from [`Directory::list`].
pub(crate) fn temp_name(name: &str) -> String {
    format!(".{name}.tmp")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_escape_or_hide_are_rejected() {
        for bad in ["", ".x", "../x", "a/b", "a\\b"] {
            assert!(matches!(check_name(bad), Err(StorageError::InvalidInput(_))), "{bad:?}");
        }
        check_name("0000000000000001.seg").unwrap();
    }
}
