//! A buffered CSV file writer that quotes a field only when it must (comma, quote, CR or LF), like
//! the Education Insights and SDS exports do, and reports I/O errors with the file's path.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::GenerateError;

/// Bytes gathered in memory before they are handed to the file.
const CHUNK: usize = 1 << 20;

/// Appends one field, quoting it (and doubling inner quotes) only if needed.
#[inline]
pub fn push_field(buf: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    // A fold without early exit: the compiler checks many bytes per step (fields are short).
    let special = bytes
        .iter()
        .fold(false, |found, &b| found | matches!(b, b',' | b'"' | b'\r' | b'\n'));
    if special {
        buf.push(b'"');
        for &b in bytes {
            if b == b'"' {
                buf.push(b'"');
            }
            buf.push(b);
        }
        buf.push(b'"');
    } else {
        buf.extend_from_slice(bytes);
    }
}

/// An output CSV file being written row by row with [`CsvFile::row`]. Dropping without [`CsvFile::finish`] may lose buffered rows.
pub struct CsvFile {
    path: PathBuf,
    sink: BufWriter<File>,
    buf: Vec<u8>,
    rows: u64,
}

impl CsvFile {
    /// Creates (truncates) `path`. (Activity parts, the only gzip output, go through
    /// `parallel_out::BlockFile`.)
    pub fn create(path: &Path) -> Result<CsvFile, GenerateError> {
        let file = File::create(path).map_err(|e| GenerateError::io(path, e))?;
        let sink = BufWriter::with_capacity(CHUNK, file);
        Ok(CsvFile {
            path: path.to_path_buf(),
            sink,
            buf: Vec::with_capacity(CHUNK + 4096),
            rows: 0,
        })
    }

    /// Ends the current row with `\n` and counts it.
    #[inline]
    fn end_row(&mut self) -> Result<(), GenerateError> {
        self.buf.push(b'\n');
        self.rows += 1;
        if self.buf.len() >= CHUNK {
            self.flush_buf()?;
        }
        Ok(())
    }

    /// Writes a whole row of text fields.
    pub fn row(&mut self, fields: &[&str]) -> Result<(), GenerateError> {
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            push_field(&mut self.buf, f);
        }
        self.end_row()
    }

    fn flush_buf(&mut self) -> Result<(), GenerateError> {
        self.sink
            .write_all(&self.buf)
            .map_err(|e| GenerateError::io(&self.path, e))?;
        self.buf.clear();
        Ok(())
    }

    /// Flushes everything to disk and returns the path and the number of rows written.
    pub fn finish(mut self) -> Result<(PathBuf, u64), GenerateError> {
        self.flush_buf()?;
        let path = self.path.clone();
        self.sink.flush().map_err(|e| GenerateError::io(&path, e))?;
        Ok((path, self.rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_when_needed() {
        let mut buf = Vec::new();
        push_field(&mut buf, "plain");
        buf.push(b',');
        push_field(&mut buf, "a, \"b\"");
        assert_eq!(String::from_utf8_lossy(&buf), "plain,\"a, \"\"b\"\"\"");
    }
}
