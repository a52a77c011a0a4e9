//! Stage 4: the checked model and its deployment plan to CloudFormation
//! templates (one per stack) and `manifest.json`.
//!
//! Within a stack, resources refer to each other with `Ref`/`Fn::GetAtt`; across
//! stacks of one region through an export and `Fn::ImportValue`; across regions
//! only through literals built from deterministic physical names (`names`).

mod aurora;
mod dns;
mod dynamodb;
mod elasticache;
mod eventbridge;
mod fargate;
mod guide;
mod json;
pub(crate) mod kinds;
mod network;
pub(crate) mod runbook;
mod s3;
mod watch;

use crate::text::cat;
use std::sync::Mutex;

use petgraph::graph::NodeIndex;
use serde_json::Value;

use json::{json, Json, Obj};
use kinds::Part;

use crate::diag::Diagnostic;
use crate::graph::{self, NodeKind, Plan};
use crate::model::{duration, Model, Region, Role, Service, Strategy};
use crate::names::{self, NameKind};

/// CloudFormation quotas (aws-dr.md section 3, [C18]).
pub const MAX_RESOURCES: usize = 500;
pub const MAX_OUTPUTS: usize = 200;
pub const MAX_TEMPLATE_BYTES: usize = 1_000_000;
/// Above this a template must be uploaded to S3 to deploy.
pub const MAX_INLINE_BYTES: usize = 51_200;
/// IAM's quota on the inline policies of one role, in characters without
/// whitespace, with what CloudFormation resolves in them at its longest
/// (`json::resolved_len`): IAM quotas, "role policy size",
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html.
pub const MAX_POLICY: usize = 10_240;

pub struct Output {
    /// File name and contents, in deployment order, then `manifest.json` and
    /// `RUNBOOK.md`.
    pub files: Vec<(String, String)>,
    pub plan: Plan,
    pub manifest: Value,
}

/// From this many services on, regions are lowered on threads of their own.
const THREADS_FROM: usize = 32;

/// What `lower_with` returns once every file has been handed out.
pub struct Lowered {
    pub plan: Plan,
    pub manifest: Value,
    /// The resource count and bytes of each stack's template, in the plan's
    /// order: written, or only measured (`measure`).
    pub sizes: Vec<(usize, usize)>,
}

#[derive(Default)]
struct Template {
    resources: Obj,
    outputs: Obj,
    /// The resource count and the length of the resources' text, once the
    /// stack is lowered (later stacks add exports, never resources). The
    /// text goes out at once, as the template's first part: a template's
    /// text waiting for its exports took most of the memory of a large build.
    written: Option<(usize, usize)>,
    /// Measuring, the resources measured and dropped as soon as they were
    /// final: their count and the length of their members' text.
    measured: (usize, usize),
}

/// The lowering of one region (stacks of different regions share no values
/// but literals, so regions are lowered side by side).
pub(crate) struct Ctx<'m> {
    model: &'m Model,
    plan: &'m Plan,
    prefix: &'m str,
    /// Logical-ID stem of each service (`ledger` -> `Ledger`), unique.
    ids: &'m [String],
    /// One per stack of the plan; this region's are filled.
    templates: Vec<Template>,
    stack: usize,
    region: usize,
    /// This region's failover runbooks, taken as they are lowered.
    runbooks: Vec<Option<runbook::Runbook>>,
    /// Failover and failback runbook documents, with the stack of each.
    documents: Vec<(usize, String, String)>,
    /// What became of each of this region's stacks.
    made: Vec<Option<Made>>,
    /// The tags of each region, built once: every resource carries them.
    tags: Vec<Json>,
    diagnostics: Vec<Diagnostic>,
    /// Templates are measured, not written (`measure`).
    measure: bool,
    /// Measuring, where the resources of the node being lowered start in its
    /// stack's, unless a second phase completes them (they are kept for it).
    sealed_from: Option<usize>,
}

/// Lowers to all files in memory, in deployment order.
pub fn lower(model: &Model) -> Result<Output, Vec<Diagnostic>> {
    let files = Mutex::new(std::collections::BTreeMap::new());
    let Lowered { plan, manifest, .. } = lower_with(model, |index, name, text, _| {
        let mut files = lock(&files);
        let (_, whole): &mut (String, String) = files.entry(index).or_insert((name, String::new()));
        whole.push_str(&text);
    })?;
    let files = files.into_inner().unwrap_or_else(|e| e.into_inner());
    Ok(Output {
        files: files.into_values().collect(),
        plan,
        manifest,
    })
}

/// A lock that a panicked holder does not poison (the data is a plain list).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A template as lowered: resource count, output keys, bytes of text.
type Made = (usize, Vec<String>, usize);

/// Lowers, handing each file to `emit` in parts, as soon as each is final: its
/// index in deployment order (`manifest.json`, then `RUNBOOK.md` last), name,
/// the part's text, and whether it is the file's last. A template's first
/// part, up to its resources, comes when its stack is lowered; its outputs
/// come once the last stack importing from it is lowered. Regions are lowered
/// on threads of their own, which call `emit` concurrently, so files come in
/// no set order, and the parts of each in order;
/// only a few are in memory at a time.
/// On `Err` (a template beyond an AWS quota) files were emitted but there is
/// no manifest: the caller discards them.
pub fn lower_with(model: &Model, emit: impl Emit) -> Result<Lowered, Vec<Diagnostic>> {
    lower_all(model, false, emit)
}

/// Where `lower_with` hands a file's parts: index, name, text, last part.
pub trait Emit: Fn(usize, String, String, bool) + Sync {}
impl<F: Fn(usize, String, String, bool) + Sync> Emit for F {}

/// What only the lowering finds (a template or an IAM policy over AWS's
/// quotas), for `tapc check`: the templates are measured as `lower` would
/// write them, without writing their text.
pub fn measure(model: &Model) -> Result<(), Vec<Diagnostic>> {
    lower_all(model, true, |_, _, _, _| {}).map(|_| ())
}

fn lower_all(model: &Model, measure: bool, emit: impl Emit) -> Result<Lowered, Vec<Diagnostic>> {
    let (prefix, ids) = (platform_prefix(model), logical_stems(model));
    let runbooks = runbooks(model, &prefix, &ids);
    let plan = plan_with(model, &prefix, &runbooks);
    // The last stack of its region that imports from each stack (values cross
    // regions only as literals).
    let mut last_use: Vec<usize> = (0..plan.stacks.len()).collect();
    for e in plan.graph.edge_indices() {
        let (consumer, producer) = plan.graph.edge_endpoints(e).expect("edge exists");
        let (c, p) = (
            plan.stack_of[consumer.index()],
            plan.stack_of[producer.index()],
        );
        if plan.stacks[c].region == plan.stacks[p].region {
            last_use[p] = last_use[p].max(c);
        }
    }
    let mut regions: Vec<Ctx> = runbooks
        .into_iter()
        .enumerate()
        .map(|(region, runbooks)| Ctx {
            model,
            plan: &plan,
            prefix: &prefix,
            ids: &ids,
            templates: plan.stacks.iter().map(|_| Template::default()).collect(),
            stack: 0,
            region,
            runbooks: runbooks.into_iter().map(Some).collect(),
            documents: Vec::new(),
            made: plan.stacks.iter().map(|_| None).collect(),
            tags: Vec::new(),
            diagnostics: Vec::new(),
            measure,
            sealed_from: None,
        })
        .collect();
    // The first region on this thread, the others on threads of their own,
    // unless the platform is small: a thread costs about 0.15 ms of CPU to
    // start, which is what a region of a few services takes to lower (the
    // reference program's check spent 12% of its CPU on two threads).
    std::thread::scope(|scope| {
        let (first, others) = regions.split_first_mut().expect("a primary region");
        for ctx in others {
            let (last_use, emit) = (&last_use, &emit);
            if model.services.len() < THREADS_FROM {
                ctx.lower_region(last_use, emit);
            } else {
                scope.spawn(move || ctx.lower_region(last_use, emit));
            }
        }
        first.lower_region(&last_use, &emit);
    });
    let mut made: Vec<Option<Made>> = plan.stacks.iter().map(|_| None).collect();
    let (mut diags, mut documents) = (Vec::new(), Vec::new());
    // A check made in every region (the names and ARNs it measures spell the
    // region) reports once, for the first region over the limit.
    let mut reported = rustc_hash::FxHashSet::default();
    for ctx in regions {
        for found in ctx.diagnostics {
            if reported.insert((found.code, found.message.clone(), found.primary_span())) {
                diags.push(found);
            }
        }
        documents.extend(ctx.documents);
        for (s, m) in ctx.made.into_iter().enumerate() {
            if m.is_some() {
                made[s] = m;
            }
        }
    }
    documents.sort_by_key(|(stack, _, _)| *stack);
    // A failback runbook's name is its failover runbook's, as long.
    for (_, document, _) in &documents {
        planned_name(model, NameKind::Document, document, &mut diags);
    }
    let mut stacks_json = Vec::new();
    let mut sizes = Vec::with_capacity(plan.stacks.len());
    for (stack, made) in plan.stacks.iter().zip(made) {
        let (resources, outputs, bytes) = made.expect("every stack is lowered by its region");
        sizes.push((resources, bytes));
        planned_name(model, NameKind::Stack, &stack.name, &mut diags);
        if resources > MAX_RESOURCES || outputs.len() > MAX_OUTPUTS || bytes > MAX_TEMPLATE_BYTES {
            diags.push(
                Diagnostic::error("E602", format!("stack `{}` exceeds CloudFormation's limits", stack.name))
                    .label(model.platform.name_span, format!(
                        "{resources} resources (limit {MAX_RESOURCES}), {} outputs (limit {MAX_OUTPUTS}), {bytes} bytes (limit {MAX_TEMPLATE_BYTES})",
                        outputs.len()
                    ))
                    .help("split the platform into several programs, each with fewer services"),
            );
        }
        // `measure` wants only the diagnostics: no manifest.
        if measure {
            continue;
        }
        let mut entry = serde_json::json!({
            "name": stack.name,
            "region": model.regions[stack.region].code,
            "role": role(&model.regions[stack.region]),
            "wave": stack.wave + 1,
            "phase": stack.phase(),
            "template": template_file(stack),
            "depends_on": stack.depends_on.iter().map(|&d| plan.stacks[d].name.clone()).collect::<Vec<_>>(),
            "parameters": {},
            "resources": resources,
            "outputs": outputs,
            "needs_s3_upload": bytes > MAX_INLINE_BYTES,
        });
        if let Some(phase) = &stack.phase2 {
            let mut adds: Vec<&str> = phase
                .nodes
                .iter()
                .filter_map(|&n| match plan.graph[n].kind {
                    NodeKind::Service(i) => model.services[i].kind.imp.second_phase_note(),
                    _ => None,
                })
                .collect();
            adds.sort_unstable();
            adds.dedup();
            entry["note"] = serde_json::json!(format!(
                "phase 2 of the stack first deployed in wave {}: the same stack, updated with a template that adds what needs a stack deployed after its first phase ({}, which must exist first)",
                plan.stacks[phase.first].wave + 1,
                adds.join("; ")
            ));
        }
        stacks_json.push(entry);
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    let runbooks: Vec<(usize, String, String)> = documents
        .into_iter()
        .map(|(s, document, failback)| (plan.stacks[s].region, document, failback))
        .collect();
    if measure {
        return Ok(Lowered {
            plan,
            manifest: Value::Null,
            sizes,
        });
    }
    let manifest = manifest(model, stacks_json, &runbooks);
    let mut text = serde_json::to_string_pretty(&manifest).expect("a JSON value serializes");
    text.push('\n');
    emit(plan.stacks.len(), "manifest.json".into(), text, true);
    emit(
        plan.stacks.len() + 1,
        "RUNBOOK.md".into(),
        guide::write(model, &prefix, &ids, &runbooks),
        true,
    );
    Ok(Lowered {
        plan,
        manifest,
        sizes,
    })
}

/// E601 for a name the plan numbers: a stack's wave and part (the checker
/// measured the first wave's name) and the runbooks' (only the lowering knows
/// whether a region has any, and how many).
fn planned_name(model: &Model, kind: NameKind, name: &str, diags: &mut Vec<Diagnostic>) {
    let Some((reason, _)) = names::violation(kind, name) else {
        return;
    };
    let help = match kind {
        NameKind::Stack => {
            "shorten the platform name: wave and part numbers add to the stack names"
        }
        _ => "rename the platform: its runbooks are named after it (PLATFORM-failover-REGION)",
    };
    diags.push(
        Diagnostic::error("E601", format!("the {} `{name}` {reason}", kind.describe()))
            .label(
                model.platform.name_span,
                format!("the platform name makes the {} invalid", kind.describe()),
            )
            .help(help),
    );
}

/// The DAG and stacks `lower` uses (for `tapc graph`).
pub fn plan(model: &Model) -> Plan {
    let prefix = platform_prefix(model);
    plan_with(
        model,
        &prefix,
        &runbooks(model, &prefix, &logical_stems(model)),
    )
}

/// The failover runbooks of each region.
fn runbooks(model: &Model, prefix: &str, ids: &[String]) -> Vec<Vec<runbook::Runbook>> {
    (0..model.regions.len())
        .map(|r| match model.regions[r].role {
            Role::Primary => Vec::new(),
            Role::Secondary => runbook::runbooks(model, prefix, ids, r),
        })
        .collect()
}

fn plan_with(model: &Model, prefix: &str, runbooks: &[Vec<runbook::Runbook>]) -> Plan {
    let services: Vec<Vec<Vec<usize>>> = runbooks
        .iter()
        .map(|r| r.iter().map(|b| b.services.clone()).collect())
        .collect();
    let per_resource = resource_bytes(model);
    graph::plan(
        model,
        prefix,
        &services,
        &|kind, region| {
            let (mut resources, outputs) = size(model, kind, region);
            // What the second phase of the stack adds (a role and rules):
            // counted here, so that it fits too.
            if let NodeKind::Service(i) = kind {
                resources += model.services[i]
                    .kind
                    .imp
                    .second_phase_size(model, i, region);
            }
            let bytes = match kind {
                // The canary's script and the watch's roles, generously.
                NodeKind::Runbook(k) => {
                    runbooks[region][k].bytes + 1_500 * watch::size(model, region, k)
                }
                // Each need adds an environment variable and IAM statements.
                NodeKind::Service(i) => {
                    resources * per_resource + model.services[i].needs.len() * 800
                }
                _ => resources * per_resource,
            };
            [resources, outputs, bytes]
        },
        [MAX_RESOURCES, MAX_OUTPUTS, MAX_TEMPLATE_BYTES],
    )
}

/// The template text a resource takes, at most in practice: 2.6 KB are
/// measured for the largest (a replicating bucket), 1.3 KB on average, plus
/// the platform's tags, which every resource carries.
fn resource_bytes(model: &Model) -> usize {
    let tags: usize = model
        .platform
        .attrs
        .map("tags")
        .iter()
        .map(|(k, v)| k.len() + v.len() + 100)
        .sum();
    2_000 + tags
}

fn platform_prefix(model: &Model) -> String {
    let suffix = model.platform.suffix.as_ref().map(|(s, _)| s.as_str());
    names::prefix(&model.platform.name, suffix)
}

/// How many resources `lower_node` emits for a node, and at most how many outputs
/// (operator outputs and exports), so the graph stage can cut stacks to
/// CloudFormation's quotas. `tests/lower/stacks.rs` checks the resources against the output.
pub fn size(model: &Model, kind: NodeKind, region: usize) -> (usize, usize) {
    let r = &model.regions[region];
    match kind {
        NodeKind::Network => {
            let azs = r.attrs.int("azs").unwrap_or(2) as usize;
            let nats = r.attrs.int("nat_gateways").unwrap_or(1) as usize;
            // With a replicated registry, its replication rule in the primary.
            let registry = r.role == Role::Primary
                && fargate::replicated(model)
                && !fargate::repositories(model).is_empty();
            (
                5 + azs * (5 + usize::from(nats > 0)) + 2 * nats + usize::from(registry),
                4,
            )
        }
        NodeKind::Service(i) => model.services[i]
            .kind
            .imp
            .size(model, i, region, Part::Regional),
        NodeKind::Global(i) => model.services[i]
            .kind
            .imp
            .size(model, i, region, Part::Global),
        NodeKind::Zone(_) => (1, 1),
        NodeKind::Chain(..) => (1, 0),
        // The load balancer's check and the record; a check per later
        // secondary's serving alarm and the calculated check over them; in a
        // secondary, its serving alarm (with the first endpoint); none of
        // those under active_active. With `failover = automatic`, the
        // primary's record the canaries probe.
        NodeKind::Record(e) => {
            let active = model.platform.strategy == Strategy::ActiveActive;
            let order = graph::region_order(model);
            let k = order.iter().position(|&o| o == region).unwrap_or(0);
            let later = if active { 0 } else { order.len() - k - 1 };
            // The alarm, its topic and a subscription per `notify` address.
            let notify = model.platform.attrs.strings("notify").len();
            let alarm = usize::from(e == 0 && r.role == Role::Secondary && !active) * (2 + notify);
            let serving = usize::from(later > 0 && r.role == Role::Secondary);
            let direct = usize::from(r.role == Role::Primary && watch::automatic(model));
            (
                2 + later + usize::from(later > 0) + serving + alarm + direct,
                0,
            )
        }
        // The role, the failover and failback documents, and the watch.
        NodeKind::Runbook(k) => (3 + watch::size(model, region, k), 0),
    }
}

fn role(r: &Region) -> &'static str {
    match r.role {
        Role::Primary => "primary",
        Role::Secondary => "secondary",
    }
}

fn manifest(model: &Model, stacks: Vec<Value>, runbooks: &[(usize, String, String)]) -> Value {
    use serde_json::json;
    // Per secondary, in the order DNS fails over (the chain of `dns.rs`).
    let order = graph::region_order(model);
    let command = |code: &str, document: &str| {
        cat!(
            "aws ssm start-automation-execution --region ",
            code,
            " --document-name ",
            document
        )
    };
    let mut failover: Vec<Value> = Vec::new();
    for (rank, &r) in order.iter().enumerate().skip(1) {
        let code = &model.regions[r].code;
        for (_, document, failback) in runbooks.iter().filter(|(region, _, _)| *region == r) {
            failover.push(json!({
                "region": code,
                "dns_rank": rank,
                "document": document,
                "command": command(code, document),
                "failback": {
                    "document": failback,
                    "command": command(code, failback),
                },
            }));
        }
    }
    let dns_order: Vec<&str> = order
        .iter()
        .skip(1)
        .map(|&r| model.regions[r].code.as_str())
        .collect();
    let dr = json!({
        "dns_failover_order": dns_order,
        "start": "the failover runbook(s) of exactly one secondary: the first in dns_failover_order that is up, unless you choose another; its failback runbook(s) return to the primary",
        "serving_metric": { "namespace": runbook::NAMESPACE, "metric": runbook::METRIC, "dimension": { "Platform": platform_prefix(model) } },
        "runbook_md": "RUNBOOK.md",
    });
    let mut budget = json!({});
    if let Some(rto) = &model.budget.rto {
        budget["rto"] = json!({
            "objective": duration(rto.objective),
            "total": duration(rto.total),
            "terms": rto.terms.iter().map(|t| json!({ "name": t.name, "value": duration(t.ms), "how": t.how })).collect::<Vec<_>>(),
        });
    }
    // By service name, so the order of the program's items does not matter.
    let mut rpo: Vec<_> = model.budget.rpo.iter().collect();
    rpo.sort_by(|a, b| a.service.cmp(&b.service));
    budget["rpo"] = rpo
        .into_iter()
        .map(|r| {
            json!({
                "service": r.service,
                "lag": r.lag.map(duration),
                "objective": duration(r.objective),
                "source": r.source,
            })
        })
        .collect();
    // Where each database's master user secret is: created in the primary,
    // a replica of the same name in every secondary it replicates to.
    let prefix = platform_prefix(model);
    let secrets: Vec<Value> = model
        .services
        .iter()
        .filter_map(|s| Some((s, s.kind.imp.secret()?)))
        .map(|(s, (secret, fields))| {
            let regions: Vec<&str> = std::iter::once(model.primary())
                .chain(s.replication.iter().flat_map(|r| r.regions.iter().copied()))
                .map(|r| model.regions[r].code.as_str())
                .collect();
            json!({
                "service": s.name,
                "name": names::name(secret, &prefix, &s.name, "", ""),
                "regions": regions,
                "fields": fields,
            })
        })
        .collect();
    json!({
        "format_version": "1",
        "generator": cat!("tapc ", env!("CARGO_PKG_VERSION")),
        "platform": model.platform.name,
        "strategy": model.platform.strategy.as_str(),
        "primary": model.regions[model.primary()].code,
        "stacks": stacks,
        "failover": failover,
        "dr": dr,
        "secrets": secrets,
        "budget": budget,
    })
}

/// `tap:platform`, `tap:region` and the platform's own `tags`, sorted by key.
fn tags(model: &Model, region: usize) -> Json {
    let mut pairs: Vec<(&str, &str)> = vec![
        ("tap:platform", &model.platform.name),
        ("tap:region", &model.regions[region].code),
    ];
    for (k, v) in model.platform.attrs.map("tags") {
        pairs.retain(|(key, _)| *key != k);
        pairs.push((k, v));
    }
    pairs.sort();
    Json::Arr(
        pairs
            .into_iter()
            .map(|(k, v)| json!({ "Key": k, "Value": v }))
            .collect(),
    )
}

/// Logical-ID stems, made unique where two names differ only in `-`/`_`.
fn logical_stems(model: &Model) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(model.services.len());
    let mut seen =
        rustc_hash::FxHashSet::with_capacity_and_hasher(model.services.len(), Default::default());
    for (i, s) in model.services.iter().enumerate() {
        let camel = camel(&s.name);
        let mut stem = camel.clone();
        // Names alike but for punctuation (`t`, `t_`) take the
        // service's index, then more, until the stem is free: `t-2` may have
        // taken `T2` already.
        let mut k = i;
        while !seen.insert(stem.clone()) {
            stem = cat!(camel, k);
            k += model.services.len();
        }
        out.push(stem);
    }
    out
}

/// `cost-center_x` -> `CostCenterX`: logical IDs are alphanumeric.
pub(crate) fn camel(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut cs = p.chars();
            cs.next().map_or(String::new(), |c| {
                c.to_ascii_uppercase().to_string() + cs.as_str()
            })
        })
        .collect()
}

/// `{"Fn::Sub": ...}` with `${AWS::AccountId}` etc. resolved at deploy time.
pub(crate) fn sub(text: impl Into<String>) -> Json {
    json!({ "Fn::Sub": text.into() })
}

/// `DeletionPolicy` and `UpdateReplacePolicy` `Retain`: a resource that holds
/// data or unlocks it survives the deletion or replacement of its stack
/// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html).
pub(crate) fn retain(resource: &mut json::Obj) {
    resource.insert("DeletionPolicy", json!("Retain"));
    resource.insert("UpdateReplacePolicy", json!("Retain"));
}

pub(crate) fn get_att(logical: &str, attr: &'static str) -> Json {
    json!({ "Fn::GetAtt": [logical, (json::Json::Str(attr.into()))] })
}

pub(crate) fn r#ref(logical: &str) -> Json {
    json!({ "Ref": logical })
}

impl<'m> Ctx<'m> {
    fn lower_node(&mut self, n: NodeIndex) {
        match self.plan.graph[n].kind {
            NodeKind::Network => network::lower(self),
            NodeKind::Service(i) => self.model.services[i]
                .kind
                .imp
                .lower(self, i, Part::Regional),
            NodeKind::Global(i) => self.model.services[i].kind.imp.lower(self, i, Part::Global),
            NodeKind::Zone(e) => dns::lower_zone(self, e),
            NodeKind::Record(e) => dns::lower_record(self, e),
            NodeKind::Chain(e, level) => dns::lower_chain(self, e, level),
            NodeKind::Runbook(k) => {
                let runbook = self.runbooks[k]
                    .take()
                    .expect("each runbook is lowered once");
                let role = runbook.resources[0].0.clone();
                for (logical, ty, props) in runbook.resources {
                    self.add(&logical, ty, props, Tags::List("Tags"));
                }
                let prefix = platform_prefix(self.model);
                watch::lower(self, &prefix, k, &runbook.document, &role);
                self.documents
                    .push((self.stack, runbook.document, runbook.failback));
            }
        }
    }

    pub(crate) fn region_code(&self) -> &'m str {
        &self.model.regions[self.region].code
    }

    pub(crate) fn is_primary(&self) -> bool {
        self.region == self.model.primary()
    }

    pub(crate) fn service(&self, i: usize) -> &'m Service {
        &self.model.services[i]
    }

    pub(crate) fn id(&self, i: usize, what: &str) -> String {
        [self.ids[i].as_str(), what].concat()
    }

    /// The physical name of a resource of service `i` in `region`.
    pub(crate) fn name(&self, kind: NameKind, i: usize, region: &str) -> String {
        let (model, prefix, ids) = (self.model, self.prefix, self.ids);
        runbook::Names { model, prefix, ids }.name(kind, i, region)
    }

    /// Adds a resource with the platform's tags (in the form `tags` says, or none).
    pub(crate) fn add(
        &mut self,
        logical: &str,
        ty: &'static str,
        mut props: Json,
        tags: Tags,
    ) -> &mut Obj {
        self.seal();
        match tags {
            Tags::None => {}
            Tags::List(key) => {
                // One member more, not twice the room: most properties are
                // built whole by `json!`, with no room to spare.
                if let Some(o) = props.as_obj_mut() {
                    o.reserve_exact(1);
                }
                props[key] = self.tags(self.region);
            }
        }
        // Room for what callers add to a resource (`DependsOn`, the two
        // retention policies) without growing it.
        let mut resource = Obj::with_capacity(4);
        resource.push("Type", Json::Str(ty.into()));
        resource.push("Properties", props);
        self.templates[self.stack]
            .resources
            .push(logical.to_string(), Json::Obj(resource))
            .as_obj_mut()
            .expect("just pushed an object")
    }

    /// Measuring, measures and drops the resources the node being lowered
    /// has added, unless they are kept. A resource is final once the next is
    /// added: `add` hands it out only until then, and nothing else reaches a
    /// stack's resources. So no stack's tree is ever held whole (the largest
    /// stack's was most of `tapc check`'s memory).
    fn seal(&mut self) {
        if let Some(from) = self.sealed_from {
            let t = &mut self.templates[self.stack];
            for (key, value) in t.resources.drain_from(from) {
                t.measured.0 += 1;
                t.measured.1 += json::take_entry_len(&key, value, 1);
            }
        }
    }

    /// The tags of resources in `region`, as a list of `{Key, Value}`.
    pub(crate) fn tags(&self, region: usize) -> Json {
        self.tags[region].clone()
    }

    /// Lowers this region's stacks in deployment order, emitting each template
    /// once the last stack importing from it is lowered.
    fn lower_region(&mut self, last_use: &[usize], emit: &impl Emit) {
        let (model, plan) = (self.model, self.plan);
        self.tags = (0..model.regions.len())
            .map(|r| Json::shared(tags(model, r)))
            .collect();
        let mine: Vec<usize> = (0..plan.stacks.len())
            .filter(|&s| plan.stacks[s].region == self.region)
            .collect();
        for &s in &mine {
            // A second phase is written with its first (below).
            if plan.stacks[s].phase2.is_some() {
                continue;
            }
            self.stack = s;
            // The nodes whose resources a second phase of this stack completes.
            let completed: Vec<NodeIndex> = self
                .second_phases(s)
                .into_iter()
                .flat_map(|p| plan.stacks[p].phase2.iter().flat_map(|ph| ph.nodes.clone()))
                .collect();
            for &n in &plan.stacks[s].nodes {
                self.sealed_from = (self.measure && !completed.contains(&n))
                    .then(|| self.templates[s].resources.len());
                self.lower_node(n);
                self.seal();
            }
            self.sealed_from = None;
            self.operator_outputs();
            // A stack's resources are final once it is lowered (later stacks
            // add exports, never resources): its second phase, which adds
            // to them, is built now, and both go out as text.
            let mut resources = Json::Obj(std::mem::take(&mut self.templates[s].resources));
            self.templates[s].written = Some(self.written(s, &resources, emit));
            let seconds = self.second_phases(s);
            for (k, &p) in seconds.iter().enumerate() {
                let mut phase2 = if k + 1 == seconds.len() {
                    std::mem::replace(&mut resources, Json::Null)
                } else {
                    resources.clone()
                };
                let phase = plan.stacks[p].phase2.as_ref().expect("a second phase");
                // The members the second phase changes or adds, with what each
                // took in the first phase's text.
                let mut changed: Vec<(String, usize)> = Vec::new();
                for &n in &phase.nodes {
                    if let NodeKind::Service(i) = plan.graph[n].kind {
                        for (logical, add) in model.services[i].kind.imp.second_phase(self, i) {
                            let into = phase2.as_obj_mut().expect("resources are an object");
                            if !changed.iter().any(|(l, _)| *l == logical) {
                                let before = into
                                    .get(&logical)
                                    .map_or(0, |v| json::entry_len(&logical, v, 1));
                                changed.push((logical.clone(), before));
                            }
                            into.entry(logical, || Json::Null).merge(add);
                        }
                    }
                }
                let first = self.templates[s].written.expect("just written");
                self.templates[p].written = Some(if self.measure && first.0 > 0 {
                    // Measured as the first phase's length and the difference
                    // of what changed: most of the template is the first
                    // phase's, measured already.
                    let into = phase2.as_obj_mut().expect("resources are an object");
                    let len = changed.iter().fold(first.1, |len, (logical, before)| {
                        let after = into.get(logical).expect("merged into");
                        len + json::entry_len(logical, after, 1) - before
                    });
                    (self.templates[s].measured.0 + into.len(), len)
                } else {
                    self.written(p, &phase2, emit)
                });
            }
            for &f in mine.iter().filter(|&&f| f <= s && last_use[f] == s) {
                // A second phase keeps every export of its first (the update
                // must not drop an export another stack imports).
                let outputs = std::mem::take(&mut self.templates[f].outputs);
                for p in self.second_phases(f) {
                    self.made[p] = Some(self.finish(p, outputs.clone(), emit));
                }
                self.made[f] = Some(self.finish(f, outputs, emit));
            }
        }
    }

    /// The second phases of stack `s` (one at most in practice).
    fn second_phases(&self, s: usize) -> Vec<usize> {
        (0..self.plan.stacks.len())
            .filter(|&p| {
                self.plan.stacks[p]
                    .phase2
                    .as_ref()
                    .is_some_and(|ph| ph.first == s)
            })
            .collect()
    }

    /// Emits the first part of template `s`, up to the end of `resources`
    /// (only measures them when measuring); their count, and the length of
    /// their text.
    fn written(&self, s: usize, resources: &Json, emit: &impl Emit) -> (usize, usize) {
        let Json::Obj(o) = resources else {
            unreachable!("a stack's resources are an object")
        };
        let count = o.len();
        if self.measure {
            let (measured, items) = self.templates[s].measured;
            let items = items + json::members_len(o, 1);
            return (
                measured + count,
                json::object_len(measured + count, items, 1),
            );
        }
        // Templates take about 1.4 KB a resource (BENCHMARKS.md).
        let mut text = String::with_capacity(count * 1_500 + 200);
        head(&mut text, self.description(s));
        let start = text.len();
        json::write_pretty(resources, 1, &mut text);
        let len = text.len() - start;
        emit(s, template_file(&self.plan.stacks[s]), text, false);
        (count, len)
    }

    /// A value of node `kind` in this region: a `Ref`/`GetAtt` in the same stack,
    /// an export and `Fn::ImportValue` from an earlier stack of the region.
    /// A customer-managed key of this region, administered by the account,
    /// rotated, and retained: a deleted key would make the retained data it
    /// encrypts unreadable.
    pub(crate) fn retained_key(&mut self, logical: &str, description: String) {
        retain(self.add(
            logical,
            "AWS::KMS::Key",
            json!({
                "Description": description,
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
    }

    /// A security group of this region's VPC admitting TCP on `port` from the
    /// VPC only (`what`: who connects, for the rule's description).
    pub(crate) fn vpc_security_group(
        &mut self,
        logical: &str,
        group: String,
        port: u16,
        what: &str,
    ) {
        let vpc = self.value(NodeKind::Network, "VpcId");
        let vpc_cidr = self.value(NodeKind::Network, "VpcCidr");
        self.add(
            logical,
            "AWS::EC2::SecurityGroup",
            json!({
                "GroupDescription": group,
                "VpcId": vpc,
                "SecurityGroupIngress": [{ "IpProtocol": "tcp", "FromPort": port, "ToPort": port, "CidrIp": vpc_cidr, "Description": cat!(what, " from the VPC") }],
            }),
            Tags::List("Tags"),
        );
    }

    pub(crate) fn value(&mut self, kind: NodeKind, key: &str) -> Json {
        let producer = self
            .plan
            .node(kind, self.region)
            .expect("the node exists in this region");
        let (local, is_list) = self.expose(kind, key);
        let stack = self.plan.stack_of[producer.index()];
        if stack == self.stack {
            return local;
        }
        let output = key_of(kind, key, self.ids, self.model);
        let export = cat!(self.plan.stacks[stack].name, "-", output);
        let value = if is_list {
            json!({ "Fn::Join": [",", local] })
        } else {
            local
        };
        let entry = self.templates[stack]
            .outputs
            .entry(output, || json!({ "Value": value }));
        entry["Export"] = json!({ "Name": &export });
        let import = json!({ "Fn::ImportValue": export });
        if is_list {
            json!({ "Fn::Split": [",", import] })
        } else {
            import
        }
    }

    /// The expression of a node's value in its own stack, and whether it is a list.
    fn expose(&self, kind: NodeKind, key: &str) -> (Json, bool) {
        match (kind, key) {
            (NodeKind::Network, "VpcId") => (r#ref("Vpc"), false),
            (NodeKind::Network, "VpcCidr") => (get_att("Vpc", "CidrBlock"), false),
            (NodeKind::Network, "PublicSubnets" | "PrivateSubnets") => {
                let what = key.trim_end_matches('s');
                let azs = self.model.regions[self.region]
                    .attrs
                    .int("azs")
                    .unwrap_or(2);
                (
                    Json::Arr((1..=azs).map(|i| r#ref(&cat!(what, i))).collect()),
                    true,
                )
            }
            (NodeKind::Zone(e), "ZoneId") => (r#ref(&dns::zone_id(self.model, e)), false),
            (NodeKind::Service(i), _) => self.model.services[i]
                .kind
                .imp
                .value(self, i, key)
                .unwrap_or_else(|| unreachable!("no value {key} on {kind:?}")),
            _ => unreachable!("no value {key} on {kind:?}"),
        }
    }

    /// An operator output. When `value` already exported the same value under
    /// this key for another stack, the export is kept (an output may not
    /// silently drop an export that a later stack imports).
    pub(crate) fn output(&mut self, key: &str, description: &str, value: Json) {
        let outputs = &mut self.templates[self.stack].outputs;
        let mut out = json!({ "Description": description, "Value": value });
        if let Some(old) = outputs.get(key).filter(|o| o.get("Export").is_some()) {
            debug_assert_eq!(
                old["Value"], out["Value"],
                "output {key} exported another value"
            );
            out["Export"] = old["Export"].clone();
        }
        outputs.insert(key.to_string(), out);
    }

    /// Emits the last part of template `s`, its outputs (only measures it
    /// when measuring); the template's resource count, output keys and
    /// length. `s` is the first phase of a stack, or its second.
    fn finish(&mut self, s: usize, outputs: Obj, emit: &impl Emit) -> Made {
        let (resources, resources_len) = self.templates[s]
            .written
            .take()
            .expect("a stack is written before it is final");
        let keys = outputs.keys().map(String::from).collect();
        let head_len =
            HEAD.len() + json::take_len(Json::from(self.description(s)), 1) + RESOURCES.len();
        if self.measure {
            let outputs_len = if outputs.is_empty() {
                0
            } else {
                OUTPUTS.len() + json::take_len(Json::Obj(outputs), 1)
            };
            return (
                resources,
                keys,
                head_len + resources_len + outputs_len + END.len(),
            );
        }
        let mut text = String::new();
        tail(&mut text, outputs);
        let len = head_len + resources_len + text.len();
        emit(s, template_file(&self.plan.stacks[s]), text, true);
        (resources, keys, len)
    }

    /// The `Description` of template `s`.
    fn description(&self, s: usize) -> String {
        let stack = &self.plan.stacks[s];
        let region = &self.model.regions[stack.region];
        let mut description = format!(
            "tapc: platform {}, {} ({}), wave {}",
            self.model.platform.name,
            region.code,
            role(region),
            stack.wave + 1
        );
        if let Some(phase) = &stack.phase2 {
            description += &format!(
                ": phase 2 of the stack first deployed in wave {}",
                self.plan.stacks[phase.first].wave + 1
            );
        }
        description
    }

    /// Outputs operators look up, in the current stack.
    fn operator_outputs(&mut self) {
        let stack = &self.plan.stacks[self.stack];
        for &n in &stack.nodes {
            match self.plan.graph[n].kind {
                NodeKind::Service(i) => {
                    self.model.services[i]
                        .kind
                        .imp
                        .outputs(self, i, Part::Regional);
                }
                NodeKind::Global(i) => {
                    self.model.services[i]
                        .kind
                        .imp
                        .outputs(self, i, Part::Global);
                }
                NodeKind::Zone(e) => self.output(
                    &cat!(dns::zone_id(self.model, e), "Id"),
                    "Hosted zone id",
                    r#ref(&dns::zone_id(self.model, e)),
                ),
                _ => {}
            }
        }
    }
}

/// A template's text around its description, resources and outputs (`finish`
/// measures a template from these).
const HEAD: &str = "{\n  \"AWSTemplateFormatVersion\": \"2010-09-09\",\n  \"Description\": ";
const RESOURCES: &str = ",\n  \"Resources\": ";
const OUTPUTS: &str = ",\n  \"Outputs\": ";
const END: &str = "\n}\n";

/// A template as the document `json!` would build, written in two parts
/// around its resources' text: the head, up to the resources ...
fn head(out: &mut String, description: String) {
    out.push_str(HEAD);
    json::write_pretty(&Json::from(description), 1, out);
    out.push_str(RESOURCES);
}

/// ... and the tail, after them.
fn tail(out: &mut String, outputs: Obj) {
    if !outputs.is_empty() {
        out.push_str(OUTPUTS);
        json::write_pretty(&Json::Obj(outputs), 1, out);
    }
    out.push_str(END);
}

/// The template file of a stack: `NAME.json`, `NAME.phase2.json` for the
/// second phase of a stack.
fn template_file(stack: &graph::Stack) -> String {
    match stack.phase() {
        1 => cat!(stack.name, ".json"),
        n => cat!(stack.name, ".phase", n, ".json"),
    }
}

/// How a resource takes tags.
#[derive(Clone, Copy)]
pub(crate) enum Tags {
    None,
    /// A list of `{Key, Value}` under this property.
    List(&'static str),
}

fn key_of(kind: NodeKind, key: &str, ids: &[String], model: &Model) -> String {
    match kind {
        NodeKind::Service(i) | NodeKind::Global(i) => cat!(ids[i], key),
        NodeKind::Zone(e) => cat!(dns::stem(model, e), key),
        _ => key.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Services whose names differ only in case or punctuation get logical
    /// IDs of their own: `t_` fell back to `T2`, which `t-2` had, and the two
    /// tables shared one key in the template.
    #[test]
    fn logical_stems_are_unique() {
        let mut text = String::from(
            "platform p {\n  rto = 1h\n  rpo = 5m\n  trigger = 1m\n}\n\
             region us-east-1 {\n  role = primary\n  cidr = 10.0.0.0/16\n}\n\
             region us-west-2 {\n  role = secondary\n  cidr = 10.1.0.0/16\n}\n",
        );
        for name in ["t", "t-2", "t_", "t_2", "T-5"] {
            text.push_str(&format!(
                "service {name}: dynamodb {{\n  key = \"id\"\n}}\nreplicate {name} -> us-west-2\n"
            ));
        }
        let (file, _) = crate::syntax::parse(&text);
        let model = crate::check::check(&file, crate::Given::command_line(&[]))
            .expect("no usage error")
            .model
            .expect("the program checks");
        let stems = logical_stems(&model);
        assert_eq!(stems, ["T", "T2", "T7", "T23", "T5"]);
    }

    /// `tapc check` measures each template without writing it: the sizes it
    /// compares with CloudFormation's quota are those of the files `build`
    /// writes, first and second phases alike.
    #[test]
    fn measured_sizes_are_the_written_sizes() {
        let mut programs: Vec<String> = std::fs::read_dir("examples")
            .expect("the examples")
            .map(|e| e.expect("an entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "tap"))
            .map(|p| std::fs::read_to_string(p).expect("an example"))
            .collect();
        programs.push(crate::gen::platform(120));
        let mut phases = 0;
        for text in programs {
            let (file, _) = crate::syntax::parse(&text);
            let model = crate::check::check(&file, crate::Given::command_line(&[]))
                .expect("no usage error")
                .model
                .expect("the program checks");
            // The length of each file, summed over its parts.
            let files = Mutex::new(std::collections::BTreeMap::new());
            let written = lower_all(&model, false, |index, _, text: String, _| {
                *lock(&files).entry(index).or_insert(0) += text.len();
            })
            .expect("lowers");
            let measured = lower_all(&model, true, |_, _, _, _| {}).expect("measures");
            let files = files.into_inner().expect("not poisoned");
            let lengths: Vec<usize> = files
                .values()
                .take(written.plan.stacks.len())
                .copied()
                .collect();
            let bytes: Vec<usize> = written.sizes.iter().map(|&(_, bytes)| bytes).collect();
            assert_eq!(bytes, lengths);
            assert_eq!(measured.sizes, written.sizes, "resource counts and bytes");
            phases += written
                .plan
                .stacks
                .iter()
                .filter(|s| s.phase2.is_some())
                .count();
        }
        assert!(phases > 0, "second phases are measured too");
    }
}
