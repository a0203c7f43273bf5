//! Every query of the engagement suite (`shared/queries`) parses, to the AST it means.

mod parser_support;

use parser_support::{select, suite, without_spans};
use query::ast::{BinaryOp, Expr, JoinKind, Literal, Query, SelectItem, Statement, TableRef};

/// The suite query whose file name starts with `prefix` (e.g. `q06`), and its text.
fn suite_query(prefix: &str) -> (Query, String) {
    let (_, text) = suite()
        .into_iter()
        .find(|(name, _)| name.starts_with(prefix))
        .expect("suite query");
    (select(&text), text)
}

fn column(e: &Expr) -> String {
    match e {
        Expr::Column { table: Some(t), name } => format!("{}.{}", t.value, name.value),
        Expr::Column { table: None, name } => name.value.clone(),
        other => panic!("not a column: {other:?}"),
    }
}

fn aliases(q: &Query) -> Vec<String> {
    q.projection
        .iter()
        .map(|item| match item {
            SelectItem::Expr { alias: Some(a), .. } => a.value.clone(),
            SelectItem::Expr { expr, alias: None } => column(expr),
            other => panic!("{other:?}"),
        })
        .collect()
}

fn function(e: &Expr) -> (&str, &[Expr], bool, bool, bool) {
    match e {
        Expr::Function {
            name,
            args,
            star,
            distinct,
            filter,
            ..
        } => (&name.value, args, *star, *distinct, filter.is_some()),
        other => panic!("not a function: {other:?}"),
    }
}

fn item(q: &Query, k: usize) -> &Expr {
    match &q.projection[k] {
        SelectItem::Expr { expr, .. } => expr,
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_suite_query_parses_and_prints_back_to_itself() {
    let queries = suite();
    assert_eq!(queries.len(), 15, "the suite has 15 queries");
    for (name, text) in queries {
        let statements = query::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(statements.len(), 1, "{name}");
        let Statement::Query(q) = &statements[0] else {
            panic!("{name} is not a query")
        };
        // The query's span is the statement, without the leading comment.
        assert!(text[q.span.start..q.span.end].starts_with("SELECT"), "{name}");
        assert_eq!(q.span.end, text.trim_end().len(), "{name}");
        let printed = statements[0].to_string();
        let reparsed = query::parse(&printed).unwrap_or_else(|e| panic!("{name} printed as {printed}: {e}"));
        assert_eq!(
            without_spans(reparsed[0].clone()),
            without_spans(statements[0].clone()),
            "{name}: {printed}"
        );
    }
}

#[test]
fn q01_counts_with_star_and_distinct_and_non_reserved_aliases() {
    let (q, _) = suite_query("q01");
    assert_eq!(aliases(&q), ["events", "students", "classes", "first", "last"]);
    assert_eq!(function(item(&q, 0)), ("count", &[][..], true, false, false));
    let (name, args, star, distinct, _) = function(item(&q, 1));
    assert_eq!((name, star, distinct), ("count", false, true));
    assert_eq!(column(&args[0]), "student");
    assert_eq!(function(item(&q, 3)).0, "min");
    assert!(matches!(&q.from.unwrap().base, TableRef::Table { name, alias: None } if name.value == "events"));
}

#[test]
fn q02_groups_and_orders_by_an_alias_named_day() {
    let (q, _) = suite_query("q02");
    let (name, args, ..) = function(item(&q, 0));
    assert_eq!(name, "date_trunc");
    assert!(matches!(&args[0], Expr::Literal(Literal::String(s), _) if s == "day"));
    assert_eq!(column(&args[1]), "time");
    assert_eq!(column(&q.group_by[0]), "day");
    assert_eq!(column(&q.order_by[0].expr), "day");
    assert!(!q.order_by[0].desc);
    assert_eq!(q.order_by[0].nulls_first, None);
}

#[test]
fn q04_joins_with_aliases_and_filters_by_an_in_list() {
    let (q, text) = suite_query("q04");
    let from = q.from.as_ref().unwrap();
    assert!(matches!(&from.base, TableRef::Table { name, alias: Some(a) } if name.value == "events" && a.value == "e"));
    assert_eq!(from.joins.len(), 1);
    let join = &from.joins[0];
    assert_eq!(join.kind, JoinKind::Inner);
    assert!(matches!(&join.table, TableRef::Table { name, alias: Some(a) } if name.value == "orgs" && a.value == "o"));
    assert!(text[join.span.start..join.span.end].starts_with("JOIN orgs o ON o.id = e.school"));
    let Expr::Binary {
        left,
        op: BinaryOp::Eq,
        right,
        ..
    } = &join.on
    else {
        panic!("{:?}", join.on)
    };
    assert_eq!(
        (column(left), column(right)),
        ("o.id".to_string(), "e.school".to_string())
    );
    let Some(Expr::InList {
        expr,
        list,
        negated: false,
        ..
    }) = &q.selection
    else {
        panic!("{:?}", q.selection)
    };
    assert_eq!(column(expr), "e.app");
    assert_eq!(list.len(), 3);
    assert_eq!(aliases(&q), ["school", "signals"]);
    assert_eq!(column(&q.group_by[0]), "o.name");
    assert!(q.order_by[0].desc && !q.order_by[1].desc);
}

#[test]
fn q06_excludes_students_with_a_negated_in_subquery() {
    let (q, _) = suite_query("q06");
    // class = … AND role = … AND person NOT IN (…): a balanced AND of three.
    let Some(Expr::Binary {
        op: BinaryOp::And,
        right,
        ..
    }) = &q.selection
    else {
        panic!("{:?}", q.selection)
    };
    let Expr::InSubquery {
        expr,
        subquery,
        negated: true,
        ..
    } = &**right
    else {
        panic!("{right:?}")
    };
    assert_eq!(column(expr), "person");
    assert_eq!(aliases(subquery), ["student"]);
    let Some(Expr::Binary { op: BinaryOp::And, .. }) = &subquery.selection else {
        panic!()
    };
    assert_eq!(column(&q.order_by[0].expr), "person");
}

#[test]
fn q07_has_having_and_round_of_avg() {
    let (q, _) = suite_query("q07");
    let (name, args, ..) = function(item(&q, 2));
    assert_eq!(name, "round");
    assert_eq!(function(&args[0]).0, "avg");
    assert!(matches!(args[1], Expr::Literal(Literal::Integer(4), _)));
    let Some(Expr::Binary {
        left,
        op: BinaryOp::GtEq,
        right,
        ..
    }) = &q.having
    else {
        panic!("{:?}", q.having)
    };
    assert_eq!(function(left).0, "count");
    assert!(matches!(**right, Expr::Literal(Literal::Integer(50), _)));
}

#[test]
fn q08_filters_aggregates_and_limits() {
    let (q, _) = suite_query("q08");
    for k in [1, 2] {
        let Expr::Function {
            star: true,
            filter: Some(filter),
            ..
        } = item(&q, k)
        else {
            panic!("{:?}", item(&q, k))
        };
        let Expr::Binary { op, .. } = &**filter else {
            panic!("{filter:?}")
        };
        assert_eq!(*op, if k == 1 { BinaryOp::LtEq } else { BinaryOp::Gt });
    }
    assert_eq!(aliases(&q), ["class", "on_time", "late"]);
    assert_eq!(q.limit, Some(10));
    assert_eq!(q.offset, None);
}

#[test]
fn q11_orders_by_two_keys_newest_first() {
    let (q, _) = suite_query("q11");
    assert_eq!(aliases(&q), ["time", "app", "signal", "action", "class"]);
    assert_eq!(q.order_by.len(), 2);
    assert_eq!(column(&q.order_by[0].expr), "time");
    assert!(q.order_by[0].desc);
    assert_eq!(column(&q.order_by[1].expr), "signal_id");
    assert!(!q.order_by[1].desc);
    assert_eq!(q.limit, Some(20));
}

#[test]
fn q12_extracts_the_hour_between_timestamps() {
    let (q, _) = suite_query("q12");
    let Expr::Extract { field, expr, .. } = item(&q, 0) else {
        panic!("{:?}", item(&q, 0))
    };
    assert_eq!((field.value.as_str(), column(expr).as_str()), ("hour", "time"));
    let Some(Expr::Between {
        expr,
        low,
        high,
        negated: false,
        ..
    }) = &q.selection
    else {
        panic!()
    };
    assert_eq!(column(expr), "time");
    assert!(matches!(&**low, Expr::Literal(Literal::Timestamp(t), _) if t == "2022-01-10"));
    assert!(matches!(&**high, Expr::Literal(Literal::Timestamp(t), _) if t == "2022-01-14 23:59:59"));
    assert_eq!(column(&q.group_by[0]), "hour");
}

#[test]
fn q13_tests_is_not_null() {
    let (q, _) = suite_query("q13");
    let Some(Expr::Binary {
        op: BinaryOp::And,
        right,
        ..
    }) = &q.selection
    else {
        panic!()
    };
    assert!(matches!(&**right, Expr::IsNull { negated: true, expr, .. } if column(expr) == "file_ext"));
}

#[test]
fn q14_aggregates_over_a_derived_table() {
    let (q, text) = suite_query("q14");
    let from = q.from.unwrap();
    let TableRef::Derived {
        query: inner,
        alias: Some(alias),
        span,
    } = &from.base
    else {
        panic!("{:?}", from.base)
    };
    assert_eq!(alias.value, "per_student");
    assert!(text[span.start..span.end].starts_with('('));
    assert!(text[span.start..span.end].ends_with(") per_student"));
    assert_eq!(aliases(inner), ["student", "active_days"]);
    let (_, args, _, distinct, _) = function(item(inner, 1));
    assert!(distinct);
    assert_eq!(function(&args[0]).0, "date_trunc");
    assert_eq!(column(&inner.group_by[0]), "student");
    assert_eq!(column(&q.group_by[0]), "active_days");
}

#[test]
fn q15_joins_roster_tables() {
    let (q, _) = suite_query("q15");
    let from = q.from.unwrap();
    assert!(
        matches!(&from.base, TableRef::Table { name, alias: Some(a) } if name.value == "enrollments" && a.value == "en")
    );
    assert!(matches!(&from.joins[0].table, TableRef::Table { name, .. } if name.value == "classes"));
    assert_eq!(column(&q.order_by[0].expr), "c.school");
}
