//! [`QueryEngine`]: runs SQL scripts against an embedded store — parse everything first, then plan,
//! optimize and execute each statement on a fresh snapshot.

use std::sync::Arc;
use std::time::{Duration, Instant};

use engine::{Db, Snapshot, StorageError};

use crate::ast::Statement;
use crate::catalog::{TableId, TABLES};
use crate::error::ParseError;
use crate::exec::{run_query, Batch, ExecError, ExecOptions, QueryCaches};
use crate::parser::{parse_with_limits, ParseLimits};
use crate::plan::{bind_statement, explain, optimize, PlanError, QueryPlan, StatementPlan};
use crate::result::{ResultColumn, ResultSet};
use crate::value::Value;

/// Why a statement failed, by phase.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The text is not valid SQL of the dialect.
    #[error("syntax error: {0}")]
    Parse(#[from] ParseError),
    /// Names or types do not check out.
    #[error("{0}")]
    Plan(#[from] PlanError),
    /// Running the query failed.
    #[error("{0}")]
    Exec(#[from] ExecError),
    /// The store could not give a snapshot.
    #[error("storage error: {0}")]
    Storage(#[from] StorageError),
}

/// Runs SQL against an embedded database.
pub struct QueryEngine {
    db: Arc<Db>,
    options: ExecOptions,
    limits: ParseLimits,
    caches: QueryCaches,
}

impl QueryEngine {
    /// An engine over `db` with default options.
    pub fn new(db: Arc<Db>) -> QueryEngine {
        QueryEngine {
            db,
            options: ExecOptions::default(),
            limits: ParseLimits::default(),
            caches: QueryCaches::default(),
        }
    }

    /// Replaces the execution options (threads, memory limit).
    pub fn with_options(mut self, options: ExecOptions) -> QueryEngine {
        self.options = options;
        self
    }

    /// The execution options.
    pub fn options(&self) -> &ExecOptions {
        &self.options
    }

    /// Parses `sql` (all of it, before anything runs), then runs each statement in order, handing each
    /// result and its run time to `each`. Stops at the first failing statement.
    pub fn run_script(&self, sql: &str, each: &mut dyn FnMut(ResultSet, Duration)) -> Result<(), QueryError> {
        let statements = parse_with_limits(sql, &self.limits)?;
        for stmt in &statements {
            let started = Instant::now();
            let snapshot = self.db.snapshot()?;
            // A bug must not take the process (a server with other sessions) down: a panic while
            // planning or running one statement becomes that statement's error.
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                execute_statement(stmt, sql, &snapshot, &self.options, &self.caches)
            }));
            let result = match run {
                Ok(r) => r?,
                Err(_) => return Err(ExecError::Internal("the statement panicked (a bug in engagedb)".into()).into()),
            };
            each(result, started.elapsed());
        }
        Ok(())
    }

    /// Runs a script and returns the result of its last statement (an empty result for an empty script).
    pub fn query(&self, sql: &str) -> Result<ResultSet, QueryError> {
        let mut last = ResultSet::default();
        self.run_script(sql, &mut |r, _| last = r)?;
        Ok(last)
    }
}

/// Plans (binds and optimizes) one parsed statement of `sql`.
pub fn plan_statement(stmt: &Statement, sql: &str) -> Result<StatementPlan, PlanError> {
    Ok(match bind_statement(stmt, sql)? {
        StatementPlan::Query(q) => StatementPlan::Query(optimize(q)),
        StatementPlan::Explain(q) => StatementPlan::Explain(optimize(q)),
        other => other,
    })
}

/// Plans and runs one parsed statement of `sql` against `snapshot`.
pub fn execute_statement(
    stmt: &Statement,
    sql: &str,
    snapshot: &Snapshot,
    options: &ExecOptions,
    caches: &QueryCaches,
) -> Result<ResultSet, QueryError> {
    Ok(match plan_statement(stmt, sql)? {
        StatementPlan::Query(q) => {
            let batch = run_query(&q, snapshot, options, caches)?;
            to_result(&q, batch)
        }
        StatementPlan::Explain(q) => {
            let lines = explain(&q, Some(snapshot));
            ResultSet::text(&["plan"], lines.into_iter().map(|l| vec![Value::Text(l)]).collect())
        }
        StatementPlan::ShowTables => ResultSet::text(
            &["name", "description"],
            TABLES
                .iter()
                .map(|t| vec![Value::Text(t.name().into()), Value::Text(t.description().into())])
                .collect(),
        ),
        StatementPlan::Describe(t) => describe(t),
    })
}

fn describe(t: TableId) -> ResultSet {
    let indexed =
        |name: &str| t == TableId::Events && engine::EVENT_COLUMNS.iter().any(|c| c.name == name && c.indexed);
    let rows = t
        .columns()
        .iter()
        .map(|c| {
            vec![
                Value::Text(c.name.into()),
                Value::Text(c.ty.sql_name().into()),
                Value::Text(if c.nullable { "YES" } else { "NO" }.into()),
                Value::Text(if indexed(c.name) { "bitmap" } else { "" }.into()),
            ]
        })
        .collect();
    ResultSet::text(&["column", "type", "nullable", "index"], rows)
}

fn to_result(q: &QueryPlan, batch: Batch) -> ResultSet {
    let columns: Vec<ResultColumn> = q
        .root
        .schema()
        .into_iter()
        .map(|f| ResultColumn { name: f.name, ty: f.ty })
        .collect();
    let rows = (0..batch.rows).map(|i| batch.row(i)).collect();
    ResultSet { columns, rows }
}
