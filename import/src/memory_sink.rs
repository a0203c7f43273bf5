//! An in-memory [`EventSink`] for tests and dry runs: events, roster and assignments kept in RAM.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use engine::roster::{Assignment, Roster};
use engine::{col, ColumnData, EventBatch, StorageError, StringVec};

use crate::sink::EventSink;

/// Default partition width: one day in µs.
pub const DAY_US: i64 = 86_400_000_000;

/// Keeps everything in memory. Partitions are fixed-width time buckets.
#[derive(Debug)]
pub struct MemorySink {
    partition_width_us: i64,
    events: Mutex<Option<EventBatch>>,
    roster: Mutex<Option<Arc<Roster>>>,
    assignments: Mutex<Vec<Assignment>>,
    id_loads: AtomicU64,
}

impl Default for MemorySink {
    fn default() -> Self {
        MemorySink::new(DAY_US)
    }
}

fn poisoned() -> StorageError {
    StorageError::Internal("memory sink lock poisoned".into())
}

impl MemorySink {
    /// An empty sink with partitions `partition_width_us` wide (at least 1 µs).
    pub fn new(partition_width_us: i64) -> MemorySink {
        MemorySink {
            partition_width_us: partition_width_us.max(1),
            events: Mutex::new(None),
            roster: Mutex::new(None),
            assignments: Mutex::new(Vec::new()),
            id_loads: AtomicU64::new(0),
        }
    }

    /// All stored events in append order (an empty batch if none).
    pub fn events(&self) -> EventBatch {
        let guard = self.events.lock().unwrap_or_else(|e| e.into_inner());
        guard.clone().unwrap_or_else(|| engine::BatchBuilder::new().finish())
    }

    /// All recorded assignments (first wins per id).
    pub fn assignments(&self) -> Vec<Assignment> {
        self.assignments.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// How many times [`EventSink::for_each_stored_signal_id`] was called.
    pub fn signal_id_loads(&self) -> u64 {
        self.id_loads.load(Ordering::Relaxed)
    }
}

impl EventSink for MemorySink {
    fn partition_of(&self, time_us: i64) -> i64 {
        time_us.div_euclid(self.partition_width_us) * self.partition_width_us
    }

    fn for_each_stored_signal_id(&self, partition_start: i64, visit: &mut dyn FnMut(&str)) -> Result<(), StorageError> {
        self.id_loads.fetch_add(1, Ordering::Relaxed);
        let guard = self.events.lock().map_err(|_| poisoned())?;
        let Some(batch) = guard.as_ref() else {
            return Ok(());
        };
        let ids = &batch.columns[col::SIGNAL_ID];
        for (i, &t) in batch.times().iter().enumerate() {
            if self.partition_of(t) == partition_start {
                if let Some(s) = ids.text(i) {
                    visit(&s);
                }
            }
        }
        Ok(())
    }

    fn append(&self, batch: EventBatch) -> Result<(), StorageError> {
        batch.validate()?;
        let mut guard = self.events.lock().map_err(|_| poisoned())?;
        match guard.as_mut() {
            Some(all) => all.extend(&batch),
            None => *guard = Some(batch),
        }
        Ok(())
    }

    fn roster(&self) -> Result<Option<Arc<Roster>>, StorageError> {
        Ok(self.roster.lock().map_err(|_| poisoned())?.clone())
    }

    fn replace_roster(&self, roster: Roster) -> Result<(), StorageError> {
        let schools: HashMap<&str, Option<&str>> = roster
            .classes
            .iter()
            .map(|c| (c.id.as_str(), c.school.as_deref()))
            .collect();
        let mut events = self.events.lock().map_err(|_| poisoned())?;
        if let Some(batch) = events.as_mut() {
            let n = batch.len();
            let mut school = StringVec::new();
            let mut validity = Vec::with_capacity(n);
            for i in 0..n {
                let class = batch.columns[col::CLASS].text(i);
                let resolved = class.and_then(|class| schools.get(class.as_ref()).copied().flatten());
                school.push(resolved.unwrap_or(""));
                validity.push(resolved.is_some());
            }
            let column = &mut batch.columns[col::SCHOOL];
            column.data = ColumnData::Text(school);
            column.validity = Some(validity);
        }
        drop(events);
        *self.roster.lock().map_err(|_| poisoned())? = Some(Arc::new(roster));
        Ok(())
    }

    fn add_assignments(&self, assignments: Vec<Assignment>) -> Result<(), StorageError> {
        let mut stored = self.assignments.lock().map_err(|_| poisoned())?;
        let mut known: HashSet<String> = stored.iter().map(|a| a.id.clone()).collect();
        for a in assignments {
            if known.insert(a.id.clone()) {
                stored.push(a);
            }
        }
        Ok(())
    }
}
