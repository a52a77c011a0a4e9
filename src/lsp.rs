//! `tapc lsp`: a language server on standard input and output.
//!
//! Built on `lsp-server` and `lsp-types`, the crates rust-analyzer is built on
//! (and Gleam, Nickel and KCL use): they frame the messages and type the
//! protocol and nothing more, so the server is a plain synchronous loop over
//! incoming messages. No async runtime is needed: checking a program of 1,000
//! services takes milliseconds (BENCHMARKS.md), so every request is answered
//! in turn, from the text of the last change.
//!
//! Every answer comes from the same functions as the command line, so the
//! editor and `tapc check` never disagree: diagnostics from `check_files` (the
//! driver; imported files open in the editor are read as it has them),
//! formatting from `fmt::format`, documentation from the stdlib schema, the
//! budget from the checked model. What must work while the file does not
//! parse (completion, hover, names) reads a tolerant token scan of the text
//! (`scan`) instead of the syntax tree.

use std::collections::HashMap;

use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types as lsp;
use serde_json::Value as Json;

use crate::diag::{Diagnostic, FileId, Severity, SourceFile, Span};
use crate::model::Budget;
use crate::model::Model;
use crate::stdlib::{schema, Field, Fields, Type};

/// Runs the server on standard input and output until the client exits.
pub fn run() -> Result<(), String> {
    let (conn, io) = Connection::stdio();
    let shut_down = serve_until(&conn)?;
    drop(conn);
    match io.join() {
        // A message the client sends after `shutdown` (Neovim sends some) finds
        // the server gone: not an error of the session.
        Err(e) if !shut_down => Err(format!("language server I/O: {e}")),
        _ => Ok(()),
    }
}

/// Answers `conn` from `initialize` to `exit` (also over an in-memory
/// connection, for tests).
pub fn serve(conn: &Connection) -> Result<(), String> {
    serve_until(conn).map(|_| ())
}

/// `serve`; true if the client shut the server down, false if it went away.
fn serve_until(conn: &Connection) -> Result<bool, String> {
    let caps = serde_json::to_value(capabilities()).map_err(|e| e.to_string())?;
    conn.initialize(caps)
        .map_err(|e| format!("language server initialisation: {e}"))?;
    let mut server = Server::default();
    for msg in &conn.receiver {
        match msg {
            Message::Request(req) => {
                // After `shutdown` the server only waits for `exit`; a client
                // that closes the connection instead (Neovim quitting) has
                // still shut it down properly.
                if conn.handle_shutdown(&req).unwrap_or(true) {
                    return Ok(true);
                }
                let resp = server.request(req);
                send(conn, resp.into())?;
            }
            Message::Notification(n) => {
                server.notify(n, &mut |out| send(conn, out.into()))?;
            }
            Message::Response(_) => {}
        }
        // The lowerings wait until no message is queued: in a burst of
        // changes only the last text is lowered (a second on 10,000
        // services), and the next change's diagnostics do not wait for the
        // lowering of a text already replaced.
        while conn.receiver.is_empty() && server.lower_next(&mut |out| send(conn, out.into()))? {}
    }
    Ok(false)
}

fn send(conn: &Connection, msg: Message) -> Result<(), String> {
    conn.sender
        .send(msg)
        .map_err(|_| "the client closed the connection".to_string())
}

pub fn capabilities() -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        position_encoding: Some(lsp::PositionEncodingKind::UTF16),
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Kind(
            lsp::TextDocumentSyncKind::FULL,
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(vec!["=".into(), " ".into(), "{".into(), ":".into()]),
            ..Default::default()
        }),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        rename_provider: Some(lsp::OneOf::Left(true)),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Simple(true)),
        inlay_hint_provider: Some(lsp::OneOf::Left(true)),
        ..Default::default()
    }
}

/// An open document: its text, and what `tapc check` makes of the program it
/// is the root of (with the files it imports).
struct Doc {
    file: SourceFile,
    version: i32,
    /// The files it imports, ids 1 and up, as last read, and their URIs (by
    /// their canonical paths: an import's path may hold `..`).
    imported: Vec<SourceFile>,
    uris: Vec<Option<lsp::Url>>,
    diagnostics: Vec<Diagnostic>,
    /// The diagnostics `cap` took out of `diagnostics`.
    hidden: crate::diag::Hidden,
    model: Option<Model>,
}

impl Doc {
    /// Parses and checks `text` with the files it imports, as `tapc check`
    /// does but for the lowering (`lower`), which is the larger part of the
    /// time on a large program. An imported file open in the editor is read
    /// as the editor has it, saved or not.
    fn new(uri: &lsp::Url, text: String, version: i32, open: &HashMap<lsp::Url, Doc>) -> Doc {
        let file = SourceFile::new(path_of(uri), text);
        let read = |path: &std::path::Path, id: FileId| {
            let key = std::fs::canonicalize(path).ok();
            let doc = open.values().find(|d| {
                let name = std::path::Path::new(&d.file.name);
                name == path || (key.is_some() && std::fs::canonicalize(name).ok() == key)
            });
            match doc {
                Some(d) => Ok((
                    SourceFile::new(path.display().to_string(), d.file.text.clone()),
                    None,
                )),
                None => crate::read_source(path, id),
            }
        };
        // No param value is given, so there is no usage error; a param without
        // a default is reported with how `tapc` gives one.
        let given = crate::Given::command_line(&[]);
        let (imported, mut checked) = crate::check_files(&file, &read, given).unwrap_or_default();
        // An editor shows as many diagnostics as `tapc check` does, and no more.
        let mut hidden = crate::diag::Hidden::default();
        crate::diag::cap(&mut checked.diagnostics, &mut hidden);
        let uris = imported
            .iter()
            .map(|f| {
                let path = std::fs::canonicalize(&f.name).unwrap_or_else(|_| f.name.clone().into());
                lsp::Url::from_file_path(path).ok()
            })
            .collect();
        Doc {
            file,
            version,
            imported,
            uris,
            diagnostics: checked.diagnostics,
            hidden,
            model: checked.model,
        }
    }

    /// The file with id `id` of its program.
    fn file(&self, id: FileId) -> &SourceFile {
        match id.index().checked_sub(1) {
            Some(i) => self.imported.get(i).unwrap_or(&self.file),
            None => &self.file,
        }
    }

    /// The URI of a file it imports (`id` 1 and up).
    fn uri(&self, id: FileId) -> Option<lsp::Url> {
        self.uris.get(id.index().checked_sub(1)?).cloned().flatten()
    }

    /// What only the lowering finds (a template over AWS's quotas), added to
    /// the diagnostics as `check_source` adds them; true if it found any. The
    /// model is kept, for hover and inlay hints. The templates are measured,
    /// not written, as `tapc check` does.
    fn lower(&mut self) -> bool {
        let Some(model) = &self.model else {
            return false;
        };
        let Err(found) = crate::lower::measure(model) else {
            return false;
        };
        self.diagnostics.extend(found);
        self.diagnostics
            .sort_by(|a, b| (a.primary_span(), a.code).cmp(&(b.primary_span(), b.code)));
        crate::diag::cap(&mut self.diagnostics, &mut self.hidden);
        true
    }

    fn text(&self) -> &str {
        &self.file.text
    }
    fn pos(&self, offset: usize) -> lsp::Position {
        position(&self.file, offset)
    }
    /// The range of a span, in whichever file of the program it is.
    fn range(&self, span: Span) -> lsp::Range {
        let file = self.file(span.file);
        lsp::Range::new(position(file, span.start), position(file, span.end))
    }
    /// The byte offset of an LSP position (UTF-16 columns), clamped to its line.
    fn offset(&self, pos: lsp::Position) -> usize {
        let text = self.text();
        let index = self.file.index();
        if pos.line as usize >= index.line_count() {
            return text.len();
        }
        let mut start = index.line_start(pos.line as usize);
        if start == 0 && text.starts_with(crate::diag::BOM) {
            start = crate::diag::BOM.len_utf8();
        }
        let mut units = 0;
        for (i, c) in text[start..].char_indices() {
            if units >= pos.character || c == '\n' {
                return start + i;
            }
            units += c.len_utf16() as u32;
        }
        text.len()
    }
}

/// An LSP position (UTF-16 columns) of a byte offset in `file`.
fn position(file: &SourceFile, offset: usize) -> lsp::Position {
    let p = file.position(offset.min(file.text.len()));
    lsp::Position::new((p.line - 1) as u32, (p.column_utf16 - 1) as u32)
}

/// The file name of a URI: its path for a `file:` URI.
fn path_of(uri: &lsp::Url) -> String {
    match uri.to_file_path() {
        Ok(path) => path.display().to_string(),
        Err(()) => uri.path().to_string(),
    }
}

#[derive(Default)]
struct Server {
    docs: HashMap<lsp::Url, Doc>,
    /// The URIs diagnostics were last published for, and what was published.
    published: HashMap<lsp::Url, Vec<lsp::Diagnostic>>,
    /// The open documents whose programs are not lowered yet.
    unlowered: std::collections::BTreeSet<lsp::Url>,
}

fn params<P: serde::de::DeserializeOwned>(v: Json) -> Result<P, String> {
    serde_json::from_value(v).map_err(|e| format!("invalid parameters: {e}"))
}

impl Server {
    /// Handles a notification; `out` sends what it publishes. An opened or
    /// changed text is checked and its diagnostics published at once; the
    /// lowering runs later (`lower_next`).
    ///
    /// A document is the root of its program, unless another open document
    /// imports it: then its diagnostics are those of the importer's program
    /// (where its names resolve), and an edit to it checks the importer again.
    fn notify(
        &mut self,
        n: Notification,
        out: &mut dyn FnMut(Notification) -> Result<(), String>,
    ) -> Result<(), String> {
        let (uri, text, version) = match n.method.as_str() {
            "textDocument/didOpen" => {
                let Ok(p) = params::<lsp::DidOpenTextDocumentParams>(n.params) else {
                    return Ok(());
                };
                let doc = p.text_document;
                (doc.uri, doc.text, doc.version)
            }
            "textDocument/didChange" => {
                let Ok(p) = params::<lsp::DidChangeTextDocumentParams>(n.params) else {
                    return Ok(());
                };
                // Full synchronisation: the last change holds the whole text.
                let Some(change) = p.content_changes.into_iter().last() else {
                    return Ok(());
                };
                (p.text_document.uri, change.text, p.text_document.version)
            }
            "textDocument/didClose" => {
                let Ok(p) = params::<lsp::DidCloseTextDocumentParams>(n.params) else {
                    return Ok(());
                };
                let uri = p.text_document.uri;
                self.docs.remove(&uri);
                self.unlowered.remove(&uri);
                for importer in self.importers(&uri) {
                    self.recheck(&importer);
                }
                // A closed file's diagnostics are cleared, unless an open
                // program still imports it.
                return self.publish(&uri, out);
            }
            _ => return Ok(()),
        };
        let doc = Doc::new(&uri, text, version, &self.docs);
        // The document a change replaces is freed once the new one's
        // diagnostics are out (a large model takes milliseconds to free).
        let replaced = self.docs.insert(uri.clone(), doc);
        let importers = self.importers(&uri);
        for importer in &importers {
            self.recheck(importer);
        }
        self.publish(&uri, out)?;
        drop(replaced);
        self.unlowered.extend(importers);
        self.unlowered.insert(uri);
        Ok(())
    }

    /// Lowers one program not lowered yet, and publishes the whole set of
    /// its diagnostics again, for the same version, if the lowering finds
    /// more; the final set is `tapc check`'s. False if none was waiting.
    fn lower_next(
        &mut self,
        out: &mut dyn FnMut(Notification) -> Result<(), String>,
    ) -> Result<bool, String> {
        let Some(uri) = self.unlowered.pop_first() else {
            return Ok(false);
        };
        if self.docs.get_mut(&uri).is_some_and(Doc::lower) {
            self.publish(&uri, out)?;
        }
        Ok(true)
    }

    /// The open documents whose programs import `uri`.
    fn importers(&self, uri: &lsp::Url) -> Vec<lsp::Url> {
        let path = path_of(uri);
        let key = std::fs::canonicalize(&path).ok();
        let mut found: Vec<lsp::Url> = self
            .docs
            .iter()
            .filter(|(u, d)| {
                *u != uri
                    && d.imported.iter().any(|f| {
                        f.name == path
                            || (key.is_some() && std::fs::canonicalize(&f.name).ok() == key)
                    })
            })
            .map(|(u, _)| u.clone())
            .collect();
        found.sort();
        found
    }

    /// The files of the program the open document `uri` is part of, with
    /// their URIs: its importer's program if an open document imports it,
    /// else its own.
    fn program(&self, uri: &lsp::Url) -> Vec<(lsp::Url, &SourceFile)> {
        let root = self
            .importers(uri)
            .into_iter()
            .next()
            .unwrap_or_else(|| uri.clone());
        let Some(doc) = self.docs.get(&root) else {
            return Vec::new();
        };
        let mut files = vec![(root, &doc.file)];
        for (i, file) in doc.imported.iter().enumerate() {
            if let Some(u) = doc.uri(FileId(i as u32 + 1)) {
                files.push((u, file));
            }
        }
        files
    }

    /// Checks the open document `uri` again, with the other documents' text.
    fn recheck(&mut self, uri: &lsp::Url) {
        if let Some(doc) = self.docs.remove(uri) {
            let again = Doc::new(uri, doc.file.text, doc.version, &self.docs);
            self.docs.insert(uri.clone(), again);
        }
    }

    /// Publishes the diagnostics of every file of every program, grouped by
    /// file: always for `changed` (the client waits for them), for the other
    /// files when they differ from what was last published. A document
    /// another one imports shows the importer's findings.
    fn publish(
        &mut self,
        changed: &lsp::Url,
        out: &mut dyn FnMut(Notification) -> Result<(), String>,
    ) -> Result<(), String> {
        // Imported by a document it does not import in turn (files that
        // import each other, an error, are each a root).
        let imported: Vec<lsp::Url> = self
            .docs
            .keys()
            .filter(|u| {
                self.importers(u)
                    .iter()
                    .any(|i| !self.importers(i).contains(u))
            })
            .cloned()
            .collect();
        let mut now: HashMap<lsp::Url, Vec<lsp::Diagnostic>> = HashMap::new();
        // Each code's link parsed once, not once per diagnostic (a large
        // program has thousands of one warning).
        let mut links = HashMap::new();
        let mut roots: Vec<&lsp::Url> =
            self.docs.keys().filter(|u| !imported.contains(u)).collect();
        roots.sort();
        for uri in roots {
            let doc = &self.docs[uri];
            // A file two roots hold shows the first one's findings.
            let mut mine: HashMap<lsp::Url, Vec<lsp::Diagnostic>> = HashMap::new();
            mine.entry(uri.clone()).or_default();
            for i in 0..doc.imported.len() {
                if let Some(u) = doc.uri(FileId(i as u32 + 1)) {
                    mine.entry(u).or_default();
                }
            }
            for d in &doc.diagnostics {
                let file = d.primary_span().file;
                let target = if file == FileId::ROOT {
                    Some(uri.clone())
                } else {
                    doc.uri(file)
                };
                if let Some(target) = target {
                    let link = links
                        .entry(d.code)
                        .or_insert_with(|| explanation_uri(d.code));
                    mine.entry(target).or_default().push(to_lsp_diagnostic(
                        doc,
                        uri,
                        d,
                        link.clone(),
                    ));
                }
            }
            for (target, diagnostics) in mine {
                now.entry(target).or_insert(diagnostics);
            }
        }
        // Files no program holds any more are cleared.
        for gone in self.published.keys().chain([changed]) {
            now.entry(gone.clone()).or_default();
        }
        let mut uris: Vec<&lsp::Url> = now.keys().collect();
        uris.sort();
        for uri in uris {
            let diagnostics = &now[uri];
            if uri != changed && self.published.get(uri) == Some(diagnostics) {
                continue;
            }
            let version = self.docs.get(uri).map(|d| d.version);
            let publish =
                lsp::PublishDiagnosticsParams::new(uri.clone(), diagnostics.clone(), version);
            out(Notification::new(
                "textDocument/publishDiagnostics".into(),
                publish,
            ))?;
        }
        now.retain(|_, d| !d.is_empty());
        self.published = now;
        Ok(())
    }

    fn request(&mut self, req: Request) -> Response {
        let id = req.id.clone();
        match self.answer(req) {
            Ok(v) => Response::new_ok(id, v),
            Err((code, message)) => Response::new_err(id, code, message),
        }
    }

    fn answer(&self, req: Request) -> Result<Json, (i32, String)> {
        use lsp_server::ErrorCode;
        let bad = |e: String| (ErrorCode::InvalidParams as i32, e);
        let doc = |uri: &lsp::Url| {
            self.docs.get(uri).ok_or((
                ErrorCode::InvalidParams as i32,
                format!("{uri} is not open"),
            ))
        };
        let json = |v: Result<Json, serde_json::Error>| {
            v.map_err(|e| (ErrorCode::InternalError as i32, e.to_string()))
        };
        match req.method.as_str() {
            "textDocument/formatting" => {
                let p: lsp::DocumentFormattingParams = params(req.params).map_err(bad)?;
                json(serde_json::to_value(formatting(doc(&p.text_document.uri)?)))
            }
            "textDocument/documentSymbol" => {
                let p: lsp::DocumentSymbolParams = params(req.params).map_err(bad)?;
                json(serde_json::to_value(symbols(doc(&p.text_document.uri)?)))
            }
            "textDocument/hover" => {
                let p: lsp::HoverParams = params(req.params).map_err(bad)?;
                let pp = p.text_document_position_params;
                let d = doc(&pp.text_document.uri)?;
                json(serde_json::to_value(hover(d, d.offset(pp.position))))
            }
            "textDocument/completion" => {
                let p: lsp::CompletionParams = params(req.params).map_err(bad)?;
                let pp = p.text_document_position;
                let d = doc(&pp.text_document.uri)?;
                let uri = &pp.text_document.uri;
                let others = self
                    .program(uri)
                    .into_iter()
                    .filter(|(u, _)| u != uri)
                    .flat_map(|(_, f)| declarations(&f.text, &scan(&f.text)))
                    .collect();
                json(serde_json::to_value(completion(
                    d,
                    d.offset(pp.position),
                    others,
                )))
            }
            "textDocument/definition" => {
                let p: lsp::GotoDefinitionParams = params(req.params).map_err(bad)?;
                let pp = p.text_document_position_params;
                let d = doc(&pp.text_document.uri)?;
                let uri = &pp.text_document.uri;
                let found = names(&self.program(uri), uri, d.offset(pp.position))
                    .and_then(|(decl, _)| decl);
                json(serde_json::to_value(
                    found.map(|(uri, range)| lsp::Location::new(uri, range)),
                ))
            }
            "textDocument/references" => {
                let p: lsp::ReferenceParams = params(req.params).map_err(bad)?;
                let pp = p.text_document_position;
                let d = doc(&pp.text_document.uri)?;
                let uri = &pp.text_document.uri;
                let uses = names(&self.program(uri), uri, d.offset(pp.position)).map_or(
                    vec![],
                    |(decl, uses)| {
                        uses.into_iter()
                            .filter(|u| p.context.include_declaration || Some(u) != decl.as_ref())
                            .map(|(uri, range)| lsp::Location::new(uri, range))
                            .collect()
                    },
                );
                json(serde_json::to_value(uses))
            }
            "textDocument/rename" => {
                let p: lsp::RenameParams = params(req.params).map_err(bad)?;
                let pp = p.text_document_position;
                let d = doc(&pp.text_document.uri)?;
                let new = p.new_name;
                if new.is_empty()
                    || !new
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                {
                    return Err(bad(format!("`{new}` is not a name")));
                }
                let uri = &pp.text_document.uri;
                let Some((_, uses)) = names(&self.program(uri), uri, d.offset(pp.position)) else {
                    return Err(bad("no service, region or param here".into()));
                };
                let mut changes: HashMap<lsp::Url, Vec<lsp::TextEdit>> = HashMap::new();
                for (uri, range) in uses {
                    changes
                        .entry(uri)
                        .or_default()
                        .push(lsp::TextEdit::new(range, new.clone()));
                }
                json(serde_json::to_value(lsp::WorkspaceEdit::new(changes)))
            }
            "textDocument/codeAction" => {
                let p: lsp::CodeActionParams = params(req.params).map_err(bad)?;
                let d = doc(&p.text_document.uri)?;
                json(serde_json::to_value(quick_fixes(
                    d,
                    &p.text_document.uri,
                    p.range,
                )))
            }
            "textDocument/inlayHint" => {
                let p: lsp::InlayHintParams = params(req.params).map_err(bad)?;
                let d = doc(&p.text_document.uri)?;
                json(serde_json::to_value(inlay_hints(d, p.range)))
            }
            other => Err((
                ErrorCode::MethodNotFound as i32,
                format!("tapc lsp does not answer {other}"),
            )),
        }
    }
}

/// Where a code's explanation is published, as SARIF's `helpUri`.
fn explanation_uri(code: &str) -> Option<lsp::Url> {
    lsp::Url::parse(&format!(
        "{}/blob/main/src/explain/{code}.md",
        crate::diag::REPOSITORY
    ))
    .ok()
}

/// A diagnostic as `tapc check` reports it: code, severity, the primary label's
/// range, the other labels as related information, help at the end of the
/// message, and a link to the explanation.
fn to_lsp_diagnostic(
    doc: &Doc,
    uri: &lsp::Url,
    d: &Diagnostic,
    explanation: Option<lsp::Url>,
) -> lsp::Diagnostic {
    let mut message = d.message.clone();
    if let Some(first) = d.labels.first().filter(|l| !l.text.is_empty()) {
        message.push_str(&format!("\n{}", first.text));
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let related: Vec<_> = d
        .labels
        .iter()
        .skip(1)
        .map(|l| lsp::DiagnosticRelatedInformation {
            location: lsp::Location::new(
                match l.span.file {
                    FileId::ROOT => uri.clone(),
                    other => doc.uri(other).unwrap_or_else(|| uri.clone()),
                },
                doc.range(l.span),
            ),
            message: l.text.clone(),
        })
        .collect();
    lsp::Diagnostic {
        range: doc.range(d.primary_span()),
        severity: Some(match d.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        }),
        code: Some(lsp::NumberOrString::String(d.code.to_string())),
        code_description: explanation.map(|href| lsp::CodeDescription { href }),
        source: Some("tapc".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Default::default()
    }
}

/// One edit replacing the whole text with its canonical layout; none when the
/// text has syntax errors (the diagnostics say which) or is already laid out.
fn formatting(doc: &Doc) -> Option<Vec<lsp::TextEdit>> {
    let formatted = crate::fmt::format(doc.text()).ok()?;
    if formatted == doc.text() {
        return Some(vec![]);
    }
    let whole = lsp::Range::new(lsp::Position::new(0, 0), doc.pos(doc.text().len()));
    Some(vec![lsp::TextEdit::new(whole, formatted)])
}

/// The outline: params, the platform, regions, services, replicates, endpoints.
#[allow(deprecated)] // `DocumentSymbol::deprecated` must be written out.
fn symbols(doc: &Doc) -> Vec<lsp::DocumentSymbol> {
    use crate::syntax::ast::ItemKind;
    use lsp::SymbolKind;
    let (ast, _) = crate::syntax::parse(doc.text());
    ast.items
        .iter()
        .filter_map(|item| {
            let (name, detail, kind, sel) = match &item.kind {
                ItemKind::Param { name, ty, .. } => (
                    name.name.to_string(),
                    Some(ty.name.to_string()),
                    SymbolKind::VARIABLE,
                    name.span,
                ),
                ItemKind::Platform { name, .. } => (
                    name.name.to_string(),
                    Some("platform".into()),
                    SymbolKind::NAMESPACE,
                    name.span,
                ),
                ItemKind::Region { code, .. } => (
                    code.name.to_string(),
                    Some("region".into()),
                    SymbolKind::MODULE,
                    code.span,
                ),
                ItemKind::Service { name, kind, .. } => (
                    name.name.to_string(),
                    Some(kind.name.to_string()),
                    SymbolKind::CLASS,
                    name.span,
                ),
                ItemKind::Replicate {
                    service, regions, ..
                } => (
                    format!(
                        "replicate {} -> {}",
                        service.name,
                        regions
                            .iter()
                            .map(|r| r.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    None,
                    SymbolKind::EVENT,
                    service.span,
                ),
                ItemKind::Endpoint { name, .. } => (
                    name.name.to_string(),
                    Some("endpoint".into()),
                    SymbolKind::INTERFACE,
                    name.span,
                ),
                ItemKind::Import { .. } | ItemKind::Schema { .. } | ItemKind::Broken { .. } => {
                    return None
                }
            };
            Some(lsp::DocumentSymbol {
                name,
                detail,
                kind,
                tags: None,
                deprecated: None,
                range: doc.range(item.span),
                selection_range: doc.range(sel),
                children: None,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The tolerant scan: tokens of any text, parsed or not.

#[derive(Clone, Copy, Debug, PartialEq)]
enum Tok {
    /// A name, number, duration, size, CIDR block or bool.
    Word,
    /// `:` `=` `,` `{` `}` `[` `]` `->`
    Punct,
    /// A string, closed or not (to the end of its line).
    Str,
    /// The name inside `${...}` in a string.
    Interp,
    Newline,
}

#[derive(Clone, Copy, Debug)]
struct Token {
    tok: Tok,
    span: Span,
}

/// The tokens of `src` (`syntax::lexer`, which reads any text: an unclosed
/// string ends at its line, the usual state of a line being typed), comments
/// and unknown characters dropped.
fn scan(src: &str) -> Vec<Token> {
    use crate::syntax::lexer::{tokens, Tok as T};
    tokens(src)
        .into_iter()
        .filter_map(|t| {
            let tok = match t.tok {
                T::Word => Tok::Word,
                T::Punct => Tok::Punct,
                T::Str { .. } => Tok::Str,
                T::Interp => Tok::Interp,
                T::Newline => Tok::Newline,
                T::Comment | T::Other => return None,
            };
            Some(Token {
                tok,
                span: Span::new(FileId::ROOT, t.start, t.end),
            })
        })
        .collect()
}

/// What encloses a place in the program.
#[derive(Clone, Debug, PartialEq)]
enum Frame {
    Platform,
    Region,
    Endpoint,
    /// A service body, with its name and kind.
    Service(String, String),
    /// A replicate body, with the replicated service.
    Replicate(String),
    /// A nested block (`health { ... }`).
    Block(String),
    /// A map value, with the attribute it is the value of.
    Value(Option<String>),
    /// A list value, with the attribute it is the value of.
    List(Option<String>),
}

/// The frames around `offset` (outermost first) and the tokens of the
/// statement that holds it, up to `offset` (a word being typed excluded).
fn context<'t>(src: &str, toks: &'t [Token], offset: usize) -> (Vec<Frame>, &'t [Token]) {
    let text = |t: &Token| &src[t.span.start..t.span.end];
    let mut stack = Vec::new();
    let mut stmt = 0;
    let mut end = 0;
    for (i, t) in toks.iter().enumerate() {
        if t.span.end > offset {
            break;
        }
        end = i + 1;
        match (t.tok, text(t)) {
            (Tok::Newline, _) | (Tok::Punct, ",") => stmt = i + 1,
            (Tok::Punct, "{") => {
                let head: Vec<&str> = toks[stmt..i]
                    .iter()
                    .filter(|t| t.tok != Tok::Newline)
                    .map(text)
                    .collect();
                let frame = match head.as_slice() {
                    ["platform", ..] => Frame::Platform,
                    ["region", ..] => Frame::Region,
                    ["endpoint", ..] => Frame::Endpoint,
                    ["service", name, ":", kind, ..] => {
                        Frame::Service(name.to_string(), kind.to_string())
                    }
                    ["replicate", svc, ..] => Frame::Replicate(svc.to_string()),
                    [name] => Frame::Block(name.to_string()),
                    [name, "="] => Frame::Value(Some(name.to_string())),
                    _ => Frame::Value(None),
                };
                stack.push(frame);
                stmt = i + 1;
            }
            (Tok::Punct, "[") => {
                let head: Vec<&str> = toks[stmt..i].iter().map(text).collect();
                let attr = match head.as_slice() {
                    [name, "="] => Some(name.to_string()),
                    _ => None,
                };
                stack.push(Frame::List(attr));
                stmt = i + 1;
            }
            // An item's keyword, not an attribute's or block's name: the
            // top level, whatever was left open above.
            (
                Tok::Word,
                "param" | "platform" | "region" | "service" | "replicate" | "endpoint" | "import",
            ) if i == stmt
                && toks
                    .get(i + 1)
                    .is_none_or(|n| !matches!(text(n), "=" | "{")) =>
            {
                stack.clear();
            }
            // `name =` starts an attribute, which no list holds: a list
            // left open above (being typed) ends there.
            (Tok::Punct, "=") if i == stmt + 1 => {
                while matches!(stack.last(), Some(Frame::List(_))) {
                    stack.pop();
                }
            }
            (Tok::Punct, "}" | "]") => {
                stack.pop();
                stmt = i + 1;
            }
            _ => {}
        }
    }
    let stmt_toks = &toks[stmt.min(end)..end];
    (stack, stmt_toks)
}

/// The schema fields of the innermost item or block of `stack`, if any.
fn fields_of<'s>(src: &str, toks: &[Token], stack: &[Frame]) -> Option<&'s Fields> {
    let s = schema();
    let mut fields: Option<&Fields> = None;
    for frame in stack {
        fields = match frame {
            Frame::Platform => Some(&s.platform),
            Frame::Region => Some(&s.region),
            Frame::Endpoint => Some(&s.endpoint),
            Frame::Service(_, kind) => s.kind(kind).map(|k| &k.fields),
            Frame::Replicate(svc) => {
                let decls = declarations(src, toks);
                let kind = decls
                    .iter()
                    .find(|d| d.what == "service" && d.name == *svc)
                    .and_then(|d| d.kind.as_deref());
                kind.and_then(|k| s.kind(k)).map(|k| &k.replicate)
            }
            Frame::Block(name) => fields.and_then(|f| f.block(name)),
            Frame::Value(_) | Frame::List(_) => return fields,
        };
    }
    fields
}

/// A declared name: a service, region or param.
struct Decl {
    what: &'static str,
    name: String,
    span: Span,
    /// A service's kind.
    kind: Option<String>,
}

/// The declarations: `param NAME`, `region CODE`, `service NAME: KIND` at the
/// start of a line.
fn declarations(src: &str, toks: &[Token]) -> Vec<Decl> {
    let text = |t: &Token| &src[t.span.start..t.span.end];
    let mut out = Vec::new();
    for (i, w) in toks.windows(2).enumerate() {
        let line_start = i == 0 || toks[i - 1].tok == Tok::Newline;
        if !line_start || w[0].tok != Tok::Word || w[1].tok != Tok::Word {
            continue;
        }
        let what = match text(&w[0]) {
            "param" => "param",
            "region" => "region",
            "service" => "service",
            _ => continue,
        };
        let kind = match toks.get(i + 2..i + 4) {
            Some([colon, k]) if text(colon) == ":" && k.tok == Tok::Word => {
                Some(text(k).to_string())
            }
            _ => None,
        };
        out.push(Decl {
            what,
            name: text(&w[1]).to_string(),
            span: w[1].span,
            kind,
        });
    }
    out
}

/// The token under `offset` (or just before it).
fn token_at(toks: &[Token], offset: usize) -> Option<Token> {
    toks.iter()
        .filter(|t| matches!(t.tok, Tok::Word | Tok::Interp))
        .find(|t| t.span.start <= offset && offset <= t.span.end)
        .copied()
}

/// A place in a file of a program.
type Place = (lsp::Url, lsp::Range);

/// The name under `offset` in file `at` of `program` (each file's URI and
/// text) if it is a declared service, region or param: its declaration and
/// every place it is written in any file (the declaration included), by
/// tokens.
fn names(
    program: &[(lsp::Url, &SourceFile)],
    at: &lsp::Url,
    offset: usize,
) -> Option<(Option<Place>, Vec<Place>)> {
    let (_, here) = program.iter().find(|(u, _)| u == at)?;
    let toks = scan(&here.text);
    let t = token_at(&toks, offset)?;
    let name = &here.text[t.span.start..t.span.end];
    let place = |uri: &lsp::Url, file: &SourceFile, span: Span| {
        (
            uri.clone(),
            lsp::Range::new(position(file, span.start), position(file, span.end)),
        )
    };
    let (mut decl, mut uses, mut declared) = (None, Vec::new(), false);
    for (uri, file) in program {
        let src = file.text.as_str();
        let toks = if uri == at { toks.clone() } else { scan(src) };
        if let Some(d) = declarations(src, &toks).iter().find(|d| d.name == name) {
            declared = true;
            decl.get_or_insert_with(|| place(uri, file, d.span));
        }
        uses.extend(
            toks.iter()
                .enumerate()
                .filter(|(i, u)| {
                    matches!(u.tok, Tok::Word | Tok::Interp)
                        && &src[u.span.start..u.span.end] == name
                        // An attribute of the same name is not a use.
                        && toks
                            .get(i + 1)
                            .is_none_or(|n| &src[n.span.start..n.span.end] != "=")
                })
                .map(|(_, u)| place(uri, file, u.span)),
        );
    }
    declared.then_some((decl, uses))
}

// ---------------------------------------------------------------------------
// Hover.

fn markdown(value: String) -> lsp::Hover {
    lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value,
        }),
        range: None,
    }
}

/// A field's documentation: type, default, allowed values, doc.
fn field_doc(f: &Field) -> String {
    let mut out = format!("**`{}`**: {}", f.name, f.ty.describe());
    if f.required {
        out.push_str(" (required)");
    }
    out.push_str(&format!("\n\n{}", f.doc));
    if let Some(d) = &f.default {
        out.push_str(&format!("\n\ndefault: `{d}`"));
    }
    if !f.allowed.is_empty() {
        let list: Vec<String> = f.allowed.iter().map(|v| format!("`{v}`")).collect();
        out.push_str(&format!("\n\nallowed: {}", list.join(", ")));
    }
    if let (Some(lo), Some(hi)) = (&f.min, &f.max) {
        out.push_str(&format!("\n\nfrom `{lo}` to `{hi}`"));
    }
    out
}

fn hover(doc: &Doc, offset: usize) -> Option<lsp::Hover> {
    let src = doc.text();
    let toks = scan(src);
    let t = token_at(&toks, offset)?;
    let word = &src[t.span.start..t.span.end];
    let (stack, stmt) = context(src, &toks, t.span.start);
    let stmt: Vec<&str> = stmt
        .iter()
        .map(|t| &src[t.span.start..t.span.end])
        .collect();
    let next = toks
        .iter()
        .find(|n| n.span.start >= t.span.end)
        .map(|n| &src[n.span.start..n.span.end]);
    let decls = declarations(src, &toks);
    let fields = fields_of(src, &toks, &stack);
    let mut out = None;
    // An attribute name, or a nested block's name.
    if t.tok == Tok::Word && stmt.is_empty() && matches!(next, Some("=" | "{")) {
        let budget = doc.model.as_ref().map(|m| &m.budget);
        let service = match stack.last() {
            Some(Frame::Service(name, _)) => Some(name.as_str()),
            _ => None,
        };
        let row = budget
            .zip(service)
            .and_then(|(b, name)| b.rpo.iter().find(|r| r.service == name));
        if let (Some(budget), "rto" | "rpo", Some(Frame::Platform)) = (budget, word, stack.last()) {
            out = Some(budget_doc(budget, word));
        } else if let (Some(row), "rpo") = (row, word) {
            out = Some(format!("RPO budget of this service\n\n- {}", rpo_line(row)));
        } else if let Some(f) = fields.and_then(|f| f.field(word)) {
            out = Some(field_doc(f));
        } else if fields.and_then(|f| f.block(word)).is_some() {
            out = Some(format!("**`{word}`**: a block"));
        }
    }
    // A kind name.
    if out.is_none() && stmt.first() == Some(&"service") && stmt.last() == Some(&":") {
        if let Some(k) = schema().kind(word) {
            out = Some(format!("**kind `{}`**\n\n{}", k.name, k.doc));
        }
    }
    // An allowed value of the attribute it is the value of.
    if out.is_none() {
        if let ([attr, "=", ..], Some(fields)) = (stmt.as_slice(), fields) {
            if let Some(f) = fields.field(attr) {
                if f.allowed.iter().any(|v| v.to_string() == word) {
                    out = Some(format!("`{word}`: a value of {}", field_doc(f)));
                }
            }
        }
    }
    // A declared name.
    if out.is_none() {
        if let Some(d) = decls.iter().find(|d| d.name == word) {
            out = Some(match d.what {
                "service" => service_doc(doc, word, d.kind.as_deref()),
                "region" => region_doc(doc, word),
                _ => param_doc(src, &toks, d),
            });
        }
    }
    out.map(|v| lsp::Hover {
        range: Some(doc.range(t.span)),
        ..markdown(v)
    })
}

/// The budget as `tapc check` prints it: the RTO or the RPO part.
fn budget_doc(budget: &Budget, which: &str) -> String {
    let mut out = String::new();
    if which == "rto" {
        if let Some(rto) = &budget.rto {
            out.push_str("RTO budget: detect + trigger + max(promote, compute, traffic) + dns\n\n");
            for t in &rto.terms {
                let ms = crate::model::duration(t.ms);
                out.push_str(&format!("- `{}` {ms}: {}\n", t.name, t.how));
            }
            let spare = rto.objective.saturating_sub(rto.total);
            out.push_str(&format!(
                "\n**total {}** within rto {} with {} to spare",
                crate::model::duration(rto.total),
                crate::model::duration(rto.objective),
                crate::model::duration(spare)
            ));
        }
    } else {
        out.push_str("RPO budget: worst-case replication lag per service\n\n");
        for r in &budget.rpo {
            out.push_str(&format!("- {}\n", rpo_line(r)));
        }
    }
    out
}

fn rpo_line(r: &crate::model::RpoRow) -> String {
    let d = crate::model::duration;
    match r.lag {
        Some(l) => format!(
            "`{}` lag {} against rpo {} ({}): {} to spare; {}",
            r.service,
            d(l),
            d(r.objective),
            r.objective_from,
            d(r.objective.saturating_sub(l)),
            r.source
        ),
        None => format!(
            "`{}` lag unknown against rpo {}: not verified; {}",
            r.service,
            d(r.objective),
            r.source
        ),
    }
}

/// A service's kind and resolved attributes, the defaults marked.
fn service_doc(doc: &Doc, name: &str, kind: Option<&str>) -> String {
    let mut out = format!("**service `{name}`**");
    if let Some(k) = kind.and_then(|k| schema().kind(k)) {
        out.push_str(&format!(": {}\n\n{}", k.name, k.doc));
    }
    let Some(s) = doc
        .model
        .as_ref()
        .and_then(|m| m.services.iter().find(|s| s.name == name))
    else {
        return out;
    };
    let (ast, _) = crate::syntax::parse(doc.text());
    let written: Vec<&str> = ast
        .items
        .iter()
        .find_map(|i| match &i.kind {
            crate::syntax::ast::ItemKind::Service { name: n, body, .. } if n.name == name => {
                Some(body.attrs.iter().map(|a| a.name.name).collect())
            }
            _ => None,
        })
        .unwrap_or_default();
    out.push_str("\n\n```tap\n");
    for (attr, val, _) in &s.attrs.values {
        let mark = if written.contains(&attr.as_str()) {
            ""
        } else {
            "  # default"
        };
        out.push_str(&format!("{attr} = {val}{mark}\n"));
    }
    out.push_str("```");
    out
}

fn region_doc(doc: &Doc, code: &str) -> String {
    let mut out = format!("**region `{code}`**");
    if let Some(r) = doc
        .model
        .as_ref()
        .and_then(|m| m.regions.iter().find(|r| r.code == code))
    {
        out.push_str("\n\n```tap\n");
        for (attr, val, _) in &r.attrs.values {
            out.push_str(&format!("{attr} = {val}\n"));
        }
        out.push_str("```");
    }
    out
}

fn param_doc(src: &str, toks: &[Token], d: &Decl) -> String {
    // The declaration's line, as written.
    let line_end = toks
        .iter()
        .find(|t| t.span.start > d.span.start && t.tok == Tok::Newline)
        .map_or(src.len(), |t| t.span.start);
    let line_start = src[..d.span.start].rfind('\n').map_or(0, |i| i + 1);
    format!(
        "**param `{}`**, set with `{}`\n\n```tap\n{}\n```",
        d.name,
        crate::Given::command_line(&[]).set(&d.name, "VALUE"),
        src[line_start..line_end].trim_end()
    )
}

// ---------------------------------------------------------------------------
// Completion.

fn item(
    label: String,
    kind: lsp::CompletionItemKind,
    detail: Option<String>,
) -> lsp::CompletionItem {
    lsp::CompletionItem {
        label,
        kind: Some(kind),
        detail,
        ..Default::default()
    }
}

/// `others`: the declarations of the program's other files.
fn completion(doc: &Doc, offset: usize, others: Vec<Decl>) -> Vec<lsp::CompletionItem> {
    use lsp::CompletionItemKind as K;
    let src = doc.text();
    let toks = scan(src);
    let mut decls = declarations(src, &toks);
    decls.extend(others);
    let named = |what: &str, kind: K| -> Vec<lsp::CompletionItem> {
        decls
            .iter()
            .filter(|d| d.what == what)
            .map(|d| item(d.name.clone(), kind, d.kind.clone().or(Some(what.into()))))
            .collect()
    };
    // Inside a string: params after `${`.
    if let Some(s) = toks
        .iter()
        .find(|t| t.tok == Tok::Str && t.span.start < offset && offset <= t.span.end)
    {
        let before = &src[s.span.start..offset];
        return match before.rfind("${") {
            Some(i) if !before[i..].contains('}') => named("param", K::VARIABLE),
            _ => vec![],
        };
    }
    let (stack, stmt) = context(src, &toks, offset);
    let stmt: Vec<&str> = stmt
        .iter()
        .filter(|t| t.span.end < offset || t.tok != Tok::Word || t.span.end != offset)
        .map(|t| &src[t.span.start..t.span.end])
        .collect();
    let fields = fields_of(src, &toks, &stack);
    let values = |attr: &str| -> Vec<lsp::CompletionItem> {
        let Some(f) = fields.and_then(|f| f.field(attr)) else {
            return vec![];
        };
        match f.ty {
            Type::Service | Type::Services => named("service", K::CLASS),
            Type::Bool => ["true", "false"]
                .iter()
                .map(|v| item(v.to_string(), K::VALUE, None))
                .collect(),
            _ => {
                let mut out: Vec<_> = f
                    .allowed
                    .iter()
                    .map(|v| item(v.to_string(), K::ENUM_MEMBER, Some(f.name.to_string())))
                    .collect();
                out.extend(named("param", K::VARIABLE));
                out
            }
        }
    };
    if stack.is_empty() {
        return match stmt.as_slice() {
            // `schema` belongs to the stdlib (E108).
            [] => crate::syntax::KEYWORDS
                .iter()
                .filter(|k| **k != "schema")
                .map(|k| item(k.to_string(), K::KEYWORD, None))
                .collect(),
            ["region"] => schema()
                .regions
                .iter()
                .map(|r| item(r.to_string(), K::MODULE, Some("region".into())))
                .collect(),
            ["service", _, ":"] => schema()
                .kinds
                .iter()
                .map(|k| item(k.name.to_string(), K::STRUCT, Some("kind".into())))
                .collect(),
            ["replicate"] => decls
                .iter()
                .filter(|d| {
                    d.what == "service"
                        && d.kind
                            .as_deref()
                            .and_then(|k| schema().kind(k))
                            .is_some_and(|k| k.stateful)
                })
                .map(|d| item(d.name.clone(), K::CLASS, d.kind.clone()))
                .collect(),
            ["replicate", .., "->" | ","] => named("region", K::MODULE),
            _ => vec![],
        };
    }
    if let Some(Frame::Value(attr) | Frame::List(attr)) = stack.last() {
        // Inside a list or map: the values of its attribute.
        let enclosing = fields_of(src, &toks, &stack[..stack.len() - 1]);
        return match attr.as_deref().and_then(|a| enclosing?.field(a)) {
            Some(f) if matches!(f.ty, Type::Services) => named("service", K::CLASS),
            _ => vec![],
        };
    }
    match stmt.as_slice() {
        [] => {
            let Some(fields) = fields else { return vec![] };
            let mut out: Vec<_> = fields
                .fields
                .iter()
                .map(|f| lsp::CompletionItem {
                    documentation: Some(lsp::Documentation::MarkupContent(lsp::MarkupContent {
                        kind: lsp::MarkupKind::Markdown,
                        value: field_doc(f),
                    })),
                    ..item(
                        f.name.to_string(),
                        K::PROPERTY,
                        Some(f.ty.describe().into()),
                    )
                })
                .collect();
            out.extend(
                fields
                    .blocks
                    .iter()
                    .map(|(name, _)| item(name.to_string(), K::MODULE, Some("block".into()))),
            );
            out
        }
        [attr, "="] => values(attr),
        _ => vec![],
    }
}

// ---------------------------------------------------------------------------
// Quick fixes and inlay hints.

/// Each "did you mean `x`?" help, as an edit of the labelled span.
fn quick_fixes(doc: &Doc, uri: &lsp::Url, range: lsp::Range) -> Vec<lsp::CodeAction> {
    let (lo, hi) = (doc.offset(range.start), doc.offset(range.end));
    doc.diagnostics
        .iter()
        .filter_map(|d| {
            let span = d.primary_span();
            if span.file != FileId::ROOT || span.end < lo || span.start > hi {
                return None;
            }
            let help = d.help.as_deref()?;
            let rest = &help[help.find("did you mean `")? + "did you mean `".len()..];
            let fix = &rest[..rest.find('`')?];
            let edit = lsp::TextEdit::new(doc.range(span), fix.to_string());
            Some(lsp::CodeAction {
                title: format!("replace with `{fix}`"),
                kind: Some(lsp::CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![to_lsp_diagnostic(
                    doc,
                    uri,
                    d,
                    explanation_uri(d.code),
                )]),
                edit: Some(lsp::WorkspaceEdit::new(HashMap::from([(
                    uri.clone(),
                    vec![edit],
                )]))),
                is_preferred: Some(true),
                ..Default::default()
            })
        })
        .collect()
}

/// The RTO terms at the end of the attributes they come from, and each
/// replicate's worst-case lag against its RPO at the end of the replicate.
fn inlay_hints(doc: &Doc, range: lsp::Range) -> Vec<lsp::InlayHint> {
    let Some(model) = &doc.model else {
        return vec![];
    };
    let d = crate::model::duration;
    let (lo, hi) = (doc.offset(range.start), doc.offset(range.end));
    // Where, the label, and how the figure was found (the tooltip).
    let mut hints: Vec<(usize, String, String)> = Vec::new();
    if let Some(rto) = &model.budget.rto {
        for t in &rto.terms {
            if let Some(span) = t.span.filter(|s| s.file == FileId::ROOT) {
                hints.push((span.end, format!("{} {}", t.name, d(t.ms)), t.how.clone()));
            }
        }
        if let Some(o) = model
            .platform
            .attrs
            .origin("rto")
            .filter(|o| o.span.file == FileId::ROOT)
        {
            let terms: Vec<&str> = rto.terms.iter().map(|t| t.name).collect();
            hints.push((
                o.span.end,
                format!("budget {} of {}", d(rto.total), d(rto.objective)),
                format!("RTO budget: {}", terms.join(" + ")),
            ));
        }
    }
    for r in &model.budget.rpo {
        let Some(rep) = model
            .services
            .iter()
            .find(|s| s.name == r.service)
            .and_then(|s| s.replication.as_ref())
        else {
            continue;
        };
        if rep.span.file != FileId::ROOT {
            continue;
        }
        let end = rep.region_spans.last().map_or(rep.span.end, |s| s.end);
        let lag = r.lag.map_or("unknown".to_string(), d);
        hints.push((
            end,
            format!("lag {lag} / rpo {}", d(r.objective)),
            r.source.clone(),
        ));
    }
    hints.sort();
    hints
        .into_iter()
        .filter(|(at, ..)| (lo..=hi).contains(at))
        .map(|(at, label, how)| lsp::InlayHint {
            position: doc.pos(at),
            label: lsp::InlayHintLabel::String(label),
            kind: None,
            text_edits: None,
            tooltip: Some(lsp::InlayHintTooltip::String(how)),
            padding_left: Some(true),
            padding_right: None,
            data: None,
        })
        .collect()
}
