//! Literals to values: numbers, durations, sizes and CIDR blocks, and the
//! errors of the ones that are not valid (too large, decimal, unknown unit).

use super::ast::ValueKind;
use crate::diag::{Diagnostic, Span};

pub fn too_large<'a>(
    diags: &mut Vec<Diagnostic>,
    span: Span,
    what: &str,
    max: &str,
) -> ValueKind<'a> {
    diags.push(
        Diagnostic::error("E004", format!("this {what} is too large"))
            .label(span, "does not fit in 64 bits")
            .help(format!("the largest {what} tapc accepts is {max}")),
    );
    ValueKind::Error
}

pub fn cidr<'a>(diags: &mut Vec<Diagnostic>, text: &str, span: Span) -> ValueKind<'a> {
    let (addr_text, prefix_text) = text.split_once('/').expect("grammar: cidr has '/'");
    let mut addr = 0u32;
    let mut at = span.start;
    for octet in addr_text.split('.') {
        match parse_digits(octet).filter(|&n| n <= 255) {
            Some(n) => addr = addr << 8 | n as u32,
            None => {
                diags.push(
                    Diagnostic::error("E005", "invalid CIDR block")
                        .label(Span::new(span.file, at, at + octet.len()), "an address part must be 0 to 255")
                        .help("write an IPv4 network as four numbers 0-255 and a prefix length, e.g. `10.0.0.0/16`"),
                );
                return ValueKind::Error;
            }
        }
        at += octet.len() + 1;
    }
    match parse_digits(prefix_text).filter(|&n| n <= 32) {
        Some(prefix) => {
            // Bits after the prefix: the subnets split from it would not be aligned.
            let host = u32::MAX.checked_shr(prefix as u32).unwrap_or(0);
            if addr & host != 0 {
                diags.push(
                    Diagnostic::error("E005", "invalid CIDR block")
                        .label(
                            Span::new(span.file, span.start, at - 1),
                            format!("not a /{prefix} network: bits after the prefix are set"),
                        )
                        .help(format!(
                            "did you mean `{}/{prefix}`? the address bits after the prefix length must be zero",
                            std::net::Ipv4Addr::from(addr & !host)
                        )),
                );
            }
            ValueKind::Cidr {
                addr: addr & !host,
                prefix: prefix as u8,
            }
        }
        None => {
            diags.push(
                Diagnostic::error("E005", "invalid CIDR block")
                    .label(
                        Span::new(span.file, at, span.end),
                        "the prefix length must be 0 to 32",
                    )
                    .help("an IPv4 prefix has at most 32 bits, e.g. `10.0.0.0/16`"),
            );
            ValueKind::Error
        }
    }
}

pub fn bad_number<'a>(
    diags: &mut Vec<Diagnostic>,
    attr: Option<&str>,
    text: &str,
    span: Span,
) -> ValueKind<'a> {
    if text.chars().count() > crate::diag::QUOTE_CHARS {
        // Far too long to be meant as a number: say so without copying it
        // into a fix.
        diags.push(
            Diagnostic::error(
                "E006",
                format!("{} is not a number, duration or size", crate::diag::quote(text)),
            )
            .label(span, "not a number, duration or size")
            .help("numbers are whole, with a unit for durations (ms, s, m, h, d) and sizes (KiB, MiB, GiB, TiB)"),
        );
        return ValueKind::Error;
    }
    let digits = text.trim_start_matches(|c: char| c.is_ascii_digit() || c == '_');
    let dotted = text
        .split('.')
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let diag = if dotted && text.matches('.').count() == 3 {
        Diagnostic::error("E005", "a CIDR block needs a prefix length")
            .label(span, "an address without `/prefix`")
            .help(format!("add the prefix length, e.g. `{text}/16`"))
    } else if dotted {
        let scaled = attr.and_then(|a| scaled_number(a, text));
        let help = match (attr, scaled) {
            (Some(a), Some(fix)) => fix.help(a),
            // A dotted number is a version more often than anything else.
            (None | Some("version"), _) => format!(
                "a version or any other dotted text is a string: `\"{text}\"`"
            ),
            (Some(a), None) if text.matches('.').count() == 1 => format!(
                "`{a}` takes a whole number; a duration or a size is written in a smaller unit, e.g. `500ms` or `512MiB`"
            ),
            (Some(_), None) => format!("dotted text is a string: `\"{text}\"`"),
        };
        Diagnostic::error("E006", "decimal numbers are not supported")
            .label(span, "not a whole number")
            .help(help)
    } else if text.contains('.') {
        let help = match smaller_unit(text) {
            Some(fix) => format!("write it in a smaller unit: `{fix}`"),
            None => {
                "write a whole number of a smaller unit, e.g. `1500ms` for one and a half seconds"
                    .to_string()
            }
        };
        Diagnostic::error("E006", "decimal numbers are not supported")
            .label(span, "not a whole number")
            .help(help)
    } else {
        let unit = digits;
        let number = &text[..text.len() - unit.len()];
        let mut diag = Diagnostic::error("E006", format!("unknown unit `{unit}`"))
            .label(span, "not a number, duration or size");
        let weeks = ["w", "wk", "wks", "week", "weeks"].contains(&unit);
        let guess = unit_alias(unit)
            .map(|u| format!("{number}{u}"))
            .or_else(|| {
                let days = parse_digits(number)?.checked_mul(7)?;
                weeks.then(|| format!("{days}d"))
            })
            .or_else(|| {
                // One letter is too little to guess from.
                let u = crate::suggest::closest(unit, UNITS.iter().copied())
                    .filter(|_| unit.len() > 1)?;
                Some(format!("{number}{u}"))
            });
        let list = "units are ms, s, m, h, d for durations and KiB, MiB, GiB, TiB for sizes";
        diag = match guess {
            Some(g) => diag.help(format!("did you mean `{g}`? ({list})")),
            None => diag.help(list),
        };
        diag
    };
    diags.push(diag);
    ValueKind::Error
}
/// The units of durations and sizes.
const UNITS: [&str; 9] = ["ms", "s", "m", "h", "d", "KiB", "MiB", "GiB", "TiB"];

/// tapc's unit for a unit users write out of habit (`min`, `GB`).
pub fn unit_alias(word: &str) -> Option<&'static str> {
    const ALIASES: [(&str, &str); 21] = [
        ("sec", "s"),
        ("secs", "s"),
        ("second", "s"),
        ("seconds", "s"),
        ("min", "m"),
        ("mins", "m"),
        ("minute", "m"),
        ("minutes", "m"),
        ("hr", "h"),
        ("hrs", "h"),
        ("hour", "h"),
        ("hours", "h"),
        ("day", "d"),
        ("days", "d"),
        ("KB", "KiB"),
        ("MB", "MiB"),
        ("GB", "GiB"),
        ("TB", "TiB"),
        ("K", "KiB"),
        ("M", "MiB"),
        ("G", "GiB"),
    ];
    UNITS.iter().find(|u| **u == word).copied().or_else(|| {
        ALIASES
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(word))
            .map(|(_, u)| *u)
    })
}

/// A decimal number `int.frac` as a fraction (numerator, denominator).
fn decimal(text: &str) -> Option<(u64, u64)> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || frac.len() > 6 {
        return None;
    }
    let den = 10u64.pow(frac.len() as u32);
    let num = parse_digits(int)?
        .checked_mul(den)?
        .checked_add(if frac.is_empty() {
            0
        } else {
            parse_digits(frac)?
        })?;
    Some((num, den))
}

/// `1.5s` as `1500ms`, `0.5GiB` as `512MiB`: the largest smaller unit in which
/// the value is a whole number.
pub fn smaller_unit(text: &str) -> Option<String> {
    const STEPS: [(&str, &str, u64); 7] = [
        ("d", "h", 24),
        ("h", "m", 60),
        ("m", "s", 60),
        ("s", "ms", 1000),
        ("TiB", "GiB", 1024),
        ("GiB", "MiB", 1024),
        ("MiB", "KiB", 1024),
    ];
    let at = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (mut num, den) = decimal(&text[..at])?;
    let mut unit = unit_alias(&text[at..])?;
    while num % den != 0 {
        let &(_, smaller, factor) = STEPS.iter().find(|(u, ..)| *u == unit)?;
        num = num.checked_mul(factor)?;
        unit = smaller;
    }
    Some(format!("{}{unit}", num / den))
}

/// Attributes whose numbers are counted in a unit other than the one users
/// think in: Fargate's `cpu` is in CPU units, 1024 to a vCPU
/// (`cpu` of https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html).
pub const SCALED: [(&str, &str, &[&str], u64); 1] = [(
    "cpu",
    "CPU units, 1024 to a vCPU",
    &["vcpu", "vcpus", "cpu", "cpus", "core", "cores"],
    1024,
)];

/// A number of vCPUs written for `cpu`, and what it is in CPU units.
pub struct Scaled {
    what: &'static str,
    units: Option<u64>,
}

impl Scaled {
    pub fn help(&self, attr: &str) -> String {
        match self.units {
            Some(n) => format!("`{attr}` counts {}: `{attr} = {n}`", self.what),
            None => format!("`{attr}` counts {}, as a whole number", self.what),
        }
    }
}

/// `number` (such as `0.5`) given for `attr`, read in the unit users think in.
pub fn scaled_number(attr: &str, number: &str) -> Option<Scaled> {
    let &(_, what, _, factor) = SCALED.iter().find(|(a, ..)| *a == attr)?;
    let (num, den) = decimal(number)?;
    let units = num
        .checked_mul(factor)
        .filter(|n| n % den == 0)
        .map(|n| n / den);
    Some(Scaled { what, units })
}

/// Where an unterminated-looking string really has a closing quote, but a `${`
/// in it is not a well-formed `${name}`: the offset of that `${`.
pub fn interp_unclosed(text: &str) -> Option<usize> {
    if !text[1..].contains('"') {
        return None;
    }
    let mut i = 1;
    let bytes = text.as_bytes();
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'$' if text[i..].starts_with("${") => {
                let rest = &text[i + 2..];
                let name = rest.trim_start();
                let len = name
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                    .unwrap_or(name.len());
                if len == 0 || !name[len..].trim_start().starts_with('}') {
                    return Some(i);
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    None
}

pub fn parse_digits(text: &str) -> Option<u64> {
    text.bytes().filter(|&b| b != b'_').try_fold(0u64, |n, b| {
        n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}

pub fn parse_duration(text: &str) -> Option<u64> {
    let mut total = 0u64;
    let mut rest = text;
    while !rest.is_empty() {
        let n_len = rest
            .find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let n = parse_digits(&rest[..n_len])?;
        rest = &rest[n_len..];
        let (ms, unit_len) = if rest.starts_with("ms") {
            (1, 2)
        } else {
            match rest.as_bytes().first() {
                Some(b's') => (1_000, 1),
                Some(b'm') => (60_000, 1),
                Some(b'h') => (3_600_000, 1),
                _ => (86_400_000, 1),
            }
        };
        rest = &rest[unit_len..];
        total = total.checked_add(n.checked_mul(ms)?)?;
    }
    Some(total)
}

pub fn parse_size(text: &str) -> Option<u64> {
    let n = parse_digits(&text[..text.len() - 3])?;
    let shift = match &text[text.len() - 3..] {
        "KiB" => 10,
        "MiB" => 20,
        "GiB" => 30,
        _ => 40,
    };
    n.checked_mul(1u64 << shift)
}
