//! `engagedb admin`: inspect and maintain an embedded store.

use std::collections::BTreeSet;
use std::path::Path;

use crate::args::AdminTask;

use super::{open_store, CliResult};

/// Runs one administrative task.
pub fn run(data: &Path, task: AdminTask) -> CliResult {
    let db = open_store(data)?;
    match task {
        AdminTask::Stats => {
            let snap = db.snapshot()?;
            let segments = snap.segments(None, None);
            let partitions: BTreeSet<i64> = segments.iter().map(|s| s.meta().partition_start).collect();
            let bytes: usize = segments.iter().map(|s| s.size_bytes()).sum();
            let rows = snap.rows();
            println!(
                "{rows} events in {} segments over {} partitions; {bytes} bytes of segments ({:.1} bytes/event); {} buffered rows; {} roster classes; {} assignments",
                segments.len(),
                partitions.len(),
                bytes as f64 / rows.max(1) as f64,
                db.buffered_rows(),
                snap.roster().classes.len(),
                snap.assignments().len()
            );
        }
        AdminTask::Compact => {
            db.flush()?;
            let stats = db.compact()?;
            println!(
                "merged {} partitions, replaced {} segments",
                stats.partitions_merged, stats.segments_removed
            );
        }
        AdminTask::RebuildCatalog => {
            let n = db.rebuild_catalog()?;
            println!("manifest rebuilt from {n} segment files");
        }
        AdminTask::Retention { days } => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_micros() as i64;
            let dropped = db.apply_retention(now, Some(days.saturating_mul(86_400_000_000)))?;
            println!("dropped {dropped} events older than {days} days");
        }
    }
    db.close()?;
    Ok(())
}
