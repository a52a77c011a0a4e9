//! `tapc fmt`: the one canonical layout of a `.tap` program.
//!
//! The parser's tree has no comments or line ends, so the formatter works on
//! the front end's lossless token stream (`syntax::lexer`: words, punctuation,
//! line ends, comments) and a small tree of rows built from it. The parser runs first, only to refuse a file
//! with syntax errors: the formatter's own reading is lenient, and it only ever
//! sees programs the parser accepts. It changes nothing but the blanks between
//! tokens (and it adds or drops commas between list and map items, which mean
//! the same as newlines there), so a program means what it meant before.
//!
//! The style, in the manner of `terraform fmt`:
//! - two spaces of indent per block, list or map;
//! - `=` aligned over a run of consecutive one-line attributes (or map pairs); a
//!   blank line, a comment line, a nested block or a multi-line value ends it;
//! - trailing comments aligned over a run of consecutive one-line rows that have
//!   one, one space after the longest;
//! - one space around `=` and `->`, after `:` and `,`, inside `{ }` of one-line
//!   maps and blocks; none inside `[ ]`;
//! - a list or map on one line when it has no comment and its line is at most
//!   `WIDTH` columns (counted without the `=` alignment, so that alignment never
//!   decides the layout, and without a trailing comment), otherwise one item a
//!   line, each with a trailing comma;
//! - a block written on one line (`{ lag_alarm = 60s }`) stays on one line if it
//!   fits; any other block has one row a line;
//! - literals exactly as written; comments where they were, their trailing
//!   blanks removed; runs of blank lines collapsed to one, none at the start or
//!   end of a block or the file; `\n` line ends (CRLF becomes LF), a final
//!   newline, no byte-order mark.

use std::io::Write as _;
use std::path::Path;

use crate::diag::{Diagnostic, SourceFile};

/// The longest line a list or map is joined into.
pub const WIDTH: usize = 100;

/// Why a text was not formatted.
#[derive(Debug)]
pub enum Error {
    /// The parser's diagnostics: the text is not a program.
    Syntax(Vec<Diagnostic>),
    /// The formatter could not read a text the parser accepted (a bug in tapc).
    Layout(String),
}

/// The canonical layout of `src`, or why there is none.
pub fn format(src: &str) -> Result<String, Error> {
    let (_, diagnostics) = crate::syntax::parse(src);
    if !diagnostics.is_empty() {
        return Err(Error::Syntax(diagnostics));
    }
    layout(src).map_err(Error::Layout)
}

/// Lays out a text without asking the parser first. On text that does not
/// parse the result is unspecified (but it never panics).
pub fn layout(src: &str) -> Result<String, String> {
    let tokens = lex(src)?;
    let mut reader = Reader {
        tokens,
        at: 0,
        depth: 0,
    };
    let file = reader.seq(Kind::File)?;
    let mut out = String::with_capacity(src.len() + src.len() / 8);
    render_rows(&file.rows, 0, Kind::File, &mut out);
    // A cheap guard against a bug in the layout: the same words, punctuation
    // and comments in the same order, but for newlines and commas.
    let kept = |t: &&Token<'_>| !matches!(t, Token::Newline | Token::Punct(","));
    if !lex(&out)?
        .iter()
        .filter(kept)
        .eq(reader.tokens.iter().filter(kept))
    {
        return Err("the layout would change the program's tokens".to_string());
    }
    Ok(out)
}

/// What happened to one file.
pub enum Outcome {
    /// Already in the canonical layout: not written.
    Unchanged,
    /// Rewritten (or, under `--check`, would be).
    Changed,
    /// Not a program: the parser's diagnostics; the file is left as it is.
    Invalid(SourceFile, Vec<Diagnostic>),
}

/// Formats the file at `path`, rewriting it (atomically, keeping its
/// permissions) only if `write` and its layout changes. `Err` is a one-line I/O
/// error.
pub fn format_file(path: &Path, write: bool) -> Result<Outcome, String> {
    let (file, encoding_error) = crate::read_source(path, crate::diag::FileId::ROOT)?;
    if let Some(d) = encoding_error {
        return Ok(Outcome::Invalid(file, vec![d]));
    }
    let formatted = match format(&file.text) {
        Ok(text) => text,
        Err(Error::Syntax(diagnostics)) => return Ok(Outcome::Invalid(file, diagnostics)),
        Err(Error::Layout(why)) => {
            return Err(format!(
                "cannot format `{}`: {why}; it is left as it is",
                path.display()
            ))
        }
    };
    if formatted == file.text {
        return Ok(Outcome::Unchanged);
    }
    if write {
        write_atomic(path, &formatted).map_err(|e| {
            format!(
                "cannot write `{}`: {}; it is left as it is",
                path.display(),
                crate::io_reason(&e)
            )
        })?;
    }
    Ok(Outcome::Changed)
}

/// Writes a temporary file beside the target, then renames it over the target:
/// a reader sees the old text or the new, never a part. The target of a
/// symbolic link is replaced, not the link.
fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let target = std::fs::canonicalize(path)?;
    let permissions = std::fs::metadata(&target)?.permissions();
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(".{name}.tapc-fmt-{}", std::process::id()));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        f.write_all(text.as_bytes())?;
        f.set_permissions(permissions)?;
        f.sync_all()?;
        std::fs::rename(&temp, &target)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Token<'a> {
    /// An identifier, number, duration, size, CIDR block, bool or string, as written.
    Word(&'a str),
    /// `:` `=` `,` `{` `}` `[` `]` `->`
    Punct(&'a str),
    Newline,
    /// From `#` to the end of the line, trailing blanks (and `\r`) removed.
    Comment(&'a str),
}

/// The front end's token stream (`syntax::lexer`) as the formatter reads it;
/// an error for what no program holds (the parser has refused it already).
fn lex(src: &str) -> Result<Vec<Token<'_>>, String> {
    use crate::syntax::lexer::{tokens, Tok};
    let mut out = Vec::new();
    for t in tokens(src) {
        let text = &src[t.start..t.end];
        out.push(match t.tok {
            Tok::Word | Tok::Str { closed: true } => Token::Word(text),
            Tok::Punct => Token::Punct(text),
            Tok::Newline => Token::Newline,
            Tok::Comment => Token::Comment(text),
            Tok::Interp => continue,
            Tok::Str { closed: false } => {
                return Err(format!("a string at byte {} is not closed", t.start))
            }
            Tok::Other => return Err(format!("unexpected {text:?} at byte {}", t.start)),
        });
    }
    Ok(out)
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    File,
    Body,
    List,
    Map,
}

/// The rows of a file, block body, list or map.
struct Seq<'a> {
    /// A comment right after the opening `{` or `[`.
    open: Option<&'a str>,
    rows: Vec<Row<'a>>,
    /// No newline between its brackets (outside nested lists, maps and blocks).
    one_line: bool,
}

enum Row<'a> {
    Blank,
    Comment(&'a str),
    Elem(Elem<'a>),
}

/// An item, attribute, block, list item or map pair.
struct Elem<'a> {
    /// Everything before `=` or `{`: an item's header (`service api: fargate`),
    /// an attribute's or pair's key; empty for a list item.
    head: Vec<Token<'a>>,
    tail: Tail<'a>,
    /// The comment at the end of its (last) line.
    comment: Option<&'a str>,
}

enum Tail<'a> {
    None,
    Value(Value<'a>),
    Body(Seq<'a>),
}

enum Value<'a> {
    Atom(&'a str),
    List(Seq<'a>),
    Map(Seq<'a>),
}

struct Reader<'a> {
    tokens: Vec<Token<'a>>,
    at: usize,
    depth: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<Token<'a>> {
        self.tokens.get(self.at).copied()
    }

    fn seq(&mut self, kind: Kind) -> Result<Seq<'a>, String> {
        self.depth += 1;
        if self.depth > crate::syntax::MAX_DEPTH + 1 {
            return Err("nested too deeply".to_string());
        }
        let close = match kind {
            Kind::File => "",
            Kind::Body | Kind::Map => "}",
            Kind::List => "]",
        };
        let mut seq = Seq {
            open: None,
            rows: Vec::new(),
            one_line: true,
        };
        // Newlines since the last token on a line: the second makes a blank line.
        let mut newlines = 0;
        let mut elem_on_line = false;
        let mut at_open = kind != Kind::File;
        loop {
            match self.peek() {
                None if kind == Kind::File => break,
                None => return Err(format!("`{close}` is missing at the end")),
                Some(Token::Newline) => {
                    self.at += 1;
                    seq.one_line = false;
                    newlines += 1;
                    if newlines == 2 {
                        seq.rows.push(Row::Blank);
                    }
                    elem_on_line = false;
                    at_open = false;
                }
                Some(Token::Comment(c)) => {
                    self.at += 1;
                    newlines = 0;
                    if at_open {
                        seq.open = Some(c);
                    } else if let (true, Some(Row::Elem(e))) = (elem_on_line, seq.rows.last_mut()) {
                        e.comment = Some(c);
                    } else {
                        seq.rows.push(Row::Comment(c));
                    }
                }
                Some(Token::Punct(",")) if matches!(kind, Kind::List | Kind::Map) => {
                    self.at += 1;
                    newlines = 0;
                }
                Some(Token::Punct(p)) if p == close => {
                    self.at += 1;
                    break;
                }
                Some(_) => {
                    let elem = self.elem(kind)?;
                    seq.rows.push(Row::Elem(elem));
                    newlines = 0;
                    elem_on_line = true;
                    at_open = false;
                }
            }
        }
        self.depth -= 1;
        Ok(seq)
    }

    fn elem(&mut self, kind: Kind) -> Result<Elem<'a>, String> {
        let mut head = Vec::new();
        if kind != Kind::List {
            // A file's item header: words and `:` `->` `,`; otherwise one key.
            while let Some(t @ (Token::Word(_) | Token::Punct(":" | "->" | ","))) = self.peek() {
                if kind != Kind::File && (!head.is_empty() || !matches!(t, Token::Word(_))) {
                    break;
                }
                head.push(t);
                self.at += 1;
            }
            if head.is_empty() {
                return Err(format!("unexpected {:?}", self.peek()));
            }
        }
        let tail = match self.peek() {
            _ if kind == Kind::List => Tail::Value(self.value()?),
            Some(Token::Punct("=")) => {
                self.at += 1;
                Tail::Value(self.value()?)
            }
            Some(Token::Punct("{")) if matches!(kind, Kind::File | Kind::Body) => {
                self.at += 1;
                Tail::Body(self.seq(Kind::Body)?)
            }
            _ if kind == Kind::File => Tail::None,
            other => return Err(format!("expected `=` or `{{`, found {other:?}")),
        };
        Ok(Elem {
            head,
            tail,
            comment: None,
        })
    }

    fn value(&mut self) -> Result<Value<'a>, String> {
        let t = self.peek();
        self.at += 1;
        match t {
            Some(Token::Word(w)) => Ok(Value::Atom(w)),
            Some(Token::Punct("[")) => Ok(Value::List(self.seq(Kind::List)?)),
            Some(Token::Punct("{")) => Ok(Value::Map(self.seq(Kind::Map)?)),
            other => Err(format!("expected a value, found {other:?}")),
        }
    }
}

fn width(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

fn head_text(head: &[Token<'_>]) -> String {
    let mut out = String::new();
    for (i, t) in head.iter().enumerate() {
        match t {
            Token::Punct(p @ (":" | ",")) => out.push_str(p),
            Token::Punct(p) => {
                out.push(' ');
                out.push_str(p);
            }
            Token::Word(w) => {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(w);
            }
            Token::Newline | Token::Comment(_) => {}
        }
    }
    out
}

/// The one-line form of a list or map, if it has no comment.
fn flat_value(value: &Value<'_>, out: &mut String) -> bool {
    match value {
        Value::Atom(a) => {
            out.push_str(a);
            true
        }
        Value::List(seq) => flat_items(seq, "[", "]", out),
        Value::Map(seq) if seq.rows.iter().all(|r| matches!(r, Row::Blank)) => {
            out.push_str("{}");
            seq.open.is_none()
        }
        Value::Map(seq) => flat_items(seq, "{ ", " }", out),
    }
}

fn flat_items(seq: &Seq<'_>, open: &str, close: &str, out: &mut String) -> bool {
    if seq.open.is_some() {
        return false;
    }
    out.push_str(open);
    let mut first = true;
    for row in &seq.rows {
        match row {
            Row::Blank => {}
            Row::Comment(_) => return false,
            Row::Elem(e) => {
                if !first {
                    out.push_str(", ");
                }
                first = false;
                if !flat_elem(e, out) {
                    return false;
                }
            }
        }
    }
    out.push_str(close);
    true
}

/// The one-line form of a block body: `{}`, or `{ row }` if it was written on
/// one line.
fn flat_body(seq: &Seq<'_>, out: &mut String) -> bool {
    if seq.open.is_some() {
        return false;
    }
    let mut elems = seq.rows.iter().filter(|r| !matches!(r, Row::Blank));
    match (elems.next(), elems.next()) {
        (None, _) => {
            out.push_str("{}");
            true
        }
        (Some(Row::Elem(e)), None) if seq.one_line => {
            out.push_str("{ ");
            let flat = flat_elem(e, out);
            out.push_str(" }");
            flat
        }
        _ => false,
    }
}

fn flat_elem(e: &Elem<'_>, out: &mut String) -> bool {
    if e.comment.is_some() {
        return false;
    }
    out.push_str(&head_text(&e.head));
    match &e.tail {
        Tail::None => true,
        Tail::Value(v) => {
            if !e.head.is_empty() {
                out.push_str(" = ");
            }
            flat_value(v, out)
        }
        Tail::Body(b) => {
            out.push(' ');
            flat_body(b, out)
        }
    }
}

/// A row laid out, before alignment.
enum Line<'a> {
    Blank,
    Comment(&'a str),
    /// One line: `key` is the width of an alignable key (`text` is then
    /// `key = value`); `comma` follows list and map items.
    One {
        text: String,
        key: Option<usize>,
        comma: bool,
        comment: Option<&'a str>,
    },
    /// Several lines, indented and ending in a newline.
    Many(String),
}

fn render_rows(rows: &[Row<'_>], indent: usize, kind: Kind, out: &mut String) {
    let comma = matches!(kind, Kind::List | Kind::Map);
    let mut lines: Vec<Line<'_>> = Vec::with_capacity(rows.len());
    for row in rows {
        match row {
            Row::Blank => {
                // Collapsed, and never first.
                if !matches!(lines.last(), None | Some(Line::Blank)) {
                    lines.push(Line::Blank);
                }
            }
            Row::Comment(c) => lines.push(Line::Comment(c)),
            Row::Elem(e) => lines.push(render_elem(e, indent, kind, comma)),
        }
    }
    if matches!(lines.last(), Some(Line::Blank)) {
        lines.pop();
    }
    align_keys(&mut lines);
    let columns = comment_columns(&lines);
    for (line, column) in lines.iter().zip(columns) {
        match line {
            Line::Blank => out.push('\n'),
            Line::Comment(c) => {
                push_indent(out, indent);
                out.push_str(c);
                out.push('\n');
            }
            Line::One {
                text,
                comma,
                comment,
                ..
            } => {
                push_indent(out, indent);
                out.push_str(text);
                if *comma {
                    out.push(',');
                }
                if let Some(c) = comment {
                    let used = width(text) + usize::from(*comma);
                    for _ in used..column {
                        out.push(' ');
                    }
                    out.push_str(c);
                }
                out.push('\n');
            }
            Line::Many(text) => out.push_str(text),
        }
    }
}

fn push_indent(out: &mut String, indent: usize) {
    for _ in 0..indent {
        out.push(' ');
    }
}

/// Pads the keys of each run of consecutive alignable one-line rows so that
/// their `=` line up.
fn align_keys(lines: &mut [Line<'_>]) {
    let mut start = 0;
    while start < lines.len() {
        let run = lines[start..]
            .iter()
            .take_while(|l| matches!(l, Line::One { key: Some(_), .. }))
            .count();
        if run == 0 {
            start += 1;
            continue;
        }
        let longest = lines[start..start + run]
            .iter()
            .filter_map(|l| match l {
                Line::One { key, .. } => *key,
                _ => None,
            })
            .max()
            .unwrap_or(0);
        for line in &mut lines[start..start + run] {
            if let Line::One {
                text,
                key: Some(key),
                ..
            } = line
            {
                if *key < longest {
                    // The key is `key` columns wide; its end is a byte offset.
                    let end = text.char_indices().nth(*key).map_or(text.len(), |(i, _)| i);
                    text.insert_str(end, &" ".repeat(longest - *key));
                }
            }
        }
        start += run;
    }
}

/// The column of each row's trailing comment: one space after the longest row
/// of its run of consecutive one-line rows with a comment.
fn comment_columns(lines: &[Line<'_>]) -> Vec<usize> {
    let mut columns = vec![0; lines.len()];
    let mut start = 0;
    while start < lines.len() {
        let ends: Vec<usize> = lines[start..]
            .iter()
            .map_while(|l| match l {
                Line::One {
                    text,
                    comma,
                    comment: Some(_),
                    ..
                } => Some(width(text) + usize::from(*comma)),
                _ => None,
            })
            .collect();
        if ends.is_empty() {
            start += 1;
            continue;
        }
        let column = ends.iter().max().copied().unwrap_or(0) + 1;
        for c in &mut columns[start..start + ends.len()] {
            *c = column;
        }
        start += ends.len();
    }
    columns
}

fn render_elem<'a>(e: &Elem<'a>, indent: usize, kind: Kind, comma: bool) -> Line<'a> {
    let head = head_text(&e.head);
    let alignable = matches!(kind, Kind::Body | Kind::Map) && matches!(e.tail, Tail::Value(_));
    let mut text = head.clone();
    let (seq, open, close) = match &e.tail {
        Tail::None => return one(text, None, comma, e.comment),
        Tail::Value(v) => {
            if !head.is_empty() {
                text.push_str(" = ");
            }
            let start = text.len();
            if flat_value(v, &mut text) && indent + width(&text) <= WIDTH
                || matches!(v, Value::Atom(_))
            {
                let key = alignable.then(|| width(&head));
                return one(text, key, comma, e.comment);
            }
            text.truncate(start);
            match v {
                Value::List(seq) => (seq, "[", "]"),
                Value::Map(seq) => (seq, "{", "}"),
                Value::Atom(_) => unreachable!("atoms are one line"),
            }
        }
        Tail::Body(b) => {
            text.push(' ');
            let start = text.len();
            if flat_body(b, &mut text) && indent + width(&text) <= WIDTH {
                return one(text, None, comma, e.comment);
            }
            text.truncate(start);
            (b, "{", "}")
        }
    };
    let mut out = String::new();
    push_indent(&mut out, indent);
    out.push_str(&text);
    out.push_str(open);
    if let Some(c) = seq.open {
        out.push(' ');
        out.push_str(c);
    }
    out.push('\n');
    let inner = match (&e.tail, open) {
        (Tail::Body(_), _) => Kind::Body,
        (_, "[") => Kind::List,
        _ => Kind::Map,
    };
    render_rows(&seq.rows, indent + 2, inner, &mut out);
    push_indent(&mut out, indent);
    out.push_str(close);
    if comma {
        out.push(',');
    }
    if let Some(c) = e.comment {
        out.push(' ');
        out.push_str(c);
    }
    out.push('\n');
    Line::Many(out)
}

fn one<'a>(text: String, key: Option<usize>, comma: bool, comment: Option<&'a str>) -> Line<'a> {
    Line::One {
        text,
        key,
        comma,
        comment,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(src: &str) -> String {
        match format(src) {
            Ok(text) => text,
            Err(e) => panic!("{src:?} does not format: {e:?}"),
        }
    }

    #[test]
    fn aligns_runs_of_attributes() {
        let src = "platform p {\nrto=5m\n  strategy   =   warm_standby\n\n  rpo = 1m\n}\n";
        assert_eq!(
            fmt(src),
            "platform p {\n  rto      = 5m\n  strategy = warm_standby\n\n  rpo = 1m\n}\n"
        );
    }

    #[test]
    fn breaks_long_lists_and_joins_short_ones() {
        let long: Vec<String> = (0..20).map(|i| format!("service_{i}")).collect();
        let src = format!(
            "service a: fargate {{\n  needs = [{}]\n  tags = {{\n a = \"b\"\n }}\n}}\n",
            long.join(",")
        );
        let out = fmt(&src);
        assert!(out.contains("  needs = [\n    service_0,\n"), "{out}");
        assert!(out.contains("    service_19,\n  ]\n"), "{out}");
        assert!(out.contains("  tags = { a = \"b\" }\n"), "{out}");
    }

    #[test]
    fn keeps_comments_and_one_line_blocks() {
        let src = "# top\r\nreplicate a  ->  b,c { lag = 1s }   # x   \r\n\r\n\r\n# end";
        assert_eq!(
            fmt(src),
            "# top\nreplicate a -> b, c { lag = 1s } # x\n\n# end\n"
        );
    }

    #[test]
    fn refuses_syntax_errors() {
        assert!(matches!(format("platform {"), Err(Error::Syntax(_))));
    }

    #[test]
    fn empty_text_stays_empty() {
        assert_eq!(fmt(""), "");
        assert_eq!(fmt("\n\n  \n"), "");
    }
}
