//! The abstract syntax tree the parser produces and the planner consumes. It records what was written
//! (with byte spans for error messages), not what it means: names are not resolved, types not checked.

/// A byte range `[start, end)` in the text that was parsed; the planner turns it into line:column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// An identifier. Unquoted identifiers are folded to lower case (as PostgreSQL does); double-quoted
/// ones keep their case and may contain anything but a NUL (`""` inside stands for one `"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    /// The name after case folding / unquoting.
    pub value: String,
    /// Whether it was written in double quotes.
    pub quoted: bool,
    /// Where it was written.
    pub span: Span,
}

/// One statement of a script.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `SELECT …`
    Query(Box<Query>),
    /// `EXPLAIN <query>`: show the plan instead of running it.
    Explain(Box<Query>),
    /// `SHOW TABLES`
    ShowTables,
    /// `DESCRIBE <table>` (also `DESC <table>`).
    Describe(Ident),
}

/// A `SELECT` with its `ORDER BY`, `LIMIT` and `OFFSET`.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// `SELECT DISTINCT`.
    pub distinct: bool,
    /// The select list.
    pub projection: Vec<SelectItem>,
    /// `FROM …`; `None` for `SELECT 1 + 1`.
    pub from: Option<From>,
    /// `WHERE …`
    pub selection: Option<Expr>,
    /// `GROUP BY …`: expressions, output aliases or 1-based ordinals (integer literals).
    pub group_by: Vec<Expr>,
    /// `HAVING …`
    pub having: Option<Expr>,
    /// `ORDER BY …`: expressions, output aliases or 1-based ordinals (integer literals).
    pub order_by: Vec<OrderByItem>,
    /// `LIMIT n` (`LIMIT ALL` is `None`).
    pub limit: Option<u64>,
    /// `OFFSET n`.
    pub offset: Option<u64>,
    /// The whole query text.
    pub span: Span,
}

/// One entry of the select list.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    /// `*`
    Wildcard(Span),
    /// `alias.*`
    QualifiedWildcard(Ident),
    /// `expr [AS alias]` (the `AS` is optional, as in PostgreSQL).
    Expr {
        /// The value.
        expr: Expr,
        /// The output column name, if given.
        alias: Option<Ident>,
    },
}

/// The `FROM` clause: a first table and the joins after it, left to right.
#[derive(Debug, Clone, PartialEq)]
pub struct From {
    /// The first table.
    pub base: TableRef,
    /// `JOIN … ON …`, in the order written.
    pub joins: Vec<Join>,
}

/// A table in `FROM` or `JOIN`.
#[derive(Debug, Clone, PartialEq)]
pub enum TableRef {
    /// A named table, optionally aliased (`events e`, `events AS e`).
    Table {
        /// Table name.
        name: Ident,
        /// Alias.
        alias: Option<Ident>,
    },
    /// `(SELECT …) [AS] alias`.
    Derived {
        /// The subquery.
        query: Box<Query>,
        /// Alias (optional, as in PostgreSQL 16 and DuckDB).
        alias: Option<Ident>,
        /// From the opening parenthesis to the end of the alias.
        span: Span,
    },
}

/// The kind of a join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    /// `JOIN` / `INNER JOIN`.
    Inner,
    /// `LEFT JOIN` / `LEFT OUTER JOIN`.
    Left,
}

/// `[INNER | LEFT [OUTER]] JOIN table ON condition`.
#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    /// Inner or left outer.
    pub kind: JoinKind,
    /// The joined table.
    pub table: TableRef,
    /// The `ON` condition.
    pub on: Expr,
    /// From `JOIN` (or the `INNER`/`LEFT` before it) to the end of the condition.
    pub span: Span,
}

/// `expr [ASC | DESC] [NULLS FIRST | NULLS LAST]`.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderByItem {
    /// What to sort by.
    pub expr: Expr,
    /// `DESC`.
    pub desc: bool,
    /// `NULLS FIRST` (`Some(true)`), `NULLS LAST` (`Some(false)`) or the default (`None`: PostgreSQL's,
    /// NULLs last ascending and first descending).
    pub nulls_first: Option<bool>,
}

/// A literal value as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `NULL`
    Null,
    /// `TRUE` / `FALSE`
    Bool(bool),
    /// An integer literal that fits in `i64` (a larger one is a [`Literal::Decimal`]).
    Integer(i64),
    /// A literal with a decimal point or exponent (`1.5`, `.5`, `1e3`), kept as written.
    Decimal(String),
    /// `'text'` (with `''` unescaped to `'`).
    String(String),
    /// `TIMESTAMP 'YYYY-MM-DD[ HH:MM:SS[.ffffff]]'`; the text is checked by the planner.
    Timestamp(String),
    /// `DATE 'YYYY-MM-DD'`; the text is checked by the planner.
    Date(String),
    /// `INTERVAL '7 days'` (optionally `INTERVAL '7' DAY`, normalised to `"7 day"`); checked by the planner.
    Interval(String),
}

/// A unary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `NOT x`
    Not,
    /// `-x`
    Neg,
    /// `+x`
    Plus,
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `OR`
    Or,
    /// `AND`
    And,
    /// `=`
    Eq,
    /// `<>` or `!=`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Multiply,
    /// `/`
    Divide,
    /// `%`
    Modulo,
    /// `||` (string concatenation)
    Concat,
}

/// A type name in `CAST(x AS type)` or `x::type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeName {
    /// `INTEGER`, `INT`, `INT4`, `INT8`, `BIGINT`, `SMALLINT`
    Integer,
    /// `DOUBLE`, `DOUBLE PRECISION`, `FLOAT`, `FLOAT8`, `REAL`, `NUMERIC`, `DECIMAL` (all computed as f64)
    Double,
    /// `TEXT`, `VARCHAR`, `VARCHAR(n)`, `STRING`, `CHAR(n)`
    Text,
    /// `TIMESTAMP`, `TIMESTAMP WITHOUT TIME ZONE`
    Timestamp,
    /// `DATE` (a timestamp at midnight)
    Date,
    /// `BOOLEAN`, `BOOL`
    Boolean,
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `name` or `qualifier.name`.
    Column {
        /// Table name or alias, if qualified.
        table: Option<Ident>,
        /// Column name.
        name: Ident,
    },
    /// A literal.
    Literal(Literal, Span),
    /// `NOT x`, `-x`, `+x`.
    Unary {
        /// Operator.
        op: UnaryOp,
        /// Operand.
        expr: Box<Expr>,
        /// Operator and operand.
        span: Span,
    },
    /// `a op b`.
    Binary {
        /// Left operand.
        left: Box<Expr>,
        /// Operator.
        op: BinaryOp,
        /// Right operand.
        right: Box<Expr>,
        /// Where the operator was written (what a type error points at).
        op_span: Span,
    },
    /// `x IS [NOT] NULL`.
    IsNull {
        /// Operand.
        expr: Box<Expr>,
        /// `IS NOT NULL`.
        negated: bool,
        /// The whole expression.
        span: Span,
    },
    /// `x [NOT] IN (a, b, …)`.
    InList {
        /// Operand.
        expr: Box<Expr>,
        /// The list (never empty).
        list: Vec<Expr>,
        /// `NOT IN`.
        negated: bool,
        /// The whole expression.
        span: Span,
    },
    /// `x [NOT] IN (SELECT …)`.
    InSubquery {
        /// Operand.
        expr: Box<Expr>,
        /// The subquery (must return one column).
        subquery: Box<Query>,
        /// `NOT IN`.
        negated: bool,
        /// The whole expression.
        span: Span,
    },
    /// `x [NOT] BETWEEN low AND high`.
    Between {
        /// Operand.
        expr: Box<Expr>,
        /// Lower bound (inclusive).
        low: Box<Expr>,
        /// Upper bound (inclusive).
        high: Box<Expr>,
        /// `NOT BETWEEN`.
        negated: bool,
        /// The whole expression.
        span: Span,
    },
    /// `x [NOT] LIKE pattern` / `x [NOT] ILIKE pattern`.
    Like {
        /// Operand.
        expr: Box<Expr>,
        /// Pattern (`%` any run, `_` one character).
        pattern: Box<Expr>,
        /// `NOT LIKE`.
        negated: bool,
        /// `ILIKE` (case-insensitive).
        case_insensitive: bool,
        /// The whole expression.
        span: Span,
    },
    /// `(SELECT …)` used as a value (must return one column and at most one row).
    ScalarSubquery(Box<Query>, Span),
    /// A function call or aggregate: `f(a, b)`, `count(*)`, `count(DISTINCT x)`,
    /// `count(*) FILTER (WHERE …)`, `date_trunc('day', time)`.
    Function {
        /// Function name (case-folded like any identifier).
        name: Ident,
        /// Arguments (empty for `count(*)`).
        args: Vec<Expr>,
        /// `f(*)`.
        star: bool,
        /// `f(DISTINCT …)`.
        distinct: bool,
        /// `FILTER (WHERE …)`.
        filter: Option<Box<Expr>>,
        /// From the name to the closing parenthesis (of the FILTER clause, if any).
        span: Span,
    },
    /// `extract(field FROM x)`; `field` is e.g. `hour`, `dow`, `day`, `month`, `year` (checked by the planner).
    Extract {
        /// The field, case-folded.
        field: Ident,
        /// The timestamp.
        expr: Box<Expr>,
        /// The whole expression.
        span: Span,
    },
    /// `CAST(x AS type)` or `x::type`.
    Cast {
        /// Operand.
        expr: Box<Expr>,
        /// Target type.
        to: TypeName,
        /// The whole expression.
        span: Span,
    },
    /// `CASE [operand] WHEN … THEN … [ELSE …] END`.
    Case {
        /// The simple-CASE operand, if any.
        operand: Option<Box<Expr>>,
        /// `WHEN` / `THEN` pairs (at least one).
        branches: Vec<(Expr, Expr)>,
        /// `ELSE` value.
        otherwise: Option<Box<Expr>>,
        /// The whole expression.
        span: Span,
    },
}

impl Expr {
    /// Where the expression was written (best effort for composite expressions).
    pub fn span(&self) -> Span {
        match self {
            Expr::Column { table, name } => table.as_ref().map_or(name.span, |t| t.span.to(name.span)),
            Expr::Literal(_, s) | Expr::ScalarSubquery(_, s) => *s,
            Expr::Unary { span, .. }
            | Expr::IsNull { span, .. }
            | Expr::InList { span, .. }
            | Expr::InSubquery { span, .. }
            | Expr::Between { span, .. }
            | Expr::Like { span, .. }
            | Expr::Function { span, .. }
            | Expr::Extract { span, .. }
            | Expr::Cast { span, .. }
            | Expr::Case { span, .. } => *span,
            Expr::Binary { left, right, .. } => left.span().to(right.span()),
        }
    }
}
