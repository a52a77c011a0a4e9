//! What `tapc graph` draws of a program that does not check: its services and
//! their `needs` as written, each edge on a cycle marked. A `needs` cycle
//! (E501) stops the checker before there is a model to lower, so without this
//! the one thing a user wants to look at, the cycle, could not be drawn.

use petgraph::algo::tarjan_scc;
use petgraph::graph::DiGraph;
use serde_json::{json, Value as Json};

use crate::syntax::ast::{File, ItemKind, ValueKind};

pub struct Sketch {
    /// `(name, kind)` of every service, in declaration order (a name declared
    /// twice counts once).
    pub services: Vec<(String, String)>,
    /// `(from, to, on_cycle)`: `from` needs `to`. Needs of unknown services are
    /// left out: the diagnostics say what is wrong with them.
    pub edges: Vec<(usize, usize, bool)>,
}

/// The services and `needs` of a program in `files` (the root, then the files
/// it imports), however broken the rest is.
pub fn sketch_program(files: &[crate::diag::SourceFile]) -> Sketch {
    let mut items = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let id = crate::diag::FileId(i as u32);
        items.extend(crate::syntax::parse_in(id, &file.text).0.items);
    }
    sketch(&File { items })
}

/// The services and `needs` of a parsed program, however broken the rest is.
pub fn sketch(file: &File) -> Sketch {
    let mut services: Vec<(String, String)> = Vec::new();
    let mut needs = Vec::new();
    for item in &file.items {
        let ItemKind::Service { name, kind, body } = &item.kind else {
            continue;
        };
        if services.iter().any(|(n, _)| n == name.name) {
            continue;
        }
        services.push((name.name.to_string(), kind.name.to_string()));
        let listed = match body.attr("needs").map(|a| &a.value.kind) {
            Some(ValueKind::List(items)) => items
                .iter()
                .filter_map(|v| match v.kind {
                    ValueKind::Symbol(s) => Some(s),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        needs.push(listed);
    }
    let mut graph = DiGraph::<(), ()>::new();
    let nodes: Vec<_> = services.iter().map(|_| graph.add_node(())).collect();
    let mut edges = Vec::new();
    for (from, listed) in needs.iter().enumerate() {
        for to in listed {
            if let Some(to) = services.iter().position(|(n, _)| n == to) {
                if !edges.iter().any(|&(a, b, _)| (a, b) == (from, to)) {
                    graph.add_edge(nodes[from], nodes[to], ());
                    edges.push((from, to, false));
                }
            }
        }
    }
    let mut component = vec![0; services.len()];
    let mut size = Vec::new();
    for (c, scc) in tarjan_scc(&graph).into_iter().enumerate() {
        for n in &scc {
            component[n.index()] = c;
        }
        size.push(scc.len());
    }
    for (from, to, on_cycle) in &mut edges {
        *on_cycle =
            from == to || (component[*from] == component[*to] && size[component[*from]] > 1);
    }
    Sketch { services, edges }
}

impl Sketch {
    pub fn to_dot(&self) -> String {
        let mut out = String::from(
            "digraph tap {\n  // The program has errors: its services and `needs` as written; red edges form a cycle.\n  rankdir=LR;\n  node [shape=box];\n",
        );
        for (name, kind) in &self.services {
            out.push_str(&format!(
                "  {name:?} [label={:?}];\n",
                format!("{name}: {kind}")
            ));
        }
        for &(from, to, cycle) in &self.edges {
            let style = if cycle {
                " [label=\"needs (cycle)\", color=red, fontcolor=red]"
            } else {
                " [label=\"needs\"]"
            };
            out.push_str(&format!(
                "  {:?} -> {:?}{style};\n",
                self.services[from].0, self.services[to].0
            ));
        }
        out.push_str("}\n");
        out
    }

    pub fn to_mermaid(&self) -> String {
        let mut out = String::from(
            "flowchart LR\n  %% The program has errors: its services and needs as written; red edges form a cycle.\n",
        );
        for (i, (name, kind)) in self.services.iter().enumerate() {
            out.push_str(&format!("  n{i}[\"{name}: {kind}\"]\n"));
        }
        for (k, &(from, to, cycle)) in self.edges.iter().enumerate() {
            let label = if cycle { "needs (cycle)" } else { "needs" };
            out.push_str(&format!("  n{from} -->|{label}| n{to}\n"));
            if cycle {
                out.push_str(&format!("  linkStyle {k} stroke:red\n"));
            }
        }
        out
    }

    pub fn to_json(&self) -> Json {
        json!({
            "complete": false,
            "services": self.services.iter().map(|(n, k)| json!({ "name": n, "kind": k })).collect::<Vec<_>>(),
            "needs": self.edges.iter().map(|&(a, b, cycle)| json!({
                "from": self.services[a].0, "to": self.services[b].0, "cycle": cycle,
            })).collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    fn sketch(text: &str) -> super::Sketch {
        let (file, _) = crate::syntax::parse(text);
        super::sketch(&file)
    }

    #[test]
    fn marks_exactly_the_edges_on_a_cycle() {
        let s = sketch(
            "service a: fargate { needs = [b] }\nservice b: fargate { needs = [c] }\n\
             service c: fargate { needs = [a, d] }\nservice d: s3 { needs = [d] }\n\
             service e: s3 { needs = [a, nowhere] }\n",
        );
        let names = |i: usize| s.services[i].0.as_str();
        let mut edges: Vec<(&str, &str, bool)> = s
            .edges
            .iter()
            .map(|&(a, b, c)| (names(a), names(b), c))
            .collect();
        edges.sort();
        assert_eq!(
            edges,
            [
                ("a", "b", true),
                ("b", "c", true),
                ("c", "a", true),
                ("c", "d", false),
                ("d", "d", true),
                ("e", "a", false),
            ]
        );
    }
}
