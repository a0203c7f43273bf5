//! The importer's error types: whole-import failures ([`ImportError`]) and rejected rows ([`RowError`]).

use std::fmt;
use std::path::{Path, PathBuf};

/// One input row that was rejected or skipped, with where it was and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The file the row came from.
    pub file: PathBuf,
    /// 1-based physical line number where the row starts.
    pub line: u64,
    /// Why the row was not imported, e.g. `bad StartTime "53:51.0": expected YYYY-MM-DD HH:MM:SS[.fffffff]`.
    pub reason: String,
}

impl RowError {
    /// Builds a row error.
    pub fn new(file: &Path, line: u64, reason: impl Into<String>) -> RowError {
        RowError {
            file: file.to_path_buf(),
            line,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: line {}: {}", self.file.display(), self.line, self.reason)
    }
}

/// Failures that stop an import (as opposed to [`RowError`]s, which skip one row and go on).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Reading an input file failed.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file or folder being read.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The input file holds no rows at all.
    #[error("{}: the file is empty (no activity rows)", path.display())]
    EmptyFile {
        /// The empty file.
        path: PathBuf,
    },
    /// A roster folder matches none of the supported formats.
    #[error("{}: not a roster folder: {detail}", path.display())]
    UnknownRosterFormat {
        /// The folder.
        path: PathBuf,
        /// What was found and what each format needs.
        detail: String,
    },
    /// A roster table is unusable as a whole (missing file, missing column, ...).
    #[error("{}: {detail}", path.display())]
    Roster {
        /// The roster file or folder.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The store refused or failed an operation.
    #[error("storage: {0}")]
    Storage(#[from] engine::StorageError),
    /// A broken internal invariant (a bug in the importer, never caused by input).
    #[error("internal error: {0}")]
    Internal(String),
}

impl ImportError {
    /// Wraps an `io::Error` with the path being read.
    pub fn io(path: &Path, source: std::io::Error) -> ImportError {
        ImportError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A count of rejected rows plus the first few of them, for summaries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorList {
    /// Total number of rows rejected.
    pub count: u64,
    /// The first `limit` errors.
    pub listed: Vec<RowError>,
    limit: usize,
}

impl ErrorList {
    /// An empty list that keeps the first `limit` errors.
    pub fn new(limit: usize) -> ErrorList {
        ErrorList {
            count: 0,
            listed: Vec::new(),
            limit,
        }
    }

    /// Counts one rejected row, keeping it if fewer than `limit` are kept.
    pub fn push(&mut self, error: RowError) {
        self.count += 1;
        tracing::debug!("{error}");
        if self.listed.len() < self.limit {
            self.listed.push(error);
        }
    }
}
