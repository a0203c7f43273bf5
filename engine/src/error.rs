//! The storage engine's error type. Corruption always names the file and byte offset.

use std::path::PathBuf;

/// Everything that can go wrong in the storage engine.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// An operating-system I/O error, with what the engine was doing.
    #[error("{context}: {source}")]
    Io {
        /// What the engine was doing, e.g. "opening WAL file /data/wal/000001.wal".
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Bytes on disk do not match what was written (checksum, magic, impossible length, ...).
    #[error("data corruption in {}: at byte {offset}: {detail}", file.display())]
    Corruption {
        /// The file that is damaged.
        file: PathBuf,
        /// Byte offset of the damaged record or block.
        offset: u64,
        /// What exactly did not check out.
        detail: String,
    },
    /// The sled catalog failed.
    #[error("catalog error while {context}: {detail}")]
    Catalog {
        /// What the engine was doing.
        context: String,
        /// The catalog's own message.
        detail: String,
    },
    /// The caller passed something the engine cannot store (wrong column count, type mismatch, ...).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The database was closed, or its WAL stopped accepting appends after an earlier failure.
    #[error("database is closed: {0}")]
    Closed(String),
    /// A broken internal invariant: a bug in engagedb, never caused by user input.
    #[error("internal error: {0}")]
    Internal(String),
}

impl StorageError {
    /// Wraps an `io::Error` with context.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> StorageError {
        StorageError::Io {
            context: context.into(),
            source,
        }
    }

    /// Builds a [`StorageError::Corruption`].
    pub fn corruption(file: impl Into<PathBuf>, offset: u64, detail: impl Into<String>) -> StorageError {
        StorageError::Corruption {
            file: file.into(),
            offset,
            detail: detail.into(),
        }
    }
}

/// Result alias used throughout the engine.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;
