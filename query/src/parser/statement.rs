//! Statements and scripts: `SELECT …`, `EXPLAIN SELECT …`, `SHOW TABLES`, `DESCRIBE t` / `DESC t`,
//! separated by `;`, and clear refusals of the statements engagedb does not run.

use super::failure::Expected;
use super::lexical::{is_keyword, word};
use super::{backtrack, fatal, Ctx, Fail, PResult};
use crate::ast::Statement;

/// Statements that engagedb does not run, named in the error.
const UNSUPPORTED: &[&str] = &[
    "ALTER", "ANALYZE", "BEGIN", "CALL", "COMMIT", "COPY", "CREATE", "DELETE", "DROP", "GRANT", "INSERT", "MERGE",
    "REVOKE", "ROLLBACK", "SET", "TABLE", "TRUNCATE", "UPDATE", "VALUES",
];

impl<'a> Ctx<'a> {
    /// A whole script: statements separated by `;`, empty statements allowed.
    pub(crate) fn script(&self, sql: &'a str) -> Result<Vec<Statement>, nom::Err<Fail>> {
        let mut statements = Vec::new();
        let mut i = sql;
        loop {
            let (t, ()) = self.ws(i)?;
            if t.is_empty() {
                return Ok(statements);
            }
            if let Some(rest) = t.strip_prefix(';') {
                i = rest;
                continue;
            }
            let (rest, statement) = self.statement(t)?;
            statements.push(statement);
            let (t, ()) = self.ws(rest)?;
            if t.is_empty() {
                return Ok(statements);
            }
            i = self.punct(t, ";")?.0;
        }
    }

    /// One statement at `t`.
    fn statement(&self, t: &'a str) -> PResult<'a, Statement> {
        let w = word(t).map(str::to_ascii_uppercase).unwrap_or_default();
        let after = t.get(w.len()..).unwrap_or_default();
        match w.as_str() {
            "SELECT" => {
                let (rest, query) = self.query(t)?;
                Ok((rest, Statement::Query(query)))
            }
            "EXPLAIN" => {
                let (q, ()) = self.ws(after)?;
                if ["ANALYZE", "VERBOSE"].iter().any(|kw| is_keyword(q, kw)) {
                    let option = word(q).map(str::to_ascii_uppercase).unwrap_or_default();
                    return fatal(self.offset(q), format!("EXPLAIN {option} is not supported"));
                }
                let (rest, query) = self.query(q)?;
                Ok((rest, Statement::Explain(query)))
            }
            "SHOW" => {
                let (rest, _) = self.keyword(after, "TABLES")?;
                Ok((rest, Statement::ShowTables))
            }
            "DESCRIBE" | "DESC" => {
                let (rest, table) = self.ident(after, Expected::Thing("a table name"), false)?;
                Ok((rest, Statement::Describe(table)))
            }
            "WITH" => fatal(self.offset(t), "WITH (common table expressions) is not supported"),
            other if UNSUPPORTED.contains(&other) => fatal(
                self.offset(t),
                format!("{other} is not supported: engagedb runs SELECT, EXPLAIN, SHOW TABLES and DESCRIBE"),
            ),
            _ => {
                for kw in ["SELECT", "EXPLAIN", "SHOW", "DESCRIBE"] {
                    self.note(t, Expected::Keyword(kw));
                }
                backtrack()
            }
        }
    }
}
