//! Stage 3: the checked model to a dependency DAG of resource instances per
//! region, and the DAG to stacks in deployment waves.
//!
//! A stack is the nodes of one region in one wave. Waves are assigned as late
//! as possible (so early "pre" stacks hold only what another region waits for),
//! subject to: a dependency in the same region is in the same or an earlier
//! wave, one in another region in a strictly earlier wave. Every stack then
//! depends only on stacks deployed before it.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use rustc_hash::{FxHashMap, FxHashSet};

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;
use serde_json::{json, Value as Json};

use crate::model::{Model, Role};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeKind {
    /// VPC, subnets, gateways and routes of a region.
    Network,
    /// A service's resources in one region (for global kinds: the regional part).
    Service(usize),
    /// A service's global part, in the primary: what its kind says
    /// (`kinds::Behaviour::global`), as an Aurora global cluster, a DynamoDB
    /// global table or EventBridge's forwarding rules.
    Global(usize),
    /// The public hosted zone of an endpoint, in the primary.
    Zone(usize),
    /// An endpoint's failover record and health check for one region.
    Record(usize),
    /// A failover record that chains to the next secondary (three or more regions).
    Chain(usize, usize),
    /// SSM Automation runbook `k` that promotes a secondary (large platforms
    /// need several, see `lower::runbook`).
    Runbook(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    Needs,
    Network,
    Replication,
    Dns,
    Runbook,
}

impl EdgeKind {
    fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Needs => "needs",
            EdgeKind::Network => "network",
            EdgeKind::Replication => "replication",
            EdgeKind::Dns => "dns",
            EdgeKind::Runbook => "runbook",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Node {
    pub kind: NodeKind,
    /// Index into `Model::regions`.
    pub region: usize,
    pub wave: usize,
}

#[derive(Debug)]
pub struct Stack {
    pub name: String,
    pub region: usize,
    pub wave: usize,
    pub nodes: Vec<NodeIndex>,
    /// Indices into `Plan::stacks`, all earlier in the list.
    pub depends_on: Vec<usize>,
    /// Set on the second phase of a stack: the same stack, deployed again in
    /// a later wave with what needs a node of a stack deployed after its
    /// first phase (`Phase`). Its `nodes` are empty.
    pub phase2: Option<Phase>,
}

/// The second phase of a stack: S3 keeps a bucket's replication rules on the
/// bucket itself (CloudFormation has no separate resource for them), and a
/// rule needs its destination bucket to exist, so a secondary bucket that
/// replicates back to the primary bucket, deployed after it, gets its rule
/// when its stack is deployed a second time, with a template that adds it.
/// A secondary's EventBridge forwarding rules, which target the buses of the
/// primary and of the other secondaries, are added the same way.
#[derive(Debug)]
pub struct Phase {
    /// The stack's first phase, an index into `Plan::stacks`.
    pub first: usize,
    /// The nodes of the first phase whose resources the second phase completes.
    pub nodes: Vec<NodeIndex>,
}

impl Stack {
    /// 1, or 2 for the second phase of a stack.
    pub fn phase(&self) -> usize {
        1 + usize::from(self.phase2.is_some())
    }
}

#[derive(Debug)]
pub struct Plan {
    /// Edges point from a node to what it depends on.
    pub graph: DiGraph<Node, EdgeKind>,
    /// In deployment order.
    pub stacks: Vec<Stack>,
    /// Stack index of each node.
    pub stack_of: Vec<usize>,
    index: FxHashMap<(NodeKind, usize), NodeIndex>,
}

impl Plan {
    pub fn node(&self, kind: NodeKind, region: usize) -> Option<NodeIndex> {
        self.index.get(&(kind, region)).copied()
    }
}

struct Builder {
    graph: DiGraph<Node, EdgeKind>,
    // Fx, not SipHash: keys are small integers, not attacker-chosen, and the
    // lowering looks nodes up for every cross-resource value.
    index: FxHashMap<(NodeKind, usize), NodeIndex>,
    edges: FxHashSet<(NodeIndex, NodeIndex)>,
}

impl Builder {
    fn add(&mut self, kind: NodeKind, region: usize) -> NodeIndex {
        let n = self.graph.add_node(Node {
            kind,
            region,
            wave: 0,
        });
        self.index.insert((kind, region), n);
        n
    }
    fn get(&self, kind: NodeKind, region: usize) -> Option<NodeIndex> {
        self.index.get(&(kind, region)).copied()
    }
    fn edge(&mut self, from: NodeIndex, to: Option<NodeIndex>, kind: EdgeKind) {
        // A set rather than `update_edge`, which scans every edge of `from`:
        // the runbook has an edge to each service.
        if let Some(to) = to.filter(|&to| self.edges.insert((from, to))) {
            self.graph.add_edge(from, to, kind);
        }
    }
}

/// The node that holds `service` as seen from `region`: its regional instance,
/// or for a kind without regional nodes its global part in the primary.
fn service_node(b: &Builder, model: &Model, service: usize, region: usize) -> Option<NodeIndex> {
    if model.services[service].kind.imp.regional() {
        b.get(NodeKind::Service(service), region)
    } else {
        b.get(NodeKind::Global(service), model.primary())
    }
}

/// How many resources, (at most) outputs and template bytes a node lowers to in
/// a region, so stacks can be cut to size.
pub type Weight<'a> = &'a dyn Fn(NodeKind, usize) -> [usize; 3];

/// The DAG and its stacks; no stack gets more resources, outputs or bytes than
/// `limit` by `weight` unless a single node has more. `runbooks[r]` lists the
/// services each failover runbook of region `r` acts on.
pub fn plan(
    model: &Model,
    prefix: &str,
    runbooks: &[Vec<Vec<usize>>],
    weight: Weight,
    limit: [usize; 3],
) -> Plan {
    // Room for the nodes and edges of a usual platform: growing the maps runs
    // their rehash, whose first run costs more than the memory (BENCHMARKS.md,
    // Start-up).
    let nodes = (1 + model.services.len() + 2 * model.endpoints.len()) * (model.regions.len() + 1);
    let mut b = Builder {
        graph: DiGraph::with_capacity(nodes, 4 * nodes),
        index: FxHashMap::with_capacity_and_hasher(nodes, Default::default()),
        edges: FxHashSet::with_capacity_and_hasher(4 * nodes, Default::default()),
    };
    let primary = model.primary();
    let regions = 0..model.regions.len();
    for r in regions.clone() {
        b.add(NodeKind::Network, r);
    }
    for (i, svc) in model.services.iter().enumerate() {
        let kind = svc.kind.imp;
        if kind.regional() {
            for r in regions.clone() {
                b.add(NodeKind::Service(i), r);
            }
        }
        if kind.global().is_some() {
            b.add(NodeKind::Global(i), primary);
        }
    }
    for (e, endpoint) in model.endpoints.iter().enumerate() {
        if endpoint.zone == Some(e) {
            b.add(NodeKind::Zone(e), primary);
        }
        for r in regions.clone() {
            b.add(NodeKind::Record(e), r);
        }
        // Latency records under active/active need no failover chain.
        if model.platform.strategy != crate::model::Strategy::ActiveActive {
            for level in 1..model.regions.len().saturating_sub(1) {
                b.add(NodeKind::Chain(e, level), primary);
            }
        }
    }
    for r in model.secondaries() {
        for k in 0..runbooks[r].len() {
            b.add(NodeKind::Runbook(k), r);
        }
    }

    // Edges; those a second phase satisfies apart (they would close a cycle).
    let order = region_order(model);
    let mut late: Vec<(NodeIndex, NodeIndex)> = Vec::new();
    for (i, svc) in model.services.iter().enumerate() {
        let kind = svc.kind.imp;
        for r in regions.clone() {
            let Some(node) = b.get(NodeKind::Service(i), r) else {
                continue;
            };
            if kind.in_vpc() {
                let net = b.get(NodeKind::Network, r);
                b.edge(node, net, EdgeKind::Network);
            }
            for &(dep, _) in &svc.needs {
                let target = service_node(&b, model, dep, r);
                b.edge(node, target, EdgeKind::Needs);
            }
            for (to, region) in kind.regional_edges(model, i, r) {
                let to = b.get(to, region);
                b.edge(node, to, EdgeKind::Replication);
            }
            for (to, region) in kind.second_phase_edges(model, i, r) {
                if let Some(to) = b.get(to, region) {
                    late.push((node, to));
                }
            }
        }
        if let Some(global) = b.get(NodeKind::Global(i), primary) {
            for (to, region) in kind.global_edges(model, i) {
                let to = b.get(to, region);
                b.edge(global, to, EdgeKind::Replication);
            }
            if !kind.regional() {
                for &(dep, _) in &svc.needs {
                    let target = service_node(&b, model, dep, primary);
                    b.edge(global, target, EdgeKind::Needs);
                }
            }
        }
    }
    for (e, endpoint) in model.endpoints.iter().enumerate() {
        let zone = endpoint
            .zone
            .and_then(|z| b.get(NodeKind::Zone(z), primary));
        for r in regions.clone() {
            let Some(rec) = b.get(NodeKind::Record(e), r) else {
                continue;
            };
            let alb = b.get(NodeKind::Service(endpoint.target), r);
            b.edge(rec, alb, EdgeKind::Dns);
            b.edge(rec, zone, EdgeKind::Dns);
        }
        // A record's checks follow the serving alarms of the secondaries later
        // in the chain, created with their first endpoint's record.
        for (k, &region) in order.iter().enumerate() {
            let Some(rec) = b.get(NodeKind::Record(e), region) else {
                continue;
            };
            for &later in &order[k + 1..] {
                let alarm = b.get(NodeKind::Record(0), later);
                b.edge(rec, alarm, EdgeKind::Dns);
            }
        }
        // Chain level k aliases the records of level k, which live in region order[k].
        let levels = order.len().saturating_sub(1);
        for (level, &region) in order.iter().enumerate().take(levels).skip(1) {
            let Some(chain) = b.get(NodeKind::Chain(e, level), primary) else {
                continue;
            };
            b.edge(chain, zone, EdgeKind::Dns);
            let target = b.get(NodeKind::Record(e), region);
            b.edge(chain, target, EdgeKind::Dns);
        }
    }
    for r in model.secondaries() {
        for (k, services) in runbooks[r].iter().enumerate() {
            let runbook = b.get(NodeKind::Runbook(k), r).expect("added above");
            for &i in services {
                let target = b.get(NodeKind::Service(i), r);
                b.edge(runbook, target, EdgeKind::Runbook);
            }
        }
    }

    let mut graph = b.graph;
    assign_waves(&mut graph);
    let (stacks, stack_of) = stacks(&graph, model, prefix, weight, limit);
    let (stacks, stack_of) = second_phases(&graph, model, stacks, stack_of, &late);
    Plan {
        graph,
        stacks,
        stack_of,
        index: b.index,
    }
}

/// Regions in failover order: the primary, then the secondaries as declared.
pub fn region_order(model: &Model) -> Vec<usize> {
    let mut order = vec![model.primary()];
    order.extend(model.secondaries());
    order
}

fn assign_waves(graph: &mut DiGraph<Node, EdgeKind>) {
    // Dependencies first: reverse topological order of the "depends on" edges.
    let topo =
        petgraph::algo::toposort(&*graph, None).expect("the checker rejects cycles in needs");
    let mut asap = vec![0usize; graph.node_count()];
    for &n in topo.iter().rev() {
        let region = graph[n].region;
        asap[n.index()] = graph
            .neighbors_directed(n, Direction::Outgoing)
            .map(|d| asap[d.index()] + usize::from(graph[d].region != region))
            .max()
            .unwrap_or(0);
    }
    let last = asap.iter().copied().max().unwrap_or(0);
    let mut alap = vec![last; graph.node_count()];
    for &n in &topo {
        let region = graph[n].region;
        let wave = graph
            .neighbors_directed(n, Direction::Incoming)
            .map(|m| alap[m.index()] - usize::from(graph[m].region != region))
            .min()
            .unwrap_or(last);
        alap[n.index()] = wave;
        graph[n].wave = wave;
    }
}

/// Splits the nodes into stacks: one per region and wave, cut into parts where
/// the resources, outputs or bytes of one would pass `limit` (CloudFormation's
/// quotas).
fn stacks(
    graph: &DiGraph<Node, EdgeKind>,
    model: &Model,
    prefix: &str,
    weight: Weight,
    limit: [usize; 3],
) -> (Vec<Stack>, Vec<usize>) {
    let order = region_order(model);
    let rank = |region: usize| order.iter().position(|&r| r == region).unwrap_or(0);
    let mut groups: BTreeMap<(usize, usize), Vec<NodeIndex>> = BTreeMap::new();
    for n in graph.node_indices() {
        groups
            .entry((graph[n].wave, rank(graph[n].region)))
            .or_default()
            .push(n);
    }
    let mut stacks: Vec<Stack> = Vec::new();
    let mut stack_of = vec![0; graph.node_count()];
    let ranks = Ranks::new(model);
    let mut pending = vec![None; graph.node_count()];
    for ((wave, region_rank), nodes) in groups {
        let region = order[region_rank];
        let mut parts: Vec<Vec<NodeIndex>> = vec![Vec::new()];
        let mut size = [0; 3];
        for n in dependency_order(graph, &ranks, &nodes, &mut pending) {
            let w = weight(graph[n].kind, region);
            let part = parts.last_mut().expect("never empty");
            if (0..3).any(|d| size[d] + w[d] > limit[d]) && !part.is_empty() {
                parts.push(Vec::new());
                size = [0; 3];
            }
            (0..3).for_each(|d| size[d] += w[d]);
            parts.last_mut().expect("never empty").push(n);
        }
        let split = parts.len() > 1;
        for (k, part) in parts.into_iter().enumerate() {
            let mut name = crate::names::stack(prefix, &model.regions[region].code, wave + 1);
            if split {
                name.push_str(&format!("-{}", k + 1));
            }
            for &n in &part {
                stack_of[n.index()] = stacks.len();
            }
            stacks.push(Stack {
                name,
                region,
                wave,
                nodes: part,
                depends_on: Vec::new(),
                phase2: None,
            });
        }
    }
    for e in graph.edge_indices() {
        let (from, to) = graph.edge_endpoints(e).expect("edge exists");
        let (a, b) = (stack_of[from.index()], stack_of[to.index()]);
        if a != b && !stacks[a].depends_on.contains(&b) {
            stacks[a].depends_on.push(b);
        }
    }
    for s in &mut stacks {
        s.depends_on.sort_unstable();
    }
    (stacks, stack_of)
}

/// Adds the second phase of each stack that has a node with a late edge: in
/// the wave after its first phase and after every stack the late edges reach
/// (a wave after, as those are in another region), then puts the stacks back
/// in deployment order.
fn second_phases(
    graph: &DiGraph<Node, EdgeKind>,
    model: &Model,
    mut stacks: Vec<Stack>,
    stack_of: Vec<usize>,
    late: &[(NodeIndex, NodeIndex)],
) -> (Vec<Stack>, Vec<usize>) {
    let mut phases: BTreeMap<usize, (Vec<NodeIndex>, Vec<usize>)> = BTreeMap::new();
    for &(from, to) in late {
        let entry = phases.entry(stack_of[from.index()]).or_default();
        if !entry.0.contains(&from) {
            entry.0.push(from);
        }
        if !entry.1.contains(&stack_of[to.index()]) {
            entry.1.push(stack_of[to.index()]);
        }
    }
    let ranks = Ranks::new(model);
    for (first, (mut nodes, after)) in phases {
        // In canonical order, as the nodes of a stack: the order of the
        // program's items changes nothing.
        nodes.sort_unstable_by_key(|&n| ranks.key(graph[n].kind));
        let wave = after
            .iter()
            .chain([&first])
            .map(|&s| stacks[s].wave + 1)
            .max()
            .unwrap_or(0);
        let mut depends_on = after;
        depends_on.push(first);
        stacks.push(Stack {
            name: stacks[first].name.clone(),
            region: stacks[first].region,
            wave,
            nodes: Vec::new(),
            depends_on,
            phase2: Some(Phase { first, nodes }),
        });
    }
    let order = region_order(model);
    let rank = |region: usize| order.iter().position(|&r| r == region).unwrap_or(0);
    let mut sorted: Vec<usize> = (0..stacks.len()).collect();
    // Stable: stacks of one wave and region keep their order, second phases last.
    sorted.sort_by_key(|&s| (stacks[s].wave, rank(stacks[s].region)));
    let mut new_index = vec![0; stacks.len()];
    for (new, &old) in sorted.iter().enumerate() {
        new_index[old] = new;
    }
    let mut slots: Vec<Option<Stack>> = stacks.into_iter().map(Some).collect();
    let mut out: Vec<Stack> = sorted
        .iter()
        .map(|&old| slots[old].take().expect("each stack moves once"))
        .collect();
    for s in &mut out {
        for d in &mut s.depends_on {
            *d = new_index[*d];
        }
        s.depends_on.sort_unstable();
        if let Some(p) = &mut s.phase2 {
            p.first = new_index[p.first];
        }
    }
    (out, stack_of.iter().map(|&s| new_index[s]).collect())
}

/// The nodes of one group with every dependency inside the group first, and
/// otherwise in canonical order (Kahn's algorithm, smallest key first).
/// `pending` is scratch space, one entry per node of the graph, all `None`.
fn dependency_order(
    graph: &DiGraph<Node, EdgeKind>,
    ranks: &Ranks,
    nodes: &[NodeIndex],
    pending: &mut [Option<usize>],
) -> Vec<NodeIndex> {
    for &n in nodes {
        pending[n.index()] = Some(0);
    }
    let mut ready = BinaryHeap::new();
    for &n in nodes {
        let deps = graph
            .neighbors_directed(n, Direction::Outgoing)
            .filter(|d| pending[d.index()].is_some())
            .count();
        pending[n.index()] = Some(deps);
        if deps == 0 {
            ready.push(Reverse((ranks.key(graph[n].kind), n)));
        }
    }
    let mut out = Vec::with_capacity(nodes.len());
    while let Some(Reverse((_, n))) = ready.pop() {
        out.push(n);
        for m in graph.neighbors_directed(n, Direction::Incoming) {
            if let Some(count) = &mut pending[m.index()] {
                *count -= 1;
                if *count == 0 {
                    ready.push(Reverse((ranks.key(graph[m].kind), m)));
                }
            }
        }
    }
    for &n in nodes {
        pending[n.index()] = None;
    }
    out
}

/// Services and endpoints numbered in name order, so a node's place in its
/// stack compares integers, not names.
struct Ranks {
    services: Vec<usize>,
    endpoints: Vec<usize>,
}

impl Ranks {
    fn new(model: &Model) -> Ranks {
        fn ranks<'a>(names: impl Iterator<Item = &'a str>) -> Vec<usize> {
            let mut order: Vec<(&str, usize)> = names.zip(0..).collect();
            order.sort_unstable();
            let mut rank = vec![0; order.len()];
            for (r, (_, i)) in order.into_iter().enumerate() {
                rank[i] = r;
            }
            rank
        }
        Ranks {
            services: ranks(model.services.iter().map(|s| s.name.as_str())),
            endpoints: ranks(model.endpoints.iter().map(|e| e.name.as_str())),
        }
    }

    /// A node's place in its stack, independent of the order of the program's
    /// top-level items (so reordering them changes no output byte): the
    /// network, services by name (each followed by its global part), endpoints
    /// by name, the runbooks.
    fn key(&self, kind: NodeKind) -> (u8, usize, usize) {
        let svc = |i: usize| self.services[i];
        let ep = |e: usize| self.endpoints[e];
        match kind {
            NodeKind::Network => (0, 0, 0),
            NodeKind::Service(i) => (1, svc(i), 0),
            NodeKind::Global(i) => (1, svc(i), 1),
            NodeKind::Zone(e) => (2, ep(e), 0),
            NodeKind::Record(e) => (2, ep(e), 1),
            NodeKind::Chain(e, level) => (2, ep(e), 1 + level),
            NodeKind::Runbook(k) => (3, k, 0),
        }
    }
}

impl NodeKind {
    /// A stable, readable label: `api`, `ledger/global`, `endpoint:api/record`.
    pub fn label(self, model: &Model) -> String {
        let svc = |i: usize| model.services[i].name.as_str();
        let ep = |i: usize| model.endpoints[i].name.as_str();
        match self {
            NodeKind::Network => "network".into(),
            NodeKind::Service(i) => svc(i).into(),
            NodeKind::Global(i) => format!(
                "{}/{}",
                svc(i),
                model.services[i].kind.imp.global().unwrap_or("global")
            ),
            NodeKind::Zone(i) => format!("endpoint:{}/zone", ep(i)),
            NodeKind::Record(i) => format!("endpoint:{}/record", ep(i)),
            NodeKind::Chain(i, level) => format!("endpoint:{}/chain-{level}", ep(i)),
            NodeKind::Runbook(0) => "failover-runbook".into(),
            NodeKind::Runbook(k) => format!("failover-runbook-{}", k + 1),
        }
    }
}

fn node_id(plan: &Plan, model: &Model, n: NodeIndex) -> String {
    let node = &plan.graph[n];
    format!(
        "{}@{}",
        node.kind.label(model),
        model.regions[node.region].code
    )
}

/// The DAG as Graphviz dot, one cluster per stack inside one per wave.
pub fn to_dot(plan: &Plan, model: &Model) -> String {
    // Deployment reads left to right: each wave a column, kept apart by an
    // invisible post between waves that every node of one wave precedes and
    // every node of the next follows. Each edge is laid out from what is
    // needed to what needs it (`dir=back` keeps the arrow on what is needed).
    let mut out =
        String::from("digraph tap {\n  rankdir=LR;\n  newrank=true;\n  node [shape=box];\n");
    let waves = by_wave(plan);
    for (&wave, stacks) in &waves {
        out.push_str(&format!(
            "  subgraph cluster_wave_{wave} {{\n    label=\"wave {}\";\n    style=dashed;\n",
            wave + 1
        ));
        for &i in stacks {
            let s = &plan.stacks[i];
            out.push_str(&format!(
                "    subgraph cluster_{i} {{\n      label={:?};\n      style=solid;\n",
                s.name
            ));
            for &n in &s.nodes {
                out.push_str(&format!("      {:?};\n", node_id(plan, model, n)));
            }
            if s.phase2.is_some() {
                out.push_str(&format!("      {:?} [shape=note];\n", phase_id(s)));
            }
            out.push_str("    }\n");
        }
        out.push_str("  }\n");
    }
    let mut waves = waves.values().peekable();
    let mut post = 0;
    while let Some(stacks) = waves.next() {
        let Some(next) = waves.peek() else { break };
        out.push_str(&format!("  post{post} [shape=point, style=invis];\n"));
        let nodes = |stacks: &Vec<usize>| -> Vec<String> {
            stacks
                .iter()
                .flat_map(|&i| &plan.stacks[i].nodes)
                .map(|&n| format!("{:?}", node_id(plan, model, n)))
                .collect()
        };
        for n in nodes(stacks) {
            out.push_str(&format!("  {n} -> post{post} [style=invis];\n"));
        }
        for n in nodes(next) {
            out.push_str(&format!("  post{post} -> {n} [style=invis];\n"));
        }
        post += 1;
    }
    // A second phase completes nodes of its first phase.
    for s in &plan.stacks {
        for &n in s.phase2.iter().flat_map(|p| &p.nodes) {
            out.push_str(&format!(
                "  {:?} -> {:?} [label=\"phase 2\", style=dashed];\n",
                phase_id(s),
                node_id(plan, model, n)
            ));
        }
    }
    for e in plan.graph.edge_indices() {
        let (a, b) = plan.graph.edge_endpoints(e).expect("edge exists");
        out.push_str(&format!(
            "  {:?} -> {:?} [label={:?}, dir=back];\n",
            node_id(plan, model, b),
            node_id(plan, model, a),
            plan.graph[e].as_str()
        ));
    }
    out.push_str("}\n");
    out
}

/// The node that stands for the second phase of a stack in `tapc graph`.
fn phase_id(stack: &Stack) -> String {
    format!("{} phase {}", stack.name, stack.phase())
}

/// Stack indices grouped by wave, waves in order, regions in model order.
fn by_wave(plan: &Plan) -> BTreeMap<usize, Vec<usize>> {
    let mut waves: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, s) in plan.stacks.iter().enumerate() {
        waves.entry(s.wave).or_default().push(i);
    }
    for stacks in waves.values_mut() {
        stacks.sort_by_key(|&i| (plan.stacks[i].region, i));
    }
    waves
}

/// The DAG as a Mermaid flowchart, one subgraph per stack inside one per wave.
pub fn to_mermaid(plan: &Plan, model: &Model) -> String {
    let mut out = String::from("flowchart RL\n");
    for (wave, stacks) in by_wave(plan) {
        out.push_str(&format!("  subgraph w{wave}[\"wave {}\"]\n", wave + 1));
        for i in stacks {
            out.push_str(&format!("    subgraph s{i}[\"{}\"]\n", plan.stacks[i].name));
            for &n in &plan.stacks[i].nodes {
                out.push_str(&format!(
                    "      n{}[\"{}\"]\n",
                    n.index(),
                    node_id(plan, model, n)
                ));
            }
            if plan.stacks[i].phase2.is_some() {
                out.push_str(&format!("      p{i}[\"{}\"]\n", phase_id(&plan.stacks[i])));
            }
            out.push_str("    end\n");
        }
        out.push_str("  end\n");
    }
    for e in plan.graph.edge_indices() {
        let (a, b) = plan.graph.edge_endpoints(e).expect("edge exists");
        out.push_str(&format!(
            "  n{} -->|{}| n{}\n",
            a.index(),
            plan.graph[e].as_str(),
            b.index()
        ));
    }
    for (i, s) in plan.stacks.iter().enumerate() {
        for n in s.phase2.iter().flat_map(|p| &p.nodes) {
            out.push_str(&format!("  p{i} -.->|phase 2| n{}\n", n.index()));
        }
    }
    out
}

/// The DAG and the stacks as JSON.
pub fn to_json(plan: &Plan, model: &Model) -> Json {
    let nodes: Vec<Json> = plan
        .graph
        .node_indices()
        .map(|n| {
            let node = &plan.graph[n];
            json!({
                "id": node_id(plan, model, n),
                "region": model.regions[node.region].code,
                "role": if model.regions[node.region].role == Role::Primary { "primary" } else { "secondary" },
                "stack": plan.stacks[plan.stack_of[n.index()]].name,
                "wave": node.wave + 1,
            })
        })
        .collect();
    let edges: Vec<Json> = plan
        .graph
        .edge_indices()
        .map(|e| {
            let (a, b) = plan.graph.edge_endpoints(e).expect("edge exists");
            json!({ "from": node_id(plan, model, a), "to": node_id(plan, model, b), "kind": plan.graph[e].as_str() })
        })
        .collect();
    let stacks: Vec<Json> = plan
        .stacks
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "region": model.regions[s.region].code,
                "wave": s.wave + 1,
                "phase": s.phase(),
                "depends_on": s.depends_on.iter().map(|&d| plan.stacks[d].name.clone()).collect::<Vec<_>>(),
                "completes": s.phase2.iter().flat_map(|p| &p.nodes).map(|&n| node_id(plan, model, n)).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "format_version": "1", "nodes": nodes, "edges": edges, "stacks": stacks })
}
