//! The checked model: the checker's output and the input of the graph and
//! lowering stages. Params are substituted, defaults filled, references resolved.

use std::fmt;

use crate::diag::Span;
use crate::stdlib::Kind;
use crate::text::cat;

/// A resolved attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Str(String),
    Int(i64),
    /// Milliseconds.
    Duration(u64),
    /// Bytes.
    Size(u64),
    Bool(bool),
    Cidr(u32, u8),
    Symbol(String),
    List(Vec<Val>),
    Map(Vec<(String, Val)>),
}

impl fmt::Display for Val {
    /// The value as it would be written in a `.tap` file.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::Str(s) => {
                // The escapes `.tap` has; what it cannot escape is shown as `<U+XXXX>`.
                f.write_str("\"")?;
                for c in s.chars() {
                    match c {
                        '"' => f.write_str("\\\"")?,
                        '\\' => f.write_str("\\\\")?,
                        '\n' => f.write_str("\\n")?,
                        '\t' => f.write_str("\\t")?,
                        c => f.write_str(&crate::diag::visible(c.encode_utf8(&mut [0; 4])))?,
                    }
                }
                f.write_str("\"")
            }
            Val::Int(n) => write!(f, "{n}"),
            Val::Duration(ms) => f.write_str(&duration(*ms)),
            Val::Size(b) => f.write_str(&size(*b)),
            Val::Bool(b) => write!(f, "{b}"),
            Val::Cidr(addr, prefix) => f.write_str(&cidr(*addr, *prefix)),
            Val::Symbol(s) => f.write_str(s),
            Val::List(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Val::Map(pairs) => {
                f.write_str("{")?;
                for (i, (k, v)) in pairs.iter().enumerate() {
                    let sep = if i > 0 { ", " } else { " " };
                    write!(f, "{sep}{k} = {v}")?;
                }
                f.write_str(" }")
            }
        }
    }
}

/// A duration in the largest units that keep it exact: `1m30s`, `500ms`, `7d`.
pub fn duration(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let units = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1_000, "s"),
        (1, "ms"),
    ];
    let mut out = String::new();
    let mut rest = ms;
    for (unit, name) in units {
        if rest >= unit {
            crate::text::put_decimal(rest / unit, &mut out);
            out.push_str(name);
            rest %= unit;
        }
    }
    out
}

/// The hosted zone tapc creates for a domain: the domain less its first
/// label (`api.example.com` -> `example.com`).
pub fn zone_name(domain: &str) -> &str {
    match domain.split_once('.') {
        Some((_, rest)) if rest.contains('.') => rest,
        _ => domain,
    }
}

pub fn size(bytes: u64) -> String {
    let units = [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")];
    for (shift, name) in units {
        if bytes >= 1 << shift && bytes % (1 << shift) == 0 {
            return format!("{}{name}", bytes >> shift);
        }
    }
    format!("{bytes} bytes")
}

/// `10.0.0.0/16`.
pub fn cidr(addr: u32, prefix: u8) -> String {
    let [a, b, c, d] = addr.to_be_bytes();
    cat!(a, ".", b, ".", c, ".", d, "/", prefix)
}

/// Where a resolved value came from, for diagnostics about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The attribute value in the program (or the field's name for a default).
    pub span: Span,
    /// The param the value came from, if any.
    pub param: Option<ParamUse>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamUse {
    pub name: String,
    /// The param's declaration.
    pub decl: Span,
    /// Its value was given for this run, from outside the program, rather
    /// than by its default.
    pub given: bool,
}

/// Resolved attributes of one body, in the stdlib's field order.
#[derive(Clone, Debug, Default)]
pub struct Attrs {
    pub values: Vec<(String, Val, Origin)>,
}

impl Attrs {
    pub fn get(&self, name: &str) -> Option<&Val> {
        self.values
            .iter()
            .find(|(n, ..)| n == name)
            .map(|(_, v, _)| v)
    }
    pub fn origin(&self, name: &str) -> Option<&Origin> {
        self.values
            .iter()
            .find(|(n, ..)| n == name)
            .map(|(.., o)| o)
    }
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.get(name) {
            Some(Val::Int(n)) => Some(*n),
            _ => None,
        }
    }
    pub fn duration(&self, name: &str) -> Option<u64> {
        match self.get(name) {
            Some(Val::Duration(ms)) => Some(*ms),
            _ => None,
        }
    }
    pub fn size(&self, name: &str) -> Option<u64> {
        match self.get(name) {
            Some(Val::Size(b)) => Some(*b),
            _ => None,
        }
    }
    pub fn str(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(Val::Str(s) | Val::Symbol(s)) => Some(s),
            _ => None,
        }
    }
    pub fn bool(&self, name: &str) -> Option<bool> {
        match self.get(name) {
            Some(Val::Bool(b)) => Some(*b),
            _ => None,
        }
    }
    pub fn strings(&self, name: &str) -> Vec<&str> {
        match self.get(name) {
            Some(Val::List(items)) => items
                .iter()
                .filter_map(|v| match v {
                    Val::Str(s) | Val::Symbol(s) => Some(s.as_str()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
    pub fn map(&self, name: &str) -> Vec<(&str, &str)> {
        match self.get(name) {
            Some(Val::Map(pairs)) => pairs
                .iter()
                .filter_map(|(k, v)| match v {
                    Val::Str(s) => Some((k.as_str(), s.as_str())),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    BackupRestore,
    PilotLight,
    WarmStandby,
    ActiveActive,
}

impl Strategy {
    pub fn parse(s: &str) -> Option<Strategy> {
        Some(match s {
            "backup_restore" => Strategy::BackupRestore,
            "pilot_light" => Strategy::PilotLight,
            "warm_standby" => Strategy::WarmStandby,
            "active_active" => Strategy::ActiveActive,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::BackupRestore => "backup_restore",
            Strategy::PilotLight => "pilot_light",
            Strategy::WarmStandby => "warm_standby",
            Strategy::ActiveActive => "active_active",
        }
    }
}

#[derive(Debug)]
pub struct Platform {
    pub name: String,
    pub name_span: Span,
    pub attrs: Attrs,
    pub strategy: Strategy,
    /// The `suffix` param's value, when one is declared.
    pub suffix: Option<(String, ParamUse)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Primary,
    Secondary,
}

#[derive(Debug)]
pub struct Region {
    pub code: String,
    pub span: Span,
    pub role: Role,
    pub attrs: Attrs,
}

impl Region {
    pub fn cidr(&self) -> (u32, u8) {
        match self.attrs.get("cidr") {
            Some(Val::Cidr(a, p)) => (*a, *p),
            _ => (0, 16),
        }
    }

    /// The prefix of each of its subnets: the VPC's block split into a public
    /// and a private subnet per AZ, in a power of two of equal parts.
    pub fn subnet_prefix(&self) -> u8 {
        let azs = self.attrs.int("azs").unwrap_or(2) as u32;
        self.cidr().1 + (2 * azs).next_power_of_two().trailing_zeros() as u8
    }
}

#[derive(Debug)]
pub struct Service {
    pub name: String,
    pub span: Span,
    pub kind: &'static Kind,
    pub attrs: Attrs,
    /// Indices into `Model::services`, with the span of each reference.
    pub needs: Vec<(usize, Span)>,
    pub replication: Option<Replication>,
}

#[derive(Debug)]
pub struct Replication {
    pub span: Span,
    /// Indices into `Model::regions`.
    pub regions: Vec<usize>,
    /// Where each of `regions` is named in the `replicate` item.
    pub region_spans: Vec<Span>,
    pub attrs: Attrs,
}

#[derive(Debug)]
pub struct Endpoint {
    pub name: String,
    pub span: Span,
    pub attrs: Attrs,
    pub health: Attrs,
    /// Index into `Model::services`.
    pub target: usize,
    /// The endpoint whose created hosted zone holds this one's records (none
    /// when `zone` names an existing zone): the first endpoint without `zone`
    /// whose zone has the same name. Endpoints under one domain share one
    /// zone: two zones of one name would leave one of them undelegated, and
    /// make the secondaries' records, which name their zone by name,
    /// ambiguous to CloudFormation.
    pub zone: Option<usize>,
}

#[derive(Debug)]
pub struct Model {
    pub platform: Platform,
    /// In declaration order.
    pub regions: Vec<Region>,
    pub services: Vec<Service>,
    pub endpoints: Vec<Endpoint>,
    pub budget: Budget,
}

impl Model {
    pub fn primary(&self) -> usize {
        self.regions
            .iter()
            .position(|r| r.role == Role::Primary)
            .expect("the checker guarantees one primary")
    }
    pub fn secondaries(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.regions.len()).filter(|&i| self.regions[i].role == Role::Secondary)
    }
}

// The recovery objectives' arithmetic as the checker computed it
// (`check::budget`), kept for the summary, the runbook and the language server.

#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    pub name: &'static str,
    pub ms: u64,
    /// How the value was found ("30s x 2 + 6s probe time-out").
    pub how: String,
    /// Where it comes from in the program, if anywhere.
    pub span: Option<Span>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct RtoBudget {
    pub terms: Vec<Term>,
    pub total: u64,
    pub objective: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RpoRow {
    pub service: String,
    /// `None`: no published bound.
    pub lag: Option<u64>,
    pub source: String,
    pub objective: u64,
    /// `service` when the service sets its own `rpo`, else `platform`.
    pub objective_from: &'static str,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Budget {
    pub rto: Option<RtoBudget>,
    pub rpo: Vec<RpoRow>,
}
