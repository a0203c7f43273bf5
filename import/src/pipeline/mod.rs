//! The activity import pipeline: one reader thread cuts the (decompressed) file into pieces of
//! whole records, a small pool of workers parses pieces in parallel, and the calling thread puts
//! them back in file order, de-duplicates and appends to the sink.
//!
//! Memory is bounded whatever the file size: a fixed number of piece buffers circulate (the reader
//! must get one back from the store stage before it reads on), so at most that many pieces are
//! read, parsed or waiting at any time; plus one batch being appended and the de-duplication cache.

mod parse;
mod reader;
mod store;

use std::path::Path;
use std::sync::Arc;

use crossbeam::channel::{bounded, unbounded};

use crate::activity::{open_activity_file, ColumnSizes};
use crate::collect::Collector;
use crate::error::ImportError;
use crate::importer::{ImportOptions, ImportSummary, Progress};
use crate::sink::EventSink;
use parse::{parse_piece, ParseContext};
use store::{Done, Store};

/// Most parse workers started when the machine's parallelism is used.
const MAX_WORKERS: usize = 8;

/// Number of parse workers for `opts`.
fn worker_count(opts: &ImportOptions) -> usize {
    match opts.parse_threads {
        0 => std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_WORKERS),
        n => n,
    }
}

/// Imports one activity file (headerless CSV, 32 or 19 columns, plain or gzip) under the collection
/// rules, against the sink's current roster. Malformed rows are rejected and counted; I/O and
/// storage failures stop the import (batches already appended stay stored). Pieces of the file are
/// parsed on `opts.parse_threads` threads; the result does not depend on their number or size.
pub fn import_activity(
    sink: &dyn EventSink,
    path: &Path,
    opts: &ImportOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImportSummary, ImportError> {
    let collector = Collector::new(sink.roster()?.as_deref());
    let input = open_activity_file(path)?;
    let total_bytes = input.total_bytes;
    let bytes_read = Arc::clone(&input.bytes_read);
    let workers = worker_count(opts);
    // Enough buffers that every worker has one to parse while the next ones are read and the
    // store stage appends, but a fixed number.
    let buffers = 2 * workers + 2;
    let (free_tx, free_rx) = bounded::<Vec<u8>>(buffers);
    for _ in 0..buffers {
        let _ = free_tx.send(Vec::new());
    }
    let (task_tx, task_rx) = bounded(buffers);
    let (done_tx, done_rx) = unbounded::<Done>();
    let ctx = ParseContext {
        collector: &collector,
        max_record_bytes: opts.max_row_bytes,
        max_listed_errors: opts.max_listed_errors,
    };
    let mut store = Store::new(sink, path, opts);
    let (stored, read, parsed) = std::thread::scope(|scope| {
        let reader = {
            let done_tx = done_tx.clone();
            scope.spawn(move || reader::read_pieces(input.reader, path, opts, free_rx, task_tx, done_tx))
        };
        let parsers: Vec<_> = (0..workers)
            .map(|_| {
                let (task_rx, done_tx, ctx) = (task_rx.clone(), done_tx.clone(), &ctx);
                scope.spawn(move || {
                    let mut sizes = ColumnSizes::default();
                    for task in task_rx.iter() {
                        let seq = task.seq;
                        let parsed = parse_piece(ctx, task, &mut sizes);
                        if done_tx.send(Done::Parsed(seq, Box::new(parsed))).is_err() {
                            return; // the store stage stopped
                        }
                    }
                })
            })
            .collect();
        drop((done_tx, task_rx));
        let stored = store.run(done_rx, free_tx, &bytes_read, total_bytes, progress);
        let read = reader
            .join()
            .map_err(|_| ImportError::Internal("the reader thread panicked".into()));
        let parsed = parsers.into_iter().map(|p| p.join()).collect::<Result<Vec<()>, _>>();
        (stored, read, parsed)
    });
    // Everything handed to the sink is made durable, also when a stage failed (those rows stay stored);
    // a failure here is reported only if nothing failed before it.
    let durable = sink.make_loaded_durable();
    // A read failure explains a short import better than what the store stage saw, so it comes first.
    read??;
    parsed.map_err(|_| ImportError::Internal("a parse worker panicked".into()))?;
    stored?;
    durable?;
    let summary = store.finish()?;
    progress(Progress {
        bytes_read: bytes_read.load(std::sync::atomic::Ordering::Relaxed),
        total_bytes,
        rows_read: summary.rows_read,
    });
    tracing::info!("{}: {summary}", path.display());
    Ok(summary)
}
