//! What users see when a query is wrong: every error says where (line:column) or what is valid, and
//! none of them is a panic. Runs against the public HEd sample.

mod common;

use query::{ExecOptions, QueryEngine};

fn err(engine: &QueryEngine, sql: &str) -> String {
    match engine.query(sql) {
        Ok(r) => panic!("{sql} should fail, returned {} rows", r.rows.len()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn names_that_do_not_resolve_list_what_is_valid() {
    let e = QueryEngine::new(common::hed_store());
    assert_eq!(
        err(&e, "SELECT count(*) FROM event"),
        "unknown table 'event' at 1:22; tables: events, assignments, orgs, classes, people, enrollments"
    );
    let m = err(&e, "SELECT stdent FROM events");
    assert!(
        m.starts_with(
            "unknown column 'stdent' at 1:8 (did you mean 'student'?); valid columns: time, signal_id, signal"
        ),
        "{m}"
    );
    let m = err(&e, "SELECT o.nme FROM events e JOIN orgs o ON o.id = e.school");
    assert!(
        m.starts_with(
            "unknown column 'o.nme' at 1:8 (did you mean 'name'?); valid columns: o.id, o.name, o.type, o.parent"
        ),
        "{m}"
    );
    assert_eq!(
        err(&e, "SELECT id FROM orgs o JOIN classes c ON c.school = o.id"),
        "column reference 'id' at 1:8 is ambiguous: it could be o.id, c.id"
    );
    assert_eq!(
        err(&e, "SELECT x.id FROM orgs o"),
        "unknown table or alias 'x' in 'x.id'; in scope: o at 1:8"
    );
    assert_eq!(
        err(&e, "DESCRIBE pupils"),
        "unknown table 'pupils' at 1:10; tables: events, assignments, orgs, classes, people, enrollments"
    );
    let m = err(&e, "SELECT date_trnc('day', time) FROM events");
    assert!(
        m.starts_with("unknown function date_trnc (did you mean date_trunc?)"),
        "{m}"
    );
}

#[test]
fn type_errors_name_the_operand() {
    let e = QueryEngine::new(common::hed_store());
    assert_eq!(
        err(&e, "SELECT count(*) FROM events WHERE class = 5"),
        "type error at 1:41: cannot compare TEXT with BIGINT (left operand 'class' is TEXT, right operand '5' is BIGINT)"
    );
    assert_eq!(
        err(&e, "SELECT grade + app FROM events"),
        "type error at 1:14: operator + cannot be applied to DOUBLE and TEXT (left operand 'grade' is DOUBLE, right operand 'app' is TEXT)"
    );
    assert_eq!(
        err(&e, "SELECT count(*) FROM events WHERE time > '2022-13-01'"),
        "type error at 1:40: invalid timestamp '2022-13-01': month out of range (expected YYYY-MM-DD[ HH:MM:SS[.ffffff]])"
    );
    assert_eq!(
        err(&e, "SELECT sum(app) FROM events"),
        "type error at 1:8: sum needs a number, not TEXT"
    );
    assert_eq!(
        err(&e, "SELECT count(*) FROM events WHERE app"),
        "type error at 1:35: 'app' must be a BOOLEAN condition, but it is TEXT"
    );
}

#[test]
fn aggregates_and_grouping_are_checked() {
    let e = QueryEngine::new(common::hed_store());
    assert_eq!(
        err(&e, "SELECT app FROM events WHERE count(*) > 1"),
        "aggregate functions are not allowed in WHERE at 1:30"
    );
    assert_eq!(
        err(&e, "SELECT app, student, count(*) FROM events GROUP BY app"),
        "column 'student' must appear in the GROUP BY clause or be used in an aggregate function at 1:13"
    );
    assert_eq!(
        err(&e, "SELECT count(count(*)) FROM events"),
        "aggregate functions are not allowed in aggregate function arguments (aggregates cannot be nested) at 1:14"
    );
    assert_eq!(
        err(&e, "SELECT app FROM events ORDER BY 3"),
        "ORDER BY position 3 is not in the select list at 1:33"
    );
    assert_eq!(
        err(&e, "SELECT app, count(*) FROM events GROUP BY 5"),
        "GROUP BY position 5 is not in the select list at 1:43"
    );
    assert_eq!(
        err(&e, "SELECT DISTINCT app FROM events ORDER BY student"),
        "for SELECT DISTINCT, ORDER BY expressions must appear in the select list at 1:42"
    );
}

#[test]
fn errors_while_running_are_clear() {
    let e = QueryEngine::new(common::hed_store());
    assert_eq!(err(&e, "SELECT count(*) / 0 FROM events"), "division by zero");
    assert_eq!(
        err(&e, "SELECT (SELECT student FROM events) AS s"),
        "more than one row returned by a subquery used as an expression"
    );
    // Only where the value is used, as in PostgreSQL.
    let r = e
        .query("SELECT CASE WHEN 1 = 2 THEN (SELECT student FROM events) ELSE 'none' END AS s")
        .map(|r| r.rows);
    assert_eq!(r.ok(), Some(vec![vec![query::Value::Text("none".into())]]));
    assert_eq!(
        err(
            &e,
            "SELECT 1 FROM events WHERE student IN (SELECT id, role FROM people)"
        ),
        "the subquery of IN returns 2 columns; it must return one at 1:28"
    );
    let m = err(
        &e,
        "SELECT count(*) FROM events WHERE student = (SELECT student FROM events e2 WHERE e2.class = events.class)",
    );
    assert!(m.contains("correlated subqueries are not supported"), "{m}");
}

#[test]
fn a_query_over_its_memory_limit_fails_cleanly_and_the_engine_keeps_working() {
    let db = common::hed_store();
    let small = QueryEngine::new(db.clone()).with_options(ExecOptions {
        memory_limit: 64 << 10,
        ..ExecOptions::default()
    });
    let m = err(&small, "SELECT signal_id, count(*) FROM events GROUP BY signal_id");
    assert!(
        m.starts_with("the query needs more than its memory limit of 64.0 KiB (in GROUP BY)"),
        "{m}"
    );
    let m = err(&small, "SELECT * FROM events ORDER BY time");
    assert!(m.contains("memory limit"), "{m}");
    // A join without an equality between two big inputs is stopped, not left to exhaust memory.
    let m = err(
        &small,
        "SELECT count(*) FROM events a JOIN events b ON a.grade < b.grade",
    );
    assert!(m.contains("memory limit"), "{m}");
    // The same engine still answers small queries, and a roomier one answers the big one.
    assert_eq!(
        small.query("SELECT count(*) FROM events").map(|r| r.rows.len()).ok(),
        Some(1)
    );
    let roomy = QueryEngine::new(db);
    assert_eq!(
        roomy
            .query("SELECT signal_id, count(*) FROM events GROUP BY signal_id")
            .map(|r| r.rows.len())
            .ok(),
        Some(78_603)
    );
}

#[test]
fn parse_errors_say_line_column_and_what_was_expected() {
    let e = QueryEngine::new(common::hed_store());
    assert_eq!(
        err(&e, "SELECT student, x FORM events"),
        "syntax error: expected FROM, found 'FORM' at 1:19"
    );
    assert_eq!(
        err(&e, "SELECT count(*)\nFROM events\nWHERE (app = 'Teams'"),
        "syntax error: expected ')', found end of input at 3:21"
    );
}
