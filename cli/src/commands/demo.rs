//! `engagedb demo`: the README's one-command start. Generates a district into `DIR/source` (once),
//! imports it into the embedded store `DIR/store` (once), then answers engagement questions from the
//! query suite as aligned tables with their timings, and shows how to ask your own.

use std::path::Path;
use std::time::Instant;

use query::QueryEngine;

use super::district::DistrictIds;
use super::{open_store, CliResult};

/// Questions an educator or leader asks, in SQL; `{class}`, `{student}` and `{school}` are replaced by
/// ids of the generated district.
const QUESTIONS: &[(&str, &str)] = &[
    (
        "How much activity, from how many students and classes, over what period?",
        "SELECT count(*) AS events, count(DISTINCT student) AS students, count(DISTINCT class) AS classes, \
         min(time) AS first, max(time) AS last FROM events",
    ),
    (
        "How many students were active on 1..5 days of one school week?",
        "SELECT active_days, count(*) AS students FROM (\
           SELECT student, count(DISTINCT date_trunc('day', time)) AS active_days FROM events \
           WHERE time >= TIMESTAMP '2022-01-24' AND time < TIMESTAMP '2022-01-29' GROUP BY student) per_student \
         GROUP BY active_days ORDER BY active_days",
    ),
    (
        "Who has gone quiet: students with no activity at all in the last week (first 10)?",
        "SELECT id AS student FROM people WHERE role = 'student' \
           AND id NOT IN (SELECT student FROM events WHERE time >= TIMESTAMP '2022-01-31') \
         ORDER BY id LIMIT 10",
    ),
    (
        "One class, one week: each student's signals, active days and last activity.",
        "SELECT student, count(*) AS signals, count(DISTINCT date_trunc('day', time)) AS active_days, \
                max(time) AS last_seen FROM events \
         WHERE class = '{class}' AND time >= TIMESTAMP '2022-01-17' AND time < TIMESTAMP '2022-01-24' \
         GROUP BY student ORDER BY signals DESC, student LIMIT 10",
    ),
    (
        "The 10 most active students of the busiest school, Teams and meetings only.",
        "SELECT student, count(*) AS signals FROM events \
         WHERE school = '{school}' AND app IN ('Teams', 'TeamsMeeting') \
         GROUP BY student ORDER BY signals DESC, student LIMIT 10",
    ),
    (
        "Assignments: on-time and late submissions per class (top 5 by late).",
        "SELECT class, count(*) FILTER (WHERE time <= due) AS on_time, count(*) FILTER (WHERE time > due) AS late \
         FROM events WHERE action = 'Submitted' GROUP BY class ORDER BY late DESC, class LIMIT 5",
    ),
];

/// Runs the demo in `dir`.
pub fn run(dir: &Path, students: usize, days: u32) -> CliResult {
    let source = dir.join("source");
    let store = dir.join("store");
    let done_marker = dir.join(".imported");
    if !done_marker.exists() {
        println!(
            "== generating a district of {students} students over {days} days into {}",
            source.display()
        );
        let summary = super::generate::run(&source, students, days, 42, 4.0, 1, false)?;
        println!("== importing it into the embedded store {}", store.display());
        let activity: Vec<_> = summary
            .files
            .iter()
            .filter(|f| f.starts_with(source.join("activity")))
            .cloned()
            .collect();
        super::import::run(&store, Some(&source.join("roster")), &activity, 5, None)?;
        std::fs::write(&done_marker, b"")?;
    } else {
        println!(
            "== reusing the store in {} (delete {} to start over)",
            store.display(),
            dir.display()
        );
    }
    let db = open_store(&store)?;
    let engine = QueryEngine::new(db.clone());
    let ids = DistrictIds::pick(&engine)?;
    for (question, sql) in QUESTIONS {
        let sql = sql
            .replace("{class}", &ids.class)
            .replace("{student}", &ids.student)
            .replace("{school}", &ids.schools[0]);
        println!("\n{question}");
        let started = Instant::now();
        let result = engine.query(&sql)?;
        let elapsed = started.elapsed();
        println!("{}", super::shell::render_table(&result));
        let n = result.rows.len();
        println!(
            "({n} row{} in {:.2} ms)",
            if n == 1 { "" } else { "s" },
            elapsed.as_secs_f64() * 1e3
        );
    }
    println!(
        "\nAsk your own questions (SQL; see docs/sql.md):\n  \
         engagedb shell --data {store} -c \"SELECT app, count(*) FROM events GROUP BY app ORDER BY 2 DESC\"\n  \
         engagedb shell --data {store} -c \"EXPLAIN SELECT count(*) FROM events WHERE class = '{class}'\"\n  \
         engagedb shell --data {store} -c \"SHOW TABLES\" --format csv",
        store = store.display(),
        class = ids.class
    );
    db.close()?;
    Ok(())
}
