//! Parse time of the engagement suite's queries, one benchmark each, plus a 10 000-item IN list.

use std::path::PathBuf;

use criterion::{black_box, criterion_group, criterion_main, Criterion};

/// `shared/queries`, found by walking up from the crate directory.
fn suite_dir() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .map(|dir| dir.join("shared/queries"))
        .find(|dir| dir.is_dir())
        .expect("shared/queries beside the repository")
}

fn suite(c: &mut Criterion) {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(suite_dir())
        .expect("read shared/queries")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "sql"))
        .collect();
    paths.sort();
    let mut group = c.benchmark_group("parse");
    for path in paths {
        let sql = std::fs::read_to_string(&path).expect("read query");
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        group.bench_function(name, |b| {
            b.iter(|| query::parse(black_box(&sql)).expect("suite query parses"))
        });
    }
    let list: Vec<String> = (0..10_000).map(|k| format!("'value-{k}'")).collect();
    let sql = format!("SELECT count(*) FROM events WHERE student IN ({})", list.join(", "));
    group.bench_function("in_list_10000", |b| {
        b.iter(|| query::parse(black_box(&sql)).expect("parses"))
    });
    group.finish();
}

criterion_group!(benches, suite);
criterion_main!(benches);
