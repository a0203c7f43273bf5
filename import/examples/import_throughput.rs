//! Measures end-to-end activity import throughput into the in-memory sink:
//! `cargo run --release -p engagedb-import --example import_throughput -- ACTIVITY_FILE [ROSTER_DIR] [RUNS]`.
//! Each run imports into a sink that keeps the roster but discards events, so the figure is the
//! importer's own cost (reading, decompressing, parsing, collection rules, de-duplication).

use std::path::PathBuf;
use std::time::Instant;

use engine::roster::{Assignment, Roster};
use engine::{EventBatch, StorageError};
use import::{import_activity, import_roster, EventSink, ImportOptions, MemorySink};

/// Keeps the roster (through a [`MemorySink`]) but validates and drops events.
struct DiscardEvents(MemorySink);

impl EventSink for DiscardEvents {
    fn partition_of(&self, time_us: i64) -> i64 {
        self.0.partition_of(time_us)
    }
    fn for_each_stored_signal_id(&self, _: i64, _: &mut dyn FnMut(&str)) -> Result<(), StorageError> {
        Ok(())
    }
    fn append(&self, batch: EventBatch) -> Result<(), StorageError> {
        batch.validate()
    }
    fn roster(&self) -> Result<Option<std::sync::Arc<Roster>>, StorageError> {
        self.0.roster()
    }
    fn replace_roster(&self, roster: Roster) -> Result<(), StorageError> {
        self.0.replace_roster(roster)
    }
    fn add_assignments(&self, assignments: Vec<Assignment>) -> Result<(), StorageError> {
        self.0.add_assignments(assignments)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let activity = PathBuf::from(
        args.next()
            .ok_or("usage: import_throughput ACTIVITY_FILE [ROSTER_DIR] [RUNS]")?,
    );
    let roster = args.next().map(PathBuf::from);
    let runs: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(5);
    for run in 1..=runs {
        let sink = DiscardEvents(MemorySink::default());
        if let Some(dir) = &roster {
            import_roster(&sink, dir)?;
        }
        let start = Instant::now();
        let summary = import_activity(&sink, &activity, &ImportOptions::default(), &mut |_| {})?;
        let secs = start.elapsed().as_secs_f64();
        println!(
            "run {run}: {:.3} s, {:.2} M rows/s — {summary}",
            secs,
            summary.rows_read as f64 / secs / 1e6
        );
    }
    Ok(())
}
