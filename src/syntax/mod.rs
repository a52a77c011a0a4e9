//! Stage 1: source text to a span-carrying syntax tree.

pub mod ast;
mod error;
pub mod lexer;
mod literal;
mod parser;

pub use parser::{parse, parse_in, parse_literal, KEYWORDS, MAX_DEPTH, MAX_SYNTAX_ERRORS};
