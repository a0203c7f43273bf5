//! Rosters: detecting the format of a roster folder and loading it into [`engine::roster::Roster`].

pub mod datalake;
pub mod detect;
pub mod hierarchy;
pub mod oneroster;
pub mod sds_v1;
pub mod table;

use std::fmt;
use std::path::Path;

use engine::roster::{Class, Enrollment, Org, Person, Role, Roster};

pub use detect::{detect_roster_format, RosterFormat};

use crate::error::{ErrorList, ImportError, RowError};
use crate::fasthash::{FastMap, FastSet};
use table::{CsvRow, CsvTable};

/// What a roster import found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterSummary {
    /// The detected format.
    pub format: RosterFormat,
    /// Data rows read per source table, in reading order.
    pub tables: Vec<(String, usize)>,
    /// Orgs loaded.
    pub orgs: usize,
    /// Classes loaded.
    pub classes: usize,
    /// People with role student.
    pub students: usize,
    /// People with role teacher.
    pub teachers: usize,
    /// Enrollments with role student.
    pub student_enrollments: usize,
    /// Enrollments with role teacher.
    pub teacher_enrollments: usize,
    /// Source rows skipped (unusable or unresolvable), with the first few listed.
    pub skipped: ErrorList,
}

impl RosterSummary {
    /// Counts the tables of `roster`.
    pub fn of(format: RosterFormat, tables: Vec<(String, usize)>, roster: &Roster, skipped: ErrorList) -> Self {
        let count_role = |role| roster.people.iter().filter(|p| p.role == role).count();
        let count_enr = |role| roster.enrollments.iter().filter(|e| e.role == role).count();
        RosterSummary {
            format,
            tables,
            orgs: roster.orgs.len(),
            classes: roster.classes.len(),
            students: count_role(Role::Student),
            teachers: count_role(Role::Teacher),
            student_enrollments: count_enr(Role::Student),
            teacher_enrollments: count_enr(Role::Teacher),
            skipped,
        }
    }
}

impl fmt::Display for RosterSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} orgs, {} classes, {} students, {} teachers, {} student and {} teacher enrollments, {} rows skipped",
            self.format,
            self.orgs,
            self.classes,
            self.students,
            self.teachers,
            self.student_enrollments,
            self.teacher_enrollments,
            self.skipped.count
        )
    }
}

/// Detects the format of `dir` and loads the roster; unusable rows are skipped and listed
/// (at most `max_listed_errors` of them).
pub fn load_roster(dir: &Path, max_listed_errors: usize) -> Result<(Roster, RosterSummary), ImportError> {
    let format = detect_roster_format(dir)?;
    let mut skipped = ErrorList::new(max_listed_errors);
    let mut tables = Vec::new();
    let roster = match &format {
        RosterFormat::DataLake { snapshot } => datalake::load(snapshot, &mut tables, &mut skipped)?,
        RosterFormat::OneRoster => oneroster::load(dir, &mut tables, &mut skipped)?,
        RosterFormat::SdsV1 => sds_v1::load(dir, &mut tables, &mut skipped)?,
    };
    let summary = RosterSummary::of(format, tables, &roster, skipped);
    Ok((roster, summary))
}

/// The engagedb role of a roster or export role name (case-insensitive): `student` → student; teaching
/// and staff roles (teacher, professor, lecturer, aide, administrator, ...) → teacher; guardians,
/// parents, relatives, alumni and unknown names → `None` (not a person of the `people` table).
pub fn role_from_text(role: &str) -> Option<Role> {
    let role = role.trim().to_ascii_lowercase();
    match role.as_str() {
        "student" | "learner" => Some(Role::Student),
        "teacher"
        | "professor"
        | "lecturer"
        | "instructor"
        | "faculty"
        | "adjunct"
        | "teacherassistant"
        | "aide"
        | "proctor"
        | "substitute"
        | "administrator"
        | "principal"
        | "staff"
        | "officestaff"
        | "itadmin"
        | "districtadministrator"
        | "siteadministrator"
        | "chair"
        | "advisor"
        | "researcher"
        | "coach"
        | "assistant"
        | "paraprofessional"
        | "specialservices"
        | "counselor" => Some(Role::Teacher),
        _ => None,
    }
}

/// Collects people and enrollments, first wins: one role per person, one enrollment per (class, person).
#[derive(Debug, Default)]
pub struct RosterBuilder {
    people: Vec<Person>,
    person_index: FastMap<Box<str>, usize>,
    enrollments: Vec<Enrollment>,
    /// Enrolled (class, person) pairs, as numbers from `enrollment_ids`.
    enrolled: FastSet<(u32, u32)>,
    /// A number for each class or person id seen in an enrollment, so that checking a pair
    /// allocates nothing.
    enrollment_ids: FastMap<Box<str>, u32>,
}

impl RosterBuilder {
    /// Adds a person unless already known; returns whether it was added.
    pub fn add_person(&mut self, id: &str, role: Role) -> bool {
        if id.is_empty() || self.person_index.contains_key(id) {
            return false;
        }
        self.person_index.insert(id.into(), self.people.len());
        self.people.push(Person {
            id: id.to_string(),
            role,
        });
        true
    }

    /// The role of a known person.
    pub fn role_of(&self, id: &str) -> Option<Role> {
        self.person_index.get(id).map(|&i| self.people[i].role)
    }

    /// Adds an enrollment unless (class, person) is already enrolled; the role defaults to the
    /// person's. An enrollment whose role cannot be told is skipped with an error.
    pub fn add_enrollment(
        &mut self,
        class: &str,
        person: &str,
        role: Option<Role>,
        at: (&Path, u64),
        skipped: &mut ErrorList,
    ) {
        let Some(role) = role.or_else(|| self.role_of(person)) else {
            skipped.push(RowError::new(
                at.0,
                at.1,
                format!("enrollment of {person} in {class} has no known role"),
            ));
            return;
        };
        let pair = (self.enrollment_id(class), self.enrollment_id(person));
        if self.enrolled.insert(pair) {
            self.enrollments.push(Enrollment {
                class: class.to_string(),
                person: person.to_string(),
                role,
            });
        }
        self.add_person(person, role);
    }

    /// The number of `id` in `enrollment_ids`, given on first sight.
    fn enrollment_id(&mut self, id: &str) -> u32 {
        if let Some(&n) = self.enrollment_ids.get(id) {
            return n;
        }
        let n = self.enrollment_ids.len() as u32;
        self.enrollment_ids.insert(id.into(), n);
        n
    }

    /// Number of enrollments collected so far.
    pub fn enrollment_count(&self) -> usize {
        self.enrollments.len()
    }

    /// Adds the enrollments of a headered table whose columns `(class, person)` hold the ids;
    /// rows missing either id are skipped with an error.
    pub fn add_enrollment_rows(
        &mut self,
        table: &CsvTable,
        (class, person): (usize, usize),
        role: impl Fn(&CsvRow) -> Option<Role>,
        skipped: &mut ErrorList,
    ) {
        for r in &table.rows {
            if r.get(class).is_empty() || r.get(person).is_empty() {
                let reason = format!(
                    "enrollment row without a class id or person id ({})",
                    table.header.join(", ")
                );
                skipped.push(RowError::new(&table.path, r.line, reason));
                continue;
            }
            self.add_enrollment(r.get(class), r.get(person), role(r), (&table.path, r.line), skipped);
        }
    }

    /// The roster made of `orgs`, `classes` and the people and enrollments collected.
    pub fn finish(self, orgs: Vec<Org>, classes: Vec<Class>) -> Roster {
        Roster {
            orgs,
            classes,
            people: self.people,
            enrollments: self.enrollments,
        }
    }
}
