//! Stacks, exports, references and sizes (`src/lower/mod.rs`).

use std::collections::BTreeSet;

use serde_json::{Map, Value as Json};

use crate::common::*;

// Stacks, exports and references (aws-dr.md 0 and 3).

fn logical_id_ok(id: &str) -> bool {
    (1..=255).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric())
}

#[test]
fn cross_stack_values_stay_in_their_region() {
    for ex in EXAMPLES {
        let b = build(ex);
        let mut exports = BTreeSet::new();
        for (i, stack) in b.stacks.iter().enumerate() {
            for d in &stack.depends_on {
                assert!(
                    b.stack_index(d) < i,
                    "{ex}: {} depends on {d}, which is not earlier",
                    stack.name
                );
            }
            for output in stack.outputs().into_iter().flat_map(|o| o.values()) {
                if let Some(name) = output["Export"]["Name"].as_str() {
                    assert!(
                        name.starts_with(&format!("{}-", stack.name)),
                        "{ex}: export {name} of {} is not `<stack>-<key>`",
                        stack.name
                    );
                    assert!(
                        exports.insert(name.to_string()),
                        "{ex}: export {name} twice"
                    );
                }
            }
            let mut imports = Vec::new();
            walk(&stack.template, &mut |v| {
                if let Some(name) = v.get("Fn::ImportValue") {
                    imports.push(s(name).to_string());
                }
            });
            for name in imports {
                let (e, _) = b.export(&name).unwrap_or_else(|| {
                    panic!("{ex}: {} imports {name}, exported nowhere", stack.name)
                });
                let exporter = &b.stacks[e];
                assert_eq!(
                    exporter.region, stack.region,
                    "{ex}: {} imports {name} across regions",
                    stack.name
                );
                assert!(
                    e < i,
                    "{ex}: {} imports {name} from a later stack",
                    stack.name
                );
                assert!(
                    stack.depends_on.contains(&exporter.name),
                    "{ex}: {} imports from {} without depending on it",
                    stack.name,
                    exporter.name
                );
            }
        }
    }
}

#[test]
fn templates_within_limits_and_references_resolve() {
    for ex in EXAMPLES {
        let b = build(ex);
        for (m, (file, text)) in b.manifest["stacks"]
            .as_array()
            .expect("stacks")
            .iter()
            .zip(&b.files)
        {
            assert_eq!(m["template"], *file);
            let stack = b
                .stacks
                .iter()
                .chain(&b.phases)
                .find(|st| st.file == *file)
                .unwrap_or_else(|| panic!("{ex}: no stack of {file}"));
            assert_eq!(stack.name, s(&m["name"]));
            assert_eq!(
                m["resources"],
                stack.resources().len(),
                "{ex}: {file} count"
            );
            assert!(text.len() <= 1_000_000, "{ex}: {file} too large");
            assert_eq!(m["needs_s3_upload"], text.len() > 51_200, "{ex}: {file}");
        }
        let mut names = BTreeSet::new();
        for stack in &b.stacks {
            assert!(
                names.insert(&stack.name),
                "{ex}: stack {} twice",
                stack.name
            );
            assert!(
                stack.name.contains(&stack.region)
                    && stack.name.ends_with(&format!("-w{}", stack.wave)),
                "{ex}: stack name {} names its region and wave",
                stack.name
            );
            assert_eq!(stack.template["AWSTemplateFormatVersion"], "2010-09-09");
            let resources = stack.resources();
            assert!(!resources.is_empty(), "{ex}: {} is empty", stack.name);
            assert!(
                resources.len() <= 500,
                "{ex}: {} has {} resources",
                stack.name,
                resources.len()
            );
            let outputs = stack.outputs().map_or(0, Map::len);
            assert!(outputs <= 200, "{ex}: {} has {outputs} outputs", stack.name);
            let ids = resources
                .keys()
                .chain(stack.outputs().into_iter().flat_map(|o| o.keys()));
            for id in ids {
                assert!(
                    logical_id_ok(id),
                    "{ex}: logical ID {id:?} in {}",
                    stack.name
                );
            }
            // Every Ref, GetAtt, Sub variable and DependsOn names something that exists.
            let known = |id: &str| id.starts_with("AWS::") || resources.contains_key(id);
            walk(&stack.template, &mut |v| {
                if let Some(r) = v.get("Ref").and_then(Json::as_str) {
                    assert!(known(r), "{ex}: {} Ref {r} is dangling", stack.name);
                }
                if let Some(a) = v.get("Fn::GetAtt").and_then(Json::as_array) {
                    let r = s(&a[0]);
                    assert!(
                        resources.contains_key(r),
                        "{ex}: {} GetAtt {r} is dangling",
                        stack.name
                    );
                }
                if let Some(t) = v.get("Fn::Sub").and_then(Json::as_str) {
                    let mut rest = t;
                    while let Some(start) = rest.find("${") {
                        let end = rest[start..].find('}').expect("closed ${") + start;
                        let var = &rest[start + 2..end];
                        if !var.starts_with('!') {
                            let base = var.split('.').next().unwrap_or(var);
                            assert!(
                                known(base),
                                "{ex}: {} Sub ${{{var}}} is dangling",
                                stack.name
                            );
                        }
                        rest = &rest[end + 1..];
                    }
                }
            });
            for (id, r) in resources {
                for d in strings(r.get("DependsOn").unwrap_or(&Json::Null)) {
                    assert!(
                        resources.contains_key(&d),
                        "{ex}: {id} DependsOn {d} is dangling"
                    );
                }
                let ty = s(&r["Type"]);
                assert!(ty.starts_with("AWS::"), "{ex}: {id} type {ty}");
            }
        }
    }
}

/// The graph stage cuts stacks by `lower::size`; it must count exactly the
/// resources the lowering emits, and at least the outputs.
#[test]
fn stack_sizes_match_what_the_lowering_emits() {
    let mut programs: Vec<(String, String)> = EXAMPLES
        .iter()
        .map(|n| {
            (
                n.to_string(),
                std::fs::read_to_string(format!("examples/{n}.tap")).unwrap(),
            )
        })
        .collect();
    programs.push(("gen-300".into(), tapc::gen::platform(300)));
    for (name, text) in programs {
        let file = tapc::diag::SourceFile::new(format!("{name}.tap"), text);
        let model = tapc::check_source(&file, tapc::Given::command_line(&[]))
            .unwrap()
            .model
            .expect("valid program");
        let output = tapc::lower::lower(&model).unwrap_or_else(|d| panic!("{name}: {d:#?}"));
        assert_eq!(output.plan.stacks.len() + 2, output.files.len());
        for (stack, (_, text)) in output.plan.stacks.iter().zip(&output.files) {
            // A second phase has no nodes of its own (`s3_replicates_back`).
            if stack.phase2.is_some() {
                continue;
            }
            let template: serde_json::Value = serde_json::from_str(text).unwrap();
            let (resources, outputs) = stack
                .nodes
                .iter()
                .map(|&n| tapc::lower::size(&model, output.plan.graph[n].kind, stack.region))
                .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
            let actual = template["Resources"].as_object().unwrap().len();
            assert_eq!(resources, actual, "{name}: {}", stack.name);
            let actual_outputs = template
                .get("Outputs")
                .and_then(|o| o.as_object())
                .map_or(0, |o| o.len());
            assert!(
                actual_outputs <= outputs,
                "{name}: {}: {actual_outputs} outputs > {outputs}",
                stack.name
            );
            assert!(
                actual <= 500 && actual_outputs <= 200,
                "{name}: {}",
                stack.name
            );
        }
    }
}

/// A stack name has at most 128 characters (CreateStack). The checker
/// measures the first wave's, `PLATFORM-REGION-w1`; a wave cut into parts
/// (`-w1-2`) is longer, and the lowering reports it.
#[test]
fn stack_names_fit_cloudformation() {
    let program = |platform: &str| {
        let mut src = format!(
            "platform {platform} {{\n  notify = [\"oncall@example.com\"]\n  rto = 1h\n  rpo = 5m\n  trigger = 1m\n}}\n\
             region us-east-1 {{\n  role = primary\n  cidr = 10.0.0.0/16\n}}\n\
             region us-west-2 {{\n  role = secondary\n  cidr = 10.1.0.0/16\n}}\n"
        );
        // Past 500 resources in each region: the wave is cut.
        for i in 0..520 {
            src.push_str(&format!(
                "service t{i}: dynamodb {{\n  key = \"id\"\n}}\nreplicate t{i} -> us-west-2\n"
            ));
        }
        tapc::check_source(
            &tapc::diag::SourceFile::new("long.tap", src),
            tapc::Given::command_line(&[]),
        )
        .expect("no usage error")
        .diagnostics
    };
    // `-us-east-1-w1` is 13 characters: 115 + 13 = 128 fits, `-w1-1` not.
    let found = program(&format!("p{}", "x".repeat(114)));
    let names: Vec<&str> = found
        .iter()
        .filter(|d| d.code == "E601")
        .map(|d| d.message.as_str())
        .collect();
    assert!(!names.is_empty(), "{found:?}");
    assert!(
        names
            .iter()
            .all(|m| m.contains("-w1-") && m.contains("130 characters")),
        "{names:?}"
    );
    let shorter = program(&format!("p{}", "x".repeat(111)));
    assert!(!shorter.iter().any(|d| d.code == "E601"), "{shorter:?}");
}
