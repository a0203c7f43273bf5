//! A consistent, immutable view of the database for readers: the live segments plus the buffered rows
//! (as an in-memory segment) at one point in time, and the roster and assignments of that moment.
//! Also the engine's scan API: time-range pruning and bitmap selection on indexed columns.

use std::sync::Arc;

use roaring::RoaringBitmap;

use crate::error::{Result, StorageError};
use crate::roster::{Assignment, Roster};
use crate::schema::{col, EVENT_COLUMNS};
use crate::segment::Segment;

/// What a reader sees; cheap to clone, never changes, keeps its segments alive.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub(crate) segments: Arc<Vec<Arc<Segment>>>,
    /// The memtable's rows as in-memory segments (see `Db::snapshot`).
    pub(crate) buffered: Arc<Vec<Arc<Segment>>>,
    pub(crate) roster: Arc<Roster>,
    pub(crate) assignments: Arc<Vec<Assignment>>,
}

/// One conjunct of a scan filter: indexed column `column` equals one of `values`.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexFilter {
    /// Column index (must be an indexed column, see [`crate::schema::ColumnDef::indexed`]).
    pub column: usize,
    /// Accepted values (an `IN` list; one value for `=`).
    pub values: Vec<String>,
}

/// What to scan: a half-open time range `[from, to)` and filters on indexed columns, all ANDed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanRequest {
    /// Inclusive lower bound on `time` (µs), if any.
    pub from: Option<i64>,
    /// Exclusive upper bound on `time` (µs), if any.
    pub to: Option<i64>,
    /// Filters on indexed columns.
    pub filters: Vec<IndexFilter>,
}

/// One segment's share of a scan: the segment and the rows of it that match the request.
#[derive(Debug, Clone)]
pub struct ScanUnit {
    /// The segment (read its columns with the typed accessors).
    pub segment: Arc<Segment>,
    /// Matching row ids within the segment.
    pub selection: RoaringBitmap,
}

impl Snapshot {
    /// Every segment (persisted and buffered) whose time range may intersect `[lo, hi]` (inclusive, µs).
    pub fn segments(&self, lo: Option<i64>, hi: Option<i64>) -> Vec<Arc<Segment>> {
        self.segments
            .iter()
            .chain(self.buffered.iter())
            .filter(|s| {
                let m = s.meta();
                m.rows > 0 && lo.is_none_or(|lo| m.max_time >= lo) && hi.is_none_or(|hi| m.min_time <= hi)
            })
            .cloned()
            .collect()
    }

    /// The roster at the time of the snapshot (empty if none was imported).
    pub fn roster(&self) -> &Roster {
        &self.roster
    }

    /// The assignments at the time of the snapshot.
    pub fn assignments(&self) -> &[Assignment] {
        &self.assignments
    }

    /// The roster, shared: the same `Arc` for every snapshot until the roster is replaced, so callers
    /// can cache what they derive from it by pointer identity (holding the `Arc` keeps that valid).
    pub fn roster_arc(&self) -> Arc<Roster> {
        self.roster.clone()
    }

    /// The assignments, shared, with the same identity guarantee as [`Snapshot::roster_arc`].
    pub fn assignments_arc(&self) -> Arc<Vec<Assignment>> {
        self.assignments.clone()
    }

    /// Total rows visible.
    pub fn rows(&self) -> u64 {
        self.segments
            .iter()
            .chain(self.buffered.iter())
            .map(|s| s.num_rows() as u64)
            .sum()
    }

    /// Resolves `req` per segment: partitions and segments outside the time range are skipped by their
    /// min/max; indexed filters become bitmap unions (IN) and intersections (AND); the time bound is
    /// applied last, on the time column, only where a segment straddles it.
    pub fn scan(&self, req: &ScanRequest) -> Result<Vec<ScanUnit>> {
        check_filters(req)?;
        let mut units = Vec::new();
        for segment in self.segments(req.from, req.to.map(|t| t.saturating_sub(1))) {
            let selection = match select(&segment, req)? {
                Selection::All => {
                    let mut all = RoaringBitmap::new();
                    all.insert_range(0..segment.num_rows() as u32);
                    all
                }
                Selection::Rows(rows) => rows,
            };
            if !selection.is_empty() {
                units.push(ScanUnit { segment, selection });
            }
        }
        Ok(units)
    }

    /// Number of rows matching `req`: what [`Snapshot::scan`] selects, counted without building the
    /// selections it does not need (whole segments count by their metadata, and a time bound alone is
    /// counted straight off the time column).
    pub fn count(&self, req: &ScanRequest) -> Result<u64> {
        check_filters(req)?;
        let mut total = 0;
        for segment in self.segments(req.from, req.to.map(|t| t.saturating_sub(1))) {
            total += if req.filters.is_empty() && straddles(&segment, req) {
                let (from, to) = bounds(req);
                let times = &segment.int_column(col::TIME)?.values;
                times.iter().map(|&t| u64::from(t >= from && t < to)).sum()
            } else {
                match select(&segment, req)? {
                    Selection::All => segment.num_rows() as u64,
                    Selection::Rows(rows) => rows.len(),
                }
            };
        }
        Ok(total)
    }
}

/// The rows of one segment a request selects.
enum Selection {
    /// Every row.
    All,
    /// Just these.
    Rows(RoaringBitmap),
}

fn check_filters(req: &ScanRequest) -> Result<()> {
    for f in &req.filters {
        let def = EVENT_COLUMNS
            .get(f.column)
            .ok_or_else(|| StorageError::InvalidInput(format!("no column {}", f.column)))?;
        if !def.indexed {
            return Err(StorageError::InvalidInput(format!("column {} has no index", def.name)));
        }
    }
    Ok(())
}

/// The request's time bounds as a half-open range, unbounded ends made infinite.
fn bounds(req: &ScanRequest) -> (i64, i64) {
    (req.from.unwrap_or(i64::MIN), req.to.unwrap_or(i64::MAX))
}

/// Whether some of the segment's rows fall outside the request's time range.
fn straddles(segment: &Segment, req: &ScanRequest) -> bool {
    let m = segment.meta();
    req.from.is_some_and(|f| m.min_time < f) || req.to.is_some_and(|t| m.max_time >= t)
}

/// The rows of `segment` matching `req` (its time range must intersect the segment's).
fn select(segment: &Segment, req: &ScanRequest) -> Result<Selection> {
    let mut selection = Selection::All;
    for f in &req.filters {
        let mut any = RoaringBitmap::new();
        for v in &f.values {
            if let Some(b) = segment.index_lookup(f.column, v)? {
                any |= b;
            }
        }
        selection = Selection::Rows(match selection {
            Selection::All => any,
            Selection::Rows(rows) => rows & any,
        });
        if matches!(&selection, Selection::Rows(rows) if rows.is_empty()) {
            return Ok(selection);
        }
    }
    if !straddles(segment, req) {
        return Ok(selection);
    }
    let (from, to) = bounds(req);
    let times = &segment.int_column(col::TIME)?.values;
    let in_range = |r: u32| (from..to).contains(&times[r as usize]);
    Ok(Selection::Rows(match selection {
        Selection::Rows(rows) if rows.len() < times.len() as u64 / 64 => rows.iter().filter(|&r| in_range(r)).collect(),
        Selection::Rows(rows) => rows & time_mask(times, from, to),
        Selection::All => time_mask(times, from, to),
    }))
}

/// The rows whose time lies in `[from, to)`, built eight rows to a byte rather than row by row.
fn time_mask(times: &[i64], from: i64, to: i64) -> RoaringBitmap {
    let bytes: Vec<u8> = times
        .chunks(8)
        .map(|chunk| {
            chunk
                .iter()
                .enumerate()
                .fold(0u8, |byte, (bit, &t)| byte | (u8::from(t >= from && t < to) << bit))
        })
        .collect();
    RoaringBitmap::from_lsb0_bytes(0, &bytes)
}
