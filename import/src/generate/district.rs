//! The simulated district: schools, courses, classes, students, teachers and the ids of people and
//! classes that appear in the activity export but not in the roster.

use super::ids::{as_v4, guid_string};
use super::rng::Rng;

/// Students per class the district aims for.
pub const CLASS_SIZE: usize = 25;
/// Class periods per day; every student takes one class per period.
pub const PERIODS: usize = 6;
/// Classes one teacher teaches.
pub const CLASSES_PER_TEACHER: usize = 5;
/// Students per school the district aims for.
pub const STUDENTS_PER_SCHOOL: usize = 500;

const SUBJECTS: &[(&str, &str, &str)] = &[
    ("Algebra I", "ALG1", "Mathematics"),
    ("English 9", "ENG9", "English Language Arts"),
    ("Biology", "BIO", "Science"),
    ("World History", "WHIS", "Social Studies"),
    ("Spanish I", "SPA1", "World Languages"),
    ("Physical Education", "PE", "Physical Education"),
    ("Geometry", "GEOM", "Mathematics"),
    ("Chemistry", "CHEM", "Science"),
    ("Computer Science", "CS", "Computer Science"),
    ("Art Foundations", "ART", "Fine Arts"),
    ("US Government", "GOV", "Social Studies"),
    ("English 10", "ENG10", "English Language Arts"),
    ("Music Ensemble", "MUS", "Fine Arts"),
    ("Physics", "PHYS", "Science"),
];

const GIVEN: &[&str] = &[
    "Ava", "Liam", "Noah", "Emma", "Olivia", "Mateo", "Sofia", "Lucas", "Mia", "Ethan", "Amara", "Kai", "Zoe", "Leo",
    "Isabella", "Omar", "Priya", "Hana", "Diego", "Chloe", "Yusuf", "Grace", "Mei", "Aiden", "Nora", "Elijah", "Layla",
    "Jonah", "Aaliyah", "Samuel", "Ines", "Ravi", "Lucia", "Finn", "Maya", "Tariq", "Elena", "Jamal",
];
const FAMILY: &[&str] = &[
    "Garcia",
    "Smith",
    "Nguyen",
    "Johnson",
    "Patel",
    "Kim",
    "Brown",
    "Martinez",
    "Okafor",
    "Lee",
    "Silva",
    "Cohen",
    "Hernandez",
    "Walker",
    "Ahmed",
    "Rossi",
    "Tanaka",
    "Murphy",
    "Novak",
    "Haddad",
    "Lopez",
    "Wright",
    "Chen",
    "Dubois",
    "Kowalski",
    "Mensah",
    "Ivanova",
    "Reyes",
    "Singh",
    "Foster",
    "Baker",
    "Costa",
];

/// A school (an org of type `school` under the district).
#[derive(Debug, Clone)]
pub struct School {
    /// sourcedId.
    pub id: String,
    /// Display name.
    pub name: String,
}

/// A course offered by one school.
#[derive(Debug, Clone)]
pub struct Course {
    /// sourcedId.
    pub id: String,
    /// Index into [`District::schools`].
    pub school: usize,
    /// Index into the subject table.
    pub subject: usize,
}

impl Course {
    /// Course title, e.g. `Biology`.
    pub fn title(&self) -> &'static str {
        SUBJECTS[self.subject].0
    }
    /// Course code, e.g. `BIO`.
    pub fn code(&self) -> &'static str {
        SUBJECTS[self.subject].1
    }
    /// Subject area, e.g. `Science`.
    pub fn subject_name(&self) -> &'static str {
        SUBJECTS[self.subject].2
    }
}

/// A class (section) of one course, taught in one period by one teacher.
#[derive(Debug, Clone)]
pub struct Class {
    /// sourcedId; the export's SisClassId.
    pub id: String,
    /// The class team's group id; the export's ClassId (upper-case GUID).
    pub group_id: String,
    /// The class team's general channel, e.g. `19:…@thread.tacv2`.
    pub channel_id: String,
    /// Index into [`District::schools`].
    pub school: usize,
    /// Index into [`District::courses`].
    pub course: usize,
    /// Period 0..PERIODS.
    pub period: usize,
    /// Section number within the period, 1-based.
    pub section: usize,
    /// Index into [`District::teachers`].
    pub teacher: usize,
    /// Indexes into [`District::students`].
    pub students: Vec<u32>,
    /// Day number (since 1970-01-01) on which the class team was created.
    pub created_day: i64,
}

/// A rostered person (student or teacher).
#[derive(Debug, Clone)]
pub struct Person {
    /// sourcedId; the export's ActorId.
    pub id: String,
    /// Given name.
    pub given: &'static str,
    /// Family name.
    pub family: &'static str,
    /// Sign-in name / e-mail.
    pub username: String,
    /// Index into [`District::schools`].
    pub school: usize,
    /// Grade level (`09`..`12`) for students; empty for teachers.
    pub grade: &'static str,
    /// Indexes into [`District::classes`].
    pub classes: Vec<u32>,
}

/// A class that shows up in activity but is missing from the roster (e.g. a club team).
#[derive(Debug, Clone)]
pub struct UnknownClass {
    /// SisClassId the roster lacks.
    pub id: String,
    /// ClassId (group GUID).
    pub group_id: String,
}

/// The whole simulated district.
#[derive(Debug, Clone)]
pub struct District {
    /// District org sourcedId.
    pub id: String,
    /// District display name.
    pub name: String,
    /// School-year session sourcedId.
    pub year_session: String,
    /// Term session sourcedId.
    pub term_session: String,
    /// First day (day number) of the school year session.
    pub year_start: i64,
    /// Last day of the school year session.
    pub year_end: i64,
    /// First day of the term session.
    pub term_start: i64,
    /// Last day of the term session.
    pub term_end: i64,
    /// Schools.
    pub schools: Vec<School>,
    /// Courses (one per school and subject taught there).
    pub courses: Vec<Course>,
    /// Classes.
    pub classes: Vec<Class>,
    /// Students.
    pub students: Vec<Person>,
    /// Teachers.
    pub teachers: Vec<Person>,
    /// Classes seen in activity but absent from the roster.
    pub unknown_classes: Vec<UnknownClass>,
    /// Actor ids with ActorRole `Student` that the roster does not know.
    pub unrostered_students: Vec<String>,
    /// Actor ids of guests (no role, not in the roster).
    pub guests: Vec<String>,
}

fn new_id(rng: &mut Rng, upper: bool) -> String {
    guid_string(as_v4(rng.next_u128()), upper)
}

fn shuffle<T>(rng: &mut Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        items.swap(i, j);
    }
}

fn new_person(rng: &mut Rng, school: usize, grade: &'static str, serial: usize, domain: &str) -> Person {
    let given = GIVEN[rng.below(GIVEN.len() as u64) as usize];
    let family = FAMILY[rng.below(FAMILY.len() as u64) as usize];
    let username = format!(
        "{}.{}{}@{}",
        given.to_lowercase(),
        family.to_lowercase(),
        serial,
        domain
    );
    Person {
        id: new_id(rng, false),
        given,
        family,
        username,
        school,
        grade,
        classes: Vec::new(),
    }
}

impl District {
    /// Builds a district with `students` students; everything is determined by `seed` and `start_day`.
    ///
    /// Schools: `max(2, round(students / 500))`. Each student takes one class in each of 6 periods at
    /// their school; each period has `max(1, round(school_students / 25))` sections, so classes hold
    /// about 25 students. Teachers teach 5 classes each.
    pub fn build(students: usize, seed: u64, start_day: i64) -> District {
        let mut rng = Rng::derive(seed, &[0xD157]);
        let domain = format!("sd{:03}.example.org", seed % 1000);
        let n_schools = ((students + STUDENTS_PER_SCHOOL / 2) / STUDENTS_PER_SCHOOL).max(2);
        let schools: Vec<School> = (0..n_schools)
            .map(|s| School {
                id: new_id(&mut rng, false),
                name: format!("{} High School", FAMILY[s % FAMILY.len()]),
            })
            .collect();
        let (year, _, _) = super::calendar::civil_from_days(start_day);
        let year_start = super::calendar::days_from_civil(year - 1, 8, 24).max(start_day - 300);
        let year_end = super::calendar::days_from_civil(year, 6, 15).max(start_day + 120);
        let mut district = District {
            id: new_id(&mut rng, false),
            name: format!("Unified School District {}", seed % 1000),
            year_session: new_id(&mut rng, false),
            term_session: new_id(&mut rng, false),
            year_start,
            year_end,
            term_start: start_day - 7,
            term_end: start_day + 140,
            schools,
            courses: Vec::new(),
            classes: Vec::new(),
            students: Vec::new(),
            teachers: Vec::new(),
            unknown_classes: Vec::new(),
            unrostered_students: Vec::new(),
            guests: Vec::new(),
        };
        const GRADES: [&str; 4] = ["09", "10", "11", "12"];
        for i in 0..students {
            let school = i * n_schools / students.max(1);
            let grade = GRADES[rng.below(4) as usize];
            let person = new_person(&mut rng, school, grade, i, &domain);
            district.students.push(person);
        }
        for school in 0..n_schools {
            district.build_school(&mut rng, school, start_day, &domain);
        }
        let extra = |n: usize, per: usize| (n / per).max(2);
        let n_unknown = extra(district.classes.len(), 25);
        district.unknown_classes = (0..n_unknown)
            .map(|_| UnknownClass {
                id: new_id(&mut rng, false),
                group_id: new_id(&mut rng, true),
            })
            .collect();
        district.unrostered_students = (0..extra(students, 100)).map(|_| new_id(&mut rng, false)).collect();
        district.guests = (0..extra(students, 50)).map(|_| new_id(&mut rng, false)).collect();
        district
    }

    fn build_school(&mut self, rng: &mut Rng, school: usize, start_day: i64, domain: &str) {
        let mut members: Vec<u32> = (0..self.students.len() as u32)
            .filter(|&s| self.students[s as usize].school == school)
            .collect();
        let sections = ((members.len() + CLASS_SIZE / 2) / CLASS_SIZE).max(1);
        let mut course_of_subject: Vec<Option<usize>> = vec![None; SUBJECTS.len()];
        // grid[section][period] = class index, so that chunks of the flattened grid span distinct periods.
        let mut grid: Vec<Vec<usize>> = vec![Vec::with_capacity(PERIODS); sections];
        for period in 0..PERIODS {
            shuffle(rng, &mut members);
            let first_class = self.classes.len();
            for (section, row) in grid.iter_mut().enumerate() {
                let subject = (period * 5 + section * 3 + school) % SUBJECTS.len();
                let course = *course_of_subject[subject].get_or_insert_with(|| {
                    self.courses.push(Course {
                        id: new_id(rng, false),
                        school,
                        subject,
                    });
                    self.courses.len() - 1
                });
                row.push(self.classes.len());
                self.classes.push(Class {
                    id: new_id(rng, false),
                    group_id: new_id(rng, true),
                    channel_id: format!("19:{:032x}@thread.tacv2", rng.next_u128()),
                    school,
                    course,
                    period,
                    section: section + 1,
                    teacher: 0,
                    students: Vec::new(),
                    created_day: start_day - rng.range(3, 60) as i64,
                });
            }
            for (k, &student) in members.iter().enumerate() {
                let class = first_class + k % sections;
                self.classes[class].students.push(student);
                self.students[student as usize].classes.push(class as u32);
            }
        }
        let ordered: Vec<usize> = grid.into_iter().flatten().collect();
        for chunk in ordered.chunks(CLASSES_PER_TEACHER) {
            let serial = self.students.len() + self.teachers.len();
            let mut teacher = new_person(rng, school, "", serial, domain);
            teacher.classes = chunk.iter().map(|&c| c as u32).collect();
            for &c in chunk {
                self.classes[c].teacher = self.teachers.len();
            }
            self.teachers.push(teacher);
        }
        for &c in &ordered {
            self.classes[c].students.sort_unstable();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_matches_targets() {
        let d = District::build(1200, 5, 18_995);
        assert_eq!(d.schools.len(), 2);
        assert!(d.students.iter().all(|s| s.classes.len() == PERIODS));
        let mean = d.classes.iter().map(|c| c.students.len()).sum::<usize>() as f64 / d.classes.len() as f64;
        assert!((22.0..=28.0).contains(&mean), "mean class size {mean}");
        for (i, c) in d.classes.iter().enumerate() {
            let teacher = &d.teachers[c.teacher];
            assert!(teacher.classes.contains(&(i as u32)) && teacher.school == c.school);
        }
        for s in &d.students {
            let mut periods: Vec<usize> = s.classes.iter().map(|&c| d.classes[c as usize].period).collect();
            periods.sort_unstable();
            periods.dedup();
            assert_eq!(periods.len(), PERIODS, "one class per period");
        }
    }

    #[test]
    fn tiny_district_still_has_two_schools() {
        let d = District::build(3, 1, 18_995);
        assert_eq!(d.schools.len(), 2);
        assert_eq!(d.students.len(), 3);
        assert!(d.classes.iter().all(|c| c.students.len() <= 3));
    }
}
