//! Patched frame of reference (format version 3): packed integers of which nearly all share one
//! divisor, stored as narrow quotients plus a short list of exceptions and their remainders.
//!
//! Timestamps are µs; most are whole seconds, but a few carry fractional seconds, which makes the
//! plain frame of reference's GCD 1 and the time column ~37 bits a row. Here the whole-second rows
//! cost ~17 bits and each fractional one ~30 more in the exception list.

use super::bitpack::{bits_needed, pack, packed_len, unpack};
use super::encoding::{decode_ints, encode_for, gcd, ByteReader, Malformed};

/// The width byte that marks the patched form of packed integers (real widths are 0..=64).
pub(super) const PATCHED: u8 = 0x81;
/// Divisors tried, each refined to the GCD of the values it divides: µs of a second, of a millisecond
/// (constants, so that the modulo of every value compiles to a multiplication).
const SECOND: u64 = 1_000_000;
const MILLISECOND: u64 = 1_000;
/// Fewer values than this are not worth the extra header.
const MIN_VALUES: usize = 64;
/// Values sampled (evenly spread) to reject a divisor that most values do not share before a full pass.
const SAMPLES: usize = 256;

/// A divisor that most values' offsets from `base` are multiples of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Plan {
    base: i64,
    divisor: u64,
    max_offset: u64,
}

/// The patched form of `values` for the best divisor tried, or `None` when no divisor is shared by
/// more than half of them (or there are too few values). The caller keeps whichever form is smallest.
///
/// Layout: count u32, base i64, divisor u64 ≥ 2, [`PATCHED`], width u8, the quotients
/// `⌊(v − base) / divisor⌋` packed at `width` bits, exception count u32, then the exceptions' position
/// gaps (position minus the previous exception's position plus one; the first is its position) and their
/// remainders `(v − base) mod divisor` (1 ≤ r < divisor), each as frame-of-reference packed integers.
pub(super) fn encode_patched(values: &[i64]) -> Option<Vec<u8>> {
    if values.len() < MIN_VALUES {
        return None;
    }
    let min = values.iter().copied().min()?;
    let mut plans: Vec<Plan> = [plan::<SECOND>(values, min), plan::<MILLISECOND>(values, min)]
        .into_iter()
        .flatten()
        .collect();
    plans.dedup();
    plans
        .into_iter()
        .map(|p| write(values, p))
        .min_by_key(|bytes| bytes.len())
}

/// The residue (of offsets from `min`, modulo `SEED`) most values share, if a sample suggests it is a
/// majority; then the base below `min` in that residue class, and the GCD of those values' offsets.
fn plan<const SEED: u64>(values: &[i64], min: i64) -> Option<Plan> {
    let residue = |v: i64| (v.wrapping_sub(min) as u64) % SEED;
    let step = values.len().div_ceil(SAMPLES);
    let sample = || values.iter().step_by(step).map(|&v| residue(v));
    // Boyer–Moore majority vote: the answer if more than half the sample shares one residue.
    let (mut candidate, mut votes) = (0u64, 0usize);
    for r in sample() {
        match votes {
            0 => (candidate, votes) = (r, 1),
            _ if r == candidate => votes += 1,
            _ => votes -= 1,
        }
    }
    let (shared, sampled) = (sample().filter(|&r| r == candidate).count(), sample().count());
    if shared * 2 <= sampled {
        return None;
    }
    // Offsets from `min - shift` put the majority at multiples of `SEED`; `divisor` becomes the GCD of
    // their differences from the first of them, `first`.
    let shift = (SEED - candidate) % SEED;
    let (mut first, mut divisor, mut exceptions) = (None, 0u64, 0usize);
    for &v in values {
        let offset = (v.wrapping_sub(min) as u64).checked_add(shift)?;
        if offset % SEED != 0 {
            exceptions += 1;
        } else if divisor != SEED {
            let first = *first.get_or_insert(offset);
            divisor = gcd(divisor, offset.abs_diff(first));
        }
    }
    if exceptions * 2 >= values.len() {
        return None;
    }
    // Every majority value is `first` plus a multiple of `divisor` (itself a multiple of `SEED`), and
    // no exception is. The base is the largest number ≤ `min` in the majority's class.
    let divisor = divisor.max(SEED);
    let first = i128::from(min) - i128::from(shift) + i128::from(first?);
    let base = i64::try_from(i128::from(min) - (i128::from(min) - first).rem_euclid(i128::from(divisor))).ok()?;
    let max = values.iter().copied().max()?;
    u64::try_from(i128::from(max) - i128::from(base)).ok()?;
    Some(Plan {
        base,
        divisor,
        max_offset: max.wrapping_sub(base) as u64,
    })
}

fn write(values: &[i64], p: Plan) -> Vec<u8> {
    let width = bits_needed(p.max_offset / p.divisor);
    let mut out = Vec::with_capacity(23 + packed_len(values.len(), width).unwrap_or(0));
    out.extend_from_slice(&(values.len() as u32).to_le_bytes());
    out.extend_from_slice(&p.base.to_le_bytes());
    out.extend_from_slice(&p.divisor.to_le_bytes());
    out.push(PATCHED);
    out.push(width);
    let offset = |v: i64| v.wrapping_sub(p.base) as u64;
    pack(values.iter().map(|&v| offset(v) / p.divisor), width, &mut out);
    let (mut gaps, mut remainders) = (Vec::new(), Vec::new());
    let mut next = 0usize;
    for (i, &v) in values.iter().enumerate() {
        let remainder = offset(v) % p.divisor;
        if remainder != 0 {
            gaps.push((i - next) as i64);
            remainders.push(remainder as i64);
            next = i + 1;
        }
    }
    out.extend_from_slice(&(gaps.len() as u32).to_le_bytes());
    encode_for(&gaps, &mut out);
    encode_for(&remainders, &mut out);
    out
}

/// Reads the rest of a patched block after its width byte [`PATCHED`]: `count`, `base` and `divisor`
/// come from the common header (read at `header`).
pub(super) fn decode_patched(
    r: &mut ByteReader<'_>,
    header: usize,
    count: usize,
    base: i64,
    divisor: u64,
) -> Result<Vec<i64>, Malformed> {
    if divisor < 2 {
        return Err(Malformed::at(
            header,
            format!("patched integers with divisor {divisor}"),
        ));
    }
    let width = r.u8("bit width")?;
    let len = packed_len(count, width).ok_or_else(|| Malformed::at(header, "packed length overflows"))?;
    let at = r.pos();
    let quotients = unpack(r.take(len, "packed quotients")?, count, width).map_err(|m| Malformed::at(at, m.detail))?;
    let mut out: Vec<i64> = quotients
        .into_iter()
        .map(|q| base.wrapping_add(q.wrapping_mul(divisor) as i64))
        .collect();
    let at = r.pos();
    let exceptions = r.u32("exception count")? as usize;
    if exceptions > count {
        return Err(Malformed::at(
            at,
            format!("{exceptions} exceptions among {count} values"),
        ));
    }
    let gaps = decode_ints(r, exceptions, 1)?;
    let remainders = decode_ints(r, exceptions, 1)?;
    let mut next = 0usize;
    for (&gap, &remainder) in gaps.iter().zip(&remainders) {
        let position = usize::try_from(gap)
            .ok()
            .and_then(|g| next.checked_add(g))
            .filter(|&p| p < count)
            .ok_or_else(|| Malformed::at(at, format!("exception position gap {gap} runs past {count} values")))?;
        if !u64::try_from(remainder).is_ok_and(|r| (1..divisor).contains(&r)) {
            return Err(Malformed::at(
                at,
                format!("exception remainder {remainder} outside 1..{divisor}"),
            ));
        }
        out[position] = out[position].wrapping_add(remainder);
        next = position + 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::encoding::encode_ints;
    use crate::segment::FORMAT_VERSION;
    use proptest::prelude::*;

    const DAY: i64 = 1_641_168_000_000_000;

    /// Decodes any form of packed integers one bit at a time, straight from the documented layout.
    fn brute_force_decode(bytes: &[u8]) -> Vec<i64> {
        fn le(bytes: &[u8], at: &mut usize, n: usize) -> u64 {
            let v = (0..n).map(|i| (bytes[*at + i] as u64) << (8 * i)).sum();
            *at += n;
            v
        }
        fn packed(bytes: &[u8], at: &mut usize, count: usize, width: usize) -> Vec<u64> {
            let bit = |b: usize| (bytes[*at + b / 8] >> (b % 8)) as u64 & 1;
            let v = (0..count)
                .map(|i| (0..width).map(|j| bit(i * width + j) << j).sum())
                .collect();
            *at += (count * width).div_ceil(8);
            v
        }
        fn frame(bytes: &[u8], at: &mut usize) -> Vec<i64> {
            let count = le(bytes, at, 4) as usize;
            let (min, divisor) = (le(bytes, at, 8) as i64, le(bytes, at, 8));
            let width = le(bytes, at, 1) as usize;
            assert!(width <= 64, "nested lists are frames of reference");
            packed(bytes, at, count, width)
                .into_iter()
                .map(|q| min.wrapping_add(q.wrapping_mul(divisor) as i64))
                .collect()
        }
        let mut at = 0;
        let width = bytes[20];
        if width != PATCHED {
            let values = frame(bytes, &mut at);
            assert_eq!(at, bytes.len());
            return values;
        }
        let count = le(bytes, &mut at, 4) as usize;
        let (base, divisor) = (le(bytes, &mut at, 8) as i64, le(bytes, &mut at, 8));
        at += 1;
        let width = le(bytes, &mut at, 1) as usize;
        let mut values: Vec<i64> = packed(bytes, &mut at, count, width)
            .into_iter()
            .map(|q| base.wrapping_add(q.wrapping_mul(divisor) as i64))
            .collect();
        let exceptions = le(bytes, &mut at, 4) as usize;
        let gaps = frame(bytes, &mut at);
        let remainders = frame(bytes, &mut at);
        assert_eq!(
            (gaps.len(), remainders.len(), at),
            (exceptions, exceptions, bytes.len())
        );
        let mut next = 0;
        for (g, r) in gaps.into_iter().zip(remainders) {
            let p = next + g as usize;
            values[p] = values[p].wrapping_add(r);
            next = p + 1;
        }
        values
    }

    fn encoded(values: &[i64]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_ints(values, &mut out);
        out
    }

    /// Whole seconds over a day, every 16th with a 7-digit fraction (in µs).
    fn mostly_whole_seconds(n: usize) -> Vec<i64> {
        (0..n as i64)
            .map(|i| DAY + (i * 7_919 % 86_400) * 1_000_000 + if i % 16 == 5 { 123_457 + i % 9 } else { 0 })
            .collect()
    }

    #[test]
    fn mostly_whole_seconds_pack_at_second_width_with_exceptions() {
        let values = mostly_whole_seconds(10_000);
        let out = encoded(&values);
        assert_eq!(out[20], PATCHED);
        assert_eq!(u64::from_le_bytes(out[12..20].try_into().unwrap()), 1_000_000);
        assert_eq!(out[21], 17, "86 400 seconds");
        // 17 bits a row plus 625 exceptions of a 4-bit gap (all 16) and a 4-bit remainder.
        assert!(out.len() < 10_000 * 17 / 8 + 800, "{} bytes", out.len());
        assert_eq!(
            decode_ints(&mut ByteReader::new(&out), 10_000, FORMAT_VERSION).unwrap(),
            values
        );
        assert_eq!(brute_force_decode(&out), values);
        // The same block in an older segment is malformed: version 2 had no patched form.
        assert!(decode_ints(&mut ByteReader::new(&out), 10_000, 2).is_err());
    }

    #[test]
    fn the_divisor_is_refined_to_what_the_majority_shares_and_base_may_lie_below_min() {
        // Whole minutes, except the smallest value (so the base must lie below it) and a few more.
        let mut values: Vec<i64> = (0..1000).map(|i| DAY + (i % 1440) * 60_000_000).collect();
        values[0] = DAY - 250;
        values[500] += 999;
        let out = encoded(&values);
        assert_eq!(out[20], PATCHED);
        assert_eq!(u64::from_le_bytes(out[12..20].try_into().unwrap()), 60_000_000);
        assert_eq!(
            decode_ints(&mut ByteReader::new(&out), 1000, FORMAT_VERSION).unwrap(),
            values
        );
        assert_eq!(brute_force_decode(&out), values);
    }

    #[test]
    fn no_shared_divisor_or_few_values_keep_the_other_forms() {
        let spread: Vec<i64> = (0..1000).map(|i| i * 7_777 + i % 3).collect();
        assert_ne!(encoded(&spread)[20], PATCHED);
        assert!(encode_patched(&mostly_whole_seconds(MIN_VALUES - 1)).is_none());
        assert!(encode_patched(&[i64::MIN, i64::MAX].repeat(100)).is_none());
    }

    /// Builds a patched block from its parts, for feeding the decoder what no writer would write.
    fn block(count: u32, divisor: u64, width: u8, quotients: &[u64], gaps: &[i64], remainders: &[i64]) -> Vec<u8> {
        let mut out = count.to_le_bytes().to_vec();
        out.extend_from_slice(&0i64.to_le_bytes());
        out.extend_from_slice(&divisor.to_le_bytes());
        out.extend_from_slice(&[PATCHED, width]);
        pack(quotients.iter().copied(), width, &mut out);
        out.extend_from_slice(&(gaps.len() as u32).to_le_bytes());
        encode_for(gaps, &mut out);
        encode_for(remainders, &mut out);
        out
    }

    #[test]
    fn malformed_patched_blocks_are_errors() {
        let decode = |b: &[u8], n: usize| decode_ints(&mut ByteReader::new(b), n, FORMAT_VERSION);
        let good = block(3, 10, 2, &[1, 2, 3], &[1], &[4]);
        assert_eq!(decode(&good, 3).unwrap(), [10, 24, 30]);
        for (what, bad) in [
            ("divisor 1", block(3, 1, 2, &[1, 2, 3], &[1], &[4])),
            ("divisor 0", block(3, 0, 2, &[1, 2, 3], &[1], &[4])),
            ("position past the end", block(3, 10, 2, &[1, 2, 3], &[3], &[4])),
            (
                "second position past the end",
                block(3, 10, 2, &[1, 2, 3], &[1, 1], &[4, 4]),
            ),
            ("negative gap", block(3, 10, 2, &[1, 2, 3], &[-1], &[4])),
            ("huge gap", block(3, 10, 2, &[1, 2, 3], &[i64::MAX], &[4])),
            ("zero remainder", block(3, 10, 2, &[1, 2, 3], &[1], &[0])),
            ("remainder = divisor", block(3, 10, 2, &[1, 2, 3], &[1], &[10])),
            ("negative remainder", block(3, 10, 2, &[1, 2, 3], &[1], &[-4])),
            (
                "more exceptions than values",
                block(3, 10, 2, &[1, 2, 3], &[0; 4], &[1; 4]),
            ),
            ("fewer remainders than gaps", block(3, 10, 2, &[1, 2, 3], &[1, 0], &[4])),
            ("width over 64", block(3, 10, 65, &[], &[], &[])),
        ] {
            assert!(decode(&bad, 3).is_err(), "{what}");
        }
        for len in 0..good.len() {
            assert!(decode(&good[..len], 3).is_err(), "truncated to {len}");
        }
        let mut huge_count = good.clone();
        huge_count[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode(&huge_count, u32::MAX as usize).is_err());
        // The gap list starts after the header, width, one byte of quotients and the exception count.
        let mut nested = good.clone();
        nested[21 + 1 + 1 + 4 + 20] = PATCHED;
        assert!(decode(&nested, 3).is_err(), "nested lists are frames of reference only");
    }

    fn values_strategy() -> impl Strategy<Value = Vec<i64>> {
        let scale = prop_oneof![Just(1_000_000i64), Just(1_000), Just(60_000_000), 1i64..100];
        let value = (
            0i64..100_000,
            prop_oneof![8 => Just(0i64), 1 => 1i64..1_000_000, 1 => any::<i64>()],
        );
        (scale, any::<i64>(), proptest::collection::vec(value, 0..400)).prop_map(|(scale, base, rows)| {
            let base = base / 4;
            rows.into_iter()
                .map(|(q, fraction)| base.wrapping_add(q * scale).wrapping_add(fraction))
                .collect()
        })
    }

    proptest! {
        #[test]
        fn any_ints_round_trip_and_match_brute_force(values in values_strategy()) {
            let out = encoded(&values);
            prop_assert_eq!(&decode_ints(&mut ByteReader::new(&out), values.len(), FORMAT_VERSION).unwrap(), &values);
            if out[20] <= 64 || out[20] == PATCHED {
                prop_assert_eq!(&brute_force_decode(&out), &values);
            }
            if let Some(patched) = encode_patched(&values) {
                prop_assert!(out.len() <= patched.len(), "the smallest form is kept");
                prop_assert_eq!(&brute_force_decode(&patched), &values);
                prop_assert_eq!(decode_ints(&mut ByteReader::new(&patched), values.len(), FORMAT_VERSION).unwrap(), values);
            }
        }
    }
}
