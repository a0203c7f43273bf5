//! Day-by-day simulation of a district's activity: teachers post assignments and hold meetings,
//! students visit, submit and get work back, chat in Teams and touch files; plus the oddities real
//! exports contain (re-delivered duplicates, guests, unrostered students, classes missing from the
//! roster).

use super::district::{District, PERIODS};
use super::event::{Actor, AssignmentInfo, ClassRef, Detail, Event};
use super::ids::as_v4;
use super::profile::{
    self, day_factor, mean_day_factor, HourTables, StudentProfile, AMBIENT_FIRST, AMBIENT_WEIGHTS, ASSIGNED,
    FILE_EXTENSIONS, KINDS, MEETING, POST, REPLY, RETURNED, SUBMITTED, USER_AGENTS, VISITED, VISIT_CHANNEL,
};
use super::rng::{cumulative, hash_keys, Rng};

/// Share of rows re-delivered a second time (same SignalId, identical row) in the next day's batch.
pub const DUPLICATE_RATE: f64 = 0.005;
/// Share of ambient signals performed by a guest instead of the student.
pub const GUEST_RATE: f64 = 0.012;
/// Share of ambient signals performed by a student the roster lacks.
pub const UNROSTERED_RATE: f64 = 0.02;
/// Share of ambient signals that happen in a class the roster lacks.
pub const UNKNOWN_CLASS_RATE: f64 = 0.07;
/// Share of rows whose StartTime carries 7 fractional digits.
pub const FRACTION_RATE: f64 = 0.1;
/// Share of Teams channel rows that carry a UserAgent.
pub const USER_AGENT_RATE: f64 = 0.03;

/// Expected SubmissionEvent rows per student per assignment (Visited + Submitted + Returned).
const ROWS_PER_STUDENT_ASSIGNMENT: f64 = 2.8;
/// Share of a class that attends a meeting.
const MEETING_ATTENDANCE: f64 = 0.8;
/// Teams signals per teacher per school day.
const TEACHER_TEAMS_PER_DAY: f64 = 2.0;
/// Days after the due date during which an assignment can still produce rows.
const ASSIGNMENT_TAIL_DAYS: u32 = 6;

/// Rates derived from the requested events per student-day.
#[derive(Debug, Clone, Copy)]
struct Rates {
    assignments_per_class_school_day: f64,
    meetings_per_class_school_day: f64,
    ambient_per_student_day: f64,
}

impl Rates {
    fn new(events_per_student_day: f64) -> Rates {
        let (sub, meet, ambient) = profile::shares();
        let school_days = 5.0 / 7.0;
        let classes = PERIODS as f64;
        Rates {
            assignments_per_class_school_day: sub * events_per_student_day
                / (classes * ROWS_PER_STUDENT_ASSIGNMENT * school_days),
            meetings_per_class_school_day: meet * events_per_student_day / (classes * MEETING_ATTENDANCE * school_days),
            ambient_per_student_day: ambient * events_per_student_day / mean_day_factor(),
        }
    }
}

/// What one student does with one assignment, derived from a single hash so it can be re-derived on
/// every day the assignment is open without storing per-student state.
struct Plan {
    visit_day: Option<u32>,
    submit_day: Option<u32>,
    return_day: u32,
    late: bool,
}

impl Plan {
    fn of(bits: u64, a: &AssignmentInfo, level: f64) -> Plan {
        let byte = |shift: u32| (bits >> shift) & 0xFF;
        let p_submit = (0.70 + 0.18 * level).clamp(0.0, 0.97);
        let will_submit = (((bits >> 8) & 0xFFFF) as f64) < p_submit * 65_536.0;
        let late = byte(24) < 38;
        let span = u64::from(a.due_day - a.assigned_day).max(1);
        let submit_day = will_submit.then(|| {
            if late {
                a.due_day + (byte(32) % 3) as u32
            } else {
                a.assigned_day + (((bits >> 40) & 0xFFFF) % span) as u32
            }
        });
        let visit = byte(56) < 240;
        let visit_day = visit.then(|| {
            let day = a.assigned_day + (byte(0) % 3) as u32;
            submit_day.map_or(day, |s| day.min(s))
        });
        let return_day = submit_day.unwrap_or(a.due_day).max(a.due_day) + 1 + (byte(16) % 3) as u32;
        Plan {
            visit_day,
            submit_day,
            return_day,
            late,
        }
    }
}

/// Moves a student's second of the day after the teacher posted the assignment, if that was today.
fn after_posting(a: &AssignmentInfo, day: u32, second: u32) -> u32 {
    let room = 86_399u32.saturating_sub(a.assigned_second);
    if day != a.assigned_day || room == 0 {
        return second.max(if day == a.assigned_day { a.assigned_second } else { 0 });
    }
    a.assigned_second + 1 + second % room
}

/// The generator's state across days.
pub struct Simulation<'a> {
    district: &'a District,
    seed: u64,
    days: u32,
    start_weekday: u32,
    rates: Rates,
    hours: HourTables,
    ambient_table: Vec<u32>,
    profiles: Vec<StudentProfile>,
    assignments: Vec<AssignmentInfo>,
    open_assignments: Vec<u32>,
    carried: Vec<Event>,
}

impl<'a> Simulation<'a> {
    /// Prepares a simulation of `days` days starting on a day with weekday `start_weekday` (0 = Monday).
    pub fn new(district: &'a District, seed: u64, days: u32, start_weekday: u32, events_per_student_day: f64) -> Self {
        let mut rng = Rng::derive(seed, &[0x9F0F]);
        let profiles = (0..district.students.len())
            .map(|_| StudentProfile::draw(&mut rng, days))
            .collect();
        Simulation {
            district,
            seed,
            days,
            start_weekday,
            rates: Rates::new(events_per_student_day),
            hours: HourTables::default(),
            ambient_table: cumulative(AMBIENT_WEIGHTS),
            profiles,
            assignments: Vec::new(),
            open_assignments: Vec::new(),
            carried: Vec::new(),
        }
    }

    /// Assignments created so far (rows refer to them by index).
    pub fn assignments(&self) -> &[AssignmentInfo] {
        &self.assignments
    }

    /// Replaces `out` with day `day`'s rows in time order (including rows re-delivered from the previous
    /// day) and returns how many of them are re-delivered duplicates.
    pub fn day(&mut self, day: u32, out: &mut Vec<Event>) -> usize {
        out.clear();
        let mut rng = Rng::derive(self.seed, &[0xDA7, u64::from(day)]);
        let weekday = (self.start_weekday + day) % 7;
        if weekday < 5 {
            self.post_assignments(&mut rng, day, out);
            self.hold_meetings(&mut rng, day, out);
            self.teacher_teams(&mut rng, day, out);
        }
        self.assignment_work(day, out);
        self.ambient(&mut rng, day, weekday, out);

        let previous = std::mem::take(&mut self.carried);
        for event in out.iter() {
            if rng.chance(DUPLICATE_RATE) {
                self.carried.push(*event);
            }
        }
        let mut duplicates = previous.len();
        out.extend_from_slice(&previous);
        if day + 1 >= self.days {
            duplicates += self.carried.len();
            out.append(&mut self.carried);
        }
        out.sort_unstable_by_key(Event::order_key);
        duplicates
    }

    fn new_event(rng: &mut Rng, day: u32, second: u32, kind: u8, actor: Actor, class: ClassRef) -> Event {
        Event {
            day,
            second,
            ticks: None,
            kind,
            user_agent: 0,
            actor,
            class,
            signal_id: as_v4(rng.next_u128()),
            detail: Detail::None,
        }
    }

    fn maybe_fraction(rng: &mut Rng, event: &mut Event) {
        if rng.chance(FRACTION_RATE) {
            event.ticks = Some(rng.below(10_000_000) as u32);
        }
    }

    fn post_assignments(&mut self, rng: &mut Rng, day: u32, out: &mut Vec<Event>) {
        for (class_index, class) in self.district.classes.iter().enumerate() {
            for _ in 0..rng.poisson(self.rates.assignments_per_class_school_day) {
                let info = AssignmentInfo {
                    id: as_v4(rng.next_u128()),
                    class: class_index as u32,
                    assigned_day: day,
                    assigned_second: self.hours.teacher_second(rng),
                    due_day: day + rng.range(3, 12) as u32,
                    seed: rng.next_u64(),
                };
                let index = self.assignments.len() as u32;
                let actor = Actor::Teacher(class.teacher as u32);
                let mut e = Self::new_event(
                    rng,
                    day,
                    info.assigned_second,
                    ASSIGNED,
                    actor,
                    ClassRef::Roster(info.class),
                );
                e.detail = Detail::Assignment {
                    assignment: index,
                    submission: 0,
                    grade_halves: None,
                };
                out.push(e);
                self.assignments.push(info);
                self.open_assignments.push(index);
            }
        }
    }

    fn assignment_work(&mut self, day: u32, out: &mut Vec<Event>) {
        let assignments = &self.assignments;
        self.open_assignments
            .retain(|&a| day <= assignments[a as usize].due_day + ASSIGNMENT_TAIL_DAYS);
        for &index in &self.open_assignments {
            let a = &self.assignments[index as usize];
            for &student in &self.district.classes[a.class as usize].students {
                let profile = &self.profiles[student as usize];
                let bits = hash_keys(&[a.seed, u64::from(student)]);
                let plan = Plan::of(bits, a, profile.level);
                let active = |d: u32| d < self.days && profile.activity(d) > 0.0;
                let visits = plan.visit_day == Some(day) && active(day);
                let submits = plan.submit_day == Some(day) && active(day);
                let returns = plan.return_day == day;
                if !(visits || submits || returns) {
                    continue;
                }
                let mut rng = Rng::new(bits ^ u64::from(day).wrapping_mul(0x9E37_79B9));
                let weekday = (self.start_weekday + day) % 7;
                let mut first = after_posting(a, day, self.hours.student_second(&mut rng, weekday));
                let mut second = after_posting(a, day, self.hours.student_second(&mut rng, weekday));
                if first > second {
                    std::mem::swap(&mut first, &mut second);
                }
                let class = ClassRef::Roster(a.class);
                let actor = Actor::Student(student);
                if visits {
                    let mut e = Self::new_event(&mut rng, day, first, VISITED, actor, class);
                    e.detail = Detail::Assignment {
                        assignment: index,
                        submission: 0,
                        grade_halves: None,
                    };
                    Self::maybe_fraction(&mut rng, &mut e);
                    out.push(e);
                }
                if submits {
                    let mut e = Self::new_event(&mut rng, day, second, SUBMITTED, actor, class);
                    let submission = as_v4(u128::from(bits) << 64 | u128::from(hash_keys(&[bits])));
                    e.detail = Detail::Assignment {
                        assignment: index,
                        submission,
                        grade_halves: None,
                    };
                    out.push(e);
                }
                if returns {
                    let submitted = plan.submit_day.is_some_and(active);
                    let grade = if submitted {
                        let penalty = if plan.late { 10.0 } else { 0.0 };
                        (80.0 + 8.0 * (profile.level - 1.0) + 10.0 * rng.normal() - penalty).clamp(0.0, 100.0)
                    } else {
                        0.0
                    };
                    let returned_at = self.hours.teacher_second(&mut rng);
                    let mut e = Self::new_event(&mut rng, day, returned_at, RETURNED, actor, class);
                    e.detail = Detail::Assignment {
                        assignment: index,
                        submission: 0,
                        grade_halves: Some((grade * 2.0).round() as u16),
                    };
                    out.push(e);
                }
            }
        }
    }

    fn hold_meetings(&self, rng: &mut Rng, day: u32, out: &mut Vec<Event>) {
        for (class_index, class) in self.district.classes.iter().enumerate() {
            for meeting in 0..rng.poisson(self.rates.meetings_per_class_school_day) {
                let hour = (8 + class.period as u32 + 3 * meeting).min(22);
                let start = hour * 3600 + rng.below(4) as u32 * 300;
                let length = rng.range(40 * 60, 95 * 60) as u32;
                let session = as_v4(rng.next_u128());
                let class_ref = ClassRef::Roster(class_index as u32);
                let mut e = Self::new_event(
                    rng,
                    day,
                    start,
                    MEETING,
                    Actor::Teacher(class.teacher as u32),
                    class_ref,
                );
                e.detail = Detail::Meeting {
                    session,
                    seconds: length,
                };
                out.push(e);
                for &student in &class.students {
                    let activity = self.profiles[student as usize].activity(day);
                    if activity <= 0.0 || !rng.chance((MEETING_ATTENDANCE * activity.sqrt()).min(0.98)) {
                        continue;
                    }
                    let missed = rng.below(u64::from(length / 4)) as u32;
                    let mut e = Self::new_event(rng, day, start, MEETING, Actor::Student(student), class_ref);
                    e.detail = Detail::Meeting {
                        session,
                        seconds: length - missed,
                    };
                    out.push(e);
                }
            }
        }
    }

    fn teacher_teams(&self, rng: &mut Rng, day: u32, out: &mut Vec<Event>) {
        const KINDS_BY_TEACHERS: [u8; 5] = [POST, POST, REPLY, REPLY, VISIT_CHANNEL];
        for (t, teacher) in self.district.teachers.iter().enumerate() {
            if teacher.classes.is_empty() {
                continue;
            }
            for _ in 0..rng.poisson(TEACHER_TEAMS_PER_DAY) {
                let kind = KINDS_BY_TEACHERS[rng.below(5) as usize];
                let class = teacher.classes[rng.below(teacher.classes.len() as u64) as usize];
                let second = self.hours.teacher_second(rng);
                let mut e = Self::new_event(
                    rng,
                    day,
                    second,
                    kind,
                    Actor::Teacher(t as u32),
                    ClassRef::Roster(class),
                );
                Self::maybe_fraction(rng, &mut e);
                out.push(e);
            }
        }
    }

    fn ambient(&self, rng: &mut Rng, day: u32, weekday: u32, out: &mut Vec<Event>) {
        let day_mean = self.rates.ambient_per_student_day * day_factor(weekday);
        for (s, student) in self.district.students.iter().enumerate() {
            let activity = self.profiles[s].activity(day);
            if activity <= 0.0 || student.classes.is_empty() {
                continue;
            }
            for _ in 0..rng.poisson(day_mean * activity) {
                let kind = AMBIENT_FIRST + rng.pick_cumulative(&self.ambient_table) as u8;
                let mut actor = Actor::Student(s as u32);
                let roll = rng.unit();
                if roll < GUEST_RATE {
                    actor = Actor::Guest(rng.below(self.district.guests.len() as u64) as u32);
                } else if roll < GUEST_RATE + UNROSTERED_RATE {
                    actor = Actor::Unrostered(rng.below(self.district.unrostered_students.len() as u64) as u32);
                }
                let class = if rng.chance(UNKNOWN_CLASS_RATE) {
                    ClassRef::Unknown(rng.below(self.district.unknown_classes.len() as u64) as u32)
                } else {
                    ClassRef::Roster(student.classes[rng.below(student.classes.len() as u64) as usize])
                };
                let second = self.hours.student_second(rng, weekday);
                let mut e = Self::new_event(rng, day, second, kind, actor, class);
                Self::maybe_fraction(rng, &mut e);
                match KINDS[kind as usize].payload {
                    profile::Payload::File => {
                        e.detail = Detail::File {
                            ext: rng.below(FILE_EXTENSIONS.len() as u64) as u8,
                        };
                    }
                    profile::Payload::Reading => e.detail = Detail::Reading { bits: rng.next_u64() },
                    profile::Payload::Channel if rng.chance(USER_AGENT_RATE) => {
                        e.user_agent = 1 + rng.below(USER_AGENTS.len() as u64) as u8;
                    }
                    _ => {}
                }
                out.push(e);
            }
        }
    }
}
