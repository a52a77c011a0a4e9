//! The `tapc` command line: a thin layer over the library.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use tapc::diag::{render_human, render_json, render_sarif, Report, Severity, SourceFile};

#[derive(Parser)]
#[command(
    name = "tapc",
    version,
    about = "Compiles .tap disaster-recovery platforms to CloudFormation"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check programs and report every problem found
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Treat warnings as errors (exit status 1)
        #[arg(long, value_name = "warnings", value_parser = ["warnings"])]
        deny: Option<String>,
        /// Override a param: NAME=VALUE
        #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
        params: Vec<(String, String)>,
    },
    /// Check a program and write its CloudFormation templates and manifest
    Build {
        file: PathBuf,
        /// Output directory (replaced only if it holds a previous build)
        #[arg(short, long, default_value = "out")]
        output: PathBuf,
        /// Override a param: NAME=VALUE
        #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
        params: Vec<(String, String)>,
    },
    /// Print the resolved dependency graph and its stacks
    Graph {
        file: PathBuf,
        #[arg(long, value_enum, default_value = "dot")]
        format: GraphFormat,
        /// Override a param: NAME=VALUE
        #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
        params: Vec<(String, String)>,
    },
    /// Print the long explanation of a diagnostic code
    Explain { code: String },
    /// Rewrite programs in the canonical layout (`-`: standard input to standard output)
    Fmt {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Write nothing; list the files whose layout would change (exit status 1)
        #[arg(long)]
        check: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum GraphFormat {
    Dot,
    Mermaid,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
    Sarif,
}

fn parse_param(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
        _ => Err(format!("expected NAME=VALUE, got `{s}`")),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage(&e),
    };
    let result = match cli.command {
        Command::Check {
            files,
            format,
            deny,
            params,
        } => check(&files, format, deny.is_some(), &params),
        Command::Build {
            file,
            output,
            params,
        } => build(&file, &output, &params),
        Command::Graph {
            file,
            format,
            params,
        } => graph(&file, format, &params),
        Command::Explain { code } => explain(&code),
        Command::Fmt { files, check } => fmt(&files, check),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("tapc: {message}");
            ExitCode::from(2)
        }
    }
}

fn check(
    paths: &[PathBuf],
    format: Format,
    deny_warnings: bool,
    params: &[(String, String)],
) -> Result<ExitCode, String> {
    let mut files: Vec<(
        SourceFile,
        Vec<tapc::diag::Diagnostic>,
        Option<tapc::model::Model>,
    )> = Vec::new();
    for path in paths {
        let (file, checked) = tapc::check_path(path, params)?;
        files.push((file, checked.diagnostics, checked.model));
    }
    let reports: Vec<Report> = files
        .iter()
        .map(|(file, diagnostics, _)| Report { file, diagnostics })
        .collect();
    let errors: usize = reports.iter().map(|r| r.count(Severity::Error)).sum();
    let warnings: usize = reports.iter().map(|r| r.count(Severity::Warning)).sum();
    match format {
        Format::Human => {
            eprint!(
                "{}",
                render_human(&reports, std::io::stderr().is_terminal())
            );
            let mut out = String::new();
            for (_, _, model) in &files {
                if let Some(model) = model {
                    out.push_str(&tapc::summary::check(model));
                }
            }
            if errors > 0 || warnings > 0 {
                eprintln!("{errors} error(s), {warnings} warning(s)");
            }
            print_out(&out)?;
        }
        Format::Json => print_out(&format!("{:#}\n", render_json(&reports)))?,
        Format::Sarif => print_out(&format!("{:#}\n", render_sarif(&reports)))?,
    }
    let failed = errors > 0 || (deny_warnings && warnings > 0);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Reads and checks one program, printing its diagnostics to stderr; the model
/// if it has no errors.
fn checked_model(
    path: &std::path::Path,
    params: &[(String, String)],
) -> Result<Option<(SourceFile, tapc::model::Model)>, String> {
    let (file, checked) = tapc::check_path(path, params)?;
    let report = [Report {
        file: &file,
        diagnostics: &checked.diagnostics,
    }];
    eprint!("{}", render_human(&report, std::io::stderr().is_terminal()));
    Ok(checked.model.map(|m| (file, m)))
}

fn build(
    path: &std::path::Path,
    out: &std::path::Path,
    params: &[(String, String)],
) -> Result<ExitCode, String> {
    let Some((file, model)) = checked_model(path, params)? else {
        eprintln!("tapc: {} has errors; nothing was written", path.display());
        return Ok(ExitCode::from(1));
    };
    // Templates go to disk as they are made: the output of a large platform
    // is never all in memory.
    let dir = tapc::OutputDir::create(out, path)?;
    let lowered = tapc::lower::lower_with(&model, |_, name, text| dir.write(&name, &text));
    let lowered = match lowered {
        Ok(lowered) => lowered,
        Err(diagnostics) => {
            let report = [Report {
                file: &file,
                diagnostics: &diagnostics,
            }];
            eprint!("{}", render_human(&report, std::io::stderr().is_terminal()));
            eprintln!("tapc: nothing was written");
            return Ok(ExitCode::from(1));
        }
    };
    dir.commit()?;
    print_out(&tapc::summary::build(&model, &lowered.manifest, out))?;
    Ok(ExitCode::SUCCESS)
}

fn graph(
    path: &std::path::Path,
    format: GraphFormat,
    params: &[(String, String)],
) -> Result<ExitCode, String> {
    let Some((_, model)) = checked_model(path, params)? else {
        return Ok(ExitCode::from(1));
    };
    let plan = tapc::lower::plan(&model);
    let text = match format {
        GraphFormat::Dot => tapc::graph::to_dot(&plan, &model),
        GraphFormat::Mermaid => tapc::graph::to_mermaid(&plan, &model),
        GraphFormat::Json => format!("{:#}\n", tapc::graph::to_json(&plan, &model)),
    };
    print_out(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// `--help` and `--version` as clap prints them; any other command-line error as
/// one `tapc: ...` line on stderr, exit status 2.
fn usage(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
    }
    // clap's message is its first paragraph (without `error: `), plus any tip.
    let text = e.render().to_string();
    let mut paragraphs = text.split("\n\n");
    let first: Vec<&str> = paragraphs
        .next()
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .collect();
    let mut parts = vec![first.join(" ")];
    parts.extend(
        paragraphs
            .flat_map(str::lines)
            .map(str::trim)
            .filter(|l| l.starts_with("tip:"))
            .map(str::to_string),
    );
    let message = parts.join("; ");
    let message = message.strip_prefix("error: ").unwrap_or(&message);
    eprintln!("tapc: {message} (see `tapc --help`)");
    ExitCode::from(2)
}

/// Formats each file in place (or, with `check`, only lists the ones that would
/// change), listing the files it changes; a file with syntax errors is reported
/// and left as it is. `-` is standard input, formatted to standard output.
fn fmt(paths: &[PathBuf], check: bool) -> Result<ExitCode, String> {
    use tapc::fmt::Outcome;
    let mut status = 0;
    for path in paths {
        let outcome = if path.as_os_str() == "-" {
            fmt_stdin(check)
        } else {
            tapc::fmt::format_file(path, !check)
        };
        match outcome {
            Ok(Outcome::Unchanged) => {}
            Ok(Outcome::Changed) => {
                print_out(&format!("{}\n", path.display()))?;
                if check {
                    status = status.max(1);
                }
            }
            Ok(Outcome::Invalid(file, diagnostics)) => {
                let report = [Report {
                    file: &file,
                    diagnostics: &diagnostics,
                }];
                eprint!("{}", render_human(&report, std::io::stderr().is_terminal()));
                eprintln!("tapc: {} has errors; it is left as it is", path.display());
                status = status.max(1);
            }
            Err(message) => {
                eprintln!("tapc: {message}");
                status = 2;
            }
        }
    }
    Ok(ExitCode::from(status))
}

/// Standard input formatted to standard output (nothing is printed under
/// `check`; `Changed` then lists `-`).
fn fmt_stdin(check: bool) -> Result<tapc::fmt::Outcome, String> {
    use std::io::Read;
    use tapc::fmt::{Error, Outcome};
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read standard input: {}", tapc::io_reason(&e)))?;
    let text = String::from_utf8(bytes).map_err(|_| "standard input is not UTF-8 text")?;
    match tapc::fmt::format(&text) {
        Ok(formatted) if check => Ok(if formatted == text {
            Outcome::Unchanged
        } else {
            Outcome::Changed
        }),
        Ok(formatted) => {
            print_out(&formatted)?;
            Ok(Outcome::Unchanged)
        }
        Err(Error::Syntax(diagnostics)) => Ok(Outcome::Invalid(
            SourceFile::new("<stdin>", text),
            diagnostics,
        )),
        Err(Error::Layout(why)) => Err(format!("cannot format standard input: {why}")),
    }
}

fn explain(code: &str) -> Result<ExitCode, String> {
    match tapc::explain::text(code) {
        Some(text) => {
            print_out(text)?;
            Ok(ExitCode::SUCCESS)
        }
        None => Err(format!(
            "unknown code `{code}`; codes look like E201 or W301 (see README)"
        )),
    }
}

fn print_out(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`tapc check | head`) is not an error of ours.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("cannot write output: {}", tapc::io_reason(&e))),
    }
}
