//! Shared setup of the query tests: locating `../shared`, loading the public HEd sample into a store
//! once per test binary, and comparing CSV results with float tolerance.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use engine::{Db, DbOptions};

/// `shared/` beside the checkout (found by walking up from this crate).
pub fn shared() -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    loop {
        let candidate = dir.join("shared");
        if candidate.join("queries").is_dir() && candidate.join("data/oea-insights").is_dir() {
            return candidate;
        }
        assert!(
            dir.pop(),
            "shared/ (queries and data) not found above {}",
            env!("CARGO_MANIFEST_DIR")
        );
    }
}

struct Store {
    _dir: tempfile::TempDir,
    db: Arc<Db>,
}

/// The HEd sample (activity export + data-lake roster) imported into an embedded store, once.
pub fn hed_store() -> Arc<Db> {
    static STORE: OnceLock<Store> = OnceLock::new();
    STORE
        .get_or_init(|| {
            let data = shared().join("data/oea-insights");
            let dir = tempfile::tempdir().expect("temp dir");
            let opts = DbOptions {
                background_compaction: false,
                sync: false,
                ..DbOptions::default()
            };
            let db = Db::open(dir.path(), opts).expect("open store");
            import::import_roster(db.as_ref(), &data.join("roster/hed_raw")).expect("roster");
            let file = data.join("activity/hed_reconstructed_raw/ApplicationUsage_reconstructed.csv.gz");
            import::import_activity(db.as_ref(), &file, &import::ImportOptions::default(), &mut |_| {})
                .expect("activity");
            db.flush().expect("flush");
            Store { _dir: dir, db }
        })
        .db
        .clone()
}

/// Parses CSV text into rows of fields (header included).
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    r.records()
        .map(|rec| rec.expect("valid CSV").iter().map(str::to_string).collect())
        .collect()
}

/// Whether two CSV fields agree: equal text, or numbers within 1e-9 relative.
pub fn fields_match(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1e-300),
        _ => false,
    }
}

/// Describes how `got` differs from `want` (both CSV), or `None` if they match.
pub fn csv_diff(got: &str, want: &str) -> Option<String> {
    let (g, w) = (parse_csv(got), parse_csv(want));
    if g.len() != w.len() {
        return Some(format!(
            "{} rows, expected {}\n--- got\n{got}--- expected\n{want}",
            g.len(),
            w.len()
        ));
    }
    for (i, (gr, wr)) in g.iter().zip(&w).enumerate() {
        let same = gr.len() == wr.len() && gr.iter().zip(wr).all(|(a, b)| fields_match(a, b));
        if !same {
            return Some(format!("row {i}: got {gr:?}, expected {wr:?}"));
        }
    }
    None
}
