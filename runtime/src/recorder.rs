//! Collects what a lab does (steps, checks, output, values, diagnostics) while it runs, and
//! turns it into the [`RunReport`] when it ends.
//!
//! Warnings are held to a budget, so one bad file written in a loop cannot flood the report:
//! the first [`SAME_WARNINGS`] of one code at one line are recorded and the rest counted on
//! the last of them ("N more like this"); after [`MAX_WARNINGS`] in a run the rest are
//! counted in one `kvmlab::sandbox::warnings`. Printed output is held to
//! [`MAX_OUTPUT_BYTES`] the same way (`kvmlab::sandbox::output`). A run has at most
//! [`MAX_STEPS`] steps and [`MAX_CHECKS`] checks, with titles and names cut to
//! [`NAME_CHARS`], so the report stays small whatever the script does.

use crate::diagnostic::Diagnostic;
use crate::error::{Error, Severity};
use crate::report::{Check, Entry, RunReport, Step};
use crate::text::clipped;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Title of the implicit step that holds whatever happens before the first `step(..)`.
pub const PREAMBLE_STEP: &str = "(before the first step)";

/// Warnings of one code at one line recorded before the others are only counted.
pub const SAME_WARNINGS: usize = 5;
/// Warnings one run records; later ones are only counted.
pub const MAX_WARNINGS: usize = 200;
/// Steps and checks one run records; one more stops the run (`kvmlab::sandbox::too_many`).
pub const MAX_STEPS: usize = 1_000;
pub const MAX_CHECKS: usize = 10_000;
/// Characters of a step title or check name kept, and of a check's message.
pub const NAME_CHARS: usize = 200;
pub const CHECK_MESSAGE_CHARS: usize = 2_000;
/// Bytes of printed output one run records; later lines are only counted.
pub const MAX_OUTPUT_BYTES: usize = 4 << 20;
/// Unrecorded warnings remembered while `expect_warning` watches, for it to match.
const WATCHED_UNRECORDED: usize = 10_000;

#[derive(Debug, Default)]
pub struct Recorder {
    steps: Vec<Step>,
    values: BTreeMap<String, serde_json::Value>,
    artifacts: Vec<String>,
    diagnostics: Vec<Diagnostic>,
    /// Warnings recorded per code, file and line, with the index of the last one.
    repeats: BTreeMap<(String, String, usize), (usize, usize)>,
    warnings: usize,
    /// Warnings past [`MAX_WARNINGS`], and the first of them.
    dropped: usize,
    first_dropped: Option<Diagnostic>,
    /// How many `expect_warning` calls are running, and the warnings they did not get to see
    /// in the diagnostics because the budget counted them instead.
    watching: usize,
    unrecorded: Vec<Raised>,
    output_bytes: usize,
    output_dropped: usize,
    checks: usize,
    /// `--from N`: the steps before the N-th run to reach their state, then are left out.
    from_step: Option<usize>,
    /// How many diagnostics were recorded when the N-th step began.
    diagnostics_before_from: usize,
}

/// A warning as `expect_warning` matches it; `index` into the diagnostics when recorded.
#[derive(Debug, Clone)]
pub struct Raised {
    pub index: Option<usize>,
    pub code: String,
    pub message: String,
}

/// Where a watch began: [`Recorder::watch`], [`Recorder::raised_since`].
#[derive(Debug, Clone, Copy)]
pub struct Watch {
    diagnostics: usize,
    unrecorded: usize,
}

impl Recorder {
    /// Starts a step; its title is kept to [`NAME_CHARS`] characters.
    pub fn step(&mut self, title: &str) -> Result<(), Error> {
        if self.steps.len() >= MAX_STEPS {
            return Err(Error::TooMany {
                what: "steps".into(),
                limit: MAX_STEPS,
            });
        }
        self.steps.push(Step {
            title: clipped(title, NAME_CHARS).into_owned(),
            entries: Vec::new(),
        });
        if self.from_step == Some(self.steps.len()) {
            self.diagnostics_before_from = self.diagnostics.len();
        }
        Ok(())
    }

    /// Reports the run from its `step`-th step on (as `kvmlab run` numbers them, from 1):
    /// the steps before it still run, to bring the lab to the state that step starts from,
    /// and the report leaves them and their warnings out.
    pub fn start_from(&mut self, step: usize) {
        self.from_step = Some(step);
    }

    /// Records a check; its name is kept to [`NAME_CHARS`] characters, its message to
    /// [`CHECK_MESSAGE_CHARS`].
    pub fn check(&mut self, mut check: Check) -> Result<(), Error> {
        if self.checks >= MAX_CHECKS {
            return Err(Error::TooMany {
                what: "checks".into(),
                limit: MAX_CHECKS,
            });
        }
        self.checks += 1;
        if let Cow::Owned(name) = clipped(&check.name, NAME_CHARS) {
            check.name = name;
        }
        if let Cow::Owned(message) = clipped(&check.message, CHECK_MESSAGE_CHARS) {
            check.message = message;
        }
        self.current_step().entries.push(Entry::Check(check));
        Ok(())
    }

    /// Records a printed line, while the run's output stays within [`MAX_OUTPUT_BYTES`].
    pub fn output(&mut self, line: &str) {
        if self.output_bytes + line.len() > MAX_OUTPUT_BYTES {
            self.output_dropped += 1;
            return;
        }
        self.output_bytes += line.len();
        self.current_step()
            .entries
            .push(Entry::Output(line.to_string()));
    }

    /// The lines printed so far, oldest first (those past [`MAX_OUTPUT_BYTES`] are not kept).
    pub fn output_lines(&self) -> impl Iterator<Item = &str> {
        self.steps
            .iter()
            .flat_map(|s| s.entries.iter())
            .filter_map(|e| match e {
                Entry::Output(line) => Some(line.as_str()),
                _ => None,
            })
    }

    /// Printed lines past [`MAX_OUTPUT_BYTES`], counted but not recorded.
    pub fn output_dropped(&self) -> usize {
        self.output_dropped
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
        if diagnostic.severity == Severity::Warning {
            let key = (
                diagnostic.code.clone(),
                diagnostic.file.clone(),
                diagnostic.line,
            );
            if let Some(&(count, last)) = self.repeats.get(&key) {
                if count >= SAME_WARNINGS {
                    self.diagnostics[last].more_like_this += 1;
                    return self.unrecorded(&diagnostic);
                }
            }
            if self.warnings >= MAX_WARNINGS {
                self.dropped += 1;
                self.unrecorded(&diagnostic);
                self.first_dropped.get_or_insert(diagnostic);
                return;
            }
            self.warnings += 1;
            let index = self.diagnostics.len();
            let entry = self.repeats.entry(key).or_insert((0, index));
            *entry = (entry.0 + 1, index);
        }
        let index = self.diagnostics.len();
        self.diagnostics.push(diagnostic);
        self.current_step().entries.push(Entry::Diagnostic(index));
    }

    /// Records a warning that a run reached one of its limits, outside the warnings' budget.
    pub fn limit_warning(&mut self, diagnostic: Diagnostic) {
        let index = self.diagnostics.len();
        self.diagnostics.push(diagnostic);
        self.current_step().entries.push(Entry::Diagnostic(index));
    }

    fn unrecorded(&mut self, diagnostic: &Diagnostic) {
        if self.watching > 0 && self.unrecorded.len() < WATCHED_UNRECORDED {
            self.unrecorded.push(Raised {
                index: None,
                code: diagnostic.code.clone(),
                message: diagnostic.message.clone(),
            });
        }
    }

    /// Starts watching for warnings (`expect_warning`); end with [`Recorder::unwatch`].
    pub fn watch(&mut self) -> Watch {
        self.watching += 1;
        Watch {
            diagnostics: self.diagnostics.len(),
            unrecorded: self.unrecorded.len(),
        }
    }

    pub fn unwatch(&mut self) {
        self.watching = self.watching.saturating_sub(1);
        if self.watching == 0 {
            self.unrecorded.clear();
        }
    }

    /// Every warning raised since `watch`, recorded or only counted, oldest recorded first.
    pub fn raised_since(&self, watch: Watch) -> Vec<Raised> {
        let recorded = self.diagnostics[watch.diagnostics.min(self.diagnostics.len())..]
            .iter()
            .enumerate()
            .filter(|(_, d)| d.severity == Severity::Warning)
            .map(|(i, d)| Raised {
                index: Some(watch.diagnostics + i),
                code: d.code.clone(),
                message: d.message.clone(),
            });
        let counted = self.unrecorded[watch.unrecorded.min(self.unrecorded.len())..]
            .iter()
            .cloned();
        recorded.chain(counted).collect()
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
            self.steps.push(Step {
                title: PREAMBLE_STEP.to_string(),
                entries: Vec::new(),
            });
        }
        self.steps.last_mut().expect("a step exists")
    }

    pub fn finish(mut self, lab: &str, backend: &str, seed: u64, clock: f64) -> RunReport {
        if let Some(first) = self.first_dropped.take() {
            let error = Error::TooManyWarnings {
                more: self.dropped,
                limit: MAX_WARNINGS,
            };
            self.limit_warning(Diagnostic::new(
                &error,
                Severity::Warning,
                &first.file,
                first.line,
                first.column,
            ));
        }
        if let Some(from) = self.from_step {
            self.leave_out_before(from, lab);
        }
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
            checked_only: Vec::new(),
            from_step: self.from_step,
        }
    }

    /// Drops the steps before the `from`-th and the warnings raised in them; errors stay,
    /// and so does a warning when those steps did not reach their own checks' state.
    fn leave_out_before(&mut self, from: usize, lab: &str) {
        let ran = self.steps.len();
        if ran < from {
            let error = Error::NoSuchStep { from, steps: ran };
            self.diagnostics
                .push(Diagnostic::new(&error, Severity::Error, lab, 0, 0));
            self.from_step = None;
            return;
        }
        // Steps point at their diagnostics by index: renumber the ones kept.
        let before = self.diagnostics_before_from;
        let mut renumbered = Vec::with_capacity(self.diagnostics.len());
        let mut kept = Vec::new();
        for (index, diagnostic) in std::mem::take(&mut self.diagnostics)
            .into_iter()
            .enumerate()
        {
            if index >= before || diagnostic.severity == Severity::Error {
                renumbered.push(Some(kept.len()));
                kept.push(diagnostic);
            } else {
                renumbered.push(None);
            }
        }
        self.diagnostics = kept;
        let left_out: Vec<Step> = self.steps.drain(..from - 1).collect();
        for step in &mut self.steps {
            step.entries.retain_mut(|entry| match entry {
                Entry::Diagnostic(index) => match renumbered[*index] {
                    Some(new) => {
                        *index = new;
                        true
                    }
                    None => false,
                },
                _ => true,
            });
        }
        let failed: Vec<String> = left_out
            .iter()
            .enumerate()
            .flat_map(|(i, step)| {
                step.checks()
                    .filter(|c| !c.passed)
                    .map(move |c| format!("step {}: {}", i + 1, c.name))
            })
            .collect();
        if let Some(first) = failed.first() {
            let error = Error::FromStepNotReference {
                from,
                failed: failed.len(),
                first: first.clone(),
            };
            self.diagnostics
                .push(Diagnostic::new(&error, Severity::Warning, lab, 0, 0));
        }
    }
}
