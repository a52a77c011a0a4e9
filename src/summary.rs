//! The human summary printed on success: what was checked and the RTO/RPO
//! arithmetic term by term, so the objectives are shown, not claimed.

use std::fmt::Write;

use crate::model::{duration, Model, Role};
use crate::text::repeat;

pub fn check(model: &Model) -> String {
    let mut out = String::new();
    let p = &model.platform;
    let _ = writeln!(out, "platform {}: {} strategy", p.name, p.strategy.as_str());
    let regions: Vec<String> = model
        .regions
        .iter()
        .map(|r| {
            format!(
                "{} ({})",
                r.code,
                if r.role == Role::Primary {
                    "primary"
                } else {
                    "secondary"
                }
            )
        })
        .collect();
    let _ = writeln!(out, "  regions   {}", regions.join(", "));
    let services: Vec<String> = model
        .services
        .iter()
        .map(|s| crate::text::cat!(s.name, " (", s.kind.name, ")"))
        .collect();
    if !services.is_empty() {
        let _ = writeln!(out, "  services  {}", services.join(", "));
    }
    out.push_str(&budget(model));
    out
}

/// The RTO and RPO budgets, term by term with the headroom left. (Written
/// piece by piece: with `format!`'s padding they cost `tapc check` of the
/// reference program 2% of its instructions.)
pub fn budget(model: &Model) -> String {
    let mut out = String::new();
    if let Some(rto) = &model.budget.rto {
        out.push_str("  RTO budget: detect + trigger + max(promote, compute, traffic) + dns\n");
        for t in &rto.terms {
            term(&mut out, t.name, t.ms);
            out.push_str(&t.how);
            out.push('\n');
        }
        term(&mut out, "total", rto.total);
        out.push_str("within rto ");
        out.push_str(&duration(rto.objective));
        out.push_str(" with ");
        out.push_str(&duration(rto.objective - rto.total.min(rto.objective)));
        out.push_str(" to spare\n");
    }
    if !model.budget.rpo.is_empty() {
        out.push_str("  RPO budget: worst-case replication lag per service\n");
        let width = model
            .budget
            .rpo
            .iter()
            .map(|r| r.service.chars().count())
            .max()
            .unwrap_or(0);
        for r in &model.budget.rpo {
            out.push_str("    ");
            left(&mut out, &r.service, width);
            out.push_str(" lag ");
            right(&mut out, &r.lag.map_or("unknown".into(), duration), 7);
            out.push_str("  rpo ");
            out.push_str(&duration(r.objective));
            out.push_str(" (");
            out.push_str(r.objective_from);
            out.push_str("), ");
            match r.lag {
                Some(l) => {
                    out.push_str(&duration(r.objective.saturating_sub(l)));
                    out.push_str(" to spare");
                }
                None => out.push_str("not verified"),
            }
            out.push_str("; ");
            out.push_str(&r.source);
            out.push('\n');
        }
    }
    out
}

/// A term of the RTO budget up to its explanation: `    NAME     DURATION  `.
fn term(out: &mut String, name: &str, ms: u64) {
    out.push_str("    ");
    left(out, name, 8);
    out.push(' ');
    right(out, &duration(ms), 7);
    out.push_str("  ");
}

/// `text` left-aligned in `width` characters, as `{:<width$}` writes it.
fn left(out: &mut String, text: &str, width: usize) {
    out.push_str(text);
    repeat(out, ' ', width.saturating_sub(text.chars().count()));
}

/// `text` right-aligned in `width` characters, as `{:>width$}` writes it.
fn right(out: &mut String, text: &str, width: usize) {
    repeat(out, ' ', width.saturating_sub(text.chars().count()));
    out.push_str(text);
}

/// What `tapc build` wrote, how to deploy it, and how to fail over.
pub fn build(model: &Model, manifest: &serde_json::Value, dir: &std::path::Path) -> String {
    let mut out = String::new();
    let stacks = manifest["stacks"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    // A stack deployed in two phases is one stack with two templates.
    let phased = stacks
        .iter()
        .filter(|s| s["phase"].as_u64() > Some(1))
        .count();
    let twice = if phased > 0 {
        format!(" ({phased} deployed twice, phase 2 adding what needs a later stack)")
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "wrote {} stacks{twice}, manifest.json and RUNBOOK.md to {}",
        stacks.len() - phased,
        dir.display()
    );
    let width = stacks
        .iter()
        .filter_map(|s| s["name"].as_str())
        .map(str::len)
        .max()
        .unwrap_or(0);
    for s in stacks {
        let phase = match s["phase"].as_u64() {
            Some(n) if n > 1 => format!("  phase {n}"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  wave {}  {:<width$}  {:>3} resources  {}{phase}",
            s["wave"],
            s["name"].as_str().unwrap_or_default(),
            s["resources"],
            s["region"].as_str().unwrap_or_default(),
        );
    }
    out.push_str(&budget(model));
    let _ = writeln!(
        out,
        "deploy, in this order (each waits for the one before):"
    );
    for s in stacks {
        let upload = if s["needs_s3_upload"] == true {
            " --s3-bucket <artifact bucket in that region>"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  aws cloudformation deploy --region {} --stack-name {} --template-file {} --capabilities CAPABILITY_IAM{upload}",
            s["region"].as_str().unwrap_or_default(),
            s["name"].as_str().unwrap_or_default(),
            dir.join(s["template"].as_str().unwrap_or_default()).display(),
        );
    }
    let failover = manifest["failover"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if failover.is_empty() {
        // No runbook: nothing holds data to promote.
        let _ = writeln!(
            out,
            "{}",
            if model.endpoints.is_empty() {
                "failover: nothing to run (no endpoint to move, no data to promote)"
            } else {
                "failover: automatic (Route 53 health checks move traffic; nothing to promote)"
            }
        );
        return out;
    }
    let order: Vec<&str> = manifest["dr"]["dns_failover_order"]
        .as_array()
        .map(|a| a.iter().filter_map(|r| r.as_str()).collect())
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "to fail over, start the runbook of exactly ONE secondary: the first that is up in DNS's order ({})",
        order.join(", then ")
    );
    let _ = writeln!(
        out,
        "  (DNS follows the runbook: the promoted region answers until its failback runbook; {} explains each step)",
        dir.join("RUNBOOK.md").display()
    );
    for region in &order {
        let mine: Vec<&serde_json::Value> = failover
            .iter()
            .filter(|f| f["region"].as_str() == Some(region))
            .collect();
        if mine.len() > 1 {
            // SSM's size quota splits large runbooks; the parts are independent.
            let _ = writeln!(
                out,
                "  {region}: start all of its {} runbooks (they run side by side)",
                mine.len()
            );
        } else {
            let _ = writeln!(out, "  {region}:");
        }
        for f in &mine {
            let _ = writeln!(
                out,
                "    failover  {}",
                f["command"].as_str().unwrap_or_default()
            );
        }
        for f in &mine {
            let _ = writeln!(
                out,
                "    failback  {}",
                f["failback"]["command"].as_str().unwrap_or_default()
            );
        }
    }
    out
}
