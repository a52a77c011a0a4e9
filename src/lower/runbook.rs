//! The runbooks of the DR cycle, SSM Automation documents in each secondary.
//!
//! The failover runbook of a secondary S starts the step of every service whose
//! kind has one (`Behaviour::failover`: an Aurora global database fails over to
//! S with `FailoverGlobalCluster`, aws-dr.md 1.1; compute the strategy keeps at
//! reduced or zero capacity scales up), moves traffic, then waits for those
//! that report completion, and fails unless S's cluster is the writer.
//! Moving traffic publishes the `Serving` metric (1 in S, 0 in every other
//! secondary that answers), which turns S's serving alarm to ALARM and with it
//! the Route 53 checks that keep the other regions out of DNS (`dns.rs`).
//! `cloudwatch:PutMetricData` is a regional data-plane call made in S, never in
//! the failed region. It is made right after the promotions start so that the
//! alarm's period and Route 53 following it (about 90 s) overlap the promotion
//! (about 1 min), as the budget's `max(promote, compute, traffic)` counts
//! them: by the time answers point at S, S is (nearly) the writer, and writes
//! fail in the meantime wherever they land.
//!
//! The failback runbook of S returns to the original primary: a planned
//! switchover of every stateful service (`Behaviour::failback`), waits until
//! the primary is the writer again, publishes `Serving` 0 in every secondary,
//! lets cached DNS answers expire, then scales S back to its standby size.
//!
//! SSM caps a document at 64 KB and IAM a role's inline policies at 10,240
//! characters, so a large platform gets several runbooks per region, each with
//! its own role. They are independent and are started together; traffic moves
//! in the last one.

use super::json::{self, json, Json};
use super::{get_att, MAX_POLICY};
use crate::model::Model;
use crate::names::{self, NameKind};
use crate::text::cat;

/// SSM's quota on a document's content ([SSM CreateDocument]), less room for the
/// role ARN that replaces its `Fn::GetAtt` (sizes are taken in template form).
const MAX_CONTENT: usize = 64 * 1024 - 1024;

/// The CloudWatch namespace and metric the runbooks publish and the serving
/// alarms watch (standard resolution: Route 53 health checks follow only
/// those, https://docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html).
pub const NAMESPACE: &str = "tapc";
pub const METRIC: &str = "Serving";
/// How long the failback runbook waits between moving traffic back and
/// scaling the secondary down: the serving alarm's 60 s period, Route 53
/// following it, and the 60 s TTL of cached answers (aws-dr.md 1.5).
pub const DRAIN: &str = "PT3M";
/// The Python runtime of the runbooks' scripts (`aws:executeScript`).
const RUNTIME: &str = "python3.11";

/// One runbook of a region: its role and documents, ready to add to a template.
pub struct Runbook {
    /// `(logical ID, type, properties)` of the role, the failover document
    /// and the failback document.
    pub resources: Vec<(String, &'static str, Json)>,
    pub document: String,
    pub failback: String,
    /// The template text the resources take, at most (for stack cutting).
    pub bytes: usize,
    /// The services it acts on.
    pub services: Vec<usize>,
}

/// What one service adds to a runbook: a step that starts its failover (or
/// failback), steps that wait for it (after every start), and the IAM
/// statement the runbook's role needs for them.
pub(crate) struct Action {
    pub service: usize,
    pub start: Json,
    pub wait: Vec<Json>,
    pub statement: Json,
}

/// How an operator checks a runbook's work on one service (RUNBOOK.md): what
/// to look at, the command, and the answer when it is done.
pub(crate) struct Check {
    pub what: String,
    pub command: String,
    pub expect: String,
}

/// What a kind needs to build its runbook step: the model, and the physical
/// names and logical-ID stems of the services.
pub(crate) struct Names<'a> {
    pub model: &'a Model,
    pub prefix: &'a str,
    pub ids: &'a [String],
}

impl Names<'_> {
    /// The physical name of a resource of service `i` in `region`.
    pub fn name(&self, kind: NameKind, i: usize, region: &str) -> String {
        names::name(
            kind,
            self.prefix,
            &self.model.services[i].name,
            region,
            "${AWS::AccountId}",
        )
    }
    /// The logical-ID stem of service `i`, which names its steps.
    pub fn id(&self, i: usize) -> &str {
        &self.ids[i]
    }
}

/// The alarm of secondary `code` that is in ALARM while it serves.
pub fn serving_alarm(prefix: &str, code: &str) -> String {
    cat!(prefix, "-serving-", code)
}

/// The step that waits until `target` (a cluster ARN) is the writer of the
/// global cluster `global`: `Status = available` alone is also true of a
/// global cluster whose writer did not change. `DescribeGlobalClusters`
/// reports `GlobalClusterMembers[].IsWriter`
/// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_GlobalClusterMember.html).
pub(crate) fn writer_check(name: String, global: &str, target: Json) -> Json {
    const SCRIPT: &str = "import time\nimport boto3\n\ndef handler(event, context):\n    rds = boto3.client('rds')\n    deadline = time.time() + 540\n    while True:\n        cluster = rds.describe_global_clusters(GlobalClusterIdentifier=event['GlobalCluster'])['GlobalClusters'][0]\n        writers = [m['DBClusterArn'] for m in cluster['GlobalClusterMembers'] if m.get('IsWriter')]\n        if cluster['Status'] == 'available' and writers == [event['Target']]:\n            return {'Writer': writers[0]}\n        if time.time() > deadline:\n            raise Exception('writer of %s is %s, not %s (status %s)' % (event['GlobalCluster'], writers, event['Target'], cluster['Status']))\n        time.sleep(15)\n";
    json!({
        "name": name,
        "action": "aws:executeScript",
        "timeoutSeconds": 600,
        "inputs": {
            "Runtime": RUNTIME,
            "Handler": "handler",
            "Script": SCRIPT,
            "InputPayload": { "GlobalCluster": global, "Target": target },
        },
    })
}

/// The step that publishes `Serving`: 1 in `serving` (if any), 0 in the
/// other `regions`. A region that does not answer is skipped during a
/// failover (it may be the failed one) and fails the failback (every region
/// must be up for it).
fn publish(name: &str, prefix: &str, serving: Option<&str>, regions: &[&str]) -> Json {
    const SCRIPT: &str = "import boto3\n\ndef handler(event, context):\n    skipped = []\n    for region in event['Regions']:\n        value = 1 if region == event['Serving'] else 0\n        try:\n            boto3.client('cloudwatch', region_name=region).put_metric_data(\n                Namespace=event['Namespace'],\n                MetricData=[{'MetricName': event['Metric'], 'Dimensions': [{'Name': 'Platform', 'Value': event['Platform']}], 'Value': value, 'Unit': 'Count'}])\n        except Exception:\n            if event['Strict'] or region == event['Serving']:\n                raise\n            skipped.append(region)\n    return {'Skipped': skipped}\n";
    json!({
        "name": name,
        "action": "aws:executeScript",
        "timeoutSeconds": 120,
        "inputs": {
            "Runtime": RUNTIME,
            "Handler": "handler",
            "Script": SCRIPT,
            "InputPayload": {
                "Namespace": NAMESPACE,
                "Metric": METRIC,
                "Platform": prefix,
                "Serving": serving.unwrap_or(""),
                "Regions": Json::Arr(regions.iter().map(|r| json!(*r)).collect()),
                "Strict": serving.is_none(),
            },
        },
    })
}

/// `cloudwatch:PutMetricData` takes no resource; the condition keeps the
/// role to the runbooks' namespace
/// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html).
fn publish_statement() -> Json {
    json!({
        "Effect": "Allow",
        "Action": ["cloudwatch:PutMetricData"],
        "Resource": "*",
        "Condition": { "StringEquals": { "cloudwatch:namespace": NAMESPACE } },
    })
}

/// A service's failover and failback actions.
type Pair = (Action, Option<Action>);

fn pair_size(pair: &Pair) -> (usize, usize) {
    let action = |a: &Action| {
        json::compact_len(&a.start)
            + a.wait
                .iter()
                .map(|w| json::compact_len(w) + 1)
                .sum::<usize>()
            + 1
    };
    let (over, back) = pair;
    let steps = action(over) + back.as_ref().map_or(0, action);
    let statement = json::resolved_len(&over.statement)
        + 1
        + back
            .as_ref()
            .map_or(0, |b| json::resolved_len(&b.statement) + 1);
    (steps, statement)
}

/// The runbooks of `region` (a secondary), none if there is nothing to promote,
/// scale up or move there. `ids` are the services' logical-ID stems.
pub fn runbooks(model: &Model, prefix: &str, ids: &[String], region: usize) -> Vec<Runbook> {
    // Each group with its content and policy size so far.
    let mut groups: Vec<(Vec<Pair>, usize, usize)> = Vec::new();
    for pair in actions(model, prefix, ids, region) {
        let (steps, statement) = pair_size(&pair);
        match groups.last_mut() {
            Some((group, content, policy))
                if *content + steps <= MAX_CONTENT && *policy + statement <= MAX_POLICY =>
            {
                group.push(pair);
                *content += steps;
                *policy += statement;
            }
            // Everything around the steps and statements (with the traffic
            // steps and their scripts), generously.
            _ => groups.push((vec![pair], 4096 + steps, 256 + statement)),
        }
    }
    if groups.is_empty() && !model.endpoints.is_empty() {
        groups.push((Vec::new(), 4096, 256));
    }
    let count = groups.len();
    groups
        .into_iter()
        .enumerate()
        .map(|(k, (group, content, policy))| {
            // Pretty text in a template is about twice the compact text.
            let bytes = 3 * (content + policy) + 3_000;
            let traffic = k + 1 == count && !model.endpoints.is_empty();
            runbook(model, prefix, region, k, group, traffic, bytes)
        })
        .collect()
}

/// The actions of `region`, by service name (so the order of the program's
/// items does not matter).
fn actions(model: &Model, prefix: &str, ids: &[String], region: usize) -> Vec<Pair> {
    let names = Names { model, prefix, ids };
    let mut services: Vec<_> = model.services.iter().enumerate().collect();
    services.sort_by(|a, b| a.1.name.cmp(&b.1.name));
    services
        .into_iter()
        .filter_map(|(i, svc)| {
            let over = svc.kind.imp.failover(&names, i, region)?;
            Some((over, svc.kind.imp.failback(&names, i, region)))
        })
        .collect()
}

/// The secondaries, in the order of the DNS failover chain.
fn secondaries(model: &Model) -> Vec<&str> {
    model
        .secondaries()
        .map(|r| model.regions[r].code.as_str())
        .collect()
}

/// Runbook `k` of `region`: every action starts, then (in the last runbook of
/// the region) the traffic step, then the waits. Its failback: the data
/// switches back and their waits, traffic back, a pause for cached answers,
/// then compute down to its standby size.
fn runbook(
    model: &Model,
    prefix: &str,
    region: usize,
    k: usize,
    pairs: Vec<Pair>,
    traffic: bool,
    bytes: usize,
) -> Runbook {
    let code = model.regions[region].code.as_str();
    let primary = &model.regions[model.primary()].code;
    let suffix = if k == 0 {
        String::new()
    } else {
        (k + 1).to_string()
    };
    let named = |what: &str| {
        let name = names::name(NameKind::Document, prefix, what, code, "");
        match k {
            0 => name,
            _ => cat!(name, "-", suffix),
        }
    };
    let (document, failback) = (named("failover"), named("failback"));
    let role = cat!("FailoverRunbookRole", suffix);
    let services = pairs.iter().map(|(a, _)| a.service).collect();
    let secondaries = secondaries(model);
    let mut statements = Vec::new();
    // Failover: starts, waits, traffic.
    let (mut steps, mut waits) = (Vec::new(), Vec::new());
    // Failback: data starts, their waits, traffic, drain, then compute.
    let (mut back_steps, mut back_waits, mut back_compute) = (Vec::new(), Vec::new(), Vec::new());
    for (over, back) in pairs {
        steps.push(over.start);
        waits.extend(over.wait);
        statements.push(over.statement);
        if let Some(back) = back {
            if back.wait.is_empty() {
                back_compute.push(back.start);
            } else {
                back_steps.push(back.start);
                back_waits.extend(back.wait);
            }
            statements.push(back.statement);
        }
    }
    back_steps.extend(back_waits);
    if traffic {
        steps.push(publish("MoveTraffic", prefix, Some(code), &secondaries));
        back_steps.push(publish("MoveTrafficBack", prefix, None, &secondaries));
        statements.push(publish_statement());
    }
    steps.extend(waits);
    if !back_compute.is_empty() {
        if traffic {
            back_steps.push(json!({
                "name": "DrainCachedAnswers",
                "action": "aws:sleep",
                "inputs": { "Duration": DRAIN },
            }));
        }
        back_steps.extend(back_compute);
    }
    let role_props = json!({
        "AssumeRolePolicyDocument": { "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Principal": { "Service": "ssm.amazonaws.com" }, "Action": "sts:AssumeRole" }] },
        "Policies": [{ "PolicyName": "failover", "PolicyDocument": { "Version": "2012-10-17", "Statement": statements } }],
    });
    let doc = |name: &str, description: String, steps: Vec<Json>| {
        let content = json!({
            "schemaVersion": "0.3",
            "description": description,
            "assumeRole": "{{ AutomationAssumeRole }}",
            "parameters": {
                "AutomationAssumeRole": { "type": "String", "description": "Role the runbook runs as", "default": get_att(&role, "Arn") },
            },
            "mainSteps": steps,
        });
        json!({
            "Name": name,
            "DocumentType": "Automation",
            "DocumentFormat": "JSON",
            "UpdateMethod": "NewVersion",
            "Content": content,
        })
    };
    let platform = &model.platform.name;
    let over = doc(
        &document,
        cat!(
            "Fail the platform ",
            platform,
            " over to ",
            code,
            ": promote it, scale it up, move traffic to it"
        ),
        steps,
    );
    let back = doc(
        &failback,
        cat!(
            "Fail the platform ",
            platform,
            " back from ",
            code,
            " to ",
            primary,
            ": switch over without data loss, move traffic back, scale ",
            code,
            " down"
        ),
        back_steps,
    );
    Runbook {
        resources: vec![
            (role.clone(), "AWS::IAM::Role", role_props),
            (cat!("FailoverRunbook", suffix), "AWS::SSM::Document", over),
            (cat!("FailbackRunbook", suffix), "AWS::SSM::Document", back),
        ],
        document,
        failback,
        bytes,
        services,
    }
}
