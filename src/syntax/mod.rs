//! Stage 1: source text to a span-carrying syntax tree.

pub mod ast;
mod error;
pub mod lexer;
mod literal;
mod parser;

pub use parser::{
    next_item_start, parse, parse_in, parse_literal, skip_trivia, KEYWORDS, MAX_DEPTH,
    MAX_SYNTAX_ERRORS,
};
