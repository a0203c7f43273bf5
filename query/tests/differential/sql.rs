//! SQL text in two spellings: what engagedb runs and what DuckDB runs. They differ only where the
//! contract's PostgreSQL semantics need another spelling in DuckDB: integer division (`/` here, `//`
//! there), decimal literals (computed as DOUBLE here; DuckDB would make them DECIMAL), and the default
//! NULL placement of ORDER BY (written out for DuckDB, whose default differs).

use query::time::{format_timestamp, US_PER_DAY};

/// A piece of SQL in both spellings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sql {
    /// engagedb's text.
    pub ours: String,
    /// DuckDB's text.
    pub duck: String,
}

/// Something that can be appended to [`Sql`].
pub trait Part {
    /// Appends `self` to both spellings of `s`.
    fn add_to(self, s: &mut Sql);
}

impl Part for &str {
    fn add_to(self, s: &mut Sql) {
        s.ours.push_str(self);
        s.duck.push_str(self);
    }
}

impl Part for &String {
    fn add_to(self, s: &mut Sql) {
        self.as_str().add_to(s)
    }
}

impl Part for String {
    fn add_to(self, s: &mut Sql) {
        self.as_str().add_to(s)
    }
}

impl Part for &Sql {
    fn add_to(self, s: &mut Sql) {
        s.ours.push_str(&self.ours);
        s.duck.push_str(&self.duck);
    }
}

impl Part for Sql {
    fn add_to(self, s: &mut Sql) {
        (&self).add_to(s)
    }
}

/// Concatenates parts (evaluated left to right) into one [`Sql`].
macro_rules! sql {
    ($($part:expr),* $(,)?) => {{
        let mut s = $crate::sql::Sql::default();
        $( $crate::sql::Part::add_to($part, &mut s); )*
        s
    }};
}

impl Sql {
    /// The same text in both dialects.
    pub fn same(text: impl Into<String>) -> Sql {
        let text = text.into();
        Sql {
            duck: text.clone(),
            ours: text,
        }
    }

    /// Different text per dialect.
    pub fn two(ours: impl Into<String>, duck: impl Into<String>) -> Sql {
        Sql {
            ours: ours.into(),
            duck: duck.into(),
        }
    }

    /// `parts` separated by `sep`.
    pub fn join(parts: &[Sql], sep: &str) -> Sql {
        let mut s = Sql::default();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                sep.add_to(&mut s);
            }
            p.add_to(&mut s);
        }
        s
    }

    /// `(self)`.
    pub fn paren(&self) -> Sql {
        sql!("(", self, ")")
    }
}

/// A string literal.
pub fn text_lit(s: &str) -> Sql {
    Sql::same(format!("'{}'", s.replace('\'', "''")))
}

/// A decimal literal: a DOUBLE in engagedb, cast to DOUBLE for DuckDB (where it would be a DECIMAL).
pub fn double_lit(x: f64) -> Sql {
    let mut t = format!("{x:?}");
    if t.contains('e') {
        t = format!("{x:.6}");
    }
    if x < 0.0 {
        Sql::two(format!("({t})"), format!("CAST({t} AS DOUBLE)"))
    } else {
        Sql::two(t.clone(), format!("CAST({t} AS DOUBLE)"))
    }
}

/// An integer literal (negative ones parenthesized).
pub fn int_lit(i: i64) -> Sql {
    if i < 0 {
        Sql::same(format!("({i})"))
    } else {
        Sql::same(i.to_string())
    }
}

/// `TIMESTAMP '…'`; a midnight may be written date-only when `short`.
pub fn ts_lit(t: i64, short: bool) -> Sql {
    let text = format_timestamp(t);
    if short && t.rem_euclid(US_PER_DAY) == 0 {
        Sql::same(format!("TIMESTAMP '{}'", &text[..10]))
    } else {
        Sql::same(format!("TIMESTAMP '{text}'"))
    }
}

/// Integer division truncating toward zero: `/` in PostgreSQL and engagedb, `//` in DuckDB.
pub fn int_div(a: &Sql, b: &Sql) -> Sql {
    let p = |s: &str| {
        if s.contains(' ') {
            format!("({s})")
        } else {
            s.to_string()
        }
    };
    Sql {
        ours: format!("({} / {})", p(&a.ours), p(&b.ours)),
        duck: format!("({} // {})", p(&a.duck), p(&b.duck)),
    }
}

/// The direction and NULL placement of an ORDER BY item, and whether NULLs come first. `nulls_first`
/// `None` leaves engagedb at its default (PostgreSQL's: NULLs last ascending, first descending) and
/// spells that default out for DuckDB, whose default differs.
pub fn order_suffix(desc: bool, nulls_first: Option<bool>) -> (Sql, bool) {
    let dir = if desc { " DESC" } else { "" };
    let first = nulls_first.unwrap_or(desc);
    let text = if first { " NULLS FIRST" } else { " NULLS LAST" };
    let s = match nulls_first {
        Some(_) => Sql::same(format!("{dir}{text}")),
        None => Sql::two(dir, format!("{dir}{text}")),
    };
    (s, first)
}
