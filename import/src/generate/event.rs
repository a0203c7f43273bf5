//! One generated activity row before it is rendered as text: compact, `Copy`, and referring to the
//! district by index so that millions of them cost no allocation.

/// Who performed the signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A rostered student (index into `District::students`).
    Student(u32),
    /// A rostered teacher (index into `District::teachers`).
    Teacher(u32),
    /// A student the roster lacks (index into `District::unrostered_students`); ActorRole `Student`.
    Unrostered(u32),
    /// A guest (index into `District::guests`); empty ActorRole.
    Guest(u32),
}

/// Which class the signal belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassRef {
    /// A rostered class (index into `District::classes`).
    Roster(u32),
    /// A class the roster lacks (index into `District::unknown_classes`).
    Unknown(u32),
}

/// Signal-specific column values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Detail {
    /// No extra columns.
    None,
    /// An assignment signal: index into the assignment table, submission GUID bits (`0` = none) and
    /// grade in half points (`None` = no grade).
    Assignment {
        assignment: u32,
        submission: u128,
        grade_halves: Option<u16>,
    },
    /// A meeting attendance record.
    Meeting { session: u128, seconds: u32 },
    /// A file signal: index into `FILE_EXTENSIONS`.
    File { ext: u8 },
    /// A reading-progress submission; the Reading* values are derived from these bits.
    Reading { bits: u64 },
}

/// One activity row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    /// Day index relative to the first generated day.
    pub day: u32,
    /// Second of that day (UTC).
    pub second: u32,
    /// Sub-second part in 100 ns ticks, written as `.fffffff` when present.
    pub ticks: Option<u32>,
    /// Index into `profile::KINDS`.
    pub kind: u8,
    /// `0` = no UserAgent, otherwise `1 + index` into `profile::USER_AGENTS`.
    pub user_agent: u8,
    /// The actor.
    pub actor: Actor,
    /// The class.
    pub class: ClassRef,
    /// SignalId GUID bits.
    pub signal_id: u128,
    /// Signal-specific columns.
    pub detail: Detail,
}

impl Event {
    /// Sort key that puts rows in time order, ties broken by SignalId so the order is total.
    #[inline]
    pub fn order_key(&self) -> (u32, u32, u32, u128) {
        (self.day, self.second, self.ticks.unwrap_or(0), self.signal_id)
    }
}

/// An assignment a teacher created during the generated period.
#[derive(Debug, Clone)]
pub struct AssignmentInfo {
    /// AssignmentId GUID bits.
    pub id: u128,
    /// Index into `District::classes`.
    pub class: u32,
    /// Day index it was assigned.
    pub assigned_day: u32,
    /// Second of the assigned day at which the teacher posted it.
    pub assigned_second: u32,
    /// Day index it is due (at 00:00:00).
    pub due_day: u32,
    /// Seed of the per-student plans.
    pub seed: u64,
}
