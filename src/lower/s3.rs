//! `s3`: a versioned, encrypted, private bucket per region; the primary bucket
//! replicates to every secondary bucket (with Replication Time Control and
//! metrics when `rtc = true`) through a least-privilege role (aws-dr.md 1.3).

use super::json::{json, Json};

use super::kinds::{Behaviour, Part, Provided};
use super::runbook::{Check, Names};
use super::{get_att, r#ref, retain, sub, Ctx, Tags};
use crate::graph::NodeKind;
use crate::model::{Model, Role};
use crate::names::NameKind;

fn arn(bucket: &str) -> String {
    format!("arn:${{AWS::Partition}}:s3:::{bucket}")
}

fn lower(ctx: &mut Ctx, i: usize) {
    let svc = ctx.service(i);
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
    let replication = svc.replication.as_ref().filter(|_| ctx.is_primary());
    if let Some(rep) = replication {
        let rtc = rep.attrs.bool("rtc").unwrap_or(false);
        let role = ctx.id(i, "ReplicationRole");
        let destinations: Vec<String> = rep
            .regions
            .iter()
            .map(|&r| ctx.name(NameKind::Bucket, i, &ctx.model.regions[r].code))
            .collect();
        let rules: Vec<Json> = rep
            .regions
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
                    "Id": format!("to-{}", ctx.model.regions[r].code),
                    "Status": "Enabled",
                    "Priority": k + 1,
                    "Filter": { "Prefix": "" },
                    "DeleteMarkerReplication": { "Status": "Enabled" },
                    "Destination": destination,
                })
            })
            .collect();
        props["ReplicationConfiguration"] =
            json!({ "Role": get_att(&role, "Arn"), "Rules": rules });
        let statements = json!([
            { "Effect": "Allow", "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"], "Resource": sub(arn(&name)) },
            { "Effect": "Allow", "Action": ["s3:GetObjectVersionAcl", "s3:GetObjectVersionForReplication", "s3:GetObjectVersionTagging"], "Resource": sub(format!("{}/*", arn(&name))) },
            { "Effect": "Allow", "Action": ["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"], "Resource": destinations.iter().map(|d| sub(format!("{}/*", arn(d)))).collect::<Vec<_>>() },
        ]);
        ctx.add(
            &role,
            "AWS::IAM::Role",
            json!({
                "AssumeRolePolicyDocument": { "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Principal": { "Service": "s3.amazonaws.com" }, "Action": "sts:AssumeRole" }] },
                "Policies": [{ "PolicyName": "replication", "PolicyDocument": { "Version": "2012-10-17", "Statement": statements } }],
            }),
            Tags::List("Tags"),
        );
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
            .push(json!({ "Name": format!("{var}_BUCKET"), "Value": sub(bucket.clone()) }));
        out.task.push(json!({ "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": sub(arn(&bucket)) }));
        out.task.push(json!({
            "Effect": "Allow",
            "Action": ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
            "Resource": sub(format!("{}/*", arn(&bucket))),
        }));
    }
    /// Replication runs from the primary bucket only: objects written in the
    /// secondary while it served are copied back by hand before traffic
    /// returns (`aws s3 sync` copies what is missing or differs).
    fn before_failback(&self, names: &Names, i: usize, region: usize) -> Vec<Check> {
        let model = names.model;
        let (code, primary) = (
            &model.regions[region].code,
            &model.regions[model.primary()].code,
        );
        let bucket = |r: &str| {
            names
                .name(NameKind::Bucket, i, r)
                .replace("${AWS::AccountId}", "$ACCOUNT")
        };
        vec![Check {
            what: format!(
                "copy the objects written in `{code}` to `{primary}` (this build replicates `{primary}` to `{code}` only)",
            ),
            command: format!(
                "ACCOUNT=$(aws sts get-caller-identity --query Account --output text); aws s3 sync s3://{} s3://{} --source-region {code} --region {primary}",
                bucket(code),
                bucket(primary)
            ),
            expect: "it ends without an error; run it again until it copies nothing".into(),
        }]
    }
    fn names(&self) -> &'static [NameKind] {
        &[NameKind::Bucket]
    }
}
