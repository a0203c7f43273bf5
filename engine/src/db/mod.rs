//! The embedded database: append → WAL (group commit) → memtable (queryable at once) → flush to
//! immutable, time-partitioned segments; a sled catalog holds the manifest. See `docs/storage.md`.

mod load;
mod maintenance;
mod memtable;
mod options;
mod pipeline;
mod settings;
mod snapshot;
mod worker;

pub use maintenance::{CompactionStats, RosterUpdate};
pub use options::DbOptions;
pub use settings::{StoreSettings, SETTINGS_FILE};
pub use snapshot::{IndexFilter, ScanRequest, ScanUnit, Snapshot};

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use crate::batch::{ColumnData, EventBatch};
use crate::catalog::{Catalog, SledCatalog};
use crate::directory::{Directory, MmapDirectory};
use crate::error::{Result, StorageError};
use crate::partition::Granularity;
use crate::roster::{Assignment, Roster};
use crate::schema::col;
use crate::segment::{encode_segment_rows, parse_segment_file_name, Segment, SegmentMeta};
use crate::shared_dictionary::SharedDictionaries;
use crate::wal::{Wal, WalOptions};
use memtable::Memtable;
use worker::Worker;

/// What readers and the writer share, swapped under a lock as a whole.
struct State {
    segments: Arc<Vec<Arc<Segment>>>,
    memtable: Memtable,
    /// The buffered segments of the last snapshot, and the memtable version they show.
    buffered_cache: Option<(u64, Arc<Vec<Arc<Segment>>>)>,
    /// Encoded runs of memtable batches that reached [`SNAPSHOT_CHUNK_ROWS`], by (first seq, last seq,
    /// batch count), so snapshots encode each buffered row about once.
    chunk_cache: HashMap<(u64, u64, usize), Arc<Segment>>,
    roster: Arc<Roster>,
    assignments: Arc<Vec<Assignment>>,
    flushed_seq: u64,
}

/// An open engagedb data directory. `Send + Sync`: share it behind an `Arc` between writers and readers.
pub struct Db {
    dir: PathBuf,
    options: DbOptions,
    wal: Wal,
    catalog: Box<dyn Catalog>,
    segment_dir: Arc<dyn Directory>,
    /// The shared dictionaries the segments' student, class, assignment and meeting columns refer to.
    shared: Arc<SharedDictionaries>,
    state: RwLock<State>,
    /// Serialises flushes, compaction swaps and rewrites (anything that changes the segment list).
    maintenance: Mutex<()>,
    /// Serialises [`Db::add_assignments`] calls.
    assignment_writes: Mutex<()>,
    /// Rows taken by [`Db::load`] and not in segments yet.
    loading: Mutex<load::LoadBuffer>,
    /// Serialises compactions, which merge outside `maintenance` and take it only to swap segments.
    compaction: Mutex<()>,
    next_segment_id: AtomicU64,
    /// Merges segments after flushes (if `background_compaction`).
    compactor: Mutex<Option<Worker>>,
    /// Flushes the memtable once it holds `memtable_rows`, while appends continue.
    flusher: Mutex<Option<Worker>>,
    /// Rows the flushes in progress (encoded, queued or being stored) are writing to segments; they stay
    /// in the memtable until committed, but do not count towards the appenders' back-pressure limit.
    rows_being_flushed: AtomicUsize,
    /// Serialises choosing and encoding flushes (the background flusher's and synchronous ones).
    flush_encoding: Mutex<()>,
    /// Background flushes encoded and waiting to be stored (see `pipeline`).
    pipeline: pipeline::FlushPipeline,
    /// Stores and commits the background flushes the flusher encoded.
    storer: Mutex<Option<Worker>>,
    /// The previous flush's concatenated batch, whose vectors the next flush fills again (see
    /// [`EventBatch::concat_reusing`]); dropped by [`Db::close`].
    flush_spare: Mutex<Option<EventBatch>>,
}

/// A segment encoded by a flush and not written yet.
struct EncodedSegment {
    meta: SegmentMeta,
    bytes: Vec<u8>,
}

/// What a flush takes from the memtable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FlushScope {
    /// Every buffered batch ([`Db::flush`]).
    Everything,
    /// What the background flusher takes: see [`Db::flush_complete_partitions`].
    CompletePartitions,
    /// Everything, if at least this many rows are still buffered when the flush gets its turn: an
    /// appender that found the buffer full, behind others that found the same.
    IfStillOver(usize),
}

/// Flushes of at least this many rows write their partitions' segments on several threads.
const PARALLEL_PARTITION_ROWS: usize = 1 << 17;

/// Buffered rows are shown to snapshots in in-memory segments of at least this many rows.
pub const SNAPSHOT_CHUNK_ROWS: usize = 1 << 16;

fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

fn lock_poisoned() -> StorageError {
    StorageError::Internal("a thread panicked while holding the database lock".into())
}

impl Db {
    /// Opens (creating if absent) the data directory `dir`: loads the manifest (rebuilding it from the
    /// segment files if the catalog was lost), removes segment files no manifest refers to (left by a
    /// crash mid-flush), and replays the WAL from the last flushed sequence into the memtable.
    ///
    /// The partition granularity is the one the store was created with (its `STORE` settings file);
    /// `options.granularity` only applies to a new store, and [`Db::options`] reports the one in force.
    pub fn open(dir: impl AsRef<Path>, mut options: DbOptions) -> Result<Arc<Db>> {
        let dir = dir.as_ref().to_path_buf();
        let existed = ["catalog", "segments", "wal"].iter().any(|d| dir.join(d).exists());
        let root = MmapDirectory::open(&dir)?;
        let settings = StoreSettings::load_or_create(&root, options.granularity, existed)?;
        if settings.granularity != options.granularity {
            tracing::info!(
                stored = settings.granularity.name(),
                requested = options.granularity.name(),
                "the store keeps the partition granularity it was created with"
            );
            options.granularity = settings.granularity;
        }
        let segment_dir: Arc<dyn Directory> = Arc::new(MmapDirectory::open(dir.join("segments"))?);
        let shared = Arc::new(SharedDictionaries::open(
            Arc::new(MmapDirectory::open(dir.join("dictionaries"))?),
            dir.join("dictionaries"),
        )?);
        let catalog_existed = dir.join("catalog").exists();
        let catalog: Box<dyn Catalog> = Box::new(SledCatalog::open(&dir.join("catalog"))?);
        let mut metas = catalog.segments()?;
        let files = segment_dir.list()?;
        let seg_files: Vec<u64> = files.iter().filter_map(|f| parse_segment_file_name(f)).collect();
        // An empty manifest beside segment files is a lost catalog if the catalog directory itself was
        // gone (segments written by `Db::load` leave no trace in the WAL), or if WAL records were ever
        // deleted (which happens only after a catalog commit) while the catalog knows of no flush (a
        // catalog whose segments retention dropped keeps its flushed sequence). Otherwise the files are
        // the leftovers of a flush interrupted before its commit: possibly only some of its partitions,
        // so taking them as the manifest (and their max_seq as flushed) would lose the rest; the WAL
        // still holds their rows.
        let wal_from_start = dir.join("wal").join(crate::wal::record::file_name(1)).exists();
        let catalog_emptied = !wal_from_start && catalog.flushed_seq()? == 0;
        if metas.is_empty() && !seg_files.is_empty() && (!catalog_existed || catalog_emptied) {
            tracing::warn!(
                files = seg_files.len(),
                "catalog has no manifest but segment files exist: rebuilding it"
            );
            metas = maintenance::rebuild_manifest(catalog.as_ref(), segment_dir.as_ref())?;
        }
        let live: HashSet<u64> = metas.iter().map(|m| m.id).collect();
        for id in seg_files.iter().filter(|id| !live.contains(id)) {
            tracing::warn!(
                id,
                "removing segment file not in the manifest (left by an interrupted flush)"
            );
            segment_dir.delete(&crate::segment::segment_file_name(*id))?;
        }
        let mut segments = Vec::with_capacity(metas.len());
        for meta in &metas {
            let name = meta.file_name();
            if !segment_dir.exists(&name) {
                return Err(StorageError::corruption(
                    dir.join("segments").join(&name),
                    0,
                    "segment in manifest is missing",
                ));
            }
            let seg = Segment::open_with_dictionaries(
                segment_dir.open_read(&name)?,
                dir.join("segments").join(&name),
                shared.clone(),
            )?;
            segments.push(Arc::new(seg));
        }
        let next_id = seg_files.iter().chain(live.iter()).max().map_or(1, |m| m + 1);
        let flushed_seq = catalog.flushed_seq()?;
        let mut memtable = Memtable::default();
        let wal_opts = WalOptions {
            dir: dir.join("wal"),
            max_file_bytes: options.wal_file_bytes,
            sync: options.sync,
            spare_files: crate::wal::DEFAULT_SPARE_FILES,
        };
        let wal = Wal::open(wal_opts, flushed_seq, |seq, batch| {
            memtable.insert(seq, Arc::new(batch));
            Ok(())
        })?;
        let roster = Arc::new(catalog.roster()?.unwrap_or_default());
        let assignments = Arc::new(catalog.assignments()?);
        let state = State {
            segments: Arc::new(segments),
            memtable,
            buffered_cache: None,
            chunk_cache: HashMap::new(),
            roster,
            assignments,
            flushed_seq,
        };
        let db = Arc::new(Db {
            dir,
            options,
            wal,
            catalog,
            segment_dir,
            shared,
            state: RwLock::new(state),
            maintenance: Mutex::new(()),
            assignment_writes: Mutex::new(()),
            loading: Mutex::new(load::LoadBuffer::default()),
            next_segment_id: AtomicU64::new(next_id),
            compactor: Mutex::new(None),
            flusher: Mutex::new(None),
            flush_spare: Mutex::new(None),
            rows_being_flushed: AtomicUsize::new(0),
            flush_encoding: Mutex::new(()),
            pipeline: pipeline::FlushPipeline::default(),
            storer: Mutex::new(None),
            compaction: Mutex::new(()),
        });
        if db.options.background_compaction {
            let compactor = Worker::start("compactor", Arc::downgrade(&db), Db::compact_background);
            *db.compactor.lock().map_err(|_| lock_poisoned())? = Some(compactor);
        }
        let storer = Worker::start("segment-store", Arc::downgrade(&db), Db::store_queued_flushes);
        *db.storer.lock().map_err(|_| lock_poisoned())? = Some(storer);
        let flusher = Worker::start("flusher", Arc::downgrade(&db), Db::flush_in_background);
        *db.flusher.lock().map_err(|_| lock_poisoned())? = Some(flusher);
        Ok(db)
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The options the database was opened with.
    pub fn options(&self) -> &DbOptions {
        &self.options
    }

    /// Durably appends `batch`: returns its WAL sequence once it is fsynced (group commit shares one
    /// fsync between concurrent callers). The rows are visible to snapshots taken after it returns.
    ///
    /// Once the memtable holds `memtable_rows` rows a background thread flushes it to segments while
    /// appends go on. If twice that many rows wait besides those the flushes in progress are writing
    /// (flushing cannot keep up), the appender first waits for those flushes and then flushes itself,
    /// which bounds the memory held and slows appends to the speed of flushing. If that flush fails, the
    /// append fails and nothing of it is stored.
    pub fn append(&self, batch: EventBatch) -> Result<u64> {
        self.append_all(vec![batch])
    }

    /// Durably appends each of `batches` as its own WAL record, like [`Db::append`] of each, but with
    /// the records handed to the WAL together so that they share fsyncs: a producer holding several
    /// batches (the importer's parsed pieces) need not copy them into one. Returns the last sequence
    /// number. Nothing is appended if any batch is invalid.
    pub fn append_all(&self, mut batches: Vec<EventBatch>) -> Result<u64> {
        prepare_batches(&mut batches)?;
        if batches.is_empty() {
            return Ok(self.wal.last_seq());
        }
        // Back-pressure before logging, so that an error (the flush failed) means nothing was appended.
        let limit = 2 * self.options.memtable_rows;
        if self
            .buffered_rows()
            .saturating_sub(self.rows_being_flushed.load(Ordering::Acquire))
            >= limit
        {
            self.flush_where(FlushScope::IfStillOver(limit))?;
        }
        let seqs = self.wal.append_all(&batches.iter().collect::<Vec<_>>())?;
        let seq = seqs.last().copied().unwrap_or_else(|| self.wal.last_seq());
        let rows = {
            let mut st = self.state.write().map_err(|_| lock_poisoned())?;
            for (seq, batch) in seqs.into_iter().zip(batches) {
                st.memtable.insert(seq, Arc::new(batch));
            }
            st.memtable.rows()
        };
        if rows >= self.options.memtable_rows {
            notify(&self.flusher);
        }
        Ok(seq)
    }

    /// A consistent view for readers: the segments and the memtable at one instant. Buffered rows are
    /// shown as in-memory segments, one per run of consecutive batches of at least
    /// [`SNAPSHOT_CHUNK_ROWS`] rows (encoded once and cached) plus one for the rest; the encoding happens
    /// outside the database lock, so appends are not held up by readers.
    pub fn snapshot(&self) -> Result<Snapshot> {
        let (version, entries, segments, roster, assignments, cache) = {
            let st = self.state.read().map_err(|_| lock_poisoned())?;
            if let Some((v, buffered)) = &st.buffered_cache {
                if *v == st.memtable.version() {
                    return Ok(Snapshot {
                        segments: st.segments.clone(),
                        buffered: buffered.clone(),
                        roster: st.roster.clone(),
                        assignments: st.assignments.clone(),
                    });
                }
            }
            let entries: Vec<(u64, Arc<EventBatch>)> = st.memtable.entries().map(|(s, b)| (s, b.clone())).collect();
            (
                st.memtable.version(),
                entries,
                st.segments.clone(),
                st.roster.clone(),
                st.assignments.clone(),
                st.chunk_cache.clone(),
            )
        };
        let mut chunks: Vec<&[(u64, Arc<EventBatch>)]> = Vec::new();
        let (mut start, mut rows) = (0, 0);
        for (i, (_, batch)) in entries.iter().enumerate() {
            rows += batch.len();
            if rows >= SNAPSHOT_CHUNK_ROWS || i + 1 == entries.len() {
                chunks.push(&entries[start..=i]);
                (start, rows) = (i + 1, 0);
            }
        }
        let mut buffered = Vec::with_capacity(chunks.len());
        let mut sealed = HashMap::new();
        for chunk in chunks {
            let key = (chunk[0].0, chunk[chunk.len() - 1].0, chunk.len());
            let segment = match cache.get(&key) {
                Some(s) => s.clone(),
                None => {
                    let batch = concat(chunk.iter().map(|(_, b)| b.as_ref()));
                    let start = self
                        .options
                        .granularity
                        .start_of(batch.times().iter().copied().min().unwrap_or(0));
                    let meta = SegmentMeta::for_batch(0, start, 0, now_micros(), &batch);
                    Arc::new(Segment::from_batch(&batch, &meta)?)
                }
            };
            if chunk.iter().map(|(_, b)| b.len()).sum::<usize>() >= SNAPSHOT_CHUNK_ROWS {
                sealed.insert(key, segment.clone());
            }
            buffered.push(segment);
        }
        let buffered = Arc::new(buffered);
        {
            let mut st = self.state.write().map_err(|_| lock_poisoned())?;
            if st.memtable.version() == version {
                st.buffered_cache = Some((version, buffered.clone()));
                st.chunk_cache = sealed;
            }
        }
        Ok(Snapshot {
            segments,
            buffered,
            roster,
            assignments,
        })
    }

    /// Writes every buffered row to segments (one per time partition), records them in the catalog
    /// together with the flushed WAL sequence, and deletes WAL files no longer needed; then writes the
    /// rows taken by [`Db::load`] ([`Db::write_loaded`]).
    pub fn flush(&self) -> Result<()> {
        self.flush_where(FlushScope::Everything)?;
        self.write_loaded()
    }

    /// The background flusher's job: encodes the complete partitions of the memtable and queues them for
    /// the store thread (see `pipeline`): when the buffered rows of a time-ordered stream end in a
    /// partition still being filled, and the batches before the first one reaching it hold at least half
    /// a memtable, only those are flushed. The open partition's rows then go to segments together with
    /// the rest of that partition, so an import of history writes each partition once instead of in two
    /// segments that compaction would rewrite. Then the same choice of loaded rows is written.
    fn flush_in_background(&self) -> Result<()> {
        self.encode_complete_partitions()?;
        if self.loaded_rows_buffered() > 0 {
            self.write_loaded_where(FlushScope::CompletePartitions)?;
        }
        Ok(())
    }

    /// Flushes the buffered rows `scope` selects (every one, or every one if still over a limit) and
    /// waits for the commit, after the background flushes on their way.
    fn flush_where(&self, scope: FlushScope) -> Result<()> {
        let _encoding = self.flush_encoding.lock().map_err(|_| lock_poisoned())?;
        self.pipeline.wait_until_empty()?;
        let _m = self.maintenance.lock().map_err(|_| lock_poisoned())?;
        let (batches, upto, after) = {
            let st = self.state.read().map_err(|_| lock_poisoned())?;
            let (b, upto) = st.memtable.contiguous_after(st.flushed_seq);
            (b, upto, st.flushed_seq)
        };
        if let FlushScope::IfStillOver(rows) = scope {
            // Appenders that found the buffer full queue here; the first one flushed it all.
            if batches.iter().map(|(b, _)| b.len()).sum::<usize>() < rows {
                return Ok(());
            }
        }
        let batches: Vec<Arc<EventBatch>> = batches.into_iter().map(|(b, _)| b).collect();
        let rows: usize = batches.iter().map(|b| b.len()).sum();
        if rows == 0 {
            return Ok(());
        }
        let _in_progress = RowsBeingFlushed::add(&self.rows_being_flushed, rows);
        let new_segments = self.write_partition_segments(&batches, upto)?;
        self.commit_flush(new_segments, after, upto, rows)
    }

    /// How many of `batches` (buffered in sequence order, each with its latest event time) the background
    /// flusher takes: [`batches_to_flush`] with this store's granularity and memtable size.
    fn complete_partitions(&self, batches: &[(Arc<EventBatch>, i64)]) -> Option<usize> {
        let sized: Vec<(usize, i64)> = batches.iter().map(|(b, newest)| (b.len(), *newest)).collect();
        batches_to_flush(&sized, self.options.granularity, self.options.memtable_rows)
    }

    /// Records a flush's segments (the WAL records after `after` through `upto`, `rows` rows) in the
    /// catalog with the new flushed sequence, makes them live in place of those buffered rows, and
    /// deletes (or keeps as spares) the WAL files no longer needed. Called under the maintenance lock.
    fn commit_flush(&self, new_segments: Vec<Arc<Segment>>, after: u64, upto: u64, rows: usize) -> Result<()> {
        let metas: Vec<SegmentMeta> = new_segments.iter().map(|s| s.meta().clone()).collect();
        self.catalog.commit_segments(&metas, &[], Some(upto))?;
        {
            let mut st = self.state.write().map_err(|_| lock_poisoned())?;
            let mut segs: Vec<Arc<Segment>> = st.segments.as_ref().clone();
            segs.extend(new_segments);
            st.segments = Arc::new(segs);
            st.memtable.remove_through(upto);
            st.flushed_seq = upto;
        }
        self.wal.remove_through(upto)?;
        tracing::debug!(rows, from_seq = after + 1, upto, "flushed memtable");
        notify(&self.compactor);
        Ok(())
    }

    /// Writes the rows of `batches` as one segment per time partition (each `max_seq`) and opens them;
    /// the caller commits them. Each partition's segment is written as soon as it is encoded, so one
    /// partition's fsync overlaps the next one's encoding.
    fn write_partition_segments(&self, batches: &[Arc<EventBatch>], max_seq: u64) -> Result<Vec<Arc<Segment>>> {
        self.encode_partitions(batches, max_seq, |segment| {
            self.store_segment(&segment.meta, segment.bytes)
        })
    }

    /// Encodes the rows of `batches` as one segment per time partition (each `max_seq`), for the store
    /// thread to write (see `pipeline`).
    fn encode_partition_segments(&self, batches: &[Arc<EventBatch>], max_seq: u64) -> Result<Vec<EncodedSegment>> {
        self.encode_partitions(batches, max_seq, Ok)
    }

    /// Encodes the rows of `batches` as one segment per time partition (each `max_seq`) and hands each
    /// to `then`; returns what it made of them, in partition order. One batch is encoded as it is;
    /// several are concatenated into the previous encoding's vectors (kept in `flush_spare`), so a
    /// steady stream of flushes reuses memory. Partitions are taken two at a time once there are enough
    /// rows, so that one's single-threaded steps (ordering its rows, `then`'s fsync) overlap the other's
    /// work.
    fn encode_partitions<T: Send>(
        &self,
        batches: &[Arc<EventBatch>],
        max_seq: u64,
        then: impl Fn(EncodedSegment) -> Result<T> + Sync,
    ) -> Result<Vec<T>> {
        let concatenated = (batches.len() > 1).then(|| {
            let spare = self.flush_spare.lock().ok().and_then(|mut s| s.take());
            EventBatch::concat_reusing(&batches.iter().map(|b| b.as_ref()).collect::<Vec<_>>(), spare)
        });
        let all: &EventBatch = match (&concatenated, batches.first()) {
            (Some(batch), _) => batch,
            (None, Some(batch)) => batch,
            (None, None) => return Ok(Vec::new()),
        };
        let partitions = rows_by_partition(all, self.options.granularity);
        let done = crate::parallel::map_parallel(partitions.len(), all.len() >= PARALLEL_PARTITION_ROWS, |i| {
            let (start, rows) = &partitions[i];
            then(self.encode_segment_rows(all, rows, *start, max_seq)?)
        })
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
        if let (Some(batch), Ok(mut spare)) = (concatenated, self.flush_spare.lock()) {
            *spare = Some(batch);
        }
        Ok(done)
    }

    /// Writes encoded segments (two at a time, so that one's fsync overlaps the other's write) and
    /// opens them; the caller commits them. The shared dictionary entries they may name are made
    /// durable first, so no segment on disk names an entry a crash could lose.
    fn store_segments(&self, encoded: &[EncodedSegment]) -> Result<Vec<Arc<Segment>>> {
        self.shared.persist()?;
        crate::parallel::map_parallel(encoded.len(), encoded.len() > 1, |i| {
            self.write_and_open(&encoded[i].meta, &encoded[i].bytes)
        })
        .into_iter()
        .collect()
    }

    /// Encodes and atomically writes one segment, then opens it through mmap.
    fn write_segment(&self, batch: &EventBatch, partition_start: i64, max_seq: u64) -> Result<Arc<Segment>> {
        let rows: Vec<u32> = (0..batch.len() as u32).collect();
        let segment = self.encode_segment_rows(batch, &rows, partition_start, max_seq)?;
        self.store_segment(&segment.meta, segment.bytes)
    }

    /// Encodes the rows `rows` of `batch` as the segment of the partition starting at `partition_start`,
    /// with a new segment id.
    fn encode_segment_rows(
        &self,
        batch: &EventBatch,
        rows: &[u32],
        partition_start: i64,
        max_seq: u64,
    ) -> Result<EncodedSegment> {
        let id = self.next_segment_id.fetch_add(1, Ordering::SeqCst);
        let times = batch.times();
        let picked = || rows.iter().map(|&r| times[r as usize]);
        let meta = SegmentMeta {
            id,
            partition_start,
            min_time: picked().min().unwrap_or(0),
            max_time: picked().max().unwrap_or(0),
            rows: rows.len() as u32,
            max_seq,
            created_at: now_micros(),
        };
        let bytes = encode_segment_rows(batch, rows, &meta, Some(&self.shared))?;
        Ok(EncodedSegment { meta, bytes })
    }

    /// Atomically writes an encoded segment and opens it through mmap, after making the shared
    /// dictionary entries it may name durable.
    fn store_segment(&self, meta: &SegmentMeta, bytes: Vec<u8>) -> Result<Arc<Segment>> {
        self.shared.persist()?;
        self.write_and_open(meta, &bytes)
    }

    /// Atomically writes an encoded segment and opens it through mmap (the caller persisted the shared
    /// dictionaries).
    fn write_and_open(&self, meta: &SegmentMeta, bytes: &[u8]) -> Result<Arc<Segment>> {
        let name = meta.file_name();
        self.segment_dir.atomic_write(&name, bytes)?;
        let path = self.dir.join("segments").join(&name);
        Ok(Arc::new(Segment::open_with_dictionaries(
            self.segment_dir.open_read(&name)?,
            path,
            self.shared.clone(),
        )?))
    }

    /// Bytes of the shared dictionaries' files per column, as `(column, bytes)`: part of the store's
    /// size on disk besides the segments.
    pub fn shared_dictionary_bytes(&self) -> Result<Vec<(usize, u64)>> {
        self.shared.file_bytes()
    }

    /// Every `signal_id` stored (in segments or buffered) in the partition starting at `partition_start`.
    /// Reads the buffered batches directly, so it costs no segment encoding.
    pub fn signal_ids_in_partition(&self, partition_start: i64) -> Result<HashSet<String>> {
        let mut ids = HashSet::new();
        self.for_each_signal_id_in_partition(partition_start, |id| {
            ids.insert(id.to_string());
        })?;
        Ok(ids)
    }

    /// Calls `visit` with every `signal_id` stored (in segments or buffered, loaded rows not written
    /// yet included) in the partition starting at `partition_start`, without collecting them: a caller
    /// keeping its own compact set (the importer's de-duplicator) pays no allocation per id. An id
    /// stored twice is visited twice, and so may be a loaded one being written meanwhile.
    pub fn for_each_signal_id_in_partition(&self, partition_start: i64, mut visit: impl FnMut(&str)) -> Result<()> {
        let end = self.options.granularity.end_of(partition_start);
        // Loaded batches first: one written meanwhile is live in the segments read next (the write
        // makes its segments live before it leaves the load buffer), so none is missed.
        let mut buffered: Vec<Arc<EventBatch>> = {
            let loading = self.loading.lock().map_err(|_| lock_poisoned())?;
            loading.batches().cloned().collect()
        };
        let segments = {
            let st = self.state.read().map_err(|_| lock_poisoned())?;
            buffered.extend(st.memtable.batches().cloned());
            st.segments.clone()
        };
        for seg in segments
            .iter()
            .filter(|s| s.meta().partition_start == partition_start && s.meta().rows > 0)
        {
            seg.for_each_text_value(col::SIGNAL_ID, &mut visit)?;
        }
        for batch in &buffered {
            let sid = &batch.columns[col::SIGNAL_ID].data;
            for (row, t) in batch.times().iter().enumerate() {
                if !(partition_start..end).contains(t) {
                    continue;
                }
                match sid {
                    ColumnData::Text(s) => visit(s.get(row)),
                    ColumnData::Uuid(u) => visit(u.text(row).as_str()),
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// The current roster (empty if none was imported).
    pub fn roster(&self) -> Result<Arc<Roster>> {
        Ok(self.state.read().map_err(|_| lock_poisoned())?.roster.clone())
    }

    /// Adds assignments not stored yet (first wins per id, across calls and within `assignments`);
    /// returns how many were new. Only the new ones are written to the catalog, and the table readers
    /// see is extended in memory (kept in id order, as the catalog lists it) rather than read back.
    pub fn add_assignments(&self, assignments: &[Assignment]) -> Result<usize> {
        // Serialises writers, so the ids found new below are still new when they are stored.
        let _writing = self.assignment_writes.lock().map_err(|_| lock_poisoned())?;
        let stored = self.state.read().map_err(|_| lock_poisoned())?.assignments.clone();
        let mut known: HashSet<&str> = stored.iter().map(|a| a.id.as_str()).collect();
        let new: Vec<Assignment> = assignments
            .iter()
            .filter(|a| known.insert(a.id.as_str()))
            .cloned()
            .collect();
        if new.is_empty() {
            return Ok(0);
        }
        self.catalog.insert_new_assignments(&new)?;
        let added = new.len();
        let mut all = Vec::with_capacity(stored.len() + added);
        all.extend(stored.iter().cloned());
        all.extend(new);
        all.sort_by(|a, b| a.id.cmp(&b.id));
        self.state.write().map_err(|_| lock_poisoned())?.assignments = Arc::new(all);
        Ok(added)
    }

    /// Stores a new roster snapshot (replacing the old one) and re-resolves the `school` of stored
    /// events whose school was unknown but whose class the new roster places in a school.
    pub fn replace_roster(&self, roster: Roster) -> Result<RosterUpdate> {
        self.catalog.put_roster(&roster)?;
        let roster = Arc::new(roster);
        self.state.write().map_err(|_| lock_poisoned())?.roster = roster.clone();
        self.flush()?;
        maintenance::resolve_schools(self, &roster)
    }

    /// Number of buffered (not yet flushed) rows.
    pub fn buffered_rows(&self) -> usize {
        self.state.read().map(|s| s.memtable.rows()).unwrap_or(0)
    }

    /// Stops the background flusher and compactor (after the runs in progress) and flushes. Dropping a
    /// `Db` without `close` loses nothing (acknowledged rows are in the WAL) but leaves them to be
    /// replayed on the next open.
    pub fn close(&self) -> Result<()> {
        stop(&self.flusher);
        stop(&self.compactor);
        // Flushing waits for the store thread to commit what the flusher encoded; then it can stop.
        let flushed = self.flush();
        stop(&self.storer);
        if let Ok(mut spare) = self.flush_spare.lock() {
            spare.take();
        }
        flushed
    }
}

/// Counts a synchronous flush's rows in [`Db::rows_being_flushed`] until dropped (committed or failed).
struct RowsBeingFlushed<'a>(&'a AtomicUsize, usize);

impl<'a> RowsBeingFlushed<'a> {
    fn add(counter: &'a AtomicUsize, rows: usize) -> RowsBeingFlushed<'a> {
        counter.fetch_add(rows, Ordering::AcqRel);
        RowsBeingFlushed(counter, rows)
    }
}

impl Drop for RowsBeingFlushed<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(self.1, Ordering::AcqRel);
    }
}

/// Checks every batch (nothing is taken if one is invalid), parses its UUID columns once (the WAL
/// codec and the segment writer take them as 128-bit values) and drops the empty ones.
fn prepare_batches(batches: &mut Vec<EventBatch>) -> Result<()> {
    for batch in batches.iter_mut() {
        batch.validate()?;
        batch.parse_uuid_columns();
    }
    batches.retain(|b| !b.is_empty());
    Ok(())
}

/// Concatenates batches into one.
pub(crate) fn concat<'a>(batches: impl Iterator<Item = &'a EventBatch>) -> EventBatch {
    EventBatch::concat(&batches.collect::<Vec<_>>())
}

/// How many of the buffered batches (their row counts and latest event times, in sequence order) the
/// background flusher takes: those before the first one reaching the newest (open) partition when they
/// hold at least half a memtable; `None` (wait) when fewer rows come before it and the buffer holds less
/// than one and a half memtables; all of them otherwise (an unordered stream, or an open partition that
/// outgrew the buffer).
fn batches_to_flush(batches: &[(usize, i64)], granularity: Granularity, memtable_rows: usize) -> Option<usize> {
    let open_start = granularity.start_of(batches.iter().map(|&(_, newest)| newest).max()?);
    let before_open = batches
        .iter()
        .position(|&(_, newest)| newest >= open_start)
        .unwrap_or(batches.len());
    let rows = |batches: &[(usize, i64)]| batches.iter().map(|&(n, _)| n).sum::<usize>();
    if rows(&batches[..before_open]) >= memtable_rows / 2 {
        Some(before_open)
    } else if 2 * rows(batches) < 3 * memtable_rows {
        None
    } else {
        Some(batches.len())
    }
}

/// The rows of `batch` grouped by partition, partitions ascending, rows in batch order.
pub(crate) fn rows_by_partition(batch: &EventBatch, granularity: Granularity) -> Vec<(i64, Vec<u32>)> {
    let mut groups: Vec<(i64, Vec<u32>)> = Vec::new();
    let mut group_of: HashMap<i64, usize, crate::fxhash::FxBuildHasher> = HashMap::default();
    // Rows usually arrive in time order: the group of the previous row's partition is looked up again
    // only when a row falls outside it.
    let (mut start, mut end, mut group) = (0i64, 0i64, 0usize);
    for (i, &t) in batch.times().iter().enumerate() {
        if !(start..end).contains(&t) {
            start = granularity.start_of(t);
            end = granularity.end_of(start);
            group = *group_of.entry(start).or_insert_with(|| {
                groups.push((start, Vec::new()));
                groups.len() - 1
            });
        }
        groups[group].1.push(i as u32);
    }
    groups.sort_unstable_by_key(|(start, _)| *start);
    groups
}

/// Stops a background worker after its run in progress. The worker is taken out of its slot before its
/// thread is joined: a run that wakes another worker (a flush commit wakes the compactor) takes that
/// slot's lock, and must not wait for a join that waits for it.
fn stop(worker: &Mutex<Option<Worker>>) {
    let taken = worker.lock().ok().and_then(|mut slot| slot.take());
    drop(taken);
}

/// Wakes a background worker, if it runs.
fn notify(worker: &Mutex<Option<Worker>>) {
    if let Ok(guard) = worker.lock() {
        if let Some(w) = guard.as_ref() {
            w.notify();
        }
    }
}

/// Replaces one text column of `batch` (used when re-resolving schools).
pub(crate) fn replace_text_column(batch: &mut EventBatch, column: usize, values: Vec<Option<String>>) {
    let mut sv = crate::batch::StringVec::new();
    let mut validity = Vec::with_capacity(values.len());
    for v in &values {
        sv.push(v.as_deref().unwrap_or(""));
        validity.push(v.is_some());
    }
    let all_valid = validity.iter().all(|&b| b);
    batch.columns[column] = crate::batch::Column {
        data: ColumnData::Text(sv),
        validity: if all_valid { None } else { Some(validity) },
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_grouped_by_partition_in_batch_order_whatever_the_time_order() {
        const DAY: i64 = 86_400_000_000;
        let mut batch = crate::wal::test_support::marked_batch("p", 7);
        let times = vec![2 * DAY + 5, 5, 2 * DAY, DAY - 1, 7 * DAY, 3, 2 * DAY + 1];
        batch.columns[col::TIME].data = ColumnData::Int(times);
        assert_eq!(
            rows_by_partition(&batch, Granularity::Day),
            vec![(0, vec![1, 3, 5]), (2 * DAY, vec![0, 2, 6]), (7 * DAY, vec![4]),]
        );
        assert_eq!(
            rows_by_partition(&batch, Granularity::Week)
                .iter()
                .map(|(_, rows)| rows.len())
                .sum::<usize>(),
            7
        );
    }

    #[test]
    fn the_background_flusher_leaves_the_open_partition_while_it_can() {
        const DAY: i64 = 86_400_000_000;
        let day = Granularity::Day;
        // Days 0 and 1 complete, day 2 open: the first two batches go.
        assert_eq!(
            batches_to_flush(&[(600, DAY / 2), (500, DAY + 5), (300, 2 * DAY)], day, 1000),
            Some(2)
        );
        // Only 400 rows before the open day: wait while the buffer is under 1 500 rows...
        assert_eq!(batches_to_flush(&[(400, 0), (700, DAY)], day, 1000), None);
        // ...and take everything once it is not.
        assert_eq!(batches_to_flush(&[(400, 0), (1100, DAY)], day, 1000), Some(2));
        // A stream within one partition waits for 1 500 rows, then flushes it whole.
        assert_eq!(batches_to_flush(&[(1200, 5)], day, 1000), None);
        assert_eq!(batches_to_flush(&[(1500, 5)], day, 1000), Some(1));
        // An unordered stream: a batch reaching the newest day comes first.
        assert_eq!(batches_to_flush(&[(900, 3 * DAY), (900, 0)], day, 1000), Some(2));
        assert_eq!(batches_to_flush(&[], day, 1000), None);
    }
}
