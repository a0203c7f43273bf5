//! The value encodings inside segment blocks: frame-of-reference + GCD bit-packed integers, plain
//! doubles, sorted string dictionaries and null sets. Decoders report damage as [`Malformed`].

use super::bitmap;
use super::bitpack::{bits_needed, pack, packed_len, unpack};
use super::dictionary::SortedDict;
use super::patched::{decode_patched, encode_patched, PATCHED};
use crate::shared_dictionary::SharedDictionary;
use roaring::RoaringBitmap;

/// A decoding failure at byte `at` of the block being decoded; the reader adds file and block offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// Offset inside the block.
    pub at: usize,
    /// What did not check out.
    pub detail: String,
}

impl Malformed {
    /// A failure at offset `at`.
    pub fn at(at: usize, detail: impl Into<String>) -> Malformed {
        Malformed {
            at,
            detail: detail.into(),
        }
    }

    fn shifted(mut self, by: usize) -> Malformed {
        self.at += by;
        self
    }
}

/// A bounds-checked little-endian reader over one block.
pub struct ByteReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> ByteReader<'a> {
    /// Reads `buf` from its start.
    pub fn new(buf: &'a [u8]) -> ByteReader<'a> {
        ByteReader { buf, pos: 0 }
    }

    /// Current offset.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes not yet consumed.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], Malformed> {
        if n > self.remaining() {
            return Err(Malformed::at(
                self.pos,
                format!("{what}: needs {n} bytes, only {} left", self.remaining()),
            ));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], Malformed> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }

    /// One byte.
    pub fn u8(&mut self, what: &str) -> Result<u8, Malformed> {
        Ok(self.array::<1>(what)?[0])
    }
    /// A little-endian `u16`.
    pub fn u16(&mut self, what: &str) -> Result<u16, Malformed> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }
    /// A little-endian `u32`.
    pub fn u32(&mut self, what: &str) -> Result<u32, Malformed> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }
    /// A little-endian `u64`.
    pub fn u64(&mut self, what: &str) -> Result<u64, Malformed> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }
    /// A little-endian `i64`.
    pub fn i64(&mut self, what: &str) -> Result<i64, Malformed> {
        Ok(i64::from_le_bytes(self.array(what)?))
    }

    /// Fails unless every byte was consumed.
    pub fn finish(&self, what: &str) -> Result<(), Malformed> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(Malformed::at(
                self.pos,
                format!("{n} unexpected trailing bytes after {what}"),
            )),
        }
    }
}

/// Greatest common divisor (`gcd(0, b) = b`).
pub(super) fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The width byte that marks the run-length form of packed integers (real widths are 0..=64).
const RUNS: u8 = 0x80;

/// Appends `values` as packed integers, in whichever form is smallest:
/// - frame of reference: count u32, min i64, gcd u64, width u8 (0..=64), then `(v - min) / gcd` packed at
///   `width` bits;
/// - runs (format version 2, for sorted columns such as school and class): count u32, min i64 = 0, gcd
///   u64 = 0, width u8 = 0x80, run count u32, the run values and then the run lengths minus one, each as
///   frame-of-reference packed integers;
/// - patched frame of reference (format version 3, for timestamps that are nearly all whole seconds):
///   see [`encode_patched`].
pub fn encode_ints(values: &[i64], out: &mut Vec<u8>) {
    let start = out.len();
    encode_for(values, out);
    for other in [encode_runs(values), encode_patched(values)].into_iter().flatten() {
        if other.len() < out.len() - start {
            out.truncate(start);
            out.extend_from_slice(&other);
        }
    }
}

/// The runs form of [`encode_ints`], if the values form runs averaging at least 4.
fn encode_runs(values: &[i64]) -> Option<Vec<u8>> {
    let runs = 1 + values.windows(2).filter(|w| w[0] != w[1]).count();
    if values.len() < 16 || runs * 4 > values.len() {
        return None;
    }
    let mut run_values = Vec::with_capacity(runs);
    let mut run_lengths: Vec<i64> = Vec::with_capacity(runs);
    for &v in values {
        match (run_values.last(), run_lengths.last_mut()) {
            (Some(&last), Some(len)) if last == v => *len += 1,
            _ => {
                run_values.push(v);
                run_lengths.push(0);
            }
        }
    }
    let mut as_runs = Vec::new();
    as_runs.extend_from_slice(&(values.len() as u32).to_le_bytes());
    as_runs.extend_from_slice(&0i64.to_le_bytes());
    as_runs.extend_from_slice(&0u64.to_le_bytes());
    as_runs.push(RUNS);
    as_runs.extend_from_slice(&(runs as u32).to_le_bytes());
    encode_for(&run_values, &mut as_runs);
    encode_for(&run_lengths, &mut as_runs);
    Some(as_runs)
}

/// The frame-of-reference form of [`encode_ints`] (the only form of version 1).
pub(super) fn encode_for(values: &[i64], out: &mut Vec<u8>) {
    let min = values.iter().copied().min().unwrap_or(0);
    let mut divisor = 0u64;
    let mut max_delta = 0u64;
    for &v in values {
        let delta = v.wrapping_sub(min) as u64;
        max_delta = max_delta.max(delta);
        if divisor != 1 {
            divisor = gcd(divisor, delta);
        }
    }
    let divisor = divisor.max(1);
    let width = bits_needed(max_delta / divisor);
    out.extend_from_slice(&(values.len() as u32).to_le_bytes());
    out.extend_from_slice(&min.to_le_bytes());
    out.extend_from_slice(&divisor.to_le_bytes());
    out.push(width);
    pack(
        values.iter().map(|&v| (v.wrapping_sub(min) as u64) / divisor),
        width,
        out,
    );
}

/// Reads a u32 value count that must equal `expected`.
fn read_count(r: &mut ByteReader<'_>, expected: usize) -> Result<usize, Malformed> {
    let start = r.pos();
    let count = r.u32("value count")? as usize;
    if count != expected {
        return Err(Malformed::at(
            start,
            format!("block holds {count} values, expected {expected}"),
        ));
    }
    Ok(count)
}

/// Reads what [`encode_ints`] wrote in a segment of format `version` (1: frame of reference only; 2 adds
/// runs; 3 adds the patched form); the count must equal `expected`. The lists nested inside the runs and
/// patched forms are frames of reference, read as version 1.
pub fn decode_ints(r: &mut ByteReader<'_>, expected: usize, version: u32) -> Result<Vec<i64>, Malformed> {
    let start = r.pos();
    let count = read_count(r, expected)?;
    let min = r.i64("frame of reference")?;
    let divisor = r.u64("common divisor")?;
    let width = r.u8("bit width")?;
    if width == PATCHED && version >= 3 {
        return decode_patched(r, start, count, min, divisor);
    }
    if width == RUNS && version >= 2 {
        if min != 0 || divisor != 0 {
            return Err(Malformed::at(start, "run-length integers with a frame of reference"));
        }
        let at = r.pos();
        let runs = r.u32("run count")? as usize;
        if runs > count || (runs == 0) != (count == 0) {
            return Err(Malformed::at(at, format!("{runs} runs cannot hold {count} values")));
        }
        let values = decode_ints(r, runs, 1)?;
        let lengths = decode_ints(r, runs, 1)?;
        let total = lengths.iter().try_fold(0usize, |acc, &l| {
            usize::try_from(l).ok().and_then(|l| acc.checked_add(l)?.checked_add(1))
        });
        if total != Some(count) {
            return Err(Malformed::at(at, format!("run lengths do not add up to {count}")));
        }
        let mut out = Vec::with_capacity(count);
        for (&v, &l) in values.iter().zip(&lengths) {
            out.extend(std::iter::repeat_n(v, l as usize + 1));
        }
        return Ok(out);
    }
    let len = packed_len(count, width).ok_or_else(|| Malformed::at(start, "packed length overflows"))?;
    let at = r.pos();
    let packed = r.take(len, "packed values")?;
    let raw = unpack(packed, count, width).map_err(|m| m.shifted(at))?;
    Ok(raw
        .into_iter()
        .map(|x| min.wrapping_add(x.wrapping_mul(divisor) as i64))
        .collect())
}

/// Double forms (format version 2): raw IEEE-754, or decimals stored as scaled integers.
const DOUBLES_RAW: u8 = 0;
const DOUBLES_DECIMAL: u8 = 1;
/// Largest decimal scale tried (values with up to this many decimal digits).
const MAX_SCALE: u8 = 4;

/// The smallest scale `k` such that every value is exactly `n / 10^k` for an integer `n` below 2^53
/// (checked bit for bit, so the decoder's division gives back the very same doubles).
fn decimal_scale(values: &[f64]) -> Option<u8> {
    (0..=MAX_SCALE).find(|&k| {
        let p = 10f64.powi(k as i32);
        values.iter().all(|&v| {
            let n = (v * p).round();
            n.abs() < 9_007_199_254_740_992.0 && ((n as i64) as f64 / p).to_bits() == v.to_bits()
        })
    })
}

/// Appends `values` (format version 2): count u32, form u8, then either count × f64 LE (raw) or a scale
/// u8 `k` and the integers `v × 10^k` as packed integers (decimal; grades such as 87.5 take a few bits).
pub fn encode_doubles(values: &[f64], out: &mut Vec<u8>) {
    out.extend_from_slice(&(values.len() as u32).to_le_bytes());
    if let Some(k) = decimal_scale(values).filter(|_| !values.is_empty()) {
        let p = 10f64.powi(k as i32);
        out.push(DOUBLES_DECIMAL);
        out.push(k);
        let scaled: Vec<i64> = values.iter().map(|&v| (v * p).round() as i64).collect();
        encode_ints(&scaled, out);
        return;
    }
    out.push(DOUBLES_RAW);
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// Reads what [`encode_doubles`] wrote in a segment of format `version` (1: count then raw f64s only);
/// the count must equal `expected`.
pub fn decode_doubles(r: &mut ByteReader<'_>, expected: usize, version: u32) -> Result<Vec<f64>, Malformed> {
    let start = r.pos();
    let count = read_count(r, expected)?;
    let form = if version >= 2 {
        r.u8("double form")?
    } else {
        DOUBLES_RAW
    };
    match form {
        DOUBLES_RAW => {
            let bytes = r.take(
                count
                    .checked_mul(8)
                    .ok_or_else(|| Malformed::at(start, "length overflows"))?,
                "doubles",
            )?;
            Ok(bytes
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect())
        }
        DOUBLES_DECIMAL => {
            let k = r.u8("decimal scale")?;
            if k > MAX_SCALE {
                return Err(Malformed::at(
                    r.pos() - 1,
                    format!("decimal scale {k} exceeds {MAX_SCALE}"),
                ));
            }
            let p = 10f64.powi(k as i32);
            Ok(decode_ints(r, count, version)?
                .into_iter()
                .map(|n| n as f64 / p)
                .collect())
        }
        other => Err(Malformed::at(start + 4, format!("unknown double form {other}"))),
    }
}

/// Dictionary layouts: plain strings, or canonical hyphenated UUIDs packed into 16 bytes each.
const DICT_PLAIN: u8 = 0;
const DICT_UUID_LOWER: u8 = 1;
const DICT_UUID_UPPER: u8 = 2;
/// Shared-dictionary layouts (format version 4): the values are UUIDs of one case held in the store's
/// shared dictionary of the column, and the block lists their ids there.
const DICT_SHARED_LOWER: u8 = 3;
const DICT_SHARED_UPPER: u8 = 4;
/// The first format version with the shared-dictionary layouts.
const SHARED_DICT_VERSION: u32 = 4;

/// Appends a dictionary block that refers to the store's shared dictionary: layout u8 (3: lower-case
/// UUIDs, 4: upper-case), size u32, then the ids of the segment's values in the shared dictionary, in
/// the values' (ascending) order, as the differences from the previous id (the first from 0) written
/// by [`encode_ints`]. The shared dictionary numbers each flush's new values in ascending order, so the
/// differences are mostly small and positive and pack into a few bits each.
pub fn encode_shared_dict(global_ids: &[u32], upper: bool, out: &mut Vec<u8>) {
    out.push(if upper { DICT_SHARED_UPPER } else { DICT_SHARED_LOWER });
    out.extend_from_slice(&(global_ids.len() as u32).to_le_bytes());
    let mut previous = 0i64;
    let deltas: Vec<i64> = global_ids
        .iter()
        .map(|&id| {
            let delta = i64::from(id) - previous;
            previous = i64::from(id);
            delta
        })
        .collect();
    encode_ints(&deltas, out);
}

/// Reads the ids of a shared-dictionary block after its layout and size (`count` ids) and resolves
/// them in `shared`, checking that every id is in it and that the values ascend strictly.
fn decode_shared_dict(
    r: &mut ByteReader<'_>,
    count: usize,
    version: u32,
    shared: Option<&SharedDictionary>,
) -> Result<Vec<u128>, Malformed> {
    let shared = require_shared(shared)?;
    let ids = decode_shared_ids(r, count, version, shared)?;
    let values = shared
        .values_of(&ids)
        .map_err(|e| Malformed::at(0, e.to_string()))?
        .ok_or_else(|| Malformed::at(5, "an id beyond the shared dictionary"))?;
    if values.windows(2).any(|w| w[0] >= w[1]) {
        return Err(Malformed::at(5, "dictionary is not strictly ascending"));
    }
    Ok(values)
}

fn require_shared(shared: Option<&SharedDictionary>) -> Result<&SharedDictionary, Malformed> {
    shared.ok_or_else(|| {
        Malformed::at(
            0,
            "the dictionary refers to the store's shared dictionary, which was not opened with this segment",
        )
    })
}

/// The ids of a shared-dictionary block after its layout and size (`count` ids), each checked to be in
/// `shared`, without resolving them.
fn decode_shared_ids(
    r: &mut ByteReader<'_>,
    count: usize,
    version: u32,
    shared: &SharedDictionary,
) -> Result<Vec<u32>, Malformed> {
    let size = shared.len().map_err(|e| Malformed::at(0, e.to_string()))?;
    // Ids are distinct, so more of them than the shared dictionary holds is damage (and this bounds the
    // allocation, as packed differences may take no bytes at all).
    if count > size {
        return Err(Malformed::at(
            1,
            format!("{count} values but the shared dictionary holds {size}"),
        ));
    }
    let mut previous = 0i64;
    let mut ids = Vec::with_capacity(count);
    for delta in decode_ints(r, count, version)? {
        previous = previous
            .checked_add(delta)
            .ok_or_else(|| Malformed::at(5, "shared dictionary id overflows"))?;
        let id = u32::try_from(previous)
            .ok()
            .filter(|&id| (id as usize) < size)
            .ok_or_else(|| {
                Malformed::at(
                    5,
                    format!("id {previous} beyond the shared dictionary's {size} entries"),
                )
            })?;
        ids.push(id);
    }
    Ok(ids)
}

/// Appends a sorted dictionary of strings, choosing the UUID layout when every value is a canonical UUID
/// written in one case (see [`encode_sorted_dict`]). The writer builds [`SortedDict`]s directly; this is
/// for tests of the format.
#[cfg(test)]
pub fn encode_dictionary(dict: &[&str], out: &mut Vec<u8>) {
    use crate::uuid::parse_uuid;
    let parsed: Option<Vec<(u128, u8)>> = dict.iter().map(|s| parse_uuid(s.as_bytes())).collect();
    let cases = parsed.as_ref().map(|p| p.iter().fold(0, |acc, (_, c)| acc | c));
    match (parsed, cases) {
        (Some(p), Some(cases)) if !p.is_empty() && cases != 0x30 => encode_sorted_dict(
            &SortedDict::Uuid {
                values: p.into_iter().map(|(bits, _)| bits).collect(),
                upper: cases == 0x20,
            },
            out,
        ),
        _ => encode_sorted_dict(&SortedDict::Plain(dict.to_vec()), out),
    }
}

/// Appends a sorted dictionary: layout u8, size u32, then either the byte lengths as [`encode_ints`]
/// followed by the UTF-8 bytes (plain), or 16 big-endian bytes per value (UUIDs of one case; hex order
/// equals string order, so the dictionary stays sorted).
pub fn encode_sorted_dict(dict: &SortedDict<'_>, out: &mut Vec<u8>) {
    match dict {
        SortedDict::Uuid { values, upper } => {
            out.push(if *upper { DICT_UUID_UPPER } else { DICT_UUID_LOWER });
            put_uuids(values, out);
        }
        SortedDict::Plain(values) => {
            out.push(DICT_PLAIN);
            put_strings(values, out);
        }
    }
}

/// Appends the count u32, the byte lengths of `values` as [`encode_ints`], then their bytes.
pub fn put_strings(values: &[&str], out: &mut Vec<u8>) {
    out.extend_from_slice(&(values.len() as u32).to_le_bytes());
    let lengths: Vec<i64> = values.iter().map(|s| s.len() as i64).collect();
    encode_ints(&lengths, out);
    for s in values {
        out.extend_from_slice(s.as_bytes());
    }
}

/// Appends the count u32, then each UUID as its 16 big-endian bytes.
pub fn put_uuids(values: &[u128], out: &mut Vec<u8>) {
    out.extend_from_slice(&(values.len() as u32).to_le_bytes());
    out.reserve(16 * values.len());
    for v in values {
        out.extend_from_slice(&v.to_be_bytes());
    }
}

/// UUIDs stored as 16 big-endian bytes each (`bytes.len()` a multiple of 16; a remainder is ignored).
pub(crate) fn uuids_from_be_bytes(bytes: &[u8]) -> Vec<u128> {
    bytes
        .chunks_exact(16)
        .map(|b| {
            let mut be = [0u8; 16];
            be.copy_from_slice(b);
            u128::from_be_bytes(be)
        })
        .collect()
}

/// Reads what [`encode_dictionary`] wrote in a segment of format `version`; checks UTF-8 and strictly
/// ascending order.
#[cfg(test)]
pub fn decode_dictionary(r: &mut ByteReader<'_>, version: u32) -> Result<Vec<String>, Malformed> {
    Ok(decode_sorted_dict(r, version, None)?.to_strings())
}

/// Reads what [`encode_sorted_dict`] wrote in a segment of format `version` without building strings:
/// plain values borrow the block, UUIDs stay 128-bit integers. Checks UTF-8 and strictly ascending order.
pub fn decode_sorted_dict<'a>(
    r: &mut ByteReader<'a>,
    version: u32,
    shared: Option<&SharedDictionary>,
) -> Result<SortedDict<'a>, Malformed> {
    let layout = r.u8("dictionary layout")?;
    let count = r.u32("dictionary size")? as usize;
    if let Some(upper) = shared_layout(layout, version) {
        let values = decode_shared_dict(r, count, version, shared)?;
        return Ok(SortedDict::Uuid { values, upper });
    }
    if count > r.remaining() {
        return Err(Malformed::at(
            r.pos() - 4,
            format!("dictionary size {count} exceeds the block"),
        ));
    }
    let unordered = |at: usize| Malformed::at(at, "dictionary is not strictly ascending");
    match layout {
        DICT_PLAIN => {
            let mut dict: Vec<&'a str> = Vec::with_capacity(count);
            for len in decode_ints(r, count, version)? {
                let at = r.pos();
                let len =
                    usize::try_from(len).map_err(|_| Malformed::at(at, format!("negative string length {len}")))?;
                let bytes = r.take(len, "dictionary string")?;
                let s = std::str::from_utf8(bytes).map_err(|e| Malformed::at(at, format!("dictionary string: {e}")))?;
                if dict.last().is_some_and(|prev| *prev >= s) {
                    return Err(unordered(at));
                }
                dict.push(s);
            }
            Ok(SortedDict::Plain(dict))
        }
        DICT_UUID_LOWER | DICT_UUID_UPPER => {
            let mut values: Vec<u128> = Vec::with_capacity(count);
            for _ in 0..count {
                let at = r.pos();
                let v = u128::from_be_bytes(r.array("packed UUID")?);
                if values.last().is_some_and(|&prev| prev >= v) {
                    return Err(unordered(at));
                }
                values.push(v);
            }
            Ok(SortedDict::Uuid {
                values,
                upper: layout == DICT_UUID_UPPER,
            })
        }
        other => Err(Malformed::at(0, format!("unknown dictionary layout {other}"))),
    }
}

/// `Some(upper)` if `layout` is a shared-dictionary layout of a segment of format `version`.
fn shared_layout(layout: u8, version: u32) -> Option<bool> {
    match layout {
        DICT_SHARED_LOWER | DICT_SHARED_UPPER if version >= SHARED_DICT_VERSION => Some(layout == DICT_SHARED_UPPER),
        _ => None,
    }
}

/// Where each value of a dictionary block lies, for looking values up without decoding the
/// dictionary into strings (index lookups on a column not otherwise read).
#[derive(Debug)]
pub enum DictionaryIndex {
    /// Shared-dictionary layout: the ids of the (ascending) values in the store's shared dictionary,
    /// looked up there during the search rather than all resolved up front.
    Shared {
        /// The ids, in the order of their values.
        ids: Vec<u32>,
        /// Whether the hex letters are upper case.
        upper: bool,
    },
    /// UUID layout: `count` 16-byte big-endian values from absolute offset `start`.
    Uuid {
        /// Absolute file offset of the first value.
        start: usize,
        /// Number of values.
        count: usize,
        /// Whether the hex letters are upper case.
        upper: bool,
    },
    /// Plain layout: value `i` is the bytes at absolute offsets `starts[i]..starts[i + 1]`.
    Plain {
        /// `count + 1` absolute offsets.
        starts: Vec<usize>,
    },
}

impl DictionaryIndex {
    /// Reads the layout of a dictionary block (consuming it all) of a segment of format `version`; `base`
    /// is the block's file offset.
    pub fn read(
        r: &mut ByteReader<'_>,
        base: usize,
        version: u32,
        shared: Option<&SharedDictionary>,
    ) -> Result<DictionaryIndex, Malformed> {
        let layout = r.u8("dictionary layout")?;
        let count = r.u32("dictionary size")? as usize;
        if let Some(upper) = shared_layout(layout, version) {
            let ids = decode_shared_ids(r, count, version, require_shared(shared)?)?;
            return Ok(DictionaryIndex::Shared { ids, upper });
        }
        if count > r.remaining() {
            return Err(Malformed::at(1, format!("dictionary size {count} exceeds the block")));
        }
        match layout {
            DICT_UUID_LOWER | DICT_UUID_UPPER => {
                let start = base + r.pos();
                r.take(16 * count, "packed UUIDs")?;
                Ok(DictionaryIndex::Uuid {
                    start,
                    count,
                    upper: layout == DICT_UUID_UPPER,
                })
            }
            DICT_PLAIN => {
                let lengths = decode_ints(r, count, version)?;
                let mut starts = Vec::with_capacity(count + 1);
                let mut at = base + r.pos();
                starts.push(at);
                for len in lengths {
                    let len = usize::try_from(len).map_err(|_| Malformed::at(r.pos(), "negative string length"))?;
                    at += len;
                    starts.push(at);
                }
                r.take(at - starts[0], "dictionary strings")?;
                Ok(DictionaryIndex::Plain { starts })
            }
            other => Err(Malformed::at(0, format!("unknown dictionary layout {other}"))),
        }
    }

    /// The id of `value` by binary search over the (checksummed, ascending) dictionary in `file`.
    /// `shared` is the column's shared dictionary, which a shared layout needs (and was read with).
    pub fn lookup(&self, file: &[u8], value: &str, shared: Option<&SharedDictionary>) -> Option<u32> {
        match self {
            DictionaryIndex::Shared { ids, upper } => {
                let bits = uuid_in_case(value, *upper)?;
                shared?.search(ids, bits).ok().flatten()
            }
            DictionaryIndex::Uuid { start, count, upper } => {
                let bits = uuid_in_case(value, *upper)?;
                let at = |i: usize| {
                    let b = &file[start + 16 * i..start + 16 * i + 16];
                    u128::from_be_bytes(b.try_into().unwrap_or([0; 16]))
                };
                binary_search(*count, |i| at(i).cmp(&bits))
            }
            DictionaryIndex::Plain { starts } => binary_search(starts.len() - 1, |i| {
                file[starts[i]..starts[i + 1]].cmp(value.as_bytes())
            }),
        }
    }
}

/// The bits of `value` if it is a canonical UUID written in the dictionary's case (`upper`): a value
/// in the other case is a different string, not in the dictionary.
fn uuid_in_case(value: &str, upper: bool) -> Option<u128> {
    let (bits, cases) = crate::uuid::parse_uuid(value.as_bytes())?;
    let wrong_case = if upper { 0x10 } else { 0x20 };
    (cases & wrong_case == 0).then_some(bits)
}

/// The index in `0..len` where `probe` says Equal, for a `probe` ascending in its index.
fn binary_search(len: usize, probe: impl Fn(usize) -> std::cmp::Ordering) -> Option<u32> {
    let (mut lo, mut hi) = (0, len);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match probe(mid) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return Some(mid as u32),
        }
    }
    None
}

/// How a null block stores its set: the NULL rows themselves, (when smaller) the non-NULL rows, or (format
/// version 3) by naming an earlier column with the very same NULL rows.
const NULLS_LISTED: u8 = 0;
const PRESENT_LISTED: u8 = 1;
const SAME_AS_COLUMN: u8 = 2;

/// Appends the NULL rows of a column whose row `i` is present when `valid[i]`: polarity u8 then a
/// portable roaring bitmap of whichever of the NULL rows or the present rows is the smaller set (their
/// run counts differ by at most one, so the smaller set also serializes smaller, give or take a run).
pub fn encode_nulls(valid: &[bool], out: &mut Vec<u8>) {
    let present = valid.iter().filter(|&&v| v).count();
    let list_present = present < valid.len() - present;
    out.push(if list_present { PRESENT_LISTED } else { NULLS_LISTED });
    let listed = valid
        .iter()
        .enumerate()
        .filter(|&(_, &v)| v == list_present)
        .map(|(i, _)| i as u32);
    bitmap::serialize_sorted(listed, out);
}

/// Appends a null block that stands for the NULL rows of column `column` (format version 3): polarity 2
/// then the column u8. Columns that are NULL on the same rows (an assignment's id, due date and action;
/// a meeting and its seconds; the reading columns) store their set once.
pub fn encode_nulls_same_as(column: usize, out: &mut Vec<u8>) {
    out.push(SAME_AS_COLUMN);
    out.push(column as u8);
}

/// What a null block holds.
#[derive(Debug, Clone, PartialEq)]
pub enum NullSet {
    /// The NULL rows.
    Rows(RoaringBitmap),
    /// The same NULL rows as this (earlier) column's null block.
    SameAs(usize),
}

/// Reads what [`encode_nulls`] or (`version` ≥ 3) [`encode_nulls_same_as`] wrote; the NULL rows are all
/// `< rows`.
pub fn decode_nulls(r: &mut ByteReader<'_>, rows: u32, version: u32) -> Result<NullSet, Malformed> {
    let polarity = r.u8("null polarity")?;
    if polarity == SAME_AS_COLUMN && version >= 3 {
        return Ok(NullSet::SameAs(r.u8("column with the same nulls")? as usize));
    }
    let at = r.pos();
    let listed = bitmap::deserialize(r.take(r.remaining(), "null bitmap")?).map_err(|m| m.shifted(at))?;
    if listed.max().is_some_and(|m| m >= rows) {
        return Err(Malformed::at(
            at,
            format!("null bitmap names row {:?} of {rows}", listed.max()),
        ));
    }
    match polarity {
        NULLS_LISTED => Ok(NullSet::Rows(listed)),
        PRESENT_LISTED => {
            let mut nulls = RoaringBitmap::new();
            nulls.insert_range(0..rows);
            nulls -= listed;
            Ok(NullSet::Rows(nulls))
        }
        p => Err(Malformed::at(at - 1, format!("unknown null polarity {p}"))),
    }
}

/// Places `present` values (one per non-NULL row, in row order) into a `rows`-long vector with
/// `fill` at the NULL rows.
pub fn scatter<T: Copy>(present: Vec<T>, nulls: Option<&RoaringBitmap>, rows: usize, fill: T) -> Vec<T> {
    let Some(nulls) = nulls else { return present };
    if nulls.len() as usize > rows / 2 {
        // Mostly NULL: start from `fill` everywhere and place the few values.
        let mut out = vec![fill; rows];
        let mut present_rows = RoaringBitmap::new();
        present_rows.insert_range(0..rows as u32);
        present_rows -= nulls;
        for (row, v) in present_rows.iter().zip(present) {
            out[row as usize] = v;
        }
        return out;
    }
    let mut out = Vec::with_capacity(rows);
    let mut values = present.into_iter();
    let mut next = 0usize;
    for null_row in nulls.iter().map(|r| r as usize) {
        out.extend(values.by_ref().take(null_row - next));
        out.push(fill);
        next = null_row + 1;
    }
    out.extend(values);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::FORMAT_VERSION;

    #[test]
    fn ints_use_frame_of_reference_and_gcd() {
        let values = [1_000_000_000i64, 1_003_000_000, 1_001_000_000, 1_000_000_000];
        let mut out = Vec::new();
        encode_ints(&values, &mut out);
        // 4 + 8 + 8 + 1 header bytes, then four 2-bit deltas (0, 3, 1, 0) in one byte.
        assert_eq!(out.len(), 22);
        assert_eq!(
            decode_ints(&mut ByteReader::new(&out), 4, FORMAT_VERSION).unwrap(),
            values
        );
        assert!(decode_ints(&mut ByteReader::new(&out), 5, FORMAT_VERSION).is_err());
    }

    #[test]
    fn sorted_ints_use_runs_when_smaller_and_runs_are_checked() {
        let values: Vec<i64> = (0..1000).map(|i| i / 100 * 7).collect();
        let mut out = Vec::new();
        encode_ints(&values, &mut out);
        assert_eq!(out[20], RUNS);
        assert_eq!(
            out.len(),
            21 + 4 + (21 + 5) + 21,
            "10 runs of 100: values 0..63 step 7, lengths all 99"
        );
        assert_eq!(
            decode_ints(&mut ByteReader::new(&out), 1000, FORMAT_VERSION).unwrap(),
            values
        );
        // Lengths that do not add up are malformed, not a short or long column.
        let mut bad = out.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0x01;
        assert!(decode_ints(&mut ByteReader::new(&bad), 1000, FORMAT_VERSION).is_err());
        let distinct: Vec<i64> = (0..1000).collect();
        out.clear();
        encode_ints(&distinct, &mut out);
        assert_ne!(out[20], RUNS);
    }

    #[test]
    fn decimal_doubles_round_trip_bit_for_bit_and_others_stay_raw() {
        for (values, decimal) in [
            (vec![87.5, 100.0, 0.0, 3.25, 1.6], true),
            (vec![0.1, 0.2, 0.30000000000000004], false),
            (vec![-0.0, 1.0], false),
            (vec![f64::NAN], false),
            (vec![1e300], false),
        ] {
            let mut out = Vec::new();
            encode_doubles(&values, &mut out);
            assert_eq!(out[4] == DOUBLES_DECIMAL, decimal, "{values:?}");
            let back = decode_doubles(&mut ByteReader::new(&out), values.len(), 2).unwrap();
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&back), bits(&values));
        }
        // Version 1 blocks hold raw doubles right after the count.
        let mut v1 = 2u32.to_le_bytes().to_vec();
        v1.extend_from_slice(&1.5f64.to_le_bytes());
        v1.extend_from_slice(&2.5f64.to_le_bytes());
        assert_eq!(decode_doubles(&mut ByteReader::new(&v1), 2, 1).unwrap(), [1.5, 2.5]);
    }

    #[test]
    fn extreme_ints_round_trip() {
        let values = [i64::MIN, i64::MAX, 0, -1];
        let mut out = Vec::new();
        encode_ints(&values, &mut out);
        assert_eq!(
            decode_ints(&mut ByteReader::new(&out), 4, FORMAT_VERSION).unwrap(),
            values
        );
    }

    #[test]
    fn uuid_dictionaries_pack_to_16_bytes_and_keep_case() {
        for dict in [
            vec![
                "020ed8ae-8f5f-4127-9ac2-bf214d535a86",
                "5ca2485d-59cb-4207-8359-4056c7704656",
            ],
            vec![
                "020ED8AE-8F5F-4127-9AC2-BF214D535A86",
                "5CA2485D-59CB-4207-8359-4056C7704656",
            ],
        ] {
            let mut out = Vec::new();
            encode_dictionary(&dict, &mut out);
            assert_eq!(out.len(), 1 + 4 + 2 * 16);
            assert_eq!(
                decode_dictionary(&mut ByteReader::new(&out), FORMAT_VERSION).unwrap(),
                dict
            );
        }
        let mixed = [
            "020ed8ae-8f5f-4127-9ac2-bf214d535a86",
            "5CA2485D-59CB-4207-8359-4056C7704656",
        ];
        let mut out = Vec::new();
        encode_dictionary(&mixed, &mut out);
        assert_eq!(out[0], DICT_PLAIN);
        assert_eq!(
            decode_dictionary(&mut ByteReader::new(&out), FORMAT_VERSION).unwrap(),
            mixed
        );
    }

    #[test]
    fn dictionary_rejects_unsorted_and_bad_utf8() {
        let mut out = Vec::new();
        encode_dictionary(&["a", "b"], &mut out);
        assert_eq!(
            decode_dictionary(&mut ByteReader::new(&out), FORMAT_VERSION).unwrap(),
            ["a", "b"]
        );
        let n = out.len();
        out.swap(n - 1, n - 2);
        assert!(decode_dictionary(&mut ByteReader::new(&out), FORMAT_VERSION).is_err());
        out[n - 1] = 0xff;
        assert!(decode_dictionary(&mut ByteReader::new(&out), FORMAT_VERSION).is_err());
    }

    #[test]
    fn nulls_pick_the_smaller_polarity_and_scatter_fills_gaps() {
        for nulls in [
            RoaringBitmap::from_iter([1u32, 4]),
            RoaringBitmap::from_iter([0u32, 1, 2, 3]),
        ] {
            let valid: Vec<bool> = (0..5).map(|r| !nulls.contains(r)).collect();
            let mut out = Vec::new();
            encode_nulls(&valid, &mut out);
            assert_eq!(out[0], if nulls.len() < 3 { NULLS_LISTED } else { PRESENT_LISTED });
            let decoded = decode_nulls(&mut ByteReader::new(&out), 5, FORMAT_VERSION).unwrap();
            assert_eq!(decoded, NullSet::Rows(nulls));
            assert!(decode_nulls(&mut ByteReader::new(&out), 2, FORMAT_VERSION).is_err());
        }
        let mut out = Vec::new();
        encode_nulls_same_as(7, &mut out);
        assert_eq!(
            decode_nulls(&mut ByteReader::new(&out), 5, FORMAT_VERSION).unwrap(),
            NullSet::SameAs(7)
        );
        assert!(
            decode_nulls(&mut ByteReader::new(&out), 5, 2).is_err(),
            "version 2 has no shared sets"
        );
        let nulls = RoaringBitmap::from_iter([0u32, 2, 4]);
        assert_eq!(scatter(vec![7, 8], Some(&nulls), 5, 0), [0, 7, 0, 8, 0]);
        let nulls = RoaringBitmap::from_iter([1u32]);
        assert_eq!(scatter(vec![7, 8, 9], Some(&nulls), 4, 0), [7, 0, 8, 9]);
    }
}
