//! The failover runbooks (`src/lower/runbook.rs`).

use std::collections::BTreeSet;

use serde_json::Value as Json;

use crate::common::*;

// The failover runbook (LANGUAGE.md section 6, aws-dr.md 1.1).

#[test]
fn failover_runbook() {
    let mut seen = BTreeSet::new();
    let mut scaled = BTreeSet::new();
    for ex in EXAMPLES {
        let b = build(ex);
        let globals = b.find("AWS::RDS::GlobalCluster");
        let gids: Vec<&str> = globals
            .iter()
            .map(|(_, _, g)| s(&g["GlobalClusterIdentifier"]))
            .collect();
        let caches = b.find("AWS::ElastiCache::GlobalReplicationGroup");
        let primary_count = b
            .find_in("AWS::ECS::Service", b.primary())
            .first()
            .map(|(_, _, svc)| svc["DesiredCount"].as_u64().expect("DesiredCount"));
        let mut expected_failover = BTreeSet::new();
        for (st, _, _) in b.find("AWS::SSM::Document") {
            assert!(!b.stacks[st].primary, "{ex}: no runbook in the primary");
        }
        for region in b.secondaries() {
            let docs = b.failover_documents(region);
            let services = b.find_in("AWS::ECS::Service", region);
            let scale_up = services
                .iter()
                .any(|(_, _, svc)| svc["DesiredCount"].as_u64() < primary_count);
            if gids.is_empty() && caches.is_empty() && !scale_up {
                continue;
            }
            seen.insert(ex);
            assert_eq!(docs.len(), 1, "{ex} {region}: one runbook");
            let (ds, d_id, doc) = docs[0];
            let stack = &b.stacks[ds];
            assert_eq!(doc["DocumentType"], "Automation", "{ex} {region}");
            let content = &doc["Content"];
            let steps = content["mainSteps"].as_array().expect("mainSteps");
            let api = |service: &str, name: &str| -> Vec<&Json> {
                steps
                    .iter()
                    .filter(|st| {
                        st["action"] == "aws:executeAwsApi"
                            && st["inputs"]["Service"] == service
                            && st["inputs"]["Api"] == name
                    })
                    .map(|st| &st["inputs"])
                    .collect()
            };
            let failovers = api("rds", "FailoverGlobalCluster");
            assert_eq!(
                failovers.len(),
                gids.len(),
                "{ex} {region}: a failover per global cluster"
            );
            let (_, c_id, cluster) = b
                .find_in("AWS::RDS::DBCluster", region)
                .into_iter()
                .next()
                .unwrap_or((0, "", &Json::Null));
            for gid in &gids {
                let step = failovers
                    .iter()
                    .find(|i| i["GlobalClusterIdentifier"] == *gid)
                    .unwrap_or_else(|| panic!("{ex} {region}: no failover of {gid}"));
                let target = text(&step["TargetDbClusterIdentifier"]).expect("target cluster");
                let arn_tail = format!(":cluster:{}", s(&cluster["DBClusterIdentifier"]));
                assert!(
                    target.contains(&format!(":rds:{region}:")) && target.ends_with(&arn_tail),
                    "{ex} {region}: fails over to {target}, not {c_id}"
                );
            }
            // Each global datastore makes this region's replication group its primary.
            let promotions = api("elasticache", "FailoverGlobalReplicationGroup");
            assert_eq!(
                promotions.len(),
                caches.len(),
                "{ex} {region}: a promotion per global datastore"
            );
            for step in &promotions {
                assert_eq!(step["PrimaryRegion"], region, "{ex} {region}");
                let group = b
                    .find_in("AWS::ElastiCache::ReplicationGroup", region)
                    .into_iter()
                    .map(|(_, _, g)| s(&g["ReplicationGroupId"]))
                    .find(|id| step["PrimaryReplicationGroupId"] == *id);
                assert!(group.is_some(), "{ex} {region}: promotes its own group");
            }
            let updates = api("ecs", "UpdateService");
            if scale_up {
                scaled.insert(ex);
                let (ss, _, svc) = services[0];
                let cluster = ref_of(&svc["Cluster"]).expect("Cluster Ref");
                let cluster_name = &b.stacks[ss].props(cluster)["ClusterName"];
                assert_eq!(updates.len(), 1, "{ex} {region}: scales the service up");
                let u = updates[0];
                assert_eq!(u["desiredCount"].as_u64(), primary_count, "{ex} {region}");
                assert_eq!(u["service"], svc["ServiceName"], "{ex} {region}");
                assert_eq!(&u["cluster"], cluster_name, "{ex} {region}");
            } else {
                assert!(updates.is_empty(), "{ex} {region}: nothing to scale");
            }
            // It runs as a role the document names, which may do exactly that.
            let role = att_of(
                &content["parameters"]["AutomationAssumeRole"]["default"],
                "Arn",
            )
            .unwrap_or_else(|| panic!("{ex} {region}: {d_id} role"));
            let (trusted, actions) = role_policy(stack.props(role));
            assert_eq!(trusted, set(["ssm.amazonaws.com"]));
            if !gids.is_empty() {
                assert!(
                    actions.contains_key("rds:FailoverGlobalCluster"),
                    "{ex} {region}"
                );
            }
            if scale_up {
                assert!(actions.contains_key("ecs:UpdateService"), "{ex} {region}");
            }
            if !caches.is_empty() {
                assert!(
                    actions.contains_key("elasticache:FailoverGlobalReplicationGroup"),
                    "{ex} {region}"
                );
            }
            let name = s(&doc["Name"]);
            expected_failover.insert((
                region.to_string(),
                name.to_string(),
                format!(
                    "aws ssm start-automation-execution --region {region} --document-name {name}"
                ),
            ));
        }
        let listed: BTreeSet<(String, String, String)> = b.manifest["failover"]
            .as_array()
            .expect("manifest failover")
            .iter()
            .map(|f| {
                (
                    s(&f["region"]).into(),
                    s(&f["document"]).into(),
                    s(&f["command"]).into(),
                )
            })
            .collect();
        assert_eq!(
            listed, expected_failover,
            "{ex}: manifest failover commands"
        );
    }
    seen_check(
        "the runbook",
        seen,
        &["trading", "global", "pilot-light", "cache"],
    );
    seen_check("scaling in the runbook", scaled, &["global", "pilot-light"]);
}

/// `{"Fn::Sub": "...${AWS::Partition}..."}` as the string it becomes in the
/// longest partition, as IAM counts a policy.
fn resolve_subs(v: &Json) -> Json {
    match v {
        Json::Object(o) if o.len() == 1 && o.contains_key("Fn::Sub") => Json::String(
            s(&o["Fn::Sub"])
                .replace("${AWS::Partition}", "aws-us-gov")
                .replace("${AWS::AccountId}", "123456789012"),
        ),
        Json::Object(o) => Json::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), resolve_subs(v)))
                .collect(),
        ),
        Json::Array(a) => Json::Array(a.iter().map(resolve_subs).collect()),
        other => other.clone(),
    }
}

/// 150 Aurora databases and 40 pilot-light services over three regions: SSM
/// caps a document at 64 KB and IAM a role's policies at 10,240 characters,
/// so each secondary gets several runbooks, which together promote everything
/// once, each starting all its failovers and scale-ups before it waits.
#[test]
fn large_platforms_split_runbooks_within_ssm_and_iam_quotas() {
    let mut src = String::from(
        "platform big {\n  rto = 1h\n  rpo = 5m\n  strategy = pilot_light\n  trigger = 1m\n}\n\
         region us-east-1 {\n  role = primary\n  cidr = 10.0.0.0/16\n}\n\
         region us-west-2 {\n  role = secondary\n  cidr = 10.1.0.0/16\n}\n\
         region eu-west-1 {\n  role = secondary\n  cidr = 10.2.0.0/16\n}\n",
    );
    for i in 0..150 {
        src.push_str(&format!(
            "service db-{i:03}: aurora_postgres {{\n  version = \"14.6\"\n}}\n\
             replicate db-{i:03} -> us-west-2, eu-west-1\n"
        ));
    }
    for i in 0..40 {
        src.push_str(&format!(
            "service web-{i:03}: fargate {{\n  image = \"amazon/amazon-ecs-sample\"\n  count = 2\n}}\n"
        ));
    }
    let b = build_text("big", &src);
    for (file, text) in &b.files {
        assert!(text.len() <= 1_000_000, "{file}: {} bytes", text.len());
    }
    let mut listed: Vec<String> = b.manifest["failover"]
        .as_array()
        .expect("manifest failover")
        .iter()
        .map(|f| s(&f["document"]).to_string())
        .collect();
    let mut documents = Vec::new();
    for region in b.secondaries() {
        let docs = b.failover_documents(region);
        assert!(docs.len() > 1, "{region}: {} runbooks", docs.len());
        let (mut failed_over, mut scaled) = (Vec::new(), Vec::new());
        for (st, id, doc) in docs {
            documents.push(s(&doc["Name"]).to_string());
            let content = &doc["Content"];
            let size = serde_json::to_string(content).unwrap().len();
            assert!(size <= 64 * 1024, "{region} {id}: {size} bytes of content");
            let steps = content["mainSteps"].as_array().expect("mainSteps");
            let first_wait = steps
                .iter()
                .position(|st| st["action"] == "aws:waitForAwsResourceProperty")
                .unwrap_or(steps.len());
            let (starts, waits) = steps.split_at(first_wait);
            assert!(
                starts.iter().all(|st| st["action"] == "aws:executeAwsApi")
                    && waits.iter().all(|st| {
                        st["action"] == "aws:waitForAwsResourceProperty"
                            || (st["action"] == "aws:executeScript"
                                && s(&st["name"]).starts_with("CheckWriter"))
                    }),
                "{region} {id}: every start comes before the waits"
            );
            let waits: Vec<&Json> = waits
                .iter()
                .filter(|st| st["action"] == "aws:waitForAwsResourceProperty")
                .collect();
            let mut started = Vec::new();
            for st in starts {
                match s(&st["inputs"]["Api"]) {
                    "FailoverGlobalCluster" => {
                        started.push(s(&st["inputs"]["GlobalClusterIdentifier"]).to_string())
                    }
                    "UpdateService" => scaled.push(s(&st["inputs"]["service"]).to_string()),
                    other => panic!("{region} {id}: step {other}"),
                }
            }
            let waited: Vec<String> = waits
                .iter()
                .map(|w| s(&w["inputs"]["GlobalClusterIdentifier"]).to_string())
                .collect();
            assert_eq!(started, waited, "{region} {id}: waits for what it started");
            failed_over.extend(started);
            let role = att_of(
                &content["parameters"]["AutomationAssumeRole"]["default"],
                "Arn",
            )
            .unwrap_or_else(|| panic!("{region} {id}: role"));
            let policies = b.stacks[st].props(role)["Policies"]
                .as_array()
                .expect("policies");
            let length: usize = policies
                .iter()
                .map(|p| {
                    serde_json::to_string(&resolve_subs(&p["PolicyDocument"]))
                        .unwrap()
                        .len()
                })
                .sum();
            assert!(
                length <= 10_240,
                "{region} {role}: {length} characters of policy"
            );
        }
        failed_over.sort();
        let mut globals: Vec<String> = b
            .find("AWS::RDS::GlobalCluster")
            .iter()
            .map(|(_, _, g)| s(&g["GlobalClusterIdentifier"]).to_string())
            .collect();
        globals.sort();
        assert_eq!(failed_over, globals, "{region}: each database once");
        assert_eq!(scaled.len(), 40, "{region}: each service scaled up once");
    }
    listed.sort();
    documents.sort();
    assert_eq!(listed, documents, "the manifest lists every runbook");
}

/// Each runbook publishes the serving metric the alarms watch, in the right
/// regions, and its role may call every API the document calls.
#[test]
fn runbooks_move_traffic_and_their_roles_cover_every_call() {
    for ex in EXAMPLES {
        let b = build(ex);
        let order = b.dns_failover_order();
        let platform = &b.manifest["dr"]["serving_metric"]["dimension"]["Platform"];
        let has_endpoint = !b.find("AWS::Route53::RecordSet").is_empty();
        for (st, id, doc) in b.find("AWS::SSM::Document") {
            let stack = &b.stacks[st];
            let name = s(&doc["Name"]);
            let back = name.contains("-failback-");
            let content = &doc["Content"];
            let steps = content["mainSteps"].as_array().expect("steps");
            let role = att_of(
                &content["parameters"]["AutomationAssumeRole"]["default"],
                "Arn",
            )
            .expect("role");
            let (_, actions) = role_policy(stack.props(role));
            let mut calls = BTreeSet::new();
            for step in steps {
                let inputs = &step["inputs"];
                match s(&step["action"]) {
                    "aws:executeAwsApi" | "aws:waitForAwsResourceProperty" => {
                        calls.insert(format!("{}:{}", s(&inputs["Service"]), s(&inputs["Api"])));
                    }
                    "aws:executeScript" => {
                        let script = s(&inputs["Script"]);
                        if script.contains("describe_global_clusters") {
                            calls.insert("rds:DescribeGlobalClusters".into());
                        }
                        if script.contains("put_metric_data") {
                            calls.insert("cloudwatch:PutMetricData".into());
                            let payload = &inputs["InputPayload"];
                            assert_eq!(payload["Namespace"], "tapc");
                            assert_eq!(payload["Metric"], "Serving");
                            assert_eq!(&payload["Platform"], platform);
                            let regions: Vec<String> = strings(&payload["Regions"]);
                            assert_eq!(regions, order, "{ex} {name}: every secondary");
                            if back {
                                assert_eq!(payload["Serving"], "", "{ex} {name}: none serves");
                                assert_eq!(payload["Strict"], true);
                            } else {
                                assert_eq!(payload["Serving"], stack.region, "{ex} {name}");
                                assert_eq!(payload["Strict"], false);
                            }
                        }
                    }
                    "aws:sleep" => assert!(back, "{ex} {name}: only the failback pauses"),
                    other => panic!("{ex} {name}: step action {other}"),
                }
            }
            assert_eq!(
                calls.contains("cloudwatch:PutMetricData"),
                has_endpoint,
                "{ex} {name}: moves traffic exactly when there is an endpoint"
            );
            for call in &calls {
                assert!(
                    actions.contains_key(call),
                    "{ex} {name}: the role may not call {call}"
                );
            }
            // The Aurora steps may act on every member cluster, whichever is
            // the writer when the runbook starts.
            for api in ["rds:FailoverGlobalCluster", "rds:SwitchoverGlobalCluster"] {
                if let Some(resources) = actions.get(api) {
                    for region in b.regions() {
                        assert!(
                            resources
                                .iter()
                                .any(|r| r.contains(&format!(":rds:{region}:"))),
                            "{ex} {name}: {api} on the cluster in {region}"
                        );
                    }
                }
            }
            if back {
                assert!(
                    !calls.contains("rds:FailoverGlobalCluster"),
                    "{ex} {name}: a failback never allows data loss"
                );
            }
            let _ = id;
        }
    }
}
