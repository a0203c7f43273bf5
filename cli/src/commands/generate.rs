//! `engagedb generate`: writes a realistic district in the real export formats.

use std::path::Path;

use import::generate::{generate, GenerateOptions, GenerateSummary};

use super::CliResult;

/// Generates a district into `out` and prints the one-line summary.
pub fn run(
    out: &Path,
    students: usize,
    days: u32,
    seed: u64,
    events_per_student_day: f64,
    files: usize,
    gzip: bool,
) -> CliResult<GenerateSummary> {
    let opts = GenerateOptions {
        students,
        days,
        seed,
        events_per_student_day,
        activity_files: files,
        gzip,
        ..GenerateOptions::new(out)
    };
    let started = std::time::Instant::now();
    let summary = generate(&opts)?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "generated {summary} in {secs:.2}s ({:.2} M rows/s) into {}",
        summary.activity_rows as f64 / secs / 1e6,
        out.display()
    );
    Ok(summary)
}
