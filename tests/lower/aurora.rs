//! The Aurora global database and its replication-lag alarm (`src/lower/aurora.rs`).

use std::collections::BTreeSet;

use serde_json::Value as Json;

use crate::common::*;

// Aurora global database (aws-dr.md 1.1, section 4).

#[test]
fn aurora_global_database() {
    let mut seen = BTreeSet::new();
    for ex in EXAMPLES {
        let b = build(ex);
        let clusters = b.find("AWS::RDS::DBCluster");
        let globals = b.find("AWS::RDS::GlobalCluster");
        if clusters.is_empty() && globals.is_empty() {
            continue;
        }
        seen.insert(ex);
        assert_eq!(globals.len(), 1, "{ex}: exactly one GlobalCluster");
        let (gs, g_id, global) = globals[0];
        assert!(
            b.stacks[gs].primary,
            "{ex}: GlobalCluster in a primary stack"
        );
        let gid = s(&global["GlobalClusterIdentifier"]);

        // The primary cluster, adopted by or attached to the global cluster.
        let primaries = b.find_in("AWS::RDS::DBCluster", b.primary());
        assert_eq!(primaries.len(), 1, "{ex}: one primary cluster");
        let (ps, p_id, primary) = primaries[0];
        let adopted = b.target(gs, &global["SourceDBClusterIdentifier"]) == Some((ps, p_id.into()));
        let attached = primary.get("GlobalClusterIdentifier").map(s) == Some(gid);
        assert!(
            adopted || attached,
            "{ex}: {g_id} neither adopts nor is joined by {p_id}"
        );
        if adopted {
            assert!(
                b.stacks[ps].wave <= b.stacks[gs].wave && ps <= gs,
                "{ex}: the adopted cluster exists before the global cluster"
            );
            for inherited in [
                "Engine",
                "EngineVersion",
                "StorageEncrypted",
                "DatabaseName",
            ] {
                assert!(
                    global.get(inherited).is_none(),
                    "{ex}: {inherited} is inherited from SourceDBClusterIdentifier"
                );
            }
        }
        check_master_secret(&b, ps, p_id);
        assert_eq!(primary["StorageEncrypted"], true, "{ex}");
        let key = att_of(&primary["KmsKeyId"], "Arn")
            .or_else(|| ref_of(&primary["KmsKeyId"]))
            .unwrap_or_else(|| panic!("{ex}: primary KmsKeyId is not a reference"));
        assert_eq!(b.stacks[ps].ty(key), Some("AWS::KMS::Key"), "{ex}");

        let engine = &primary["Engine"];
        let version = &primary["EngineVersion"];
        assert_eq!(engine, "aurora-postgresql");
        assert!(version.is_string(), "{ex}: EngineVersion");

        // Every secondary region joins the global cluster.
        for region in b.secondaries() {
            let here = b.find_in("AWS::RDS::DBCluster", region);
            assert_eq!(here.len(), 1, "{ex}: one cluster in {region}");
            let (cs, c_id, c) = here[0];
            assert_eq!(c["GlobalClusterIdentifier"], gid, "{ex} {region}");
            assert_eq!(c["SourceRegion"], b.primary(), "{ex} {region}");
            assert_eq!(c["StorageEncrypted"], true, "{ex} {region}");
            let key = att_of(&c["KmsKeyId"], "Arn")
                .or_else(|| ref_of(&c["KmsKeyId"]))
                .unwrap_or_else(|| panic!("{ex} {region}: KmsKeyId is not a reference"));
            assert_eq!(b.stacks[cs].ty(key), Some("AWS::KMS::Key"), "{ex} {region}");
            for forbidden in [
                "MasterUsername",
                "MasterUserPassword",
                "DatabaseName",
                "ManageMasterUserPassword",
                "SnapshotIdentifier",
            ] {
                assert!(
                    c.get(forbidden).is_none(),
                    "{ex} {region}: secondary {c_id} carries {forbidden}"
                );
            }
            assert_eq!(&c["Engine"], engine, "{ex} {region}: Engine");
            assert_eq!(&c["EngineVersion"], version, "{ex} {region}: EngineVersion");
            assert!(
                gs < cs && b.stacks[gs].wave < b.stacks[cs].wave,
                "{ex} {region}: the global cluster is deployed before the secondary"
            );
        }

        // Instances belong to a cluster of their template, with its engine.
        let instances = b.find("AWS::RDS::DBInstance");
        assert!(!instances.is_empty(), "{ex}: instances");
        for (is, i_id, inst) in instances {
            let cluster = ref_of(&inst["DBClusterIdentifier"])
                .unwrap_or_else(|| panic!("{ex}: {i_id} DBClusterIdentifier"));
            let c = b.stacks[is].props(cluster);
            assert_eq!(inst["Engine"], c["Engine"], "{ex}: {i_id} engine");
            assert_eq!(inst["PubliclyAccessible"], false, "{ex}: {i_id}");
        }
    }
    seen_check("Aurora", seen, &["trading", "global", "pilot-light"]);
}

/// The primary cluster `p_id` of stack `ps` takes its master user from a
/// secret of ours (RDS-managed passwords are not supported on global-database
/// members, aws-dr.md 6.1): dynamic references to a retained, generated
/// secret of its template, replicated to every secondary region.
fn check_master_secret(b: &Built, ps: usize, p_id: &str) {
    let ex = &b.example;
    let stack = &b.stacks[ps];
    let primary = stack.props(p_id);
    assert!(primary.get("ManageMasterUserPassword").is_none(), "{ex}");
    let password = s(&primary["MasterUserPassword"]);
    let name = password
        .strip_prefix("{{resolve:secretsmanager:")
        .and_then(|r| r.strip_suffix(":SecretString:password}}"))
        .unwrap_or_else(|| {
            panic!("{ex}: MasterUserPassword {password} is not a dynamic reference")
        });
    assert_eq!(
        s(&primary["MasterUsername"]),
        format!("{{{{resolve:secretsmanager:{name}:SecretString:username}}}}"),
        "{ex}"
    );
    let secrets: Vec<_> = stack
        .of_type("AWS::SecretsManager::Secret")
        .filter(|(_, p)| p["Name"] == name)
        .collect();
    assert_eq!(
        secrets.len(),
        1,
        "{ex}: the secret {name} in the cluster's template"
    );
    let (secret_id, secret) = secrets[0];
    let depends = &stack.resources()[p_id]["DependsOn"];
    assert!(
        strings(depends).iter().any(|d| d == secret_id),
        "{ex}: {p_id} must wait for {secret_id} (a dynamic reference makes no dependency)"
    );
    let resource = &stack.resources()[secret_id];
    assert_eq!(resource["DeletionPolicy"], "Retain", "{ex}");
    assert_eq!(resource["UpdateReplacePolicy"], "Retain", "{ex}");
    let generate = &secret["GenerateSecretString"];
    let template: Json = serde_json::from_str(s(&generate["SecretStringTemplate"])).unwrap();
    assert_eq!(
        template,
        serde_json::json!({ "username": "tap_admin" }),
        "{ex}"
    );
    assert_eq!(generate["GenerateStringKey"], "password", "{ex}");
    let excluded = s(&generate["ExcludeCharacters"]);
    for c in ['/', '"', '@', ' '] {
        assert!(
            excluded.contains(c),
            "{ex}: RDS refuses `{c}` in a password"
        );
    }
    assert!(generate["PasswordLength"].as_u64().unwrap() >= 16, "{ex}");
    let key = att_of(&secret["KmsKeyId"], "Arn").expect("the secret's key, by reference");
    assert_eq!(stack.ty(key), Some("AWS::KMS::Key"), "{ex}");
    let replicas = secret["ReplicaRegions"].as_array().expect("ReplicaRegions");
    let regions: BTreeSet<&str> = replicas.iter().map(|r| s(&r["Region"])).collect();
    assert_eq!(
        regions,
        b.secondaries(),
        "{ex}: a replica in every secondary"
    );
    for r in replicas {
        // The secondaries' own keys are made in later waves than the secret.
        assert_eq!(r["KmsKeyId"], "alias/aws/secretsmanager", "{ex}");
    }
    let listed: Vec<&Json> = b.manifest["secrets"]
        .as_array()
        .expect("manifest secrets")
        .iter()
        .filter(|m| m["name"] == name)
        .collect();
    assert_eq!(listed.len(), 1, "{ex}: the manifest says where {name} is");
    let mut in_manifest: BTreeSet<&str> = strings_of(&listed[0]["regions"]);
    assert!(in_manifest.remove(b.primary()), "{ex}");
    assert_eq!(in_manifest, b.secondaries(), "{ex}");
}

fn strings_of(v: &Json) -> BTreeSet<&str> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .collect()
}

// ---------------------------------------------------------------------------
// CloudWatch replication-lag alarm (aws-dr.md 1.6).

#[test]
fn replication_lag_alarm_in_every_secondary() {
    let mut seen = BTreeSet::new();
    for ex in EXAMPLES {
        let b = build(ex);
        if b.find("AWS::RDS::GlobalCluster").is_empty() {
            continue;
        }
        seen.insert(ex);
        let is_lag = |a: &Json| a["MetricName"] == "AuroraGlobalDBReplicationLag";
        for (st, id, _) in b
            .find("AWS::CloudWatch::Alarm")
            .into_iter()
            .filter(|(_, _, a)| is_lag(a))
        {
            assert!(
                !b.stacks[st].primary,
                "{ex}: lag alarm {id} in the primary {}",
                b.stacks[st].name
            );
        }
        for region in b.secondaries() {
            let (cs, c_id, cluster) = b.find_in("AWS::RDS::DBCluster", region)[0];
            let alarms: Vec<_> = b
                .find_in("AWS::CloudWatch::Alarm", region)
                .into_iter()
                .filter(|(_, _, a)| is_lag(a))
                .collect();
            assert_eq!(alarms.len(), 1, "{ex} {region}: one lag alarm");
            let (st, id, a) = alarms[0];
            assert_eq!(a["Namespace"], "AWS/RDS", "{ex} {region}");
            let dims = a["Dimensions"].as_array().expect("Dimensions");
            assert_eq!(dims.len(), 1, "{ex} {region}: {id} dimensions");
            assert_eq!(dims[0]["Name"], "DBClusterIdentifier");
            let value = &dims[0]["Value"];
            let names_cluster = (st == cs && ref_of(value) == Some(c_id))
                || *value == cluster["DBClusterIdentifier"];
            assert!(
                names_cluster,
                "{ex} {region}: {id} watches {value}, not {c_id}"
            );
            if let Some(unit) = a.get("Unit") {
                assert_eq!(unit, "Milliseconds", "{ex} {region}");
            }
            let period = a["Period"].as_u64().expect("Period");
            assert!(
                period == 10 || period == 30 || (period > 0 && period % 60 == 0),
                "{ex} {region}: Period {period}"
            );
            let threshold = a["Threshold"].as_f64().expect("Threshold");
            let expected = match ex {
                "trading" => Some(60_000.0),
                "global" => Some(20_000.0),
                _ => None,
            };
            match expected {
                Some(ms) => assert_eq!(threshold, ms, "{ex} {region}: threshold in ms"),
                // A lag alarm in seconds (e.g. 60 for a minute) would fire at once.
                None => assert!(threshold >= 1000.0, "{ex} {region}: threshold in ms"),
            }
            assert!(
                a["AlarmActions"].as_array().is_some_and(|v| !v.is_empty()),
                "{ex} {region}: the alarm notifies someone"
            );
            // A promoted cluster reports no lag: breaching would never clear.
            assert_eq!(a["TreatMissingData"], "notBreaching", "{ex} {region}");
            let notify = match ex {
                "global" => vec!["oncall@example.com", "dba@example.com"],
                _ => vec!["oncall@example.com"],
            };
            for action in a["AlarmActions"].as_array().unwrap() {
                let topic = ref_of(action).expect("a topic of the alarm's template");
                assert_eq!(b.stacks[st].ty(topic), Some("AWS::SNS::Topic"));
                let emails: Vec<&str> = b.stacks[st]
                    .of_type("AWS::SNS::Subscription")
                    .filter(|(_, p)| ref_of(&p["TopicArn"]) == Some(topic))
                    .inspect(|(_, p)| assert_eq!(p["Protocol"], "email"))
                    .map(|(_, p)| s(&p["Endpoint"]))
                    .collect();
                assert_eq!(emails, notify, "{ex} {region}: {topic} mails `notify`");
            }
        }
    }
    seen_check("the lag alarm", seen, &["trading", "global", "pilot-light"]);
}
