//! Recovery: reads the WAL directory in sequence order, hands every record after a given sequence number to
//! the caller, truncates a torn tail left by a crash and reports any other damage as corruption.

use std::fs::{self, OpenOptions};
use std::path::Path;

use super::codec::decode_batch;
use super::record::{self, RecordHeader, FILE_HEADER_LEN, FILE_MAGIC, LEGACY_FILE_MAGIC, MAX_PAYLOAD_LEN};
use super::writer::{sync_dir, write_file_header};
use crate::batch::EventBatch;
use crate::error::{Result, StorageError};

/// What recovery found: enough for the writer to continue the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Recovered {
    /// First sequence numbers of all WAL files on disk, ascending (including ones older than `after_seq`).
    pub files: Vec<u64>,
    /// Sequence number of the last record in the log (`after_seq` if the directory held no WAL file).
    pub last_seq: u64,
    /// Length in bytes of the last file after any torn tail was cut off (0 if there is no file).
    pub last_file_len: u64,
    /// Whether the last file is a version-1 file (all flushed): appends must go to a new file.
    pub last_file_legacy: bool,
}

/// Replays the WAL in `dir`: calls `on_record` for every record with seq > `after_seq`, in order.
///
/// A torn tail of the last file is cut off (and made durable when `sync` is set); every other inconsistency
/// — bad magic, bad checksum or impossible length followed by more data, a damaged non-last file, a gap or
/// regression in sequence numbers, or records after `after_seq` that are missing — is
/// [`StorageError::Corruption`]. Errors returned by `on_record` are passed through.
pub(super) fn replay(
    dir: &Path,
    after_seq: u64,
    sync: bool,
    on_record: &mut dyn FnMut(u64, EventBatch) -> Result<()>,
) -> Result<Recovered> {
    let files = list_files(dir)?;
    let Some(&last_first_seq) = files.last() else {
        return Ok(Recovered {
            files,
            last_seq: after_seq,
            last_file_len: 0,
            last_file_legacy: false,
        });
    };
    // A file is wholly obsolete when the next one starts at or before after_seq + 1: skip it unread.
    let first_needed = (0..files.len())
        .find(|&i| files.get(i + 1).is_none_or(|&next| next > after_seq.saturating_add(1)))
        .unwrap_or(files.len() - 1);
    let start = files[first_needed];
    if start == 0 {
        return Err(StorageError::corruption(
            record::file_path(dir, 0),
            0,
            "sequence numbers start at 1",
        ));
    }
    if start > after_seq.saturating_add(1) {
        return Err(StorageError::corruption(
            record::file_path(dir, start),
            0,
            format!(
                "records {}..={} are missing: the oldest WAL file needed starts at seq {start}",
                after_seq + 1,
                start - 1
            ),
        ));
    }
    let mut next_seq = start;
    let mut last_file_len = 0;
    let mut last_file_legacy = false;
    for &first_seq in &files[first_needed..] {
        let path = record::file_path(dir, first_seq);
        if first_seq != next_seq {
            let detail = format!(
                "file starts at seq {first_seq} but the previous file ended at seq {}",
                next_seq - 1
            );
            return Err(StorageError::corruption(path, 0, detail));
        }
        let is_last = first_seq == last_first_seq;
        let bytes = fs::read(&path).map_err(|e| StorageError::io(format!("reading WAL file {}", path.display()), e))?;
        let scan = FileScan {
            path: &path,
            bytes: &bytes,
            first_seq,
            is_last,
            after_seq,
        };
        let (end, records, legacy) = scan.run(on_record)?;
        last_file_legacy = legacy;
        if end < bytes.len() as u64 || end < FILE_HEADER_LEN {
            truncate_torn_tail(&path, end, bytes.len() as u64, sync)?;
        }
        next_seq = first_seq + records;
        last_file_len = end.max(FILE_HEADER_LEN);
    }
    let last_seq = next_seq - 1;
    if last_seq < after_seq {
        let path = record::file_path(dir, last_first_seq);
        let detail = format!("the WAL ends at seq {last_seq} but records through seq {after_seq} were already flushed");
        return Err(StorageError::corruption(path, last_file_len, detail));
    }
    Ok(Recovered {
        files,
        last_seq,
        last_file_len,
        last_file_legacy,
    })
}

/// First sequence numbers of the WAL files in `dir` (created if absent), ascending. Other files are ignored.
fn list_files(dir: &Path) -> Result<Vec<u64>> {
    let context = || format!("listing WAL directory {}", dir.display());
    fs::create_dir_all(dir).map_err(|e| StorageError::io(context(), e))?;
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| StorageError::io(context(), e))? {
        let entry = entry.map_err(|e| StorageError::io(context(), e))?;
        if let Some(seq) = record::parse_file_name(Path::new(&entry.file_name())) {
            files.push(seq);
        }
    }
    files.sort_unstable();
    Ok(files)
}

/// Cuts the last file back to `valid_len` bytes (rewriting the file header if even that was torn).
fn truncate_torn_tail(path: &Path, valid_len: u64, file_len: u64, sync: bool) -> Result<()> {
    tracing::warn!(
        file = %path.display(),
        offset = valid_len,
        dropped_bytes = file_len - valid_len,
        "cutting the WAL after its last valid record: what follows is a write interrupted by a crash (never \
         acknowledged) or the old bytes of a recycled file"
    );
    let context = || {
        format!(
            "truncating torn tail of WAL file {} at byte {valid_len}",
            path.display()
        )
    };
    let mut file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| StorageError::io(context(), e))?;
    file.set_len(valid_len).map_err(|e| StorageError::io(context(), e))?;
    if valid_len == 0 {
        write_file_header(&mut file).map_err(|e| StorageError::io(context(), e))?;
    }
    if sync {
        file.sync_all().map_err(|e| StorageError::io(context(), e))?;
        if let Some(dir) = path.parent() {
            sync_dir(dir).map_err(|e| StorageError::io(context(), e))?;
        }
    }
    Ok(())
}

/// Whether a checksum-valid record with a plausible sequence number (`expected_seq` or later, at most one per
/// 16 bytes) starts at any byte offset of `bytes`.
fn valid_record_follows(bytes: &[u8], expected_seq: u64) -> bool {
    let max_seq = expected_seq.saturating_add(bytes.len() as u64 / record::RECORD_HEADER_LEN as u64);
    (0..bytes.len()).any(|start| {
        let rest = &bytes[start..];
        RecordHeader::parse(rest).is_some_and(|h| {
            (expected_seq..=max_seq).contains(&h.seq)
                && h.payload_len <= MAX_PAYLOAD_LEN
                && rest
                    .get(record::RECORD_HEADER_LEN..h.record_len() as usize)
                    .is_some_and(|payload| record::record_crc(h.seq, payload) == h.crc)
        })
    })
}

/// The walk over one file's records.
struct FileScan<'a> {
    path: &'a Path,
    bytes: &'a [u8],
    first_seq: u64,
    is_last: bool,
    after_seq: u64,
}

impl FileScan<'_> {
    /// Checks every record, replays those after `after_seq`, and returns the byte length of the valid prefix
    /// (shorter than the file only for a torn tail of the last file), the number of records in it, and
    /// whether it is a version-1 file.
    fn run(&self, on_record: &mut dyn FnMut(u64, EventBatch) -> Result<()>) -> Result<(u64, u64, bool)> {
        let len = self.bytes.len();
        let header_len = FILE_HEADER_LEN as usize;
        if len < header_len {
            if self.is_last && FILE_MAGIC.starts_with(self.bytes) {
                return Ok((0, 0, false));
            }
            return Err(self.corruption(0, format!("file header is {len} bytes, expected 8")));
        }
        let legacy = &self.bytes[..header_len] == LEGACY_FILE_MAGIC;
        if &self.bytes[..header_len] != FILE_MAGIC && !legacy {
            let found = String::from_utf8_lossy(&self.bytes[..header_len]);
            let expected = String::from_utf8_lossy(FILE_MAGIC);
            return Err(self.corruption(0, format!("bad file header {found:?}, expected {expected:?}")));
        }
        let mut pos = header_len;
        let mut expected_seq = self.first_seq;
        while pos < len {
            let rest = &self.bytes[pos..];
            let checked = RecordHeader::parse(rest)
                .ok_or_else(|| format!("incomplete record header ({} of 16 bytes)", rest.len()))
                .and_then(|h| self.check_record(&h, rest, expected_seq).map(|()| h));
            let header = match checked {
                Ok(header) => header,
                Err(_) if self.is_torn_tail(rest, expected_seq) => {
                    return Ok((pos as u64, expected_seq - self.first_seq, legacy))
                }
                Err(problem) => return Err(self.corruption(pos, problem)),
            };
            let record_end = pos + header.record_len() as usize;
            if header.seq > self.after_seq && legacy {
                let detail = format!(
                    "record seq {} is in a version-1 WAL file and was never flushed: open the data directory \
                     with the engagedb that wrote it and close it (which flushes), then upgrade",
                    header.seq
                );
                return Err(self.corruption(pos, detail));
            }
            if header.seq > self.after_seq {
                let payload = &self.bytes[pos + record::RECORD_HEADER_LEN..record_end];
                let batch = decode_batch(payload)
                    .map_err(|e| self.corruption(pos, format!("record seq {} has a bad payload: {e}", header.seq)))?;
                on_record(header.seq, batch)?;
            }
            expected_seq += 1;
            pos = record_end;
        }
        Ok((len as u64, expected_seq - self.first_seq, legacy))
    }

    /// Checks the length, checksum and sequence number of the record at the start of `rest`, which should
    /// be `expected_seq`.
    fn check_record(&self, header: &RecordHeader, rest: &[u8], expected_seq: u64) -> Result<(), String> {
        if header.payload_len > MAX_PAYLOAD_LEN {
            return Err(format!("impossible payload length {}", header.payload_len));
        }
        let Some(record) = rest.get(..header.record_len() as usize) else {
            let detail = format!("record of {} bytes runs past the end of the file", header.record_len());
            return Err(detail);
        };
        let actual = record::record_crc(header.seq, &record[record::RECORD_HEADER_LEN..]);
        if actual != header.crc {
            return Err(format!(
                "checksum mismatch: stored {:#010x}, computed {actual:#010x}",
                header.crc
            ));
        }
        if header.seq != expected_seq {
            return Err(format!("record has seq {}, expected {expected_seq}", header.seq));
        }
        Ok(())
    }

    /// Whether a bad record at the start of `rest` is the end of the log rather than damage: the torn end of
    /// an interrupted write, or the old bytes of a recycled spare file (whose records, checksum-valid or
    /// not, have lower sequence numbers than the file's first). Only in the last file, and only if the
    /// record (as framed) runs to or past the end of the file or no valid record with a plausible sequence
    /// number can be found anywhere after its start: a write that never completed leaves nothing
    /// checksum-valid behind it, while damage in the middle of the log does.
    fn is_torn_tail(&self, rest: &[u8], expected_seq: u64) -> bool {
        if !self.is_last {
            return false;
        }
        let Some(header) = RecordHeader::parse(rest) else {
            return true;
        };
        let runs_to_end = header.payload_len <= MAX_PAYLOAD_LEN && header.record_len() >= rest.len() as u64;
        runs_to_end || !valid_record_follows(&rest[1..], expected_seq)
    }

    fn corruption(&self, offset: usize, detail: impl Into<String>) -> StorageError {
        StorageError::corruption(self.path, offset as u64, detail)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::wal::Wal;
    use std::path::PathBuf;

    /// Byte offsets at which each record of a single-file WAL starts, plus the file length at the end.
    fn record_offsets(bytes: &[u8]) -> Vec<usize> {
        let mut offsets = vec![FILE_HEADER_LEN as usize];
        while let Some(header) = RecordHeader::parse(&bytes[*offsets.last().unwrap()..]) {
            offsets.push(offsets.last().unwrap() + header.record_len() as usize);
        }
        offsets
    }

    /// A WAL of `batches` records in one file: its directory, the file and the file's bytes.
    fn single_file_wal(batches: usize) -> (tempfile::TempDir, PathBuf, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        drop(wal_with_batches(dir.path(), 64 << 20, batches));
        let path = wal_files(dir.path()).remove(0);
        let bytes = std::fs::read(&path).unwrap();
        (dir, path, bytes)
    }

    fn markers(replayed: &[(u64, EventBatch)]) -> Vec<u64> {
        replayed.iter().map(|(seq, _)| *seq).collect()
    }

    fn expect_corruption(dir: &Path, after_seq: u64) -> (PathBuf, u64, String) {
        match open_collect(options(dir, 64 << 20), after_seq) {
            Err(StorageError::Corruption { file, offset, detail }) => (file, offset, detail),
            Err(other) => panic!("expected corruption, got {other}"),
            Ok((_, replayed)) => panic!("expected corruption, replayed {:?}", markers(&replayed)),
        }
    }

    #[test]
    fn torn_tail_at_every_cut_point_keeps_exactly_the_earlier_records() {
        let (dir, path, original) = single_file_wal(3);
        let offsets = record_offsets(&original);
        assert_eq!(offsets.len(), 4);
        for cut in offsets[2]..offsets[3] {
            std::fs::write(&path, &original[..cut]).unwrap();
            let (wal, replayed) = open_collect(options(dir.path(), 64 << 20), 0).unwrap();
            assert_eq!(markers(&replayed), vec![1, 2], "cut at byte {cut}");
            assert_eq!(
                std::fs::metadata(&path).unwrap().len(),
                offsets[2] as u64,
                "tail truncated"
            );
            assert_eq!(wal.append(&marked_batch("again", 1)).unwrap(), 3, "cut at byte {cut}");
            drop(wal);
            let (_, replayed) = open_collect(options(dir.path(), 64 << 20), 0).unwrap();
            assert_eq!(replayed[2].1, marked_batch("again", 1), "cut at byte {cut}");
        }
    }

    #[test]
    fn torn_file_header_of_a_fresh_file_is_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        for len in 0..FILE_HEADER_LEN as usize {
            let path = dir.path().join(record::file_name(1));
            std::fs::write(&path, &FILE_MAGIC[..len]).unwrap();
            let (wal, replayed) = open_collect(options(dir.path(), 64 << 20), 0).unwrap();
            assert!(replayed.is_empty());
            assert_eq!(wal.append(&marked_batch("first", 1)).unwrap(), 1, "header cut at {len}");
            drop(wal);
            let (_, replayed) = open_collect(options(dir.path(), 64 << 20), 0).unwrap();
            assert_eq!(markers(&replayed), vec![1]);
            std::fs::remove_file(&path).unwrap();
        }
    }

    #[test]
    fn checksum_failure_of_the_last_record_is_a_torn_tail() {
        let (dir, path, mut bytes) = single_file_wal(3);
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let (_, replayed) = open_collect(options(dir.path(), 64 << 20), 0).unwrap();
        assert_eq!(markers(&replayed), vec![1, 2]);
    }

    #[test]
    fn zero_filled_tail_is_a_torn_tail() {
        let (dir, path, mut bytes) = single_file_wal(2);
        let valid_len = bytes.len() as u64;
        bytes.extend_from_slice(&[0; 100]);
        std::fs::write(&path, &bytes).unwrap();
        let (_, replayed) = open_collect(options(dir.path(), 64 << 20), 0).unwrap();
        assert_eq!(markers(&replayed), vec![1, 2]);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), valid_len);
    }

    #[test]
    fn old_records_of_a_recycled_last_file_end_the_log() {
        // A spare file written over by records 6 and 7, then a crash: its old records (seqs 1 to 5, the
        // first cut where the new ones ended, the others whole and checksum-valid) follow them.
        let (dir, old_path, old) = single_file_wal(5);
        let old_offsets = record_offsets(&old);
        let (new_dir, _, new) = single_file_wal(7);
        let new_offsets = record_offsets(&new);
        let fresh = &new[new_offsets[5]..new_offsets[7]];
        let mut recycled = FILE_MAGIC.to_vec();
        recycled.extend_from_slice(fresh);
        let valid_len = recycled.len();
        for old_from in [valid_len, old_offsets[2]] {
            let mut bytes = recycled.clone();
            bytes.extend_from_slice(&old[old_from..]);
            std::fs::remove_file(&old_path).ok();
            let path = dir.path().join(record::file_name(6));
            std::fs::write(&path, &bytes).unwrap();
            let (wal, replayed) = open_collect(options(dir.path(), 64 << 20), 5).unwrap();
            assert_eq!(markers(&replayed), vec![6, 7], "old bytes from {old_from}");
            assert_eq!(replayed[1].1, marked_batch("b6", 5));
            assert_eq!(
                std::fs::metadata(&path).unwrap().len(),
                valid_len as u64,
                "cut after record 7"
            );
            assert_eq!(wal.append(&marked_batch("next", 1)).unwrap(), 8);
            drop(wal);
            std::fs::remove_file(&path).unwrap();
        }
        drop(new_dir);
    }

    #[test]
    fn bad_checksum_followed_by_valid_records_is_corruption_naming_file_and_offset() {
        let (dir, path, mut bytes) = single_file_wal(3);
        let offsets = record_offsets(&bytes);
        bytes[offsets[1] + 40] ^= 0x01; // inside the second record's payload
        std::fs::write(&path, &bytes).unwrap();
        let (file, offset, detail) = expect_corruption(dir.path(), 0);
        assert_eq!((file, offset), (path.clone(), offsets[1] as u64));
        assert!(detail.contains("checksum mismatch"), "{detail}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "a corrupt WAL is left untouched");
    }

    #[test]
    fn impossible_length_followed_by_data_is_corruption() {
        let (dir, path, mut bytes) = single_file_wal(3);
        let offsets = record_offsets(&bytes);
        bytes[offsets[1]..offsets[1] + 4].copy_from_slice(&(MAX_PAYLOAD_LEN + 1).to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let (file, offset, detail) = expect_corruption(dir.path(), 0);
        assert_eq!((file, offset), (path.clone(), offsets[1] as u64));
        assert!(detail.contains("impossible payload length"), "{detail}");

        // The same damage in the last record has nothing valid after it: a torn tail.
        bytes.truncate(offsets[2]);
        std::fs::write(&path, &bytes).unwrap();
        let (_, replayed) = open_collect(options(dir.path(), 64 << 20), 0).unwrap();
        assert_eq!(markers(&replayed), vec![1]);
    }

    #[test]
    fn garbage_file_header_is_corruption() {
        let (dir, path, mut bytes) = single_file_wal(1);
        bytes[..8].copy_from_slice(b"NOTAWAL!");
        std::fs::write(&path, &bytes).unwrap();
        let (file, offset, detail) = expect_corruption(dir.path(), 0);
        assert_eq!((file, offset), (path, 0));
        assert!(detail.contains("bad file header"), "{detail}");
    }

    #[test]
    fn damage_at_the_end_of_a_non_last_file_is_corruption() {
        let dir = tempfile::tempdir().unwrap();
        drop(wal_with_batches(dir.path(), SMALL_FILE, 10));
        let first = wal_files(dir.path()).remove(0);
        let bytes = std::fs::read(&first).unwrap();
        std::fs::write(&first, &bytes[..bytes.len() - 3]).unwrap();
        let (file, offset, detail) = expect_corruption(dir.path(), 0);
        assert_eq!(file, first);
        assert_eq!(offset, *record_offsets(&bytes).iter().rev().nth(1).unwrap() as u64);
        assert!(detail.contains("runs past the end"), "{detail}");
    }

    #[test]
    fn missing_middle_file_is_a_sequence_gap() {
        let dir = tempfile::tempdir().unwrap();
        drop(wal_with_batches(dir.path(), SMALL_FILE, 10));
        let files = wal_files(dir.path());
        assert!(files.len() >= 3);
        std::fs::remove_file(&files[1]).unwrap();
        let (file, offset, detail) = expect_corruption(dir.path(), 0);
        assert_eq!((file, offset), (files[2].clone(), 0));
        assert!(detail.contains("previous file ended"), "{detail}");
    }

    #[test]
    fn sequence_regression_inside_a_file_is_corruption() {
        let (dir, path, mut bytes) = single_file_wal(3);
        let offsets = record_offsets(&bytes);
        // Re-frame the second record with seq 1 and a matching checksum: well-formed, but out of order. A
        // lower seq ends the log when nothing valid follows (a reused spare's old records); here record 3
        // does, so it is damage.
        let payload = bytes[offsets[1] + record::RECORD_HEADER_LEN..offsets[2]].to_vec();
        bytes[offsets[1]..offsets[1] + record::RECORD_HEADER_LEN].copy_from_slice(&record::encode_header(1, &payload));
        std::fs::write(&path, &bytes).unwrap();
        let (_, offset, detail) = expect_corruption(dir.path(), 0);
        assert_eq!(offset, offsets[1] as u64);
        assert!(detail.contains("record has seq 1, expected 2"), "{detail}");
    }

    #[test]
    fn wal_that_ends_before_after_seq_is_corruption() {
        let dir = tempfile::tempdir().unwrap();
        drop(wal_with_batches(dir.path(), 64 << 20, 2));
        let (_, _, detail) = expect_corruption(dir.path(), 5);
        assert!(detail.contains("ends at seq 2"), "{detail}");
    }

    #[test]
    fn flushed_version_1_file_is_retired_and_unflushed_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(record::file_name(1));
        let mut bytes = record::LEGACY_FILE_MAGIC.to_vec();
        for seq in 1..=2 {
            let payload = b"a version-1 payload, never decoded";
            bytes.extend_from_slice(&record::encode_header(seq, payload));
            bytes.extend_from_slice(payload);
        }
        std::fs::write(&path, &bytes).unwrap();
        let (_, _, detail) = expect_corruption(dir.path(), 1);
        assert!(detail.contains("version-1") && detail.contains("seq 2"), "{detail}");

        let (wal, replayed) = open_collect(options(dir.path(), 64 << 20), 2).unwrap();
        assert!(replayed.is_empty());
        assert_eq!(wal.append(&marked_batch("v2", 3)).unwrap(), 3);
        assert_eq!(
            file_first_seqs(dir.path()),
            vec![1, 3],
            "appends go to a new version-2 file"
        );
        drop(wal);
        let (wal, replayed) = open_collect(options(dir.path(), 64 << 20), 2).unwrap();
        assert_eq!(replayed, vec![(3, marked_batch("v2", 3))]);
        wal.remove_through(3).unwrap();
        assert_eq!(file_first_seqs(dir.path()), vec![3], "the old file goes once flushed");
    }

    #[test]
    fn errors_from_the_callback_stop_replay() {
        let dir = tempfile::tempdir().unwrap();
        drop(wal_with_batches(dir.path(), 64 << 20, 3));
        let mut seen = Vec::new();
        let result = Wal::open(options(dir.path(), 64 << 20), 0, |seq, _| {
            seen.push(seq);
            if seq == 2 {
                return Err(StorageError::Internal("memtable full".into()));
            }
            Ok(())
        });
        assert!(matches!(result, Err(StorageError::Internal(m)) if m == "memtable full"));
        assert_eq!(seen, vec![1, 2]);
    }
}
