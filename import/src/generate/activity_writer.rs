//! Renders events as rows of the headerless 32-column Education Insights activity export
//! (schema 1.6; column order of `insights_module_metadata.csv`).

use super::calendar::{push_duration, push_timestamp, push_u64, DateText};
use super::csv_out::push_field;
use super::district::District;
use super::event::{Actor, AssignmentInfo, ClassRef, Detail, Event};
use super::ids::push_guid;
use super::profile::{Payload, FILE_EXTENSIONS, KINDS, SUBMITTED, USER_AGENTS};

/// Number of columns of an activity row.
pub const ACTIVITY_COLUMNS: usize = 32;
/// The SchemaVersion column's value.
pub const SCHEMA_VERSION: &str = "1.6";
/// Days past the generated period for which dates are pre-rendered (due dates lie ahead).
const DATE_LOOKAHEAD: u32 = 32;

/// Turns [`Event`]s into text rows; holds pre-rendered dates so a row costs no date arithmetic.
pub struct RowRenderer<'a> {
    district: &'a District,
    start_day: i64,
    dates: Vec<DateText>,
    class_created: Vec<DateText>,
    unknown_created: DateText,
}

impl<'a> RowRenderer<'a> {
    /// A renderer for a period of `days` days starting on day number `start_day`.
    pub fn new(district: &'a District, start_day: i64, days: u32) -> Self {
        RowRenderer {
            district,
            start_day,
            dates: (0..days + DATE_LOOKAHEAD)
                .map(|d| DateText::of_day(start_day + i64::from(d)))
                .collect(),
            class_created: district
                .classes
                .iter()
                .map(|c| DateText::of_day(c.created_day))
                .collect(),
            unknown_created: DateText::of_day(start_day - 30),
        }
    }

    fn date(&self, day: u32) -> DateText {
        self.dates
            .get(day as usize)
            .copied()
            .unwrap_or_else(|| DateText::of_day(self.start_day + i64::from(day)))
    }

    /// Appends one row (without the line terminator) for `event` to `buf`.
    pub fn render(&self, buf: &mut Vec<u8>, event: &Event, assignments: &[AssignmentInfo]) {
        let d = self.district;
        let kind = &KINDS[event.kind as usize];
        let date = self.date(event.day);
        // 0 SignalType, 1 StartTime, 2 UserAgent, 3 SignalId
        buf.extend_from_slice(kind.signal.as_bytes());
        buf.push(b',');
        push_timestamp(buf, &date, event.second, event.ticks);
        buf.push(b',');
        if event.user_agent > 0 {
            push_field(buf, USER_AGENTS[usize::from(event.user_agent - 1)]);
        }
        buf.push(b',');
        push_guid(buf, event.signal_id, false);
        buf.push(b',');
        // 4 SisClassId, 5 ClassId, 6 ChannelId
        let (sis_id, group_id, channel_id, created) = match event.class {
            ClassRef::Roster(c) => {
                let class = &d.classes[c as usize];
                (
                    &class.id,
                    &class.group_id,
                    class.channel_id.as_str(),
                    self.class_created[c as usize],
                )
            }
            ClassRef::Unknown(c) => {
                let class = &d.unknown_classes[c as usize];
                (&class.id, &class.group_id, "", self.unknown_created)
            }
        };
        push_field(buf, sis_id);
        buf.push(b',');
        push_field(buf, group_id);
        buf.push(b',');
        if kind.payload == Payload::Channel {
            push_field(buf, channel_id);
        }
        buf.push(b',');
        // 7 AppName, 8 ActorId, 9 ActorRole, 10 SchemaVersion
        buf.extend_from_slice(kind.app.as_bytes());
        buf.push(b',');
        let (actor, role) = match event.actor {
            Actor::Student(i) => (&d.students[i as usize].id, "Student"),
            Actor::Teacher(i) => (&d.teachers[i as usize].id, "Teacher"),
            Actor::Unrostered(i) => (&d.unrostered_students[i as usize], "Student"),
            Actor::Guest(i) => (&d.guests[i as usize], ""),
        };
        push_field(buf, actor);
        buf.push(b',');
        buf.extend_from_slice(role.as_bytes());
        buf.push(b',');
        buf.extend_from_slice(SCHEMA_VERSION.as_bytes());
        buf.push(b',');
        // 11 AssignmentId, 12 SubmissionId, 13 SubmissionCreatedTime, 14 Action, 15 DueDate,
        // 16 ClassCreationDate, 17 Grade
        let mut grade = None;
        if let Detail::Assignment {
            assignment,
            submission,
            grade_halves,
        } = event.detail
        {
            let a = &assignments[assignment as usize];
            push_guid(buf, a.id, false);
            buf.push(b',');
            if submission != 0 {
                push_guid(buf, submission, false);
            }
            buf.push(b',');
            if event.kind == SUBMITTED {
                push_timestamp(buf, &date, event.second, event.ticks);
            }
            buf.push(b',');
            buf.extend_from_slice(kind.action.as_bytes());
            buf.push(b',');
            push_timestamp(buf, &self.date(a.due_day), 0, None);
            buf.push(b',');
            grade = grade_halves;
        } else {
            buf.extend_from_slice(b",,,");
            buf.extend_from_slice(kind.action.as_bytes());
            buf.extend_from_slice(b",,");
        }
        push_timestamp(buf, &created, 0, None);
        buf.push(b',');
        if let Some(halves) = grade {
            push_u64(buf, u64::from(halves / 2));
            buf.extend_from_slice(if halves % 2 == 1 { b".5" } else { b".0" });
        }
        buf.push(b',');
        // 18 SourceFileExtension, 19 MeetingDuration, 20 MeetingSessionId, 21 MeetingType
        match event.detail {
            Detail::File { ext } => {
                buf.extend_from_slice(FILE_EXTENSIONS[usize::from(ext)].as_bytes());
                buf.extend_from_slice(b",,,,");
            }
            Detail::Meeting { session, seconds } => {
                buf.push(b',');
                push_duration(buf, seconds);
                buf.push(b',');
                push_guid(buf, session, false);
                buf.extend_from_slice(b",,");
            }
            _ => buf.extend_from_slice(b",,,,"),
        }
        // 22..31 Reading*
        if let Detail::Reading { bits } = event.detail {
            push_reading(buf, bits);
        } else {
            buf.extend_from_slice(b",,,,,,,,,");
        }
    }
}

/// Appends the ten Reading* columns (WPM, accuracy, mispronunciations, repetitions, insertions,
/// omissions, attempt, word count, Flesch-Kincaid grade level, language) derived from `bits`.
fn push_reading(buf: &mut Vec<u8>, bits: u64) {
    let field = |shift: u32, modulo: u64| (bits >> shift) % modulo;
    let wpm = 40 + field(0, 151);
    let accuracy_tenths = 700 + field(8, 301);
    push_u64(buf, wpm);
    buf.push(b',');
    push_u64(buf, accuracy_tenths / 10);
    buf.push(b'.');
    push_u64(buf, accuracy_tenths % 10);
    for (shift, modulo) in [(16, 13), (20, 6), (24, 5), (28, 7)] {
        buf.push(b',');
        push_u64(buf, field(shift, modulo));
    }
    buf.push(b',');
    push_u64(buf, 1 + field(32, 3));
    buf.push(b',');
    push_u64(buf, 80 + field(36, 521));
    buf.push(b',');
    let level_tenths = 20 + field(48, 90);
    push_u64(buf, level_tenths / 10);
    buf.push(b'.');
    push_u64(buf, level_tenths % 10);
    buf.push(b',');
    buf.extend_from_slice(if field(56, 100) < 85 { b"en-US" } else { b"es-ES" });
}
