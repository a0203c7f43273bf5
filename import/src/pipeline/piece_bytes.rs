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
    /// The circulating buffer, for the reader's next piece.
    pub fn into_buffer(self) -> Vec<u8> {
        match self {
            PieceBytes::Buffer(buffer) | PieceBytes::Mapped { buffer, .. } => buffer,
        }
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
