//! Fixed-width bit packing of unsigned integers into a little-endian bit stream.

use super::encoding::Malformed;

/// Bits needed to represent `max` (0 for 0).
pub fn bits_needed(max: u64) -> u8 {
    (64 - max.leading_zeros()) as u8
}

/// Bytes that `count` values of `width` bits occupy once packed.
pub fn packed_len(count: usize, width: u8) -> Option<usize> {
    (count as u64)
        .checked_mul(width as u64)
        .map(|bits| bits.div_ceil(8))
        .and_then(|b| usize::try_from(b).ok())
}

/// Appends `values` packed at `width` bits each (value `i` occupies bits `i*width..(i+1)*width`, LSB first).
/// Every value must fit in `width` bits.
pub fn pack(values: impl IntoIterator<Item = u64>, width: u8, out: &mut Vec<u8>) {
    if width == 0 {
        return;
    }
    let mut acc: u128 = 0;
    let mut bits: u32 = 0;
    for v in values {
        acc |= (v as u128) << bits;
        bits += width as u32;
        if bits >= 64 {
            out.extend_from_slice(&(acc as u64).to_le_bytes());
            acc >>= 64;
            bits -= 64;
        }
    }
    out.extend_from_slice(&(acc as u64).to_le_bytes()[..(bits as usize).div_ceil(8)]);
}

/// Unpacks `count` values of `width` bits from `bytes`, which must be exactly [`packed_len`] long.
pub fn unpack(bytes: &[u8], count: usize, width: u8) -> Result<Vec<u64>, Malformed> {
    if width > 64 {
        return Err(Malformed::at(0, format!("bit width {width} exceeds 64")));
    }
    if packed_len(count, width) != Some(bytes.len()) {
        return Err(Malformed::at(
            0,
            format!("{count} values of {width} bits cannot occupy {} bytes", bytes.len()),
        ));
    }
    if width == 0 {
        return Ok(vec![0; count]);
    }
    let w = width as usize;
    let mask = if width == 64 { u64::MAX } else { (1u64 << width) - 1 };
    let mut out = Vec::with_capacity(count);
    if w <= 56 {
        // Each value lies within the 8 bytes starting at its first byte (shift ≤ 7, 7 + 56 ≤ 64): one
        // unaligned load per value while 8 bytes remain, then the tail from a zero-padded copy.
        // The values i with ⌊i·w/8⌋ + 8 ≤ len, i.e. i·w ≤ 8·(len − 8) + 7.
        let fast = match bytes.len().checked_sub(8) {
            Some(room) => count.min((room * 8 + 7) / w + 1),
            None => 0,
        };
        for i in 0..fast {
            let bit = i * w;
            let mut word = [0u8; 8];
            word.copy_from_slice(&bytes[bit / 8..bit / 8 + 8]);
            out.push((u64::from_le_bytes(word) >> (bit % 8)) & mask);
        }
        let mut tail = bytes[(fast * w) / 8..].to_vec();
        tail.resize(tail.len() + 8, 0);
        let base = (fast * w) / 8 * 8;
        for i in fast..count {
            let bit = i * w - base;
            let mut word = [0u8; 8];
            word.copy_from_slice(&tail[bit / 8..bit / 8 + 8]);
            out.push((u64::from_le_bytes(word) >> (bit % 8)) & mask);
        }
        return Ok(out);
    }
    // Wide values: copy into aligned words with one word of padding so every read below is in bounds.
    let mut words = vec![0u64; bytes.len().div_ceil(8) + 1];
    for (w, chunk) in words.iter_mut().zip(bytes.chunks(8)) {
        let mut buf = [0u8; 8];
        buf[..chunk.len()].copy_from_slice(chunk);
        *w = u64::from_le_bytes(buf);
    }
    out.extend((0..count).map(|i| {
        let bit = i * w;
        let (idx, shift) = (bit / 64, bit % 64);
        let mut v = words[idx] >> shift;
        if shift + w > 64 {
            v |= words[idx + 1] << (64 - shift);
        }
        v & mask
    }));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn pack_unpack_round_trips(width in 0u8..=64, raw in proptest::collection::vec(any::<u64>(), 0..200)) {
            let mask = if width == 64 { u64::MAX } else { (1u64 << width) - 1 };
            let values: Vec<u64> = raw.iter().map(|v| v & mask).collect();
            let mut out = Vec::new();
            pack(values.iter().copied(), width, &mut out);
            prop_assert_eq!(Some(out.len()), packed_len(values.len(), width));
            prop_assert_eq!(unpack(&out, values.len(), width).unwrap(), values);
        }
    }

    #[test]
    fn wrong_length_is_rejected() {
        let mut out = Vec::new();
        pack([1, 2, 3], 2, &mut out);
        assert!(unpack(&out, 5, 2).is_err());
        assert!(unpack(&out, 3, 65).is_err());
        assert_eq!(bits_needed(0), 0);
        assert_eq!(bits_needed(255), 8);
        assert_eq!(bits_needed(u64::MAX), 64);
    }
}
