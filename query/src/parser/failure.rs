//! Furthest-failure tracking: what the grammar expected at the furthest position any alternative
//! reached, and how that becomes a [`ParseError`] a person can act on (`expected FROM, found 'FORM'
//! at 1:17`), including the guess that an unexpected word is a misspelled keyword.

use super::lexical::{found_at, is_reserved, skip_to_token};
use crate::ast::Span;
use crate::error::{line_col, ParseError};

/// One thing the grammar would have accepted at a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expected {
    /// A keyword or keyword phrase, listed as written (`FROM`, `GROUP BY`).
    Keyword(&'static str),
    /// A keyword that is possible here but not worth listing (operators such as `AND`, optional
    /// words such as `AS` or `ASC`): used only to recognise a misspelling of it.
    Hidden(&'static str),
    /// Punctuation, listed quoted (`')'`).
    Punct(&'static str),
    /// A category, listed in words (`an expression`, `a table name`).
    Thing(&'static str),
}

impl Expected {
    /// How it reads in a message, if it is listed at all.
    fn listed(self) -> Option<String> {
        match self {
            Expected::Keyword(k) | Expected::Thing(k) => Some(k.to_string()),
            Expected::Punct(p) => Some(format!("'{p}'")),
            Expected::Hidden(_) => None,
        }
    }

    /// The keyword phrase, if it is one (listed or not).
    fn keyword(self) -> Option<&'static str> {
        match self {
            Expected::Keyword(k) | Expected::Hidden(k) => Some(k),
            Expected::Punct(_) | Expected::Thing(_) => None,
        }
    }
}

/// An alias that may really be a misspelled or misplaced keyword: written without `AS`
/// (`count(*) FORM events` reads `FORM` as an alias), or a reserved word after `AS`.
#[derive(Debug, Clone, Copy)]
struct Alias {
    span: Span,
    reserved: bool,
}

/// The furthest position at which something was expected and did not come, with everything that
/// was expected there (in the order the grammar tried it), and the aliases seen on the way.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    offset: usize,
    expected: Vec<Expected>,
    aliases: Vec<Alias>,
}

impl Tracker {
    /// Records that `e` was expected at byte `offset`; only the furthest offset is kept.
    pub(crate) fn expect(&mut self, offset: usize, e: Expected) {
        if offset > self.offset {
            self.offset = offset;
            self.expected.clear();
        }
        if offset == self.offset && !self.expected.contains(&e) {
            self.expected.push(e);
        }
    }

    /// Records an alias written without `AS` (`reserved` false) or a reserved word used as an alias
    /// after `AS` (`reserved` true), in case the parse fails right after it.
    pub(crate) fn alias(&mut self, span: Span, reserved: bool) {
        self.aliases.push(Alias { span, reserved });
    }

    /// The error for a parse that failed: at the furthest position, what was expected there and
    /// what was found instead.
    pub(crate) fn to_error(&self, src: &str) -> ParseError {
        let at = self.offset;
        // `SELECT count(*) FORM events` fails at `events`, but the mistake is `FORM`.
        for alias in self.aliases.iter().rev() {
            if skip_to_token(src, alias.span.end) != at {
                continue;
            }
            let written = src.get(alias.span.start..alias.span.end).unwrap_or_default();
            let expected = if alias.reserved {
                Some("an alias".to_string())
            } else {
                self.misspelled(written)
            };
            if let Some(expected) = expected {
                return unexpected(src, alias.span.start, expected, format!("'{written}'"));
            }
        }
        let (found, word) = found_at(src, at);
        if let Some(word) = word.filter(|w| !w.is_ascii()) {
            let (line, column) = line_col(src, at);
            return ParseError::Invalid {
                line,
                column,
                message: format!("identifier '{word}' has non-ASCII characters; write it in double quotes"),
            };
        }
        let expected = word
            .filter(|w| !is_reserved(w))
            .and_then(|w| self.misspelled(w))
            .unwrap_or_else(|| self.listed());
        unexpected(src, at, expected, found)
    }

    /// Everything listed as expected, as `a, b or c`.
    fn listed(&self) -> String {
        let mut items: Vec<String> = Vec::new();
        for item in self.expected.iter().filter_map(|e| e.listed()) {
            if !items.contains(&item) {
                items.push(item);
            }
        }
        join_or(&items).unwrap_or_else(|| "a valid continuation".to_string())
    }

    /// The expected keyword(s) that `word` is most likely a misspelling of, if any is close enough.
    fn misspelled(&self, word: &str) -> Option<String> {
        let upper = word.to_ascii_uppercase();
        let mut best: Vec<String> = Vec::new();
        let mut best_distance = usize::MAX;
        for phrase in self.expected.iter().filter_map(|e| e.keyword()) {
            let first = phrase.split(' ').next().unwrap_or(phrase);
            let Some(distance) = typo_distance(&upper, first) else {
                continue;
            };
            if distance < best_distance {
                best_distance = distance;
                best.clear();
            }
            if distance == best_distance && !best.iter().any(|b| b == phrase) {
                best.push(phrase.to_string());
            }
        }
        join_or(&best)
    }
}

/// The edit distance between `word` and `keyword` (both upper case) if `word` plausibly is a typo of
/// `keyword`: one edit for keywords of up to five letters, two for longer ones; keywords of one or
/// two letters are never guessed (too many short words are one edit from them).
fn typo_distance(word: &str, keyword: &str) -> Option<usize> {
    let max = match keyword.len() {
        0..=2 => return None,
        3..=5 => 1,
        _ => 2,
    };
    if word.len() < 2 || word.len() > 20 || word.len().abs_diff(keyword.len()) > max {
        return None;
    }
    let distance = osa_distance(word.as_bytes(), keyword.as_bytes());
    (distance >= 1 && distance <= max).then_some(distance)
}

/// Optimal-string-alignment distance: insertions, deletions, substitutions and transpositions of
/// adjacent letters (`FORM` is one edit from `FROM`).
fn osa_distance(a: &[u8], b: &[u8]) -> usize {
    let width = b.len() + 1;
    let mut rows = vec![vec![0usize; width]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        if let Some(first) = row.first_mut() {
            *first = i;
        }
    }
    if let Some(top) = rows.first_mut() {
        for (j, cell) in top.iter_mut().enumerate() {
            *cell = j;
        }
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let (ai, bj) = (a[i - 1], b[j - 1]);
            let cost = usize::from(ai != bj);
            let mut d = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && ai == b[j - 2] && a[i - 2] == bj {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows[a.len()][b.len()]
}

/// `a`, `a or b`, `a, b or c`; `None` for no items.
fn join_or(items: &[String]) -> Option<String> {
    let (last, rest) = items.split_last()?;
    if rest.is_empty() {
        return Some(last.clone());
    }
    Some(format!("{} or {last}", rest.join(", ")))
}

/// A [`ParseError::Unexpected`] at byte `offset`.
fn unexpected(src: &str, offset: usize, expected: String, found: String) -> ParseError {
    let (line, column) = line_col(src, offset);
    ParseError::Unexpected {
        line,
        column,
        expected,
        found,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typo_distance_accepts_near_misses_only() {
        assert_eq!(typo_distance("FORM", "FROM"), Some(1));
        assert_eq!(typo_distance("WEHRE", "WHERE"), Some(1));
        assert_eq!(typo_distance("GRUOP", "GROUP"), Some(1));
        assert_eq!(typo_distance("ODRER", "ORDER"), Some(1));
        assert_eq!(typo_distance("SELCT", "SELECT"), Some(1));
        assert_eq!(typo_distance("DESCRIBR", "DESCRIBE"), Some(1));
        assert_eq!(typo_distance("FROM", "FROM"), None);
        assert_eq!(typo_distance("X", "BY"), None);
        assert_eq!(typo_distance("EVENTS", "FROM"), None);
        assert_eq!(typo_distance("FOO", "FROM"), None);
    }

    #[test]
    fn lists_read_naturally() {
        let items = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(join_or(&[]), None);
        assert_eq!(join_or(&items(&["FROM"])).as_deref(), Some("FROM"));
        assert_eq!(join_or(&items(&["','", "')'"])).as_deref(), Some("',' or ')'"));
        assert_eq!(join_or(&items(&["a", "b", "c"])).as_deref(), Some("a, b or c"));
    }
}
