//! Ids of a loaded district that example and benchmark queries talk about: a class and a student of
//! median activity and the three busiest schools, found with SQL so they exist whatever the data.

use query::{QueryEngine, Value};

use super::CliResult;

/// Representative ids of a store's district.
pub struct DistrictIds {
    /// A class of median activity.
    pub class: String,
    /// A student of median activity.
    pub student: String,
    /// The three schools with the most events, busiest first.
    pub schools: [String; 3],
}

fn text(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::Text(s)) => Some(s.clone()),
        _ => None,
    }
}

/// The value of `column` whose event count is the median among its non-NULL values.
fn median_by_activity(engine: &QueryEngine, column: &str) -> CliResult<String> {
    let n = engine.query(&format!("SELECT count(DISTINCT {column}) FROM events"))?;
    let half = match n.rows.first().and_then(|r| r.first()) {
        Some(Value::Int(n)) if *n > 0 => n / 2,
        _ => return Err(format!("the store has no {column} with events").into()),
    };
    let r = engine.query(&format!(
        "SELECT {column} FROM (SELECT {column}, count(*) AS n FROM events WHERE {column} IS NOT NULL GROUP BY {column}) x \
         ORDER BY n, {column} LIMIT 1 OFFSET {half}"
    ))?;
    text(r.rows.first().and_then(|r| r.first())).ok_or_else(|| format!("no {column} found").into())
}

impl DistrictIds {
    /// Finds the ids in the store behind `engine`.
    pub fn pick(engine: &QueryEngine) -> CliResult<DistrictIds> {
        let class = median_by_activity(engine, "class")?;
        let student = median_by_activity(engine, "student")?;
        let r = engine.query(
            "SELECT school, count(*) AS n FROM events WHERE school IS NOT NULL GROUP BY school ORDER BY n DESC, school LIMIT 3",
        )?;
        let found: Vec<String> = r.rows.iter().filter_map(|row| text(row.first())).collect();
        let schools: [String; 3] = match found.as_slice() {
            [a, b, c] => [a.clone(), b.clone(), c.clone()],
            [a, b] => [a.clone(), b.clone(), b.clone()],
            [a] => [a.clone(), a.clone(), a.clone()],
            _ => return Err("the store has no events in a known school (import a roster first)".into()),
        };
        Ok(DistrictIds {
            class,
            student,
            schools,
        })
    }
}
