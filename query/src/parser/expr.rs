//! Expressions: precedence climbing over PostgreSQL's operator precedence, and the primaries
//! (literals, columns, function calls, `CASE`, `CAST`, `EXTRACT`, subqueries).
//!
//! Lowest to highest: `OR`, `AND`, `NOT`, `IS`, comparisons (non-associative), `BETWEEN`/`IN`/
//! `LIKE`/`ILIKE` (non-associative), `||`, `+ -`, `* / %`, unary `+ -`, `::`. `AND` and `OR`
//! chains are collected in a loop and built as balanced trees; every other operator of a chain
//! is one nesting level, so the AST's depth is bounded by the limit.

use nom::multi::separated_list1;
use nom::Parser;

use super::failure::Expected;
use super::lexical::{is_keyword, is_reserved, number, numeric_literal, word};
use super::{backtrack, fatal, Ctx, PResult};
use crate::ast::{BinaryOp, Expr, Ident, Literal, Span, UnaryOp};

// Levels 1 and 2 are `OR` and `AND`, handled by `chain` rather than by climbing.
/// Prefix `NOT`.
const NOT: u8 = 3;
/// `IS [NOT] NULL`.
const IS: u8 = 4;
/// `= <> != < <= > >=`
const CMP: u8 = 5;
/// `[NOT] BETWEEN`, `[NOT] IN`, `[NOT] LIKE`, `[NOT] ILIKE`.
const PRED: u8 = 6;
/// `||`
const CONCAT: u8 = 7;
/// Binary `+ -`.
const ADD: u8 = 8;
/// `* / %`
const MUL: u8 = 9;
/// Prefix `+ -`.
const UNARY: u8 = 10;
/// Postfix `::type`.
const CAST: u8 = 11;

/// The symbolic binary operators, longest first so that `<=` is not read as `<`.
const SYMBOLS: &[(&str, BinaryOp, u8)] = &[
    ("||", BinaryOp::Concat, CONCAT),
    ("<>", BinaryOp::NotEq, CMP),
    ("!=", BinaryOp::NotEq, CMP),
    ("<=", BinaryOp::LtEq, CMP),
    (">=", BinaryOp::GtEq, CMP),
    ("=", BinaryOp::Eq, CMP),
    ("<", BinaryOp::Lt, CMP),
    (">", BinaryOp::Gt, CMP),
    ("+", BinaryOp::Plus, ADD),
    ("-", BinaryOp::Minus, ADD),
    ("*", BinaryOp::Multiply, MUL),
    ("/", BinaryOp::Divide, MUL),
    ("%", BinaryOp::Modulo, MUL),
];

/// An operator that follows an operand.
#[derive(Debug, Clone, Copy)]
enum Infix {
    /// A binary operator.
    Binary(BinaryOp),
    /// `::type`
    Cast,
    /// `IS [NOT] NULL`
    Is,
    /// `[NOT] BETWEEN low AND high`
    Between { negated: bool },
    /// `[NOT] IN (…)`
    In { negated: bool },
    /// `[NOT] LIKE` / `[NOT] ILIKE`
    Like { negated: bool, case_insensitive: bool },
}

/// An infix operator found at some position: what it is, its level, its text and what follows it.
struct Found<'a> {
    infix: Infix,
    level: u8,
    text: &'a str,
    rest: &'a str,
}

impl<'a> Ctx<'a> {
    /// A whole expression (`OR` and everything above it).
    pub(crate) fn expr(&self, i: &'a str) -> PResult<'a, Expr> {
        self.chain(i, BinaryOp::Or)
    }

    /// A comma-separated list of at least one expression.
    pub(crate) fn expr_list(&self, i: &'a str) -> PResult<'a, Vec<Expr>> {
        separated_list1(|i| self.punct(i, ","), |i| self.expr(i)).parse(i)
    }

    /// An `OR` chain of `AND` chains, or an `AND` chain of operands above `AND`, collected in a loop
    /// (never by recursion) and built as a balanced tree.
    fn chain(&self, i: &'a str, op: BinaryOp) -> PResult<'a, Expr> {
        let kw = if op == BinaryOp::Or { "OR" } else { "AND" };
        let operand = |i| {
            if op == BinaryOp::Or {
                self.chain(i, BinaryOp::And)
            } else {
                self.climb(i, NOT)
            }
        };
        let (mut i, first) = operand(i)?;
        let mut operands = Vec::new();
        let mut ops = Vec::new();
        loop {
            let (t, ()) = self.ws(i)?;
            if !is_keyword(t, kw) {
                self.note(t, Expected::Hidden(kw));
                break;
            }
            let at = self.offset(t);
            let (rest, next) = operand(t.get(kw.len()..).unwrap_or_default())?;
            ops.push(Span::new(at, at + kw.len()));
            operands.push(next);
            i = rest;
        }
        if operands.is_empty() {
            return Ok((i, first));
        }
        operands.insert(0, first);
        match balance(operands, &ops, op) {
            Some(tree) => Ok((i, tree)),
            None => backtrack(),
        }
    }

    /// Precedence climbing: an operand and the operators of level `min` or higher after it. The
    /// nesting depth added by the operators is undone when the chain ends.
    fn climb(&self, i: &'a str, min: u8) -> PResult<'a, Expr> {
        let saved = self.depth.get();
        let result = self.climb_from(i, min);
        self.depth.set(saved);
        result
    }

    fn climb_from(&self, i: &'a str, min: u8) -> PResult<'a, Expr> {
        let (t, ()) = self.ws(i)?;
        let start = self.offset(t);
        let (mut i, mut lhs) = self.prefix(t)?;
        let mut previous = 0;
        loop {
            let (t, ()) = self.ws(i)?;
            let Some(found) = self.infix(t, min)? else { break };
            let at = self.offset(t);
            if found.level == previous && (found.level == CMP || found.level == PRED) {
                let after = if found.level == CMP {
                    "another comparison"
                } else {
                    "BETWEEN, IN or LIKE"
                };
                return fatal(
                    at,
                    format!(
                        "{} cannot follow {after} without parentheses",
                        shown(found.text, found.level)
                    ),
                );
            }
            self.deeper(at)?;
            let op_span = Span::new(at, at + found.text.len());
            let (rest, next) = self.apply(found.infix, lhs, start, op_span, found.rest)?;
            i = rest;
            lhs = next;
            previous = found.level;
        }
        Ok((i, lhs))
    }

    /// The infix operator at `t` if there is one of level `min` or higher.
    fn infix(&self, t: &'a str, min: u8) -> Result<Option<Found<'a>>, nom::Err<super::Fail>> {
        if t.starts_with("::") {
            let rest = t.get(2..).unwrap_or_default();
            return Ok((CAST >= min).then_some(Found {
                infix: Infix::Cast,
                level: CAST,
                text: "::",
                rest,
            }));
        }
        if let Some(&(text, op, level)) = SYMBOLS.iter().find(|(text, _, _)| t.starts_with(text)) {
            let rest = t.get(text.len()..).unwrap_or_default();
            return Ok((level >= min).then_some(Found {
                infix: Infix::Binary(op),
                level,
                text,
                rest,
            }));
        }
        let Some(w) = word(t) else { return Ok(None) };
        let mut rest = t.get(w.len()..).unwrap_or_default();
        let mut negated = false;
        let mut op_word = w;
        if w.eq_ignore_ascii_case("NOT") {
            let (after_not, ()) = self.ws(rest)?;
            match word(after_not) {
                Some(next)
                    if ["BETWEEN", "IN", "LIKE", "ILIKE"]
                        .iter()
                        .any(|k| next.eq_ignore_ascii_case(k)) =>
                {
                    negated = true;
                    op_word = next;
                    rest = after_not.get(next.len()..).unwrap_or_default();
                }
                _ => return Ok(None),
            }
        }
        let upper = op_word.to_ascii_uppercase();
        let (infix, level) = match upper.as_str() {
            "IS" if !negated => (Infix::Is, IS),
            "BETWEEN" => (Infix::Between { negated }, PRED),
            "IN" => (Infix::In { negated }, PRED),
            "LIKE" => (
                Infix::Like {
                    negated,
                    case_insensitive: false,
                },
                PRED,
            ),
            "ILIKE" => (
                Infix::Like {
                    negated,
                    case_insensitive: true,
                },
                PRED,
            ),
            _ => {
                for (kw, level) in [
                    ("IS", IS),
                    ("IN", PRED),
                    ("BETWEEN", PRED),
                    ("LIKE", PRED),
                    ("ILIKE", PRED),
                ] {
                    if level >= min {
                        self.note(t, Expected::Hidden(kw));
                    }
                }
                return Ok(None);
            }
        };
        let text = t.get(..t.len() - rest.len()).unwrap_or_default();
        Ok((level >= min).then_some(Found {
            infix,
            level,
            text,
            rest,
        }))
    }

    /// Builds the expression for `lhs` (which started at byte `start`) followed by `infix` (written
    /// at `op_span`), parsing what the operator needs from `rest`.
    #[inline(never)]
    fn apply(&self, infix: Infix, lhs: Expr, start: usize, op_span: Span, rest: &'a str) -> PResult<'a, Expr> {
        let expr = Box::new(lhs);
        match infix {
            Infix::Binary(op) => {
                let level = SYMBOLS
                    .iter()
                    .find(|(_, o, _)| *o == op)
                    .map_or(CMP, |(_, _, level)| *level);
                let (rest, right) = self.climb(rest, level + 1)?;
                Ok((
                    rest,
                    Expr::Binary {
                        left: expr,
                        op,
                        right: Box::new(right),
                        op_span,
                    },
                ))
            }
            Infix::Cast => {
                let (rest, to) = self.type_name(rest)?;
                Ok((
                    rest,
                    Expr::Cast {
                        expr,
                        to,
                        span: Span::new(start, self.offset(rest)),
                    },
                ))
            }
            Infix::Is => {
                let (rest, not) = self.opt_keyword(rest, "NOT", Expected::Keyword("NOT"))?;
                let (t, ()) = self.ws(rest)?;
                if let Some(w) = word(t).filter(|w| {
                    ["TRUE", "FALSE", "UNKNOWN", "DISTINCT"]
                        .iter()
                        .any(|k| w.eq_ignore_ascii_case(k))
                }) {
                    let not = if not.is_some() { "NOT " } else { "" };
                    let what = w.to_ascii_uppercase();
                    let what = if what == "DISTINCT" {
                        "DISTINCT FROM".to_string()
                    } else {
                        what
                    };
                    return fatal(self.offset(t), format!("IS {not}{what} is not supported"));
                }
                let (rest, _) = self.keyword(t, "NULL")?;
                let span = Span::new(start, self.offset(rest));
                Ok((
                    rest,
                    Expr::IsNull {
                        expr,
                        negated: not.is_some(),
                        span,
                    },
                ))
            }
            Infix::Between { negated } => {
                let (rest, low) = self.climb(rest, CONCAT)?;
                let (rest, _) = self.keyword(rest, "AND")?;
                let (rest, high) = self.climb(rest, CONCAT)?;
                let span = Span::new(start, self.offset(rest));
                Ok((
                    rest,
                    Expr::Between {
                        expr,
                        low: Box::new(low),
                        high: Box::new(high),
                        negated,
                        span,
                    },
                ))
            }
            Infix::In { negated } => self.in_tail(rest, expr, negated, start),
            Infix::Like {
                negated,
                case_insensitive,
            } => {
                let (rest, pattern) = self.climb(rest, CONCAT)?;
                let (t, ()) = self.ws(rest)?;
                if is_keyword(t, "ESCAPE") {
                    return fatal(self.offset(t), "LIKE … ESCAPE is not supported");
                }
                let span = Span::new(start, self.offset(rest));
                Ok((
                    rest,
                    Expr::Like {
                        expr,
                        pattern: Box::new(pattern),
                        negated,
                        case_insensitive,
                        span,
                    },
                ))
            }
        }
    }

    /// `(SELECT …)` or `(a, b, …)` after `[NOT] IN`.
    #[inline(never)]
    fn in_tail(&self, i: &'a str, expr: Box<Expr>, negated: bool, start: usize) -> PResult<'a, Expr> {
        let (inside, open) = self.punct(i, "(")?;
        self.nested(open.start, || {
            let (t, ()) = self.ws(inside)?;
            if is_keyword(t, "SELECT") {
                let (rest, subquery) = self.query(t)?;
                let (rest, _) = self.punct(rest, ")")?;
                let span = Span::new(start, self.offset(rest));
                return Ok((
                    rest,
                    Expr::InSubquery {
                        expr,
                        subquery,
                        negated,
                        span,
                    },
                ));
            }
            let (rest, list) = self
                .expr_list(t)
                .inspect_err(|_| self.note(t, Expected::Keyword("SELECT")))?;
            let (rest, _) = self.punct(rest, ")")?;
            Ok((
                rest,
                Expr::InList {
                    expr,
                    list,
                    negated,
                    span: Span::new(start, self.offset(rest)),
                },
            ))
        })
    }

    /// An operand: prefix `NOT`, `-`, `+` (one nesting level each) or a primary.
    #[inline(never)]
    fn prefix(&self, t: &'a str) -> PResult<'a, Expr> {
        let start = self.offset(t);
        if is_keyword(t, "NOT") {
            let after = t.get(3..).unwrap_or_default();
            let (rest, operand) = self.nested(start, || self.climb(after, NOT))?;
            let span = Span::new(start, self.offset(rest));
            return Ok((
                rest,
                Expr::Unary {
                    op: UnaryOp::Not,
                    expr: Box::new(operand),
                    span,
                },
            ));
        }
        let sign = match t.chars().next() {
            Some('-') => UnaryOp::Neg,
            Some('+') => UnaryOp::Plus,
            _ => return self.primary(t),
        };
        let after = t.get(1..).unwrap_or_default();
        let (rest, operand) = self.nested(start, || self.climb(after, UNARY))?;
        let span = Span::new(start, self.offset(rest));
        // `-5` is the literal -5 (so that -9223372036854775808 is an integer), but `-(5)` and
        // `-5::int` (= -(5::int)) stay negations, as in PostgreSQL.
        let (operand_text, ()) = self.ws(after)?;
        if sign == UnaryOp::Neg && number(operand_text).is_some() {
            if let Expr::Literal(literal, _) = &operand {
                if let Some(negated) = negate(literal) {
                    return Ok((rest, Expr::Literal(negated, span)));
                }
            }
        }
        Ok((
            rest,
            Expr::Unary {
                op: sign,
                expr: Box::new(operand),
                span,
            },
        ))
    }

    /// A literal, column, function call, `CASE`, `CAST`, `EXTRACT`, parenthesized expression or
    /// scalar subquery at `t`.
    #[inline(never)]
    fn primary(&self, t: &'a str) -> PResult<'a, Expr> {
        let start = self.offset(t);
        let Some(first) = t.chars().next() else {
            return self.miss(t, Expected::Thing("an expression"));
        };
        if first == '(' {
            return self.parenthesized(t);
        }
        if first == '\'' {
            let (rest, (text, span)) = self.string(t)?;
            return Ok((rest, Expr::Literal(Literal::String(text), span)));
        }
        if first == '"' {
            let (rest, name) = self.quoted_ident(t)?;
            return self.name_tail(rest, name);
        }
        if let Some((text, integer)) = number(t) {
            let rest = t.get(text.len()..).unwrap_or_default();
            let span = Span::new(start, start + text.len());
            return Ok((rest, Expr::Literal(numeric_literal(text, integer), span)));
        }
        let Some(w) = word(t).filter(|w| w.is_ascii()) else {
            return self.miss(t, Expected::Thing("an expression"));
        };
        let after = t.get(w.len()..).unwrap_or_default();
        let (next, ()) = self.ws(after)?;
        let call = next.starts_with('(');
        let literal = |value| Ok((after, Expr::Literal(value, Span::new(start, start + w.len()))));
        match w.to_ascii_uppercase().as_str() {
            "NULL" => literal(Literal::Null),
            "TRUE" => literal(Literal::Bool(true)),
            "FALSE" => literal(Literal::Bool(false)),
            "CASE" => self.nested(start, || self.case(after, start)),
            "CAST" => self.cast(after, start),
            "EXISTS" if call => fatal(start, "EXISTS is not supported; use IN (SELECT …)"),
            kw @ ("ANY" | "SOME" | "ALL") if call => fatal(start, format!("{kw} (…) is not supported; use IN (…)")),
            "LEFT" | "RIGHT" if call => {
                let name = Ident {
                    value: w.to_ascii_lowercase(),
                    quoted: false,
                    span: Span::new(start, start + w.len()),
                };
                self.function(next, name)
            }
            "TIMESTAMP" | "DATE" | "INTERVAL" if next.starts_with('\'') => self.typed_literal(w, next, start),
            "EXTRACT" if call => self.extract(next, start),
            _ if is_reserved(w) => self.miss(t, Expected::Thing("an expression")),
            _ => {
                let name = Ident {
                    value: w.to_ascii_lowercase(),
                    quoted: false,
                    span: Span::new(start, start + w.len()),
                };
                self.name_tail(after, name)
            }
        }
    }

    /// What follows a name in an expression: `(` makes it a function call, `.` a qualified column.
    #[inline(never)]
    fn name_tail(&self, i: &'a str, name: Ident) -> PResult<'a, Expr> {
        let (t, ()) = self.ws(i)?;
        if t.starts_with('(') {
            return self.function(t, name);
        }
        if let Some(after_dot) = t.strip_prefix('.') {
            let (rest, column) = self.ident(after_dot, Expected::Thing("a column name"), true)?;
            return Ok((
                rest,
                Expr::Column {
                    table: Some(name),
                    name: column,
                },
            ));
        }
        Ok((i, Expr::Column { table: None, name }))
    }

    /// `( expr )` or a scalar subquery `( SELECT … )` at `t`.
    #[inline(never)]
    fn parenthesized(&self, t: &'a str) -> PResult<'a, Expr> {
        let open = self.offset(t);
        self.nested(open, || {
            let (inside, ()) = self.ws(t.get(1..).unwrap_or_default())?;
            if is_keyword(inside, "SELECT") {
                let (rest, query) = self.query(inside)?;
                let (rest, close) = self.punct(rest, ")")?;
                return Ok((rest, Expr::ScalarSubquery(query, Span::new(open, close.end))));
            }
            let (rest, expr) = self
                .expr(inside)
                .inspect_err(|_| self.note(inside, Expected::Keyword("SELECT")))?;
            let (rest, _) = self.punct(rest, ")")?;
            Ok((rest, expr))
        })
    }

    /// `name(args)`, `name(*)`, `name(DISTINCT args)`, then `FILTER (WHERE …)`, at `t` (the `(`).
    #[inline(never)]
    fn function(&self, t: &'a str, name: Ident) -> PResult<'a, Expr> {
        let open = self.offset(t);
        let (rest, (args, star, distinct)) = self.nested(open, || self.arguments(t.get(1..).unwrap_or_default()))?;
        let (rest, filter) = self.filter(rest)?;
        let (t, ()) = self.ws(rest)?;
        if is_keyword(t, "OVER") {
            return fatal(self.offset(t), "window functions (OVER …) are not supported");
        }
        let span = Span::new(name.span.start, self.offset(rest));
        Ok((
            rest,
            Expr::Function {
                name,
                args,
                star,
                distinct,
                filter,
                span,
            },
        ))
    }

    /// A function's arguments after its `(`, through the `)`: `(args, star, distinct)`.
    #[inline(never)]
    fn arguments(&self, i: &'a str) -> PResult<'a, (Vec<Expr>, bool, bool)> {
        let (t, ()) = self.ws(i)?;
        if let Some(after) = t.strip_prefix('*') {
            let (rest, _) = self.punct(after, ")")?;
            return Ok((rest, (Vec::new(), true, false)));
        }
        if let Some(rest) = t.strip_prefix(')') {
            return Ok((rest, (Vec::new(), false, false)));
        }
        let (after, distinct) = self.opt_keyword(t, "DISTINCT", Expected::Hidden("DISTINCT"))?;
        let (after, _) = if distinct.is_none() {
            self.opt_keyword(after, "ALL", Expected::Hidden("ALL"))?
        } else {
            (after, None)
        };
        let (rest, args) = self.expr_list(after)?;
        let (t, ()) = self.ws(rest)?;
        if is_keyword(t, "ORDER") {
            return fatal(
                self.offset(t),
                "ORDER BY inside a function's arguments is not supported",
            );
        }
        let (rest, _) = self.punct(t, ")")?;
        Ok((rest, (args, false, distinct.is_some())))
    }

    /// An optional `FILTER (WHERE condition)` after an aggregate call.
    #[inline(never)]
    fn filter(&self, i: &'a str) -> PResult<'a, Option<Box<Expr>>> {
        let (rest, kw) = self.opt_keyword(i, "FILTER", Expected::Hidden("FILTER"))?;
        if kw.is_none() {
            return Ok((i, None));
        }
        let (inside, open) = self.punct(rest, "(")?;
        self.nested(open.start, || {
            let (rest, _) = self.keyword(inside, "WHERE")?;
            let (rest, condition) = self.expr(rest)?;
            let (rest, _) = self.punct(rest, ")")?;
            Ok((rest, Some(Box::new(condition))))
        })
    }

    /// `CASE [operand] WHEN … THEN … [ELSE …] END` after the `CASE` (which started at `start`).
    #[inline(never)]
    fn case(&self, i: &'a str, start: usize) -> PResult<'a, Expr> {
        let (t, ()) = self.ws(i)?;
        let (mut i, operand) = if is_keyword(t, "WHEN") {
            (t, None)
        } else {
            let (rest, operand) = self.expr(t)?;
            (rest, Some(Box::new(operand)))
        };
        let mut branches = Vec::new();
        loop {
            let (rest, when) = self.opt_keyword(i, "WHEN", Expected::Keyword("WHEN"))?;
            if when.is_none() {
                break;
            }
            let (rest, condition) = self.expr(rest)?;
            let (rest, _) = self.keyword(rest, "THEN")?;
            let (rest, result) = self.expr(rest)?;
            branches.push((condition, result));
            i = rest;
        }
        if branches.is_empty() {
            return backtrack();
        }
        let (rest, otherwise) = match self.opt_keyword(i, "ELSE", Expected::Keyword("ELSE"))? {
            (rest, Some(_)) => {
                let (rest, otherwise) = self.expr(rest)?;
                (rest, Some(Box::new(otherwise)))
            }
            (rest, None) => (rest, None),
        };
        let (rest, end) = self.keyword(rest, "END")?;
        Ok((
            rest,
            Expr::Case {
                operand,
                branches,
                otherwise,
                span: Span::new(start, end.end),
            },
        ))
    }

    /// `CAST(expr AS type)` after the `CAST` (which started at `start`).
    #[inline(never)]
    fn cast(&self, i: &'a str, start: usize) -> PResult<'a, Expr> {
        let (inside, open) = self.punct(i, "(")?;
        self.nested(open.start, || {
            let (rest, expr) = self.expr(inside)?;
            let (rest, _) = self.keyword(rest, "AS")?;
            let (rest, to) = self.type_name(rest)?;
            let (rest, close) = self.punct(rest, ")")?;
            Ok((
                rest,
                Expr::Cast {
                    expr: Box::new(expr),
                    to,
                    span: Span::new(start, close.end),
                },
            ))
        })
    }

    /// `EXTRACT(field FROM expr)` at `t` (the `(`); the field is any word or a string, case-folded.
    #[inline(never)]
    fn extract(&self, t: &'a str, start: usize) -> PResult<'a, Expr> {
        let open = self.offset(t);
        self.nested(open, || {
            let inside = t.get(1..).unwrap_or_default();
            let (field_text, ()) = self.ws(inside)?;
            let (rest, field) = if field_text.starts_with('\'') {
                let (rest, (text, span)) = self.string(field_text)?;
                (
                    rest,
                    Ident {
                        value: text.to_lowercase(),
                        quoted: false,
                        span,
                    },
                )
            } else {
                self.ident(field_text, Expected::Thing("a field name"), true)?
            };
            let (rest, _) = self.keyword(rest, "FROM")?;
            let (rest, expr) = self.expr(rest)?;
            let (rest, close) = self.punct(rest, ")")?;
            Ok((
                rest,
                Expr::Extract {
                    field,
                    expr: Box::new(expr),
                    span: Span::new(start, close.end),
                },
            ))
        })
    }

    /// `TIMESTAMP '…'`, `DATE '…'`, `INTERVAL '…' [unit]` with the string at `t`.
    #[inline(never)]
    fn typed_literal(&self, kind: &str, t: &'a str, start: usize) -> PResult<'a, Expr> {
        let (rest, (text, span)) = self.string(t)?;
        let literal = match kind.to_ascii_uppercase().as_str() {
            "TIMESTAMP" => Literal::Timestamp(text),
            "DATE" => Literal::Date(text),
            _ => {
                let (after, ()) = self.ws(rest)?;
                let unit = word(after).filter(|w| {
                    ["YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"]
                        .iter()
                        .any(|u| w.eq_ignore_ascii_case(u))
                });
                if let Some(unit) = unit {
                    let rest = after.get(unit.len()..).unwrap_or_default();
                    let literal = Literal::Interval(format!("{text} {}", unit.to_ascii_lowercase()));
                    return Ok((rest, Expr::Literal(literal, Span::new(start, self.offset(rest)))));
                }
                Literal::Interval(text)
            }
        };
        Ok((rest, Expr::Literal(literal, Span::new(start, span.end))))
    }
}

/// How an operator is named in a message: symbols quoted, keywords upper case.
fn shown(text: &str, level: u8) -> String {
    if level == PRED {
        text.split_whitespace()
            .map(str::to_ascii_uppercase)
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        format!("'{text}'")
    }
}

/// The negation of a numeric literal, if it stays a literal: `-5`, `-1.5`, and
/// `-9223372036854775808` (an `i64` although its digits alone are not).
fn negate(literal: &Literal) -> Option<Literal> {
    match literal {
        Literal::Integer(n) => n.checked_neg().map(Literal::Integer),
        Literal::Decimal(text) if !text.starts_with('-') => {
            let negated = format!("-{text}");
            let integer = text.bytes().all(|b| b.is_ascii_digit());
            Some(match negated.parse::<i64>() {
                Ok(n) if integer => Literal::Integer(n),
                _ => Literal::Decimal(negated),
            })
        }
        _ => None,
    }
}

/// A balanced tree of `op` over `operands` (at least one), `ops[k]` being the operator written
/// between operands `k` and `k + 1`. Three operands make `(a op b) op c`, as left association would.
fn balance(mut operands: Vec<Expr>, ops: &[Span], op: BinaryOp) -> Option<Expr> {
    if operands.len() <= 1 {
        return operands.pop();
    }
    let mid = operands.len().div_ceil(2);
    let right_operands = operands.split_off(mid);
    let op_span = ops.get(mid - 1).copied().unwrap_or_default();
    let left = balance(operands, ops.get(..mid - 1).unwrap_or_default(), op)?;
    let right = balance(right_operands, ops.get(mid..).unwrap_or_default(), op)?;
    Some(Expr::Binary {
        left: Box::new(left),
        op,
        right: Box::new(right),
        op_span,
    })
}
