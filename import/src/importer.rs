//! The streaming import driver: one thread reads and parses the activity file into batches, the
//! calling thread de-duplicates and appends them to the sink; memory stays bounded by the batch
//! size, the channel depth and the de-duplication cache, whatever the file size.

use std::fmt;
use std::path::Path;
use std::sync::atomic::Ordering;

use crossbeam::channel::{bounded, Sender};
use engine::roster::Assignment;
use engine::{col, BatchBuilder, EventBatch, ValueRef};

use crate::activity::{open_activity_file, ActivityRecord, FieldSplitter, Layout, RawRecord, RecordReader};
use crate::collect::{Actor, Collector};
use crate::dedup::SignalDedup;
use crate::error::{ErrorList, ImportError, RowError};
use crate::roster::{load_roster, RosterSummary};
use crate::sink::EventSink;

/// Tuning knobs of an activity import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// Collected rows per appended batch.
    pub batch_rows: usize,
    /// How many rejected rows the summary lists (all are counted).
    pub max_listed_errors: usize,
    /// How many time partitions' signal-id sets the de-duplicator keeps between batches.
    pub dedup_partitions_cached: usize,
    /// Longest accepted row in bytes; longer rows are rejected and skipped.
    pub max_row_bytes: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            batch_rows: 16_384,
            max_listed_errors: 20,
            dedup_partitions_cached: 64,
            max_row_bytes: crate::activity::reader::DEFAULT_MAX_RECORD_BYTES,
        }
    }
}

/// How far an import has got; reported after each stored batch.
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

/// Imports one activity file (headerless CSV, 32 or 19 columns, plain or gzip) under the collection
/// rules, against the sink's current roster. Malformed rows are rejected and counted; I/O and
/// storage failures stop the import (batches already appended stay stored).
pub fn import_activity(
    sink: &dyn EventSink,
    path: &Path,
    opts: &ImportOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImportSummary, ImportError> {
    let collector = Collector::new(sink.roster()?.as_ref());
    let input = open_activity_file(path)?;
    let total_bytes = input.total_bytes;
    let bytes_read = std::sync::Arc::clone(&input.bytes_read);
    let (tx, rx) = bounded::<Chunk>(4);
    let mut summary = ImportSummary::default();
    let mut dedup = SignalDedup::new(opts.dedup_partitions_cached);
    let (stored, parsed) = std::thread::scope(|scope| {
        let parser = scope.spawn(|| parse_file(input.reader, path, &collector, opts, tx));
        let mut stored = Ok(());
        for chunk in rx.iter() {
            if let Err(e) = store_chunk(sink, &mut dedup, chunk.batch, chunk.assignments, &mut summary) {
                stored = Err(e);
                break;
            }
            dedup.trim();
            progress(Progress {
                bytes_read: bytes_read.load(Ordering::Relaxed),
                total_bytes,
                rows_read: chunk.rows_read,
            });
        }
        drop(rx);
        let parsed = parser
            .join()
            .map_err(|_| ImportError::Internal("the parser thread panicked".into()));
        (stored, parsed)
    });
    stored?;
    let stats = parsed??;
    summary.rows_read = stats.rows_read;
    summary.non_student_skipped = stats.teachers;
    summary.guests_skipped = stats.guests;
    summary.rows_rejected = stats.errors.count;
    summary.errors = stats.errors.listed;
    progress(Progress {
        bytes_read: bytes_read.load(Ordering::Relaxed),
        total_bytes,
        rows_read: stats.rows_read,
    });
    tracing::info!("{}: {summary}", path.display());
    Ok(summary)
}

/// A batch of collected rows and the assignments seen with them.
struct Chunk {
    batch: EventBatch,
    assignments: Vec<Assignment>,
    rows_read: u64,
}

/// What the parser thread counted.
struct ParseStats {
    rows_read: u64,
    teachers: u64,
    guests: u64,
    errors: ErrorList,
}

/// Drops already-seen signals from `batch`, appends the rest and records the assignments.
fn store_chunk(
    sink: &dyn EventSink,
    dedup: &mut SignalDedup,
    batch: EventBatch,
    assignments: Vec<Assignment>,
    summary: &mut ImportSummary,
) -> Result<(), ImportError> {
    let ids = &batch.columns[col::SIGNAL_ID];
    let mut keep = Vec::with_capacity(batch.len());
    for (i, &time) in batch.times().iter().enumerate() {
        let ValueRef::Text(id) = ids.get(i) else {
            return Err(ImportError::Internal("signal_id column is not text".into()));
        };
        if dedup.accept(sink, time, id)? {
            keep.push(i);
        }
    }
    summary.duplicates_dropped += (batch.len() - keep.len()) as u64;
    summary.events_stored += keep.len() as u64;
    if keep.len() == batch.len() {
        if !batch.is_empty() {
            sink.append(batch)?;
        }
    } else if !keep.is_empty() {
        sink.append(batch.take(&keep))?;
    }
    if !assignments.is_empty() {
        summary.assignments_recorded += assignments.len() as u64;
        sink.add_assignments(assignments)?;
    }
    Ok(())
}

/// Reads, parses and classifies every row, sending batches of student rows down `tx`.
fn parse_file(
    reader: Box<dyn std::io::Read + Send>,
    path: &Path,
    collector: &Collector,
    opts: &ImportOptions,
    tx: Sender<Chunk>,
) -> Result<ParseStats, ImportError> {
    let mut records = RecordReader::new(reader, opts.max_row_bytes);
    let mut splitter = FieldSplitter::default();
    let mut stats = ParseStats {
        rows_read: 0,
        teachers: 0,
        guests: 0,
        errors: ErrorList::new(opts.max_listed_errors),
    };
    let mut builder = BatchBuilder::new();
    let mut assignments = Vec::new();
    let mut layout: Option<Layout> = None;
    let mut saw_any = false;
    while let Some((line, raw)) = records.next_record().map_err(|e| ImportError::io(path, e))? {
        let first = !saw_any;
        saw_any = true;
        let bytes = match raw {
            RawRecord::Complete(bytes) => bytes,
            RawRecord::TooLong { length } => {
                stats.rows_read += 1;
                let reason = format!(
                    "row is longer than {} bytes (at least {length}); skipped",
                    opts.max_row_bytes
                );
                stats.errors.push(RowError::new(path, line, reason));
                continue;
            }
        };
        let fields = match splitter.split(bytes) {
            Ok(f) => f,
            Err(reason) => {
                stats.rows_read += 1;
                stats.errors.push(RowError::new(path, line, reason));
                continue;
            }
        };
        if first && fields.get(0) == "SignalType" {
            continue; // a header row
        }
        stats.rows_read += 1;
        let row_layout = match (layout, Layout::from_field_count(fields.len())) {
            (Some(l), _) if l.field_count() == fields.len() => l,
            (None, Some(l)) => *layout.insert(l),
            (Some(l), _) => {
                let reason = format!(
                    "has {} fields; the rows of this file have {} ({})",
                    fields.len(),
                    l.field_count(),
                    l.name()
                );
                stats.errors.push(RowError::new(path, line, reason));
                continue;
            }
            (None, None) => {
                let reason = format!(
                    "has {} fields; expected 32 (schema 1.6) or 19 (legacy layout)",
                    fields.len()
                );
                stats.errors.push(RowError::new(path, line, reason));
                continue;
            }
        };
        let record = match ActivityRecord::parse(&fields, row_layout) {
            Ok(r) => r,
            Err(reason) => {
                stats.errors.push(RowError::new(path, line, reason));
                continue;
            }
        };
        match collector.actor(record.actor_id, record.actor_role) {
            Actor::Guest => stats.guests += 1,
            Actor::Teacher => {
                stats.teachers += 1;
                assignments.extend(Collector::assignment_of(&record));
            }
            Actor::Student => {
                let row = record.event_row(collector.school_of(record.class));
                builder
                    .push_row(&row)
                    .map_err(|e| ImportError::Internal(format!("line {line}: {e}")))?;
                if builder.len() >= opts.batch_rows {
                    let chunk = Chunk {
                        batch: builder.take_batch(),
                        assignments: std::mem::take(&mut assignments),
                        rows_read: stats.rows_read,
                    };
                    if tx.send(chunk).is_err() {
                        return Ok(stats); // the store side stopped; it reports why
                    }
                }
            }
        }
    }
    if !saw_any {
        return Err(ImportError::EmptyFile {
            path: path.to_path_buf(),
        });
    }
    if !builder.is_empty() || !assignments.is_empty() {
        let chunk = Chunk {
            batch: builder.take_batch(),
            assignments,
            rows_read: stats.rows_read,
        };
        let _ = tx.send(chunk); // a closed channel means the store side already failed and reports it
    }
    Ok(stats)
}
