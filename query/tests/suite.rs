//! The engagement query suite (`shared/queries/q01…q15`), run as written on the imported public HEd
//! sample, must reproduce `shared/queries/expected/` exactly (floats to 1e-9 relative).

mod common;

use query::format::to_csv;
use query::QueryEngine;

#[test]
fn suite_reproduces_expected_answers_on_hed_sample() {
    let engine = QueryEngine::new(common::hed_store());
    let dir = common::shared().join("queries");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("queries dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 15, "the suite has 15 queries");
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("?").to_string();
        let sql = std::fs::read_to_string(path).expect("read query");
        let expected = std::fs::read_to_string(dir.join("expected").join(format!("{name}.csv"))).expect("expected csv");
        match engine.query(&sql) {
            Ok(result) => {
                if let Some(diff) = common::csv_diff(&to_csv(&result), &expected) {
                    failures.push(format!("{name}: {diff}"));
                }
            }
            Err(e) => failures.push(format!("{name}: error: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 15 suite queries differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
