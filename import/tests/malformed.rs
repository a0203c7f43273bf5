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

/// `row` with field `i` replaced by `value`.
fn with_field(row: &str, i: usize, value: &str) -> String {
    let mut fields: Vec<&str> = row.split(',').collect();
    fields[i] = value;
    fields.join(",")
}

fn import_bytes(content: &[u8]) -> (MemorySink, Result<import::ImportSummary, ImportError>) {
    import_bytes_with(content, &ImportOptions::default())
}

fn import_bytes_with(content: &[u8], opts: &ImportOptions) -> (MemorySink, Result<import::ImportSummary, ImportError>) {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(content).unwrap();
    let sink = MemorySink::default();
    let result = import_activity(&sink, file.path(), opts, &mut |_| {});
    (sink, result)
}

/// Piece sizes and thread counts under which every result must be the same: one piece for the whole
/// file, pieces of a few rows, and pieces smaller than one row.
fn layouts() -> Vec<ImportOptions> {
    [(1 << 22, 1), (1 << 22, 4), (600, 2), (64, 3), (1, 2)]
        .into_iter()
        .map(|(piece_bytes, parse_threads)| ImportOptions {
            piece_bytes,
            parse_threads,
            ..ImportOptions::default()
        })
        .collect()
}

/// One file with every kind of bad row between good ones.
fn mixed_input() -> Vec<u8> {
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
    line(with_field(&row("bad-grade"), 17, "eighty").as_bytes()); // 11: Grade
    line(with_field(&row("bad-int"), 22, "x").as_bytes()); // 12: ReadingSubmissionWordsPerMinute
    line(
        row("bad-quote")
            .replacen("VisitTeamChannel", "\"Visit\"TeamChannel", 1)
            .as_bytes(),
    ); // 13
    line(b""); // 14: blank lines are not rows
    line(row("good-3").as_bytes()); // 15
    input.extend_from_slice(&row("truncated-at-end").as_bytes()[..40]); // 16: cut off, no newline
    input
}

#[test]
fn each_kind_of_bad_row_is_rejected_with_line_and_reason() {
    let input = mixed_input();
    for opts in layouts() {
        let (sink, result) = import_bytes_with(&input, &opts);
        let summary = result.unwrap();
        let context = format!("pieces of {} bytes, {} threads", opts.piece_bytes, opts.parse_threads);
        assert_eq!(summary.rows_read, 15, "{context}: {summary}");
        assert_eq!(summary.events_stored, 5, "{context}: {summary}");
        assert_eq!(summary.duplicates_dropped, 1, "{context}");
        assert_eq!(summary.rows_rejected, 9, "{context}: {:?}", summary.errors);
        let lines: Vec<u64> = summary.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 6, 7, 11, 12, 13, 16], "{context}");
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
        assert!(reason(5).contains("Grade \"eighty\" is not a number"), "{}", reason(5));
        assert!(reason(6).contains("\"x\" is not an integer"), "{}", reason(6));
        assert!(
            reason(7).contains("unexpected text after the closing quote of field 1"),
            "{}",
            reason(7)
        );
        assert!(reason(8).contains("has 2 fields"), "{}", reason(8));
        for e in &summary.errors {
            assert!(
                e.to_string().contains(&format!(": line {}: ", e.line)),
                "errors name the file and line: {e}"
            );
        }
        let events = sink.events();
        assert_eq!(events.len(), 5, "{context}");
        assert_eq!(
            events.columns[engine::col::SIGNAL].get(2),
            engine::ValueRef::Text("quoted,\"name\""),
            "{context}"
        );
        assert_eq!(
            events.columns[engine::col::TIME].get(0),
            engine::ValueRef::Int(1_641_204_000_123_456)
        );
        assert_eq!(
            events.columns[engine::col::SIGNAL_ID].get(4),
            engine::ValueRef::Text("good-3")
        );
    }
}

#[test]
fn rejected_rows_past_the_limit_are_counted_not_listed() {
    let mut input = String::new();
    for i in 0..50 {
        input.push_str(&row(&format!("ok-{i}")));
        input.push_str("\nshort,row\n");
    }
    for mut opts in layouts() {
        opts.max_listed_errors = 3;
        let summary = import_bytes_with(input.as_bytes(), &opts).1.unwrap();
        assert_eq!((summary.rows_rejected, summary.events_stored), (50, 50));
        let lines: Vec<u64> = summary.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 4, 6], "the first ones, in file order");
    }
}

#[test]
fn quoted_newlines_keep_line_numbers_right_across_pieces() {
    let quoted = format!("\"multi\nline\",{}", &row("q")["VisitTeamChannel,".len()..]);
    let input = format!("{}\n{quoted}\n{}\nbad\n", row("a"), row("b"));
    for opts in layouts() {
        let summary = import_bytes_with(input.as_bytes(), &opts).1.unwrap();
        assert_eq!(summary.events_stored, 3);
        assert_eq!(summary.errors[0].line, 5, "the quoted row spans lines 2 and 3");
    }
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
fn a_file_of_blank_lines_is_empty() {
    let (_, result) = import_bytes(b"\n\r\n\n");
    assert!(matches!(result.unwrap_err(), ImportError::EmptyFile { .. }));
}

#[test]
fn a_header_row_is_skipped_not_rejected() {
    let header =
        "SignalType,StartTime,UserAgent,SignalId,SisClassId,ClassId,ChannelId,AppName,ActorId,ActorRole,SchemaVersion,\
                  AssignmentId,SubmissionId,SubmissionCreatedTime,Action,DueDate,ClassCreationDate,Grade,\
                  SourceFileExtension,MeetingDuration,MeetingSessionId,MeetingType,A,B,C,D,E,F,G,H,I,J";
    let input = format!("{header}\n{}\n{}\n", row("a"), row("b"));
    let summary = import_bytes(input.as_bytes()).1.unwrap();
    assert_eq!(
        (summary.rows_read, summary.events_stored, summary.rows_rejected),
        (2, 2, 0)
    );
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
