//! `failover = automatic`: the primary is watched from the secondaries, never
//! from the primary itself nor through Route 53's health-check metrics, which
//! CloudWatch keeps in us-east-1 only [X2]. Each secondary runs a CloudWatch
//! Synthetics canary that probes every endpoint in the primary region through
//! a record that always names the primary's load balancer
//! (`PRIMARY-REGION.DOMAIN`, `dns::lower_record`), and an alarm on the
//! canary's `SuccessPercent` that notifies `notify`.
//!
//! Only the first secondary of the DNS failover order starts its failover
//! runbooks from that alarm (an EventBridge rule on the alarm's state change,
//! one per runbook): the DNS chain fails over to that region first, and two
//! regions promoting at once would fight over the database. The other
//! secondaries' alarms only notify; a person starts their runbooks.
//!
//! Sources: canaries and their permissions,
//! https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_Roles.html;
//! SSM Automation as an EventBridge target (`automation-definition/NAME:$DEFAULT`),
//! https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-targets.html and
//! https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-cwe-target.html.

use super::json::json;
use super::{aurora, get_att, r#ref, retain, sub, Ctx, Tags};
use crate::graph::region_order;
use crate::model::Model;
use crate::stdlib::schema;
use crate::text::cat;

/// A current Node.js runtime of CloudWatch Synthetics (its support policy:
/// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Runtime_Support_Policy.html).
/// Runtimes are deprecated over time: a deprecated one cannot create canaries.
const RUNTIME: &str = "syn-nodejs-puppeteer-10.0";

/// Whether the platform fails over automatically and has something to watch.
pub fn automatic(model: &Model) -> bool {
    model.platform.attrs.str("failover") == Some("automatic") && !model.endpoints.is_empty()
}

/// The secondary whose alarm starts its runbooks: the first the DNS chain
/// fails over to.
pub fn starter(model: &Model) -> Option<usize> {
    region_order(model).get(1).copied()
}

/// Resources runbook `k` of `region` gains: the canary, its bucket and role,
/// the alarm, its topic and subscriptions with the first runbook; a rule and
/// its role with every runbook of the starting secondary.
pub fn size(model: &Model, region: usize, k: usize) -> usize {
    if !automatic(model) {
        return 0;
    }
    let notify = model.platform.attrs.strings("notify").len();
    let watch = if k == 0 { 5 + notify } else { 0 };
    watch + if starter(model) == Some(region) { 2 } else { 0 }
}

/// Short, lowercase and the same in every region: a canary name has at most 21
/// characters (`CreateCanary`), so the platform's prefix is hashed (FNV-1a).
pub fn canary_name(prefix: &str) -> String {
    let hash = prefix.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("tap-watch-{:08x}", hash & 0xffff_ffff)
}

fn alarm_name(prefix: &str, model: &Model) -> String {
    format!(
        "{prefix}-primary-down-{}",
        model.regions[model.primary()].code
    )
}

/// The canary's script: an HTTP(S) request per endpoint to the record of the
/// primary's load balancer, with the endpoint's own name for TLS (SNI and
/// certificate check) and `Host`; any status outside 200-399 or any error
/// fails the run.
fn script(model: &Model) -> String {
    let probes: Vec<String> = model
        .endpoints
        .iter()
        .map(|e| {
            let domain = e.attrs.str("domain").unwrap_or_default();
            let https = e.health.str("protocol") == Some("https");
            let port = e.health.int("port").unwrap_or(if https { 443 } else { 80 });
            let path = e.health.str("path").unwrap_or("/");
            format!(
                "{{ https: {https}, host: {:?}, name: {domain:?}, port: {port}, path: {path:?} }}",
                primary_record(model, domain).trim_end_matches('.'),
            )
        })
        .collect();
    format!(
        "const http = require('http');\n\
         const https = require('https');\n\
         const probes = [{}];\n\
         const probe = (p) => new Promise((resolve, reject) => {{\n\
         \x20 const req = (p.https ? https : http).request({{ host: p.host, servername: p.name, port: p.port, path: p.path, headers: {{ Host: p.name }}, timeout: 10000 }}, (res) => {{\n\
         \x20   res.resume();\n\
         \x20   if (res.statusCode >= 200 && res.statusCode < 400) resolve(); else reject(new Error(p.name + ': HTTP ' + res.statusCode));\n\
         \x20 }});\n\
         \x20 req.on('timeout', () => req.destroy(new Error(p.name + ': no answer in 10 s')));\n\
         \x20 req.on('error', reject);\n\
         \x20 req.end();\n\
         }});\n\
         exports.handler = async () => {{ await Promise.all(probes.map(probe)); }};\n",
        probes.join(", ")
    )
}

/// Adds the watch to runbook `k`'s stack in a secondary.
pub fn lower(ctx: &mut Ctx, prefix: &str, k: usize, document: &str, runbook_role: &str) {
    let model = ctx.model;
    if !automatic(model) {
        return;
    }
    let region = ctx.region_code();
    let primary = &model.regions[model.primary()].code;
    let alarm = alarm_name(prefix, model);
    if k == 0 {
        lower_canary(ctx, prefix, &alarm);
    }
    if starter(model) != Some(ctx.region) {
        return;
    }
    let suffix = if k == 0 {
        String::new()
    } else {
        (k + 1).to_string()
    };
    let (rule, role) = (cat!("WatchRule", suffix), cat!("WatchRuleRole", suffix));
    let definition = format!(
        "arn:${{AWS::Partition}}:ssm:{region}:${{AWS::AccountId}}:automation-definition/{document}"
    );
    ctx.add(
        &role,
        "AWS::IAM::Role",
        json!({
            "AssumeRolePolicyDocument": { "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Principal": { "Service": "events.amazonaws.com" }, "Action": "sts:AssumeRole" }] },
            "Policies": [{ "PolicyName": "start-failover", "PolicyDocument": { "Version": "2012-10-17", "Statement": [
                { "Effect": "Allow", "Action": ["ssm:StartAutomationExecution"], "Resource": sub(cat!(definition, ":*")) },
                {
                    "Effect": "Allow",
                    "Action": ["iam:PassRole"],
                    "Resource": get_att(runbook_role, "Arn"),
                    "Condition": { "StringEquals": { "iam:PassedToService": "ssm.amazonaws.com" } },
                },
            ] } }],
        }),
        Tags::List("Tags"),
    );
    ctx.add(
        &rule,
        "AWS::Events::Rule",
        json!({
            "Description": cat!(primary, " is down: start the failover runbook ", document),
            "State": "ENABLED",
            "EventPattern": {
                "source": ["aws.cloudwatch"],
                "detail-type": ["CloudWatch Alarm State Change"],
                "resources": [sub(cat!("arn:${AWS::Partition}:cloudwatch:", region, ":${AWS::AccountId}:alarm:", alarm))],
                "detail": { "state": { "value": ["ALARM"] } },
            },
            "Targets": [{ "Id": "failover", "Arn": sub(cat!(definition, ":$DEFAULT")), "RoleArn": get_att(&role, "Arn") }],
        }),
        Tags::None,
    );
}

/// The canary that probes the primary from this region, where its results
/// go, and the alarm on them.
fn lower_canary(ctx: &mut Ctx, prefix: &str, alarm: &str) {
    let model = ctx.model;
    let region = ctx.region_code();
    let primary = &model.regions[model.primary()].code;
    let name = canary_name(prefix);
    let timing = &schema().timing;
    let interval = timing.watch_interval.ms.unwrap_or(60_000) / 1000;
    let periods = timing.watch_evaluation.ms.unwrap_or(180_000) / 1000 / interval.max(1);
    // Retained like every bucket; runs are kept for days, not forever.
    retain(ctx.add(
        "WatchBucket",
        "AWS::S3::Bucket",
        json!({
            "BucketEncryption": { "ServerSideEncryptionConfiguration": [{ "ServerSideEncryptionByDefault": { "SSEAlgorithm": "AES256" } }] },
            "PublicAccessBlockConfiguration": { "BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true },
            "LifecycleConfiguration": { "Rules": [{ "Id": "expire-canary-runs", "Status": "Enabled", "ExpirationInDays": 30 }] },
        }),
        Tags::List("Tags"),
    ));
    ctx.add(
        "WatchCanaryRole",
        "AWS::IAM::Role",
        json!({
            "AssumeRolePolicyDocument": { "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Principal": { "Service": "lambda.amazonaws.com" }, "Action": "sts:AssumeRole" }] },
            "Policies": [{ "PolicyName": "canary", "PolicyDocument": { "Version": "2012-10-17", "Statement": [
                { "Effect": "Allow", "Action": ["s3:PutObject"], "Resource": sub("${WatchBucket.Arn}/*") },
                { "Effect": "Allow", "Action": ["s3:GetBucketLocation"], "Resource": get_att("WatchBucket", "Arn") },
                // Synthetics lists buckets to check its artifact location; the
                // action has no resource-level permissions.
                { "Effect": "Allow", "Action": ["s3:ListAllMyBuckets"], "Resource": "*" },
                {
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": sub(cat!("arn:${AWS::Partition}:logs:", region, ":${AWS::AccountId}:log-group:/aws/lambda/cwsyn-", name, "-*")),
                },
                // PutMetricData has no resource-level permissions: the
                // namespace condition is the narrowing.
                {
                    "Effect": "Allow",
                    "Action": ["cloudwatch:PutMetricData"],
                    "Resource": "*",
                    "Condition": { "StringEquals": { "cloudwatch:namespace": "CloudWatchSynthetics" } },
                },
            ] } }],
        }),
        Tags::List("Tags"),
    );
    ctx.add(
        "WatchCanary",
        "AWS::Synthetics::Canary",
        json!({
            "Name": &name,
            "RuntimeVersion": RUNTIME,
            "ExecutionRoleArn": get_att("WatchCanaryRole", "Arn"),
            "ArtifactS3Location": sub("s3://${WatchBucket}"),
            "Code": { "Handler": "index.handler", "Script": script(model) },
            "Schedule": { "Expression": if interval == 60 { "rate(1 minute)".to_string() } else { cat!("rate(", interval / 60, " minutes)") } },
            "RunConfig": { "TimeoutInSeconds": 30 },
            "StartCanaryAfterCreation": true,
            "SuccessRetentionPeriod": 2,
            "FailureRetentionPeriod": 14,
        }),
        Tags::List("Tags"),
    );
    aurora::alarm_topic(
        ctx,
        "WatchTopic",
        &cat!(model.platform.name, " (primary ", primary, ")"),
    );
    ctx.add(
        "WatchAlarm",
        "AWS::CloudWatch::Alarm",
        json!({
            "AlarmName": alarm,
            "AlarmDescription": cat!("The primary region ", primary, " fails the canary ", name, " in ", region, " ", periods, " times in a row"),
            "Namespace": "CloudWatchSynthetics",
            "MetricName": "SuccessPercent",
            "Dimensions": [{ "Name": "CanaryName", "Value": &name }],
            "Statistic": "Average",
            "Period": interval,
            "EvaluationPeriods": periods,
            "DatapointsToAlarm": periods,
            "Threshold": 100,
            "ComparisonOperator": "LessThanThreshold",
            // A canary that does not run proves nothing about the primary:
            // only failed runs start a failover.
            "TreatMissingData": "notBreaching",
            "AlarmActions": [r#ref("WatchTopic")],
            "OKActions": [r#ref("WatchTopic")],
        }),
        Tags::None,
    );
}

/// The record name the canaries probe for an endpoint's `domain`.
pub fn primary_record(model: &Model, domain: &str) -> String {
    cat!(model.regions[model.primary()].code, ".", domain, ".")
}
