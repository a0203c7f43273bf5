//! Property test of the scan API: on random data appended in random batches, with random flushes and
//! compactions in between, `Snapshot::scan` and `Snapshot::count` select exactly the rows a brute-force
//! scan of everything appended selects, for random time ranges and random `IN` filters on indexed
//! columns (including values that do not occur and NULLs).

use std::collections::BTreeSet;

use engine::{col, BatchBuilder, Db, DbOptions, EventBatch, IndexFilter, ScanRequest, ValueRef};
use proptest::prelude::*;

const DAY: i64 = 86_400_000_000;
const T0: i64 = 1_641_168_000_000_000;
/// Indexed columns the rows vary in (signal, app, action, student, class, school).
const INDEXED: [usize; 6] = [
    col::SIGNAL,
    col::APP,
    col::ACTION,
    col::STUDENT,
    col::CLASS,
    col::SCHOOL,
];

/// One generated row: a time offset and, per indexed column, a value code (0 = NULL where allowed).
#[derive(Debug, Clone)]
struct Row {
    time: i64,
    codes: [u8; 6],
}

fn value(column: usize, code: u8) -> Option<String> {
    let nullable = engine::EVENT_COLUMNS[column].nullable;
    (code > 0 || !nullable).then(|| format!("{}-{code}", engine::EVENT_COLUMNS[column].name))
}

fn row_strategy() -> impl Strategy<Value = Row> {
    (0..3 * DAY, proptest::array::uniform6(0u8..5)).prop_map(|(time, codes)| Row { time: T0 + time, codes })
}

fn batch(rows: &[(usize, Row)]) -> EventBatch {
    let mut b = BatchBuilder::new();
    for (id, row) in rows {
        let sid = format!("sig-{id}");
        let texts: Vec<Option<String>> = INDEXED.iter().zip(row.codes).map(|(&c, code)| value(c, code)).collect();
        let mut cells = vec![ValueRef::Null; col::COUNT];
        cells[col::TIME] = ValueRef::Int(row.time);
        cells[col::SIGNAL_ID] = ValueRef::Text(&sid);
        for (&c, text) in INDEXED.iter().zip(&texts) {
            cells[c] = text.as_deref().map_or(ValueRef::Null, ValueRef::Text);
        }
        b.push_row(&cells).unwrap();
    }
    b.finish()
}

/// A random request: maybe a time range, and up to two filters with up to three values each (codes 0..6:
/// some never occur, and code 0 of a nullable column names a value no row has).
fn request_strategy() -> impl Strategy<Value = ScanRequest> {
    let filter = (0..INDEXED.len(), proptest::collection::vec(0u8..6, 0..3)).prop_map(|(i, codes)| IndexFilter {
        column: INDEXED[i],
        values: codes
            .into_iter()
            .map(|c| format!("{}-{c}", engine::EVENT_COLUMNS[INDEXED[i]].name))
            .collect(),
    });
    (
        proptest::option::of(0..3 * DAY),
        proptest::option::of(0..3 * DAY),
        proptest::collection::vec(filter, 0..3),
    )
        .prop_map(|(from, to, filters)| ScanRequest {
            from: from.map(|f| T0 + f),
            to: to.map(|t| T0 + t),
            filters,
        })
}

fn brute_force(rows: &[(usize, Row)], req: &ScanRequest) -> BTreeSet<String> {
    rows.iter()
        .filter(|(_, r)| req.from.is_none_or(|f| r.time >= f) && req.to.is_none_or(|t| r.time < t))
        .filter(|(_, r)| {
            req.filters.iter().all(|f| {
                let i = INDEXED.iter().position(|&c| c == f.column).unwrap();
                value(f.column, r.codes[i]).is_some_and(|v| f.values.contains(&v))
            })
        })
        .map(|(id, _)| format!("sig-{id}"))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn scans_select_exactly_what_brute_force_selects(
        chunks in proptest::collection::vec((proptest::collection::vec(row_strategy(), 0..120), 0u8..3), 1..5),
        requests in proptest::collection::vec(request_strategy(), 1..12),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path(), DbOptions {
            sync: false,
            background_compaction: false,
            memtable_rows: 1 << 30,
            ..DbOptions::default()
        }).unwrap();
        let mut all: Vec<(usize, Row)> = Vec::new();
        for (rows, then) in chunks {
            let numbered: Vec<(usize, Row)> = rows.into_iter().enumerate().map(|(i, r)| (all.len() + i, r)).collect();
            db.append(batch(&numbered)).unwrap();
            all.extend(numbered);
            match then {
                1 => db.flush().unwrap(),
                2 => { db.flush().unwrap(); db.compact().unwrap(); }
                _ => {}
            }
        }
        let snap = db.snapshot().unwrap();
        prop_assert_eq!(snap.rows(), all.len() as u64);
        for req in &requests {
            let expected = brute_force(&all, req);
            let mut got = BTreeSet::new();
            for unit in snap.scan(req).unwrap() {
                let ids = unit.segment.text_column(col::SIGNAL_ID).unwrap();
                for r in &unit.selection {
                    prop_assert!(got.insert(ids.value(r as usize).unwrap().to_string()), "row selected twice");
                }
            }
            prop_assert_eq!(&got, &expected, "request {:?}", req);
            prop_assert_eq!(snap.count(req).unwrap(), expected.len() as u64);
        }
    }
}
