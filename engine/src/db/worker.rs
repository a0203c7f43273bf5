//! A background thread that runs one maintenance job (flush, compaction) on the database whenever it is
//! woken; wake-ups that arrive while a run is pending coalesce into one.

use std::sync::Weak;
use std::thread::JoinHandle;

use crossbeam::channel::{bounded, Sender};

use super::Db;
use crate::error::Result;

/// A named background thread running `job` after each [`Worker::notify`]. It holds only a weak
/// reference to the database, so it never keeps it open; dropping the worker stops the thread after
/// the run in progress, if any.
pub(super) struct Worker {
    wake: Option<Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts the thread. `what` names the job in the thread name and in error logs.
    pub(super) fn start(what: &'static str, db: Weak<Db>, job: fn(&Db) -> Result<()>) -> Worker {
        let (tx, rx) = bounded::<()>(1);
        let handle = std::thread::Builder::new()
            .name(format!("engagedb-{what}"))
            .spawn(move || {
                while rx.recv().is_ok() {
                    let Some(db) = db.upgrade() else { break };
                    if let Err(e) = job(&db) {
                        tracing::error!(error = %e, "background {what} failed; will retry when woken again");
                    }
                }
            })
            .ok();
        Worker { wake: Some(tx), handle }
    }

    /// Asks for a run (coalesced if one is already pending).
    pub(super) fn notify(&self) {
        if let Some(tx) = &self.wake {
            let _ = tx.try_send(());
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.wake.take();
        if let Some(h) = self.handle.take() {
            // The worker thread may hold the last Arc<Db> and be dropping it: never join ourselves.
            if h.thread().id() != std::thread::current().id() {
                let _ = h.join();
            }
        }
    }
}
