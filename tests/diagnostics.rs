//! Every program under `tests/bad/` is checked, and lowered if it checks, and the
//! diagnostics as a user sees them (no colour) are snapshotted with the source. A program whose
//! first line contains `# json` is also snapshotted as `--format json`.
//! A program under `tests/bad/` must produce at least one diagnostic with a code.

use tapc::diag::{render_human, render_json, Report, SourceFile};

fn diagnose(path: &std::path::Path) -> (SourceFile, Vec<tapc::diag::Diagnostic>) {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(path).unwrap();
    let file = SourceFile::new(name, text);
    let mut checked = tapc::check_source(&file, &[]).expect("no usage error");
    if let Some(model) = &checked.model {
        if let Err(lowering) = tapc::lower::lower(model) {
            checked.diagnostics.extend(lowering);
        }
    }
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

/// A UTF-8 byte-order mark at the start is skipped: the program checks as without
/// it, offsets stay offsets in the file as read (3 bytes later) and columns are
/// those an editor shows (the mark is not counted).
#[test]
fn a_leading_byte_order_mark_is_skipped() {
    let program = "platform Trading {\n  rto = 5m\n  rpo = 1m\n  trigger = 1m\n}\n";
    let plain = SourceFile::new("a.tap", program);
    let marked = SourceFile::new("a.tap", format!("\u{FEFF}{program}"));
    let a = tapc::check_source(&plain, &[]).unwrap().diagnostics;
    let b = tapc::check_source(&marked, &[]).unwrap().diagnostics;
    assert!(!a.is_empty());
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!((x.code, &x.message, &x.help), (y.code, &y.message, &y.help));
        assert_eq!(x.primary_span().start + 3, y.primary_span().start);
        assert_eq!(
            plain.line_col(x.primary_span().start),
            marked.line_col(y.primary_span().start)
        );
    }
}

/// Characters a terminal shows as nothing (or that reorder the text around
/// them), put anywhere in a program, never reach a message, label or help as
/// they are: every quote of the source goes through `diag::quote`.
#[test]
fn invisible_characters_are_escaped_in_every_message() {
    let program = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad/check/azs_1.tap"),
    )
    .unwrap();
    let invisible = [
        '\u{FEFF}',
        '\u{200B}',
        '\u{200D}',
        '\u{202E}',
        '\u{2066}',
        '\u{00AD}',
        '\u{0007}',
        '\u{001B}',
        '\u{00A0}',
        '\u{2028}',
        '\u{E0041}',
    ];
    // After a name, inside a string and a map key, at the start of a line, in a unit.
    let places: Vec<usize> = [
        "rto",
        "\"trading",
        "project",
        "\nservice",
        "1m",
        "\"sessionId",
    ]
    .iter()
    .filter_map(|p| program.find(p).map(|i| i + p.len()))
    .collect();
    assert_eq!(places.len(), 6);
    for c in invisible {
        for &at in &places {
            let text = format!("{}{c}{}", &program[..at], &program[at..]);
            let file = SourceFile::new("x.tap", text);
            let checked = tapc::check_source(&file, &[]).unwrap();
            for d in &checked.diagnostics {
                let texts = std::iter::once(&d.message)
                    .chain(d.labels.iter().map(|l| &l.text))
                    .chain(d.help.as_ref());
                for t in texts {
                    assert!(
                        !t.chars().any(tapc::diag::is_invisible),
                        "U+{:04X} at {at}: {} shows it raw: {t:?}",
                        u32::from(c),
                        d.code
                    );
                }
            }
        }
    }
}

#[test]
fn quote_names_invisible_characters() {
    use tapc::diag::quote;
    assert_eq!(quote("cpu"), "`cpu`");
    assert_eq!(quote("\u{FEFF}"), "U+FEFF");
    assert_eq!(quote("\u{200B}\u{200B}"), "U+200B U+200B");
    assert_eq!(quote("a\u{202E}b"), "`a<U+202E>b`");
    assert_eq!(quote("x\u{1B}[31m"), "`x<U+001B>[31m`");
}
