//! Command-line parsing and dispatch. Exit codes: 0 every check passed, 1 a check failed (or,
//! with `--strict`, a warning the lab did not expect), 2 a script or world error, 64 a usage
//! error (a bad flag, a lab file that is missing or a directory).

use crate::console;
use clap::{Parser, Subcommand, ValueEnum};
use kvmlab_runtime::run::{self, RunOptions};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

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
        /// Also show the warnings the lab expects (expect_warning, documented stdlib ones)
        #[arg(long, short)]
        verbose: bool,
        /// Fail the run (exit 1) on any warning the lab does not expect
        #[arg(long)]
        strict: bool,
        /// When to color the output: auto means on a terminal and NO_COLOR unset or empty
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Parse a lab without running it and report syntax errors
    Check {
        /// The lab script
        file: PathBuf,
        /// When to color the output: auto means on a terminal and NO_COLOR unset or empty
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to color text written to a stream that is (or is not) a terminal.
    fn colors(self, terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            // https://no-color.org: NO_COLOR counts only when it is set and not empty.
            ColorChoice::Auto => {
                terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

/// A lab path that cannot be run is a usage error: one line, exit 64.
fn unusable(file: &Path) -> Option<String> {
    let shown = file.display();
    match std::fs::metadata(file) {
        Ok(meta) if meta.is_dir() => Some(match first_lab_in(file) {
            Some(lab) => format!(
                "kvmlab: `{shown}` is a directory; give a lab file, e.g. `{}`",
                lab.display()
            ),
            None => format!("kvmlab: `{shown}` is a directory with no .rhai lab in it"),
        }),
        Ok(_) => None,
        Err(e) => Some(format!("kvmlab: cannot read `{shown}`: {e}")),
    }
}

/// The first `.rhai` file of `dir` by name, to suggest one that exists.
fn first_lab_in(dir: &Path) -> Option<PathBuf> {
    let mut labs: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_file() && path.extension().is_some_and(|e| e == "rhai"))
        .collect();
    labs.sort();
    labs.into_iter().next()
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
    match cli.command {
        Command::Run {
            file,
            report,
            seed,
            out,
            verbose,
            strict,
            color,
        } => {
            if let Some(problem) = unusable(&file) {
                eprintln!("{problem}");
                return EXIT_USAGE;
            }
            let options = RunOptions {
                seed,
                out_dir: out,
                ..RunOptions::default()
            };
            let lab = run::run_file(&file, &options);
            let view = console::View {
                color: color.colors(std::io::stdout().is_terminal()),
                verbose,
                strict,
            };
            match report {
                Format::Console => print!("{}", console::render_run(&lab.report, &view)),
                Format::Json => println!("{}", lab.report.to_json()),
            }
            let view = console::View {
                color: color.colors(std::io::stderr().is_terminal()),
                ..view
            };
            eprint!("{}", console::render_diagnostics(&lab, &view));
            lab.report.exit_code_strict(strict)
        }
        Command::Check { file, color } => {
            if let Some(problem) = unusable(&file) {
                eprintln!("{problem}");
                return EXIT_USAGE;
            }
            let options = RunOptions {
                parse_only: true,
                ..RunOptions::default()
            };
            let lab = run::run_file(&file, &options);
            let view = console::View {
                color: color.colors(std::io::stderr().is_terminal()),
                verbose: true,
                strict: false,
            };
            eprint!("{}", console::render_diagnostics(&lab, &view));
            if lab.report.has_errors() {
                2
            } else {
                println!("{}: ok", file.display());
                0
            }
        }
    }
}
