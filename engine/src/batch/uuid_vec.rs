//! A text column whose values are all canonical UUIDs of one letter case, held as 128-bit integers.
//!
//! Almost every id in the activity export (signal, student, class, assignment, submission, meeting)
//! is a hyphenated UUID. Holding them as `u128` instead of 36-byte strings means each is parsed once,
//! where the importer or [`crate::Db::append`] first sees it, and never again: the WAL codec writes the
//! 16 bytes as they are and the segment writer builds its dictionaries straight from the integers.
//! It is a representation only — the value of row `i` is the canonical text of `values[i]` in the
//! column's case, and every reader that wants text gets exactly that string.

use crate::uuid::{hex_alphabet, parse_one_case, push_uuid, uuid_text, UUID_LEN};

use super::StringVec;

/// UUID values as big-endian 128-bit integers, all written in one letter case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UuidVec {
    /// One value per row (NULL rows hold 0).
    pub values: Vec<u128>,
    /// Whether the hex letters are upper case (`false`: lower case).
    pub upper: bool,
}

impl UuidVec {
    /// Number of values.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Appends the canonical text of value `i` to `out`.
    pub fn push_text(&self, i: usize, out: &mut Vec<u8>) {
        push_uuid(self.values[i], hex_alphabet(self.upper), out);
    }

    /// The canonical text of value `i` in a stack buffer.
    pub fn text(&self, i: usize) -> UuidText {
        UuidText::new(self.values[i], self.upper)
    }

    /// Every value as text (NULL rows, marked `false` in `validity`, become ""), as [`StringVec`] holds it.
    pub fn to_strings(&self, validity: Option<&[bool]>) -> StringVec {
        let mut out = StringVec::with_capacity(self.len(), self.len() * UUID_LEN);
        for i in 0..self.len() {
            if validity.is_none_or(|v| v[i]) {
                self.push_text(i, &mut out.bytes);
            }
            out.offsets.push(out.bytes.len() as u32);
        }
        out
    }

    /// Parses a text column into a `UuidVec` if every non-NULL value is a canonical UUID and they do not
    /// mix letter cases; `None` otherwise (the column then stays text), and for a column of NULLs only.
    /// Gives up at the first value that is not a UUID, so short names (signal types, apps) cost one
    /// length check.
    pub fn parse(strings: &StringVec, validity: Option<&[bool]>) -> Option<UuidVec> {
        if validity.is_some_and(|v| !v.contains(&true)) {
            return None;
        }
        let present = |i: usize| validity.is_none_or(|v| v[i]).then(|| strings.get_bytes(i));
        let (values, upper) = parse_one_case((0..strings.len()).map(present))?;
        Some(UuidVec { values, upper })
    }
}

/// The 36-byte canonical text of one UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UuidText([u8; UUID_LEN]);

impl UuidText {
    /// The text of `bits`, hex letters upper case if `upper`.
    pub fn new(bits: u128, upper: bool) -> UuidText {
        UuidText(uuid_text(bits, hex_alphabet(upper)))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Hex digits and hyphens only.
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str]) -> StringVec {
        values.iter().copied().collect()
    }

    #[test]
    fn parses_one_case_uuid_columns_and_formats_them_back() {
        let lower = strings(&[
            "020ed8ae-8f5f-4127-9ac2-bf214d535a86",
            "",
            "00000000-0000-0000-0000-000000000001",
        ]);
        let validity = [true, false, true];
        let parsed = UuidVec::parse(&lower, Some(&validity)).unwrap();
        assert!(!parsed.upper);
        assert_eq!(parsed.values[1], 0);
        assert_eq!(parsed.to_strings(Some(&validity)), lower);
        assert_eq!(parsed.text(0).as_str(), "020ed8ae-8f5f-4127-9ac2-bf214d535a86");

        let upper = strings(&["5CA2485D-59CB-4207-8359-4056C7704656"]);
        assert!(UuidVec::parse(&upper, None).unwrap().upper);
    }

    #[test]
    fn mixed_case_or_other_text_stays_text() {
        let mixed = strings(&[
            "5CA2485D-59CB-4207-8359-4056C7704656",
            "020ed8ae-8f5f-4127-9ac2-bf214d535a86",
        ]);
        assert_eq!(UuidVec::parse(&mixed, None), None);
        let names = strings(&["VisitTeamChannel"]);
        assert_eq!(UuidVec::parse(&names, None), None);
        // A NULL row's placeholder is not looked at.
        let with_null = strings(&["not a uuid", "020ed8ae-8f5f-4127-9ac2-bf214d535a86"]);
        assert!(UuidVec::parse(&with_null, Some(&[false, true])).is_some());
    }
}
