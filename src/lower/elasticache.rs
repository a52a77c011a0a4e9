//! `elasticache`: an ElastiCache (Valkey or Redis OSS) global datastore. Each
//! region holds a replication group in its private subnets, encrypted at rest
//! with a key of its own region and in transit, behind an AUTH token. The
//! primary region also holds the token's secret (replicated to every
//! secondary) and the `AWS::ElastiCache::GlobalReplicationGroup`, whose only
//! member is the primary replication group; each secondary's group joins it
//! by `GlobalReplicationGroupId`, in a later wave (the datastore must exist).
//! The id is ElastiCache's prefix of the primary region and our suffix: a
//! literal, as values cross regions only so.
//!
//! AUTH rather than IAM or RBAC users: Redis OSS before 7.0 has no IAM
//! authentication, and a token in one replicated secret needs no user groups
//! per region. Keys, the secret, the groups and the datastore outlive their
//! stacks. Sources: [K1] to [K9] of docs/aws-dr.md.

use super::json::{json, Json};
use crate::text::cat;

use super::kinds::{Behaviour, Part, Provided};
use super::runbook::{Action, Check, Names};
use super::{get_att, r#ref, retain, sub, Ctx, Tags};
use crate::check::Partial;
use crate::diag::Diagnostic;
use crate::graph::NodeKind;
use crate::model::{Model, Role, Service};
use crate::names::NameKind;
use crate::stdlib::{Kind, Lit};

/// More secondary regions than AWS allows (`kinds::check_secondaries`).
const TOO_MANY_SECONDARIES: &str = "E243";

const PORT: u16 = 6379;

/// The `elasticache` kind.
#[derive(Debug)]
pub(crate) struct Elasticache;

/// A row of the stdlib's `versions` table.
struct Version<'a> {
    engine: &'a str,
    version: &'a str,
    family: &'a str,
}

/// A string or symbol of a table row.
fn field(pairs: &[(&'static str, Lit)], key: &str) -> Option<&'static str> {
    pairs
        .iter()
        .find(|(k, _)| *k == key)
        .and_then(|(_, v)| match *v {
            Lit::Str(s) | Lit::Symbol(s) => Some(s),
            _ => None,
        })
}

fn versions(kind: &Kind) -> Vec<Version<'static>> {
    let Some(Lit::List(rows)) = kind.data("versions") else {
        return Vec::new();
    };
    rows.iter()
        .filter_map(|row| match row {
            Lit::Map(pairs) => Some(Version {
                engine: field(pairs, "engine")?,
                version: field(pairs, "version")?,
                family: field(pairs, "family")?,
            }),
            _ => None,
        })
        .collect()
}

/// The service's engine, and its version: the one given, or the newest of
/// the engine in the table.
fn engine(svc: &Service) -> (&str, Option<&str>) {
    let engine = svc.attrs.str("engine").unwrap_or("valkey");
    let version = svc.attrs.str("version").or_else(|| {
        versions(svc.kind)
            .into_iter()
            .rev()
            .find(|v| v.engine == engine)
            .map(|v| v.version)
    });
    (engine, version)
}

/// ElastiCache's prefix of global datastore ids created in `region`.
fn id_prefix(kind: &Kind, region: &str) -> Option<&'static str> {
    match kind.data("prefixes")? {
        Lit::Map(pairs) => pairs
            .iter()
            .find(|(k, _)| *k == region)
            .and_then(|(_, v)| match *v {
                Lit::Str(s) => Some(s),
                _ => None,
            }),
        _ => None,
    }
}

/// The global datastore's full id: the primary region's prefix and our suffix.
fn datastore_id(model: &Model, i: usize, suffix: &str) -> String {
    let primary = &model.regions[model.primary()].code;
    let prefix = id_prefix(model.services[i].kind, primary).unwrap_or("");
    cat!(prefix, "-", suffix)
}

impl Behaviour for Elasticache {
    #[cfg(test)]
    fn name(&self) -> &'static str {
        "elasticache"
    }
    fn global(&self) -> Option<&'static str> {
        Some("global-datastore")
    }
    fn in_vpc(&self) -> bool {
        true
    }
    /// A secondary group joins the datastore, which the primary group founds.
    fn regional_edges(&self, model: &Model, i: usize, region: usize) -> Vec<(NodeKind, usize)> {
        super::kinds::joins_global(model, i, region)
    }
    fn global_edges(&self, model: &Model, i: usize) -> Vec<(NodeKind, usize)> {
        super::kinds::founded_by_primary(model, i)
    }
    fn size(&self, model: &Model, _i: usize, region: usize, part: Part) -> (usize, usize) {
        match part {
            Part::Global => (1, 0),
            // Key, subnet group, security group, replication group, and in
            // the primary the token's secret; the endpoints as outputs.
            Part::Regional => {
                let primary = model.regions[region].role == Role::Primary;
                (4 + usize::from(primary), 2)
            }
        }
    }
    fn lower(&self, ctx: &mut Ctx, i: usize, part: Part) {
        match part {
            Part::Regional => lower_group(ctx, i),
            Part::Global => lower_datastore(ctx, i),
        }
    }
    fn value(&self, ctx: &Ctx, i: usize, key: &str) -> Option<(Json, bool)> {
        let group = ctx.id(i, "ReplicationGroup");
        let sharded = ctx.service(i).attrs.int("shards").unwrap_or(1) > 1;
        match key {
            "ReplicationGroupId" => Some((r#ref(&group), false)),
            // A sharded (cluster mode) group has one configuration endpoint.
            "Endpoint" if sharded => {
                Some((get_att(&group, "ConfigurationEndPoint.Address"), false))
            }
            "Endpoint" => Some((get_att(&group, "PrimaryEndPoint.Address"), false)),
            "ReaderEndpoint" if !sharded => {
                Some((get_att(&group, "ReaderEndPoint.Address"), false))
            }
            _ => None,
        }
    }
    fn outputs(&self, ctx: &mut Ctx, i: usize, part: Part) {
        if part == Part::Global {
            return;
        }
        let sharded = ctx.service(i).attrs.int("shards").unwrap_or(1) > 1;
        let group = ctx.id(i, "ReplicationGroup");
        if sharded {
            ctx.output(
                &ctx.id(i, "Endpoint"),
                "Cache configuration endpoint (read-only until promoted in a secondary)",
                get_att(&group, "ConfigurationEndPoint.Address"),
            );
        } else {
            ctx.output(
                &ctx.id(i, "Endpoint"),
                "Cache primary endpoint (read-only until promoted in a secondary)",
                get_att(&group, "PrimaryEndPoint.Address"),
            );
            ctx.output(
                &ctx.id(i, "ReaderEndpoint"),
                "Cache reader endpoint",
                get_att(&group, "ReaderEndPoint.Address"),
            );
        }
    }
    /// The region's endpoints, its port, and the AUTH token's secret (the
    /// replica in this region), read by ECS when the task starts.
    fn provide(&self, ctx: &mut Ctx, i: usize, var: &str, out: &mut Provided) {
        let endpoint = ctx.value(NodeKind::Service(i), "Endpoint");
        out.env
            .push(json!({ "Name": cat!(var, "_ENDPOINT"), "Value": endpoint }));
        if ctx.service(i).attrs.int("shards").unwrap_or(1) == 1 {
            let reader = ctx.value(NodeKind::Service(i), "ReaderEndpoint");
            out.env
                .push(json!({ "Name": cat!(var, "_READER_ENDPOINT"), "Value": reader }));
        }
        out.env
            .push(json!({ "Name": cat!(var, "_PORT"), "Value": PORT.to_string() }));
        // Encrypted with `aws/secretsmanager` in every region (`auth_secret`).
        let secret = ctx.name(NameKind::AuthSecret, i, "");
        out.secret(ctx.region_code(), var, &secret, None);
    }
    fn failover(&self, names: &Names, i: usize, region: usize) -> Option<Action> {
        Some(promote(names, i, region))
    }
    fn failback(&self, names: &Names, i: usize, _region: usize) -> Option<Action> {
        Some(promote(names, i, names.model.primary()))
    }
    fn verify(&self, names: &Names, i: usize, region: usize, back: bool) -> Vec<Check> {
        let model = names.model;
        let code = &model.regions[region].code;
        let target = if back { model.primary() } else { region };
        let id = datastore_id(model, i, &names.name(NameKind::GlobalDatastore, i, ""));
        vec![Check {
            what: cat!("the primary of the global datastore `", id, "`"),
            command: cat!("aws elasticache describe-global-replication-groups --region ", code, " --global-replication-group-id ", id, " --show-member-info --query 'GlobalReplicationGroups[0].[Status, Members[?Role==`PRIMARY`].ReplicationGroupRegion | [0]]' --output text"),
            expect: cat!("`available` and `", model.regions[target].code, "`"),
        }]
    }
    fn secret(&self) -> Option<(NameKind, &'static [&'static str])> {
        Some((NameKind::AuthSecret, &["token"]))
    }
    fn names(&self) -> &'static [NameKind] {
        &[
            NameKind::ReplicationGroup,
            NameKind::GlobalDatastore,
            NameKind::AuthSecret,
        ]
    }
    fn check(&self, p: &Partial, svc: &Service, diags: &mut Vec<Diagnostic>) {
        check_version(svc, diags);
        super::kinds::check_secondaries(
            p,
            svc,
            TOO_MANY_SECONDARIES,
            "an ElastiCache global datastore",
            diags,
        );
        check_prefix(p, svc, diags);
        check_active_active(p, svc, diags);
    }
}

/// The runbook step that makes `target`'s replication group the datastore's
/// primary (`FailoverGlobalReplicationGroup` [K9]), and the wait until the
/// datastore is available again. A failback promotes the primary region's
/// group the same way.
pub(crate) fn promote(names: &Names, i: usize, target: usize) -> Action {
    let model = names.model;
    let code = &model.regions[target].code;
    let id = datastore_id(model, i, &names.name(NameKind::GlobalDatastore, i, ""));
    let group = names.name(NameKind::ReplicationGroup, i, code);
    let group_arn = |region: &str| {
        sub(format!(
            "arn:${{AWS::Partition}}:elasticache:{region}:${{AWS::AccountId}}:replicationgroup:{}",
            names.name(NameKind::ReplicationGroup, i, region)
        ))
    };
    // Every member group: the runbook acts on whichever is primary when it
    // runs, which after an earlier failover is not the primary region's.
    let members = std::iter::once(model.primary()).chain(
        model.services[i]
            .replication
            .iter()
            .flat_map(|r| r.regions.iter().copied()),
    );
    let mut resources = vec![sub(format!(
        "arn:${{AWS::Partition}}:elasticache::${{AWS::AccountId}}:globalreplicationgroup:{id}"
    ))];
    resources.extend(members.map(|r| group_arn(&model.regions[r].code)));
    Action {
        service: i,
        start: json!({
            "name": cat!("Failover", names.id(i)),
            "action": "aws:executeAwsApi",
            "inputs": {
                "Service": "elasticache",
                "Api": "FailoverGlobalReplicationGroup",
                "GlobalReplicationGroupId": &id,
                "PrimaryRegion": code,
                "PrimaryReplicationGroupId": &group,
            },
        }),
        wait: vec![json!({
            "name": cat!("WaitFor", names.id(i)),
            "action": "aws:waitForAwsResourceProperty",
            "timeoutSeconds": 900,
            "inputs": {
                "Service": "elasticache",
                "Api": "DescribeGlobalReplicationGroups",
                "GlobalReplicationGroupId": &id,
                "PropertySelector": "$.GlobalReplicationGroups[0].Status",
                "DesiredValues": ["available"],
            },
        })],
        statement: json!({
            "Effect": "Allow",
            "Action": ["elasticache:DescribeGlobalReplicationGroups", "elasticache:FailoverGlobalReplicationGroup"],
            "Resource": resources,
        }),
    }
}

fn lower_datastore(ctx: &mut Ctx, i: usize) {
    let svc = ctx.service(i);
    let group = ctx.value(NodeKind::Service(i), "ReplicationGroupId");
    let primary = ctx.region_code();
    retain(ctx.add(
        &ctx.id(i, "GlobalDatastore"),
        "AWS::ElastiCache::GlobalReplicationGroup",
        json!({
            "GlobalReplicationGroupIdSuffix": ctx.name(NameKind::GlobalDatastore, i, ""),
            "GlobalReplicationGroupDescription": cat!("Global datastore of ", svc.name),
            // The secondaries join by id from their own stacks, later: listing
            // them here would need them to exist first.
            "Members": [{ "ReplicationGroupId": group, "ReplicationGroupRegion": primary, "Role": "PRIMARY" }],
        }),
        Tags::None,
    ));
}

fn lower_group(ctx: &mut Ctx, i: usize) {
    let svc = ctx.service(i);
    let region = ctx.region_code();
    let stem = ctx.id(i, "");
    let id = |what: &str| cat!(stem, what);
    let (key, subnets, sg, group, secret) = (
        id("Key"),
        id("SubnetGroup"),
        id("SecurityGroup"),
        id("ReplicationGroup"),
        id("AuthSecret"),
    );
    let private = ctx.value(NodeKind::Network, "PrivateSubnets");
    // Retained: a deleted key would make the retained groups unreadable.
    ctx.retained_key(
        &key,
        cat!("Encryption at rest of the cache ", svc.name, " in ", region),
    );
    ctx.add(
        &subnets,
        "AWS::ElastiCache::SubnetGroup",
        json!({ "Description": cat!("Private subnets of ", svc.name), "SubnetIds": private }),
        Tags::List("Tags"),
    );
    ctx.vpc_security_group(&sg, cat!("Cache ", svc.name), PORT, "Valkey/Redis OSS");
    let secret_name = ctx.name(NameKind::AuthSecret, i, "");
    let shards = svc.attrs.int("shards").unwrap_or(1);
    let replicas = svc.attrs.int("replicas").unwrap_or(1);
    let mut props = json!({
        "ReplicationGroupId": ctx.name(NameKind::ReplicationGroup, i, region),
        "ReplicationGroupDescription": cat!(svc.name, " in ", region),
        "CacheSubnetGroupName": r#ref(&subnets),
        "SecurityGroupIds": [get_att(&sg, "GroupId")],
        "Port": PORT,
        "AutomaticFailoverEnabled": true,
        "MultiAZEnabled": true,
        "AtRestEncryptionEnabled": true,
        "KmsKeyId": get_att(&key, "Arn"),
        "TransitEncryptionEnabled": true,
        // The replica of the secret has the same name in every region.
        "AuthToken": cat!("{{resolve:secretsmanager:", secret_name, ":SecretString:token}}"),
    });
    if shards > 1 {
        props["ReplicasPerNodeGroup"] = json!(replicas);
    } else {
        props["NumCacheClusters"] = json!(replicas + 1);
    }
    if ctx.is_primary() {
        auth_secret(ctx, i, &secret, &secret_name);
        let (engine, version) = engine(svc);
        props["Engine"] = json!(engine);
        props["EngineVersion"] = json!(version.unwrap_or_default());
        props["CacheNodeType"] = json!(svc.attrs.str("node").unwrap_or_default());
        if shards > 1 {
            let family = versions(svc.kind)
                .into_iter()
                .find(|v| v.engine == engine && Some(v.version) == version)
                .map_or("", |v| v.family);
            props["NumNodeGroups"] = json!(shards);
            props["CacheParameterGroupName"] = json!(cat!("default.", family, ".cluster.on"));
        }
    } else {
        // Engine, version, node type and shards are the datastore's [K1].
        props["GlobalReplicationGroupId"] = json!(datastore_id(
            ctx.model,
            i,
            &ctx.name(NameKind::GlobalDatastore, i, "")
        ));
    }
    let primary = ctx.is_primary();
    let g = ctx.add(
        &group,
        "AWS::ElastiCache::ReplicationGroup",
        props,
        Tags::List("Tags"),
    );
    retain(g);
    if primary {
        // A dynamic reference by name makes no dependency by itself.
        g.insert("DependsOn", json!([secret]));
    }
}

/// The AUTH token's secret, in the primary region, replicated to every
/// secondary. Encrypted with the AWS managed key `aws/secretsmanager` in every
/// region: a secondary's own key does not exist yet when the replica is made,
/// and services that need the cache read the token with `GetSecretValue`
/// alone. Letters and digits only: a token's other characters are
/// restricted [K5].
fn auth_secret(ctx: &mut Ctx, i: usize, logical: &str, name: &str) {
    let svc = ctx.service(i);
    let replicas: Vec<Json> = svc
        .replication
        .iter()
        .flat_map(|r| &r.regions)
        .map(|&r| json!({ "Region": &ctx.model.regions[r].code, "KmsKeyId": "alias/aws/secretsmanager" }))
        .collect();
    let mut props = json!({
        "Name": name,
        "Description": cat!("AUTH token of the cache ", svc.name),
        "GenerateSecretString": {
            "SecretStringTemplate": "{}",
            "GenerateStringKey": "token",
            "PasswordLength": 64,
            "ExcludePunctuation": true,
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

/// E242: a version the table does not list for the engine (or one without
/// global datastores).
fn check_version(svc: &Service, diags: &mut Vec<Diagnostic>) {
    let Some(version) = svc.attrs.str("version") else {
        return;
    };
    let engine = svc.attrs.str("engine").unwrap_or("valkey");
    let table = versions(svc.kind);
    if table
        .iter()
        .any(|v| v.engine == engine && v.version == version)
    {
        return;
    }
    let known: Vec<String> = table
        .iter()
        .filter(|v| v.engine == engine)
        .map(|v| format!("\"{}\"", v.version))
        .collect();
    let newest = table
        .iter()
        .rev()
        .find(|v| v.engine == engine)
        .map_or("", |v| v.version);
    let other = table
        .iter()
        .find(|v| v.engine != engine && v.version == version)
        .map(|v| v.engine);
    let at = svc.attrs.origin("version").map_or(svc.span, |o| o.span);
    let label = match other {
        Some(other) => format!("a {other} version, not a {engine} one"),
        None => format!(
            "not a {engine} version tapc knows for a global datastore: {}",
            known.join(", ")
        ),
    };
    diags.push(
        Diagnostic::error(
            "E242",
            format!(
                "`{}` cannot be a global datastore on {engine} {version}",
                svc.name
            ),
        )
        .label(at, label)
        .help(format!(
            "use a version of {engine} with global datastores, e.g. `version = \"{newest}\"`"
        )),
    );
}

/// W240: under `active_active` every region serves, but a global datastore
/// takes writes only in its primary region: it has no write forwarding [K1].
fn check_active_active(p: &Partial, svc: &Service, diags: &mut Vec<Diagnostic>) {
    let Some(platform) = p.platform else { return };
    if platform.strategy != crate::model::Strategy::ActiveActive || svc.replication.is_none() {
        return;
    }
    let Some(strategy) = platform.attrs.origin("strategy") else {
        return;
    };
    diags.push(
        Diagnostic::warning(
            "W240",
            format!("`{}` takes writes only in the primary region", svc.name),
        )
        .label(strategy.span, "every region serves")
        .label(
            svc.span,
            "a global datastore's secondaries are read-only until promoted",
        )
        .help(format!(
            "write `{}` only from the primary region, or keep one serving region with `strategy = warm_standby`",
            svc.name
        )),
    );
}

/// E244: the primary region's global datastore id prefix is not in the
/// table, so the secondaries cannot name the datastore [K3].
fn check_prefix(p: &Partial, svc: &Service, diags: &mut Vec<Diagnostic>) {
    if svc.replication.is_none() {
        return;
    }
    let Some(primary) = p.regions.iter().find(|r| r.role == Role::Primary) else {
        return;
    };
    if id_prefix(svc.kind, &primary.code).is_some() {
        return;
    }
    let known: Vec<&str> = match svc.kind.data("prefixes") {
        Some(Lit::Map(pairs)) => pairs.iter().map(|(k, _)| *k).collect(),
        _ => Vec::new(),
    };
    diags.push(
        Diagnostic::error(
            "E244",
            format!(
                "`{}` cannot be a global datastore with its primary in {}",
                svc.name, primary.code
            ),
        )
        .label(
            primary.span,
            "tapc does not know the global datastore id prefix of this region",
        )
        .label(svc.span, "a global datastore")
        .help(format!(
            "give `role = primary` to a region whose prefix tapc knows: {}",
            known.join(", ")
        )),
    );
}
