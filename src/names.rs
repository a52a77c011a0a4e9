//! Physical names of generated resources, and AWS's rules for them
//! (aws-dr.md section 3). The checker validates exactly the names the lowering
//! emits, so both take them from here.

use crate::text::cat;

/// A 12-digit stand-in for `${AWS::AccountId}` when checking lengths.
pub const ACCOUNT_PLACEHOLDER: &str = "123456789012";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    Bucket,
    LoadBalancer,
    TargetGroup,
    DbCluster,
    GlobalCluster,
    Table,
    EventBus,
    Rule,
    LogGroup,
    EcsCluster,
    EcsService,
    Alarm,
    /// The Aurora master user's secret, the same name in every region it is
    /// replicated to.
    Secret,
    /// An ElastiCache replication group, one per region.
    ReplicationGroup,
    /// The suffix of an ElastiCache global datastore's id (ElastiCache puts
    /// the creating region's prefix before it).
    GlobalDatastore,
    /// The ElastiCache AUTH token's secret, replicated like `Secret`.
    AuthSecret,
    /// A CloudFormation stack, one per region and wave (and part, when a wave
    /// is cut): the platform's, not a service's.
    Stack,
    /// A secondary's failover and failback runbooks (SSM documents), numbered
    /// when the region's are split: the platform's.
    Document,
}

impl NameKind {
    pub fn describe(self) -> &'static str {
        match self {
            NameKind::Bucket => "S3 bucket name",
            NameKind::LoadBalancer => "load balancer name",
            NameKind::TargetGroup => "target group name",
            NameKind::DbCluster => "DB cluster identifier",
            NameKind::GlobalCluster => "global cluster identifier",
            NameKind::Table => "DynamoDB table name",
            NameKind::EventBus => "event bus name",
            NameKind::Rule => "EventBridge rule name",
            NameKind::LogGroup => "log group name",
            NameKind::EcsCluster => "ECS cluster name",
            NameKind::EcsService => "ECS service name",
            NameKind::Alarm => "alarm name",
            NameKind::Secret | NameKind::AuthSecret => "secret name",
            NameKind::ReplicationGroup => "replication group id",
            NameKind::GlobalDatastore => "global datastore id suffix",
            NameKind::Stack => "CloudFormation stack name",
            NameKind::Document => "runbook (SSM document) name",
        }
    }
}

/// `platform[-suffix]`: the start of every physical name.
pub fn prefix(platform: &str, suffix: Option<&str>) -> String {
    match suffix {
        Some(s) if !s.is_empty() => cat!(platform, "-", s),
        _ => platform.to_string(),
    }
}

/// `us-east-1` -> `use1`, for the names with a 32-character limit.
pub fn short_region(code: &str) -> String {
    code.split('-')
        .map(|part| match part {
            "north" => "n".to_string(),
            "south" => "s".to_string(),
            "east" => "e".to_string(),
            "west" => "w".to_string(),
            "central" => "c".to_string(),
            "northeast" => "ne".to_string(),
            "northwest" => "nw".to_string(),
            "southeast" => "se".to_string(),
            "southwest" => "sw".to_string(),
            other => other.to_string(),
        })
        .collect()
}

/// The physical name of `service`'s resource of `kind` in `region`. For buckets
/// `account` is `${AWS::AccountId}` in templates and the placeholder in checks.
pub fn name(kind: NameKind, prefix: &str, service: &str, region: &str, account: &str) -> String {
    match kind {
        NameKind::Bucket => cat!(prefix, "-", service, "-", account, "-", region),
        NameKind::LoadBalancer => cat!(prefix, "-", service, "-", short_region(region)),
        NameKind::TargetGroup => cat!(prefix, "-", service, "-tg-", short_region(region)),
        NameKind::DbCluster | NameKind::EventBus => cat!(prefix, "-", service, "-", region),
        NameKind::GlobalCluster | NameKind::Table | NameKind::EcsService => {
            cat!(prefix, "-", service)
        }
        NameKind::Rule => cat!(prefix, "-", service, "-forward"),
        NameKind::LogGroup => cat!("/tap/", prefix, "/", region, "/", service),
        NameKind::EcsCluster => cat!(prefix, "-", service, "-", region),
        NameKind::Alarm => cat!(prefix, "-", service, "-replication-lag-", region),
        // Not ending in `-` and six characters: Secrets Manager appends those
        // to the ARN, and partial-ARN lookups would be ambiguous (CreateSecret).
        NameKind::Secret => cat!("tap/", prefix, "/", service, "/master-user"),
        NameKind::AuthSecret => cat!("tap/", prefix, "/", service, "/auth-token"),
        // ElastiCache stores the ids in lowercase; ARNs and API calls use them so.
        NameKind::ReplicationGroup => {
            cat!(prefix, "-", service, "-", short_region(region)).to_lowercase()
        }
        NameKind::GlobalDatastore => cat!(prefix, "-", service).to_lowercase(),
        // The first wave's; `graph::plan` numbers the others and the parts.
        NameKind::Stack => stack(prefix, region, 1),
        // `service` is `failover` or `failback`; `runbook::runbooks` numbers
        // a region's later runbooks.
        NameKind::Document => cat!(prefix, "-", service, "-", region),
    }
}

/// The stack of `region`'s wave `wave` (from 1); `graph::plan` adds `-K` to
/// the parts of a wave it cuts.
pub fn stack(prefix: &str, region: &str, wave: usize) -> String {
    cat!(prefix, "-", region, "-w", wave)
}

/// The record of level `k` of an endpoint's failover chain: the domain
/// itself, then `failover-K.DOMAIN` (`src/lower/dns.rs`).
pub fn chain_record(domain: &str, k: usize) -> String {
    match k {
        0 => cat!(domain, "."),
        k => cat!("failover-", k, ".", domain, "."),
    }
}

/// Why `name` breaks AWS's rules for `kind`, if it does: the reason and the
/// offending character, if one is to blame.
/// The longest name of `kind` AWS accepts, which characters it may hold, and
/// those characters in words.
fn rule(kind: NameKind) -> (usize, fn(char) -> bool, &'static str) {
    fn alnum_dash(c: char) -> bool {
        c.is_ascii_alphanumeric() || c == '-'
    }
    match kind {
        NameKind::Bucket => (
            63,
            |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.',
            "lowercase letters, digits, `.` and `-`",
        ),
        NameKind::LoadBalancer | NameKind::TargetGroup => {
            (32, alnum_dash, "letters, digits and `-`")
        }
        NameKind::DbCluster | NameKind::GlobalCluster => {
            (63, alnum_dash, "letters, digits and `-`")
        }
        NameKind::Table => (
            255,
            |c: char| c.is_ascii_alphanumeric() || "_.-".contains(c),
            "letters, digits, `_`, `.` and `-`",
        ),
        NameKind::EventBus => (
            256,
            |c: char| c.is_ascii_alphanumeric() || "/._-".contains(c),
            "letters, digits, `/`, `.`, `_` and `-`",
        ),
        NameKind::Rule => (
            64,
            |c: char| c.is_ascii_alphanumeric() || "._-".contains(c),
            "letters, digits, `.`, `_` and `-`",
        ),
        NameKind::LogGroup => (
            512,
            |c: char| c.is_ascii_alphanumeric() || "._-/#".contains(c),
            "letters, digits, `.`, `_`, `-`, `/` and `#`",
        ),
        NameKind::EcsCluster | NameKind::EcsService => (
            255,
            |c: char| c.is_ascii_alphanumeric() || "_-".contains(c),
            "letters, digits, `_` and `-`",
        ),
        NameKind::Alarm => (255, |c: char| !c.is_control(), "printable characters"),
        // Secrets Manager `CreateSecret`: 1-512 characters of letters, digits
        // and `/_+=.@-`.
        // ReplicationGroupId: 1 to 40 letters, digits or hyphens, a letter
        // first, no `--`, no `-` at the end
        // (https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateReplicationGroup.html).
        // The global datastore's suffix is held to the same rule, with room for
        // the 5-letter region prefix and its hyphen within the 40.
        NameKind::ReplicationGroup => (40, alnum_dash, "letters, digits and `-`"),
        NameKind::GlobalDatastore => (34, alnum_dash, "letters, digits and `-`"),
        // CreateStack: a letter, then letters, digits and `-`, at most 128
        // (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html).
        // The checker sees the first wave's name; the lowering measures every
        // stack's, whose wave and part numbers only the plan knows.
        NameKind::Stack => (128, alnum_dash, "letters, digits and `-`"),
        // CreateDocument: 3 to 128 letters, digits, `_`, `-` and `.`, not
        // starting with a prefix AWS keeps for its own documents
        // (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreateDocument.html).
        NameKind::Document => (
            128,
            |c: char| c.is_ascii_alphanumeric() || "_-.".contains(c),
            "letters, digits, `_`, `-` and `.`",
        ),
        NameKind::Secret | NameKind::AuthSecret => (
            512,
            |c: char| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c),
            "letters, digits, `/`, `_`, `+`, `=`, `.`, `@` and `-`",
        ),
    }
}

/// Names of `kind` carry the short region code (`use1`), for their limit.
pub fn short_region_in(kind: NameKind) -> bool {
    matches!(
        kind,
        NameKind::LoadBalancer | NameKind::TargetGroup | NameKind::ReplicationGroup
    )
}

pub fn max_len(kind: NameKind) -> usize {
    rule(kind).0
}

pub fn violation(kind: NameKind, name: &str) -> Option<(String, Option<char>)> {
    let len = name.chars().count();
    let (max, allowed, allowed_desc) = rule(kind);
    if let Some(c) = name.chars().find(|&c| !allowed(c)) {
        return Some((
            format!(
                "may contain only {allowed_desc}, not {}",
                crate::diag::quote(&c.to_string())
            ),
            Some(c),
        ));
    }
    if len > max {
        return Some((
            format!("is {len} characters long; the limit is {max}"),
            None,
        ));
    }
    let first = name.chars().next().unwrap_or(' ');
    match kind {
        NameKind::Bucket => {
            if len < 3 {
                return Some(("must be at least 3 characters long".into(), None));
            }
            if !first.is_ascii_alphanumeric() {
                return Some(("must start with a letter or digit".into(), Some(first)));
            }
            if name.contains("..") {
                return Some(("must not contain `..`".into(), Some('.')));
            }
            for p in ["xn--", "sthree-", "amzn-s3-demo-"] {
                if name.starts_with(p) {
                    return Some((format!("must not start with `{p}`"), None));
                }
            }
        }
        NameKind::LoadBalancer if name.starts_with("internal-") => {
            return Some(("must not start with `internal-`".into(), None));
        }
        NameKind::LoadBalancer | NameKind::TargetGroup if first == '-' => {
            return Some(("must not start with `-`".into(), Some('-')));
        }
        NameKind::Stack if !first.is_ascii_alphabetic() => {
            return Some(("must start with a letter".into(), Some(first)));
        }
        NameKind::Document => {
            let lower = name.to_ascii_lowercase();
            if let Some(p) = ["aws", "amazon", "amzn"]
                .iter()
                .find(|p| lower.starts_with(*p))
            {
                return Some((
                    format!("must not start with `{p}`, which AWS keeps for its own documents"),
                    None,
                ));
            }
        }
        NameKind::DbCluster
        | NameKind::GlobalCluster
        | NameKind::ReplicationGroup
        | NameKind::GlobalDatastore => {
            if !first.is_ascii_alphabetic() {
                return Some(("must start with a letter".into(), Some(first)));
            }
            if name.contains("--") {
                return Some(("must not contain `--`".into(), Some('-')));
            }
        }
        NameKind::LogGroup if name.starts_with("aws/") => {
            return Some(("must not start with `aws/`".into(), None));
        }
        _ => {}
    }
    if name.ends_with('-') && kind != NameKind::Alarm {
        return Some(("must not end with `-`".into(), Some('-')));
    }
    None
}
