//! The optimizer: pushes predicates down (through projections, into join inputs) until they reach a
//! table, and turns those that reach the `events` scan into time bounds (partition and segment pruning)
//! and bitmap predicates on indexed columns. What cannot be pushed stays as a `Filter`.

use crate::ast::JoinKind;
use crate::plan::expr::{CmpOp, ScalarExpr};
use crate::plan::{EventsFilter, IndexPredicate, IndexValues, Plan, QueryPlan};
use crate::value::Value;
use engine::{col, EVENT_COLUMNS};

/// Optimizes the main plan and every subquery plan.
pub fn optimize(mut q: QueryPlan) -> QueryPlan {
    q.root = optimize_plan(q.root);
    for s in &mut q.subqueries {
        s.plan = optimize_plan(std::mem::replace(&mut s.plan, Plan::OneRow));
    }
    q
}

fn optimize_plan(plan: Plan) -> Plan {
    match plan {
        Plan::Filter { input, predicate } => push_filter(optimize_plan(*input), predicate.conjuncts()),
        Plan::Join {
            left,
            right,
            kind,
            left_keys,
            right_keys,
            residual,
        } => {
            let left_len = left.schema().len();
            let (mut left, mut right) = (optimize_plan(*left), optimize_plan(*right));
            let mut keep = Vec::new();
            let (mut to_left, mut to_right) = (Vec::new(), Vec::new());
            for term in residual.map(ScalarExpr::conjuncts).unwrap_or_default() {
                match side_of(&term, left_len) {
                    // For a LEFT join, a condition on the left side only decides matching, not which
                    // left rows survive, so it stays in the join.
                    Some(Side::Left) if kind == JoinKind::Inner => to_left.push(term),
                    Some(Side::Right) => to_right.push(term.map_columns(&|c| c - left_len)),
                    _ => keep.push(term),
                }
            }
            if !to_left.is_empty() {
                left = push_filter(left, to_left);
            }
            if !to_right.is_empty() {
                right = push_filter(right, to_right);
            }
            Plan::Join {
                left: Box::new(left),
                right: Box::new(right),
                kind,
                left_keys,
                right_keys,
                residual: ScalarExpr::and_all(keep),
            }
        }
        Plan::Project { input, exprs, names } => Plan::Project {
            input: Box::new(optimize_plan(*input)),
            exprs,
            names,
        },
        Plan::Aggregate {
            input,
            keys,
            aggs,
            names,
        } => Plan::Aggregate {
            input: Box::new(optimize_plan(*input)),
            keys,
            aggs,
            names,
        },
        Plan::Sort { input, keys } => Plan::Sort {
            input: Box::new(optimize_plan(*input)),
            keys,
        },
        Plan::Limit { input, limit, offset } => Plan::Limit {
            input: Box::new(optimize_plan(*input)),
            limit,
            offset,
        },
        Plan::Distinct { input } => Plan::Distinct {
            input: Box::new(optimize_plan(*input)),
        },
        leaf => leaf,
    }
}

#[derive(PartialEq)]
enum Side {
    Left,
    Right,
}

fn side_of(e: &ScalarExpr, left_len: usize) -> Option<Side> {
    let mut cols = Vec::new();
    e.collect_columns(&mut cols);
    if cols.is_empty() {
        None
    } else if cols.iter().all(|&c| c < left_len) {
        Some(Side::Left)
    } else if cols.iter().all(|&c| c >= left_len) {
        Some(Side::Right)
    } else {
        None
    }
}

/// Places the conjuncts `terms` as far down into `plan` (already optimized) as they can go.
fn push_filter(plan: Plan, terms: Vec<ScalarExpr>) -> Plan {
    if terms.is_empty() {
        return plan;
    }
    match plan {
        Plan::Filter { input, predicate } => {
            let mut all = predicate.conjuncts();
            all.extend(terms);
            push_filter(*input, all)
        }
        Plan::EventsScan { mut filter } => {
            let mut rest = Vec::new();
            for t in terms {
                if !absorb_into_events(&mut filter, &t) {
                    rest.push(t);
                }
            }
            filter_over(Plan::EventsScan { filter }, rest)
        }
        Plan::Project { input, exprs, names } => {
            // Substitute the projected expressions so the terms read the projection's input.
            let pushed: Vec<ScalarExpr> = terms.iter().map(|t| substitute(t, &exprs)).collect();
            let input = push_filter(*input, pushed);
            Plan::Project {
                input: Box::new(input),
                exprs,
                names,
            }
        }
        Plan::Join {
            left,
            right,
            kind,
            left_keys,
            right_keys,
            residual,
        } => {
            let left_len = left.schema().len();
            let (mut to_left, mut to_right, mut keep) = (Vec::new(), Vec::new(), Vec::new());
            for t in terms {
                match side_of(&t, left_len) {
                    Some(Side::Left) => to_left.push(t),
                    // Below a LEFT join, the right side's rows may be NULL-extended: a WHERE on them
                    // must see the join's output.
                    Some(Side::Right) if kind == JoinKind::Inner => to_right.push(t.map_columns(&|c| c - left_len)),
                    _ => keep.push(t),
                }
            }
            let join = Plan::Join {
                left: Box::new(push_filter(*left, to_left)),
                right: Box::new(push_filter(*right, to_right)),
                kind,
                left_keys,
                right_keys,
                residual,
            };
            filter_over(join, keep)
        }
        other => filter_over(other, terms),
    }
}

fn filter_over(plan: Plan, terms: Vec<ScalarExpr>) -> Plan {
    match ScalarExpr::and_all(terms) {
        Some(predicate) => Plan::Filter {
            input: Box::new(plan),
            predicate,
        },
        None => plan,
    }
}

/// Replaces each column reference `i` with `exprs[i]`.
fn substitute(e: &ScalarExpr, exprs: &[ScalarExpr]) -> ScalarExpr {
    match e {
        ScalarExpr::Column { index, .. } => exprs[*index].clone(),
        _ => e.map_children(&|c| substitute(c, exprs)),
    }
}

/// Takes `term` into the events scan's filter if it is a time bound or an indexed-column predicate.
fn absorb_into_events(filter: &mut EventsFilter, term: &ScalarExpr) -> bool {
    if let Some((op, t)) = time_bound(term) {
        let (from, to) = match op {
            CmpOp::Eq => (Some(t), t.checked_add(1)),
            CmpOp::Gt => (t.checked_add(1), None),
            CmpOp::GtEq => (Some(t), None),
            CmpOp::Lt => (None, Some(t)),
            CmpOp::LtEq => (None, t.checked_add(1)),
            CmpOp::NotEq => return false,
        };
        if let Some(f) = from {
            filter.from = Some(filter.from.map_or(f, |x| x.max(f)));
        }
        if let Some(t) = to {
            filter.to = Some(filter.to.map_or(t, |x| x.min(t)));
        }
        if let (Some(f), Some(t)) = (filter.from, filter.to) {
            filter.empty |= f >= t;
        }
        return true;
    }
    match index_predicate(term) {
        Some(p) => {
            filter.index.push(p);
            true
        }
        None => false,
    }
}

/// `time op <timestamp literal>` (either way round) as `(op, t)` with `time` on the left.
fn time_bound(e: &ScalarExpr) -> Option<(CmpOp, i64)> {
    let ScalarExpr::Cmp { op, left, right } = e else {
        return None;
    };
    match (left.as_ref(), right.as_ref()) {
        (ScalarExpr::Column { index: col::TIME, .. }, ScalarExpr::Literal(Value::Timestamp(t), _)) => Some((*op, *t)),
        (ScalarExpr::Literal(Value::Timestamp(t), _), ScalarExpr::Column { index: col::TIME, .. }) => {
            Some((op.flip(), *t))
        }
        _ => None,
    }
}

fn indexed_column(e: &ScalarExpr) -> Option<usize> {
    match e {
        ScalarExpr::Column { index, .. } if EVENT_COLUMNS.get(*index).is_some_and(|c| c.indexed) => Some(*index),
        _ => None,
    }
}

/// The bitmap form of `e`, if it is a boolean combination of `=`, `<>`, `IN`, `IS NULL` on indexed
/// columns with text constants (or `IN (subquery)`).
fn index_predicate(e: &ScalarExpr) -> Option<IndexPredicate> {
    match e {
        ScalarExpr::Cmp {
            op: op @ (CmpOp::Eq | CmpOp::NotEq),
            left,
            right,
        } => {
            let (column, value) = match (left.as_ref(), right.as_ref()) {
                (c, ScalarExpr::Literal(Value::Text(v), _)) | (ScalarExpr::Literal(Value::Text(v), _), c) => {
                    (indexed_column(c)?, v.clone())
                }
                _ => return None,
            };
            let leaf = IndexPredicate::In {
                column,
                values: IndexValues::List(vec![value]),
            };
            Some(if *op == CmpOp::Eq {
                leaf
            } else {
                IndexPredicate::Not(Box::new(leaf))
            })
        }
        ScalarExpr::InList { expr, list, negated } => {
            let column = indexed_column(expr)?;
            let values = list
                .iter()
                .map(|v| match v {
                    ScalarExpr::Literal(Value::Text(s), _) => Some(s.clone()),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()?;
            let leaf = IndexPredicate::In {
                column,
                values: IndexValues::List(values),
            };
            Some(if *negated {
                IndexPredicate::Not(Box::new(leaf))
            } else {
                leaf
            })
        }
        ScalarExpr::InSubquery {
            expr,
            subquery,
            negated,
        } => {
            let column = indexed_column(expr)?;
            let leaf = IndexPredicate::In {
                column,
                values: IndexValues::Subquery(*subquery),
            };
            Some(if *negated {
                IndexPredicate::Not(Box::new(leaf))
            } else {
                leaf
            })
        }
        ScalarExpr::IsNull { expr, negated } => Some(IndexPredicate::IsNull {
            column: indexed_column(expr)?,
            negated: *negated,
        }),
        ScalarExpr::Not(x) => Some(IndexPredicate::Not(Box::new(index_predicate(x)?))),
        ScalarExpr::And(v) => Some(IndexPredicate::And(
            v.iter().map(index_predicate).collect::<Option<_>>()?,
        )),
        ScalarExpr::Or(v) => Some(IndexPredicate::Or(
            v.iter().map(index_predicate).collect::<Option<_>>()?,
        )),
        _ => None,
    }
}
