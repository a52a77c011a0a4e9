//! The command line as LANGUAGE.md section 7 specifies it: exit status 0 on
//! success, 1 when the program has errors (or warnings under `--deny warnings`),
//! 2 for usage and I/O errors, reported as one `tapc: ...` line.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value as Json;
use tempfile::TempDir;

mod common;
use common::{codes, json_of, tapc, write};

const VALID: &str = "\
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
  cidr = 10.1.0.0/16
}
";

/// Valid, except that both regions use the same network (W301).
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
";

/// Errors: no trigger (E202), and a service of an unknown kind (E103).
const ERRORS: &str = "\
platform p {
  rto = 5m
  rpo = 1m
}

region us-east-1 {
  role = primary
  cidr = 10.0.0.0/16
}

region us-west-2 {
  role = secondary
  cidr = 10.1.0.0/16
}

service api: fargat {
  image = \"amazon/amazon-ecs-sample\"
}
";

/// Runs `cmd`, expects exit status 2, nothing on stdout and exactly one
/// `tapc: ...` line on stderr containing `needle`.
fn usage_error(cmd: &mut Command, needle: &str) {
    let out = cmd.assert().code(2).get_output().clone();
    assert!(
        out.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("tapc: "),
        "expected a `tapc: ...` line, got {stderr:?}"
    );
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "expected one line, got {stderr:?}"
    );
    assert!(stderr.contains(needle), "expected {needle:?} in {stderr:?}");
}

#[test]
fn reference_program_checks_and_prints_the_budget() {
    tapc()
        .args(["check", "examples/trading.tap"])
        .assert()
        .success()
        .stdout(predicate::str::contains("RTO budget"))
        .stdout(predicate::str::contains("RPO budget"));
}

#[test]
fn valid_program_exits_0() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "valid.tap", VALID);
    tapc()
        .arg("check")
        .arg(&path)
        .assert()
        .success()
        .stdout(predicate::str::contains("RTO budget"))
        .stderr("");
}

#[test]
fn program_with_errors_exits_1() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "errors.tap", ERRORS);
    tapc()
        .arg("check")
        .arg(&path)
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("E316"))
        .stderr(predicate::str::contains("E103"))
        .stderr(predicate::str::contains("2 error(s), 0 warning(s)"));
}

#[test]
fn syntax_error_exits_1() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "syntax.tap", "replicate ledger => us-west-2\n");
    tapc()
        .arg("check")
        .arg(&path)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("E001"));
}

#[test]
fn warnings_fail_only_under_deny_warnings() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "warns.tap", WARNS);
    tapc()
        .arg("check")
        .arg(&path)
        .assert()
        .success()
        .stderr(predicate::str::contains("W301"))
        .stdout(predicate::str::contains("RTO budget"));
    tapc()
        .arg("check")
        .arg(&path)
        .args(["--deny", "warnings"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("W301"));
    tapc()
        .args(["check", "--format", "json", "--deny", "warnings"])
        .arg(&path)
        .assert()
        .code(1);
}

#[test]
fn missing_file_is_an_io_error() {
    let dir = TempDir::new().unwrap();
    usage_error(
        tapc().arg("check").arg(dir.path().join("nope.tap")),
        "nope.tap",
    );
}

#[test]
fn directory_is_an_io_error() {
    let dir = TempDir::new().unwrap();
    usage_error(tapc().arg("check").arg(dir.path()), "directory");
}

#[cfg(unix)]
#[test]
fn symlink_loop_is_an_io_error() {
    let dir = TempDir::new().unwrap();
    let (a, b) = (dir.path().join("a.tap"), dir.path().join("b.tap"));
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    usage_error(tapc().arg("check").arg(&a), "a.tap");
}

#[test]
fn unknown_param_is_a_usage_error() {
    usage_error(
        tapc().args(["check", "examples/trading.tap", "--param", "sufix=prod"]),
        "did you mean `suffix`?",
    );
}

#[test]
fn malformed_param_is_a_usage_error() {
    usage_error(
        tapc().args(["check", "examples/trading.tap", "--param", "suffix"]),
        "NAME=VALUE",
    );
    usage_error(
        tapc().args(["check", "examples/trading.tap", "--param", "=prod"]),
        "NAME=VALUE",
    );
}

#[test]
fn other_usage_errors_are_one_line() {
    usage_error(
        tapc().args(["check", "--format", "xml", "examples/trading.tap"]),
        "xml",
    );
    usage_error(
        tapc().args(["check", "--deny", "errors", "examples/trading.tap"]),
        "errors",
    );
    usage_error(tapc().args(["check"]), "FILES");
    usage_error(tapc().args(["frobnicate"]), "frobnicate");
}

#[test]
fn explain_unknown_code_is_a_usage_error() {
    usage_error(tapc().args(["explain", "NOPE"]), "NOPE");
}

#[test]
fn explain_prints_the_explanation() {
    tapc()
        .args(["explain", "E402"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("# E402: "))
        .stdout(predicate::str::contains("```tap"));
}

#[test]
fn non_utf8_file_is_e008() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "latin1.tap", b"# caf\xe9\nplatform p {\n}\n");
    tapc()
        .arg("check")
        .arg(&path)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("E008"));
    let (status, doc) = json_of(tapc().args(["check", "--format", "json"]).arg(&path));
    assert_eq!(status, 1);
    assert_eq!(codes(&doc), ["E008"]);
    let d = &doc["diagnostics"][0];
    assert_eq!(
        (d["offset"].as_u64(), d["line"].as_u64()),
        (Some(5), Some(1))
    );
    assert_eq!(d["column"].as_u64(), Some(6));
}

#[test]
fn json_is_one_document_with_every_field() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "errors.tap", ERRORS);
    let (status, doc) = json_of(tapc().args(["check", "--format", "json"]).arg(&path));
    assert_eq!(status, 1);
    assert_eq!(doc["format_version"], "1");
    let diagnostics = doc["diagnostics"].as_array().unwrap();
    assert!(!diagnostics.is_empty());
    let count = |s: &str| diagnostics.iter().filter(|d| d["severity"] == s).count();
    assert_eq!(doc["errors"].as_u64(), Some(count("error") as u64));
    assert_eq!(doc["warnings"].as_u64(), Some(count("warning") as u64));
    assert!(count("error") >= 2);
    let file = path.display().to_string();
    for d in diagnostics {
        let code = d["code"].as_str().unwrap();
        assert!(tapc::explain::text(code).is_some(), "{code}");
        assert!(["error", "warning"].contains(&d["severity"].as_str().unwrap()));
        assert!(!d["message"].as_str().unwrap().is_empty());
        assert_eq!(d["file"], file.as_str());
        for key in ["offset", "length"] {
            assert!(d[key].is_u64(), "{key} in {d}");
        }
        for key in ["line", "column"] {
            assert!(d[key].as_u64().unwrap() >= 1, "{key} in {d}");
        }
        assert!(d["help"].is_string() || d["help"].is_null());
        let labels = d["labels"].as_array().unwrap();
        assert!(!labels.is_empty(), "{d}");
        assert_eq!(labels[0]["primary"], true);
        assert_eq!(labels[0]["offset"], d["offset"]);
        for l in labels {
            let end = l["offset"].as_u64().unwrap() + l["length"].as_u64().unwrap();
            assert!(end as usize <= ERRORS.len(), "{l}");
            assert!(l["message"].is_string() && l["line"].as_u64().unwrap() >= 1);
        }
    }
    // The missing `trigger` is reported at the platform's name, line 1 column 10.
    let missing = diagnostics.iter().find(|d| d["code"] == "E316").unwrap();
    assert_eq!(
        (missing["line"].as_u64(), missing["column"].as_u64()),
        (Some(1), Some(10))
    );
    assert_eq!(missing["offset"].as_u64(), Some(9));
}

#[test]
fn json_of_a_clean_program_has_no_diagnostics() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "valid.tap", VALID);
    let (status, doc) = json_of(tapc().args(["check", "--format", "json"]).arg(&path));
    assert_eq!(status, 0);
    assert_eq!(doc["errors"], 0);
    assert_eq!(doc["warnings"], 0);
    assert_eq!(doc["diagnostics"], Json::Array(Vec::new()));
}

#[test]
fn param_overrides_a_default() {
    tapc()
        .args(["check", "examples/trading.tap", "--param", "suffix=prod"])
        .assert()
        .success()
        .stdout(predicate::str::contains("RTO budget"));
    // The value reaches the generated names, and the error says where it came from.
    let (status, doc) = json_of(tapc().args([
        "check",
        "--format",
        "json",
        "examples/trading.tap",
        "--param",
        "suffix=Prod_Env",
    ]));
    assert_eq!(status, 1);
    assert!(codes(&doc).contains(&"E601"), "{doc}");
    assert!(doc.to_string().contains("--param suffix=Prod_Env"), "{doc}");
}

#[test]
fn param_of_the_wrong_type_is_e201() {
    let (status, doc) = json_of(tapc().args([
        "check",
        "--format",
        "json",
        "examples/trading.tap",
        "--param",
        "log_retention=abc",
    ]));
    assert_eq!(status, 1);
    let e201 = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "E201")
        .unwrap_or_else(|| panic!("no E201 in {doc}"));
    assert!(
        e201["message"].as_str().unwrap().contains("(from --param)"),
        "{e201}"
    );
    // The help says what to type on the command line.
    assert_eq!(
        e201["help"], "give a duration, e.g. `--param log_retention=7d`",
        "{e201}"
    );
    tapc()
        .args([
            "check",
            "examples/trading.tap",
            "--param",
            "log_retention=14d",
        ])
        .assert()
        .success();
}

#[test]
fn version_and_help() {
    tapc()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::contains(env!("CARGO_PKG_VERSION")));
    tapc()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("check"))
        .stdout(predicate::str::contains("explain"));
    tapc()
        .args(["check", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--deny"));
}

#[test]
fn several_files_at_once() {
    tapc()
        .args(["check", "examples/trading.tap", "examples/minimal.tap"])
        .assert()
        .success()
        .stdout(predicate::str::contains("platform trading"))
        .stdout(predicate::str::contains("platform minimal"));

    let dir = TempDir::new().unwrap();
    let bad = write(&dir, "errors.tap", ERRORS);
    let warns = write(&dir, "warns.tap", WARNS);
    tapc()
        .args(["check", "examples/minimal.tap"])
        .arg(&bad)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("platform minimal"))
        .stderr(predicate::str::contains("errors.tap"));
    let (status, doc) = json_of(
        tapc()
            .args(["check", "--format", "json"])
            .arg(&bad)
            .arg(&warns),
    );
    assert_eq!(status, 1);
    let files: std::collections::BTreeSet<&str> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    let shown = |p: &Path| p.display().to_string();
    assert_eq!(
        files,
        [shown(&bad), shown(&warns)]
            .iter()
            .map(String::as_str)
            .collect()
    );
    assert_eq!(doc["warnings"], 1);
    // A missing file among several is an I/O error (exit status 2), and the
    // others are still checked (tests/stdin.rs has the details).
    tapc()
        .args(["check", "examples/minimal.tap"])
        .arg(dir.path().join("nope.tap"))
        .assert()
        .code(2)
        .stdout(predicate::str::contains("platform minimal"))
        .stderr(predicate::str::contains("nope.tap"));
}

/// A rule broken by a `--param` value is reported with the param, and the help
/// fixes the command line, not the program.
#[test]
fn rule_broken_by_a_param_names_the_command_line() {
    let dir = TempDir::new().unwrap();
    let program = VALID.replace(
        "platform",
        "param pg: string = \"16.8\"\n\nplatform",
    ) + "\nservice ledger: aurora_postgres {\n  version = pg\n}\n\nreplicate ledger -> us-west-2\n";
    let path = write(&dir, "param.tap", &program);
    tapc().arg("check").arg(&path).assert().success();
    let (status, doc) = json_of(
        tapc()
            .args(["check", "--format", "json"])
            .arg(&path)
            .args(["--param", "pg=postgres16"]),
    );
    assert_eq!(status, 1);
    let e222 = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "E222")
        .unwrap_or_else(|| panic!("no E222 in {doc}"));
    assert!(
        e222["message"]
            .as_str()
            .unwrap()
            .contains("--param pg=postgres16"),
        "{e222}"
    );
    assert!(
        e222["help"]
            .as_str()
            .unwrap()
            .contains("`--param pg=16.15`"),
        "{e222}"
    );
}

/// A program of `n` params without a value: E106 (it has no platform), then
/// one E202 per param, `p{i}` on line `i + 1`.
fn params_without_value(n: usize) -> String {
    (0..n).map(|i| format!("param p{i}: int\n")).collect()
}

/// A platform of `n` Aurora services of one instance each: one W205 each, and
/// W601 (nobody is notified).
fn single_instance_databases(n: usize) -> String {
    let mut src = String::from(
        "platform big {\n  rto = 1h\n  rpo = 5m\n  trigger = 1m\n}\n\
         region us-east-1 {\n  role = primary\n  cidr = 10.0.0.0/16\n}\n\
         region us-west-2 {\n  role = secondary\n  cidr = 10.1.0.0/16\n}\n",
    );
    for i in 0..n {
        src.push_str(&format!(
            "service db{i}: aurora_postgres {{\n  version = \"14.6\"\n  instances = 1\n}}\n\
             replicate db{i} -> us-west-2\n"
        ));
    }
    src
}

/// Past `MAX_DIAGNOSTICS` the rest are counted, not shown: one E011 with their
/// number, labelled at the first of them, in every format; the totals and the
/// exit status are those of every diagnostic.
#[test]
fn diagnostics_past_the_cap_are_counted_in_one_e011() {
    let cap = tapc::diag::MAX_DIAGNOSTICS;
    let n = 1_500;
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "many.tap", params_without_value(n));
    let (status, doc) = json_of(tapc().args(["check", "--format", "json"]).arg(&path));
    assert_eq!(status, 1);
    assert_eq!(doc["errors"], n + 1, "E106 and every E202, shown or not");
    assert_eq!(doc["warnings"], 0);
    let found = codes(&doc);
    assert_eq!(found.len(), cap + 1);
    assert_eq!(found[0], "E106");
    assert!(found[1..cap].iter().all(|&c| c == "E202"), "{found:?}");
    let e011 = &doc["diagnostics"][cap];
    assert_eq!(e011["code"], "E011");
    assert_eq!(
        e011["message"],
        format!("{} more errors in this program are not shown", n + 1 - cap)
    );
    // E106 and the E202 of p0 to p998 are shown: p999, on line 1000, is not.
    assert_eq!(e011["line"], cap);
    let first = e011["offset"].as_u64().unwrap() as usize;
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text[first..].starts_with(&format!("p{}:", cap - 1)));

    // Run where the file is, so that the snapshot names it the same each time.
    let out = tapc()
        .current_dir(dir.path())
        .args(["check", "many.tap"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let headers = |code: &str| stderr.lines().filter(|l| *l == code).count();
    assert_eq!((headers("E202"), headers("E011")), (cap - 1, 1));
    let summary = &stderr[stderr.rfind("\nE011\n").unwrap() + 1..];
    insta::assert_snapshot!(summary);

    let sarif = tapc()
        .args(["check", "--format", "sarif"])
        .arg(&path)
        .output()
        .unwrap();
    let sarif: Json = serde_json::from_slice(&sarif.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), cap + 1);
    assert_eq!(results[cap]["ruleId"], "E011");

    for (format, lines) in [("github", cap + 1), ("gitlab", 0)] {
        let out = tapc()
            .args(["check", "--format", format])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        if format == "github" {
            assert_eq!(stdout.lines().count(), lines);
        } else {
            let issues: Json = serde_json::from_str(&stdout).unwrap();
            assert_eq!(issues.as_array().unwrap().len(), cap + 1);
        }
    }
}

/// The cap applies after `--allow` and `--deny`: warnings past it still pass
/// the check, and fail it under `--deny warnings`, counted as errors.
#[test]
fn warnings_past_the_cap_follow_allow_and_deny() {
    let cap = tapc::diag::MAX_DIAGNOSTICS;
    let n = 1_100;
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "warns.tap", single_instance_databases(n));
    let run = |flags: &[&str]| {
        json_of(
            tapc()
                .args(["check", "--format", "json"])
                .args(flags)
                .arg(&path),
        )
    };

    let (status, doc) = run(&[]);
    assert_eq!(status, 0);
    assert_eq!(
        (doc["errors"].clone(), doc["warnings"].clone()),
        (0.into(), (n + 1).into())
    );
    assert_eq!(codes(&doc).len(), cap + 1);
    // Warnings only: the summary is a warning too (a passing check shows no error).
    assert_eq!(doc["diagnostics"][cap]["code"], "W011");
    assert_eq!(doc["diagnostics"][cap]["severity"], "warning");
    assert_eq!(
        doc["diagnostics"][cap]["message"],
        format!(
            "{} more warnings in this program are not shown",
            n + 1 - cap
        )
    );

    let (status, doc) = run(&["--deny", "warnings"]);
    assert_eq!(status, 1);
    assert_eq!(
        (doc["errors"].clone(), doc["warnings"].clone()),
        ((n + 1).into(), 0.into())
    );
    assert_eq!(doc["diagnostics"][cap]["code"], "E011");
    assert_eq!(
        doc["diagnostics"][cap]["message"],
        format!("{} more errors in this program are not shown", n + 1 - cap)
    );

    let (status, doc) = run(&["--allow", "W205"]);
    assert_eq!(status, 0);
    assert_eq!(codes(&doc), ["W601"]);
}
