//! Cycles in `needs`: each is reported once, with every edge of it labelled.

use petgraph::graph::{DiGraph, NodeIndex};

use crate::diag::Diagnostic;

use super::Partial;

/// Edges of a cycle labelled in its diagnostic.
const MAX_LABELS: usize = 12;

pub(super) fn check(p: &Partial, diags: &mut Vec<Diagnostic>) {
    let mut g: DiGraph<usize, usize> = DiGraph::with_capacity(p.services.len(), p.services.len());
    for i in 0..p.services.len() {
        g.add_node(i);
    }
    for (i, svc) in p.services.iter().enumerate() {
        for (k, &(j, _)) in svc.iter().flat_map(|s| s.needs.iter()).enumerate() {
            g.add_edge(NodeIndex::new(i), NodeIndex::new(j), k);
        }
    }
    for scc in petgraph::algo::tarjan_scc(&g) {
        let start = *scc.iter().min().expect("an SCC is never empty");
        let self_loop = g.contains_edge(start, start);
        if scc.len() < 2 && !self_loop {
            continue;
        }
        let cycle = if self_loop {
            vec![start]
        } else {
            shortest_cycle(&g, start, &scc)
        };
        let svc = |n: NodeIndex| {
            p.services[n.index()]
                .as_ref()
                .expect("only known services have edges")
        };
        let names: Vec<&str> = cycle
            .iter()
            .chain(cycle.first())
            .map(|&n| svc(n).name.as_str())
            .collect();
        let mut d = Diagnostic::error("E501", format!("dependency cycle: {}", names.join(" -> ")));
        // Every edge of a long cycle would be a snippet of its own (and miette
        // draws labels in quadratic time): the first few show the pattern.
        for (k, &from) in cycle.iter().enumerate().take(MAX_LABELS) {
            let to = cycle[(k + 1) % cycle.len()];
            let (_, span) = svc(from)
                .needs
                .iter()
                .find(|(j, _)| *j == to.index())
                .expect("edge exists");
            d = d.label(
                *span,
                format!("`{}` needs `{}`", svc(from).name, svc(to).name),
            );
        }
        let mut help = "services are deployed in the order of `needs`, so it cannot go round; remove one of these needs".to_string();
        if cycle.len() > MAX_LABELS {
            help.push_str(&format!(
                " (the first {MAX_LABELS} of {} are labelled)",
                cycle.len()
            ));
        }
        diags.push(d.help(help));
    }
}

/// The shortest path from `start` back to itself inside its component (BFS).
fn shortest_cycle(
    g: &DiGraph<usize, usize>,
    start: NodeIndex,
    scc: &[NodeIndex],
) -> Vec<NodeIndex> {
    use std::collections::{HashMap, HashSet, VecDeque};
    let inside: HashSet<NodeIndex> = scc.iter().copied().collect();
    let mut parent: HashMap<NodeIndex, NodeIndex> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(n) = queue.pop_front() {
        let mut next: Vec<NodeIndex> = g.neighbors(n).filter(|m| inside.contains(m)).collect();
        next.sort();
        for m in next {
            if m == start {
                let mut path = vec![n];
                while let Some(&p) = parent.get(path.last().expect("non-empty")) {
                    path.push(p);
                }
                path.reverse();
                return path;
            }
            if !parent.contains_key(&m) && m != start {
                parent.insert(m, n);
                queue.push_back(m);
            }
        }
    }
    vec![start]
}
