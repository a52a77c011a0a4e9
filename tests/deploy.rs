//! `tapc deploy` against a fake `aws` on PATH: a shell script that logs its
//! arguments with start and end times, sleeps, and fails or reports "no
//! changes" for the stacks named in its environment.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

const FAKE_AWS: &str = r#"#!/bin/sh
# Fake AWS CLI for tests/deploy.rs.
stack=""
prev=""
for a in "$@"; do
  [ "$prev" = "--stack-name" ] && stack="$a"
  prev="$a"
done
if [ "$2" = "describe-stack-events" ]; then
  cat <<EOF
{"StackEvents": [
  {"LogicalResourceId": "$stack", "ResourceType": "AWS::CloudFormation::Stack", "ResourceStatus": "ROLLBACK_COMPLETE", "ResourceStatusReason": null},
  {"LogicalResourceId": "Vpc", "ResourceType": "AWS::EC2::VPC", "ResourceStatus": "CREATE_FAILED", "ResourceStatusReason": "Resource creation cancelled"},
  {"LogicalResourceId": "Bucket", "ResourceType": "AWS::S3::Bucket", "ResourceStatus": "CREATE_FAILED", "ResourceStatusReason": "bucket-x already exists"},
  {"LogicalResourceId": "Bucket", "ResourceType": "AWS::S3::Bucket", "ResourceStatus": "CREATE_IN_PROGRESS", "ResourceStatusReason": null},
  {"LogicalResourceId": "$stack", "ResourceType": "AWS::CloudFormation::Stack", "ResourceStatus": "CREATE_IN_PROGRESS", "ResourceStatusReason": "User Initiated"},
  {"LogicalResourceId": "Old", "ResourceType": "AWS::SNS::Topic", "ResourceStatus": "UPDATE_FAILED", "ResourceStatusReason": "an earlier operation"}
]}
EOF
  exit 0
fi
if [ "$2" = "describe-stacks" ]; then
  case " $FAKE_AWS_EXISTING " in *" $stack "*)
    echo "UPDATE_COMPLETE"
    exit 0;;
  esac
  echo "An error occurred (ValidationError) when calling the DescribeStacks operation: Stack with id $stack does not exist" >&2
  exit 254
fi
echo "start $(date +%s%N) $*" >> "$FAKE_AWS_LOG"
case " $FAKE_AWS_FAIL " in *" $stack "*)
  # A failing stack fails at once, while the others of its wave still run:
  # once FAKE_AWS_STARTED deploys have started (for at most 10 s), so that a
  # test does not depend on how fast tapc's threads start.
  n=0
  while [ "$(grep -c '^start' "$FAKE_AWS_LOG")" -lt "${FAKE_AWS_STARTED:-1}" ] && [ $n -lt 1000 ]; do
    sleep 0.01; n=$((n + 1))
  done
  echo "end $(date +%s%N) $stack" >> "$FAKE_AWS_LOG"
  echo "Waiting for changeset to be created.."
  echo "Failed to create/update the stack. Run the following command" >&2
  exit 255;;
esac
sleep "${FAKE_AWS_SLEEP:-0}"
echo "end $(date +%s%N) $stack" >> "$FAKE_AWS_LOG"
case " $FAKE_AWS_UNCHANGED " in *" $stack "*)
  echo "Waiting for changeset to be created.."
  echo "No changes to deploy. Stack $stack is up to date"
  exit 0;;
esac
echo "Successfully created/updated stack - $stack"
"#;

struct Fake {
    dir: tempfile::TempDir,
}

impl Fake {
    fn new() -> Fake {
        let dir = tempfile::TempDir::new().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let aws = bin.join("aws");
        std::fs::write(&aws, FAKE_AWS).unwrap();
        std::fs::set_permissions(&aws, std::fs::Permissions::from_mode(0o755)).unwrap();
        Fake { dir }
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("aws.log")
    }

    /// A build directory with the given stacks (name, region, wave) and a
    /// template each; `iam` stacks hold an IAM role.
    fn build(&self, stacks: &[(&str, &str, u64)], iam: &[&str]) -> PathBuf {
        let out = self.dir.path().join("out");
        std::fs::create_dir_all(&out).unwrap();
        let mut list = Vec::new();
        for (name, region, wave) in stacks {
            let resource = if iam.contains(name) {
                r#"{"Role": {"Type": "AWS::IAM::Role", "Properties": {}}}"#
            } else {
                r#"{"Topic": {"Type": "AWS::SNS::Topic"}}"#
            };
            std::fs::write(
                out.join(format!("{name}.json")),
                format!(r#"{{"Resources": {resource}}}"#),
            )
            .unwrap();
            list.push(serde_json::json!({
                "name": name, "region": region, "wave": wave,
                "template": format!("{name}.json"), "needs_s3_upload": false,
            }));
        }
        let manifest = serde_json::json!({ "format_version": "1", "stacks": list });
        std::fs::write(out.join("manifest.json"), manifest.to_string()).unwrap();
        out
    }

    fn tapc(&self) -> Command {
        let path = format!(
            "{}:{}",
            self.dir.path().join("bin").display(),
            std::env::var("PATH").unwrap()
        );
        let mut cmd = Command::cargo_bin("tapc").unwrap();
        cmd.env("PATH", path)
            .env("FAKE_AWS_LOG", self.log())
            .env_remove("FAKE_AWS_FAIL")
            .env_remove("FAKE_AWS_UNCHANGED")
            .env_remove("FAKE_AWS_SLEEP")
            .env_remove("FAKE_AWS_STARTED")
            .env_remove("FAKE_AWS_EXISTING");
        cmd
    }

    /// (stack, start, end) of every `deploy` the fake ran, in start order.
    fn runs(&self) -> Vec<(String, u128, u128)> {
        let text = std::fs::read_to_string(self.log()).unwrap_or_default();
        let mut runs = Vec::new();
        for line in text.lines() {
            let mut words = line.split(' ');
            let (kind, time) = (words.next().unwrap(), words.next().unwrap());
            let time: u128 = time.parse().unwrap();
            if kind == "start" {
                let args: Vec<&str> = words.collect();
                let at = args.iter().position(|a| *a == "--stack-name").unwrap();
                runs.push((args[at + 1].to_string(), time, 0));
            } else {
                let stack = words.next().unwrap();
                // A stack deployed in two phases runs twice: the open run ends.
                let run = runs
                    .iter_mut()
                    .rev()
                    .find(|r| r.0 == stack && r.2 == 0)
                    .unwrap();
                run.2 = time;
            }
        }
        runs
    }

    /// The arguments of every `deploy` of `stack`, in start order.
    fn all_args_of(&self, stack: &str) -> Vec<String> {
        let text = std::fs::read_to_string(self.log()).unwrap();
        text.lines()
            .filter(|l| l.starts_with("start") && l.contains(&format!("--stack-name {stack} ")))
            .map(|l| l.splitn(3, ' ').nth(2).unwrap().to_string())
            .collect()
    }

    fn args_of(&self, stack: &str) -> String {
        let text = std::fs::read_to_string(self.log()).unwrap();
        text.lines()
            .find(|l| l.starts_with("start") && l.contains(&format!("--stack-name {stack} ")))
            .map(|l| l.splitn(3, ' ').nth(2).unwrap().to_string())
            .unwrap()
    }
}

const THREE_WAVES: &[(&str, &str, u64)] = &[
    ("p-us-east-1-w1", "us-east-1", 1),
    ("p-us-west-2-w1", "us-west-2", 1),
    ("p-us-west-2-w2", "us-west-2", 2),
    ("p-us-east-1-w3", "us-east-1", 3),
    ("p-us-west-2-w3", "us-west-2", 3),
];

fn overlaps(a: &(String, u128, u128), b: &(String, u128, u128)) -> bool {
    a.1 < b.2 && b.1 < a.2
}

#[test]
fn waves_run_in_order_and_a_wave_in_parallel() {
    let fake = Fake::new();
    let out = fake.build(THREE_WAVES, &["p-us-west-2-w2"]);
    let result = fake
        .tapc()
        .args(["deploy", "--concurrency", "2"])
        .arg(&out)
        .env("FAKE_AWS_SLEEP", "0.4")
        .output()
        .unwrap();
    let stdout = String::from_utf8(result.stdout).unwrap();
    assert_eq!(result.status.code(), Some(0), "{stdout}");
    assert!(stdout.ends_with("deployed 5 stacks\n"), "{stdout}");
    let runs = fake.runs();
    let names: Vec<&str> = runs.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(names.len(), 5, "{runs:?}");
    let wave = |name: &str| THREE_WAVES.iter().find(|s| s.0 == name).unwrap().2;
    for (a, b) in runs.iter().zip(&runs[1..]) {
        assert!(wave(&a.0) <= wave(&b.0), "{} started before {}", b.0, a.0);
    }
    // The two stacks of waves 1 and 3 ran at the same time; no stack of a
    // wave ran while one of another wave did.
    assert!(overlaps(&runs[0], &runs[1]), "{runs:?}");
    assert!(overlaps(&runs[3], &runs[4]), "{runs:?}");
    for a in &runs {
        for b in &runs {
            if wave(&a.0) != wave(&b.0) {
                assert!(!overlaps(a, b), "{} and {} overlap", a.0, b.0);
            }
        }
    }
    let args = fake.args_of("p-us-west-2-w2");
    assert_eq!(
        args,
        format!(
            "cloudformation deploy --stack-name p-us-west-2-w2 --template-file {} \
             --region us-west-2 --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset",
            out.join("p-us-west-2-w2.json").display()
        )
    );
    assert!(!fake.args_of("p-us-east-1-w1").contains("--capabilities"));
}

#[test]
fn concurrency_one_runs_one_stack_at_a_time() {
    let fake = Fake::new();
    let out = fake.build(THREE_WAVES, &[]);
    fake.tapc()
        .args(["deploy", "--concurrency", "1"])
        .arg(&out)
        .env("FAKE_AWS_SLEEP", "0.2")
        .assert()
        .success();
    let runs = fake.runs();
    let names: Vec<&str> = runs.iter().map(|r| r.0.as_str()).collect();
    let expected: Vec<&str> = THREE_WAVES.iter().map(|s| s.0).collect();
    assert_eq!(names, expected);
    for (a, b) in runs.iter().zip(&runs[1..]) {
        assert!(a.2 <= b.1, "{} and {} overlap", a.0, b.0);
    }
}

#[test]
fn a_failure_stops_the_deployment_and_shows_the_failed_events() {
    let fake = Fake::new();
    let out = fake.build(THREE_WAVES, &[]);
    let result = fake
        .tapc()
        .args(["deploy", "--concurrency", "2"])
        .arg(&out)
        .env("FAKE_AWS_FAIL", "p-us-west-2-w2")
        .output()
        .unwrap();
    let stdout = String::from_utf8(result.stdout).unwrap();
    assert_eq!(result.status.code(), Some(1), "{stdout}");
    let names: Vec<String> = fake.runs().into_iter().map(|r| r.0).collect();
    assert_eq!(names.len(), 3, "wave 3 must not start: {names:?}");
    assert_eq!(names[2], "p-us-west-2-w2");
    let report = &stdout[stdout.find("\np-us-west-2-w2 (us-west-2) failed:").unwrap()..];
    assert_eq!(
        report,
        "\np-us-west-2-w2 (us-west-2) failed:
  Waiting for changeset to be created..
  Failed to create/update the stack. Run the following command
  aws exited with status 255
  failed events of p-us-west-2-w2:
    CREATE_FAILED Bucket (AWS::S3::Bucket): bucket-x already exists
    CREATE_FAILED Vpc (AWS::EC2::VPC): Resource creation cancelled

not deployed: p-us-east-1-w3, p-us-west-2-w3
"
    );
}

#[test]
fn a_failure_lets_the_running_stacks_of_its_wave_finish_and_starts_no_other() {
    let fake = Fake::new();
    let stacks = [
        ("a-us-east-1-w1", "us-east-1", 1),
        ("b-us-east-1-w1", "us-east-1", 1),
        ("c-us-east-1-w1", "us-east-1", 1),
        ("d-us-east-1-w2", "us-east-1", 2),
    ];
    let out = fake.build(&stacks, &[]);
    let result = fake
        .tapc()
        .args(["deploy", "--concurrency", "2"])
        .arg(&out)
        .env("FAKE_AWS_FAIL", "a-us-east-1-w1")
        .env("FAKE_AWS_STARTED", "2")
        .env("FAKE_AWS_SLEEP", "0.3")
        .output()
        .unwrap();
    let stdout = String::from_utf8(result.stdout).unwrap();
    assert_eq!(result.status.code(), Some(1), "{stdout}");
    let runs = fake.runs();
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert!(runs.iter().all(|r| r.2 > 0), "both finished: {runs:?}");
    assert!(
        stdout.contains("  b-us-east-1-w1  us-east-1  deployed\n"),
        "{stdout}"
    );
    assert!(stdout.ends_with("not deployed: c-us-east-1-w1, d-us-east-1-w2\n"));
}

#[test]
fn an_unchanged_stack_is_not_a_failure() {
    let fake = Fake::new();
    let out = fake.build(THREE_WAVES, &[]);
    let result = fake
        .tapc()
        .arg("deploy")
        .arg(&out)
        .env("FAKE_AWS_UNCHANGED", "p-us-east-1-w1 p-us-west-2-w2")
        .output()
        .unwrap();
    let stdout = String::from_utf8(result.stdout).unwrap();
    assert_eq!(result.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("  p-us-west-2-w2  us-west-2  unchanged\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  p-us-west-2-w3  us-west-2  deployed\n"),
        "{stdout}"
    );
    assert_eq!(fake.runs().len(), 5);
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn dry_run_prints_the_commands_by_wave() {
    let dir = tempfile::TempDir::new().unwrap();
    Command::cargo_bin("tapc")
        .unwrap()
        .current_dir(dir.path())
        .arg("build")
        .arg(root().join("examples/global.tap"))
        .args(["-o", "my build"])
        .assert()
        .success();
    let fake = Fake::new();
    let result = fake
        .tapc()
        .current_dir(dir.path())
        .args(["deploy", "my build", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(0));
    assert!(!fake.log().exists(), "a dry run runs nothing");
    insta::assert_snapshot!(String::from_utf8(result.stdout).unwrap());
}

#[test]
fn a_large_template_needs_a_bucket_for_its_region() {
    let fake = Fake::new();
    let out = fake.build(
        &[
            ("p-us-east-1-w1", "us-east-1", 1),
            ("p-eu-west-1-w1", "eu-west-1", 1),
        ],
        &[],
    );
    let big = format!(
        r#"{{"Resources": {{"Topic": {{"Type": "AWS::SNS::Topic"}}}}, "Description": "{}"}}"#,
        "x".repeat(60_000)
    );
    std::fs::write(out.join("p-us-east-1-w1.json"), big).unwrap();
    let result = fake
        .tapc()
        .args(["deploy", "--dry-run"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(2));
    let stderr = String::from_utf8(result.stderr).unwrap();
    assert!(
        stderr.starts_with("tapc: the template of `p-us-east-1-w1` is over 51200 bytes"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1);
    for (flags, bucket) in [
        (vec!["--s3-bucket", "art-{region}"], "art-us-east-1"),
        (
            vec!["--s3-bucket", "all", "--s3-bucket", "us-east-1=east"],
            "east",
        ),
    ] {
        let result = fake
            .tapc()
            .args(["deploy", "--dry-run"])
            .args(flags)
            .arg(&out)
            .output()
            .unwrap();
        let stdout = String::from_utf8(result.stdout).unwrap();
        assert!(
            stdout.contains(&format!(
                "--region us-east-1 --s3-bucket {bucket} --no-fail"
            )),
            "{stdout}"
        );
        assert!(
            !stdout.contains("--region eu-west-1 --s3-bucket"),
            "{stdout}"
        );
    }
}

#[test]
fn a_directory_that_is_not_a_build_is_refused() {
    let fake = Fake::new();
    let out = fake.build(THREE_WAVES, &[]);
    let cases: [(&str, &str); 6] = [
        ("", "it has no manifest.json"),
        ("{", "manifest.json is not JSON"),
        (
            r#"{"format_version": "1"}"#,
            "manifest.json has no `stacks` list",
        ),
        (
            r#"{"format_version": "1", "stacks": [{"name": "--help", "region": "us-east-1", "wave": 1, "template": "a.json"}]}"#,
            "`--help` is not a stack name",
        ),
        (
            r#"{"format_version": "1", "stacks": [{"name": "a", "region": "us-east-1", "wave": 1, "template": "../a.json"}]}"#,
            "`../a.json` is not a template file name",
        ),
        (
            r#"{"format_version": "1", "stacks": [
                {"name": "p-us-west-2-w2", "region": "us-west-2", "wave": 2, "template": "p-us-west-2-w2.json"},
                {"name": "p-us-east-1-w1", "region": "us-east-1", "wave": 1, "template": "p-us-east-1-w1.json"}]}"#,
            "stack `p-us-east-1-w1` of wave 1 comes after wave 2",
        ),
    ];
    for (manifest, why) in cases {
        let path = out.join("manifest.json");
        if manifest.is_empty() {
            let _ = std::fs::remove_file(&path);
        } else {
            std::fs::write(&path, manifest).unwrap();
        }
        let result = fake.tapc().arg("deploy").arg(&out).output().unwrap();
        assert_eq!(result.status.code(), Some(2), "{why}");
        let stderr = String::from_utf8(result.stderr).unwrap();
        assert!(
            stderr.contains("is not a tapc build: ") && stderr.contains(why),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    assert!(!fake.log().exists(), "nothing was deployed");
}

#[test]
fn without_the_aws_cli_nothing_is_deployed() {
    let fake = Fake::new();
    let out = fake.build(THREE_WAVES, &[]);
    let empty = fake.dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let result = Command::cargo_bin("tapc")
        .unwrap()
        .env("PATH", &empty)
        .arg("deploy")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(2));
    let stderr = String::from_utf8(result.stderr).unwrap();
    assert_eq!(
        stderr,
        "tapc: cannot run `aws`: it is not on PATH (install the AWS CLI)\n"
    );
}

#[test]
fn shell_quoting_reads_back_as_the_same_words() {
    for word in [
        "plain-word_1.json",
        "my build/x.json",
        "it's",
        "",
        "a{b,c}",
        "$HOME",
        "-",
    ] {
        let quoted = tapc::deploy::shell_quote(word);
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf '%s' {quoted}"))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), word, "{quoted}");
    }
}

/// `tapc build examples/pilot-light.tap` into a temporary directory: its
/// secondary's bucket stack is deployed in two phases.
fn build_pilot_light(dir: &Path) -> PathBuf {
    Command::cargo_bin("tapc")
        .unwrap()
        .arg("build")
        .arg(root().join("examples/pilot-light.tap"))
        .arg("-o")
        .arg(dir.join("out"))
        .assert()
        .success();
    dir.join("out")
}

#[test]
fn a_stack_in_two_phases_is_deployed_twice_in_order() {
    let fake = Fake::new();
    let out = build_pilot_light(fake.dir.path());
    let result = fake
        .tapc()
        .args(["deploy"])
        .arg(&out)
        .env("FAKE_AWS_SLEEP", "0.1")
        .output()
        .unwrap();
    let stdout = String::from_utf8(result.stdout).unwrap();
    assert_eq!(result.status.code(), Some(0), "{stdout}");
    let runs = fake.runs();
    let names: Vec<&str> = runs.iter().map(|r| r.0.as_str()).collect();
    let phased = "reports-dev-eu-west-1-w2";
    let primary_bucket = "reports-dev-eu-central-1-w3";
    let at: Vec<usize> = (0..runs.len()).filter(|&i| runs[i].0 == phased).collect();
    assert_eq!(at.len(), 2, "deployed twice: {names:?}");
    let p = names.iter().position(|n| *n == primary_bucket).unwrap();
    // Phase 1 ends before the primary's bucket stack starts, phase 2 starts
    // after it ends (the back rule needs the primary bucket).
    assert!(runs[at[0]].2 <= runs[p].1, "{runs:?}");
    assert!(runs[p].2 <= runs[at[1]].1, "{runs:?}");
    let args = fake.all_args_of(phased);
    assert!(args[0].contains(&format!("{phased}.json ")), "{}", args[0]);
    assert!(
        args[1].contains(&format!("{phased}.phase2.json ")),
        "{}",
        args[1]
    );
    assert!(
        stdout.contains(&format!("{phased}  eu-west-1  deployed (phase 2)")),
        "{stdout}"
    );
    assert!(stdout.contains("deployed 4 stacks"), "{stdout}");
}

#[test]
fn dry_run_shows_a_stack_in_two_phases() {
    let fake = Fake::new();
    let out = build_pilot_light(fake.dir.path());
    let result = fake
        .tapc()
        .args(["deploy", "--dry-run"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(0));
    let stdout = String::from_utf8(result.stdout).unwrap();
    let prefix = format!("{}/", out.display());
    insta::assert_snapshot!(stdout.replace(&prefix, "OUT/"));
}

#[test]
fn a_stack_listed_twice_needs_phases_in_order_in_later_waves() {
    for (second, why) in [
        (serde_json::json!({"wave": 2}), "no phase: listed twice"),
        (
            serde_json::json!({"wave": 1, "phase": 2}),
            "phase 2 in the same wave",
        ),
        (
            serde_json::json!({"wave": 2, "phase": 3}),
            "phase 3 after phase 1",
        ),
    ] {
        let fake = Fake::new();
        let out = fake.build(&[("p-us-east-1-w1", "us-east-1", 1)], &[]);
        let path = out.join("manifest.json");
        let mut manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut entry = manifest["stacks"][0].clone();
        for (k, v) in second.as_object().unwrap() {
            entry[k] = v.clone();
        }
        manifest["stacks"].as_array_mut().unwrap().push(entry);
        std::fs::write(&path, manifest.to_string()).unwrap();
        let result = fake.tapc().args(["deploy"]).arg(&out).output().unwrap();
        assert_eq!(result.status.code(), Some(2), "{why}: {result:?}");
        let stderr = String::from_utf8(result.stderr).unwrap();
        assert!(stderr.contains("out of order"), "{why}: {stderr}");
        assert!(!fake.log().exists(), "{why}: nothing runs");
    }
}

/// On a re-deploy (every stack exists) the first phase of the stack in two
/// phases deploys its second phase's template: the back rule stays.
#[test]
fn a_redeploy_keeps_the_second_phase() {
    let fake = Fake::new();
    let out = build_pilot_light(fake.dir.path());
    let phased = "reports-dev-eu-west-1-w2";
    for (existing, first_template) in [
        ("reports-dev-eu-west-1-w2", "w2.json"),
        (
            "reports-dev-eu-west-1-w2 reports-dev-eu-central-1-w3",
            "w2.phase2.json",
        ),
    ] {
        let _ = std::fs::remove_file(fake.log());
        let result = fake
            .tapc()
            .args(["deploy"])
            .arg(&out)
            .env("FAKE_AWS_EXISTING", existing)
            .output()
            .unwrap();
        let stdout = String::from_utf8(result.stdout).unwrap();
        assert_eq!(result.status.code(), Some(0), "{stdout}");
        let args = fake.all_args_of(phased);
        assert_eq!(args.len(), 2, "{existing}");
        assert!(
            args[0].contains(&format!("reports-dev-eu-west-1-{first_template} ")),
            "{existing}: {}",
            args[0]
        );
        assert!(args[1].contains(".phase2.json "), "{}", args[1]);
    }
}
