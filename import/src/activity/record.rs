//! One activity-export row, typed: the two column layouts (schema 1.6 with 32 columns, and the
//! older 19-column layout that stops at MeetingDuration) and the mapping onto `events` columns.

use engine::{col, ValueRef};

use super::fields::Fields;
use super::timestamp::{parse_duration, parse_timestamp};

/// The column layout of an activity file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Schema 1.6: 32 columns, SignalType … ReadingAssignmentLanguage.
    Schema16,
    /// The older export: 19 columns, SignalType … MeetingDuration (no SubmissionCreatedTime,
    /// MeetingSessionId, MeetingType or Reading Progress columns).
    Legacy19,
}

/// Field positions of one layout; `None` for columns the layout lacks.
struct Positions {
    assignment: usize,
    submission: usize,
    action: usize,
    due: usize,
    grade: usize,
    file_ext: usize,
    meeting_duration: usize,
    meeting_session: Option<usize>,
    reading: Option<usize>,
}

const SIGNAL_TYPE: usize = 0;
const START_TIME: usize = 1;
const SIGNAL_ID: usize = 3;
const SIS_CLASS_ID: usize = 4;
const CLASS_ID: usize = 5;
const APP_NAME: usize = 7;
const ACTOR_ID: usize = 8;
const ACTOR_ROLE: usize = 9;

impl Layout {
    /// The layout with `n` fields, if any.
    pub fn from_field_count(n: usize) -> Option<Layout> {
        match n {
            32 => Some(Layout::Schema16),
            19 => Some(Layout::Legacy19),
            _ => None,
        }
    }

    /// Number of fields a row of this layout has.
    pub fn field_count(self) -> usize {
        match self {
            Layout::Schema16 => 32,
            Layout::Legacy19 => 19,
        }
    }

    /// A human name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Schema16 => "schema 1.6, 32 columns",
            Layout::Legacy19 => "legacy layout, 19 columns",
        }
    }

    fn positions(self) -> Positions {
        match self {
            Layout::Schema16 => Positions {
                assignment: 11,
                submission: 12,
                action: 14,
                due: 15,
                grade: 17,
                file_ext: 18,
                meeting_duration: 19,
                meeting_session: Some(20),
                reading: Some(22),
            },
            Layout::Legacy19 => Positions {
                assignment: 11,
                submission: 12,
                action: 13,
                due: 14,
                grade: 16,
                file_ext: 17,
                meeting_duration: 18,
                meeting_session: None,
                reading: None,
            },
        }
    }
}

/// The Reading Progress columns (schema 1.6 only).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Reading<'a> {
    /// ReadingSubmissionWordsPerMinute.
    pub wpm: Option<i64>,
    /// ReadingSubmissionAccuracyScore (kept as text, as exported).
    pub accuracy: Option<&'a str>,
    /// ReadingSubmissionMispronunciationCount.
    pub mispronunciations: Option<i64>,
    /// ReadingSubmissionRepetitionsCount.
    pub repetitions: Option<i64>,
    /// ReadingSubmissionInsertionsCount.
    pub insertions: Option<i64>,
    /// ReadingSubmissionObmissionCount (sic).
    pub omissions: Option<i64>,
    /// ReadingSubmissionAttemptNumber.
    pub attempt: Option<i64>,
    /// ReadingAssignmentWordCount.
    pub word_count: Option<i64>,
    /// ReadingAssignmentFleschKincaidGradeLevel (text).
    pub grade_level: Option<&'a str>,
    /// ReadingAssignmentLanguage.
    pub language: Option<&'a str>,
}

/// A parsed activity row; text borrows from the input buffer. Empty fields are `None`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ActivityRecord<'a> {
    /// SignalType.
    pub signal_type: &'a str,
    /// StartTime in µs since the epoch (UTC).
    pub start_time: i64,
    /// SignalId.
    pub signal_id: &'a str,
    /// SisClassId if non-empty, else ClassId.
    pub class: Option<&'a str>,
    /// AppName.
    pub app: &'a str,
    /// ActorId.
    pub actor_id: &'a str,
    /// ActorRole as exported (`Student`, `Teacher`, empty, ...).
    pub actor_role: &'a str,
    /// AssignmentId.
    pub assignment: Option<&'a str>,
    /// SubmissionId.
    pub submission: Option<&'a str>,
    /// Action.
    pub action: Option<&'a str>,
    /// DueDate in µs.
    pub due: Option<i64>,
    /// Grade.
    pub grade: Option<f64>,
    /// SourceFileExtension.
    pub file_ext: Option<&'a str>,
    /// MeetingDuration in seconds.
    pub meeting_seconds: Option<i64>,
    /// MeetingSessionId.
    pub meeting: Option<&'a str>,
    /// Reading Progress columns.
    pub reading: Reading<'a>,
}

fn opt(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

fn required<'a>(fields: &Fields<'a, '_>, i: usize, name: &str) -> Result<&'a str, String> {
    opt(fields.get(i)).ok_or_else(|| format!("{name} is empty"))
}

fn opt_int(fields: &Fields<'_, '_>, i: usize, name: &str) -> Result<Option<i64>, String> {
    opt(fields.get(i))
        .map(|s| {
            s.parse::<i64>()
                .map_err(|_| format!("{name} \"{s}\" is not an integer"))
        })
        .transpose()
}

impl<'a> ActivityRecord<'a> {
    /// Parses the fields of one row in `layout` (the caller checked the field count).
    pub fn parse(fields: &Fields<'a, '_>, layout: Layout) -> Result<ActivityRecord<'a>, String> {
        let p = layout.positions();
        let start_raw = required(fields, START_TIME, "StartTime")?;
        let start_time = parse_timestamp(start_raw).map_err(|e| format!("bad StartTime: {e}"))?;
        let due = opt(fields.get(p.due))
            .map(parse_timestamp)
            .transpose()
            .map_err(|e| format!("bad DueDate: {e}"))?;
        let grade = match opt(fields.get(p.grade)) {
            None => None,
            Some(s) => match s.parse::<f64>() {
                Ok(g) if g.is_finite() => Some(g),
                _ => return Err(format!("Grade \"{s}\" is not a number")),
            },
        };
        let meeting_seconds = opt(fields.get(p.meeting_duration))
            .map(parse_duration)
            .transpose()
            .map_err(|e| format!("bad MeetingDuration: {e}"))?;
        let reading = match p.reading {
            None => Reading::default(),
            Some(r) => Reading {
                wpm: opt_int(fields, r, "ReadingSubmissionWordsPerMinute")?,
                accuracy: opt(fields.get(r + 1)),
                mispronunciations: opt_int(fields, r + 2, "ReadingSubmissionMispronunciationCount")?,
                repetitions: opt_int(fields, r + 3, "ReadingSubmissionRepetitionsCount")?,
                insertions: opt_int(fields, r + 4, "ReadingSubmissionInsertionsCount")?,
                omissions: opt_int(fields, r + 5, "ReadingSubmissionObmissionCount")?,
                attempt: opt_int(fields, r + 6, "ReadingSubmissionAttemptNumber")?,
                word_count: opt_int(fields, r + 7, "ReadingAssignmentWordCount")?,
                grade_level: opt(fields.get(r + 8)),
                language: opt(fields.get(r + 9)),
            },
        };
        Ok(ActivityRecord {
            signal_type: required(fields, SIGNAL_TYPE, "SignalType")?,
            start_time,
            signal_id: required(fields, SIGNAL_ID, "SignalId")?,
            class: opt(fields.get(SIS_CLASS_ID)).or_else(|| opt(fields.get(CLASS_ID))),
            app: required(fields, APP_NAME, "AppName")?,
            actor_id: required(fields, ACTOR_ID, "ActorId")?,
            actor_role: fields.get(ACTOR_ROLE),
            assignment: opt(fields.get(p.assignment)),
            submission: opt(fields.get(p.submission)),
            action: opt(fields.get(p.action)),
            due,
            grade,
            file_ext: opt(fields.get(p.file_ext)),
            meeting_seconds,
            meeting: p.meeting_session.and_then(|i| opt(fields.get(i))),
            reading,
        })
    }

    /// The `events` row for this record, with `school` resolved from the roster.
    pub fn event_row(&self, school: Option<&'a str>) -> [ValueRef<'a>; col::COUNT] {
        let text = |s: Option<&'a str>| s.map_or(ValueRef::Null, ValueRef::Text);
        let int = |v: Option<i64>| v.map_or(ValueRef::Null, ValueRef::Int);
        let mut row = [ValueRef::Null; col::COUNT];
        row[col::TIME] = ValueRef::Int(self.start_time);
        row[col::SIGNAL_ID] = ValueRef::Text(self.signal_id);
        row[col::SIGNAL] = ValueRef::Text(self.signal_type);
        row[col::APP] = ValueRef::Text(self.app);
        row[col::ACTION] = text(self.action);
        row[col::STUDENT] = ValueRef::Text(self.actor_id);
        row[col::CLASS] = text(self.class);
        row[col::SCHOOL] = text(school);
        row[col::ASSIGNMENT] = text(self.assignment);
        row[col::SUBMISSION] = text(self.submission);
        row[col::DUE] = int(self.due);
        row[col::GRADE] = self.grade.map_or(ValueRef::Null, ValueRef::Double);
        row[col::FILE_EXT] = text(self.file_ext);
        row[col::MEETING] = text(self.meeting);
        row[col::MEETING_SECONDS] = int(self.meeting_seconds);
        let r = &self.reading;
        row[col::READING_WPM] = int(r.wpm);
        row[col::READING_ACCURACY] = text(r.accuracy);
        row[col::READING_MISPRONUNCIATIONS] = int(r.mispronunciations);
        row[col::READING_REPETITIONS] = int(r.repetitions);
        row[col::READING_INSERTIONS] = int(r.insertions);
        row[col::READING_OMISSIONS] = int(r.omissions);
        row[col::READING_ATTEMPT] = int(r.attempt);
        row[col::READING_WORD_COUNT] = int(r.word_count);
        row[col::READING_GRADE_LEVEL] = text(r.grade_level);
        row[col::READING_LANGUAGE] = text(r.language);
        row
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::fields::FieldSplitter;

    /// Parses `line` and hands the record and its `events` row (school "school1") to `check`.
    fn parse_line<T>(line: &str, check: impl FnOnce(&ActivityRecord<'_>, &[ValueRef<'_>]) -> T) -> Result<T, String> {
        let mut splitter = FieldSplitter::default();
        let fields = splitter.split(line.as_bytes())?;
        let layout = Layout::from_field_count(fields.len()).ok_or("field count")?;
        let rec = ActivityRecord::parse(&fields, layout)?;
        Ok(check(&rec, &rec.event_row(Some("school1"))))
    }

    #[test]
    fn schema_16_row_maps_every_column() {
        let line = "ReadingSubmission,2022-01-03 10:00:00.25,,sig1,SIS9,CLS1,,Reading Progress,actor1,Student,1.6,\
                    asg1,sub1,,Submitted,2022-01-08 00:00:00,,87.5,docx,1:02:03,meet1,,120,92%,3,2,1,4,2,250,5.1,en-US";
        parse_line(line, |rec, row| {
            assert_eq!(rec.class, Some("SIS9"));
            assert_eq!(row[col::TIME], ValueRef::Int(1_641_204_000_250_000));
            assert_eq!(row[col::SCHOOL], ValueRef::Text("school1"));
            assert_eq!(row[col::ACTION], ValueRef::Text("Submitted"));
            assert_eq!(row[col::DUE], ValueRef::Int(1_641_600_000_000_000));
            assert_eq!(row[col::GRADE], ValueRef::Double(87.5));
            assert_eq!(row[col::MEETING_SECONDS], ValueRef::Int(3723));
            assert_eq!(row[col::MEETING], ValueRef::Text("meet1"));
            assert_eq!(row[col::READING_WPM], ValueRef::Int(120));
            assert_eq!(row[col::READING_ACCURACY], ValueRef::Text("92%"));
            assert_eq!(row[col::READING_OMISSIONS], ValueRef::Int(4));
            assert_eq!(row[col::READING_WORD_COUNT], ValueRef::Int(250));
            assert_eq!(row[col::READING_GRADE_LEVEL], ValueRef::Text("5.1"));
            assert_eq!(row[col::READING_LANGUAGE], ValueRef::Text("en-US"));
        })
        .unwrap();
    }

    #[test]
    fn legacy_row_uses_class_id_and_leaves_new_columns_null() {
        let line = "CallRecordSummarized,2022-01-31 19:22:32.0000000,,sig2,,office_id_sec4,chan,Teams,actor2,Student,\
                    1.06,,,,,,,,00:14:02";
        parse_line(line, |rec, row| {
            assert_eq!(rec.class, Some("office_id_sec4"));
            assert_eq!(row[col::MEETING_SECONDS], ValueRef::Int(842));
            assert_eq!(row[col::MEETING], ValueRef::Null);
            assert_eq!(row[col::READING_WPM], ValueRef::Null);
            assert_eq!(row[col::ACTION], ValueRef::Null);
        })
        .unwrap();
    }

    #[test]
    fn bad_values_name_the_column() {
        let base = "X,2022-01-03 00:00:00,,s,,c,,App,a,Student,1.06,,,,,,,,";
        assert!(parse_line(&format!("{base}1:00"), |_, _| ())
            .unwrap_err()
            .contains("MeetingDuration"));
        let bad_grade = "X,2022-01-03 00:00:00,,s,,c,,App,a,Student,1.06,,,,,,abc,,";
        assert!(parse_line(bad_grade, |_, _| ()).unwrap_err().contains("Grade \"abc\""));
        let no_id = "X,2022-01-03 00:00:00,,,,c,,App,a,Student,1.06,,,,,,,,";
        assert!(parse_line(no_id, |_, _| ()).unwrap_err().contains("SignalId is empty"));
        let bad_time = "X,53:51.0,,s,,c,,App,a,Student,1.06,,,,,,,,";
        assert!(parse_line(bad_time, |_, _| ()).unwrap_err().contains("bad StartTime"));
    }
}
