//! `eventbridge`: a bus in every region, and in the primary a rule matching the
//! service's events whose targets are the secondary buses, through a role that
//! may only `events:PutEvents` on them (aws-dr.md 1.4).

use super::json::{json, Json};

use super::{get_att, sub, Ctx, Tags};
use crate::graph::NodeKind;
use crate::names::NameKind;

/// Targets of one EventBridge rule ("Targets per rule: 5", not adjustable;
/// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html).
pub const MAX_TARGETS: usize = 5;

pub fn lower_bus(ctx: &mut Ctx, i: usize) {
    let name = ctx.name(NameKind::EventBus, i, ctx.region_code());
    ctx.add(
        &ctx.id(i, "Bus"),
        "AWS::Events::EventBus",
        json!({ "Name": name }),
        Tags::List("Tags"),
    );
}

pub fn lower_forward(ctx: &mut Ctx, i: usize) {
    let svc = ctx.service(i);
    let Some(rep) = &svc.replication else { return };
    let bus = ctx.value(NodeKind::Service(i), "BusName");
    let role = ctx.id(i, "ForwardRole");
    let targets: Vec<(String, String)> = rep
        .regions
        .iter()
        .map(|&r| {
            let code = &ctx.model.regions[r].code;
            let name = ctx.name(NameKind::EventBus, i, code);
            (
                code.clone(),
                format!(
                    "arn:${{AWS::Partition}}:events:{code}:${{AWS::AccountId}}:event-bus/{name}"
                ),
            )
        })
        .collect();
    ctx.add(
        &role,
        "AWS::IAM::Role",
        json!({
            "AssumeRolePolicyDocument": { "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Principal": { "Service": "events.amazonaws.com" }, "Action": "sts:AssumeRole" }] },
            "Policies": [{ "PolicyName": "forward", "PolicyDocument": { "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": ["events:PutEvents"], "Resource": targets.iter().map(|(_, arn)| sub(arn.clone())).collect::<Vec<_>>(),
            }] } }],
        }),
        Tags::List("Tags"),
    );
    let mut pattern = json!({ "source": [svc.attrs.str("source").unwrap_or_default()] });
    let types = svc.attrs.strings("detail_types");
    if !types.is_empty() {
        pattern["detail-type"] = json!(types);
    }
    let rule_targets: Vec<Json> = targets
        .iter()
        .map(|(code, arn)| json!({ "Id": format!("to-{code}"), "Arn": sub(arn.clone()), "RoleArn": get_att(&role, "Arn") }))
        .collect();
    // A rule takes at most 5 targets: more secondaries get more rules.
    let base = ctx.name(NameKind::Rule, i, ctx.region_code());
    for (k, chunk) in rule_targets.chunks(MAX_TARGETS).enumerate() {
        let (logical, name) = match k {
            0 => (ctx.id(i, "ForwardRule"), base.clone()),
            k => (
                ctx.id(i, &format!("ForwardRule{}", k + 1)),
                format!("{base}-{}", k + 1),
            ),
        };
        ctx.add(
            &logical,
            "AWS::Events::Rule",
            json!({
                "Name": name,
                "Description": format!("Forwards {} events to secondary regions", svc.name),
                "EventBusName": bus.clone(),
                "State": "ENABLED",
                "EventPattern": pattern.clone(),
                "Targets": chunk.to_vec(),
            }),
            Tags::None,
        );
    }
}

/// The rules that forward to `targets` secondaries.
pub fn rules(targets: usize) -> usize {
    targets.div_ceil(MAX_TARGETS)
}
