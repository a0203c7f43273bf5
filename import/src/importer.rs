//! The importer's options and results, and [`import_roster`]; activity files go through
//! [`crate::import_activity`] (the pipeline in `crate::pipeline`).

use std::fmt;
use std::path::Path;

use crate::error::{ImportError, RowError};
use crate::roster::{load_roster, RosterSummary};
use crate::sink::EventSink;

/// Tuning knobs of an activity import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// Collected rows gathered before they are handed to the store together (and the de-duplication
    /// cache may be trimmed).
    pub batch_rows: usize,
    /// How many rejected rows the summary lists (all are counted).
    pub max_listed_errors: usize,
    /// How many time partitions' signal-id sets the de-duplicator keeps between batches.
    pub dedup_partitions_cached: usize,
    /// Longest accepted row in bytes; longer rows are rejected and skipped.
    pub max_row_bytes: usize,
    /// Bytes of (decompressed) input per piece, the unit of parallel parsing.
    pub piece_bytes: usize,
    /// Parse worker threads; 0 means one per core (at most 8).
    pub parse_threads: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            batch_rows: 65_536,
            max_listed_errors: 20,
            dedup_partitions_cached: 64,
            max_row_bytes: crate::activity::DEFAULT_MAX_RECORD_BYTES,
            piece_bytes: crate::activity::DEFAULT_PIECE_BYTES,
            parse_threads: 0,
        }
    }
}

/// How far an import has got; reported after each piece of the file is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes of the file on disk consumed (compressed bytes for gzip).
    pub bytes_read: u64,
    /// Size of the file on disk.
    pub total_bytes: u64,
    /// Rows read so far.
    pub rows_read: u64,
}

/// What an activity import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Rows read (a header row is not counted).
    pub rows_read: u64,
    /// Student signals stored in `events`.
    pub events_stored: u64,
    /// Student rows whose SignalId was already seen (in this file, earlier files or imports).
    pub duplicates_dropped: u64,
    /// Teachers' rows, never stored in `events`.
    pub non_student_skipped: u64,
    /// Rows of actors that are neither students nor teachers.
    pub guests_skipped: u64,
    /// Assignments handed to the sink (from teachers' `Assigned` rows; the sink keeps the first per id).
    pub assignments_recorded: u64,
    /// Malformed rows rejected.
    pub rows_rejected: u64,
    /// The first `max_listed_errors` rejected rows.
    pub errors: Vec<RowError>,
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} rows read: {} events stored, {} duplicates dropped, {} teacher rows and {} guest rows skipped, \
             {} assignments recorded, {} rows rejected",
            self.rows_read,
            self.events_stored,
            self.duplicates_dropped,
            self.non_student_skipped,
            self.guests_skipped,
            self.assignments_recorded,
            self.rows_rejected
        )
    }
}

/// Detects the roster format of `dir`, loads it and replaces the sink's roster with it.
pub fn import_roster(sink: &dyn EventSink, dir: &Path) -> Result<RosterSummary, ImportError> {
    let (roster, summary) = load_roster(dir, ImportOptions::default().max_listed_errors)?;
    sink.replace_roster(roster)?;
    tracing::info!("{summary}");
    Ok(summary)
}
