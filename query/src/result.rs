//! What a statement returns: named, typed columns and rows of values.

use crate::value::{DataType, Value};

/// A column of a result.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultColumn {
    /// Column name (the alias, or the name PostgreSQL would give).
    pub name: String,
    /// Type of its values.
    pub ty: DataType,
}

/// The rows a statement returned.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResultSet {
    /// The columns.
    pub columns: Vec<ResultColumn>,
    /// The rows, each with one value per column.
    pub rows: Vec<Vec<Value>>,
}

impl ResultSet {
    /// A result with text columns `names` and the given rows.
    pub fn text(names: &[&str], rows: Vec<Vec<Value>>) -> ResultSet {
        ResultSet {
            columns: names
                .iter()
                .map(|n| ResultColumn {
                    name: n.to_string(),
                    ty: DataType::Text,
                })
                .collect(),
            rows,
        }
    }
}
