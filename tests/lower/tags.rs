//! Platform tags on every taggable resource (`src/lower/mod.rs`).

use std::collections::BTreeMap;

use crate::common::*;

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
