//! Reading the Education Insights activity export (`ApplicationUsage` CSV, plain or gzip).

pub mod chunker;
pub mod columns;
pub mod fields;
pub mod input;
pub mod record;
pub mod timestamp;

pub use chunker::{Chunker, Piece, Records, DEFAULT_MAX_RECORD_BYTES, DEFAULT_PIECE_BYTES};
pub use columns::{ColumnSizes, EventColumns, KnownGuids};
pub use fields::{FieldSplitter, Fields};
pub use input::{open_activity_file, ActivityInput};
pub use record::{ActivityRecord, Layout, Reading};
pub use timestamp::{parse_duration, parse_timestamp};
