//! engagedb's SQL dialect: a nom parser producing an AST ([`ast`]), a planner binding it to the
//! engine's tables ([`plan`]), and a vectorized, bitmap-driven executor over the engine's scan API
//! ([`exec`]). [`QueryEngine`] ties them together; [`format`] writes results as CSV or JSON lines.

pub mod ast;
pub mod catalog;
pub mod error;
pub mod exec;
pub mod format;
pub mod parser;
pub mod plan;
pub mod result;
mod session;
pub mod time;
pub mod value;

pub use error::ParseError;
pub use exec::{ExecError, ExecOptions};
pub use parser::{parse, parse_with_limits, ParseLimits};
pub use plan::PlanError;
pub use result::{ResultColumn, ResultSet};
pub use session::{QueryEngine, QueryError};
pub use value::{DataType, Value};
