//! The on-disk framing of the WAL: file names, the file header, and the record header with its checksum.
//!
//! A WAL file is `FILE_MAGIC` followed by records, each
//! `[payload_len: u32 LE][crc32: u32 LE][seq: u64 LE][payload]`, where the CRC-32 (IEEE) covers the
//! eight `seq` bytes followed by the payload.

use std::path::{Path, PathBuf};

/// The eight bytes every WAL file starts with.
pub const FILE_MAGIC: &[u8; 8] = b"EGDBWAL2";

/// The magic of version-1 files (raw-column payloads). Their records are still framed the same way, so
/// recovery can walk them, but their payloads are not decoded: such a file is accepted only when every
/// record in it was already flushed, and appending then continues in a new file.
pub const LEGACY_FILE_MAGIC: &[u8; 8] = b"EGDBWAL1";

/// Length of [`FILE_MAGIC`].
pub const FILE_HEADER_LEN: u64 = FILE_MAGIC.len() as u64;

/// Bytes before each record's payload: length, CRC and sequence number.
pub const RECORD_HEADER_LEN: usize = 16;

/// Largest payload the WAL writes or accepts on replay; a longer length field is corruption.
pub const MAX_PAYLOAD_LEN: u32 = 1 << 30;

/// File-name extension of WAL files.
const EXTENSION: &str = "wal";

/// File-name extension of spare files: flushed WAL files kept to be written over (see `writer`).
const SPARE_EXTENSION: &str = "spare";

/// The name of the WAL file whose first record has sequence number `first_seq`: 20 zero-padded digits, so
/// names sort like the numbers.
pub fn file_name(first_seq: u64) -> String {
    format!("{first_seq:020}.{EXTENSION}")
}

/// The first sequence number encoded in a WAL file's name, or `None` if `path` is not a WAL file name.
pub fn parse_file_name(path: &Path) -> Option<u64> {
    sequence_named(path, EXTENSION)
}

/// The sequence number a `{seq:020}.{extension}` file name encodes, or `None` if `path` is not one.
fn sequence_named(path: &Path, extension: &str) -> Option<u64> {
    if path.extension()? != extension {
        return None;
    }
    let stem = path.file_stem()?.to_str()?;
    if stem.len() != 20 || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    stem.parse().ok()
}

/// The name a flushed WAL file that started at `first_seq` takes as a spare (unique, as sequence numbers
/// are never reused).
pub fn spare_file_name(first_seq: u64) -> String {
    format!("{first_seq:020}.{SPARE_EXTENSION}")
}

/// Whether `path` names a spare file.
pub fn is_spare_file_name(path: &Path) -> bool {
    sequence_named(path, SPARE_EXTENSION).is_some()
}

/// Full path of the WAL file starting at `first_seq` inside `dir`.
pub fn file_path(dir: &Path, first_seq: u64) -> PathBuf {
    dir.join(file_name(first_seq))
}

/// The CRC stored in a record header: CRC-32 over the little-endian `seq` followed by the payload.
pub fn record_crc(seq: u64, payload: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&seq.to_le_bytes());
    hasher.update(payload);
    hasher.finalize()
}

/// The header that precedes `payload` in the record with sequence number `seq`. The caller keeps
/// `payload.len()` within [`MAX_PAYLOAD_LEN`].
pub fn encode_header(seq: u64, payload: &[u8]) -> [u8; RECORD_HEADER_LEN] {
    let mut header = [0u8; RECORD_HEADER_LEN];
    header[..4].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    header[4..8].copy_from_slice(&record_crc(seq, payload).to_le_bytes());
    header[8..].copy_from_slice(&seq.to_le_bytes());
    header
}

/// A record header as read from disk, not yet checked against its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    /// Length of the payload that follows the header.
    pub payload_len: u32,
    /// The stored CRC-32.
    pub crc: u32,
    /// The stored sequence number.
    pub seq: u64,
}

impl RecordHeader {
    /// Parses the first [`RECORD_HEADER_LEN`] bytes of `bytes`; `None` if there are fewer.
    pub fn parse(bytes: &[u8]) -> Option<RecordHeader> {
        let h: &[u8; RECORD_HEADER_LEN] = bytes.first_chunk()?;
        Some(RecordHeader {
            payload_len: u32::from_le_bytes([h[0], h[1], h[2], h[3]]),
            crc: u32::from_le_bytes([h[4], h[5], h[6], h[7]]),
            seq: u64::from_le_bytes([h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]]),
        })
    }

    /// Total bytes of header plus payload.
    pub fn record_len(&self) -> u64 {
        RECORD_HEADER_LEN as u64 + u64::from(self.payload_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_sort_numerically_and_parse_back() {
        let names: Vec<String> = [9, 10, 1_000_000].into_iter().map(file_name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert_eq!(names[1], "00000000000000000010.wal");
        assert_eq!(parse_file_name(Path::new(&names[2])), Some(1_000_000));
        assert_eq!(parse_file_name(Path::new("00000000000000000010.tmp")), None);
        assert_eq!(parse_file_name(Path::new("10.wal")), None);
        assert_eq!(parse_file_name(Path::new("0000000000000000001x.wal")), None);
    }

    #[test]
    fn record_header_round_trips_and_crc_covers_seq_and_payload() {
        let mut out = encode_header(42, b"hello").to_vec();
        out.extend_from_slice(b"hello");
        assert_eq!(out.len(), RECORD_HEADER_LEN + 5);
        let header = RecordHeader::parse(&out).unwrap();
        assert_eq!(
            header,
            RecordHeader {
                payload_len: 5,
                crc: record_crc(42, b"hello"),
                seq: 42
            }
        );
        assert_eq!(header.record_len(), out.len() as u64);
        assert_eq!(&out[RECORD_HEADER_LEN..], b"hello");
        assert_ne!(record_crc(43, b"hello"), header.crc);
        assert_ne!(record_crc(42, b"hellp"), header.crc);
        assert_eq!(RecordHeader::parse(&out[..RECORD_HEADER_LEN - 1]), None);
    }
}
