//! The background flush as a two-stage pipeline: the flusher thread encodes the next complete partitions
//! while a segment-store thread writes, fsyncs and commits the ones encoded before. Writing a million-row
//! segment and committing it takes ~100-120 ms, mostly waiting for the disk; in that time the next
//! partition is encoded instead of waiting its turn.
//!
//! Commits stay in WAL order: there is one store thread, it takes encoded flushes oldest first, and a
//! flush is stored only if it continues exactly where the last commit ended (`flushed_seq`). When a store
//! fails, the flushes encoded after it are dropped and the next one starts again from `flushed_seq`, so
//! no row is skipped; their rows stay in the memtable (and the WAL) meanwhile. At most one encoded flush
//! waits for the store thread, which bounds the memory held. Synchronous flushes (`Db::flush`, `close`,
//! an appender over the back-pressure limit) first wait for the pipeline to empty.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Condvar, Mutex, MutexGuard};

use super::{lock_poisoned, notify, Db, EncodedSegment};
use crate::error::{Result, StorageError};

/// The encoded flushes on their way to the store thread.
#[derive(Default)]
pub(super) struct FlushPipeline {
    state: Mutex<PipelineState>,
    changed: Condvar,
}

#[derive(Default)]
struct PipelineState {
    /// The last WAL sequence handed to the store stage, if a flush is on its way (the next one takes the
    /// batches after it); 0 when the next flush starts from the committed `flushed_seq`.
    handed_upto: u64,
    /// Encoded flushes waiting for the store thread, oldest first (at most one).
    queued: VecDeque<EncodedFlush>,
    /// Flushes queued or being stored.
    pending: usize,
}

/// A flush encoded by the flusher: the segments of the batches after WAL sequence `after` through `upto`.
pub(super) struct EncodedFlush {
    after: u64,
    upto: u64,
    rows: usize,
    segments: Vec<EncodedSegment>,
}

impl FlushPipeline {
    fn state(&self) -> Result<MutexGuard<'_, PipelineState>> {
        self.state.lock().map_err(|_| lock_poisoned())
    }

    fn wait_while<'a>(
        &self,
        guard: MutexGuard<'a, PipelineState>,
        busy: impl FnMut(&mut PipelineState) -> bool,
    ) -> Result<MutexGuard<'a, PipelineState>> {
        self.changed.wait_while(guard, busy).map_err(|_| lock_poisoned())
    }

    /// Blocks until no flush is queued or being stored.
    pub(super) fn wait_until_empty(&self) -> Result<()> {
        let state = self.state()?;
        drop(self.wait_while(state, |s| s.pending > 0)?);
        Ok(())
    }
}

impl Db {
    /// The background flusher's share of the pipeline: encodes the complete partitions of the memtable
    /// after what was already handed on (the rule of `batches_to_flush`) and queues them for the
    /// store thread, waiting first if a flush is already queued.
    pub(super) fn encode_complete_partitions(&self) -> Result<()> {
        let _encoding = self.flush_encoding.lock().map_err(|_| lock_poisoned())?;
        let after = {
            let state = self.pipeline.state()?;
            let state = self.pipeline.wait_while(state, |s| !s.queued.is_empty())?;
            let flushed = self.state.read().map_err(|_| lock_poisoned())?.flushed_seq;
            state.handed_upto.max(flushed)
        };
        let (mut batches, _) = {
            let st = self.state.read().map_err(|_| lock_poisoned())?;
            st.memtable.contiguous_after(after)
        };
        let Some(take) = self.complete_partitions(&batches) else {
            return Ok(());
        };
        batches.truncate(take);
        let upto = after + take as u64;
        let batches: Vec<_> = batches.into_iter().map(|(b, _)| b).collect();
        let rows: usize = batches.iter().map(|b| b.len()).sum();
        if rows == 0 {
            return Ok(());
        }
        self.rows_being_flushed.fetch_add(rows, Ordering::AcqRel);
        let segments = match self.encode_partition_segments(&batches, upto) {
            Ok(segments) => segments,
            Err(e) => {
                self.rows_being_flushed.fetch_sub(rows, Ordering::AcqRel);
                return Err(e);
            }
        };
        {
            let mut state = self.pipeline.state()?;
            state.queued.push_back(EncodedFlush {
                after,
                upto,
                rows,
                segments,
            });
            state.pending += 1;
            state.handed_upto = upto;
        }
        notify(&self.storer);
        Ok(())
    }

    /// The store thread's job: stores and commits every queued flush, oldest first. After a failure the
    /// flushes queued behind it are dropped (they would not continue the committed sequence) and the
    /// next flush starts again from `flushed_seq`; the first error is returned (and logged by the worker).
    pub(super) fn store_queued_flushes(&self) -> Result<()> {
        let mut first_error = None;
        loop {
            let Some(flush) = self.pipeline.state()?.queued.pop_front() else {
                break;
            };
            self.pipeline.changed.notify_all();
            let stored = self.store_flush(&flush);
            self.rows_being_flushed.fetch_sub(flush.rows, Ordering::AcqRel);
            {
                let mut state = self.pipeline.state()?;
                state.pending -= 1;
                if stored.is_err() {
                    state.handed_upto = 0;
                }
            }
            self.pipeline.changed.notify_all();
            if let Err(e) = stored {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Writes and commits one encoded flush, if it continues the committed sequence.
    fn store_flush(&self, flush: &EncodedFlush) -> Result<()> {
        let _m = self.maintenance.lock().map_err(|_| lock_poisoned())?;
        let flushed = self.state.read().map_err(|_| lock_poisoned())?.flushed_seq;
        if flushed != flush.after {
            return Err(StorageError::Internal(format!(
                "flush of WAL records {}..={} dropped: it follows a flush that failed (committed through {flushed}); \
                 its rows stay buffered for the next flush",
                flush.after + 1,
                flush.upto
            )));
        }
        let segments = self.store_segments(&flush.segments)?;
        self.commit_flush(segments, flush.after, flush.upto, flush.rows)
    }
}
