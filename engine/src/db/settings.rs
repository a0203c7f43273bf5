//! The data directory's settings file, `STORE`: what is fixed when a store is created and must be the
//! same every time it is opened. Today that is the partition granularity: partition starts are
//! stored in segments, and de-duplication, retention and flushing all compute partitions, so opening
//! a week-partitioned store as a day-partitioned one would silently miss duplicates and drop the
//! wrong data. The file lives beside the catalog, not in it, so a lost catalog (rebuilt from the
//! segment files) never loses it.
//!
//! Format (UTF-8 text, written atomically once):
//! ```text
//! engagedb store 1
//! partition day
//! ```

use std::path::Path;

use crate::directory::{Directory, MmapDirectory};
use crate::error::{Result, StorageError};
use crate::partition::Granularity;

/// Name of the settings file in the data directory.
pub const SETTINGS_FILE: &str = "STORE";
/// First line of the file: what it is and the version of its layout.
const HEADER: &str = "engagedb store 1";

/// The settings a data directory was created with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreSettings {
    /// Width of the time partitions.
    pub granularity: Granularity,
}

impl StoreSettings {
    /// Reads the settings of the data directory `dir`, writing them first if the store has none:
    /// a new store (`existed` false) takes `requested`; a store created before the settings file
    /// existed was day-partitioned, the only granularity those versions created.
    pub fn load_or_create(dir: &MmapDirectory, requested: Granularity, existed: bool) -> Result<StoreSettings> {
        if dir.exists(SETTINGS_FILE) {
            let bytes = dir.open_read(SETTINGS_FILE)?;
            return StoreSettings::parse(&bytes, &dir.path_of(SETTINGS_FILE));
        }
        let settings = StoreSettings {
            granularity: if existed { Granularity::Day } else { requested },
        };
        dir.atomic_write(SETTINGS_FILE, settings.encode().as_bytes())?;
        Ok(settings)
    }

    /// The file's text.
    fn encode(&self) -> String {
        format!("{HEADER}\npartition {}\n", self.granularity.name())
    }

    /// Parses the file's bytes; anything unexpected is corruption naming `path`, the byte offset
    /// and the line.
    fn parse(bytes: &[u8], path: &Path) -> Result<StoreSettings> {
        let bad = |at: usize, detail: String| StorageError::corruption(path, at as u64, detail);
        let text =
            std::str::from_utf8(bytes).map_err(|e| bad(e.valid_up_to(), "the settings file is not UTF-8".into()))?;
        // (line number, byte offset where the line starts, its text trimmed)
        let mut start = 0;
        let mut numbered = Vec::new();
        for (i, line) in text.split_inclusive('\n').enumerate() {
            numbered.push((i + 1, start, line.trim()));
            start += line.len();
        }
        let mut numbered = numbered.into_iter();
        match numbered.next() {
            Some((_, _, HEADER)) => {}
            Some((n, at, other)) => {
                return Err(bad(
                    at,
                    format!("line {n}: expected '{HEADER}', found '{other}' (written by a newer engagedb?)"),
                ))
            }
            None => return Err(bad(0, "the settings file is empty".into())),
        }
        let mut granularity = None;
        for (n, at, line) in numbered.filter(|(_, _, l)| !l.is_empty()) {
            match line.split_once(' ') {
                Some(("partition", value)) => {
                    granularity = Some(Granularity::parse(value.trim()).ok_or_else(|| {
                        bad(
                            at,
                            format!("line {n}: unknown partition '{value}' (hour, day, week or month)"),
                        )
                    })?);
                }
                _ => return Err(bad(at, format!("line {n}: unknown setting '{line}'"))),
            }
        }
        let granularity = granularity.ok_or_else(|| bad(bytes.len(), "the settings file names no partition".into()))?;
        Ok(StoreSettings { granularity })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> (tempfile::TempDir, MmapDirectory) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = MmapDirectory::open(tmp.path()).unwrap();
        (tmp, dir)
    }

    #[test]
    fn a_new_store_keeps_the_requested_granularity_for_good() {
        let (_tmp, dir) = dir();
        let first = StoreSettings::load_or_create(&dir, Granularity::Week, false).unwrap();
        assert_eq!(first.granularity, Granularity::Week);
        // Later opens get what was written, whatever they ask for.
        let again = StoreSettings::load_or_create(&dir, Granularity::Day, true).unwrap();
        assert_eq!(again, first);
    }

    #[test]
    fn a_store_from_before_the_settings_file_is_day_partitioned() {
        let (_tmp, dir) = dir();
        let legacy = StoreSettings::load_or_create(&dir, Granularity::Month, true).unwrap();
        assert_eq!(legacy.granularity, Granularity::Day);
        assert!(dir.exists(SETTINGS_FILE));
    }

    #[test]
    fn damaged_settings_are_corruption_naming_the_file_and_line() {
        for (text, expected) in [
            ("", "empty"),
            (
                "engagedb store 2\npartition day\n",
                "line 1: expected 'engagedb store 1'",
            ),
            (
                "engagedb store 1\npartition fortnight\n",
                "line 2: unknown partition 'fortnight'",
            ),
            (
                "engagedb store 1\ncolour blue\n",
                "line 2: unknown setting 'colour blue'",
            ),
            ("engagedb store 1\n", "names no partition"),
        ] {
            let (_tmp, dir) = dir();
            dir.atomic_write(SETTINGS_FILE, text.as_bytes()).unwrap();
            let err = StoreSettings::load_or_create(&dir, Granularity::Day, true).unwrap_err();
            let message = err.to_string();
            assert!(matches!(err, StorageError::Corruption { .. }), "{message}");
            assert!(
                message.contains(expected) && message.contains(SETTINGS_FILE),
                "{text:?}: {message}"
            );
        }
    }
}
