//! End-to-end import of the public HEd sample (data-lake roster + reconstructed activity export).

mod common;

use std::collections::{BTreeMap, HashSet};

use engine::{col, ValueRef};
use import::activity::parse_timestamp;
use import::{import_activity, import_roster, EventSink, ImportOptions, MemorySink};

fn text(v: ValueRef<'_>) -> Option<String> {
    v.text().map(|s| s.into_owned())
}

#[test]
fn hed_sample_imports_exactly_the_student_signals_once() {
    let data = common::sample_data();
    let sink = MemorySink::default();
    let roster = import_roster(&sink, &data.join("roster/hed_raw")).unwrap();
    assert_eq!(roster.student_enrollments, 3600, "{roster}");

    let activity = data.join("activity/hed_reconstructed_raw/ApplicationUsage_reconstructed.csv.gz");
    let mut last_progress = None;
    let opts = ImportOptions {
        batch_rows: 5000,
        ..ImportOptions::default()
    };
    let summary = import_activity(&sink, &activity, &opts, &mut |p| last_progress = Some(p)).unwrap();
    assert_eq!(summary.rows_read, 78_935, "{summary}");
    assert_eq!(summary.events_stored, 78_603, "{summary}");
    assert_eq!(summary.non_student_skipped, 332);
    assert_eq!(summary.guests_skipped, 0);
    assert_eq!(summary.rows_rejected, 0, "{:?}", summary.errors);
    assert_eq!(summary.assignments_recorded, 332);
    let progress = last_progress.unwrap();
    assert_eq!(progress.bytes_read, progress.total_bytes);
    assert_eq!(progress.total_bytes, std::fs::metadata(&activity).unwrap().len());

    let events = sink.events();
    assert_eq!(events.len(), 78_603);
    let events = &events;
    let column = |c: usize| (0..events.len()).map(move |i| events.columns[c].get(i));
    let students: HashSet<_> = column(col::STUDENT).filter_map(text).collect();
    let classes: HashSet<_> = column(col::CLASS).filter_map(text).collect();
    assert_eq!(students.len(), 600);
    assert_eq!(classes.len(), 87);
    let times = events.times();
    assert_eq!(
        times.iter().min().copied(),
        Some(parse_timestamp("2022-01-03 00:00:00").unwrap())
    );
    assert_eq!(
        times.iter().max().copied(),
        Some(parse_timestamp("2022-02-05 16:29:00").unwrap())
    );
    let mut by_app = BTreeMap::new();
    for app in column(col::APP).filter_map(text) {
        *by_app.entry(app).or_insert(0) += 1;
    }
    let expected: BTreeMap<String, i32> = [
        ("Assignments", 38_868),
        ("SharePoint Online", 8_615),
        ("Teams", 20_950),
        ("TeamsMeeting", 10_170),
    ]
    .into_iter()
    .map(|(a, n)| (a.to_string(), n))
    .collect();
    assert_eq!(by_app, expected);
    // Every class of the sample is in the roster, so every event has a school.
    assert_eq!(column(col::SCHOOL).filter(|v| *v == ValueRef::Null).count(), 0);
    assert_eq!(sink.assignments().len(), 332);
    let roster = sink.roster().unwrap().unwrap();
    let student_enrollments = roster
        .enrollments
        .iter()
        .filter(|e| e.role == engine::roster::Role::Student)
        .count();
    assert_eq!(student_enrollments, 3600);

    let again = import_activity(&sink, &activity, &opts, &mut |_| {}).unwrap();
    assert_eq!(again.events_stored, 0, "{again}");
    assert_eq!(again.duplicates_dropped, 78_603);
    assert_eq!(sink.events().len(), 78_603);
    assert_eq!(sink.assignments().len(), 332);
}

#[test]
fn dedup_cache_stays_correct_when_partitions_are_evicted() {
    let data = common::sample_data();
    let activity = data.join("activity/hed_reconstructed_raw/ApplicationUsage_reconstructed.csv.gz");
    // One-day partitions and a cache of two: the sample spans 34 days, so sets are evicted and
    // reloaded from the store; nothing may be stored twice.
    let sink = MemorySink::default();
    import_roster(&sink, &data.join("roster/hed_raw")).unwrap();
    let opts = ImportOptions {
        batch_rows: 1000,
        dedup_partitions_cached: 2,
        ..ImportOptions::default()
    };
    let first = import_activity(&sink, &activity, &opts, &mut |_| {}).unwrap();
    let loads_first = sink.signal_id_loads();
    let second = import_activity(&sink, &activity, &opts, &mut |_| {}).unwrap();
    assert_eq!(first.events_stored, 78_603);
    assert_eq!(second.events_stored, 0);
    assert!(sink.signal_id_loads() > loads_first);
    assert_eq!(sink.events().len(), 78_603);
}

#[test]
fn results_do_not_depend_on_piece_size_or_thread_count() {
    let data = common::sample_data();
    let activity = data.join("activity/hed_reconstructed_raw/ApplicationUsage_reconstructed.csv.gz");
    let import_with = |piece_bytes: usize, parse_threads: usize| {
        let sink = MemorySink::default();
        import_roster(&sink, &data.join("roster/hed_raw")).unwrap();
        let opts = ImportOptions {
            piece_bytes,
            parse_threads,
            batch_rows: 3000,
            ..ImportOptions::default()
        };
        let summary = import_activity(&sink, &activity, &opts, &mut |_| {}).unwrap();
        (summary, sink.events())
    };
    let (one, events) = import_with(1 << 30, 1);
    assert_eq!(one.events_stored, 78_603);
    for (piece, threads) in [(64 << 10, 2), (20_000, 3), (4 << 20, 8)] {
        let (other, other_events) = import_with(piece, threads);
        assert_eq!(other, one, "pieces of {piece} bytes, {threads} threads");
        assert!(
            other_events == events,
            "same events in the same order ({piece} bytes, {threads} threads)"
        );
    }
}
