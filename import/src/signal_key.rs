//! Compact de-duplication keys for SignalIds: a canonical GUID becomes a 128-bit number (no
//! allocation, 16 bytes in a set), any other id is kept as text. The mapping is exact: two ids
//! get equal keys only if they are the same string.

/// Length of a hyphenated GUID, `8-4-4-4-12` hex digits.
const GUID_LEN: usize = 36;
/// Where the hyphens of a hyphenated GUID are.
const HYPHENS: [usize; 4] = [8, 13, 18, 23];

/// A SignalId as the de-duplicator compares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignalKey<'a> {
    /// A lower-case hyphenated GUID, as its 128-bit value.
    Guid(u128),
    /// Any other id, compared as text.
    Text(&'a str),
}

impl<'a> SignalKey<'a> {
    /// The key of `id`.
    #[inline]
    pub fn of(id: &'a str) -> SignalKey<'a> {
        parse_guid(id).map_or(SignalKey::Text(id), SignalKey::Guid)
    }
}

/// The value of a lower-case hyphenated GUID (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`), or `None` for any
/// other text (upper case, braces or no hyphens included, so that the key stays exact for the string).
/// Eight digits are decoded at a time in a 64-bit word.
#[inline]
pub fn parse_guid(id: &str) -> Option<u128> {
    let b: &[u8; GUID_LEN] = id.as_bytes().try_into().ok()?;
    if HYPHENS.iter().any(|&i| b[i] != b'-') {
        return None;
    }
    let word = |a: usize, b2: usize| {
        let mut w = [0u8; 8];
        w[..4].copy_from_slice(&b[a..a + 4]);
        w[4..].copy_from_slice(&b[b2..b2 + 4]);
        u64::from_le_bytes(w)
    };
    let groups = [word(0, 4), word(9, 14), word(19, 24), word(28, 32)];
    let mut value = 0u128;
    for g in groups {
        value = (value << 32) | u128::from(hex8(g)?);
    }
    Some(value)
}

/// A byte value repeated in every byte of a word.
const fn splat(b: u8) -> u64 {
    u64::from_le_bytes([b; 8])
}

/// `0x80` in each byte of `x` (all bytes below `0x80`) that is at least `lo`.
#[inline]
fn at_least(x: u64, lo: u8) -> u64 {
    x.wrapping_add(splat(0x80 - lo)) & splat(0x80)
}

/// `0x80` in each byte of `x` (all bytes below `0x80`) that is at most `hi`.
#[inline]
fn at_most(x: u64, hi: u8) -> u64 {
    !x.wrapping_add(splat(0x7f - hi)) & splat(0x80)
}

/// The value of eight lower-case hex digits (the first in the lowest byte of `w`), if they all are.
#[inline]
fn hex8(w: u64) -> Option<u32> {
    let digit = at_least(w, b'0') & at_most(w, b'9');
    let letter = at_least(w, b'a') & at_most(w, b'f');
    if w & splat(0x80) != 0 || (digit | letter) != splat(0x80) {
        return None;
    }
    // '0'..'9' keep their low nibble; 'a'..'f' (bit 6 set) get 9 added to theirs.
    let mut x = (w & splat(0x0f)) + 9 * ((w >> 6) & splat(0x01));
    // Pack the nibbles, the first digit ending up most significant.
    x = ((x << 4) | (x >> 8)) & 0x00ff_00ff_00ff_00ff;
    x = ((x << 8) | (x >> 16)) & 0x0000_ffff_0000_ffff;
    x = ((x << 16) | (x >> 32)) & 0x0000_0000_ffff_ffff;
    Some(x as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_guids_become_numbers() {
        assert_eq!(
            parse_guid("54cb71be-256e-4579-b899-b4224db14957"),
            Some(0x54cb71be_256e_4579_b899_b4224db14957)
        );
        assert_eq!(parse_guid("00000000-0000-0000-0000-000000000000"), Some(0));
    }

    #[test]
    fn every_hex_digit_and_its_neighbours() {
        let base = "00000000-0000-0000-0000-00000000000";
        for c in 0u8..128 {
            let id = format!("{base}{}", c as char);
            let expected = (c as char).to_digit(16).filter(|_| !c.is_ascii_uppercase());
            assert_eq!(parse_guid(&id), expected.map(u128::from), "{c}");
        }
        assert_eq!(
            parse_guid("0123abcd-ef45-6789-abcd-ef0123456789"),
            Some(0x0123abcd_ef45_6789_abcd_ef0123456789)
        );
    }

    #[test]
    fn anything_else_stays_text() {
        for id in [
            "54CB71BE-256E-4579-B899-B4224DB14957",
            "54cb71be256e4579b899b4224db14957",
            "{54cb71be-256e-4579-b899-b4224db14957}",
            "54cb71be-256e-4579-b899-b4224db1495g",
            "54cb71be-256e-4579-b899b-4224db14957",
            "54cb71be-256e-4579-b899-b4224db14957-",
            "sig1",
            "",
        ] {
            assert_eq!(SignalKey::of(id), SignalKey::Text(id), "{id}");
        }
    }
}
