//! The lexical layer: whitespace and comments, words (keywords and identifiers), literals and
//! punctuation. Every `Ctx` method here skips the whitespace before its token and records what it
//! expected when the token is not there; the free functions look at a token without consuming it.

use nom::branch::alt;
use nom::bytes::complete::{is_not, tag, take_while, take_while1};
use nom::character::complete::{char, digit1, one_of};
use nom::combinator::{opt, recognize, value};
use nom::multi::fold_many0;
use nom::sequence::preceded;
use nom::{IResult, Parser};

use super::failure::Expected;
use super::{backtrack, fatal, Ctx, Fail, PResult};
use crate::ast::{Ident, Literal, Span};

/// Words that cannot be used as bare identifiers (column, table or alias names) because they
/// would make the grammar ambiguous: PostgreSQL's reserved words, plus the clause words of this
/// dialect (`BY`, `NULLS`, `FILTER`, `OVER`, `EXPLAIN`, …). Sorted, upper case. Quoting
/// (`"order"`) makes any of them an identifier.
const RESERVED: &[&str] = &[
    "ALL",
    "AND",
    "ANY",
    "ARRAY",
    "AS",
    "ASC",
    "BETWEEN",
    "BOTH",
    "BY",
    "CASE",
    "CAST",
    "CHECK",
    "COLLATE",
    "COLUMN",
    "CONSTRAINT",
    "CREATE",
    "CROSS",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "CURRENT_USER",
    "DEFAULT",
    "DESC",
    "DISTINCT",
    "DO",
    "ELSE",
    "END",
    "EXCEPT",
    "EXISTS",
    "EXPLAIN",
    "FALSE",
    "FETCH",
    "FILTER",
    "FOR",
    "FOREIGN",
    "FROM",
    "FULL",
    "GRANT",
    "GROUP",
    "HAVING",
    "ILIKE",
    "IN",
    "INNER",
    "INTERSECT",
    "INTO",
    "IS",
    "ISNULL",
    "JOIN",
    "LATERAL",
    "LEADING",
    "LEFT",
    "LIKE",
    "LIMIT",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "NATURAL",
    "NOT",
    "NOTNULL",
    "NULL",
    "NULLS",
    "OFFSET",
    "ON",
    "ONLY",
    "OR",
    "ORDER",
    "OUTER",
    "OVER",
    "PRIMARY",
    "REFERENCES",
    "RETURNING",
    "RIGHT",
    "SELECT",
    "SIMILAR",
    "SOME",
    "SYMMETRIC",
    "TABLE",
    "THEN",
    "TO",
    "TRAILING",
    "TRUE",
    "UNION",
    "UNIQUE",
    "USER",
    "USING",
    "VARIADIC",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
];

/// Whether `word` (any case) is reserved.
pub(crate) fn is_reserved(word: &str) -> bool {
    let mut upper = [0u8; 20];
    if word.len() > upper.len() || !word.is_ascii() {
        return false;
    }
    for (dst, src) in upper.iter_mut().zip(word.bytes()) {
        *dst = src.to_ascii_uppercase();
    }
    let upper = upper.get(..word.len()).unwrap_or_default();
    RESERVED.binary_search_by(|k| k.as_bytes().cmp(upper)).is_ok()
}

/// Whether `c` can start a word. Non-ASCII letters are accepted here so that a word such as
/// `évents` is read whole and rejected with a clear message, rather than split.
pub(crate) fn is_word_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || (!c.is_ascii() && c.is_alphabetic())
}

/// Whether `c` can continue a word.
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$' || (!c.is_ascii() && c.is_alphanumeric())
}

/// The word (keyword or unquoted identifier) at the start of `t`, if any.
pub(crate) fn word(t: &str) -> Option<&str> {
    if !t.chars().next().is_some_and(is_word_start) {
        return None;
    }
    let scanned: IResult<&str, &str, Fail> = take_while1(is_word_char).parse(t);
    scanned.ok().map(|(_, w)| w)
}

/// Whether `t` starts with the keyword `kw` (upper case) as a whole word.
pub(crate) fn is_keyword(t: &str, kw: &str) -> bool {
    word(t).is_some_and(|w| w.eq_ignore_ascii_case(kw))
}

/// A numeric literal at the start of `t`: its text, and whether it is a plain integer (digits only).
/// `None` if there is none, or if it runs into a letter (`12abc`), which PostgreSQL rejects too.
pub(crate) fn number(t: &str) -> Option<(&str, bool)> {
    let exponent = || (one_of("eE"), opt(one_of("+-")), digit1);
    // Not `digit0`: in nom 8.0.0 it returns, at the end of a `&str`, a rest that points at the
    // start of its input, so `recognize` would drop the digits of `1.5` at the end of the text.
    let digit0 = take_while(|c: char| c.is_ascii_digit());
    let scanned: IResult<&str, &str, Fail> = recognize(alt((
        recognize((digit1, opt((char('.'), digit0)), opt(exponent()))),
        recognize((char('.'), digit1, opt(exponent()))),
    )))
    .parse(t);
    let (rest, text) = scanned.ok()?;
    if rest.chars().next().is_some_and(is_word_char) {
        return None;
    }
    Some((text, text.bytes().all(|b| b.is_ascii_digit())))
}

/// The literal for an unsigned numeric token: an `i64` if it is an integer that fits, else its text.
pub(crate) fn numeric_literal(text: &str, integer: bool) -> Literal {
    match text.parse::<i64>() {
        Ok(n) if integer => Literal::Integer(n),
        _ => Literal::Decimal(text.to_string()),
    }
}

/// The body of a literal quoted with `q` (`'` or `"`) at the start of `t`, with doubled quotes
/// unescaped, and the rest after the closing quote; `None` if it is not closed.
fn quoted(t: &str, q: char) -> Option<(&str, String)> {
    let (one, two) = if q == '\'' { ("'", "''") } else { ("\"", "\"\"") };
    let scanned: IResult<&str, String, Fail> = preceded(
        char(q),
        fold_many0(
            alt((is_not(one), value(one, tag(two)))),
            String::new,
            |mut body, piece| {
                body.push_str(piece);
                body
            },
        ),
    )
    .parse(t);
    let (rest, body) = scanned.ok()?;
    let rest = rest.strip_prefix(q)?;
    Some((rest, body))
}

/// Skips whitespace and comments at the start of `t`. `Err` carries the unterminated `/*`'s
/// position within `t`.
fn skip_whitespace(mut t: &str) -> Result<&str, usize> {
    let len = t.len();
    loop {
        t = t.trim_start();
        let line_comment: IResult<&str, &str, Fail> = preceded(tag("--"), take_while(|c| c != '\n')).parse(t);
        if let Ok((rest, _)) = line_comment {
            t = rest;
        } else if t.starts_with("/*") {
            t = block_comment_end(t).ok_or(len - t.len())?;
        } else {
            return Ok(t);
        }
    }
}

/// The text after the (possibly nested, as in PostgreSQL) block comment that `t` starts with.
fn block_comment_end(t: &str) -> Option<&str> {
    let bytes = t.as_bytes();
    let mut depth = 0usize;
    let mut k = 0;
    while let (Some(&a), Some(&b)) = (bytes.get(k), bytes.get(k + 1)) {
        if a == b'/' && b == b'*' {
            depth += 1;
            k += 2;
        } else if a == b'*' && b == b'/' {
            depth -= 1;
            k += 2;
            if depth == 0 {
                return t.get(k..);
            }
        } else {
            k += 1;
        }
    }
    None
}

impl<'a> Ctx<'a> {
    /// Skips whitespace, `-- line` comments and `/* block */` comments (nested, as in PostgreSQL).
    /// An unterminated block comment is fatal, pointing at its `/*`.
    pub(crate) fn ws(&self, i: &'a str) -> PResult<'a, ()> {
        let start = self.offset(i);
        let (from, to) = self.ws_cache.get();
        if from == start {
            if let Some(rest) = self.src.get(to..) {
                return Ok((rest, ()));
            }
        }
        match skip_whitespace(i) {
            Ok(rest) => {
                self.ws_cache.set((start, self.offset(rest)));
                Ok((rest, ()))
            }
            Err(at) => fatal(start + at, "unterminated /* comment"),
        }
    }

    /// Records that `e` was expected where `t` starts.
    pub(crate) fn note(&self, t: &str, e: Expected) {
        self.tracker.borrow_mut().expect(self.offset(t), e);
    }

    /// Records that `e` was expected where `t` starts, and backtracks.
    pub(crate) fn miss<T>(&self, t: &str, e: Expected) -> PResult<'a, T> {
        self.note(t, e);
        backtrack()
    }

    /// The keyword `kw` (upper case), listed as itself when missing.
    pub(crate) fn keyword(&self, i: &'a str, kw: &'static str) -> PResult<'a, Span> {
        self.keyword_as(i, kw, Expected::Keyword(kw))
    }

    /// The keyword `kw`, recording `e` when missing.
    pub(crate) fn keyword_as(&self, i: &'a str, kw: &'static str, e: Expected) -> PResult<'a, Span> {
        let (t, ()) = self.ws(i)?;
        if !is_keyword(t, kw) {
            return self.miss(t, e);
        }
        let start = self.offset(t);
        Ok((
            t.get(kw.len()..).unwrap_or_default(),
            Span::new(start, start + kw.len()),
        ))
    }

    /// The keyword `kw` if it is next (after whitespace); records `e` if it is not.
    pub(crate) fn opt_keyword(&self, i: &'a str, kw: &'static str, e: Expected) -> PResult<'a, Option<Span>> {
        match self.keyword_as(i, kw, e) {
            Ok((rest, span)) => Ok((rest, Some(span))),
            Err(nom::Err::Error(_)) => Ok((i, None)),
            Err(other) => Err(other),
        }
    }

    /// The punctuation `p` (one of `( ) , . ; *` or `::`), listed quoted when missing.
    pub(crate) fn punct(&self, i: &'a str, p: &'static str) -> PResult<'a, Span> {
        let (t, ()) = self.ws(i)?;
        let matched: IResult<&str, &str, Fail> = tag(p).parse(t);
        match matched {
            Ok((rest, _)) => {
                let start = self.offset(t);
                Ok((rest, Span::new(start, start + p.len())))
            }
            Err(_) => self.miss(t, Expected::Punct(p)),
        }
    }

    /// An identifier: a double-quoted name (case kept, `""` for `"`), or a bare word folded to lower
    /// case that is ASCII and — unless `any_word` (a column label after `AS`, a name after `.`) — not
    /// reserved. Records `what` (e.g. `a table name`) when there is none.
    pub(crate) fn ident(&self, i: &'a str, what: Expected, any_word: bool) -> PResult<'a, Ident> {
        let (t, ()) = self.ws(i)?;
        let start = self.offset(t);
        if t.starts_with('"') {
            return self.quoted_ident(t);
        }
        match word(t) {
            Some(w) if w.is_ascii() && (any_word || !is_reserved(w)) => {
                let span = Span::new(start, start + w.len());
                let ident = Ident {
                    value: w.to_ascii_lowercase(),
                    quoted: false,
                    span,
                };
                Ok((t.get(w.len()..).unwrap_or_default(), ident))
            }
            _ => self.miss(t, what),
        }
    }

    /// A double-quoted identifier at the start of `t` (which starts with `"`).
    pub(crate) fn quoted_ident(&self, t: &'a str) -> PResult<'a, Ident> {
        let start = self.offset(t);
        let Some((rest, value)) = quoted(t, '"') else {
            return fatal(start, "unterminated quoted identifier");
        };
        if value.is_empty() {
            return fatal(start, "zero-length quoted identifier");
        }
        if value.contains('\0') {
            return fatal(start, "quoted identifier contains a NUL character");
        }
        Ok((
            rest,
            Ident {
                value,
                quoted: true,
                span: Span::new(start, self.offset(rest)),
            },
        ))
    }

    /// A `'string'` literal (`''` stands for `'`), recording `a string literal` when there is none.
    /// An unterminated one is fatal, pointing at its opening quote.
    pub(crate) fn string(&self, i: &'a str) -> PResult<'a, (String, Span)> {
        let (t, ()) = self.ws(i)?;
        if !t.starts_with('\'') {
            return self.miss(t, Expected::Thing("a string literal"));
        }
        let start = self.offset(t);
        match quoted(t, '\'') {
            Some((rest, body)) => Ok((rest, (body, Span::new(start, self.offset(rest))))),
            None => fatal(start, "unterminated string literal"),
        }
    }
}

/// What stands at `offset` of `src`, rendered for an error message: the token quoted as written
/// (`'FORM'`, `')'`, `'12abc'`, `string 'abc'`), cut to about 30 characters, or `end of input`;
/// and the bare word, if the token is one.
pub(crate) fn found_at(src: &str, offset: usize) -> (String, Option<&str>) {
    let t = src.get(offset..).unwrap_or_default();
    let Some(first) = t.chars().next() else {
        return ("end of input".to_string(), None);
    };
    let numeric = first.is_ascii_digit()
        || (first == '.' && t.get(1..).is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit())));
    let (text, bare) = if numeric {
        let len = t.find(|c: char| !(is_word_char(c) || c == '.')).unwrap_or(t.len());
        (t.get(..len).unwrap_or(t), None)
    } else if let Some(w) = word(t) {
        (w, Some(w))
    } else if first == '\'' || first == '"' {
        let len = quoted(t, first).map_or(t.len(), |(rest, _)| t.len() - rest.len());
        (t.get(..len).unwrap_or(t), None)
    } else if let Some(op) = ["<>", "<=", ">=", "!=", "||", "::"]
        .into_iter()
        .find(|op| t.starts_with(op))
    {
        (op, None)
    } else {
        (t.get(..first.len_utf8()).unwrap_or(t), None)
    };
    let mut shown = String::new();
    for c in text.chars().take(30) {
        if c.is_control() {
            shown.extend(c.escape_debug());
        } else {
            shown.push(c);
        }
    }
    if text.chars().nth(30).is_some() {
        shown.push('…');
    }
    let rendered = if first == '\'' {
        format!("string {shown}")
    } else {
        format!("'{shown}'")
    };
    (rendered, bare)
}

/// The offset of the first token at or after `offset` (past whitespace and comments); `offset`
/// itself if a comment there is unterminated.
pub(crate) fn skip_to_token(src: &str, offset: usize) -> usize {
    let t = src.get(offset..).unwrap_or_default();
    skip_whitespace(t).map_or(offset, |rest| src.len() - rest.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(number("1.5 x"), Some(("1.5", false)));
        assert_eq!(number(".5"), Some((".5", false)));
        assert_eq!(number("12"), Some(("12", true)));
        assert_eq!(number("1e3"), Some(("1e3", false)));
        assert_eq!(number("1.5E-3)"), Some(("1.5E-3", false)));
        assert_eq!(number("1.5"), Some(("1.5", false)));
        assert_eq!(number("1."), Some(("1.", false)));
        assert_eq!(number("12abc"), None);
        assert_eq!(number("1e"), None);
    }
}
