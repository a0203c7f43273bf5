//! Cutting a decompressed CSV stream into pieces of whole records, so that pieces can be parsed in
//! parallel, and walking the records of one piece.
//!
//! A record ends at a newline outside double quotes (a quoted field may hold newlines). A record
//! that grows past the size limit without ending is abandoned at the next newline, quoted or not,
//! so one runaway line or an unbalanced quote costs a bounded amount of memory. Line numbers count
//! every `\n` (quoted ones too), so they are the physical lines an editor shows.

use std::io::{self, Read};

/// Default longest record accepted; longer ones are rejected as a row error.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 1024 * 1024;

/// Default size of a piece (the unit of parallel parsing).
pub const DEFAULT_PIECE_BYTES: usize = 4 << 20;

/// Most bytes asked of the input per read.
const READ_BYTES: usize = 1 << 20;
/// Fewest bytes asked of the input per read.
const MIN_READ_BYTES: usize = 64;

/// What [`Chunker::next_piece`] produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    /// The buffer holds whole records; each ends with `\n` except perhaps the last one of the input.
    Records,
    /// One record longer than the limit was skipped; the buffer is empty.
    TooLong {
        /// Bytes of the record skipped (at least the limit).
        length: u64,
        /// Newlines inside and at the end of the skipped record.
        newlines: u64,
    },
}

/// Cuts a byte stream into pieces of at least `piece_bytes` (except the last) that end on a
/// record boundary.
pub struct Chunker<R> {
    input: R,
    piece_bytes: usize,
    max_record_bytes: usize,
    carry: Vec<u8>,
    eof: bool,
}

impl<R: Read> Chunker<R> {
    /// A chunker over `input` making pieces of about `piece_bytes`, rejecting records longer than
    /// `max_record_bytes`.
    pub fn new(input: R, piece_bytes: usize, max_record_bytes: usize) -> Chunker<R> {
        Chunker {
            input,
            piece_bytes: piece_bytes.max(1),
            max_record_bytes: max_record_bytes.max(1),
            carry: Vec::new(),
            eof: false,
        }
    }

    /// Fills `buf` (cleared first) with the next piece; `None` at the end of the input.
    pub fn next_piece(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<Piece>> {
        buf.clear();
        buf.append(&mut self.carry);
        let mut scanned = 0;
        let mut in_quotes = false;
        let mut cut = None;
        loop {
            if let Some(end) = last_record_end(&buf[scanned..], &mut in_quotes) {
                cut = Some(scanned + end + 1);
            }
            scanned = buf.len();
            match cut {
                Some(_) if buf.len() >= self.piece_bytes => break,
                None if buf.len() > self.max_record_bytes => return self.skip_long_record(buf).map(Some),
                _ => {}
            }
            if self.eof || !self.fill(buf)? {
                break;
            }
        }
        if self.eof {
            return Ok((!buf.is_empty()).then_some(Piece::Records));
        }
        if let Some(cut) = cut {
            self.carry.extend_from_slice(&buf[cut..]);
            buf.truncate(cut);
        }
        Ok(Some(Piece::Records))
    }

    /// `buf` holds the start of one record longer than the limit: drops it up to the first newline
    /// past the limit (reading on as far as needed) and keeps what follows.
    fn skip_long_record(&mut self, buf: &mut Vec<u8>) -> io::Result<Piece> {
        let limit = self.max_record_bytes;
        let newlines = memchr::memchr_iter(b'\n', &buf[..limit]).count() as u64;
        let mut length = limit as u64;
        let mut tail = buf.split_off(limit);
        loop {
            if let Some(i) = memchr::memchr(b'\n', &tail) {
                self.carry.extend_from_slice(&tail[i + 1..]);
                buf.clear();
                return Ok(Piece::TooLong {
                    length: length + i as u64,
                    newlines: newlines + 1,
                });
            }
            length += tail.len() as u64;
            tail.clear();
            if !self.fill(&mut tail)? {
                buf.clear();
                return Ok(Piece::TooLong { length, newlines });
            }
        }
    }

    /// Appends up to [`READ_BYTES`] from the input (less when that completes a piece); `false`
    /// (and `eof` set) once the input is exhausted.
    fn fill(&mut self, buf: &mut Vec<u8>) -> io::Result<bool> {
        let want = READ_BYTES.min(self.piece_bytes.saturating_sub(buf.len()).max(MIN_READ_BYTES));
        buf.reserve(want);
        let n = (&mut self.input).take(want as u64).read_to_end(buf)?;
        if n == 0 {
            self.eof = true;
        }
        Ok(n > 0)
    }
}

/// Index of the last newline in `data` that ends a record, given whether `data` starts inside a
/// quoted field; updates that state to the end of `data`.
fn last_record_end(data: &[u8], in_quotes: &mut bool) -> Option<usize> {
    if !*in_quotes && memchr::memchr(b'"', data).is_none() {
        return memchr::memrchr(b'\n', data);
    }
    let mut last = None;
    for i in memchr::memchr2_iter(b'"', b'\n', data) {
        if data[i] == b'"' {
            *in_quotes = !*in_quotes;
        } else if !*in_quotes {
            last = Some(i);
        }
    }
    last
}

/// The records of one piece, in order, each with the 0-based number of newlines before it in the
/// piece. Blank records are skipped; a trailing `\r` is removed.
pub struct Records<'a> {
    data: &'a [u8],
    pos: usize,
    newlines: u64,
    has_quotes: bool,
    max_record_bytes: usize,
}

impl<'a> Records<'a> {
    /// Walks the records of `data`, which starts at a record boundary; a quoted record longer than
    /// `max_record_bytes` ends at the next newline, as [`Chunker`] cuts it.
    pub fn new(data: &'a [u8], max_record_bytes: usize) -> Records<'a> {
        Records {
            data,
            pos: 0,
            newlines: 0,
            has_quotes: memchr::memchr(b'"', data).is_some(),
            max_record_bytes,
        }
    }

    /// Newlines passed so far (all of the piece's once the walk is over).
    pub fn newlines(&self) -> u64 {
        self.newlines
    }

    /// The next record as a byte range of the piece, with its newline count; `None` at the end.
    #[inline]
    pub fn next_range(&mut self) -> Option<(u64, usize, usize)> {
        let data = self.data;
        loop {
            if self.pos >= data.len() {
                return None;
            }
            let start = self.pos;
            let line = self.newlines;
            let newline = memchr::memchr(b'\n', &data[start..]).map(|i| start + i);
            let quoted = self.has_quotes && memchr::memchr(b'"', &data[start..newline.unwrap_or(data.len())]).is_some();
            let end = if quoted {
                let end = quoted_record_end(data, start, self.max_record_bytes);
                self.newlines += memchr::memchr_iter(b'\n', &data[start..end]).count() as u64;
                end
            } else {
                newline.unwrap_or(data.len())
            };
            if end < data.len() {
                self.newlines += 1;
            }
            self.pos = end + 1;
            let mut stop = end;
            if stop > start && data[stop - 1] == b'\r' {
                stop -= 1;
            }
            if stop > start {
                return Some((line, start, stop));
            }
        }
    }
}

/// End (index of the terminating newline, or `data.len()`) of the record starting at `start`,
/// honouring quotes up to `limit` bytes.
fn quoted_record_end(data: &[u8], start: usize, limit: usize) -> usize {
    let mut in_quotes = false;
    for i in memchr::memchr2_iter(b'"', b'\n', &data[start..]) {
        if data[start + i] == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes || i > limit {
            return start + i;
        }
    }
    data.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// All records of `input` cut with the given piece size and limit: (1-based line, record or skipped length).
    fn records(input: &str, piece: usize, limit: usize) -> Vec<(u64, Result<String, u64>)> {
        let mut chunker = Chunker::new(input.as_bytes(), piece, limit);
        let mut buf = Vec::new();
        let mut line = 1;
        let mut out = Vec::new();
        while let Some(p) = chunker.next_piece(&mut buf).unwrap() {
            match p {
                Piece::Records => {
                    let mut recs = Records::new(&buf, limit);
                    while let Some((rel, a, b)) = recs.next_range() {
                        // The parser rejects records over the limit that fit in a piece.
                        let record = match b - a {
                            n if n > limit => Err(n as u64),
                            _ => Ok(String::from_utf8(buf[a..b].to_vec()).unwrap()),
                        };
                        out.push((line + rel, record));
                    }
                    line += recs.newlines();
                }
                Piece::TooLong { length, newlines } => {
                    out.push((line, Err(length)));
                    line += newlines;
                }
            }
        }
        out
    }

    #[test]
    fn records_follow_quotes_across_newlines_and_count_physical_lines() {
        let input = "a,b\r\n\n\"x\ny\",z\nlast";
        let expected = vec![
            (1, Ok("a,b".into())),
            (3, Ok("\"x\ny\",z".into())),
            (5, Ok("last".into())),
        ];
        for piece in [1, 2, 3, 5, 100] {
            assert_eq!(records(input, piece, 100), expected, "piece {piece}");
        }
    }

    #[test]
    fn overlong_record_is_reported_and_skipped_to_the_next_line() {
        let long = "x".repeat(50);
        let input = format!("ok\n{long}\"unbalanced\nnext\n");
        for piece in [1, 7, 30, 1000] {
            let got = records(&input, piece, 20);
            assert_eq!(got[0], (1, Ok("ok".into())), "piece {piece}");
            assert!(matches!(got[1], (2, Err(n)) if n > 20), "piece {piece}: {got:?}");
            assert_eq!(got[2], (3, Ok("next".into())), "piece {piece}");
            assert_eq!(got.len(), 3);
        }
    }

    #[test]
    fn unterminated_quote_is_bounded_by_the_limit() {
        // The quote never closes: everything up to the limit belongs to one record, which is
        // dropped at the next newline past the limit; the rows after it come back.
        let input = format!("\"open\n{}\nafter\n", "y\n".repeat(30));
        let got = records(&input, 4, 16);
        assert!(matches!(got[0], (1, Err(_))), "{got:?}");
        assert!(got.iter().any(|(_, r)| r.as_deref() == Ok("after")), "{got:?}");
    }

    #[test]
    fn pieces_end_on_record_boundaries() {
        let input: String = (0..100).map(|i| format!("row{i},\"q\nq\"\n")).collect();
        let mut chunker = Chunker::new(input.as_bytes(), 64, 1000);
        let mut buf = Vec::new();
        let mut pieces = 0;
        while let Some(Piece::Records) = chunker.next_piece(&mut buf).unwrap() {
            assert!(
                buf.ends_with(b"\"\n") && buf.starts_with(b"row"),
                "{:?}",
                String::from_utf8_lossy(&buf)
            );
            pieces += 1;
        }
        assert!(pieces > 10);
        assert_eq!(records(&input, 64, 1000).len(), 100);
        assert_eq!(records(&input, 64, 1000)[99].0, 199);
    }

    #[test]
    fn long_record_at_the_end_of_the_input() {
        let input = format!("ok\n{}", "z".repeat(100));
        let got = records(&input, 8, 10);
        assert_eq!(got, vec![(1, Ok("ok".into())), (2, Err(100))]);
    }
}
