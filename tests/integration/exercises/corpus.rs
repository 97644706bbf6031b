//! Grading an exercise's shipped scripts and corpus submissions, and reading the grade back
//! as the rows a test asserts: each rubric item's name, status and score.

use crate::harness::repo_root;
use kvmlab_runtime::grade::{
    grade_submission, CheckStatus, Exercise, GradeStatus, Submission, SubmissionGrade,
};
use std::path::PathBuf;

/// The exercise `labs/exercises/NAME`, which must load.
pub fn exercise(name: &str) -> Exercise {
    let dir = repo_root().join("labs/exercises").join(name);
    Exercise::load(&dir).unwrap_or_else(|problems| {
        let shown: Vec<String> = problems.iter().map(|d| d.render(None, false)).collect();
        panic!("{name} does not load:\n{}", shown.join("\n"))
    })
}

/// Grades `file`, a path under the repository (`tests/exercises/NAME/x.rhai`).
pub fn grade(exercise: &Exercise, file: &str) -> SubmissionGrade {
    let path: PathBuf = repo_root().join(file);
    assert!(path.is_file(), "{file} is missing");
    grade_submission(exercise, &Submission::file(&path))
}

/// Grades the corpus file `tests/exercises/EXERCISE/FILE`.
pub fn grade_corpus(exercise: &Exercise, file: &str) -> SubmissionGrade {
    grade(
        exercise,
        &format!("tests/exercises/{}/{file}", exercise.name),
    )
}

/// Grades the corpus folder `tests/exercises/EXERCISE/FOLDER`, a trainee's folder submission.
pub fn grade_corpus_folder(exercise: &Exercise, folder: &str) -> SubmissionGrade {
    let path = repo_root()
        .join("tests/exercises")
        .join(&exercise.name)
        .join(folder);
    assert!(path.is_dir(), "{folder} is missing");
    grade_submission(exercise, &Submission::folder(&path))
}

/// Grades one of the exercise's own scripts: `solution.rhai`, `mutants/x.rhai`.
pub fn grade_shipped(exercise: &Exercise, file: &str) -> SubmissionGrade {
    grade(
        exercise,
        &format!("labs/exercises/{}/{file}", exercise.name),
    )
}

pub fn status_name(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::Passed => "passed",
        CheckStatus::Partial => "partial",
        CheckStatus::Failed => "failed",
        CheckStatus::Skipped => "skipped",
    }
}

/// Each item as (name, status, score), in the rubric's order.
pub fn rows(grade: &SubmissionGrade) -> Vec<(String, &'static str, f64)> {
    grade
        .checks
        .iter()
        .map(|c| (c.name.clone(), status_name(c.status), c.score))
        .collect()
}

/// Asserts a graded submission's score and each item's status and score.
pub fn assert_graded(grade: &SubmissionGrade, score: f64, expected: &[(&str, &str, f64)]) {
    assert_eq!(
        grade.status,
        GradeStatus::Graded,
        "{}: {:?}\n{:#?}",
        grade.student,
        grade.reason,
        grade.diagnostics
    );
    assert_eq!(grade.reason, None, "{}", grade.student);
    let expected: Vec<(String, &str, f64)> = expected
        .iter()
        .map(|(n, s, p)| (n.to_string(), *s, *p))
        .collect();
    let actual = rows(grade);
    assert_eq!(actual, expected, "{}: {:#?}", grade.student, grade.checks);
    assert_eq!(grade.score, score, "{}", grade.student);
}

/// The feedback of the item named `name`; panics when there is no such item.
pub fn feedback<'a>(grade: &'a SubmissionGrade, name: &str) -> &'a str {
    grade
        .checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no item {name:?} in {:#?}", grade.checks))
        .feedback
        .as_deref()
        .unwrap_or("")
}

/// The names of the items that did not pass in full.
pub fn not_passed(grade: &SubmissionGrade) -> Vec<&str> {
    grade
        .checks
        .iter()
        .filter(|c| c.status != CheckStatus::Passed)
        .map(|c| c.name.as_str())
        .collect()
}

/// Every rubric item fails (in full or in part) on at least one of `grades`, the self-test's
/// rule for an exercise's mutants.
pub fn assert_every_item_fails_somewhere(exercise: &Exercise, grades: &[SubmissionGrade]) {
    for item in &exercise.items {
        assert!(
            grades.iter().any(|g| g
                .checks
                .iter()
                .any(|c| c.name == item.name && c.status != CheckStatus::Passed)),
            "no mutant of {} fails {:?}",
            exercise.name,
            item.name
        );
    }
}
