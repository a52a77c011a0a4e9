//! `tapc check -`, `build -` and `graph -` read standard input; an unreadable
//! file among several is reported and the others are still checked.

use assert_cmd::Command;
use serde_json::Value as Json;

fn tapc() -> Command {
    Command::cargo_bin("tapc").unwrap()
}

#[test]
fn dash_reads_standard_input_named_stdin() {
    let program = std::fs::read_to_string("examples/minimal.tap").unwrap();
    let out = tapc()
        .args(["check", "-"])
        .write_stdin(program)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .starts_with("platform minimal:"));

    let out = tapc()
        .args(["check", "--format", "json", "-"])
        .write_stdin("platform p {\n  rto = 5m\n}\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["diagnostics"][0]["file"], "<stdin>");

    let out = tapc()
        .args(["check", "-"])
        .write_stdin("platform p {\n  rto = 5m\n}\n")
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("[<stdin>:1:10]"), "{stderr}");

    // Not UTF-8: E008, as for a file.
    let out = tapc()
        .args(["check", "--format", "json", "-"])
        .write_stdin(&b"# caf\xe9\n"[..])
        .output()
        .unwrap();
    let doc: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["diagnostics"][0]["code"], "E008");
}

#[test]
fn dash_twice_is_a_usage_error() {
    let out = tapc().args(["check", "-", "-"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr,
        "tapc: `-` (standard input) can be given only once\n"
    );
}

#[test]
fn an_unreadable_file_among_several_does_not_stop_the_others() {
    let dir = tempfile::TempDir::new().unwrap();
    let bad = dir.path().join("bad.tap");
    std::fs::write(&bad, "platform p {\n  rto = 5m\n}\n").unwrap();
    let missing = dir.path().join("missing.tap");
    let out = tapc()
        .args(["check", "--format", "json", "examples/minimal.tap"])
        .arg(&missing)
        .arg(&bad)
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr,
        format!(
            "tapc: cannot read `{}`: No such file or directory\n\
             tapc: cannot read `{}`: it is a directory\n\
             tapc: 2 of 4 files were not checked\n",
            missing.display(),
            dir.path().display()
        )
    );
    let doc: Json = serde_json::from_slice(&out.stdout).unwrap();
    let files: Vec<&str> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    assert!(!files.is_empty());
    assert!(files.iter().all(|f| f.ends_with("bad.tap")), "{files:?}");

    // Human format: the readable bad file's diagnostics are still shown.
    let out = tapc()
        .arg("check")
        .arg(&missing)
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("E202"), "{stderr}");
}

/// Every `FILE` may be `-` (LANGUAGE.md section 7): `build` and `graph` read
/// standard input as `check` does, and make of it what they make of the file.
#[test]
fn build_and_graph_read_standard_input_too() {
    let program = std::fs::read_to_string("examples/minimal.tap").unwrap();
    let dir = tempfile::TempDir::new().unwrap();
    let (piped, named) = (dir.path().join("piped"), dir.path().join("named"));
    let out = tapc()
        .args(["build", "-", "-o"])
        .arg(&piped)
        .write_stdin(program.clone())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = tapc()
        .args(["build", "examples/minimal.tap", "-o"])
        .arg(&named)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let files = |d: &std::path::Path| {
        let mut v: Vec<(std::ffi::OsString, Vec<u8>)> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (e.file_name(), std::fs::read(e.path()).unwrap())
            })
            .collect();
        v.sort();
        v
    };
    assert!(files(&piped).len() > 2);
    assert!(
        files(&piped) == files(&named),
        "the same files, byte for byte"
    );

    let graph = |file: &str, stdin: &str| {
        let out = tapc()
            .args(["graph", "--format", "json", file])
            .write_stdin(stdin.to_string())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        out.stdout
    };
    assert_eq!(graph("-", &program), graph("examples/minimal.tap", ""));

    // A program with errors: its diagnostics name `<stdin>`, nothing is written.
    let broken = dir.path().join("broken");
    let out = tapc()
        .args(["build", "-", "-o"])
        .arg(&broken)
        .write_stdin("platform p {\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("[<stdin>:2:1]"), "{stderr}");
    assert!(
        stderr.ends_with("tapc: <stdin> has errors; nothing was written\n"),
        "{stderr}"
    );
    assert!(!broken.exists());
}
