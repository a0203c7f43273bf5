//! The fixed schema of the `events` table: column names, types, nullability and which columns carry
//! roaring-bitmap indexes. Every other part of the engine addresses columns by their index here.

/// The storage type of a column. Timestamps are microseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnType {
    /// Microseconds since 1970-01-01 00:00:00 UTC, stored as `i64`.
    Timestamp,
    /// UTF-8 text, dictionary-encoded in segments.
    Text,
    /// 64-bit signed integer.
    Int,
    /// IEEE-754 double.
    Double,
}

impl ColumnType {
    /// The SQL name users see (`DESCRIBE events`).
    pub fn sql_name(self) -> &'static str {
        match self {
            ColumnType::Timestamp => "TIMESTAMP",
            ColumnType::Text => "TEXT",
            ColumnType::Int => "INTEGER",
            ColumnType::Double => "DOUBLE",
        }
    }

    /// Stable one-byte tag used in the WAL and segment formats.
    pub fn tag(self) -> u8 {
        match self {
            ColumnType::Timestamp => 1,
            ColumnType::Text => 2,
            ColumnType::Int => 3,
            ColumnType::Double => 4,
        }
    }

    /// Inverse of [`ColumnType::tag`].
    pub fn from_tag(tag: u8) -> Option<ColumnType> {
        Some(match tag {
            1 => ColumnType::Timestamp,
            2 => ColumnType::Text,
            3 => ColumnType::Int,
            4 => ColumnType::Double,
            _ => return None,
        })
    }
}

/// One column of the `events` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnDef {
    /// Column name as used in SQL.
    pub name: &'static str,
    /// Storage type.
    pub ty: ColumnType,
    /// Whether the column may hold NULL.
    pub nullable: bool,
    /// Whether each segment keeps one roaring bitmap of row ids per distinct value.
    pub indexed: bool,
    /// Whether segments refer to the store's shared dictionary of this column (by id) instead of
    /// keeping its values themselves: for UUID columns whose values recur day after day (students,
    /// classes, assignments, meetings), so each day's segment does not store them again.
    pub shared_dictionary: bool,
    /// Whether segments keep this column's values in row order, without a dictionary: for values unique
    /// per row (`signal_id`), where a sorted dictionary only costs the flush a sort and each row an id.
    pub values_in_row_order: bool,
}

const fn col(name: &'static str, ty: ColumnType, nullable: bool, indexed: bool) -> ColumnDef {
    ColumnDef {
        name,
        ty,
        nullable,
        indexed,
        shared_dictionary: false,
        values_in_row_order: false,
    }
}

/// `def` with its values stored in row order (see [`ColumnDef::values_in_row_order`]).
const fn in_row_order(def: ColumnDef) -> ColumnDef {
    ColumnDef {
        values_in_row_order: true,
        ..def
    }
}

/// `def` with its values kept in the store's shared dictionary (see [`ColumnDef::shared_dictionary`]).
const fn shared(def: ColumnDef) -> ColumnDef {
    ColumnDef {
        shared_dictionary: true,
        ..def
    }
}

use ColumnType::{Double, Int, Text, Timestamp};

/// The `events` columns, in storage order (the contract is `../shared/queries/README.md`).
pub const EVENT_COLUMNS: &[ColumnDef] = &[
    col("time", Timestamp, false, false),
    in_row_order(col("signal_id", Text, false, false)),
    col("signal", Text, false, true),
    col("app", Text, false, true),
    col("action", Text, true, true),
    shared(col("student", Text, false, true)),
    shared(col("class", Text, true, true)),
    col("school", Text, true, true),
    shared(col("assignment", Text, true, false)),
    col("submission", Text, true, false),
    col("due", Timestamp, true, false),
    col("grade", Double, true, false),
    col("file_ext", Text, true, false),
    shared(col("meeting", Text, true, false)),
    col("meeting_seconds", Int, true, false),
    col("reading_wpm", Int, true, false),
    col("reading_accuracy", Text, true, false),
    col("reading_mispronunciations", Int, true, false),
    col("reading_repetitions", Int, true, false),
    col("reading_insertions", Int, true, false),
    col("reading_omissions", Int, true, false),
    col("reading_attempt", Int, true, false),
    col("reading_word_count", Int, true, false),
    col("reading_grade_level", Text, true, false),
    col("reading_language", Text, true, false),
];

/// Column indexes into [`EVENT_COLUMNS`], so code says `col::STUDENT` rather than a bare number.
pub mod col {
    #![allow(missing_docs)]
    pub const TIME: usize = 0;
    pub const SIGNAL_ID: usize = 1;
    pub const SIGNAL: usize = 2;
    pub const APP: usize = 3;
    pub const ACTION: usize = 4;
    pub const STUDENT: usize = 5;
    pub const CLASS: usize = 6;
    pub const SCHOOL: usize = 7;
    pub const ASSIGNMENT: usize = 8;
    pub const SUBMISSION: usize = 9;
    pub const DUE: usize = 10;
    pub const GRADE: usize = 11;
    pub const FILE_EXT: usize = 12;
    pub const MEETING: usize = 13;
    pub const MEETING_SECONDS: usize = 14;
    pub const READING_WPM: usize = 15;
    pub const READING_ACCURACY: usize = 16;
    pub const READING_MISPRONUNCIATIONS: usize = 17;
    pub const READING_REPETITIONS: usize = 18;
    pub const READING_INSERTIONS: usize = 19;
    pub const READING_OMISSIONS: usize = 20;
    pub const READING_ATTEMPT: usize = 21;
    pub const READING_WORD_COUNT: usize = 22;
    pub const READING_GRADE_LEVEL: usize = 23;
    pub const READING_LANGUAGE: usize = 24;
    /// Number of columns.
    pub const COUNT: usize = 25;
}

/// Index of the column called `name` (exact, lower-case match), if any.
pub fn column_index(name: &str) -> Option<usize> {
    EVENT_COLUMNS.iter().position(|c| c.name == name)
}

/// The comma-separated list of column names, for "unknown column" errors.
pub fn column_names() -> String {
    EVENT_COLUMNS.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn col_constants_match_schema_order() {
        assert_eq!(EVENT_COLUMNS.len(), col::COUNT);
        assert_eq!(column_index("student"), Some(col::STUDENT));
        assert_eq!(column_index("school"), Some(col::SCHOOL));
        assert_eq!(column_index("reading_language"), Some(col::READING_LANGUAGE));
        assert_eq!(column_index("meeting_seconds"), Some(col::MEETING_SECONDS));
        for ty in [Timestamp, Text, Int, Double] {
            assert_eq!(ColumnType::from_tag(ty.tag()), Some(ty));
        }
    }
}
