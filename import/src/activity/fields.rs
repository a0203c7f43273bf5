//! Splitting one CSV record into fields without allocating per field: unquoted records are cut at
//! commas in place, quoted ones are unquoted into a reused buffer.

/// Bytes scanned at once when cutting an unquoted record: one bit per byte in a `u64` mask.
const BLOCK: usize = 64;

/// Bit `i` set in the first mask where `block[i]` is a comma, in the second where it is a double
/// quote.
#[inline]
fn comma_and_quote_masks(block: &[u8; BLOCK]) -> (u64, u64) {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: SSE2 is part of the x86_64 baseline, so every x86_64 processor has it.
        unsafe { sse2_masks(block) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let mut masks = (0u64, 0u64);
        for (i, &b) in block.iter().enumerate() {
            masks.0 |= u64::from(b == b',') << i;
            masks.1 |= u64::from(b == b'"') << i;
        }
        masks
    }
}

/// [`comma_and_quote_masks`] with SSE2: one compare and mask extraction per 16 bytes and character.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn sse2_masks(block: &[u8; BLOCK]) -> (u64, u64) {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_movemask_epi8, _mm_set1_epi8, _mm_set_epi64x};
    let (comma, quote) = (_mm_set1_epi8(b',' as i8), _mm_set1_epi8(b'"' as i8));
    let (mut commas, mut quotes) = (0u64, 0u64);
    for (k, lanes) in block.chunks_exact(16).enumerate() {
        let mut half = [0u8; 8];
        half.copy_from_slice(&lanes[..8]);
        let low = i64::from_le_bytes(half);
        half.copy_from_slice(&lanes[8..]);
        let v = _mm_set_epi64x(i64::from_le_bytes(half), low);
        commas |= u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, comma)) as u16) << (16 * k);
        quotes |= u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)) as u16) << (16 * k);
    }
    (commas, quotes)
}

/// Splits CSV records into fields, reusing its buffers from record to record.
#[derive(Debug, Default)]
pub struct FieldSplitter {
    unquoted: Vec<u8>,
    bounds: Vec<(usize, usize)>,
}

/// The fields of one record: text borrowed for `'t` (the record, or the splitter's unquoted copy),
/// field bounds borrowed from the splitter for `'b`.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'t, 'b> {
    text: &'t str,
    bounds: &'b [(usize, usize)],
}

impl<'t> Fields<'t, '_> {
    /// Number of fields.
    pub fn len(&self) -> usize {
        self.bounds.len()
    }

    /// Whether the record has no fields (never true for a split record).
    pub fn is_empty(&self) -> bool {
        self.bounds.is_empty()
    }

    /// Field `i` (unquoted), or `""` past the end.
    pub fn get(&self, i: usize) -> &'t str {
        self.bounds.get(i).map_or("", |&(a, b)| &self.text[a..b])
    }
}

impl FieldSplitter {
    /// Splits `record` at unquoted commas, removing quotes (`""` inside quotes is one `"`), and
    /// checks that the bytes are UTF-8. The error says what is wrong and where.
    pub fn split<'a>(&'a mut self, record: &'a [u8]) -> Result<Fields<'a, 'a>, String> {
        let data: &[u8] = if self.cut(record)? { &self.unquoted } else { record };
        let text = std::str::from_utf8(data)
            .map_err(|e| format!("invalid UTF-8 at byte {} of the row", e.valid_up_to() + 1))?;
        Ok(Fields {
            text,
            bounds: &self.bounds,
        })
    }

    /// [`FieldSplitter::split`] for a record already known to be text: an unquoted record is not
    /// validated again.
    pub fn split_str<'a>(&'a mut self, record: &'a str) -> Result<Fields<'a, 'a>, String> {
        if self.cut(record.as_bytes())? {
            let text = std::str::from_utf8(&self.unquoted)
                .map_err(|e| format!("invalid UTF-8 at byte {} of the row", e.valid_up_to() + 1))?;
            return Ok(Fields {
                text,
                bounds: &self.bounds,
            });
        }
        Ok(Fields {
            text: record,
            bounds: &self.bounds,
        })
    }

    /// Splits a record known to be text if it holds no double quote (so its fields are slices of
    /// `record` itself and outlive the splitter's next use); `None` if it does.
    pub fn split_unquoted<'t, 'b>(&'b mut self, record: &'t str) -> Option<Fields<'t, 'b>> {
        self.cut_unquoted(record.as_bytes()).then_some(Fields {
            text: record,
            bounds: &self.bounds,
        })
    }

    /// Fills `bounds`; returns whether they index the unquoted copy (`true`) or `record` itself.
    /// Unquoted records are scanned a block of [`BLOCK`] bytes at a time for commas and quotes.
    fn cut(&mut self, record: &[u8]) -> Result<bool, String> {
        if self.cut_unquoted(record) {
            return Ok(false);
        }
        self.unquote(record)?;
        Ok(true)
    }

    /// Fills `bounds` for a record without double quotes, a block of [`BLOCK`] bytes at a time;
    /// `false` (and `bounds` unusable) as soon as a quote shows up.
    fn cut_unquoted(&mut self, record: &[u8]) -> bool {
        self.bounds.clear();
        let mut start = 0;
        let mut blocks = record.chunks_exact(BLOCK);
        let mut base = 0;
        for block in &mut blocks {
            let mut bytes = [0u8; BLOCK];
            bytes.copy_from_slice(block);
            if !self.cut_block(&bytes, base, &mut start) {
                return false;
            }
            base += BLOCK;
        }
        let rest = blocks.remainder();
        if !rest.is_empty() {
            // Zero padding holds neither a comma nor a quote.
            let mut bytes = [0u8; BLOCK];
            bytes[..rest.len()].copy_from_slice(rest);
            if !self.cut_block(&bytes, base, &mut start) {
                return false;
            }
        }
        self.bounds.push((start, record.len()));
        true
    }

    /// Pushes the bounds of the fields ending at the commas of `block` (at offset `base` of the
    /// record; the current field starts at `start`); `false` if the block holds a quote.
    #[inline]
    fn cut_block(&mut self, block: &[u8; BLOCK], base: usize, start: &mut usize) -> bool {
        let (mut commas, quotes) = comma_and_quote_masks(block);
        if quotes != 0 {
            return false;
        }
        while commas != 0 {
            let comma = base + commas.trailing_zeros() as usize;
            self.bounds.push((*start, comma));
            *start = comma + 1;
            commas &= commas - 1;
        }
        true
    }

    fn unquote(&mut self, record: &[u8]) -> Result<(), String> {
        self.bounds.clear();
        self.unquoted.clear();
        let mut i = 0;
        loop {
            let start = self.unquoted.len();
            if record.get(i) == Some(&b'"') {
                i += 1;
                loop {
                    let Some(q) = memchr::memchr(b'"', &record[i..]) else {
                        return Err(format!("unterminated quoted field {}", self.bounds.len() + 1));
                    };
                    self.unquoted.extend_from_slice(&record[i..i + q]);
                    i += q + 1;
                    if record.get(i) == Some(&b'"') {
                        self.unquoted.push(b'"');
                        i += 1;
                    } else {
                        break;
                    }
                }
                if i < record.len() && record[i] != b',' {
                    return Err(format!(
                        "unexpected text after the closing quote of field {}",
                        self.bounds.len() + 1
                    ));
                }
            } else {
                let end = memchr::memchr(b',', &record[i..]).map_or(record.len(), |c| i + c);
                self.unquoted.extend_from_slice(&record[i..end]);
                i = end;
            }
            self.bounds.push((start, self.unquoted.len()));
            if i >= record.len() {
                return Ok(());
            }
            i += 1; // the comma
            if i == record.len() {
                self.bounds.push((self.unquoted.len(), self.unquoted.len()));
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(record: &str) -> Result<Vec<String>, String> {
        let mut s = FieldSplitter::default();
        let f = s.split(record.as_bytes())?;
        Ok((0..f.len()).map(|i| f.get(i).to_string()).collect())
    }

    #[test]
    fn splitting_plain_and_quoted_fields() {
        assert_eq!(split("a,,b,").unwrap(), vec!["a", "", "b", ""]);
        assert_eq!(
            split("\"a,1\",\"say \"\"hi\"\"\",,\"\"").unwrap(),
            vec!["a,1", "say \"hi\"", "", ""]
        );
        assert_eq!(split("\"x\ny\",z,").unwrap(), vec!["x\ny", "z", ""]);
        assert!(split("\"open,b").unwrap_err().contains("unterminated"));
        assert!(split("\"a\"b,c").unwrap_err().contains("after the closing quote"));
    }

    #[test]
    fn split_str_gives_the_same_fields() {
        let mut a = FieldSplitter::default();
        let mut b = FieldSplitter::default();
        let long = format!("{},\"q,\"\"\",{}", "x,".repeat(40), "y".repeat(70));
        for record in ["a,,b,", "\"a,1\",x", "\u{e9},z", ",", "", long.as_str()] {
            let x = a.split(record.as_bytes()).unwrap();
            let y = b.split_str(record).unwrap();
            let all = |f: Fields<'_, '_>| (0..f.len()).map(|i| f.get(i).to_string()).collect::<Vec<_>>();
            assert_eq!(all(x), all(y), "{record}");
        }
    }

    #[test]
    fn unquoted_records_of_every_length_around_a_block() {
        // Commas at every position, records ending inside, at and past block boundaries, and a
        // quote in each block position: the block scan agrees with splitting at every comma.
        let mut s = FieldSplitter::default();
        for len in 0..3 * BLOCK + 2 {
            let record: String = (0..len)
                .map(|i| if i % 3 == 1 || i % 7 == 0 { ',' } else { 'x' })
                .collect();
            let f = s.split(record.as_bytes()).unwrap();
            let got: Vec<&str> = (0..f.len()).map(|i| f.get(i)).collect();
            assert_eq!(got, record.split(',').collect::<Vec<_>>(), "{len}");
            if len > 0 {
                let quoted = format!("{}\"", &record[..len - 1]);
                assert!(!s.cut_unquoted(quoted.as_bytes()), "{len}");
            }
        }
    }

    #[test]
    fn non_utf8_bytes_are_an_error() {
        let mut s = FieldSplitter::default();
        let err = s.split(b"ab,\xff\xfe").unwrap_err();
        assert!(err.contains("invalid UTF-8 at byte 4"), "{err}");
    }
}
