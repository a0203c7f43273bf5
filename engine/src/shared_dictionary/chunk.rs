//! One chunk file of a shared dictionary: the entries `first..end` of one column's dictionary.
//!
//! Name: `<column>-<first>-<end>.dict` with the ids as ten decimal digits (`student-0000000000-0000018650.dict`).
//! Bytes (little-endian): magic `EDBSDICT`, format version u32 (1), column index u8, `first` u32,
//! `count` u32 (= `end - first`), then `count` values as 16 big-endian bytes each (the UUID's 128 bits),
//! then the crc32 of every preceding byte. Chunks are written once through `Directory::atomic_write`,
//! so a damaged chunk is corruption, never a torn write to repair.

use crate::schema::EVENT_COLUMNS;
use crate::segment::{uuids_from_be_bytes, Malformed};

const MAGIC: &[u8; 8] = b"EDBSDICT";
const VERSION: u32 = 1;
const HEADER_LEN: usize = 8 + 4 + 1 + 4 + 4;

/// What a chunk's file name says: its column and the ids it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ChunkName {
    /// The schema column.
    pub column: usize,
    /// The first id held.
    pub first: u32,
    /// One past the last id held.
    pub end: u32,
}

impl ChunkName {
    /// The file name.
    pub fn file_name(&self) -> String {
        format!(
            "{}-{:010}-{:010}.dict",
            EVENT_COLUMNS[self.column].name, self.first, self.end
        )
    }

    /// Parses a name written by [`ChunkName::file_name`]; `None` for anything else.
    pub fn parse(name: &str) -> Option<ChunkName> {
        let stem = name.strip_suffix(".dict")?;
        let (rest, end) = stem.rsplit_once('-')?;
        let (column_name, first) = rest.rsplit_once('-')?;
        let digits =
            |s: &str| (s.len() == 10 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<u32>().ok())?;
        let (first, end) = (digits(first)?, digits(end)?);
        let column = EVENT_COLUMNS.iter().position(|d| d.name == column_name)?;
        (first < end).then_some(ChunkName { column, first, end })
    }
}

/// A decoded, checked chunk.
#[derive(Debug)]
pub(super) struct Chunk {
    /// Its name (checked against the contents).
    pub name: ChunkName,
    /// The entries `name.first..name.end`.
    pub values: Vec<u128>,
}

/// The bytes of the chunk `name` holding `values` (`name.end - name.first` of them).
pub(super) fn encode(name: &ChunkName, values: &[u128]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + 16 * values.len() + 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.push(name.column as u8);
    out.extend_from_slice(&name.first.to_le_bytes());
    out.extend_from_slice(&(values.len() as u32).to_le_bytes());
    for v in values {
        out.extend_from_slice(&v.to_be_bytes());
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

impl Chunk {
    /// Reads and checks the chunk file `bytes`, which its file name says is `name`.
    pub fn decode(bytes: &[u8], name: &ChunkName) -> Result<Chunk, Malformed> {
        if bytes.len() < HEADER_LEN + 4 {
            return Err(Malformed::at(
                0,
                format!("{} bytes is too short for a dictionary chunk", bytes.len()),
            ));
        }
        let (body, crc) = bytes.split_at(bytes.len() - 4);
        let stored = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
        if crc32fast::hash(body) != stored {
            return Err(Malformed::at(body.len(), "dictionary chunk checksum mismatch"));
        }
        if &body[..8] != MAGIC {
            return Err(Malformed::at(0, "not a dictionary chunk (bad magic)"));
        }
        let u32_at = |at: usize| u32::from_le_bytes([body[at], body[at + 1], body[at + 2], body[at + 3]]);
        let version = u32_at(8);
        if version != VERSION {
            return Err(Malformed::at(
                8,
                format!("unsupported dictionary chunk version {version}"),
            ));
        }
        let (column, first, count) = (body[12] as usize, u32_at(13), u32_at(17) as usize);
        if column != name.column || first != name.first || first as usize + count != name.end as usize {
            return Err(Malformed::at(
                12,
                format!("contents (column {column}, ids {first}.. +{count}) do not match the file name"),
            ));
        }
        let values = &body[HEADER_LEN..];
        if values.len() != 16 * count {
            return Err(Malformed::at(
                HEADER_LEN,
                format!("{} bytes of values for {count} entries", values.len()),
            ));
        }
        Ok(Chunk {
            name: *name,
            values: uuids_from_be_bytes(values),
        })
    }
}
