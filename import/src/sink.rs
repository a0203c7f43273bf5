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
    /// Stores batches of rows that can be stored again if a crash loses them (rows of a file being
    /// imported, whose SignalId de-duplication makes a second import store nothing twice). A store may
    /// buffer them and write them without logging, as long as [`EventSink::for_each_stored_signal_id`]
    /// shows them at once; they are durable once [`EventSink::make_loaded_durable`] returns. By
    /// default, [`EventSink::append_all`].
    fn load_all(&self, batches: Vec<EventBatch>) -> Result<(), StorageError> {
        self.append_all(batches)
    }
    /// Makes every batch given to [`EventSink::load_all`] durable.
    fn make_loaded_durable(&self) -> Result<(), StorageError> {
        Ok(())
    }
    /// The current roster, if one was imported (shared, not copied).
    fn roster(&self) -> Result<Option<Arc<Roster>>, StorageError>;
    /// Replaces the roster with a newer snapshot; the store re-resolves `school` of stored events.
    fn replace_roster(&self, roster: Roster) -> Result<(), StorageError>;
    /// Records assignments (first wins per id across imports).
    fn add_assignments(&self, assignments: Vec<Assignment>) -> Result<(), StorageError>;
}
