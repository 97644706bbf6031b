//! The run report: the one record of what a lab did.
//!
//! The console view, `--report json` and automated grading all read a [`RunReport`]; nothing
//! about a run is printed that is not in it. Its JSON shape is part of kvmlab's interface.

use crate::diagnostic::Diagnostic;
use crate::error::Severity;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub lab: String,
    pub backend: String,
    pub seed: u64,
    pub passed: usize,
    pub failed: usize,
    /// Simulated seconds the lab took.
    pub clock: f64,
    pub steps: Vec<Step>,
    pub values: BTreeMap<String, serde_json::Value>,
    pub artifacts: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
    /// On real hosts: the operations checked in the model but not performed there, with
    /// how often the lab asked for each (absent on the simulator, which performs them all).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checked_only: Vec<CheckedOnly>,
    /// With `--from N`: the number of the first step reported (`steps[0]` is step N); the
    /// steps before it ran and are left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_step: Option<usize>,
}

/// An operation a backend checked and did not perform, and how often.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckedOnly {
    pub operation: String,
    pub count: u32,
}

impl RunReport {
    /// The process exit status: 0 all checks passed, 1 a check failed, 2 the script stopped on
    /// an error.
    pub fn exit_code(&self) -> i32 {
        if self.has_errors() {
            2
        } else if self.failed > 0 {
            1
        } else {
            0
        }
    }

    /// [`RunReport::exit_code`], except that with `strict` an unexpected warning fails a run
    /// that would otherwise pass (1).
    pub fn exit_code_strict(&self, strict: bool) -> i32 {
        match self.exit_code() {
            0 if strict && self.unexpected_warnings().next().is_some() => 1,
            code => code,
        }
    }

    /// Warnings the lab did not ask for (neither `expect_warning` nor a documented stdlib one).
    pub fn unexpected_warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.is_unexpected_warning())
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    pub fn checks(&self) -> impl Iterator<Item = &Check> {
        self.steps.iter().flat_map(|s| s.checks())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a run report always serializes")
    }
}

/// One `step(title)` of a lab and what happened in it, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub title: String,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Check(Check),
    /// A line the script printed.
    Output(String),
    /// A warning or error raised during the step (index into the report's diagnostics).
    Diagnostic(usize),
}

impl Step {
    pub fn checks(&self) -> impl Iterator<Item = &Check> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Check(c) => Some(c),
            _ => None,
        })
    }

    pub fn output(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Output(line) => Some(line.as_str()),
            _ => None,
        })
    }
}

impl Serialize for Step {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Step", 3)?;
        s.serialize_field("title", &self.title)?;
        s.serialize_field("checks", &self.checks().collect::<Vec<_>>())?;
        s.serialize_field("output", &self.output().collect::<Vec<_>>())?;
        s.end()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub name: String,
    pub passed: bool,
    pub message: String,
    /// Where the check is in the lab's file.
    pub file: String,
    pub line: usize,
}
