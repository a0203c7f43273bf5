//! Writes the district as a OneRoster / SDS v2.1 CSV roster (`orgs`, `users`, `roles`, `classes`,
//! `enrollments`, `academicSessions`, `courses`), with the same headers as Microsoft's v2.1 samples.

use std::path::{Path, PathBuf};

use super::calendar::push_date;
use super::csv_out::CsvFile;
use super::district::{District, Person};
use super::GenerateError;

/// Header of `orgs.csv`.
pub const ORGS_HEADER: &[&str] = &["sourcedId", "name", "type", "parentSourcedId"];
/// Header of `users.csv`.
pub const USERS_HEADER: &[&str] = &[
    "sourcedId",
    "username",
    "givenName",
    "familyName",
    "password",
    "activeDirectoryMatchId",
    "email",
    "phone",
    "sms",
];
/// Header of `roles.csv`.
pub const ROLES_HEADER: &[&str] = &[
    "userSourcedId",
    "orgSourcedId",
    "role",
    "sessionSourcedId",
    "grade",
    "isPrimary",
    "roleStartDate",
    "roleEndDate",
];
/// Header of `classes.csv`.
pub const CLASSES_HEADER: &[&str] = &[
    "sourcedId",
    "orgSourcedId",
    "title",
    "sessionSourcedIds",
    "courseSourcedId",
];
/// Header of `enrollments.csv`.
pub const ENROLLMENTS_HEADER: &[&str] = &["classSourcedId", "userSourcedId", "role"];
/// Header of `academicSessions.csv`.
pub const SESSIONS_HEADER: &[&str] = &["sourcedId", "title", "type", "schoolYear", "startDate", "endDate"];
/// Header of `courses.csv`.
pub const COURSES_HEADER: &[&str] = &[
    "sourcedId",
    "orgSourcedId",
    "title",
    "code",
    "schoolYearSourcedId",
    "subject",
    "grade",
];

fn date_string(day: i64) -> String {
    let mut buf = Vec::with_capacity(10);
    push_date(&mut buf, day);
    String::from_utf8_lossy(&buf).into_owned()
}

/// Writes the seven roster files into `dir` (which must exist) and returns their paths in order.
pub fn write_roster(district: &District, dir: &Path) -> Result<Vec<PathBuf>, GenerateError> {
    let d = district;
    let mut files = Vec::new();
    let open = |name: &str, header: &[&str]| -> Result<CsvFile, GenerateError> {
        let mut file = CsvFile::create(&dir.join(name))?;
        file.row(header)?;
        Ok(file)
    };

    let mut orgs = open("orgs.csv", ORGS_HEADER)?;
    orgs.row(&[&d.id, &d.name, "district", ""])?;
    for school in &d.schools {
        orgs.row(&[&school.id, &school.name, "school", &d.id])?;
    }
    files.push(orgs.finish()?.0);

    let (year_start, year_end) = (date_string(d.year_start), date_string(d.year_end));
    let (term_start, term_end) = (date_string(d.term_start), date_string(d.term_end));
    let school_year = &year_end[..4];
    let mut sessions = open("academicSessions.csv", SESSIONS_HEADER)?;
    let year_title = format!("{school_year} School Year");
    sessions.row(&[
        &d.year_session,
        &year_title,
        "schoolYear",
        school_year,
        &year_start,
        &year_end,
    ])?;
    sessions.row(&[
        &d.term_session,
        "Spring Semester",
        "semester",
        school_year,
        &term_start,
        &term_end,
    ])?;
    files.push(sessions.finish()?.0);

    let mut courses = open("courses.csv", COURSES_HEADER)?;
    for c in &d.courses {
        let org = &d.schools[c.school].id;
        courses.row(&[&c.id, org, c.title(), c.code(), &d.year_session, c.subject_name(), ""])?;
    }
    files.push(courses.finish()?.0);

    let mut classes = open("classes.csv", CLASSES_HEADER)?;
    for c in &d.classes {
        let course = &d.courses[c.course];
        let title = format!("{} - Period {} - Section {}", course.title(), c.period + 1, c.section);
        classes.row(&[&c.id, &d.schools[c.school].id, &title, &d.term_session, &course.id])?;
    }
    files.push(classes.finish()?.0);

    let mut users = open("users.csv", USERS_HEADER)?;
    for p in d.students.iter().chain(&d.teachers) {
        users.row(&[
            &p.id,
            &p.username,
            p.given,
            p.family,
            "",
            &p.username,
            &p.username,
            "",
            "",
        ])?;
    }
    files.push(users.finish()?.0);

    let mut roles = open("roles.csv", ROLES_HEADER)?;
    let mut role_row = |p: &Person, role: &str| {
        let school = &d.schools[p.school].id;
        roles.row(&[
            &p.id,
            school,
            role,
            &d.year_session,
            p.grade,
            "TRUE",
            &year_start,
            &year_end,
        ])
    };
    for p in &d.students {
        role_row(p, "student")?;
    }
    for p in &d.teachers {
        role_row(p, "teacher")?;
    }
    files.push(roles.finish()?.0);

    let mut enrollments = open("enrollments.csv", ENROLLMENTS_HEADER)?;
    for c in &d.classes {
        enrollments.row(&[&c.id, &d.teachers[c.teacher].id, "teacher"])?;
        for &s in &c.students {
            enrollments.row(&[&c.id, &d.students[s as usize].id, "student"])?;
        }
    }
    files.push(enrollments.finish()?.0);
    Ok(files)
}
