//! `migration-integrity`: the report's integrity test, a download that survives a live
//! migration in its middle.

use super::graded::*;
use kvmlab_runtime::grade::CheckStatus::{self, Failed, Partial, Passed, Skipped};
use kvmlab_runtime::grade::GradeStatus;

const DOWNLOADS: &str = "a client downloads the ISO from centos-nz2";
const FINISHED: &str = "the download finished";
const INTACT: &str = "the received file is intact";
const MIDDLE: &str = "centos-nz2 migrated to sv2 in the middle of the download";
const ON_SV2: &str = "centos-nz2 runs on sv2";
const LIVE: &str = "the guest stayed live";

fn full_marks() -> Vec<(&'static str, CheckStatus, f64)> {
    vec![
        (DOWNLOADS, Passed, 1.0),
        (FINISHED, Passed, 1.0),
        (INTACT, Passed, 2.0),
        (MIDDLE, Passed, 3.0),
        (ON_SV2, Passed, 1.0),
        (LIVE, Passed, 2.0),
    ]
}

#[test]
fn the_solution_gets_full_marks_and_the_starter_does_not() {
    let ex = exercise("migration-integrity");
    assert_scored(&own(&ex, "solution.rhai"), 10.0, &full_marks());
    let starter = own(&ex, "starter.rhai");
    assert_scored(
        &starter,
        0.0,
        &[
            (DOWNLOADS, Failed, 0.0),
            (FINISHED, Skipped, 0.0),
            (INTACT, Skipped, 0.0),
            (MIDDLE, Skipped, 0.0),
            (ON_SV2, Failed, 0.0),
            (LIVE, Failed, 0.0),
        ],
    );
    assert!(feedback(&starter, DOWNLOADS).starts_with(
        "no client downloaded /var/ftp/pub/CentOS-5.6-i386-bin-DVD.iso from centos-nz2"
    ));
}

#[test]
fn each_mutant_fails_the_items_it_is_meant_to() {
    let ex = exercise("migration-integrity");
    let expected: &[(&str, f64, &[&str])] = &[
        ("migrate-after-wait", 7.0, &[MIDDLE]),
        ("migrate-first", 7.0, &[MIDDLE]),
        ("modern-defaults", 8.5, &[MIDDLE]),
        ("no-wait", 7.0, &[FINISHED, INTACT]),
        ("offline", 8.0, &[LIVE]),
        ("reserve-for-digest", 8.0, &[INTACT]),
        (
            "small-test-file",
            3.0,
            &[DOWNLOADS, FINISHED, INTACT, MIDDLE],
        ),
        ("timeout-abort", 4.0, &[MIDDLE, ON_SV2, LIVE]),
    ];
    let failing: Vec<(&str, &[&str])> = expected.iter().map(|(m, _, f)| (*m, *f)).collect();
    assert_self_test(&ex, &failing);
    for (mutant, score, _) in expected {
        let grade = own(&ex, &format!("mutants/{mutant}.rhai"));
        assert_eq!(grade.score, *score, "{mutant}: {}", shown(&grade));
    }
}

#[test]
fn the_migration_is_placed_against_the_download() {
    let ex = exercise("migration-integrity");
    let first = own(&ex, "mutants/migrate-first.rhai");
    assert_eq!(
        feedback(&first, MIDDLE),
        "the migration began before the download did: start the download first, let it run a while (`sleep(120)`), then migrate"
    );
    let after = own(&ex, "mutants/migrate-after-wait.rhai");
    assert_eq!(
        feedback(&after, MIDDLE),
        "the migration began after the download had finished: migrate while it is still running (`ftp.done` is false), not after `wait()`"
    );
    let late = corpus(&ex, "partial-modern-defaults.rhai");
    assert_scored(
        &late,
        8.5,
        &[
            (DOWNLOADS, Passed, 1.0),
            (FINISHED, Passed, 1.0),
            (INTACT, Passed, 2.0),
            (MIDDLE, Partial, 1.5),
            (ON_SV2, Passed, 1.0),
            (LIVE, Passed, 2.0),
        ],
    );
    assert!(feedback(&late, MIDDLE)
        .starts_with("the migration began during the download but completed only after it"));
}

#[test]
fn good_submissions_written_differently_get_full_marks() {
    let ex = exercise("migration-integrity");
    for file in [
        "good-solution.rhai",
        "good-auto-converge.rhai",
        "good-trial-run-first.rhai",
    ] {
        assert_scored(&corpus(&ex, file), 10.0, &full_marks());
    }
}

#[test]
fn partial_submissions_lose_what_they_skipped() {
    let ex = exercise("migration-integrity");
    let first = corpus(&ex, "partial-migrate-first.rhai");
    assert_scored(
        &first,
        7.0,
        &[
            (DOWNLOADS, Passed, 1.0),
            (FINISHED, Passed, 1.0),
            (INTACT, Passed, 2.0),
            (MIDDLE, Failed, 0.0),
            (ON_SV2, Passed, 1.0),
            (LIVE, Passed, 2.0),
        ],
    );
    let unfinished = corpus(&ex, "partial-no-wait.rhai");
    assert_scored(
        &unfinished,
        7.0,
        &[
            (DOWNLOADS, Passed, 1.0),
            (FINISHED, Failed, 0.0),
            (INTACT, Skipped, 0.0),
            (MIDDLE, Passed, 3.0),
            (ON_SV2, Passed, 1.0),
            (LIVE, Passed, 2.0),
        ],
    );
    assert!(feedback(&unfinished, FINISHED)
        .starts_with("the script ended with the ISO's download still running"));
}

#[test]
fn wrong_submissions_score_what_they_left() {
    let ex = exercise("migration-integrity");
    assert_scored(
        &corpus(&ex, "wrong-no-download.rhai"),
        3.0,
        &[
            (DOWNLOADS, Failed, 0.0),
            (FINISHED, Skipped, 0.0),
            (INTACT, Skipped, 0.0),
            (MIDDLE, Skipped, 0.0),
            (ON_SV2, Passed, 1.0),
            (LIVE, Passed, 2.0),
        ],
    );
    let bad_path = corpus(&ex, "wrong-bad-path.rhai");
    assert_scored(
        &bad_path,
        0.0,
        &[
            (DOWNLOADS, Failed, 0.0),
            (FINISHED, Skipped, 0.0),
            (INTACT, Skipped, 0.0),
            (MIDDLE, Skipped, 0.0),
            (ON_SV2, Failed, 0.0),
            (LIVE, Failed, 0.0),
        ],
    );
    assert!(
        bad_path
            .diagnostics
            .iter()
            .any(|d| d.contains("kvmlab::host::no_such_file")),
        "{:#?}",
        bad_path.diagnostics
    );
}

#[test]
fn hostile_submissions_get_nothing() {
    let ex = exercise("migration-integrity");
    let bragging = corpus(&ex, "hostile-check-only.rhai");
    assert_eq!(bragging.score, 0.0);
    assert_eq!(
        (bragging.own_checks.passed, bragging.own_checks.failed),
        (2, 0)
    );

    let looping = corpus(&ex, "hostile-loop-after-download.rhai");
    assert_eq!(looping.status, GradeStatus::Stopped);
    assert_eq!(looping.score, 0.0);
    let reason = looping.reason.as_deref().unwrap_or_default();
    assert!(
        reason.starts_with("stopped by the sandbox at line 6: ")
            && reason.ends_with("(kvmlab::sandbox::operations)"),
        "{reason}"
    );
}

#[test]
fn a_submission_cannot_import_the_solution_or_the_checks() {
    let ex = exercise("migration-integrity");
    let grade = corpus(&ex, "hostile-import-solution.rhai");
    assert_eq!(grade.status, GradeStatus::Graded);
    assert_eq!(grade.score, 0.0);
    assert_eq!(grade.diagnostics.len(), 1, "{:#?}", grade.diagnostics);
    assert!(
        grade.diagnostics[0].starts_with("kvmlab::import::forbidden")
            && grade.diagnostics[0].contains("`..` leaves the lab's folder"),
        "{}",
        grade.diagnostics[0]
    );
}
