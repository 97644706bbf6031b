//! Stand-in for `kvmlab_runtime::grade` until it lands (spec section 4); removed at merge.
#![allow(dead_code)]

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GradeStatus {
    Graded,
    Rejected,
    Stopped,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Visible,
    Hidden,
    AfterDueDate,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OwnChecks {
    pub passed: usize,
    pub failed: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckGrade {
    pub name: String,
    pub points: f64,
    pub score: f64,
    pub status: CheckStatus,
    pub feedback: Option<String>,
    pub visibility: Visibility,
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
    pub operations: u64,
    pub lab_seconds: f64,
}

#[derive(Debug, Clone)]
pub struct Limits {
    pub operations: u64,
    pub seconds: f64,
    pub memory_mib: u64,
}

#[derive(Debug, Clone)]
pub struct Exercise {
    pub name: String,
    pub dir: PathBuf,
    pub title: String,
    pub points: f64,
    pub limits: Limits,
}

#[derive(Debug, Clone)]
pub struct Submission {
    pub student: String,
    pub path: PathBuf,
}

impl Exercise {
    pub fn load(_dir: &Path) -> Result<Exercise, Vec<kvmlab_runtime::diagnostic::Diagnostic>> {
        unimplemented!("the grading core")
    }
}

impl Submission {
    pub fn discover(_paths: &[PathBuf]) -> Result<Vec<Submission>, kvmlab_runtime::Error> {
        unimplemented!("the grading core")
    }
}

pub fn grade_submission(_exercise: &Exercise, _submission: &Submission) -> SubmissionGrade {
    unimplemented!("the grading core")
}
