//! [`EventSink`] for the engine's embedded [`engine::Db`]: what `engagedb import --data DIR` writes into.

use std::sync::Arc;

use engine::roster::{Assignment, Roster};
use engine::{Db, EventBatch, StorageError};

use crate::sink::EventSink;

impl EventSink for Db {
    fn partition_of(&self, time_us: i64) -> i64 {
        self.options().granularity.start_of(time_us)
    }

    fn for_each_stored_signal_id(&self, partition_start: i64, visit: &mut dyn FnMut(&str)) -> Result<(), StorageError> {
        self.for_each_signal_id_in_partition(partition_start, visit)
    }

    fn append(&self, batch: EventBatch) -> Result<(), StorageError> {
        Db::append(self, batch).map(|_| ())
    }

    fn append_all(&self, batches: Vec<EventBatch>) -> Result<(), StorageError> {
        Db::append_all(self, batches).map(|_| ())
    }

    /// Rows of an imported file skip the WAL: [`Db::load`] writes them straight to segments.
    fn load_all(&self, batches: Vec<EventBatch>) -> Result<(), StorageError> {
        Db::load(self, batches)
    }

    fn make_loaded_durable(&self) -> Result<(), StorageError> {
        Db::write_loaded(self)
    }

    fn roster(&self) -> Result<Option<Arc<Roster>>, StorageError> {
        let r = Db::roster(self)?;
        Ok((!(r.orgs.is_empty() && r.classes.is_empty() && r.people.is_empty())).then_some(r))
    }

    fn replace_roster(&self, roster: Roster) -> Result<(), StorageError> {
        let update = Db::replace_roster(self, roster)?;
        if update.events_resolved > 0 {
            tracing::info!(
                events = update.events_resolved,
                "re-resolved the school of stored events"
            );
        }
        Ok(())
    }

    fn add_assignments(&self, assignments: Vec<Assignment>) -> Result<(), StorageError> {
        Db::add_assignments(self, &assignments).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use crate::{import_activity, import_roster, EventSink, ImportOptions};
    use engine::{col, Db, DbOptions, IndexFilter, ScanRequest};
    use std::path::PathBuf;

    fn shared() -> PathBuf {
        let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        loop {
            let candidate = dir.join("shared/data/oea-insights");
            if candidate.is_dir() {
                return candidate;
            }
            assert!(
                dir.pop(),
                "shared/data/oea-insights not found above {}",
                env!("CARGO_MANIFEST_DIR")
            );
        }
    }

    /// The HEd sample imported into a real on-disk store gives the contract's figures, is durable when
    /// the import returns (the store is dropped without `close`), and a second import of the same file
    /// stores nothing.
    #[test]
    fn hed_sample_into_embedded_store() {
        let data = shared();
        let dir = tempfile::tempdir().unwrap();
        let opts = DbOptions {
            background_compaction: false,
            ..DbOptions::default()
        };
        let db = Db::open(dir.path(), opts.clone()).unwrap();
        import_roster(db.as_ref(), &data.join("roster/hed_raw")).unwrap();
        let file = data.join("activity/hed_reconstructed_raw/ApplicationUsage_reconstructed.csv.gz");
        let summary = import_activity(db.as_ref(), &file, &ImportOptions::default(), &mut |_| {}).unwrap();
        assert_eq!(summary.events_stored, 78_603);
        assert_eq!(db.loaded_rows_buffered(), 0);
        drop(db);
        let db = Db::open(dir.path(), opts).unwrap();
        let snap = db.snapshot().unwrap();
        assert_eq!(snap.rows(), 78_603);
        assert_eq!(snap.assignments().len(), 332);
        let teams = ScanRequest {
            filters: vec![IndexFilter {
                column: col::APP,
                values: vec!["Teams".into()],
            }],
            ..Default::default()
        };
        assert_eq!(snap.count(&teams).unwrap(), 20_950);
        assert!(EventSink::roster(db.as_ref()).unwrap().is_some());
        let again = import_activity(db.as_ref(), &file, &ImportOptions::default(), &mut |_| {}).unwrap();
        assert_eq!(again.events_stored, 0);
        assert_eq!(again.duplicates_dropped, 78_603);
        assert_eq!(db.snapshot().unwrap().rows(), 78_603);
    }
}
