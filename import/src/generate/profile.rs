//! The behaviour model: which signals exist (vocabulary copied from the HEd Education Insights sample),
//! how often each occurs, when in the day and week people are active, and how individual students
//! differ (activity level, fading out, a missing week).

use super::rng::Rng;

/// Which optional columns a signal fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    /// Only the common columns.
    Plain,
    /// SourceFileExtension.
    File,
    /// MeetingDuration and MeetingSessionId.
    Meeting,
    /// AssignmentId, Action, DueDate (SubmissionId on Submitted, Grade on Returned).
    Assignment,
    /// The Reading* columns.
    Reading,
    /// ChannelId (Teams channel signals).
    Channel,
}

/// One kind of activity row: SignalType, AppName, Action and the columns it fills.
#[derive(Debug, Clone, Copy)]
pub struct SignalKind {
    /// SignalType.
    pub signal: &'static str,
    /// AppName.
    pub app: &'static str,
    /// Action (empty for most signals).
    pub action: &'static str,
    /// Optional columns filled.
    pub payload: Payload,
}

const fn kind(signal: &'static str, app: &'static str, action: &'static str, payload: Payload) -> SignalKind {
    SignalKind {
        signal,
        app,
        action,
        payload,
    }
}

/// Every kind of row the generator writes; the constants below index into it.
pub const KINDS: &[SignalKind] = &[
    kind("AssignmentEvent", "Assignments", "Assigned", Payload::Assignment),
    kind("SubmissionEvent", "Assignments", "Visited", Payload::Assignment),
    kind("SubmissionEvent", "Assignments", "Submitted", Payload::Assignment),
    kind("SubmissionEvent", "Assignments", "Returned", Payload::Assignment),
    kind("CallRecordSummarized", "TeamsMeeting", "", Payload::Meeting),
    // Ambient signals (AMBIENT_FIRST..): Teams and SharePoint as in the HEd sample ...
    kind("ReactedWithEmoji", "Teams", "", Payload::Channel),
    kind("ReplyChannelMessage", "Teams", "", Payload::Channel),
    kind("PostChannelMessage", "Teams", "", Payload::Channel),
    kind("VisitTeamChannel", "Teams", "", Payload::Channel),
    kind("ExpandChannelMessage", "Teams", "", Payload::Channel),
    kind("CommentDeleted", "SharePoint Online", "", Payload::Plain),
    kind("Unlike", "SharePoint Online", "", Payload::Plain),
    kind("FileModified", "SharePoint Online", "", Payload::File),
    kind("FileUploaded", "SharePoint Online", "", Payload::File),
    kind("AddedToSharedWithMe", "SharePoint Online", "", Payload::Plain),
    kind("UserAtMentioned", "SharePoint Online", "", Payload::Plain),
    kind("FileAccessed", "SharePoint Online", "", Payload::File),
    kind("Like", "SharePoint Online", "", Payload::Plain),
    kind("CommentCreated", "SharePoint Online", "", Payload::Plain),
    kind("FileDownloaded", "SharePoint Online", "", Payload::File),
    kind("ShareNotificationRequested", "SharePoint Online", "", Payload::Plain),
    // ... and OneNote, Reflect and Reading Progress, which the HEd sample lacks (names follow the
    // export's AppName list and the metadata's Reading* columns).
    kind("OneNotePageChanged", "OneNote", "", Payload::Plain),
    kind("OneNotePageViewed", "OneNote", "", Payload::Plain),
    kind("ReflectCheckInResponded", "Reflect", "", Payload::Plain),
    kind("ReadingSubmission", "Reading Progress", "Submitted", Payload::Reading),
];

/// Teacher's `AssignmentEvent`/`Assigned`.
pub const ASSIGNED: u8 = 0;
/// Student opened an assignment.
pub const VISITED: u8 = 1;
/// Student handed an assignment in.
pub const SUBMITTED: u8 = 2;
/// Teacher returned the student's work (with a grade).
pub const RETURNED: u8 = 3;
/// A meeting attendance record.
pub const MEETING: u8 = 4;
/// First ambient kind.
pub const AMBIENT_FIRST: u8 = 5;
/// Teams `PostChannelMessage` (teachers post too).
pub const POST: u8 = 7;
/// Teams `ReplyChannelMessage`.
pub const REPLY: u8 = 6;
/// Teams `VisitTeamChannel`.
pub const VISIT_CHANNEL: u8 = 8;

/// Relative frequency of each ambient kind (from `KINDS[AMBIENT_FIRST]` on). Teams and SharePoint
/// weights are the row counts of the HEd sample; OneNote/Reflect/Reading are chosen to be minor.
pub const AMBIENT_WEIGHTS: &[u32] = &[
    11562, 5318, 2560, 762, 748, // Teams
    827, 826, 826, 802, 770, 770, 770, 768, 753, 752, 751, // SharePoint Online
    1800, 1400, 900, 600, // OneNote, Reflect, Reading Progress
];

/// Rows of the three student SubmissionEvent actions in the HEd sample (Visited+Submitted+Returned).
pub const SUBMISSION_ROWS: f64 = 38_868.0;
/// CallRecordSummarized rows in the HEd sample.
pub const MEETING_ROWS: f64 = 10_170.0;

/// Share of student rows that come from the assignment flow, meetings, and everything else.
pub fn shares() -> (f64, f64, f64) {
    let ambient: f64 = AMBIENT_WEIGHTS.iter().map(|&w| f64::from(w)).sum();
    let total = SUBMISSION_ROWS + MEETING_ROWS + ambient;
    (SUBMISSION_ROWS / total, MEETING_ROWS / total, ambient / total)
}

/// File extensions of SharePoint file signals (the HEd sample's set).
pub const FILE_EXTENSIONS: &[&str] = &["pdf", "mp4", "xlsx", "pptx", "docx", "jpg", "web"];

/// User agents occasionally present in the export (they contain commas, so they are quoted).
pub const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Teams/1.3.00.34662 \
     Chrome/80.0.3987.165 Electron/8.5.1 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/87.0.4280.141 \
     Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 15_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
];

/// Activity by hour of day on school days (relative): a school-day plateau, homework evenings, quiet nights.
const WEEKDAY_HOURS: [u32; 24] = [
    2, 1, 1, 1, 1, 2, 4, 10, 16, 18, 18, 17, 15, 17, 17, 14, 10, 8, 8, 9, 9, 7, 4, 3,
];
/// Activity by hour of day on weekends (relative): late start, afternoon and evening homework.
const WEEKEND_HOURS: [u32; 24] = [2, 1, 1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 8, 8, 8, 8, 9, 10, 9, 7, 5, 3];
/// Teachers work school hours and some evenings.
const TEACHER_HOURS: [u32; 24] = [
    0, 0, 0, 0, 0, 0, 3, 12, 14, 14, 13, 12, 10, 13, 13, 12, 8, 5, 4, 5, 5, 3, 1, 0,
];

/// Relative activity of a day of week (0 = Monday): weekends are light.
pub fn day_factor(weekday: u32) -> f64 {
    match weekday {
        5 => 0.35,
        6 => 0.3,
        _ => 1.0,
    }
}

/// Mean of [`day_factor`] over a week, used to keep the weekly average at the requested rate.
pub fn mean_day_factor() -> f64 {
    (0..7).map(day_factor).sum::<f64>() / 7.0
}

/// Pre-computed cumulative hour tables.
#[derive(Debug, Clone)]
pub struct HourTables {
    weekday: Vec<u32>,
    weekend: Vec<u32>,
    teacher: Vec<u32>,
}

impl Default for HourTables {
    fn default() -> Self {
        HourTables {
            weekday: super::rng::cumulative(&WEEKDAY_HOURS),
            weekend: super::rng::cumulative(&WEEKEND_HOURS),
            teacher: super::rng::cumulative(&TEACHER_HOURS),
        }
    }
}

impl HourTables {
    /// A random second of the day for a student on a day of week `weekday`.
    pub fn student_second(&self, rng: &mut Rng, weekday: u32) -> u32 {
        let table = if weekday >= 5 { &self.weekend } else { &self.weekday };
        rng.pick_cumulative(table) as u32 * 3600 + rng.below(3600) as u32
    }

    /// A random second of the day within a teacher's working pattern.
    pub fn teacher_second(&self, rng: &mut Rng) -> u32 {
        rng.pick_cumulative(&self.teacher) as u32 * 3600 + rng.below(3600) as u32
    }
}

/// How one student behaves over the generated period.
#[derive(Debug, Clone, Copy)]
pub struct StudentProfile {
    /// Activity multiplier (log-normal, mean 1).
    pub level: f64,
    /// Fades linearly to nothing between these day indexes (relative to the start).
    pub fade: Option<(u32, u32)>,
    /// Absent (no activity) on day indexes in this half-open range.
    pub absent: Option<(u32, u32)>,
}

/// Share of students who fade out over the period.
pub const FADING_SHARE: f64 = 0.04;
/// Share of students who disappear for a week.
pub const ABSENT_WEEK_SHARE: f64 = 0.05;

impl StudentProfile {
    /// Draws a profile for a period of `days` days.
    pub fn draw(rng: &mut Rng, days: u32) -> StudentProfile {
        let sigma = 0.5;
        let level = (sigma * rng.normal() - sigma * sigma / 2.0).exp();
        let fade = if days >= 4 && rng.chance(FADING_SHARE) {
            let start = rng.below(u64::from(days / 2)) as u32;
            Some((start, start + 1 + rng.below(u64::from(days - start)) as u32))
        } else {
            None
        };
        let absent = if days >= 7 && fade.is_none() && rng.chance(ABSENT_WEEK_SHARE) {
            let start = rng.below(u64::from(days - 6)) as u32;
            Some((start, start + 7))
        } else {
            None
        };
        StudentProfile { level, fade, absent }
    }

    /// Activity multiplier on day index `day`; 0 means the student does nothing that day.
    pub fn activity(&self, day: u32) -> f64 {
        if let Some((a, b)) = self.absent {
            if (a..b).contains(&day) {
                return 0.0;
            }
        }
        match self.fade {
            Some((_, end)) if day >= end => 0.0,
            Some((start, end)) if day > start => self.level * f64::from(end - day) / f64::from(end - start),
            _ => self.level,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_line_up() {
        assert_eq!(KINDS.len(), AMBIENT_FIRST as usize + AMBIENT_WEIGHTS.len());
        assert_eq!(KINDS[POST as usize].signal, "PostChannelMessage");
        assert_eq!(KINDS[REPLY as usize].signal, "ReplyChannelMessage");
        assert_eq!(KINDS[VISIT_CHANNEL as usize].signal, "VisitTeamChannel");
        assert_eq!(KINDS[RETURNED as usize].action, "Returned");
        let (a, b, c) = shares();
        assert!((a + b + c - 1.0).abs() < 1e-12 && a > 0.4);
    }

    #[test]
    fn absent_and_faded_students_go_quiet() {
        let p = StudentProfile {
            level: 1.0,
            fade: Some((10, 20)),
            absent: None,
        };
        assert_eq!(p.activity(5), 1.0);
        assert!((p.activity(15) - 0.5).abs() < 1e-12);
        assert_eq!(p.activity(25), 0.0);
        let q = StudentProfile {
            level: 2.0,
            fade: None,
            absent: Some((3, 10)),
        };
        assert_eq!(q.activity(3), 0.0);
        assert_eq!(q.activity(10), 2.0);
    }
}
