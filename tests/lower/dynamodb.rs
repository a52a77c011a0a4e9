//! The DynamoDB global table (`src/lower/dynamodb.rs`).

use std::collections::BTreeSet;

use crate::common::*;

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
