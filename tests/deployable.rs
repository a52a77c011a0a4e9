//! What AWS rejects or gets wrong at deploy time, though `cfn-lint` passes it:
//! every example and several generated platforms are built, and each emitted
//! resource is checked against a table of rules, one line per rule with the
//! AWS page it comes from. To add a rule, add a line to `RULES`; every rule
//! must apply to at least one resource of the builds, so none is vacuous.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value as Json;
use tapc::diag::SourceFile;

struct Stack {
    name: String,
    region: String,
    primary: bool,
    /// 1, or 2 for the second deployment of a stack of the same name.
    phase: u64,
    template: Json,
}

struct Build {
    name: String,
    stacks: Vec<Stack>,
    secondaries: BTreeSet<String>,
    notify: Vec<String>,
}

/// One resource of a build, as the rules see it.
struct Res<'a> {
    build: &'a Build,
    stack: &'a Stack,
    /// The whole resource: `Type`, `Properties`, `DeletionPolicy`, ...
    body: &'a Json,
}

impl Res<'_> {
    fn props(&self) -> &Json {
        &self.body["Properties"]
    }

    /// A resource of the same template by logical ID.
    fn sibling(&self, logical: &str) -> Option<&Json> {
        self.stack.template["Resources"].get(logical)
    }
}

type Check = fn(&Res) -> Result<(), String>;

struct Rule {
    /// Resource type the rule applies to, `*` for every resource.
    ty: &'static str,
    rule: &'static str,
    source: &'static str,
    check: Check,
}

const RULES: &[Rule] = &[
    Rule {
        ty: "*",
        rule: "no RDS-managed master password: not supported on global-database members",
        source: "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html",
        check: no_managed_password,
    },
    Rule {
        ty: "AWS::RDS::DBCluster",
        rule: "a secondary cluster takes no master user, password or database name",
        source: "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-rds-dbcluster.html",
        check: secondary_without_credentials,
    },
    Rule {
        ty: "AWS::RDS::DBCluster",
        rule: "the primary's master user and password are dynamic references to a secret of its template, replicated to every secondary, that the cluster depends on",
        source: "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html",
        check: primary_password_from_replicated_secret,
    },
    Rule {
        ty: "AWS::RDS::DBCluster",
        rule: "a cluster leaves a snapshot when deleted or replaced",
        source: "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html",
        check: snapshot,
    },
    Rule {
        ty: "AWS::RDS::DBInstance",
        rule: "an instance of a global database has a class the stdlib's rules `instance_class` and `global_instance_class` accept (memory-optimized, never burstable db.t*)",
        source: "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database.configuration.requirements.html",
        check: class_in_rule_table,
    },
    Rule {
        ty: "AWS::RDS::DBCluster",
        rule: "the engine version is one the stdlib's version table lists as offered, with global database support",
        source: "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBEngineVersions.html",
        check: version_offered,
    },
    Rule {
        ty: "AWS::ECS::Service",
        rule: "a deployment that never becomes healthy fails and rolls back (circuit breaker)",
        source: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html",
        check: circuit_breaker,
    },
    Rule {
        ty: "AWS::KMS::Key",
        rule: "a key outlives its stack: a deleted key makes retained data unreadable",
        source: "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html",
        check: retain,
    },
    Rule {
        ty: "AWS::SecretsManager::Secret",
        rule: "the master secret outlives its stack",
        source: "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html",
        check: retain,
    },
    Rule {
        ty: "AWS::Route53::HostedZone",
        rule: "the hosted zone outlives its stack (its name servers are delegated to)",
        source: "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html",
        check: retain,
    },
    Rule {
        ty: "AWS::DynamoDB::GlobalTable",
        rule: "the table outlives its stack",
        source: "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html",
        check: retain,
    },
    Rule {
        ty: "AWS::S3::Bucket",
        rule: "the bucket outlives its stack",
        source: "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html",
        check: retain,
    },
    Rule {
        ty: "AWS::CloudWatch::Alarm",
        rule: "an alarm notifies a topic of its template with an e-mail subscription per `notify` address",
        source: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html",
        check: alarm_reaches_notify,
    },
    Rule {
        ty: "AWS::CloudWatch::Alarm",
        rule: "an alarm can clear: missing data (a promoted cluster reports no lag) is not breaching",
        source: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data",
        check: alarm_can_clear,
    },
    Rule {
        ty: "AWS::Events::Rule",
        rule: "a rule has at most 5 targets",
        source: "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html",
        check: at_most_five_targets,
    },
    Rule {
        ty: "AWS::Events::Rule",
        rule: "a rule forwarding to the bus of another region matches only the events published in its own (EventBridge routes no event a rule delivered to a bus on to a third bus)",
        source: "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-bus-to-bus.html",
        check: forwards_its_own_region,
    },
    Rule {
        ty: "AWS::ElastiCache::ReplicationGroup",
        rule: "a replication group outlives its stack",
        source: "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html",
        check: retain,
    },
    Rule {
        ty: "AWS::ElastiCache::ReplicationGroup",
        rule: "a replication group is encrypted at rest with a key of its template and in transit",
        source: "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-elasticache-replicationgroup.html",
        check: cache_encrypted,
    },
    Rule {
        ty: "AWS::ElastiCache::ReplicationGroup",
        rule: "the AUTH token is a dynamic reference to a secret, and only with encryption in transit",
        source: "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-elasticache-replicationgroup.html",
        check: cache_auth_token,
    },
    Rule {
        ty: "AWS::ElastiCache::ReplicationGroup",
        rule: "a secondary group takes engine, version, node type and shards from the global datastore it joins",
        source: "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Redis-Global-Datastores-Getting-Started.html",
        check: cache_secondary_inherits,
    },
    Rule {
        ty: "AWS::ElastiCache::ReplicationGroup",
        rule: "a global datastore's node is M5, M6g, M7g, R5, R6g, R6gd, R7g or C7gn, large or bigger",
        source: "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Redis-Global-Datastores-Getting-Started.html",
        check: cache_global_node,
    },
    Rule {
        ty: "AWS::ElastiCache::ReplicationGroup",
        rule: "a sharded (cluster mode) group fails over automatically and uses a `.cluster.on` parameter group",
        source: "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-elasticache-replicationgroup.html",
        check: cache_cluster_mode,
    },
    Rule {
        ty: "AWS::ElastiCache::GlobalReplicationGroup",
        rule: "the global datastore outlives its stack",
        source: "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html",
        check: retain,
    },
    Rule {
        ty: "AWS::ElastiCache::GlobalReplicationGroup",
        rule: "the global datastore is created in the primary from its one PRIMARY member there",
        source: "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-elasticache-globalreplicationgroup.html",
        check: datastore_primary_member,
    },
    Rule {
        ty: "AWS::S3::Bucket",
        rule: "a replicated bucket in a secondary replicates back to the primary bucket (replica modifications synced), once its stack's last phase is deployed",
        source: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-for-metadata-changes.html",
        check: bucket_replicates_back,
    },
    Rule {
        ty: "AWS::ECS::TaskDefinition",
        rule: "no two environment variables or secrets of a container share a name (the application would see one value)",
        source: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html",
        check: unique_variables,
    },
    Rule {
        ty: "AWS::SSM::Document",
        rule: "a runbook's name has 3 to 128 letters, digits, `_`, `-` and `.`, and does not start with aws, amazon or amzn",
        source: "https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreateDocument.html",
        check: document_name,
    },
    Rule {
        ty: "AWS::Route53::HostedZone",
        rule: "a hosted zone's comment has at most 256 characters",
        source: "https://docs.aws.amazon.com/Route53/latest/APIReference/API_HostedZoneConfig.html",
        check: zone_comment,
    },
];

fn unique_variables(r: &Res) -> Result<(), String> {
    let mut seen = BTreeSet::new();
    for container in r.props()["ContainerDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let variables = ["Environment", "Secrets"]
            .iter()
            .flat_map(|k| container[*k].as_array().into_iter().flatten());
        for v in variables {
            let name = v["Name"].as_str().unwrap_or_default();
            if !seen.insert(name.to_string()) {
                return Err(format!("{name} twice"));
            }
        }
    }
    Ok(())
}

fn document_name(r: &Res) -> Result<(), String> {
    let name = r.props()["Name"].as_str().unwrap_or_default();
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_-.".contains(c);
    let reserved = ["aws", "amazon", "amzn"]
        .iter()
        .any(|p| name.to_ascii_lowercase().starts_with(p));
    match (3..=128).contains(&name.len()) && name.chars().all(allowed) && !reserved {
        true => Ok(()),
        false => Err(format!("document name {name:?}")),
    }
}

fn zone_comment(r: &Res) -> Result<(), String> {
    let comment = r.props()["HostedZoneConfig"]["Comment"]
        .as_str()
        .unwrap_or_default();
    match comment.chars().count() <= 256 {
        true => Ok(()),
        false => Err(format!(
            "a comment of {} characters",
            comment.chars().count()
        )),
    }
}

fn no_managed_password(r: &Res) -> Result<(), String> {
    let mut found = false;
    walk(r.body, &mut |key, _| {
        found |= key == "ManageMasterUserPassword"
    });
    match found {
        true => Err("carries ManageMasterUserPassword".into()),
        false => Ok(()),
    }
}

fn is_secondary_cluster(r: &Res) -> bool {
    r.props().get("GlobalClusterIdentifier").is_some() && !r.stack.primary
}

fn secondary_without_credentials(r: &Res) -> Result<(), String> {
    if !is_secondary_cluster(r) {
        return Ok(());
    }
    for key in ["MasterUserPassword", "MasterUsername", "DatabaseName"] {
        if r.props().get(key).is_some() {
            return Err(format!("a secondary cluster with {key}"));
        }
    }
    Ok(())
}

fn primary_password_from_replicated_secret(r: &Res) -> Result<(), String> {
    if is_secondary_cluster(r) {
        return Ok(());
    }
    let reference = |field: &str| -> Result<String, String> {
        let value = r.props()[field].as_str().unwrap_or_default();
        value
            .strip_prefix("{{resolve:secretsmanager:")
            .and_then(|v| v.split_once(":SecretString:"))
            .map(|(name, _)| name.to_string())
            .ok_or(format!(
                "{field} `{value}` is not a secretsmanager reference"
            ))
    };
    let name = reference("MasterUserPassword")?;
    if reference("MasterUsername")? != name {
        return Err("user and password come from different secrets".into());
    }
    let resources = r.stack.template["Resources"].as_object().unwrap();
    let (logical, secret) = resources
        .iter()
        .find(|(_, v)| {
            v["Type"] == "AWS::SecretsManager::Secret" && v["Properties"]["Name"] == name
        })
        .ok_or(format!("no secret `{name}` in the template"))?;
    let replicas: BTreeSet<String> = secret["Properties"]["ReplicaRegions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x["Region"].as_str().map(String::from))
        .collect();
    if replicas != r.build.secondaries {
        return Err(format!(
            "secret `{name}` is replicated to {replicas:?}, not to every secondary {:?}",
            r.build.secondaries
        ));
    }
    let depends: Vec<&str> = match &r.body["DependsOn"] {
        Json::String(s) => vec![s.as_str()],
        Json::Array(a) => a.iter().filter_map(Json::as_str).collect(),
        _ => vec![],
    };
    match depends.contains(&logical.as_str()) {
        true => Ok(()),
        false => Err(format!("does not depend on {logical}")),
    }
}

fn bucket_name(bucket: &Json) -> &str {
    let name = &bucket["Properties"]["BucketName"];
    name.as_str()
        .or_else(|| name["Fn::Sub"].as_str())
        .unwrap_or_default()
}

/// Buckets of every stack of `b` in a primary or not, with their stack.
fn buckets(b: &Build, primary: bool) -> impl Iterator<Item = (&Stack, &Json)> {
    b.stacks
        .iter()
        .filter(move |s| s.primary == primary)
        .flat_map(|s| {
            let resources = s.template["Resources"].as_object().unwrap();
            resources
                .values()
                .filter(|v| v["Type"] == "AWS::S3::Bucket")
                .map(move |v| (s, v))
        })
}

fn bucket_replicates_back(r: &Res) -> Result<(), String> {
    if r.stack.primary {
        return Ok(());
    }
    // The canary's artifact bucket (`failover = automatic`) holds no data of
    // a service: nothing to replicate.
    if r.stack.template["Resources"].get("WatchBucket") == Some(r.body) {
        return Ok(());
    }
    // Names end with the region: the same service's bucket in the primary.
    let name = bucket_name(r.body);
    let stem = name.strip_suffix(r.stack.region.as_str()).unwrap_or(name);
    let Some((_, primary)) = buckets(r.build, true)
        .find(|(s, v)| bucket_name(v).strip_suffix(s.region.as_str()) == Some(stem))
    else {
        return Err("no bucket of the same service in the primary".into());
    };
    if primary["Properties"]
        .get("ReplicationConfiguration")
        .is_none()
    {
        return Ok(()); // not replicated
    }
    // The bucket as its stack's last phase leaves it.
    let last = if r.stack.phase > 1 {
        Some(r.body)
    } else {
        buckets(r.build, false)
            .filter(|(s, _)| s.name == r.stack.name && s.phase > 1)
            .map(|(_, v)| v)
            .find(|v| bucket_name(v) == name)
    };
    let Some(last) = last else {
        return Err(format!(
            "stack {} has no second phase with the bucket",
            r.stack.name
        ));
    };
    let arn = format!("arn:${{AWS::Partition}}:s3:::{}", bucket_name(primary));
    let rules = last["Properties"]["ReplicationConfiguration"]["Rules"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let back = rules.iter().any(|rule| {
        rule["Status"] == "Enabled"
            && rule["Destination"]["Bucket"]["Fn::Sub"] == arn.as_str()
            && rule["SourceSelectionCriteria"]["ReplicaModifications"]["Status"] == "Enabled"
    });
    if back {
        Ok(())
    } else {
        Err(format!(
            "no enabled rule to {arn} with replica modifications"
        ))
    }
}

fn policies(r: &Res, value: &str) -> Result<(), String> {
    for key in ["DeletionPolicy", "UpdateReplacePolicy"] {
        if r.body[key] != value {
            return Err(format!("{key} is {}, not {value}", r.body[key]));
        }
    }
    Ok(())
}

fn retain(r: &Res) -> Result<(), String> {
    policies(r, "Retain")
}

fn snapshot(r: &Res) -> Result<(), String> {
    policies(r, "Snapshot")
}

/// The emitted class against the same rule table the checker enforces at the
/// source, so the two cannot drift apart.
fn class_in_rule_table(r: &Res) -> Result<(), String> {
    let class = r.props()["DBInstanceClass"].as_str().unwrap_or_default();
    for name in ["instance_class", "global_instance_class"] {
        let rule = tapc::stdlib::schema().rule(name).expect("stdlib rule");
        let tapc::stdlib::Shape::Pattern { regex, .. } = &rule.shape else {
            panic!("`{name}` is a pattern rule");
        };
        if !regex.is_match(class) {
            return Err(format!("class {class} breaks the rule `{name}`"));
        }
    }
    if class.starts_with("db.t") {
        return Err(format!("burstable class {class} in a global database"));
    }
    Ok(())
}

fn version_offered(r: &Res) -> Result<(), String> {
    use tapc::stdlib::VersionStatus;
    let version = r.props()["EngineVersion"].as_str().unwrap_or_default();
    match tapc::stdlib::schema()
        .engine_versions
        .aurora_postgres(version)
    {
        VersionStatus::Listed(m, minor) if !m.no_global.contains(&minor) => Ok(()),
        other => Err(format!("engine version {version:?}: {other:?}")),
    }
}

fn circuit_breaker(r: &Res) -> Result<(), String> {
    let breaker = &r.props()["DeploymentConfiguration"]["DeploymentCircuitBreaker"];
    match breaker["Enable"] == true && breaker["Rollback"] == true {
        true => Ok(()),
        false => Err(format!("circuit breaker {breaker}")),
    }
}

fn alarm_reaches_notify(r: &Res) -> Result<(), String> {
    let actions = r.props()["AlarmActions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if actions.is_empty() {
        return Err("no AlarmActions".into());
    }
    for action in actions {
        let topic = action["Ref"]
            .as_str()
            .ok_or(format!("action {action} is not a topic of the template"))?;
        if r.sibling(topic).map(|t| &t["Type"]) != Some(&Json::from("AWS::SNS::Topic")) {
            return Err(format!("{topic} is not an SNS topic of the template"));
        }
        let mut emails: Vec<String> = r.stack.template["Resources"]
            .as_object()
            .unwrap()
            .values()
            .filter(|v| v["Type"] == "AWS::SNS::Subscription")
            .map(|v| &v["Properties"])
            .filter(|p| p["TopicArn"]["Ref"] == topic && p["Protocol"] == "email")
            .filter_map(|p| p["Endpoint"].as_str().map(String::from))
            .collect();
        emails.sort();
        let mut notify = r.build.notify.clone();
        notify.sort();
        if emails != notify {
            return Err(format!("{topic} mails {emails:?}, `notify` is {notify:?}"));
        }
    }
    Ok(())
}

fn alarm_can_clear(r: &Res) -> Result<(), String> {
    match r.props()["TreatMissingData"].as_str() {
        Some("breaching") => Err("TreatMissingData breaching never clears".into()),
        _ => Ok(()),
    }
}

fn at_most_five_targets(r: &Res) -> Result<(), String> {
    let n = r.props()["Targets"].as_array().map_or(0, Vec::len);
    match n <= 5 {
        true => Ok(()),
        false => Err(format!("{n} targets")),
    }
}

fn forwards_its_own_region(r: &Res) -> Result<(), String> {
    let p = r.props();
    let own = r.stack.region.as_str();
    let regions: Vec<&str> = p["Targets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["Arn"]["Fn::Sub"].as_str())
        .filter(|arn| arn.contains(":event-bus/"))
        .filter_map(|arn| arn.split(':').nth(3))
        .collect();
    if regions.is_empty() {
        return Ok(());
    }
    if regions.contains(&own) {
        return Err(format!("forwards to the bus of its own region {own}"));
    }
    match p["EventPattern"]["region"].as_array() {
        Some(r) if r.len() == 1 && r[0] == own => Ok(()),
        _ => Err(format!(
            "pattern `region` {} is not [\"{own}\"]",
            p["EventPattern"]["region"]
        )),
    }
}

/// Calls `f` with every key and value under `v`.
fn cache_encrypted(r: &Res) -> Result<(), String> {
    let p = r.props();
    if p["AtRestEncryptionEnabled"] != true || p["TransitEncryptionEnabled"] != true {
        return Err("not encrypted at rest and in transit".into());
    }
    let key = p["KmsKeyId"]["Fn::GetAtt"][0].as_str().unwrap_or_default();
    match r.sibling(key).map(|k| k["Type"].clone()) {
        Some(t) if t == "AWS::KMS::Key" => Ok(()),
        _ => Err(format!(
            "KmsKeyId is not a key of the template: {}",
            p["KmsKeyId"]
        )),
    }
}

fn cache_auth_token(r: &Res) -> Result<(), String> {
    let p = r.props();
    let token = p["AuthToken"].as_str().unwrap_or_default();
    if !token.starts_with("{{resolve:secretsmanager:") {
        return Err(format!("AuthToken is not a dynamic reference: {token}"));
    }
    match p["TransitEncryptionEnabled"] == true {
        true => Ok(()),
        false => Err("AuthToken without encryption in transit".into()),
    }
}

fn cache_secondary_inherits(r: &Res) -> Result<(), String> {
    let p = r.props();
    let joins = p.get("GlobalReplicationGroupId").is_some();
    if r.stack.primary == joins {
        return Err(format!(
            "{} joins a global datastore",
            if joins {
                "the primary group"
            } else {
                "a secondary group never"
            }
        ));
    }
    for inherited in [
        "Engine",
        "EngineVersion",
        "CacheNodeType",
        "NumNodeGroups",
        "CacheParameterGroupName",
    ] {
        if joins && p.get(inherited).is_some() {
            return Err(format!("a secondary group sets {inherited}"));
        }
    }
    Ok(())
}

fn cache_global_node(r: &Res) -> Result<(), String> {
    let Some(node) = r.props()["CacheNodeType"].as_str() else {
        return Ok(()); // a secondary: the datastore's node type
    };
    let mut parts = node.split('.');
    let (cache, family, size) = (parts.next(), parts.next(), parts.next());
    let family_ok = matches!(
        family,
        Some("m5" | "m6g" | "m7g" | "r5" | "r6g" | "r6gd" | "r7g" | "c7gn")
    );
    let size_ok = size
        .is_some_and(|s| s.trim_start_matches(|c: char| c.is_ascii_digit() || c == 'x') == "large");
    match cache == Some("cache") && family_ok && size_ok && parts.next().is_none() {
        true => Ok(()),
        false => Err(format!("node type {node} in a global datastore")),
    }
}

fn cache_cluster_mode(r: &Res) -> Result<(), String> {
    let p = r.props();
    if p["NumNodeGroups"].as_u64().unwrap_or(1) <= 1 {
        return Ok(());
    }
    let group = p["CacheParameterGroupName"].as_str().unwrap_or_default();
    match p["AutomaticFailoverEnabled"] == true && group.ends_with(".cluster.on") {
        true => Ok(()),
        false => Err(format!(
            "sharded without automatic failover or with parameter group {group:?}"
        )),
    }
}

fn datastore_primary_member(r: &Res) -> Result<(), String> {
    let members = r.props()["Members"].as_array().cloned().unwrap_or_default();
    let [member] = members.as_slice() else {
        return Err(format!("{} members", members.len()));
    };
    let region_ok = member["ReplicationGroupRegion"] == r.stack.region.as_str();
    match r.stack.primary && region_ok && member["Role"] == "PRIMARY" {
        true => Ok(()),
        false => Err(format!(
            "member {member} of a datastore in {}",
            r.stack.region
        )),
    }
}

fn walk(v: &Json, f: &mut dyn FnMut(&str, &Json)) {
    match v {
        Json::Object(map) => {
            for (k, x) in map {
                f(k, x);
                walk(x, f);
            }
        }
        Json::Array(items) => items.iter().for_each(|x| walk(x, f)),
        _ => {}
    }
}

fn build(name: &str, text: &str) -> Build {
    let file = SourceFile::new(format!("{name}.tap"), text);
    let checked =
        tapc::check_source(&file, tapc::Given::command_line(&[])).expect("no usage error");
    let model = checked
        .model
        .unwrap_or_else(|| panic!("{name} has errors: {:#?}", checked.diagnostics));
    let output = tapc::lower::lower(&model).unwrap_or_else(|d| panic!("{name}: {d:#?}"));
    let primary = &model.regions[model.primary()].code;
    let stacks = output.manifest["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let file = m["template"].as_str().unwrap();
            let text = &output.files.iter().find(|(f, _)| f == file).unwrap().1;
            Stack {
                name: m["name"].as_str().unwrap().to_string(),
                region: m["region"].as_str().unwrap().to_string(),
                primary: m["region"] == primary.as_str(),
                phase: m["phase"].as_u64().unwrap(),
                template: serde_json::from_str(text).unwrap(),
            }
        })
        .collect();
    Build {
        name: name.to_string(),
        stacks,
        secondaries: model
            .secondaries()
            .map(|r| model.regions[r].code.clone())
            .collect(),
        notify: model
            .platform
            .attrs
            .strings("notify")
            .into_iter()
            .map(String::from)
            .collect(),
    }
}

/// Seven regions: events to six secondaries (two rules), a database and a
/// service in all.
fn fan_out() -> String {
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
        "platform fan {\n  rto = 1h\n  rpo = 5m\n  trigger = 1m\n  notify = [\"a@example.com\", \"b@example.com\"]\n}\n\n\
         service events: eventbridge {\n  source = \"fan.out\"\n}\n\n\
         service db: aurora_postgres {\n  version = \"16.8\"\n  class = \"db.r7g.large\"\n}\n\n\
         service web: fargate {\n  image = \"amazon/amazon-ecs-sample\"\n  needs = [db, events]\n}\n\n",
    );
    for (k, r) in regions.iter().enumerate() {
        let role = if k == 0 { "primary" } else { "secondary" };
        src.push_str(&format!(
            "region {r} {{\n  role = {role}\n  cidr = 10.{k}.0.0/16\n}}\n\n"
        ));
    }
    let secondaries = regions[1..].join(", ");
    src.push_str(&format!(
        "replicate events -> {secondaries} {{ lag = 1m }}\n"
    ));
    src.push_str(&format!("replicate db -> {secondaries}\n"));
    src
}

fn builds() -> Vec<Build> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut programs: Vec<(String, String)> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tap"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    programs.sort();
    assert!(programs.len() >= 4, "the examples are found");
    // Generated: three regions, warm standby and pilot light.
    let gen = tapc::gen::platform(25);
    let pilot = gen
        .replace("strategy = warm_standby", "strategy = pilot_light")
        .replace("rto      = 10m", "rto      = 30m");
    assert_ne!(pilot, gen, "the generated platform names its strategy");
    programs.push(("gen-25".into(), gen));
    programs.push(("gen-25-pilot-light".into(), pilot));
    programs.push(("gen-120".into(), tapc::gen::platform(120)));
    programs.push(("fan-out".into(), fan_out()));
    programs.iter().map(|(n, t)| build(n, t)).collect()
}

#[test]
fn every_emitted_resource_keeps_the_deploy_time_rules() {
    let builds = builds();
    let mut applied = vec![0usize; RULES.len()];
    let mut broken = Vec::new();
    for b in &builds {
        for stack in &b.stacks {
            let resources = stack.template["Resources"].as_object().unwrap();
            for (logical, body) in resources {
                let ty = body["Type"].as_str().unwrap();
                let res = Res {
                    build: b,
                    stack,
                    body,
                };
                for (k, rule) in RULES.iter().enumerate() {
                    if rule.ty != "*" && rule.ty != ty {
                        continue;
                    }
                    applied[k] += 1;
                    if let Err(why) = (rule.check)(&res) {
                        broken.push(format!(
                            "{} {} {logical} ({ty}, {}): {why}\n  rule: {}\n  source: {}",
                            b.name, stack.name, stack.region, rule.rule, rule.source
                        ));
                    }
                }
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
    for (rule, n) in RULES.iter().zip(applied) {
        assert!(n > 0, "no resource to check against: {}", rule.rule);
    }
}

/// A defect to make: in a primary template or not, of a resource type.
type Defect = (bool, &'static str, fn(&mut Json));

/// The rules of `b`'s first resource of type `ty` (in a primary template or
/// not) that fail once `change` is made to it.
fn failed_rules(
    b: &Build,
    primary: bool,
    ty: &str,
    change: &dyn Fn(&mut Json),
) -> Vec<&'static str> {
    let (stack, body) = b
        .stacks
        .iter()
        .filter(|s| s.primary == primary)
        .flat_map(|s| {
            let resources = s.template["Resources"].as_object().unwrap();
            resources.values().map(move |v| (s, v))
        })
        .find(|(_, v)| v["Type"] == ty)
        .unwrap_or_else(|| panic!("a {ty} (primary: {primary})"));
    let mut body = body.clone();
    change(&mut body);
    let res = Res {
        build: b,
        stack,
        body: &body,
    };
    RULES
        .iter()
        .filter(|r| r.ty == "*" || r.ty == ty)
        .filter(|r| (r.check)(&res).is_err())
        .map(|r| r.rule)
        .collect()
}

/// The rules catch what they are about: a template with each defect fails.
#[test]
fn the_rules_fail_on_the_defects_they_describe() {
    let b = build("fan-out", &fan_out());
    let defect =
        |primary: bool, ty: &str, change: &dyn Fn(&mut Json)| failed_rules(&b, primary, ty, change);
    let cases: &[Defect] = &[
        (true, "AWS::RDS::DBCluster", |v| {
            v["Properties"]["ManageMasterUserPassword"] = true.into()
        }),
        (true, "AWS::RDS::DBCluster", |v| {
            v["Properties"]["MasterUserPassword"] = "hunter22".into()
        }),
        (true, "AWS::RDS::DBCluster", |v| v["DependsOn"] = Json::Null),
        (false, "AWS::RDS::DBCluster", |v| {
            v["Properties"]["DatabaseName"] = "app".into()
        }),
        (true, "AWS::RDS::DBInstance", |v| {
            v["Properties"]["DBInstanceClass"] = "db.t4g.medium".into()
        }),
        (true, "AWS::RDS::DBInstance", |v| {
            v["Properties"]["DBInstanceClass"] = "r6g.large".into()
        }),
        (true, "AWS::RDS::DBCluster", |v| {
            v["Properties"]["EngineVersion"] = "16.6".into()
        }),
        (true, "AWS::ECS::Service", |v| {
            v["Properties"]["DeploymentConfiguration"] = Json::Null
        }),
        (true, "AWS::KMS::Key", |v| {
            v["DeletionPolicy"] = "Delete".into()
        }),
        (true, "AWS::SecretsManager::Secret", |v| {
            v["UpdateReplacePolicy"] = Json::Null
        }),
        (false, "AWS::CloudWatch::Alarm", |v| {
            v["Properties"]["TreatMissingData"] = "breaching".into()
        }),
        (false, "AWS::CloudWatch::Alarm", |v| {
            v["Properties"]["AlarmActions"] = Json::Array(vec![])
        }),
        (true, "AWS::Events::Rule", |v| {
            let t = v["Properties"]["Targets"][0].clone();
            v["Properties"]["Targets"] = Json::Array(vec![t; 6]);
        }),
        (true, "AWS::Events::Rule", |v| {
            v["Properties"]["EventPattern"]["region"] = Json::Null
        }),
        (false, "AWS::Events::Rule", |v| {
            v["Properties"]["EventPattern"]["region"] = serde_json::json!(["us-east-1"])
        }),
        (true, "AWS::ECS::TaskDefinition", |v| {
            let env = &mut v["Properties"]["ContainerDefinitions"][0]["Environment"];
            let first = env[0].clone();
            env.as_array_mut().unwrap().push(first);
        }),
        (false, "AWS::SSM::Document", |v| {
            v["Properties"]["Name"] = "aws-shop-failover-us-west-2".into()
        }),
    ];
    for &(primary, ty, change) in cases {
        let failed = defect(primary, ty, &change);
        assert!(!failed.is_empty(), "a defect of {ty} passes every rule");
    }
}

/// The same for the global datastore's resources, on the cache example.
#[test]
fn the_cache_rules_fail_on_the_defects_they_describe() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/cache.tap"))
            .unwrap();
    let b = build("cache", &text);
    let group = "AWS::ElastiCache::ReplicationGroup";
    let cases: &[Defect] = &[
        (true, group, |v| v["DeletionPolicy"] = "Delete".into()),
        (false, group, |v| {
            v["Properties"]["AtRestEncryptionEnabled"] = false.into()
        }),
        (false, group, |v| {
            v["Properties"]["KmsKeyId"] = "alias/aws/elasticache".into()
        }),
        (true, group, |v| {
            v["Properties"]["TransitEncryptionEnabled"] = false.into()
        }),
        (true, group, |v| {
            v["Properties"]["AuthToken"] = "hunter2hunter2hunter2".into()
        }),
        (false, group, |v| {
            v["Properties"]["EngineVersion"] = "8.2".into()
        }),
        (true, group, |v| {
            v["Properties"]["GlobalReplicationGroupId"] = "ldgnf-x".into()
        }),
        (true, group, |v| {
            v["Properties"]["CacheNodeType"] = "cache.t4g.large".into()
        }),
        (true, group, |v| {
            v["Properties"]["CacheNodeType"] = "cache.r7g.medium".into()
        }),
        (true, group, |v| v["Properties"]["NumNodeGroups"] = 3.into()),
        (true, "AWS::ElastiCache::GlobalReplicationGroup", |v| {
            v["UpdateReplacePolicy"] = Json::Null
        }),
        (true, "AWS::ElastiCache::GlobalReplicationGroup", |v| {
            v["Properties"]["Members"][0]["Role"] = "SECONDARY".into()
        }),
        // Not a cache's, but the example has an endpoint, and so a zone.
        (true, "AWS::Route53::HostedZone", |v| {
            v["Properties"]["HostedZoneConfig"]["Comment"] = "x".repeat(257).into()
        }),
    ];
    for &(primary, ty, change) in cases {
        let failed = failed_rules(&b, primary, ty, &change);
        assert!(!failed.is_empty(), "a defect of {ty} passes every rule");
    }
}

/// The back-replication rule fails on a secondary bucket whose last phase
/// has no rule to the primary, and on a stack without a second phase.
#[test]
fn the_back_replication_rule_fails_on_the_defects_it_describes() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/pilot-light.tap"),
    )
    .unwrap();
    let mut b = build("pilot-light", &text);
    let rule = RULES
        .iter()
        .find(|r| {
            r.rule
                .starts_with("a replicated bucket in a secondary replicates back")
        })
        .unwrap();
    let second = b
        .stacks
        .iter()
        .position(|s| s.phase == 2)
        .expect("a phase 2");
    let failing = |b: &Build, stack: usize, change: &dyn Fn(&mut Json)| {
        let s = &b.stacks[stack];
        let resources = s.template["Resources"].as_object().unwrap();
        let mut body = resources
            .values()
            .find(|v| v["Type"] == "AWS::S3::Bucket")
            .unwrap()
            .clone();
        change(&mut body);
        (rule.check)(&Res {
            build: b,
            stack: s,
            body: &body,
        })
    };
    assert_eq!(failing(&b, second, &|_| {}), Ok(()));
    let defects: [fn(&mut Json); 3] = [
        |v| v["Properties"]["ReplicationConfiguration"] = Json::Null,
        |v| {
            v["Properties"]["ReplicationConfiguration"]["Rules"][0]["SourceSelectionCriteria"] =
                Json::Null
        },
        |v| {
            v["Properties"]["ReplicationConfiguration"]["Rules"][0]["Destination"]["Bucket"] =
                serde_json::json!({"Fn::Sub": "arn:${AWS::Partition}:s3:::elsewhere"})
        },
    ];
    for change in defects {
        assert!(failing(&b, second, &change).is_err());
    }
    // Without its second phase, the first phase's bucket fails the rule.
    let first = b
        .stacks
        .iter()
        .position(|s| s.phase == 1 && s.name == b.stacks[second].name)
        .unwrap();
    assert_eq!(failing(&b, first, &|_| {}), Ok(()));
    b.stacks.remove(second);
    assert!(failing(&b, first, &|_| {}).is_err());
}
