//! End-to-end behaviour of the embedded database: durability across reopen, flush, compaction under
//! concurrent reads, retention, catalog rebuild, roster re-resolution and the scan API.

use std::sync::Arc;

use engine::roster::{Assignment, Class, Roster};
use engine::{col, BatchBuilder, Db, DbOptions, EventBatch, IndexFilter, ScanRequest, ValueRef};

const DAY: i64 = 86_400_000_000;
const T0: i64 = 1_641_168_000_000_000; // 2022-01-03 00:00:00 UTC

fn opts() -> DbOptions {
    DbOptions {
        background_compaction: false,
        memtable_rows: 1 << 30,
        ..DbOptions::default()
    }
}

/// Class `k`'s id: a UUID, as in real data, so classes (and students) go through the store's shared
/// dictionaries.
fn class_id(k: usize) -> String {
    format!("00000000-0000-4000-8000-{k:012}")
}

/// `n` rows starting at `first`, spread over `days` days, 7 classes, 30 students, 3 schools (class 6 has none).
fn batch(first: usize, n: usize, days: i64) -> EventBatch {
    batch_from(T0, first, n, days)
}

/// Like [`batch`], with the days counted from `start` instead of `T0`.
fn batch_from(start: i64, first: usize, n: usize, days: i64) -> EventBatch {
    let mut b = BatchBuilder::new();
    for i in first..first + n {
        let id = format!("sig-{i}");
        let student = format!("5{:07x}-0000-4000-8000-0000000000aa", i % 30);
        let class = class_id(i % 7);
        let school = format!("school{}", (i % 7) % 3);
        let mut row = vec![ValueRef::Null; col::COUNT];
        row[col::TIME] = ValueRef::Int(start + (i as i64 % days) * DAY + (i as i64 % 86_400) * 1_000_000);
        row[col::SIGNAL_ID] = ValueRef::Text(&id);
        row[col::SIGNAL] = ValueRef::Text("VisitTeamChannel");
        row[col::APP] = ValueRef::Text(if i % 2 == 0 { "Teams" } else { "Assignments" });
        row[col::STUDENT] = ValueRef::Text(&student);
        row[col::CLASS] = ValueRef::Text(&class);
        if i % 7 != 6 {
            row[col::SCHOOL] = ValueRef::Text(&school);
        }
        b.push_row(&row).unwrap();
    }
    b.finish()
}

/// Rows whose indexed `column` holds `value`.
fn filter(column: usize, value: &str) -> ScanRequest {
    ScanRequest {
        filters: vec![IndexFilter {
            column,
            values: vec![value.into()],
        }],
        ..Default::default()
    }
}

fn class_filter(k: usize) -> ScanRequest {
    filter(col::CLASS, &class_id(k))
}

#[test]
fn acknowledged_rows_survive_reopen_without_close() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Db::open(dir.path(), opts()).unwrap();
        db.append(batch(0, 500, 3)).unwrap();
        db.flush().unwrap();
        db.append(batch(500, 300, 3)).unwrap();
        assert_eq!(db.snapshot().unwrap().rows(), 800);
        // dropped without close: the last 300 rows live only in the WAL
    }
    let db = Db::open(dir.path(), opts()).unwrap();
    let snap = db.snapshot().unwrap();
    assert_eq!(snap.rows(), 800);
    assert_eq!(db.buffered_rows(), 300);
    db.close().unwrap();
    drop(db);
    let db = Db::open(dir.path(), opts()).unwrap();
    assert_eq!(db.snapshot().unwrap().rows(), 800);
    assert_eq!(db.buffered_rows(), 0);
}

#[test]
fn flush_writes_one_segment_per_partition_and_scan_prunes() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    db.append(batch(0, 1000, 4)).unwrap();
    db.flush().unwrap();
    let snap = db.snapshot().unwrap();
    assert_eq!(snap.segments(None, None).len(), 4);
    assert_eq!(snap.segments(Some(T0 + DAY), Some(T0 + 2 * DAY - 1)).len(), 1);
    let day1 = ScanRequest {
        from: Some(T0 + DAY),
        to: Some(T0 + 2 * DAY),
        ..Default::default()
    };
    assert_eq!(snap.count(&day1).unwrap(), 250);
    assert_eq!(
        snap.count(&class_filter(3)).unwrap(),
        (0..1000).filter(|i| i % 7 == 3).count() as u64
    );
    let both = ScanRequest {
        filters: class_filter(3).filters,
        ..day1
    };
    assert_eq!(
        snap.count(&both).unwrap(),
        (0..1000).filter(|i| i % 7 == 3 && i % 4 == 1).count() as u64
    );
    let unindexed = ScanRequest {
        filters: vec![IndexFilter {
            column: col::GRADE,
            values: vec![],
        }],
        ..Default::default()
    };
    assert!(snap.scan(&unindexed).is_err());
}

#[test]
fn compaction_merges_partitions_while_readers_keep_their_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    for k in 0..5 {
        db.append(batch(k * 200, 200, 2)).unwrap();
        db.flush().unwrap();
    }
    let before = db.snapshot().unwrap();
    assert_eq!(before.segments(None, None).len(), 10);
    let expected = before.count(&class_filter(2)).unwrap();
    let reader_db = db.clone();
    let reader = std::thread::spawn(move || {
        for _ in 0..50 {
            let snap = reader_db.snapshot().unwrap();
            assert_eq!(snap.rows(), 1000);
            assert_eq!(snap.count(&class_filter(2)).unwrap(), expected);
        }
    });
    let stats = db.compact().unwrap();
    reader.join().unwrap();
    assert_eq!(stats.partitions_merged, 2);
    assert_eq!(stats.segments_removed, 10);
    // The old snapshot still reads its (now deleted) segments.
    assert_eq!(before.count(&class_filter(2)).unwrap(), expected);
    let after = db.snapshot().unwrap();
    assert_eq!(after.segments(None, None).len(), 2);
    assert_eq!(after.count(&class_filter(2)).unwrap(), expected);
    drop(db);
    let db = Db::open(dir.path(), opts()).unwrap();
    assert_eq!(db.snapshot().unwrap().segments(None, None).len(), 2);
    assert_eq!(db.snapshot().unwrap().rows(), 1000);
}

#[test]
fn retention_drops_whole_old_partitions() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    db.append(batch(0, 300, 3)).unwrap();
    db.flush().unwrap();
    // "now" is the end of day 3; keep one day: days 0 and 1 end before the cutoff.
    let dropped = db.apply_retention(T0 + 3 * DAY, Some(DAY)).unwrap();
    assert_eq!(dropped, 200);
    assert_eq!(db.snapshot().unwrap().rows(), 100);
    assert_eq!(
        db.apply_retention(T0 + 3 * DAY, None).unwrap(),
        0,
        "no configured retention: nothing dropped"
    );
}

#[test]
fn lost_catalog_is_rebuilt_from_segment_files() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Db::open(dir.path(), opts()).unwrap();
        db.append(batch(0, 400, 2)).unwrap();
        db.close().unwrap();
        db.append(batch(400, 10, 2)).unwrap(); // only in the WAL
    }
    std::fs::remove_dir_all(dir.path().join("catalog")).unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    let snap = db.snapshot().unwrap();
    assert_eq!(
        snap.rows(),
        410,
        "segments found again, WAL replayed after their max_seq, nothing twice"
    );
}

#[test]
fn orphan_segment_from_interrupted_flush_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Db::open(dir.path(), opts()).unwrap();
        db.append(batch(0, 100, 1)).unwrap();
        db.flush().unwrap();
        db.append(batch(100, 50, 1)).unwrap();
    }
    // Simulate a crash after a segment file was written but before the manifest recorded it.
    let segs = dir.path().join("segments");
    let existing = std::fs::read_dir(&segs).unwrap().next().unwrap().unwrap().path();
    std::fs::copy(&existing, segs.join("00000000000000ff.seg")).unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    assert_eq!(db.snapshot().unwrap().rows(), 150);
    assert!(!segs.join("00000000000000ff.seg").exists());
}

#[test]
fn replacing_the_roster_resolves_unknown_schools() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    db.append(batch(0, 700, 2)).unwrap();
    db.flush().unwrap();
    let null_school = |db: &Arc<Db>| {
        let snap = db.snapshot().unwrap();
        let mut n = 0;
        for s in snap.segments(None, None) {
            let col = s.text_column(col::SCHOOL).unwrap();
            n += (0..s.num_rows()).filter(|&r| col.value(r).is_none()).count();
        }
        n
    };
    assert_eq!(null_school(&db), 100);
    let roster = Roster {
        classes: vec![Class {
            id: class_id(6),
            name: "Six".into(),
            school: Some("school9".into()),
        }],
        ..Roster::default()
    };
    let update = db.replace_roster(roster.clone()).unwrap();
    assert_eq!(update.events_resolved, 100);
    assert_eq!(null_school(&db), 0);
    let school9 = filter(col::SCHOOL, "school9");
    assert_eq!(db.snapshot().unwrap().count(&school9).unwrap(), 100);
    drop(db);
    let db = Db::open(dir.path(), opts()).unwrap();
    assert_eq!(*db.roster().unwrap(), roster);
    assert_eq!(db.snapshot().unwrap().count(&school9).unwrap(), 100);
}

#[test]
fn assignments_keep_the_first_of_each_id_in_id_order_across_calls_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    let assignment = |id: &str, class: &str| Assignment {
        id: id.into(),
        class: Some(class.into()),
        due: Some(T0),
        assigned_at: None,
    };
    let first = vec![assignment("b", "c1"), assignment("a", "c1"), assignment("b", "later")];
    assert_eq!(db.add_assignments(&first).unwrap(), 2);
    let second = vec![assignment("a", "later"), assignment("c", "c2")];
    assert_eq!(db.add_assignments(&second).unwrap(), 1);
    assert_eq!(db.add_assignments(&second).unwrap(), 0);
    let expected = vec![assignment("a", "c1"), assignment("b", "c1"), assignment("c", "c2")];
    let snapshot = db.snapshot().unwrap();
    assert_eq!(snapshot.assignments(), expected.as_slice());
    db.close().unwrap();
    drop((db, snapshot));
    let db = Db::open(dir.path(), opts()).unwrap();
    assert_eq!(db.snapshot().unwrap().assignments(), expected.as_slice());
    assert_eq!(db.add_assignments(&[assignment("b", "again")]).unwrap(), 0);
}

/// Loaded rows skip the WAL: the de-duplicating importer sees their signal ids at once, readers see
/// them once written, and a crash before the write loses them (and only them) — what `Db::load` promises.
#[test]
fn loaded_rows_are_seen_by_signal_id_at_once_and_by_readers_once_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    db.append(batch(0, 10, 2)).unwrap();
    db.load(vec![batch(10, 20, 2), batch(30, 20, 2)]).unwrap();
    assert_eq!(db.loaded_rows_buffered(), 40);
    assert_eq!(
        db.snapshot().unwrap().rows(),
        10,
        "loaded rows are not visible before they are written"
    );
    let ids = db.signal_ids_in_partition(T0).unwrap();
    assert_eq!(ids.len(), 25, "the day-0 ids of the appended and the loaded rows");
    assert!(ids.contains("sig-48") && ids.contains("sig-8"));
    db.write_loaded().unwrap();
    assert_eq!(db.loaded_rows_buffered(), 0);
    assert_eq!(db.snapshot().unwrap().rows(), 50);
    assert_eq!(
        db.buffered_rows(),
        10,
        "writing loaded rows leaves the logged ones to the flusher"
    );
    db.load(vec![batch(50, 7, 2)]).unwrap();
    drop(db); // a crash: the last load was never written
    let db = Db::open(dir.path(), opts()).unwrap();
    let snapshot = db.snapshot().unwrap();
    assert_eq!(
        snapshot.rows(),
        50,
        "written loads and logged appends survive, the unwritten load does not"
    );
    assert_eq!(snapshot.count(&class_filter(3)).unwrap(), 7);
    drop(snapshot);
    db.load(vec![batch(50, 7, 2)]).unwrap();
    db.close().unwrap();
    drop(db);
    assert_eq!(
        Db::open(dir.path(), opts()).unwrap().snapshot().unwrap().rows(),
        57,
        "close writes loads"
    );
}

/// A load larger than the memtable is written partition by partition while it goes on (the partitions
/// it has moved past), so memory stays bounded, and every row ends in its partition's segments.
#[test]
fn a_long_load_is_written_as_it_goes_one_segment_per_partition() {
    let dir = tempfile::tempdir().unwrap();
    let options = DbOptions {
        memtable_rows: 1_000,
        ..opts()
    };
    let db = Db::open(dir.path(), options.clone()).unwrap();
    for day in 0..6 {
        for part in 0..5 {
            let first = (day * 5 + part) * 300;
            db.load(vec![batch_from(T0 + day as i64 * DAY, first, 300, 1)]).unwrap();
            assert!(
                db.loaded_rows_buffered() < 2_000 + 300,
                "{} rows wait",
                db.loaded_rows_buffered()
            );
        }
    }
    assert!(
        db.snapshot().unwrap().rows() > 0,
        "written while loading, not only at the end"
    );
    db.write_loaded().unwrap();
    let snapshot = db.snapshot().unwrap();
    assert_eq!(snapshot.rows(), 9_000);
    for day in 0..6 {
        assert_eq!(rows_in_segments_of_day(&snapshot, day), 1_500, "day {day}");
    }
    assert_eq!(db.signal_ids_in_partition(T0 + 5 * DAY).unwrap().len(), 1_500);
}

/// Rows a snapshot holds in the segments of day `day` (counted from `T0`).
fn rows_in_segments_of_day(snapshot: &engine::Snapshot, day: i64) -> u64 {
    let start = T0 + day * DAY;
    snapshot
        .segments(Some(start), Some(start + DAY))
        .iter()
        .map(|s| s.num_rows() as u64)
        .sum()
}

/// Segments written by loads leave no trace in the WAL, so a store holding only those still has its
/// first WAL file: losing the catalog must still rebuild the manifest from them, not delete them.
#[test]
fn a_lost_catalog_of_a_store_filled_only_by_loads_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Db::open(dir.path(), opts()).unwrap();
        db.load(vec![batch(0, 300, 3)]).unwrap();
        db.close().unwrap();
    }
    std::fs::remove_dir_all(dir.path().join("catalog")).unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    assert_eq!(db.snapshot().unwrap().rows(), 300);
}

#[test]
fn signal_ids_by_partition_cover_segments_and_buffer() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    db.append(batch(0, 10, 2)).unwrap();
    db.flush().unwrap();
    db.append(batch(10, 10, 2)).unwrap();
    let ids = db.signal_ids_in_partition(T0).unwrap();
    let expected: std::collections::HashSet<String> =
        (0..20).filter(|i| i % 2 == 0).map(|i| format!("sig-{i}")).collect();
    assert_eq!(ids, expected);
}

#[test]
fn a_store_keeps_the_partition_granularity_it_was_created_with() {
    let dir = tempfile::tempdir().unwrap();
    let week = DbOptions {
        granularity: engine::Granularity::Week,
        ..opts()
    };
    {
        let db = Db::open(dir.path(), week).unwrap();
        db.append(batch(0, 20, 5)).unwrap(); // Mon 2022-01-03 .. Fri: one ISO week
        db.flush().unwrap();
        db.close().unwrap();
    }
    // Opened later with the default (day) options, it is still week-partitioned: every signal of the
    // week is found under the week's partition, which is what import de-duplication relies on.
    let db = Db::open(dir.path(), opts()).unwrap();
    assert_eq!(db.options().granularity, engine::Granularity::Week);
    assert_eq!(db.signal_ids_in_partition(T0).unwrap().len(), 20);
    assert_eq!(db.snapshot().unwrap().segments(None, None).len(), 1);
}

#[test]
fn background_compaction_runs_after_flushes() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(
        dir.path(),
        DbOptions {
            background_compaction: true,
            ..opts()
        },
    )
    .unwrap();
    // Two flushes of equal size are worth merging (a small flush onto a big segment would wait).
    for k in 0..2 {
        db.append(batch(k * 100, 100, 1)).unwrap();
        db.flush().unwrap();
    }
    let mut segments = usize::MAX;
    for _ in 0..200 {
        segments = db.snapshot().unwrap().segments(None, None).len();
        if segments == 1 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(segments, 1);
    assert_eq!(db.snapshot().unwrap().rows(), 200);
    db.close().unwrap();
}

/// Reads everything a query could touch: every column and every index of every segment, and a
/// class-filtered count.
fn read_everything(db: &Db) -> engine::Result<u64> {
    let snap = db.snapshot()?;
    for s in snap.segments(None, None) {
        s.to_batch()?;
        for (c, def) in engine::EVENT_COLUMNS.iter().enumerate().filter(|(_, d)| d.indexed) {
            if !s.text_column(c)?.dict.is_empty() {
                assert!(s.index_bitmap(c, 0)?.is_some(), "{} is indexed", def.name);
            }
        }
    }
    snap.count(&class_filter(3))
}

#[test]
fn flipped_byte_in_a_segment_is_corruption_naming_the_file_never_a_wrong_answer() {
    let dir = tempfile::tempdir().unwrap();
    let expected = {
        let db = Db::open(dir.path(), opts()).unwrap();
        db.append(batch(0, 2_000, 1)).unwrap();
        db.close().unwrap();
        read_everything(&db).unwrap()
    };
    let segs = dir.path().join("segments");
    let file = std::fs::read_dir(&segs).unwrap().next().unwrap().unwrap().path();
    let original = std::fs::read(&file).unwrap();
    let mut corrupt_at_open = 0;
    let mut corrupt_on_read = 0;
    // Every 211th byte and the last ones (trailer): blocks of every kind, the footer and the trailer.
    let positions = (0..original.len())
        .step_by(211)
        .chain(original.len() - 20..original.len());
    for pos in positions {
        let mut damaged = original.clone();
        damaged[pos] ^= 0x10;
        std::fs::write(&file, &damaged).unwrap();
        let outcome = Db::open(dir.path(), opts()).and_then(|db| {
            let r = read_everything(&db);
            if r.is_err() {
                corrupt_on_read += 1;
            }
            r
        });
        match outcome {
            Err(engine::StorageError::Corruption { file: named, .. }) => {
                assert_eq!(named, file, "byte {pos}: the error names the damaged file");
            }
            Err(other) => panic!("byte {pos}: expected corruption, got {other}"),
            Ok(count) => panic!("byte {pos} flipped but the store answered {count} (intact: {expected})"),
        }
        corrupt_at_open += 1;
    }
    corrupt_at_open -= corrupt_on_read;
    assert!(
        corrupt_at_open > 0 && corrupt_on_read > 0,
        "{corrupt_at_open} at open, {corrupt_on_read} on read"
    );
    std::fs::write(&file, &original).unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    assert_eq!(read_everything(&db).unwrap(), expected);
}

#[test]
fn readers_see_consistent_snapshots_while_appends_flush_and_compact_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(
        dir.path(),
        DbOptions {
            sync: false,
            memtable_rows: 700,
            background_compaction: true,
            ..DbOptions::default()
        },
    )
    .unwrap();
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        for reader in 0..2 {
            let (db, done) = (&db, &done);
            scope.spawn(move || {
                let mut last = 0;
                while !done.load(std::sync::atomic::Ordering::Acquire) {
                    let snap = db.snapshot().unwrap();
                    let rows = snap.rows();
                    assert!(rows >= last, "reader {reader}: rows went from {last} to {rows}");
                    assert_eq!(snap.count(&ScanRequest::default()).unwrap(), rows);
                    // Appends are whole batches of 100 rows, 1 in 7 of class c3.
                    assert_eq!(rows % 100, 0);
                    let c3 = snap.count(&class_filter(3)).unwrap();
                    assert_eq!(c3, (0..rows).filter(|i| i % 7 == 3).count() as u64);
                    last = rows;
                }
            });
        }
        for k in 0..60 {
            db.append(batch(k * 100, 100, 2)).unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::Release);
    });
    db.close().unwrap();
    let snap = db.snapshot().unwrap();
    assert_eq!(snap.rows(), 6_000);
    assert!(
        snap.segments(None, None).len() <= 2 * 8,
        "background compaction keeps partitions small"
    );
}

#[test]
fn snapshots_of_a_growing_memtable_see_every_row_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), DbOptions { sync: false, ..opts() }).unwrap();
    let mut appended = 0;
    for k in 0..12 {
        // Batches of varying size, so runs of them cross the snapshot chunk size at different points.
        let n = [30_000, 7, 41_000, 500][k % 4];
        db.append(batch(appended, n, 3)).unwrap();
        appended += n;
        let snap = db.snapshot().unwrap();
        assert_eq!(snap.rows(), appended as u64);
        assert_eq!(
            snap.count(&class_filter(3)).unwrap(),
            (0..appended).filter(|i| i % 7 == 3).count() as u64
        );
        let in_memory = snap.segments(None, None).iter().filter(|s| s.meta().id == 0).count();
        assert!(in_memory <= 1 + db.buffered_rows() / engine::db::SNAPSHOT_CHUNK_ROWS);
        if k == 7 {
            db.flush().unwrap();
        }
    }
    let ids: std::collections::HashSet<String> = db
        .snapshot()
        .unwrap()
        .segments(None, None)
        .iter()
        .flat_map(|s| {
            let c = s.text_column(col::SIGNAL_ID).unwrap().clone();
            (0..s.num_rows()).map(move |r| c.value(r).unwrap().to_string())
        })
        .collect();
    assert_eq!(ids.len(), appended, "no row shown twice or missed");
}

/// A store of its own in which `rows` were appended and flushed, and the names of its
/// segment files in order: the files a flush of `rows` writes, to copy into a crashed store as the
/// leftovers of a flush interrupted before its commit.
fn flushed_segment_files(rows: &EventBatch, options: DbOptions) -> (tempfile::TempDir, Vec<std::ffi::OsString>) {
    let flushed = tempfile::tempdir().unwrap();
    {
        let db = Db::open(flushed.path(), options).unwrap();
        db.append(rows.clone()).unwrap();
        db.close().unwrap();
    }
    let segments = flushed.path().join("segments");
    let mut names: Vec<_> = std::fs::read_dir(&segments)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().ends_with(".seg"))
        .collect();
    names.sort();
    (flushed, names)
}

/// Retention can empty the manifest of a catalog that is not lost (its flushed WAL sequence stays). A
/// flush interrupted after that, with some partition files written and no commit, leaves an empty
/// manifest beside segment files while the WAL no longer starts at sequence 1: the files are orphans
/// (the WAL still holds their rows), not a lost catalog to rebuild from them.
#[test]
fn an_interrupted_flush_after_retention_emptied_the_store_is_not_taken_for_a_lost_catalog() {
    let options = DbOptions {
        wal_file_bytes: 1, // a WAL file per record, so flushed ones are deleted
        ..opts()
    };
    let rows = batch_from(T0 + 10 * DAY, 1_000, 60, 3);
    let (flushed, names) = flushed_segment_files(&rows, options.clone());
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Db::open(dir.path(), options.clone()).unwrap();
        db.append(batch(0, 30, 1)).unwrap();
        db.append(batch(30, 30, 1)).unwrap();
        db.flush().unwrap();
        assert_eq!(db.apply_retention(T0 + 5 * DAY, Some(DAY)).unwrap(), 60);
        assert_eq!(db.snapshot().unwrap().rows(), 0);
        db.append(rows.clone()).unwrap(); // acknowledged: in the WAL only
    } // the crash, during the flush of `rows`: one partition's file written, no commit
    assert!(!dir.path().join("wal").join("00000000000000000001.wal").exists());
    std::fs::copy(
        flushed.path().join("segments").join(&names[0]),
        dir.path().join("segments").join(&names[0]),
    )
    .unwrap();
    let db = Db::open(dir.path(), options).unwrap();
    assert_eq!(
        db.snapshot().unwrap().rows(),
        60,
        "every row of the batch once, none lost"
    );
}

/// A crash during the very first flush, after some of its segment files were written and before the
/// catalog commit, leaves an empty manifest beside segment files. That is not a lost catalog (the WAL
/// still holds every record): the files are orphans and replay restores every row, exactly once.
#[test]
fn an_interrupted_first_flush_is_not_taken_for_a_lost_catalog() {
    let rows = batch(0, 60, 3);
    // A segment file holding one partition of the batch, as the interrupted flush would have written.
    let (flushed, names) = flushed_segment_files(&rows, opts());
    assert_eq!(names.len(), 3, "one segment per day");
    // The crashed store: the batch acknowledged (in the WAL), one partition's file written, no commit.
    let crashed = tempfile::tempdir().unwrap();
    {
        let db = Db::open(crashed.path(), opts()).unwrap();
        db.append(rows.clone()).unwrap();
    }
    std::fs::copy(
        flushed.path().join("segments").join(&names[0]),
        crashed.path().join("segments").join(&names[0]),
    )
    .unwrap();
    let db = Db::open(crashed.path(), opts()).unwrap();
    assert_eq!(
        db.snapshot().unwrap().rows(),
        rows.len() as u64,
        "every row once, none lost"
    );
    assert!(
        !crashed.path().join("segments").join(&names[0]).exists(),
        "the orphan is deleted"
    );
}

/// Compaction merges outside the maintenance lock, so flushes, retention and roster re-resolution run
/// while a merge is in progress; whatever interleaving happens, every row is stored exactly once (or
/// dropped by retention), also after a reopen.
#[test]
fn compaction_racing_flushes_retention_and_rewrites_keeps_every_row_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), DbOptions { sync: false, ..opts() }).unwrap();
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (db, done) = (&db, &done);
        scope.spawn(move || {
            while !done.load(std::sync::atomic::Ordering::Acquire) {
                db.compact().unwrap();
            }
        });
        for k in 0..40 {
            db.append(batch(k * 50, 50, 4)).unwrap();
            db.flush().unwrap();
            if k == 20 {
                // Class c6 had no school: a rewrite of every segment holding it, mid-stream.
                let classes = (0..7)
                    .map(|c| Class {
                        id: format!("c{c}"),
                        name: format!("Class {c}"),
                        school: Some(format!("school{}", c % 3)),
                    })
                    .collect();
                db.replace_roster(Roster {
                    classes,
                    ..Roster::default()
                })
                .unwrap();
            }
        }
        // Day 0 ends before "end of day 4 minus three days": its rows go.
        db.apply_retention(T0 + 4 * DAY, Some(3 * DAY)).unwrap();
        done.store(true, std::sync::atomic::Ordering::Release);
    });
    let expected = (0..2_000u64).filter(|i| i % 4 != 0).count() as u64;
    let count = |db: &Db| {
        let snap = db.snapshot().unwrap();
        assert_eq!(snap.count(&ScanRequest::default()).unwrap(), snap.rows());
        snap.rows()
    };
    assert_eq!(count(&db), expected);
    db.close().unwrap();
    drop(db);
    let db = Db::open(dir.path(), opts()).unwrap();
    assert_eq!(count(&db), expected);
    db.compact().unwrap();
    assert_eq!(count(&db), expected);
    assert_eq!(
        db.snapshot().unwrap().segments(None, None).len(),
        3,
        "one segment per remaining day"
    );
}

/// Several batches appended together are several records sharing fsyncs: each gets its sequence, all
/// are visible at once and survive a reopen; an invalid one among them appends none.
#[test]
fn batches_appended_together_are_durable_records_and_all_or_nothing_when_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    let first = db.append(batch(0, 10, 1)).unwrap();
    let last = db
        .append_all(vec![
            batch(10, 20, 1),
            batch(30, 30, 1),
            batch(60, 0, 1),
            batch(60, 40, 1),
        ])
        .unwrap();
    assert_eq!(last, first + 3, "one record per non-empty batch");
    assert_eq!(db.snapshot().unwrap().rows(), 100);
    let mut invalid = batch(100, 5, 1);
    invalid.columns.pop();
    assert!(db.append_all(vec![batch(100, 5, 1), invalid]).is_err());
    assert_eq!(db.snapshot().unwrap().rows(), 100);
    drop(db);
    let db = Db::open(dir.path(), opts()).unwrap();
    assert_eq!(db.snapshot().unwrap().rows(), 100);
    assert_eq!(
        db.snapshot().unwrap().count(&class_filter(3)).unwrap(),
        (0..100).filter(|i| i % 7 == 3).count() as u64
    );
}

#[test]
fn students_and_classes_live_in_shared_dictionaries_that_a_store_cannot_read_without() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Db::open(dir.path(), opts()).unwrap();
        db.append(batch(0, 600, 3)).unwrap();
        db.flush().unwrap();
        db.append(batch(600, 300, 3)).unwrap();
        db.flush().unwrap();
        db.compact().unwrap();
        let bytes = db.shared_dictionary_bytes().unwrap();
        let of = |c: usize| bytes.iter().find(|(col, _)| *col == c).map_or(0, |(_, b)| *b);
        assert!(of(col::STUDENT) >= 30 * 16 && of(col::CLASS) >= 7 * 16, "{bytes:?}");
        db.close().unwrap();
    }
    let db = Db::open(dir.path(), opts()).unwrap();
    assert_eq!(
        read_everything(&db).unwrap(),
        (0..900).filter(|i| i % 7 == 3).count() as u64
    );
    let student = filter(col::STUDENT, "50000003-0000-4000-8000-0000000000aa");
    assert_eq!(db.snapshot().unwrap().count(&student).unwrap(), 30);
    drop(db);
    // Losing the dictionaries loses what the segments' ids mean: a Corruption error, never a value.
    std::fs::remove_dir_all(dir.path().join("dictionaries")).unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    let err = read_everything(&db).unwrap_err();
    assert!(matches!(err, engine::StorageError::Corruption { .. }), "{err}");
}

#[test]
fn background_flushes_that_fail_to_store_lose_and_repeat_no_row() {
    let dir = tempfile::tempdir().unwrap();
    let options = DbOptions {
        memtable_rows: 200,
        ..opts()
    };
    let db = Db::open(dir.path(), options.clone()).unwrap();
    // A stream in time order, 100 rows a day in two batches: once 200 rows wait, the background flusher
    // encodes the complete days while the store thread writes and commits the ones before.
    let day = |d: usize| {
        let first = batch_from(T0 + d as i64 * DAY, d * 100, 50, 1);
        let second = batch_from(T0 + d as i64 * DAY, d * 100 + 50, 50, 1);
        [first, second]
    };
    // With the segments directory gone, every store fails: its rows, and those of the flushes encoded
    // behind it, must stay buffered. Once 400 rows wait (twice the memtable), an append flushes first,
    // fails, and stores nothing.
    std::fs::remove_dir_all(dir.path().join("segments")).unwrap();
    let mut acknowledged = std::collections::BTreeSet::new();
    for d in 0..6 {
        for (half, batch) in day(d).into_iter().enumerate() {
            match db.append(batch) {
                Ok(_) => assert!(acknowledged.insert((d, half))),
                Err(e) => assert!(e.to_string().contains("No such file"), "{e}"),
            }
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(db.snapshot().unwrap().rows(), 50 * acknowledged.len() as u64);
    std::fs::create_dir(dir.path().join("segments")).unwrap();
    for d in 6..12 {
        for (half, batch) in day(d).into_iter().enumerate() {
            db.append(batch).unwrap();
            acknowledged.insert((d, half));
        }
    }
    db.close().unwrap();
    drop(db);
    let db = Db::open(dir.path(), options).unwrap();
    let snap = db.snapshot().unwrap();
    assert_eq!(snap.rows(), 50 * acknowledged.len() as u64);
    assert_eq!(
        db.buffered_rows(),
        0,
        "everything was flushed before the close returned"
    );
    for d in 0..12 {
        let ids = db.signal_ids_in_partition(T0 + d as i64 * DAY).unwrap();
        let expected: std::collections::HashSet<String> = (0..2)
            .filter(|half| acknowledged.contains(&(d, *half)))
            .flat_map(|half| d * 100 + half * 50..d * 100 + half * 50 + 50)
            .map(|i| format!("sig-{i}"))
            .collect();
        assert_eq!(ids, expected, "day {d} holds its acknowledged rows");
        assert_eq!(
            rows_in_segments_of_day(&snap, d as i64),
            expected.len() as u64,
            "day {d} is in segments, each row once"
        );
    }
}
