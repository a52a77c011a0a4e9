//! tapc: compiles a `.tap` disaster-recovery platform to CloudFormation.
//!
//! The pipeline, one module per stage, each stage's output the next one's input:
//! `syntax` (text to tree) -> `check` (tree to checked `model`) -> `graph`
//! (model to DAG and deployment waves) -> `lower` (to templates and manifest).
//! Diagnostics of every stage are `diag::Diagnostic`.

pub mod check;
pub mod deploy;
pub mod diag;
pub mod explain;
pub mod gen;
pub mod graph;
pub mod lower;
pub mod model;
pub mod names;
pub mod stdlib;
pub mod suggest;
pub mod summary;
pub mod syntax;

use diag::{Diagnostic, SourceFile};

/// Reads a program from disk. `Err` is a one-line I/O error (exit status 2); a file
/// that is not UTF-8 is read lossily and reported as diagnostic E008.
pub fn read_source(path: &std::path::Path) -> Result<(SourceFile, Option<Diagnostic>), String> {
    let shown = path.display();
    if path.is_dir() {
        return Err(format!("cannot read `{shown}`: it is a directory"));
    }
    let bytes =
        std::fs::read(path).map_err(|e| format!("cannot read `{shown}`: {}", io_reason(&e)))?;
    Ok(source_from_bytes(shown.to_string(), bytes))
}

/// A program from bytes read elsewhere (standard input), named `name` in
/// diagnostics; text that is not UTF-8 is read lossily and reported as E008.
pub fn source_from_bytes(name: String, bytes: Vec<u8>) -> (SourceFile, Option<Diagnostic>) {
    match String::from_utf8(bytes) {
        Ok(text) => (SourceFile::new(name, text), None),
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
            (SourceFile::new(name, text), Some(d))
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
    check_read(read_source(path)?, params)
}

/// Checks a program read by `read_source` or `source_from_bytes`.
pub fn check_read(
    (file, encoding_error): (SourceFile, Option<Diagnostic>),
    params: &[(String, String)],
) -> Result<(SourceFile, check::Checked), String> {
    let checked = match encoding_error {
        Some(d) => check::Checked {
            model: None,
            diagnostics: vec![d],
        },
        None => check_source(&file, params)?,
    };
    Ok((file, checked))
}

/// Parses and checks one source file.
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
    check::check(&ast, params)
}

/// A build's output directory, replaced atomically: files are written into a
/// temporary directory beside `dir`, which takes `dir`'s place on `commit`.
/// Dropped without `commit`, the temporary directory is removed and `dir` is
/// left exactly as it was. Files may be written from several threads; the
/// first failure is kept and reported by `commit`.
pub struct OutputDir {
    dir: std::path::PathBuf,
    tmp: std::path::PathBuf,
    old: std::path::PathBuf,
    error: std::sync::Mutex<Option<String>>,
    committed: bool,
}

impl OutputDir {
    pub fn create(dir: &std::path::Path) -> Result<OutputDir, String> {
        use std::fs;
        let shown = dir.display();
        if dir.exists() && !dir.is_dir() {
            return Err(format!(
                "cannot write to `{shown}`: it exists and is not a directory"
            ));
        }
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let base = dir
            .file_name()
            .ok_or_else(|| format!("cannot write to `{shown}`: not a directory name"))?
            .to_string_lossy()
            .into_owned();
        fs::create_dir_all(&parent)
            .map_err(|e| format!("cannot create `{}`: {}", parent.display(), io_reason(&e)))?;
        let pid = std::process::id();
        let out = OutputDir {
            dir: dir.to_path_buf(),
            tmp: parent.join(format!(".{base}.tapc-new-{pid}")),
            old: parent.join(format!(".{base}.tapc-old-{pid}")),
            error: Default::default(),
            committed: false,
        };
        let _ = fs::remove_dir_all(&out.tmp);
        fs::create_dir(&out.tmp).map_err(|e| out.write_error(&e))?;
        Ok(out)
    }

    /// Writes one file, durably, into the temporary directory (nothing more
    /// once a write has failed).
    pub fn write(&self, name: &str, text: &str) {
        if self.first_error().is_some() {
            return;
        }
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(self.tmp.join(name))?;
            std::io::Write::write_all(&mut f, text.as_bytes())?;
            f.sync_all()
        };
        if let Err(e) = write() {
            self.first_error().get_or_insert(self.write_error(&e));
        }
    }

    fn first_error(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        // A plain value: a writer that panicked leaves nothing half-done in it.
        self.error.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn write_error(&self, e: &std::io::Error) -> String {
        format!("cannot write to `{}`: {}", self.dir.display(), io_reason(e))
    }

    /// Puts the written files in `dir`'s place, unless a write failed.
    pub fn commit(mut self) -> Result<(), String> {
        use std::fs;
        if let Some(e) = self.first_error().take() {
            return Err(e);
        }
        let shown = self.dir.display();
        let had_old = self.dir.exists();
        if had_old {
            fs::rename(&self.dir, &self.old)
                .map_err(|e| format!("cannot replace `{shown}`: {}", io_reason(&e)))?;
        }
        if let Err(e) = fs::rename(&self.tmp, &self.dir) {
            if had_old {
                let _ = fs::rename(&self.old, &self.dir);
            }
            return Err(format!("cannot replace `{shown}`: {}", io_reason(&e)));
        }
        self.committed = true;
        if had_old {
            let _ = fs::remove_dir_all(&self.old);
        }
        Ok(())
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
}
