//! `engagedb admin`: inspect and maintain an embedded store.

use std::collections::BTreeSet;
use std::path::Path;

use engine::schema::{col, EVENT_COLUMNS};
use engine::segment::SegmentComponent;

use crate::args::AdminTask;

use super::{open_store, CliResult};

/// Runs one administrative task.
pub fn run(data: &Path, task: AdminTask) -> CliResult {
    let db = open_store(data)?;
    match task {
        AdminTask::Stats => print_stats(&db)?,
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

/// Prints the store's shape and what it costs on disk: bytes per event in total, without `signal_id`,
/// and per column (values, dictionary, NULL set and index blocks; file headers and footers are "other").
/// The shared dictionaries' files are counted in, as dictionary bytes of their columns.
fn print_stats(db: &engine::Db) -> CliResult {
    let snap = db.snapshot()?;
    let segments: Vec<_> = snap
        .segments(None, None)
        .into_iter()
        .filter(|s| s.meta().id != 0)
        .collect();
    let partitions: BTreeSet<i64> = segments.iter().map(|s| s.meta().partition_start).collect();
    let bytes: usize = segments.iter().map(|s| s.size_bytes()).sum();
    let rows: u64 = segments.iter().map(|s| s.num_rows() as u64).sum();
    let per_event = |b: u64| b as f64 / rows.max(1) as f64;
    let mut by_column = vec![[0u64; SegmentComponent::ALL.len()]; EVENT_COLUMNS.len()];
    let kind_index = |kind: SegmentComponent| SegmentComponent::ALL.iter().position(|&k| k == kind).unwrap_or(0);
    for block in segments.iter().flat_map(|s| s.blocks()) {
        by_column[block.column as usize][kind_index(block.kind)] += block.len;
    }
    let in_blocks: u64 = by_column.iter().flatten().sum();
    // The shared dictionaries' files count as the dictionary bytes of their columns.
    let mut shared_bytes = 0u64;
    for (c, b) in db.shared_dictionary_bytes()? {
        by_column[c][kind_index(SegmentComponent::Dictionary)] += b;
        shared_bytes += b;
    }
    let total_bytes = bytes as u64 + shared_bytes;
    let signal_id: u64 = by_column[col::SIGNAL_ID].iter().sum();
    println!(
        "{rows} events in {} segments over {} {} partitions; {} buffered rows; {} roster classes; {} assignments",
        segments.len(),
        partitions.len(),
        db.options().granularity.name(),
        db.buffered_rows(),
        snap.roster().classes.len(),
        snap.assignments().len()
    );
    println!(
        "{bytes} bytes of segments and {shared_bytes} of shared dictionaries: {:.2} bytes/event, \
         {:.2} bytes/event without signal_id ({:.2})",
        per_event(total_bytes),
        per_event(total_bytes - signal_id),
        per_event(signal_id)
    );
    println!(
        "{:<26} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "bytes/event", "total", "values", "dictionary", "nulls", "index"
    );
    for (def, kinds) in EVENT_COLUMNS.iter().zip(&by_column) {
        let total: u64 = kinds.iter().sum();
        print!("{:<26} {:>10.3}", def.name, per_event(total));
        for k in kinds {
            print!(" {:>10.3}", per_event(*k));
        }
        println!();
    }
    println!(
        "{:<26} {:>10.3}",
        "(headers and footers)",
        per_event(bytes as u64 - in_blocks)
    );
    Ok(())
}
