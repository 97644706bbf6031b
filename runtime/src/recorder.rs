//! Collects what a lab does (steps, checks, output, values, diagnostics) while it runs, and
//! turns it into the [`RunReport`] when it ends.

use crate::diagnostic::Diagnostic;
use crate::error::Severity;
use crate::report::{Check, Entry, RunReport, Step};
use std::collections::BTreeMap;

/// Title of the implicit step that holds whatever happens before the first `step(..)`.
pub const PREAMBLE_STEP: &str = "(before the first step)";

#[derive(Debug, Default)]
pub struct Recorder {
    steps: Vec<Step>,
    values: BTreeMap<String, serde_json::Value>,
    artifacts: Vec<String>,
    diagnostics: Vec<Diagnostic>,
}

impl Recorder {
    pub fn step(&mut self, title: &str) {
        self.steps.push(Step {
            title: title.to_string(),
            entries: Vec::new(),
        });
    }

    pub fn check(&mut self, check: Check) {
        self.current_step().entries.push(Entry::Check(check));
    }

    pub fn output(&mut self, line: &str) {
        self.current_step()
            .entries
            .push(Entry::Output(line.to_string()));
    }

    pub fn record(&mut self, key: &str, value: serde_json::Value) {
        self.values.insert(key.to_string(), value);
    }

    pub fn artifact(&mut self, path: String) {
        if !self.artifacts.contains(&path) {
            self.artifacts.push(path);
        }
    }

    pub fn diagnostic(&mut self, diagnostic: Diagnostic) {
        let index = self.diagnostics.len();
        self.diagnostics.push(diagnostic);
        self.current_step().entries.push(Entry::Diagnostic(index));
    }

    /// Marks warning `index` (into [`Recorder::diagnostics`]) as one the lab meant.
    pub fn mark_expected(&mut self, index: usize) {
        if let Some(d) = self.diagnostics.get_mut(index) {
            if d.severity == Severity::Warning {
                d.expected = Some(true);
            }
        }
    }

    /// Every diagnostic so far, oldest first.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    fn current_step(&mut self) -> &mut Step {
        if self.steps.is_empty() {
            self.step(PREAMBLE_STEP);
        }
        self.steps.last_mut().expect("a step exists")
    }

    pub fn finish(self, lab: &str, backend: &str, seed: u64, clock: f64) -> RunReport {
        let (passed, failed) =
            self.steps
                .iter()
                .flat_map(|s| s.checks())
                .fold(
                    (0, 0),
                    |(p, f), c| if c.passed { (p + 1, f) } else { (p, f + 1) },
                );
        RunReport {
            lab: lab.to_string(),
            backend: backend.to_string(),
            seed,
            passed,
            failed,
            clock,
            steps: self.steps,
            values: self.values,
            artifacts: self.artifacts,
            diagnostics: self.diagnostics,
        }
    }
}
