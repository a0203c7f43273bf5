//! `EXPLAIN`: the plan as an indented tree, with what the `events` scan does before reading columns —
//! the time bounds and the partitions and segments they leave, and the bitmap predicates on indexes.

use std::collections::BTreeSet;

use engine::{Snapshot, EVENT_COLUMNS};

use super::{AggregateCall, IndexPredicate, IndexValues, Plan, QueryPlan, ScalarExpr, ScalarFunc};
use crate::plan::expr::{ArithOp, CmpOp};
use crate::time::format_timestamp;
use crate::value::Value;

/// The lines of the plan of `q`; with a snapshot, the scan lines say which partitions it reads.
pub fn explain(q: &QueryPlan, snapshot: Option<&Snapshot>) -> Vec<String> {
    let mut out = Vec::new();
    node(&q.root, 0, snapshot, &mut out);
    for (i, s) in q.subqueries.iter().enumerate() {
        out.push(format!(
            "subquery #{} ({}), run first:",
            i + 1,
            if s.scalar { "scalar" } else { "IN set" }
        ));
        node(&s.plan, 1, snapshot, &mut out);
    }
    out
}

fn names(plan: &Plan) -> Vec<String> {
    plan.schema().into_iter().map(|f| f.name).collect()
}

fn node(plan: &Plan, depth: usize, snapshot: Option<&Snapshot>, out: &mut Vec<String>) {
    let pad = "  ".repeat(depth);
    let mut line = |s: String| out.push(format!("{pad}{s}"));
    match plan {
        Plan::EventsScan { filter } => {
            line("Scan events".into());
            let inner = format!("{pad}  ");
            if filter.empty {
                out.push(format!("{inner}time bounds contradict each other: no rows"));
                return;
            }
            let time = match (filter.from, filter.to) {
                (None, None) => "all time".to_string(),
                (f, t) => format!(
                    "time >= {} AND time < {}",
                    f.map_or("-inf".into(), |v| format!("'{}'", format_timestamp(v))),
                    t.map_or("+inf".into(), |v| format!("'{}'", format_timestamp(v)))
                ),
            };
            out.push(format!("{inner}time range: {time}"));
            if let Some(snap) = snapshot {
                let all = snap.segments(None, None);
                let used = snap.segments(filter.from, filter.to.map(|t| t.saturating_sub(1)));
                let parts = |segs: &[std::sync::Arc<engine::segment::Segment>]| {
                    segs.iter().map(|s| s.meta().partition_start).collect::<BTreeSet<_>>()
                };
                let (p_all, p_used) = (parts(&all), parts(&used));
                let range = match (p_used.first(), p_used.last()) {
                    (Some(a), Some(b)) => {
                        format!(" ({} .. {})", &format_timestamp(*a)[..10], &format_timestamp(*b)[..10])
                    }
                    _ => String::new(),
                };
                let rows: u64 = used.iter().map(|s| s.num_rows() as u64).sum();
                out.push(format!(
                    "{inner}partitions: {} of {}{range}; segments: {} of {}; rows before index filters: {rows}",
                    p_used.len(),
                    p_all.len(),
                    used.len(),
                    all.len()
                ));
            }
            if filter.index.is_empty() {
                out.push(format!("{inner}bitmap indexes: none (every row of those segments)"));
            } else {
                let preds: Vec<String> = filter.index.iter().map(index_pred).collect();
                out.push(format!("{inner}bitmap indexes: {}", preds.join(" AND ")));
            }
        }
        Plan::TableScan { table } => line(format!("Scan {} (roster table)", table.name())),
        Plan::OneRow => line("One row".into()),
        Plan::Filter { input, predicate } => {
            line(format!("Filter {}", expr(predicate, &names(input))));
            node(input, depth + 1, snapshot, out);
        }
        Plan::Project {
            input,
            exprs,
            names: out_names,
        } => {
            let inn = names(input);
            let items: Vec<String> = exprs
                .iter()
                .zip(out_names)
                .map(|(e, n)| {
                    let s = expr(e, &inn);
                    if s == *n {
                        s
                    } else {
                        format!("{s} AS {n}")
                    }
                })
                .collect();
            line(format!("Project {}", items.join(", ")));
            node(input, depth + 1, snapshot, out);
        }
        Plan::Join {
            left,
            right,
            kind,
            left_keys,
            right_keys,
            residual,
        } => {
            let (ln, rn) = (names(left), names(right));
            let keys: Vec<String> = left_keys
                .iter()
                .zip(right_keys)
                .map(|(l, r)| format!("{} = {}", expr(l, &ln), expr(r, &rn)))
                .collect();
            let mut both = ln.clone();
            both.extend(rn);
            let on = match residual {
                Some(r) if keys.is_empty() => expr(r, &both),
                Some(r) => format!("{} AND {}", keys.join(" AND "), expr(r, &both)),
                None if keys.is_empty() => "true".into(),
                None => keys.join(" AND "),
            };
            let how = if right.reads_events() && !left.reads_events() && *kind == crate::ast::JoinKind::Inner {
                "hash the left side, stream the right"
            } else {
                "hash the right side, stream the left"
            };
            line(format!("{:?} hash join on {on} ({how})", kind));
            node(left, depth + 1, snapshot, out);
            node(right, depth + 1, snapshot, out);
        }
        Plan::Aggregate { input, keys, aggs, .. } => {
            let inn = names(input);
            let k: Vec<String> = keys.iter().map(|e| expr(e, &inn)).collect();
            let a: Vec<String> = aggs.iter().map(|c| agg(c, &inn)).collect();
            line(format!(
                "Aggregate{} compute {}",
                if k.is_empty() {
                    String::new()
                } else {
                    format!(" by {}", k.join(", "))
                },
                if a.is_empty() {
                    "nothing (distinct keys)".into()
                } else {
                    a.join(", ")
                }
            ));
            node(input, depth + 1, snapshot, out);
        }
        Plan::Sort { input, keys } => {
            let inn = names(input);
            let k: Vec<String> = keys
                .iter()
                .map(|s| {
                    format!(
                        "{}{}{}",
                        expr(&s.expr, &inn),
                        if s.desc { " DESC" } else { "" },
                        if s.nulls_first != s.desc {
                            if s.nulls_first {
                                " NULLS FIRST"
                            } else {
                                " NULLS LAST"
                            }
                        } else {
                            ""
                        }
                    )
                })
                .collect();
            line(format!("Sort by {}", k.join(", ")));
            node(input, depth + 1, snapshot, out);
        }
        Plan::Limit { input, limit, offset } => {
            let top = matches!(input.as_ref(), Plan::Sort { .. });
            line(format!(
                "Limit {}{}{}",
                limit.map_or("ALL".into(), |l| l.to_string()),
                if *offset > 0 {
                    format!(" offset {offset}")
                } else {
                    String::new()
                },
                if top {
                    " (top-N: keeps only the best rows while scanning)"
                } else {
                    ""
                }
            ));
            node(input, depth + 1, snapshot, out);
        }
        Plan::Distinct { input } => {
            line("Distinct".into());
            node(input, depth + 1, snapshot, out);
        }
    }
}

fn index_pred(p: &IndexPredicate) -> String {
    match p {
        IndexPredicate::In { column, values } => {
            let name = EVENT_COLUMNS.get(*column).map_or("?", |c| c.name);
            match values {
                IndexValues::List(v) if v.len() == 1 => format!("{name} = '{}'", v[0]),
                IndexValues::List(v) => {
                    format!(
                        "{name} IN ({})",
                        v.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ")
                    )
                }
                IndexValues::Subquery(i) => format!("{name} IN (subquery #{})", i + 1),
            }
        }
        IndexPredicate::IsNull { column, negated } => {
            let name = EVENT_COLUMNS.get(*column).map_or("?", |c| c.name);
            format!("{name} IS {}NULL", if *negated { "NOT " } else { "" })
        }
        IndexPredicate::And(v) => format!("({})", v.iter().map(index_pred).collect::<Vec<_>>().join(" AND ")),
        IndexPredicate::Or(v) => format!("({})", v.iter().map(index_pred).collect::<Vec<_>>().join(" OR ")),
        IndexPredicate::Not(x) => format!("NOT {}", index_pred(x)),
    }
}

fn agg(c: &AggregateCall, inn: &[String]) -> String {
    let arg = match &c.arg {
        None => "*".to_string(),
        Some(a) => format!("{}{}", if c.distinct { "DISTINCT " } else { "" }, expr(a, inn)),
    };
    let filter = c
        .filter
        .as_ref()
        .map_or(String::new(), |f| format!(" FILTER (WHERE {})", expr(f, inn)));
    format!("{}({arg}){filter}", c.func.name())
}

/// SQL-like text of a bound expression, with column names from `inn`.
pub fn expr(e: &ScalarExpr, inn: &[String]) -> String {
    let x = |e: &ScalarExpr| expr(e, inn);
    match e {
        ScalarExpr::Column { index, .. } => inn.get(*index).cloned().unwrap_or_else(|| format!("#{index}")),
        ScalarExpr::Literal(v, _) => literal(v),
        ScalarExpr::Not(a) => format!("NOT {}", x(a)),
        ScalarExpr::Neg(a) => format!("-{}", x(a)),
        ScalarExpr::And(v) => format!("({})", v.iter().map(x).collect::<Vec<_>>().join(" AND ")),
        ScalarExpr::Or(v) => format!("({})", v.iter().map(x).collect::<Vec<_>>().join(" OR ")),
        ScalarExpr::Arith { op, left, right, .. } => {
            let sym = match op {
                ArithOp::Add => "+",
                ArithOp::Sub => "-",
                ArithOp::Mul => "*",
                ArithOp::Div => "/",
                ArithOp::Mod => "%",
            };
            format!("({} {sym} {})", x(left), x(right))
        }
        ScalarExpr::Cmp { op, left, right } => format!("{} {} {}", x(left), cmp_symbol(*op), x(right)),
        ScalarExpr::Concat(a, b) => format!("({} || {})", x(a), x(b)),
        ScalarExpr::IsNull { expr: a, negated } => format!("{} IS {}NULL", x(a), if *negated { "NOT " } else { "" }),
        ScalarExpr::InList { expr: a, list, negated } => format!(
            "{} {}IN ({})",
            x(a),
            if *negated { "NOT " } else { "" },
            list.iter().map(x).collect::<Vec<_>>().join(", ")
        ),
        ScalarExpr::InSubquery {
            expr: a,
            subquery,
            negated,
        } => {
            format!(
                "{} {}IN (subquery #{})",
                x(a),
                if *negated { "NOT " } else { "" },
                subquery + 1
            )
        }
        ScalarExpr::ScalarSubquery { subquery, .. } => format!("(subquery #{})", subquery + 1),
        ScalarExpr::Like {
            expr: a,
            pattern,
            negated,
            case_insensitive,
        } => format!(
            "{} {}{} {}",
            x(a),
            if *negated { "NOT " } else { "" },
            if *case_insensitive { "ILIKE" } else { "LIKE" },
            x(pattern)
        ),
        ScalarExpr::Function { func, args, .. } => {
            let a: Vec<String> = args.iter().map(x).collect();
            match func {
                ScalarFunc::DateTrunc(u) => format!("date_trunc('{}', {})", u.name(), a.join(", ")),
                ScalarFunc::Extract(f) => format!("extract({f:?} FROM {})", a.join(", ")).to_lowercase(),
                f => format!("{}({})", format!("{f:?}").to_lowercase(), a.join(", ")),
            }
        }
        ScalarExpr::Cast { expr: a, to } => format!("CAST({} AS {})", x(a), to.sql_name()),
        ScalarExpr::Case {
            branches, otherwise, ..
        } => {
            let b: Vec<String> = branches
                .iter()
                .map(|(c, v)| format!("WHEN {} THEN {}", x(c), x(v)))
                .collect();
            format!("CASE {} ELSE {} END", b.join(" "), x(otherwise))
        }
    }
}

fn cmp_symbol(op: CmpOp) -> &'static str {
    op.symbol()
}

fn literal(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Text(s) => format!("'{}'", s.replace('\'', "''")),
        Value::Timestamp(_) => format!("TIMESTAMP '{v}'"),
        Value::Interval(_) => format!("INTERVAL '{v}'"),
        v => v.to_string(),
    }
}
