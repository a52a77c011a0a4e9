//! Each stage and the whole pipeline, on the reference program and on generated
//! platforms of 100, 1,000 and 10,000 services; and bad input at scale.
//! Figures: BENCHMARKS.md.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tapc::diag::{render_human, render_json, Report, SourceFile};

fn programs() -> Vec<(String, String)> {
    let mut out = vec![(
        "trading".to_string(),
        include_str!("../examples/trading.tap").to_string(),
    )];
    for n in [100, 1_000, 10_000] {
        out.push((format!("gen-{n}"), tapc::gen::platform(n)));
    }
    out
}

fn services(name: &str) -> u64 {
    name.strip_prefix("gen-")
        .map_or(5, |n| n.parse().unwrap_or(1))
}

fn stages(c: &mut Criterion) {
    for (name, text) in programs() {
        let mut group = c.benchmark_group(name.clone());
        group.throughput(Throughput::Elements(services(&name)));
        if services(&name) >= 1_000 {
            group.sample_size(10);
        }
        let file = SourceFile::new(format!("{name}.tap"), text.clone());
        group.bench_function("parse", |b| {
            b.iter(|| tapc::syntax::parse(black_box(&text)))
        });
        group.bench_function("check", |b| {
            b.iter(|| {
                tapc::check_source(black_box(&file), tapc::Given::command_line(&[]))
                    .expect("no usage error")
            })
        });
        let model = tapc::check_source(&file, tapc::Given::command_line(&[]))
            .expect("no usage error")
            .model
            .expect("generated programs are valid");
        group.bench_function("graph", |b| b.iter(|| tapc::lower::plan(black_box(&model))));
        group.bench_function("lower", |b| {
            b.iter(|| tapc::lower::lower(black_box(&model)).map(|o| o.files.len()))
        });
        group.bench_function(BenchmarkId::new("pipeline", "check+lower"), |b| {
            b.iter(|| {
                let checked = tapc::check_source(black_box(&file), tapc::Given::command_line(&[]))
                    .expect("no usage error");
                checked
                    .model
                    .map(|m| tapc::lower::lower(&m).map(|o| o.files.len()))
            })
        });
        group.finish();
    }
}

/// Bad input at scale: `n` misspelt references (each a suggestion search over
/// `n` names) and overlapping networks, checked and rendered as a user sees it.
fn errors(c: &mut Criterion) {
    let mut group = c.benchmark_group("misspelt");
    group.sample_size(10);
    for n in [100, 10_000] {
        let file = SourceFile::new("misspelt.tap", tapc::gen::misspelt(n));
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(BenchmarkId::new("check+render", n), |b| {
            b.iter(|| {
                let checked = tapc::check_source(black_box(&file), tapc::Given::command_line(&[]))
                    .expect("no usage error");
                let report = [Report::single(&file, &checked.diagnostics)];
                render_human(&report, false).len() + render_json(&report).to_string().len()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, stages, errors);
criterion_main!(benches);
