//! Planning: the binder resolves names and types of an AST into a [`Plan`] tree, the optimizer pushes
//! predicates down and turns those on indexed `events` columns into bitmap operations and time bounds.

mod binder;
mod explain;
mod expr;
mod function;
mod optimize;
mod scope;

pub use binder::{bind_statement, PlanError};
pub use explain::explain;
pub use expr::{AggFunc, AggregateCall, ArithOp, CmpOp, ScalarExpr, ScalarFunc, TrimSide};
pub use optimize::optimize;

use crate::ast::JoinKind;
use crate::catalog::TableId;
use crate::value::DataType;

/// A column of a plan node's output.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Output name.
    pub name: String,
    /// Type.
    pub ty: DataType,
}

/// One key of a `Sort`.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    /// What to sort by, over the sort's input.
    pub expr: ScalarExpr,
    /// Descending.
    pub desc: bool,
    /// Where NULLs go.
    pub nulls_first: bool,
}

/// Which values an index leaf accepts.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexValues {
    /// Literal values (an `=` or an `IN` list).
    List(Vec<String>),
    /// The result of an uncorrelated `IN (SELECT …)`.
    Subquery(usize),
}

/// A boolean combination of predicates on indexed `events` columns (student, class, school, app,
/// signal, action), evaluated per segment as roaring-bitmap operations with SQL's three-valued logic.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexPredicate {
    /// Indexed column `column` (engine column index) is one of `values`.
    In {
        /// Engine column index.
        column: usize,
        /// Accepted values.
        values: IndexValues,
    },
    /// `column IS [NOT] NULL`.
    IsNull {
        /// Engine column index.
        column: usize,
        /// `IS NOT NULL`.
        negated: bool,
    },
    /// All of these.
    And(Vec<IndexPredicate>),
    /// Any of these.
    Or(Vec<IndexPredicate>),
    /// Not this.
    Not(Box<IndexPredicate>),
}

/// What the `events` scan does before any column is read: prune partitions and segments by time, then
/// select rows with bitmaps.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventsFilter {
    /// Inclusive lower bound on `time` (µs).
    pub from: Option<i64>,
    /// Exclusive upper bound on `time` (µs).
    pub to: Option<i64>,
    /// Set when the time bounds contradict each other: nothing matches.
    pub empty: bool,
    /// Bitmap predicates, all ANDed.
    pub index: Vec<IndexPredicate>,
}

/// A plan tree. Every node's output is a list of [`Field`]s; expressions refer to the fields of the
/// node's input by position (for `Join`, left fields then right fields).
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// The `events` table, all columns in schema order, filtered as `filter` says.
    EventsScan {
        /// Pushed-down time bounds and bitmap predicates.
        filter: EventsFilter,
    },
    /// A roster table (or `assignments`), all columns.
    TableScan {
        /// Which table.
        table: TableId,
    },
    /// One row with no columns (`SELECT` without `FROM`).
    OneRow,
    /// Rows of `input` where `predicate` is true.
    Filter {
        /// Input.
        input: Box<Plan>,
        /// Boolean predicate.
        predicate: ScalarExpr,
    },
    /// Computes `exprs` per input row.
    Project {
        /// Input.
        input: Box<Plan>,
        /// Output expressions.
        exprs: Vec<ScalarExpr>,
        /// Output names.
        names: Vec<String>,
    },
    /// Equi-join (hash join); `residual` is evaluated over left fields then right fields.
    Join {
        /// Left input.
        left: Box<Plan>,
        /// Right input.
        right: Box<Plan>,
        /// Inner or left outer.
        kind: JoinKind,
        /// Key expressions over the left input.
        left_keys: Vec<ScalarExpr>,
        /// Key expressions over the right input (same count and comparable types).
        right_keys: Vec<ScalarExpr>,
        /// Other conditions of `ON`.
        residual: Option<ScalarExpr>,
    },
    /// Groups by `keys` and computes `aggs`; output is the keys then the aggregates.
    Aggregate {
        /// Input.
        input: Box<Plan>,
        /// Group keys over the input (none: one group, even over no rows).
        keys: Vec<ScalarExpr>,
        /// Aggregates over the input.
        aggs: Vec<AggregateCall>,
        /// Output names (keys then aggregates), for EXPLAIN and derived tables.
        names: Vec<String>,
    },
    /// Sorts (stable).
    Sort {
        /// Input.
        input: Box<Plan>,
        /// Keys, most significant first.
        keys: Vec<SortKey>,
    },
    /// Skips `offset` rows and keeps at most `limit`.
    Limit {
        /// Input.
        input: Box<Plan>,
        /// Rows kept (`None`: all).
        limit: Option<u64>,
        /// Rows skipped.
        offset: u64,
    },
    /// Removes duplicate rows.
    Distinct {
        /// Input.
        input: Box<Plan>,
    },
}

impl Plan {
    /// The node's output columns.
    pub fn schema(&self) -> Vec<Field> {
        match self {
            Plan::EventsScan { .. } => table_fields(TableId::Events),
            Plan::TableScan { table } => table_fields(*table),
            Plan::OneRow => vec![],
            Plan::Filter { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Limit { input, .. }
            | Plan::Distinct { input } => input.schema(),
            Plan::Project { exprs, names, .. } => exprs
                .iter()
                .zip(names)
                .map(|(e, n)| Field {
                    name: n.clone(),
                    ty: e.data_type(),
                })
                .collect(),
            Plan::Join { left, right, .. } => {
                let mut f = left.schema();
                f.extend(right.schema());
                f
            }
            Plan::Aggregate { keys, aggs, names, .. } => keys
                .iter()
                .map(ScalarExpr::data_type)
                .chain(aggs.iter().map(|a| a.ty))
                .zip(names)
                .map(|(ty, n)| Field { name: n.clone(), ty })
                .collect(),
        }
    }

    /// Whether the subtree reads the `events` table.
    pub fn reads_events(&self) -> bool {
        match self {
            Plan::EventsScan { .. } => true,
            Plan::TableScan { .. } | Plan::OneRow => false,
            Plan::Filter { input, .. }
            | Plan::Project { input, .. }
            | Plan::Aggregate { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Limit { input, .. }
            | Plan::Distinct { input } => input.reads_events(),
            Plan::Join { left, right, .. } => left.reads_events() || right.reads_events(),
        }
    }
}

fn table_fields(table: TableId) -> Vec<Field> {
    table
        .columns()
        .iter()
        .map(|c| Field {
            name: c.name.to_string(),
            ty: c.ty,
        })
        .collect()
}

/// A subquery computed before the statement's main plan: its rows feed an `IN` or a scalar value.
#[derive(Debug, Clone, PartialEq)]
pub struct Subquery {
    /// The subquery's plan (one output column).
    pub plan: Plan,
    /// Whether it is used as a scalar (at most one row allowed) rather than an `IN` set.
    pub scalar: bool,
}

/// A planned query: the main plan and the subqueries it uses, in the order they must run (a subquery
/// only refers to subqueries before it).
#[derive(Debug, Clone, PartialEq)]
pub struct QueryPlan {
    /// The main plan.
    pub root: Plan,
    /// Uncorrelated subqueries referenced by index from expressions and index predicates.
    pub subqueries: Vec<Subquery>,
}

/// What a statement does once planned.
#[derive(Debug, Clone, PartialEq)]
pub enum StatementPlan {
    /// Run a query.
    Query(QueryPlan),
    /// Describe a query's plan.
    Explain(QueryPlan),
    /// List the tables.
    ShowTables,
    /// List a table's columns.
    Describe(TableId),
}
