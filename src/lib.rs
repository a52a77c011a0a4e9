//! tapc: compiles a `.tap` disaster-recovery platform to CloudFormation.
//!
//! The pipeline, one module per stage, each stage's output the next one's input:
//! `syntax` (text to tree) -> `check` (tree to checked `model`) -> `graph`
//! (model to DAG and deployment waves) -> `lower` (to templates and manifest).
//! Diagnostics of every stage are `diag::Diagnostic`.

pub mod check;
pub mod diag;
pub mod explain;
pub mod fmt;
pub mod gen;
pub mod graph;
pub mod lower;
pub mod model;
pub mod names;
pub mod output;
pub mod stdlib;
pub mod suggest;
pub mod summary;
pub mod syntax;

use diag::{Diagnostic, SourceFile};
pub use output::OutputDir;

/// Reads a program from disk. `Err` is a one-line I/O error (exit status 2); a file
/// that is not UTF-8 is read lossily and reported as diagnostic E008.
pub fn read_source(path: &std::path::Path) -> Result<(SourceFile, Option<Diagnostic>), String> {
    let shown = path.display();
    if path.is_dir() {
        return Err(format!("cannot read `{shown}`: it is a directory"));
    }
    let bytes =
        std::fs::read(path).map_err(|e| format!("cannot read `{shown}`: {}", io_reason(&e)))?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok((SourceFile::new(shown.to_string(), text), None)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            // The offset of the first replacement character in the lossy text is `at`.
            let end = at + text[at..].chars().next().map_or(0, char::len_utf8);
            let d = Diagnostic::error("E008", "the file is not UTF-8 text")
                .label(
                    diag::Span::new(at, end),
                    format!("invalid UTF-8 at byte {at}"),
                )
                .help("save the file as UTF-8; is this the right file?");
            Ok((SourceFile::new(shown.to_string(), text), Some(d)))
        }
    }
}

/// An I/O error in a few plain words, without the OS error number.
pub fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Reads, parses and checks one file. `Err` is a one-line I/O or usage error.
pub fn check_path(
    path: &std::path::Path,
    params: &[(String, String)],
) -> Result<(SourceFile, check::Checked), String> {
    let (file, encoding_error) = read_source(path)?;
    let checked = match encoding_error {
        Some(d) => check::Checked {
            model: None,
            diagnostics: vec![d],
        },
        None => check_source(&file, params)?,
    };
    Ok((file, checked))
}

/// Parses and checks one source file, lowering it in memory when it checks.
pub fn check_source(
    file: &SourceFile,
    params: &[(String, String)],
) -> Result<check::Checked, String> {
    let (ast, syntax_errors) = syntax::parse(&file.text);
    if !syntax_errors.is_empty() {
        return Ok(check::Checked {
            model: None,
            diagnostics: syntax_errors,
        });
    }
    let mut checked = check::check(&ast, params)?;
    // What only the lowering finds (a template or an IAM policy over AWS's
    // quotas) is reported by `check` too: no program passes `check` and
    // fails `build`. The templates are made and dropped, one at a time.
    if let Some(model) = &checked.model {
        if let Err(found) = lower::lower_with(model, |_, _, _| {}) {
            checked.diagnostics.extend(found);
            checked
                .diagnostics
                .sort_by(|a, b| (a.primary_span(), a.code).cmp(&(b.primary_span(), b.code)));
            checked.model = None;
        }
    }
    Ok(checked)
}
