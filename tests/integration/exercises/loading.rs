//! An exercise's scripts are checked, when it loads, by the engines they run in: the lab's
//! own syntax and the engines' expression depth limits, not a bare Rhai engine's.

use kvmlab_runtime::grade::{grade_submission, Exercise, GradeStatus, Submission};
use std::fs;

/// A rubric helper nesting a closure in a loop in a branch, as a real rubric does.
const DEEP_CHECKS: &str = r#"
fn names_a_disk(devices, wanted) {
    if wanted != "" {
        for device in devices {
            if device.starts_with("/dev/") && devices.some(|d| d == wanted && d.len() > 5) {
                return true;
            }
        }
    }
    false
}
rubric("the switch exists", #{points: 2, feedback: "no switch"},
       |lab| lab.switches.len() == 1 && names_a_disk(["/dev/sdb1"], "/dev/sdb1"));
"#;

#[test]
fn setup_with_switch_syntax_and_a_deeply_nested_rubric_load_and_grade() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "exercise.toml",
            "title = \"T\"\nsummary = \"S\"\npoints = 2\n\n[setup]\nhand_over = [\"net\"]\n",
        ),
        ("README.md", "the task\n"),
        (
            "setup.rhai",
            "let net = switch(\"NET1\", \"192.168.1.0/24\", #{speed: \"100Mbit/s\"});\n",
        ),
        ("starter.rhai", "print(net.name);\n"),
        ("solution.rhai", "print(net.cidr);\n"),
        ("checks.rhai", DEEP_CHECKS),
    ];
    for (name, text) in files {
        fs::write(dir.path().join(name), text).unwrap();
    }
    let exercise = Exercise::load(dir.path()).unwrap_or_else(|problems| {
        panic!(
            "{:?}",
            problems.iter().map(|d| &d.message).collect::<Vec<_>>()
        )
    });
    let solution = dir.path().join("solution.rhai");
    let grade = grade_submission(&exercise, &Submission::file(&solution));
    assert_eq!(grade.status, GradeStatus::Graded, "{grade:?}");
    assert_eq!(grade.score, 2.0, "{grade:?}");
}

#[test]
fn a_real_syntax_error_still_stops_the_exercise_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "exercise.toml",
            "title = \"T\"\nsummary = \"S\"\npoints = 1\n",
        ),
        ("README.md", "the task\n"),
        ("starter.rhai", "print(1);\n"),
        (
            "solution.rhai",
            "print(1);\nlet x = switch(\"NET1\", \"10.0.0.0/8\";\n",
        ),
        (
            "checks.rhai",
            "rubric(\"one\", #{points: 1}, |lab| true);\n",
        ),
    ];
    for (name, text) in files {
        fs::write(dir.path().join(name), text).unwrap();
    }
    let Err(problems) = Exercise::load(dir.path()) else {
        panic!("an exercise with a broken solution loads");
    };
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].code, "kvmlab::grade::exercise_script");
    assert_eq!(problems[0].line, 2);
    assert!(
        problems[0].file.ends_with("solution.rhai"),
        "{}",
        problems[0].file
    );
}
