//! Encoding an [`EventBatch`] into the bytes of one immutable segment file.

use super::bitmap;
use super::component::{BlockEntry, SegmentComponent};
use super::encoding::{encode_dictionary, encode_doubles, encode_ints, encode_nulls};
use super::footer::{Footer, MAGIC};
use super::meta::SegmentMeta;
use crate::batch::{Column, ColumnData, EventBatch, StringVec};
use crate::error::{Result, StorageError};
use crate::schema::{col, EVENT_COLUMNS};
use roaring::RoaringBitmap;
use std::collections::HashMap;

/// Encodes `batch` as a complete segment file. Rows are first sorted by (school, class, student, time),
/// NULLs first, ties kept in batch order; the stored row order is that sorted order.
///
/// `meta.rows`, `meta.min_time` and `meta.max_time` must describe the batch (see
/// [`SegmentMeta::for_batch`]); an invalid batch or mismatching meta is `InvalidInput`.
pub fn encode_segment(batch: &EventBatch, meta: &SegmentMeta) -> Result<Vec<u8>> {
    batch.validate()?;
    meta.check_matches(batch)?;
    let sorted = batch.take(&sort_order(batch));
    let mut w = BlockWriter {
        out: MAGIC.to_vec(),
        blocks: Vec::new(),
    };
    for (c, column) in sorted.columns.iter().enumerate() {
        w.column(c, column, meta.rows)?;
    }
    let BlockWriter { mut out, blocks } = w;
    Footer {
        meta: meta.clone(),
        blocks,
    }
    .write_with_trailer(&mut out);
    Ok(out)
}

/// Row permutation sorting by (school, class, student, time) with NULLs first; stable.
fn sort_order(batch: &EventBatch) -> Vec<usize> {
    let rank = |c: usize| -> Vec<u32> {
        let column = &batch.columns[c];
        match &column.data {
            ColumnData::Text(values) => {
                let (_, ids) = dictionary_encode(values, column.validity.as_deref());
                // Shift by one so NULL (rank 0) sorts before every value.
                ids.iter()
                    .enumerate()
                    .map(|(i, &id)| if column.is_null(i) { 0 } else { id + 1 })
                    .collect()
            }
            _ => vec![0; batch.len()],
        }
    };
    let (school, class, student) = (rank(col::SCHOOL), rank(col::CLASS), rank(col::STUDENT));
    let times = batch.times();
    let mut order: Vec<usize> = (0..batch.len()).collect();
    order.sort_by_key(|&i| (school[i], class[i], student[i], times[i]));
    order
}

/// The sorted distinct non-NULL values and, per row, the value's position in them (0 for NULL rows).
fn dictionary_encode<'a>(values: &'a StringVec, validity: Option<&[bool]>) -> (Vec<&'a str>, Vec<u32>) {
    let is_valid = |i: usize| validity.is_none_or(|v| v[i]);
    let mut first_seen: HashMap<&str, u32> = HashMap::new();
    let mut ids: Vec<u32> = (0..values.len())
        .map(|i| {
            if !is_valid(i) {
                return 0;
            }
            let next = first_seen.len() as u32;
            *first_seen.entry(values.get(i)).or_insert(next)
        })
        .collect();
    let mut distinct: Vec<(&str, u32)> = first_seen.into_iter().collect();
    distinct.sort_unstable();
    let mut remap = vec![0u32; distinct.len()];
    for (sorted_id, &(_, seen_id)) in distinct.iter().enumerate() {
        remap[seen_id as usize] = sorted_id as u32;
    }
    for (i, id) in ids.iter_mut().enumerate() {
        if is_valid(i) {
            *id = remap[*id as usize];
        }
    }
    (distinct.into_iter().map(|(s, _)| s).collect(), ids)
}

struct BlockWriter {
    out: Vec<u8>,
    blocks: Vec<BlockEntry>,
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

    fn column(&mut self, c: usize, column: &Column, rows: u32) -> Result<()> {
        let def = &EVENT_COLUMNS[c];
        let validity = column.validity.as_deref();
        let is_valid = |i: usize| validity.is_none_or(|v| v[i]);
        let nulls = RoaringBitmap::from_sorted_iter((0..rows).filter(|&i| !is_valid(i as usize)))
            .map_err(|e| StorageError::Internal(format!("null rows not ascending: {e}")))?;
        if !nulls.is_empty() {
            let mut buf = Vec::new();
            encode_nulls(&nulls, rows, &mut buf);
            self.block(SegmentComponent::Nulls, c, &buf);
        }
        let mut values = Vec::new();
        match &column.data {
            ColumnData::Int(v) => encode_ints(&non_null(v, is_valid), &mut values),
            ColumnData::Double(v) => encode_doubles(&non_null(v, is_valid), &mut values),
            ColumnData::Text(v) => {
                let (dict, ids) = dictionary_encode(v, validity);
                let mut buf = Vec::new();
                encode_dictionary(&dict, &mut buf);
                self.block(SegmentComponent::Dictionary, c, &buf);
                let ids_wide: Vec<i64> = non_null(&ids, is_valid).into_iter().map(i64::from).collect();
                encode_ints(&ids_wide, &mut values);
                if def.indexed {
                    let index = encode_index(dict.len(), &ids, is_valid);
                    self.block(SegmentComponent::Index, c, &index);
                }
            }
        }
        self.block(SegmentComponent::Values, c, &values);
        Ok(())
    }
}

/// The values at the rows where `is_valid` holds, in row order.
fn non_null<T: Copy>(values: &[T], is_valid: impl Fn(usize) -> bool) -> Vec<T> {
    values
        .iter()
        .enumerate()
        .filter(|&(i, _)| is_valid(i))
        .map(|(_, &x)| x)
        .collect()
}

/// Index block: count u32, `count + 1` u32 offsets (relative to the bitmap area), then one portable
/// roaring bitmap per dictionary id listing the non-NULL rows holding that value.
fn encode_index(dict_len: usize, ids: &[u32], is_valid: impl Fn(usize) -> bool) -> Vec<u8> {
    let mut rows_of: Vec<Vec<u32>> = vec![Vec::new(); dict_len];
    for (row, &id) in ids.iter().enumerate() {
        if is_valid(row) {
            rows_of[id as usize].push(row as u32);
        }
    }
    let mut area = Vec::new();
    let mut offsets = Vec::with_capacity(dict_len + 1);
    for rows in rows_of {
        offsets.push(area.len() as u32);
        // Rows were pushed in ascending order, so this cannot fail; an empty bitmap is a safe fallback.
        let bm = RoaringBitmap::from_sorted_iter(rows).unwrap_or_default();
        area.extend_from_slice(&bitmap::serialize(&bm));
    }
    offsets.push(area.len() as u32);
    let mut out = Vec::with_capacity(4 + 4 * offsets.len() + area.len());
    out.extend_from_slice(&(dict_len as u32).to_le_bytes());
    for o in offsets {
        out.extend_from_slice(&o.to_le_bytes());
    }
    out.extend_from_slice(&area);
    out
}
