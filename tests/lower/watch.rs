//! `failover = automatic`: the primary watched from the secondaries
//! (`src/lower/watch.rs`).

use crate::common::*;

/// `failover = automatic` (cache): every secondary watches the primary with a
/// canary and an alarm that notifies; only the first secondary of the DNS
/// order starts its failover runbook from that alarm, with a role that may
/// start exactly that runbook and pass exactly its role.
#[test]
fn automatic_failover_is_started_by_an_alarm_in_the_first_secondary_only() {
    let b = build("cache");
    let primary = b.primary().to_string();
    let order: Vec<&str> = b.manifest["failover"]
        .as_array()
        .map(|f| f.iter().filter_map(|r| r["region"].as_str()).collect())
        .unwrap_or_default();
    let first = order.first().copied().unwrap_or("eu-west-1");
    assert_eq!(first, "eu-west-1");
    // The record the canaries probe: the primary's load balancer, always.
    let (rs, _, record) = b
        .find_in("AWS::Route53::RecordSet", &primary)
        .into_iter()
        .find(|(_, _, r)| r["Name"] == "us-east-1.api.sessions.example.com.")
        .expect("the primary's own record");
    assert!(record.get("Failover").is_none() && record.get("HealthCheckId").is_none());
    let (ls, lb) = b
        .target(rs, &record["AliasTarget"]["DNSName"])
        .expect("alb");
    assert_eq!(
        b.stacks[ls].ty(&lb),
        Some("AWS::ElasticLoadBalancingV2::LoadBalancer")
    );
    assert_eq!(b.stacks[ls].region, primary);
    assert!(
        b.find_in("AWS::Synthetics::Canary", &primary).is_empty(),
        "not watched from itself"
    );

    for region in b.secondaries() {
        let canaries = b.find_in("AWS::Synthetics::Canary", region);
        assert_eq!(canaries.len(), 1, "{region}");
        let (cs, _, canary) = canaries[0];
        let name = s(&canary["Name"]);
        assert!(name.len() <= 21, "{name}");
        let script = s(&canary["Code"]["Script"]);
        assert!(
            script.contains("host: \"us-east-1.api.sessions.example.com\""),
            "{script}"
        );
        assert!(
            script.contains("name: \"api.sessions.example.com\""),
            "{script}"
        );
        assert_eq!(canary["Schedule"]["Expression"], "rate(1 minute)");
        let bucket = text(&canary["ArtifactS3Location"]).expect("location");
        assert_eq!(bucket, "s3://${WatchBucket}");
        assert_eq!(b.stacks[cs].ty("WatchBucket"), Some("AWS::S3::Bucket"));
        let alarms: Vec<_> = b
            .find_in("AWS::CloudWatch::Alarm", region)
            .into_iter()
            .filter(|(_, _, a)| a["Namespace"] == "CloudWatchSynthetics")
            .collect();
        assert_eq!(alarms.len(), 1, "{region}");
        let (als, _, alarm) = alarms[0];
        assert_eq!(als, cs, "{region}: the alarm is beside its canary");
        assert_eq!(alarm["MetricName"], "SuccessPercent");
        assert_eq!(alarm["Dimensions"][0]["Value"], name);
        assert_eq!(alarm["EvaluationPeriods"], 3);
        assert_eq!(alarm["Period"], 60);
        let alarm_name = s(&alarm["AlarmName"]);
        let rules: Vec<_> = b
            .find_in("AWS::Events::Rule", region)
            .into_iter()
            .filter(|(_, _, r)| r["EventPattern"]["source"][0] == "aws.cloudwatch")
            .collect();
        if region != first {
            assert!(rules.is_empty(), "{region}: only {first} starts a failover");
            continue;
        }
        assert!(!rules.is_empty(), "{region}");
        // A rule per failover runbook; the failback runbooks are started by hand.
        let documents: Vec<_> = b
            .find_in("AWS::SSM::Document", region)
            .into_iter()
            .filter(|(_, id, _)| id.starts_with("FailoverRunbook"))
            .collect();
        assert_eq!(rules.len(), documents.len(), "a rule per failover runbook");
        for (rs, _, rule) in rules {
            let pattern = &rule["EventPattern"];
            assert_eq!(pattern["detail-type"][0], "CloudWatch Alarm State Change");
            assert_eq!(pattern["detail"]["state"]["value"][0], "ALARM");
            assert_eq!(
                text(&pattern["resources"][0]).expect("alarm arn"),
                format!("arn:${{AWS::Partition}}:cloudwatch:{region}:${{AWS::AccountId}}:alarm:{alarm_name}")
            );
            let target = &rule["Targets"][0];
            let arn = text(&target["Arn"]).expect("target arn");
            let doc = arn
                .strip_prefix(&format!("arn:${{AWS::Partition}}:ssm:{region}:${{AWS::AccountId}}:automation-definition/"))
                .and_then(|d| d.strip_suffix(":$DEFAULT"))
                .unwrap_or_else(|| panic!("{arn}"));
            let (_, _, document) = documents
                .iter()
                .find(|(ds, _, d)| *ds == rs && d["Name"] == doc)
                .expect("the runbook of the rule's stack");
            let runbook_role = att_of(
                &document["Content"]["parameters"]["AutomationAssumeRole"]["default"],
                "Arn",
            )
            .expect("runbook role");
            let role = att_of(&target["RoleArn"], "Arn").expect("rule role");
            let props = b.stacks[rs].props(role);
            let (trusted, actions) = role_policy(props);
            assert_eq!(trusted, set(["events.amazonaws.com"]));
            assert_eq!(
                actions["ssm:StartAutomationExecution"],
                set([&format!("arn:${{AWS::Partition}}:ssm:{region}:${{AWS::AccountId}}:automation-definition/{doc}:*")[..]])
            );
            let pass = &props["Policies"][0]["PolicyDocument"]["Statement"][1];
            assert_eq!(pass["Action"][0], "iam:PassRole");
            assert_eq!(att_of(&pass["Resource"], "Arn"), Some(runbook_role));
            assert_eq!(actions.len(), 2, "{actions:?}");
        }
    }
    // A manual platform has no watch.
    let manual = build("global");
    assert!(manual.find("AWS::Synthetics::Canary").is_empty());
}
