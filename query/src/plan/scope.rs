//! Name resolution: the columns visible at a point of a query (with their table qualifiers) and the
//! lookup of `name` / `qualifier.name`, with errors that list what is valid and suggest near misses.

use crate::value::DataType;

/// One visible column: position in the plan node's output, qualifier (table alias or name) and type.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeColumn {
    /// Table alias, or the table name when not aliased; `None` for an unaliased derived table.
    pub qualifier: Option<String>,
    /// Column name.
    pub name: String,
    /// Type.
    pub ty: DataType,
}

/// The columns of a `FROM` clause, in plan output order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    /// Visible columns; index = position in the plan's output.
    pub columns: Vec<ScopeColumn>,
}

/// Why a name did not resolve.
#[derive(Debug, Clone, PartialEq)]
pub enum Unresolved {
    /// No column has this name (under this qualifier); the payload lists the valid names and a suggestion.
    Unknown {
        /// What is valid here.
        valid: String,
        /// A near miss, if any.
        suggestion: Option<String>,
    },
    /// The qualifier names no table in scope.
    UnknownQualifier {
        /// The tables in scope.
        valid: String,
    },
    /// Several columns match.
    Ambiguous {
        /// The qualified candidates.
        candidates: String,
    },
}

impl Scope {
    /// Appends the columns of a table or derived table under `qualifier`.
    pub fn add_table(&mut self, qualifier: Option<&str>, columns: impl IntoIterator<Item = (String, DataType)>) {
        for (name, ty) in columns {
            self.columns.push(ScopeColumn {
                qualifier: qualifier.map(str::to_string),
                name,
                ty,
            });
        }
    }

    /// Resolves `[qualifier.]name` to its position and type.
    pub fn resolve(&self, qualifier: Option<&str>, name: &str) -> Result<(usize, DataType), Unresolved> {
        if let Some(q) = qualifier {
            if !self.columns.iter().any(|c| c.qualifier.as_deref() == Some(q)) {
                return Err(Unresolved::UnknownQualifier {
                    valid: self.qualifiers(),
                });
            }
        }
        let matches: Vec<usize> = (0..self.columns.len())
            .filter(|&i| {
                let c = &self.columns[i];
                c.name == name && (qualifier.is_none() || c.qualifier.as_deref() == qualifier)
            })
            .collect();
        match matches.as_slice() {
            [i] => Ok((*i, self.columns[*i].ty)),
            [] => {
                let names: Vec<String> = self
                    .columns
                    .iter()
                    .filter(|c| qualifier.is_none() || c.qualifier.as_deref() == qualifier)
                    .map(|c| self.display_name(c, qualifier.is_some()))
                    .collect();
                let suggestion = closest(name, self.columns.iter().map(|c| c.name.as_str()));
                let valid = if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                };
                Err(Unresolved::Unknown { valid, suggestion })
            }
            many => Err(Unresolved::Ambiguous {
                candidates: many
                    .iter()
                    .map(|&i| self.display_name(&self.columns[i], true))
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// Positions of the columns of `qualifier` (all columns for `None`), for `*` and `q.*`.
    pub fn columns_of(&self, qualifier: Option<&str>) -> Vec<usize> {
        (0..self.columns.len())
            .filter(|&i| qualifier.is_none() || self.columns[i].qualifier.as_deref() == qualifier)
            .collect()
    }

    /// The distinct qualifiers in scope, comma-separated.
    pub fn qualifiers(&self) -> String {
        let mut q: Vec<&str> = Vec::new();
        for c in &self.columns {
            if let Some(name) = c.qualifier.as_deref() {
                if !q.contains(&name) {
                    q.push(name);
                }
            }
        }
        if q.is_empty() {
            "none".into()
        } else {
            q.join(", ")
        }
    }

    fn display_name(&self, c: &ScopeColumn, force_qualified: bool) -> String {
        let several_tables = self.columns.iter().any(|o| o.qualifier != c.qualifier);
        match &c.qualifier {
            Some(q) if several_tables || force_qualified => format!("{q}.{}", c.name),
            _ => c.name.clone(),
        }
    }
}

/// The candidate closest to `name` by edit distance, if it is close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(name, c);
        if d <= (name.len().max(2) / 3).max(1) && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c.to_string())
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_qualified_and_reports_ambiguity() {
        let mut s = Scope::default();
        s.add_table(
            Some("e"),
            [("id".into(), DataType::Text), ("school".into(), DataType::Text)],
        );
        s.add_table(
            Some("o"),
            [("id".into(), DataType::Text), ("name".into(), DataType::Text)],
        );
        assert_eq!(s.resolve(Some("o"), "id"), Ok((2, DataType::Text)));
        assert_eq!(s.resolve(None, "name"), Ok((3, DataType::Text)));
        assert!(matches!(s.resolve(None, "id"), Err(Unresolved::Ambiguous { .. })));
        assert!(matches!(
            s.resolve(Some("x"), "id"),
            Err(Unresolved::UnknownQualifier { .. })
        ));
        match s.resolve(None, "shool") {
            Err(Unresolved::Unknown { suggestion, valid }) => {
                assert_eq!(suggestion.as_deref(), Some("school"));
                assert_eq!(valid, "e.id, e.school, o.id, o.name");
            }
            other => panic!("{other:?}"),
        }
    }
}
