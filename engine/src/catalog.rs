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
    /// Adds assignments whose id is not stored yet (first wins); returns how many were new.
    fn add_assignments(&self, assignments: &[Assignment]) -> Result<usize>;
    /// Removes every entry (used before rebuilding the manifest from segment files).
    fn clear_segments(&self) -> Result<()>;
}

const SEGMENT_PREFIX: &[u8] = b"seg/";
const ASSIGNMENT_PREFIX: &[u8] = b"asg/";
const FLUSHED_SEQ_KEY: &[u8] = b"meta/flushed_seq";
const ROSTER_KEY: &[u8] = b"roster";

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
    pub fn open(dir: &Path) -> Result<SledCatalog> {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(16 << 20)
            .open()
            .map_err(|e| catalog_err(&format!("opening catalog {}", dir.display()), e))?;
        Ok(SledCatalog { db })
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
        self.db
            .scan_prefix(ASSIGNMENT_PREFIX)
            .map(|kv| {
                let (_, v) = kv.map_err(|e| catalog_err("reading assignments", e))?;
                decode("assignment", &v)
            })
            .collect()
    }

    fn add_assignments(&self, assignments: &[Assignment]) -> Result<usize> {
        let mut added = 0;
        for a in assignments {
            let mut key = ASSIGNMENT_PREFIX.to_vec();
            key.extend_from_slice(a.id.as_bytes());
            let value = encode(a)?;
            let res = self
                .db
                .compare_and_swap(key, None as Option<&[u8]>, Some(value))
                .map_err(|e| catalog_err("storing assignment", e))?;
            if res.is_ok() {
                added += 1;
            }
        }
        self.flush("flushing assignments")?;
        Ok(added)
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
