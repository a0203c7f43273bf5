//! Hash aggregation: `GROUP BY` keys become 64-bit codes (dictionary ids map to group slots through a
//! per-dictionary cache, so most rows cost an array lookup), aggregates update per-slot state vectors,
//! and `count(DISTINCT …)` keeps a set of codes per group. Each worker aggregates its segments; the
//! partial results are merged by key codes at the end.

use std::sync::Arc;

use roaring::RoaringBitmap;

use rustc_hash::{FxHashMap, FxHashSet};

use super::array::{Array, Batch, DictRef, TextArray};
use super::chunk::Chunk;
use super::eval::{eval, eval_mask, Datum};
use super::keys::{CodeCache, DictCodes, Encoder, Interner, KeyCodes};
use super::memory::Reservation;
use super::pipeline::Sink;
use super::subquery::SubqueryResults;
use super::ExecError;
use crate::plan::{AggFunc, AggregateCall, ScalarExpr};
use crate::value::{DataType, Value};

/// Group slots for each row of a chunk.
enum Slots {
    /// Every row is in this group.
    One(u32),
    /// Row `i` is in group `slots[i]`.
    Rows(Vec<u32>),
}

impl Slots {
    #[inline]
    fn get(&self, i: usize) -> u32 {
        match self {
            Slots::One(s) => *s,
            Slots::Rows(v) => v[i],
        }
    }
}

/// The groups seen so far: key codes (plus a NULL mask) stored flat, found through a hash table of
/// slot numbers (no allocation per group).
struct Groups {
    width: usize,
    table: hashbrown::HashTable<u32>,
    keys: Vec<u64>,
    count: u32,
    /// For chunks where one key varies and the others are constant: the constant part of the key →
    /// slots by the varying key's code, so most rows cost an array lookup instead of a hash.
    single: FxHashMap<Box<[u64]>, SingleKeySlots>,
}

fn hash_key(key: &[u64]) -> u64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut h = rustc_hash::FxBuildHasher.build_hasher();
    key.hash(&mut h);
    h.finish()
}

/// Slots by the code of one varying key.
#[derive(Default)]
struct SingleKeySlots {
    /// Slot by code for small codes (`u32::MAX`: not seen yet).
    dense: Vec<u32>,
    /// Slot by code for the others.
    sparse: FxHashMap<u64, u32>,
    /// Slot of the NULL key.
    null: Option<u32>,
}

/// Codes below this get a dense slot table.
const DENSE_CODES: u64 = 1 << 22;

impl Groups {
    fn new(keys: usize) -> Groups {
        Groups {
            width: keys + 1,
            table: hashbrown::HashTable::new(),
            keys: Vec::new(),
            count: 0,
            single: FxHashMap::default(),
        }
    }

    fn slot(&mut self, key: &[u64]) -> u32 {
        let w = self.width;
        let hash = hash_key(key);
        let keys = &self.keys;
        if let Some(&s) = self
            .table
            .find(hash, |&s| &keys[s as usize * w..(s as usize + 1) * w] == key)
        {
            return s;
        }
        let s = self.count;
        self.keys.extend_from_slice(key);
        let keys = &self.keys;
        self.table
            .insert_unique(hash, s, |&t| hash_key(&keys[t as usize * w..(t as usize + 1) * w]));
        self.count += 1;
        s
    }

    fn key(&self, slot: u32) -> &[u64] {
        let w = self.width;
        &self.keys[slot as usize * w..(slot as usize + 1) * w]
    }
}

impl SingleKeySlots {
    /// The slot of code `code` (or NULL) for varying key `j`; `key` holds the constant part.
    #[inline]
    fn get(&mut self, groups: &mut Groups, key: &mut [u64], j: usize, code: u64, null: bool) -> u32 {
        let k = key.len() - 1;
        if null {
            if let Some(s) = self.null {
                return s;
            }
            key[j] = 0;
            key[k] |= 1 << j;
            let s = groups.slot(key);
            key[k] &= !(1 << j);
            self.null = Some(s);
            return s;
        }
        if code < DENSE_CODES {
            let c = code as usize;
            if c >= self.dense.len() {
                self.dense.resize((c + 1).next_power_of_two(), u32::MAX);
            }
            if self.dense[c] == u32::MAX {
                key[j] = code;
                self.dense[c] = groups.slot(key);
            }
            return self.dense[c];
        }
        if let Some(&s) = self.sparse.get(&code) {
            return s;
        }
        key[j] = code;
        let s = groups.slot(key);
        self.sparse.insert(code, s);
        s
    }
}

/// A set of value codes. Text codes (dense interner ids) live in a roaring bitmap that becomes a plain
/// bitset once it holds many codes (then an insert is one bit); other values sit inline while few,
/// then in a hash set.
enum DistinctSet {
    Bitmap(RoaringBitmap),
    Dense { words: Vec<u64>, len: usize },
    Inline { len: u8, codes: [u64; 4] },
    Hash(FxHashSet<u64>),
}

/// A bitmap set holding more codes than this turns dense.
const DENSE_AFTER: u64 = 4096;

impl DistinctSet {
    fn new(bitmap: bool) -> DistinctSet {
        if bitmap {
            DistinctSet::Bitmap(RoaringBitmap::new())
        } else {
            DistinctSet::Inline { len: 0, codes: [0; 4] }
        }
    }

    /// Inserts; returns whether the code was new.
    #[inline]
    fn insert(&mut self, code: u64) -> bool {
        match self {
            DistinctSet::Bitmap(b) => {
                let new = b.insert(code as u32);
                if new && b.len() > DENSE_AFTER {
                    self.densify();
                }
                new
            }
            DistinctSet::Dense { words, len } => {
                let w = (code / 64) as usize;
                if w >= words.len() {
                    words.resize((w + 1).next_power_of_two(), 0);
                }
                let bit = 1u64 << (code % 64);
                let new = words[w] & bit == 0;
                words[w] |= bit;
                *len += usize::from(new);
                new
            }
            DistinctSet::Hash(h) => h.insert(code),
            DistinctSet::Inline { len, codes } => {
                let n = *len as usize;
                if codes[..n].contains(&code) {
                    return false;
                }
                if n < codes.len() {
                    codes[n] = code;
                    *len += 1;
                } else {
                    let mut h: FxHashSet<u64> = codes.iter().copied().collect();
                    h.insert(code);
                    *self = DistinctSet::Hash(h);
                }
                true
            }
        }
    }

    /// Turns a bitmap set into a bitset.
    fn densify(&mut self) {
        if let DistinctSet::Bitmap(b) = self {
            let mut words = vec![0u64; (b.max().unwrap_or(0) as usize / 64 + 1).next_power_of_two()];
            b.iter().for_each(|c| words[c as usize / 64] |= 1 << (c % 64));
            let len = b.len() as usize;
            *self = DistinctSet::Dense { words, len };
        }
    }

    fn codes(&self) -> Vec<u64> {
        match self {
            DistinctSet::Bitmap(b) => b.iter().map(u64::from).collect(),
            DistinctSet::Dense { words, .. } => {
                let mut out = Vec::new();
                for (w, &word) in words.iter().enumerate() {
                    let mut word = word;
                    while word != 0 {
                        out.push(w as u64 * 64 + word.trailing_zeros() as u64);
                        word &= word - 1;
                    }
                }
                out
            }
            DistinctSet::Hash(h) => h.iter().copied().collect(),
            DistinctSet::Inline { len, codes } => codes[..*len as usize].to_vec(),
        }
    }

    fn len(&self) -> usize {
        match self {
            DistinctSet::Bitmap(b) => b.len() as usize,
            DistinctSet::Dense { len, .. } => *len,
            DistinctSet::Hash(h) => h.len(),
            DistinctSet::Inline { len, .. } => *len as usize,
        }
    }

    /// Adds every code of `other`; returns how many were new.
    fn union(&mut self, other: &DistinctSet) -> usize {
        let before = self.len();
        if matches!(other, DistinctSet::Dense { .. }) {
            self.densify();
        }
        match (&mut *self, other) {
            (DistinctSet::Bitmap(a), DistinctSet::Bitmap(b)) => {
                *a |= b;
                if a.len() > DENSE_AFTER {
                    self.densify();
                }
            }
            (DistinctSet::Dense { words: a, len }, DistinctSet::Dense { words: b, .. }) => {
                if a.len() < b.len() {
                    a.resize(b.len(), 0);
                }
                for (x, y) in a.iter_mut().zip(b) {
                    *x |= y;
                }
                *len = a.iter().map(|w| w.count_ones() as usize).sum();
            }
            (a, DistinctSet::Inline { len, codes }) => {
                for &c in &codes[..*len as usize] {
                    a.insert(c);
                }
            }
            (a, DistinctSet::Hash(h)) => {
                for &c in h {
                    a.insert(c);
                }
            }
            (a, DistinctSet::Bitmap(b)) => {
                for c in b {
                    a.insert(c as u64);
                }
            }
            (a, b) => {
                for c in b.codes() {
                    a.insert(c);
                }
            }
        }
        self.len() - before
    }
}

/// Neumaier-compensated sum, so the result hardly depends on the order rows arrive in.
#[derive(Default, Clone, Copy)]
struct FloatSum {
    sum: f64,
    comp: f64,
}

impl FloatSum {
    #[inline]
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.comp += (self.sum - t) + x;
        } else {
            self.comp += (x - t) + self.sum;
        }
        self.sum = t;
    }

    fn merge(&mut self, o: FloatSum) {
        self.add(o.sum);
        self.comp += o.comp;
    }

    fn value(self) -> f64 {
        self.sum + self.comp
    }
}

/// Per-group state of one aggregate.
enum Acc {
    Count(Vec<i64>),
    SumInt(Vec<i128>, Vec<bool>),
    SumFloat(Vec<FloatSum>, Vec<bool>),
    AvgInt(Vec<i128>, Vec<i64>),
    AvgFloat(Vec<FloatSum>, Vec<i64>),
    MinMaxInt {
        v: Vec<i64>,
        seen: Vec<bool>,
        max: bool,
    },
    MinMaxFloat {
        v: Vec<f64>,
        seen: Vec<bool>,
        max: bool,
    },
    MinMaxValue {
        v: Vec<Value>,
        max: bool,
    },
    Bool {
        v: Vec<Option<bool>>,
        and: bool,
    },
    Distinct {
        sets: Vec<DistinctSet>,
        bitmap: bool,
        stamp: Vec<u32>,
        chunk: u32,
        entries: usize,
    },
}

impl Acc {
    fn new(call: &AggregateCall) -> Acc {
        let arg_ty = call.arg.as_ref().map_or(DataType::Int, ScalarExpr::data_type);
        if call.distinct {
            let bitmap = matches!(arg_ty, DataType::Text | DataType::Interval);
            return Acc::Distinct {
                sets: Vec::new(),
                bitmap,
                stamp: Vec::new(),
                chunk: 0,
                entries: 0,
            };
        }
        match call.func {
            AggFunc::CountStar | AggFunc::Count => Acc::Count(Vec::new()),
            AggFunc::Sum if arg_ty == DataType::Double => Acc::SumFloat(Vec::new(), Vec::new()),
            AggFunc::Sum => Acc::SumInt(Vec::new(), Vec::new()),
            AggFunc::Avg if arg_ty == DataType::Double => Acc::AvgFloat(Vec::new(), Vec::new()),
            AggFunc::Avg => Acc::AvgInt(Vec::new(), Vec::new()),
            AggFunc::Min | AggFunc::Max => {
                let max = call.func == AggFunc::Max;
                match arg_ty {
                    DataType::Int | DataType::Timestamp => Acc::MinMaxInt {
                        v: Vec::new(),
                        seen: Vec::new(),
                        max,
                    },
                    DataType::Double => Acc::MinMaxFloat {
                        v: Vec::new(),
                        seen: Vec::new(),
                        max,
                    },
                    _ => Acc::MinMaxValue { v: Vec::new(), max },
                }
            }
            AggFunc::BoolAnd | AggFunc::BoolOr => Acc::Bool {
                v: Vec::new(),
                and: call.func == AggFunc::BoolAnd,
            },
        }
    }

    fn resize(&mut self, n: usize) {
        match self {
            Acc::Count(v) => v.resize(n, 0),
            Acc::SumInt(v, s) => {
                v.resize(n, 0);
                s.resize(n, false)
            }
            Acc::SumFloat(v, s) => {
                v.resize(n, FloatSum::default());
                s.resize(n, false)
            }
            Acc::AvgInt(v, c) => {
                v.resize(n, 0);
                c.resize(n, 0)
            }
            Acc::AvgFloat(v, c) => {
                v.resize(n, FloatSum::default());
                c.resize(n, 0)
            }
            Acc::MinMaxInt { v, seen, .. } => {
                v.resize(n, 0);
                seen.resize(n, false)
            }
            Acc::MinMaxFloat { v, seen, .. } => {
                v.resize(n, 0.0);
                seen.resize(n, false)
            }
            Acc::MinMaxValue { v, .. } => v.resize(n, Value::Null),
            Acc::Bool { v, .. } => v.resize(n, None),
            Acc::Distinct {
                sets, stamp, bitmap, ..
            } => {
                let bitmap = *bitmap;
                sets.resize_with(n, || DistinctSet::new(bitmap));
                stamp.resize(n, u32::MAX)
            }
        }
    }

    /// Approximate heap bytes per group plus distinct entries.
    fn heap_bytes(&self, groups: usize) -> usize {
        match self {
            Acc::Distinct { entries, .. } => groups * 40 + entries * 16,
            Acc::MinMaxValue { .. } => groups * 48,
            _ => groups * 24,
        }
    }

    /// Folds the rows of a chunk into the groups `slots` says; rows outside `mask` are skipped.
    fn update(
        &mut self,
        slots: &Slots,
        arg: Option<&Datum<'_>>,
        arg_ty: DataType,
        mask: Option<&[bool]>,
        n: usize,
        enc: &mut Encoder,
    ) -> Result<(), ExecError> {
        let keep = |i: usize| mask.is_none_or(|m| m[i]);
        if let Acc::Distinct {
            sets,
            stamp,
            chunk,
            entries,
            ..
        } = self
        {
            let Some(arg) = arg else {
                return Err(ExecError::Internal("DISTINCT aggregate without argument".into()));
            };
            *chunk = chunk.wrapping_add(1);
            if let Datum::Array(a) = arg {
                if let Array::Text(TextArray::Dict { ids, dict, valid }) = a.as_ref() {
                    let codes = enc.dict_codes(dict)?;
                    *entries += distinct_dict(sets, slots, ids, valid, mask, &codes);
                    return Ok(());
                }
            }
            match enc.encode(arg)? {
                KeyCodes::Const { null: true, .. } => {}
                KeyCodes::Const { code, null: false } => {
                    // One insert per group touched by the chunk: find the groups first (a pass over
                    // small stamps), then insert.
                    let mut touched = Vec::new();
                    let mut last = u32::MAX;
                    for i in (0..n).filter(|&i| keep(i)) {
                        let slot = slots.get(i);
                        if slot == last {
                            continue;
                        }
                        last = slot;
                        if stamp[slot as usize] != *chunk {
                            stamp[slot as usize] = *chunk;
                            touched.push(slot);
                        }
                        if let Slots::One(_) = slots {
                            break;
                        }
                    }
                    for s in touched {
                        *entries += usize::from(sets[s as usize].insert(code));
                    }
                }
                KeyCodes::Rows { codes, nulls } => {
                    for i in 0..n {
                        if keep(i) && !nulls.as_ref().is_some_and(|v| v[i]) {
                            *entries += usize::from(sets[slots.get(i) as usize].insert(codes[i]));
                        }
                    }
                }
            }
            return Ok(());
        }
        if let Acc::Count(c) = self {
            match arg {
                None => match (slots, mask) {
                    (Slots::One(s), None) => c[*s as usize] += n as i64,
                    _ => (0..n).filter(|&i| keep(i)).for_each(|i| c[slots.get(i) as usize] += 1),
                },
                Some(Datum::Scalar(v)) => {
                    if !v.is_null() {
                        (0..n).filter(|&i| keep(i)).for_each(|i| c[slots.get(i) as usize] += 1)
                    }
                }
                Some(Datum::Array(a)) => (0..n)
                    .filter(|&i| keep(i) && a.is_valid(i))
                    .for_each(|i| c[slots.get(i) as usize] += 1),
            }
            return Ok(());
        }
        let Some(arg) = arg else {
            return Err(ExecError::Internal("aggregate without argument".into()));
        };
        let array = arg.clone().into_array(arg_ty, n);
        let a = array.as_ref();
        let rows = (0..n).filter(|&i| keep(i) && a.is_valid(i));
        match (self, a) {
            (Acc::SumInt(v, seen), Array::Int(x, _)) => rows.for_each(|i| {
                let s = slots.get(i) as usize;
                v[s] += x[i] as i128;
                seen[s] = true;
            }),
            (Acc::SumFloat(v, seen), Array::Double(x, _)) => rows.for_each(|i| {
                let s = slots.get(i) as usize;
                v[s].add(x[i]);
                seen[s] = true;
            }),
            (Acc::AvgInt(v, c), Array::Int(x, _)) => rows.for_each(|i| {
                let s = slots.get(i) as usize;
                v[s] += x[i] as i128;
                c[s] += 1;
            }),
            (Acc::AvgFloat(v, c), Array::Double(x, _)) => rows.for_each(|i| {
                let s = slots.get(i) as usize;
                v[s].add(x[i]);
                c[s] += 1;
            }),
            (Acc::MinMaxInt { v, seen, max }, Array::Int(x, _) | Array::Timestamp(x, _)) => rows.for_each(|i| {
                let s = slots.get(i) as usize;
                if !seen[s] || (*max && x[i] > v[s]) || (!*max && x[i] < v[s]) {
                    v[s] = x[i];
                    seen[s] = true;
                }
            }),
            (Acc::MinMaxFloat { v, seen, max }, Array::Double(x, _)) => rows.for_each(|i| {
                let s = slots.get(i) as usize;
                let o = crate::value::cmp_f64(x[i], v[s]);
                if !seen[s] || (*max && o.is_gt()) || (!*max && o.is_lt()) {
                    v[s] = x[i];
                    seen[s] = true;
                }
            }),
            (Acc::MinMaxValue { v, max }, Array::Text(t)) => {
                for i in rows {
                    let s = slots.get(i) as usize;
                    let Some(x) = t.get(i) else { continue };
                    let better = match &v[s] {
                        Value::Text(cur) => {
                            let o = x.as_bytes().cmp(cur.as_bytes());
                            (*max && o.is_gt()) || (!*max && o.is_lt())
                        }
                        _ => true,
                    };
                    if better {
                        v[s] = Value::Text(x.to_string());
                    }
                }
            }
            (Acc::MinMaxValue { v, max }, a) => {
                for i in rows {
                    let s = slots.get(i) as usize;
                    let x = a.value(i);
                    let better = v[s].is_null() || {
                        let o = x.total_cmp(&v[s]);
                        (*max && o.is_gt()) || (!*max && o.is_lt())
                    };
                    if better {
                        v[s] = x;
                    }
                }
            }
            (Acc::Bool { v, and }, Array::Bool(x, _)) => rows.for_each(|i| {
                let s = slots.get(i) as usize;
                v[s] = Some(match v[s] {
                    None => x[i],
                    Some(cur) if *and => cur && x[i],
                    Some(cur) => cur || x[i],
                });
            }),
            (_, a) => {
                return Err(ExecError::Internal(format!(
                    "aggregate state does not accept {}",
                    a.data_type()
                )))
            }
        }
        Ok(())
    }
}

/// Aggregates that a whole segment answers from its metadata or dictionaries, without reading rows:
/// `min`/`max` of `time`, and `count(DISTINCT text column)` (every dictionary entry occurs in the
/// segment). Returns whether `acc` was updated.
fn whole_segment_shortcut(
    acc: &mut Acc,
    call: &AggregateCall,
    chunk: &Chunk<'_>,
    slot: usize,
    enc: &mut Encoder,
) -> Result<bool, ExecError> {
    let (Some(seg), None) = (chunk.full_segment(), &call.filter) else {
        return Ok(false);
    };
    let Some(ScalarExpr::Column { index, .. }) = &call.arg else {
        return Ok(false);
    };
    match acc {
        Acc::MinMaxInt { v, seen, max } if *index == engine::col::TIME && seg.num_rows() > 0 => {
            let m = seg.meta();
            let x = if *max { m.max_time } else { m.min_time };
            if !seen[slot] || (*max && x > v[slot]) || (!*max && x < v[slot]) {
                v[slot] = x;
                seen[slot] = true;
            }
            Ok(true)
        }
        Acc::Distinct { sets, entries, .. } if matches!(call.func, AggFunc::Count) => {
            let Some(dict) = chunk.full_segment_dict(*index)? else {
                return Ok(false);
            };
            let codes = enc.dict_codes(&dict)?;
            let set = &mut sets[slot];
            match set {
                DistinctSet::Bitmap(b) => {
                    let before = b.len();
                    *b |= codes.all();
                    *entries += (b.len() - before) as usize;
                }
                DistinctSet::Dense { .. } => {
                    for &c in &codes.codes {
                        *entries += usize::from(set.insert(c as u64));
                    }
                }
                _ => return Ok(false),
            }
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// DISTINCT over a dictionary-encoded argument: the distinct (group, dictionary id) pairs of the chunk
/// are found with a bitset over ids (no hashing), then each group's new codes are added in ascending
/// order, in bulk. Returns the number of new codes.
fn distinct_dict(
    sets: &mut [DistinctSet],
    slots: &Slots,
    ids: &[u32],
    valid: &Option<Vec<bool>>,
    mask: Option<&[bool]>,
    codes: &DictCodes,
) -> usize {
    let n = ids.len();
    let dict_len = codes.codes.len();
    let keep = |i: usize| mask.is_none_or(|m| m[i]) && valid.as_ref().is_none_or(|v| v[i]);
    // Local numbering of the groups the chunk touches.
    let mut groups: Vec<u32> = Vec::new();
    let local: Vec<u32> = match slots {
        Slots::One(s) => {
            groups.push(*s);
            Vec::new()
        }
        Slots::Rows(v) => {
            let mut local_of = vec![u32::MAX; sets.len()];
            v.iter()
                .map(|&s| {
                    let l = &mut local_of[s as usize];
                    if *l == u32::MAX {
                        *l = groups.len() as u32;
                        groups.push(s);
                    }
                    *l
                })
                .collect()
        }
    };
    let words = dict_len.div_ceil(64);
    let mut added = 0;
    if groups.len().saturating_mul(words) > (16 << 20) {
        // Too many groups for a bitset each: insert per row.
        for i in (0..n).filter(|&i| keep(i)) {
            added += usize::from(sets[slots.get(i) as usize].insert(codes.codes[ids[i] as usize] as u64));
        }
        return added;
    }
    let mut bits = vec![0u64; groups.len() * words];
    let mut counts = vec![0usize; groups.len()];
    for i in (0..n).filter(|&i| keep(i)) {
        let l = if local.is_empty() { 0 } else { local[i] as usize };
        let id = ids[i] as usize;
        let (w, b) = (l * words + id / 64, 1u64 << (id % 64));
        if bits[w] & b == 0 {
            bits[w] |= b;
            counts[l] += 1;
        }
    }
    // Walking a group's bits in id order yields codes in ascending order except for values interned
    // after this dictionary's neighbours (first seen in a later segment): those go in one by one, the
    // ascending rest in one bulk union.
    let mut ascending: Vec<u32> = Vec::new();
    let mut stragglers: Vec<u32> = Vec::new();
    for (l, &g) in groups.iter().enumerate() {
        if counts[l] == 0 {
            continue;
        }
        ascending.clear();
        stragglers.clear();
        for (w, &word) in bits[l * words..(l + 1) * words].iter().enumerate() {
            let mut word = word;
            while word != 0 {
                let code = codes.codes[w * 64 + word.trailing_zeros() as usize];
                word &= word - 1;
                if ascending.last().is_none_or(|&last| code > last) {
                    ascending.push(code);
                } else {
                    stragglers.push(code);
                }
            }
        }
        let set = &mut sets[g as usize];
        if let DistinctSet::Dense { .. } = set {
            for &c in ascending.iter().chain(&stragglers) {
                added += usize::from(set.insert(c as u64));
            }
        } else if let DistinctSet::Bitmap(b) = set {
            let before = b.len();
            match RoaringBitmap::from_sorted_iter(ascending.iter().copied()) {
                Ok(run) => *b |= run,
                Err(_) => ascending.iter().for_each(|&c| {
                    b.insert(c);
                }),
            }
            stragglers.iter().for_each(|&c| {
                b.insert(c);
            });
            added += (b.len() - before) as usize;
            if b.len() > DENSE_AFTER {
                set.densify();
            }
        } else {
            for &c in ascending.iter().chain(&stragglers) {
                added += usize::from(set.insert(c as u64));
            }
        }
    }
    added
}

/// Merges `other`'s state for its group `from` into `acc`'s group `to`.
fn merge_acc(acc: &mut Acc, to: usize, other: &mut Acc, from: usize) -> Result<(), ExecError> {
    match (acc, other) {
        (Acc::Count(a), Acc::Count(b)) => a[to] += b[from],
        (Acc::SumInt(a, sa), Acc::SumInt(b, sb)) => {
            a[to] += b[from];
            sa[to] |= sb[from];
        }
        (Acc::SumFloat(a, sa), Acc::SumFloat(b, sb)) => {
            a[to].merge(b[from]);
            sa[to] |= sb[from];
        }
        (Acc::AvgInt(a, ca), Acc::AvgInt(b, cb)) => {
            a[to] += b[from];
            ca[to] += cb[from];
        }
        (Acc::AvgFloat(a, ca), Acc::AvgFloat(b, cb)) => {
            a[to].merge(b[from]);
            ca[to] += cb[from];
        }
        (Acc::MinMaxInt { v: a, seen: sa, max }, Acc::MinMaxInt { v: b, seen: sb, .. }) => {
            if sb[from] && (!sa[to] || (*max && b[from] > a[to]) || (!*max && b[from] < a[to])) {
                a[to] = b[from];
                sa[to] = true;
            }
        }
        (Acc::MinMaxFloat { v: a, seen: sa, max }, Acc::MinMaxFloat { v: b, seen: sb, .. }) => {
            let o = crate::value::cmp_f64(b[from], a[to]);
            if sb[from] && (!sa[to] || (*max && o.is_gt()) || (!*max && o.is_lt())) {
                a[to] = b[from];
                sa[to] = true;
            }
        }
        (Acc::MinMaxValue { v: a, max }, Acc::MinMaxValue { v: b, .. }) => {
            let x = std::mem::replace(&mut b[from], Value::Null);
            if !x.is_null()
                && (a[to].is_null() || {
                    let o = x.total_cmp(&a[to]);
                    (*max && o.is_gt()) || (!*max && o.is_lt())
                })
            {
                a[to] = x;
            }
        }
        (Acc::Bool { v: a, and }, Acc::Bool { v: b, .. }) => {
            a[to] = match (a[to], b[from]) {
                (None, y) => y,
                (x, None) => x,
                (Some(x), Some(y)) => Some(if *and { x && y } else { x || y }),
            }
        }
        (
            Acc::Distinct {
                sets: a, entries: ea, ..
            },
            Acc::Distinct { sets: b, .. },
        ) => {
            *ea += a[to].union(&b[from]);
        }
        _ => return Err(ExecError::Internal("merging different aggregate states".into())),
    }
    Ok(())
}

/// The sink of an `Aggregate` node.
pub struct AggregateSink<'p> {
    keys: &'p [ScalarExpr],
    aggs: &'p [AggregateCall],
    sq: &'p SubqueryResults,
    encoder: Encoder,
    cache: Arc<CodeCache>,
    groups: Groups,
    accs: Vec<Acc>,
    memory: Reservation,
}

impl<'p> AggregateSink<'p> {
    /// A sink grouping by `keys` and computing `aggs`, with codes from `cache`.
    pub fn new(
        keys: &'p [ScalarExpr],
        aggs: &'p [AggregateCall],
        sq: &'p SubqueryResults,
        cache: Arc<CodeCache>,
        memory: Reservation,
    ) -> AggregateSink<'p> {
        AggregateSink {
            keys,
            aggs,
            sq,
            encoder: Encoder::new(cache.clone()),
            cache,
            groups: Groups::new(keys.len()),
            accs: aggs.iter().map(Acc::new).collect(),
            memory,
        }
    }

    fn assign_slots(&mut self, datums: &[Datum<'_>], n: usize) -> Result<Slots, ExecError> {
        let k = datums.len();
        let mut key = vec![0u64; k + 1];
        let mut varying = Vec::new();
        for (j, d) in datums.iter().enumerate() {
            match d {
                Datum::Scalar(v) if v.is_null() => key[k] |= 1 << j,
                Datum::Scalar(v) => key[j] = self.encoder.value_code(v)?,
                Datum::Array(_) => varying.push(j),
            }
        }
        if varying.is_empty() {
            return Ok(Slots::One(self.groups.slot(&key)));
        }
        if let [j] = varying.as_slice() {
            return self.single_key_slots(*j, key, &datums[*j], n);
        }
        let codes: Vec<KeyCodes> = varying
            .iter()
            .map(|&j| self.encoder.encode(&datums[j]))
            .collect::<Result<_, _>>()?;
        let const_mask = key[k];
        let mut slots = Vec::with_capacity(n);
        for i in 0..n {
            let mut mask = const_mask;
            for (c, &j) in codes.iter().zip(&varying) {
                let (code, null) = c.get(i);
                key[j] = if null { 0 } else { code };
                if null {
                    mask |= 1 << j;
                }
            }
            key[k] = mask;
            slots.push(self.groups.slot(&key));
        }
        Ok(Slots::Rows(slots))
    }

    /// Slots when only key `j` varies over the chunk: a dense table by code, filled once per value.
    fn single_key_slots(&mut self, j: usize, mut key: Vec<u64>, d: &Datum<'_>, n: usize) -> Result<Slots, ExecError> {
        let k = key.len() - 1;
        let prefix: Box<[u64]> = key.clone().into();
        let mut table = self.groups.single.remove(&prefix).unwrap_or_default();
        let mut slots = Vec::with_capacity(n);
        let dict = match d {
            Datum::Array(a) => match a.as_ref() {
                Array::Text(TextArray::Dict { ids, dict, valid }) => Some((ids, dict, valid)),
                _ => None,
            },
            Datum::Scalar(_) => None,
        };
        if let Some((ids, dict, valid)) = dict {
            let codes = self.encoder.dict_codes(dict)?;
            if ids.len() * 4 >= dict.len() {
                // Many rows per entry: remember each entry's slot for the chunk (one lookup per row).
                let mut by_id = vec![u32::MAX; dict.len()];
                let mut null_slot = u32::MAX;
                for (i, &id) in ids.iter().enumerate() {
                    let null = valid.as_ref().is_some_and(|v| !v[i]);
                    let cached = if null { &mut null_slot } else { &mut by_id[id as usize] };
                    if *cached == u32::MAX {
                        let code = if null { 0 } else { codes.codes[id as usize] as u64 };
                        *cached = table.get(&mut self.groups, &mut key, j, code, null);
                    }
                    slots.push(*cached);
                }
            } else {
                for (i, &id) in ids.iter().enumerate() {
                    let null = valid.as_ref().is_some_and(|v| !v[i]);
                    let code = if null { 0 } else { codes.codes[id as usize] as u64 };
                    slots.push(table.get(&mut self.groups, &mut key, j, code, null));
                }
            }
        } else {
            let codes = self.encoder.encode(d)?;
            for i in 0..n {
                let (code, null) = codes.get(i);
                slots.push(table.get(&mut self.groups, &mut key, j, code, null));
            }
        }
        debug_assert_eq!(key[k] & (1 << j), 0);
        self.groups.single.insert(prefix, table);
        Ok(Slots::Rows(slots))
    }

    /// Grouping by one varying key — dictionary-encoded text, or integers/timestamps within a small
    /// range — with only `count(*)` and `count(DISTINCT constant)`: count rows per key value first (a
    /// sequential pass into a small array), then touch each group once per value instead of once per
    /// row. Returns whether the chunk was handled this way.
    fn preaggregate_by_id(&mut self, chunk: &Chunk<'_>, datums: &[Datum<'_>], n: usize) -> Result<bool, ExecError> {
        let mut varying = datums.iter().enumerate().filter(|(_, d)| matches!(d, Datum::Array(_)));
        let (Some((j, Datum::Array(a))), None) = (varying.next(), varying.next()) else {
            return Ok(false);
        };
        if self.aggs.iter().any(|c| c.filter.is_some()) {
            return Ok(false);
        }
        // (code, is NULL, rows) per distinct value of the varying key.
        let values: Vec<(u64, bool, u32)> = match a.as_ref() {
            Array::Text(TextArray::Dict { ids, dict, valid }) if n * 2 >= dict.len() => {
                let mut counts = vec![0u32; dict.len()];
                let mut nulls = 0u32;
                for (i, &id) in ids.iter().enumerate() {
                    if valid.as_ref().is_some_and(|v| !v[i]) {
                        nulls += 1;
                    } else {
                        counts[id as usize] += 1;
                    }
                }
                let codes = self.encoder.dict_codes(dict)?;
                let mut out: Vec<(u64, bool, u32)> = counts
                    .iter()
                    .enumerate()
                    .filter(|(_, &c)| c > 0)
                    .map(|(id, &c)| (codes.codes[id] as u64, false, c))
                    .collect();
                if nulls > 0 {
                    out.push((0, true, nulls));
                }
                out
            }
            Array::Int(v, valid) | Array::Timestamp(v, valid) => {
                let ok = |i: usize| valid.as_ref().is_none_or(|x| x[i]);
                let (mut lo, mut hi) = (i64::MAX, i64::MIN);
                for (i, &x) in v.iter().enumerate() {
                    if ok(i) {
                        lo = lo.min(x);
                        hi = hi.max(x);
                    }
                }
                let span = hi.checked_sub(lo).unwrap_or(i64::MAX);
                if lo <= hi && !(0..1 << 16).contains(&span) {
                    return Ok(false);
                }
                let mut counts = vec![0u32; if lo <= hi { span as usize + 1 } else { 0 }];
                let mut nulls = 0u32;
                for (i, &x) in v.iter().enumerate() {
                    if ok(i) {
                        counts[(x - lo) as usize] += 1;
                    } else {
                        nulls += 1;
                    }
                }
                let mut out: Vec<(u64, bool, u32)> = counts
                    .iter()
                    .enumerate()
                    .filter(|(_, &c)| c > 0)
                    .map(|(d, &c)| ((lo + d as i64) as u64, false, c))
                    .collect();
                if nulls > 0 {
                    out.push((0, true, nulls));
                }
                out
            }
            _ => return Ok(false),
        };
        // Each aggregate: None for count(*), Some(code or NULL) for count(DISTINCT constant).
        let mut plan: Vec<Option<Option<u64>>> = Vec::with_capacity(self.aggs.len());
        for call in self.aggs {
            match (call.func, call.distinct, &call.arg) {
                (AggFunc::CountStar, false, None) => plan.push(None),
                (AggFunc::Count, true, Some(arg)) => match eval(arg, chunk, self.sq)? {
                    Datum::Scalar(Value::Null) => plan.push(Some(None)),
                    Datum::Scalar(v) => plan.push(Some(Some(self.encoder.value_code(&v)?))),
                    Datum::Array(_) => return Ok(false),
                },
                _ => return Ok(false),
            }
        }
        let k = datums.len();
        let mut key = vec![0u64; k + 1];
        for (i, d) in datums.iter().enumerate() {
            match d {
                Datum::Scalar(Value::Null) => key[k] |= 1 << i,
                Datum::Scalar(v) => key[i] = self.encoder.value_code(v)?,
                Datum::Array(_) => {}
            }
        }
        let prefix: Box<[u64]> = key.clone().into();
        let mut table = self.groups.single.remove(&prefix).unwrap_or_default();
        let touched: Vec<(u32, u32)> = values
            .into_iter()
            .map(|(code, null, c)| (table.get(&mut self.groups, &mut key, j, code, null), c))
            .collect();
        self.groups.single.insert(prefix, table);
        let groups = self.groups.count as usize;
        for (acc, how) in self.accs.iter_mut().zip(plan) {
            acc.resize(groups);
            match (acc, how) {
                (Acc::Count(c), None) => touched.iter().for_each(|&(s, n)| c[s as usize] += n as i64),
                (Acc::Distinct { .. }, Some(None)) => {}
                (Acc::Distinct { sets, entries, .. }, Some(Some(code))) => {
                    for &(s, _) in &touched {
                        *entries += usize::from(sets[s as usize].insert(code));
                    }
                }
                _ => return Err(ExecError::Internal("pre-aggregation of an unexpected aggregate".into())),
            }
        }
        Ok(true)
    }

    fn heap_bytes(&self) -> usize {
        let g = self.groups.count as usize;
        g * (self.groups.width * 16 + 32) + self.accs.iter().map(|a| a.heap_bytes(g)).sum::<usize>()
    }

    /// The result: one row per group (one row in all for an aggregate without keys, even over no rows).
    pub fn finish(self) -> Result<Batch, ExecError> {
        self.finish_needed(None)
    }

    /// Like [`AggregateSink::finish`], but output columns `needed` marks false are left as NULL
    /// placeholders (nobody reads them: group keys are not decoded, aggregates not finalized).
    pub fn finish_needed(mut self, needed: Option<&[bool]>) -> Result<Batch, ExecError> {
        if self.keys.is_empty() && self.groups.count == 0 {
            self.groups.slot(&[0]);
        }
        let n = self.groups.count as usize;
        for a in &mut self.accs {
            a.resize(n);
        }
        let wanted = |c: usize| needed.is_none_or(|m| m.get(c).copied().unwrap_or(true));
        let interner = self.cache.interner()?;
        let mut columns = Vec::with_capacity(self.keys.len() + self.aggs.len());
        let k = self.keys.len();
        for (j, key) in self.keys.iter().enumerate() {
            if !wanted(j) {
                columns.push(Array::Null(n));
                continue;
            }
            let ty = key.data_type();
            let is_null = |s: u32| self.groups.key(s)[k] & (1 << j) != 0;
            if ty == DataType::Text {
                // Text keys come out dictionary-encoded: one string per distinct code.
                let mut index: FxHashMap<u64, u32> = FxHashMap::default();
                let mut dict: Vec<String> = Vec::new();
                let mut ids = Vec::with_capacity(n);
                let mut valid = Vec::with_capacity(n);
                for s in 0..n as u32 {
                    if is_null(s) {
                        ids.push(0);
                        valid.push(false);
                        continue;
                    }
                    let code = self.groups.key(s)[j];
                    let id = *index.entry(code).or_insert_with(|| {
                        dict.push(interner.text_of(code).to_string());
                        dict.len() as u32 - 1
                    });
                    ids.push(id);
                    valid.push(true);
                }
                let valid = if valid.iter().all(|&v| v) { None } else { Some(valid) };
                columns.push(Array::Text(TextArray::Dict {
                    ids,
                    dict: DictRef::shared(dict.into(), false, None),
                    valid,
                }));
                continue;
            }
            let vals: Vec<Value> = (0..n as u32)
                .map(|s| {
                    if is_null(s) {
                        Value::Null
                    } else {
                        interner.decode(ty, self.groups.key(s)[j])
                    }
                })
                .collect();
            columns.push(Array::from_values(ty, &vals));
        }
        for (a, (call, acc)) in self.aggs.iter().zip(&self.accs).enumerate() {
            if !wanted(k + a) {
                columns.push(Array::Null(n));
                continue;
            }
            let arg_ty = call.arg.as_ref().map_or(DataType::Int, ScalarExpr::data_type);
            let mut vals = Vec::with_capacity(n);
            for s in 0..n {
                vals.push(finish_value(call, arg_ty, acc, s, &interner)?);
            }
            columns.push(Array::from_values(call.ty, &vals));
        }
        Ok(Batch { columns, rows: n })
    }
}

fn finish_value(
    call: &AggregateCall,
    arg_ty: DataType,
    acc: &Acc,
    s: usize,
    interner: &Interner,
) -> Result<Value, ExecError> {
    let range = || ExecError::Invalid(format!("{} out of range for BIGINT", call.func.name()));
    Ok(match acc {
        Acc::Count(c) => Value::Int(c[s]),
        Acc::SumInt(v, seen) => {
            if seen[s] {
                Value::Int(i64::try_from(v[s]).map_err(|_| range())?)
            } else {
                Value::Null
            }
        }
        Acc::SumFloat(v, seen) => {
            if seen[s] {
                Value::Double(v[s].value())
            } else {
                Value::Null
            }
        }
        Acc::AvgInt(v, c) => {
            if c[s] > 0 {
                Value::Double(v[s] as f64 / c[s] as f64)
            } else {
                Value::Null
            }
        }
        Acc::AvgFloat(v, c) => {
            if c[s] > 0 {
                Value::Double(v[s].value() / c[s] as f64)
            } else {
                Value::Null
            }
        }
        Acc::MinMaxInt { v, seen, .. } => {
            if !seen[s] {
                Value::Null
            } else if arg_ty == DataType::Timestamp {
                Value::Timestamp(v[s])
            } else {
                Value::Int(v[s])
            }
        }
        Acc::MinMaxFloat { v, seen, .. } => {
            if seen[s] {
                Value::Double(v[s])
            } else {
                Value::Null
            }
        }
        Acc::MinMaxValue { v, .. } => v[s].clone(),
        Acc::Bool { v, .. } => v[s].map_or(Value::Null, Value::Bool),
        Acc::Distinct { sets, .. } => {
            let set = &sets[s];
            match call.func {
                AggFunc::Count | AggFunc::CountStar => Value::Int(set.len() as i64),
                func => {
                    let values: Vec<Value> = set.codes().into_iter().map(|c| interner.decode(arg_ty, c)).collect();
                    distinct_aggregate(func, arg_ty, values).map_err(|_| range())?
                }
            }
        }
    })
}

/// sum/avg/min/max/bool_* over the distinct values of a group.
fn distinct_aggregate(func: AggFunc, arg_ty: DataType, values: Vec<Value>) -> Result<Value, ()> {
    if values.is_empty() {
        return Ok(Value::Null);
    }
    Ok(match func {
        AggFunc::Sum | AggFunc::Avg => {
            let n = values.len() as f64;
            if arg_ty == DataType::Int {
                let total: i128 = values
                    .iter()
                    .map(|v| if let Value::Int(i) = v { *i as i128 } else { 0 })
                    .sum();
                if func == AggFunc::Sum {
                    Value::Int(i64::try_from(total).map_err(|_| ())?)
                } else {
                    Value::Double(total as f64 / n)
                }
            } else {
                let mut s = FloatSum::default();
                for v in &values {
                    if let Value::Double(d) = v {
                        s.add(*d);
                    }
                }
                if func == AggFunc::Sum {
                    Value::Double(s.value())
                } else {
                    Value::Double(s.value() / n)
                }
            }
        }
        AggFunc::Min => values.into_iter().min_by(|a, b| a.total_cmp(b)).unwrap_or(Value::Null),
        AggFunc::Max => values.into_iter().max_by(|a, b| a.total_cmp(b)).unwrap_or(Value::Null),
        AggFunc::BoolAnd => Value::Bool(values.iter().all(|v| *v == Value::Bool(true))),
        AggFunc::BoolOr => Value::Bool(values.iter().any(|v| *v == Value::Bool(true))),
        AggFunc::Count | AggFunc::CountStar => Value::Int(values.len() as i64),
    })
}

impl Sink for AggregateSink<'_> {
    fn consume(&mut self, _seq: usize, chunk: Chunk<'_>) -> Result<(), ExecError> {
        let n = chunk.len();
        if n == 0 {
            return Ok(());
        }
        let datums: Vec<Datum<'_>> = self
            .keys
            .iter()
            .map(|k| eval(k, &chunk, self.sq))
            .collect::<Result<_, _>>()?;
        if self.preaggregate_by_id(&chunk, &datums, n)? {
            let bytes = self.heap_bytes();
            return self.memory.resize(bytes);
        }
        let slots = self.assign_slots(&datums, n)?;
        let groups = self.groups.count as usize;
        for (acc, call) in self.accs.iter_mut().zip(self.aggs) {
            acc.resize(groups);
            if let Slots::One(slot) = slots {
                if whole_segment_shortcut(acc, call, &chunk, slot as usize, &mut self.encoder)? {
                    continue;
                }
            }
            let mask = match &call.filter {
                Some(f) => Some(eval_mask(f, &chunk, self.sq)?),
                None => None,
            };
            let arg = match &call.arg {
                Some(a) => Some(eval(a, &chunk, self.sq)?),
                None => None,
            };
            let arg_ty = call.arg.as_ref().map_or(DataType::Int, ScalarExpr::data_type);
            acc.update(&slots, arg.as_ref(), arg_ty, mask.as_deref(), n, &mut self.encoder)?;
        }
        let bytes = self.heap_bytes();
        self.memory.resize(bytes)
    }

    fn merge(&mut self, mut other: Self) -> Result<(), ExecError> {
        let n_other = other.groups.count as usize;
        for a in &mut other.accs {
            a.resize(n_other);
        }
        let map: Vec<u32> = (0..n_other as u32)
            .map(|s| self.groups.slot(other.groups.key(s)))
            .collect();
        let n = self.groups.count as usize;
        for (a, b) in self.accs.iter_mut().zip(other.accs.iter_mut()) {
            a.resize(n);
            for (from, &to) in map.iter().enumerate() {
                merge_acc(a, to as usize, b, from)?;
            }
        }
        let bytes = self.heap_bytes();
        self.memory.resize(bytes)
    }
}
