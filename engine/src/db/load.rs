//! Loading rows without the WAL: for rows that can be loaded again after a crash, such as a file being
//! imported (whose SignalId de-duplication makes a second import store nothing twice). Logging them
//! first would write every row twice (once to the WAL, once to a segment) and fsync the log on the
//! way; loaded rows are instead gathered in memory and written straight to segments.
//!
//! Loaded rows are not acknowledged one batch at a time: they become durable, and visible to readers,
//! when the segments holding them are committed: in the background once a memtable's worth has
//! gathered (partitions the load has moved past first, as the flusher does for logged rows), and all of
//! them by [`Db::write_loaded`], [`Db::flush`] or [`Db::close`]. A crash loses the loaded rows not yet
//! written, and nothing else.

use std::sync::Arc;

use super::{lock_poisoned, notify, Db, FlushScope};
use crate::batch::EventBatch;
use crate::error::Result;
use crate::segment::SegmentMeta;

/// Loaded rows not in committed segments yet.
#[derive(Debug, Default)]
pub(super) struct LoadBuffer {
    /// Waiting to be written, in load order, each with its latest event time.
    pending: Vec<(Arc<EventBatch>, i64)>,
    /// Rows in `pending`.
    pending_rows: usize,
    /// Taken by the write in progress, until its segments are live (so that readers of signal ids
    /// never miss them in between).
    writing: Vec<(Arc<EventBatch>, i64)>,
}

impl LoadBuffer {
    /// Every batch not in committed segments yet.
    pub(super) fn batches(&self) -> impl Iterator<Item = &Arc<EventBatch>> {
        self.pending.iter().chain(&self.writing).map(|(b, _)| b)
    }

    /// Rows not in committed segments yet.
    pub(super) fn rows(&self) -> usize {
        self.pending_rows + self.writing.iter().map(|(b, _)| b.len()).sum::<usize>()
    }
}

impl Db {
    /// Takes `batches` into the store without logging them (see the module docs): they are validated
    /// and buffered, and written to segments later. Returns once they are buffered, **not** when they
    /// are durable: call [`Db::write_loaded`] (or [`Db::flush`], [`Db::close`]) for that. When two
    /// memtables' worth of loaded rows wait or are being written, this call waits for the write in
    /// progress and then writes what still waits if that is as much, so a loader faster than the
    /// background writer is held back rather than using ever more memory.
    pub fn load(&self, mut batches: Vec<EventBatch>) -> Result<()> {
        super::prepare_batches(&mut batches)?;
        if batches.is_empty() {
            return Ok(());
        }
        let rows = {
            let mut buffer = self.loading.lock().map_err(|_| lock_poisoned())?;
            for batch in batches {
                let newest = batch.times().iter().copied().max().unwrap_or(i64::MIN);
                buffer.pending_rows += batch.len();
                buffer.pending.push((Arc::new(batch), newest));
            }
            buffer.rows()
        };
        let memtable_rows = self.options.memtable_rows;
        if rows >= 2 * memtable_rows {
            self.write_loaded_where(FlushScope::IfStillOver(2 * memtable_rows))?;
        } else if rows >= memtable_rows {
            notify(&self.flusher);
        }
        Ok(())
    }

    /// Writes every loaded row to segments; when this returns they are durable and visible.
    pub fn write_loaded(&self) -> Result<()> {
        self.write_loaded_where(FlushScope::Everything)
    }

    /// Loaded rows not written to segments yet.
    pub fn loaded_rows_buffered(&self) -> usize {
        self.loading.lock().map(|b| b.rows()).unwrap_or(0)
    }

    /// Writes the loaded batches `scope` selects to segments and commits them. If the write fails,
    /// the batches go back to the buffer, to be written by the next call.
    pub(super) fn write_loaded_where(&self, scope: FlushScope) -> Result<()> {
        let _m = self.maintenance.lock().map_err(|_| lock_poisoned())?;
        let batches: Vec<Arc<EventBatch>> = {
            let mut buffer = self.loading.lock().map_err(|_| lock_poisoned())?;
            let take = match scope {
                FlushScope::Everything => buffer.pending.len(),
                FlushScope::IfStillOver(rows) if buffer.pending_rows < rows => return Ok(()),
                FlushScope::IfStillOver(_) => buffer.pending.len(),
                FlushScope::CompletePartitions => match self.complete_partitions(&buffer.pending) {
                    Some(n) => n,
                    None => return Ok(()),
                },
            };
            let taken: Vec<(Arc<EventBatch>, i64)> = buffer.pending.drain(..take).collect();
            buffer.pending_rows -= taken.iter().map(|(b, _)| b.len()).sum::<usize>();
            buffer.writing = taken;
            buffer.writing.iter().map(|(b, _)| b.clone()).collect()
        };
        if batches.is_empty() {
            return Ok(());
        }
        let written = self.commit_loaded(&batches);
        let mut buffer = self.loading.lock().map_err(|_| lock_poisoned())?;
        let writing = std::mem::take(&mut buffer.writing);
        if written.is_err() {
            buffer.pending_rows += writing.iter().map(|(b, _)| b.len()).sum::<usize>();
            buffer.pending.splice(0..0, writing);
        }
        drop(buffer);
        written?;
        notify(&self.compactor);
        Ok(())
    }

    /// Writes `batches` as segments and makes them live. Called under the maintenance lock, so the
    /// flushed WAL sequence cannot move meanwhile: the segments carry it as their `max_seq` (they hold
    /// no logged row), which keeps a catalog rebuilt from the segment files replaying the right records.
    fn commit_loaded(&self, batches: &[Arc<EventBatch>]) -> Result<()> {
        let flushed_seq = self.state.read().map_err(|_| lock_poisoned())?.flushed_seq;
        let new_segments = self.write_partition_segments(batches, flushed_seq)?;
        let metas: Vec<SegmentMeta> = new_segments.iter().map(|s| s.meta().clone()).collect();
        self.catalog.commit_segments(&metas, &[], None)?;
        let mut st = self.state.write().map_err(|_| lock_poisoned())?;
        let mut segments = st.segments.as_ref().clone();
        segments.extend(new_segments);
        st.segments = Arc::new(segments);
        tracing::debug!(
            rows = metas.iter().map(|m| m.rows as usize).sum::<usize>(),
            "wrote loaded rows"
        );
        Ok(())
    }
}
