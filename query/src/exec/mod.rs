//! The executor: runs a [`QueryPlan`](crate::plan::QueryPlan) against a snapshot of the store. Subqueries
//! run first; then the main plan, as pipelines over the `events` segments (in parallel) and over
//! materialized batches.

pub mod aggregate;
pub mod array;
pub mod chunk;
pub mod eval;
pub mod index;
pub mod join;
pub mod keys;
pub mod memory;
pub mod pipeline;
pub mod postings;
pub mod roster;
pub mod scalar;
pub mod sort;
pub mod subquery;

pub use array::{Array, Batch};
pub use pipeline::{ExecOptions, Executor};
pub use scalar::eval_constant;

use std::sync::{Arc, Mutex};

use engine::{Snapshot, StorageError};
use keys::{CodeCache, CODE_CACHE_MAX_VALUES};
use roster::RosterTables;

use crate::plan::QueryPlan;
use subquery::{SubqueryResult, ValueSet};

/// A query failed while running.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The data made an expression fail: division by zero, a value out of range, a bad cast, a scalar
    /// subquery returning several rows.
    #[error("{0}")]
    Invalid(String),
    /// The query needed more memory than it may use.
    #[error("the query needs more than its memory limit of {} (in {what}); narrow it or raise the limit", human_bytes(*limit))]
    ResourcesExhausted {
        /// The limit in bytes.
        limit: usize,
        /// The operator that ran out.
        what: &'static str,
    },
    /// The store failed (I/O, corruption).
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A broken invariant of the executor: a bug, never caused by the query.
    #[error("internal error: {0}")]
    Internal(String),
}

/// What a query engine keeps between queries: the codes of segment and roster dictionaries, and the
/// roster tables as batches. Everything in it is derived and can be dropped at any time.
#[derive(Default)]
pub struct QueryCaches {
    codes: Mutex<Arc<CodeCache>>,
    /// Roster tables of the current roster version.
    pub tables: RosterTables,
}

impl QueryCaches {
    /// The code cache for a query over `snapshot`: forgets dictionaries of segments no longer live, and
    /// starts afresh once it has grown past its bound.
    pub fn codes_for(&self, snapshot: &Snapshot) -> Arc<CodeCache> {
        let Ok(mut guard) = self.codes.lock() else {
            return CodeCache::new();
        };
        if guard.len() > CODE_CACHE_MAX_VALUES {
            *guard = CodeCache::new();
        }
        let live: rustc_hash::FxHashSet<u64> = snapshot.segments(None, None).iter().map(|s| s.meta().id).collect();
        guard.retain_dicts(|id| id >= (1 << 62) || live.contains(&(id / 64)));
        guard.clone()
    }
}

/// `1536` → `1.5 KiB`, `4294967296` → `4.0 GiB`.
pub fn human_bytes(n: usize) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} bytes")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Runs a planned query: its subqueries in order, then the main plan.
pub fn run_query(
    plan: &QueryPlan,
    snapshot: &Snapshot,
    options: &ExecOptions,
    caches: &QueryCaches,
) -> Result<Batch, ExecError> {
    let mut executor = Executor::new(snapshot, options, caches);
    for sub in &plan.subqueries {
        let batch = executor.execute(&sub.plan)?;
        let result = if sub.scalar {
            if batch.rows > 1 {
                // An error only where the value is used, as in PostgreSQL (a CASE branch never taken
                // does not fail).
                SubqueryResult::TooManyRows
            } else {
                SubqueryResult::Scalar(if batch.rows == 1 {
                    batch.columns[0].value(0)
                } else {
                    crate::value::Value::Null
                })
            }
        } else {
            let column = &batch.columns[0];
            SubqueryResult::Set(ValueSet::from_values((0..batch.rows).map(|i| column.value(i))))
        };
        executor.subqueries.results.push(result);
    }
    executor.execute(&plan.root)
}
