//! Route 53 failover (aws-dr.md 1.5): a health check per region matching what
//! the load balancer listens on, and failover alias records with
//! `EvaluateTargetHealth`. With two regions: PRIMARY and SECONDARY records of the
//! domain. Route 53 allows one record of each per name, so with more secondaries
//! the SECONDARY record aliases `failover-1.DOMAIN`, a failover pair of the next
//! two regions, and so on down the chain.

use super::json::{json, Json};

use super::{camel, retain, Ctx, Tags};
use crate::graph::{region_order, NodeKind};
use crate::model::{Model, Strategy};

/// Logical-ID stem of endpoint `e`'s resources.
pub fn stem(model: &Model, e: usize) -> String {
    format!("Endpoint{}", camel(&model.endpoints[e].name))
}

pub fn zone_id(model: &Model, e: usize) -> String {
    format!("{}Zone", stem(model, e))
}

/// The hosted zone: the domain less its first label (`api.example.com` -> `example.com`).
pub fn zone_name(domain: &str) -> &str {
    match domain.split_once('.') {
        Some((_, rest)) if rest.contains('.') => rest,
        _ => domain,
    }
}

/// The name of chain level `k`: the domain itself, then `failover-K.DOMAIN`.
fn level_name(domain: &str, k: usize) -> String {
    match k {
        0 => format!("{domain}."),
        k => format!("failover-{k}.{domain}."),
    }
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
        json!({ "Name": zone_name(domain), "HostedZoneConfig": { "Comment": format!("tapc: public zone of {domain}") } }),
        Tags::List("HostedZoneTags"),
    ));
}

/// Where records of endpoint `e` go: an existing zone by id, the created zone by
/// reference in the primary's region, or by name elsewhere (zone ids are not
/// known across regions).
fn zone_ref(ctx: &mut Ctx, e: usize) -> (&'static str, Json) {
    let endpoint = &ctx.model.endpoints[e];
    if let Some(id) = endpoint.attrs.str("zone") {
        return ("HostedZoneId", json!(id));
    }
    if ctx.is_primary() {
        return ("HostedZoneId", ctx.value(NodeKind::Zone(e), "ZoneId"));
    }
    let domain = endpoint.attrs.str("domain").unwrap_or_default();
    ("HostedZoneName", json!(format!("{}.", zone_name(domain))))
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
    let check = format!("{stem}HealthCheck");
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
    let last = k + 1 == order.len();
    let (name, failover) = if last {
        (level_name(domain, k - 1), "SECONDARY")
    } else {
        (level_name(domain, k), "PRIMARY")
    };
    let (zone_key, zone) = zone_ref(ctx, e);
    let mut record = if ctx.model.platform.strategy == Strategy::ActiveActive {
        // Every region serves: a latency record per region, each with its
        // health check, answers with the nearest healthy region (aws-dr.md 1.5).
        json!({
            "Name": level_name(domain, 0),
            "Type": "A",
            "Region": region,
            "SetIdentifier": format!("{}-{region}", endpoint.name),
            "HealthCheckId": { "Ref": check },
            "AliasTarget": { "DNSName": alb_dns, "HostedZoneId": alb_zone, "EvaluateTargetHealth": true },
        })
    } else {
        json!({
            "Name": name,
            "Type": "A",
            "Failover": failover,
            "SetIdentifier": format!("{}-{region}", endpoint.name),
            "HealthCheckId": { "Ref": check },
            "AliasTarget": { "DNSName": alb_dns, "HostedZoneId": alb_zone, "EvaluateTargetHealth": true },
        })
    };
    record[zone_key] = zone.clone();
    ctx.add(
        &format!("{stem}Record"),
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
            &format!("{stem}PrimaryRecord"),
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
        "Name": level_name(domain, level - 1),
        "Type": "A",
        "Failover": "SECONDARY",
        "SetIdentifier": format!("{}-failover-{level}", endpoint.name),
        "AliasTarget": { "DNSName": level_name(domain, level), "HostedZoneId": zone.clone(), "EvaluateTargetHealth": true },
    });
    record[zone_key] = zone;
    ctx.add(
        &format!("{}Chain{level}", stem(ctx.model, e)),
        "AWS::Route53::RecordSet",
        record,
        Tags::None,
    );
}
