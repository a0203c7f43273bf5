//! SQL types and scalar values with PostgreSQL semantics: three-valued comparisons, NULL ordering,
//! and the text forms the output formats use.

use std::cmp::Ordering;
use std::fmt;

use crate::time::{format_interval, format_timestamp, Interval};

/// The type of a column or expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    /// `BOOLEAN`
    Bool,
    /// `BIGINT` (64-bit signed). Integer literals, `count(…)` and integer columns.
    Int,
    /// `DOUBLE` (IEEE-754 64-bit). Decimal literals, `avg`, `grade`.
    Double,
    /// `TEXT` (UTF-8).
    Text,
    /// `TIMESTAMP` (microseconds since 1970-01-01 00:00:00 UTC, no time zone).
    Timestamp,
    /// `INTERVAL` (months and microseconds), only as an operand of timestamp arithmetic.
    Interval,
    /// The type of a bare `NULL` literal; coerces to any other type.
    Null,
}

impl DataType {
    /// The name users see (`DESCRIBE`, error messages).
    pub fn sql_name(self) -> &'static str {
        match self {
            DataType::Bool => "BOOLEAN",
            DataType::Int => "BIGINT",
            DataType::Double => "DOUBLE",
            DataType::Text => "TEXT",
            DataType::Timestamp => "TIMESTAMP",
            DataType::Interval => "INTERVAL",
            DataType::Null => "NULL",
        }
    }

    /// Whether the type is `BIGINT` or `DOUBLE` (or an untyped NULL).
    pub fn is_numeric(self) -> bool {
        matches!(self, DataType::Int | DataType::Double | DataType::Null)
    }

    /// The storage type of an engine column.
    pub fn of_column(ty: engine::ColumnType) -> DataType {
        match ty {
            engine::ColumnType::Timestamp => DataType::Timestamp,
            engine::ColumnType::Text => DataType::Text,
            engine::ColumnType::Int => DataType::Int,
            engine::ColumnType::Double => DataType::Double,
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.sql_name())
    }
}

/// One scalar value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A boolean.
    Bool(bool),
    /// A 64-bit integer.
    Int(i64),
    /// A double.
    Double(f64),
    /// Text.
    Text(String),
    /// A timestamp, µs since the epoch (UTC).
    Timestamp(i64),
    /// An interval.
    Interval(Interval),
}

impl Value {
    /// The value's type (`Null` for NULL).
    pub fn data_type(&self) -> DataType {
        match self {
            Value::Null => DataType::Null,
            Value::Bool(_) => DataType::Bool,
            Value::Int(_) => DataType::Int,
            Value::Double(_) => DataType::Double,
            Value::Text(_) => DataType::Text,
            Value::Timestamp(_) => DataType::Timestamp,
            Value::Interval(_) => DataType::Interval,
        }
    }

    /// Whether this is NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Total order used by ORDER BY, GROUP BY and DISTINCT among non-NULL values of one type: numbers
    /// compare numerically (integers and doubles together; NaN above every number, as in PostgreSQL),
    /// text by bytes, timestamps by time. NULL sorts after everything here; callers apply NULLS FIRST/LAST.
    pub fn total_cmp(&self, other: &Value) -> Ordering {
        match (self, other) {
            (Value::Null, Value::Null) => Ordering::Equal,
            (Value::Null, _) => Ordering::Greater,
            (_, Value::Null) => Ordering::Less,
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::Int(a), Value::Int(b)) => a.cmp(b),
            (Value::Double(a), Value::Double(b)) => cmp_f64(*a, *b),
            (Value::Int(a), Value::Double(b)) => cmp_f64(*a as f64, *b),
            (Value::Double(a), Value::Int(b)) => cmp_f64(*a, *b as f64),
            (Value::Text(a), Value::Text(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Value::Timestamp(a), Value::Timestamp(b)) => a.cmp(b),
            (Value::Interval(a), Value::Interval(b)) => a.cmp(b),
            (a, b) => type_rank(a).cmp(&type_rank(b)),
        }
    }
}

/// PostgreSQL's order for doubles: NaN is equal to itself and greater than any other value.
pub fn cmp_f64(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        // -0.0 == 0.0, as SQL equality says.
        (false, false) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

fn type_rank(v: &Value) -> u8 {
    match v {
        Value::Bool(_) => 0,
        Value::Int(_) | Value::Double(_) => 1,
        Value::Text(_) => 2,
        Value::Timestamp(_) => 3,
        Value::Interval(_) => 4,
        Value::Null => 5,
    }
}

/// Formats a double in shortest round-trip form (`65.609`, `3.0`, `1e-7`), with `inf`, `-inf` and `nan`
/// for the special values, as DuckDB writes them.
pub fn format_double(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else if v == 0.0 {
        // Both zeros print as 0.0 (-0.0 == 0.0 in SQL).
        "0.0".into()
    } else {
        format!("{v:?}")
    }
}

impl fmt::Display for Value {
    /// The text form used by the CSV and table formats (NULL prints as the empty string).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => Ok(()),
            Value::Bool(b) => f.write_str(if *b { "true" } else { "false" }),
            Value::Int(i) => write!(f, "{i}"),
            Value::Double(d) => f.write_str(&format_double(*d)),
            Value::Text(s) => f.write_str(s),
            Value::Timestamp(t) => f.write_str(&format_timestamp(*t)),
            Value::Interval(i) => f.write_str(&format_interval(*i)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_in_shortest_round_trip_form() {
        assert_eq!(format_double(65.609), "65.609");
        assert_eq!(format_double(3.0), "3.0");
        assert_eq!(format_double(-0.0), "0.0");
        assert_eq!(format_double(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(format_double(f64::NAN), "nan");
        assert_eq!(format_double(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn ordering_follows_sql() {
        assert_eq!(Value::Int(2).total_cmp(&Value::Double(2.5)), Ordering::Less);
        assert_eq!(
            Value::Double(f64::NAN).total_cmp(&Value::Double(1e300)),
            Ordering::Greater
        );
        assert_eq!(
            Value::Text("B".into()).total_cmp(&Value::Text("a".into())),
            Ordering::Less
        );
        assert_eq!(Value::Null.total_cmp(&Value::Int(1)), Ordering::Greater);
    }
}

/// Converts `v` to type `to` as `CAST` does; `Err` says why it cannot (bad text, out of range).
pub fn cast_value(v: &Value, to: DataType) -> Result<Value, String> {
    use crate::time::parse_timestamp;
    Ok(match (v, to) {
        (Value::Null, _) => Value::Null,
        (_, DataType::Null) => Value::Null,
        (v, t) if v.data_type() == t => v.clone(),
        (v, DataType::Text) => Value::Text(v.to_string()),
        (Value::Int(i), DataType::Double) => Value::Double(*i as f64),
        (Value::Double(d), DataType::Int) => {
            let r = d.round_ties_even();
            if !r.is_finite() || r < -9.223_372_036_854_776e18 || r >= 9.223_372_036_854_776e18 {
                return Err(format!("{} is out of range for BIGINT", format_double(*d)));
            }
            Value::Int(r as i64)
        }
        (Value::Bool(b), DataType::Int) => Value::Int(i64::from(*b)),
        (Value::Int(i), DataType::Bool) => Value::Bool(*i != 0),
        (Value::Text(s), DataType::Int) => Value::Int(
            s.trim()
                .parse()
                .map_err(|_| format!("invalid input syntax for type BIGINT: '{s}'"))?,
        ),
        (Value::Text(s), DataType::Double) => Value::Double(
            s.trim()
                .parse()
                .map_err(|_| format!("invalid input syntax for type DOUBLE: '{s}'"))?,
        ),
        (Value::Text(s), DataType::Timestamp) => Value::Timestamp(parse_timestamp(s)?),
        (Value::Text(s), DataType::Interval) => Value::Interval(crate::time::parse_interval(s)?),
        (Value::Text(s), DataType::Bool) => match s.trim().to_ascii_lowercase().as_str() {
            "t" | "true" | "yes" | "on" | "1" => Value::Bool(true),
            "f" | "false" | "no" | "off" | "0" => Value::Bool(false),
            _ => return Err(format!("invalid input syntax for type BOOLEAN: '{s}'")),
        },
        (v, t) => return Err(format!("cannot cast {} to {t}", v.data_type())),
    })
}
