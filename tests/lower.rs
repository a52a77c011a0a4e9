//! The generated CloudFormation is wired for disaster recovery: every example is
//! built in process and its templates are inspected as JSON against
//! `reference/aws-dr.md` (sections 0, 1, 3 and 4), then snapshotted whole.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value as Json};
use tapc::diag::{Severity, SourceFile};

const EXAMPLES: [&str; 5] = ["trading", "global", "pilot-light", "minimal", "cache"];

// ---------------------------------------------------------------------------
// Building and looking things up.

struct Stack {
    name: String,
    region: String,
    primary: bool,
    wave: u64,
    /// 1, or 2 for the second deployment of a stack (`Built::phases`).
    phase: u64,
    file: String,
    depends_on: Vec<String>,
    template: Json,
}

impl Stack {
    fn resources(&self) -> &Map<String, Json> {
        self.template["Resources"]
            .as_object()
            .expect("a template has Resources")
    }

    fn outputs(&self) -> Option<&Map<String, Json>> {
        self.template.get("Outputs").and_then(Json::as_object)
    }

    /// The resource's `Type`, if `logical` is a resource of this template.
    fn ty(&self, logical: &str) -> Option<&str> {
        self.resources().get(logical)?["Type"].as_str()
    }

    /// The resource's `Properties`; panics when it is not in this template.
    fn props(&self, logical: &str) -> &Json {
        match self.resources().get(logical) {
            Some(r) => &r["Properties"],
            None => panic!("{}: no resource `{logical}`", self.name),
        }
    }

    /// `(logical ID, Properties)` of every resource of type `ty`.
    fn of_type<'a>(&'a self, ty: &'a str) -> impl Iterator<Item = (&'a str, &'a Json)> + 'a {
        self.resources()
            .iter()
            .filter(move |(_, r)| r["Type"] == ty)
            .map(|(k, r)| (k.as_str(), &r["Properties"]))
    }
}

struct Built {
    example: String,
    /// The stacks' first (or only) phase, in deployment order.
    stacks: Vec<Stack>,
    /// The second phases: the same stacks deployed again, later.
    phases: Vec<Stack>,
    manifest: Json,
    files: Vec<(String, String)>,
}

/// A resource found in a build: stack index, logical ID, `Properties`.
type Found<'a> = (usize, &'a str, &'a Json);

impl Built {
    fn primary(&self) -> &str {
        self.manifest["primary"].as_str().expect("manifest primary")
    }

    fn regions(&self) -> BTreeSet<&str> {
        self.stacks.iter().map(|s| s.region.as_str()).collect()
    }

    fn secondaries(&self) -> BTreeSet<&str> {
        self.stacks
            .iter()
            .filter(|s| !s.primary)
            .map(|s| s.region.as_str())
            .collect()
    }

    fn find<'a>(&'a self, ty: &'a str) -> Vec<Found<'a>> {
        self.stacks
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.of_type(ty).map(move |(id, p)| (i, id, p)))
            .collect()
    }

    fn find_in<'a>(&'a self, ty: &'a str, region: &str) -> Vec<Found<'a>> {
        self.find(ty)
            .into_iter()
            .filter(|(s, ..)| self.stacks[*s].region == region)
            .collect()
    }

    /// The stack and output that export `name`.
    fn export(&self, name: &str) -> Option<(usize, &Json)> {
        self.stacks.iter().enumerate().find_map(|(i, s)| {
            s.outputs()?
                .values()
                .find(|o| o["Export"]["Name"] == name)
                .map(|o| (i, o))
        })
    }

    /// The resource a value designates: `Ref`/`Fn::GetAtt` in stack `s`, or
    /// through `Fn::ImportValue` the resource behind another stack's export.
    fn target(&self, s: usize, v: &Json) -> Option<(usize, String)> {
        if let Some(r) = v.get("Ref").and_then(Json::as_str) {
            return Some((s, r.to_string()));
        }
        if let Some(a) = v.get("Fn::GetAtt").and_then(Json::as_array) {
            return Some((s, a.first()?.as_str()?.to_string()));
        }
        if let Some(name) = v.get("Fn::ImportValue").and_then(Json::as_str) {
            let (e, output) = self.export(name)?;
            return self.target(e, &output["Value"]);
        }
        None
    }

    fn stack_index(&self, name: &str) -> usize {
        self.stacks
            .iter()
            .position(|s| s.name == name)
            .unwrap_or_else(|| panic!("{}: no stack `{name}`", self.example))
    }
}

fn example_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(format!("{name}.tap"))
}

fn build(name: &str) -> Built {
    let (file, encoding) =
        tapc::read_source(&example_path(name), tapc::diag::FileId::ROOT).expect("example readable");
    assert!(encoding.is_none(), "{name}: not UTF-8");
    build_file(name, &file)
}

fn build_text(name: &str, text: &str) -> Built {
    build_file(name, &SourceFile::new(format!("{name}.tap"), text))
}

/// Checks and lowers `file` in process; the templates parsed and keyed by the
/// manifest's stacks (name, region, role, wave), in deployment order.
fn build_file(name: &str, file: &SourceFile) -> Built {
    let checked = tapc::check_source(file, &[]).expect("check runs");
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{name}: errors {errors:#?}");
    let model = checked.model.expect("a model without errors");
    let output =
        tapc::lower::lower(&model).unwrap_or_else(|d| panic!("{name}: lowering failed: {d:#?}"));
    let (guide, files) = output.files.split_last().expect("files");
    assert_eq!(guide.0, "RUNBOOK.md", "{name}: RUNBOOK.md comes last");
    let (last, templates) = files.split_last().expect("files");
    assert_eq!(last.0, "manifest.json", "{name}: then manifest.json");
    let manifest: Json = serde_json::from_str(&last.1).expect("manifest.json parses");
    assert_eq!(
        manifest, output.manifest,
        "{name}: manifest.json is the manifest"
    );
    let listed = manifest["stacks"].as_array().expect("manifest stacks");
    assert_eq!(
        listed.len(),
        templates.len(),
        "{name}: one template per stack"
    );
    let stacks = listed
        .iter()
        .zip(templates)
        .map(|(m, (file, text))| {
            assert_eq!(
                m["template"], *file,
                "{name}: templates are in manifest order"
            );
            let template: Json = serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("{name}: {file} is not JSON: {e}"));
            let role = m["role"].as_str().expect("role");
            assert!(matches!(role, "primary" | "secondary"));
            Stack {
                name: m["name"].as_str().expect("name").to_string(),
                region: m["region"].as_str().expect("region").to_string(),
                primary: role == "primary",
                wave: m["wave"].as_u64().expect("wave"),
                phase: m["phase"].as_u64().expect("phase"),
                file: file.clone(),
                depends_on: m["depends_on"]
                    .as_array()
                    .expect("depends_on")
                    .iter()
                    .map(|d| d.as_str().expect("stack name").to_string())
                    .collect(),
                template,
            }
        })
        .collect::<Vec<Stack>>();
    let (stacks, phases) = stacks.into_iter().partition(|s| s.phase == 1);
    Built {
        example: name.to_string(),
        stacks,
        phases,
        manifest,
        files: output.files,
    }
}

// ---------------------------------------------------------------------------
// JSON helpers.

fn s(v: &Json) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

/// `Ref` target.
fn ref_of(v: &Json) -> Option<&str> {
    v.get("Ref")?.as_str()
}

/// `Fn::GetAtt [X, attr]` -> X.
fn att_of<'a>(v: &'a Json, attr: &str) -> Option<&'a str> {
    let a = v.get("Fn::GetAtt")?.as_array()?;
    (a.get(1)? == attr).then_some(a.first()?.as_str()?)
}

/// The text of a plain string or of a string `Fn::Sub`.
fn text(v: &Json) -> Option<&str> {
    v.as_str().or_else(|| v.get("Fn::Sub")?.as_str())
}

/// A string or a list of strings (IAM `Action`, `Resource`, `DependsOn`).
fn strings(v: &Json) -> Vec<String> {
    match v {
        Json::Array(items) => items.iter().flat_map(strings).collect(),
        Json::Null => Vec::new(),
        other => vec![text(other)
            .unwrap_or_else(|| panic!("expected a string, got {other}"))
            .to_string()],
    }
}

fn walk<'a>(v: &'a Json, f: &mut dyn FnMut(&'a Json)) {
    f(v);
    match v {
        Json::Array(items) => items.iter().for_each(|i| walk(i, f)),
        Json::Object(map) => map.values().for_each(|i| walk(i, f)),
        _ => {}
    }
}

/// A role's trusted services and its policy as action -> resources.
fn role_policy(role: &Json) -> (BTreeSet<String>, BTreeMap<String, BTreeSet<String>>) {
    let mut trusted = BTreeSet::new();
    for st in role["AssumeRolePolicyDocument"]["Statement"]
        .as_array()
        .expect("trust statements")
    {
        assert_eq!(st["Effect"], "Allow");
        assert_eq!(strings(&st["Action"]), ["sts:AssumeRole"]);
        trusted.extend(strings(&st["Principal"]["Service"]));
    }
    let mut actions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for policy in role["Policies"].as_array().into_iter().flatten() {
        for st in policy["PolicyDocument"]["Statement"]
            .as_array()
            .expect("statements")
        {
            assert_eq!(st["Effect"], "Allow", "only Allow statements");
            // A resource that is an expression (a key's ARN from another
            // stack) is kept as its JSON text.
            let resources: Vec<String> = match &st["Resource"] {
                Json::Object(_) if text(&st["Resource"]).is_none() => {
                    vec![st["Resource"].to_string()]
                }
                other => strings(other),
            };
            assert!(!resources.is_empty(), "a statement without resources");
            if resources == ["*"] {
                // PutMetricData has no resource; the namespace condition scopes it.
                assert_eq!(strings(&st["Action"]), ["cloudwatch:PutMetricData"]);
                assert_eq!(
                    st["Condition"]["StringEquals"]["cloudwatch:namespace"],
                    "tapc"
                );
                actions
                    .entry("cloudwatch:PutMetricData".into())
                    .or_default()
                    .insert("namespace tapc".into());
                continue;
            }
            for action in strings(&st["Action"]) {
                assert!(!action.contains('*'), "wildcard action {action}");
                actions
                    .entry(action)
                    .or_default()
                    .extend(resources.iter().cloned());
            }
        }
    }
    for resources in actions.values() {
        for r in resources {
            assert_ne!(r, "*", "a `*` resource");
        }
    }
    (trusted, actions)
}

fn set<const N: usize>(items: [&str; N]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn seen_check(feature: &str, seen: BTreeSet<&str>, expected: &[&str]) {
    let expected: BTreeSet<&str> = expected.iter().copied().collect();
    assert_eq!(seen, expected, "examples where {feature} appears");
}

// ---------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------
// DynamoDB global table (aws-dr.md 1.2).

#[test]
fn dynamodb_global_table() {
    let mut seen = BTreeSet::new();
    for ex in EXAMPLES {
        let b = build(ex);
        assert!(
            b.find("AWS::DynamoDB::Table").is_empty(),
            "{ex}: a regional table is not a global table"
        );
        let tables = b.find("AWS::DynamoDB::GlobalTable");
        if tables.is_empty() {
            continue;
        }
        seen.insert(ex);
        assert_eq!(tables.len(), 1, "{ex}: one GlobalTable in all templates");
        let (ts, _, t) = tables[0];
        assert!(b.stacks[ts].primary, "{ex}: GlobalTable in the primary");
        let replicas = t["Replicas"].as_array().expect("Replicas");
        let regions: BTreeSet<&str> = replicas.iter().map(|r| s(&r["Region"])).collect();
        assert_eq!(regions, b.regions(), "{ex}: a replica in every region");
        assert_eq!(
            replicas.len(),
            regions.len(),
            "{ex}: one replica per region"
        );
        assert!(
            t["StreamSpecification"]["StreamViewType"].is_string(),
            "{ex}: streams (mandatory with more than one replica)"
        );
        assert_eq!(t["SSESpecification"]["SSEEnabled"], true, "{ex}");
        for r in replicas {
            assert_eq!(
                r["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], true,
                "{ex}: PITR on replica {}",
                r["Region"]
            );
        }
        if t["BillingMode"] == "PROVISIONED" {
            assert!(t.get("WriteProvisionedThroughputSettings").is_some());
        }
    }
    seen_check("DynamoDB", seen, &["trading", "global"]);
}

// ---------------------------------------------------------------------------
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
        let (trusted, actions) = role_policy(b.stacks[ps].props(role_id));
        assert_eq!(trusted, set(["s3.amazonaws.com"]), "{ex}");
        let listed: BTreeSet<String> = actions.keys().cloned().collect();
        assert_eq!(
            listed,
            set(S3_REPLICATION_ACTIONS),
            "{ex}: replication actions"
        );
        let source = bucket_arn(primary);
        let objects = |arn: &str| format!("{arn}/*");
        for action in ["s3:GetReplicationConfiguration", "s3:ListBucket"] {
            assert_eq!(
                actions[action],
                BTreeSet::from([source.clone()]),
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
                BTreeSet::from([objects(&source)]),
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
    let (trusted, actions) = role_policy(second.props(&role_id));
    assert_eq!(trusted, set(["s3.amazonaws.com"]), "{ex}");
    let listed: BTreeSet<String> = actions.keys().cloned().collect();
    assert_eq!(listed, set(S3_REPLICATION_ACTIONS), "{ex}: back actions");
    let objects = |arn: &str| BTreeSet::from([format!("{arn}/*")]);
    for action in ["s3:GetReplicationConfiguration", "s3:ListBucket"] {
        assert_eq!(
            actions[action],
            BTreeSet::from([source.clone()]),
            "{action}"
        );
    }
    for action in [
        "s3:GetObjectVersionForReplication",
        "s3:GetObjectVersionAcl",
        "s3:GetObjectVersionTagging",
    ] {
        assert_eq!(actions[action], objects(&source), "{action}");
    }
    for action in [
        "s3:ReplicateObject",
        "s3:ReplicateDelete",
        "s3:ReplicateTags",
    ] {
        assert_eq!(actions[action], objects(&dest), "{action}");
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

// ---------------------------------------------------------------------------
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
fn check_forwarding(b: &Built) {
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

// ---------------------------------------------------------------------------
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
            domain: "reports-dev.example.org.",
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

// ---------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------
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
            let docs: Vec<_> = b
                .find_in("AWS::SSM::Document", region)
                .into_iter()
                .filter(|(_, _, d)| s(&d["Name"]).contains("-failover-"))
                .collect();
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
        let docs: Vec<_> = b
            .find_in("AWS::SSM::Document", region)
            .into_iter()
            .filter(|(_, _, d)| s(&d["Name"]).contains("-failover-"))
            .collect();
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

// ---------------------------------------------------------------------------
// Stacks, exports and references (aws-dr.md 0 and 3).

fn logical_id_ok(id: &str) -> bool {
    (1..=255).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric())
}

#[test]
fn cross_stack_values_stay_in_their_region() {
    for ex in EXAMPLES {
        let b = build(ex);
        let mut exports = BTreeSet::new();
        for (i, stack) in b.stacks.iter().enumerate() {
            for d in &stack.depends_on {
                assert!(
                    b.stack_index(d) < i,
                    "{ex}: {} depends on {d}, which is not earlier",
                    stack.name
                );
            }
            for output in stack.outputs().into_iter().flat_map(|o| o.values()) {
                if let Some(name) = output["Export"]["Name"].as_str() {
                    assert!(
                        name.starts_with(&format!("{}-", stack.name)),
                        "{ex}: export {name} of {} is not `<stack>-<key>`",
                        stack.name
                    );
                    assert!(
                        exports.insert(name.to_string()),
                        "{ex}: export {name} twice"
                    );
                }
            }
            let mut imports = Vec::new();
            walk(&stack.template, &mut |v| {
                if let Some(name) = v.get("Fn::ImportValue") {
                    imports.push(s(name).to_string());
                }
            });
            for name in imports {
                let (e, _) = b.export(&name).unwrap_or_else(|| {
                    panic!("{ex}: {} imports {name}, exported nowhere", stack.name)
                });
                let exporter = &b.stacks[e];
                assert_eq!(
                    exporter.region, stack.region,
                    "{ex}: {} imports {name} across regions",
                    stack.name
                );
                assert!(
                    e < i,
                    "{ex}: {} imports {name} from a later stack",
                    stack.name
                );
                assert!(
                    stack.depends_on.contains(&exporter.name),
                    "{ex}: {} imports from {} without depending on it",
                    stack.name,
                    exporter.name
                );
            }
        }
    }
}

#[test]
fn templates_within_limits_and_references_resolve() {
    for ex in EXAMPLES {
        let b = build(ex);
        for (m, (file, text)) in b.manifest["stacks"]
            .as_array()
            .expect("stacks")
            .iter()
            .zip(&b.files)
        {
            assert_eq!(m["template"], *file);
            let stack = b
                .stacks
                .iter()
                .chain(&b.phases)
                .find(|st| st.file == *file)
                .unwrap_or_else(|| panic!("{ex}: no stack of {file}"));
            assert_eq!(stack.name, s(&m["name"]));
            assert_eq!(
                m["resources"],
                stack.resources().len(),
                "{ex}: {file} count"
            );
            assert!(text.len() <= 1_000_000, "{ex}: {file} too large");
            assert_eq!(m["needs_s3_upload"], text.len() > 51_200, "{ex}: {file}");
        }
        let mut names = BTreeSet::new();
        for stack in &b.stacks {
            assert!(
                names.insert(&stack.name),
                "{ex}: stack {} twice",
                stack.name
            );
            assert!(
                stack.name.contains(&stack.region)
                    && stack.name.ends_with(&format!("-w{}", stack.wave)),
                "{ex}: stack name {} names its region and wave",
                stack.name
            );
            assert_eq!(stack.template["AWSTemplateFormatVersion"], "2010-09-09");
            let resources = stack.resources();
            assert!(!resources.is_empty(), "{ex}: {} is empty", stack.name);
            assert!(
                resources.len() <= 500,
                "{ex}: {} has {} resources",
                stack.name,
                resources.len()
            );
            let outputs = stack.outputs().map_or(0, Map::len);
            assert!(outputs <= 200, "{ex}: {} has {outputs} outputs", stack.name);
            let ids = resources
                .keys()
                .chain(stack.outputs().into_iter().flat_map(|o| o.keys()));
            for id in ids {
                assert!(
                    logical_id_ok(id),
                    "{ex}: logical ID {id:?} in {}",
                    stack.name
                );
            }
            // Every Ref, GetAtt, Sub variable and DependsOn names something that exists.
            let known = |id: &str| id.starts_with("AWS::") || resources.contains_key(id);
            walk(&stack.template, &mut |v| {
                if let Some(r) = v.get("Ref").and_then(Json::as_str) {
                    assert!(known(r), "{ex}: {} Ref {r} is dangling", stack.name);
                }
                if let Some(a) = v.get("Fn::GetAtt").and_then(Json::as_array) {
                    let r = s(&a[0]);
                    assert!(
                        resources.contains_key(r),
                        "{ex}: {} GetAtt {r} is dangling",
                        stack.name
                    );
                }
                if let Some(t) = v.get("Fn::Sub").and_then(Json::as_str) {
                    let mut rest = t;
                    while let Some(start) = rest.find("${") {
                        let end = rest[start..].find('}').expect("closed ${") + start;
                        let var = &rest[start + 2..end];
                        if !var.starts_with('!') {
                            let base = var.split('.').next().unwrap_or(var);
                            assert!(
                                known(base),
                                "{ex}: {} Sub ${{{var}}} is dangling",
                                stack.name
                            );
                        }
                        rest = &rest[end + 1..];
                    }
                }
            });
            for (id, r) in resources {
                for d in strings(r.get("DependsOn").unwrap_or(&Json::Null)) {
                    assert!(
                        resources.contains_key(&d),
                        "{ex}: {id} DependsOn {d} is dangling"
                    );
                }
                let ty = s(&r["Type"]);
                assert!(ty.starts_with("AWS::"), "{ex}: {id} type {ty}");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Tags (LANGUAGE.md section 4).

const TAGGED: [&str; 24] = [
    "AWS::EC2::VPC",
    "AWS::EC2::Subnet",
    "AWS::EC2::RouteTable",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::NatGateway",
    "AWS::EC2::EIP",
    "AWS::ECS::Cluster",
    "AWS::ECS::TaskDefinition",
    "AWS::ECS::Service",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::Logs::LogGroup",
    "AWS::IAM::Role",
    "AWS::KMS::Key",
    "AWS::RDS::DBCluster",
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBSubnetGroup",
    "AWS::S3::Bucket",
    "AWS::SNS::Topic",
    "AWS::Events::EventBus",
    "AWS::SSM::Document",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::ElastiCache::SubnetGroup",
];

#[test]
fn taggable_resources_carry_the_platform_tags() {
    for ex in EXAMPLES {
        let b = build(ex);
        let (platform, own): (&str, &[(&str, &str)]) = match ex {
            "trading" => ("trading", &[("project", "trading"), ("env", "dev")]),
            "global" => (
                "payments",
                &[("project", "payments"), ("cost-center", "fin-42")],
            ),
            "pilot-light" => ("reports", &[]),
            "minimal" => ("minimal", &[]),
            "cache" => ("sessions", &[]),
            other => panic!("{other}"),
        };
        assert_eq!(b.manifest["platform"], platform);
        let mut tagged = 0;
        for stack in &b.stacks {
            for (id, r) in stack.resources() {
                if !TAGGED.contains(&s(&r["Type"])) {
                    continue;
                }
                tagged += 1;
                let tags: BTreeMap<&str, &str> = r["Properties"]["Tags"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{ex}: {id} in {} has no Tags", stack.name))
                    .iter()
                    .map(|t| (s(&t["Key"]), s(&t["Value"])))
                    .collect();
                assert_eq!(tags.get("tap:platform"), Some(&platform), "{ex}: {id}");
                if let Some(region) = tags.get("tap:region") {
                    assert_eq!(*region, stack.region, "{ex}: {id}");
                }
                for (k, v) in own {
                    assert_eq!(tags.get(k), Some(v), "{ex}: {id} tag {k}");
                }
            }
        }
        // A global table's replicas are tables in their own regions.
        for (_, id, table) in b.find("AWS::DynamoDB::GlobalTable") {
            for replica in table["Replicas"].as_array().expect("Replicas") {
                let region = s(&replica["Region"]);
                let tagged_region = replica["Tags"]
                    .as_array()
                    .expect("replica Tags")
                    .iter()
                    .find(|t| t["Key"] == "tap:region")
                    .map(|t| s(&t["Value"]));
                assert_eq!(tagged_region, Some(region), "{ex}: {id} replica");
            }
        }
        assert!(tagged > 0, "{ex}: nothing tagged");
    }
}

// ---------------------------------------------------------------------------
// Determinism (LANGUAGE.md section 6).

#[test]
fn builds_are_byte_for_byte_deterministic() {
    for ex in EXAMPLES {
        assert_eq!(build(ex).files, build(ex).files, "{ex}");
    }
}

const KEYWORDS: [&str; 7] = [
    "param ",
    "platform ",
    "region ",
    "service ",
    "replicate ",
    "endpoint ",
    "import ",
];

/// The top-level items of a program, each with the comments and blank lines
/// before it.
fn top_level_items(src: &str) -> Vec<String> {
    let (mut items, mut current, mut lead) = (Vec::new(), String::new(), String::new());
    let mut depth = 0i64;
    for line in src.split_inclusive('\n') {
        let top = depth == 0;
        if top && KEYWORDS.iter().any(|k| line.starts_with(k)) {
            if !current.is_empty() {
                items.push(std::mem::take(&mut current));
            }
            current = std::mem::take(&mut lead);
            current.push_str(line);
        } else if top && (line.trim().is_empty() || line.starts_with('#')) {
            lead.push_str(line);
        } else {
            current.push_str(line);
        }
        let code = line.split('#').next().unwrap_or_default();
        depth += code.matches('{').count() as i64 - code.matches('}').count() as i64;
    }
    current.push_str(&lead);
    items.push(current);
    items
}

#[test]
fn reordering_top_level_items_changes_nothing() {
    let source = std::fs::read_to_string(example_path("trading")).expect("trading.tap");
    let mut items = top_level_items(&source);
    assert_eq!(
        items.len(),
        15,
        "params, platform, regions, services, replicates, endpoint"
    );
    assert_eq!(items.concat(), source, "the split loses nothing");
    items.reverse();
    let reordered = items.concat();
    assert_ne!(reordered, source);

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("trading.tap");
    std::fs::write(&path, &reordered).expect("write the copy");
    let (file, _) = tapc::read_source(&path, tapc::diag::FileId::ROOT).expect("read the copy");
    let original = build("trading");
    let copy = build_file("trading-reordered", &file);
    assert_eq!(original.files.len(), copy.files.len());
    for ((a_name, a), (b_name, b)) in original.files.iter().zip(&copy.files) {
        assert_eq!(a_name, b_name);
        assert!(a == b, "{a_name} differs when the items are reordered");
    }
}

// ---------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------
// Snapshots of the complete output.

/// Every task that needs the service behind `var` reads the secret `name` in
/// its own region: ECS resolves it by name (the replica of the region) into
/// `{var}_SECRET`, with an execution role that may read exactly that secret
/// there (and, where the secret has a customer managed key, decrypt with that
/// key through Secrets Manager); the task role may not read it.
fn check_task_secret(b: &Built, var: &str, suffix: &str, primary_key: bool) {
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

/// The RTO budget term by term for pilot light, automatic failover and
/// active-active: what each term assumes is part of the snapshot.
#[test]
fn budget_snapshots() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/good/active_active.tap");
    let active = build_text("active-active", &std::fs::read_to_string(path).unwrap());
    for (name, b) in [
        ("pilot-light", build("pilot-light")),
        ("automatic", build("cache")),
        ("active-active", active),
    ] {
        let text = serde_json::to_string_pretty(&b.manifest["budget"]["rto"]).unwrap();
        insta::assert_snapshot!(format!("budget_{name}"), text);
    }
}

fn snapshot_text(b: &Built) -> String {
    let mut out = String::new();
    for (name, text) in &b.files {
        out.push_str(&format!("===== {name} =====\n{text}"));
    }
    out
}

/// The complete output of an example: every file, in order, under its name.
fn snapshot(ex: &str) {
    let b = build(ex);
    insta::with_settings!({
        filters => vec![(r#""generator": "tapc [^"]+""#, r#""generator": "tapc [version]""#)],
        omit_expression => true,
        description => format!("tapc build examples/{ex}.tap"),
    }, {
        insta::assert_snapshot!(ex.to_string(), snapshot_text(&b));
    });
}

#[test]
fn snapshot_trading() {
    snapshot("trading");
}

#[test]
fn snapshot_global() {
    snapshot("global");
}

#[test]
fn snapshot_pilot_light() {
    snapshot("pilot-light");
}

#[test]
fn snapshot_minimal() {
    snapshot("minimal");
}

#[test]
fn snapshot_cache() {
    snapshot("cache");
}

/// The graph stage cuts stacks by `lower::size`; it must count exactly the
/// resources the lowering emits, and at least the outputs.
#[test]
fn stack_sizes_match_what_the_lowering_emits() {
    let mut programs: Vec<(String, String)> = EXAMPLES
        .iter()
        .map(|n| {
            (
                n.to_string(),
                std::fs::read_to_string(format!("examples/{n}.tap")).unwrap(),
            )
        })
        .collect();
    programs.push(("gen-300".into(), tapc::gen::platform(300)));
    for (name, text) in programs {
        let file = tapc::diag::SourceFile::new(format!("{name}.tap"), text);
        let model = tapc::check_source(&file, &[])
            .unwrap()
            .model
            .expect("valid program");
        let output = tapc::lower::lower(&model).unwrap_or_else(|d| panic!("{name}: {d:#?}"));
        assert_eq!(output.plan.stacks.len() + 2, output.files.len());
        for (stack, (_, text)) in output.plan.stacks.iter().zip(&output.files) {
            // A second phase has no nodes of its own (`s3_replicates_back`).
            if stack.phase2.is_some() {
                continue;
            }
            let template: serde_json::Value = serde_json::from_str(text).unwrap();
            let (resources, outputs) = stack
                .nodes
                .iter()
                .map(|&n| tapc::lower::size(&model, output.plan.graph[n].kind, stack.region))
                .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
            let actual = template["Resources"].as_object().unwrap().len();
            assert_eq!(resources, actual, "{name}: {}", stack.name);
            let actual_outputs = template
                .get("Outputs")
                .and_then(|o| o.as_object())
                .map_or(0, |o| o.len());
            assert!(
                actual_outputs <= outputs,
                "{name}: {}: {actual_outputs} outputs > {outputs}",
                stack.name
            );
            assert!(
                actual <= 500 && actual_outputs <= 200,
                "{name}: {}",
                stack.name
            );
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
        let order: Vec<String> = b.manifest["dr"]["dns_failover_order"]
            .as_array()
            .expect("dns order")
            .iter()
            .map(|r| s(r).to_string())
            .collect();
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

/// Each runbook publishes the serving metric the alarms watch, in the right
/// regions, and its role may call every API the document calls.
#[test]
fn runbooks_move_traffic_and_their_roles_cover_every_call() {
    for ex in EXAMPLES {
        let b = build(ex);
        let order: Vec<String> = b.manifest["dr"]["dns_failover_order"]
            .as_array()
            .expect("dns order")
            .iter()
            .map(|r| s(r).to_string())
            .collect();
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
