//! AWS limits on the physical names the lowering will generate, reported at the
//! part of the program (platform name, service name, `suffix` param) to blame;
//! and AWS's rules for the tags every resource carries.

use crate::diag::{Diagnostic, Span};
use crate::names::{self, NameKind, ACCOUNT_PLACEHOLDER};

use super::Partial;

/// Tags a resource may carry, of which tapc sets `tap:platform` and `tap:region`.
const MAX_TAGS: usize = 50 - 2;

pub(super) fn check(p: &Partial, given: super::Given, diags: &mut Vec<Diagnostic>) {
    let Some(platform) = p.platform else { return };
    tags(platform, diags);
    chain_names(p, platform, diags);
    let suffix = platform.suffix.as_ref();
    let prefix = names::prefix(&platform.name, suffix.map(|(s, _)| s.as_str()));
    // One report per culprit and broken rule: the name that breaks it worst.
    let mut found: Vec<(Span, Option<char>, usize, Diagnostic)> = Vec::new();
    let mut check_name =
        |kind: NameKind, service: Option<(&str, Span)>, region: &str, tail: &str| {
            let name = names::name(
                kind,
                &prefix,
                service.map_or("", |s| s.0),
                region,
                ACCOUNT_PLACEHOLDER,
            ) + tail;
            let Some((reason, bad)) = names::violation(kind, &name) else {
                return;
            };
            // The parts the user chose, with the places they were chosen.
            let mut parts: Vec<(&str, Span, String)> = vec![(
                platform.name.as_str(),
                platform.name_span,
                "the platform name".into(),
            )];
            if let Some((s, usage)) = suffix {
                let how = if usage.given {
                    format!(
                        "param `{}` (set with {})",
                        usage.name,
                        given.set(&usage.name, s)
                    )
                } else {
                    format!("param `{}`", usage.name)
                };
                parts.push((s.as_str(), usage.decl, how));
            }
            if let Some((s, span)) = service {
                parts.push((s, span, "the service name".into()));
            }
            let blame = match bad {
                Some(c) => parts.iter().position(|(text, ..)| text.contains(c)),
                None => None,
            }
            .unwrap_or_else(|| {
                (0..parts.len())
                    .max_by_key(|&i| parts[i].0.len())
                    .unwrap_or(0)
            });
            let culprit = &parts[blame];
            let mut d = Diagnostic::error(
                "E601",
                format!(
                    "the {} {} {reason}",
                    kind.describe(),
                    crate::diag::quote(&name)
                ),
            )
            .label(
                culprit.1,
                format!("{} makes the {} invalid", culprit.2, kind.describe()),
            );
            for (i, part) in parts.iter().enumerate() {
                if i != blame {
                    d = d.label(part.1, format!("{} is part of the name", part.2));
                }
            }
            let help = match bad {
                Some(c) if c.is_ascii_uppercase() => format!("use lowercase in {}", culprit.2),
                Some(c) => format!(
                    "remove {} from {}",
                    crate::diag::quote(&c.to_string()),
                    culprit.2
                ),
                None => format!(
                    "shorten {}: the name is built as `{}`",
                    culprit.2,
                    names_pattern(kind)
                ),
            };
            let d = d.help(help);
            let over = match bad {
                Some(_) => 0,
                None => name.chars().count().saturating_sub(names::max_len(kind)),
            };
            match found.iter_mut().find(|f| f.0 == culprit.1 && f.1 == bad) {
                Some(f) if f.2 < over => *f = (culprit.1, bad, over, d),
                Some(_) => {}
                None => found.push((culprit.1, bad, over, d)),
            }
        };
    // Regions change only the length of a name, so the region giving the longest
    // name stands for all (one report per name kind and service, not per region).
    let longest = |len: fn(&str) -> usize| {
        // `rev`: of equally long ones, `max_by_key` keeps the last, so the first declared.
        p.regions
            .iter()
            .rev()
            .map(|r| r.code.as_str())
            .max_by_key(|c| len(c))
    };
    let (Some(full), Some(short)) = (longest(str::len), longest(|c| names::short_region(c).len()))
    else {
        return;
    };
    for svc in p.services.iter().flatten() {
        for &kind in svc.kind.imp.names() {
            let region = if names::short_region_in(kind) {
                short
            } else {
                full
            };
            let tail = svc.kind.imp.name_tail(kind, svc);
            check_name(kind, Some((&svc.name, svc.span)), region, &tail);
        }
    }
    check_name(NameKind::Stack, None, full, "");
    diags.extend(found.into_iter().map(|f| f.3));
}

// AWS's limits on single resources that a program can drive, checked here or
// kept by the lowering; the checks of one kind's resources are its `check`
// (src/lower/KIND.rs). Account-level quotas (rules per bus, health checks per
// account, ...) are not a program's to check.
//
// | resource, property | limit | tapc | source |
// |---|---|---|---|
// | RDS global cluster, secondary regions | 10 | E605 at the 11th region of `replicate` | https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database.configuration.requirements.html |
// | EventBridge rule, `Targets` | 5 | the lowering splits into rules of 5 | https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html |
// | EventBridge rule, `EventPattern` | 2,048 characters (adjustable to 4,096) | W602 over 2,048, E606 over 4,096, at `detail_types` | same page |
// | every taggable resource, `Tags` | 50 tags, key 128, value 256; letters, digits, spaces and `_.:/=+-@` (IAM) | E604 at `tags` | https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html |
// | IAM role, inline policies | 10,240 characters | E603 at `needs` (a Fargate service's task and execution roles); runbooks split | https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html |
// | ECR registry replication configuration | 10 rules of 100 repository filters | E609 at `registry` over 1,000 repositories | https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ReplicationConfiguration.html |
// | ECS task definition | 64 KiB, not adjustable | E607 at `needs` (each adds environment variables) | https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html |
// | SSM document, content | 64 KB | runbooks split | https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreateDocument.html |
// | CloudFormation template | 500 resources, 200 outputs, 1 MB | stacks cut; E602 | https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html |
// | physical names (bucket, ALB, target group, cluster, secret, ...) | per kind | E601 (`names.rs`) | per kind, in `names.rs` |
// | CloudFormation stack name | 128 letters, digits and `-`, a letter first | E601: the first wave's in the checker, every stack's in the lowering | https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html |
// | SSM document (runbook) name | 3-128 letters, digits, `_-.`; not `aws`, `amazon`, `amzn` first | E601 in the lowering, which names the runbooks | https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreateDocument.html |
// | Route 53, failover records per name | one PRIMARY, one SECONDARY | the lowering chains `failover-K` names; E601 where one passes 253 characters | https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-values-failover.html |
// | Route 53 hosted zone, `Comment` | 256 characters | the lowering cuts it | https://docs.aws.amazon.com/Route53/latest/APIReference/API_HostedZoneConfig.html |
// | SNS topic, `DisplayName` | 100 characters | the lowering truncates | https://docs.aws.amazon.com/sns/latest/api/API_SetTopicAttributes.html |
// | load balancer subnets | a /27 or larger, 8 free addresses, to scale | W207 at `cidr` | https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html |
// | EC2 security group, inbound rules | 60 | at most 2 emitted | https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html |
// | S3 bucket, replication rules | 1,000 | one per secondary (fewer than AWS has regions) | https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-how-setup.html |
// | Secrets Manager, `ReplicaRegions` | one per region other than the secret's | one per secondary | https://docs.aws.amazon.com/secretsmanager/latest/userguide/create-manage-multi-region-secrets.html |
// | Route 53 health checks | 200 per account (adjustable): one per region and endpoint | not checked: an account quota | https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html |
// | SNS topic, subscriptions | 12,500,000 | one per `notify` address | https://docs.aws.amazon.com/general/latest/gr/sns.html |
// | DynamoDB global table, `Replicas` | one replica added or removed per stack update | not checked: an update-time rule (see README) | https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-dynamodb-globaltable.html |

/// Route 53 names have at most 253 characters. With three regions or more
/// (and not `active_active`), each endpoint's failover chain adds records
/// `failover-1.DOMAIN` to `failover-K.DOMAIN` (`src/lower/dns.rs`), longer
/// than the domain the `dns_name` rule checks.
fn chain_names(p: &Partial, platform: &crate::model::Platform, diags: &mut Vec<Diagnostic>) {
    let levels = p.regions.len().saturating_sub(2);
    if levels == 0 || platform.strategy == crate::model::Strategy::ActiveActive {
        return;
    }
    // The stdlib's `dns_name` rule holds the longest DNS name, without its
    // final dot; the domain itself is checked against it.
    let max = match crate::stdlib::schema().rule("dns_name").map(|r| &r.shape) {
        Some(crate::stdlib::Shape::Dns { max_len, .. }) => *max_len,
        _ => unreachable!("the stdlib's dns_name rule is a DNS name's"),
    };
    for endpoint in p.endpoints {
        let Some(domain) = endpoint.attrs.str("domain") else {
            continue;
        };
        let longest = names::chain_record(domain, levels);
        let (first, len) = (
            &longest[..longest.len() - domain.len() - 1],
            longest.len() - 1,
        );
        if domain.len() > max || len <= max {
            continue;
        }
        let at = endpoint
            .attrs
            .origin("domain")
            .map_or(endpoint.span, |o| o.span);
        diags.push(
            Diagnostic::error("E601", format!("a failover record name of endpoint `{}` is longer than DNS allows", endpoint.name))
                .label(at, format!("`{first}` and this domain make {len} characters; DNS allows {max}"))
                .help(format!("shorten the domain by {} characters: with {} regions, the failover chain puts names up to failover-{levels}. before it", len - max, p.regions.len())),
        );
    }
}

/// A character AWS allows in tags across all services, and IAM on the roles
/// tapc tags (`[\p{L}\p{Z}\p{N}_.:/=+\-@]`,
/// https://docs.aws.amazon.com/IAM/latest/APIReference/API_Tag.html): letters,
/// separators and numbers, and seven marks. Outside ASCII, Rust's alphabetic
/// and numeric classes stand for `\p{L}` and `\p{N}` (a few combining
/// marks of Indic scripts are alphabetic but not letters).
fn tag_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || " _.:/=+-@".contains(c)
    } else {
        c.is_alphanumeric() || (c.is_whitespace() && !c.is_control())
    }
}

fn names_pattern(kind: NameKind) -> String {
    names::name(kind, "PLATFORM-SUFFIX", "SERVICE", "REGION", "ACCOUNT")
}

/// AWS's tagging rules (at most 50 tags a resource, keys of 1-128
/// characters not starting with `aws:`, values of at most 256), which would
/// otherwise fail the first stack at deploy time. Reported at `tags`, one
/// diagnostic per broken rule.
fn tags(platform: &crate::model::Platform, diags: &mut Vec<Diagnostic>) {
    let pairs = platform.attrs.map("tags");
    let Some(at) = platform.attrs.origin("tags").map(|o| o.span) else {
        return;
    };
    let own = |k: &str| matches!(k, "tap:platform" | "tap:region");
    let count = pairs.iter().filter(|(k, _)| !own(k)).count();
    let mut problems = Vec::new();
    if count > MAX_TAGS {
        problems.push((
            format!("{count} tags"),
            format!("AWS allows 50 tags a resource and tapc sets 2 (`tap:platform`, `tap:region`): keep at most {MAX_TAGS}"),
        ));
    }
    if let Some((k, _)) = pairs
        .iter()
        .find(|(k, _)| k.to_lowercase().starts_with("aws:"))
    {
        problems.push((
            format!("the key {} starts with `aws:`", crate::diag::quote(k)),
            "AWS reserves the `aws:` prefix for its own tags: rename the key".to_string(),
        ));
    }
    if let Some((k, _)) = pairs
        .iter()
        .find(|(k, _)| k.chars().count() > 128 || k.is_empty())
    {
        problems.push((
            format!("a key of {} characters", k.chars().count()),
            "tag keys have 1 to 128 characters: shorten it".to_string(),
        ));
    }
    let bad = |text: &str| text.chars().find(|&c| !tag_char(c));
    if let Some((k, v, c)) = pairs
        .iter()
        .find_map(|(k, v)| bad(k).or_else(|| bad(v)).map(|c| (k, v, c)))
    {
        problems.push((
            format!(
                "the tag {} = {} holds {}",
                crate::diag::quote(k),
                crate::diag::quote(v),
                crate::diag::quote(&c.to_string())
            ),
            "tags may hold letters, digits, spaces and the marks _ . : / = + - @ (IAM refuses any other character on the roles tapc tags): replace it".to_string(),
        ));
    }
    if let Some((k, v)) = pairs.iter().find(|(_, v)| v.chars().count() > 256) {
        problems.push((
            format!(
                "the value of {} has {} characters",
                crate::diag::quote(k),
                v.chars().count()
            ),
            "tag values have at most 256 characters: shorten it".to_string(),
        ));
    }
    for (what, help) in problems {
        diags.push(
            Diagnostic::error("E604", "the platform's tags break AWS's tagging rules")
                .label(at, what)
                .help(help),
        );
    }
}
