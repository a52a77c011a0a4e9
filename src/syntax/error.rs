//! Syntax errors in the user's words: what the parser expected where it
//! stopped (`Want`), the token found there, and a fix for the common slips.

use super::literal::{scaled_number, smaller_unit, unit_alias, SCALED};
use super::parser::KEYWORDS;
use crate::diag::{Diagnostic, FileId, Span};

/// What the parser tried where it failed: one for each token of the grammar
/// (`grammar/tap.pest`) that a message names, in the user's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    EndOfLine,
    EndOfFile,
    Eq,
    Colon,
    Arrow,
    Comma,
    /// `{`, or a block's body.
    LBrace,
    RBrace,
    RBracket,
    /// A name, or a value that is one (`symbol`).
    Name,
    /// An attribute or a nested block.
    Attribute,
    /// A map entry.
    Key,
    /// A top-level item or its keyword.
    Item,
    /// Any literal, list or map, or a part of a string.
    Value,
}

impl Want {
    fn word(self) -> &'static str {
        match self {
            Want::EndOfLine => "end of line",
            Want::EndOfFile => "end of file",
            Want::Eq => "'='",
            Want::Colon => "':'",
            Want::Arrow => "'->'",
            Want::Comma => "','",
            Want::LBrace => "'{'",
            Want::RBrace => "'}'",
            Want::RBracket => "']'",
            Want::Name => "a name",
            Want::Attribute => "an attribute",
            Want::Key => "a key",
            Want::Item => "a top-level item",
            Want::Value => "a value",
        }
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

/// The E001 of an item at `offset` that did not parse: the parser stopped at
/// `at`, where it expected `wants`.
pub fn syntax_error(
    file: FileId,
    src: &str,
    offset: usize,
    at: usize,
    wants: &[Want],
    lines: &mut LineCounter,
) -> Diagnostic {
    let mut words: Vec<&str> = wants.iter().map(|w| w.word()).collect();
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

pub fn starts_with_word(rest: &str, word: &str) -> bool {
    rest.strip_prefix(word)
        .is_some_and(|r| r.starts_with([' ', '\t']))
}

/// 1-based lines of byte offsets, counted from the last offset asked for:
/// offsets asked in increasing order (syntax errors come in file order) cost
/// the file once in all, not once each.
#[derive(Default)]
pub struct LineCounter {
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
