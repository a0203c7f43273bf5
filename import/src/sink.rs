//! The store the importer writes into, as a trait: the engine's `Db` implements it, tests use
//! [`crate::memory_sink::MemorySink`].

use std::sync::Arc;

use engine::roster::{Assignment, Roster};
use engine::{EventBatch, StorageError};

/// Where imported events, rosters and assignments go.
pub trait EventSink {
    /// Start (µs) of the time partition holding `time_us`; duplicates of a SignalId always share a partition.
    fn partition_of(&self, time_us: i64) -> i64;
    /// Calls `visit` with every signal_id already stored in the partition starting at `partition_start`
    /// (in any order, possibly more than once).
    fn for_each_stored_signal_id(&self, partition_start: i64, visit: &mut dyn FnMut(&str)) -> Result<(), StorageError>;
    /// Durably stores a batch (returns after fsync).
    fn append(&self, batch: EventBatch) -> Result<(), StorageError>;
    /// Durably stores several batches (returns after fsync); a store that can log them together (one
    /// fsync) should, so that the caller need not copy them into one batch first.
    fn append_all(&self, batches: Vec<EventBatch>) -> Result<(), StorageError> {
        batches.into_iter().try_for_each(|b| self.append(b))
    }
    /// The current roster, if one was imported (shared, not copied).
    fn roster(&self) -> Result<Option<Arc<Roster>>, StorageError>;
    /// Replaces the roster with a newer snapshot; the store re-resolves `school` of stored events.
    fn replace_roster(&self, roster: Roster) -> Result<(), StorageError>;
    /// Records assignments (first wins per id across imports).
    fn add_assignments(&self, assignments: Vec<Assignment>) -> Result<(), StorageError>;
}
