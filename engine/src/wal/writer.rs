//! The WAL's log writer: writes a group of records (see `commit`) and makes them durable with one fsync,
//! rolls files (into recycled spare files when there are some), and poisons the WAL after the first
//! failed write or fsync.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::record::{self, FILE_HEADER_LEN, FILE_MAGIC, RECORD_HEADER_LEN};
use crate::error::{Result, StorageError};

/// State the log writer shares with the rest of the `Wal`.
#[derive(Debug, Default)]
pub(super) struct Shared {
    /// Sequence number of the last durable (acknowledged) record.
    pub last_seq: AtomicU64,
    /// First sequence numbers of the WAL files on disk, ascending; the last one is being appended to.
    pub files: Mutex<Vec<u64>>,
    /// Set to the first write/fsync failure; from then on every append fails.
    pub poisoned: Mutex<Option<String>>,
    /// Spare files: flushed WAL files kept to be written over by the next files (see `LogWriter::roll`);
    /// the writer takes the last one.
    pub spares: Mutex<Vec<PathBuf>>,
}

impl Shared {
    /// The file list, even if a thread panicked while holding the lock (the list itself stays consistent).
    pub fn files(&self) -> MutexGuard<'_, Vec<u64>> {
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Why the WAL stopped accepting appends, if it did.
    pub fn poison_reason(&self) -> Option<String> {
        self.poisoned.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The spare-file list, even if a thread panicked while holding the lock.
    pub fn spares(&self) -> MutexGuard<'_, Vec<PathBuf>> {
        self.spares.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn poison(&self, reason: String) {
        self.poisoned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert(reason);
    }
}

/// Settings the writer needs (a subset of `WalOptions`).
#[derive(Debug, Clone)]
pub(super) struct WriterConfig {
    /// The WAL directory.
    pub dir: PathBuf,
    /// Roll to a new file before a record would make the current one larger than this.
    pub max_file_bytes: u64,
    /// Whether to fsync; `false` only for tests and benchmarks that say so.
    pub sync: bool,
}

/// Owns the file being appended to; used by one group's leader at a time.
pub(super) struct LogWriter {
    config: WriterConfig,
    file: File,
    file_first_seq: u64,
    /// Bytes of the current file holding the header and records; the next record is written here.
    file_len: u64,
    /// The current file's size on disk: more than `file_len` while a recycled file's old bytes remain
    /// past the records written so far.
    file_size: u64,
    next_seq: u64,
    shared: Arc<Shared>,
}

impl LogWriter {
    /// Opens the log for appending after recovery: continues the last file (`last_file_len` bytes long, already
    /// free of any torn tail) or, if there is none, creates one starting at `last_seq + 1`.
    pub fn open(config: WriterConfig, last_seq: u64, last_file_len: u64, shared: Arc<Shared>) -> Result<LogWriter> {
        let next_seq = last_seq + 1;
        let last_file = shared.files().last().copied();
        let (file, file_first_seq, file_len) = match last_file {
            Some(first_seq) => {
                let path = record::file_path(&config.dir, first_seq);
                let context = || format!("opening WAL file {} for append", path.display());
                let mut file = OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(|e| StorageError::io(context(), e))?;
                file.seek(SeekFrom::Start(last_file_len))
                    .map_err(|e| StorageError::io(context(), e))?;
                (file, first_seq, last_file_len)
            }
            None => {
                let file = create_file(&config.dir, next_seq, config.sync)?;
                shared.files().push(next_seq);
                (file, next_seq, FILE_HEADER_LEN)
            }
        };
        shared.last_seq.store(last_seq, Ordering::Release);
        Ok(LogWriter {
            config,
            file,
            file_first_seq,
            file_len,
            file_size: file_len,
            next_seq,
            shared,
        })
    }

    /// Cuts the last file after its last record (see [`LogWriter::trim_current`]) when the WAL closes, so
    /// that the next open finds a clean end.
    pub fn close(&mut self) {
        if let Err(failure) = self.trim_current() {
            tracing::warn!(error = %failure, "could not cut the last WAL file at its last record; the next open will");
        }
    }

    /// Writes every payload of `group` as one record, in order, rolling files as needed, and makes them
    /// durable with one fsync (plus one per rolled file). Returns the sequence number given to the first.
    pub fn commit<'p>(&mut self, group: impl Iterator<Item = &'p [u8]>) -> Result<u64, WriteFailure> {
        let first_seq = self.next_seq;
        for payload in group {
            let record_len = (RECORD_HEADER_LEN + payload.len()) as u64;
            let file_has_records = self.next_seq > self.file_first_seq;
            if file_has_records && self.file_len + record_len > self.config.max_file_bytes {
                self.roll()?;
            }
            let header = record::encode_header(self.next_seq, payload);
            let written = self.file.write_all(&header).and_then(|()| self.file.write_all(payload));
            if let Err(e) = written {
                let context = format!(
                    "writing record {} to WAL file {}",
                    self.next_seq,
                    self.current_path().display()
                );
                return Err(WriteFailure::new(context, e));
            }
            self.file_len += record_len;
            self.file_size = self.file_size.max(self.file_len);
            self.next_seq += 1;
        }
        self.sync_current()?;
        self.shared.last_seq.store(self.next_seq - 1, Ordering::Release);
        Ok(first_seq)
    }

    /// Makes the current file durable, cuts it at its last record, and starts the next file at `next_seq`:
    /// a spare file renamed and written over from its start if there is one, else a new file.
    ///
    /// Writing over a spare's bytes leaves the file's size and block map as they are, so each group's
    /// `fdatasync` flushes only data; appending to a new file also has to journal its growth, which costs
    /// about twice as long per fsync. The spare's old records all have lower sequence numbers than the
    /// new file's first, so recovery takes the first one it meets as the end of the log.
    fn roll(&mut self) -> Result<(), WriteFailure> {
        self.sync_current()?;
        self.trim_current()?;
        let spare = self.shared.spares().pop();
        let (file, size) = match spare.map(|spare| self.reuse_spare(&spare)) {
            Some(Ok(reused)) => reused,
            failed_or_none => {
                if let Some(Err(e)) = failed_or_none {
                    tracing::warn!(error = %e, "could not reuse a spare WAL file; creating a new one");
                }
                let file = create_file(&self.config.dir, self.next_seq, self.config.sync)
                    .map_err(|e| WriteFailure::from_storage(e, "creating the next WAL file"))?;
                (file, FILE_HEADER_LEN)
            }
        };
        self.file = file;
        self.file_first_seq = self.next_seq;
        self.file_len = FILE_HEADER_LEN;
        self.file_size = size;
        self.shared.files().push(self.next_seq);
        Ok(())
    }

    /// Renames the spare file `spare` to the WAL file starting at `next_seq`, writes the file header over
    /// its first bytes and, with `sync`, makes the new name durable before any record in it is
    /// acknowledged. Returns the file, positioned after the header, and its size.
    fn reuse_spare(&self, spare: &Path) -> Result<(File, u64)> {
        let path = record::file_path(&self.config.dir, self.next_seq);
        let context = || format!("reusing spare WAL file {} as {}", spare.display(), path.display());
        fs::rename(spare, &path).map_err(|e| StorageError::io(context(), e))?;
        let mut file = OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(|e| StorageError::io(context(), e))?;
        let size = file.metadata().map_err(|e| StorageError::io(context(), e))?.len();
        write_file_header(&mut file).map_err(|e| StorageError::io(context(), e))?;
        if self.config.sync {
            sync_dir(&self.config.dir).map_err(|e| StorageError::io(context(), e))?;
        }
        Ok((file, size.max(FILE_HEADER_LEN)))
    }

    /// Cuts the current file after its last record if a recycled file's old bytes follow it, durably
    /// (the size is metadata), so that a file the writer has left holds records only.
    fn trim_current(&mut self) -> Result<(), WriteFailure> {
        if self.file_size <= self.file_len {
            return Ok(());
        }
        let path = self.current_path();
        let cut = self.file.set_len(self.file_len).and_then(|()| match self.config.sync {
            true => self.file.sync_all(),
            false => Ok(()),
        });
        cut.map_err(|e| WriteFailure::new(format!("cutting WAL file {} after its last record", path.display()), e))?;
        self.file_size = self.file_len;
        Ok(())
    }

    fn sync_current(&mut self) -> Result<(), WriteFailure> {
        if self.config.sync {
            let path = self.current_path();
            self.file
                .sync_data()
                .map_err(|e| WriteFailure::new(format!("fsync of WAL file {}", path.display()), e))?;
        }
        Ok(())
    }

    fn current_path(&self) -> PathBuf {
        record::file_path(&self.config.dir, self.file_first_seq)
    }
}

/// A failed write or fsync: what was being done and the OS error.
#[derive(Debug)]
pub(super) struct WriteFailure {
    /// What was being done.
    pub context: String,
    /// The OS error.
    pub source: io::Error,
}

impl WriteFailure {
    fn new(context: String, source: io::Error) -> WriteFailure {
        WriteFailure { context, source }
    }

    fn from_storage(error: StorageError, context: &str) -> WriteFailure {
        match error {
            StorageError::Io { context, source } => WriteFailure { context, source },
            other => WriteFailure {
                context: context.to_string(),
                source: io::Error::other(other.to_string()),
            },
        }
    }
}

impl std::fmt::Display for WriteFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.context, self.source)
    }
}

/// The error every append gets once the WAL is poisoned.
pub(super) fn closed(reason: &str) -> StorageError {
    StorageError::Closed(format!(
        "the WAL stopped accepting appends after an earlier failure: {reason}"
    ))
}

/// Creates the WAL file for `first_seq` (it must not exist yet), writes its header and, with `sync`, makes
/// both the file and its directory entry durable.
pub(super) fn create_file(dir: &Path, first_seq: u64, sync: bool) -> Result<File> {
    let path = record::file_path(dir, first_seq);
    let context = || format!("creating WAL file {}", path.display());
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| StorageError::io(context(), e))?;
    write_file_header(&mut file).map_err(|e| StorageError::io(context(), e))?;
    if sync {
        file.sync_all().map_err(|e| StorageError::io(context(), e))?;
        sync_dir(dir).map_err(|e| StorageError::io(context(), e))?;
    }
    Ok(file)
}

/// Makes a version-1 last file (all of whose records are flushed) stop being the file appended to: an empty
/// one is deleted, otherwise a new file starting at `last_seq + 1` is created after it. The old file is then
/// deleted by `Wal::remove_through` like any other once it is no longer the last.
pub(super) fn retire_legacy_last_file(dir: &Path, last_seq: u64, shared: &Shared, sync: bool) -> Result<()> {
    let mut files = shared.files();
    let Some(&first_seq) = files.last() else { return Ok(()) };
    if first_seq > last_seq {
        let path = record::file_path(dir, first_seq);
        std::fs::remove_file(&path)
            .map_err(|e| StorageError::io(format!("removing empty version-1 WAL file {}", path.display()), e))?;
        files.pop();
    }
    drop(create_file(dir, last_seq + 1, sync)?);
    files.push(last_seq + 1);
    Ok(())
}

/// Writes the file magic at the current position of an empty WAL file.
pub(super) fn write_file_header(file: &mut File) -> io::Result<()> {
    file.write_all(FILE_MAGIC)
}

/// Makes creations and deletions of files in `dir` durable.
pub(super) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}
