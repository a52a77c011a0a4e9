//! EventBridge forwarding (`src/lower/eventbridge.rs`).

use std::collections::{BTreeMap, BTreeSet};

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
/// than one rule takes (5, EventBridge quotas), so two rules.
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
    let mut src = String::from(
        "platform fan {\n  rto = 1h\n  rpo = 5m\n  trigger = 1m\n}\n\nservice events: eventbridge {\n  source = \"fan.out\"\n}\n\n",
    );
    for (k, r) in regions.iter().enumerate() {
        let role = if k == 0 { "primary" } else { "secondary" };
        src.push_str(&format!(
            "region {r} {{\n  role = {role}\n  cidr = 10.{k}.0.0/16\n}}\n\n"
        ));
    }
    src.push_str(&format!(
        "replicate events -> {} {{ lag = 1m }}\n",
        regions[1..].join(", ")
    ));
    let b = build_text("fan", &src);
    let rules = b.find_in("AWS::Events::Rule", b.primary());
    assert_eq!(rules.len(), 2, "6 targets take two rules of at most 5");
    check_forwarding(&b);
}

/// Every secondary bus is the target of exactly one forwarding rule in the
/// primary, on the primary's bus, at most 5 targets a rule, through one role
/// that may put events on exactly those buses.
fn check_forwarding(b: &Built) {
    let ex = &b.example;
    let buses = b.find("AWS::Events::EventBus");
    let bus_regions: BTreeSet<&str> = buses
        .iter()
        .map(|(st, ..)| b.stacks[*st].region.as_str())
        .collect();
    assert_eq!(bus_regions, b.regions(), "{ex}: a bus in every region");
    let mut expected = BTreeMap::new();
    for region in b.secondaries() {
        let here = b.find_in("AWS::Events::EventBus", region);
        assert_eq!(here.len(), 1, "{ex}: one bus in {region}");
        let (bs, _, bus) = here[0];
        let name = s(&bus["Name"]);
        assert_ne!(name, "default");
        let arn =
            format!("arn:${{AWS::Partition}}:events:{region}:${{AWS::AccountId}}:event-bus/{name}");
        expected.insert(arn, bs);
    }
    for region in b.secondaries() {
        assert!(
            b.find_in("AWS::Events::Rule", region).is_empty(),
            "{ex}: no forwarding rule in {region}"
        );
    }
    let rules = b.find_in("AWS::Events::Rule", b.primary());
    assert_eq!(
        rules.len(),
        expected.len().div_ceil(5),
        "{ex}: as few rules as 5 targets a rule allow"
    );
    let names: BTreeSet<&str> = rules.iter().map(|(_, _, r)| s(&r["Name"])).collect();
    assert_eq!(names.len(), rules.len(), "{ex}: rule names are distinct");
    let mut roles = BTreeSet::new();
    let mut arns = BTreeSet::new();
    let mut targeted = 0;
    for &(rs, r_id, rule) in &rules {
        assert_eq!(rule["State"], "ENABLED");
        assert!(rule["EventPattern"]["source"].is_array(), "{ex}: a pattern");
        let (own_s, own) = b
            .target(rs, &rule["EventBusName"])
            .unwrap_or_else(|| panic!("{ex}: {r_id} EventBusName is not a reference"));
        assert_eq!(b.stacks[own_s].ty(&own), Some("AWS::Events::EventBus"));
        assert_eq!(b.stacks[own_s].region, b.primary());
        let targets = rule["Targets"].as_array().expect("Targets");
        assert!(
            (1..=5).contains(&targets.len()),
            "{ex}: {r_id} has {} targets; a rule takes 1 to 5",
            targets.len()
        );
        targeted += targets.len();
        let mut ids = BTreeSet::new();
        for t in targets {
            let arn = text(&t["Arn"]).expect("target Arn").to_string();
            let bs = *expected
                .get(&arn)
                .unwrap_or_else(|| panic!("{ex}: target {arn} is no secondary bus"));
            assert!(bs < rs, "{ex}: the target bus exists before the rule");
            let id = s(&t["Id"]);
            assert!(
                !id.is_empty()
                    && id.len() <= 64
                    && id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c)),
                "{ex}: target Id {id}"
            );
            assert!(ids.insert(id), "{ex}: target Ids are unique in a rule");
            roles.insert(att_of(&t["RoleArn"], "Arn").expect("RoleArn is a GetAtt"));
            arns.insert(arn);
        }
        assert_eq!(roles.len(), 1, "{ex}: one forwarding role");
    }
    assert_eq!(targeted, expected.len(), "{ex}: each secondary bus once");
    assert_eq!(arns.len(), expected.len(), "{ex}: a target per secondary");
    let role = roles.into_iter().next().expect("a role");
    let rs = rules[0].0;
    assert_eq!(b.stacks[rs].ty(role), Some("AWS::IAM::Role"));
    let (trusted, actions) = role_policy(b.stacks[rs].props(role));
    assert_eq!(trusted, set(["events.amazonaws.com"]), "{ex}");
    assert_eq!(
        actions.keys().cloned().collect::<BTreeSet<_>>(),
        set(["events:PutEvents"]),
        "{ex}"
    );
    assert_eq!(
        actions["events:PutEvents"], arns,
        "{ex}: exactly the target buses"
    );
}
