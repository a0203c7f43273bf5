//! Encoding an [`EventBatch`] into the bytes of one immutable segment file.

use super::bitmap;
use super::component::{BlockEntry, SegmentComponent};
use super::dictionary;
use super::encoding::{encode_doubles, encode_ints, encode_nulls, encode_nulls_same_as, encode_sorted_dict};
use super::footer::{Footer, MAGIC};
use super::meta::SegmentMeta;
use crate::batch::{ColumnData, EventBatch};
use crate::error::{Result, StorageError};
use crate::schema::{col, EVENT_COLUMNS};

/// Encodes `batch` as a complete segment file. Rows are first sorted by (school, class, student, time),
/// NULLs first, ties kept in batch order; the stored row order is that sorted order.
///
/// `meta.rows`, `meta.min_time` and `meta.max_time` must describe the batch (see
/// [`SegmentMeta::for_batch`]); an invalid batch or mismatching meta is `InvalidInput`.
pub fn encode_segment(batch: &EventBatch, meta: &SegmentMeta) -> Result<Vec<u8>> {
    batch.validate()?;
    meta.check_matches(batch)?;
    let rows: Vec<u32> = (0..batch.len() as u32).collect();
    encode_rows(batch, &rows, meta)
}

/// Encodes the rows `rows` of `batch` (indexes, each at most once) as a segment, like [`encode_segment`]
/// of the batch holding just those rows, without copying them out first. `meta` must describe them.
pub fn encode_segment_rows(batch: &EventBatch, rows: &[u32], meta: &SegmentMeta) -> Result<Vec<u8>> {
    batch.validate()?;
    if rows.iter().any(|&r| r as usize >= batch.len()) {
        return Err(StorageError::InvalidInput("row index past the end of the batch".into()));
    }
    let times = batch.times();
    let picked = || rows.iter().map(|&r| times[r as usize]);
    let expected = SegmentMeta {
        rows: rows.len() as u32,
        min_time: picked().min().unwrap_or(0),
        max_time: picked().max().unwrap_or(0),
        ..meta.clone()
    };
    if rows.len() > u32::MAX as usize || *meta != expected {
        return Err(StorageError::InvalidInput(format!(
            "segment meta {meta:?} does not describe the {} rows given",
            rows.len()
        )));
    }
    encode_rows(batch, rows, meta)
}

fn encode_rows(batch: &EventBatch, rows: &[u32], meta: &SegmentMeta) -> Result<Vec<u8>> {
    // Dictionary-encode every text column once, on the rows in batch order; sorting then permutes ids.
    let mut dicts: Vec<Option<dictionary::Encoded<'_>>> = Vec::with_capacity(batch.columns.len());
    for column in &batch.columns {
        dicts.push(match &column.data {
            ColumnData::Text(values) => Some(dictionary::encode(values, rows, |r| !column.is_null(r))?),
            _ => None,
        });
    }
    let order = sort_order(batch, rows, &dicts);
    let mut w = BlockWriter {
        out: MAGIC.to_vec(),
        blocks: Vec::new(),
        null_sets: Vec::new(),
    };
    // The batch rows in stored order.
    let stored: Vec<u32> = order.iter().map(|&p| rows[p as usize]).collect();
    for (c, (column, dict)) in batch.columns.iter().zip(&dicts).enumerate() {
        let valid: Option<Vec<bool>> = column
            .validity
            .as_ref()
            .map(|v| stored.iter().map(|&r| v[r as usize]).collect());
        w.nulls(c, valid.as_deref());
        let is_valid = |i: usize| valid.as_ref().is_none_or(|v| v[i]);
        let mut values = Vec::new();
        match (&column.data, dict) {
            (ColumnData::Int(v), _) => encode_ints(&present(&stored, is_valid, |r| v[r]), &mut values),
            (ColumnData::Double(v), _) => encode_doubles(&present(&stored, is_valid, |r| v[r]), &mut values),
            (ColumnData::Text(_), Some(enc)) => {
                let ids: Vec<u32> = order.iter().map(|&p| enc.ids[p as usize]).collect();
                let mut buf = Vec::new();
                encode_sorted_dict(&enc.dict, &mut buf);
                w.block(SegmentComponent::Dictionary, c, &buf);
                let wide: Vec<i64> = (0..ids.len())
                    .filter(|&i| is_valid(i))
                    .map(|i| i64::from(ids[i]))
                    .collect();
                encode_ints(&wide, &mut values);
                if EVENT_COLUMNS[c].indexed {
                    let index = encode_index(enc.dict.len(), &ids, is_valid);
                    w.block(SegmentComponent::Index, c, &index);
                }
            }
            (ColumnData::Text(_), None) => {
                return Err(StorageError::Internal("text column without a dictionary".into()));
            }
        }
        w.block(SegmentComponent::Values, c, &values);
    }
    let BlockWriter { mut out, blocks, .. } = w;
    Footer {
        version: super::FORMAT_VERSION,
        meta: meta.clone(),
        blocks,
    }
    .write_with_trailer(&mut out);
    Ok(out)
}

/// Positions into `rows` in stored order: sorted by (school, class, student, time) with NULLs first,
/// ties in batch order. Dictionary ids compare like the strings, so the sort uses them.
fn sort_order(batch: &EventBatch, rows: &[u32], dicts: &[Option<dictionary::Encoded<'_>>]) -> Vec<u32> {
    let rank = |c: usize| -> Vec<u32> {
        let column = &batch.columns[c];
        match &dicts[c] {
            // Shift by one so NULL (rank 0) sorts before every value.
            Some(enc) => rows
                .iter()
                .zip(&enc.ids)
                .map(|(&r, &id)| if column.is_null(r as usize) { 0 } else { id + 1 })
                .collect(),
            None => vec![0; rows.len()],
        }
    };
    let (school, class, student) = (rank(col::SCHOOL), rank(col::CLASS), rank(col::STUDENT));
    let times = batch.times();
    let widest = school.iter().chain(&class).chain(&student).copied().max().unwrap_or(0);
    if widest < 1 << 21 {
        // Pack the three ranks into one word: one cheap comparison instead of three.
        let mut keyed: Vec<(u64, i64, u32)> = (0..rows.len())
            .map(|p| {
                let group = u64::from(school[p]) << 42 | u64::from(class[p]) << 21 | u64::from(student[p]);
                (group, times[rows[p] as usize], p as u32)
            })
            .collect();
        keyed.sort_unstable();
        keyed.into_iter().map(|(_, _, p)| p).collect()
    } else {
        let mut order: Vec<u32> = (0..rows.len() as u32).collect();
        order.sort_by_key(|&p| {
            let p = p as usize;
            (school[p], class[p], student[p], times[rows[p] as usize])
        });
        order
    }
}

struct BlockWriter {
    out: Vec<u8>,
    blocks: Vec<BlockEntry>,
    /// The null blocks written so far as bitmaps, by column.
    null_sets: Vec<(usize, Vec<u8>)>,
}

impl BlockWriter {
    fn block(&mut self, kind: SegmentComponent, column: usize, bytes: &[u8]) {
        self.blocks.push(BlockEntry {
            kind,
            column: column as u8,
            offset: self.out.len() as u64,
            len: bytes.len() as u64,
            crc: crc32fast::hash(bytes),
        });
        self.out.extend_from_slice(bytes);
    }

    /// The column's Nulls block, if it has NULLs (`valid` in stored order): a reference to the first
    /// earlier column with the same NULL rows (their encodings are then equal), else the set itself.
    fn nulls(&mut self, c: usize, valid: Option<&[bool]>) {
        let Some(valid) = valid else { return };
        if valid.iter().all(|&v| v) {
            return;
        }
        let mut buf = Vec::new();
        encode_nulls(valid, &mut buf);
        match self.null_sets.iter().find(|(_, set)| *set == buf) {
            Some(&(same, _)) => {
                let mut reference = Vec::new();
                encode_nulls_same_as(same, &mut reference);
                self.block(SegmentComponent::Nulls, c, &reference);
            }
            None => {
                self.block(SegmentComponent::Nulls, c, &buf);
                self.null_sets.push((c, buf));
            }
        }
    }
}

/// `value(row)` for the stored rows that are not NULL, in stored order.
fn present<T>(stored: &[u32], is_valid: impl Fn(usize) -> bool, value: impl Fn(usize) -> T) -> Vec<T> {
    stored
        .iter()
        .enumerate()
        .filter(|&(i, _)| is_valid(i))
        .map(|(_, &r)| value(r as usize))
        .collect()
}

/// Index block (format version 3): count u32, the byte lengths of the `count` entries as packed integers
/// (a few bits each, where version 2's offsets into the entry area took ~18), then one entry per
/// dictionary id listing the non-NULL rows holding that value,
/// as a run list or a portable roaring bitmap, whichever is smaller. Rows are grouped by id with a counting
/// sort, so each entry is serialized straight from an ascending slice.
fn encode_index(dict_len: usize, ids: &[u32], is_valid: impl Fn(usize) -> bool) -> Vec<u8> {
    let mut starts = vec![0u32; dict_len + 1];
    for (row, &id) in ids.iter().enumerate() {
        if is_valid(row) {
            starts[id as usize + 1] += 1;
        }
    }
    for i in 0..dict_len {
        starts[i + 1] += starts[i];
    }
    let mut fill = starts.clone();
    let mut grouped = vec![0u32; starts[dict_len] as usize];
    for (row, &id) in ids.iter().enumerate() {
        if is_valid(row) {
            grouped[fill[id as usize] as usize] = row as u32;
            fill[id as usize] += 1;
        }
    }
    let mut area = Vec::new();
    let mut lengths = Vec::with_capacity(dict_len);
    for w in starts.windows(2) {
        let start = area.len();
        bitmap::serialize_smallest(&grouped[w[0] as usize..w[1] as usize], &mut area);
        lengths.push((area.len() - start) as i64);
    }
    let mut out = Vec::with_capacity(4 + 2 * lengths.len() + area.len());
    out.extend_from_slice(&(dict_len as u32).to_le_bytes());
    encode_ints(&lengths, &mut out);
    out.extend_from_slice(&area);
    out
}
