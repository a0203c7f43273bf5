//! The mutable in-memory buffer: acknowledged batches not yet flushed to segments, keyed by WAL
//! sequence number so a flush can take exactly the contiguous prefix it may mark as flushed.

use std::sync::Arc;

use crate::batch::EventBatch;

/// Acknowledged, not-yet-flushed batches, ordered by WAL sequence.
#[derive(Debug, Default)]
pub struct Memtable {
    /// (WAL sequence, batch, the batch's latest event time).
    batches: Vec<(u64, Arc<EventBatch>, i64)>,
    rows: usize,
    version: u64,
}

impl Memtable {
    /// Adds the batch with WAL sequence `seq` (concurrent appenders may insert out of order).
    pub fn insert(&mut self, seq: u64, batch: Arc<EventBatch>) {
        let pos = self.batches.partition_point(|(s, _, _)| *s < seq);
        self.rows += batch.len();
        let newest = batch.times().iter().copied().max().unwrap_or(i64::MIN);
        self.batches.insert(pos, (seq, batch, newest));
        self.version += 1;
    }

    /// Rows buffered.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Changes whenever the content changes (for caching derived views).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// All buffered batches with their WAL sequences, in sequence order.
    pub fn entries(&self) -> impl Iterator<Item = (u64, &Arc<EventBatch>)> {
        self.batches.iter().map(|(s, b, _)| (*s, b))
    }

    /// All buffered batches in sequence order.
    pub fn batches(&self) -> impl Iterator<Item = &Arc<EventBatch>> {
        self.batches.iter().map(|(_, b, _)| b)
    }

    /// The batches with sequences `after+1, after+2, …` without a gap, each with its latest event time,
    /// and the last such sequence. A batch acknowledged by the WAL but not inserted yet leaves a gap, and
    /// everything after it waits. Batches through `after` (a flush on its way) are passed over.
    pub fn contiguous_after(&self, after: u64) -> (Vec<(Arc<EventBatch>, i64)>, u64) {
        let mut next = after + 1;
        let mut out = Vec::new();
        let first = self.batches.partition_point(|(s, _, _)| *s <= after);
        for (seq, b, newest) in &self.batches[first..] {
            if *seq != next {
                break;
            }
            out.push((b.clone(), *newest));
            next += 1;
        }
        (out, next - 1)
    }

    /// Drops the batches with sequence `<= seq` (they are in segments now).
    pub fn remove_through(&mut self, seq: u64) {
        let n = self.batches.partition_point(|(s, _, _)| *s <= seq);
        for (_, b, _) in self.batches.drain(..n) {
            self.rows -= b.len();
        }
        self.version += 1;
    }
}
