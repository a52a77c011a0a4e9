//! The stdlib schema (`stdlib/aws.tap`), embedded and loaded into typed form.
//!
//! The checker validates attributes against this data, and the RTO/RPO budget
//! takes its figures from it; no attribute has a code path of its own here.

use std::sync::OnceLock;

use crate::model::Val;
use crate::syntax::ast::{Block, Body, ItemKind, StrPart, Value, ValueKind};

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
    pub name: String,
    pub ty: Type,
    pub doc: String,
    pub required: bool,
    pub default: Option<Val>,
    pub allowed: Vec<Val>,
    pub min: Option<Val>,
    pub max: Option<Val>,
    /// Values must be a whole multiple of this.
    pub step: Option<Val>,
}

/// The fields of a body and of the blocks nested in it.
#[derive(Debug, Default)]
pub struct Fields {
    pub fields: Vec<Field>,
    pub blocks: Vec<(String, Fields)>,
}

impl Fields {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
    pub fn block(&self, name: &str) -> Option<&Fields> {
        self.blocks.iter().find(|(n, _)| n == name).map(|(_, f)| f)
    }
}

/// A timing figure with its source; `ms` is `None` where AWS publishes no bound.
#[derive(Debug, Clone)]
pub struct Figure {
    pub ms: Option<u64>,
    pub source: String,
    /// The replicate attribute (a bool) that must be true for this figure to apply.
    pub when: Option<String>,
}

#[derive(Debug)]
pub struct Kind {
    pub name: String,
    pub doc: String,
    /// Holds data, so it must be replicated to every secondary.
    pub stateful: bool,
    /// One resource for all regions (global table, global database) rather than one per region.
    pub global: bool,
    pub fields: Fields,
    pub replicate: Fields,
    pub promotion: Figure,
    /// Replication lag figures, the first whose `when` holds applies.
    pub lag: Vec<Figure>,
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
    pub task_start: Figure,
    pub target_check: Figure,
    pub rebuild: Figure,
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
}

impl Schema {
    pub fn kind(&self, name: &str) -> Option<&Kind> {
        self.kinds.iter().find(|k| k.name == name)
    }
}

/// The embedded stdlib. Its validity is asserted by the test suite.
pub fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| load(SOURCE).expect("the embedded stdlib is valid (tested)"))
}

/// Loads a stdlib source; any error names what is malformed.
pub fn load(src: &str) -> Result<Schema, String> {
    let (file, diags) = crate::syntax::parse(src);
    if let Some(d) = diags.first() {
        return Err(format!(
            "stdlib: {} at byte {}",
            d.message,
            d.primary_span().start
        ));
    }
    let mut schemas = Vec::new();
    for item in &file.items {
        match &item.kind {
            ItemKind::Schema { name, body } => schemas.push((name.name, body)),
            _ => return Err("stdlib: only `schema` items are allowed".into()),
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
                source: "stateless: nothing to promote".into(),
                when: None,
            },
        };
        kinds.push(Kind {
            name: name.to_string(),
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
    Ok(Schema {
        platform: fields(get("platform")?)?,
        region: fields(get("region")?)?,
        endpoint: fields(get("endpoint")?)?,
        kinds,
        fargate_sizes: fargate_sizes(get("fargate_sizes")?)?,
        timing: Timing {
            probe_timeout: fig("probe_timeout")?,
            alias_ttl: fig("alias_ttl")?,
            task_start: fig("task_start")?,
            target_check: fig("target_check")?,
            rebuild: fig("rebuild")?,
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
    })
}

/// Every nested block whose own body holds a `type` is a field; any other nested
/// block (other than replicate and timing) is a block of fields, such as `health`.
fn fields(body: &Body) -> Result<Fields, String> {
    let mut out = Fields::default();
    for b in &body.blocks {
        match b.name.name {
            "replicate" | "timing" => {}
            _ if b.body.attr("type").is_some() => out.fields.push(field(b)?),
            name => out.blocks.push((name.to_string(), fields(&b.body)?)),
        }
    }
    Ok(out)
}

fn field(b: &Block) -> Result<Field, String> {
    let name = b.name.name;
    let ty_name = symbol(&b.body, "type")?;
    let ty = Type::parse(ty_name)
        .ok_or_else(|| format!("stdlib: field {name}: unknown type {ty_name}"))?;
    let opt = |key: &str| b.body.attr(key).map(|a| literal(&a.value)).transpose();
    Ok(Field {
        name: name.to_string(),
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
    })
}

fn figure(body: &Body) -> Result<Figure, String> {
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

fn string(body: &Body, name: &str) -> Result<String, String> {
    match literal(attr(body, name)?)? {
        Val::Str(s) => Ok(s),
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
    /// The value of a literal, or `None` if a string in it interpolates a param.
    pub fn from_literal(v: &Value) -> Option<Val> {
        Some(match &v.kind {
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
        let kinds: Vec<&str> = schema.kinds.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "fargate",
                "aurora_postgres",
                "dynamodb",
                "s3",
                "eventbridge"
            ]
        );
        assert!(schema
            .kinds
            .iter()
            .filter(|k| k.stateful)
            .all(|k| !k.lag.is_empty()));
        assert_eq!(schema.timing.alias_ttl.ms, Some(60_000));
        assert_eq!(schema.fargate_sizes.len(), 7);
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
