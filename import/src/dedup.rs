//! First-wins de-duplication of signals by SignalId, within a file, across files and across imports,
//! with bounded memory: one id set per recently touched time partition, least recently used evicted.

use std::collections::{HashMap, HashSet};

use engine::StorageError;

use crate::sink::EventSink;

struct PartitionIds {
    ids: HashSet<String>,
    last_used: u64,
}

/// Remembers which signal ids exist per partition. Sets are loaded lazily from the sink and hold
/// both stored ids and ids accepted since; [`SignalDedup::trim`] must only be called once every
/// accepted id has been appended to the sink, so that a reloaded set is complete.
pub struct SignalDedup {
    partitions: HashMap<i64, PartitionIds>,
    capacity: usize,
    clock: u64,
}

impl SignalDedup {
    /// A cache keeping at most `capacity` partitions between batches (at least one).
    pub fn new(capacity: usize) -> SignalDedup {
        SignalDedup {
            partitions: HashMap::new(),
            capacity: capacity.max(1),
            clock: 0,
        }
    }

    /// Whether `signal_id` at `time_us` is new; if so it is remembered, so a later copy is not.
    pub fn accept(&mut self, sink: &dyn EventSink, time_us: i64, signal_id: &str) -> Result<bool, StorageError> {
        let partition = sink.partition_of(time_us);
        self.clock += 1;
        let entry = match self.partitions.entry(partition) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let ids = sink.stored_signal_ids(partition)?;
                e.insert(PartitionIds { ids, last_used: 0 })
            }
        };
        entry.last_used = self.clock;
        if entry.ids.contains(signal_id) {
            return Ok(false);
        }
        entry.ids.insert(signal_id.to_string());
        Ok(true)
    }

    /// Drops the least recently used partitions beyond the capacity.
    pub fn trim(&mut self) {
        while self.partitions.len() > self.capacity {
            let Some(oldest) = self.partitions.iter().min_by_key(|(_, p)| p.last_used).map(|(k, _)| *k) else {
                return;
            };
            self.partitions.remove(&oldest);
        }
    }

    /// Number of partitions currently cached.
    pub fn cached_partitions(&self) -> usize {
        self.partitions.len()
    }
}
