//! `tapc lsp` in process: every request over an in-memory connection, as a
//! client sends it (JSON-RPC messages, UTF-16 positions).

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{json, Value};

const URI: &str = "file:///work/trading.tap";

struct Client {
    conn: Connection,
    server: Option<std::thread::JoinHandle<Result<(), String>>>,
    next: i32,
}

impl Client {
    fn start(text: &str) -> Client {
        let (server, conn) = Connection::memory();
        let handle = std::thread::spawn(move || tapc::lsp::serve(&server));
        let mut c = Client {
            conn,
            server: Some(handle),
            next: 1,
        };
        let init = c.request("initialize", json!({ "capabilities": {} }));
        assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
        c.notify("initialized", json!({}));
        c.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": URI, "languageId": "tap", "version": 1, "text": text } }),
        );
        c
    }

    fn notify(&self, method: &str, params: Value) {
        let n = Notification::new(method.into(), params);
        self.conn.sender.send(n.into()).unwrap();
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = RequestId::from(self.next);
        self.next += 1;
        let req = Request::new(id.clone(), method.into(), params);
        self.conn.sender.send(req.into()).unwrap();
        loop {
            match self.recv() {
                Message::Response(r) if r.id == id => {
                    assert!(r.error.is_none(), "{method}: {:?}", r.error);
                    return r.result.unwrap_or(Value::Null);
                }
                _ => continue,
            }
        }
    }

    fn recv(&self) -> Message {
        self.conn
            .receiver
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the server answers")
    }

    /// The next diagnostics published (for version 1 or later changes).
    fn diagnostics(&self) -> Vec<Value> {
        loop {
            if let Message::Notification(n) = self.recv() {
                if n.method == "textDocument/publishDiagnostics" {
                    assert_eq!(n.params["uri"], URI);
                    return n.params["diagnostics"].as_array().unwrap().clone();
                }
            }
        }
    }

    fn change(&self, version: i32, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": URI, "version": version },
                    "contentChanges": [{ "text": text }] }),
        );
    }

    fn at(&mut self, method: &str, line: u32, character: u32) -> Value {
        let mut params = json!({ "textDocument": { "uri": URI },
                                 "position": { "line": line, "character": character } });
        if method == "textDocument/references" {
            params["context"] = json!({ "includeDeclaration": true });
        }
        self.request(method, params)
    }

    fn stop(mut self) {
        let _ = self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let done = self.server.take().unwrap().join().unwrap();
        assert_eq!(done, Ok(()));
    }
}

fn trading() -> String {
    std::fs::read_to_string("examples/trading.tap").unwrap()
}

/// The 0-based line and UTF-16 column of the first `needle` in `text`.
fn find(text: &str, needle: &str) -> (u32, u32) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} in text"));
    let line = text[..at].matches('\n').count() as u32;
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    (line, text[start..at].encode_utf16().count() as u32)
}

#[test]
fn diagnostics_match_tapc_check_with_utf16_ranges() {
    let text = trading().replace("env = \"${suffix}\"", "env = \"🙂${sufix}\"");
    let mut c = Client::start(&text);
    let diags = c.diagnostics();
    let d = diags.iter().find(|d| d["code"] == "E102").expect("E102");
    // The emoji is two UTF-16 units: the column counts both.
    let (line, col) = find(&text, "sufix}");
    let line_text = text.lines().nth(line as usize).unwrap();
    let chars = line_text[..line_text.find("sufix").unwrap()]
        .chars()
        .count() as u32;
    assert_eq!(col, chars + 1);
    assert_eq!(
        d["range"],
        json!({ "start": { "line": line, "character": col }, "end": { "line": line, "character": col + 5 } })
    );
    assert_eq!(d["severity"], 1);
    assert_eq!(d["source"], "tapc");
    assert_eq!(
        d["codeDescription"]["href"],
        "https://github.com/tapc/tapc/blob/main/src/explain/E102.md"
    );
    let message = d["message"].as_str().unwrap();
    assert!(message.starts_with("unknown param `sufix`"), "{message}");
    assert!(
        message.ends_with("help: did you mean `suffix`?"),
        "{message}"
    );
    // The same codes as `tapc check`, in its order.
    let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["E102", "W402", "W202"]);
    // The quick fix of its "did you mean".
    let actions = c.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": URI }, "range": d["range"], "context": { "diagnostics": [] } }),
    );
    assert_eq!(actions[0]["kind"], "quickfix");
    assert_eq!(actions[0]["title"], "replace with `suffix`");
    assert_eq!(
        actions[0]["edit"]["changes"][URI][0],
        json!({ "range": d["range"], "newText": "suffix" })
    );
    // A change that fixes it clears it.
    c.change(2, &trading());
    let codes: Vec<Value> = c.diagnostics().iter().map(|d| d["code"].clone()).collect();
    assert_eq!(codes, [json!("W402"), json!("W202")]);
    c.stop();
}

#[test]
fn secondary_labels_are_related_information() {
    let text =
        "region us-east-1 {\n  role = primary\n}\nregion us-east-1 {\n  role = secondary\n}\n";
    let c = Client::start(text);
    let diags = c.diagnostics();
    let d = diags.iter().find(|d| d["code"] == "E101").expect("E101");
    assert_eq!(d["range"]["start"], json!({ "line": 3, "character": 7 }));
    let related = &d["relatedInformation"][0];
    assert_eq!(related["message"], "first declared here");
    assert_eq!(related["location"]["uri"], URI);
    assert_eq!(
        related["location"]["range"]["start"],
        json!({ "line": 0, "character": 7 })
    );
    c.stop();
}

#[test]
fn formatting_is_tapc_fmt() {
    let messy = trading().replace("  rto      = 5m", "rto=5m");
    let mut c = Client::start(&messy);
    let edits = c.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": URI }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(edits.as_array().unwrap().len(), 1);
    assert_eq!(edits[0]["newText"], trading());
    assert_eq!(
        edits[0]["range"]["start"],
        json!({ "line": 0, "character": 0 })
    );
    // A text with syntax errors is left as it is.
    c.change(2, "platform {");
    let _ = c.diagnostics();
    let none = c.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": URI }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(none, Value::Null);
    c.stop();
}

#[test]
fn document_symbols_outline_the_program() {
    let mut c = Client::start(&trading());
    let symbols = c.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": URI } }),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "suffix",
            "log_retention",
            "trading",
            "us-east-1",
            "us-west-2",
            "api",
            "ledger",
            "sessions",
            "documents",
            "events",
            "replicate ledger -> us-west-2",
            "replicate sessions -> us-west-2",
            "replicate documents -> us-west-2",
            "replicate events -> us-west-2",
            "api"
        ]
    );
    assert_eq!(symbols[6]["detail"], "aurora_postgres");
    c.stop();
}

#[test]
fn hover_documents_attributes_kinds_values_services_and_the_budget() {
    let text = trading();
    let mut c = Client::start(&text);
    let hover = |c: &mut Client, needle: &str, delta: u32| {
        let (l, col) = find(&text, needle);
        let h = c.at("textDocument/hover", l, col + delta);
        h["contents"]["value"].as_str().unwrap_or("").to_string()
    };
    let attr = hover(&mut c, "nat_gateways", 1);
    assert!(attr.starts_with("**`nat_gateways`**: an integer"), "{attr}");
    let kind = hover(&mut c, "aurora_postgres", 2);
    assert!(kind.starts_with("**kind `aurora_postgres`**"), "{kind}");
    let value = hover(&mut c, "warm_standby", 0);
    assert!(
        value.starts_with("`warm_standby`: a value of **`strategy`**"),
        "{value}"
    );
    assert!(value.contains("`pilot_light`"), "{value}");
    // A param says how tapc's command line gives it a value.
    let param = hover(&mut c, "suffix: string", 0);
    assert!(
        param.starts_with("**param `suffix`**, set with `--param suffix=VALUE`"),
        "{param}"
    );
    let service = hover(&mut c, "ledger: aurora", 0);
    assert!(service.contains("instances = 2\n"), "{service}");
    assert!(service.contains("# default"), "{service}");
    let rto = hover(&mut c, "rto", 0);
    assert!(
        rto.contains("- `detect` 1m6s: health check every 30s x 2"),
        "{rto}"
    );
    assert!(
        rto.contains("**total 4m36s** within rto 5m with 24s to spare"),
        "{rto}"
    );
    let rpo = hover(&mut c, "rpo ", 0);
    assert!(
        rpo.contains("`documents` lag 15m against rpo 15m (service)"),
        "{rpo}"
    );
    // Nothing to say about a comment.
    let (l, col) = find(&text, "Trading platform");
    assert_eq!(c.at("textDocument/hover", l, col), Value::Null);
    c.stop();
}

fn labels(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn completion_works_in_a_file_that_does_not_parse() {
    // Unclosed: the service block, a string, the whole file.
    let text = "param suffix: string = \"dev\"\nregion us-east-1 {\n  role = primary\n}\n\
                service db: aurora_postgres {\n  version = \"16.8\"\n}\n\
                service api: fargate {\n  image = \"x\n  \n  needs = [\n  cpu = \n\
                endpoint e {\n  target = \n  health {\n    \n  }\n}\n\
                replicate db -> \nregion \n";
    let mut c = Client::start(text);
    let diags = c.diagnostics();
    assert!(!diags.is_empty());
    let lines: Vec<&str> = text.lines().collect();
    let end_of = |n: usize| lines[n].encode_utf16().count() as u32;
    // Attribute names of a fargate service, on the blank line in its block.
    let attrs = labels(&c.at("textDocument/completion", 9, 2));
    assert!(
        attrs.contains(&"cpu".into()) && attrs.contains(&"image".into()),
        "{attrs:?}"
    );
    assert!(!attrs.contains(&"version".into()), "{attrs:?}");
    // Service names in `needs`; values after `cpu =`.
    assert_eq!(
        labels(&c.at("textDocument/completion", 10, end_of(10))),
        ["db", "api"]
    );
    let cpu = labels(&c.at("textDocument/completion", 11, end_of(11)));
    assert!(cpu.contains(&"1024".into()), "{cpu:?}");
    // An endpoint's target; the attributes of its health block.
    assert_eq!(
        labels(&c.at("textDocument/completion", 13, end_of(13))),
        ["db", "api"]
    );
    let health = labels(&c.at("textDocument/completion", 15, 4));
    assert!(health.contains(&"interval".into()), "{health:?}");
    // Regions in a replicate, region codes after `region`.
    assert_eq!(
        labels(&c.at("textDocument/completion", 18, end_of(18))),
        ["us-east-1"]
    );
    let codes = labels(&c.at("textDocument/completion", 19, end_of(19)));
    assert!(codes.contains(&"eu-west-1".into()), "{codes:?}");
    c.stop();
}

#[test]
fn completion_of_keywords_kinds_values_and_params() {
    let text = "param suffix: string = \"dev\"\n\nplatform p {\n  strategy = \n  tags = { env = \"${\" }\n}\nservice s: \n";
    let mut c = Client::start(text);
    let keywords = labels(&c.at("textDocument/completion", 1, 0));
    assert!(keywords.contains(&"replicate".into()), "{keywords:?}");
    let values = labels(&c.at("textDocument/completion", 3, 13));
    assert!(values.contains(&"warm_standby".into()), "{values:?}");
    let (l, col) = find(text, "${");
    assert_eq!(
        labels(&c.at("textDocument/completion", l, col + 2)),
        ["suffix"]
    );
    let kinds = labels(&c.at("textDocument/completion", 6, 11));
    assert!(
        kinds.contains(&"fargate".into()) && kinds.contains(&"s3".into()),
        "{kinds:?}"
    );
    c.stop();
}

#[test]
fn definition_references_and_rename() {
    let text = trading();
    let mut c = Client::start(&text);
    // `${suffix}` in a string goes to the param.
    let (l, col) = find(&text, "{suffix}");
    let def = c.at("textDocument/definition", l, col + 2);
    assert_eq!(def["uri"], URI);
    assert_eq!(def["range"]["start"], json!({ "line": 1, "character": 6 }));
    // A service in `needs`.
    let (l, col) = find(&text, "ledger, sessions");
    let def = c.at("textDocument/definition", l, col);
    let (dl, dc) = find(&text, "ledger: aurora");
    assert_eq!(
        def["range"]["start"],
        json!({ "line": dl, "character": dc })
    );
    // Its references: the declaration, `needs`, `replicate`.
    let refs = c.at("textDocument/references", l, col);
    assert_eq!(refs.as_array().unwrap().len(), 3, "{refs}");
    // A region's.
    let (rl, rc) = find(&text, "us-west-2 {");
    assert_eq!(
        c.at("textDocument/references", rl, rc)
            .as_array()
            .unwrap()
            .len(),
        5
    );
    // Rename edits every one.
    let edit = c.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": URI }, "position": { "line": l, "character": col }, "newName": "books" }),
    );
    let edits = edit["changes"][URI].as_array().unwrap();
    assert_eq!(edits.len(), 3);
    assert!(edits.iter().all(|e| e["newText"] == "books"));
    c.stop();
}

#[test]
fn inlay_hints_show_the_budget() {
    let text = trading();
    let mut c = Client::start(&text);
    let hints = c.request(
        "textDocument/inlayHint",
        json!({ "textDocument": { "uri": URI },
                "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 999, "character": 0 } } }),
    );
    let at = |needle: &str| {
        let (l, col) = find(&text, needle);
        hints
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| {
                h["position"] == json!({ "line": l, "character": col + needle.len() as u32 })
            })
            .map(|h| h["label"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(at("rto      = 5m"), ["budget 4m36s of 5m"]);
    assert_eq!(at("trigger  = 1m"), ["trigger 1m"]);
    assert_eq!(at("interval  = 30s"), ["detect 1m6s"]);
    let detect = hints
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["label"] == "detect 1m6s")
        .unwrap();
    assert_eq!(
        detect["tooltip"],
        "health check every 30s x 2 failures + 6s probe time-out"
    );
    assert_eq!(
        at("replicate documents -> us-west-2"),
        ["lag 15m / rpo 15m"]
    );
    assert_eq!(
        at("replicate events -> us-west-2"),
        ["lag unknown / rpo 1m"]
    );
    c.stop();
}

#[test]
fn unknown_requests_and_closed_files_are_errors_not_crashes() {
    let c = Client::start("");
    let _ = c.diagnostics();
    let id = RequestId::from(99);
    let req = Request::new(
        id.clone(),
        "textDocument/hover".into(),
        json!({ "textDocument": { "uri": "file:///other.tap" }, "position": { "line": 0, "character": 0 } }),
    );
    c.conn.sender.send(req.into()).unwrap();
    loop {
        if let Message::Response(r) = c.recv() {
            assert_eq!(r.id, id);
            assert!(r.error.is_some());
            break;
        }
    }
    c.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": URI } }),
    );
    assert!(c.diagnostics().is_empty());
    c.stop();
}

#[test]
fn what_only_the_lowering_finds_is_published_too() {
    let text = std::fs::read_to_string("tests/bad/lower/task_role_policy_too_long.tap").unwrap();
    let c = Client::start(&text);
    // The check's diagnostics first, then the lowering's added to them.
    let first = c.diagnostics();
    assert!(first.iter().all(|d| d["code"] != "E603"), "{first:?}");
    let all = c.diagnostics();
    let codes: Vec<&str> = all.iter().map(|d| d["code"].as_str().unwrap()).collect();
    // The fixture checks clean: E603 is what only the lowering finds.
    assert_eq!(codes, ["E603"]);
    c.stop();
}

#[test]
fn every_position_of_a_broken_file_is_answered() {
    // The reference program cut short in the middle of a block, with a string
    // left open and a non-ASCII character: no request at any place panics.
    let whole = trading();
    let cut = whole.len() * 2 / 3;
    let text = format!("{}\n  image = \"é${{suf\n  needs = [led", &whole[..cut]);
    let mut c = Client::start(&text);
    for (line, l) in text.lines().enumerate() {
        for character in 0..=l.encode_utf16().count() as u32 + 1 {
            for method in [
                "textDocument/hover",
                "textDocument/completion",
                "textDocument/definition",
            ] {
                c.at(method, line as u32, character);
            }
        }
    }
    c.stop();
}

/// The next diagnostics published for `uri`, skipping those for other files.
fn diagnostics_of(c: &Client, uri: &str) -> Vec<Value> {
    loop {
        if let Message::Notification(n) = c.recv() {
            if n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri {
                return n.params["diagnostics"].as_array().unwrap().clone();
            }
        }
    }
}

fn codes(diagnostics: &[Value]) -> Vec<&str> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect()
}

/// A program in two files: opening the root publishes the diagnostics of
/// the file it imports under that file's URI; the imported file, opened and
/// edited, is checked as part of its importer's program (no "no platform"),
/// its unsaved text is what the importer reads, and the fix clears both.
#[test]
fn diagnostics_of_imported_files_are_published_where_they_are() {
    let dir = tempfile::TempDir::new().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let main = std::fs::read_to_string("tests/imports/error_in_import/main.tap").unwrap();
    let broken = std::fs::read_to_string("tests/imports/error_in_import/services.tap").unwrap();
    std::fs::write(root.join("main.tap"), &main).unwrap();
    std::fs::write(root.join("services.tap"), &broken).unwrap();
    let main_uri = format!("file://{}/main.tap", root.display());
    let services_uri = format!("file://{}/services.tap", root.display());

    let mut c = Client::start("");
    let _ = c.diagnostics();
    let open = |uri: &str, text: &str| {
        c.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "tap", "version": 1, "text": text } }),
        );
    };
    open(&main_uri, &main);
    assert!(diagnostics_of(&c, &main_uri).is_empty());
    let d = diagnostics_of(&c, &services_uri);
    assert_eq!(codes(&d), ["E201"]);
    assert_eq!(
        d[0]["range"]["start"],
        json!({ "line": 2, "character": 14 })
    );

    // Opened, the imported file shows its importer's findings, not its own
    // as a program (it has no platform or region).
    open(&services_uri, &broken);
    assert_eq!(codes(&diagnostics_of(&c, &services_uri)), ["E201"]);
    // Fixed in the editor, not saved: the importer reads the unsaved text.
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": services_uri, "version": 2 },
                "contentChanges": [{ "text": broken.replace("= 15 ", "= 15m ") }] }),
    );
    assert!(diagnostics_of(&c, &services_uri).is_empty());
    let hints = c.request(
        "textDocument/inlayHint",
        json!({ "textDocument": { "uri": main_uri },
                "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 99, "character": 0 } } }),
    );
    // The program checks: its budget is shown in the root file.
    assert!(hints.as_array().is_some_and(|h| !h.is_empty()), "{hints}");

    // Names across files: `files` in main.tap's `replicate` is declared in
    // services.tap; renaming it edits both files.
    let (line, character) = find(&main, "files ->");
    let at = json!({ "textDocument": { "uri": main_uri }, "position": { "line": line, "character": character } });
    let offered = c.request("textDocument/completion", at.clone());
    assert!(labels(&offered).contains(&"files".to_string()), "{offered}");
    let def = c.request("textDocument/definition", at.clone());
    assert_eq!(def["uri"], services_uri.as_str());
    assert_eq!(def["range"]["start"], json!({ "line": 0, "character": 8 }));
    let mut rename = at.clone();
    rename["newName"] = json!("documents");
    let edit = c.request("textDocument/rename", rename);
    assert_eq!(edit["changes"][&main_uri].as_array().unwrap().len(), 1);
    assert_eq!(edit["changes"][&services_uri].as_array().unwrap().len(), 1);
    c.stop();
}

/// The imported file opened first is a program of its own (no platform);
/// once the file that imports it is open, it shows that program's findings,
/// and its own again when that file is closed.
#[test]
fn a_file_shows_its_importers_findings_while_the_importer_is_open() {
    let case = std::fs::canonicalize("tests/imports/error_in_import").unwrap();
    let main_uri = format!("file://{}/main.tap", case.display());
    let services_uri = format!("file://{}/services.tap", case.display());
    let text = |name: &str| std::fs::read_to_string(case.join(name)).unwrap();
    let c = Client::start("");
    let _ = c.diagnostics();
    let open = |uri: &str, text: &str| {
        c.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "tap", "version": 1, "text": text } }),
        );
    };
    open(&services_uri, &text("services.tap"));
    assert!(codes(&diagnostics_of(&c, &services_uri)).contains(&"E106"));
    open(&main_uri, &text("main.tap"));
    assert_eq!(codes(&diagnostics_of(&c, &services_uri)), ["E201"]);
    c.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": main_uri } }),
    );
    assert!(codes(&diagnostics_of(&c, &services_uri)).contains(&"E106"));
    c.stop();
}

/// Files that import each other, both open: the cycle is still shown (each
/// is the root of a program; a file both hold shows one program's findings).
#[test]
fn an_import_cycle_of_open_files_is_shown() {
    let case = std::fs::canonicalize("tests/imports/cycle").unwrap();
    let platform_uri = format!("file://{}/platform.tap", case.display());
    let services_uri = format!("file://{}/services.tap", case.display());
    let text = |name: &str| std::fs::read_to_string(case.join(name)).unwrap();
    let c = Client::start("");
    let _ = c.diagnostics();
    for (uri, name) in [
        (&platform_uri, "platform.tap"),
        (&services_uri, "services.tap"),
    ] {
        c.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "tap", "version": 1, "text": text(name) } }),
        );
    }
    assert_eq!(codes(&diagnostics_of(&c, &services_uri)), ["E109"]);
    assert_eq!(codes(&diagnostics_of(&c, &services_uri)), ["E109"]);
    c.stop();
}

/// The editor shows what `tapc check` shows: past 1,000 diagnostics, one E011.
#[test]
fn diagnostics_past_the_cap_are_one_e011() {
    let text: String = (0..1_500).map(|i| format!("param p{i}: int\n")).collect();
    let c = Client::start(&text);
    let all = c.diagnostics();
    assert_eq!(all.len(), tapc::diag::MAX_DIAGNOSTICS + 1);
    assert_eq!(all.last().unwrap()["code"], "E011");
    c.stop();
}
