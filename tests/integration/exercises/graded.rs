//! What the exercise tests share: loading a shipped exercise, grading a corpus submission or
//! one of the exercise's own scripts, and comparing a grade with what a test expects.

use crate::harness::repo_root;
use kvmlab_runtime::grade::{
    grade_submission, CheckStatus, Exercise, GradeStatus, Submission, SubmissionGrade,
};
use std::path::Path;

/// `labs/exercises/NAME`, loaded; a broken exercise fails the test with its diagnostics.
pub fn exercise(name: &str) -> Exercise {
    let dir = repo_root().join("labs/exercises").join(name);
    Exercise::load(&dir).unwrap_or_else(|problems| {
        let shown: Vec<String> = problems
            .iter()
            .map(|d| format!("{} at line {}: {}", d.code, d.line, d.message))
            .collect();
        panic!("exercise {name} does not load:\n{}", shown.join("\n"))
    })
}

/// Grades the file or folder at `path`.
pub fn grade(exercise: &Exercise, path: &Path) -> SubmissionGrade {
    let submission = if path.is_dir() {
        Submission::folder(path)
    } else {
        Submission::file(path)
    };
    grade_submission(exercise, &submission)
}

/// Grades `tests/exercises/EXERCISE/NAME` (a `.rhai` file or a folder).
pub fn corpus(exercise: &Exercise, name: &str) -> SubmissionGrade {
    let path = repo_root()
        .join("tests/exercises")
        .join(&exercise.name)
        .join(name);
    assert!(path.exists(), "no corpus submission {}", path.display());
    grade(exercise, &path)
}

/// Grades one of the exercise's own scripts (`solution.rhai`, `starter.rhai`,
/// `mutants/NAME.rhai`).
pub fn own(exercise: &Exercise, file: &str) -> SubmissionGrade {
    grade(exercise, &exercise.dir.join(file))
}

/// Grades `text` as a single-file submission `NAME.rhai`: a mutant with a feedback's advice
/// applied, say.
pub fn grade_text(exercise: &Exercise, name: &str, text: &str) -> SubmissionGrade {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{name}.rhai"));
    std::fs::write(&path, text).unwrap();
    grade(exercise, &path)
}

/// The text of `labs/exercises/EXERCISE/FILE`.
pub fn text_of(exercise: &Exercise, file: &str) -> String {
    std::fs::read_to_string(exercise.dir.join(file)).unwrap()
}

/// The grade in a form a failed assertion can show whole.
pub fn shown(grade: &SubmissionGrade) -> String {
    serde_json::to_string_pretty(grade).unwrap()
}

/// Asserts the total, the status and every item's status, in the rubric's order.
pub fn assert_grade(
    grade: &SubmissionGrade,
    score: f64,
    status: GradeStatus,
    items: &[CheckStatus],
) {
    let statuses: Vec<CheckStatus> = grade.checks.iter().map(|c| c.status).collect();
    assert_eq!(statuses, items, "{}: {}", grade.student, shown(grade));
    assert_eq!(grade.status, status, "{}: {}", grade.student, shown(grade));
    assert_eq!(grade.score, score, "{}: {}", grade.student, shown(grade));
}

/// The feedback of the item named `item` (empty when it passed).
pub fn feedback<'a>(grade: &'a SubmissionGrade, item: &str) -> &'a str {
    grade
        .checks
        .iter()
        .find(|c| c.name == item)
        .unwrap_or_else(|| panic!("no item {item:?} in {}", shown(grade)))
        .feedback
        .as_deref()
        .unwrap_or("")
}

/// The items that did not pass in full, by name, in the rubric's order.
pub fn not_passed(grade: &SubmissionGrade) -> Vec<&str> {
    grade
        .checks
        .iter()
        .filter(|c| c.status != CheckStatus::Passed)
        .map(|c| c.name.as_str())
        .collect()
}

/// The solution gets every point; the starter does not; each mutant fails exactly the items
/// `mutants` names for it, and every item scores 0 (`failed`) on at least one mutant.
pub fn assert_self_test(exercise: &Exercise, mutants: &[(&str, &[&str])]) {
    let solution = own(exercise, "solution.rhai");
    assert_eq!(solution.status, GradeStatus::Graded, "{}", shown(&solution));
    assert_eq!(solution.score, solution.max_score, "{}", shown(&solution));
    assert_eq!(solution.max_score, exercise.config.points);
    assert!(solution.diagnostics.is_empty(), "{}", shown(&solution));

    let starter = own(exercise, "starter.rhai");
    assert_eq!(starter.status, GradeStatus::Graded, "{}", shown(&starter));
    assert!(
        starter.score < starter.max_score / 2.0,
        "{}",
        shown(&starter)
    );

    let shipped: Vec<String> = exercise
        .mutants
        .iter()
        .map(|m| m.path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    let mut expected: Vec<String> = mutants.iter().map(|(m, _)| m.to_string()).collect();
    expected.sort();
    let mut shipped_sorted = shipped.clone();
    shipped_sorted.sort();
    assert_eq!(shipped_sorted, expected, "every shipped mutant is tested");

    let mut failed_somewhere: Vec<String> = Vec::new();
    for (mutant, failing) in mutants {
        let grade = own(exercise, &format!("mutants/{mutant}.rhai"));
        assert_eq!(
            grade.status,
            GradeStatus::Graded,
            "{mutant}: {}",
            shown(&grade)
        );
        assert_eq!(&not_passed(&grade), failing, "{mutant}: {}", shown(&grade));
        failed_somewhere.extend(
            grade
                .checks
                .iter()
                .filter(|c| c.status == CheckStatus::Failed)
                .map(|c| c.name.clone()),
        );
    }
    for item in &exercise.items {
        assert!(
            failed_somewhere.contains(&item.name),
            "no mutant fails {:?} outright (partial or skipped only)",
            item.name
        );
    }
}

/// Asserts a graded submission's total and each item's name, status and score, in the
/// rubric's order.
pub fn assert_scored(grade: &SubmissionGrade, score: f64, items: &[(&str, CheckStatus, f64)]) {
    assert_eq!(grade.status, GradeStatus::Graded, "{}", shown(grade));
    assert_eq!(grade.reason, None, "{}", shown(grade));
    let actual: Vec<(&str, CheckStatus, f64)> = grade
        .checks
        .iter()
        .map(|c| (c.name.as_str(), c.status, c.score))
        .collect();
    assert_eq!(actual, items, "{}: {}", grade.student, shown(grade));
    assert_eq!(grade.score, score, "{}: {}", grade.student, shown(grade));
}
