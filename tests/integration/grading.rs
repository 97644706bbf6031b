//! `kvmlab grade`: a class graded in worker processes, its exports read back by the tools
//! that consume them, hostile submissions kept to themselves, the self-test, exit codes.

use crate::harness::{kvmlab, repo_root, unwrapped};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    repo_root().join("tests/fixtures/grading")
}

fn exercise() -> PathBuf {
    fixtures().join("window")
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
    for name in ["ann.rhai", "bob.rhai", "dan.rhai", "eve.rhai"] {
        std::fs::copy(class.join(name), dir.path().join(name)).unwrap();
    }
    std::fs::create_dir(dir.path().join("cid")).unwrap();
    for name in ["lab.rhai", "window.rhai"] {
        std::fs::copy(
            class.join("cid").join(name),
            dir.path().join("cid").join(name),
        )
        .unwrap();
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
    assert_eq!(class["exercise"], "window");
    assert_eq!(class["title"], "Hold the maintenance window");
    assert_eq!(class["max_score"], 6.0);
    let names: Vec<&str> = class["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["student"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ann", "bob", "cid", "dan", "eve"]);
    let scores: Vec<f64> = class["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["score"].as_f64().unwrap())
        .collect();
    assert_eq!(scores, [6.0, 5.0, 6.0, 0.0, 4.0]);
    let bob = student(&class, "bob");
    assert_eq!(bob["status"], "graded");
    assert_eq!(bob["lab_seconds"], 4600.0);
    assert_eq!(bob["checks"][2]["status"], "partial");
    assert_eq!(bob["checks"][2]["score"], 1.0);
    assert_eq!(
        bob["checks"][2]["feedback"],
        "the window ran over by more than 400 s"
    );
    let eve = student(&class, "eve");
    assert_eq!(eve["checks"][1]["status"], "failed");
    assert_eq!(
        eve["checks"][1]["feedback"],
        "the window is shorter than an hour (3600 s)"
    );
    assert_eq!(bob["checks"][2]["visibility"], "hidden");
    // bob's own check(true, ...) is shown, never counted.
    assert_eq!(bob["own_checks"]["passed"], 1);
    let dan = student(&class, "dan");
    assert_eq!(dan["checks"][1]["status"], "skipped");
    // The setup handed sv1 over; cid's folder imported its own module.
    assert_eq!(student(&class, "ann")["output"][0], "sv1: maintenance done");
    assert_eq!(student(&class, "cid")["score"], 6.0);
    let summary = &class["summary"];
    assert_eq!(summary["students"], 5);
    assert_eq!(summary["graded"], 5);
    assert_eq!(summary["mean"], 4.2);
    assert_eq!(summary["median"], 5.0);
    assert_eq!(summary["checks"][0]["name"], "time passed");
    assert_eq!(summary["checks"][0]["passed"], 4);
    assert_eq!(summary["checks"][0]["pass_rate"], 0.8);
    assert_eq!(summary["checks"][1]["skipped"], 1);
    assert_eq!(summary["checks"][2]["partial"], 1);
    let bins: Vec<u64> = summary["distribution"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["students"].as_u64().unwrap())
        .collect();
    assert_eq!(bins, [1, 0, 0, 0, 0, 0, 1, 0, 1, 2]);
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
    assert!(
        table.starts_with("Hold the maintenance window (window): 5 submission(s), 6 point(s) each")
    );
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("| {name} ")))
            .unwrap_or_else(|| panic!("no row for {name}:\n{table}"))
            .to_string()
    };
    assert_eq!(row("bob"), "| bob     |   5/6 | ++~    |      |", "{table}");
    assert_eq!(row("dan"), "| dan     |   0/6 | x--    |      |");
    assert_eq!(row("eve"), "| eve     |   4/6 | +x+    |      |");
    assert_eq!(row("ann"), "| ann     |   6/6 | +++    |      |");
    assert!(table
        .contains("Checks, in the order numbered below: + passed, ~ partial, x failed, - skipped"));
    assert!(table.contains("Scores: mean 4.2, median 5, 5 of 5 graded"));
    assert!(
        table.contains("| 1 | time passed              |      2 | 4 (80%) |"),
        "{table}"
    );
    assert!(table.contains("     5.4 - 6         2 ########################################\n"));
    assert!(table.contains("Slowest submissions, by operations"));
}

#[test]
fn the_output_is_identical_whatever_jobs_and_argument_order() {
    let exercise = exercise();
    let exercise = exercise.to_str().unwrap();
    let forward = [
        "class/ann.rhai",
        "class/bob.rhai",
        "class/cid",
        "class/dan.rhai",
        "class/eve.rhai",
    ];
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
        assert_eq!(
            one,
            run("2", &backward),
            "{format}: the argument order shows"
        );
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
    let class = class_with(&[
        ("loop.rhai", ENDLESS_LOOP),
        ("memory.rhai", &huge),
        ("deep.rhai", "fn down(n) { down(n + 1) }\ndown(0);\n"),
        ("flood.rhai", "for i in 0..100000 { print(\"flood\"); }\n"),
        ("evil.rhai", "eval(\"sleep(3600)\");\n"),
        ("escape.rhai", "import \"../window/solution\" as s;\n"),
        (
            "grader.rhai",
            "rubric(\"mine\", #{points: 6}, |lab| true);\n",
        ),
        // Its own `lab()` cannot fool the rubric, which runs in an engine of its own.
        (
            "shadow.rhai",
            "fn lab() { #{clock: 9999.0} }\ncheck(lab().clock > 0.0, \"done\");\n",
        ),
    ]);
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
    assert!(
        memory["reason"].as_str().unwrap().contains("memory"),
        "{memory}"
    );
    let first_code = |name: &str| {
        let grade = student(&all, name);
        let diagnostic = grade["diagnostics"][0].as_str().unwrap_or("");
        (
            grade["status"].as_str().unwrap().to_string(),
            grade["score"].as_f64().unwrap(),
            diagnostic.lines().next().unwrap_or("").to_string(),
        )
    };
    let graded_zero = |code: &str| ("graded".to_string(), 0.0, code.to_string());
    assert_eq!(
        first_code("deep"),
        ("stopped".into(), 0.0, "kvmlab::sandbox::call_depth".into())
    );
    assert_eq!(
        first_code("evil"),
        graded_zero("kvmlab::script::eval_disabled")
    );
    assert_eq!(
        first_code("escape"),
        graded_zero("kvmlab::import::forbidden")
    );
    assert_eq!(
        first_code("grader"),
        graded_zero("kvmlab::script::unknown_function")
    );
    assert_eq!(first_code("shadow"), graded_zero(""));
    assert_eq!(student(&all, "shadow")["own_checks"]["passed"], 1);
    let flood = student(&all, "flood");
    assert_eq!(flood["output"].as_array().unwrap().len(), 200);
    assert_eq!(flood["output_cut"], 99_800);
    for name in ["ann.rhai", "bob.rhai", "cid", "dan.rhai", "eve.rhai"] {
        let alone = grade_in(class.path(), &[exercise, name, "--format", "json"]).status(0);
        let mut alone = alone.json()["submissions"][0].take();
        let stem = name.trim_end_matches(".rhai");
        let mut beside = student(&all, stem).clone();
        // The path as given differs (`./ann.rhai`, `ann.rhai`); the rest is the same grade.
        assert_eq!(beside["submission"].take(), format!("./{name}").as_str());
        alone["submission"].take();
        assert_eq!(beside, alone, "{stem} graded beside hostile ones");
    }
}

#[test]
fn the_gradescope_export_follows_gradescope_s_published_results_format() {
    let schema_path = repo_root().join("tests/schemas/gradescope-results.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap())
        .expect("the schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let exercise = exercise();
    for name in [
        "class/ann.rhai",
        "class/bob.rhai",
        "class/dan.rhai",
        "class/eve.rhai",
    ] {
        let graded = grade(&[exercise.to_str().unwrap(), name, "--format", "gradescope"]).status(0);
        let results = graded.json();
        let errors: Vec<String> = validator
            .iter_errors(&results)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}\n{results:#}");
    }
    let bob = grade(&[
        exercise.to_str().unwrap(),
        "class/bob.rhai",
        "--format",
        "gradescope",
    ]);
    let results = bob.json();
    assert_eq!(results["score"], 5.0);
    let tests = results["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 3);
    assert_eq!(tests[0]["name"], "time passed");
    assert_eq!(tests[0]["status"], "passed");
    assert_eq!(tests[0]["visibility"], "visible");
    assert_eq!(tests[2]["status"], "failed");
    assert_eq!(tests[2]["output"], "the window ran over by more than 400 s");
    assert_eq!(tests[2]["score"], 1.0);
    assert_eq!(tests[2]["max_score"], 2.0);
    assert_eq!(tests[2]["visibility"], "hidden");
    let output = results["output"].as_str().unwrap();
    assert!(output.starts_with("Score: 5/6 (graded)\n"), "{output}");
    assert!(output.contains("1 passed, 0 failed (they do not count toward the grade)"));
    let dan = grade(&[
        exercise.to_str().unwrap(),
        "class/dan.rhai",
        "--format",
        "gradescope",
    ]);
    assert_eq!(
        dan.json()["tests"][1]["output"],
        "skipped: it needs \"time passed\", which did not pass"
    );
    // A submission the sandbox stopped: zero, every test failed with the reason.
    let hostile = tempfile::tempdir().unwrap();
    std::fs::write(hostile.path().join("loop.rhai"), ENDLESS_LOOP).unwrap();
    let stopped = grade_in(
        hostile.path(),
        &[
            exercise.to_str().unwrap(),
            "loop.rhai",
            "--format",
            "gradescope",
        ],
    )
    .status(0)
    .json();
    assert!(validator.is_valid(&stopped), "{stopped:#}");
    assert_eq!(stopped["score"], 0.0);
    let output = stopped["output"].as_str().unwrap();
    assert!(
        output.starts_with("Score: 0/6 (stopped)\nReason: stopped by the sandbox at line 2: operation budget exceeded"),
        "{output}"
    );
    for test in stopped["tests"].as_array().unwrap() {
        assert_eq!(test["status"], "failed");
        assert!(test["output"]
            .as_str()
            .unwrap()
            .starts_with("not graded: stopped by the sandbox"));
    }
    // The schema is strict enough to catch a wrong field.
    let mut broken = results.clone();
    broken["tests"][0]["status"] = "partial".into();
    assert!(!validator.is_valid(&broken));
}

#[test]
fn gradescope_with_several_submissions_is_a_usage_error() {
    let exercise = exercise();
    let graded = grade(&[
        exercise.to_str().unwrap(),
        "class",
        "--format",
        "gradescope",
    ])
    .status(2);
    assert!(
        unwrapped(&graded.stderr).contains(
            "kvmlab grade: the gradescope export is one student's results.json, and 5 \
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
    assert_eq!(names, ["ann", "bob", "cid", "dan", "eve", "loop"]);
    let counts = |name: &str| {
        let suite = suites.suites.iter().find(|s| s.name == name).unwrap();
        (suite.tests, suite.failures, suite.skipped, suite.errors)
    };
    assert_eq!(counts("ann"), (3, 0, 0, 0));
    assert_eq!(counts("bob"), (3, 1, 0, 0));
    assert_eq!(counts("dan"), (3, 1, 2, 0));
    assert_eq!(counts("eve"), (3, 1, 0, 0));
    // Not graded: one error case that says why, and no rubric item.
    assert_eq!(counts("loop"), (1, 0, 0, 1));
    let eve = suites.suites.iter().find(|s| s.name == "eve").unwrap();
    let hour = eve
        .cases
        .iter()
        .find(|c| c.original_name == "the window lasts an hour")
        .unwrap();
    assert_eq!(hour.classname.as_deref(), Some("eve"));
    assert_eq!(
        hour.status.failure_as_ref().message,
        "0/2 point(s): the window is shorter than an hour (3600 s)"
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
            "time passed",
            "the window lasts an hour",
            "no overtime",
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
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[1], ["bob", "2", "2", "1", "5", "6", "graded", ""]);
    assert_eq!(rows[3], ["dan", "0", "0", "0", "0", "6", "graded", ""]);
    assert_eq!(rows[4], ["eve", "2", "0", "2", "4", "6", "graded", ""]);
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
    assert!(csv_text.starts_with("student,time passed,the window lasts an hour,"));
    let svg = std::fs::read_to_string(dir.path().join("grades-scores.svg")).unwrap();
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(svg.contains("Hold the maintenance window: scores of 5 submission(s)"));
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
    let solution = fixtures().join("window/solution.rhai");
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["no-such-exercise", "class"],
            "kvmlab grade: there is no exercise at `no-such-exercise`".into(),
        ),
        (
            vec![exercise, "class/nobody.rhai"],
            "kvmlab grade: no submission at `class/nobody.rhai` [kvmlab::grade::no_submission]"
                .into(),
        ),
        (
            vec![exercise, empty.path().to_str().unwrap()],
            format!(
                "kvmlab grade: `{}` holds no submissions [kvmlab::grade::empty_class]",
                empty.path().display()
            ),
        ),
        (
            vec![exercise],
            "kvmlab grade: no submissions to grade".into(),
        ),
        (
            vec![exercise, "class", "--jobs", "0"],
            "kvmlab grade: --jobs 0 would grade nothing".into(),
        ),
        (
            vec![exercise, "class", "--out", "no-such-folder/grades.csv"],
            "kvmlab grade: cannot write `no-such-folder/grades.csv`: No such file or directory"
                .into(),
        ),
        (
            vec!["--self-test", exercise, solution.to_str().unwrap()],
            "kvmlab grade: --self-test grades the exercise's own solution, starter and mutants"
                .into(),
        ),
    ];
    for (args, message) in cases {
        let graded = grade(&args).status(2);
        assert!(
            graded.stderr.starts_with(&message),
            "{args:?}: {}",
            graded.stderr
        );
        assert!(
            graded.stderr.contains("\n  help: "),
            "{args:?}: {}",
            graded.stderr
        );
    }
    // Two submissions for one student.
    let other = tempfile::tempdir().unwrap();
    let twin = other.path().join("ann.rhai");
    std::fs::write(&twin, "sleep(1);\n").unwrap();
    let graded = grade(&[exercise, "class/ann.rhai", twin.to_str().unwrap()]).status(2);
    assert!(
        graded
            .stderr
            .starts_with("kvmlab grade: two submissions are named `ann`"),
        "{}",
        graded.stderr
    );
    assert!(graded
        .stderr
        .contains("[kvmlab::grade::duplicate_student]\n  help: "));
    // A bad flag is a usage error of grade's, not the 64 of `kvmlab run`.
    let graded = grade(&[exercise, "class", "--format", "xlsx"]).status(2);
    assert!(
        graded.stderr.contains("invalid value 'xlsx'"),
        "{}",
        graded.stderr
    );
}

/// The fixture exercise copied, for tests that break it.
fn exercise_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&exercise(), dir.path());
    dir
}

pub fn copy_dir(from: &Path, to: &Path) {
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
    let graded = grade(&["--self-test", "window"]).status(0);
    let expected = "\
self-test of window: Hold the maintenance window (6 points, 3 mutant(s))
  ok    solution.rhai gets full marks: 6/6
  ok    starter.rhai does not get full marks: 0/6
  ok    mutants/no-wait.rhai scores below full: 0/6, fails \"time passed\"
  ok    mutants/overtime.rhai scores below full: 5/6, fails \"no overtime\"
  ok    mutants/short.rhai scores below full: 4/6, fails \"the window lasts an
        hour\"
  ok    \"time passed\" fails on mutants/no-wait.rhai
  ok    \"the window lasts an hour\" fails on mutants/short.rhai
  ok    \"no overtime\" fails on mutants/overtime.rhai
self-test passed
";
    assert_eq!(graded.stdout, expected);
}

#[test]
fn the_self_test_names_the_item_no_mutant_fails() {
    let copy = exercise_copy();
    std::fs::remove_file(copy.path().join("mutants/overtime.rhai")).unwrap();
    let graded = grade(&["--self-test", copy.path().to_str().unwrap()]).status(1);
    let out = &graded.stdout;
    // A skipped item was not tried: no-wait skips "no overtime" but does not fail it.
    assert!(
        out.contains("  FAIL  \"no overtime\" fails on no mutant: add one to mutants/ that"),
        "{out}"
    );
    assert!(
        unwrapped(out).contains(
            "FAIL \"no overtime\" fails on no mutant: add one to mutants/ that breaks it, or \
             the check cannot be shown to fail"
        ),
        "{out}"
    );
    assert!(out.ends_with("self-test failed: 1 problem(s)\n"), "{out}");
    // Applied, the advice fixes it: a mutant that runs far over the window.
    std::fs::write(copy.path().join("mutants/long.rhai"), "sleep(9000);\n").unwrap();
    let graded = grade(&["--self-test", copy.path().to_str().unwrap()]).status(0);
    assert!(
        graded
            .stdout
            .contains("  ok    \"no overtime\" fails on mutants/long.rhai\n"),
        "{}",
        graded.stdout
    );
    assert!(graded.stdout.ends_with("self-test passed\n"));
}

#[test]
fn a_solution_without_full_marks_fails_the_self_test() {
    let copy = exercise_copy();
    std::fs::write(copy.path().join("solution.rhai"), "sleep(60);\n").unwrap();
    let graded = grade(&["--self-test", copy.path().to_str().unwrap()]).status(1);
    assert!(
        graded.stdout.contains(
            "  FAIL  solution.rhai gets full marks: 4/6 (fails \"the window lasts an hour\")\n"
        ),
        "{}",
        graded.stdout
    );
}

#[test]
fn a_broken_exercise_exits_1_with_its_diagnostics() {
    let copy = exercise_copy();
    let toml = copy.path().join("exercise.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, text.replace("points = 6", "points = 7")).unwrap();
    let graded = grade(&[copy.path().to_str().unwrap(), "class"]).status(1);
    let stderr = unwrapped(&graded.stderr);
    assert!(
        stderr.contains("kvmlab::grade::points_mismatch"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the rubric's items add up to 6 points, but exercise.toml says 7"),
        "{stderr}"
    );
    assert!(stderr.contains("help: make `points` in exercise.toml the sum of the rubric's items"));
    assert!(stderr.contains("is broken: 1 problem(s); nothing was graded"));
    assert!(graded.stdout.is_empty());
    // The self-test of a broken exercise says so the same way.
    grade(&["--self-test", copy.path().to_str().unwrap()]).status(1);
}

#[test]
fn a_submission_past_the_exercise_s_seconds_is_stopped_naming_the_limit() {
    let copy = exercise_copy();
    let toml = copy.path().join("exercise.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let text = text
        .replace("operations = 2000000", "operations = 1000000000")
        .replace("seconds = 10", "seconds = 1");
    std::fs::write(&toml, text).unwrap();
    let class = class_with(&[("loop.rhai", ENDLESS_LOOP)]);
    let started = std::time::Instant::now();
    let graded = grade_in(
        class.path(),
        &[
            copy.path().to_str().unwrap(),
            ".",
            "--format",
            "json",
            "--jobs",
            "2",
        ],
    )
    .status(0);
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    let all = graded.json();
    let looping = student(&all, "loop");
    assert_eq!(looping["status"], "stopped");
    assert_eq!(
        looping["reason"],
        "stopped by the sandbox at line 2: wall-clock limit of 1 s exceeded \
         (kvmlab::sandbox::wall_time)"
    );
    assert_eq!(student(&all, "ann")["score"], 6.0);
}

#[test]
fn every_shipped_exercise_passes_its_self_test() {
    let exercises = repo_root().join("labs/exercises");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&exercises)
        .expect("labs/exercises")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 6, "only {} exercises ship", dirs.len());
    for dir in dirs {
        let graded = grade(&["--self-test", dir.to_str().unwrap(), "--jobs", "2"]);
        assert_eq!(
            graded.status,
            0,
            "{}:\n{}{}",
            dir.display(),
            graded.stdout,
            graded.stderr
        );
        assert!(graded.stdout.ends_with("self-test passed\n"));
        for line in graded.stdout.lines() {
            assert!(line.chars().count() <= 80, "too wide: {line:?}");
        }
    }
}

#[test]
fn a_shipped_exercise_s_corpus_grades_the_same_whatever_jobs() {
    let exercise = repo_root().join("labs/exercises/network");
    let corpus = repo_root().join("tests/exercises/network");
    let run = |jobs: &str| {
        grade(&[
            exercise.to_str().unwrap(),
            corpus.to_str().unwrap(),
            "--format",
            "json",
            "--jobs",
            jobs,
        ])
        .status(0)
        .stdout
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    let class: Value = serde_json::from_str(&one).unwrap();
    let solution = student(&class, "good-solution");
    assert_eq!(solution["score"], 10.0);
    let looping = student(&class, "hostile-endless-loop");
    assert_eq!(looping["status"], "stopped");
    assert_eq!(looping["score"], 0.0);
}

#[test]
fn a_row_that_was_not_graded_says_why() {
    let graded = grade_in(
        repo_root(),
        &[
            "labs/exercises/network",
            "tests/exercises/network/hostile-endless-loop.rhai",
            "tests/exercises/network/hostile-folder-extra-file",
            "--color",
            "never",
        ],
    )
    .status(0);
    let row = |start: &str| graded.stdout.lines().any(|l| l.starts_with(start));
    assert!(
        row("| hostile-endless-loop      |  0/10 | xxxxx xxx | stopped by the sandbox at    |"),
        "{}",
        graded.stdout
    );
    assert!(
        row("| hostile-folder-extra-file |  0/10 | xxxxx xxx | rejected: the submission     |"),
        "{}",
        graded.stdout
    );
}

/// An exercise that starts from a lab's steps: `[setup] lab` and `before_step` make the
/// lab's steps before that one the setup, in place of setup.rhai.
#[test]
fn an_exercise_can_start_before_a_step_of_a_lab() {
    let root = tempfile::tempdir().unwrap();
    let copy = root.path().join("window");
    copy_dir(&exercise(), &copy);
    let setup = std::fs::read_to_string(copy.join("setup.rhai")).unwrap();
    std::fs::remove_file(copy.join("setup.rhai")).unwrap();
    // The fixture's setup as the lab's first step; its second step is the exercise's work.
    std::fs::write(
        root.path().join("maintenance.rhai"),
        format!("step(\"sv1 installed\");\n{setup}step(\"the window\");\nsleep(3600);\n"),
    )
    .unwrap();
    let toml = copy.join("exercise.toml");
    let config = std::fs::read_to_string(&toml).unwrap();
    let with_lab = config.replace(
        "[setup]\n",
        "[setup]\nlab = \"../maintenance.rhai\"\nbefore_step = 2\n",
    );
    std::fs::write(&toml, &with_lab).unwrap();
    let graded = grade(&["--self-test", copy.to_str().unwrap()]).status(0);
    assert!(
        graded
            .stdout
            .contains("  ok    solution.rhai gets full marks: 6/6\n")
            && graded
                .stdout
                .contains("  ok    starter.rhai does not get full marks: 0/6\n"),
        "{}",
        graded.stdout
    );
    // The whole lab as the setup spends the hour itself: the starter gets full marks.
    std::fs::write(&toml, with_lab.replace("before_step = 2\n", "")).unwrap();
    let whole = grade(&["--self-test", copy.to_str().unwrap()]).status(1);
    assert!(
        whole
            .stdout
            .contains("  FAIL  starter.rhai does not get full marks: 6/6"),
        "{}",
        whole.stdout
    );
    std::fs::write(
        &toml,
        with_lab.replace("before_step = 2", "before_step = 3"),
    )
    .unwrap();
    let past = grade(&["--self-test", copy.to_str().unwrap()]).status(1);
    assert!(
        unwrapped(&past.stderr).contains(
            "exercise.toml: `../maintenance.rhai` has 2 steps; there is no step 3 to start before"
        ),
        "{}",
        past.stderr
    );
    std::fs::write(copy.join("setup.rhai"), &setup).unwrap();
    std::fs::write(&toml, &with_lab).unwrap();
    let two = grade(&["--self-test", copy.to_str().unwrap()]).status(1);
    assert!(
        two.stderr.contains("kvmlab::grade::two_setups"),
        "{}",
        two.stderr
    );
}

/// An exercise that starts from a checkpoint file: `kvmlab checkpoint LAB --step N` writes
/// the lab's state before step N, and `[setup] checkpoint` starts every submission there,
/// refusing a file that no longer makes the state it recorded.
#[test]
fn an_exercise_can_start_from_a_checkpoint_file_that_must_still_hold() {
    let root = tempfile::tempdir().unwrap();
    let copy = root.path().join("window");
    copy_dir(&exercise(), &copy);
    let setup = std::fs::read_to_string(copy.join("setup.rhai")).unwrap();
    std::fs::remove_file(copy.join("setup.rhai")).unwrap();
    let lab = root.path().join("maintenance.rhai");
    std::fs::write(
        &lab,
        format!("step(\"sv1 installed\");\n{setup}step(\"the window\");\nsleep(3600);\n"),
    )
    .unwrap();
    let made = crate::harness::kvmlab()
        .args(["checkpoint", lab.to_str().unwrap(), "--step", "2", "--out"])
        .arg(&copy)
        .output()
        .unwrap();
    assert_eq!(made.status.code(), Some(0), "{made:?}");
    let file = copy.join("maintenance-before-step-2.checkpoint.toml");
    assert!(
        String::from_utf8_lossy(&made.stdout).starts_with(&format!(
            "{}: {} before step 2 at ",
            file.display(),
            lab.display()
        )),
        "{made:?}"
    );
    let written = std::fs::read_to_string(&file).unwrap();
    let table: toml::Table = written.parse().unwrap();
    assert_eq!(table["lab"].as_str(), Some("maintenance.rhai"));
    assert_eq!(table["before_step"].as_integer(), Some(2));
    assert_eq!(
        table["setup"].as_str(),
        Some(format!("step(\"sv1 installed\");\n{setup}").as_str())
    );
    assert_eq!(table["digest"].as_str().unwrap().len(), 64);

    let toml = copy.join("exercise.toml");
    let config = std::fs::read_to_string(&toml).unwrap();
    let with_file = config.replace(
        "[setup]\n",
        "[setup]\ncheckpoint = \"maintenance-before-step-2.checkpoint.toml\"\n",
    );
    std::fs::write(&toml, &with_file).unwrap();
    let graded = grade(&["--self-test", copy.to_str().unwrap()]).status(0);
    assert!(
        graded
            .stdout
            .contains("  ok    solution.rhai gets full marks: 6/6\n"),
        "{}",
        graded.stdout
    );

    // The setup edited: it no longer makes the state the file recorded.
    let edited = written.replace(
        "step(\"sv1 installed\");\n",
        "step(\"sv1 installed\");\nsleep(1.0);\n",
    );
    std::fs::write(&file, &edited).unwrap();
    let diverged = grade(&["--self-test", copy.to_str().unwrap()]).status(1);
    let said = unwrapped(&diverged.stdout);
    assert!(
        said.contains("FAIL solution.rhai gets full marks: 0/6")
            && said.contains(&format!(
                "did not come out as it was made: its setup, maintenance.rhai up to step 2, gives another lab than the one it recorded (it was made by kvmlab {}) (kvmlab::checkpoint::diverged)",
                env!("CARGO_PKG_VERSION")
            )),
        "{}",
        diverged.stdout
    );

    std::fs::write(&file, &written).unwrap();
    std::fs::write(&toml, format!("seed = 5\n{with_file}")).unwrap();
    let seeded = grade(&["--self-test", copy.to_str().unwrap()]).status(1);
    assert!(
        unwrapped(&seeded.stderr).contains("was made with seed 0, and this lab runs with seed 5"),
        "{}",
        seeded.stderr
    );

    std::fs::write(&toml, &with_file).unwrap();
    std::fs::write(&file, "setup = 3\n").unwrap();
    let bad = grade(&["--self-test", copy.to_str().unwrap()]).status(1);
    assert!(
        bad.stderr.contains("kvmlab::checkpoint::bad_file"),
        "{}",
        bad.stderr
    );
}
