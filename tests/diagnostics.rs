//! Every program under `tests/bad/` is checked (which lowers it if it checks), and the
//! diagnostics as a user sees them (no colour) are snapshotted with the source. A program whose
//! first line contains `# json` is also snapshotted as `--format json`.
//!
//! Each program under `tests/bad/` is the smallest one that shows its diagnostic, and says
//! which codes it shows in a line `# expect: E204` (its first line, or its second after a
//! `# json` line; several codes separated by spaces). It must report each of them and no
//! other code (`bad_programs_report_only_what_they_expect`), so that no fixture fills its
//! snapshot with warnings unrelated to what it is named for: start a new one from
//! `tests/good/minimal.tap`, and add only what the diagnostic needs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use tapc::diag::{render_human, render_json, Report, SourceFile};

/// The `.tap` files under `tests/DIR`, sorted.
fn programs_under(dir: &str) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(dir)];
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
    assert!(!paths.is_empty(), "no programs under tests/{dir}");
    paths
}

fn diagnose(path: &std::path::Path) -> (SourceFile, Vec<tapc::diag::Diagnostic>) {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(path).unwrap();
    let file = SourceFile::new(name, text);
    // Checking lowers the program in memory too (E602, E603).
    let checked =
        tapc::check_source(&file, tapc::Given::command_line(&[])).expect("no usage error");
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
        let report = [Report::single(&file, &diagnostics)];
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
    let mut failures = String::new();
    for path in &programs_under("good") {
        let (file, diagnostics) = diagnose(path);
        if diagnostics
            .iter()
            .any(|d| d.severity == tapc::diag::Severity::Error)
        {
            let report = [Report::single(&file, &diagnostics)];
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

/// What is wrong with the codes a program under `tests/bad/` reports, against
/// its `# expect:` line: a code it does not expect, or one it expects and does
/// not report; or the line missing, repeated or not at the top.
fn expectation_errors(text: &str, reported: &[&str]) -> Vec<String> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter_map(|(i, l)| {
            Some((
                i,
                l.trim_start_matches('\u{FEFF}').strip_prefix("# expect:")?,
            ))
        })
        .collect();
    let [(at, line)] = lines.as_slice() else {
        return vec![format!("{} `# expect:` lines, one wanted", lines.len())];
    };
    let after_json = text.lines().next().is_some_and(|l| l.contains("# json"));
    if *at != usize::from(after_json) {
        return vec![format!(
            "`# expect:` on line {}, wanted on line {}",
            at + 1,
            usize::from(after_json) + 1
        )];
    }
    let expected: BTreeSet<&str> = line.split_whitespace().collect();
    let reported: BTreeSet<&str> = reported.iter().copied().collect();
    let mut errors: Vec<String> = reported
        .difference(&expected)
        .map(|c| format!("reports {c}, which its `# expect:` line does not list"))
        .collect();
    errors.extend(
        expected
            .difference(&reported)
            .map(|c| format!("expects {c}, which it does not report")),
    );
    errors
}

/// Every program under `tests/bad/` reports exactly the codes of its
/// `# expect:` line (see the top of this file).
#[test]
fn bad_programs_report_only_what_they_expect() {
    let mut failures = Vec::new();
    for path in programs_under("bad") {
        let (file, diagnostics) = diagnose(&path);
        let codes: Vec<&str> = diagnostics.iter().map(|d| d.code).collect();
        for error in expectation_errors(&file.text, &codes) {
            failures.push(format!("{}: {error}", path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_expectation_check_finds_strays_and_missing_codes() {
    let text = "# expect: E204 W402\nplatform p {}\n";
    assert!(expectation_errors(text, &["W402", "E204", "E204"]).is_empty());
    assert_eq!(
        expectation_errors(text, &["E204", "W601", "W402"]),
        ["reports W601, which its `# expect:` line does not list"]
    );
    assert_eq!(
        expectation_errors(text, &["E204"]),
        ["expects W402, which it does not report"]
    );
    assert_eq!(
        expectation_errors("platform p {}\n", &["E202"]),
        ["0 `# expect:` lines, one wanted"]
    );
    assert_eq!(
        expectation_errors("# About E204.\n# expect: E204\n", &["E204"]),
        ["`# expect:` on line 2, wanted on line 1"]
    );
    assert!(expectation_errors("# json\n# expect: E204\n", &["E204"]).is_empty());
}

/// A UTF-8 byte-order mark at the start is skipped: the program checks as without
/// it, offsets stay offsets in the file as read (3 bytes later) and columns are
/// those an editor shows (the mark is not counted).
#[test]
fn a_leading_byte_order_mark_is_skipped() {
    let program = "platform Trading {\n  rto = 5m\n  rpo = 1m\n  trigger = 1m\n}\n";
    let plain = SourceFile::new("a.tap", program);
    let marked = SourceFile::new("a.tap", format!("\u{FEFF}{program}"));
    let a = tapc::check_source(&plain, tapc::Given::command_line(&[]))
        .unwrap()
        .diagnostics;
    let b = tapc::check_source(&marked, tapc::Given::command_line(&[]))
        .unwrap()
        .diagnostics;
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
/// them), put anywhere in the reference program, never reach a message, label or help as
/// they are (every quote of the source goes through `diag::quote`), nor the
/// source lines a report shows.
#[test]
fn invisible_characters_are_escaped_in_every_message() {
    let program = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/good/trading.tap"),
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
            let checked = tapc::check_source(&file, tapc::Given::command_line(&[])).unwrap();
            // Nor does the source shown in a report: no escape sequence or bidi
            // control reaches the terminal.
            let report = [Report::single(&file, &checked.diagnostics)];
            let shown = render_human(&report, false);
            assert!(
                !shown
                    .chars()
                    .any(|c| c != '\n' && tapc::diag::is_invisible(c)),
                "U+{:04X} at {at} is printed raw:\n{shown}",
                u32::from(c)
            );
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

/// The diagnostics of every program in the corpus: `tests/bad/**` and every
/// ```tap block of every `tapc explain` entry.
fn corpus_diagnostics() -> Vec<(String, tapc::diag::Diagnostic)> {
    let mut out = Vec::new();
    for path in programs_under("bad") {
        let (_, diagnostics) = diagnose(&path);
        let name = path.display().to_string();
        out.extend(diagnostics.into_iter().map(|d| (name.clone(), d)));
    }
    for (code, text) in tapc::explain::CODES {
        for (i, block) in text.split("```tap\n").skip(1).enumerate() {
            let src = &block[..block.find("```").unwrap()];
            let file = SourceFile::new("example.tap", src);
            let checked = tapc::check_source(&file, tapc::Given::command_line(&[])).unwrap();
            let name = format!("{code}.md example {}", i + 1);
            out.extend(checked.diagnostics.into_iter().map(|d| (name.clone(), d)));
        }
    }
    out
}

/// The backticked pieces of a help line.
fn backticked(help: &str) -> Vec<&str> {
    help.split('`').skip(1).step_by(2).collect()
}

/// `text` with the placeholder `...` filled in where it stands outside a
/// string: `{ ... }` is an empty block, `= ...` a value, `, ...` more of the same.
fn fill_placeholders(text: &str) -> String {
    let mut out = String::new();
    let mut in_string = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '"' {
            in_string = !in_string;
        }
        if !in_string && rest.starts_with("...") {
            let before = out.trim_end();
            if before.ends_with('{') && rest[3..].trim_start().starts_with('}') {
                out.truncate(before.len());
                out.push(' ');
            } else if before.ends_with(',') {
                out.truncate(before.len() - 1);
            } else {
                out.push('x');
            }
            rest = &rest[3..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Why a backticked piece of a help line is not valid `.tap` where it is
/// suggested, following the convention in `src/diag.rs`.
fn invalid_code(piece: &str) -> Option<String> {
    let code = fill_placeholders(piece);
    // The line that opens a block (`platform trading {`) is closed here.
    let code = match code.ends_with('{') && code.len() > 1 {
        true => format!("{code}\n}}"),
        false => code,
    };
    let first = code.split([' ', ':']).next().unwrap_or("");
    let after_name = code
        .trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        .trim_start();
    let program = if tapc::syntax::KEYWORDS.contains(&first) && code.contains(' ') {
        code.clone() // an item
    } else if first != code && (after_name.starts_with('=') || after_name.starts_with('{')) {
        format!("platform x {{\n{code}\n}}\n") // an attribute or a block, in a body
    } else if code.len() > 1
        && (code.starts_with(['"', '['])
            || code.starts_with("{ ")
            || code.starts_with(|c: char| c.is_ascii_digit()))
    {
        return tapc::syntax::parse_literal(&code)
            .is_none()
            .then(|| "not a value".to_string());
    } else {
        return None; // a name or a token
    };
    let (_, errors) = tapc::syntax::parse(&program);
    errors.first().map(|d| d.message.clone())
}

/// Every backticked piece of code in every help line of the corpus parses where
/// it is suggested: no one-line blocks with two attributes, no broken values.
#[test]
fn help_lines_suggest_valid_code() {
    let mut failures = Vec::new();
    for (name, d) in corpus_diagnostics() {
        let Some(help) = &d.help else { continue };
        for piece in backticked(help) {
            if let Some(why) = invalid_code(piece) {
                failures.push(format!("{name}: {} help `{piece}`: {why}", d.code));
            }
        }
    }
    failures.sort();
    failures.dedup();
    assert!(
        failures.is_empty(),
        "help lines with invalid code:\n{}",
        failures.join("\n")
    );
}

#[test]
fn the_help_line_check_knows_bad_code() {
    assert_eq!(invalid_code("cidr = 10.0.0.0/16"), None);
    assert_eq!(
        invalid_code("replicate documents -> us-west-2 { lag = 5m }"),
        None
    );
    assert_eq!(invalid_code("service api: fargate { ... }"), None);
    assert_eq!(
        invalid_code("certificates = { us-east-1 = \"arn:aws:acm:...\", ... }"),
        None
    );
    assert_eq!(invalid_code("->"), None);
    assert_eq!(invalid_code("platform trading {"), None);
    assert!(invalid_code("health { path = \"/\" interval = 10s }").is_some());
    assert!(invalid_code("region us-east-1 { role = primary  cidr = 10.0.0.0/16 }").is_some());
    assert!(invalid_code("cpu = 1 vCPU").is_some());
    assert!(invalid_code("2.5GiB").is_some());
}

/// The fix a help suggests for a value is the right one: put in place of the
/// line (an attribute) or of the value, the program checks without errors.
#[test]
fn suggested_values_fix_the_program() {
    let program = |line: &str| {
        // The line replaces the default it sets.
        let name = line.split('=').next().unwrap().trim();
        let defaults: String = ["cpu = 1024", "memory = 4GiB"]
            .iter()
            .filter(|d| !d.starts_with(&format!("{name} ")))
            .map(|d| format!("  {d}\n"))
            .collect();
        format!(
            "platform p {{\n  rto = 15m\n  rpo = 5m\n  trigger = 1m\n}}\n\
             region us-east-1 {{\n  role = primary\n  cidr = 10.0.0.0/16\n}}\n\
             region us-west-2 {{\n  role = secondary\n  cidr = 10.1.0.0/16\n}}\n\
             service api: fargate {{\n  image = \"amazon/amazon-ecs-sample\"\n{defaults}  {line}\n}}\n"
        )
    };
    let errors = |src: String| {
        let file = SourceFile::new("fix.tap", src);
        let checked = tapc::check_source(&file, tapc::Given::command_line(&[])).unwrap();
        checked
            .diagnostics
            .into_iter()
            .filter(|d| d.severity == tapc::diag::Severity::Error)
            .collect::<Vec<_>>()
    };
    for line in [
        "cpu = 0.5",
        "cpu = 1 vCPU",
        "cpu = 2 cores",
        "memory = 2048",
        "memory = 2",
        "memory = 3072",
        "memory = 3 GB",
        "logs = 7 days",
    ] {
        let found = errors(program(line));
        let help = match found.as_slice() {
            [d] => d.help.clone().unwrap_or_default(),
            _ => panic!("`{line}`: expected one error, got {found:?}"),
        };
        // The pieces that are code to put in: attributes and values, not names.
        let pieces: Vec<&str> = backticked(&help)
            .into_iter()
            .filter(|p| p.contains('=') || p.starts_with(|c: char| c.is_ascii_digit()))
            .collect();
        assert!(!pieces.is_empty(), "`{line}`: no fix in {help:?}");
        for piece in pieces {
            let fixed = match piece.contains('=') {
                true => piece.to_string(),
                false => format!("{} = {piece}", line.split('=').next().unwrap().trim()),
            };
            let after = errors(program(&fixed));
            assert!(
                after.is_empty(),
                "`{line}`: the help {help:?} suggests `{fixed}`, which reports {after:?}"
            );
        }
    }
}

/// Every text of `d`: message, labels and help.
fn texts(d: &tapc::diag::Diagnostic) -> Vec<&str> {
    let mut out = vec![d.message.as_str()];
    out.extend(d.labels.iter().map(|l| l.text.as_str()));
    out.extend(d.help.as_deref());
    out
}

/// What a user types to give a param a value is the caller's word, not the
/// checker's (tapc's command line says `--param`): checked with another, every
/// message about a param's given value (E202, E201, E203, E601 through the
/// `suffix` param, E222 and its fix) says that one, and none says `--param`.
#[test]
fn how_a_param_is_given_is_the_callers_word() {
    let diagnostics = |text: String, values: &[(String, String)]| {
        let file = SourceFile::new("p.tap", text);
        let checked = tapc::check_source(
            &file,
            tapc::Given {
                values,
                how: "--define",
            },
        )
        .expect("declared params");
        for d in &checked.diagnostics {
            for text in texts(d) {
                assert!(!text.contains("--param"), "{}: {text}", d.code);
            }
        }
        checked.diagnostics
    };
    let find = |ds: &[tapc::diag::Diagnostic], code: &str| {
        ds.iter()
            .find(|d| d.code == code)
            .unwrap_or_else(|| panic!("no {code} in {ds:?}"))
            .clone()
    };
    let minimal = || std::fs::read_to_string("tests/good/minimal.tap").unwrap();
    let set = |name: &str, value: &str| [(name.to_string(), value.to_string())];

    let e202 = find(
        &diagnostics(format!("param suffix: string\n\n{}", minimal()), &[]),
        "E202",
    );
    assert_eq!(e202.labels[0].text, "no default and not set with --define");
    assert_eq!(
        e202.help.as_deref(),
        Some("give it a default (`param suffix: string = ...`) or pass `--define suffix=VALUE`")
    );

    let program = format!("param retention: duration = 7d\n\n{}", minimal());
    let e201 = find(&diagnostics(program, &set("retention", "abc")), "E201");
    assert!(e201.message.ends_with("`abc` (from --define)"), "{e201:?}");
    assert_eq!(
        e201.help.as_deref(),
        Some("give a duration, e.g. `--define retention=7d`")
    );

    let trading = || std::fs::read_to_string("examples/trading.tap").unwrap();
    let e203 = find(&diagnostics(trading(), &set("log_retention", "2d")), "E203");
    assert!(
        e203.message
            .starts_with("`2d` (from --define log_retention=2d)"),
        "{e203:?}"
    );
    let e601 = find(&diagnostics(trading(), &set("suffix", "Prod_Env")), "E601");
    assert!(
        e601.labels.iter().any(|l| l
            .text
            .contains("param `suffix` (set with --define suffix=Prod_Env)")),
        "{e601:?}"
    );

    let program = format!(
        "param pg: string = \"16.8\"\n\n{}\nservice ledger: aurora_postgres {{\n  version = pg\n}}\n\nreplicate ledger -> us-west-2\n",
        minimal()
    );
    // Its default is a valid version: the value given is what breaks the rule.
    assert!(diagnostics(program.clone(), &[])
        .iter()
        .all(|d| d.code != "E222"));
    let e222 = find(&diagnostics(program, &set("pg", "postgres16")), "E222");
    assert!(
        e222.message.contains("(from --define pg=postgres16)"),
        "{e222:?}"
    );
    assert!(
        e222.help
            .as_deref()
            .unwrap()
            .contains("`--define pg=16.15`"),
        "{e222:?}"
    );
}
