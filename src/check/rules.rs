//! AWS's rules on free-text values that go into the templates as they are
//! (`schema rules` in the stdlib): instance classes, engine versions, DNS names,
//! health paths, image references, names. The rules are data; this file has
//! one code path per rule shape (pattern, DNS name, version table).

use crate::diag::{Diagnostic, Span};
use crate::model::{ParamUse, Val};
use crate::stdlib::{schema, Major, Rule, Shape, VersionStatus};

/// Codes of the version table's findings.
const MALFORMED: &str = "E222";
const NOT_OFFERED: &str = "E223";
const NO_GLOBAL: &str = "E224";
const PAST_SUPPORT: &str = "W220";
const NEWER: &str = "W221";

/// One value that breaks (or, for a warning, strains) a rule.
struct Finding {
    code: &'static str,
    warning: bool,
    message: String,
    label: String,
    help: String,
}

/// Where a string sits: the field, and its key in a map or its place in a list.
pub(super) struct Place<'a> {
    pub field: &'a str,
    pub key: Option<&'a str>,
    pub list: bool,
    /// The param whose value the attribute is, as a whole (`image = img`):
    /// the fix goes to its declaration, or to how its value was given for this
    /// run when it was (`Some`).
    pub param: Option<&'a str>,
    pub given: Option<super::Given<'a>>,
}

impl Place<'_> {
    /// `field = "value"` (or `field = { key = "value" }`, `field = ["value"]`) as `.tap`.
    fn assign(&self, value: &str) -> String {
        let v = Val::Str(value.to_string());
        match (self.param, self.given) {
            (Some(p), Some(given)) => return format!("`{}`", given.set(p, value)),
            (Some(p), None) => return format!("`param {p}: string = {v}`"),
            (None, _) => {}
        }
        match (self.key, self.list) {
            (Some(k), _) if is_ident(k) => format!("`{} = {{ {k} = {v} }}`", self.field),
            (Some(k), _) => format!("`{} = {{ {:?} = {v} }}`", self.field, k),
            (None, true) => format!("`{} = [{v}]`", self.field),
            (None, false) => format!("`{} = {v}`", self.field),
        }
    }

    /// A rule's example, with `{key}` replaced by the map key (a region code for
    /// `certificates`).
    fn example(&self, rule: &Rule) -> String {
        rule.example
            .replace("{key}", self.key.unwrap_or("us-east-1"))
    }
}

/// A map key that needs no quotes (the grammar's `ident`).
fn is_ident(k: &str) -> bool {
    let b = k.as_bytes();
    b.first()
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-')
        && !k.ends_with('-')
        && !k.contains("--")
}

/// Checks `text`, written at `at` (`found` is how messages show it, naming the
/// param it came from), against every rule in `rules`. The value is kept either
/// way: the program has an error, and other checks still see it.
pub(super) fn check(
    rules: &[&str],
    place: &Place,
    text: &str,
    found: &dyn Fn() -> String,
    at: Span,
    param: Option<&ParamUse>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut failed = false;
    for name in rules {
        // Rule names are checked when the stdlib loads.
        let Some(rule) = schema().rule(name) else {
            continue;
        };
        let findings = match &rule.shape {
            Shape::Pattern { .. } => pattern(rule, place, text, found).into_iter().collect(),
            Shape::Dns { .. } => dns(rule, place, text, found).into_iter().collect(),
            Shape::Versions(_) => version(rule, place, text, found),
        };
        for f in findings {
            let mut d = if f.warning {
                Diagnostic::warning(f.code, f.message)
            } else {
                failed = true;
                Diagnostic::error(f.code, f.message)
            };
            d = d.label(at, f.label).help(f.help);
            if let Some(p) = param {
                d = d.label(p.decl, format!("param `{}` declared here", p.name));
            }
            diags.push(d);
        }
        // The first broken rule says enough: `"r6g.large"` is not a class at
        // all, so whether a global database supports it is moot.
        if failed {
            break;
        }
    }
}

/// The code of a pattern or DNS rule: the loader requires one for these shapes
/// (only version rules go without, their codes depending on the finding).
fn code(rule: &'static Rule) -> &'static str {
    rule.code.unwrap_or(MALFORMED)
}

fn pattern(
    rule: &'static Rule,
    place: &Place,
    text: &str,
    found: &dyn Fn() -> String,
) -> Option<Finding> {
    let Shape::Pattern {
        regex,
        min_len,
        max_len,
        reserved,
    } = &rule.shape
    else {
        return None;
    };
    let len = text.len();
    let label = if text.is_empty() && min_len.is_some_and(|m| m > 0) {
        "empty".to_string()
    } else if let Some(max) = max_len.filter(|&m| len > m) {
        format!("{len} bytes; at most {max}")
    } else if let Some(min) = min_len.filter(|&m| len < m) {
        format!("{len} bytes; at least {min}")
    } else if !regex.is_match(text) {
        format!("expected {}", rule.expect)
    } else if reserved.contains(&text.to_lowercase().as_str()) {
        format!("`{text}` is reserved")
    } else {
        return None;
    };
    let prefixed = rule.fix_prefix.as_ref().map(|p| format!("{p}{text}"));
    let stripped = rule
        .fix_strip
        .as_ref()
        .and_then(|p| text.strip_prefix(p))
        .map(str::to_string);
    let fixed = prefixed
        .into_iter()
        .chain(stripped)
        .find(|f| regex.is_match(f) && max_len.is_none_or(|m| f.len() <= m));
    let help = match fixed {
        Some(f) => format!("write {}", place.assign(&f)),
        None if max_len.is_some_and(|m| len > m) => {
            format!("shorten it to at most {} bytes", max_len.unwrap_or(0))
        }
        None => use_example(rule, place),
    };
    Some(not_a(rule, place, found, label, help))
}

/// The error of a value that breaks `rule`: "`x` is not a DNS name (`domain`)".
fn not_a(
    rule: &'static Rule,
    place: &Place,
    found: &dyn Fn() -> String,
    label: String,
    help: String,
) -> Finding {
    Finding {
        code: code(rule),
        warning: false,
        message: format!("{} is not {} (`{}`)", found(), rule.what, place.field),
        label,
        help,
    }
}

/// The help that shows the rule's example in place of the value.
fn use_example(rule: &Rule, place: &Place) -> String {
    format!(
        "use {} such as {}",
        rule.what,
        place.assign(&place.example(rule))
    )
}

/// A DNS name (RFC 1035 2.3.4): what is wrong with it, most telling first, and
/// the name with scheme, path and trailing dot removed when that is valid.
fn dns(
    rule: &'static Rule,
    place: &Place,
    text: &str,
    found: &dyn Fn() -> String,
) -> Option<Finding> {
    let Shape::Dns {
        label_max,
        max_len,
        min_labels,
    } = rule.shape
    else {
        return None;
    };
    let problem = |name: &str| -> Option<String> {
        let labels: Vec<&str> = name.split('.').collect();
        if name.is_empty() {
            return Some("empty".into());
        }
        if name.contains("://") {
            return Some("a URL, not a name: remove the scheme".into());
        }
        if name.contains('/') {
            return Some("a name has no path".into());
        }
        if name.ends_with('.') {
            return Some("tapc adds the final dot itself".into());
        }
        if name.len() > max_len {
            return Some(format!("{} characters; at most {max_len}", name.len()));
        }
        if labels.iter().any(|l| l.is_empty()) {
            return Some("an empty label (`..` or a leading dot)".into());
        }
        if let Some(l) = labels.iter().find(|l| l.len() > label_max) {
            return Some(format!(
                "the label `{l}` has {} characters; at most {label_max}",
                l.len()
            ));
        }
        if let Some(c) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
        {
            // Escaped: a control character would break the report's lines.
            return Some(format!(
                "`{}` is not allowed: letters, digits, hyphens and dots only",
                c.escape_debug()
            ));
        }
        if let Some(l) = labels
            .iter()
            .find(|l| l.starts_with('-') || l.ends_with('-'))
        {
            return Some(format!("the label `{l}` starts or ends with a hyphen"));
        }
        if labels.len() < min_labels {
            return Some(format!(
                "{} label; a hosted zone needs at least {min_labels}",
                labels.len()
            ));
        }
        None
    };
    let label = problem(text)?;
    // `https://api.example.com/path/` -> `api.example.com`.
    let host = text.split_once("://").map_or(text, |(_, rest)| rest);
    let host = host.split('/').next().unwrap_or("").trim_end_matches('.');
    let help = if host != text && problem(host).is_none() {
        format!("write {}", place.assign(host))
    } else {
        use_example(rule, place)
    };
    Some(not_a(rule, place, found, label, help))
}

/// An engine version against the stdlib's table (dated `as_of`).
fn version(
    rule: &'static Rule,
    place: &Place,
    text: &str,
    found: &dyn Fn() -> String,
) -> Vec<Finding> {
    let field = place.field;
    let table = &schema().engine_versions;
    let date = table.as_of;
    let majors = &table.aurora_postgres;
    let latest = |m: &Major| format!("{}.{}", m.major, m.newest());
    let newest = majors
        .iter()
        .max_by_key(|m| m.major)
        .map_or(rule.example.to_string(), latest);
    let what = &rule.what;
    match table.aurora_postgres(text) {
        VersionStatus::Malformed => {
            // `postgres15`, `v16`, `16`: the digits point at the major meant.
            let digits: String = text.chars().filter(char::is_ascii_digit).collect();
            let meant = majors
                .iter()
                .find(|m| digits.starts_with(&m.major.to_string()))
                .map_or(newest.clone(), latest);
            vec![Finding {
                code: MALFORMED,
                warning: false,
                message: format!("{} is not {what} (`{field}`)", found()),
                label: "expected `MAJOR.MINOR`, as in `16.8`".into(),
                help: format!(
                    "write the full version, e.g. {}; every region runs the same version, so it is pinned",
                    place.assign(&meant)
                ),
            }]
        }
        VersionStatus::NotOffered => {
            let major: u32 = text
                .split('.')
                .next()
                .and_then(|m| m.parse().ok())
                .unwrap_or(0);
            let suggestion = majors
                .iter()
                .find(|m| m.major == major)
                .map_or(newest.clone(), latest);
            vec![Finding {
                code: NOT_OFFERED,
                warning: false,
                message: format!("{} is not a version AWS offers for Aurora PostgreSQL", found()),
                label: format!("not in the table of {date}"),
                help: format!("use a listed version, e.g. {}", place.assign(&suggestion)),
            }]
        }
        VersionStatus::Deprecated(m, minor) => {
            let mut out = vec![Finding {
                code: NOT_OFFERED,
                warning: false,
                message: format!(
                    "{} is deprecated: AWS no longer creates Aurora PostgreSQL clusters with it",
                    found()
                ),
                label: format!("deprecated in the table of {date}"),
                help: format!("use an offered version, e.g. {}", place.assign(&latest(m))),
            }];
            if m.no_global.contains(&minor) {
                out.push(no_global(text, &place.assign(&latest(m))));
            }
            out
        }
        VersionStatus::Newer => vec![Finding {
            code: NEWER,
            warning: true,
            message: format!("{} is newer than tapc's version table of {date}", found()),
            label: format!("the table ends at {newest}"),
            help: format!(
                "check that AWS offers it with global database support; the table may be out of date (`tapc explain {NEWER}`)"
            ),
        }],
        VersionStatus::Listed(m, minor) => {
            let mut out = Vec::new();
            if m.no_global.contains(&minor) {
                let first = m
                    .minors
                    .iter()
                    .find(|&&n| n > minor && !m.no_global.contains(&n))
                    .map_or(newest.clone(), |n| format!("{}.{n}", m.major));
                out.push(no_global(text, &place.assign(&first)));
            }
            if m.support_ends < date {
                out.push(Finding {
                    code: PAST_SUPPORT,
                    warning: true,
                    message: format!(
                        "Aurora PostgreSQL {} reached the end of standard support on {}",
                        m.major, m.support_ends
                    ),
                    label: format!("past end of standard support ({})", m.support_ends),
                    help: format!(
                        "AWS charges RDS Extended Support for it; upgrade, e.g. {}",
                        place.assign(&newest)
                    ),
                });
            }
            out
        }
    }
}

/// E224: `version` has no global database support; `fix` is the assignment to suggest.
fn no_global(version: &str, fix: &str) -> Finding {
    Finding {
        code: NO_GLOBAL,
        warning: false,
        message: format!("Aurora PostgreSQL {version} does not support global databases"),
        label: "no global database support".into(),
        help: format!("use a version with global database support, e.g. {fix}"),
    }
}
