//! `engagedb bench query`: the engagement suite on a generated district (10 M events by default),
//! median latency per query, and with `--duckdb` the same queries on the same data in DuckDB, side by
//! side, with a check that both return the same rows.
//!
//! The suite's queries name ids of the public HEd sample; on a generated district they are replaced by
//! real ids of the same kind (a class and a student of median activity, the three busiest schools), so
//! every query selects what it would on real data.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use query::{QueryEngine, ResultSet};

use super::super::district::DistrictIds;
use super::super::{open_existing_store, CliResult};
use crate::args::QueryBenchArgs;

/// The DuckDB side of the comparison (benchmark tooling only; the product never runs Python).
const DUCKDB_SCRIPT: &str = include_str!("../../../../benches/duckdb_suite.py");

/// Ids of the HEd sample the suite names, and what replaces each on a generated district.
const HED_CLASS: &str = "CD841872-9DBF-41D2-815B-66DA53AD66A8";
const HED_SCHOOLS: [&str; 3] = [
    "ab2a9665-ce87-4120-a8b5-edd392875e42",
    "79ab1377-61f3-4462-95c8-284cb10201b8",
    "00b46bad-eb1d-41d3-ad11-16095144a56f",
];
const HED_STUDENT: &str = "e7e33896cd5445f697dcf40cbf19b99a";

struct Timing {
    name: String,
    median_ms: f64,
    min_ms: f64,
    rows: usize,
    result: ResultSet,
}

/// Runs the benchmark.
pub fn run(b: &QueryBenchArgs) -> CliResult {
    let store = b.dir.join("store");
    if !store.join("catalog").exists() {
        prepare_store(b, &store)?;
    }
    let db = open_existing_store(&store)?;
    let engine = QueryEngine::new(db.clone());
    let snap = db.snapshot()?;
    println!(
        "store {}: {} events in {} segments",
        store.display(),
        snap.rows(),
        snap.segments(None, None).len()
    );
    let queries = suite_queries(b, &engine)?;

    let mut ours = Vec::new();
    for (name, sql) in &queries {
        ours.push(time_query(&engine, name, sql, b.warmup, b.runs)?);
    }
    let theirs = if b.duckdb {
        Some(run_duckdb(b, &engine, &queries)?)
    } else {
        None
    };
    report(&ours, theirs.as_deref());
    Ok(())
}

/// Generates a district of about `events` events, imports it and compacts the store.
fn prepare_store(b: &QueryBenchArgs, store: &Path) -> CliResult {
    let district = b.dir.join("district");
    // The generator averages ~125 collected events per student over 34 days.
    let students = (b.events / 125).max(100) as usize;
    if !district.join("roster").exists() {
        println!(
            "== generating a district of {students} students into {}",
            district.display()
        );
        super::super::generate::run(&district, students, 34, 42, 4.0, 1, false)?;
    }
    let activity: Vec<PathBuf> = std::fs::read_dir(district.join("activity"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv" || x == "gz"))
        .collect();
    println!("== importing into {}", store.display());
    super::super::import::run(store, Some(&district.join("roster")), &activity, 5, None)?;
    let db = super::super::open_store(store)?;
    db.flush()?;
    let stats = db.compact()?;
    println!("compacted {} partitions", stats.partitions_merged);
    db.close()?;
    Ok(())
}

/// The suite's queries with the HEd ids replaced by ids of this store.
fn suite_queries(b: &QueryBenchArgs, engine: &QueryEngine) -> CliResult<Vec<(String, String)>> {
    let dir = match &b.queries {
        Some(d) => d.clone(),
        None => {
            find_shared_queries().ok_or("cannot find shared/queries above the working directory; pass --queries DIR")?
        }
    };
    let ids = DistrictIds::pick(engine)?;
    let (class, student, schools) = (ids.class, ids.student, ids.schools);
    println!("ids: class {class}, student {student}, schools {}", schools.join(", "));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let name = f.file_stem().and_then(|s| s.to_str()).unwrap_or("?").to_string();
        let mut sql = std::fs::read_to_string(&f)?;
        sql = sql.replace(HED_CLASS, &class).replace(HED_STUDENT, &student);
        for (hed, ours) in HED_SCHOOLS.iter().zip(&schools) {
            sql = sql.replace(hed, ours);
        }
        let sql: String = sql
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join(" ");
        out.push((name, sql.trim().trim_end_matches(';').to_string()));
    }
    Ok(out)
}

fn find_shared_queries() -> Option<PathBuf> {
    let mut dir = std::env::current_dir().ok()?;
    loop {
        let c = dir.join("shared/queries");
        if c.is_dir() {
            return Some(c);
        }
        if !dir.pop() {
            return None;
        }
    }
}

fn time_query(engine: &QueryEngine, name: &str, sql: &str, warmup: usize, runs: usize) -> CliResult<Timing> {
    let mut result = ResultSet::default();
    for _ in 0..warmup {
        result = engine.query(sql)?;
    }
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        result = engine.query(sql)?;
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    Ok(Timing {
        name: name.to_string(),
        median_ms: times[times.len() / 2],
        min_ms: times[0],
        rows: result.rows.len(),
        result,
    })
}

/// Exports the store's tables as CSV (once), runs the DuckDB script and reads its timings.
fn run_duckdb(b: &QueryBenchArgs, engine: &QueryEngine, queries: &[(String, String)]) -> CliResult<Vec<(f64, String)>> {
    let export = b.dir.join("export");
    if !export.join("done").exists() {
        println!("== exporting tables to {} for DuckDB", export.display());
        std::fs::create_dir_all(&export)?;
        export_tables(engine, &export)?;
        std::fs::write(export.join("done"), b"")?;
    }
    let script = b.dir.join("duckdb_suite.py");
    std::fs::write(&script, DUCKDB_SCRIPT)?;
    let qfile = b.dir.join("queries.json");
    let json: Vec<String> = queries
        .iter()
        .map(|(n, s)| {
            format!(
                "{{\"name\":{},\"sql\":{}}}",
                query::format::json_string(n),
                query::format::json_string(s)
            )
        })
        .collect();
    std::fs::write(&qfile, format!("[{}]", json.join(",")))?;
    let out = Command::new("python3")
        .arg(&script)
        .arg("--export")
        .arg(&export)
        .arg("--db")
        .arg(b.dir.join("duckdb.db"))
        .arg("--queries")
        .arg(&qfile)
        .arg("--runs")
        .arg(b.runs.to_string())
        .arg("--warmup")
        .arg(b.warmup.to_string())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    if !out.status.success() {
        return Err("the DuckDB script failed (is duckdb installed? `python3 -m pip install duckdb`)".into());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut results = Vec::new();
    for line in text.lines() {
        if let Some(ms) = json_number(line, "\"median_ms\":") {
            let csv = json_string_field(line, "\"csv\":").unwrap_or_default();
            results.push((ms, csv));
        } else if let Some(s) = json_number(line, "\"loaded_s\":") {
            println!("DuckDB loaded the export in {s:.1} s");
        }
    }
    if results.len() != queries.len() {
        return Err(format!("DuckDB answered {} of {} queries", results.len(), queries.len()).into());
    }
    Ok(results)
}

fn export_tables(engine: &QueryEngine, dir: &Path) -> CliResult {
    for table in ["orgs", "classes", "people", "enrollments", "assignments"] {
        let r = engine.query(&format!("SELECT * FROM {table}"))?;
        let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join(format!("{table}.csv")))?);
        query::format::write_csv(&r, &mut f)?;
        f.flush()?;
    }
    // Events a day at a time, to bound memory.
    let days = engine.query("SELECT DISTINCT date_trunc('day', time) AS d FROM events ORDER BY d")?;
    for (i, row) in days.rows.iter().enumerate() {
        let Some(day) = row.first() else { continue };
        let sql = format!(
            "SELECT * FROM events WHERE time >= TIMESTAMP '{day}' AND time < TIMESTAMP '{day}' + INTERVAL '1 day'"
        );
        let r = engine.query(&sql)?;
        let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join(format!("events_{i:04}.csv")))?);
        query::format::write_csv(&r, &mut f)?;
        f.flush()?;
    }
    Ok(())
}

fn json_number(line: &str, key: &str) -> Option<f64> {
    let at = line.find(key)? + key.len();
    let rest = line[at..].trim_start();
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    rest[..end].trim().parse().ok()
}

/// The JSON string value after `key` (handles the escapes the script's `json.dumps` writes).
fn json_string_field(line: &str, key: &str) -> Option<String> {
    let at = line.find(key)? + key.len();
    let mut chars = line[at..].trim_start().chars();
    if chars.next()? != '"' {
        return None;
    }
    let mut out = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

/// Whether our rows equal DuckDB's (its CSV has no header; doubles compared to 1e-9 relative).
fn same_rows(ours: &ResultSet, theirs: &str) -> bool {
    let mine = query::format::to_csv(ours);
    let mine: Vec<&str> = mine.lines().skip(1).collect();
    let theirs: Vec<&str> = if theirs.is_empty() {
        Vec::new()
    } else {
        theirs.lines().collect()
    };
    mine.len() == theirs.len()
        && mine.iter().zip(&theirs).all(|(a, b)| {
            let (fa, fb): (Vec<&str>, Vec<&str>) = (a.split(',').collect(), b.split(',').collect());
            fa.len() == fb.len()
                && fa.iter().zip(&fb).all(|(x, y)| {
                    x == y
                        || match (x.parse::<f64>(), y.parse::<f64>()) {
                            (Ok(p), Ok(q)) => (p - q).abs() <= 1e-9 * p.abs().max(q.abs()),
                            _ => x.trim_matches('"') == y.trim_matches('"'),
                        }
                })
        })
}

fn report(ours: &[Timing], theirs: Option<&[(f64, String)]>) {
    println!();
    match theirs {
        None => {
            println!("{:<32} {:>12} {:>10} {:>7}", "query", "median ms", "min ms", "rows");
            for t in ours {
                println!("{:<32} {:>12.3} {:>10.3} {:>7}", t.name, t.median_ms, t.min_ms, t.rows);
            }
        }
        Some(theirs) => {
            println!(
                "{:<32} {:>12} {:>14} {:>8} {:>7} {:>6}",
                "query", "engagedb ms", "DuckDB ms", "ratio", "rows", "same"
            );
            let mut ratios = Vec::new();
            for (t, (d_ms, d_csv)) in ours.iter().zip(theirs) {
                let ratio = t.median_ms / d_ms.max(1e-6);
                ratios.push(ratio);
                println!(
                    "{:<32} {:>12.3} {:>14.3} {:>8.3} {:>7} {:>6}",
                    t.name,
                    t.median_ms,
                    d_ms,
                    ratio,
                    t.rows,
                    if same_rows(&t.result, d_csv) { "yes" } else { "NO" }
                );
            }
            let med = |v: &mut Vec<f64>| {
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            };
            let mut ours_ms: Vec<f64> = ours.iter().map(|t| t.median_ms).collect();
            let mut theirs_ms: Vec<f64> = theirs.iter().map(|t| t.0).collect();
            let (m_ours, m_theirs) = (med(&mut ours_ms), med(&mut theirs_ms));
            let slower = ratios.iter().filter(|r| **r > 1.0).count();
            println!(
                "\nsuite median: engagedb {m_ours:.3} ms, DuckDB {m_theirs:.3} ms (ratio {:.3}); queries slower than DuckDB: {slower}",
                m_ours / m_theirs
            );
        }
    }
}
