//! Canonical SQL for the AST (`Display`), for `EXPLAIN` output and error messages. Parsing the
//! printed text gives back the same AST, spans aside: keywords are upper case, identifiers are
//! quoted when they must be, parentheses are added exactly where precedence needs them (and around
//! an `AND` inside an `AND`, an `OR` inside an `OR`, so that the balanced trees the parser builds
//! print back to themselves), and `CAST(x AS type)` stands for `x::type` too.

use std::fmt::{self, Display, Formatter, Write};

use super::lexical::is_reserved;
use crate::ast::{
    BinaryOp, Expr, From, Ident, Join, JoinKind, Literal, OrderByItem, Query, SelectItem, Statement, TableRef,
    TypeName, UnaryOp,
};

impl Display for Statement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Statement::Query(query) => write!(f, "{query}"),
            Statement::Explain(query) => write!(f, "EXPLAIN {query}"),
            Statement::ShowTables => f.write_str("SHOW TABLES"),
            Statement::Describe(table) => write!(f, "DESCRIBE {table}"),
        }
    }
}

impl Display for Query {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("SELECT ")?;
        if self.distinct {
            f.write_str("DISTINCT ")?;
        }
        comma_separated(f, &self.projection)?;
        if let Some(from) = &self.from {
            write!(f, " FROM {from}")?;
        }
        if let Some(selection) = &self.selection {
            write!(f, " WHERE {selection}")?;
        }
        if !self.group_by.is_empty() {
            f.write_str(" GROUP BY ")?;
            comma_separated(f, &self.group_by)?;
        }
        if let Some(having) = &self.having {
            write!(f, " HAVING {having}")?;
        }
        if !self.order_by.is_empty() {
            f.write_str(" ORDER BY ")?;
            comma_separated(f, &self.order_by)?;
        }
        if let Some(limit) = self.limit {
            write!(f, " LIMIT {limit}")?;
        }
        if let Some(offset) = self.offset {
            write!(f, " OFFSET {offset}")?;
        }
        Ok(())
    }
}

impl Display for SelectItem {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SelectItem::Wildcard(_) => f.write_str("*"),
            SelectItem::QualifiedWildcard(qualifier) => write!(f, "{qualifier}.*"),
            SelectItem::Expr { expr, alias: None } => write!(f, "{expr}"),
            SelectItem::Expr {
                expr,
                alias: Some(alias),
            } => write!(f, "{expr} AS {alias}"),
        }
    }
}

impl Display for From {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.base)?;
        self.joins.iter().try_for_each(|join| write!(f, " {join}"))
    }
}

impl Display for TableRef {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let alias = match self {
            TableRef::Table { name, alias } => {
                write!(f, "{name}")?;
                alias
            }
            TableRef::Derived { query, alias, .. } => {
                write!(f, "({query})")?;
                alias
            }
        };
        match alias {
            Some(alias) => write!(f, " AS {alias}"),
            None => Ok(()),
        }
    }
}

impl Display for Join {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            JoinKind::Inner => "JOIN",
            JoinKind::Left => "LEFT JOIN",
        };
        write!(f, "{kind} {} ON {}", self.table, self.on)
    }
}

impl Display for OrderByItem {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr)?;
        if self.desc {
            f.write_str(" DESC")?;
        }
        match self.nulls_first {
            Some(true) => f.write_str(" NULLS FIRST"),
            Some(false) => f.write_str(" NULLS LAST"),
            None => Ok(()),
        }
    }
}

impl Display for Ident {
    /// Bare when it was not quoted and reads back the same bare; double-quoted otherwise.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if !self.quoted && is_bare(&self.value) {
            return f.write_str(&self.value);
        }
        f.write_char('"')?;
        f.write_str(&self.value.replace('"', "\"\""))?;
        f.write_char('"')
    }
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("NULL"),
            Literal::Bool(true) => f.write_str("TRUE"),
            Literal::Bool(false) => f.write_str("FALSE"),
            Literal::Integer(n) => write!(f, "{n}"),
            Literal::Decimal(text) => f.write_str(text),
            Literal::String(text) => quoted_string(f, text),
            Literal::Timestamp(text) => {
                f.write_str("TIMESTAMP ")?;
                quoted_string(f, text)
            }
            Literal::Date(text) => {
                f.write_str("DATE ")?;
                quoted_string(f, text)
            }
            Literal::Interval(text) => {
                f.write_str("INTERVAL ")?;
                quoted_string(f, text)
            }
        }
    }
}

impl Display for TypeName {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TypeName::Integer => "INTEGER",
            TypeName::Double => "DOUBLE",
            TypeName::Text => "TEXT",
            TypeName::Timestamp => "TIMESTAMP",
            TypeName::Date => "DATE",
            TypeName::Boolean => "BOOLEAN",
        })
    }
}

impl Display for BinaryOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BinaryOp::Or => "OR",
            BinaryOp::And => "AND",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::Plus => "+",
            BinaryOp::Minus => "-",
            BinaryOp::Multiply => "*",
            BinaryOp::Divide => "/",
            BinaryOp::Modulo => "%",
            BinaryOp::Concat => "||",
        })
    }
}

impl Display for UnaryOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnaryOp::Not => "NOT",
            UnaryOp::Neg => "-",
            UnaryOp::Plus => "+",
        })
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Column {
                table: Some(table),
                name,
            } => write!(f, "{table}.{name}"),
            Expr::Column { table: None, name } => write!(f, "{name}"),
            Expr::Literal(literal, _) => write!(f, "{literal}"),
            Expr::Unary {
                op: UnaryOp::Not, expr, ..
            } => {
                f.write_str("NOT ")?;
                child(f, expr, level(expr) < NOT)
            }
            Expr::Unary { op, expr, .. } => {
                write!(f, "{op}")?;
                let sign_or_number = matches!(
                    **expr,
                    Expr::Unary {
                        op: UnaryOp::Neg | UnaryOp::Plus,
                        ..
                    }
                ) || matches!(**expr, Expr::Literal(Literal::Integer(_) | Literal::Decimal(_), _));
                child(f, expr, level(expr) < UNARY || sign_or_number)
            }
            Expr::Binary { left, op, right, .. } => {
                let own = binary_level(*op);
                let same_chain = |e: &Expr| matches!(e, Expr::Binary { op: o, .. } if o == op);
                let left_paren =
                    level(left) < own || (own == CMP && level(left) == CMP) || (own <= AND && same_chain(left));
                child(f, left, left_paren)?;
                write!(f, " {op} ")?;
                child(f, right, level(right) <= own)
            }
            Expr::IsNull { expr, negated, .. } => {
                child(f, expr, level(expr) < IS)?;
                f.write_str(if *negated { " IS NOT NULL" } else { " IS NULL" })
            }
            Expr::InList {
                expr, list, negated, ..
            } => {
                child(f, expr, level(expr) <= PRED)?;
                f.write_str(if *negated { " NOT IN (" } else { " IN (" })?;
                comma_separated(f, list)?;
                f.write_char(')')
            }
            Expr::InSubquery {
                expr,
                subquery,
                negated,
                ..
            } => {
                child(f, expr, level(expr) <= PRED)?;
                write!(f, "{} ({subquery})", if *negated { " NOT IN" } else { " IN" })
            }
            Expr::Between {
                expr,
                low,
                high,
                negated,
                ..
            } => {
                child(f, expr, level(expr) <= PRED)?;
                f.write_str(if *negated { " NOT BETWEEN " } else { " BETWEEN " })?;
                child(f, low, level(low) < CONCAT)?;
                f.write_str(" AND ")?;
                child(f, high, level(high) < CONCAT)
            }
            Expr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
                ..
            } => {
                child(f, expr, level(expr) <= PRED)?;
                let not = if *negated { " NOT" } else { "" };
                let like = if *case_insensitive { "ILIKE" } else { "LIKE" };
                write!(f, "{not} {like} ")?;
                child(f, pattern, level(pattern) < CONCAT)
            }
            Expr::ScalarSubquery(query, _) => write!(f, "({query})"),
            Expr::Function {
                name,
                args,
                star,
                distinct,
                filter,
                ..
            } => {
                function_name(f, name)?;
                f.write_char('(')?;
                if *star {
                    f.write_char('*')?;
                } else {
                    if *distinct {
                        f.write_str("DISTINCT ")?;
                    }
                    comma_separated(f, args)?;
                }
                f.write_char(')')?;
                match filter {
                    Some(filter) => write!(f, " FILTER (WHERE {filter})"),
                    None => Ok(()),
                }
            }
            Expr::Extract { field, expr, .. } => write!(f, "extract({field} FROM {expr})"),
            Expr::Cast { expr, to, .. } => write!(f, "CAST({expr} AS {to})"),
            Expr::Case {
                operand,
                branches,
                otherwise,
                ..
            } => {
                f.write_str("CASE")?;
                if let Some(operand) = operand {
                    write!(f, " {operand}")?;
                }
                for (condition, result) in branches {
                    write!(f, " WHEN {condition} THEN {result}")?;
                }
                if let Some(otherwise) = otherwise {
                    write!(f, " ELSE {otherwise}")?;
                }
                f.write_str(" END")
            }
        }
    }
}

/// Precedence levels, as in the parser: the higher, the tighter.
const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const IS: u8 = 4;
const CMP: u8 = 5;
const PRED: u8 = 6;
const CONCAT: u8 = 7;
const UNARY: u8 = 10;
/// A primary: never needs parentheses.
const PRIMARY: u8 = 12;

/// The level of a binary operator.
fn binary_level(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => OR,
        BinaryOp::And => AND,
        BinaryOp::Eq | BinaryOp::NotEq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq => CMP,
        BinaryOp::Concat => CONCAT,
        BinaryOp::Plus | BinaryOp::Minus => 8,
        BinaryOp::Multiply | BinaryOp::Divide | BinaryOp::Modulo => 9,
    }
}

/// The level of the operator at the top of `e` as printed.
fn level(e: &Expr) -> u8 {
    match e {
        Expr::Binary { op, .. } => binary_level(*op),
        Expr::Unary { op: UnaryOp::Not, .. } => NOT,
        Expr::Unary { .. } => UNARY,
        Expr::IsNull { .. } => IS,
        Expr::InList { .. } | Expr::InSubquery { .. } | Expr::Between { .. } | Expr::Like { .. } => PRED,
        Expr::Literal(Literal::Integer(n), _) if *n < 0 => UNARY,
        Expr::Literal(Literal::Decimal(text), _) if text.starts_with('-') => UNARY,
        _ => PRIMARY,
    }
}

/// Writes `e`, in parentheses if `paren`.
fn child(f: &mut Formatter<'_>, e: &Expr, paren: bool) -> fmt::Result {
    if paren {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

/// A function's name: like any identifier, except that `left`/`right` stay bare (they are
/// function names although reserved) and `extract` is quoted (bare, it is `EXTRACT(f FROM x)`).
fn function_name(f: &mut Formatter<'_>, name: &Ident) -> fmt::Result {
    if !name.quoted && (name.value == "left" || name.value == "right") {
        return f.write_str(&name.value);
    }
    if !name.quoted && name.value == "extract" {
        return f.write_str("\"extract\"");
    }
    write!(f, "{name}")
}

/// Whether `value` reads back as itself when written without quotes.
fn is_bare(value: &str) -> bool {
    let mut chars = value.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && !is_reserved(value)
}

/// `'text'` with `'` doubled.
fn quoted_string(f: &mut Formatter<'_>, text: &str) -> fmt::Result {
    f.write_char('\'')?;
    f.write_str(&text.replace('\'', "''"))?;
    f.write_char('\'')
}

/// `a, b, c`.
fn comma_separated<T: Display>(f: &mut Formatter<'_>, items: &[T]) -> fmt::Result {
    for (k, item) in items.iter().enumerate() {
        if k > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}
