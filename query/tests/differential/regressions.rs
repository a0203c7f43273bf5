//! Hand-written cases run on every district before the generated ones: the suite's fifteen queries,
//! the documented differences from DuckDB, and one case per bug the differential test has found.
//! Cases still open (bugs in files another engineer owns) are kept apart in [`known_open`].

use crate::compare::Order;
use crate::generate::{Case, Expect};
use crate::sql::Sql;

fn case(template: &'static str, ours: &str, duck: &str, order: Order) -> Case {
    Case {
        sql: Sql::two(ours, duck),
        template,
        order,
        expect: Expect::Same,
    }
}

/// A case whose text is the same for both engines.
fn same(template: &'static str, sql: &str, order: Order) -> Case {
    case(template, sql, sql, order)
}

const ORDERED: Order = Order::Ordered { keys: None };

/// The suite's queries as written (they are valid on any district; most ids in them are absent here).
fn suite() -> Vec<Case> {
    let dir = crate::common::shared().join("queries");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("queries dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let sql = std::fs::read_to_string(p).expect("read suite query");
            same("suite", &sql, ORDERED)
        })
        .collect()
}

/// Every fixed case that must agree (or fail as documented).
pub fn fixed() -> Vec<Case> {
    let mut cases = suite();
    cases.extend([
        // Aggregates over no rows: one row, count 0, NULL for the others.
        same(
            "fixed",
            "SELECT count(*), count(grade), sum(meeting_seconds), sum(grade), avg(grade), min(time), max(app) \
             FROM events WHERE app = 'no such app'",
            ORDERED,
        ),
        same("fixed", "SELECT count(*), sum(grade) FROM events WHERE time < TIMESTAMP '1999-01-01'", ORDERED),
        // PostgreSQL's default NULL placement: last ascending, first descending.
        case(
            "fixed",
            "SELECT school, count(*) FROM events GROUP BY school ORDER BY school DESC",
            "SELECT school, count(*) FROM events GROUP BY school ORDER BY school DESC NULLS FIRST",
            ORDERED,
        ),
        case(
            "fixed",
            "SELECT action, count(*) FROM events GROUP BY action ORDER BY action",
            "SELECT action, count(*) FROM events GROUP BY action ORDER BY action NULLS LAST",
            ORDERED,
        ),
        // Integer division truncates toward zero (DuckDB spells it //).
        case("fixed", "SELECT -7 / 2, 7 / -2, -7 % 2", "SELECT -7 // 2, 7 // -2, -7 % 2", ORDERED),
        // Integer division by zero fails in both.
        case("fixed", "SELECT count(*) / 0 FROM events", "SELECT count(*) // 0 FROM events", ORDERED),
        // Documented difference: a DOUBLE divided by zero fails in engagedb (PostgreSQL), DuckDB gives inf.
        Case {
            sql: Sql::same("SELECT count(*) / 0.0 FROM events"),
            template: "fixed",
            order: ORDERED,
            expect: Expect::OursFails("division by zero"),
        },
        // An output name shared by equal expressions is not ambiguous in ORDER BY (PostgreSQL); the
        // binder rejected it.
        same("fixed", "SELECT app, app, count(*) FROM events GROUP BY app ORDER BY app", ORDERED),
        same("fixed", "SELECT id, name, id FROM orgs ORDER BY id", ORDERED),
        // NULL [NOT] IN (empty subquery) is FALSE [TRUE]: grade is not indexed (the vectorized path), CASE
        // has no kernel (the row-at-a-time path); both gave NULL.
        same(
            "fixed",
            "SELECT count(*), count(*) FILTER (WHERE grade IN (SELECT grade FROM events WHERE 1 = 0)) FROM events \
             WHERE grade NOT IN (SELECT grade FROM events WHERE app = 'no such app')",
            ORDERED,
        ),
        same(
            "fixed",
            "SELECT CASE WHEN grade NOT IN (SELECT grade FROM events WHERE 1 = 0) THEN 'in' ELSE 'out' END AS k, \
             count(*) FROM events GROUP BY 1 ORDER BY 1",
            ORDERED,
        ),
        // round(x, n) on a DOUBLE rounds its exact value (11.95 is 11.9499…), ties away from zero;
        // engagedb rounded x * 10^n, itself rounded up to 119.5.
        case(
            "fixed",
            "SELECT round(11.95, 1), round(-11.95, 1), round(1.005, 2), round(0.125, 2), round(2.5, 0)",
            "SELECT round(CAST(11.95 AS DOUBLE), 1), round(CAST(-11.95 AS DOUBLE), 1), round(CAST(1.005 AS DOUBLE), 2), \
             round(CAST(0.125 AS DOUBLE), 2), round(CAST(2.5 AS DOUBLE), 0)",
            ORDERED,
        ),
        // Keys and DISTINCT arguments on a text column that is NULL in every row of a segment (an empty
        // dictionary; NULL rows carry id 0): exec/keys.rs looked id 0 up and panicked (fixed on main in
        // abb031c).
        same(
            "fixed",
            "SELECT meeting IS NULL AS no_meeting, count(DISTINCT meeting) FROM events GROUP BY 1 ORDER BY 1",
            ORDERED,
        ),
        same(
            "fixed",
            "SELECT meeting, app, count(*) FROM events GROUP BY meeting, app ORDER BY 1 NULLS FIRST, 2",
            ORDERED,
        ),
        same("fixed", "SELECT count(DISTINCT meeting) FROM events", ORDERED),
        // `NOT (x IN (subquery))` on an indexed column: the bitmap path (exec/index.rs) took the non-NULL
        // rows not in the result; over an empty result every row qualifies, NULLs too (fixed on main in
        // 8b32dae).
        same(
            "fixed",
            "SELECT count(*) FROM events WHERE school NOT IN (SELECT id FROM orgs WHERE 1 = 0)",
            ORDERED,
        ),
        same(
            "fixed",
            "SELECT count(*) FROM events WHERE NOT (action IN (SELECT app FROM events WHERE app = 'none'))",
            ORDERED,
        ),
        // A scalar subquery with several rows fails in both.
        same("fixed", "SELECT (SELECT student FROM events)", ORDERED),
    ]);
    cases
}

/// Differences found in code another engineer owns (see each comment); run by the ignored test
/// `known_open_differences` until they are fixed there.
pub fn known_open() -> Vec<Case> {
    // None open: the empty-dictionary panic in exec/keys.rs and the empty IN-subquery result on the
    // bitmap path in exec/index.rs, found here, are fixed on main (their cases are in `fixed`).
    vec![]
}
