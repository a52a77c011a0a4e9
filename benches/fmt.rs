//! `tapc fmt` in process: the whole formatter (the parser's syntax check, then
//! the layout) and the layout alone, on the reference program and generated
//! platforms, already formatted and with every `=` unaligned. Figures and the
//! comparison with `terraform fmt`: BENCHMARKS.md.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn programs() -> Vec<(String, String)> {
    let mut out = vec![(
        "trading".to_string(),
        include_str!("../examples/trading.tap").to_string(),
    )];
    for n in [1_000, 10_000] {
        out.push((format!("gen-{n}"), tapc::gen::platform(n)));
    }
    out
}

/// Every attribute as `key = value`: the layout has to align them again.
fn unaligned(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        match line.split_once(" = ") {
            Some((key, value)) if !line.trim_start().starts_with("param") => {
                out.push_str(key.trim_end());
                out.push_str(" = ");
                out.push_str(value);
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

fn fmt(c: &mut Criterion) {
    for (name, text) in programs() {
        let mut group = c.benchmark_group(format!("fmt/{name}"));
        group.throughput(Throughput::Bytes(text.len() as u64));
        if text.len() > 1_000_000 {
            group.sample_size(10);
        }
        let messy = unaligned(&text);
        assert_eq!(
            tapc::fmt::format(&messy).ok().as_deref(),
            Some(text.as_str()),
            "{name}: formatting the unaligned text gives back the original"
        );
        group.bench_function("format", |b| {
            b.iter(|| tapc::fmt::format(black_box(&text)).map(|t| t.len()))
        });
        group.bench_function("format unaligned", |b| {
            b.iter(|| tapc::fmt::format(black_box(&messy)).map(|t| t.len()))
        });
        group.bench_function("layout", |b| {
            b.iter(|| tapc::fmt::layout(black_box(&text)).map(|t| t.len()))
        });
        group.finish();
    }
}

criterion_group!(benches, fmt);
criterion_main!(benches);
