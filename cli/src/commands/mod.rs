//! Dispatch of subcommands; one file per subcommand.

mod admin;
mod bench;
mod demo;
mod district;
mod generate;
mod import;
mod shell;

use crate::args::{Cli, Command};

/// Errors reach `main` boxed, printed with their chain of causes.
pub type CliResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> CliResult {
    match cli.command {
        Command::Demo { dir, students, days } => demo::run(&dir, students, days),
        Command::Import {
            data,
            roster,
            activity,
            max_errors,
            partition,
        } => import::run(&data, roster.as_deref(), &activity, max_errors, partition).map(|_| ()),
        Command::Generate {
            out,
            students,
            days,
            seed,
            events_per_student_day,
            files,
            gzip,
        } => generate::run(&out, students, days, seed, events_per_student_day, files, gzip).map(|_| ()),
        Command::Admin { data, task } => admin::run(&data, task),
        Command::Bench { target } => bench::run(target),
        Command::Shell {
            data,
            command,
            file,
            format,
            memory_limit,
            threads,
            timing,
        } => {
            let input = match (&command, &file) {
                (Some(c), _) => shell::Input::Command(c),
                (None, Some(f)) => shell::Input::File(f),
                (None, None) => shell::Input::Stdin,
            };
            let mut options = query::ExecOptions {
                memory_limit: memory_limit << 20,
                ..Default::default()
            };
            if let Some(t) = threads {
                options.threads = t.max(1);
            }
            shell::run(&data, input, format, options, timing)
        }
    }
}

/// Opens an embedded store with the default options.
pub fn open_store(data: &std::path::Path) -> CliResult<std::sync::Arc<engine::Db>> {
    open_store_with(data, engine::DbOptions::default())
}

/// Opens an embedded store with `options` (its granularity applies only if the store is new).
pub fn open_store_with(data: &std::path::Path, options: engine::DbOptions) -> CliResult<std::sync::Arc<engine::Db>> {
    engine::Db::open(data, options).map_err(|e| {
        let text = e.to_string();
        if text.contains("could not acquire lock") {
            // An embedded store belongs to one process at a time.
            format!(
                "the store in {} is open in another engagedb process; stop it first",
                data.display()
            )
            .into()
        } else {
            format!("cannot open data directory {}: {text}", data.display()).into()
        }
    })
}

/// Opens a store that must already exist (querying an empty, fresh directory is almost always a typo).
pub fn open_existing_store(data: &std::path::Path) -> CliResult<std::sync::Arc<engine::Db>> {
    if !data.join("catalog").exists() {
        return Err(format!(
            "no engagedb store in {} (create one with `engagedb import --data {} …` or `engagedb demo`)",
            data.display(),
            data.display()
        )
        .into());
    }
    open_store(data)
}
