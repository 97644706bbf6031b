//! The console's session (`kvmlab repl`): one world, one scope and one engine that last
//! across the inputs a trainee types, each input run under the sandbox's whole limits.
//!
//! Functions defined by an input stay defined (a library of functions grows while each
//! input's statements run once), and so do its top-level `import`s (re-run before every
//! later input, since Rhai keeps imported modules only for the length of one run). Every
//! input is a source of its own, `<input N>`, so diagnostics point into the text as typed.
//! Started on an exercise, every fresh world is built by the exercise's setup as the grader
//! builds a submission's, and [`ConsoleSession::check`] grades the world with its rubric.
//! [`ConsoleSession::checkpoint`] keeps the lab with the variables, functions and inputs so
//! far, and [`ConsoleSession::restore`] puts them all back, so no handle outlives its world.
//! Knows nothing of line editing: the binary's REPL drives it.

use crate::checkpoint::Checkpoint;
use crate::diagnostic::Diagnostic;
use crate::error::Severity;
use crate::grade::{self, CheckGrade, Exercise};
use crate::report::RunReport;
use crate::script::engine::{self, Limits};
use crate::script::history::History;
use crate::script::modules::{LabModules, Sources};
use crate::script::{diagnose, SharedSession};
use rhai::{Dynamic, Engine, EvalAltResult, ParseErrorType, Scope, Stmt, AST};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// What one input did.
#[derive(Debug)]
pub struct Evaluated {
    /// The input's source name in diagnostics, e.g. `<input 3>`.
    pub source: String,
    /// The input's value; unit when it has none (a statement, or a failed input).
    pub value: Dynamic,
    /// The value as Rhai's `to_string` shows it (strings quoted); `None` for unit.
    pub shown: Option<String>,
    /// The input's steps, checks, printed lines and diagnostics, as a run records them.
    pub report: RunReport,
}

impl Evaluated {
    /// Whether the input raised an error or failed a check.
    pub fn failed(&self) -> bool {
        self.report.failed > 0 || self.error().is_some()
    }

    /// The error that stopped the input, if one did.
    pub fn error(&self) -> Option<&Diagnostic> {
        self.report
            .diagnostics
            .iter()
            .find(|d| d.severity == Severity::Error)
    }

    /// The lines the input printed.
    pub fn output(&self) -> impl Iterator<Item = &str> {
        self.report.steps.iter().flat_map(|s| {
            s.entries.iter().filter_map(|e| match e {
                crate::report::Entry::Output(line) => Some(line.as_str()),
                _ => None,
            })
        })
    }
}

/// One console session: see the module's doc.
pub struct ConsoleSession {
    seed: u64,
    limits: Limits,
    lab_dir: Option<PathBuf>,
    /// Where files the inputs save (`save_text`, plots) go; none: saving is refused.
    out_dir: Option<PathBuf>,
    interrupt: Arc<AtomicBool>,
    session: SharedSession,
    engine: Engine,
    scope: Scope<'static>,
    /// The exercise the console was started on: its setup builds every fresh world.
    exercise: Option<Exercise>,
    /// Every function the session's inputs defined, with no statements.
    functions: AST,
    /// The top-level imports of the inputs that succeeded, re-run before each input.
    imports: Vec<Stmt>,
    /// Which input defined each function, so an error inside it points into that input.
    defined_in: BTreeMap<String, String>,
    /// The text of every input and loaded file, by source name.
    sources: Sources,
    /// The inputs that succeeded, in order, for `:save`.
    kept: Vec<String>,
    inputs: usize,
    /// `:checkpoint NAME`s taken since the start or the last reset, by name.
    checkpoints: BTreeMap<String, ConsoleCheckpoint>,
}

/// A console checkpoint: the lab and everything the inputs made, so `:restore` puts the
/// variables back with the world they point into.
struct ConsoleCheckpoint {
    lab: Checkpoint,
    history: History,
    scope: Scope<'static>,
    functions: AST,
    imports: Vec<Stmt>,
    defined_in: BTreeMap<String, String>,
    kept: Vec<String>,
}

/// At most this many console checkpoints are kept at once.
pub const MAX_CHECKPOINTS: usize = 64;

impl ConsoleSession {
    /// A session on a fresh simulator with `seed`; `lab_dir` is the folder whose `.rhai` files
    /// inputs may import (none: the stdlib only).
    pub fn new(seed: u64, limits: Limits, lab_dir: Option<PathBuf>) -> ConsoleSession {
        let interrupt = Arc::new(AtomicBool::new(false));
        ConsoleSession::on(
            fresh_lab(seed),
            Scope::new(),
            seed,
            limits,
            lab_dir,
            interrupt,
        )
    }

    /// A session on the world in `session`, the inputs starting with `scope`, stopped when
    /// `interrupt` is set.
    fn on(
        session: SharedSession,
        scope: Scope<'static>,
        seed: u64,
        limits: Limits,
        lab_dir: Option<PathBuf>,
        interrupt: Arc<AtomicBool>,
    ) -> ConsoleSession {
        let sources = Sources::default();
        let engine = console_engine(&session, &limits, lab_dir.clone(), &sources, &interrupt);
        ConsoleSession {
            seed,
            limits,
            lab_dir,
            out_dir: None,
            interrupt,
            session,
            engine,
            scope,
            exercise: None,
            functions: AST::empty(),
            imports: Vec::new(),
            defined_in: BTreeMap::new(),
            sources,
            kept: Vec::new(),
            inputs: 0,
            checkpoints: BTreeMap::new(),
        }
    }

    /// A session on `exercise`: its setup runs first in the session's world exactly as the
    /// grader runs it (the variables it hands over are constants in the scope, its record is
    /// dropped), and each input is held to the exercise's limits. `seed` is the exercise's own
    /// unless the trainee asked for another. Fails when the setup does, saying why.
    pub fn with_exercise(
        exercise: Exercise,
        seed: u64,
        lab_dir: Option<PathBuf>,
    ) -> Result<ConsoleSession, String> {
        let session = fresh_lab(seed);
        // The setup runs before the console's engine is built, as before a submission: each
        // engine installs its own budget in the session, and the last one built is the inputs'.
        let handed_over = grade::run_setup(&exercise, &session)?;
        let limits = exercise.limits();
        let interrupt = Arc::new(AtomicBool::new(false));
        let mut console =
            ConsoleSession::on(session, handed_over, seed, limits, lab_dir, interrupt);
        console.exercise = Some(exercise);
        Ok(console)
    }

    /// Files the inputs save go to `dir` (made when the first is saved), under the same
    /// rules as `kvmlab run --out`; this session and every one `:reset` makes.
    pub fn save_files_in(&mut self, dir: PathBuf) {
        self.out_dir = Some(dir);
        self.saving_files(&self.session);
    }

    /// Points `session`'s saved files at the session's `--out`, when it has one.
    fn saving_files(&self, session: &SharedSession) {
        if let Some(dir) = &self.out_dir {
            session.borrow_mut().out_dir = crate::artifacts::OutputDir::new(dir.clone());
        }
    }

    /// The exercise the console was started on, if any.
    pub fn exercise(&self) -> Option<&Exercise> {
        self.exercise.as_ref()
    }

    /// Grades the world as it is now with the exercise's rubric, as `kvmlab grade` grades the
    /// world a submission leaves; every item, hidden ones included (the caller shows what the
    /// trainee may see). `None` without an exercise. The checks only query: the world, lab
    /// time, the session's record and its budget are as they were.
    pub fn check(&self) -> Option<Result<Vec<CheckGrade>, String>> {
        let exercise = self.exercise.as_ref()?;
        let budget = self.session.borrow().budget.clone();
        let recorder = std::mem::take(&mut self.session.borrow_mut().recorder);
        let graded = grade::grade_checks(exercise, &self.session);
        let mut session = self.session.borrow_mut();
        session.budget = budget;
        session.recorder = recorder;
        Some(graded)
    }

    /// Runs a reference example in a scratch lab of its own (this session's seed, limits and
    /// interrupt flag), after the setup the reference's examples assume: this session's
    /// world, lab time and variables are untouched, and the files it saves are checked but
    /// not written. The scratch session, to show the value with, and what the example did
    /// (or what the setup did, if it failed).
    pub fn try_example(&self, example: &str) -> (ConsoleSession, Evaluated) {
        let mut scratch = ConsoleSession::on(
            fresh_lab(self.seed),
            Scope::new(),
            self.seed,
            self.limits.clone(),
            None,
            self.interrupt.clone(),
        );
        scratch.session.borrow_mut().out_dir = crate::artifacts::OutputDir::discarding();
        let setup = scratch.eval(&crate::script::examples::prelude_for(example));
        if setup.failed() {
            return (scratch, setup);
        }
        let ran = scratch.eval(example);
        (scratch, ran)
    }

    /// The flag that stops the running input when set (from any thread: a Ctrl-C handler).
    /// Each input clears it when it starts.
    pub fn interrupt_flag(&self) -> Arc<AtomicBool> {
        self.interrupt.clone()
    }

    /// The engine, for reading its API (completion, help).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The variables in scope.
    pub fn scope(&self) -> &Scope<'static> {
        &self.scope
    }

    /// The variables in scope with the script name of their values' types
    /// (`("sv1", "Host")`), for completion and call hints.
    pub fn variable_types(&self) -> Vec<(String, String)> {
        self.scope
            .iter()
            .map(|(name, _, value)| {
                let ty = self.engine.map_type_name(value.type_name());
                (name.to_string(), ty.to_string())
            })
            .collect()
    }

    /// The shared session, for reading the world (`:world`).
    pub fn session(&self) -> &SharedSession {
        &self.session
    }

    /// Lab time in seconds.
    pub fn lab_time(&self) -> f64 {
        self.session.borrow().backend.now().as_secs_f64()
    }

    /// The text of a source (an input or a loaded file) by its name in diagnostics.
    pub fn source_text(&self, name: &str) -> Option<String> {
        self.sources.borrow().get(name).cloned()
    }

    /// Runs one input typed at the console.
    pub fn eval(&mut self, input: &str) -> Evaluated {
        self.inputs += 1;
        let name = format!("<input {}>", self.inputs);
        self.run(&name, input)
    }

    /// Runs the file at `path` into the session: its variables, functions and world stay.
    /// A checkpoint file (`kvmlab checkpoint`) runs its lab's setup, which must make the
    /// state the file recorded.
    pub fn load(&mut self, path: &Path) -> Evaluated {
        let shown = path.to_string_lossy().into_owned();
        if shown.ends_with(".checkpoint.toml") {
            return self.load_checkpoint(path, &shown);
        }
        match std::fs::read_to_string(path) {
            Ok(text) => self.run(&shown, &text),
            Err(e) => self.refused(
                &shown,
                crate::Error::Unreadable {
                    path: shown.clone(),
                    reason: e.to_string(),
                },
            ),
        }
    }

    fn load_checkpoint(&mut self, path: &Path, shown: &str) -> Evaluated {
        let checkpoint = match crate::checkpoint_file::CheckpointFile::read(path) {
            Ok(checkpoint) => checkpoint,
            Err(error) => return self.refused(shown, error),
        };
        if checkpoint.seed != self.seed {
            return self.refused(
                shown,
                crate::Error::CheckpointOtherSeed {
                    path: shown.into(),
                    made: checkpoint.seed,
                    wanted: self.seed,
                },
            );
        }
        let loaded = self.run(
            &format!("{} (from {shown})", checkpoint.lab),
            &checkpoint.setup,
        );
        if loaded.failed() {
            return loaded;
        }
        match checkpoint.verify(shown, &self.session) {
            Ok(()) => loaded,
            Err(error) => self.refused(shown, error),
        }
    }

    /// What an input that could not run says: its one error.
    fn refused(&self, shown: &str, error: crate::Error) -> Evaluated {
        let diagnostic = Diagnostic::new(&error, Severity::Error, shown, 0, 0);
        let mut recorder = crate::recorder::Recorder::default();
        recorder.diagnostic(diagnostic);
        let backend = self.session.borrow().backend.name();
        Evaluated {
            source: shown.into(),
            value: Dynamic::UNIT,
            shown: None,
            report: recorder.finish(shown, backend, self.seed, self.lab_time()),
        }
    }

    /// Starts again: a fresh world with the same seed, an empty scope, no functions; on an
    /// exercise, its setup runs again and the scope holds what it hands over. Fails only when
    /// the exercise's setup does, and then the session is as it was.
    pub fn reset(&mut self) -> Result<(), String> {
        let session = fresh_lab(self.seed);
        self.saving_files(&session);
        let scope = match &self.exercise {
            Some(exercise) => grade::run_setup(exercise, &session)?,
            None => Scope::new(),
        };
        self.engine = console_engine(
            &session,
            &self.limits,
            self.lab_dir.clone(),
            &self.sources,
            &self.interrupt,
        );
        self.scope = scope;
        self.session = session;
        self.functions = AST::empty();
        self.imports.clear();
        self.defined_in.clear();
        self.kept.clear();
        self.checkpoints.clear();
        Ok(())
    }

    /// `:checkpoint NAME`: keeps the lab and the variables, functions and inputs so far
    /// under `name` (replacing one of that name). Says what it kept, or why it could not.
    pub fn checkpoint(&mut self, name: &str) -> Result<String, crate::Error> {
        if !self.checkpoints.contains_key(name) && self.checkpoints.len() >= MAX_CHECKPOINTS {
            return Err(crate::Error::TooMany {
                what: "console checkpoints".into(),
                limit: MAX_CHECKPOINTS,
            });
        }
        let (lab, history) = {
            let session = self.session.borrow();
            (session.backend.checkpoint(name)?, session.history.clone())
        };
        let said = format!(
            "checkpoint `{name}`: the lab at {}, {} variable(s){}",
            crate::units::human_duration(lab.at.as_secs_f64()),
            self.scope.len(),
            if self.checkpoints.contains_key(name) {
                " (it replaces the one of that name)"
            } else {
                ""
            }
        );
        self.checkpoints.insert(
            name.to_string(),
            ConsoleCheckpoint {
                lab,
                history,
                scope: self.scope.clone(),
                functions: self.functions.clone(),
                imports: self.imports.clone(),
                defined_in: self.defined_in.clone(),
                kept: self.kept.clone(),
            },
        );
        Ok(said)
    }

    /// `:restore NAME`: the lab, variables, functions and inputs as `:checkpoint NAME` kept
    /// them. The checkpoint stays, to restore again.
    pub fn restore(&mut self, name: &str) -> Result<String, crate::Error> {
        let Some(kept) = self.checkpoints.get(name) else {
            return Err(crate::Error::NoCheckpoint {
                name: name.to_string(),
                taken: if self.checkpoints.is_empty() {
                    "none yet".to_string()
                } else {
                    self.checkpoints
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            });
        };
        {
            let mut session = self.session.borrow_mut();
            session.backend.restore(&kept.lab)?;
            session.history = kept.history.clone();
        }
        self.scope = kept.scope.clone();
        self.functions = kept.functions.clone();
        self.imports = kept.imports.clone();
        self.defined_in = kept.defined_in.clone();
        self.kept = kept.kept.clone();
        Ok(format!(
            "back to checkpoint `{name}`: the lab at {}, {} variable(s) as they were",
            crate::units::human_duration(kept.lab.at.as_secs_f64()),
            self.scope.len()
        ))
    }

    /// The checkpoints kept, by name, with the lab time each was taken at.
    pub fn checkpoints(&self) -> Vec<(String, f64)> {
        self.checkpoints
            .iter()
            .map(|(name, kept)| (name.clone(), kept.lab.at.as_secs_f64()))
            .collect()
    }

    /// The inputs that succeeded since the start or the last reset, as one script that
    /// `kvmlab run` runs to the same world.
    pub fn script(&self) -> String {
        let mut script = String::new();
        for input in &self.kept {
            let input = input.trim_end();
            script.push_str(input);
            // A value typed to be shown (`x + 2`) is a statement in a script.
            if !input.ends_with([';', '}']) {
                let last = input.lines().last().unwrap_or("");
                script.push_str(if last.contains("//") { "\n;" } else { ";" });
            }
            script.push('\n');
        }
        script
    }

    /// Whether `input` is whole: `false` while a bracket, block or string is still open,
    /// as Rhai's parser decides. Any other mistake counts as whole (running it reports it).
    pub fn is_complete(&self, input: &str) -> bool {
        match self.engine.compile(input) {
            Ok(_) => true,
            Err(e) => !is_open_at_end(e.err_type(), e.position(), input),
        }
    }

    /// Runs `code`, part of a file (a lab walked step by step, the rest of the file blanked
    /// so that every line and column is the file's), as one input: diagnostics point into
    /// `file` by its own lines, `functions` are defined, and `saved` is what `:save` keeps
    /// when it succeeds. Compiled against the session's variables, as a typed input is.
    pub fn eval_in_file(
        &mut self,
        file: &str,
        file_text: &str,
        code: &str,
        functions: &AST,
        saved: &str,
    ) -> Evaluated {
        self.sources
            .borrow_mut()
            .insert(file.to_string(), file_text.to_string());
        let compiled = self
            .engine
            .compile_with_scope(&self.scope, code)
            .map(|ast| ast.merge(functions))
            .map_err(|e| Box::new(EvalAltResult::from(e)));
        self.execute(file, saved, compiled)
    }

    fn run(&mut self, name: &str, text: &str) -> Evaluated {
        self.sources
            .borrow_mut()
            .insert(name.to_string(), text.to_string());
        let compiled = self
            .engine
            .compile_with_scope(&self.scope, text)
            .map_err(|e| Box::new(EvalAltResult::from(e)));
        self.execute(name, text, compiled)
    }

    /// Runs a compiled input with a fresh budget; `saved` is kept for `:save` if it succeeds.
    fn execute(
        &mut self,
        name: &str,
        saved: &str,
        compiled: Result<AST, Box<EvalAltResult>>,
    ) -> Evaluated {
        self.interrupt.store(false, Ordering::Relaxed);
        self.session.borrow().budget.restart();
        let outcome = compiled.and_then(|ast| {
            let merged = self.functions.merge(&ast);
            let statements = self.imports.iter().chain(ast.statements()).cloned();
            let run = AST::new_with_source(statements, merged.shared_lib().clone(), name);
            let value = self
                .engine
                .eval_ast_with_scope::<Dynamic>(&mut self.scope, &run)?;
            Ok((ast, merged, value))
        });
        let (value, shown) = match outcome {
            Ok((ast, merged, value)) => {
                self.functions = merged.clone_functions_only();
                for function in ast.iter_functions() {
                    self.defined_in
                        .insert(function.name.to_string(), name.to_string());
                }
                self.imports.extend(
                    ast.statements()
                        .iter()
                        .filter(|s| matches!(s, Stmt::Import(..)))
                        .cloned(),
                );
                if !saved.trim().is_empty() {
                    self.kept.push(saved.to_string());
                }
                let shown = self.show(&value);
                (value, shown)
            }
            Err(mut err) => {
                self.point_into_definitions(&mut err, name);
                let sources = self.sources.clone();
                let lookup = |file: &str| sources.borrow().get(file).cloned();
                let diagnostic = diagnose::diagnose(&err, &self.engine, name, &lookup);
                self.session.borrow_mut().recorder.diagnostic(diagnostic);
                (Dynamic::UNIT, None)
            }
        };
        let report = {
            let mut s = self.session.borrow_mut();
            let recorder = std::mem::take(&mut s.recorder);
            let now = s.backend.now().as_secs_f64();
            recorder.finish(name, s.backend.name(), s.backend.seed(), now)
        };
        Evaluated {
            source: name.to_string(),
            value,
            shown,
            report,
        }
    }

    /// An error inside a function names the input that called it; the function's lines
    /// belong to the input that defined it.
    fn point_into_definitions(&self, err: &mut EvalAltResult, caller: &str) {
        let mut current = err;
        while let EvalAltResult::ErrorInFunctionCall(function, source, inner, _) = current {
            if source.is_empty() || source.as_str() == caller {
                if let Some(home) = self.defined_in.get(function.as_str()) {
                    source.clone_from(home);
                }
            }
            current = inner;
        }
    }

    /// The value as a person reads it: Rhai's `to_string` (the types' own), strings quoted.
    fn show(&self, value: &Dynamic) -> Option<String> {
        if value.is_unit() {
            return None;
        }
        if value.is_string() {
            return Some(format!("{value:?}"));
        }
        let mut scope = Scope::new();
        scope.push_dynamic("value", value.clone());
        self.session.borrow().budget.restart();
        Some(
            self.engine
                .eval_with_scope::<String>(&mut scope, "value.to_string()")
                .unwrap_or_else(|_| value.to_string()),
        )
    }
}

/// A session on a fresh lab with `seed`, on the backend runs use.
fn fresh_lab(seed: u64) -> SharedSession {
    crate::run::lab_session(seed, "<input>", PathBuf::new())
}

/// The engine the inputs run in, its budget installed in `session` and watching `interrupt`.
fn console_engine(
    session: &SharedSession,
    limits: &Limits,
    lab_dir: Option<PathBuf>,
    sources: &Sources,
    interrupt: &Arc<AtomicBool>,
) -> Engine {
    let shown_dir = lab_dir.clone().unwrap_or_default();
    let modules = LabModules::new(lab_dir, shown_dir, sources.clone());
    let engine = engine::build(session, limits, modules);
    session.borrow().budget.watch_interrupt(interrupt.clone());
    engine
}

/// Whether a parse error means the input is still open: a string not yet closed, or a
/// missing closing token or an unexpected end positioned past the end of the text.
fn is_open_at_end(error: &ParseErrorType, position: rhai::Position, input: &str) -> bool {
    match error {
        ParseErrorType::BadInput(rhai::LexError::UnterminatedString) => true,
        ParseErrorType::MissingToken(..) | ParseErrorType::UnexpectedEOF => {
            let Some(line) = position.line() else {
                return true;
            };
            let lines: Vec<&str> = input.lines().collect();
            match line.cmp(&lines.len()) {
                std::cmp::Ordering::Greater => true,
                std::cmp::Ordering::Equal => position
                    .position()
                    .is_none_or(|column| column > lines[line - 1].chars().count()),
                std::cmp::Ordering::Less => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn console() -> ConsoleSession {
        ConsoleSession::new(0, Limits::default(), None)
    }

    fn codes(evaluated: &Evaluated) -> Vec<(String, String, usize)> {
        evaluated
            .report
            .diagnostics
            .iter()
            .map(|d| (d.code.clone(), d.file.clone(), d.line))
            .collect()
    }

    /// Two report hosts and a guest on sv1's local pool, installed and running.
    const GUEST: &str = "import \"kvmlab/hosts\" as hosts;
let lab = hosts::build();
let sv1 = lab.sv1; let sv2 = lab.sv2;
sv1.store_file(\"/guest/iso/CentOS-5.6-i386-bin-DVD.iso\", size(\"3.9G\"));
let local = sv1.define_pool(#{name: \"guest\", type: \"dir\", target: \"/guest\"});
let vol = local.create_volume(#{name: \"g.img\", capacity: \"20G\", allocation: 0});
let g = sv1.define_guest(#{name: \"g\", memory: \"512M\", iso: \"/guest/iso/CentOS-5.6-i386-bin-DVD.iso\",
    disk: vol, network: #{bridge: \"br0\", address: \"192.168.1.20/24\"}, cache: \"none\"});
g.install();
";

    #[test]
    fn values_and_variables_last_across_inputs() {
        let mut c = console();
        assert_eq!(c.eval("let x = 40;").shown, None);
        let sum = c.eval("x + 2");
        assert_eq!(sum.shown.as_deref(), Some("42"));
        assert_eq!(sum.value.as_int().unwrap(), 42);
        assert_eq!(c.eval("\"sv1\"").shown.as_deref(), Some("\"sv1\""));
        assert_eq!(c.eval("1.5 * 2").shown.as_deref(), Some("3.0"));
        let printed = c.eval("print(`x is ${x}`);");
        assert_eq!(printed.output().collect::<Vec<_>>(), ["x is 40"]);
        assert_eq!(printed.source, "<input 5>");
    }

    #[test]
    fn functions_and_imports_persist_without_rerunning_statements() {
        let mut c = console();
        c.eval("import \"kvmlab/report\" as report;\nfn twice(n) {\n  n * 2\n}\nprint(\"once\");");
        let later = c.eval("twice(21)");
        assert_eq!(later.shown.as_deref(), Some("42"));
        assert_eq!(
            later.output().count(),
            0,
            "earlier statements do not run again"
        );
        let spec = c.eval("report::server_spec().cores");
        assert_eq!(spec.shown.as_deref(), Some("4"), "{:?}", codes(&spec));
    }

    #[test]
    fn errors_point_at_the_line_as_typed_and_change_nothing_else() {
        let mut c = console();
        c.eval(
            "import \"kvmlab/report\" as report;\nlet sv1 = host(\"sv1\", report::server_spec());",
        );
        let failed = c.eval("let y = 1;\nsv1.no_such_method();");
        assert!(failed.failed());
        let error = failed.error().unwrap();
        assert_eq!((error.file.as_str(), error.line), ("<input 2>", 2));
        let text = c.source_text(&error.file).unwrap();
        let shown = error.render_width(Some(&text), false, 80);
        assert!(shown.contains("sv1.no_such_method();"), "{shown}");
        // The session goes on, and the failed input is not kept for `:save`.
        assert_eq!(c.eval("sv1.cores").shown.as_deref(), Some("4"));
        assert!(!c.script().contains("no_such_method"));
        c.eval("sv1.cores");
        assert!(c.script().ends_with("sv1.cores;\n"), "{}", c.script());
    }

    #[test]
    fn an_error_inside_an_earlier_function_points_into_its_input() {
        let mut c = console();
        c.eval("fn boom() {\n  let a = 1;\n  throw \"boom\";\n}");
        let failed = c.eval("boom()");
        let error = failed.error().unwrap();
        assert_eq!((error.file.as_str(), error.line), ("<input 1>", 3));
        let text = c.source_text(&error.file).unwrap();
        assert!(error
            .render_width(Some(&text), false, 80)
            .contains("throw \"boom\";"));
    }

    #[test]
    fn a_parse_error_is_reported_at_its_line() {
        let mut c = console();
        let failed = c.eval("let a = 1;\nlet = 2;");
        assert_eq!(failed.error().unwrap().line, 2);
        assert_eq!(failed.error().unwrap().file, "<input 1>");
    }

    #[test]
    fn a_warning_is_pinned_to_the_typed_line() {
        let mut c = console();
        c.eval("import \"kvmlab/hosts\" as hosts;\nlet lab = hosts::build();\nlet sv1 = lab.sv1;");
        let warned = c.eval(
            "sv1.set_vars(\"/etc/sysconfig/network-scripts/ifcfg-eth1\", #{GATEWAY: \"192.168.1.1\"});\n\
             sv1.service(\"network\").restart();",
        );
        assert!(!warned.failed(), "{:?}", codes(&warned));
        assert_eq!(
            codes(&warned),
            [(
                "kvmlab::net::gateway_off_link".into(),
                "<input 2>".into(),
                2
            )]
        );
    }

    #[test]
    fn reset_starts_a_fresh_world_and_scope() {
        let mut c = console();
        c.eval("import \"kvmlab/report\" as report;\nlet sv1 = host(\"sv1\", report::server_spec());\nsleep(60);");
        assert_eq!(c.lab_time(), 60.0);
        c.reset().unwrap();
        assert_eq!(c.lab_time(), 0.0);
        assert!(c.scope().is_empty());
        assert!(c.script().is_empty());
        let again = c.eval("import \"kvmlab/report\" as report; let sv1 = host(\"sv1\", report::server_spec()); sv1.cores");
        assert_eq!(again.shown.as_deref(), Some("4"), "{:?}", codes(&again));
    }

    fn network_exercise() -> Exercise {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../labs/exercises/network");
        Exercise::load(&dir).expect("the network exercise loads")
    }

    /// The first item's fix: sv1 resolves sv2, address first in its /etc/hosts.
    const SV1_HOSTS: &str = "import \"kvmlab/report\" as report;\n\
        sv1.write_file(\"/etc/hosts\", \"127.0.0.1 localhost\\n\" + report::hosts_corrected());";

    #[test]
    fn an_exercise_s_setup_builds_the_world_and_hands_over_its_variables() {
        let exercise = network_exercise();
        let mut c = ConsoleSession::with_exercise(exercise.clone(), 0, None).unwrap();
        let names: Vec<&str> = c.scope().iter().map(|(name, _, _)| name).collect();
        assert_eq!(names, ["sv1", "sv2", "net1", "net2"]);
        assert!(c.scope().iter().all(|(_, constant, _)| constant));
        // The setup's record (its steps, the warnings it raised) is not the trainee's.
        let first = c.eval("sv2.name");
        assert_eq!(first.shown.as_deref(), Some("\"sv2\""));
        assert!(first.report.diagnostics.is_empty(), "{:?}", codes(&first));
        let assigned = c.eval("sv1 = sv2;");
        let error = assigned.error().unwrap();
        assert_eq!(
            (error.code.as_str(), error.message.as_str()),
            (
                "kvmlab::script::runtime",
                "`sv1` is a constant: it cannot be given another value"
            )
        );
        let help = error.help.as_deref().unwrap();
        assert!(help.ends_with("`let other_sv1 = ...;`"), "{help}");
        // The advice, followed.
        let followed = c.eval("let other_sv1 = sv2; other_sv1.name");
        assert_eq!(followed.shown.as_deref(), Some("\"sv2\""));
        // Each input is held to the exercise's limits, not the console's defaults.
        let runaway = c.eval("let n = 0; while n < 6000000 { n += 1; }");
        assert_eq!(runaway.error().unwrap().code, "kvmlab::sandbox::operations");
        assert_eq!(exercise.limits().max_operations, 5_000_000);
    }

    #[test]
    fn check_grades_the_world_as_it_is_and_changes_nothing() {
        let mut c = ConsoleSession::with_exercise(network_exercise(), 0, None).unwrap();
        assert!(ConsoleSession::new(0, Limits::default(), None)
            .check()
            .is_none());
        let before = c.check().unwrap().unwrap();
        assert_eq!(before[0].name, "sv2 resolves on sv1");
        assert_eq!(before[0].status, grade::CheckStatus::Failed);
        c.eval(SV1_HOSTS);
        c.eval("sleep(30);");
        let world = c.session().borrow().backend.world().clone();
        let time = c.lab_time();
        let after = c.check().unwrap().unwrap();
        assert_eq!(after[0].status, grade::CheckStatus::Passed);
        assert_eq!((after[2].score, after[2].points), (1.0, 2.0), "{after:?}");
        assert_eq!(c.session().borrow().backend.world(), &world);
        assert_eq!(c.lab_time(), time);
        // The next input runs in the console's own budget and record, watching Ctrl-C.
        let next = c.eval("sv1.resolve(\"sv2\")");
        assert_eq!(next.shown.as_deref(), Some("\"192.168.1.12\""));
        assert!(next.report.diagnostics.is_empty(), "{:?}", codes(&next));
        let stopper = interrupt_after(&c, Duration::from_millis(50));
        let stopped = c.eval("while true {}");
        stopper.join().unwrap();
        assert_eq!(
            stopped.error().unwrap().code,
            "kvmlab::console::interrupted"
        );
    }

    #[test]
    fn reset_on_an_exercise_runs_its_setup_again() {
        let mut c = ConsoleSession::with_exercise(network_exercise(), 0, None).unwrap();
        c.eval(SV1_HOSTS);
        c.eval("let mine = 1;");
        assert_eq!(c.check().unwrap().unwrap()[0].score, 1.0);
        c.reset().unwrap();
        assert_eq!(c.scope().len(), 4, "only the handed-over variables");
        assert!(c.script().is_empty());
        assert_eq!(c.check().unwrap().unwrap()[0].score, 0.0);
        assert_eq!(c.eval("sv1.name").shown.as_deref(), Some("\"sv1\""));
    }

    #[test]
    fn load_runs_a_file_into_the_session() {
        let dir = std::env::temp_dir().join(format!("kvmlab-console-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("hosts.rhai");
        std::fs::write(&file, "import \"kvmlab/report\" as report;\nlet sv1 = host(\"sv1\", report::server_spec());\nfn cores(h) { h.cores }\n").unwrap();
        let mut c = console();
        let loaded = c.load(&file);
        assert!(!loaded.failed(), "{:?}", codes(&loaded));
        assert_eq!(c.eval("cores(sv1)").shown.as_deref(), Some("4"));
        assert!(c.script().starts_with("import \"kvmlab/report\""));
        let missing = c.load(&dir.join("none.rhai"));
        assert_eq!(missing.error().unwrap().code, "kvmlab::script::unreadable");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_sandbox_limits_apply_per_input() {
        let limits = Limits {
            max_operations: 50_000,
            ..Limits::default()
        };
        let mut c = ConsoleSession::new(0, limits, None);
        for _ in 0..3 {
            let spent = c.eval("let n = 0; for i in 0..10000 { n += i; } n");
            assert_eq!(
                spent.shown.as_deref(),
                Some("49995000"),
                "{:?}",
                codes(&spent)
            );
        }
        let runaway = c.eval("while true {}");
        assert_eq!(runaway.error().unwrap().code, "kvmlab::sandbox::operations");
    }

    fn interrupt_after(c: &ConsoleSession, wait: Duration) -> std::thread::JoinHandle<()> {
        let flag = c.interrupt_flag();
        std::thread::spawn(move || {
            std::thread::sleep(wait);
            flag.store(true, Ordering::Relaxed);
        })
    }

    #[test]
    fn an_interrupt_stops_an_endless_loop_and_the_session_goes_on() {
        let mut c = console();
        c.eval("let kept = 1;");
        let stopper = interrupt_after(&c, Duration::from_millis(50));
        let stopped = c.eval("let i = 0;\nwhile true { i += 1; }");
        stopper.join().unwrap();
        let error = stopped.error().unwrap();
        assert_eq!(
            (error.code.as_str(), error.line),
            ("kvmlab::console::interrupted", 2)
        );
        assert_eq!(
            error.help.as_deref(),
            Some("the input was stopped; the lab is as it was when it stopped")
        );
        assert_eq!(c.eval("kept").shown.as_deref(), Some("1"));
    }

    #[test]
    fn an_interrupt_stops_a_migration_that_never_converges() {
        let mut c = console();
        let built = c.eval(GUEST);
        assert!(!built.failed(), "{:?}", codes(&built));
        c.eval("g.workload(#{used: \"410M\", wss: \"256M\", dirty_rate: \"20M/s\"});");
        let stopper = interrupt_after(&c, Duration::from_millis(300));
        // Each attempt gives up after an hour of lab time; the loop tries again forever.
        let stopped = c.eval(
            "let tries = 0;\nwhile true { tries += 1; try { g.migrate(sv2, #{unsafe: true}); } catch (e) { print(e); } }",
        );
        stopper.join().unwrap();
        assert_eq!(
            codes(&stopped),
            [("kvmlab::console::interrupted".into(), "<input 3>".into(), 2)],
            "Ctrl-C cannot be caught"
        );
        assert!(c.eval("tries").value.as_int().unwrap() >= 1);
        assert_eq!(c.eval("g.host.name").shown.as_deref(), Some("\"sv1\""));
        assert_eq!(c.eval("g.state").shown.as_deref(), Some("\"running\""));
    }

    #[test]
    fn a_labs_statements_run_as_one_input_with_the_labs_lines() {
        let mut c = console();
        c.eval("let typed_first = 1;");
        let text = "import \"kvmlab/report\" as report;\nfn cores(h) { h.cores }\nstep(\"a\");\nlet sv1 = host(\"sv1\", report::server_spec());\nsv1.no_such_method();\n";
        let blanked: String = text.lines().map(|l| if l.starts_with("let") { l.to_string() } else { " ".repeat(l.len()) } + "\n").collect();
        let made = c.eval_in_file(
            "labs/x.rhai",
            text,
            &blanked,
            &AST::empty(),
            "let sv1 = host(\"sv1\", report::server_spec());",
        );
        let error = made.error().unwrap();
        assert_eq!(
            (error.file.as_str(), error.line),
            ("labs/x.rhai", 4),
            "the import did not run"
        );
        let imports: String = text.lines().map(|l| if l.starts_with("import") { l.to_string() } else { " ".repeat(l.len()) } + "\n").collect();
        let functions = c.engine().compile(text).unwrap().clone_functions_only();
        let started = c.eval_in_file(
            "labs/x.rhai",
            text,
            &imports,
            &functions,
            "import \"kvmlab/report\" as report;",
        );
        assert!(!started.failed(), "{:?}", codes(&started));
        let made = c.eval_in_file(
            "labs/x.rhai",
            text,
            &blanked,
            &AST::empty(),
            "let sv1 = host(\"sv1\", report::server_spec());",
        );
        assert!(!made.failed(), "{:?}", codes(&made));
        // The file's functions and imports last, as a typed input's do.
        assert_eq!(c.eval("cores(sv1)").shown.as_deref(), Some("4"));
        assert_eq!(c.eval("typed_first").shown.as_deref(), Some("1"));
        let call: String = text.lines().map(|l| if l.starts_with("sv1") { l.to_string() } else { " ".repeat(l.len()) } + "\n").collect();
        let failed = c.eval_in_file(
            "labs/x.rhai",
            text,
            &call,
            &AST::empty(),
            "sv1.no_such_method();",
        );
        let error = failed.error().unwrap();
        assert_eq!(
            (error.file.as_str(), error.line, error.column),
            ("labs/x.rhai", 5, 5)
        );
        assert!(error
            .render_width(c.source_text("labs/x.rhai").as_deref(), false, 80)
            .contains("sv1.no_such_method();"));
        assert_eq!(
            c.script(),
            "let typed_first = 1;\nimport \"kvmlab/report\" as report;\nlet sv1 = host(\"sv1\", report::server_spec());\ncores(sv1);\ntyped_first;\n"
        );
    }

    #[test]
    fn open_brackets_strings_and_blocks_are_incomplete() {
        let c = console();
        for open in [
            "fn f(x) {",
            "let a = [1, 2,",
            "print(\"a\"",
            "if true {\n  1",
            "let s = `abc",
        ] {
            assert!(!c.is_complete(open), "{open:?} is still open");
        }
        for whole in [
            "1 + 2",
            "fn f(x) { x }",
            "let a = [1, 2];",
            "let = 3;",
            "x)",
            "",
        ] {
            assert!(c.is_complete(whole), "{whole:?} is whole");
        }
    }
}
