//! Building a text column of ids row by row, held as 128-bit UUIDs while every value is one.
//!
//! Producers of batches (the importer, the generators) push each id once; a column of canonical
//! UUIDs of one case comes out as [`ColumnData::Uuid`], so the string is never copied and the WAL and
//! segment writer never parse it again. The first value that is not such a UUID turns the column into
//! text for the rest of the batch (the values so far are formatted back, exactly as they were).

use crate::uuid::{case_of_lower, parse_uuid, LOWER, UPPER};

use super::{Column, ColumnData, StringVec, UuidVec};

/// A text column under construction (see the module docs).
#[derive(Debug, Clone)]
pub struct IdColumnBuilder {
    data: IdData,
    valid: Vec<bool>,
}

#[derive(Debug, Clone)]
enum IdData {
    /// Every value so far a canonical UUID; `cases` the letter cases seen (never both).
    Uuids {
        values: Vec<u128>,
        cases: u8,
    },
    Text(StringVec),
}

impl Default for IdColumnBuilder {
    fn default() -> Self {
        IdColumnBuilder {
            data: IdData::Uuids {
                values: Vec::new(),
                cases: 0,
            },
            valid: Vec::new(),
        }
    }
}

impl IdColumnBuilder {
    /// Empties the builder (keeping its UUID vector) and makes room for `rows` rows.
    pub fn clear_and_reserve(&mut self, rows: usize) {
        match &mut self.data {
            IdData::Uuids { values, cases } => {
                values.clear();
                values.reserve(rows);
                *cases = 0;
            }
            IdData::Text(_) => {
                self.data = IdData::Uuids {
                    values: Vec::with_capacity(rows),
                    cases: 0,
                }
            }
        }
        self.valid.clear();
        self.valid.reserve(rows);
    }

    /// Rows pushed.
    pub fn len(&self) -> usize {
        self.valid.len()
    }

    /// Whether no row was pushed.
    pub fn is_empty(&self) -> bool {
        self.valid.is_empty()
    }

    /// Appends a value, or a NULL.
    #[inline]
    pub fn push(&mut self, value: Option<&str>) {
        match value {
            Some(s) => self.push_some(s),
            None => {
                match &mut self.data {
                    IdData::Uuids { values, .. } => values.push(0),
                    IdData::Text(t) => t.offsets.push(t.bytes.len() as u32),
                }
                self.valid.push(false);
            }
        }
    }

    /// Appends a (non-NULL) value.
    #[inline]
    pub fn push_some(&mut self, s: &str) {
        if let IdData::Uuids { values, cases } = &mut self.data {
            match parse_uuid(s.as_bytes()) {
                Some((bits, c)) if *cases | c != LOWER | UPPER => {
                    values.push(bits);
                    *cases |= c;
                    self.valid.push(true);
                    return;
                }
                _ => self.switch_to_text(),
            }
        }
        if let IdData::Text(t) = &mut self.data {
            t.push(s);
        }
        self.valid.push(true);
    }

    /// Appends a (non-NULL) value whose bits the caller already has if it is a lower-case canonical
    /// UUID (`lower_case_bits`, e.g. from a lookup key), so it is not parsed again; with `None` it is
    /// [`IdColumnBuilder::push_some`]. The column comes out as if every value had been pushed as text.
    #[inline]
    pub fn push_parsed(&mut self, s: &str, lower_case_bits: Option<u128>) {
        if let (Some(bits), IdData::Uuids { values, cases }) = (lower_case_bits, &mut self.data) {
            let c = case_of_lower(bits);
            if *cases | c != LOWER | UPPER {
                values.push(bits);
                *cases |= c;
                self.valid.push(true);
                return;
            }
        }
        self.push_some(s);
    }

    /// Switches to text, formatting the UUIDs pushed so far.
    #[cold]
    fn switch_to_text(&mut self) {
        if let IdData::Uuids { values, cases } = &mut self.data {
            let uuids = UuidVec {
                values: std::mem::take(values),
                upper: *cases == UPPER,
            };
            self.data = IdData::Text(uuids.to_strings(Some(&self.valid)));
        }
    }

    /// The column: `validity` is `None` if no row is NULL. A column of NULLs only is text.
    pub fn finish(self) -> Column {
        let any_value = self.valid.contains(&true);
        let validity = if self.valid.iter().all(|&v| v) {
            None
        } else {
            Some(self.valid)
        };
        let data = match self.data {
            IdData::Uuids { values, .. } if !any_value => ColumnData::Text(StringVec {
                offsets: vec![0; values.len() + 1],
                bytes: Vec::new(),
            }),
            IdData::Uuids { values, cases } => ColumnData::Uuid(UuidVec {
                values,
                upper: cases == UPPER,
            }),
            IdData::Text(t) => ColumnData::Text(t),
        };
        Column { data, validity }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built(values: &[Option<&str>]) -> Column {
        let mut b = IdColumnBuilder::default();
        values.iter().for_each(|v| b.push(*v));
        b.finish()
    }

    fn text_column(values: &[Option<&str>]) -> Column {
        let mut t = StringVec::new();
        values.iter().for_each(|v| t.push(v.unwrap_or("")));
        let valid: Vec<bool> = values.iter().map(Option::is_some).collect();
        Column {
            data: ColumnData::Text(t),
            validity: valid.contains(&false).then_some(valid),
        }
    }

    #[test]
    fn uuids_stay_uuids_and_anything_else_turns_the_column_into_the_same_text() {
        let cases: [&[Option<&str>]; 5] = [
            &[
                Some("020ed8ae-8f5f-4127-9ac2-bf214d535a86"),
                None,
                Some("00000000-0000-0000-0000-000000000001"),
            ],
            &[Some("5CA2485D-59CB-4207-8359-4056C7704656"), None],
            &[Some("020ed8ae-8f5f-4127-9ac2-bf214d535a86"), None, Some("actor-7")],
            &[
                Some("020ed8ae-8f5f-4127-9ac2-bf214d535a86"),
                Some("5CA2485D-59CB-4207-8359-4056C7704656"),
            ],
            &[None, None],
        ];
        for (i, values) in cases.iter().enumerate() {
            let column = built(values);
            assert_eq!(column, text_column(values), "case {i}");
            let is_uuid = matches!(column.data, ColumnData::Uuid(_));
            assert_eq!(is_uuid, i < 2, "case {i}: {column:?}");
        }
    }

    /// Values pushed with the bits of their lower-case parse give the very column `push_some` gives,
    /// letter case bookkeeping included (an all-digit UUID has no case, so an upper-case one may follow).
    #[test]
    fn pushing_parsed_lower_case_bits_builds_the_same_column() {
        let digits = "00000000-0000-0000-0000-000000000001";
        let lower = "020ed8ae-8f5f-4127-9ac2-bf214d535a86";
        let upper = "5CA2485D-59CB-4207-8359-4056C7704656";
        let cases: [&[&str]; 5] = [
            &[digits, upper],
            &[digits, lower, digits],
            &[lower, upper],
            &[upper, lower],
            &[lower, "actor-7", digits],
        ];
        for (i, values) in cases.iter().enumerate() {
            let mut parsed = IdColumnBuilder::default();
            for v in values.iter() {
                let lower_bits = parse_uuid(v.as_bytes())
                    .filter(|&(_, c)| c != UPPER)
                    .map(|(bits, _)| bits);
                parsed.push_parsed(v, lower_bits);
            }
            let as_text: Vec<Option<&str>> = values.iter().map(|v| Some(*v)).collect();
            assert_eq!(parsed.finish(), built(&as_text), "case {i}");
        }
        assert_eq!(case_of_lower(1), 0);
        assert_eq!(case_of_lower(0x9 << 40), 0);
        assert_eq!(case_of_lower(0xa << 124), LOWER);
    }

    #[test]
    fn a_cleared_builder_starts_empty_and_holds_uuids_again() {
        // Turned into text by its second value, then cleared: the next batch starts as UUIDs again.
        let mut builder = IdColumnBuilder::default();
        builder.push_some("020ed8ae-8f5f-4127-9ac2-bf214d535a86");
        builder.push_some("actor-7");
        builder.clear_and_reserve(4);
        assert!(builder.is_empty());
        builder.push_some("00000000-0000-0000-0000-000000000001");
        let column = builder.finish();
        assert_eq!(column, text_column(&[Some("00000000-0000-0000-0000-000000000001")]));
        assert!(matches!(column.data, ColumnData::Uuid(_)));
    }
}
