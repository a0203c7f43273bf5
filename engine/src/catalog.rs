//! The catalog: small, rebuildable metadata (segment manifest, WAL watermark, roster, assignments)
//! behind the [`Catalog`] trait, with a `sled` implementation. Nothing here is the only copy of event
//! data: the manifest can be rebuilt from self-describing segment files (`Db::rebuild_catalog`).

use std::path::Path;

use serde::{de::DeserializeOwned, Serialize};

use crate::error::{Result, StorageError};
use crate::roster::{Assignment, Roster};
use crate::segment::SegmentMeta;

/// Storage for the engine's metadata. Every mutating call is durable when it returns.
pub trait Catalog: Send + Sync {
    /// All live segments.
    fn segments(&self) -> Result<Vec<SegmentMeta>>;
    /// Atomically adds `added`, removes the segments with ids in `removed` and sets the flushed WAL
    /// sequence (if given); durable on return.
    fn commit_segments(&self, added: &[SegmentMeta], removed: &[u64], flushed_seq: Option<u64>) -> Result<()>;
    /// Highest WAL sequence whose rows are all in segments.
    fn flushed_seq(&self) -> Result<u64>;
    /// The stored roster, if any.
    fn roster(&self) -> Result<Option<Roster>>;
    /// Replaces the roster; durable on return.
    fn put_roster(&self, roster: &Roster) -> Result<()>;
    /// All assignments.
    fn assignments(&self) -> Result<Vec<Assignment>>;
    /// Stores assignments whose ids are not stored yet (the caller has checked, and serialises its
    /// calls), in one atomic batch; durable on return.
    fn insert_new_assignments(&self, assignments: &[Assignment]) -> Result<()>;
    /// Removes every entry (used before rebuilding the manifest from segment files).
    fn clear_segments(&self) -> Result<()>;
}

const SEGMENT_PREFIX: &[u8] = b"seg/";
/// One assignment per key (stores written before assignment chunks); still read, never written.
const ASSIGNMENT_PREFIX: &[u8] = b"asg/";
/// Assignments in chunks, one per [`Catalog::insert_new_assignments`] call: one sled write per call
/// instead of one per assignment (sled costs tens of µs per key).
const ASSIGNMENT_CHUNK_PREFIX: &[u8] = b"asgs/";
/// More chunks than this are merged into one when the next is added.
const MAX_ASSIGNMENT_CHUNKS: usize = 64;
const FLUSHED_SEQ_KEY: &[u8] = b"meta/flushed_seq";
const ROSTER_KEY: &[u8] = b"roster";

/// Deletes the snapshot files sled was still writing when the process died (`snap.<lsn>.generating`).
///
/// sled 0.34.7 writes a snapshot to `snap.<lsn>.generating`, fsyncs it and renames it to `snap.<lsn>`,
/// but when it opens it takes the last `snap.*` file by name, unfinished ones included (only
/// `.in___motion` files are skipped), and refuses to open (`Corruption { at: None }`) if that file is
/// short. A file still named `.generating` never became the snapshot in force: sled recovers from the
/// previous snapshot and its log as if it had not been started, so removing it loses nothing. Found by
/// `engine/tests/db_crash.rs`: a SIGKILL during a snapshot made the store impossible to open.
/// Returns how many were removed.
fn remove_unfinished_snapshots(dir: &Path) -> Result<usize> {
    let entries = std::fs::read_dir(dir).map_err(|e| catalog_err(&format!("listing catalog {}", dir.display()), e))?;
    let mut removed = 0;
    for entry in entries {
        let entry = entry.map_err(|e| catalog_err(&format!("listing catalog {}", dir.display()), e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            tracing::warn!(file = %entry.path().display(), "removing an unfinished catalog snapshot left by a crash");
            std::fs::remove_file(entry.path())
                .map_err(|e| catalog_err(&format!("removing {}", entry.path().display()), e))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Whether sled refused to open a directory because its lock is held (sled 0.34.7 reports that as an
/// `Other` I/O error with this text).
fn is_held_lock(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(io) if io.to_string().contains("could not acquire lock"))
}

/// How long [`SledCatalog::open`] waits for sled's directory lock.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// The `sled` (0.34.7) catalog. sled is durable only after `flush()`, so every mutation flushes.
pub struct SledCatalog {
    db: sled::Db,
}

fn catalog_err(context: &str, e: impl std::fmt::Display) -> StorageError {
    StorageError::Catalog {
        context: context.to_string(),
        detail: e.to_string(),
    }
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    bincode::serde::encode_to_vec(value, bincode::config::standard()).map_err(|e| catalog_err("encoding", e))
}

fn decode<T: DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T> {
    bincode::serde::decode_from_slice(bytes, bincode::config::standard())
        .map(|(v, _)| v)
        .map_err(|e| catalog_err(&format!("decoding {what}"), e))
}

impl SledCatalog {
    /// Opens (creating) the catalog in `dir`.
    ///
    /// sled locks its directory while open, and releases the lock only once its last background task
    /// has let go of it, which can be a little after the previous `SledCatalog` of the same process was
    /// dropped: a lock held is retried for up to 3 s, then reported (another process has the
    /// store open).
    ///
    /// If sled reports corruption and unfinished snapshot files are found, they are removed and the
    /// open is tried again (sled 0.34.7 takes an unfinished snapshot for the latest one; see docs/storage.md).
    pub fn open(dir: &Path) -> Result<SledCatalog> {
        let started = std::time::Instant::now();
        let mut snapshots_checked = false;
        loop {
            match sled::Config::new().path(dir).cache_capacity(16 << 20).open() {
                Ok(db) => return Ok(SledCatalog { db }),
                // Only once sled has refused the directory (so no process holds it open and may still
                // be writing that snapshot) are unfinished snapshots removed.
                Err(sled::Error::Corruption { .. }) if !snapshots_checked && remove_unfinished_snapshots(dir)? > 0 => {
                    snapshots_checked = true;
                }
                Err(e) if is_held_lock(&e) => {
                    if started.elapsed() >= LOCK_WAIT {
                        return Err(catalog_err(
                            &format!("opening catalog {}", dir.display()),
                            format!("it is locked (is another engagedb process using this data directory?): {e}"),
                        ));
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(e) => return Err(catalog_err(&format!("opening catalog {}", dir.display()), e)),
            }
        }
    }

    fn flush(&self, context: &str) -> Result<()> {
        self.db.flush().map(|_| ()).map_err(|e| catalog_err(context, e))
    }

    fn segment_key(id: u64) -> Vec<u8> {
        let mut k = SEGMENT_PREFIX.to_vec();
        k.extend_from_slice(&id.to_be_bytes());
        k
    }
}

impl Catalog for SledCatalog {
    fn segments(&self) -> Result<Vec<SegmentMeta>> {
        self.db
            .scan_prefix(SEGMENT_PREFIX)
            .map(|kv| {
                let (_, v) = kv.map_err(|e| catalog_err("reading segment manifest", e))?;
                decode("segment meta", &v)
            })
            .collect()
    }

    fn commit_segments(&self, added: &[SegmentMeta], removed: &[u64], flushed_seq: Option<u64>) -> Result<()> {
        let mut batch = sled::Batch::default();
        for meta in added {
            batch.insert(Self::segment_key(meta.id), encode(meta)?);
        }
        for id in removed {
            batch.remove(Self::segment_key(*id));
        }
        if let Some(seq) = flushed_seq {
            batch.insert(FLUSHED_SEQ_KEY, &seq.to_be_bytes());
        }
        self.db
            .apply_batch(batch)
            .map_err(|e| catalog_err("committing segment manifest", e))?;
        self.flush("flushing segment manifest")
    }

    fn flushed_seq(&self) -> Result<u64> {
        match self
            .db
            .get(FLUSHED_SEQ_KEY)
            .map_err(|e| catalog_err("reading flushed seq", e))?
        {
            None => Ok(0),
            Some(v) => {
                let bytes: [u8; 8] = v
                    .as_ref()
                    .try_into()
                    .map_err(|_| catalog_err("reading flushed seq", "value is not 8 bytes"))?;
                Ok(u64::from_be_bytes(bytes))
            }
        }
    }

    fn roster(&self) -> Result<Option<Roster>> {
        match self.db.get(ROSTER_KEY).map_err(|e| catalog_err("reading roster", e))? {
            None => Ok(None),
            Some(v) => decode("roster", &v).map(Some),
        }
    }

    fn put_roster(&self, roster: &Roster) -> Result<()> {
        self.db
            .insert(ROSTER_KEY, encode(roster)?)
            .map_err(|e| catalog_err("storing roster", e))?;
        self.flush("flushing roster")
    }

    fn assignments(&self) -> Result<Vec<Assignment>> {
        let mut all = Vec::new();
        for kv in self.db.scan_prefix(ASSIGNMENT_PREFIX) {
            let (_, v) = kv.map_err(|e| catalog_err("reading assignments", e))?;
            all.push(decode("assignment", &v)?);
        }
        for kv in self.db.scan_prefix(ASSIGNMENT_CHUNK_PREFIX) {
            let (_, v) = kv.map_err(|e| catalog_err("reading assignments", e))?;
            all.extend(decode::<Vec<Assignment>>("assignment chunk", &v)?);
        }
        // Id order; the stable sort keeps the earliest written first among equal ids (none are
        // expected), and that one wins.
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all.dedup_by(|later, earlier| later.id == earlier.id);
        Ok(all)
    }

    fn insert_new_assignments(&self, assignments: &[Assignment]) -> Result<()> {
        let chunk_key = |n: u64| [ASSIGNMENT_CHUNK_PREFIX, &n.to_be_bytes()].concat();
        let chunks: Vec<sled::IVec> = self
            .db
            .scan_prefix(ASSIGNMENT_CHUNK_PREFIX)
            .keys()
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| catalog_err("listing assignment chunks", e))?;
        let last = match chunks.last() {
            Some(key) => {
                let number: [u8; 8] = key[ASSIGNMENT_CHUNK_PREFIX.len()..]
                    .try_into()
                    .map_err(|_| catalog_err("listing assignment chunks", "a chunk key is not 13 bytes"))?;
                Some(u64::from_be_bytes(number))
            }
            None => None,
        };
        let next = last.map_or(0, |n| n + 1);
        let mut batch = sled::Batch::default();
        if chunks.len() >= MAX_ASSIGNMENT_CHUNKS {
            // Merge every chunk and the new assignments into one (legacy per-id entries stay).
            let mut merged = Vec::new();
            for key in &chunks {
                if let Some(v) = self.db.get(key).map_err(|e| catalog_err("reading assignments", e))? {
                    merged.extend(decode::<Vec<Assignment>>("assignment chunk", &v)?);
                }
                batch.remove(key.clone());
            }
            merged.extend_from_slice(assignments);
            batch.insert(chunk_key(next), encode(&merged)?);
        } else {
            batch.insert(chunk_key(next), encode(&assignments)?);
        }
        self.db
            .apply_batch(batch)
            .map_err(|e| catalog_err("storing assignments", e))?;
        self.flush("flushing assignments")
    }

    fn clear_segments(&self) -> Result<()> {
        let mut batch = sled::Batch::default();
        for kv in self.db.scan_prefix(SEGMENT_PREFIX) {
            let (k, _) = kv.map_err(|e| catalog_err("clearing manifest", e))?;
            batch.remove(k);
        }
        batch.remove(FLUSHED_SEQ_KEY);
        self.db
            .apply_batch(batch)
            .map_err(|e| catalog_err("clearing manifest", e))?;
        self.flush("flushing cleared manifest")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assignment(id: String) -> Assignment {
        Assignment {
            id,
            class: Some("class".into()),
            due: Some(7),
            assigned_at: None,
        }
    }

    /// A snapshot sled was still writing when the process died (a short `.generating` file, which sled
    /// would take for the latest snapshot and refuse to open) is removed, and the catalog opens with
    /// everything committed before.
    #[test]
    fn an_unfinished_snapshot_left_by_a_crash_does_not_stop_the_catalog_opening() {
        let dir = tempfile::tempdir().unwrap();
        let assignments = vec![assignment("a1".into())];
        {
            let catalog = SledCatalog::open(dir.path()).unwrap();
            catalog.insert_new_assignments(&assignments).unwrap();
        }
        std::fs::write(dir.path().join("snap.00000000FFFFFFFF.generating"), [0u8; 7]).unwrap();
        // sled itself refuses the directory (once the dropped catalog's lock is released).
        let started = std::time::Instant::now();
        let refused = loop {
            match sled::Config::new().path(dir.path()).open() {
                Err(e) if started.elapsed() < LOCK_WAIT && is_held_lock(&e) => {
                    std::thread::sleep(std::time::Duration::from_millis(20))
                }
                other => break other,
            }
        };
        assert!(
            matches!(refused, Err(sled::Error::Corruption { .. })),
            "sled opened it ({refused:?}): if sled was fixed, the workaround can go"
        );
        let catalog = SledCatalog::open(dir.path()).unwrap();
        assert_eq!(catalog.assignments().unwrap(), assignments);
    }

    /// A catalog another holder has open is reported as locked (after waiting for it), and opens
    /// once that holder is gone.
    #[test]
    fn a_catalog_in_use_is_reported_locked_and_opens_once_released() {
        let dir = tempfile::tempdir().unwrap();
        let first = SledCatalog::open(dir.path()).unwrap();
        let err = SledCatalog::open(dir.path())
            .err()
            .expect("a second open while the first holds it");
        assert!(err.to_string().contains("locked"), "{err}");
        drop(first);
        SledCatalog::open(dir.path()).unwrap();
    }

    /// Assignments come back in id order whether they were written one per key (older stores), in
    /// chunks, or in chunks that were merged, and a chunk merge loses none.
    #[test]
    fn assignments_survive_chunking_and_merging_in_id_order() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = SledCatalog::open(dir.path()).unwrap();
        let legacy = assignment("legacy".into());
        let mut key = ASSIGNMENT_PREFIX.to_vec();
        key.extend_from_slice(legacy.id.as_bytes());
        catalog.db.insert(key, encode(&legacy).unwrap()).unwrap();
        let mut expected = vec![legacy];
        for call in 0..MAX_ASSIGNMENT_CHUNKS + 5 {
            let added: Vec<Assignment> = (0..3).map(|i| assignment(format!("a{:03}-{i}", 999 - call))).collect();
            catalog.insert_new_assignments(&added).unwrap();
            expected.extend(added);
        }
        let chunks = catalog.db.scan_prefix(ASSIGNMENT_CHUNK_PREFIX).count();
        assert!(chunks < MAX_ASSIGNMENT_CHUNKS, "{chunks} chunks were never merged");
        expected.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(catalog.assignments().unwrap(), expected);
        drop(catalog);
        assert_eq!(SledCatalog::open(dir.path()).unwrap().assignments().unwrap(), expected);
    }
}
