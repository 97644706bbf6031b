//! The Rhai binding layer: a thin skin over the world model and the lab recorder.
//!
//! - [`engine`] builds the sandboxed engine for one run, with its limits.
//! - [`modules`] resolves `import`: stdlib modules by name, lab files inside the lab's folder.
//! - [`lab_api`] registers the lab primitives (`step`, `check`, `record`, …).
//! - [`check`] parses `check(..)` as syntax, so a failed check shows its condition and values.
//! - [`catalog`] is the script API's reference, read from the engine; [`examples`] holds its
//!   examples; [`lint`] finds mistakes in a lab without running it (`kvmlab check`).
//! - [`diagnose`] turns Rhai's errors into kvmlab diagnostics with codes and help.
//! - [`query`] is the read-only query API (`lab()`); [`history`] keeps what it reports that
//!   the world does not (the migrations that ran).
//! - [`show`] prints values for people at the console: tables, rounded numbers, `:world`.
//!
//! Script-visible objects hold a [`SharedSession`] and an id; every operation borrows the
//! session for the length of one native call, never across a call back into the script.

pub mod catalog;
pub mod check;
pub mod checkpoints;
pub mod diagnose;
pub mod engine;
pub mod examples;
pub mod faults;
pub mod guests;
pub mod history;
pub mod lab_api;
pub mod lint;
pub mod modules;
pub mod network;
pub mod pools;
pub mod query;
pub mod rows;
pub mod rubric;
pub mod show;
pub mod spec;
pub mod stdlib;
pub mod storage;

use crate::artifacts::OutputDir;
use crate::backend::Backend;
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Severity};
use crate::recorder::Recorder;
use rhai::{Dynamic, EvalAltResult, FuncRegistration, NativeCallContext, Position};
use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

/// Everything one run of a lab (or one REPL session) acts on.
pub struct Session {
    pub backend: Box<dyn Backend>,
    pub recorder: Recorder,
    /// Where the run writes its files (plots, exported configs).
    pub out_dir: OutputDir,
    /// The lab's file name as shown in diagnostics.
    pub main_file: String,
    /// The run's spending against its limits; [`engine::build`] installs the run's own.
    pub budget: Rc<engine::Budget>,
    /// What the run did that the world does not keep (the migrations, for `lab()`).
    pub history: history::History,
    /// `checkpoint(..)`s the run has taken, held to [`checkpoints::MAX_CHECKPOINTS`].
    pub checkpoints_taken: usize,
}

pub type SharedSession = Rc<RefCell<Session>>;

impl Session {
    pub fn new(backend: Box<dyn Backend>, main_file: &str, out_dir: PathBuf) -> SharedSession {
        Rc::new(RefCell::new(Session {
            backend,
            recorder: Recorder::default(),
            out_dir: OutputDir::new(out_dir),
            main_file: main_file.to_string(),
            budget: Rc::new(engine::Budget::new(&engine::Limits::default())),
            history: history::History::default(),
            checkpoints_taken: 0,
        }))
    }

    /// Writes a file of the run under the output directory and lists it in the report.
    /// `name` is relative (`plots/time.svg`); it cannot leave the output directory.
    pub fn write_artifact(&mut self, name: &str, contents: &[u8]) -> crate::Result<String> {
        let path = self.out_dir.write(name, contents)?;
        let shown = path.to_string_lossy().into_owned();
        self.recorder.artifact(shown.clone());
        Ok(shown)
    }

    /// Moves the backend's pending warnings into the report, pinned to the calling line.
    pub fn flush_warnings(&mut self, ctx: &NativeCallContext) {
        for warning in self.backend.take_warnings() {
            let pos = ctx.call_position();
            let file = ctx
                .call_source()
                .map(str::to_string)
                .unwrap_or_else(|| self.main_file.clone());
            let mut diagnostic = Diagnostic::new(
                &warning,
                Severity::Warning,
                &file,
                pos.line().unwrap_or(0),
                pos.position().unwrap_or(0),
            );
            if stdlib::raises_on_purpose(&file, &diagnostic.code) {
                diagnostic.expected = Some(true);
            }
            self.recorder.diagnostic(diagnostic);
        }
    }
}

/// The result of a native function as Rhai wants it.
pub type Outcome<T> = Result<T, Box<EvalAltResult>>;

/// Runs one backend operation for a native call: its warnings are recorded at the call's
/// line and its error goes back to Rhai.
pub fn call<T>(
    session: &SharedSession,
    ctx: &NativeCallContext,
    op: impl FnOnce(&mut dyn Backend) -> crate::Result<T>,
) -> Outcome<T> {
    let result = {
        let mut s = session.borrow_mut();
        op(s.backend.as_mut())
    };
    finish(session, ctx, result)
}

/// A config file's findings become warnings: the file is written as on the real machine,
/// and what is wrong in it shows where the trainee wrote it.
pub fn warn_findings(backend: &mut dyn Backend, findings: Vec<crate::world::net::Finding>) {
    for finding in findings {
        backend.warn(finding.error);
    }
}

/// Warnings a world operation returned (a vendor mismatch, a shared non-cluster mount).
pub fn warn_all(backend: &mut dyn Backend, warnings: Vec<Error>) {
    for warning in warnings {
        backend.warn(warning);
    }
}

/// A number a script passed, refused when it is infinite or NaN: `1.0e308 * 10.0` or
/// `0.0 / 0.0` would otherwise reach arithmetic that never ends or answers nonsense.
pub fn finite(value: f64, argument: &str, call: &str) -> crate::Result<f64> {
    if value.is_finite() {
        return Ok(value);
    }
    Err(Error::NotFinite {
        argument: argument.into(),
        call: call.into(),
        value: value.to_string(),
    })
}

/// A function registration with its parameters and one doc line (Rhai function metadata).
pub fn reg(name: &str, params: &[&str], doc: &str) -> FuncRegistration {
    FuncRegistration::new(name)
        .with_params_info(params)
        .with_comments([format!("/// {doc}")])
}

/// Wraps a world error for the trip through Rhai; [`diagnose`] unwraps it again.
pub fn raise(error: Error) -> Box<EvalAltResult> {
    EvalAltResult::ErrorRuntime(Dynamic::from(error), Position::NONE).into()
}

/// Finishes a native call: records its warnings, charges its work to the operation budget
/// (stopping the script at this call when a limit is reached) and hands its error to Rhai.
pub fn finish<T>(
    session: &SharedSession,
    ctx: &NativeCallContext,
    result: crate::Result<T>,
) -> Result<T, Box<EvalAltResult>> {
    let spent = {
        let mut s = session.borrow_mut();
        s.flush_warnings(ctx);
        s.budget.spend(ctx.global_runtime_state().num_operations())
    };
    spent.map_err(|limit| limit.into_error(ctx.call_position()))?;
    result.map_err(raise)
}
