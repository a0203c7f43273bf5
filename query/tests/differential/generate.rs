//! The query generator: deterministic (seeded), well-typed queries over a district's tables in the
//! grammar of `shared/queries/README.md`, in random combinations. Literals come from the district's
//! own values (so predicates select something) and sometimes from values that are absent.
//!
//! A query is built over a [`Source`] — a FROM clause and the columns it makes visible: `events`,
//! `events` joined with roster tables, roster tables alone, or a derived table — by one of a few
//! templates (grouped, global aggregate, plain rows, DISTINCT, constants). Every template records
//! how its rows must be compared ([`Order`]).

use query::time::{US_PER_DAY, US_PER_HOUR, US_PER_SECOND};
use query::Value;

use crate::compare::{Order, SortKey};
use crate::district::Sample;
use crate::rng::Rng;
use crate::sql::{double_lit, int_div, int_lit, order_suffix, text_lit, ts_lit, Sql};

/// The type of a generated expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// TEXT
    Text,
    /// BIGINT
    Int,
    /// DOUBLE
    Double,
    /// TIMESTAMP
    Ts,
    /// BOOLEAN
    Bool,
}

/// An expression: its text, type, and (for a plain column) where to sample its values.
#[derive(Debug, Clone)]
pub struct Expr {
    /// The text.
    pub sql: Sql,
    /// Its type.
    pub ty: Ty,
    /// `table.column` whose values it takes, for literals to compare it with.
    pub sample: Option<String>,
}

/// A column visible in a FROM clause.
#[derive(Debug, Clone)]
pub struct SCol {
    /// As written in the query (`app`, `e.app`, `t.d1`).
    pub name: String,
    /// Type.
    pub ty: Ty,
    /// `table.column` of the values, if known.
    pub sample: Option<String>,
    /// Relative chance of being picked.
    pub weight: u32,
}

impl SCol {
    fn expr(&self) -> Expr {
        Expr {
            sql: Sql::same(&self.name),
            ty: self.ty,
            sample: self.sample.clone(),
        }
    }
}

/// A FROM clause and what it makes visible.
#[derive(Debug, Clone)]
pub struct Source {
    /// The FROM clause (without `FROM`).
    pub from: Sql,
    /// The visible columns.
    pub cols: Vec<SCol>,
    /// Whether a row of `events` may appear many times (list rows only when aggregating).
    pub fanout: bool,
    /// Whether it is big (plain row listings get a LIMIT).
    pub big: bool,
    /// Columns that identify a row (a hidden ORDER BY tie-breaker), if any.
    pub unique: Vec<String>,
    /// Whether `SELECT *` may be used (column names are unique).
    pub star: bool,
    /// A qualifier (`e.`) that may be left out of column references (one table in scope).
    pub strip: Option<String>,
}

/// What the two engines must do with a query.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// The same rows (or both fail).
    Same,
    /// A documented difference: engagedb must fail with a message containing this text (DuckDB's
    /// answer is not compared).
    OursFails(&'static str),
}

/// One generated (or hand-written) query.
#[derive(Debug, Clone)]
pub struct Case {
    /// The query in both spellings.
    pub sql: Sql,
    /// Which template made it (for the statistics).
    pub template: &'static str,
    /// How to compare rows.
    pub order: Order,
    /// What must happen.
    pub expect: Expect,
}

const EVENT_COLS: &[(&str, Ty, u32)] = &[
    ("time", Ty::Ts, 10),
    ("signal_id", Ty::Text, 1),
    ("signal", Ty::Text, 6),
    ("app", Ty::Text, 8),
    ("action", Ty::Text, 6),
    ("student", Ty::Text, 6),
    ("class", Ty::Text, 6),
    ("school", Ty::Text, 6),
    ("assignment", Ty::Text, 2),
    ("submission", Ty::Text, 1),
    ("due", Ty::Ts, 4),
    ("grade", Ty::Double, 7),
    ("file_ext", Ty::Text, 4),
    ("meeting", Ty::Text, 1),
    ("meeting_seconds", Ty::Int, 5),
    ("reading_wpm", Ty::Int, 2),
    ("reading_accuracy", Ty::Text, 1),
    ("reading_attempt", Ty::Int, 1),
    ("reading_word_count", Ty::Int, 1),
    ("reading_language", Ty::Text, 1),
];

/// Columns of a table: name, type, relative chance of being picked.
type ColumnDefs = &'static [(&'static str, Ty, u32)];

const ROSTER_COLS: &[(&str, ColumnDefs)] = &[
    (
        "orgs",
        &[
            ("id", Ty::Text, 3),
            ("name", Ty::Text, 3),
            ("type", Ty::Text, 3),
            ("parent", Ty::Text, 2),
        ],
    ),
    (
        "classes",
        &[("id", Ty::Text, 3), ("name", Ty::Text, 3), ("school", Ty::Text, 3)],
    ),
    ("people", &[("id", Ty::Text, 3), ("role", Ty::Text, 3)]),
    (
        "enrollments",
        &[("class", Ty::Text, 3), ("person", Ty::Text, 3), ("role", Ty::Text, 3)],
    ),
    (
        "assignments",
        &[
            ("id", Ty::Text, 2),
            ("class", Ty::Text, 3),
            ("due", Ty::Ts, 3),
            ("assigned_at", Ty::Ts, 3),
        ],
    ),
];

/// The columns of `table` qualified with `q` (`"e."`, or `""` for none).
fn table_cols(table: &str, q: &str) -> Vec<SCol> {
    let defs: &[(&str, Ty, u32)] = if table == "events" {
        EVENT_COLS
    } else {
        ROSTER_COLS.iter().find(|(t, _)| *t == table).map_or(&[], |(_, c)| c)
    };
    defs.iter()
        .map(|(name, ty, weight)| SCol {
            name: format!("{q}{name}"),
            ty: *ty,
            sample: Some(format!("{table}.{name}")),
            weight: *weight,
        })
        .collect()
}

/// Join key pairs: (roster column, events column).
type KeyPairs = &'static [(&'static str, &'static str)];

/// Roster tables joined to `events e`: table, alias, ON key pairs (roster column, events column), and
/// a further ON condition sometimes added.
const ROSTER_JOINS: &[(&str, &str, KeyPairs, &str)] = &[
    ("orgs", "o", &[("id", "school")], " AND o.type = 'school'"),
    ("classes", "c", &[("id", "class")], " AND c.school = e.school"),
    ("people", "p", &[("id", "student")], " AND p.role = 'student'"),
    (
        "enrollments",
        "en",
        &[("class", "class"), ("person", "student")],
        " AND en.role = 'student'",
    ),
    ("assignments", "a", &[("id", "assignment")], " AND e.time <= a.due"),
];

/// Roster tables joined left to right: (table, alias, ON condition; empty for the first).
fn roster_join(kind: &str, tables: &[(&str, &str, String)]) -> Source {
    let mut cols = Vec::new();
    let mut from = String::new();
    for (i, (table, alias, on)) in tables.iter().enumerate() {
        cols.extend(table_cols(table, &format!("{alias}.")));
        if i == 0 {
            from = format!("{table} {alias}");
        } else {
            from.push_str(&format!(" {kind} {table} {alias} ON {on}"));
        }
    }
    Source {
        from: Sql::same(from),
        cols,
        fanout: false,
        big: false,
        unique: vec![],
        star: false,
        strip: None,
    }
}

fn scol(name: &str, ty: Ty, sample: Option<&str>, weight: u32) -> SCol {
    SCol {
        name: name.into(),
        ty,
        sample: sample.map(str::to_string),
        weight,
    }
}

/// The kind of values a sampled column holds, for subqueries that return the same kind.
fn domain(sample: &str) -> Option<&'static str> {
    Some(match sample {
        "events.student" | "enrollments.person" | "people.id" => "person",
        "events.class" | "classes.id" | "enrollments.class" | "assignments.class" => "class",
        "events.school" | "classes.school" | "orgs.id" | "orgs.parent" => "org",
        "events.assignment" | "assignments.id" => "assignment",
        "events.time" | "events.due" | "assignments.due" | "assignments.assigned_at" => "time",
        "events.grade" => "grade",
        "events.meeting_seconds" => "seconds",
        "events.app" => "app",
        "events.signal" => "signal",
        "events.action" => "action",
        "events.file_ext" => "file_ext",
        _ => return None,
    })
}

/// Generates queries for one district.
pub struct Gen<'a> {
    r: Rng,
    s: &'a Sample,
    times: Vec<i64>,
    day_lo: i64,
    day_hi: i64,
    /// How deep inside subqueries the generator is (subqueries nest at most twice).
    sub_depth: u32,
    /// How deep inside derived tables the generator is.
    derived_depth: u32,
}

impl<'a> Gen<'a> {
    /// A generator seeded with `seed` over the values of `s`.
    pub fn new(seed: u64, s: &'a Sample) -> Gen<'a> {
        let times = s.times("events.time");
        let lo = times.first().copied().unwrap_or(1_640_995_200_000_000);
        let hi = times.last().copied().unwrap_or(lo);
        Gen {
            r: Rng::new(seed),
            s,
            times,
            day_lo: lo.div_euclid(US_PER_DAY) * US_PER_DAY,
            day_hi: hi.div_euclid(US_PER_DAY) * US_PER_DAY,
            sub_depth: 0,
            derived_depth: 0,
        }
    }

    /// The next query.
    pub fn case(&mut self) -> Case {
        let mut case = self.template();
        // Keywords and unquoted identifiers are case-insensitive, and whitespace is free.
        let spell = match self.r.below(20) {
            0 => Some(Spelling::Upper),
            1 => Some(Spelling::Lower),
            2 => Some(Spelling::NewLines),
            _ => None,
        };
        if let Some(sp) = spell {
            case.sql = Sql::two(respell(&case.sql.ours, sp), respell(&case.sql.duck, sp));
        }
        case
    }

    fn template(&mut self) -> Case {
        match self.r.below(100) {
            0..=21 => {
                let src = self.events_source();
                self.grouped(&src, "grouped")
            }
            22..=31 => {
                let src = self.events_source();
                self.global(&src, "global aggregate")
            }
            32..=41 => {
                let src = self.events_source();
                self.plain(&src, "rows")
            }
            42..=47 => {
                let src = self.events_source();
                self.distinct(&src, "distinct")
            }
            48..=61 => {
                let src = self.join_source();
                match self.r.below(10) {
                    0..=5 => self.grouped(&src, "join grouped"),
                    6 => self.global(&src, "join global"),
                    7 => self.distinct(&src, "join distinct"),
                    _ if src.fanout => self.grouped(&src, "join grouped"),
                    _ => self.plain(&src, "join rows"),
                }
            }
            62..=71 => {
                let src = self.roster_source();
                match self.r.below(10) {
                    0..=4 => self.grouped(&src, "roster grouped"),
                    5 => self.global(&src, "roster global"),
                    6 => self.distinct(&src, "roster distinct"),
                    _ => self.plain(&src, "roster rows"),
                }
            }
            72..=88 => {
                let src = self.derived_source();
                match self.r.below(10) {
                    0..=5 => self.grouped(&src, "derived grouped"),
                    6..=7 => self.global(&src, "derived global"),
                    _ => self.plain(&src, "derived rows"),
                }
            }
            89..=91 => self.constants(),
            92..=94 => self.limited_count(),
            _ => self.select_subqueries(),
        }
    }

    // ------------------------------------------------------------------ sources

    fn events_source(&mut self) -> Source {
        let (from, q) = match self.r.below(4) {
            0 => ("events e", "e."),
            1 => ("events AS ev", "ev."),
            _ => ("events", ""),
        };
        Source {
            from: Sql::same(from),
            cols: table_cols("events", q),
            fanout: false,
            big: true,
            unique: vec![format!("{q}signal_id")],
            star: true,
            strip: (!q.is_empty()).then(|| q.to_string()),
        }
    }

    fn join_source(&mut self) -> Source {
        let mut cols = table_cols("events", "e.");
        let kind = if self.r.chance(0.45) { "LEFT JOIN" } else { "JOIN" };
        let eq = |r: &mut Rng, a: &str, b: &str| {
            if r.chance(0.5) {
                format!("{a} = {b}")
            } else {
                format!("{b} = {a}")
            }
        };
        let mut unique = vec!["e.signal_id".to_string()];
        let mut fanout = false;
        let pick = self.r.below(ROSTER_JOINS.len() + 10);
        let from = if let Some((table, alias, keys, extra)) = ROSTER_JOINS.get(pick) {
            cols.extend(table_cols(table, &format!("{alias}.")));
            let on: Vec<String> = keys
                .iter()
                .map(|(r, ev)| eq(&mut self.r, &format!("{alias}.{r}"), &format!("e.{ev}")))
                .collect();
            unique.extend(keys.iter().map(|(r, _)| format!("{alias}.{r}")));
            let mut cond = on.join(" AND ");
            if self.r.chance(0.3) {
                cond.push_str(extra);
            }
            if self.r.chance(0.15) {
                // A condition on the left side only: for a LEFT JOIN it decides matching, not which
                // events appear.
                cond.push_str(&format!(" AND e.app = {}", self.text_value("events.app").ours));
            }
            format!("events e {kind} {table} {alias} ON {cond}")
        } else {
            match pick - ROSTER_JOINS.len() {
                0 => {
                    cols.extend(table_cols("enrollments", "en."));
                    fanout = true;
                    format!(
                        "events e JOIN enrollments en ON {}",
                        eq(&mut self.r, "en.class", "e.class")
                    )
                }
                1 => {
                    cols.extend(table_cols("classes", "c."));
                    cols.extend(table_cols("orgs", "o."));
                    unique.extend(["c.id".to_string(), "o.id".to_string()]);
                    format!(
                        "events e JOIN classes c ON {} {kind} orgs o ON {}",
                        eq(&mut self.r, "c.id", "e.class"),
                        eq(&mut self.r, "o.id", "c.school")
                    )
                }
                2 => {
                    // The roster table first: the hashed side is the left input.
                    cols.splice(0..0, table_cols("orgs", "o."));
                    unique.push("o.id".into());
                    let extra = match self.r.below(3) {
                        0 => format!(" AND e.app = {}", self.text_value("events.app").ours),
                        1 => " AND o.type = 'school'".to_string(),
                        _ => String::new(),
                    };
                    format!("orgs o JOIN events e ON {}{extra}", eq(&mut self.r, "e.school", "o.id"))
                }
                3 => {
                    // Every class, with its events if any (a condition on the events decides matching).
                    cols.splice(0..0, table_cols("classes", "c."));
                    fanout = true;
                    let extra = match self.r.chance(0.4) {
                        true => format!(" AND e.app = {}", self.text_value("events.app").ours),
                        false => String::new(),
                    };
                    format!(
                        "classes c LEFT JOIN events e ON {}{extra}",
                        eq(&mut self.r, "e.class", "c.id")
                    )
                }
                7 => {
                    // No equality at all: every pair is tested against the condition.
                    cols.extend(table_cols("orgs", "o."));
                    fanout = true;
                    format!("events e {kind} orgs o ON o.id = e.school OR o.parent IS NULL")
                }
                8 => {
                    // Expressions as join keys.
                    cols.extend(table_cols("orgs", "o."));
                    unique.push("o.id".into());
                    format!("events e {kind} orgs o ON upper(o.id) = upper(e.school)")
                }
                9 => {
                    // Events between two roster tables.
                    cols.splice(0..0, table_cols("classes", "c."));
                    cols.extend(table_cols("people", "p."));
                    unique.extend(["c.id".to_string(), "p.id".to_string()]);
                    format!("classes c JOIN events e ON e.class = c.id {kind} people p ON p.id = e.student")
                }
                4 => {
                    // A derived table on the right: enrollment counts per class.
                    cols.push(scol("ec.class", Ty::Text, Some("enrollments.class"), 3));
                    cols.push(scol("ec.n", Ty::Int, None, 3));
                    unique.push("ec.class".into());
                    let role = if self.r.chance(0.5) {
                        " WHERE role = 'student'"
                    } else {
                        ""
                    };
                    format!(
                        "events e {kind} (SELECT class, count(*) AS n FROM enrollments{role} GROUP BY class) ec ON {}",
                        eq(&mut self.r, "ec.class", "e.class")
                    )
                }
                5 => {
                    // Each student's latest event (a join with an aggregate of the same table).
                    cols.push(scol("l.last", Ty::Ts, Some("events.time"), 3));
                    cols.push(scol("l.student", Ty::Text, Some("events.student"), 2));
                    let w = match self.r.chance(0.5) {
                        true => format!(" WHERE app = {}", self.text_value("events.app").ours),
                        false => String::new(),
                    };
                    format!(
                        "events e JOIN (SELECT student, max(time) AS last FROM events{w} GROUP BY student) l \
                         ON l.student = e.student AND e.time = l.last"
                    )
                }
                _ => {
                    // Schools only, as a filtered derived table.
                    cols.push(scol("s.id", Ty::Text, Some("orgs.id"), 2));
                    cols.push(scol("s.name", Ty::Text, Some("orgs.name"), 4));
                    unique.push("s.id".into());
                    let on = eq(&mut self.r, "s.id", "e.school");
                    format!("events e {kind} (SELECT id, name FROM orgs WHERE type = 'school') s ON {on}")
                }
            }
        };
        Source {
            from: Sql::same(from),
            cols,
            fanout,
            big: true,
            unique,
            star: false,
            strip: None,
        }
    }

    fn roster_source(&mut self) -> Source {
        let single = |table: &str, alias: Option<&str>, unique: &[&str]| {
            let q = alias.map_or(String::new(), |a| format!("{a}."));
            Source {
                from: Sql::same(alias.map_or(table.to_string(), |a| format!("{table} {a}"))),
                cols: table_cols(table, &q),
                fanout: false,
                big: false,
                unique: unique.iter().map(|u| format!("{q}{u}")).collect(),
                star: true,
                strip: (!q.is_empty()).then(|| q.clone()),
            }
        };
        let kind = if self.r.chance(0.5) { "LEFT JOIN" } else { "JOIN" };
        let aliased = self.r.chance(0.3);
        match self.r.below(10) {
            0 => single("orgs", aliased.then_some("o"), &["id"]),
            1 => single("classes", aliased.then_some("c"), &["id"]),
            2 => single("people", aliased.then_some("p"), &["id"]),
            3 => single("enrollments", aliased.then_some("en"), &["class", "person"]),
            4 => single("assignments", aliased.then_some("a"), &["id"]),
            5 => {
                let mut tables = vec![
                    ("enrollments", "en", String::new()),
                    ("classes", "c", "c.id = en.class".into()),
                ];
                if self.r.chance(0.5) {
                    tables.push(("orgs", "o", "o.id = c.school".into()));
                }
                roster_join(kind, &tables)
            }
            6 => roster_join(
                kind,
                &[
                    ("people", "p", String::new()),
                    ("enrollments", "en", "en.person = p.id".into()),
                ],
            ),
            7 => {
                let extra = if self.r.chance(0.4) {
                    " AND o.type = 'school'"
                } else {
                    ""
                };
                let on = format!("o.id = c.school{extra}");
                roster_join(kind, &[("classes", "c", String::new()), ("orgs", "o", on)])
            }
            // Every pair of orgs.
            9 if self.r.chance(0.3) => {
                roster_join("JOIN", &[("orgs", "s", String::new()), ("orgs", "d", "1 = 1".into())])
            }
            // A self-join: each org with its parent.
            8 => roster_join(
                kind,
                &[("orgs", "s", String::new()), ("orgs", "d", "d.id = s.parent".into())],
            ),
            _ => roster_join(
                kind,
                &[
                    ("assignments", "a", String::new()),
                    ("classes", "c", "c.id = a.class".into()),
                ],
            ),
        }
    }

    /// A derived table `(SELECT …) t` over events (aggregated, plain, top-N or DISTINCT), sometimes
    /// joined with a roster table.
    fn derived_source(&mut self) -> Source {
        let inner_src = match self.r.below(20) {
            0..=13 => self.events_source(),
            14..=16 => self.join_source(),
            _ if self.derived_depth == 0 => {
                // A derived table over a derived table.
                self.derived_depth += 1;
                let s = self.derived_source();
                self.derived_depth -= 1;
                s
            }
            _ => self.events_source(),
        };
        let alias = if self.r.chance(0.9) { Some("t") } else { None };
        let q = alias.map_or(String::new(), |a| format!("{a}."));
        let mut cols = Vec::new();
        let mut select = Vec::new();
        let mut keys = Vec::new();
        let variant = self.r.below(10);
        let aggregate = variant < 5 || variant == 9;
        let nkeys = if aggregate {
            self.r.range(1, 2) as usize
        } else {
            self.r.range(1, 4) as usize
        };
        for i in 0..nkeys {
            let e = if aggregate || variant == 8 {
                self.key(&inner_src)
            } else {
                self.row_expr(&inner_src)
            };
            if keys.iter().any(|k: &Expr| k.sql == e.sql) {
                continue;
            }
            // Names unique per nesting level: DuckDB lets an output alias shadow an input column in
            // HAVING, PostgreSQL does not, so no alias may equal a column of the FROM clause.
            let name = format!("{}d{}", "d".repeat(self.derived_depth as usize), i + 1);
            select.push(sql!(&e.sql, " AS ", &name));
            cols.push(SCol {
                name: format!("{q}{name}"),
                ty: e.ty,
                sample: e.sample.clone(),
                weight: 4,
            });
            keys.push(e);
        }
        if aggregate {
            for i in 0..self.r.range(1, 3) {
                let a = self.agg(&inner_src);
                let name = format!("{}m{}", "m".repeat(self.derived_depth as usize), i + 1);
                select.push(sql!(&a.sql, " AS ", &name));
                cols.push(SCol {
                    name: format!("{q}{name}"),
                    ty: a.ty,
                    sample: None,
                    weight: 4,
                });
            }
        }
        let mut inner = sql!(
            "SELECT ",
            if variant == 8 { "DISTINCT " } else { "" },
            Sql::join(&select, ", ")
        );
        inner = sql!(inner, " FROM ", &inner_src.from);
        if self.r.chance(if aggregate { 0.5 } else { 0.8 }) {
            inner = sql!(inner, " WHERE ", self.pred(&inner_src, 2));
        }
        if aggregate {
            let refs: Vec<Sql> = (1..=keys.len()).map(|i| Sql::same(i.to_string())).collect();
            inner = sql!(inner, " GROUP BY ", Sql::join(&refs, ", "));
            if self.r.chance(0.3) {
                inner = sql!(inner, " HAVING ", self.having(&inner_src, &keys));
            }
            if variant == 9 {
                // Top-N inside: the outer query sees only these rows.
                let all: Vec<Sql> = (1..=select.len())
                    .map(|i| {
                        let (suffix, _) = order_suffix(self.r.chance(0.5), None);
                        sql!(i.to_string(), suffix)
                    })
                    .collect();
                inner = sql!(
                    inner,
                    " ORDER BY ",
                    Sql::join(&all, ", "),
                    format!(" LIMIT {}", self.r.range(1, 25))
                );
            }
        }
        let mut from = sql!("(", inner, ")", alias.map_or(String::new(), |a| format!(" {a}")));
        let fanout = false;
        let kind_of = |c: &SCol| c.sample.as_deref().and_then(domain);
        let join_key = cols.iter().position(|c| matches!(kind_of(c), Some("class" | "person")));
        if let (Some(k), Some(_)) = (join_key, alias) {
            if self.r.chance(0.4) {
                // Joined with a roster table, or with another derived table.
                let kind = if self.r.chance(0.5) { "LEFT JOIN" } else { "JOIN" };
                let key = cols[k].name.clone();
                let (join, added) = match (kind_of(&cols[k]), self.r.below(2)) {
                    (Some("class"), 0) => (
                        format!(" {kind} classes c ON c.id = {key}"),
                        table_cols("classes", "c."),
                    ),
                    (Some(dom), _) => {
                        let col = if dom == "class" { "class" } else { "person" };
                        let role = if self.r.chance(0.5) {
                            " WHERE role = 'student'"
                        } else {
                            ""
                        };
                        (
                            format!(
                                " {kind} (SELECT {col}, count(*) AS n FROM enrollments{role} GROUP BY {col}) b ON b.{col} = {key}"
                            ),
                            vec![
                                scol(&format!("b.{col}"), Ty::Text, Some(&format!("enrollments.{col}")), 2),
                                scol("b.n", Ty::Int, None, 3),
                            ],
                        )
                    }
                    (None, _) => (String::new(), vec![]),
                };
                from = sql!(from, join);
                cols.extend(added);
            }
        }
        Source {
            from,
            cols,
            fanout,
            big: !aggregate,
            unique: vec![],
            star: alias.is_some(),
            strip: None,
        }
    }

    // ------------------------------------------------------------------ literals

    fn lit_of(&mut self, v: &Value) -> Sql {
        match v {
            Value::Text(s) => text_lit(s),
            Value::Int(i) => int_lit(*i),
            Value::Double(d) if d.fract() == 0.0 && self.r.chance(0.3) => int_lit(*d as i64),
            Value::Double(d) => double_lit(*d),
            Value::Timestamp(t) => ts_lit(*t, self.r.chance(0.5)),
            Value::Bool(b) => Sql::same(if *b { "TRUE" } else { "FALSE" }),
            _ => Sql::same("NULL"),
        }
    }

    /// A literal of `ty`: usually a value of `sample`, sometimes one that does not occur.
    fn value(&mut self, ty: Ty, sample: Option<&str>) -> Sql {
        let s = self.s;
        let values = sample.map_or(&[][..], |k| s.of(k));
        if !values.is_empty() && self.r.chance(0.85) {
            let v = values[self.r.below(values.len())].clone();
            return self.lit_of(&v);
        }
        match ty {
            Ty::Text => {
                let real = values.get(self.r.below(values.len().max(1))).and_then(|v| match v {
                    Value::Text(s) => Some(s.clone()),
                    _ => None,
                });
                match (self.r.below(5), real) {
                    (0, Some(s)) => text_lit(&s.to_lowercase()),
                    (1, Some(s)) => text_lit(&format!("{s} ")),
                    (2, _) => text_lit(if self.r.chance(0.5) { "" } else { "it's" }),
                    _ => text_lit(&format!("absent-{}", self.r.below(1000))),
                }
            }
            Ty::Int => int_lit(*self.r.pick(&[0, -1, 1, 7, 60, 3600, 999_999])),
            Ty::Double => {
                let x = *self.r.pick(&[0.0, -2.5, 0.5, 49.75, 50.0, 75.5, 100.0, 1e6]);
                self.lit_of(&Value::Double(x))
            }
            Ty::Ts => {
                let t = self.time_value();
                ts_lit(t, self.r.chance(0.5))
            }
            Ty::Bool => Sql::same(if self.r.chance(0.5) { "TRUE" } else { "FALSE" }),
        }
    }

    fn text_value(&mut self, sample: &str) -> Sql {
        self.value(Ty::Text, Some(sample))
    }

    /// A point in time: an event's exact time (± 1 µs), a partition boundary, an hour, a second, a
    /// microsecond within the data's days, or far outside them.
    fn time_value(&mut self) -> i64 {
        let days = (self.day_hi - self.day_lo) / US_PER_DAY;
        let day = self.day_lo + self.r.range(-1, days + 1) * US_PER_DAY;
        match self.r.below(20) {
            0..=5 if !self.times.is_empty() => {
                let t = self.times[self.r.below(self.times.len())];
                t + *self.r.pick(&[0, 0, 0, -1, 1])
            }
            0..=10 => day,
            11..=13 => day + self.r.range(0, 23) * US_PER_HOUR,
            14..=16 => day + self.r.range(0, 86_399) * US_PER_SECOND,
            17..=18 => day + self.r.range(0, US_PER_DAY - 1),
            _ if self.r.chance(0.5) => self.day_lo - 400 * US_PER_DAY,
            _ => self.day_hi + 300 * US_PER_DAY,
        }
    }

    fn small_int(&mut self) -> Sql {
        int_lit(*self.r.pick(&[0, 1, 2, 3, 5, 10, 20, 50, 100]))
    }

    // ------------------------------------------------------------------ predicates

    fn pick_col<'s>(&mut self, src: &'s Source, ok: &dyn Fn(&SCol) -> bool) -> Option<&'s SCol> {
        let total: u32 = src.cols.iter().filter(|c| ok(c)).map(|c| c.weight).sum();
        if total == 0 {
            return None;
        }
        let mut x = self.r.below(total as usize) as u32;
        for c in src.cols.iter().filter(|c| ok(c)) {
            if x < c.weight {
                return Some(c);
            }
            x -= c.weight;
        }
        None
    }

    /// A boolean condition over `src` nesting AND / OR / NOT up to `depth` levels.
    fn pred(&mut self, src: &Source, depth: u32) -> Sql {
        if depth == 0 || self.r.chance(0.45) {
            return self.leaf(src);
        }
        match self.r.below(7) {
            0 | 1 => sql!("(", self.pred(src, depth - 1), " AND ", self.pred(src, depth - 1), ")"),
            2 | 3 => sql!("(", self.pred(src, depth - 1), " OR ", self.pred(src, depth - 1), ")"),
            4 => sql!("NOT (", self.pred(src, depth - 1), ")"),
            5 => sql!(
                "(",
                self.leaf(src),
                " AND ",
                self.leaf(src),
                " OR ",
                self.leaf(src),
                ")"
            ),
            _ => sql!(
                "(",
                self.leaf(src),
                " OR NOT ",
                self.leaf(src),
                " AND ",
                self.leaf(src),
                ")"
            ),
        }
    }

    fn leaf(&mut self, src: &Source) -> Sql {
        let roll = self.r.below(100);
        if roll < 10 && self.sub_depth < 2 {
            let ok = |c: &SCol| c.sample.as_deref().and_then(domain).is_some();
            if let Some(c) = self.pick_col(src, &ok) {
                let c = c.clone();
                return self.subquery_pred(&c.expr());
            }
        }
        if (10..14).contains(&roll) {
            // Two related columns compared (same kind of values, or two times).
            let a = self.pick_col(src, &|c| c.ty != Ty::Bool).cloned();
            if let Some(a) = a {
                let kind = |c: &SCol| c.sample.as_deref().and_then(domain);
                let numeric = |t: Ty| matches!(t, Ty::Int | Ty::Double);
                let related = |c: &SCol| {
                    c.name != a.name
                        && ((c.ty == a.ty && (c.ty == Ty::Ts || (kind(c).is_some() && kind(c) == kind(&a))))
                            || (numeric(c.ty) && numeric(a.ty)))
                };
                let b = self.pick_col(src, &related).cloned();
                if let Some(b) = b {
                    let op = *self.r.pick(&["=", "<>", "<", "<=", ">", ">="]);
                    return Sql::same(format!("{} {op} {}", a.name, b.name));
                }
            }
        }
        if roll == 15 {
            return Sql::same(
                *self
                    .r
                    .pick(&["1 = 1", "1 = 0", "TRUE", "FALSE", "NULL IS NULL", "NOT (2 < 1)"]),
            );
        }
        match self.pick_col(src, &|_| true).cloned() {
            Some(c) => self.col_pred(&c.expr()),
            None => Sql::same("TRUE"),
        }
    }

    /// A condition on one expression, by its type.
    fn col_pred(&mut self, e: &Expr) -> Sql {
        // A compound expression in parentheses, so `-(x % 7)` stays the group key `x % 7`.
        let c = &if e.sql.ours.contains(' ') {
            e.sql.paren()
        } else {
            e.sql.clone()
        };
        let sample = e.sample.clone();
        let s = sample.as_deref();
        let cmp = *self.r.pick(&["=", "<>", "<", "<=", ">", ">="]);
        let k = self.r.below(12);
        if k == 0 {
            return sql!(c, if self.r.chance(0.5) { " IS NULL" } else { " IS NOT NULL" });
        }
        match e.ty {
            Ty::Text => match k {
                1..=3 => sql!(c, if k == 3 { " <> " } else { " = " }, self.value(Ty::Text, s)),
                4 | 5 => {
                    let n = if self.r.chance(0.1) {
                        self.r.range(10, 40)
                    } else {
                        self.r.range(1, 4)
                    };
                    let items: Vec<Sql> = (0..n).map(|_| self.value(Ty::Text, s)).collect();
                    let null = if self.r.chance(0.1) { ", NULL" } else { "" };
                    sql!(
                        c,
                        if k == 5 { " NOT IN (" } else { " IN (" },
                        Sql::join(&items, ", "),
                        null,
                        ")"
                    )
                }
                6 => sql!(c, format!(" {cmp} "), self.value(Ty::Text, s)),
                7 | 8 => {
                    let p = self.like_pattern(s);
                    let op = match self.r.below(7) {
                        0 => " NOT LIKE ",
                        1 => " ILIKE ",
                        2 => " NOT ILIKE ",
                        _ => " LIKE ",
                    };
                    sql!(c, op, p)
                }
                9 => sql!(
                    c,
                    if self.r.chance(0.3) {
                        " NOT BETWEEN "
                    } else {
                        " BETWEEN "
                    },
                    self.value(Ty::Text, s),
                    " AND ",
                    self.value(Ty::Text, s)
                ),
                10 => sql!(
                    "coalesce(",
                    c,
                    ", 'none') = ",
                    if self.r.chance(0.3) {
                        text_lit("none")
                    } else {
                        self.value(Ty::Text, s)
                    }
                ),
                _ => sql!("length(", c, format!(") {cmp} "), self.small_int()),
            },
            Ty::Int => match k {
                1..=4 => sql!(c, format!(" {cmp} "), self.value(Ty::Int, s)),
                5 => sql!(c, " BETWEEN ", self.value(Ty::Int, s), " AND ", self.value(Ty::Int, s)),
                6 => {
                    let items: Vec<Sql> = (0..self.r.range(1, 4)).map(|_| self.value(Ty::Int, s)).collect();
                    sql!(
                        c,
                        if self.r.chance(0.3) { " NOT IN (" } else { " IN (" },
                        Sql::join(&items, ", "),
                        ")"
                    )
                }
                7 => sql!(c, format!(" % {} = ", self.r.range(2, 9)), self.small_int()),
                8 => sql!(
                    int_div(c, &int_lit(self.r.range(1, 700))),
                    format!(" {cmp} "),
                    self.small_int()
                ),
                9 => sql!(c, " * 2 + 1 ", cmp, " ", self.value(Ty::Int, s)),
                10 => sql!(c, " + 0.5 > ", self.value(Ty::Int, s)),
                _ => sql!("-", c, format!(" {cmp} "), int_lit(-self.r.range(0, 4000))),
            },
            Ty::Double => match k {
                1..=4 => sql!(c, format!(" {cmp} "), self.value(Ty::Double, s)),
                5 => sql!(
                    c,
                    " BETWEEN ",
                    self.value(Ty::Double, s),
                    " AND ",
                    self.value(Ty::Double, s)
                ),
                6 => {
                    let items: Vec<Sql> = (0..self.r.range(1, 4)).map(|_| self.value(Ty::Double, s)).collect();
                    sql!(
                        c,
                        if self.r.chance(0.3) { " NOT IN (" } else { " IN (" },
                        Sql::join(&items, ", "),
                        ")"
                    )
                }
                7 => sql!(c, " * 2 ", cmp, " ", self.value(Ty::Double, s)),
                8 => sql!(
                    c,
                    " / ",
                    double_lit(*self.r.pick(&[4.0, 0.5, -3.0])),
                    format!(" {cmp} "),
                    self.value(Ty::Double, s)
                ),
                9 => sql!(
                    "round(",
                    c,
                    format!(" / 3.0, {}) {cmp} ", self.r.range(0, 2)),
                    self.value(Ty::Double, s)
                ),
                10 => sql!(c, " - 10 ", cmp, " ", self.value(Ty::Double, s)),
                _ => sql!("abs(", c, " - 50) < ", self.small_int()),
            },
            Ty::Ts => match k {
                1..=4 => sql!(c, format!(" {cmp} "), self.value(Ty::Ts, s)),
                5 => {
                    let (a, b) = (self.time_value(), self.time_value());
                    let not = if self.r.chance(0.25) { " NOT" } else { "" };
                    sql!(
                        c,
                        not,
                        " BETWEEN ",
                        ts_lit(a.min(b), true),
                        " AND ",
                        ts_lit(a.max(b), false)
                    )
                }
                6 => {
                    // A half-open range, as dashboards write it (sometimes empty).
                    let (a, b) = (self.time_value(), self.time_value());
                    sql!("(", c, " >= ", ts_lit(a, true), " AND ", c, " < ", ts_lit(b, true), ")")
                }
                7 => {
                    let unit = *self.r.pick(&["hour", "day", "week", "month"]);
                    let t = trunc_time(unit, self.time_value());
                    sql!(
                        format!("date_trunc('{unit}', "),
                        c,
                        format!(") {cmp} "),
                        ts_lit(t, true)
                    )
                }
                8 => {
                    let (f, lo, hi) = *self.r.pick(&[
                        ("hour", 0, 23),
                        ("dow", 0, 6),
                        ("day", 1, 31),
                        ("month", 1, 12),
                        ("year", 2019, 2024),
                        ("week", 1, 53),
                        ("isodow", 1, 7),
                        ("doy", 1, 366),
                        ("minute", 0, 59),
                    ]);
                    sql!(
                        format!("extract({f} FROM "),
                        c,
                        format!(") {cmp} {}", self.r.range(lo, hi))
                    )
                }
                9 => sql!("extract(dow FROM ", c, ") IN (0, 6)"),
                10 => sql!(c, " IN (", self.value(Ty::Ts, s), ", ", self.value(Ty::Ts, s), ")"),
                _ => {
                    // Interval arithmetic: folded to a constant bound, or per row.
                    let iv = *self
                        .r
                        .pick(&["1 day", "3 days", "2 hours", "90 minutes", "1 month", "1 week"]);
                    let sign = *self.r.pick(&["+", "-"]);
                    if self.r.chance(0.5) {
                        let t = self.value(Ty::Ts, s);
                        sql!(c, format!(" {cmp} "), t, format!(" {sign} INTERVAL '{iv}'"))
                    } else {
                        sql!(c, format!(" {sign} INTERVAL '{iv}' {cmp} "), self.value(Ty::Ts, s))
                    }
                }
            },
            Ty::Bool => match k {
                1..=5 => c.clone(),
                6..=8 => sql!("NOT ", c.paren()),
                _ => sql!(c.paren(), " = ", if self.r.chance(0.5) { "TRUE" } else { "FALSE" }),
            },
        }
    }

    /// A LIKE pattern made from a value of `sample` (prefix, suffix, infix, one wildcard character).
    fn like_pattern(&mut self, sample: Option<&str>) -> Sql {
        let s = self.s;
        let values = sample.map_or(&[][..], |k| s.of(k));
        let v = match values.get(self.r.below(values.len().max(1))) {
            Some(Value::Text(s)) if !s.contains('\\') => s.clone(),
            _ => "Teams".to_string(),
        };
        let chars: Vec<char> = v.chars().collect();
        let n = chars.len();
        let cut = if n == 0 { 0 } else { self.r.below(n + 1) };
        let p: String = match self.r.below(7) {
            0 => chars[..cut].iter().chain(['%'].iter()).collect(),
            1 => ['%'].iter().chain(chars[cut..].iter()).collect(),
            2 if n > 0 => {
                let i = self.r.below(n);
                chars
                    .iter()
                    .enumerate()
                    .map(|(j, c)| if j == i { '_' } else { *c })
                    .collect()
            }
            3 if n > 2 => format!("%{}%", chars[1..n - 1].iter().collect::<String>()),
            4 => format!(
                "{}%{}",
                chars[..cut].iter().collect::<String>(),
                chars[cut..].iter().collect::<String>()
            ),
            5 => "%".into(),
            _ => v.to_lowercase(),
        };
        text_lit(&p)
    }

    /// `e [NOT] IN (SELECT …)` or `e <op> (SELECT …)` with a subquery returning the same kind of values.
    fn subquery_pred(&mut self, e: &Expr) -> Sql {
        let Some(dom) = e.sample.as_deref().and_then(domain) else {
            return sql!(&e.sql, " IS NOT NULL");
        };
        self.sub_depth += 1;
        let out = if self.r.chance(0.7) {
            let sub = self.in_subquery(dom);
            sql!(&e.sql, if self.r.chance(0.4) { " NOT IN (" } else { " IN (" }, sub, ")")
        } else {
            let sub = self.scalar_subquery(dom);
            let op = *self.r.pick(&["=", "<>", "<", "<=", ">", ">="]);
            sql!(&e.sql, format!(" {op} ("), sub, ")")
        };
        self.sub_depth -= 1;
        out
    }

    fn events_plain(&self) -> Source {
        Source {
            from: Sql::same("events"),
            cols: table_cols("events", ""),
            fanout: false,
            big: true,
            unique: vec!["signal_id".into()],
            star: true,
            strip: None,
        }
    }

    fn sub_where(&mut self) -> Sql {
        let src = self.events_plain();
        self.pred(&src, 1)
    }

    /// A one-column query returning values of kind `dom` (possibly none, possibly with NULLs).
    fn in_subquery(&mut self, dom: &str) -> Sql {
        let class = self.text_value("events.class");
        let org = self.text_value("orgs.id");
        let person = self.text_value("events.student");
        match (dom, self.r.below(6)) {
            ("person" | "class", 4) => {
                // The most active ones: a subquery with GROUP BY, ORDER BY and LIMIT.
                let col = if dom == "person" { "student" } else { "class" };
                let n = self.r.range(1, 12);
                sql!(
                    format!("SELECT {col} FROM events WHERE "),
                    self.sub_where(),
                    format!(" GROUP BY {col} ORDER BY count(*) DESC, {col} LIMIT {n}")
                )
            }
            ("person", 0) => {
                let role = *self.r.pick(&["", " AND role = 'student'", " AND role = 'teacher'"]);
                sql!("SELECT person FROM enrollments WHERE class = ", class, role)
            }
            ("person", 1) => Sql::same("SELECT id FROM people WHERE role = 'teacher'"),
            ("person", 2) => sql!(
                "SELECT person FROM enrollments WHERE class IN (SELECT id FROM classes WHERE school = ",
                org,
                ")"
            ),
            ("person", 3) => sql!(
                "SELECT student FROM events WHERE ",
                self.sub_where(),
                format!(" GROUP BY student HAVING count(*) > {}", self.r.range(1, 30))
            ),
            ("class", 0) => sql!("SELECT id FROM classes WHERE school = ", org),
            ("class", 1) => sql!(
                "SELECT class FROM assignments WHERE due < ",
                self.value(Ty::Ts, Some("assignments.due"))
            ),
            ("class", 2) => sql!("SELECT class FROM enrollments WHERE person = ", person),
            ("org", 0) => Sql::same("SELECT id FROM orgs WHERE type = 'school'"),
            ("org", 1) => Sql::same("SELECT parent FROM orgs"),
            ("org", 2) => sql!(
                "SELECT school FROM classes WHERE name LIKE ",
                self.like_pattern(Some("classes.name"))
            ),
            ("assignment", 0 | 1) => sql!("SELECT id FROM assignments WHERE class = ", class),
            ("assignment", 2) => sql!(
                "SELECT assignment FROM events WHERE action = 'Returned' AND grade >= ",
                self.value(Ty::Double, Some("events.grade"))
            ),
            ("time", 0) => Sql::same("SELECT max(time) FROM events GROUP BY student"),
            ("time", 1) => sql!("SELECT due FROM assignments WHERE class = ", class),
            ("time", 2) => sql!("SELECT time FROM events WHERE student = ", person),
            ("grade", 0) => Sql::same("SELECT max(grade) FROM events GROUP BY class"),
            ("grade", 1) => sql!("SELECT grade FROM events WHERE student = ", person),
            ("seconds", 0) => sql!("SELECT meeting_seconds FROM events WHERE class = ", class),
            ("seconds", 1) => Sql::same("SELECT max(meeting_seconds) FROM events GROUP BY student"),
            _ => {
                let col = match dom {
                    "person" => "student",
                    "org" => "school",
                    "time" => "time",
                    "seconds" => "meeting_seconds",
                    d => d,
                };
                let distinct = if self.r.chance(0.3) { "DISTINCT " } else { "" };
                sql!(format!("SELECT {distinct}{col} FROM events WHERE "), self.sub_where())
            }
        }
    }

    /// A query returning at most one value of kind `dom`. (One returning several rows fails in engagedb,
    /// which computes subqueries before the query; PostgreSQL and DuckDB fail only if the value is
    /// needed, so such queries are not generated.)
    fn scalar_subquery(&mut self, dom: &str) -> Sql {
        let col = match dom {
            "person" => "student",
            "org" => "school",
            "seconds" => "meeting_seconds",
            d => d,
        };
        match self.r.below(8) {
            0 if dom == "org" => Sql::same("SELECT id FROM orgs WHERE type = 'district'"),
            0 if dom == "class" => sql!("SELECT id FROM classes WHERE name = ", self.text_value("classes.name")),
            1 => {
                // Through a derived table.
                let f = *self.r.pick(&["min", "max"]);
                let w = self.sub_where();
                sql!(
                    format!("SELECT {f}(v) FROM (SELECT {col} AS v FROM events WHERE "),
                    w,
                    ") sq"
                )
            }
            2 if matches!(dom, "grade" | "seconds") => {
                sql!(format!("SELECT avg({col}) FROM events WHERE "), self.sub_where())
            }
            _ => {
                let f = *self.r.pick(&["min", "max"]);
                sql!(format!("SELECT {f}({col}) FROM events WHERE "), self.sub_where())
            }
        }
    }

    // ------------------------------------------------------------------ expressions

    /// A GROUP BY key over `src`.
    fn key(&mut self, src: &Source) -> Expr {
        let Some(c) = self.pick_col(src, &|_| true).cloned() else {
            return Expr {
                sql: Sql::same("1"),
                ty: Ty::Int,
                sample: None,
            };
        };
        let e = c.expr();
        let n = &c.name;
        let roll = self.r.below(20);
        if roll == 0 {
            let p = self.col_pred(&e);
            return Expr {
                sql: sql!("CASE WHEN ", p, " THEN 'yes' ELSE 'no' END"),
                ty: Ty::Text,
                sample: None,
            };
        }
        if roll == 1 {
            return Expr {
                sql: self.col_pred(&e),
                ty: Ty::Bool,
                sample: None,
            };
        }
        match c.ty {
            Ty::Ts => match roll % 5 {
                0 | 1 => {
                    let unit = *self
                        .r
                        .pick(&["hour", "day", "day", "week", "month", "minute", "quarter", "year"]);
                    Expr {
                        sql: Sql::same(format!("date_trunc('{unit}', {n})")),
                        ty: Ty::Ts,
                        sample: None,
                    }
                }
                2 | 3 => {
                    let f = *self.r.pick(&[
                        "hour", "dow", "day", "month", "year", "week", "isodow", "doy", "quarter", "minute",
                    ]);
                    Expr {
                        sql: Sql::same(format!("extract({f} FROM {n})")),
                        ty: Ty::Int,
                        sample: None,
                    }
                }
                _ => e,
            },
            Ty::Int => match roll % 4 {
                0 => Expr {
                    sql: int_div(&e.sql, &int_lit(600)),
                    ty: Ty::Int,
                    sample: None,
                },
                1 => Expr {
                    sql: Sql::same(format!("{n} % 7")),
                    ty: Ty::Int,
                    sample: None,
                },
                _ => e,
            },
            Ty::Double => match roll % 4 {
                0 => Expr {
                    sql: sql!("round(", n, " / ", double_lit(10.0), ", 0)"),
                    ty: Ty::Double,
                    sample: None,
                },
                1 => Expr {
                    sql: Sql::same(format!("{n} >= 50")),
                    ty: Ty::Bool,
                    sample: None,
                },
                _ => e,
            },
            Ty::Text => match roll % 8 {
                0 => Expr {
                    sql: Sql::same(format!("coalesce({n}, 'none')")),
                    ty: Ty::Text,
                    sample: e.sample,
                },
                1 => Expr {
                    sql: Sql::same(format!("lower({n})")),
                    ty: Ty::Text,
                    sample: None,
                },
                _ => e,
            },
            Ty::Bool => e,
        }
    }

    /// A select-list expression over the rows of `src` (no aggregates).
    fn row_expr(&mut self, src: &Source) -> Expr {
        let roll = self.r.below(10);
        if roll < 5 {
            return self.key(src);
        }
        let Some(c) = self.pick_col(src, &|_| true).cloned() else {
            return Expr {
                sql: Sql::same("1"),
                ty: Ty::Int,
                sample: None,
            };
        };
        let n = &c.name;
        let roll = if self.r.chance(0.4) { 10 + self.r.below(6) } else { roll };
        let (sql, ty) = match (c.ty, roll) {
            (Ty::Double, 10) => (Sql::same(format!("CAST({n} AS BIGINT)")), Ty::Int),
            (Ty::Double, 11) => (sql!("greatest(", n, ", ", double_lit(60.0), ")"), Ty::Double),
            (Ty::Double, 12) => (sql!("coalesce(", n, ", -1)"), Ty::Double),
            (Ty::Double, 13) => (sql!("nullif(", n, ", 0)"), Ty::Double),
            (Ty::Int, 10) => (sql!("CAST(", n, " AS DOUBLE) / ", double_lit(7.0)), Ty::Double),
            (Ty::Int, 11) => (Sql::same(format!("least({n}, 3600)")), Ty::Int),
            (Ty::Int, 12) => (Sql::same(format!("{n}::VARCHAR")), Ty::Text),
            (Ty::Int, 13) => (Sql::same(format!("abs({n} - 3000)")), Ty::Int),
            (Ty::Text, 10) => (Sql::same(format!("substr({n}, 2, 5)")), Ty::Text),
            (Ty::Text, 11) => (Sql::same(format!("replace({n}, 'e', 'E')")), Ty::Text),
            (Ty::Text, 12) => (Sql::same(format!("concat(left({n}, 3), '-', right({n}, 2))")), Ty::Text),
            (Ty::Text, 13) => (Sql::same(format!("starts_with({n}, 'S')")), Ty::Bool),
            (Ty::Text, 14) => (
                Sql::same(format!(
                    "CASE {n} WHEN 'Teams' THEN 1 WHEN 'Assignments' THEN 2 ELSE 0 END"
                )),
                Ty::Int,
            ),
            (Ty::Ts, 10) => (Sql::same(format!("CAST({n} AS DATE)")), Ty::Ts),
            (Ty::Ts, 11) => (
                Sql::same(format!("date_trunc('day', {n}) + INTERVAL '12 hours'")),
                Ty::Ts,
            ),
            (Ty::Ts, 12) => (Sql::same(format!("{n} - INTERVAL '1 month'")), Ty::Ts),
            (Ty::Double, 5) => (sql!(n, " * 2 + ", double_lit(0.5)), Ty::Double),
            (Ty::Double, 6) => (sql!("round(", n, " / ", double_lit(3.0), ", 2)"), Ty::Double),
            (Ty::Double, 7) => (Sql::same(format!("-{n}")), Ty::Double),
            (Ty::Int, 5) => (sql!(n, " / ", double_lit(60.0)), Ty::Double),
            (Ty::Int, 6) => (sql!(int_div(&Sql::same(format!("0 - {n}")), &int_lit(7))), Ty::Int),
            (Ty::Int, 7) => (Sql::same(format!("{n} * 3 - 1")), Ty::Int),
            (Ty::Text, 5) => (Sql::same(format!("{n} || '/' || {n}")), Ty::Text),
            (Ty::Text, 6) => (Sql::same(format!("length({n})")), Ty::Int),
            (Ty::Text, 7) => (Sql::same(format!("upper({n})")), Ty::Text),
            (Ty::Ts, 5) => (Sql::same(format!("extract(hour FROM {n}) * 60")), Ty::Int),
            _ => return c.expr(),
        };
        Expr { sql, ty, sample: None }
    }

    /// An aggregate over `src`, sometimes filtered or inside arithmetic.
    fn agg(&mut self, src: &Source) -> Expr {
        let any = self.pick_col(src, &|c| c.ty != Ty::Bool).cloned();
        let num = self.pick_col(src, &|c| matches!(c.ty, Ty::Int | Ty::Double)).cloned();
        let time = self.pick_col(src, &|c| c.ty == Ty::Ts).cloned();
        let roll = self.r.below(100);
        let (mut sql, ty) = match (roll, &any, &num) {
            (0..=19, _, _) | (_, None, _) => (Sql::same("count(*)"), Ty::Int),
            (20..=31, Some(c), _) => (Sql::same(format!("count({})", c.name)), Ty::Int),
            (32..=43, Some(c), _) => {
                let arg = match (&time, self.r.below(4)) {
                    (Some(t), 0) => format!("date_trunc('day', {})", t.name),
                    _ => c.name.clone(),
                };
                (Sql::same(format!("count(DISTINCT {arg})")), Ty::Int)
            }
            (44..=56, _, Some(n)) => (Sql::same(format!("sum({})", n.name)), n.ty),
            (57..=66, _, Some(n)) => (Sql::same(format!("avg({})", n.name)), Ty::Double),
            (67..=86, Some(c), _) => {
                let f = if self.r.chance(0.5) { "min" } else { "max" };
                let distinct = if self.r.chance(0.1) { "DISTINCT " } else { "" };
                (Sql::same(format!("{f}({distinct}{})", c.name)), c.ty)
            }
            (87..=90, _, Some(n)) => {
                let f = if self.r.chance(0.5) { "sum" } else { "avg" };
                (
                    Sql::same(format!("{f}(DISTINCT {})", n.name)),
                    if f == "sum" { n.ty } else { Ty::Double },
                )
            }
            (91..=94, _, Some(n)) if n.ty == Ty::Int => {
                (sql!("sum(", int_div(&Sql::same(&n.name), &int_lit(60)), ")"), Ty::Int)
            }
            (91..=94, _, Some(n)) => (sql!("avg(", &n.name, " * 2 - ", double_lit(1.5), ")"), Ty::Double),
            (95, _, _) => {
                let (text, ty) = *self.r.pick(&[
                    ("count(1)", Ty::Int),
                    ("count(NULL)", Ty::Int),
                    ("sum(2)", Ty::Int),
                    ("count(DISTINCT 1)", Ty::Int),
                    ("min('x')", Ty::Text),
                ]);
                (Sql::same(text), ty)
            }
            (96..=97, _, _) if time.is_some() => {
                let t = time.as_ref().map_or("time".to_string(), |t| t.name.clone());
                (Sql::same(format!("avg(extract(hour FROM {t}))")), Ty::Double)
            }
            _ => {
                let c = num.as_ref().or(any.as_ref()).cloned();
                match c {
                    Some(c) => {
                        let p = self.col_pred(&c.expr());
                        (
                            sql!(if self.r.chance(0.5) { "bool_or(" } else { "bool_and(" }, p, ")"),
                            Ty::Bool,
                        )
                    }
                    None => (Sql::same("count(*)"), Ty::Int),
                }
            }
        };
        if self.r.chance(0.2) && self.sub_depth < 2 {
            self.sub_depth += 1;
            let p = self.pred(src, 1);
            self.sub_depth -= 1;
            sql = sql!(sql, " FILTER (WHERE ", p, ")");
        }
        match (ty, self.r.below(12)) {
            (Ty::Double, 0 | 1) => Expr {
                sql: sql!("round(", sql, format!(", {})", self.r.range(0, 4))),
                ty,
                sample: None,
            },
            (Ty::Double, 2) => Expr {
                sql: sql!(sql, " / ", double_lit(4.0)),
                ty,
                sample: None,
            },
            (Ty::Int, 0) => Expr {
                sql: int_div(&sql, &int_lit(*self.r.pick(&[2, 7, 60]))),
                ty,
                sample: None,
            },
            (Ty::Int, 1) => Expr {
                sql: sql!(sql, " * 2 - 1"),
                ty,
                sample: None,
            },
            (Ty::Int, 2) => Expr {
                sql: sql!(sql, " / ", double_lit(8.0)),
                ty: Ty::Double,
                sample: None,
            },
            (Ty::Int | Ty::Double, 3) => Expr {
                sql: sql!(sql, " - count(*)"),
                ty,
                sample: None,
            },
            _ => Expr { sql, ty, sample: None },
        }
    }

    /// A HAVING condition: on aggregates, or on the group keys.
    fn having(&mut self, src: &Source, keys: &[Expr]) -> Sql {
        let one = |g: &mut Gen<'_>| -> Sql {
            if !keys.is_empty() && g.r.chance(0.25) {
                let k = keys[g.r.below(keys.len())].clone();
                if k.ty == Ty::Bool {
                    // Not the bare key: DuckDB flattens `(a AND b) AND …` and then no longer sees the
                    // group key `a AND b` (PostgreSQL does).
                    return sql!(k.sql.paren(), if g.r.chance(0.5) { " = TRUE" } else { " = FALSE" });
                }
                return g.col_pred(&k);
            }
            let a = g.agg(src);
            let e = Expr {
                sql: a.sql,
                ty: a.ty,
                sample: None,
            };
            match a.ty {
                Ty::Int => {
                    let op = *g.r.pick(&[">", ">=", "<", "="]);
                    sql!(&e.sql, format!(" {op} "), g.small_int())
                }
                _ => g.col_pred(&e),
            }
        };
        match self.r.below(6) {
            0 => sql!("(", one(self), " OR ", one(self), ")"),
            1 => sql!(one(self), " AND ", one(self)),
            2 => sql!("NOT (", one(self), ")"),
            _ => one(self),
        }
    }

    // ------------------------------------------------------------------ templates

    /// ORDER BY over every visible item (by alias, ordinal or expression), plus `hidden` keys after
    /// them (or before them when `hidden_first`); returns the clause and how to compare.
    fn order_by(&mut self, items: &[(Expr, Option<String>)], hidden: &[Sql], hidden_first: bool) -> (Sql, Order) {
        let order = self.r.sample_indexes(items.len(), items.len());
        let mut parts = Vec::new();
        let mut keys = Vec::new();
        for i in order {
            let (e, alias) = &items[i];
            // A bare column name in ORDER BY means an output column of that name first; PostgreSQL
            // names `CAST(time AS DATE)` "time" but DuckDB does not, so such a name is written as the
            // ordinal.
            let shadowed = items.iter().enumerate().any(|(j, (o, a))| {
                j != i && a.is_none() && pg_output_name(&o.sql.ours).is_some_and(|n| n == e.sql.ours)
            });
            let target = match (alias, self.r.below(3)) {
                (Some(a), 0) => Sql::same(a),
                (_, 1) => Sql::same((i + 1).to_string()),
                _ if shadowed => Sql::same((i + 1).to_string()),
                _ => e.sql.clone(),
            };
            let desc = self.r.chance(0.5);
            let explicit = if self.r.chance(0.4) {
                Some(self.r.chance(0.5))
            } else {
                None
            };
            let (suffix, nulls_first) = order_suffix(desc, explicit);
            let asc = if !desc && self.r.chance(0.2) { " ASC" } else { "" };
            parts.push(sql!(target, asc, suffix));
            keys.push(SortKey {
                column: i,
                desc,
                nulls_first,
            });
        }
        let hidden: Vec<Sql> = hidden
            .iter()
            .map(|h| {
                let (suffix, _) = order_suffix(self.r.chance(0.3), None);
                sql!(h, suffix)
            })
            .collect();
        let keys = if hidden_first && !hidden.is_empty() {
            None
        } else {
            Some(keys)
        };
        let all = if hidden_first {
            [hidden, parts].concat()
        } else {
            [parts, hidden].concat()
        };
        (sql!(" ORDER BY ", Sql::join(&all, ", ")), Order::Ordered { keys })
    }

    fn limit(&mut self, always: bool) -> String {
        if !always && !self.r.chance(0.3) {
            return String::new();
        }
        let n = if self.r.chance(0.03) {
            0
        } else {
            *self.r.pick(&[1, 2, 3, 5, 10, 20, 50])
        };
        let mut s = format!(" LIMIT {n}");
        if self.r.chance(0.25) {
            s.push_str(&format!(" OFFSET {}", self.r.range(0, 12)));
        }
        s
    }

    fn select_list(items: &[(Expr, Option<String>)]) -> Sql {
        let parts: Vec<Sql> = items
            .iter()
            .map(|(e, a)| match a {
                Some(a) => sql!(&e.sql, " AS ", a),
                None => e.sql.clone(),
            })
            .collect();
        Sql::join(&parts, ", ")
    }

    /// `SELECT keys, aggregates FROM src [WHERE] GROUP BY … [HAVING] [ORDER BY] [LIMIT]`.
    fn grouped(&mut self, src: &Source, template: &'static str) -> Case {
        let mut keys: Vec<Expr> = Vec::new();
        for _ in 0..self.r.range(1, 3) {
            let k = self.key(src);
            if !keys.iter().any(|x| x.sql == k.sql) {
                keys.push(k);
            }
        }
        // Items: (expression, alias, index of the key it is).
        let mut items: Vec<(Expr, Option<String>, Option<usize>)> = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            if self.r.chance(0.88) {
                let alias = self.r.chance(0.5).then(|| format!("k{}", i + 1));
                items.push((k.clone(), alias, Some(i)));
            }
        }
        for i in 0..self.r.range(if items.is_empty() { 1 } else { 0 }, 3) {
            let a = self.agg(src);
            let alias = self.r.chance(0.6).then(|| format!("a{}", i + 1));
            items.push((a, alias, None));
        }
        if self.r.chance(0.3) {
            let n = items.len();
            let perm = self.r.sample_indexes(n, n);
            items = perm.into_iter().map(|i| items[i].clone()).collect();
        }
        let group_refs: Vec<Sql> = keys
            .iter()
            .enumerate()
            .map(|(ki, k)| {
                let pos = items.iter().position(|(_, _, key)| *key == Some(ki));
                match (pos, self.r.below(3)) {
                    (Some(p), 0) => match &items[p].1 {
                        Some(a) => Sql::same(a),
                        None => Sql::same((p + 1).to_string()),
                    },
                    (Some(p), 1) => Sql::same((p + 1).to_string()),
                    // The key written again, sometimes without the table qualifier (the binder must
                    // still see it as the same expression).
                    _ => match &src.strip {
                        Some(q) if self.r.chance(0.5) => Sql::two(k.sql.ours.replace(q, ""), k.sql.duck.replace(q, "")),
                        _ => k.sql.clone(),
                    },
                }
            })
            .collect();
        let mut q = sql!(
            "SELECT ",
            Self::select_list(&items.iter().map(|(e, a, _)| (e.clone(), a.clone())).collect::<Vec<_>>())
        );
        q = sql!(q, " FROM ", &src.from);
        if self.r.chance(0.75) {
            q = sql!(q, " WHERE ", self.pred(src, 2));
        }
        q = sql!(q, " GROUP BY ", Sql::join(&group_refs, ", "));
        if self.r.chance(0.25) {
            q = sql!(q, " HAVING ", self.having(src, &keys));
        }
        let visible: Vec<(Expr, Option<String>)> = items.iter().map(|(e, a, _)| (e.clone(), a.clone())).collect();
        let (order_sql, order, limit) = match self.r.below(20) {
            0..=2 => (Sql::default(), Order::Unordered, String::new()),
            3..=4 => {
                // Hidden keys first: an aggregate not in the select list.
                let hidden = vec![self.agg(src).sql];
                let (o, order) = self.order_by(&visible, &hidden, true);
                (o, order, self.limit(false))
            }
            _ => {
                let hidden: Vec<Sql> = keys
                    .iter()
                    .enumerate()
                    .filter(|(ki, _)| !items.iter().any(|(_, _, k)| *k == Some(*ki)))
                    .map(|(_, k)| k.sql.clone())
                    .collect();
                let (o, order) = self.order_by(&visible, &hidden, false);
                (o, order, self.limit(false))
            }
        };
        Case {
            sql: sql!(q, order_sql, limit),
            template,
            order,
            expect: Expect::Same,
        }
    }

    /// `SELECT aggregates FROM src [WHERE]` — one row, also over no input rows.
    fn global(&mut self, src: &Source, template: &'static str) -> Case {
        let items: Vec<(Expr, Option<String>)> = (0..self.r.range(1, 4))
            .map(|i| {
                let a = self.agg(src);
                (a, self.r.chance(0.5).then(|| format!("a{}", i + 1)))
            })
            .collect();
        let mut q = sql!("SELECT ", Self::select_list(&items), " FROM ", &src.from);
        match self.r.below(10) {
            0..=2 => {
                // Nothing matches: count 0, NULL sums.
                let empty = match self.r.below(4) {
                    0 => Sql::same("1 = 0"),
                    _ => match self.pick_col(src, &|c| c.ty == Ty::Ts).cloned() {
                        Some(t) => sql!(&t.name, " < ", ts_lit(self.day_lo - 1000 * US_PER_DAY, true)),
                        None => Sql::same("FALSE"),
                    },
                };
                q = sql!(q, " WHERE ", empty);
            }
            3..=8 => q = sql!(q, " WHERE ", self.pred(src, 2)),
            _ => {}
        }
        if self.r.chance(0.1) {
            q = sql!(q, " HAVING ", self.having(src, &[]));
        }
        Case {
            sql: q,
            template,
            order: Order::Ordered { keys: None },
            expect: Expect::Same,
        }
    }

    /// `SELECT expressions FROM src WHERE … ORDER BY every column [, tie-breakers] [LIMIT]`.
    fn plain(&mut self, src: &Source, template: &'static str) -> Case {
        if !src.star && !src.fanout && src.unique.len() > 1 && self.r.chance(0.06) {
            // `q.*` of each joined table, ordered by their ids.
            let mut quals: Vec<String> = Vec::new();
            for q in src
                .unique
                .iter()
                .filter_map(|u| u.split_once('.').map(|(q, _)| format!("{q}.*")))
            {
                if !quals.contains(&q) {
                    quals.push(q);
                }
            }
            let w = self.pred(src, 1);
            let q = sql!(
                "SELECT ",
                quals.join(", "),
                " FROM ",
                &src.from,
                " WHERE ",
                w,
                " ORDER BY ",
                src.unique
                    .iter()
                    .map(|u| format!("{u} NULLS FIRST"))
                    .collect::<Vec<_>>()
                    .join(", "),
                self.limit(true)
            );
            return Case {
                sql: q,
                template,
                order: Order::Ordered { keys: None },
                expect: Expect::Same,
            };
        }
        if src.star && self.r.chance(0.06) {
            let w = self.pred(src, 2);
            let order: Vec<Sql> = if src.unique.is_empty() {
                let n = src.cols.len();
                (1..=n).map(|i| Sql::same(i.to_string())).collect()
            } else {
                src.unique.iter().map(Sql::same).collect()
            };
            let q = sql!(
                "SELECT * FROM ",
                &src.from,
                " WHERE ",
                w,
                " ORDER BY ",
                Sql::join(&order, ", "),
                self.limit(src.big)
            );
            return Case {
                sql: q,
                template,
                order: Order::Ordered { keys: None },
                expect: Expect::Same,
            };
        }
        let items: Vec<(Expr, Option<String>)> = (0..self.r.range(1, 4))
            .map(|i| {
                let e = self.row_expr(src);
                (e, self.r.chance(0.4).then(|| format!("x{}", i + 1)))
            })
            .collect();
        let mut q = sql!("SELECT ", Self::select_list(&items), " FROM ", &src.from);
        if self.r.chance(0.9) {
            q = sql!(q, " WHERE ", self.pred(src, 2));
        }
        let hidden: Vec<Sql> = if self.r.chance(0.5) {
            src.unique.iter().map(Sql::same).collect()
        } else {
            vec![]
        };
        let (o, order) = self.order_by(&items, &hidden, false);
        let limit = self.limit(src.big);
        Case {
            sql: sql!(q, o, limit),
            template,
            order,
            expect: Expect::Same,
        }
    }

    /// `SELECT DISTINCT keys FROM src [WHERE] [ORDER BY every column [LIMIT]]`.
    fn distinct(&mut self, src: &Source, template: &'static str) -> Case {
        let mut items: Vec<(Expr, Option<String>)> = Vec::new();
        for i in 0..self.r.range(1, 3) {
            let k = self.key(src);
            if !items.iter().any(|(x, _)| x.sql == k.sql) {
                items.push((k, self.r.chance(0.4).then(|| format!("k{}", i + 1))));
            }
        }
        let mut q = sql!("SELECT DISTINCT ", Self::select_list(&items), " FROM ", &src.from);
        if self.r.chance(0.7) {
            q = sql!(q, " WHERE ", self.pred(src, 2));
        }
        if self.r.chance(0.2) {
            return Case {
                sql: q,
                template,
                order: Order::Unordered,
                expect: Expect::Same,
            };
        }
        let (o, order) = self.order_by(&items, &[], false);
        let limit = self.limit(false);
        Case {
            sql: sql!(q, o, limit),
            template,
            order,
            expect: Expect::Same,
        }
    }

    /// `SELECT count(*) FROM (SELECT … LIMIT n [OFFSET m]) t`: a LIMIT without ORDER BY picks any rows,
    /// but how many is fixed (and the scan may stop early).
    fn limited_count(&mut self) -> Case {
        let src = if self.r.chance(0.7) {
            self.events_source()
        } else {
            self.join_source()
        };
        let e = self.row_expr(&src);
        let w = if self.r.chance(0.7) {
            sql!(" WHERE ", self.pred(&src, 1))
        } else {
            Sql::default()
        };
        let n = *self.r.pick(&[0, 1, 7, 100, 1000, 5000, 100_000]);
        let offset = if self.r.chance(0.3) {
            format!(" OFFSET {}", self.r.range(0, 3000))
        } else {
            String::new()
        };
        let distinct = if self.r.chance(0.2) { "DISTINCT " } else { "" };
        Case {
            sql: sql!(
                format!("SELECT count(*) FROM (SELECT {distinct}"),
                &e.sql,
                " AS v FROM ",
                &src.from,
                w,
                format!(" LIMIT {n}{offset}) t")
            ),
            template: "limit without order",
            order: Order::Ordered { keys: None },
            expect: Expect::Same,
        }
    }

    /// `SELECT <constant expressions>` without FROM: scalar semantics and constant folding.
    fn constants(&mut self) -> Case {
        let items: Vec<Sql> = (0..self.r.range(1, 4)).map(|_| self.constant()).collect();
        let parts: Vec<Sql> = items
            .iter()
            .enumerate()
            .map(|(i, e)| sql!(e, format!(" AS c{}", i + 1)))
            .collect();
        Case {
            sql: sql!("SELECT ", Sql::join(&parts, ", ")),
            template: "constants",
            order: Order::Ordered { keys: None },
            expect: Expect::Same,
        }
    }

    fn constant(&mut self) -> Sql {
        let i = |g: &mut Gen<'_>| int_lit(g.r.range(-50, 50));
        let nz = |g: &mut Gen<'_>| int_lit(*g.r.pick(&[-7, -3, -2, -1, 1, 2, 3, 7, 10]));
        let d = |g: &mut Gen<'_>| double_lit(*g.r.pick(&[-2.5, -0.125, 0.1, 0.5, 1.5, 2.0, 3.75, 10.0]));
        match self.r.below(17) {
            0 => sql!(i(self), " + ", i(self), " * ", i(self)),
            1 => int_div(&i(self), &nz(self)),
            2 => sql!(i(self), " % ", nz(self)),
            3 => sql!(d(self), " / ", d(self)),
            4 => sql!(d(self), " - ", i(self), " * ", d(self)),
            5 => sql!("round(", d(self), " * ", d(self), format!(", {})", self.r.range(0, 3))),
            6 => {
                let t = self.time_value();
                let unit = *self.r.pick(&["hour", "day", "week", "month"]);
                sql!(format!("date_trunc('{unit}', "), ts_lit(t, false), ")")
            }
            7 => {
                let t = self.time_value();
                let f = *self.r.pick(&["hour", "dow", "day", "month", "year"]);
                sql!(format!("extract({f} FROM "), ts_lit(t, false), ")")
            }
            8 => Sql::same(*self.r.pick(&[
                "NULL = 1",
                "1 IN (1, NULL)",
                "2 IN (1, NULL)",
                "2 NOT IN (1, NULL)",
                "NULL IS NULL",
                "NOT (NULL = 1)",
            ])),
            9 => Sql::same(*self.r.pick(&[
                "TRUE AND NULL",
                "FALSE AND NULL",
                "TRUE OR NULL",
                "NULL OR FALSE",
                "NOT TRUE OR FALSE AND TRUE",
            ])),
            10 => Sql::same(*self.r.pick(&[
                "'a' < 'b'",
                "'B' < 'a'",
                "'abc' LIKE 'a%'",
                "'abc' LIKE '_b_'",
                "'ab' || 'cd'",
                "'Teams' ILIKE 'tEAMs'",
            ])),
            11 => sql!(
                "CASE WHEN ",
                i(self),
                " > ",
                i(self),
                " THEN 'x' WHEN ",
                i(self),
                " < 0 THEN 'y' ELSE 'z' END"
            ),
            12 => sql!("coalesce(NULL, ", i(self), ")"),
            13 => sql!(i(self), " BETWEEN ", i(self), " AND ", i(self)),
            14 => {
                let t = self.time_value();
                sql!(ts_lit(t, false), " < ", ts_lit(self.time_value(), true))
            }
            15 => {
                // Calendar edges: before 1970, leap days, year ends, far future.
                let t = *self.r.pick(&[
                    "1969-12-31 23:59:59.999999",
                    "1900-03-01",
                    "2024-02-29 12:00:00",
                    "2021-01-03 10:00:00",
                    "2020-12-31 23:59:59",
                    "2100-02-28 08:30:00",
                    "1999-12-27 00:00:00.000001",
                ]);
                let f = *self.r.pick(&[
                    "year", "quarter", "month", "week", "day", "dow", "isodow", "doy", "hour",
                ]);
                let u = *self.r.pick(&["week", "month", "quarter", "year", "day", "hour"]);
                Sql::same(format!(
                    "extract({f} FROM TIMESTAMP '{t}') * 1000 + extract(doy FROM date_trunc('{u}', TIMESTAMP '{t}'))"
                ))
            }
            _ => sql!("-", i(self), " - -", d(self)),
        }
    }

    /// Scalar subqueries in the select list, alone or next to a grouped query's columns.
    fn select_subqueries(&mut self) -> Case {
        let mut n = 0;
        let mut sub = |g: &mut Gen<'_>| {
            n += 1;
            let dom = *g.r.pick(&["time", "grade", "seconds", "person", "class", "app"]);
            g.sub_depth += 1;
            let s = g.scalar_subquery(dom);
            g.sub_depth -= 1;
            sql!("(", s, format!(") AS s{n}"))
        };
        if self.r.chance(0.5) {
            let parts: Vec<Sql> = (0..self.r.range(1, 3)).map(|_| sub(self)).collect();
            return Case {
                sql: sql!("SELECT ", Sql::join(&parts, ", ")),
                template: "scalar subqueries",
                order: Order::Ordered { keys: None },
                expect: Expect::Same,
            };
        }
        let src = self.events_source();
        let k = self.key(&src);
        let s = sub(self);
        let total = sql!("(SELECT count(*) FROM events WHERE ", self.sub_where(), ") AS total");
        let q = sql!(
            "SELECT ",
            &k.sql,
            " AS k, count(*) AS n, ",
            s,
            ", ",
            total,
            " FROM ",
            &src.from,
            " GROUP BY 1 ORDER BY 1 NULLS FIRST"
        );
        Case {
            sql: q,
            template: "scalar subqueries",
            order: Order::Unordered,
            expect: Expect::Same,
        }
    }
}

/// A respelling that must not change a query's meaning.
#[derive(Debug, Clone, Copy)]
enum Spelling {
    /// Everything outside string literals in upper case.
    Upper,
    /// Everything outside string literals in lower case.
    Lower,
    /// A line break (and indentation) before each clause keyword.
    NewLines,
}

/// `sql` respelled: string literals (`'…'`, with `''` inside) are kept as they are.
fn respell(sql: &str, how: Spelling) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut in_string = false;
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if matches!(how, Spelling::NewLines)
            && matches!(
                word.as_str(),
                "FROM" | "WHERE" | "GROUP" | "HAVING" | "ORDER" | "LIMIT" | "JOIN" | "LEFT"
            )
            && out.ends_with(' ')
        {
            out.pop();
            out.push_str("\n    ");
        }
        out.push_str(word);
        word.clear();
    };
    for c in sql.chars() {
        if in_string {
            out.push(c);
            in_string = c != '\'';
            continue;
        }
        if c == '\'' {
            flush(&mut word, &mut out);
            out.push(c);
            in_string = true;
            continue;
        }
        let c = match how {
            Spelling::Upper => c.to_ascii_uppercase(),
            Spelling::Lower => c.to_ascii_lowercase(),
            Spelling::NewLines => c,
        };
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The output name PostgreSQL gives an unaliased cast of a column (`CAST(q.x AS T)`, `q.x::T` → `x`).
fn pg_output_name(expr: &str) -> Option<String> {
    let inner = match expr.strip_prefix("CAST(") {
        Some(rest) => rest.split(" AS ").next()?,
        None => expr.split_once("::")?.0,
    };
    let name = inner.rsplit('.').next()?;
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
        .then(|| name.to_string())
}

/// `date_trunc(unit, t)` for the units the generator uses.
fn trunc_time(unit: &str, t: i64) -> i64 {
    let u = query::time::TruncUnit::parse(unit).unwrap_or(query::time::TruncUnit::Day);
    query::time::trunc(u, t)
}
