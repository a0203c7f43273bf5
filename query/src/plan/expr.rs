//! Bound expressions: typed, with columns resolved to positions in the input of the plan node that
//! evaluates them. Built by the binder, evaluated by the executor.

use crate::time::{ExtractField, TruncUnit};
use crate::value::{DataType, Value};

/// An arithmetic operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/` (integer division truncates toward zero, as in PostgreSQL)
    Div,
    /// `%`
    Mod,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `<>`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
}

impl CmpOp {
    /// The operator with its operands swapped (`a < b` is `b > a`).
    pub fn flip(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::LtEq => CmpOp::GtEq,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::GtEq => CmpOp::LtEq,
            op => op,
        }
    }

    /// Whether `ord` (left compared to right) satisfies the operator.
    pub fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CmpOp::Eq => ord == Equal,
            CmpOp::NotEq => ord != Equal,
            CmpOp::Lt => ord == Less,
            CmpOp::LtEq => ord != Greater,
            CmpOp::Gt => ord == Greater,
            CmpOp::GtEq => ord != Less,
        }
    }

    /// SQL spelling.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::NotEq => "<>",
            CmpOp::Lt => "<",
            CmpOp::LtEq => "<=",
            CmpOp::Gt => ">",
            CmpOp::GtEq => ">=",
        }
    }
}

/// A built-in scalar function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScalarFunc {
    /// `date_trunc(unit, timestamp)` with a constant unit.
    DateTrunc(TruncUnit),
    /// `extract(field FROM timestamp)` / `date_part('field', timestamp)`.
    Extract(ExtractField),
    /// `round(x)` / `round(x, n)`.
    Round,
    /// `abs(x)`
    Abs,
    /// `ceil(x)` / `ceiling(x)`
    Ceil,
    /// `floor(x)`
    Floor,
    /// `sqrt(x)`
    Sqrt,
    /// `power(x, y)` / `pow(x, y)`
    Power,
    /// `ln(x)`
    Ln,
    /// `exp(x)`
    Exp,
    /// `sign(x)`
    Sign,
    /// `lower(s)`
    Lower,
    /// `upper(s)`
    Upper,
    /// `length(s)` / `char_length(s)` in characters.
    Length,
    /// `trim(s)`, `ltrim(s)`, `rtrim(s)` (spaces).
    Trim(TrimSide),
    /// `replace(s, from, to)`
    Replace,
    /// `substr(s, start [, len])` / `substring(s, start [, len])`, 1-based.
    Substr,
    /// `left(s, n)`
    Left,
    /// `right(s, n)`
    Right,
    /// `starts_with(s, prefix)`
    StartsWith,
    /// `concat(a, b, …)` (NULLs skipped)
    Concat,
    /// `coalesce(a, b, …)`
    Coalesce,
    /// `nullif(a, b)`
    NullIf,
    /// `greatest(a, b, …)` (NULLs ignored)
    Greatest,
    /// `least(a, b, …)` (NULLs ignored)
    Least,
}

/// Which side `trim` removes spaces from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrimSide {
    /// Both ends.
    Both,
    /// The start.
    Leading,
    /// The end.
    Trailing,
}

/// A typed expression over the columns of its input.
#[derive(Debug, Clone, PartialEq)]
pub enum ScalarExpr {
    /// Input column `index`.
    Column {
        /// Position in the input.
        index: usize,
        /// Its type.
        ty: DataType,
    },
    /// A constant (NULL carries the type the context gave it).
    Literal(Value, DataType),
    /// `NOT x` (three-valued).
    Not(Box<ScalarExpr>),
    /// `-x`
    Neg(Box<ScalarExpr>),
    /// `a AND b AND …` (three-valued).
    And(Vec<ScalarExpr>),
    /// `a OR b OR …` (three-valued).
    Or(Vec<ScalarExpr>),
    /// `a op b` on numbers, timestamps and intervals; `ty` is the result type.
    Arith {
        /// Operator.
        op: ArithOp,
        /// Left operand.
        left: Box<ScalarExpr>,
        /// Right operand.
        right: Box<ScalarExpr>,
        /// Result type.
        ty: DataType,
    },
    /// `a op b` comparing values of compatible types.
    Cmp {
        /// Operator.
        op: CmpOp,
        /// Left operand.
        left: Box<ScalarExpr>,
        /// Right operand.
        right: Box<ScalarExpr>,
    },
    /// `a || b` (NULL if either is NULL).
    Concat(Box<ScalarExpr>, Box<ScalarExpr>),
    /// `x IS [NOT] NULL`.
    IsNull {
        /// Operand.
        expr: Box<ScalarExpr>,
        /// `IS NOT NULL`.
        negated: bool,
    },
    /// `x [NOT] IN (list)` with SQL's NULL rules.
    InList {
        /// Operand.
        expr: Box<ScalarExpr>,
        /// The list.
        list: Vec<ScalarExpr>,
        /// `NOT IN`.
        negated: bool,
    },
    /// `x [NOT] IN (subquery)`; the subquery's result is computed before the query runs.
    InSubquery {
        /// Operand.
        expr: Box<ScalarExpr>,
        /// Index into the statement's subqueries.
        subquery: usize,
        /// `NOT IN`.
        negated: bool,
    },
    /// `(subquery)` as a value, computed before the query runs.
    ScalarSubquery {
        /// Index into the statement's subqueries.
        subquery: usize,
        /// Type of its single column.
        ty: DataType,
    },
    /// `x [NOT] [I]LIKE pattern`.
    Like {
        /// Operand.
        expr: Box<ScalarExpr>,
        /// Pattern.
        pattern: Box<ScalarExpr>,
        /// `NOT LIKE`.
        negated: bool,
        /// `ILIKE`.
        case_insensitive: bool,
    },
    /// A built-in function.
    Function {
        /// Which.
        func: ScalarFunc,
        /// Arguments (constant unit/field arguments are folded into `func`).
        args: Vec<ScalarExpr>,
        /// Result type.
        ty: DataType,
    },
    /// `CAST(x AS ty)`.
    Cast {
        /// Operand.
        expr: Box<ScalarExpr>,
        /// Target type.
        to: DataType,
    },
    /// `CASE WHEN … THEN … ELSE … END` (a simple CASE is rewritten to this form).
    Case {
        /// Conditions and values.
        branches: Vec<(ScalarExpr, ScalarExpr)>,
        /// The ELSE value (NULL if absent).
        otherwise: Box<ScalarExpr>,
        /// Result type.
        ty: DataType,
    },
}

impl ScalarExpr {
    /// The expression's type.
    pub fn data_type(&self) -> DataType {
        match self {
            ScalarExpr::Column { ty, .. } | ScalarExpr::Literal(_, ty) => *ty,
            ScalarExpr::Not(_)
            | ScalarExpr::And(_)
            | ScalarExpr::Or(_)
            | ScalarExpr::Cmp { .. }
            | ScalarExpr::IsNull { .. }
            | ScalarExpr::InList { .. }
            | ScalarExpr::InSubquery { .. }
            | ScalarExpr::Like { .. } => DataType::Bool,
            ScalarExpr::Neg(e) => e.data_type(),
            ScalarExpr::Arith { ty, .. }
            | ScalarExpr::ScalarSubquery { ty, .. }
            | ScalarExpr::Function { ty, .. }
            | ScalarExpr::Case { ty, .. } => *ty,
            ScalarExpr::Concat(..) => DataType::Text,
            ScalarExpr::Cast { to, .. } => *to,
        }
    }

    /// A literal.
    pub fn lit(v: Value) -> ScalarExpr {
        let ty = v.data_type();
        ScalarExpr::Literal(v, ty)
    }

    /// The direct sub-expressions.
    pub fn children(&self) -> Vec<&ScalarExpr> {
        match self {
            ScalarExpr::Column { .. } | ScalarExpr::Literal(..) | ScalarExpr::ScalarSubquery { .. } => vec![],
            ScalarExpr::Not(e) | ScalarExpr::Neg(e) | ScalarExpr::IsNull { expr: e, .. } => vec![e],
            ScalarExpr::InSubquery { expr, .. } | ScalarExpr::Cast { expr, .. } => vec![expr],
            ScalarExpr::And(v) | ScalarExpr::Or(v) => v.iter().collect(),
            ScalarExpr::Arith { left, right, .. } | ScalarExpr::Cmp { left, right, .. } => vec![left, right],
            ScalarExpr::Concat(a, b) => vec![a, b],
            ScalarExpr::InList { expr, list, .. } => std::iter::once(expr.as_ref()).chain(list).collect(),
            ScalarExpr::Like { expr, pattern, .. } => vec![expr, pattern],
            ScalarExpr::Function { args, .. } => args.iter().collect(),
            ScalarExpr::Case {
                branches, otherwise, ..
            } => branches
                .iter()
                .flat_map(|(c, v)| [c, v])
                .chain(std::iter::once(otherwise.as_ref()))
                .collect(),
        }
    }

    /// Every input column the expression reads, added to `out`.
    pub fn collect_columns(&self, out: &mut Vec<usize>) {
        if let ScalarExpr::Column { index, .. } = self {
            if !out.contains(index) {
                out.push(*index);
            }
        }
        for c in self.children() {
            c.collect_columns(out);
        }
    }

    /// Whether the expression reads no input column (it may still read a subquery result).
    pub fn is_constant(&self) -> bool {
        let mut cols = Vec::new();
        self.collect_columns(&mut cols);
        cols.is_empty()
    }

    /// Rewrites every column reference with `f(index)` (used when moving expressions between nodes).
    pub fn map_columns(&self, f: &dyn Fn(usize) -> usize) -> ScalarExpr {
        match self {
            ScalarExpr::Column { index, ty } => ScalarExpr::Column {
                index: f(*index),
                ty: *ty,
            },
            e => e.map_children(&|c| c.map_columns(f)),
        }
    }

    /// The expression with each direct child replaced by `f(child)`.
    pub fn map_children(&self, f: &dyn Fn(&ScalarExpr) -> ScalarExpr) -> ScalarExpr {
        let e = self;
        let b = |x: &ScalarExpr| Box::new(f(x));
        match e {
            ScalarExpr::Column { .. } | ScalarExpr::Literal(..) | ScalarExpr::ScalarSubquery { .. } => e.clone(),
            ScalarExpr::Not(x) => ScalarExpr::Not(b(x)),
            ScalarExpr::Neg(x) => ScalarExpr::Neg(b(x)),
            ScalarExpr::And(v) => ScalarExpr::And(v.iter().map(f).collect()),
            ScalarExpr::Or(v) => ScalarExpr::Or(v.iter().map(f).collect()),
            ScalarExpr::Arith { op, left, right, ty } => ScalarExpr::Arith {
                op: *op,
                left: b(left),
                right: b(right),
                ty: *ty,
            },
            ScalarExpr::Cmp { op, left, right } => ScalarExpr::Cmp {
                op: *op,
                left: b(left),
                right: b(right),
            },
            ScalarExpr::Concat(x, y) => ScalarExpr::Concat(b(x), b(y)),
            ScalarExpr::IsNull { expr, negated } => ScalarExpr::IsNull {
                expr: b(expr),
                negated: *negated,
            },
            ScalarExpr::InList { expr, list, negated } => ScalarExpr::InList {
                expr: b(expr),
                list: list.iter().map(f).collect(),
                negated: *negated,
            },
            ScalarExpr::InSubquery {
                expr,
                subquery,
                negated,
            } => ScalarExpr::InSubquery {
                expr: b(expr),
                subquery: *subquery,
                negated: *negated,
            },
            ScalarExpr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
            } => ScalarExpr::Like {
                expr: b(expr),
                pattern: b(pattern),
                negated: *negated,
                case_insensitive: *case_insensitive,
            },
            ScalarExpr::Function { func, args, ty } => ScalarExpr::Function {
                func: *func,
                args: args.iter().map(f).collect(),
                ty: *ty,
            },
            ScalarExpr::Cast { expr, to } => ScalarExpr::Cast { expr: b(expr), to: *to },
            ScalarExpr::Case {
                branches,
                otherwise,
                ty,
            } => ScalarExpr::Case {
                branches: branches.iter().map(|(c, v)| (f(c), f(v))).collect(),
                otherwise: b(otherwise),
                ty: *ty,
            },
        }
    }

    /// Splits a predicate into its top-level AND terms.
    pub fn conjuncts(self) -> Vec<ScalarExpr> {
        match self {
            ScalarExpr::And(v) => v.into_iter().flat_map(ScalarExpr::conjuncts).collect(),
            e => vec![e],
        }
    }

    /// ANDs predicates together (`None` for none).
    pub fn and_all(mut terms: Vec<ScalarExpr>) -> Option<ScalarExpr> {
        match terms.len() {
            0 => None,
            1 => terms.pop(),
            _ => Some(ScalarExpr::And(terms)),
        }
    }
}

/// An aggregate function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggFunc {
    /// `count(*)`
    CountStar,
    /// `count(x)`: non-NULL values.
    Count,
    /// `sum(x)`
    Sum,
    /// `avg(x)`
    Avg,
    /// `min(x)`
    Min,
    /// `max(x)`
    Max,
    /// `bool_and(x)`
    BoolAnd,
    /// `bool_or(x)`
    BoolOr,
}

impl AggFunc {
    /// The SQL name.
    pub fn name(self) -> &'static str {
        match self {
            AggFunc::CountStar | AggFunc::Count => "count",
            AggFunc::Sum => "sum",
            AggFunc::Avg => "avg",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
            AggFunc::BoolAnd => "bool_and",
            AggFunc::BoolOr => "bool_or",
        }
    }
}

/// One aggregate of an `Aggregate` node: `func([DISTINCT] arg) [FILTER (WHERE filter)]`.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateCall {
    /// The function.
    pub func: AggFunc,
    /// The argument (`None` for `count(*)`).
    pub arg: Option<ScalarExpr>,
    /// `DISTINCT`.
    pub distinct: bool,
    /// `FILTER (WHERE …)`.
    pub filter: Option<ScalarExpr>,
    /// Result type.
    pub ty: DataType,
}
