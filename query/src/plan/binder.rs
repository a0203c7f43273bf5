//! The binder: resolves an AST against the catalog into a [`Plan`]. It checks names (listing the valid
//! ones when a name is unknown) and types (saying which operand is wrong), resolves GROUP BY / ORDER BY
//! aliases and ordinals the way PostgreSQL does, and pulls aggregates out into an `Aggregate` node.

use crate::ast::{self, Expr as AstExpr, Ident, Literal, SelectItem, Span, TableRef};
use crate::catalog::TableId;
use crate::error::line_col;
use crate::plan::expr::{AggFunc, AggregateCall, ArithOp, CmpOp, ScalarExpr};
use crate::plan::function::{aggregate, aggregate_type, bind_scalar, coerce_literal, common_type, FUNCTION_NAMES};
use crate::plan::scope::{closest, Scope, Unresolved};
use crate::plan::{EventsFilter, Plan, QueryPlan, SortKey, StatementPlan, Subquery};
use crate::time::{parse_interval, parse_timestamp, ExtractField};
use crate::value::{cast_value, DataType, Value};

/// A statement that parsed but cannot be planned: unknown names, type errors, misuse of aggregates.
/// Every variant says where (line:column of the statement text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// No such table.
    #[error("unknown table '{name}' at {line}:{column}; tables: {valid}")]
    UnknownTable {
        /// The name written.
        name: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The tables that exist.
        valid: String,
    },
    /// No such column (in the named table, or in any table in scope).
    #[error("unknown column '{name}' at {line}:{column}{hint}; valid columns: {valid}")]
    UnknownColumn {
        /// The name written (with its qualifier).
        name: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The columns that could be meant.
        valid: String,
        /// ` (did you mean 'x'?)` or empty.
        hint: String,
    },
    /// The name matches columns of several tables.
    #[error("column reference '{name}' at {line}:{column} is ambiguous: it could be {candidates}")]
    AmbiguousColumn {
        /// The name written.
        name: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The qualified candidates.
        candidates: String,
    },
    /// Operand types do not fit the operator or function.
    #[error("type error at {line}:{column}: {message}")]
    Type {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What does not fit, naming the operand.
        message: String,
    },
    /// Anything else: misplaced aggregates, bad ordinals, unsupported constructs, bad literals.
    #[error("{message} at {line}:{column}")]
    Invalid {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

type Result<T, E = PlanError> = std::result::Result<T, E>;

/// Binds one statement of `sql` (the text it was parsed from, for positions in errors).
pub fn bind_statement(stmt: &ast::Statement, sql: &str) -> Result<StatementPlan> {
    let mut b = Binder {
        sql,
        subqueries: Vec::new(),
        outer: Vec::new(),
    };
    Ok(match stmt {
        ast::Statement::Query(q) => StatementPlan::Query(b.bind_top(q)?),
        ast::Statement::Explain(q) => StatementPlan::Explain(b.bind_top(q)?),
        ast::Statement::ShowTables => StatementPlan::ShowTables,
        ast::Statement::Describe(name) => StatementPlan::Describe(b.table(name)?),
    })
}

struct Binder<'s> {
    sql: &'s str,
    subqueries: Vec<Subquery>,
    /// Scopes of the queries enclosing the one being bound (to explain correlated references).
    outer: Vec<Scope>,
}

/// What the expression binder needs to know about where it is.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    scope: &'a Scope,
    /// The clause, for "aggregate functions are not allowed in …".
    clause: &'static str,
}

/// The aggregation of a grouped query: expressions after it refer to keys then aggregates.
#[derive(Default)]
struct Grouping {
    keys: Vec<ScalarExpr>,
    aggs: Vec<AggregateCall>,
}

impl<'s> Binder<'s> {
    fn err_at(&self, span: Span, message: impl Into<String>) -> PlanError {
        let (line, column) = line_col(self.sql, span.start);
        PlanError::Invalid {
            line,
            column,
            message: message.into(),
        }
    }

    fn type_err(&self, span: Span, message: impl Into<String>) -> PlanError {
        let (line, column) = line_col(self.sql, span.start);
        PlanError::Type {
            line,
            column,
            message: message.into(),
        }
    }

    fn snippet(&self, span: Span) -> String {
        let text = self.sql.get(span.start..span.end).unwrap_or("").trim();
        let short: String = text.chars().take(40).collect();
        if short.len() < text.len() {
            format!("{short}…")
        } else {
            short
        }
    }

    fn table(&self, name: &Ident) -> Result<TableId> {
        TableId::by_name(&name.value).ok_or_else(|| {
            let (line, column) = line_col(self.sql, name.span.start);
            PlanError::UnknownTable {
                name: name.value.clone(),
                line,
                column,
                valid: TableId::all_names(),
            }
        })
    }

    fn bind_top(&mut self, q: &ast::Query) -> Result<QueryPlan> {
        let (root, _) = self.bind_query(q)?;
        Ok(QueryPlan {
            root,
            subqueries: std::mem::take(&mut self.subqueries),
        })
    }

    // ---------------------------------------------------------------- queries

    /// Binds a query; returns its plan and output names.
    fn bind_query(&mut self, q: &ast::Query) -> Result<(Plan, Vec<String>)> {
        let (mut plan, scope) = match &q.from {
            Some(from) => self.bind_from(from)?,
            None => (Plan::OneRow, Scope::default()),
        };
        let plain = Ctx {
            scope: &scope,
            clause: "WHERE",
        };
        if let Some(w) = &q.selection {
            let predicate = self.bind_bool(w, plain)?;
            plan = Plan::Filter {
                input: Box::new(plan),
                predicate,
            };
        }

        let grouped = !q.group_by.is_empty()
            || q.having.is_some()
            || q.projection
                .iter()
                .any(|i| matches!(i, SelectItem::Expr { expr, .. } if contains_aggregate(expr)))
            || q.order_by.iter().any(|o| contains_aggregate(&o.expr));

        let mut grouping = None;
        if grouped {
            let mut g = Grouping::default();
            for item in &q.group_by {
                let key = self.bind_group_key(item, q, &scope)?;
                if !g.keys.contains(&key) {
                    g.keys.push(key);
                }
            }
            grouping = Some(g);
        }

        // The select list, over the input (plain) or over the aggregate's output (grouped).
        let mut exprs = Vec::new();
        let mut names = Vec::new();
        let select_ctx = Ctx {
            scope: &scope,
            clause: "the select list",
        };
        for item in &q.projection {
            match item {
                SelectItem::Wildcard(span) => {
                    self.expand_wildcard(None, *span, &scope, grouping.as_ref(), &mut exprs, &mut names)?
                }
                SelectItem::QualifiedWildcard(q) => self.expand_wildcard(
                    Some(&q.value),
                    q.span,
                    &scope,
                    grouping.as_ref(),
                    &mut exprs,
                    &mut names,
                )?,
                SelectItem::Expr { expr, alias } => {
                    let bound = self.bind_maybe_grouped(expr, select_ctx, grouping.as_mut())?;
                    exprs.push(bound);
                    names.push(alias.as_ref().map_or_else(|| output_name(expr), |a| a.value.clone()));
                }
            }
        }

        let mut having = None;
        if let (Some(h), Some(g)) = (&q.having, grouping.as_mut()) {
            let ctx = Ctx {
                scope: &scope,
                clause: "HAVING",
            };
            let e = self.bind_grouped(h, ctx, g)?;
            having = Some(self.expect_bool(e, h.span())?);
        }

        // ORDER BY: output positions, output names, or expressions (added as hidden columns).
        let visible = exprs.len();
        let mut sort_keys = Vec::new();
        for item in &q.order_by {
            let position = self.order_position(&item.expr, &names[..visible], &exprs[..visible])?;
            let index = match position {
                Some(i) => i,
                None => {
                    let ctx = Ctx {
                        scope: &scope,
                        clause: "ORDER BY",
                    };
                    let e = self.bind_maybe_grouped(&item.expr, ctx, grouping.as_mut())?;
                    match exprs.iter().position(|x| *x == e) {
                        Some(i) => i,
                        None if q.distinct => {
                            return Err(self.err_at(
                                item.expr.span(),
                                "for SELECT DISTINCT, ORDER BY expressions must appear in the select list",
                            ))
                        }
                        None => {
                            exprs.push(e);
                            names.push(output_name(&item.expr));
                            exprs.len() - 1
                        }
                    }
                }
            };
            let ty = exprs[index].data_type();
            sort_keys.push(SortKey {
                expr: ScalarExpr::Column { index, ty },
                desc: item.desc,
                nulls_first: item.nulls_first.unwrap_or(item.desc),
            });
        }

        if let Some(g) = grouping {
            let mut agg_names: Vec<String> = (0..g.keys.len()).map(|i| format!("#key{}", i + 1)).collect();
            agg_names.extend(g.aggs.iter().map(|a| a.func.name().to_string()));
            plan = Plan::Aggregate {
                input: Box::new(plan),
                keys: g.keys,
                aggs: g.aggs,
                names: agg_names,
            };
            if let Some(predicate) = having {
                plan = Plan::Filter {
                    input: Box::new(plan),
                    predicate,
                };
            }
        }
        plan = Plan::Project {
            input: Box::new(plan),
            exprs,
            names: names.clone(),
        };
        if q.distinct {
            plan = Plan::Distinct { input: Box::new(plan) };
        }
        if !sort_keys.is_empty() {
            plan = Plan::Sort {
                input: Box::new(plan),
                keys: sort_keys,
            };
        }
        if q.limit.is_some() || q.offset.is_some() {
            plan = Plan::Limit {
                input: Box::new(plan),
                limit: q.limit,
                offset: q.offset.unwrap_or(0),
            };
        }
        if names.len() > visible {
            let schema = plan.schema();
            let exprs = (0..visible)
                .map(|i| ScalarExpr::Column {
                    index: i,
                    ty: schema[i].ty,
                })
                .collect();
            names.truncate(visible);
            plan = Plan::Project {
                input: Box::new(plan),
                exprs,
                names: names.clone(),
            };
        }
        Ok((plan, names))
    }

    /// `*` or `q.*`: every column of the scope (or of table `q`).
    fn expand_wildcard(
        &self,
        qualifier: Option<&str>,
        span: Span,
        scope: &Scope,
        grouping: Option<&Grouping>,
        exprs: &mut Vec<ScalarExpr>,
        names: &mut Vec<String>,
    ) -> Result<()> {
        let cols = scope.columns_of(qualifier);
        if cols.is_empty() {
            return Err(match qualifier {
                Some(q) => self.err_at(span, format!("no table '{q}' in scope; tables: {}", scope.qualifiers())),
                None => self.err_at(span, "SELECT * needs a FROM clause"),
            });
        }
        for i in cols {
            let c = &scope.columns[i];
            let col = ScalarExpr::Column { index: i, ty: c.ty };
            let e = match grouping {
                None => col,
                Some(g) => match g.keys.iter().position(|k| *k == col) {
                    Some(k) => ScalarExpr::Column { index: k, ty: c.ty },
                    None => {
                        return Err(self.err_at(
                            span,
                            format!(
                                "column '{}' (from *) must appear in the GROUP BY clause or be used in an aggregate function",
                                c.name
                            ),
                        ))
                    }
                },
            };
            exprs.push(e);
            names.push(c.name.clone());
        }
        Ok(())
    }

    /// A GROUP BY item: an ordinal of the select list, an input column, or an output alias (in that
    /// order of preference, as PostgreSQL resolves it).
    fn bind_group_key(&mut self, item: &AstExpr, q: &ast::Query, scope: &Scope) -> Result<ScalarExpr> {
        let ctx = Ctx {
            scope,
            clause: "GROUP BY",
        };
        let select_expr = |i: usize| match q.projection.get(i) {
            Some(SelectItem::Expr { expr, .. }) => Some(expr),
            _ => None,
        };
        let target = match item {
            AstExpr::Literal(Literal::Integer(n), span) => {
                let e = usize::try_from(*n)
                    .ok()
                    .and_then(|n| n.checked_sub(1))
                    .and_then(select_expr);
                e.ok_or_else(|| self.err_at(*span, format!("GROUP BY position {n} is not in the select list")))?
            }
            AstExpr::Column { table: None, name } if scope.resolve(None, &name.value).is_err() => {
                let by_alias = q.projection.iter().find_map(|i| match i {
                    SelectItem::Expr { expr, alias: Some(a) } if a.value == name.value => Some(expr),
                    _ => None,
                });
                by_alias.unwrap_or(item)
            }
            _ => item,
        };
        if contains_aggregate(target) {
            return Err(self.err_at(item.span(), "aggregate functions are not allowed in GROUP BY"));
        }
        self.bind_expr(target, ctx)
    }

    /// An ORDER BY item that names an output column: a 1-based ordinal or a bare output name. A name
    /// shared by several output columns is ambiguous only if their expressions differ (PostgreSQL).
    fn order_position(&self, e: &AstExpr, names: &[String], exprs: &[ScalarExpr]) -> Result<Option<usize>> {
        match e {
            AstExpr::Literal(Literal::Integer(n), span) => {
                match usize::try_from(*n).ok().filter(|&n| n >= 1 && n <= names.len()) {
                    Some(n) => Ok(Some(n - 1)),
                    None => Err(self.err_at(*span, format!("ORDER BY position {n} is not in the select list"))),
                }
            }
            AstExpr::Column { table: None, name } => {
                let hits: Vec<usize> = (0..names.len()).filter(|&i| names[i] == name.value).collect();
                match hits.as_slice() {
                    [] => Ok(None),
                    [i] => Ok(Some(*i)),
                    [first, rest @ ..] if rest.iter().all(|&i| exprs.get(i) == exprs.get(*first)) => Ok(Some(*first)),
                    _ => Err(self.err_at(name.span, format!("ORDER BY \"{}\" is ambiguous", name.value))),
                }
            }
            _ => Ok(None),
        }
    }

    // ---------------------------------------------------------------- FROM

    fn bind_from(&mut self, from: &ast::From) -> Result<(Plan, Scope)> {
        let (mut plan, mut scope) = self.bind_table_ref(&from.base)?;
        for join in &from.joins {
            let (right, right_scope) = self.bind_table_ref(&join.table)?;
            let left_len = scope.columns.len();
            let mut combined = scope.clone();
            combined.columns.extend(right_scope.columns.iter().cloned());
            let ctx = Ctx {
                scope: &combined,
                clause: "JOIN conditions",
            };
            let on = self.bind_bool(&join.on, ctx)?;
            let (mut left_keys, mut right_keys, mut residual) = (Vec::new(), Vec::new(), Vec::new());
            for term in on.conjuncts() {
                match split_equi_key(&term, left_len) {
                    Some((l, r)) => {
                        left_keys.push(l);
                        right_keys.push(r);
                    }
                    None => residual.push(term),
                }
            }
            plan = Plan::Join {
                left: Box::new(plan),
                right: Box::new(right),
                kind: join.kind,
                left_keys,
                right_keys,
                residual: ScalarExpr::and_all(residual),
            };
            scope = combined;
        }
        Ok((plan, scope))
    }

    fn bind_table_ref(&mut self, t: &TableRef) -> Result<(Plan, Scope)> {
        let mut scope = Scope::default();
        match t {
            TableRef::Table { name, alias } => {
                let table = self.table(name)?;
                let qualifier = alias.as_ref().unwrap_or(name);
                scope.add_table(
                    Some(&qualifier.value),
                    table.columns().iter().map(|c| (c.name.to_string(), c.ty)),
                );
                let plan = match table {
                    TableId::Events => Plan::EventsScan {
                        filter: EventsFilter::default(),
                    },
                    table => Plan::TableScan { table },
                };
                Ok((plan, scope))
            }
            TableRef::Derived { query, alias, .. } => {
                let (plan, names) = self.bind_subquery_plan(query, None)?;
                let types = plan.schema().into_iter().map(|f| f.ty);
                scope.add_table(alias.as_ref().map(|a| a.value.as_str()), names.into_iter().zip(types));
                Ok((plan, scope))
            }
        }
    }

    /// Binds a nested query with the current scope pushed as an outer scope (for error messages).
    fn bind_subquery_plan(&mut self, q: &ast::Query, outer: Option<&Scope>) -> Result<(Plan, Vec<String>)> {
        if let Some(s) = outer {
            self.outer.push(s.clone());
        }
        let r = self.bind_query(q);
        if outer.is_some() {
            self.outer.pop();
        }
        r
    }

    // ---------------------------------------------------------------- expressions

    /// The index of `sub` among the statement's subqueries, reusing an equal one: an expression bound
    /// twice (a GROUP BY key, then the select item it names) must bind to an equal `ScalarExpr`.
    fn add_subquery(&mut self, sub: Subquery) -> usize {
        match self.subqueries.iter().position(|s| *s == sub) {
            Some(i) => i,
            None => {
                self.subqueries.push(sub);
                self.subqueries.len() - 1
            }
        }
    }

    fn bind_bool(&mut self, e: &AstExpr, ctx: Ctx<'_>) -> Result<ScalarExpr> {
        let bound = self.bind_expr(e, ctx)?;
        self.expect_bool(bound, e.span())
    }

    fn expect_bool(&self, e: ScalarExpr, span: Span) -> Result<ScalarExpr> {
        match e.data_type() {
            DataType::Bool => Ok(e),
            DataType::Null => Ok(ScalarExpr::Literal(Value::Null, DataType::Bool)),
            t => Err(self.type_err(
                span,
                format!("'{}' must be a BOOLEAN condition, but it is {t}", self.snippet(span)),
            )),
        }
    }

    /// Binds `e` either plainly or, for a grouped query, over the aggregate's output.
    fn bind_maybe_grouped(&mut self, e: &AstExpr, ctx: Ctx<'_>, g: Option<&mut Grouping>) -> Result<ScalarExpr> {
        match g {
            Some(g) => self.bind_grouped(e, ctx, g),
            None => self.bind_expr(e, ctx),
        }
    }

    /// Binds `e` over the output of the aggregation: aggregates become references to aggregate
    /// outputs, expressions equal to a group key become references to that key, and any other column
    /// reference is an error.
    fn bind_grouped(&mut self, e: &AstExpr, ctx: Ctx<'_>, g: &mut Grouping) -> Result<ScalarExpr> {
        if let Some(call) = self.aggregate_call(e, ctx)? {
            let ty = call.ty;
            let i = match g.aggs.iter().position(|a| *a == call) {
                Some(i) => i,
                None => {
                    g.aggs.push(call);
                    g.aggs.len() - 1
                }
            };
            return Ok(ScalarExpr::Column {
                index: g.keys.len() + i,
                ty,
            });
        }
        if !contains_aggregate(e) {
            let mark = self.subqueries.len();
            let plain = self.bind_expr(e, ctx)?;
            if let Some(k) = g.keys.iter().position(|k| *k == plain) {
                self.subqueries.truncate(mark);
                return Ok(ScalarExpr::Column {
                    index: k,
                    ty: plain.data_type(),
                });
            }
            if plain.is_constant() {
                return Ok(plain);
            }
            self.subqueries.truncate(mark);
            if let AstExpr::Column { .. } = e {
                return Err(self.err_at(
                    e.span(),
                    format!(
                        "column '{}' must appear in the GROUP BY clause or be used in an aggregate function",
                        self.snippet(e.span())
                    ),
                ));
            }
        }
        // A compound expression: bind its parts over the aggregation.
        self.bind_compound(e, ctx, &mut |b, child, ctx| b.bind_grouped(child, ctx, g))
    }

    /// `Some` if `e` is an aggregate call; binds its argument and filter over the input.
    fn aggregate_call(&mut self, e: &AstExpr, ctx: Ctx<'_>) -> Result<Option<AggregateCall>> {
        let AstExpr::Function {
            name,
            args,
            star,
            distinct,
            filter,
            span,
        } = e
        else {
            return Ok(None);
        };
        let Some(func) = aggregate(&name.value) else {
            return Ok(None);
        };
        let inner = Ctx {
            scope: ctx.scope,
            clause: "aggregate function arguments (aggregates cannot be nested)",
        };
        let (func, arg) = match (func, *star, args.as_slice()) {
            (AggFunc::Count, true, []) if !*distinct => (AggFunc::CountStar, None),
            (_, true, _) => return Err(self.err_at(*span, format!("{}(*) is not allowed; only count(*)", name.value))),
            (_, false, [a]) => (func, Some(self.bind_expr(a, inner)?)),
            (_, false, _) => {
                return Err(self.err_at(
                    *span,
                    format!("{} takes exactly one argument, got {}", name.value, args.len()),
                ))
            }
        };
        let arg_ty = arg.as_ref().map_or(DataType::Int, ScalarExpr::data_type);
        let ty = aggregate_type(func, arg_ty).map_err(|m| self.type_err(*span, m))?;
        let filter = match filter {
            Some(f) => Some(self.bind_bool(
                f,
                Ctx {
                    scope: ctx.scope,
                    clause: "FILTER",
                },
            )?),
            None => None,
        };
        Ok(Some(AggregateCall {
            func,
            arg,
            distinct: *distinct,
            filter,
            ty,
        }))
    }

    /// Binds an expression over the input scope (no aggregates allowed).
    fn bind_expr(&mut self, e: &AstExpr, ctx: Ctx<'_>) -> Result<ScalarExpr> {
        match e {
            AstExpr::Column { table, name } => self.bind_column(table.as_ref(), name, ctx),
            AstExpr::Function { name, span, .. } if aggregate(&name.value).is_some() => {
                Err(self.err_at(*span, format!("aggregate functions are not allowed in {}", ctx.clause)))
            }
            _ => self.bind_compound(e, ctx, &mut |b, child, ctx| b.bind_expr(child, ctx)),
        }
    }

    fn bind_column(&self, table: Option<&Ident>, name: &Ident, ctx: Ctx<'_>) -> Result<ScalarExpr> {
        let qualifier = table.map(|t| t.value.as_str());
        let span = table.map_or(name.span, |t| t.span.to(name.span));
        let written = match qualifier {
            Some(q) => format!("{q}.{}", name.value),
            None => name.value.clone(),
        };
        let (line, column) = line_col(self.sql, span.start);
        match ctx.scope.resolve(qualifier, &name.value) {
            Ok((index, ty)) => Ok(ScalarExpr::Column { index, ty }),
            Err(why) => {
                if self.outer.iter().any(|s| s.resolve(qualifier, &name.value).is_ok()) {
                    return Err(self.err_at(
                        span,
                        format!("'{written}' refers to a column of an enclosing query: correlated subqueries are not supported"),
                    ));
                }
                Err(match why {
                    Unresolved::Unknown { valid, suggestion } => PlanError::UnknownColumn {
                        name: written,
                        line,
                        column,
                        valid,
                        hint: suggestion.map_or(String::new(), |s| format!(" (did you mean '{s}'?)")),
                    },
                    Unresolved::UnknownQualifier { valid } => self.err_at(
                        span,
                        format!(
                            "unknown table or alias '{}' in '{written}'; in scope: {valid}",
                            qualifier.unwrap_or("")
                        ),
                    ),
                    Unresolved::Ambiguous { candidates } => PlanError::AmbiguousColumn {
                        name: written,
                        line,
                        column,
                        candidates,
                    },
                })
            }
        }
    }

    /// Binds everything but column references and aggregates, binding sub-expressions with `child`
    /// (plain or grouped).
    fn bind_compound(
        &mut self,
        e: &AstExpr,
        ctx: Ctx<'_>,
        child: &mut dyn FnMut(&mut Self, &AstExpr, Ctx<'_>) -> Result<ScalarExpr>,
    ) -> Result<ScalarExpr> {
        match e {
            AstExpr::Column { table, name } => self.bind_column(table.as_ref(), name, ctx),
            AstExpr::Literal(lit, span) => self.bind_literal(lit, *span),
            AstExpr::Unary { op, expr, span } => {
                let v = child(self, expr, ctx)?;
                match op {
                    ast::UnaryOp::Not => Ok(ScalarExpr::Not(Box::new(self.expect_bool(v, expr.span())?))),
                    ast::UnaryOp::Plus | ast::UnaryOp::Neg => {
                        let ty = v.data_type();
                        if !ty.is_numeric() && ty != DataType::Interval {
                            return Err(self.type_err(*span, format!("unary minus/plus needs a number, not {ty}")));
                        }
                        if *op == ast::UnaryOp::Plus {
                            return Ok(v);
                        }
                        Ok(match v {
                            ScalarExpr::Literal(Value::Int(i), _) if i != i64::MIN => ScalarExpr::lit(Value::Int(-i)),
                            ScalarExpr::Literal(Value::Double(d), _) => ScalarExpr::lit(Value::Double(-d)),
                            v => ScalarExpr::Neg(Box::new(v)),
                        })
                    }
                }
            }
            AstExpr::Binary {
                left,
                op,
                right,
                op_span,
            } => {
                let l = child(self, left, ctx)?;
                let r = child(self, right, ctx)?;
                self.bind_binary(*op, l, r, *op_span, left.span(), right.span())
            }
            AstExpr::IsNull { expr, negated, .. } => Ok(ScalarExpr::IsNull {
                expr: Box::new(child(self, expr, ctx)?),
                negated: *negated,
            }),
            AstExpr::InList {
                expr,
                list,
                negated,
                span,
            } => {
                let mut v = child(self, expr, ctx)?;
                let mut items = Vec::with_capacity(list.len());
                for item in list {
                    let b = child(self, item, ctx)?;
                    let (nv, nb) = self.unify(v, b, *span, "IN")?;
                    v = nv;
                    items.push(nb);
                }
                // Unify again so every item has the final type (an earlier item may have widened it).
                let ty = v.data_type();
                let items = items.into_iter().map(|i| widen(i, ty)).collect();
                Ok(ScalarExpr::InList {
                    expr: Box::new(v),
                    list: items,
                    negated: *negated,
                })
            }
            AstExpr::InSubquery {
                expr,
                subquery,
                negated,
                span,
            } => {
                let v = child(self, expr, ctx)?;
                let (plan, _) = self.bind_subquery_plan(subquery, Some(ctx.scope))?;
                let schema = plan.schema();
                if schema.len() != 1 {
                    return Err(self.err_at(
                        *span,
                        format!(
                            "the subquery of IN returns {} columns; it must return one",
                            schema.len()
                        ),
                    ));
                }
                let sub_ty = schema[0].ty;
                let Some(common) = common_type(v.data_type(), sub_ty) else {
                    return Err(self.type_err(
                        *span,
                        format!(
                            "cannot compare {} ('{}') with the subquery's {sub_ty} column",
                            v.data_type(),
                            self.snippet(expr.span())
                        ),
                    ));
                };
                let subquery = self.add_subquery(Subquery { plan, scalar: false });
                Ok(ScalarExpr::InSubquery {
                    expr: Box::new(widen(v, common)),
                    subquery,
                    negated: *negated,
                })
            }
            AstExpr::Between {
                expr,
                low,
                high,
                negated,
                span,
            } => {
                let v = child(self, expr, ctx)?;
                let lo = child(self, low, ctx)?;
                let hi = child(self, high, ctx)?;
                let (v1, lo) = self.unify(v.clone(), lo, *span, "BETWEEN")?;
                let (v2, hi) = self.unify(v, hi, *span, "BETWEEN")?;
                let (a, b) = if *negated {
                    (cmp(CmpOp::Lt, v1, lo), cmp(CmpOp::Gt, v2, hi))
                } else {
                    (cmp(CmpOp::GtEq, v1, lo), cmp(CmpOp::LtEq, v2, hi))
                };
                Ok(if *negated {
                    ScalarExpr::Or(vec![a, b])
                } else {
                    ScalarExpr::And(vec![a, b])
                })
            }
            AstExpr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
                span,
            } => {
                let v = child(self, expr, ctx)?;
                let p = child(self, pattern, ctx)?;
                for (x, what) in [(&v, "operand"), (&p, "pattern")] {
                    if !matches!(x.data_type(), DataType::Text | DataType::Null) {
                        return Err(
                            self.type_err(*span, format!("the {what} of LIKE must be TEXT, not {}", x.data_type()))
                        );
                    }
                }
                Ok(ScalarExpr::Like {
                    expr: Box::new(coerce_literal(v, DataType::Text).map_err(|m| self.type_err(*span, m))?),
                    pattern: Box::new(coerce_literal(p, DataType::Text).map_err(|m| self.type_err(*span, m))?),
                    negated: *negated,
                    case_insensitive: *case_insensitive,
                })
            }
            AstExpr::ScalarSubquery(q, span) => {
                let (plan, _) = self.bind_subquery_plan(q, Some(ctx.scope))?;
                let schema = plan.schema();
                if schema.len() != 1 {
                    return Err(self.err_at(
                        *span,
                        format!("a scalar subquery must return one column, not {}", schema.len()),
                    ));
                }
                let subquery = self.add_subquery(Subquery { plan, scalar: true });
                Ok(ScalarExpr::ScalarSubquery {
                    subquery,
                    ty: schema[0].ty,
                })
            }
            AstExpr::Function {
                name,
                args,
                star,
                distinct,
                filter,
                span,
            } => {
                if aggregate(&name.value).is_some() {
                    return Err(self.err_at(*span, format!("aggregate functions are not allowed in {}", ctx.clause)));
                }
                if *star || *distinct || filter.is_some() {
                    return Err(self.err_at(
                        *span,
                        format!(
                            "{}: *, DISTINCT and FILTER apply only to aggregate functions",
                            name.value
                        ),
                    ));
                }
                let mut bound = Vec::with_capacity(args.len());
                for a in args {
                    bound.push(child(self, a, ctx)?);
                }
                match bind_scalar(&name.value, bound) {
                    Ok(Some(f)) => Ok(fold_constant(f)),
                    Ok(None) => {
                        let hint = closest(&name.value, FUNCTION_NAMES.split(", "))
                            .map_or(String::new(), |s| format!(" (did you mean {s}?)"));
                        Err(self.err_at(
                            name.span,
                            format!("unknown function {}{hint}; functions: {FUNCTION_NAMES}", name.value),
                        ))
                    }
                    Err(m) => Err(self.type_err(*span, m)),
                }
            }
            AstExpr::Extract { field, expr, span } => {
                let f = ExtractField::parse(&field.value).ok_or_else(|| {
                    self.err_at(
                        field.span,
                        format!(
                            "unknown field '{}' for extract; fields: {}",
                            field.value,
                            ExtractField::NAMES
                        ),
                    )
                })?;
                let v = child(self, expr, ctx)?;
                let v = coerce_literal(v, DataType::Timestamp).map_err(|m| self.type_err(*span, m))?;
                if !matches!(v.data_type(), DataType::Timestamp | DataType::Null) {
                    return Err(self.type_err(*span, format!("extract needs a TIMESTAMP, not {}", v.data_type())));
                }
                Ok(fold_constant(ScalarExpr::Function {
                    func: crate::plan::ScalarFunc::Extract(f),
                    args: vec![v],
                    ty: DataType::Int,
                }))
            }
            AstExpr::Cast { expr, to, span } => {
                let v = child(self, expr, ctx)?;
                let (to, date) = match to {
                    ast::TypeName::Integer => (DataType::Int, false),
                    ast::TypeName::Double => (DataType::Double, false),
                    ast::TypeName::Text => (DataType::Text, false),
                    ast::TypeName::Timestamp => (DataType::Timestamp, false),
                    ast::TypeName::Date => (DataType::Timestamp, true),
                    ast::TypeName::Boolean => (DataType::Bool, false),
                };
                let from = v.data_type();
                let allowed = from == to
                    || from == DataType::Null
                    || to == DataType::Text
                    || from == DataType::Text
                    || (from.is_numeric() && to.is_numeric())
                    || matches!(
                        (from, to),
                        (DataType::Bool, DataType::Int) | (DataType::Int, DataType::Bool)
                    );
                if !allowed {
                    return Err(self.type_err(*span, format!("cannot cast {from} to {to}")));
                }
                let mut out = match v {
                    ScalarExpr::Literal(lit, _) => {
                        let c = cast_value(&lit, to).map_err(|m| self.err_at(*span, m))?;
                        ScalarExpr::Literal(c, to)
                    }
                    v if from == to => v,
                    v => ScalarExpr::Cast { expr: Box::new(v), to },
                };
                if date {
                    out = fold_constant(ScalarExpr::Function {
                        func: crate::plan::ScalarFunc::DateTrunc(crate::time::TruncUnit::Day),
                        args: vec![out],
                        ty: DataType::Timestamp,
                    });
                }
                Ok(out)
            }
            AstExpr::Case {
                operand,
                branches,
                otherwise,
                span,
            } => {
                let op = match operand {
                    Some(o) => Some(child(self, o, ctx)?),
                    None => None,
                };
                let mut conds = Vec::new();
                let mut values = Vec::new();
                for (when, then) in branches {
                    let w = child(self, when, ctx)?;
                    let cond = match &op {
                        Some(o) => {
                            let (a, b) = self.unify(o.clone(), w, when.span(), "CASE … WHEN")?;
                            cmp(CmpOp::Eq, a, b)
                        }
                        None => self.expect_bool(w, when.span())?,
                    };
                    conds.push(cond);
                    values.push((child(self, then, ctx)?, then.span()));
                }
                if let Some(o) = otherwise {
                    values.push((child(self, o, ctx)?, o.span()));
                }
                let mut ty = DataType::Null;
                for (v, s) in &values {
                    ty = common_type(ty, v.data_type()).ok_or_else(|| {
                        self.type_err(*s, format!("CASE branches have types {ty} and {}", v.data_type()))
                    })?;
                }
                let _ = span;
                let mut values: Vec<ScalarExpr> = values.into_iter().map(|(v, _)| widen(v, ty)).collect();
                let otherwise = if otherwise.is_some() { values.pop() } else { None }
                    .unwrap_or(ScalarExpr::Literal(Value::Null, ty));
                Ok(ScalarExpr::Case {
                    branches: conds.into_iter().zip(values).collect(),
                    otherwise: Box::new(otherwise),
                    ty,
                })
            }
        }
    }

    fn bind_literal(&self, lit: &Literal, span: Span) -> Result<ScalarExpr> {
        let bad = |m: String| self.err_at(span, m);
        Ok(match lit {
            Literal::Null => ScalarExpr::Literal(Value::Null, DataType::Null),
            Literal::Bool(b) => ScalarExpr::lit(Value::Bool(*b)),
            Literal::Integer(i) => ScalarExpr::lit(Value::Int(*i)),
            Literal::Decimal(text) => {
                let v: f64 = text.parse().map_err(|_| bad(format!("invalid number '{text}'")))?;
                if !v.is_finite() {
                    return Err(bad(format!("number '{text}' is out of range")));
                }
                ScalarExpr::lit(Value::Double(v))
            }
            Literal::String(s) => ScalarExpr::lit(Value::Text(s.clone())),
            Literal::Timestamp(s) => ScalarExpr::lit(Value::Timestamp(parse_timestamp(s).map_err(bad)?)),
            Literal::Date(s) => {
                let t = parse_timestamp(s).map_err(bad)?;
                if t.rem_euclid(crate::time::US_PER_DAY) != 0 {
                    return Err(bad(format!("invalid date '{s}': a DATE has no time of day")));
                }
                ScalarExpr::lit(Value::Timestamp(t))
            }
            Literal::Interval(s) => ScalarExpr::lit(Value::Interval(parse_interval(s).map_err(bad)?)),
        })
    }

    /// Makes two operands comparable: coerces text/NULL literals to the other side's type and widens
    /// BIGINT to DOUBLE; a type error names both operands otherwise.
    fn unify(&self, l: ScalarExpr, r: ScalarExpr, span: Span, what: &str) -> Result<(ScalarExpr, ScalarExpr)> {
        let (lt, rt) = (l.data_type(), r.data_type());
        let coerce = |e: ScalarExpr, ty| coerce_literal(e, ty).map_err(|m| self.type_err(span, m));
        let (l, r) = match (&l, &r) {
            (ScalarExpr::Literal(Value::Text(_), _), _) if rt != DataType::Text && rt != DataType::Null => {
                (coerce(l, rt)?, r)
            }
            (_, ScalarExpr::Literal(Value::Text(_), _)) if lt != DataType::Text && lt != DataType::Null => {
                let r = coerce(r, lt)?;
                (l, r)
            }
            _ => (l, r),
        };
        let (lt, rt) = (l.data_type(), r.data_type());
        match common_type(lt, rt) {
            Some(t) => Ok((widen(coerce(l, t)?, t), widen(coerce(r, t)?, t))),
            None => Err(self.type_err(span, format!("{what} cannot compare {lt} with {rt}"))),
        }
    }

    fn bind_binary(
        &self,
        op: ast::BinaryOp,
        l: ScalarExpr,
        r: ScalarExpr,
        op_span: Span,
        lspan: Span,
        rspan: Span,
    ) -> Result<ScalarExpr> {
        use ast::BinaryOp as B;
        let sym = binary_symbol(op);
        let describe = |b: &Self, l: &ScalarExpr, r: &ScalarExpr| {
            format!(
                "operator {sym} cannot be applied to {} and {} (left operand '{}' is {}, right operand '{}' is {})",
                l.data_type(),
                r.data_type(),
                b.snippet(lspan),
                l.data_type(),
                b.snippet(rspan),
                r.data_type()
            )
        };
        match op {
            B::And | B::Or => {
                let l = self.expect_bool(l, lspan)?;
                let r = self.expect_bool(r, rspan)?;
                let mut terms = Vec::new();
                for t in [l, r] {
                    match (op, t) {
                        (B::And, ScalarExpr::And(v)) | (B::Or, ScalarExpr::Or(v)) => terms.extend(v),
                        (_, t) => terms.push(t),
                    }
                }
                Ok(if op == B::And {
                    ScalarExpr::And(terms)
                } else {
                    ScalarExpr::Or(terms)
                })
            }
            B::Eq | B::NotEq | B::Lt | B::LtEq | B::Gt | B::GtEq => {
                let cop = match op {
                    B::Eq => CmpOp::Eq,
                    B::NotEq => CmpOp::NotEq,
                    B::Lt => CmpOp::Lt,
                    B::LtEq => CmpOp::LtEq,
                    B::Gt => CmpOp::Gt,
                    _ => CmpOp::GtEq,
                };
                let (lt, rt) = (l.data_type(), r.data_type());
                // A text literal beside another type is converted (its own error says what is wrong
                // with it); other mismatches name both operands.
                let text_literal = |e: &ScalarExpr, other: DataType| {
                    matches!(e, ScalarExpr::Literal(Value::Text(_), _))
                        && !matches!(other, DataType::Text | DataType::Null)
                };
                if common_type(lt, rt).is_none() && !text_literal(&l, rt) && !text_literal(&r, lt) {
                    return Err(self.type_err(
                        op_span,
                        format!(
                            "cannot compare {lt} with {rt} (left operand '{}' is {lt}, right operand '{}' is {rt})",
                            self.snippet(lspan),
                            self.snippet(rspan)
                        ),
                    ));
                }
                let (l, r) = self.unify(l, r, op_span, &format!("operator {sym}"))?;
                if l.data_type() == DataType::Interval && !matches!(cop, CmpOp::Eq | CmpOp::NotEq) {
                    // Intervals with months have no total order over microseconds; keep to what is exact.
                    if [&l, &r].iter().any(|e| !matches!(e, ScalarExpr::Literal(..))) {
                        return Err(self.type_err(op_span, "intervals can only be compared for equality"));
                    }
                }
                Ok(cmp(cop, l, r))
            }
            B::Concat => Ok(ScalarExpr::Concat(Box::new(l), Box::new(r))),
            B::Plus | B::Minus | B::Multiply | B::Divide | B::Modulo => {
                let aop = match op {
                    B::Plus => ArithOp::Add,
                    B::Minus => ArithOp::Sub,
                    B::Multiply => ArithOp::Mul,
                    B::Divide => ArithOp::Div,
                    _ => ArithOp::Mod,
                };
                // `time - '7 days'`: a text literal next to a timestamp is an interval.
                let coerce_iv = |e: ScalarExpr, other: DataType| match (&e, other) {
                    (ScalarExpr::Literal(Value::Text(_), _), DataType::Timestamp) => {
                        coerce_literal(e, DataType::Interval).map_err(|m| self.type_err(op_span, m))
                    }
                    _ => Ok(e),
                };
                let (lt0, rt0) = (l.data_type(), r.data_type());
                let l = coerce_iv(l, rt0)?;
                let r = coerce_iv(r, lt0)?;
                let (lt, rt) = (l.data_type(), r.data_type());
                use DataType::*;
                // (result type, left operand type, right operand type)
                let (ty, lt2, rt2) = match (aop, lt, rt) {
                    (_, Int | Null, Int | Null) => (Int, Int, Int),
                    (_, Int | Double | Null, Int | Double | Null) => (Double, Double, Double),
                    (ArithOp::Add | ArithOp::Sub, Timestamp, Interval | Null) => (Timestamp, Timestamp, Interval),
                    (ArithOp::Add, Interval | Null, Timestamp) => {
                        // interval + timestamp is timestamp + interval.
                        let iv = coerce_literal(l, Interval).map_err(|m| self.type_err(op_span, m))?;
                        return Ok(fold_constant(ScalarExpr::Arith {
                            op: aop,
                            left: Box::new(r),
                            right: Box::new(iv),
                            ty: Timestamp,
                        }));
                    }
                    (ArithOp::Sub, Timestamp, Timestamp) => (Interval, Timestamp, Timestamp),
                    (ArithOp::Add | ArithOp::Sub, Interval | Null, Interval | Null) => (Interval, Interval, Interval),
                    _ => return Err(self.type_err(op_span, describe(self, &l, &r))),
                };
                let typed = |e: ScalarExpr, t: DataType| -> Result<ScalarExpr> {
                    Ok(widen(coerce_literal(e, t).map_err(|m| self.type_err(op_span, m))?, t))
                };
                let (l, r) = (typed(l, lt2)?, typed(r, rt2)?);
                Ok(fold_constant(ScalarExpr::Arith {
                    op: aop,
                    left: Box::new(l),
                    right: Box::new(r),
                    ty,
                }))
            }
        }
    }
}

fn cmp(op: CmpOp, l: ScalarExpr, r: ScalarExpr) -> ScalarExpr {
    fold_constant(ScalarExpr::Cmp {
        op,
        left: Box::new(l),
        right: Box::new(r),
    })
}

/// Casts a BIGINT expression to DOUBLE when `ty` is DOUBLE (constants are converted in place).
fn widen(e: ScalarExpr, ty: DataType) -> ScalarExpr {
    match (e.data_type(), ty) {
        (DataType::Int, DataType::Double) => match e {
            ScalarExpr::Literal(Value::Int(i), _) => ScalarExpr::lit(Value::Double(i as f64)),
            e => ScalarExpr::Cast {
                expr: Box::new(e),
                to: DataType::Double,
            },
        },
        (DataType::Null, t) if t != DataType::Null => match e {
            ScalarExpr::Literal(Value::Null, _) => ScalarExpr::Literal(Value::Null, t),
            e => e,
        },
        _ => e,
    }
}

/// Evaluates an expression over constants at plan time (so `TIMESTAMP '…' + INTERVAL '1 day'` becomes a
/// literal the optimizer can use for pruning). Errors are left to execution time, where they surface.
fn fold_constant(e: ScalarExpr) -> ScalarExpr {
    let foldable = e.children().iter().all(|c| matches!(c, ScalarExpr::Literal(..)));
    if !foldable || matches!(e, ScalarExpr::Literal(..)) {
        return e;
    }
    match crate::exec::eval_constant(&e) {
        Ok(v) => ScalarExpr::Literal(v, e.data_type()),
        Err(_) => e,
    }
}

/// `l = r` where `l` reads only left columns (< `left_len`) and `r` only right ones (or the reverse):
/// the key pair, with right keys rebased to the right input.
fn split_equi_key(term: &ScalarExpr, left_len: usize) -> Option<(ScalarExpr, ScalarExpr)> {
    let ScalarExpr::Cmp {
        op: CmpOp::Eq,
        left,
        right,
    } = term
    else {
        return None;
    };
    let side = |e: &ScalarExpr| {
        let mut cols = Vec::new();
        e.collect_columns(&mut cols);
        if cols.is_empty() {
            None
        } else if cols.iter().all(|&c| c < left_len) {
            Some(true)
        } else if cols.iter().all(|&c| c >= left_len) {
            Some(false)
        } else {
            None
        }
    };
    let rebase = |e: &ScalarExpr| e.map_columns(&|c| c - left_len);
    match (side(left)?, side(right)?) {
        (true, false) => Some(((**left).clone(), rebase(right))),
        (false, true) => Some(((**right).clone(), rebase(left))),
        _ => None,
    }
}

fn binary_symbol(op: ast::BinaryOp) -> &'static str {
    use ast::BinaryOp as B;
    match op {
        B::Or => "OR",
        B::And => "AND",
        B::Eq => "=",
        B::NotEq => "<>",
        B::Lt => "<",
        B::LtEq => "<=",
        B::Gt => ">",
        B::GtEq => ">=",
        B::Plus => "+",
        B::Minus => "-",
        B::Multiply => "*",
        B::Divide => "/",
        B::Modulo => "%",
        B::Concat => "||",
    }
}

/// The column name PostgreSQL gives an unaliased select item.
fn output_name(e: &AstExpr) -> String {
    match e {
        AstExpr::Column { name, .. } => name.value.clone(),
        AstExpr::Function { name, .. } => name.value.clone(),
        AstExpr::Extract { .. } => "extract".into(),
        AstExpr::Cast { expr, .. } => output_name(expr),
        AstExpr::Case { .. } => "case".into(),
        _ => "?column?".into(),
    }
}

/// Whether `e` calls an aggregate outside of any subquery.
fn contains_aggregate(e: &AstExpr) -> bool {
    if let AstExpr::Function { name, .. } = e {
        if aggregate(&name.value).is_some() {
            return true;
        }
    }
    ast_children(e).into_iter().any(contains_aggregate)
}

/// The direct sub-expressions of an AST expression (not looking into subqueries).
fn ast_children(e: &AstExpr) -> Vec<&AstExpr> {
    match e {
        AstExpr::Column { .. } | AstExpr::Literal(..) | AstExpr::ScalarSubquery(..) => vec![],
        AstExpr::Unary { expr, .. }
        | AstExpr::IsNull { expr, .. }
        | AstExpr::InSubquery { expr, .. }
        | AstExpr::Extract { expr, .. }
        | AstExpr::Cast { expr, .. } => vec![expr],
        AstExpr::Binary { left, right, .. } => vec![left, right],
        AstExpr::InList { expr, list, .. } => std::iter::once(expr.as_ref()).chain(list).collect(),
        AstExpr::Between { expr, low, high, .. } => vec![expr, low, high],
        AstExpr::Like { expr, pattern, .. } => vec![expr, pattern],
        AstExpr::Function { args, filter, .. } => args.iter().chain(filter.as_deref()).collect(),
        AstExpr::Case {
            operand,
            branches,
            otherwise,
            ..
        } => operand
            .as_deref()
            .into_iter()
            .chain(branches.iter().flat_map(|(a, b)| [a, b]))
            .chain(otherwise.as_deref())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bind(sql: &str) -> Result<StatementPlan> {
        let stmts = crate::parser::parse(sql).expect("parses");
        bind_statement(&stmts[0], sql)
    }

    #[test]
    fn order_by_a_name_of_several_equal_output_columns_is_not_ambiguous() {
        assert!(bind("SELECT app, app FROM events ORDER BY app").is_ok());
        assert!(bind("SELECT app, app AS x FROM events ORDER BY x, app").is_ok());
        let err = bind("SELECT app AS x, signal AS x FROM events ORDER BY x").expect_err("different expressions");
        assert!(err.to_string().contains("ambiguous"), "{err}");
    }

    #[test]
    fn a_group_key_with_a_subquery_matches_the_select_item_it_names() {
        let sql = "SELECT grade IN (SELECT grade FROM events WHERE app = 'x') AS k, count(*) FROM events GROUP BY 1 \
                   ORDER BY grade IN (SELECT grade FROM events WHERE app = 'x')";
        match bind(sql) {
            Ok(StatementPlan::Query(q)) => assert_eq!(q.subqueries.len(), 1, "one subquery, bound once"),
            other => panic!("{other:?}"),
        }
    }
}
