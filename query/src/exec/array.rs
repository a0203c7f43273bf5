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

/// A dictionary of text values: borrowed from a segment, or shared (roster tables, join outputs).
#[derive(Debug, Clone)]
pub struct DictRef<'a> {
    strings: DictStrings<'a>,
    /// Whether the entries are strictly ascending (segment dictionaries are), so id order is string order.
    pub sorted: bool,
    /// A stable identity of the dictionary's content across queries (a persisted segment's column, a
    /// cached roster column), under which codes for grouping are cached; `None` for transient ones.
    pub id: Option<u64>,
}

#[derive(Debug, Clone)]
enum DictStrings<'a> {
    Borrowed(&'a [String]),
    Shared(Arc<[String]>),
}

impl<'a> DictRef<'a> {
    /// A dictionary borrowed from storage that outlives the query step.
    pub fn borrowed(strings: &'a [String], sorted: bool, id: Option<u64>) -> DictRef<'a> {
        DictRef {
            strings: DictStrings::Borrowed(strings),
            sorted,
            id,
        }
    }

    /// A dictionary owned by the arrays that use it.
    pub fn shared(strings: Arc<[String]>, sorted: bool, id: Option<u64>) -> DictRef<'static> {
        DictRef {
            strings: DictStrings::Shared(strings),
            sorted,
            id,
        }
    }

    /// The same dictionary with a `'static` lifetime, if it is shared (not borrowed from a segment).
    pub fn as_shared(&self) -> Option<DictRef<'static>> {
        match &self.strings {
            DictStrings::Shared(s) => Some(DictRef {
                strings: DictStrings::Shared(s.clone()),
                sorted: self.sorted,
                id: self.id,
            }),
            DictStrings::Borrowed(_) => None,
        }
    }

    /// Identity of the entries in memory (for per-query caches).
    pub fn addr(&self) -> (usize, usize) {
        (self.as_ptr() as usize, self.len())
    }
}

impl std::ops::Deref for DictRef<'_> {
    type Target = [String];
    fn deref(&self) -> &[String] {
        match &self.strings {
            DictStrings::Borrowed(s) => s,
            DictStrings::Shared(s) => s,
        }
    }
}

/// Text values of a column.
#[derive(Debug, Clone)]
pub enum TextArray<'a> {
    /// Row `i` is `dict[ids[i]]`.
    Dict {
        /// Dictionary ids per row (0 for NULL rows).
        ids: Vec<u32>,
        /// The dictionary.
        dict: DictRef<'a>,
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
            Array::Bool(_, v)
            | Array::Int(_, v)
            | Array::Double(_, v)
            | Array::Timestamp(_, v)
            | Array::Interval(_, v) => is_valid(v, i),
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
            (DataType::Interval, v) => Array::Interval(
                vec![
                    if let Value::Interval(i) = v {
                        *i
                    } else {
                        Interval::default()
                    };
                    len
                ],
                valid,
            ),
            (DataType::Text, v) => {
                let s: Arc<str> = if let Value::Text(s) = v {
                    Arc::from(s.as_str())
                } else {
                    Arc::from("")
                };
                Array::Text(TextArray::Plain {
                    values: vec![s; len],
                    valid,
                })
            }
            (DataType::Null, _) => Array::Null(len),
        }
    }

    /// Builds an array of type `ty` from values (each NULL or of type `ty`).
    pub fn from_values(ty: DataType, values: &[Value]) -> Array<'static> {
        let valid: Vec<bool> = values.iter().map(|v| !v.is_null()).collect();
        let validity = if valid.iter().all(|&b| b) { None } else { Some(valid) };
        match ty {
            DataType::Bool => Array::Bool(
                values.iter().map(|v| matches!(v, Value::Bool(true))).collect(),
                validity,
            ),
            DataType::Int => Array::Int(
                values
                    .iter()
                    .map(|v| if let Value::Int(i) = v { *i } else { 0 })
                    .collect(),
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
                values
                    .iter()
                    .map(|v| if let Value::Timestamp(t) = v { *t } else { 0 })
                    .collect(),
                validity,
            ),
            DataType::Interval => Array::Interval(
                values
                    .iter()
                    .map(|v| {
                        if let Value::Interval(i) = v {
                            *i
                        } else {
                            Interval::default()
                        }
                    })
                    .collect(),
                validity,
            ),
            DataType::Text => {
                let empty: Arc<str> = Arc::from("");
                Array::Text(TextArray::Plain {
                    values: values
                        .iter()
                        .map(|v| {
                            if let Value::Text(s) = v {
                                Arc::from(s.as_str())
                            } else {
                                empty.clone()
                            }
                        })
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
            any_null.then(|| {
                rows.iter()
                    .map(|r| r.is_some_and(|r| is_valid(v, r as usize)))
                    .collect()
            })
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
            Array::Text(TextArray::Dict { ids, dict, valid: va }) => Array::Text(TextArray::Dict {
                ids: pick(ids, rows),
                dict: dict.clone(),
                valid: valid(va),
            }),
            Array::Text(TextArray::Plain { values, valid: va }) => {
                let empty: Arc<str> = Arc::from("");
                Array::Text(TextArray::Plain {
                    values: rows
                        .iter()
                        .map(|r| r.map_or(empty.clone(), |r| values[r as usize].clone()))
                        .collect(),
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
            Array::Text(TextArray::Dict { ids, dict, valid: va }) => Array::Text(TextArray::Dict {
                ids: pick(ids, rows),
                dict: dict.clone(),
                valid: valid(va),
            }),
            Array::Text(TextArray::Plain { values, valid: va }) => Array::Text(TextArray::Plain {
                values: rows.iter().map(|&r| values[r as usize].clone()).collect(),
                valid: valid(va),
            }),
            Array::Null(_) => Array::Null(rows.len()),
        }
    }

    /// A copy that owns its text, so it can outlive the segment: a borrowed dictionary is replaced by a
    /// shared one holding just the entries the rows use (in the same order, so sortedness is kept).
    pub fn into_owned(self) -> Array<'static> {
        match self {
            Array::Bool(v, va) => Array::Bool(v, va),
            Array::Int(v, va) => Array::Int(v, va),
            Array::Double(v, va) => Array::Double(v, va),
            Array::Timestamp(v, va) => Array::Timestamp(v, va),
            Array::Interval(v, va) => Array::Interval(v, va),
            Array::Text(TextArray::Plain { values, valid }) => Array::Text(TextArray::Plain { values, valid }),
            Array::Text(TextArray::Dict { ids, dict, valid }) => {
                if let Some(shared) = dict.as_shared() {
                    return Array::Text(TextArray::Dict {
                        ids,
                        dict: shared,
                        valid,
                    });
                }
                // Renumber the used entries densely, keeping their relative order.
                let mut used: Vec<u32> = (0..ids.len())
                    .filter(|&i| is_valid(&valid, i))
                    .map(|i| ids[i])
                    .collect();
                used.sort_unstable();
                used.dedup();
                let entries: Vec<String> = used.iter().map(|&id| dict[id as usize].clone()).collect();
                let new_ids = ids
                    .iter()
                    .enumerate()
                    .map(|(i, id)| {
                        if is_valid(&valid, i) {
                            used.binary_search(id).map_or(0, |p| p as u32)
                        } else {
                            0
                        }
                    })
                    .collect();
                Array::Text(TextArray::Dict {
                    ids: new_ids,
                    dict: DictRef::shared(entries.into(), dict.sorted, None),
                    valid,
                })
            }
            Array::Null(n) => Array::Null(n),
        }
    }
}

impl Array<'static> {
    /// Plain text becomes dictionary-encoded with a sorted dictionary of its distinct values (identity
    /// `id`); other arrays are returned as they are.
    pub fn dictionary_encoded(self, id: Option<u64>) -> Array<'static> {
        let Array::Text(TextArray::Plain { values, valid }) = self else {
            return self;
        };
        let ok = |i: usize| valid.as_ref().is_none_or(|v| v[i]);
        let mut dict: Vec<String> = (0..values.len())
            .filter(|&i| ok(i))
            .map(|i| String::from(&*values[i]))
            .collect();
        dict.sort_unstable();
        dict.dedup();
        let ids = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                if ok(i) {
                    dict.binary_search_by(|d| d.as_str().cmp(v)).map_or(0, |p| p as u32)
                } else {
                    0
                }
            })
            .collect();
        Array::Text(TextArray::Dict {
            ids,
            dict: DictRef::shared(dict.into(), true, id),
            valid,
        })
    }
}

/// Concatenates owned arrays of one column (NULL-typed parts take the column's type). Dictionary-
/// encoded text parts are merged into one dictionary, so no string is copied per row.
pub fn concat(ty: DataType, parts: Vec<Array<'static>>) -> Array<'static> {
    let total: usize = parts.iter().map(Array::len).sum();
    let any_null = parts
        .iter()
        .any(|p| !matches!(p, Array::Null(_)) && (0..p.len()).any(|i| !p.is_valid(i)));
    let mut valid: Vec<bool> = Vec::with_capacity(if any_null { total } else { 0 });
    if any_null {
        for p in &parts {
            valid.extend((0..p.len()).map(|i| p.is_valid(i)));
        }
    }
    let has_null_parts = parts.iter().any(|p| matches!(p, Array::Null(n) if *n > 0));
    if has_null_parts && !any_null {
        for p in &parts {
            valid.extend((0..p.len()).map(|i| p.is_valid(i)));
        }
    }
    let validity = if valid.is_empty() { None } else { Some(valid) };
    macro_rules! flat {
        ($variant:ident, $default:expr) => {{
            let mut out = Vec::with_capacity(total);
            for p in parts {
                match p {
                    Array::$variant(v, _) => out.extend(v),
                    other => out.extend(std::iter::repeat_n($default, other.len())),
                }
            }
            Array::$variant(out, validity)
        }};
    }
    match ty {
        DataType::Bool => flat!(Bool, false),
        DataType::Int => flat!(Int, 0),
        DataType::Double => flat!(Double, 0.0),
        DataType::Timestamp => flat!(Timestamp, 0),
        DataType::Interval => flat!(Interval, Interval::default()),
        DataType::Null => Array::Null(total),
        DataType::Text => {
            let all_dict = parts
                .iter()
                .all(|p| matches!(p, Array::Text(TextArray::Dict { .. }) | Array::Null(_)));
            if all_dict {
                let mut merged: Vec<String> = Vec::new();
                let mut index: rustc_hash::FxHashMap<String, u32> = rustc_hash::FxHashMap::default();
                let mut ids = Vec::with_capacity(total);
                for p in parts {
                    match p {
                        Array::Text(TextArray::Dict {
                            ids: pi,
                            dict,
                            valid: pv,
                        }) => {
                            let mut map: Vec<u32> = vec![u32::MAX; dict.len()];
                            for (i, &id) in pi.iter().enumerate() {
                                if !is_valid(&pv, i) {
                                    ids.push(0);
                                    continue;
                                }
                                let m = &mut map[id as usize];
                                if *m == u32::MAX {
                                    let s = &dict[id as usize];
                                    *m = *index.entry(s.clone()).or_insert_with(|| {
                                        merged.push(s.clone());
                                        merged.len() as u32 - 1
                                    });
                                }
                                ids.push(*m);
                            }
                        }
                        other => ids.extend(std::iter::repeat_n(0, other.len())),
                    }
                }
                return Array::Text(TextArray::Dict {
                    ids,
                    dict: DictRef::shared(merged.into(), false, None),
                    valid: validity,
                });
            }
            let empty: Arc<str> = Arc::from("");
            let mut values = Vec::with_capacity(total);
            for p in parts {
                match p {
                    Array::Text(t) => {
                        for i in 0..t.len() {
                            values.push(t.get(i).map_or(empty.clone(), Arc::from));
                        }
                    }
                    other => values.extend(std::iter::repeat_n(empty.clone(), other.len())),
                }
            }
            Array::Text(TextArray::Plain {
                values,
                valid: validity,
            })
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
        Batch {
            columns: types.iter().map(|t| Array::constant(&Value::Null, *t, 0)).collect(),
            rows: 0,
        }
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
        Batch {
            columns,
            rows: rows.len(),
        }
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
