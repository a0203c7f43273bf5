//! The store's shared dictionaries: for each column the schema marks
//! [`shared_dictionary`](crate::schema::ColumnDef::shared_dictionary) (student, class, assignment,
//! meeting), one append-only list of the distinct UUIDs ever flushed, numbered from 0 in the order they
//! were first flushed. A segment's dictionary block for such a column lists these global ids instead of
//! 16-byte values (`docs/segment-format.md`), so a student active on 200 days is stored once, not in 200
//! day segments: per-day UUID dictionaries were ~6 of the 22 bytes/event of a generated district.
//!
//! **Durability.** Entries live in immutable chunk files (see `chunk.rs`) in the store's `dictionaries/`
//! directory, written through [`Directory::atomic_write`]. [`SharedDictionaries::persist`] writes the
//! entries added since its last call; the store calls it before writing any segment, so a segment on
//! disk only names ids whose chunk is durable. Ids handed out in memory and lost in a crash were never
//! referenced on disk. Entries are never removed (retention drops segments, not dictionary entries): the
//! dictionaries grow with the roster, not with the number of events.

mod chunk;

use crate::directory::Directory;
use crate::error::{Result, StorageError};
use crate::fxhash::FxBuildHasher;
use crate::schema::EVENT_COLUMNS;
use chunk::{Chunk, ChunkName};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

/// When a column has more chunk files than this, the next [`SharedDictionaries::persist`] rewrites its
/// whole dictionary as one chunk and deletes the others, so opening a store reads a handful of files.
const MAX_CHUNKS_PER_COLUMN: usize = 16;

/// Every shared dictionary of a store, with the directory their chunks are persisted in.
#[derive(Debug)]
pub struct SharedDictionaries {
    dir: Arc<dyn Directory>,
    /// By schema column: `Some` for the shared-dictionary columns.
    columns: Vec<Option<SharedDictionary>>,
}

/// One column's shared dictionary: global id → UUID and back.
#[derive(Debug)]
pub struct SharedDictionary {
    column: usize,
    entries: RwLock<Entries>,
    /// What is on disk; held while persisting, so chunks are written one at a time and in order.
    persisted: Mutex<Persisted>,
}

#[derive(Debug, Default)]
struct Entries {
    values: Vec<u128>,
    /// Value → id, built on first use: reading segments only needs `values`, so opening a store (every
    /// query shell, every cold read) does not hash every student, class and assignment.
    ids: Option<HashMap<u128, u32, FxBuildHasher>>,
}

/// The value → id map of `values`. A value listed twice (which no writer of this engine produces) keeps
/// its first id; the second decodes to the same value, so reads stay right.
fn map_of(values: &[u128]) -> HashMap<u128, u32, FxBuildHasher> {
    let mut ids = HashMap::with_capacity_and_hasher(values.len(), FxBuildHasher::default());
    for (id, &v) in values.iter().enumerate() {
        ids.entry(v).or_insert(id as u32);
    }
    ids
}

#[derive(Debug, Default)]
struct Persisted {
    /// Entries `0..len` are in chunk files.
    len: usize,
    /// The column's chunk files, by name.
    files: Vec<String>,
}

impl SharedDictionaries {
    /// Loads the dictionaries persisted in `dir` (empty for a new store); `path` names `dir` in errors.
    ///
    /// Every chunk is checked (magic, version, lengths, checksum, that the chunks of a column cover its
    /// ids from 0 without a gap and agree where they overlap); damage is
    /// [`StorageError::Corruption`] naming the file. Chunks made redundant by a consolidated one (left
    /// by a crash before their deletion) are deleted.
    pub fn open(dir: Arc<dyn Directory>, path: impl Into<PathBuf>) -> Result<SharedDictionaries> {
        let path = path.into();
        let mut chunks: Vec<Vec<Chunk>> = EVENT_COLUMNS.iter().map(|_| Vec::new()).collect();
        for name in dir.list()? {
            let Some(parsed) = ChunkName::parse(&name) else {
                tracing::warn!(file = %path.join(&name).display(), "ignoring a file that is not a dictionary chunk");
                continue;
            };
            let bytes = dir.open_read(&name)?;
            let chunk = Chunk::decode(&bytes, &parsed)
                .map_err(|m| StorageError::corruption(path.join(&name), m.at as u64, m.detail))?;
            chunks[parsed.column].push(chunk);
        }
        let mut columns = Vec::with_capacity(EVENT_COLUMNS.len());
        for (c, mut column_chunks) in chunks.into_iter().enumerate() {
            if !EVENT_COLUMNS[c].shared_dictionary {
                if let Some(chunk) = column_chunks.first() {
                    return Err(StorageError::corruption(
                        path.join(chunk.name.file_name()),
                        0,
                        format!("column {} has no shared dictionary", EVENT_COLUMNS[c].name),
                    ));
                }
                columns.push(None);
                continue;
            }
            // Widest chunk first among those starting at the same id.
            column_chunks.sort_by_key(|ch| (ch.name.first, std::cmp::Reverse(ch.name.end)));
            let mut entries = Entries::default();
            let mut files = Vec::new();
            for chunk in column_chunks {
                let name = chunk.name.file_name();
                let bad = |detail: String| StorageError::corruption(path.join(&name), 0, detail);
                let len = entries.values.len();
                if chunk.name.end as usize <= len {
                    tracing::info!(file = %name, "deleting a dictionary chunk covered by a consolidated one");
                    dir.delete(&name)?;
                    continue;
                }
                let first = chunk.name.first as usize;
                if first > len {
                    return Err(bad(format!("entries {len}..{first} of the dictionary are missing")));
                }
                if chunk.values[..len - first] != entries.values[first..] {
                    return Err(bad("overlapping dictionary chunks disagree".into()));
                }
                entries.values.extend_from_slice(&chunk.values[len - first..]);
                files.push(name);
            }
            let persisted = Persisted {
                len: entries.values.len(),
                files,
            };
            columns.push(Some(SharedDictionary {
                column: c,
                entries: RwLock::new(entries),
                persisted: Mutex::new(persisted),
            }));
        }
        Ok(SharedDictionaries { dir, columns })
    }

    /// Column `c`'s shared dictionary, if the schema gives it one.
    pub fn column(&self, c: usize) -> Option<&SharedDictionary> {
        self.columns.get(c).and_then(Option::as_ref)
    }

    /// Makes every entry added so far durable (one new chunk file per column that grew). Called before
    /// a segment naming those entries is written.
    pub fn persist(&self) -> Result<()> {
        for dict in self.columns.iter().flatten() {
            dict.persist(self.dir.as_ref())?;
        }
        Ok(())
    }

    /// Bytes of chunk files per shared-dictionary column, as `(column, bytes)` (for size accounting).
    pub fn file_bytes(&self) -> Result<Vec<(usize, u64)>> {
        let mut out = Vec::new();
        for dict in self.columns.iter().flatten() {
            let files = dict.persisted.lock().map_err(|_| poisoned())?.files.clone();
            let mut bytes = 0u64;
            for name in files {
                bytes += self.dir.open_read(&name)?.len() as u64;
            }
            out.push((dict.column, bytes));
        }
        Ok(out)
    }
}

impl SharedDictionary {
    /// The global ids of `values`, giving the ones not yet in the dictionary the next ids in the order
    /// given (a segment passes its sorted dictionary, so ids mostly ascend with the values, which keeps
    /// the segments' id lists small). `InvalidInput` if the dictionary would exceed `u32::MAX` entries.
    pub fn ids_of(&self, values: &[u128]) -> Result<Vec<u32>> {
        {
            let entries = self.entries.read().map_err(|_| poisoned())?;
            if let Some(ids) = &entries.ids {
                let known: Option<Vec<u32>> = values.iter().map(|v| ids.get(v).copied()).collect();
                if let Some(known) = known {
                    return Ok(known);
                }
            }
        }
        let mut entries = self.entries.write().map_err(|_| poisoned())?;
        let Entries { values: all, ids } = &mut *entries;
        let ids = ids.get_or_insert_with(|| map_of(all));
        values
            .iter()
            .map(|&v| {
                if let Some(&id) = ids.get(&v) {
                    return Ok(id);
                }
                let id = u32::try_from(all.len()).map_err(|_| {
                    StorageError::InvalidInput(format!(
                        "the shared dictionary of column {} is full",
                        EVENT_COLUMNS[self.column].name
                    ))
                })?;
                ids.insert(v, id);
                all.push(v);
                Ok(id)
            })
            .collect()
    }

    /// The values of `ids`, or `None` if one is not in the dictionary.
    pub fn values_of(&self, ids: &[u32]) -> Result<Option<Vec<u128>>> {
        let entries = self.entries.read().map_err(|_| poisoned())?;
        Ok(ids.iter().map(|&id| entries.values.get(id as usize).copied()).collect())
    }

    /// The position in `ids` of the id whose value is `value`, by binary search: `ids` must name values
    /// in ascending order (a segment's dictionary), and every id must be in the dictionary. Resolves
    /// only the ~log2(n) ids it probes, under one read lock.
    pub fn search(&self, ids: &[u32], value: u128) -> Result<Option<u32>> {
        let entries = self.entries.read().map_err(|_| poisoned())?;
        let (mut lo, mut hi) = (0, ids.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let probe = entries
                .values
                .get(ids[mid] as usize)
                .copied()
                .ok_or_else(|| StorageError::Internal(format!("id {} beyond the shared dictionary", ids[mid])))?;
            match probe.cmp(&value) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(Some(mid as u32)),
            }
        }
        Ok(None)
    }

    /// Number of entries (persisted or not).
    pub fn len(&self) -> Result<usize> {
        Ok(self.entries.read().map_err(|_| poisoned())?.values.len())
    }

    /// Whether the dictionary has no entries.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    fn persist(&self, dir: &dyn Directory) -> Result<()> {
        let mut persisted = self.persisted.lock().map_err(|_| poisoned())?;
        let consolidate = persisted.files.len() >= MAX_CHUNKS_PER_COLUMN;
        let first = if consolidate { 0 } else { persisted.len };
        let (name, bytes) = {
            let entries = self.entries.read().map_err(|_| poisoned())?;
            let end = entries.values.len();
            if end == persisted.len {
                return Ok(());
            }
            let name = ChunkName {
                column: self.column,
                first: first as u32,
                end: end as u32,
            };
            let bytes = chunk::encode(&name, &entries.values[first..end]);
            (name, bytes)
        };
        dir.atomic_write(&name.file_name(), &bytes)?;
        if consolidate {
            // The new chunk covers every older one; a crash before these deletions leaves them to `open`.
            for old in std::mem::take(&mut persisted.files) {
                dir.delete(&old)?;
            }
        }
        persisted.len = name.end as usize;
        persisted.files.push(name.file_name());
        Ok(())
    }
}

fn poisoned() -> StorageError {
    StorageError::Internal("a shared dictionary lock was poisoned by a panic".into())
}

#[cfg(test)]
mod tests;
