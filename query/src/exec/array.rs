//! Columnar arrays the executor computes on. Text read from a segment stays dictionary-encoded
//! ([`TextArray::Dict`]: row → id into the segment's dictionary) so comparisons, grouping and joins work
//! on ids and look at each distinct string once.

use std::sync::Arc;

use crate::time::Interval;
use crate::value::{DataType, Value};

/// Per-row validity; `None` means every row is valid (non-NULL).
pub type Validity = Option<Vec<bool>>;

/// Whether row `i` is valid under `v`.
#[inline]
pub fn is_valid(v: &Validity, i: usize) -> bool {
    v.as_ref().is_none_or(|v| v[i])
}

/// Text values of a column.
#[derive(Debug, Clone)]
pub enum TextArray<'a> {
    /// Row `i` is `dict[ids[i]]`; `sorted` says the dictionary is strictly ascending (segment dictionaries
    /// are), so id order is string order.
    Dict {
        /// Dictionary ids per row (0 for NULL rows).
        ids: Vec<u32>,
        /// The dictionary.
        dict: &'a [String],
        /// Whether `dict` is strictly ascending.
        sorted: bool,
        /// NULL rows.
        valid: Validity,
    },
    /// One string per row (empty for NULL rows).
    Plain {
        /// The strings.
        values: Vec<Arc<str>>,
        /// NULL rows.
        valid: Validity,
    },
}

/// A column of values of one type.
#[derive(Debug, Clone)]
pub enum Array<'a> {
    /// BOOLEAN
    Bool(Vec<bool>, Validity),
    /// BIGINT
    Int(Vec<i64>, Validity),
    /// DOUBLE
    Double(Vec<f64>, Validity),
    /// TIMESTAMP (µs)
    Timestamp(Vec<i64>, Validity),
    /// INTERVAL
    Interval(Vec<Interval>, Validity),
    /// TEXT
    Text(TextArray<'a>),
    /// `len` NULLs of unknown type.
    Null(usize),
}

impl<'a> TextArray<'a> {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            TextArray::Dict { ids, .. } => ids.len(),
            TextArray::Plain { values, .. } => values.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Validity.
    pub fn validity(&self) -> &Validity {
        match self {
            TextArray::Dict { valid, .. } | TextArray::Plain { valid, .. } => valid,
        }
    }

    /// The string at row `i` (`None` if NULL).
    #[inline]
    pub fn get(&self, i: usize) -> Option<&str> {
        if !is_valid(self.validity(), i) {
            return None;
        }
        match self {
            TextArray::Dict { ids, dict, .. } => dict.get(ids[i] as usize).map(String::as_str),
            TextArray::Plain { values, .. } => Some(&values[i]),
        }
    }
}

impl<'a> Array<'a> {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Array::Bool(v, _) => v.len(),
            Array::Int(v, _) | Array::Timestamp(v, _) => v.len(),
            Array::Double(v, _) => v.len(),
            Array::Interval(v, _) => v.len(),
            Array::Text(t) => t.len(),
            Array::Null(n) => *n,
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The type of the values.
    pub fn data_type(&self) -> DataType {
        match self {
            Array::Bool(..) => DataType::Bool,
            Array::Int(..) => DataType::Int,
            Array::Double(..) => DataType::Double,
            Array::Timestamp(..) => DataType::Timestamp,
            Array::Interval(..) => DataType::Interval,
            Array::Text(_) => DataType::Text,
            Array::Null(_) => DataType::Null,
        }
    }

    /// Whether row `i` is valid (non-NULL).
    #[inline]
    pub fn is_valid(&self, i: usize) -> bool {
        match self {
            Array::Bool(_, v) | Array::Int(_, v) | Array::Double(_, v) | Array::Timestamp(_, v) | Array::Interval(_, v) => {
                is_valid(v, i)
            }
            Array::Text(t) => is_valid(t.validity(), i),
            Array::Null(_) => false,
        }
    }

    /// The value at row `i`.
    pub fn value(&self, i: usize) -> Value {
        if !self.is_valid(i) {
            return Value::Null;
        }
        match self {
            Array::Bool(v, _) => Value::Bool(v[i]),
            Array::Int(v, _) => Value::Int(v[i]),
            Array::Double(v, _) => Value::Double(v[i]),
            Array::Timestamp(v, _) => Value::Timestamp(v[i]),
            Array::Interval(v, _) => Value::Interval(v[i]),
            Array::Text(t) => t.get(i).map_or(Value::Null, |s| Value::Text(s.to_string())),
            Array::Null(_) => Value::Null,
        }
    }

    /// `len` copies of `v`, as an array of type `ty`.
    pub fn constant(v: &Value, ty: DataType, len: usize) -> Array<'static> {
        let null = v.is_null();
        let valid = if null { Some(vec![false; len]) } else { None };
        match (ty, v) {
            (DataType::Bool, v) => Array::Bool(vec![matches!(v, Value::Bool(true)); len], valid),
            (DataType::Int, v) => Array::Int(vec![if let Value::Int(i) = v { *i } else { 0 }; len], valid),
            (DataType::Double, v) => Array::Double(vec![if let Value::Double(d) = v { *d } else { 0.0 }; len], valid),
            (DataType::Timestamp, v) => {
                Array::Timestamp(vec![if let Value::Timestamp(t) = v { *t } else { 0 }; len], valid)
            }
            (DataType::Interval, v) => {
                Array::Interval(vec![if let Value::Interval(i) = v { *i } else { Interval::default() }; len], valid)
            }
            (DataType::Text, v) => {
                let s: Arc<str> = if let Value::Text(s) = v { Arc::from(s.as_str()) } else { Arc::from("") };
                Array::Text(TextArray::Plain { values: vec![s; len], valid })
            }
            (DataType::Null, _) => Array::Null(len),
        }
    }

    /// Builds an array of type `ty` from values (each NULL or of type `ty`).
    pub fn from_values(ty: DataType, values: &[Value]) -> Array<'static> {
        let valid: Vec<bool> = values.iter().map(|v| !v.is_null()).collect();
        let validity = if valid.iter().all(|&b| b) { None } else { Some(valid) };
        match ty {
            DataType::Bool => {
                Array::Bool(values.iter().map(|v| matches!(v, Value::Bool(true))).collect(), validity)
            }
            DataType::Int => Array::Int(
                values.iter().map(|v| if let Value::Int(i) = v { *i } else { 0 }).collect(),
                validity,
            ),
            DataType::Double => Array::Double(
                values
                    .iter()
                    .map(|v| match v {
                        Value::Double(d) => *d,
                        Value::Int(i) => *i as f64,
                        _ => 0.0,
                    })
                    .collect(),
                validity,
            ),
            DataType::Timestamp => Array::Timestamp(
                values.iter().map(|v| if let Value::Timestamp(t) = v { *t } else { 0 }).collect(),
                validity,
            ),
            DataType::Interval => Array::Interval(
                values.iter().map(|v| if let Value::Interval(i) = v { *i } else { Interval::default() }).collect(),
                validity,
            ),
            DataType::Text => {
                let empty: Arc<str> = Arc::from("");
                Array::Text(TextArray::Plain {
                    values: values
                        .iter()
                        .map(|v| if let Value::Text(s) = v { Arc::from(s.as_str()) } else { empty.clone() })
                        .collect(),
                    valid: validity,
                })
            }
            DataType::Null => Array::Null(values.len()),
        }
    }

    /// The rows at `rows` (`None` entries become NULL), in that order.
    pub fn take_opt(&self, rows: &[Option<u32>]) -> Array<'a> {
        let valid = |v: &Validity| -> Validity {
            let any_null = rows.iter().any(|r| r.is_none_or(|r| !is_valid(v, r as usize)));
            any_null.then(|| rows.iter().map(|r| r.is_some_and(|r| is_valid(v, r as usize))).collect())
        };
        fn pick<T: Copy + Default>(v: &[T], rows: &[Option<u32>]) -> Vec<T> {
            rows.iter().map(|r| r.map_or(T::default(), |r| v[r as usize])).collect()
        }
        match self {
            Array::Bool(v, va) => Array::Bool(pick(v, rows), valid(va)),
            Array::Int(v, va) => Array::Int(pick(v, rows), valid(va)),
            Array::Double(v, va) => Array::Double(pick(v, rows), valid(va)),
            Array::Timestamp(v, va) => Array::Timestamp(pick(v, rows), valid(va)),
            Array::Interval(v, va) => Array::Interval(pick(v, rows), valid(va)),
            Array::Text(TextArray::Dict { ids, dict, sorted, valid: va }) => {
                Array::Text(TextArray::Dict { ids: pick(ids, rows), dict, sorted: *sorted, valid: valid(va) })
            }
            Array::Text(TextArray::Plain { values, valid: va }) => {
                let empty: Arc<str> = Arc::from("");
                Array::Text(TextArray::Plain {
                    values: rows.iter().map(|r| r.map_or(empty.clone(), |r| values[r as usize].clone())).collect(),
                    valid: valid(va),
                })
            }
            Array::Null(_) => Array::Null(rows.len()),
        }
    }

    /// The rows at `rows`, in that order.
    pub fn take(&self, rows: &[u32]) -> Array<'a> {
        let valid = |v: &Validity| -> Validity { v.as_ref().map(|v| rows.iter().map(|&r| v[r as usize]).collect()) };
        fn pick<T: Copy>(v: &[T], rows: &[u32]) -> Vec<T> {
            rows.iter().map(|&r| v[r as usize]).collect()
        }
        match self {
            Array::Bool(v, va) => Array::Bool(pick(v, rows), valid(va)),
            Array::Int(v, va) => Array::Int(pick(v, rows), valid(va)),
            Array::Double(v, va) => Array::Double(pick(v, rows), valid(va)),
            Array::Timestamp(v, va) => Array::Timestamp(pick(v, rows), valid(va)),
            Array::Interval(v, va) => Array::Interval(pick(v, rows), valid(va)),
            Array::Text(TextArray::Dict { ids, dict, sorted, valid: va }) => {
                Array::Text(TextArray::Dict { ids: pick(ids, rows), dict, sorted: *sorted, valid: valid(va) })
            }
            Array::Text(TextArray::Plain { values, valid: va }) => Array::Text(TextArray::Plain {
                values: rows.iter().map(|&r| values[r as usize].clone()).collect(),
                valid: valid(va),
            }),
            Array::Null(_) => Array::Null(rows.len()),
        }
    }

    /// A copy that owns its text (dictionary-encoded text is decoded), so it can outlive the segment.
    pub fn into_owned(self) -> Array<'static> {
        match self {
            Array::Bool(v, va) => Array::Bool(v, va),
            Array::Int(v, va) => Array::Int(v, va),
            Array::Double(v, va) => Array::Double(v, va),
            Array::Timestamp(v, va) => Array::Timestamp(v, va),
            Array::Interval(v, va) => Array::Interval(v, va),
            Array::Text(TextArray::Plain { values, valid }) => Array::Text(TextArray::Plain { values, valid }),
            Array::Text(TextArray::Dict { ids, dict, valid, .. }) => {
                // Decode each distinct id once and share it between rows.
                let mut decoded: Vec<Option<Arc<str>>> = vec![None; dict.len()];
                let empty: Arc<str> = Arc::from("");
                let values = ids
                    .iter()
                    .enumerate()
                    .map(|(row, &id)| {
                        if !is_valid(&valid, row) {
                            return empty.clone();
                        }
                        decoded[id as usize].get_or_insert_with(|| Arc::from(dict[id as usize].as_str())).clone()
                    })
                    .collect();
                Array::Text(TextArray::Plain { values, valid })
            }
            Array::Null(n) => Array::Null(n),
        }
    }

}

impl Array<'static> {
    /// Appends `other` (same type, or NULL-typed on either side) to `self`.
    pub fn append(&mut self, other: Array<'_>) {
        let (n_self, n_other) = (self.len(), other.len());
        fn merge_valid(a: &mut Validity, b: Validity, n_self: usize, n_other: usize) {
            match (a.as_mut(), b) {
                (None, None) => {}
                (Some(x), None) => x.extend(std::iter::repeat_n(true, n_other)),
                (None, Some(y)) => {
                    let mut v = vec![true; n_self];
                    v.extend(y);
                    *a = Some(v);
                }
                (Some(x), Some(y)) => x.extend(y),
            }
        }
        if let Array::Null(_) = self {
            let ty = other.data_type();
            *self = Array::constant(&Value::Null, ty, n_self);
        }
        let other = match other {
            Array::Null(n) => Array::constant(&Value::Null, self.data_type(), n),
            o => o.into_owned(),
        };
        match (self, other) {
            (Array::Bool(a, va), Array::Bool(b, vb)) => {
                a.extend(b);
                merge_valid(va, vb, n_self, n_other)
            }
            (Array::Int(a, va), Array::Int(b, vb)) | (Array::Timestamp(a, va), Array::Timestamp(b, vb)) => {
                a.extend(b);
                merge_valid(va, vb, n_self, n_other)
            }
            (Array::Double(a, va), Array::Double(b, vb)) => {
                a.extend(b);
                merge_valid(va, vb, n_self, n_other)
            }
            (Array::Interval(a, va), Array::Interval(b, vb)) => {
                a.extend(b);
                merge_valid(va, vb, n_self, n_other)
            }
            (Array::Text(TextArray::Plain { values: a, valid: va }), Array::Text(TextArray::Plain { values: b, valid: vb })) => {
                a.extend(b);
                merge_valid(va, vb, n_self, n_other)
            }
            (s, o) => {
                // Types of one column always agree; convert through values as a last resort.
                let ty = s.data_type();
                let mut vals: Vec<Value> = (0..s.len()).map(|i| s.value(i)).collect();
                vals.extend((0..o.len()).map(|i| o.value(i)));
                *s = Array::from_values(ty, &vals);
            }
        }
    }

}

impl Array<'_> {
    /// Approximate heap bytes (for the memory budget).
    pub fn heap_bytes(&self) -> usize {
        let n = self.len();
        match self {
            Array::Bool(..) => n * 2,
            Array::Int(..) | Array::Double(..) | Array::Timestamp(..) => n * 9,
            Array::Interval(..) => n * 17,
            Array::Text(TextArray::Dict { .. }) => n * 5,
            Array::Text(TextArray::Plain { values, .. }) => n * 17 + values.iter().map(|s| s.len()).sum::<usize>() / 2,
            Array::Null(_) => 0,
        }
    }
}

/// A materialized table: one array per column, all of the same length.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// The columns.
    pub columns: Vec<Array<'static>>,
    /// Number of rows (kept separately so a batch without columns can have rows).
    pub rows: usize,
}

impl Batch {
    /// An empty batch with the given column types.
    pub fn empty(types: &[DataType]) -> Batch {
        Batch { columns: types.iter().map(|t| Array::constant(&Value::Null, *t, 0)).collect(), rows: 0 }
    }

    /// Builds a batch from rows of values.
    pub fn from_rows(types: &[DataType], rows: &[Vec<Value>]) -> Batch {
        let columns = types
            .iter()
            .enumerate()
            .map(|(c, ty)| {
                let vals: Vec<Value> = rows.iter().map(|r| r[c].clone()).collect();
                Array::from_values(*ty, &vals)
            })
            .collect();
        Batch { columns, rows: rows.len() }
    }

    /// Row `i` as values.
    pub fn row(&self, i: usize) -> Vec<Value> {
        self.columns.iter().map(|c| c.value(i)).collect()
    }

    /// Approximate heap bytes.
    pub fn heap_bytes(&self) -> usize {
        self.columns.iter().map(Array::heap_bytes).sum()
    }
}
