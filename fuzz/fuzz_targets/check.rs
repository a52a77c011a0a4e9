//! The whole check pipeline on arbitrary input: parse, check, render the
//! diagnostics in every format and, when a model comes out, measure it as
//! `tapc check` does and lower it as `tapc build` does. Nothing may panic or
//! hang, every label must lie within the input, and the measurement must find
//! what the lowering finds (no program passes `check` and fails `build`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tapc::diag::{render_human, render_json, render_sarif, Report, SourceFile};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let file = SourceFile::new("fuzz.tap", text);
    let Ok(checked) = tapc::check_source(&file, tapc::Given::command_line(&[])) else {
        return;
    };
    for d in &checked.diagnostics {
        for label in &d.labels {
            let span = label.span;
            assert!(
                span.start <= span.end && span.end <= file.text.len(),
                "{}: span {span:?} outside the input of {} bytes",
                d.code,
                file.text.len()
            );
        }
    }
    let report = [Report::single(&file, &checked.diagnostics)];
    let _ = render_human(&report, false);
    let _ = render_json(&report).to_string();
    let _ = render_sarif(&report).to_string();
    if let Some(model) = &checked.model {
        let measured = tapc::lower::measure(model).err();
        let lowered = tapc::lower::lower(model).err();
        assert_eq!(measured, lowered, "check and build disagree");
        if let Some(diagnostics) = lowered {
            let report = [Report::single(&file, &diagnostics)];
            let _ = render_human(&report, false);
        }
    }
});
