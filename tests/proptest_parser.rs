//! Whatever the input, parsing and checking never panic, and every diagnostic
//! has a code and a primary label inside the source (on character boundaries),
//! so that every renderer can show it.

use proptest::prelude::*;
use tapc::diag::{render_human, render_json, render_sarif, Diagnostic, Report, SourceFile};

mod common;
use common::programs::{mutated_example, program, token};

/// 256 cases keep the suite fast; `PROPTEST_CASES=100000` searches deeper.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256)
}

fn check_diagnostics(src: &str, diagnostics: &[Diagnostic]) -> Result<(), TestCaseError> {
    for d in diagnostics {
        prop_assert!(!d.code.is_empty(), "a diagnostic without a code: {d:?}");
        prop_assert!(
            tapc::explain::text(d.code).is_some(),
            "{} has no explanation",
            d.code
        );
        prop_assert!(!d.labels.is_empty(), "{} has no label: {d:?}", d.code);
        for l in &d.labels {
            prop_assert!(
                l.span.start <= l.span.end && l.span.end <= src.len(),
                "{}: label {:?} outside the source of {} bytes",
                d.code,
                l.span,
                src.len()
            );
            prop_assert!(
                src.is_char_boundary(l.span.start) && src.is_char_boundary(l.span.end),
                "{}: label {:?} splits a character",
                d.code,
                l.span
            );
        }
    }
    Ok(())
}

fn parse_and_check(src: &str) -> Result<(), TestCaseError> {
    let (_, syntax) = tapc::syntax::parse(src);
    check_diagnostics(src, &syntax)?;
    check_with(src, &[])
}

fn check_with(src: &str, params: &[(String, String)]) -> Result<(), TestCaseError> {
    let file = SourceFile::new("fuzz.tap", src);
    let checked = tapc::check_source(&file, tapc::Given::command_line(params))
        .map_err(|e| TestCaseError::fail(format!("usage error: {e:?}")))?;
    check_diagnostics(src, &checked.diagnostics)?;
    let report = [Report::single(&file, &checked.diagnostics)];
    render_human(&report, false);
    render_json(&report);
    render_sarif(&report);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let src = String::from_utf8_lossy(&bytes);
        parse_and_check(&src)?;
    }

    #[test]
    fn random_tokens_never_panic(src in program()) {
        parse_and_check(&src)?;
    }

    /// `--param` values are parsed as literals of the param's type.
    #[test]
    fn any_param_value_is_a_diagnostic_at_most(
        suffix in prop_oneof![token(), ".{0,40}"],
        retention in prop_oneof![token(), ".{0,12}"],
    ) {
        let src = include_str!("../examples/trading.tap");
        let params = [
            ("suffix".to_string(), suffix),
            ("log_retention".to_string(), retention),
        ];
        check_with(src, &params)?;
    }

    #[test]
    fn mutated_programs_never_panic(src in mutated_example()) {
        parse_and_check(&src)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// A `trigger` near the 64-bit limit of durations (about 584 million years)
    /// is accepted by the parser; the RTO budget must still add up without
    /// overflowing, and report that it exceeds the RTO.
    #[test]
    fn extreme_durations_never_overflow_the_budget(trigger in (u64::MAX - 200_000)..=u64::MAX) {
        let src = format!(
            "platform p {{\n  rto = 5m\n  rpo = 1m\n  trigger = {trigger}ms\n}}\n\
             service api: fargate {{\n  image = \"x\"\n}}\n\
             endpoint api {{\n  domain = \"api.example.com\"\n  target = api\n}}\n"
        );
        let file = SourceFile::new("extreme.tap", src.as_str());
        let checked = tapc::check_source(&file, tapc::Given::command_line(&[])).expect("no usage error");
        check_diagnostics(&src, &checked.diagnostics)?;
        prop_assert!(
            checked.diagnostics.iter().any(|d| d.code == "E402"),
            "a trigger of {trigger} ms exceeds an RTO of 5m: {:?}",
            checked.diagnostics
        );
    }
}
