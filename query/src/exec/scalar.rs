//! Row-at-a-time semantics of every expression on [`Value`]s: the reference the vectorized kernels in
//! `eval.rs` must agree with, the fallback for rare expressions, and constant folding at plan time.

use std::cmp::Ordering;

use super::ExecError;
use crate::plan::{ArithOp, ScalarExpr, ScalarFunc, TrimSide};
use crate::time::{add_interval, extract, trunc, Interval};
use crate::value::{cast_value, DataType, Value};

/// What an expression may read besides its input row: the results of the statement's subqueries.
pub trait SubqueryValues {
    /// The value of scalar subquery `i`.
    fn scalar(&self, i: usize) -> Result<Value, ExecError>;
    /// Whether `v` is in the result of `IN` subquery `i`: `Some(true)`, `Some(false)`, or `None`
    /// (unknown: not found, but the result holds a NULL).
    fn contains(&self, i: usize, v: &Value) -> Result<Option<bool>, ExecError>;
    /// Whether `IN` subquery `i` returned no rows at all.
    fn is_empty(&self, i: usize) -> Result<bool, ExecError>;
}

/// No subqueries (constant folding at plan time).
pub struct NoSubqueries;

impl SubqueryValues for NoSubqueries {
    fn scalar(&self, _: usize) -> Result<Value, ExecError> {
        Err(ExecError::Internal("subquery result not available".into()))
    }
    fn contains(&self, _: usize, _: &Value) -> Result<Option<bool>, ExecError> {
        Err(ExecError::Internal("subquery result not available".into()))
    }
    fn is_empty(&self, _: usize) -> Result<bool, ExecError> {
        Err(ExecError::Internal("subquery result not available".into()))
    }
}

/// Evaluates `e` for one row whose column `i` is `row(i)`.
pub fn eval_row(e: &ScalarExpr, row: &dyn Fn(usize) -> Value, sq: &dyn SubqueryValues) -> Result<Value, ExecError> {
    let ev = |x: &ScalarExpr| eval_row(x, row, sq);
    Ok(match e {
        ScalarExpr::Column { index, .. } => row(*index),
        ScalarExpr::Literal(v, _) => v.clone(),
        ScalarExpr::ScalarSubquery { subquery, .. } => sq.scalar(*subquery)?,
        ScalarExpr::Not(x) => match ev(x)? {
            Value::Bool(b) => Value::Bool(!b),
            _ => Value::Null,
        },
        ScalarExpr::Neg(x) => neg(&ev(x)?)?,
        ScalarExpr::And(terms) => {
            let mut unknown = false;
            for t in terms {
                match ev(t)? {
                    Value::Bool(false) => return Ok(Value::Bool(false)),
                    Value::Bool(true) => {}
                    _ => unknown = true,
                }
            }
            if unknown {
                Value::Null
            } else {
                Value::Bool(true)
            }
        }
        ScalarExpr::Or(terms) => {
            let mut unknown = false;
            for t in terms {
                match ev(t)? {
                    Value::Bool(true) => return Ok(Value::Bool(true)),
                    Value::Bool(false) => {}
                    _ => unknown = true,
                }
            }
            if unknown {
                Value::Null
            } else {
                Value::Bool(false)
            }
        }
        ScalarExpr::Arith { op, left, right, .. } => arith(*op, &ev(left)?, &ev(right)?)?,
        ScalarExpr::Cmp { op, left, right } => match compare(&ev(left)?, &ev(right)?) {
            Some(ord) => Value::Bool(op.holds(ord)),
            None => Value::Null,
        },
        ScalarExpr::Concat(a, b) => match (ev(a)?, ev(b)?) {
            (Value::Null, _) | (_, Value::Null) => Value::Null,
            (a, b) => Value::Text(format!("{a}{b}")),
        },
        ScalarExpr::IsNull { expr, negated } => Value::Bool(ev(expr)?.is_null() != *negated),
        ScalarExpr::InList { expr, list, negated } => {
            let v = ev(expr)?;
            if v.is_null() {
                return Ok(Value::Null);
            }
            let mut unknown = false;
            for item in list {
                match compare(&v, &ev(item)?) {
                    Some(Ordering::Equal) => return Ok(Value::Bool(!negated)),
                    Some(_) => {}
                    None => unknown = true,
                }
            }
            if unknown {
                Value::Null
            } else {
                Value::Bool(*negated)
            }
        }
        ScalarExpr::InSubquery {
            expr,
            subquery,
            negated,
        } => {
            let v = ev(expr)?;
            if sq.is_empty(*subquery)? {
                // Nothing is in an empty result, not even NULL.
                return Ok(Value::Bool(*negated));
            }
            if v.is_null() {
                return Ok(Value::Null);
            }
            match sq.contains(*subquery, &v)? {
                Some(found) => Value::Bool(found != *negated),
                None => Value::Null,
            }
        }
        ScalarExpr::Like {
            expr,
            pattern,
            negated,
            case_insensitive,
        } => match (ev(expr)?, ev(pattern)?) {
            (Value::Text(s), Value::Text(p)) => Value::Bool(like(&s, &p, *case_insensitive) != *negated),
            _ => Value::Null,
        },
        ScalarExpr::Function { func, args, .. } => {
            let vals = args.iter().map(ev).collect::<Result<Vec<_>, _>>()?;
            apply(*func, &vals)?
        }
        ScalarExpr::Cast { expr, to } => cast_value(&ev(expr)?, *to).map_err(ExecError::Invalid)?,
        ScalarExpr::Case {
            branches, otherwise, ..
        } => {
            for (cond, val) in branches {
                if ev(cond)? == Value::Bool(true) {
                    return ev(val);
                }
            }
            ev(otherwise)?
        }
    })
}

/// SQL comparison: `None` if either side is NULL.
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    if a.is_null() || b.is_null() {
        None
    } else {
        Some(a.total_cmp(b))
    }
}

fn neg(v: &Value) -> Result<Value, ExecError> {
    Ok(match v {
        Value::Int(i) => Value::Int(i.checked_neg().ok_or_else(|| out_of_range("bigint"))?),
        Value::Double(d) => Value::Double(-d),
        Value::Interval(iv) => Value::Interval(Interval {
            months: -iv.months,
            micros: -iv.micros,
        }),
        _ => Value::Null,
    })
}

fn out_of_range(what: &str) -> ExecError {
    ExecError::Invalid(format!("{what} out of range"))
}

/// `a op b` with PostgreSQL semantics (integer division truncates; division by zero is an error).
pub fn arith(op: ArithOp, a: &Value, b: &Value) -> Result<Value, ExecError> {
    Ok(match (a, b) {
        (Value::Null, _) | (_, Value::Null) => Value::Null,
        (Value::Int(x), Value::Int(y)) => Value::Int(int_arith(op, *x, *y)?),
        (Value::Double(x), Value::Double(y)) => Value::Double(double_arith(op, *x, *y)?),
        (Value::Int(x), Value::Double(y)) => Value::Double(double_arith(op, *x as f64, *y)?),
        (Value::Double(x), Value::Int(y)) => Value::Double(double_arith(op, *x, *y as f64)?),
        (Value::Timestamp(t), Value::Interval(iv)) => Value::Timestamp(ts_plus(op, *t, *iv)?),
        (Value::Timestamp(x), Value::Timestamp(y)) if op == ArithOp::Sub => Value::Interval(Interval {
            months: 0,
            micros: x.checked_sub(*y).ok_or_else(|| out_of_range("interval"))?,
        }),
        (Value::Interval(x), Value::Interval(y)) => {
            let sign = if op == ArithOp::Sub { -1 } else { 1 };
            Value::Interval(Interval {
                months: x
                    .months
                    .checked_add(sign * y.months)
                    .ok_or_else(|| out_of_range("interval"))?,
                micros: x
                    .micros
                    .checked_add(sign * y.micros)
                    .ok_or_else(|| out_of_range("interval"))?,
            })
        }
        (a, b) => {
            return Err(ExecError::Internal(format!(
                "arithmetic on {} and {}",
                a.data_type(),
                b.data_type()
            )))
        }
    })
}

/// Integer arithmetic with overflow and division-by-zero errors.
#[inline]
pub fn int_arith(op: ArithOp, x: i64, y: i64) -> Result<i64, ExecError> {
    let r = match op {
        ArithOp::Add => x.checked_add(y),
        ArithOp::Sub => x.checked_sub(y),
        ArithOp::Mul => x.checked_mul(y),
        ArithOp::Div | ArithOp::Mod if y == 0 => return Err(ExecError::Invalid("division by zero".into())),
        ArithOp::Div => x.checked_div(y),
        ArithOp::Mod => Some(x.checked_rem(y).unwrap_or(0)),
    };
    r.ok_or_else(|| out_of_range("bigint"))
}

/// Double arithmetic; division by zero is an error, as in PostgreSQL.
#[inline]
pub fn double_arith(op: ArithOp, x: f64, y: f64) -> Result<f64, ExecError> {
    Ok(match op {
        ArithOp::Add => x + y,
        ArithOp::Sub => x - y,
        ArithOp::Mul => x * y,
        ArithOp::Div | ArithOp::Mod if y == 0.0 => return Err(ExecError::Invalid("division by zero".into())),
        ArithOp::Div => x / y,
        ArithOp::Mod => x % y,
    })
}

/// `t ± interval`.
#[inline]
pub fn ts_plus(op: ArithOp, t: i64, iv: Interval) -> Result<i64, ExecError> {
    let iv = if op == ArithOp::Sub {
        Interval {
            months: -iv.months,
            micros: -iv.micros,
        }
    } else {
        iv
    };
    add_interval(t, iv).ok_or_else(|| out_of_range("timestamp"))
}

/// DuckDB's `round(x, n)` on doubles: the exact value of `x` rounded at `n` decimal places, half away
/// from zero (`round(11.95, 1)` is 11.9: the double 11.95 is 11.9499999…; `round(0.125, 2)` is 0.13).
#[inline]
pub fn round_double(x: f64, n: i64) -> f64 {
    if (0..=22).contains(&n) {
        // 10^n is exact here, so `ax * p` is off from the exact product by `err` (computed exactly by
        // a fused multiply-add): decide the rounding on the exact product, not on `y`.
        let p = 10f64.powi(n as i32);
        let ax = x.abs();
        let y = ax * p;
        if !y.is_finite() || y >= 4.5e15 {
            return x;
        }
        let err = ax.mul_add(p, -y);
        let f = y.floor();
        let above_half = (y - f - 0.5) + err;
        let r = if above_half >= 0.0 { f + 1.0 } else { f };
        (r / p).copysign(x)
    } else if n > 22 {
        x
    } else {
        let p = 10f64.powi((-n).min(308) as i32);
        let r = (x / p).round() * p;
        if r.is_finite() {
            r
        } else {
            x
        }
    }
}

fn round_int(x: i64, n: i64) -> Result<i64, ExecError> {
    if n >= 0 {
        return Ok(x);
    }
    if n < -18 {
        return Ok(0);
    }
    let p = 10i64.pow((-n) as u32);
    let half = p / 2;
    let r = if x >= 0 {
        (x + half) / p * p
    } else {
        -((-x + half) / p * p)
    };
    Ok(r)
}

fn text(v: &Value) -> Option<&str> {
    match v {
        Value::Text(s) => Some(s),
        _ => None,
    }
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        _ => None,
    }
}

fn float(v: &Value) -> Option<f64> {
    match v {
        Value::Double(d) => Some(*d),
        Value::Int(i) => Some(*i as f64),
        _ => None,
    }
}

/// Applies a scalar function to argument values.
pub fn apply(func: ScalarFunc, args: &[Value]) -> Result<Value, ExecError> {
    let arg = |i: usize| args.get(i).unwrap_or(&Value::Null);
    // Functions that look at NULLs themselves.
    match func {
        ScalarFunc::Coalesce => return Ok(args.iter().find(|v| !v.is_null()).cloned().unwrap_or(Value::Null)),
        ScalarFunc::Concat => {
            return Ok(Value::Text(
                args.iter().filter(|v| !v.is_null()).map(Value::to_string).collect(),
            ))
        }
        ScalarFunc::Greatest | ScalarFunc::Least => {
            let want = if func == ScalarFunc::Greatest {
                Ordering::Greater
            } else {
                Ordering::Less
            };
            let mut best: Option<&Value> = None;
            for v in args.iter().filter(|v| !v.is_null()) {
                if best.is_none_or(|b| v.total_cmp(b) == want) {
                    best = Some(v);
                }
            }
            return Ok(best.cloned().unwrap_or(Value::Null));
        }
        ScalarFunc::NullIf => {
            return Ok(match compare(arg(0), arg(1)) {
                Some(Ordering::Equal) => Value::Null,
                _ => arg(0).clone(),
            })
        }
        _ => {}
    }
    if args.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    let bad = || {
        ExecError::Internal(format!(
            "{func:?} applied to {:?}",
            args.iter().map(Value::data_type).collect::<Vec<_>>()
        ))
    };
    let invalid = |m: &str| ExecError::Invalid(m.to_string());
    Ok(match func {
        ScalarFunc::DateTrunc(unit) => match arg(0) {
            Value::Timestamp(t) => Value::Timestamp(trunc(unit, *t)),
            _ => return Err(bad()),
        },
        ScalarFunc::Extract(field) => match arg(0) {
            Value::Timestamp(t) => Value::Int(extract(field, *t)),
            _ => return Err(bad()),
        },
        ScalarFunc::Round => {
            let n = if args.len() > 1 {
                int(arg(1)).ok_or_else(bad)?
            } else {
                0
            };
            match arg(0) {
                Value::Int(i) => Value::Int(round_int(*i, n)?),
                Value::Double(d) => Value::Double(round_double(*d, n)),
                _ => return Err(bad()),
            }
        }
        ScalarFunc::Abs => match arg(0) {
            Value::Int(i) => Value::Int(i.checked_abs().ok_or_else(|| out_of_range("bigint"))?),
            Value::Double(d) => Value::Double(d.abs()),
            _ => return Err(bad()),
        },
        ScalarFunc::Sign => match arg(0) {
            Value::Int(i) => Value::Int(i.signum()),
            Value::Double(d) => Value::Double(if *d == 0.0 || d.is_nan() { *d } else { d.signum() }),
            _ => return Err(bad()),
        },
        ScalarFunc::Ceil | ScalarFunc::Floor => match arg(0) {
            Value::Int(i) => Value::Int(*i),
            Value::Double(d) => Value::Double(if func == ScalarFunc::Ceil { d.ceil() } else { d.floor() }),
            _ => return Err(bad()),
        },
        ScalarFunc::Sqrt => {
            let x = float(arg(0)).ok_or_else(bad)?;
            if x < 0.0 {
                return Err(invalid("cannot take square root of a negative number"));
            }
            Value::Double(x.sqrt())
        }
        ScalarFunc::Ln => {
            let x = float(arg(0)).ok_or_else(bad)?;
            if x == 0.0 {
                return Err(invalid("cannot take logarithm of zero"));
            }
            if x < 0.0 {
                return Err(invalid("cannot take logarithm of a negative number"));
            }
            Value::Double(x.ln())
        }
        ScalarFunc::Exp => Value::Double(float(arg(0)).ok_or_else(bad)?.exp()),
        ScalarFunc::Power => Value::Double(float(arg(0)).ok_or_else(bad)?.powf(float(arg(1)).ok_or_else(bad)?)),
        ScalarFunc::Lower => Value::Text(text(arg(0)).ok_or_else(bad)?.to_lowercase()),
        ScalarFunc::Upper => Value::Text(text(arg(0)).ok_or_else(bad)?.to_uppercase()),
        ScalarFunc::Length => Value::Int(text(arg(0)).ok_or_else(bad)?.chars().count() as i64),
        ScalarFunc::Trim(side) => {
            let s = text(arg(0)).ok_or_else(bad)?;
            Value::Text(
                match side {
                    TrimSide::Both => s.trim_matches(' '),
                    TrimSide::Leading => s.trim_start_matches(' '),
                    TrimSide::Trailing => s.trim_end_matches(' '),
                }
                .to_string(),
            )
        }
        ScalarFunc::Replace => {
            let (s, from, to) = (
                text(arg(0)).ok_or_else(bad)?,
                text(arg(1)).ok_or_else(bad)?,
                text(arg(2)).ok_or_else(bad)?,
            );
            Value::Text(if from.is_empty() {
                s.to_string()
            } else {
                s.replace(from, to)
            })
        }
        ScalarFunc::Substr => {
            let s = text(arg(0)).ok_or_else(bad)?;
            let start = int(arg(1)).ok_or_else(bad)?;
            let len = if args.len() > 2 {
                Some(int(arg(2)).ok_or_else(bad)?)
            } else {
                None
            };
            if len.is_some_and(|l| l < 0) {
                return Err(invalid("negative substring length not allowed"));
            }
            // PostgreSQL: characters from position `start` (1-based) up to `start + len`, clipped.
            let from = start.max(1);
            let to = len.map_or(i64::MAX, |l| start.saturating_add(l));
            let out: String = s
                .chars()
                .enumerate()
                .filter(|(i, _)| {
                    let pos = *i as i64 + 1;
                    pos >= from && pos < to
                })
                .map(|(_, c)| c)
                .collect();
            Value::Text(out)
        }
        ScalarFunc::Left | ScalarFunc::Right => {
            let s: Vec<char> = text(arg(0)).ok_or_else(bad)?.chars().collect();
            let n = int(arg(1)).ok_or_else(bad)?;
            let len = s.len() as i64;
            let keep = if n >= 0 { n.min(len) } else { (len + n).max(0) } as usize;
            let out: String = if func == ScalarFunc::Left {
                s[..keep].iter().collect()
            } else {
                s[s.len() - keep..].iter().collect()
            };
            Value::Text(out)
        }
        ScalarFunc::StartsWith => Value::Bool(text(arg(0)).ok_or_else(bad)?.starts_with(text(arg(1)).ok_or_else(bad)?)),
        ScalarFunc::Coalesce | ScalarFunc::Concat | ScalarFunc::Greatest | ScalarFunc::Least | ScalarFunc::NullIf => {
            return Err(bad())
        }
    })
}

/// SQL `LIKE`: `%` matches any run of characters, `_` one character, `\` escapes the next one.
pub fn like(s: &str, pattern: &str, case_insensitive: bool) -> bool {
    let (s, p): (Vec<char>, Vec<char>) = if case_insensitive {
        (
            s.to_lowercase().chars().collect(),
            pattern.to_lowercase().chars().collect(),
        )
    } else {
        (s.chars().collect(), pattern.chars().collect())
    };
    // Pattern tokens: Some(c) a literal character, None for `_`, and `%` handled as a star.
    #[derive(Clone, Copy, PartialEq)]
    enum Tok {
        Char(char),
        One,
        Any,
    }
    let mut toks = Vec::with_capacity(p.len());
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '\\' if i + 1 < p.len() => {
                toks.push(Tok::Char(p[i + 1]));
                i += 1;
            }
            '%' => toks.push(Tok::Any),
            '_' => toks.push(Tok::One),
            c => toks.push(Tok::Char(c)),
        }
        i += 1;
    }
    // Iterative wildcard matching with backtracking to the last `%`.
    let (mut si, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match toks.get(ti) {
            Some(Tok::Char(c)) if *c == s[si] => {
                si += 1;
                ti += 1;
            }
            Some(Tok::One) => {
                si += 1;
                ti += 1;
            }
            Some(Tok::Any) => {
                star = Some((ti, si));
                ti += 1;
            }
            _ => match star {
                Some((st, ss)) => {
                    ti = st + 1;
                    si = ss + 1;
                    star = Some((st, ss + 1));
                }
                None => return false,
            },
        }
    }
    toks[ti.min(toks.len())..].iter().all(|t| *t == Tok::Any)
}

/// Evaluates an expression without input columns or subqueries (constant folding).
pub fn eval_constant(e: &ScalarExpr) -> Result<Value, ExecError> {
    eval_row(e, &|_| Value::Null, &NoSubqueries)
}

/// The type a value must be cast to so it compares with values of type `ty` (IN-subquery sets).
pub fn coerce_for(v: Value, ty: DataType) -> Value {
    match (&v, ty) {
        (Value::Int(i), DataType::Double) => Value::Double(*i as f64),
        _ => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_matches_sql_patterns() {
        assert!(like("SharePoint Online", "Share%", false));
        assert!(like("SharePoint Online", "%Online", false));
        assert!(like("abc", "a_c", false));
        assert!(!like("abc", "a_", false));
        assert!(like("a%c", "a\\%c", false));
        assert!(!like("abc", "a\\%c", false));
        assert!(like("ABC", "abc", true));
        assert!(like("", "%", false));
        assert!(like("aXbYc", "a%b%c", false));
        assert!(!like("aXbYd", "a%b%c", false));
    }

    #[test]
    fn integer_arithmetic_follows_postgres() {
        assert_eq!(int_arith(ArithOp::Div, 7, 2).unwrap(), 3);
        assert_eq!(int_arith(ArithOp::Div, -7, 2).unwrap(), -3);
        assert_eq!(int_arith(ArithOp::Mod, -7, 2).unwrap(), -1);
        assert!(int_arith(ArithOp::Div, 1, 0).is_err());
        assert!(int_arith(ArithOp::Add, i64::MAX, 1).is_err());
        assert!(int_arith(ArithOp::Div, i64::MIN, -1).is_err());
    }

    #[test]
    fn round_follows_duckdb() {
        assert_eq!(round_double(67.51785714, 4), 67.5179);
        assert_eq!(round_double(2.5, 0), 3.0);
        assert_eq!(round_double(-2.5, 0), -3.0);
        // The exact binary value decides, not the product with 10^n (11.95 * 10 rounds up to 119.5).
        assert_eq!(round_double(11.95, 1), 11.9);
        assert_eq!(round_double(-11.95, 1), -11.9);
        assert_eq!(round_double(1.005, 2), 1.0);
        assert_eq!(round_double(2.675, 2), 2.67);
        assert_eq!(round_double(1.15, 1), 1.1);
        // Exact ties go away from zero.
        assert_eq!(round_double(0.125, 2), 0.13);
        assert_eq!(round_double(0.375, 2), 0.38);
        assert_eq!(round_double(1e300, 2), 1e300);
        assert_eq!(round_double(0.0, 3), 0.0);
        assert_eq!(round_double(1234.5, -2), 1200.0);
        assert_eq!(round_int(1250, -2).unwrap(), 1300);
        assert_eq!(round_int(-1250, -2).unwrap(), -1300);
    }

    #[test]
    fn substr_left_right() {
        let t = |v: &str| Value::Text(v.into());
        assert_eq!(
            apply(ScalarFunc::Substr, &[t("hello"), Value::Int(2), Value::Int(3)]).unwrap(),
            t("ell")
        );
        assert_eq!(
            apply(ScalarFunc::Substr, &[t("hello"), Value::Int(0), Value::Int(3)]).unwrap(),
            t("he")
        );
        assert_eq!(
            apply(ScalarFunc::Left, &[t("hello"), Value::Int(-2)]).unwrap(),
            t("hel")
        );
        assert_eq!(apply(ScalarFunc::Right, &[t("hello"), Value::Int(2)]).unwrap(), t("lo"));
        assert_eq!(
            apply(ScalarFunc::Greatest, &[Value::Int(1), Value::Null, Value::Int(3)]).unwrap(),
            Value::Int(3)
        );
    }
}
