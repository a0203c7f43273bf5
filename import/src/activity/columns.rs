//! Builds the `events` columns straight from parsed activity records: one typed push per column, no
//! intermediate row of `ValueRef`s and no per-row type checks (the types are fixed by the code).

use engine::{col, Column, ColumnData, EventBatch, IdColumnBuilder, StringVec, EVENT_COLUMNS};

use super::record::ActivityRecord;

/// A text column being built; `valid[i]` is false for a NULL.
#[derive(Debug)]
struct TextBuilder {
    values: StringVec,
    valid: Vec<bool>,
}

impl Default for TextBuilder {
    fn default() -> Self {
        TextBuilder {
            values: StringVec::new(),
            valid: Vec::new(),
        }
    }
}

impl TextBuilder {
    /// Appends a value or a NULL; a NULL (most of a row's text columns) copies nothing.
    #[inline]
    fn push(&mut self, v: Option<&str>) {
        if let Some(s) = v {
            self.values.bytes.extend_from_slice(s.as_bytes());
        }
        self.values.offsets.push(self.values.bytes.len() as u32);
        self.valid.push(v.is_some());
    }

    #[inline]
    fn push_some(&mut self, v: &str) {
        self.values.bytes.extend_from_slice(v.as_bytes());
        self.values.offsets.push(self.values.bytes.len() as u32);
        self.valid.push(true);
    }
}

/// An integer (or timestamp) column being built.
#[derive(Debug, Default)]
struct IntBuilder {
    values: Vec<i64>,
    valid: Vec<bool>,
}

impl IntBuilder {
    #[inline]
    fn push(&mut self, v: Option<i64>) {
        self.values.push(v.unwrap_or(0));
        self.valid.push(v.is_some());
    }
}

/// Ids of one record that the caller has decoded already, as the bits of lower-case canonical GUIDs
/// (`None`: not one, or not decoded): [`EventColumns::push`] then need not decode them again.
#[derive(Debug, Clone, Copy, Default)]
pub struct KnownGuids {
    /// The SignalId's.
    pub signal_id: Option<u128>,
    /// The ActorId's.
    pub actor: Option<u128>,
    /// The class id's (the one `ActivityRecord::class` gives).
    pub class: Option<u128>,
    /// The school id's (the roster's school of the class).
    pub school: Option<u128>,
}

/// `events` rows collected column by column; [`EventColumns::finish`] turns them into an [`EventBatch`].
#[derive(Debug)]
pub struct EventColumns {
    time: Vec<i64>,
    /// The id columns: held as 128-bit UUIDs while every value is one (see [`IdColumnBuilder`]).
    ids: [IdColumnBuilder; ID_COLUMNS.len()],
    text: [TextBuilder; TEXT_COLUMNS.len()],
    int: [IntBuilder; INT_COLUMNS.len()],
    grade: Vec<f64>,
    grade_valid: Vec<bool>,
}

/// The id columns in the order of [`EventColumns::ids`].
const ID_COLUMNS: [usize; 7] = [
    col::SIGNAL_ID,
    col::STUDENT,
    col::CLASS,
    col::SCHOOL,
    col::ASSIGNMENT,
    col::SUBMISSION,
    col::MEETING,
];

/// The other text columns in the order of [`EventColumns::text`].
const TEXT_COLUMNS: [usize; 7] = [
    col::SIGNAL,
    col::APP,
    col::ACTION,
    col::FILE_EXT,
    col::READING_ACCURACY,
    col::READING_GRADE_LEVEL,
    col::READING_LANGUAGE,
];

/// The integer columns other than `time`, in the order of [`EventColumns::int`].
const INT_COLUMNS: [usize; 9] = [
    col::DUE,
    col::MEETING_SECONDS,
    col::READING_WPM,
    col::READING_MISPRONUNCIATIONS,
    col::READING_REPETITIONS,
    col::READING_INSERTIONS,
    col::READING_OMISSIONS,
    col::READING_ATTEMPT,
    col::READING_WORD_COUNT,
];

impl Default for EventColumns {
    fn default() -> Self {
        EventColumns {
            time: Vec::new(),
            ids: std::array::from_fn(|_| IdColumnBuilder::default()),
            text: std::array::from_fn(|_| TextBuilder::default()),
            int: std::array::from_fn(|_| IntBuilder::default()),
            grade: Vec::new(),
            grade_valid: Vec::new(),
        }
    }
}

/// How big a finished [`EventColumns`] was, to size the next one and save regrowing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ColumnSizes {
    rows: usize,
    text_bytes: [usize; TEXT_COLUMNS.len()],
}

impl EventColumns {
    /// Empty columns with room for `sizes` plus a quarter.
    pub fn with_capacity(sizes: &ColumnSizes) -> EventColumns {
        let mut columns = EventColumns::default();
        columns.reset(sizes);
        columns
    }

    /// Empties every column and makes room for `sizes` plus a quarter.
    fn reset(&mut self, sizes: &ColumnSizes) {
        let grow = |n: usize| n + n / 4;
        let rows = grow(sizes.rows);
        self.time.clear();
        self.time.reserve(rows);
        for b in &mut self.ids {
            b.clear_and_reserve(rows);
        }
        self.grade.clear();
        self.grade.reserve(rows);
        self.grade_valid.clear();
        self.grade_valid.reserve(rows);
        for (b, &bytes) in self.text.iter_mut().zip(&sizes.text_bytes) {
            b.values.offsets.clear();
            b.values.offsets.push(0);
            b.values.offsets.reserve(rows);
            b.values.bytes.clear();
            b.values.bytes.reserve(grow(bytes));
            b.valid.clear();
            b.valid.reserve(rows);
        }
        for b in &mut self.int {
            b.values.clear();
            b.values.reserve(rows);
            b.valid.clear();
            b.valid.reserve(rows);
        }
    }

    /// The current sizes, for [`EventColumns::with_capacity`].
    pub fn sizes(&self) -> ColumnSizes {
        ColumnSizes {
            rows: self.len(),
            text_bytes: std::array::from_fn(|i| self.text[i].values.bytes.len()),
        }
    }

    /// Rows that fit without regrowing.
    pub fn capacity(&self) -> usize {
        self.time.capacity()
    }

    /// Rows pushed.
    pub fn len(&self) -> usize {
        self.time.len()
    }

    /// Whether no row was pushed.
    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    /// Appends the `events` row of `r` with `school` resolved from the roster. The record's
    /// required fields (time, SignalId, SignalType, AppName, ActorId) fill the non-NULL columns.
    /// `known` holds the ids the caller has already decoded as GUIDs, which are not decoded again.
    #[inline]
    pub fn push(&mut self, r: &ActivityRecord<'_>, school: Option<&str>, known: &KnownGuids) {
        self.time.push(r.start_time);
        let [signal_id, student, class, school_col, assignment, submission, meeting] = &mut self.ids;
        signal_id.push_parsed(r.signal_id, known.signal_id);
        student.push_parsed(r.actor_id, known.actor);
        match r.class {
            Some(c) => class.push_parsed(c, known.class),
            None => class.push(None),
        }
        match school {
            Some(s) => school_col.push_parsed(s, known.school),
            None => school_col.push(None),
        }
        assignment.push(r.assignment);
        submission.push(r.submission);
        meeting.push(r.meeting);
        let [signal, app, action, file_ext, accuracy, grade_level, language] = &mut self.text;
        signal.push_some(r.signal_type);
        app.push_some(r.app);
        action.push(r.action);
        file_ext.push(r.file_ext);
        let reading = &r.reading;
        accuracy.push(reading.accuracy);
        grade_level.push(reading.grade_level);
        language.push(reading.language);
        let [due, meeting_seconds, wpm, mispronunciations, repetitions, insertions, omissions, attempt, word_count] =
            &mut self.int;
        due.push(r.due);
        meeting_seconds.push(r.meeting_seconds);
        wpm.push(reading.wpm);
        mispronunciations.push(reading.mispronunciations);
        repetitions.push(reading.repetitions);
        insertions.push(reading.insertions);
        omissions.push(reading.omissions);
        attempt.push(reading.attempt);
        word_count.push(reading.word_count);
        self.grade.push(r.grade.unwrap_or(0.0));
        self.grade_valid.push(r.grade.is_some());
    }

    /// The rows as a batch in `EVENT_COLUMNS` order; columns without a NULL get `validity: None`.
    pub fn finish(self) -> EventBatch {
        let validity = |v: Vec<bool>| if v.iter().all(|&b| b) { None } else { Some(v) };
        let mut columns: Vec<Option<Column>> = (0..EVENT_COLUMNS.len()).map(|_| None).collect();
        columns[col::TIME] = Some(Column {
            data: ColumnData::Int(self.time),
            validity: None,
        });
        for (c, b) in ID_COLUMNS.into_iter().zip(self.ids) {
            columns[c] = Some(b.finish());
        }
        for (c, b) in TEXT_COLUMNS.into_iter().zip(self.text) {
            columns[c] = Some(Column {
                data: ColumnData::Text(b.values),
                validity: validity(b.valid),
            });
        }
        for (c, b) in INT_COLUMNS.into_iter().zip(self.int) {
            columns[c] = Some(Column {
                data: ColumnData::Int(b.values),
                validity: validity(b.valid),
            });
        }
        columns[col::GRADE] = Some(Column {
            data: ColumnData::Double(self.grade),
            validity: validity(self.grade_valid),
        });
        EventBatch {
            columns: columns.into_iter().flatten().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::{FieldSplitter, Layout};
    use crate::signal_key::parse_guid;
    use engine::{BatchBuilder, ValueRef};

    /// The column builder gives exactly the batch the generic row builder gives, with ids pushed as
    /// text or as already decoded GUIDs.
    #[test]
    fn same_batch_as_the_row_builder() {
        let lines = [
            "ReadingSubmission,2022-01-03 10:00:00.25,,sig1,SIS9,CLS1,,Reading Progress,actor1,Student,1.6,\
             asg1,sub1,,Submitted,2022-01-08 00:00:00,,87.5,docx,1:02:03,meet1,,120,92%,3,2,1,4,2,250,5.1,en-US",
            "VisitTeamChannel,2022-01-03 10:00:00,,sig2,,CLS2,,Teams,actor2,Student,1.6,,,,,,,,,,,,,,,,,,,,,",
            "VisitTeamChannel,2022-01-03 10:00:01,,00000000-0000-4000-8000-00000000000a,,\
             10000000-0000-4000-8000-00000000000b,,Teams,20000000-0000-4000-8000-000000000001,Student,1.6,,,,,,,,,,,,,,,,,,,,,",
        ];
        let mut columns = EventColumns::default();
        let mut rows = BatchBuilder::new();
        let mut splitter = FieldSplitter::default();
        for (i, line) in lines.iter().enumerate() {
            let fields = splitter.split(line.as_bytes()).unwrap();
            let rec = ActivityRecord::parse(&fields, Layout::Schema16).unwrap();
            let school = match i {
                0 => Some("school1"),
                2 => Some("30000000-0000-4000-8000-00000000000c"),
                _ => None,
            };
            // The GUIDs of the last row are pushed as already decoded bits.
            let known = KnownGuids {
                signal_id: parse_guid(rec.signal_id),
                actor: parse_guid(rec.actor_id),
                class: rec.class.and_then(parse_guid),
                school: school.and_then(parse_guid),
            };
            assert_eq!(known.actor.is_some(), i == 2);
            columns.push(&rec, school, &known);
            rows.push_row(&rec.event_row(school)).unwrap();
        }
        let (a, b) = (columns.finish(), rows.finish());
        a.validate().unwrap();
        assert_eq!(a, b);
        assert_eq!(a.columns[col::SCHOOL].get(1), ValueRef::Null);
    }
}
