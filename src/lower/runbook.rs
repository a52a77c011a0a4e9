//! The failover runbook the RTO budget assumes: an SSM Automation document in
//! each secondary that promotes it. It fails each Aurora global database over to
//! this region (`FailoverGlobalCluster`, aws-dr.md 1.1), waits for it, and
//! scales up compute the strategy keeps at reduced or zero capacity.

use serde_json::{json, Value as Json};

use super::{fargate, get_att, sub, Ctx, Tags};
use crate::names::NameKind;

pub fn document_name(prefix: &str, region: &str) -> String {
    format!("{prefix}-failover-{region}")
}

pub fn lower(ctx: &mut Ctx) {
    let region = ctx.region_code();
    let primary = ctx.model.regions[ctx.model.primary()].code.clone();
    let mut steps = Vec::new();
    let mut statements = Vec::new();
    // By name, so the order of the program's items does not matter.
    let mut services: Vec<_> = ctx.model.services.iter().enumerate().collect();
    services.sort_by(|a, b| a.1.name.cmp(&b.1.name));
    for (i, svc) in services {
        match svc.kind.name.as_str() {
            "aurora_postgres" => {
                let global = ctx.name(NameKind::GlobalCluster, i, "");
                let target = ctx.name(NameKind::DbCluster, i, region);
                let source = ctx.name(NameKind::DbCluster, i, &primary);
                let target_arn = format!(
                    "arn:${{AWS::Partition}}:rds:{region}:${{AWS::AccountId}}:cluster:{target}"
                );
                let id = ctx.id(i, "");
                steps.push(json!({
                    "name": format!("Failover{id}"),
                    "action": "aws:executeAwsApi",
                    "inputs": {
                        "Service": "rds",
                        "Api": "FailoverGlobalCluster",
                        "GlobalClusterIdentifier": global,
                        "TargetDbClusterIdentifier": sub(target_arn.clone()),
                        "AllowDataLoss": true,
                    },
                }));
                steps.push(json!({
                    "name": format!("WaitFor{id}"),
                    "action": "aws:waitForAwsResourceProperty",
                    "timeoutSeconds": 900,
                    "inputs": {
                        "Service": "rds",
                        "Api": "DescribeGlobalClusters",
                        "GlobalClusterIdentifier": global,
                        "PropertySelector": "$.GlobalClusters[0].Status",
                        "DesiredValues": ["available"],
                    },
                }));
                statements.push(json!({
                    "Effect": "Allow",
                    "Action": ["rds:DescribeGlobalClusters", "rds:FailoverGlobalCluster"],
                    "Resource": [
                        sub(format!("arn:${{AWS::Partition}}:rds::${{AWS::AccountId}}:global-cluster:{global}")),
                        sub(target_arn),
                        sub(format!("arn:${{AWS::Partition}}:rds:{primary}:${{AWS::AccountId}}:cluster:{source}")),
                    ],
                }));
            }
            "fargate" => {
                let count = svc.attrs.int("count").unwrap_or(1);
                if fargate::desired_count(ctx.model, i, ctx.region) >= count {
                    continue;
                }
                let cluster = ctx.name(NameKind::EcsCluster, i, region);
                let service = ctx.name(NameKind::EcsService, i, region);
                steps.push(json!({
                    "name": format!("ScaleUp{}", ctx.id(i, "")),
                    "action": "aws:executeAwsApi",
                    "inputs": { "Service": "ecs", "Api": "UpdateService", "cluster": cluster, "service": service, "desiredCount": count },
                }));
                statements.push(json!({
                    "Effect": "Allow",
                    "Action": ["ecs:UpdateService"],
                    "Resource": sub(format!("arn:${{AWS::Partition}}:ecs:{region}:${{AWS::AccountId}}:service/{cluster}/{service}")),
                }));
            }
            _ => {}
        }
    }
    if steps.is_empty() {
        // Nothing to promote or scale: DNS failover alone moves the traffic.
        return;
    }
    let role = "FailoverRunbookRole";
    ctx.add(
        role,
        "AWS::IAM::Role",
        json!({
            "AssumeRolePolicyDocument": { "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Principal": { "Service": "ssm.amazonaws.com" }, "Action": "sts:AssumeRole" }] },
            "Policies": [{ "PolicyName": "failover", "PolicyDocument": { "Version": "2012-10-17", "Statement": statements } }],
        }),
        Tags::List("Tags"),
    );
    let content: Json = json!({
        "schemaVersion": "0.3",
        "description": format!("Promote {region}: fail the platform {} over from {primary}", ctx.model.platform.name),
        "assumeRole": "{{ AutomationAssumeRole }}",
        "parameters": {
            "AutomationAssumeRole": { "type": "String", "description": "Role the runbook runs as", "default": get_att(role, "Arn") },
        },
        "mainSteps": steps,
    });
    ctx.add(
        "FailoverRunbook",
        "AWS::SSM::Document",
        json!({
            "Name": document_name(&ctx.prefix, region),
            "DocumentType": "Automation",
            "DocumentFormat": "JSON",
            "UpdateMethod": "NewVersion",
            "Content": content,
        }),
        Tags::List("Tags"),
    );
}
