//! engagedb's storage engine: a durable, time-partitioned, bitmap-indexed column store for
//! student-engagement events. It knows nothing of SQL or sockets; see `docs/storage.md`.

pub mod batch;
pub mod catalog;
pub mod db;
pub mod directory;
pub mod error;
pub(crate) mod fxhash;
pub(crate) mod parallel;
pub mod partition;
pub(crate) mod recent_values;
pub mod roster;
pub mod schema;
pub mod segment;
pub mod shared_dictionary;
pub(crate) mod uuid;
pub mod wal;

pub use batch::{BatchBuilder, Column, ColumnData, EventBatch, IdColumnBuilder, StringVec, UuidVec, ValueRef};
pub use db::{Db, DbOptions, IndexFilter, ScanRequest, ScanUnit, Snapshot};
pub use error::{Result, StorageError};
pub use partition::Granularity;
pub use schema::{col, ColumnDef, ColumnType, EVENT_COLUMNS};
