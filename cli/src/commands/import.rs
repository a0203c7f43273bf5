//! `engagedb import`: roster and activity files into an embedded store, with a progress bar on a
//! terminal and one summary line per file.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use import::{import_activity, import_roster, ImportOptions, ImportSummary};
use indicatif::{ProgressBar, ProgressStyle};

use engine::{DbOptions, Granularity};

use super::{open_store_with, CliResult};

/// Imports `roster` (if given) then each activity file; returns the per-file summaries.
pub fn run(
    data: &Path,
    roster: Option<&Path>,
    activity: &[PathBuf],
    max_errors: usize,
    partition: Option<Granularity>,
) -> CliResult<Vec<ImportSummary>> {
    if roster.is_none() && activity.is_empty() {
        return Err("nothing to import: give --roster DIR and/or --activity FILE".into());
    }
    let options = DbOptions {
        granularity: partition.unwrap_or_default(),
        ..DbOptions::default()
    };
    let db = open_store_with(data, options)?;
    let stored = db.options().granularity;
    if partition.is_some_and(|p| p != stored) {
        return Err(format!(
            "the store in {} is partitioned by {}; --partition only applies when the import creates the store",
            data.display(),
            stored.name()
        )
        .into());
    }
    if let Some(dir) = roster {
        let summary = import_roster(db.as_ref(), dir)?;
        println!("roster {}: {summary}", dir.display());
    }
    let opts = ImportOptions {
        max_listed_errors: max_errors,
        ..ImportOptions::default()
    };
    let mut summaries = Vec::new();
    for file in activity {
        let started = Instant::now();
        let bar = progress_bar(file);
        let mut on_progress = |p: import::Progress| {
            if let Some(bar) = &bar {
                bar.set_length(p.total_bytes.max(p.bytes_read));
                bar.set_position(p.bytes_read);
                let secs = started.elapsed().as_secs_f64().max(1e-9);
                bar.set_message(format!(
                    "{} rows, {:.0} k rows/s",
                    p.rows_read,
                    p.rows_read as f64 / secs / 1e3
                ));
            }
        };
        let summary = import_activity(db.as_ref(), file, &opts, &mut on_progress)?;
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        let secs = started.elapsed().as_secs_f64();
        for e in &summary.errors {
            eprintln!("  rejected: {e}");
        }
        let unlisted = summary.rows_rejected.saturating_sub(summary.errors.len() as u64);
        if unlisted > 0 {
            eprintln!("  … and {unlisted} more rejected rows, counted but not listed (--max-errors lists more)");
        }
        println!(
            "{}: {summary} in {secs:.2}s ({:.2} M rows/s)",
            file.display(),
            summary.rows_read as f64 / secs.max(1e-9) / 1e6
        );
        summaries.push(summary);
    }
    db.close()?;
    Ok(summaries)
}

fn progress_bar(file: &Path) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(0);
    let style = ProgressStyle::with_template("{prefix} [{bar:30}] {bytes}/{total_bytes} {msg}")
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_prefix(
        file.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    );
    Some(bar)
}
