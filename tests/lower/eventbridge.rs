//! EventBridge forwarding (`src/lower/eventbridge.rs`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use crate::common::*;

// EventBridge forwarding (aws-dr.md 1.4).

#[test]
fn eventbridge_forwarding() {
    let mut seen = BTreeSet::new();
    for ex in EXAMPLES {
        let b = build(ex);
        if b.find("AWS::Events::EventBus").is_empty() {
            continue;
        }
        seen.insert(ex);
        check_forwarding(&b);
    }
    seen_check("EventBridge", seen, &["trading"]);
}

/// Seven regions, and events replicated to all six secondaries: more targets
/// than one rule takes (5, EventBridge quotas), so two rules in every region.
#[test]
fn eventbridge_forwards_to_six_secondaries_with_two_rules() {
    let regions = [
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "eu-west-1",
        "eu-west-2",
        "eu-central-1",
    ];
    let b = build_text("fan", &events_program("warm_standby", &regions));
    for region in regions {
        let rules = forwarding_rules(&b);
        let here = rules.iter().filter(|r| r.region == region).count();
        assert_eq!(here, 2, "{region}: 6 targets take two rules of at most 5");
    }
    check_forwarding(&b);
}

/// A platform of `regions` (the first is the primary) with an event bus
/// replicated to every secondary, and a service that publishes on it (and
/// writes to a database, which the runbooks fail over and back).
fn events_program(strategy: &str, regions: &[&str]) -> String {
    let mut src = format!(
        "platform fan {{\n  rto = 24h\n  rpo = 5m\n  trigger = 1m\n  strategy = {strategy}\n}}\n\nservice events: eventbridge {{\n  source = \"fan.out\"\n  detail_types = [\"Order Placed\"]\n}}\n\nservice api: fargate {{\n  image = \"amazon/amazon-ecs-sample\"\n  cpu = 256\n  memory = 512MiB\n  count = 2\n  needs = [events, db]\n}}\n\nservice db: aurora_postgres {{\n  version = \"16.8\"\n  instances = 2\n  class = \"db.r6g.large\"\n}}\n\n",
    );
    for (k, r) in regions.iter().enumerate() {
        let role = if k == 0 { "primary" } else { "secondary" };
        src.push_str(&format!(
            "region {r} {{\n  role = {role}\n  cidr = 10.{k}.0.0/16\n}}\n\n"
        ));
    }
    let secondaries = regions[1..].join(", ");
    src.push_str(&format!(
        "replicate events -> {secondaries} {{ lag = 1m }}\nreplicate db -> {secondaries}\n"
    ));
    src
}

/// Every strategy, with 2 and 3 regions: a secondary serves after a failover
/// (warm standby and active/active run tasks, pilot light and backup and
/// restore start them), so the events published there reach the primary for
/// the failback, and the other secondaries, in one hop and never back.
#[test]
fn eventbridge_every_strategy_forwards_both_ways() {
    let three = ["us-east-1", "us-west-2", "eu-west-1"];
    for strategy in [
        "warm_standby",
        "pilot_light",
        "backup_restore",
        "active_active",
    ] {
        for regions in [&three[..2], &three[..]] {
            let name = format!("{strategy}-{}", regions.len());
            let b = build_text(&name, &events_program(strategy, regions));
            check_forwarding(&b);
            let rules = forwarding_rules(&b);
            assert_eq!(rules.len(), regions.len(), "{name}: a rule per region");
            // The secondaries' rules come with the second phase of their bus's
            // stack, after the buses they target; the manifest says so.
            for rule in rules.iter().filter(|r| r.region != b.primary()) {
                let stack = rule.stack;
                assert_eq!(stack.phase, 2, "{name}: {} rule in phase 2", rule.region);
                let listed = b.manifest["stacks"].as_array().expect("stacks");
                let entry = listed
                    .iter()
                    .find(|m| m["name"] == stack.name.as_str() && m["phase"] == 2)
                    .expect("listed");
                let note = entry["note"].as_str().expect("a note");
                assert!(note.contains("EventBridge"), "{name}: {note}");
            }
            // Before the failback from a secondary, RUNBOOK.md has the
            // operator check that its rule retries and lost nothing.
            let (_, guide) = b.files.last().expect("RUNBOOK.md");
            for code in &regions[1..] {
                let section = guide
                    .split_once(&format!("### Fail back from `{code}`"))
                    .map(|(_, rest)| rest.split("\n### ").next().unwrap_or(rest))
                    .unwrap_or_else(|| panic!("{name}: no failback from {code}"));
                for metric in ["RetryInvocationAttempts", "FailedInvocations"] {
                    let dims = format!("--metric-name {metric} --dimensions Name=EventBusName,Value=fan-events-{code} Name=RuleName,Value=fan-events-forward");
                    assert!(section.contains(&dims), "{name}: {code}: {metric}");
                }
            }
        }
    }
}

/// A forwarding rule as deployed: the stack (or second phase) that creates it.
struct Forward<'a> {
    stack: &'a Stack,
    region: &'a str,
    id: &'a str,
    rule: &'a Json,
    /// The regions of its target buses, in order.
    targets: Vec<String>,
}

/// Every `AWS::Events::Rule` of the build, each once: from the first template
/// that has it (a second phase repeats its first phase's resources).
fn forwarding_rules(b: &Built) -> Vec<Forward<'_>> {
    let mut out = Vec::new();
    for st in b.stacks.iter().chain(&b.phases) {
        let first = (st.phase == 2).then(|| &b.stacks[b.stack_index(&st.name)]);
        for (id, rule) in st.of_type("AWS::Events::Rule") {
            if first.is_some_and(|f| f.resources().contains_key(id)) {
                continue;
            }
            // The alarm rule that starts the failover runbook is not one.
            if rule["Targets"][0]["Arn"]
                .as_str()
                .or_else(|| text(&rule["Targets"][0]["Arn"]))
                .is_none_or(|a| !a.contains(":event-bus/"))
            {
                continue;
            }
            let targets = rule["Targets"]
                .as_array()
                .expect("Targets")
                .iter()
                .map(|t| {
                    let arn = text(&t["Arn"]).expect("target Arn");
                    arn.split_once(":events:")
                        .and_then(|(_, rest)| rest.split(':').next())
                        .expect("a region in the ARN")
                        .to_string()
                })
                .collect();
            out.push(Forward {
                stack: st,
                region: &st.region,
                id,
                rule,
                targets,
            });
        }
    }
    out
}

/// The forwarding of a build whose events are replicated to every
/// secondary. In every region, rules on the region's
/// own bus match only the events published there and forward them, at most
/// 5 targets a rule, to every other region's bus, through one role that
/// may put events on exactly those buses; each rule is created after the
/// buses it targets. Following each region's events through the rules, hop
/// by hop: they reach every other region exactly once, and no rule matches
/// an event that arrived from another region (EventBridge would refuse that
/// second hop, eb-bus-to-bus.html), so nothing comes back.
pub fn check_forwarding(b: &Built) {
    let ex = &b.example;
    let members = b.regions();
    // Buses: one per region, created in a first phase.
    let mut buses: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for region in b.regions() {
        let here = b.find_in("AWS::Events::EventBus", region);
        assert_eq!(here.len(), 1, "{ex}: one bus in {region}");
        let (bs, id, bus) = here[0];
        let name = s(&bus["Name"]);
        assert_ne!(name, "default");
        let arn =
            format!("arn:${{AWS::Partition}}:events:{region}:${{AWS::AccountId}}:event-bus/{name}");
        buses.insert(region.to_string(), (arn, bs));
        assert_eq!(id, "EventsBus");
    }
    let rules = forwarding_rules(b);
    for region in b.regions() {
        let here: Vec<&Forward> = rules.iter().filter(|r| r.region == region).collect();
        let expected: BTreeSet<&str> = members.iter().copied().filter(|&m| m != region).collect();
        assert_eq!(
            here.len(),
            expected.len().div_ceil(5),
            "{ex}: {region}: as few rules as 5 targets a rule allow"
        );
        let names: BTreeSet<&str> = here.iter().map(|r| s(&r.rule["Name"])).collect();
        assert_eq!(names.len(), here.len(), "{ex}: rule names are distinct");
        let mut roles = BTreeSet::new();
        let mut arns = BTreeSet::new();
        let mut targeted = BTreeSet::new();
        for f in &here {
            let (rule, id) = (f.rule, f.id);
            assert_eq!(rule["State"], "ENABLED");
            assert_eq!(
                strings(&rule["EventPattern"]["source"]).len(),
                1,
                "{ex}: {id} matches the service's source"
            );
            assert_eq!(
                strings(&rule["EventPattern"]["region"]),
                [region],
                "{ex}: {id} matches the events published in {region} only"
            );
            // On the region's own bus, a resource of the same template.
            let bus = ref_of(&rule["EventBusName"]).map_or_else(
                || {
                    let (own_s, own) = b
                        .target(b.stack_index(&f.stack.name), &rule["EventBusName"])
                        .unwrap_or_else(|| panic!("{ex}: {id} EventBusName"));
                    assert_eq!(b.stacks[own_s].region, region);
                    own
                },
                str::to_string,
            );
            assert_eq!(bus, "EventsBus", "{ex}: {id} on its region's bus");
            let targets = rule["Targets"].as_array().expect("Targets");
            assert!(
                (1..=5).contains(&targets.len()),
                "{ex}: {id} has {} targets; a rule takes 1 to 5",
                targets.len()
            );
            let mut ids = BTreeSet::new();
            for (t, to) in targets.iter().zip(&f.targets) {
                let arn = text(&t["Arn"]).expect("target Arn").to_string();
                let (expected_arn, bs) = &buses[to];
                assert_eq!(&arn, expected_arn, "{ex}: {id} targets the bus of {to}");
                let bus_stack = &b.stacks[*bs];
                assert!(
                    bus_stack.wave < f.stack.wave && f.stack.depends_on.contains(&bus_stack.name),
                    "{ex}: {id} (wave {}) is created after the bus of {to} (wave {})",
                    f.stack.wave,
                    bus_stack.wave
                );
                let tid = s(&t["Id"]);
                assert_eq!(tid, format!("to-{to}"));
                assert!(ids.insert(tid), "{ex}: target Ids are unique in a rule");
                roles.insert(att_of(&t["RoleArn"], "Arn").expect("RoleArn is a GetAtt"));
                assert!(
                    targeted.insert(to.as_str()),
                    "{ex}: {to} targeted twice from {region}"
                );
                arns.insert(arn);
            }
        }
        assert_eq!(
            targeted, expected,
            "{ex}: {region} forwards to every other region"
        );
        if here.is_empty() {
            continue;
        }
        assert_eq!(roles.len(), 1, "{ex}: one forwarding role in {region}");
        let role = roles.into_iter().next().expect("a role");
        let stack = here[0].stack;
        assert_eq!(stack.ty(role), Some("AWS::IAM::Role"));
        let (trusted, actions) = role_policy(stack.props(role));
        assert_eq!(trusted, set(["events.amazonaws.com"]), "{ex}");
        assert_eq!(
            actions.keys().cloned().collect::<BTreeSet<_>>(),
            set(["events:PutEvents"]),
            "{ex}"
        );
        assert_eq!(
            actions["events:PutEvents"], arns,
            "{ex}: {region}: exactly the target buses"
        );
    }
    // Follow the events published in each region.
    let matches = |at: &str, origin: &str| -> Vec<&Forward> {
        rules
            .iter()
            .filter(|r| {
                r.region == at
                    && strings(&r.rule["EventPattern"]["region"]).contains(&origin.to_string())
            })
            .collect()
    };
    for origin in b.regions() {
        let mut received: BTreeMap<String, usize> = BTreeMap::new();
        for rule in matches(origin, origin) {
            for to in &rule.targets {
                *received.entry(to.clone()).or_default() += 1;
                assert!(
                    matches(to, origin).is_empty(),
                    "{ex}: an event of {origin} forwarded to {to} would be forwarded again"
                );
            }
        }
        let others: BTreeMap<String, usize> = members
            .iter()
            .filter(|r| **r != origin)
            .map(|r| (r.to_string(), 1))
            .collect();
        assert_eq!(received, others, "{ex}: events published in {origin}");
    }
}
