//! [`Segment`]: an opened segment file whose blocks are checksummed and decoded lazily, once.

use super::column::{DoubleColumn, IntColumn, TextColumn};
use super::component::{BlockEntry, SegmentComponent};
use super::dictionary::SortedDict;
use super::encoding::{
    decode_doubles, decode_ints, decode_nulls, decode_sorted_dict, scatter, ByteReader, DictionaryIndex, Malformed,
    NullSet,
};
use super::footer::{has_row_order_values, has_values_block, Footer};
use super::meta::SegmentMeta;
use super::row_values::RowValues;
use super::{bitmap, writer};
use crate::batch::{Column, ColumnData, EventBatch, StringVec, UuidText};
use crate::directory::FileBytes;
use crate::error::{Result, StorageError};
use crate::schema::{ColumnType, EVENT_COLUMNS};
use crate::shared_dictionary::{SharedDictionaries, SharedDictionary};
use roaring::RoaringBitmap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// An immutable, opened segment. Opening checks the trailer, footer checksum, format version and
/// block directory; each column's blocks are checksummed and decoded on first access and then cached.
/// Any damage surfaces as [`StorageError::Corruption`] naming the file and byte offset, never as a
/// wrong value or a panic.
#[derive(Debug)]
pub struct Segment {
    bytes: FileBytes,
    file: PathBuf,
    version: u32,
    meta: SegmentMeta,
    entries: Vec<BlockEntry>,
    blocks: Vec<ColumnBlocks>,
    columns: Vec<OnceLock<Decoded>>,
    indexes: Vec<OnceLock<IndexOffsets>>,
    dictionaries: Vec<OnceLock<DictionaryIndex>>,
    /// The store's shared dictionaries, which the dictionary blocks of shared-dictionary columns name.
    shared: Option<Arc<SharedDictionaries>>,
}

#[derive(Debug, Default, Clone, Copy)]
struct ColumnBlocks {
    values: Option<BlockEntry>,
    dictionary: Option<BlockEntry>,
    nulls: Option<BlockEntry>,
    index: Option<BlockEntry>,
}

/// A column decoded for merging: like the cached decoded form, but a text column keeps its dictionary
/// as stored (UUIDs as integers, plain strings borrowed from the file), or its values in row order.
#[derive(Debug)]
pub(super) enum RawColumn<'a> {
    /// A Timestamp or Int column.
    Int(IntColumn),
    /// A Double column.
    Double(DoubleColumn),
    /// A Text column kept in row order (`signal_id`): its non-NULL values in stored order, unsorted.
    InRowOrder {
        /// The values of the non-NULL rows.
        values: RowValues<'a>,
        /// NULL rows, if any.
        nulls: Option<RoaringBitmap>,
    },
    /// A Text column.
    Text {
        /// The sorted dictionary.
        dict: SortedDict<'a>,
        /// One id per row (0 at NULL rows).
        ids: Vec<u32>,
        /// NULL rows, if any.
        nulls: Option<RoaringBitmap>,
    },
}

#[derive(Debug)]
enum Decoded {
    Int(IntColumn),
    Double(DoubleColumn),
    Text(TextColumn),
}

/// A checksummed index block: where each dictionary id's bitmap starts (absolute file offsets).
#[derive(Debug)]
struct IndexOffsets {
    starts: Vec<usize>,
}

impl Segment {
    /// Opens the segment held in `bytes`; `file` names it in errors. A segment whose dictionaries refer to
    /// a store's shared dictionaries must be opened with them ([`Segment::open_with_dictionaries`]);
    /// opened without, reading such a column is a `Corruption` error saying so.
    pub fn open(bytes: FileBytes, file: impl Into<PathBuf>) -> Result<Segment> {
        Segment::open_shared(bytes, file.into(), None)
    }

    /// Opens a segment of a store whose shared dictionaries are `shared` (see [`Segment::open`]).
    pub fn open_with_dictionaries(
        bytes: FileBytes,
        file: impl Into<PathBuf>,
        shared: Arc<SharedDictionaries>,
    ) -> Result<Segment> {
        Segment::open_shared(bytes, file.into(), Some(shared))
    }

    fn open_shared(bytes: FileBytes, file: PathBuf, shared: Option<Arc<SharedDictionaries>>) -> Result<Segment> {
        let footer = Footer::read(&bytes).map_err(|m| StorageError::corruption(&file, m.at as u64, m.detail))?;
        let mut blocks = vec![ColumnBlocks::default(); EVENT_COLUMNS.len()];
        for entry in &footer.blocks {
            let bad = |detail: String| StorageError::corruption(&file, entry.offset, detail);
            let def = EVENT_COLUMNS
                .get(entry.column as usize)
                .ok_or_else(|| bad(format!("block {entry:?}: no such column")))?;
            let slots = &mut blocks[entry.column as usize];
            let slot = match entry.kind {
                SegmentComponent::Values => &mut slots.values,
                SegmentComponent::Dictionary if def.ty == ColumnType::Text => &mut slots.dictionary,
                SegmentComponent::Nulls if def.nullable => &mut slots.nulls,
                SegmentComponent::Index if def.indexed => &mut slots.index,
                kind => return Err(bad(format!("column {} cannot have a {kind:?} block", def.name))),
            };
            if slot.replace(*entry).is_some() {
                return Err(bad(format!("duplicate {:?} block for column {}", entry.kind, def.name)));
            }
        }
        for (def, b) in EVENT_COLUMNS.iter().zip(&blocks) {
            let values = has_values_block(def, footer.version);
            let missing = (values && b.values.is_none())
                || (def.ty == ColumnType::Text && b.dictionary.is_none())
                || (def.indexed && b.index.is_none());
            if missing {
                let at = (bytes.len() - super::footer::TRAILER_LEN) as u64;
                return Err(StorageError::corruption(
                    &file,
                    at,
                    format!("column {} is missing blocks", def.name),
                ));
            }
            if let Some(extra) = b.values.filter(|_| !values) {
                return Err(StorageError::corruption(
                    &file,
                    extra.offset,
                    format!(
                        "column {} has a Values block, which format version {} does not write for it",
                        def.name, footer.version
                    ),
                ));
            }
        }
        let n = EVENT_COLUMNS.len();
        Ok(Segment {
            bytes,
            file,
            version: footer.version,
            meta: footer.meta,
            entries: footer.blocks,
            blocks,
            columns: (0..n).map(|_| OnceLock::new()).collect(),
            indexes: (0..n).map(|_| OnceLock::new()).collect(),
            dictionaries: (0..n).map(|_| OnceLock::new()).collect(),
            shared,
        })
    }

    /// Encodes `batch` (see [`writer::encode_segment`]) into memory and opens it; used for in-memory
    /// buffers that need the same read API as on-disk segments.
    pub fn from_batch(batch: &EventBatch, meta: &SegmentMeta) -> Result<Segment> {
        let bytes = writer::encode_segment(batch, meta)?;
        Segment::open(
            FileBytes::from_vec(bytes),
            format!("<in-memory segment {}>", meta.file_name()),
        )
    }

    /// The segment's identity and time range.
    pub fn meta(&self) -> &SegmentMeta {
        &self.meta
    }

    /// Number of rows.
    pub fn num_rows(&self) -> usize {
        self.meta.rows as usize
    }

    /// File size in bytes.
    pub fn size_bytes(&self) -> usize {
        self.bytes.len()
    }

    /// The block directory: every block's kind, column, position, length and checksum (for size
    /// accounting and inspection tools).
    pub fn blocks(&self) -> &[BlockEntry] {
        &self.entries
    }

    /// The name used for this segment in errors.
    pub fn file(&self) -> &std::path::Path {
        &self.file
    }

    /// Column `c` (a Timestamp or Int column), decoded. `InvalidInput` for another column type.
    pub fn int_column(&self, c: usize) -> Result<&IntColumn> {
        match self.column(c)? {
            Decoded::Int(col) => Ok(col),
            _ => Err(wrong_type(c, "INTEGER or TIMESTAMP")),
        }
    }

    /// Column `c` (a Double column), decoded. `InvalidInput` for another column type.
    pub fn double_column(&self, c: usize) -> Result<&DoubleColumn> {
        match self.column(c)? {
            Decoded::Double(col) => Ok(col),
            _ => Err(wrong_type(c, "DOUBLE")),
        }
    }

    /// Column `c` (a Text column), decoded. `InvalidInput` for another column type.
    pub fn text_column(&self, c: usize) -> Result<&TextColumn> {
        match self.column(c)? {
            Decoded::Text(col) => Ok(col),
            _ => Err(wrong_type(c, "TEXT")),
        }
    }

    /// Calls `visit` with the value of every non-NULL row of Text column `c`, in no particular order
    /// (repeated values once per row). A column kept in row order (`signal_id`) is read straight from its
    /// block, neither sorted nor cached, and its UUIDs are formatted on the stack: what de-duplicating an
    /// import needs, at a fraction of a full decode. `InvalidInput` for a column that is not Text.
    pub fn for_each_text_value(&self, c: usize, mut visit: impl FnMut(&str)) -> Result<()> {
        if !has_row_order_values(column_def(c)?, self.version) {
            let col = self.text_column(c)?;
            (0..self.num_rows()).filter_map(|r| col.value(r)).for_each(visit);
            return Ok(());
        }
        match self.raw_column(c)? {
            RawColumn::InRowOrder {
                values: RowValues::Uuid { values, upper },
                ..
            } => values.iter().for_each(|&v| visit(UuidText::new(v, upper).as_str())),
            RawColumn::InRowOrder {
                values: RowValues::Plain(values),
                ..
            } => values.into_iter().for_each(visit),
            _ => return Err(StorageError::Internal(format!("column {c} is not in row order"))),
        }
        Ok(())
    }

    /// Row ids whose value in indexed column `c` equals `value` (empty if the value does not occur);
    /// `Ok(None)` if `c` is not indexed.
    pub fn index_lookup(&self, c: usize, value: &str) -> Result<Option<RoaringBitmap>> {
        if !column_def(c)?.indexed {
            return Ok(None);
        }
        // A decoded column answers from its dictionary; otherwise search the dictionary block in place,
        // which needs neither the column's ids nor a String per value.
        let id = match self.columns[c].get() {
            Some(Decoded::Text(col)) => col.lookup(value),
            _ => {
                let dict = match self.dictionaries[c].get() {
                    Some(d) => d,
                    None => {
                        let entry = self.blocks[c]
                            .dictionary
                            .ok_or_else(|| StorageError::Internal(format!("text column {c} without dictionary")))?;
                        let d = self.load_dictionary_index(entry)?;
                        self.dictionaries[c].get_or_init(|| d)
                    }
                };
                dict.lookup(&self.bytes, value, self.shared_dictionary(c))
            }
        };
        match id {
            Some(id) => self.index_bitmap(c, id),
            None => Ok(Some(RoaringBitmap::new())),
        }
    }

    /// Bitmap of the non-NULL rows holding dictionary id `id` of indexed column `c`; `Ok(None)` if `c`
    /// is not indexed. An `id` outside the column's dictionary is `InvalidInput`.
    pub fn index_bitmap(&self, c: usize, id: u32) -> Result<Option<RoaringBitmap>> {
        let def = column_def(c)?;
        let Some(entry) = self.blocks[c].index.filter(|_| def.indexed) else {
            return Ok(None);
        };
        let offsets = self.index_offsets(c, entry)?;
        let id = id as usize;
        if id + 1 >= offsets.starts.len() {
            return Err(StorageError::InvalidInput(format!(
                "dictionary id {id} out of range for column {} ({} values)",
                def.name,
                offsets.starts.len() - 1
            )));
        }
        let (start, end) = (offsets.starts[id], offsets.starts[id + 1]);
        let entry = &self.bytes[start..end];
        let bm = if self.version >= 2 {
            bitmap::deserialize_any(entry)
        } else {
            bitmap::deserialize(entry)
        }
        .map_err(|m| self.corrupt(start, m))?;
        if bm.max().is_some_and(|m| m >= self.meta.rows) {
            return Err(self.corrupt(
                start,
                Malformed::at(0, format!("index bitmap names row {:?}", bm.max())),
            ));
        }
        Ok(Some(bm))
    }

    /// Every row decoded, in stored (sorted) row order; nullable columns without NULLs get `validity: None`.
    pub fn to_batch(&self) -> Result<EventBatch> {
        let rows = self.num_rows();
        let mut columns = Vec::with_capacity(EVENT_COLUMNS.len());
        for c in 0..EVENT_COLUMNS.len() {
            let (data, nulls) = match self.column(c)? {
                Decoded::Int(col) => (ColumnData::Int(col.values.clone()), &col.nulls),
                Decoded::Double(col) => (ColumnData::Double(col.values.clone()), &col.nulls),
                Decoded::Text(col) => {
                    let mut strings = StringVec::new();
                    for (row, &id) in col.ids.iter().enumerate() {
                        strings.push(if col.nulls.as_ref().is_some_and(|n| n.contains(row as u32)) {
                            ""
                        } else {
                            &col.dict[id as usize]
                        });
                    }
                    (ColumnData::Text(strings), &col.nulls)
                }
            };
            let validity = nulls
                .as_ref()
                .map(|n| (0..rows as u32).map(|r| !n.contains(r)).collect());
            columns.push(Column { data, validity });
        }
        Ok(EventBatch { columns })
    }

    fn corrupt(&self, base: usize, m: Malformed) -> StorageError {
        StorageError::corruption(&self.file, (base + m.at) as u64, m.detail)
    }

    /// The checksummed bytes of a block.
    fn block(&self, entry: BlockEntry) -> Result<&[u8]> {
        // The footer check guarantees the block lies inside the file.
        let bytes = &self.bytes[entry.offset as usize..(entry.offset + entry.len) as usize];
        if crc32fast::hash(bytes) != entry.crc {
            let name = EVENT_COLUMNS[entry.column as usize].name;
            let detail = format!("checksum mismatch in {:?} block of column {name}", entry.kind);
            return Err(StorageError::corruption(&self.file, entry.offset, detail));
        }
        Ok(bytes)
    }

    /// Decodes a whole block with `f`, which must consume every byte.
    fn decode_block<'s, T>(
        &'s self,
        entry: BlockEntry,
        f: impl FnOnce(&mut ByteReader<'s>) -> Result<T, Malformed>,
    ) -> Result<T> {
        let mut r = ByteReader::new(self.block(entry)?);
        let value = f(&mut r).and_then(|v| r.finish("block").map(|_| v));
        value.map_err(|m| self.corrupt(entry.offset as usize, m))
    }

    fn column(&self, c: usize) -> Result<&Decoded> {
        column_def(c)?;
        if let Some(d) = self.columns[c].get() {
            return Ok(d);
        }
        let decoded = self.decode_column(c)?;
        Ok(self.columns[c].get_or_init(|| decoded))
    }

    fn decode_column(&self, c: usize) -> Result<Decoded> {
        Ok(match self.raw_column(c)? {
            RawColumn::Int(col) => Decoded::Int(col),
            RawColumn::Double(col) => Decoded::Double(col),
            RawColumn::Text { dict, ids, nulls } => Decoded::Text(TextColumn {
                ids,
                dict: dict.to_strings(),
                nulls,
            }),
            RawColumn::InRowOrder { values, nulls } => {
                // Sorted here into the dictionary and ids every Text column decodes to.
                let (dict, ids) = values.into_sorted();
                Decoded::Text(TextColumn {
                    ids: scatter(ids, nulls.as_ref(), self.num_rows(), 0),
                    dict: dict.to_strings(),
                    nulls,
                })
            }
        })
    }

    /// Column `c` checked and decoded afresh (not cached), text values left as dictionary ids into the
    /// undecoded dictionary: what merging segments needs, without a string per value.
    pub(super) fn raw_column(&self, c: usize) -> Result<RawColumn<'_>> {
        let def = column_def(c)?;
        let blocks = self.blocks[c];
        let rows = self.meta.rows;
        let internal = || StorageError::Internal(format!("segment opened without required blocks for {}", def.name));
        let nulls = self.nulls(c)?.filter(|n| !n.is_empty());
        let present = rows as usize - nulls.as_ref().map_or(0, |n| n.len() as usize);
        let rows = rows as usize;
        Ok(match def.ty {
            ColumnType::Timestamp | ColumnType::Int => {
                let values = blocks.values.ok_or_else(internal)?;
                let v = self.decode_block(values, |r| decode_ints(r, present, self.version))?;
                RawColumn::Int(IntColumn {
                    values: scatter(v, nulls.as_ref(), rows, 0),
                    nulls,
                })
            }
            ColumnType::Double => {
                let values = blocks.values.ok_or_else(internal)?;
                let v = self.decode_block(values, |r| decode_doubles(r, present, self.version))?;
                RawColumn::Double(DoubleColumn {
                    values: scatter(v, nulls.as_ref(), rows, 0.0),
                    nulls,
                })
            }
            ColumnType::Text if has_row_order_values(def, self.version) => RawColumn::InRowOrder {
                values: self.decode_block(blocks.dictionary.ok_or_else(internal)?, |r| {
                    RowValues::decode(r, present, self.version)
                })?,
                nulls,
            },
            ColumnType::Text => {
                let dict = self.decode_block(blocks.dictionary.ok_or_else(internal)?, |r| {
                    decode_sorted_dict(r, self.version, self.shared_dictionary(c))
                })?;
                let size = dict.len();
                let ids = match blocks.values {
                    Some(values) => {
                        let ids = self.decode_block(values, |r| {
                            let raw = decode_ints(r, present, self.version)?;
                            raw.into_iter()
                                .map(|id| u32::try_from(id).ok().filter(|&id| (id as usize) < size))
                                .collect::<Option<Vec<u32>>>()
                                .ok_or_else(|| Malformed::at(0, format!("dictionary id outside 0..{size}")))
                        })?;
                        scatter(ids, nulls.as_ref(), rows, 0)
                    }
                    // An indexed column of format version 4 or later (`open` checked which have Values).
                    None => {
                        self.ids_from_index(c, blocks.index.ok_or_else(internal)?, size, nulls.as_ref(), present)?
                    }
                };
                RawColumn::Text { ids, dict, nulls }
            }
        })
    }

    /// The NULL rows of column `c`, following a null block that names an earlier column with the same set.
    fn nulls(&self, c: usize) -> Result<Option<RoaringBitmap>> {
        let Some(entry) = self.blocks[c].nulls else {
            return Ok(None);
        };
        match self.decode_block(entry, |r| decode_nulls(r, self.meta.rows, self.version))? {
            NullSet::Rows(nulls) => Ok(Some(nulls)),
            NullSet::SameAs(same) if same < c && self.blocks[same].nulls.is_some() => self.nulls(same),
            NullSet::SameAs(same) => Err(self.corrupt(
                entry.offset as usize,
                Malformed::at(
                    1,
                    format!("null set refers to column {same}, which has none before {c}"),
                ),
            )),
        }
    }

    /// The dictionary id of every row of indexed Text column `c` (0 at NULL rows), rebuilt from its Index
    /// block `entry`, whose entry for each of the `size` dictionary ids lists the rows holding it. Every
    /// one of the `present` non-NULL rows must be listed exactly once and no NULL row at all, or the
    /// segment is corrupt.
    fn ids_from_index(
        &self,
        c: usize,
        entry: BlockEntry,
        size: usize,
        nulls: Option<&RoaringBitmap>,
        present: usize,
    ) -> Result<Vec<u32>> {
        let offsets = self.index_offsets(c, entry)?;
        let bad = |detail: String| self.corrupt(entry.offset as usize, Malformed::at(0, detail));
        if offsets.starts.len() != size + 1 {
            return Err(bad(format!(
                "index lists {} values, the dictionary {size}",
                offsets.starts.len() - 1
            )));
        }
        // Every row starts unlisted, so a row found listed already is listed under two ids. (A bit set of
        // the listed rows, kept apart from the ids, measured slower.)
        const UNLISTED: u32 = u32::MAX;
        let mut ids = vec![UNLISTED; self.num_rows()];
        let mut listed = 0usize;
        for (id, range) in offsets.starts.windows(2).enumerate() {
            let start = range[0];
            bitmap::for_each_range(&self.bytes[start..range[1]], |first, last| {
                let rows = ids
                    .get_mut(first as usize..=last as usize)
                    .ok_or_else(|| Malformed::at(0, format!("index entry of id {id} names row {last}")))?;
                for (i, row) in rows.iter_mut().enumerate() {
                    if *row != UNLISTED {
                        let at = first as usize + i;
                        return Err(Malformed::at(0, format!("row {at} is listed under ids {row} and {id}")));
                    }
                    *row = id as u32;
                }
                listed += rows.len();
                Ok(())
            })
            .map_err(|m| self.corrupt(start, m))?;
        }
        for row in nulls.into_iter().flatten() {
            match ids.get_mut(row as usize) {
                Some(id) if *id == UNLISTED => *id = 0,
                _ => return Err(bad(format!("NULL row {row} is listed in the index"))),
            }
        }
        // No row listed twice and no NULL row listed: the listed rows are all non-NULL rows iff as many.
        if listed != present {
            return Err(bad(format!(
                "index lists {listed} rows, the column has {present} non-NULL rows"
            )));
        }
        Ok(ids)
    }

    /// The checksummed entry offsets of indexed column `c`'s Index block `entry`, loaded once.
    fn index_offsets(&self, c: usize, entry: BlockEntry) -> Result<&IndexOffsets> {
        if let Some(o) = self.indexes[c].get() {
            return Ok(o);
        }
        let o = self.load_index(entry)?;
        Ok(self.indexes[c].get_or_init(|| o))
    }

    fn load_dictionary_index(&self, entry: BlockEntry) -> Result<DictionaryIndex> {
        let base = entry.offset as usize;
        let shared = self.shared_dictionary(entry.column as usize);
        self.decode_block(entry, |r| DictionaryIndex::read(r, base, self.version, shared))
    }

    /// Column `c`'s shared dictionary, if the segment was opened with the store's.
    fn shared_dictionary(&self, c: usize) -> Option<&SharedDictionary> {
        self.shared.as_deref().and_then(|s| s.column(c))
    }

    fn load_index(&self, entry: BlockEntry) -> Result<IndexOffsets> {
        let base = entry.offset as usize;
        self.decode_block(entry, |r| {
            let count = r.u32("index size")? as usize;
            // Packed offsets or lengths: the count check bounds the allocation by the block size.
            if self.version >= 2 && count >= r.remaining() * 8 {
                return Err(Malformed::at(0, format!("index size {count} exceeds the block")));
            }
            let rel: Vec<usize> = if self.version >= 3 {
                // Entry lengths: the offsets are their running sums.
                let mut rel = Vec::with_capacity(count + 1);
                rel.push(0usize);
                for len in decode_ints(r, count, self.version)? {
                    let end = usize::try_from(len)
                        .ok()
                        .and_then(|len| rel.last().and_then(|&start| len.checked_add(start)))
                        .ok_or_else(|| Malformed::at(4, format!("index entry length {len}")))?;
                    rel.push(end);
                }
                rel
            } else if self.version >= 2 {
                decode_ints(r, count + 1, self.version)?
                    .into_iter()
                    .map(|o| usize::try_from(o).map_err(|_| Malformed::at(4, "negative index offset")))
                    .collect::<Result<_, _>>()?
            } else {
                if count >= r.remaining() / 4 {
                    return Err(Malformed::at(0, format!("index size {count} exceeds the block")));
                }
                (0..=count)
                    .map(|_| r.u32("bitmap offset").map(|o| o as usize))
                    .collect::<Result<_, _>>()?
            };
            let area_at = r.pos();
            let area_len = r.remaining();
            let ascending = rel.first() == Some(&0) && rel.windows(2).all(|w| w[0] <= w[1]);
            if !ascending || rel.last() != Some(&area_len) {
                return Err(Malformed::at(
                    4,
                    "index bitmap offsets are not ascending within the block",
                ));
            }
            r.take(area_len, "bitmaps")?;
            Ok(IndexOffsets {
                starts: rel.into_iter().map(|o| base + area_at + o).collect(),
            })
        })
    }
}

fn column_def(c: usize) -> Result<&'static crate::schema::ColumnDef> {
    EVENT_COLUMNS.get(c).ok_or_else(|| {
        StorageError::InvalidInput(format!("column index {c} out of range (0..{})", EVENT_COLUMNS.len()))
    })
}

fn wrong_type(c: usize, wanted: &str) -> StorageError {
    let def = &EVENT_COLUMNS[c];
    StorageError::InvalidInput(format!("column {} is {}, not {wanted}", def.name, def.ty.sql_name()))
}
