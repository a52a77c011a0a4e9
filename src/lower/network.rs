//! A region's VPC: public and private subnets over `azs` AZs, an internet
//! gateway, `nat_gateways` NAT gateways and the routes between them.

use super::json::json;

use super::{get_att, r#ref, Ctx, Tags};
use crate::model::cidr;
use crate::text::cat;

/// The VPC block at `addr` split into `2 * azs` subnets of prefix `sub`
/// (`Region::subnet_prefix`): public first, then private.
pub fn subnets(addr: u32, sub: u8, azs: u32) -> Vec<String> {
    (0..2 * azs)
        .map(|k| cidr(addr + (k << (32 - u32::from(sub))), sub))
        .collect()
}

pub fn lower(ctx: &mut Ctx) {
    // The registry's replication comes first in the primary.
    super::fargate::lower_registry(ctx);
    let region = &ctx.model.regions[ctx.region];
    let (addr, prefix) = region.cidr();
    let azs = region.attrs.int("azs").unwrap_or(2) as u32;
    let nats = region.attrs.int("nat_gateways").unwrap_or(1) as u32;
    let blocks = subnets(addr, region.subnet_prefix(), azs);
    ctx.add(
        "Vpc",
        "AWS::EC2::VPC",
        json!({ "CidrBlock": cidr(addr, prefix), "EnableDnsHostnames": true, "EnableDnsSupport": true }),
        Tags::List("Tags"),
    );
    ctx.add(
        "InternetGateway",
        "AWS::EC2::InternetGateway",
        json!({}),
        Tags::List("Tags"),
    );
    ctx.add(
        "InternetGatewayAttachment",
        "AWS::EC2::VPCGatewayAttachment",
        json!({ "VpcId": r#ref("Vpc"), "InternetGatewayId": r#ref("InternetGateway") }),
        Tags::None,
    );
    ctx.add(
        "PublicRouteTable",
        "AWS::EC2::RouteTable",
        json!({ "VpcId": r#ref("Vpc") }),
        Tags::List("Tags"),
    );
    ctx.add(
        "PublicDefaultRoute",
        "AWS::EC2::Route",
        json!({ "RouteTableId": r#ref("PublicRouteTable"), "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": r#ref("InternetGateway") }),
        Tags::None,
    )
    .insert("DependsOn", json!("InternetGatewayAttachment"));
    for az in 1..=azs {
        let zone = json!({ "Fn::Select": [az - 1, { "Fn::GetAZs": "" }] });
        for (kind, block) in [
            ("Public", &blocks[az as usize - 1]),
            ("Private", &blocks[(azs + az) as usize - 1]),
        ] {
            let subnet = cat!(kind, "Subnet", az);
            ctx.add(
                &subnet,
                "AWS::EC2::Subnet",
                json!({ "VpcId": r#ref("Vpc"), "CidrBlock": block, "AvailabilityZone": &zone, "MapPublicIpOnLaunch": false }),
                Tags::List("Tags"),
            );
            let table = if kind == "Public" {
                "PublicRouteTable".to_string()
            } else {
                cat!("PrivateRouteTable", az)
            };
            ctx.add(
                &cat!(subnet, "RouteTableAssociation"),
                "AWS::EC2::SubnetRouteTableAssociation",
                json!({ "SubnetId": r#ref(&subnet), "RouteTableId": r#ref(&table) }),
                Tags::None,
            );
        }
        ctx.add(
            &cat!("PrivateRouteTable", az),
            "AWS::EC2::RouteTable",
            json!({ "VpcId": r#ref("Vpc") }),
            Tags::List("Tags"),
        );
        if nats > 0 {
            // AZs beyond the NAT gateways share them round-robin.
            let nat = (az - 1) % nats + 1;
            ctx.add(
                &cat!("PrivateDefaultRoute", az),
                "AWS::EC2::Route",
                json!({ "RouteTableId": r#ref(&cat!("PrivateRouteTable", az)), "DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": r#ref(&cat!("NatGateway", nat)) }),
                Tags::None,
            );
        }
    }
    for nat in 1..=nats {
        ctx.add(
            &cat!("NatEip", nat),
            "AWS::EC2::EIP",
            json!({ "Domain": "vpc" }),
            Tags::List("Tags"),
        )
        .insert("DependsOn", json!("InternetGatewayAttachment"));
        ctx.add(
            &cat!("NatGateway", nat),
            "AWS::EC2::NatGateway",
            json!({ "AllocationId": get_att(&cat!("NatEip", nat), "AllocationId"), "SubnetId": r#ref(&cat!("PublicSubnet", nat)) }),
            Tags::List("Tags"),
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn splits_the_vpc_block() {
        let s = super::subnets(10 << 24, 19, 3);
        assert_eq!(
            s,
            [
                "10.0.0.0/19",
                "10.0.32.0/19",
                "10.0.64.0/19",
                "10.0.96.0/19",
                "10.0.128.0/19",
                "10.0.160.0/19"
            ]
        );
    }
}
