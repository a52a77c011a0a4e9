//! The README's language tour is a valid program.

#[test]
fn readme_tour_checks_without_errors() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let start = readme.find("```tap\n").expect("README has a tap block") + 7;
    let end = start + readme[start..].find("```").unwrap();
    let file = tapc::diag::SourceFile::new("README.md", &readme[start..end]);
    let checked = tapc::check_source(&file, &[]).unwrap();
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == tapc::diag::Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(checked.model.is_some());
}
