//! `tapc completions SHELL` and the hidden `tapc man`.

use assert_cmd::Command;

fn run(args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("tapc")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn every_shell_gets_a_script_naming_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (status, script) = run(&["completions", shell]);
        assert_eq!(status, 0, "{shell}");
        for word in [
            "check",
            "build",
            "graph",
            "explain",
            "deploy",
            "completions",
            "format",
            "dry-run",
        ] {
            assert!(script.contains(word), "{shell} script lacks {word}");
        }
    }
}

#[test]
fn the_bash_script_is_valid_bash() {
    let (_, script) = run(&["completions", "bash"]);
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("tapc.bash");
    std::fs::write(&path, &script).unwrap();
    let status = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .status()
        .expect("bash is installed");
    assert!(status.success());
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let out = Command::cargo_bin("tapc")
        .unwrap()
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1);
    assert!(stderr.contains("tcsh"));
}

#[test]
fn man_prints_a_manual_page() {
    let (status, page) = run(&["man"]);
    assert_eq!(status, 0);
    assert!(page.contains(".TH tapc 1"), "{page}");
    assert!(page.contains("deploy"));
    assert!(page.contains("completions"));
}
