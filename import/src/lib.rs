//! Importers for engagedb: the Education Insights activity export and SDS / OneRoster / data-lake
//! rosters, applying the collection rules of `shared/queries/README.md`, into any [`EventSink`].

pub mod activity;
pub mod collect;
pub mod db_sink;
pub mod dedup;
pub mod error;
pub mod fasthash;
pub mod generate;
pub mod id_map;
pub mod importer;
pub mod memory_sink;
mod pipeline;
pub mod roster;
pub mod signal_key;
pub mod sink;

pub use error::{ErrorList, ImportError, RowError};
pub use importer::{import_roster, ImportOptions, ImportSummary, Progress};
pub use memory_sink::MemorySink;
pub use pipeline::import_activity;
pub use roster::{RosterFormat, RosterSummary};
pub use sink::EventSink;
