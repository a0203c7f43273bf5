//! The per-query memory budget: operators that hold data (groups, sort buffers, join tables, collected
//! rows) reserve what they hold, and a query that would exceed the limit fails with a clear error
//! instead of being killed by the operating system.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::ExecError;

/// The memory a query may use, shared by its operators and threads.
#[derive(Debug)]
pub struct MemoryBudget {
    limit: usize,
    used: AtomicUsize,
}

impl MemoryBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Arc<MemoryBudget> {
        Arc::new(MemoryBudget {
            limit,
            used: AtomicUsize::new(0),
        })
    }

    /// A reservation for one operator (`what` names it in the error).
    pub fn reservation(self: &Arc<Self>, what: &'static str) -> Reservation {
        Reservation {
            budget: self.clone(),
            bytes: 0,
            what,
        }
    }

    /// Bytes reserved now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }
}

/// Bytes held by one operator; released when dropped.
#[derive(Debug)]
pub struct Reservation {
    budget: Arc<MemoryBudget>,
    bytes: usize,
    what: &'static str,
}

impl Reservation {
    /// Sets the reservation to `bytes`; fails, holding the old amount, if the budget would be exceeded.
    pub fn resize(&mut self, bytes: usize) -> Result<(), ExecError> {
        if bytes > self.bytes {
            let add = bytes - self.bytes;
            let now = self.budget.used.fetch_add(add, Ordering::Relaxed) + add;
            if now > self.budget.limit {
                self.budget.used.fetch_sub(add, Ordering::Relaxed);
                return Err(ExecError::ResourcesExhausted {
                    limit: self.budget.limit,
                    what: self.what,
                });
            }
        } else {
            self.budget.used.fetch_sub(self.bytes - bytes, Ordering::Relaxed);
        }
        self.bytes = bytes;
        Ok(())
    }

    /// Another reservation on the same budget for the same operator.
    pub fn sibling(&self) -> Reservation {
        self.budget.reservation(self.what)
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exceeding_the_budget_is_an_error_and_releases_nothing_twice() {
        let b = MemoryBudget::new(1000);
        let mut r = b.reservation("test");
        r.resize(600).unwrap();
        let mut r2 = b.reservation("other");
        assert!(matches!(r2.resize(500), Err(ExecError::ResourcesExhausted { .. })));
        assert_eq!(b.used(), 600);
        r.resize(100).unwrap();
        r2.resize(500).unwrap();
        drop(r);
        drop(r2);
        assert_eq!(b.used(), 0);
    }
}
