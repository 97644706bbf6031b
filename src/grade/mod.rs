//! `kvmlab grade`: load the exercise, find the class's submissions, grade each in a worker
//! process of its own (`workers`), and export the class (`table`, JSON, `gradescope`,
//! `junit`, `csv`, with a `histogram` beside a file export); `selftest` grades the exercise's
//! own solution, starter and mutants. Exit codes: 0 graded (whatever the scores), 1 the
//! exercise is broken, 2 a usage error.

mod class;
mod csv;
mod gradescope;
mod histogram;
mod junit;
mod selftest;
mod table;
mod workers;

pub use class::points;
use class::Class;
use kvmlab_runtime::grade::{self as core, Exercise, Submission, SubmissionGrade};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;
pub use table::mark;

pub const EXIT_GRADED: i32 = 0;
pub const EXIT_BROKEN_EXERCISE: i32 = 1;
pub const EXIT_USAGE: i32 = 2;

/// The hidden subcommand a worker process runs.
pub const WORKER_COMMAND: &str = "grade-worker";

/// Time a worker gets beyond the exercise's own limit (which the runtime enforces itself)
/// before the parent kills it: loading, the checks, writing the grade.
const GRACE: Duration = Duration::from_secs(5);
/// Address space a worker needs besides the exercise's memory: the interpreter thread's
/// stack reservation (512 MiB), the binary and the allocator's arenas.
const WORKER_BASE_ADDRESS_SPACE: u64 = 768 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    Table,
    Json,
    Gradescope,
    Junit,
    Csv,
}

/// What `kvmlab grade` was asked to do.
pub struct Request {
    pub exercise: PathBuf,
    pub submissions: Vec<PathBuf>,
    pub export: Export,
    pub out: Option<PathBuf>,
    pub jobs: Option<usize>,
    pub self_test: bool,
    /// Color the table (stdout).
    pub color: bool,
    /// Color a broken exercise's diagnostics (stderr).
    pub color_diagnostics: bool,
}

/// A usage error: the message, then a help line, exit 2.
fn usage(message: &str, help: &str) -> i32 {
    eprintln!("kvmlab grade: {message}\n  help: {help}");
    EXIT_USAGE
}

pub fn run(request: &Request) -> i32 {
    if request.jobs == Some(0) {
        return usage(
            "--jobs 0 would grade nothing",
            "give a number of parallel workers of 1 or more, or leave --jobs out for one per core",
        );
    }
    let exercise = match load_exercise(&request.exercise, request.color_diagnostics) {
        Ok(exercise) => exercise,
        Err(code) => return code,
    };
    let jobs = request.jobs.unwrap_or_else(default_jobs);
    if request.self_test {
        if !request.submissions.is_empty() {
            return usage(
                "--self-test grades the exercise's own solution, starter and mutants, not submissions",
                "leave the submissions out: `kvmlab grade --self-test EXERCISE`",
            );
        }
        return selftest::run(Arc::new(exercise), jobs);
    }
    let submissions = match find_submissions(&request.submissions, &exercise) {
        Ok(submissions) => submissions,
        Err(code) => return code,
    };
    if request.export == Export::Gradescope && submissions.len() != 1 {
        return usage(
            &format!(
                "the gradescope export is one student's results.json, and {} submissions were found",
                submissions.len()
            ),
            "grade one submission per run, e.g. `kvmlab grade EXERCISE /autograder/submission \
             --format gradescope --out /autograder/results/results.json`",
        );
    }
    let exercise = Arc::new(exercise);
    let grades = grade_all(&exercise, submissions, jobs);
    let rubric: Vec<(String, f64)> = exercise
        .items
        .iter()
        .map(|item| (item.name.clone(), item.points))
        .collect();
    let class = Class::new(
        exercise.name.clone(),
        exercise.config.title.clone(),
        exercise.max_score(),
        &rubric,
        grades,
    );
    let text = match request.export {
        Export::Table => table::render(&class, request.color),
        Export::Json => class.to_json() + "\n",
        Export::Gradescope => gradescope::render(&class.submissions[0]) + "\n",
        Export::Junit => junit::render(&class),
        Export::Csv => csv::render(&class, &rubric),
    };
    match &request.out {
        None => {
            print!("{text}");
            EXIT_GRADED
        }
        Some(file) => write_export(file, &text, &class),
    }
}

/// Loads the exercise; a missing folder is a usage error, a broken one its diagnostics.
fn load_exercise(dir: &Path, color: bool) -> Result<Exercise, i32> {
    if !dir.is_dir() {
        let problem = if dir.exists() {
            format!("`{}` is a file, not an exercise folder", dir.display())
        } else {
            format!("there is no exercise at `{}`", dir.display())
        };
        return Err(usage(
            &problem,
            "give the exercise's folder, the one holding exercise.toml, e.g. `labs/exercises/network`",
        ));
    }
    Exercise::load(dir).map_err(|diagnostics| {
        eprint!("{}", render_problems(&diagnostics, color));
        eprintln!(
            "kvmlab grade: the exercise `{}` is broken: {} problem(s); nothing was graded",
            dir.display(),
            diagnostics.len()
        );
        EXIT_BROKEN_EXERCISE
    })
}

/// A broken exercise's diagnostics, each against its file.
pub fn render_problems(
    diagnostics: &[kvmlab_runtime::diagnostic::Diagnostic],
    color: bool,
) -> String {
    diagnostics
        .iter()
        .map(|diagnostic| {
            let source = std::fs::read_to_string(&diagnostic.file).ok();
            diagnostic.render(source.as_deref(), color)
        })
        .collect()
}

fn find_submissions(paths: &[PathBuf], exercise: &Exercise) -> Result<Vec<Submission>, i32> {
    if paths.is_empty() {
        return Err(usage(
            "no submissions to grade",
            "name the submissions, or the class's folder: `kvmlab grade EXERCISE class/`",
        ));
    }
    Submission::discover(paths, &exercise.config.submission.main).map_err(|error| {
        let help = error
            .help_str()
            .unwrap_or_else(|| "give the submissions' files or folders".into());
        usage(&format!("{error} [{}]", error.code_str()), &help)
    })
}

fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Grades every submission, each in its own worker process.
fn grade_all(
    exercise: &Arc<Exercise>,
    submissions: Vec<Submission>,
    jobs: usize,
) -> Vec<SubmissionGrade> {
    let program = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("kvmlab"));
    let limits = exercise.limits();
    let deadline = limits.wall_time + GRACE;
    let memory = limits.max_memory_growth;
    let address_space = WORKER_BASE_ADDRESS_SPACE + memory.saturating_add(memory / 4);
    let work = submissions
        .into_iter()
        .map(|submission| {
            let mut command = Command::new(&program);
            command
                .arg(WORKER_COMMAND)
                .arg(&exercise.dir)
                .arg(&submission.path)
                // One allocator arena per thread would reserve address space for nothing.
                .env("MALLOC_ARENA_MAX", "2");
            workers::Job {
                exercise: exercise.clone(),
                submission,
                command,
                deadline,
                address_space,
                memory_mib: memory >> 20,
            }
        })
        .collect();
    workers::run_all(work, jobs)
}

/// Writes the export to `file` and, for a class of two or more, the histogram beside it.
fn write_export(file: &Path, text: &str, class: &Class) -> i32 {
    let cannot = |path: &Path, e: std::io::Error| {
        usage(
            &format!("cannot write `{}`: {e}", path.display()),
            "give --out a file in a folder that exists and that you may write to",
        )
    };
    if let Err(e) = std::fs::write(file, text) {
        return cannot(file, e);
    }
    println!("wrote {}", file.display());
    if class.submissions.len() >= 2 {
        let stem = file
            .file_stem()
            .map_or_else(|| "grades".into(), |s| s.to_string_lossy().into_owned());
        let svg_path = file.with_file_name(format!("{stem}-scores.svg"));
        match histogram::to_svg(class) {
            Ok(svg) => {
                if let Err(e) = std::fs::write(&svg_path, svg) {
                    return cannot(&svg_path, e);
                }
                println!("wrote {}", svg_path.display());
            }
            Err(e) => eprintln!("kvmlab grade: the histogram could not be drawn: {e}"),
        }
    }
    EXIT_GRADED
}

/// The worker: grades one submission and prints its grade as JSON on stdout. The parent
/// expanded class folders already, so a folder here is one trainee's.
pub fn worker(exercise_dir: &Path, submission: &Path) -> i32 {
    let exercise = match Exercise::reopen(exercise_dir) {
        Ok(exercise) => exercise,
        Err(diagnostics) => {
            eprintln!("the exercise has {} problem(s)", diagnostics.len());
            return EXIT_BROKEN_EXERCISE;
        }
    };
    let submission = if submission.is_dir() {
        Submission::folder(submission)
    } else {
        Submission::file(submission)
    };
    let grade = core::grade_submission(&exercise, &submission);
    match serde_json::to_string(&grade) {
        Ok(json) => {
            println!("{json}");
            EXIT_GRADED
        }
        Err(e) => {
            eprintln!("the grade could not be written: {e}");
            EXIT_BROKEN_EXERCISE
        }
    }
}
