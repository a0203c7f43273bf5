//! [`SegmentMeta`]: the identity and time range of a segment, stored in its footer.

use super::encoding::{ByteReader, Malformed};
use crate::batch::EventBatch;
use crate::error::{Result, StorageError};

/// What the catalog knows about a segment; stored in the segment's own footer, so the catalog can be
/// rebuilt from the files alone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SegmentMeta {
    /// Unique segment id; the file is named `{id:016x}.seg`.
    pub id: u64,
    /// Start of the time partition the segment belongs to (µs since epoch).
    pub partition_start: i64,
    /// Smallest `time` in the segment (µs; 0 for an empty segment).
    pub min_time: i64,
    /// Largest `time` in the segment (µs; 0 for an empty segment).
    pub max_time: i64,
    /// Number of rows.
    pub rows: u32,
    /// Highest WAL sequence number whose rows this segment contains.
    pub max_seq: u64,
    /// When the segment was written (µs since epoch).
    pub created_at: i64,
}

impl SegmentMeta {
    /// Encoded size in the footer.
    pub const ENCODED_LEN: usize = 8 * 6 + 4;

    /// Meta for `batch`, with `rows`, `min_time` and `max_time` taken from the batch.
    pub fn for_batch(id: u64, partition_start: i64, max_seq: u64, created_at: i64, batch: &EventBatch) -> SegmentMeta {
        let times = batch.times();
        SegmentMeta {
            id,
            partition_start,
            min_time: times.iter().copied().min().unwrap_or(0),
            max_time: times.iter().copied().max().unwrap_or(0),
            rows: batch.len() as u32,
            max_seq,
            created_at,
        }
    }

    /// The segment's file name, `{id:016x}.seg`.
    pub fn file_name(&self) -> String {
        segment_file_name(self.id)
    }

    /// `InvalidInput` unless `rows`, `min_time` and `max_time` describe `batch`.
    pub fn check_matches(&self, batch: &EventBatch) -> Result<()> {
        let expected = SegmentMeta::for_batch(self.id, self.partition_start, self.max_seq, self.created_at, batch);
        if batch.len() > u32::MAX as usize || *self != expected {
            return Err(StorageError::InvalidInput(format!(
                "segment meta {self:?} does not describe a batch of {} rows with time range {}..={}",
                batch.len(),
                expected.min_time,
                expected.max_time
            )));
        }
        Ok(())
    }

    /// Appends id, partition_start, min_time, max_time, rows (u32), max_seq, created_at, little-endian.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.id.to_le_bytes());
        out.extend_from_slice(&self.partition_start.to_le_bytes());
        out.extend_from_slice(&self.min_time.to_le_bytes());
        out.extend_from_slice(&self.max_time.to_le_bytes());
        out.extend_from_slice(&self.rows.to_le_bytes());
        out.extend_from_slice(&self.max_seq.to_le_bytes());
        out.extend_from_slice(&self.created_at.to_le_bytes());
    }

    /// Reads what [`SegmentMeta::encode`] wrote and checks `min_time <= max_time`.
    pub fn decode(r: &mut ByteReader<'_>) -> Result<SegmentMeta, Malformed> {
        let at = r.pos();
        let meta = SegmentMeta {
            id: r.u64("segment id")?,
            partition_start: r.i64("partition start")?,
            min_time: r.i64("min time")?,
            max_time: r.i64("max time")?,
            rows: r.u32("row count")?,
            max_seq: r.u64("max seq")?,
            created_at: r.i64("created at")?,
        };
        if meta.min_time > meta.max_time {
            return Err(Malformed::at(
                at,
                format!("min_time {} > max_time {}", meta.min_time, meta.max_time),
            ));
        }
        Ok(meta)
    }
}

/// The file name of segment `id`: 16 lower-case hex digits and `.seg`.
pub fn segment_file_name(id: u64) -> String {
    format!("{id:016x}.seg")
}

/// The segment id encoded in a file name produced by [`segment_file_name`], if it is one.
pub fn parse_segment_file_name(name: &str) -> Option<u64> {
    let hex = name.strip_suffix(".seg")?;
    (hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
        .then(|| u64::from_str_radix(hex, 16).ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_round_trip() {
        assert_eq!(segment_file_name(0xab), "00000000000000ab.seg");
        assert_eq!(parse_segment_file_name("00000000000000ab.seg"), Some(0xab));
        assert_eq!(parse_segment_file_name("00000000000000AB.seg"), None);
        assert_eq!(parse_segment_file_name("ab.seg"), None);
        assert_eq!(parse_segment_file_name("00000000000000ab.wal"), None);
    }
}
