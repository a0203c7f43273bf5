//! Realistic event rows for the engine's benchmarks, shared by `engine.rs`, `wal.rs` and `segment.rs`.
//!
//! The shape follows the Education Insights export as the import crate's generator writes it (that crate
//! depends on this one, so it cannot be a dev-dependency here): lower-case UUID signal and student ids,
//! upper-case UUID class ids, a few dozen signal kinds over a handful of apps, whole-second or µs
//! timestamps weighted to school hours, and mostly-NULL optional columns filled by signal kind.
#![allow(dead_code)] // each bench binary uses a different part

use engine::{col, BatchBuilder, EventBatch, ValueRef};

/// 2022-01-03 00:00:00 UTC, a Monday, in µs.
pub const DAY0: i64 = 1_641_168_000_000_000;
/// One day in µs.
pub const DAY: i64 = 86_400_000_000;

/// A deterministic 64-bit mix (splitmix64's finaliser): the same input always gives the same row.
pub fn mix(x: u64) -> u64 {
    let x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A canonical hyphenated UUID of the 128 bits `(a, b)`.
pub fn uuid(a: u64, b: u64, upper: bool) -> String {
    let s = format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0x3fff | 0x8000,
        b & 0xffff_ffff_ffff
    );
    if upper {
        s.to_ascii_uppercase()
    } else {
        s
    }
}

/// (signal, app, action) of the student signals, most frequent first (HEd sample weights, roughly).
const SIGNALS: [(&str, &str, &str); 16] = [
    ("VisitTeamChannel", "Teams", ""),
    ("ReactedWithEmoji", "Teams", ""),
    ("PostChannelMessage", "Teams", ""),
    ("ReplyChannelMessage", "Teams", ""),
    ("ExpandChannelMessage", "Teams", ""),
    ("SubmissionEvent", "Assignments", "Visited"),
    ("SubmissionEvent", "Assignments", "Submitted"),
    ("SubmissionEvent", "Assignments", "Returned"),
    ("CallRecordSummarized", "Teams", ""),
    ("FileAccessed", "SharePoint Online", ""),
    ("FileModified", "SharePoint Online", ""),
    ("UserAtMentioned", "SharePoint Online", ""),
    ("OneNotePageViewed", "OneNote", ""),
    ("OneNotePageChanged", "OneNote", ""),
    ("ReflectCheckInResponded", "Reflect", ""),
    ("ReadingSubmission", "Reading Progress", "Submitted"),
];
/// Relative weights of [`SIGNALS`].
const WEIGHTS: [u64; 16] = [115, 53, 26, 8, 7, 20, 14, 5, 10, 8, 8, 8, 18, 14, 9, 6];
const EXTS: [&str; 7] = ["pdf", "mp4", "xlsx", "pptx", "docx", "jpg", "web"];
/// Activity by hour of day (relative).
const HOURS: [u64; 24] = [
    2, 1, 1, 1, 1, 2, 4, 10, 16, 18, 18, 17, 15, 17, 17, 14, 10, 8, 8, 9, 9, 7, 4, 3,
];

/// A school district: schools, classes (each in one school) and students (each in a few classes of one
/// school), with ids as strings ready to go into rows.
pub struct District {
    /// School ids.
    pub schools: Vec<String>,
    /// Class ids and the index of their school.
    pub classes: Vec<(String, usize)>,
    /// Student ids and the indexes of their classes.
    pub students: Vec<(String, Vec<usize>)>,
    assignments: Vec<String>,
    meetings: Vec<String>,
    signal_cdf: Vec<u64>,
    hour_cdf: Vec<u64>,
}

impl District {
    /// A district of `students` students, `classes` classes and `schools` schools; the same arguments
    /// always give the same district.
    pub fn new(students: usize, classes: usize, schools: usize) -> District {
        let id =
            |kind: u64, i: usize, upper: bool| uuid(mix(kind << 40 | i as u64), mix(!(kind << 40 | i as u64)), upper);
        let schools_v: Vec<String> = (0..schools).map(|i| id(1, i, false)).collect();
        let classes_v: Vec<(String, usize)> = (0..classes).map(|i| (id(2, i, true), i % schools)).collect();
        let per_school = classes.div_ceil(schools);
        let students_v = (0..students)
            .map(|i| {
                let school = i % schools;
                let mine: Vec<usize> = (0..5)
                    .map(|k| {
                        let slot = (mix(i as u64 * 8 + k) as usize) % per_school;
                        (slot * schools + school).min(classes - 1)
                    })
                    .collect();
                (id(3, i, false), mine)
            })
            .collect();
        let cdf = |w: &[u64]| {
            w.iter()
                .scan(0, |acc, &x| {
                    *acc += x;
                    Some(*acc)
                })
                .collect::<Vec<u64>>()
        };
        District {
            schools: schools_v,
            classes: classes_v,
            students: students_v,
            assignments: (0..classes * 4).map(|i| id(4, i, false)).collect(),
            meetings: (0..classes * 2).map(|i| id(5, i, false)).collect(),
            signal_cdf: cdf(&WEIGHTS),
            hour_cdf: cdf(&HOURS),
        }
    }

    /// The district the 10 M-row benchmarks use: ~20 k students, 800 classes, 10 schools.
    pub fn standard() -> District {
        District::new(20_000, 800, 10)
    }

    fn pick(cdf: &[u64], r: u64) -> usize {
        let x = r % cdf[cdf.len() - 1];
        cdf.partition_point(|&c| c <= x)
    }

    /// Rows `first..first + rows` of an event stream that spreads `total` rows evenly over `days` days
    /// from [`DAY0`], in time order: row `i` falls on day `i * days / total`. Deterministic.
    pub fn batch(&self, first: u64, rows: usize, total: u64, days: u32) -> EventBatch {
        let mut b = BatchBuilder::new();
        let per_day = total.div_ceil(days as u64).max(1);
        for i in first..first + rows as u64 {
            let r = mix(i ^ 0x5eed);
            let day = (i / per_day) as i64;
            // Within a day the stream advances through the hours, weighted like the real export.
            let day_pos = (i % per_day) * 1_000_000 / per_day;
            let hour = Self::pick(&self.hour_cdf, day_pos * self.hour_cdf[23] / 1_000_000 + 1);
            let second = hour as i64 * 3600 + (r % 3600) as i64;
            let micros = if r % 3 == 0 { 0 } else { ((r >> 20) % 1_000_000) as i64 };
            let (student, classes) = &self.students[(mix(r) % self.students.len() as u64) as usize];
            let class = classes[((r >> 8) % classes.len() as u64) as usize];
            let (class_id, school) = &self.classes[class];
            let kind = Self::pick(&self.signal_cdf, r >> 24);
            let (signal, app, action) = SIGNALS[kind];
            let signal_id = uuid(mix(r), mix(r ^ 1), false);
            let submission = uuid(mix(r ^ 2), mix(r ^ 3), false);
            let mut row = [ValueRef::Null; col::COUNT];
            row[col::TIME] = ValueRef::Int(DAY0 + day * DAY + second * 1_000_000 + micros);
            row[col::SIGNAL_ID] = ValueRef::Text(&signal_id);
            row[col::SIGNAL] = ValueRef::Text(signal);
            row[col::APP] = ValueRef::Text(app);
            if !action.is_empty() {
                row[col::ACTION] = ValueRef::Text(action);
            }
            row[col::STUDENT] = ValueRef::Text(student);
            // About 3% of rows name a class the roster does not know (no school); 5% have no class.
            let known = r % 100 >= 3;
            if r % 100 >= 95 {
                // no class
            } else {
                row[col::CLASS] = ValueRef::Text(class_id);
                if known {
                    row[col::SCHOOL] = ValueRef::Text(&self.schools[*school]);
                }
            }
            let assignment = &self.assignments[class * 4 + (r as usize >> 40) % 4];
            match kind {
                5..=7 => {
                    row[col::ASSIGNMENT] = ValueRef::Text(assignment);
                    row[col::SUBMISSION] = ValueRef::Text(&submission);
                    row[col::DUE] = ValueRef::Int(DAY0 + (day + (r % 7) as i64) * DAY);
                    if kind == 7 {
                        row[col::GRADE] = ValueRef::Double((r % 101) as f64);
                    }
                }
                8 => {
                    row[col::MEETING] = ValueRef::Text(&self.meetings[class * 2 + (r as usize >> 50) % 2]);
                    row[col::MEETING_SECONDS] = ValueRef::Int((r % 3_600) as i64);
                }
                9 | 10 => row[col::FILE_EXT] = ValueRef::Text(EXTS[(r % 7) as usize]),
                15 => {
                    row[col::READING_WPM] = ValueRef::Int(40 + (r % 120) as i64);
                    row[col::READING_ACCURACY] = ValueRef::Text(["0.9", "0.95", "1"][(r % 3) as usize]);
                    row[col::READING_ATTEMPT] = ValueRef::Int(1 + (r % 3) as i64);
                    row[col::READING_WORD_COUNT] = ValueRef::Int(50 + (r % 400) as i64);
                    row[col::READING_LANGUAGE] = ValueRef::Text("en-US");
                    for c in [
                        col::READING_MISPRONUNCIATIONS,
                        col::READING_REPETITIONS,
                        col::READING_INSERTIONS,
                        col::READING_OMISSIONS,
                    ] {
                        row[c] = ValueRef::Int((r >> c) as i64 % 10);
                    }
                }
                _ => {}
            }
            b.push_row(&row).expect("generated rows match the schema");
        }
        b.finish()
    }
}

/// Rows in the 10 M-row store, or `ENGAGEDB_BENCH_ROWS` if set.
pub fn bench_rows() -> u64 {
    std::env::var("ENGAGEDB_BENCH_ROWS")
        .ok()
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(10_000_000)
}
