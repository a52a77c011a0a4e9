//! What the tests share: the `tapc` binary run from the repository's root,
//! programs written to a temporary directory, the JSON report read back, and
//! the programs of the property tests (`programs`).

// Every test binary that declares `mod common;` compiles all of it and uses
// only part of it.
#![allow(dead_code)]

pub mod programs;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value as Json;

/// The `tapc` binary, run from the repository's root so that paths such as
/// `examples/minimal.tap` resolve (`current_dir` again to run elsewhere).
pub fn tapc() -> Command {
    let mut cmd = Command::cargo_bin("tapc").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// Writes `text` to `dir/name` and returns that path.
pub fn write(dir: impl AsRef<Path>, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.as_ref().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `cmd` (a `--format json` run): its exit status and the one JSON
/// document it prints.
pub fn json_of(cmd: &mut Command) -> (i32, Json) {
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let doc: Json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {stdout}"));
    (out.status.code().unwrap(), doc)
}

/// The codes of a JSON report's diagnostics, in order.
pub fn codes(doc: &Json) -> Vec<&str> {
    doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect()
}
