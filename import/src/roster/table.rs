//! Small CSV tables of a roster (headered or headerless), loaded whole with line numbers.

use std::path::{Path, PathBuf};

use crate::error::{ErrorList, ImportError, RowError};

/// One row of a roster table.
#[derive(Debug, Clone)]
pub struct CsvRow {
    /// 1-based line the row starts on.
    pub line: u64,
    /// The fields, unquoted, one after the other (one allocation per row, not per field).
    text: String,
    /// Where each field ends in `text`.
    ends: Vec<usize>,
}

impl CsvRow {
    /// Field `i` with surrounding spaces removed, or `""` if the row is shorter.
    pub fn get(&self, i: usize) -> &str {
        let Some(&end) = self.ends.get(i) else {
            return "";
        };
        let start = i.checked_sub(1).map_or(0, |p| self.ends[p]);
        self.text.get(start..end).map_or("", str::trim)
    }
}

/// A loaded table.
#[derive(Debug, Clone)]
pub struct CsvTable {
    /// The file it came from.
    pub path: PathBuf,
    /// Lower-cased column names (empty for a headerless table).
    pub header: Vec<String>,
    /// The data rows.
    pub rows: Vec<CsvRow>,
}

impl CsvTable {
    /// Reads `path`; rows that are not UTF-8 or not CSV go to `errors`.
    pub fn read(path: &Path, has_header: bool, errors: &mut ErrorList) -> Result<CsvTable, ImportError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_path(path)
            .map_err(|e| csv_to_import(path, e))?;
        let mut header = Vec::new();
        let mut rows = Vec::new();
        let mut record = csv::ByteRecord::new();
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => return Err(csv_to_import(path, e)),
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    errors.push(RowError::new(path, line, format!("not valid CSV: {e}")));
                    continue;
                }
            }
            let line = record.position().map_or(0, |p| p.line());
            // The fields lie one after the other in the record: each is valid UTF-8 exactly when
            // the whole is and every field boundary is a character boundary.
            let ends: Vec<usize> = (0..record.len())
                .map(|i| record.range(i).map_or(0, |r| r.end))
                .collect();
            let text = std::str::from_utf8(record.as_slice())
                .ok()
                .filter(|t| ends.iter().all(|&e| t.is_char_boundary(e)));
            let Some(text) = text else {
                errors.push(RowError::new(path, line, "invalid UTF-8"));
                continue;
            };
            if has_header && header.is_empty() {
                let mut fields: Vec<String> = (0..record.len()).map(|i| field(text, &record, i).to_string()).collect();
                if let Some(first) = fields.first_mut() {
                    *first = first.trim_start_matches('\u{feff}').to_string();
                }
                header = fields.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
                continue;
            }
            rows.push(CsvRow {
                line,
                text: text.to_string(),
                ends,
            });
        }
        Ok(CsvTable {
            path: path.to_path_buf(),
            header,
            rows,
        })
    }

    /// Index of the first of `names` (case-insensitive) in the header, if present.
    pub fn optional_column(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .find_map(|n| self.header.iter().position(|h| h.eq_ignore_ascii_case(n)))
    }

    /// Index of the first of `names` in the header; an error listing the header if none is there.
    pub fn column(&self, names: &[&str]) -> Result<usize, ImportError> {
        self.optional_column(names).ok_or_else(|| ImportError::Roster {
            path: self.path.clone(),
            detail: format!(
                "no column {} (the header has: {})",
                names.join(" or "),
                self.header.join(", ")
            ),
        })
    }
}

/// Field `i` of `record`, whose bytes are `text`.
fn field<'t>(text: &'t str, record: &csv::ByteRecord, i: usize) -> &'t str {
    record.range(i).and_then(|r| text.get(r)).unwrap_or("")
}

fn csv_to_import(path: &Path, e: csv::Error) -> ImportError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => ImportError::io(path, io),
        other => ImportError::Roster {
            path: path.to_path_buf(),
            detail: format!("{other:?}"),
        },
    }
}

/// The entry of `dir` called `name`, compared case-insensitively.
pub fn entry_ignoring_case(dir: &Path, name: &str) -> Option<PathBuf> {
    let exact = dir.join(name);
    if exact.exists() {
        return Some(exact);
    }
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_str().is_some_and(|n| n.eq_ignore_ascii_case(name)))
        .map(|e| e.path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_trimmed_and_invalid_utf8_is_rejected_per_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        // Row 3 is valid UTF-8 as a whole, but its first field ends inside a character.
        std::fs::write(&path, b"Id,Name\n a ,\"b,c\",\n\xc3,\xa9x\n\xff,y\nlast\n").unwrap();
        let mut errors = ErrorList::new(10);
        let table = CsvTable::read(&path, true, &mut errors).unwrap();
        assert_eq!(table.header, vec!["id", "name"]);
        let rows: Vec<_> = table
            .rows
            .iter()
            .map(|r| (r.line, r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect();
        assert_eq!(rows, vec![(2, "a", "b,c", "", ""), (5, "last", "", "", "")]);
        let lines: Vec<_> = errors.listed.iter().map(|e| e.line).collect();
        assert_eq!((errors.count, lines), (2, vec![3, 4]));
    }
}
