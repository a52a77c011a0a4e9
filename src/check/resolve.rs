//! Values against the stdlib schema: params substituted, types and units checked,
//! allowed values and ranges enforced, defaults filled. Driven by `stdlib::Fields`.

use rustc_hash::FxHashMap as HashMap;
use std::borrow::Cow;

use crate::diag::{Diagnostic, Span};
use crate::model::{Attrs, Origin, ParamUse, Val};
use crate::stdlib::{Field, Fields, Lit, Type};
use crate::suggest::{closest, Budget};
use crate::syntax::ast::{Body, StrPart, Value, ValueKind};

/// A declared param and its value (the default, or the value given for this run).
pub struct Param {
    pub val: Option<Val>,
    pub usage: ParamUse,
}

pub struct Resolver<'p> {
    pub params: &'p HashMap<String, Param>,
    /// How a param's value is given, for messages about one that was.
    pub given: super::Given<'p>,
    /// Service names, to resolve `service` and `services` fields.
    pub services: &'p HashMap<String, usize>,
    /// For suggestions among params and services.
    pub budget: Budget,
}

/// Attributes of a body and of its nested blocks.
pub struct Resolved {
    pub attrs: Attrs,
    pub blocks: Vec<(String, Attrs)>,
    /// Service indices of `service`/`services` fields, in order, with their spans.
    pub refs: Vec<(usize, Span)>,
}

impl Resolver<'_> {
    /// Checks `body` against `fields`; `what` names the owner in messages
    /// ("a `fargate` service"), `owner` is the span missing attributes are reported at.
    pub fn body(
        &self,
        body: &Body,
        fields: &Fields,
        what: &str,
        owner: Span,
        diags: &mut Vec<Diagnostic>,
    ) -> Resolved {
        self.body_at(body, fields, what, owner, "", diags)
    }

    /// `body`, nested in blocks: `path` is `health.` in an endpoint's `health`
    /// block, so that messages name the attribute as `health.interval`.
    fn body_at(
        &self,
        body: &Body,
        fields: &Fields,
        what: &str,
        owner: Span,
        path: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Resolved {
        let mut out = Resolved {
            attrs: Attrs::default(),
            blocks: Vec::new(),
            refs: Vec::new(),
        };
        let mut seen: HashMap<&str, Span> =
            HashMap::with_capacity_and_hasher(body.attrs.len(), Default::default());
        // Fields an unknown attribute was taken for: not reported missing as well.
        let mut guessed: Vec<&str> = Vec::new();
        for attr in &body.attrs {
            let name = attr.name.name;
            if let Some(first) = seen.insert(name, attr.name.span) {
                diags.push(
                    Diagnostic::error("E101", format!("`{name}` is set twice"))
                        .label(attr.name.span, "set again here")
                        .label(first, "first set here")
                        .help("remove one of the two"),
                );
                continue;
            }
            let Some(field) = fields.field(name) else {
                let names = fields.fields.iter().map(|f| f.name);
                guessed.extend(closest(name, names));
                diags.push(unknown_attribute(name, attr.name.span, fields, what));
                continue;
            };
            if let ValueKind::Map(pairs) = &attr.value.kind {
                for (i, (key, _)) in pairs.iter().enumerate() {
                    if let Some((first, _)) = pairs[..i].iter().find(|(k, _)| k.text == key.text) {
                        diags.push(
                            Diagnostic::error(
                                "E101",
                                format!(
                                    "{} is set twice in `{name}`",
                                    crate::diag::quote(&key.text)
                                ),
                            )
                            .label(key.span, "set again here")
                            .label(first.span, "first set here")
                            .help("remove one of the two"),
                        );
                    }
                }
            }
            let subject: Cow<str> = if path.is_empty() {
                Cow::Borrowed(name)
            } else {
                Cow::Owned([path, name].concat())
            };
            if let Some((val, param)) = self.value(&attr.value, field, &subject, diags) {
                if matches!(field.ty, Type::Service | Type::Services) {
                    out.refs.extend(self.service_refs(&attr.value, diags));
                }
                let origin = Origin {
                    span: attr.value.span,
                    param,
                };
                out.attrs.values.push((name.to_string(), val, origin));
            }
        }
        for block in &body.blocks {
            let name = block.name.name;
            match (fields.block(name), seen.get(name).copied()) {
                (Some(_), Some(first)) => diags.push(
                    Diagnostic::error("E101", format!("block `{name}` appears twice"))
                        .label(block.name.span, "second block")
                        .label(first, "first block")
                        .help("merge the two blocks into one"),
                ),
                (Some(inner), None) => {
                    seen.insert(name, block.name.span);
                    let what = format!("`{name}` block");
                    let inner_path = format!("{path}{name}.");
                    let r = self.body_at(
                        &block.body,
                        inner,
                        &what,
                        block.name.span,
                        &inner_path,
                        diags,
                    );
                    out.refs.extend(r.refs);
                    out.blocks.push((name.to_string(), r.attrs));
                }
                (None, _) if fields.field(name).is_some() => diags.push(
                    Diagnostic::error("E201", format!("`{name}` is an attribute, not a block"))
                        .label(block.name.span, "written as a block")
                        .help(format!("write `{name} = ...`")),
                ),
                (None, _) => {
                    let names = fields.blocks.iter().map(|(n, _)| *n);
                    let mut d =
                        Diagnostic::error("E104", format!("unknown block `{name}` in {what}"))
                            .label(block.name.span, "unknown block");
                    d = match closest(name, names) {
                        Some(s) => d.help(format!("did you mean `{s}`?")),
                        None if name == "replicate" => d.help(
                            "replication is a top-level item: `replicate SERVICE -> REGION { ... }`",
                        ),
                        None if fields.blocks.is_empty() => d.help(format!("{what} has no blocks")),
                        None => d.help(format!(
                            "the blocks of {what} are: {}",
                            join(fields.blocks.iter().map(|(n, _)| *n))
                        )),
                    };
                    diags.push(d);
                }
            }
        }
        // Defaults, and required attributes that are missing.
        for field in fields.fields {
            if out.attrs.get(field.name).is_some()
                || seen.contains_key(field.name)
                || guessed.contains(&field.name)
            {
                continue;
            }
            if field.required {
                diags.push(
                    Diagnostic::error("E202", format!("{what} needs `{}`", field.name))
                        .label(owner, format!("`{}` is missing", field.name))
                        .help(format!(
                            "add `{} = ...` ({}): {}",
                            field.name,
                            if field.allowed.is_empty() {
                                format!("{}{}", field.ty.describe(), example(field.ty))
                            } else {
                                format!(
                                    "one of {}",
                                    join(field.allowed.iter().map(|a| a.to_string()))
                                )
                            },
                            field.doc
                        )),
                );
            } else if let Some(default) = &field.default {
                let origin = Origin {
                    span: owner,
                    param: None,
                };
                out.attrs
                    .values
                    .push((field.name.to_string(), default.to_val(), origin));
            }
        }
        for (name, inner) in fields.blocks {
            if fields.block(name).is_some() && !out.blocks.iter().any(|(n, _)| n == name) {
                let r = self.body(&Body::default(), inner, name, owner, diags);
                out.blocks.push((name.to_string(), r.attrs));
            }
        }
        let order = |n: &str| fields.fields.iter().position(|f| f.name == n);
        out.attrs.values.sort_by_key(|(n, ..)| order(n));
        out
    }

    /// Resolves one value for `field`, reporting type, allowed-value and range
    /// errors; `subject` names the attribute (`interval`, `health.interval`).
    fn value(
        &self,
        v: &Value,
        field: &Field,
        subject: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<(Val, Option<ParamUse>)> {
        let (val, param) = self.resolve(v, field.ty, subject, None, diags)?;
        // How messages show the value; written only for a message, since
        // nearly every value passes.
        let found = || match &param {
            Some(p) if p.given => {
                format!("`{val}` (from {})", self.given.set(&p.name, &plain(&val)))
            }
            Some(p) => format!("`{val}` (the value of param `{}`)", p.name),
            None => format!("`{val}`"),
        };
        if !field.allowed.is_empty() && !field.allowed.iter().any(|a| *a == val) {
            let allowed = join(field.allowed.iter().map(|a| a.to_string()));
            let mut d = Diagnostic::error(
                "E203",
                format!("{} is not an allowed value of `{subject}`", found()),
            )
            .label(v.span, not_allowed(&val, field.allowed));
            d = match &val {
                Val::Symbol(s) => match closest(
                    s,
                    field.allowed.iter().filter_map(|a| match a {
                        Lit::Symbol(s) => Some(*s),
                        _ => None,
                    }),
                ) {
                    Some(s) => d.help(format!("did you mean `{s}`? ({})", field.doc)),
                    None => d.help(format!("use one of {allowed}: {}", field.doc)),
                },
                _ => d.help(format!("use one of {allowed}: {}", field.doc)),
            };
            if let Some(p) = &param {
                d = d.label(p.decl, format!("param `{}` declared here", p.name));
            }
            diags.push(d);
            return None;
        }
        let key = |v: &Val| match v {
            Val::Int(n) => Some(*n as i128),
            Val::Duration(n) | Val::Size(n) => Some(*n as i128),
            Val::Cidr(_, p) => Some(*p as i128),
            _ => None,
        };
        let shown = |b: &Lit| match (&val, b) {
            (Val::Cidr(..), Lit::Int(p)) => format!("/{p}"),
            _ => b.to_string(),
        };
        let below = field.min.as_ref().filter(|m| {
            key(&val)
                .zip(bound(&m.to_val()))
                .is_some_and(|(x, m)| x < m)
        });
        let above = field.max.as_ref().filter(|m| {
            key(&val)
                .zip(bound(&m.to_val()))
                .is_some_and(|(x, m)| x > m)
        });
        if let Some(limit) = below.or(above) {
            let range = match (&field.min, &field.max) {
                (Some(lo), Some(hi)) => format!("{} to {}", shown(lo), shown(hi)),
                (Some(lo), None) => format!("at least {}", shown(lo)),
                (None, Some(hi)) => format!("at most {}", shown(hi)),
                (None, None) => unreachable!("a limit was exceeded"),
            };
            let side = if below.is_some() {
                "below the minimum"
            } else {
                "above the maximum"
            };
            let mut d = Diagnostic::error(
                "E204",
                format!("{} is out of range for `{subject}`", found()),
            )
            .label(v.span, format!("{side} {}", shown(limit)))
            .help(format!("`{}` must be {range}: {}", field.name, field.doc));
            if let Some(p) = &param {
                d = d.label(p.decl, format!("param `{}` declared here", p.name));
            }
            diags.push(d);
            return None;
        }
        if let (Some(step), Some(x)) = (field.step.and_then(|s| bound(&s.to_val())), key(&val)) {
            if step > 0 && x % step != 0 {
                let step_val = field.step.as_ref().expect("checked above");
                diags.push(
                    Diagnostic::error(
                        "E204",
                        format!(
                            "{} is not a multiple of {step_val} for `{subject}`",
                            found()
                        ),
                    )
                    .label(v.span, format!("not a whole number of {step_val}"))
                    .help(format!(
                        "`{}` is counted in steps of {step_val}: {}",
                        field.name, field.doc
                    )),
                );
                return None;
            }
        }
        // AWS's rules on free text, at the element that breaks them.
        if !field.rules.is_empty() {
            for (text, at, key) in texts(&val, v) {
                // How messages show the text, a long one by its start and
                // length (written only for a message).
                let found = || {
                    let shown = match text.char_indices().nth(48) {
                        Some((cut, _)) => {
                            let start = Val::Str(text[..cut].into()).to_string();
                            format!(
                                "`{}…\"` ({} bytes)",
                                start.trim_end_matches('"'),
                                text.len()
                            )
                        }
                        None => format!("`{}`", Val::Str(text.into())),
                    };
                    match &param {
                        Some(p) if p.given => {
                            let set = self.params.get(&p.name).and_then(|x| x.val.as_ref());
                            let set = set.map(plain).unwrap_or_default();
                            format!("{shown} (from {})", self.given.set(&p.name, &set))
                        }
                        Some(p) => format!("{shown} (with param `{}`)", p.name),
                        None => shown,
                    }
                };
                let place = super::rules::Place {
                    field: field.name,
                    key,
                    list: matches!(val, Val::List(_)),
                    // The attribute is the param (`image = img`, `"${img}"`).
                    param: match (&v.kind, &param) {
                        (ValueKind::Symbol(_), Some(p)) => Some(p.name.as_str()),
                        (ValueKind::Str(parts), Some(p))
                            if matches!(parts.as_slice(), [StrPart::Param(_)]) =>
                        {
                            Some(p.name.as_str())
                        }
                        _ => None,
                    },
                    given: param
                        .as_ref()
                        .is_some_and(|p| p.given)
                        .then_some(self.given),
                };
                super::rules::check(field.rules, &place, text, &found, at, param.as_ref(), diags);
            }
        }
        Some((val, param))
    }

    /// The value with params substituted, if it has the expected type; `whole`
    /// is the type of the list or map when `v` is one of its items.
    fn resolve(
        &self,
        v: &Value,
        ty: Type,
        subject: &str,
        whole: Option<Type>,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<(Val, Option<ParamUse>)> {
        if v.kind == ValueKind::Error {
            // Its syntax error is reported; nothing more is known.
            return None;
        }
        let mut param = None;
        let val = match &v.kind {
            ValueKind::Symbol(s)
                if !matches!(ty, Type::Symbol | Type::Service | Type::Services) =>
            {
                match self.params.get(*s) {
                    Some(p) => {
                        param = Some(p.usage.clone());
                        p.val.clone()?
                    }
                    None => {
                        diags.push(self.type_error(v, ty, subject, whole));
                        return None;
                    }
                }
            }
            ValueKind::Str(parts) => {
                let mut s = String::new();
                for part in parts {
                    match part {
                        StrPart::Text(t) => s.push_str(t),
                        StrPart::Param(id) => match self.params.get(id.name) {
                            Some(p) => {
                                param = Some(p.usage.clone());
                                s.push_str(&plain(p.val.as_ref()?));
                            }
                            None => {
                                diags.push(self.unknown_param(id.name, id.span));
                                return None;
                            }
                        },
                    }
                }
                Val::Str(s)
            }
            _ => Val::from_literal(v).or_else(|| {
                // A list or map holding interpolated strings.
                match &v.kind {
                    ValueKind::List(items) => {
                        let inner = match ty {
                            Type::Strings => Type::String,
                            _ => Type::Symbol,
                        };
                        let vals: Option<Vec<Val>> = items
                            .iter()
                            .map(|i| {
                                self.resolve(i, inner, subject, Some(ty), diags)
                                    .map(|(v, _)| v)
                            })
                            .collect();
                        vals.map(Val::List)
                    }
                    ValueKind::Map(pairs) => {
                        let vals: Option<Vec<(String, Val)>> = pairs
                            .iter()
                            .map(|(k, i)| {
                                Some((
                                    k.text.to_string(),
                                    self.resolve(i, Type::String, subject, Some(ty), diags)?.0,
                                ))
                            })
                            .collect();
                        vals.map(Val::Map)
                    }
                    _ => None,
                }
            })?,
        };
        if !fits(&val, ty) {
            // Point at the element that is wrong inside a list or map.
            let (at, elem_ty) = match (&v.kind, ty) {
                (ValueKind::List(items), Type::Strings | Type::Services) => {
                    let want = if ty == Type::Strings {
                        Type::String
                    } else {
                        Type::Service
                    };
                    (
                        items
                            .iter()
                            .find(|i| !fits(&Val::from_literal(i).unwrap_or(Val::Int(0)), want)),
                        want,
                    )
                }
                (ValueKind::Map(pairs), Type::Map) => (
                    pairs
                        .iter()
                        .map(|(_, i)| i)
                        .find(|i| !matches!(i.kind, ValueKind::Str(_))),
                    Type::String,
                ),
                _ => (None, ty),
            };
            let mut d = match (at, &param, &v.kind) {
                (Some(elem), ..) => self.type_error(elem, elem_ty, subject, Some(ty)),
                (None, Some(p), ValueKind::Symbol(_)) => {
                    let d = Diagnostic::error(
                        "E201",
                        expects(
                            &format!("`{subject}`"),
                            ty.describe(),
                            &format!("`{val}` (the value of param `{}`)", p.name),
                        ),
                    )
                    .label(v.span, format!("expected {}", ty.describe()));
                    match param_type(ty) {
                        Some(t) => d.help(format!(
                            "to be used here, `{}` must be a {t} param: `param {}: {t} = ...`",
                            p.name, p.name
                        )),
                        None => d.help(format!("write {}{}", ty.describe(), example(ty))),
                    }
                }
                (None, ..) => self.type_error(v, ty, subject, whole),
            };
            if let Some(p) = &param {
                d = d.label(p.decl, format!("param `{}` declared here", p.name));
            }
            diags.push(d);
            return None;
        }
        Some((val, param))
    }

    /// `v` is not of type `ty`; `whole` is the type of the list or map when `v`
    /// is one of its items.
    fn type_error(&self, v: &Value, ty: Type, subject: &str, whole: Option<Type>) -> Diagnostic {
        let found = match &v.kind {
            ValueKind::Symbol(s) => format!("the name `{s}`"),
            k => k.describe().to_string(),
        };
        let message = match whole {
            Some(w) => expects(
                &format!("`{subject}`"),
                w.describe(),
                &format!("{found} in it"),
            ),
            None => expects(&format!("`{subject}`"), ty.describe(), &found),
        };
        let d =
            Diagnostic::error("E201", message).label(v.span, format!("expected {}", ty.describe()));
        let help = match (&v.kind, ty) {
            (ValueKind::Symbol(s), _) if ty != Type::String => {
                if let Some(p) = self
                    .budget
                    .closest(s, self.params.keys().map(String::as_str))
                {
                    return Diagnostic::error("E102", format!("unknown param `{s}`"))
                        .label(v.span, "no param of this name")
                        .help(format!("did you mean `{p}`?"));
                }
                format!("write {}{}", ty.describe(), example(ty))
            }
            (ValueKind::Symbol(s), Type::String) => format!("put it in quotes: `\"{s}\"`"),
            (ValueKind::Int(n), Type::Duration) => {
                format!("add a unit: `{n}s` or `{n}m` (units: ms, s, m, h, d)")
            }
            // A bare number for a size: a small one is most likely GiB, a larger
            // one MiB, as in Fargate's table of task sizes.
            (ValueKind::Int(n), Type::Size) if *n < 128 => format!("add a unit: `{n}GiB`"),
            (ValueKind::Int(n), Type::Size) if n % 1024 == 0 => format!(
                "add a unit: {n} is most likely MiB, that is `{}GiB` (or `{n}MiB`)",
                n / 1024
            ),
            (ValueKind::Int(n), Type::Size) => {
                format!("add a unit: {n} is most likely MiB, `{n}MiB`")
            }
            (ValueKind::Int(n), Type::String) => format!("put it in quotes: `\"{n}\"`"),
            (ValueKind::Str(_), Type::Symbol | Type::Service | Type::Bool) => {
                "remove the quotes".to_string()
            }
            (ValueKind::Str(parts), _) if unquoted(parts, ty).is_some() => {
                format!(
                    "remove the quotes: `{}`",
                    unquoted(parts, ty).unwrap_or_default()
                )
            }
            (ValueKind::List(_), Type::Service) => "name one service, without brackets".to_string(),
            _ => format!("write {}{}", ty.describe(), example(ty)),
        };
        d.help(help)
    }

    fn unknown_param(&self, name: &str, span: Span) -> Diagnostic {
        let d = Diagnostic::error("E102", format!("unknown param `{name}`"))
            .label(span, "no param of this name");
        match self
            .budget
            .closest(name, self.params.keys().map(String::as_str))
        {
            Some(p) => d.help(format!("did you mean `{p}`?")),
            None => d.help(format!("declare it: `param {name}: string = \"...\"`")),
        }
    }

    fn service_refs(&self, v: &Value, diags: &mut Vec<Diagnostic>) -> Vec<(usize, Span)> {
        let items: Vec<&Value> = match &v.kind {
            ValueKind::List(items) => items.iter().collect(),
            _ => vec![v],
        };
        let mut out = Vec::new();
        let mut named =
            rustc_hash::FxHashSet::with_capacity_and_hasher(items.len(), Default::default());
        for item in items {
            if let ValueKind::Symbol(s) = item.kind {
                match self.services.get(s) {
                    Some(&i) if !named.insert(i) => diags.push(
                        Diagnostic::error("E101", format!("service `{s}` is named twice"))
                            .label(item.span, "named again")
                            .help("remove the repeated service"),
                    ),
                    Some(&i) => out.push((i, item.span)),
                    None => diags.push(self.unknown_service(s, item.span)),
                }
            }
        }
        out
    }
}

impl Resolver<'_> {
    /// The service a misspelt reference most likely means.
    pub fn meant_service(&self, name: &str) -> Option<&str> {
        self.budget
            .closest(name, self.services.keys().map(String::as_str))
    }

    pub fn unknown_service(&self, name: &str, span: Span) -> Diagnostic {
        let d = Diagnostic::error("E102", format!("unknown service `{name}`"))
            .label(span, "no service of this name");
        match self.meant_service(name) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.help(format!("declare it: `service {name}: KIND {{ ... }}`")),
        }
    }
}

fn unknown_attribute(name: &str, span: Span, fields: &Fields, what: &str) -> Diagnostic {
    let d = Diagnostic::error("E104", format!("unknown attribute `{name}` in {what}"))
        .label(span, "unknown attribute");
    let names = fields.fields.iter().map(|f| f.name);
    match closest(name, names.clone()) {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None if fields.block(name).is_some() => {
            d.help(format!("`{name}` is a block: write `{name} {{ ... }}`"))
        }
        None => d.help(format!("the attributes of {what} are: {}", join(names))),
    }
}

/// The message of every type error (E201), in one place: what was given where
/// `subject` (an attribute, `health.interval`, or a param) expects `expected`.
pub fn expects(subject: &str, expected: &str, found: &str) -> String {
    format!("{subject} expects {expected}, found {found}")
}

/// The label of a value outside `allowed`: the whole set when it is short, else
/// the allowed values on either side of a number.
fn not_allowed(val: &Val, allowed: &[Lit]) -> String {
    if allowed.len() > 4 {
        let x = bound(val);
        let at = |a: &&Lit| bound(&a.to_val());
        let below = allowed.iter().filter(|a| at(a) < x).max_by_key(at);
        let above = allowed.iter().filter(|a| at(a) > x).min_by_key(at);
        let near: Vec<String> = below
            .into_iter()
            .chain(above)
            .map(|a| format!("`{a}`"))
            .collect();
        if x.is_some() && !near.is_empty() {
            return format!("not allowed; the nearest are {}", near.join(" and "));
        }
    }
    format!("not one of {}", join(allowed.iter().map(|a| a.to_string())))
}

/// The strings of a value (a string, or the elements of a list or the values
/// of a map) with the span of each in the program.
fn texts<'v>(val: &'v Val, v: &Value) -> Vec<(&'v str, Span, Option<&'v str>)> {
    let spans: Vec<Span> = match &v.kind {
        ValueKind::List(items) => items.iter().map(|i| i.span).collect(),
        ValueKind::Map(pairs) => pairs.iter().map(|(_, i)| i.span).collect(),
        _ => Vec::new(),
    };
    let at = |i: usize| spans.get(i).copied().unwrap_or(v.span);
    match val {
        Val::Str(s) => vec![(s.as_str(), v.span, None)],
        Val::List(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, x)| match x {
                Val::Str(s) => Some((s.as_str(), at(i), None)),
                _ => None,
            })
            .collect(),
        Val::Map(pairs) => pairs
            .iter()
            .enumerate()
            .filter_map(|(i, (k, x))| match x {
                Val::Str(s) => Some((s.as_str(), at(i), Some(k.as_str()))),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The text of a quoted string, if without its quotes it is a value of type `ty`.
pub fn unquoted(parts: &[StrPart], ty: Type) -> Option<String> {
    let [StrPart::Text(text)] = parts else {
        return None;
    };
    let v = crate::syntax::parse_literal(text)?;
    fits(&Val::from_literal(&v)?, ty).then(|| text.to_string())
}

fn fits(v: &Val, ty: Type) -> bool {
    match (v, ty) {
        (Val::Str(_), Type::String)
        | (Val::Int(_), Type::Int)
        | (Val::Bool(_), Type::Bool)
        | (Val::Duration(_), Type::Duration)
        | (Val::Size(_), Type::Size)
        | (Val::Cidr(..), Type::Cidr)
        | (Val::Symbol(_), Type::Symbol | Type::Service) => true,
        (Val::List(items), Type::Services) => items.iter().all(|i| matches!(i, Val::Symbol(_))),
        (Val::List(items), Type::Strings) => items.iter().all(|i| matches!(i, Val::Str(_))),
        (Val::Map(pairs), Type::Map) => pairs.iter().all(|(_, v)| matches!(v, Val::Str(_))),
        _ => false,
    }
}

fn bound(v: &Val) -> Option<i128> {
    match v {
        Val::Int(n) => Some(*n as i128),
        Val::Duration(n) | Val::Size(n) => Some(*n as i128),
        _ => None,
    }
}

/// The param type holding values of `ty`, if a param can.
fn param_type(ty: Type) -> Option<&'static str> {
    Some(match ty {
        Type::String => "string",
        Type::Int => "int",
        Type::Bool => "bool",
        Type::Duration => "duration",
        Type::Size => "size",
        Type::Cidr => "cidr",
        _ => return None,
    })
}

fn example(ty: Type) -> &'static str {
    match ty {
        Type::String => " such as `\"text\"`",
        Type::Int => " such as `2`",
        Type::Bool => ": `true` or `false`",
        Type::Duration => " such as `30s`, `5m` or `7d`",
        Type::Size => " such as `512MiB` or `2GiB`",
        Type::Cidr => " such as `10.0.0.0/16`",
        Type::Symbol | Type::Service => "",
        Type::Services => " such as `[ledger, sessions]`",
        Type::Strings => " such as `[\"a\", \"b\"]`",
        Type::Map => " such as `{ team = \"trading\" }`",
    }
}

/// A value as text inside a string (no quotes).
pub fn plain(v: &Val) -> String {
    match v {
        Val::Str(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn join<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    let items: Vec<String> = items
        .into_iter()
        .map(|s| format!("`{}`", s.as_ref()))
        .collect();
    items.join(", ")
}
