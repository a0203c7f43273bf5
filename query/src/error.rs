//! Errors of the query layer, one type per phase: parsing, planning (names and types), execution.
//! Every user-caused error says where (line:column) or what (the valid names) — nothing panics.

use crate::ast::Span;

/// A statement could not be parsed. Lines and columns are 1-based; columns count characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The text did not continue as the grammar requires: `expected FROM, found 'FORM' at 1:17`.
    #[error("expected {expected}, found {found} at {line}:{column}")]
    Unexpected {
        /// 1-based line.
        line: usize,
        /// 1-based column (in characters).
        column: usize,
        /// What the grammar allows here, e.g. `FROM`, `an expression`, `',' or ')'`.
        expected: String,
        /// What is there: the quoted token (`'FORM'`) or `end of input`.
        found: String,
    },
    /// The text is well-formed but not acceptable: an out-of-range number, nesting deeper than the
    /// limit, a statement longer than the limit, an unterminated string or comment.
    #[error("{message} at {line}:{column}")]
    Invalid {
        /// 1-based line.
        line: usize,
        /// 1-based column (in characters).
        column: usize,
        /// What is wrong.
        message: String,
    },
}

impl ParseError {
    /// The 1-based line and column the error points at.
    pub fn position(&self) -> (usize, usize) {
        match self {
            ParseError::Unexpected { line, column, .. } | ParseError::Invalid { line, column, .. } => (*line, *column),
        }
    }
}

/// The 1-based line and character column of byte offset `offset` in `text` (clamped to the text).
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Formats "at L:C" for a span of `text`.
pub fn at(text: &str, span: Span) -> String {
    let (l, c) = line_col(text, span.start);
    format!("at {l}:{c}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_lines_and_characters() {
        let text = "SELECT *\nFROM évents\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 7), (1, 8));
        assert_eq!(line_col(text, 9), (2, 1));
        // 'é' is two bytes but one column.
        let after_e = text.find("vents").unwrap();
        assert_eq!(line_col(text, after_e), (2, 7));
        assert_eq!(line_col(text, 10_000), (3, 1));
    }
}
