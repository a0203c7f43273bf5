//! Malformed activity input: every bad row is rejected with its line and a clear reason, and the
//! good rows around it are imported.

use std::io::Write;

use import::{import_activity, EventSink, ImportError, ImportOptions, MemorySink};

/// A valid 32-column row of an actor the export marks as a student.
fn row(signal_id: &str) -> String {
    format!(
        "VisitTeamChannel,2022-01-03 10:00:00.1234567,,{signal_id},,CLASS1,,Teams,actor1,Student,1.6,,,,,,,,,,,,,,,,,,,,,"
    )
}

fn import_bytes(content: &[u8]) -> (MemorySink, Result<import::ImportSummary, ImportError>) {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(content).unwrap();
    let sink = MemorySink::default();
    let result = import_activity(&sink, file.path(), &ImportOptions::default(), &mut |_| {});
    (sink, result)
}

#[test]
fn each_kind_of_bad_row_is_rejected_with_line_and_reason() {
    let mut input = Vec::new();
    let mut line = |bytes: &[u8]| {
        input.extend_from_slice(bytes);
        input.push(b'\n');
    };
    line(row("good-1").as_bytes()); // 1
    line(b"VisitTeamChannel,2022-01-03 10:00:00,,truncated,,CLASS1"); // 2
    line(format!("{},extra", row("extra")).as_bytes()); // 3
    line(
        row("bad-time")
            .replace("2022-01-03 10:00:00.1234567", "2022-02-30 10:00:00")
            .as_bytes(),
    ); // 4
    line(row("unicode").replace("Teams", "Téams").as_bytes()); // 5: multi-byte UTF-8 is fine
    let mut bad_utf8 = row("not-utf8").into_bytes();
    bad_utf8.splice(0..0, [0xff, 0xfe]);
    line(&bad_utf8); // 6
    line(&vec![b'x'; 10 * 1024 * 1024]); // 7: a 10 MB line
    line(
        format!(
            "\"quoted,\"\"name\"\"\",{}",
            &row("quoted")["VisitTeamChannel,".len()..]
        )
        .as_bytes(),
    ); // 8
    line(row("good-1").as_bytes()); // 9: duplicate of line 1
    line(row("good-2").as_bytes()); // 10
    let (sink, result) = import_bytes(&input);
    let summary = result.unwrap();
    assert_eq!(summary.rows_read, 10, "{summary}");
    assert_eq!(summary.events_stored, 4, "{summary}");
    assert_eq!(summary.duplicates_dropped, 1);
    assert_eq!(summary.rows_rejected, 5, "{:?}", summary.errors);
    let lines: Vec<u64> = summary.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![2, 3, 4, 6, 7]);
    let reason = |i: usize| summary.errors[i].to_string();
    assert!(
        reason(0).contains("has 6 fields; the rows of this file have 32"),
        "{}",
        reason(0)
    );
    assert!(reason(1).contains("has 33 fields"), "{}", reason(1));
    assert!(
        reason(2).contains("bad StartTime") && reason(2).contains("not a valid date"),
        "{}",
        reason(2)
    );
    assert!(reason(3).contains("invalid UTF-8 at byte 1"), "{}", reason(3));
    assert!(reason(4).contains("longer than 1048576 bytes"), "{}", reason(4));
    assert!(
        reason(0).contains(": line 2: "),
        "errors name the file and line: {}",
        reason(0)
    );
    let events = sink.events();
    assert_eq!(events.len(), 4);
    assert_eq!(
        events.columns[engine::col::SIGNAL].get(2),
        engine::ValueRef::Text("quoted,\"name\"")
    );
    assert_eq!(
        events.columns[engine::col::TIME].get(0),
        engine::ValueRef::Int(1_641_204_000_123_456)
    );
}

#[test]
fn empty_file_is_a_clear_error() {
    let (sink, result) = import_bytes(b"");
    let err = result.unwrap_err();
    assert!(matches!(err, ImportError::EmptyFile { .. }));
    assert!(err.to_string().contains("the file is empty"), "{err}");
    assert!(sink.events().is_empty());
}

#[test]
fn gzip_input_is_detected_by_its_magic_bytes() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(format!("{}\r\n{}\r\n", row("a"), row("b")).as_bytes())
        .unwrap();
    let (sink, result) = import_bytes(&gz.finish().unwrap());
    assert_eq!(result.unwrap().events_stored, 2);
    assert_eq!(sink.events().len(), 2);
}

#[test]
fn storage_failure_stops_the_import_with_the_storage_error() {
    struct Failing(MemorySink);
    impl EventSink for Failing {
        fn partition_of(&self, t: i64) -> i64 {
            self.0.partition_of(t)
        }
        fn for_each_stored_signal_id(&self, p: i64, visit: &mut dyn FnMut(&str)) -> Result<(), engine::StorageError> {
            self.0.for_each_stored_signal_id(p, visit)
        }
        fn append(&self, _: engine::EventBatch) -> Result<(), engine::StorageError> {
            Err(engine::StorageError::Closed("disk full".into()))
        }
        fn roster(&self) -> Result<Option<std::sync::Arc<engine::roster::Roster>>, engine::StorageError> {
            self.0.roster()
        }
        fn replace_roster(&self, r: engine::roster::Roster) -> Result<(), engine::StorageError> {
            self.0.replace_roster(r)
        }
        fn add_assignments(&self, a: Vec<engine::roster::Assignment>) -> Result<(), engine::StorageError> {
            self.0.add_assignments(a)
        }
    }
    let mut file = tempfile::NamedTempFile::new().unwrap();
    for i in 0..50 {
        writeln!(file, "{}", row(&format!("s{i}"))).unwrap();
    }
    let opts = ImportOptions {
        batch_rows: 4,
        ..ImportOptions::default()
    };
    let err = import_activity(&Failing(MemorySink::default()), file.path(), &opts, &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("disk full"), "{err}");
}
