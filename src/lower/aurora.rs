//! `aurora_postgres`: a global database. The primary region holds the
//! `AWS::RDS::GlobalCluster` (adopting the primary cluster), the writer
//! cluster and the master user's secret; each secondary a cluster joined by
//! `GlobalClusterIdentifier`, without master credentials or database name
//! (aws-dr.md 1.1), and the replication-lag alarm (1.6) with its topic and the
//! `notify` subscriptions. Every cluster is encrypted with a key of its own
//! region; keys, the secret and the clusters outlive their stacks.

use super::json::{json, Json};

use super::{get_att, r#ref, retain, sub, Ctx, Tags};
use crate::graph::NodeKind;
use crate::names::NameKind;

pub const ENGINE: &str = "aurora-postgresql";
const PORT: u16 = 5432;
/// The master user of every cluster (the secret's `username`).
pub const MASTER_USER: &str = "tap_admin";
/// Characters RDS does not accept in a master password: `/`, `"`, `@` and
/// space (`MasterUserPassword`, AWS::RDS::DBCluster).
const EXCLUDED: &str = "/\"@ ";

pub fn lower_global(ctx: &mut Ctx, i: usize) {
    let source = ctx.value(NodeKind::Service(i), "ClusterId");
    let name = ctx.name(NameKind::GlobalCluster, i, "");
    ctx.add(
        &ctx.id(i, "GlobalCluster"),
        "AWS::RDS::GlobalCluster",
        json!({ "GlobalClusterIdentifier": name, "SourceDBClusterIdentifier": source, "DeletionProtection": true }),
        Tags::None,
    );
}

pub fn lower_cluster(ctx: &mut Ctx, i: usize) {
    let svc = ctx.service(i);
    let region = ctx.region_code();
    let primary_code = &ctx.model.regions[ctx.model.primary()].code;
    let stem = ctx.id(i, "");
    let id = |what: &str| format!("{stem}{what}");
    let (key, subnets, sg, cluster) = (
        id("Key"),
        id("SubnetGroup"),
        id("SecurityGroup"),
        id("Cluster"),
    );
    let private = ctx.value(NodeKind::Network, "PrivateSubnets");
    let vpc = ctx.value(NodeKind::Network, "VpcId");
    let vpc_cidr = ctx.value(NodeKind::Network, "VpcCidr");
    // Retained: a deleted key would make the retained snapshots unrestorable.
    retain(ctx.add(
        &key,
        "AWS::KMS::Key",
        json!({
            "Description": if ctx.is_primary() {
                format!("Storage and master secret encryption of {} in {region}", svc.name)
            } else {
                format!("Storage encryption of {} in {region}", svc.name)
            },
            "EnableKeyRotation": true,
            "KeyPolicy": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "AccountAdministers",
                    "Effect": "Allow",
                    "Principal": { "AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root") },
                    "Action": "kms:*",
                    "Resource": "*",
                }],
            },
        }),
        Tags::List("Tags"),
    ));
    ctx.add(
        &subnets,
        "AWS::RDS::DBSubnetGroup",
        json!({ "DBSubnetGroupDescription": format!("Private subnets of {}", svc.name), "SubnetIds": private }),
        Tags::List("Tags"),
    );
    ctx.add(
        &sg,
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": format!("Database {}", svc.name),
            "VpcId": vpc,
            "SecurityGroupIngress": [{ "IpProtocol": "tcp", "FromPort": PORT, "ToPort": PORT, "CidrIp": vpc_cidr, "Description": "PostgreSQL from the VPC" }],
        }),
        Tags::List("Tags"),
    );
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
        let resolve =
            |field: &str| format!("{{{{resolve:secretsmanager:{name}:SecretString:{field}}}}}");
        props["DatabaseName"] = json!(svc.attrs.str("database").unwrap_or("app"));
        props["MasterUsername"] = json!(resolve("username"));
        props["MasterUserPassword"] = json!(resolve("password"));
    } else {
        props["GlobalClusterIdentifier"] = json!(ctx.name(NameKind::GlobalCluster, i, ""));
        props["SourceRegion"] = json!(primary_code);
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
            &format!("{}{n}", id("Instance")),
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
            "AlarmDescription": format!("Aurora global replication lag of {} in {region} above {threshold} ms", svc.name),
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
        "Description": format!("Master user of the Aurora global database {}", svc.name),
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
    let display: String = format!("tapc DR alarms of {service}")
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
            &format!("{logical}Email{}", k + 1),
            "AWS::SNS::Subscription",
            json!({ "TopicArn": r#ref(logical), "Protocol": "email", "Endpoint": address }),
            Tags::None,
        );
    }
}
