//! Canonical hyphenated UUIDs (`8-4-4-4-12` hex digits), the shape of almost every id in the export:
//! parsing them into 128 bits and formatting them back, so they can be stored in 16 bytes.

/// Length of a canonical hyphenated UUID (`8-4-4-4-12` hex digits).
pub const UUID_LEN: usize = 36;
/// `HEX[b]`: the value of hex digit `b` plus [`LOWER`] or [`UPPER`] for letters, or [`BAD`].
static HEX: [u8; 256] = hex_table();
/// Flag in [`parse_uuid`]'s result: the UUID has lower-case hex letters.
pub const LOWER: u8 = 0x10;
/// Flag in [`parse_uuid`]'s result: the UUID has upper-case hex letters.
pub const UPPER: u8 = 0x20;
const BAD: u8 = 0xff;

const fn hex_table() -> [u8; 256] {
    let mut t = [BAD; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = (10 + i as u8) | LOWER;
        t[b'A' as usize + i] = (10 + i as u8) | UPPER;
        i += 1;
    }
    t
}

/// The 128 bits of a canonical UUID and which letter cases it uses (`LOWER`, `UPPER`, both or none);
/// `None` if `s` is not a canonical hyphenated UUID.
#[inline]
pub fn parse_uuid(s: &[u8]) -> Option<(u128, u8)> {
    let s: &[u8; UUID_LEN] = s.try_into().ok()?;
    if s[8] != b'-' || s[13] != b'-' || s[18] != b'-' || s[23] != b'-' {
        return None;
    }
    let w0 = [s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]];
    let w1 = [s[9], s[10], s[11], s[12], s[14], s[15], s[16], s[17]];
    let w2 = [s[19], s[20], s[21], s[22], s[24], s[25], s[26], s[27]];
    let w3 = [s[28], s[29], s[30], s[31], s[32], s[33], s[34], s[35]];
    // Validation: independent table lookups, OR-ed. Valid digits stay below 0x30; BAD sets the high bits.
    let mut flags = 0u8;
    for w in [&w0, &w1, &w2, &w3] {
        for &b in w {
            flags |= HEX[b as usize];
        }
    }
    if flags & 0xc0 != 0 {
        return None;
    }
    let hi = u64::from(hex8(w0)) << 32 | u64::from(hex8(w1));
    let lo = u64::from(hex8(w2)) << 32 | u64::from(hex8(w3));
    Some((u128::from(hi) << 64 | u128::from(lo), flags & (LOWER | UPPER)))
}

/// The letter case [`parse_uuid`] reports for the UUID with these bits written in lower case:
/// `LOWER` if one of its hex digits is a letter (a nibble of 10 or more), none if all are digits.
#[inline]
pub fn case_of_lower(bits: u128) -> u8 {
    const HIGH_BITS: u128 = u128::from_ne_bytes([0x88; 16]);
    // A nibble is 10 or more when its top bit is set and one of the two below it is.
    if bits & HIGH_BITS & ((bits << 1) | (bits << 2)) != 0 {
        LOWER
    } else {
        0
    }
}

/// The value of eight (already validated) hex digits, computed on all eight at once.
#[inline]
fn hex8(chars: [u8; 8]) -> u32 {
    let x = u64::from_be_bytes(chars);
    // Letters ('A'..='F', 'a'..='f') have bit 6 set and low nibble 1..=6: add 9 to get 10..=15.
    let letters = (x >> 6) & 0x0101_0101_0101_0101;
    let nibbles = (x & 0x0f0f_0f0f_0f0f_0f0f) + letters * 9;
    // Squeeze the eight nibbles (one per byte, first digit most significant) into 32 bits.
    let x = (nibbles | (nibbles >> 4)) & 0x00ff_00ff_00ff_00ff;
    let x = (x | (x >> 8)) & 0x0000_ffff_0000_ffff;
    ((x | (x >> 16)) & 0xffff_ffff) as u32
}

/// The 128 bits of each of `values` and whether their hex letters are upper case, if every one is a
/// canonical UUID and they do not mix letter cases; `None` otherwise. A `None` item (a NULL row) gives 0
/// and has no case. Gives up at the first value that is not a UUID, so short names cost one length check.
pub fn parse_one_case<'s>(values: impl IntoIterator<Item = Option<&'s [u8]>>) -> Option<(Vec<u128>, bool)> {
    let values = values.into_iter();
    let mut out = Vec::with_capacity(values.size_hint().0);
    let mut cases = 0u8;
    for value in values {
        match value {
            Some(s) => {
                let (bits, c) = parse_uuid(s)?;
                cases |= c;
                out.push(bits);
            }
            None => out.push(0),
        }
    }
    (cases != LOWER | UPPER).then_some((out, cases == UPPER))
}

/// The letter case the text of `values` shows when written in `upper` case: [`UPPER`] or [`LOWER`], or
/// 0 if none of them has a hex letter (such values fit either case and are stored lower case).
pub fn shown_case(values: &[u128], upper: bool) -> u8 {
    match (values.iter().any(|&v| has_letter(v)), upper) {
        (false, _) => 0,
        (true, true) => UPPER,
        (true, false) => LOWER,
    }
}

/// The canonical text of each of `values`, hex letters upper case if `upper`.
pub fn uuid_strings(values: &[u128], upper: bool) -> Vec<String> {
    let alphabet = hex_alphabet(upper);
    values.iter().map(|v| format_uuid(v.to_be_bytes(), alphabet)).collect()
}

/// Whether the text of `bits` has a hex letter (`a`-`f`), i.e. whether its letter case shows.
#[inline]
pub fn has_letter(bits: u128) -> bool {
    // A nibble is a letter (>= 10) when its bit 3 is set and bit 2 or bit 1 is.
    const LOW_BITS: u128 = 0x1111_1111_1111_1111_1111_1111_1111_1111;
    (bits >> 3) & ((bits >> 2) | (bits >> 1)) & LOW_BITS != 0
}

/// Lower-case hex digits.
pub const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";
/// Upper-case hex digits.
pub const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";

/// The canonical hyphenated text of the 16 big-endian bytes `bytes`, with hex digits from `alphabet`.
pub fn format_uuid(bytes: [u8; 16], alphabet: &[u8; 16]) -> String {
    let mut out = Vec::with_capacity(UUID_LEN);
    push_uuid(u128::from_be_bytes(bytes), alphabet, &mut out);
    // Hex digits and hyphens are ASCII.
    String::from_utf8(out).unwrap_or_default()
}

/// Appends the canonical text of `bits` (hex digits from `alphabet`) to `out`.
pub fn push_uuid(bits: u128, alphabet: &[u8; 16], out: &mut Vec<u8>) {
    out.extend_from_slice(&uuid_text(bits, alphabet));
}

/// The hex digits of a UUID written in upper case (`upper`) or lower case.
pub fn hex_alphabet(upper: bool) -> &'static [u8; 16] {
    if upper {
        UPPER_HEX
    } else {
        LOWER_HEX
    }
}

/// The canonical text of `bits` (hex digits from `alphabet`), without allocating.
#[inline]
pub fn uuid_text(bits: u128, alphabet: &[u8; 16]) -> [u8; UUID_LEN] {
    let mut out = [b'-'; UUID_LEN];
    let mut at = 0;
    for (i, b) in bits.to_be_bytes().iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            at += 1;
        }
        out[at] = alphabet[(b >> 4) as usize];
        out[at + 1] = alphabet[(b & 15) as usize];
        at += 2;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_case_parsing_rejects_mixed_cases_and_non_uuids_and_skips_nulls() {
        let lower = b"0a000000-0000-0000-0000-00000000000b".as_slice();
        let upper = b"0A000000-0000-0000-0000-00000000000B".as_slice();
        let digits = b"12345678-1234-1234-1234-123456789012".as_slice();
        let bits = |s: &[u8]| parse_uuid(s).map(|(b, _)| b).unwrap();
        assert_eq!(
            parse_one_case([Some(lower), None, Some(digits)]),
            Some((vec![bits(lower), 0, bits(digits)], false))
        );
        assert_eq!(
            parse_one_case([Some(digits), Some(upper)]),
            Some((vec![bits(digits), bits(upper)], true))
        );
        assert_eq!(parse_one_case([Some(lower), Some(upper)]), None, "mixed cases");
        assert_eq!(
            parse_one_case([Some(lower), Some(b"Teams".as_slice())]),
            None,
            "not a UUID"
        );
        assert_eq!(parse_one_case(Vec::<Option<&[u8]>>::new()), Some((Vec::new(), false)));
        assert_eq!(shown_case(&[bits(digits)], true), 0, "no letters, no case");
        assert_eq!(shown_case(&[bits(digits), bits(upper)], true), UPPER);
        assert_eq!(
            uuid_strings(&[bits(upper)], true),
            vec![String::from_utf8(upper.to_vec()).unwrap()]
        );
    }

    #[test]
    fn parse_and_format_round_trip_keeping_case() {
        for s in [
            "020ed8ae-8f5f-4127-9ac2-bf214d535a86",
            "5CA2485D-59CB-4207-8359-4056C7704656",
        ] {
            let (bits, cases) = parse_uuid(s.as_bytes()).unwrap();
            let alphabet = if cases == UPPER { UPPER_HEX } else { LOWER_HEX };
            assert_eq!(format_uuid(bits.to_be_bytes(), alphabet), s);
            let mut out = Vec::new();
            push_uuid(bits, alphabet, &mut out);
            assert_eq!(out, s.as_bytes());
        }
        assert_eq!(
            parse_uuid(b"020ed8ae-8f5f-4127-9aC2-bf214d535a86").map(|(_, c)| c),
            Some(LOWER | UPPER)
        );
        assert_eq!(parse_uuid(b"020ed8ae-8f5f-4127-9ac2-bf214d535a8g"), None);
    }
}
