//! Command-line parsing and dispatch. Exit codes: 0 every check passed, 1 a check failed,
//! 2 a script or world error, 64 a usage error.

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
    /// Parse a lab without running it and report syntax errors
    Check {
        /// The lab script
        file: PathBuf,
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
        Command::Check { file } => {
            let options = RunOptions {
                parse_only: true,
                ..RunOptions::default()
            };
            let lab = run::run_file(&file, &options);
            eprint!(
                "{}",
                console::render_diagnostics(&lab, color && std::io::stderr().is_terminal())
            );
            if lab.report.has_errors() {
                2
            } else {
                println!("{}: ok", file.display());
                0
            }
        }
    }
}
