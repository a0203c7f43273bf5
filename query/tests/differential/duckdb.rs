//! Running the reference: one `python3 duckdb_runner.py` per district, fed every query of the district
//! at once; its results come back as typed cells (see the runner's docstring).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// What DuckDB answered to one query.
#[derive(Debug, Clone, PartialEq)]
pub enum DuckResult {
    /// Column types (DuckDB's names) and rows; a cell is `None` for NULL.
    Rows {
        /// DuckDB's type names.
        types: Vec<String>,
        /// The rows.
        rows: Vec<Vec<Option<String>>>,
    },
    /// DuckDB rejected or failed the query.
    Error(String),
}

/// The runner script beside this file.
fn runner() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential/duckdb_runner.py")
}

/// Whether the test must be skipped (`ENGAGEDB_SKIP_DUCKDB=1`); otherwise DuckDB must be importable.
pub fn skip_or_require() -> bool {
    if std::env::var("ENGAGEDB_SKIP_DUCKDB").is_ok_and(|v| v == "1") {
        eprintln!("differential test skipped: ENGAGEDB_SKIP_DUCKDB=1");
        return true;
    }
    let ok = Command::new("python3")
        .args(["-c", "import duckdb"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "the differential test needs Python 3 with DuckDB: run `python3 -m pip install duckdb` \
         (or set ENGAGEDB_SKIP_DUCKDB=1 to skip it)"
    );
    false
}

/// A runner started on a district's tables and queries; [`Pending::wait`] collects its answers.
pub struct Pending {
    child: Child,
    out: PathBuf,
    count: usize,
}

/// Starts DuckDB on `queries` against the tables in `tables_dir` (files go into `work`).
pub fn start(tables_dir: &Path, work: &Path, queries: &[String]) -> Pending {
    let qpath = work.join("queries.csv");
    let out = work.join("duckdb_results.csv");
    {
        let mut w = csv::Writer::from_path(&qpath).expect("queries.csv");
        for (i, q) in queries.iter().enumerate() {
            w.write_record([i.to_string().as_str(), q.as_str()])
                .expect("write query");
        }
        w.flush().expect("flush queries.csv");
    }
    let child = Command::new("python3")
        .arg(runner())
        .arg(tables_dir)
        .arg(&qpath)
        .arg(&out)
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python3 duckdb_runner.py");
    Pending {
        child,
        out,
        count: queries.len(),
    }
}

impl Pending {
    /// Waits for the runner and parses its results, one per query in order.
    pub fn wait(self) -> Vec<DuckResult> {
        let output = self.child.wait_with_output().expect("wait for the DuckDB runner");
        assert!(
            output.status.success(),
            "the DuckDB runner failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        let mut results: Vec<Option<DuckResult>> = vec![None; self.count];
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_path(&self.out)
            .expect("runner output");
        for rec in reader.records() {
            let rec = rec.expect("runner output is CSV");
            let i: usize = rec[0].parse().expect("query index");
            let fields = rec.iter().skip(2);
            match &rec[1] {
                "E" => results[i] = Some(DuckResult::Error(rec[2].to_string())),
                "C" => {
                    results[i] = Some(DuckResult::Rows {
                        types: fields.map(str::to_string).collect(),
                        rows: Vec::new(),
                    })
                }
                "R" => {
                    let row = fields
                        .map(|f| match f.as_bytes().first() {
                            Some(b'V') => Some(f[1..].to_string()),
                            _ => None,
                        })
                        .collect();
                    match &mut results[i] {
                        Some(DuckResult::Rows { rows, .. }) => rows.push(row),
                        other => panic!("runner row for query {i} without columns: {other:?}"),
                    }
                }
                k => panic!("unknown runner record kind {k}"),
            }
        }
        results
            .into_iter()
            .enumerate()
            .map(|(i, r)| r.unwrap_or_else(|| panic!("the DuckDB runner gave no answer to query {i}")))
            .collect()
    }
}
