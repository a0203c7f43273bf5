//! First-wins de-duplication of signals by SignalId, within a file, across files and across imports,
//! with bounded memory: duplicates of a signal share a time partition, so one id set is kept per
//! recently touched partition and the least recently used sets are evicted (and reloaded from the
//! store if that partition comes back).

use engine::StorageError;

use crate::fasthash::{FastMap, FastSet};
use crate::signal_key::SignalKey;
use crate::sink::EventSink;

/// The ids known in one partition: GUIDs as numbers, other ids as text.
#[derive(Default)]
struct PartitionIds {
    guids: FastSet<u128>,
    texts: FastSet<Box<str>>,
    last_used: u64,
}

impl PartitionIds {
    /// Inserts `key`; whether it was new.
    #[inline]
    fn insert(&mut self, key: SignalKey<'_>) -> bool {
        match key {
            SignalKey::Guid(g) => self.guids.insert(g),
            SignalKey::Text(t) => !self.texts.contains(t) && self.texts.insert(t.into()),
        }
    }

    fn len(&self) -> usize {
        self.guids.len() + self.texts.len()
    }
}

/// Remembers which signal ids exist per partition. Sets are loaded lazily from the sink and hold
/// both stored ids and ids accepted since; [`SignalDedup::trim`] must only be called once every
/// accepted id has been appended to the sink, so that a reloaded set is complete.
pub struct SignalDedup {
    partitions: FastMap<i64, PartitionIds>,
    capacity: usize,
    clock: u64,
    loads: u64,
}

impl SignalDedup {
    /// A cache keeping at most `capacity` partitions between batches (at least one).
    pub fn new(capacity: usize) -> SignalDedup {
        SignalDedup {
            partitions: FastMap::default(),
            capacity: capacity.max(1),
            clock: 0,
            loads: 0,
        }
    }

    /// Whether the signal `key` in the partition starting at `partition` is new; if so it is
    /// remembered, so a later copy is not. Loads the partition's stored ids on first use.
    #[inline]
    pub fn accept(&mut self, sink: &dyn EventSink, partition: i64, key: SignalKey<'_>) -> Result<bool, StorageError> {
        self.clock += 1;
        let clock = self.clock;
        if let Some(ids) = self.partitions.get_mut(&partition) {
            ids.last_used = clock;
            return Ok(ids.insert(key));
        }
        self.load(sink, partition)?;
        Ok(self.partitions.get_mut(&partition).is_some_and(|ids| {
            ids.last_used = clock;
            ids.insert(key)
        }))
    }

    fn load(&mut self, sink: &dyn EventSink, partition: i64) -> Result<(), StorageError> {
        let mut ids = PartitionIds::default();
        sink.for_each_stored_signal_id(partition, &mut |id| {
            ids.insert(SignalKey::of(id));
        })?;
        self.loads += 1;
        self.partitions.insert(partition, ids);
        Ok(())
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

    /// Number of partitions currently cached (at most the capacity after [`SignalDedup::trim`]).
    pub fn cached_partitions(&self) -> usize {
        self.partitions.len()
    }

    /// Number of ids currently cached, over all partitions.
    pub fn cached_ids(&self) -> usize {
        self.partitions.values().map(PartitionIds::len).sum()
    }

    /// How many partition id sets were loaded from the sink so far.
    pub fn loads(&self) -> u64 {
        self.loads
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory_sink::{MemorySink, DAY_US};

    #[test]
    fn first_wins_and_the_cache_never_holds_more_partitions_than_its_capacity() {
        let sink = MemorySink::default();
        let mut dedup = SignalDedup::new(3);
        for day in 0..20i64 {
            let p = day * DAY_US;
            assert!(dedup.accept(&sink, p, SignalKey::Guid(day as u128)).unwrap());
            assert!(!dedup.accept(&sink, p, SignalKey::Guid(day as u128)).unwrap());
            assert!(dedup.accept(&sink, p, SignalKey::Text("other")).unwrap());
            assert!(!dedup.accept(&sink, p, SignalKey::Text("other")).unwrap());
            dedup.trim();
            assert!(dedup.cached_partitions() <= 3);
        }
        assert_eq!(dedup.loads(), 20);
        assert_eq!(dedup.cached_ids(), 6);
    }
}
