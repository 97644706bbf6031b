//! `kvmlab grade --self-test EXERCISE`: the exercise grades what it ships as it should. The
//! solution gets full marks, the starter does not, every mutant in `mutants/` scores below
//! full, and every rubric item fails on at least one mutant (a check no mutant fails cannot
//! be shown to fail at all). Exit 0 when all hold, 1 otherwise, naming what does not. Each
//! finding is one `ok` or `FAIL` line, wrapped to 80 columns.

use super::class::points;
use super::{grade_all, EXIT_BROKEN_EXERCISE, EXIT_GRADED};
use crate::console::WIDTH;
use kvmlab_runtime::grade::{CheckStatus, Exercise, GradeStatus, Submission, SubmissionGrade};
use kvmlab_runtime::text::escaped;
use std::path::Path;
use std::sync::Arc;

/// One finding of the self-test, shown as `ok` or `FAIL`.
struct Finding {
    ok: bool,
    text: String,
}

pub fn run(exercise: Arc<Exercise>, jobs: usize) -> i32 {
    let dir = exercise.dir.clone();
    let mut files = vec![
        exercise.solution.path.clone(),
        exercise.starter.path.clone(),
    ];
    files.extend(exercise.mutants.iter().map(|m| m.path.clone()));
    let submissions: Vec<Submission> = files
        .iter()
        .map(|path| Submission {
            student: label(&dir, path),
            ..Submission::file(path)
        })
        .collect();
    let grades = grade_all(&exercise, submissions, jobs);
    let (solution_grade, starter_grade, mutant_grades) = (&grades[0], &grades[1], &grades[2..]);
    let max = points(exercise.max_score());
    let mut findings = Vec::new();
    let full = |g: &SubmissionGrade| g.status == GradeStatus::Graded && g.score >= g.max_score;
    findings.push(Finding {
        ok: full(solution_grade),
        text: format!(
            "solution.rhai gets full marks: {}/{max}{}",
            points(solution_grade.score),
            why_not_full(solution_grade)
        ),
    });
    findings.push(Finding {
        ok: !full(starter_grade),
        text: format!(
            "starter.rhai does not get full marks: {}/{max}",
            points(starter_grade.score)
        ),
    });
    for grade in mutant_grades {
        let failing = failing_items(grade);
        findings.push(Finding {
            ok: !full(grade),
            text: format!(
                "{} scores below full: {}/{max}{}",
                escaped(&grade.student),
                points(grade.score),
                if failing.is_empty() {
                    String::new()
                } else {
                    format!(", fails {}", failing.join(", "))
                }
            ),
        });
    }
    // The rubric as the solution's grade lists it (all of it, in order).
    let rubric: Vec<&str> = solution_grade
        .checks
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    if rubric.is_empty() {
        findings.push(Finding {
            ok: false,
            text: format!(
                "the rubric's items could not be read from the solution's grade ({})",
                solution_grade.reason.as_deref().unwrap_or("it has none")
            ),
        });
    }
    for item in &rubric {
        let failed_by: Vec<String> = mutant_grades
            .iter()
            .filter(|g| g.checks.iter().any(|c| c.name == *item && fails(c.status)))
            .map(|g| escaped(&g.student).into_owned())
            .collect();
        findings.push(if failed_by.is_empty() {
            Finding {
                ok: false,
                text: format!(
                    "\"{}\" fails on no mutant: add one to mutants/ that breaks it, or the \
                     check cannot be shown to fail",
                    escaped(item)
                ),
            }
        } else {
            Finding {
                ok: true,
                text: format!("\"{}\" fails on {}", escaped(item), failed_by.join(", ")),
            }
        });
    }
    let header = format!(
        "self-test of {}: {} ({max} points, {} mutant(s))",
        dir.display(),
        escaped(&exercise.config.title),
        mutant_grades.len()
    );
    println!("{}", wrapped(&header, "  "));
    for finding in &findings {
        let mark = if finding.ok { "ok" } else { "FAIL" };
        let line = format!("  {mark:<4}  {}", finding.text);
        println!("{}", wrapped(&line, "        "));
    }
    let problems = findings.iter().filter(|f| !f.ok).count();
    if problems == 0 {
        println!("self-test passed");
        EXIT_GRADED
    } else {
        println!("self-test failed: {problems} problem(s)");
        EXIT_BROKEN_EXERCISE
    }
}

/// A line wrapped to the console's width, its continuation indented.
fn wrapped(line: &str, indent: &str) -> String {
    textwrap::fill(
        line,
        textwrap::Options::new(WIDTH).subsequent_indent(indent),
    )
}

/// Whether an item's result shows it failing: failed or partial. A skipped item was not
/// tried, so it shows nothing about its own check.
fn fails(status: CheckStatus) -> bool {
    matches!(status, CheckStatus::Failed | CheckStatus::Partial)
}

/// A file's name as the self-test shows it: relative to the exercise.
fn label(dir: &Path, path: &Path) -> String {
    path.strip_prefix(dir)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

fn failing_items(grade: &SubmissionGrade) -> Vec<String> {
    grade
        .checks
        .iter()
        .filter(|c| fails(c.status))
        .map(|c| format!("\"{}\"", escaped(&c.name)))
        .collect()
}

/// Why a grade is not full marks, for the solution's line: its reason or failing items.
fn why_not_full(grade: &SubmissionGrade) -> String {
    if let Some(reason) = &grade.reason {
        return format!(
            " ({}: {})",
            super::table::status_word(grade.status),
            escaped(reason)
        );
    }
    let failing = failing_items(grade);
    if failing.is_empty() {
        String::new()
    } else {
        format!(" (fails {})", failing.join(", "))
    }
}
