//! Immutable columnar segment files: format, writer, lazily-decoding reader and bitmap indexes.
//! The byte layout is documented in `docs/segment-format.md`.

mod bitmap;
mod bitpack;
mod column;
mod component;
mod dictionary;
mod encoding;
mod footer;
mod merge;
mod meta;
mod patched;
mod reader;
mod row_values;
mod writer;

pub use column::{DoubleColumn, IntColumn, TextColumn};
pub use component::{BlockEntry, SegmentComponent};
pub(crate) use encoding::{uuids_from_be_bytes, Malformed};
pub use footer::{FORMAT_VERSION, MAGIC};
pub use merge::merge_segments;
pub use meta::{parse_segment_file_name, segment_file_name, SegmentMeta};
pub use reader::Segment;
pub use writer::{encode_segment, encode_segment_rows};

#[cfg(test)]
mod shared_dictionary_tests;
#[cfg(test)]
mod tests;
