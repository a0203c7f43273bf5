//! `engagedb bench`: the project's own benchmarks, run on release builds against generated districts
//! (the scale is a parameter), with DuckDB side by side where the issue asks for it.

pub mod query;

use crate::args::BenchTarget;

use super::CliResult;

/// Runs one benchmark.
pub fn run(target: BenchTarget) -> CliResult {
    match target {
        BenchTarget::Query {
            dir,
            events,
            runs,
            warmup,
            duckdb,
            queries,
        } => query::run(&query::QueryBench {
            dir,
            events,
            runs,
            warmup,
            duckdb,
            queries,
        }),
    }
}
