//! Background and administrative work on the segment list: compaction (merge a partition's segments
//! into one, atomically), retention (drop old partitions), roster re-resolution (rewrite segments whose
//! school was unknown) and rebuilding a lost manifest from segment files.
//!
//! Every change follows one protocol: write the new segment file(s) atomically, commit the manifest
//! change in the catalog, swap the in-memory segment list, then delete replaced files. Readers holding
//! a snapshot keep their (memory-mapped) segments until they drop them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use std::sync::atomic::Ordering;

use super::{lock_poisoned, now_micros, replace_text_column, Db};
use crate::catalog::Catalog;
use crate::directory::Directory;
use crate::error::Result;
use crate::roster::Roster;
use crate::schema::col;
use crate::segment::{merge_segments, parse_segment_file_name, Segment, SegmentMeta};

/// What a compaction run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactionStats {
    /// Partitions that had more than one segment and were merged.
    pub partitions_merged: usize,
    /// Segments replaced.
    pub segments_removed: usize,
}

/// What a roster replacement changed in stored events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RosterUpdate {
    /// Stored events whose `school` was NULL and is now known.
    pub events_resolved: u64,
    /// Segments rewritten to record it.
    pub segments_rewritten: usize,
}

/// Swaps `removed` segments for `added` ones: manifest first, then memory, then files.
fn swap_segments(db: &Db, added: Vec<Arc<Segment>>, removed: &[u64]) -> Result<()> {
    let metas: Vec<SegmentMeta> = added.iter().map(|s| s.meta().clone()).collect();
    db.catalog.commit_segments(&metas, removed, None)?;
    {
        let mut st = db.state.write().map_err(|_| lock_poisoned())?;
        let mut segs: Vec<Arc<Segment>> = st
            .segments
            .iter()
            .filter(|s| !removed.contains(&s.meta().id))
            .cloned()
            .collect();
        segs.extend(added);
        segs.sort_by_key(|s| (s.meta().partition_start, s.meta().id));
        st.segments = Arc::new(segs);
    }
    for id in removed {
        db.segment_dir.delete(&crate::segment::segment_file_name(*id))?;
    }
    Ok(())
}

/// Background compaction merges a partition once it has this many segments, whatever their sizes.
const MAX_SEGMENTS_PER_PARTITION: usize = 8;

/// Whether background compaction should merge a partition whose segments have these row counts:
/// when the smaller ones together reach half the largest (so a row is rewritten only after its
/// partition grew by half, which keeps total rewriting within a small multiple of the data), or when
/// there are too many segments to read.
fn worth_merging(rows: &[u32]) -> bool {
    let largest = rows.iter().copied().max().unwrap_or(0) as u64;
    let others = rows.iter().map(|&r| r as u64).sum::<u64>() - largest;
    rows.len() > 1 && (2 * others >= largest || rows.len() >= MAX_SEGMENTS_PER_PARTITION)
}

impl Db {
    /// Merges the segments of every partition that has more than one into a single segment.
    pub fn compact(&self) -> Result<CompactionStats> {
        self.compact_where(|group| group.len() > 1)
    }

    /// What the background compactor runs after flushes: merges only the partitions where it pays
    /// (see [`worth_merging`]), so a partition that keeps receiving small flushes is not rewritten
    /// whole each time.
    pub(super) fn compact_background(&self) -> Result<()> {
        self.compact_where(|group| worth_merging(&group.iter().map(|s| s.meta().rows).collect::<Vec<_>>()))
            .map(|_| ())
    }

    /// Merges the partitions `merge` picks. The merging happens outside the maintenance lock, so flushes
    /// go on meanwhile (they only add segments); the lock is taken for the swap, which is skipped (and the
    /// merged file deleted) if retention or a rewrite removed one of the inputs in the meantime.
    fn compact_where(&self, merge: impl Fn(&[Arc<Segment>]) -> bool) -> Result<CompactionStats> {
        let _one_at_a_time = self.compaction.lock().map_err(|_| lock_poisoned())?;
        let segments = self.state.read().map_err(|_| lock_poisoned())?.segments.clone();
        let mut by_partition: BTreeMap<i64, Vec<Arc<Segment>>> = BTreeMap::new();
        for s in segments.iter() {
            by_partition
                .entry(s.meta().partition_start)
                .or_default()
                .push(s.clone());
        }
        let mut stats = CompactionStats::default();
        for (start, group) in by_partition.into_iter().filter(|(_, g)| merge(g)) {
            // Merged from the encoded inputs: no strings, no UUID parsing, no full sort.
            let inputs: Vec<&Segment> = group.iter().map(|s| s.as_ref()).collect();
            let template = SegmentMeta {
                id: self.next_segment_id.fetch_add(1, Ordering::SeqCst),
                partition_start: start,
                min_time: 0,
                max_time: 0,
                rows: 0,
                max_seq: group.iter().map(|s| s.meta().max_seq).max().unwrap_or(0),
                created_at: now_micros(),
            };
            let (meta, bytes) = merge_segments(&inputs, &template, Some(&self.shared))?;
            let new = self.store_segment(&meta, bytes)?;
            let removed: Vec<u64> = group.iter().map(|s| s.meta().id).collect();
            let _m = self.maintenance.lock().map_err(|_| lock_poisoned())?;
            let live = self.state.read().map_err(|_| lock_poisoned())?.segments.clone();
            if !removed.iter().all(|id| live.iter().any(|s| s.meta().id == *id)) {
                tracing::debug!(
                    partition = start,
                    "compaction inputs changed meanwhile; merge discarded"
                );
                self.segment_dir.delete(&meta.file_name())?;
                continue;
            }
            swap_segments(self, vec![new], &removed)?;
            stats.partitions_merged += 1;
            stats.segments_removed += removed.len();
        }
        Ok(stats)
    }

    /// Drops every partition that ended more than `retention_us` before `now_us` (or the configured
    /// retention if `retention_us` is `None`); returns the number of events dropped.
    pub fn apply_retention(&self, now_us: i64, retention_us: Option<i64>) -> Result<u64> {
        let Some(keep) = retention_us.or(self.options.retention_us) else {
            return Ok(0);
        };
        let _m = self.maintenance.lock().map_err(|_| lock_poisoned())?;
        let cutoff = now_us.saturating_sub(keep);
        let segments = self.state.read().map_err(|_| lock_poisoned())?.segments.clone();
        let old: Vec<&Arc<Segment>> = segments
            .iter()
            .filter(|s| self.options.granularity.end_of(s.meta().partition_start) <= cutoff)
            .collect();
        let dropped = old.iter().map(|s| s.num_rows() as u64).sum();
        let removed: Vec<u64> = old.iter().map(|s| s.meta().id).collect();
        if !removed.is_empty() {
            swap_segments(self, Vec::new(), &removed)?;
        }
        Ok(dropped)
    }
}

/// Rewrites the segments holding events with a NULL school whose class `roster` now places in a school.
pub(super) fn resolve_schools(db: &Db, roster: &Roster) -> Result<RosterUpdate> {
    let _m = db.maintenance.lock().map_err(|_| lock_poisoned())?;
    let school_of: HashMap<&str, &str> = roster
        .classes
        .iter()
        .filter_map(|c| c.school.as_deref().map(|s| (c.id.as_str(), s)))
        .collect();
    let segments = db.state.read().map_err(|_| lock_poisoned())?.segments.clone();
    let mut update = RosterUpdate::default();
    for seg in segments.iter() {
        let schools = seg.text_column(col::SCHOOL)?;
        let classes = seg.text_column(col::CLASS)?;
        let needs = (0..seg.num_rows())
            .filter(|&r| schools.value(r).is_none() && classes.value(r).is_some_and(|c| school_of.contains_key(c)))
            .count() as u64;
        if needs == 0 {
            continue;
        }
        let mut batch = seg.to_batch()?;
        let new_schools: Vec<Option<String>> = (0..batch.len())
            .map(|r| match batch.columns[col::SCHOOL].text(r) {
                Some(s) => Some(s.into_owned()),
                None => batch.columns[col::CLASS]
                    .text(r)
                    .and_then(|c| school_of.get(c.as_ref()).map(|s| s.to_string())),
            })
            .collect();
        replace_text_column(&mut batch, col::SCHOOL, new_schools);
        let new = db.write_segment(&batch, seg.meta().partition_start, seg.meta().max_seq)?;
        swap_segments(db, vec![new], &[seg.meta().id])?;
        update.events_resolved += needs;
        update.segments_rewritten += 1;
    }
    Ok(update)
}

/// Rebuilds the manifest from the self-describing segment files (`engagedb admin rebuild-catalog`).
/// The flushed WAL sequence becomes the highest `max_seq` found, so replay starts after it.
pub(crate) fn rebuild_manifest(catalog: &dyn Catalog, dir: &dyn Directory) -> Result<Vec<SegmentMeta>> {
    let mut metas = Vec::new();
    for name in dir.list()? {
        if parse_segment_file_name(&name).is_none() {
            continue;
        }
        let seg = Segment::open(dir.open_read(&name)?, &name)?;
        metas.push(seg.meta().clone());
    }
    let flushed = metas.iter().map(|m| m.max_seq).max().unwrap_or(0);
    catalog.clear_segments()?;
    catalog.commit_segments(&metas, &[], Some(flushed))?;
    Ok(metas)
}

impl Db {
    /// Discards the catalog's manifest and rebuilds it from the segment files on disk.
    pub fn rebuild_catalog(&self) -> Result<usize> {
        let _m = self.maintenance.lock().map_err(|_| lock_poisoned())?;
        let metas = rebuild_manifest(self.catalog.as_ref(), self.segment_dir.as_ref())?;
        Ok(metas.len())
    }
}

#[cfg(test)]
mod tests {
    use super::worth_merging;

    #[test]
    fn background_merges_once_the_small_segments_add_up_or_there_are_too_many() {
        assert!(!worth_merging(&[100]));
        assert!(worth_merging(&[100, 100]));
        assert!(!worth_merging(&[1_000, 100, 100]));
        assert!(worth_merging(&[1_000, 300, 200]));
        assert!(worth_merging(&[1_000, 1, 1, 1, 1, 1, 1, 1]));
    }
}
