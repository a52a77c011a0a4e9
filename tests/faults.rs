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
    let checked = tapc::check_source(&file, &[]).unwrap();
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
