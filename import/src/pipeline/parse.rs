//! The parse stage: turns one piece of whole records into `events` columns under the collection
//! rules. Pieces are independent, so several workers run this at once; everything that depends on
//! file order (line numbers, de-duplication, the error list) is left to the store stage.

use engine::roster::Assignment;
use engine::EventBatch;

use crate::activity::{ActivityRecord, ColumnSizes, EventColumns, FieldSplitter, Fields, KnownGuids, Layout, Records};
use crate::collect::{Actor, Collector, AT_ONCE};
use crate::signal_key::{parse_guid, SignalKey};

/// What the reader knows about the file's layout when it hands out a piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayoutHint {
    /// No row with a known field count has been seen up to the end of this piece.
    Unknown,
    /// Rows starting at byte `from` of this piece or later belong to a file of this layout; the
    /// rows before it have no known layout yet.
    Known {
        /// The file's layout (from its first row with 32 or 19 fields).
        layout: Layout,
        /// Offset in the piece from which the layout applies.
        from: usize,
    },
}

/// The first row with a known field count decides the layout; finds it in `piece` (skipping a
/// header if `header_possible` and the first record is one).
pub fn find_layout(piece: &[u8], max_record_bytes: usize, header_possible: bool) -> LayoutHint {
    let mut records = Records::new(piece, max_record_bytes);
    let mut splitter = FieldSplitter::default();
    let mut first = header_possible;
    while let Some((_, a, b)) = records.next_range() {
        let is_first = std::mem::take(&mut first);
        if b - a > max_record_bytes {
            continue;
        }
        let Ok(fields) = splitter.split(&piece[a..b]) else {
            continue;
        };
        if is_first && is_header(&fields) {
            continue;
        }
        if let Some(layout) = Layout::from_field_count(fields.len()) {
            return LayoutHint::Known { layout, from: a };
        }
    }
    LayoutHint::Unknown
}

fn is_header(fields: &Fields<'_, '_>) -> bool {
    fields.get(0) == "SignalType"
}

/// One piece to parse.
pub struct Task {
    /// Position of the piece in the file (0, 1, 2, …).
    pub seq: u64,
    /// The piece's bytes (whole records).
    pub data: Vec<u8>,
    /// The layout as known when the piece was cut.
    pub layout: LayoutHint,
    /// Whether the piece's first record is the file's first record (which may be a header).
    pub first_in_file: bool,
}

/// A rejected row of a piece: newlines before it in the piece, and why.
pub type PieceError = (u64, String);

/// What one piece parsed into.
pub struct ParsedPiece {
    /// Student rows, in piece order.
    pub events: EventBatch,
    /// Per event row: the SignalId as a GUID number (meaningless for rows in `text_ids`).
    pub guid_ids: Vec<u128>,
    /// Event rows whose SignalId is not a canonical GUID, ascending.
    pub text_ids: Vec<u32>,
    /// Assignments from teachers' `AssignmentEvent`/`Assigned` rows.
    pub assignments: Vec<Assignment>,
    /// Non-blank records, a header included.
    pub records: u64,
    /// Rows read (a header is not a row).
    pub rows_read: u64,
    /// Teachers' rows.
    pub teachers: u64,
    /// Guests' rows.
    pub guests: u64,
    /// Rows rejected.
    pub rejected: u64,
    /// The first rejected rows (at most the error-list limit).
    pub errors: Vec<PieceError>,
    /// Newlines in the piece.
    pub newlines: u64,
    /// The piece's buffer, handed back for reuse.
    pub buffer: Vec<u8>,
}

/// Settings every parse worker shares.
pub struct ParseContext<'a> {
    /// The collection rules.
    pub collector: &'a Collector,
    /// Longest accepted row.
    pub max_record_bytes: usize,
    /// Errors kept per piece (the import lists at most this many).
    pub max_listed_errors: usize,
}

/// Student rows whose roster lookups are done together: the probes of the roster tables miss the
/// cache independently, so the processor overlaps them instead of waiting for each in turn.
const LOOKUP_BATCH: usize = AT_ONCE;

/// Parses every record of `task`. `sizes` is what the worker's previous piece needed (updated), so
/// columns are allocated once at about the right size.
pub fn parse_piece(ctx: &ParseContext<'_>, task: Task, sizes: &mut ColumnSizes) -> ParsedPiece {
    let columns = EventColumns::with_capacity(sizes);
    let mut p = PieceParser {
        ctx,
        layout: task.layout,
        columns,
        out: ParsedPiece {
            events: EventBatch { columns: Vec::new() },
            guid_ids: Vec::new(),
            text_ids: Vec::new(),
            assignments: Vec::new(),
            records: 0,
            rows_read: 0,
            teachers: 0,
            guests: 0,
            rejected: 0,
            errors: Vec::new(),
            newlines: 0,
            buffer: Vec::new(),
        },
    };
    p.out.guid_ids.reserve(p.columns.capacity());
    let data = &task.data;
    let mut splitter = FieldSplitter::default();
    let mut records = Records::new(data, ctx.max_record_bytes);
    let mut batch: Vec<ActivityRecord<'_>> = Vec::with_capacity(LOOKUP_BATCH);
    let mut first = task.first_in_file;
    while let Some((line, a, b)) = records.next_range() {
        p.out.records += 1;
        let is_first = std::mem::take(&mut first);
        if b - a > ctx.max_record_bytes {
            p.out.rows_read += 1;
            let reason = format!(
                "row is longer than {} bytes (at least {}); skipped",
                ctx.max_record_bytes,
                b - a
            );
            p.reject(line, reason);
            continue;
        }
        // Each record is checked for UTF-8 just before it is split, while its bytes are in cache
        // (a pass over the whole piece first would read it from memory twice); a bad one is split
        // as bytes below, which says where its UTF-8 breaks.
        let record_text = std::str::from_utf8(&data[a..b]).ok();
        // The common case: valid text without quotes, fields are slices of the piece and the row
        // can wait in `batch` for its lookups.
        if let Some(fields) = record_text.and_then(|r| splitter.split_unquoted(r)) {
            if let Some(record) = p.typed(line, a, &fields, is_first) {
                batch.push(record);
                if batch.len() == LOOKUP_BATCH {
                    p.collect(&batch);
                    batch.clear();
                }
            }
            continue;
        }
        let split = match record_text {
            Some(record) => splitter.split_str(record),
            None => splitter.split(&data[a..b]),
        };
        match split {
            Ok(fields) => {
                if let Some(record) = p.typed(line, a, &fields, is_first) {
                    // Borrows the splitter: handled now, after the rows before it.
                    p.collect(&batch);
                    batch.clear();
                    p.collect(&[record]);
                }
            }
            Err(reason) => {
                p.out.rows_read += 1;
                p.reject(line, reason);
            }
        }
    }
    p.collect(&batch);
    let mut out = p.out;
    out.newlines = records.newlines();
    *sizes = p.columns.sizes();
    out.events = p.columns.finish();
    out.buffer = task.data;
    out
}

/// The state of parsing one piece.
struct PieceParser<'c> {
    ctx: &'c ParseContext<'c>,
    layout: LayoutHint,
    columns: EventColumns,
    out: ParsedPiece,
}

impl PieceParser<'_> {
    /// Counts a rejected row and lists it if the list has room.
    fn reject(&mut self, line: u64, reason: String) {
        self.out.rejected += 1;
        if self.out.errors.len() < self.ctx.max_listed_errors {
            self.out.errors.push((line, reason));
        }
    }

    /// The typed record of the row at byte `offset` of the piece, or `None` if it is the header or
    /// is rejected (then counted here).
    fn typed<'t>(
        &mut self,
        line: u64,
        offset: usize,
        fields: &Fields<'t, '_>,
        is_first: bool,
    ) -> Option<ActivityRecord<'t>> {
        if is_first && is_header(fields) {
            return None;
        }
        self.out.rows_read += 1;
        let layout = match self.layout {
            LayoutHint::Known { layout, from } if offset >= from => Some(layout),
            _ => None,
        };
        let row_layout = match layout {
            Some(l) if l.field_count() == fields.len() => l,
            Some(l) => {
                let reason = format!(
                    "has {} fields; the rows of this file have {} ({})",
                    fields.len(),
                    l.field_count(),
                    l.name()
                );
                self.reject(line, reason);
                return None;
            }
            None => {
                let reason = format!(
                    "has {} fields; expected 32 (schema 1.6) or 19 (legacy layout)",
                    fields.len()
                );
                self.reject(line, reason);
                return None;
            }
        };
        match ActivityRecord::parse(fields, row_layout) {
            Ok(r) => Some(r),
            Err(reason) => {
                self.reject(line, reason);
                None
            }
        }
    }

    /// Applies the collection rules to `records` (at most [`LOOKUP_BATCH`]) in order: all actor
    /// lookups first, then all school lookups, then the rows are stored or counted. The actor and
    /// class ids the lookups decoded as GUIDs go into the columns as they are.
    fn collect(&mut self, records: &[ActivityRecord<'_>]) {
        let collector = self.ctx.collector;
        let n = records.len();
        let mut actors = [Actor::Guest; LOOKUP_BATCH];
        let mut actor_keys = [SignalKey::Guid(0); LOOKUP_BATCH];
        collector.actors(records, &mut actor_keys[..n], &mut actors[..n]);
        let mut schools = [None; LOOKUP_BATCH];
        let mut class_keys = [None; LOOKUP_BATCH];
        collector.schools(records, &actors[..n], &mut class_keys[..n], &mut schools[..n]);
        let guid = |key: Option<SignalKey<'_>>| match key {
            Some(SignalKey::Guid(bits)) => Some(bits),
            _ => None,
        };
        for (i, record) in records.iter().enumerate() {
            let (actor, school) = (actors[i], schools[i]);
            match actor {
                Actor::Guest => self.out.guests += 1,
                Actor::Teacher => {
                    self.out.teachers += 1;
                    self.out.assignments.extend(Collector::assignment_of(record));
                }
                Actor::Student => {
                    let signal_id = parse_guid(record.signal_id);
                    match signal_id {
                        Some(g) => self.out.guid_ids.push(g),
                        None => {
                            self.out.text_ids.push(self.columns.len() as u32);
                            self.out.guid_ids.push(0);
                        }
                    }
                    let known = KnownGuids {
                        signal_id,
                        actor: guid(Some(actor_keys[i])),
                        class: guid(class_keys[i]),
                        school: school.and_then(|s| s.guid),
                    };
                    self.columns.push(record, school.map(|s| s.id), &known);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROW: &str = "VisitTeamChannel,2022-01-03 10:00:00,,00000000-0000-0000-0000-00000000000{},,C,,Teams,a,Student,1.6,,,,,,,,,,,,,,,,,,,,,";

    fn task(data: &str, layout: LayoutHint) -> Task {
        Task {
            seq: 0,
            data: data.as_bytes().to_vec(),
            layout,
            first_in_file: true,
        }
    }

    #[test]
    fn layout_is_found_after_a_header_and_bad_rows() {
        let header = "SignalType,StartTime,UserAgent,SignalId,SisClassId,ClassId,ChannelId,AppName,ActorId,ActorRole,\
                      SchemaVersion,AssignmentId,SubmissionId,SubmissionCreatedTime,Action,DueDate,ClassCreationDate,Grade,\
                      SourceFileExtension,MeetingDuration,MeetingSessionId,MeetingType,ReadingSubmissionWordsPerMinute,\
                      ReadingSubmissionAccuracyScore,ReadingSubmissionMispronunciationCount,ReadingSubmissionRepetitionsCount,\
                      ReadingSubmissionInsertionsCount,ReadingSubmissionObmissionCount,ReadingSubmissionAttemptNumber,\
                      ReadingAssignmentWordCount,ReadingAssignmentFleschKincaidGradeLevel,ReadingAssignmentLanguage";
        let data = format!("{header}\nshort,row\n{}\n", ROW.replace("{}", "1"));
        let hint = find_layout(data.as_bytes(), 1000, true);
        let from = data.find("VisitTeamChannel").unwrap();
        assert_eq!(
            hint,
            LayoutHint::Known {
                layout: Layout::Schema16,
                from
            }
        );
        let collector = Collector::new(None);
        let ctx = ParseContext {
            collector: &collector,
            max_record_bytes: 1000,
            max_listed_errors: 10,
        };
        let out = parse_piece(&ctx, task(&data, hint), &mut ColumnSizes::default());
        assert_eq!(
            (out.records, out.rows_read, out.rejected, out.events.len()),
            (3, 2, 1, 1)
        );
        assert_eq!(out.errors[0].0, 1);
        assert!(
            out.errors[0].1.contains("expected 32 (schema 1.6) or 19"),
            "{}",
            out.errors[0].1
        );
        assert_eq!(out.guid_ids, vec![1]);
    }

    #[test]
    fn non_guid_ids_are_listed_and_errors_are_capped() {
        let mut data = String::new();
        for i in 0..3 {
            data.push_str(&ROW.replace("00000000-0000-0000-0000-00000000000{}", &format!("id{i}")));
            data.push('\n');
            data.push_str("bad\n");
        }
        let collector = Collector::new(None);
        let ctx = ParseContext {
            collector: &collector,
            max_record_bytes: 1000,
            max_listed_errors: 2,
        };
        let hint = LayoutHint::Known {
            layout: Layout::Schema16,
            from: 0,
        };
        let out = parse_piece(&ctx, task(&data, hint), &mut ColumnSizes::default());
        assert_eq!(out.text_ids, vec![0, 1, 2]);
        assert_eq!((out.rejected, out.errors.len(), out.newlines), (3, 2, 6));
        assert_eq!(out.errors[1].0, 3);
    }
}
