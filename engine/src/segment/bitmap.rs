//! Serialization of roaring bitmaps in the portable roaring format, emitting run containers where they
//! are smaller (roaring 0.10 has no `optimize()` and never writes runs, but reads them).

use super::encoding::{ByteReader, Malformed};
use roaring::RoaringBitmap;

const SERIAL_COOKIE_NO_RUNCONTAINER: u32 = 12346;
const SERIAL_COOKIE: u32 = 12347;
const NO_OFFSET_THRESHOLD: usize = 4;
const ARRAY_LIMIT: usize = 4096;
const BITMAP_BYTES: usize = 8192;

enum Store {
    Array(Vec<u16>),
    Bitmap(Box<[u64; 1024]>),
    Runs(Vec<(u16, u16)>),
}

impl Store {
    fn byte_len(&self) -> usize {
        match self {
            Store::Array(v) => 2 * v.len(),
            Store::Bitmap(_) => BITMAP_BYTES,
            Store::Runs(r) => 2 + 4 * r.len(),
        }
    }
}

struct Container {
    key: u16,
    cardinality: usize,
    store: Store,
}

fn build_container(key: u16, lows: &[u16]) -> Container {
    let mut runs: Vec<(u16, u16)> = Vec::new();
    for &v in lows {
        match runs.last_mut() {
            Some((start, len_minus_1)) if (*start as u32 + *len_minus_1 as u32 + 1) == v as u32 => *len_minus_1 += 1,
            _ => runs.push((v, 0)),
        }
    }
    let plain_len = if lows.len() <= ARRAY_LIMIT {
        2 * lows.len()
    } else {
        BITMAP_BYTES
    };
    let store = if 2 + 4 * runs.len() < plain_len {
        Store::Runs(runs)
    } else if lows.len() <= ARRAY_LIMIT {
        Store::Array(lows.to_vec())
    } else {
        let mut bits = Box::new([0u64; 1024]);
        for &v in lows {
            bits[v as usize / 64] |= 1 << (v % 64);
        }
        Store::Bitmap(bits)
    };
    Container {
        key,
        cardinality: lows.len(),
        store,
    }
}

/// The portable serialization of `bitmap` (readable by `RoaringBitmap::deserialize_from` and by the
/// C/Java/Go implementations), using run containers wherever they are smaller.
#[cfg(test)]
pub fn serialize(bitmap: &RoaringBitmap) -> Vec<u8> {
    let mut out = Vec::new();
    serialize_sorted(bitmap.iter(), &mut out);
    out
}

/// Appends the portable serialization (as [`serialize`]) of the set holding `values`, which must be
/// strictly ascending.
pub fn serialize_sorted(values: impl IntoIterator<Item = u32>, out: &mut Vec<u8>) {
    let mut containers = Vec::new();
    let mut lows: Vec<u16> = Vec::new();
    let mut key = None;
    for v in values {
        let k = (v >> 16) as u16;
        if key != Some(k) {
            if let Some(prev) = key {
                containers.push(build_container(prev, &lows));
            }
            lows.clear();
            key = Some(k);
        }
        lows.push(v as u16);
    }
    if let Some(prev) = key {
        containers.push(build_container(prev, &lows));
    }
    if containers.is_empty() {
        out.extend_from_slice(&SERIAL_COOKIE_NO_RUNCONTAINER.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        return;
    }
    let base = out.len();
    let n = containers.len();
    out.extend_from_slice(&(SERIAL_COOKIE | ((n as u32 - 1) << 16)).to_le_bytes());
    let mut run_flags = vec![0u8; n.div_ceil(8)];
    for (i, c) in containers.iter().enumerate() {
        if matches!(c.store, Store::Runs(_)) {
            run_flags[i / 8] |= 1 << (i % 8);
        }
    }
    out.extend_from_slice(&run_flags);
    for c in &containers {
        out.extend_from_slice(&c.key.to_le_bytes());
        out.extend_from_slice(&((c.cardinality - 1) as u16).to_le_bytes());
    }
    if n >= NO_OFFSET_THRESHOLD {
        let mut offset = out.len() - base + 4 * n;
        for c in &containers {
            out.extend_from_slice(&(offset as u32).to_le_bytes());
            offset += c.store.byte_len();
        }
    }
    for c in &containers {
        match &c.store {
            Store::Array(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            Store::Bitmap(b) => b.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            Store::Runs(r) => {
                out.extend_from_slice(&(r.len() as u16).to_le_bytes());
                for (start, len_minus_1) in r {
                    out.extend_from_slice(&start.to_le_bytes());
                    out.extend_from_slice(&len_minus_1.to_le_bytes());
                }
            }
        }
    }
}

/// First byte of a run list (format version 2); portable roaring bitmaps start with 0x3A or 0x3B.
pub const RUN_LIST: u8 = 0x02;

/// Appends the run list of `values` (strictly ascending): the tag [`RUN_LIST`], the number of runs, then per
/// run the gap since the end of the previous run (or the start, for the first) and the run length minus
/// one, all LEB128 varints. A student's few rows in a day take ~12 bytes this way, ~16 as roaring.
pub fn serialize_run_list(values: &[u32], out: &mut Vec<u8>) {
    out.push(RUN_LIST);
    put_varint(out, runs(values).count() as u64);
    let mut next = 0u32;
    for (start, len) in runs(values) {
        put_varint(out, u64::from(start - next));
        put_varint(out, u64::from(len - 1));
        next = start + len;
    }
}

/// The maximal runs of consecutive values of `values` (strictly ascending), as (start, length).
fn runs(values: &[u32]) -> impl Iterator<Item = (u32, u32)> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let start = *values.get(i)?;
        let len = values[i..]
            .iter()
            .zip(start..)
            .take_while(|(&v, expected)| v == *expected)
            .count();
        i += len;
        Some((start, len as u32))
    })
}

/// The byte length [`serialize_run_list`] writes for `values`.
fn run_list_len(values: &[u32]) -> usize {
    let mut next = 0u32;
    let mut count = 0u64;
    let mut len = 1;
    for (start, run) in runs(values) {
        len += varint_len(u64::from(start - next)) + varint_len(u64::from(run - 1));
        next = start + run;
        count += 1;
    }
    len + varint_len(count)
}

/// The byte length [`serialize_sorted`] writes for `values` (strictly ascending, not empty), computed
/// without building containers: per container the same choice of runs, array or bitmap.
fn roaring_len(values: &[u32]) -> usize {
    let mut containers = 0usize;
    let mut stores = 0usize;
    let mut i = 0;
    while let Some(&first) = values.get(i) {
        let key = first >> 16;
        let lows = values[i..].iter().take_while(|&&v| v >> 16 == key).count();
        let container = &values[i..i + lows];
        let run_count = runs(container).count();
        let plain = if lows <= ARRAY_LIMIT { 2 * lows } else { BITMAP_BYTES };
        stores += (2 + 4 * run_count).min(plain);
        containers += 1;
        i += lows;
    }
    let offsets = if containers >= NO_OFFSET_THRESHOLD {
        4 * containers
    } else {
        0
    };
    4 + containers.div_ceil(8) + 4 * containers + offsets + stores
}

fn varint_len(v: u64) -> usize {
    (64 - v.leading_zeros() as usize).max(1).div_ceil(7)
}

/// Appends the smaller of the run list and the portable roaring serialization of `values` (strictly
/// ascending); the reader tells them apart by the first byte. Sizes are computed first, so only the
/// chosen form is written.
pub fn serialize_smallest(values: &[u32], out: &mut Vec<u8>) {
    if !values.is_empty() && roaring_len(values) < run_list_len(values) {
        serialize_sorted(values.iter().copied(), out);
    } else {
        serialize_run_list(values, out);
    }
}

/// Reads a set written by [`serialize_smallest`]: a run list or a portable roaring bitmap, which must
/// occupy all of `bytes`.
pub fn deserialize_any(bytes: &[u8]) -> Result<RoaringBitmap, Malformed> {
    if bytes.first() != Some(&RUN_LIST) {
        return deserialize(bytes);
    }
    let mut bitmap = RoaringBitmap::new();
    walk_run_list(bytes, |first, last| {
        bitmap.insert_range(first..=last);
        Ok(())
    })?;
    Ok(bitmap)
}

/// Calls `f(first, last)` for the values of a set written by [`serialize_smallest`] (which must occupy all
/// of `bytes`), in ascending order, as ranges `first..=last`: a run list is walked as it is stored,
/// as are a roaring bitmap's containers (runs as ranges, other values one by one), without building a
/// bitmap. Stops at the first error of `f`.
pub fn for_each_range(bytes: &[u8], mut f: impl FnMut(u32, u32) -> Result<(), Malformed>) -> Result<(), Malformed> {
    if bytes.first() == Some(&RUN_LIST) {
        return walk_run_list(bytes, f);
    }
    walk_roaring(bytes, |part| match part {
        Part::Value(v) => f(v, v),
        Part::Range(first, last) => f(first, last),
        Part::Words(base, words) => {
            for (i, word) in words.chunks_exact(8).enumerate() {
                let mut bits = u64::from_le_bytes(word.try_into().unwrap_or_default());
                while bits != 0 {
                    let v = base + 64 * i as u32 + bits.trailing_zeros();
                    f(v, v)?;
                    bits &= bits - 1;
                }
            }
            Ok(())
        }
    })
}

/// Calls `f(first, last)` for each run of the run list `bytes` (tag included), in order.
fn walk_run_list(bytes: &[u8], mut f: impl FnMut(u32, u32) -> Result<(), Malformed>) -> Result<(), Malformed> {
    let mut pos = 1;
    let runs = get_varint(bytes, &mut pos)?;
    let mut next = 0u64;
    for _ in 0..runs {
        let at = pos;
        let gap = get_varint(bytes, &mut pos)?;
        let len_minus_1 = get_varint(bytes, &mut pos)?;
        // Inclusive; checked, as corrupt varints may be near 2^64.
        let end = next
            .checked_add(gap)
            .and_then(|start| start.checked_add(len_minus_1))
            .filter(|&end| end <= u64::from(u32::MAX))
            .ok_or_else(|| Malformed::at(at, "run past the largest row id"))?;
        f((end - len_minus_1) as u32, end as u32)?;
        next = u64::from(end) + 1;
    }
    if pos != bytes.len() {
        return Err(Malformed::at(
            pos,
            format!("{} bytes after the run list", bytes.len() - pos),
        ));
    }
    Ok(())
}

/// Appends `v` as an LEB128 varint.
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads an LEB128 varint at `*pos` (at most 10 bytes, no overflow).
pub fn get_varint(bytes: &[u8], pos: &mut usize) -> Result<u64, Malformed> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let &b = bytes
            .get(*pos)
            .ok_or_else(|| Malformed::at(*pos, "varint runs past the end"))?;
        *pos += 1;
        if shift == 63 && b > 1 {
            return Err(Malformed::at(*pos - 1, "varint overflows 64 bits"));
        }
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(Malformed::at(*pos - 1, "varint overflows 64 bits"))
}

/// Reads a portable roaring bitmap that must occupy all of `bytes`, validating every container
/// (cardinalities, ordering, run bounds). Decoded by hand rather than with `deserialize_from`, because
/// roaring 0.10 can build non-canonical containers (arrays over 4096 values) from run containers.
pub fn deserialize(bytes: &[u8]) -> Result<RoaringBitmap, Malformed> {
    let mut bitmap = RoaringBitmap::new();
    walk_roaring(bytes, |part| {
        match part {
            // The walk checked that values ascend, so each is pushed.
            Part::Value(v) => {
                bitmap.push(v);
            }
            Part::Range(first, last) => {
                bitmap.insert_range(first..=last);
            }
            Part::Words(base, words) => bitmap |= RoaringBitmap::from_lsb0_bytes(base, words),
        }
        Ok(())
    })?;
    Ok(bitmap)
}

/// A piece of a portable roaring bitmap, as [`walk_roaring`] hands them out in ascending order.
enum Part<'a> {
    /// One value of an array container.
    Value(u32),
    /// The values `first..=last` of a run container.
    Range(u32, u32),
    /// A bitmap container: the values `base + i` for each bit `i` set in the little-endian `words`.
    Words(u32, &'a [u8]),
}

/// Calls `f` for each container's values of the portable roaring bitmap `bytes` (which it must occupy),
/// in ascending order, after checking the container: keys ascending, array values ascending, runs sorted,
/// apart and within the container, and each container holding as many values as its header says.
fn walk_roaring<'a>(bytes: &'a [u8], mut f: impl FnMut(Part<'a>) -> Result<(), Malformed>) -> Result<(), Malformed> {
    let mut r = ByteReader::new(bytes);
    let cookie = r.u32("roaring cookie")?;
    let (size, run_flags, has_offsets) = if cookie == SERIAL_COOKIE_NO_RUNCONTAINER {
        let size = r.u32("container count")? as usize;
        (size, &[][..], true)
    } else if cookie & 0xFFFF == SERIAL_COOKIE {
        let size = (cookie >> 16) as usize + 1;
        (
            size,
            r.take(size.div_ceil(8), "run flags")?,
            size >= NO_OFFSET_THRESHOLD,
        )
    } else {
        return Err(Malformed::at(0, format!("unknown roaring cookie {cookie:#x}")));
    };
    if size > 1 << 16 || size.saturating_mul(4) > r.remaining() {
        return Err(Malformed::at(4, format!("container count {size} does not fit")));
    }
    let descriptions: Vec<(u16, usize)> = (0..size)
        .map(|_| Ok((r.u16("container key")?, r.u16("container cardinality")? as usize + 1)))
        .collect::<Result<_, Malformed>>()?;
    if has_offsets {
        r.take(4 * size, "container offsets")?;
    }
    let mut prev_key = None;
    for (i, &(key, cardinality)) in descriptions.iter().enumerate() {
        let at = r.pos();
        if prev_key.is_some_and(|p| p >= key) {
            return Err(Malformed::at(at, "container keys not ascending"));
        }
        prev_key = Some(key);
        let base = (key as u32) << 16;
        let is_run = run_flags.get(i / 8).is_some_and(|f| f & (1 << (i % 8)) != 0);
        let held = if is_run {
            let runs = r.u16("run count")?;
            let mut next_free = 0u32;
            let mut held = 0;
            for _ in 0..runs {
                let (start, len_minus_1) = (r.u16("run start")? as u32, r.u16("run length")? as u32);
                let end = start + len_minus_1;
                if start < next_free || end > u16::MAX as u32 {
                    return Err(Malformed::at(
                        at,
                        "runs overlap, are unsorted or overflow the container",
                    ));
                }
                next_free = end + 1;
                held += u64::from(len_minus_1) + 1;
                f(Part::Range(base + start, base + end))?;
            }
            held
        } else if cardinality <= ARRAY_LIMIT {
            let values = r.take(2 * cardinality, "array values")?;
            let mut next_free = 0u32;
            for pair in values.chunks_exact(2) {
                let v = u32::from(u16::from_le_bytes([pair[0], pair[1]]));
                if v < next_free {
                    return Err(Malformed::at(at, "array values not ascending"));
                }
                next_free = v + 1;
                f(Part::Value(base + v))?;
            }
            cardinality as u64
        } else {
            let words = r.take(BITMAP_BYTES, "bitmap container")?;
            f(Part::Words(base, words))?;
            words
                .chunks_exact(8)
                .map(|w| u64::from(u64::from_le_bytes(w.try_into().unwrap_or_default()).count_ones()))
                .sum()
        };
        if held != cardinality as u64 {
            return Err(Malformed::at(
                at,
                format!("container holds {held} values, header says {cardinality}"),
            ));
        }
    }
    r.finish("roaring bitmap")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn run_aware_serialization_round_trips_through_roaring(
            ranges in proptest::collection::vec((0u32..300_000, 0u32..70_000), 0..8),
            singles in proptest::collection::vec(0u32..300_000, 0..300),
        ) {
            let mut bm = RoaringBitmap::new();
            for (start, len) in ranges {
                bm.insert_range(start..start + len);
            }
            bm.extend(singles);
            let bytes = serialize(&bm);
            prop_assert_eq!(deserialize(&bytes).unwrap(), bm.clone());
            prop_assert!(bytes.len() <= bm.serialized_size());
            // Portable both ways: roaring reads ours, we read roaring's.
            let theirs = RoaringBitmap::deserialize_from(&bytes[..]).unwrap();
            prop_assert!(theirs.iter().eq(bm.iter()));
            let mut plain = Vec::new();
            bm.serialize_into(&mut plain).unwrap();
            prop_assert_eq!(deserialize(&plain).unwrap(), bm.clone());
            // Walked without a bitmap: the same values, in order, from either serialization.
            for bytes in [&bytes, &plain] {
                let mut walked = Vec::new();
                for_each_range(bytes, |first, last| {
                    walked.extend(first..=last);
                    Ok(())
                }).unwrap();
                prop_assert!(walked.iter().copied().eq(bm.iter()));
            }
        }
    }

    proptest! {
        #[test]
        fn smallest_form_round_trips(values in proptest::collection::btree_set(0u32..200_000, 0..300)) {
            let values: Vec<u32> = values.into_iter().collect();
            let mut out = Vec::new();
            serialize_smallest(&values, &mut out);
            let back = deserialize_any(&out).unwrap();
            prop_assert!(back.iter().eq(values.iter().copied()));
            prop_assert!(deserialize_any(&out[..out.len() - 1]).is_err() || values.is_empty());
        }

        /// The sizes `serialize_smallest` compares are the lengths the two forms really take, so it
        /// writes the smaller one (the run list on a tie) without writing both. Runs of up to 5000 values
        /// and spans of several containers exercise run, array and bitmap containers.
        #[test]
        fn computed_sizes_are_the_written_lengths(
            runs in proptest::collection::vec((0u32..70_000, 1u32..5_000), 1..40),
            scattered in proptest::collection::btree_set(0u32..70_000, 0..9_000),
            dense in any::<bool>(),
        ) {
            // Long runs favour the run list; thousands of scattered values per container the roaring form.
            let values: Vec<u32> = if dense {
                scattered.into_iter().collect()
            } else {
                runs.iter()
                    .scan(0u32, |next, &(gap, len)| {
                        let start = *next + gap;
                        *next = start + len + 1;
                        Some(start..start + len)
                    })
                    .flatten()
                    .collect()
            };
            let (mut list, mut roaring, mut smallest) = (Vec::new(), Vec::new(), Vec::new());
            serialize_run_list(&values, &mut list);
            serialize_sorted(values.iter().copied(), &mut roaring);
            serialize_smallest(&values, &mut smallest);
            prop_assert_eq!(run_list_len(&values), list.len());
            prop_assert_eq!(roaring_len(&values), roaring.len());
            let expected = if roaring.len() < list.len() { roaring } else { list };
            prop_assert!(smallest == expected, "serialize_smallest wrote the larger form");
            if dense && values.len() > 8_000 {
                prop_assert_eq!(smallest.first(), Some(&0x3B), "thousands of scattered rows take roaring");
            }
        }
    }

    #[test]
    fn few_scattered_rows_take_a_run_list() {
        let mut out = Vec::new();
        serialize_smallest(&[70_000, 70_001, 71_234], &mut out);
        assert_eq!(out[0], RUN_LIST);
        assert!(out.len() <= 10, "{} bytes", out.len());
        let mut pos = 0;
        assert!(get_varint(&[0xff; 11], &mut pos).is_err());
    }

    #[test]
    fn contiguous_rows_cost_a_few_bytes() {
        let mut bm = RoaringBitmap::new();
        bm.insert_range(10_000..60_000);
        let bytes = serialize(&bm);
        assert!(bytes.len() < 20, "{} bytes", bytes.len());
        assert_eq!(deserialize(&bytes).unwrap(), bm);
        assert!(deserialize(&bytes[..bytes.len() - 1]).is_err());
    }
}
