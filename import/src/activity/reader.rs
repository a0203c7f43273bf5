//! Streaming reader of headerless CSV activity files: opens plain or gzip input (detected by magic
//! bytes), cuts it into records (quoted fields may hold commas and newlines) with a per-record size
//! limit, and splits records into fields without allocating per field.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

use crate::error::ImportError;

/// The two bytes every gzip member starts with.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Size of the read buffer.
const READ_BUFFER_BYTES: usize = 256 * 1024;

/// Default longest record accepted; longer ones are rejected as a row error.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 1024 * 1024;

/// An opened activity file: a byte stream (already decompressed) plus progress counters.
pub struct ActivityInput {
    /// The decompressed bytes.
    pub reader: Box<dyn Read + Send>,
    /// Size of the file on disk (compressed size for gzip).
    pub total_bytes: u64,
    /// Bytes of the file on disk consumed so far; updated as the stream is read.
    pub bytes_read: Arc<AtomicU64>,
    /// Whether the file is gzip-compressed.
    pub gzip: bool,
}

/// Opens `path`, transparently decompressing it if it starts with the gzip magic bytes.
pub fn open_activity_file(path: &Path) -> Result<ActivityInput, ImportError> {
    let mut file = File::open(path).map_err(|e| ImportError::io(path, e))?;
    let total_bytes = file.metadata().map_err(|e| ImportError::io(path, e))?.len();
    let mut magic = [0u8; 2];
    let mut got = 0;
    while got < magic.len() {
        match file.read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ImportError::io(path, e)),
        }
    }
    file.seek(SeekFrom::Start(0)).map_err(|e| ImportError::io(path, e))?;
    let gzip = got == 2 && magic == GZIP_MAGIC;
    let bytes_read = Arc::new(AtomicU64::new(0));
    let counted = CountingReader {
        inner: file,
        count: Arc::clone(&bytes_read),
    };
    let reader: Box<dyn Read + Send> = if gzip {
        Box::new(MultiGzDecoder::new(io::BufReader::with_capacity(
            READ_BUFFER_BYTES,
            counted,
        )))
    } else {
        Box::new(counted)
    };
    Ok(ActivityInput {
        reader,
        total_bytes,
        bytes_read,
        gzip,
    })
}

/// Counts the bytes that pass through it into a shared counter.
struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// One record cut from the input.
#[derive(Debug, PartialEq, Eq)]
pub enum RawRecord<'a> {
    /// The record's bytes (without the line terminator).
    Complete(&'a [u8]),
    /// The record was longer than the limit; its bytes were skipped up to the next line end.
    TooLong {
        /// Bytes seen before giving up (at least the limit).
        length: usize,
    },
}

/// Cuts a byte stream into CSV records. A newline inside a quoted field belongs to the record;
/// once a record exceeds the size limit it is abandoned at the next newline, quoted or not, so
/// one runaway line (or an unbalanced quote) costs at most a bounded amount of memory.
pub struct RecordReader<R> {
    input: R,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    eof: bool,
    record: Vec<u8>,
    next_line: u64,
    max_record_bytes: usize,
}

impl<R: Read> RecordReader<R> {
    /// A reader over `input` rejecting records longer than `max_record_bytes`.
    pub fn new(input: R, max_record_bytes: usize) -> RecordReader<R> {
        RecordReader {
            input,
            buf: vec![0u8; READ_BUFFER_BYTES].into_boxed_slice(),
            pos: 0,
            end: 0,
            eof: false,
            record: Vec::new(),
            next_line: 1,
            max_record_bytes,
        }
    }

    /// The next non-blank record and the 1-based line it starts on, or `None` at end of input.
    pub fn next_record(&mut self) -> io::Result<Option<(u64, RawRecord<'_>)>> {
        loop {
            let line = self.next_line;
            let Some(length) = self.cut_record()? else {
                return Ok(None);
            };
            if length > self.max_record_bytes {
                return Ok(Some((line, RawRecord::TooLong { length })));
            }
            if self.record.last() == Some(&b'\r') {
                self.record.pop();
            }
            if !self.record.is_empty() {
                return Ok(Some((line, RawRecord::Complete(&self.record))));
            }
        }
    }

    /// Reads one record into `self.record`; returns its length in bytes, or `None` at end of input.
    fn cut_record(&mut self) -> io::Result<Option<usize>> {
        self.record.clear();
        let mut in_quotes = false;
        let mut length = 0usize;
        let mut started = false;
        loop {
            if self.pos == self.end && !self.refill()? {
                return Ok(started.then_some(length));
            }
            started = true;
            let chunk = &self.buf[self.pos..self.end];
            let overflow = length > self.max_record_bytes;
            let hit = if overflow {
                memchr::memchr(b'\n', chunk)
            } else {
                memchr::memchr2(b'"', b'\n', chunk)
            };
            let take = match hit {
                None => chunk.len(),
                Some(i) if chunk[i] == b'"' => {
                    in_quotes = !in_quotes;
                    i + 1
                }
                Some(i) => {
                    self.next_line += 1;
                    if in_quotes && !overflow {
                        i + 1
                    } else {
                        self.append(i, length);
                        length += i;
                        self.pos += i + 1;
                        return Ok(Some(length));
                    }
                }
            };
            self.append(take, length);
            length += take;
            self.pos += take;
        }
    }

    /// Appends the next `n` buffered bytes to the record unless that would pass the limit.
    fn append(&mut self, n: usize, length_so_far: usize) {
        if length_so_far + n <= self.max_record_bytes {
            self.record.extend_from_slice(&self.buf[self.pos..self.pos + n]);
        } else {
            self.record.clear();
        }
    }

    fn refill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        loop {
            match self.input.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.pos = 0;
                    self.end = n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// Splits CSV records into fields, reusing its buffers from record to record.
#[derive(Debug, Default)]
pub struct FieldSplitter {
    unquoted: Vec<u8>,
    bounds: Vec<(usize, usize)>,
}

/// The fields of one record, borrowed from the record or the splitter's buffer.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    text: &'a str,
    bounds: &'a [(usize, usize)],
}

impl<'a> Fields<'a> {
    /// Number of fields.
    pub fn len(&self) -> usize {
        self.bounds.len()
    }

    /// Whether the record has no fields (never true for a split record).
    pub fn is_empty(&self) -> bool {
        self.bounds.is_empty()
    }

    /// Field `i` (unquoted), or `""` past the end.
    pub fn get(&self, i: usize) -> &'a str {
        self.bounds.get(i).map_or("", |&(a, b)| &self.text[a..b])
    }
}

impl FieldSplitter {
    /// Splits `record` at unquoted commas, removing quotes (`""` inside quotes is one `"`), and
    /// checks that the bytes are UTF-8. The error says what is wrong and where.
    pub fn split<'a>(&'a mut self, record: &'a [u8]) -> Result<Fields<'a>, String> {
        self.bounds.clear();
        let data: &[u8] = if memchr::memchr(b'"', record).is_none() {
            let mut start = 0;
            for comma in memchr::memchr_iter(b',', record) {
                self.bounds.push((start, comma));
                start = comma + 1;
            }
            self.bounds.push((start, record.len()));
            record
        } else {
            self.unquote(record)?;
            &self.unquoted
        };
        let text = std::str::from_utf8(data)
            .map_err(|e| format!("invalid UTF-8 at byte {} of the row", e.valid_up_to() + 1))?;
        Ok(Fields {
            text,
            bounds: &self.bounds,
        })
    }

    fn unquote(&mut self, record: &[u8]) -> Result<(), String> {
        self.unquoted.clear();
        let mut i = 0;
        loop {
            let start = self.unquoted.len();
            if record.get(i) == Some(&b'"') {
                i += 1;
                loop {
                    let Some(q) = memchr::memchr(b'"', &record[i..]) else {
                        return Err(format!("unterminated quoted field {}", self.bounds.len() + 1));
                    };
                    self.unquoted.extend_from_slice(&record[i..i + q]);
                    i += q + 1;
                    if record.get(i) == Some(&b'"') {
                        self.unquoted.push(b'"');
                        i += 1;
                    } else {
                        break;
                    }
                }
                if i < record.len() && record[i] != b',' {
                    return Err(format!(
                        "unexpected text after the closing quote of field {}",
                        self.bounds.len() + 1
                    ));
                }
            } else {
                let end = memchr::memchr(b',', &record[i..]).map_or(record.len(), |c| i + c);
                self.unquoted.extend_from_slice(&record[i..end]);
                i = end;
            }
            self.bounds.push((start, self.unquoted.len()));
            if i >= record.len() {
                return Ok(());
            }
            i += 1; // the comma
            if i == record.len() {
                self.bounds.push((self.unquoted.len(), self.unquoted.len()));
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(input: &str, limit: usize) -> Vec<(u64, Result<String, usize>)> {
        let mut r = RecordReader::new(input.as_bytes(), limit);
        let mut out = Vec::new();
        while let Some((line, rec)) = r.next_record().unwrap() {
            out.push((
                line,
                match rec {
                    RawRecord::Complete(b) => Ok(String::from_utf8(b.to_vec()).unwrap()),
                    RawRecord::TooLong { length } => Err(length),
                },
            ));
        }
        out
    }

    fn split(record: &str) -> Result<Vec<String>, String> {
        let mut s = FieldSplitter::default();
        let f = s.split(record.as_bytes())?;
        Ok((0..f.len()).map(|i| f.get(i).to_string()).collect())
    }

    #[test]
    fn records_follow_quotes_across_newlines_and_count_physical_lines() {
        let got = records("a,b\r\n\n\"x\ny\",z\nlast", 100);
        assert_eq!(
            got,
            vec![
                (1, Ok("a,b".into())),
                (3, Ok("\"x\ny\",z".into())),
                (5, Ok("last".into()))
            ]
        );
    }

    #[test]
    fn overlong_record_is_reported_and_skipped_to_the_next_line() {
        let long = "x".repeat(50);
        let got = records(&format!("ok\n{long}\"unbalanced\nnext\n"), 20);
        assert_eq!(got[0], (1, Ok("ok".into())));
        assert!(matches!(got[1], (2, Err(n)) if n > 20));
        assert_eq!(got[2], (3, Ok("next".into())));
    }

    #[test]
    fn splitting_plain_and_quoted_fields() {
        assert_eq!(split("a,,b,").unwrap(), vec!["a", "", "b", ""]);
        assert_eq!(
            split("\"a,1\",\"say \"\"hi\"\"\",,\"\"").unwrap(),
            vec!["a,1", "say \"hi\"", "", ""]
        );
        assert_eq!(split("\"x\ny\",z,").unwrap(), vec!["x\ny", "z", ""]);
        assert!(split("\"open,b").unwrap_err().contains("unterminated"));
        assert!(split("\"a\"b,c").unwrap_err().contains("after the closing quote"));
    }

    #[test]
    fn non_utf8_bytes_are_an_error() {
        let mut s = FieldSplitter::default();
        let err = s.split(b"ab,\xff\xfe").unwrap_err();
        assert!(err.contains("invalid UTF-8 at byte 4"), "{err}");
    }
}
