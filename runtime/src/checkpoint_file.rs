//! Checkpoint files: a lab's reference state before one of its steps, in a file an
//! instructor hands out (`kvmlab checkpoint LAB --step N`) and an exercise starts from
//! (`[setup] checkpoint = FILE`).
//!
//! The simulator is deterministic, so a lab's state before step N is what its text up to
//! that step makes from the seed. The file holds that text, the seed, and a digest of the
//! state it made (the world and lab time); loading it runs the text again and compares the
//! digest, so a file read by a kvmlab whose model has changed since, or edited by hand, is
//! refused by name (`kvmlab::checkpoint::diverged`) rather than starting a class from
//! another state. Every state a file can give is one the simulator's own rules reached.

use std::path::Path;

use rhai::Scope;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::diagnostic::Diagnostic;
use crate::error::{Error, Severity};
use crate::script::engine::{self, Limits};
use crate::script::modules::{LabModules, Sources};
use crate::script::SharedSession;

/// The largest checkpoint file read: a lab's text is kilobytes.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// What a checkpoint file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointFile {
    /// The kvmlab that made it.
    pub kvmlab: String,
    /// The lab it comes from, as it was named when it was made.
    pub lab: String,
    /// The step the state is from before, as `:step` and `before_step` count them.
    pub before_step: usize,
    pub seed: u64,
    /// Lab time at the checkpoint, in nanoseconds.
    pub lab_time_ns: u64,
    /// SHA-256 of the world and lab time the setup made.
    pub digest: String,
    /// The lab's text up to the step: what brings a lab to the state.
    pub setup: String,
}

/// The digest of a session's lab: its world as the report sees it, and lab time.
pub fn digest(session: &SharedSession) -> String {
    let s = session.borrow();
    let world = serde_json::to_vec(s.backend.world()).expect("the world serializes");
    let digest = Sha256::new()
        .chain_update(s.backend.now().0.to_le_bytes())
        .chain_update(&world)
        .finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A lab's text up to the line of its `step`-th top-level `step(..)`; `None` is all of it.
/// `no_such_step` is the caller's refusal of a step the lab lacks, given how many it has.
pub(crate) fn text_before_step(
    shown: &str,
    text: &str,
    step: Option<usize>,
    no_such_step: impl Fn(usize) -> Box<Diagnostic>,
) -> Result<String, Box<Diagnostic>> {
    let Some(step) = step else {
        return Ok(text.to_string());
    };
    let engine = crate::run::reference_engine(LabModules::new(
        None,
        std::path::PathBuf::new(),
        Sources::default(),
    ));
    let steps = crate::lab_steps::Lab::parse(&engine, shown, text.to_string())?.steps;
    if step == 0 || step > steps.len() {
        return Err(no_such_step(steps.len()));
    }
    Ok(text
        .lines()
        .take(steps[step - 1].line - 1)
        .map(|line| format!("{line}\n"))
        .collect())
}

/// Runs a setup in `session` as a lab's top level, its imports from `dir`; returns its
/// scope, or what stopped it as a diagnostic at its line.
pub(crate) fn run_setup_text(
    session: &SharedSession,
    dir: &Path,
    shown: &str,
    text: &str,
) -> Result<Scope<'static>, Box<Diagnostic>> {
    let modules = LabModules::new(
        Some(dir.to_path_buf()),
        dir.to_path_buf(),
        Sources::default(),
    );
    let engine = engine::build(session, &Limits::default(), modules);
    let mut scope = Scope::new();
    let result = engine
        .compile(text)
        .map_err(|e| Box::new(e.into()))
        .and_then(|mut ast| {
            ast.set_source(shown);
            engine.run_ast_with_scope(&mut scope, &ast)
        });
    match result {
        Ok(_) => Ok(scope),
        Err(err) => {
            let lookup = |_: &str| Some(text.to_string());
            Err(Box::new(crate::script::diagnose::diagnose(
                &err, &engine, shown, &lookup,
            )))
        }
    }
}

impl CheckpointFile {
    /// Runs `lab` up to its `before_step`-th step on the simulator with `seed`, and records
    /// the state it reached.
    pub fn make(
        lab: &Path,
        before_step: usize,
        seed: u64,
    ) -> Result<CheckpointFile, Box<Diagnostic>> {
        let shown = lab.to_string_lossy().into_owned();
        let refuse =
            |error: Error| Box::new(Diagnostic::new(&error, Severity::Error, &shown, 0, 0));
        let text = std::fs::read_to_string(lab).map_err(|e| {
            refuse(Error::Unreadable {
                path: shown.clone(),
                reason: e.to_string(),
            })
        })?;
        let setup = text_before_step(&shown, &text, Some(before_step), |steps| {
            refuse(Error::CheckpointNoSuchStep {
                lab: shown.clone(),
                step: before_step,
                steps,
            })
        })?;
        let session = crate::run::lab_session(seed, &shown, std::path::PathBuf::new());
        session.borrow_mut().out_dir = crate::artifacts::OutputDir::discarding();
        let dir = lab.parent().unwrap_or(Path::new("."));
        run_setup_text(&session, dir, &shown, &setup)?;
        let lab_time_ns = session.borrow().backend.now().0;
        Ok(CheckpointFile {
            kvmlab: env!("CARGO_PKG_VERSION").into(),
            lab: lab
                .file_name()
                .map_or(shown.clone(), |n| n.to_string_lossy().into_owned()),
            before_step,
            seed,
            lab_time_ns,
            digest: digest(&session),
            setup,
        })
    }

    /// The file's text: TOML, with a first line that says what it is.
    pub fn to_toml(&self) -> String {
        format!(
            "# kvmlab checkpoint: {} before step {}, seed {}\n{}",
            self.lab,
            self.before_step,
            self.seed,
            toml::to_string(self).expect("a checkpoint serializes")
        )
    }

    /// Reads a checkpoint file, refusing what is not one.
    pub fn read(path: &Path) -> Result<CheckpointFile, Error> {
        let shown = path.to_string_lossy().into_owned();
        let unreadable = |e: std::io::Error| Error::Unreadable {
            path: shown.clone(),
            reason: e.to_string(),
        };
        let size = std::fs::metadata(path).map_err(unreadable)?.len();
        if size > MAX_FILE_BYTES {
            return Err(Error::CheckpointFileBad {
                path: shown,
                reason: format!(
                    "it is {}, and a checkpoint file is a lab's text, at most {}",
                    crate::units::human_size(size),
                    crate::units::human_size(MAX_FILE_BYTES)
                ),
            });
        }
        let text = std::fs::read_to_string(path).map_err(unreadable)?;
        toml::from_str(&text).map_err(|e| Error::CheckpointFileBad {
            path: shown,
            reason: e.message().to_string(),
        })
    }

    /// Refuses a session the setup did not bring to the recorded state.
    pub fn verify(&self, path: &str, session: &SharedSession) -> Result<(), Error> {
        if digest(session) == self.digest {
            return Ok(());
        }
        Err(Error::CheckpointDiverged {
            path: path.into(),
            lab: self.lab.clone(),
            step: self.before_step,
            made_by: self.kvmlab.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CheckpointFile {
        CheckpointFile {
            kvmlab: "0.1.0".into(),
            lab: "lab.rhai".into(),
            before_step: 2,
            seed: 7,
            lab_time_ns: 1_500_000_000,
            digest: "ab".repeat(32),
            setup: "step(\"one\");\nlet x = \"\"\"\";\nsleep(1.5);\n".into(),
        }
    }

    #[test]
    fn a_file_reads_back_as_it_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lab-before-step-2.checkpoint.toml");
        std::fs::write(&path, sample().to_toml()).unwrap();
        assert!(std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("# kvmlab checkpoint: lab.rhai before step 2, seed 7\n"));
        assert_eq!(CheckpointFile::read(&path).unwrap(), sample());
    }

    #[test]
    fn what_is_not_a_checkpoint_is_refused_saying_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.checkpoint.toml");
        let extra = format!("{}colour = \"red\"\n", sample().to_toml());
        for (text, reason) in [
            (
                "setup = 3\n",
                "invalid type: integer `3`, expected a string",
            ),
            (extra.as_str(), "unknown field `colour`"),
        ] {
            std::fs::write(&path, text).unwrap();
            let e = CheckpointFile::read(&path).unwrap_err();
            assert_eq!(e.code_str(), "kvmlab::checkpoint::bad_file");
            assert!(e.to_string().contains(reason), "{e}");
        }
        std::fs::write(&path, vec![b'#'; (MAX_FILE_BYTES + 1) as usize]).unwrap();
        let e = CheckpointFile::read(&path).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("is not a kvmlab checkpoint file: it is 1.1M, and a checkpoint file is a lab's text, at most 1.0M"),
            "{e}"
        );
    }
}
