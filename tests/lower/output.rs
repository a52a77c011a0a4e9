//! Snapshots of the complete output and of the RTO budget.

use std::path::Path;

use crate::common::*;

/// The RTO budget term by term for pilot light, automatic failover and
/// active-active: what each term assumes is part of the snapshot.
#[test]
fn budget_snapshots() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/good/active_active.tap");
    let active = build_text("active-active", &std::fs::read_to_string(path).unwrap());
    for (name, b) in [
        ("pilot-light", build("pilot-light")),
        ("automatic", build("cache")),
        ("active-active", active),
    ] {
        let text = serde_json::to_string_pretty(&b.manifest["budget"]["rto"]).unwrap();
        insta::assert_snapshot!(format!("budget_{name}"), text);
    }
}

fn snapshot_text(b: &Built) -> String {
    let mut out = String::new();
    for (name, text) in &b.files {
        out.push_str(&format!("===== {name} =====\n{text}"));
    }
    out
}

/// The complete output of an example: every file, in order, under its name.
fn snapshot(ex: &str) {
    let b = build(ex);
    insta::with_settings!({
        filters => vec![(r#""generator": "tapc [^"]+""#, r#""generator": "tapc [version]""#)],
        omit_expression => true,
        description => format!("tapc build examples/{ex}.tap"),
    }, {
        insta::assert_snapshot!(ex.to_string(), snapshot_text(&b));
    });
}

#[test]
fn snapshot_trading() {
    snapshot("trading");
}

#[test]
fn snapshot_global() {
    snapshot("global");
}

#[test]
fn snapshot_pilot_light() {
    snapshot("pilot-light");
}

#[test]
fn snapshot_minimal() {
    snapshot("minimal");
}

#[test]
fn snapshot_cache() {
    snapshot("cache");
}
