//! The parser: source text to the syntax tree, one top-level item at a time,
//! by recursive descent over the bytes of the source (names and text borrow
//! from it).
//!
//! It implements `grammar/tap.pest` (LANGUAGE.md section 2) rule for rule, as
//! the parsing expression grammar it is: alternatives are tried in order and
//! the first that matches is taken; blanks and comments are skipped between
//! the parts of a rule, not inside a token. Keep the two in step: a change to
//! the language is a change to both (`tests/grammar_pest.rs` checks that they
//! read programs alike).
//!
//! An item that does not parse is reported where the parser got furthest, with
//! the tokens it tried there (`Parser::rule`), and kept as an
//! `ItemKind::Broken` node; parsing goes on at the next line that starts with
//! a keyword, so that the rest of the file is still checked.

use std::borrow::Cow;

use super::ast::*;
use super::error::{starts_with_word, syntax_error, LineCounter, Want};
use super::literal::{
    bad_number, cidr, interp_unclosed, parse_digits, parse_duration, parse_size, too_large,
};
use crate::diag::{Diagnostic, FileId, Span};

/// Deeper nesting of lists, maps and blocks is rejected before the parser sees
/// it (`check_depth`), and the parser itself never goes deeper, so that it
/// cannot overflow the stack.
pub const MAX_DEPTH: usize = 64;

/// The keywords that start a top-level item.
pub const KEYWORDS: [&str; 8] = [
    "param",
    "platform",
    "region",
    "service",
    "replicate",
    "endpoint",
    "import",
    "schema",
];

/// Diagnostics the parser reports per file. A file of 16 MiB can hold millions
/// of broken items, and each diagnostic costs kilobytes in a report: past this
/// many, the file is still parsed to its end (at the same linear cost), and the
/// rest are counted in one E010.
pub const MAX_SYNTAX_ERRORS: usize = 1000;

/// Parses the root file of a program (`FileId::ROOT`).
pub fn parse(src: &str) -> (File<'_>, Vec<Diagnostic>) {
    parse_in(FileId::ROOT, src)
}

/// Parses one source file; spans name `file`. A broken item is kept as an
/// `ItemKind::Broken` node (with its name, where it can be read) and parsing
/// goes on at the next item, so that the rest of the file is still checked.
pub fn parse_in(file: FileId, src: &str) -> (File<'_>, Vec<Diagnostic>) {
    if let Some(d) = check_depth(file, src) {
        let items = vec![broken(file, src, 0, src.len())];
        return (File { items }, vec![d]);
    }
    let mut p = Parser::new(file, src);
    let mut items = Vec::new();
    // A byte-order mark is no part of the program; spans stay offsets in `src`.
    let start = if src.starts_with(crate::diag::BOM) {
        crate::diag::BOM.len_utf8()
    } else {
        0
    };
    let mut pos = skip_trivia(src, start);
    let mut lines = LineCounter::default();
    let (mut hidden, mut first_hidden, mut past_cap) = (0, None, false);
    while pos < src.len() {
        match p.item_line(pos) {
            Some((item, end)) => {
                items.push(item);
                pos = skip_trivia(src, end.max(pos + 1));
            }
            None => {
                let end = next_item_start(src, pos);
                if p.diags.len() < MAX_SYNTAX_ERRORS || first_hidden.is_none() {
                    let d = match p.too_deep {
                        Some(at) => too_deep(file, at),
                        None => syntax_error(file, src, pos, p.fail_pos, &p.wants, &mut lines),
                    };
                    p.diags.push(d);
                    items.push(broken(file, src, pos, end));
                } else {
                    // Past the cap, and its first error found: only counted.
                    // One node without a name stands for all such items (a
                    // node each took 800 MiB for 2,000,000 of them), so that
                    // any unknown name may be one of theirs.
                    hidden += 1;
                    if !past_cap {
                        past_cap = true;
                        items.push(nameless(Span::new(file, pos, end)));
                    }
                }
                pos = end;
            }
        }
        if p.diags.len() > MAX_SYNTAX_ERRORS {
            let over = p.diags.split_off(MAX_SYNTAX_ERRORS);
            first_hidden = first_hidden.or(over.first().map(Diagnostic::primary_span));
            hidden += over.len();
        }
    }
    if let Some(span) = first_hidden {
        p.diags.push(
            Diagnostic::error(
                "E010",
                format!("{hidden} more syntax errors in this file are not shown"),
            )
            .label(span, "the first error not shown")
            .help(format!(
                "the first {MAX_SYNTAX_ERRORS} are shown above: fix them and check again"
            )),
        );
    }
    (File { items }, p.diags)
}

/// Parses a lone literal (a value given for a param from outside the program);
/// `None` if it is not exactly one valid value.
pub fn parse_literal(text: &str) -> Option<Value<'_>> {
    // (Nesting past the limit is no value a param takes, and is not parsed.)
    if check_depth(FileId::ROOT, text).is_some() {
        return None;
    }
    // The value's spans point into no file; the checker labels the param's
    // declaration instead.
    let mut p = Parser::new(FileId::ROOT, text);
    p.skip();
    let value = p.value()?;
    p.skip();
    (p.pos == text.len() && p.diags.is_empty()).then_some(value)
}

/// An error node with neither keyword nor name: any unknown name may be its.
fn nameless(span: Span) -> Item<'static> {
    Item {
        kind: ItemKind::Broken {
            keyword: None,
            name: None,
        },
        keyword: span.at(span.start),
        span,
    }
}

/// The error node of the item in `src[pos..end]` that did not parse: its
/// keyword and the name after it, where they can be read, so that the checker
/// knows the name is declared (a reference to it is no error of its own).
fn broken(file: FileId, src: &str, pos: usize, end: usize) -> Item<'_> {
    let span = Span::new(file, pos, end);
    let Some(kw) = KEYWORDS
        .iter()
        .find(|kw| starts_with_word(&src[pos..end], kw))
    else {
        return nameless(span);
    };
    let after = pos + kw.len();
    let start =
        after + (src[after..end].len() - src[after..end].trim_start_matches([' ', '\t']).len());
    let len = src[start..end]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(end - start);
    let name = src[start..start + len].trim_end_matches('-');
    let name = (name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')).then(|| Ident {
        name,
        span: Span::new(file, start, start + name.len()),
    });
    Item {
        kind: ItemKind::Broken {
            keyword: Some(kw),
            name,
        },
        keyword: Span::new(file, pos, after),
        span,
    }
}

/// Skips blanks, newlines and comments: what the grammar's `file` rule allows
/// between items. (Public, as `next_item_start` is, for the test that reads
/// programs with the grammar item by item as the parser does.)
pub fn skip_trivia(src: &str, mut pos: usize) -> usize {
    let bytes = src.as_bytes();
    while pos < bytes.len() {
        match bytes[pos] {
            b' ' | b'\t' | b'\r' | b'\n' => pos += 1,
            b'#' => {
                while pos < bytes.len() && bytes[pos] != b'\n' {
                    pos += 1;
                }
            }
            _ => break,
        }
    }
    pos
}

/// Where to resume after a broken item: the next line that starts with a
/// top-level keyword, or the end of the file. `from` is any byte offset, not
/// necessarily a character boundary, so the search runs over bytes; a line
/// start is always a boundary.
pub fn next_item_start(src: &str, from: usize) -> usize {
    let mut pos = from;
    while let Some(i) = src.as_bytes()[pos..].iter().position(|&b| b == b'\n') {
        pos += i + 1;
        let rest = &src[pos..];
        let starts_item = KEYWORDS.iter().any(|kw| {
            rest.strip_prefix(kw)
                .is_some_and(|r| r.starts_with([' ', '\t']))
        });
        if starts_item {
            return pos;
        }
    }
    src.len()
}

fn check_depth(file: FileId, src: &str) -> Option<Diagnostic> {
    let bytes = src.as_bytes();
    let (mut depth, mut i) = (0usize, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && !matches!(bytes[i], b'"' | b'\n') {
                    // As in the grammar, an escape never takes the end of the line.
                    let escape = bytes[i] == b'\\' && bytes.get(i + 1) != Some(&b'\n');
                    i += if escape { 2 } else { 1 };
                }
            }
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(too_deep(file, i));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    file: FileId,
    pos: usize,
    /// The furthest position at which a rule of the grammar failed in this
    /// item, and what was tried there: the item's syntax error.
    fail_pos: usize,
    wants: Vec<Want>,
    /// Lists, maps and blocks the parser is in.
    depth: usize,
    /// Where nesting went past `MAX_DEPTH` (`check_depth` counts brackets in
    /// text that the parser reads as a string, so it can let deeper nesting by).
    too_deep: Option<usize>,
    /// The errors of literals (E002-E006), and the syntax errors.
    diags: Vec<Diagnostic>,
    /// The attribute whose value is being read, for helps that depend on it.
    attr: Option<&'a str>,
}

impl<'a> Parser<'a> {
    fn new(file: FileId, src: &'a str) -> Self {
        Parser {
            src,
            b: src.as_bytes(),
            file,
            pos: 0,
            fail_pos: 0,
            wants: Vec::new(),
            depth: 0,
            too_deep: None,
            diags: Vec::new(),
            attr: None,
        }
    }

    fn span(&self, start: usize) -> Span {
        Span::new(self.file, start, self.pos)
    }

    /// `item_line`: an item and the end of its line; the item and where its
    /// line ends, or `None` (the error in `fail_pos`, `wants`, `too_deep`).
    fn item_line(&mut self, pos: usize) -> Option<(Item<'a>, usize)> {
        self.pos = pos;
        self.fail_pos = pos;
        self.wants.clear();
        self.depth = 0;
        self.too_deep = None;
        let diags = self.diags.len();
        let line = self.item().and_then(|item| {
            self.skip();
            if self.token(Want::EndOfLine, nl_end(self.b, self.pos)) {
                return Some((item, self.pos));
            }
            let end = (self.pos == self.b.len()).then_some(self.pos);
            self.token(Want::EndOfFile, end).then_some((item, self.pos))
        });
        if line.is_none() {
            // A broken item reports its syntax error, not its literals'.
            self.diags.truncate(diags);
        }
        line
    }

    // Error tracking, as a PEG parser does it (and as pest did, whose messages
    // tapc's diagnostics and their tests were written for): every rule that
    // fails notes itself at the position where it started, and only the
    // furthest such position is kept. A rule whose parts made exactly one
    // note there leaves that note, which says more; otherwise it replaces its
    // parts' notes with its own ("expected a key", not the key's tokens).

    /// A rule of the grammar: `f` parses its parts; if it fails, the rule
    /// consumes nothing, its literals' errors are dropped, and it is noted.
    fn rule<T>(&mut self, want: Want, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let (pos, diags) = (self.pos, self.diags.len());
        let noted = self.noted_at(pos);
        let result = f(self);
        if result.is_none() {
            self.pos = pos;
            self.diags.truncate(diags);
            if self.noted_at(pos) != noted + 1 {
                if pos == self.fail_pos {
                    self.wants.truncate(noted);
                }
                self.note(want);
            }
        }
        result
    }

    fn noted_at(&self, pos: usize) -> usize {
        if pos == self.fail_pos {
            self.wants.len()
        } else {
            0
        }
    }

    /// A failure at the current position.
    fn note(&mut self, want: Want) {
        if self.pos > self.fail_pos {
            self.wants.clear();
            self.fail_pos = self.pos;
        }
        if self.pos == self.fail_pos {
            self.wants.push(want);
        }
    }

    /// A token that ends at `end`, if it is there: consumed, or noted.
    fn token(&mut self, want: Want, end: Option<usize>) -> bool {
        match end {
            Some(end) => self.pos = end,
            None => self.note(want),
        }
        end.is_some()
    }

    /// A token that ends at `end`, as text.
    fn text(&mut self, want: Want, end: Option<usize>) -> Option<&'a str> {
        let start = self.pos;
        self.token(want, end).then(|| &self.src[start..self.pos])
    }

    fn punct(&mut self, want: Want, c: u8) -> bool {
        let end = (self.b.get(self.pos) == Some(&c)).then_some(self.pos + 1);
        self.token(want, end)
    }

    fn ident(&mut self) -> Option<Ident<'a>> {
        let start = self.pos;
        let name = self.text(Want::Name, ident_end(self.b, start))?;
        Some(Ident {
            name,
            span: self.span(start),
        })
    }

    /// The blanks and comments between the parts of a rule.
    fn skip(&mut self) {
        let b = self.b;
        let mut i = self.pos;
        loop {
            while i < b.len() && matches!(b[i], b' ' | b'\t') {
                i += 1;
            }
            if b.get(i) != Some(&b'#') {
                break;
            }
            while i < b.len() && nl_end(b, i).is_none() {
                i += 1;
            }
        }
        self.pos = i;
    }

    fn newline(&mut self) -> bool {
        self.token(Want::EndOfLine, nl_end(self.b, self.pos))
    }

    /// `nl*`
    fn newlines(&mut self) {
        loop {
            let at = self.pos;
            self.skip();
            if !self.newline() {
                self.pos = at;
                return;
            }
        }
    }

    /// `nl+`
    fn newlines1(&mut self) -> bool {
        self.newline() && {
            self.newlines();
            true
        }
    }

    /// `sep`: a comma, or line ends, or both.
    fn sep(&mut self) -> bool {
        let at = self.pos;
        self.newlines();
        self.skip();
        if self.punct(Want::Comma, b',') {
            self.skip();
            self.newlines();
            return true;
        }
        self.pos = at;
        self.newlines1()
    }

    fn keyword(&mut self, kw: &str) -> Option<Span> {
        let start = self.pos;
        let end = (self.b[start..].starts_with(kw.as_bytes())
            && !is_ident_char(self.b, start + kw.len()))
        .then_some(start + kw.len());
        self.token(Want::Item, end).then(|| self.span(start))
    }

    fn item(&mut self) -> Option<Item<'a>> {
        let start = self.pos;
        let item = move |p: &mut Self, keyword: Span, kind: ItemKind<'a>| {
            Some(Item {
                kind,
                keyword,
                span: p.span(start),
            })
        };
        if let Some(i) = self.rule(Want::Item, |p| {
            let kw = p.keyword("param")?;
            p.skip();
            let name = p.ident()?;
            p.skip();
            p.punct(Want::Colon, b':').then_some(())?;
            p.skip();
            let ty = p.ident()?;
            p.skip();
            let at = p.pos;
            let default = p.punct(Want::Eq, b'=').then(|| {
                p.skip();
                p.value()
            });
            let default = default.flatten().or_else(|| {
                p.pos = at;
                None
            });
            item(p, kw, ItemKind::Param { name, ty, default })
        }) {
            return Some(i);
        }
        if let Some(i) = self.rule(Want::Item, |p| {
            let kw = p.keyword("platform")?;
            let (name, body) = p.named_body()?;
            item(p, kw, ItemKind::Platform { name, body })
        }) {
            return Some(i);
        }
        if let Some(i) = self.rule(Want::Item, |p| {
            let kw = p.keyword("region")?;
            let (code, body) = p.named_body()?;
            item(p, kw, ItemKind::Region { code, body })
        }) {
            return Some(i);
        }
        if let Some(i) = self.rule(Want::Item, |p| {
            let kw = p.keyword("service")?;
            p.skip();
            let name = p.ident()?;
            p.skip();
            p.punct(Want::Colon, b':').then_some(())?;
            p.skip();
            let kind = p.ident()?;
            p.skip();
            let body = p.body()?;
            item(p, kw, ItemKind::Service { name, kind, body })
        }) {
            return Some(i);
        }
        if let Some(i) = self.rule(Want::Item, |p| {
            let kw = p.keyword("replicate")?;
            p.skip();
            let service = p.ident()?;
            p.skip();
            let arrow = p.b[p.pos..].starts_with(b"->").then_some(p.pos + 2);
            p.token(Want::Arrow, arrow).then_some(())?;
            p.skip();
            let mut regions = vec![p.ident()?];
            loop {
                let at = p.pos;
                p.skip();
                let region = if p.punct(Want::Comma, b',') {
                    p.skip();
                    p.ident()
                } else {
                    None
                };
                match region {
                    Some(r) => regions.push(r),
                    None => {
                        p.pos = at;
                        break;
                    }
                }
            }
            p.skip();
            let at = p.pos;
            let body = p.body().unwrap_or_else(|| {
                p.pos = at;
                Body {
                    span: Span::new(p.file, at, at),
                    ..Body::default()
                }
            });
            item(
                p,
                kw,
                ItemKind::Replicate {
                    service,
                    regions,
                    body,
                },
            )
        }) {
            return Some(i);
        }
        if let Some(i) = self.rule(Want::Item, |p| {
            let kw = p.keyword("endpoint")?;
            let (name, body) = p.named_body()?;
            item(p, kw, ItemKind::Endpoint { name, body })
        }) {
            return Some(i);
        }
        if let Some(i) = self.rule(Want::Item, |p| {
            let kw = p.keyword("import")?;
            p.skip();
            let path = p.value()?;
            item(p, kw, ItemKind::Import { path })
        }) {
            return Some(i);
        }
        self.rule(Want::Item, |p| {
            let kw = p.keyword("schema")?;
            let (name, body) = p.named_body()?;
            item(p, kw, ItemKind::Schema { name, body })
        })
    }

    /// The ` NAME { ... }` after a keyword.
    fn named_body(&mut self) -> Option<(Ident<'a>, Body<'a>)> {
        self.skip();
        let name = self.ident()?;
        self.skip();
        Some((name, self.body()?))
    }

    /// Counts a level of nesting (its bracket just read) around `f`, and
    /// stops past `MAX_DEPTH`.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        if self.depth == MAX_DEPTH {
            self.too_deep.get_or_insert(self.pos - 1);
            return None;
        }
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    fn body(&mut self) -> Option<Body<'a>> {
        let start = self.pos;
        self.rule(Want::LBrace, |p| {
            p.punct(Want::LBrace, b'{').then_some(())?;
            p.nested(|p| {
                p.skip();
                p.newlines();
                let mut body = Body::default();
                loop {
                    let at = p.pos;
                    p.skip();
                    let entry = p.entry();
                    let ended = entry.is_some() && {
                        p.skip();
                        p.newlines1() || p.closing_brace_next()
                    };
                    match entry {
                        Some(Ok(attr)) if ended => body.attrs.push(attr),
                        Some(Err(block)) if ended => body.blocks.push(block),
                        _ => {
                            p.pos = at;
                            break;
                        }
                    }
                }
                p.skip();
                p.punct(Want::RBrace, b'}').then_some(())?;
                body.span = p.span(start);
                Some(body)
            })
        })
    }

    /// `&rbrace`
    fn closing_brace_next(&mut self) -> bool {
        let at = self.pos;
        let found = self.punct(Want::RBrace, b'}');
        self.pos = at;
        found
    }

    /// An attribute (`Ok`) or a nested block (`Err`).
    fn entry(&mut self) -> Option<Result<Attr<'a>, Block<'a>>> {
        let attr = self.rule(Want::Attribute, |p| {
            let name = p.ident()?;
            p.skip();
            p.punct(Want::Eq, b'=').then_some(())?;
            p.skip();
            p.attr = Some(name.name);
            let value = p.value();
            p.attr = None;
            Some(Attr {
                name,
                value: value?,
            })
        });
        if let Some(attr) = attr {
            return Some(Ok(attr));
        }
        self.rule(Want::Attribute, |p| {
            let name = p.ident()?;
            p.skip();
            let body = p.body()?;
            Some(Err(Block { name, body }))
        })
    }

    fn value(&mut self) -> Option<Value<'a>> {
        let start = self.pos;
        let b = self.b;
        let errors = self.diags.len();
        let span = |p: &Self| Span::new(p.file, start, p.pos);
        let kind = if let Some(parts) = self.string() {
            if self.diags.len() > errors {
                // An unknown escape: the string is not what was meant.
                ValueKind::Error
            } else {
                ValueKind::Str(parts)
            }
        } else if let Some(text) = self.text(Want::Value, unterminated_end(b, start)) {
            self.unterminated(text, self.span(start))
        } else if let Some(text) = self.text(Want::Value, cidr_end(b, start)) {
            let span = span(self);
            cidr(&mut self.diags, text, span)
        } else if let Some(text) = self.text(Want::Value, size_end(b, start)) {
            let span = span(self);
            match parse_size(text) {
                Some(bytes) => ValueKind::Size(bytes),
                None => too_large(&mut self.diags, span, "size", "16 EiB"),
            }
        } else if let Some(text) = self.text(Want::Value, duration_end(b, start)) {
            let span = span(self);
            match parse_duration(text) {
                Some(ms) => ValueKind::Duration(ms),
                None => too_large(&mut self.diags, span, "duration", "about 292 million years"),
            }
        } else if let Some(text) = self.text(Want::Value, int_end(b, start)) {
            let span = span(self);
            match parse_digits(text).and_then(|n| i64::try_from(n).ok()) {
                Some(n) => ValueKind::Int(n),
                None => too_large(
                    &mut self.diags,
                    span,
                    "integer",
                    "9_223_372_036_854_775_807",
                ),
            }
        } else if let Some(text) = self.text(Want::Value, bad_number_end(b, start)) {
            let span = span(self);
            bad_number(&mut self.diags, self.attr, text, span)
        } else if let Some(items) = self.list() {
            ValueKind::List(items)
        } else if let Some(pairs) = self.map() {
            ValueKind::Map(pairs)
        } else if let Some(text) = self.text(Want::Value, bool_end(b, start)) {
            ValueKind::Bool(text == "true")
        } else {
            ValueKind::Symbol(self.text(Want::Name, ident_end(b, start))?)
        };
        Some(Value {
            kind,
            span: self.span(start),
        })
    }

    fn unterminated(&mut self, text: &str, span: Span) -> ValueKind<'a> {
        let diag = match interp_unclosed(text) {
            Some(i) => {
                let at = span.start + i;
                Diagnostic::error("E002", "`${` is not closed in this string")
                    .label(
                        Span::new(span.file, at, at + 2),
                        "interpolation without a closing `}`",
                    )
                    .help("write a param as `${name}`; for a literal `${`, write `\\${`")
            }
            None => Diagnostic::error("E002", "unterminated string")
                .label(span, "this string has no closing `\"`")
                .help("add a `\"` at the end of the string; strings cannot span lines (write `\\n` for a newline)"),
        };
        self.diags.push(diag);
        ValueKind::Error
    }

    fn list(&mut self) -> Option<Vec<Value<'a>>> {
        self.rule(Want::Value, |p| {
            p.punct(Want::Value, b'[').then_some(())?;
            p.nested(|p| {
                let items = p.separated(Self::value);
                p.punct(Want::RBracket, b']').then_some(items)
            })
        })
    }

    fn map(&mut self) -> Option<Vec<(MapKey<'a>, Value<'a>)>> {
        self.rule(Want::Value, |p| {
            p.punct(Want::LBrace, b'{').then_some(())?;
            p.nested(|p| {
                let pairs = p.separated(Self::pair);
                p.punct(Want::RBrace, b'}').then_some(pairs)
            })
        })
    }

    /// The inside of a list or a map: `nl* ~ (x ~ (sep ~ x)* ~ sep?)? ~ nl*`,
    /// and the blanks before the closing bracket.
    fn separated<T>(&mut self, mut x: impl FnMut(&mut Self) -> Option<T>) -> Vec<T> {
        self.skip();
        self.newlines();
        self.skip();
        let mut items = Vec::new();
        if let Some(first) = x(self) {
            items.push(first);
            loop {
                let at = self.pos;
                self.skip();
                let next = if self.sep() {
                    self.skip();
                    x(self)
                } else {
                    None
                };
                match next {
                    Some(next) => items.push(next),
                    None => {
                        self.pos = at;
                        break;
                    }
                }
            }
            self.skip();
            let at = self.pos;
            if !self.sep() {
                self.pos = at;
            }
        }
        self.skip();
        self.newlines();
        self.skip();
        items
    }

    fn pair(&mut self) -> Option<(MapKey<'a>, Value<'a>)> {
        self.rule(Want::Key, |p| {
            let start = p.pos;
            let text = match p.text(Want::Name, ident_end(p.b, start)) {
                Some(name) => Cow::Borrowed(name),
                // A string used where interpolation means nothing.
                None => match p.string()?.as_slice() {
                    [] => Cow::Borrowed(""),
                    [StrPart::Text(t)] => t.clone(),
                    parts => Cow::Owned(
                        parts
                            .iter()
                            .map(|part| match part {
                                StrPart::Text(t) => t.to_string(),
                                StrPart::Param(i) => format!("${{{}}}", i.name),
                            })
                            .collect(),
                    ),
                },
            };
            let key = MapKey {
                text,
                span: p.span(start),
            };
            p.skip();
            p.punct(Want::Eq, b'=').then_some(())?;
            p.skip();
            Some((key, p.value()?))
        })
    }

    /// A closed string: its text, with escapes read, and its `${param}`s.
    fn string(&mut self) -> Option<Vec<StrPart<'a>>> {
        self.rule(Want::Value, |p| {
            if p.b.get(p.pos) != Some(&b'"') {
                return None;
            }
            p.pos += 1;
            let mut parts: Vec<StrPart<'a>> = Vec::new();
            let push_text = |parts: &mut Vec<StrPart<'a>>, t: &'a str| match parts.last_mut() {
                Some(StrPart::Text(prev)) => prev.to_mut().push_str(t),
                _ => parts.push(StrPart::Text(Cow::Borrowed(t))),
            };
            loop {
                let start = p.pos;
                if let Some(text) = p.text(Want::Value, text_end(p.b, start)) {
                    push_text(&mut parts, text);
                } else if let Some(escape) = p.text(Want::Value, escape_end(p.b, start)) {
                    let c = match escape {
                        "\\\"" => "\"",
                        "\\\\" => "\\",
                        "\\n" => "\n",
                        "\\t" => "\t",
                        "\\$" => "$",
                        other => {
                            p.diags.push(
                                Diagnostic::error("E003", format!("unknown escape {}", crate::diag::quote(other)))
                                    .label(p.span(start), "not an escape tapc knows")
                                    .help("the escapes are `\\\"`, `\\\\`, `\\n`, `\\t` and `\\$`; write `\\\\` for a backslash"),
                            );
                            ""
                        }
                    };
                    push_text(&mut parts, c);
                } else if let Some(name) = p.interp() {
                    parts.push(StrPart::Param(name));
                } else {
                    break;
                }
            }
            (p.b.get(p.pos) == Some(&b'"')).then(|| {
                p.pos += 1;
                parts
            })
        })
    }

    /// `${name}`, blanks allowed inside the braces.
    fn interp(&mut self) -> Option<Ident<'a>> {
        self.rule(Want::Value, |p| {
            if !p.b[p.pos..].starts_with(b"${") {
                return None;
            }
            p.pos += 2;
            p.skip();
            let name = p.ident()?;
            p.skip();
            p.punct(Want::RBrace, b'}').then_some(name)
        })
    }
}

// The tokens of the grammar: where the one at `i` ends, if it is there.

fn nl_end(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i) {
        Some(b'\n') => Some(i + 1),
        Some(b'\r') if b.get(i + 1) == Some(&b'\n') => Some(i + 2),
        _ => None,
    }
}

fn is_ident_char(b: &[u8], i: usize) -> bool {
    b.get(i)
        .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

fn ident_end(b: &[u8], i: usize) -> Option<usize> {
    let word = |c: &u8| c.is_ascii_alphanumeric() || *c == b'_';
    if !b
        .get(i)
        .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_')
    {
        return None;
    }
    let mut j = i + 1;
    // A `-` only between name characters.
    while b.get(j).is_some_and(word) || (b.get(j) == Some(&b'-') && b.get(j + 1).is_some_and(word))
    {
        j += 1;
    }
    Some(j)
}

/// Digits, with single `_` between them.
fn digits_end(b: &[u8], i: usize) -> Option<usize> {
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let mut j = i + 1;
    loop {
        match b.get(j) {
            Some(c) if c.is_ascii_digit() => j += 1,
            Some(b'_') if b.get(j + 1).is_some_and(u8::is_ascii_digit) => j += 2,
            _ => return Some(j),
        }
    }
}

fn cidr_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    for sep in [b'.', b'.', b'.', b'/'] {
        j = digits_end(b, j)?;
        if b.get(j) != Some(&sep) {
            return None;
        }
        j += 1;
    }
    digits_end(b, j)
}

fn size_end(b: &[u8], i: usize) -> Option<usize> {
    let j = digits_end(b, i)?;
    let unit = ["KiB", "MiB", "GiB", "TiB"]
        .iter()
        .any(|u| b[j..].starts_with(u.as_bytes()));
    (unit && !is_ident_char(b, j + 3)).then_some(j + 3)
}

/// One or more numbers with units (`1h30m`).
fn duration_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    while let Some(d) = digits_end(b, j) {
        let unit = match b.get(d) {
            Some(b'm') if b.get(d + 1) == Some(&b's') => 2,
            Some(b's' | b'm' | b'h' | b'd') => 1,
            _ => break,
        };
        j = d + unit;
    }
    (j > i && !is_ident_char(b, j)).then_some(j)
}

fn int_end(b: &[u8], i: usize) -> Option<usize> {
    let j = digits_end(b, i)?;
    (!is_ident_char(b, j) && b.get(j) != Some(&b'.')).then_some(j)
}

/// Digits run into letters or dots: a number tapc does not take, reported
/// with a fix (`literal::bad_number`).
fn bad_number_end(b: &[u8], i: usize) -> Option<usize> {
    let j = digits_end(b, i)?;
    let mut k = j;
    while is_ident_char(b, k) || b.get(k) == Some(&b'.') {
        k += 1;
    }
    (k > j).then_some(k)
}

fn bool_end(b: &[u8], i: usize) -> Option<usize> {
    let len = if b[i..].starts_with(b"true") {
        4
    } else if b[i..].starts_with(b"false") {
        5
    } else {
        return None;
    };
    (!is_ident_char(b, i + len)).then_some(i + len)
}

/// A `"` and the rest of its line.
fn unterminated_end(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let mut j = i + 1;
    while j < b.len() && nl_end(b, j).is_none() {
        j += 1;
    }
    Some(j)
}

/// Text in a string, up to a quote, an escape, a `${` or the end of the line.
fn text_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    while j < b.len()
        && !matches!(b[j], b'"' | b'\\' | b'\n')
        && !b[j..].starts_with(b"${")
        && !b[j..].starts_with(b"\r\n")
    {
        j += 1;
    }
    (j > i).then_some(j)
}

/// A `\` and the character after it, unless that ends the line.
fn escape_end(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'\\') {
        return None;
    }
    let next = i + 1;
    match b.get(next) {
        None => Some(next),
        Some(_) if nl_end(b, next).is_some() => Some(next),
        // One character, of as many bytes as its first says.
        Some(&c) => Some(next + (c.leading_ones() as usize).max(1)),
    }
}

/// E007, at the bracket that opens one level too many.
fn too_deep(file: FileId, at: usize) -> Diagnostic {
    Diagnostic::error("E007", "lists, maps and blocks are nested too deeply")
        .label(
            Span::new(file, at, at + 1),
            format!("nesting level {}", MAX_DEPTH + 1),
        )
        .help(format!("tapc accepts up to {MAX_DEPTH} levels of nesting"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brackets count toward the nesting limit outside comments and strings
    /// only, and an escaped quote does not end a string.
    #[test]
    fn nesting_counts_brackets_outside_comments_and_strings() {
        let deep = "[".repeat(MAX_DEPTH);
        let quiet = format!("# {deep}[\nx = \"\\\" {deep}[\"\ny = {deep}");
        assert!(check_depth(FileId::ROOT, &quiet).is_none());
        let loud = format!("# ]]]\nx = \"]]]\"\ny = {deep}{{");
        let d = check_depth(FileId::ROOT, &loud).expect("too deep");
        assert_eq!(d.primary_span().start, loud.len() - 1);
        assert!(check_depth(FileId::ROOT, "# no line end [[[").is_none());
        assert!(check_depth(FileId::ROOT, "x = \"\\").is_none());
    }

    /// Past the cap of reported syntax errors, the items not shown are one
    /// node without a name, not a node each: the tree of a file of millions
    /// of broken items stays small.
    #[test]
    fn broken_items_past_the_cap_are_one_node() {
        let src = "param x\n".repeat(MAX_SYNTAX_ERRORS + 500);
        let (file, diags) = parse(&src);
        assert_eq!(diags.len(), MAX_SYNTAX_ERRORS + 1);
        assert_eq!(diags.last().map(|d| d.code), Some("E010"));
        assert_eq!(file.items.len(), MAX_SYNTAX_ERRORS + 2);
        let rest = &file.items[MAX_SYNTAX_ERRORS + 1];
        assert_eq!(
            rest.kind,
            ItemKind::Broken {
                keyword: None,
                name: None
            }
        );
        assert_eq!(rest.span.start, 8 * (MAX_SYNTAX_ERRORS + 1));
    }

    /// Recovery searches bytes: from any offset it finds the next item, and
    /// an item cut inside a character does not panic (found by
    /// tests/proptest_parser.rs).
    #[test]
    fn recovery_from_inside_a_character_does_not_panic() {
        let (_, diags) = parse("import[\nparam \u{800}");
        assert!(!diags.is_empty());
        assert_eq!(next_item_start("a\u{800}\nparam x", 2), 5);
    }

    /// An item can go on past lines that start with a keyword; its error is
    /// where the parse of the whole item stops.
    #[test]
    fn items_that_run_past_a_keyword_line_are_parsed_whole() {
        let unindented = "platform p {\nregion = a\nservice = b\nregion = c\n}\nregion r {\n}\n";
        let (file, diags) = parse(unindented);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(file.items.len(), 2);
        let broken = "platform p {\nregion = a\nservice = b\nx = = 1\n}\nregion r {\n}\n";
        // (Recovery then resumes at those lines, and reports them too.)
        let (_, diags) = parse(broken);
        assert_eq!(diags[0].primary_span().start, broken.find("= 1").unwrap());
    }

    /// `check_depth` counts the brackets after a string that does not close
    /// as code, the parser as the rest of that string: lines that each open
    /// three lists in the parser's reading are still stopped at the limit.
    #[test]
    fn nesting_hidden_from_the_depth_check_stops_at_the_limit() {
        let src = format!("param p: list = {}", "[[[ \"${ x\" ]]]\n".repeat(40));
        assert!(check_depth(FileId::ROOT, &src).is_none());
        let (file, diags) = parse(&src);
        assert_eq!(diags[0].code, "E007", "{diags:?}");
        assert!(matches!(file.items[0].kind, ItemKind::Broken { .. }));
        assert!(parse_literal(&src["param p: list = ".len()..]).is_none());
    }

    /// The error is the furthest point any rule reached, with every token
    /// tried there.
    #[test]
    fn the_error_is_where_the_parse_got_furthest() {
        let src = "service api: fargate {\n  cpu = 1 2\n}\n";
        let (_, diags) = parse(src);
        assert_eq!(diags[0].primary_span().start, src.find('2').unwrap());
        assert_eq!(diags[0].message, "expected '}' or end of line, found `2`");
    }
}
