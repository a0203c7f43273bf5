//! Text values stored in row order, without a dictionary (format version 4), for the columns the schema
//! marks [`values_in_row_order`](crate::schema::ColumnDef::values_in_row_order): `signal_id`, whose
//! values are unique per event. A sorted dictionary of a million distinct ids plus an id per row cost
//! the flush a sort of every value and 2.1 bytes/event of ids that only ever pointed at one row each;
//! in row order the column is its values. A reader that wants the usual sorted dictionary and ids sorts
//! the values when it first decodes the column (de-duplication on re-import, `ORDER BY signal_id`).
//!
//! The Dictionary block: layout u8 (5: plain strings, 6 / 7: canonical UUIDs in lower / upper case),
//! count u32 (the non-NULL rows), then the values of the non-NULL rows in stored row order: for plain
//! strings their byte lengths as packed integers followed by the UTF-8 bytes, for UUIDs 16 big-endian
//! bytes each. The column has no Values block. UUIDs take the UUID layout whenever all of them are
//! canonical and share one case, whichever way the batch held them, so a segment's bytes do not depend
//! on whether the column arrived as text or as 128-bit values.

use super::dictionary::{sorted_strs, sorted_uuids, SortedDict};
use super::encoding::{decode_ints, put_strings, put_uuids, uuids_from_be_bytes, ByteReader, Malformed};
use crate::uuid::{parse_one_case, shown_case, uuid_strings, LOWER, UPPER};

const ROWS_PLAIN: u8 = 5;
const ROWS_UUID_LOWER: u8 = 6;
const ROWS_UUID_UPPER: u8 = 7;

/// A column's non-NULL values in stored row order.
#[derive(Debug, PartialEq)]
pub(super) enum RowValues<'a> {
    /// Arbitrary UTF-8 strings.
    Plain(Vec<&'a str>),
    /// Canonical UUIDs all in one case (`upper`), as their 128 bits.
    Uuid {
        /// The values.
        values: Vec<u128>,
        /// Whether the hex letters are upper case.
        upper: bool,
    },
}

impl<'a> RowValues<'a> {
    /// UUID values written in `upper` case (values without a hex letter have no case: if none has
    /// one, they are stored lower case, as parsing their text would).
    pub fn from_uuids(values: Vec<u128>, upper: bool) -> RowValues<'a> {
        if values.is_empty() {
            // As the same column held as text encodes.
            return RowValues::Plain(Vec::new());
        }
        let upper = shown_case(&values, upper) == UPPER;
        RowValues::Uuid { values, upper }
    }

    /// String values: the UUID layout if every one is a canonical UUID and they share one case.
    pub fn from_strs(values: Vec<&'a str>) -> RowValues<'a> {
        match parse_one_case(values.iter().map(|s| Some(s.as_bytes()))) {
            Some((uuids, upper)) if !uuids.is_empty() => RowValues::Uuid { values: uuids, upper },
            _ => RowValues::Plain(values),
        }
    }

    /// The letter cases the values use as strings, as [`SortedDict::cases`] tells them.
    pub fn cases(&self) -> u8 {
        match self {
            RowValues::Plain(v) if v.is_empty() => 0,
            RowValues::Plain(_) => LOWER | UPPER,
            RowValues::Uuid { values, upper } => shown_case(values, *upper),
        }
    }

    /// Every value as its string (UUIDs in their canonical text), in order.
    pub fn to_strings(&self) -> Vec<String> {
        match self {
            RowValues::Plain(values) => values.iter().map(|s| s.to_string()).collect(),
            RowValues::Uuid { values, upper } => uuid_strings(values, *upper),
        }
    }

    /// Appends the Dictionary block (see the module docs).
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            RowValues::Plain(values) => {
                out.push(ROWS_PLAIN);
                put_strings(values, out);
            }
            RowValues::Uuid { values, upper } => {
                out.push(if *upper { ROWS_UUID_UPPER } else { ROWS_UUID_LOWER });
                put_uuids(values, out);
            }
        }
    }

    /// Reads a block written by [`RowValues::encode`] in a segment of format `version`, which must hold
    /// `present` values (the column's non-NULL rows, which bounds every allocation). Checks UTF-8.
    pub fn decode(r: &mut ByteReader<'a>, present: usize, version: u32) -> Result<RowValues<'a>, Malformed> {
        let layout = r.u8("row-order layout")?;
        let count = r.u32("value count")? as usize;
        if count != present {
            return Err(Malformed::at(1, format!("{count} values for {present} non-NULL rows")));
        }
        match layout {
            ROWS_PLAIN => {
                let lengths = decode_ints(r, count, version)?;
                let mut values = Vec::with_capacity(count);
                for len in lengths {
                    let at = r.pos();
                    let len =
                        usize::try_from(len).map_err(|_| Malformed::at(at, format!("negative string length {len}")))?;
                    let bytes = r.take(len, "row-order string")?;
                    values.push(
                        std::str::from_utf8(bytes).map_err(|e| Malformed::at(at, format!("row-order string: {e}")))?,
                    );
                }
                Ok(RowValues::Plain(values))
            }
            ROWS_UUID_LOWER | ROWS_UUID_UPPER => {
                let bytes = r.take(
                    count
                        .checked_mul(16)
                        .ok_or_else(|| Malformed::at(1, "value count overflows"))?,
                    "packed UUIDs",
                )?;
                Ok(RowValues::Uuid {
                    values: uuids_from_be_bytes(bytes),
                    upper: layout == ROWS_UUID_UPPER,
                })
            }
            other => Err(Malformed::at(0, format!("unknown row-order layout {other}"))),
        }
    }

    /// The sorted dictionary of the values and each value's id in it, in row order: the form every
    /// other Text column decodes to.
    pub fn into_sorted(self) -> (SortedDict<'a>, Vec<u32>) {
        match self {
            RowValues::Plain(values) => {
                let (dict, ids) = sorted_strs(&values);
                (SortedDict::Plain(dict), ids)
            }
            RowValues::Uuid { values, upper } => {
                let (dict, ids) = sorted_uuids(&values);
                (SortedDict::Uuid { values: dict, upper }, ids)
            }
        }
    }
}
