//! Gradescope's `results.json` for one submission
//! (<https://gradescope-autograders.readthedocs.io/en/latest/specs/>): the score, one test
//! per rubric item with its points, status, feedback and visibility, and a top-level output
//! with the grade's status, the submission's own output and diagnostics.

use super::class::points;
use super::table::status_word;
use kvmlab_runtime::grade::{CheckGrade, CheckStatus, GradeStatus, SubmissionGrade};
use kvmlab_runtime::script::rubric::Visibility;
use serde::Serialize;
use std::fmt::Write;

#[derive(Debug, Serialize)]
struct Results {
    score: f64,
    output: String,
    tests: Vec<Test>,
}

#[derive(Debug, Serialize)]
struct Test {
    name: String,
    score: f64,
    max_score: f64,
    status: &'static str,
    output: String,
    visibility: &'static str,
}

pub fn render(grade: &SubmissionGrade) -> String {
    let results = Results {
        score: grade.score,
        output: overview(grade),
        tests: grade.checks.iter().map(test).collect(),
    };
    serde_json::to_string_pretty(&results).expect("results serialize")
}

fn test(check: &CheckGrade) -> Test {
    // A skipped item's feedback says it was skipped and which item it needed.
    let output = match (&check.status, &check.feedback) {
        (CheckStatus::Passed, _) => "passed".to_string(),
        (_, Some(feedback)) => feedback.clone(),
        (_, None) => String::new(),
    };
    Test {
        name: check.name.clone(),
        score: check.score,
        max_score: check.points,
        // Gradescope knows only these two; a partial score shows in `score`.
        status: if check.status == CheckStatus::Passed {
            "passed"
        } else {
            "failed"
        },
        output,
        visibility: match check.visibility {
            Visibility::Visible => "visible",
            Visibility::Hidden => "hidden",
            Visibility::AfterDueDate => "after_due_date",
        },
    }
}

/// What the student reads above the tests: the score, why a submission was not graded, what
/// it printed and the diagnostics it raised. Its own `check(...)` calls are counted, and said
/// not to count.
fn overview(grade: &SubmissionGrade) -> String {
    let mut out = format!(
        "Score: {}/{} ({})\n",
        points(grade.score),
        points(grade.max_score),
        status_word(grade.status)
    );
    if grade.status != GradeStatus::Graded {
        if let Some(reason) = &grade.reason {
            let _ = writeln!(out, "Reason: {reason}");
        }
    }
    let own = &grade.own_checks;
    if own.passed + own.failed > 0 {
        let _ = writeln!(
            out,
            "Your script's own checks: {} passed, {} failed (they do not count toward the grade)",
            own.passed, own.failed
        );
    }
    if !grade.diagnostics.is_empty() {
        let _ = writeln!(out, "\nDiagnostics:");
        for diagnostic in &grade.diagnostics {
            let _ = writeln!(out, "{diagnostic}");
        }
    }
    if !grade.output.is_empty() {
        let _ = writeln!(out, "\nYour script printed:");
        for line in &grade.output {
            let _ = writeln!(out, "  {line}");
        }
        if grade.output_cut > 0 {
            let _ = writeln!(out, "  ... {} more line(s) cut", grade.output_cut);
        }
    }
    out
}
