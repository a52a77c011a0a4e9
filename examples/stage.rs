//! Runs one stage of the pipeline N times on a program, for profilers:
//! `cargo run --release --example stage -- FILE parse|check|graph|lower|pipeline N`.
//! Under `valgrind --tool=callgrind` the instruction count of N and 2N runs
//! gives a stage's cost per run without timing noise (BENCHMARKS.md).

use std::hint::black_box;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path, stage, n] = args.as_slice() else {
        eprintln!("usage: stage FILE parse|check|graph|lower|pipeline N");
        return ExitCode::from(2);
    };
    let Ok(n) = n.parse::<u32>() else {
        eprintln!("stage: N must be a number, not `{n}`");
        return ExitCode::from(2);
    };
    let file = match tapc::read_source(std::path::Path::new(path), tapc::diag::FileId::ROOT) {
        Ok((file, None)) => file,
        Ok((_, Some(_))) => {
            eprintln!("stage: {path} is not UTF-8");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("stage: {e}");
            return ExitCode::from(2);
        }
    };
    let check = || {
        tapc::check_source(&file, tapc::Given::command_line(&[]))
            .ok()
            .and_then(|c| c.model)
    };
    let Some(model) = check() else {
        eprintln!("stage: {path} does not check; run `tapc check {path}`");
        return ExitCode::from(1);
    };
    let start = std::time::Instant::now();
    for _ in 0..n {
        match stage.as_str() {
            "parse" => drop(black_box(tapc::syntax::parse(&file.text))),
            "check" => drop(black_box(check())),
            "graph" => drop(black_box(tapc::lower::plan(&model))),
            "lower" => drop(black_box(tapc::lower::lower(&model).ok())),
            "pipeline" => drop(black_box(check().map(|m| tapc::lower::lower(&m).ok()))),
            other => {
                eprintln!("stage: no stage `{other}`");
                return ExitCode::from(2);
            }
        }
    }
    eprintln!("{stage}: {:?} a run", start.elapsed() / n.max(1));
    ExitCode::SUCCESS
}
