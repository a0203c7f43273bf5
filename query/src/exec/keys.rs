//! Encoding values as 64-bit codes for grouping, `DISTINCT` and joins. Integers, timestamps and booleans
//! are their own code; doubles their canonical bits; text (and intervals) an id from an interner shared
//! by the query's worker threads. Dictionary-encoded text is interned once per distinct dictionary
//! entry, so a segment's rows become codes by array lookup.

use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;

use super::array::{is_valid, Array, TextArray};
use super::eval::Datum;
use super::subquery::{double_bits, ValueKey};
use super::ExecError;
use crate::time::Interval;
use crate::value::{DataType, Value};

/// Text and other non-numeric values interned to dense ids, shared by a query's workers.
#[derive(Debug, Default)]
pub struct Interner {
    texts: FxHashMap<Arc<str>, u32>,
    text_list: Vec<Arc<str>>,
    others: FxHashMap<ValueKey, u32>,
    other_list: Vec<Value>,
}

impl Interner {
    /// The id of `s`, adding it if new.
    pub fn text(&mut self, s: &str) -> u64 {
        if let Some(&id) = self.texts.get(s) {
            return id as u64;
        }
        let id = self.text_list.len() as u32;
        let a: Arc<str> = Arc::from(s);
        self.text_list.push(a.clone());
        self.texts.insert(a, id);
        id as u64
    }

    /// The id of a non-text value (intervals), adding it if new.
    pub fn other(&mut self, v: &Value) -> u64 {
        let Some(key) = ValueKey::of(v) else {
            return 0;
        };
        if let Some(&id) = self.others.get(&key) {
            return id as u64;
        }
        let id = self.other_list.len() as u32;
        self.other_list.push(v.clone());
        self.others.insert(key, id);
        id as u64
    }

    /// The value with code `code` in a column of type `ty`.
    pub fn decode(&self, ty: DataType, code: u64) -> Value {
        match ty {
            DataType::Int => Value::Int(code as i64),
            DataType::Timestamp => Value::Timestamp(code as i64),
            DataType::Bool => Value::Bool(code != 0),
            DataType::Double => Value::Double(f64::from_bits(code)),
            DataType::Text => self.text_list.get(code as usize).map_or(Value::Null, |s| Value::Text(s.to_string())),
            DataType::Interval => self.other_list.get(code as usize).cloned().unwrap_or(Value::Null),
            DataType::Null => Value::Null,
        }
    }

    /// Approximate heap bytes.
    pub fn heap_bytes(&self) -> usize {
        self.text_list.iter().map(|s| s.len() + 48).sum::<usize>() + self.other_list.len() * 64
    }
}

/// One key (or DISTINCT argument) over a chunk, as codes.
pub enum KeyCodes {
    /// The same value for every row.
    Const {
        /// Its code.
        code: u64,
        /// Whether it is NULL.
        null: bool,
    },
    /// One code per row; `nulls[i]` marks NULL rows.
    Rows {
        /// Codes.
        codes: Vec<u64>,
        /// NULL rows, if any.
        nulls: Option<Vec<bool>>,
    },
}

impl KeyCodes {
    /// (code, is_null) of row `i`.
    #[inline]
    pub fn get(&self, i: usize) -> (u64, bool) {
        match self {
            KeyCodes::Const { code, null } => (*code, *null),
            KeyCodes::Rows { codes, nulls } => (codes[i], nulls.as_ref().is_some_and(|n| n[i])),
        }
    }
}

/// A worker's encoder: remembers the codes of each dictionary it has seen.
pub struct Encoder {
    interner: Arc<Mutex<Interner>>,
    dict_codes: FxHashMap<(usize, usize), Vec<u64>>,
}

const UNMAPPED: u64 = u64::MAX;

impl Encoder {
    /// An encoder sharing `interner`.
    pub fn new(interner: Arc<Mutex<Interner>>) -> Encoder {
        Encoder { interner, dict_codes: FxHashMap::default() }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Interner>, ExecError> {
        self.interner.lock().map_err(|_| ExecError::Internal("interner lock poisoned".into()))
    }

    /// The codes of a dictionary's entries `ids` (interning the new ones); returns the whole mapping.
    pub fn dict_codes(&mut self, dict: &[String], ids: &[u32]) -> Result<&[u64], ExecError> {
        let key = (dict.as_ptr() as usize, dict.len());
        let interner = self.interner.clone();
        let map = self.dict_codes.entry(key).or_insert_with(|| vec![UNMAPPED; dict.len()]);
        let mut missing = false;
        for &id in ids {
            if map[id as usize] == UNMAPPED {
                missing = true;
                break;
            }
        }
        if missing {
            let mut guard = interner.lock().map_err(|_| ExecError::Internal("interner lock poisoned".into()))?;
            for &id in ids {
                let slot = &mut map[id as usize];
                if *slot == UNMAPPED {
                    *slot = guard.text(&dict[id as usize]);
                }
            }
        }
        Ok(map)
    }

    /// Encodes a datum.
    pub fn encode(&mut self, d: &Datum<'_>) -> Result<KeyCodes, ExecError> {
        match d {
            Datum::Scalar(v) => Ok(match v {
                Value::Null => KeyCodes::Const { code: 0, null: true },
                v => KeyCodes::Const { code: self.value_code(v)?, null: false },
            }),
            Datum::Array(a) => self.encode_array(a),
        }
    }

    /// The code of one non-NULL value.
    pub fn value_code(&mut self, v: &Value) -> Result<u64, ExecError> {
        Ok(match v {
            Value::Null => 0,
            Value::Bool(b) => u64::from(*b),
            Value::Int(i) | Value::Timestamp(i) => *i as u64,
            Value::Double(d) => double_bits(*d),
            Value::Text(s) => self.lock()?.text(s),
            Value::Interval(_) => self.lock()?.other(v),
        })
    }

    fn encode_array(&mut self, a: &Array<'_>) -> Result<KeyCodes, ExecError> {
        let nulls_of = |valid: &Option<Vec<bool>>| valid.as_ref().map(|v| v.iter().map(|b| !b).collect());
        Ok(match a {
            Array::Int(v, valid) | Array::Timestamp(v, valid) => {
                KeyCodes::Rows { codes: v.iter().map(|&x| x as u64).collect(), nulls: nulls_of(valid) }
            }
            Array::Bool(v, valid) => KeyCodes::Rows { codes: v.iter().map(|&b| u64::from(b)).collect(), nulls: nulls_of(valid) },
            Array::Double(v, valid) => {
                KeyCodes::Rows { codes: v.iter().map(|&x| double_bits(x)).collect(), nulls: nulls_of(valid) }
            }
            Array::Text(TextArray::Dict { ids, dict, valid, .. }) => {
                let map = self.dict_codes(dict, ids)?;
                KeyCodes::Rows { codes: ids.iter().map(|&id| map[id as usize]).collect(), nulls: nulls_of(valid) }
            }
            Array::Text(TextArray::Plain { values, valid }) => {
                let mut g = self.lock()?;
                let codes = values
                    .iter()
                    .enumerate()
                    .map(|(i, s)| if is_valid(valid, i) { g.text(s) } else { 0 })
                    .collect();
                KeyCodes::Rows { codes, nulls: nulls_of(valid) }
            }
            Array::Interval(v, valid) => {
                let mut g = self.lock()?;
                let codes = v
                    .iter()
                    .enumerate()
                    .map(|(i, iv): (usize, &Interval)| if is_valid(valid, i) { g.other(&Value::Interval(*iv)) } else { 0 })
                    .collect();
                KeyCodes::Rows { codes, nulls: nulls_of(valid) }
            }
            Array::Null(_) => KeyCodes::Const { code: 0, null: true },
        })
    }

    /// Decodes a code of type `ty`.
    pub fn decode(&self, ty: DataType, code: u64) -> Result<Value, ExecError> {
        Ok(self.lock()?.decode(ty, code))
    }
}
