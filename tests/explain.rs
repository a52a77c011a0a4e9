//! `tapc explain`: every code tapc emits has an explanation and every explanation
//! belongs to a code tapc emits; no explanation is a placeholder; and the
//! examples in them do what they say (the wrong one reports the code, the fix
//! does not).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tapc::diag::{Severity, SourceFile};
use tapc::explain::{self, CODES};

/// Codes whose example cannot go through `check_source`: E008 and E009 are
/// found while reading the file (the examples show bytes Markdown cannot hold,
/// or a file too large to show), E010 needs over 1,000 syntax errors, E011 and
/// W011 over 1,000 diagnostics (see `e011_example_repeated_past_the_cap`), E602,
/// E603, E607 and E609 are found while lowering programs of many services, and
/// E606 and W602 need event patterns of thousands of characters: programs too
/// long to show (see `e602_example_...`).
const NOT_FROM_CHECK: [&str; 12] = [
    "E008", "E009", "E010", "E011", "E109", "E602", "E603", "E606", "E607", "E609", "W011", "W602",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn is_code(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 4 && matches!(b[0], b'E' | b'W') && b[1..].iter().all(u8::is_ascii_digit)
}

/// `(code, severity)` of every `Diagnostic::error("CODE"` / `Diagnostic::warning("CODE"`
/// in `text`, whitespace (and line breaks) allowed before the literal.
fn emitted_in(text: &str) -> Vec<(String, Severity)> {
    let mut out = Vec::new();
    for (call, severity) in [
        ("Diagnostic::error(", Severity::Error),
        ("Diagnostic::warning(", Severity::Warning),
    ] {
        for (at, _) in text.match_indices(call) {
            let rest = text[at + call.len()..].trim_start();
            let Some(lit) = rest.strip_prefix('"') else {
                continue; // a variable, as in `Diagnostic::error(code, ...)`
            };
            let code = &lit[..lit.find('"').expect("closed literal")];
            out.push((code.to_string(), severity));
        }
    }
    out
}

/// Every code-shaped string literal (`"E123"`, `"W123"`) in `text`.
fn literals_in(text: &str) -> Vec<String> {
    text.match_indices('"')
        .filter_map(|(i, _)| text.get(i + 1..i + 6))
        .filter(|s| s.ends_with('"') && is_code(&s[..4]))
        .map(|s| s[..4].to_string())
        .collect()
}

fn sources() -> Vec<(PathBuf, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

#[test]
fn every_emitted_code_is_explained_and_every_explained_code_is_emitted() {
    let known: BTreeSet<&str> = CODES.iter().map(|(c, _)| *c).collect();
    assert_eq!(
        known.len(),
        CODES.len(),
        "a code is listed twice in explain.rs"
    );
    let mut emitted = BTreeSet::new();
    for (path, text) in sources() {
        for (code, severity) in emitted_in(&text) {
            assert!(
                is_code(&code),
                "{}: `{code}` is not a diagnostic code (E123 or W123)",
                path.display()
            );
            let expected = if code.starts_with('E') {
                Severity::Error
            } else {
                Severity::Warning
            };
            assert_eq!(
                severity,
                expected,
                "{}: {code} is emitted as {}; E codes are errors, W codes warnings",
                path.display(),
                severity.as_str()
            );
            assert!(
                known.contains(code.as_str()),
                "{}: {code} is emitted but has no explanation: add src/explain/{code}.md and list it in src/explain.rs",
                path.display()
            );
            emitted.insert(code);
        }
        // Codes passed through a helper are literals too; they must be known.
        if !path.ends_with("src/explain.rs") {
            for code in literals_in(&text) {
                assert!(
                    known.contains(code.as_str()),
                    "{}: {code} appears in the source but has no explanation",
                    path.display()
                );
            }
        }
    }
    // Codes that are data: the stdlib's rules name theirs (`code = E220`), and
    // the rule shapes keep theirs in constants (`const NAME: &str = "E222";`).
    let stdlib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("stdlib/aws.tap"))
            .unwrap();
    for line in stdlib.lines() {
        if let Some(code) = line
            .trim()
            .strip_prefix("code")
            .map(|r| r.trim_start())
            .and_then(|r| r.strip_prefix('='))
        {
            let code = code.trim();
            assert!(
                known.contains(code),
                "stdlib/aws.tap: rule code {code} has no explanation"
            );
            emitted.insert(code.to_string());
        }
    }
    for (_, text) in sources() {
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with("const ") && line.contains(": &str = \"") {
                emitted.extend(literals_in(line));
            }
        }
    }
    let unused: Vec<&&str> = known.iter().filter(|c| !emitted.contains(**c)).collect();
    assert!(
        unused.is_empty(),
        "explained in src/explain/ but emitted nowhere in src/: {unused:?}"
    );
}

/// The ```tap blocks of an explanation.
fn tap_blocks(text: &str) -> Vec<&str> {
    text.split("```tap\n")
        .skip(1)
        .map(|b| &b[..b.find("```").expect("closed code block")])
        .collect()
}

#[test]
fn no_explanation_is_a_placeholder() {
    for (code, text) in CODES {
        let title = text.lines().next().unwrap_or("");
        let prefix = format!("# {code}: ");
        assert!(
            title.starts_with(&prefix),
            "{code}.md must start with `{prefix}summary`, found `{title}`"
        );
        let summary = explain::summary(code).unwrap_or("");
        assert!(
            summary.len() >= 10 && !summary.contains("TBD") && !summary.ends_with('.'),
            "{code}.md: the title needs a real one-line summary (a sentence fragment), found `{summary}`"
        );
        assert!(
            text.lines().count() >= 10,
            "{code}.md: explain what the diagnostic means and why it matters"
        );
        assert!(
            tap_blocks(text).len() >= 2,
            "{code}.md: needs a ```tap example that is wrong and a ```tap fix"
        );
    }
}

/// An explanation that lists the stdlib's kinds (four or more of them, in
/// backticks) lists every stateful kind, and every kind if it lists `fargate`
/// too: a kind added later must not be missing from lists written before it.
#[test]
fn kind_lists_name_every_kind() {
    let kinds = &tapc::stdlib::schema().kinds;
    for (code, text) in CODES {
        let named = |k: &&tapc::stdlib::Kind| text.contains(&format!("`{}`", k.name));
        if kinds.iter().filter(named).count() < 4 {
            continue;
        }
        let all_kinds = text.contains("`fargate`");
        for kind in kinds.iter().filter(|k| all_kinds || k.stateful) {
            assert!(
                named(&kind),
                "{code}.md lists the kinds but not `{}`",
                kind.name
            );
        }
    }
}

/// The top-level items of a program, each keyed by its keyword and name
/// (`service api`), with the lines that follow it.
fn items(src: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in src.lines() {
        let words: Vec<&str> = line.split_whitespace().take(2).collect();
        let starts_item = !line.starts_with(char::is_whitespace)
            && words
                .first()
                .is_some_and(|w| tapc::syntax::KEYWORDS.contains(w));
        if starts_item || out.is_empty() {
            let key = if starts_item {
                words.join(" ").trim_end_matches(':').to_string()
            } else {
                String::new()
            };
            out.push((key, String::new()));
        }
        let last = out.last_mut().expect("pushed above");
        last.1.push_str(line);
        last.1.push('\n');
    }
    out
}

/// The example with the fix's items in place of the example's items of the same
/// name, and the fix's other items added: a fix usually shows only what changes.
fn apply_fix(example: &str, fix: &str) -> String {
    let mut program = items(example);
    for (key, text) in items(fix) {
        match program.iter_mut().find(|(k, _)| !k.is_empty() && *k == key) {
            Some(item) => item.1 = text,
            None => program.push((key, text)),
        }
    }
    program.into_iter().map(|(_, text)| text).collect()
}

fn codes_of(src: &str) -> Vec<&'static str> {
    let file = SourceFile::new("example.tap", src);
    let checked = tapc::check_source(&file, tapc::Given::command_line(&[]))
        .expect("no --param, so no usage error");
    checked.diagnostics.iter().map(|d| d.code).collect()
}

#[test]
fn examples_report_their_code_and_fixes_do_not() {
    for (code, text) in CODES {
        if NOT_FROM_CHECK.contains(code) {
            continue;
        }
        let blocks = tap_blocks(text);
        let (example, fix) = (blocks[0], blocks[blocks.len() - 1]);
        let found = codes_of(example);
        assert!(
            found.contains(code),
            "{code}.md: the first example should report {code}, it reports {found:?}"
        );
        // The fix is either a whole program or the items that replace the example's.
        let alone = codes_of(fix);
        let applied = codes_of(&apply_fix(example, fix));
        assert!(
            !alone.contains(code) || !applied.contains(code),
            "{code}.md: the fix still reports {code}: alone {alone:?}, applied to the example {applied:?}"
        );
    }
}

/// A two-region platform with `services` (source text) added: `errors`.
fn lowered(services: &str) -> Vec<&'static str> {
    errors(&format!(
        "platform big {{\n  rto = 1h\n  rpo = 5m\n  trigger = 1m\n}}\n\
         region us-east-1 {{\n  role = primary\n  cidr = 10.0.0.0/16\n}}\n\
         region us-west-2 {{\n  role = secondary\n  cidr = 10.1.0.0/16\n}}\n{services}"
    ))
}

/// The program `src` checked (which lowers it in memory): the codes of its
/// errors, and W602.
fn errors(src: &str) -> Vec<&'static str> {
    let file = SourceFile::new("big.tap", src);
    let checked = tapc::check_source(&file, tapc::Given::command_line(&[])).unwrap();
    let codes: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error || d.code == "W602")
        .map(|d| d.code)
        .collect();
    let errors = checked
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error);
    assert_eq!(
        errors,
        checked.model.is_none(),
        "a model exactly when there is no error: {codes:?}"
    );
    codes
}

/// E606 and W602's example, written out: detail types whose event pattern is
/// over 4,096 characters, over 2,048, and just within.
#[test]
fn e606_w602_examples_measure_the_event_pattern() {
    let bus = |types: usize| {
        let list: Vec<String> = (0..types)
            .map(|i| format!("\"Trade Executed {i:05}\""))
            .collect();
        format!(
            "service events: eventbridge {{\n  source = \"trading.platform\"\n  detail_types = [{}]\n}}\nreplicate events -> us-west-2 {{ lag = 1m }}\n",
            list.join(", ")
        )
    };
    // `{"source":["trading.platform"],"detail-type":[...],"region":["us-east-1"]}`:
    // 70 characters (the regions' codes are as long) and 23 a type (22
    // quoted, and a comma): 87 types make 2,071, 86 make exactly 2,048; 176
    // make 4,118, 175 make 4,095.
    assert_eq!(lowered(&bus(176)), ["E606"]);
    assert_eq!(lowered(&bus(175)), ["W602"]);
    assert_eq!(lowered(&bus(87)), ["W602"]);
    assert_eq!(lowered(&bus(86)), Vec::<&str>::new());
}

/// `n` services `{name}-{i}` of `kind` (replicated if stateful), and a fargate
/// `api` that needs the first `needs`.
fn many(name: &str, kind: &str, body: &str, n: usize, needs: usize) -> String {
    let list: Vec<String> = (1..=needs).map(|i| format!("{name}-{i:04}")).collect();
    let mut src = format!(
        "service api: fargate {{\n  image = \"amazon/amazon-ecs-sample\"\n  needs = [{}]\n}}\n",
        list.join(", ")
    );
    for i in 1..=n {
        src.push_str(&format!("service {name}-{i:04}: {kind} {{\n  {body}\n}}\n"));
        if kind != "fargate" {
            src.push_str(&format!("replicate {name}-{i:04} -> us-west-2\n"));
        }
    }
    src
}

/// E602's example, written out: 500 `notify` addresses, each subscribed to
/// the lag alarm's topic in the alarm's stack, pass 500 resources. 800 Aurora
/// databases (runbooks past SSM's 64 KB) and 60 fargate services (past 500
/// resources per region) are split, not refused.
#[test]
fn e602_example_exceeds_the_template_size() {
    let notify = |n: usize| {
        let addresses: Vec<String> = (1..=n)
            .map(|i| format!("\"ops-{i:03}@example.com\""))
            .collect();
        let src = format!(
            "platform big {{\n  rto = 1h\n  rpo = 5m\n  trigger = 1m\n  notify = [{}]\n}}\n\
             region us-east-1 {{\n  role = primary\n  cidr = 10.0.0.0/16\n}}\n\
             region us-west-2 {{\n  role = secondary\n  cidr = 10.1.0.0/16\n}}\n\
             service db: aurora_postgres {{\n  version = \"16.8\"\n}}\n\
             replicate db -> us-west-2\n",
            addresses.join(", ")
        );
        errors(&src)
    };
    assert_eq!(notify(500), ["E602"]);
    assert_eq!(notify(400), Vec::<&str>::new());
    let image = "image = \"amazon/amazon-ecs-sample\"";
    assert_eq!(
        lowered(&many("web", "fargate", image, 60, 0)),
        Vec::<&str>::new()
    );
    let aurora = many("db", "aurora_postgres", "version = \"14.6\"", 800, 0);
    assert_eq!(lowered(&aurora), Vec::<&str>::new());
}

/// E607's example, written out: a service needing 400 others passes ECS's
/// limit on its task definition, 300 do not. Thousands pass CloudFormation's
/// 1 MB too.
#[test]
fn e607_example_exceeds_the_task_definition_size() {
    let image = "image = \"amazon/amazon-ecs-sample\"";
    assert_eq!(lowered(&many("web", "fargate", image, 400, 400)), ["E607"]);
    assert_eq!(
        lowered(&many("web", "fargate", image, 400, 300)),
        Vec::<&str>::new()
    );
    assert_eq!(
        lowered(&many("web", "fargate", image, 3_500, 3_500)),
        ["E602", "E602", "E607"]
    );
}

/// E609's example, written out: 1,001 services each pulling from a
/// repository of its own pass ECR's 1,000; 1,000 do not.
#[test]
fn e609_example_exceeds_the_replicated_repositories() {
    let platform = |n: usize| {
        let mut src = String::from(
            "platform big {\n  registry = replicated\n  rto = 1h\n  rpo = 5m\n  trigger = 1m\n}\n\
             region us-east-1 {\n  role = primary\n  cidr = 10.0.0.0/16\n}\n\
             region us-west-2 {\n  role = secondary\n  cidr = 10.1.0.0/16\n}\n",
        );
        for i in 1..=n {
            src.push_str(&format!(
                "service svc-{i:04}: fargate {{\n  image = \"123456789012.dkr.ecr.us-east-1.amazonaws.com/svc-{i:04}:1.0\"\n}}\n"
            ));
        }
        errors(&src)
    };
    assert_eq!(platform(1_001), ["E609"]);
    assert_eq!(platform(1_000), Vec::<&str>::new());
}

/// E603's example, written out: 40 tables pass IAM's policy size, 25 do not.
#[test]
fn e603_example_exceeds_the_policy_size() {
    assert_eq!(
        lowered(&many("t", "dynamodb", "key = \"id\"", 40, 40)),
        ["E603"]
    );
    assert_eq!(
        lowered(&many("t", "dynamodb", "key = \"id\"", 40, 25)),
        Vec::<&str>::new()
    );
}

/// The codes `tapc check` reports for `block` written 1,500 times, numbered
/// (`0001` to `1500`), after `header`: past the cap of 1,000 diagnostics.
fn repeated_past_the_cap(header: &str, block: &str) -> Vec<String> {
    let src: String = (1..=1500)
        .map(|i| block.replace("0001", &format!("{i:04}")))
        .collect();
    let out = Command::cargo_bin("tapc")
        .unwrap()
        .args(["check", "--format", "json", "-"])
        .write_stdin(format!("{header}{src}"))
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

/// W011's example, as its generator wrote it into a platform of two regions:
/// 1,500 warnings and no error; its fix, as many times, has none.
#[test]
fn w011_example_repeated_past_the_cap() {
    let blocks = tap_blocks(explain::text("W011").unwrap());
    let (example, fix) = (blocks[0], blocks[blocks.len() - 1]);
    let header = "platform big {\n  rto = 1h\n  rpo = 5m\n  trigger = 1m\n  notify = [\"oncall@example.com\"]\n}\n\
        region us-east-1 {\n  role = primary\n  cidr = 10.0.0.0/16\n}\n\
        region us-west-2 {\n  role = secondary\n  cidr = 10.1.0.0/16\n}\n";
    let found = repeated_past_the_cap(header, example);
    assert!(found.contains(&"W011".to_string()), "{found:?}");
    assert!(found.iter().all(|c| c.starts_with('W')), "{found:?}");
    assert_eq!(repeated_past_the_cap(header, fix), Vec::<String>::new());
}

/// E011's example, as its generator wrote it: 1,500 times, numbered, past the
/// cap of 1,000 diagnostics; its fix, as many times, has no E011.
#[test]
fn e011_example_repeated_past_the_cap() {
    let blocks = tap_blocks(explain::text("E011").unwrap());
    let (example, fix) = (blocks[0], blocks[blocks.len() - 1]);
    let found = repeated_past_the_cap("", example);
    assert!(found.contains(&"E011".to_string()), "{found:?}");
    assert!(!repeated_past_the_cap("", fix).contains(&"E011".to_string()));
}

#[test]
fn explain_is_case_insensitive() {
    assert_eq!(explain::text("e201"), explain::text("E201"));
    assert!(explain::text("e201").is_some());
    assert_eq!(explain::text("E999"), None);
    for code in ["e201", "E201", "w301"] {
        let out = Command::cargo_bin("tapc")
            .unwrap()
            .args(["explain", code])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8(out).unwrap();
        let want = format!("# {}: ", code.to_ascii_uppercase());
        assert!(
            text.starts_with(&want),
            "`tapc explain {code}` printed {text}"
        );
    }
}

/// The version table ages: the explanations of its findings state its date, and
/// must be updated with it.
#[test]
fn version_explanations_state_the_table_date() {
    let date = tapc::stdlib::schema().engine_versions.as_of;
    for code in ["E223", "E224", "W220", "W221"] {
        let text = explain::text(code).unwrap();
        assert!(
            text.contains(date),
            "{code}.md must state the version table's date {date}"
        );
    }
}

/// Every source key (`[A14]`) of the stdlib and of the explanations is listed,
/// with its address, in `docs/aws-dr.md`: users do not have the reference the
/// keys were first written for.
#[test]
fn every_source_key_is_listed_in_the_docs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let docs = std::fs::read_to_string(root.join("docs/aws-dr.md")).unwrap();
    let mut texts = vec![std::fs::read_to_string(root.join("stdlib/aws.tap")).unwrap()];
    texts.extend(CODES.iter().map(|(_, t)| t.to_string()));
    for text in &texts {
        for (at, _) in text.match_indices('[') {
            let Some(end) = text[at..].find(']') else {
                continue;
            };
            let key = &text[at + 1..at + end];
            let b = key.as_bytes();
            let is_key = (2..=4).contains(&b.len())
                && b[0].is_ascii_uppercase()
                && b[1..].iter().any(u8::is_ascii_digit)
                && b.iter()
                    .skip_while(|c| c.is_ascii_uppercase())
                    .all(u8::is_ascii_digit);
            if is_key {
                assert!(
                    docs.contains(&format!("| [{key}] |")),
                    "[{key}] is used but not listed in docs/aws-dr.md"
                );
            }
        }
    }
}
