//! `tapc fmt`: golden pairs (tests/fmt/NAME.in.tap -> NAME.out.tap), every
//! example a fixed point, generated programs with random comments and blanks
//! (idempotent, no comment lost, the same diagnostics and built output), and
//! the command line (`--check`, standard input, files with syntax errors, files
//! left alone).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;
use proptest::prelude::*;
use tapc::diag::SourceFile;
use tempfile::TempDir;

fn fmt(src: &str) -> String {
    match tapc::fmt::format(src) {
        Ok(text) => text,
        Err(e) => panic!("does not format: {e:?}\n{src}"),
    }
}

/// The comments of a program, sorted, read by a scanner of this test's own.
fn comments(src: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in src.split('\n') {
        let (mut in_string, mut escaped) = (false, false);
        for (i, c) in line.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' if in_string => escaped = true,
                '"' => in_string = !in_string,
                '#' if !in_string => {
                    found.push(line[i..].trim_end().to_string());
                    break;
                }
                _ => {}
            }
        }
    }
    found.sort();
    found
}

/// What a program means: the checker's diagnostics without their positions,
/// and every file the build writes.
type Meaning = (Vec<String>, Option<Vec<(String, String)>>);

fn meaning(src: &str) -> Meaning {
    let file = SourceFile::new("p.tap", src);
    let checked =
        tapc::check_source(&file, tapc::Given::command_line(&[])).expect("no usage error");
    let mut diagnostics: Vec<String> = checked
        .diagnostics
        .iter()
        .map(|d| {
            let labels: Vec<&str> = d.labels.iter().map(|l| l.text.as_str()).collect();
            format!(
                "{} {:?} {} {labels:?} {:?}",
                d.code, d.severity, d.message, d.help
            )
        })
        .collect();
    diagnostics.sort();
    let files = checked.model.map(|m| {
        tapc::lower::lower(&m)
            .expect("checked programs lower")
            .files
    });
    (diagnostics, files)
}

fn tap_files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("directory exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|e| e == "tap"))
        .collect();
    files.sort();
    files
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("readable")
}

#[test]
fn golden_pairs() {
    let inputs: Vec<PathBuf> = tap_files("tests/fmt")
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".in.tap"))
        .collect();
    assert!(inputs.len() >= 5, "golden inputs: {inputs:?}");
    for input in inputs {
        let expected_path = PathBuf::from(input.to_string_lossy().replace(".in.tap", ".out.tap"));
        let (src, expected) = (read(&input), read(&expected_path));
        let name = input.display();
        assert_eq!(fmt(&src), expected, "{name}");
        assert_eq!(fmt(&expected), expected, "{name}: output not a fixed point");
        // CRLF line ends give the same result, with LF line ends.
        assert_eq!(
            fmt(&src.replace('\n', "\r\n")),
            expected,
            "{name} with CRLF"
        );
        assert_eq!(comments(&src), comments(&expected), "{name}");
        assert_eq!(meaning(&src), meaning(&expected), "{name}");
    }
}

#[test]
fn examples_are_fixed_points() {
    let examples = tap_files("examples");
    assert!(examples.len() >= 4);
    for example in examples {
        let src = read(&example);
        assert_eq!(fmt(&src), src, "{} is not formatted", example.display());
    }
}

#[test]
fn good_programs_keep_their_meaning_and_comments() {
    for path in tap_files("tests/good") {
        let src = read(&path);
        let once = fmt(&src);
        let name = path.display();
        assert_eq!(fmt(&once), once, "{name}: not idempotent");
        assert_eq!(comments(&src), comments(&once), "{name}: comments");
        let (before, after) = (meaning(&src), meaning(&once));
        assert!(before.1.is_some(), "{name} builds");
        assert_eq!(before, after, "{name}: meaning");
    }
}

#[test]
fn a_byte_order_mark_and_lone_carriage_returns_go() {
    let src = "\u{feff}param a: int = 1\n\r\nparam b: int = 2\n\r";
    assert_eq!(fmt(src), "param a: int = 1\n\nparam b: int = 2\n");
}

/// Programs to damage: the examples, the valid test programs, the golden pairs
/// (long lists and maps, comments everywhere), small generated platforms, each
/// in its formatted form (one space where blanks may go).
fn bases() -> &'static [String] {
    static BASES: OnceLock<Vec<String>> = OnceLock::new();
    BASES.get_or_init(|| {
        let mut texts: Vec<String> = tap_files("examples")
            .iter()
            .chain(&tap_files("tests/good"))
            .chain(&tap_files("tests/fmt"))
            .map(|p| read(p))
            .collect();
        texts.extend((1..=6).map(tapc::gen::platform));
        texts.iter().map(|t| fmt(t)).collect()
    })
}

const COMMENTS: [&str; 8] = [
    "# c",
    "#",
    "# } ] , = -> [ {",
    "# \"not a string",
    "#no space",
    "# ünïcode ✓",
    "## twice",
    "#\ttab",
];

/// `src` with random blanks and comments wherever the grammar allows them:
/// blanks widened or removed next to punctuation, comments at line ends and
/// on lines of their own, blank lines, list items on lines of their own, CRLF.
fn damage(src: &str, choices: &[u8], crlf: bool) -> String {
    let mut choices = choices.iter().copied().cycle();
    let mut next = move || choices.next().unwrap_or(0) as usize;
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::new();
    let (mut in_string, mut escaped, mut in_comment) = (false, false, false);
    let mut open: Vec<char> = Vec::new();
    let punct = |c: Option<&char>| c.is_some_and(|c| "=:,{}[]->".contains(*c));
    for (i, &c) in chars.iter().enumerate() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        if in_comment && c != '\n' {
            out.push(c);
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '#' => {
                in_comment = true;
                out.push(c);
            }
            ' ' => match next() % 4 {
                0 => out.push(' '),
                1 => out.push_str("  "),
                2 => out.push_str(" \t "),
                _ => {
                    let before = out.trim_end_matches([' ', '\t']).chars().last();
                    if !(punct(before.as_ref()) || punct(chars.get(i + 1))) {
                        out.push(' ');
                    }
                }
            },
            '\n' => {
                let comment = COMMENTS[next() % COMMENTS.len()];
                match next() % 6 {
                    1 if !in_comment => {
                        out.push(' ');
                        out.push_str(comment);
                        out.push('\n');
                    }
                    2 => out.push_str("\n\n"),
                    3 => {
                        out.push('\n');
                        out.push_str(&" ".repeat(next() % 5));
                        out.push_str(comment);
                        out.push('\n');
                    }
                    4 => out.push_str(" \t\n"),
                    5 => out.push_str("\n\n\n"),
                    _ => out.push('\n'),
                }
                in_comment = false;
            }
            '[' | ',' => {
                out.push(c);
                if c == '[' {
                    open.push(c);
                }
                if open.last() == Some(&'[') && next() % 3 == 0 {
                    out.push('\n');
                }
            }
            '{' => {
                open.push(c);
                out.push(c);
            }
            ']' | '}' => {
                open.pop();
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    if crlf {
        out = out.replace('\n', "\r\n");
    }
    out
}

/// 128 cases keep the suite fast; `PROPTEST_CASES=10000` searches deeper.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(128)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn damaged_programs_format_to_the_same_meaning(
        base in 0..bases().len(),
        choices in prop::collection::vec(any::<u8>(), 1..300),
        crlf in any::<bool>(),
    ) {
        let src = damage(&bases()[base], &choices, crlf);
        let (_, errors) = tapc::syntax::parse(&src);
        prop_assert!(errors.is_empty(), "the damage broke the program: {errors:?}\n{src}");
        let once = fmt(&src);
        prop_assert_eq!(&fmt(&once), &once, "not idempotent:\n{}", src);
        prop_assert_eq!(comments(&src), comments(&once));
        prop_assert_eq!(meaning(&src), meaning(&once));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// Whatever the text, formatting answers (a layout or the parser's
    /// diagnostics) and never panics; the layout alone never panics either.
    #[test]
    fn any_text_formats_or_is_refused(src in "[ -~\t\r\n{}\\[\\]#\"ü]{0,200}") {
        let _ = tapc::fmt::layout(&src);
        if let Ok(once) = tapc::fmt::format(&src) {
            prop_assert_eq!(&fmt(&once), &once);
            prop_assert_eq!(comments(&src), comments(&once));
        }
    }
}

fn tapc() -> Command {
    let mut cmd = Command::cargo_bin("tapc").expect("binary built");
    cmd.env("NO_COLOR", "1");
    cmd
}

const MESSY: &str = "platform p {\nrto=5m\n  strategy = warm_standby # why\n}\n";
const TIDY: &str = "platform p {\n  rto      = 5m\n  strategy = warm_standby # why\n}\n";
const BROKEN: &str = "platform p {\n  rto = \n}\n";

fn dir_with(files: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new().expect("temporary directory");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("written");
    }
    dir
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("readable")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn check_lists_the_files_that_would_change_and_writes_nothing() {
    let dir = dir_with(&[("a.tap", MESSY), ("b.tap", TIDY)]);
    tapc()
        .current_dir(dir.path())
        .args(["fmt", "--check", "a.tap", "b.tap"])
        .assert()
        .code(1)
        .stdout("a.tap\n")
        .stderr("");
    assert_eq!(read(&dir.path().join("a.tap")), MESSY);
    tapc()
        .current_dir(dir.path())
        .args(["fmt", "--check", "b.tap"])
        .assert()
        .success()
        .stdout("")
        .stderr("");
}

#[test]
fn rewrites_changed_files_only() {
    let dir = dir_with(&[("a.tap", MESSY), ("b.tap", TIDY)]);
    let (a, b) = (dir.path().join("a.tap"), dir.path().join("b.tap"));
    let long_ago =
        std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    for path in [&a, &b] {
        let f = std::fs::File::options()
            .write(true)
            .open(path)
            .expect("open");
        f.set_modified(long_ago).expect("set mtime");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&a, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    }
    tapc()
        .current_dir(dir.path())
        .args(["fmt", "a.tap", "b.tap"])
        .assert()
        .success()
        .stdout("a.tap\n")
        .stderr("");
    assert_eq!(read(&a), TIDY);
    let modified = |p: &Path| {
        std::fs::metadata(p)
            .and_then(|m| m.modified())
            .expect("mtime")
    };
    assert_eq!(modified(&b), long_ago, "an unchanged file is not rewritten");
    assert_ne!(modified(&a), long_ago);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&a)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o640, "permissions kept");
    }
    assert_eq!(
        names_in(dir.path()),
        ["a.tap", "b.tap"],
        "no temporary file left"
    );
}

#[test]
fn a_file_with_syntax_errors_is_reported_and_left_alone() {
    let dir = dir_with(&[("bad.tap", BROKEN), ("a.tap", MESSY)]);
    tapc()
        .current_dir(dir.path())
        .args(["fmt", "bad.tap", "a.tap"])
        .assert()
        .code(1)
        .stdout("a.tap\n")
        .stderr(predicates::str::contains("E001"))
        .stderr(predicates::str::contains("bad.tap has errors"));
    assert_eq!(read(&dir.path().join("bad.tap")), BROKEN);
    assert_eq!(
        read(&dir.path().join("a.tap")),
        TIDY,
        "the others are formatted"
    );
    tapc()
        .current_dir(dir.path())
        .args(["fmt", "--check", "bad.tap"])
        .assert()
        .code(1)
        .stdout("");
    assert_eq!(read(&dir.path().join("bad.tap")), BROKEN);
}

#[test]
fn a_missing_file_is_an_io_error() {
    let dir = dir_with(&[("a.tap", MESSY)]);
    tapc()
        .current_dir(dir.path())
        .args(["fmt", "missing.tap", "a.tap"])
        .assert()
        .code(2)
        .stdout("a.tap\n")
        .stderr(predicates::str::contains("cannot read `missing.tap`"));
}

#[test]
fn standard_input_goes_to_standard_output() {
    tapc()
        .args(["fmt", "-"])
        .write_stdin(MESSY)
        .assert()
        .success()
        .stdout(TIDY);
    tapc()
        .args(["fmt", "--check", "-"])
        .write_stdin(MESSY)
        .assert()
        .code(1)
        .stdout("-\n");
    tapc()
        .args(["fmt", "--check", "-"])
        .write_stdin(TIDY)
        .assert()
        .success()
        .stdout("");
    tapc()
        .args(["fmt", "-"])
        .write_stdin(BROKEN)
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicates::str::contains("E001"));
}

#[test]
fn the_build_of_a_formatted_program_is_byte_identical() {
    let src =
        read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/good/comments_everywhere.tap"));
    let src = src.replace("\n", "\r\n").replace(" = ", "=");
    let before = dir_with(&[("p.tap", &src)]);
    let after = dir_with(&[("p.tap", &src)]);
    tapc()
        .current_dir(after.path())
        .args(["fmt", "p.tap"])
        .assert()
        .success()
        .stdout("p.tap\n");
    for dir in [&before, &after] {
        tapc()
            .current_dir(dir.path())
            .args(["build", "p.tap", "-o", "out"])
            .assert()
            .success();
    }
    let (one, two) = (before.path().join("out"), after.path().join("out"));
    let names = names_in(&one);
    assert!(names.len() > 2, "{names:?}");
    assert_eq!(names, names_in(&two));
    for name in names {
        let a = std::fs::read(one.join(&name)).expect("built");
        let b = std::fs::read(two.join(&name)).expect("built");
        assert!(a == b, "{name} differs");
    }
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_stays_a_link_to_the_rewritten_file() {
    let dir = dir_with(&[("a.tap", MESSY)]);
    std::os::unix::fs::symlink("a.tap", dir.path().join("link.tap")).expect("symlink");
    tapc()
        .current_dir(dir.path())
        .args(["fmt", "link.tap"])
        .assert()
        .success()
        .stdout("link.tap\n");
    assert_eq!(read(&dir.path().join("a.tap")), TIDY);
    let link = std::fs::symlink_metadata(dir.path().join("link.tap")).expect("metadata");
    assert!(link.file_type().is_symlink());
    assert_eq!(names_in(dir.path()), ["a.tap", "link.tap"]);
}
