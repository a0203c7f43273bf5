//! Sustained durable ingest, measured without criterion's pauses: every batch is generated before the
//! clock starts, then `writers` threads append them all through `Db::append` (default options: fsync on,
//! group commit, 1 M-row memtable flushed in the background, background compaction) and the database is
//! closed. Criterion's `db_durable_ingest` generates each sample's batches between samples, which gives
//! the background flusher time that is not measured; this run has no such gaps, so its figure is the
//! rate an import or a live stream can keep up for as long as it lasts.
//!
//! `cargo run --release -p engagedb-engine --example sustained_ingest -- [ROWS] [WRITERS…] [--uuid-columns]`
//! (default 8 000 000 rows, 1 and 4 writers; a time-ordered stream of 1 M events a day).

#[path = "../benches/common/mod.rs"]
mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use common::District;
use engine::{Db, DbOptions, EventBatch};

const BATCH: usize = 10_000;
const ROWS_PER_DAY: u64 = 1_000_000;
const DAYS: u32 = 34;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    // `--uuid-columns`: hand over batches whose id columns are already 128-bit UUIDs, as the importer
    // builds them; by default they are text and `Db::append` parses them (~0.1 µs per event).
    let uuid_columns = args.iter().any(|a| a == "--uuid-columns");
    args.retain(|a| a != "--uuid-columns");
    let rows: usize = match args.first() {
        Some(a) => a.parse()?,
        None => 8_000_000,
    };
    let writer_counts: Vec<usize> = if args.len() > 1 {
        args[1..].iter().map(|a| a.parse()).collect::<Result<_, _>>()?
    } else {
        vec![1, 4]
    };
    let district = District::standard();
    let stream = ROWS_PER_DAY * u64::from(DAYS);
    for writers in writer_counts {
        let batches: Vec<EventBatch> = (0..rows / BATCH)
            .map(|k| {
                let mut batch = district.batch((k * BATCH) as u64, BATCH, stream, DAYS);
                if uuid_columns {
                    batch.parse_uuid_columns();
                }
                batch
            })
            .collect();
        let total = batches.len() * BATCH;
        let slots: Vec<std::sync::Mutex<Option<EventBatch>>> =
            batches.into_iter().map(|b| std::sync::Mutex::new(Some(b))).collect();
        let dir = tempfile::tempdir()?;
        let db = Db::open(dir.path(), DbOptions::default())?;
        let next = AtomicUsize::new(0);
        let cpu_start = process_cpu_seconds();
        let start = Instant::now();
        std::thread::scope(|scope| -> Result<(), engine::StorageError> {
            let handles: Vec<_> = (0..writers.max(1))
                .map(|_| {
                    scope.spawn(|| -> Result<(), engine::StorageError> {
                        loop {
                            let k = next.fetch_add(1, Ordering::Relaxed);
                            let Some(slot) = slots.get(k) else { return Ok(()) };
                            let batch = slot.lock().ok().and_then(|mut s| s.take());
                            if let Some(batch) = batch {
                                db.append(batch)?;
                            }
                        }
                    })
                })
                .collect();
            for h in handles {
                h.join()
                    .map_err(|_| engine::StorageError::Internal("a writer panicked".into()))??;
            }
            Ok(())
        })?;
        let acknowledged = start.elapsed().as_secs_f64();
        let buffered = db.buffered_rows();
        db.close()?;
        let closed = start.elapsed().as_secs_f64();
        let segments = db.snapshot()?.segments(None, None);
        let ids: std::collections::BTreeSet<u64> = segments.iter().map(|s| s.meta().id).collect();
        let partitions: std::collections::BTreeSet<i64> = segments.iter().map(|s| s.meta().partition_start).collect();
        let cpu = process_cpu_seconds().zip(cpu_start).map(|(end, start)| end - start);
        println!(
            "{writers} writer(s), id columns as {}: {total} rows acknowledged in {acknowledged:.2} s = {:.2} M events/s \
             ({buffered} still buffered then); closed (all flushed to segments) after {closed:.2} s = {:.2} M events/s",
            if uuid_columns { "UUIDs" } else { "text" },
            total as f64 / acknowledged / 1e6,
            total as f64 / closed / 1e6
        );
        // Segment ids count up from 1 and every flush and merge takes new ones: ids used beyond the
        // segments left are segments written and merged away again.
        println!(
            "  {} segments in {} partitions; {} segments written in all (flushes and merges)",
            segments.len(),
            partitions.len(),
            ids.iter().max().copied().unwrap_or(0)
        );
        if let Some(cpu) = cpu {
            println!(
                "  CPU {cpu:.2} s (user + system, all threads) = {:.2} µs per event",
                cpu * 1e6 / total as f64
            );
        }
    }
    Ok(())
}

/// User + system CPU time of this process so far, from `/proc/self/stat` (Linux; `None` elsewhere).
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces): utime is the 12th
    // and stime the 13th of them, in clock ticks of 1/100 s (the Linux default USER_HZ).
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}
