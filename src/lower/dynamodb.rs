//! `dynamodb`: one `AWS::DynamoDB::GlobalTable`, owned by the primary stack,
//! with a replica in every region (aws-dr.md 1.2): streams (required with more
//! than one replica), KMS encryption, PITR and tags per replica.

use super::json::{json, Json};
use crate::text::cat;

use super::kinds::{Behaviour, Part, Provided};
use super::{r#ref, retain, sub, Ctx, Tags};
use crate::graph::region_order;
use crate::model::Model;
use crate::names::NameKind;

fn attribute_type(t: &str) -> &'static str {
    match t {
        "number" => "N",
        "binary" => "B",
        _ => "S",
    }
}

fn lower(ctx: &mut Ctx, i: usize) {
    let svc = ctx.service(i);
    let key = svc.attrs.str("key").unwrap_or("id");
    let mut attributes = vec![
        json!({ "AttributeName": key, "AttributeType": attribute_type(svc.attrs.str("key_type").unwrap_or("string")) }),
    ];
    let mut schema = vec![json!({ "AttributeName": key, "KeyType": "HASH" })];
    if let Some(sort) = svc.attrs.str("sort_key") {
        attributes.push(json!({ "AttributeName": sort, "AttributeType": attribute_type(svc.attrs.str("sort_key_type").unwrap_or("string")) }));
        schema.push(json!({ "AttributeName": sort, "KeyType": "RANGE" }));
    }
    let pitr = svc.attrs.bool("pitr").unwrap_or(true);
    let replicas: Vec<Json> = region_order(ctx.model)
        .into_iter()
        .map(|r| {
            json!({
                "Region": &ctx.model.regions[r].code,
                "PointInTimeRecoverySpecification": { "PointInTimeRecoveryEnabled": pitr },
                "DeletionProtectionEnabled": true,
                // Each replica is a table in its region, tagged as such.
                "Tags": ctx.tags(r),
            })
        })
        .collect();
    let mut props = json!({
        "TableName": ctx.name(NameKind::Table, i, ""),
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": attributes,
        "KeySchema": schema,
        "StreamSpecification": { "StreamViewType": "NEW_AND_OLD_IMAGES" },
        "SSESpecification": { "SSEEnabled": true, "SSEType": "KMS" },
        "Replicas": replicas,
    });
    if let Some(ttl) = svc.attrs.str("ttl") {
        props["TimeToLiveSpecification"] = json!({ "AttributeName": ttl, "Enabled": true });
    }
    retain(ctx.add(
        &ctx.id(i, "Table"),
        "AWS::DynamoDB::GlobalTable",
        props,
        Tags::None,
    ));
}

/// The `dynamodb` kind: no regional node, the global table stands for it.
#[derive(Debug)]
pub(crate) struct Dynamodb;

impl Behaviour for Dynamodb {
    #[cfg(test)]
    fn name(&self) -> &'static str {
        "dynamodb"
    }
    fn regional(&self) -> bool {
        false
    }
    fn global(&self) -> Option<&'static str> {
        Some("global-table")
    }
    fn size(&self, _model: &Model, _i: usize, _region: usize, _part: Part) -> (usize, usize) {
        (1, 1)
    }
    fn lower(&self, ctx: &mut Ctx, i: usize, _part: Part) {
        lower(ctx, i);
    }
    fn outputs(&self, ctx: &mut Ctx, i: usize, _part: Part) {
        ctx.output(
            &ctx.id(i, "TableName"),
            "Global table name",
            r#ref(&ctx.id(i, "Table")),
        );
    }
    fn provide(&self, ctx: &mut Ctx, i: usize, var: &str, out: &mut Provided) {
        let region = ctx.region_code();
        let table = ctx.name(NameKind::Table, i, region);
        let arn = cat!(
            "arn:${AWS::Partition}:dynamodb:",
            region,
            ":${AWS::AccountId}:table/",
            table
        );
        out.env
            .push(json!({ "Name": cat!(var, "_TABLE"), "Value": table }));
        out.task.push(json!({
            "Effect": "Allow",
            "Action": ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"],
            "Resource": [sub(arn.clone()), sub(cat!(arn, "/index/*"))],
        }));
    }
    fn names(&self) -> &'static [NameKind] {
        &[NameKind::Table]
    }
}
