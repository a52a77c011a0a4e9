//! Programs for property tests: pieces of `.tap`, right and wrong, strung
//! together, the reference program with a line changed
//! (`tests/proptest_parser.rs`), and programs with damaged bytes
//! (`tests/proptest_positions.rs`); `tests/grammar_pest.rs` reads them all.

use proptest::prelude::*;

/// Pieces of `.tap` programs, right and wrong.
pub fn token() -> impl Strategy<Value = String> {
    // The parser's item keywords first, then the rest of the vocabulary.
    let mut words = tapc::syntax::KEYWORDS.to_vec();
    words.extend([
        "health",
        "rto",
        "rpo",
        "trigger",
        "role",
        "primary",
        "secondary",
        "cidr",
        "fargate",
        "aurora_postgres",
        "dynamodb",
        "s3",
        "eventbridge",
        "needs",
        "target",
        "us-east-1",
        "us-west-2",
        "string",
        "duration",
        "true",
        "{",
        "}",
        "[",
        "]",
        "=",
        ":",
        "->",
        "=>",
        ",",
        "\n",
        "\n",
        "\n",
        "#",
        "\"",
        "5m",
        "1m30s",
        "500ms",
        "2GiB",
        "512MiB",
        "10.0.0.0/16",
        "999.1.1.1/40",
        "1_000",
        "99999999999999999999",
        "1.5s",
        "3w",
        "\"str\"",
        "\"${x}\"",
        "\"${suffix}\"",
        "\"a\\qb\"",
        "\"unterminated",
        "é",
        "\u{1F600}",
        "\r\n",
        "\t",
    ]);
    let fixed = prop::sample::select(words).prop_map(str::to_string);
    prop_oneof![
        4 => fixed,
        1 => "[a-z_][a-z0-9_-]{0,8}",
        1 => any::<char>().prop_map(|c| c.to_string()),
    ]
}

pub fn program() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (token(), prop::sample::select(vec!["", " ", " ", "\n"])),
        0..80,
    )
    .prop_map(|parts| parts.into_iter().map(|(t, sep)| t + sep).collect())
}

/// A valid program with one line replaced, removed or duplicated.
pub fn mutated_example() -> impl Strategy<Value = String> {
    let text = include_str!("../../examples/trading.tap");
    let lines: Vec<&'static str> = text.lines().collect();
    let n = lines.len();
    (0..n, 0..3u8, token()).prop_map(move |(at, how, tok)| {
        let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        match how {
            0 => out[at] = tok,
            1 => {
                out.remove(at);
            }
            _ => out.insert(at, out[at].clone()),
        }
        out.join("\n")
    })
}

/// Damage done to a program's bytes.
#[derive(Clone, Debug)]
enum Damage {
    /// Bytes inserted at a position (a fraction of the length, in thousandths).
    Insert(u16, Vec<u8>),
    /// Every line end from the `n`th on written as `\r\n`, `\r` or `\n`, in turn.
    LineEnds(usize, u8),
}

fn damage() -> impl Strategy<Value = Damage> {
    let piece = prop::sample::select(vec![
        b"\xFF".to_vec(),
        b"\xC3".to_vec(),
        b"\xE2\x82".to_vec(),
        b"\xED\xA0\x80".to_vec(),
        "\u{FEFF}".as_bytes().to_vec(),
        b"\t\t".to_vec(),
        b"\r".to_vec(),
        b"\r\n".to_vec(),
        "界".as_bytes().to_vec(),
        "😀".as_bytes().to_vec(),
        "e\u{301}".as_bytes().to_vec(),
        b"\x1b[31m".to_vec(),
        "\t".repeat(16_400).into_bytes(),
        "x".repeat(70_000).into_bytes(),
        "😀".repeat(300).into_bytes(),
        b" } ".to_vec(),
        b"\nservice".to_vec(),
    ]);
    prop_oneof![
        4 => (0..=1000u16, piece).prop_map(|(at, bytes)| Damage::Insert(at, bytes)),
        1 => (0..40usize, 0..3u8).prop_map(|(n, how)| Damage::LineEnds(n, how)),
    ]
}

fn apply(mut bytes: Vec<u8>, damage: &[Damage]) -> Vec<u8> {
    for d in damage {
        match d {
            Damage::Insert(at, piece) => {
                let i = bytes.len() * usize::from(*at) / 1000;
                bytes.splice(i..i, piece.iter().copied());
            }
            Damage::LineEnds(from, how) => {
                let mut out = Vec::with_capacity(bytes.len());
                let mut n = 0;
                for &b in &bytes {
                    if b != b'\n' {
                        out.push(b);
                        continue;
                    }
                    n += 1;
                    let end: &[u8] = match (n >= *from, (n + usize::from(*how)) % 3) {
                        (false, _) | (true, 0) => b"\n",
                        (true, 1) => b"\r\n",
                        _ => b"\r",
                    };
                    out.extend_from_slice(end);
                }
                bytes = out;
            }
        }
    }
    bytes
}

/// A program of the repository, damaged (`tests/proptest_positions.rs`).
pub fn damaged_program() -> impl Strategy<Value = Vec<u8>> {
    let examples = prop::sample::select(vec![
        include_str!("../../examples/trading.tap"),
        include_str!("../../examples/pilot-light.tap"),
        include_str!("../../examples/minimal.tap"),
        "platform p {\n  rto = 5m\n}\nservice api fargate {\n}\n",
    ]);
    (examples, prop::collection::vec(damage(), 1..5))
        .prop_map(|(text, damage)| apply(text.as_bytes().to_vec(), &damage))
}
