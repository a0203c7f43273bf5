//! Vectorized expression evaluation over a [`Chunk`]. Hot operations (comparisons, boolean logic,
//! arithmetic, `IN`, `LIKE`, `date_trunc`, `extract`) have array kernels; dictionary-encoded text is
//! compared once per distinct value; everything else falls back to the row-at-a-time semantics of
//! `scalar.rs`, which the kernels must agree with.

use std::cmp::Ordering;
use std::rc::Rc;

use super::array::{is_valid, Array, TextArray, Validity};
use super::chunk::Chunk;
use super::scalar::{self, compare, eval_row, SubqueryValues};
use super::subquery::ValueSet;
use super::ExecError;
use crate::plan::{ArithOp, CmpOp, ScalarExpr, ScalarFunc};
use crate::time::{extract, map_times, trunc, ExtractField, TruncUnit};
use crate::value::{DataType, Value};
use engine::col;

/// The result of evaluating an expression over a chunk: one value per row, or one value for all rows.
#[derive(Debug, Clone)]
pub enum Datum<'a> {
    /// Per-row values.
    Array(Rc<Array<'a>>),
    /// The same value for every row.
    Scalar(Value),
}

impl<'a> Datum<'a> {
    /// As an array of `len` rows of type `ty`.
    pub fn into_array(self, ty: DataType, len: usize) -> Rc<Array<'a>> {
        match self {
            Datum::Array(a) => a,
            Datum::Scalar(v) => Rc::new(Array::constant(&v, ty, len)),
        }
    }
}

/// The subquery results an evaluation can read.
pub trait Subqueries: SubqueryValues {
    /// The `IN` set of subquery `i`.
    fn set(&self, i: usize) -> Result<&ValueSet, ExecError>;
}

/// Evaluates `e` over `chunk`.
pub fn eval<'a>(e: &ScalarExpr, chunk: &Chunk<'a>, sq: &dyn Subqueries) -> Result<Datum<'a>, ExecError> {
    let n = chunk.len();
    Ok(match e {
        ScalarExpr::Column { index, .. } => Datum::Array(chunk.column(*index)?),
        ScalarExpr::Literal(v, _) => Datum::Scalar(v.clone()),
        ScalarExpr::ScalarSubquery { subquery, .. } => Datum::Scalar(sq.scalar(*subquery)?),
        ScalarExpr::Not(x) => match eval(x, chunk, sq)? {
            Datum::Scalar(v) => Datum::Scalar(match v {
                Value::Bool(b) => Value::Bool(!b),
                _ => Value::Null,
            }),
            Datum::Array(a) => match a.as_ref() {
                Array::Bool(v, valid) => {
                    Datum::Array(Rc::new(Array::Bool(v.iter().map(|b| !b).collect(), valid.clone())))
                }
                Array::Null(n) => Datum::Array(Rc::new(Array::Null(*n))),
                _ => return Err(ExecError::Internal("NOT of a non-boolean".into())),
            },
        },
        ScalarExpr::And(terms) | ScalarExpr::Or(terms) => {
            let is_and = matches!(e, ScalarExpr::And(_));
            let mut acc: Option<(Vec<bool>, Vec<bool>)> = None; // (value, known)
            for t in terms {
                let (v, known) = bools(eval(t, chunk, sq)?, n)?;
                acc = Some(match acc {
                    None => (v, known),
                    Some((av, ak)) => combine(is_and, &av, &ak, &v, &known),
                });
            }
            let (v, known) = acc.unwrap_or_else(|| (vec![is_and; n], vec![true; n]));
            let valid = if known.iter().all(|&k| k) { None } else { Some(known) };
            Datum::Array(Rc::new(Array::Bool(v, valid)))
        }
        ScalarExpr::Cmp { op, left, right } => {
            let l = eval(left, chunk, sq)?;
            let r = eval(right, chunk, sq)?;
            match (l, r) {
                (Datum::Scalar(a), Datum::Scalar(b)) => {
                    Datum::Scalar(compare(&a, &b).map_or(Value::Null, |o| Value::Bool(op.holds(o))))
                }
                (Datum::Array(a), Datum::Scalar(s)) => Datum::Array(Rc::new(cmp_scalar(&a, &s, *op))),
                (Datum::Scalar(s), Datum::Array(a)) => Datum::Array(Rc::new(cmp_scalar(&a, &s, op.flip()))),
                (Datum::Array(a), Datum::Array(b)) => Datum::Array(Rc::new(cmp_arrays(&a, &b, *op))),
            }
        }
        ScalarExpr::IsNull { expr, negated } => match eval(expr, chunk, sq)? {
            Datum::Scalar(v) => Datum::Scalar(Value::Bool(v.is_null() != *negated)),
            Datum::Array(a) => Datum::Array(Rc::new(Array::Bool(
                (0..n).map(|i| a.is_valid(i) == *negated).collect(),
                None,
            ))),
        },
        ScalarExpr::InList { expr, list, negated } if list.iter().all(|i| matches!(i, ScalarExpr::Literal(..))) => {
            let set = ValueSet::from_values(list.iter().filter_map(|i| match i {
                ScalarExpr::Literal(v, _) => Some(v.clone()),
                _ => None,
            }));
            membership(eval(expr, chunk, sq)?, &set, *negated, n)
        }
        ScalarExpr::InSubquery {
            expr,
            subquery,
            negated,
        } => {
            let set = sq.set(*subquery)?;
            membership(eval(expr, chunk, sq)?, set, *negated, n)
        }
        ScalarExpr::Like {
            expr,
            pattern,
            negated,
            case_insensitive,
        } => match (eval(expr, chunk, sq)?, eval(pattern, chunk, sq)?) {
            (Datum::Array(a), Datum::Scalar(Value::Text(p))) => {
                let f = |s: &str| scalar::like(s, &p, *case_insensitive) != *negated;
                Datum::Array(Rc::new(text_predicate(&a, &f)?))
            }
            _ => rowwise(e, chunk, sq)?,
        },
        ScalarExpr::Arith { op, left, right, ty } => {
            let l = eval(left, chunk, sq)?;
            let r = eval(right, chunk, sq)?;
            if let (Datum::Scalar(a), Datum::Scalar(b)) = (&l, &r) {
                return Ok(Datum::Scalar(scalar::arith(*op, a, b)?));
            }
            let (lt, rt) = (left.data_type(), right.data_type());
            let a = l.into_array(lt, n);
            let b = r.into_array(rt, n);
            match arith_arrays(*op, &a, &b)? {
                Some(out) => Datum::Array(Rc::new(out)),
                None => {
                    let vals = (0..n)
                        .map(|i| scalar::arith(*op, &a.value(i), &b.value(i)))
                        .collect::<Result<Vec<_>, _>>()?;
                    Datum::Array(Rc::new(Array::from_values(*ty, &vals)))
                }
            }
        }
        ScalarExpr::Function {
            func: ScalarFunc::DateTrunc(unit),
            args,
            ..
        } => time_function(&args[0], chunk, sq, Some(*unit), None)?,
        ScalarExpr::Function {
            func: ScalarFunc::Extract(field),
            args,
            ..
        } => time_function(&args[0], chunk, sq, None, Some(*field))?,
        ScalarExpr::Function {
            func: ScalarFunc::Round,
            args,
            ty: DataType::Double,
        } if args.len() == 2 => match (eval(&args[0], chunk, sq)?, eval(&args[1], chunk, sq)?) {
            (Datum::Array(a), Datum::Scalar(Value::Int(digits))) => match a.as_ref() {
                Array::Double(v, valid) => Datum::Array(Rc::new(Array::Double(
                    v.iter().map(|x| scalar::round_double(*x, digits)).collect(),
                    valid.clone(),
                ))),
                _ => rowwise(e, chunk, sq)?,
            },
            _ => rowwise(e, chunk, sq)?,
        },
        ScalarExpr::Cast {
            expr,
            to: DataType::Double,
        } if expr.data_type() == DataType::Int => match eval(expr, chunk, sq)? {
            Datum::Scalar(v) => Datum::Scalar(scalar::coerce_for(v, DataType::Double)),
            Datum::Array(a) => match a.as_ref() {
                Array::Int(v, valid) => Datum::Array(Rc::new(Array::Double(
                    v.iter().map(|&x| x as f64).collect(),
                    valid.clone(),
                ))),
                _ => rowwise(e, chunk, sq)?,
            },
        },
        _ => rowwise(e, chunk, sq)?,
    })
}

/// Evaluates a predicate to a mask of the rows where it is true (NULL counts as false).
pub fn eval_mask(e: &ScalarExpr, chunk: &Chunk<'_>, sq: &dyn Subqueries) -> Result<Vec<bool>, ExecError> {
    let n = chunk.len();
    let (v, known) = bools(eval(e, chunk, sq)?, n)?;
    Ok(v.into_iter().zip(known).map(|(v, k)| v && k).collect())
}

/// A boolean datum as (values, known) vectors.
fn bools(d: Datum<'_>, n: usize) -> Result<(Vec<bool>, Vec<bool>), ExecError> {
    match d {
        Datum::Scalar(Value::Bool(b)) => Ok((vec![b; n], vec![true; n])),
        Datum::Scalar(_) => Ok((vec![false; n], vec![false; n])),
        Datum::Array(a) => match a.as_ref() {
            Array::Bool(v, valid) => Ok((v.clone(), valid.clone().unwrap_or_else(|| vec![true; n]))),
            Array::Null(n) => Ok((vec![false; *n], vec![false; *n])),
            other => Err(ExecError::Internal(format!(
                "expected a BOOLEAN array, got {}",
                other.data_type()
            ))),
        },
    }
}

/// Three-valued AND / OR of two (value, known) vectors.
fn combine(is_and: bool, av: &[bool], ak: &[bool], bv: &[bool], bk: &[bool]) -> (Vec<bool>, Vec<bool>) {
    let n = av.len();
    let mut v = Vec::with_capacity(n);
    let mut k = Vec::with_capacity(n);
    for i in 0..n {
        // The dominant value (false for AND, true for OR) decides even if the other side is unknown.
        let dom = !is_and;
        let a_dom = ak[i] && av[i] == dom;
        let b_dom = bk[i] && bv[i] == dom;
        if a_dom || b_dom {
            v.push(dom);
            k.push(true);
        } else if ak[i] && bk[i] {
            v.push(!dom);
            k.push(true);
        } else {
            v.push(false);
            k.push(false);
        }
    }
    (v, k)
}

fn and_validity(a: &Validity, b: &Validity) -> Validity {
    match (a, b) {
        (None, None) => None,
        (Some(x), None) | (None, Some(x)) => Some(x.clone()),
        (Some(x), Some(y)) => Some(x.iter().zip(y).map(|(a, b)| *a && *b).collect()),
    }
}

#[inline]
fn holds(op: CmpOp, o: Ordering) -> bool {
    op.holds(o)
}

/// Compares every row of `a` with the constant `s`.
fn cmp_scalar(a: &Array<'_>, s: &Value, op: CmpOp) -> Array<'static> {
    let n = a.len();
    if s.is_null() {
        return Array::Bool(vec![false; n], Some(vec![false; n]));
    }
    match (a, s) {
        (Array::Int(v, valid), Value::Int(x)) | (Array::Timestamp(v, valid), Value::Timestamp(x)) => {
            Array::Bool(v.iter().map(|y| holds(op, y.cmp(x))).collect(), valid.clone())
        }
        (Array::Double(v, valid), Value::Double(x)) => Array::Bool(
            v.iter().map(|y| holds(op, crate::value::cmp_f64(*y, *x))).collect(),
            valid.clone(),
        ),
        (Array::Bool(v, valid), Value::Bool(x)) => {
            Array::Bool(v.iter().map(|y| holds(op, y.cmp(x))).collect(), valid.clone())
        }
        (Array::Text(t), Value::Text(x)) => {
            let x = x.as_str();
            match t {
                TextArray::Dict { ids, dict, valid } if dict.sorted => {
                    // Id order is string order: find where `x` falls in the dictionary once.
                    let p = dict.partition_point(|d| d.as_str() < x) as u32;
                    let found = dict.get(p as usize).is_some_and(|d| d == x);
                    let f = |id: u32| match op {
                        CmpOp::Eq => found && id == p,
                        CmpOp::NotEq => !(found && id == p),
                        CmpOp::Lt => id < p,
                        CmpOp::LtEq => id < p + u32::from(found),
                        CmpOp::Gt => id >= p + u32::from(found),
                        CmpOp::GtEq => id >= p,
                    };
                    Array::Bool(ids.iter().map(|&id| f(id)).collect(), valid.clone())
                }
                t => {
                    let f = |s: &str| holds(op, s.as_bytes().cmp(x.as_bytes()));
                    text_predicate_inner(t, &f)
                }
            }
        }
        (a, s) => {
            let vals: Vec<bool> = (0..n)
                .map(|i| compare(&a.value(i), s).is_some_and(|o| holds(op, o)))
                .collect();
            let valid: Vec<bool> = (0..n).map(|i| a.is_valid(i)).collect();
            Array::Bool(vals, Some(valid))
        }
    }
}

/// Compares two arrays row by row.
fn cmp_arrays(a: &Array<'_>, b: &Array<'_>, op: CmpOp) -> Array<'static> {
    let n = a.len();
    match (a, b) {
        (Array::Int(x, va), Array::Int(y, vb)) | (Array::Timestamp(x, va), Array::Timestamp(y, vb)) => Array::Bool(
            x.iter().zip(y).map(|(p, q)| holds(op, p.cmp(q))).collect(),
            and_validity(va, vb),
        ),
        (Array::Double(x, va), Array::Double(y, vb)) => Array::Bool(
            x.iter()
                .zip(y)
                .map(|(p, q)| holds(op, crate::value::cmp_f64(*p, *q)))
                .collect(),
            and_validity(va, vb),
        ),
        (Array::Text(x), Array::Text(y)) => {
            let mut vals = Vec::with_capacity(n);
            let mut valid = Vec::with_capacity(n);
            for i in 0..n {
                match (x.get(i), y.get(i)) {
                    (Some(p), Some(q)) => {
                        vals.push(holds(op, p.as_bytes().cmp(q.as_bytes())));
                        valid.push(true);
                    }
                    _ => {
                        vals.push(false);
                        valid.push(false);
                    }
                }
            }
            Array::Bool(vals, Some(valid))
        }
        (a, b) => {
            let mut vals = Vec::with_capacity(n);
            let mut valid = Vec::with_capacity(n);
            for i in 0..n {
                match compare(&a.value(i), &b.value(i)) {
                    Some(o) => {
                        vals.push(holds(op, o));
                        valid.push(true);
                    }
                    None => {
                        vals.push(false);
                        valid.push(false);
                    }
                }
            }
            Array::Bool(vals, Some(valid))
        }
    }
}

/// Applies a text predicate to a text array: once per distinct dictionary entry when that is cheaper
/// than once per row. NULL rows stay NULL.
fn text_predicate(a: &Array<'_>, f: &dyn Fn(&str) -> bool) -> Result<Array<'static>, ExecError> {
    match a {
        Array::Text(t) => Ok(text_predicate_inner(t, f)),
        Array::Null(n) => Ok(Array::Bool(vec![false; *n], Some(vec![false; *n]))),
        other => Err(ExecError::Internal(format!("text predicate on {}", other.data_type()))),
    }
}

fn text_predicate_inner(t: &TextArray<'_>, f: &dyn Fn(&str) -> bool) -> Array<'static> {
    match t {
        TextArray::Dict { ids, dict, valid, .. } if dict.len() <= ids.len() => {
            let per_entry: Vec<bool> = dict.iter().map(|s| f(s)).collect();
            // NULL rows carry id 0 even when the dictionary is empty: look only valid rows up.
            let vals = ids
                .iter()
                .enumerate()
                .map(|(i, &id)| is_valid(valid, i) && per_entry[id as usize])
                .collect();
            Array::Bool(vals, valid.clone())
        }
        t => {
            let n = t.len();
            Array::Bool((0..n).map(|i| t.get(i).is_some_and(f)).collect(), t.validity().clone())
        }
    }
}

/// `x [NOT] IN set` for every row.
fn membership<'a>(d: Datum<'a>, set: &ValueSet, negated: bool, n: usize) -> Datum<'a> {
    // Nothing is in an empty set, not even NULL: `x IN (empty)` is false and `x NOT IN (empty)` true
    // for every row.
    if set.is_empty() && !set.has_null {
        return Datum::Scalar(Value::Bool(negated));
    }
    // Found: true; not found: false, or NULL if the set holds a NULL.
    let result = |found: bool| -> (bool, bool) {
        if found {
            (!negated, true)
        } else if set.has_null {
            (false, false)
        } else {
            (negated, true)
        }
    };
    match d {
        Datum::Scalar(v) => Datum::Scalar(if v.is_null() {
            Value::Null
        } else {
            match result(set.contains(&v)) {
                (b, true) => Value::Bool(b),
                _ => Value::Null,
            }
        }),
        Datum::Array(a) => {
            let mut vals = Vec::with_capacity(n);
            let mut known = Vec::with_capacity(n);
            let mut push = |valid: bool, found: bool| {
                let (v, k) = if valid { result(found) } else { (false, false) };
                vals.push(v);
                known.push(k);
            };
            match a.as_ref() {
                Array::Text(TextArray::Dict { ids, dict, valid, .. }) if dict.len() <= ids.len() => {
                    let per_entry: Vec<bool> = dict.iter().map(|s| set.contains_text(s)).collect();
                    for (i, &id) in ids.iter().enumerate() {
                        let ok = is_valid(valid, i);
                        push(ok, ok && per_entry[id as usize]);
                    }
                }
                Array::Text(t) => {
                    for i in 0..n {
                        match t.get(i) {
                            Some(s) => push(true, set.contains_text(s)),
                            None => push(false, false),
                        }
                    }
                }
                Array::Int(v, valid) => {
                    for (i, x) in v.iter().enumerate() {
                        push(is_valid(valid, i), set.contains(&Value::Int(*x)));
                    }
                }
                other => {
                    for i in 0..n {
                        let v = other.value(i);
                        push(!v.is_null(), set.contains(&v));
                    }
                }
            }
            let valid = if known.iter().all(|&k| k) { None } else { Some(known) };
            Datum::Array(Rc::new(Array::Bool(vals, valid)))
        }
    }
}

/// Array kernels for the common arithmetic; `None` when only the row-wise path applies.
fn arith_arrays(op: ArithOp, a: &Array<'_>, b: &Array<'_>) -> Result<Option<Array<'static>>, ExecError> {
    Ok(Some(match (a, b) {
        (Array::Int(x, va), Array::Int(y, vb)) => {
            let valid = and_validity(va, vb);
            let mut out = Vec::with_capacity(x.len());
            for i in 0..x.len() {
                out.push(if is_valid(&valid, i) {
                    scalar::int_arith(op, x[i], y[i])?
                } else {
                    0
                });
            }
            Array::Int(out, valid)
        }
        (Array::Double(x, va), Array::Double(y, vb)) => {
            let valid = and_validity(va, vb);
            let mut out = Vec::with_capacity(x.len());
            for i in 0..x.len() {
                out.push(if is_valid(&valid, i) {
                    scalar::double_arith(op, x[i], y[i])?
                } else {
                    0.0
                });
            }
            Array::Double(out, valid)
        }
        (Array::Timestamp(x, va), Array::Interval(y, vb)) => {
            let valid = and_validity(va, vb);
            let mut out = Vec::with_capacity(x.len());
            for i in 0..x.len() {
                out.push(if is_valid(&valid, i) {
                    scalar::ts_plus(op, x[i], y[i])?
                } else {
                    0
                });
            }
            Array::Timestamp(out, valid)
        }
        _ => return Ok(None),
    }))
}

/// `date_trunc` / `extract` over a timestamp argument. On a segment chunk whose whole time range falls
/// in one unit, the result is the same for every row and is computed once.
fn time_function<'a>(
    arg: &ScalarExpr,
    chunk: &Chunk<'a>,
    sq: &dyn Subqueries,
    unit: Option<TruncUnit>,
    field: Option<ExtractField>,
) -> Result<Datum<'a>, ExecError> {
    let apply = |t: i64| match (unit, field) {
        (Some(u), _) => trunc(u, t),
        (None, Some(f)) => extract(f, t),
        (None, None) => t,
    };
    let wrap = |v: i64| {
        if unit.is_some() {
            Value::Timestamp(v)
        } else {
            Value::Int(v)
        }
    };
    if let (ScalarExpr::Column { index: col::TIME, .. }, Some((lo, hi))) = (arg, chunk.time_bounds) {
        let deciding = unit.or_else(|| field.and_then(deciding_unit));
        if let Some(u) = deciding {
            if trunc(u, lo) == trunc(u, hi) {
                return Ok(Datum::Scalar(wrap(apply(lo))));
            }
        }
    }
    if let (ScalarExpr::Column { index: col::TIME, .. }, Some(seg)) = (arg, chunk.full_segment()) {
        // Every row of a segment: read its time column in place.
        let out = map_times(unit, field, &seg.int_column(col::TIME)?.values);
        return Ok(Datum::Array(Rc::new(if unit.is_some() {
            Array::Timestamp(out, None)
        } else {
            Array::Int(out, None)
        })));
    }
    Ok(match eval(arg, chunk, sq)? {
        Datum::Scalar(Value::Timestamp(t)) => Datum::Scalar(wrap(apply(t))),
        Datum::Scalar(_) => Datum::Scalar(Value::Null),
        Datum::Array(a) => match a.as_ref() {
            Array::Timestamp(v, valid) => {
                let out = map_times(unit, field, v);
                Datum::Array(Rc::new(if unit.is_some() {
                    Array::Timestamp(out, valid.clone())
                } else {
                    Array::Int(out, valid.clone())
                }))
            }
            Array::Null(n) => Datum::Array(Rc::new(Array::Null(*n))),
            other => return Err(ExecError::Internal(format!("time function on {}", other.data_type()))),
        },
    })
}

/// The truncation unit within which `extract(field)` cannot change.
fn deciding_unit(field: ExtractField) -> Option<TruncUnit> {
    Some(match field {
        ExtractField::Year => TruncUnit::Year,
        ExtractField::Quarter => TruncUnit::Quarter,
        ExtractField::Month => TruncUnit::Month,
        ExtractField::Week => TruncUnit::Week,
        ExtractField::Day | ExtractField::Dow | ExtractField::IsoDow | ExtractField::Doy => TruncUnit::Day,
        ExtractField::Hour => TruncUnit::Hour,
        ExtractField::Minute => TruncUnit::Minute,
        ExtractField::Second => TruncUnit::Second,
        ExtractField::Epoch => return None,
    })
}

/// Row-at-a-time evaluation (the reference semantics) for expressions without a kernel.
fn rowwise<'a>(e: &ScalarExpr, chunk: &Chunk<'a>, sq: &dyn Subqueries) -> Result<Datum<'a>, ExecError> {
    let mut cols = Vec::new();
    e.collect_columns(&mut cols);
    if cols.is_empty() {
        return Ok(Datum::Scalar(eval_row(e, &|_| Value::Null, sq)?));
    }
    let width = chunk.width();
    let mut arrays: Vec<Option<Rc<Array<'a>>>> = vec![None; width];
    for c in cols {
        arrays[c] = Some(chunk.column(c)?);
    }
    let n = chunk.len();
    let mut out = Vec::with_capacity(n);
    for row in 0..n {
        let get = |c: usize| {
            arrays
                .get(c)
                .and_then(|a| a.as_ref())
                .map_or(Value::Null, |a| a.value(row))
        };
        out.push(eval_row(e, &get, sq)?);
    }
    Ok(Datum::Array(Rc::new(Array::from_values(e.data_type(), &out))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::subquery::SubqueryResults;

    /// A segment whose column is NULL in every row has an empty dictionary, and its rows carry id 0.
    #[test]
    fn text_predicates_on_an_all_null_dictionary_column_are_null() {
        let dict: Vec<String> = Vec::new();
        let column = Array::Text(TextArray::Dict {
            ids: vec![0, 0],
            dict: super::super::array::DictRef::borrowed(&dict, true, None),
            valid: Some(vec![false, false]),
        });
        let chunk = Chunk::from_arrays(vec![Some(Rc::new(column))], 2);
        let col = || {
            Box::new(ScalarExpr::Column {
                index: 0,
                ty: DataType::Text,
            })
        };
        let text = |s: &str| ScalarExpr::Literal(Value::Text(s.into()), DataType::Text);
        let sq = SubqueryResults::default();
        let like = ScalarExpr::Like {
            expr: col(),
            pattern: Box::new(text("a%")),
            negated: false,
            case_insensitive: false,
        };
        let in_list = ScalarExpr::InList {
            expr: col(),
            list: vec![text("a"), text("b")],
            negated: true,
        };
        for e in [like, in_list] {
            let a = eval(&e, &chunk, &sq).expect("evaluates").into_array(DataType::Bool, 2);
            assert!(!a.is_valid(0) && !a.is_valid(1), "{e:?} is NULL on NULL rows");
        }
    }

    /// `x IN (subquery)` over an empty result is FALSE and `NOT IN` TRUE, even where x is NULL; with
    /// rows in the result, a NULL x gives NULL.
    #[test]
    fn in_an_empty_subquery_result_is_false_even_for_null() {
        use crate::exec::subquery::SubqueryResult;
        let column = Array::Int(vec![0, 7], Some(vec![false, true]));
        let chunk = Chunk::from_arrays(vec![Some(Rc::new(column))], 2);
        let col = || {
            Box::new(ScalarExpr::Column {
                index: 0,
                ty: DataType::Int,
            })
        };
        let sq = SubqueryResults {
            results: vec![
                SubqueryResult::Set(ValueSet::default()),
                SubqueryResult::Set(ValueSet::from_values([Value::Int(1)])),
            ],
        };
        for (subquery, negated, want) in [
            (0, false, [Some(false), Some(false)]),
            (0, true, [Some(true), Some(true)]),
            (1, true, [None, Some(true)]),
        ] {
            let in_sub = ScalarExpr::InSubquery {
                expr: col(),
                subquery,
                negated,
            };
            // Vectorized, and row at a time (inside a CASE, which has no kernel).
            let case = ScalarExpr::Case {
                branches: vec![(
                    ScalarExpr::IsNull {
                        expr: Box::new(in_sub.clone()),
                        negated: false,
                    },
                    ScalarExpr::lit(Value::Null),
                )],
                otherwise: Box::new(in_sub.clone()),
                ty: DataType::Bool,
            };
            for e in [in_sub, case] {
                let a = eval(&e, &chunk, &sq).expect("evaluates").into_array(DataType::Bool, 2);
                let got: Vec<Option<bool>> = (0..2)
                    .map(|i| match a.value(i) {
                        Value::Bool(b) => Some(b),
                        _ => None,
                    })
                    .collect();
                assert_eq!(got, want, "{e:?}");
            }
        }
    }
}
