//! `tapc build` and `tapc graph` from the outside (LANGUAGE.md sections 6 and 7):
//! what lands on disk, exit statuses, and that a failed build leaves every
//! existing output exactly as it was.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value as Json;
use tempfile::TempDir;

/// Errors: no `trigger` (required) and a service of an unknown kind.
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

service cache: redis {}
";

fn tapc() -> Command {
    let mut cmd = Command::cargo_bin("tapc").expect("the tapc binary");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// `tapc build examples/NAME.tap -o OUT`.
fn build(name: &str, out: &Path) -> Command {
    let mut cmd = tapc();
    cmd.args(["build", &format!("examples/{name}.tap"), "-o"])
        .arg(out);
    cmd
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(format!("{name}.tap"))
}

/// Every entry under `dir` (relative path -> contents; directories as `None`).
fn tree(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in fs::read_dir(&d).expect("readable dir") {
            let path = entry.expect("entry").path();
            let rel = path.strip_prefix(dir).expect("under dir").to_path_buf();
            if path.is_dir() {
                todo.push(path);
                out.insert(rel, None);
            } else {
                out.insert(rel, Some(fs::read(&path).expect("readable file")));
            }
        }
    }
    out
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .expect("readable dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The files the manifest in `dir` says a build wrote, and the marker that
/// lists them, sorted.
fn manifest_files(dir: &Path) -> Vec<String> {
    let manifest: Json =
        serde_json::from_slice(&fs::read(dir.join("manifest.json")).expect("manifest.json"))
            .expect("manifest.json is JSON");
    let mut v: Vec<String> = manifest["stacks"]
        .as_array()
        .expect("stacks")
        .iter()
        .map(|s| s["template"].as_str().expect("template").to_string())
        .chain([
            "manifest.json".to_string(),
            "RUNBOOK.md".to_string(),
            tapc::output::MARKER.to_string(),
        ])
        .collect();
    v.sort();
    v
}

/// The names the marker in `dir` lists, sorted.
fn marker_files(dir: &Path) -> Vec<String> {
    let text = fs::read_to_string(dir.join(tapc::output::MARKER)).expect("the marker");
    assert!(text.starts_with("# tapc build output 2\n"), "{text}");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.splitn(3, ' ').nth(2).expect("size hash name").to_string())
        .collect()
}

/// Stderr is exactly one line starting `tapc: ` (for a program without
/// warnings: `examples/minimal.tap`).
fn one_line_error(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr).into_owned();
    assert!(text.starts_with("tapc: "), "stderr: {text:?}");
    assert_eq!(text.trim_end().lines().count(), 1, "stderr: {text:?}");
    text
}

#[test]
fn build_writes_exactly_the_manifests_files() {
    let tmp = TempDir::new().expect("temp dir");
    let out = tmp.path().join("out");
    let run = build("trading", &out).output().expect("runs");
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let written = names(&out);
    assert_eq!(written, manifest_files(&out));
    assert_eq!(
        written.len(),
        8,
        "four stacks, the second phase of one, the manifest, RUNBOOK.md and the marker: {written:?}"
    );
    let mut listed = marker_files(&out);
    listed.push(tapc::output::MARKER.to_string());
    listed.sort();
    assert_eq!(listed, written, "the marker lists every other file");
    for name in written.iter().filter(|n| n.ends_with(".json")) {
        let text = fs::read_to_string(out.join(name)).expect("UTF-8");
        serde_json::from_str::<Json>(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(text.ends_with('\n'), "{name} ends with a newline");
    }
    // Nothing but the output directory is left beside it (no temporary dirs).
    assert_eq!(names(tmp.path()), ["out"]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains("aws ssm start-automation-execution --region us-west-2"),
        "the build prints the failover command: {stdout}"
    );
}

#[test]
fn build_matches_the_library_byte_for_byte() {
    let tmp = TempDir::new().expect("temp dir");
    let out = tmp.path().join("out");
    build("global", &out).assert().success();
    let (file, _) =
        tapc::read_source(&example("global"), tapc::diag::FileId::ROOT).expect("readable");
    let model = tapc::check_source(&file, tapc::Given::command_line(&[]))
        .expect("checks")
        .model
        .expect("valid");
    let output = tapc::lower::lower(&model).expect("lowers");
    let on_disk = tree(&out);
    assert_eq!(on_disk.len(), output.files.len() + 1, "and the marker");
    for (name, text) in &output.files {
        assert_eq!(
            on_disk.get(Path::new(name)),
            Some(&Some(text.as_bytes().to_vec())),
            "{name}"
        );
    }
}

#[test]
fn program_with_errors_writes_nothing() {
    let tmp = TempDir::new().expect("temp dir");
    let program = tmp.path().join("bad.tap");
    fs::write(&program, ERRORS).expect("write program");
    let out = tmp.path().join("out");
    let run = tapc()
        .arg("build")
        .arg(&program)
        .arg("-o")
        .arg(&out)
        .output()
        .expect("runs");
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    assert!(!out.exists(), "no output directory is created");
    assert_eq!(names(tmp.path()), ["bad.tap"], "nothing else either");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("nothing was written"), "{stderr}");
}

#[test]
fn program_with_errors_leaves_an_existing_output_alone() {
    let tmp = TempDir::new().expect("temp dir");
    let program = tmp.path().join("bad.tap");
    fs::write(&program, ERRORS).expect("write program");
    let out = tmp.path().join("out");
    fs::create_dir(&out).expect("mkdir");
    fs::write(out.join("marker"), "keep me\n").expect("marker");
    fs::create_dir(out.join("sub")).expect("mkdir sub");
    fs::write(out.join("sub").join("nested.json"), "{}\n").expect("nested");
    let before = tree(&out);
    tapc()
        .arg("build")
        .arg(&program)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1);
    assert_eq!(tree(&out), before, "the output directory is untouched");
    assert_eq!(names(tmp.path()), ["bad.tap", "out"]);
}

#[test]
fn output_under_a_regular_file_is_an_io_error() {
    let tmp = TempDir::new().expect("temp dir");
    let file = tmp.path().join("file");
    fs::write(&file, "not a directory\n").expect("write");
    let run = build("minimal", &file.join("out")).output().expect("runs");
    assert_eq!(run.status.code(), Some(2), "{run:?}");
    one_line_error(&run.stderr);
    assert_eq!(
        fs::read_to_string(&file).expect("still a file"),
        "not a directory\n"
    );
    assert_eq!(
        names(tmp.path()),
        ["file"],
        "no temporary directory is left"
    );
}

#[test]
fn output_that_is_a_regular_file_is_left_intact() {
    let tmp = TempDir::new().expect("temp dir");
    let file = tmp.path().join("out");
    fs::write(&file, "an existing output\n").expect("write");
    let run = build("minimal", &file).output().expect("runs");
    assert_eq!(run.status.code(), Some(2), "{run:?}");
    one_line_error(&run.stderr);
    assert_eq!(
        fs::read_to_string(&file).expect("a file"),
        "an existing output\n"
    );
    assert_eq!(names(tmp.path()), ["out"]);
}

/// With a read-only parent, the build cannot stage its new output; the old one
/// stays. Root ignores permissions, so this only runs where they hold.
#[cfg(unix)]
#[test]
fn unwritable_parent_leaves_an_existing_output_intact() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = TempDir::new().expect("temp dir");
    let parent = tmp.path().join("ro");
    let out = parent.join("out");
    build("global", &out).assert().success();
    let before = tree(&out);
    fs::set_permissions(&parent, fs::Permissions::from_mode(0o555)).expect("chmod");
    let enforced = fs::write(parent.join("probe"), "").is_err();
    if enforced {
        let run = build("minimal", &out).output().expect("runs");
        assert_eq!(run.status.code(), Some(2), "{run:?}");
        one_line_error(&run.stderr);
        assert_eq!(tree(&out), before);
    }
    fs::set_permissions(&parent, fs::Permissions::from_mode(0o755)).expect("chmod back");
}

#[test]
fn building_again_replaces_the_output() {
    let tmp = TempDir::new().expect("temp dir");
    let out = tmp.path().join("out");
    build("global", &out).assert().success();
    assert!(names(&out).iter().any(|n| n.starts_with("payments-")));
    build("trading", &out).assert().success();
    let written = names(&out);
    assert_eq!(written, manifest_files(&out), "only trading's files");
    assert!(
        written.iter().all(|n| !n.starts_with("payments-")),
        "{written:?}"
    );
    assert_eq!(
        names(tmp.path()),
        ["out"],
        "no old or new temporary directory"
    );
}

#[test]
fn graph_json_lists_the_stacks_of_the_build() {
    let run = tapc()
        .args(["graph", "examples/trading.tap", "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let graph: Json = serde_json::from_slice(&run.stdout).expect("one JSON document");
    let nodes = graph["nodes"].as_array().expect("nodes");
    let edges = graph["edges"].as_array().expect("edges");
    assert!(!nodes.is_empty() && !edges.is_empty());
    let ids: Vec<&str> = nodes
        .iter()
        .map(|n| n["id"].as_str().expect("id"))
        .collect();
    for e in edges {
        for end in ["from", "to"] {
            let id = e[end].as_str().expect("edge end");
            assert!(ids.contains(&id), "edge to unknown node {id}");
        }
    }
    assert!(ids.contains(&"ledger/global-cluster@us-east-1"), "{ids:?}");
    assert!(
        edges.iter().any(|e| e["from"] == "ledger@us-west-2"
            && e["to"] == "ledger/global-cluster@us-east-1"
            && e["kind"] == "replication"),
        "the secondary cluster depends on the global cluster"
    );

    let tmp = TempDir::new().expect("temp dir");
    build("trading", &tmp.path().join("out")).assert().success();
    let manifest: Json =
        serde_json::from_slice(&fs::read(tmp.path().join("out/manifest.json")).expect("manifest"))
            .expect("JSON");
    let stack_names = |v: &Json| -> Vec<String> {
        v.as_array()
            .expect("stacks")
            .iter()
            .map(|s| s["name"].as_str().expect("name").to_string())
            .collect()
    };
    assert_eq!(
        stack_names(&graph["stacks"]),
        stack_names(&manifest["stacks"])
    );
    // The secondary's bucket stack is listed twice, phase 2 last, completing
    // the bucket (its replication back to the primary) and the bus (its rules
    // forwarding to the primary's bus).
    let phases: Vec<(u64, Vec<String>)> = graph["stacks"]
        .as_array()
        .expect("stacks")
        .iter()
        .filter(|s| s["name"] == "trading-dev-us-west-2-w2")
        .map(|s| {
            let completes = s["completes"].as_array().expect("completes");
            let completes = completes.iter().map(|c| c.as_str().unwrap().to_string());
            (s["phase"].as_u64().expect("phase"), completes.collect())
        })
        .collect();
    assert_eq!(
        phases,
        [
            (1, vec![]),
            (
                2,
                vec![
                    "documents@us-west-2".to_string(),
                    "events@us-west-2".to_string()
                ]
            )
        ]
    );
}

#[test]
fn graph_dot_and_mermaid_show_the_second_phase() {
    // Phase 2 completes the bucket and the bus.
    for (format, node, edge, count) in [
        (
            "dot",
            "\"trading-dev-us-west-2-w2 phase 2\" [shape=note];",
            "\"trading-dev-us-west-2-w2 phase 2\" -> \"documents@us-west-2\" [label=\"phase 2\", style=dashed];",
            1,
        ),
        (
            "mermaid",
            "[\"trading-dev-us-west-2-w2 phase 2\"]",
            " -.->|phase 2| n",
            2,
        ),
    ] {
        let run = tapc()
            .args(["graph", "examples/trading.tap", "--format", format])
            .output()
            .expect("runs");
        let text = String::from_utf8(run.stdout).expect("UTF-8");
        assert!(text.contains(node), "{format}: {text}");
        assert_eq!(text.matches(edge).count(), count, "{format}: {text}");
    }
}

#[test]
fn graph_dot_and_mermaid() {
    for (format, head) in [("dot", "digraph"), ("mermaid", "flowchart")] {
        let run = tapc()
            .args(["graph", "examples/global.tap", "--format", format])
            .output()
            .expect("runs");
        assert_eq!(run.status.code(), Some(0), "{format}: {run:?}");
        let text = String::from_utf8(run.stdout).expect("UTF-8");
        assert!(text.starts_with(head), "{format}: {text}");
        assert!(text.ends_with('\n'));
        for stack in [
            "payments-prod-us-east-1-w1",
            "payments-prod-us-west-2-w2",
            "payments-prod-eu-west-1-w3",
        ] {
            assert!(text.contains(stack), "{format}: no stack {stack}");
        }
        assert!(
            text.contains("accounts/global-cluster@us-east-1"),
            "{format}"
        );
        let arrow = if format == "dot" { " -> " } else { " -->|" };
        assert!(text.contains(arrow), "{format}: no edges");
    }
    let dot = tapc()
        .args(["graph", "examples/trading.tap", "--format", "dot"])
        .output()
        .expect("runs");
    let text = String::from_utf8(dot.stdout).expect("UTF-8");
    assert_eq!(text.matches('{').count(), text.matches('}').count());
    assert!(text.trim_end().ends_with('}'));
}

#[test]
fn graph_of_a_program_with_errors_draws_its_services_and_exits_1() {
    let tmp = TempDir::new().expect("temp dir");
    let program = tmp.path().join("bad.tap");
    fs::write(&program, ERRORS).expect("write program");
    let run = tapc().arg("graph").arg(&program).output().expect("runs");
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    let text = String::from_utf8(run.stdout).expect("UTF-8");
    assert!(text.starts_with("digraph"), "{text}");
    assert!(String::from_utf8_lossy(&run.stderr).contains("has errors"));
}

/// A `needs` cycle stops the checker, yet `tapc graph` shows it: the edges on
/// the cycle in red, in every format, and the edge off it plain.
#[test]
fn graph_marks_a_needs_cycle() {
    let tmp = TempDir::new().expect("temp dir");
    let program = tmp.path().join("cycle.tap");
    fs::write(
        &program,
        "service api: fargate {\n  image = \"amazon/amazon-ecs-sample\"\n  needs = [worker]\n}\n\n\
         service worker: fargate {\n  image = \"amazon/amazon-ecs-sample\"\n  needs = [api, table]\n}\n\n\
         service table: dynamodb {\n  key = \"id\"\n}\n",
    )
    .expect("write program");
    let graph = |format: &str| {
        let run = tapc()
            .args(["graph", "--format", format])
            .arg(&program)
            .output()
            .expect("runs");
        assert_eq!(run.status.code(), Some(1), "{run:?}");
        String::from_utf8(run.stdout).expect("UTF-8")
    };
    let dot = graph("dot");
    assert!(
        dot.contains(r#""api" -> "worker" [label="needs (cycle)", color=red"#),
        "{dot}"
    );
    assert!(
        dot.contains(r#""worker" -> "api" [label="needs (cycle)", color=red"#),
        "{dot}"
    );
    assert!(
        dot.contains(r#""worker" -> "table" [label="needs"]"#),
        "{dot}"
    );
    let mermaid = graph("mermaid");
    assert_eq!(mermaid.matches("|needs (cycle)|").count(), 2, "{mermaid}");
    assert_eq!(mermaid.matches("stroke:red").count(), 2, "{mermaid}");
    let json: Json = serde_json::from_str(&graph("json")).expect("JSON");
    assert_eq!(json["complete"], false);
    let cycle: Vec<bool> = json["needs"]
        .as_array()
        .expect("needs")
        .iter()
        .map(|e| e["cycle"].as_bool().expect("bool"))
        .collect();
    assert_eq!(cycle, [true, true, false]);
}

/// Stacks are grouped by wave, waves in deployment order, and every node of a
/// wave is laid out before an invisible post that every node of the next wave
/// follows: a three-region graph reads left to right.
#[test]
fn graph_dot_lays_waves_out_left_to_right() {
    let run = tapc()
        .args(["graph", "examples/global.tap", "--format", "dot"])
        .output()
        .expect("runs");
    let text = String::from_utf8(run.stdout).expect("UTF-8");
    assert!(text.contains("rankdir=LR;"), "{text}");
    let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("no {s}"));
    assert!(at("label=\"wave 1\"") < at("label=\"wave 2\""));
    assert!(at("label=\"wave 2\"") < at("label=\"wave 3\""));
    assert!(at("payments-prod-us-east-1-w1") < at("payments-prod-us-west-2-w2"));
    assert!(at("payments-prod-us-west-2-w2") < at("payments-prod-eu-west-1-w3"));
    assert!(text.contains("\"network@us-east-1\" -> post0 [style=invis]"));
    assert!(text.contains("post0 -> \"network@us-west-2\" [style=invis]"));
    assert!(text.contains("post1 -> \"network@eu-west-1\" [style=invis]"));
}

/// Every `.tap` file under `dir`, recursively, sorted.
fn programs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("readable dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            programs(&path, out);
        } else if path.extension().is_some_and(|e| e == "tap") {
            out.push(path);
        }
    }
}

/// `tapc check` reports everything `tapc build` would (LANGUAGE.md section 5):
/// over every fixture and example, both exit with the same status and print
/// the same diagnostics (check adds its count line, build its "nothing was
/// written" line). Before, a task role over IAM's policy size passed `check`.
#[test]
fn check_and_build_agree_on_every_program() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    for dir in ["tests/bad", "tests/good", "examples"] {
        programs(&root.join(dir), &mut paths);
    }
    paths.sort();
    assert!(paths.len() > 100, "the fixtures are found");
    let tmp = TempDir::new().unwrap();
    let (mut failed, mut passed) = (0, 0);
    for (k, path) in paths.iter().enumerate() {
        let rel = path.strip_prefix(root).unwrap();
        let check = tapc().arg("check").arg(rel).output().unwrap();
        let build = tapc()
            .arg("build")
            .arg(rel)
            .arg("-o")
            .arg(tmp.path().join(k.to_string()))
            .output()
            .unwrap();
        let shown = rel.display();
        assert_eq!(
            check.status.code(),
            build.status.code(),
            "{shown}: check and build disagree\ncheck:\n{}\nbuild:\n{}",
            String::from_utf8_lossy(&check.stderr),
            String::from_utf8_lossy(&build.stderr)
        );
        let lines = |bytes: &[u8], drop: &dyn Fn(&str) -> bool| -> Vec<String> {
            String::from_utf8_lossy(bytes)
                .lines()
                .filter(|l| !drop(l))
                .map(String::from)
                .collect()
        };
        let count_line = |l: &str| l.ends_with(" warning(s)") && l.contains(" error(s), ");
        let tapc_line = |l: &str| l.starts_with("tapc: ");
        assert_eq!(
            lines(&check.stderr, &count_line),
            lines(&build.stderr, &tapc_line),
            "{shown}: check and build report different diagnostics"
        );
        match check.status.code() {
            Some(0) => passed += 1,
            Some(1) => failed += 1,
            other => panic!("{shown}: exit status {other:?}"),
        }
    }
    assert!(
        passed > 10 && failed > 100,
        "{passed} passed, {failed} failed"
    );
}

/// What `tapc build` prints for each example: its stacks by wave, the RTO
/// budget term by term, the deploy commands in order and how to fail over
/// and back (or that there is nothing to run).
#[test]
fn build_prints_stacks_budget_commands_and_failover() {
    for name in [
        "minimal",
        "trading",
        "pilot-light",
        "active-active",
        "cache",
        "global",
    ] {
        let dir = TempDir::new().expect("a temporary directory");
        let out = Command::cargo_bin("tapc")
            .expect("the tapc binary")
            .current_dir(dir.path())
            .arg("build")
            .arg(example(name))
            .args(["-o", "out"])
            .output()
            .expect("tapc runs");
        assert_eq!(out.status.code(), Some(0), "{name}: {out:?}");
        let stdout = String::from_utf8(out.stdout).expect("UTF-8");
        insta::assert_snapshot!(format!("build_summary_{name}"), stdout);
    }
}
