//! Programs for property tests: pieces of `.tap`, right and wrong, strung
//! together, and the reference program with a line changed
//! (`tests/proptest_parser.rs`, `tests/grammar_pest.rs`).

use proptest::prelude::*;

/// Pieces of `.tap` programs, right and wrong.
pub fn token() -> impl Strategy<Value = String> {
    let fixed = prop::sample::select(vec![
        "param",
        "platform",
        "region",
        "service",
        "replicate",
        "endpoint",
        "import",
        "schema",
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
    ])
    .prop_map(str::to_string);
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
