//! Programs in several files (`import`, LANGUAGE.md 4.2). Each directory under
//! `tests/imports/` is a program whose root is `main.tap` (`platform.tap` for
//! the cycle); its diagnostics are snapshotted in the human, JSON and SARIF
//! formats, each of which must name the file a diagnostic belongs to.

use std::path::Path;

use assert_cmd::Command;
use tapc::diag::{render_human, render_json, render_sarif};

/// The program rooted at `tests/imports/CASE/ROOT`, named relative to the
/// repository's root (the current directory of tests) as a user would name it.
fn check(case: &str, root: &str) -> tapc::Program {
    let path = Path::new("tests/imports").join(case).join(root);
    tapc::check_path(&path, tapc::Given::command_line(&[])).expect("the root file is readable")
}

fn snapshot(case: &str, root: &str) {
    let program = check(case, root);
    let report = [program.report()];
    insta::assert_snapshot!(format!("{case}_human"), render_human(&report, false));
    insta::assert_snapshot!(
        format!("{case}_json"),
        format!("{:#}", render_json(&report))
    );
    // The results only: the rest names the machine's current directory.
    let sarif = render_sarif(&report);
    insta::assert_snapshot!(
        format!("{case}_sarif"),
        format!("{:#}", sarif["runs"][0]["results"])
    );
}

#[test]
fn a_name_declared_in_two_files_is_reported_at_both() {
    let program = check("duplicate", "main.tap");
    let d = &program.checked.diagnostics;
    assert_eq!(d.len(), 1, "{d:?}");
    let files: Vec<&str> = d[0]
        .labels
        .iter()
        .map(|l| program.files[l.span.file.index()].name.as_str())
        .collect();
    assert_eq!(
        files,
        [
            "tests/imports/duplicate/more.tap",
            "tests/imports/duplicate/main.tap"
        ]
    );
    snapshot("duplicate", "main.tap");
}

#[test]
fn an_import_cycle_is_shown_file_by_file() {
    let program = check("cycle", "platform.tap");
    let codes: Vec<&str> = program.checked.diagnostics.iter().map(|d| d.code).collect();
    assert!(codes.contains(&"E109"), "{codes:?}");
    snapshot("cycle", "platform.tap");
}

#[test]
fn a_missing_import_leaves_the_rest_checked() {
    let program = check("missing", "main.tap");
    let codes: Vec<&str> = program.checked.diagnostics.iter().map(|d| d.code).collect();
    // The misspelt `true` is reported; "no region" and "no secondary" are
    // not, as the missing file may declare them.
    assert_eq!(codes, ["E107", "E201"]);
    snapshot("missing", "main.tap");
}

#[test]
fn an_error_in_an_imported_file_points_into_it() {
    let program = check("error_in_import", "main.tap");
    let d = &program.checked.diagnostics;
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        program.files[d[0].primary_span().file.index()].name,
        "tests/imports/error_in_import/services.tap"
    );
    snapshot("error_in_import", "main.tap");
}

#[test]
fn every_bad_import_path_is_reported_at_its_import() {
    let program = check("bad_paths", "main.tap");
    let codes: Vec<&str> = program.checked.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["E109", "E107", "E107", "E107", "E107"]);
    snapshot("bad_paths", "main.tap");
}

/// `examples/trading.tap` split in three files, one of them imported twice:
/// the same program, so the same templates, manifest and runbook.
#[test]
fn a_split_program_builds_what_the_single_file_builds() {
    let split = check("split", "main.tap");
    assert_eq!(split.files.len(), 3, "dr.tap counts once");
    // Imported by `services/app.tap` as `../dr.tap`, it is named as a user would.
    let names: Vec<&str> = split.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "tests/imports/split/main.tap",
            "tests/imports/split/services/app.tap",
            "tests/imports/split/dr.tap"
        ]
    );
    let one = tapc::check_path(
        Path::new("examples/trading.tap"),
        tapc::Given::command_line(&[]),
    )
    .expect("readable");
    let lower = |p: &tapc::Program| {
        let model = p.checked.model.as_ref().expect("checks");
        tapc::lower::lower(model).expect("lowers").files
    };
    let (a, b) = (lower(&split), lower(&one));
    assert_eq!(a.len(), b.len());
    for ((name_a, text_a), (name_b, text_b)) in a.iter().zip(&b) {
        assert_eq!(name_a, name_b);
        assert!(text_a == text_b, "{name_a} differs");
    }
}

/// An imported file that is not UTF-8 is reported in that file, by its byte
/// offset, and nothing of it is checked.
#[test]
fn an_imported_file_that_is_not_text_is_reported_in_it() {
    let dir = tempfile::TempDir::new().unwrap();
    std::fs::write(dir.path().join("main.tap"), "import \"bin.tap\"\n").unwrap();
    std::fs::write(dir.path().join("bin.tap"), b"service a: s3 {\xff\xfe}\n").unwrap();
    let program =
        tapc::check_path(&dir.path().join("main.tap"), tapc::Given::command_line(&[])).unwrap();
    let d = &program.checked.diagnostics;
    let codes: Vec<&str> = d.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["E008"]);
    assert_eq!(
        program.files[d[0].primary_span().file.index()].text.len(),
        19
    );
    assert_eq!(d[0].primary_span().start, 15);
}

/// The command line: exit status 1, and each format names both files.
#[test]
fn the_command_line_reports_in_the_right_files() {
    let run = |format: &str| {
        Command::cargo_bin("tapc")
            .unwrap()
            .args([
                "check",
                "--format",
                format,
                "tests/imports/duplicate/main.tap",
            ])
            .assert()
            .code(1)
            .get_output()
            .clone()
    };
    let json = String::from_utf8(run("json").stdout).unwrap();
    assert!(json.contains("\"file\": \"tests/imports/duplicate/more.tap\""));
    assert!(json.contains("\"file\": \"tests/imports/duplicate/main.tap\""));
    let github = String::from_utf8(run("github").stdout).unwrap();
    assert!(github.contains("file=tests/imports/duplicate/more.tap,line=2"));
    let human = String::from_utf8(run("human").stderr).unwrap();
    assert!(
        human.contains("[tests/imports/duplicate/more.tap:2:9]"),
        "{human}"
    );
    assert!(
        human.contains("[tests/imports/duplicate/main.tap:19:9]"),
        "{human}"
    );
}

/// `DIR/..` is shortened in a file's name only where it is the same file: not
/// where `DIR` is a symbolic link to a directory elsewhere.
#[cfg(unix)]
#[test]
fn a_parent_after_a_symbolic_link_stays_in_the_name() {
    let dir = tempfile::TempDir::new().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("real/sub")).unwrap();
    std::os::unix::fs::symlink(root.join("real/sub"), root.join("link")).unwrap();
    std::fs::write(root.join("real/x.tap"), "param a: string = \"x\"\n").unwrap();
    std::fs::write(root.join("x.tap"), "param b: string = \"y\"\n").unwrap();
    std::fs::write(root.join("main.tap"), "import \"link/../x.tap\"\n").unwrap();
    let program = tapc::check_path(&root.join("main.tap"), tapc::Given::command_line(&[])).unwrap();
    let name = &program.files[1].name;
    assert!(name.ends_with("link/../x.tap"), "{name}");
    assert!(
        program.files[1].text.contains("param a"),
        "the file the path names"
    );
}
