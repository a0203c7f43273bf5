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
pub mod roster;
pub mod scalar;
pub mod sort;
pub mod subquery;

pub use array::{Array, Batch};
pub use pipeline::{ExecOptions, Executor};
pub use scalar::eval_constant;

use engine::{Snapshot, StorageError};

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
    #[error("the query needs more than its memory limit of {limit_mib} MiB (in {what}); narrow it or raise the limit")]
    ResourcesExhausted {
        /// The limit in MiB.
        limit_mib: usize,
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

/// Runs a planned query: its subqueries in order, then the main plan.
pub fn run_query(plan: &QueryPlan, snapshot: &Snapshot, options: &ExecOptions) -> Result<Batch, ExecError> {
    let mut executor = Executor::new(snapshot, options);
    for sub in &plan.subqueries {
        let batch = executor.execute(&sub.plan)?;
        let result = if sub.scalar {
            if batch.rows > 1 {
                return Err(ExecError::Invalid("more than one row returned by a subquery used as an expression".into()));
            }
            SubqueryResult::Scalar(if batch.rows == 1 { batch.columns[0].value(0) } else { crate::value::Value::Null })
        } else {
            let column = &batch.columns[0];
            SubqueryResult::Set(ValueSet::from_values((0..batch.rows).map(|i| column.value(i))))
        };
        executor.subqueries.results.push(result);
    }
    executor.execute(&plan.root)
}
