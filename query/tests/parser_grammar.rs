//! The grammar: precedence and associativity, literals, identifiers, comments, clauses and
//! statements, checked on the AST (through a fully parenthesized rendering of expressions).

mod parser_support;

use parser_support::{expr, select, statement, without_spans};
use query::ast::{Expr, Literal, SelectItem, Statement, TableRef, TypeName, UnaryOp};

/// A fully parenthesized rendering that shows how an expression was grouped.
fn tree(e: &Expr) -> String {
    match e {
        Expr::Column { table: Some(t), name } => format!("{}.{}", t.value, name.value),
        Expr::Column { table: None, name } => name.value.clone(),
        Expr::Literal(literal, _) => format!("{literal:?}"),
        Expr::Unary { op, expr, .. } => format!("({op} {})", tree(expr)),
        Expr::Binary { left, op, right, .. } => format!("({} {op} {})", tree(left), tree(right)),
        Expr::IsNull { expr, negated, .. } => format!("({} IS{} NULL)", tree(expr), if *negated { " NOT" } else { "" }),
        Expr::InList {
            expr, list, negated, ..
        } => {
            let items: Vec<String> = list.iter().map(tree).collect();
            format!(
                "({}{} IN [{}])",
                tree(expr),
                if *negated { " NOT" } else { "" },
                items.join(", ")
            )
        }
        Expr::InSubquery { expr, negated, .. } => {
            format!("({}{} IN subquery)", tree(expr), if *negated { " NOT" } else { "" })
        }
        Expr::Between {
            expr,
            low,
            high,
            negated,
            ..
        } => format!(
            "({}{} BETWEEN {} AND {})",
            tree(expr),
            if *negated { " NOT" } else { "" },
            tree(low),
            tree(high)
        ),
        Expr::Like {
            expr,
            pattern,
            negated,
            case_insensitive,
            ..
        } => format!(
            "({}{} {} {})",
            tree(expr),
            if *negated { " NOT" } else { "" },
            if *case_insensitive { "ILIKE" } else { "LIKE" },
            tree(pattern)
        ),
        Expr::Cast { expr, to, .. } => format!("({}::{to:?})", tree(expr)),
        other => format!("{other}"),
    }
}

fn grouped(text: &str) -> String {
    tree(&expr(text))
}

#[test]
fn boolean_operators_follow_postgres_precedence() {
    assert_eq!(grouped("a OR b AND NOT c = d"), "(a OR (b AND (NOT (c = d))))");
    assert_eq!(grouped("NOT a AND b"), "((NOT a) AND b)");
    assert_eq!(grouped("NOT a IS NULL"), "(NOT (a IS NULL))");
    assert_eq!(grouped("a = b IS NULL"), "((a = b) IS NULL)");
    assert_eq!(
        grouped("a IS NOT NULL AND b IS NULL"),
        "((a IS NOT NULL) AND (b IS NULL))"
    );
    assert_eq!(grouped("a = NOT b"), "(a = (NOT b))");
    assert_eq!(grouped("NOT NOT a"), "(NOT (NOT a))");
}

#[test]
fn arithmetic_is_left_associative_with_the_usual_precedence() {
    assert_eq!(
        grouped("1 + 2 * 3 - 4"),
        "((Integer(1) + (Integer(2) * Integer(3))) - Integer(4))"
    );
    assert_eq!(grouped("a - b - c"), "((a - b) - c)");
    assert_eq!(grouped("a / b * c % d"), "(((a / b) * c) % d)");
    assert_eq!(grouped("a || b || c"), "((a || b) || c)");
    assert_eq!(grouped("a || b + c"), "(a || (b + c))");
    assert_eq!(grouped("a || b = c"), "((a || b) = c)");
}

#[test]
fn casts_and_unary_minus_bind_tightest() {
    assert_eq!(grouped("x::int + 1"), "((x::Integer) + Integer(1))");
    assert_eq!(grouped("-a.b"), "(- a.b)");
    assert_eq!(grouped("-a * b"), "((- a) * b)");
    assert_eq!(grouped("-a::int"), "(- (a::Integer))");
    assert_eq!(grouped("a::text::int"), "((a::Text)::Integer)");
    assert_eq!(grouped("- - a"), "(- (- a))");
    assert_eq!(grouped("+a"), "(+ a)");
}

#[test]
fn between_owns_its_and() {
    assert_eq!(
        grouped("x BETWEEN 1 AND 2 AND y = 3"),
        "((x BETWEEN Integer(1) AND Integer(2)) AND (y = Integer(3)))"
    );
    assert_eq!(
        grouped("x NOT BETWEEN a + 1 AND b * 2"),
        "(x NOT BETWEEN (a + Integer(1)) AND (b * Integer(2)))"
    );
    assert_eq!(
        grouped("x BETWEEN 1 AND 2 = TRUE"),
        "((x BETWEEN Integer(1) AND Integer(2)) = Bool(true))"
    );
}

#[test]
fn in_like_and_between_bind_tighter_than_comparisons() {
    assert_eq!(grouped("a = b LIKE c"), "(a = (b LIKE c))");
    assert_eq!(grouped("a LIKE b = c"), "((a LIKE b) = c)");
    assert_eq!(grouped("a NOT ILIKE 'x%' || y"), "(a NOT ILIKE (String(\"x%\") || y))");
    assert_eq!(
        grouped("a NOT IN (1, 2) OR b IN (SELECT c FROM t)"),
        "((a NOT IN [Integer(1), Integer(2)]) OR (b IN subquery))"
    );
    assert_eq!(grouped("(a < b) < c"), "((a < b) < c)");
}

#[test]
fn and_or_chains_become_balanced_trees() {
    assert_eq!(grouped("a AND b"), "(a AND b)");
    assert_eq!(grouped("a AND b AND c"), "((a AND b) AND c)");
    assert_eq!(grouped("a AND b AND c AND d"), "((a AND b) AND (c AND d))");
    assert_eq!(grouped("a OR b OR c OR d OR e"), "(((a OR b) OR c) OR (d OR e))");
    // The operator spans still point at the right words.
    let sql = "SELECT a AND b AND c AND d";
    let query = select(sql);
    let SelectItem::Expr {
        expr: Expr::Binary { op_span, left, .. },
        ..
    } = &query.projection[0]
    else {
        panic!()
    };
    assert_eq!(*op_span, query::ast::Span::new(15, 18));
    let Expr::Binary { op_span: inner, .. } = &**left else {
        panic!()
    };
    assert_eq!(&sql[inner.start..inner.end], "AND");
    assert_eq!(inner.start, 9);
}

#[test]
fn numeric_literals() {
    assert!(matches!(expr("42"), Expr::Literal(Literal::Integer(42), _)));
    assert!(matches!(expr("-42"), Expr::Literal(Literal::Integer(-42), _)));
    assert!(matches!(
        expr("-9223372036854775808"),
        Expr::Literal(Literal::Integer(i64::MIN), _)
    ));
    assert!(matches!(
        expr("9223372036854775807"),
        Expr::Literal(Literal::Integer(i64::MAX), _)
    ));
    for (text, kept) in [
        ("9223372036854775808", "9223372036854775808"),
        ("-9223372036854775809", "-9223372036854775809"),
        ("1.5", "1.5"),
        (".5", ".5"),
        ("1e3", "1e3"),
        ("1.5E-3", "1.5E-3"),
        ("-2.25", "-2.25"),
        ("5.", "5."),
    ] {
        match expr(text) {
            Expr::Literal(Literal::Decimal(d), _) => assert_eq!(d, kept, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    // A parenthesized or cast operand stays a negation, as in PostgreSQL.
    assert!(matches!(expr("-(5)"), Expr::Unary { op: UnaryOp::Neg, .. }));
    assert!(matches!(expr("-5::text"), Expr::Unary { op: UnaryOp::Neg, .. }));
    assert!(matches!(expr("- 5"), Expr::Literal(Literal::Integer(-5), _)));
}

#[test]
fn string_and_typed_literals() {
    assert!(matches!(expr("'it''s'"), Expr::Literal(Literal::String(s), _) if s == "it's"));
    assert!(matches!(expr("''"), Expr::Literal(Literal::String(s), _) if s.is_empty()));
    assert!(matches!(expr("'a\nb'"), Expr::Literal(Literal::String(s), _) if s == "a\nb"));
    assert!(matches!(expr("TIMESTAMP '2022-01-17'"), Expr::Literal(Literal::Timestamp(s), _) if s == "2022-01-17"));
    assert!(matches!(expr("timestamp 'not checked'"), Expr::Literal(Literal::Timestamp(s), _) if s == "not checked"));
    assert!(matches!(expr("DATE '2022-01-17'"), Expr::Literal(Literal::Date(s), _) if s == "2022-01-17"));
    assert!(matches!(expr("INTERVAL '7 days'"), Expr::Literal(Literal::Interval(s), _) if s == "7 days"));
    assert!(matches!(expr("INTERVAL '7' DAY"), Expr::Literal(Literal::Interval(s), _) if s == "7 day"));
    assert!(matches!(expr("interval '3' hour"), Expr::Literal(Literal::Interval(s), _) if s == "3 hour"));
    assert!(matches!(expr("NULL"), Expr::Literal(Literal::Null, _)));
    assert!(matches!(expr("true"), Expr::Literal(Literal::Bool(true), _)));
    assert!(matches!(expr("FALSE"), Expr::Literal(Literal::Bool(false), _)));
    // Without a string after it, `date` is a column.
    assert!(matches!(expr("date"), Expr::Column { name, .. } if name.value == "date"));
    let sql = "SELECT TIMESTAMP '2022-01-17' + INTERVAL '1' DAY";
    let SelectItem::Expr {
        expr: Expr::Binary { left, right, .. },
        ..
    } = &select(sql).projection[0]
    else {
        panic!()
    };
    let (l, r) = (left.span(), right.span());
    assert_eq!(&sql[l.start..l.end], "TIMESTAMP '2022-01-17'");
    assert_eq!(&sql[r.start..r.end], "INTERVAL '1' DAY");
}

#[test]
fn identifiers_fold_case_unless_quoted() {
    let Expr::Column { table, name } = expr("Events.StudentId") else {
        panic!()
    };
    assert_eq!(
        (table.unwrap().value, name.value, name.quoted),
        ("events".into(), "studentid".into(), false)
    );
    let Expr::Column { name, .. } = expr("\"Student \"\"Id\"\"\"") else {
        panic!()
    };
    assert_eq!((name.value.as_str(), name.quoted), ("Student \"Id\"", true));
    let Expr::Column { name, .. } = expr("\"order\"") else {
        panic!()
    };
    assert_eq!(name.value, "order");
    // Function names and words such as day, week, first are not reserved.
    for word in [
        "day", "week", "hour", "first", "last", "time", "signal", "action", "class", "school", "count",
    ] {
        assert!(
            matches!(expr(word), Expr::Column { name, .. } if name.value == word),
            "{word}"
        );
        let query = select(&format!("SELECT 1 AS {word}, 2 {word} FROM t {word}"));
        assert_eq!(query.projection.len(), 2);
    }
    assert!(matches!(expr("a$b_1"), Expr::Column { name, .. } if name.value == "a$b_1"));
}

#[test]
fn function_calls() {
    let Expr::Function {
        name,
        args,
        star,
        distinct,
        filter,
        ..
    } = expr("COUNT(DISTINCT a, b) FILTER (WHERE c > 1)")
    else {
        panic!()
    };
    assert_eq!(
        (name.value.as_str(), args.len(), star, distinct, filter.is_some()),
        ("count", 2, false, true, true)
    );
    assert!(matches!(expr("now()"), Expr::Function { args, star: false, .. } if args.is_empty()));
    assert!(matches!(expr("count(ALL x)"), Expr::Function { distinct: false, args, .. } if args.len() == 1));
    assert!(matches!(expr("left('abc', 2)"), Expr::Function { name, .. } if name.value == "left"));
    assert!(matches!(expr("\"MyFn\"(1)"), Expr::Function { name, .. } if name.value == "MyFn" && name.quoted));
    let Expr::Extract { field, .. } = expr("EXTRACT(DOW FROM time)") else {
        panic!()
    };
    assert_eq!(field.value, "dow");
    let Expr::Extract { field, .. } = expr("extract('Hour' FROM time)") else {
        panic!()
    };
    assert_eq!(field.value, "hour");
}

#[test]
fn casts_accept_postgres_type_spellings() {
    for (ty, expected) in [
        ("INTEGER", TypeName::Integer),
        ("int", TypeName::Integer),
        ("BIGINT", TypeName::Integer),
        ("smallint", TypeName::Integer),
        ("INT4", TypeName::Integer),
        ("int8", TypeName::Integer),
        ("DOUBLE", TypeName::Double),
        ("double precision", TypeName::Double),
        ("FLOAT", TypeName::Double),
        ("float8", TypeName::Double),
        ("REAL", TypeName::Double),
        ("NUMERIC", TypeName::Double),
        ("DECIMAL(10, 2)", TypeName::Double),
        ("TEXT", TypeName::Text),
        ("VARCHAR", TypeName::Text),
        ("varchar(20)", TypeName::Text),
        ("STRING", TypeName::Text),
        ("CHAR(3)", TypeName::Text),
        ("TIMESTAMP", TypeName::Timestamp),
        ("timestamp without time zone", TypeName::Timestamp),
        ("DATE", TypeName::Date),
        ("BOOLEAN", TypeName::Boolean),
        ("bool", TypeName::Boolean),
    ] {
        assert!(
            matches!(expr(&format!("CAST(x AS {ty})")), Expr::Cast { to, .. } if to == expected),
            "{ty}"
        );
        assert!(
            matches!(expr(&format!("x::{ty}")), Expr::Cast { to, .. } if to == expected),
            "{ty}"
        );
    }
}

#[test]
fn case_expressions() {
    let Expr::Case {
        operand: None,
        branches,
        otherwise: Some(_),
        ..
    } = expr("CASE WHEN a > 1 THEN 'big' WHEN a > 0 THEN 'small' ELSE 'none' END")
    else {
        panic!()
    };
    assert_eq!(branches.len(), 2);
    assert!(matches!(
        expr("CASE x WHEN 1 THEN 2 END"),
        Expr::Case {
            operand: Some(_),
            otherwise: None,
            ..
        }
    ));
}

#[test]
fn scalar_subqueries_and_parentheses() {
    assert!(matches!(expr("(SELECT max(x) FROM t)"), Expr::ScalarSubquery(..)));
    assert!(matches!(expr("((SELECT 1))"), Expr::ScalarSubquery(..)));
    assert!(matches!(expr("((a))"), Expr::Column { .. }));
    assert_eq!(grouped("(a + b) * c"), "((a + b) * c)");
}

#[test]
fn select_list_forms() {
    let query = select("SELECT DISTINCT *, e.*, a AS x, b y, c FROM events e");
    assert!(query.distinct);
    assert!(matches!(query.projection[0], SelectItem::Wildcard(span) if span.start == 16));
    assert!(matches!(&query.projection[1], SelectItem::QualifiedWildcard(q) if q.value == "e"));
    let aliases: Vec<Option<String>> = query.projection[2..]
        .iter()
        .map(|item| match item {
            SelectItem::Expr { alias, .. } => alias.as_ref().map(|a| a.value.clone()),
            _ => panic!(),
        })
        .collect();
    assert_eq!(aliases, [Some("x".to_string()), Some("y".to_string()), None]);
    assert!(!select("SELECT ALL a").distinct);
    // A column label after AS may be any word, as in PostgreSQL.
    assert!(
        matches!(&select("SELECT 1 AS from").projection[0], SelectItem::Expr { alias: Some(a), .. } if a.value == "from")
    );
    assert!(select("SELECT 1 + 1").from.is_none());
}

#[test]
fn clauses_in_order_and_limit_offset_either_way() {
    let query = select(
        "SELECT a, count(*) FROM t WHERE b > 1 GROUP BY a, 2 HAVING count(*) > 1 \
         ORDER BY 2 DESC NULLS LAST, a ASC NULLS FIRST, 1 LIMIT 5 OFFSET 10",
    );
    assert_eq!(query.group_by.len(), 2);
    assert!(matches!(query.group_by[1], Expr::Literal(Literal::Integer(2), _)));
    assert!(query.having.is_some());
    let order: Vec<(bool, Option<bool>)> = query.order_by.iter().map(|o| (o.desc, o.nulls_first)).collect();
    assert_eq!(order, [(true, Some(false)), (false, Some(true)), (false, None)]);
    assert_eq!((query.limit, query.offset), (Some(5), Some(10)));
    let query = select("SELECT a FROM t OFFSET 3 ROWS LIMIT ALL");
    assert_eq!((query.limit, query.offset), (None, Some(3)));
    let query = select("SELECT a FROM t LIMIT 18446744073709551615");
    assert_eq!(query.limit, Some(u64::MAX));
}

#[test]
fn joins_and_derived_tables() {
    let query = select(
        "SELECT * FROM events AS e INNER JOIN classes c ON c.id = e.class \
         LEFT OUTER JOIN orgs ON orgs.id = c.school LEFT JOIN (SELECT 1 AS one) AS d ON TRUE JOIN (SELECT 2) ON TRUE",
    );
    let from = query.from.unwrap();
    assert!(matches!(&from.base, TableRef::Table { alias: Some(a), .. } if a.value == "e"));
    let kinds: Vec<_> = from.joins.iter().map(|j| j.kind).collect();
    use query::ast::JoinKind::{Inner, Left};
    assert_eq!(kinds, [Inner, Left, Left, Inner]);
    assert!(matches!(&from.joins[1].table, TableRef::Table { alias: None, .. }));
    assert!(matches!(&from.joins[2].table, TableRef::Derived { alias: Some(a), .. } if a.value == "d"));
    assert!(matches!(&from.joins[3].table, TableRef::Derived { alias: None, .. }));
}

#[test]
fn statements_and_scripts() {
    assert_eq!(statement("SHOW TABLES"), Statement::ShowTables);
    assert_eq!(statement("show tables;"), Statement::ShowTables);
    assert!(matches!(statement("DESCRIBE events"), Statement::Describe(t) if t.value == "events"));
    assert!(matches!(statement("desc \"Events\""), Statement::Describe(t) if t.value == "Events"));
    assert!(matches!(statement("EXPLAIN SELECT 1"), Statement::Explain(_)));
    let script = query::parse(";; SELECT 1; -- one\n/* two */ SELECT 2 ;; SHOW TABLES;").unwrap();
    assert_eq!(script.len(), 3);
    assert_eq!(query::parse("").unwrap(), []);
    assert_eq!(
        query::parse("  -- only a comment\n /* and /* a nested */ one */ ;").unwrap(),
        []
    );
}

#[test]
fn comments_and_whitespace_anywhere() {
    let a = statement("SELECT/**/a--x\n,b/* /* nested */ still comment */FROM\tt\r\nWHERE a=1");
    let b = statement("SELECT a, b FROM t WHERE a = 1");
    assert_eq!(without_spans(a), without_spans(b));
    assert_eq!(grouped("a/*c*/-/*d*/b"), "(a - b)");
    assert_eq!(grouped("a - -b"), "(a - (- b))");
}

#[test]
fn spans_are_byte_offsets_into_the_whole_script() {
    let sql = "SELECT 1;\n  SELECT \"é\" FROM t";
    let statements = query::parse(sql).unwrap();
    let Statement::Query(q) = &statements[1] else { panic!() };
    assert_eq!(&sql[q.span.start..q.span.end], "SELECT \"é\" FROM t");
    let SelectItem::Expr {
        expr: Expr::Column { name, .. },
        ..
    } = &q.projection[0]
    else {
        panic!()
    };
    assert_eq!(&sql[name.span.start..name.span.end], "\"é\"");
}
