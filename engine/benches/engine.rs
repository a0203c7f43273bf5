//! Whole-engine benchmarks, the figures the storage issue asks for:
//!
//! - `db_durable_ingest`: `Db::append` of realistic 10 k-row batches with the default options (fsync on,
//!   group commit, 1 M-row memtable flushed to segments, background compaction), 1 and 4 appenders; events/s.
//! - `db_scan`: over a compacted store of `ENGAGEDB_BENCH_ROWS` rows (default 10 M; ~20 k students, 800
//!   classes, 10 schools, 34 day partitions): `count(*)` over a time range whose ends fall inside two
//!   partitions (the time column is read on those), and a sum of one column (`meeting_seconds`, then `time`)
//!   over every row, cold (first read after open: checksum + decode) and warm (decoded columns cached).
//! - `db_filtered_count`: `Snapshot::count` with a class filter, a student filter, and class + time range,
//!   warm and cold.
//!
//! Building a segment (rows/s) is `benches/segment.rs`. The scan store is built once per run in a temp dir
//! with `sync: false` (durability is irrelevant to what is measured there, and it makes the setup faster).

mod common;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use common::{bench_rows, District, DAY, DAY0};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use engine::{col, Db, DbOptions, EventBatch, IndexFilter, ScanRequest, Snapshot};

const BATCH: usize = 10_000;
const DAYS: u32 = 34;

fn district() -> &'static District {
    static D: OnceLock<District> = OnceLock::new();
    D.get_or_init(District::standard)
}

fn durable_ingest(c: &mut Criterion) {
    // A live stream in time order, one million events a day: each flush covers about one day, as when
    // a district's export is imported or events arrive as they happen.
    const STREAM_ROWS: u64 = DAYS as u64 * 1_000_000;
    let mut group = c.benchmark_group("db_durable_ingest");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(10))
        .warm_up_time(Duration::from_secs(2));
    for writers in [1usize, 4] {
        // One store per configuration, kept across criterion's warm-up and samples, so flushes to segments
        // and background compactions fall inside the measured appends as they do in a long import.
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Db::open(dir.path(), DbOptions::default()).expect("opening the bench store");
        let mut next = 0u64;
        let mut appended = 0u64;
        group.throughput(Throughput::Elements((BATCH * writers) as u64));
        group.bench_with_input(BenchmarkId::new("writers", writers), &writers, |b, &writers| {
            b.iter_custom(|iters| {
                // Each writer gets its own batches by value (what an importer hands over), generated
                // before the clock starts.
                let work: Vec<Vec<EventBatch>> = (0..writers)
                    .map(|_| {
                        (0..iters)
                            .map(|_| {
                                next = (next + BATCH as u64) % STREAM_ROWS;
                                district().batch(next, BATCH, STREAM_ROWS, DAYS)
                            })
                            .collect()
                    })
                    .collect();
                appended += iters * (BATCH * writers) as u64;
                let start = Instant::now();
                std::thread::scope(|scope| {
                    for batches in work {
                        let db = &db;
                        scope.spawn(move || {
                            for batch in batches {
                                db.append(batch).expect("durable append");
                            }
                        });
                    }
                });
                start.elapsed()
            });
        });
        eprintln!("  ({appended} rows appended, {} still buffered)", db.buffered_rows());
        db.close().expect("closing the bench store");
    }
    group.finish();
}

/// The compacted scan store, built once per run; closed between uses so each bench can open it fresh.
struct Store {
    dir: tempfile::TempDir,
    rows: u64,
}

fn scan_options() -> DbOptions {
    DbOptions {
        sync: false,
        background_compaction: false,
        ..DbOptions::default()
    }
}

fn store() -> &'static Store {
    static S: OnceLock<Store> = OnceLock::new();
    S.get_or_init(|| {
        let rows = bench_rows();
        let dir = tempfile::tempdir().expect("temp dir");
        let started = Instant::now();
        let db = Db::open(dir.path(), scan_options()).expect("opening the scan store");
        let chunk = 100_000usize;
        let (tx, rx) = crossbeam::channel::bounded::<EventBatch>(4);
        std::thread::scope(|scope| {
            scope.spawn(move || {
                let mut first = 0u64;
                while first < rows {
                    let n = chunk.min((rows - first) as usize);
                    if tx.send(district().batch(first, n, rows, DAYS)).is_err() {
                        return;
                    }
                    first += n as u64;
                }
            });
            for batch in rx {
                db.append(batch).expect("appending to the scan store");
            }
        });
        db.flush().expect("flush");
        db.compact().expect("compact");
        let snap = db.snapshot().expect("snapshot");
        let bytes: usize = snap.segments(None, None).iter().map(|s| s.size_bytes()).sum();
        eprintln!(
            "scan store: {} rows in {} segments, {:.1} bytes/event, built in {:.1?}",
            snap.rows(),
            snap.segments(None, None).len(),
            bytes as f64 / snap.rows().max(1) as f64,
            started.elapsed()
        );
        db.close().expect("closing the scan store");
        Store { dir, rows }
    })
}

/// The store opened afresh, as a restarted process sees it: segment files mapped (and, after the first
/// run, in the OS page cache) but no column decoded yet.
fn open_store() -> Arc<Db> {
    Db::open(store().dir.path(), scan_options()).expect("opening the scan store")
}

/// A snapshot of a freshly opened store, and the store (dropped after the measurement).
fn cold_snapshot() -> (Arc<Db>, Snapshot) {
    let db = open_store();
    let snap = db.snapshot().expect("cold snapshot");
    (db, snap)
}

fn time_range() -> ScanRequest {
    // From noon of day 3 to 06:00 of day 30: two straddling partitions, 26 whole ones.
    ScanRequest {
        from: Some(DAY0 + 3 * DAY + DAY / 2),
        to: Some(DAY0 + 30 * DAY + DAY / 4),
        filters: Vec::new(),
    }
}

fn sum_int_column(snap: &Snapshot, column: usize) -> i64 {
    let mut sum = 0i64;
    for unit in snap.scan(&ScanRequest::default()).expect("scan") {
        let c = unit.segment.int_column(column).expect("int column");
        // Every row is selected, and NULL rows hold 0: a plain sum is the SQL sum.
        sum = sum.wrapping_add(c.values.iter().sum::<i64>());
    }
    sum
}

/// Times `f` on a cold snapshot per iteration (opening the store is not timed).
fn cold<T>(iters: u64, f: impl Fn(&Snapshot) -> T) -> Duration {
    let mut elapsed = Duration::ZERO;
    for _ in 0..iters {
        let (db, snap) = cold_snapshot();
        let start = Instant::now();
        black_box(f(&snap));
        elapsed += start.elapsed();
        drop(snap);
        drop(db);
    }
    elapsed
}

fn scans(c: &mut Criterion) {
    let store = store();
    let range = time_range();
    let columns = [("meeting_seconds", col::MEETING_SECONDS), ("time", col::TIME)];
    let mut group = c.benchmark_group("db_scan");
    group.sample_size(20);
    {
        let db = open_store();
        let snap = db.snapshot().expect("snapshot");
        let covered: u64 = snap
            .segments(range.from, range.to.map(|t| t - 1))
            .iter()
            .map(|s| s.num_rows() as u64)
            .sum();
        eprintln!(
            "  count_time_range: {} of {covered} rows in range",
            snap.count(&range).expect("count")
        );
        group.throughput(Throughput::Elements(covered));
        group.bench_function("count_time_range_warm", |b| {
            b.iter(|| snap.count(black_box(&range)).expect("count"))
        });
        group.throughput(Throughput::Elements(store.rows));
        for (name, column) in columns {
            group.bench_function(format!("sum_{name}_warm"), |b| b.iter(|| sum_int_column(&snap, column)));
        }
    }
    group.bench_function("count_time_range_cold", |b| {
        b.iter_custom(|iters| cold(iters, |snap| snap.count(&range).expect("count")))
    });
    for (name, column) in columns {
        group.bench_function(format!("sum_{name}_cold"), |b| {
            b.iter_custom(|iters| cold(iters, |snap| sum_int_column(snap, column)))
        });
    }
    group.finish();
}

fn filtered_counts(c: &mut Criterion) {
    let d = district();
    let filter = |column: usize, value: &str| IndexFilter {
        column,
        values: vec![value.to_string()],
    };
    let requests = [
        (
            "class",
            ScanRequest {
                filters: vec![filter(col::CLASS, &d.classes[17].0)],
                ..Default::default()
            },
        ),
        (
            "student",
            ScanRequest {
                filters: vec![filter(col::STUDENT, &d.students[4242].0)],
                ..Default::default()
            },
        ),
        (
            "class_and_time_range",
            ScanRequest {
                filters: vec![filter(col::CLASS, &d.classes[17].0)],
                ..time_range()
            },
        ),
    ];
    let mut group = c.benchmark_group("db_filtered_count");
    group.sample_size(50);
    {
        let db = open_store();
        let snap = db.snapshot().expect("snapshot");
        for (name, req) in &requests {
            eprintln!("  {name}: {} rows match", snap.count(req).expect("count"));
            group.bench_function(format!("{name}_warm"), |b| {
                b.iter(|| snap.count(black_box(req)).expect("count"))
            });
        }
    }
    group.sample_size(10);
    for (name, req) in &requests {
        group.bench_function(format!("{name}_cold"), |b| {
            b.iter_custom(|iters| cold(iters, |snap| snap.count(req).expect("count")))
        });
    }
    group.finish();
}

criterion_group!(benches, scans, filtered_counts, durable_ingest);
criterion_main!(benches);
