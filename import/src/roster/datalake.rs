//! The Insights data-lake roster: one folder per table of headerless CSVs. Column positions were
//! checked against the published test data (not only the manifests, which some tables deviate
//! from); a class is an AadGroup ObjectId and a person an AadUser ObjectId.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use engine::roster::{Class, Org, Roster};

use super::hierarchy::OrgTree;
use super::table::{entry_ignoring_case, CsvRow, CsvTable};
use super::{role_from_text, RosterBuilder};
use crate::error::{ErrorList, ImportError, RowError};

/// A table folder, the name of its first column (to spot a stray header row) and whether it must exist.
struct TableSpec {
    name: &'static str,
    first_column: &'static str,
    required: bool,
}

const fn table(name: &'static str, first_column: &'static str, required: bool) -> TableSpec {
    TableSpec {
        name,
        first_column,
        required,
    }
}

const REF_DEFINITION: TableSpec = table("RefDefinition", "Id", false);
const ORGANIZATION: TableSpec = table("Organization", "Id", true);
const SECTION: TableSpec = table("Section", "Id", true);
const AAD_GROUP: TableSpec = table("AadGroup", "ObjectId", true);
const AAD_USER: TableSpec = table("AadUser", "ObjectId", true);
const MAPPING: TableSpec = table("AadUserPersonMapping", "ObjectId", true);
const PERSON_ORG_ROLE: TableSpec = table("PersonOrganizationRole", "Id", false);
const ENROLLMENT: TableSpec = table("Enrollment", "Id", false);
const MEMBERSHIP: TableSpec = table("AadGroupMembership", "GroupObjectId", false);

/// Reads every `*.csv` of a table folder, dropping a header row if the data has one.
fn read_table(
    snapshot: &Path,
    spec: &TableSpec,
    tables: &mut Vec<(String, usize)>,
    skipped: &mut ErrorList,
) -> Result<Vec<(std::path::PathBuf, CsvRow)>, ImportError> {
    let Some(folder) = entry_ignoring_case(snapshot, spec.name) else {
        if spec.required {
            return Err(ImportError::Roster {
                path: snapshot.to_path_buf(),
                detail: format!("the data-lake snapshot has no {} table folder", spec.name),
            });
        }
        return Ok(Vec::new());
    };
    let mut files: Vec<_> = std::fs::read_dir(&folder)
        .map_err(|e| ImportError::io(&folder, e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")))
        .collect();
    files.sort();
    let mut rows = Vec::new();
    for file in files {
        let table = CsvTable::read(&file, false, skipped)?;
        for (i, row) in table.rows.into_iter().enumerate() {
            if i == 0 && row.get(0).eq_ignore_ascii_case(spec.first_column) {
                continue;
            }
            rows.push((file.clone(), row));
        }
    }
    tables.push((spec.name.to_string(), rows.len()));
    Ok(rows)
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// Loads the snapshot folder `snapshot`.
pub fn load(
    snapshot: &Path,
    tables: &mut Vec<(String, usize)>,
    skipped: &mut ErrorList,
) -> Result<Roster, ImportError> {
    let refs: HashMap<String, String> = read_table(snapshot, &REF_DEFINITION, tables, skipped)?
        .into_iter()
        .map(|(_, r)| (r.get(0).to_string(), r.get(1).to_string()))
        .collect();
    // A Ref* column holds a RefDefinition id, or sometimes the code itself.
    let ref_code = |value: &str| refs.get(value).cloned().unwrap_or_else(|| value.to_string());

    // Organization: Id, ExternalId, FirstSeen, LastSeen, Name, RefOrganizationTypeId, SourceSystemId, Identifier, ParentOrganizationId.
    let mut orgs = Vec::new();
    for (file, r) in read_table(snapshot, &ORGANIZATION, tables, skipped)? {
        if r.get(0).is_empty() {
            skipped.push(RowError::new(&file, r.line, "Organization row without an Id"));
            continue;
        }
        orgs.push(Org {
            id: r.get(0).to_string(),
            name: r.get(4).to_string(),
            kind: ref_code(r.get(5)).to_ascii_lowercase(),
            parent: non_empty(r.get(8)).map(str::to_string),
        });
    }
    let tree = OrgTree::new(&orgs);

    // Section: Id, ExternalId, FirstSeen, LastSeen, Name, OrganizationId, ...
    let section_org: HashMap<String, String> = read_table(snapshot, &SECTION, tables, skipped)?
        .into_iter()
        .map(|(_, r)| (r.get(0).to_string(), r.get(5).to_string()))
        .collect();

    // AadGroup: ObjectId, DisplayName, FirstSeen, LastSeen, Mail, MailNickname, AnchorId, SectionId.
    let mut classes = Vec::new();
    let mut section_class: HashMap<String, String> = HashMap::new();
    for (file, r) in read_table(snapshot, &AAD_GROUP, tables, skipped)? {
        if r.get(0).is_empty() {
            skipped.push(RowError::new(&file, r.line, "AadGroup row without an ObjectId"));
            continue;
        }
        let school = section_org.get(r.get(7)).and_then(|org| tree.school_of(org));
        if !r.get(7).is_empty() {
            section_class.insert(r.get(7).to_string(), r.get(0).to_string());
        }
        classes.push(Class {
            id: r.get(0).to_string(),
            name: r.get(1).to_string(),
            school,
        });
    }

    // AadUserPersonMapping: ObjectId, FirstSeen, LastSeen, PersonId.
    let mapping = read_table(snapshot, &MAPPING, tables, skipped)?;
    let person_object: HashMap<String, String> = mapping
        .iter()
        .map(|(_, r)| (r.get(3).to_string(), r.get(0).to_string()))
        .collect();
    // PersonOrganizationRole: Id, ExternalId, FirstSeen, IsActive, LastSeen, OrganizationId, PersonId, RefRoleId, ...
    let org_role: HashMap<String, String> = read_table(snapshot, &PERSON_ORG_ROLE, tables, skipped)?
        .into_iter()
        .map(|(_, r)| (r.get(6).to_string(), ref_code(r.get(7))))
        .collect();
    let object_org_role: HashMap<&str, &str> = person_object
        .iter()
        .filter_map(|(p, o)| Some((o.as_str(), org_role.get(p)?.as_str())))
        .collect();

    // AadUser: ObjectId, AnchorId, DisplayName, FirstSeen, GivenName, LastSeen, Mail, MailNickname, Role, ...
    let mut builder = RosterBuilder::default();
    for (_, r) in read_table(snapshot, &AAD_USER, tables, skipped)? {
        let id = r.get(0);
        let role = role_from_text(r.get(8)).or_else(|| object_org_role.get(id).and_then(|x| role_from_text(x)));
        if let Some(role) = role {
            builder.add_person(id, role);
        }
    }
    // People the mapping knows but AadUser lacks, with their organisation role.
    for (_, r) in &mapping {
        if let Some(role) = object_org_role.get(r.get(0)).and_then(|x| role_from_text(x)) {
            builder.add_person(r.get(0), role);
        }
    }

    // Enrollment: Id, ExternalId, FirstSeen, IsActive, LastSeen, PersonId, RefSectionRoleId, SectionId, ...
    for (file, r) in read_table(snapshot, &ENROLLMENT, tables, skipped)? {
        let Some(class) = section_class.get(r.get(7)) else {
            let reason = format!(
                "Enrollment row: SectionId \"{}\" is not the section of any AadGroup",
                r.get(7)
            );
            skipped.push(RowError::new(&file, r.line, reason));
            continue;
        };
        let Some(person) = person_object.get(r.get(5)) else {
            let reason = format!(
                "Enrollment row: PersonId \"{}\" is not in AadUserPersonMapping",
                r.get(5)
            );
            skipped.push(RowError::new(&file, r.line, reason));
            continue;
        };
        let role = role_from_text(&ref_code(r.get(6)));
        builder.add_enrollment(class, person, role, (&file, r.line), skipped);
    }
    // AadGroupMembership (GroupObjectId, FirstSeen, LastSeen, Role, UserObjectId) is the Azure AD
    // view of class membership; it does not agree with the SIS enrollments, so it is used only when
    // the snapshot has no usable Enrollment rows.
    if builder.enrollment_count() == 0 {
        let class_ids: HashSet<&str> = classes.iter().map(|c| c.id.as_str()).collect();
        for (file, r) in read_table(snapshot, &MEMBERSHIP, tables, skipped)? {
            if !class_ids.contains(r.get(0)) || r.get(4).is_empty() {
                let reason = format!("AadGroupMembership row: group \"{}\" is not an AadGroup", r.get(0));
                skipped.push(RowError::new(&file, r.line, reason));
                continue;
            }
            builder.add_enrollment(r.get(0), r.get(4), role_from_text(r.get(3)), (&file, r.line), skipped);
        }
    }
    Ok(builder.finish(orgs, classes))
}
