//! Diagnostics: one type for every stage, rendered as miette reports, JSON or SARIF.

use std::fmt;

use serde_json::{json, Value as Json};

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

impl From<pest::Span<'_>> for Span {
    fn from(s: pest::Span<'_>) -> Span {
        Span::new(s.start(), s.end())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// The first label is the primary one: the exact place that is wrong.
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn label(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    /// The fix, in one line. Text in backticks is `.tap` as the user would write
    /// it, and must be valid where it is suggested (tests/diagnostics.rs checks
    /// every help of the test corpus): a whole item (`replicate ledger ->
    /// us-west-2`), the line that opens one (`platform trading {`), an attribute
    /// or block as written in a body (`rpo = 15m`), a value (`"14.6"`, `2GiB`),
    /// or a single name or token (`ledger`, `->`). `...` stands for what the user
    /// fills in (`service api: fargate { ... }`, `lag = ...`), UPPERCASE names for
    /// their names. A block written on one line holds at most one attribute, as
    /// in the language: name the others as separate pieces.
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn primary_span(&self) -> Span {
        self.labels.first().map(|l| l.span).unwrap_or_default()
    }
}

/// The byte-order mark some editors write at the start of a UTF-8 file. The
/// parser skips it; offsets stay offsets in the file as read (the mark counts
/// its 3 bytes), columns do not count it, as editors do not show it.
pub const BOM: char = '\u{FEFF}';

/// Whether `c` would be invisible, or would disturb the text around it, if a
/// message showed it as is: control characters, whitespace other than a space,
/// and the format characters (zero-width, joiners, bidirectional controls,
/// byte-order mark, tags) and fillers that render as nothing.
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(
            u32::from(c),
            0xAD | 0x34F
                | 0x61C
                | 0x115F
                | 0x1160
                | 0x17B4
                | 0x17B5
                | 0x180B..=0x180F
                | 0x200B..=0x200F
                | 0x202A..=0x202E
                | 0x2060..=0x206F
                | 0x3164
                | 0xFE00..=0xFE0F
                | 0xFEFF
                | 0xFFA0
                | 0xFFF0..=0xFFFB
                | 0x1D173..=0x1D17A
                | 0xE0000..=0xE0FFF
        )
}

/// `text` with every invisible character written as `<U+XXXX>`, for messages.
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_invisible) {
        return text.into();
    }
    let mut out = String::new();
    for c in text.chars() {
        if is_invisible(c) {
            out.push_str(&format!("<U+{:04X}>", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// A piece of the user's source quoted in a message: "`text`". A piece made only
/// of invisible characters is named instead ("U+FEFF"); one that holds some is
/// quoted with them written as `<U+XXXX>`. Every message or label that quotes
/// source text goes through here.
pub fn quote(text: &str) -> String {
    if !text.is_empty() && text.chars().all(is_invisible) {
        let names: Vec<String> = text
            .chars()
            .map(|c| format!("U+{:04X}", u32::from(c)))
            .collect();
        return names.join(" ");
    }
    format!("`{}`", visible(text))
}

/// A source file with its line index, for line/column numbers and reports.
pub struct SourceFile {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// 0-based index of the line holding a byte offset.
    fn line_index(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        self.line_starts.partition_point(|&s| s <= offset) - 1
    }

    /// 1-based line and column (in Unicode scalar values) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_index(offset);
        let start = self.line_starts[line];
        let col = self.text.get(start..offset).map_or(0, |s| {
            let s = if start == 0 {
                s.strip_prefix(BOM).unwrap_or(s)
            } else {
                s
            };
            s.chars().count()
        });
        (line + 1, col + 1)
    }
}

/// The diagnostics of one file, in the order of their position.
pub struct Report<'a> {
    pub file: &'a SourceFile,
    pub diagnostics: &'a [Diagnostic],
}

impl Report<'_> {
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }
}

/// Renders human-readable reports; `color` only when writing to a terminal.
pub fn render_human(reports: &[Report<'_>], color: bool) -> String {
    use miette::{GraphicalReportHandler, GraphicalTheme};
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false)
        // Code in help lines (`us-west-2`) must not be split at its hyphens.
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation);
    let mut out = String::new();
    for report in reports {
        let source = Snippets(report.file, shown_source(&report.file.text));
        for diag in report.diagnostics {
            let view = MietteView {
                diag,
                source: &source,
            };
            // Writing into a String cannot fail.
            let _ = handler.render_report(&mut out, &view);
            out.push('\n');
        }
    }
    out
}

struct MietteView<'a> {
    diag: &'a Diagnostic,
    source: &'a Snippets<'a>,
}

/// The source as miette reads it (the file's text as `shown_source` makes it
/// safe to print), with two corrections:
/// - miette scans the text from its start for every snippet, so a file with
///   thousands of diagnostics took quadratic time. Here it scans only the
///   lines around the span (found in the line index), one more on each side
///   than it shows, and the result is moved back to its place in the file.
/// - miette 7.6 draws two labels in one snippet when `line() + line_count()` of
///   the first reaches the second, but counts `line_count` from the start of
///   the file, so labels far apart became one long snippet. Here `line_count`
///   is the number of lines in the snippet plus one, so that snippets at most
///   one line apart are drawn as one.
struct Snippets<'f>(&'f SourceFile, std::borrow::Cow<'f, str>);

impl miette::SourceCode for Snippets<'_> {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let file = self.0;
        let first = file.line_index(span.offset()).saturating_sub(before + 1);
        let last = file.line_index(span.offset() + span.len()) + after + 2;
        let lo = file.line_starts[first];
        let hi = file
            .line_starts
            .get(last)
            .copied()
            .unwrap_or(file.text.len());
        let window = &self.1.as_bytes()[lo..hi];
        let local = miette::SourceSpan::new(span.offset().saturating_sub(lo).into(), span.len());
        let c = window.read_span(&local, before, after)?;
        let data = c.data();
        let lines =
            data.iter().filter(|&&b| b == b'\n').count() + usize::from(!data.ends_with(b"\n")) + 1;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            file.name.clone(),
            data,
            miette::SourceSpan::new((c.span().offset() + lo).into(), c.span().len()),
            c.line() + first,
            c.column(),
            lines,
        )))
    }
}

/// The source as a snippet shows it: an invisible character (other than tab
/// and line ends, and a byte-order mark at the start of the file) is shown as
/// `\u{FFFD}`, or `?` where it takes fewer than 3 bytes, so that the terminal
/// neither hides it nor obeys it (escape sequences, bidirectional controls).
/// Replacements keep the byte length: offsets stay those of the file.
fn shown_source(text: &str) -> std::borrow::Cow<'_, str> {
    let hidden = |(i, c): (usize, char)| {
        is_invisible(c) && !matches!(c, '\t' | '\n' | '\r') && !(c == BOM && i == 0)
    };
    if !text.char_indices().any(hidden) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        if !hidden((i, c)) {
            out.push(c);
        } else if c.len_utf8() >= 3 {
            out.push('\u{FFFD}');
            out.extend(std::iter::repeat_n('?', c.len_utf8() - 3));
        } else {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        }
    }
    out.into()
}

impl fmt::Debug for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.diag.fmt(f)
    }
}

impl fmt::Display for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl std::error::Error for MietteView<'_> {}

impl miette::Diagnostic for MietteView<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diag.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diag
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        Some(Box::new(self.diag.labels.iter().enumerate().map(
            |(i, l)| {
                let span = (l.span.start, l.span.len());
                if i == 0 {
                    miette::LabeledSpan::new_primary_with_span(Some(l.text.clone()), span)
                } else {
                    miette::LabeledSpan::new_with_span(Some(l.text.clone()), span)
                }
            },
        )))
    }
}

/// `format_version` of the JSON output; bump it when a key changes meaning.
pub const JSON_FORMAT_VERSION: &str = "1";

fn location_json(file: &SourceFile, span: Span) -> serde_json::Map<String, Json> {
    let (line, column) = file.line_col(span.start);
    let (end_line, end_column) = file.line_col(span.end);
    let mut map = serde_json::Map::new();
    map.insert("offset".into(), span.start.into());
    map.insert("length".into(), span.len().into());
    map.insert("line".into(), line.into());
    map.insert("column".into(), column.into());
    map.insert("end_line".into(), end_line.into());
    map.insert("end_column".into(), end_column.into());
    map
}

/// One JSON document for all files: `format_version`, counts, diagnostics.
pub fn render_json(reports: &[Report<'_>]) -> Json {
    let mut diagnostics = Vec::new();
    let (mut errors, mut warnings) = (0, 0);
    for report in reports {
        errors += report.count(Severity::Error);
        warnings += report.count(Severity::Warning);
        for d in report.diagnostics {
            let mut obj = json!({
                "code": d.code,
                "severity": d.severity.as_str(),
                "message": d.message,
                "file": report.file.name,
            });
            let map = obj.as_object_mut().expect("object literal");
            map.extend(location_json(report.file, d.primary_span()));
            let labels: Vec<Json> = d
                .labels
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let mut label = location_json(report.file, l.span);
                    label.insert("message".into(), l.text.clone().into());
                    label.insert("primary".into(), (i == 0).into());
                    Json::Object(label)
                })
                .collect();
            map.insert("labels".into(), Json::Array(labels));
            map.insert(
                "help".into(),
                d.help.clone().map_or(Json::Null, Json::String),
            );
            diagnostics.push(obj);
        }
    }
    json!({
        "format_version": JSON_FORMAT_VERSION,
        "errors": errors,
        "warnings": warnings,
        "diagnostics": diagnostics,
    })
}

/// A file name as the URI reference SARIF wants: `/` separators, and every byte
/// outside the unreserved set and `/` percent-encoded (so `a b.tap` is
/// `a%20b.tap`). A Windows drive path becomes a `file:///C:/...` URI.
fn file_uri(name: &str) -> String {
    let name = if cfg!(windows) {
        name.replace('\\', "/")
    } else {
        name.to_string()
    };
    let b = name.as_bytes();
    let drive = b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'/';
    let (mut out, rest) = if drive {
        (format!("file:///{}:", &name[..1]), &name[2..])
    } else {
        (String::new(), name.as_str())
    };
    for byte in rest.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// SARIF 2.1.0, with a rule (and its explanation) for every code used.
pub fn render_sarif(reports: &[Report<'_>]) -> Json {
    let mut codes: Vec<&str> = reports
        .iter()
        .flat_map(|r| r.diagnostics.iter().map(|d| d.code))
        .collect();
    codes.sort_unstable();
    codes.dedup();
    let rules: Vec<Json> = codes
        .iter()
        .map(|code| {
            let summary = crate::explain::summary(code).unwrap_or("");
            json!({
                "id": code,
                "shortDescription": { "text": summary },
                "fullDescription": { "text": crate::explain::text(code).unwrap_or(summary) },
                "help": { "text": format!("Run `tapc explain {code}` for details.") },
                "defaultConfiguration": {
                    "level": if code.starts_with('W') { "warning" } else { "error" },
                },
            })
        })
        .collect();
    let mut results = Vec::new();
    for report in reports {
        for d in report.diagnostics {
            let region = |span: Span| {
                let (line, col) = report.file.line_col(span.start);
                let (end_line, end_col) = report.file.line_col(span.end);
                json!({
                    "startLine": line, "startColumn": col,
                    "endLine": end_line, "endColumn": end_col,
                    "byteOffset": span.start, "byteLength": span.len(),
                })
            };
            let physical = |span: Span| {
                json!({
                    "artifactLocation": { "uri": file_uri(&report.file.name) },
                    "region": region(span),
                })
            };
            let mut message = d.message.clone();
            if let Some(help) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            let related: Vec<Json> = d
                .labels
                .iter()
                .skip(1)
                .enumerate()
                .map(|(i, l)| {
                    json!({
                        "id": i,
                        "physicalLocation": physical(l.span),
                        "message": { "text": l.text },
                    })
                })
                .collect();
            results.push(json!({
                "ruleId": d.code,
                "ruleIndex": codes.binary_search(&d.code).unwrap_or(0),
                "level": d.severity.as_str(),
                "message": { "text": message },
                "locations": [{ "physicalLocation": physical(d.primary_span()) }],
                "relatedLocations": related,
            }));
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "tapc",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/tapc/tapc",
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}
