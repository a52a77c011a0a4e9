//! `tapc deploy`: runs `aws cloudformation deploy` for every stack of a build,
//! wave after wave in the manifest's order, the stacks of one wave in parallel.
//! The AWS CLI does credentials, change sets, S3 upload and waiting; this module
//! does the order, the arguments each stack needs, and the report of a failure.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use serde_json::Value as Json;

/// CloudFormation takes a template body of at most 51,200 bytes in a request;
/// a larger one must be uploaded to S3 first (`--s3-bucket`).
/// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
pub const MAX_INLINE_BYTES: u64 = 51_200;

/// One stack of the manifest, with what its `aws cloudformation deploy` needs.
#[derive(Clone, Debug)]
pub struct Stack {
    pub name: String,
    pub region: String,
    pub wave: u64,
    /// 1, or 2 for the second deployment of a stack listed twice: the same
    /// stack updated, in a later wave, with a template that adds what needed
    /// a stack deployed after its first phase (the manifest's `note` says what).
    pub phase: u64,
    pub template: PathBuf,
    /// The stacks (name, region) the manifest says this one depends on.
    pub depends_on: Vec<(String, String)>,
    /// `CAPABILITY_IAM`, plus `CAPABILITY_NAMED_IAM` when an IAM resource has a
    /// name of its own, `CAPABILITY_AUTO_EXPAND` when the template has a transform.
    pub capabilities: Vec<&'static str>,
    pub needs_s3_upload: bool,
}

/// Where large templates are uploaded: `[REGION=]BUCKET`, where `{region}` in a
/// bucket name stands for the stack's region. A bucket given for a region wins
/// over one given for all.
#[derive(Clone, Debug, Default)]
pub struct Buckets(Vec<(Option<String>, String)>);

impl Buckets {
    pub fn parse(values: &[String]) -> Result<Buckets, String> {
        let mut out = Vec::new();
        for v in values {
            let (region, bucket) = match v.split_once('=') {
                Some((r, b)) => (Some(r.to_string()), b.to_string()),
                None => (None, v.clone()),
            };
            if bucket.is_empty() || region.as_deref() == Some("") {
                return Err(format!("--s3-bucket expects [REGION=]BUCKET, got `{v}`"));
            }
            out.push((region, bucket));
        }
        Ok(Buckets(out))
    }

    fn for_region(&self, region: &str) -> Option<String> {
        let exact = self.0.iter().find(|(r, _)| r.as_deref() == Some(region));
        let any = self.0.iter().find(|(r, _)| r.is_none());
        exact.or(any).map(|(_, b)| b.replace("{region}", region))
    }
}

/// Reads `DIR/manifest.json` and every template it names. `Err` is a one-line
/// message: DIR is not a tapc build, or a template cannot be read.
pub fn load(dir: &Path) -> Result<Vec<Stack>, String> {
    let shown = dir.display();
    let not_build = |why: &str| format!("`{shown}` is not a tapc build: {why}");
    let path = dir.join("manifest.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(not_build(
                "it has no manifest.json (run `tapc build FILE -o DIR`)",
            ))
        }
        Err(e) => {
            return Err(format!(
                "cannot read `{}`: {}",
                path.display(),
                crate::io_reason(&e)
            ))
        }
    };
    let manifest: Json = serde_json::from_str(&text)
        .map_err(|e| not_build(&format!("manifest.json is not JSON ({e})")))?;
    if manifest["format_version"] != "1" {
        return Err(not_build("manifest.json has no `format_version` \"1\""));
    }
    let stacks = manifest["stacks"]
        .as_array()
        .ok_or_else(|| not_build("manifest.json has no `stacks` list"))?;
    let mut out: Vec<Stack> = Vec::new();
    for (i, s) in stacks.iter().enumerate() {
        let field = |key: &str| {
            s[key]
                .as_str()
                .ok_or_else(|| not_build(&format!("stack {} has no `{key}`", i + 1)))
        };
        let (name, region, template) = (field("name")?, field("region")?, field("template")?);
        // Checked here so that nothing the manifest says can become another
        // option of the AWS CLI or a file outside DIR.
        if !is_stack_name(name) {
            return Err(not_build(&format!("`{name}` is not a stack name")));
        }
        if region.is_empty()
            || !region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            || region.starts_with('-')
        {
            return Err(not_build(&format!("`{region}` is not a region")));
        }
        if template.is_empty() || template.starts_with('.') || template.contains(['/', '\\']) {
            return Err(not_build(&format!(
                "`{template}` is not a template file name"
            )));
        }
        let wave = s["wave"]
            .as_u64()
            .filter(|&w| w >= 1)
            .ok_or_else(|| not_build(&format!("stack `{name}` has no wave")))?;
        if out.last().is_some_and(|prev| prev.wave > wave) {
            return Err(not_build(&format!(
                "stack `{name}` of wave {wave} comes after wave {}",
                out.last().map_or(0, |p| p.wave)
            )));
        }
        let phase = match &s["phase"] {
            Json::Null => 1,
            p => p
                .as_u64()
                .filter(|&p| p >= 1)
                .ok_or_else(|| not_build(&format!("stack `{name}` has no valid phase")))?,
        };
        // A stack is listed once per phase, phases in order, each in a later
        // wave than the one before.
        let earlier: Vec<&Stack> = out.iter().filter(|p| p.name == name).collect();
        let in_order =
            earlier.len() as u64 + 1 == phase && earlier.last().is_none_or(|prev| prev.wave < wave);
        if !in_order {
            return Err(not_build(&format!(
                "stack `{name}` is listed twice, or its phase {phase} is out of order"
            )));
        }
        let path = dir.join(template);
        let body = std::fs::read_to_string(&path).map_err(|e| {
            format!(
                "cannot read template `{}`: {}",
                path.display(),
                crate::io_reason(&e)
            )
        })?;
        let parsed: Json = serde_json::from_str(&body)
            .map_err(|e| format!("template `{}` is not JSON: {e}", path.display()))?;
        out.push(Stack {
            name: name.to_string(),
            region: region.to_string(),
            wave,
            phase,
            template: path,
            depends_on: s["depends_on"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Json::as_str)
                .filter_map(|d| out.iter().find(|p| p.name == d))
                .map(|p| (p.name.clone(), p.region.clone()))
                .collect(),
            capabilities: capabilities(&parsed),
            needs_s3_upload: s["needs_s3_upload"] == true || body.len() as u64 > MAX_INLINE_BYTES,
        });
    }
    if out.is_empty() {
        return Err(not_build("manifest.json lists no stacks"));
    }
    Ok(out)
}

/// A CloudFormation stack name: a letter, then letters, digits and hyphens,
/// at most 128 characters.
fn is_stack_name(name: &str) -> bool {
    name.len() <= 128
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The capabilities CloudFormation asks to be acknowledged for a template:
/// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html
fn capabilities(template: &Json) -> Vec<&'static str> {
    const NAMES: [&str; 5] = [
        "RoleName",
        "ManagedPolicyName",
        "UserName",
        "GroupName",
        "InstanceProfileName",
    ];
    let (mut iam, mut named) = (false, false);
    if let Some(resources) = template["Resources"].as_object() {
        for r in resources.values() {
            if r["Type"]
                .as_str()
                .is_some_and(|t| t.starts_with("AWS::IAM::"))
            {
                iam = true;
                named |= NAMES.iter().any(|n| r["Properties"].get(n).is_some());
            }
        }
    }
    let mut out = Vec::new();
    if iam {
        out.push("CAPABILITY_IAM");
    }
    if named {
        out.push("CAPABILITY_NAMED_IAM");
    }
    if template.get("Transform").is_some() {
        out.push("CAPABILITY_AUTO_EXPAND");
    }
    out
}

/// The `aws` arguments that deploy one stack; `Err` when its template needs an
/// S3 bucket and none is given for its region.
pub fn deploy_args(stack: &Stack, buckets: &Buckets) -> Result<Vec<String>, String> {
    let mut args: Vec<String> = [
        "cloudformation",
        "deploy",
        "--stack-name",
        &stack.name,
        "--template-file",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(stack.template.display().to_string());
    args.extend(["--region".to_string(), stack.region.clone()]);
    if !stack.capabilities.is_empty() {
        args.push("--capabilities".into());
        args.extend(stack.capabilities.iter().map(|c| c.to_string()));
    }
    if stack.needs_s3_upload {
        let bucket = buckets.for_region(&stack.region).ok_or_else(|| {
            format!(
                "the template of `{}` is over {MAX_INLINE_BYTES} bytes and must go through S3: \
                 give a bucket in {} with `--s3-bucket BUCKET` (`{{region}}` in its name stands \
                 for the stack's region) or `--s3-bucket {}=BUCKET`",
                stack.name, stack.region, stack.region
            )
        })?;
        args.extend(["--s3-bucket".to_string(), bucket]);
    }
    args.push("--no-fail-on-empty-changeset".into());
    Ok(args)
}

/// A word as a POSIX shell reads it back: bare when it is made of safe
/// characters only, else in single quotes.
pub fn shell_quote(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:+@%".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The stacks grouped by wave, in the manifest's order.
pub fn waves(stacks: &[Stack]) -> Vec<&[Stack]> {
    stacks.chunk_by(|a, b| a.wave == b.wave).collect()
}

/// The commands of a deployment, one per line under a comment per wave: a
/// shell script that deploys the stacks one after another.
pub fn dry_run(stacks: &[Stack], buckets: &Buckets, concurrency: usize) -> Result<String, String> {
    let mut out = String::new();
    for wave in waves(stacks) {
        let n = wave.len();
        let parallel = if n > 1 {
            format!(", up to {} at a time", concurrency.min(n))
        } else {
            String::new()
        };
        out.push_str(&format!(
            "# wave {}: {n} stack{}{parallel}\n",
            wave[0].wave,
            if n == 1 { "" } else { "s" }
        ));
        for stack in wave {
            if stack.phase > 1 {
                out.push_str(&format!(
                    "# {}: phase {} (an update of the stack deployed earlier; when the stack and\n\
                     #   those this phase depends on exist already, its first phase deploys this template too)\n",
                    stack.name, stack.phase
                ));
            }
            let args = deploy_args(stack, buckets)?;
            let words: Vec<String> = std::iter::once("aws".to_string())
                .chain(args.iter().map(|a| shell_quote(a)))
                .collect();
            out.push_str(&words.join(" "));
            out.push('\n');
        }
    }
    Ok(out)
}

/// How one stack's deployment ended.
#[derive(Debug)]
enum Outcome {
    Deployed,
    Unchanged,
    Failed(String),
}

/// Deploys every stack, printing progress to `out`; `Ok(true)` when all were
/// deployed or unchanged, `Ok(false)` after a failure (reported to `out`),
/// `Err` when the AWS CLI cannot be run or a bucket is missing.
pub fn run(
    stacks: &[Stack],
    buckets: &Buckets,
    concurrency: usize,
    out: &(dyn Fn(&str) + Sync),
) -> Result<bool, String> {
    // Every command is made first: a missing bucket stops before anything runs.
    let mut args: Vec<Vec<String>> = stacks
        .iter()
        .map(|s| deploy_args(s, buckets))
        .collect::<Result<_, _>>()?;
    // On a re-deploy, the first phase of a stack deployed in two would remove
    // what its second phase added (a bucket's replication rule back to the
    // primary) until that phase runs again: when the stack and every stack
    // its last phase depends on exist, the first phase deploys the last
    // phase's template (the same resources and exports, and more).
    for (i, stack) in stacks.iter().enumerate() {
        let Some(last) = stacks.iter().rfind(|s| s.name == stack.name) else {
            continue;
        };
        if stack.phase != 1 || last.phase == 1 {
            continue;
        }
        let mut needed = last.depends_on.clone();
        needed.push((stack.name.clone(), stack.region.clone()));
        let mut all = true;
        for (name, region) in &needed {
            all &= exists(name, region)?;
        }
        if all {
            args[i] = deploy_args(last, buckets)?;
            out(&format!(
                "{} exists: its first phase deploys the template of phase {} ({})\n",
                stack.name,
                last.phase,
                last.template.display()
            ));
        }
    }
    let waves = waves(stacks);
    let mut first = 0;
    for (w, wave) in waves.iter().enumerate() {
        let n = wave.len();
        out(&format!(
            "wave {}: {n} stack{}\n",
            wave[0].wave,
            if n == 1 { "" } else { "s" }
        ));
        let wave_args = &args[first..first + n];
        first += n;
        let outcomes = run_wave(wave, wave_args, concurrency, out)?;
        let failed: Vec<(&Stack, &String)> = wave
            .iter()
            .zip(&outcomes)
            .filter_map(|(s, o)| match o {
                Some(Outcome::Failed(why)) => Some((s, why)),
                _ => None,
            })
            .collect();
        if failed.is_empty() {
            continue;
        }
        for (stack, why) in &failed {
            out(&format!("\n{} ({}) failed:\n", stack.name, stack.region));
            for line in why.lines().filter(|l| !l.trim().is_empty()) {
                out(&format!("  {line}\n"));
            }
            out(&failed_events(stack));
        }
        let skipped: Vec<&str> = wave
            .iter()
            .zip(&outcomes)
            .filter(|(_, o)| o.is_none())
            .map(|(s, _)| s.name.as_str())
            .chain(
                waves[w + 1..]
                    .iter()
                    .flat_map(|w| w.iter().map(|s| s.name.as_str())),
            )
            .collect();
        if !skipped.is_empty() {
            out(&format!("\nnot deployed: {}\n", skipped.join(", ")));
        }
        return Ok(false);
    }
    // A stack deployed in two phases is one stack.
    let distinct = stacks.iter().filter(|s| s.phase == 1).count();
    out(&format!("deployed {distinct} stacks\n"));
    Ok(true)
}

/// Runs one wave, at most `concurrency` stacks at a time; after a failure no
/// further stack is started (`None` for those) and the running ones finish.
fn run_wave(
    wave: &[Stack],
    args: &[Vec<String>],
    concurrency: usize,
    out: &(dyn Fn(&str) + Sync),
) -> Result<Vec<Option<Outcome>>, String> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let outcomes: Mutex<Vec<Option<Outcome>>> = Mutex::new(wave.iter().map(|_| None).collect());
    let error: Mutex<Option<String>> = Mutex::new(None);
    let say = |line: String| out(&line);
    std::thread::scope(|scope| {
        for _ in 0..concurrency.clamp(1, wave.len()) {
            scope.spawn(|| loop {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(stack) = wave.get(i) else { return };
                say(format!(
                    "  {}  {}  deploying{}\n",
                    stack.name,
                    stack.region,
                    phase_note(stack)
                ));
                let outcome = match deploy(&args[i]) {
                    Ok(o) => o,
                    Err(e) => {
                        error.lock().expect("no panic").get_or_insert(e);
                        stop.store(true, Ordering::SeqCst);
                        return;
                    }
                };
                let word = match &outcome {
                    Outcome::Deployed => "deployed",
                    Outcome::Unchanged => "unchanged",
                    Outcome::Failed(_) => {
                        stop.store(true, Ordering::SeqCst);
                        "FAILED"
                    }
                };
                say(format!(
                    "  {}  {}  {word}{}\n",
                    stack.name,
                    stack.region,
                    phase_note(stack)
                ));
                outcomes.lock().expect("no panic")[i] = Some(outcome);
            });
        }
    });
    if let Some(e) = error.into_inner().expect("no panic") {
        return Err(e);
    }
    Ok(outcomes.into_inner().expect("no panic"))
}

/// ` (phase N)` after a stack deployed again, else nothing.
fn phase_note(stack: &Stack) -> String {
    if stack.phase > 1 {
        format!(" (phase {})", stack.phase)
    } else {
        String::new()
    }
}

fn aws(args: &[String]) -> Result<std::process::Output, String> {
    Command::new("aws")
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                "cannot run `aws`: it is not on PATH (install the AWS CLI)".to_string()
            } else {
                format!("cannot run `aws`: {}", crate::io_reason(&e))
            }
        })
}

/// Whether stack `name` exists in `region` and its last operation left its
/// resources in place (`aws cloudformation describe-stacks`).
fn exists(name: &str, region: &str) -> Result<bool, String> {
    let args: Vec<String> = [
        "cloudformation",
        "describe-stacks",
        "--stack-name",
        name,
        "--region",
        region,
        "--query",
        "Stacks[0].StackStatus",
        "--output",
        "text",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let output = aws(&args)?;
    let status = String::from_utf8_lossy(&output.stdout);
    Ok(output.status.success()
        && matches!(
            status.trim(),
            "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "UPDATE_ROLLBACK_COMPLETE" | "IMPORT_COMPLETE"
        ))
}

fn deploy(args: &[String]) -> Result<Outcome, String> {
    let output = aws(args)?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    Ok(if !output.status.success() {
        let status = match output.status.code() {
            Some(code) => format!("aws exited with status {code}"),
            None => "aws was killed by a signal".to_string(),
        };
        Outcome::Failed(format!("{stdout}{stderr}{status}"))
    } else if stdout.contains("No changes to deploy") {
        // What `--no-fail-on-empty-changeset` prints for a stack that is up to date.
        Outcome::Unchanged
    } else {
        Outcome::Deployed
    })
}

/// The failed events of a stack's last operation, oldest first, from
/// `aws cloudformation describe-stack-events` (newest first).
fn failed_events(stack: &Stack) -> String {
    let args: Vec<String> = [
        "cloudformation",
        "describe-stack-events",
        "--stack-name",
        &stack.name,
        "--region",
        &stack.region,
        "--output",
        "json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let output = match aws(&args) {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            let why = String::from_utf8_lossy(&o.stderr);
            return format!("  no stack events: {}\n", why.trim());
        }
        Err(e) => return format!("  no stack events: {e}\n"),
    };
    let doc: Json = match serde_json::from_slice(&output.stdout) {
        Ok(doc) => doc,
        Err(e) => return format!("  no stack events: the AWS CLI printed no JSON ({e})\n"),
    };
    let events = doc["StackEvents"].as_array().map_or(&[][..], Vec::as_slice);
    // The last operation starts at the newest stack-level event that a user started.
    let start = events
        .iter()
        .position(|e| {
            e["LogicalResourceId"] == stack.name.as_str()
                && e["ResourceStatusReason"] == "User Initiated"
        })
        .map_or(events.len(), |i| i + 1);
    let failed: Vec<&Json> = events[..start]
        .iter()
        .rev()
        .filter(|e| {
            e["ResourceStatus"]
                .as_str()
                .is_some_and(|s| s.ends_with("_FAILED"))
        })
        .collect();
    if failed.is_empty() {
        return "  no failed events in the stack's last operation\n".to_string();
    }
    let text = |e: &Json, key: &str| e[key].as_str().unwrap_or("").to_string();
    let mut out = format!("  failed events of {}:\n", stack.name);
    for e in failed {
        out.push_str(&format!(
            "    {} {} ({}): {}\n",
            text(e, "ResourceStatus"),
            text(e, "LogicalResourceId"),
            text(e, "ResourceType"),
            text(e, "ResourceStatusReason"),
        ));
    }
    out
}
