//! Results of uncorrelated subqueries, computed before the main plan runs: `IN` sets and scalar values.

use std::collections::HashSet;

use super::eval::Subqueries;
use super::scalar::SubqueryValues;
use super::ExecError;
use crate::time::Interval;
use crate::value::Value;

/// A hashable form of a non-NULL value; doubles are compared by their canonical bits (`-0.0` is `0.0`,
/// every NaN is one NaN), so equal SQL values have equal keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ValueKey {
    /// BOOLEAN
    Bool(bool),
    /// BIGINT
    Int(i64),
    /// DOUBLE, canonical bits
    Double(u64),
    /// TEXT
    Text(String),
    /// TIMESTAMP
    Timestamp(i64),
    /// INTERVAL
    Interval(Interval),
}

/// Canonical bits of a double for hashing and grouping.
pub fn double_bits(d: f64) -> u64 {
    if d == 0.0 {
        0
    } else if d.is_nan() {
        f64::NAN.to_bits()
    } else {
        d.to_bits()
    }
}

impl ValueKey {
    /// The key of `v`; `None` for NULL.
    pub fn of(v: &Value) -> Option<ValueKey> {
        Some(match v {
            Value::Null => return None,
            Value::Bool(b) => ValueKey::Bool(*b),
            Value::Int(i) => ValueKey::Int(*i),
            Value::Double(d) => ValueKey::Double(double_bits(*d)),
            Value::Text(s) => ValueKey::Text(s.clone()),
            Value::Timestamp(t) => ValueKey::Timestamp(*t),
            Value::Interval(i) => ValueKey::Interval(*i),
        })
    }
}

/// The distinct values of a subquery's column (or a constant `IN` list).
#[derive(Debug, Clone, Default)]
pub struct ValueSet {
    texts: HashSet<String>,
    others: HashSet<ValueKey>,
    /// Whether a NULL was among the values (`x NOT IN (…, NULL)` is never true).
    pub has_null: bool,
}

impl ValueSet {
    /// The set of `values`.
    pub fn from_values(values: impl IntoIterator<Item = Value>) -> ValueSet {
        let mut s = ValueSet::default();
        for v in values {
            match v {
                Value::Null => s.has_null = true,
                Value::Text(t) => {
                    s.texts.insert(t);
                }
                v => {
                    if let Some(k) = ValueKey::of(&v) {
                        s.others.insert(k);
                    }
                }
            }
        }
        s
    }

    /// Whether the non-NULL `v` is in the set.
    pub fn contains(&self, v: &Value) -> bool {
        match v {
            Value::Text(t) => self.texts.contains(t.as_str()),
            // Integers and doubles compare by value (`1 IN (SELECT 1.0)`).
            Value::Int(i) => {
                self.others.contains(&ValueKey::Int(*i))
                    || self.others.contains(&ValueKey::Double(double_bits(*i as f64)))
            }
            Value::Double(d) => {
                self.others.contains(&ValueKey::Double(double_bits(*d)))
                    || (d.fract() == 0.0 && d.abs() < 9.2e18 && self.others.contains(&ValueKey::Int(*d as i64)))
            }
            v => ValueKey::of(v).is_some_and(|k| self.others.contains(&k)),
        }
    }

    /// Whether the text `t` is in the set.
    pub fn contains_text(&self, t: &str) -> bool {
        self.texts.contains(t)
    }

    /// The text values.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.texts.iter().map(String::as_str)
    }

    /// Number of non-NULL values.
    pub fn len(&self) -> usize {
        self.texts.len() + self.others.len()
    }

    /// Whether there are no non-NULL values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The result of one subquery.
#[derive(Debug, Clone)]
pub enum SubqueryResult {
    /// A scalar subquery's value (NULL if it returned no row).
    Scalar(Value),
    /// A scalar subquery that returned several rows: an error wherever its value is read.
    TooManyRows,
    /// An `IN` subquery's values.
    Set(ValueSet),
}

/// The results of a statement's subqueries, by index.
#[derive(Debug, Clone, Default)]
pub struct SubqueryResults {
    /// Results computed so far, in subquery order.
    pub results: Vec<SubqueryResult>,
}

impl SubqueryResults {
    fn get(&self, i: usize) -> Result<&SubqueryResult, ExecError> {
        self.results
            .get(i)
            .ok_or_else(|| ExecError::Internal(format!("subquery {i} has not run")))
    }
}

impl SubqueryValues for SubqueryResults {
    fn scalar(&self, i: usize) -> Result<Value, ExecError> {
        match self.get(i)? {
            SubqueryResult::Scalar(v) => Ok(v.clone()),
            SubqueryResult::TooManyRows => Err(ExecError::Invalid(
                "more than one row returned by a subquery used as an expression".into(),
            )),
            SubqueryResult::Set(_) => Err(ExecError::Internal(format!("subquery {i} is not scalar"))),
        }
    }

    fn is_empty(&self, i: usize) -> Result<bool, ExecError> {
        let set = self.set(i)?;
        Ok(set.is_empty() && !set.has_null)
    }

    fn contains(&self, i: usize, v: &Value) -> Result<Option<bool>, ExecError> {
        let set = self.set(i)?;
        Ok(if set.contains(v) {
            Some(true)
        } else if set.has_null {
            None
        } else {
            Some(false)
        })
    }
}

impl Subqueries for SubqueryResults {
    fn set(&self, i: usize) -> Result<&ValueSet, ExecError> {
        match self.get(i)? {
            SubqueryResult::Set(s) => Ok(s),
            SubqueryResult::Scalar(_) | SubqueryResult::TooManyRows => {
                Err(ExecError::Internal(format!("subquery {i} is not an IN set")))
            }
        }
    }
}
