//! The roster tables (`orgs`, `classes`, `people`, `enrollments`) and the `assignments` table.
//! They are small (thousands to a few hundred thousand rows), live in the catalog, and are
//! replaced whole when a newer roster snapshot is imported.

use serde::{Deserialize, Serialize};

/// An organisation: district, school, department, college, ...
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Org {
    /// Id as the activity export and roster use it.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Lower-case type: `district`, `school`, `department`, `college`, ...
    pub kind: String,
    /// Parent org id, if any.
    pub parent: Option<String>,
}

/// A class (section / AadGroup).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Class {
    /// Id as the activity export uses it (AadGroup ObjectId or OneRoster sourcedId).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Id of the nearest ancestor org of type school (or the class's own org); `None` if unknown.
    pub school: Option<String>,
}

/// Role of a person or an enrollment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    /// A student.
    Student,
    /// A teacher (any staff role that teaches).
    Teacher,
}

impl Role {
    /// The SQL text of the role: `student` or `teacher`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Student => "student",
            Role::Teacher => "teacher",
        }
    }
}

/// A person known to the roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Id as the activity export uses it (AadUser ObjectId or OneRoster sourcedId).
    pub id: String,
    /// Student or teacher.
    pub role: Role,
}

/// Membership of a person in a class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrollment {
    /// Class id.
    pub class: String,
    /// Person id.
    pub person: String,
    /// Role in the class.
    pub role: Role,
}

/// A complete roster snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    /// All orgs.
    pub orgs: Vec<Org>,
    /// All classes.
    pub classes: Vec<Class>,
    /// All people.
    pub people: Vec<Person>,
    /// All enrollments.
    pub enrollments: Vec<Enrollment>,
}

/// An assignment, recorded from a teacher's `AssignmentEvent`/`Assigned` activity row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    /// AssignmentId.
    pub id: String,
    /// Class id (SisClassId if non-empty, else ClassId).
    pub class: Option<String>,
    /// DueDate in µs since epoch.
    pub due: Option<i64>,
    /// StartTime of the `Assigned` signal in µs since epoch.
    pub assigned_at: Option<i64>,
}
