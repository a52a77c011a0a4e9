//! `aurora_postgres`: a global database. The primary region holds the
//! `AWS::RDS::GlobalCluster` (adopting the primary cluster), the writer
//! cluster and the master user's secret; each secondary a cluster joined by
//! `GlobalClusterIdentifier`, without master credentials or database name
//! (aws-dr.md 1.1), and the replication-lag alarm (1.6) with its topic and the
//! `notify` subscriptions. Every cluster is encrypted with a key of its own
//! region; keys, the secret and the clusters outlive their stacks.

use super::json::{json, Json};
use crate::text::cat;

use super::kinds::{Behaviour, Part, Provided};
use super::runbook::{writer_check, Action, Check, Names};
use super::{get_att, r#ref, retain, sub, Ctx, Tags};
use crate::check::Partial;
use crate::diag::Diagnostic;
use crate::graph::NodeKind;
use crate::model::{Model, Role, Service};
use crate::names::NameKind;

/// More secondary regions than AWS allows (`kinds::check_secondaries`).
const TOO_MANY_SECONDARIES: &str = "E605";

pub const ENGINE: &str = "aurora-postgresql";
const PORT: u16 = 5432;
/// The master user of every cluster (the secret's `username`).
pub const MASTER_USER: &str = "tap_admin";
/// Characters RDS does not accept in a master password: `/`, `"`, `@` and
/// space (`MasterUserPassword`, AWS::RDS::DBCluster).
const EXCLUDED: &str = "/\"@ ";

fn lower_global(ctx: &mut Ctx, i: usize) {
    let source = ctx.value(NodeKind::Service(i), "ClusterId");
    let name = ctx.name(NameKind::GlobalCluster, i, "");
    ctx.add(
        &ctx.id(i, "GlobalCluster"),
        "AWS::RDS::GlobalCluster",
        json!({ "GlobalClusterIdentifier": name, "SourceDBClusterIdentifier": source, "DeletionProtection": true }),
        Tags::None,
    );
}

fn lower_cluster(ctx: &mut Ctx, i: usize) {
    let svc = ctx.service(i);
    let region = ctx.region_code();
    let primary_code = &ctx.model.regions[ctx.model.primary()].code;
    let stem = ctx.id(i, "");
    let id = |what: &str| cat!(stem, what);
    let (key, subnets, sg, cluster) = (
        id("Key"),
        id("SubnetGroup"),
        id("SecurityGroup"),
        id("Cluster"),
    );
    let private = ctx.value(NodeKind::Network, "PrivateSubnets");
    // Retained: a deleted key would make the retained snapshots unrestorable.
    let description = if ctx.is_primary() {
        format!(
            "Storage and master secret encryption of {} in {region}",
            svc.name
        )
    } else {
        cat!("Storage encryption of ", svc.name, " in ", region)
    };
    ctx.retained_key(&key, description);
    ctx.add(
        &subnets,
        "AWS::RDS::DBSubnetGroup",
        json!({ "DBSubnetGroupDescription": cat!("Private subnets of ", svc.name), "SubnetIds": private }),
        Tags::List("Tags"),
    );
    ctx.vpc_security_group(&sg, cat!("Database ", svc.name), PORT, "PostgreSQL");
    let version = svc.attrs.str("version").unwrap_or_default();
    let mut props = json!({
        "DBClusterIdentifier": ctx.name(NameKind::DbCluster, i, region),
        "Engine": ENGINE,
        "EngineVersion": version,
        "StorageEncrypted": true,
        "KmsKeyId": get_att(&key, "Arn"),
        "BackupRetentionPeriod": svc.attrs.duration("backup").unwrap_or(7 * 86_400_000) / 86_400_000,
        "DBSubnetGroupName": r#ref(&subnets),
        "VpcSecurityGroupIds": [get_att(&sg, "GroupId")],
        "DeletionProtection": true,
        "CopyTagsToSnapshot": true,
        "EnableIAMDatabaseAuthentication": true,
    });
    let secret = id("MasterSecret");
    if ctx.is_primary() {
        // RDS-managed master passwords are not supported on global-database
        // members (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html,
        // Limitations): the password is a secret of ours, read at deploy time.
        let name = ctx.name(NameKind::Secret, i, "");
        master_secret(ctx, i, &secret, &name, &key);
        let resolve = |field: &str| {
            cat!(
                "{{resolve:secretsmanager:",
                name,
                ":SecretString:",
                field,
                "}}"
            )
        };
        props["DatabaseName"] = json!(svc.attrs.str("database").unwrap_or("app"));
        props["MasterUsername"] = json!(resolve("username"));
        props["MasterUserPassword"] = json!(resolve("password"));
    } else {
        props["GlobalClusterIdentifier"] = json!(ctx.name(NameKind::GlobalCluster, i, ""));
        props["SourceRegion"] = json!(primary_code);
        if ctx.model.platform.strategy == crate::model::Strategy::ActiveActive {
            // Every region serves: the secondary forwards its writes to the
            // writer (E309 rejects versions without it) [A16].
            props["EnableGlobalWriteForwarding"] = json!(true);
        }
    }
    let primary = ctx.is_primary();
    let c = ctx.add(&cluster, "AWS::RDS::DBCluster", props, Tags::List("Tags"));
    c.insert("DeletionPolicy", json!("Snapshot"));
    c.insert("UpdateReplacePolicy", json!("Snapshot"));
    if primary {
        // A dynamic reference by name makes no dependency by itself.
        c.insert("DependsOn", json!([secret]));
    }
    let class = svc.attrs.str("class").unwrap_or("db.r6g.large");
    for n in 1..=svc.attrs.int("instances").unwrap_or(2) {
        ctx.add(
            &cat!(id("Instance"), n),
            "AWS::RDS::DBInstance",
            json!({
                "DBClusterIdentifier": r#ref(&cluster),
                "DBInstanceClass": class,
                "Engine": ENGINE,
                "PubliclyAccessible": false,
                "AutoMinorVersionUpgrade": true,
            }),
            Tags::List("Tags"),
        );
    }
    if ctx.is_primary() {
        return;
    }
    // How far this secondary trails, read where it is measured (aws-dr.md 1.6).
    let threshold = svc
        .replication
        .as_ref()
        .and_then(|r| r.attrs.duration("lag_alarm"))
        .unwrap_or(60_000);
    let topic = id("AlarmTopic");
    alarm_topic(ctx, &topic, &svc.name);
    ctx.add(
        &id("ReplicationLagAlarm"),
        "AWS::CloudWatch::Alarm",
        json!({
            "AlarmName": ctx.name(NameKind::Alarm, i, region),
            "AlarmDescription": cat!("Aurora global replication lag of ", svc.name, " in ", region, " above ", threshold, " ms"),
            "Namespace": "AWS/RDS",
            "MetricName": "AuroraGlobalDBReplicationLag",
            "Dimensions": [{ "Name": "DBClusterIdentifier", "Value": r#ref(&cluster) }],
            "Statistic": "Maximum",
            "Period": 60,
            "EvaluationPeriods": 1,
            "Threshold": threshold,
            "ComparisonOperator": "GreaterThanThreshold",
            // Not `breaching`: after a failover or switchover this cluster is
            // the writer and reports no lag at all, so a breaching alarm would
            // stay in ALARM for good. A region that stops reporting is caught
            // by the endpoint's health checks, not by this alarm.
            "TreatMissingData": "notBreaching",
            "AlarmActions": [r#ref(&topic)],
        }),
        Tags::None,
    );
}

/// The master user's secret, in the primary region: a generated password,
/// encrypted with the cluster's key and replicated to every secondary region
/// the database is (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-secretsmanager-secret.html).
/// A replica is created with the secret, in the first wave, before any stack of
/// the secondary exists, so its key cannot be the secondary's own (created
/// later): replicas use the AWS managed key `alias/aws/secretsmanager`, which
/// exists in every region.
fn master_secret(ctx: &mut Ctx, i: usize, logical: &str, name: &str, key: &str) {
    let svc = ctx.service(i);
    let replicas: Vec<Json> = svc
        .replication
        .iter()
        .flat_map(|r| &r.regions)
        .map(|&r| json!({ "Region": &ctx.model.regions[r].code, "KmsKeyId": "alias/aws/secretsmanager" }))
        .collect();
    let mut props = json!({
        "Name": name,
        "Description": cat!("Master user of the Aurora global database ", svc.name),
        "KmsKeyId": get_att(key, "Arn"),
        "GenerateSecretString": {
            "SecretStringTemplate": format!("{{\"username\":\"{MASTER_USER}\"}}"),
            "GenerateStringKey": "password",
            "PasswordLength": 32,
            "ExcludeCharacters": EXCLUDED,
        },
    });
    if !replicas.is_empty() {
        props["ReplicaRegions"] = Json::Arr(replicas);
    }
    retain(ctx.add(
        logical,
        "AWS::SecretsManager::Secret",
        props,
        Tags::List("Tags"),
    ));
}

/// An SNS topic for DR alarms in the current region, with an e-mail
/// subscription per `notify` address (each owner confirms it once).
/// Not encrypted with the AWS-managed SNS key: its key policy does not let
/// CloudWatch publish, so the alarm would never notify anyone.
pub(crate) fn alarm_topic(ctx: &mut Ctx, logical: &str, service: &str) {
    // SNS allows display names of at most 100 characters.
    let display: String = cat!("tapc DR alarms of ", service)
        .chars()
        .take(100)
        .collect();
    ctx.add(
        logical,
        "AWS::SNS::Topic",
        json!({ "DisplayName": display }),
        Tags::List("Tags"),
    );
    let addresses = ctx.model.platform.attrs.strings("notify");
    for (k, address) in addresses.into_iter().enumerate() {
        ctx.add(
            &cat!(logical, "Email", k + 1),
            "AWS::SNS::Subscription",
            json!({ "TopicArn": r#ref(logical), "Protocol": "email", "Endpoint": address }),
            Tags::None,
        );
    }
}

/// The `aurora_postgres` kind.
#[derive(Debug)]
pub(crate) struct Aurora;

impl Behaviour for Aurora {
    #[cfg(test)]
    fn name(&self) -> &'static str {
        "aurora_postgres"
    }
    fn global(&self) -> Option<&'static str> {
        Some("global-cluster")
    }
    fn in_vpc(&self) -> bool {
        true
    }
    /// A secondary cluster joins the global cluster, which adopts the primary's.
    fn regional_edges(&self, model: &Model, i: usize, region: usize) -> Vec<(NodeKind, usize)> {
        super::kinds::joins_global(model, i, region)
    }
    fn global_edges(&self, model: &Model, i: usize) -> Vec<(NodeKind, usize)> {
        super::kinds::founded_by_primary(model, i)
    }
    fn size(&self, model: &Model, i: usize, region: usize, part: Part) -> (usize, usize) {
        if part == Part::Global {
            return (1, 0);
        }
        let svc = &model.services[i];
        let primary = model.regions[region].role == Role::Primary;
        let instances = svc.attrs.int("instances").unwrap_or(2) as usize;
        // The secret in the primary; in a secondary the lag alarm,
        // its topic and a subscription per `notify` address. Outputs: the
        // endpoint, and the exports of the cluster id and of the key.
        let notify = model.platform.attrs.strings("notify").len();
        (4 + instances + if primary { 1 } else { 2 + notify }, 3)
    }
    fn lower(&self, ctx: &mut Ctx, i: usize, part: Part) {
        match part {
            Part::Regional => lower_cluster(ctx, i),
            Part::Global => lower_global(ctx, i),
        }
    }
    fn value(&self, ctx: &Ctx, i: usize, key: &str) -> Option<(Json, bool)> {
        match key {
            "ClusterId" => Some((r#ref(&ctx.id(i, "Cluster")), false)),
            "Endpoint" => Some((get_att(&ctx.id(i, "Cluster"), "Endpoint.Address"), false)),
            "KeyArn" => Some((get_att(&ctx.id(i, "Key"), "Arn"), false)),
            _ => None,
        }
    }
    fn outputs(&self, ctx: &mut Ctx, i: usize, part: Part) {
        if part == Part::Regional {
            ctx.output(
                &ctx.id(i, "Endpoint"),
                "Aurora cluster writer endpoint (reader until promoted in a secondary)",
                get_att(&ctx.id(i, "Cluster"), "Endpoint.Address"),
            );
        }
    }
    /// The region's cluster endpoint, its port, and the master user's secret
    /// (the replica in this region), read by ECS when the task starts.
    fn provide(&self, ctx: &mut Ctx, i: usize, var: &str, out: &mut Provided) {
        let endpoint = ctx.value(NodeKind::Service(i), "Endpoint");
        out.env
            .push(json!({ "Name": cat!(var, "_ENDPOINT"), "Value": endpoint }));
        out.env
            .push(json!({ "Name": cat!(var, "_PORT"), "Value": PORT.to_string() }));
        let secret = ctx.name(NameKind::Secret, i, "");
        // The primary's copy is encrypted with the cluster's key (`master_secret`).
        let key = ctx
            .is_primary()
            .then(|| ctx.value(NodeKind::Service(i), "KeyArn"));
        out.secret(ctx.region_code(), var, &secret, key);
    }
    /// `FailoverGlobalCluster` to this region's cluster, then a wait until the
    /// global cluster is available again and this cluster is its writer
    /// (aws-dr.md 1.1).
    fn failover(&self, names: &Names, i: usize, region: usize) -> Option<Action> {
        Some(switch(names, i, region, "FailoverGlobalCluster"))
    }
    /// `SwitchoverGlobalCluster` back to the primary region's cluster: planned,
    /// no data loss, every region up (aws-dr.md 6.3 [A8]).
    fn failback(&self, names: &Names, i: usize, _region: usize) -> Option<Action> {
        Some(switch(
            names,
            i,
            names.model.primary(),
            "SwitchoverGlobalCluster",
        ))
    }
    fn verify(&self, names: &Names, i: usize, region: usize, back: bool) -> Vec<Check> {
        let model = names.model;
        let code = &model.regions[region].code;
        let target = if back { model.primary() } else { region };
        let target = &model.regions[target].code;
        let global = names.name(NameKind::GlobalCluster, i, "");
        vec![Check {
            what: cat!("the writer of the global database `", global, "`"),
            command: cat!("aws rds describe-global-clusters --region ", code, " --global-cluster-identifier ", global, " --query 'GlobalClusters[0].[Status, GlobalClusterMembers[?IsWriter].DBClusterArn | [0]]' --output text"),
            expect: cat!("`available` and an ARN ending in `:cluster:", names.name(NameKind::DbCluster, i, target), "` (in ", target, ")"),
        }]
    }
    fn secret(&self) -> Option<(NameKind, &'static [&'static str])> {
        Some((NameKind::Secret, &["username", "password"]))
    }
    fn names(&self) -> &'static [NameKind] {
        &[
            NameKind::GlobalCluster,
            NameKind::DbCluster,
            NameKind::Alarm,
            NameKind::Secret,
        ]
    }
    fn lag_alarm(&self) -> bool {
        true
    }
    fn check(&self, p: &Partial, svc: &Service, diags: &mut Vec<Diagnostic>) {
        write_forwarding(p, svc, diags);
        super::kinds::check_secondaries(
            p,
            svc,
            TOO_MANY_SECONDARIES,
            "an Aurora global database",
            diags,
        );
    }
}

/// Under `active_active` every region serves, so an Aurora secondary must send
/// its writes to the writer: global write forwarding (LANGUAGE.md section 4).
/// Which versions have it is the stdlib's engine-version table (16.x, 15.4+,
/// 14.9+ [A16]); a version the table does not list is for the engine-version
/// rules to report.
fn write_forwarding(p: &Partial, svc: &Service, diags: &mut Vec<Diagnostic>) {
    let Some(platform) = p.platform else { return };
    if platform.strategy != crate::model::Strategy::ActiveActive {
        return;
    }
    let Some(strategy) = platform.attrs.origin("strategy") else {
        return;
    };
    if svc.replication.is_none() {
        return;
    }
    let Some(version) = svc.attrs.str("version") else {
        return;
    };
    if crate::stdlib::schema()
        .engine_versions
        .write_forwarding(version)
        != Some(false)
    {
        return;
    }
    let at = svc.attrs.origin("version").map_or(svc.span, |o| o.span);
    diags.push(
        Diagnostic::error(
            "E309",
            format!(
                "`{}` cannot take writes in its secondary regions: Aurora PostgreSQL {version} has no global write forwarding",
                svc.name
            ),
        )
        .label(strategy.span, "every region serves, so every region writes")
        .label(
            at,
            "global write forwarding needs 16 or later, 15.4+ or 14.9+",
        )
        .help(format!(
            "use a version with global write forwarding on `{}`, e.g. `version = \"16.8\"`; or keep one writing region with `strategy = warm_standby`",
            svc.name
        )),
    );
}

/// The ARN of service `i`'s cluster in region `code`.
fn cluster_arn(names: &Names, i: usize, code: &str) -> String {
    format!(
        "arn:${{AWS::Partition}}:rds:{code}:${{AWS::AccountId}}:cluster:{}",
        names.name(NameKind::DbCluster, i, code)
    )
}

/// A runbook step making `target`'s cluster the writer of the global cluster
/// (`FailoverGlobalCluster` with data loss allowed, or
/// `SwitchoverGlobalCluster`), the waits until it is, and the permissions:
/// on the global cluster and every member cluster, since whichever is the
/// writer when the runbook runs (after an earlier failover, not the primary)
/// is acted on too.
fn switch(names: &Names, i: usize, target: usize, api: &str) -> Action {
    let model = names.model;
    let code = &model.regions[target].code;
    let global = names.name(NameKind::GlobalCluster, i, "");
    let target_arn = sub(cluster_arn(names, i, code));
    let mut inputs = json!({
        "Service": "rds",
        "Api": api,
        "GlobalClusterIdentifier": &global,
        "TargetDbClusterIdentifier": target_arn.clone(),
    });
    if api == "FailoverGlobalCluster" {
        inputs["AllowDataLoss"] = json!(true);
    }
    let step = if api == "FailoverGlobalCluster" {
        "Failover"
    } else {
        "Switchover"
    };
    let mut resources = vec![sub(format!(
        "arn:${{AWS::Partition}}:rds::${{AWS::AccountId}}:global-cluster:{global}"
    ))];
    resources.extend(
        crate::graph::region_order(model)
            .into_iter()
            .map(|r| sub(cluster_arn(names, i, &model.regions[r].code))),
    );
    Action {
        service: i,
        start: json!({
            "name": cat!(step, names.id(i)),
            "action": "aws:executeAwsApi",
            "inputs": inputs,
        }),
        wait: vec![
            json!({
                "name": cat!("WaitFor", names.id(i)),
                "action": "aws:waitForAwsResourceProperty",
                "timeoutSeconds": 900,
                "inputs": {
                    "Service": "rds",
                    "Api": "DescribeGlobalClusters",
                    "GlobalClusterIdentifier": &global,
                    "PropertySelector": "$.GlobalClusters[0].Status",
                    "DesiredValues": ["available"],
                },
            }),
            writer_check(cat!("CheckWriter", names.id(i)), &global, target_arn),
        ],
        statement: json!({
            "Effect": "Allow",
            "Action": ["rds:DescribeGlobalClusters", cat!("rds:", api)],
            "Resource": resources,
        }),
    }
}
