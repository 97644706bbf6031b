//! Running a lab end to end: read the file, build the engine, run, and produce the one
//! [`RunReport`] that the console, `--report json` and a grader all read.

use crate::backend::Backend;
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Severity};
use crate::report::{CheckedOnly, RunReport};
use crate::script::catalog::Catalog;
use crate::script::engine::{self, Limits};
use crate::script::modules::{LabModules, Sources};
use crate::script::{diagnose, lint, Session, SharedSession};
use crate::sim::Simulator;
use crate::site::Site;
use rhai::Engine;
use std::path::{Path, PathBuf};

/// How to run a lab.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub seed: u64,
    pub out_dir: PathBuf,
    pub limits: Limits,
    pub backend: BackendChoice,
    /// `--from N`: report the run from its N-th step; the steps before run to bring the lab
    /// to the state that step starts from.
    pub from_step: Option<usize>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            seed: 0,
            out_dir: PathBuf::from("out"),
            limits: Limits::default(),
            backend: BackendChoice::Simulator,
            from_step: None,
        }
    }
}

/// What a run drives: the simulator, or real hosts through libvirt.
#[derive(Debug, Clone, Default)]
pub enum BackendChoice {
    #[default]
    Simulator,
    Libvirt(Box<Site>),
}

impl BackendChoice {
    /// The name a report shows for it.
    pub fn name(&self) -> &'static str {
        match self {
            BackendChoice::Simulator => "sim",
            BackendChoice::Libvirt(_) => "libvirt",
        }
    }

    /// The backend itself; the libvirt one only when kvmlab was built with it.
    pub fn make(&self, seed: u64) -> Result<Box<dyn Backend>, Error> {
        match self {
            BackendChoice::Simulator => Ok(Box::new(Simulator::new(seed))),
            #[cfg(feature = "libvirt")]
            BackendChoice::Libvirt(site) => Ok(Box::new(crate::libvirt::LibvirtBackend::new(
                Site::clone(site),
                seed,
            ))),
            #[cfg(not(feature = "libvirt"))]
            BackendChoice::Libvirt(_) => Err(Error::LibvirtNotBuilt),
        }
    }
}

/// A finished run: the report plus the text of every file it loaded, so diagnostics can be
/// rendered with their source lines.
#[derive(Debug, Clone)]
pub struct LabRun {
    pub report: RunReport,
    pub sources: std::collections::BTreeMap<String, String>,
}

impl LabRun {
    pub fn source_of(&self, diagnostic: &Diagnostic) -> Option<&str> {
        self.sources.get(&diagnostic.file).map(String::as_str)
    }
}

/// Deeply recursive scripts need stack: the interpreter runs on a thread of its own with
/// room for every call level the sandbox allows.
const INTERPRETER_STACK: usize = 512 << 20;

/// Runs `work` on an interpreter thread named `name` with [`INTERPRETER_STACK`]; a panic or a
/// thread that cannot start comes back as the reason. Runs, grades and the console all
/// interpret scripts this way.
pub fn on_interpreter_thread<T: Send + 'static>(
    name: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let thread = std::thread::Builder::new()
        .name(format!("kvmlab-{name}"))
        .stack_size(INTERPRETER_STACK)
        .spawn(work);
    thread.map_err(|e| e.to_string()).and_then(|handle| {
        handle
            .join()
            .map_err(|_| format!("the {name} thread panicked"))
    })
}

/// Runs the lab in `path` (as the user named it; diagnostics show it that way).
pub fn run_file(path: &Path, options: &RunOptions) -> LabRun {
    let shown = path.to_string_lossy().into_owned();
    let lab = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| shown.clone());
    let lab_dir = path.parent().map(|p| {
        if p.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            p.to_path_buf()
        }
    });
    match std::fs::read(path) {
        Ok(bytes) => run_bytes(&lab, &shown, bytes, lab_dir, options),
        Err(e) => failed_before_start(
            &lab,
            &shown,
            options,
            Error::Unreadable {
                path: shown.clone(),
                reason: e.to_string(),
            },
            0,
            0,
        ),
    }
}

/// Runs a script that comes from no file (tests, the book, the REPL); imports reach only the
/// stdlib.
pub fn run_source(name: &str, source: &str, options: &RunOptions) -> LabRun {
    run_bytes(name, name, source.as_bytes().to_vec(), None, options)
}

fn run_bytes(
    lab: &str,
    shown: &str,
    bytes: Vec<u8>,
    lab_dir: Option<PathBuf>,
    options: &RunOptions,
) -> LabRun {
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let before = String::from_utf8_lossy(valid);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            let byte = e.as_bytes()[valid.len()];
            return failed_before_start(lab, shown, options, Error::NotText { byte }, line, column);
        }
    };
    let joined = {
        let (lab, shown, options) = (lab.to_string(), shown.to_string(), options.clone());
        on_interpreter_thread("interpreter", move || {
            interpret(&lab, &shown, text, lab_dir, &options)
        })
    };
    joined.unwrap_or_else(|reason| {
        let error = Error::Runtime {
            message: format!("internal error: {reason}"),
            help: "this is a bug in kvmlab; please report it with the lab that caused it".into(),
        };
        failed_before_start(lab, shown, options, error, 0, 0)
    })
}

fn interpret(
    lab: &str,
    shown: &str,
    text: String,
    lab_dir: Option<PathBuf>,
    options: &RunOptions,
) -> LabRun {
    let backend = match options.backend.make(options.seed) {
        Ok(backend) => backend,
        Err(error) => return failed_before_start(lab, shown, options, error, 0, 0),
    };
    let session = Session::new(backend, shown, options.out_dir.clone());
    if let Some(step) = options.from_step {
        session.borrow_mut().recorder.start_from(step);
    }
    let sources = Sources::default();
    sources.borrow_mut().insert(shown.to_string(), text.clone());
    let shown_dir = Path::new(shown)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let modules = LabModules::new(lab_dir, shown_dir, sources.clone());
    let engine = engine::build(&session, &options.limits, modules);

    let lookup = |file: &str| sources.borrow().get(file).cloned();
    let outcome = engine
        .compile(&text)
        .map_err(|e| Box::new(e.into()))
        .and_then(|mut ast| {
            ast.set_source(shown);
            engine.run_ast(&ast)
        });
    if let Err(err) = outcome {
        let diagnostic = diagnose::diagnose(&err, &engine, shown, &lookup);
        session.borrow_mut().recorder.diagnostic(diagnostic);
    }
    drop(engine);
    let output_dropped = session.borrow().recorder.output_dropped();
    if output_dropped > 0 {
        let error = Error::TooMuchOutput {
            lines: output_dropped,
            limit: crate::units::human_size(crate::recorder::MAX_OUTPUT_BYTES as u64),
        };
        let diagnostic = Diagnostic::new(&error, Severity::Warning, shown, 0, 0);
        session.borrow_mut().recorder.limit_warning(diagnostic);
    }
    // Script values may outlive the engine (a closure can capture itself), so take the
    // recorder out rather than unwrapping the session.
    let mut session = session.borrow_mut();
    let recorder = std::mem::take(&mut session.recorder);
    let backend = &session.backend;
    let mut report = recorder.finish(
        lab,
        backend.name(),
        backend.seed(),
        backend.now().as_secs_f64(),
    );
    report.checked_only = backend
        .checked_only()
        .into_iter()
        .map(|(operation, count)| CheckedOnly {
            operation: operation.into(),
            count,
        })
        .collect();
    let sources = sources.borrow().clone();
    LabRun { report, sources }
}

fn failed_before_start(
    lab: &str,
    shown: &str,
    options: &RunOptions,
    error: Error,
    line: usize,
    column: usize,
) -> LabRun {
    let mut recorder = crate::recorder::Recorder::default();
    recorder.diagnostic(Diagnostic::new(
        &error,
        Severity::Error,
        shown,
        line,
        column,
    ));
    LabRun {
        report: recorder.finish(lab, options.backend.name(), options.seed, 0.0),
        sources: Default::default(),
    }
}

/// A session on the backend kvmlab runs labs on: the simulator, with `seed`. Runs, grades
/// and the console all make their sessions here, the one place that chooses a backend.
pub fn lab_session(seed: u64, main_file: &str, out_dir: PathBuf) -> SharedSession {
    Session::new(Box::new(Simulator::new(seed)), main_file, out_dir)
}

/// An engine as a run builds it, for reading its API and its labs' steps: the reference,
/// `kvmlab check`, an exercise that starts from a lab's steps.
pub(crate) fn reference_engine(modules: LabModules) -> Engine {
    let session = lab_session(0, "", PathBuf::new());
    engine::build(&session, &Limits::default(), modules)
}

/// The grader's checks engine as it reads an exercise's rubric, for its API.
fn rubric_engine() -> Engine {
    let session = lab_session(0, "", PathBuf::new());
    let modules = LabModules::new(None, PathBuf::new(), Sources::default());
    engine::build_checks(&session, &Limits::default(), modules, &Default::default())
}

/// Whether `path` is an exercise's rubric: a `checks.rhai` beside an `exercise.toml`. Its
/// functions are the rubric's and the queries, not the lab's.
pub fn is_rubric(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "checks.rhai")
        && path
            .parent()
            .is_some_and(|dir| dir.join("exercise.toml").is_file())
}

/// The reference of what an exercise's `checks.rhai` has beyond the queries: `rubric`, `partial`.
pub fn rubric_catalog() -> Catalog {
    Catalog::from_engine(&rubric_engine())
}

/// The script API's reference, read from the engine.
pub fn catalog() -> Catalog {
    let modules = LabModules::new(None, PathBuf::new(), Sources::default());
    Catalog::from_engine(&reference_engine(modules))
}

/// `kvmlab check` on one file: what its text shows is wrong, without running it. A file that
/// cannot be read is the first finding.
pub fn check_file(path: &Path, catalog: &Catalog) -> Vec<Diagnostic> {
    let shown = path.to_string_lossy().into_owned();
    let text = match std::fs::read(path).map(String::from_utf8) {
        Ok(Ok(text)) => text,
        Ok(Err(e)) => {
            let byte = e.as_bytes()[e.utf8_error().valid_up_to()];
            return vec![Diagnostic::new(
                &Error::NotText { byte },
                Severity::Error,
                &shown,
                0,
                0,
            )];
        }
        Err(e) => {
            let error = Error::Unreadable {
                path: shown.clone(),
                reason: e.to_string(),
            };
            return vec![Diagnostic::new(&error, Severity::Error, &shown, 0, 0)];
        }
    };
    let lab_dir = path.parent().map(|p| {
        if p.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            p.to_path_buf()
        }
    });
    let shown_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let modules = LabModules::new(lab_dir, shown_dir, Sources::default());
    // Checking only compiles: the engine's own resolver is never asked. Unoptimized, map
    // literals stay literals instead of folding into constants.
    let (mut engine, rubric_catalog) = if is_rubric(path) {
        let engine = rubric_engine();
        let catalog = Catalog::from_engine(&engine);
        (engine, Some(catalog))
    } else {
        let modules = LabModules::new(None, PathBuf::new(), Sources::default());
        (reference_engine(modules), None)
    };
    engine.set_optimization_level(rhai::OptimizationLevel::None);
    let catalog = rubric_catalog.as_ref().unwrap_or(catalog);
    lint::check_source(&engine, catalog, &shown, &text, &modules)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn codes(run: &LabRun) -> Vec<String> {
        run.report
            .diagnostics
            .iter()
            .map(|d| d.code.clone())
            .collect()
    }

    #[test]
    fn the_wall_clock_limit_stops_a_busy_script() {
        let options = RunOptions {
            limits: Limits {
                max_operations: u64::MAX,
                wall_time: Duration::ZERO,
                ..Limits::default()
            },
            ..RunOptions::default()
        };
        let run = run_source(
            "busy.rhai",
            "let i = 0;\nwhile true { i += 1; }\n",
            &options,
        );
        assert_eq!(codes(&run), ["kvmlab::sandbox::wall_time"]);
        assert_eq!(run.report.diagnostics[0].line, 2);
        assert_eq!(run.report.exit_code(), 2);
    }

    #[test]
    fn the_wall_clock_is_read_after_every_native_call() {
        let options = RunOptions {
            limits: Limits {
                wall_time: Duration::ZERO,
                ..Limits::default()
            },
            ..RunOptions::default()
        };
        let run = run_source("slow.rhai", "let x = 1;\nsleep(1);\n", &options);
        assert_eq!(codes(&run), ["kvmlab::sandbox::wall_time"]);
        assert_eq!(run.report.diagnostics[0].line, 2);
    }

    #[test]
    fn a_loop_of_ten_thousand_natives_meets_the_operation_budget() {
        // Each lookup parses a 4 KiB /etc/hosts: a thousand operations of work, not one.
        let options = RunOptions {
            limits: Limits {
                max_operations: 200_000,
                ..Limits::default()
            },
            ..RunOptions::default()
        };
        let script = "import \"kvmlab/report\" as report;\n\
                      let h = host(\"sv1\", report::server_spec());\n\
                      h.install_os(report::os_spec(\"sv1\"));\n\
                      let s = \"10.0.0.1 sv9\\n\"; while s.len() < 4096 { s += s; }\n\
                      h.write_file(\"/etc/hosts\", s);\n\
                      for i in 0..10000 {\n  h.resolve(\"sv9\");\n  record(\"calls\", i + 1);\n}\n";
        let run = run_source("natives.rhai", script, &options);
        assert_eq!(codes(&run), ["kvmlab::sandbox::operations"]);
        assert_eq!(run.report.diagnostics[0].line, 7);
        let calls = run.report.values["calls"].as_i64().unwrap();
        assert!((100..200).contains(&calls), "{calls} lookups");
    }

    #[test]
    fn scripts_without_a_folder_import_only_the_stdlib() {
        let run = run_source(
            "x.rhai",
            "import \"helpers\" as h;\n",
            &RunOptions::default(),
        );
        assert_eq!(codes(&run), ["kvmlab::import::forbidden"]);
        assert!(run.report.diagnostics[0].message.contains("no lab folder"));
    }

    #[test]
    fn the_seed_reaches_the_report() {
        let options = RunOptions {
            seed: 99,
            ..RunOptions::default()
        };
        let run = run_source("s.rhai", "", &options);
        assert_eq!(run.report.seed, 99);
        assert_eq!(run.report.backend, "sim");
    }
}
