//! The parser on arbitrary input: it must not panic or hang, and every label of
//! every diagnostic must lie within the input, on character boundaries.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (_file, diagnostics) = tapc::syntax::parse(&text);
    for d in &diagnostics {
        for label in &d.labels {
            let span = label.span;
            assert!(
                span.start <= span.end && span.end <= text.len(),
                "{}: span {span:?} outside the input of {} bytes",
                d.code,
                text.len()
            );
            assert!(
                text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
                "{}: span {span:?} splits a character",
                d.code
            );
        }
    }
});
