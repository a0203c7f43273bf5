//! Tuning knobs of an embedded database, with the defaults an operator gets.

use crate::partition::Granularity;

/// Options for [`crate::Db::open`].
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// Width of a time partition; fixed when the data directory is created (recorded in its `STORE`
    /// file), so for an existing store this is ignored and `Db::options` reports the stored one.
    pub granularity: Granularity,
    /// The in-memory buffer is flushed to segments once it holds this many rows.
    pub memtable_rows: usize,
    /// fsync every WAL group commit. Turn off only for throwaway stores (tests, benchmarks that say so).
    pub sync: bool,
    /// Merge the segments of a partition in a background thread after each flush.
    pub background_compaction: bool,
    /// Drop partitions that ended more than this many microseconds before "now" (see `Db::apply_retention`).
    pub retention_us: Option<i64>,
    /// WAL files roll over at this size.
    pub wal_file_bytes: u64,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            granularity: Granularity::Day,
            memtable_rows: 1 << 20,
            sync: true,
            background_compaction: true,
            retention_us: None,
            wal_file_bytes: 64 << 20,
        }
    }
}
