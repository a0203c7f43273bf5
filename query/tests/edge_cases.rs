//! Edge cases of stored data the executor must handle: columns NULL in every row of a segment (empty
//! dictionaries), rows still in the in-memory buffer next to flushed segments, and empty stores.

use std::sync::Arc;

use engine::{col, BatchBuilder, Db, DbOptions, ValueRef};
use query::format::to_csv;
use query::QueryEngine;

/// A store with `rows` (time µs, student, class) per batch; every batch is flushed to its own segment
/// unless `flush` is false.
fn store(batches: &[(&[(i64, &str, Option<&str>)], bool)]) -> (tempfile::TempDir, Arc<Db>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Db::open(
        dir.path(),
        DbOptions {
            background_compaction: false,
            sync: false,
            ..DbOptions::default()
        },
    )
    .expect("open");
    let mut n = 0;
    for (rows, flush) in batches {
        let mut b = BatchBuilder::new();
        for (t, student, class) in rows.iter() {
            n += 1;
            let id = format!("{n:032x}");
            let mut r = vec![ValueRef::Null; col::COUNT];
            r[col::TIME] = ValueRef::Int(*t);
            r[col::SIGNAL_ID] = ValueRef::Text(&id);
            r[col::SIGNAL] = ValueRef::Text("VisitTeamChannel");
            r[col::APP] = ValueRef::Text("Teams");
            r[col::STUDENT] = ValueRef::Text(student);
            r[col::CLASS] = class.map_or(ValueRef::Null, ValueRef::Text);
            b.push_row(&r).expect("row");
        }
        db.append(b.finish()).expect("append");
        if *flush {
            db.flush().expect("flush");
        }
    }
    (dir, db)
}

const DAY: i64 = 86_400_000_000;

fn csv(engine: &QueryEngine, sql: &str) -> String {
    match engine.query(sql) {
        Ok(r) => to_csv(&r),
        Err(e) => panic!("{sql}: {e}"),
    }
}

#[test]
fn a_column_null_in_every_row_of_a_segment() {
    // Day 0: class always NULL (the segment's class dictionary is empty); day 1: classes present.
    let (_dir, db) = store(&[
        (&[(0, "s1", None), (1, "s2", None)], true),
        (&[(DAY, "s1", Some("c1")), (DAY + 1, "s3", Some("c2"))], true),
        (&[(2 * DAY, "s4", None)], false),
    ]);
    let e = QueryEngine::new(db);
    assert_eq!(
        csv(&e, "SELECT class, count(*) AS n, count(DISTINCT class) AS d FROM events GROUP BY class ORDER BY class NULLS FIRST"),
        "class,n,d\n,3,0\nc1,1,1\nc2,1,1\n"
    );
    assert_eq!(
        csv(&e, "SELECT count(DISTINCT class) AS d, count(class) AS c FROM events"),
        "d,c\n2,2\n"
    );
    assert_eq!(
        csv(
            &e,
            "SELECT count(*) AS n FROM events WHERE class = 'c1' OR class IS NULL"
        ),
        "n\n4\n"
    );
    assert_eq!(
        csv(&e, "SELECT count(*) AS n FROM events WHERE class <> 'c1'"),
        "n\n1\n"
    );
    assert_eq!(
        csv(&e, "SELECT count(*) AS n FROM events WHERE class LIKE 'c%'"),
        "n\n2\n"
    );
    assert_eq!(
        csv(&e, "SELECT count(*) AS n FROM events WHERE class IN ('c2', 'x')"),
        "n\n1\n"
    );
    assert_eq!(
        csv(&e, "SELECT count(*) AS n FROM events WHERE upper(class) = 'C2'"),
        "n\n1\n"
    );
    assert_eq!(
        csv(&e, "SELECT student FROM events WHERE student NOT IN (SELECT student FROM events WHERE class IS NOT NULL) ORDER BY 1"),
        "student\ns2\ns4\n"
    );
    // Nothing is in an empty subquery result, not even NULL: NOT IN keeps every row, NULL classes too,
    // through the bitmap path (indexed column) and the row path (NOT over a function) alike.
    let empty = "(SELECT class FROM events WHERE student = 'nobody')";
    assert_eq!(
        csv(
            &e,
            &format!("SELECT count(*) AS n FROM events WHERE class NOT IN {empty}")
        ),
        "n\n5\n"
    );
    assert_eq!(
        csv(
            &e,
            &format!("SELECT count(*) AS n FROM events WHERE NOT (class IN {empty})")
        ),
        "n\n5\n"
    );
    assert_eq!(
        csv(
            &e,
            &format!("SELECT count(*) AS n FROM events WHERE upper(class) NOT IN {empty}")
        ),
        "n\n5\n"
    );
    assert_eq!(
        csv(&e, &format!("SELECT count(*) AS n FROM events WHERE class IN {empty}")),
        "n\n0\n"
    );
    assert_eq!(
        csv(
            &e,
            &format!("SELECT count(*) FILTER (WHERE class NOT IN {empty}) AS n FROM events")
        ),
        "n\n5\n"
    );
}

#[test]
fn an_empty_store_answers_with_empty_results_and_one_row_aggregates() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Db::open(
        dir.path(),
        DbOptions {
            background_compaction: false,
            sync: false,
            ..DbOptions::default()
        },
    )
    .expect("open");
    let e = QueryEngine::new(db);
    assert_eq!(
        csv(&e, "SELECT count(*) AS n, sum(grade) AS s, min(time) AS t FROM events"),
        "n,s,t\n0,,\n"
    );
    assert_eq!(
        csv(&e, "SELECT class, count(*) FROM events GROUP BY class"),
        "class,count\n"
    );
    assert_eq!(csv(&e, "SELECT * FROM orgs"), "id,name,type,parent\n");
}
