//! Small CSV tables of a roster (headered or headerless), loaded whole with line numbers.

use std::path::{Path, PathBuf};

use crate::error::{ErrorList, ImportError, RowError};

/// One row of a roster table.
#[derive(Debug, Clone)]
pub struct CsvRow {
    /// 1-based line the row starts on.
    pub line: u64,
    /// The fields, unquoted.
    pub fields: Vec<String>,
}

impl CsvRow {
    /// Field `i` with surrounding spaces removed, or `""` if the row is shorter.
    pub fn get(&self, i: usize) -> &str {
        self.fields.get(i).map_or("", |s| s.trim())
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
            let fields: Result<Vec<String>, _> = record
                .iter()
                .map(|f| std::str::from_utf8(f).map(str::to_string))
                .collect();
            let Ok(mut fields) = fields else {
                errors.push(RowError::new(path, line, "invalid UTF-8"));
                continue;
            };
            if has_header && header.is_empty() {
                if let Some(first) = fields.first_mut() {
                    *first = first.trim_start_matches('\u{feff}').to_string();
                }
                header = fields.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
                continue;
            }
            rows.push(CsvRow { line, fields });
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
