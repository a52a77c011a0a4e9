//! The whole check pipeline on arbitrary input: parse, check, render the
//! diagnostics in every format and, when a model comes out, lower it. Nothing
//! may panic or hang, and every label must lie within the input.
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
        if let Err(diagnostics) = tapc::lower::lower(model) {
            let report = [Report::single(&file, &diagnostics)];
            let _ = render_human(&report, false);
        }
    }
});
