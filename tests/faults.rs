//! Bad input and faults: each ends in a clear message and the right exit status,
//! never a panic, a hang or a damaged output directory.

use std::path::Path;
use std::process::Command;

use assert_cmd::prelude::*;
use tempfile::TempDir;

fn tapc() -> Command {
    Command::cargo_bin("tapc").unwrap()
}

fn stderr_of(cmd: &mut Command) -> (i32, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn ten_megabytes_of_input_are_checked() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("big.tap");
    let mut text = std::fs::read_to_string("examples/minimal.tap").unwrap();
    while text.len() < 10 << 20 {
        text.push_str(
            "# a comment line that pads the file to ten megabytes ......................\n",
        );
    }
    text.push_str(&format!(
        "param padding: string = \"{}\"\n",
        "x".repeat(1 << 20)
    ));
    std::fs::write(&path, &text).unwrap();
    let out = tapc().arg("check").arg(&path).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Thousands of errors stay linear in what they produce: every misspelt
/// reference is reported, suggestions stop at a budget instead of searching
/// every name for every error, and three regions sharing one network give two
/// warnings, not one per pair. (Their time is measured in `cargo bench`.)
#[test]
fn many_errors_give_linear_output() {
    let n = 3_000;
    let file = tapc::diag::SourceFile::new("misspelt.tap", tapc::gen::misspelt(n));
    let checked = tapc::check_source(&file, tapc::Given::command_line(&[])).unwrap();
    let count = |code: &str| {
        checked
            .diagnostics
            .iter()
            .filter(|d| d.code == code)
            .count()
    };
    assert_eq!(count("E102"), n);
    assert_eq!(count("W301"), 2);
    let suggested = checked
        .diagnostics
        .iter()
        .filter(|d| {
            d.help
                .as_deref()
                .is_some_and(|h| h.starts_with("did you mean"))
        })
        .count();
    assert!(
        (1..n).contains(&suggested),
        "{suggested} of {n} references got a suggestion"
    );
}

#[test]
fn deep_nesting_is_a_diagnostic_not_a_stack_overflow() {
    let dir = TempDir::new().unwrap();
    for (name, open) in [
        ("lists.tap", "["),
        ("maps.tap", "{ a = "),
        ("blocks.tap", "b {\n"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            format!("platform p {{\n  x = {}\n}}\n", open.repeat(100_000)),
        )
        .unwrap();
        let (code, err) = stderr_of(tapc().arg("check").arg(&path));
        assert_eq!(code, 1, "{name}: {err}");
        assert!(
            err.contains("E007") || err.contains("E001"),
            "{name}: {err}"
        );
    }
}

#[test]
fn binary_garbage_is_a_diagnostic() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("garbage.tap");
    let bytes: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&path, bytes).unwrap();
    let (code, err) = stderr_of(tapc().arg("check").arg(&path));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("E008") || err.contains("E001"), "{err}");
}

fn build(file: &str, out: &Path) -> Command {
    let mut cmd = tapc();
    cmd.arg("build").arg(file).arg("-o").arg(out);
    cmd
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// A full disk, simulated with a file-size limit: writes past it fail with EFBIG.
#[cfg(target_os = "linux")]
#[test]
fn full_output_location_leaves_the_previous_output_intact() {
    use std::os::unix::process::CommandExt;
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    build("examples/minimal.tap", &out).assert().success();
    let before = snapshot(&out);
    let mut cmd = build("examples/trading.tap", &out);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: 4096,
                rlim_max: 4096,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let (code, err) = stderr_of(&mut cmd);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err.lines().filter(|l| l.starts_with("tapc: ")).count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("too large") || err.contains("No space"),
        "{err}"
    );
    assert_eq!(snapshot(&out), before, "the previous output changed");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["out"], "temporary directories were left behind");
}

/// Runs `cmd` to its end, or kills it after `secs` seconds and fails: a test
/// of an endless input must not hang the suite. With `endless_stdin`, its
/// standard input is a pipe written to until it closes.
fn run_bounded(mut cmd: Command, secs: u64, endless_stdin: bool) -> (i32, String) {
    use std::io::{Read, Write};
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    if endless_stdin {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let writer = child.stdin.take().map(|mut stdin| {
        std::thread::spawn(move || {
            let lines = b"# endless\n".repeat(1000);
            // Ends when tapc closes the pipe (or is killed).
            while stdin.write_all(&lines).is_ok() {}
        })
    });
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + Duration::from_secs(secs);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after {secs} s: killed");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    if let Some(writer) = writer {
        writer.join().unwrap();
    }
    (status.code().unwrap_or(-1), reader.join().unwrap())
}

/// A program padded with comment lines to exactly `len` bytes.
fn padded_program(len: usize) -> Vec<u8> {
    let mut text = std::fs::read("examples/minimal.tap").unwrap();
    let line = b"# padding ..........................................................\n";
    while text.len() + 2 * line.len() <= len {
        text.extend_from_slice(line);
    }
    let rest = len - text.len();
    text.push(b'#');
    text.resize(len - 1, b'.');
    text.push(b'\n');
    assert!(rest >= 2 && text.len() == len);
    text
}

#[test]
fn files_up_to_the_limit_are_read_and_larger_ones_are_e009() {
    let dir = TempDir::new().unwrap();
    let limit = tapc::MAX_SOURCE_BYTES;
    let at_limit = dir.path().join("at-limit.tap");
    std::fs::write(&at_limit, padded_program(limit)).unwrap();
    let (code, err) = stderr_of(tapc().arg("check").arg(&at_limit));
    assert_eq!(code, 0, "{err}");

    let over = dir.path().join("over.tap");
    std::fs::write(&over, padded_program(limit + 1)).unwrap();
    let out = tapc()
        .args(["check", "--format", "json"])
        .arg(&over)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &json["diagnostics"][0];
    assert_eq!(d["code"], "E009", "{json:#}");
    assert_eq!(d["offset"], limit, "{json:#}");
    assert_eq!(json["diagnostics"].as_array().unwrap().len(), 1);
    for command in ["check", "build", "graph"] {
        let (code, err) = stderr_of(tapc().arg(command).arg(&over).current_dir(dir.path()));
        assert_eq!(code, 1, "{command}: {err}");
        assert!(err.contains("E009"), "{command}: {err}");
    }
}

/// An endless file stops at the limit: one E009, exit status 1, no hang and
/// no memory exhaustion.
#[cfg(unix)]
#[test]
fn dev_zero_stops_at_the_limit() {
    let mut cmd = tapc();
    cmd.args(["check", "/dev/zero"]);
    let (code, err) = run_bounded(cmd, 120, false);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("E009"), "{err}");
    assert!(
        err.len() < 4096,
        "the report quotes too much: {} bytes",
        err.len()
    );
}

/// So does an endless pipe.
#[cfg(unix)]
#[test]
fn an_endless_pipe_stops_at_the_limit() {
    let mut cmd = tapc();
    cmd.args(["check", "/dev/stdin"]);
    let (code, err) = run_bounded(cmd, 120, true);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("E009"), "{err}");
}

/// The primary label's place in the human report's header (`[file:LINE:COL]`).
fn header_positions(report: &str) -> Vec<(u64, u64)> {
    report
        .lines()
        .filter_map(|l| l.split_once("╭─[")?.1.strip_suffix(']'))
        .filter_map(|h| {
            let mut parts = h.rsplitn(3, ':');
            let col = parts.next()?.parse().ok()?;
            let line = parts.next()?.parse().ok()?;
            Some((line, col))
        })
        .collect()
}

/// JSON's `line` and `column` of the first diagnostic of `path`.
fn json_position(path: &Path) -> (serde_json::Value, (u64, u64)) {
    let out = tapc()
        .args(["check", "--format", "json"])
        .arg(path)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = json["diagnostics"][0].clone();
    let pos = (d["line"].as_u64().unwrap(), d["column"].as_u64().unwrap());
    (d, pos)
}

/// A label past column 65,535 panicked inside miette (`{:width$}` takes a u16):
/// a valid program whose warning sits on a line indented by 16,384 tabs, and a
/// syntax error 70,000 characters into a line.
#[test]
fn labels_far_into_a_line_are_reported() {
    let dir = TempDir::new().unwrap();
    let program = std::fs::read_to_string("examples/pilot-light.tap").unwrap();
    assert!(program.contains("\n  target = web\n"));
    let tabs = program.replace(
        "\n  target = web\n",
        &format!("\n{}  target = web\n", "\t".repeat(16_384)),
    );
    let path = dir.path().join("tabs.tap");
    std::fs::write(&path, tabs).unwrap();
    for command in ["check", "graph", "build"] {
        let (code, err) = stderr_of(tapc().arg(command).arg(&path).current_dir(dir.path()));
        assert_eq!(code, 0, "{command}: {err}");
        assert!(err.contains("W202"), "{command}: {err}");
        assert!(err.len() < 4096, "{command}: the snippet is not cut");
    }
    let (_, json) = json_position(&path);
    let (_, err) = stderr_of(tapc().arg("check").arg(&path));
    assert_eq!(header_positions(&err), [json]);

    let path = dir.path().join("long.tap");
    std::fs::write(&path, format!("{} = 1\n", "x".repeat(70_000))).unwrap();
    let (code, err) = stderr_of(tapc().arg("check").arg(&path));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("E001"), "{err}");
    assert!(
        err.len() < 4096,
        "the token is quoted whole: {} bytes",
        err.len()
    );
}

/// A lone carriage return is not a line end (as in the grammar): the human
/// report and JSON name the same line and column.
#[test]
fn lone_carriage_returns_are_not_line_ends_in_any_output() {
    let dir = TempDir::new().unwrap();
    let cases: [&[u8]; 3] = [
        b"platform p {\r  rto = 5m\r}\rservice api fargate {}\r",
        b"platform p {\n  rto = 5m\r\n}\r\nservice api fargate {\r}\n",
        b"# one\r# two\rplatform p {\n  rto = 5m\n  rpo = 1m\r  trigger = 1m\n}\n",
    ];
    for (i, bytes) in cases.into_iter().enumerate() {
        let path = dir.path().join(format!("cr{i}.tap"));
        std::fs::write(&path, bytes).unwrap();
        let (d, json) = json_position(&path);
        let (code, err) = stderr_of(tapc().arg("check").arg(&path));
        assert_eq!(code, 1, "{err}");
        assert!(
            !err.contains('\r'),
            "a carriage return reached the terminal"
        );
        let headers = header_positions(&err);
        assert_eq!(headers.first(), Some(&json), "case {i}: {d:#}\n{err}");
        let line = json.0;
        let gutter = format!("\n {line} │");
        assert!(err.contains(&gutter), "case {i}: no line {line} in\n{err}");
    }
}

/// E008 labels the invalid bytes at their offset in the file, and its line and
/// column are those of that offset.
#[test]
fn invalid_utf8_is_labelled_at_its_byte_offset() {
    let dir = TempDir::new().unwrap();
    let cases: [(&[u8], usize, usize, u64, u64); 3] = [
        (b"platform p {\n  # caf\xE9 ordering\n}\n", 20, 1, 2, 8),
        // Earlier multi-byte characters make column and offset differ.
        (
            b"# \xC3\xA9\xC3\xA9\n\xF0\x9F\x98\x80 \xFF\xFEx\n",
            12,
            1,
            2,
            3,
        ),
        // A truncated sequence at the end of the file ends inside the file.
        (b"platform p {}\n\xE2\x82", 14, 2, 2, 1),
    ];
    for (i, (bytes, offset, length, line, column)) in cases.into_iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.tap"));
        std::fs::write(&path, bytes).unwrap();
        let (d, json) = json_position(&path);
        assert_eq!(d["code"], "E008", "{d:#}");
        assert_eq!(d["offset"], offset, "case {i}: {d:#}");
        assert_eq!(d["length"], length, "case {i}: {d:#}");
        assert_eq!(json, (line, column), "case {i}: {d:#}");
        assert!(offset + length <= bytes.len());
        assert_eq!(
            d["labels"][0]["message"],
            format!("invalid UTF-8 at byte {offset}")
        );
        let (code, err) = stderr_of(tapc().arg("check").arg(&path));
        assert_eq!(code, 1, "{err}");
        assert_eq!(header_positions(&err), [json], "case {i}: {err}");
    }
}

/// Past 1,000 syntax errors the rest are counted, not reported one by one:
/// one E010 with their number, labelled at the first of them.
#[test]
fn syntax_errors_past_the_cap_are_counted_in_one_e010() {
    let n = 1_500;
    let broken = "service api fargate {\n  image = \"x\"\n}\n";
    let file = tapc::diag::SourceFile::new("many.tap", broken.repeat(n));
    let checked = tapc::check_source(&file, tapc::Given::command_line(&[])).unwrap();
    let cap = tapc::syntax::MAX_SYNTAX_ERRORS;
    let codes: Vec<&str> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes.len(), cap + 1);
    assert!(codes[..cap].iter().all(|&c| c == "E001"));
    let last = checked.diagnostics.last().unwrap();
    assert_eq!(last.code, "E010");
    assert!(
        last.message.starts_with(&format!("{} more", n - cap)),
        "{last:?}"
    );
    // The first error not shown is the one of item number `cap + 1`.
    let (line, _) = file.line_col(last.primary_span().start);
    assert_eq!(line, 3 * cap + 1);
}
