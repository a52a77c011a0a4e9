//! What the fuzz targets (`fuzz/`) check, run on their committed seeds and on the
//! inputs that once failed them, so that `cargo test` catches a regression without
//! a nightly toolchain or cargo-fuzz.

use tapc::diag::{render_human, render_json, render_sarif, Report, SourceFile};

/// The body of the `check` fuzz target: nothing may panic, every label lies
/// within the input on character boundaries, and `tapc check`'s measurement
/// finds what `tapc build`'s lowering finds (LANGUAGE.md: no program passes
/// `check` and fails `build`).
fn check_pipeline(text: &str) {
    let file = SourceFile::new("fuzz.tap", text);
    let (_, syntax) = tapc::syntax::parse(&file.text);
    let checked =
        tapc::check_source(&file, tapc::Given::command_line(&[])).expect("no --param given");
    for d in syntax.iter().chain(&checked.diagnostics) {
        for label in &d.labels {
            let span = label.span;
            assert!(
                span.start <= span.end && span.end <= text.len(),
                "{}: span {span:?} outside the input",
                d.code
            );
            assert!(
                text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
                "{}: span {span:?} splits a character",
                d.code
            );
        }
    }
    let report = [Report::single(&file, &checked.diagnostics)];
    render_human(&report, false);
    render_json(&report);
    render_sarif(&report);
    if let Some(model) = &checked.model {
        let measured = tapc::lower::measure(model).err();
        let lowered = tapc::lower::lower(model).err();
        assert_eq!(measured, lowered, "check and build disagree");
    }
}

#[test]
fn fuzz_seeds() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    let mut n = 0;
    for target in ["parse", "check"] {
        for entry in std::fs::read_dir(root.join(target)).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            check_pipeline(&String::from_utf8_lossy(&bytes));
            n += 1;
        }
    }
    assert!(n > 0, "no seeds under fuzz/seeds");
}

/// Bits after the prefix of a region's CIDR made the subnet split in `lower`
/// overflow; they are now E005 (tests/bad/syntax/cidr_host_bits.tap).
#[test]
fn cidr_with_host_bits_is_an_error_not_a_panic() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/trading.tap"),
    )
    .unwrap()
    .replace("10.1.0.0/16", "255.255.255.255/16");
    check_pipeline(&text);
    let checked = tapc::check_source(
        &SourceFile::new("t.tap", text),
        tapc::Given::command_line(&[]),
    )
    .unwrap();
    assert!(checked.model.is_none());
    assert!(checked.diagnostics.iter().any(|d| d.code == "E005"));
}

/// A string ending in `\` hid the next line from the nesting limit, so that
/// nesting deeper than `MAX_DEPTH` reached pest (and a poor E001 came out).
#[test]
fn backslash_at_end_of_line_does_not_hide_nesting() {
    let text = format!(
        "platform p {{\n  a = \"\\\n  b = {}\n}}\n",
        "[".repeat(4000)
    );
    check_pipeline(&text);
    let (_, diagnostics) = tapc::syntax::parse(&text);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].code, "E007");
}
