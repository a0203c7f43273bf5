//! The write-ahead log: every batch is made durable here, with group commit (`commit`), before it is
//! acknowledged.
//!
//! The WAL is a directory of append-only files named `{first_seq:020}.wal`; see `docs/wal.md` for the byte
//! format and the recovery procedure. [`Wal::open`] replays what is on disk, [`Wal::append`] adds a batch and
//! returns once it is fsynced, and [`Wal::remove_through`] drops files whose records were flushed to segments.

pub mod codec;
mod commit;
pub mod record;
mod replay;
mod text_codec;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::batch::EventBatch;
use crate::error::{Result, StorageError};
use commit::{CommitQueue, Request};
use writer::{LogWriter, Shared, WriterConfig};

/// Where the WAL lives and how it writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalOptions {
    /// Directory holding the WAL files; created by [`Wal::open`] if absent.
    pub dir: PathBuf,
    /// A new file is started before a record would grow the current one past this size (a single larger
    /// record still gets a file of its own). Default 64 MiB.
    pub max_file_bytes: u64,
    /// Whether appends fsync before returning. Default `true`; `false` gives up durability and is only for
    /// tests and benchmarks that say so.
    pub sync: bool,
    /// How many flushed files [`Wal::remove_through`] keeps as spares, to be written over by the next
    /// files instead of growing new ones (which makes each fsync about half as long); the rest are
    /// deleted. Default [`DEFAULT_SPARE_FILES`]; 0 deletes every flushed file.
    pub spare_files: usize,
}

/// The default [`WalOptions::spare_files`]: with 64 MiB files, up to 256 MiB of disk kept for the WAL
/// beyond the files in use, enough for the files a flush of a million rows frees.
pub const DEFAULT_SPARE_FILES: usize = 4;

impl WalOptions {
    /// Default options for a WAL in `dir`: 64 MiB files, fsync on, up to 4 spare files.
    pub fn new(dir: impl Into<PathBuf>) -> WalOptions {
        WalOptions {
            dir: dir.into(),
            max_file_bytes: 64 << 20,
            sync: true,
            spare_files: DEFAULT_SPARE_FILES,
        }
    }
}

/// A write-ahead log open for appending. `Send + Sync`: share it between threads by reference or `Arc`;
/// concurrent appends are committed together with one fsync.
pub struct Wal {
    dir: PathBuf,
    sync: bool,
    spare_files: usize,
    /// Appends waiting for a group commit.
    queue: CommitQueue,
    /// The file being appended to, used by one group's leader at a time.
    log: Mutex<LogWriter>,
    shared: Arc<Shared>,
}

impl Wal {
    /// Opens (creating if needed) the WAL in `opts.dir`, calls `on_record` for every record with
    /// seq > `after_seq` in sequence order, then continues the log after the last record.
    ///
    /// A torn tail left by a crash (an incomplete or checksum-failing last record of the last file) was
    /// never acknowledged: it is cut off and logged. Any other damage, a gap in sequence numbers, or missing
    /// records after `after_seq` is [`StorageError::Corruption`] naming the file and offset. An error from
    /// `on_record` stops the replay and is returned as is.
    pub fn open(
        opts: WalOptions,
        after_seq: u64,
        mut on_record: impl FnMut(u64, EventBatch) -> Result<()>,
    ) -> Result<Wal> {
        let recovered = replay::replay(&opts.dir, after_seq, opts.sync, &mut on_record)?;
        let shared = Arc::new(Shared::default());
        shared.files().clone_from(&recovered.files);
        *shared.spares() = keep_spares(&opts.dir, opts.spare_files)?;
        let config = WriterConfig {
            dir: opts.dir.clone(),
            max_file_bytes: opts.max_file_bytes,
            sync: opts.sync,
        };
        let mut last_file_len = recovered.last_file_len;
        if recovered.last_file_legacy {
            writer::retire_legacy_last_file(&opts.dir, recovered.last_seq, &shared, opts.sync)?;
            last_file_len = record::FILE_HEADER_LEN;
        }
        let log = LogWriter::open(config, recovered.last_seq, last_file_len, Arc::clone(&shared))?;
        Ok(Wal {
            dir: opts.dir,
            sync: opts.sync,
            spare_files: opts.spare_files,
            queue: CommitQueue::default(),
            log: Mutex::new(log),
            shared,
        })
    }

    /// Appends `batch` as one record and returns its sequence number once the record is written and fsynced
    /// (with `sync` on). Sequence numbers increase by exactly 1 per record. A batch that does not match the
    /// events schema is `InvalidInput` and is not logged. If a write or fsync fails, this and every pending
    /// append get an error and every later append fails with [`StorageError::Closed`] naming the failure.
    pub fn append(&self, batch: &EventBatch) -> Result<u64> {
        let seqs = self.append_all(&[batch])?;
        seqs.first()
            .copied()
            .ok_or_else(|| StorageError::Internal("the WAL answered no sequence number".into()))
    }

    /// Appends each of `batches` as one record, like [`Wal::append`] of each in turn, but queues them
    /// together, so they share fsyncs (one, usually) instead of waiting for one each.
    /// Returns their sequence numbers, in order. Nothing is logged if any batch is invalid; if a write
    /// fails, the records before it may be durable, and the error says the WAL is poisoned.
    pub fn append_all(&self, batches: &[&EventBatch]) -> Result<Vec<u64>> {
        if let Some(reason) = self.shared.poison_reason() {
            return Err(writer::closed(&reason));
        }
        let mut payloads = Vec::with_capacity(batches.len());
        for batch in batches {
            codec::check_encodable(batch).map_err(StorageError::InvalidInput)?;
            let mut payload = Vec::new();
            codec::encode_batch(batch, &mut payload);
            if payload.len() > record::MAX_PAYLOAD_LEN as usize {
                return Err(StorageError::InvalidInput(format!(
                    "batch encodes to {} bytes, more than the WAL's limit of {} bytes per record; split it",
                    payload.len(),
                    record::MAX_PAYLOAD_LEN
                )));
            }
            payloads.push(payload);
        }
        let count = payloads.len() as u64;
        let first = self
            .queue
            .append(payloads, &|group| self.commit_group(group), &for_each_request)?;
        Ok((first..first + count).collect())
    }

    /// Writes and fsyncs one group of requests (the leader's job, see `commit`); a failure poisons the WAL.
    fn commit_group(&self, group: &[Request]) -> Result<u64> {
        if let Some(reason) = self.shared.poison_reason() {
            return Err(writer::closed(&reason));
        }
        let payloads = group.iter().flat_map(|r| r.payloads.iter().map(Vec::as_slice));
        self.log().commit(payloads).map_err(|failure| {
            let reason = failure.to_string();
            tracing::error!(error = %reason, "WAL write failed; the WAL refuses further appends");
            self.shared.poison(reason);
            StorageError::io(failure.context, failure.source)
        })
    }

    fn log(&self) -> MutexGuard<'_, LogWriter> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sequence number of the last acknowledged record (after `open`: the last record on disk, or `after_seq`
    /// for an empty WAL).
    pub fn last_seq(&self) -> u64 {
        self.shared.last_seq.load(Ordering::Acquire)
    }

    /// Removes every WAL file all of whose records have seq <= `seq`; call it once everything through `seq`
    /// is durable elsewhere. The file currently appended to is never removed. Files are removed oldest
    /// first: renamed to spares while fewer than [`WalOptions::spare_files`] exist, else deleted.
    pub fn remove_through(&self, seq: u64) -> Result<()> {
        let mut files = self.shared.files();
        // File i holds seqs files[i]..files[i + 1]; the last file is the one being appended to.
        let removable = files.windows(2).take_while(|pair| pair[1] - 1 <= seq).count();
        for (i, &first_seq) in files[..removable].iter().enumerate() {
            let path = record::file_path(&self.dir, first_seq);
            if self.keep_as_spare(&path, first_seq) {
                continue;
            }
            if let Err(e) = std::fs::remove_file(&path) {
                files.drain(..i);
                return Err(StorageError::io(
                    format!("removing flushed WAL file {}", path.display()),
                    e,
                ));
            }
        }
        files.drain(..removable);
        drop(files);
        if self.sync && removable > 0 {
            writer::sync_dir(&self.dir)
                .map_err(|e| StorageError::io(format!("syncing WAL directory {}", self.dir.display()), e))?;
        }
        Ok(())
    }

    /// Renames the flushed file `path` (first seq `first_seq`) to a spare if fewer than `spare_files`
    /// exist; whether it did. A failed rename leaves the file to be deleted.
    fn keep_as_spare(&self, path: &Path, first_seq: u64) -> bool {
        let mut spares = self.shared.spares();
        if spares.len() >= self.spare_files {
            return false;
        }
        let spare = self.dir.join(record::spare_file_name(first_seq));
        match std::fs::rename(path, &spare) {
            Ok(()) => {
                spares.push(spare);
                true
            }
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "could not keep a flushed WAL file as a spare");
                false
            }
        }
    }

    /// The WAL directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// The spare files in `dir`, at most `keep` of them (the others are deleted), in name order.
fn keep_spares(dir: &Path, keep: usize) -> Result<Vec<PathBuf>> {
    let context = || format!("listing spare files in WAL directory {}", dir.display());
    let mut spares = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| StorageError::io(context(), e))? {
        let path = entry.map_err(|e| StorageError::io(context(), e))?.path();
        if record::is_spare_file_name(&path) {
            spares.push(path);
        }
    }
    spares.sort();
    for extra in spares.drain(keep.min(spares.len())..) {
        std::fs::remove_file(&extra)
            .map_err(|e| StorageError::io(format!("deleting spare WAL file {}", extra.display()), e))?;
    }
    Ok(spares)
}

impl std::fmt::Debug for Wal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wal")
            .field("dir", &self.dir)
            .field("last_seq", &self.last_seq())
            .finish_non_exhaustive()
    }
}

impl Drop for Wal {
    /// Cuts the last file after its last record (no append can be in progress: they borrow the `Wal`).
    fn drop(&mut self) {
        self.log().close();
    }
}

/// The error each request of a failed group gets: the group's I/O error (whose OS error cannot be cloned,
/// so its kind and message are copied), or the same message.
fn for_each_request(failure: &StorageError) -> StorageError {
    match failure {
        StorageError::Io { context, source } => {
            StorageError::io(context.clone(), std::io::Error::new(source.kind(), source.to_string()))
        }
        StorageError::Closed(reason) => StorageError::Closed(reason.clone()),
        other => StorageError::Internal(other.to_string()),
    }
}

/// Helpers shared by the WAL's unit tests.
#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::batch::{BatchBuilder, ValueRef};
    use crate::schema::col;

    /// A batch of `rows` rows whose signal ids are `{marker}-r{row}`.
    pub fn marked_batch(marker: &str, rows: usize) -> EventBatch {
        let mut builder = BatchBuilder::new();
        for i in 0..rows {
            let id = format!("{marker}-r{i}");
            let mut row = vec![ValueRef::Null; col::COUNT];
            row[col::TIME] = ValueRef::Int(1_700_000_000_000_000 + i as i64);
            row[col::SIGNAL_ID] = ValueRef::Text(&id);
            row[col::SIGNAL] = ValueRef::Text("VisitTeamChannel");
            row[col::APP] = ValueRef::Text("Teams");
            row[col::STUDENT] = ValueRef::Text("0123456789abcdef0123456789abcdef");
            row[col::GRADE] = if i % 2 == 0 {
                ValueRef::Double(i as f64)
            } else {
                ValueRef::Null
            };
            builder.push_row(&row).expect("test rows match the schema");
        }
        builder.finish()
    }

    /// A `max_file_bytes` that holds a few of the 5-row test batches per file.
    pub const SMALL_FILE: u64 = 600;

    /// Options for a test WAL in `dir` with fsync off unless `sync`.
    pub fn options(dir: &Path, max_file_bytes: u64) -> WalOptions {
        WalOptions {
            dir: dir.to_path_buf(),
            max_file_bytes,
            sync: false,
            spare_files: DEFAULT_SPARE_FILES,
        }
    }

    /// Opens the WAL and returns it with every replayed (seq, batch) after `after_seq`.
    pub fn open_collect(opts: WalOptions, after_seq: u64) -> Result<(Wal, Vec<(u64, EventBatch)>)> {
        let mut replayed = Vec::new();
        let wal = Wal::open(opts, after_seq, |seq, batch| {
            replayed.push((seq, batch));
            Ok(())
        })?;
        Ok((wal, replayed))
    }

    /// The WAL file names in `dir`, sorted.
    pub fn wal_files(dir: &Path) -> Vec<PathBuf> {
        files_where(dir, |p| record::parse_file_name(p).is_some())
    }

    /// The files in `dir` whose paths pass `keep`, sorted.
    pub fn files_where(dir: &Path, keep: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("test dir is readable")
            .map(|e| e.expect("test dir entry").path())
            .filter(|p| keep(p))
            .collect();
        files.sort();
        files
    }

    /// The first sequence numbers of the WAL files in `dir`, ascending.
    pub fn file_first_seqs(dir: &Path) -> Vec<u64> {
        wal_files(dir)
            .iter()
            .filter_map(|p| record::parse_file_name(p))
            .collect()
    }

    /// A WAL in `dir` (fsync off, `max_file_bytes` per file) holding batches `b0`..`b{count-1}` of 5 rows.
    pub fn wal_with_batches(dir: &Path, max_file_bytes: u64, count: usize) -> Wal {
        let (wal, _) = open_collect(options(dir, max_file_bytes), 0).expect("test WAL opens");
        for b in 0..count {
            wal.append(&marked_batch(&format!("b{b}"), 5))
                .expect("test append succeeds");
        }
        wal
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    #[test]
    fn appends_get_consecutive_seqs_and_replay_after_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let (wal, replayed) = open_collect(WalOptions::new(dir.path()), 0).unwrap();
        assert!(replayed.is_empty());
        assert_eq!(wal.last_seq(), 0);
        let batches: Vec<EventBatch> = (0..5).map(|b| marked_batch(&format!("b{b}"), b + 1)).collect();
        let seqs: Vec<u64> = batches.iter().map(|b| wal.append(b).unwrap()).collect();
        assert_eq!(seqs, vec![1, 2, 3, 4, 5]);
        assert_eq!(wal.last_seq(), 5);
        drop(wal);

        let (wal, replayed) = open_collect(WalOptions::new(dir.path()), 0).unwrap();
        assert_eq!(replayed, seqs.into_iter().zip(batches).collect::<Vec<_>>());
        assert_eq!(wal.last_seq(), 5);
        assert_eq!(wal.append(&marked_batch("after-reopen", 2)).unwrap(), 6);
        drop(wal);
        let (_, replayed) = open_collect(WalOptions::new(dir.path()), 0).unwrap();
        assert_eq!(replayed.len(), 6);
        assert_eq!(wal_files(dir.path()).len(), 1);
    }

    #[test]
    fn replay_skips_records_through_after_seq() {
        let dir = tempfile::tempdir().unwrap();
        drop(wal_with_batches(dir.path(), 64 << 20, 6));
        let (wal, replayed) = open_collect(options(dir.path(), 64 << 20), 4).unwrap();
        assert_eq!(replayed.iter().map(|(s, _)| *s).collect::<Vec<_>>(), vec![5, 6]);
        assert_eq!(replayed[0].1, marked_batch("b4", 5));
        assert_eq!(wal.last_seq(), 6);
        drop(wal);
        let (wal, replayed) = open_collect(options(dir.path(), 64 << 20), 6).unwrap();
        assert!(replayed.is_empty());
        assert_eq!(wal.append(&marked_batch("next", 1)).unwrap(), 7);
    }

    #[test]
    fn empty_directory_continues_after_after_seq() {
        let dir = tempfile::tempdir().unwrap();
        let wal_dir = dir.path().join("nested").join("wal");
        let (wal, _) = open_collect(options(&wal_dir, 64 << 20), 41).unwrap();
        assert_eq!(wal.last_seq(), 41);
        assert_eq!(wal.append(&marked_batch("x", 1)).unwrap(), 42);
        assert_eq!(wal_files(&wal_dir), vec![wal_dir.join("00000000000000000042.wal")]);
    }

    #[test]
    fn rolls_across_files_and_replays_them_in_order() {
        let dir = tempfile::tempdir().unwrap();
        drop(wal_with_batches(dir.path(), SMALL_FILE, 20));
        let files = wal_files(dir.path());
        assert!(files.len() > 3, "expected several files, got {files:?}");
        for file in &files[..files.len() - 1] {
            assert!(std::fs::metadata(file).unwrap().len() <= SMALL_FILE);
        }
        let (_, replayed) = open_collect(options(dir.path(), SMALL_FILE), 0).unwrap();
        let expected: Vec<(u64, EventBatch)> = (0..20)
            .map(|b| (b as u64 + 1, marked_batch(&format!("b{b}"), 5)))
            .collect();
        assert_eq!(replayed, expected);
    }

    #[test]
    fn remove_through_deletes_only_fully_flushed_files_and_never_the_current_one() {
        let dir = tempfile::tempdir().unwrap();
        let wal = wal_with_batches(dir.path(), SMALL_FILE, 20);
        let first_seqs = file_first_seqs(dir.path());
        // Flushed through the middle of the second file: only the first file may go.
        wal.remove_through(first_seqs[2] - 2).unwrap();
        assert_eq!(file_first_seqs(dir.path()), first_seqs[1..]);
        wal.remove_through(u64::MAX).unwrap();
        assert_eq!(wal_files(dir.path()).len(), 1, "the current file stays");
        let last = wal.last_seq();
        assert_eq!(wal.append(&marked_batch("more", 1)).unwrap(), last + 1);
        drop(wal);
        let (_, replayed) = open_collect(options(dir.path(), SMALL_FILE), last).unwrap();
        assert_eq!(replayed.len(), 1);
    }

    /// The spare files in `dir`, sorted.
    fn spare_files(dir: &Path) -> Vec<PathBuf> {
        files_where(dir, record::is_spare_file_name)
    }

    fn inode(path: &Path) -> u64 {
        std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(path).unwrap())
    }

    #[test]
    fn flushed_files_become_spares_that_the_next_files_are_written_over() {
        let dir = tempfile::tempdir().unwrap();
        let opts = WalOptions {
            spare_files: 2,
            ..options(dir.path(), SMALL_FILE)
        };
        let (wal, _) = open_collect(opts.clone(), 0).unwrap();
        for b in 0..20 {
            wal.append(&marked_batch(&format!("b{b}"), 5)).unwrap();
        }
        let first_seqs = file_first_seqs(dir.path());
        assert!(first_seqs.len() > 4, "{first_seqs:?}");
        let flushed = first_seqs[4] - 1;
        wal.remove_through(flushed).unwrap();
        // Four files flushed: the first two kept as spares, the other two deleted.
        assert_eq!(file_first_seqs(dir.path()), first_seqs[4..]);
        let spares = spare_files(dir.path());
        assert_eq!(
            spares,
            [first_seqs[0], first_seqs[1]].map(|s| dir.path().join(record::spare_file_name(s)))
        );
        let spare_inodes: Vec<u64> = spares.iter().map(|p| inode(p)).collect();
        let spare_len = std::fs::metadata(&spares[1]).unwrap().len();
        // The next file written takes the last spare, under its new name, and keeps its bytes.
        let before = file_first_seqs(dir.path()).len();
        let mut b = 20;
        while file_first_seqs(dir.path()).len() == before {
            wal.append(&marked_batch(&format!("b{b}"), 5)).unwrap();
            b += 1;
        }
        let newest = wal_files(dir.path()).pop().unwrap();
        assert_eq!(inode(&newest), spare_inodes[1]);
        assert_eq!(spare_files(dir.path()), spares[..1]);
        assert!(
            std::fs::metadata(&newest).unwrap().len() >= spare_len,
            "written over, not emptied"
        );
        // Rolling on cuts it after its records, and closing cuts the last one: every file holds records only.
        while file_first_seqs(dir.path()).len() == before + 1 {
            wal.append(&marked_batch(&format!("b{b}"), 5)).unwrap();
            b += 1;
        }
        drop(wal);
        for file in wal_files(dir.path()) {
            let bytes = std::fs::read(&file).unwrap();
            let mut end = record::FILE_HEADER_LEN as usize;
            while let Some(h) = record::RecordHeader::parse(&bytes[end..]) {
                end += h.record_len() as usize;
            }
            assert_eq!(end, bytes.len(), "{} holds records only", file.display());
        }
        let (wal, replayed) = open_collect(opts, flushed).unwrap();
        let expected: Vec<(u64, EventBatch)> = (flushed..b as u64)
            .map(|s| (s + 1, marked_batch(&format!("b{s}"), 5)))
            .collect();
        assert_eq!(replayed, expected);
        assert_eq!(wal.append(&marked_batch("after", 1)).unwrap(), b as u64 + 1);
    }

    #[test]
    fn without_spares_flushed_files_are_deleted_and_extra_spares_go_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let wal = wal_with_batches(dir.path(), SMALL_FILE, 20);
        drop(wal);
        for seq in [100, 101, 102] {
            std::fs::write(dir.path().join(record::spare_file_name(seq)), b"old bytes").unwrap();
        }
        let opts = WalOptions {
            spare_files: 1,
            ..options(dir.path(), SMALL_FILE)
        };
        let (wal, _) = open_collect(opts.clone(), 0).unwrap();
        assert_eq!(
            spare_files(dir.path()),
            vec![dir.path().join(record::spare_file_name(100))]
        );
        drop(wal);
        let (wal, _) = open_collect(WalOptions { spare_files: 0, ..opts }, 0).unwrap();
        assert!(spare_files(dir.path()).is_empty());
        wal.remove_through(u64::MAX).unwrap();
        assert!(spare_files(dir.path()).is_empty());
        assert_eq!(wal_files(dir.path()).len(), 1);
    }

    #[test]
    fn replay_from_an_older_seq_than_the_oldest_file_is_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let wal = wal_with_batches(dir.path(), SMALL_FILE, 20);
        wal.remove_through(10).unwrap();
        drop(wal);
        let err = open_collect(options(dir.path(), SMALL_FILE), 0).unwrap_err();
        assert!(
            matches!(&err, StorageError::Corruption { detail, .. } if detail.contains("missing")),
            "{err}"
        );
    }

    #[test]
    fn invalid_batches_are_rejected_and_not_logged() {
        let dir = tempfile::tempdir().unwrap();
        let (wal, _) = open_collect(options(dir.path(), 64 << 20), 0).unwrap();
        let mut bad = marked_batch("bad", 2);
        bad.columns.pop();
        assert!(matches!(wal.append(&bad), Err(StorageError::InvalidInput(_))));
        assert_eq!(wal.append(&marked_batch("good", 2)).unwrap(), 1);
    }

    #[test]
    fn concurrent_appenders_get_distinct_seqs_and_everything_replays() {
        const THREADS: usize = 8;
        const PER_THREAD: usize = 200;
        let dir = tempfile::tempdir().unwrap();
        let opts = WalOptions {
            max_file_bytes: 64 << 10,
            ..WalOptions::new(dir.path())
        };
        let (wal, _) = open_collect(opts.clone(), 0).unwrap();
        let per_thread: Vec<Vec<(u64, String)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..THREADS)
                .map(|t| {
                    let wal = &wal;
                    scope.spawn(move || {
                        (0..PER_THREAD)
                            .map(|b| {
                                let marker = format!("t{t}-b{b}");
                                (wal.append(&marked_batch(&marker, 2)).unwrap(), marker)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for acks in &per_thread {
            assert!(acks.windows(2).all(|w| w[0].0 < w[1].0), "one thread's seqs increase");
        }
        let mut acked: Vec<(u64, String)> = per_thread.into_iter().flatten().collect();
        acked.sort();
        let expected_seqs: Vec<u64> = (1..=(THREADS * PER_THREAD) as u64).collect();
        assert_eq!(acked.iter().map(|(s, _)| *s).collect::<Vec<_>>(), expected_seqs);
        assert_eq!(wal.last_seq(), (THREADS * PER_THREAD) as u64);
        drop(wal);
        let (_, replayed) = open_collect(opts, 0).unwrap();
        let replayed: Vec<(u64, EventBatch)> = replayed;
        assert_eq!(replayed.len(), acked.len());
        for ((seq, batch), (acked_seq, marker)) in replayed.iter().zip(&acked) {
            assert_eq!(seq, acked_seq);
            assert_eq!(batch, &marked_batch(marker, 2));
        }
    }

    #[test]
    fn a_failed_write_poisons_the_wal() {
        let dir = tempfile::tempdir().unwrap();
        let wal_dir = dir.path().join("wal");
        // Every record fills a file, so the next append must create a file, which fails once the directory is gone.
        let (wal, _) = open_collect(options(&wal_dir, 1), 0).unwrap();
        assert_eq!(wal.append(&marked_batch("a", 1)).unwrap(), 1);
        std::fs::remove_dir_all(&wal_dir).unwrap();
        let first = wal.append(&marked_batch("b", 1)).unwrap_err();
        assert!(
            matches!(&first, StorageError::Io { context, .. } if context.contains("creating WAL file")),
            "{first}"
        );
        let later = wal.append(&marked_batch("c", 1)).unwrap_err();
        match later {
            StorageError::Closed(reason) => assert!(reason.contains("creating WAL file"), "{reason}"),
            other => panic!("expected Closed, got {other}"),
        }
        assert_eq!(wal.last_seq(), 1);
    }

    #[test]
    fn wal_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Wal>();
    }
}
