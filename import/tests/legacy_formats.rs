//! The older activity files of the public samples: the 19-column layout, quoted fields, and an
//! export whose StartTime column was damaged upstream.

mod common;

use import::{import_activity, ImportOptions, MemorySink};

fn import(path: &str) -> (MemorySink, import::ImportSummary) {
    let sink = MemorySink::default();
    let file = common::sample_data().join(path);
    let summary = import_activity(&sink, &file, &ImportOptions::default(), &mut |_| {}).unwrap();
    (sink, summary)
}

#[test]
fn legacy_19_column_layout_parses() {
    // No roster: actors count by ActorRole. Part 1 is all students, part 2 all teachers.
    let (sink, part1) = import("activity/legacy_m365_hello_world/Activity_part1.csv");
    assert_eq!(
        (part1.rows_read, part1.events_stored, part1.rows_rejected),
        (5100, 5100, 0),
        "{part1}"
    );
    let events = sink.events();
    let seconds = &events.columns[engine::col::MEETING_SECONDS];
    assert_eq!(seconds.get(0), engine::ValueRef::Int(61)); // MeetingDuration 00:01:01
    assert_eq!(
        events.columns[engine::col::CLASS].get(0),
        engine::ValueRef::Text("sec4")
    ); // SisClassId wins
    let (_, part2) = import("activity/legacy_m365_hello_world/Activity_part2.csv");
    assert_eq!(
        (part2.events_stored, part2.non_student_skipped, part2.rows_rejected),
        (0, 576, 0),
        "{part2}"
    );
}

#[test]
fn quoted_2021_sample_drops_guests_and_duplicates() {
    let (_, s) = import("activity/sample_2021_raw_format/ApplicationUsage.csv");
    assert_eq!(
        (s.rows_read, s.events_stored, s.guests_skipped, s.rows_rejected),
        (5, 2, 3, 0),
        "{s}"
    );
}

#[test]
fn damaged_start_times_are_rejected_row_by_row() {
    let (sink, s) = import("activity/legacy_premium_2021/ApplicationUsage.csv");
    assert_eq!(
        (s.rows_read, s.rows_rejected, s.events_stored),
        (13_560, 13_560, 0),
        "{s}"
    );
    assert_eq!(s.errors.len(), 20);
    assert_eq!(s.errors[0].line, 1);
    assert!(
        s.errors[0]
            .reason
            .contains("bad StartTime: \"53:51.0\" is not a timestamp"),
        "{}",
        s.errors[0]
    );
    assert!(sink.events().is_empty());
}
