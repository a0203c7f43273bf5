//! The store stage: takes parsed pieces back in file order, numbers their lines, drops signals
//! already seen (first wins in file order), and loads the rest into the sink ([`EventSink::load_all`]:
//! the file can be imported again, so the store need not log them), ~64k rows of pieces at a time (the
//! caller makes them durable at the end). It runs on the calling thread, so the sink need not be shared
//! between threads.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam::channel::{Receiver, Sender};
use engine::roster::Assignment;
use engine::{col, ColumnData, EventBatch};

use super::parse::ParsedPiece;
use crate::dedup::SignalDedup;
use crate::error::{ErrorList, ImportError, RowError};
use crate::importer::{ImportOptions, ImportSummary, Progress};
use crate::signal_key::SignalKey;
use crate::sink::EventSink;

/// Assignments are handed to the sink in groups of about this many (and at the end).
const ASSIGNMENT_GROUP: usize = 16_384;

/// A piece as the store stage receives it, tagged with its position in the file.
pub enum Done {
    /// A parsed piece of records.
    Parsed(u64, Box<ParsedPiece>),
    /// A record longer than the limit that the reader skipped; carries its buffer back.
    TooLong {
        /// Position in the file.
        seq: u64,
        /// Bytes skipped.
        length: u64,
        /// Newlines skipped.
        newlines: u64,
        /// The (empty) buffer, for reuse.
        buffer: Vec<u8>,
    },
}

impl Done {
    fn seq(&self) -> u64 {
        match self {
            Done::Parsed(seq, _) => *seq,
            Done::TooLong { seq, .. } => *seq,
        }
    }
}

/// The store stage's state while an import runs.
pub struct Store<'a> {
    sink: &'a dyn EventSink,
    path: &'a Path,
    opts: &'a ImportOptions,
    dedup: SignalDedup,
    /// Accepted rows not loaded yet, one batch per piece (handed to the sink together, uncopied).
    pending: Vec<EventBatch>,
    /// Rows in `pending`.
    pending_rows: usize,
    assignments: Vec<Assignment>,
    summary: ImportSummary,
    errors: ErrorList,
    /// Line number of the first line of the next piece.
    next_line: u64,
    /// Non-blank records seen (an empty file has none).
    records: u64,
}

impl<'a> Store<'a> {
    /// A store stage writing into `sink`.
    pub fn new(sink: &'a dyn EventSink, path: &'a Path, opts: &'a ImportOptions) -> Store<'a> {
        Store {
            sink,
            path,
            opts,
            dedup: SignalDedup::new(opts.dedup_partitions_cached),
            pending: Vec::new(),
            pending_rows: 0,
            assignments: Vec::new(),
            summary: ImportSummary::default(),
            errors: ErrorList::new(opts.max_listed_errors),
            next_line: 1,
            records: 0,
        }
    }

    /// Receives pieces until every sender is gone, handles them in file order and returns each
    /// buffer to `free` for reuse. Reports progress after each piece.
    pub fn run(
        &mut self,
        done: Receiver<Done>,
        free: Sender<Vec<u8>>,
        bytes_read: &AtomicU64,
        total_bytes: u64,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), ImportError> {
        let mut waiting: BTreeMap<u64, Done> = BTreeMap::new();
        let mut next = 0u64;
        for piece in done.iter() {
            waiting.insert(piece.seq(), piece);
            while let Some(piece) = waiting.remove(&next) {
                next += 1;
                let buffer = self.handle(piece)?;
                let _ = free.send(buffer); // the reader may have stopped already
                progress(Progress {
                    bytes_read: bytes_read.load(Ordering::Relaxed),
                    total_bytes,
                    rows_read: self.summary.rows_read,
                });
            }
        }
        if !waiting.is_empty() {
            return Err(ImportError::Internal(format!(
                "piece {next} of the file never came back from the parser"
            )));
        }
        self.load_pending()?;
        self.record_assignments()
    }

    /// Handles one piece in file order; returns its buffer.
    fn handle(&mut self, piece: Done) -> Result<Vec<u8>, ImportError> {
        match piece {
            Done::TooLong {
                length,
                newlines,
                buffer,
                ..
            } => {
                self.records += 1;
                self.summary.rows_read += 1;
                let reason = format!(
                    "row is longer than {} bytes (at least {length}); skipped",
                    self.opts.max_row_bytes
                );
                self.errors.push(RowError::new(self.path, self.next_line, reason));
                self.next_line += newlines;
                Ok(buffer)
            }
            Done::Parsed(_, parsed) => {
                let ParsedPiece {
                    events,
                    guid_ids,
                    text_ids,
                    assignments,
                    records,
                    rows_read,
                    teachers,
                    guests,
                    rejected,
                    errors,
                    newlines,
                    buffer,
                } = *parsed;
                self.records += records;
                self.summary.rows_read += rows_read;
                self.summary.non_student_skipped += teachers;
                self.summary.guests_skipped += guests;
                let listed = errors.len() as u64;
                for (line, reason) in errors {
                    self.errors
                        .push(RowError::new(self.path, self.next_line + line, reason));
                }
                // The parser lists only the first rejected rows of a piece but counts them all.
                self.errors.count += rejected.saturating_sub(listed);
                self.next_line += newlines;
                self.summary.assignments_recorded += assignments.len() as u64;
                self.assignments.extend(assignments);
                if self.assignments.len() >= ASSIGNMENT_GROUP {
                    self.record_assignments()?;
                }
                self.store_events(events, &guid_ids, &text_ids)?;
                Ok(buffer)
            }
        }
    }

    /// Drops already-seen signals from `events` and queues the rest for appending.
    fn store_events(&mut self, events: EventBatch, guid_ids: &[u128], text_ids: &[u32]) -> Result<(), ImportError> {
        if events.is_empty() {
            return Ok(());
        }
        let ids = &events.columns[col::SIGNAL_ID];
        if !matches!(ids.data, ColumnData::Text(_) | ColumnData::Uuid(_)) {
            return Err(ImportError::Internal("signal_id column is not text".into()));
        }
        let mut keep = Vec::new();
        let mut texts = text_ids.iter().peekable();
        let mut all_new = true;
        for (i, (&time, &guid)) in events.times().iter().zip(guid_ids).enumerate() {
            // Ids other than lower-case GUIDs are few (none in real exports): their text is compared.
            let text;
            let key = if texts.peek() == Some(&&(i as u32)) {
                texts.next();
                text = ids.text(i).unwrap_or_default();
                SignalKey::Text(&text)
            } else {
                SignalKey::Guid(guid)
            };
            let partition = self.sink.partition_of(time);
            let new = self.dedup.accept(self.sink, partition, key)?;
            if !new && all_new {
                all_new = false;
                keep.extend(0..i);
            } else if new && !all_new {
                keep.push(i);
            }
        }
        let events = if all_new { events } else { events.take(&keep) };
        self.summary.duplicates_dropped += (guid_ids.len() - events.len()) as u64;
        self.summary.events_stored += events.len() as u64;
        if !events.is_empty() {
            self.pending_rows += events.len();
            self.pending.push(events);
        }
        if self.pending_rows >= self.opts.batch_rows {
            self.load_pending()?;
        }
        Ok(())
    }

    /// Loads the queued rows; afterwards every accepted id is in the sink (its stored signal ids
    /// include loaded rows at once), so the de-duplication cache may drop partitions.
    fn load_pending(&mut self) -> Result<(), ImportError> {
        let pieces = std::mem::take(&mut self.pending);
        self.pending_rows = 0;
        if !pieces.is_empty() {
            // The pieces as they are: no copy into one batch.
            self.sink.load_all(pieces)?;
        }
        self.dedup.trim();
        Ok(())
    }

    fn record_assignments(&mut self) -> Result<(), ImportError> {
        if !self.assignments.is_empty() {
            self.sink.add_assignments(std::mem::take(&mut self.assignments))?;
        }
        Ok(())
    }

    /// The summary of everything handled; `EmptyFile` if the input held no record at all.
    pub fn finish(self) -> Result<ImportSummary, ImportError> {
        if self.records == 0 {
            return Err(ImportError::EmptyFile {
                path: self.path.to_path_buf(),
            });
        }
        let mut summary = self.summary;
        summary.rows_rejected = self.errors.count;
        summary.errors = self.errors.listed;
        Ok(summary)
    }
}
