//! `fix-migration`: a refused migration diagnosed and fixed: sv1's reversed /etc/hosts lines
//! and a guest disk on sv1's local storage.

use super::graded::*;
use kvmlab_runtime::grade::CheckStatus::{self, Failed, Partial, Passed, Skipped};
use kvmlab_runtime::script::rubric::Visibility;

const RESOLVES: &str = "sv2 resolves on sv1";
const NAMES: &str = "the report's other names resolve on sv1";
const COMPLETED: &str = "a migration of centos-nz2 to sv2 completed";
const ON_SV2: &str = "centos-nz2 runs on sv2";
const DISK: &str = "its disk went along to sv2";
const RAN: &str = "the script ran to its end";

fn full_marks() -> Vec<(&'static str, CheckStatus, f64)> {
    vec![
        (RESOLVES, Passed, 2.0),
        (NAMES, Passed, 1.0),
        (COMPLETED, Passed, 2.0),
        (ON_SV2, Passed, 2.0),
        (DISK, Passed, 2.0),
        (RAN, Passed, 1.0),
    ]
}

fn nothing_fixed() -> Vec<(&'static str, CheckStatus, f64)> {
    vec![
        (RESOLVES, Failed, 0.0),
        (NAMES, Failed, 0.0),
        (COMPLETED, Failed, 0.0),
        (ON_SV2, Failed, 0.0),
        (DISK, Skipped, 0.0),
        (RAN, Failed, 0.0),
    ]
}

#[test]
fn the_solution_gets_full_marks_and_the_starter_does_not() {
    let ex = exercise("fix-migration");
    assert_scored(&own(&ex, "solution.rhai"), 10.0, &full_marks());
    let starter = own(&ex, "starter.rhai");
    assert_scored(&starter, 0.0, &nothing_fixed());
    assert!(
        feedback(&starter, RAN).starts_with("the script stopped at line 6 on kvmlab::migrate::unreachable: sv1 cannot reach the destination `sv2`"),
        "{}",
        feedback(&starter, RAN)
    );
    assert!(
        starter
            .diagnostics
            .iter()
            .any(|d| d.contains("kvmlab::migrate::unreachable")),
        "{:#?}",
        starter.diagnostics
    );
}

#[test]
fn each_mutant_fails_the_items_it_is_meant_to() {
    let ex = exercise("fix-migration");
    let expected: &[(&str, f64, &[&str])] = &[
        (
            "hosts-on-sv2",
            0.0,
            &[RESOLVES, NAMES, COMPLETED, ON_SV2, DISK, RAN],
        ),
        ("net2-address", 9.0, &[RESOLVES]),
        ("no-target-pool", 3.0, &[COMPLETED, ON_SV2, DISK, RAN]),
        ("only-sv2-line", 9.0, &[NAMES]),
        (
            "reversed-again",
            0.0,
            &[RESOLVES, NAMES, COMPLETED, ON_SV2, DISK, RAN],
        ),
        ("unsafe", 8.0, &[DISK]),
    ];
    let failing: Vec<(&str, &[&str])> = expected.iter().map(|(m, _, f)| (*m, *f)).collect();
    assert_self_test(&ex, &failing);
    for (mutant, score, _) in expected {
        let grade = own(&ex, &format!("mutants/{mutant}.rhai"));
        assert_eq!(grade.score, *score, "{mutant}: {}", shown(&grade));
    }
}

#[test]
fn good_submissions_written_differently_get_full_marks() {
    let ex = exercise("fix-migration");
    for file in ["good-solution.rhai", "good-rewrite.rhai"] {
        assert_scored(&corpus(&ex, file), 10.0, &full_marks());
    }
}

#[test]
fn partial_fixes_say_what_is_left() {
    let ex = exercise("fix-migration");
    let forced = corpus(&ex, "partial-unsafe.rhai");
    assert_scored(
        &forced,
        8.0,
        &[
            (RESOLVES, Passed, 2.0),
            (NAMES, Passed, 1.0),
            (COMPLETED, Passed, 2.0),
            (ON_SV2, Passed, 2.0),
            (DISK, Failed, 0.0),
            (RAN, Passed, 1.0),
        ],
    );
    assert!(feedback(&forced, DISK)
        .contains("`unsafe: true` skips libvirt's storage check, it does not move the disk"));

    let net2 = corpus(&ex, "partial-net2-address.rhai");
    assert_scored(
        &net2,
        9.0,
        &[
            (RESOLVES, Partial, 1.0),
            (NAMES, Passed, 1.0),
            (COMPLETED, Passed, 2.0),
            (ON_SV2, Passed, 2.0),
            (DISK, Passed, 2.0),
            (RAN, Passed, 1.0),
        ],
    );
    assert!(feedback(&net2, RESOLVES)
        .starts_with("sv2 resolves on sv1 to 10.10.1.12, its NET2 address"));

    let one_line = corpus(&ex, "partial-only-sv2-line.rhai");
    assert_scored(
        &one_line,
        9.0,
        &[
            (RESOLVES, Passed, 2.0),
            (NAMES, Failed, 0.0),
            (COMPLETED, Passed, 2.0),
            (ON_SV2, Passed, 2.0),
            (DISK, Passed, 2.0),
            (RAN, Passed, 1.0),
        ],
    );
    assert_eq!(
        feedback(&one_line, NAMES),
        "on sv1 these names do not resolve to the report's addresses: iscsi1 (10.10.1.10), sv1 (192.168.1.11), sv10 (10.10.1.11), sv20 (10.10.1.12); the report's lines in sv1's /etc/hosts are still name first, which glibc ignores: write each one address first (`10.10.1.10 iscsi1`)"
    );
}

#[test]
fn wrong_fixes_score_what_they_left() {
    let ex = exercise("fix-migration");
    assert_scored(
        &corpus(&ex, "wrong-hosts-on-sv2.rhai"),
        0.0,
        &nothing_fixed(),
    );
    let no_pool = corpus(&ex, "wrong-no-pool.rhai");
    assert_scored(
        &no_pool,
        2.0,
        &[
            (RESOLVES, Passed, 2.0),
            (NAMES, Failed, 0.0),
            (COMPLETED, Failed, 0.0),
            (ON_SV2, Failed, 0.0),
            (DISK, Skipped, 0.0),
            (RAN, Failed, 0.0),
        ],
    );
    assert!(
        feedback(&no_pool, RAN)
            .starts_with("the script stopped at line 2 on kvmlab::migrate::no_target_pool: "),
        "{}",
        feedback(&no_pool, RAN)
    );
}

#[test]
fn hostile_submissions_cannot_bend_the_rubric() {
    let ex = exercise("fix-migration");
    let bragging = corpus(&ex, "hostile-check-only.rhai");
    assert_scored(&bragging, 0.0, &nothing_fixed());
    assert_eq!(bragging.own_checks.passed, 1);
    assert_eq!(
        feedback(&bragging, RAN),
        "the script never migrated centos-nz2: run the migration to see why it is refused, then fix the lab"
    );
    // Functions named like the rubric's helpers and API stay the submission's own.
    assert_scored(
        &corpus(&ex, "hostile-shadow-helpers.rhai"),
        0.0,
        &nothing_fixed(),
    );
}

#[test]
fn the_graders_functions_are_not_a_submissions() {
    let ex = exercise("fix-migration");
    let grade = corpus(&ex, "hostile-grader-functions.rhai");
    assert_scored(&grade, 0.0, &nothing_fixed());
    assert_eq!(grade.checks.len(), 6, "no item was added");
    assert!(
        grade.diagnostics[0].starts_with("kvmlab::script::unknown_function")
            && grade.diagnostics[0].contains("unknown function `rubric (String, map, Fn)`"),
        "{}",
        grade.diagnostics[0]
    );
}

/// The items that name a cause wait for the due date: the task gives the symptom only.
#[test]
fn the_causes_are_shown_after_the_due_date() {
    let ex = exercise("fix-migration");
    let grade = own(&ex, "solution.rhai");
    let shown: Vec<(&str, Visibility)> = grade
        .checks
        .iter()
        .map(|c| (c.name.as_str(), c.visibility))
        .collect();
    assert_eq!(
        shown,
        [
            (RESOLVES, Visibility::AfterDueDate),
            (NAMES, Visibility::Hidden),
            (COMPLETED, Visibility::Visible),
            (ON_SV2, Visibility::Visible),
            (DISK, Visibility::AfterDueDate),
            (RAN, Visibility::Visible),
        ]
    );
    let readme = std::fs::read_to_string(
        crate::harness::repo_root().join("labs/exercises/fix-migration/README.md"),
    )
    .unwrap();
    for cause in [
        "/etc/hosts",
        "resolve",
        "local",
        "copy_storage",
        "pool",
        "storage",
    ] {
        assert!(!readme.contains(cause), "the README gives away {cause:?}");
    }
}

/// The feedback on a forced migration names the commands that fix it; applied, they earn
/// full marks.
#[test]
fn the_advice_on_a_forced_migration_fixes_it() {
    let ex = exercise("fix-migration");
    let forced = corpus(&ex, "partial-unsafe.rhai");
    let advice = feedback(&forced, DISK);
    let pool = "sv2.define_pool(#{name: \"guest\", type: \"dir\", target: \"/guest\"})";
    assert!(advice.contains(&format!("`{pool}`")), "{advice}");
    assert!(advice.contains("`copy_storage: true`"), "{advice}");

    let applied = std::fs::read_to_string(
        crate::harness::repo_root()
            .join("tests/exercises/fix-migration/advice-applied-unsafe.rhai"),
    )
    .unwrap();
    assert!(applied.contains(pool) && applied.contains("copy_storage: true"));
    assert_scored(
        &corpus(&ex, "advice-applied-unsafe.rhai"),
        10.0,
        &full_marks(),
    );
}
