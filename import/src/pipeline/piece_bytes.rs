//! The bytes of one piece on its way through the pipeline: a buffer the reader filled, or a range
//! of the memory-mapped file. Either way it carries one of the circulating buffers, which is what
//! bounds how far the reader runs ahead.

use std::ops::{Deref, Range};
use std::sync::Arc;

use memmap2::Mmap;

/// A piece's bytes; derefs to them.
pub enum PieceBytes {
    /// Bytes read into the buffer (gzip and other streams).
    Buffer(Vec<u8>),
    /// A range of the mapped file; `buffer` is an unused (empty) circulating buffer.
    Mapped {
        /// The whole file.
        map: Arc<Mmap>,
        /// The piece's bytes in `map`.
        range: Range<usize>,
        /// Handed back to the reader with the piece, like a filled buffer.
        buffer: Vec<u8>,
    },
}

impl PieceBytes {
    /// The circulating buffer, for the reader's next piece. A mapped piece's pages are released
    /// from the process (not from the page cache) first: the piece has been parsed, and the import
    /// side's resident memory stays bounded instead of growing to the size of the file.
    pub fn into_buffer(self) -> Vec<u8> {
        match self {
            PieceBytes::Buffer(buffer) => buffer,
            PieceBytes::Mapped { map, range, buffer } => {
                release(&map, range);
                buffer
            }
        }
    }
}

/// Page size assumed when rounding a range inward to whole pages; where pages are larger the
/// kernel refuses the unaligned advice, which is harmless.
const PAGE_BYTES: usize = 4096;

/// Drops the whole pages inside `range` of `map` from the process's page tables.
fn release(map: &Mmap, range: Range<usize>) {
    let start = range.start.div_ceil(PAGE_BYTES) * PAGE_BYTES;
    let end = range.end / PAGE_BYTES * PAGE_BYTES;
    if end <= start {
        return;
    }
    #[cfg(unix)]
    {
        // SAFETY: `map` is a shared read-only mapping of a file (`Mmap::map`); after MADV_DONTNEED
        // a read of these pages faults them in again from the file, with the same bytes. Neighbour
        // pieces being parsed on other threads may share only the partial pages at the range's
        // ends, which are left alone (and would be refaulted unchanged anyway). Advice is only a
        // hint, so a refusal is ignored.
        let _ = unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start) };
    }
}

impl Deref for PieceBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            PieceBytes::Buffer(buffer) => buffer,
            PieceBytes::Mapped { map, range, .. } => &map[range.clone()],
        }
    }
}
