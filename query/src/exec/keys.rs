//! Encoding values as 64-bit codes for grouping, `DISTINCT` and joins. Integers, timestamps and booleans
//! are their own code; doubles their canonical bits; text (and intervals) an id from an interner.
//!
//! Dictionary-encoded text is mapped to codes once per dictionary: [`CodeCache`] keeps, across queries,
//! the codes of every entry of each persisted segment's (and cached roster table's) dictionaries, so a
//! warm query turns rows into codes with two array lookups and never hashes a string.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use roaring::RoaringBitmap;
use rustc_hash::FxHashMap;

use super::array::{is_valid, Array, DictRef, TextArray};
use super::eval::Datum;
use super::subquery::{double_bits, ValueKey};
use super::ExecError;
use crate::time::Interval;
use crate::value::{DataType, Value};

/// Text and other non-numeric values interned to dense ids.
#[derive(Debug, Default)]
pub struct Interner {
    texts: FxHashMap<Arc<str>, u32>,
    text_list: Vec<Arc<str>>,
    others: FxHashMap<ValueKey, u32>,
    other_list: Vec<Value>,
}

impl Interner {
    /// The id of `s`, adding it if new.
    pub fn text(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.texts.get(s) {
            return id;
        }
        let id = self.text_list.len() as u32;
        let a: Arc<str> = Arc::from(s);
        self.text_list.push(a.clone());
        self.texts.insert(a, id);
        id
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
            DataType::Text => self
                .text_list
                .get(code as usize)
                .map_or(Value::Null, |s| Value::Text(s.to_string())),
            DataType::Interval => self.other_list.get(code as usize).cloned().unwrap_or(Value::Null),
            DataType::Null => Value::Null,
        }
    }

    /// The text with code `code` (empty if unknown).
    pub fn text_of(&self, code: u64) -> &str {
        self.text_list.get(code as usize).map_or("", |s| s)
    }

    /// Number of interned values.
    pub fn len(&self) -> usize {
        self.text_list.len() + self.other_list.len()
    }

    /// Whether nothing is interned.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The codes of every entry of one dictionary.
#[derive(Debug)]
pub struct DictCodes {
    /// Code of entry `i`.
    pub codes: Vec<u32>,
    all: OnceLock<RoaringBitmap>,
}

impl DictCodes {
    /// The set of all the dictionary's codes.
    pub fn all(&self) -> &RoaringBitmap {
        self.all.get_or_init(|| self.codes.iter().copied().collect())
    }
}

/// Interned codes shared by all queries of a [`crate::QueryEngine`]: the interner and the codes of
/// dictionaries with a stable identity.
#[derive(Debug, Default)]
pub struct CodeCache {
    interner: Mutex<Interner>,
    dicts: Mutex<FxHashMap<u64, Arc<DictCodes>>>,
}

/// Past this many interned values the engine starts a fresh cache (between queries).
pub const CODE_CACHE_MAX_VALUES: usize = 16 << 20;

impl CodeCache {
    /// An empty cache.
    pub fn new() -> Arc<CodeCache> {
        Arc::new(CodeCache::default())
    }

    /// The interner.
    pub fn interner(&self) -> Result<MutexGuard<'_, Interner>, ExecError> {
        self.interner
            .lock()
            .map_err(|_| ExecError::Internal("interner lock poisoned".into()))
    }

    /// Number of interned values.
    pub fn len(&self) -> usize {
        self.interner.lock().map_or(0, |i| i.len())
    }

    /// Whether nothing is interned.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets the codes of dictionaries whose id `keep` rejects (segments merged away by compaction).
    pub fn retain_dicts(&self, keep: impl Fn(u64) -> bool) {
        if let Ok(mut d) = self.dicts.lock() {
            d.retain(|id, _| keep(*id));
        }
    }

    fn intern_all(&self, dict: &[String]) -> Result<Arc<DictCodes>, ExecError> {
        let mut g = self.interner()?;
        let codes = dict.iter().map(|s| g.text(s)).collect();
        Ok(Arc::new(DictCodes {
            codes,
            all: OnceLock::new(),
        }))
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

/// A worker's encoder: codes come from the shared cache; dictionaries without a stable identity are
/// remembered for the duration of the query by address.
pub struct Encoder {
    cache: Arc<CodeCache>,
    transient: FxHashMap<(usize, usize), Arc<DictCodes>>,
}

impl Encoder {
    /// An encoder over `cache`.
    pub fn new(cache: Arc<CodeCache>) -> Encoder {
        Encoder {
            cache,
            transient: FxHashMap::default(),
        }
    }

    /// The codes of every entry of `dict`.
    pub fn dict_codes(&mut self, dict: &DictRef<'_>) -> Result<Arc<DictCodes>, ExecError> {
        match dict.id {
            Some(id) => {
                let cached = self
                    .cache
                    .dicts
                    .lock()
                    .map_err(|_| ExecError::Internal("code cache lock poisoned".into()))?
                    .get(&id)
                    .cloned();
                if let Some(c) = cached {
                    return Ok(c);
                }
                let codes = self.cache.intern_all(dict)?;
                self.cache
                    .dicts
                    .lock()
                    .map_err(|_| ExecError::Internal("code cache lock poisoned".into()))?
                    .insert(id, codes.clone());
                Ok(codes)
            }
            None => {
                if let Some(c) = self.transient.get(&dict.addr()) {
                    return Ok(c.clone());
                }
                let codes = self.cache.intern_all(dict)?;
                self.transient.insert(dict.addr(), codes.clone());
                Ok(codes)
            }
        }
    }

    /// Encodes a datum.
    pub fn encode(&mut self, d: &Datum<'_>) -> Result<KeyCodes, ExecError> {
        match d {
            Datum::Scalar(v) => Ok(match v {
                Value::Null => KeyCodes::Const { code: 0, null: true },
                v => KeyCodes::Const {
                    code: self.value_code(v)?,
                    null: false,
                },
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
            Value::Text(s) => self.cache.interner()?.text(s) as u64,
            Value::Interval(_) => self.cache.interner()?.other(v),
        })
    }

    fn encode_array(&mut self, a: &Array<'_>) -> Result<KeyCodes, ExecError> {
        let nulls_of = |valid: &Option<Vec<bool>>| valid.as_ref().map(|v| v.iter().map(|b| !b).collect());
        Ok(match a {
            Array::Int(v, valid) | Array::Timestamp(v, valid) => KeyCodes::Rows {
                codes: v.iter().map(|&x| x as u64).collect(),
                nulls: nulls_of(valid),
            },
            Array::Bool(v, valid) => KeyCodes::Rows {
                codes: v.iter().map(|&b| u64::from(b)).collect(),
                nulls: nulls_of(valid),
            },
            Array::Double(v, valid) => KeyCodes::Rows {
                codes: v.iter().map(|&x| double_bits(x)).collect(),
                nulls: nulls_of(valid),
            },
            Array::Text(TextArray::Dict { ids, dict, valid }) => {
                let map = self.dict_codes(dict)?;
                KeyCodes::Rows {
                    // NULL rows carry id 0 even when the dictionary is empty.
                    codes: ids
                        .iter()
                        .enumerate()
                        .map(|(i, &id)| {
                            if is_valid(valid, i) {
                                map.codes[id as usize] as u64
                            } else {
                                0
                            }
                        })
                        .collect(),
                    nulls: nulls_of(valid),
                }
            }
            Array::Text(TextArray::Plain { values, valid }) => {
                let mut g = self.cache.interner()?;
                let codes = values
                    .iter()
                    .enumerate()
                    .map(|(i, s)| if is_valid(valid, i) { g.text(s) as u64 } else { 0 })
                    .collect();
                KeyCodes::Rows {
                    codes,
                    nulls: nulls_of(valid),
                }
            }
            Array::Interval(v, valid) => {
                let mut g = self.cache.interner()?;
                let codes = v
                    .iter()
                    .enumerate()
                    .map(|(i, iv): (usize, &Interval)| {
                        if is_valid(valid, i) {
                            g.other(&Value::Interval(*iv))
                        } else {
                            0
                        }
                    })
                    .collect();
                KeyCodes::Rows {
                    codes,
                    nulls: nulls_of(valid),
                }
            }
            Array::Null(_) => KeyCodes::Const { code: 0, null: true },
        })
    }
}
