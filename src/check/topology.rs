//! Regions and replication: one primary, at least one secondary, every stateful
//! service replicated to every secondary, and only there.

use crate::diag::{Diagnostic, Span};
use crate::model::{Region, Replication, Role, Service, Val};
use crate::stdlib::schema;
use crate::syntax::ast::{Item, ItemKind};

use super::resolve::Resolver;
use super::{unknown_region, Partial};

/// Resolves `replicate` items onto their services. Returns, per service, whether
/// its replicate names a region that was reported, so that the regions it misses
/// are not reported again.
pub(super) fn replications(
    items: &[&Item],
    resolver: &Resolver,
    regions: &[Region],
    services: &mut [Option<Service>],
    diags: &mut Vec<Diagnostic>,
) -> Vec<bool> {
    let mut seen: Vec<Option<Span>> = vec![None; services.len()];
    let mut bad_target = vec![false; services.len()];
    let named = |name: &str| {
        items
            .iter()
            .any(|i| matches!(&i.kind, ItemKind::Replicate { service, .. } if service.name == name))
    };
    let primaries = regions.iter().filter(|r| r.role == Role::Primary).count();
    // Declared regions whose code is unknown (already reported): a replicate naming
    // the code the user meant is taken to mean them.
    let misspelt: Vec<&str> = regions
        .iter()
        .map(|r| r.code.as_str())
        .filter(|c| !schema().regions.iter().any(|r| r == c))
        .collect();
    for item in items {
        let ItemKind::Replicate {
            service,
            regions: targets,
            body,
        } = &item.kind
        else {
            continue;
        };
        let index = match resolver.services.get(service.name) {
            Some(&index) => index,
            None => {
                diags.push(resolver.unknown_service(service.name, service.span));
                // Take a typo for the service it suggests, so that service is not
                // reported as unreplicated too.
                match resolver.meant_service(service.name).filter(|s| !named(s)) {
                    Some(s) => resolver.services[s],
                    None => continue,
                }
            }
        };
        let Some(svc) = &services[index] else {
            continue;
        };
        if let Some(first) = seen[index] {
            diags.push(
                Diagnostic::error("E101", format!("`{}` is replicated twice", service.name))
                    .label(service.span, "second replicate")
                    .label(first, "first replicate")
                    .help("list every target region in one replicate: `replicate NAME -> R1, R2`"),
            );
            continue;
        }
        seen[index] = Some(service.span);
        if !svc.kind.stateful {
            diags.push(
                Diagnostic::error(
                    "E307",
                    format!(
                        "`{}` is {}, which holds no data to replicate",
                        service.name,
                        super::a_kind(svc.kind.name)
                    ),
                )
                .label(service.span, "stateless service")
                .label(svc.span, "declared here")
                .help(format!(
                    "remove this replicate: {} is deployed in every region already",
                    super::a_kind(svc.kind.name)
                )),
            );
            continue;
        }
        let mut region_ids = Vec::new();
        let mut region_spans = Vec::new();
        let secondaries = || {
            regions
                .iter()
                .filter(|r| r.role == Role::Secondary)
                .map(|r| r.code.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        // Declared regions this replicate does not name yet: the likely meaning of a typo.
        let unnamed = || {
            regions
                .iter()
                .map(|r| r.code.as_str())
                .filter(|c| !targets.iter().any(|t| t.name == *c))
                .collect::<Vec<_>>()
        };
        for target in targets {
            let position = regions.iter().position(|r| r.code == target.name);
            let meant = match position {
                Some(_) => None,
                None => resolver
                    .budget
                    .closest(target.name, misspelt.iter().copied()),
            };
            match position {
                // With two primaries, E302 says which one to change.
                Some(i) if regions[i].role == Role::Primary && primaries > 1 => {
                    region_ids.push(i);
                    region_spans.push(target.span);
                }
                Some(i) if regions[i].role == Role::Primary => {
                    bad_target[index] = true;
                    let fix = match secondaries() {
                        s if s.is_empty() => "name a secondary region".to_string(),
                        s => format!("name the secondaries: `replicate {} -> {s}`", service.name),
                    };
                    diags.push(
                        Diagnostic::error(
                            "E305",
                            format!("`{}` replicates to its own primary region", service.name),
                        )
                        .label(target.span, "the primary region")
                        .label(regions[i].span, "declared primary here")
                        .help(format!(
                            "replication goes from the primary to the secondaries; {fix}"
                        )),
                    );
                }
                Some(i) if region_ids.contains(&i) => diags.push(
                    Diagnostic::error("E101", format!("region `{}` is named twice", target.name))
                        .label(target.span, "named again")
                        .help("remove the repeated region"),
                ),
                Some(i) => {
                    region_ids.push(i);
                    region_spans.push(target.span);
                }
                None if meant.is_some() => {
                    if let Some(i) = regions.iter().position(|r| Some(r.code.as_str()) == meant) {
                        region_ids.push(i);
                        region_spans.push(target.span);
                    }
                }
                None if schema().regions.contains(&target.name) => {
                    bad_target[index] = true;
                    let d = Diagnostic::error(
                        "E306",
                        format!(
                            "`{}` replicates to `{}`, which is not a declared region",
                            service.name, target.name
                        ),
                    )
                    .label(target.span, "not declared");
                    let declare = format!("declare it, `region {} {{ ... }}` with `role = secondary` in it, or remove it from this replicate", target.name);
                    diags.push(
                        match resolver.budget.closest(target.name, unnamed().into_iter()) {
                            Some(s) => d.help(format!("did you mean `{s}`? Otherwise {declare}")),
                            None => d.help(declare),
                        },
                    );
                }
                None => {
                    bad_target[index] = true;
                    let d = unknown_region(target.name, target.span, schema());
                    diags.push(
                        match resolver.budget.closest(target.name, unnamed().into_iter()) {
                            Some(s) => Diagnostic {
                                help: Some(format!("did you mean `{s}`?")),
                                ..d
                            },
                            None => d,
                        },
                    );
                }
            }
        }
        let what = format!("the replication of {}", super::a_kind(svc.kind.name));
        let r = resolver.body(body, &svc.kind.replicate, &what, service.span, diags);
        if let Some(svc) = &mut services[index] {
            svc.replication = Some(Replication {
                span: service.span,
                regions: region_ids,
                region_spans,
                attrs: r.attrs,
            });
        }
    }
    bad_target
}

/// The smallest subnet a load balancer scales in.
const MAX_SUBNET_PREFIX: u8 = 27;

/// `bad_target`: services whose replicate names a region already reported.
pub(super) fn check(p: &Partial, bad_target: &[bool], diags: &mut Vec<Diagnostic>) {
    let primaries: Vec<&Region> = p
        .regions
        .iter()
        .filter(|r| r.role == Role::Primary)
        .collect();
    let has_role = |r: &Region| r.attrs.get("role").is_some();
    if p.regions.is_empty() {
        if let Some(platform) = p.platform {
            diags.push(
                Diagnostic::error("E301", "the program declares no regions")
                    .label(platform.name_span, "no region to run in")
                    .help("declare a primary and a secondary region, each with a `role` and a `cidr`: `region us-east-1 { ... }` with `role = primary`, and `region us-west-2 { ... }` with `role = secondary`"),
            );
        }
        return;
    }
    if p.regions.iter().all(has_role) {
        match primaries.as_slice() {
            [] => diags.push(
                Diagnostic::error("E301", "no region is the primary")
                    .label(
                        p.regions.first().map_or(Span::default(), |r| r.span),
                        "no region has `role = primary`",
                    )
                    .help("set `role = primary` on the region that serves traffic"),
            ),
            [first, rest @ ..] => {
                for r in rest {
                    diags.push(
                        Diagnostic::error(
                            "E302",
                            format!("`{}` is a second primary region", r.code),
                        )
                        .label(r.span, "second primary")
                        .label(first.span, "first primary")
                        .help("a platform has one primary; make the others `role = secondary`"),
                    );
                }
            }
        }
    }
    let secondaries: Vec<usize> = (0..p.regions.len())
        .filter(|&i| p.regions[i].role == Role::Secondary)
        .collect();
    if secondaries.is_empty() && primaries.len() == 1 && p.regions.iter().all(has_role) {
        if let Some(primary) = primaries.first() {
            diags.push(
                Diagnostic::error("E303", "missing secondary: no region can take over when the primary fails")
                    .label(primary.span, "the only region, and it is the primary")
                    .help("declare a secondary region: `region us-west-2 { ... }` with `role = secondary` and a `cidr` such as `cidr = 10.1.0.0/16`"),
            );
        }
    }

    for (i, svc) in p.services.iter().enumerate() {
        let Some(svc) = svc else { continue };
        // Without a primary every region looks like a secondary; E301 says so.
        if !svc.kind.stateful || secondaries.is_empty() || primaries.is_empty() {
            continue;
        }
        let covered = svc.replication.as_ref().map_or(&[][..], |r| &r.regions[..]);
        let missing: Vec<&str> = secondaries
            .iter()
            .filter(|i| !covered.contains(i))
            .map(|&i| p.regions[i].code.as_str())
            .collect();
        if missing.is_empty() {
            continue;
        }
        let list = missing.join(", ");
        let d = match &svc.replication {
            None => Diagnostic::error(
                "E304",
                format!("stateful service `{}` is not replicated", svc.name),
            )
            .label(
                svc.span,
                format!(
                    "{} holds data, and no replicate copies it",
                    super::a_kind(svc.kind.name)
                ),
            )
            .help(format!("add `replicate {} -> {list}`", svc.name)),
            Some(_) if bad_target.get(i).copied().unwrap_or(false) => continue,
            Some(r) => Diagnostic::error(
                "E304",
                format!("`{}` is not replicated to {list}", svc.name),
            )
            .label(r.span, format!("missing {list}"))
            .help(format!(
                "list every secondary: `replicate {} -> {}`",
                svc.name,
                secondaries
                    .iter()
                    .map(|&i| p.regions[i].code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        };
        diags.push(d);
    }

    for svc in p.services.iter().flatten() {
        if let (Some(r), Some(false)) = (&svc.replication, svc.attrs.bool("versioned")) {
            let at = svc.attrs.origin("versioned").map_or(svc.span, |o| o.span);
            diags.push(
                Diagnostic::error(
                    "E308",
                    format!("`{}` is replicated but not versioned", svc.name),
                )
                .label(at, "versioning is off")
                .label(r.span, "replicated here")
                .help("S3 replication needs versioning on both buckets: set `versioned = true`"),
            );
        }
    }

    // A load balancer's subnets need a /27 at least to scale (ELB: "at least
    // a /27 bitmask and at least 8 free IP addresses",
    // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html);
    // a /24 over 5 or 6 AZs gives /28s.
    let balanced = p
        .services
        .iter()
        .flatten()
        .any(|s| s.kind.imp.load_balanced());
    for r in p.regions.iter().filter(|_| balanced) {
        let sub = r.subnet_prefix();
        if sub > MAX_SUBNET_PREFIX {
            let at = r.attrs.origin("cidr").map_or(r.span, |o| o.span);
            diags.push(
                Diagnostic::warning("W207", format!("the subnets of `{}` are too small for a load balancer to scale", r.code))
                    .label(at, format!("split over {} AZs into /{sub} subnets; a load balancer needs /{MAX_SUBNET_PREFIX} or larger", r.attrs.int("azs").unwrap_or(2)))
                    .help({
                        let (addr, prefix) = r.cidr();
                        let wider = prefix - (sub - MAX_SUBNET_PREFIX);
                        let start = addr & !(u32::MAX >> wider);
                        format!("give the region a larger block, `cidr = {}`, or fewer `azs`", crate::model::cidr(start, wider))
                    }),
            );
        }
    }

    for r in p.regions {
        if let (Some(nat), Some(azs)) = (r.attrs.int("nat_gateways"), r.attrs.int("azs")) {
            if nat > azs {
                let at = r.attrs.origin("nat_gateways").map_or(r.span, |o| o.span);
                diags.push(
                    Diagnostic::error("E204", format!("{nat} NAT gateways for {azs} availability zones"))
                        .label(at, format!("more than `azs = {azs}`"))
                        .help(format!("a region has at most one NAT gateway per AZ: set `nat_gateways` to {azs} or less")),
                );
            }
        }
    }

    // Overlapping networks: a sweep in address order finds, for each block that
    // starts inside an earlier one, the widest block before it; each region is
    // reported once, not every pair (a thousand copies of one block would give
    // half a million warnings).
    let mut blocks: Vec<(u64, u64, usize)> = p
        .regions
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match r.attrs.get("cidr") {
            Some(Val::Cidr(addr, prefix)) => {
                let size = 1u64 << (32 - u32::from(*prefix).min(32));
                let start = u64::from(*addr) & !(size - 1);
                Some((start, start + size - 1, i))
            }
            _ => None,
        })
        .collect();
    blocks.sort_unstable();
    let mut pairs = Vec::new();
    let mut widest: Option<(u64, usize)> = None;
    for (start, end, i) in blocks {
        match widest {
            Some((reach, j)) if start <= reach => {
                // The later-declared region is the one reported.
                pairs.push((i.max(j), i.min(j)));
                if end > reach {
                    widest = Some((end, i));
                }
            }
            _ => widest = Some((end, i)),
        }
    }
    pairs.sort_unstable();
    pairs.dedup_by_key(|(a, _)| *a);
    let at = |r: &Region| r.attrs.origin("cidr").map_or(r.span, |o| o.span);
    for (a, b) in pairs {
        let (a, b) = (&p.regions[a], &p.regions[b]);
        diags.push(
            Diagnostic::warning("W301", format!("the networks of `{}` and `{}` overlap", a.code, b.code))
                .label(at(a), format!("overlaps the network of `{}`", b.code))
                .label(at(b), format!("the network of `{}`", b.code))
                .help("give each region its own block (e.g. 10.0.0.0/16 and 10.1.0.0/16) so the VPCs can be peered later"),
        );
    }
}
