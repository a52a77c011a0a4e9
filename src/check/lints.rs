//! Cross-attribute rules of single services and endpoints, and the warnings a
//! careful reviewer would raise.

use crate::diag::Diagnostic;
use crate::model::{duration, size, zone_name};
use crate::stdlib::schema;

use super::Partial;

pub(super) fn check(p: &Partial, diags: &mut Vec<Diagnostic>) {
    for svc in p.services.iter().flatten() {
        let at = |name: &str| svc.attrs.origin(name).map_or(svc.span, |o| o.span);
        if let (Some(cpu), Some(mem)) = (svc.attrs.int("cpu"), svc.attrs.size("memory")) {
            let sizes = &schema().fargate_sizes;
            if let Some(s) = sizes.iter().find(|s| s.cpu == cpu) {
                if !s.memory.contains(&(mem >> 20)) || mem % (1 << 20) != 0 {
                    let allowed: Vec<String> = s.memory.iter().map(|m| size(m << 20)).collect();
                    let fits: Vec<String> = sizes
                        .iter()
                        .filter(|s| s.memory.contains(&(mem >> 20)))
                        .map(|s| s.cpu.to_string())
                        .collect();
                    let alt = if fits.is_empty() {
                        String::new()
                    } else {
                        format!("; {} fits cpu = {}", size(mem), fits.join(" or "))
                    };
                    diags.push(
                        Diagnostic::error(
                            "E206",
                            format!(
                                "Fargate has no task size with cpu = {cpu} and memory = {}",
                                size(mem)
                            ),
                        )
                        .label(at("memory"), "not a valid memory size for this cpu")
                        .label(at("cpu"), format!("cpu = {cpu}"))
                        .help(format!(
                            "with cpu = {cpu}, memory is one of {}{alt}",
                            allowed.join(", ")
                        )),
                    );
                }
            }
        }
        // Tasks: certificates on their load balancers, images pulled from outside.
        if svc.kind.imp.compute() {
            let certs = svc.attrs.map("certificates");
            if !certs.is_empty() {
                for r in p
                    .regions
                    .iter()
                    .filter(|r| !certs.iter().any(|(k, _)| *k == r.code))
                {
                    diags.push(
                        Diagnostic::error(
                            "E207",
                            format!("`{}` has no certificate for {}", svc.name, r.code),
                        )
                        .label(at("certificates"), format!("no entry for {}", r.code))
                        .label(r.span, "region declared here")
                        .help(format!(
                            "ACM certificates are regional: add `{} = \"arn:aws:acm:{}:...\"`",
                            r.code, r.code
                        )),
                    );
                }
                for (k, v) in &certs {
                    if !p.regions.iter().any(|r| r.code == *k) {
                        diags.push(
                            Diagnostic::error(
                                "E207",
                                format!(
                                    "certificate for {}, which is not a declared region",
                                    crate::diag::quote(k)
                                ),
                            )
                            .label(
                                at("certificates"),
                                format!("{} is not declared", crate::diag::quote(k)),
                            )
                            .help("give one certificate per declared region"),
                        );
                    } else if v.starts_with("arn:aws:acm:")
                        && !v.starts_with(&format!("arn:aws:acm:{k}:"))
                    {
                        // An ACM ARN of another region; what is no ACM ARN
                        // at all breaks the stdlib's rule (E232) instead.
                        diags.push(
                            Diagnostic::error("E207", format!("the certificate for {k} is not an ACM certificate ARN of {k}"))
                                .label(at("certificates"), format!("expected `arn:aws:acm:{k}:ACCOUNT:certificate/ID`"))
                                .help("ACM certificates are regional: each region's listener needs a certificate issued in that region"),
                        );
                    }
                }
            }
            if p.regions
                .iter()
                .any(|r| r.attrs.int("nat_gateways") == Some(0))
            {
                diags.push(
                    Diagnostic::warning(
                        "W204",
                        format!(
                            "`{}` runs in private subnets, but a region has no NAT gateway",
                            svc.name
                        ),
                    )
                    .label(
                        svc.span,
                        "tasks cannot pull their image without a route out",
                    )
                    .help("set `nat_gateways = 1` or more in every region"),
                );
            }
        }
        if svc.attrs.int("instances") == Some(1) {
            diags.push(
                Diagnostic::warning("W205", format!("`{}` has a single DB instance per region", svc.name))
                    .label(at("instances"), "one instance")
                    .help("with `instances = 2` or more, an instance failure fails over within the region instead of taking the database down"),
            );
        }
        if let (Some(rep), Some(objective)) = (
            &svc.replication,
            svc.attrs
                .duration("rpo")
                .or(p.platform.and_then(|pl| pl.attrs.duration("rpo"))),
        ) {
            if let Some(alarm) = rep.attrs.duration("lag_alarm") {
                // A zero objective is reported as E401.
                if alarm > objective && objective > 0 {
                    let span = rep.attrs.origin("lag_alarm").map_or(rep.span, |o| o.span);
                    diags.push(
                        Diagnostic::warning(
                            "W401",
                            format!(
                                "the lag alarm of `{}` fires only after its RPO of {} is broken",
                                svc.name,
                                duration(objective)
                            ),
                        )
                        .label(span, format!("alarm at {}", duration(alarm)))
                        .help(format!(
                            "set `lag_alarm` to {} or less",
                            duration(objective)
                        )),
                    );
                }
            }
        }
    }

    for (i, e) in p.endpoints.iter().enumerate() {
        zone_per_environment(p, i, diags);
        let Some(target) = p.services.get(e.target).and_then(|s| s.as_ref()) else {
            continue;
        };
        let https = !target.attrs.map("certificates").is_empty();
        let protocol = e.health.str("protocol").unwrap_or("http");
        let port = e
            .health
            .int("port")
            .unwrap_or(if protocol == "https" { 443 } else { 80 });
        let health_at = |name: &str| e.health.origin(name).map_or(e.span, |o| o.span);
        let listens = |proto: &str, port: i64| {
            (proto == "http" && port == 80) || (https && proto == "https" && port == 443)
        };
        if !listens(protocol, port) {
            let listeners = if https {
                "HTTP:80 (redirect) and HTTPS:443"
            } else {
                "HTTP:80 only"
            };
            let at = if e.health.int("port").is_some() {
                health_at("port")
            } else {
                health_at("protocol")
            };
            let d = Diagnostic::warning("W201", format!("the health check of `{}` probes {}:{port}, where the load balancer of `{}` does not listen", e.name, protocol.to_uppercase(), target.name))
                .label(at, format!("{} on port {port}", protocol.to_uppercase()))
                .label(target.span, format!("listens on {listeners}"));
            // The protocol has a listener, only on another port.
            let default_port = if protocol == "https" { 443 } else { 80 };
            let fix = if e.health.int("port").is_some() && listens(protocol, default_port) {
                "remove `port`; the check goes to the load balancer, not to the container"
            } else if https {
                "use `protocol = https` on port 443"
            } else {
                "use `protocol = http` on port 80, or give the service `certificates` for HTTPS"
            };
            diags.push(d.help(format!(
                "a check that can never pass fails over for no reason: {fix}"
            )));
        } else if https && protocol == "http" {
            diags.push(
                Diagnostic::warning("W201", format!("the health check of `{}` probes the HTTP listener, which only redirects", e.name))
                    .label(health_at("protocol"), "HTTP:80 answers every request with a redirect")
                    .help("Route 53 counts a redirect as healthy, so this checks the load balancer, not the app: use `protocol = https`"),
            );
        }
        if !https {
            diags.push(
                Diagnostic::warning("W202", format!("endpoint `{}` is served over plain HTTP", e.name))
                    .label(e.attrs.origin("target").map_or(e.span, |o| o.span), format!("`{}` has no certificates", target.name))
                    .help(format!("give `{}` an ACM certificate in every region, `certificates = {{ {} = \"arn:aws:acm:...\", ... }}`; HTTP then redirects to HTTPS", target.name, p.regions.first().map_or("us-east-1", |r| r.code.as_str()))),
            );
        }
        let alias_ttl = schema().timing.alias_ttl.ms.unwrap_or(0);
        if let Some(ttl) = e.attrs.duration("ttl") {
            let set = e
                .attrs
                .origin("ttl")
                .map(|o| o.span)
                .filter(|s| *s != e.span);
            if let Some(span) = set.filter(|_| ttl != alias_ttl) {
                diags.push(
                    Diagnostic::warning(
                        "W203",
                        format!("`ttl` has no effect on the alias records of `{}`", e.name),
                    )
                    .label(
                        span,
                        format!(
                            "{}: resolvers cache the load balancer's {} TTL instead",
                            duration(ttl),
                            duration(alias_ttl)
                        ),
                    )
                    .help(format!(
                        "remove `ttl`; the RTO budget counts {} for DNS caching",
                        duration(alias_ttl)
                    )),
                );
            }
        }
    }
}

/// W206: with a `suffix`, several environments of the platform may share an
/// account, and each creates the hosted zone of its domains. A zone named
/// without the suffix is then created twice, and CloudFormation refuses the
/// records that name their zone by name (a secondary's) once two zones answer
/// to it. Reported at the endpoint whose created zone it is.
fn zone_per_environment(p: &Partial, i: usize, diags: &mut Vec<Diagnostic>) {
    let e = &p.endpoints[i];
    let (Some(platform), Some(domain)) = (p.platform, e.attrs.str("domain")) else {
        return;
    };
    let Some((suffix, _)) = platform.suffix.as_ref().filter(|(s, _)| !s.is_empty()) else {
        return;
    };
    let zone = zone_name(domain);
    if e.zone != Some(i) || zone.contains(suffix.as_str()) {
        return;
    }
    diags.push(
        Diagnostic::warning("W206", format!("the hosted zone of endpoint `{}` is the same in every environment", e.name))
            .label(
                e.attrs.origin("domain").map_or(e.span, |o| o.span),
                format!("tapc creates the zone `{zone}` whatever `suffix` is"),
            )
            .help("put the suffix after the domain's first label, as in `\"api.shop-${suffix}.example.com\"`, or use an existing zone with `zone = \"Z...\"`: two zones of one name in an account make CloudFormation refuse the secondaries' records"),
    );
}
