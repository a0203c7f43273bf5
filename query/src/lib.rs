//! engagedb's SQL dialect: a nom parser producing an AST ([`ast`]), a planner binding it to the
//! engine's tables, and a vectorized, bitmap-driven executor over the engine's scan API.

pub mod ast;
pub mod error;
pub mod parser;

pub use error::ParseError;
pub use parser::{parse, parse_with_limits, ParseLimits};
