//! Limits: deep nesting is refused before it can overflow the stack (proved on small-stack
//! threads), long but flat inputs parse quickly into shallow trees, and oversized text is refused.

mod parser_support;

use std::time::{Duration, Instant};

use parser_support::select;
use query::ast::{BinaryOp, Expr, SelectItem, Statement};
use query::{parse, parse_with_limits, ParseError, ParseLimits};

/// Runs `f` on a thread with a `kib` KiB stack: a stack overflow there aborts the test binary.
fn on_small_stack<T: Send + 'static>(kib: usize, f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(kib * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no panic")
}

/// The stack the deep-input tests get. The deepest accepted input (64 nested scalar subqueries)
/// needs about 224 KiB in a release build; unoptimized builds have much bigger frames (about
/// 2 MiB for the same input), so they get 4 MiB.
const SMALL_STACK_KIB: usize = if cfg!(debug_assertions) { 4096 } else { 256 };

fn nesting_error(sql: String) -> String {
    // Some of these texts pass 1 MiB: lift that limit to reach the nesting one.
    let limits = ParseLimits {
        max_statement_bytes: usize::MAX,
        ..ParseLimits::default()
    };
    on_small_stack(SMALL_STACK_KIB, move || match parse_with_limits(&sql, &limits) {
        Err(ParseError::Invalid { message, .. }) => message,
        other => panic!("expected a nesting error, got {other:?}"),
    })
}

fn repeat(open: &str, middle: &str, close: &str, n: usize) -> String {
    format!("SELECT {}{middle}{}", open.repeat(n), close.repeat(n))
}

#[test]
fn pathological_nesting_is_refused_without_overflowing_a_small_stack() {
    const N: usize = 100_000;
    let expected = "expression nested more than 64 levels";
    for sql in [
        repeat("(", "1", ")", N),
        repeat("NOT ", "TRUE", "", N),
        repeat("- ", "1", "", N),
        repeat("+", "1", "", N),
        repeat("(SELECT ", "1", ")", N),
        repeat("f(", "1", ")", N),
        repeat("CASE WHEN TRUE THEN ", "1", " END", N),
        repeat("CAST(", "1", " AS INT)", N),
        repeat("1 IN (", "1", ")", N),
        repeat("x BETWEEN (", "1", ") AND 2", N),
        format!("SELECT * FROM {}t{}", "(SELECT * FROM ".repeat(N), ") x".repeat(N)),
        format!("SELECT 1 WHERE x IN {}", "(SELECT x WHERE x IN ".repeat(N)),
        format!("SELECT {}", vec!["1"; N].join(" + ")),
        format!("SELECT a{}", "::int".repeat(N)),
    ] {
        let shown = sql.chars().take(40).collect::<String>();
        assert_eq!(nesting_error(sql), expected, "{shown}…");
    }
}

#[test]
fn the_nesting_error_points_at_the_level_past_the_limit() {
    let sql = repeat("(", "1", ")", 65);
    assert_eq!(
        parse(&sql).unwrap_err(),
        ParseError::Invalid {
            line: 1,
            column: 72,
            message: "expression nested more than 64 levels".into()
        }
    );
}

#[test]
fn the_limit_itself_is_accepted_even_on_a_small_stack() {
    for (open, middle, close) in [
        ("(", "1", ")"),
        ("(SELECT ", "1", ")"),
        ("NOT ", "TRUE", ""),
        ("coalesce(", "x", ", 1)"),
    ] {
        let ok = repeat(open, middle, close, 64);
        let deeper = repeat(open, middle, close, 65);
        on_small_stack(SMALL_STACK_KIB, move || {
            assert!(parse(&ok).is_ok(), "{open}: 64 levels");
            assert!(parse(&deeper).is_err(), "{open}: 65 levels");
        });
    }
    // 63 operators of a chain and one level for the parenthesis: exactly at the limit.
    assert!(parse(&format!("SELECT ({})", vec!["1"; 64].join(" + "))).is_ok());
    assert!(parse(&format!("SELECT ({})", vec!["1"; 65].join(" + "))).is_err());
}

#[test]
fn the_depth_limit_is_configurable() {
    let limits = ParseLimits {
        max_depth: 3,
        ..ParseLimits::default()
    };
    assert!(parse_with_limits("SELECT ((( 1 )))", &limits).is_ok());
    let err = parse_with_limits("SELECT (((( 1 ))))", &limits).unwrap_err();
    assert_eq!(err.to_string(), "expression nested more than 3 levels at 1:11");
}

#[test]
fn long_flat_inputs_parse_fast_into_shallow_trees() {
    let started = Instant::now();
    let list: Vec<String> = (0..10_000).map(|k| format!("'value-{k}'")).collect();
    let query = select(&format!("SELECT a FROM t WHERE a IN ({})", list.join(", ")));
    assert!(matches!(query.selection, Some(Expr::InList { ref list, .. }) if list.len() == 10_000));

    let predicates: Vec<String> = (0..5_000).map(|k| format!("c{k} = {k}")).collect();
    let sql = format!("SELECT a FROM t WHERE {}", predicates.join(" AND "));
    let query = select(&sql);
    let condition = query.selection.expect("WHERE");
    assert!(height(&condition) <= 16, "5000 ANDs are {} deep", height(&condition));
    // In order, left to right.
    let mut leaves = Vec::new();
    conjuncts(&condition, &mut leaves);
    assert_eq!(leaves.len(), 5_000);
    assert!(leaves
        .iter()
        .enumerate()
        .all(|(k, leaf)| leaf.to_string() == format!("c{k} = {k}")));

    let ors: Vec<String> = (0..5_000).map(|k| format!("x = {k}")).collect();
    let query = select(&format!("SELECT {}", ors.join(" OR ")));
    let SelectItem::Expr { expr, .. } = &query.projection[0] else {
        panic!()
    };
    assert!(height(expr) <= 16);

    let items: Vec<String> = (0..10_000).map(|k| format!("c{k} AS a{k}")).collect();
    assert_eq!(
        select(&format!("SELECT {} FROM t", items.join(", "))).projection.len(),
        10_000
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_deep_ast_drops_on_a_small_stack() {
    on_small_stack(SMALL_STACK_KIB, || {
        let predicates: Vec<String> = (0..20_000).map(|k| format!("(c{k} = {k} OR NOT d{k})")).collect();
        let statements = parse(&format!("SELECT a FROM t WHERE {}", predicates.join(" AND "))).unwrap();
        let printed = statements[0].to_string();
        drop(statements);
        assert!(printed.len() > 20_000 * 20);
    });
}

#[test]
fn a_megabyte_of_sql_parses_in_bounded_time() {
    let limits = ParseLimits::default();
    let mut sql = String::from("SELECT count(*) FROM events WHERE student IN (");
    while sql.len() < limits.max_statement_bytes - 100 {
        sql.push_str("'e7e33896cd5445f697dcf40cbf19b99a', ");
    }
    sql.push_str("'x') /* a comment */");
    let started = Instant::now();
    assert!(parse(&sql).is_ok());
    // And the same text broken at the end: the whole text is scanned once more at most.
    sql.push_str(" garbage more");
    assert!(parse(&sql).is_err());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn oversized_text_is_refused_at_the_start() {
    let limits = ParseLimits::default();
    assert_eq!(limits.max_statement_bytes, 1 << 20);
    let sql = format!("SELECT 1 {}", " ".repeat(limits.max_statement_bytes));
    assert_eq!(
        parse(&sql).unwrap_err(),
        ParseError::Invalid {
            line: 1,
            column: 1,
            message: "SQL text of 1048585 bytes is longer than the limit of 1048576 bytes".into()
        }
    );
    let small = ParseLimits {
        max_statement_bytes: 8,
        ..ParseLimits::default()
    };
    assert!(parse_with_limits("SELECT 1", &small).is_ok());
    assert!(parse_with_limits("SELECT 10", &small).is_err());
}

/// The depth of an expression tree.
fn height(e: &Expr) -> usize {
    match e {
        Expr::Binary { left, right, .. } => 1 + height(left).max(height(right)),
        Expr::Unary { expr, .. } => 1 + height(expr),
        _ => 1,
    }
}

/// The operands of an `AND` tree, left to right.
fn conjuncts<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::Binary {
            left,
            op: BinaryOp::And,
            right,
            ..
        } => {
            conjuncts(left, out);
            conjuncts(right, out);
        }
        other => out.push(other),
    }
}

#[test]
fn explain_shares_the_limits() {
    assert!(matches!(
        parse(&format!("EXPLAIN {}", &repeat("(", "1", ")", 64)[..])).unwrap()[0],
        Statement::Explain(_)
    ));
    assert!(parse(&format!("EXPLAIN {}", repeat("(", "1", ")", 65))).is_err());
}
