//! Route 53: failover, active/active latency records, and which region answers
//! (`src/lower/dns.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{json, Value as Json};

use crate::common::*;
use crate::eventbridge::check_forwarding;

// Route 53 failover (aws-dr.md 1.5).

struct DnsExpect {
    domain: &'static str,
    check: (&'static str, u64),
    interval: u64,
    threshold: u64,
}

fn dns_expect(ex: &str) -> DnsExpect {
    match ex {
        "trading" => DnsExpect {
            domain: "api.trading-dev.example.com.",
            check: ("HTTP", 80),
            interval: 30,
            threshold: 2,
        },
        "global" => DnsExpect {
            domain: "pay.payments-prod.example.com.",
            check: ("HTTPS", 443),
            interval: 10,
            threshold: 3,
        },
        "pilot-light" => DnsExpect {
            domain: "reports.dev.example.org.",
            check: ("HTTP", 80),
            interval: 10,
            threshold: 3,
        },
        "cache" => DnsExpect {
            domain: "api.sessions.example.com.",
            check: ("HTTP", 80),
            interval: 30,
            threshold: 3,
        },
        other => panic!("no endpoint expected in {other}"),
    }
}

#[test]
fn route53_failover() {
    let mut seen = BTreeSet::new();
    for ex in EXAMPLES {
        let b = build(ex);
        // The failover records; the primary's own record that the canaries
        // of `failover = automatic` probe is tested with the watch.
        let records: Vec<_> = b
            .find("AWS::Route53::RecordSet")
            .into_iter()
            .filter(|(_, id, _)| !id.ends_with("PrimaryRecord"))
            .collect();
        if records.is_empty() {
            continue;
        }
        seen.insert(ex);
        let want = dns_expect(ex);
        let zones = b.find("AWS::Route53::HostedZone");
        assert_eq!(zones.len(), 1, "{ex}: one hosted zone");
        let (zs, z_id, zone) = zones[0];
        assert!(b.stacks[zs].primary, "{ex}: the zone is in a primary stack");
        let zone_name = format!("{}.", s(&zone["Name"]).trim_end_matches('.'));
        assert!(want.domain.ends_with(&format!(".{zone_name}")), "{ex}");

        let mut by_name: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
        let mut set_ids = BTreeSet::new();
        // (name, failover, region) of records aliasing a load balancer.
        let mut regional = BTreeSet::new();
        let mut chained = Vec::new();
        for &(rs, id, r) in &records {
            let stack = &b.stacks[rs];
            let name = s(&r["Name"]);
            let failover = s(&r["Failover"]);
            assert!(matches!(failover, "PRIMARY" | "SECONDARY"), "{ex}: {id}");
            by_name
                .entry((name, s(&r["Type"])))
                .or_default()
                .push(failover);
            let set_id = s(&r["SetIdentifier"]);
            assert!((1..=128).contains(&set_id.len()));
            assert!(
                set_ids.insert(set_id),
                "{ex}: SetIdentifier {set_id} reused"
            );
            assert!(r.get("TTL").is_none(), "{ex}: alias record {id} has a TTL");
            assert!(r.get("Weight").is_none(), "{ex}: {id} is weighted");
            assert!(r.get("ResourceRecords").is_none(), "{ex}: {id}");
            let alias = &r["AliasTarget"];
            assert_eq!(alias["EvaluateTargetHealth"], true, "{ex}: {id}");
            assert!(
                name.ends_with(&zone_name),
                "{ex}: {name} outside {zone_name}"
            );
            match (r.get("HostedZoneId"), r.get("HostedZoneName")) {
                (Some(z), None) => assert_eq!(
                    b.target(rs, z),
                    Some((zs, z_id.to_string())),
                    "{ex}: {id} zone"
                ),
                (None, Some(z)) => assert_eq!(s(z), zone_name, "{ex}: {id} zone"),
                _ => panic!("{ex}: {id} needs exactly one of HostedZoneId/HostedZoneName"),
            }
            if let Some(lb) = att_of(&alias["DNSName"], "DNSName") {
                assert_eq!(
                    stack.ty(lb),
                    Some("AWS::ElasticLoadBalancingV2::LoadBalancer"),
                    "{ex}: {id}"
                );
                assert_eq!(
                    att_of(&alias["HostedZoneId"], "CanonicalHostedZoneID"),
                    Some(lb),
                    "{ex}: {id}"
                );
                let hc = ref_of(&r["HealthCheckId"])
                    .unwrap_or_else(|| panic!("{ex}: {id} without HealthCheckId"));
                assert_eq!(stack.ty(hc), Some("AWS::Route53::HealthCheck"));
                // A record that the serving alarms gate answers through a
                // calculated check whose first child probes the load balancer.
                let calculated = &stack.props(hc)["HealthCheckConfig"];
                let hc = if calculated["Type"] == "CALCULATED" {
                    ref_of(&calculated["ChildHealthChecks"][0]).expect("child check")
                } else {
                    hc
                };
                let cfg = &stack.props(hc)["HealthCheckConfig"];
                let (ty, port) = want.check;
                assert_eq!(cfg["Type"], ty, "{ex}: {hc} Type");
                assert_eq!(cfg["Port"], port, "{ex}: {hc} Port");
                assert_eq!(cfg["RequestInterval"], want.interval, "{ex}: {hc}");
                assert_eq!(cfg["FailureThreshold"], want.threshold, "{ex}: {hc}");
                assert_eq!(
                    att_of(&cfg["FullyQualifiedDomainName"], "DNSName"),
                    Some(lb)
                );
                assert!(cfg.get("IPAddress").is_none(), "{ex}: {hc}");
                // The check probes a listener of that load balancer that serves the app.
                let listener =
                    stack
                        .of_type("AWS::ElasticLoadBalancingV2::Listener")
                        .find(|(_, l)| {
                            ref_of(&l["LoadBalancerArn"]) == Some(lb)
                                && l["Port"] == cfg["Port"]
                                && l["Protocol"] == cfg["Type"]
                        });
                let (l_id, l) = listener.unwrap_or_else(|| {
                    panic!("{ex}: {hc} {ty}:{port} matches no listener of {lb}")
                });
                assert_eq!(
                    l["DefaultActions"][0]["Type"], "forward",
                    "{ex}: {hc} probes {l_id}, which does not forward to the app"
                );
                assert!(
                    regional.insert((name.to_string(), failover, stack.region.clone())),
                    "{ex}: duplicate record"
                );
            } else {
                assert!(stack.primary, "{ex}: chain record {id} outside the primary");
                chained.push((rs, name, failover, s(&alias["DNSName"]).to_string()));
            }
        }
        for ((name, ty), mut roles) in by_name {
            roles.sort_unstable();
            assert_eq!(
                roles,
                ["PRIMARY", "SECONDARY"],
                "{ex}: {name} {ty} needs one PRIMARY and one SECONDARY"
            );
        }

        let owned = |v: &[(&str, &str, &str)]| -> BTreeSet<(String, &'static str, String)> {
            v.iter()
                .map(|&(n, f, r)| {
                    let f = if f == "PRIMARY" {
                        "PRIMARY"
                    } else {
                        "SECONDARY"
                    };
                    (n.to_string(), f, r.to_string())
                })
                .collect()
        };
        if b.regions().len() == 2 {
            let secondary = *b.secondaries().first().expect("a secondary");
            assert_eq!(
                regional,
                owned(&[
                    (want.domain, "PRIMARY", b.primary()),
                    (want.domain, "SECONDARY", secondary),
                ]),
                "{ex}"
            );
            assert!(chained.is_empty(), "{ex}: no chain with two regions");
        } else {
            assert!(matches!(ex, "global" | "cache"), "{ex}");
            let f1 = format!("failover-1.{}", want.domain);
            assert_eq!(
                regional,
                owned(&[
                    (want.domain, "PRIMARY", "us-east-1"),
                    (&f1, "PRIMARY", "eu-west-1"),
                    (&f1, "SECONDARY", "us-west-2"),
                ]),
                "{ex}: the failover chain"
            );
            assert_eq!(chained.len(), 1, "{ex}: one chain record");
            let (cs, name, failover, target) = &chained[0];
            assert_eq!(
                (*name, *failover, target.as_str()),
                (want.domain, "SECONDARY", f1.as_str())
            );
            // Route 53 needs the alias target's record to exist first.
            let first = records
                .iter()
                .filter(|(_, _, r)| r["Name"] == f1.as_str())
                .map(|(rs, ..)| *rs)
                .min()
                .expect("a failover-1 record");
            assert!(first < *cs, "{ex}: {f1} exists before the chain");
        }
    }
    seen_check(
        "Route 53",
        seen,
        &["trading", "global", "pilot-light", "cache"],
    );
}

/// `strategy = active_active` (tests/good/active_active.tap with two regions,
/// examples/active-active.tap with three): every region answers through a latency
/// record with its own health check, no failover record or chain; every
/// region runs the full task count; Aurora secondaries forward writes.
#[test]
fn active_active_serves_from_every_region() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/good/active_active.tap");
    let two = std::fs::read_to_string(path).unwrap();
    let three = std::fs::read_to_string(example_path("active-active")).unwrap();
    for (name, program) in [("good-active-active", &two), ("active-active", &three)] {
        let b = build_text(name, program);
        let records = b.find("AWS::Route53::RecordSet");
        assert_eq!(
            records.len(),
            b.regions().len(),
            "{name}: one record per region, no chain"
        );
        let mut regions = BTreeSet::new();
        for (rs, _, record) in records {
            let region = &b.stacks[rs].region;
            assert!(record.get("Failover").is_none(), "{name}");
            assert_eq!(record["Region"], region.as_str(), "{name}");
            assert!(s(&record["Name"]).starts_with("api."), "{name}");
            assert_eq!(record["AliasTarget"]["EvaluateTargetHealth"], true);
            let check = ref_of(&record["HealthCheckId"]).expect("health check");
            assert_eq!(b.stacks[rs].ty(check), Some("AWS::Route53::HealthCheck"));
            let (ls, lb) = b
                .target(rs, &record["AliasTarget"]["DNSName"])
                .expect("alb");
            assert_eq!(
                &b.stacks[ls].region, region,
                "{name}: its own region's load balancer"
            );
            assert_eq!(
                b.stacks[ls].ty(&lb),
                Some("AWS::ElasticLoadBalancingV2::LoadBalancer")
            );
            regions.insert(region.as_str());
        }
        assert_eq!(regions, b.regions(), "{name}");
        for (_, _, svc) in b.find("AWS::ECS::Service") {
            let full = if name == "active-active" { 3 } else { 2 };
            assert_eq!(
                svc["DesiredCount"], full,
                "{name}: the full count everywhere"
            );
        }
        // EventBridge: as under every strategy (`check_forwarding`).
        check_forwarding(&b);
        for (cs, _, cluster) in b.find("AWS::RDS::DBCluster") {
            let forwarding = cluster.get("EnableGlobalWriteForwarding");
            if b.stacks[cs].primary {
                assert!(forwarding.is_none(), "{name}: the writer forwards nothing");
            } else {
                assert_eq!(forwarding, Some(&Json::Bool(true)), "{name}");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Traffic follows the writer (LANGUAGE.md 4.1, aws-dr.md 6.2): which record
// answers, given the serving metric of each secondary and the load balancers.

/// Whether health check `id` of stack `st` is healthy: load balancers by
/// region, and the secondaries whose serving metric is 1.
fn healthy(
    b: &Built,
    st: usize,
    id: &str,
    lb_up: &BTreeSet<String>,
    serving: &BTreeSet<String>,
) -> bool {
    let stack = &b.stacks[st];
    assert_eq!(stack.ty(id), Some("AWS::Route53::HealthCheck"), "{id}");
    let cfg = &stack.props(id)["HealthCheckConfig"];
    match s(&cfg["Type"]) {
        "HTTP" | "HTTPS" => lb_up.contains(&stack.region),
        "CLOUDWATCH_METRIC" => {
            let (name, region) = (
                s(&cfg["AlarmIdentifier"]["Name"]),
                s(&cfg["AlarmIdentifier"]["Region"]),
            );
            assert_eq!(cfg["InsufficientDataHealthStatus"], "LastKnownStatus");
            let inverted = cfg["Inverted"] == true;
            // The alarm exists in that region, on the metric the runbooks publish.
            let alarms: Vec<_> = b
                .find_in("AWS::CloudWatch::Alarm", region)
                .into_iter()
                .filter(|(_, _, a)| a["AlarmName"] == name)
                .collect();
            assert_eq!(alarms.len(), 1, "{}: alarm {name} in {region}", b.example);
            let (_, _, alarm) = alarms[0];
            assert_eq!(alarm["Namespace"], "tapc");
            assert_eq!(alarm["MetricName"], "Serving");
            assert_eq!(alarm["Dimensions"][0]["Name"], "Platform");
            assert_eq!(alarm["Period"], 60, "standard resolution");
            assert_eq!(alarm["Threshold"], 1);
            assert_eq!(alarm["ComparisonOperator"], "GreaterThanOrEqualToThreshold");
            assert_eq!(alarm["TreatMissingData"], "ignore");
            // In ALARM while that region serves: the check is then unhealthy
            // (healthy, if inverted).
            serving.contains(region) == inverted
        }
        "CALCULATED" => {
            let children = cfg["ChildHealthChecks"].as_array().expect("children");
            let ok = children
                .iter()
                .filter(|c| healthy(b, st, ref_of(c).expect("child Ref"), lb_up, serving))
                .count();
            // The load balancer, and all but the region's own serving check.
            let own = children
                .iter()
                .filter(|c| {
                    stack.props(ref_of(c).unwrap())["HealthCheckConfig"]["Inverted"] == true
                })
                .count();
            assert!(own <= 1);
            let threshold = cfg["HealthThreshold"].as_u64().expect("threshold") as usize;
            assert_eq!(threshold, children.len() - own, "{}", b.example);
            ok >= threshold
        }
        other => panic!("{}: check type {other}", b.example),
    }
}

/// The region Route 53 answers `name` with (failover records, aliases down
/// the chain). When no record is healthy Route 53 answers with the primary.
fn answer(
    b: &Built,
    name: &str,
    lb_up: &BTreeSet<String>,
    serving: &BTreeSet<String>,
) -> Option<String> {
    let records: Vec<_> = b
        .find("AWS::Route53::RecordSet")
        .into_iter()
        .filter(|(_, _, r)| r["Name"] == name)
        .collect();
    let pick = |failover: &str| {
        records
            .iter()
            .find(|(_, _, r)| r["Failover"] == failover)
            .copied()
    };
    let evaluate = |(st, _, r): Found| -> Option<String> {
        match ref_of(&r["HealthCheckId"]) {
            Some(hc) => healthy(b, st, hc, lb_up, serving).then(|| b.stacks[st].region.clone()),
            None => answer(b, s(&r["AliasTarget"]["DNSName"]), lb_up, serving),
        }
    };
    let primary = pick("PRIMARY")?;
    evaluate(primary).or_else(|| evaluate(pick("SECONDARY")?))
}

#[test]
fn traffic_follows_the_writer() {
    let mut seen = BTreeSet::new();
    for ex in EXAMPLES {
        let b = build(ex);
        let Some(domain) = b
            .find("AWS::Route53::RecordSet")
            .iter()
            .map(|(_, _, r)| s(&r["Name"]).to_string())
            .filter(|n| !n.starts_with("failover-"))
            .min_by_key(|n| n.len())
        else {
            continue;
        };
        seen.insert(ex);
        let primary = b.primary().to_string();
        let all: BTreeSet<String> = b.regions().iter().map(|r| r.to_string()).collect();
        let none = BTreeSet::new();
        let only = |r: &str| BTreeSet::from([r.to_string()]);
        let order = b.dns_failover_order();
        assert_eq!(
            order.iter().cloned().collect::<BTreeSet<_>>(),
            b.secondaries().iter().map(|r| r.to_string()).collect(),
            "{ex}: every secondary in the DNS order"
        );
        // Normal operation: the primary serves.
        assert_eq!(
            answer(&b, &domain, &all, &none),
            Some(primary.clone()),
            "{ex}: normal"
        );
        // Its load balancer fails: DNS goes down the chain, to the first secondary.
        let mut without_primary = all.clone();
        without_primary.remove(&primary);
        assert_eq!(
            answer(&b, &domain, &without_primary, &none).as_ref(),
            Some(&order[0]),
            "{ex}: the first secondary in the DNS order takes over"
        );
        for s_region in &order {
            // After the failover runbook of S (serving = S), S answers even
            // with every load balancer healthy: a database-only outage, or the
            // old primary back as a read-only secondary.
            assert_eq!(
                answer(&b, &domain, &all, &only(s_region)).as_ref(),
                Some(s_region),
                "{ex}: failover to {s_region}"
            );
            assert_eq!(
                answer(&b, &domain, &without_primary, &only(s_region)).as_ref(),
                Some(s_region),
                "{ex}: failover to {s_region} with the primary down"
            );
            // A second failover, to another secondary T, while S's metric is
            // still 1 (S failed before T's runbook could clear it).
            for t in order.iter().filter(|t| *t != s_region) {
                let both: BTreeSet<String> = [s_region.clone(), t.clone()].into();
                let mut s_down = all.clone();
                s_down.remove(s_region);
                s_down.remove(&primary);
                assert_eq!(
                    answer(&b, &domain, &s_down, &both).as_ref(),
                    Some(t),
                    "{ex}: from {s_region} on to {t}"
                );
            }
            // Failback clears the metric: the primary serves again.
            assert_eq!(
                answer(&b, &domain, &all, &none),
                Some(primary.clone()),
                "{ex}: failback"
            );
        }
    }
    seen_check(
        "an endpoint",
        seen,
        &["trading", "global", "pilot-light", "cache"],
    );
}

/// Without a `protocol`, the health check of a target with certificates
/// probes HTTPS:443, the listener that serves the app (its HTTP listener only
/// redirects, which Route 53 would count as healthy); with `protocol = http`
/// written, HTTP:80, and W201 says why not.
#[test]
fn the_health_check_of_a_target_with_certificates_is_https_by_default() {
    let program = |health: &str| {
        format!(
            "platform p {{\n  rto = 15m\n  rpo = 1m\n  trigger = 1m\n  notify = [\"a@example.com\"]\n  registry = replicated\n}}\n\
             region us-east-1 {{\n  role = primary\n  cidr = 10.0.0.0/16\n}}\n\
             region us-west-2 {{\n  role = secondary\n  cidr = 10.1.0.0/16\n}}\n\
             service api: fargate {{\n  image = \"123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.0\"\n  certificates = {{\n    us-east-1 = \"arn:aws:acm:us-east-1:123456789012:certificate/abc\",\n    us-west-2 = \"arn:aws:acm:us-west-2:123456789012:certificate/def\",\n  }}\n}}\n\
             endpoint api {{\n  domain = \"api.example.com\"\n  target = api\n  health {{\n    {health}\n  }}\n}}\n"
        )
    };
    for (health, ty, port) in [
        ("threshold = 2", "HTTPS", 443),
        ("protocol = http", "HTTP", 80),
    ] {
        let file = tapc::diag::SourceFile::new("https.tap", program(health));
        let built = build_file("https", &file);
        let mut probes = 0;
        for stack in &built.stacks {
            for (_, hc) in stack.of_type("AWS::Route53::HealthCheck") {
                let cfg = &hc["HealthCheckConfig"];
                if cfg["Type"] != "CALCULATED" && cfg["Type"] != "CLOUDWATCH_METRIC" {
                    assert_eq!(
                        (&cfg["Type"], &cfg["Port"]),
                        (&json!(ty), &json!(port)),
                        "{health}"
                    );
                    probes += 1;
                }
            }
        }
        assert!(probes >= 2, "{health}: a probe per region");
    }
}

/// Endpoints under one domain share the hosted zone tapc creates: two zones
/// named `example.com` would leave one undelegated, and the secondaries'
/// records, which name their zone by name, ambiguous. An endpoint with its own
/// `zone` gets none.
#[test]
fn endpoints_under_one_domain_share_one_zone() {
    let mut program = String::from(
        "platform p {\n  registry = replicated\n  notify = [\"oncall@example.com\"]\n  rto = 1h\n  rpo = 5m\n  trigger = 1m\n}\n\
         region us-east-1 {\n  role = primary\n  cidr = 10.0.0.0/16\n}\n\
         region us-west-2 {\n  role = secondary\n  cidr = 10.1.0.0/16\n}\n",
    );
    for (name, domain, zone) in [
        ("api", "api.example.com", ""),
        ("www", "www.Example.com", ""),
        ("shop", "shop.example.org", ""),
        ("admin", "admin.example.com", "zone = \"Z0123456789ABC\""),
    ] {
        program.push_str(&format!(
            "service {name}: fargate {{\n  image = \"123456789012.dkr.ecr.us-east-1.amazonaws.com/sample:1.0\"\n}}\n\
             endpoint {name} {{\n  domain = \"{domain}\"\n  target = {name}\n  {zone}\n}}\n"
        ));
    }
    let b = build_text("shared-zone", &program);
    let zones: Vec<String> = b
        .find("AWS::Route53::HostedZone")
        .into_iter()
        .map(|(_, id, zone)| format!("{id} {}", s(&zone["Name"])))
        .collect();
    assert_eq!(
        zones,
        [
            "EndpointApiZone example.com",
            "EndpointShopZone example.org"
        ]
    );
    let mut primary_zones = BTreeMap::new();
    for (rs, _, record) in b.find_in("AWS::Route53::RecordSet", "us-east-1") {
        let zone = match &record["HostedZoneId"] {
            Json::String(id) => id.clone(),
            imported => b.target(rs, imported).expect("an exported zone").1,
        };
        primary_zones.insert(s(&record["Name"]).to_string(), zone);
    }
    assert_eq!(
        primary_zones,
        BTreeMap::from(
            [
                ("admin.example.com.", "Z0123456789ABC"),
                ("api.example.com.", "EndpointApiZone"),
                ("shop.example.org.", "EndpointShopZone"),
                ("www.Example.com.", "EndpointApiZone"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        )
    );
}

/// A created zone's comment names the domain within Route 53's 256
/// characters, however long the domain (up to DNS's 253).
#[test]
fn zone_comment_fits_route53() {
    let domain = format!(
        "{}.{}.{}.{}.com",
        "a".repeat(63),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(57)
    );
    assert_eq!(domain.len(), 253);
    let program = format!(
        "platform p {{\n  registry = replicated\n  notify = [\"oncall@example.com\"]\n  rto = 1h\n  rpo = 5m\n  trigger = 1m\n}}\n\
         region us-east-1 {{\n  role = primary\n  cidr = 10.0.0.0/16\n}}\n\
         region us-west-2 {{\n  role = secondary\n  cidr = 10.1.0.0/16\n}}\n\
         service api: fargate {{\n  image = \"123456789012.dkr.ecr.us-east-1.amazonaws.com/sample:1.0\"\n}}\n\
         endpoint api {{\n  domain = \"{domain}\"\n  target = api\n}}\n"
    );
    let b = build_text("long-domain", &program);
    let zones = b.find("AWS::Route53::HostedZone");
    let comment = s(&zones[0].2["HostedZoneConfig"]["Comment"]);
    assert_eq!(comment.len(), 256);
    assert!(comment.starts_with("tapc: public zone of aaaa"));
}
