//! Route 53 failover (aws-dr.md 1.5): a health check per region matching what
//! the load balancer listens on, and failover alias records with
//! `EvaluateTargetHealth`. With two regions: PRIMARY and SECONDARY records of the
//! domain. Route 53 allows one record of each per name, so with more secondaries
//! the SECONDARY record aliases `failover-1.DOMAIN`, a failover pair of the next
//! two regions, and so on down the chain.
//!
//! Traffic follows the writer, not the load balancers alone: each secondary S
//! has a serving alarm (in S) on the `Serving` metric that its runbooks
//! publish (`runbook.rs`), in ALARM while S serves. A region's record answers
//! through a `CALCULATED` check that needs its load balancer's check and,
//! for every secondary later in the chain, a `CLOUDWATCH_METRIC` check on that
//! secondary's alarm being OK (aws-dr.md 6.2 [C11][R9]). So the primary
//! answers until a failover runbook says otherwise, keeps out of DNS after a
//! failover even once its load balancer is healthy again (its database is then
//! a read-only secondary), and returns only when the failback runbook clears
//! the metric. No Route 53 record changes during an incident: the runbooks
//! make one regional data-plane call (`PutMetricData`) in a region that is up.

use super::json::{json, Json};
use crate::text::cat;

use super::runbook::{serving_alarm, METRIC, NAMESPACE};
use super::{camel, retain, Ctx, Tags};
use crate::graph::{region_order, NodeKind};
use crate::model::{zone_name, Model, Strategy};
use crate::names;

/// Logical-ID stem of endpoint `e`'s resources.
pub fn stem(model: &Model, e: usize) -> String {
    cat!("Endpoint", camel(&model.endpoints[e].name))
}

pub fn zone_id(model: &Model, e: usize) -> String {
    cat!(stem(model, e), "Zone")
}

pub fn lower_zone(ctx: &mut Ctx, e: usize) {
    let domain = ctx.model.endpoints[e]
        .attrs
        .str("domain")
        .unwrap_or_default();
    // Retained: a new zone gets new name servers, which the parent domain's
    // delegation would no longer name.
    retain(ctx.add(
        &zone_id(ctx.model, e),
        "AWS::Route53::HostedZone",
        json!({ "Name": zone_name(domain), "HostedZoneConfig": { "Comment": comment(domain) } }),
        Tags::List("HostedZoneTags"),
    ));
}

/// The created zone's comment, within Route 53's 256 characters
/// (https://docs.aws.amazon.com/Route53/latest/APIReference/API_HostedZoneConfig.html):
/// a domain has up to 253, so a long one is cut (domains are ASCII).
fn comment(domain: &str) -> String {
    let mut text = cat!("tapc: public zone of ", domain);
    text.truncate(256);
    text
}

/// Where records of endpoint `e` go: an existing zone by id, the created zone by
/// reference in the primary's region, or by name elsewhere (zone ids are not
/// known across regions).
fn zone_ref(ctx: &mut Ctx, e: usize) -> (&'static str, Json) {
    let endpoint = &ctx.model.endpoints[e];
    if let Some(id) = endpoint.attrs.str("zone") {
        return ("HostedZoneId", json!(id));
    }
    if let (true, Some(zone)) = (ctx.is_primary(), endpoint.zone) {
        return ("HostedZoneId", ctx.value(NodeKind::Zone(zone), "ZoneId"));
    }
    let domain = endpoint.attrs.str("domain").unwrap_or_default();
    ("HostedZoneName", json!(cat!(zone_name(domain), ".")))
}

pub fn lower_record(ctx: &mut Ctx, e: usize) {
    let endpoint = &ctx.model.endpoints[e];
    let domain = endpoint.attrs.str("domain").unwrap_or_default();
    let order = region_order(ctx.model);
    let k = order.iter().position(|&r| r == ctx.region).unwrap_or(0);
    let region = ctx.region_code();
    let health = &endpoint.health;
    let https = health.str("protocol") == Some("https");
    let port = health.int("port").unwrap_or(if https { 443 } else { 80 });
    let alb_dns = ctx.value(NodeKind::Service(endpoint.target), "LoadBalancerDnsName");
    let alb_zone = ctx.value(NodeKind::Service(endpoint.target), "LoadBalancerZoneId");
    let (alb_dns_direct, alb_zone_direct) = (alb_dns.clone(), alb_zone.clone());
    let stem = stem(ctx.model, e);
    let check = cat!(stem, "HealthCheck");
    let mut config = json!({
        "Type": if https { "HTTPS" } else { "HTTP" },
        "FullyQualifiedDomainName": alb_dns.clone(),
        "Port": port,
        "ResourcePath": health.str("path").unwrap_or("/"),
        "RequestInterval": health.duration("interval").unwrap_or(30_000) / 1000,
        "FailureThreshold": health.int("threshold").unwrap_or(3),
    });
    if https {
        config["EnableSNI"] = json!(true);
    }
    ctx.add(
        &check,
        "AWS::Route53::HealthCheck",
        json!({ "HealthCheckConfig": config }),
        Tags::List("HealthCheckTags"),
    );
    // Under active_active every region serves already: no region is switched
    // on, so no serving alarm and no check of one (latency records below).
    let active = ctx.model.platform.strategy == Strategy::ActiveActive;
    // The serving alarm of this secondary, once (with the first endpoint).
    if e == 0 && !ctx.is_primary() && !active {
        let name = serving_alarm(ctx.prefix, region);
        // People on call hear that traffic moved here, and that it left.
        super::aurora::alarm_topic(ctx, "ServingTopic", &cat!("traffic in ", region));
        ctx.add(
            "ServingAlarm",
            "AWS::CloudWatch::Alarm",
            json!({
                "AlarmName": name,
                "AlarmDescription": format!("{region} serves {}: a failover runbook moved traffic here (metric {NAMESPACE}/{METRIC} = 1, published by the runbooks)", ctx.model.platform.name),
                "Namespace": NAMESPACE,
                "MetricName": METRIC,
                "Dimensions": [{ "Name": "Platform", "Value": ctx.prefix }],
                "Statistic": "Maximum",
                "Period": 60,
                "EvaluationPeriods": 1,
                "Threshold": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                // The metric is published once per switch: the alarm keeps its
                // state between data points.
                "TreatMissingData": "ignore",
                "AlarmActions": [{ "Ref": "ServingTopic" }],
                "OKActions": [{ "Ref": "ServingTopic" }],
            }),
            Tags::None,
        );
    }
    // One check per later secondary: healthy while its alarm is OK. Without
    // data (never published, or no data point in the last period) Route 53
    // keeps the last status, healthy for a new check.
    let metric_check = |code: &str, inverted: bool| {
        let mut config = json!({
            "Type": "CLOUDWATCH_METRIC",
            "AlarmIdentifier": { "Name": serving_alarm(ctx.prefix, code), "Region": code },
            "InsufficientDataHealthStatus": "LastKnownStatus",
        });
        if inverted {
            config["Inverted"] = json!(true);
        }
        json!({ "HealthCheckConfig": config })
    };
    let later = if active { &[][..] } else { &order[k + 1..] };
    let mut children = vec![json!({ "Ref": &check })];
    // A secondary with later ones also counts its own serving (the check on
    // its alarm, inverted): it keeps answering while it serves even if a
    // later secondary that failed still reports serving, which no runbook
    // could clear in a region that is down.
    let model = ctx.model;
    let mut checks: Vec<(String, &str, bool)> = Vec::new();
    if !later.is_empty() && !ctx.is_primary() {
        checks.push((cat!(stem, "Serving"), region, true));
    }
    for &s in later {
        let code = &model.regions[s].code;
        checks.push((cat!(stem, "Standby", camel(code)), code, false));
    }
    for (id, code, inverted) in checks {
        let props = metric_check(code, inverted);
        ctx.add(
            &id,
            "AWS::Route53::HealthCheck",
            props,
            Tags::List("HealthCheckTags"),
        );
        children.push(json!({ "Ref": id }));
    }
    let answer = if children.len() > 1 {
        // The load balancer and every later secondary standing by; for a
        // secondary, its own serving may stand in for one of them.
        let id = cat!(stem, "WriterCheck");
        let threshold = 1 + later.len();
        ctx.add(
            &id,
            "AWS::Route53::HealthCheck",
            json!({ "HealthCheckConfig": {
                "Type": "CALCULATED",
                "ChildHealthChecks": Json::Arr(children),
                "HealthThreshold": threshold,
            } }),
            Tags::List("HealthCheckTags"),
        );
        id
    } else {
        check.clone()
    };
    let last = k + 1 == order.len();
    let (name, failover) = if last {
        (names::chain_record(domain, k - 1), "SECONDARY")
    } else {
        (names::chain_record(domain, k), "PRIMARY")
    };
    let (zone_key, zone) = zone_ref(ctx, e);
    let mut record = if ctx.model.platform.strategy == Strategy::ActiveActive {
        // Every region serves: a latency record per region, each with its
        // health check, answers with the nearest healthy region (aws-dr.md 1.5).
        json!({
            "Name": names::chain_record(domain, 0),
            "Type": "A",
            "Region": region,
            "SetIdentifier": cat!(endpoint.name, "-", region),
            "HealthCheckId": { "Ref": check },
            "AliasTarget": { "DNSName": alb_dns, "HostedZoneId": alb_zone, "EvaluateTargetHealth": true },
        })
    } else {
        json!({
            "Name": name,
            "Type": "A",
            "Failover": failover,
            "SetIdentifier": cat!(endpoint.name, "-", region),
            "HealthCheckId": { "Ref": answer },
            "AliasTarget": { "DNSName": alb_dns, "HostedZoneId": alb_zone, "EvaluateTargetHealth": true },
        })
    };
    record[zone_key] = zone.clone();
    ctx.add(
        &cat!(stem, "Record"),
        "AWS::Route53::RecordSet",
        record,
        Tags::None,
    );
    if ctx.is_primary() && super::watch::automatic(ctx.model) {
        // What the canaries in the secondaries probe: always the primary's
        // load balancer, whatever the failover records answer.
        let mut direct = json!({
            "Name": super::watch::primary_record(ctx.model, domain),
            "Type": "A",
            "AliasTarget": { "DNSName": alb_dns_direct, "HostedZoneId": alb_zone_direct, "EvaluateTargetHealth": false },
        });
        direct[zone_key] = zone;
        ctx.add(
            &cat!(stem, "PrimaryRecord"),
            "AWS::Route53::RecordSet",
            direct,
            Tags::None,
        );
    }
}

/// Level `level` of the chain: the SECONDARY record of the level above, aliasing
/// this level's failover pair.
pub fn lower_chain(ctx: &mut Ctx, e: usize, level: usize) {
    let endpoint = &ctx.model.endpoints[e];
    let domain = endpoint.attrs.str("domain").unwrap_or_default();
    let (zone_key, zone) = zone_ref(ctx, e);
    let mut record = json!({
        "Name": names::chain_record(domain, level - 1),
        "Type": "A",
        "Failover": "SECONDARY",
        "SetIdentifier": cat!(endpoint.name, "-failover-", level),
        "AliasTarget": { "DNSName": names::chain_record(domain, level), "HostedZoneId": zone.clone(), "EvaluateTargetHealth": true },
    });
    record[zone_key] = zone;
    ctx.add(
        &cat!(stem(ctx.model, e), "Chain", level),
        "AWS::Route53::RecordSet",
        record,
        Tags::None,
    );
}
