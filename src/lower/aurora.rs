//! `aurora_postgres`: a global database. The primary region holds the
//! `AWS::RDS::GlobalCluster` (adopting the primary cluster) and the writer
//! cluster; each secondary a cluster joined by `GlobalClusterIdentifier`, without
//! master credentials or database name (aws-dr.md 1.1), and the replication-lag
//! alarm (1.6). Every cluster is encrypted with a key of its own region.

use super::json::json;

use super::{get_att, r#ref, sub, Ctx, Tags};
use crate::graph::NodeKind;
use crate::names::NameKind;

pub const ENGINE: &str = "aurora-postgresql";
const PORT: u16 = 5432;

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
    ctx.add(
        &key,
        "AWS::KMS::Key",
        json!({
            "Description": format!("Storage encryption of {} in {region}", svc.name),
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
    );
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
    if ctx.is_primary() {
        props["DatabaseName"] = json!(svc.attrs.str("database").unwrap_or("app"));
        props["MasterUsername"] = json!("tap_admin");
        props["ManageMasterUserPassword"] = json!(true);
    } else {
        props["GlobalClusterIdentifier"] = json!(ctx.name(NameKind::GlobalCluster, i, ""));
        props["SourceRegion"] = json!(primary_code);
    }
    let c = ctx.add(&cluster, "AWS::RDS::DBCluster", props, Tags::List("Tags"));
    c.insert("DeletionPolicy", json!("Snapshot"));
    c.insert("UpdateReplacePolicy", json!("Snapshot"));
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
    // Not encrypted with the AWS-managed SNS key: its key policy does not let
    // CloudWatch publish, so the alarm would never notify anyone.
    ctx.add(
        &topic,
        "AWS::SNS::Topic",
        json!({ "DisplayName": format!("{} replication lag", svc.name) }),
        Tags::List("Tags"),
    );
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
            "TreatMissingData": "breaching",
            "AlarmActions": [r#ref(&topic)],
        }),
        Tags::None,
    );
}
