//! The built-in functions: which names exist, what argument types they take and what they return.
//! Type rules for mixed operands (`common_type`) live here too.

use super::expr::{AggFunc, ScalarExpr, ScalarFunc, TrimSide};
use crate::time::{ExtractField, TruncUnit};
use crate::value::{cast_value, DataType, Value};

/// The aggregate called `name`, if it is one (`count(*)` is recognised by the caller).
pub fn aggregate(name: &str) -> Option<AggFunc> {
    Some(match name {
        "count" => AggFunc::Count,
        "sum" => AggFunc::Sum,
        "avg" | "mean" => AggFunc::Avg,
        "min" => AggFunc::Min,
        "max" => AggFunc::Max,
        "bool_and" | "every" => AggFunc::BoolAnd,
        "bool_or" => AggFunc::BoolOr,
        _ => return None,
    })
}

/// The names of every function, for "unknown function" errors.
pub const FUNCTION_NAMES: &str = "count, sum, avg, min, max, bool_and, bool_or, date_trunc, date_part, extract, \
     round, abs, ceil, floor, sqrt, power, ln, exp, sign, lower, upper, length, trim, ltrim, rtrim, replace, \
     substr, left, right, starts_with, concat, coalesce, nullif, greatest, least";

/// The type two operands are compared or combined at: equal types, NULL with anything, BIGINT with DOUBLE.
pub fn common_type(a: DataType, b: DataType) -> Option<DataType> {
    match (a, b) {
        _ if a == b => Some(a),
        (DataType::Null, t) | (t, DataType::Null) => Some(t),
        (DataType::Int, DataType::Double) | (DataType::Double, DataType::Int) => Some(DataType::Double),
        _ => None,
    }
}

/// The result type of an aggregate over an argument of type `arg`, or why it does not apply.
pub fn aggregate_type(func: AggFunc, arg: DataType) -> Result<DataType, String> {
    match func {
        AggFunc::CountStar | AggFunc::Count => Ok(DataType::Int),
        AggFunc::Sum => match arg {
            DataType::Int | DataType::Null => Ok(DataType::Int),
            DataType::Double => Ok(DataType::Double),
            t => Err(format!("sum needs a number, not {t}")),
        },
        AggFunc::Avg => match arg {
            DataType::Int | DataType::Double | DataType::Null => Ok(DataType::Double),
            t => Err(format!("avg needs a number, not {t}")),
        },
        AggFunc::Min | AggFunc::Max => match arg {
            DataType::Interval => Err(format!("{} does not apply to INTERVAL", func.name())),
            t => Ok(t),
        },
        AggFunc::BoolAnd | AggFunc::BoolOr => match arg {
            DataType::Bool | DataType::Null => Ok(DataType::Bool),
            t => Err(format!("{} needs a BOOLEAN, not {t}", func.name())),
        },
    }
}

/// Binds a scalar function call on already-bound arguments. `Ok(None)` if no such function exists;
/// `Err` names the argument that does not fit.
pub fn bind_scalar(name: &str, mut args: Vec<ScalarExpr>) -> Result<Option<ScalarExpr>, String> {
    let types: Vec<DataType> = args.iter().map(ScalarExpr::data_type).collect();
    let arity = |lo: usize, hi: usize| -> Result<(), String> {
        if args.len() < lo || args.len() > hi {
            let want = if lo == hi {
                format!("{lo}")
            } else if hi == usize::MAX {
                format!("at least {lo}")
            } else {
                format!("{lo} or {hi}")
            };
            return Err(format!(
                "{name} takes {want} argument{}, got {}",
                if want == "1" { "" } else { "s" },
                args.len()
            ));
        }
        Ok(())
    };
    let need = |i: usize, ok: &dyn Fn(DataType) -> bool, what: &str| -> Result<(), String> {
        if ok(types[i]) {
            Ok(())
        } else {
            Err(format!("argument {} of {name} must be {what}, not {}", i + 1, types[i]))
        }
    };
    let numeric = |t: DataType| t.is_numeric();
    let text = |t: DataType| matches!(t, DataType::Text | DataType::Null);
    let int = |t: DataType| matches!(t, DataType::Int | DataType::Null);
    let ts = |t: DataType| matches!(t, DataType::Timestamp | DataType::Null);
    let f = |func: ScalarFunc, args: Vec<ScalarExpr>, ty: DataType| Ok(Some(ScalarExpr::Function { func, args, ty }));
    match name {
        "date_trunc" | "date_part" => {
            arity(2, 2)?;
            let unit = match &args[0] {
                ScalarExpr::Literal(Value::Text(u), _) => u.clone(),
                _ => {
                    return Err(format!(
                        "the first argument of {name} must be a string literal such as 'day'"
                    ))
                }
            };
            let operand = args.swap_remove(1);
            args = vec![coerce_literal(operand, DataType::Timestamp)?];
            if !ts(args[0].data_type()) {
                return Err(format!(
                    "argument 2 of {name} must be TIMESTAMP, not {}",
                    args[0].data_type()
                ));
            }
            if name == "date_trunc" {
                let unit = TruncUnit::parse(&unit)
                    .ok_or_else(|| format!("unknown date_trunc unit '{unit}'; valid units: {}", TruncUnit::NAMES))?;
                f(ScalarFunc::DateTrunc(unit), args, DataType::Timestamp)
            } else {
                let field = ExtractField::parse(&unit).ok_or_else(|| {
                    format!(
                        "unknown date_part field '{unit}'; valid fields: {}",
                        ExtractField::NAMES
                    )
                })?;
                f(ScalarFunc::Extract(field), args, DataType::Int)
            }
        }
        "round" => {
            arity(1, 2)?;
            need(0, &numeric, "a number")?;
            if args.len() == 2 {
                need(1, &int, "an integer")?;
            }
            let ty = if types[0] == DataType::Int {
                DataType::Int
            } else {
                DataType::Double
            };
            f(ScalarFunc::Round, args, ty)
        }
        "abs" | "sign" | "ceil" | "ceiling" | "floor" => {
            arity(1, 1)?;
            need(0, &numeric, "a number")?;
            let func = match name {
                "abs" => ScalarFunc::Abs,
                "sign" => ScalarFunc::Sign,
                "floor" => ScalarFunc::Floor,
                _ => ScalarFunc::Ceil,
            };
            let ty = if types[0] == DataType::Int {
                DataType::Int
            } else {
                DataType::Double
            };
            f(func, args, ty)
        }
        "sqrt" | "ln" | "exp" => {
            arity(1, 1)?;
            need(0, &numeric, "a number")?;
            let func = match name {
                "sqrt" => ScalarFunc::Sqrt,
                "ln" => ScalarFunc::Ln,
                _ => ScalarFunc::Exp,
            };
            f(func, args, DataType::Double)
        }
        "power" | "pow" => {
            arity(2, 2)?;
            need(0, &numeric, "a number")?;
            need(1, &numeric, "a number")?;
            f(ScalarFunc::Power, args, DataType::Double)
        }
        "lower" | "upper" | "trim" | "ltrim" | "rtrim" => {
            arity(1, 1)?;
            need(0, &text, "TEXT")?;
            let func = match name {
                "lower" => ScalarFunc::Lower,
                "upper" => ScalarFunc::Upper,
                "trim" => ScalarFunc::Trim(TrimSide::Both),
                "ltrim" => ScalarFunc::Trim(TrimSide::Leading),
                _ => ScalarFunc::Trim(TrimSide::Trailing),
            };
            f(func, args, DataType::Text)
        }
        "length" | "char_length" | "character_length" => {
            arity(1, 1)?;
            need(0, &text, "TEXT")?;
            f(ScalarFunc::Length, args, DataType::Int)
        }
        "replace" => {
            arity(3, 3)?;
            for i in 0..3 {
                need(i, &text, "TEXT")?;
            }
            f(ScalarFunc::Replace, args, DataType::Text)
        }
        "substr" | "substring" => {
            arity(2, 3)?;
            need(0, &text, "TEXT")?;
            for i in 1..args.len() {
                need(i, &int, "an integer")?;
            }
            f(ScalarFunc::Substr, args, DataType::Text)
        }
        "left" | "right" => {
            arity(2, 2)?;
            need(0, &text, "TEXT")?;
            need(1, &int, "an integer")?;
            f(
                if name == "left" {
                    ScalarFunc::Left
                } else {
                    ScalarFunc::Right
                },
                args,
                DataType::Text,
            )
        }
        "starts_with" => {
            arity(2, 2)?;
            need(0, &text, "TEXT")?;
            need(1, &text, "TEXT")?;
            f(ScalarFunc::StartsWith, args, DataType::Bool)
        }
        "concat" => {
            arity(1, usize::MAX)?;
            f(ScalarFunc::Concat, args, DataType::Text)
        }
        "coalesce" | "greatest" | "least" => {
            arity(1, usize::MAX)?;
            let mut ty = DataType::Null;
            for (i, t) in types.iter().enumerate() {
                ty = common_type(ty, *t)
                    .ok_or_else(|| format!("argument {} of {name} is {t}, the arguments before it are {ty}", i + 1))?;
            }
            let args = args
                .into_iter()
                .map(|a| coerce_literal(a, ty))
                .collect::<Result<_, _>>()?;
            let func = match name {
                "coalesce" => ScalarFunc::Coalesce,
                "greatest" => ScalarFunc::Greatest,
                _ => ScalarFunc::Least,
            };
            f(func, args, ty)
        }
        "nullif" => {
            arity(2, 2)?;
            if common_type(types[0], types[1]).is_none() {
                return Err(format!("nullif compares {} with {}", types[0], types[1]));
            }
            let ty = types[0];
            f(ScalarFunc::NullIf, args, ty)
        }
        _ => Ok(None),
    }
}

/// Converts a text or NULL literal to `ty` (PostgreSQL's "unknown-type literal" rule: `time >= '2022-01-17'`
/// compares timestamps); other expressions are returned unchanged.
pub fn coerce_literal(e: ScalarExpr, ty: DataType) -> Result<ScalarExpr, String> {
    match &e {
        ScalarExpr::Literal(Value::Null, _) => Ok(ScalarExpr::Literal(Value::Null, ty)),
        ScalarExpr::Literal(v @ Value::Text(_), _) if !matches!(ty, DataType::Text | DataType::Null) => {
            Ok(ScalarExpr::lit(cast_value(v, ty)?))
        }
        _ => Ok(e),
    }
}
