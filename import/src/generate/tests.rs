//! End-to-end tests of the generator: determinism, file shapes, roster integrity and the statistical
//! shape of the activity (class sizes, weekly rhythm, edge-case proportions).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::*;

fn options(dir: &Path) -> GenerateOptions {
    GenerateOptions {
        students: 300,
        days: 21,
        seed: 7,
        ..GenerateOptions::new(dir)
    }
}

fn run(opts: &GenerateOptions) -> GenerateSummary {
    match generate(opts) {
        Ok(summary) => summary,
        Err(e) => panic!("generation failed: {e}"),
    }
}

fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .unwrap();
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn activity_rows(summary: &GenerateSummary) -> Vec<Vec<String>> {
    summary
        .files
        .iter()
        .filter(|p| p.to_string_lossy().contains("part-"))
        .flat_map(|p| read_csv(p))
        .collect()
}

fn roster(dir: &Path, name: &str) -> Vec<Vec<String>> {
    read_csv(&dir.join("roster").join(name))
}

fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    let base = b.len() >= 19
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b' '
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    base && (b.len() == 19 || (b.len() == 27 && b[19] == b'.' && digits(20..27)))
}

fn is_duration(s: &str) -> bool {
    let parts: Vec<&str> = s.split(':').collect();
    parts.len() == 3
        && !parts[0].is_empty()
        && parts.iter().all(|p| p.bytes().all(|c| c.is_ascii_digit()))
        && parts[1].len() == 2
        && parts[2].len() == 2
        && parts[1] < "60"
        && parts[2] < "60"
}

#[test]
fn same_seed_gives_identical_bytes_and_another_seed_differs() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let sa = run(&GenerateOptions {
        activity_files: 3,
        ..options(a.path())
    });
    let sb = run(&GenerateOptions {
        activity_files: 3,
        ..options(b.path())
    });
    assert_eq!(sa.files.len(), 10);
    for (fa, fb) in sa.files.iter().zip(&sb.files) {
        assert_eq!(
            std::fs::read(fa).unwrap(),
            std::fs::read(fb).unwrap(),
            "{} differs",
            fa.display()
        );
    }
    let sc = run(&GenerateOptions {
        seed: 8,
        activity_files: 3,
        ..options(c.path())
    });
    let part = |s: &GenerateSummary| std::fs::read(&s.files[7]).unwrap();
    assert_ne!(part(&sa), part(&sc));
}

#[test]
fn gzip_holds_the_same_rows_as_plain_output() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let plain = run(&GenerateOptions {
        days: 5,
        ..options(a.path())
    });
    let zipped = run(&GenerateOptions {
        days: 5,
        gzip: true,
        ..options(b.path())
    });
    let last = zipped.files.last().unwrap();
    assert!(last.to_string_lossy().ends_with("part-0000.csv.gz"));
    // A gzip part is a series of members (one per rendered block), as `gzip -d` and `zcat` read.
    let mut text = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::MultiGzDecoder::new(std::fs::File::open(last).unwrap()),
        &mut text,
    )
    .unwrap();
    assert_eq!(text, std::fs::read(plain.files.last().unwrap()).unwrap());
    assert_eq!(plain.activity_rows, zipped.activity_rows);
}

#[test]
fn summary_counts_match_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let s = run(&GenerateOptions {
        activity_files: 2,
        ..options(dir.path())
    });
    let rows = activity_rows(&s);
    assert_eq!(rows.len() as u64, s.activity_rows);
    let lines: usize = s.files[7..]
        .iter()
        .map(|p| std::fs::read(p).unwrap().iter().filter(|&&b| b == b'\n').count())
        .sum();
    assert_eq!(lines as u64, s.activity_rows, "one line per row (no embedded newlines)");
    let bytes: u64 = s.files.iter().map(|p| std::fs::metadata(p).unwrap().len()).sum();
    assert_eq!(bytes, s.bytes_written);
    assert_eq!(roster(dir.path(), "users.csv").len() - 1, s.students + s.teachers);
    assert_eq!(roster(dir.path(), "classes.csv").len() - 1, s.classes);
    assert_eq!(roster(dir.path(), "orgs.csv").len() - 1, s.schools + 1);
    assert_eq!(rows.iter().filter(|r| r[9] == "Teacher").count() as u64, s.teacher_rows);
    assert_eq!(rows.iter().filter(|r| r[9].is_empty()).count() as u64, s.guest_rows);
    let mut seen = HashSet::new();
    let repeats = rows.iter().filter(|r| !seen.insert(r[3].clone())).count() as u64;
    assert_eq!(repeats, s.duplicate_rows);
    assert!(s.to_string().contains(&format!("{} activity rows", s.activity_rows)));
}

#[test]
fn every_activity_row_has_32_well_formed_fields() {
    let dir = tempfile::tempdir().unwrap();
    let s = run(&options(dir.path()));
    let rows = activity_rows(&s);
    assert!(rows.len() > 10_000);
    let mut signals = HashSet::new();
    for r in &rows {
        assert_eq!(r.len(), ACTIVITY_COLUMNS, "{r:?}");
        assert!(is_timestamp(&r[1]), "StartTime {:?}", r[1]);
        assert_eq!(r[10], SCHEMA_VERSION);
        assert_eq!(r[3].len(), 36);
        assert!(
            is_timestamp(&r[16]) && r[16].ends_with("00:00:00"),
            "ClassCreationDate {:?}",
            r[16]
        );
        let assignment = r[0] == "AssignmentEvent" || r[0] == "SubmissionEvent";
        assert_eq!(assignment, !r[11].is_empty(), "{r:?}");
        if assignment {
            assert!(is_timestamp(&r[15]), "DueDate {:?}", r[15]);
        }
        let submitted = r[14] == "Submitted" && r[0] == "SubmissionEvent";
        assert_eq!(submitted, !r[12].is_empty());
        if submitted {
            assert_eq!(r[13], r[1], "SubmissionCreatedTime is the StartTime");
        }
        assert_eq!(r[14] == "Returned", !r[17].is_empty());
        if !r[17].is_empty() {
            let g: f64 = r[17].parse().unwrap();
            assert!((0.0..=100.0).contains(&g) && r[17].contains('.'));
        }
        assert_eq!(r[0] == "CallRecordSummarized", is_duration(&r[19]), "{r:?}");
        assert_eq!(r[0] == "CallRecordSummarized", r[20].len() == 36);
        assert_eq!(r[0].starts_with("File"), !r[18].is_empty());
        let reading = r[0] == "ReadingSubmission";
        assert!(r[22..32].iter().all(|f| f.is_empty() != reading), "{r:?}");
        if reading {
            assert!(r[22].parse::<u32>().is_ok() && r[28].parse::<u32>().is_ok());
        }
        signals.insert((r[7].clone(), r[0].clone()));
    }
    for app in [
        "Assignments",
        "Teams",
        "TeamsMeeting",
        "SharePoint Online",
        "OneNote",
        "Reflect",
        "Reading Progress",
    ] {
        assert!(signals.iter().any(|(a, _)| a == app), "no {app} rows");
    }
    assert!(rows.iter().any(|r| r[1].len() == 27), "some fractional timestamps");
    assert!(
        rows.iter().any(|r| r[2].contains(", ")),
        "some user agents with commas (quoted in the file)"
    );
}

#[test]
fn roster_files_have_the_sds_v21_headers() {
    let dir = tempfile::tempdir().unwrap();
    run(&GenerateOptions {
        days: 1,
        ..options(dir.path())
    });
    let expected = [
        ("orgs.csv", "sourcedId,name,type,parentSourcedId"),
        (
            "users.csv",
            "sourcedId,username,givenName,familyName,password,activeDirectoryMatchId,email,phone,sms",
        ),
        (
            "roles.csv",
            "userSourcedId,orgSourcedId,role,sessionSourcedId,grade,isPrimary,roleStartDate,roleEndDate",
        ),
        (
            "classes.csv",
            "sourcedId,orgSourcedId,title,sessionSourcedIds,courseSourcedId",
        ),
        ("enrollments.csv", "classSourcedId,userSourcedId,role"),
        (
            "academicSessions.csv",
            "sourcedId,title,type,schoolYear,startDate,endDate",
        ),
        (
            "courses.csv",
            "sourcedId,orgSourcedId,title,code,schoolYearSourcedId,subject,grade",
        ),
    ];
    for (name, header) in expected {
        let text = std::fs::read_to_string(dir.path().join("roster").join(name)).unwrap();
        assert_eq!(text.lines().next(), Some(header), "{name}");
        let columns = header.split(',').count();
        assert!(roster(dir.path(), name).iter().all(|r| r.len() == columns), "{name}");
    }
}

#[test]
fn roster_references_are_consistent_and_classes_are_sized_like_a_high_school() {
    let dir = tempfile::tempdir().unwrap();
    let s = run(&GenerateOptions {
        students: 1000,
        days: 1,
        ..options(dir.path())
    });
    let orgs = roster(dir.path(), "orgs.csv");
    let schools: HashSet<&str> = orgs
        .iter()
        .filter(|r| r[2] == "school")
        .map(|r| r[0].as_str())
        .collect();
    let district: Vec<&Vec<String>> = orgs.iter().filter(|r| r[2] == "district").collect();
    assert_eq!(district.len(), 1);
    assert!(orgs.iter().filter(|r| r[2] == "school").all(|r| r[3] == district[0][0]));
    assert_eq!(schools.len(), s.schools);
    let users: HashSet<String> = roster(dir.path(), "users.csv")
        .into_iter()
        .skip(1)
        .map(|r| r[0].clone())
        .collect();
    let courses: HashSet<String> = roster(dir.path(), "courses.csv")
        .into_iter()
        .skip(1)
        .map(|r| r[0].clone())
        .collect();
    let classes = roster(dir.path(), "classes.csv");
    assert!(classes
        .iter()
        .skip(1)
        .all(|r| schools.contains(r[1].as_str()) && courses.contains(&r[4])));
    let class_ids: HashSet<&str> = classes.iter().skip(1).map(|r| r[0].as_str()).collect();
    assert!(roster(dir.path(), "roles.csv")
        .iter()
        .skip(1)
        .all(|r| users.contains(&r[0]) && schools.contains(r[1].as_str())));

    let mut per_class: HashMap<String, usize> = HashMap::new();
    let mut per_student: HashMap<String, usize> = HashMap::new();
    let mut teachers_per_class: HashMap<String, usize> = HashMap::new();
    for r in roster(dir.path(), "enrollments.csv").into_iter().skip(1) {
        assert!(class_ids.contains(r[0].as_str()) && users.contains(&r[1]), "{r:?}");
        if r[2] == "student" {
            *per_class.entry(r[0].clone()).or_default() += 1;
            *per_student.entry(r[1].clone()).or_default() += 1;
        } else {
            assert_eq!(r[2], "teacher");
            *teachers_per_class.entry(r[0].clone()).or_default() += 1;
        }
    }
    assert_eq!(per_student.len(), s.students);
    assert!(per_student.values().all(|&n| n == 6), "six classes per student");
    let mean = per_class.values().sum::<usize>() as f64 / per_class.len() as f64;
    assert!((22.0..=28.0).contains(&mean), "mean class size {mean}");
    assert!(per_class.values().all(|&n| (15..=35).contains(&n)));
    assert!(
        class_ids.iter().all(|c| teachers_per_class.get(*c) == Some(&1)),
        "one teacher per class"
    );
    let per_teacher = s.classes as f64 / s.teachers as f64;
    assert!((4.0..=5.0).contains(&per_teacher), "classes per teacher {per_teacher}");
}

#[test]
fn activity_follows_the_school_week_and_contains_the_edge_cases() {
    let dir = tempfile::tempdir().unwrap();
    let s = run(&options(dir.path()));
    let rows = activity_rows(&s);
    let n = rows.len() as f64;
    let day_of = |r: &Vec<String>| {
        let (y, m, d) = (
            r[1][0..4].parse().unwrap(),
            r[1][5..7].parse().unwrap(),
            r[1][8..10].parse().unwrap(),
        );
        calendar::days_from_civil(y, m, d)
    };
    let (mut weekday_rows, mut weekend_rows) = (0.0, 0.0);
    for r in &rows {
        if calendar::weekday(day_of(r)) >= 5 {
            weekend_rows += 1.0;
        } else {
            weekday_rows += 1.0;
        }
    }
    assert!(
        weekday_rows / 15.0 > 2.0 * weekend_rows / 6.0,
        "weekday {weekday_rows} weekend {weekend_rows}"
    );
    let per_student_day = n / (300.0 * 21.0);
    assert!(
        (3.0..=5.0).contains(&per_student_day),
        "{per_student_day} rows per student-day"
    );
    let night = rows.iter().filter(|r| &r[1][11..13] < "06").count() as f64;
    assert!(night / n < 0.08, "nights are light: {night}");

    let users: HashSet<String> = roster(dir.path(), "users.csv")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    let classes: HashSet<String> = roster(dir.path(), "classes.csv")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    let share = |count: u64| count as f64 / n;
    assert!(
        (0.003..0.008).contains(&share(s.duplicate_rows)),
        "duplicates {}",
        s.duplicate_rows
    );
    assert!((0.002..0.01).contains(&share(s.guest_rows)), "guests {}", s.guest_rows);
    assert!(
        (0.01..0.06).contains(&share(s.unknown_class_rows)),
        "unknown classes {}",
        s.unknown_class_rows
    );
    assert!(
        rows.iter().filter(|r| r[9].is_empty()).all(|r| !users.contains(&r[8])),
        "guests are not rostered"
    );
    let unrostered = rows
        .iter()
        .filter(|r| r[9] == "Student" && !users.contains(&r[8]))
        .count();
    assert!(
        (0.002..0.02).contains(&(unrostered as f64 / n)),
        "unrostered students {unrostered}"
    );
    let unknown = rows.iter().filter(|r| !classes.contains(&r[4])).count() as u64;
    assert_eq!(unknown, s.unknown_class_rows);
    assert!(rows.iter().any(|r| r[9] == "Teacher" && r[14] == "Assigned"));
    assert!(rows.iter().any(|r| r[9] == "Teacher" && r[0] == "CallRecordSummarized"));

    let due: HashMap<&str, &str> = rows
        .iter()
        .filter(|r| r[14] == "Assigned")
        .map(|r| (r[11].as_str(), r[15].as_str()))
        .collect();
    let submitted: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r[0] == "SubmissionEvent" && r[14] == "Submitted")
        .collect();
    assert!(
        submitted
            .iter()
            .all(|r| due.get(r[11].as_str()) == Some(&r[15].as_str())),
        "submissions refer to assignments"
    );
    let late = submitted.iter().filter(|r| r[1] >= r[15]).count();
    assert!(
        late > 0 && late < submitted.len() / 3,
        "{late} of {} late",
        submitted.len()
    );
    let graded_zero = rows.iter().filter(|r| r[14] == "Returned" && r[17] == "0.0").count();
    assert!(graded_zero > 0, "missing work is returned with 0");
}

#[test]
fn some_students_fade_out_or_vanish_for_a_week() {
    let dir = tempfile::tempdir().unwrap();
    let s = run(&GenerateOptions {
        days: 28,
        ..options(dir.path())
    });
    let rows = activity_rows(&s);
    let users: HashSet<String> = roster(dir.path(), "roles.csv")
        .into_iter()
        .filter(|r| r[2] == "student")
        .map(|r| r[0].clone())
        .collect();
    let mut active_days: HashMap<&str, HashSet<&str>> = HashMap::new();
    for r in rows.iter().filter(|r| users.contains(&r[8]) && r[14] != "Returned") {
        active_days.entry(&r[8]).or_default().insert(&r[1][..10]);
    }
    let first_week_only = active_days
        .values()
        .filter(|days| days.iter().any(|d| *d < "2022-01-10") && days.iter().all(|d| *d < "2022-01-24"))
        .count();
    assert!(first_week_only > 0, "someone stops being active");
    let school_week_gap = active_days
        .values()
        .filter(|days| {
            (0..3).any(|w| {
                let monday = 10 + 7 * w;
                (monday..monday + 5).all(|d| !days.contains(format!("2022-01-{d:02}").as_str()))
            })
        })
        .count();
    assert!(school_week_gap > 0, "someone misses a whole school week");
}

#[test]
fn bad_options_and_unwritable_directories_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    for opts in [
        GenerateOptions {
            students: 0,
            ..options(dir.path())
        },
        GenerateOptions {
            days: 0,
            ..options(dir.path())
        },
        GenerateOptions {
            activity_files: 22,
            ..options(dir.path())
        },
        GenerateOptions {
            start_date: (2022, 2, 30),
            ..options(dir.path())
        },
        GenerateOptions {
            events_per_student_day: f64::NAN,
            ..options(dir.path())
        },
    ] {
        assert!(
            matches!(generate(&opts), Err(GenerateError::InvalidOptions(_))),
            "{opts:?}"
        );
    }
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    match generate(&options(&file)) {
        Err(e @ GenerateError::Io { .. }) => assert!(e.to_string().contains("not-a-dir"), "{e}"),
        other => panic!("expected an I/O error, got {other:?}"),
    }
}
