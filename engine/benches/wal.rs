//! WAL benchmarks: the batch codec alone, and durable appends (real fsync in a temp dir) of 10k-row batches
//! from 1 and 4 concurrent writers, reported in rows per second.

mod common;

use std::time::{Duration, Instant};

use common::District;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use engine::wal::codec::{check_encodable, decode_batch, encode_batch};
use engine::wal::{Wal, WalOptions};
use engine::EventBatch;

const ROWS: usize = 10_000;

/// Ten thousand rows of the shared realistic stream (see `common`), batch `k` of 64.
fn realistic_batch(rows: usize, k: u64) -> EventBatch {
    static DISTRICT: std::sync::OnceLock<District> = std::sync::OnceLock::new();
    DISTRICT
        .get_or_init(District::standard)
        .batch(k * rows as u64, rows, 64 * rows as u64, 34)
}

fn codec(c: &mut Criterion) {
    let batch = realistic_batch(ROWS, 1);
    let mut encoded = Vec::new();
    encode_batch(&batch, &mut encoded);
    println!("encoded 10k-row batch: {} bytes", encoded.len());
    let mut group = c.benchmark_group("wal_codec");
    group.throughput(Throughput::Elements(ROWS as u64));
    // Text id columns, and what the WAL gets from `Db::append` and the importer: id columns already
    // parsed into UUIDs.
    let mut parsed = batch.clone();
    parsed.parse_uuid_columns();
    for (name, input) in [("encode_10k_rows", &batch), ("encode_10k_rows_uuid_columns", &parsed)] {
        group.bench_function(name, |b| {
            let mut out = Vec::with_capacity(encoded.len());
            b.iter(|| {
                out.clear();
                encode_batch(input, &mut out);
                out.len()
            })
        });
    }
    group.bench_function("parse_uuid_columns_10k_rows", |b| {
        b.iter_batched(
            || batch.clone(),
            |mut text| {
                text.parse_uuid_columns();
                text
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.bench_function("check_encodable_10k_rows", |b| {
        b.iter(|| check_encodable(&batch).is_ok())
    });
    group.bench_function("decode_10k_rows", |b| {
        b.iter(|| decode_batch(&encoded).expect("decodes").len())
    });
    group.finish();
}

fn durable_append(c: &mut Criterion) {
    let batches: Vec<EventBatch> = (0..4).map(|w| realistic_batch(ROWS, w + 10)).collect();
    let mut group = c.benchmark_group("wal_durable_append");
    group.sample_size(10).measurement_time(Duration::from_secs(5));
    for writers in [1usize, 4] {
        group.throughput(Throughput::Elements((ROWS * writers) as u64));
        group.bench_with_input(BenchmarkId::new("writers", writers), &writers, |b, &writers| {
            let dir = tempfile::tempdir().expect("temp dir");
            let wal = Wal::open(WalOptions::new(dir.path()), 0, |_, _| Ok(())).expect("opening the WAL");
            b.iter_custom(|iters| {
                let start = Instant::now();
                std::thread::scope(|scope| {
                    for batch in &batches[..writers] {
                        let wal = &wal;
                        scope.spawn(move || {
                            for _ in 0..iters {
                                wal.append(batch).expect("durable append");
                            }
                        });
                    }
                });
                let elapsed = start.elapsed();
                wal.remove_through(wal.last_seq())
                    .expect("dropping benchmark WAL files");
                elapsed
            });
        });
    }
    group.finish();
}

criterion_group!(benches, codec, durable_append);
criterion_main!(benches);
