//! Builds are deterministic (`src/lower/mod.rs`).

use crate::common::*;

// Determinism (LANGUAGE.md section 6).

#[test]
fn builds_are_byte_for_byte_deterministic() {
    for ex in EXAMPLES {
        assert_eq!(build(ex).files, build(ex).files, "{ex}");
    }
}

const KEYWORDS: [&str; 7] = [
    "param ",
    "platform ",
    "region ",
    "service ",
    "replicate ",
    "endpoint ",
    "import ",
];

/// The top-level items of a program, each with the comments and blank lines
/// before it.
fn top_level_items(src: &str) -> Vec<String> {
    let (mut items, mut current, mut lead) = (Vec::new(), String::new(), String::new());
    let mut depth = 0i64;
    for line in src.split_inclusive('\n') {
        let top = depth == 0;
        if top && KEYWORDS.iter().any(|k| line.starts_with(k)) {
            if !current.is_empty() {
                items.push(std::mem::take(&mut current));
            }
            current = std::mem::take(&mut lead);
            current.push_str(line);
        } else if top && (line.trim().is_empty() || line.starts_with('#')) {
            lead.push_str(line);
        } else {
            current.push_str(line);
        }
        let code = line.split('#').next().unwrap_or_default();
        depth += code.matches('{').count() as i64 - code.matches('}').count() as i64;
    }
    current.push_str(&lead);
    items.push(current);
    items
}

#[test]
fn reordering_top_level_items_changes_nothing() {
    let source = std::fs::read_to_string(example_path("trading")).expect("trading.tap");
    let mut items = top_level_items(&source);
    assert_eq!(
        items.len(),
        15,
        "params, platform, regions, services, replicates, endpoint"
    );
    assert_eq!(items.concat(), source, "the split loses nothing");
    items.reverse();
    let reordered = items.concat();
    assert_ne!(reordered, source);

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("trading.tap");
    std::fs::write(&path, &reordered).expect("write the copy");
    let (file, _) = tapc::read_source(&path, tapc::diag::FileId::ROOT).expect("read the copy");
    let original = build("trading");
    let copy = build_file("trading-reordered", &file);
    assert_eq!(original.files.len(), copy.files.len());
    for ((a_name, a), (b_name, b)) in original.files.iter().zip(&copy.files) {
        assert_eq!(a_name, b_name);
        assert!(a == b, "{a_name} differs when the items are reordered");
    }
}
