//! Every program under `tests/bad/` is checked (which lowers it if it checks), and the
//! diagnostics as a user sees them (no colour) are snapshotted with the source. A program whose
//! first line contains `# json` is also snapshotted as `--format json`.
//! A program under `tests/bad/` must produce at least one diagnostic with a code.

use tapc::diag::{render_human, render_json, Report, SourceFile};

fn diagnose(path: &std::path::Path) -> (SourceFile, Vec<tapc::diag::Diagnostic>) {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(path).unwrap();
    let file = SourceFile::new(name, text);
    // Checking lowers the program in memory too (E602, E603).
    let checked = tapc::check_source(&file, &[]).expect("no usage error");
    (file, checked.diagnostics)
}

#[test]
fn bad_programs() {
    insta::glob!("bad/**/*.tap", |path| {
        let (file, diagnostics) = diagnose(path);
        assert!(
            !diagnostics.is_empty(),
            "{} produced no diagnostic",
            path.display()
        );
        let report = [Report {
            file: &file,
            diagnostics: &diagnostics,
        }];
        let human = render_human(&report, false);
        insta::assert_snapshot!(format!("{}\n---\n{human}", file.text));
        if file
            .text
            .lines()
            .next()
            .is_some_and(|l| l.contains("# json"))
        {
            insta::assert_snapshot!(
                format!("{}.json", file.name),
                format!("{:#}", render_json(&report))
            );
        }
    });
}

/// Every program under `tests/good/` is a near miss of some check: it must check
/// and lower without errors (warnings are allowed).
#[test]
fn good_programs() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/good");
    let mut paths = Vec::new();
    let mut dirs = vec![dir];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "tap") {
                paths.push(path);
            }
        }
    }
    paths.sort();
    assert!(!paths.is_empty(), "no programs under tests/good");
    let mut failures = String::new();
    for path in &paths {
        let (file, diagnostics) = diagnose(path);
        if diagnostics
            .iter()
            .any(|d| d.severity == tapc::diag::Severity::Error)
        {
            let report = [Report {
                file: &file,
                diagnostics: &diagnostics,
            }];
            failures.push_str(&format!(
                "{}:\n{}\n",
                path.display(),
                render_human(&report, false)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "good programs with errors:\n{failures}"
    );
}
