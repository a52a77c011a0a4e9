//! The stdlib schema (`stdlib/aws.tap`), embedded and loaded into typed form.
//!
//! The checker validates attributes against this data, and the RTO/RPO budget
//! takes its figures from it; no attribute has a code path of its own here.
//!
//! The schema is static data, compiled into tapc: `src/stdlib/schema.rs` is
//! the schema of `stdlib/aws.tap` written out as Rust, by the loader in
//! `src/stdlib/load.rs` (a test fails while it is not the stdlib's; `UPDATE=1
//! cargo test --lib stdlib` writes it again). A run neither parses the stdlib
//! nor builds anything from it: start-up touches only the data it reads.

use std::fmt;

use crate::model::Val;
use crate::syntax::ast::{StrPart, Value, ValueKind};

#[cfg(test)]
mod load;
#[cfg(test)]
pub(crate) use load::load;

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
    pub default: Option<Lit>,
    pub allowed: &'static [Lit],
    pub min: Option<Lit>,
    pub max: Option<Lit>,
    /// Values must be a whole multiple of this.
    pub step: Option<Lit>,
    /// Names of the rules (`schema rules`) a string, or each element or map value, must pass.
    pub rules: &'static [&'static str],
}

/// The fields of a body and of the blocks nested in it.
#[derive(Debug, Default)]
pub struct Fields {
    pub fields: &'static [Field],
    pub blocks: &'static [(&'static str, Fields)],
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
    pub when: Option<&'static str>,
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
    pub lag: &'static [Figure],
    /// What the kind is in the graph, the lowering and the checker: its
    /// implementation, paired by name by the loader that writes this schema
    /// (a kind without one fails to load).
    pub(crate) imp: &'static dyn crate::lower::kinds::Behaviour,
    /// The kind's own tables: its other attributes (versions, limits, ...),
    /// read by its implementation.
    pub data: &'static [(&'static str, Lit)],
}

impl Kind {
    /// The kind's table `key`, if the stdlib gives it.
    pub fn data(&self, key: &str) -> Option<&'static Lit> {
        self.data.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
}

#[derive(Debug)]
pub struct FargateSize {
    pub cpu: i64,
    /// Memory sizes in MiB.
    pub memory: &'static [u64],
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
    pub kinds: &'static [Kind],
    pub fargate_sizes: &'static [FargateSize],
    pub timing: Timing,
    pub regions: &'static [&'static str],
    /// The rules on free-text values (`schema rules`).
    pub rules: &'static [Rule],
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
    pub code: Option<&'static str>,
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
        reserved: &'static [&'static str],
    },
    /// A DNS name.
    Dns {
        label_max: usize,
        max_len: usize,
        min_labels: usize,
    },
    /// An engine version of the named table of `schema engine_versions`.
    Versions(&'static str),
}

/// A rule's regular expression, as the automaton build.rs compiled it to when
/// tapc was compiled: a run compiles no pattern.
pub struct Pattern {
    source: &'static str,
    dfa: &'static Dfa,
}

impl Pattern {
    /// The pattern compiled into tapc whose text is `source`, found when tapc
    /// is compiled (the static schema names its patterns by their text).
    pub const fn of(source: &'static str) -> Pattern {
        let mut i = 0;
        while i < PATTERNS.len() {
            if same(PATTERNS[i].0.as_bytes(), source.as_bytes()) {
                return Pattern {
                    source,
                    dfa: &PATTERNS[i].1,
                };
            }
            i += 1;
        }
        panic!("a pattern of the schema is not one of stdlib/aws.tap's")
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
const PATTERNS: &[(&str, Dfa)] = include!(concat!(env!("OUT_DIR"), "/stdlib_patterns.rs"));

/// `a == b`, when tapc is compiled.
const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// A value the stdlib gives (a default, an allowed value, a bound, a kind's
/// table): `Val`'s static form.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Lit {
    Str(&'static str),
    Int(i64),
    /// Milliseconds.
    Duration(u64),
    /// Bytes.
    Size(u64),
    Bool(bool),
    Cidr(u32, u8),
    Symbol(&'static str),
    List(&'static [Lit]),
    Map(&'static [(&'static str, Lit)]),
}

impl Lit {
    /// The value, as a program's would be.
    pub fn to_val(&self) -> Val {
        match *self {
            Lit::Str(s) => Val::Str(s.to_string()),
            Lit::Int(n) => Val::Int(n),
            Lit::Duration(ms) => Val::Duration(ms),
            Lit::Size(b) => Val::Size(b),
            Lit::Bool(b) => Val::Bool(b),
            Lit::Cidr(a, p) => Val::Cidr(a, p),
            Lit::Symbol(s) => Val::Symbol(s.to_string()),
            Lit::List(items) => Val::List(items.iter().map(Lit::to_val).collect()),
            Lit::Map(pairs) => Val::Map(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_val()))
                    .collect(),
            ),
        }
    }
}

impl PartialEq<Val> for Lit {
    fn eq(&self, other: &Val) -> bool {
        match (*self, other) {
            (Lit::Str(a), Val::Str(b)) | (Lit::Symbol(a), Val::Symbol(b)) => a == b,
            (Lit::Int(a), Val::Int(b)) => a == *b,
            (Lit::Duration(a), Val::Duration(b)) | (Lit::Size(a), Val::Size(b)) => a == *b,
            (Lit::Bool(a), Val::Bool(b)) => a == *b,
            (Lit::Cidr(a, p), Val::Cidr(b, q)) => (a, p) == (*b, *q),
            (Lit::List(a), Val::List(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
            }
            (Lit::Map(a), Val::Map(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|((k, x), (l, y))| k == l && x == y)
            }
            _ => false,
        }
    }
}

/// As it would be written in a `.tap` file (as `Val` shows it).
impl fmt::Display for Lit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_val().fmt(f)
    }
}

/// The engine version tables of `schema engine_versions`.
#[derive(Debug)]
pub struct EngineVersions {
    /// The date the tables describe (`YYYY-MM-DD`).
    pub as_of: &'static str,
    pub aurora_postgres: &'static [Major],
}

/// One major version of an engine.
#[derive(Debug, PartialEq, Eq)]
pub struct Major {
    pub major: u32,
    /// The minor versions AWS offers for new clusters, ascending.
    pub minors: &'static [u32],
    /// Minors AWS lists but no longer creates clusters with.
    pub deprecated: &'static [u32],
    /// Minors without global database support.
    pub no_global: &'static [u32],
    /// The first minor with global write forwarding, if any has it.
    pub forwarding: Option<u32>,
    /// The end of standard support (`YYYY-MM-DD`).
    pub support_ends: &'static str,
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

/// The stdlib's schema, compiled into tapc.
pub fn schema() -> &'static Schema {
    &SCHEMA
}

static SCHEMA: Schema = include!("stdlib/schema.rs");

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
            let pattern = super::Pattern::of(source);
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
        for rule in super::schema().rules {
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
