//! Throughput of the district data generator: rows per second for a ≈200k-row data set written to a
//! temporary directory (roster included, plain CSV and gzip).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use import::generate::{generate, GenerateOptions};

fn bench_generate(c: &mut Criterion) {
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => panic!("cannot create a temporary directory: {e}"),
    };
    let mut group = c.benchmark_group("generate");
    group.sample_size(10);
    for gzip in [false, true] {
        let opts = GenerateOptions {
            students: 2000,
            days: 25,
            gzip,
            ..GenerateOptions::new(dir.path())
        };
        let rows = match generate(&opts) {
            Ok(summary) => summary.activity_rows,
            Err(e) => panic!("generation failed: {e}"),
        };
        group.throughput(Throughput::Elements(rows));
        let name = if gzip { "200k_rows_gzip" } else { "200k_rows_csv" };
        group.bench_function(name, |b| b.iter(|| generate(&opts)));
    }
    group.finish();
}

criterion_group!(benches, bench_generate);
criterion_main!(benches);
