//! [`Chunk`]: the unit a pipeline pushes through its steps — a set of rows of a source (a segment, a
//! materialized batch, or arrays computed by an earlier step) whose columns are gathered on first use.
//! A filter only narrows the row list, so columns nobody reads are never gathered.

use std::cell::RefCell;
use std::rc::Rc;

use engine::segment::Segment;
use engine::{ColumnType, EVENT_COLUMNS};
use roaring::RoaringBitmap;

use super::array::{Array, Batch, DictRef, TextArray, Validity};
use super::ExecError;

/// Where a chunk's columns come from.
#[derive(Clone)]
pub enum ChunkSource<'a> {
    /// An `events` segment (columns are engine columns).
    Segment(&'a Segment),
    /// A materialized batch.
    Batch(&'a Batch),
    /// Arrays computed by a step; `None` for columns no later step reads.
    Arrays(Rc<Vec<Option<Rc<Array<'a>>>>>),
}

/// Rows of a source, ascending.
#[derive(Clone)]
pub enum Rows {
    /// Rows `0..n`.
    All(usize),
    /// These rows.
    Some(Rc<Vec<u32>>),
    /// These rows of a segment, also as the selection bitmap they came from.
    Selected(Rc<Vec<u32>>, Rc<RoaringBitmap>),
}

impl Rows {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Rows::All(n) => *n,
            Rows::Some(v) | Rows::Selected(v, _) => v.len(),
        }
    }

    /// The row list, unless all rows are selected.
    fn list(&self) -> Option<&[u32]> {
        match self {
            Rows::All(_) => None,
            Rows::Some(v) | Rows::Selected(v, _) => Some(v),
        }
    }
}

/// A set of rows of a source with lazily gathered columns.
pub struct Chunk<'a> {
    source: ChunkSource<'a>,
    rows: Rows,
    width: usize,
    cache: RefCell<Vec<Option<Rc<Array<'a>>>>>,
    /// For segment chunks: the segment's smallest and largest `time` (lets `date_trunc` and `extract`
    /// see when they are constant over the chunk).
    pub time_bounds: Option<(i64, i64)>,
}

impl<'a> Chunk<'a> {
    /// The rows `rows` of segment `segment`.
    pub fn from_segment(segment: &'a Segment, rows: &RoaringBitmap) -> Chunk<'a> {
        let n = segment.num_rows();
        let rows = if rows.len() as usize == n {
            Rows::All(n)
        } else {
            Rows::Selected(Rc::new(bitmap_to_vec(rows)), Rc::new(rows.clone()))
        };
        let meta = segment.meta();
        Chunk {
            source: ChunkSource::Segment(segment),
            rows,
            width: EVENT_COLUMNS.len(),
            cache: RefCell::new(vec![None; EVENT_COLUMNS.len()]),
            time_bounds: Some((meta.min_time, meta.max_time)),
        }
    }

    /// All rows of a batch.
    pub fn from_batch(batch: &'a Batch) -> Chunk<'a> {
        let width = batch.columns.len();
        Chunk {
            source: ChunkSource::Batch(batch),
            rows: Rows::All(batch.rows),
            width,
            cache: RefCell::new(vec![None; width]),
            time_bounds: None,
        }
    }

    /// A chunk of computed arrays of `len` rows (`None` for columns that were not computed).
    pub fn from_arrays(arrays: Vec<Option<Rc<Array<'a>>>>, len: usize) -> Chunk<'a> {
        let width = arrays.len();
        Chunk {
            source: ChunkSource::Arrays(Rc::new(arrays)),
            rows: Rows::All(len),
            width,
            cache: RefCell::new(vec![None; width]),
            time_bounds: None,
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of columns.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The segment, if this chunk is every row of one (no row filtered out): aggregates may then use
    /// the segment's metadata and dictionaries instead of its rows.
    pub fn full_segment(&self) -> Option<&'a Segment> {
        match (&self.source, &self.rows) {
            (ChunkSource::Segment(seg), Rows::All(_)) => Some(seg),
            _ => None,
        }
    }

    /// The dictionary of text column `c` of a whole-segment chunk (every entry occurs in some row).
    pub fn full_segment_dict(&self, c: usize) -> Result<Option<DictRef<'a>>, ExecError> {
        let Some(seg) = self.full_segment() else {
            return Ok(None);
        };
        if EVENT_COLUMNS.get(c).map(|d| d.ty) != Some(ColumnType::Text) {
            return Ok(None);
        }
        let col = seg.text_column(c)?;
        Ok(Some(DictRef::borrowed(&col.dict, true, segment_dict_id(seg, c))))
    }

    /// Column `c` over the chunk's rows.
    pub fn column(&self, c: usize) -> Result<Rc<Array<'a>>, ExecError> {
        if let Some(a) = self.cache.borrow().get(c).and_then(Clone::clone) {
            return Ok(a);
        }
        if let (ChunkSource::Arrays(arrays), Rows::All(_)) = (&self.source, &self.rows) {
            if let Some(Some(a)) = arrays.get(c) {
                return Ok(a.clone());
            }
        }
        let array = Rc::new(self.gather(c)?);
        if let Some(slot) = self.cache.borrow_mut().get_mut(c) {
            *slot = Some(array.clone());
        }
        Ok(array)
    }

    fn gather(&self, c: usize) -> Result<Array<'a>, ExecError> {
        if c >= self.width {
            return Err(ExecError::Internal(format!(
                "column {c} of a chunk of {} columns",
                self.width
            )));
        }
        match &self.source {
            ChunkSource::Segment(seg) => gather_segment(seg, c, &self.rows),
            ChunkSource::Batch(b) => Ok(select(&b.columns[c], &self.rows)),
            ChunkSource::Arrays(arrays) => match &arrays[c] {
                Some(a) => Ok(match self.rows.list() {
                    None => (**a).clone(),
                    Some(rows) => a.take(rows),
                }),
                None => Err(ExecError::Internal(format!(
                    "column {c} was not computed for this step"
                ))),
            },
        }
    }

    /// Keeps the rows where `mask` is true.
    pub fn filter(self, mask: &[bool]) -> Chunk<'a> {
        let kept: Vec<u32> = match self.rows.list() {
            None => (0..self.rows.len() as u32).filter(|&i| mask[i as usize]).collect(),
            Some(rows) => rows.iter().zip(mask).filter(|(_, &m)| m).map(|(&r, _)| r).collect(),
        };
        let positions: Vec<u32> = (0..mask.len() as u32).filter(|&i| mask[i as usize]).collect();
        // Keep already gathered columns, narrowed, so they are not gathered again.
        let cache = self
            .cache
            .borrow()
            .iter()
            .map(|a| a.as_ref().map(|a| Rc::new(a.take(&positions))))
            .collect();
        Chunk {
            source: self.source,
            rows: Rows::Some(Rc::new(kept)),
            width: self.width,
            cache: RefCell::new(cache),
            time_bounds: self.time_bounds,
        }
    }
}

fn select<'a>(a: &Array<'a>, rows: &Rows) -> Array<'a> {
    match rows.list() {
        None => a.clone(),
        Some(rows) => a.take(rows),
    }
}

/// Validity of `rows` given a segment column's NULL set.
fn validity_of(nulls: &Option<RoaringBitmap>, rows: &Rows) -> Validity {
    let nulls = nulls.as_ref().filter(|n| !n.is_empty())?;
    let mark = |list: &[u32], hits: &mut dyn Iterator<Item = u32>| {
        // `hits` ascending and all in `list`: one merge pass.
        let mut v = vec![true; list.len()];
        let mut i = 0;
        for h in hits {
            while i < list.len() && list[i] < h {
                i += 1;
            }
            if i < list.len() && list[i] == h {
                v[i] = false;
            }
        }
        v
    };
    Some(match rows {
        Rows::All(n) => {
            let mut v = vec![true; *n];
            nulls.iter().for_each(|r| {
                if let Some(slot) = v.get_mut(r as usize) {
                    *slot = false;
                }
            });
            v
        }
        Rows::Selected(list, selection) => {
            let hits = nulls & selection.as_ref();
            if hits.is_empty() {
                return None;
            }
            mark(list, &mut bitmap_to_vec(&hits).into_iter())
        }
        Rows::Some(list) => {
            let hits: Vec<u32> = list.iter().copied().filter(|&r| nulls.contains(r)).collect();
            if hits.is_empty() {
                return None;
            }
            mark(list, &mut hits.into_iter())
        }
    })
}

fn gather_vec<T: Copy>(values: &[T], rows: &Rows) -> Vec<T> {
    match rows.list() {
        None => values.to_vec(),
        Some(rows) => rows.iter().map(|&r| values[r as usize]).collect(),
    }
}

fn gather_segment<'a>(seg: &'a Segment, c: usize, rows: &Rows) -> Result<Array<'a>, ExecError> {
    Ok(match EVENT_COLUMNS[c].ty {
        ColumnType::Timestamp => {
            let col = seg.int_column(c)?;
            Array::Timestamp(gather_vec(&col.values, rows), validity_of(&col.nulls, rows))
        }
        ColumnType::Int => {
            let col = seg.int_column(c)?;
            Array::Int(gather_vec(&col.values, rows), validity_of(&col.nulls, rows))
        }
        ColumnType::Double => {
            let col = seg.double_column(c)?;
            Array::Double(gather_vec(&col.values, rows), validity_of(&col.nulls, rows))
        }
        ColumnType::Text => {
            let col = seg.text_column(c)?;
            Array::Text(TextArray::Dict {
                ids: gather_vec(&col.ids, rows),
                dict: DictRef::borrowed(&col.dict, true, segment_dict_id(seg, c)),
                valid: validity_of(&col.nulls, rows),
            })
        }
    })
}

/// The stable identity of a persisted segment's column dictionary; `None` for the in-memory buffer
/// (id 0), which changes between snapshots.
pub fn segment_dict_id(seg: &Segment, c: usize) -> Option<u64> {
    let id = seg.meta().id;
    (id != 0).then(|| id.wrapping_mul(64).wrapping_add(c as u64))
}

/// The members of a bitmap, ascending (through `fold`, which roaring implements much faster than `next`).
pub fn bitmap_to_vec(b: &RoaringBitmap) -> Vec<u32> {
    let mut out = Vec::with_capacity(b.len() as usize);
    b.iter().for_each(|r| out.push(r));
    out
}
