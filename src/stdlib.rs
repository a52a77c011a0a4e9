//! The stdlib schema (`stdlib/aws.tap`), embedded and loaded into typed form.
//!
//! The checker validates attributes against this data, and the RTO/RPO budget
//! takes its figures from it; no attribute has a code path of its own here.
//! The stdlib is parsed when tapc is compiled (build.rs): a run builds the
//! schema from the syntax tree compiled into the binary, without parsing.

use std::borrow::Cow;
use std::sync::OnceLock;

use crate::model::Val;
use crate::syntax::ast::{Block, Body, File, ItemKind, StrPart, Value, ValueKind};

pub const SOURCE: &str = include_str!("../stdlib/aws.tap");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    String,
    Int,
    Bool,
    Duration,
    Size,
    Cidr,
    Symbol,
    /// A reference to a service.
    Service,
    /// A list of references to services.
    Services,
    /// A list of strings.
    Strings,
    /// A map of strings.
    Map,
}

impl Type {
    fn parse(s: &str) -> Option<Type> {
        Some(match s {
            "string" => Type::String,
            "int" => Type::Int,
            "bool" => Type::Bool,
            "duration" => Type::Duration,
            "size" => Type::Size,
            "cidr" => Type::Cidr,
            "symbol" => Type::Symbol,
            "service" => Type::Service,
            "services" => Type::Services,
            "strings" => Type::Strings,
            "map" => Type::Map,
            _ => return None,
        })
    }

    /// The type in the words of a type error ("expected a duration").
    pub fn describe(self) -> &'static str {
        match self {
            Type::String => "a string",
            Type::Int => "an integer",
            Type::Bool => "a boolean",
            Type::Duration => "a duration",
            Type::Size => "a size",
            Type::Cidr => "a CIDR block",
            Type::Symbol => "a name",
            Type::Service => "a service name",
            Type::Services => "a list of service names",
            Type::Strings => "a list of strings",
            Type::Map => "a map of strings",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Field {
    pub name: &'static str,
    pub ty: Type,
    pub doc: &'static str,
    pub required: bool,
    pub default: Option<Val>,
    pub allowed: Vec<Val>,
    pub min: Option<Val>,
    pub max: Option<Val>,
    /// Values must be a whole multiple of this.
    pub step: Option<Val>,
    /// Names of the rules (`schema rules`) a string, or each element or map value, must pass.
    pub rules: Vec<&'static str>,
}

/// The fields of a body and of the blocks nested in it.
#[derive(Debug, Default)]
pub struct Fields {
    pub fields: Vec<Field>,
    pub blocks: Vec<(&'static str, Fields)>,
}

impl Fields {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
    pub fn block(&self, name: &str) -> Option<&Fields> {
        self.blocks.iter().find(|(n, _)| *n == name).map(|(_, f)| f)
    }
}

/// A timing figure with its source; `ms` is `None` where AWS publishes no bound.
#[derive(Debug, Clone)]
pub struct Figure {
    pub ms: Option<u64>,
    pub source: &'static str,
    /// The replicate attribute (a bool) that must be true for this figure to apply.
    pub when: Option<String>,
}

#[derive(Debug)]
pub struct Kind {
    pub name: &'static str,
    pub doc: &'static str,
    /// Holds data, so it must be replicated to every secondary.
    pub stateful: bool,
    /// One resource for all regions (global table, global database) rather than one per region.
    pub global: bool,
    pub fields: Fields,
    pub replicate: Fields,
    pub promotion: Figure,
    /// Replication lag figures, the first whose `when` holds applies.
    pub lag: Vec<Figure>,
    /// What the kind is in the graph, the lowering and the checker: its
    /// implementation, paired by name at load (a kind without one fails).
    pub(crate) imp: &'static dyn crate::lower::kinds::Behaviour,
    /// The kind's own tables: its other attributes (versions, limits, ...),
    /// read by its implementation.
    pub data: Vec<(String, Val)>,
}

impl Kind {
    /// The kind's table `key`, if the stdlib gives it.
    pub fn data(&self, key: &str) -> Option<&Val> {
        self.data.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

#[derive(Debug)]
pub struct FargateSize {
    pub cpu: i64,
    /// Memory sizes in MiB.
    pub memory: Vec<u64>,
}

#[derive(Debug)]
pub struct Timing {
    pub probe_timeout: Figure,
    pub alias_ttl: Figure,
    pub alarm_period: Figure,
    pub alarm_follow: Figure,
    pub task_start: Figure,
    pub target_check: Figure,
    pub rebuild: Figure,
    /// `failover = automatic`: how often the canary in a secondary probes the
    /// primary, and the period of the alarm on its results.
    pub watch_interval: Figure,
    /// `failover = automatic`: how long the canary fails, run after run,
    /// before its alarm starts the failover (a whole number of intervals).
    pub watch_evaluation: Figure,
}

#[derive(Debug)]
pub struct Schema {
    pub platform: Fields,
    pub region: Fields,
    pub endpoint: Fields,
    pub kinds: Vec<Kind>,
    pub fargate_sizes: Vec<FargateSize>,
    pub timing: Timing,
    pub regions: Vec<String>,
    /// The rules on free-text values (`schema rules`).
    pub rules: Vec<Rule>,
    pub engine_versions: EngineVersions,
}

impl Schema {
    pub fn kind(&self, name: &str) -> Option<&Kind> {
        self.kinds.iter().find(|k| k.name == name)
    }
    pub fn rule(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.name == name)
    }
}

/// A rule of `schema rules`: what AWS accepts in a free-text value.
#[derive(Debug)]
pub struct Rule {
    pub name: &'static str,
    /// The diagnostic code; `None` for a version rule, whose codes depend on the finding.
    pub code: Option<String>,
    /// The value's name in messages: "a DB instance class".
    pub what: &'static str,
    /// What AWS expects, shown at the value.
    pub expect: &'static str,
    pub example: &'static str,
    /// The help suggests the value with this prefix when that passes.
    pub fix_prefix: Option<&'static str>,
    /// The help suggests the value without this prefix when that passes.
    pub fix_strip: Option<&'static str>,
    pub source: &'static str,
    pub shape: Shape,
}

#[derive(Debug)]
pub enum Shape {
    /// The whole value matches `regex`, has `min_len..=max_len` bytes and is not
    /// one of `reserved` (compared in lowercase).
    Pattern {
        regex: Pattern,
        min_len: Option<usize>,
        max_len: Option<usize>,
        reserved: Vec<String>,
    },
    /// A DNS name.
    Dns {
        label_max: usize,
        max_len: usize,
        min_labels: usize,
    },
    /// An engine version of the named table of `schema engine_versions`.
    Versions(String),
}

/// A rule's regular expression, as the automaton build.rs compiled it to when
/// tapc was compiled: a run compiles no pattern.
pub struct Pattern {
    source: &'static str,
    dfa: &'static Dfa,
}

impl Pattern {
    /// The pattern compiled into tapc whose text is `source`.
    fn find(source: &str) -> Result<Pattern, String> {
        PATTERNS
            .iter()
            .find(|(s, _)| *s == source)
            .map(|(source, dfa)| Pattern { source, dfa })
            .ok_or_else(|| {
                format!("pattern {source:?} is not one of stdlib/aws.tap's, compiled into tapc")
            })
    }

    /// Whether the regular expression matches `text` (it is anchored at the
    /// start, so a match found on the way is the answer).
    pub fn is_match(&self, text: &str) -> bool {
        let Dfa {
            classes,
            stride,
            next,
        } = self.dfa;
        let mut state = Dfa::START;
        for &b in text.as_bytes() {
            state = next[state * stride + classes[b as usize] as usize] as usize;
            if state < Dfa::START {
                return state == Dfa::MATCH;
            }
        }
        // The last class is the end of the text.
        next[state * stride + stride - 1] as usize == Dfa::MATCH
    }
}

impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pattern({:?})", self.source)
    }
}

/// A deterministic automaton over bytes, written by build.rs. State 0 is "no
/// match, whatever follows", 1 "a match", 2 the start.
struct Dfa {
    /// The class of each byte: the bytes of a class lead to the same states.
    classes: [u8; 256],
    /// The classes, and the end of the text as the last one.
    stride: usize,
    /// The next state of a state and class, at `state * stride + class`.
    next: &'static [u16],
}

impl Dfa {
    const MATCH: usize = 1;
    const START: usize = 2;
}

/// The text and automaton of each distinct pattern of stdlib/aws.tap.
static PATTERNS: &[(&str, Dfa)] = include!(concat!(env!("OUT_DIR"), "/stdlib_patterns.rs"));

/// The engine version tables of `schema engine_versions`.
#[derive(Debug)]
pub struct EngineVersions {
    /// The date the tables describe (`YYYY-MM-DD`).
    pub as_of: String,
    pub aurora_postgres: Vec<Major>,
}

/// One major version of an engine.
#[derive(Debug, PartialEq, Eq)]
pub struct Major {
    pub major: u32,
    /// The minor versions AWS offers for new clusters, ascending.
    pub minors: Vec<u32>,
    /// Minors AWS lists but no longer creates clusters with.
    pub deprecated: Vec<u32>,
    /// Minors without global database support.
    pub no_global: Vec<u32>,
    /// The first minor with global write forwarding, if any has it.
    pub forwarding: Option<u32>,
    /// The end of standard support (`YYYY-MM-DD`).
    pub support_ends: String,
}

/// What the table says of one version.
#[derive(Debug, Clone, Copy)]
pub enum VersionStatus<'a> {
    /// Not `MAJOR.MINOR`.
    Malformed,
    /// Older than the table, or a minor AWS skipped.
    NotOffered,
    /// Listed by AWS but deprecated: no new cluster can be created with it.
    Deprecated(&'a Major, u32),
    /// Newer than the table: it may be out of date.
    Newer,
    Listed(&'a Major, u32),
}

impl Major {
    /// The newest minor AWS offers.
    pub fn newest(&self) -> u32 {
        self.minors.last().copied().unwrap_or(0)
    }
}

impl EngineVersions {
    /// Looks `version` up in the Aurora PostgreSQL table.
    pub fn aurora_postgres(&self, version: &str) -> VersionStatus<'_> {
        let parse = |s: &str| {
            (!s.is_empty() && s.len() < 6 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u32>().ok())
                .flatten()
        };
        let Some((major, minor)) = version
            .split_once('.')
            .and_then(|(a, b)| Some((parse(a)?, parse(b)?)))
        else {
            return VersionStatus::Malformed;
        };
        let table = &self.aurora_postgres;
        match table.iter().find(|m| m.major == major) {
            Some(m) if m.minors.contains(&minor) => VersionStatus::Listed(m, minor),
            Some(m) if m.deprecated.contains(&minor) => VersionStatus::Deprecated(m, minor),
            Some(m)
                if minor > m.newest()
                    && minor > m.deprecated.iter().copied().max().unwrap_or(0) =>
            {
                VersionStatus::Newer
            }
            Some(_) => VersionStatus::NotOffered,
            None if table.iter().all(|m| m.major < major) => VersionStatus::Newer,
            None => VersionStatus::NotOffered,
        }
    }

    /// Whether an Aurora PostgreSQL version supports global write forwarding:
    /// `None` when the table does not list it (malformed, not offered, or newer).
    pub fn write_forwarding(&self, version: &str) -> Option<bool> {
        match self.aurora_postgres(version) {
            VersionStatus::Listed(m, minor) | VersionStatus::Deprecated(m, minor) => {
                Some(m.forwarding.is_some_and(|f| minor >= f))
            }
            _ => None,
        }
    }
}

/// The embedded stdlib. Its validity is asserted by the test suite.
pub fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA
        .get_or_init(|| from_tree(&embedded_tree()).expect("the embedded stdlib is valid (tested)"))
}

/// The syntax tree of `SOURCE`, parsed when tapc was compiled (build.rs), so
/// that start-up does not parse it.
fn embedded_tree() -> File<'static> {
    use crate::diag::{FileId, Span};
    use crate::syntax::ast::{Attr, Block, Body, Ident, Item, MapKey};
    include!(concat!(env!("OUT_DIR"), "/stdlib_tree.rs"))
}

/// Loads a stdlib source, for tests; any error names what is malformed. The
/// schema borrows its names and texts, as the embedded one does from the tree
/// compiled into tapc: the source is kept for the rest of the run.
#[cfg(test)]
pub(crate) fn load(src: &str) -> Result<Schema, String> {
    let src: &'static str = Box::leak(src.to_owned().into_boxed_str());
    let (file, diags) = crate::syntax::parse_in(crate::diag::FileId::STDLIB, src);
    if let Some(d) = diags.first() {
        return Err(format!(
            "stdlib: {} at byte {}",
            d.message,
            d.primary_span().start
        ));
    }
    from_tree(&file)
}

/// The schema of a parsed stdlib, borrowing its names and texts.
fn from_tree(file: &File<'static>) -> Result<Schema, String> {
    let mut schemas = Vec::new();
    for item in &file.items {
        match &item.kind {
            ItemKind::Schema { name, body } => schemas.push((name.name, body)),
            _ => return Err("stdlib: only `schema` items are allowed".into()),
        }
    }
    // A second `schema X` would be silently ignored by the lookups below.
    for (i, (name, _)) in schemas.iter().enumerate() {
        if schemas[..i].iter().any(|(n, _)| n == name) {
            return Err(format!("stdlib: `schema {name}` is declared twice"));
        }
    }
    let get = |name: &str| {
        schemas
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| *b)
            .ok_or_else(|| format!("stdlib: missing `schema {name}`"))
    };
    let common = fields(get("service")?)?;
    let mut kinds = Vec::new();
    for (name, body) in &schemas {
        let Some(stateful) = body.attr("stateful") else {
            continue;
        };
        let mut kind_fields = fields(body)?;
        for f in &common.fields {
            kind_fields.fields.push(f.clone());
        }
        let figures: Vec<&Block> = body
            .block("timing")
            .map_or(Vec::new(), |t| t.body.blocks.iter().collect());
        let promotion = match figures.iter().find(|b| b.name.name == "promotion") {
            Some(b) => figure(&b.body)?,
            None if as_bool(&stateful.value)? => {
                return Err(format!(
                    "stdlib: stateful kind {name} has no promotion figure"
                ))
            }
            None => Figure {
                ms: Some(0),
                source: "stateless: nothing to promote",
                when: None,
            },
        };
        let imp = crate::lower::kinds::find(name).ok_or_else(|| {
            format!("stdlib: kind {name} has no implementation (a `Behaviour` registered in `lower::kinds::KINDS`)")
        })?;
        let data = body
            .attrs
            .iter()
            .filter(|a| !matches!(a.name.name, "doc" | "stateful" | "scope"))
            .map(|a| Ok((a.name.name.to_string(), literal(&a.value)?)))
            .collect::<Result<_, String>>()?;
        kinds.push(Kind {
            imp,
            data,
            name,
            doc: string(body, "doc")?,
            stateful: as_bool(&stateful.value)?,
            global: symbol(body, "scope")? == "global",
            fields: kind_fields,
            replicate: body
                .block("replicate")
                .map(|b| fields(&b.body))
                .transpose()?
                .unwrap_or_default(),
            promotion,
            lag: figures
                .iter()
                .filter(|b| b.name.name == "lag")
                .map(|b| figure(&b.body))
                .collect::<Result<_, _>>()?,
        });
    }
    let timing = get("timing")?;
    let fig = |name: &str| figure(&block(timing, name)?.body);
    let schema = Schema {
        platform: fields(get("platform")?)?,
        region: fields(get("region")?)?,
        endpoint: fields(get("endpoint")?)?,
        kinds,
        fargate_sizes: fargate_sizes(get("fargate_sizes")?)?,
        timing: Timing {
            probe_timeout: fig("probe_timeout")?,
            alias_ttl: fig("alias_ttl")?,
            alarm_period: fig("alarm_period")?,
            alarm_follow: fig("alarm_follow")?,
            task_start: fig("task_start")?,
            target_check: fig("target_check")?,
            rebuild: fig("rebuild")?,
            watch_interval: fig("watch_interval")?,
            watch_evaluation: fig("watch_evaluation")?,
        },
        regions: match &attr(get("aws")?, "regions")?.kind {
            ValueKind::List(items) => items
                .iter()
                .map(|v| match v.kind {
                    ValueKind::Symbol(s) => Ok(s.to_string()),
                    _ => Err("stdlib: region codes are names".to_string()),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err("stdlib: `regions` is a list".into()),
        },
        rules: get("rules")?
            .blocks
            .iter()
            .map(rule)
            .collect::<Result<_, _>>()?,
        engine_versions: engine_versions(get("engine_versions")?)?,
    };
    // Every rule a field names exists, and every version rule names a table.
    let mut all: Vec<&Fields> = vec![&schema.platform, &schema.region, &schema.endpoint];
    for k in &schema.kinds {
        all.extend([&k.fields, &k.replicate]);
    }
    while let Some(f) = all.pop() {
        all.extend(f.blocks.iter().map(|(_, b)| b));
        for field in &f.fields {
            if let Some(r) = field.rules.iter().find(|r| schema.rule(r).is_none()) {
                return Err(format!("stdlib: field {}: unknown rule {r}", field.name));
            }
        }
    }
    for r in &schema.rules {
        if matches!(&r.shape, Shape::Versions(t) if t != "aurora_postgres") {
            return Err(format!("stdlib: rule {}: unknown version table", r.name));
        }
    }
    Ok(schema)
}

fn rule(b: &Block<'static>) -> Result<Rule, String> {
    let name = b.name.name;
    let body = &b.body;
    let err = |what: &str| format!("stdlib: rule {name}: {what}");
    let opt_string = |key: &str| body.attr(key).map(|_| string(body, key)).transpose();
    let count = |key: &str| match body.attr(key).map(|a| &a.value.kind) {
        None => Ok(None),
        Some(ValueKind::Int(n)) if *n >= 0 => Ok(Some(*n as usize)),
        Some(_) => Err(err(&format!("`{key}` is a count"))),
    };
    let shape = if let Some(p) = opt_string("pattern")? {
        Shape::Pattern {
            regex: Pattern::find(p).map_err(|e| err(&e))?,
            min_len: count("min_len")?,
            max_len: count("max_len")?,
            reserved: match body
                .attr("reserved")
                .map(|a| literal(&a.value))
                .transpose()?
            {
                None => Vec::new(),
                Some(Val::List(items)) => items
                    .into_iter()
                    .map(|v| match v {
                        Val::Str(s) => Ok(s.to_lowercase()),
                        _ => Err(err("`reserved` holds strings")),
                    })
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err(err("`reserved` is a list")),
            },
        }
    } else if body.attr("dns").is_some() {
        let need = |key: &str| count(key)?.ok_or_else(|| err(&format!("missing `{key}`")));
        Shape::Dns {
            label_max: need("label_max")?,
            max_len: need("max_len")?,
            min_labels: need("min_labels")?,
        }
    } else if body.attr("versions").is_some() {
        Shape::Versions(symbol(body, "versions")?.to_string())
    } else {
        return Err(err("needs `pattern`, `dns` or `versions`"));
    };
    let code = match body
        .attr("code")
        .map(|_| symbol(body, "code"))
        .transpose()?
    {
        Some(c) if is_code(c) => Some(c.to_string()),
        Some(c) => return Err(err(&format!("`{c}` is not a diagnostic code"))),
        None if matches!(shape, Shape::Versions(_)) => None,
        None => return Err(err("missing `code`")),
    };
    Ok(Rule {
        name,
        code,
        what: string(body, "what")?,
        expect: opt_string("expect")?.unwrap_or_default(),
        example: string(body, "example")?,
        fix_prefix: opt_string("fix_prefix")?,
        fix_strip: opt_string("fix_strip")?,
        source: string(body, "source")?,
        shape,
    })
}

/// `E123` or `W123`.
fn is_code(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 4 && matches!(b[0], b'E' | b'W') && b[1..].iter().all(u8::is_ascii_digit)
}

fn engine_versions(body: &Body<'static>) -> Result<EngineVersions, String> {
    let as_of = string(body, "as_of")?;
    let Val::List(majors) = literal(attr(body, "aurora_postgres")?)? else {
        return Err("stdlib: `aurora_postgres` is a list".into());
    };
    let aurora_postgres = majors
        .iter()
        .map(|m| {
            let Val::Map(m) = m else {
                return Err("stdlib: a major version is a map".to_string());
            };
            let get = |k: &str| m.iter().find(|(n, _)| n == k).map(|(_, v)| v);
            let num = |k: &str| match get(k) {
                Some(Val::Int(n)) if *n >= 0 => Ok(Some(*n as u32)),
                None => Ok(None),
                Some(_) => Err(format!("stdlib: `{k}` of a major version is a number")),
            };
            let need =
                |k: &str| num(k)?.ok_or_else(|| format!("stdlib: a major version needs `{k}`"));
            let list = |k: &str| match get(k) {
                None => Ok(Vec::new()),
                Some(Val::List(items)) => items
                    .iter()
                    .map(|v| match v {
                        Val::Int(n) if *n >= 0 => Ok(*n as u32),
                        _ => Err(format!("stdlib: `{k}` holds minor versions")),
                    })
                    .collect(),
                Some(_) => Err(format!("stdlib: `{k}` is a list")),
            };
            let support_ends = match get("support_ends") {
                Some(Val::Str(d)) if is_date(d) => d.clone(),
                _ => return Err("stdlib: `support_ends` is a date `YYYY-MM-DD`".to_string()),
            };
            let minors = list("minors")?;
            if minors.is_empty() || !minors.windows(2).all(|w| w[0] < w[1]) {
                return Err("stdlib: `minors` lists the offered minors, ascending".to_string());
            }
            Ok(Major {
                major: need("major")?,
                minors,
                deprecated: list("deprecated")?,
                no_global: list("no_global")?,
                forwarding: num("forwarding")?,
                support_ends,
            })
        })
        .collect::<Result<_, _>>()?;
    if !is_date(as_of) {
        return Err("stdlib: `as_of` is a date `YYYY-MM-DD`".into());
    }
    Ok(EngineVersions {
        as_of: as_of.to_string(),
        aurora_postgres,
    })
}

/// `YYYY-MM-DD`: such dates compare correctly as strings.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Every nested block whose own body holds a `type` is a field; any other nested
/// block (other than replicate and timing) is a block of fields, such as `health`.
fn fields(body: &Body<'static>) -> Result<Fields, String> {
    let mut out = Fields::default();
    for b in &body.blocks {
        match b.name.name {
            "replicate" | "timing" => {}
            _ if b.body.attr("type").is_some() => out.fields.push(field(b)?),
            name => out.blocks.push((name, fields(&b.body)?)),
        }
    }
    Ok(out)
}

fn field(b: &Block<'static>) -> Result<Field, String> {
    let name = b.name.name;
    let ty_name = symbol(&b.body, "type")?;
    let ty = Type::parse(ty_name)
        .ok_or_else(|| format!("stdlib: field {name}: unknown type {ty_name}"))?;
    let opt = |key: &str| b.body.attr(key).map(|a| literal(&a.value)).transpose();
    Ok(Field {
        name,
        ty,
        doc: string(&b.body, "doc")?,
        required: b
            .body
            .attr("required")
            .map(|a| as_bool(&a.value))
            .transpose()?
            .unwrap_or(false),
        default: opt("default")?,
        allowed: match opt("allowed")? {
            Some(Val::List(items)) => items,
            Some(_) => return Err(format!("stdlib: field {name}: `allowed` is a list")),
            None => Vec::new(),
        },
        min: opt("min")?,
        max: opt("max")?,
        step: opt("step")?,
        rules: match b.body.attr("rule").map(|a| &a.value.kind) {
            None => Vec::new(),
            Some(ValueKind::Symbol(s)) => vec![*s],
            Some(ValueKind::List(items)) => items
                .iter()
                .map(|v| match v.kind {
                    ValueKind::Symbol(s) => Ok(s),
                    _ => Err(format!("stdlib: field {name}: a rule is a name")),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(format!("stdlib: field {name}: `rule` is a name or a list")),
        },
    })
}

fn figure(body: &Body<'static>) -> Result<Figure, String> {
    Ok(Figure {
        ms: match body.attr("value").map(|a| &a.value.kind) {
            Some(ValueKind::Duration(ms)) => Some(*ms),
            None => None,
            Some(_) => return Err("stdlib: a figure's value is a duration".into()),
        },
        source: string(body, "source")?,
        when: body
            .attr("when")
            .map(|_| symbol(body, "when").map(str::to_string))
            .transpose()?,
    })
}

fn fargate_sizes(body: &Body) -> Result<Vec<FargateSize>, String> {
    let Val::List(sizes) = literal(attr(body, "sizes")?)? else {
        return Err("stdlib: `sizes` is a list".into());
    };
    let mib = |v: &Val| match v {
        Val::Size(b) => Ok(b >> 20),
        _ => Err("stdlib: fargate memory is a size".to_string()),
    };
    sizes
        .iter()
        .map(|s| {
            let Val::Map(m) = s else {
                return Err("stdlib: a fargate size is a map".to_string());
            };
            let get = |k: &str| m.iter().find(|(n, _)| n == k).map(|(_, v)| v);
            let Some(Val::Int(cpu)) = get("cpu") else {
                return Err("stdlib: a fargate size has an integer cpu".to_string());
            };
            let memory = match (get("memory"), get("min"), get("max"), get("step")) {
                (Some(Val::List(l)), ..) => l.iter().map(mib).collect::<Result<_, _>>()?,
                (None, Some(min), Some(max), Some(step)) => {
                    let (min, max, step) = (mib(min)?, mib(max)?, mib(step)?);
                    (0..)
                        .map(|i| min + i * step)
                        .take_while(|m| *m <= max)
                        .collect()
                }
                _ => {
                    return Err(format!(
                        "stdlib: fargate size {cpu} needs memory or min/max/step"
                    ))
                }
            };
            Ok(FargateSize { cpu: *cpu, memory })
        })
        .collect()
}

fn attr<'b, 'a>(body: &'b Body<'a>, name: &str) -> Result<&'b Value<'a>, String> {
    body.attr(name)
        .map(|a| &a.value)
        .ok_or_else(|| format!("stdlib: missing `{name}`"))
}

fn block<'b, 'a>(body: &'b Body<'a>, name: &str) -> Result<&'b Block<'a>, String> {
    body.block(name)
        .ok_or_else(|| format!("stdlib: missing block `{name}`"))
}

/// A text of the stdlib, borrowed from its tree (a run copies none of them).
fn string(body: &Body<'static>, name: &str) -> Result<&'static str, String> {
    match &attr(body, name)?.kind {
        ValueKind::Str(parts) => match parts.as_slice() {
            [] => Ok(""),
            [StrPart::Text(Cow::Borrowed(s))] => Ok(s),
            // Only a stdlib read at run time (`load`, for tests) has text
            // with escapes, which the parser unescapes into a copy.
            [StrPart::Text(Cow::Owned(s))] => Ok(Box::leak(s.clone().into_boxed_str())),
            _ => Err(format!("stdlib: `{name}` cannot interpolate params")),
        },
        _ => Err(format!("stdlib: `{name}` is a string")),
    }
}

fn symbol<'a>(body: &Body<'a>, name: &str) -> Result<&'a str, String> {
    match attr(body, name)?.kind {
        ValueKind::Symbol(s) => Ok(s),
        _ => Err(format!("stdlib: `{name}` is a name")),
    }
}

fn as_bool(v: &Value) -> Result<bool, String> {
    match v.kind {
        ValueKind::Bool(b) => Ok(b),
        _ => Err("stdlib: expected a boolean".into()),
    }
}

/// A literal without interpolation.
fn literal(v: &Value) -> Result<Val, String> {
    Val::from_literal(v).ok_or_else(|| "stdlib: values cannot interpolate params".to_string())
}

impl Val {
    /// The value of a literal, or `None` if a string in it interpolates a
    /// param or it holds a literal that did not parse.
    pub fn from_literal(v: &Value) -> Option<Val> {
        Some(match &v.kind {
            ValueKind::Error => return None,
            ValueKind::Str(parts) => {
                let mut s = String::new();
                for p in parts {
                    match p {
                        StrPart::Text(t) => s.push_str(t),
                        StrPart::Param(_) => return None,
                    }
                }
                Val::Str(s)
            }
            ValueKind::Int(n) => Val::Int(*n),
            ValueKind::Duration(ms) => Val::Duration(*ms),
            ValueKind::Size(b) => Val::Size(*b),
            ValueKind::Bool(b) => Val::Bool(*b),
            ValueKind::Cidr { addr, prefix } => Val::Cidr(*addr, *prefix),
            ValueKind::Symbol(s) => Val::Symbol(s.to_string()),
            ValueKind::List(items) => {
                Val::List(items.iter().map(Val::from_literal).collect::<Option<_>>()?)
            }
            ValueKind::Map(pairs) => Val::Map(
                pairs
                    .iter()
                    .map(|(k, v)| Some((k.text.to_string(), Val::from_literal(v)?)))
                    .collect::<Option<_>>()?,
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn embedded_stdlib_loads() {
        let schema = super::load(super::SOURCE).expect("valid stdlib");
        // Which kinds: `lower::kinds` pairs them with their implementations.
        assert!(!schema.kinds.is_empty());
        assert!(schema
            .kinds
            .iter()
            .filter(|k| k.stateful)
            .all(|k| !k.lag.is_empty()));
        assert_eq!(schema.timing.alias_ttl.ms, Some(60_000));
        assert_eq!(schema.fargate_sizes.len(), 7);
    }

    #[test]
    fn the_version_table_answers_for_each_kind_of_version() {
        use super::VersionStatus::*;
        let t = &super::schema().engine_versions;
        let status = |v: &str| match t.aurora_postgres(v) {
            Listed(m, minor) => format!("{}.{minor}", m.major),
            Malformed => "malformed".into(),
            NotOffered => "not offered".into(),
            Deprecated(..) => "deprecated".into(),
            Newer => "newer".into(),
        };
        for (v, want) in [
            ("16.8", "16.8"),
            ("14.6", "14.6"),
            ("16.6", "deprecated"),
            ("13.23", "13.23"),
            ("postgres15", "malformed"),
            ("16", "malformed"),
            ("", "malformed"),
            ("16.6.1", "malformed"),
            ("-1.2", "malformed"),
            ("99999999999.1", "malformed"),
            ("16.5", "not offered"),
            ("17.1", "not offered"),
            ("9.6", "not offered"),
            ("16.11", "16.11"),
            ("16.16", "newer"),
            ("18.0", "not offered"),
            ("18.7", "newer"),
            ("19.0", "newer"),
        ] {
            assert_eq!(status(v), want, "{v}");
        }
    }

    #[test]
    fn the_tree_parsed_at_build_time_is_the_stdlib() {
        let (parsed, diags) = crate::syntax::parse_in(crate::diag::FileId::STDLIB, super::SOURCE);
        assert!(diags.is_empty());
        assert!(super::embedded_tree() == parsed);
        assert_eq!(
            format!("{:?}", super::schema()),
            format!("{:?}", super::load(super::SOURCE).unwrap())
        );
    }

    #[test]
    fn a_schema_declared_twice_is_an_error() {
        let twice = format!("{}\nschema timing {{}}\n", super::SOURCE);
        assert!(super::load(&twice)
            .unwrap_err()
            .contains("`schema timing` is declared twice"));
    }

    #[test]
    fn write_forwarding_follows_aws_list() {
        let t = &super::schema().engine_versions;
        for (v, want) in [
            ("16.1", Some(true)),
            ("17.4", Some(true)),
            ("15.4", Some(true)),
            ("15.3", Some(false)),
            ("14.9", Some(true)),
            ("14.8", Some(false)),
            ("13.22", Some(false)),
            ("14.6", Some(false)),
            ("19.1", None),
            ("16", None),
        ] {
            assert_eq!(t.write_forwarding(v), want, "{v}");
        }
    }

    #[test]
    fn every_rule_of_a_field_exists_and_patterns_are_compiled_in() {
        let bad_rule = super::SOURCE.replacen("rule     = dns_name", "rule     = no_such_rule", 1);
        assert!(super::load(&bad_rule).unwrap_err().contains("no_such_rule"));
        // A pattern is compiled when tapc is (build.rs): a stdlib loaded later
        // may only use those, whether its own pattern is a valid one or not.
        for other in ["^Z[", "^Z[A-Z0-9]{1,32}$"] {
            let changed = super::SOURCE.replacen(
                "pattern   = \"^Z[A-Z0-9]{1,31}$\"",
                &format!("pattern   = {other:?}"),
                1,
            );
            assert_ne!(changed, super::SOURCE);
            let e = super::load(&changed).unwrap_err();
            assert!(
                e.contains("rule hosted_zone_id") && e.contains("not one of"),
                "{e}"
            );
        }
        let bad_date = super::SOURCE.replacen("as_of = \"2026-12-02\"", "as_of = \"Dec 2026\"", 1);
        assert!(super::load(&bad_date).is_err());
    }

    /// Each rule's example and its variants in the ways values go wrong, and
    /// strings at the limits of the stdlib's patterns.
    fn pattern_texts() -> Vec<String> {
        let mut seeds: Vec<String> = super::schema()
            .rules
            .iter()
            .map(|r| r.example.replace("{key}", "us-east-1"))
            .collect();
        let hex = "0123456789abcdef".repeat(5);
        let tag = "v1.0-rc_2".repeat(15);
        for n in [63, 64, 65] {
            seeds.push(format!("app@sha256:{}", &hex[..n]));
            seeds.push(format!("app:1.0@sha256:{}", &hex[..n]));
            seeds.push(format!("app@sha256:{}", hex[..n].to_uppercase()));
        }
        for n in [126, 127, 128] {
            seeds.push(format!("app:{}", &tag[..n]));
            seeds.push(format!("app:a{}", &tag[..n]));
        }
        for n in [30, 31, 32] {
            seeds.push(format!("Z{}", &"0A".repeat(16)[..n]));
        }
        for n in [11, 12, 13] {
            seeds.push(format!(
                "arn:aws:acm:us-east-1:{}:certificate/0a1b-2c3d",
                &"1234567890123"[..n]
            ));
        }
        seeds.extend(
            [
                "",
                "localhost/app",
                "localhost:5000/app:1",
                "registry.example.com:5000/team/app:v1",
                "registry.example.com:/app",
                "registry.example.com:50a0/app",
                "-registry.com/app",
                "registry-.com/app",
                "team/app",
                "team//app",
                "Team/app",
                "a__b",
                "a___b",
                "a--b",
                "a.-b",
                "a._b",
                "app:.tag",
                "app:-tag",
                "app:_tag",
                "app:",
                "app@sha256:",
                "@sha256:",
                "db.serverless",
                "db.r6g.24xlarge",
                "db.t3.micro",
                "db.r6g.",
                "cache.r6g.xlarge",
                "cache.m7g.16xlarge",
                "/",
                "/a b",
                "/health?x=1&y=%20",
                "health",
                "é",
                "\n",
                "\nx",
                "aws.ec2",
            ]
            .map(String::from),
        );
        let mut texts = seeds.clone();
        for seed in &seeds {
            texts.push(seed.to_uppercase());
            let at: Vec<usize> = seed
                .char_indices()
                .map(|(i, _)| i)
                .chain([seed.len()])
                .collect();
            for &i in &at {
                let (head, tail) = seed.split_at(i);
                let rest = tail.chars().skip(1).collect::<String>();
                texts.push(format!("{head}{rest}"));
                for c in [
                    'a', 'Z', '0', '.', '-', '_', '/', ':', '@', ' ', '\n', 'é', '€',
                ] {
                    texts.push(format!("{head}{c}{tail}"));
                    texts.push(format!("{head}{c}{rest}"));
                }
            }
        }
        texts
    }

    /// The automata built from the stdlib's patterns (build.rs) answer as
    /// regex-lite, the engine the patterns are written for.
    #[test]
    fn the_automata_answer_as_regex_lite() {
        let texts = pattern_texts();
        // xorshift: the same strings on every run.
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut rand = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for (source, dfa) in super::PATTERNS {
            let pattern = super::Pattern::find(source).unwrap();
            let regex = regex_lite::Regex::new(source).unwrap();
            let mut walks = Vec::new();
            // Random walks through the automaton, mostly on bytes that keep a
            // match possible, often stopping where the text could end: strings
            // deep into the pattern, a byte or two off it, of up to 200 bytes.
            for _ in 0..2000 {
                let (mut text, mut state) = (Vec::new(), super::Dfa::START);
                let end = |state: usize| dfa.next[state * dfa.stride + dfa.stride - 1];
                for _ in 0..20 + rand(180) {
                    if end(state) == 1 && rand(2) == 0 {
                        break;
                    }
                    let step = |b: usize| dfa.next[state * dfa.stride + dfa.classes[b] as usize];
                    let live: Vec<usize> = (0..128).filter(|&b| step(b) != 0).collect();
                    let b = match rand(50) {
                        0 => rand(128),
                        _ if !live.is_empty() => live[rand(live.len())],
                        _ => rand(128),
                    };
                    text.push(b as u8);
                    state = step(b) as usize;
                    if state < super::Dfa::START {
                        break;
                    }
                }
                walks.push(String::from_utf8(text).unwrap());
            }
            let mut answers = [0, 0];
            for text in texts.iter().chain(&walks) {
                let want = regex.is_match(text);
                assert_eq!(pattern.is_match(text), want, "{source:?} on {text:?}");
                answers[usize::from(want)] += 1;
            }
            // Both answers were tested, many times.
            assert!(answers.iter().all(|&n| n > 100), "{source:?}: {answers:?}");
        }
    }

    #[test]
    fn every_stdlib_pattern_has_its_automaton_and_passes_its_example() {
        let mut patterns = 0;
        for rule in &super::schema().rules {
            if let super::Shape::Pattern { regex, .. } = &rule.shape {
                let example = rule.example.replace("{key}", "us-east-1");
                assert!(regex.is_match(&example), "{}: {example}", rule.name);
                patterns += 1;
            }
        }
        assert!(patterns >= super::PATTERNS.len() && super::PATTERNS.len() > 10);
    }

    #[test]
    fn malformed_stdlib_is_an_error_not_a_panic() {
        for src in [
            "schema platform {",
            "platform p {}",
            "schema platform {\n  rto {\n    type = nonsense\n  }\n}",
            "schema fargate {\n  stateful = true\n}",
        ] {
            assert!(super::load(src).is_err(), "{src}");
        }
    }
}
