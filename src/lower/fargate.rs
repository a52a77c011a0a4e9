//! `fargate`: ECS cluster, task definition, service, security groups, internet-
//! facing ALB, target group (ip targets), listener(s) and log group, per region.

use super::json::{json, Json};

use super::kinds::{Behaviour, Part, Provided};
use super::runbook::{Action, Names};
use super::{get_att, policy_len, r#ref, sub, Ctx, Tags, MAX_POLICY};
use crate::diag::Diagnostic;
use crate::graph::NodeKind;
use crate::model::{Model, Role, Strategy};
use crate::names::NameKind;
use crate::stdlib::schema;

/// Tasks the service runs in the current region before any failover.
pub fn desired_count(model: &Model, i: usize, region: usize) -> i64 {
    let svc = &model.services[i];
    let count = svc.attrs.int("count").unwrap_or(1);
    if model.regions[region].role == Role::Primary {
        return count;
    }
    match model.platform.strategy {
        Strategy::WarmStandby => svc.attrs.int("standby_count").unwrap_or(count),
        Strategy::ActiveActive => count,
        Strategy::PilotLight | Strategy::BackupRestore => 0,
    }
}

fn lower(ctx: &mut Ctx, i: usize) {
    let svc = ctx.service(i);
    let region = ctx.region_code();
    let stem = ctx.id(i, "");
    let id = |what: &str| format!("{stem}{what}");
    let port = svc.attrs.int("port").unwrap_or(80);
    let certificate = svc
        .attrs
        .map("certificates")
        .into_iter()
        .find(|(r, _)| *r == region)
        .map(|(_, arn)| arn.to_string());
    let vpc = ctx.value(NodeKind::Network, "VpcId");
    let public = ctx.value(NodeKind::Network, "PublicSubnets");
    let private = ctx.value(NodeKind::Network, "PrivateSubnets");
    let needs = dependencies(ctx, i);

    let (cluster, log_group, execution_role, task_role, task_def) = (
        id("Cluster"),
        id("LogGroup"),
        id("ExecutionRole"),
        id("TaskRole"),
        id("TaskDefinition"),
    );
    let (lb_sg, svc_sg, lb, tg) = (
        id("LoadBalancerSecurityGroup"),
        id("ServiceSecurityGroup"),
        id("LoadBalancer"),
        id("TargetGroup"),
    );
    let cluster_name = ctx.name(NameKind::EcsCluster, i, region);
    ctx.add(
        &cluster,
        "AWS::ECS::Cluster",
        json!({ "ClusterName": cluster_name, "ClusterSettings": [{ "Name": "containerInsights", "Value": "enabled" }] }),
        Tags::List("Tags"),
    );
    let retention = svc.attrs.duration("logs").unwrap_or(30 * 86_400_000) / 86_400_000;
    ctx.add(
        &log_group,
        "AWS::Logs::LogGroup",
        json!({ "LogGroupName": ctx.name(NameKind::LogGroup, i, region), "RetentionInDays": retention }),
        Tags::List("Tags"),
    );
    let mut execution_props = json!({
        "AssumeRolePolicyDocument": assume("ecs-tasks.amazonaws.com"),
        "ManagedPolicyArns": [sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")],
    });
    if !needs.execution.is_empty() {
        // The secrets ECS reads for the task, and nothing else.
        let policy = json!({ "Version": "2012-10-17", "Statement": needs.execution });
        execution_props["Policies"] =
            json!([{ "PolicyName": "secrets", "PolicyDocument": policy }]);
    }
    ctx.add(
        &execution_role,
        "AWS::IAM::Role",
        execution_props,
        Tags::List("Tags"),
    );
    let statements = needs.task;
    let mut task_role_props =
        json!({ "AssumeRolePolicyDocument": assume("ecs-tasks.amazonaws.com") });
    if !statements.is_empty() {
        let policy = json!({ "Version": "2012-10-17", "Statement": statements });
        // Once, not in every region; the policy is the same but for the region.
        let length = if ctx.is_primary() {
            policy_len(&policy)
        } else {
            0
        };
        if length > MAX_POLICY {
            let at = svc.attrs.origin("needs").map_or(svc.span, |o| o.span);
            ctx.diagnostics.push(
                Diagnostic::error("E603", format!("the task role of `{}` needs an IAM policy over IAM's limit", svc.name))
                    .label(at, format!("{} services need {length} characters of policy; IAM allows {MAX_POLICY} per role", svc.needs.len()))
                    .help(format!("give `{}` fewer `needs`: split it into services that each need a part", svc.name)),
            );
        }
        task_role_props["Policies"] = json!([{ "PolicyName": "needs", "PolicyDocument": policy }]);
    }
    ctx.add(
        &task_role,
        "AWS::IAM::Role",
        task_role_props,
        Tags::List("Tags"),
    );
    let memory_mib = svc.attrs.size("memory").unwrap_or(512 << 20) >> 20;
    let mut container = json!({
        "Name": &svc.name,
        "Image": svc.attrs.str("image").unwrap_or_default(),
        "Essential": true,
        "PortMappings": [{ "ContainerPort": port, "Protocol": "tcp" }],
        "Environment": needs.env,
        "LogConfiguration": {
            "LogDriver": "awslogs",
            "Options": {
                "awslogs-group": r#ref(&log_group),
                "awslogs-region": r#ref("AWS::Region"),
                "awslogs-stream-prefix": &svc.name,
            },
        },
    });
    if !needs.secrets.is_empty() {
        container["Secrets"] = Json::Arr(needs.secrets);
    }
    ctx.add(
        &task_def,
        "AWS::ECS::TaskDefinition",
        json!({
            "Family": ctx.name(NameKind::EcsService, i, region),
            "Cpu": svc.attrs.int("cpu").unwrap_or(256).to_string(),
            "Memory": memory_mib.to_string(),
            "NetworkMode": "awsvpc",
            "RequiresCompatibilities": ["FARGATE"],
            "ExecutionRoleArn": get_att(&execution_role, "Arn"),
            "TaskRoleArn": get_att(&task_role, "Arn"),
            "ContainerDefinitions": [container],
        }),
        Tags::List("Tags"),
    );
    let mut ingress = vec![
        json!({ "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "0.0.0.0/0", "Description": "HTTP from the internet and Route 53 health checkers" }),
    ];
    if certificate.is_some() {
        ingress.push(json!({ "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0", "Description": "HTTPS from the internet and Route 53 health checkers" }));
    }
    ctx.add(
        &lb_sg,
        "AWS::EC2::SecurityGroup",
        json!({ "GroupDescription": format!("Load balancer of {}", svc.name), "VpcId": &vpc, "SecurityGroupIngress": ingress }),
        Tags::List("Tags"),
    );
    ctx.add(
        &svc_sg,
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": format!("Tasks of {}", svc.name),
            "VpcId": &vpc,
            "SecurityGroupIngress": [{ "IpProtocol": "tcp", "FromPort": port, "ToPort": port, "SourceSecurityGroupId": get_att(&lb_sg, "GroupId"), "Description": "From the load balancer" }],
        }),
        Tags::List("Tags"),
    );
    ctx.add(
        &lb,
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        json!({
            "Name": ctx.name(NameKind::LoadBalancer, i, region),
            "Type": "application",
            "Scheme": "internet-facing",
            "Subnets": public,
            "SecurityGroups": [get_att(&lb_sg, "GroupId")],
            "LoadBalancerAttributes": [{ "Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true" }],
        }),
        Tags::List("Tags"),
    );
    let check_interval = schema().timing.target_check.ms.unwrap_or(30_000) / 1000;
    ctx.add(
        &tg,
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        json!({
            "Name": ctx.name(NameKind::TargetGroup, i, region),
            "TargetType": "ip",
            "Protocol": "HTTP",
            "Port": port,
            "VpcId": &vpc,
            "HealthCheckPath": svc.attrs.str("health").unwrap_or("/"),
            "HealthCheckIntervalSeconds": check_interval,
            "HealthyThresholdCount": 2,
            "UnhealthyThresholdCount": 2,
            "Matcher": { "HttpCode": "200-399" },
            "TargetGroupAttributes": [{ "Key": "deregistration_delay.timeout_seconds", "Value": "30" }],
        }),
        Tags::List("Tags"),
    );
    let forward = json!([{ "Type": "forward", "TargetGroupArn": r#ref(&tg) }]);
    let http = id("HttpListener");
    let mut listeners = vec![Json::from(http.clone())];
    match &certificate {
        Some(arn) => {
            ctx.add(
                &http,
                "AWS::ElasticLoadBalancingV2::Listener",
                json!({
                    "LoadBalancerArn": r#ref(&lb), "Port": 80, "Protocol": "HTTP",
                    "DefaultActions": [{ "Type": "redirect", "RedirectConfig": { "Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301" } }],
                }),
                Tags::None,
            );
            let https = id("HttpsListener");
            ctx.add(
                &https,
                "AWS::ElasticLoadBalancingV2::Listener",
                json!({
                    "LoadBalancerArn": r#ref(&lb), "Port": 443, "Protocol": "HTTPS",
                    "Certificates": [{ "CertificateArn": arn }],
                    "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
                    "DefaultActions": forward,
                }),
                Tags::None,
            );
            listeners.push(Json::from(https));
        }
        None => {
            ctx.add(
                &http,
                "AWS::ElasticLoadBalancingV2::Listener",
                json!({ "LoadBalancerArn": r#ref(&lb), "Port": 80, "Protocol": "HTTP", "DefaultActions": forward }),
                Tags::None,
            );
        }
    }
    let desired = desired_count(ctx.model, i, ctx.region);
    ctx.add(
        &id("Service"),
        "AWS::ECS::Service",
        json!({
            "ServiceName": ctx.name(NameKind::EcsService, i, region),
            "Cluster": r#ref(&cluster),
            "LaunchType": "FARGATE",
            "TaskDefinition": r#ref(&task_def),
            "DesiredCount": desired,
            "HealthCheckGracePeriodSeconds": 60,
            // Tasks that never become healthy fail the deployment and roll it
            // back instead of keeping CloudFormation waiting for hours
            // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html).
            "DeploymentConfiguration": { "DeploymentCircuitBreaker": { "Enable": true, "Rollback": true } },
            "PropagateTags": "SERVICE",
            "EnableECSManagedTags": true,
            "NetworkConfiguration": { "AwsvpcConfiguration": { "AssignPublicIp": "DISABLED", "Subnets": private, "SecurityGroups": [get_att(&svc_sg, "GroupId")] } },
            "LoadBalancers": [{ "ContainerName": &svc.name, "ContainerPort": port, "TargetGroupArn": r#ref(&tg) }],
        }),
        Tags::List("Tags"),
    )
    .insert("DependsOn", Json::Arr(listeners));
}

fn assume(service: &str) -> Json {
    json!({ "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Principal": { "Service": service }, "Action": "sts:AssumeRole" }] })
}

/// What the services it needs give the service: environment variables,
/// secrets, and the IAM statements that allow exactly that use.
fn dependencies(ctx: &mut Ctx, i: usize) -> Provided {
    let mut out = Provided::default();
    for &(dep, _) in &ctx.service(i).needs {
        let d = ctx.service(dep);
        let var = d.name.to_uppercase().replace('-', "_");
        d.kind.imp.provide(ctx, dep, &var, &mut out);
    }
    out
}

/// The `fargate` kind.
#[derive(Debug)]
pub(crate) struct Fargate;

impl Behaviour for Fargate {
    fn name(&self) -> &'static str {
        "fargate"
    }
    fn in_vpc(&self) -> bool {
        true
    }
    fn size(&self, model: &Model, i: usize, region: usize, _part: Part) -> (usize, usize) {
        let code = &model.regions[region].code;
        let https = model.services[i]
            .attrs
            .map("certificates")
            .iter()
            .any(|(k, _)| k == code);
        (11 + usize::from(https), 3)
    }
    fn lower(&self, ctx: &mut Ctx, i: usize, _part: Part) {
        lower(ctx, i);
    }
    fn value(&self, ctx: &Ctx, i: usize, key: &str) -> Option<(Json, bool)> {
        let lb = ctx.id(i, "LoadBalancer");
        match key {
            "LoadBalancerDnsName" => Some((get_att(&lb, "DNSName"), false)),
            "LoadBalancerZoneId" => Some((get_att(&lb, "CanonicalHostedZoneID"), false)),
            _ => None,
        }
    }
    fn outputs(&self, ctx: &mut Ctx, i: usize, _part: Part) {
        ctx.output(
            &ctx.id(i, "LoadBalancerDnsName"),
            "Load balancer DNS name",
            get_att(&ctx.id(i, "LoadBalancer"), "DNSName"),
        );
        ctx.output(
            &ctx.id(i, "ClusterName"),
            "ECS cluster name",
            r#ref(&ctx.id(i, "Cluster")),
        );
    }
    fn provide(&self, ctx: &mut Ctx, i: usize, var: &str, out: &mut Provided) {
        let dns = ctx.value(NodeKind::Service(i), "LoadBalancerDnsName");
        out.env.push(json!({ "Name": format!("{var}_URL"), "Value": { "Fn::Join": ["", ["http://", dns]] } }));
    }
    /// Scales the service up to `count` where the strategy keeps it lower.
    fn failover(&self, names: &Names, i: usize, region: usize) -> Option<Action> {
        let model = names.model;
        let code = &model.regions[region].code;
        let count = model.services[i].attrs.int("count").unwrap_or(1);
        if desired_count(model, i, region) >= count {
            return None;
        }
        let cluster = names.name(NameKind::EcsCluster, i, code);
        let service = names.name(NameKind::EcsService, i, code);
        Some(Action {
            service: i,
            start: json!({
                "name": format!("ScaleUp{}", names.id(i)),
                "action": "aws:executeAwsApi",
                "inputs": { "Service": "ecs", "Api": "UpdateService", "cluster": &cluster, "service": &service, "desiredCount": count },
            }),
            wait: None,
            statement: json!({
                "Effect": "Allow",
                "Action": ["ecs:UpdateService"],
                "Resource": sub(format!("arn:${{AWS::Partition}}:ecs:{code}:${{AWS::AccountId}}:service/{cluster}/{service}")),
            }),
        })
    }
    fn names(&self) -> &'static [NameKind] {
        &[
            NameKind::LoadBalancer,
            NameKind::TargetGroup,
            NameKind::LogGroup,
            NameKind::EcsService,
        ]
    }
    fn load_balanced(&self) -> bool {
        true
    }
    fn compute(&self) -> bool {
        true
    }
}
