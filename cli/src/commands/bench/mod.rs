//! `engagedb bench …`: reproducible measurements, one file per target.

mod import;

use super::CliResult;
use crate::args::BenchTarget;

/// Runs one benchmark target.
pub fn run(target: BenchTarget) -> CliResult {
    match target {
        BenchTarget::Import {
            events,
            dir,
            duckdb,
            gzip,
        } => import::run(events, &dir, duckdb, gzip),
    }
}
