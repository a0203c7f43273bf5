//! `engagedb bench …`: the project's own benchmarks, run on release builds against generated
//! districts (the scale is a parameter), with DuckDB side by side where the issues ask for it. One
//! file per target.

mod import;
pub mod query;

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
        BenchTarget::Query(args) => query::run(&args),
    }
}
