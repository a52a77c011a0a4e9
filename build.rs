//! Parses the stdlib (`stdlib/aws.tap`) when tapc is compiled, with the
//! compiler's own parser, included here from `src/`: a stdlib with a syntax
//! error fails the build. (Its schema is compiled in as static data,
//! `src/stdlib/schema.rs`, which a test keeps equal to the stdlib's.)
//!
//! The rules' regular expressions (`pattern = "..."`) are compiled here too, to
//! deterministic automata written out as tables (`$OUT_DIR/stdlib_patterns.rs`):
//! a run of tapc links no regex engine and compiles no pattern. An invalid
//! pattern, or one whose meaning would differ from regex-lite's, fails the build.

use std::fmt::Write as _;

#[allow(dead_code)]
#[path = "src/diag/message.rs"]
mod diag;
#[allow(dead_code)]
#[path = "src/suggest.rs"]
mod suggest;
#[allow(dead_code, unused_imports)]
#[path = "src/syntax/mod.rs"]
mod syntax;

use syntax::ast::{ItemKind, StrPart, ValueKind};

const STDLIB: &str = "stdlib/aws.tap";

fn main() {
    for path in [
        STDLIB,
        "build.rs",
        "src/diag/message.rs",
        "src/suggest.rs",
        "src/syntax/mod.rs",
        "src/syntax/ast.rs",
        "src/syntax/error.rs",
        "src/syntax/lexer.rs",
        "src/syntax/literal.rs",
        "src/syntax/parser.rs",
    ] {
        println!("cargo:rerun-if-changed={path}");
    }
    let src = std::fs::read_to_string(STDLIB).unwrap_or_else(|e| panic!("{STDLIB}: {e}"));
    let (file, diags) = syntax::parse_in(diag::FileId::STDLIB, &src);
    if let Some(d) = diags.first() {
        let at = d.primary_span().start;
        let line = src[..at.min(src.len())].matches('\n').count() + 1;
        panic!(
            "{STDLIB}:{line}: {} ({}): the stdlib must parse",
            d.message, d.code
        );
    }
    if let Some(item) = file
        .items
        .iter()
        .find(|i| !matches!(i.kind, ItemKind::Schema { .. }))
    {
        let line = src[..item.span.start].matches('\n').count() + 1;
        panic!("{STDLIB}:{line}: only `schema` items are allowed in the stdlib");
    }
    write_out("stdlib_patterns.rs", &patterns(&file, &src));
    symbol_order();
}

/// Has the linker place the functions tapc's commands run first, grouped by
/// the command that first runs them (`layout/tapc.order`, written by
/// `layout/order.py`): a short run then pages in a few blocks of code
/// instead of the whole binary.
/// Only in release builds, and only if the linker takes the option (lld,
/// Rust's default linker on x86-64 Linux since 1.90, and mold do; GNU ld
/// does not): a tiny program is linked with it first, as the build links.
fn symbol_order() {
    const ORDER: &str = "layout/tapc.order";
    println!("cargo:rerun-if-changed={ORDER}");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    if std::env::var("PROFILE").as_deref() != Ok("release") {
        return;
    }
    let env = |k: &str| std::env::var(k).unwrap_or_default();
    let out = std::path::PathBuf::from(env("OUT_DIR"));
    // The linker reads the list from OUT_DIR: Cargo rewrites OUT_DIR in a
    // build script's output when the target directory moves, not a path
    // into the sources (a moved checkout's next release build failed to
    // link, naming the list at its old place).
    let order = out.join("tapc.order");
    std::fs::copy(
        std::path::Path::new(&env("CARGO_MANIFEST_DIR")).join(ORDER),
        &order,
    )
    .expect("layout/tapc.order is readable and OUT_DIR writable");
    let args = [
        format!("-Wl,--symbol-ordering-file={}", order.display()),
        // Functions the list names that this build does not have (renamed,
        // inlined, another compiler's) are skipped without a word.
        "-Wl,--no-warn-symbol-ordering".to_string(),
    ];
    let probe = out.join("order_probe.rs");
    std::fs::write(&probe, "fn main() {}\n").expect("OUT_DIR is writable");
    let mut rustc = std::process::Command::new(env("RUSTC"));
    let flags = env("CARGO_ENCODED_RUSTFLAGS");
    rustc.args(flags.split('\x1f').filter(|f| !f.is_empty()));
    if let Ok(linker) = std::env::var("RUSTC_LINKER") {
        rustc.arg("-C").arg(format!("linker={linker}"));
    }
    for arg in &args {
        rustc.arg("-C").arg(format!("link-arg={arg}"));
    }
    let linked = rustc
        .args(["--target", &env("TARGET"), "--crate-type", "bin", "-o"])
        .arg(out.join("order_probe"))
        .arg(&probe)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if linked {
        for arg in &args {
            println!("cargo:rustc-link-arg-bin=tapc={arg}");
        }
    } else {
        println!("cargo:warning=the linker takes no symbol order: tapc's functions keep the default layout");
    }
}

fn write_out(name: &str, text: &str) {
    let dest = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join(name);
    std::fs::write(&dest, text).unwrap_or_else(|e| panic!("{}: {e}", dest.display()));
}

/// The automata of the stdlib rules' patterns, as Rust code of a
/// `&[(&str, Dfa)]` (`src/stdlib.rs`), one per distinct pattern, in the order
/// of the stdlib.
fn patterns(file: &syntax::ast::File, src: &str) -> String {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = String::from("&[\n");
    for item in &file.items {
        let ItemKind::Schema { name, body } = &item.kind else {
            continue;
        };
        if name.name != "rules" {
            continue;
        }
        for rule in &body.blocks {
            let Some(attr) = rule.body.attr("pattern") else {
                continue;
            };
            let line = src[..attr.value.span.start].matches('\n').count() + 1;
            let fail = |e: &str| -> ! {
                panic!("{STDLIB}:{line}: pattern of rule {}: {e}", rule.name.name)
            };
            let pattern = match &attr.value.kind {
                ValueKind::Str(parts) => match parts.as_slice() {
                    [] => "",
                    [StrPart::Text(t)] => t,
                    _ => fail("a pattern is a string without `{...}`"),
                },
                _ => fail("a pattern is a string"),
            };
            if seen.contains(&pattern) {
                continue;
            }
            seen.push(pattern);
            let dfa = dfa(pattern).unwrap_or_else(|e| fail(&e));
            writeln!(out, "({pattern:?}, {dfa}),").unwrap();
        }
    }
    out.push_str("]\n");
    out
}

/// Rust code of a `Dfa` matching what regex-lite's `Regex::new(pattern)
/// .is_match` matches. regex-automata builds a minimal DFA; its states are
/// renumbered here, 0 for "no match" (its dead state), 1 for "match" (its
/// match states: one is entered on the byte, or the end, after a match, and
/// the pattern is anchored, so a match found is the answer), 2 the start.
fn dfa(pattern: &str) -> Result<String, String> {
    use regex_automata::dfa::{dense, Automaton, StartKind};
    use regex_automata::util::{primitives::StateID, start};
    use regex_automata::Anchored;

    let hir = regex_automata::util::syntax::parse(pattern).map_err(|e| e.to_string())?;
    if !hir
        .properties()
        .look_set_prefix()
        .contains(regex_syntax::hir::Look::Start)
    {
        return Err("it must start with `^` (every match is from the value's start)".into());
    }
    same_as_regex_lite(&hir)?;
    let ra = dense::Builder::new()
        .configure(
            dense::Config::new()
                .start_kind(StartKind::Anchored)
                .minimize(true),
        )
        .build(pattern)
        .map_err(|e| e.to_string())?;
    let start = ra
        .start_state(&start::Config::new().anchored(Anchored::Yes))
        .map_err(|e| e.to_string())?;
    // The states in the order they are first reached from the start.
    let mut states: Vec<StateID> = vec![start];
    let mut rows: Vec<Vec<u16>> = Vec::new();
    let mut i = 0;
    while i < states.len() {
        let s = states[i];
        let mut row = Vec::with_capacity(257);
        for next in (0..=255u8)
            .map(|b| ra.next_state(s, b))
            .chain([ra.next_eoi_state(s)])
        {
            if ra.is_quit_state(next) {
                return Err("the automaton gives up on some input".into());
            }
            row.push(if ra.is_dead_state(next) {
                0
            } else if ra.is_match_state(next) {
                1
            } else {
                let at = states.iter().position(|&t| t == next).unwrap_or_else(|| {
                    states.push(next);
                    states.len() - 1
                });
                u16::try_from(at + 2).map_err(|_| "more than 65,533 states".to_string())?
            });
        }
        rows.push(row);
        i += 1;
    }
    // Bytes with the same column of transitions form a class, named by its
    // first byte here; the end of the text is the last class.
    let mut firsts: Vec<usize> = Vec::new();
    let mut classes = Vec::with_capacity(256);
    for b in 0..256 {
        let same = |&f: &usize| rows.iter().all(|r| r[f] == r[b]);
        let class = firsts.iter().position(same).unwrap_or_else(|| {
            firsts.push(b);
            firsts.len() - 1
        });
        classes.push(class);
    }
    firsts.push(256);
    let stride = firsts.len();
    let mut next = vec![0u16; stride]; // no match, whatever follows
    next.extend(std::iter::repeat_n(1u16, stride)); // a match
    for row in &rows {
        next.extend(firsts.iter().map(|&f| row[f]));
    }
    Ok(format!(
        "Dfa {{ classes: {classes:?}, stride: {stride}, next: &{next:?} }}"
    ))
}

/// Fails for the parts of a pattern whose meaning differs between the syntax
/// regex-automata reads (the `regex` crate's) and regex-lite: regex-lite's
/// `\d`, `\w`, `\s`, `\b` and case folding are ASCII only. A class must be
/// a set of ASCII characters or every character but such a set (`.`, `[^/]`);
/// only `^` and `$` may assert.
fn same_as_regex_lite(hir: &regex_syntax::hir::Hir) -> Result<(), String> {
    use regex_syntax::hir::{Class, HirKind, Look};
    match hir.kind() {
        HirKind::Empty | HirKind::Literal(_) => Ok(()),
        HirKind::Look(Look::Start | Look::End) => Ok(()),
        HirKind::Look(look) => Err(format!("only `^` and `$` may assert here, not {look:?}")),
        HirKind::Class(Class::Unicode(c)) => {
            let mut not = c.clone();
            not.negate();
            if c.is_ascii() || not.is_ascii() {
                Ok(())
            } else {
                Err(
                    "a class must be of ASCII characters, or of all but ASCII ones: \
                     regex-lite's `\\d`, `\\w`, `\\s` and case folding are ASCII only \
                     (write `[0-9]`)"
                        .into(),
                )
            }
        }
        HirKind::Class(Class::Bytes(_)) => Err("a class must be of characters (no `(?-u)`)".into()),
        HirKind::Repetition(r) => same_as_regex_lite(&r.sub),
        HirKind::Capture(c) => same_as_regex_lite(&c.sub),
        HirKind::Concat(hs) | HirKind::Alternation(hs) => {
            hs.iter().try_for_each(same_as_regex_lite)
        }
    }
}
