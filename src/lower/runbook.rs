//! The failover runbook the RTO budget assumes: SSM Automation in each
//! secondary that promotes it. It starts the step of every service whose kind
//! has one (`Behaviour::failover`: an Aurora global database fails over to this
//! region with `FailoverGlobalCluster`, aws-dr.md 1.1; compute the strategy
//! keeps at reduced or zero capacity scales up), then waits for those that
//! report completion: promotion and compute run side by side, as the budget's
//! `max(promote, compute)` counts them.
//!
//! SSM caps a document at 64 KB and IAM a role's inline policies at 10,240
//! characters, so a large platform gets several runbooks per region, each with
//! its own role. They are independent and are started together.

use super::json::{json, Json};
use super::{get_att, policy_len, MAX_POLICY};
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

/// What one service adds to a runbook: a step that starts its failover, a
/// step that waits for it (after every start), and the IAM statement the
/// runbook's role needs for both.
pub(crate) struct Action {
    pub service: usize,
    pub start: Json,
    pub wait: Option<Json>,
    pub statement: Json,
}

/// What a kind needs to build its runbook step: the model, and the physical
/// names and logical-ID stems of the services.
pub(crate) struct Names<'a> {
    pub model: &'a Model,
    prefix: &'a str,
    ids: &'a [String],
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
    let names = Names { model, prefix, ids };
    let mut services: Vec<_> = model.services.iter().enumerate().collect();
    services.sort_by(|a, b| a.1.name.cmp(&b.1.name));
    services
        .into_iter()
        .filter_map(|(i, svc)| svc.kind.imp.failover(&names, i, region))
        .collect()
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
