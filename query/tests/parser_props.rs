//! Property tests: the parser never panics and answers quickly on any input, built from the
//! dialect's vocabulary or from arbitrary text; and printing any AST (Display) and parsing the
//! text gives back the same AST, spans aside.

mod parser_support;

use std::time::{Duration, Instant};

use parser_support::without_spans;
use proptest::prelude::*;
use query::ast::{
    BinaryOp, Expr, From, Ident, Join, JoinKind, Literal, OrderByItem, Query, SelectItem, Span, Statement, TableRef,
    TypeName, UnaryOp,
};
use query::{parse, parse_with_limits, ParseError, ParseLimits};

/// Words, symbols and snippets of the dialect, and of SQL it refuses.
const VOCABULARY: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "BY",
    "HAVING",
    "ORDER",
    "LIMIT",
    "OFFSET",
    "JOIN",
    "LEFT",
    "INNER",
    "OUTER",
    "ON",
    "AS",
    "AND",
    "OR",
    "NOT",
    "IN",
    "IS",
    "NULL",
    "BETWEEN",
    "LIKE",
    "ILIKE",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "DISTINCT",
    "ALL",
    "ASC",
    "DESC",
    "NULLS",
    "FIRST",
    "LAST",
    "FILTER",
    "CAST",
    "EXTRACT",
    "TRUE",
    "FALSE",
    "EXPLAIN",
    "SHOW",
    "TABLES",
    "DESCRIBE",
    "UNION",
    "WITH",
    "OVER",
    "EXISTS",
    "RIGHT",
    "CROSS",
    "USING",
    "TIMESTAMP",
    "DATE",
    "INTERVAL",
    "DAY",
    "INTEGER",
    "DOUBLE",
    "PRECISION",
    "VARCHAR",
    "count",
    "date_trunc",
    "events",
    "e",
    "time",
    "student",
    "x",
    "\"Quoted\"",
    "\"a\"\"b\"",
    "'str'",
    "'it''s'",
    "''",
    "'",
    "\"",
    "0",
    "42",
    "-9223372036854775808",
    "9223372036854775808",
    "1.5",
    ".5",
    "1e3",
    "1.5E-3",
    "12abc",
    "(",
    ")",
    ",",
    ".",
    ";",
    "*",
    "+",
    "-",
    "/",
    "%",
    "||",
    "=",
    "<>",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "::",
    "--",
    "/*",
    "*/",
    "\n",
    "é",
    "\u{0}",
    "$",
    "@",
    "[",
    "\u{1F600}",
];

/// `default` cases, or `PARSER_PROPTEST_CASES` for a long run.
fn cases(default: u32) -> u32 {
    std::env::var("PARSER_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn token_soup() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        8 => proptest::sample::select(VOCABULARY).prop_map(str::to_string),
        1 => any::<String>(),
        1 => "[ -~]{0,6}",
    ];
    let separator = proptest::sample::select(&[" ", "", " ", "\n", "/**/", "\t"][..]);
    proptest::collection::vec((token, separator), 0..40)
        .prop_map(|parts| parts.into_iter().map(|(t, s)| format!("{t}{s}")).collect())
}

/// Parses `sql`, checking the answer is quick and any error points inside the text.
fn parse_checked(sql: &str) -> Result<(), TestCaseError> {
    let started = Instant::now();
    let result = parse(sql);
    prop_assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    if let Err(e) = result {
        let (line, column) = e.position();
        prop_assert!(line >= 1 && line <= sql.split('\n').count(), "{e}");
        let line_chars = sql.split('\n').nth(line - 1).map_or(0, |l| l.chars().count());
        prop_assert!(column >= 1 && column <= line_chars + 1, "{e}");
        if let ParseError::Unexpected { expected, found, .. } = &e {
            prop_assert!(!expected.is_empty() && !found.is_empty(), "{e}");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(1024), ..ProptestConfig::default() })]

    #[test]
    fn token_soup_never_panics(sql in token_soup()) {
        on_big_stack(move || {
            parse_checked(&sql)?;
            parse_checked(&format!("SELECT {sql}"))?;
            parse_checked(&format!("SELECT a FROM t WHERE {sql}"))
        })?;
    }

    #[test]
    fn arbitrary_text_never_panics(sql in any::<String>()) {
        parse_checked(&sql)?;
    }
}

// ---- Random ASTs, printed and parsed back ----

fn ident(value: String, quoted: bool) -> Ident {
    Ident {
        value,
        quoted,
        span: Span::default(),
    }
}

/// Unquoted names: never reserved, including the dialect's non-reserved keywords.
fn bare_name() -> impl Strategy<Value = Ident> {
    prop_oneof![
        3 => "c_[a-z0-9_$]{0,5}".prop_map(|v| ident(v, false)),
        1 => proptest::sample::select(
            &["day", "week", "hour", "first", "last", "time", "date", "timestamp", "interval", "extract", "signal"][..]
        )
        .prop_map(|v| ident(v.to_string(), false)),
    ]
}

fn name() -> impl Strategy<Value = Ident> {
    prop_oneof![4 => bare_name(), 1 => "[^\u{0}]{1,6}".prop_map(|v| ident(v, true))]
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        Just(Literal::Null),
        any::<bool>().prop_map(Literal::Bool),
        any::<i64>().prop_map(Literal::Integer),
        "-?([0-9]{1,3}\\.[0-9]{0,3}|\\.[0-9]{1,3}|[0-9]{1,3}[eE][+-]?[0-9]{1,2}|[1-9][0-9]{19,22})"
            .prop_map(Literal::Decimal),
        any::<String>().prop_map(Literal::String),
        "[ -~]{0,12}".prop_map(Literal::Timestamp),
        "[ -~]{0,12}".prop_map(Literal::Date),
        "[ -~]{0,12}".prop_map(Literal::Interval),
    ]
}

fn leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        literal().prop_map(|l| Expr::Literal(l, Span::default())),
        (proptest::option::of(name()), name()).prop_map(|(table, name)| Expr::Column { table, name }),
    ]
}

const BINARY_OPS: &[BinaryOp] = &[
    BinaryOp::Or,
    BinaryOp::And,
    BinaryOp::Eq,
    BinaryOp::NotEq,
    BinaryOp::Lt,
    BinaryOp::LtEq,
    BinaryOp::Gt,
    BinaryOp::GtEq,
    BinaryOp::Plus,
    BinaryOp::Minus,
    BinaryOp::Multiply,
    BinaryOp::Divide,
    BinaryOp::Modulo,
    BinaryOp::Concat,
];

const TYPES: &[TypeName] = &[
    TypeName::Integer,
    TypeName::Double,
    TypeName::Text,
    TypeName::Timestamp,
    TypeName::Date,
    TypeName::Boolean,
];

fn boxed(e: Expr) -> Box<Expr> {
    Box::new(e)
}

fn expression() -> impl Strategy<Value = Expr> {
    let s = Span::default();
    leaf().prop_recursive(4, 48, 4, move |inner| {
        // Not `extract`: printed quoted, as bare it would be EXTRACT(field FROM x).
        let function_name = prop_oneof![
            4 => bare_name().prop_filter("extract", |n| n.value != "extract"),
            1 => proptest::sample::select(&["left", "right"][..]).prop_map(|v| ident(v.to_string(), false)),
        ];
        prop_oneof![
            (inner.clone(), proptest::sample::select(BINARY_OPS), inner.clone()).prop_map(move |(l, op, r)| {
                Expr::Binary {
                    left: boxed(l),
                    op,
                    right: boxed(r),
                    op_span: s,
                }
            }),
            (
                proptest::sample::select(&[UnaryOp::Not, UnaryOp::Neg, UnaryOp::Plus][..]),
                inner.clone()
            )
                .prop_map(move |(op, e)| Expr::Unary {
                    op,
                    expr: boxed(e),
                    span: s
                }),
            (inner.clone(), any::<bool>()).prop_map(move |(e, negated)| Expr::IsNull {
                expr: boxed(e),
                negated,
                span: s
            }),
            (
                inner.clone(),
                proptest::collection::vec(inner.clone(), 1..4),
                any::<bool>()
            )
                .prop_map(move |(e, list, negated)| Expr::InList {
                    expr: boxed(e),
                    list,
                    negated,
                    span: s
                }),
            (inner.clone(), inner.clone(), inner.clone(), any::<bool>()).prop_map(move |(e, low, high, negated)| {
                Expr::Between {
                    expr: boxed(e),
                    low: boxed(low),
                    high: boxed(high),
                    negated,
                    span: s,
                }
            }),
            (inner.clone(), inner.clone(), any::<bool>(), any::<bool>()).prop_map(move |(e, p, negated, ci)| {
                Expr::Like {
                    expr: boxed(e),
                    pattern: boxed(p),
                    negated,
                    case_insensitive: ci,
                    span: s,
                }
            }),
            (inner.clone(), proptest::sample::select(TYPES)).prop_map(move |(e, to)| Expr::Cast {
                expr: boxed(e),
                to,
                span: s
            }),
            (
                function_name,
                proptest::collection::vec(inner.clone(), 0..3),
                any::<bool>(),
                any::<bool>(),
                proptest::option::of(inner.clone())
            )
                .prop_map(move |(name, args, star, distinct, filter)| {
                    let star = star && args.is_empty();
                    let distinct = distinct && !args.is_empty();
                    Expr::Function {
                        name,
                        args,
                        star,
                        distinct,
                        filter: filter.map(boxed),
                        span: s,
                    }
                }),
            (bare_name(), inner.clone()).prop_map(move |(field, e)| Expr::Extract {
                field,
                expr: boxed(e),
                span: s
            }),
            (
                proptest::option::of(inner.clone()),
                proptest::collection::vec((inner.clone(), inner.clone()), 1..3),
                proptest::option::of(inner.clone())
            )
                .prop_map(move |(operand, branches, otherwise)| Expr::Case {
                    operand: operand.map(boxed),
                    branches,
                    otherwise: otherwise.map(boxed),
                    span: s
                }),
            (query(leaf()), inner.clone(), any::<bool>()).prop_map(move |(q, e, negated)| Expr::InSubquery {
                expr: boxed(e),
                subquery: Box::new(q),
                negated,
                span: s
            }),
            query(leaf()).prop_map(move |q| Expr::ScalarSubquery(Box::new(q), s)),
        ]
    })
}

fn table(expr: BoxedStrategy<Expr>) -> impl Strategy<Value = TableRef> {
    prop_oneof![
        4 => (name(), proptest::option::of(name())).prop_map(|(name, alias)| TableRef::Table { name, alias }),
        1 => (simple_query(expr), proptest::option::of(name())).prop_map(|(q, alias)| TableRef::Derived {
            query: Box::new(q),
            alias,
            span: Span::default()
        }),
    ]
}

fn simple_query(expr: BoxedStrategy<Expr>) -> impl Strategy<Value = Query> {
    (
        proptest::collection::vec(expr.clone(), 1..3),
        proptest::option::of(name()),
        proptest::option::of(expr),
    )
        .prop_map(|(items, from, selection)| Query {
            distinct: false,
            projection: items
                .into_iter()
                .map(|expr| SelectItem::Expr { expr, alias: None })
                .collect(),
            from: from.map(|name| From {
                base: TableRef::Table { name, alias: None },
                joins: Vec::new(),
            }),
            selection,
            group_by: Vec::new(),
            having: None,
            order_by: Vec::new(),
            limit: None,
            offset: None,
            span: Span::default(),
        })
}

fn query(expr: impl Strategy<Value = Expr> + 'static) -> impl Strategy<Value = Query> {
    let expr = expr.boxed();
    let item = prop_oneof![
        1 => Just(SelectItem::Wildcard(Span::default())),
        1 => name().prop_map(SelectItem::QualifiedWildcard),
        6 => (expr.clone(), proptest::option::of(name())).prop_map(|(expr, alias)| SelectItem::Expr { expr, alias }),
    ];
    let join = (any::<bool>(), table(expr.clone()), expr.clone()).prop_map(|(left, table, on)| Join {
        kind: if left { JoinKind::Left } else { JoinKind::Inner },
        table,
        on,
        span: Span::default(),
    });
    let from =
        (table(expr.clone()), proptest::collection::vec(join, 0..3)).prop_map(|(base, joins)| From { base, joins });
    let order =
        (expr.clone(), any::<bool>(), proptest::option::of(any::<bool>())).prop_map(|(expr, desc, nulls_first)| {
            OrderByItem {
                expr,
                desc,
                nulls_first,
            }
        });
    (
        (
            any::<bool>(),
            proptest::collection::vec(item, 1..4),
            proptest::option::of(from),
        ),
        (
            proptest::option::of(expr.clone()),
            proptest::collection::vec(expr.clone(), 0..3),
            proptest::option::of(expr),
        ),
        (
            proptest::collection::vec(order, 0..3),
            proptest::option::of(any::<u64>()),
            proptest::option::of(any::<u64>()),
        ),
    )
        .prop_map(
            |((distinct, projection, from), (selection, group_by, having), (order_by, limit, offset))| Query {
                distinct,
                projection,
                from,
                selection,
                group_by,
                having,
                order_by,
                limit,
                offset,
                span: Span::default(),
            },
        )
}

fn statement() -> impl Strategy<Value = Statement> {
    prop_oneof![
        8 => query(expression()).prop_map(|q| Statement::Query(Box::new(q))),
        1 => query(leaf()).prop_map(|q| Statement::Explain(Box::new(q))),
        1 => Just(Statement::ShowTables),
        1 => name().prop_map(Statement::Describe),
    ]
}

/// Generating these ASTs recurses deeply through proptest's strategies (very deeply in
/// unoptimized builds), so the whole run happens on a thread with a big stack.
#[test]
fn printed_asts_parse_back_to_themselves() {
    let run = || {
        let config = ProptestConfig {
            cases: cases(512),
            ..ProptestConfig::default()
        };
        let mut runner = proptest::test_runner::TestRunner::new(config);
        runner.run(&statement(), round_trip).map_err(|e| e.to_string())
    };
    let outcome = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(run)
        .expect("spawn")
        .join();
    match outcome {
        Ok(result) => result.unwrap_or_else(|e| panic!("{e}")),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Runs `f` on a thread with 64 MiB of stack: the round trip parses with a nesting limit of 1 000,
/// and unoptimized builds use about 32 KiB of stack per level.
fn on_big_stack(f: impl FnOnce() -> Result<(), TestCaseError> + Send + 'static) -> Result<(), TestCaseError> {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(f)
        .map_err(|e| TestCaseError::fail(e.to_string()))?
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Prints `statement`, parses the text and compares.
fn round_trip(statement: Statement) -> Result<(), TestCaseError> {
    let printed = statement.to_string();
    // Printing parenthesizes nested AND/OR, which can nest deeper than the generator's levels.
    let roomy = ParseLimits {
        max_depth: 1_000,
        ..ParseLimits::default()
    };
    let parsed = parse_with_limits(&printed, &roomy).map_err(|e| TestCaseError::fail(format!("{e}\n{printed}")))?;
    prop_assert_eq!(parsed.len(), 1, "{}", printed);
    let parsed = without_spans(parsed.into_iter().next().unwrap());
    prop_assert_eq!(&parsed, &statement, "{}", printed);
    prop_assert_eq!(parsed.to_string(), printed);
    Ok(())
}
