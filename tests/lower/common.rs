//! Building a program in process, and reading its templates as JSON.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value as Json};
use tapc::diag::{Severity, SourceFile};

pub const EXAMPLES: [&str; 5] = ["trading", "global", "pilot-light", "minimal", "cache"];

// ---------------------------------------------------------------------------
// Building and looking things up.

pub struct Stack {
    pub name: String,
    pub region: String,
    pub primary: bool,
    pub wave: u64,
    /// 1, or 2 for the second deployment of a stack (`Built::phases`).
    pub phase: u64,
    pub file: String,
    pub depends_on: Vec<String>,
    pub template: Json,
}

impl Stack {
    pub fn resources(&self) -> &Map<String, Json> {
        self.template["Resources"]
            .as_object()
            .expect("a template has Resources")
    }

    pub fn outputs(&self) -> Option<&Map<String, Json>> {
        self.template.get("Outputs").and_then(Json::as_object)
    }

    /// The resource's `Type`, if `logical` is a resource of this template.
    pub fn ty(&self, logical: &str) -> Option<&str> {
        self.resources().get(logical)?["Type"].as_str()
    }

    /// The resource's `Properties`; panics when it is not in this template.
    pub fn props(&self, logical: &str) -> &Json {
        match self.resources().get(logical) {
            Some(r) => &r["Properties"],
            None => panic!("{}: no resource `{logical}`", self.name),
        }
    }

    /// `(logical ID, Properties)` of every resource of type `ty`.
    pub fn of_type<'a>(&'a self, ty: &'a str) -> impl Iterator<Item = (&'a str, &'a Json)> + 'a {
        self.resources()
            .iter()
            .filter(move |(_, r)| r["Type"] == ty)
            .map(|(k, r)| (k.as_str(), &r["Properties"]))
    }
}

pub struct Built {
    pub example: String,
    /// The stacks' first (or only) phase, in deployment order.
    pub stacks: Vec<Stack>,
    /// The second phases: the same stacks deployed again, later.
    pub phases: Vec<Stack>,
    pub manifest: Json,
    pub files: Vec<(String, String)>,
}

/// A resource found in a build: stack index, logical ID, `Properties`.
pub type Found<'a> = (usize, &'a str, &'a Json);

impl Built {
    pub fn primary(&self) -> &str {
        self.manifest["primary"].as_str().expect("manifest primary")
    }

    pub fn regions(&self) -> BTreeSet<&str> {
        self.stacks.iter().map(|s| s.region.as_str()).collect()
    }

    pub fn secondaries(&self) -> BTreeSet<&str> {
        self.stacks
            .iter()
            .filter(|s| !s.primary)
            .map(|s| s.region.as_str())
            .collect()
    }

    pub fn find<'a>(&'a self, ty: &'a str) -> Vec<Found<'a>> {
        self.stacks
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.of_type(ty).map(move |(id, p)| (i, id, p)))
            .collect()
    }

    pub fn find_in<'a>(&'a self, ty: &'a str, region: &str) -> Vec<Found<'a>> {
        self.find(ty)
            .into_iter()
            .filter(|(s, ..)| self.stacks[*s].region == region)
            .collect()
    }

    /// The failover runbooks (SSM documents) of `region`.
    pub fn failover_documents(&self, region: &str) -> Vec<Found<'_>> {
        self.find_in("AWS::SSM::Document", region)
            .into_iter()
            .filter(|(_, _, d)| s(&d["Name"]).contains("-failover-"))
            .collect()
    }

    /// The manifest's order of the regions DNS fails over to.
    pub fn dns_failover_order(&self) -> Vec<String> {
        self.manifest["dr"]["dns_failover_order"]
            .as_array()
            .expect("dns order")
            .iter()
            .map(|r| s(r).to_string())
            .collect()
    }

    /// The stack and output that export `name`.
    pub fn export(&self, name: &str) -> Option<(usize, &Json)> {
        self.stacks.iter().enumerate().find_map(|(i, s)| {
            s.outputs()?
                .values()
                .find(|o| o["Export"]["Name"] == name)
                .map(|o| (i, o))
        })
    }

    /// The resource a value designates: `Ref`/`Fn::GetAtt` in stack `s`, or
    /// through `Fn::ImportValue` the resource behind another stack's export.
    pub fn target(&self, s: usize, v: &Json) -> Option<(usize, String)> {
        if let Some(r) = v.get("Ref").and_then(Json::as_str) {
            return Some((s, r.to_string()));
        }
        if let Some(a) = v.get("Fn::GetAtt").and_then(Json::as_array) {
            return Some((s, a.first()?.as_str()?.to_string()));
        }
        if let Some(name) = v.get("Fn::ImportValue").and_then(Json::as_str) {
            let (e, output) = self.export(name)?;
            return self.target(e, &output["Value"]);
        }
        None
    }

    pub fn stack_index(&self, name: &str) -> usize {
        self.stacks
            .iter()
            .position(|s| s.name == name)
            .unwrap_or_else(|| panic!("{}: no stack `{name}`", self.example))
    }
}

pub fn example_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(format!("{name}.tap"))
}

pub fn build(name: &str) -> Built {
    let (file, encoding) =
        tapc::read_source(&example_path(name), tapc::diag::FileId::ROOT).expect("example readable");
    assert!(encoding.is_none(), "{name}: not UTF-8");
    build_file(name, &file)
}

pub fn build_text(name: &str, text: &str) -> Built {
    build_file(name, &SourceFile::new(format!("{name}.tap"), text))
}

/// Checks and lowers `file` in process; the templates parsed and keyed by the
/// manifest's stacks (name, region, role, wave), in deployment order.
pub fn build_file(name: &str, file: &SourceFile) -> Built {
    let checked = tapc::check_source(file, tapc::Given::command_line(&[])).expect("check runs");
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{name}: errors {errors:#?}");
    let model = checked.model.expect("a model without errors");
    let output =
        tapc::lower::lower(&model).unwrap_or_else(|d| panic!("{name}: lowering failed: {d:#?}"));
    let (guide, files) = output.files.split_last().expect("files");
    assert_eq!(guide.0, "RUNBOOK.md", "{name}: RUNBOOK.md comes last");
    let (last, templates) = files.split_last().expect("files");
    assert_eq!(last.0, "manifest.json", "{name}: then manifest.json");
    let manifest: Json = serde_json::from_str(&last.1).expect("manifest.json parses");
    assert_eq!(
        manifest, output.manifest,
        "{name}: manifest.json is the manifest"
    );
    let listed = manifest["stacks"].as_array().expect("manifest stacks");
    assert_eq!(
        listed.len(),
        templates.len(),
        "{name}: one template per stack"
    );
    let stacks = listed
        .iter()
        .zip(templates)
        .map(|(m, (file, text))| {
            assert_eq!(
                m["template"], *file,
                "{name}: templates are in manifest order"
            );
            let template: Json = serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("{name}: {file} is not JSON: {e}"));
            let role = m["role"].as_str().expect("role");
            assert!(matches!(role, "primary" | "secondary"));
            Stack {
                name: m["name"].as_str().expect("name").to_string(),
                region: m["region"].as_str().expect("region").to_string(),
                primary: role == "primary",
                wave: m["wave"].as_u64().expect("wave"),
                phase: m["phase"].as_u64().expect("phase"),
                file: file.clone(),
                depends_on: m["depends_on"]
                    .as_array()
                    .expect("depends_on")
                    .iter()
                    .map(|d| d.as_str().expect("stack name").to_string())
                    .collect(),
                template,
            }
        })
        .collect::<Vec<Stack>>();
    let (stacks, phases) = stacks.into_iter().partition(|s| s.phase == 1);
    Built {
        example: name.to_string(),
        stacks,
        phases,
        manifest,
        files: output.files,
    }
}

// ---------------------------------------------------------------------------
// JSON helpers.

pub fn s(v: &Json) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

/// `Ref` target.
pub fn ref_of(v: &Json) -> Option<&str> {
    v.get("Ref")?.as_str()
}

/// `Fn::GetAtt [X, attr]` -> X.
pub fn att_of<'a>(v: &'a Json, attr: &str) -> Option<&'a str> {
    let a = v.get("Fn::GetAtt")?.as_array()?;
    (a.get(1)? == attr).then_some(a.first()?.as_str()?)
}

/// The text of a plain string or of a string `Fn::Sub`.
pub fn text(v: &Json) -> Option<&str> {
    v.as_str().or_else(|| v.get("Fn::Sub")?.as_str())
}

/// A string or a list of strings (IAM `Action`, `Resource`, `DependsOn`).
pub fn strings(v: &Json) -> Vec<String> {
    match v {
        Json::Array(items) => items.iter().flat_map(strings).collect(),
        Json::Null => Vec::new(),
        other => vec![text(other)
            .unwrap_or_else(|| panic!("expected a string, got {other}"))
            .to_string()],
    }
}

pub fn walk<'a>(v: &'a Json, f: &mut dyn FnMut(&'a Json)) {
    f(v);
    match v {
        Json::Array(items) => items.iter().for_each(|i| walk(i, f)),
        Json::Object(map) => map.values().for_each(|i| walk(i, f)),
        _ => {}
    }
}

/// A role's trusted services and its policy as action -> resources.
pub fn role_policy(role: &Json) -> (BTreeSet<String>, BTreeMap<String, BTreeSet<String>>) {
    let mut trusted = BTreeSet::new();
    for st in role["AssumeRolePolicyDocument"]["Statement"]
        .as_array()
        .expect("trust statements")
    {
        assert_eq!(st["Effect"], "Allow");
        assert_eq!(strings(&st["Action"]), ["sts:AssumeRole"]);
        trusted.extend(strings(&st["Principal"]["Service"]));
    }
    let mut actions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for policy in role["Policies"].as_array().into_iter().flatten() {
        for st in policy["PolicyDocument"]["Statement"]
            .as_array()
            .expect("statements")
        {
            assert_eq!(st["Effect"], "Allow", "only Allow statements");
            // A resource that is an expression (a key's ARN from another
            // stack) is kept as its JSON text.
            let resources: Vec<String> = match &st["Resource"] {
                Json::Object(_) if text(&st["Resource"]).is_none() => {
                    vec![st["Resource"].to_string()]
                }
                other => strings(other),
            };
            assert!(!resources.is_empty(), "a statement without resources");
            if resources == ["*"] {
                // PutMetricData has no resource; the namespace condition scopes it.
                assert_eq!(strings(&st["Action"]), ["cloudwatch:PutMetricData"]);
                assert_eq!(
                    st["Condition"]["StringEquals"]["cloudwatch:namespace"],
                    "tapc"
                );
                actions
                    .entry("cloudwatch:PutMetricData".into())
                    .or_default()
                    .insert("namespace tapc".into());
                continue;
            }
            for action in strings(&st["Action"]) {
                assert!(!action.contains('*'), "wildcard action {action}");
                actions
                    .entry(action)
                    .or_default()
                    .extend(resources.iter().cloned());
            }
        }
    }
    for resources in actions.values() {
        for r in resources {
            assert_ne!(r, "*", "a `*` resource");
        }
    }
    (trusted, actions)
}

pub fn set<const N: usize>(items: [&str; N]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

pub fn seen_check(feature: &str, seen: BTreeSet<&str>, expected: &[&str]) {
    let expected: BTreeSet<&str> = expected.iter().copied().collect();
    assert_eq!(seen, expected, "examples where {feature} appears");
}
