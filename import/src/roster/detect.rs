//! Recognising which roster format a folder holds, from the files in it.

use std::fmt;
use std::path::{Path, PathBuf};

use super::table::entry_ignoring_case;
use crate::error::ImportError;

/// The data-lake tables a snapshot folder must have.
const DATA_LAKE_TABLES: &[&str] = &["AadUser", "AadGroup", "AadUserPersonMapping", "Section", "Organization"];
/// The files of a OneRoster / SDS v2.x CSV roster.
pub const ONEROSTER_FILES: &[&str] = &["orgs.csv", "users.csv", "classes.csv", "enrollments.csv"];
/// The files of an SDS v1 CSV roster.
pub const SDS_V1_FILES: &[&str] = &[
    "School.csv",
    "Section.csv",
    "Student.csv",
    "Teacher.csv",
    "StudentEnrollment.csv",
    "TeacherRoster.csv",
];

/// A supported roster format, with where its tables are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RosterFormat {
    /// Insights data-lake export: one folder per table of headerless CSVs, in a snapshot folder.
    DataLake {
        /// The snapshot folder holding the table folders (the latest one if there are several).
        snapshot: PathBuf,
    },
    /// OneRoster / SDS v2 and v2.1 CSV: `orgs.csv`, `users.csv`, `classes.csv`, `enrollments.csv`, ...
    OneRoster,
    /// SDS v1 CSV: `School.csv`, `Section.csv`, `Student.csv`, `Teacher.csv`, `StudentEnrollment.csv`, `TeacherRoster.csv`.
    SdsV1,
}

impl fmt::Display for RosterFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RosterFormat::DataLake { snapshot } => {
                let name = snapshot.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
                write!(f, "Insights data-lake roster (snapshot {name})")
            }
            RosterFormat::OneRoster => write!(f, "OneRoster / SDS v2.1 CSV roster"),
            RosterFormat::SdsV1 => write!(f, "SDS v1 CSV roster"),
        }
    }
}

fn has_all(dir: &Path, names: &[&str]) -> bool {
    names.iter().all(|n| entry_ignoring_case(dir, n).is_some())
}

/// Which format `dir` holds. A data-lake export may be the snapshot folder itself or a folder of
/// timestamped snapshots (the latest by name is used).
pub fn detect_roster_format(dir: &Path) -> Result<RosterFormat, ImportError> {
    let entries = std::fs::read_dir(dir).map_err(|e| ImportError::io(dir, e))?;
    if has_all(dir, DATA_LAKE_TABLES) {
        return Ok(RosterFormat::DataLake {
            snapshot: dir.to_path_buf(),
        });
    }
    let mut snapshots: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir() && has_all(p, DATA_LAKE_TABLES))
        .collect();
    snapshots.sort();
    if let Some(latest) = snapshots.pop() {
        return Ok(RosterFormat::DataLake { snapshot: latest });
    }
    if has_all(dir, ONEROSTER_FILES) {
        return Ok(RosterFormat::OneRoster);
    }
    if has_all(dir, SDS_V1_FILES) {
        return Ok(RosterFormat::SdsV1);
    }
    Err(ImportError::UnknownRosterFormat {
        path: dir.to_path_buf(),
        detail: format!(
            "expected a data-lake snapshot (folders {}), a OneRoster/SDS v2.1 roster ({}) or an SDS v1 roster ({})",
            DATA_LAKE_TABLES.join(", "),
            ONEROSTER_FILES.join(", "),
            SDS_V1_FILES.join(", ")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(dir: &Path, names: &[&str]) {
        for n in names {
            std::fs::write(dir.join(n), "").unwrap();
        }
    }

    #[test]
    fn detects_each_format_from_its_files() {
        let tmp = tempfile::tempdir().unwrap();
        let one = tmp.path().join("one");
        std::fs::create_dir(&one).unwrap();
        touch(
            &one,
            &["ORGS.csv", "users.csv", "classes.csv", "enrollments.csv", "roles.csv"],
        );
        assert_eq!(detect_roster_format(&one).unwrap(), RosterFormat::OneRoster);

        let v1 = tmp.path().join("v1");
        std::fs::create_dir(&v1).unwrap();
        touch(&v1, SDS_V1_FILES);
        assert_eq!(detect_roster_format(&v1).unwrap(), RosterFormat::SdsV1);

        let lake = tmp.path().join("lake");
        for snap in ["2022-01-01T00-00-00", "2022-02-01T00-00-00"] {
            for t in DATA_LAKE_TABLES {
                std::fs::create_dir_all(lake.join(snap).join(t)).unwrap();
            }
        }
        let latest = lake.join("2022-02-01T00-00-00");
        assert_eq!(
            detect_roster_format(&lake).unwrap(),
            RosterFormat::DataLake {
                snapshot: latest.clone()
            }
        );
        assert_eq!(
            detect_roster_format(&latest).unwrap(),
            RosterFormat::DataLake { snapshot: latest }
        );
    }

    #[test]
    fn unknown_folder_says_what_each_format_needs() {
        let tmp = tempfile::tempdir().unwrap();
        touch(tmp.path(), &["users.csv"]);
        let err = detect_roster_format(tmp.path()).unwrap_err().to_string();
        assert!(
            err.contains("not a roster folder") && err.contains("StudentEnrollment.csv"),
            "{err}"
        );
        assert!(detect_roster_format(&tmp.path().join("missing")).is_err());
    }
}
