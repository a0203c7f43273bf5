//! Dispatch of subcommands; one file per subcommand.

mod admin;
mod bench;
mod demo;
mod generate;
mod import;

use crate::args::{Cli, Command};

/// Errors reach `main` boxed, printed with their chain of causes.
pub type CliResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> CliResult {
    match cli.command {
        Command::Demo { dir, students, days } => demo::run(&dir, students, days),
        Command::Import { data, roster, activity, max_errors } => {
            import::run(&data, roster.as_deref(), &activity, max_errors).map(|_| ())
        }
        Command::Generate { out, students, days, seed, events_per_student_day, files, gzip } => {
            generate::run(&out, students, days, seed, events_per_student_day, files, gzip).map(|_| ())
        }
        Command::Bench { target } => bench::run(target),
        Command::Admin { data, task } => admin::run(&data, task),
    }
}

/// Opens an embedded store with the default options.
pub fn open_store(data: &std::path::Path) -> CliResult<std::sync::Arc<engine::Db>> {
    engine::Db::open(data, engine::DbOptions::default())
        .map_err(|e| format!("cannot open data directory {}: {e}", data.display()).into())
}
