//! Cutting a file that is in memory as a whole (a memory-mapped plain file) into pieces of whole
//! records without copying them: pieces are byte ranges of the file.
//!
//! The cuts are exactly those [`Chunker`](super::Chunker) makes when it reads the same bytes as a
//! stream (same pieces, same skipped over-long records), so results cannot depend on how a file is
//! read. To get there it replays the chunker's reads as offsets: `read_end` is how far the stream
//! would have been read, and what lies between `pos` and it is the chunker's carried-over tail.

use std::ops::Range;

use super::chunker::{last_record_end, Piece, MIN_READ_BYTES, READ_BYTES};

/// Cuts a byte slice into pieces of at least `piece_bytes` (except the last) that end on a record
/// boundary. The slice is passed to each call, so the chunker can live next to its owner.
#[derive(Debug)]
pub struct MappedChunker {
    piece_bytes: usize,
    max_record_bytes: usize,
    /// Start of the next piece.
    pos: usize,
    /// End of the bytes the stream chunker would have read so far.
    read_end: usize,
    eof: bool,
}

impl MappedChunker {
    /// A chunker making pieces of about `piece_bytes`, rejecting records longer than
    /// `max_record_bytes` (the same settings as [`Chunker::new`](super::Chunker::new)).
    pub fn new(piece_bytes: usize, max_record_bytes: usize) -> MappedChunker {
        MappedChunker {
            piece_bytes: piece_bytes.max(1),
            max_record_bytes: max_record_bytes.max(1),
            pos: 0,
            read_end: 0,
            eof: false,
        }
    }

    /// The next piece of `data` (the same slice on every call) and its byte range; the range is
    /// empty for [`Piece::TooLong`]. `None` at the end of `data`.
    pub fn next_piece(&mut self, data: &[u8]) -> Option<(Piece, Range<usize>)> {
        let start = self.pos;
        let mut scanned = start;
        let mut in_quotes = false;
        let mut cut = None;
        loop {
            if let Some(end) = last_record_end(&data[scanned..self.read_end], &mut in_quotes) {
                cut = Some(scanned + end + 1);
            }
            scanned = self.read_end;
            let len = self.read_end - start;
            match cut {
                Some(_) if len >= self.piece_bytes => break,
                None if len > self.max_record_bytes => return Some(self.skip_long_record(data, start)),
                _ => {}
            }
            if self.eof || !self.fill(data, len) {
                break;
            }
        }
        let end = match cut {
            Some(cut) if !self.eof => cut,
            _ => self.read_end,
        };
        self.pos = end;
        (end > start).then_some((Piece::Records, start..end))
    }

    /// The record starting at `start` is longer than the limit: skips it up to the first newline
    /// past the limit, reading on (as the stream chunker would) as far as needed.
    fn skip_long_record(&mut self, data: &[u8], start: usize) -> (Piece, Range<usize>) {
        let limit = start + self.max_record_bytes;
        let newlines = memchr::memchr_iter(b'\n', &data[start..limit]).count() as u64;
        let skipped = match memchr::memchr(b'\n', &data[limit..]) {
            Some(i) => {
                let newline = limit + i;
                while self.read_end <= newline && self.fill(data, 0) {}
                self.pos = newline + 1;
                Piece::TooLong {
                    length: (newline - start) as u64,
                    newlines: newlines + 1,
                }
            }
            None => {
                while self.fill(data, 0) {}
                self.pos = data.len();
                Piece::TooLong {
                    length: (data.len() - start) as u64,
                    newlines,
                }
            }
        };
        (skipped, self.pos..self.pos)
    }

    /// Moves `read_end` on by what the stream chunker's next read would return with `buffered`
    /// bytes in its buffer; `false` (and `eof` set) at the end of `data`.
    fn fill(&mut self, data: &[u8], buffered: usize) -> bool {
        let want = READ_BYTES.min(self.piece_bytes.saturating_sub(buffered).max(MIN_READ_BYTES));
        let n = want.min(data.len() - self.read_end);
        self.read_end += n;
        if n == 0 {
            self.eof = true;
        }
        n > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::Chunker;

    /// Every piece the stream chunker makes of `input`, as (piece, bytes).
    fn streamed(input: &[u8], piece: usize, limit: usize) -> Vec<(Piece, Vec<u8>)> {
        let mut chunker = Chunker::new(input, piece, limit);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(p) = chunker.next_piece(&mut buf).unwrap() {
            out.push((p, buf.clone()));
        }
        out
    }

    fn mapped(input: &[u8], piece: usize, limit: usize) -> Vec<(Piece, Vec<u8>)> {
        let mut chunker = MappedChunker::new(piece, limit);
        let mut out = Vec::new();
        while let Some((p, range)) = chunker.next_piece(input) {
            out.push((p, input[range].to_vec()));
        }
        out
    }

    /// A deterministic mix of short rows, quoted fields with newlines, blank lines, `\r\n`, long
    /// rows and an unbalanced quote.
    fn input(seed: u64, rows: usize) -> Vec<u8> {
        let mut x = seed;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut out = Vec::new();
        for i in 0..rows {
            match next() % 9 {
                0 => out.extend_from_slice(b"\"q\nq\",x\n"),
                1 => out.extend_from_slice(b"\n"),
                2 => out.extend_from_slice(b"a,b\r\n"),
                3 => out.extend(std::iter::repeat_n(b'L', (next() % 300) as usize).chain(*b"\n")),
                4 if i % 50 == 7 => out.extend_from_slice(b"open\"quote,\n"),
                _ => out.extend_from_slice(format!("row{i},{},c\n", next() % 1000).as_bytes()),
            }
        }
        if seed.is_multiple_of(2) {
            out.extend_from_slice(b"no,newline,at,the,end");
        }
        out
    }

    #[test]
    fn same_pieces_as_the_stream_chunker() {
        for seed in 1..12u64 {
            let data = input(seed, 400);
            for piece in [1, 7, 64, 100, 333, 1000, 4096, 1 << 20] {
                for limit in [10, 50, 200, 1 << 20] {
                    assert_eq!(
                        mapped(&data, piece, limit),
                        streamed(&data, piece, limit),
                        "seed {seed} piece {piece} limit {limit}"
                    );
                }
            }
        }
        assert!(mapped(b"", 10, 10).is_empty());
    }

    #[test]
    fn large_pieces_replay_reads_past_a_skipped_record() {
        // Reads of up to READ_BYTES: a long record spanning several reads, then rows.
        let mut data = vec![b'x'; 3 * READ_BYTES];
        data.extend_from_slice(b"\nafter,1\n");
        data.extend(std::iter::repeat_n(b"row,2\n".iter().copied(), READ_BYTES / 4).flatten());
        for piece in [READ_BYTES / 2, 4 << 20] {
            assert_eq!(
                mapped(&data, piece, 1000),
                streamed(&data, piece, 1000),
                "piece {piece}"
            );
        }
    }
}
