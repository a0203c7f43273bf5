//! Columnar batches of events: the unit the write path (WAL, memtable, segment builder) and the
//! importers exchange. A batch holds one [`Column`] per entry of [`crate::schema::EVENT_COLUMNS`].

mod id_column;
mod uuid_vec;

pub use id_column::IdColumnBuilder;
pub use uuid_vec::{UuidText, UuidVec};

use std::borrow::Cow;
use std::sync::Mutex;

use crate::error::{Result, StorageError};
use crate::parallel::map_parallel;
use crate::schema::{ColumnType, EVENT_COLUMNS};

/// Concatenations of at least this many rows copy their columns on several threads.
const PARALLEL_CONCAT_ROWS: usize = 1 << 16;

/// A borrowed cell value, used to push rows into a [`BatchBuilder`] and to read single cells.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    /// SQL NULL.
    Null,
    /// An `Int` or `Timestamp` (µs since epoch) cell.
    Int(i64),
    /// A `Double` cell.
    Double(f64),
    /// A `Text` cell.
    Text(&'a str),
    /// A `Text` cell holding a canonical UUID, as its 128 bits and letter case (read from a
    /// [`ColumnData::Uuid`] column; its text, see [`ValueRef::text`], is the canonical hyphenated form).
    Uuid {
        /// The value.
        bits: u128,
        /// Whether its hex letters are upper case.
        upper: bool,
    },
}

impl<'a> ValueRef<'a> {
    /// The text of a `Text` or `Uuid` cell (`None` for other cells and NULL).
    pub fn text(&self) -> Option<Cow<'a, str>> {
        match *self {
            ValueRef::Text(s) => Some(Cow::Borrowed(s)),
            ValueRef::Uuid { bits, upper } => Some(Cow::Owned(UuidText::new(bits, upper).as_str().to_owned())),
            _ => None,
        }
    }
}

/// Variable-length strings stored back to back: value `i` is `bytes[offsets[i]..offsets[i+1]]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StringVec {
    /// `len + 1` offsets into `bytes`, starting at 0.
    pub offsets: Vec<u32>,
    /// The UTF-8 bytes of all values.
    pub bytes: Vec<u8>,
}

impl StringVec {
    /// An empty vector.
    pub fn new() -> StringVec {
        StringVec {
            offsets: vec![0],
            bytes: Vec::new(),
        }
    }

    /// An empty vector with room for `values` values of `bytes` bytes in all.
    pub fn with_capacity(values: usize, bytes: usize) -> StringVec {
        let mut offsets = Vec::with_capacity(values + 1);
        offsets.push(0);
        StringVec {
            offsets,
            bytes: Vec::with_capacity(bytes),
        }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends one value.
    pub fn push(&mut self, s: &str) {
        self.bytes.extend_from_slice(s.as_bytes());
        self.offsets.push(self.bytes.len() as u32);
    }

    /// The bytes of value `i`, without UTF-8 validation. Panics if `i` is out of range.
    pub fn get_bytes(&self, i: usize) -> &[u8] {
        &self.bytes[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    /// Value `i`. Panics if `i` is out of range (an internal invariant, never user input).
    pub fn get(&self, i: usize) -> &str {
        let (a, b) = (self.offsets[i] as usize, self.offsets[i + 1] as usize);
        // Only ever filled from `&str` or validated on decode, so this cannot fail.
        std::str::from_utf8(&self.bytes[a..b]).unwrap_or("")
    }
}

impl<'a> FromIterator<&'a str> for StringVec {
    fn from_iter<I: IntoIterator<Item = &'a str>>(values: I) -> StringVec {
        let mut out = StringVec::new();
        values.into_iter().for_each(|v| out.push(v));
        out
    }
}

/// The values of one column. `Timestamp` and `Int` columns both use `Int`; `Text` columns use `Text`,
/// or `Uuid` when every value is a canonical UUID of one letter case (a representation only: readers
/// that want text see the same strings).
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// `Timestamp` or `Int` values (NULL slots hold 0).
    Int(Vec<i64>),
    /// `Double` values (NULL slots hold 0.0).
    Double(Vec<f64>),
    /// `Text` values (NULL slots hold "").
    Text(StringVec),
    /// `Text` values that are all canonical UUIDs of one case, as 128-bit integers (NULL slots hold 0).
    Uuid(UuidVec),
}

impl ColumnData {
    /// An empty column for a column type.
    pub fn empty(ty: ColumnType) -> ColumnData {
        match ty {
            ColumnType::Timestamp | ColumnType::Int => ColumnData::Int(Vec::new()),
            ColumnType::Double => ColumnData::Double(Vec::new()),
            ColumnType::Text => ColumnData::Text(StringVec::new()),
        }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            ColumnData::Int(v) => v.len(),
            ColumnData::Double(v) => v.len(),
            ColumnData::Text(v) => v.len(),
            ColumnData::Uuid(v) => v.len(),
        }
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One column of a batch: values plus, for nullable columns, a validity vector
/// (`validity[i] == false` means row `i` is NULL). `None` means "no NULLs".
///
/// Equality is by value: a `Uuid` column equals the `Text` column holding the same strings.
#[derive(Debug, Clone)]
pub struct Column {
    /// The values.
    pub data: ColumnData,
    /// Per-row validity, or `None` when every row is non-NULL.
    pub validity: Option<Vec<bool>>,
}

impl Column {
    /// Whether row `i` is NULL.
    pub fn is_null(&self, i: usize) -> bool {
        self.validity.as_ref().is_some_and(|v| !v[i])
    }

    /// The cell at row `i`.
    pub fn get(&self, i: usize) -> ValueRef<'_> {
        if self.is_null(i) {
            return ValueRef::Null;
        }
        match &self.data {
            ColumnData::Int(v) => ValueRef::Int(v[i]),
            ColumnData::Double(v) => ValueRef::Double(v[i]),
            ColumnData::Text(v) => ValueRef::Text(v.get(i)),
            ColumnData::Uuid(v) => ValueRef::Uuid {
                bits: v.values[i],
                upper: v.upper,
            },
        }
    }

    /// The text of row `i` of a text column (`None` for NULL, or if the column is not text).
    pub fn text(&self, i: usize) -> Option<Cow<'_, str>> {
        self.get(i).text()
    }

    /// Whether every row is NULL (and there is at least one row).
    pub fn is_all_null(&self) -> bool {
        self.validity
            .as_ref()
            .is_some_and(|v| !v.is_empty() && !v.contains(&true))
    }

    /// This column with `Uuid` data turned into `Text` (other columns unchanged).
    pub fn into_text(self) -> Column {
        match self.data {
            ColumnData::Uuid(u) => Column {
                data: ColumnData::Text(u.to_strings(self.validity.as_deref())),
                validity: self.validity,
            },
            _ => self,
        }
    }

    /// Turns a `Text` column whose values are all canonical UUIDs of one case into a `Uuid` column
    /// (each value parsed once, here); leaves any other column as it is.
    pub fn parse_uuids(&mut self) {
        if let ColumnData::Text(strings) = &self.data {
            if let Some(uuids) = UuidVec::parse(strings, self.validity.as_deref()) {
                self.data = ColumnData::Uuid(uuids);
            }
        }
    }
}

impl PartialEq for Column {
    fn eq(&self, other: &Column) -> bool {
        if self.validity != other.validity {
            return false;
        }
        match (&self.data, &other.data) {
            (ColumnData::Uuid(u), ColumnData::Text(t)) | (ColumnData::Text(t), ColumnData::Uuid(u)) => {
                u.to_strings(self.validity.as_deref()) == *t
            }
            (a, b) => a == b,
        }
    }
}

/// A set of event rows stored column by column, in [`EVENT_COLUMNS`] order.
#[derive(Debug, Clone, PartialEq)]
pub struct EventBatch {
    /// One column per schema column.
    pub columns: Vec<Column>,
}

impl EventBatch {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.columns.first().map_or(0, |c| c.data.len())
    }

    /// Whether the batch has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `time` column (never NULL).
    pub fn times(&self) -> &[i64] {
        match &self.columns[crate::schema::col::TIME].data {
            ColumnData::Int(v) => v,
            _ => &[],
        }
    }

    /// Turns every text column whose values are all canonical UUIDs of one case into a `Uuid` column,
    /// so that the WAL codec and the segment writer take the 128 bits as they are instead of each
    /// parsing the same strings again. [`crate::Db::append`] does this to every batch it is given.
    pub fn parse_uuid_columns(&mut self) {
        for column in &mut self.columns {
            column.parse_uuids();
        }
    }

    /// Checks column count, types, lengths, validity lengths and non-nullable columns.
    /// Every batch entering the write path goes through this.
    pub fn validate(&self) -> Result<()> {
        if self.columns.len() != EVENT_COLUMNS.len() {
            return Err(StorageError::InvalidInput(format!(
                "batch has {} columns, the events table has {}",
                self.columns.len(),
                EVENT_COLUMNS.len()
            )));
        }
        let n = self.len();
        for (def, c) in EVENT_COLUMNS.iter().zip(&self.columns) {
            let type_ok = matches!(
                (def.ty, &c.data),
                (ColumnType::Timestamp | ColumnType::Int, ColumnData::Int(_))
                    | (ColumnType::Double, ColumnData::Double(_))
                    | (ColumnType::Text, ColumnData::Text(_) | ColumnData::Uuid(_))
            );
            if !type_ok {
                return Err(StorageError::InvalidInput(format!(
                    "column {} has the wrong type",
                    def.name
                )));
            }
            if c.data.len() != n {
                return Err(StorageError::InvalidInput(format!(
                    "column {} has {} rows, expected {n}",
                    def.name,
                    c.data.len()
                )));
            }
            if let Some(v) = &c.validity {
                if v.len() != n {
                    return Err(StorageError::InvalidInput(format!(
                        "column {} validity has wrong length",
                        def.name
                    )));
                }
                if !def.nullable && v.iter().any(|ok| !ok) {
                    return Err(StorageError::InvalidInput(format!(
                        "column {} may not be NULL",
                        def.name
                    )));
                }
            }
        }
        Ok(())
    }

    /// A new batch holding the rows at `indices`, in that order.
    pub fn take(&self, indices: &[usize]) -> EventBatch {
        let columns = self
            .columns
            .iter()
            .map(|c| {
                let data = match &c.data {
                    ColumnData::Int(v) => ColumnData::Int(indices.iter().map(|&i| v[i]).collect()),
                    ColumnData::Double(v) => ColumnData::Double(indices.iter().map(|&i| v[i]).collect()),
                    ColumnData::Text(v) => {
                        let bytes = indices.iter().map(|&i| v.get_bytes(i).len()).sum();
                        let mut out = StringVec::with_capacity(indices.len(), bytes);
                        for &i in indices {
                            out.push(v.get(i));
                        }
                        ColumnData::Text(out)
                    }
                    ColumnData::Uuid(v) => ColumnData::Uuid(UuidVec {
                        values: indices.iter().map(|&i| v.values[i]).collect(),
                        upper: v.upper,
                    }),
                };
                let validity = c.validity.as_ref().map(|v| indices.iter().map(|&i| v[i]).collect());
                Column { data, validity }
            })
            .collect();
        EventBatch { columns }
    }

    /// One batch holding the rows of `batches` (same schema) in order. Every column is allocated once
    /// at its final size, so each row is copied exactly once: growing a batch by repeated
    /// [`EventBatch::extend`] reallocates and copies its columns again at every doubling.
    pub fn concat(batches: &[&EventBatch]) -> EventBatch {
        EventBatch::concat_reusing(batches, None)
    }

    /// [`EventBatch::concat`] into the column vectors of `spare` (a batch no longer needed), so that a
    /// caller concatenating batch after batch (the flusher) writes into memory already mapped instead of
    /// faulting in fresh pages every time. A `Uuid` column stays `Uuid` if every batch holds it as UUIDs
    /// of one case or only NULLs.
    pub fn concat_reusing(batches: &[&EventBatch], spare: Option<EventBatch>) -> EventBatch {
        let Some((first, rest)) = batches.split_first() else {
            return BatchBuilder::new().finish();
        };
        if rest.is_empty() {
            return (*first).clone();
        }
        let rows: usize = batches.iter().map(|b| b.len()).sum();
        // Each column's spare vectors, taken by whichever thread builds that column.
        let spare: Vec<Mutex<Option<Column>>> = spare.map_or_else(Vec::new, |b| {
            b.columns.into_iter().map(|c| Mutex::new(Some(c))).collect()
        });
        // Columns are independent: they are concatenated on every core for a batch worth it.
        let columns = map_parallel(first.columns.len(), rows >= PARALLEL_CONCAT_ROWS, |c| {
            let reused = spare.get(c).and_then(|s| s.lock().ok()?.take());
            concat_column(batches, c, rows, reused)
        });
        EventBatch { columns }
    }

    /// Appends all rows of `other` (same schema) to `self`. A `Uuid` column meeting text (or UUIDs of
    /// the other letter case) becomes `Text`.
    pub fn extend(&mut self, other: &EventBatch) {
        let n_self = self.len();
        let n_other = other.len();
        for (a, b) in self.columns.iter_mut().zip(&other.columns) {
            a.extend_from(b, n_self, n_other);
        }
    }
}

impl Column {
    /// Appends the `n_other` rows of `b` (same type) to this column of `n_self` rows. A `Uuid` column
    /// meeting text (or UUIDs of the other letter case) becomes `Text`.
    fn extend_from(&mut self, b: &Column, n_self: usize, n_other: usize) {
        let a = self;
        let same_case = matches!((&a.data, &b.data), (ColumnData::Uuid(x), ColumnData::Uuid(y)) if x.upper == y.upper);
        let b_all_null = b.is_all_null();
        if let (ColumnData::Uuid(x), true) = (&mut a.data, b_all_null) {
            // NULLs only: they fit a UUID column of either case.
            x.values.resize(x.values.len() + n_other, 0);
        } else if matches!(a.data, ColumnData::Uuid(_)) && !same_case {
            *a = std::mem::replace(
                a,
                Column {
                    data: ColumnData::Int(Vec::new()),
                    validity: None,
                },
            )
            .into_text();
        }
        match (&mut a.data, &b.data) {
            (ColumnData::Int(x), ColumnData::Int(y)) => x.extend_from_slice(y),
            (ColumnData::Double(x), ColumnData::Double(y)) => x.extend_from_slice(y),
            (ColumnData::Uuid(x), ColumnData::Uuid(y)) if !b_all_null => x.values.extend_from_slice(&y.values),
            (ColumnData::Text(x), ColumnData::Text(y)) => {
                let base = x.bytes.len() as u32;
                x.bytes.extend_from_slice(&y.bytes);
                x.offsets.extend(y.offsets[1..].iter().map(|o| o + base));
            }
            (ColumnData::Text(x), ColumnData::Uuid(y)) => {
                for i in 0..y.len() {
                    if !b.is_null(i) {
                        y.push_text(i, &mut x.bytes);
                    }
                    x.offsets.push(x.bytes.len() as u32);
                }
            }
            _ => {}
        }
        match (&mut a.validity, &b.validity) {
            (None, None) => {}
            (Some(x), None) => x.extend(std::iter::repeat_n(true, n_other)),
            (None, Some(y)) => {
                let mut v = vec![true; n_self];
                v.extend_from_slice(y);
                a.validity = Some(v);
            }
            (Some(x), Some(y)) => x.extend_from_slice(y),
        }
    }
}

/// Column `c` of `batches` (at least one) concatenated, `rows` in all, into the vectors of `reused` (the
/// same column of a batch no longer needed) if given. It stays `Uuid` if every batch holds it as UUIDs
/// of one case or only NULLs.
fn concat_column(batches: &[&EventBatch], c: usize, rows: usize, reused: Option<Column>) -> Column {
    let column = &batches[0].columns[c];
    let (reused_data, reused_validity) = match reused {
        Some(col) => (Some(col.data), col.validity),
        None => (None, None),
    };
    let uuid_case = batches.iter().try_fold(None, |case, b| {
        let col = &b.columns[c];
        match (&col.data, case) {
            _ if col.is_all_null() => Some(case),
            (ColumnData::Uuid(u), None) => Some(Some(u.upper)),
            (ColumnData::Uuid(u), Some(upper)) if u.upper == upper => Some(Some(upper)),
            _ => None,
        }
    });
    let uuids = uuid_case.is_some() && batches.iter().any(|b| matches!(b.columns[c].data, ColumnData::Uuid(_)));
    let data = match (&column.data, reused_data) {
        (ColumnData::Int(_), Some(ColumnData::Int(v))) => ColumnData::Int(emptied(v, rows)),
        (ColumnData::Int(_), _) => ColumnData::Int(Vec::with_capacity(rows)),
        (ColumnData::Double(_), Some(ColumnData::Double(v))) => ColumnData::Double(emptied(v, rows)),
        (ColumnData::Double(_), _) => ColumnData::Double(Vec::with_capacity(rows)),
        (ColumnData::Text(_) | ColumnData::Uuid(_), reused) if uuids => {
            let values = match reused {
                Some(ColumnData::Uuid(u)) => emptied(u.values, rows),
                _ => Vec::with_capacity(rows),
            };
            let upper = uuid_case.flatten().unwrap_or(false);
            ColumnData::Uuid(UuidVec { values, upper })
        }
        (ColumnData::Text(_) | ColumnData::Uuid(_), reused) => {
            let bytes = batches
                .iter()
                .map(|b| match &b.columns[c].data {
                    ColumnData::Text(v) => v.bytes.len(),
                    ColumnData::Uuid(v) => v.len() * crate::uuid::UUID_LEN,
                    _ => 0,
                })
                .sum();
            match reused {
                Some(ColumnData::Text(t)) => {
                    let mut offsets = emptied(t.offsets, rows + 1);
                    offsets.push(0);
                    let bytes = emptied(t.bytes, bytes);
                    ColumnData::Text(StringVec { offsets, bytes })
                }
                _ => ColumnData::Text(StringVec::with_capacity(rows, bytes)),
            }
        }
    };
    let any_null = batches.iter().any(|b| b.columns[c].validity.is_some());
    let validity = any_null.then(|| emptied(reused_validity.unwrap_or_default(), rows));
    let mut out = Column { data, validity };
    let mut len = 0;
    for b in batches {
        out.extend_from(&b.columns[c], len, b.len());
        len += b.len();
    }
    out
}

/// `v` emptied, with room for `n` elements: a vector to fill again without allocating.
fn emptied<T>(mut v: Vec<T>, n: usize) -> Vec<T> {
    v.clear();
    v.reserve(n);
    v
}

/// Builds an [`EventBatch`] row by row.
#[derive(Debug, Clone)]
pub struct BatchBuilder {
    columns: Vec<Column>,
    rows: usize,
}

impl Default for BatchBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl BatchBuilder {
    /// An empty builder for the events schema.
    pub fn new() -> BatchBuilder {
        let columns = EVENT_COLUMNS
            .iter()
            .map(|d| Column {
                data: ColumnData::empty(d.ty),
                validity: d.nullable.then(Vec::new),
            })
            .collect();
        BatchBuilder { columns, rows: 0 }
    }

    /// Rows pushed so far.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no rows were pushed.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Appends one row; `row` has one value per schema column. A type mismatch, a NULL in a
    /// non-nullable column or a wrong value count is an `InvalidInput` error and leaves the builder unchanged.
    pub fn push_row(&mut self, row: &[ValueRef<'_>]) -> Result<()> {
        if row.len() != EVENT_COLUMNS.len() {
            return Err(StorageError::InvalidInput(format!(
                "row has {} values, the events table has {} columns",
                row.len(),
                EVENT_COLUMNS.len()
            )));
        }
        for (def, v) in EVENT_COLUMNS.iter().zip(row) {
            let ok = match (def.ty, v) {
                (_, ValueRef::Null) => def.nullable,
                (ColumnType::Timestamp | ColumnType::Int, ValueRef::Int(_)) => true,
                (ColumnType::Double, ValueRef::Double(_)) => true,
                (ColumnType::Text, ValueRef::Text(_) | ValueRef::Uuid { .. }) => true,
                _ => false,
            };
            if !ok {
                return Err(StorageError::InvalidInput(format!(
                    "bad value {v:?} for column {}",
                    def.name
                )));
            }
        }
        for (c, v) in self.columns.iter_mut().zip(row) {
            let is_null = matches!(v, ValueRef::Null);
            if let Some(valid) = &mut c.validity {
                valid.push(!is_null);
            }
            match (&mut c.data, v) {
                (ColumnData::Int(x), ValueRef::Int(i)) => x.push(*i),
                (ColumnData::Int(x), _) => x.push(0),
                (ColumnData::Double(x), ValueRef::Double(f)) => x.push(*f),
                (ColumnData::Double(x), _) => x.push(0.0),
                (ColumnData::Text(x), ValueRef::Text(s)) => x.push(s),
                (ColumnData::Text(x), ValueRef::Uuid { bits, upper }) => x.push(UuidText::new(*bits, *upper).as_str()),
                (ColumnData::Text(x), _) => x.push(""),
                (ColumnData::Uuid(x), _) => x.values.push(0),
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// Finishes the batch; nullable columns without any NULL get `validity: None`.
    pub fn finish(self) -> EventBatch {
        let columns = self
            .columns
            .into_iter()
            .map(|mut c| {
                if c.validity.as_ref().is_some_and(|v| v.iter().all(|&b| b)) {
                    c.validity = None;
                }
                c
            })
            .collect();
        EventBatch { columns }
    }

    /// Takes the rows built so far as a batch and leaves the builder empty for reuse.
    pub fn take_batch(&mut self) -> EventBatch {
        std::mem::take(self).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::col;

    fn row<'a>(t: i64, id: &'a str, student: &'a str, grade: Option<f64>) -> Vec<ValueRef<'a>> {
        let mut r = vec![ValueRef::Null; col::COUNT];
        r[col::TIME] = ValueRef::Int(t);
        r[col::SIGNAL_ID] = ValueRef::Text(id);
        r[col::SIGNAL] = ValueRef::Text("VisitTeamChannel");
        r[col::APP] = ValueRef::Text("Teams");
        r[col::STUDENT] = ValueRef::Text(student);
        r[col::GRADE] = grade.map_or(ValueRef::Null, ValueRef::Double);
        r
    }

    #[test]
    fn builder_round_trips_values_and_nulls() {
        let mut b = BatchBuilder::new();
        b.push_row(&row(10, "a", "s1", Some(1.5))).unwrap();
        b.push_row(&row(20, "b", "s2", None)).unwrap();
        let batch = b.finish();
        batch.validate().unwrap();
        assert_eq!(batch.len(), 2);
        assert_eq!(batch.columns[col::STUDENT].get(1), ValueRef::Text("s2"));
        assert_eq!(batch.columns[col::GRADE].get(0), ValueRef::Double(1.5));
        assert_eq!(batch.columns[col::GRADE].get(1), ValueRef::Null);
        assert_eq!(batch.columns[col::CLASS].get(0), ValueRef::Null);
        let taken = batch.take(&[1]);
        assert_eq!(taken.columns[col::SIGNAL_ID].get(0), ValueRef::Text("b"));
        let mut ext = batch.take(&[0]);
        ext.extend(&taken);
        assert_eq!(ext.len(), 2);
        assert_eq!(ext.columns[col::GRADE].get(1), ValueRef::Null);
        assert_eq!(ext, batch);
    }

    #[test]
    fn concat_holds_every_row_in_order_with_its_nulls() {
        let mut b = BatchBuilder::new();
        b.push_row(&row(10, "a", "s1", Some(1.5))).unwrap();
        b.push_row(&row(20, "bb", "s2", None)).unwrap();
        b.push_row(&row(30, "ccc", "s3", Some(2.5))).unwrap();
        let whole = b.finish();
        // A batch without NULLs between two with them, and an empty one.
        let parts = [whole.take(&[0]), whole.take(&[1]), whole.take(&[]), whole.take(&[2])];
        let refs: Vec<&EventBatch> = parts.iter().collect();
        let joined = EventBatch::concat(&refs);
        joined.validate().unwrap();
        assert_eq!(joined, whole);
        assert_eq!(EventBatch::concat(&refs[..1]), parts[0]);
        assert!(EventBatch::concat(&[]).is_empty());
    }

    /// UUID columns stay UUIDs through a concatenation when the other batches hold them as UUIDs of the
    /// same case or hold only NULLs there, and become the same text otherwise; reusing a spare batch's
    /// vectors gives the same batch.
    #[test]
    fn concat_keeps_uuid_columns_and_reuses_spare_vectors() {
        let ids = [
            "020ed8ae-8f5f-4127-9ac2-bf214d535a86",
            "5CA2485D-59CB-4207-8359-4056C7704656",
        ];
        let mut b = BatchBuilder::new();
        b.push_row(&row(10, ids[0], ids[0], Some(1.0))).unwrap();
        b.push_row(&row(20, ids[0], ids[0], None)).unwrap();
        let mut class_less = b.finish();
        let mut with_class = class_less.clone();
        with_class.columns[col::CLASS] = Column {
            data: ColumnData::Text([ids[0], ids[0]].into_iter().collect()),
            validity: None,
        };
        let mut upper = with_class.clone();
        upper.columns[col::CLASS].data = ColumnData::Text([ids[1], ids[1]].into_iter().collect());
        for batch in [&mut class_less, &mut with_class, &mut upper] {
            batch.parse_uuid_columns();
        }
        assert!(matches!(class_less.columns[col::CLASS].data, ColumnData::Text(_)));
        let joined = EventBatch::concat(&[&with_class, &class_less, &with_class]);
        assert!(matches!(joined.columns[col::CLASS].data, ColumnData::Uuid(_)));
        assert_eq!(joined.columns[col::CLASS].text(1).as_deref(), Some(ids[0]));
        assert_eq!(joined.columns[col::CLASS].text(2), None);
        let mixed = EventBatch::concat(&[&with_class, &class_less, &upper]);
        assert!(matches!(mixed.columns[col::CLASS].data, ColumnData::Text(_)));
        assert_eq!(mixed.columns[col::CLASS].text(4).as_deref(), Some(ids[1]));
        assert_eq!(mixed.columns[col::CLASS].text(1).as_deref(), Some(ids[0]));
        let reused = EventBatch::concat_reusing(&[&with_class, &class_less, &upper], Some(joined.clone()));
        assert_eq!(reused, mixed);
        let reused = EventBatch::concat_reusing(&[&with_class, &class_less, &with_class], Some(mixed));
        assert_eq!(reused, joined);
    }

    #[test]
    fn builder_rejects_null_in_required_column() {
        let mut b = BatchBuilder::new();
        let mut r = row(1, "a", "s", None);
        r[col::STUDENT] = ValueRef::Null;
        assert!(b.push_row(&r).is_err());
        assert!(b.is_empty());
    }
}
