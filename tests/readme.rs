//! The README's language tour is a valid program.

#[test]
fn readme_tour_checks_without_errors() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let start = readme.find("```tap\n").expect("README has a tap block") + 7;
    let end = start + readme[start..].find("```").unwrap();
    let file = tapc::diag::SourceFile::new("README.md", &readme[start..end]);
    let checked = tapc::check_source(&file, tapc::Given::command_line(&[])).unwrap();
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == tapc::diag::Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(checked.model.is_some());
}

const CODES_START: &str = "<!-- codes: made from src/explain/*.md by tests/readme.rs; UPDATE=1 cargo test --test readme rewrites it -->\n";
const CODES_END: &str = "<!-- end of codes -->\n";

/// The README's table of diagnostic codes, made from the explanations' titles.
fn code_table() -> String {
    let mut table = String::from("| code | what it reports |\n|---|---|\n");
    for (code, _) in tapc::explain::CODES {
        let summary = tapc::explain::summary(code).expect("every explanation has a title");
        table.push_str(&format!(
            "| [{code}](src/explain/{code}.md) | {} |\n",
            summary.replace('|', "\\|")
        ));
    }
    table
}

/// The README lists every code with its summary, exactly as the explanations
/// give them; `UPDATE=1` rewrites the table in place.
#[test]
fn readme_code_table_matches_the_explanations() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let start = readme
        .find(CODES_START)
        .expect("README has the codes marker")
        + CODES_START.len();
    let end = start
        + readme[start..]
            .find(CODES_END)
            .expect("README has the end marker");
    let table = code_table();
    if readme[start..end] == table {
        return;
    }
    if std::env::var_os("UPDATE").is_some() {
        let updated = format!("{}{table}{}", &readme[..start], &readme[end..]);
        std::fs::write("README.md", updated).unwrap();
        return;
    }
    panic!("the README's code table is out of date: run `UPDATE=1 cargo test --test readme`");
}

/// Every link of the README to a file of the repository resolves, and none
/// points outside it.
#[test]
fn readme_links_stay_in_the_repository() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    for (i, _) in readme.match_indices("](") {
        let rest = &readme[i + 2..];
        let target = &rest[..rest.find(')').unwrap()];
        if target.starts_with("http") || target.starts_with('#') {
            continue;
        }
        let path = target.split('#').next().unwrap();
        assert!(
            !path.starts_with(".."),
            "{target} is outside the repository"
        );
        assert!(
            std::path::Path::new(path).exists(),
            "{target} does not exist"
        );
    }
    assert!(!readme.contains("../shared"), "users do not have ../shared");
}
