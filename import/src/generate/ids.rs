//! GUID-shaped identifiers (`8-4-4-4-12` hex), the form every id in the export and roster takes.

const LOWER: &[u8; 16] = b"0123456789abcdef";
const UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Turns 128 random bits into a version-4 / RFC 4122 variant GUID value.
#[inline]
pub fn as_v4(bits: u128) -> u128 {
    (bits & !(0xF << 76) & !(0x3 << 62)) | (0x4 << 76) | (0x2 << 62)
}

/// Appends `bits` as a GUID; upper-case hex when `upper` (the export's ClassId style).
#[inline]
pub fn push_guid(buf: &mut Vec<u8>, bits: u128, upper: bool) {
    let digits = if upper { UPPER } else { LOWER };
    let mut out = [b'-'; 36];
    let mut nibble = 32;
    for (i, slot) in out.iter_mut().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            continue;
        }
        nibble -= 1;
        *slot = digits[((bits >> (nibble * 4)) & 0xF) as usize];
    }
    buf.extend_from_slice(&out);
}

/// The GUID text of `bits`.
pub fn guid_string(bits: u128, upper: bool) -> String {
    let mut buf = Vec::with_capacity(36);
    push_guid(&mut buf, bits, upper);
    // Only ASCII hex digits and dashes were written.
    String::from_utf8_lossy(&buf).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_layout() {
        let g = guid_string(as_v4(u128::MAX), false);
        assert_eq!(g, "ffffffff-ffff-4fff-bfff-ffffffffffff");
        let z = guid_string(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef, true);
        assert_eq!(z, "01234567-89AB-CDEF-0123-456789ABCDEF");
    }
}
