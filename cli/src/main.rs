//! The `engagedb` binary: one entry point for the demo, importing, generating data, the SQL shell,
//! benchmarks and administration. Flag definitions live in `args.rs`, each subcommand in `commands/`.

mod args;
mod commands;

use clap::Parser;

fn main() {
    let cli = args::Cli::parse();
    if let Err(e) = commands::run(cli) {
        eprintln!("engagedb: error: {e}");
        let mut source = std::error::Error::source(e.as_ref());
        while let Some(s) = source {
            eprintln!("  caused by: {s}");
            source = s.source();
        }
        std::process::exit(1);
    }
}
