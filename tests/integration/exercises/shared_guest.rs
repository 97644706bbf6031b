//! `labs/exercises/shared-guest`: the libvirt pool on the NAS's file system on both hosts and
//! centos-nz2 installed on it.

use super::graded::{
    assert_grade, assert_self_test, corpus, exercise, feedback, grade_text, own, text_of,
};
use kvmlab_runtime::grade::CheckStatus::{Failed, Partial, Passed, Skipped};
use kvmlab_runtime::grade::{Exercise, GradeStatus};

const POOL_SV1: &str = "sv1 has a pool on the shared storage";
const POOL_SV2: &str = "sv2 has a pool on the shared storage";
const AUTOSTART: &str = "the shared pools start at boot";
const DEFINED: &str = "the guest centos-nz2 is defined";
const DISK_SHARED: &str = "its disk is on the shared storage";
const VISIBLE: &str = "sv2 sees the guest's disk";
const RUNS: &str = "the guest runs";
const SIZED: &str = "the guest is sized as in §2.5";

fn shared_guest() -> Exercise {
    exercise("shared-guest")
}

#[test]
fn the_solution_scores_full_marks_the_starter_does_not_and_each_mutant_fails_its_items() {
    let ex = shared_guest();
    assert_self_test(
        &ex,
        &[
            ("local-pool", &[POOL_SV1, AUTOSTART, DISK_SHARED, VISIBLE]),
            ("not-installed", &[RUNS]),
            ("oversized-guest", &[SIZED]),
            ("pool-no-autostart", &[AUTOSTART]),
            ("pool-on-sv1-only", &[POOL_SV2, AUTOSTART]),
            (
                "wrong-guest-name",
                &[DEFINED, DISK_SHARED, VISIBLE, RUNS, SIZED],
            ),
        ],
    );
}

#[test]
fn the_starter_scores_nothing() {
    let grade = own(&shared_guest(), "starter.rhai");
    assert_grade(
        &grade,
        0.0,
        GradeStatus::Graded,
        &[
            Failed, Failed, Failed, Failed, Skipped, Skipped, Skipped, Skipped,
        ],
    );
    assert_eq!(
        feedback(&grade, DISK_SHARED),
        "skipped: it needs \"the guest centos-nz2 is defined\", which did not pass"
    );
}

#[test]
fn submissions_written_differently_also_score_full_marks() {
    let ex = shared_guest();
    for name in [
        "good-solution.rhai",
        "good-volume-by-name.rhai",
        "good-folder",
    ] {
        let grade = corpus(&ex, name);
        assert_grade(&grade, 10.0, GradeStatus::Graded, &[Passed; 8]);
        assert!(
            grade.diagnostics.is_empty(),
            "{name}: {:?}",
            grade.diagnostics
        );
        assert_eq!(grade.own_checks.failed, 0, "{name}");
    }
}

#[test]
fn a_guest_never_installed_is_told_to_start_not_to_reinstall_an_installed_one() {
    let grade = own(&shared_guest(), "mutants/not-installed.rhai");
    assert_eq!(
        feedback(&grade, RUNS),
        "centos-nz2 is not running: start it (`g.start()`); only a guest that was never installed \
         needs `g.install()` first, which installs onto its disk and so overwrites it"
    );
}

#[test]
fn a_disk_on_the_local_pool_loses_the_sharing_items() {
    let grade = corpus(&shared_guest(), "partial-local-disk.rhai");
    assert_grade(
        &grade,
        7.0,
        GradeStatus::Graded,
        &[
            Passed, Passed, Passed, Passed, Failed, Failed, Passed, Passed,
        ],
    );
    assert_eq!(
        feedback(&grade, VISIBLE),
        "sv2 does not see centos-nz2's disk at the same path: its image must be on /iscsi1, which \
         both hosts mount, so that the guest can migrate"
    );
}

#[test]
fn a_guest_defined_but_not_installed_with_too_much_memory_gets_part_of_the_size() {
    let grade = corpus(&shared_guest(), "partial-not-started.rhai");
    assert_grade(
        &grade,
        6.83,
        GradeStatus::Graded,
        &[
            Passed, Failed, Partial, Passed, Passed, Passed, Failed, Partial,
        ],
    );
    assert_eq!(
        feedback(&grade, SIZED),
        "centos-nz2 has memory 1024 MiB instead of 512 MiB: §2.5 gives it `memory: \"512M\"`, \
         `vcpus: 1` and a volume of `capacity: \"20G\"`"
    );
    assert_eq!(
        feedback(&grade, AUTOSTART),
        "the /iscsi1 pool of sv2 is missing or not autostart, so libvirt would not start it after \
         a reboot: give its `define_pool` spec `autostart: true` (on a real host, `virsh \
         pool-autostart iscsi1`)"
    );
}

#[test]
fn scripts_that_stop_before_defining_anything_score_nothing() {
    let ex = shared_guest();
    for (name, code) in [
        ("wrong-no-pool.rhai", "kvmlab::spec::bad_value"),
        (
            "wrong-pool-on-missing-folder.rhai",
            "kvmlab::storage::pool_target_missing",
        ),
    ] {
        let grade = corpus(&ex, name);
        assert_grade(
            &grade,
            0.0,
            GradeStatus::Graded,
            &[
                Failed, Failed, Failed, Failed, Skipped, Skipped, Skipped, Skipped,
            ],
        );
        assert!(
            grade.diagnostics.iter().any(|d| d.contains(code)),
            "{name}: {:?}",
            grade.diagnostics
        );
    }
}

#[test]
fn an_endless_loop_is_stopped_and_scores_zero() {
    let grade = corpus(&shared_guest(), "hostile-loop.rhai");
    assert_eq!(grade.status, GradeStatus::Stopped, "{grade:?}");
    assert_eq!(grade.score, 0.0);
    assert!(grade.checks.iter().all(|c| c.score == 0.0));
    let reason = grade.reason.as_deref().unwrap();
    assert!(reason.contains("kvmlab::sandbox::operations"), "{reason}");
}

#[test]
fn the_autostart_feedback_applied_gives_full_marks() {
    let ex = shared_guest();
    let manual = own(&ex, "mutants/pool-no-autostart.rhai");
    assert_eq!(
        feedback(&manual, AUTOSTART),
        "the /iscsi1 pool of sv1, sv2 is missing or not autostart, so libvirt would not start it \
         after a reboot: give its `define_pool` spec `autostart: true` (on a real host, `virsh \
         pool-autostart iscsi1`)"
    );
    // The advice applied: the trainee's define_pool calls say `autostart: true`.
    let text = text_of(&ex, "mutants/pool-no-autostart.rhai")
        .replace("autostart: false", "autostart: true");
    let fixed = grade_text(&ex, "autostart-fixed", &text);
    assert_grade(&fixed, 10.0, GradeStatus::Graded, &[Passed; 8]);
}
