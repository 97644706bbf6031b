//! Command-line parsing and dispatch. Exit codes: 0 every check passed, 1 a check failed (or,
//! with `--strict`, a warning the lab did not expect), 2 a script or world error, 64 a usage
//! error (a bad flag, a lab file that is missing or a directory). `kvmlab check` has its own:
//! 0 clean, 1 findings, 2 usage (a missing file, a pattern matching nothing). So has
//! `kvmlab grade`: 0 graded (whatever the scores), 1 the exercise is broken, 2 usage (its
//! bad flags included). `kvmlab up` and `kvmlab down`: 0 done, 1 refused or failed; `kvmlab
//! status`: 0 everything up, 1 otherwise. `kvmlab calibrate`: 0 compared, 1 refused or
//! failed, 130 interrupted.

use crate::calibrate;
use crate::console;
use crate::grade;
use crate::repl;
use crate::up;
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
        /// Start at step N, as the report numbers steps: the steps before it run to bring
        /// the lab to the state step N starts from, and are left out of the report
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
        from: Option<u32>,
        /// When to color the output: auto means on a terminal and NO_COLOR unset or empty
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
        #[command(flatten)]
        real: RealHosts,
    },
    /// Find mistakes in labs without running them: syntax, unknown functions, methods,
    /// properties, imports and keyword-map keys. Exit 0 clean, 1 findings, 2 usage
    Check {
        /// Lab scripts or glob patterns, e.g. labs/*.rhai
        files: Vec<String>,
        /// When to color the output: auto means on a terminal and NO_COLOR unset or empty
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// The interactive console: type a lab a line at a time in one world that lasts the
    /// session. Piped (no terminal), it reads the lines and exits 1 if an input failed
    Repl {
        /// A lab to run first; its world and variables stay to explore
        file: Option<PathBuf>,
        /// An exercise to work on: its folder, or its name in labs/exercises/. Its setup
        /// builds the lab first, and `:check` grades the work so far
        #[arg(long, value_name = "NAME")]
        exercise: Option<String>,
        /// Seed of the simulator's randomness; default 0, or the exercise's seed
        #[arg(long)]
        seed: Option<u64>,
        /// Folder for the files the inputs save (`save_text`, plots), as `kvmlab run --out`
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// When to color the output: auto means on a terminal and NO_COLOR unset or empty
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Write a lab's reference state before one of its steps to a checkpoint file, for an
    /// exercise to start from (`[setup] checkpoint = FILE`). Exit 0 written, 1 the lab
    /// failed before the step, 2 usage
    Checkpoint {
        /// The lab, e.g. labs/live-migration.rhai
        lab: PathBuf,
        /// The step the state is from before, as `:step` numbers the lab's steps, from 1
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
        step: u32,
        /// Seed of the simulator's randomness, as the exercise runs with
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Folder the file goes in, as <lab>-before-step-<N>.checkpoint.toml
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// When to color the diagnostics: auto means on a terminal and NO_COLOR unset or
        /// empty
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Print the script reference (Markdown), or the entry for one name
    Doc {
        /// A function, `Type.method`, type, keyword map ("host spec") or stdlib module
        name: Option<String>,
    },
    /// Grade a class's submissions against an exercise, each in a process of its own.
    /// Exit 0 graded (whatever the scores), 1 the exercise is broken, 2 usage
    Grade {
        /// The exercise's folder, e.g. labs/exercises/network
        exercise: PathBuf,
        /// Submissions (a .rhai file or a folder each), or the class's folder holding one
        /// per student
        submissions: Vec<PathBuf>,
        /// What to write: a table for people, or an export
        #[arg(long, value_enum, default_value_t = GradeFormat::Table)]
        format: GradeFormat,
        /// Write the export to this file (and, for two or more submissions, an SVG
        /// histogram of the scores beside it as <stem>-scores.svg); default stdout
        #[arg(long)]
        out: Option<PathBuf>,
        /// Submissions graded at once; default one per core
        #[arg(long)]
        jobs: Option<usize>,
        /// Check the exercise itself: the solution gets full marks, the starter does not,
        /// every mutant scores below full and every rubric item fails on some mutant
        #[arg(long)]
        self_test: bool,
        /// When to color the table and diagnostics: auto means on a terminal and NO_COLOR
        /// unset or empty
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Start a real two-host KVM lab on this machine (root): libvirtd sv1 and sv2 and an
    /// iSCSI NAS (tgtd), in the network namespace `kvmlab`. Prints their URIs
    Up {
        /// The lab's state folder; default /var/lib/kvmlab for root
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Show what of the real lab is up. Exit 0 all up, 1 otherwise
    Status {
        /// The lab's state folder, as given to `kvmlab up`
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Take the real lab down: every process, mount, namespace and file `kvmlab up` made
    Down {
        /// The lab's state folder, as given to `kvmlab up`
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Migrate a sweep of points on a real lab (`kvmlab up`) and print real QEMU beside the
    /// simulator's prediction: total time, downtime, bytes and syncs, with the error in
    /// percent. With `--against FILE`, compare recorded runs instead (no lab, no root).
    /// Exit 0 compared, 1 refused or failed, 130 interrupted
    Calibrate {
        /// Compare against real runs recorded as JSON lines instead of migrating
        #[arg(long, value_name = "FILE.jsonl")]
        against: Option<PathBuf>,
        /// Five points (under 2 minutes) instead of the full sweep of 36 (12 to 15 minutes)
        #[arg(long, conflicts_with = "against")]
        quick: bool,
        /// The lab's state folder, as given to `kvmlab up`; default /var/lib/kvmlab for root
        #[arg(long, value_name = "DIR", conflicts_with = "against")]
        lab: Option<PathBuf>,
        /// Also write the comparison as JSON to this file under --out
        #[arg(long, value_name = "FILE")]
        json: Option<String>,
        /// Also plot predicted against real total time and downtime to this SVG under --out
        #[arg(long, value_name = "FILE")]
        svg: Option<String>,
        /// Also write the real runs as JSON lines under --out, to compare again with --against
        #[arg(long, value_name = "FILE", conflicts_with = "against")]
        record: Option<String>,
        /// Folder for the files --json, --svg and --record write
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// The name of the guest the sweep defines on the lab's hosts
        #[arg(
            long,
            value_name = "NAME",
            default_value = "kvmlab-calibrate",
            conflicts_with = "against"
        )]
        guest: String,
        /// When to draw the table with box characters: auto means on a terminal and NO_COLOR
        /// unset or empty
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Grade one submission and print its grade as JSON (what `grade` runs per submission)
    #[command(name = "grade-worker", hide = true)]
    GradeWorker {
        exercise: PathBuf,
        submission: PathBuf,
    },
}

/// Where a lab runs: the simulator, or real hosts through libvirt.
#[derive(clap::Args)]
struct RealHosts {
    /// What runs the lab: the simulator, or real KVM hosts through libvirt
    #[arg(long, value_enum, default_value_t = BackendName::Sim)]
    backend: BackendName,
    /// A real host for `--backend libvirt`, as NAME=URI (repeat it per host), e.g.
    /// `--host sv1=qemu+ssh://root@sv1/system`
    #[arg(long = "host", value_name = "NAME=URI")]
    hosts: Vec<String>,
    /// The state folder of a `kvmlab up` lab to run on with `--backend libvirt`; default
    /// /var/lib/kvmlab when no --host is given
    #[arg(long, value_name = "DIR")]
    lab: Option<PathBuf>,
    /// The NAS LUN real hosts share for guests' disks, as iscsi://PORTAL[:PORT]/IQN/LUN
    /// (a `kvmlab up` lab names its own)
    #[arg(long, value_name = "URI")]
    nas: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BackendName {
    /// The deterministic simulator: no root, no KVM
    Sim,
    /// Real hosts through libvirt (a kvmlab built with `--features libvirt`)
    Libvirt,
}

/// How long a lab on real hosts may take: real guests boot and migrate in real time.
const REAL_WALL_TIME: std::time::Duration = std::time::Duration::from_secs(3600);

impl RealHosts {
    /// The run's backend and its limits; `Err` is the exit code after saying why not.
    fn choice(&self, options: &mut RunOptions, color: bool) -> Result<(), i32> {
        if self.backend == BackendName::Sim {
            if !self.hosts.is_empty() || self.lab.is_some() || self.nas.is_some() {
                eprintln!("kvmlab: `--host`, `--lab` and `--nas` name real hosts: give `--backend libvirt` with them");
                return Err(EXIT_USAGE);
            }
            return Ok(());
        }
        match up::site::for_run(&self.hosts, self.lab.as_deref(), self.nas.as_deref()) {
            Ok(site) => {
                #[cfg(feature = "libvirt")]
                kvmlab_runtime::libvirt::show_jobs_with(|title| {
                    crate::progress::JobBar::on_terminal(title)
                        .map(crate::progress::JobBar::into_observer)
                });
                options.backend = run::BackendChoice::Libvirt(Box::new(site));
                options.limits.wall_time = REAL_WALL_TIME;
                Ok(())
            }
            Err(error) => {
                let diagnostic = kvmlab_runtime::diagnostic::Diagnostic::new(
                    &error,
                    kvmlab_runtime::error::Severity::Error,
                    "kvmlab run",
                    0,
                    0,
                );
                eprint!("{}", diagnostic.render(None, color));
                Err(2)
            }
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum GradeFormat {
    /// One row per student and the class summary, for people
    Table,
    /// kvmlab's full format: the exercise, every grade and the summary
    Json,
    /// Gradescope's results.json, for exactly one submission
    Gradescope,
    /// JUnit XML: a test suite per student, a test case per rubric item
    Junit,
    /// A gradebook: one row per student, one column per rubric item
    Csv,
}

impl From<GradeFormat> for grade::Export {
    fn from(format: GradeFormat) -> Self {
        match format {
            GradeFormat::Table => grade::Export::Table,
            GradeFormat::Json => grade::Export::Json,
            GradeFormat::Gradescope => grade::Export::Gradescope,
            GradeFormat::Junit => grade::Export::Junit,
            GradeFormat::Csv => grade::Export::Csv,
        }
    }
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

/// Why a lab path cannot be read as a lab (missing, unreadable, a directory), in one line.
fn unusable(file: &Path) -> Option<String> {
    let shown = file.display();
    match std::fs::metadata(file) {
        Ok(meta) if meta.is_dir() => Some(match first_lab_in(file) {
            Some(lab) => format!(
                "`{shown}` is a directory; give a lab file, e.g. `{}`",
                lab.display()
            ),
            None => format!("`{shown}` is a directory with no .rhai lab in it"),
        }),
        Ok(_) => None,
        Err(e) => Some(format!("cannot read `{shown}`: {e}")),
    }
}

/// The exercise `kvmlab repl --exercise NAME` works on, loaded and checked as `kvmlab grade`
/// loads it; an unknown name is a usage error, a broken exercise its diagnostics and exit 2.
fn console_exercise(name: &str, color: bool) -> Result<kvmlab_runtime::grade::Exercise, i32> {
    let dir = repl::exercise::find(name).map_err(|error| {
        eprint!("{}", repl::exercise::refusal(&error));
        EXIT_USAGE
    })?;
    kvmlab_runtime::grade::Exercise::load(&dir).map_err(|diagnostics| {
        eprint!("{}", grade::render_problems(&diagnostics, color));
        eprintln!(
            "kvmlab repl: the exercise `{}` is broken: {} problem(s); the console did not start",
            dir.display(),
            diagnostics.len()
        );
        2
    })
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
            if !e.use_stderr() {
                return 0;
            }
            // `kvmlab grade` keeps 1 for a broken exercise and 2 for usage, bad flags too.
            let grading = std::env::args().nth(1).is_some_and(|a| a == "grade");
            return if grading {
                grade::EXIT_USAGE
            } else {
                EXIT_USAGE
            };
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
            from,
            color,
            real,
        } => {
            if let Some(problem) = unusable(&file) {
                eprintln!("kvmlab: {problem}");
                return EXIT_USAGE;
            }
            let mut options = RunOptions {
                seed,
                out_dir: out,
                from_step: from.map(|n| n as usize),
                ..RunOptions::default()
            };
            if let Err(code) =
                real.choice(&mut options, color.colors(std::io::stderr().is_terminal()))
            {
                return code;
            }
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
        Command::Check { files, color } => {
            check(&files, color.colors(std::io::stderr().is_terminal()))
        }
        Command::Doc { name } => doc(name.as_deref()),
        Command::Checkpoint {
            lab,
            step,
            seed,
            out,
            color,
        } => checkpoint(
            &lab,
            step as usize,
            seed,
            &out,
            color.colors(std::io::stderr().is_terminal()),
        ),
        Command::Repl {
            file,
            exercise,
            seed,
            out,
            color,
        } => {
            if let Some(problem) = file.as_deref().and_then(unusable) {
                eprintln!("kvmlab: {problem}");
                return EXIT_USAGE;
            }
            let exercise = match exercise
                .as_deref()
                .map(|name| console_exercise(name, color.colors(std::io::stderr().is_terminal())))
                .transpose()
            {
                Ok(exercise) => exercise,
                Err(code) => return code,
            };
            let seed = seed
                .or(exercise.as_ref().map(|e| e.config.seed))
                .unwrap_or(0);
            repl::run(repl::Options {
                file,
                exercise,
                seed,
                out,
                color: color.colors(std::io::stdout().is_terminal()),
            })
        }
        Command::Grade {
            exercise,
            submissions,
            format,
            out,
            jobs,
            self_test,
            color,
        } => grade::run(&grade::Request {
            exercise,
            submissions,
            export: format.into(),
            out,
            jobs,
            self_test,
            color: color.colors(std::io::stdout().is_terminal()),
            color_diagnostics: color.colors(std::io::stderr().is_terminal()),
        }),
        Command::GradeWorker {
            exercise,
            submission,
        } => grade::worker(&exercise, &submission),
        Command::Up { dir } => up::up(&up::state_dir(dir)),
        Command::Status { dir } => up::status(&up::state_dir(dir)),
        Command::Down { dir } => up::down(&up::state_dir(dir)),
        Command::Calibrate {
            against,
            quick,
            lab,
            json,
            svg,
            record,
            out,
            guest,
            color,
        } => calibrate::run(&calibrate::Request {
            against,
            quick,
            lab,
            json,
            svg,
            record,
            out,
            guest,
            unicode: color.colors(std::io::stdout().is_terminal()),
        }),
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
            if let Some(problem) = unusable(&path) {
                return Err(problem);
            }
            files.push(path);
        }
    }
    Ok(files)
}

/// Files matching a glob pattern, sorted; unreadable entries are skipped.
fn glob_files(pattern: &str) -> Vec<PathBuf> {
    let Ok(paths) = glob::glob(pattern) else {
        return Vec::new();
    };
    let mut matched: Vec<PathBuf> = paths
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .collect();
    matched.sort();
    matched
}

fn checkpoint(lab: &Path, step: usize, seed: u64, out: &Path, color: bool) -> i32 {
    if let Some(problem) = unusable(lab) {
        eprintln!("kvmlab: {problem}");
        return EXIT_USAGE;
    }
    let made = match kvmlab_runtime::checkpoint_file::CheckpointFile::make(lab, step, seed) {
        Ok(made) => made,
        Err(diagnostic) => {
            let source = std::fs::read_to_string(&diagnostic.file).ok();
            eprint!("{}", diagnostic.render(source.as_deref(), color));
            return if diagnostic.code == "kvmlab::checkpoint::no_such_step" {
                EXIT_USAGE
            } else {
                1
            };
        }
    };
    let stem = lab
        .file_stem()
        .map_or("lab".into(), |s| s.to_string_lossy());
    let file = out.join(format!("{stem}-before-step-{step}.checkpoint.toml"));
    if let Err(e) =
        std::fs::create_dir_all(out).and_then(|()| std::fs::write(&file, made.to_toml()))
    {
        eprintln!("kvmlab checkpoint: cannot write {}: {e}", file.display());
        return 1;
    }
    println!(
        "{}: {} before step {step} at {:.3} s of lab time (seed {seed}); start an exercise from it with `[setup] checkpoint = \"{}\"`",
        file.display(),
        lab.display(),
        made.lab_time_ns as f64 / 1e9,
        file.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    );
    0
}

fn doc(name: Option<&str>) -> i32 {
    let catalog = run::catalog();
    match name {
        None => {
            print!("{}", catalog.to_markdown());
            0
        }
        Some(name) => match catalog
            .describe(name)
            .or_else(|| run::rubric_catalog().describe(name))
        {
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
