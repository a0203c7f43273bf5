//! The segment footer (format version, meta, schema check, block directory) and the fixed trailer
//! that locates and checksums it.

use super::component::BlockEntry;
use super::encoding::{ByteReader, Malformed};
use super::meta::SegmentMeta;
use crate::schema::{ColumnDef, ColumnType, EVENT_COLUMNS};

/// Magic bytes at the very start and very end of every segment file.
pub const MAGIC: &[u8; 8] = b"EGDBSEG1";
/// The format version this build writes. Version 2 added run-length integers and decimal doubles,
/// version 3 patched frame-of-reference integers, version 4 dropped the Values block of indexed Text
/// columns (see `has_values_block`), added dictionaries naming the store's shared dictionaries and
/// values in row order for `signal_id`;
/// this build also reads versions 1 to 3.
pub const FORMAT_VERSION: u32 = 4;
/// The first format version whose indexed Text columns have no Values block.
pub const INDEX_ONLY_VERSION: u32 = 4;
/// The oldest format version this build reads.
pub const OLDEST_READABLE_VERSION: u32 = 1;
/// Bytes before the first block: the magic.
pub const HEADER_LEN: usize = MAGIC.len();
/// Bytes of the trailer: footer offset u64, footer crc u32, magic.
pub const TRAILER_LEN: usize = 8 + 4 + MAGIC.len();

/// Whether column `def` has a Values block in a segment of format `version`: every column does, except
/// (from [`INDEX_ONLY_VERSION`] on) an indexed Text column, whose Index block already names the rows of
/// each dictionary id, so the reader rebuilds the ids from it, and a column with its values in row
/// order ([`has_row_order_values`]).
pub fn has_values_block(def: &ColumnDef, version: u32) -> bool {
    let index_only = def.ty == ColumnType::Text && def.indexed && version >= INDEX_ONLY_VERSION;
    !(index_only || has_row_order_values(def, version))
}

/// Whether column `def` keeps its values in row order in a segment of format `version` (its Dictionary
/// block holds them, see `row_values.rs`).
pub fn has_row_order_values(def: &ColumnDef, version: u32) -> bool {
    def.ty == ColumnType::Text && def.values_in_row_order && version >= INDEX_ONLY_VERSION
}

/// The decoded footer.
#[derive(Debug, Clone, PartialEq)]
pub struct Footer {
    /// The format version the file is written in (the writer writes [`FORMAT_VERSION`]; tests also
    /// write version 3 files).
    pub version: u32,
    /// Segment identity and time range.
    pub meta: SegmentMeta,
    /// Every block in the file.
    pub blocks: Vec<BlockEntry>,
}

impl Footer {
    /// Appends footer and trailer to `out` (whose current length is the footer's offset).
    pub fn write_with_trailer(&self, out: &mut Vec<u8>) {
        let footer_offset = out.len() as u64;
        out.extend_from_slice(&self.version.to_le_bytes());
        self.meta.encode(out);
        out.push(EVENT_COLUMNS.len() as u8);
        out.extend(EVENT_COLUMNS.iter().map(|d| d.ty.tag()));
        out.extend_from_slice(&(self.blocks.len() as u32).to_le_bytes());
        for b in &self.blocks {
            b.encode(out);
        }
        let crc = crc32fast::hash(&out[footer_offset as usize..]);
        out.extend_from_slice(&footer_offset.to_le_bytes());
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(MAGIC);
    }

    /// Locates, checksums and decodes the footer of a whole file. Offsets in errors are absolute.
    pub fn read(file: &[u8]) -> Result<Footer, Malformed> {
        if file.len() < HEADER_LEN + TRAILER_LEN {
            return Err(Malformed::at(
                0,
                format!("{} bytes is too short for a segment file", file.len()),
            ));
        }
        if &file[..HEADER_LEN] != MAGIC {
            return Err(Malformed::at(0, "missing EGDBSEG1 magic at file start"));
        }
        let trailer_at = file.len() - TRAILER_LEN;
        let mut t = ByteReader::new(&file[trailer_at..]);
        let footer_offset = t.u64("footer offset")?;
        let footer_crc = t.u32("footer crc")?;
        if t.take(MAGIC.len(), "magic")? != MAGIC {
            return Err(Malformed::at(
                trailer_at + 12,
                "missing EGDBSEG1 magic at file end (truncated file?)",
            ));
        }
        let footer_at = usize::try_from(footer_offset)
            .ok()
            .filter(|&o| (HEADER_LEN..=trailer_at).contains(&o))
            .ok_or_else(|| Malformed::at(trailer_at, format!("footer offset {footer_offset} outside the file")))?;
        let bytes = &file[footer_at..trailer_at];
        if crc32fast::hash(bytes) != footer_crc {
            return Err(Malformed::at(footer_at, "footer checksum mismatch"));
        }
        Footer::decode(bytes, footer_at).map_err(|m| Malformed::at(m.at + footer_at, m.detail))
    }

    fn decode(bytes: &[u8], footer_at: usize) -> Result<Footer, Malformed> {
        let mut r = ByteReader::new(bytes);
        let version = r.u32("format version")?;
        if !(OLDEST_READABLE_VERSION..=FORMAT_VERSION).contains(&version) {
            return Err(Malformed::at(
                0,
                format!("format version {version}, this build reads {OLDEST_READABLE_VERSION} to {FORMAT_VERSION}"),
            ));
        }
        let meta = SegmentMeta::decode(&mut r)?;
        let at = r.pos();
        let ncols = r.u8("column count")? as usize;
        let tags = r.take(ncols, "column types")?;
        let schema_ok = ncols == EVENT_COLUMNS.len()
            && tags
                .iter()
                .zip(EVENT_COLUMNS)
                .all(|(&t, d)| ColumnType::from_tag(t) == Some(d.ty));
        if !schema_ok {
            return Err(Malformed::at(at, "column list does not match the events schema"));
        }
        let count = r.u32("block count")? as usize;
        if count.saturating_mul(BlockEntry::ENCODED_LEN) != r.remaining() {
            return Err(Malformed::at(
                r.pos() - 4,
                format!("block count {count} does not fit the footer"),
            ));
        }
        let mut blocks = Vec::with_capacity(count);
        for _ in 0..count {
            let at = r.pos();
            let b = BlockEntry::decode(&mut r)?;
            let end = b.offset.checked_add(b.len);
            if b.offset < HEADER_LEN as u64 || !matches!(end, Some(e) if e <= footer_at as u64) {
                return Err(Malformed::at(at, format!("block {b:?} lies outside the data area")));
            }
            blocks.push(b);
        }
        r.finish("block directory")?;
        Ok(Footer { version, meta, blocks })
    }
}
