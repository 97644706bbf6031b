//! `kvmlab grade`: a class graded in worker processes, its exports read back by the tools
//! that consume them, hostile submissions kept to themselves, the self-test, exit codes.

use crate::harness::{kvmlab, repo_root, unwrapped};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    repo_root().join("tests/fixtures/grading")
}

fn exercise() -> PathBuf {
    fixtures().join("motd")
}

struct Graded {
    status: i32,
    stdout: String,
    stderr: String,
}

/// Runs `kvmlab grade ARGS` in `dir`.
fn grade_in(dir: &Path, args: &[&str]) -> Graded {
    let output = kvmlab()
        .arg("grade")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run kvmlab grade");
    let graded = Graded {
        status: output.status.code().expect("kvmlab exited, not killed"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        !graded.stderr.contains("panicked"),
        "kvmlab panicked:\n{}",
        graded.stderr
    );
    graded
}

fn grade(args: &[&str]) -> Graded {
    grade_in(&fixtures(), args)
}

impl Graded {
    fn status(self, expected: i32) -> Graded {
        assert_eq!(
            self.status, expected,
            "exit status\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("bad JSON ({e}):\n{}", self.stdout))
    }
}

/// A class folder in a temporary directory with the fixture class's students, plus `extra`
/// files (name, text).
fn class_with(extra: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let class = fixtures().join("class");
    for name in ["ann.rhai", "bob.rhai", "dan.rhai"] {
        std::fs::copy(class.join(name), dir.path().join(name)).unwrap();
    }
    std::fs::create_dir(dir.path().join("cid")).unwrap();
    for name in ["lab.rhai", "banner.rhai"] {
        std::fs::copy(class.join("cid").join(name), dir.path().join("cid").join(name)).unwrap();
    }
    for (name, text) in extra {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn student<'a>(class: &'a Value, name: &str) -> &'a Value {
    class["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["student"] == name)
        .unwrap_or_else(|| panic!("no grade for {name}"))
}

#[test]
fn a_class_gets_exact_scores_feedback_and_a_summary() {
    let exercise = exercise();
    let graded = grade(&[exercise.to_str().unwrap(), "class", "--format", "json"]).status(0);
    let class = graded.json();
    assert_eq!(class["exercise"], "motd");
    assert_eq!(class["title"], "Greet the trainees");
    assert_eq!(class["max_score"], 6.0);
    let names: Vec<&str> = class["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["student"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ann", "bob", "cid", "dan"]);
    let scores: Vec<f64> = class["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["score"].as_f64().unwrap())
        .collect();
    assert_eq!(scores, [6.0, 3.0, 6.0, 0.0]);
    let bob = student(&class, "bob");
    assert_eq!(bob["status"], "graded");
    assert_eq!(bob["checks"][1]["status"], "failed");
    assert_eq!(
        bob["checks"][1]["feedback"],
        "/etc/motd on sv1 does not say Welcome"
    );
    assert_eq!(bob["checks"][2]["status"], "partial");
    assert_eq!(bob["checks"][2]["score"], 1.0);
    assert_eq!(
        bob["checks"][2]["feedback"],
        "/etc/issue is there but does not name kvmlab"
    );
    assert_eq!(bob["checks"][2]["visibility"], "hidden");
    // bob's own check(true, ...) is shown, never counted.
    assert_eq!(bob["own_checks"]["passed"], 1);
    let dan = student(&class, "dan");
    assert_eq!(dan["checks"][1]["status"], "skipped");
    assert_eq!(student(&class, "ann")["output"][0], "all written");
    let summary = &class["summary"];
    assert_eq!(summary["students"], 4);
    assert_eq!(summary["graded"], 4);
    assert_eq!(summary["mean"], 3.75);
    assert_eq!(summary["median"], 4.5);
    assert_eq!(summary["checks"][0]["name"], "motd exists");
    assert_eq!(summary["checks"][0]["passed"], 3);
    assert_eq!(summary["checks"][0]["pass_rate"], 0.75);
    assert_eq!(summary["checks"][1]["skipped"], 1);
    assert_eq!(summary["checks"][2]["partial"], 1);
    let bins: Vec<u64> = summary["distribution"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["students"].as_u64().unwrap())
        .collect();
    assert_eq!(bins, [1, 0, 0, 0, 0, 1, 0, 0, 0, 2]);
    assert_eq!(summary["slowest"].as_array().unwrap().len(), 3);
}

#[test]
fn the_table_fits_80_columns_and_shows_the_class_summary() {
    let exercise = exercise();
    let graded = grade(&[exercise.to_str().unwrap(), "class", "--color", "never"]).status(0);
    let table = &graded.stdout;
    for line in table.lines() {
        assert!(line.chars().count() <= 80, "too wide: {line:?}");
    }
    assert!(table.starts_with("Greet the trainees (motd): 4 submission(s), 6 point(s) each"));
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("| {name} ")))
            .unwrap_or_else(|| panic!("no row for {name}:\n{table}"))
            .to_string()
    };
    assert!(row("bob").contains("3/6"), "{table}");
    assert!(row("bob").contains("motd welcomes, issue names the course (1/2)"));
    assert!(row("dan").contains("motd welcomes (skipped)"), "{table}");
    assert!(row("ann").contains("6/6"));
    assert!(table.contains("Scores: mean 3.75, median 4.5, 4 of 4 graded"));
    assert!(table.contains("| motd exists "), "{table}");
    assert!(table.contains("3 (75%)"), "{table}");
    assert!(table.contains("Slowest submissions, by operations"));
}

#[test]
fn the_output_is_identical_whatever_jobs_and_argument_order() {
    let exercise = exercise();
    let exercise = exercise.to_str().unwrap();
    let forward = ["class/ann.rhai", "class/bob.rhai", "class/cid", "class/dan.rhai"];
    let mut backward = forward;
    backward.reverse();
    for format in ["json", "table", "csv", "junit"] {
        let run = |jobs: &str, files: &[&str]| {
            let mut args = vec![exercise, "--format", format, "--jobs", jobs];
            args.extend(files);
            grade(&args).status(0).stdout
        };
        let one = run("1", &forward);
        assert_eq!(one, run("2", &forward), "{format}: --jobs 1 and 2 differ");
        assert_eq!(one, run("2", &backward), "{format}: the argument order shows");
    }
}

const ENDLESS_LOOP: &str = "let n = 0;\nloop { n += 1; }\n";

/// 600 variables of 512 KiB each: 300 MB alive at once (Rhai's limits hold each value, not
/// their sum).
fn huge_allocation() -> String {
    (1..=600)
        .map(|n| format!("let v{n} = \"x\"; for i in 0..19 {{ v{n} += v{n}; }}\n"))
        .collect()
}

#[test]
fn hostile_submissions_get_zero_with_a_reason_and_leave_the_others_untouched() {
    let huge = huge_allocation();
    let class = class_with(&[("loop.rhai", ENDLESS_LOOP), ("memory.rhai", &huge)]);
    let exercise = exercise();
    let exercise = exercise.to_str().unwrap();
    let graded = grade_in(class.path(), &[exercise, ".", "--format", "json"]).status(0);
    let all = graded.json();
    let looping = student(&all, "loop");
    assert_eq!(looping["status"], "stopped");
    assert_eq!(looping["score"], 0.0);
    assert!(
        looping["reason"].as_str().unwrap().contains("operations"),
        "{looping}"
    );
    let memory = student(&all, "memory");
    assert_eq!(memory["status"], "stopped", "{memory}");
    assert_eq!(memory["score"], 0.0);
    assert!(memory["reason"].as_str().unwrap().contains("memory"), "{memory}");
    for name in ["ann.rhai", "bob.rhai", "cid", "dan.rhai"] {
        let alone = grade_in(class.path(), &[exercise, name, "--format", "json"]).status(0);
        let alone = &alone.json()["submissions"][0];
        let stem = name.trim_end_matches(".rhai");
        assert_eq!(student(&all, stem), alone, "{stem} graded beside hostile ones");
    }
}

#[test]
fn the_gradescope_export_follows_gradescope_s_published_results_format() {
    let schema_path = repo_root().join("tests/schemas/gradescope-results.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap())
        .expect("the schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let exercise = exercise();
    for name in ["class/ann.rhai", "class/bob.rhai", "class/dan.rhai"] {
        let graded = grade(&[exercise.to_str().unwrap(), name, "--format", "gradescope"]).status(0);
        let results = graded.json();
        let errors: Vec<String> = validator
            .iter_errors(&results)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}\n{results:#}");
    }
    let bob = grade(&[exercise.to_str().unwrap(), "class/bob.rhai", "--format", "gradescope"]);
    let results = bob.json();
    assert_eq!(results["score"], 3.0);
    let tests = results["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 3);
    assert_eq!(tests[0]["status"], "passed");
    assert_eq!(tests[1]["status"], "failed");
    assert_eq!(tests[1]["output"], "/etc/motd on sv1 does not say Welcome");
    assert_eq!(tests[2]["score"], 1.0);
    assert_eq!(tests[2]["max_score"], 2.0);
    assert_eq!(tests[2]["visibility"], "hidden");
    let output = results["output"].as_str().unwrap();
    assert!(output.starts_with("Score: 3/6 (graded)"), "{output}");
    assert!(output.contains("1 passed, 0 failed (they do not count toward the grade)"));
    // The schema is strict enough to catch a wrong field.
    let mut broken = results.clone();
    broken["tests"][0]["status"] = "partial".into();
    assert!(!validator.is_valid(&broken));
}

#[test]
fn gradescope_with_several_submissions_is_a_usage_error() {
    let exercise = exercise();
    let graded = grade(&[exercise.to_str().unwrap(), "class", "--format", "gradescope"]).status(2);
    assert!(
        unwrapped(&graded.stderr).contains(
            "kvmlab grade: the gradescope export is one student's results.json, and 4 \
             submissions were found"
        ),
        "{}",
        graded.stderr
    );
    assert!(graded.stderr.contains("help: grade one submission per run"));
    assert!(graded.stdout.is_empty());
}

#[test]
fn the_junit_export_reads_back_with_its_counts() {
    let exercise = exercise();
    let class = class_with(&[("loop.rhai", ENDLESS_LOOP)]);
    let graded = grade_in(
        class.path(),
        &[exercise.to_str().unwrap(), ".", "--format", "junit"],
    )
    .status(0);
    let suites = junit_parser::from_reader(std::io::Cursor::new(graded.stdout.as_bytes()))
        .expect("JUnit XML that a reader accepts");
    let names: Vec<&str> = suites.suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["ann", "bob", "cid", "dan", "loop"]);
    let counts = |name: &str| {
        let suite = suites.suites.iter().find(|s| s.name == name).unwrap();
        (suite.tests, suite.failures, suite.skipped, suite.errors)
    };
    assert_eq!(counts("ann"), (3, 0, 0, 0));
    assert_eq!(counts("bob"), (3, 2, 0, 0));
    assert_eq!(counts("dan"), (3, 2, 1, 0));
    assert_eq!(counts("loop"), (1, 0, 0, 1));
    let bob = suites.suites.iter().find(|s| s.name == "bob").unwrap();
    let welcome = bob.cases.iter().find(|c| c.name == "motd welcomes").unwrap();
    let failure = welcome.status.failure_as_ref();
    assert_eq!(
        failure.message,
        "0/2 point(s): /etc/motd on sv1 does not say Welcome"
    );
}

#[test]
fn the_csv_gradebook_reads_back_one_row_per_student() {
    let exercise = exercise();
    let graded = grade(&[exercise.to_str().unwrap(), "class", "--format", "csv"]).status(0);
    let mut reader = csv::Reader::from_reader(graded.stdout.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "student",
            "motd exists",
            "motd welcomes",
            "issue names the course",
            "total",
            "max_score",
            "status",
            "reason"
        ]
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[1], ["bob", "2", "0", "1", "3", "6", "graded", ""]);
    assert_eq!(rows[3], ["dan", "0", "0", "0", "0", "6", "graded", ""]);
}

#[test]
fn out_writes_the_export_and_a_histogram_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let exercise = exercise();
    let class = fixtures().join("class");
    let out = dir.path().join("grades.csv");
    let graded = kvmlab()
        .args(["grade", exercise.to_str().unwrap(), class.to_str().unwrap()])
        .args(["--format", "csv", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(graded.status.code(), Some(0));
    let csv_text = std::fs::read_to_string(&out).unwrap();
    assert!(csv_text.starts_with("student,motd exists,"));
    let svg = std::fs::read_to_string(dir.path().join("grades-scores.svg")).unwrap();
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(svg.contains("Greet the trainees: scores of 4 submission(s)"));
    // One submission: no histogram.
    let single = dir.path().join("one.json");
    let graded = kvmlab()
        .args(["grade", exercise.to_str().unwrap()])
        .arg(class.join("ann.rhai"))
        .args(["--format", "json", "--out", single.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(graded.status.code(), Some(0));
    assert!(single.exists());
    assert!(!dir.path().join("one-scores.svg").exists());
}

#[test]
fn usage_errors_exit_2_with_a_help_line() {
    let exercise = exercise();
    let exercise = exercise.to_str().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["no-such-exercise", "class"],
            "kvmlab grade: there is no exercise at `no-such-exercise`".into(),
        ),
        (
            vec![exercise, "class/nobody.rhai"],
            "kvmlab grade: there is no submission at `class/nobody.rhai`".into(),
        ),
        (
            vec![exercise, empty.path().to_str().unwrap()],
            format!(
                "kvmlab grade: no submissions found in `{}`",
                empty.path().display()
            ),
        ),
        (vec![exercise], "kvmlab grade: no submissions to grade".into()),
        (
            vec![exercise, "class", "--jobs", "0"],
            "kvmlab grade: --jobs 0 would grade nothing".into(),
        ),
    ];
    for (args, message) in cases {
        let graded = grade(&args).status(2);
        assert!(
            graded.stderr.starts_with(&message),
            "{args:?}: {}",
            graded.stderr
        );
        assert!(graded.stderr.contains("\n  help: "), "{args:?}: {}", graded.stderr);
    }
    // A bad flag is a usage error of grade's, not the 64 of `kvmlab run`.
    let graded = grade(&[exercise, "class", "--format", "xlsx"]).status(2);
    assert!(graded.stderr.contains("invalid value 'xlsx'"), "{}", graded.stderr);
}

/// The fixture exercise copied, for tests that break it.
fn exercise_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&exercise(), dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

#[test]
fn the_self_test_holds_for_a_sound_exercise() {
    let exercise = exercise();
    let graded = grade(&["--self-test", exercise.to_str().unwrap()]).status(0);
    let out = &graded.stdout;
    assert!(out.contains("ok    solution.rhai gets full marks: 6/6"), "{out}");
    assert!(out.contains("ok    starter.rhai does not get full marks: 0/6"), "{out}");
    assert!(
        out.contains("ok    mutants/bare-issue.rhai scores below full: 5/6, fails \"issue names the course\""),
        "{out}"
    );
    assert!(
        out.contains("ok    \"motd welcomes\" fails on mutants/cold-motd.rhai, mutants/no-motd.rhai"),
        "{out}"
    );
    assert!(out.ends_with("self-test passed\n"), "{out}");
}

#[test]
fn the_self_test_names_the_item_no_mutant_fails() {
    let copy = exercise_copy();
    std::fs::remove_file(copy.path().join("mutants/bare-issue.rhai")).unwrap();
    let graded = grade(&["--self-test", copy.path().to_str().unwrap()]).status(1);
    let out = &graded.stdout;
    assert!(
        out.contains("FAIL  \"issue names the course\" fails on no mutant: add one to mutants/"),
        "{out}"
    );
    assert!(out.ends_with("self-test failed: 1 problem(s)\n"), "{out}");
    // Applied, the advice fixes it: a mutant that breaks the banner.
    std::fs::write(
        copy.path().join("mutants/no-banner.rhai"),
        "sv1.write_file(\"/etc/motd\", \"Welcome\\n\");\n",
    )
    .unwrap();
    let graded = grade(&["--self-test", copy.path().to_str().unwrap()]).status(0);
    assert!(graded.stdout.ends_with("self-test passed\n"), "{}", graded.stdout);
}

#[test]
fn a_solution_without_full_marks_fails_the_self_test() {
    let copy = exercise_copy();
    std::fs::write(
        copy.path().join("solution.rhai"),
        "sv1.write_file(\"/etc/motd\", \"Welcome\\n\");\n",
    )
    .unwrap();
    let graded = grade(&["--self-test", copy.path().to_str().unwrap()]).status(1);
    assert!(
        graded
            .stdout
            .contains("FAIL  solution.rhai gets full marks: 4/6 (fails \"issue names the course\")"),
        "{}",
        graded.stdout
    );
}
