//! The ElastiCache global datastore (`src/lower/elasticache.rs`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use crate::common::*;
use crate::fargate::check_task_secret;

// ElastiCache global datastore (docs/aws-dr.md [K1], [K3], [K5], [K8]).

/// Two regions: the spec's cache, needed by nothing.
const CACHE_TWO_REGIONS: &str = r#"
platform shop {
  rto     = 10m
  rpo     = 5m
  trigger = 1m
}

region us-west-2 {
  role = primary
  cidr = 10.0.0.0/16
}

region us-east-1 {
  role = secondary
  cidr = 10.1.0.0/16
}

service cache: elasticache {
  engine   = redis
  version  = "7.1"
  node     = "cache.r6g.xlarge"
  shards   = 2
  replicas = 2
}

replicate cache -> us-east-1
"#;

/// The global datastore in the primary, founded by the primary replication
/// group alone; every secondary's group joins it by its full id, in a later
/// wave, with the datastore's settings inherited; encryption everywhere.
fn check_global_datastore(b: &Built, prefix: &str) {
    let ex = &b.example;
    let globals = b.find("AWS::ElastiCache::GlobalReplicationGroup");
    assert_eq!(globals.len(), 1, "{ex}: one global datastore");
    let (gs, g_id, global) = globals[0];
    assert!(
        b.stacks[gs].primary,
        "{ex}: the datastore is in the primary"
    );
    let suffix = s(&global["GlobalReplicationGroupIdSuffix"]);
    let members = global["Members"].as_array().expect("Members");
    assert_eq!(
        members.len(),
        1,
        "{ex}: only the primary is a member at creation"
    );
    let member = &members[0];
    assert_eq!(member["Role"], "PRIMARY", "{ex}");
    assert_eq!(member["ReplicationGroupRegion"], b.primary(), "{ex}");

    let primaries = b.find_in("AWS::ElastiCache::ReplicationGroup", b.primary());
    assert_eq!(primaries.len(), 1, "{ex}: one primary group");
    let (ps, p_id, primary) = primaries[0];
    assert_eq!(
        b.target(gs, &member["ReplicationGroupId"]),
        Some((ps, p_id.to_string())),
        "{ex}: {g_id} is founded by {p_id}"
    );
    assert!(
        ps <= gs,
        "{ex}: the primary group exists before the datastore"
    );
    for field in ["Engine", "EngineVersion", "CacheNodeType"] {
        assert!(primary[field].is_string(), "{ex}: primary {field}");
    }
    assert!(primary.get("GlobalReplicationGroupId").is_none(), "{ex}");
    let secret = check_cache_group(b, ps, p_id);
    let secret = b.stacks[ps].props(&secret);
    let replicas: BTreeSet<&str> = secret["ReplicaRegions"]
        .as_array()
        .expect("ReplicaRegions")
        .iter()
        .map(|r| s(&r["Region"]))
        .collect();
    assert_eq!(
        replicas,
        b.secondaries(),
        "{ex}: the token reaches every secondary"
    );

    let id = format!("{prefix}-{suffix}");
    for region in b.secondaries() {
        let here = b.find_in("AWS::ElastiCache::ReplicationGroup", region);
        assert_eq!(here.len(), 1, "{ex}: one group in {region}");
        let (cs, c_id, c) = here[0];
        assert_eq!(c["GlobalReplicationGroupId"], id.as_str(), "{ex} {region}");
        for inherited in ["Engine", "EngineVersion", "CacheNodeType", "NumNodeGroups"] {
            assert!(
                c.get(inherited).is_none(),
                "{ex} {region}: {inherited} is the datastore's"
            );
        }
        assert!(
            b.stacks[gs].wave < b.stacks[cs].wave && gs < cs,
            "{ex} {region}: the datastore is deployed before {c_id}"
        );
        // The stack waits for the datastore's stack, directly or not.
        let mut before = vec![b.stacks[cs].name.clone()];
        let mut reached = BTreeSet::new();
        while let Some(name) = before.pop() {
            let st = &b.stacks[b.stack_index(&name)];
            for d in &st.depends_on {
                if reached.insert(d.clone()) {
                    before.push(d.clone());
                }
            }
        }
        assert!(reached.contains(&b.stacks[gs].name), "{ex} {region}");
        check_cache_group(b, cs, c_id);
    }
}

/// Encryption at rest with a key of the group's own template and in transit,
/// the AUTH token from the secret of the same name in every region, the
/// group in the private subnets of its region; group and key retained.
/// Returns the logical ID of the secret when it is in the same template.
fn check_cache_group(b: &Built, st: usize, id: &str) -> String {
    let ex = &b.example;
    let stack = &b.stacks[st];
    let g = stack.props(id);
    let body = &stack.resources()[id];
    assert_eq!(body["DeletionPolicy"], "Retain", "{ex}: {id}");
    assert_eq!(g["AtRestEncryptionEnabled"], true, "{ex}: {id}");
    assert_eq!(g["TransitEncryptionEnabled"], true, "{ex}: {id}");
    let key = att_of(&g["KmsKeyId"], "Arn").expect("KmsKeyId");
    assert_eq!(stack.ty(key), Some("AWS::KMS::Key"), "{ex}: {id}");
    assert_eq!(stack.resources()[key]["DeletionPolicy"], "Retain", "{ex}");
    let token = s(&g["AuthToken"]);
    let name = token
        .strip_prefix("{{resolve:secretsmanager:")
        .and_then(|t| t.strip_suffix(":SecretString:token}}"))
        .unwrap_or_else(|| panic!("{ex}: {id} AuthToken {token}"));
    let subnets = ref_of(&g["CacheSubnetGroupName"]).expect("subnet group");
    assert_eq!(stack.ty(subnets), Some("AWS::ElastiCache::SubnetGroup"));
    let ids: Vec<&str> = stack.props(subnets)["SubnetIds"]
        .as_array()
        .expect("SubnetIds")
        .iter()
        .filter_map(ref_of)
        .collect();
    assert!(!ids.is_empty() && ids.iter().all(|i| i.starts_with("PrivateSubnet")));
    stack
        .of_type("AWS::SecretsManager::Secret")
        .find(|(_, p)| p["Name"] == name)
        .map(|(sid, _)| {
            assert!(
                strings(&body["DependsOn"]).contains(&sid.to_string()),
                "{ex}: {id} waits for {sid}"
            );
            sid.to_string()
        })
        .unwrap_or_default()
}

#[test]
fn elasticache_global_datastore_in_two_regions() {
    let b = build_text("cache-two-regions", CACHE_TWO_REGIONS);
    // us-west-2's prefix; two shards turn cluster mode on.
    check_global_datastore(&b, "sgaui");
    let (_, _, primary) = b.find_in("AWS::ElastiCache::ReplicationGroup", "us-west-2")[0];
    assert_eq!(primary["NumNodeGroups"], 2);
    assert_eq!(primary["ReplicasPerNodeGroup"], 2);
    assert_eq!(
        primary["CacheParameterGroupName"],
        "default.redis7.cluster.on"
    );
    assert_eq!(b.stacks.iter().map(|s| s.wave).max(), Some(2), "two waves");
}

#[test]
fn elasticache_global_datastore_in_three_regions() {
    let b = build("cache");
    check_global_datastore(&b, "ldgnf");
    let (_, _, primary) = b.find_in("AWS::ElastiCache::ReplicationGroup", "us-east-1")[0];
    assert_eq!(primary["Engine"], "valkey");
    assert_eq!(primary["NumCacheClusters"], 2, "a primary and a replica");
    // The web service in each region gets that region's endpoints and the
    // right to read the token's replica there.
    for region in b.regions() {
        let (ts, _, task) = b.find_in("AWS::ECS::TaskDefinition", region)[0];
        let env: BTreeMap<&str, &Json> = task["ContainerDefinitions"][0]["Environment"]
            .as_array()
            .expect("Environment")
            .iter()
            .map(|e| (s(&e["Name"]), &e["Value"]))
            .collect();
        let endpoint = b.target(ts, env["CACHE_ENDPOINT"]).expect("endpoint");
        let group = &b.stacks[endpoint.0];
        assert_eq!(group.region, region);
        assert_eq!(
            group.ty(&endpoint.1),
            Some("AWS::ElastiCache::ReplicationGroup")
        );
        assert!(env.contains_key("CACHE_READER_ENDPOINT"), "{region}");
    }
    check_task_secret(&b, "CACHE", "/cache/auth-token", false);
    // Each secondary's runbook may promote exactly its own group in this datastore.
    for region in b.secondaries() {
        let (rs, _, doc) = b.find_in("AWS::SSM::Document", region)[0];
        let role = att_of(
            &doc["Content"]["parameters"]["AutomationAssumeRole"]["default"],
            "Arn",
        )
        .expect("runbook role");
        let (_, actions) = role_policy(b.stacks[rs].props(role));
        let arns = &actions["elasticache:FailoverGlobalReplicationGroup"];
        let (_, _, group) = b.find_in("AWS::ElastiCache::ReplicationGroup", region)[0];
        let own = format!(
            "arn:${{AWS::Partition}}:elasticache:{region}:${{AWS::AccountId}}:replicationgroup:{}",
            s(&group["ReplicationGroupId"])
        );
        let datastore = "arn:${AWS::Partition}:elasticache::${AWS::AccountId}:globalreplicationgroup:ldgnf-sessions-cache";
        assert!(arns.contains(&own), "{region}: {arns:?}");
        assert!(arns.contains(datastore), "{region}: {arns:?}");
    }
}
