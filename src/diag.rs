//! Diagnostics: one type for every stage, rendered as miette reports, JSON or SARIF.

mod human;
pub mod line_index;
mod message;

use serde_json::{json, Value as Json};

pub use human::render_human;
pub use line_index::{LineIndex, Position};
pub use message::*;

/// A source file with its line index, for line/column numbers and reports.
pub struct SourceFile {
    pub name: String,
    pub text: String,
    index: LineIndex,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let text = text.into();
        SourceFile {
            name: name.into(),
            index: LineIndex::new(&text),
            text,
        }
    }

    pub fn index(&self) -> &LineIndex {
        &self.index
    }

    /// The position of a byte offset, in every unit an output needs.
    pub fn position(&self, offset: usize) -> Position {
        self.index.position(&self.text, offset)
    }

    /// 1-based line and column (in Unicode scalar values) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let p = self.position(offset);
        (p.line, p.column)
    }
}

/// The diagnostics of one program, in the order of their position, and its
/// files (`FileId` indexes `files`).
pub struct Report<'a> {
    pub files: &'a [SourceFile],
    pub diagnostics: &'a [Diagnostic],
    /// The diagnostics found but not in `diagnostics` (see `cap`).
    pub hidden: Hidden,
}

impl<'a> Report<'a> {
    /// The report of a program in one file.
    pub fn single(file: &'a SourceFile, diagnostics: &'a [Diagnostic]) -> Report<'a> {
        Report {
            files: std::slice::from_ref(file),
            diagnostics,
            hidden: Hidden::default(),
        }
    }

    /// The file a span points into (the root for a span of no file of the
    /// program, which no diagnostic has).
    pub fn file(&self, span: Span) -> &'a SourceFile {
        self.files.get(span.file.index()).unwrap_or(&self.files[0])
    }

    /// How many diagnostics of `severity` the program has, shown or not
    /// (E011 or W011 only says how many are not shown, and is not one of them).
    pub fn count(&self, severity: Severity) -> usize {
        let shown = self
            .diagnostics
            .iter()
            .filter(|d| d.severity == severity && ![CAPPED, CAPPED_WARNINGS].contains(&d.code))
            .count();
        shown
            + match severity {
                Severity::Error => self.hidden.errors,
                Severity::Warning => self.hidden.warnings,
            }
    }
}

/// At most this many diagnostics of one program are shown, like syntax errors
/// per file (`MAX_SYNTAX_ERRORS`): a generated or damaged file of 16 MiB can
/// hold 880,000 of them, gigabytes of JSON, and no reader reads past the first
/// ones. Per program, not per file, because a report is one program's.
pub const MAX_DIAGNOSTICS: usize = 1000;

/// The codes of the diagnostic that stands for the ones not shown: E011 when
/// errors are among them, W011 when they are warnings only (a check that
/// passes shows no error, and a CI annotation of it is no error either).
const CAPPED: &str = "E011";
const CAPPED_WARNINGS: &str = "W011";

/// The diagnostics of a program that `cap` took out: how many of each
/// severity, and where the first of them is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hidden {
    pub errors: usize,
    pub warnings: usize,
    pub first: Option<Span>,
}

/// Keeps the first `MAX_DIAGNOSTICS` of sorted `diagnostics` and takes the
/// others out, counting them in `hidden`, with one E011 (W011 for warnings
/// only) in their place. It can be applied again after more diagnostics are
/// added (the language server adds the lowering's): the summary is replaced,
/// and `hidden` adds up. E010 already
/// stands for syntax errors not shown, and is always kept.
pub fn cap(diagnostics: &mut Vec<Diagnostic>, hidden: &mut Hidden) {
    let mut shown = 0;
    diagnostics.retain(|d| {
        if [CAPPED, CAPPED_WARNINGS].contains(&d.code) {
            return false;
        }
        if d.code == "E010" {
            return true;
        }
        if shown < MAX_DIAGNOSTICS {
            shown += 1;
            return true;
        }
        let span = d.primary_span();
        hidden.first = Some(hidden.first.map_or(span, |f| f.min(span)));
        match d.severity {
            Severity::Error => hidden.errors += 1,
            Severity::Warning => hidden.warnings += 1,
        }
        false
    });
    // The hidden ones' memory goes back now, not when the report is dropped.
    diagnostics.shrink_to_fit();
    let Some(span) = hidden.first else {
        return;
    };
    let more = |n: usize, what: &str| match n {
        1 => format!("1 more {what}"),
        n => format!("{n} more {what}s"),
    };
    let what = match (hidden.errors, hidden.warnings) {
        (e, 0) => more(e, "error"),
        (0, w) => more(w, "warning"),
        (e, w) => format!("{} and {}", more(e, "error"), more(w, "warning")),
    };
    let verb = if hidden.errors + hidden.warnings == 1 {
        "is"
    } else {
        "are"
    };
    let message = format!("{what} in this program {verb} not shown");
    let d = match hidden.errors {
        0 => Diagnostic::warning(CAPPED_WARNINGS, message),
        _ => Diagnostic::error(CAPPED, message),
    };
    let d = d
        .label(span, "the first diagnostic not shown")
        .help(format!(
            "the first {MAX_DIAGNOSTICS} are shown above: fix them and check again"
        ));
    let at = diagnostics.partition_point(|x| (x.primary_span(), x.code) < (span, d.code));
    diagnostics.insert(at, d);
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
            let file = report.file(d.primary_span());
            let mut obj = json!({
                "code": d.code,
                "severity": d.severity.as_str(),
                "message": d.message,
                "file": file.name,
            });
            let map = obj.as_object_mut().expect("object literal");
            map.extend(location_json(file, d.primary_span()));
            let labels: Vec<Json> = d
                .labels
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let mut label = serde_json::Map::new();
                    label.insert("file".into(), report.file(l.span).name.clone().into());
                    label.extend(location_json(report.file(l.span), l.span));
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

/// Where the project's files are published: SARIF's `informationUri` and each
/// rule's `helpUri` (the explanation of the code, as `tapc explain` prints it).
pub const REPOSITORY: &str = "https://github.com/tapc/tapc";

/// A stable fingerprint of every diagnostic, unique within one run: a hash of
/// the code, the file name, the text under the primary label and the line that
/// holds it (not the line number, so that an edit above does not change it),
/// and how many diagnostics before it had the same hash.
pub fn fingerprints(reports: &[Report<'_>]) -> Vec<Vec<String>> {
    let mut seen: std::collections::HashMap<u128, usize> = Default::default();
    reports
        .iter()
        .map(|report| {
            report
                .diagnostics
                .iter()
                .map(|d| {
                    let span = d.primary_span();
                    let file = report.file(span);
                    let text = file.text.get(span.start..span.end).unwrap_or("");
                    let index = file.index();
                    let line = index.line(span.start);
                    let (lo, hi) = (index.line_start(line), index.line_end(line));
                    let line_text = file.text.get(lo..hi).unwrap_or("").trim();
                    let key = [d.code, &repo_path(&file.name), text, line_text].join("\0");
                    let hash = hash128(key.as_bytes());
                    let n = seen.entry(hash).or_default();
                    *n += 1;
                    format!("{:032x}", hash128(format!("{hash:x}:{n}").as_bytes()))
                })
                .collect()
        })
        .collect()
}

/// FNV-1a, twice with different offsets: deterministic on every platform and
/// in every release, which `std`'s hashers do not promise.
fn hash128(bytes: &[u8]) -> u128 {
    let fnv = |mut h: u64| {
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    };
    (u128::from(fnv(0xcbf2_9ce4_8422_2325)) << 64) | u128::from(fnv(0x6c62_272e_07bb_0142))
}

/// The message of a diagnostic with its primary label and help, for formats
/// that show no source.
fn full_message(d: &Diagnostic) -> String {
    let mut message = d.message.clone();
    if let Some(label) = d.labels.first().filter(|l| !l.text.is_empty()) {
        message.push_str(": ");
        message.push_str(&label.text);
    }
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    message
}

/// GitHub Actions workflow commands, one `::error` or `::warning` line per
/// diagnostic, which GitHub shows as annotations on the file and line.
/// https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands
pub fn render_github(reports: &[Report<'_>]) -> String {
    // The message escapes `%`, CR and LF; a property also `:` and `,`.
    fn data(s: &str) -> String {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    }
    fn property(s: &str) -> String {
        data(s).replace(':', "%3A").replace(',', "%2C")
    }
    let mut out = String::new();
    for report in reports {
        for d in report.diagnostics {
            let span = d.primary_span();
            let file = report.file(span);
            let (line, col) = file.line_col(span.start);
            let (end_line, end_col) = file.line_col(span.end);
            out.push_str(&format!(
                "::{} file={},line={line},col={col},endLine={end_line},endColumn={end_col},title={}::{}\n",
                d.severity.as_str(),
                property(&repo_path(&file.name)),
                property(d.code),
                data(&full_message(d)),
            ));
        }
    }
    out
}

/// A GitLab Code Quality report: a JSON array with one issue per diagnostic.
/// https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format
pub fn render_gitlab(reports: &[Report<'_>]) -> Json {
    let fingerprints = fingerprints(reports);
    let mut issues = Vec::new();
    for (report, prints) in reports.iter().zip(&fingerprints) {
        for (d, fingerprint) in report.diagnostics.iter().zip(prints) {
            let span = d.primary_span();
            let file = report.file(span);
            let (begin, _) = file.line_col(span.start);
            let (end, _) = file.line_col(span.end);
            issues.push(json!({
                "description": full_message(d),
                "check_name": d.code,
                "fingerprint": fingerprint,
                "severity": match d.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                },
                "location": {
                    "path": repo_path(&file.name),
                    "lines": { "begin": begin, "end": end },
                },
            }));
        }
    }
    Json::Array(issues)
}

/// SARIF 2.1.0, with a rule (and its explanation) for every code used, as
/// GitHub code scanning takes it: file names relative to the current directory
/// (`%SRCROOT%`, the repository's root when run there), a fingerprint and a
/// help link per result.
/// https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
pub fn render_sarif(reports: &[Report<'_>]) -> Json {
    let cwd = std::env::current_dir().ok();
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
                "helpUri": format!("{REPOSITORY}/blob/main/src/explain/{code}.md"),
                "defaultConfiguration": {
                    "level": if code.starts_with('W') { "warning" } else { "error" },
                },
            })
        })
        .collect();
    let fingerprints = fingerprints(reports);
    let mut results = Vec::new();
    for (report, prints) in reports.iter().zip(&fingerprints) {
        for (d, fingerprint) in report.diagnostics.iter().zip(prints) {
            let region = |span: Span| {
                let file = report.file(span);
                let (line, col) = file.line_col(span.start);
                let (end_line, end_col) = file.line_col(span.end);
                json!({
                    "startLine": line, "startColumn": col,
                    "endLine": end_line, "endColumn": end_col,
                    "byteOffset": span.start, "byteLength": span.len(),
                })
            };
            let physical = |span: Span| {
                json!({
                    "artifactLocation": artifact_location(&report.file(span).name, cwd.as_deref()),
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
                "partialFingerprints": { "tapcFingerprint/v1": fingerprint },
            }));
        }
    }
    let mut run = json!({
        "tool": { "driver": {
            "name": "tapc",
            "version": env!("CARGO_PKG_VERSION"),
            "informationUri": REPOSITORY,
            "rules": rules,
        }},
        "columnKind": "unicodeCodePoints",
        "results": results,
    });
    if let Some(root) = cwd.as_deref().and_then(dir_uri) {
        run["originalUriBaseIds"] = json!({ "SRCROOT": { "uri": root } });
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    })
}

/// A file as SARIF locates it: relative to `%SRCROOT%` (the current directory)
/// when it is inside it, else by its own URI.
fn artifact_location(name: &str, cwd: Option<&std::path::Path>) -> Json {
    let path = std::path::Path::new(name);
    let relative = if path.is_absolute() {
        cwd.and_then(|c| path.strip_prefix(c).ok())
    } else if path
        .components()
        .any(|c| c == std::path::Component::ParentDir)
    {
        None
    } else {
        Some(path)
    };
    match relative {
        Some(rel) => {
            let rel = rel.to_string_lossy();
            let rel = rel.strip_prefix("./").unwrap_or(&rel);
            json!({ "uri": file_uri(rel), "uriBaseId": "SRCROOT" })
        }
        None => match cwd.filter(|_| !path.is_absolute()) {
            Some(cwd) => json!({ "uri": absolute_uri(&cwd.join(path).to_string_lossy()) }),
            None => json!({ "uri": absolute_uri(name) }),
        },
    }
}

/// An absolute path as a `file://` URI.
fn absolute_uri(path: &str) -> String {
    let uri = file_uri(path);
    if uri.starts_with("file:") {
        uri
    } else {
        format!("file://{uri}")
    }
}

/// The current directory as the `file://` URI of a directory (ending in `/`).
fn dir_uri(dir: &std::path::Path) -> Option<String> {
    let mut uri = absolute_uri(dir.to_str()?);
    if !uri.ends_with('/') {
        uri.push('/');
    }
    Some(uri)
}

/// A file name as CI systems want it: relative to the current directory (the
/// repository's root when run there) when it is inside it, without `./`.
fn repo_path(name: &str) -> String {
    let path = std::path::Path::new(name);
    let cwd = std::env::current_dir().ok();
    let relative = match cwd.as_deref() {
        Some(cwd) if path.is_absolute() => path.strip_prefix(cwd).unwrap_or(path),
        _ => path,
    };
    let text = relative.to_string_lossy();
    text.strip_prefix("./").unwrap_or(&text).to_string()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(code: &'static str, start: usize) -> Diagnostic {
        let d = if code.starts_with('W') {
            Diagnostic::warning(code, "w")
        } else {
            Diagnostic::error(code, "e")
        };
        d.label(Span::new(FileId::ROOT, start, start + 1), "")
    }

    fn sort(ds: &mut [Diagnostic]) {
        ds.sort_by(|a, b| (a.primary_span(), a.code).cmp(&(b.primary_span(), b.code)));
    }

    /// Capped again after more are added (the language server adds the
    /// lowering's), the counts add up, the first hidden is the first in
    /// order, and there is one E011; E010 is never hidden nor counted.
    #[test]
    fn cap_again_after_more_diagnostics() {
        let mut ds: Vec<Diagnostic> = (0..MAX_DIAGNOSTICS + 10)
            .map(|i| at(if i % 2 == 0 { "E202" } else { "W205" }, 10 * i))
            .collect();
        ds.push(at("E010", 10 * MAX_DIAGNOSTICS + 1));
        sort(&mut ds);
        let mut hidden = Hidden::default();
        cap(&mut ds, &mut hidden);
        assert_eq!((hidden.errors, hidden.warnings), (5, 5));
        assert_eq!(ds.len(), MAX_DIAGNOSTICS + 2);
        assert_eq!(hidden.first.map(|s| s.start), Some(10 * MAX_DIAGNOSTICS));
        // One found by the lowering before the cut pushes the last shown out.
        ds.push(at("E603", 5));
        sort(&mut ds);
        cap(&mut ds, &mut hidden);
        assert_eq!((hidden.errors, hidden.warnings), (5, 6));
        let first = 10 * (MAX_DIAGNOSTICS - 1);
        assert_eq!(hidden.first.map(|s| s.start), Some(first));
        let codes: Vec<&str> = ds.iter().map(|d| d.code).collect();
        assert_eq!(codes.iter().filter(|&&c| c == "E011").count(), 1);
        assert!(codes.contains(&"E010") && codes.contains(&"E603"));
        let e011 = ds.iter().find(|d| d.code == "E011").unwrap();
        assert_eq!(e011.primary_span().start, first);
        assert_eq!(
            e011.message,
            "5 more errors and 6 more warnings in this program are not shown"
        );
        let report = Report {
            files: &[],
            diagnostics: &ds,
            hidden,
        };
        // Every E202, W205 and E603 shown or not, and E010; not E011.
        assert_eq!(
            report.count(Severity::Error),
            (MAX_DIAGNOSTICS + 10) / 2 + 2
        );
        assert_eq!(report.count(Severity::Warning), (MAX_DIAGNOSTICS + 10) / 2);
    }
}
