//! Grading one submission of an exercise.
//!
//! A submission is hostile until proven otherwise. It runs in a fresh world (seeded from
//! `exercise.toml`) after the exercise's setup, in a scope holding only what the setup hands
//! over, under the exercise's limits. Then the rubric (`checks.rhai`) runs in an engine of its
//! own, with the read-only queries and no lab primitives, against the world the submission
//! left. The submission's own `check(..)` calls are shown and never counted. Everything a
//! grade says is deterministic: the same exercise and submission give the same
//! [`SubmissionGrade`] on any machine, at any parallelism.

pub mod exercise;
pub mod submission;

pub use exercise::Exercise;
pub use submission::Submission;

use crate::diagnostic::Diagnostic;
use crate::error::{Error, Severity};
use crate::recorder::Recorder;
use crate::script::engine::{self, Limits};
use crate::script::modules::{LabModules, Sources};
use crate::script::rubric::{Partial, Rubric, RubricItem, Visibility};
use crate::script::{diagnose, SharedSession};
use rhai::{Dynamic, Engine, EvalAltResult, NativeCallContext, Scope};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// How a submission came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GradeStatus {
    /// Run and graded on the world it left (an error it stopped on included).
    Graded,
    /// Refused before running: it broke the exercise's rules for submissions.
    Rejected,
    /// Stopped by a sandbox limit: it scores 0.
    Stopped,
    /// kvmlab failed on it; it scores 0 and nothing else is affected.
    InternalError,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Passed,
    Partial,
    Failed,
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckGrade {
    pub name: String,
    pub points: f64,
    pub score: f64,
    pub status: CheckStatus,
    /// What the trainee reads; `None` when the item passed.
    pub feedback: Option<String>,
    pub visibility: Visibility,
}

/// The submission's own `check(..)` calls: shown to the instructor, never counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct OwnChecks {
    pub passed: usize,
    pub failed: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmissionGrade {
    pub student: String,
    pub submission: String,
    pub score: f64,
    pub max_score: f64,
    pub status: GradeStatus,
    pub reason: Option<String>,
    pub checks: Vec<CheckGrade>,
    pub output: Vec<String>,
    pub output_cut: usize,
    pub diagnostics: Vec<String>,
    pub own_checks: OwnChecks,
    /// Script operations plus native work: the same on every machine.
    pub operations: u64,
    pub lab_seconds: f64,
}

/// Lines of a submission's printed output a grade keeps, and their bytes.
pub const MAX_OUTPUT_LINES: usize = 200;
pub const MAX_OUTPUT_BYTES: usize = 32 << 10;

impl SubmissionGrade {
    fn empty(exercise: &Exercise, submission: &Submission) -> SubmissionGrade {
        SubmissionGrade {
            student: submission.student.clone(),
            submission: submission.path.to_string_lossy().into_owned(),
            score: 0.0,
            max_score: exercise.max_score(),
            status: GradeStatus::Graded,
            reason: None,
            checks: Vec::new(),
            output: Vec::new(),
            output_cut: 0,
            diagnostics: Vec::new(),
            own_checks: OwnChecks::default(),
            operations: 0,
            lab_seconds: 0.0,
        }
    }

    /// A grade of 0 that says why: every item is listed, none graded.
    pub fn zero(
        exercise: &Exercise,
        submission: &Submission,
        status: GradeStatus,
        reason: String,
    ) -> SubmissionGrade {
        let mut grade = SubmissionGrade::empty(exercise, submission);
        grade.status = status;
        grade.checks = exercise
            .items
            .iter()
            .map(|item| CheckGrade {
                name: item.name.clone(),
                points: item.points,
                score: 0.0,
                status: CheckStatus::Failed,
                feedback: Some(format!("not graded: {reason}")),
                visibility: item.visibility,
            })
            .collect();
        grade.reason = Some(reason);
        grade
    }
}

/// Grades one submission. Never panics: whatever the submission does ends in a grade.
pub fn grade_submission(exercise: &Exercise, submission: &Submission) -> SubmissionGrade {
    let (ex, sub) = (exercise.clone(), submission.clone());
    let joined = crate::run::on_interpreter_thread("interpreter", move || grade_here(&ex, &sub));
    joined.unwrap_or_else(|reason| {
        SubmissionGrade::zero(
            exercise,
            submission,
            GradeStatus::InternalError,
            format!("internal error: {reason}; this is a bug in kvmlab, please report it with the submission"),
        )
    })
}

fn grade_here(exercise: &Exercise, submission: &Submission) -> SubmissionGrade {
    let submitted = match submission.read(exercise) {
        Ok(submitted) => submitted,
        Err(error) => {
            let reason = match error.help_str() {
                Some(help) => format!("{error} ({help})"),
                None => error.to_string(),
            };
            return SubmissionGrade::zero(exercise, submission, GradeStatus::Rejected, reason);
        }
    };
    let session = crate::run::lab_session(exercise.config.seed, &submitted.shown, PathBuf::new());
    session.borrow_mut().out_dir = crate::artifacts::OutputDir::discarding();
    let handed_over = match run_setup(exercise, &session) {
        Ok(scope) => scope,
        Err(reason) => {
            return SubmissionGrade::zero(exercise, submission, GradeStatus::InternalError, reason)
        }
    };

    // The submission.
    let sources = Sources::default();
    sources
        .borrow_mut()
        .insert(submitted.shown.clone(), submitted.text.clone());
    let shown_dir = Path::new(&submitted.shown)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let modules = LabModules::new(submitted.folder.clone(), shown_dir, sources.clone());
    let engine = engine::build(&session, &exercise.limits(), modules);
    let mut scope = handed_over;
    let outcome = engine
        .compile(&submitted.text)
        .map_err(|e| Box::new(e.into()))
        .and_then(|mut ast| {
            ast.set_source(submitted.shown.as_str());
            engine.run_ast_with_scope(&mut scope, &ast)
        });
    let lookup = |file: &str| sources.borrow().get(file).cloned();
    let stopped = outcome.err().and_then(|err| {
        let diagnostic = diagnose::diagnose(&err, &engine, &submitted.shown, &lookup);
        let limit = diagnostic.code.starts_with("kvmlab::sandbox::").then(|| {
            format!(
                "stopped by the sandbox at line {}: {} ({})",
                diagnostic.line, diagnostic.message, diagnostic.code
            )
        });
        session.borrow_mut().recorder.diagnostic(diagnostic);
        limit
    });
    let operations = session.borrow().budget.spent();
    drop(scope);
    drop(engine);
    let lab_seconds = session.borrow().backend.now().as_secs_f64();

    let mut grade = match stopped {
        Some(reason) => SubmissionGrade::zero(exercise, submission, GradeStatus::Stopped, reason),
        None => {
            let mut grade = SubmissionGrade::empty(exercise, submission);
            match grade_checks(exercise, &session) {
                Ok(checks) => {
                    grade.score = round(checks.iter().map(|c| c.score).sum());
                    grade.checks = checks;
                }
                Err(reason) => {
                    grade = SubmissionGrade::zero(
                        exercise,
                        submission,
                        GradeStatus::InternalError,
                        reason,
                    )
                }
            }
            grade
        }
    };
    grade.operations = operations;
    grade.lab_seconds = round(lab_seconds);
    let recorder = std::mem::take(&mut session.borrow_mut().recorder);
    let sources = sources.borrow().clone();
    describe_run(&mut grade, recorder, &sources);
    grade
}

/// Runs the exercise's setup in the session; the scope the submission starts with holds the
/// setup's handed-over variables as constants, nothing else. The setup's own steps, output,
/// warnings and migrations are not the submission's: their record starts again after it.
/// The console runs an exercise's setup through it too, so both start from the same world.
pub fn run_setup(exercise: &Exercise, session: &SharedSession) -> Result<Scope<'static>, String> {
    let mut handed = Scope::new();
    let Some(setup) = &exercise.setup else {
        return Ok(handed);
    };
    let scope = crate::checkpoint_file::run_setup_text(session, &exercise.dir, &setup.shown, &setup.text)
        .map_err(|d| {
            format!(
                "the exercise's setup failed at {}:{}: {} ({}); the exercise is broken, not the submission",
                setup.shown, d.line, d.message, d.code
            )
        })?;
    if let Some(checkpoint) = &exercise.setup_checkpoint {
        checkpoint
            .verify(&setup.path.to_string_lossy(), session)
            .map_err(|e| {
                format!(
                    "{e} ({}); the exercise is broken, not the submission",
                    e.code_str()
                )
            })?;
    }
    for name in &exercise.config.setup.hand_over {
        let value = scope.get_value::<Dynamic>(name).ok_or_else(|| {
            format!("the exercise's setup hands over `{name}` but never defines it; the exercise is broken, not the submission")
        })?;
        handed.push_constant_dynamic(name.clone(), value);
    }
    // Downloads the setup started go on into the submission; its migrations are not the
    // submission's.
    let mut s = session.borrow_mut();
    s.recorder = Recorder::default();
    s.history = Default::default();
    drop(s);
    Ok(handed)
}

/// The rubric's items as `checks.rhai` declares them, from running its top level in a
/// checks engine of its own on an empty lab (no item is graded).
fn declared_items(exercise: &Exercise) -> Result<Vec<RubricItem>, Box<Diagnostic>> {
    let checks = &exercise.checks;
    let session = crate::run::lab_session(0, &checks.shown, PathBuf::new());
    let rubric = Rubric::default();
    let engine = checks_engine(exercise, &session, &rubric);
    let lookup = |_: &str| Some(checks.text.clone());
    engine
        .compile(&checks.text)
        .map_err(|e| Box::new(e.into()))
        .and_then(|mut ast| {
            ast.set_source(checks.shown.as_str());
            engine.run_ast(&ast)
        })
        .map_err(|err| Box::new(diagnose::diagnose(&err, &engine, &checks.shown, &lookup)))?;
    Ok(rubric.take())
}

/// The checks engine for this exercise: it imports the exercise folder's modules.
fn checks_engine(exercise: &Exercise, session: &SharedSession, rubric: &Rubric) -> Engine {
    let modules = LabModules::new(
        Some(exercise.dir.clone()),
        exercise.dir.clone(),
        Sources::default(),
    );
    engine::build_checks(session, &Limits::default(), modules, rubric)
}

/// The native call that ends a grading run of `checks.rhai`: it grades every item from inside
/// the script's own run, so the items' closures see what the rubric's top level imported and
/// defined. Only the grader's checks engine has it.
const GRADE_ALL: &str = "kvmlab_grade_rubric";

/// Grades every rubric item against the world in `session`, in the order declared. The checks
/// engine only queries the world; it installs its own budget in the session, which a caller
/// that goes on running the session (the console's `:check`) puts back.
pub fn grade_checks(
    exercise: &Exercise,
    session: &SharedSession,
) -> Result<Vec<CheckGrade>, String> {
    let checks = &exercise.checks;
    let rubric = Rubric::default();
    let mut engine = checks_engine(exercise, session, &rubric);
    let graded: Rc<RefCell<Option<Vec<CheckGrade>>>> = Rc::default();
    let (items, out) = (rubric.clone(), graded.clone());
    engine.register_fn(GRADE_ALL, move |ctx: NativeCallContext, lab: Dynamic| {
        let items = items.borrow().clone();
        let grades = score(&items, |item| {
            let answer = item
                .closure
                .call_within_context::<Dynamic>(&ctx, (lab.clone(),));
            read_answer(ctx.engine(), item, answer)
        });
        *out.borrow_mut() = Some(grades);
    });
    let broken = |d: Diagnostic| {
        format!(
            "the exercise's checks failed at line {}: {} ({}); the exercise is broken, not the submission",
            d.line, d.message, d.code
        )
    };
    let lookup = |_: &str| Some(checks.text.clone());
    let run = engine
        .compile(&checks.text)
        .and_then(|ast| Ok(ast.merge(&engine.compile(format!("{GRADE_ALL}(lab());"))?)))
        .map_err(|e| Box::new(e.into()))
        .and_then(|mut ast| {
            ast.set_source(checks.shown.as_str());
            engine.run_ast(&ast)
        });
    if let Err(err) = run {
        return Err(broken(diagnose::diagnose(
            &err,
            &engine,
            &checks.shown,
            &lookup,
        )));
    }
    let grades = graded.borrow_mut().take();
    grades.ok_or_else(|| {
        "the exercise's checks.rhai returned before its items were graded; the exercise is broken, not the submission".to_string()
    })
}

/// Each item's grade, in order: an item whose needs did not all pass in full is skipped;
/// `answer` gives the others' fraction and feedback.
fn score(
    items: &[RubricItem],
    mut answer: impl FnMut(&RubricItem) -> (f64, String),
) -> Vec<CheckGrade> {
    let mut grades: Vec<CheckGrade> = Vec::with_capacity(items.len());
    for item in items {
        let unmet = item.needs.iter().find(|need| {
            !grades
                .iter()
                .any(|g| &g.name == *need && g.status == CheckStatus::Passed)
        });
        if let Some(need) = unmet {
            grades.push(CheckGrade {
                name: item.name.clone(),
                points: item.points,
                score: 0.0,
                status: CheckStatus::Skipped,
                feedback: Some(format!("skipped: it needs \"{need}\", which did not pass")),
                visibility: item.visibility,
            });
            continue;
        }
        let (fraction, feedback) = answer(item);
        let score = round(item.points * fraction);
        let status = if fraction >= 1.0 {
            CheckStatus::Passed
        } else if score > 0.0 {
            CheckStatus::Partial
        } else {
            CheckStatus::Failed
        };
        grades.push(CheckGrade {
            name: item.name.clone(),
            points: item.points,
            score,
            status,
            feedback: (status != CheckStatus::Passed).then_some(feedback),
            visibility: item.visibility,
        });
    }
    grades
}

/// What one item's closure answered, as the fraction it earns and its feedback.
fn read_answer(
    engine: &Engine,
    item: &RubricItem,
    result: Result<Dynamic, Box<EvalAltResult>>,
) -> (f64, String) {
    let feedback = item.feedback.clone();
    let value = match result {
        Ok(value) => value,
        Err(err) => {
            let why = diagnose::classify(&err, engine).into_error().to_string();
            return (0.0, join(&feedback, &why));
        }
    };
    if let Some(ok) = value.clone().try_cast::<bool>() {
        return (if ok { 1.0 } else { 0.0 }, feedback);
    }
    if let Some(partial) = value.clone().try_cast::<Partial>() {
        return (partial.fraction, join(&partial.feedback, ""));
    }
    let number = value
        .as_float()
        .ok()
        .or_else(|| value.as_int().ok().map(|i| i as f64));
    match number {
        Some(f) if (0.0..=1.0).contains(&f) => (f, feedback),
        _ => (
            0.0,
            format!(
                "rubric error: the item answered {} ({}), not true, false, a fraction from 0 to 1 or partial(..); the exercise's checks.rhai needs fixing at line {}",
                crate::text::clipped(&value.to_string(), 60),
                value.type_name(),
                item.line
            ),
        ),
    }
}

fn join(feedback: &str, why: &str) -> String {
    match (feedback.is_empty(), why.is_empty()) {
        (_, true) => feedback.to_string(),
        (true, false) => why.to_string(),
        (false, false) => format!("{feedback} ({why})"),
    }
}

/// The submission's output, diagnostics and own checks, from its recorder.
fn describe_run(
    grade: &mut SubmissionGrade,
    recorder: Recorder,
    sources: &std::collections::BTreeMap<String, String>,
) {
    let dropped = recorder.output_dropped();
    let report = recorder.finish(&grade.student, "sim", 0, grade.lab_seconds);
    grade.own_checks = OwnChecks {
        passed: report.passed,
        failed: report.failed,
    };
    let mut bytes = 0;
    for line in report.steps.iter().flat_map(|s| s.output()) {
        if grade.output.len() >= MAX_OUTPUT_LINES || bytes + line.len() > MAX_OUTPUT_BYTES {
            grade.output_cut += 1;
            continue;
        }
        bytes += line.len();
        grade.output.push(line.to_string());
    }
    grade.output_cut += dropped;
    grade.diagnostics = report
        .diagnostics
        .iter()
        .map(|d| {
            let source = sources.get(&d.file).map(String::as_str);
            d.render_width(source, false, 80)
        })
        .collect();
}

/// Scores are kept to two decimals, so sums and exports agree everywhere.
fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// `3` or `2.5`: points as exercise.toml writes them.
fn points_text(points: f64) -> String {
    if points.fract() == 0.0 {
        format!("{points:.0}")
    } else {
        points.to_string()
    }
}

/// Which engine an exercise script runs in, and so which syntax and limits it compiles with.
#[derive(Clone, Copy)]
enum RunsIn {
    /// The lab engine: setup, starter, solution and mutants (`switch(..)`, `check(..)`).
    Lab,
    /// The checks engine: `checks.rhai`.
    Checks,
}

/// The two engines an exercise's scripts run in, on a throwaway session, to find syntax
/// errors with each script's own engine (its custom syntax, its expression depth limits).
/// Built once per load: engines cost most of a small exercise's loading.
struct Compilers {
    lab: Engine,
    checks: Engine,
}

impl Compilers {
    fn new() -> Compilers {
        let session = crate::run::lab_session(0, "", PathBuf::new());
        let modules = || LabModules::new(None, PathBuf::new(), Sources::default());
        Compilers {
            lab: engine::build(&session, &Limits::default(), modules()),
            checks: engine::build_checks(
                &session,
                &Limits::default(),
                modules(),
                &Rubric::default(),
            ),
        }
    }

    /// A syntax error in one of the exercise's scripts, if any.
    fn syntax_error(&self, script: &exercise::Script, runs_in: RunsIn) -> Option<Diagnostic> {
        let engine = match runs_in {
            RunsIn::Lab => &self.lab,
            RunsIn::Checks => &self.checks,
        };
        let error = engine.compile(&script.text).err()?;
        let (line, column) = (
            error.position().line().unwrap_or(0),
            error.position().position().unwrap_or(0),
        );
        let error = Error::ExerciseScript {
            script: script.shown.clone(),
            message: error.err_type().to_string(),
            help: "fix the script's syntax; `kvmlab check` on it shows more".into(),
        };
        Some(Diagnostic::new(
            &error,
            Severity::Error,
            &script.shown,
            line,
            column,
        ))
    }
}

#[cfg(test)]
mod tests;
