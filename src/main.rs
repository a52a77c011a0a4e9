//! The `tapc` command line: a thin layer over the library.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use tapc::diag::{render_human, render_json, render_sarif, Report, Severity, SourceFile};

/// Lowering allocates and frees thousands of small blocks a stack: see `heap`.
#[global_allocator]
static HEAP: tapc::heap::Classes = tapc::heap::Classes;

#[derive(Parser)]
#[command(
    name = "tapc",
    version,
    about = "Compiles .tap disaster-recovery platforms to CloudFormation"
)]
struct Cli {
    /// Colour of diagnostics: `auto` only on a terminal; never while NO_COLOR is set
    #[arg(long, global = true, value_enum, default_value = "auto")]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Whether human diagnostics are coloured, decided once from `--color`.
static COLOR: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

fn color() -> bool {
    *COLOR.get().unwrap_or(&false)
}

/// https://no-color.org: a non-empty NO_COLOR turns colour off.
fn decide_color(choice: ColorChoice) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color
        && match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => std::io::stderr().is_terminal(),
        }
}

#[derive(Subcommand)]
enum Command {
    /// Check programs and report every problem found
    Check {
        /// Programs to check; `-` reads one from standard input
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Make a warning an error (exit status 1): a code (W301), a prefix (W4)
        /// or `warnings` for all of them; repeatable
        #[arg(long, value_name = "CODE|warnings", value_parser = parse_deny)]
        deny: Vec<String>,
        /// Silence a warning: a code (W301) or a prefix (W4); repeatable. The
        /// most specific of --allow and --deny wins
        #[arg(long, value_name = "CODE", value_parser = parse_allow)]
        allow: Vec<String>,
        /// Override a param: NAME=VALUE
        #[arg(long = param_long(), value_name = "NAME=VALUE", value_parser = parse_param)]
        params: Vec<(String, String)>,
    },
    /// Check a program and write its CloudFormation templates and manifest
    Build {
        /// The program to build; `-` reads it from standard input
        file: PathBuf,
        /// Output directory (replaced only if it holds a previous build)
        #[arg(short, long, default_value = "out")]
        output: PathBuf,
        /// Override a param: NAME=VALUE
        #[arg(long = param_long(), value_name = "NAME=VALUE", value_parser = parse_param)]
        params: Vec<(String, String)>,
    },
    /// Print the resolved dependency graph and its stacks
    Graph {
        /// The program; `-` reads it from standard input
        file: PathBuf,
        /// How the graph is printed
        #[arg(long, value_enum, default_value = "dot")]
        format: GraphFormat,
        /// Override a param: NAME=VALUE
        #[arg(long = param_long(), value_name = "NAME=VALUE", value_parser = parse_param)]
        params: Vec<(String, String)>,
    },
    /// Print the long explanation of a diagnostic code
    Explain {
        /// A code as diagnostics show it: E304, W301
        code: String,
    },
    /// Deploy a build's stacks with `aws cloudformation deploy`, wave after wave
    Deploy {
        /// A directory written by `tapc build`
        dir: PathBuf,
        /// Print the commands instead of running them
        #[arg(long)]
        dry_run: bool,
        /// How many stacks of one wave are deployed at a time
        #[arg(long, value_name = "N", default_value = "4",
              value_parser = clap::value_parser!(u16).range(1..))]
        concurrency: u16,
        /// Bucket for templates over 51,200 bytes: [REGION=]BUCKET, `{region}` in
        /// the name stands for the stack's region
        #[arg(long = "s3-bucket", value_name = "[REGION=]BUCKET")]
        s3_buckets: Vec<String>,
    },
    /// Print a shell completion script: bash, zsh, fish, powershell or elvish
    Completions {
        /// The shell to complete in
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `tapc man > tapc.1; man ./tapc.1`
    #[command(hide = true)]
    Man,
    /// Rewrite programs in the canonical layout (`-`: standard input to standard output)
    Fmt {
        /// Programs to format in place; `-` formats standard input to standard output
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Write nothing; list the files whose layout would change (exit status 1)
        #[arg(long)]
        check: bool,
    },
    /// Run the language server on standard input and output (for editors)
    Lsp,
}

#[derive(Clone, Copy, ValueEnum)]
enum GraphFormat {
    /// Graphviz (`dot -Tsvg`)
    Dot,
    /// A Mermaid flowchart (renders in GitHub and GitLab Markdown)
    Mermaid,
    /// Nodes, edges and stacks as one JSON document
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Graphical reports on standard error
    Human,
    /// One JSON document (with `format_version`)
    Json,
    /// SARIF 2.1.0, for GitHub code scanning
    Sarif,
    /// GitHub Actions workflow commands (annotations)
    Github,
    /// GitLab Code Quality report
    Gitlab,
}

/// `--deny` takes `warnings` (every warning) or codes like `--allow`.
fn parse_deny(s: &str) -> Result<String, String> {
    if s == "warnings" {
        return Ok("W".to_string());
    }
    parse_code(s)
}

/// `--allow` takes a warning code or a prefix of warning codes only: an error
/// cannot be silenced.
fn parse_allow(s: &str) -> Result<String, String> {
    let code = parse_code(s)?;
    if code.starts_with('E') {
        return Err(format!(
            "`{s}` names errors, which cannot be allowed (only W codes can)"
        ));
    }
    Ok(code)
}

/// A code or a prefix of codes (case-insensitive) that names some code.
fn parse_code(s: &str) -> Result<String, String> {
    let code = s.to_ascii_uppercase();
    if tapc::explain::CODES
        .iter()
        .any(|(c, _)| c.starts_with(&code))
        && !code.is_empty()
    {
        Ok(code)
    } else {
        Err(format!(
            "no diagnostic code is or starts with `{s}` (codes look like W301; `tapc explain CODE`)"
        ))
    }
}

/// What `--allow` and `--deny` make of warnings.
struct Lints {
    allow: Vec<String>,
    deny: Vec<String>,
}

impl Lints {
    /// Applies the most specific matching prefix to each warning (`--deny` on
    /// a tie): dropped when allowed, made an error when denied.
    fn apply(&self, diagnostics: &mut Vec<tapc::diag::Diagnostic>) {
        let longest = |list: &[String], code: &str| {
            list.iter()
                .filter(|p| code.starts_with(p.as_str()))
                .map(String::len)
                .max()
        };
        diagnostics.retain_mut(|d| {
            if d.severity != Severity::Warning {
                return true;
            }
            match (longest(&self.allow, d.code), longest(&self.deny, d.code)) {
                (Some(a), deny) if deny.is_none_or(|n| a > n) => false,
                (_, Some(_)) => {
                    d.severity = Severity::Error;
                    true
                }
                _ => true,
            }
        });
    }
}

/// `--param` without its dashes: the option is spelled once, in
/// `tapc::PARAM_OPTION`, which the checker's messages quote.
fn param_long() -> &'static str {
    tapc::PARAM_OPTION.trim_start_matches('-')
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
    let _ = COLOR.set(decide_color(cli.color));
    let result = match cli.command {
        Command::Check {
            files,
            format,
            deny,
            allow,
            params,
        } => check(&files, format, &Lints { allow, deny }, &params),
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
        Command::Deploy {
            dir,
            dry_run,
            concurrency,
            s3_buckets,
        } => deploy(&dir, dry_run, usize::from(concurrency), &s3_buckets),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "tapc", &mut script);
            print_out(&String::from_utf8_lossy(&script)).map(|()| ExitCode::SUCCESS)
        }
        Command::Man => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .map_err(|e| format!("cannot render the manual page: {e}"))
                .and_then(|()| print_out(&String::from_utf8_lossy(&page)))
                .map(|()| ExitCode::SUCCESS)
        }
        Command::Fmt { files, check } => fmt(&files, check),
        Command::Lsp => tapc::lsp::run().map(|()| ExitCode::SUCCESS),
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
    lints: &Lints,
    params: &[(String, String)],
) -> Result<ExitCode, String> {
    let mut programs: Vec<tapc::Program> = Vec::new();
    if paths.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return Err("`-` (standard input) can be given only once".to_string());
    }
    // A file that cannot be read is reported at once; the others are still
    // checked and reported, and the exit status is 2 at the end.
    let mut unreadable = 0;
    for path in paths {
        let checked = if path.as_os_str() == "-" {
            read_stdin().and_then(|read| {
                tapc::check_read(read, tapc::Given::command_line(params)).map_err(not_checked)
            })
        } else {
            tapc::check_path(path, tapc::Given::command_line(params)).map_err(not_checked)
        };
        let mut program = match checked {
            Ok(program) => program,
            Err(message) => {
                eprintln!("tapc: {message}");
                unreadable += 1;
                continue;
            }
        };
        lints.apply(&mut program.checked.diagnostics);
        program.cap();
        programs.push(program);
    }
    let reports: Vec<Report> = programs.iter().map(tapc::Program::report).collect();
    let errors: usize = reports.iter().map(|r| r.count(Severity::Error)).sum();
    let warnings: usize = reports.iter().map(|r| r.count(Severity::Warning)).sum();
    match format {
        Format::Human => {
            // The report and its count in one write (standard error is not
            // buffered: `eprint!` writes each piece of a format on its own).
            let mut report = render_human(&reports, color());
            if errors > 0 || warnings > 0 {
                report += &format!("{errors} error(s), {warnings} warning(s)\n");
            }
            eprint!("{report}");
            let mut out = String::new();
            for program in &programs {
                if let Some(model) = &program.checked.model {
                    out.push_str(&tapc::summary::check(model));
                }
            }
            print_out(&out)?;
        }
        Format::Json => print_out(&format!("{:#}\n", render_json(&reports)))?,
        Format::Sarif => print_out(&format!("{:#}\n", render_sarif(&reports)))?,
        Format::Github => print_out(&tapc::diag::render_github(&reports))?,
        Format::Gitlab => print_out(&format!("{:#}\n", tapc::diag::render_gitlab(&reports)))?,
    }
    // The process ends next: freeing the programs would only run their
    // destructors' code, for the first time and to no purpose (BENCHMARKS.md,
    // Start-up).
    drop(reports);
    std::mem::forget(programs);
    if unreadable > 0 {
        if paths.len() > 1 {
            eprintln!(
                "tapc: {unreadable} of {} files were not checked",
                paths.len()
            );
        }
        return Ok(ExitCode::from(2));
    }
    Ok(if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Why a program was not checked, in the command line's words.
fn not_checked(e: tapc::Error) -> String {
    let p = match e {
        tapc::Error::Read(message) => return message,
        tapc::Error::UnknownParam(p) => p,
    };
    let hint = match (&p.meant, p.declared.as_slice()) {
        (Some(s), _) => format!(" (did you mean `{s}`?)"),
        (None, []) => " (the program declares no params)".into(),
        (None, declared) => format!(" (the params are: {})", declared.join(", ")),
    };
    format!(
        "{} {}: the program declares no param {}{hint}",
        tapc::PARAM_OPTION,
        tapc::diag::visible(&p.name),
        tapc::diag::quote(&p.name)
    )
}

/// Standard input as a program named `<stdin>`.
fn read_stdin() -> Result<(SourceFile, Option<tapc::diag::Diagnostic>), String> {
    tapc::read_program(
        "<stdin>".to_string(),
        tapc::diag::FileId::ROOT,
        std::io::stdin().lock(),
        0,
    )
    .map_err(|e| format!("cannot read standard input: {}", tapc::io_reason(&e)))
}

/// Reads and checks one program (`-`: standard input), printing its
/// diagnostics to stderr.
fn checked_program(
    path: &std::path::Path,
    params: &[(String, String)],
) -> Result<tapc::Program, String> {
    let given = tapc::Given::command_line(params);
    let mut program = if path.as_os_str() == "-" {
        tapc::check_read(read_stdin()?, given)
    } else {
        tapc::check_path(path, given)
    }
    .map_err(not_checked)?;
    program.cap();
    eprint!("{}", render_human(&[program.report()], color()));
    Ok(program)
}

fn build(
    path: &std::path::Path,
    out: &std::path::Path,
    params: &[(String, String)],
) -> Result<ExitCode, String> {
    let mut program = checked_program(path, params)?;
    let Some(model) = program.checked.model.take() else {
        // Named as its diagnostics name it (`<stdin>` for `-`).
        eprintln!(
            "tapc: {} has errors; nothing was written",
            program.files[0].name
        );
        return Ok(ExitCode::from(1));
    };
    // Templates go to disk as they are made, their resources before their
    // outputs: the output of a large platform is never all in memory.
    let dir = tapc::OutputDir::create(out, path)?;
    let lowered = tapc::lower::lower_with(&model, |_, name, text, last| {
        dir.write_part(&name, &text, last)
    });
    let lowered = match lowered {
        Ok(lowered) => lowered,
        Err(mut diagnostics) => {
            let mut hidden = tapc::diag::Hidden::default();
            tapc::diag::cap(&mut diagnostics, &mut hidden);
            let report = Report {
                files: &program.files,
                diagnostics: &diagnostics,
                hidden,
            };
            eprint!("{}", render_human(&[report], color()));
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
    let program = checked_program(path, params)?;
    let Some(model) = &program.checked.model else {
        // What resolves, drawn all the same: a `needs` cycle is best seen.
        let sketch = tapc::sketch::sketch_program(&program.files);
        print_out(&match format {
            GraphFormat::Dot => sketch.to_dot(),
            GraphFormat::Mermaid => sketch.to_mermaid(),
            GraphFormat::Json => format!("{:#}\n", sketch.to_json()),
        })?;
        eprintln!(
            "tapc: {} has errors; the graph shows its services and needs as written",
            program.files[0].name
        );
        return Ok(ExitCode::from(1));
    };
    let plan = tapc::lower::plan(model);
    let text = match format {
        GraphFormat::Dot => tapc::graph::to_dot(&plan, model),
        GraphFormat::Mermaid => tapc::graph::to_mermaid(&plan, model),
        GraphFormat::Json => format!("{:#}\n", tapc::graph::to_json(&plan, model)),
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

fn deploy(
    dir: &std::path::Path,
    dry_run: bool,
    concurrency: usize,
    buckets: &[String],
) -> Result<ExitCode, String> {
    let buckets = tapc::deploy::Buckets::parse(buckets)?;
    let stacks = tapc::deploy::load(dir)?;
    if dry_run {
        print_out(&tapc::deploy::dry_run(&stacks, &buckets, concurrency)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    // Progress goes out line by line as stacks start and end; a closed pipe
    // does not stop a deployment.
    let say = |text: &str| {
        let _ = print_out(text);
    };
    Ok(
        if tapc::deploy::run(&stacks, &buckets, concurrency, &say)? {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        },
    )
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
                let report = [Report::single(&file, &diagnostics)];
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
