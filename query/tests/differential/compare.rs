//! Comparing engagedb's result with DuckDB's: NULL equals NULL, text and integers exactly, doubles
//! within 1e-9 relative (1e-12 absolute near 0), timestamps and booleans by engagedb's text form.
//! Rows are compared in order when the query's ORDER BY fixes it, as multisets otherwise.

use std::cmp::Ordering;

use query::{DataType, ResultSet, Value};

use crate::duckdb::DuckResult;

/// One ORDER BY key over an output column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SortKey {
    /// Output column.
    pub column: usize,
    /// Descending.
    pub desc: bool,
    /// NULLs first.
    pub nulls_first: bool,
}

/// How a query's rows must be compared.
#[derive(Debug, Clone, PartialEq)]
pub enum Order {
    /// No ORDER BY (or one that leaves ties among different rows): compare as multisets.
    Unordered,
    /// The ORDER BY fixes the order of distinct rows: compare in order. `keys` is set when the ORDER BY
    /// starts with keys on every output column; then rows whose doubles differ only by rounding may
    /// legitimately swap, and the result is accepted if it is the same multiset sorted by `keys`.
    Ordered {
        /// The visible sort keys, if they cover every output column.
        keys: Option<Vec<SortKey>>,
    },
}

/// A comparable cell.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Null,
    Int(i128),
    Double(f64),
    Text(String),
}

fn ours_cell(v: &Value) -> Cell {
    match v {
        Value::Null => Cell::Null,
        Value::Int(i) => Cell::Int(i128::from(*i)),
        Value::Double(d) => Cell::Double(*d),
        v => Cell::Text(v.to_string()),
    }
}

fn duck_cell(text: &Option<String>, ty: DataType) -> Result<Cell, String> {
    let Some(t) = text else { return Ok(Cell::Null) };
    Ok(match ty {
        DataType::Int => Cell::Int(
            t.parse()
                .map_err(|_| format!("DuckDB gave {t:?} where engagedb has a BIGINT"))?,
        ),
        DataType::Double => Cell::Double(
            t.parse()
                .map_err(|_| format!("DuckDB gave {t:?} where engagedb has a DOUBLE"))?,
        ),
        _ => Cell::Text(t.clone()),
    })
}

fn doubles_match(a: f64, b: f64) -> bool {
    if a == b || (a.is_nan() && b.is_nan()) {
        return true;
    }
    let d = (a - b).abs();
    d <= 1e-12 || d <= 1e-9 * a.abs().max(b.abs())
}

fn cells_match(a: &Cell, b: &Cell) -> bool {
    match (a, b) {
        (Cell::Double(x), Cell::Double(y)) => doubles_match(*x, *y),
        (a, b) => a == b,
    }
}

fn rows_match(a: &[Cell], b: &[Cell]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| cells_match(x, y))
}

/// A total order on cells for canonical sorting (doubles rounded to 9 significant digits so values
/// equal within the tolerance sort together).
fn canonical_cmp(a: &Cell, b: &Cell) -> Ordering {
    fn rank(c: &Cell) -> u8 {
        match c {
            Cell::Null => 0,
            Cell::Int(_) | Cell::Double(_) => 1,
            Cell::Text(_) => 2,
        }
    }
    fn num(c: &Cell) -> f64 {
        match c {
            Cell::Int(i) => *i as f64,
            Cell::Double(d) if d.is_finite() && *d != 0.0 => format!("{d:.8e}").parse().unwrap_or(*d),
            Cell::Double(d) => *d,
            _ => 0.0,
        }
    }
    match (a, b) {
        (Cell::Text(x), Cell::Text(y)) => x.cmp(y),
        (Cell::Int(x), Cell::Int(y)) => x.cmp(y),
        (x, y) if rank(x) == 1 && rank(y) == 1 => num(x).total_cmp(&num(y)),
        (x, y) => rank(x).cmp(&rank(y)),
    }
}

fn canonical_rows(mut rows: Vec<Vec<Cell>>) -> Vec<Vec<Cell>> {
    rows.sort_by(|a, b| {
        a.iter()
            .zip(b)
            .map(|(x, y)| canonical_cmp(x, y))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    });
    rows
}

/// Whether `rows` are ordered by `keys`, treating doubles within the tolerance as equal.
fn sorted_by(rows: &[Vec<Cell>], keys: &[SortKey]) -> bool {
    rows.windows(2).all(|w| {
        for k in keys {
            let (a, b) = (&w[0][k.column], &w[1][k.column]);
            let o = match (a, b) {
                (Cell::Null, Cell::Null) => Ordering::Equal,
                (Cell::Null, _) => {
                    if k.nulls_first {
                        Ordering::Less
                    } else {
                        Ordering::Greater
                    }
                }
                (_, Cell::Null) => {
                    if k.nulls_first {
                        Ordering::Greater
                    } else {
                        Ordering::Less
                    }
                }
                (a, b) if cells_match(a, b) => Ordering::Equal,
                (a, b) => {
                    let o = canonical_cmp(a, b);
                    if k.desc {
                        o.reverse()
                    } else {
                        o
                    }
                }
            };
            match o {
                Ordering::Less => return true,
                Ordering::Greater => return false,
                Ordering::Equal => {}
            }
        }
        true
    })
}

fn show(row: &[Cell]) -> String {
    let cells: Vec<String> = row
        .iter()
        .map(|c| match c {
            Cell::Null => "NULL".to_string(),
            Cell::Int(i) => i.to_string(),
            Cell::Double(d) => format!("{d:?}"),
            Cell::Text(t) => format!("{t:?}"),
        })
        .collect();
    format!("({})", cells.join(", "))
}

fn first_difference(ours: &[Vec<Cell>], duck: &[Vec<Cell>]) -> String {
    let mut out = format!("engagedb returned {} rows, DuckDB {}\n", ours.len(), duck.len());
    let n = ours.len().max(duck.len());
    let Some(first) = (0..n).find(|&i| match (ours.get(i), duck.get(i)) {
        (Some(a), Some(b)) => !rows_match(a, b),
        _ => true,
    }) else {
        return out;
    };
    out.push_str(&format!("first difference at row {first}:\n"));
    for i in first.saturating_sub(1)..(first + 4).min(n) {
        let a = ours.get(i).map_or("-".to_string(), |r| show(r));
        let b = duck.get(i).map_or("-".to_string(), |r| show(r));
        let mark = if ours.get(i).zip(duck.get(i)).is_some_and(|(a, b)| rows_match(a, b)) {
            " "
        } else {
            "!"
        };
        out.push_str(&format!(
            "  {mark} row {i}: engagedb {a}\n  {mark} row {i}: duckdb   {b}\n"
        ));
    }
    out
}

/// `None` if the results agree, else a description of the first difference.
pub fn compare(ours: &ResultSet, duck: &DuckResult, order: &Order) -> Option<String> {
    let (types, duck_rows) = match duck {
        DuckResult::Rows { types, rows } => (types, rows),
        DuckResult::Error(e) => {
            return Some(format!(
                "engagedb answered ({} rows); DuckDB failed: {e}",
                ours.rows.len()
            ))
        }
    };
    if types.len() != ours.columns.len() {
        return Some(format!(
            "engagedb returned {} columns, DuckDB {} ({types:?})",
            ours.columns.len(),
            types.len()
        ));
    }
    let a: Vec<Vec<Cell>> = ours.rows.iter().map(|r| r.iter().map(ours_cell).collect()).collect();
    let mut b = Vec::with_capacity(duck_rows.len());
    for r in duck_rows {
        let row: Result<Vec<Cell>, String> = r.iter().zip(&ours.columns).map(|(v, c)| duck_cell(v, c.ty)).collect();
        match row {
            Ok(row) => b.push(row),
            Err(e) => return Some(format!("{e} (DuckDB types {types:?})")),
        }
    }
    let in_order = a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| rows_match(x, y));
    if in_order {
        return None;
    }
    let (ca, cb) = (canonical_rows(a.clone()), canonical_rows(b.clone()));
    let same_multiset = ca.len() == cb.len() && ca.iter().zip(&cb).all(|(x, y)| rows_match(x, y));
    match order {
        Order::Unordered if same_multiset => None,
        Order::Unordered => Some(format!(
            "(compared as multisets, canonically sorted)\n{}",
            first_difference(&ca, &cb)
        )),
        Order::Ordered { keys: Some(keys) } if same_multiset && sorted_by(&a, keys) => None,
        Order::Ordered { .. } => Some(first_difference(&a, &b)),
    }
}
