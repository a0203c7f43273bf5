//! Encoding an [`EventBatch`] into the bytes of one immutable segment file.

use super::bitmap;
use super::component::{BlockEntry, SegmentComponent};
use super::dictionary::{self, SortedDict};
use super::encoding::{
    encode_doubles, encode_ints, encode_nulls, encode_nulls_same_as, encode_shared_dict, encode_sorted_dict,
};
use super::footer::{has_row_order_values, has_values_block, Footer, FORMAT_VERSION, MAGIC};
use super::meta::SegmentMeta;
use super::row_values::RowValues;
use crate::parallel::{join, map_parallel};

use crate::batch::{ColumnData, EventBatch};
use crate::error::{Result, StorageError};
use crate::schema::{col, EVENT_COLUMNS};
use crate::shared_dictionary::SharedDictionaries;

/// Encodes `batch` as a complete segment file. Rows are first sorted by (school, class, student, time),
/// NULLs first, ties kept in batch order; the stored row order is that sorted order.
///
/// `meta.rows`, `meta.min_time` and `meta.max_time` must describe the batch (see
/// [`SegmentMeta::for_batch`]); an invalid batch or mismatching meta is `InvalidInput`.
pub fn encode_segment(batch: &EventBatch, meta: &SegmentMeta) -> Result<Vec<u8>> {
    batch.validate()?;
    meta.check_matches(batch)?;
    let rows: Vec<u32> = (0..batch.len() as u32).collect();
    encode_rows(batch, &rows, meta, FORMAT_VERSION, None)
}

/// [`encode_segment`] as the format version 3 writer did it: the same blocks plus a Values block for each
/// indexed Text column. For tests of reading older segments.
#[cfg(test)]
pub(super) fn encode_segment_v3(batch: &EventBatch, meta: &SegmentMeta) -> Result<Vec<u8>> {
    batch.validate()?;
    meta.check_matches(batch)?;
    let rows: Vec<u32> = (0..batch.len() as u32).collect();
    encode_rows(batch, &rows, meta, 3, None)
}

/// Encodes the rows `rows` of `batch` (indexes, each at most once) as a segment, like [`encode_segment`]
/// of the batch holding just those rows, without copying them out first. `meta` must describe them.
///
/// With `shared`, the dictionaries of the shared-dictionary columns (when their values are UUIDs of one
/// case) name ids in those dictionaries, adding the values not yet there: the caller must
/// [`SharedDictionaries::persist`] them before the segment is stored, and open it with them.
pub fn encode_segment_rows(
    batch: &EventBatch,
    rows: &[u32],
    meta: &SegmentMeta,
    shared: Option<&SharedDictionaries>,
) -> Result<Vec<u8>> {
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
    encode_rows(batch, rows, meta, FORMAT_VERSION, shared)
}

/// The columns the stored row order sorts by, most significant first.
const ORDER_KEYS: [usize; 3] = [col::SCHOOL, col::CLASS, col::STUDENT];

/// Segments of at least this many rows encode their columns on several threads.
const PARALLEL_ROWS: usize = 1 << 16;

/// Encodes `rows` of `batch` in format `version` (the current one, or 3 in tests), naming values of
/// `shared` where the column has a shared dictionary there.
fn encode_rows(
    batch: &EventBatch,
    rows: &[u32],
    meta: &SegmentMeta,
    version: u32,
    shared: Option<&SharedDictionaries>,
) -> Result<Vec<u8>> {
    let parallel = rows.len() >= PARALLEL_ROWS;
    // Dictionary-encode every text column once, on the rows in batch order; sorting then permutes ids.
    let dictionary_of = |c: usize| -> Option<Result<dictionary::Encoded<'_>>> {
        let column = &batch.columns[c];
        if has_row_order_values(&EVENT_COLUMNS[c], version) {
            return None;
        }
        match &column.data {
            ColumnData::Text(values) => Some(dictionary::encode(values, rows, |r| !column.is_null(r))),
            ColumnData::Uuid(values) => Some(Ok(dictionary::encode_uuid_column(values, rows, |r| !column.is_null(r)))),
            _ => None,
        }
    };
    // The stored order needs only the school, class and student dictionaries: they are built first,
    // then the order is computed on a thread of its own while the other columns' dictionaries are
    // built, so that its single-threaded sort overlaps them.
    let order_keys: Vec<Option<dictionary::Encoded<'_>>> =
        map_parallel(ORDER_KEYS.len(), parallel, |k| dictionary_of(ORDER_KEYS[k]))
            .into_iter()
            .map(Option::transpose)
            .collect::<Result<_>>()?;
    let rank = |k: usize| -> Vec<u32> {
        let column = &batch.columns[ORDER_KEYS[k]];
        match &order_keys[k] {
            Some(enc) => rows
                .iter()
                .zip(&enc.ids)
                .map(|(&r, &id)| if column.is_null(r as usize) { 0 } else { id + 1 })
                .collect(),
            None => vec![0; rows.len()],
        }
    };
    let order_of_rows = || {
        let times: Vec<i64> = rows.iter().map(|&r| batch.times()[r as usize]).collect();
        stored_order([&rank(0), &rank(1), &rank(2)], &times)
    };
    let other_dictionary = |c: usize| match ORDER_KEYS.contains(&c) {
        true => None,
        false => dictionary_of(c),
    };
    let (order, others) = join(parallel, order_of_rows, || {
        (0..batch.columns.len()).map(other_dictionary).collect::<Vec<_>>()
    });
    let mut dicts: Vec<Option<dictionary::Encoded<'_>>> =
        others.into_iter().map(Option::transpose).collect::<Result<_>>()?;
    for (k, encoded) in order_keys.into_iter().enumerate() {
        dicts[ORDER_KEYS[k]] = encoded;
    }
    // The batch rows in stored order.
    let stored: Vec<u32> = order.iter().map(|&p| rows[p as usize]).collect();
    // Each distinct validity vector in stored order, with its Nulls block, computed once: columns NULL on
    // the same rows of the batch (the reading columns; an assignment's id, due date and action) share it.
    let leaders: Vec<Option<usize>> = batch
        .columns
        .iter()
        .enumerate()
        .map(|(c, column)| {
            let v = column.validity.as_ref()?;
            Some(
                (0..c)
                    .find(|&e| batch.columns[e].validity.as_ref() == Some(v))
                    .unwrap_or(c),
            )
        })
        .collect();
    let null_sets = map_parallel(batch.columns.len(), parallel, |c| {
        let valid = batch.columns[c].validity.as_ref().filter(|_| leaders[c] == Some(c))?;
        let in_order: Vec<bool> = stored.iter().map(|&r| valid[r as usize]).collect();
        Some(StoredNulls::of(in_order))
    });
    let nulls_of = |c: usize| {
        leaders[c]
            .and_then(|l| null_sets[l].as_ref())
            .filter(|n| n.encoded.is_some())
    };
    // Each column in stored order, encoded apart (in parallel for large segments), then written in
    // schema order.
    let encoded = map_parallel(batch.columns.len(), parallel, |c| -> Result<_> {
        let column = &batch.columns[c];
        let nulls = nulls_of(c);
        let valid = nulls.map(|n| n.valid.as_slice());
        let mut blocks = match (&column.data, &dicts[c]) {
            (ColumnData::Int(v), _) => {
                values_only(|out| encode_ints(&gather_present(&stored, valid, |row| v[row]), out))
            }
            (ColumnData::Double(v), _) => {
                values_only(|out| encode_doubles(&gather_present(&stored, valid, |row| v[row]), out))
            }
            (ColumnData::Uuid(v), None) if has_row_order_values(&EVENT_COLUMNS[c], version) => row_order_blocks(
                &RowValues::from_uuids(gather_present(&stored, valid, |row| v.values[row]), v.upper),
            ),
            (ColumnData::Text(v), None) if has_row_order_values(&EVENT_COLUMNS[c], version) => {
                row_order_blocks(&RowValues::from_strs(gather_present(&stored, valid, |row| v.get(row))))
            }
            (ColumnData::Text(_) | ColumnData::Uuid(_), Some(enc)) => {
                let present_ids = gather_present(&order, valid, |p| i64::from(enc.ids[p]));
                encode_text_blocks(c, &enc.dict, &present_ids, valid, version, shared)?
            }
            (ColumnData::Text(_) | ColumnData::Uuid(_), None) => {
                return Err(StorageError::Internal("text column without a dictionary".into()));
            }
        };
        blocks.nulls = nulls.and_then(|n| n.encoded.clone());
        Ok(blocks)
    });
    let mut w = SegmentBuilder::new(version);
    for (c, column) in encoded.into_iter().enumerate() {
        w.push_column(c, column?);
    }
    Ok(w.finish(meta))
}

/// A column's NULL rows in stored order: the validity and its encoded Nulls block (`None` when no row
/// of the segment is NULL, so the column has no block).
struct StoredNulls {
    valid: Vec<bool>,
    encoded: Option<Vec<u8>>,
}

impl StoredNulls {
    fn of(valid: Vec<bool>) -> StoredNulls {
        let encoded = encoded_nulls(&valid);
        StoredNulls { valid, encoded }
    }
}

/// The Nulls block of a column whose non-NULL rows `valid` marks, if some row is NULL.
fn encoded_nulls(valid: &[bool]) -> Option<Vec<u8>> {
    valid.contains(&false).then(|| {
        let mut buf = Vec::new();
        encode_nulls(valid, &mut buf);
        buf
    })
}

/// `value(p)` for each `p` of `positions` whose entry in `valid` (same length as `positions`) is true,
/// in order: the non-NULL values of a column in stored order, read in one pass.
fn gather_present<U>(positions: &[u32], valid: Option<&[bool]>, value: impl Fn(usize) -> U) -> Vec<U> {
    match valid {
        None => positions.iter().map(|&p| value(p as usize)).collect(),
        Some(valid) => {
            let mut out = Vec::with_capacity(valid.iter().filter(|&&v| v).count());
            for (&p, &ok) in positions.iter().zip(valid) {
                if ok {
                    out.push(value(p as usize));
                }
            }
            out
        }
    }
}

/// Blocks of a column whose values are kept in row order: only a Dictionary block holding them.
fn row_order_blocks(values: &RowValues<'_>) -> ColumnBlocks {
    let mut dictionary = Vec::new();
    values.encode(&mut dictionary);
    ColumnBlocks {
        nulls: None,
        dictionary: Some(dictionary),
        index: None,
        values: None,
    }
}

/// Blocks of a column that has only a Values block, written by `encode`.
fn values_only(encode: impl FnOnce(&mut Vec<u8>)) -> ColumnBlocks {
    let mut values = Vec::new();
    encode(&mut values);
    ColumnBlocks {
        nulls: None,
        dictionary: None,
        index: None,
        values: Some(values),
    }
}

/// The stored row order of a segment's rows: positions sorted by (school, class, student, time), ties by
/// position. `ranks` are the school, class and student ranks of each position (0 for NULL, else the
/// sorted dictionary id plus one, so they compare like the strings with NULLs first).
///
/// Ranks are dense, so the positions are grouped by stable counting sorts, least significant key first:
/// by student, then by school and class together (one key, `school × classes + class`, when there are
/// few enough combinations to count; else by class, then by school). Each group of equal ranks is then
/// sorted by time with a stable sort, which is linear on a group already in time order (a time-ordered
/// stream, or the sorted runs of segments being merged).
pub(super) fn stored_order(ranks: [&[u32]; 3], times: &[i64]) -> Vec<u32> {
    let [school, class, student] = ranks;
    let mut order: Vec<u32> = (0..times.len() as u32).collect();
    let mut scratch = vec![0u32; order.len()];
    counting_sort(&mut order, &mut scratch, student);
    let classes = class.iter().copied().max().map_or(1, |c| c as usize + 1);
    let schools = school.iter().copied().max().map_or(1, |s| s as usize + 1);
    let combined: Option<Vec<u32>> = (schools * classes <= order.len().max(1 << 16)).then(|| {
        school
            .iter()
            .zip(class)
            .map(|(&s, &c)| s * classes as u32 + c)
            .collect()
    });
    match &combined {
        Some(school_and_class) => counting_sort(&mut order, &mut scratch, school_and_class),
        None => {
            counting_sort(&mut order, &mut scratch, class);
            counting_sort(&mut order, &mut scratch, school);
        }
    }
    let outer = combined.as_deref().unwrap_or(school);
    let same_group = |a: u32, b: u32| {
        let (a, b) = (a as usize, b as usize);
        outer[a] == outer[b] && student[a] == student[b] && (combined.is_some() || class[a] == class[b])
    };
    let mut start = 0;
    while start < order.len() {
        let first = order[start];
        let end = start + order[start..].iter().take_while(|&&p| same_group(first, p)).count();
        if end - start > 1 {
            order[start..end].sort_by_key(|&p| times[p as usize]);
        }
        start = end;
    }
    order
}

/// Reorders `order` stably by `key[p]` (small non-negative integers), using `scratch` (same length).
fn counting_sort(order: &mut Vec<u32>, scratch: &mut Vec<u32>, key: &[u32]) {
    let top = order.iter().map(|&p| key[p as usize]).max().unwrap_or(0) as usize;
    if top == 0 {
        return;
    }
    let mut starts = vec![0u32; top + 2];
    for &p in order.iter() {
        starts[key[p as usize] as usize + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    for &p in order.iter() {
        let slot = &mut starts[key[p as usize] as usize];
        scratch[*slot as usize] = p;
        *slot += 1;
    }
    std::mem::swap(order, scratch);
}

/// One column's data in stored row order, ready to be written.
pub(super) enum StoredColumn<'a> {
    /// Timestamp or Int values, one per row (NULL rows hold anything).
    Int(Vec<i64>),
    /// Double values, one per row (NULL rows hold anything).
    Double(Vec<f64>),
    /// Text: the sorted dictionary and one id per row (NULL rows hold anything below the size).
    Text {
        /// The column's sorted distinct values.
        dict: SortedDict<'a>,
        /// One dictionary id per row.
        ids: Vec<u32>,
    },
    /// Text kept in row order (`signal_id`): the values of the non-NULL rows, in stored order.
    InRowOrder(RowValues<'a>),
}

/// A column's blocks, encoded on their own so that columns can be encoded on several threads and
/// written in schema order afterwards.
struct ColumnBlocks {
    /// The encoded NULL set, if some row is NULL (written as a reference when an earlier column's is equal).
    nulls: Option<Vec<u8>>,
    dictionary: Option<Vec<u8>>,
    index: Option<Vec<u8>>,
    /// `None` for an indexed Text column from format version 4 on.
    values: Option<Vec<u8>>,
}

/// Encodes column `c`'s blocks in format `version`; `valid` marks the non-NULL rows (`None`: no NULLs), in
/// stored order like `data`.
fn encode_column(
    c: usize,
    valid: Option<&[bool]>,
    data: &StoredColumn<'_>,
    version: u32,
    shared: Option<&SharedDictionaries>,
) -> Result<ColumnBlocks> {
    let is_valid = |i: usize| valid.is_none_or(|v| v[i]);
    let mut blocks = match data {
        StoredColumn::Text { .. } if has_row_order_values(&EVENT_COLUMNS[c], version) => {
            return Err(StorageError::Internal(format!(
                "column {} is kept in row order, not as a dictionary",
                EVENT_COLUMNS[c].name
            )));
        }
        StoredColumn::InRowOrder(values) => row_order_blocks(values),
        StoredColumn::Int(v) => values_only(|out| encode_ints(&present(v, is_valid), out)),
        StoredColumn::Double(v) => values_only(|out| encode_doubles(&present(v, is_valid), out)),
        StoredColumn::Text { dict, ids } => {
            let present_ids: Vec<i64> = (0..ids.len())
                .filter(|&i| is_valid(i))
                .map(|i| i64::from(ids[i]))
                .collect();
            encode_text_blocks(c, dict, &present_ids, valid, version, shared)?
        }
    };
    blocks.nulls = valid.and_then(encoded_nulls);
    Ok(blocks)
}

/// The Dictionary, Index (indexed columns) and Values (unindexed columns, or any before format version 4)
/// blocks of text column `c` in format `version`: its sorted dictionary and the ids of its non-NULL rows
/// in stored order; `valid` marks those rows (`None`: no NULLs). The dictionary refers to `shared` when
/// the column has a shared dictionary there and holds UUIDs.
fn encode_text_blocks(
    c: usize,
    dict: &SortedDict<'_>,
    present_ids: &[i64],
    valid: Option<&[bool]>,
    version: u32,
    shared: Option<&SharedDictionaries>,
) -> Result<ColumnBlocks> {
    let mut dictionary = Vec::new();
    match (dict, shared.and_then(|s| s.column(c))) {
        (SortedDict::Uuid { values, upper }, Some(shared)) => {
            encode_shared_dict(&shared.ids_of(values)?, *upper, &mut dictionary)
        }
        _ => encode_sorted_dict(dict, &mut dictionary),
    }
    let values = has_values_block(&EVENT_COLUMNS[c], version).then(|| {
        let mut values = Vec::new();
        encode_ints(present_ids, &mut values);
        values
    });
    Ok(ColumnBlocks {
        nulls: None,
        dictionary: Some(dictionary),
        index: EVENT_COLUMNS[c]
            .indexed
            .then(|| encode_index(dict.len(), present_ids, valid)),
        values,
    })
}

/// Writes a segment column by column, in schema order, then the footer.
pub(super) struct SegmentBuilder {
    w: BlockWriter,
    version: u32,
}

impl SegmentBuilder {
    /// A segment of format `version` (the current one, or 3 in tests) holding only the header magic so far.
    pub(super) fn new(version: u32) -> SegmentBuilder {
        SegmentBuilder {
            version,
            w: BlockWriter {
                out: MAGIC.to_vec(),
                blocks: Vec::new(),
                null_sets: Vec::new(),
            },
        }
    }

    /// Writes column `c`'s blocks (Nulls?, Dictionary?, Index?, Values?); `valid` marks the non-NULL rows
    /// (`None`: no NULLs), in stored order like `data`.
    pub(super) fn column(
        &mut self,
        c: usize,
        valid: Option<&[bool]>,
        data: &StoredColumn<'_>,
        shared: Option<&SharedDictionaries>,
    ) -> Result<()> {
        let blocks = encode_column(c, valid, data, self.version, shared)?;
        self.push_column(c, blocks);
        Ok(())
    }

    /// Writes column `c`'s NULL set (which may refer to an earlier column's, so columns go in schema
    /// order) and its other blocks.
    fn push_column(&mut self, c: usize, blocks: ColumnBlocks) {
        let w = &mut self.w;
        if let Some(nulls) = &blocks.nulls {
            w.nulls(c, nulls);
        }
        if let Some(dictionary) = &blocks.dictionary {
            w.block(SegmentComponent::Dictionary, c, dictionary);
        }
        if let Some(index) = &blocks.index {
            w.block(SegmentComponent::Index, c, index);
        }
        if let Some(values) = &blocks.values {
            w.block(SegmentComponent::Values, c, values);
        }
    }

    /// Appends the footer (block directory and `meta`) and trailer; the complete file.
    pub(super) fn finish(self, meta: &SegmentMeta) -> Vec<u8> {
        let BlockWriter { mut out, blocks, .. } = self.w;
        Footer {
            version: self.version,
            meta: meta.clone(),
            blocks,
        }
        .write_with_trailer(&mut out);
        out
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

    /// The column's Nulls block, given its encoded NULL set: a reference to the first earlier column with
    /// the same NULL rows (their encodings are then equal), else the set itself.
    fn nulls(&mut self, c: usize, buf: &[u8]) {
        match self.null_sets.iter().find(|(_, set)| set == buf) {
            Some(&(same, _)) => {
                let mut reference = Vec::new();
                encode_nulls_same_as(same, &mut reference);
                self.block(SegmentComponent::Nulls, c, &reference);
            }
            None => {
                self.block(SegmentComponent::Nulls, c, buf);
                self.null_sets.push((c, buf.to_vec()));
            }
        }
    }
}

/// The values of the rows that are not NULL, in stored order.
fn present<T: Copy>(values: &[T], is_valid: impl Fn(usize) -> bool) -> Vec<T> {
    values
        .iter()
        .enumerate()
        .filter(|&(i, _)| is_valid(i))
        .map(|(_, &v)| v)
        .collect()
}

/// Index block (format version 3): count u32, the byte lengths of the `count` entries as packed integers
/// (a few bits each, where version 2's offsets into the entry area took ~18), then one entry per
/// dictionary id listing the non-NULL rows holding that value,
/// as a run list or a portable roaring bitmap, whichever is smaller. Rows are grouped by id with a counting
/// sort, so each entry is serialized straight from an ascending slice. From version 4 on this block is
/// also the column's values: the reader rebuilds each row's id from it.
fn encode_index(dict_len: usize, present_ids: &[i64], valid: Option<&[bool]>) -> Vec<u8> {
    let mut starts = vec![0u32; dict_len + 1];
    for &id in present_ids {
        starts[id as usize + 1] += 1;
    }
    for i in 0..dict_len {
        starts[i + 1] += starts[i];
    }
    let mut fill = starts.clone();
    let mut grouped = vec![0u32; present_ids.len()];
    let mut place = |row: usize, id: i64| {
        grouped[fill[id as usize] as usize] = row as u32;
        fill[id as usize] += 1;
    };
    // The stored positions of the non-NULL rows, one per entry of `present_ids`.
    match valid {
        None => present_ids.iter().enumerate().for_each(|(row, &id)| place(row, id)),
        Some(v) => {
            let rows = v.iter().enumerate().filter(|&(_, &ok)| ok).map(|(row, _)| row);
            rows.zip(present_ids).for_each(|(row, &id)| place(row, id));
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

#[cfg(test)]
mod tests {
    use super::stored_order;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn stored_order_is_the_sort_by_ranks_then_time_then_position(
            // Few schools and classes (sorted as one key), and many (sorted one after the other).
            rows in proptest::collection::vec((0u32..4, 0u32..5, 0u32..40, 0i64..6), 0..300)
                .prop_union(proptest::collection::vec((0u32..3000, 0u32..3000, 0u32..4, 0i64..6), 0..300))
        ) {
            let column = |f: fn(&(u32, u32, u32, i64)) -> u32| rows.iter().map(f).collect::<Vec<u32>>();
            let (school, class, student) = (column(|r| r.0), column(|r| r.1), column(|r| r.2));
            let times: Vec<i64> = rows.iter().map(|r| r.3).collect();
            let mut expected: Vec<u32> = (0..rows.len() as u32).collect();
            expected.sort_by_key(|&p| {
                let (s, c, st, t) = rows[p as usize];
                (s, c, st, t, p)
            });
            prop_assert_eq!(stored_order([&school, &class, &student], &times), expected);
        }
    }
}
