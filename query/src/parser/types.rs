//! Type names in `CAST(x AS type)` and `x::type`, with PostgreSQL's spellings mapped onto the
//! dialect's few types. Length and precision modifiers (`VARCHAR(20)`, `NUMERIC(10, 2)`) are read
//! and ignored: every text is unbounded and every non-integer number is an `f64`.

use nom::multi::separated_list1;
use nom::Parser;

use super::failure::Expected;
use super::lexical::{is_keyword, number, word};
use super::{fatal, Ctx, PResult};
use crate::ast::TypeName;

impl<'a> Ctx<'a> {
    /// A type name: `INTEGER`/`INT`/`INT2`/`INT4`/`INT8`/`BIGINT`/`SMALLINT`, `DOUBLE [PRECISION]`/
    /// `FLOAT[(p)]`/`FLOAT4`/`FLOAT8`/`REAL`/`NUMERIC[(p[, s])]`/`DECIMAL[(p[, s])]`,
    /// `TEXT`/`STRING`/`VARCHAR[(n)]`/`CHAR[(n)]`/`CHARACTER [VARYING][(n)]`,
    /// `TIMESTAMP[(p)] [WITHOUT TIME ZONE]`, `DATE`, `BOOLEAN`/`BOOL`.
    pub(crate) fn type_name(&self, i: &'a str) -> PResult<'a, TypeName> {
        let (t, ()) = self.ws(i)?;
        let Some(w) = word(t) else {
            return self.miss(t, Expected::Thing("a type name"));
        };
        let rest = t.get(w.len()..).unwrap_or_default();
        let (ty, modifiers) = match w.to_ascii_uppercase().as_str() {
            "INTEGER" | "INT" | "INT2" | "INT4" | "INT8" | "BIGINT" | "SMALLINT" => (TypeName::Integer, false),
            "DOUBLE" => {
                let (rest, _) = self.opt_keyword(rest, "PRECISION", Expected::Hidden("PRECISION"))?;
                return Ok((rest, TypeName::Double));
            }
            "FLOAT" | "NUMERIC" | "DECIMAL" => (TypeName::Double, true),
            "FLOAT4" | "FLOAT8" | "REAL" => (TypeName::Double, false),
            "TEXT" | "STRING" => (TypeName::Text, false),
            "VARCHAR" | "CHAR" => (TypeName::Text, true),
            "CHARACTER" => {
                let (rest, _) = self.opt_keyword(rest, "VARYING", Expected::Hidden("VARYING"))?;
                let (rest, ()) = self.modifiers(rest)?;
                return Ok((rest, TypeName::Text));
            }
            "TIMESTAMP" => {
                let (rest, ()) = self.modifiers(rest)?;
                return self.time_zone(rest);
            }
            "DATE" => (TypeName::Date, false),
            "BOOLEAN" | "BOOL" => (TypeName::Boolean, false),
            _ => return self.miss(t, Expected::Thing("a type name")),
        };
        if modifiers {
            let (rest, ()) = self.modifiers(rest)?;
            return Ok((rest, ty));
        }
        Ok((rest, ty))
    }

    /// Optional `(n[, m])` after a type name; the numbers must be non-negative integers.
    fn modifiers(&self, i: &'a str) -> PResult<'a, ()> {
        let (t, ()) = self.ws(i)?;
        let Some(inside) = t.strip_prefix('(') else {
            return Ok((i, ()));
        };
        let integer = |i: &'a str| -> PResult<'a, ()> {
            let (t, ()) = self.ws(i)?;
            match number(t) {
                Some((text, true)) => Ok((t.get(text.len()..).unwrap_or_default(), ())),
                _ => self.miss(t, Expected::Thing("an integer")),
            }
        };
        let (rest, _) = separated_list1(|i| self.punct(i, ","), integer).parse(inside)?;
        let (rest, _) = self.punct(rest, ")")?;
        Ok((rest, ()))
    }

    /// `[WITHOUT TIME ZONE]` after `TIMESTAMP`; `WITH TIME ZONE` is not supported.
    fn time_zone(&self, i: &'a str) -> PResult<'a, TypeName> {
        let (t, ()) = self.ws(i)?;
        if is_keyword(t, "WITH") {
            return fatal(self.offset(t), "TIMESTAMP WITH TIME ZONE is not supported");
        }
        let (rest, without) = self.opt_keyword(t, "WITHOUT", Expected::Hidden("WITHOUT"))?;
        if without.is_none() {
            return Ok((i, TypeName::Timestamp));
        }
        let (rest, _) = self.keyword(rest, "TIME")?;
        let (rest, _) = self.keyword(rest, "ZONE")?;
        Ok((rest, TypeName::Timestamp))
    }
}
