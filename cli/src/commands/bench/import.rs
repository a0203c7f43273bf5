//! `engagedb bench import`: end-to-end activity import throughput on a generated district, into a
//! fresh durable store with the default options (fsync on), next to DuckDB loading the same CSV.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use engine::{Db, DbOptions};
use import::generate::{generate, GenerateOptions};
use import::{import_activity, import_roster, ImportOptions};

use crate::commands::CliResult;

/// Days of activity of the generated district.
const DAYS: u32 = 34;
/// Activity rows the generator writes per rostered student over [`DAYS`] days (measured).
const ROWS_PER_STUDENT: f64 = 131.2;
/// The DuckDB side of the comparison, run with `python3 -`.
const DUCKDB_SCRIPT: &str = include_str!("../../../../benches/import_vs_duckdb.py");

/// Generates (once) a district of about `events` rows under `dir`, imports it, prints the figures.
pub fn run(events: u64, dir: &Path, duckdb: bool, gzip: bool) -> CliResult {
    let set = dir.join(format!("import-{events}"));
    let plain = data_set(&set, events, false)?;
    let mut files = vec![plain.clone()];
    if gzip {
        files.push(data_set(&set, events, true)?);
    }
    for file in &files {
        measure_import(&set, file)?;
    }
    if duckdb {
        compare_with_duckdb(&plain)?;
    }
    Ok(())
}

/// The activity file of the data set in `set` (plain or gzip), generating it first if absent.
fn data_set(set: &Path, events: u64, gzip: bool) -> CliResult<PathBuf> {
    let out = set.join(if gzip { "gzip" } else { "plain" });
    let file = out
        .join("activity")
        .join(if gzip { "part-0000.csv.gz" } else { "part-0000.csv" });
    let marker = out.join(".complete");
    if marker.exists() && file.exists() {
        println!("reusing {}", file.display());
        return Ok(file);
    }
    let students = ((events as f64 / ROWS_PER_STUDENT).ceil() as usize).max(1);
    let opts = GenerateOptions {
        students,
        days: DAYS,
        gzip,
        ..GenerateOptions::new(&out)
    };
    println!(
        "generating {events} rows ({students} students, {DAYS} days{}) into {}",
        if gzip { ", gzip" } else { "" },
        out.display()
    );
    let started = Instant::now();
    let summary = generate(&opts)?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "generator: {} rows, {:.0} MB in {secs:.2}s: {:.2} M rows/s",
        summary.activity_rows,
        summary.bytes_written as f64 / 1e6,
        summary.activity_rows as f64 / secs / 1e6
    );
    std::fs::write(&marker, summary.to_string())?;
    Ok(file)
}

/// Imports the roster and then `file` into a fresh store under `set`; prints rows/s, MB/s and memory.
fn measure_import(set: &Path, file: &Path) -> CliResult {
    let roster = file
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("roster"))
        .ok_or("activity file has no data-set folder")?;
    let store = set.join("store");
    if store.exists() {
        std::fs::remove_dir_all(&store)?;
    }
    reset_peak_memory();
    let db = Db::open(&store, DbOptions::default())?;
    let started = Instant::now();
    let roster_summary = import_roster(db.as_ref(), &roster)?;
    let roster_secs = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let summary = import_activity(db.as_ref(), file, &ImportOptions::default(), &mut |_| {})?;
    db.close()?;
    let secs = started.elapsed().as_secs_f64();
    let file_mb = std::fs::metadata(file)?.len() as f64 / 1e6;
    println!("roster: {roster_summary} in {roster_secs:.2}s");
    println!("{}: {summary}", file.display());
    println!(
        "engagedb import: {:.2}s for {} rows = {:.2} M rows/s, {:.0} MB/s of the {:.0} MB file \
         (parse + collection rules + dedup + durable store, closed){}",
        secs,
        summary.rows_read,
        summary.rows_read as f64 / secs / 1e6,
        file_mb / secs,
        file_mb,
        peak_memory()
            .map(|kb| format!("; peak RSS {} MB", kb / 1024))
            .unwrap_or_default()
    );
    drop(db);
    std::fs::remove_dir_all(&store)?;
    Ok(())
}

/// Loads `file` into DuckDB with `benches/import_vs_duckdb.py` and prints its time; says so and goes
/// on if python3 or its `duckdb` module is missing.
fn compare_with_duckdb(file: &Path) -> CliResult {
    let child = Command::new("python3")
        .arg("-")
        .arg(file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            println!("duckdb: not compared: cannot run python3 ({e})");
            return Ok(());
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(DUCKDB_SCRIPT.as_bytes())?;
    }
    let output = child.wait_with_output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        println!(
            "duckdb: not compared: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
        return Ok(());
    }
    let file_mb = std::fs::metadata(file)?.len() as f64 / 1e6;
    match parse_duckdb_line(&stdout) {
        Some((version, secs, rows, threads)) => println!(
            "duckdb {version} read_csv into a table: {secs:.2}s for {rows} rows = {:.2} M rows/s, {:.0} MB/s \
             ({threads} threads; no dedup, no collection rules, no roster, one checkpoint instead of an fsync per batch)",
            rows as f64 / secs / 1e6,
            file_mb / secs
        ),
        None => println!("duckdb: unexpected output: {}", stdout.trim()),
    }
    Ok(())
}

/// (version, seconds, rows, threads) from the script's JSON line.
fn parse_duckdb_line(line: &str) -> Option<(String, f64, u64, String)> {
    let v: serde_json::Value = serde_json::from_str(line.trim()).ok()?;
    Some((
        v.get("duckdb")?.as_str()?.to_string(),
        v.get("seconds")?.as_f64()?,
        v.get("rows")?.as_u64()?,
        v.get("threads").map(|t| t.to_string()).unwrap_or_default(),
    ))
}

/// Resets the kernel's peak-RSS mark of this process (Linux), so the figure covers the import only.
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident memory of this process in KiB (Linux `VmHWM`), if known.
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
