//! The tables engagedb exposes (`../shared/queries/README.md`): `events` from the column store and the
//! roster tables kept in the engine's catalog. Names, column types and what each table holds.

use crate::value::DataType;

/// Which table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableId {
    /// One row per collected student signal (the column store).
    Events,
    /// Assignments recorded from teachers' `Assigned` signals.
    Assignments,
    /// Districts, schools, departments.
    Orgs,
    /// Classes (sections) with their school.
    Classes,
    /// People with their role.
    People,
    /// Class memberships.
    Enrollments,
}

/// A column of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnInfo {
    /// Column name.
    pub name: &'static str,
    /// Type.
    pub ty: DataType,
    /// Whether it may be NULL.
    pub nullable: bool,
}

/// Every table, in `SHOW TABLES` order.
pub const TABLES: [TableId; 6] = [
    TableId::Events,
    TableId::Assignments,
    TableId::Orgs,
    TableId::Classes,
    TableId::People,
    TableId::Enrollments,
];

const fn c(name: &'static str, ty: DataType, nullable: bool) -> ColumnInfo {
    ColumnInfo { name, ty, nullable }
}

const ASSIGNMENTS: &[ColumnInfo] = &[
    c("id", DataType::Text, false),
    c("class", DataType::Text, true),
    c("due", DataType::Timestamp, true),
    c("assigned_at", DataType::Timestamp, true),
];
const ORGS: &[ColumnInfo] = &[
    c("id", DataType::Text, false),
    c("name", DataType::Text, false),
    c("type", DataType::Text, false),
    c("parent", DataType::Text, true),
];
const CLASSES: &[ColumnInfo] = &[
    c("id", DataType::Text, false),
    c("name", DataType::Text, false),
    c("school", DataType::Text, true),
];
const PEOPLE: &[ColumnInfo] = &[c("id", DataType::Text, false), c("role", DataType::Text, false)];
const ENROLLMENTS: &[ColumnInfo] = &[
    c("class", DataType::Text, false),
    c("person", DataType::Text, false),
    c("role", DataType::Text, false),
];

impl TableId {
    /// Looks a table up by (case-folded) name.
    pub fn by_name(name: &str) -> Option<TableId> {
        TABLES.iter().copied().find(|t| t.name() == name)
    }

    /// The table's SQL name.
    pub fn name(self) -> &'static str {
        match self {
            TableId::Events => "events",
            TableId::Assignments => "assignments",
            TableId::Orgs => "orgs",
            TableId::Classes => "classes",
            TableId::People => "people",
            TableId::Enrollments => "enrollments",
        }
    }

    /// One line saying what the table holds (`SHOW TABLES`).
    pub fn description(self) -> &'static str {
        match self {
            TableId::Events => "one row per collected student signal (time-partitioned column store)",
            TableId::Assignments => "assignments recorded from teachers' Assigned signals",
            TableId::Orgs => "districts, schools, departments from the roster",
            TableId::Classes => "classes from the roster, with their school",
            TableId::People => "people from the roster, role student or teacher",
            TableId::Enrollments => "class memberships from the roster, role student or teacher",
        }
    }

    /// The table's columns, in order.
    pub fn columns(self) -> Vec<ColumnInfo> {
        match self {
            TableId::Events => engine::EVENT_COLUMNS
                .iter()
                .map(|d| ColumnInfo {
                    name: d.name,
                    ty: DataType::of_column(d.ty),
                    nullable: d.nullable,
                })
                .collect(),
            TableId::Assignments => ASSIGNMENTS.to_vec(),
            TableId::Orgs => ORGS.to_vec(),
            TableId::Classes => CLASSES.to_vec(),
            TableId::People => PEOPLE.to_vec(),
            TableId::Enrollments => ENROLLMENTS.to_vec(),
        }
    }

    /// The comma-separated table names, for "unknown table" errors.
    pub fn all_names() -> String {
        TABLES.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ")
    }
}
