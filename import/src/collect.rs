//! The collection rules of `shared/queries/README.md`: whose signals are collected (students only),
//! which school a class belongs to, and which teacher rows become assignments.

use engine::roster::{Assignment, Role, Roster};

use crate::activity::ActivityRecord;
use crate::fasthash::FastMap;
use crate::id_map::IdMap;
use crate::roster::role_from_text;
use crate::signal_key::{parse_guid, SignalKey};

/// Most records [`Collector::actors`] and [`Collector::schools`] take at once.
pub const AT_ONCE: usize = 32;

/// Who performed a signal, as far as collection is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A student: the signal is collected.
    Student,
    /// A teacher (or other staff): never stored in `events`.
    Teacher,
    /// Unknown to the roster and not marked as a student or teacher by the export: dropped.
    Guest,
}

/// Applies the collection rules against one roster snapshot.
#[derive(Debug, Default)]
pub struct Collector {
    roles: IdMap<Role>,
    /// Each class's school as an index into `school_names`: small table entries, and the few
    /// names every student row copies stay in cache instead of one heap string per class.
    schools: IdMap<Option<u32>>,
    school_names: Vec<Box<str>>,
    /// Per entry of `school_names`, its bits if it is a lower-case GUID (decoded once, here).
    school_guids: Vec<Option<u128>>,
}

/// A class's school as [`Collector::schools`] gives it: the id, and its bits if it is a lower-case
/// GUID (so the school column need not decode it for every row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct School<'s> {
    /// The school's id (its org id in the roster).
    pub id: &'s str,
    /// `id` as a lower-case GUID's bits, if it is one.
    pub guid: Option<u128>,
}

impl Collector {
    /// Rules for `roster`; with no roster every actor is judged by the export's ActorRole alone.
    pub fn new(roster: Option<&Roster>) -> Collector {
        let Some(roster) = roster else {
            return Collector::default();
        };
        let mut school_names = Vec::new();
        let mut school_index = FastMap::<&str, u32>::default();
        let mut schools = IdMap::default();
        for class in &roster.classes {
            let school = class.school.as_deref().map(|name| {
                *school_index.entry(name).or_insert_with(|| {
                    school_names.push(Box::from(name));
                    (school_names.len() - 1) as u32
                })
            });
            schools.insert(&class.id, school);
        }
        let school_guids = school_names.iter().map(|name| parse_guid(name)).collect();
        Collector {
            roles: roster.people.iter().map(|p| (p.id.as_str(), p.role)).collect(),
            schools,
            school_names,
            school_guids,
        }
    }

    /// The roster's role for the actor wins; an actor the roster does not know is a student only if
    /// ActorRole says `Student`, a teacher if it names a teaching role, and a guest otherwise.
    pub fn actor(&self, actor_id: &str, actor_role: &str) -> Actor {
        judge(self.roles.get(actor_id).copied(), actor_role)
    }

    /// [`Collector::actor`] of every record into `actors`, and the key of its ActorId into `keys` (both
    /// as long as `records`, at most [`AT_ONCE`]): the ids are decoded first and then looked up back to
    /// back, so the processor overlaps the cache misses of the lookups instead of waiting for each in
    /// turn. The caller may reuse the keys (a GUID's bits) instead of decoding the ids again.
    #[inline]
    pub fn actors<'r>(&self, records: &[ActivityRecord<'r>], keys: &mut [SignalKey<'r>], actors: &mut [Actor]) {
        for (key, r) in keys.iter_mut().zip(records) {
            *key = SignalKey::of(r.actor_id);
        }
        let mut roles = [None; AT_ONCE];
        for (role, key) in roles.iter_mut().zip(&keys[..records.len()]) {
            *role = self.roles.get_key(*key).copied();
        }
        for ((actor, r), role) in actors.iter_mut().zip(records).zip(roles) {
            *actor = judge(role, r.actor_role);
        }
    }

    /// The roster school of `class`; `None` if the class is not in the roster.
    #[inline]
    pub fn school_of(&self, class: Option<&str>) -> Option<&str> {
        class
            .and_then(|c| self.schools.get(c))
            .and_then(|&s| self.school(s))
            .map(|s| s.id)
    }

    /// School number `index`, if there is one.
    #[inline]
    fn school(&self, index: Option<u32>) -> Option<School<'_>> {
        let i = index? as usize;
        Some(School {
            id: self.school_names.get(i)?,
            guid: self.school_guids.get(i).copied().flatten(),
        })
    }

    /// [`Collector::school_of`] the class of every student's record into `schools`, and the key of the
    /// class id into `keys` (`None` for the other actors and for rows without a class); `records`,
    /// `actors`, `keys` and `schools` are equally long, at most [`AT_ONCE`]. Decodes the class ids
    /// first, as [`Collector::actors`] does.
    #[inline]
    pub fn schools<'s, 'r>(
        &'s self,
        records: &[ActivityRecord<'r>],
        actors: &[Actor],
        keys: &mut [Option<SignalKey<'r>>],
        schools: &mut [Option<School<'s>>],
    ) {
        for ((key, r), actor) in keys.iter_mut().zip(records).zip(actors) {
            *key = if *actor == Actor::Student {
                r.class.map(SignalKey::of)
            } else {
                None
            };
        }
        for (school, key) in schools.iter_mut().zip(&keys[..records.len()]) {
            *school = key
                .and_then(|k| self.schools.get_key(k))
                .and_then(|&index| self.school(index));
        }
    }

    /// The assignment a teacher's `AssignmentEvent` row with Action `Assigned` records, if this is one.
    pub fn assignment_of(record: &ActivityRecord<'_>) -> Option<Assignment> {
        if record.signal_type != "AssignmentEvent" || record.action != Some("Assigned") {
            return None;
        }
        Some(Assignment {
            id: record.assignment?.to_string(),
            class: record.class.map(str::to_string),
            due: record.due,
            assigned_at: Some(record.start_time),
        })
    }
}

/// Who the actor is, from the roster's role if it knows the actor, else from ActorRole.
#[inline]
fn judge(roster_role: Option<Role>, actor_role: &str) -> Actor {
    match roster_role.or_else(|| export_role(actor_role)) {
        Some(Role::Student) => Actor::Student,
        Some(Role::Teacher) => Actor::Teacher,
        None => Actor::Guest,
    }
}

/// The role an export's ActorRole names; the two values real exports use are matched first, without
/// the allocation of the general, case-insensitive [`role_from_text`].
#[inline]
fn export_role(actor_role: &str) -> Option<Role> {
    match actor_role {
        "Student" => Some(Role::Student),
        "Teacher" => Some(Role::Teacher),
        "" => None,
        other => role_from_text(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::roster::{Class, Person};

    fn roster() -> Roster {
        Roster {
            people: vec![
                Person {
                    id: "s1".into(),
                    role: Role::Student,
                },
                Person {
                    id: "t1".into(),
                    role: Role::Teacher,
                },
            ],
            classes: vec![
                Class {
                    id: "c1".into(),
                    name: "Class".into(),
                    school: Some("sch".into()),
                },
                Class {
                    id: "c2".into(),
                    name: "Orphan".into(),
                    school: None,
                },
            ],
            ..Roster::default()
        }
    }

    #[test]
    fn roster_role_wins_over_actor_role() {
        let c = Collector::new(Some(&roster()));
        assert_eq!(c.actor("s1", "Teacher"), Actor::Student);
        assert_eq!(c.actor("t1", "Student"), Actor::Teacher);
    }

    #[test]
    fn unknown_actors_are_judged_by_actor_role() {
        let c = Collector::new(Some(&roster()));
        assert_eq!(c.actor("x", "Student"), Actor::Student);
        assert_eq!(c.actor("x", "Teacher"), Actor::Teacher);
        assert_eq!(c.actor("x", ""), Actor::Guest);
        assert_eq!(c.actor("x", "Guardian"), Actor::Guest);
        assert_eq!(Collector::new(None).actor("s1", ""), Actor::Guest);
    }

    #[test]
    fn school_comes_from_the_roster_class() {
        let c = Collector::new(Some(&roster()));
        assert_eq!(c.school_of(Some("c1")), Some("sch"));
        assert_eq!(c.school_of(Some("c2")), None);
        assert_eq!(c.school_of(Some("unknown")), None);
        assert_eq!(c.school_of(None), None);
    }
}
