//! The SQL parser: text in, [`ast::Statement`]s out, or a [`ParseError`] that says what was expected
//! where. Built with nom over `&str` (no separate token pass); every token parser skips the whitespace
//! and comments before it, and every failure is recorded in a furthest-failure tracker so that the
//! error names the furthest position any alternative reached and what could have stood there.
//!
//! Layout: [`lexical`] (whitespace, comments, words, keywords, identifiers, literals, punctuation),
//! [`expr`] (operators and precedence), [`types`] (type names), [`query`] (`SELECT` and its clauses),
//! [`statement`] (statements and the script), [`failure`] (expected sets and error messages) and
//! [`display`] (canonical SQL for the AST).
//!
//! Guarantees: no input makes the parser panic or overflow the stack; nesting is bounded by
//! [`ParseLimits::max_depth`] (checked before recursing), so the AST it returns is shallow enough
//! to walk and drop recursively; `AND`/`OR` chains are built as balanced trees (both operators are
//! associative), so thousands of predicates stay shallow too.

mod display;
mod expr;
mod failure;
mod lexical;
mod query;
mod statement;
mod types;

use std::cell::{Cell, RefCell};

use crate::ast;
use crate::error::{line_col, ParseError};

use failure::Tracker;

/// Bounds on what the parser accepts, so that hostile or generated SQL cannot exhaust memory or
/// the stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseLimits {
    /// The longest SQL text accepted, in bytes (default 1 MiB). A longer text is rejected with
    /// [`ParseError::Invalid`] at 1:1 before anything is parsed.
    pub max_statement_bytes: usize,
    /// The deepest nesting accepted (default 64). Each parenthesis, subquery, unary operator
    /// (`NOT`, `-`, `+`), `CASE`, function call / `CAST` / `EXTRACT` argument list, `IN` list and
    /// each operator of a chain such as `a + b + c` (other than `AND`/`OR`) is one level. Deeper
    /// input is rejected with [`ParseError::Invalid`] (`… nested more than 64 levels`). The stack
    /// a parse needs grows with this: at 64, up to about 224 KiB in a release build and about
    /// 2 MiB in an unoptimized one.
    pub max_depth: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_statement_bytes: 1 << 20,
            max_depth: 64,
        }
    }
}

/// Parses a script — statements separated by `;`, with an optional trailing `;` and empty
/// statements allowed — under the default [`ParseLimits`]. A script without any statement (empty,
/// or only comments) is `Ok(vec![])`. Spans in the AST are byte offsets into `sql`.
pub fn parse(sql: &str) -> Result<Vec<ast::Statement>, ParseError> {
    parse_with_limits(sql, &ParseLimits::default())
}

/// Like [`parse`], under the given limits.
pub fn parse_with_limits(sql: &str, limits: &ParseLimits) -> Result<Vec<ast::Statement>, ParseError> {
    if sql.len() > limits.max_statement_bytes {
        return Err(ParseError::Invalid {
            line: 1,
            column: 1,
            message: format!(
                "SQL text of {} bytes is longer than the limit of {} bytes",
                sql.len(),
                limits.max_statement_bytes
            ),
        });
    }
    let ctx = Ctx::new(sql, limits);
    match ctx.script(sql) {
        Ok(statements) => Ok(statements),
        Err(nom::Err::Failure(Fail::Fatal { offset, message })) => {
            let (line, column) = line_col(sql, offset);
            Err(ParseError::Invalid { line, column, message })
        }
        Err(_) => Err(ctx.tracker.borrow().to_error(sql)),
    }
}

/// Why a parser did not succeed. Ordinary failures carry nothing: what was expected is recorded in
/// the [`Tracker`] at the position it was expected, and the error is built from the furthest one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fail {
    /// This alternative does not apply; another may (nom's `Err::Error`).
    Backtrack,
    /// The text is wrong whatever the alternative (nom's `Err::Failure`): an unterminated string,
    /// nesting past the limit, an unsupported construct. Becomes [`ParseError::Invalid`].
    Fatal {
        /// Byte offset the message is about.
        offset: usize,
        /// What is wrong.
        message: String,
    },
}

impl<I> nom::error::ParseError<I> for Fail {
    fn from_error_kind(_input: I, _kind: nom::error::ErrorKind) -> Self {
        Fail::Backtrack
    }

    fn append(_input: I, _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

/// The result of every parser here: the rest of the input and the value.
pub(crate) type PResult<'a, T> = nom::IResult<&'a str, T, Fail>;

/// A plain backtracking failure.
pub(crate) fn backtrack<T>() -> Result<T, nom::Err<Fail>> {
    Err(nom::Err::Error(Fail::Backtrack))
}

/// A fatal failure at `offset`.
pub(crate) fn fatal<T>(offset: usize, message: impl Into<String>) -> Result<T, nom::Err<Fail>> {
    Err(nom::Err::Failure(Fail::Fatal {
        offset,
        message: message.into(),
    }))
}

/// The state one parse shares between all its parsers: the whole text (to turn the remaining input
/// into offsets), the limits, the current nesting depth and the furthest-failure tracker.
pub(crate) struct Ctx<'a> {
    /// The whole text; every input a parser sees is a suffix of it.
    src: &'a str,
    /// The deepest nesting allowed.
    max_depth: usize,
    /// The current nesting depth.
    depth: Cell<usize>,
    /// What was expected at the furthest position reached.
    tracker: RefCell<Tracker>,
    /// The last whitespace skip, `(from, to)` byte offsets, so that trying many alternatives at one
    /// position does not rescan a long comment each time.
    ws_cache: Cell<(usize, usize)>,
}

impl<'a> Ctx<'a> {
    fn new(src: &'a str, limits: &ParseLimits) -> Ctx<'a> {
        Ctx {
            src,
            max_depth: limits.max_depth,
            depth: Cell::new(0),
            tracker: RefCell::new(Tracker::default()),
            ws_cache: Cell::new((usize::MAX, 0)),
        }
    }

    /// The byte offset in the whole text at which `rest` starts.
    pub(crate) fn offset(&self, rest: &str) -> usize {
        self.src.len() - rest.len()
    }

    /// Runs `f` one nesting level deeper, failing fatally at `offset` if that passes the limit.
    /// The depth is checked before `f` recurses, so the stack never grows past the limit.
    pub(crate) fn nested<T>(&self, offset: usize, f: impl FnOnce() -> PResult<'a, T>) -> PResult<'a, T> {
        let saved = self.depth.get();
        self.deeper(offset)?;
        let result = f();
        self.depth.set(saved);
        result
    }

    /// Adds one level of nesting (undone by the caller), failing fatally past the limit.
    pub(crate) fn deeper(&self, offset: usize) -> Result<(), nom::Err<Fail>> {
        let depth = self.depth.get() + 1;
        if depth > self.max_depth {
            return fatal(offset, format!("expression nested more than {} levels", self.max_depth));
        }
        self.depth.set(depth);
        Ok(())
    }
}
