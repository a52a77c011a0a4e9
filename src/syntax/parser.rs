//! pest glue: parses one top-level item at a time, turns pest errors into
//! diagnostics in the user's words and pairs into the typed syntax tree.

use std::borrow::Cow;

use pest::iterators::{Pair, Pairs};
use pest::Parser as _;

use super::ast::*;
use crate::diag::{Diagnostic, FileId, Span};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/tap.pest"]
struct TapParser;

/// Deeper nesting of lists, maps and blocks is rejected before pest sees it, so
/// that neither pest nor the tree walk can overflow the stack.
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
    let mut conv = Converter {
        file,
        offset: 0,
        diags: Vec::new(),
        attr: None,
    };
    if let Some(d) = check_depth(file, src) {
        let items = vec![broken(file, src, 0, src.len())];
        return (File { items }, vec![d]);
    }
    let mut items = Vec::new();
    // A byte-order mark is no part of the program; spans stay offsets in `src`.
    let start = if src.starts_with(crate::diag::BOM) {
        crate::diag::BOM.len_utf8()
    } else {
        0
    };
    let mut pos = skip_trivia(src, start);
    let mut lines = LineCounter::default();
    let (mut hidden, mut first_hidden) = (0, None);
    while pos < src.len() {
        match parse_item(src, pos) {
            Ok(pairs) => {
                conv.offset = pos;
                let mut end = pos;
                for pair in pairs {
                    end = end.max(pos + pair.as_span().end());
                    if pair.as_rule() != Rule::nl && pair.as_rule() != Rule::EOI {
                        items.push(conv.item(pair));
                    }
                }
                pos = skip_trivia(src, end.max(pos + 1));
            }
            Err(err) => {
                if conv.diags.len() < MAX_SYNTAX_ERRORS || first_hidden.is_none() {
                    conv.diags
                        .push(syntax_error(file, src, pos, &err, &mut lines));
                } else {
                    // Past the cap, and its first error found: only counted.
                    hidden += 1;
                }
                let end = next_item_start(src, pos);
                items.push(broken(file, src, pos, end));
                pos = end;
            }
        }
        if conv.diags.len() > MAX_SYNTAX_ERRORS {
            let over = conv.diags.split_off(MAX_SYNTAX_ERRORS);
            first_hidden = first_hidden.or(over.first().map(Diagnostic::primary_span));
            hidden += over.len();
        }
    }
    if let Some(span) = first_hidden {
        conv.diags.push(
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
    (File { items }, conv.diags)
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
        return Item {
            kind: ItemKind::Broken {
                keyword: None,
                name: None,
            },
            keyword: span.at(pos),
            span,
        };
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

/// Parses the top-level item at `pos`.
///
/// pest builds an error with the text of its line, which it finds by walking
/// back from the end of its input: given the rest of the file, every syntax
/// error cost the rest of the file, and a file of n broken items cost n²
/// (32,000 errors took 12 s). So the item is parsed in a slice that ends where
/// recovery would resume anyway, at the next line that starts with a top-level
/// keyword. An item can go on past such a line (a body with an unindented
/// attribute named `region`); then the parse runs out of input at the end of
/// the slice, and is tried again with a slice at least twice as long. Every
/// parse ends at the same place as one of the whole rest of the file, and the
/// work per item stays linear in the slice.
fn parse_item(src: &str, pos: usize) -> Result<Pairs<'_, Rule>, pest::error::Error<Rule>> {
    let mut end = next_item_start(src, pos);
    loop {
        let result = TapParser::parse(Rule::item_line, &src[pos..end]);
        if end == src.len() {
            return result;
        }
        let ran_out = match &result {
            // The item ended at the end of the slice, not at a line end.
            Ok(pairs) => pairs.clone().any(|p| p.as_rule() == Rule::EOI),
            Err(e) => {
                let at = match e.location {
                    pest::error::InputLocation::Pos(p) => p,
                    pest::error::InputLocation::Span((_, e)) => e,
                };
                pos + at >= end
            }
        };
        if !ran_out {
            return result;
        }
        end = match pos + 2 * (end - pos) {
            further if further < src.len() => next_item_start(src, further),
            _ => src.len(),
        };
    }
}

/// Skips blanks, newlines and comments.
fn skip_trivia(src: &str, mut pos: usize) -> usize {
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
/// necessarily a character boundary (`parse_item` doubles its slice), so the
/// search runs over bytes; a line start is always a boundary.
fn next_item_start(src: &str, from: usize) -> usize {
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
                    return Some(
                        Diagnostic::error("E007", "lists, maps and blocks are nested too deeply")
                            .label(Span::new(file, i, i + 1), format!("nesting level {depth}"))
                            .help(format!("tapc accepts up to {MAX_DEPTH} levels of nesting")),
                    );
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The user's words for a token pest expected.
fn expected_word(rule: Rule) -> &'static str {
    match rule {
        Rule::nl => "end of line",
        Rule::EOI => "end of file",
        Rule::eq => "'='",
        Rule::colon => "':'",
        Rule::arrow => "'->'",
        Rule::comma => "','",
        Rule::lbrace | Rule::body => "'{'",
        Rule::rbrace => "'}'",
        Rule::rbracket => "']'",
        Rule::ident | Rule::symbol => "a name",
        Rule::attr | Rule::block => "an attribute",
        Rule::pair => "a key",
        Rule::param
        | Rule::platform
        | Rule::region
        | Rule::service
        | Rule::replicate
        | Rule::endpoint
        | Rule::import
        | Rule::schema
        | Rule::kw_param
        | Rule::kw_platform
        | Rule::kw_region
        | Rule::kw_service
        | Rule::kw_replicate
        | Rule::kw_endpoint
        | Rule::kw_import
        | Rule::kw_schema => "a top-level item",
        _ => "a value",
    }
}

/// The token found where the error is, for "found ...".
fn found_token(file: FileId, src: &str, at: usize) -> (String, Span) {
    let rest = &src[at..];
    let Some(c) = rest.chars().next() else {
        return ("end of file".into(), Span::new(file, at, at));
    };
    if c == '\n' || rest.starts_with("\r\n") {
        return ("end of line".into(), Span::new(file, at, at));
    }
    let word_len = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.'))
        .unwrap_or(rest.len());
    // A whole string literal, when it is closed on this line.
    let string_len = (c == '"')
        .then(|| rest[1..].find(['"', '\n']))
        .flatten()
        .filter(|&i| rest[1 + i..].starts_with('"'))
        .map(|i| i + 2);
    let len = if let Some(n) = string_len {
        n
    } else if word_len > 0 {
        word_len
    } else if rest.starts_with("=>") || rest.starts_with("->") {
        2
    } else {
        c.len_utf8()
    };
    (
        crate::diag::quote(&rest[..len]),
        Span::new(file, at, at + len),
    )
}

fn syntax_error(
    file: FileId,
    src: &str,
    offset: usize,
    err: &pest::error::Error<Rule>,
    lines: &mut LineCounter,
) -> Diagnostic {
    let at = offset
        + match err.location {
            pest::error::InputLocation::Pos(p) => p,
            pest::error::InputLocation::Span((s, _)) => s,
        };
    let mut words: Vec<&str> = match &err.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            positives.iter().map(|r| expected_word(*r)).collect()
        }
        pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
    };
    words.sort_unstable();
    words.dedup();
    // A value may be a map (`{`) or a name: "a value" says it all.
    if words.contains(&"a value") {
        words.retain(|w| *w != "'{'" && *w != "a name");
    }
    let expected = match words.as_slice() {
        [] => "something else".to_string(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    };
    let (found, span) = found_token(file, src, at);
    // The user forgot a `}`: the file ends, or the next item starts, inside a block.
    let line_start = src[..at].rfind('\n').map_or(0, |i| i + 1);
    let next_item = (line_start > offset)
        .then(|| {
            KEYWORDS.iter().find(|kw| {
                starts_with_word(&src[line_start..], kw)
                    && !src[line_start + kw.len()..]
                        .trim_start()
                        .starts_with(['=', '{'])
            })
        })
        .flatten();
    let unclosed = match next_item {
        Some(_) => unclosed_brace(src, offset, line_start),
        None if found == "end of file" && words.contains(&"'}'") => unclosed_brace(src, offset, at),
        None => None,
    };
    if let Some(open) = unclosed {
        let line = lines.line_of(src, open);
        let (found, span, fix) = match next_item {
            Some(kw) => (
                format!("`{kw}`"),
                Span::new(file, line_start, line_start + kw.len()),
                "before this item",
            ),
            None => (found, span, "at the end of the block"),
        };
        return Diagnostic::error("E001", format!("expected '}}', found {found}"))
            .label(span, "expected '}'")
            .label(
                Span::new(file, open, open + 1),
                "this block is never closed",
            )
            .help(format!(
                "the `{{` on line {line} is not closed: add a `}}` {fix}"
            ));
    }
    let label = match expected.as_str() {
        "a top-level item" => {
            "expected `param`, `platform`, `region`, `service`, `replicate` or `endpoint`".into()
        }
        _ => format!("expected {expected}"),
    };
    let diag =
        Diagnostic::error("E001", format!("expected {expected}, found {found}")).label(span, label);
    match syntax_help(src, offset, at, &words, &found) {
        Some(help) => diag.help(help),
        None => diag,
    }
}

fn starts_with_word(rest: &str, word: &str) -> bool {
    rest.strip_prefix(word)
        .is_some_and(|r| r.starts_with([' ', '\t']))
}

/// 1-based lines of byte offsets, counted from the last offset asked for:
/// offsets asked in increasing order (syntax errors come in file order) cost
/// the file once in all, not once each.
#[derive(Default)]
struct LineCounter {
    at: usize,
    line: usize,
}

impl LineCounter {
    fn line_of(&mut self, src: &str, at: usize) -> usize {
        if at < self.at {
            *self = LineCounter::default();
        }
        self.line += src[self.at..at].matches('\n').count();
        self.at = at;
        self.line + 1
    }
}

/// A `{` opened in `src[from..to]` and not closed there. When a `}` is indented
/// like the line of the block around an inner block, the inner block is the one
/// the user left open.
fn unclosed_brace(src: &str, from: usize, to: usize) -> Option<usize> {
    let bytes = src.as_bytes();
    let indent = |at: usize| {
        let start = src[..at].rfind('\n').map_or(0, |i| i + 1);
        src[start..].len() - src[start..].trim_start_matches([' ', '\t']).len()
    };
    let mut likely = None;
    let mut open: Vec<usize> = Vec::new();
    let mut i = from;
    while i < to {
        match bytes[i] {
            b'#' => {
                while i < to && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while i < to && !matches!(bytes[i], b'"' | b'\n') {
                    let escape = bytes[i] == b'\\' && bytes.get(i + 1) != Some(&b'\n');
                    i += if escape { 2 } else { 1 };
                }
            }
            b'{' => open.push(i),
            b'}' => {
                if let [.., outer, inner] = open[..] {
                    if likely.is_none() && indent(inner) > indent(i) && indent(outer) == indent(i) {
                        likely = Some(inner);
                        open.pop();
                    }
                }
                open.pop();
            }
            _ => {}
        }
        i += 1;
    }
    likely.or(open.first().copied())
}

/// A fix for the common slips, judged from what was expected and what was found.
fn syntax_help(
    src: &str,
    item_start: usize,
    at: usize,
    expected: &[&str],
    found: &str,
) -> Option<String> {
    let item = &src[item_start..];
    let wants = |w: &str| expected.contains(&w);
    let before = src[..at].trim_end_matches([' ', '\t']);
    let prev = src[..at].chars().next_back();
    let token = found.trim_matches('`');
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let invisible = |c: char| crate::diag::is_invisible(c) && !matches!(c, '\n' | '\r');
    if let Some(c) = src[at..].chars().next().filter(|&c| invisible(c)) {
        return Some(format!(
            "remove the invisible character {} here (many editors do not show it)",
            crate::diag::quote(&c.to_string())
        ));
    }
    if token.starts_with('-') && prev.is_some_and(is_name_char) {
        return Some("a name cannot end in `-`: remove it or add letters after it".into());
    }
    if wants("'->'") {
        return Some(
            "replication links are written with `->`: `replicate ledger -> us-west-2`".into(),
        );
    }
    if token.starts_with(|c: char| !c.is_ascii() && c.is_alphabetic()) {
        return Some("names are made of ASCII letters, digits, `_` and `-`".into());
    }
    if wants("a top-level item") && at == item_start {
        if let Some(kw) = crate::suggest::closest(token, KEYWORDS) {
            return Some(format!("did you mean `{kw}`?"));
        }
    }
    if found == "`}`" && at == item_start {
        return Some("this `}` closes no block; remove it".into());
    }
    if found.starts_with("`\"") && wants("a name") {
        return Some("names are written without quotes".into());
    }
    if wants("':'") && item.starts_with("service") {
        return Some(
            "a service names its kind after a colon: `service api: fargate { ... }`".into(),
        );
    }
    if wants("':'") && item.starts_with("param") {
        return Some("a param is declared as `param NAME: TYPE = DEFAULT`".into());
    }
    if wants("a name") && item.starts_with("replicate") && before.ends_with(',') {
        return Some("remove the `,` after the last region".into());
    }
    if wants("a name") && item.starts_with("replicate") {
        return Some(
            "name the target regions after `->`, separated by commas: `replicate ledger -> us-west-2, eu-west-1`"
                .into(),
        );
    }
    if wants("'='") && wants("'{'") {
        return Some("attributes are written `name = value`, nested blocks `name { ... }`".into());
    }
    if expected == ["'='"] {
        return Some("map entries are written `key = \"value\"`, separated by commas".into());
    }
    if expected == ["'{'"] && found == "end of line" {
        let line = item.lines().next().unwrap_or("").trim_end();
        if line.chars().count() > crate::diag::QUOTE_CHARS {
            return Some("put the `{` at the end of this line".into());
        }
        return Some(format!("put the `{{` on the same line: `{line} {{`"));
    }
    if wants("']'") && (found == "`}`" || found == "end of file") {
        return Some("the list is not closed: add a `]`".into());
    }
    if wants("']'") && wants("','") {
        return Some("separate the items of a list with `,`".into());
    }
    if wants("a value") {
        if token.starts_with('-') {
            return Some("values cannot be negative".into());
        }
        if token.starts_with('\'') {
            return Some("strings are written in double quotes: `\"...\"`".into());
        }
        if found == "end of line" {
            return Some("write a value after `=`".into());
        }
    }
    if wants("end of line") && wants("'}'") && !found.starts_with("end") {
        // The attribute on this line and its value, before the token that is too many.
        let line_start = src[..at].rfind('\n').map_or(0, |i| i + 1);
        let (attr, value) = src[line_start..at]
            .split_once('=')
            .map_or(("", ""), |(n, v)| (n.trim(), v.trim()));
        let attr_is_name = !attr.is_empty() && attr.chars().all(|c| is_name_char(c) || c == '-');
        let is_number = value.starts_with(|c: char| c.is_ascii_digit())
            && value
                .chars()
                .all(|c| c.is_ascii_digit() || c == '_' || c == '.');
        let word_len = src[at..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(src.len() - at);
        let word = &src[at..at + word_len];
        // (Numbers and words long enough to be cut are not quoted in a fix.)
        let short = value.len() <= crate::diag::QUOTE_CHARS && word.len() <= 16;
        if is_number && !word.is_empty() && short {
            if let Some(unit) = unit_alias(word) {
                if !value.contains('.') {
                    return Some(format!(
                        "write a number and its unit without a space: `{value}{unit}`"
                    ));
                }
                if let Some(fix) = smaller_unit(&format!("{}{unit}", value.replace('_', ""))) {
                    return Some(format!(
                        "write a whole number and its unit without a space: `{fix}`"
                    ));
                }
            }
            let unit_word = |(a, _, words, _): &&(&str, &str, &[&str], u64)| {
                *a == attr && words.contains(&word.to_ascii_lowercase().as_str())
            };
            if SCALED.iter().any(|s| unit_word(&s)) {
                if let Some(fix) = scaled_number(attr, &value.replace('_', "")) {
                    return Some(fix.help(attr));
                }
            }
        }
        if found == "`,`" {
            // A name and `=` next (maybe on the next line), read no further.
            let after = src[at + 1..].trim_start();
            let name = after
                .find(|c: char| !(is_name_char(c) || c == '-'))
                .unwrap_or(after.len());
            let next_is_attr = name > 0 && after[name..].trim_start().starts_with('=');
            if !next_is_attr {
                return Some("a list is written in brackets: `[ledger, sessions]`".into());
            }
        }
        // A second attribute on the line, maybe after a `;` or `,` separator.
        let rest = src[at + word_len..].trim_start_matches([' ', '\t']);
        let separated = matches!(found, "`;`" | "`,`");
        let next = if separated {
            rest[1..].trim_start_matches([' ', '\t'])
        } else {
            rest
        };
        let next_name = next
            .find(|c: char| !(is_name_char(c) || c == '-'))
            .unwrap_or(next.len());
        let after_name = next[next_name..].trim_start_matches([' ', '\t']);
        let second_attr = (word_len > 0 || separated)
            && next_name > 0
            && (after_name.starts_with('=') || after_name.starts_with('{'))
            || word_len > 0 && (rest.starts_with('=') || rest.starts_with('{'));
        if attr_is_name && !second_attr {
            return Some(format!(
                "{} takes a single value: remove {found}",
                crate::diag::quote(attr)
            ));
        }
        if separated {
            return Some(format!(
                "put each attribute on its own line, without {found} between them"
            ));
        }
        return Some("put each attribute on its own line".into());
    }
    None
}

struct Converter {
    file: FileId,
    /// Byte offset of the item being converted: pest spans are relative to it.
    offset: usize,
    diags: Vec<Diagnostic>,
    /// The attribute whose value is being converted, for helps that depend on it.
    attr: Option<String>,
}

impl Converter {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, self.offset + s.start(), self.offset + s.end())
    }

    fn ident<'a>(&self, pair: Pair<'a, Rule>) -> Ident<'a> {
        Ident {
            name: pair.as_str(),
            span: self.span(&pair),
        }
    }

    fn item<'a>(&mut self, pair: Pair<'a, Rule>) -> Item<'a> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut inner = pair.into_inner().filter(|p| {
            !matches!(
                p.as_rule(),
                Rule::colon | Rule::eq | Rule::arrow | Rule::comma
            )
        });
        let keyword = inner.next().map(|k| self.span(&k)).unwrap_or(span);
        let mut idents = Vec::new();
        let mut body = None;
        let mut value = None;
        for p in inner {
            match p.as_rule() {
                Rule::ident => idents.push(self.ident(p)),
                Rule::body => body = Some(self.body(p)),
                _ => value = Some(self.value(p)),
            }
        }
        let body = body.unwrap_or_else(|| Body {
            span: span.at(span.end),
            ..Body::default()
        });
        let mut idents = idents.into_iter();
        let mut next_ident = || idents.next().expect("the grammar guarantees the names");
        let kind = match rule {
            Rule::param => ItemKind::Param {
                name: next_ident(),
                ty: next_ident(),
                default: value,
            },
            Rule::platform => ItemKind::Platform {
                name: next_ident(),
                body,
            },
            Rule::region => ItemKind::Region {
                code: next_ident(),
                body,
            },
            Rule::service => ItemKind::Service {
                name: next_ident(),
                kind: next_ident(),
                body,
            },
            Rule::replicate => {
                let service = next_ident();
                ItemKind::Replicate {
                    service,
                    regions: idents.collect(),
                    body,
                }
            }
            Rule::endpoint => ItemKind::Endpoint {
                name: next_ident(),
                body,
            },
            Rule::import => ItemKind::Import {
                path: value.expect("the grammar guarantees the path"),
            },
            Rule::schema => ItemKind::Schema {
                name: next_ident(),
                body,
            },
            other => unreachable!("item_line yields items only, got {other:?}"),
        };
        Item {
            kind,
            keyword,
            span,
        }
    }

    fn body<'a>(&mut self, pair: Pair<'a, Rule>) -> Body<'a> {
        let mut body = Body {
            span: self.span(&pair),
            ..Body::default()
        };
        for entry in pair.into_inner() {
            match entry.as_rule() {
                Rule::attr => {
                    let mut it = entry.into_inner().filter(|p| p.as_rule() != Rule::eq);
                    let name = self.ident(it.next().expect("attr has a name"));
                    self.attr = Some(name.name.to_string());
                    let value = self.value(it.next().expect("attr has a value"));
                    self.attr = None;
                    body.attrs.push(Attr { name, value });
                }
                Rule::block => {
                    let mut it = entry.into_inner();
                    let name = self.ident(it.next().expect("block has a name"));
                    let inner = self.body(it.next().expect("block has a body"));
                    body.blocks.push(Block { name, body: inner });
                }
                _ => {}
            }
        }
        body
    }

    fn value<'a>(&mut self, pair: Pair<'a, Rule>) -> Value<'a> {
        let span = self.span(&pair);
        let text = pair.as_str();
        let kind = match pair.as_rule() {
            Rule::string => {
                let errors = self.diags.len();
                let parts = self.string(pair);
                if self.diags.len() > errors {
                    // An unknown escape: the string is not what was meant.
                    ValueKind::Error
                } else {
                    ValueKind::Str(parts)
                }
            }
            Rule::int => match parse_digits(text).and_then(|n| i64::try_from(n).ok()) {
                Some(n) => ValueKind::Int(n),
                None => self.too_large(span, "integer", "9_223_372_036_854_775_807"),
            },
            Rule::duration => match parse_duration(text) {
                Some(ms) => ValueKind::Duration(ms),
                None => self.too_large(span, "duration", "about 292 million years"),
            },
            Rule::size => match parse_size(text) {
                Some(bytes) => ValueKind::Size(bytes),
                None => self.too_large(span, "size", "16 EiB"),
            },
            Rule::cidr => self.cidr(text, span),
            Rule::bool => ValueKind::Bool(text == "true"),
            Rule::symbol => ValueKind::Symbol(text),
            Rule::list => ValueKind::List(
                pair.into_inner()
                    .filter(|p| {
                        !matches!(
                            p.as_rule(),
                            Rule::lbracket | Rule::rbracket | Rule::comma | Rule::nl
                        )
                    })
                    .map(|p| self.value(p))
                    .collect(),
            ),
            Rule::map => ValueKind::Map(
                pair.into_inner()
                    .filter(|p| p.as_rule() == Rule::pair)
                    .map(|p| {
                        let mut it = p.into_inner().filter(|p| p.as_rule() != Rule::eq);
                        let key = it.next().expect("pair has a key");
                        let key = MapKey {
                            span: self.span(&key),
                            text: match key.as_rule() {
                                Rule::string => Cow::Owned(self.plain_string(key)),
                                _ => Cow::Borrowed(key.as_str()),
                            },
                        };
                        (key, self.value(it.next().expect("pair has a value")))
                    })
                    .collect(),
            ),
            Rule::unterminated if interp_unclosed(text).is_some() => {
                let i = interp_unclosed(text).expect("checked by the guard");
                let at = span.start + i;
                self.diags.push(
                    Diagnostic::error("E002", "`${` is not closed in this string")
                        .label(
                            Span::new(span.file, at, at + 2),
                            "interpolation without a closing `}`",
                        )
                        .help("write a param as `${name}`; for a literal `${`, write `\\${`"),
                );
                ValueKind::Error
            }
            Rule::unterminated => {
                self.diags.push(
                    Diagnostic::error("E002", "unterminated string")
                        .label(span, "this string has no closing `\"`")
                        .help("add a `\"` at the end of the string; strings cannot span lines (write `\\n` for a newline)"),
                );
                ValueKind::Error
            }
            Rule::bad_number => self.bad_number(text, span),
            other => unreachable!("not a value rule: {other:?}"),
        };
        Value { kind, span }
    }

    fn too_large<'a>(&mut self, span: Span, what: &str, max: &str) -> ValueKind<'a> {
        self.diags.push(
            Diagnostic::error("E004", format!("this {what} is too large"))
                .label(span, "does not fit in 64 bits")
                .help(format!("the largest {what} tapc accepts is {max}")),
        );
        ValueKind::Error
    }

    fn cidr<'a>(&mut self, text: &str, span: Span) -> ValueKind<'a> {
        let (addr_text, prefix_text) = text.split_once('/').expect("grammar: cidr has '/'");
        let mut addr = 0u32;
        let mut at = span.start;
        for octet in addr_text.split('.') {
            match parse_digits(octet).filter(|&n| n <= 255) {
                Some(n) => addr = addr << 8 | n as u32,
                None => {
                    self.diags.push(
                        Diagnostic::error("E005", "invalid CIDR block")
                            .label(Span::new(span.file, at, at + octet.len()), "an address part must be 0 to 255")
                            .help("write an IPv4 network as four numbers 0-255 and a prefix length, e.g. `10.0.0.0/16`"),
                    );
                    return ValueKind::Error;
                }
            }
            at += octet.len() + 1;
        }
        match parse_digits(prefix_text).filter(|&n| n <= 32) {
            Some(prefix) => {
                // Bits after the prefix: the subnets split from it would not be aligned.
                let host = u32::MAX.checked_shr(prefix as u32).unwrap_or(0);
                if addr & host != 0 {
                    self.diags.push(
                        Diagnostic::error("E005", "invalid CIDR block")
                            .label(
                                Span::new(span.file, span.start, at - 1),
                                format!("not a /{prefix} network: bits after the prefix are set"),
                            )
                            .help(format!(
                                "did you mean `{}/{prefix}`? the address bits after the prefix length must be zero",
                                std::net::Ipv4Addr::from(addr & !host)
                            )),
                    );
                }
                ValueKind::Cidr {
                    addr: addr & !host,
                    prefix: prefix as u8,
                }
            }
            None => {
                self.diags.push(
                    Diagnostic::error("E005", "invalid CIDR block")
                        .label(
                            Span::new(span.file, at, span.end),
                            "the prefix length must be 0 to 32",
                        )
                        .help("an IPv4 prefix has at most 32 bits, e.g. `10.0.0.0/16`"),
                );
                ValueKind::Error
            }
        }
    }

    fn bad_number<'a>(&mut self, text: &str, span: Span) -> ValueKind<'a> {
        if text.chars().count() > crate::diag::QUOTE_CHARS {
            // Far too long to be meant as a number: say so without copying it
            // into a fix.
            self.diags.push(
                Diagnostic::error(
                    "E006",
                    format!("{} is not a number, duration or size", crate::diag::quote(text)),
                )
                .label(span, "not a number, duration or size")
                .help("numbers are whole, with a unit for durations (ms, s, m, h, d) and sizes (KiB, MiB, GiB, TiB)"),
            );
            return ValueKind::Error;
        }
        let digits = text.trim_start_matches(|c: char| c.is_ascii_digit() || c == '_');
        let dotted = text
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        let diag = if dotted && text.matches('.').count() == 3 {
            Diagnostic::error("E005", "a CIDR block needs a prefix length")
                .label(span, "an address without `/prefix`")
                .help(format!("add the prefix length, e.g. `{text}/16`"))
        } else if dotted {
            let attr = self.attr.as_deref();
            let scaled = attr.and_then(|a| scaled_number(a, text));
            let help = match (attr, scaled) {
                (Some(a), Some(fix)) => fix.help(a),
                // A dotted number is a version more often than anything else.
                (None | Some("version"), _) => format!(
                    "a version or any other dotted text is a string: `\"{text}\"`"
                ),
                (Some(a), None) if text.matches('.').count() == 1 => format!(
                    "`{a}` takes a whole number; a duration or a size is written in a smaller unit, e.g. `500ms` or `512MiB`"
                ),
                (Some(_), None) => format!("dotted text is a string: `\"{text}\"`"),
            };
            Diagnostic::error("E006", "decimal numbers are not supported")
                .label(span, "not a whole number")
                .help(help)
        } else if text.contains('.') {
            let help = match smaller_unit(text) {
                Some(fix) => format!("write it in a smaller unit: `{fix}`"),
                None => "write a whole number of a smaller unit, e.g. `1500ms` for one and a half seconds".to_string(),
            };
            Diagnostic::error("E006", "decimal numbers are not supported")
                .label(span, "not a whole number")
                .help(help)
        } else {
            let unit = digits;
            let number = &text[..text.len() - unit.len()];
            let mut diag = Diagnostic::error("E006", format!("unknown unit `{unit}`"))
                .label(span, "not a number, duration or size");
            let weeks = ["w", "wk", "wks", "week", "weeks"].contains(&unit);
            let guess = unit_alias(unit)
                .map(|u| format!("{number}{u}"))
                .or_else(|| {
                    let days = parse_digits(number)?.checked_mul(7)?;
                    weeks.then(|| format!("{days}d"))
                })
                .or_else(|| {
                    // One letter is too little to guess from.
                    let u = crate::suggest::closest(unit, UNITS.iter().copied())
                        .filter(|_| unit.len() > 1)?;
                    Some(format!("{number}{u}"))
                });
            let list = "units are ms, s, m, h, d for durations and KiB, MiB, GiB, TiB for sizes";
            diag = match guess {
                Some(g) => diag.help(format!("did you mean `{g}`? ({list})")),
                None => diag.help(list),
            };
            diag
        };
        self.diags.push(diag);
        ValueKind::Error
    }

    fn string<'a>(&mut self, pair: Pair<'a, Rule>) -> Vec<StrPart<'a>> {
        let mut parts: Vec<StrPart<'a>> = Vec::new();
        let push_text = |parts: &mut Vec<StrPart<'a>>, t: Cow<'a, str>| match parts.last_mut() {
            Some(StrPart::Text(prev)) => prev.to_mut().push_str(&t),
            _ => parts.push(StrPart::Text(t)),
        };
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::text => push_text(&mut parts, Cow::Borrowed(p.as_str())),
                Rule::escape => {
                    let c = match p.as_str() {
                        "\\\"" => "\"",
                        "\\\\" => "\\",
                        "\\n" => "\n",
                        "\\t" => "\t",
                        "\\$" => "$",
                        other => {
                            self.diags.push(
                                Diagnostic::error("E003", format!("unknown escape {}", crate::diag::quote(other)))
                                    .label(self.span(&p), "not an escape tapc knows")
                                    .help("the escapes are `\\\"`, `\\\\`, `\\n`, `\\t` and `\\$`; write `\\\\` for a backslash"),
                            );
                            ""
                        }
                    };
                    push_text(&mut parts, Cow::Borrowed(c));
                }
                Rule::interp => {
                    let ident = p
                        .into_inner()
                        .find(|p| p.as_rule() == Rule::ident)
                        .expect("interp has a name");
                    parts.push(StrPart::Param(self.ident(ident)));
                }
                _ => {}
            }
        }
        parts
    }

    /// A string used where interpolation means nothing (a map key).
    fn plain_string(&mut self, pair: Pair<'_, Rule>) -> String {
        self.string(pair)
            .into_iter()
            .map(|p| match p {
                StrPart::Text(t) => t.into_owned(),
                StrPart::Param(i) => format!("${{{}}}", i.name),
            })
            .collect()
    }
}

/// The units of durations and sizes.
const UNITS: [&str; 9] = ["ms", "s", "m", "h", "d", "KiB", "MiB", "GiB", "TiB"];

/// tapc's unit for a unit users write out of habit (`min`, `GB`).
fn unit_alias(word: &str) -> Option<&'static str> {
    const ALIASES: [(&str, &str); 21] = [
        ("sec", "s"),
        ("secs", "s"),
        ("second", "s"),
        ("seconds", "s"),
        ("min", "m"),
        ("mins", "m"),
        ("minute", "m"),
        ("minutes", "m"),
        ("hr", "h"),
        ("hrs", "h"),
        ("hour", "h"),
        ("hours", "h"),
        ("day", "d"),
        ("days", "d"),
        ("KB", "KiB"),
        ("MB", "MiB"),
        ("GB", "GiB"),
        ("TB", "TiB"),
        ("K", "KiB"),
        ("M", "MiB"),
        ("G", "GiB"),
    ];
    UNITS.iter().find(|u| **u == word).copied().or_else(|| {
        ALIASES
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(word))
            .map(|(_, u)| *u)
    })
}

/// A decimal number `int.frac` as a fraction (numerator, denominator).
fn decimal(text: &str) -> Option<(u64, u64)> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || frac.len() > 6 {
        return None;
    }
    let den = 10u64.pow(frac.len() as u32);
    let num = parse_digits(int)?
        .checked_mul(den)?
        .checked_add(if frac.is_empty() {
            0
        } else {
            parse_digits(frac)?
        })?;
    Some((num, den))
}

/// `1.5s` as `1500ms`, `0.5GiB` as `512MiB`: the largest smaller unit in which
/// the value is a whole number.
fn smaller_unit(text: &str) -> Option<String> {
    const STEPS: [(&str, &str, u64); 7] = [
        ("d", "h", 24),
        ("h", "m", 60),
        ("m", "s", 60),
        ("s", "ms", 1000),
        ("TiB", "GiB", 1024),
        ("GiB", "MiB", 1024),
        ("MiB", "KiB", 1024),
    ];
    let at = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (mut num, den) = decimal(&text[..at])?;
    let mut unit = unit_alias(&text[at..])?;
    while num % den != 0 {
        let &(_, smaller, factor) = STEPS.iter().find(|(u, ..)| *u == unit)?;
        num = num.checked_mul(factor)?;
        unit = smaller;
    }
    Some(format!("{}{unit}", num / den))
}

/// Attributes whose numbers are counted in a unit other than the one users
/// think in: Fargate's `cpu` is in CPU units, 1024 to a vCPU
/// (`cpu` of https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html).
const SCALED: [(&str, &str, &[&str], u64); 1] = [(
    "cpu",
    "CPU units, 1024 to a vCPU",
    &["vcpu", "vcpus", "cpu", "cpus", "core", "cores"],
    1024,
)];

/// A number of vCPUs written for `cpu`, and what it is in CPU units.
struct Scaled {
    what: &'static str,
    units: Option<u64>,
}

impl Scaled {
    fn help(&self, attr: &str) -> String {
        match self.units {
            Some(n) => format!("`{attr}` counts {}: `{attr} = {n}`", self.what),
            None => format!("`{attr}` counts {}, as a whole number", self.what),
        }
    }
}

/// `number` (such as `0.5`) given for `attr`, read in the unit users think in.
fn scaled_number(attr: &str, number: &str) -> Option<Scaled> {
    let &(_, what, _, factor) = SCALED.iter().find(|(a, ..)| *a == attr)?;
    let (num, den) = decimal(number)?;
    let units = num
        .checked_mul(factor)
        .filter(|n| n % den == 0)
        .map(|n| n / den);
    Some(Scaled { what, units })
}

/// Where an unterminated-looking string really has a closing quote, but a `${`
/// in it is not a well-formed `${name}`: the offset of that `${`.
fn interp_unclosed(text: &str) -> Option<usize> {
    if !text[1..].contains('"') {
        return None;
    }
    let mut i = 1;
    let bytes = text.as_bytes();
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'$' if text[i..].starts_with("${") => {
                let rest = &text[i + 2..];
                let name = rest.trim_start();
                let len = name
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                    .unwrap_or(name.len());
                if len == 0 || !name[len..].trim_start().starts_with('}') {
                    return Some(i);
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    None
}

fn parse_digits(text: &str) -> Option<u64> {
    text.bytes().filter(|&b| b != b'_').try_fold(0u64, |n, b| {
        n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}

fn parse_duration(text: &str) -> Option<u64> {
    let mut total = 0u64;
    let mut rest = text;
    while !rest.is_empty() {
        let n_len = rest
            .find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let n = parse_digits(&rest[..n_len])?;
        rest = &rest[n_len..];
        let (ms, unit_len) = if rest.starts_with("ms") {
            (1, 2)
        } else {
            match rest.as_bytes().first() {
                Some(b's') => (1_000, 1),
                Some(b'm') => (60_000, 1),
                Some(b'h') => (3_600_000, 1),
                _ => (86_400_000, 1),
            }
        };
        rest = &rest[unit_len..];
        total = total.checked_add(n.checked_mul(ms)?)?;
    }
    Some(total)
}

fn parse_size(text: &str) -> Option<u64> {
    let n = parse_digits(&text[..text.len() - 3])?;
    let shift = match &text[text.len() - 3..] {
        "KiB" => 10,
        "MiB" => 20,
        "GiB" => 30,
        _ => 40,
    };
    n.checked_mul(1u64 << shift)
}

/// Parses a lone literal (a `--param` value); `None` if it is not exactly one valid value.
pub fn parse_literal(text: &str) -> Option<Value<'_>> {
    let mut pairs = TapParser::parse(Rule::literal, text).ok()?;
    let mut conv = Converter {
        // The value's spans point into the command line, not a file; the
        // checker labels the param's declaration instead.
        file: FileId::ROOT,
        offset: 0,
        diags: Vec::new(),
        attr: None,
    };
    let value = conv.value(pairs.next()?);
    conv.diags.is_empty().then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A doubled slice may end inside a multi-byte character; recovery still
    /// finds the next item (found by tests/proptest_parser.rs).
    #[test]
    fn a_slice_ending_inside_a_character_does_not_panic() {
        let (_, diags) = parse("import[\nparam \u{800}");
        assert!(!diags.is_empty());
        assert_eq!(next_item_start("a\u{800}\nparam x", 2), 5);
    }

    /// Each item is parsed in a slice that ends at the next line starting with
    /// a keyword; an item that goes on past such lines is parsed whole.
    #[test]
    fn items_that_run_past_a_keyword_line_are_parsed_whole() {
        let unindented = "platform p {\nregion = a\nservice = b\nregion = c\n}\nregion r {\n}\n";
        let (file, diags) = parse(unindented);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(file.items.len(), 2);
        // The same, broken after the keyword lines: the error is where a parse
        // of the whole rest of the file finds it.
        let broken = "platform p {\nregion = a\nservice = b\nx = = 1\n}\nregion r {\n}\n";
        // (Recovery then resumes at those lines, and reports them too.)
        let (_, diags) = parse(broken);
        assert_eq!(diags[0].primary_span().start, broken.find("= 1").unwrap());
    }
}
