//! WAL benchmarks: the batch codec alone, and durable appends (real fsync in a temp dir) of 10k-row batches
//! from 1 and 4 concurrent writers, reported in rows per second.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use engine::wal::codec::{check_encodable, decode_batch, encode_batch};
use engine::wal::{Wal, WalOptions};
use engine::{col, BatchBuilder, EventBatch, ValueRef};

const ROWS: usize = 10_000;

const APPS: [(&str, &str); 10] = [
    ("Teams", "VisitTeamChannel"),
    ("Teams", "PostChannelMessage"),
    ("Teams", "JoinMeeting"),
    ("Assignments", "SubmitAssignment"),
    ("Assignments", "ViewAssignment"),
    ("OneNote", "EditClassNotebook"),
    ("Reading Progress", "ReadingProgressAttempt"),
    ("Reflect", "ReflectCheckIn"),
    ("Word", "EditDocument"),
    ("Insights", "ViewDashboard"),
];

/// A deterministic pseudo-random stream, so every run encodes the same bytes.
fn mix(x: u64) -> u64 {
    let x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// `rows` events shaped like the real export: 36-char signal ids, 32-hex student ids, ~10 apps/signals,
/// class and school on most rows, a grade or meeting length on some.
fn realistic_batch(rows: usize, salt: u64) -> EventBatch {
    let mut builder = BatchBuilder::new();
    let classes: Vec<String> = (0..40)
        .map(|c| format!("{:032x}", mix(c + 1_000) as u128 * 7))
        .collect();
    for i in 0..rows {
        let r = mix(salt * 1_000_003 + i as u64);
        let h = mix(r) as u128;
        let signal_id = format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            h >> 96,
            (h >> 80) & 0xffff,
            (h >> 64) & 0xffff,
            (h >> 48) & 0xffff,
            h & 0xffff_ffff_ffff
        );
        let student = format!("{:032x}", mix(r % 5_000) as u128 * 0x9e37_79b9);
        let (app, signal) = APPS[(r % APPS.len() as u64) as usize];
        let mut row = vec![ValueRef::Null; col::COUNT];
        row[col::TIME] = ValueRef::Int(1_700_000_000_000_000 + (salt * ROWS as u64 + i as u64) as i64 * 1_000);
        row[col::SIGNAL_ID] = ValueRef::Text(&signal_id);
        row[col::SIGNAL] = ValueRef::Text(signal);
        row[col::APP] = ValueRef::Text(app);
        row[col::STUDENT] = ValueRef::Text(&student);
        if !r.is_multiple_of(10) {
            row[col::CLASS] = ValueRef::Text(&classes[(r % 40) as usize]);
            row[col::SCHOOL] = ValueRef::Text("Contoso High School");
        }
        if signal == "SubmitAssignment" {
            row[col::GRADE] = ValueRef::Double((r % 100) as f64);
        }
        if signal == "JoinMeeting" {
            row[col::MEETING_SECONDS] = ValueRef::Int((r % 3_600) as i64);
        }
        builder.push_row(&row).expect("benchmark rows match the schema");
    }
    builder.finish()
}

fn codec(c: &mut Criterion) {
    let batch = realistic_batch(ROWS, 1);
    let mut encoded = Vec::new();
    encode_batch(&batch, &mut encoded);
    println!("encoded 10k-row batch: {} bytes", encoded.len());
    let mut group = c.benchmark_group("wal_codec");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("encode_10k_rows", |b| {
        let mut out = Vec::with_capacity(encoded.len());
        b.iter(|| {
            out.clear();
            encode_batch(&batch, &mut out);
            out.len()
        })
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
