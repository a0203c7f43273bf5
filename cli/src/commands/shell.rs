//! `engagedb shell`: runs SQL against an embedded store. With `-c SQL` or `-f FILE` (or SQL piped on
//! standard input) it runs the statements, writes results to stdout and errors to stderr, and exits
//! non-zero if any statement fails.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::time::Duration;

use comfy_table::{presets, CellAlignment, ContentArrangement, Table};
use query::{ExecOptions, QueryEngine, ResultSet};

use super::{open_existing_store, CliResult};
use crate::args::OutputFormat;

/// Where the statements come from.
pub enum Input<'a> {
    /// `-c SQL`
    Command(&'a str),
    /// `-f FILE`
    File(&'a Path),
    /// Piped on standard input.
    Stdin,
}

/// Runs the statements of `input` against the store in `data`.
pub fn run(data: &Path, input: Input<'_>, format: OutputFormat, options: ExecOptions, timing: bool) -> CliResult {
    let sql = match input {
        Input::Command(s) => s.to_string(),
        Input::File(p) => std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?,
        Input::Stdin => {
            if std::io::stdin().is_terminal() {
                return Err(
                    "give statements with -c SQL or -f FILE, or pipe them on standard input \
                            (the interactive shell comes with the server)"
                        .into(),
                );
            }
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s)?;
            s
        }
    };
    let db = open_existing_store(data)?;
    let engine = QueryEngine::new(db).with_options(options);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut first = true;
    let mut write_error = None;
    let result = engine.run_script(&sql, &mut |r, elapsed| {
        if write_error.is_some() {
            return;
        }
        if !first && format == OutputFormat::Table {
            let _ = writeln!(out);
        }
        first = false;
        if let Err(e) = print_result(&mut out, &r, format, elapsed, timing) {
            write_error = Some(e);
        }
    });
    // A reader that stops early (`| head`) is not an error.
    let flushed = out.flush();
    for e in write_error.into_iter().chain(flushed.err()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e.into());
        }
    }
    result.map_err(|e| e.to_string().into())
}

/// Writes one result in `format`.
pub fn print_result(
    out: &mut dyn Write,
    r: &ResultSet,
    format: OutputFormat,
    elapsed: Duration,
    timing: bool,
) -> std::io::Result<()> {
    match format {
        OutputFormat::Csv => query::format::write_csv(r, out)?,
        OutputFormat::Json => query::format::write_json_lines(r, out)?,
        OutputFormat::Table => {
            writeln!(out, "{}", render_table(r))?;
            let n = r.rows.len();
            write!(out, "({n} row{})", if n == 1 { "" } else { "s" })?;
            if timing {
                write!(out, " in {:.2} ms", elapsed.as_secs_f64() * 1e3)?;
            }
            writeln!(out)?;
        }
    }
    if timing && format != OutputFormat::Table {
        eprintln!("({} rows in {:.2} ms)", r.rows.len(), elapsed.as_secs_f64() * 1e3);
    }
    Ok(())
}

/// An aligned table for humans: numbers right-aligned, NULL shown as `NULL`.
pub fn render_table(r: &ResultSet) -> String {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    t.set_header(r.columns.iter().map(|c| c.name.clone()));
    for row in &r.rows {
        t.add_row(
            row.iter()
                .map(|v| if v.is_null() { "NULL".to_string() } else { v.to_string() }),
        );
    }
    for (i, c) in r.columns.iter().enumerate() {
        if c.ty.is_numeric() && c.ty != query::DataType::Null {
            if let Some(col) = t.column_mut(i) {
                col.set_cell_alignment(CellAlignment::Right);
            }
        }
    }
    t.to_string()
}
