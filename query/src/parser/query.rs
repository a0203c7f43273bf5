//! `SELECT` queries: the select list, `FROM` with joins and derived tables, `WHERE`, `GROUP BY`,
//! `HAVING`, `ORDER BY`, `LIMIT` and `OFFSET`, and the clear refusals of what the dialect leaves
//! out (set operations, comma joins, `RIGHT`/`FULL`/`CROSS` joins, `USING`).

use nom::multi::separated_list1;
use nom::Parser;

use super::failure::Expected;
use super::lexical::{is_keyword, is_reserved, number, word};
use super::{fatal, Ctx, PResult};
use crate::ast::{From, Ident, Join, JoinKind, OrderByItem, Query, SelectItem, Span, TableRef};

impl<'a> Ctx<'a> {
    /// A query: `SELECT [DISTINCT | ALL] items [FROM …] [WHERE …] [GROUP BY …] [HAVING …]
    /// [ORDER BY …] [LIMIT n | LIMIT ALL] [OFFSET n]` (`OFFSET` may come first, as in PostgreSQL).
    pub(crate) fn query(&self, i: &'a str) -> PResult<'a, Box<Query>> {
        // Split in two so that the frame on the recursive path (through the select list) stays
        // small; the clauses after it recurse from their own frame.
        let (t, ()) = self.ws(i)?;
        let start = self.offset(t);
        let (rest, (distinct, projection)) = self.select_list(t)?;
        self.clauses(rest, start, distinct, projection)
    }

    /// `SELECT [DISTINCT | ALL] items`.
    #[inline(never)]
    fn select_list(&self, t: &'a str) -> PResult<'a, (bool, Vec<SelectItem>)> {
        let (rest, _) = self.keyword(t, "SELECT")?;
        let (rest, distinct) = self.opt_keyword(rest, "DISTINCT", Expected::Hidden("DISTINCT"))?;
        let rest = if distinct.is_some() {
            let (t, ()) = self.ws(rest)?;
            if is_keyword(t, "ON") {
                return fatal(self.offset(t), "DISTINCT ON is not supported");
            }
            rest
        } else {
            self.opt_keyword(rest, "ALL", Expected::Hidden("ALL"))?.0
        };
        let (rest, projection) = separated_list1(|i| self.punct(i, ","), |i| self.select_item(i)).parse(rest)?;
        Ok((rest, (distinct.is_some(), projection)))
    }

    /// The clauses after the select list of a query that started at byte `start`.
    #[inline(never)]
    fn clauses(
        &self,
        rest: &'a str,
        start: usize,
        distinct: bool,
        projection: Vec<SelectItem>,
    ) -> PResult<'a, Box<Query>> {
        let (rest, from) = match self.opt_keyword(rest, "FROM", Expected::Keyword("FROM"))? {
            (rest, Some(_)) => {
                let (rest, from) = self.from(rest)?;
                (rest, Some(from))
            }
            (rest, None) => (rest, None),
        };
        let (rest, selection) = self.clause(rest, "WHERE", Expected::Keyword("WHERE"))?;
        let (rest, group_by) = match self.opt_keyword(rest, "GROUP", Expected::Keyword("GROUP BY"))? {
            (rest, Some(_)) => {
                let (rest, _) = self.keyword(rest, "BY")?;
                self.expr_list(rest)?
            }
            (rest, None) => (rest, Vec::new()),
        };
        let having_expected = if group_by.is_empty() {
            Expected::Hidden("HAVING")
        } else {
            Expected::Keyword("HAVING")
        };
        let (rest, having) = self.clause(rest, "HAVING", having_expected)?;
        let (rest, order_by) = match self.opt_keyword(rest, "ORDER", Expected::Keyword("ORDER BY"))? {
            (rest, Some(_)) => {
                let (rest, _) = self.keyword(rest, "BY")?;
                separated_list1(|i| self.punct(i, ","), |i| self.order_item(i)).parse(rest)?
            }
            (rest, None) => (rest, Vec::new()),
        };
        let (rest, (limit, offset)) = self.limit_offset(rest)?;

        let (t, ()) = self.ws(rest)?;
        if let Some(set_op) = ["UNION", "INTERSECT", "EXCEPT"]
            .into_iter()
            .find(|kw| is_keyword(t, kw))
        {
            return fatal(self.offset(t), format!("{set_op} is not supported"));
        }
        if is_keyword(t, "FETCH") {
            return fatal(self.offset(t), "FETCH is not supported; use LIMIT");
        }
        let span = Span::new(start, self.offset(rest));
        let query = Query {
            distinct,
            projection,
            from,
            selection,
            group_by,
            having,
            order_by,
            limit,
            offset,
            span,
        };
        Ok((rest, Box::new(query)))
    }

    /// An optional `kw expr` clause (`WHERE …`, `HAVING …`), recording `expected` when absent.
    fn clause(&self, i: &'a str, kw: &'static str, expected: Expected) -> PResult<'a, Option<crate::ast::Expr>> {
        match self.opt_keyword(i, kw, expected)? {
            (rest, Some(_)) => {
                let (rest, expr) = self.expr(rest)?;
                Ok((rest, Some(expr)))
            }
            (rest, None) => Ok((rest, None)),
        }
    }

    /// One entry of the select list: `*`, `alias.*` or `expr [[AS] alias]`.
    fn select_item(&self, i: &'a str) -> PResult<'a, SelectItem> {
        let (t, ()) = self.ws(i)?;
        let start = self.offset(t);
        if let Some(rest) = t.strip_prefix('*') {
            return Ok((rest, SelectItem::Wildcard(Span::new(start, start + 1))));
        }
        if let (rest, Some(qualifier)) = self.qualified_wildcard(t)? {
            return Ok((rest, SelectItem::QualifiedWildcard(qualifier)));
        }
        let (rest, expr) = self.expr(t).inspect_err(|_| self.note(t, Expected::Punct("*")))?;
        let (rest, alias) = self.alias(rest, true)?;
        Ok((rest, SelectItem::Expr { expr, alias }))
    }

    /// `name.*` at `t`, if that is what stands there (looked at without recording anything).
    #[inline(never)]
    fn qualified_wildcard(&self, t: &'a str) -> PResult<'a, Option<Ident>> {
        let is_name = t.starts_with('"') || word(t).is_some_and(|w| w.is_ascii() && !is_reserved(w));
        if !is_name {
            return Ok((t, None));
        }
        let (rest, qualifier) = self.ident(t, Expected::Thing("an expression"), false)?;
        let (dot, ()) = self.ws(rest)?;
        let Some(after_dot) = dot.strip_prefix('.') else {
            return Ok((t, None));
        };
        let (star, ()) = self.ws(after_dot)?;
        match star.strip_prefix('*') {
            Some(rest) => Ok((rest, Some(qualifier))),
            None => Ok((t, None)),
        }
    }

    /// An optional alias: `AS name` or a bare name. After `AS`, a column alias may be any word,
    /// as in PostgreSQL; a bare alias (and any table alias) must not be a reserved word.
    #[inline(never)]
    fn alias(&self, i: &'a str, column: bool) -> PResult<'a, Option<Ident>> {
        let (t, ()) = self.ws(i)?;
        if is_keyword(t, "AS") {
            let (rest, alias) = self.ident(t.get(2..).unwrap_or_default(), Expected::Thing("an alias"), column)?;
            if !alias.quoted && is_reserved(&alias.value) {
                self.tracker.borrow_mut().alias(alias.span, true);
            }
            return Ok((rest, Some(alias)));
        }
        self.note(t, Expected::Hidden("AS"));
        if t.starts_with('"') {
            let (rest, alias) = self.quoted_ident(t)?;
            return Ok((rest, Some(alias)));
        }
        match word(t) {
            Some(w) if w.is_ascii() && !is_reserved(w) => {
                let (rest, alias) = self.ident(t, Expected::Thing("an alias"), false)?;
                self.tracker.borrow_mut().alias(alias.span, false);
                Ok((rest, Some(alias)))
            }
            _ => Ok((i, None)),
        }
    }

    /// The `FROM` clause after `FROM`: a table, then any number of joins.
    #[inline(never)]
    fn from(&self, i: &'a str) -> PResult<'a, From> {
        let (mut i, base) = self.table_ref(i)?;
        let mut joins = Vec::new();
        loop {
            let (t, ()) = self.ws(i)?;
            let at = self.offset(t);
            if t.starts_with(',') {
                return fatal(
                    at,
                    "a comma-separated FROM list is not supported; join the tables with JOIN … ON …",
                );
            }
            let first = word(t).map(str::to_ascii_uppercase).unwrap_or_default();
            let after = t.get(first.len()..).unwrap_or_default();
            let (rest, kind) = match first.as_str() {
                "JOIN" => (after, JoinKind::Inner),
                "INNER" => (self.keyword(after, "JOIN")?.0, JoinKind::Inner),
                "LEFT" => {
                    let (rest, _) = self.opt_keyword(after, "OUTER", Expected::Keyword("OUTER"))?;
                    (self.keyword(rest, "JOIN")?.0, JoinKind::Left)
                }
                "RIGHT" | "FULL" => {
                    return fatal(
                        at,
                        format!("{first} JOIN is not supported (only [INNER] JOIN and LEFT [OUTER] JOIN are)"),
                    );
                }
                "CROSS" | "NATURAL" => return fatal(at, format!("{first} JOIN is not supported; use JOIN … ON …")),
                _ => {
                    self.note(t, Expected::Keyword("JOIN"));
                    break;
                }
            };
            let (rest, table) = self.table_ref(rest)?;
            let (t, ()) = self.ws(rest)?;
            if is_keyword(t, "USING") {
                return fatal(self.offset(t), "JOIN … USING is not supported; use JOIN … ON …");
            }
            let (rest, _) = self.keyword(t, "ON")?;
            let (rest, on) = self.expr(rest)?;
            joins.push(Join {
                kind,
                table,
                on,
                span: Span::new(at, self.offset(rest)),
            });
            i = rest;
        }
        Ok((i, From { base, joins }))
    }

    /// A table in `FROM` or `JOIN`: `name [[AS] alias]` or `(SELECT …) [[AS] alias]`.
    #[inline(never)]
    fn table_ref(&self, i: &'a str) -> PResult<'a, TableRef> {
        let (t, ()) = self.ws(i)?;
        let start = self.offset(t);
        if let Some(inside) = t.strip_prefix('(') {
            let (rest, query) = self.nested(start, || {
                let (rest, query) = self.query(inside)?;
                let (rest, _) = self.punct(rest, ")")?;
                Ok((rest, query))
            })?;
            let (rest, alias) = self.alias(rest, false)?;
            return Ok((
                rest,
                TableRef::Derived {
                    query,
                    alias,
                    span: Span::new(start, self.offset(rest)),
                },
            ));
        }
        let (rest, name) = self.ident(t, Expected::Thing("a table name"), false)?;
        let (dot, ()) = self.ws(rest)?;
        if dot.starts_with('.') {
            return fatal(
                self.offset(dot),
                "qualified table names (schema.table) are not supported",
            );
        }
        let (rest, alias) = self.alias(rest, false)?;
        Ok((rest, TableRef::Table { name, alias }))
    }

    /// `expr [ASC | DESC] [NULLS FIRST | NULLS LAST]`.
    #[inline(never)]
    fn order_item(&self, i: &'a str) -> PResult<'a, OrderByItem> {
        let (rest, expr) = self.expr(i)?;
        let (rest, desc) = match self.opt_keyword(rest, "ASC", Expected::Hidden("ASC"))? {
            (rest, Some(_)) => (rest, false),
            (rest, None) => {
                let (rest, desc) = self.opt_keyword(rest, "DESC", Expected::Hidden("DESC"))?;
                (rest, desc.is_some())
            }
        };
        let (rest, nulls) = self.opt_keyword(rest, "NULLS", Expected::Hidden("NULLS"))?;
        if nulls.is_none() {
            return Ok((
                rest,
                OrderByItem {
                    expr,
                    desc,
                    nulls_first: None,
                },
            ));
        }
        let (t, ()) = self.ws(rest)?;
        let nulls_first = match word(t).map(str::to_ascii_uppercase).as_deref() {
            Some("FIRST") => true,
            Some("LAST") => false,
            _ => {
                self.note(t, Expected::Keyword("FIRST"));
                return self.miss(t, Expected::Keyword("LAST"));
            }
        };
        let rest = t.get(if nulls_first { 5 } else { 4 }..).unwrap_or_default();
        Ok((
            rest,
            OrderByItem {
                expr,
                desc,
                nulls_first: Some(nulls_first),
            },
        ))
    }

    /// `LIMIT n | LIMIT ALL` and `OFFSET n [ROW | ROWS]`, each at most once, in either order.
    #[inline(never)]
    fn limit_offset(&self, mut i: &'a str) -> PResult<'a, (Option<u64>, Option<u64>)> {
        let (mut limit, mut offset) = (None, None);
        let mut limited = false;
        loop {
            let (t, ()) = self.ws(i)?;
            if !limited && is_keyword(t, "LIMIT") {
                let (value, ()) = self.ws(t.get(5..).unwrap_or_default())?;
                if is_keyword(value, "ALL") {
                    i = value.get(3..).unwrap_or_default();
                } else {
                    let (rest, n) = self
                        .count(value, "LIMIT")
                        .inspect_err(|_| self.note(value, Expected::Keyword("ALL")))?;
                    limit = Some(n);
                    i = rest;
                }
                limited = true;
                continue;
            }
            if offset.is_none() && is_keyword(t, "OFFSET") {
                let (rest, n) = self.count(t.get(6..).unwrap_or_default(), "OFFSET")?;
                let (rest, _) = self.opt_keyword(rest, "ROWS", Expected::Hidden("ROWS"))?;
                let (rest, _) = self.opt_keyword(rest, "ROW", Expected::Hidden("ROW"))?;
                offset = Some(n);
                i = rest;
                continue;
            }
            if !limited {
                self.note(t, Expected::Keyword("LIMIT"));
            }
            if offset.is_none() {
                self.note(
                    t,
                    if limited {
                        Expected::Keyword("OFFSET")
                    } else {
                        Expected::Hidden("OFFSET")
                    },
                );
            }
            return Ok((i, (limit, offset)));
        }
    }

    /// The non-negative integer literal after `LIMIT` or `OFFSET` (named `clause` in messages).
    fn count(&self, i: &'a str, clause: &str) -> PResult<'a, u64> {
        let (t, ()) = self.ws(i)?;
        let at = self.offset(t);
        if let Some(after_minus) = t.strip_prefix('-') {
            let (digits, ()) = self.ws(after_minus)?;
            if number(digits).is_some() {
                return fatal(at, format!("{clause} must not be negative"));
            }
        }
        match number(t) {
            Some((text, true)) => match text.parse::<u64>() {
                Ok(n) => Ok((t.get(text.len()..).unwrap_or_default(), n)),
                Err(_) => fatal(at, format!("{clause} {text} is out of range")),
            },
            _ => self.miss(t, Expected::Thing("an integer")),
        }
    }
}
