//! Reading the Education Insights activity export (`ApplicationUsage` CSV, plain or gzip).

pub mod reader;
pub mod record;
pub mod timestamp;

pub use reader::{open_activity_file, ActivityInput, FieldSplitter, Fields, RawRecord, RecordReader};
pub use record::{ActivityRecord, Layout, Reading};
pub use timestamp::{parse_duration, parse_timestamp};
