//! Command-line parsing and dispatch. Exit codes: 0 every check passed, 1 a check failed,
//! 2 a script or world error, 64 a usage error. `kvmlab check` has its own: 0 clean,
//! 1 findings, 2 usage (a missing file, a pattern matching nothing).

use crate::console;
use clap::{Parser, Subcommand, ValueEnum};
use kvmlab_runtime::run::{self, RunOptions};
use std::io::IsTerminal;
use std::path::PathBuf;

pub const EXIT_USAGE: i32 = 64;

#[derive(Parser)]
#[command(
    name = "kvmlab",
    version,
    about = "A scripting workbench for KVM virtualization training labs",
    long_about = "A scripting workbench for KVM virtualization training labs.\n\n\
        Labs are Rhai scripts that build and check a two-host KVM lab on a deterministic \
        simulator: no root and no KVM needed."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a lab and report each step's checks
    Run {
        /// The lab script, e.g. labs/live-migration.rhai
        file: PathBuf,
        /// Output format of the run report
        #[arg(long, value_enum, default_value_t = Format::Console)]
        report: Format,
        /// Seed of the simulator's randomness: the same seed gives the same run
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Directory for the lab's files (plots, exported configs)
        #[arg(long, default_value = "out")]
        out: PathBuf,
    },
    /// Find mistakes in labs without running them: syntax, unknown functions, methods,
    /// properties, imports and keyword-map keys. Exit 0 clean, 1 findings, 2 usage
    Check {
        /// Lab scripts or glob patterns, e.g. labs/*.rhai
        files: Vec<String>,
    },
    /// Print the script reference (Markdown), or the entry for one name
    Doc {
        /// A function, `Type.method`, type, keyword map ("host spec") or stdlib module
        name: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Steps, checks and a summary table, for people
    Console,
    /// One JSON document on stdout, for graders and tools
    Json,
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { 0 };
        }
    };
    let color = std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal();
    match cli.command {
        Command::Run {
            file,
            report,
            seed,
            out,
        } => {
            let options = RunOptions {
                seed,
                out_dir: out,
                ..RunOptions::default()
            };
            let lab = run::run_file(&file, &options);
            match report {
                Format::Console => print!("{}", console::render_run(&lab.report, color)),
                Format::Json => println!("{}", lab.report.to_json()),
            }
            eprint!(
                "{}",
                console::render_diagnostics(&lab, color && std::io::stderr().is_terminal())
            );
            lab.report.exit_code()
        }
        Command::Check { files } => check(&files, color && std::io::stderr().is_terminal()),
        Command::Doc { name } => doc(name.as_deref()),
    }
}

/// Exit codes of `kvmlab check`.
const CHECK_FINDINGS: i32 = 1;
const CHECK_USAGE: i32 = 2;

fn check(patterns: &[String], color: bool) -> i32 {
    let files = match expand(patterns) {
        Ok(files) => files,
        Err(message) => {
            eprintln!("kvmlab check: {message}");
            return CHECK_USAGE;
        }
    };
    let catalog = run::catalog();
    let mut findings = 0;
    for file in &files {
        let diagnostics = run::check_file(file, &catalog);
        if diagnostics.is_empty() {
            println!("{}: ok", file.display());
            continue;
        }
        for diagnostic in &diagnostics {
            // A finding may be in an imported lab file rather than the one checked.
            let source = std::fs::read_to_string(&diagnostic.file).ok();
            eprint!("{}", diagnostic.render(source.as_deref(), color));
        }
        findings += diagnostics.len();
    }
    if findings == 0 {
        0
    } else {
        eprintln!("{findings} finding(s) in {} file(s)", files.len());
        CHECK_FINDINGS
    }
}

/// The files the arguments name: paths as given, patterns with `*`, `?` or `[` expanded (for
/// shells that pass them on). A missing file or a pattern matching nothing is a usage error.
fn expand(patterns: &[String]) -> Result<Vec<PathBuf>, String> {
    if patterns.is_empty() {
        return Err("name the labs to check, e.g. `kvmlab check labs/*.rhai`".into());
    }
    let mut files = Vec::new();
    for pattern in patterns {
        if pattern.contains(['*', '?', '[']) {
            let matched = glob_files(pattern);
            if matched.is_empty() {
                return Err(format!("no file matches `{pattern}`"));
            }
            files.extend(matched);
        } else {
            let path = PathBuf::from(pattern);
            if !path.is_file() {
                let what = if path.is_dir() {
                    "is a directory"
                } else {
                    "does not exist"
                };
                return Err(format!("`{pattern}` {what}"));
            }
            files.push(path);
        }
    }
    Ok(files)
}

/// Files matching a pattern whose last component may hold `*`, `?` and `[...]`, sorted.
fn glob_files(pattern: &str) -> Vec<PathBuf> {
    let path = std::path::Path::new(pattern);
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut matched: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .filter(|e| wildcard(&name, &e.file_name().to_string_lossy()))
        .map(|e| {
            if path.parent().is_some_and(|p| !p.as_os_str().is_empty()) {
                dir.join(e.file_name())
            } else {
                PathBuf::from(e.file_name())
            }
        })
        .collect();
    matched.sort();
    matched
}

/// Shell wildcard matching of one file name: `*`, `?` and `[abc]`.
fn wildcard(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some(('*', rest)) => (0..=n.len()).any(|i| go(rest, &n[i..])),
            Some(('?', rest)) => !n.is_empty() && go(rest, &n[1..]),
            Some(('[', rest)) => match (rest.iter().position(|c| *c == ']'), n.split_first()) {
                (Some(end), Some((c, n_rest))) => {
                    rest[..end].contains(c) && go(&rest[end + 1..], n_rest)
                }
                _ => false,
            },
            Some((c, rest)) => n.first() == Some(c) && go(rest, &n[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n)
}

fn doc(name: Option<&str>) -> i32 {
    let catalog = run::catalog();
    match name {
        None => {
            print!("{}", catalog.to_markdown());
            0
        }
        Some(name) => match catalog.describe(name) {
            Some(text) => {
                print!("{text}");
                0
            }
            None => {
                let names = catalog.doc_names();
                let near = kvmlab_runtime::suggest::closest(name, names.iter().map(String::as_str));
                match near {
                    Some(near) => {
                        eprintln!("kvmlab doc: nothing is called `{name}`; did you mean `{near}`?")
                    }
                    None => eprintln!(
                        "kvmlab doc: nothing is called `{name}`; `kvmlab doc` lists everything"
                    ),
                }
                EXIT_USAGE
            }
        },
    }
}
