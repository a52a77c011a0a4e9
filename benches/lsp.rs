//! `tapc lsp` latency: from sending `didChange` to reading the
//! `publishDiagnostics` it causes, through the protocol over pipes, as an
//! editor sees it. `cargo bench --bench lsp` (builds tapc in release mode;
//! `TAPC=path` runs another tapc binary instead).
//! Goals: the reference program under 5 ms, 1,000 services under 50 ms,
//! 10,000 under 500 ms.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn send(to: &mut ChildStdin, msg: Value) {
    let body = msg.to_string();
    write!(to, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    to.flush().unwrap();
}

fn recv(from: &mut BufReader<ChildStdout>) -> Value {
    let mut len = 0;
    loop {
        let mut line = String::new();
        from.read_line(&mut line).unwrap();
        let line = line.trim();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length:") {
            len = n.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; len];
    from.read_exact(&mut body).unwrap();
    serde_json::from_slice(&body).unwrap()
}

/// The first diagnostics published for `version` (the check's; the lowering's
/// would follow only if it found any).
fn wait_diagnostics(from: &mut BufReader<ChildStdout>, version: usize) -> usize {
    loop {
        let m = recv(from);
        if m["method"] == "textDocument/publishDiagnostics" && m["params"]["version"] == version {
            return m["params"]["diagnostics"].as_array().unwrap().len();
        }
    }
}

/// Median and worst round trip over `runs` changes of `text`.
fn measure(name: &str, text: &str, runs: usize, goal: Duration) {
    // TAPC=path times another build of tapc (to compare with an older one).
    let tapc = std::env::var("TAPC").unwrap_or_else(|_| env!("CARGO_BIN_EXE_tapc").into());
    let mut child = Command::new(tapc)
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut to = child.stdin.take().unwrap();
    let mut from = BufReader::new(child.stdout.take().unwrap());
    let uri = "file:///bench.tap";
    send(
        &mut to,
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
    );
    recv(&mut from);
    send(
        &mut to,
        json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
    );
    send(
        &mut to,
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": {"uri": uri, "languageId": "tap", "version": 1, "text": text}}}),
    );
    wait_diagnostics(&mut from, 1);
    // The first change, too, starts on an idle server: the opened text's
    // lowering is over (the server answers in order).
    send(
        &mut to,
        json!({"jsonrpc": "2.0", "id": 99, "method": "textDocument/documentSymbol",
        "params": {"textDocument": {"uri": uri}}}),
    );
    while recv(&mut from)["id"] != 99 {}
    let mut times = Vec::new();
    let mut finals = Vec::new();
    let mut count = 0;
    for i in 0..runs {
        // A real edit: a comment that changes at every keystroke.
        let changed = format!("{text}# edit {i}\n");
        let start = Instant::now();
        send(
            &mut to,
            json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": i + 2},
            "contentChanges": [{"text": changed}]}}),
        );
        count = wait_diagnostics(&mut from, i + 2);
        times.push(start.elapsed());
        // The server answers in order: the answer to a request sent now
        // comes once the lowering of this version is done too, so the next
        // change starts on an idle server (one edit, not a burst).
        let id = 100 + i;
        send(
            &mut to,
            json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/documentSymbol",
            "params": {"textDocument": {"uri": uri}}}),
        );
        while recv(&mut from)["id"] != id {}
        finals.push(start.elapsed());
    }
    // A burst, as when typing: five changes sent at once, timed until the
    // diagnostics of the last. The server lowers only the last text.
    let burst = 5;
    // Sent from a thread of their own while this one reads, as an editor
    // does: the server's answers would fill the pipe otherwise.
    let start = Instant::now();
    std::thread::scope(|scope| {
        let to = &mut to;
        scope.spawn(move || {
            for k in 0..burst {
                let changed = format!("{text}# burst {k}\n");
                send(
                    to,
                    json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                    "textDocument": {"uri": uri, "version": runs + 2 + k},
                    "contentChanges": [{"text": changed}]}}),
                );
            }
        });
        wait_diagnostics(&mut from, runs + 1 + burst);
    });
    let burst_time = start.elapsed();
    send(
        &mut to,
        json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}),
    );
    recv(&mut from);
    send(&mut to, json!({"jsonrpc": "2.0", "method": "exit"}));
    child.wait().unwrap();
    times.sort();
    finals.sort();
    let median = times[times.len() / 2];
    let worst = times[times.len() - 1];
    let verdict = if median < goal { "within" } else { "OVER" };
    println!(
        "{name:<22} {:>9} bytes  diagnostics: median {:>8.2?} worst {:>8.2?} (goal {goal:?}: {verdict}); \
         with the lowering: median {:>8.2?}; a burst of {burst}: {:>8.2?}  ({count} diagnostics, {runs} changes)",
        text.len(),
        median,
        worst,
        finals[finals.len() / 2],
        burst_time
    );
}

fn main() {
    let trading = std::fs::read_to_string("examples/trading.tap").unwrap();
    measure(
        "examples/trading.tap",
        &trading,
        50,
        Duration::from_millis(5),
    );
    measure(
        "1,000 services",
        &tapc::gen::platform(1000),
        20,
        Duration::from_millis(50),
    );
    measure(
        "10,000 services",
        &tapc::gen::platform(10_000),
        5,
        Duration::from_millis(500),
    );
}
