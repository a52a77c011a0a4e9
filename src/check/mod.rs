//! Stage 2: the syntax tree and the stdlib schema to a checked model.
//!
//! Every family of checks lives in its own file and reports all it finds; the
//! model is returned only when no error was found.

pub mod budget;
mod cycles;
mod limits;
mod lints;
mod notify;
mod resolve;
mod rules;
mod topology;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::diag::{quote, Diagnostic, Severity, Span};
use crate::model::*;
use crate::stdlib::{schema, Schema};
use crate::suggest::closest;
use crate::syntax::ast::{Body, File, Ident, ItemKind, Value, ValueKind};
use resolve::{join, Param, Resolver};

#[derive(Default)]
pub struct Checked {
    pub model: Option<Model>,
    /// Sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

/// Types a `param` can have.
const PARAM_TYPES: [&str; 6] = ["string", "int", "bool", "duration", "size", "cidr"];

/// A value given for a param the program does not declare (a usage error of
/// the front end that took it).
#[derive(Debug)]
pub struct UnknownParam {
    pub name: String,
    /// The declared param it most likely means.
    pub meant: Option<String>,
    /// The declared params, sorted.
    pub declared: Vec<String>,
}

/// Values given for a program's params for this run, from outside the
/// program, and how its user gives one. The checker knows no command line:
/// its messages quote what to type in the words of the front end that took
/// the values (tapc's command line: `crate::PARAM_OPTION`).
#[derive(Clone, Copy, Debug)]
pub struct Given<'a> {
    /// `(name, value)` pairs, in the order given.
    pub values: &'a [(String, String)],
    /// What gives a value, written before `NAME=VALUE`.
    pub how: &'a str,
}

impl Given<'_> {
    /// What the user writes to give param `name` the value `value`.
    pub fn set(&self, name: &str, value: &str) -> String {
        format!("{} {name}={value}", self.how)
    }
}

/// Checks a parsed program with values given for its params.
pub fn check(file: &File, given: Given) -> Result<Checked, UnknownParam> {
    let schema = schema();
    let mut diags = Vec::new();
    let mut params = params(file, given, &mut diags)?;
    // Items that did not parse, or files that could not be imported: the
    // program is incomplete (see `whole_program`).
    let broken: Vec<(Option<&str>, Option<&Ident>)> = file
        .items
        .iter()
        .filter_map(|item| match &item.kind {
            ItemKind::Broken { keyword, name } => Some((*keyword, name.as_ref())),
            _ => None,
        })
        .collect();
    // A reference to a broken item's name is no error of its own.
    for (keyword, name) in &broken {
        if let (Some("param"), Some(name)) = (keyword, name) {
            params.entry(name.name.to_string()).or_insert(Param {
                val: None,
                usage: ParamUse {
                    name: name.name.to_string(),
                    decl: name.span,
                    given: false,
                },
            });
        }
    }

    // Service names first: references may point forward.
    // Sized for every item: growing a map runs its rehash, whose first run
    // costs more than the memory (BENCHMARKS.md, Start-up).
    let mut service_names: HashMap<String, usize> =
        HashMap::with_capacity_and_hasher(file.items.len(), Default::default());
    // Names in lower case: AWS keeps DB cluster and ElastiCache identifiers in
    // lower case, so `Ledger` and `ledger` would name one cluster.
    let mut lower_names: HashMap<String, usize> =
        HashMap::with_capacity_and_hasher(file.items.len(), Default::default());
    let mut service_decls = Vec::new();
    for item in &file.items {
        if let ItemKind::Service { name, kind, body } = &item.kind {
            if let Some(&first) = service_names.get(name.name) {
                let first: &(&Ident, &Ident, &Body) = &service_decls[first];
                diags.push(duplicate("service", name.name, name.span, first.0.span));
                continue;
            }
            diags.extend(too_long("service", name));
            if let Some(&first) = lower_names.get(&name.name.to_ascii_lowercase()) {
                let first: &(&Ident, &Ident, &Body) = &service_decls[first];
                diags.push(
                    Diagnostic::error("E101", format!("service `{}` differs from `{}` only in case", name.name, first.0.name))
                        .label(name.span, "the same name in other case")
                        .label(first.0.span, "declared here")
                        .help("rename one of them: AWS keeps DB cluster and ElastiCache identifiers in lower case, so their resources would collide"),
                );
            } else {
                lower_names.insert(name.name.to_ascii_lowercase(), service_decls.len());
            }
            service_names.insert(name.name.to_string(), service_decls.len());
            service_decls.push((name, kind, body));
        }
    }
    let mut broken_services = 0;
    for (keyword, name) in &broken {
        if let (Some("service"), Some(name)) = (keyword, name) {
            if !service_names.contains_key(name.name) {
                let index = service_decls.len() + broken_services;
                service_names.insert(name.name.to_string(), index);
                broken_services += 1;
            }
        }
    }
    let resolver = Resolver {
        params: &params,
        given,
        services: &service_names,
        budget: Default::default(),
    };

    let mut platform: Option<Platform> = None;
    let mut regions: Vec<Region> = Vec::new();
    let mut endpoints: Vec<Endpoint> = Vec::new();
    let mut replicates = Vec::new();
    for item in &file.items {
        match &item.kind {
            ItemKind::Platform { name, body } => {
                if let Some(first) = &platform {
                    diags.push(
                        Diagnostic::error("E101", "a program declares one platform")
                            .label(name.span, "second platform")
                            .label(first.name_span, "first platform")
                            .help("merge the two platforms into one"),
                    );
                    continue;
                }
                let r = resolver.body(
                    body,
                    &schema.platform,
                    "the platform",
                    name.span,
                    &mut diags,
                );
                notify::addresses(body, &r.attrs, &mut diags);
                let strategy = r
                    .attrs
                    .str("strategy")
                    .and_then(Strategy::parse)
                    .unwrap_or(Strategy::WarmStandby);
                let suffix = params
                    .get("suffix")
                    .and_then(|p| Some((resolve::plain(p.val.as_ref()?), p.usage.clone())));
                platform = Some(Platform {
                    name: name.name.to_string(),
                    name_span: name.span,
                    attrs: r.attrs,
                    strategy,
                    suffix,
                });
            }
            ItemKind::Region { code, body } => {
                if let Some(first) = regions.iter().find(|r| r.code == code.name) {
                    diags.push(duplicate("region", code.name, code.span, first.span));
                    continue;
                }
                if !schema.regions.contains(&code.name) {
                    diags.push(unknown_region(code.name, code.span, schema));
                }
                let r = resolver.body(body, &schema.region, "a region", code.span, &mut diags);
                let role = match r.attrs.str("role") {
                    Some("primary") => Role::Primary,
                    _ => Role::Secondary,
                };
                regions.push(Region {
                    code: code.name.to_string(),
                    span: code.span,
                    role,
                    attrs: r.attrs,
                });
            }
            ItemKind::Endpoint { name, body } => {
                if let Some(first) = endpoints.iter().find(|e| e.name == name.name) {
                    diags.push(duplicate("endpoint", name.name, name.span, first.span));
                    continue;
                }
                diags.extend(too_long("endpoint", name));
                let r = resolver.body(body, &schema.endpoint, "an endpoint", name.span, &mut diags);
                let Some(&(target, target_span)) = r.refs.first() else {
                    continue;
                };
                let Some(&(target_name, target_kind, target_body)) = service_decls.get(target)
                else {
                    // A service that did not parse.
                    continue;
                };
                if !schema
                    .kind(target_kind.name)
                    .is_some_and(|k| k.imp.load_balanced())
                {
                    diags.push(
                        Diagnostic::error("E205", format!("endpoint `{}` targets `{}`, {}", name.name, target_name.name, a_kind(target_kind.name)))
                            .label(target_span, "not a load-balanced service")
                            .label(target_kind.span, "declared here")
                            .help("an endpoint's target must be a `fargate` service: its records alias that service's load balancers"),
                    );
                    continue;
                }
                let mut health = r
                    .blocks
                    .into_iter()
                    .find(|(n, _)| n == "health")
                    .map(|(_, a)| a)
                    .unwrap_or_default();
                // The check goes to the listener that serves the app: HTTPS
                // when the target has certificates (its HTTP listener only
                // redirects, which Route 53 counts as healthy, W201), unless
                // the program says otherwise.
                let written = body
                    .block("health")
                    .is_some_and(|b| b.body.attr("protocol").is_some());
                let certificates = target_body.attr("certificates").is_some_and(
                    |a| !matches!(&a.value.kind, ValueKind::Map(pairs) if pairs.is_empty()),
                );
                if certificates && !written {
                    for (n, val, _) in &mut health.values {
                        if n == "protocol" {
                            *val = Val::Symbol("https".into());
                        }
                    }
                }
                endpoints.push(Endpoint {
                    name: name.name.to_string(),
                    span: name.span,
                    attrs: r.attrs,
                    health,
                    target,
                    zone: None,
                });
            }
            ItemKind::Replicate { .. } => replicates.push(item),
            ItemKind::Service { .. } => {}
            ItemKind::Param { .. } => {}
            // Read by `crate::load`; a broken item is accounted for above.
            ItemKind::Import { .. } | ItemKind::Broken { .. } => {}
            ItemKind::Schema { name, .. } => diags.push(
                Diagnostic::error("E108", "`schema` declarations belong to the stdlib")
                    .label(item.keyword.to(name.span), "not allowed in a program")
                    .help(format!(
                        "service kinds come from the stdlib: {}",
                        join(schema.kinds.iter().map(|k| k.name))
                    )),
            ),
        }
    }

    shared_zones(&mut endpoints, &mut diags);

    let mut services = Vec::new();
    for &(name, kind, body) in &service_decls {
        let Some(k) = schema.kind(kind.name) else {
            let d = Diagnostic::error("E103", format!("unknown service kind `{}`", kind.name))
                .label(kind.span, "unknown kind");
            let kinds = schema.kinds.iter().map(|k| k.name);
            diags.push(match closest(kind.name, kinds.clone()) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help(format!("the service kinds are: {}", join(kinds))),
            });
            // Keep the name resolvable so its references do not cascade.
            services.push(None);
            continue;
        };
        let what = a_kind(k.name);
        let r = resolver.body(body, &k.fields, &what, name.span, &mut diags);
        services.push(Some(Service {
            name: name.name.to_string(),
            span: name.span,
            kind: k,
            attrs: r.attrs,
            needs: r.refs,
            replication: None,
        }));
    }

    // Broken services stay resolvable, as services of an unknown kind do.
    services.extend(std::iter::repeat_with(|| None).take(broken_services));
    let bad_target =
        topology::replications(&replicates, &resolver, &regions, &mut services, &mut diags);
    let ctx = Partial {
        platform: platform.as_ref(),
        regions: &regions,
        services: &services,
        endpoints: &endpoints,
    };
    if platform.is_none() {
        diags.push(
            Diagnostic::error("E106", "the program has no platform")
                .label(
                    Span::new(crate::diag::FileId::ROOT, 0, 0),
                    "expected a `platform` declaration",
                )
                .help("declare the platform and its objectives: `platform NAME { ... }` with `rto = 5m`, `rpo = 1m` and `trigger = 1m` in it"),
        );
    }
    topology::check(&ctx, &bad_target, &mut diags);
    cycles::check(&ctx, &mut diags);
    let budget = budget::compute(&ctx, &mut diags);
    limits::check(&ctx, given, &mut diags);
    // Each kind's own rules (its file under src/lower/).
    for svc in ctx.services.iter().flatten() {
        svc.kind.imp.check(&ctx, svc, &mut diags);
    }
    lints::check(&ctx, &mut diags);
    notify::reach(&ctx, &mut diags);

    if broken.iter().any(|(_, name)| name.is_none()) {
        // Any unknown name may be the missing item's.
        diags.retain(|d| d.code != "E102");
    }
    diags.sort_by(|a, b| (a.primary_span(), a.code).cmp(&(b.primary_span(), b.code)));
    diags.dedup();
    let has_errors = diags.iter().any(|d| d.severity == Severity::Error);
    let model = match (has_errors, platform) {
        (false, Some(platform)) => Some(Model {
            platform,
            regions,
            services: services.into_iter().flatten().collect(),
            endpoints,
            budget,
        }),
        _ => None,
    };
    Ok(Checked {
        model,
        diagnostics: diags,
    })
}

/// Whether a diagnostic judges the program as a whole (its topology, budget,
/// dependency cycles, AWS quotas, notification), so that it can be wrong while
/// an item or a value is missing: families 3 to 6 of the codes, and E106 (no
/// platform). The driver reports them only for a program that parses.
pub fn whole_program(code: &str) -> bool {
    code == "E106" || code[1..].starts_with(['3', '4', '5', '6'])
}

/// What the checks see: the program as far as it could be resolved.
pub(crate) struct Partial<'a> {
    pub platform: Option<&'a Platform>,
    pub regions: &'a [Region],
    /// `None` where the service's kind is unknown; indices match references.
    pub services: &'a [Option<Service>],
    pub endpoints: &'a [Endpoint],
}

/// "a `fargate` service", "an `s3` service".
pub(crate) fn a_kind(kind: &str) -> String {
    format!("{} `{kind}` service", article(kind))
}

/// The article of `word` read aloud: "an" before a vowel, and before a
/// letter followed by a digit that is read as the letter's name (`s3`: "ess").
fn article(word: &str) -> &'static str {
    let spelled = word.chars().nth(1).is_some_and(|c| c.is_ascii_digit());
    let an = word.starts_with(['a', 'e', 'i', 'o', 'u'])
        || (spelled && word.starts_with(['f', 'h', 'l', 'm', 'n', 'r', 's', 'x']));
    if an {
        "an"
    } else {
        "a"
    }
}

/// Endpoints under one domain share the hosted zone tapc creates (each
/// endpoint's `zone`); two endpoints of one domain (DNS names ignore case)
/// are E101, since a Route 53 name has one pair of failover records.
fn shared_zones(endpoints: &mut [Endpoint], diags: &mut Vec<Diagnostic>) {
    let mut zones: HashMap<String, usize> = HashMap::default();
    let mut domains: HashMap<String, usize> = HashMap::default();
    for e in 0..endpoints.len() {
        let Some(domain) = endpoints[e].attrs.str("domain") else {
            continue;
        };
        let at = endpoints[e]
            .attrs
            .origin("domain")
            .map_or(endpoints[e].span, |o| o.span);
        if let Some(&first) = domains.get(&domain.to_ascii_lowercase()) {
            let before = &endpoints[first];
            diags.push(
                Diagnostic::error("E101", format!("domain `{domain}` is served by two endpoints"))
                    .label(at, "served again here")
                    .label(
                        before.attrs.origin("domain").map_or(before.span, |o| o.span),
                        format!("by endpoint `{}` already", before.name),
                    )
                    .help("give each endpoint a domain of its own: a Route 53 name has one pair of failover records"),
            );
        } else {
            domains.insert(domain.to_ascii_lowercase(), e);
        }
        if endpoints[e].attrs.str("zone").is_none() {
            let zone = crate::model::zone_name(domain).to_ascii_lowercase();
            endpoints[e].zone = Some(*zones.entry(zone).or_insert(e));
        }
    }
}

/// The longest service or endpoint name. Names become CloudFormation logical
/// IDs (at most 255 characters, with up to about 40 of tapc's after them)
/// and parts of AWS's names, most of which allow 63 or fewer.
const MAX_NAME: usize = 64;

/// E110 when `name`, a service's or an endpoint's, is longer than `MAX_NAME`.
fn too_long(what: &str, name: &Ident) -> Option<Diagnostic> {
    let len = name.name.chars().count();
    (len > MAX_NAME).then(|| {
        Diagnostic::error(
            "E110",
            format!("the {what} name {} is too long", quote(name.name)),
        )
        .label(
            name.span,
            format!("{len} characters; tapc allows {MAX_NAME}"),
        )
        .help(format!(
            "shorten the {what} name to {MAX_NAME} characters or fewer"
        ))
    })
}

fn duplicate(what: &str, name: &str, span: Span, first: Span) -> Diagnostic {
    Diagnostic::error("E101", format!("{what} `{name}` is declared twice"))
        .label(span, "declared again here")
        .label(first, "first declared here")
        .help(format!("rename one of them or remove the second {what}"))
}

pub(crate) fn unknown_region(code: &str, span: Span, schema: &Schema) -> Diagnostic {
    let d = Diagnostic::error("E105", format!("unknown AWS region `{code}`"))
        .label(span, "not an AWS region code");
    match closest(code, schema.regions.iter().copied()) {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None => d.help("use a commercial AWS region code such as `us-east-1` or `eu-west-1`"),
    }
}

fn params(
    file: &File,
    given: Given,
    diags: &mut Vec<Diagnostic>,
) -> Result<HashMap<String, Param>, UnknownParam> {
    let mut out: HashMap<String, Param> =
        HashMap::with_capacity_and_hasher(file.items.len(), Default::default());
    let mut types: HashMap<String, (&str, Span)> =
        HashMap::with_capacity_and_hasher(file.items.len(), Default::default());
    for item in &file.items {
        let ItemKind::Param { name, ty, default } = &item.kind else {
            continue;
        };
        if let Some(first) = out.get(name.name) {
            diags.push(duplicate("param", name.name, name.span, first.usage.decl));
            continue;
        }
        if !PARAM_TYPES.contains(&ty.name) {
            let d = Diagnostic::error("E103", format!("unknown param type `{}`", ty.name))
                .label(ty.span, "unknown type");
            diags.push(match closest(ty.name, PARAM_TYPES) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help(format!("a param is one of: {}", join(PARAM_TYPES))),
            });
        }
        let val = default
            .as_ref()
            .and_then(|v| param_value(v, name.name, ty.name, diags));
        types.insert(name.name.to_string(), (ty.name, ty.span));
        out.insert(
            name.name.to_string(),
            Param {
                val,
                usage: ParamUse {
                    name: name.name.to_string(),
                    decl: name.span,
                    given: false,
                },
            },
        );
    }
    for (name, text) in given.values {
        let Some(p) = out.get_mut(name) else {
            let mut declared: Vec<String> = types.keys().cloned().collect();
            declared.sort();
            return Err(UnknownParam {
                name: name.clone(),
                meant: closest(name, types.keys().map(String::as_str)).map(str::to_string),
                declared,
            });
        };
        let (ty, ty_span) = types[name];
        let val = if ty == "string" {
            Some(Val::Str(text.clone()))
        } else {
            crate::syntax::parse_literal(text)
                .and_then(|v| Val::from_literal(&v))
                .filter(|v| matches_type(v, ty))
        };
        match val {
            Some(v) => {
                p.val = Some(v);
                p.usage.given = true;
            }
            None => diags.push(
                Diagnostic::error(
                    "E201",
                    resolve::expects(
                        &format!("param `{name}`"),
                        &a_type(ty),
                        &format!("{} (from {})", crate::diag::quote(text), given.how),
                    ),
                )
                .label(ty_span, format!("param `{name}` is {}", a_type(ty)))
                .help(format!(
                    "give {}, e.g. `{}`",
                    a_type(ty),
                    given.set(name, param_example(ty))
                )),
            ),
        }
    }
    // Looked up once for all params: a program can declare thousands.
    let labelled: HashSet<Span> = diags
        .iter()
        .flat_map(|d| d.labels.iter().map(|l| l.span))
        .collect();
    let defaulted: HashSet<&str> = file
        .items
        .iter()
        .filter_map(|i| match &i.kind {
            ItemKind::Param {
                name,
                default: Some(_),
                ..
            } => Some(name.name),
            _ => None,
        })
        .collect();
    for (name, p) in &out {
        if p.val.is_none()
            && !labelled.contains(&p.usage.decl)
            && !defaulted.contains(name.as_str())
        {
            diags.push(
                Diagnostic::error("E202", format!("param `{name}` has no value"))
                    .label(
                        p.usage.decl,
                        format!("no default and not set with {}", given.how),
                    )
                    .help(format!(
                        "give it a default (`param {name}: {} = ...`) or pass `{}`",
                        types[name].0,
                        given.set(name, "VALUE")
                    )),
            );
        }
    }
    Ok(out)
}

/// A param type with its article: "a string", "an int".
fn a_type(ty: &str) -> String {
    format!("{} {ty}", article(ty))
}

fn param_value(v: &Value, name: &str, ty: &str, diags: &mut Vec<Diagnostic>) -> Option<Val> {
    let val = Val::from_literal(v);
    match val {
        Some(val) if matches_type(&val, ty) => Some(val),
        _ if !PARAM_TYPES.contains(&ty) || v.kind == ValueKind::Error => None,
        _ => {
            // A value of the right type, quoted.
            let unquoted = match &v.kind {
                ValueKind::Str(parts) => match parts.as_slice() {
                    [crate::syntax::ast::StrPart::Text(t)] => crate::syntax::parse_literal(t)
                        .and_then(|l| Val::from_literal(&l))
                        .filter(|val| matches_type(val, ty))
                        .map(|_| t.to_string()),
                    _ => None,
                },
                _ => None,
            };
            let help = match unquoted {
                Some(text) => format!("remove the quotes: `{text}`"),
                None => format!(
                    "the default of {} param is {}, e.g. `{}`",
                    a_type(ty),
                    a_type(ty),
                    param_example(ty)
                ),
            };
            diags.push(
                Diagnostic::error(
                    "E201",
                    resolve::expects(&format!("param `{name}`"), &a_type(ty), v.kind.describe()),
                )
                .label(v.span, format!("expected {}", a_type(ty)))
                .help(help),
            );
            None
        }
    }
}

fn matches_type(v: &Val, ty: &str) -> bool {
    matches!(
        (v, ty),
        (Val::Str(_), "string")
            | (Val::Int(_), "int")
            | (Val::Bool(_), "bool")
            | (Val::Duration(_), "duration")
            | (Val::Size(_), "size")
            | (Val::Cidr(..), "cidr")
    )
}

/// A value of a param type, as `.tap` writes it.
fn param_example(ty: &str) -> &'static str {
    match ty {
        "string" => "\"prod\"",
        "int" => "3",
        "bool" => "true",
        "duration" => "7d",
        "size" => "2GiB",
        _ => "10.0.0.0/16",
    }
}
