//! What a service kind is, beyond the fields the stdlib declares: its nodes and
//! edges in the deployment graph, its resources, values and outputs, what a
//! service that `needs` it receives, its failover runbook step, the names it
//! generates and its own checks. Each kind implements `Behaviour` in its own
//! file; `KINDS` registers them, once. The graph, the lowering, the runbook and
//! the checker ask the kind and know none by name.
//!
//! The stdlib loader pairs every stdlib kind with its implementation here and
//! fails on a kind without one (`stdlib::load`, which writes the schema
//! compiled into tapc); a unit test asserts both ways.

use super::json::{json, Json};
use super::runbook::{Action, Check, Names};
use super::{aurora, dynamodb, elasticache, eventbridge, fargate, s3, sub, Ctx};
use crate::check::Partial;
use crate::diag::Diagnostic;
use crate::graph::NodeKind;
use crate::model::{Model, Service};
use crate::names::NameKind;
use crate::stdlib::Lit;
use crate::text::cat;

/// Every implemented kind, in the order of the stdlib.
pub(crate) static KINDS: [&dyn Behaviour; 6] = [
    &fargate::Fargate,
    &aurora::Aurora,
    &dynamodb::Dynamodb,
    &s3::S3,
    &eventbridge::Eventbridge,
    &elasticache::Elasticache,
];

/// The implementation of the stdlib kind `name`.
#[cfg(test)]
pub(crate) fn find(name: &str) -> Option<&'static dyn Behaviour> {
    KINDS.iter().copied().find(|k| k.name() == name)
}

/// Which of a service's nodes: the one in each region (`NodeKind::Service`),
/// or the global part in the primary (`NodeKind::Global`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    Regional,
    Global,
}

/// What the services a service needs give it in its region.
#[derive(Debug, Default)]
pub(crate) struct Provided {
    /// Plain environment variables of the container (`Environment`).
    pub env: Vec<Json>,
    /// Variables ECS reads from Secrets Manager when the task starts
    /// (`Secrets`), with the execution role.
    pub secrets: Vec<Json>,
    /// Statements of the task role: what the application itself calls.
    pub task: Vec<Json>,
    /// Statements of the execution role: what ECS reads for the task.
    pub execution: Vec<Json>,
}

impl Provided {
    /// The secret `name`, replicated to every region of the service that owns
    /// it, as the variable `{var}_SECRET` (its whole JSON document). ECS reads
    /// it when the task starts, by name: the replica in this region has the
    /// same name but an ARN of its own (a random suffix no stack of this region
    /// can know), and ECS accepts a secret's name when it is in the task's
    /// region (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html).
    /// The execution role may read exactly that secret: Secrets Manager ends
    /// every ARN with `-` and six characters
    /// (https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_iam-policies.html).
    /// `key` is the customer managed key of the secret in this region, if it
    /// has one (the primary's copy); replicas use `aws/secretsmanager`, whose
    /// key policy already lets the account use it through Secrets Manager.
    pub(crate) fn secret(&mut self, region: &str, var: &str, name: &str, key: Option<Json>) {
        self.secrets
            .push(json!({ "Name": cat!(var, "_SECRET"), "ValueFrom": name }));
        self.execution.push(json!({
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": sub(cat!("arn:${AWS::Partition}:secretsmanager:", region, ":${AWS::AccountId}:secret:", name, "-??????")),
        }));
        if let Some(key) = key {
            self.execution.push(json!({
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": key,
                "Condition": { "StringEquals": { "kms:ViaService": cat!("secretsmanager.", region, ".amazonaws.com") } },
            }));
        }
    }
}

pub(crate) trait Behaviour: Sync + std::fmt::Debug {
    /// The stdlib kind this implements (the loader pairs them by it; the
    /// schema compiled into tapc holds the pairs).
    #[cfg(test)]
    fn name(&self) -> &'static str;

    // The deployment graph.

    /// Whether the service has a node in every region. Without one, its
    /// global part stands for it (and carries its `needs`).
    fn regional(&self) -> bool {
        true
    }
    /// The label of the node in the primary that holds the global part, if any
    /// (`ledger/global-cluster`).
    fn global(&self) -> Option<&'static str> {
        None
    }
    /// The regional node is in the region's VPC.
    fn in_vpc(&self) -> bool {
        false
    }
    /// Nodes the service's node in `region` depends on for replication.
    fn regional_edges(&self, _model: &Model, _i: usize, _region: usize) -> Vec<(NodeKind, usize)> {
        Vec::new()
    }
    /// Nodes the service's node in `region` depends on for what the second
    /// phase of its stack adds (`graph::Phase`): they are deployed after it.
    fn second_phase_edges(
        &self,
        _model: &Model,
        _i: usize,
        _region: usize,
    ) -> Vec<(NodeKind, usize)> {
        Vec::new()
    }
    /// The resources the second phase of the stack of the service's node in
    /// `region` adds (for cutting stacks to size): one per late edge unless
    /// the kind says otherwise.
    fn second_phase_size(&self, model: &Model, i: usize, region: usize) -> usize {
        self.second_phase_edges(model, i, region).len()
    }
    /// What the second phase adds, for the manifest's note: what it targets
    /// must exist first.
    fn second_phase_note(&self) -> Option<&'static str> {
        None
    }
    /// Nodes the global part depends on for replication.
    fn global_edges(&self, _model: &Model, _i: usize) -> Vec<(NodeKind, usize)> {
        Vec::new()
    }

    // The lowering.

    /// Resources `lower` emits for `part` in `region`, and at most how many
    /// outputs (operator outputs and exports).
    fn size(&self, model: &Model, i: usize, region: usize, part: Part) -> (usize, usize);
    /// Adds the resources of `part` in the context's region.
    fn lower(&self, ctx: &mut Ctx, i: usize, part: Part);
    /// What the second phase of the stack of the service's node in the
    /// context's region adds to its first phase's template: resources by
    /// logical ID, each merged into the resource of that ID if there is one.
    fn second_phase(&self, _ctx: &Ctx, _i: usize) -> Vec<(String, Json)> {
        Vec::new()
    }
    /// A value other stacks of the region import, as an expression in the
    /// stack of the regional node, and whether it is a list.
    fn value(&self, _ctx: &Ctx, _i: usize, _key: &str) -> Option<(Json, bool)> {
        None
    }
    /// The outputs operators look up, in the stack of `part`.
    fn outputs(&self, _ctx: &mut Ctx, _i: usize, _part: Part) {}
    /// What a service that needs service `i` receives, in `out`: environment
    /// variables and secrets (named from `var`), and the IAM statements of the
    /// task role and of the execution role that allow exactly that use.
    fn provide(&self, _ctx: &mut Ctx, _i: usize, _var: &str, _out: &mut Provided) {}
    /// The step of the failover runbook of `region` (a secondary), if any.
    fn failover(&self, _names: &Names, _i: usize, _region: usize) -> Option<Action> {
        None
    }
    /// The step of the failback runbook of `region` (a secondary) that
    /// returns the service to the primary region, if any: a planned switch
    /// without data loss for data, the standby size for compute. A kind with
    /// a failover step has one.
    fn failback(&self, _names: &Names, _i: usize, _region: usize) -> Option<Action> {
        None
    }
    /// How an operator checks, after the failover (or with `back`, the
    /// failback) runbook of `region`, that it did the service's step.
    fn verify(&self, _names: &Names, _i: usize, _region: usize, _back: bool) -> Vec<Check> {
        Vec::new()
    }
    /// What an operator does before the failback runbook of `region`, so
    /// that data written there while it served reaches the primary.
    fn before_failback(&self, _names: &Names, _i: usize, _region: usize) -> Vec<Check> {
        Vec::new()
    }
    /// The secret operators read the credentials from (named the same in
    /// every region it is replicated to), and its fields.
    fn secret(&self) -> Option<(NameKind, &'static [&'static str])> {
        None
    }

    // The checker.

    /// The physical names the kind generates (checked against AWS's rules).
    fn names(&self) -> &'static [NameKind];
    /// What the longest name of `kind` for `svc` adds after the region (a
    /// numbered second rule: `-2`), for the check of its length.
    fn name_tail(&self, _kind: NameKind, _svc: &Service) -> String {
        String::new()
    }
    /// An endpoint may target it: it has a load balancer in every region.
    fn load_balanced(&self) -> bool {
        false
    }
    /// Compute that pilot light keeps at zero and the runbook starts.
    fn compute(&self) -> bool {
        false
    }
    /// It has a replication-lag alarm in every secondary.
    fn lag_alarm(&self) -> bool {
        false
    }
    /// Rules of the kind that span attributes, items or AWS limits.
    fn check(&self, _p: &Partial, _svc: &Service, _diags: &mut Vec<Diagnostic>) {}
}

/// Edges of a kind whose secondaries join a global resource that the primary's
/// regional part founds (Aurora's global cluster, ElastiCache's global
/// datastore): a secondary needs the global part, which needs the primary.
pub(super) fn joins_global(model: &Model, i: usize, region: usize) -> Vec<(NodeKind, usize)> {
    let primary = model.primary();
    if region == primary {
        Vec::new()
    } else {
        vec![(NodeKind::Global(i), primary)]
    }
}

/// The global part of such a kind, founded by the primary's regional part.
pub(super) fn founded_by_primary(model: &Model, i: usize) -> Vec<(NodeKind, usize)> {
    vec![(NodeKind::Service(i), model.primary())]
}

/// E605, E243: a service of a global kind replicating to more secondary
/// regions than AWS allows (`what`: the global resource, for the message).
/// The limit is the kind's `max_secondaries`, with its source in the stdlib.
pub(super) fn check_secondaries(
    p: &Partial,
    svc: &Service,
    code: &'static str,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(rep) = &svc.replication else { return };
    let max = match svc.kind.data("max_secondaries") {
        Some(Lit::Int(n)) => usize::try_from(*n).unwrap_or(0),
        _ => 0,
    };
    if rep.regions.len() <= max {
        return;
    }
    let mut d = Diagnostic::error(
        code,
        format!(
            "`{}` replicates to {} secondary regions; {what} has at most {max}",
            svc.name,
            rep.regions.len()
        ),
    );
    for &span in &rep.region_spans[max..] {
        d = d.label(span, format!("beyond the first {max} secondaries"));
    }
    let extra: Vec<String> = rep.regions[max..]
        .iter()
        .map(|&r| format!("`{}`", p.regions[r].code))
        .collect();
    // Every stateful service reaches every secondary (E304), so the platform
    // itself must have at most `max` secondaries.
    diags.push(d.help(format!(
        "keep at most {max} secondary regions: remove {} from the platform and from this `replicate`, or give `{}` a platform of its own",
        extra.join(", "),
        svc.name
    )));
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_stdlib_kind_has_an_implementation_and_every_implementation_a_stdlib_kind() {
        let stdlib: Vec<&str> = crate::stdlib::schema()
            .kinds
            .iter()
            .map(|k| k.name)
            .collect();
        let implemented: Vec<&str> = super::KINDS.iter().map(|k| k.name()).collect();
        assert_eq!(stdlib, implemented);
    }

    #[test]
    fn a_stdlib_kind_without_an_implementation_fails_to_load() {
        let source = crate::stdlib::SOURCE.replace("schema s3 {", "schema s4 {");
        let err = crate::stdlib::load(&source).expect_err("s4 has no implementation");
        assert!(err.contains("s4"), "{err}");
    }
}
