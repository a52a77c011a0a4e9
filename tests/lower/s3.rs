//! S3 cross-region replication (`src/lower/s3.rs`).

use std::collections::BTreeSet;

use serde_json::Value as Json;

use crate::common::*;

// S3 cross-region replication (aws-dr.md 1.3, section 4).

const S3_REPLICATION_ACTIONS: [&str; 8] = [
    "s3:GetReplicationConfiguration",
    "s3:ListBucket",
    "s3:GetObjectVersionForReplication",
    "s3:GetObjectVersionAcl",
    "s3:GetObjectVersionTagging",
    "s3:ReplicateObject",
    "s3:ReplicateDelete",
    "s3:ReplicateTags",
];

fn bucket_arn(bucket: &Json) -> String {
    let name = text(&bucket["BucketName"]).expect("BucketName is a literal or Fn::Sub");
    format!("arn:${{AWS::Partition}}:s3:::{name}")
}

fn check_s3(b: &Built, rtc: bool) {
    let ex = &b.example;
    let buckets = b
        .find("AWS::S3::Bucket")
        .into_iter()
        .filter(|(_, id, _)| *id != "WatchBucket")
        .collect::<Vec<_>>();
    assert!(!buckets.is_empty(), "{ex}: buckets");
    for (_, id, bucket) in &buckets {
        assert_eq!(
            bucket["VersioningConfiguration"]["Status"], "Enabled",
            "{ex}: {id} versioned"
        );
        let sse = &bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"];
        assert!(
            sse[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"].is_string(),
            "{ex}: {id} encrypted"
        );
        for flag in [
            "BlockPublicAcls",
            "BlockPublicPolicy",
            "IgnorePublicAcls",
            "RestrictPublicBuckets",
        ] {
            assert_eq!(
                bucket["PublicAccessBlockConfiguration"][flag], true,
                "{ex}: {id} {flag}"
            );
        }
    }
    // One bucket per region per service, matched by logical ID.
    let primaries = b
        .find_in("AWS::S3::Bucket", b.primary())
        .into_iter()
        .filter(|(_, id, _)| *id != "WatchBucket")
        .collect::<Vec<_>>();
    assert!(!primaries.is_empty(), "{ex}: a primary bucket");
    for (ps, id, primary) in primaries {
        let config = &primary["ReplicationConfiguration"];
        let role_id = att_of(&config["Role"], "Arn").expect("replication Role is a GetAtt");
        let rules = config["Rules"].as_array().expect("Rules");
        assert_eq!(
            rules.len(),
            b.secondaries().len(),
            "{ex}: {id} one rule per secondary"
        );
        let mut destinations = BTreeSet::new();
        for region in b.secondaries() {
            let peers: Vec<_> = b
                .find_in("AWS::S3::Bucket", region)
                .into_iter()
                .filter(|(_, peer, _)| *peer == id)
                .collect();
            assert_eq!(peers.len(), 1, "{ex}: {id} in {region}");
            let (ds, _, dest) = peers[0];
            assert!(
                dest.get("ReplicationConfiguration").is_none(),
                "{ex}: secondary bucket in {region} replicates"
            );
            assert!(
                ds < ps && b.stacks[ds].wave < b.stacks[ps].wave,
                "{ex}: destination bucket in {region} exists before the replication configuration"
            );
            let arn = bucket_arn(dest);
            let rule = rules
                .iter()
                .find(|r| text(&r["Destination"]["Bucket"]) == Some(arn.as_str()))
                .unwrap_or_else(|| panic!("{ex}: no rule to {arn}"));
            assert_eq!(rule["Status"], "Enabled");
            assert!(rule["Filter"].is_object(), "{ex}: V2 rule with a Filter");
            assert!(
                rule["DeleteMarkerReplication"]["Status"].is_string(),
                "{ex}: DeleteMarkerReplication with a Filter"
            );
            assert!(rule["Priority"].is_u64(), "{ex}: V2 rules have a Priority");
            assert_eq!(
                rule["SourceSelectionCriteria"]["ReplicaModifications"]["Status"], "Enabled",
                "{ex}: replica modification sync on the forward rule"
            );
            let destination = &rule["Destination"];
            if rtc {
                assert_eq!(destination["ReplicationTime"]["Status"], "Enabled");
                assert_eq!(destination["ReplicationTime"]["Time"]["Minutes"], 15);
                assert_eq!(destination["Metrics"]["Status"], "Enabled");
                assert_eq!(destination["Metrics"]["EventThreshold"]["Minutes"], 15);
            } else {
                assert!(destination.get("ReplicationTime").is_none(), "{ex}: no RTC");
                assert!(destination.get("Metrics").is_none(), "{ex}: no metrics");
            }
            destinations.insert(arn);
        }
        let ids: BTreeSet<&str> = rules.iter().map(|r| s(&r["Id"])).collect();
        assert_eq!(ids.len(), rules.len(), "{ex}: rule ids are unique");

        // The role: trusts S3, exactly the actions of aws-dr.md 1.3 on exact ARNs.
        assert_eq!(b.stacks[ps].ty(role_id), Some("AWS::IAM::Role"));
        let source = bucket_arn(primary);
        let what = format!("{ex}: replication actions");
        check_replication_role(b.stacks[ps].props(role_id), &source, &destinations, &what);
    }
    for region in b.secondaries() {
        for (ds, id, bucket) in b
            .find_in("AWS::S3::Bucket", region)
            .into_iter()
            .filter(|(_, id, _)| *id != "WatchBucket")
        {
            assert!(bucket.get("ReplicationConfiguration").is_none());
            check_s3_back(b, ds, id, rtc);
        }
    }
}

/// The secondary bucket `id` of stack `ds` replicates back to the primary
/// bucket, in the second phase of its stack: deployed after the stack of the
/// primary bucket, the first phase's template plus the rule and its role.
fn check_s3_back(b: &Built, ds: usize, id: &str, rtc: bool) {
    let ex = &b.example;
    let first = &b.stacks[ds];
    let (ps, _, primary) = b
        .find_in("AWS::S3::Bucket", b.primary())
        .into_iter()
        .find(|(_, peer, _)| *peer == id)
        .unwrap_or_else(|| panic!("{ex}: no primary bucket {id}"));
    let phases: Vec<&Stack> = b.phases.iter().filter(|p| p.name == first.name).collect();
    assert_eq!(phases.len(), 1, "{ex}: {} has one second phase", first.name);
    let second = phases[0];
    assert_eq!(second.phase, 2);
    assert_eq!(second.region, first.region);
    assert_eq!(second.file, format!("{}.phase2.json", first.name));
    assert!(
        second.wave > first.wave && second.wave > b.stacks[ps].wave,
        "{ex}: phase 2 (wave {}) after phase 1 (wave {}) and the primary bucket's stack (wave {})",
        second.wave,
        first.wave,
        b.stacks[ps].wave
    );
    for needed in [&first.name, &b.stacks[ps].name] {
        assert!(
            second.depends_on.contains(needed),
            "{ex}: phase 2 depends on {needed}"
        );
    }
    // The manifest lists it after every stack it depends on, with a note.
    let listed = b.manifest["stacks"].as_array().expect("stacks");
    let at = |name: &str, phase: u64| {
        listed
            .iter()
            .position(|m| m["name"] == name && m["phase"] == phase)
            .unwrap_or_else(|| panic!("{ex}: {name} phase {phase} not listed"))
    };
    let me = at(&second.name, 2);
    assert!(at(&first.name, 1) < me && at(&b.stacks[ps].name, 1) < me);
    assert!(listed[me]["note"]
        .as_str()
        .is_some_and(|n| n.contains("phase 2")));

    // Phase 2 is phase 1 with the rule and its role: nothing else changes, so
    // the update keeps every export that other stacks import.
    let role_id = format!("{}ReplicationRole", id.trim_end_matches("Bucket"));
    assert_eq!(first.outputs(), second.outputs(), "{ex}: outputs kept");
    let mut added: Vec<&str> = Vec::new();
    for (logical, resource) in second.resources() {
        match first.resources().get(logical) {
            Some(before) if logical == id => {
                let mut props = resource["Properties"].clone();
                props
                    .as_object_mut()
                    .expect("properties")
                    .remove("ReplicationConfiguration");
                assert_eq!(
                    props, before["Properties"],
                    "{ex}: bucket otherwise unchanged"
                );
                assert_eq!(resource["DeletionPolicy"], "Retain");
            }
            Some(before) => assert_eq!(resource, before, "{ex}: {logical} unchanged"),
            None => added.push(logical),
        }
    }
    // Phase 2 also adds the forwarding of an event bus of the stack
    // (`check_forwarding`); of the bucket's service, the role only.
    let service = id.trim_end_matches("Bucket");
    let own: Vec<&str> = added
        .iter()
        .copied()
        .filter(|a| a.starts_with(service))
        .collect();
    assert_eq!(own, [role_id.as_str()], "{ex}: phase 2 adds the role only");
    assert_eq!(
        first.resources().len() + added.len(),
        second.resources().len()
    );

    // The rule: to the primary bucket, replica modifications synced, RTC and
    // metrics together when `rtc = true`.
    let config = &second.props(id)["ReplicationConfiguration"];
    assert_eq!(att_of(&config["Role"], "Arn"), Some(role_id.as_str()));
    let rules = config["Rules"].as_array().expect("Rules");
    assert_eq!(rules.len(), 1, "{ex}: one rule back");
    let rule = &rules[0];
    let (source, dest) = (bucket_arn(second.props(id)), bucket_arn(primary));
    assert_eq!(text(&rule["Destination"]["Bucket"]), Some(dest.as_str()));
    assert_eq!(rule["Status"], "Enabled");
    assert!(rule["Filter"].is_object() && rule["Priority"].is_u64());
    assert_eq!(rule["DeleteMarkerReplication"]["Status"], "Enabled");
    assert_eq!(
        rule["SourceSelectionCriteria"]["ReplicaModifications"]["Status"], "Enabled",
        "{ex}: replica modification sync on the back rule"
    );
    let destination = &rule["Destination"];
    assert_eq!(
        destination.get("ReplicationTime").is_some(),
        rtc,
        "{ex}: RTC as the replicate says"
    );
    assert_eq!(
        destination.get("Metrics").is_some(),
        destination.get("ReplicationTime").is_some(),
        "{ex}: RTC needs metrics"
    );
    if rtc {
        assert_eq!(destination["ReplicationTime"]["Time"]["Minutes"], 15);
        assert_eq!(destination["Metrics"]["EventThreshold"]["Minutes"], 15);
    }

    // The role, in the secondary: the actions on exactly the two buckets.
    assert_eq!(second.ty(&role_id), Some("AWS::IAM::Role"));
    let what = format!("{ex}: back actions");
    check_replication_role(
        second.props(&role_id),
        &source,
        &BTreeSet::from([dest]),
        &what,
    );
}

/// A replication role (`props`): it trusts S3 and may do exactly the
/// replication actions, reading the `source` bucket and its objects and
/// writing the objects of the `destinations` buckets (ARNs).
fn check_replication_role(props: &Json, source: &str, destinations: &BTreeSet<String>, what: &str) {
    let (trusted, actions) = role_policy(props);
    assert_eq!(trusted, set(["s3.amazonaws.com"]), "{what}");
    let listed: BTreeSet<String> = actions.keys().cloned().collect();
    assert_eq!(listed, set(S3_REPLICATION_ACTIONS), "{what}");
    let objects = |arn: &str| format!("{arn}/*");
    for action in ["s3:GetReplicationConfiguration", "s3:ListBucket"] {
        assert_eq!(
            actions[action],
            BTreeSet::from([source.to_string()]),
            "{action}"
        );
    }
    for action in [
        "s3:GetObjectVersionForReplication",
        "s3:GetObjectVersionAcl",
        "s3:GetObjectVersionTagging",
    ] {
        assert_eq!(
            actions[action],
            BTreeSet::from([objects(source)]),
            "{action}"
        );
    }
    let dest_objects: BTreeSet<String> = destinations.iter().map(|d| objects(d)).collect();
    for action in [
        "s3:ReplicateObject",
        "s3:ReplicateDelete",
        "s3:ReplicateTags",
    ] {
        assert_eq!(actions[action], dest_objects, "{action}");
    }
}

#[test]
fn s3_cross_region_replication() {
    let mut seen = BTreeSet::new();
    for ex in EXAMPLES {
        let b = build(ex);
        if b.find("AWS::S3::Bucket")
            .into_iter()
            .filter(|(_, id, _)| *id != "WatchBucket")
            .collect::<Vec<_>>()
            .is_empty()
        {
            continue;
        }
        seen.insert(ex);
        // Both examples that have a bucket replicate it with `rtc = true`.
        check_s3(&b, true);
    }
    seen_check("S3", seen, &["trading", "pilot-light"]);
}

#[test]
fn s3_replication_without_rtc() {
    let source = std::fs::read_to_string(example_path("trading")).expect("trading.tap");
    let original = "replicate documents -> us-west-2 { rtc = true }";
    assert!(source.contains(original));
    let text = source.replace(
        original,
        "replicate documents -> us-west-2 {\n  rtc = false\n  lag = 10m\n}",
    );
    check_s3(&build_text("trading-no-rtc", &text), false);
}
