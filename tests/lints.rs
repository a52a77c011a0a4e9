//! `--allow CODE` and `--deny CODE`: by code or prefix, the most specific wins.

mod common;
use common::{json_of, tapc, write};

/// Warnings W301 (overlapping CIDRs) and W402 (replication lag with no bound).
const WARNS: &str = "\
platform p {
  rto     = 15m
  rpo     = 5m
  trigger = 5m
}

region us-east-1 {
  role = primary
  cidr = 10.0.0.0/16
}

region us-west-2 {
  role = secondary
  cidr = 10.0.0.0/16
}

service bus: eventbridge { source = \"shop\" }
replicate bus -> us-west-2
";

/// Exit status and (code, severity) of every diagnostic, under `flags`.
fn check(flags: &[&str]) -> (i32, Vec<(String, String)>) {
    let dir = tempfile::TempDir::new().unwrap();
    let path = write(&dir, "warns.tap", WARNS);
    let (status, doc) = json_of(
        tapc()
            .args(["check", "--format", "json"])
            .args(flags)
            .arg(&path),
    );
    let diags = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (status, diags)
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn allow_and_deny_by_code_and_prefix() {
    let both = [("W301", "warning"), ("W402", "warning")];
    assert_eq!(check(&[]), (0, pairs(&both)));
    assert_eq!(check(&["--allow", "W301"]), (0, pairs(&[both[1]])));
    assert_eq!(check(&["--allow", "w4"]), (0, pairs(&[both[0]])));
    assert_eq!(check(&["--allow", "W"]), (0, vec![]));
    assert_eq!(
        check(&["--deny", "W4"]),
        (1, pairs(&[("W301", "warning"), ("W402", "error")]))
    );
    assert_eq!(
        check(&["--deny", "warnings"]),
        (1, pairs(&[("W301", "error"), ("W402", "error")]))
    );
    // The most specific wins, whichever flag it is.
    assert_eq!(
        check(&["--deny", "warnings", "--allow", "W402"]),
        (1, pairs(&[("W301", "error")]))
    );
    assert_eq!(
        check(&["--allow", "W", "--deny", "W301"]),
        (1, pairs(&[("W301", "error")]))
    );
    assert_eq!(
        check(&["--allow", "W301", "--allow", "W402", "--deny", "E2"]),
        (0, vec![])
    );
}

#[test]
fn errors_cannot_be_allowed_and_unknown_codes_are_refused() {
    for (flags, needle) in [
        (
            ["--allow", "E201"],
            "`E201` names errors, which cannot be allowed",
        ),
        (["--allow", "E"], "`E` names errors"),
        (
            ["--allow", "W9"],
            "no diagnostic code is or starts with `W9`",
        ),
        (
            ["--deny", "errors"],
            "no diagnostic code is or starts with `errors`",
        ),
        (
            ["--allow", "warnings"],
            "no diagnostic code is or starts with `warnings`",
        ),
    ] {
        let out = tapc()
            .arg("check")
            .args(flags)
            .arg("examples/minimal.tap")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flags:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(needle), "{stderr}");
    }
}

#[test]
fn help_documents_allow_and_deny() {
    let out = tapc().args(["check", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("--allow <CODE>"), "{help}");
    assert!(help.contains("--deny <CODE|warnings>"), "{help}");
    assert!(help.contains("prefix (W4)"), "{help}");
}
