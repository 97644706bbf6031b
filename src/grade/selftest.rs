//! `kvmlab grade --self-test EXERCISE`: the exercise grades what it ships as it should. The
//! solution gets full marks, the starter does not, every mutant in `mutants/` scores below
//! full, and every rubric item fails on at least one mutant (a check no mutant fails cannot
//! be shown to fail at all). Exit 0 when all hold, 1 otherwise, naming what does not.

use super::class::points;
use super::core_shim::{CheckStatus, Exercise, GradeStatus, Submission, SubmissionGrade};
use super::{grade_all, EXIT_BROKEN_EXERCISE, EXIT_GRADED};
use kvmlab_runtime::text::escaped;
use std::path::{Path, PathBuf};

/// One finding of the self-test, shown as `ok` or `FAIL`.
struct Finding {
    ok: bool,
    text: String,
}

pub fn run(dir: &Path, exercise: &Exercise, jobs: usize) -> i32 {
    let solution = dir.join("solution.rhai");
    let starter = dir.join("starter.rhai");
    let mutants = mutants_of(dir);
    let mut files = vec![solution.clone(), starter.clone()];
    files.extend(mutants.iter().cloned());
    let missing: Vec<String> = files[..2]
        .iter()
        .filter(|f| !f.is_file())
        .map(|f| format!("`{}`", f.display()))
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "kvmlab grade: the self-test needs {}\n  help: an exercise ships its reference as \
             solution.rhai and the trainee's start as starter.rhai",
            missing.join(" and ")
        );
        return EXIT_BROKEN_EXERCISE;
    }
    let submissions: Vec<Submission> = files
        .iter()
        .map(|path| Submission {
            student: label(dir, path),
            path: path.clone(),
        })
        .collect();
    let grades = grade_all(dir, exercise, &submissions, jobs);
    let (solution_grade, starter_grade, mutant_grades) = (&grades[0], &grades[1], &grades[2..]);
    let max = points(exercise.points);
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
            .filter(|g| {
                g.checks
                    .iter()
                    .any(|c| c.name == *item && c.status != CheckStatus::Passed)
            })
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
    println!(
        "self-test of {} ({}, {max} points, {} mutant(s))",
        dir.display(),
        escaped(&exercise.title),
        mutant_grades.len()
    );
    for finding in &findings {
        println!(
            "  {:<4}  {}",
            if finding.ok { "ok" } else { "FAIL" },
            finding.text
        );
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

/// `mutants/*.rhai`, sorted by name.
fn mutants_of(dir: &Path) -> Vec<PathBuf> {
    let mut mutants: Vec<PathBuf> = std::fs::read_dir(dir.join("mutants"))
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "rhai"))
        .collect();
    mutants.sort();
    mutants
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
        .filter(|c| c.status != CheckStatus::Passed)
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
