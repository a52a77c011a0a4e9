//! ECS Fargate behind an ALB: tasks, their secrets and images (`src/lower/fargate.rs`).

use std::collections::BTreeSet;

use crate::common::*;

// ECS Fargate behind an ALB (aws-dr.md 1.7).

fn fargate_pair(cpu: u64, memory: u64) -> bool {
    let step = |lo: u64, hi: u64, by: u64| memory >= lo && memory <= hi && (memory - lo) % by == 0;
    match cpu {
        256 => matches!(memory, 512 | 1024 | 2048),
        512 => step(1024, 4096, 1024),
        1024 => step(2048, 8192, 1024),
        2048 => step(4096, 16384, 1024),
        4096 => step(8192, 30720, 1024),
        8192 => step(16384, 61440, 4096),
        16384 => step(32768, 122880, 8192),
        _ => false,
    }
}

const RETENTION_DAYS: [u64; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

#[test]
fn fargate_behind_alb() {
    let mut seen = BTreeSet::new();
    for ex in EXAMPLES {
        let b = build(ex);
        let services = b.find("AWS::ECS::Service");
        if services.is_empty() {
            continue;
        }
        seen.insert(ex);
        let regions: BTreeSet<&str> = services
            .iter()
            .map(|(st, ..)| b.stacks[*st].region.as_str())
            .collect();
        assert_eq!(
            regions,
            b.regions(),
            "{ex}: the service runs in every region"
        );
        // (primary count, secondary count, log retention days)
        let (primary_count, standby, retention) = match ex {
            "trading" => (2, 2, Some(7)),
            "global" => (4, 2, Some(90)),
            "pilot-light" => (2, 0, None),
            "cache" => (2, 2, Some(30)),
            other => panic!("no service expected in {other}"),
        };
        for (st, id, svc) in services {
            let stack = &b.stacks[st];
            let r = &stack.region;
            let desired = if stack.primary {
                primary_count
            } else {
                standby
            };
            assert_eq!(svc["DesiredCount"], desired, "{ex} {r}: {id} DesiredCount");
            assert_eq!(svc["LaunchType"], "FARGATE");
            let awsvpc = &svc["NetworkConfiguration"]["AwsvpcConfiguration"];
            assert!(!awsvpc["Subnets"].is_null(), "{ex} {r}: awsvpc subnets");
            assert_eq!(awsvpc["AssignPublicIp"], "DISABLED", "{ex} {r}");

            let lbs = svc["LoadBalancers"].as_array().expect("LoadBalancers");
            assert_eq!(lbs.len(), 1, "{ex} {r}");
            let tg_id = ref_of(&lbs[0]["TargetGroupArn"]).expect("TargetGroupArn Ref");
            let tg = stack.props(tg_id);
            assert_eq!(tg["TargetType"], "ip", "{ex} {r}: awsvpc needs ip targets");
            assert_eq!(tg["Port"], lbs[0]["ContainerPort"], "{ex} {r}");

            // DependsOn every listener of the load balancer that serves the group.
            let depends = strings(&stack.resources()[id]["DependsOn"]);
            let forwarding: Vec<_> = stack
                .of_type("AWS::ElasticLoadBalancingV2::Listener")
                .filter(|(_, l)| {
                    l["DefaultActions"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|a| ref_of(&a["TargetGroupArn"]) == Some(tg_id))
                })
                .collect();
            assert!(
                !forwarding.is_empty(),
                "{ex} {r}: a listener forwards to {tg_id}"
            );
            let lb = ref_of(&forwarding[0].1["LoadBalancerArn"]).expect("LoadBalancerArn");
            for (l_id, l) in stack.of_type("AWS::ElasticLoadBalancingV2::Listener") {
                if ref_of(&l["LoadBalancerArn"]) == Some(lb) {
                    assert!(
                        depends.iter().any(|d| d == l_id),
                        "{ex} {r}: {id} does not depend on {l_id}"
                    );
                }
            }
            let lb_props = stack.props(lb);
            assert_eq!(lb_props["Scheme"], "internet-facing");
            assert!(
                lb_props["Subnets"].as_array().is_none_or(|v| v.len() >= 2),
                "{ex} {r}: an ALB needs two subnets"
            );

            let td_id = ref_of(&svc["TaskDefinition"]).expect("TaskDefinition Ref");
            let td = stack.props(td_id);
            let cpu: u64 = s(&td["Cpu"]).parse().expect("Cpu");
            let memory: u64 = s(&td["Memory"]).parse().expect("Memory");
            assert!(fargate_pair(cpu, memory), "{ex} {r}: {cpu}/{memory}");
            assert_eq!(td["NetworkMode"], "awsvpc");
            assert!(strings(&td["RequiresCompatibilities"]).contains(&"FARGATE".to_string()));
            let container = &td["ContainerDefinitions"][0];
            assert_eq!(container["Name"], lbs[0]["ContainerName"], "{ex} {r}");
            assert_eq!(
                container["PortMappings"][0]["ContainerPort"], lbs[0]["ContainerPort"],
                "{ex} {r}"
            );
            let options = &container["LogConfiguration"]["Options"];
            let lg_id = ref_of(&options["awslogs-group"]).expect("awslogs-group Ref");
            let days = stack.props(lg_id)["RetentionInDays"]
                .as_u64()
                .expect("RetentionInDays");
            assert!(RETENTION_DAYS.contains(&days), "{ex} {r}: {days} days");
            if let Some(want) = retention {
                assert_eq!(days, want, "{ex} {r}: log retention as declared");
            }
        }
    }
    seen_check(
        "Fargate",
        seen,
        &["trading", "global", "pilot-light", "cache"],
    );
}

/// Every task that needs the service behind `var` reads the secret `name` in
/// its own region: ECS resolves it by name (the replica of the region) into
/// `{var}_SECRET`, with an execution role that may read exactly that secret
/// there (and, where the secret has a customer managed key, decrypt with that
/// key through Secrets Manager); the task role may not read it.
pub(crate) fn check_task_secret(b: &Built, var: &str, suffix: &str, primary_key: bool) {
    let ex = &b.example;
    // The secret, in the primary, replicated to every secondary.
    let secrets = b.find_in("AWS::SecretsManager::Secret", b.primary());
    let (_, _, secret) = secrets
        .iter()
        .find(|(_, _, p)| s(&p["Name"]).ends_with(suffix))
        .unwrap_or_else(|| panic!("{ex}: no secret named *{suffix}"));
    let name = s(&secret["Name"]);
    let replicas: BTreeSet<&str> = secret["ReplicaRegions"]
        .as_array()
        .expect("replicas")
        .iter()
        .map(|r| s(&r["Region"]))
        .collect();
    assert_eq!(replicas, b.secondaries(), "{ex}");
    let variable = format!("{var}_SECRET");
    let mut regions = BTreeSet::new();
    for (ts, _, task) in b.find("AWS::ECS::TaskDefinition") {
        let region = b.stacks[ts].region.as_str();
        let container = &task["ContainerDefinitions"][0];
        let Some(secret) = container["Secrets"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["Name"] == variable.as_str())
        else {
            continue;
        };
        regions.insert(region);
        assert_eq!(secret["ValueFrom"], name, "{ex} {region}");
        assert!(
            container["Environment"]
                .as_array()
                .expect("Environment")
                .iter()
                .all(|e| e["Value"] != name),
            "{ex} {region}: no secret name in plain variables"
        );
        let exec = att_of(&task["ExecutionRoleArn"], "Arn").expect("execution role");
        let (trusted, actions) = role_policy(b.stacks[ts].props(exec));
        assert_eq!(trusted, set(["ecs-tasks.amazonaws.com"]));
        let arn = format!(
            "arn:${{AWS::Partition}}:secretsmanager:{region}:${{AWS::AccountId}}:secret:{name}-??????"
        );
        assert!(
            actions["secretsmanager:GetSecretValue"].contains(&arn),
            "{ex} {region}: {actions:?}"
        );
        let with_key = primary_key && b.stacks[ts].primary;
        let kms = actions.get("kms:Decrypt");
        assert_eq!(kms.is_some(), with_key, "{ex} {region}: {actions:?}");
        if with_key {
            // The key of the secret's primary copy, through Secrets Manager only.
            let statement = b.stacks[ts].props(exec)["Policies"][0]["PolicyDocument"]["Statement"]
                .as_array()
                .expect("statements")
                .iter()
                .find(|st| st["Action"][0] == "kms:Decrypt")
                .expect("kms statement");
            let (ks, key) = b.target(ts, &statement["Resource"]).expect("key");
            assert_eq!(b.stacks[ks].ty(&key), Some("AWS::KMS::Key"));
            assert_eq!(b.stacks[ks].region, region);
            assert_eq!(
                statement["Condition"]["StringEquals"]["kms:ViaService"],
                format!("secretsmanager.{region}.amazonaws.com")
            );
        }
        let role = att_of(&task["TaskRoleArn"], "Arn").expect("task role");
        let (_, task_actions) = role_policy(b.stacks[ts].props(role));
        assert!(
            !task_actions.contains_key("secretsmanager:GetSecretValue"),
            "{ex} {region}: the task role reads no secret"
        );
    }
    assert_eq!(regions, b.regions(), "{ex}: {variable} in every region");
}

#[test]
fn every_task_reads_the_database_secret_in_its_own_region() {
    check_task_secret(&build("global"), "ACCOUNTS", "/accounts/master-user", true);
    check_task_secret(&build("pilot-light"), "DB", "/db/master-user", true);
    check_task_secret(&build("trading"), "LEDGER", "/ledger/master-user", true);
}

/// With `registry = replicated`, every region's tasks pull their own region's
/// copy of the primary's private image, and the primary's registry replicates
/// exactly the services' repositories to every secondary.
#[test]
fn images_are_pulled_from_each_regions_replica() {
    for ex in ["global", "cache", "pilot-light", "trading"] {
        let b = build(ex);
        let configs = b.find("AWS::ECR::ReplicationConfiguration");
        assert_eq!(configs.len(), 1, "{ex}: one replication configuration");
        let (cs, _, config) = configs[0];
        assert!(b.stacks[cs].primary, "{ex}: in the primary");
        // The first stack of the primary: no task starts before it exists.
        let first = b.stacks.iter().position(|s| s.primary).expect("primary");
        assert_eq!(cs, first, "{ex}");
        let rules = config["ReplicationConfiguration"]["Rules"]
            .as_array()
            .expect("rules");
        let mut repos = BTreeSet::new();
        for rule in rules {
            let destinations: BTreeSet<&str> = rule["Destinations"]
                .as_array()
                .expect("destinations")
                .iter()
                .map(|d| {
                    assert_eq!(ref_of(&d["RegistryId"]), Some("AWS::AccountId"));
                    s(&d["Region"])
                })
                .collect();
            assert_eq!(destinations, b.secondaries(), "{ex}");
            for f in rule["RepositoryFilters"].as_array().expect("filters") {
                assert_eq!(f["FilterType"], "PREFIX_MATCH");
                repos.insert(s(&f["Filter"]).to_string());
            }
        }
        let mut pulled = BTreeSet::new();
        for (ts, _, task) in b.find("AWS::ECS::TaskDefinition") {
            let region = &b.stacks[ts].region;
            let image = s(&task["ContainerDefinitions"][0]["Image"]);
            let (host, path) = image.split_once('/').expect("a registry host");
            assert_eq!(
                host,
                format!("123456789012.dkr.ecr.{region}.amazonaws.com"),
                "{ex}: {image}"
            );
            pulled.insert(path.split(':').next().expect("repository").to_string());
        }
        assert_eq!(pulled, repos, "{ex}: replicated = pulled");
    }
}

#[test]
fn an_external_registry_is_pulled_as_written_and_not_replicated() {
    let src = std::fs::read_to_string(example_path("cache"))
        .unwrap()
        .replace("  registry = replicated\n", "");
    let b = build_text("cache-external", &src);
    assert!(b.find("AWS::ECR::ReplicationConfiguration").is_empty());
    for (_, _, task) in b.find("AWS::ECS::TaskDefinition") {
        assert_eq!(
            task["ContainerDefinitions"][0]["Image"],
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/sessions/web:2.3.0"
        );
    }
}
