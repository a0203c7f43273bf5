//! Helpers shared by the parser tests: the suite queries, parsing one statement, and erasing spans
//! so that ASTs parsed from different texts can be compared.
#![allow(dead_code)]

use std::path::PathBuf;

use query::ast::{Expr, From, Ident, Query, SelectItem, Span, Statement, TableRef};

/// `shared/queries`, found by walking up from the crate directory.
pub fn suite_dir() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for dir in manifest.ancestors() {
        let candidate = dir.join("shared/queries");
        if candidate.is_dir() {
            return candidate;
        }
    }
    panic!(
        "no shared/queries in any parent of {} (CI puts /work/shared beside the repo)",
        manifest.display()
    );
}

/// The suite's queries, `(file name, text)`, in name order.
pub fn suite() -> Vec<(String, String)> {
    let mut queries: Vec<(String, String)> = std::fs::read_dir(suite_dir())
        .expect("read shared/queries")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "sql"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).expect("read query"))
        })
        .collect();
    queries.sort();
    queries
}

/// The single statement of `sql`, panicking with the error otherwise.
pub fn statement(sql: &str) -> Statement {
    let mut statements = query::parse(sql).unwrap_or_else(|e| panic!("{sql:?} does not parse: {e}"));
    assert_eq!(statements.len(), 1, "{sql:?}");
    statements.pop().unwrap()
}

/// The query of a single `SELECT` statement.
pub fn select(sql: &str) -> Query {
    match statement(sql) {
        Statement::Query(query) => *query,
        other => panic!("{sql:?} is not a query: {other:?}"),
    }
}

/// The expression of `SELECT <expr>`.
pub fn expr(text: &str) -> Expr {
    let query = select(&format!("SELECT {text}"));
    match query.projection.into_iter().next() {
        Some(SelectItem::Expr { expr, alias: None }) => expr,
        other => panic!("{text:?}: not one unaliased expression: {other:?}"),
    }
}

/// The rendered error of parsing `sql`, panicking if it parses.
pub fn error(sql: &str) -> String {
    match query::parse(sql) {
        Ok(statements) => panic!("{sql:?} parsed: {statements:?}"),
        Err(e) => e.to_string(),
    }
}

/// `statement` with every span set to the default.
pub fn without_spans(mut statement: Statement) -> Statement {
    match &mut statement {
        Statement::Query(query) | Statement::Explain(query) => query_spans(query),
        Statement::Describe(table) => ident_span(table),
        Statement::ShowTables => {}
    }
    statement
}

fn ident_span(ident: &mut Ident) {
    ident.span = Span::default();
}

fn query_spans(query: &mut Query) {
    query.span = Span::default();
    for item in &mut query.projection {
        match item {
            SelectItem::Wildcard(span) => *span = Span::default(),
            SelectItem::QualifiedWildcard(ident) => ident_span(ident),
            SelectItem::Expr { expr, alias } => {
                expr_spans(expr);
                alias.iter_mut().for_each(ident_span);
            }
        }
    }
    if let Some(From { base, joins }) = &mut query.from {
        table_spans(base);
        for join in joins {
            join.span = Span::default();
            table_spans(&mut join.table);
            expr_spans(&mut join.on);
        }
    }
    query.selection.iter_mut().for_each(expr_spans);
    query.group_by.iter_mut().for_each(expr_spans);
    query.having.iter_mut().for_each(expr_spans);
    query.order_by.iter_mut().for_each(|item| expr_spans(&mut item.expr));
}

fn table_spans(table: &mut TableRef) {
    match table {
        TableRef::Table { name, alias } => {
            ident_span(name);
            alias.iter_mut().for_each(ident_span);
        }
        TableRef::Derived { query, alias, span } => {
            query_spans(query);
            alias.iter_mut().for_each(ident_span);
            *span = Span::default();
        }
    }
}

fn expr_spans(expr: &mut Expr) {
    match expr {
        Expr::Column { table, name } => {
            table.iter_mut().for_each(ident_span);
            ident_span(name);
        }
        Expr::Literal(_, span) => *span = Span::default(),
        Expr::Unary { expr, span, .. } | Expr::IsNull { expr, span, .. } | Expr::Cast { expr, span, .. } => {
            expr_spans(expr);
            *span = Span::default();
        }
        Expr::Binary {
            left, right, op_span, ..
        } => {
            expr_spans(left);
            expr_spans(right);
            *op_span = Span::default();
        }
        Expr::InList { expr, list, span, .. } => {
            expr_spans(expr);
            list.iter_mut().for_each(expr_spans);
            *span = Span::default();
        }
        Expr::InSubquery {
            expr, subquery, span, ..
        } => {
            expr_spans(expr);
            query_spans(subquery);
            *span = Span::default();
        }
        Expr::Between {
            expr, low, high, span, ..
        } => {
            expr_spans(expr);
            expr_spans(low);
            expr_spans(high);
            *span = Span::default();
        }
        Expr::Like {
            expr, pattern, span, ..
        } => {
            expr_spans(expr);
            expr_spans(pattern);
            *span = Span::default();
        }
        Expr::ScalarSubquery(query, span) => {
            query_spans(query);
            *span = Span::default();
        }
        Expr::Function {
            name,
            args,
            filter,
            span,
            ..
        } => {
            ident_span(name);
            args.iter_mut().for_each(expr_spans);
            filter.iter_mut().for_each(|f| expr_spans(f));
            *span = Span::default();
        }
        Expr::Extract { field, expr, span } => {
            ident_span(field);
            expr_spans(expr);
            *span = Span::default();
        }
        Expr::Case {
            operand,
            branches,
            otherwise,
            span,
        } => {
            operand.iter_mut().for_each(|o| expr_spans(o));
            for (condition, result) in branches {
                expr_spans(condition);
                expr_spans(result);
            }
            otherwise.iter_mut().for_each(|o| expr_spans(o));
            *span = Span::default();
        }
    }
}
