//! `kvmlab repl --exercise NAME` through a pipe: the exercise's setup builds the lab, `:check`
//! grades the work so far on the visible checks exactly as `kvmlab grade` grades the file
//! `:save` writes, hidden checks are counted and never named, and bad or broken exercises
//! are refused with the grader's diagnostics.

use crate::grading::copy_dir;
use crate::harness::{kvmlab, repo_root, unwrapped};
use crate::repl::{repl_in, Transcript};
use serde_json::Value;
use std::path::Path;

/// A course folder holding `labs/exercises/network`, so the exercise is found by its name
/// and by its relative path.
fn course() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &repo_root().join("labs/exercises/network"),
        &dir.path().join("labs/exercises/network"),
    );
    dir
}

/// sv1's /etc/hosts repaired, address first: the first check's work and half the third's.
const SV1_HOSTS: &str = "import \"kvmlab/report\" as report;
const STOCK = \"127.0.0.1   localhost localhost.localdomain localhost4 localhost4.localdomain4\\n\";
sv1.write_file(\"/etc/hosts\", STOCK + report::hosts_corrected());
";

/// The rest of the exercise: both hosts' files repaired and their network restarted.
const THE_REST: &str = "let addresses = report::addresses();
for h in [sv1, sv2] {
    h.write_file(\"/etc/hosts\", STOCK + report::hosts_corrected());
    h.write_file(\"/etc/sysconfig/network-scripts/ifcfg-eth1\", report::ifcfg_eth1_corrected(addresses[h.name].net2));
    h.service(\"network\").restart();
}
";

/// One row of a `:check` table: the check's name and feedback (their wrapped lines joined),
/// points, score and mark.
#[derive(Debug, PartialEq)]
struct Row {
    name: String,
    points: f64,
    score: f64,
    mark: String,
    feedback: String,
}

/// A row without its feedback, as the tests spell them out.
type Graded = (String, f64, f64, String);

fn graded(table: &[Row]) -> Vec<Graded> {
    table
        .iter()
        .map(|r| (r.name.clone(), r.points, r.score, r.mark.clone()))
        .collect()
}

/// `first` and `more`, the wrapped lines of a cell, as one text.
fn joined(first: &str, more: &str) -> String {
    match (first.is_empty(), more.is_empty()) {
        (_, true) => first.to_string(),
        (true, false) => more.to_string(),
        (false, false) => format!("{first} {more}"),
    }
}

/// The rows of every `:check` table in `stdout`, a table each.
fn tables(stdout: &str) -> Vec<Vec<Row>> {
    let mut tables: Vec<Vec<Row>> = Vec::new();
    for line in stdout.lines() {
        if line.starts_with("| Check ") {
            tables.push(Vec::new());
            continue;
        }
        let (Some(table), Some(inner)) = (tables.last_mut(), line.strip_prefix('|')) else {
            continue;
        };
        let cells: Vec<&str> = inner.split('|').map(str::trim).collect();
        match (cells[1], table.last_mut()) {
            ("", Some(row)) => {
                row.name = joined(&row.name, cells[0]);
                row.feedback = joined(&row.feedback, cells[4]);
            }
            (points, _) => table.push(Row {
                name: cells[0].to_string(),
                points: points.parse().unwrap(),
                score: cells[2].parse().unwrap(),
                mark: cells[3].to_string(),
                feedback: cells[4].to_string(),
            }),
        }
    }
    tables
}

/// The visible checks' scores `kvmlab grade` gives `submission`, by name.
fn graded_visible_scores(course: &Path, submission: &str) -> Vec<(String, f64)> {
    let out = kvmlab()
        .args([
            "grade",
            "labs/exercises/network",
            submission,
            "--format",
            "json",
        ])
        .current_dir(course)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let class: Value = serde_json::from_slice(&out.stdout).unwrap();
    let checks = class["submissions"][0]["checks"].as_array().unwrap();
    checks
        .iter()
        .filter(|c| c["visibility"] == "visible")
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["score"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn names_and_scores(table: &[Row]) -> Vec<(String, f64)> {
    table.iter().map(|r| (r.name.clone(), r.score)).collect()
}

#[test]
fn check_shows_the_visible_scores_of_the_work_so_far_and_counts_the_hidden() {
    let course = course();
    let t = repl_in(
        course.path(),
        &["--exercise", "labs/exercises/network"],
        &format!(
            ":check\n{SV1_HOSTS}:check\n:save partial.rhai\n{THE_REST}:check\n:save! full.rhai\n"
        ),
    );
    assert_eq!((t.status, t.stderr.as_str()), (0, ""));
    assert!(
        t.stdout.starts_with(
            "exercise network: Repair the network\n\
             Fix the report's /etc/hosts and GATEWAY errata so sv1 and sv2 reach each other by name on both networks\n\
             the setup built the lab and handed over sv1, sv2, net1, net2\n"
        ),
        "{}",
        t.stdout
    );
    let tables = tables(&t.stdout);
    assert_eq!(tables.len(), 3, "{}", t.stdout);
    let names = [
        "sv2 resolves on sv1",
        "sv1 resolves on sv2",
        "every name of the report resolves on both hosts",
        "no reversed lines are left in /etc/hosts",
        "ifcfg-eth1 has no GATEWAY",
        "the default route goes via the NET1 gateway",
        "the hosts reach each other by name on both networks",
    ];
    let points = [1.0, 1.0, 2.0, 1.0, 2.0, 1.0, 1.0];
    let expect = |scores: [(f64, &str); 7]| -> Vec<Graded> {
        (0..7)
            .map(|i| (names[i].into(), points[i], scores[i].0, scores[i].1.into()))
            .collect()
    };
    // The setup's lab as it is: nothing earned; the last check needs the first to pass.
    assert_eq!(
        graded(&tables[0]),
        expect([
            (0.0, "x"),
            (0.0, "x"),
            (0.0, "x"),
            (0.0, "x"),
            (0.0, "x"),
            (0.0, "x"),
            (0.0, "-")
        ])
    );
    assert_eq!(
        graded(&tables[1]),
        expect([
            (1.0, "+"),
            (0.0, "x"),
            (1.0, "~"),
            (0.0, "x"),
            (0.0, "x"),
            (0.0, "x"),
            (0.0, "x")
        ])
    );
    assert_eq!(
        graded(&tables[2]),
        expect([
            (1.0, "+"),
            (1.0, "+"),
            (2.0, "+"),
            (1.0, "+"),
            (2.0, "+"),
            (1.0, "+"),
            (1.0, "+")
        ])
    );
    let scores: Vec<&str> = t
        .stdout
        .lines()
        .filter(|l| l.starts_with("visible checks: "))
        .collect();
    assert_eq!(
        scores,
        [
            "visible checks: 0/9 point(s)",
            "visible checks: 2/9 point(s)",
            "visible checks: 9/9 point(s)"
        ]
    );
    assert_eq!(
        t.stdout
            .matches("1 more check is hidden: `kvmlab grade` grades it with the rest\n")
            .count(),
        3
    );
    assert_eq!(
        tables[1][2].feedback,
        "5 of the 10 do not resolve to the report's address: iscsi1, sv1, sv10, sv2, sv20 \
         on sv2; each host's /etc/hosts needs the five lines of §2.2, address first"
    );
    assert!(tables[2].iter().all(|r| r.feedback.is_empty()));
    let text = unwrapped(&t.stdout);
    // The hidden item is never named, nor is its feedback shown.
    assert!(!text.contains("localhost"), "{text}");

    // What `:save` wrote is a submission `kvmlab grade` grades to the same visible scores.
    assert!(t.stdout.contains(
        "saved 3 line(s) to partial.rhai, without the setup: `kvmlab grade labs/exercises/network partial.rhai` grades it"
    ), "{}", t.stdout);
    let saved = std::fs::read_to_string(course.path().join("partial.rhai")).unwrap();
    assert_eq!(saved, SV1_HOSTS);
    assert_eq!(
        graded_visible_scores(course.path(), "partial.rhai"),
        names_and_scores(&tables[1])
    );
    assert_eq!(
        graded_visible_scores(course.path(), "full.rhai"),
        names_and_scores(&tables[2])
    );
}

#[test]
fn check_leaves_the_lab_and_its_time_as_they_were() {
    let course = course();
    let t = repl_in(
        course.path(),
        &["--exercise", "network"],
        &format!("{SV1_HOSTS}sleep(42);\n:time\n:check\n:time\nsv1.resolve(\"sv2\")\n"),
    );
    assert_eq!((t.status, t.stderr.as_str()), (0, ""));
    let times: Vec<&str> = t
        .stdout
        .lines()
        .filter(|l| l.starts_with("lab time:"))
        .collect();
    assert_eq!(times.len(), 2, "{}", t.stdout);
    assert_eq!(times[0], times[1]);
    assert!(t.stdout.ends_with("=> \"192.168.1.12\"\n"), "{}", t.stdout);
}

#[test]
fn reset_on_an_exercise_runs_its_setup_again() {
    let course = course();
    let t = repl_in(
        course.path(),
        &["--exercise", "network"],
        &format!("{SV1_HOSTS}:reset\n:check\nsv1.name\n"),
    );
    assert_eq!((t.status, t.stderr.as_str()), (0, ""));
    assert!(
        t.stdout.contains(
            "a fresh lab: the exercise's setup ran again, lab time 0 s, only its variables\n"
        ),
        "{}",
        t.stdout
    );
    assert!(
        t.stdout.contains("visible checks: 0/9 point(s)\n"),
        "{}",
        t.stdout
    );
    assert!(t.stdout.ends_with("=> \"sv1\"\n"), "{}", t.stdout);
}

#[test]
fn a_file_given_with_an_exercise_runs_after_its_setup() {
    let course = course();
    std::fs::write(
        course.path().join("fix.rhai"),
        format!("{SV1_HOSTS}{THE_REST}"),
    )
    .unwrap();
    let t = repl_in(
        course.path(),
        &["fix.rhai", "--exercise", "network"],
        ":check\n",
    );
    assert_eq!((t.status, t.stderr.as_str()), (0, ""));
    assert!(
        t.stdout.contains("visible checks: 9/9 point(s)\n"),
        "{}",
        t.stdout
    );
}

#[test]
fn an_unknown_exercise_is_refused_with_the_ones_there() {
    let course = course();
    for (name, near) in [
        ("netwrk", "network"),
        ("labs/exercises/netwok", "labs/exercises/network"),
    ] {
        let t = repl_in(course.path(), &["--exercise", name], "");
        assert_eq!(t.status, 64, "{}", t.stderr);
        assert_eq!(
            t.stderr,
            format!(
                "kvmlab repl: `{name}` is not an exercise: there is no such folder in \
                 `labs/exercises/` [kvmlab::console::no_exercise]\n  \
                 help: did you mean `{near}`? the exercises there are network\n"
            )
        );
        assert!(t.stdout.is_empty());
        // The advice, followed, starts the console on the exercise.
        let followed = repl_in(course.path(), &["--exercise", near], "sv1.name\n");
        assert_eq!(followed.status, 0, "{}", followed.stderr);
        assert!(followed.stdout.ends_with("=> \"sv1\"\n"));
    }
    let t = repl_in(course.path(), &["--exercise", "labs/exercises"], "");
    assert_eq!(t.status, 64);
    assert_eq!(
        t.stderr,
        "kvmlab repl: `labs/exercises` is not an exercise: it is a folder of exercises \
         [kvmlab::console::no_exercise]\n  help: give one of its exercises, e.g. \
         `--exercise labs/exercises/network`; the exercises there are network\n"
    );
    let elsewhere = tempfile::tempdir().unwrap();
    let t = repl_in(elsewhere.path(), &["--exercise", "network"], "");
    assert_eq!(t.status, 64);
    assert!(unwrapped(&t.stderr).contains(
        "help: `labs/exercises` does not exist here: start kvmlab in the course's folder, the one holding `labs/exercises/`"
    ), "{}", t.stderr);
}

#[test]
fn a_broken_exercise_is_refused_with_the_grader_s_diagnostics() {
    let course = course();
    let toml = course.path().join("labs/exercises/network/exercise.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, text.replace("points = 10", "points = 12")).unwrap();
    let t = repl_in(course.path(), &["--exercise", "network"], "sv1.name\n");
    assert_eq!(t.status, 2, "{}", t.stderr);
    assert!(t.stdout.is_empty(), "{}", t.stdout);
    let graded = kvmlab()
        .args(["grade", "labs/exercises/network", "x.rhai"])
        .current_dir(course.path())
        .output()
        .unwrap();
    assert_eq!(graded.status.code(), Some(1));
    let graded = String::from_utf8(graded.stderr).unwrap();
    let diagnostics = |stderr: &str| -> String {
        stderr
            .lines()
            .filter(|l| !l.starts_with("kvmlab "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(diagnostics(&t.stderr), diagnostics(&graded));
    assert!(
        t.stderr.contains("kvmlab::grade::points_mismatch"),
        "{}",
        t.stderr
    );
    assert!(unwrapped(&t.stderr)
        .contains("the rubric's items add up to 10 points, but exercise.toml says 12"));
    assert!(t.stderr.ends_with(
        "kvmlab repl: the exercise `labs/exercises/network` is broken: 1 problem(s); the console did not start\n"
    ), "{}", t.stderr);
}

#[test]
fn check_without_an_exercise_says_how_to_start_one() {
    let dir = tempfile::tempdir().unwrap();
    let t: Transcript = repl_in(dir.path(), &[], ":help\n:check\n1 + 1\n");
    assert_eq!(t.status, 1, "a refused command fails the transcript");
    assert!(t.stdout.contains("  :check "), "{}", t.stdout);
    assert!(
        t.stdout.ends_with("=> 2\n"),
        "the session goes on: {}",
        t.stdout
    );
    assert_eq!(
        t.stderr,
        "kvmlab repl: `:check` grades an exercise, and this console was started without one \
         [kvmlab::console::no_exercise_started]\n  help: start the console on an exercise: \
         `kvmlab repl --exercise network` (an exercise of labs/exercises/) or \
         `kvmlab repl --exercise PATH/TO/EXERCISE`\n"
    );
}

#[test]
fn checks_shown_after_the_due_date_are_hidden_in_the_console() {
    let course = course();
    let checks = course.path().join("labs/exercises/network/checks.rhai");
    let text = std::fs::read_to_string(&checks).unwrap();
    let after_due = text.replace(
        "rubric(\"ifcfg-eth1 has no GATEWAY\", #{\n    points: 2,",
        "rubric(\"ifcfg-eth1 has no GATEWAY\", #{\n    points: 2,\n    visibility: \"after_due_date\",",
    );
    assert_ne!(after_due, text);
    std::fs::write(&checks, after_due).unwrap();
    let t = repl_in(course.path(), &["--exercise", "network"], ":check\n");
    assert_eq!((t.status, t.stderr.as_str()), (0, ""));
    let shown: Vec<String> = tables(&t.stdout)[0]
        .iter()
        .map(|r| r.name.clone())
        .collect();
    assert_eq!(shown.len(), 6, "{shown:?}");
    assert!(
        !shown.iter().any(|name| name.contains("GATEWAY")),
        "{shown:?}"
    );
    assert!(t.stdout.contains("visible checks: 0/7 point(s)\n2 more checks are hidden: `kvmlab grade` grades them with the rest\n"), "{}", t.stdout);
}

#[test]
fn the_books_exercise_session_is_what_the_console_prints() {
    let chapter = std::fs::read_to_string(repo_root().join("book/src/console.md")).unwrap();
    let section = chapter.split("## Exercises in the console").nth(1).unwrap();
    let blocks: Vec<&str> = section
        .split("```text\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    let (typed, answer) = (blocks[1], blocks[2]);
    let course = course();
    let t = repl_in(course.path(), &["--exercise", "network"], typed);
    assert_eq!((t.status, t.stderr.as_str()), (0, ""));
    assert_eq!(t.stdout, answer);
    let graded = kvmlab()
        .args(["grade", "labs/exercises/network", "fix.rhai"])
        .current_dir(course.path())
        .output()
        .unwrap();
    let table = String::from_utf8(graded.stdout).unwrap();
    assert!(table.contains("| fix     | 10/10 | +++++ +++ |"), "{table}");
}

#[test]
fn every_shipped_solution_gets_every_visible_point_in_the_console() {
    let exercises = repo_root().join("labs/exercises");
    let mut names: Vec<String> = std::fs::read_dir(&exercises)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 6, "{names:?}");
    for name in names {
        let solution = format!("labs/exercises/{name}/solution.rhai");
        let t = repl_in(repo_root(), &[&solution, "--exercise", &name], ":check\n");
        assert_eq!(t.status, 0, "{name}: {}", t.stderr);
        let table = &tables(&t.stdout)[0];
        assert!(table.iter().all(|r| r.mark == "+"), "{name}: {}", t.stdout);
        let total: f64 = table.iter().map(|r| r.points).sum();
        let line = format!("visible checks: {total}/{total} point(s)\n");
        assert!(t.stdout.contains(&line), "{name}: {}", t.stdout);
    }
}
