//! The failover runbook the RTO budget assumes: SSM Automation in each
//! secondary that promotes it. It starts the failover of every Aurora global
//! database to this region (`FailoverGlobalCluster`, aws-dr.md 1.1) and the
//! scale-up of compute the strategy keeps at reduced or zero capacity, then
//! waits for the databases: promotion and compute run side by side, as the
//! budget's `max(promote, compute)` counts them.
//!
//! SSM caps a document at 64 KB and IAM a role's inline policies at 10,240
//! characters, so a large platform gets several runbooks per region, each with
//! its own role. They are independent and are started together.

use super::json::{json, Json};
use super::{fargate, get_att, policy_len, sub, MAX_POLICY};
use crate::model::Model;
use crate::names::{self, NameKind};

/// SSM's quota on a document's content ([SSM CreateDocument]), less room for the
/// role ARN that replaces its `Fn::GetAtt` (sizes are taken in template form).
const MAX_CONTENT: usize = 64 * 1024 - 1024;

/// One runbook of a region: its document and role, ready to add to a template.
pub struct Runbook {
    /// `(logical ID, type, properties)` of the role and of the document.
    pub resources: [(String, &'static str, Json); 2],
    pub document: String,
    /// The template text the two resources take, at most (for stack cutting).
    pub bytes: usize,
    /// The services it acts on.
    pub services: Vec<usize>,
}

/// What one service adds to a runbook.
struct Action {
    service: usize,
    start: Json,
    wait: Option<Json>,
    statement: Json,
}

/// The runbooks of `region` (a secondary), none if there is nothing to promote
/// or scale up there. `ids` are the services' logical-ID stems.
pub fn runbooks(model: &Model, prefix: &str, ids: &[String], region: usize) -> Vec<Runbook> {
    // Each group with its content and policy size so far.
    let mut groups: Vec<(Vec<Action>, usize, usize)> = Vec::new();
    for action in actions(model, prefix, ids, region) {
        let steps = action.start.to_compact().len()
            + action.wait.as_ref().map_or(0, |w| w.to_compact().len() + 1)
            + 1;
        let statement = policy_len(&action.statement) + 1;
        match groups.last_mut() {
            Some((group, content, policy))
                if *content + steps <= MAX_CONTENT && *policy + statement <= MAX_POLICY =>
            {
                group.push(action);
                *content += steps;
                *policy += statement;
            }
            // Everything around the steps and statements, generously.
            _ => groups.push((vec![action], 1024 + steps, 64 + statement)),
        }
    }
    groups
        .into_iter()
        .enumerate()
        .map(|(k, (group, content, policy))| {
            // Pretty text in a template is about twice the compact text.
            let bytes = 3 * (content + policy) + 2_000;
            runbook(model, prefix, region, k, group, bytes)
        })
        .collect()
}

/// The actions of `region`, by service name (so the order of the program's
/// items does not matter).
fn actions(model: &Model, prefix: &str, ids: &[String], region: usize) -> Vec<Action> {
    let code = &model.regions[region].code;
    let primary = &model.regions[model.primary()].code;
    let name = |kind, i: usize, region: &str| {
        names::name(
            kind,
            prefix,
            &model.services[i].name,
            region,
            "${AWS::AccountId}",
        )
    };
    let mut services: Vec<_> = model.services.iter().enumerate().collect();
    services.sort_by(|a, b| a.1.name.cmp(&b.1.name));
    let mut out = Vec::new();
    for (i, svc) in services {
        match svc.kind.name.as_str() {
            "aurora_postgres" => {
                let global = name(NameKind::GlobalCluster, i, "");
                let target = format!(
                    "arn:${{AWS::Partition}}:rds:{code}:${{AWS::AccountId}}:cluster:{}",
                    name(NameKind::DbCluster, i, code)
                );
                out.push(Action {
                    service: i,
                    start: json!({
                        "name": format!("Failover{}", ids[i]),
                        "action": "aws:executeAwsApi",
                        "inputs": {
                            "Service": "rds",
                            "Api": "FailoverGlobalCluster",
                            "GlobalClusterIdentifier": &global,
                            "TargetDbClusterIdentifier": sub(target.clone()),
                            "AllowDataLoss": true,
                        },
                    }),
                    wait: Some(json!({
                        "name": format!("WaitFor{}", ids[i]),
                        "action": "aws:waitForAwsResourceProperty",
                        "timeoutSeconds": 900,
                        "inputs": {
                            "Service": "rds",
                            "Api": "DescribeGlobalClusters",
                            "GlobalClusterIdentifier": &global,
                            "PropertySelector": "$.GlobalClusters[0].Status",
                            "DesiredValues": ["available"],
                        },
                    })),
                    statement: json!({
                        "Effect": "Allow",
                        "Action": ["rds:DescribeGlobalClusters", "rds:FailoverGlobalCluster"],
                        "Resource": [
                            sub(format!("arn:${{AWS::Partition}}:rds::${{AWS::AccountId}}:global-cluster:{global}")),
                            sub(target),
                            sub(format!(
                                "arn:${{AWS::Partition}}:rds:{primary}:${{AWS::AccountId}}:cluster:{}",
                                name(NameKind::DbCluster, i, primary)
                            )),
                        ],
                    }),
                });
            }
            "fargate" => {
                let count = svc.attrs.int("count").unwrap_or(1);
                if fargate::desired_count(model, i, region) >= count {
                    continue;
                }
                let cluster = name(NameKind::EcsCluster, i, code);
                let service = name(NameKind::EcsService, i, code);
                out.push(Action {
                    service: i,
                    start: json!({
                        "name": format!("ScaleUp{}", ids[i]),
                        "action": "aws:executeAwsApi",
                        "inputs": { "Service": "ecs", "Api": "UpdateService", "cluster": &cluster, "service": &service, "desiredCount": count },
                    }),
                    wait: None,
                    statement: json!({
                        "Effect": "Allow",
                        "Action": ["ecs:UpdateService"],
                        "Resource": sub(format!("arn:${{AWS::Partition}}:ecs:{code}:${{AWS::AccountId}}:service/{cluster}/{service}")),
                    }),
                });
            }
            _ => {}
        }
    }
    out
}

/// Runbook `k` of `region`: every action starts, then the waits.
fn runbook(
    model: &Model,
    prefix: &str,
    region: usize,
    k: usize,
    actions: Vec<Action>,
    bytes: usize,
) -> Runbook {
    let code = &model.regions[region].code;
    let primary = &model.regions[model.primary()].code;
    let suffix = if k == 0 {
        String::new()
    } else {
        (k + 1).to_string()
    };
    let document = match k {
        0 => format!("{prefix}-failover-{code}"),
        _ => format!("{prefix}-failover-{code}-{suffix}"),
    };
    let role = format!("FailoverRunbookRole{suffix}");
    let services = actions.iter().map(|a| a.service).collect();
    let (mut starts, mut waits, mut statements) = (Vec::new(), Vec::new(), Vec::new());
    for a in actions {
        starts.push(a.start);
        waits.extend(a.wait);
        statements.push(a.statement);
    }
    starts.extend(waits);
    let role_props = json!({
        "AssumeRolePolicyDocument": { "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Principal": { "Service": "ssm.amazonaws.com" }, "Action": "sts:AssumeRole" }] },
        "Policies": [{ "PolicyName": "failover", "PolicyDocument": { "Version": "2012-10-17", "Statement": statements } }],
    });
    let content = json!({
        "schemaVersion": "0.3",
        "description": format!("Promote {code}: fail the platform {} over from {primary}", model.platform.name),
        "assumeRole": "{{ AutomationAssumeRole }}",
        "parameters": {
            "AutomationAssumeRole": { "type": "String", "description": "Role the runbook runs as", "default": get_att(&role, "Arn") },
        },
        "mainSteps": starts,
    });
    let document_props = json!({
        "Name": &document,
        "DocumentType": "Automation",
        "DocumentFormat": "JSON",
        "UpdateMethod": "NewVersion",
        "Content": content,
    });
    Runbook {
        resources: [
            (role, "AWS::IAM::Role", role_props),
            (
                format!("FailoverRunbook{suffix}"),
                "AWS::SSM::Document",
                document_props,
            ),
        ],
        document,
        bytes,
        services,
    }
}
