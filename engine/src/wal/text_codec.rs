//! The compact WAL encoding of one text column's non-NULL values. Most text in the export is UUIDs
//! (signal, student, class, school, assignment ids) and repeats within a batch (students, classes,
//! signal names), so a column is written in whichever of four layouts fits:
//!
//! ```text
//! u8 layout, then for n values:
//!   0 plain:          (n + 1) × u32 offsets (first 0, non-decreasing), then offsets[n] UTF-8 bytes
//!   1 dictionary:     u32 d, (d + 1) × u32 offsets, offsets[d] UTF-8 bytes (the d distinct values),
//!                     u8 id width w ∈ {1, 2, 4}, n × w-byte ids (< d)
//!   2 / 3 UUIDs:      n × 16 bytes, big-endian 128-bit, re-formatted lower (2) / upper (3) case
//!   4 / 5 UUID dict.: u32 d, d × 16 bytes, u8 id width w, n × w-byte ids (< d); lower / upper case
//! ```
//!
//! The writer samples the first values to guess whether a dictionary pays, so mostly-distinct columns
//! (signal ids) cost no hashing.

use std::collections::{HashMap, HashSet};

use crate::batch::{ColumnData, StringVec, UuidVec};
use crate::fxhash::FxBuildHasher;
use crate::recent_values::{CacheKey, RecentValues};
use crate::uuid::parse_one_case;

const PLAIN: u8 = 0;
const DICT: u8 = 1;
const UUID_LOWER: u8 = 2;
const UUID_UPPER: u8 = 3;
const UUID_DICT_LOWER: u8 = 4;
const UUID_DICT_UPPER: u8 = 5;
/// Values looked at to decide whether a dictionary pays.
const SAMPLE: usize = 256;

/// Appends the values of the rows listed in `present` (ascending), in whichever layout is smallest.
pub fn encode(values: &StringVec, present: &[u32], out: &mut Vec<u8>) {
    if !present.is_empty() {
        if let Some((uuids, upper)) = parse_one_case(present.iter().map(|&r| Some(values.get_bytes(r as usize)))) {
            put_uuids(&uuids, upper, out);
            return;
        }
    }
    let texts = || present.iter().map(|&r| values.get_bytes(r as usize));
    if mostly_distinct(texts().take(SAMPLE)) {
        out.push(PLAIN);
        put_strings(texts(), out);
    } else {
        out.push(DICT);
        let (dict, ids) = dictionary(texts());
        out.extend_from_slice(&(dict.len() as u32).to_le_bytes());
        put_strings(dict.iter().copied(), out);
        put_ids(&ids, dict.len(), out);
    }
}

/// Appends the values of the rows listed in `present` (ascending) of a UUID column, taken as they are.
pub fn encode_uuids(values: &UuidVec, present: &[u32], out: &mut Vec<u8>) {
    if present.len() == values.len() {
        put_uuids(&values.values, values.upper, out);
    } else {
        let picked: Vec<u128> = present.iter().map(|&r| values.values[r as usize]).collect();
        put_uuids(&picked, values.upper, out);
    }
}

/// UUID values in layout 2/3 (mostly distinct, e.g. signal ids) or 4/5 (repeated: a dictionary).
fn put_uuids(uuids: &[u128], upper: bool, out: &mut Vec<u8>) {
    if mostly_distinct(uuids.iter().take(SAMPLE)) {
        out.push(if upper { UUID_UPPER } else { UUID_LOWER });
        out.reserve(16 * uuids.len());
        for bits in uuids {
            out.extend_from_slice(&bits.to_be_bytes());
        }
    } else {
        out.push(if upper { UUID_DICT_UPPER } else { UUID_DICT_LOWER });
        let (dict, ids) = dictionary(uuids.iter().copied());
        out.extend_from_slice(&(dict.len() as u32).to_le_bytes());
        for bits in &dict {
            out.extend_from_slice(&bits.to_be_bytes());
        }
        put_ids(&ids, dict.len(), out);
    }
}

/// Whether at least half the sampled values are distinct.
fn mostly_distinct<T: std::hash::Hash + Eq>(sample: impl Iterator<Item = T>) -> bool {
    let (mut seen, mut n) = (HashSet::<T, FxBuildHasher>::default(), 0);
    for v in sample {
        seen.insert(v);
        n += 1;
    }
    2 * seen.len() >= n
}

/// Distinct values in first-seen order and each value's id.
fn dictionary<T: std::hash::Hash + CacheKey>(values: impl Iterator<Item = T>) -> (Vec<T>, Vec<u32>) {
    let mut index: HashMap<T, u32, FxBuildHasher> = HashMap::default();
    let mut recent = RecentValues::default();
    let mut dict = Vec::new();
    let ids = values
        .map(|v| {
            recent.get_or_insert(v, || {
                *index.entry(v).or_insert_with(|| {
                    dict.push(v);
                    dict.len() as u32 - 1
                })
            })
        })
        .collect();
    (dict, ids)
}

fn put_strings<'a>(values: impl Iterator<Item = &'a [u8]> + Clone, out: &mut Vec<u8>) {
    let mut end = 0u32;
    out.extend_from_slice(&0u32.to_le_bytes());
    for v in values.clone() {
        end += v.len() as u32;
        out.extend_from_slice(&end.to_le_bytes());
    }
    for v in values {
        out.extend_from_slice(v);
    }
}

/// The id width for a dictionary of `d` values.
fn id_width(d: usize) -> u8 {
    match d {
        0..=256 => 1,
        257..=65_536 => 2,
        _ => 4,
    }
}

fn put_ids(ids: &[u32], d: usize, out: &mut Vec<u8>) {
    let width = id_width(d);
    out.push(width);
    out.reserve(ids.len() * width as usize);
    for &id in ids {
        out.extend_from_slice(&id.to_le_bytes()[..width as usize]);
    }
}

/// A cursor over a payload that refuses to read past its end (see `codec`).
pub trait Take<'a> {
    /// The next `len` bytes, or an error naming `what` was being read.
    fn take(&mut self, len: usize, what: &str) -> Result<&'a [u8], String>;
}

/// Reads `n` values written by [`encode`] or [`encode_uuids`], scattered over `rows` rows by
/// `present_rows` (ascending row numbers of the `n` values): a `Uuid` column for the UUID layouts (other
/// rows hold 0), else a `Text` column (other rows hold "").
pub fn decode<'a>(
    input: &mut impl Take<'a>,
    present_rows: &mut dyn Iterator<Item = usize>,
    n: usize,
    rows: usize,
    column: &str,
) -> Result<ColumnData, String> {
    let layout = input.take(1, "text layout")?[0];
    let bad = |what: String| format!("column {column}: {what}");
    // `n` is at most the row count, which the payload backs with 8 bytes per row (the time column).
    let mut values: Vec<Value<'a>> = Vec::with_capacity(n);
    match layout {
        PLAIN => values.extend(read_strings(input, n, column)?.into_iter().map(Value::Text)),
        DICT | UUID_DICT_LOWER | UUID_DICT_UPPER => {
            let d = u32::from_le_bytes(array(input, "dictionary size")?) as usize;
            let dict: Vec<Value<'a>> = if layout == DICT {
                read_strings(input, d, column)?.into_iter().map(Value::Text).collect()
            } else {
                let raw = input.take(
                    d.checked_mul(16).ok_or_else(|| bad("dictionary overflows".into()))?,
                    "UUIDs",
                )?;
                raw.chunks_exact(16).map(uuid_value).collect()
            };
            let width = input.take(1, "id width")?[0] as usize;
            if !matches!(width, 1 | 2 | 4) {
                return Err(bad(format!("bad id width {width}")));
            }
            let raw = input.take(n.checked_mul(width).ok_or_else(|| bad("ids overflow".into()))?, "ids")?;
            for chunk in raw.chunks_exact(width) {
                let mut id = [0u8; 4];
                id[..width].copy_from_slice(chunk);
                let id = u32::from_le_bytes(id) as usize;
                values.push(
                    *dict
                        .get(id)
                        .ok_or_else(|| bad(format!("id {id} outside a dictionary of {d}")))?,
                );
            }
        }
        UUID_LOWER | UUID_UPPER => {
            let raw = input.take(n.checked_mul(16).ok_or_else(|| bad("UUIDs overflow".into()))?, "UUIDs")?;
            values.extend(raw.chunks_exact(16).map(uuid_value));
        }
        other => return Err(bad(format!("unknown text layout {other}"))),
    }
    let upper = matches!(layout, UUID_UPPER | UUID_DICT_UPPER);
    if layout != PLAIN && layout != DICT {
        let mut out = UuidVec {
            values: vec![0; rows],
            upper,
        };
        let mut values = values.into_iter();
        for row in present_rows {
            match (values.next(), out.values.get_mut(row)) {
                (Some(Value::Uuid(bits)), Some(slot)) => *slot = bits,
                (None, _) => return Err(bad("fewer values than present rows".into())),
                _ => return Err(bad("a present row outside the batch".into())),
            }
        }
        return Ok(ColumnData::Uuid(out));
    }
    let mut out = StringVec::new();
    out.offsets.reserve(rows);
    let mut next_present = present_rows.next();
    let mut values = values.into_iter();
    for row in 0..rows {
        if next_present == Some(row) {
            next_present = present_rows.next();
            match values.next() {
                Some(Value::Text(t)) => out.bytes.extend_from_slice(t),
                Some(Value::Uuid(_)) => return Err(bad("a UUID in a text layout".into())),
                None => return Err(bad("fewer values than present rows".into())),
            }
        }
        out.offsets.push(out.bytes.len() as u32);
    }
    Ok(ColumnData::Text(out))
}

/// One decoded value: text borrowed from the payload, or a UUID still to format.
#[derive(Clone, Copy)]
enum Value<'a> {
    Text(&'a [u8]),
    Uuid(u128),
}

fn uuid_value<'a>(chunk: &[u8]) -> Value<'a> {
    let mut b = [0u8; 16];
    b.copy_from_slice(chunk);
    Value::Uuid(u128::from_be_bytes(b))
}

fn array<'a, const N: usize>(input: &mut impl Take<'a>, what: &str) -> Result<[u8; N], String> {
    let mut a = [0u8; N];
    a.copy_from_slice(input.take(N, what)?);
    Ok(a)
}

/// `n` strings as (n + 1) offsets then bytes; checks offsets and UTF-8.
fn read_strings<'a>(input: &mut impl Take<'a>, n: usize, column: &str) -> Result<Vec<&'a [u8]>, String> {
    let count = n
        .checked_add(1)
        .ok_or_else(|| format!("column {column}: too many values"))?;
    let raw = input.take(
        count
            .checked_mul(4)
            .ok_or_else(|| format!("column {column}: offsets overflow"))?,
        "text offsets",
    )?;
    let offsets: Vec<u32> = raw
        .chunks_exact(4)
        .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
        .collect();
    let byte_len = offsets.last().copied().unwrap_or(0) as usize;
    let bytes = input.take(byte_len, "text bytes")?;
    super::codec::check_strings(&offsets, bytes).map_err(|e| format!("column {column}: {e}"))?;
    Ok(offsets
        .windows(2)
        .map(|w| &bytes[w[0] as usize..w[1] as usize])
        .collect())
}
