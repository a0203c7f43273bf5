//! The WAL payload codec: one [`EventBatch`], validated on decode. Compact, because every byte is
//! written and fsynced before an append is acknowledged: NULLs cost a bit, only non-NULL values are
//! stored, and text columns use the layouts of `text_codec` (UUIDs in 16 bytes, repeated
//! values through a per-batch dictionary).
//!
//! Layout (all integers little-endian):
//!
//! ```text
//! rows: u32, columns: u32
//! per column, in EVENT_COLUMNS order:
//!   type tag: u8 (ColumnType::tag)
//!   null flag: u8  0 = no NULLs: every row has a value
//!                  1 = ⌈rows/8⌉ bytes of presence bits follow (bit r%8 of byte r/8 set = row r has a value;
//!                      unused high bits 0), then values for the present rows only
//!                  2 = every row is NULL: nothing else follows for this column (nullable columns only)
//!   values of the present rows, in row order:
//!     Timestamp/Int: i64 each     Double: f64 each (IEEE-754 bits)     Text: see text_codec
//! ```
//!
//! `time` comes first and may not be NULL, so the row count is backed by `rows × 8` input bytes before
//! any other column is expanded.

use crate::batch::{Column, ColumnData, EventBatch, StringVec};
use crate::schema::{ColumnType, EVENT_COLUMNS};

use super::text_codec::{self, Take};

const NO_NULLS: u8 = 0;
const PRESENCE_BITS: u8 = 1;
const ALL_NULL: u8 = 2;

/// Appends the encoding of `batch` to `out`. The batch should have passed [`check_encodable`];
/// anything that fails it would be rejected by [`decode_batch`].
pub fn encode_batch(batch: &EventBatch, out: &mut Vec<u8>) {
    let rows = batch.len();
    out.extend_from_slice(&(rows as u32).to_le_bytes());
    out.extend_from_slice(&(batch.columns.len() as u32).to_le_bytes());
    let all_rows: Vec<u32> = (0..rows as u32).collect();
    let mut some_rows = Vec::new();
    for (def, column) in EVENT_COLUMNS.iter().zip(&batch.columns) {
        out.push(def.ty.tag());
        let present: &[u32] = match &column.validity {
            Some(valid) if valid.iter().any(|&v| !v) => {
                if rows > 0 && !valid.iter().any(|&v| v) {
                    out.push(ALL_NULL);
                    continue;
                }
                out.push(PRESENCE_BITS);
                let start = out.len();
                out.resize(start + rows.div_ceil(8), 0);
                some_rows.clear();
                for (r, _) in valid.iter().enumerate().filter(|(_, &v)| v) {
                    out[start + r / 8] |= 1 << (r % 8);
                    some_rows.push(r as u32);
                }
                &some_rows
            }
            _ => {
                out.push(NO_NULLS);
                &all_rows
            }
        };
        match &column.data {
            ColumnData::Int(values) => put_le(out, present, |r| values[r].to_le_bytes()),
            ColumnData::Double(values) => put_le(out, present, |r| values[r].to_le_bytes()),
            ColumnData::Text(strings) => text_codec::encode(strings, present, out),
            ColumnData::Uuid(uuids) => text_codec::encode_uuids(uuids, present, out),
        }
    }
}

/// Appends `value(r)` for each row in `rows` as fixed-width little-endian bytes.
fn put_le<const N: usize>(out: &mut Vec<u8>, rows: &[u32], value: impl Fn(usize) -> [u8; N]) {
    let start = out.len();
    out.resize(start + rows.len() * N, 0);
    for (dst, &r) in out[start..].chunks_exact_mut(N).zip(rows) {
        dst.copy_from_slice(&value(r as usize));
    }
}

/// Checks everything [`decode_batch`] will check that [`EventBatch::validate`] does not: that every text
/// column's offsets start at 0, never decrease, end at the byte length and fall on UTF-8 character
/// boundaries. The WAL runs this before acknowledging a batch, so an acknowledged record always replays.
pub fn check_encodable(batch: &EventBatch) -> Result<(), String> {
    batch.validate().map_err(|e| e.to_string())?;
    for (def, column) in EVENT_COLUMNS.iter().zip(&batch.columns) {
        if let ColumnData::Text(strings) = &column.data {
            check_strings(&strings.offsets, &strings.bytes).map_err(|e| format!("column {}: {e}", def.name))?;
        }
    }
    Ok(())
}

/// Validates the offsets/bytes pair of one text column.
pub(super) fn check_strings(offsets: &[u32], bytes: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("text is not UTF-8: {e}"))?;
    if offsets.first() != Some(&0) {
        return Err("text offsets do not start at 0".into());
    }
    let mut previous = 0u32;
    for &offset in offsets {
        if offset < previous {
            return Err(format!("text offset {offset} is below the previous offset {previous}"));
        }
        if !text.is_char_boundary(offset as usize) {
            return Err(format!("text offset {offset} is not on a UTF-8 character boundary"));
        }
        previous = offset;
    }
    if previous as usize != bytes.len() {
        return Err(format!(
            "text offsets end at {previous} but there are {} bytes",
            bytes.len()
        ));
    }
    Ok(())
}

/// Decodes a payload written by [`encode_batch`]. Every length, tag, flag, offset, id and UTF-8 sequence is
/// checked, and the result passes [`EventBatch::validate`]; malformed input yields a message saying what and
/// where, never a panic, and never allocates more than the input size justifies.
pub fn decode_batch(bytes: &[u8]) -> Result<EventBatch, String> {
    let mut input = Input { bytes, pos: 0 };
    let rows = input.u32("row count")? as usize;
    let column_count = input.u32("column count")? as usize;
    if column_count != EVENT_COLUMNS.len() {
        return Err(format!(
            "payload has {column_count} columns, the events table has {}",
            EVENT_COLUMNS.len()
        ));
    }
    let mut columns = Vec::with_capacity(column_count);
    for def in EVENT_COLUMNS {
        let tag = input.take(1, "type tag")?[0];
        if tag != def.ty.tag() {
            let found = ColumnType::from_tag(tag).map_or_else(|| format!("unknown tag {tag}"), |t| format!("{t:?}"));
            return Err(format!(
                "column {} should be {:?} but the payload says {found}",
                def.name, def.ty
            ));
        }
        let validity = match input.take(1, "null flag")?[0] {
            NO_NULLS => None,
            PRESENCE_BITS => Some(input.presence(rows, def.name)?),
            ALL_NULL if def.nullable && !columns.is_empty() => {
                columns.push(Column {
                    data: all_null_data(def.ty, rows),
                    validity: Some(vec![false; rows]),
                });
                continue;
            }
            flag => {
                return Err(format!(
                    "column {}: bad null flag {flag} at byte {}",
                    def.name,
                    input.pos - 1
                ))
            }
        };
        let present: Vec<usize> = match &validity {
            Some(v) => v.iter().enumerate().filter(|(_, &p)| p).map(|(r, _)| r).collect(),
            None => Vec::new(),
        };
        let n = validity.as_ref().map_or(rows, |_| present.len());
        let mut present_rows: Box<dyn Iterator<Item = usize>> = match &validity {
            Some(_) => Box::new(present.iter().copied()),
            None => Box::new(0..rows),
        };
        let data = match def.ty {
            ColumnType::Timestamp | ColumnType::Int => {
                let words: Vec<i64> = input.words(n, def.name)?.map(|w| w as i64).collect();
                ColumnData::Int(scatter(words, &mut present_rows, rows, 0))
            }
            ColumnType::Double => {
                let words: Vec<f64> = input.words(n, def.name)?.map(f64::from_bits).collect();
                ColumnData::Double(scatter(words, &mut present_rows, rows, 0.0))
            }
            ColumnType::Text => text_codec::decode(&mut input, &mut present_rows, n, rows, def.name)?,
        };
        columns.push(Column { data, validity });
    }
    if input.pos != bytes.len() {
        return Err(format!(
            "{} trailing bytes after the last column",
            bytes.len() - input.pos
        ));
    }
    let batch = EventBatch { columns };
    batch.validate().map_err(|e| e.to_string())?;
    Ok(batch)
}

/// `values` placed at the rows `present_rows` yields, `fill` elsewhere.
fn scatter<T: Copy>(values: Vec<T>, present_rows: &mut dyn Iterator<Item = usize>, rows: usize, fill: T) -> Vec<T> {
    if values.len() == rows {
        return values;
    }
    let mut out = vec![fill; rows];
    for (r, v) in present_rows.zip(values) {
        out[r] = v;
    }
    out
}

/// The values of a column whose rows are all NULL: zeros, or empty strings.
fn all_null_data(ty: ColumnType, rows: usize) -> ColumnData {
    match ty {
        ColumnType::Timestamp | ColumnType::Int => ColumnData::Int(vec![0; rows]),
        ColumnType::Double => ColumnData::Double(vec![0.0; rows]),
        ColumnType::Text => ColumnData::Text(StringVec {
            offsets: vec![0; rows + 1],
            bytes: Vec::new(),
        }),
    }
}

/// A cursor over the payload that refuses to read past its end.
struct Input<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Take<'a> for Input<'a> {
    fn take(&mut self, len: usize, what: &str) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| {
                format!(
                    "payload ends while reading {what}: need {len} bytes at byte {}, have {}",
                    self.pos,
                    self.bytes.len() - self.pos
                )
            })?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }
}

impl<'a> Input<'a> {
    fn u32(&mut self, what: &str) -> Result<u32, String> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// `count` items of `width` bytes, checking the size against the input before any allocation.
    fn array(&mut self, count: usize, width: usize, what: &str) -> Result<&'a [u8], String> {
        let len = count
            .checked_mul(width)
            .ok_or_else(|| format!("{what}: {count} items overflow"))?;
        self.take(len, what)
    }

    /// Presence bits of `rows` rows; unused bits of the last byte must be 0.
    fn presence(&mut self, rows: usize, column: &str) -> Result<Vec<bool>, String> {
        let start = self.pos;
        let raw = self.array(rows.div_ceil(8), 1, &format!("presence bits of column {column}"))?;
        if rows % 8 != 0 && raw.last().is_some_and(|&b| b >> (rows % 8) != 0) {
            return Err(format!(
                "column {column}: presence bits past the last row set at byte {}",
                start + raw.len() - 1
            ));
        }
        Ok((0..rows).map(|r| raw[r / 8] & (1 << (r % 8)) != 0).collect())
    }

    /// `n` little-endian 8-byte words.
    fn words(&mut self, n: usize, column: &str) -> Result<impl Iterator<Item = u64> + 'a, String> {
        let raw = self.array(n, 8, &format!("values of column {column}"))?;
        Ok(raw
            .chunks_exact(8)
            .map(|w| u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{BatchBuilder, ValueRef};
    use crate::schema::col;
    use proptest::prelude::*;

    const UUIDS: [&str; 3] = [
        "020ed8ae-8f5f-4127-9ac2-bf214d535a86",
        "5ca2485d-59cb-4207-8359-4056c7704656",
        "99999999-9999-4999-8999-999999999999",
    ];

    /// A batch touching every column type and text layout, with and without NULLs and with multi-byte text.
    fn sample_batch(rows: usize) -> EventBatch {
        let mut builder = BatchBuilder::new();
        for i in 0..rows {
            let id = format!("sig-{i}-é");
            let student = format!("student-{}", i % 7);
            let mut row = vec![ValueRef::Null; col::COUNT];
            row[col::TIME] = ValueRef::Int(1_700_000_000_000_000 + i as i64);
            row[col::SIGNAL_ID] = ValueRef::Text(&id);
            row[col::SIGNAL] = ValueRef::Text("SubmitAssignment");
            row[col::APP] = ValueRef::Text("Assignments");
            row[col::STUDENT] = ValueRef::Text(&student);
            row[col::GRADE] = if i % 3 == 0 {
                ValueRef::Null
            } else {
                ValueRef::Double(i as f64 / 4.0)
            };
            row[col::MEETING_SECONDS] = ValueRef::Int(-(i as i64));
            row[col::READING_LANGUAGE] = ValueRef::Text("日本語");
            // UUID layouts: a repeating lower-case id (dictionary), distinct upper-case ids, mixed case.
            let submission = format!("{:08X}-59CB-4207-8359-4056C7704656", i * 7_919);
            let meeting = format!("{:08x}-59CB-4207-8359-4056c7704656", i);
            row[col::ASSIGNMENT] = ValueRef::Text(UUIDS[i % 3]);
            if i % 4 != 1 {
                row[col::SUBMISSION] = ValueRef::Text(&submission);
            }
            row[col::MEETING] = ValueRef::Text(&meeting);
            builder.push_row(&row).unwrap();
        }
        builder.finish()
    }

    fn encode(batch: &EventBatch) -> Vec<u8> {
        let mut out = Vec::new();
        encode_batch(batch, &mut out);
        out
    }

    #[test]
    fn round_trips_values_nulls_and_unicode() {
        for rows in [0, 1, 17] {
            let batch = sample_batch(rows);
            check_encodable(&batch).unwrap();
            assert_eq!(decode_batch(&encode(&batch)).unwrap(), batch);
        }
    }

    #[test]
    fn encoding_appends_without_clobbering_existing_bytes() {
        let batch = sample_batch(3);
        let mut out = b"prefix".to_vec();
        encode_batch(&batch, &mut out);
        assert_eq!(&out[..6], b"prefix");
        assert_eq!(decode_batch(&out[6..]).unwrap(), batch);
    }

    #[test]
    fn rejects_a_type_tag_that_does_not_match_the_schema() {
        let mut bytes = encode(&sample_batch(2));
        bytes[8] = ColumnType::Text.tag(); // the `time` column's tag
        let err = decode_batch(&bytes).unwrap_err();
        assert!(err.contains("column time should be Timestamp"), "{err}");
    }

    #[test]
    fn rejects_a_null_in_a_required_column() {
        let mut batch = sample_batch(2);
        batch.columns[col::STUDENT].validity = Some(vec![true, false]);
        assert!(check_encodable(&batch).is_err());
        let err = decode_batch(&encode(&batch)).unwrap_err();
        assert!(err.contains("student may not be NULL"), "{err}");
    }

    #[test]
    fn check_encodable_rejects_text_that_would_not_replay() {
        let mut batch = sample_batch(2);
        if let ColumnData::Text(s) = &mut batch.columns[col::READING_LANGUAGE].data {
            s.offsets[1] = 1; // inside the first multi-byte character
        }
        let err = check_encodable(&batch).unwrap_err();
        assert!(
            err.contains("reading_language") && err.contains("character boundary"),
            "{err}"
        );
        assert!(decode_batch(&encode(&batch)).is_err());
    }

    #[test]
    fn all_null_columns_take_two_bytes_and_required_columns_cannot_claim_it() {
        let batch = sample_batch(3);
        assert_eq!(batch.columns[col::CLASS].validity, Some(vec![false; 3]));
        let bytes = encode(&batch);
        let with_class_values = {
            let mut b = batch.clone();
            b.columns[col::CLASS].validity = Some(vec![true, false, false]);
            encode(&b)
        };
        assert_eq!(
            with_class_values.len() - bytes.len(),
            1 + 1 + 2 * 4,
            "presence bits, text layout and offsets are skipped"
        );
        let mut bad = bytes.clone();
        let signal_id_flag = 8 + 2 + 3 * 8 + 1;
        bad[signal_id_flag] = ALL_NULL;
        assert!(decode_batch(&bad).unwrap_err().contains("bad null flag"));
    }

    #[test]
    fn uuids_take_16_bytes_or_a_dictionary_id_and_keep_their_case() {
        let batch = sample_batch(40);
        let bytes = encode(&batch);
        assert_eq!(decode_batch(&bytes).unwrap(), batch);
        let mut plain = batch.clone();
        for c in [col::ASSIGNMENT, col::SUBMISSION] {
            plain.columns[c].validity = Some(vec![false; 40]);
        }
        // Assignment: layout byte, dictionary size, 3 × 16 bytes, width byte, 40 one-byte ids.
        // Submission: 5 presence bytes, layout byte, 30 present distinct ids at 16 bytes each.
        let saved = bytes.len() - encode(&plain).len();
        assert_eq!(saved, (1 + 4 + 3 * 16 + 1 + 40) + (5 + 1 + 30 * 16));
    }

    /// Columns handed over as 128-bit UUIDs (as `Db::append` does) are written exactly as their text
    /// would be, and UUID layouts decode to UUID columns again (no formatting on replay).
    #[test]
    fn uuid_columns_encode_like_their_text_and_decode_as_uuids() {
        for rows in [1, 17, 40] {
            let text = sample_batch(rows);
            let mut parsed = text.clone();
            parsed.parse_uuid_columns();
            assert!(matches!(parsed.columns[col::ASSIGNMENT].data, ColumnData::Uuid(_)));
            assert!(matches!(parsed.columns[col::SIGNAL_ID].data, ColumnData::Text(_)));
            check_encodable(&parsed).unwrap();
            assert_eq!(encode(&parsed), encode(&text));
            let decoded = decode_batch(&encode(&text)).unwrap();
            assert!(matches!(decoded.columns[col::ASSIGNMENT].data, ColumnData::Uuid(_)));
            assert_eq!(decoded, text);
        }
    }

    #[test]
    fn rejects_trailing_bytes() {
        let mut bytes = encode(&sample_batch(2));
        bytes.push(0);
        assert!(decode_batch(&bytes).unwrap_err().contains("trailing"));
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode_batch(&bytes);
        }

        #[test]
        fn every_truncation_is_an_error(rows in 0usize..6, cut_seed in any::<usize>()) {
            let bytes = encode(&sample_batch(rows));
            let cut = cut_seed % bytes.len();
            prop_assert!(decode_batch(&bytes[..cut]).is_err());
        }

        #[test]
        fn corrupted_bytes_never_panic(rows in 0usize..6, pos_seed in any::<usize>(), value in any::<u8>()) {
            let mut bytes = encode(&sample_batch(rows));
            let pos = pos_seed % bytes.len();
            bytes[pos] = value;
            if let Ok(batch) = decode_batch(&bytes) {
                prop_assert!(batch.validate().is_ok());
            }
        }
    }
}
