//! The loader of a stdlib source, and the writer of `schema.rs`, the schema
//! compiled into tapc. Both run in tests only: a run of tapc uses the static
//! schema. `the_compiled_in_schema_is_the_stdlibs` fails while `schema.rs` is
//! not what this loader makes of `stdlib/aws.tap`; `UPDATE=1 cargo test --lib
//! stdlib` writes it again.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::*;
use crate::syntax::ast::{Block, Body, File, ItemKind};

/// Loads a stdlib source; any error names what is malformed. The schema is
/// static data, as the one compiled into tapc is: the source and what is
/// built from it are kept for the rest of the run (a test's).
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
        kind_fields.fields = leak(
            kind_fields
                .fields
                .iter()
                .chain(common.fields)
                .cloned()
                .collect(),
        );
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
            .map(|a| Ok((a.name.name, literal(&a.value)?)))
            .collect::<Result<_, String>>()?;
        kinds.push(Kind {
            imp,
            data: leak(data),
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
            lag: leak(
                figures
                    .iter()
                    .filter(|b| b.name.name == "lag")
                    .map(|b| figure(&b.body))
                    .collect::<Result<_, _>>()?,
            ),
        });
    }
    let timing = get("timing")?;
    let fig = |name: &str| figure(&block(timing, name)?.body);
    let schema = Schema {
        platform: fields(get("platform")?)?,
        region: fields(get("region")?)?,
        endpoint: fields(get("endpoint")?)?,
        kinds: leak(kinds),
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
            ValueKind::List(items) => leak(
                items
                    .iter()
                    .map(|v| match v.kind {
                        ValueKind::Symbol(s) => Ok(s),
                        _ => Err("stdlib: region codes are names".to_string()),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            _ => return Err("stdlib: `regions` is a list".into()),
        },
        rules: leak(
            get("rules")?
                .blocks
                .iter()
                .map(rule)
                .collect::<Result<_, _>>()?,
        ),
        engine_versions: engine_versions(get("engine_versions")?)?,
    };
    // Every rule a field names exists, and every version rule names a table.
    let mut all: Vec<&Fields> = vec![&schema.platform, &schema.region, &schema.endpoint];
    for k in schema.kinds {
        all.extend([&k.fields, &k.replicate]);
    }
    while let Some(f) = all.pop() {
        all.extend(f.blocks.iter().map(|(_, b)| b));
        for field in f.fields {
            if let Some(r) = field.rules.iter().find(|r| schema.rule(r).is_none()) {
                return Err(format!("stdlib: field {}: unknown rule {r}", field.name));
            }
        }
    }
    for r in schema.rules {
        if matches!(r.shape, Shape::Versions(t) if t != "aurora_postgres") {
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
            regex: find_pattern(p).map_err(|e| err(&e))?,
            min_len: count("min_len")?,
            max_len: count("max_len")?,
            reserved: match body
                .attr("reserved")
                .map(|a| literal(&a.value))
                .transpose()?
            {
                None => &[],
                Some(Lit::List(items)) => leak(
                    items
                        .iter()
                        .map(|v| match v {
                            Lit::Str(s) => Ok(&*Box::leak(s.to_lowercase().into_boxed_str())),
                            _ => Err(err("`reserved` holds strings")),
                        })
                        .collect::<Result<_, _>>()?,
                ),
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
        Shape::Versions(symbol(body, "versions")?)
    } else {
        return Err(err("needs `pattern`, `dns` or `versions`"));
    };
    let code = match body
        .attr("code")
        .map(|_| symbol(body, "code"))
        .transpose()?
    {
        Some(c) if is_code(c) => Some(c),
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
    let Lit::List(majors) = literal(attr(body, "aurora_postgres")?)? else {
        return Err("stdlib: `aurora_postgres` is a list".into());
    };
    let aurora_postgres = majors
        .iter()
        .map(|m| {
            let Lit::Map(m) = m else {
                return Err("stdlib: a major version is a map".to_string());
            };
            let get = |k: &str| m.iter().find(|(n, _)| *n == k).map(|(_, v)| v);
            let num = |k: &str| match get(k) {
                Some(Lit::Int(n)) if *n >= 0 => Ok(Some(*n as u32)),
                None => Ok(None),
                Some(_) => Err(format!("stdlib: `{k}` of a major version is a number")),
            };
            let need =
                |k: &str| num(k)?.ok_or_else(|| format!("stdlib: a major version needs `{k}`"));
            let list = |k: &str| match get(k) {
                None => Ok(&[][..]),
                Some(Lit::List(items)) => items
                    .iter()
                    .map(|v| match v {
                        Lit::Int(n) if *n >= 0 => Ok(*n as u32),
                        _ => Err(format!("stdlib: `{k}` holds minor versions")),
                    })
                    .collect::<Result<_, _>>()
                    .map(leak),
                Some(_) => Err(format!("stdlib: `{k}` is a list")),
            };
            let support_ends = match get("support_ends") {
                Some(Lit::Str(d)) if is_date(d) => *d,
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
        as_of,
        aurora_postgres: leak(aurora_postgres),
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
    let (mut own, mut blocks) = (Vec::new(), Vec::new());
    for b in &body.blocks {
        match b.name.name {
            "replicate" | "timing" => {}
            _ if b.body.attr("type").is_some() => own.push(field(b)?),
            name => blocks.push((name, fields(&b.body)?)),
        }
    }
    Ok(Fields {
        fields: leak(own),
        blocks: leak(blocks),
    })
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
            Some(Lit::List(items)) => items,
            Some(_) => return Err(format!("stdlib: field {name}: `allowed` is a list")),
            None => &[],
        },
        min: opt("min")?,
        max: opt("max")?,
        step: opt("step")?,
        rules: match b.body.attr("rule").map(|a| &a.value.kind) {
            None => &[],
            Some(ValueKind::Symbol(s)) => leak(vec![*s]),
            Some(ValueKind::List(items)) => leak(
                items
                    .iter()
                    .map(|v| match v.kind {
                        ValueKind::Symbol(s) => Ok(s),
                        _ => Err(format!("stdlib: field {name}: a rule is a name")),
                    })
                    .collect::<Result<_, _>>()?,
            ),
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
            .map(|_| symbol(body, "when"))
            .transpose()?,
    })
}

fn fargate_sizes(body: &Body<'static>) -> Result<&'static [FargateSize], String> {
    let Lit::List(sizes) = literal(attr(body, "sizes")?)? else {
        return Err("stdlib: `sizes` is a list".into());
    };
    let mib = |v: &Lit| match v {
        Lit::Size(b) => Ok(b >> 20),
        _ => Err("stdlib: fargate memory is a size".to_string()),
    };
    sizes
        .iter()
        .map(|s| {
            let Lit::Map(m) = s else {
                return Err("stdlib: a fargate size is a map".to_string());
            };
            let get = |k: &str| m.iter().find(|(n, _)| *n == k).map(|(_, v)| v);
            let Some(Lit::Int(cpu)) = get("cpu") else {
                return Err("stdlib: a fargate size has an integer cpu".to_string());
            };
            let memory = match (get("memory"), get("min"), get("max"), get("step")) {
                (Some(Lit::List(l)), ..) => l.iter().map(mib).collect::<Result<_, _>>()?,
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
            Ok(FargateSize {
                cpu: *cpu,
                memory: leak(memory),
            })
        })
        .collect::<Result<_, _>>()
        .map(leak)
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
            [StrPart::Text(t)] => Ok(text(t)),
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
fn literal(v: &Value<'static>) -> Result<Lit, String> {
    let no = || "stdlib: values cannot interpolate params".to_string();
    Ok(match &v.kind {
        ValueKind::Str(parts) => match parts.as_slice() {
            [] => Lit::Str(""),
            [StrPart::Text(t)] => Lit::Str(text(t)),
            _ => return Err(no()),
        },
        ValueKind::Int(n) => Lit::Int(*n),
        ValueKind::Duration(ms) => Lit::Duration(*ms),
        ValueKind::Size(b) => Lit::Size(*b),
        ValueKind::Bool(b) => Lit::Bool(*b),
        ValueKind::Cidr { addr, prefix } => Lit::Cidr(*addr, *prefix),
        ValueKind::Symbol(s) => Lit::Symbol(s),
        ValueKind::List(items) => {
            Lit::List(leak(items.iter().map(literal).collect::<Result<_, _>>()?))
        }
        ValueKind::Map(pairs) => Lit::Map(leak(
            pairs
                .iter()
                .map(|(k, v)| Ok((text(&k.text), literal(v)?)))
                .collect::<Result<_, String>>()?,
        )),
        ValueKind::Error => return Err(no()),
    })
}

/// A text of the source, or the unescaped copy the parser made of one, kept.
#[allow(clippy::ptr_arg)] // a borrowed text is kept as it is, a copy leaked
fn text(t: &Cow<'static, str>) -> &'static str {
    match t {
        Cow::Borrowed(s) => s,
        Cow::Owned(s) => Box::leak(s.clone().into_boxed_str()),
    }
}

/// What is built from a stdlib is kept for the rest of the run, as the data
/// compiled into tapc is.
fn leak<T>(v: Vec<T>) -> &'static [T] {
    v.leak()
}

/// The pattern compiled into tapc whose text is `source`.
fn find_pattern(source: &str) -> Result<Pattern, String> {
    PATTERNS
        .iter()
        .find(|(s, _)| *s == source)
        .map(|(source, _)| Pattern::of(source))
        .ok_or_else(|| {
            format!("pattern {source:?} is not one of stdlib/aws.tap's, compiled into tapc")
        })
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
}

/// Rust code of a value of the schema, as `schema.rs` holds it.
trait Rust {
    fn rust(&self, out: &mut String);
}

/// Rust code of the schema: the text of `schema.rs`.
pub(super) fn rust(schema: &Schema) -> String {
    let mut code = String::new();
    schema.rust(&mut code);
    let mut out = String::from(
        "// The schema of stdlib/aws.tap, written by src/stdlib/load.rs: do not edit.\n\
         // `UPDATE=1 cargo test --lib stdlib` writes it again.\n",
    );
    indent(&code, &mut out);
    out
}

/// Breaks the code after each `{`, `[` and `,` between them and before each
/// `}` and `]`, outside strings and parentheses, and indents it: one value a
/// line, so a change to the stdlib is a readable change to `schema.rs`.
fn indent(code: &str, out: &mut String) {
    let mut open: Vec<char> = Vec::new();
    let (mut in_str, mut escaped) = (false, false);
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"    ".repeat(depth));
    };
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        if in_str {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_str = false,
                _ => {}
            }
            continue;
        }
        let broken = |open: &[char]| matches!(open.last(), Some('{' | '['));
        match c {
            '"' => in_str = true,
            // An index (`KINDS[0]`) is not a slice (`&[...]`): not broken.
            '[' if !out.ends_with('&') => open.push('('),
            '{' | '[' | '(' => open.push(c),
            '}' | ']' | ')' => {
                let was = broken(&open);
                open.pop();
                if was && c != ')' && !matches!(out.chars().last(), Some('[' | '{')) {
                    newline(out, open.len());
                }
            }
            _ => {}
        }
        out.push(c);
        let closes = matches!(next, Some('}' | ']'));
        if (matches!(c, '{' | '[') && broken(&open) || c == ',' && broken(&open)) && !closes {
            newline(out, open.len());
        }
    }
    out.push('\n');
}

impl Rust for &str {
    fn rust(&self, out: &mut String) {
        write!(out, "{self:?}").unwrap();
    }
}

impl Rust for bool {
    fn rust(&self, out: &mut String) {
        write!(out, "{self}").unwrap();
    }
}

macro_rules! numbers {
    ($($t:ty),*) => {$(
        impl Rust for $t {
            fn rust(&self, out: &mut String) {
                write!(out, "{self}").unwrap();
            }
        }
    )*};
}
numbers!(u8, u32, u64, i64, usize);

impl<T: Rust> Rust for Option<T> {
    fn rust(&self, out: &mut String) {
        match self {
            Some(v) => {
                out.push_str("Some(");
                v.rust(out);
                out.push(')');
            }
            None => out.push_str("None"),
        }
    }
}

impl<T: Rust> Rust for &[T] {
    fn rust(&self, out: &mut String) {
        out.push_str("&[");
        for v in self.iter() {
            v.rust(out);
            out.push(',');
        }
        out.push(']');
    }
}

impl<A: Rust, B: Rust> Rust for (A, B) {
    fn rust(&self, out: &mut String) {
        out.push('(');
        self.0.rust(out);
        out.push_str(", ");
        self.1.rust(out);
        out.push(')');
    }
}

/// A struct: `Name { field: value, ... }`.
fn fields_of(out: &mut String, name: &str, fields: &[(&str, &dyn Rust)]) {
    write!(out, "{name} {{").unwrap();
    for (field, value) in fields {
        write!(out, "{field}: ").unwrap();
        value.rust(out);
        out.push(',');
    }
    out.push('}');
}

/// A variant with values: `Name(value, ...)`.
fn tuple(out: &mut String, name: &str, values: &[&dyn Rust]) {
    write!(out, "{name}(").unwrap();
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        v.rust(out);
    }
    out.push(')');
}

impl Rust for Type {
    fn rust(&self, out: &mut String) {
        write!(out, "Type::{self:?}").unwrap();
    }
}

impl Rust for Lit {
    fn rust(&self, out: &mut String) {
        match self {
            Lit::Str(s) => tuple(out, "Lit::Str", &[s]),
            Lit::Int(n) => tuple(out, "Lit::Int", &[n]),
            Lit::Duration(ms) => tuple(out, "Lit::Duration", &[ms]),
            Lit::Size(b) => tuple(out, "Lit::Size", &[b]),
            Lit::Bool(b) => tuple(out, "Lit::Bool", &[b]),
            Lit::Cidr(a, p) => tuple(out, "Lit::Cidr", &[a, p]),
            Lit::Symbol(s) => tuple(out, "Lit::Symbol", &[s]),
            Lit::List(items) => tuple(out, "Lit::List", &[items]),
            Lit::Map(pairs) => tuple(out, "Lit::Map", &[pairs]),
        }
    }
}

impl Rust for Field {
    fn rust(&self, out: &mut String) {
        fields_of(
            out,
            "Field",
            &[
                ("name", &self.name),
                ("ty", &self.ty),
                ("doc", &self.doc),
                ("required", &self.required),
                ("default", &self.default),
                ("allowed", &self.allowed),
                ("min", &self.min),
                ("max", &self.max),
                ("step", &self.step),
                ("rules", &self.rules),
            ],
        );
    }
}

impl Rust for Fields {
    fn rust(&self, out: &mut String) {
        fields_of(
            out,
            "Fields",
            &[("fields", &self.fields), ("blocks", &self.blocks)],
        );
    }
}

impl Rust for Figure {
    fn rust(&self, out: &mut String) {
        fields_of(
            out,
            "Figure",
            &[
                ("ms", &self.ms),
                ("source", &self.source),
                ("when", &self.when),
            ],
        );
    }
}

/// A kind's implementation, by its place in `KINDS`.
struct Imp(&'static dyn crate::lower::kinds::Behaviour);

impl Rust for Imp {
    fn rust(&self, out: &mut String) {
        let kinds = &crate::lower::kinds::KINDS;
        let i = kinds
            .iter()
            .position(|k| k.name() == self.0.name())
            .expect("a kind's implementation is registered");
        write!(out, "crate::lower::kinds::KINDS[{i}]").unwrap();
    }
}

impl Rust for Kind {
    fn rust(&self, out: &mut String) {
        fields_of(
            out,
            "Kind",
            &[
                ("name", &self.name),
                ("doc", &self.doc),
                ("stateful", &self.stateful),
                ("global", &self.global),
                ("fields", &self.fields),
                ("replicate", &self.replicate),
                ("promotion", &self.promotion),
                ("lag", &self.lag),
                ("imp", &Imp(self.imp)),
                ("data", &self.data),
            ],
        );
    }
}

impl Rust for FargateSize {
    fn rust(&self, out: &mut String) {
        fields_of(
            out,
            "FargateSize",
            &[("cpu", &self.cpu), ("memory", &self.memory)],
        );
    }
}

impl Rust for Timing {
    fn rust(&self, out: &mut String) {
        fields_of(
            out,
            "Timing",
            &[
                ("probe_timeout", &self.probe_timeout),
                ("alias_ttl", &self.alias_ttl),
                ("alarm_period", &self.alarm_period),
                ("alarm_follow", &self.alarm_follow),
                ("task_start", &self.task_start),
                ("target_check", &self.target_check),
                ("rebuild", &self.rebuild),
                ("watch_interval", &self.watch_interval),
                ("watch_evaluation", &self.watch_evaluation),
            ],
        );
    }
}

impl Rust for Pattern {
    fn rust(&self, out: &mut String) {
        tuple(out, "Pattern::of", &[&self.source]);
    }
}

impl Rust for Shape {
    fn rust(&self, out: &mut String) {
        match self {
            Shape::Pattern {
                regex,
                min_len,
                max_len,
                reserved,
            } => fields_of(
                out,
                "Shape::Pattern",
                &[
                    ("regex", regex),
                    ("min_len", min_len),
                    ("max_len", max_len),
                    ("reserved", reserved),
                ],
            ),
            Shape::Dns {
                label_max,
                max_len,
                min_labels,
            } => fields_of(
                out,
                "Shape::Dns",
                &[
                    ("label_max", label_max),
                    ("max_len", max_len),
                    ("min_labels", min_labels),
                ],
            ),
            Shape::Versions(table) => tuple(out, "Shape::Versions", &[table]),
        }
    }
}

impl Rust for Rule {
    fn rust(&self, out: &mut String) {
        fields_of(
            out,
            "Rule",
            &[
                ("name", &self.name),
                ("code", &self.code),
                ("what", &self.what),
                ("expect", &self.expect),
                ("example", &self.example),
                ("fix_prefix", &self.fix_prefix),
                ("fix_strip", &self.fix_strip),
                ("source", &self.source),
                ("shape", &self.shape),
            ],
        );
    }
}

impl Rust for Major {
    fn rust(&self, out: &mut String) {
        fields_of(
            out,
            "Major",
            &[
                ("major", &self.major),
                ("minors", &self.minors),
                ("deprecated", &self.deprecated),
                ("no_global", &self.no_global),
                ("forwarding", &self.forwarding),
                ("support_ends", &self.support_ends),
            ],
        );
    }
}

impl Rust for EngineVersions {
    fn rust(&self, out: &mut String) {
        fields_of(
            out,
            "EngineVersions",
            &[
                ("as_of", &self.as_of),
                ("aurora_postgres", &self.aurora_postgres),
            ],
        );
    }
}

impl Rust for Schema {
    fn rust(&self, out: &mut String) {
        fields_of(
            out,
            "Schema",
            &[
                ("platform", &self.platform),
                ("region", &self.region),
                ("endpoint", &self.endpoint),
                ("kinds", &self.kinds),
                ("fargate_sizes", &self.fargate_sizes),
                ("timing", &self.timing),
                ("regions", &self.regions),
                ("rules", &self.rules),
                ("engine_versions", &self.engine_versions),
            ],
        );
    }
}

#[cfg(test)]
mod tests {
    /// `schema.rs` is what the loader makes of the stdlib (with `UPDATE=1`,
    /// it is written so).
    #[test]
    fn the_compiled_in_schema_is_the_stdlibs() {
        let loaded = super::load(super::SOURCE).expect("the stdlib loads");
        let code = super::rust(&loaded);
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/stdlib/schema.rs");
        if std::env::var_os("UPDATE").is_some() {
            std::fs::write(path, &code).expect("schema.rs is writable");
        }
        let compiled = include_str!("schema.rs");
        assert!(
            compiled == code,
            "src/stdlib/schema.rs is not the schema of stdlib/aws.tap: `UPDATE=1 cargo test --lib stdlib` writes it"
        );
        // And what tapc compiled in is that code's value.
        assert_eq!(format!("{:?}", super::schema()), format!("{loaded:?}"));
    }
}
