//! `fargate`: ECS cluster, task definition, service, security groups, internet-
//! facing ALB, target group (ip targets), listener(s) and log group, per region.

use super::json::{self, json, Json};
use crate::text::cat;

use super::kinds::{Behaviour, Part, Provided};
use super::runbook::{Action, Check, Names};
use super::{get_att, r#ref, sub, Ctx, Tags, MAX_POLICY};
use crate::check::Partial;
use crate::diag::{Diagnostic, Severity, Span};
use crate::graph::NodeKind;
use crate::model::{Model, Role, Service, Strategy};
use crate::names::NameKind;
use crate::stdlib::schema;
use rustc_hash::FxHashMap as HashMap;

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

/// Where an image is pulled from, as far as a failover is concerned.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Registry<'a> {
    /// No registry host, or Docker Hub's: rate-limited anonymous pulls.
    DockerHub,
    /// `public.ecr.aws`, served from us-east-1.
    EcrPublic,
    /// A private ECR registry: its account, region and `REPOSITORY[:TAG]`.
    Ecr {
        account: &'a str,
        region: &'a str,
        path: &'a str,
    },
    /// Any other registry host (`ghcr.io`, `quay.io`, a company's own).
    Other(&'a str),
}

/// The registry of an image reference (`[HOST/]PATH`): the first component is
/// a host when it has a dot or a port, or is `localhost` (the distribution
/// reference grammar, as the stdlib's `image_reference` rule).
pub(crate) fn registry(image: &str) -> Registry<'_> {
    let Some((host, path)) = image
        .split_once('/')
        .filter(|(h, _)| h.contains(['.', ':']) || *h == "localhost")
    else {
        return Registry::DockerHub;
    };
    match host {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => Registry::DockerHub,
        "public.ecr.aws" => Registry::EcrPublic,
        _ => {
            let ecr = host
                .strip_suffix(".amazonaws.com")
                // The account is twelve digits (no dot), so `.dkr.ecr.` comes
                // right after it.
                .and_then(|h| Some((h.get(..12)?, h.get(12..)?.strip_prefix(".dkr.ecr.")?)))
                .filter(|(account, region)| {
                    account.bytes().all(|b| b.is_ascii_digit())
                        && !region.is_empty()
                        && !region.contains('.')
                });
            match ecr {
                Some((account, region)) => Registry::Ecr {
                    account,
                    region,
                    path,
                },
                None => Registry::Other(host),
            }
        }
    }
}

/// Whether the platform keeps its images in the primary's private registry,
/// replicated to every region (`registry = replicated`).
pub(crate) fn replicated(model: &Model) -> bool {
    model.platform.attrs.str("registry") == Some("replicated")
}

/// The image the service pulls in `region`: with a replicated registry, an
/// image of the primary's private registry is pulled from the replica in
/// `region`, so that no region pulls across regions.
fn image_in(model: &Model, image: &str, region: usize) -> String {
    let primary = &model.regions[model.primary()].code;
    match registry(image) {
        Registry::Ecr {
            account,
            region: home,
            path,
        } if replicated(model) && home == primary => {
            let code = &model.regions[region].code;
            cat!(account, ".dkr.ecr.", code, ".amazonaws.com/", path)
        }
        _ => image.to_string(),
    }
}

/// The repositories of the primary's private registry that the platform's
/// services pull from, sorted and once each.
pub(crate) fn repositories(model: &Model) -> Vec<&str> {
    let primary = &model.regions[model.primary()].code;
    let mut repos: Vec<&str> = model
        .services
        .iter()
        .filter(|s| s.kind.imp.compute())
        .filter_map(|s| match registry(s.attrs.str("image")?) {
            Registry::Ecr { region, path, .. } if region == primary => {
                Some(path.split(['@', ':']).next().unwrap_or(path))
            }
            _ => None,
        })
        .collect();
    repos.sort_unstable();
    repos.dedup();
    repos
}

/// Filters of one ECR replication rule, and rules of a registry's replication
/// configuration
/// (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ReplicationRule.html,
/// https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ReplicationConfiguration.html).
const FILTERS_PER_RULE: usize = 100;
const RULES: usize = 10;

/// With `registry = replicated`, in the primary: the registry's replication
/// configuration, which copies every image pushed to the services'
/// repositories to the same repository in every secondary region (ECR creates
/// the repository there on the first copy). A registry has one replication
/// configuration per region: this one replaces any other of the account in
/// the primary region
/// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html).
pub(crate) fn lower_registry(ctx: &mut Ctx) {
    let model = ctx.model;
    if !replicated(model) || !ctx.is_primary() {
        return;
    }
    let repos = repositories(model);
    if repos.is_empty() {
        return;
    }
    if repos.len() > RULES * FILTERS_PER_RULE {
        let at = model
            .platform
            .attrs
            .origin("registry")
            .map_or(model.platform.name_span, |o| o.span);
        ctx.diagnostics.push(
            Diagnostic::error("E609", format!("the services pull from {} repositories, more than ECR replicates by name", repos.len()))
                .label(at, format!("{} repositories to replicate; ECR takes {RULES} rules of {FILTERS_PER_RULE} repositories", repos.len()))
                .help(format!("push the images to at most {} repositories (tags tell images apart), or replicate the registry yourself and remove `registry = replicated`", RULES * FILTERS_PER_RULE)),
        );
    }
    let destinations: Vec<Json> = model
        .regions
        .iter()
        .filter(|r| r.role == Role::Secondary)
        .map(|r| json!({ "Region": &r.code, "RegistryId": r#ref("AWS::AccountId") }))
        .collect();
    let rules: Vec<Json> = repos
        .chunks(FILTERS_PER_RULE)
        .map(|chunk| {
            let filters: Vec<Json> = chunk
                .iter()
                .map(|r| json!({ "Filter": *r, "FilterType": "PREFIX_MATCH" }))
                .collect();
            json!({ "Destinations": destinations.clone(), "RepositoryFilters": filters })
        })
        .collect();
    ctx.add(
        "RegistryReplication",
        "AWS::ECR::ReplicationConfiguration",
        json!({ "ReplicationConfiguration": { "Rules": rules } }),
        Tags::None,
    );
}

fn lower(ctx: &mut Ctx, i: usize) {
    let svc = ctx.service(i);
    let region = ctx.region_code();
    let stem = ctx.id(i, "");
    let id = |what: &str| cat!(stem, what);
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
        check_policy(ctx, i, "execution role", &policy);
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
        check_policy(ctx, i, "task role", &policy);
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
        "Image": image_in(ctx.model, svc.attrs.str("image").unwrap_or_default(), ctx.region),
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
    let size = ctx
        .add(
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
        )
        .get("Properties")
        .map_or(0, json::resolved_len);
    if size > MAX_TASK_DEFINITION {
        let at = svc.attrs.origin("needs").map_or(svc.span, |o| o.span);
        ctx.diagnostics.push(
            Diagnostic::error("E607", format!("the task definition of `{}` is over ECS's size limit", svc.name))
                .label(at, format!("{} services add to a task definition of up to {size} bytes in {region}; ECS allows {MAX_TASK_DEFINITION}", svc.needs.len()))
                .help(format!("give `{}` fewer `needs`: split it into services that each need a part", svc.name)),
        );
    }
    let mut ingress = vec![
        json!({ "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "0.0.0.0/0", "Description": "HTTP from the internet and Route 53 health checkers" }),
    ];
    if certificate.is_some() {
        ingress.push(json!({ "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0", "Description": "HTTPS from the internet and Route 53 health checkers" }));
    }
    ctx.add(
        &lb_sg,
        "AWS::EC2::SecurityGroup",
        json!({ "GroupDescription": cat!("Load balancer of ", svc.name), "VpcId": &vpc, "SecurityGroupIngress": ingress }),
        Tags::List("Tags"),
    );
    ctx.add(
        &svc_sg,
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": cat!("Tasks of ", svc.name),
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
    // The need that gave each variable: the container would get two values
    // under one name, and the application see one of them (E608).
    let mut given: HashMap<String, (Span, &str)> = HashMap::default();
    let svc = ctx.service(i);
    for &(dep, at) in &svc.needs {
        let d = ctx.service(dep);
        let var = d.name.to_uppercase().replace('-', "_");
        let (env, secrets) = (out.env.len(), out.secrets.len());
        d.kind.imp.provide(ctx, dep, &var, &mut out);
        let names = out.env[env..].iter().chain(&out.secrets[secrets..]);
        for name in names.filter_map(|v| match v.get("Name") {
            Some(Json::Str(name)) => Some(name.to_string()),
            _ => None,
        }) {
            if let Some(&(first, by)) = given.get(&name) {
                ctx.diagnostics.push(
                    Diagnostic::error("E608", format!("`{}` would get two values of the environment variable `{name}`", svc.name))
                        .label(at, format!("`{}` gives `{name}`", d.name))
                        .label(first, format!("and so does `{by}`"))
                        .help(format!("rename `{}`: the variables a need gives are named after it, in capitals and with underscores for hyphens", d.name)),
                );
            } else {
                given.insert(name, (at, &d.name));
            }
        }
    }
    out
}

/// ECS's limit on a task definition's size: 64 KiB, not adjustable (ECS
/// service quotas, "Task definition size limit",
/// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html).
/// Each need adds a variable to the container's environment; what
/// CloudFormation resolves in it (a load balancer's DNS name) counts at its
/// longest, `json::MAX_RESOLVED`.
const MAX_TASK_DEFINITION: usize = 65_536;

/// E603 when `policy`, the inline policy the service's `needs` give its
/// `role`, is over IAM's limit on a role's inline policies. Checked in every
/// region, since the ARNs in it spell the region; the lowering reports the
/// first region's.
fn check_policy(ctx: &mut Ctx, i: usize, role: &str, policy: &Json) {
    let length = json::resolved_len(policy);
    if length <= MAX_POLICY {
        return;
    }
    let svc = ctx.service(i);
    let at = svc.attrs.origin("needs").map_or(svc.span, |o| o.span);
    let region = ctx.region_code();
    ctx.diagnostics.push(
        Diagnostic::error("E603", format!("the {role} of `{}` needs an IAM policy over IAM's limit", svc.name))
            .label(at, format!("{} services need {length} characters of policy in {region}; IAM allows {MAX_POLICY} per role", svc.needs.len()))
            .help(format!("give `{}` fewer `needs`: split it into services that each need a part", svc.name)),
    );
}

/// W316: an image that a secondary may not be able to pull when it must start
/// its tasks, during a failover: from a registry outside AWS, from ECR Public
/// (served from us-east-1), or from the primary region's private registry
/// without `registry = replicated` [L14] [L15].
fn check_image(p: &Partial, svc: &Service, diags: &mut Vec<Diagnostic>) {
    let (Some(platform), Some(image)) = (p.platform, svc.attrs.str("image")) else {
        return;
    };
    let Some(primary) = p.regions.iter().find(|r| r.role == Role::Primary) else {
        return;
    };
    let at = svc.attrs.origin("image").map_or(svc.span, |o| o.span);
    // An image already reported as no image reference (E227) is not one to
    // pull from anywhere: the advice would quote the broken value back.
    if diags
        .iter()
        .any(|d| d.severity == Severity::Error && d.labels.iter().any(|l| l.span == at))
    {
        return;
    }
    let primary = primary.code.as_str();
    let replicated = platform.attrs.str("registry") == Some("replicated");
    let label = match registry(image) {
        Registry::DockerHub => "Docker Hub: anonymous pulls are limited per IP address, and every task of a region pulls through its NAT gateways at once".to_string(),
        Registry::EcrPublic if primary == "us-east-1" => {
            "ECR Public is served from us-east-1, the primary region".to_string()
        }
        Registry::EcrPublic => "ECR Public is served from us-east-1: a failover depends on that region".to_string(),
        Registry::Other(host) => format!(
            "{} is outside AWS: a failover depends on it",
            crate::diag::quote(host)
        ),
        Registry::Ecr { region, .. } if region == primary && !replicated => {
            format!("the private registry of {primary}, the primary region, unreachable when it is down")
        }
        Registry::Ecr { .. } => return,
    };
    // The path without the registry host, kept as the repository and tag.
    let path = match registry(image) {
        Registry::DockerHub => image
            .split_once('/')
            .filter(|(h, _)| h.contains('.'))
            .map_or(image, |(_, p)| p),
        Registry::EcrPublic | Registry::Other(_) => image.split_once('/').map_or(image, |(_, p)| p),
        Registry::Ecr { path, .. } => path,
    };
    let path = crate::diag::visible(path);
    let own = format!("image = \"ACCOUNT.dkr.ecr.{primary}.amazonaws.com/{path}\"");
    let help = if replicated {
        format!("push the image to the primary's private registry, which is replicated to every region: `{own}`")
    } else {
        format!("push the image to the primary's private registry and replicate it to every region: `registry = replicated` in the platform and `{own}`")
    };
    diags.push(
        Diagnostic::warning(
            "W316",
            format!(
                "a secondary region may not be able to pull the image of `{}` during a failover",
                svc.name
            ),
        )
        .label(at, label)
        .help(help),
    );
}

/// The `fargate` kind.
#[derive(Debug)]
pub(crate) struct Fargate;

impl Behaviour for Fargate {
    #[cfg(test)]
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
        out.env.push(
            json!({ "Name": cat!(var, "_URL"), "Value": { "Fn::Join": ["", ["http://", dns]] } }),
        );
    }
    /// Scales the service up to `count` where the strategy keeps it lower.
    fn failover(&self, names: &Names, i: usize, region: usize) -> Option<Action> {
        let count = names.model.services[i].attrs.int("count").unwrap_or(1);
        scale(names, i, region, count, "ScaleUp")
    }
    fn verify(&self, names: &Names, i: usize, region: usize, back: bool) -> Vec<Check> {
        let model = names.model;
        let count = model.services[i].attrs.int("count").unwrap_or(1);
        let to = if back {
            desired_count(model, i, region)
        } else {
            count
        };
        match scale(names, i, region, to, "") {
            None => Vec::new(),
            Some(_) => {
                let code = &model.regions[region].code;
                let cluster = names.name(NameKind::EcsCluster, i, code);
                let service = names.name(NameKind::EcsService, i, code);
                vec![Check {
                    what: cat!("the tasks of `", model.services[i].name, "` in ", code),
                    command: cat!(
                        "aws ecs describe-services --region ",
                        code,
                        " --cluster ",
                        cluster,
                        " --services ",
                        service,
                        " --query 'services[0].[desiredCount, runningCount]' --output text"
                    ),
                    expect: cat!(
                        "`",
                        to,
                        "` and `",
                        to,
                        "` (running catches up with desired)"
                    ),
                }]
            }
        }
    }
    /// Back to the standby size once traffic has left (pilot light: 0).
    fn failback(&self, names: &Names, i: usize, region: usize) -> Option<Action> {
        scale(
            names,
            i,
            region,
            desired_count(names.model, i, region),
            "ScaleDown",
        )
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
    fn check(&self, p: &Partial, svc: &Service, diags: &mut Vec<Diagnostic>) {
        check_image(p, svc, diags);
    }
    fn compute(&self) -> bool {
        true
    }
}

/// The runbook step that sets the service's task count in `region`, none
/// where the strategy already runs the full count there.
fn scale(names: &Names, i: usize, region: usize, to: i64, step: &str) -> Option<Action> {
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
            "name": cat!(step, names.id(i)),
            "action": "aws:executeAwsApi",
            "inputs": { "Service": "ecs", "Api": "UpdateService", "cluster": &cluster, "service": &service, "desiredCount": to },
        }),
        wait: Vec::new(),
        statement: json!({
            "Effect": "Allow",
            "Action": ["ecs:UpdateService"],
            "Resource": sub(cat!("arn:${AWS::Partition}:ecs:", code, ":${AWS::AccountId}:service/", cluster, "/", service)),
        }),
    })
}
