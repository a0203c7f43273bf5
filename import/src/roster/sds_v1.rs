//! SDS v1 CSV rosters: `School.csv`, `Section.csv`, `Student.csv`, `Teacher.csv`,
//! `StudentEnrollment.csv`, `TeacherRoster.csv`; ids are the `SIS ID`s.

use std::path::Path;

use engine::roster::{Class, Org, Role, Roster};

use super::table::{entry_ignoring_case, CsvTable};
use super::RosterBuilder;
use crate::error::{ErrorList, ImportError};

fn read(
    dir: &Path,
    name: &str,
    tables: &mut Vec<(String, usize)>,
    skipped: &mut ErrorList,
) -> Result<CsvTable, ImportError> {
    let path = entry_ignoring_case(dir, name).ok_or_else(|| ImportError::Roster {
        path: dir.to_path_buf(),
        detail: format!("missing {name}"),
    })?;
    let table = CsvTable::read(&path, true, skipped)?;
    tables.push((name.to_string(), table.rows.len()));
    Ok(table)
}

/// Loads an SDS v1 roster from `dir`.
pub fn load(dir: &Path, tables: &mut Vec<(String, usize)>, skipped: &mut ErrorList) -> Result<Roster, ImportError> {
    let schools = read(dir, "School.csv", tables, skipped)?;
    let (id, name) = (schools.column(&["SIS ID"])?, schools.column(&["Name"])?);
    let orgs: Vec<Org> = schools
        .rows
        .iter()
        .filter(|r| !r.get(id).is_empty())
        .map(|r| Org {
            id: r.get(id).into(),
            name: r.get(name).into(),
            kind: "school".into(),
            parent: None,
        })
        .collect();

    let sections = read(dir, "Section.csv", tables, skipped)?;
    let (id, school, name) = (
        sections.column(&["SIS ID"])?,
        sections.column(&["School SIS ID"])?,
        sections.column(&["Section Name"])?,
    );
    let classes: Vec<Class> = sections
        .rows
        .iter()
        .filter(|r| !r.get(id).is_empty())
        .map(|r| Class {
            id: r.get(id).into(),
            name: r.get(name).into(),
            school: Some(r.get(school).to_string()).filter(|s| !s.is_empty()),
        })
        .collect();

    let mut builder = RosterBuilder::default();
    for (file, role) in [("Student.csv", Role::Student), ("Teacher.csv", Role::Teacher)] {
        let people = read(dir, file, tables, skipped)?;
        let id = people.column(&["SIS ID"])?;
        for r in &people.rows {
            builder.add_person(r.get(id), role);
        }
    }
    for (file, role) in [
        ("StudentEnrollment.csv", Role::Student),
        ("TeacherRoster.csv", Role::Teacher),
    ] {
        let members = read(dir, file, tables, skipped)?;
        let (section, person) = (members.column(&["Section SIS ID"])?, members.column(&["SIS ID"])?);
        builder.add_enrollment_rows(&members, (section, person), |_| Some(role), skipped);
    }
    Ok(builder.finish(orgs, classes))
}
