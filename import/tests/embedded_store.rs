//! The public samples imported into a real on-disk store (`engine::Db`): each roster format lands
//! with its counts and survives a reopen, and a roster imported after the activity re-resolves the
//! school of the events already stored.

mod common;

use engine::roster::Role;
use engine::{col, Db, DbOptions, IndexFilter, ScanRequest};
use import::{import_activity, import_roster, ImportOptions, RosterFormat};

fn options() -> DbOptions {
    DbOptions {
        background_compaction: false,
        ..DbOptions::default()
    }
}

/// (orgs, classes, people, students, enrollments) of a roster.
type Counts = (usize, usize, usize, usize, usize);

/// A sample folder, a check of its detected format, and its expected counts.
type Case = (&'static str, fn(&RosterFormat) -> bool, Counts);

/// The counts of the roster stored in `db`.
fn stored_counts(db: &Db) -> Counts {
    let r = db.roster().unwrap();
    let students = r.people.iter().filter(|p| p.role == Role::Student).count();
    (
        r.orgs.len(),
        r.classes.len(),
        r.people.len(),
        students,
        r.enrollments.len(),
    )
}

#[test]
fn every_roster_sample_lands_in_the_store_and_survives_a_reopen() {
    let cases: [Case; 5] = [
        (
            "roster/k12_raw",
            |f| matches!(f, RosterFormat::DataLake { .. }),
            (6, 87, 600, 600, 3600),
        ),
        (
            "roster/hed_raw",
            |f| matches!(f, RosterFormat::DataLake { .. }),
            (5, 87, 640, 600, 3600),
        ),
        (
            "sds_csv_samples/v2.1",
            |f| *f == RosterFormat::OneRoster,
            (4, 2, 6, 4, 6),
        ),
        (
            "sds_csv_samples/v1_sds_format/25_Users",
            |f| *f == RosterFormat::SdsV1,
            (2, 2, 24, 22, 46),
        ),
        (
            "sds_csv_samples/v1_sds_format/100_Users",
            |f| *f == RosterFormat::SdsV1,
            (2, 28, 98, 86, 630),
        ),
    ];
    for (dir, is_format, expected) in cases {
        let store = tempfile::tempdir().unwrap();
        let db = Db::open(store.path(), options()).unwrap();
        let summary = import_roster(db.as_ref(), &common::sample_data().join(dir)).unwrap();
        assert!(is_format(&summary.format), "{dir}: {}", summary.format);
        assert_eq!(stored_counts(&db), expected, "{dir}: {summary}");
        db.close().unwrap();
        drop(db);
        let db = Db::open(store.path(), options()).unwrap();
        assert_eq!(stored_counts(&db), expected, "{dir} after reopening");
    }
}

#[test]
fn a_later_roster_resolves_the_school_of_stored_events() {
    let data = common::sample_data();
    let store = tempfile::tempdir().unwrap();
    let db = Db::open(store.path(), options()).unwrap();
    let activity = data.join("activity/hed_reconstructed_raw/ApplicationUsage_reconstructed.csv.gz");
    // Without a roster, ActorRole decides who is a student: the same 78,603 signals, no school.
    let summary = import_activity(db.as_ref(), &activity, &ImportOptions::default(), &mut |_| {}).unwrap();
    assert_eq!(summary.events_stored, 78_603);
    let with_school = |db: &Db| {
        let snap = db.snapshot().unwrap();
        let schools: Vec<String> = snap
            .roster()
            .orgs
            .iter()
            .filter(|o| o.kind == "school")
            .map(|o| o.id.clone())
            .collect();
        let req = ScanRequest {
            filters: vec![IndexFilter {
                column: col::SCHOOL,
                values: schools,
            }],
            ..Default::default()
        };
        snap.count(&req).unwrap()
    };
    assert_eq!(with_school(&db), 0);
    import_roster(db.as_ref(), &data.join("roster/hed_raw")).unwrap();
    assert_eq!(with_school(&db), 78_603, "every class of the sample is in the roster");
    // Importing the file again stores nothing new.
    let again = import_activity(db.as_ref(), &activity, &ImportOptions::default(), &mut |_| {}).unwrap();
    assert_eq!((again.events_stored, again.duplicates_dropped), (0, 78_603));
}
