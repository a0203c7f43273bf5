//! The named kinds of block a segment file holds, and the block-directory entry locating each one.

use super::encoding::{ByteReader, Malformed};

/// What one block of a segment file stores (like tantivy's `SegmentComponent`). Each column has one
/// `Values` block (except, from format version 4 on, indexed Text columns, whose `Index` holds their
/// values), Text columns a `Dictionary`, nullable columns with NULLs a `Nulls` block, and indexed
/// columns an `Index` block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SegmentComponent {
    /// The column's non-NULL values in row order: Timestamp/Int as frame-of-reference + GCD bit-packed
    /// integers, Double as little-endian `f64`, Text as bit-packed dictionary ids.
    Values,
    /// A Text column's distinct values, sorted ascending, so id order equals string order.
    Dictionary,
    /// The set of NULL rows (or its complement, whichever is smaller) as a portable roaring bitmap.
    Nulls,
    /// For an indexed column, the non-NULL rows of each dictionary id (a run list or a portable roaring
    /// bitmap per id); from format version 4 on also the source of the column's ids.
    Index,
}

impl SegmentComponent {
    /// Every component kind.
    pub const ALL: [SegmentComponent; 4] = [
        SegmentComponent::Values,
        SegmentComponent::Dictionary,
        SegmentComponent::Nulls,
        SegmentComponent::Index,
    ];

    /// The one-byte tag stored in the block directory.
    pub fn tag(self) -> u8 {
        match self {
            SegmentComponent::Values => 1,
            SegmentComponent::Dictionary => 2,
            SegmentComponent::Nulls => 3,
            SegmentComponent::Index => 4,
        }
    }

    /// Inverse of [`SegmentComponent::tag`].
    pub fn from_tag(tag: u8) -> Option<SegmentComponent> {
        SegmentComponent::ALL.into_iter().find(|c| c.tag() == tag)
    }
}

/// Where one block lives in the file and its checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockEntry {
    /// What the block stores.
    pub kind: SegmentComponent,
    /// The schema column it belongs to.
    pub column: u8,
    /// Absolute byte offset in the file.
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
    /// crc32 (IEEE, as computed by crc32fast) of the block's bytes.
    pub crc: u32,
}

impl BlockEntry {
    /// Encoded size in the footer.
    pub const ENCODED_LEN: usize = 1 + 1 + 8 + 8 + 4;

    /// Appends the entry: kind u8, column u8, offset u64, len u64, crc u32 (little-endian).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.kind.tag());
        out.push(self.column);
        out.extend_from_slice(&self.offset.to_le_bytes());
        out.extend_from_slice(&self.len.to_le_bytes());
        out.extend_from_slice(&self.crc.to_le_bytes());
    }

    /// Reads an entry written by [`BlockEntry::encode`].
    pub fn decode(r: &mut ByteReader<'_>) -> Result<BlockEntry, Malformed> {
        let at = r.pos();
        let tag = r.u8("component kind")?;
        let kind =
            SegmentComponent::from_tag(tag).ok_or_else(|| Malformed::at(at, format!("unknown component {tag}")))?;
        Ok(BlockEntry {
            kind,
            column: r.u8("column")?,
            offset: r.u64("block offset")?,
            len: r.u64("block length")?,
            crc: r.u32("block crc")?,
        })
    }
}
