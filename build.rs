//! Parses the stdlib (`stdlib/aws.tap`) when tapc is compiled, so that no run
//! of tapc parses it: the syntax tree is written out as Rust code that builds it
//! (`$OUT_DIR/stdlib_tree.rs`, included by `src/stdlib.rs`). The parser is the
//! compiler's own, included here from `src/`; a stdlib with a syntax error
//! fails the build.

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

use syntax::ast::{Body, ItemKind, StrPart, Value, ValueKind};

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
    let mut out = String::from("File { items: vec![");
    for item in &file.items {
        let ItemKind::Schema { name, body } = &item.kind else {
            let line = src[..item.span.start].matches('\n').count() + 1;
            panic!("{STDLIB}:{line}: only `schema` items are allowed in the stdlib");
        };
        write!(
            out,
            "Item {{ keyword: {}, span: {}, kind: ItemKind::Schema {{ name: {}, body: {} }} }},",
            span(item.keyword),
            span(item.span),
            ident(name),
            body_code(body)
        )
        .unwrap();
    }
    out.push_str("] }\n");
    let dest = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("stdlib_tree.rs");
    std::fs::write(&dest, out).unwrap_or_else(|e| panic!("{}: {e}", dest.display()));
}

fn span(s: diag::Span) -> String {
    format!(
        "Span {{ file: FileId::STDLIB, start: {}, end: {} }}",
        s.start, s.end
    )
}

fn ident(i: &syntax::ast::Ident) -> String {
    format!("Ident {{ name: {:?}, span: {} }}", i.name, span(i.span))
}

fn body_code(b: &Body) -> String {
    let mut out = String::from("Body { attrs: vec![");
    for a in &b.attrs {
        write!(
            out,
            "Attr {{ name: {}, value: {} }},",
            ident(&a.name),
            value(&a.value)
        )
        .unwrap();
    }
    out.push_str("], blocks: vec![");
    for blk in &b.blocks {
        write!(
            out,
            "Block {{ name: {}, body: {} }},",
            ident(&blk.name),
            body_code(&blk.body)
        )
        .unwrap();
    }
    write!(out, "], span: {} }}", span(b.span)).unwrap();
    out
}

fn value(v: &Value) -> String {
    let kind = match &v.kind {
        ValueKind::Str(parts) => {
            let parts: Vec<String> = parts
                .iter()
                .map(|p| match p {
                    StrPart::Text(t) => format!("StrPart::Text(Cow::Borrowed({:?}))", &**t),
                    StrPart::Param(i) => format!("StrPart::Param({})", ident(i)),
                })
                .collect();
            format!("ValueKind::Str(vec![{}])", parts.join(","))
        }
        ValueKind::Int(n) => format!("ValueKind::Int({n})"),
        ValueKind::Duration(ms) => format!("ValueKind::Duration({ms})"),
        ValueKind::Size(b) => format!("ValueKind::Size({b})"),
        ValueKind::Bool(b) => format!("ValueKind::Bool({b})"),
        ValueKind::Cidr { addr, prefix } => {
            format!("ValueKind::Cidr {{ addr: {addr}, prefix: {prefix} }}")
        }
        ValueKind::Symbol(s) => format!("ValueKind::Symbol({s:?})"),
        // The stdlib parsed without errors (checked above).
        ValueKind::Error => "ValueKind::Error".into(),
        ValueKind::List(items) => {
            let items: Vec<String> = items.iter().map(value).collect();
            format!("ValueKind::List(vec![{}])", items.join(","))
        }
        ValueKind::Map(pairs) => {
            let pairs: Vec<String> = pairs
                .iter()
                .map(|(k, v)| {
                    format!(
                        "(MapKey {{ text: Cow::Borrowed({:?}), span: {} }}, {})",
                        &*k.text,
                        span(k.span),
                        value(v)
                    )
                })
                .collect();
            format!("ValueKind::Map(vec![{}])", pairs.join(","))
        }
    };
    format!("Value {{ kind: {kind}, span: {} }}", span(v.span))
}
