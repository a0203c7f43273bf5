//! [`MmapDirectory`]: a directory on the local file system whose files are read through `mmap`.

use super::{check_name, temp_name, Directory, FileBytes};
use crate::error::{Result, StorageError};
use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

/// Files in one file-system directory. Writes go to a hidden temporary file that is fsynced, renamed
/// over the target and followed by an fsync of the directory, so a crash never exposes a partial file.
#[derive(Debug, Clone)]
pub struct MmapDirectory {
    root: PathBuf,
}

impl MmapDirectory {
    /// Opens (creating if needed) the directory at `root`.
    pub fn open(root: impl Into<PathBuf>) -> Result<MmapDirectory> {
        let root = root.into();
        fs::create_dir_all(&root).map_err(|e| StorageError::io(format!("creating directory {}", root.display()), e))?;
        Ok(MmapDirectory { root })
    }

    /// The file-system path of this directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file-system path of file `name` (not checked for existence).
    pub fn path_of(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    fn sync_dir(&self) -> Result<()> {
        let dir = File::open(&self.root)
            .map_err(|e| StorageError::io(format!("opening directory {} for fsync", self.root.display()), e))?;
        dir.sync_all()
            .map_err(|e| StorageError::io(format!("fsync of directory {}", self.root.display()), e))
    }

    fn write_temp(&self, tmp: &Path, bytes: &[u8]) -> Result<()> {
        let ctx = |what: &str| format!("{what} {}", tmp.display());
        let mut f = File::create(tmp).map_err(|e| StorageError::io(ctx("creating"), e))?;
        f.write_all(bytes).map_err(|e| StorageError::io(ctx("writing"), e))?;
        f.sync_all().map_err(|e| StorageError::io(ctx("fsync of"), e))
    }
}

impl Directory for MmapDirectory {
    fn atomic_write(&self, name: &str, bytes: &[u8]) -> Result<()> {
        check_name(name)?;
        let tmp = self.root.join(temp_name(name));
        let target = self.root.join(name);
        if let Err(e) = self.write_temp(&tmp, bytes) {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        if let Err(e) = fs::rename(&tmp, &target) {
            let _ = fs::remove_file(&tmp);
            return Err(StorageError::io(
                format!("renaming {} to {}", tmp.display(), target.display()),
                e,
            ));
        }
        self.sync_dir()
    }

    fn open_read(&self, name: &str) -> Result<FileBytes> {
        check_name(name)?;
        let path = self.root.join(name);
        let file = File::open(&path).map_err(|e| StorageError::io(format!("opening {}", path.display()), e))?;
        let len = file
            .metadata()
            .map_err(|e| StorageError::io(format!("stat of {}", path.display()), e))?
            .len();
        if len == 0 {
            // Mapping an empty file fails on some platforms; an empty heap buffer is equivalent.
            return Ok(FileBytes::from_vec(Vec::new()));
        }
        // SAFETY: files in a Directory are write-once: they are created under a temporary name and
        // renamed into place complete, and never modified afterwards (only deleted, which on Unix keeps
        // an existing mapping valid). So the mapped bytes cannot change underneath us.
        let map = unsafe { memmap2::Mmap::map(&file) }
            .map_err(|e| StorageError::io(format!("memory-mapping {}", path.display()), e))?;
        Ok(FileBytes::from_mmap(map))
    }

    fn delete(&self, name: &str) -> Result<()> {
        check_name(name)?;
        let path = self.root.join(name);
        fs::remove_file(&path).map_err(|e| StorageError::io(format!("deleting {}", path.display()), e))?;
        self.sync_dir()
    }

    fn list(&self) -> Result<Vec<String>> {
        let ctx = || format!("listing directory {}", self.root.display());
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.root).map_err(|e| StorageError::io(ctx(), e))? {
            let entry = entry.map_err(|e| StorageError::io(ctx(), e))?;
            let is_file = entry.file_type().map_err(|e| StorageError::io(ctx(), e))?.is_file();
            if let (true, Some(name)) = (is_file, entry.file_name().to_str()) {
                if !name.starts_with('.') {
                    names.push(name.to_string());
                }
            }
        }
        names.sort();
        Ok(names)
    }

    fn exists(&self, name: &str) -> bool {
        check_name(name).is_ok()
            && fs::metadata(self.root.join(name))
                .map(|m| m.is_file())
                .unwrap_or_else(|e| e.kind() != ErrorKind::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_read_list_delete() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = MmapDirectory::open(tmp.path().join("segments")).unwrap();
        assert!(dir.list().unwrap().is_empty());
        dir.atomic_write("b.seg", b"hello").unwrap();
        dir.atomic_write("a.seg", b"").unwrap();
        assert_eq!(dir.list().unwrap(), vec!["a.seg".to_string(), "b.seg".to_string()]);
        assert_eq!(&*dir.open_read("b.seg").unwrap(), b"hello");
        assert_eq!(&*dir.open_read("a.seg").unwrap(), b"");
        assert!(dir.exists("b.seg"));

        let held = dir.open_read("b.seg").unwrap();
        dir.atomic_write("b.seg", b"replaced").unwrap();
        assert_eq!(&*dir.open_read("b.seg").unwrap(), b"replaced");
        dir.delete("b.seg").unwrap();
        assert_eq!(&*held, b"hello", "bytes handed out survive replacement and deletion");
        assert!(!dir.exists("b.seg"));
        assert_eq!(dir.list().unwrap(), vec!["a.seg".to_string()]);
        let err = dir.open_read("b.seg").unwrap_err();
        assert!(matches!(&err, StorageError::Io { source, .. } if source.kind() == ErrorKind::NotFound));
        assert!(dir.delete("b.seg").is_err());
    }

    #[test]
    fn leftover_temp_files_are_not_listed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = MmapDirectory::open(tmp.path()).unwrap();
        std::fs::write(tmp.path().join(temp_name("x.seg")), b"partial").unwrap();
        assert!(dir.list().unwrap().is_empty());
        assert!(!dir.exists("x.seg"));
        assert!(dir.atomic_write("../escape", b"x").is_err());
    }
}
