use super::*;
use std::fs;

/// An exercise in a temporary folder: `files` are (name, text) pairs; defaults fill the rest.
fn exercise(files: &[(&str, &str)]) -> (tempfile::TempDir, Result<Exercise, Vec<Diagnostic>>) {
    let dir = tempfile::tempdir().unwrap();
    let defaults = [
        ("exercise.toml", "title = \"T\"\nsummary = \"S\"\npoints = 3\n"),
        ("README.md", "the task\n"),
        ("starter.rhai", "print(\"hi\");\n"),
        ("solution.rhai", "sleep(1);\n"),
        (
            "checks.rhai",
            "rubric(\"time passed\", #{points: 3, feedback: \"let time pass\"}, |lab| lab.clock > 0.0);\n",
        ),
    ];
    for (name, text) in defaults {
        if !files.iter().any(|(n, _)| *n == name) {
            fs::write(dir.path().join(name), text).unwrap();
        }
    }
    for (name, text) in files {
        if let Some(parent) = Path::new(name).parent() {
            fs::create_dir_all(dir.path().join(parent)).unwrap();
        }
        fs::write(dir.path().join(name), text).unwrap();
    }
    let loaded = Exercise::load(dir.path());
    (dir, loaded)
}

fn submit(dir: &tempfile::TempDir, name: &str, text: &str) -> Submission {
    let path = dir.path().join(name);
    fs::write(&path, text).unwrap();
    Submission::file(&path)
}

fn codes(problems: &[Diagnostic]) -> Vec<(&str, usize)> {
    problems.iter().map(|d| (d.code.as_str(), d.line)).collect()
}

const RUBRIC: &str = r#"
rubric("time passed", #{points: 2, feedback: "nothing happened"}, |lab| lab.clock > 0.0);
rubric("half", #{points: 2, needs: ["time passed"]}, |lab| partial(0.5, "only half"));
rubric("hidden", #{points: 1, visibility: "hidden", feedback: "it broke"}, |lab| lab.nothing);
rubric("fraction", #{points: 1, needs: ["half"]}, |lab| 0.25);
rubric("last", #{points: 1, needs: ["time passed"]}, |lab| true);
"#;

#[test]
fn items_score_in_full_in_part_or_not_and_needs_skip() {
    let (dir, ex) = exercise(&[
        (
            "exercise.toml",
            "title = \"T\"\nsummary = \"S\"\npoints = 7\n",
        ),
        ("checks.rhai", RUBRIC),
    ]);
    let ex = ex.unwrap();
    let grade = grade_submission(&ex, &submit(&dir, "ann.rhai", "sleep(2);\n"));
    let summary: Vec<(&str, CheckStatus, f64)> = grade
        .checks
        .iter()
        .map(|c| (c.name.as_str(), c.status, c.score))
        .collect();
    assert_eq!(
        summary,
        [
            ("time passed", CheckStatus::Passed, 2.0),
            ("half", CheckStatus::Partial, 1.0),
            ("hidden", CheckStatus::Failed, 0.0),
            ("fraction", CheckStatus::Skipped, 0.0),
            ("last", CheckStatus::Passed, 1.0),
        ]
    );
    assert_eq!(grade.score, 4.0);
    assert_eq!(grade.max_score, 7.0);
    assert_eq!(grade.status, GradeStatus::Graded);
    assert_eq!(grade.checks[1].feedback.as_deref(), Some("only half"));
    let hidden = grade.checks[2].feedback.as_deref().unwrap();
    assert!(
        hidden.starts_with("it broke (") && hidden.contains("nothing"),
        "{hidden}"
    );
    assert_eq!(grade.checks[2].visibility, Visibility::Hidden);
    assert_eq!(
        grade.checks[3].feedback.as_deref(),
        Some("skipped: it needs \"half\", which did not pass")
    );
    assert_eq!(grade.lab_seconds, 2.0);

    let idle = grade_submission(&ex, &submit(&dir, "bob.rhai", ""));
    assert_eq!(idle.score, 0.0);
    assert_eq!(idle.checks[0].feedback.as_deref(), Some("nothing happened"));
    assert_eq!(idle.checks[1].status, CheckStatus::Skipped);
}

#[test]
fn a_submissions_own_checks_never_count() {
    let (dir, ex) = exercise(&[]);
    let ex = ex.unwrap();
    let grade = grade_submission(
        &ex,
        &submit(
            &dir,
            "eve.rhai",
            "check(true, \"I did everything\");\nprint(\"all done\");\n",
        ),
    );
    assert_eq!(grade.score, 0.0);
    assert_eq!(
        grade.own_checks,
        OwnChecks {
            passed: 1,
            failed: 0
        }
    );
    assert_eq!(grade.output, ["all done"]);
}

#[test]
fn setup_hands_over_only_what_it_names() {
    let (dir, ex) = exercise(&[
        (
            "exercise.toml",
            "title = \"T\"\nsummary = \"S\"\npoints = 3\n[setup]\nhand_over = [\"pause\"]\n",
        ),
        (
            "setup.rhai",
            "let pause = 5;\nlet secret = 42;\nsleep(1);\n",
        ),
    ]);
    let ex = ex.unwrap();
    let uses = grade_submission(&ex, &submit(&dir, "a.rhai", "sleep(pause);\n"));
    assert_eq!((uses.score, uses.lab_seconds), (3.0, 6.0));
    let peeks = grade_submission(&ex, &submit(&dir, "b.rhai", "print(secret);\n"));
    assert_eq!(peeks.status, GradeStatus::Graded);
    assert!(
        peeks.diagnostics[0].contains("kvmlab::script::unknown_variable"),
        "{:?}",
        peeks.diagnostics
    );
    let rebinds = grade_submission(&ex, &submit(&dir, "c.rhai", "pause = 0;\n"));
    assert!(
        rebinds.diagnostics[0].contains("constant"),
        "{:?}",
        rebinds.diagnostics
    );
}

#[test]
fn a_sandbox_limit_scores_zero_with_its_reason() {
    let (dir, ex) = exercise(&[(
        "exercise.toml",
        "title = \"T\"\nsummary = \"S\"\npoints = 3\n[limits]\noperations = 100000\n",
    )]);
    let ex = ex.unwrap();
    let grade = grade_submission(
        &ex,
        &submit(&dir, "loop.rhai", "sleep(1);\nwhile true {}\n"),
    );
    assert_eq!(grade.status, GradeStatus::Stopped);
    assert_eq!(grade.score, 0.0);
    let reason = grade.reason.as_deref().unwrap();
    assert!(
        reason.starts_with("stopped by the sandbox at line 2:"),
        "{reason}"
    );
    assert!(
        reason.ends_with("(kvmlab::sandbox::operations)"),
        "{reason}"
    );
    assert_eq!(grade.checks[0].status, CheckStatus::Failed);
    assert!(
        (99_000..=100_300).contains(&grade.operations),
        "{}",
        grade.operations
    );
}

#[test]
fn a_rubric_cannot_act_on_the_lab_nor_a_submission_shadow_it() {
    let (dir, ex) = exercise(&[(
        "checks.rhai",
        "fn waited(lab) { lab.clock > 0.0 }\nrubric(\"time passed\", #{points: 3}, |lab| waited(lab));\n",
    )]);
    let ex = ex.unwrap();
    let shadow = "fn waited(lab) { true }\nfn lab() { 1 }\nsleep(1);\n";
    assert_eq!(
        grade_submission(&ex, &submit(&dir, "s.rhai", shadow)).score,
        3.0
    );
    let (_dir, acting) = exercise(&[(
        "checks.rhai",
        "rubric(\"time passed\", #{points: 3}, |lab| { sleep(100); true });\n",
    )]);
    let acting = acting.unwrap();
    let grade = grade_submission(&acting, &submit(&dir, "t.rhai", ""));
    assert_eq!(grade.checks[0].status, CheckStatus::Failed);
    assert!(grade.checks[0]
        .feedback
        .as_deref()
        .unwrap()
        .contains("sleep"));
}

#[test]
fn broken_exercises_are_found_on_load() {
    let (_d, ex) = exercise(&[(
        "exercise.toml",
        "title = \"T\"\nsummary = \"S\"\npoints = 4\n",
    )]);
    let problems = ex.unwrap_err();
    assert_eq!(codes(&problems), [("kvmlab::grade::points_mismatch", 0)]);
    assert_eq!(
        problems[0].message,
        "the rubric's items add up to 3 points, but exercise.toml says 4"
    );

    let (_d, ex) = exercise(&[(
        "exercise.toml",
        "title = \"T\"\nsummary = \"S\"\npoints = \"3\"\n",
    )]);
    assert_eq!(
        codes(&ex.unwrap_err()),
        [("kvmlab::grade::exercise_toml", 3)]
    );

    let (_d, ex) = exercise(&[(
        "checks.rhai",
        "rubric(\"a\", #{points: 1}, |lab| true);\nrubric(\"b\", #{points: 2, needs: [\"A\"]}, |lab| true);\n",
    )]);
    let problems = ex.unwrap_err();
    assert_eq!(codes(&problems), [("kvmlab::grade::rubric", 2)]);
    assert!(problems[0]
        .message
        .contains("`b` needs `A`, which is not an earlier item"));
    assert_eq!(
        problems[0].help.as_deref(),
        Some("did you mean `a`? An item needs items declared before it")
    );

    let (_d, ex) = exercise(&[("solution.rhai", "let x = ;\n")]);
    assert_eq!(
        codes(&ex.unwrap_err()),
        [("kvmlab::grade::exercise_script", 1)]
    );

    let dir = tempfile::tempdir().unwrap();
    let problems = Exercise::load(dir.path()).unwrap_err();
    assert_eq!(problems.len(), 5);
    assert!(problems
        .iter()
        .all(|d| d.code == "kvmlab::grade::missing_file"));
}

#[test]
fn folders_are_checked_against_the_exercises_rules() {
    let (dir, ex) = exercise(&[]);
    let ex = ex.unwrap();
    let folder = dir.path().join("zoe");
    fs::create_dir(&folder).unwrap();
    fs::write(
        folder.join("lab.rhai"),
        "import \"helper\" as h;\nh::wait();\n",
    )
    .unwrap();
    fs::write(folder.join("helper.rhai"), "fn wait() { sleep(1); }\n").unwrap();
    let zoe = Submission::folder(&folder);
    assert_eq!(grade_submission(&ex, &zoe).score, 3.0);
    fs::write(folder.join("notes.txt"), "x").unwrap();
    let rejected = grade_submission(&ex, &zoe);
    assert_eq!(rejected.status, GradeStatus::Rejected);
    assert_eq!(
        rejected.reason.as_deref(),
        Some("the submission holds `notes.txt`, which this exercise does not accept (remove it from the folder; this exercise accepts files named *.rhai)")
    );
    let big = submit(&dir, "big.rhai", &"// x\n".repeat(60_000));
    assert_eq!(grade_submission(&ex, &big).status, GradeStatus::Rejected);
    let escapes = submit(&dir, "esc.rhai", "import \"checks\" as c;\n");
    let grade = grade_submission(&ex, &escapes);
    assert!(
        grade.diagnostics[0].contains("kvmlab::import::forbidden"),
        "{:?}",
        grade.diagnostics
    );
}

#[test]
fn a_class_folder_lists_one_submission_per_trainee() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["bob.rhai", "ann.rhai", "notes.md", ".hidden.rhai"] {
        fs::write(dir.path().join(name), "").unwrap();
    }
    fs::create_dir(dir.path().join("cid")).unwrap();
    let found = Submission::discover(&[dir.path().to_path_buf()], "lab.rhai").unwrap();
    let students: Vec<&str> = found.iter().map(|s| s.student.as_str()).collect();
    assert_eq!(students, ["ann", "bob", "cid"]);
    fs::create_dir(dir.path().join("ann")).unwrap();
    let twice = Submission::discover(&[dir.path().to_path_buf()], "lab.rhai").unwrap_err();
    assert_eq!(twice.code_str(), "kvmlab::grade::duplicate_student");
    let missing = Submission::discover(&[dir.path().join("nobody.rhai")], "lab.rhai").unwrap_err();
    assert_eq!(missing.code_str(), "kvmlab::grade::no_submission");
}

#[test]
fn the_rubrics_reference_examples_declare_items_in_the_checks_engine() {
    let catalog = crate::run::rubric_catalog();
    for name in ["rubric", "partial"] {
        let items = catalog.find(name);
        assert!(!items.is_empty(), "{name} is not in the rubric's reference");
        for item in items {
            assert!(!item.doc.is_empty() && !item.example.is_empty(), "{name}");
        }
    }
    for entry in crate::script::examples::RUBRIC_ENTRIES {
        let checks = format!("{}\n", entry.example);
        let (_dir, ex) = exercise(&[
            (
                "exercise.toml",
                "title = \"T\"\nsummary = \"S\"\npoints = 2\n",
            ),
            ("checks.rhai", &checks),
        ]);
        let ex = ex.unwrap_or_else(|p| panic!("{}: {:?}", entry.item, p));
        assert_eq!(ex.items.len(), 1, "{}", entry.item);
    }
}

#[test]
fn items_see_what_the_rubrics_top_level_imports_and_defines() {
    let (dir, ex) = exercise(&[
        ("exercise.toml", "title = \"T\"\nsummary = \"S\"\npoints = 2\n"),
        (
            "checks.rhai",
            "import \"kvmlab/report\" as report;\nconst PAUSE = 1.0;\n\
             rubric(\"report imported\", #{points: 1}, |lab| report::server_spec().cores > 0);\n\
             rubric(\"fixed and constants\", #{points: 1, feedback: \"waited\"}, |lab| fixed(lab.clock, 1) == fixed(PAUSE, 1));\n",
        ),
    ]);
    let ex = ex.unwrap();
    let grade = grade_submission(&ex, &submit(&dir, "a.rhai", "sleep(1);\n"));
    assert_eq!(grade.score, 2.0, "{:?}", grade.checks);
    let grade = grade_submission(&ex, &submit(&dir, "b.rhai", "sleep(2);\n"));
    assert_eq!(grade.checks[1].feedback.as_deref(), Some("waited"));
}

#[test]
fn a_rubric_that_returns_early_is_an_exercise_error_not_a_trainees() {
    let (dir, ex) = exercise(&[(
        "checks.rhai",
        "rubric(\"time passed\", #{points: 3}, |lab| true);\nif lab().clock >= 0.0 { return; }\nprint(1);\n",
    )]);
    let grade = grade_submission(&ex.unwrap(), &submit(&dir, "a.rhai", ""));
    assert_eq!(grade.status, GradeStatus::InternalError, "{grade:?}");
    assert!(grade
        .reason
        .as_deref()
        .unwrap()
        .contains("returned before its items were graded"));
}

#[test]
fn a_worker_reopens_an_exercise_without_checking_every_scripts_syntax_again() {
    let (dir, loaded) = exercise(&[("mutants/typo.rhai", "let x = ;\n")]);
    assert_eq!(
        codes(&loaded.unwrap_err()),
        [("kvmlab::grade::exercise_script", 1)]
    );
    let reopened = Exercise::reopen(dir.path()).unwrap();
    assert_eq!(reopened.mutants.len(), 1);
    assert_eq!(reopened.items.len(), 1);
}
