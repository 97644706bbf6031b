//! `migration-downtime`: centos-nz2 live-migrated to sv2 during the client's download,
//! paused for under 100 ms (half marks under 200 ms).

use super::graded::*;
use kvmlab_runtime::grade::CheckStatus::{self, Failed, Partial, Passed, Skipped};
use kvmlab_runtime::grade::GradeStatus;
use kvmlab_runtime::script::rubric::Visibility;

const ON_SV2: &str = "centos-nz2 runs on sv2";
const COMPLETED: &str = "a migration to sv2 completed";
const UNDER_LOAD: &str = "it completed while the download was running";
const DOWNTIME: &str = "the guest paused for under 100 ms";
const INTACT: &str = "the download arrived intact";

fn full_marks() -> Vec<(&'static str, CheckStatus, f64)> {
    vec![
        (ON_SV2, Passed, 2.0),
        (COMPLETED, Passed, 1.0),
        (UNDER_LOAD, Passed, 2.0),
        (DOWNTIME, Passed, 3.0),
        (INTACT, Passed, 2.0),
    ]
}

#[test]
fn the_solution_gets_full_marks_and_the_starter_does_not() {
    let ex = exercise("migration-downtime");
    assert_scored(&own(&ex, "solution.rhai"), 10.0, &full_marks());
    let starter = own(&ex, "starter.rhai");
    assert_scored(
        &starter,
        0.0,
        &[
            (ON_SV2, Failed, 0.0),
            (COMPLETED, Failed, 0.0),
            (UNDER_LOAD, Skipped, 0.0),
            (DOWNTIME, Skipped, 0.0),
            (INTACT, Failed, 0.0),
        ],
    );
    assert_eq!(
        feedback(&starter, COMPLETED),
        "the script never migrated centos-nz2: call `guest.migrate(sv2, options)` while the download runs"
    );
    assert_eq!(
        feedback(&starter, UNDER_LOAD),
        "skipped: it needs \"a migration to sv2 completed\", which did not pass"
    );
}

#[test]
fn grading_is_deterministic_and_the_hidden_item_says_so() {
    let ex = exercise("migration-downtime");
    let first = own(&ex, "solution.rhai");
    let again = own(&ex, "solution.rhai");
    assert_eq!(
        serde_json::to_string(&first).unwrap(),
        serde_json::to_string(&again).unwrap()
    );
    let hidden: Vec<&str> = first
        .checks
        .iter()
        .filter(|c| c.visibility == Visibility::Hidden)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(hidden, [INTACT]);
}

#[test]
fn each_mutant_fails_the_items_it_is_meant_to() {
    let ex = exercise("migration-downtime");
    let expected: &[(&str, f64, &[&str])] = &[
        ("auto-converge-only", 8.5, &[DOWNTIME]),
        ("downtime-limit-only", 5.0, &[UNDER_LOAD, DOWNTIME]),
        ("no-wait", 8.0, &[INTACT]),
        ("offline", 7.0, &[DOWNTIME]),
        ("plain-migrate", 5.0, &[UNDER_LOAD, DOWNTIME]),
        ("report-profile", 7.0, &[DOWNTIME]),
        (
            "timeout-abort",
            2.0,
            &[ON_SV2, COMPLETED, UNDER_LOAD, DOWNTIME],
        ),
    ];
    let failing: Vec<(&str, &[&str])> = expected.iter().map(|(m, _, f)| (*m, *f)).collect();
    assert_self_test(&ex, &failing);
    for (mutant, score, _) in expected {
        let grade = own(&ex, &format!("mutants/{mutant}.rhai"));
        assert_eq!(grade.score, *score, "{mutant}: {}", shown(&grade));
    }
}

#[test]
fn the_downtime_earns_full_marks_under_the_budget_and_half_under_twice_it() {
    let ex = exercise("migration-downtime");
    let half = corpus(&ex, "partial-auto-converge.rhai");
    assert_scored(
        &half,
        8.5,
        &[
            (ON_SV2, Passed, 2.0),
            (COMPLETED, Passed, 1.0),
            (UNDER_LOAD, Passed, 2.0),
            (DOWNTIME, Partial, 1.5),
            (INTACT, Passed, 2.0),
        ],
    );
    assert_eq!(
        feedback(&half, DOWNTIME),
        "centos-nz2 paused for 136.9 ms: over the 100 ms budget, though under twice it; modern QEMU aims its last round at 300 ms unless told otherwise: set the pause the last round may take with the migration option downtime_limit (in ms)"
    );
    let over = own(&ex, "mutants/report-profile.rhai");
    assert!(
        feedback(&over, DOWNTIME)
            .starts_with("centos-nz2 paused for 602.4 ms, over twice the 100 ms budget"),
        "{}",
        feedback(&over, DOWNTIME)
    );
    let offline = own(&ex, "mutants/offline.rhai");
    assert!(
        feedback(&offline, DOWNTIME).starts_with(
            "centos-nz2 paused for 36.7 s, the whole copy: a migration with live: false"
        ),
        "{}",
        feedback(&offline, DOWNTIME)
    );
}

#[test]
fn good_submissions_written_differently_get_full_marks() {
    let ex = exercise("migration-downtime");
    for file in ["good-solution.rhai", "good-postcopy.rhai"] {
        assert_scored(&corpus(&ex, file), 10.0, &full_marks());
    }
    // A folder whose lab imports its options from a module beside it.
    let folder = corpus(&ex, "good-folder");
    assert_scored(&folder, 10.0, &full_marks());
    assert_eq!(folder.student, "good-folder");
    assert_eq!(folder.output, ["paused 24.2 ms"]);
}

#[test]
fn a_migration_that_waits_for_the_download_to_end_earns_no_downtime_points() {
    let ex = exercise("migration-downtime");
    let late = corpus(&ex, "partial-after-download.rhai");
    assert_scored(
        &late,
        5.0,
        &[
            (ON_SV2, Passed, 2.0),
            (COMPLETED, Passed, 1.0),
            (UNDER_LOAD, Failed, 0.0),
            (DOWNTIME, Skipped, 0.0),
            (INTACT, Passed, 2.0),
        ],
    );
    assert!(feedback(&late, UNDER_LOAD)
        .starts_with("the migration only completed after the download had finished"));
}

#[test]
fn wrong_submissions_score_what_they_left() {
    let ex = exercise("migration-downtime");
    let cancelled = corpus(&ex, "wrong-timeout.rhai");
    assert_scored(
        &cancelled,
        2.0,
        &[
            (ON_SV2, Failed, 0.0),
            (COMPLETED, Failed, 0.0),
            (UNDER_LOAD, Skipped, 0.0),
            (DOWNTIME, Skipped, 0.0),
            (INTACT, Passed, 2.0),
        ],
    );
    assert_eq!(cancelled.own_checks.failed, 1);
    assert!(
        feedback(&cancelled, COMPLETED).starts_with(
            "the migration was cancelled after 120.0 s: a `timeout` cancels a migration"
        ),
        "{}",
        feedback(&cancelled, COMPLETED)
    );

    // A refused migration names its code.
    let mixed_up = corpus(&ex, "wrong-to-sv1.rhai");
    assert_scored(
        &mixed_up,
        0.0,
        &[
            (ON_SV2, Failed, 0.0),
            (COMPLETED, Failed, 0.0),
            (UNDER_LOAD, Skipped, 0.0),
            (DOWNTIME, Skipped, 0.0),
            (INTACT, Failed, 0.0),
        ],
    );
    assert_eq!(
        feedback(&mixed_up, COMPLETED),
        "the migration to sv1 ended refused (kvmlab::migrate::same_host): read the error the script stopped on, fix its cause and migrate again"
    );

    // An unknown option stops the script before the migration: graded on the world it left.
    let misnamed = corpus(&ex, "wrong-option-name.rhai");
    assert_scored(
        &misnamed,
        0.0,
        &[
            (ON_SV2, Failed, 0.0),
            (COMPLETED, Failed, 0.0),
            (UNDER_LOAD, Skipped, 0.0),
            (DOWNTIME, Skipped, 0.0),
            (INTACT, Failed, 0.0),
        ],
    );
    assert_eq!(misnamed.diagnostics.len(), 1, "{:#?}", misnamed.diagnostics);
    assert!(
        misnamed.diagnostics[0].contains("kvmlab::spec::unknown_key"),
        "{}",
        misnamed.diagnostics[0]
    );
}

/// A stopped submission scores 0 on every item, and its reason names the limit and line.
fn assert_stopped(file: &str, reason: &str) {
    let ex = exercise("migration-downtime");
    let grade = corpus(&ex, file);
    assert_eq!(
        grade.status,
        GradeStatus::Stopped,
        "{file}: {:#?}",
        grade.checks
    );
    assert_eq!(grade.score, 0.0, "{file}");
    assert_eq!(grade.reason.as_deref(), Some(reason), "{file}");
    assert!(grade.checks.iter().all(|c| c.score == 0.0), "{file}");
}

#[test]
fn hostile_submissions_are_stopped_by_their_limit() {
    let budget = "operation budget exceeded (5000000 operations): an endless loop? (kvmlab::sandbox::operations)";
    assert_stopped(
        "hostile-loop.rhai",
        &format!("stopped by the sandbox at line 3: {budget}"),
    );
    assert_stopped(
        "hostile-recursion.rhai",
        "stopped by the sandbox at line 4: call depth limit exceeded (48 nested calls): runaway recursion? (kvmlab::sandbox::call_depth)",
    );
    assert_stopped(
        "hostile-huge-string.rhai",
        "stopped by the sandbox at line 3: Length of string too large: the limit is 1048576 (kvmlab::sandbox::data_size)",
    );
    assert_stopped(
        "hostile-huge-array.rhai",
        "stopped by the sandbox at line 3: Size of array/BLOB too large: the limit is 100000 (kvmlab::sandbox::data_size)",
    );
    // The right migration, then an endless loop: stopped, so nothing counts.
    assert_stopped(
        "hostile-migrate-then-loop.rhai",
        &format!("stopped by the sandbox at line 3: {budget}"),
    );
}

#[test]
fn hostile_submissions_that_do_nothing_score_nothing() {
    let ex = exercise("migration-downtime");
    let nothing = [
        (ON_SV2, Failed, 0.0),
        (COMPLETED, Failed, 0.0),
        (UNDER_LOAD, Skipped, 0.0),
        (DOWNTIME, Skipped, 0.0),
        (INTACT, Failed, 0.0),
    ];
    let bragging = corpus(&ex, "hostile-check-only.rhai");
    assert_scored(&bragging, 0.0, &nothing);
    assert_eq!(
        (bragging.own_checks.passed, bragging.own_checks.failed),
        (1, 0)
    );
    assert_scored(&corpus(&ex, "hostile-empty.rhai"), 0.0, &nothing);

    // Its own `migrate` and `check` change nothing in the lab: the rubric reads the world.
    let pretender = corpus(&ex, "hostile-redefine-stdlib.rhai");
    assert_scored(&pretender, 0.0, &nothing);
    assert_eq!(pretender.own_checks.passed, 1);

    let eval = corpus(&ex, "hostile-eval.rhai");
    assert_scored(&eval, 0.0, &nothing);
    assert!(
        eval.diagnostics
            .iter()
            .any(|d| d.contains("kvmlab::script::eval_disabled")),
        "{:#?}",
        eval.diagnostics
    );
}

#[test]
fn megabytes_of_output_are_cut_and_the_work_still_graded() {
    let ex = exercise("migration-downtime");
    let loud = corpus(&ex, "hostile-print-megabytes.rhai");
    assert_scored(&loud, 10.0, &full_marks());
    // 20,000 lines of 200 bytes (4 MB): the first 32 KiB kept, the rest counted.
    assert_eq!((loud.output.len(), loud.output_cut), (163, 19_837));
    assert!(loud.output.iter().all(|l| l.starts_with("0123456789#")));
}
