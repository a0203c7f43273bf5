//! Error messages, exactly as a user sees them: the furthest position reached, what could stand
//! there (with misspelled keywords recognised), what stood there instead, and clear refusals of
//! what the dialect does not support.

mod parser_support;

use parser_support::error;
use query::ParseError;

/// Asserts the rendered error of each `(sql, message)`.
fn check(cases: &[(&str, &str)]) {
    let mut wrong = Vec::new();
    for (sql, expected) in cases {
        let got = error(sql);
        if got != *expected {
            wrong.push(format!("{sql:?}\n   expected: {expected}\n        got: {got}"));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn misspelled_keywords_are_named() {
    check(&[
        ("SELECT * FORM events", "expected FROM, found 'FORM' at 1:10"),
        // `FORM` is read as an alias of count(*); the failure at `events` is traced back to it.
        ("SELECT count(*) FORM events", "expected FROM, found 'FORM' at 1:17"),
        ("SELECT student, x FORM events", "expected FROM, found 'FORM' at 1:19"),
        (
            "SELECT a FROM events WHER x = 1",
            "expected WHERE, found 'WHER' at 1:22",
        ),
        (
            "SELECT a FROM t WHERE x = 1 GRUOP BY a",
            "expected GROUP BY, found 'GRUOP' at 1:29",
        ),
        (
            "SELECT a FROM t WHERE x = 1 AN y = 2",
            "expected AND, found 'AN' at 1:29",
        ),
        ("SELCT 1", "expected SELECT, found 'SELCT' at 1:1"),
        (
            "SELECT a FROM events;\nSELECT b FORM t",
            "expected FROM, found 'FORM' at 2:10",
        ),
        // Columns count characters, not bytes.
        ("SELECT 'é', x FORM t", "expected FROM, found 'FORM' at 1:15"),
    ]);
}

#[test]
fn missing_pieces() {
    check(&[
        (
            "SELECT count(*) FROM events WHERE",
            "expected an expression, found end of input at 1:34",
        ),
        (
            "SELECT FROM events",
            "expected an expression or '*', found 'FROM' at 1:8",
        ),
        (
            "SELECT a, FROM t",
            "expected an expression or '*', found 'FROM' at 1:11",
        ),
        ("SELECT * FROM", "expected a table name, found end of input at 1:14"),
        (
            "SELECT * FROM WHERE x = 1",
            "expected a table name, found 'WHERE' at 1:15",
        ),
        (
            "SELECT * FROM events e JOIN",
            "expected a table name, found end of input at 1:28",
        ),
        ("SELECT a FROM t JOIN u", "expected ON, found end of input at 1:23"),
        ("SELECT a FROM t GROUP a", "expected BY, found 'a' at 1:23"),
        (
            "SELECT * FROM events WHERE student = 'x' ORDER student",
            "expected BY, found 'student' at 1:48",
        ),
        (
            "SELECT a FROM t ORDER BY a NULLS",
            "expected FIRST or LAST, found end of input at 1:33",
        ),
        (
            "SELECT CASE WHEN a THEN 1",
            "expected WHEN, ELSE or END, found end of input at 1:26",
        ),
        ("SELECT CASE x END", "expected WHEN, found 'END' at 1:15"),
        (
            "SELECT a FROM t WHERE a BETWEEN 1 OR 2",
            "expected AND, found 'OR' at 1:35",
        ),
        (
            "SELECT CAST(x AS foo) FROM t",
            "expected a type name, found 'foo' at 1:18",
        ),
        (
            "SELECT count(*) FILTER (x > 1) FROM t",
            "expected WHERE, found 'x' at 1:25",
        ),
        ("SELECT a FROM (t)", "expected SELECT, found 't' at 1:16"),
        ("DESCRIBE", "expected a table name, found end of input at 1:9"),
        ("SHOW TABLE", "expected TABLES, found 'TABLE' at 1:6"),
        ("EXPLAIN", "expected SELECT, found end of input at 1:8"),
        (
            "SELECT a\nFROM t\nWHERE x = = 1",
            "expected an expression, found '=' at 3:11",
        ),
    ]);
}

#[test]
fn unbalanced_parentheses() {
    check(&[
        ("SELECT (a + b FROM t", "expected ')', found 'FROM' at 1:15"),
        ("SELECT count(* FROM t", "expected ')', found 'FROM' at 1:16"),
        (
            "SELECT a FROM t WHERE (a = 1",
            "expected ')', found end of input at 1:29",
        ),
        (
            "SELECT a FROM t WHERE a IN (1, 2",
            "expected ',' or ')', found end of input at 1:33",
        ),
        (
            "SELECT a FROM t WHERE a = 1)",
            "expected GROUP BY, ORDER BY, LIMIT or ';', found ')' at 1:28",
        ),
        (
            "SELECT a FROM (SELECT b FROM t",
            "expected JOIN, WHERE, GROUP BY, ORDER BY, LIMIT or ')', found end of input at 1:31",
        ),
    ]);
}

#[test]
fn trailing_garbage() {
    check(&[
        (
            "SELECT * FROM events LIMIT 10 garbage",
            "expected OFFSET or ';', found 'garbage' at 1:31",
        ),
        (
            "SELECT 1 garbage more",
            "expected ',', FROM, WHERE, GROUP BY, ORDER BY, LIMIT or ';', found 'more' at 1:18",
        ),
        (
            "SELECT a FROM t x y",
            "expected JOIN, WHERE, GROUP BY, ORDER BY, LIMIT or ';', found 'y' at 1:19",
        ),
        (
            "SELECT a FROM t GROUP BY a x",
            "expected ',', HAVING, ORDER BY, LIMIT or ';', found 'x' at 1:28",
        ),
        (
            "SELECT a @ b",
            "expected ',', FROM, WHERE, GROUP BY, ORDER BY, LIMIT or ';', found '@' at 1:10",
        ),
        (
            "SELECT a.b.c FROM t",
            "expected ',', FROM, WHERE, GROUP BY, ORDER BY, LIMIT or ';', found '.' at 1:11",
        ),
    ]);
}

#[test]
fn bad_limits_and_literals() {
    check(&[
        ("SELECT * FROM t LIMIT -1", "LIMIT must not be negative at 1:23"),
        ("SELECT * FROM t OFFSET - 5", "OFFSET must not be negative at 1:24"),
        (
            "SELECT * FROM t LIMIT 'x'",
            "expected an integer or ALL, found string 'x' at 1:23",
        ),
        (
            "SELECT a FROM t LIMIT 1.5",
            "expected an integer or ALL, found '1.5' at 1:23",
        ),
        (
            "SELECT a FROM t LIMIT 99999999999999999999",
            "LIMIT 99999999999999999999 is out of range at 1:23",
        ),
        (
            "SELECT * FROM t WHERE x IN ()",
            "expected an expression or SELECT, found ')' at 1:29",
        ),
        (
            "SELECT 12abc FROM t",
            "expected an expression or '*', found '12abc' at 1:8",
        ),
        ("SELECT $1", "expected an expression or '*', found '$' at 1:8"),
        (
            "SELECT 'this string is far longer than thirty characters in total' 'x'",
            "expected ',', FROM, WHERE, GROUP BY, ORDER BY, LIMIT or ';', found string 'x' at 1:68",
        ),
        (
            "SELECT a FROM t WHERE x = 1 aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd",
            "expected GROUP BY, ORDER BY, LIMIT or ';', found 'aaaaaaaaaabbbbbbbbbbcccccccccc…' at 1:29",
        ),
    ]);
}

#[test]
fn lexical_errors_point_at_the_opening() {
    check(&[
        ("SELECT 'abc FROM t", "unterminated string literal at 1:8"),
        ("SELECT 'it''s", "unterminated string literal at 1:8"),
        ("SELECT \"unterminated FROM t", "unterminated quoted identifier at 1:8"),
        ("SELECT \"\" FROM t", "zero-length quoted identifier at 1:8"),
        ("SELECT 1 /* never /* closed */", "unterminated /* comment at 1:10"),
        ("/* unterminated", "unterminated /* comment at 1:1"),
        (
            "SELECT é FROM t",
            "identifier 'é' has non-ASCII characters; write it in double quotes at 1:8",
        ),
        (
            "SELECT * FROM évents",
            "identifier 'évents' has non-ASCII characters; write it in double quotes at 1:15",
        ),
        ("SELECT a AS FROM events", "expected an alias, found 'FROM' at 1:13"),
    ]);
}

#[test]
fn unsupported_sql_is_named() {
    check(&[
        ("SELECT 1 UNION SELECT 2", "UNION is not supported at 1:10"),
        (
            "SELECT a FROM t EXCEPT SELECT a FROM u",
            "EXCEPT is not supported at 1:17",
        ),
        ("SELECT 1 INTERSECT SELECT 2", "INTERSECT is not supported at 1:10"),
        (
            "WITH x AS (SELECT 1) SELECT * FROM x",
            "WITH (common table expressions) is not supported at 1:1",
        ),
        (
            "INSERT INTO t VALUES (1)",
            "INSERT is not supported: engagedb runs SELECT, EXPLAIN, SHOW TABLES and DESCRIBE at 1:1",
        ),
        (
            "delete from t",
            "DELETE is not supported: engagedb runs SELECT, EXPLAIN, SHOW TABLES and DESCRIBE at 1:1",
        ),
        (
            "SELECT count(*) OVER () FROM t",
            "window functions (OVER …) are not supported at 1:17",
        ),
        (
            "SELECT * FROM t WHERE EXISTS (SELECT 1)",
            "EXISTS is not supported; use IN (SELECT …) at 1:23",
        ),
        (
            "SELECT a FROM t WHERE a = ANY (SELECT 1)",
            "ANY (…) is not supported; use IN (…) at 1:27",
        ),
        (
            "SELECT a FROM t RIGHT JOIN u ON a = b",
            "RIGHT JOIN is not supported (only [INNER] JOIN and LEFT [OUTER] JOIN are) at 1:17",
        ),
        (
            "SELECT * FROM a FULL OUTER JOIN b ON TRUE",
            "FULL JOIN is not supported (only [INNER] JOIN and LEFT [OUTER] JOIN are) at 1:17",
        ),
        (
            "SELECT * FROM a CROSS JOIN b",
            "CROSS JOIN is not supported; use JOIN … ON … at 1:17",
        ),
        (
            "SELECT * FROM a JOIN b USING (id)",
            "JOIN … USING is not supported; use JOIN … ON … at 1:24",
        ),
        (
            "SELECT a FROM t, u",
            "a comma-separated FROM list is not supported; join the tables with JOIN … ON … at 1:16",
        ),
        (
            "SELECT a FROM s.t",
            "qualified table names (schema.table) are not supported at 1:16",
        ),
        (
            "SELECT DISTINCT ON (a) a FROM t",
            "DISTINCT ON is not supported at 1:17",
        ),
        ("SELECT * FROM t WHERE a IS TRUE", "IS TRUE is not supported at 1:28"),
        (
            "SELECT * FROM t WHERE a IS NOT DISTINCT FROM b",
            "IS NOT DISTINCT FROM is not supported at 1:32",
        ),
        (
            "SELECT x::timestamp with time zone",
            "TIMESTAMP WITH TIME ZONE is not supported at 1:21",
        ),
        (
            "SELECT sum(x ORDER BY y) FROM t",
            "ORDER BY inside a function's arguments is not supported at 1:14",
        ),
        (
            "SELECT a FROM t FETCH FIRST 1 ROWS ONLY",
            "FETCH is not supported; use LIMIT at 1:17",
        ),
        (
            "SELECT x FROM t WHERE x LIKE 'a' ESCAPE '!'",
            "LIKE … ESCAPE is not supported at 1:34",
        ),
        ("EXPLAIN ANALYZE SELECT 1", "EXPLAIN ANALYZE is not supported at 1:9"),
    ]);
}

#[test]
fn non_associative_operators_must_be_parenthesized() {
    check(&[
        (
            "SELECT a < b < c",
            "'<' cannot follow another comparison without parentheses at 1:14",
        ),
        (
            "SELECT a = b <> c",
            "'<>' cannot follow another comparison without parentheses at 1:14",
        ),
        (
            "SELECT * FROM t WHERE a LIKE 'x' LIKE 'y'",
            "LIKE cannot follow BETWEEN, IN or LIKE without parentheses at 1:34",
        ),
        (
            "SELECT a BETWEEN 1 AND 2 NOT IN (TRUE)",
            "NOT IN cannot follow BETWEEN, IN or LIKE without parentheses at 1:26",
        ),
    ]);
}

#[test]
fn errors_carry_their_position_as_fields() {
    let ParseError::Unexpected {
        line,
        column,
        expected,
        found,
    } = query::parse("SELECT *\n  FORM events").unwrap_err()
    else {
        panic!("not Unexpected")
    };
    assert_eq!(
        (line, column, expected.as_str(), found.as_str()),
        (2, 3, "FROM", "'FORM'")
    );
    let err = query::parse("SELECT 'x").unwrap_err();
    assert!(matches!(err, ParseError::Invalid { line: 1, column: 8, .. }));
    assert_eq!(err.position(), (1, 8));
}
