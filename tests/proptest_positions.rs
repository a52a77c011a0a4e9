//! Every output names the same place for every diagnostic: JSON's line and
//! column, SARIF's region, and the human report's header (`[file:LINE:COL]`)
//! and gutter, on damaged programs: invalid UTF-8, CR/CRLF/LF mixes, long lines,
//! a byte-order mark, tabs, wide characters and emoji; checked as a program or
//! as a file a program imports, where each place must be in the file named. And
//! nothing panics.

use proptest::prelude::*;
use serde_json::Value;
use tapc::diag::{render_human, render_json, render_sarif, Report, Severity};

mod common;
use common::programs::damaged_program;

/// 256 cases keep the suite fast; `PROPTEST_CASES=100000` searches deeper.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256)
}

/// `[file:LINE:COL]` of every snippet header of a human report.
fn headers(report: &str) -> Vec<(u64, u64)> {
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

/// The line numbers in a human report's gutter.
fn gutter(report: &str) -> Vec<u64> {
    report
        .lines()
        .filter_map(|l| l.split_once(" │")?.0.trim().parse().ok())
        .collect()
}

fn at(v: &Value, line: &str, col: &str) -> (u64, u64) {
    (v[line].as_u64().unwrap(), v[col].as_u64().unwrap())
}

/// `bytes` checked as a program, or as a file the program imports: every
/// output names the same place, in the right file.
fn outputs_agree(bytes: &[u8], imported: bool) -> Result<(), TestCaseError> {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("damaged.tap");
    std::fs::write(&path, bytes).unwrap();
    let root = if imported {
        let root = dir.path().join("main.tap");
        std::fs::write(
            &root,
            "# The program is in the file it imports.\nimport \"damaged.tap\"\n",
        )
        .unwrap();
        root
    } else {
        path.clone()
    };
    let tapc::Program { files, checked, .. } =
        tapc::check_path(&root, tapc::Given::command_line(&[]))
            .map_err(|e| TestCaseError::fail(format!("an I/O or usage error: {e:?}")))?;
    let file = files.last().unwrap();
    prop_assert!(file.name.ends_with("damaged.tap"));
    prop_assert_eq!(file.text.len(), bytes.len(), "offsets must be the file's");
    for d in &checked.diagnostics {
        let one = std::slice::from_ref(d);
        let report = [Report {
            files: &files,
            diagnostics: one,
            hidden: Default::default(),
        }];
        // Each place is in the file the JSON names.
        let named = &files[d.primary_span().file.index()].name;
        prop_assert_eq!(
            &render_json(&report)["diagnostics"][0]["file"],
            named.as_str()
        );
        let json = render_json(&report);
        let sarif = render_sarif(&report);
        let human = render_human(&report, false);
        let j = &json["diagnostics"][0];
        let primary = at(j, "line", "column");
        let labels: Vec<(u64, u64)> = j["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| at(l, "line", "column"))
            .collect();
        let result = &sarif["runs"][0]["results"][0];
        let region = &result["locations"][0]["physicalLocation"]["region"];
        prop_assert_eq!(at(region, "startLine", "startColumn"), primary, "SARIF");
        prop_assert_eq!(
            at(region, "endLine", "endColumn"),
            at(j, "end_line", "end_column")
        );
        prop_assert_eq!(&region["byteOffset"], &j["offset"]);
        for (i, related) in result["relatedLocations"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            let region = &related["physicalLocation"]["region"];
            prop_assert_eq!(at(region, "startLine", "startColumn"), labels[i + 1]);
        }
        let shown = headers(&human);
        prop_assert!(
            shown.contains(&primary),
            "{}: JSON says {:?}, the report's headers {:?}\n{}",
            d.code,
            primary,
            shown,
            human
        );
        for h in &shown {
            prop_assert!(labels.contains(h), "{}: header {:?} is no label", d.code, h);
        }
        let rows = gutter(&human);
        for (line, _) in &labels {
            prop_assert!(
                rows.contains(line),
                "{}: line {} is not in the gutter {:?}",
                d.code,
                line,
                rows
            );
        }
        prop_assert!(!rows.contains(&0), "line 0 in the gutter");
        // Long lines are cut in snippets; syntax errors quote tokens cut short.
        // (Messages of the checker still quote whole names.)
        for row in human
            .lines()
            .filter(|l| l.contains(" │ ") || l.contains(" · "))
        {
            prop_assert!(
                row.chars().count() < 1000,
                "{}: a row of {} characters",
                d.code,
                row.len()
            );
        }
        if d.code.starts_with("E00") {
            prop_assert!(
                human.len() < 16 * 1024,
                "{}: a report of {} bytes",
                d.code,
                human.len()
            );
        }
        prop_assert!(
            !human.contains('\r'),
            "a carriage return reached the report"
        );
    }
    let errors = checked
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error);
    // The model exists exactly when there is no error: exit status 0 or 1.
    prop_assert_eq!(checked.model.is_some(), !errors);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn every_output_names_the_same_place(bytes in damaged_program(), imported in any::<bool>()) {
        outputs_agree(&bytes, imported)?;
    }
}

/// The same through the command line (`build` writes into the temporary
/// directory): no panic, exit status 0 or 1 only.
#[test]
fn damaged_programs_exit_0_or_1() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("damaged.tap");
    let mut runner = TestRunner::deterministic();
    for _ in 0..24 {
        let bytes = damaged_program().new_tree(&mut runner).unwrap().current();
        std::fs::write(&path, &bytes).unwrap();
        for command in ["check", "graph", "build"] {
            let out = assert_cmd::Command::cargo_bin("tapc")
                .unwrap()
                .arg(command)
                .arg(&path)
                .current_dir(dir.path())
                .output()
                .unwrap();
            let code = out.status.code();
            assert!(
                matches!(code, Some(0 | 1)),
                "{command} exited {code:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}
