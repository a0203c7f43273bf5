//! Building a segment's sorted dictionary for one text column: the distinct non-NULL values in byte
//! order and, per row, the value's position in it. Canonical UUID columns (ids of students, classes,
//! signals, ...) take a fast path that parses each value into 128 bits and sorts integers; anything else
//! is de-duplicated with a hash table and only the distinct values are sorted.

use std::collections::{HashMap, HashSet};

use crate::batch::{StringVec, UuidVec};
use crate::error::{Result, StorageError};
use crate::fxhash::FxBuildHasher;
use crate::recent_values::RecentValues;
use crate::uuid::{parse_one_case, shown_case, uuid_strings, LOWER, UPPER};

/// The distinct values of a text column, sorted ascending (bytewise, which is `str` order).
#[derive(Debug, PartialEq)]
pub enum SortedDict<'a> {
    /// Arbitrary UTF-8 strings.
    Plain(Vec<&'a str>),
    /// Canonical UUIDs all written in one case (`upper`), as their 128 bits; hex order is string order.
    Uuid {
        /// The values, ascending.
        values: Vec<u128>,
        /// Whether the hex letters are upper case.
        upper: bool,
    },
}

impl SortedDict<'_> {
    /// Number of distinct values.
    pub fn len(&self) -> usize {
        match self {
            SortedDict::Plain(v) => v.len(),
            SortedDict::Uuid { values, .. } => values.len(),
        }
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every value as a string, in order.
    pub fn to_strings(&self) -> Vec<String> {
        match self {
            SortedDict::Plain(v) => v.iter().map(|s| s.to_string()).collect(),
            SortedDict::Uuid { values, upper } => uuid_strings(values, *upper),
        }
    }

    /// Which letter cases ([`LOWER`], [`UPPER`]) the values use as strings: a UUID dictionary whose
    /// values have no hex letter uses none, so it fits either layout. Plain dictionaries report both
    /// unless empty (they never merge into a UUID layout).
    pub fn cases(&self) -> u8 {
        match self {
            SortedDict::Plain(v) if v.is_empty() => 0,
            SortedDict::Plain(_) => LOWER | UPPER,
            SortedDict::Uuid { values, upper } => shown_case(values, *upper),
        }
    }
}

/// A text column's dictionary and per-row ids (0 for NULL rows).
#[derive(Debug)]
pub struct Encoded<'a> {
    /// The sorted distinct non-NULL values.
    pub dict: SortedDict<'a>,
    /// For each row of the selection, in selection order, the id of its value in `dict`.
    pub ids: Vec<u32>,
}

/// Dictionary-encodes the rows `rows` (indexes into `values`) of a text column; `is_valid(row)` tells
/// non-NULL rows. `InvalidInput` if a value used is not UTF-8.
pub fn encode<'a>(values: &'a StringVec, rows: &[u32], is_valid: impl Fn(usize) -> bool) -> Result<Encoded<'a>> {
    if let Some(encoded) = encode_uuids(values, rows, &is_valid) {
        return Ok(encoded);
    }
    encode_hashed(values, rows, &is_valid)
}

/// Dictionary-encodes the rows `rows` (indexes into `values`) of a column already held as UUIDs.
pub fn encode_uuid_column(values: &UuidVec, rows: &[u32], is_valid: impl Fn(usize) -> bool) -> Encoded<'static> {
    let valid_rows = || {
        rows.iter()
            .enumerate()
            .filter(|&(_, &row)| is_valid(row as usize))
            .map(|(pos, &row)| (values.values[row as usize], pos as u32))
    };
    if valid_rows().next().is_none() {
        // Encoded as the text path encodes a column of NULLs, so segments do not depend on the representation.
        return Encoded {
            dict: SortedDict::Plain(Vec::new()),
            ids: vec![0; rows.len()],
        };
    }
    encode_uuid_values(valid_rows, rows, &is_valid, values.upper)
}

/// The UUID fast path: `None` unless every non-NULL value is a canonical UUID and they share one case.
fn encode_uuids<'a>(values: &'a StringVec, rows: &[u32], is_valid: &impl Fn(usize) -> bool) -> Option<Encoded<'a>> {
    let valid_positions = || {
        rows.iter()
            .enumerate()
            .filter(|&(_, &row)| is_valid(row as usize))
            .map(|(pos, _)| pos)
    };
    valid_positions().next()?;
    let present = |&row: &u32| is_valid(row as usize).then(|| values.get_bytes(row as usize));
    let (parsed, upper) = parse_one_case(rows.iter().map(present))?;
    Some(encode_uuid_values(
        || valid_positions().map(|pos| (parsed[pos], pos as u32)),
        rows,
        is_valid,
        upper,
    ))
}

/// The sorted dictionary and ids of UUID values, given as `(value, position in rows)` for the non-NULL
/// rows (`values()` yields them afresh on each call). Mostly-distinct columns (signal ids) are
/// de-duplicated by sorting, the rest through a hash table so that only the distinct values are sorted.
/// The dictionary is upper case if `upper` and a value has a hex letter: values without letters have no
/// case of their own and are stored lower case, as parsing their text would.
fn encode_uuid_values<I: Iterator<Item = (u128, u32)>>(
    values: impl Fn() -> I,
    rows: &[u32],
    is_valid: &impl Fn(usize) -> bool,
    upper: bool,
) -> Encoded<'static> {
    let sample: Vec<u128> = values().take(SAMPLE).map(|(bits, _)| bits).collect();
    let (dict, ids) = if mostly_distinct(&sample) {
        let mut keyed: Vec<Keyed> = values().map(keyed).collect();
        sorted_by_sorting(&mut keyed, rows.len())
    } else {
        sorted_by_hashing(values(), rows, is_valid)
    };
    let upper = shown_case(&dict, upper) == UPPER;
    Encoded {
        dict: SortedDict::Uuid { values: dict, upper },
        ids,
    }
}

/// Values looked at to choose between de-duplicating by sorting and by hashing.
const SAMPLE: usize = 1024;

/// Whether more than half the sampled values are distinct (signal ids: sort them all).
fn mostly_distinct(sample: &[u128]) -> bool {
    let distinct = sample.iter().collect::<HashSet<&u128, FxBuildHasher>>().len();
    distinct * 2 > sample.len()
}

/// The sorted distinct values of `keyed` (value, position) pairs and the id of each of the `rows`
/// positions (0 where there is none), by sorting all pairs: for mostly-distinct values.
fn sorted_by_sorting(keyed: &mut Vec<Keyed>, rows: usize) -> (Vec<u128>, Vec<u32>) {
    let mut ids = vec![0u32; rows];
    sort_spread(keyed);
    let mut dict: Vec<u128> = Vec::new();
    for &k in keyed.iter() {
        let bits = bits_of(k);
        if dict.last() != Some(&bits) {
            dict.push(bits);
        }
        ids[k.2 as usize] = dict.len() as u32 - 1;
    }
    (dict, ids)
}

/// The sorted distinct values of `values` and the id of each value in that dictionary, in order.
pub(super) fn sorted_uuids(values: &[u128]) -> (Vec<u128>, Vec<u32>) {
    let mut keyed: Vec<Keyed> = values
        .iter()
        .enumerate()
        .map(|(pos, &bits)| keyed((bits, pos as u32)))
        .collect();
    sorted_by_sorting(&mut keyed, values.len())
}

/// Like [`sorted_uuids`] for strings (bytewise order).
pub(super) fn sorted_strs<'a>(values: &[&'a str]) -> (Vec<&'a str>, Vec<u32>) {
    let mut order: Vec<u32> = (0..values.len() as u32).collect();
    order.sort_unstable_by_key(|&i| values[i as usize]);
    let mut dict: Vec<&'a str> = Vec::new();
    let mut ids = vec![0u32; values.len()];
    for i in order {
        let v = values[i as usize];
        if dict.last() != Some(&v) {
            dict.push(v);
        }
        ids[i as usize] = dict.len() as u32 - 1;
    }
    (dict, ids)
}

/// A UUID and a position, sorted as `(value, position)`: the value's high and low halves, so that an
/// entry takes 24 bytes (a `(u128, u32)` pair is padded to 32), which matters for a million signal ids.
type Keyed = (u64, u64, u32);

fn keyed((bits, pos): (u128, u32)) -> Keyed {
    ((bits >> 64) as u64, bits as u64, pos)
}

fn bits_of((hi, lo, _): Keyed) -> u128 {
    u128::from(hi) << 64 | u128::from(lo)
}

/// Like [`sorted_by_sorting`] through a hash table of first-seen ids, so that only the distinct values
/// are sorted: for repeated values (students, classes, assignments).
fn sorted_by_hashing(
    keyed: impl Iterator<Item = (u128, u32)>,
    rows: &[u32],
    is_valid: &impl Fn(usize) -> bool,
) -> (Vec<u128>, Vec<u32>) {
    let mut ids = vec![0u32; rows.len()];
    let mut first_seen: HashMap<u128, u32, FxBuildHasher> = HashMap::default();
    for (bits, pos) in keyed {
        let next = first_seen.len() as u32;
        ids[pos as usize] = *first_seen.entry(bits).or_insert(next);
    }
    let mut distinct: Vec<(u128, u32)> = first_seen.into_iter().collect();
    distinct.sort_unstable();
    remap(&mut ids, rows, is_valid, distinct.iter().map(|&(_, seen)| seen));
    (distinct.into_iter().map(|(bits, _)| bits).collect(), ids)
}

/// Sorts `(value, position)` pairs ascending, as `sort_unstable` would. Mostly-distinct UUIDs (random
/// signal ids) are spread evenly over their top bits, so the pairs are first distributed into buckets by
/// the top 16 bits (one linear pass) and each small bucket is sorted on its own.
fn sort_spread(keyed: &mut Vec<Keyed>) {
    const BUCKET_BITS: u32 = 16;
    if keyed.len() < 1 << BUCKET_BITS {
        keyed.sort_unstable();
        return;
    }
    let bucket = |k: &Keyed| (k.0 >> (64 - BUCKET_BITS)) as usize;
    let mut starts = vec![0usize; (1 << BUCKET_BITS) + 1];
    for k in keyed.iter() {
        starts[bucket(k) + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let mut fill = starts.clone();
    let mut out: Vec<Keyed> = vec![(0, 0, 0); keyed.len()];
    for &pair in keyed.iter() {
        let slot = &mut fill[bucket(&pair)];
        out[*slot] = pair;
        *slot += 1;
    }
    for w in starts.windows(2) {
        out[w[0]..w[1]].sort_unstable();
    }
    *keyed = out;
}

/// Rewrites first-seen ids to sorted ids; `seen_in_sorted_order` yields the first-seen id of each
/// sorted value.
fn remap(
    ids: &mut [u32],
    rows: &[u32],
    is_valid: &impl Fn(usize) -> bool,
    seen_in_sorted_order: impl ExactSizeIterator<Item = u32>,
) {
    let mut to_sorted = vec![0u32; seen_in_sorted_order.len()];
    for (sorted_id, seen_id) in seen_in_sorted_order.enumerate() {
        to_sorted[seen_id as usize] = sorted_id as u32;
    }
    for (&row, id) in rows.iter().zip(ids.iter_mut()) {
        if is_valid(row as usize) {
            *id = to_sorted[*id as usize];
        }
    }
}

/// The general path: first-seen ids through a hash table, then only the distinct values are sorted.
fn encode_hashed<'a>(values: &'a StringVec, rows: &[u32], is_valid: &impl Fn(usize) -> bool) -> Result<Encoded<'a>> {
    let mut first_seen: HashMap<&[u8], u32, FxBuildHasher> = HashMap::default();
    let mut recent = RecentValues::default();
    let mut ids: Vec<u32> = rows
        .iter()
        .map(|&row| {
            if !is_valid(row as usize) {
                return 0;
            }
            let value = values.get_bytes(row as usize);
            recent.get_or_insert(value, || {
                let next = first_seen.len() as u32;
                *first_seen.entry(value).or_insert(next)
            })
        })
        .collect();
    let mut distinct: Vec<(&[u8], u32)> = first_seen.into_iter().collect();
    distinct.sort_unstable();
    remap(&mut ids, rows, is_valid, distinct.iter().map(|&(_, seen)| seen));
    let dict = distinct
        .into_iter()
        .map(|(bytes, _)| {
            std::str::from_utf8(bytes).map_err(|e| StorageError::InvalidInput(format!("text value is not UTF-8: {e}")))
        })
        .collect::<Result<Vec<&str>>>()?;
    Ok(Encoded {
        dict: SortedDict::Plain(dict),
        ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uuid::parse_uuid;

    fn strings(values: &[&str]) -> StringVec {
        values.iter().copied().collect()
    }

    #[test]
    fn repeated_uuids_are_stored_as_uuids() {
        let ids = [
            "020ed8ae-8f5f-4127-9ac2-bf214d535a86",
            "00000000-0000-0000-0000-000000000001",
        ];
        let values = strings(&[ids[0], ids[1], ids[0], ids[0], ids[1], ids[0]]);
        let enc = encode(&values, &[0, 1, 2, 3, 4, 5], |_| true).unwrap();
        let expected: Vec<u128> = [ids[1], ids[0]]
            .iter()
            .filter_map(|s| parse_uuid(s.as_bytes()).map(|(b, _)| b))
            .collect();
        assert_eq!(
            enc.dict,
            SortedDict::Uuid {
                values: expected,
                upper: false
            }
        );
        assert_eq!(enc.ids, vec![1, 0, 1, 1, 0, 1]);
    }

    #[test]
    fn spread_sort_equals_a_plain_sort() {
        // Enough pairs for the bucketed path, with duplicates and values in few buckets.
        let pairs: Vec<(u128, u32)> = (0..200_000u32)
            .map(|i| {
                let x = u128::from(i.wrapping_mul(2_654_435_761) % 50_000);
                (x << 100 | x.wrapping_mul(0x9E37_79B9) | u128::from(i % 3) << 120, i)
            })
            .collect();
        let mut expected = pairs.clone();
        expected.sort_unstable();
        let mut sorted: Vec<Keyed> = pairs.into_iter().map(keyed).collect();
        sort_spread(&mut sorted);
        let sorted: Vec<(u128, u32)> = sorted.into_iter().map(|k| (bits_of(k), k.2)).collect();
        assert_eq!(sorted, expected);
    }

    #[test]
    fn uuids_of_one_case_take_the_fast_path_and_sort_like_strings() {
        let lower = [
            "5ca2485d-59cb-4207-8359-4056c7704656",
            "020ed8ae-8f5f-4127-9ac2-bf214d535a86",
        ];
        let values = strings(&[lower[0], lower[1], lower[0]]);
        let enc = encode(&values, &[0, 1, 2], |_| true).unwrap();
        let SortedDict::Uuid { values: dict, upper } = &enc.dict else {
            panic!("expected the UUID path, got {:?}", enc.dict)
        };
        assert!(!upper);
        assert_eq!(dict.len(), 2);
        assert_eq!(enc.ids, vec![1, 0, 1]);
        assert_eq!(parse_uuid(lower[1].as_bytes()).map(|(b, _)| b), Some(dict[0]));
    }

    #[test]
    fn mixed_case_or_other_text_takes_the_hash_path() {
        let values = strings(&[
            "5CA2485D-59CB-4207-8359-4056C7704656",
            "020ed8ae-8f5f-4127-9ac2-bf214d535a86",
            "",
            "b",
        ]);
        let enc = encode(&values, &[3, 0, 1, 2], |r| r != 2).unwrap();
        assert_eq!(
            enc.dict,
            SortedDict::Plain(vec![
                "020ed8ae-8f5f-4127-9ac2-bf214d535a86",
                "5CA2485D-59CB-4207-8359-4056C7704656",
                "b"
            ])
        );
        assert_eq!(enc.ids, vec![2, 1, 0, 0]);
        assert_eq!(parse_uuid(b"020ed8ae-8f5f-4127-9ac2-bf214d535a8g"), None);
        assert_eq!(parse_uuid(b"020ed8ae8f5f-4127-9ac2-bf214d535a86"), None);
    }
}
