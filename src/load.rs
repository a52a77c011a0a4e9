//! Loading a program (LANGUAGE.md 4.2): its root file and, transitively, the
//! files it imports, each read and parsed once, joined into one syntax tree
//! whose spans name their file.
//!
//! A file is known by its canonical path, so that a file imported twice (by
//! two files, or by two spellings of its path) counts once. An import that
//! cannot be read, or that closes a cycle, is reported at the import and left
//! in the tree as a broken item: the checker then knows the program is
//! incomplete and reports only what cannot depend on the missing files.

use std::path::{Path, PathBuf};

use typed_arena::Arena;

use crate::diag::{quote, Diagnostic, FileId, SourceFile, Span};
use crate::syntax::ast::{File, Item, ItemKind, StrPart, ValueKind};

/// A file whose imports are being read, with the import that led to it.
struct Frame {
    id: FileId,
    /// The import in the parent file that read this one.
    via: Option<Span>,
    imports: std::vec::IntoIter<(Span, Result<String, Diagnostic>)>,
}

/// The program whose root file is `root`, the diagnostics of reading and
/// parsing it, and whether it is complete: every file read and every item
/// and value parsed (an import cycle loses nothing). Imported files are allocated in `arena` in the order of their
/// ids (1, 2, ...), so that `arena.into_vec()` lists them by id.
pub(crate) fn load<'a>(
    root: &'a SourceFile,
    read: crate::ReadFile,
    arena: &'a Arena<SourceFile>,
) -> (File<'a>, Vec<Diagnostic>, bool) {
    let mut loader = Loader {
        arena,
        read,
        names: vec![root.name.clone()],
        keys: vec![None],
        items: Vec::new(),
        diags: Vec::new(),
        complete: true,
    };
    let frame = loader.parse(FileId::ROOT, root, None);
    // The root's canonical path tells an import of it (a cycle) from another
    // file; with no import, no file is compared with it (and a check of one
    // file makes no system call for it).
    if !frame.imports.as_slice().is_empty() {
        loader.keys[0] = std::fs::canonicalize(&root.name).ok();
    }
    let mut stack = vec![frame];
    while let Some(frame) = stack.last_mut() {
        let Some((span, path)) = frame.imports.next() else {
            stack.pop();
            continue;
        };
        let parent = frame.id;
        match path.and_then(|path| loader.resolve(parent, &path, span)) {
            Err(d) => loader.fail(d, span),
            Ok((shown, key)) => {
                let known = |k: &Option<PathBuf>| k.as_ref() == Some(&key);
                if let Some(at) = stack.iter().position(|f| known(&loader.keys[f.id.index()])) {
                    // Every file of the cycle is read already.
                    let d = loader.cycle(&stack[at..], span);
                    loader.diags.push(d);
                } else if !loader.keys.iter().any(known) {
                    if let Some(frame) = loader.read(&shown, key, span) {
                        stack.push(frame);
                    }
                }
            }
        }
    }
    // One file's items are the program's as they are (not copied: a file of
    // 16 MiB can hold millions of items).
    let items = match loader.items.len() {
        1 => loader.items.pop().expect("one file"),
        _ => loader.items.into_iter().flatten().collect(),
    };
    (File { items }, loader.diags, loader.complete)
}

struct Loader<'a, 'r> {
    arena: &'a Arena<SourceFile>,
    read: crate::ReadFile<'r>,
    /// Per file id: the name diagnostics show, and the canonical path (none
    /// for standard input).
    names: Vec<String>,
    keys: Vec<Option<PathBuf>>,
    /// Per file id, its items.
    items: Vec<Vec<Item<'a>>>,
    diags: Vec<Diagnostic>,
    complete: bool,
}

impl<'a> Loader<'a, '_> {
    /// Parses file `id` and returns its frame, with its imports to read.
    fn parse(&mut self, id: FileId, file: &'a SourceFile, via: Option<Span>) -> Frame {
        let (ast, errors) = crate::syntax::parse_in(id, &file.text);
        self.complete &= errors.is_empty();
        self.diags.extend(errors);
        let imports: Vec<_> = ast
            .items
            .iter()
            .filter_map(|item| match &item.kind {
                ItemKind::Import { path } => Some((item.keyword.to(path.span), import_path(path))),
                _ => None,
            })
            .collect();
        self.items.push(ast.items);
        Frame {
            id,
            via,
            imports: imports.into_iter(),
        }
    }

    /// The name to show and the canonical path of the file `path` names, as
    /// imported by file `parent`: relative to the parent's directory.
    fn resolve(
        &self,
        parent: FileId,
        path: &str,
        span: Span,
    ) -> Result<(String, PathBuf), Diagnostic> {
        let dir = Path::new(&self.names[parent.index()])
            .parent()
            .unwrap_or(Path::new(""));
        // `a/./b` is shown as `a/b`, and `a/b/../c` as `a/c` where that is
        // the same file (not where `b` is a symbolic link).
        let joined: PathBuf = dir.join(path).components().collect();
        let shown = joined.display().to_string();
        match std::fs::canonicalize(&joined) {
            Ok(key) if key.is_dir() => Err(format!("{} is a directory", quote(&shown))),
            Ok(key) => {
                let short = without_parents(&joined);
                let same = std::fs::canonicalize(&short).is_ok_and(|k| k == key);
                Ok((
                    if same {
                        short.display().to_string()
                    } else {
                        shown
                    },
                    key,
                ))
            }
            Err(e) => Err(format!(
                "cannot read {}: {}",
                quote(&shown),
                crate::io_reason(&e)
            )),
        }
        .map_err(|message| unreadable(span, message))
    }

    /// Reads and parses a newly imported file; `None` if it cannot be read or
    /// is not UTF-8 text (reported at the import, or in the file).
    fn read(&mut self, shown: &str, key: PathBuf, span: Span) -> Option<Frame> {
        let id = FileId(u32::try_from(self.names.len()).ok()?);
        let (file, problem) = match (self.read)(Path::new(shown), id) {
            Ok(read) => read,
            Err(message) => {
                self.fail(unreadable(span, message), span);
                return None;
            }
        };
        let file = &*self.arena.alloc(file);
        self.names.push(shown.to_string());
        self.keys.push(Some(key));
        if let Some(d) = problem {
            // Not text (E008) or too large (E009): nothing of it is checked.
            self.items.push(Vec::new());
            self.fail(d, span);
            return None;
        }
        Some(self.parse(id, file, Some(span)))
    }

    /// The import cycle closed by the import at `span`: `frames` are the
    /// files from the one imported again to the one importing it.
    fn cycle(&self, frames: &[Frame], span: Span) -> Diagnostic {
        let mut chain: Vec<&str> = frames
            .iter()
            .map(|f| self.names[f.id.index()].as_str())
            .collect();
        chain.push(chain[0]);
        let mut d = Diagnostic::error("E109", format!("import cycle: {}", chain.join(" -> ")))
            .label(span, format!("imports `{}` again", chain[0]));
        for (f, next) in frames.iter().skip(1).zip(&chain[1..]) {
            if let Some(via) = f.via {
                d = d.label(via, format!("imports `{next}`"));
            }
        }
        d.help("remove one of these imports: a file's items join the program once, whichever file imports it")
    }

    /// Reports `d` and marks the program incomplete where the import at
    /// `span` stands, so that the checker does not report what the missing
    /// file would have declared.
    fn fail(&mut self, d: Diagnostic, span: Span) {
        self.complete = false;
        self.diags.push(d);
        let items = &mut self.items[span.file.index()];
        items.push(Item {
            kind: ItemKind::Broken {
                keyword: None,
                name: None,
            },
            keyword: span.at(span.start),
            span,
        });
    }
}

/// The path an import names: a string without params (imports are read
/// before params have values).
fn import_path(value: &crate::syntax::ast::Value) -> Result<String, Diagnostic> {
    let (message, label) = match &value.kind {
        ValueKind::Str(parts) if parts.iter().any(|p| matches!(p, StrPart::Param(_))) => (
            "an import's path cannot hold a param",
            "a param in the path",
        ),
        ValueKind::Str(parts) => {
            let path: String = parts
                .iter()
                .filter_map(|p| match p {
                    StrPart::Text(t) => Some(t.as_ref()),
                    StrPart::Param(_) => None,
                })
                .collect();
            if !path.is_empty() {
                return Ok(path);
            }
            ("an import names no file", "an empty path")
        }
        _ => ("an import names its file with a string", "not a string"),
    };
    Err(Diagnostic::error("E107", message)
        .label(value.span, label)
        .help("write the file's path relative to this file, in quotes and without params: `import \"network.tap\"`"))
}

/// `path` with each `DIR/..` removed, as text.
fn without_parents(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match (c, out.last()) {
            (Component::ParentDir, Some(Component::Normal(_))) => {
                out.pop();
            }
            _ => out.push(c),
        }
    }
    out.into_iter().collect()
}

/// E107 for a file that cannot be read; `message` says which and why.
fn unreadable(span: Span, message: String) -> Diagnostic {
    Diagnostic::error("E107", message)
        .label(span, "this file cannot be read")
        .help("import a `.tap` file that exists, by its path relative to this file")
}
