//! OneRoster / SDS v2 and v2.1 CSV rosters (headered): ids are `sourcedId`s. Roles come from
//! `roles.csv` (v2.1) or the `role` column of `users.csv` (v2), else from the enrollments.

use std::path::Path;

use engine::roster::{Class, Org, Roster};

use super::hierarchy::OrgTree;
use super::table::{entry_ignoring_case, CsvTable};
use super::{role_from_text, RosterBuilder};
use crate::error::{ErrorList, ImportError};

fn read(
    dir: &Path,
    name: &str,
    tables: &mut Vec<(String, usize)>,
    skipped: &mut ErrorList,
) -> Result<Option<CsvTable>, ImportError> {
    let Some(path) = entry_ignoring_case(dir, name) else {
        return Ok(None);
    };
    let table = CsvTable::read(&path, true, skipped)?;
    tables.push((name.to_string(), table.rows.len()));
    Ok(Some(table))
}

fn required(dir: &Path, name: &str, table: Option<CsvTable>) -> Result<CsvTable, ImportError> {
    table.ok_or_else(|| ImportError::Roster {
        path: dir.to_path_buf(),
        detail: format!("missing {name}"),
    })
}

/// Loads a OneRoster / SDS v2.x roster from `dir`.
pub fn load(dir: &Path, tables: &mut Vec<(String, usize)>, skipped: &mut ErrorList) -> Result<Roster, ImportError> {
    let orgs_csv = required(dir, "orgs.csv", read(dir, "orgs.csv", tables, skipped)?)?;
    let (id, name, kind) = (
        orgs_csv.column(&["sourcedId"])?,
        orgs_csv.column(&["name"])?,
        orgs_csv.column(&["type"])?,
    );
    let parent = orgs_csv.optional_column(&["parentSourcedId"]);
    let orgs: Vec<Org> = orgs_csv
        .rows
        .iter()
        .filter(|r| !r.get(id).is_empty())
        .map(|r| Org {
            id: r.get(id).to_string(),
            name: r.get(name).to_string(),
            kind: r.get(kind).to_ascii_lowercase(),
            parent: parent.map(|p| r.get(p)).filter(|p| !p.is_empty()).map(str::to_string),
        })
        .collect();
    let tree = OrgTree::new(&orgs);

    let classes_csv = required(dir, "classes.csv", read(dir, "classes.csv", tables, skipped)?)?;
    let (id, title) = (classes_csv.column(&["sourcedId"])?, classes_csv.column(&["title"])?);
    let org = classes_csv.column(&["orgSourcedId", "schoolSourcedId"])?;
    let classes: Vec<Class> = classes_csv
        .rows
        .iter()
        .filter(|r| !r.get(id).is_empty())
        .map(|r| Class {
            id: r.get(id).to_string(),
            name: r.get(title).to_string(),
            school: tree.school_of(r.get(org)),
        })
        .collect();

    let mut builder = RosterBuilder::default();
    let users = required(dir, "users.csv", read(dir, "users.csv", tables, skipped)?)?;
    let roles = read(dir, "roles.csv", tables, skipped)?;
    if let Some(roles) = &roles {
        let (user, role) = (roles.column(&["userSourcedId"])?, roles.column(&["role"])?);
        for r in &roles.rows {
            if let Some(role) = role_from_text(r.get(role)) {
                builder.add_person(r.get(user), role);
            }
        }
    }
    let user_id = users.column(&["sourcedId"])?;
    if let Some(role) = users.optional_column(&["role"]) {
        for r in &users.rows {
            if let Some(role) = role_from_text(r.get(role)) {
                builder.add_person(r.get(user_id), role);
            }
        }
    }

    let enrollments = required(dir, "enrollments.csv", read(dir, "enrollments.csv", tables, skipped)?)?;
    let (class, user, role) = (
        enrollments.column(&["classSourcedId"])?,
        enrollments.column(&["userSourcedId"])?,
        enrollments.column(&["role"])?,
    );
    builder.add_enrollment_rows(&enrollments, (class, user), |r| role_from_text(r.get(role)), skipped);
    Ok(builder.finish(orgs, classes))
}
