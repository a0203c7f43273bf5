//! The roster tables (`orgs`, `classes`, `people`, `enrollments`) and `assignments` as batches, built
//! from the snapshot's roster once per roster version and cached: text columns are dictionary-encoded
//! with sorted dictionaries, so filters and grouping on them work on ids like `events` columns do.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use engine::roster::{Assignment, Roster};
use engine::Snapshot;
use rustc_hash::FxHashMap;

use super::array::{Array, Batch, TextArray};
use super::postings::Postings;
use crate::catalog::TableId;
use crate::value::{DataType, Value};

/// Dictionary identities of cached roster columns start here (segment columns use lower numbers).
const ROSTER_DICT_IDS: u64 = 1 << 62;
static NEXT_DICT_ID: AtomicU64 = AtomicU64::new(ROSTER_DICT_IDS);

/// Roster batches derived from one roster version.
struct Cached {
    roster: Arc<Roster>,
    assignments: Arc<Vec<Assignment>>,
    tables: FxHashMap<&'static str, Arc<Batch>>,
    postings: FxHashMap<(&'static str, usize), Arc<Postings>>,
}

/// The roster tables of the current roster version, built on first use.
#[derive(Default)]
pub struct RosterTables {
    cached: Mutex<Option<Cached>>,
}

impl RosterTables {
    /// The rows of a non-`events` table as of `snapshot`.
    pub fn get(&self, table: TableId, snapshot: &Snapshot) -> Arc<Batch> {
        self.with_cached(snapshot, |c, roster, assignments| {
            c.tables
                .entry(table.name())
                .or_insert_with(|| Arc::new(build(table, roster, assignments)))
                .clone()
        })
    }

    /// The rows of `table` by value of its text column `column` (`None` for a column that is not text).
    pub fn postings(&self, table: TableId, column: usize, snapshot: &Snapshot) -> Option<Arc<Postings>> {
        let batch = self.get(table, snapshot);
        let Some(Array::Text(TextArray::Dict { ids, dict, valid })) = batch.columns.get(column) else {
            return None;
        };
        let dict = dict.as_shared()?;
        Some(self.with_cached(snapshot, |c, _, _| {
            c.postings
                .entry((table.name(), column))
                .or_insert_with(|| Arc::new(Postings::build(ids, dict.clone(), valid)))
                .clone()
        }))
    }

    /// Runs `f` on the cache entry of the snapshot's roster version (replacing an older one).
    fn with_cached<T>(&self, snapshot: &Snapshot, f: impl FnOnce(&mut Cached, &Roster, &[Assignment]) -> T) -> T {
        let (roster, assignments) = (snapshot.roster_arc(), snapshot.assignments_arc());
        let fresh_entry = || Cached {
            roster: roster.clone(),
            assignments: assignments.clone(),
            tables: FxHashMap::default(),
            postings: FxHashMap::default(),
        };
        let Ok(mut guard) = self.cached.lock() else {
            return f(&mut fresh_entry(), &roster, &assignments);
        };
        let current = guard
            .as_ref()
            .is_some_and(|c| Arc::ptr_eq(&c.roster, &roster) && Arc::ptr_eq(&c.assignments, &assignments));
        if !current {
            *guard = Some(fresh_entry());
        }
        match guard.as_mut() {
            Some(c) => f(c, &roster, &assignments),
            None => f(&mut fresh_entry(), &roster, &assignments),
        }
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn opt_text(s: &Option<String>) -> Value {
    s.as_deref().map_or(Value::Null, text)
}

fn build(table: TableId, roster: &Roster, assignments: &[Assignment]) -> Batch {
    let rows: Vec<Vec<Value>> = match table {
        TableId::Events => Vec::new(),
        TableId::Orgs => roster
            .orgs
            .iter()
            .map(|o| vec![text(&o.id), text(&o.name), text(&o.kind), opt_text(&o.parent)])
            .collect(),
        TableId::Classes => roster
            .classes
            .iter()
            .map(|c| vec![text(&c.id), text(&c.name), opt_text(&c.school)])
            .collect(),
        TableId::People => roster
            .people
            .iter()
            .map(|p| vec![text(&p.id), text(p.role.as_str())])
            .collect(),
        TableId::Enrollments => roster
            .enrollments
            .iter()
            .map(|e| vec![text(&e.class), text(&e.person), text(e.role.as_str())])
            .collect(),
        TableId::Assignments => assignments
            .iter()
            .map(|a| {
                vec![
                    text(&a.id),
                    opt_text(&a.class),
                    a.due.map_or(Value::Null, Value::Timestamp),
                    a.assigned_at.map_or(Value::Null, Value::Timestamp),
                ]
            })
            .collect(),
    };
    let types: Vec<DataType> = table.columns().iter().map(|c| c.ty).collect();
    let mut batch = Batch::from_rows(&types, &rows);
    for col in &mut batch.columns {
        let id = NEXT_DICT_ID.fetch_add(1, Ordering::Relaxed);
        *col = std::mem::replace(col, Array::Null(0)).dictionary_encoded(Some(id));
    }
    batch
}
