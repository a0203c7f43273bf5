//! A deterministic generator of realistic school-district data in the formats engagedb imports: a
//! OneRoster / SDS v2.1 CSV roster and the headerless Education Insights activity export.
//!
//! The same [`GenerateOptions`] always produce byte-identical files (the PRNG is built in, so no
//! dependency update can change the output).

mod activity_writer;
mod calendar;
mod csv_out;
mod district;
mod event;
mod ids;
mod parallel_out;
mod profile;
mod rng;
mod roster_writer;
mod simulate;

use std::fmt;
use std::path::{Path, PathBuf};

pub use activity_writer::{ACTIVITY_COLUMNS, SCHEMA_VERSION};
pub use roster_writer::{
    CLASSES_HEADER, COURSES_HEADER, ENROLLMENTS_HEADER, ORGS_HEADER, ROLES_HEADER, SESSIONS_HEADER, USERS_HEADER,
};

use activity_writer::RowRenderer;
use calendar::{days_from_civil, is_valid_date, weekday};
use district::District;
use event::{Actor, ClassRef, Event};
use parallel_out::BlockFile;
use simulate::Simulation;

/// What to generate. Build with [`GenerateOptions::new`] and adjust the public fields.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateOptions {
    /// Output directory; `roster/` and `activity/` are created inside it.
    pub out_dir: PathBuf,
    /// Number of rostered students (≥ 1). Schools, classes and teachers scale with it.
    pub students: usize,
    /// Number of days of activity (≥ 1).
    pub days: u32,
    /// Seed; the whole output is a function of the options.
    pub seed: u64,
    /// First day of activity `(year, month, day)`.
    pub start_date: (i32, u32, u32),
    /// Average rows per student per day (the HEd sample has ≈ 3.9).
    pub events_per_student_day: f64,
    /// Number of activity part files (1 ≤ n ≤ days); each holds a contiguous range of days.
    pub activity_files: usize,
    /// Gzip-compress the activity files (`part-NNNN.csv.gz`).
    pub gzip: bool,
}

impl GenerateOptions {
    /// Defaults: 600 students, 34 days from Monday 2022-01-03, seed 42, 4 rows per student-day,
    /// one uncompressed activity file.
    pub fn new(out_dir: impl Into<PathBuf>) -> GenerateOptions {
        GenerateOptions {
            out_dir: out_dir.into(),
            students: 600,
            days: 34,
            seed: 42,
            start_date: (2022, 1, 3),
            events_per_student_day: 4.0,
            activity_files: 1,
            gzip: false,
        }
    }

    fn validate(&self) -> Result<i64, GenerateError> {
        let invalid = |msg: String| Err(GenerateError::InvalidOptions(msg));
        let (y, m, d) = self.start_date;
        if !is_valid_date(y, m, d) || !(1900..=9000).contains(&y) {
            return invalid(format!("start_date {y:04}-{m:02}-{d:02} is not a valid date"));
        }
        if self.students == 0 || self.students > u32::MAX as usize / 8 {
            return invalid(format!(
                "students must be between 1 and {}, got {}",
                u32::MAX / 8,
                self.students
            ));
        }
        if self.days == 0 || self.days > 3660 {
            return invalid(format!("days must be between 1 and 3660, got {}", self.days));
        }
        if !(self.events_per_student_day.is_finite() && self.events_per_student_day > 0.0) {
            return invalid(format!(
                "events_per_student_day must be positive, got {}",
                self.events_per_student_day
            ));
        }
        if self.activity_files == 0 || self.activity_files > self.days as usize {
            return invalid(format!(
                "activity_files must be between 1 and days ({}), got {}",
                self.days, self.activity_files
            ));
        }
        Ok(days_from_civil(y, m, d))
    }
}

/// What was generated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerateSummary {
    /// Schools in the roster.
    pub schools: usize,
    /// Classes in the roster.
    pub classes: usize,
    /// Students in the roster.
    pub students: usize,
    /// Teachers in the roster.
    pub teachers: usize,
    /// Activity rows written (all part files, duplicates included).
    pub activity_rows: u64,
    /// Rows that repeat an earlier row's SignalId (re-delivered duplicates).
    pub duplicate_rows: u64,
    /// Rows by guests (actor unknown to the roster, empty ActorRole).
    pub guest_rows: u64,
    /// Rows by teachers (ActorRole `Teacher`), including `AssignmentEvent`/`Assigned`.
    pub teacher_rows: u64,
    /// Rows whose class is not in the roster.
    pub unknown_class_rows: u64,
    /// Bytes on disk of all written files.
    pub bytes_written: u64,
    /// Every written file: the roster files, then the activity parts in order.
    pub files: Vec<PathBuf>,
}

impl fmt::Display for GenerateSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} schools, {} classes, {} students, {} teachers; {} activity rows ({} duplicate, {} guest, {} teacher, \
             {} unknown-class) in {} files, {} bytes",
            self.schools,
            self.classes,
            self.students,
            self.teachers,
            self.activity_rows,
            self.duplicate_rows,
            self.guest_rows,
            self.teacher_rows,
            self.unknown_class_rows,
            self.files.len(),
            self.bytes_written
        )
    }
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// Creating or writing a file or directory failed.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The options are out of range.
    #[error("invalid generator options: {0}")]
    InvalidOptions(String),
}

impl GenerateError {
    fn io(path: &Path, source: std::io::Error) -> GenerateError {
        GenerateError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// File name of activity part `index`.
fn part_name(index: usize, gzip: bool) -> String {
    format!("part-{index:04}.csv{}", if gzip { ".gz" } else { "" })
}

/// Generates the roster into `out_dir/roster/` and the activity into `out_dir/activity/part-NNNN.csv[.gz]`,
/// overwriting files of the same names. Rows are in time order within each part, parts cover
/// consecutive day ranges (a gzip part is a series of gzip members). Deterministic: the same options
/// give byte-identical files, whatever the number of cores used to render them.
pub fn generate(opts: &GenerateOptions) -> Result<GenerateSummary, GenerateError> {
    let start_day = opts.validate()?;
    let roster_dir = opts.out_dir.join("roster");
    let activity_dir = opts.out_dir.join("activity");
    for dir in [&roster_dir, &activity_dir] {
        std::fs::create_dir_all(dir).map_err(|e| GenerateError::io(dir, e))?;
    }
    let district = District::build(opts.students, opts.seed, start_day);
    let mut summary = GenerateSummary {
        schools: district.schools.len(),
        classes: district.classes.len(),
        students: district.students.len(),
        teachers: district.teachers.len(),
        files: roster_writer::write_roster(&district, &roster_dir)?,
        ..GenerateSummary::default()
    };

    let mut sim = Simulation::new(
        &district,
        opts.seed,
        opts.days,
        weekday(start_day),
        opts.events_per_student_day,
    );
    let renderer = RowRenderer::new(&district, start_day, opts.days);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut events: Vec<Event> = Vec::new();
    let parts = opts.activity_files;
    for part in 0..parts {
        let first_day = (part as u64 * u64::from(opts.days) / parts as u64) as u32;
        let end_day = ((part as u64 + 1) * u64::from(opts.days) / parts as u64) as u32;
        let mut file = BlockFile::create(&activity_dir.join(part_name(part, opts.gzip)), opts.gzip)?;
        for day in first_day..end_day {
            summary.duplicate_rows += sim.day(day, &mut events) as u64;
            for event in &events {
                tally(&mut summary, event);
            }
            file.write_events(&renderer, &events, sim.assignments(), threads)?;
        }
        let (path, rows) = file.finish()?;
        summary.activity_rows += rows;
        summary.files.push(path);
    }
    for path in &summary.files {
        summary.bytes_written += std::fs::metadata(path).map_err(|e| GenerateError::io(path, e))?.len();
    }
    Ok(summary)
}

fn tally(summary: &mut GenerateSummary, event: &Event) {
    match event.actor {
        Actor::Guest(_) => summary.guest_rows += 1,
        Actor::Teacher(_) => summary.teacher_rows += 1,
        Actor::Student(_) | Actor::Unrostered(_) => {}
    }
    if let ClassRef::Unknown(_) = event.class {
        summary.unknown_class_rows += 1;
    }
}

#[cfg(test)]
mod tests;
