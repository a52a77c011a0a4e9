//! The arithmetic of the recovery objectives (LANGUAGE.md section 5,
//! aws-dr.md section 2):
//!
//!   RTO >= detect + trigger + max(data promotion, compute readiness) + DNS caching
//!   RPO >= worst-case replication lag, per stateful service
//!
//! Every term keeps the place in the program it came from, so a broken budget can
//! be shown term by term with a label on each attribute that contributes.

use crate::diag::{Diagnostic, Span};
use crate::model::{duration, Budget, RpoRow, RtoBudget, Strategy, Term};
use crate::stdlib::{schema, Figure};

use super::Partial;

fn span_of(attrs: &crate::model::Attrs, name: &str) -> Option<Span> {
    attrs.origin(name).map(|o| o.span)
}

pub(super) fn compute(p: &Partial, diags: &mut Vec<Diagnostic>) -> Budget {
    let mut budget = Budget::default();
    let Some(platform) = p.platform else {
        return budget;
    };
    let attrs = &platform.attrs;
    failover(p, platform, diags);
    let mut zero = Vec::new();
    for name in ["rto", "rpo"] {
        if let (Some(0), Some(span)) = (attrs.duration(name), span_of(attrs, name)) {
            diags.push(
                Diagnostic::error("E401", format!("`{name}` must be more than zero"))
                    .label(span, "zero")
                    .help(format!(
                        "no failover is instant: state the objective you need, e.g. `{name} = 5m`"
                    )),
            );
            zero.push(name);
        }
    }
    if !zero.contains(&"rto") {
        budget.rto = rto_budget(p, platform, diags);
    }

    // RPO: every replicated stateful service.
    let platform_rpo = attrs.duration("rpo").filter(|_| !zero.contains(&"rpo"));
    for svc in p.services.iter().flatten() {
        if let (Some(0), Some(span)) = (svc.attrs.duration("rpo"), span_of(&svc.attrs, "rpo")) {
            diags.push(
                Diagnostic::error("E401", format!("`rpo` of `{}` must be more than zero", svc.name))
                    .label(span, "zero")
                    .help("no replication is instant: state the objective this service needs, e.g. `rpo = 15m`, or remove it to use the platform's"),
            );
            continue;
        }
        let Some(rep) = &svc.replication else {
            continue;
        };
        let (objective, objective_from, objective_span) = match svc.attrs.duration("rpo") {
            Some(ms) => (ms, "service", span_of(&svc.attrs, "rpo")),
            None => match platform_rpo {
                Some(ms) => (ms, "platform", span_of(attrs, "rpo")),
                None => continue,
            },
        };
        let (lag, source) = match rep.attrs.duration("lag") {
            Some(ms) => (Some(ms), "stated with `lag` on the replicate".to_string()),
            None => {
                let figure = svc.kind.lag.iter().find(|f| {
                    f.when
                        .as_ref()
                        .is_none_or(|w| rep.attrs.bool(w) == Some(true))
                });
                (
                    figure.and_then(|f| f.ms),
                    figure.map_or(String::new(), |f| f.source.to_string()),
                )
            }
        };
        match lag {
            Some(lag) if lag > objective => {
                let mut d = Diagnostic::error(
                    "E403",
                    format!(
                        "`{}` can lose {} of data, more than its RPO of {}",
                        svc.name,
                        duration(lag),
                        duration(objective)
                    ),
                )
                .label(
                    span_of(&rep.attrs, "lag").unwrap_or(rep.span),
                    format!("worst-case replication lag {} ({source})", duration(lag)),
                );
                if let Some(s) = objective_span {
                    d = d.label(s, format!("{objective_from} rpo = {}", duration(objective)));
                }
                let help = if objective_from == "platform" {
                    format!("give `{}` its own objective, `rpo = {}`, if the business accepts it; or use a mechanism with a shorter lag", svc.name, duration(lag))
                } else {
                    format!(
                        "raise `rpo` on `{}` to at least {}",
                        svc.name,
                        duration(lag)
                    )
                };
                diags.push(d.help(help));
            }
            None => {
                // No published bound: the RPO cannot be verified, whatever the
                // mechanism. Where an option adds a bound (S3's RTC), say so too.
                let remedy = svc.kind.lag.iter().find_map(|f| f.when);
                let targets: Vec<&str> = rep
                    .regions
                    .iter()
                    .filter_map(|&i| p.regions.get(i).map(|r| r.code.as_str()))
                    .collect();
                let targets = match targets.is_empty() {
                    true => "REGION".to_string(),
                    false => targets.join(", "),
                };
                let lag_fix = format!("`replicate {} -> {targets} {{ lag = 5m }}`", svc.name);
                let help = match remedy {
                    Some(attr) => format!(
                        "set `{attr} = true` on this replicate, which bounds the lag, or state your measured worst case with `lag`: {lag_fix}"
                    ),
                    None => format!(
                        "state your measured worst case with `lag` on this replicate: {lag_fix}"
                    ),
                };
                diags.push(
                    Diagnostic::warning(
                        "W402",
                        format!(
                            "the replication lag of `{}` has no published bound; its RPO of {} is not verified",
                            svc.name,
                            duration(objective)
                        ),
                    )
                    .label(rep.span, source.clone())
                    .help(help),
                );
            }
            _ => {}
        }
        budget.rpo.push(RpoRow {
            service: svc.name.clone(),
            lag,
            source,
            objective,
            objective_from,
        });
    }
    budget
}

/// Who starts the failover: E316 when a person does but `trigger` does not
/// say how long they take; with `failover = automatic`, W317 at a `trigger`
/// that is not used and E317 when no endpoint gives the canaries a target.
fn failover(p: &Partial, platform: &crate::model::Platform, diags: &mut Vec<Diagnostic>) {
    let attrs = &platform.attrs;
    let automatic = attrs.str("failover") == Some("automatic");
    let failover_span = span_of(attrs, "failover");
    match (automatic, span_of(attrs, "trigger")) {
        (false, None) => diags.push(
            Diagnostic::error("E316", format!("platform `{}` does not say how long it takes to start the failover", platform.name))
                .label(platform.name_span, "no `trigger`, and `failover` is manual")
                .help("state how long a person takes to start the failover runbook, e.g. `trigger = 5m`, or let an alarm start it with `failover = automatic`"),
        ),
        (true, Some(trigger)) => {
            let mut d = Diagnostic::warning("W317", "`trigger` is not used with `failover = automatic`")
                .label(trigger, "not used: the budget computes this term from the canary and its alarm");
            if let Some(span) = failover_span {
                d = d.label(span, "an alarm starts the failover runbook");
            }
            diags.push(d.help("remove `trigger`"));
        }
        _ => {}
    }
    if let (true, Some(span), true) = (automatic, failover_span, p.endpoints.is_empty()) {
        diags.push(
            Diagnostic::error("E317", "`failover = automatic` has nothing to watch: the platform has no endpoint")
                .label(span, "the canaries probe the primary region's endpoint")
                .help("keep `failover = manual` with `trigger = 5m`, or add an `endpoint` whose target serves the platform"),
        );
    }
}

/// The worst-case failover time, term by term; E402 when it exceeds `rto`.
fn rto_budget(
    p: &Partial,
    platform: &crate::model::Platform,
    diags: &mut Vec<Diagnostic>,
) -> Option<RtoBudget> {
    let attrs = &platform.attrs;
    let timing = &schema().timing;
    let fig = |f: &Figure| f.ms.unwrap_or(0);
    let automatic = attrs.str("failover") == Some("automatic");
    let trigger = if automatic {
        // The wiring `lower::watch` writes: an outage may begin just after a
        // run, then the alarm needs every period of its evaluation to fail.
        let (interval, evaluation) = (fig(&timing.watch_interval), fig(&timing.watch_evaluation));
        Term {
            name: "trigger",
            ms: interval.saturating_add(evaluation),
            how: format!(
                "failover = automatic: canary every {} (an outage may begin just after a run) + alarm on {} failed runs ({})",
                duration(interval),
                evaluation / interval.max(1),
                duration(evaluation)
            ),
            span: span_of(attrs, "failover"),
        }
    } else {
        Term {
            name: "trigger",
            ms: attrs.duration("trigger")?,
            how: "platform trigger: time to start the failover runbook".into(),
            span: span_of(attrs, "trigger"),
        }
    };
    let mut trigger = trigger;
    let rto = attrs.duration("rto")?;

    // detect: the slowest endpoint's health check.
    let mut detect = Term {
        name: "detect",
        ms: 0,
        how: "no endpoint: nothing fails over traffic".into(),
        span: None,
    };
    let mut dns = Term {
        name: "dns",
        ms: 0,
        how: "no endpoint".into(),
        span: None,
    };
    for e in p.endpoints {
        let (Some(interval), Some(threshold)) =
            (e.health.duration("interval"), e.health.int("threshold"))
        else {
            continue;
        };
        let ms = interval * threshold as u64 + fig(&timing.probe_timeout);
        if ms >= detect.ms {
            detect = Term {
                name: "detect",
                ms,
                how: format!(
                    "health check every {} x {threshold} failures + {} probe time-out",
                    duration(interval),
                    duration(fig(&timing.probe_timeout))
                ),
                span: span_of(&e.health, "interval"),
            };
        }
        let ttl = duration(fig(&timing.alias_ttl));
        dns = Term {
            name: "dns",
            ms: fig(&timing.alias_ttl),
            how: if platform.strategy == Strategy::ActiveActive {
                format!("active_active: no failover record to wait for; latency records drop the failed region once its health check fails, and resolvers keep it for the alias's {ttl} TTL")
            } else {
                format!("alias record to the load balancer: its {ttl} TTL")
            },
            span: span_of(&e.attrs, "ttl"),
        };
    }
    // traffic: the failover runbook publishes the serving metric right after
    // starting the promotions, so the secondary's serving alarm evaluating its
    // period and Route 53 following the alarm (src/lower/dns.rs) overlap them.
    let traffic = if p.endpoints.is_empty() {
        Term {
            name: "traffic",
            ms: 0,
            how: "no endpoint".into(),
            span: None,
        }
    } else if platform.strategy == Strategy::ActiveActive {
        Term {
            name: "traffic",
            ms: 0,
            how: "active_active: every region already serves; nothing to switch".into(),
            span: None,
        }
    } else {
        Term {
            name: "traffic",
            ms: fig(&timing.alarm_period) + fig(&timing.alarm_follow),
            how: format!(
                "serving alarm period {} + Route 53 following the alarm {}",
                duration(fig(&timing.alarm_period)),
                duration(fig(&timing.alarm_follow))
            ),
            span: None,
        }
    };

    if automatic && detect.ms > 0 {
        // The canary and the health checks watch at the same time: only what
        // the canary takes beyond detection delays the failover.
        let canary = trigger.ms;
        trigger.ms = canary.saturating_sub(detect.ms);
        trigger.how = format!(
            "{}, of which detect's {} overlaps",
            trigger.how,
            duration(canary.min(detect.ms))
        );
    }

    // data promotion: the slowest stateful kind in use.
    let mut promote = Term {
        name: "promote",
        ms: 0,
        how: "no stateful service to promote".into(),
        span: None,
    };
    for svc in p.services.iter().flatten().filter(|s| s.kind.stateful) {
        let ms = fig(&svc.kind.promotion);
        if ms > promote.ms || promote.span.is_none() {
            // Under active/active the secondaries serve, but the writer
            // still has to move: forwarded writes wait for the promotion.
            let writer = if platform.strategy == Strategy::ActiveActive {
                "active_active still promotes the writer; "
            } else {
                ""
            };
            promote = Term {
                name: "promote",
                ms,
                how: format!(
                    "{writer}`{}` ({}): {}",
                    svc.name, svc.kind.name, svc.kind.promotion.source
                ),
                span: Some(svc.span),
            };
        }
    }

    let has_compute = p.services.iter().flatten().any(|s| s.kind.imp.compute());
    let strategy_span = span_of(attrs, "strategy");
    // Until its tasks pass, the secondary's load balancer fails Route 53's
    // check too, which then needs `threshold` passing probes to turn healthy.
    let healthy = p
        .endpoints
        .iter()
        .filter_map(|e| Some(e.health.duration("interval")? * e.health.int("threshold")? as u64))
        .max();
    let compute = match platform.strategy {
        Strategy::PilotLight if has_compute => Term {
            name: "compute",
            ms: fig(&timing.task_start) + fig(&timing.target_check) + healthy.unwrap_or(0),
            how: match healthy {
                Some(ms) => format!(
                    "pilot light: task start {} + first target health check {} + Route 53 check healthy again {}",
                    duration(fig(&timing.task_start)),
                    duration(fig(&timing.target_check)),
                    duration(ms)
                ),
                None => format!(
                    "pilot light: task start {} + first target health check {}",
                    duration(fig(&timing.task_start)),
                    duration(fig(&timing.target_check))
                ),
            },
            span: strategy_span,
        },
        Strategy::BackupRestore => Term {
            name: "compute",
            ms: fig(&timing.rebuild),
            how: timing.rebuild.source.to_string(),
            span: strategy_span,
        },
        s => Term {
            name: "compute",
            ms: 0,
            how: match s {
                Strategy::ActiveActive => {
                    "active_active: every region already serves with its full task count".into()
                }
                s => format!("{}: the secondary already runs", s.as_str()),
            },
            span: strategy_span,
        },
    };

    // Saturating: absurd durations must not wrap around into a passing budget.
    let total = detect
        .ms
        .saturating_add(trigger.ms)
        .saturating_add(promote.ms.max(compute.ms).max(traffic.ms))
        .saturating_add(dns.ms);
    let terms = vec![detect, trigger, promote, compute, traffic, dns];
    if total > rto {
        diags.push(rto_diagnostic(
            &terms,
            total,
            rto,
            platform,
            span_of(attrs, "rto"),
        ));
    }
    Some(RtoBudget {
        terms,
        total,
        objective: rto,
    })
}

fn rto_diagnostic(
    terms: &[Term],
    total: u64,
    rto: u64,
    platform: &crate::model::Platform,
    rto_span: Option<Span>,
) -> Diagnostic {
    let over = total - rto;
    let t = |i: usize| format!("{} {}", terms[i].name, duration(terms[i].ms));
    let mut d = Diagnostic::error(
        "E402",
        format!(
            "worst-case failover takes {}, more than the RTO of {}: {} + {} + max({}, {}, {}) + {}",
            duration(total),
            duration(rto),
            t(0),
            t(1),
            t(2),
            t(3),
            t(4),
            t(5)
        ),
    );
    if let Some(s) = rto_span {
        d = d.label(
            s,
            format!("rto = {}, over by {}", duration(rto), duration(over)),
        );
    }
    for t in terms.iter().filter(|t| t.ms > 0) {
        if let Some(s) = t.span {
            d = d.label(s, format!("{} {}: {}", t.name, duration(t.ms), t.how));
        }
    }
    // Single changes that would bring the total within the objective.
    let mut fixes = Vec::new();
    let term = |n: &str| terms.iter().find(|t| t.name == n).map_or(0, |t| t.ms);
    let trigger = term("trigger");
    if trigger >= over && platform.attrs.str("failover") != Some("automatic") {
        fixes.push(format!(
            "automate the failover so `trigger` is at most {}",
            duration(trigger - over)
        ));
    }
    let compute = term("compute");
    let promote = term("promote").max(term("traffic"));
    if compute > promote && compute - promote >= over && platform.strategy != Strategy::WarmStandby
    {
        fixes.push(
            "run the secondary as `strategy = warm_standby`, so its compute is already up".into(),
        );
    }
    let detect = term("detect");
    let probe = schema().timing.probe_timeout.ms.unwrap_or(0);
    let fastest_detect = 10_000 + probe;
    if detect > fastest_detect && detect - fastest_detect >= over {
        fixes.push(format!("detect faster: `interval = 10s` with `threshold = 1` in the endpoint's health block detects in {}", duration(fastest_detect)));
    }
    let raise = format!("raise `rto` to at least {}", duration(total));
    if fixes.is_empty() {
        fixes.push(raise);
    } else {
        fixes.push(format!("or {raise}"));
    }
    d.help(fixes.join("; "))
}
