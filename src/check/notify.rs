//! `notify`: the e-mail addresses every DR alarm reaches (spec 4.1), as SNS
//! e-mail subscriptions. An address SNS would take but no mailbox has only
//! shows at the first incident, so each is checked here, at its list item.
//!
//! The rule is deliberately simple (not RFC 5322): `LOCAL@DOMAIN`, one `@`,
//! a local part of 1-64 printable characters without spaces, quotes or
//! `<>()[],;:\`, a domain of at least two DNS labels (1-63 letters, digits
//! and `-`, not starting or ending with `-`), 254 characters in all; and each
//! address once (a second subscription of the same address is the same SNS
//! subscription, which either resource's deletion removes).

use crate::diag::{Diagnostic, Span};
use crate::model::{Attrs, Role};
use crate::syntax::ast::{Body, ValueKind};

use super::Partial;

/// Why `address` is not an address tapc accepts, if it is not.
pub fn address_problem(address: &str) -> Option<&'static str> {
    let Some((local, domain)) = address.split_once('@') else {
        return Some("has no `@`");
    };
    if domain.contains('@') {
        return Some("has more than one `@`");
    }
    if address.len() > 254 {
        return Some("is longer than 254 characters");
    }
    if local.is_empty() || local.len() > 64 {
        return Some("needs 1 to 64 characters before the `@`");
    }
    let bad = |c: char| c.is_whitespace() || c.is_control() || "\"<>()[],;:\\".contains(c);
    if local.chars().any(bad) {
        return Some("has a space, quote or `<>()[],;:\\` before the `@`");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Some("needs a domain with a dot after the `@`, such as `example.com`");
    }
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if !labels.iter().all(|l| label_ok(l)) {
        return Some(
            "has a domain that is not a DNS name (labels of 1-63 letters, digits and `-`)",
        );
    }
    None
}

/// E210 at each address of the platform's `notify` list that breaks the rule
/// or repeats one before it. `attrs` are the platform's resolved attributes,
/// `body` its source (for the span of each item).
pub(super) fn addresses(body: &Body, attrs: &Attrs, diags: &mut Vec<Diagnostic>) {
    let Some(attr) = body.attrs.iter().find(|a| a.name.name == "notify") else {
        return;
    };
    let ValueKind::List(items) = &attr.value.kind else {
        return;
    };
    let values = attrs.strings("notify");
    if values.len() != items.len() {
        return; // not resolved (a type error was reported)
    }
    let mut seen: Vec<(&str, Span)> = Vec::new();
    for (address, item) in values.into_iter().zip(items) {
        if let Some(problem) = address_problem(address) {
            diags.push(
                Diagnostic::error(
                    "E210",
                    format!("{} is not an e-mail address", crate::diag::quote(address)),
                )
                .label(item.span, format!("this address {problem}"))
                .help("write each address in full: `notify = [\"oncall@example.com\"]`"),
            );
        } else if let Some((_, first)) = seen.iter().find(|(a, _)| a.eq_ignore_ascii_case(address))
        {
            diags.push(
                Diagnostic::error(
                    "E210",
                    format!(
                        "{} is listed twice in `notify`",
                        crate::diag::quote(address)
                    ),
                )
                .label(item.span, "listed again")
                .label(*first, "first listed here")
                .help("remove the second one"),
            );
        } else {
            seen.push((address, item.span));
        }
    }
}

/// W601: the platform has DR alarms and `notify` names nobody. Every alarm
/// tapc emits counts: the replication-lag alarm of each service whose kind has
/// one in each region it replicates to (`lower::aurora`), and the serving
/// alarm of each secondary when the platform has an endpoint (`lower::dns`).
pub(super) fn reach(p: &Partial, diags: &mut Vec<Diagnostic>) {
    let Some(platform) = p.platform else { return };
    if !platform.attrs.strings("notify").is_empty() {
        return;
    }
    let lagged: Vec<(&str, usize)> = p
        .services
        .iter()
        .flatten()
        .filter(|s| s.kind.imp.lag_alarm())
        .filter_map(|s| Some((s.name.as_str(), s.replication.as_ref()?.regions.len())))
        .filter(|&(_, n)| n > 0)
        .collect();
    let secondaries = p
        .regions
        .iter()
        .filter(|r| r.role == Role::Secondary)
        .count();
    let serving = if p.endpoints.is_empty() {
        0
    } else {
        secondaries
    };
    let total = lagged.iter().map(|&(_, n)| n).sum::<usize>() + serving;
    if total == 0 {
        return;
    }
    let mut what = Vec::new();
    if let Some((first, _)) = lagged.first() {
        let others = if lagged.len() > 1 {
            " (and others)"
        } else {
            ""
        };
        what.push(format!(
            "`{first}`{others} has a replication-lag alarm in every secondary it replicates to"
        ));
    }
    if serving > 0 {
        what.push(format!(
            "every secondary has a serving alarm (endpoint `{}`)",
            p.endpoints[0].name
        ));
    }
    // The `notify = []` the user wrote, or the platform's name when it is missing.
    let at = match platform.attrs.origin("notify") {
        Some(o) if o.span != platform.name_span => o.span,
        _ => platform.name_span,
    };
    diags.push(
        Diagnostic::warning("W601", "the DR alarms notify nobody")
            .label(
                at,
                format!(
                    "{}: {total} alarm{}, and `notify` is empty",
                    what.join("; "),
                    if total == 1 { "" } else { "s" },
                ),
            )
            .help("add the addresses of the people on call to the platform: `notify = [\"oncall@example.com\"]`"),
    );
}

#[cfg(test)]
mod tests {
    use super::address_problem;

    #[test]
    fn each_part_of_the_rule() {
        let long_local = format!("{}@example.com", "a".repeat(65));
        let long = format!("a@{}.com", vec!["b".repeat(60); 5].join("."));
        for bad in [
            "oncall",
            "a@b@example.com",
            "@example.com",
            long_local.as_str(),
            long.as_str(),
            "on call@example.com",
            "<oncall>@example.com",
            "oncall@localhost",
            "oncall@-example.com",
            "oncall@example..com",
            "oncall@exa_mple.com",
        ] {
            assert!(address_problem(bad).is_some(), "{bad} passes");
        }
        for good in [
            "oncall@example.com",
            "on.call+dr@ops.example.co.uk",
            "1@x-1.io",
            "o'neil@example.com",
        ] {
            assert_eq!(address_problem(good), None, "{good}");
        }
    }
}
