//! tapc: compiles a `.tap` disaster-recovery platform to CloudFormation.
//!
//! The pipeline, one module per stage, each stage's output the next one's input:
//! `load` (the root file and its imports, each parsed by `syntax` into a tree
//! whose spans name their file) -> `check` (tree to checked `model`) -> `graph`
//! (model to DAG and deployment waves) -> `lower` (to templates and manifest).
//! Diagnostics of every stage are `diag::Diagnostic`. `check_files` and
//! `check_program` below are the one driver of the command line, the language
//! server, the tests, the fuzz targets and the benchmarks.

pub mod check;
pub mod deploy;
pub mod diag;
pub mod explain;
pub mod fmt;
pub mod gen;
pub mod graph;
pub mod heap;
mod load;
pub mod lower;
pub mod lsp;
pub mod model;
pub mod names;
pub mod output;
pub mod sketch;
pub mod stdlib;
pub mod suggest;
pub mod summary;
pub mod syntax;
mod text;

pub use check::Given;
use diag::{Diagnostic, FileId, Report, Severity, SourceFile, Span};
pub use output::OutputDir;

/// How tapc's command line gives a param its value for a run: the option
/// `--param NAME=VALUE` of `tapc check`, `build` and `graph` (`src/main.rs`).
/// The checker's messages quote it through `Given`, which knows no command
/// line; the language server, which gives no values, quotes it too, since it
/// is how its user sets one when they build.
pub const PARAM_OPTION: &str = "--param";

impl<'a> Given<'a> {
    /// `values` given on tapc's command line (none for the language server,
    /// the tests and the benchmarks).
    pub fn command_line(values: &'a [(String, String)]) -> Given<'a> {
        Given {
            values,
            how: PARAM_OPTION,
        }
    }
}

/// The largest program tapc reads, in bytes: 16 MiB. A platform of 10,000
/// services (`gen::platform`, far larger than any real one) is about 3 MB;
/// past the limit tapc stops reading, so that a wrong path (a log, a disk
/// image, `/dev/zero`, an endless pipe) costs at most this much memory and
/// about a second, and is reported as E009.
pub const MAX_SOURCE_BYTES: usize = 16 << 20;

/// Reads a source file from disk, as file `id` of its program. `Err` is a
/// one-line I/O error (exit status 2). A file larger than `MAX_SOURCE_BYTES`
/// is read up to the limit and reported as E009; one that is not UTF-8 is
/// reported as E008. Either way the text keeps the file's byte offsets (see
/// `decode`).
pub fn read_source(
    path: &std::path::Path,
    id: FileId,
) -> Result<(SourceFile, Option<Diagnostic>), String> {
    let shown = path.display();
    let directory = || format!("cannot read `{shown}`: it is a directory");
    let reason = |e: std::io::Error| format!("cannot read `{shown}`: {}", io_reason(&e));
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        // (Where a directory cannot be opened at all.)
        Err(_) if path.is_dir() => return Err(directory()),
        Err(e) => return Err(reason(e)),
    };
    let meta = file.metadata().map_err(reason)?;
    if meta.is_dir() {
        return Err(directory());
    }
    // Its size, so that it is read in one go, not in doubling reads.
    // (As `shown` writes it, without the formatting machinery.)
    let name = path.to_string_lossy().into_owned();
    read_program(name, id, file, meta.len()).map_err(reason)
}

/// Reads a source file from `input` (a file, standard input), named `name` in
/// diagnostics, as `read_source` does: at most one byte past the limit, so that
/// `/dev/zero` and endless pipes stop. `size` is what it is expected to hold
/// (0 if unknown).
pub fn read_program(
    name: String,
    id: FileId,
    input: impl std::io::Read,
    size: u64,
) -> std::io::Result<(SourceFile, Option<Diagnostic>)> {
    use std::io::Read;
    let mut bytes = Vec::with_capacity(size.min(MAX_SOURCE_BYTES as u64) as usize + 1);
    input
        .take(MAX_SOURCE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    let too_large = bytes.len() > MAX_SOURCE_BYTES;
    bytes.truncate(MAX_SOURCE_BYTES);
    let (text, invalid) = decode(bytes);
    let file = SourceFile::new(name, text);
    let limit = MAX_SOURCE_BYTES;
    let d = if too_large {
        Some(
            Diagnostic::error("E009", "the file is larger than 16 MiB")
                .label(
                    Span::new(id, limit, limit),
                    format!("tapc stopped reading here, at byte {limit}"),
                )
                .help("a program is at most 16 MiB; is this the right file?"),
        )
    } else {
        invalid.map(|bad| {
            Diagnostic::error("E008", "the file is not UTF-8 text")
                .label(
                    Span::new(id, bad.start, bad.end),
                    format!("invalid UTF-8 at byte {}", bad.start),
                )
                .help("save the file as UTF-8; is this the right file?")
        })
    };
    Ok((file, d))
}

/// `bytes` as text, each invalid UTF-8 sequence replaced by text of its own
/// length: `\u{FFFD}` (3 bytes) for a sequence of 3 bytes, `?` for each byte of
/// a shorter one. Byte offsets in the text are then byte offsets in the file,
/// for every output (a lossy decoding would make them drift by 2 bytes per
/// invalid byte). Also returns the first invalid sequence.
pub fn decode(bytes: Vec<u8>) -> (String, Option<std::ops::Range<usize>>) {
    let bytes = match String::from_utf8(bytes) {
        Ok(text) => return (text, None),
        Err(e) => e.into_bytes(),
    };
    let mut text = String::with_capacity(bytes.len());
    let mut first = None;
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        let bad = chunk.invalid().len();
        if bad > 0 {
            first.get_or_insert(text.len()..text.len() + bad);
            if bad >= 3 {
                text.push('\u{FFFD}');
                text.extend(std::iter::repeat_n('?', bad - 3));
            } else {
                text.extend(std::iter::repeat_n('?', bad));
            }
        }
    }
    (text, first)
}

/// An I/O error in a few plain words, without the OS error number.
pub fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Why a program was not checked (on the command line, exit status 2).
#[derive(Debug)]
pub enum Error {
    /// The root file cannot be read: which, and why, in a few words.
    Read(String),
    /// A value was given for a param the program does not declare.
    UnknownParam(check::UnknownParam),
}

impl From<check::UnknownParam> for Error {
    fn from(e: check::UnknownParam) -> Error {
        Error::UnknownParam(e)
    }
}

/// A checked program and its source files: the root first, then the files it
/// imports (`FileId` indexes `files`).
pub struct Program {
    pub files: Vec<SourceFile>,
    pub checked: check::Checked,
    /// The diagnostics `cap` took out of `checked.diagnostics`.
    pub hidden: diag::Hidden,
}

impl Program {
    /// The program's diagnostics, to render.
    pub fn report(&self) -> Report<'_> {
        Report {
            files: &self.files,
            diagnostics: &self.checked.diagnostics,
            hidden: self.hidden,
        }
    }

    /// Shows at most `diag::MAX_DIAGNOSTICS` diagnostics (`diag::cap`); after
    /// `--allow` and `--deny`, which change which ones there are.
    pub fn cap(&mut self) {
        diag::cap(&mut self.checked.diagnostics, &mut self.hidden);
    }
}

/// Reads and checks the program whose root file is `path`, with every file it
/// imports. An import that cannot be read is a diagnostic (E107).
pub fn check_path(path: &std::path::Path, given: Given) -> Result<Program, Error> {
    check_read(read_source(path, FileId::ROOT).map_err(Error::Read)?, given)
}

/// Checks a program whose root file was read by `read_source` or
/// `read_program` (its imports are read from disk, relative to its name's
/// directory: the current directory for standard input).
pub fn check_read(
    (root, read_error): (SourceFile, Option<Diagnostic>),
    given: Given,
) -> Result<Program, Error> {
    let (imported, checked) = match read_error {
        Some(d) => (
            Vec::new(),
            check::Checked {
                model: None,
                diagnostics: vec![d],
            },
        ),
        None => check_program(&root, given)?,
    };
    let mut files = vec![root];
    files.extend(imported);
    Ok(Program {
        files,
        checked,
        hidden: diag::Hidden::default(),
    })
}

/// Parses and checks a program whose root file is `file`, lowering it in
/// memory when it checks. For a program in one file: the files it imports are
/// read and checked, but only `check_read` keeps them to render diagnostics.
pub fn check_source(file: &SourceFile, given: Given) -> Result<check::Checked, Error> {
    Ok(check_program(file, given)?.1)
}

/// `check_files` reading imports from disk, then `measure`: what every
/// command runs. Returns the imported files (ids 1 and up) and the findings.
fn check_program(
    root: &SourceFile,
    given: Given,
) -> Result<(Vec<SourceFile>, check::Checked), Error> {
    let (files, mut checked) = check_files(root, &read_source, given)?;
    measure(&mut checked);
    Ok((files, checked))
}

/// How the driver reads an imported file, given its path and id:
/// `read_source`, or the language server's reader of the editor's text.
pub type ReadFile<'r> =
    &'r dyn Fn(&std::path::Path, FileId) -> Result<(SourceFile, Option<Diagnostic>), String>;

/// The one pipeline of every command and the language server: load the root
/// and its imports (each read with `read` and parsed once) and check the
/// program with the values `given` for its params. Returns the imported files
/// (ids 1 and up) and what was found.
pub fn check_files(
    root: &SourceFile,
    read: ReadFile,
    given: Given,
) -> Result<(Vec<SourceFile>, check::Checked), Error> {
    let arena = typed_arena::Arena::new();
    let checked = {
        let (ast, mut diagnostics, complete) = load::load(root, read, &arena);
        let mut checked = check::check(&ast, given)?;
        if !complete {
            // A broken item or value, or a file not read, may be what a
            // whole-program check misses (no platform, no secondary, a budget
            // term): only what stands on its own is reported until the
            // program parses and every import is read.
            checked
                .diagnostics
                .retain(|d| !check::whole_program(d.code));
        }
        // Syntax and import errors first: the checker's own are sorted.
        diagnostics.append(&mut checked.diagnostics);
        diagnostics.sort_by(|a, b| (a.primary_span(), a.code).cmp(&(b.primary_span(), b.code)));
        if diagnostics.iter().any(|d| d.severity == Severity::Error) {
            checked.model = None;
        }
        checked.diagnostics = diagnostics;
        checked
    };
    Ok((arena.into_vec(), checked))
}

/// What only the lowering finds (a template or an IAM policy over AWS's
/// quotas), added to a checked program's findings: no program passes `check`
/// and fails `build`. The templates are measured, not written.
pub fn measure(checked: &mut check::Checked) {
    if let Some(model) = &checked.model {
        if let Err(found) = lower::measure(model) {
            checked.diagnostics.extend(found);
            checked
                .diagnostics
                .sort_by(|a, b| (a.primary_span(), a.code).cmp(&(b.primary_span(), b.code)));
            checked.model = None;
        }
    }
}
