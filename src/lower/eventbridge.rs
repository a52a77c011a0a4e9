//! `eventbridge`: a bus in every region, and in the primary a rule matching the
//! service's events whose targets are the secondary buses, through a role that
//! may only `events:PutEvents` on them (aws-dr.md 1.4).

use super::json::{json, Json};

use super::kinds::{Behaviour, Part, Provided};
use super::{get_att, r#ref, sub, Ctx, Tags};
use crate::check::Partial;
use crate::diag::Diagnostic;
use crate::graph::NodeKind;
use crate::model::{Model, Service};
use crate::names::NameKind;

/// Targets of one EventBridge rule ("Targets per rule: 5", not adjustable;
/// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html).
pub const MAX_TARGETS: usize = 5;

fn lower_bus(ctx: &mut Ctx, i: usize) {
    let name = ctx.name(NameKind::EventBus, i, ctx.region_code());
    ctx.add(
        &ctx.id(i, "Bus"),
        "AWS::Events::EventBus",
        json!({ "Name": name }),
        Tags::List("Tags"),
    );
}

fn lower_forward(ctx: &mut Ctx, i: usize) {
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
    let pattern = pattern(svc);
    let rule_targets: Vec<Json> = targets
        .iter()
        .map(|(code, arn)| json!({ "Id": format!("to-{code}"), "Arn": sub(arn.clone()), "RoleArn": get_att(&role, "Arn") }))
        .collect();
    let base = ctx.name(NameKind::Rule, i, ctx.region_code());
    if active_active(ctx.model) {
        // Every region publishes: the primary is the hub. Its rule to each
        // secondary forwards the events of every region but that secondary,
        // so a secondary's event reaches the others through the primary and
        // never comes back (a forwarded event keeps the `region` it was
        // published in, [E1]).
        for (k, ((code, _), target)) in targets.iter().zip(&rule_targets).enumerate() {
            let mut pattern = pattern.clone();
            let others: Vec<&str> = ctx
                .model
                .regions
                .iter()
                .map(|r| r.code.as_str())
                .filter(|r| r != code)
                .collect();
            pattern["region"] = json!(others);
            let (logical, name) = rule_names(ctx, i, &base, k);
            ctx.add(
                &logical,
                "AWS::Events::Rule",
                json!({
                    "Name": name,
                    "Description": format!("Forwards {} events to {code}, but those published there", svc.name),
                    "EventBusName": bus.clone(),
                    "State": "ENABLED",
                    "EventPattern": pattern,
                    "Targets": [target.clone()],
                }),
                Tags::None,
            );
        }
        return;
    }
    // A rule takes at most 5 targets: more secondaries get more rules.
    for (k, chunk) in rule_targets.chunks(MAX_TARGETS).enumerate() {
        let (logical, name) = rule_names(ctx, i, &base, k);
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

/// Logical id and name of the `k`th forwarding rule of service `i`: the first
/// keeps the plain names, the others are numbered from 2.
fn rule_names(ctx: &Ctx, i: usize, base: &str, k: usize) -> (String, String) {
    match k {
        0 => (ctx.id(i, "ForwardRule"), base.to_string()),
        k => (
            ctx.id(i, &format!("ForwardRule{}", k + 1)),
            format!("{base}-{}", k + 1),
        ),
    }
}

/// The rules that forward to `targets` secondaries: one per target under
/// active/active (each with its own pattern).
pub fn rules(model: &Model, targets: usize) -> usize {
    if active_active(model) {
        targets
    } else {
        targets.div_ceil(MAX_TARGETS)
    }
}

fn active_active(model: &Model) -> bool {
    model.platform.strategy == crate::model::Strategy::ActiveActive
}

/// The events the service forwards: its source and detail types.
fn pattern(svc: &Service) -> Json {
    let mut pattern = json!({ "source": [svc.attrs.str("source").unwrap_or_default()] });
    let types = svc.attrs.strings("detail_types");
    if !types.is_empty() {
        pattern["detail-type"] = json!(types);
    }
    pattern
}

/// Under active/active, in a secondary: a rule that forwards the events
/// published in this region to the primary's bus, and only those (the
/// primary forwards them on to the other secondaries).
fn lower_back(ctx: &mut Ctx, i: usize) {
    let svc = ctx.service(i);
    let region = ctx.region_code();
    let primary = &ctx.model.regions[ctx.model.primary()].code;
    let target = ctx.name(NameKind::EventBus, i, primary);
    let arn =
        format!("arn:${{AWS::Partition}}:events:{primary}:${{AWS::AccountId}}:event-bus/{target}");
    let role = ctx.id(i, "ForwardRole");
    ctx.add(
        &role,
        "AWS::IAM::Role",
        json!({
            "AssumeRolePolicyDocument": { "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Principal": { "Service": "events.amazonaws.com" }, "Action": "sts:AssumeRole" }] },
            "Policies": [{ "PolicyName": "forward", "PolicyDocument": { "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": ["events:PutEvents"], "Resource": sub(arn.clone()),
            }] } }],
        }),
        Tags::List("Tags"),
    );
    let mut pattern = pattern(svc);
    pattern["region"] = json!([region]);
    ctx.add(
        &ctx.id(i, "ForwardRule"),
        "AWS::Events::Rule",
        json!({
            "Name": ctx.name(NameKind::Rule, i, region),
            "Description": format!("Forwards {} events published in {region} to {primary}", svc.name),
            "EventBusName": r#ref(&ctx.id(i, "Bus")),
            "State": "ENABLED",
            "EventPattern": pattern,
            "Targets": [{ "Id": format!("to-{primary}"), "Arn": sub(arn), "RoleArn": get_att(&role, "Arn") }],
        }),
        Tags::None,
    );
}

/// Whether the service's bus in `region` forwards back to the primary.
fn forwards_back(model: &Model, i: usize, region: usize) -> bool {
    active_active(model) && region != model.primary() && model.services[i].replication.is_some()
}

/// The `eventbridge` kind.
#[derive(Debug)]
pub(crate) struct Eventbridge;

impl Behaviour for Eventbridge {
    fn name(&self) -> &'static str {
        "eventbridge"
    }
    fn global(&self) -> Option<&'static str> {
        Some("forward-rule")
    }
    /// The forwarding rules need their own bus and every secondary bus.
    fn global_edges(&self, model: &Model, i: usize) -> Vec<(NodeKind, usize)> {
        std::iter::once(model.primary())
            .chain(model.secondaries())
            .map(|r| (NodeKind::Service(i), r))
            .collect()
    }
    /// Under active/active a secondary's bus forwards to the primary's.
    fn regional_edges(&self, model: &Model, i: usize, region: usize) -> Vec<(NodeKind, usize)> {
        if forwards_back(model, i, region) {
            vec![(NodeKind::Service(i), model.primary())]
        } else {
            Vec::new()
        }
    }
    fn size(&self, model: &Model, i: usize, region: usize, part: Part) -> (usize, usize) {
        match (part, &model.services[i].replication) {
            (Part::Regional, _) => (1 + 2 * usize::from(forwards_back(model, i, region)), 1),
            (Part::Global, Some(r)) => (1 + rules(model, r.regions.len()), 0),
            (Part::Global, None) => (0, 0),
        }
    }
    fn lower(&self, ctx: &mut Ctx, i: usize, part: Part) {
        match part {
            Part::Regional => {
                lower_bus(ctx, i);
                if forwards_back(ctx.model, i, ctx.region) {
                    lower_back(ctx, i);
                }
            }
            Part::Global => lower_forward(ctx, i),
        }
    }
    fn value(&self, ctx: &Ctx, i: usize, key: &str) -> Option<(Json, bool)> {
        (key == "BusName").then(|| (r#ref(&ctx.id(i, "Bus")), false))
    }
    fn outputs(&self, ctx: &mut Ctx, i: usize, part: Part) {
        if part == Part::Regional {
            ctx.output(
                &ctx.id(i, "BusName"),
                "Event bus name",
                r#ref(&ctx.id(i, "Bus")),
            );
        }
    }
    fn provide(&self, ctx: &mut Ctx, i: usize, var: &str, out: &mut Provided) {
        let region = ctx.region_code();
        let bus = ctx.name(NameKind::EventBus, i, region);
        out.env
            .push(json!({ "Name": format!("{var}_BUS"), "Value": &bus }));
        out.task.push(json!({
            "Effect": "Allow",
            "Action": ["events:PutEvents"],
            "Resource": sub(format!("arn:${{AWS::Partition}}:events:{region}:${{AWS::AccountId}}:event-bus/{bus}")),
        }));
    }
    fn names(&self) -> &'static [NameKind] {
        &[NameKind::EventBus, NameKind::Rule]
    }
    fn check(&self, _p: &Partial, svc: &Service, diags: &mut Vec<Diagnostic>) {
        if svc.replication.is_some() {
            event_pattern(svc, diags);
        }
    }
}

/// Characters of an EventBridge event pattern: the default quota, and the most
/// it can be raised to
/// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html).
const MAX_PATTERN: usize = 2048;
const MAX_PATTERN_RAISED: usize = 4096;

/// The length of the compact event pattern the lowering emits for a bus.
fn event_pattern_len(source: &str, types: &[&str]) -> usize {
    let mut pattern = serde_json::json!({ "source": [source] });
    if !types.is_empty() {
        pattern["detail-type"] = serde_json::json!(types);
    }
    pattern.to_string().len()
}

/// W602, E606: the forwarding rule's event pattern over EventBridge's quota.
fn event_pattern(svc: &Service, diags: &mut Vec<Diagnostic>) {
    let source = svc.attrs.str("source").unwrap_or_default();
    let types = svc.attrs.strings("detail_types");
    let length = event_pattern_len(source, &types);
    if length <= MAX_PATTERN {
        return;
    }
    let at = svc
        .attrs
        .origin("detail_types")
        .or(svc.attrs.origin("source"))
        .map_or(svc.span, |o| o.span);
    let label = format!("the forwarding rule's event pattern is {length} characters");
    let help = format!(
        "list fewer or shorter detail types, or split `{}` into several buses",
        svc.name
    );
    diags.push(if length > MAX_PATTERN_RAISED {
        Diagnostic::error("E606", format!("the event pattern of `{}` is longer than EventBridge allows", svc.name))
            .label(at, format!("{label}; EventBridge allows at most {MAX_PATTERN_RAISED}"))
            .help(help)
    } else {
        Diagnostic::warning("W602", format!("the event pattern of `{}` is over EventBridge's default quota", svc.name))
            .label(at, format!("{label}; the default quota is {MAX_PATTERN}"))
            .help(format!("{help}; or raise the account's \"Event pattern size\" quota (up to {MAX_PATTERN_RAISED}) before deploying"))
    });
}
