//! `s3`: a versioned, encrypted, private bucket per region; the primary bucket
//! replicates to every secondary bucket, and each secondary bucket back to the
//! primary (added by the second phase of its stack, once the primary bucket
//! exists: `graph::Phase`), with Replication Time Control and metrics when
//! `rtc = true`, each direction through a least-privilege role of its own
//! region (aws-dr.md 1.3).

use super::json::{json, Json};
use crate::text::cat;

use super::kinds::{Behaviour, Part, Provided};
use super::runbook::{Check, Names};
use super::{get_att, r#ref, retain, sub, Ctx, Tags};
use crate::graph::NodeKind;
use crate::model::{Model, Role};
use crate::names::NameKind;

fn arn(bucket: &str) -> String {
    cat!("arn:${AWS::Partition}:s3:::", bucket)
}

/// The regions the primary bucket of service `i` replicates to, when the
/// context is the primary and the service is replicated.
fn forward(ctx: &Ctx, i: usize) -> Option<Vec<usize>> {
    let rep = ctx.service(i).replication.as_ref()?;
    ctx.is_primary().then(|| rep.regions.clone())
}

/// The replication of service `i`'s bucket in the context's region to the
/// buckets of `regions`: the role's logical ID and properties, and the
/// bucket's `ReplicationConfiguration`. Rules in both directions (primary to
/// secondary, and back) sync replica modifications
/// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-for-metadata-changes.html);
/// they do not loop, since S3 does not replicate a replica again
/// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-what-is-isnot-replicated.html).
/// The role has the permissions of
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html
/// on exactly the source and destination buckets.
fn replication(ctx: &Ctx, i: usize, regions: &[usize]) -> (String, Json, Json) {
    let name = ctx.name(NameKind::Bucket, i, ctx.region_code());
    let rtc = ctx
        .service(i)
        .replication
        .as_ref()
        .and_then(|rep| rep.attrs.bool("rtc"))
        .unwrap_or(false);
    let role = ctx.id(i, "ReplicationRole");
    let destinations: Vec<String> = regions
        .iter()
        .map(|&r| ctx.name(NameKind::Bucket, i, &ctx.model.regions[r].code))
        .collect();
    let rules: Vec<Json> = regions
        .iter()
        .zip(&destinations)
        .enumerate()
        .map(|(k, (&r, dest))| {
            let mut destination = json!({ "Bucket": sub(arn(dest)) });
            if rtc {
                destination["ReplicationTime"] =
                    json!({ "Status": "Enabled", "Time": { "Minutes": 15 } });
                destination["Metrics"] =
                    json!({ "Status": "Enabled", "EventThreshold": { "Minutes": 15 } });
            }
            json!({
                "Id": cat!("to-", ctx.model.regions[r].code),
                "Status": "Enabled",
                "Priority": k + 1,
                "Filter": { "Prefix": "" },
                "DeleteMarkerReplication": { "Status": "Enabled" },
                "SourceSelectionCriteria": { "ReplicaModifications": { "Status": "Enabled" } },
                "Destination": destination,
            })
        })
        .collect();
    let config = json!({ "Role": get_att(&role, "Arn"), "Rules": rules });
    let statements = json!([
        { "Effect": "Allow", "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"], "Resource": sub(arn(&name)) },
        { "Effect": "Allow", "Action": ["s3:GetObjectVersionAcl", "s3:GetObjectVersionForReplication", "s3:GetObjectVersionTagging"], "Resource": sub(cat!(arn(&name), "/*")) },
        { "Effect": "Allow", "Action": ["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"], "Resource": destinations.iter().map(|d| sub(cat!(arn(d), "/*"))).collect::<Vec<_>>() },
    ]);
    let props = json!({
        "AssumeRolePolicyDocument": { "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Principal": { "Service": "s3.amazonaws.com" }, "Action": "sts:AssumeRole" }] },
        "Policies": [{ "PolicyName": "replication", "PolicyDocument": { "Version": "2012-10-17", "Statement": statements } }],
        "Tags": ctx.tags(ctx.region),
    });
    (role, props, config)
}

/// The bucket of service `i` in the context's region, a secondary, replicates
/// back to the primary bucket: added by the second phase of the bucket's
/// stack, deployed once the primary bucket exists (`graph::Phase`). Returns
/// the logical IDs and resources the second phase adds or changes.
fn back(ctx: &Ctx, i: usize) -> Vec<(String, Json)> {
    let (role, role_props, config) = replication(ctx, i, &[ctx.model.primary()]);
    vec![
        (
            ctx.id(i, "Bucket"),
            json!({ "Properties": { "ReplicationConfiguration": config } }),
        ),
        (
            role,
            json!({ "Type": "AWS::IAM::Role", "Properties": role_props }),
        ),
    ]
}

fn lower(ctx: &mut Ctx, i: usize) {
    let region = ctx.region_code();
    let name = ctx.name(NameKind::Bucket, i, region);
    let bucket = ctx.id(i, "Bucket");
    let mut props = json!({
        "BucketName": sub(name.clone()),
        "VersioningConfiguration": { "Status": "Enabled" },
        "BucketEncryption": { "ServerSideEncryptionConfiguration": [{ "ServerSideEncryptionByDefault": { "SSEAlgorithm": "AES256" } }] },
        "PublicAccessBlockConfiguration": { "BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true },
        "OwnershipControls": { "Rules": [{ "ObjectOwnership": "BucketOwnerEnforced" }] },
    });
    if let Some(regions) = forward(ctx, i) {
        let (role, role_props, config) = replication(ctx, i, &regions);
        props["ReplicationConfiguration"] = config;
        ctx.add(&role, "AWS::IAM::Role", role_props, Tags::None);
    }
    retain(ctx.add(&bucket, "AWS::S3::Bucket", props, Tags::List("Tags")));
    ctx.add(
        &ctx.id(i, "BucketPolicy"),
        "AWS::S3::BucketPolicy",
        json!({
            "Bucket": r#ref(&bucket),
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [get_att(&bucket, "Arn"), { "Fn::Join": ["", [get_att(&bucket, "Arn"), "/*"]] }],
                    "Condition": { "Bool": { "aws:SecureTransport": "false" } },
                }],
            },
        }),
        Tags::None,
    );
}

/// The `s3` kind.
#[derive(Debug)]
pub(crate) struct S3;

impl Behaviour for S3 {
    #[cfg(test)]
    fn name(&self) -> &'static str {
        "s3"
    }
    /// The primary bucket's replication rules name every secondary bucket.
    fn regional_edges(&self, model: &Model, i: usize, region: usize) -> Vec<(NodeKind, usize)> {
        if region != model.primary() {
            return Vec::new();
        }
        model
            .secondaries()
            .map(|s| (NodeKind::Service(i), s))
            .collect()
    }
    /// A secondary bucket replicates back to the primary bucket, which is
    /// deployed after it: in the second phase of its stack.
    fn second_phase_edges(&self, model: &Model, i: usize, region: usize) -> Vec<(NodeKind, usize)> {
        let replicated = model.services[i]
            .replication
            .as_ref()
            .is_some_and(|rep| rep.regions.contains(&region));
        if region == model.primary() || !replicated {
            return Vec::new();
        }
        vec![(NodeKind::Service(i), model.primary())]
    }
    fn second_phase(&self, ctx: &Ctx, i: usize) -> Vec<(String, Json)> {
        back(ctx, i)
    }
    fn second_phase_note(&self) -> Option<&'static str> {
        Some("a secondary S3 bucket's replication back to the primary bucket")
    }

    fn size(&self, model: &Model, i: usize, region: usize, _part: Part) -> (usize, usize) {
        let primary = model.regions[region].role == Role::Primary;
        let replicated = model.services[i].replication.is_some();
        (2 + usize::from(primary && replicated), 1)
    }
    fn lower(&self, ctx: &mut Ctx, i: usize, _part: Part) {
        lower(ctx, i);
    }
    fn outputs(&self, ctx: &mut Ctx, i: usize, _part: Part) {
        ctx.output(
            &ctx.id(i, "BucketName"),
            "Bucket name",
            r#ref(&ctx.id(i, "Bucket")),
        );
    }
    fn provide(&self, ctx: &mut Ctx, i: usize, var: &str, out: &mut Provided) {
        let bucket = ctx.name(NameKind::Bucket, i, ctx.region_code());
        out.env
            .push(json!({ "Name": cat!(var, "_BUCKET"), "Value": sub(bucket.clone()) }));
        out.task.push(json!({ "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": sub(arn(&bucket)) }));
        out.task.push(json!({
            "Effect": "Allow",
            "Action": ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
            "Resource": sub(cat!(arn(&bucket), "/*")),
        }));
    }
    /// The secondary bucket replicates back to the primary bucket (second
    /// phase of its stack): before traffic returns, the operator checks that
    /// replication caught up. S3 marks each source object's
    /// `ReplicationStatus` (`PENDING`, `COMPLETED`, `FAILED`; `REPLICA` on a
    /// replica) and, with Replication Time Control, publishes
    /// `OperationsPendingReplication` per rule
    /// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-status.html,
    /// https://docs.aws.amazon.com/AmazonS3/latest/userguide/repl-metrics.html).
    /// `aws s3 sync` remains the fallback for what replication did not copy
    /// (objects written before the rule existed, or `FAILED`).
    fn before_failback(&self, names: &Names, i: usize, region: usize) -> Vec<Check> {
        let model = names.model;
        let rep = model.services[i]
            .replication
            .as_ref()
            .filter(|rep| rep.regions.contains(&region));
        let (code, primary) = (
            &model.regions[region].code,
            &model.regions[model.primary()].code,
        );
        let bucket = |r: &str| {
            names
                .name(NameKind::Bucket, i, r)
                .replace("${AWS::AccountId}", "$ACCOUNT")
        };
        let (from, to) = (bucket(code), bucket(primary));
        let account = "ACCOUNT=$(aws sts get-caller-identity --query Account --output text)";
        let sync = format!(
            "{account}; aws s3 sync s3://{from} s3://{to} --source-region {code} --region {primary}"
        );
        // Not replicated to this region: nothing copies its objects back.
        let Some(rep) = rep else {
            return vec![Check {
                what: cat!(
                    "copy the objects written in `",
                    code,
                    "` to `",
                    primary,
                    "` (this bucket is not replicated)"
                ),
                command: sync,
                expect: "it ends without an error; run it again until it copies nothing".into(),
            }];
        };
        let mut checks = vec![Check {
            what: format!(
                "the newest object written in `{code}` has replicated back to `{primary}` (rule `to-{primary}` of the bucket in `{code}`)",
            ),
            command: format!(
                "{account}; KEY=$(aws s3api list-objects-v2 --bucket {from} --region {code} --query 'sort_by(Contents, &LastModified)[-1].Key' --output text); aws s3api head-object --bucket {from} --key \"$KEY\" --region {code} --query ReplicationStatus --output text"
            ),
            expect: format!(
                "`COMPLETED` (or `REPLICA`: the newest object came from `{primary}`); `PENDING`: wait and run it again; `FAILED`, or objects written in `{code}` before the back rule existed: copy them, as a fallback, with `{sync}` until it copies nothing"
            ),
        }];
        if rep.attrs.bool("rtc").unwrap_or(false) {
            checks.push(Check {
                what: cat!("no object of `", code, "` waits to replicate to `", primary, "` (Replication Time Control metrics)"),
                command: format!(
                    "{account}; aws cloudwatch get-metric-statistics --region {code} --namespace AWS/S3 --metric-name OperationsPendingReplication --dimensions Name=SourceBucket,Value={from} Name=DestinationBucket,Value={to} Name=RuleId,Value=to-{primary} --start-time $(date -u -d '-15 min' +%FT%TZ) --end-time $(date -u +%FT%TZ) --period 60 --statistics Maximum --query 'sort_by(Datapoints, &Timestamp)[-1].Maximum'"
                ),
                expect: "0".into(),
            });
        }
        checks
    }
    fn names(&self) -> &'static [NameKind] {
        &[NameKind::Bucket]
    }
}
