//! Each supported roster format of the public samples imports with the expected counts.

mod common;

use engine::roster::Role;
use import::roster::load_roster;
use import::{import_roster, EventSink, MemorySink, RosterFormat};

/// (orgs, classes, students, teachers, student enrollments, teacher enrollments, rows skipped)
type Counts = (usize, usize, usize, usize, usize, usize, u64);

fn counts(dir: &str) -> (RosterFormat, Counts, import::RosterSummary) {
    let (_, s) = load_roster(&common::sample_data().join(dir), 20).unwrap();
    let c = (
        s.orgs,
        s.classes,
        s.students,
        s.teachers,
        s.student_enrollments,
        s.teacher_enrollments,
        s.skipped.count,
    );
    println!("{dir}: {s}");
    (s.format.clone(), c, s)
}

#[test]
fn hed_data_lake_roster() {
    let (format, c, s) = counts("roster/hed_raw");
    assert!(matches!(format, RosterFormat::DataLake { ref snapshot } if snapshot.ends_with("2022-01-28T06-16-22")));
    // The 40 teacher rows of Enrollment have no SectionId/PersonId (a quirk of the sample): skipped.
    assert_eq!(c, (5, 87, 600, 40, 3600, 0, 40), "{s}");
    assert!(
        s.skipped.listed[0].reason.contains("SectionId"),
        "{:?}",
        s.skipped.listed[0]
    );
    assert!(s.tables.contains(&("AadUser".to_string(), 639)));
}

#[test]
fn hed_student_missing_from_aad_user_is_known_through_the_mapping() {
    let sink = MemorySink::default();
    import_roster(&sink, &common::sample_data().join("roster/hed_raw")).unwrap();
    let roster = sink.roster().unwrap().unwrap();
    let missing = roster
        .people
        .iter()
        .find(|p| p.id == "4553be8485c74c5580e04affff37ef62")
        .unwrap();
    assert_eq!(missing.role, Role::Student);
    let schools: std::collections::HashSet<_> = roster.classes.iter().filter_map(|c| c.school.clone()).collect();
    assert_eq!(schools.len(), 5);
    assert!(roster.orgs.iter().all(|o| o.kind == "school"));
}

#[test]
fn k12_data_lake_roster_keeps_the_district() {
    let (format, c, s) = counts("roster/k12_raw");
    assert!(
        matches!(format, RosterFormat::DataLake { ref snapshot } if snapshot.ends_with("2022-01-28T06-16-22")),
        "{format}"
    );
    assert_eq!(c, (6, 87, 600, 0, 3600, 0, 0), "{s}");
    let (roster, _) = load_roster(&common::sample_data().join("roster/k12_raw"), 20).unwrap();
    let district = roster.orgs.iter().find(|o| o.kind == "district").unwrap();
    assert_eq!(district.name, "Contoso School District");
    assert!(roster
        .orgs
        .iter()
        .filter(|o| o.kind == "school")
        .all(|o| o.parent.as_deref() == Some(&district.id)));
    // Classes belong to schools, not to the district above them.
    assert!(roster
        .classes
        .iter()
        .all(|c| c.school.as_deref().is_some_and(|s| s != district.id)));
}

#[test]
fn sds_v21_roster() {
    let (format, c, s) = counts("sds_csv_samples/v2.1");
    assert_eq!(format, RosterFormat::OneRoster);
    assert_eq!(c, (4, 2, 4, 2, 4, 2, 0), "{s}");
    let (roster, _) = load_roster(&common::sample_data().join("sds_csv_samples/v2.1"), 20).unwrap();
    let school = |id: &str| {
        roster
            .classes
            .iter()
            .find(|c| c.id == id)
            .and_then(|c| c.school.clone())
    };
    // 112001 belongs to a college with no school above it: its own org; 112002 to a school.
    assert_eq!(school("112001").as_deref(), Some("110001"));
    assert_eq!(school("112002").as_deref(), Some("110003"));
    // Guardians (only in relationships.csv) are not people of the roster.
    assert!(roster.people.iter().all(|p| p.id != "114002" && p.id != "114005"));
}

#[test]
fn sds_v2_roster() {
    let (format, c, s) = counts("sds_csv_samples/v2");
    assert_eq!(format, RosterFormat::OneRoster);
    assert_eq!(c, (5, 4, 22, 7, 22, 7, 0), "{s}");
}

#[test]
fn sds_v1_rosters() {
    for (dir, expected) in [
        (
            "sds_csv_samples/v1_sds_format/Min_Required_Attributes",
            (2, 2, 22, 2, 44, 2, 0),
        ),
        ("sds_csv_samples/v1_sds_format/25_Users", (2, 2, 22, 2, 44, 2, 0)),
        ("sds_csv_samples/v1_sds_format/100_Users", (2, 28, 86, 12, 602, 28, 0)),
    ] {
        let (format, c, s) = counts(dir);
        assert_eq!(format, RosterFormat::SdsV1);
        assert_eq!(c, expected, "{dir}: {s}");
    }
}
