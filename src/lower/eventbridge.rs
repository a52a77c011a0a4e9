//! `eventbridge`: a bus in every region, and in each region rules that
//! forward the events published there to the buses of the service's other
//! regions, through a role that may only `events:PutEvents` on them
//! (aws-dr.md 1.4).
//!
//! One hop, whatever the strategy. The service's regions are the primary and
//! those it is replicated to. An event published in region R is forwarded by
//! R's own rules, straight to every other one of them: each rule matches
//! `"region": [R]`, the region the event was published in. So the primary's
//! events reach the secondaries, and the events a secondary publishes while it
//! serves after a failover (under every strategy: pilot light and backup and
//! restore start tasks there, warm standby and active/active run them) reach
//! the primary, where the failback needs them, and the other secondaries,
//! which may be failed over to next. Nothing is forwarded twice, for two
//! reasons: EventBridge does not route an event that a rule delivered to a bus
//! on to a third bus ("EventBridge can't route events received from a sender
//! event bus to a third event bus",
//! https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-bus-to-bus.html;
//! documented there and for accounts, assumed across regions), so a hub that
//! relays one secondary's events to another would fail; and the
//! `region` pattern keeps a forwarded event from even matching a rule of the
//! bus it arrives on, as it keeps the region it was published in (assumed, not
//! verified on AWS: see README). A primary that is down while a secondary
//! serves gets the secondary's events when it is back within a day:
//! EventBridge retries a target for 24 hours, then drops the event
//! (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html).
//!
//! Every rule is created after the buses it targets. The primary's rules are
//! the service's global part (after every bus). A secondary's rules target the
//! primary's bus and the other secondaries', which may be deployed after its
//! own: they are added by the second phase of the bus's stack (`graph::Phase`),
//! as S3 adds a bucket's rule back to the primary.

use super::json::{self, json, Json};
use crate::text::cat;

use super::kinds::{Behaviour, Part, Provided};
use super::runbook::{Check, Names};
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

/// The regions whose buses the bus of service `i` in `region` forwards the
/// events published in `region` to: the primary and the regions the service
/// is replicated to (every secondary, E304), but `region` itself; none when it
/// is not replicated. As many from every region.
pub fn targets(model: &Model, i: usize, region: usize) -> Vec<usize> {
    let Some(rep) = &model.services[i].replication else {
        return Vec::new();
    };
    std::iter::once(model.primary())
        .chain(rep.regions.iter().copied())
        .filter(|&r| r != region)
        .collect()
}

/// The rules that forward to `targets` buses: one per 5.
pub fn rules(targets: usize) -> usize {
    targets.div_ceil(MAX_TARGETS)
}

/// The forwarding role and rules of service `i` on its bus `bus` in the
/// context's region, as `(logical ID, type, properties)`, untagged.
fn forwarding(ctx: &Ctx, i: usize, bus: Json) -> Vec<(String, &'static str, Json)> {
    let svc = ctx.service(i);
    let region = ctx.region_code();
    let role = ctx.id(i, "ForwardRole");
    let targets: Vec<(String, String)> = targets(ctx.model, i, ctx.region)
        .into_iter()
        .map(|r| {
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
    let mut out = vec![(
        role.clone(),
        "AWS::IAM::Role",
        json!({
            "AssumeRolePolicyDocument": { "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Principal": { "Service": "events.amazonaws.com" }, "Action": "sts:AssumeRole" }] },
            "Policies": [{ "PolicyName": "forward", "PolicyDocument": { "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": ["events:PutEvents"], "Resource": targets.iter().map(|(_, arn)| sub(arn.clone())).collect::<Vec<_>>(),
            }] } }],
        }),
    )];
    let pattern = pattern(svc, region);
    let base = ctx.name(NameKind::Rule, i, region);
    // A rule takes at most 5 targets: more regions get more rules.
    for (k, chunk) in targets.chunks(MAX_TARGETS).enumerate() {
        let to: Vec<&str> = chunk.iter().map(|(code, _)| code.as_str()).collect();
        let (logical, name) = rule_names(ctx, i, &base, k);
        out.push((
            logical,
            "AWS::Events::Rule",
            json!({
                "Name": name,
                "Description": cat!("Forwards what service ", svc.name, " publishes in ", region, " to the buses of ", to.join(", ")),
                "EventBusName": bus.clone(),
                "State": "ENABLED",
                "EventPattern": pattern.clone(),
                "Targets": chunk.iter().map(|(code, arn)| json!({ "Id": cat!("to-", code), "Arn": sub(arn.clone()), "RoleArn": get_att(&role, "Arn") })).collect::<Vec<_>>(),
            }),
        ));
    }
    out
}

/// Logical id and name of the `k`th forwarding rule of service `i`: the first
/// keeps the plain names, the others are numbered from 2.
fn rule_names(ctx: &Ctx, i: usize, base: &str, k: usize) -> (String, String) {
    match k {
        0 => (ctx.id(i, "ForwardRule"), base.to_string()),
        k => (
            ctx.id(i, &cat!("ForwardRule", k + 1)),
            cat!(base, "-", k + 1),
        ),
    }
}

/// The events the service forwards: its source and detail types.
fn pattern(svc: &Service, region: &str) -> Json {
    let mut pattern = json!({ "source": [svc.attrs.str("source").unwrap_or_default()] });
    let types = svc.attrs.strings("detail_types");
    if !types.is_empty() {
        pattern["detail-type"] = json!(types);
    }
    // Only the events published in this region (see the module's comment).
    pattern["region"] = json!([region]);
    pattern
}

/// The `eventbridge` kind.
#[derive(Debug)]
pub(crate) struct Eventbridge;

impl Behaviour for Eventbridge {
    #[cfg(test)]
    fn name(&self) -> &'static str {
        "eventbridge"
    }
    fn global(&self) -> Option<&'static str> {
        Some("forward-rule")
    }
    /// The primary's forwarding rules need its bus and the buses they target.
    fn global_edges(&self, model: &Model, i: usize) -> Vec<(NodeKind, usize)> {
        let primary = model.primary();
        std::iter::once(primary)
            .chain(targets(model, i, primary))
            .map(|r| (NodeKind::Service(i), r))
            .collect()
    }
    /// A secondary's forwarding rules need the buses they target, some of
    /// which are deployed after its own: in the second phase of its stack.
    fn second_phase_edges(&self, model: &Model, i: usize, region: usize) -> Vec<(NodeKind, usize)> {
        if region == model.primary() {
            return Vec::new();
        }
        targets(model, i, region)
            .into_iter()
            .map(|r| (NodeKind::Service(i), r))
            .collect()
    }
    /// The role and the rules.
    fn second_phase_size(&self, model: &Model, i: usize, region: usize) -> usize {
        if region == model.primary() {
            return 0;
        }
        match targets(model, i, region).len() {
            0 => 0,
            n => 1 + rules(n),
        }
    }
    fn second_phase_note(&self) -> Option<&'static str> {
        Some("a secondary EventBridge bus's rules forwarding to the buses of the primary and of the other secondaries")
    }
    fn second_phase(&self, ctx: &Ctx, i: usize) -> Vec<(String, Json)> {
        let tags = ctx.tags(ctx.region);
        forwarding(ctx, i, r#ref(&ctx.id(i, "Bus")))
            .into_iter()
            .map(|(logical, ty, mut props)| {
                if ty == "AWS::IAM::Role" {
                    props["Tags"] = tags.clone();
                }
                (logical, json!({ "Type": ty, "Properties": props }))
            })
            .collect()
    }
    fn size(&self, model: &Model, i: usize, _region: usize, part: Part) -> (usize, usize) {
        match part {
            Part::Regional => (1, 1),
            Part::Global => match targets(model, i, model.primary()).len() {
                0 => (0, 0),
                n => (1 + rules(n), 0),
            },
        }
    }
    fn lower(&self, ctx: &mut Ctx, i: usize, part: Part) {
        match part {
            Part::Regional => lower_bus(ctx, i),
            Part::Global => {
                let bus = ctx.value(NodeKind::Service(i), "BusName");
                for (logical, ty, props) in forwarding(ctx, i, bus) {
                    let tags = match ty {
                        "AWS::IAM::Role" => Tags::List("Tags"),
                        _ => Tags::None,
                    };
                    ctx.add(&logical, ty, props, tags);
                }
            }
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
            .push(json!({ "Name": cat!(var, "_BUS"), "Value": &bus }));
        out.task.push(json!({
            "Effect": "Allow",
            "Action": ["events:PutEvents"],
            "Resource": sub(cat!("arn:${AWS::Partition}:events:", region, ":${AWS::AccountId}:event-bus/", bus)),
        }));
    }
    fn names(&self) -> &'static [NameKind] {
        &[NameKind::EventBus, NameKind::Rule]
    }
    /// Forwarding to more than 5 regions takes rules `NAME-2`, ...: a region
    /// forwards to as many as the primary, its replicas.
    fn name_tail(&self, kind: NameKind, svc: &Service) -> String {
        let rules = svc
            .replication
            .as_ref()
            .map_or(0, |r| rules(r.regions.len()));
        match kind {
            NameKind::Rule if rules > 1 => cat!("-", rules),
            _ => String::new(),
        }
    }
    /// The bus of `region` forwards what was published there while it served
    /// to the primary's bus, with its first rule (the primary is its first
    /// target). A delivery that fails, as while the primary is down, is
    /// retried for up to 24 hours, then dropped
    /// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html).
    /// Before traffic returns, the operator checks that nothing is still
    /// retried and that nothing failed for good: `RetryInvocationAttempts`
    /// and `FailedInvocations` of the rule, which a custom bus reports by
    /// `EventBusName` and `RuleName`, the latter only when not zero
    /// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html).
    fn before_failback(&self, names: &Names, i: usize, region: usize) -> Vec<Check> {
        let model = names.model;
        if !targets(model, i, region).contains(&model.primary()) {
            return Vec::new();
        }
        let (code, primary) = (
            &model.regions[region].code,
            &model.regions[model.primary()].code,
        );
        let bus = names.name(NameKind::EventBus, i, code);
        let rule = names.name(NameKind::Rule, i, code);
        let metric = |name: &str, since: &str, period: u32, query: &str| {
            format!(
                "aws cloudwatch get-metric-statistics --region {code} --namespace AWS/Events --metric-name {name} --dimensions Name=EventBusName,Value={bus} Name=RuleName,Value={rule} --start-time $(date -u -d '{since}' +%FT%TZ) --end-time $(date -u +%FT%TZ) --period {period} --statistics Sum --query '{query}'"
            )
        };
        vec![
            Check {
                what: format!(
                    "the events published in `{code}` are not waiting to reach `{primary}` (rule `{rule}` of bus `{bus}` retries a failed delivery for up to 24 hours)"
                ),
                // An hour: retries back off, a quarter of an hour could fall
                // between two of them.
                command: metric("RetryInvocationAttempts", "-1 hour", 300, "sum(Datapoints[].Sum)"),
                expect: format!(
                    "`0`: nothing was retried in the last hour; a number: deliveries to `{primary}` are (or were until recently) retried, wait and run it again"
                ),
            },
            Check {
                what: cat!("no event published in `", code, "` failed for good to reach `", primary, "` in the last 7 days"),
                command: metric("FailedInvocations", "-7 days", 3600, "sum(Datapoints[].Sum)"),
                expect: format!(
                    "`0`; a number is events that never reached `{primary}` (refused, or retried for more than 24 hours while it was down): republish them from their producer if they matter"
                ),
            },
        ]
    }

    fn check(&self, p: &Partial, svc: &Service, diags: &mut Vec<Diagnostic>) {
        if svc.replication.is_some() {
            let regions: Vec<&str> = p.regions.iter().map(|r| r.code.as_str()).collect();
            event_pattern(svc, &regions, diags);
        }
    }
}

/// Characters of an EventBridge event pattern: the default quota, and the most
/// it can be raised to
/// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html).
const MAX_PATTERN: usize = 2048;
const MAX_PATTERN_RAISED: usize = 4096;

/// W602, E606: the forwarding rule's event pattern over EventBridge's quota,
/// in the region with the longest code of the platform's `regions`.
fn event_pattern(svc: &Service, regions: &[&str], diags: &mut Vec<Diagnostic>) {
    let region = regions.iter().max_by_key(|r| r.len()).unwrap_or(&"");
    let length = json::compact_len(&pattern(svc, region));
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
