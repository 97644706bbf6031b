//! `labs/exercises/iscsi-storage`: a target, both hosts logged in, and a mount on sv1 that
//! survives a reboot.

use super::graded::{
    assert_grade, assert_self_test, corpus, exercise, feedback, grade_text, own, text_of,
};
use kvmlab_runtime::grade::CheckStatus::{Failed, Partial, Passed, Skipped};
use kvmlab_runtime::grade::{Exercise, GradeStatus};

const TARGET: &str = "the NAS exports an iSCSI target";
const LOGGED_IN: &str = "both hosts are logged in to the target";
const MOUNTED: &str = "the LUN's file system is mounted on /iscsi1 on sv1";
const FSTAB: &str = "/etc/fstab mounts /iscsi1 after the network";
const INITIATOR: &str = "sv1's initiator is set up for the boot";
const AUTOMATIC: &str = "sv1 logs in to the target at boot";
const INSTALLER_LINES: &str = "/etc/fstab keeps the installer's lines";
const REBOOTED: &str = "sv1 was rebooted";
const CAME_BACK: &str = "the mount came back after the reboot";

fn iscsi_storage() -> Exercise {
    exercise("iscsi-storage")
}

#[test]
fn the_solution_scores_full_marks_the_starter_does_not_and_each_mutant_fails_its_items() {
    let ex = iscsi_storage();
    assert_self_test(
        &ex,
        &[
            ("fstab-overwritten", &[INSTALLER_LINES]),
            (
                "iscsi-off-at-boot",
                &[LOGGED_IN, MOUNTED, INITIATOR, CAME_BACK],
            ),
            (
                "manual-startup",
                &[LOGGED_IN, MOUNTED, AUTOMATIC, CAME_BACK],
            ),
            (
                "no-login",
                &[
                    LOGGED_IN,
                    MOUNTED,
                    FSTAB,
                    INSTALLER_LINES,
                    REBOOTED,
                    CAME_BACK,
                ],
            ),
            ("no-netdev", &[MOUNTED, FSTAB, INSTALLER_LINES, CAME_BACK]),
            ("no-reboot", &[REBOOTED, CAME_BACK]),
            ("sv2-not-logged-in", &[LOGGED_IN]),
            (
                "target-too-large",
                &[
                    TARGET,
                    LOGGED_IN,
                    MOUNTED,
                    FSTAB,
                    INITIATOR,
                    AUTOMATIC,
                    INSTALLER_LINES,
                    REBOOTED,
                    CAME_BACK,
                ],
            ),
            (
                "whole-disk-in-fstab",
                &[MOUNTED, FSTAB, INSTALLER_LINES, CAME_BACK],
            ),
        ],
    );
}

#[test]
fn the_starter_scores_nothing() {
    let grade = own(&iscsi_storage(), "starter.rhai");
    assert_grade(
        &grade,
        0.0,
        GradeStatus::Graded,
        &[
            Failed, Skipped, Failed, Failed, Skipped, Skipped, Skipped, Failed, Skipped,
        ],
    );
    assert_eq!(
        feedback(&grade, REBOOTED),
        "sv1 was never rebooted, so nothing shows the mount survives a boot: end your script with \
         `sv1.reboot()` and a check that /iscsi1 is the LUN again"
    );
}

#[test]
fn submissions_written_differently_also_score_full_marks() {
    let ex = iscsi_storage();
    for name in [
        "good-solution.rhai",
        "good-uuid-and-report-iqn.rhai",
        "good-folder",
    ] {
        let grade = corpus(&ex, name);
        assert_grade(&grade, 11.0, GradeStatus::Graded, &[Passed; 9]);
        assert_eq!(grade.own_checks.failed, 0, "{name}");
    }
    // The report's Openfiler IQN works; kvmlab only warns about it.
    let report_iqn = corpus(&ex, "good-uuid-and-report-iqn.rhai");
    assert!(
        report_iqn
            .diagnostics
            .iter()
            .any(|d| d.contains("kvmlab::storage::iqn_vendor_mismatch")),
        "{:?}",
        report_iqn.diagnostics
    );
}

#[test]
fn without_the_fstab_line_and_the_reboot_only_the_live_state_scores() {
    let grade = corpus(&iscsi_storage(), "partial-no-fstab-no-reboot.rhai");
    assert_grade(
        &grade,
        6.0,
        GradeStatus::Graded,
        &[
            Passed, Passed, Passed, Failed, Passed, Passed, Skipped, Failed, Skipped,
        ],
    );
    assert_eq!(
        feedback(&grade, FSTAB),
        "sv1's /etc/fstab has no line for /iscsi1: append `DEVICE /iscsi1 ext3 _netdev 0 0`, DEVICE \
         being the LUN's partition (or its UUID=)"
    );
    assert_eq!(
        feedback(&grade, CAME_BACK),
        "skipped: it needs \"sv1 was rebooted\", which did not pass"
    );
}

#[test]
fn the_reports_sda1_fstab_line_gets_half_the_fstab_points_and_loses_the_mount() {
    let grade = corpus(&iscsi_storage(), "partial-report-fstab-line.rhai");
    assert_grade(
        &grade,
        7.0,
        GradeStatus::Graded,
        &[
            Passed, Passed, Failed, Partial, Passed, Passed, Skipped, Passed, Failed,
        ],
    );
    assert_eq!(
        feedback(&grade, FSTAB),
        "the /iscsi1 line of /etc/fstab is not right: it names /dev/sda1, which is not a partition \
         of the LUN (sv1's own disk is /dev/sda; the LUN's first partition is /dev/sdb1 here): name \
         the partition you made the file system on, or its UUID="
    );
    assert!(
        grade
            .diagnostics
            .iter()
            .any(|d| d.contains("kvmlab::storage::system_disk")),
        "{:?}",
        grade.diagnostics
    );
}

#[test]
fn an_msdos_label_stops_the_script_after_the_logins() {
    let grade = corpus(&iscsi_storage(), "wrong-msdos-label.rhai");
    assert_grade(
        &grade,
        4.0,
        GradeStatus::Graded,
        &[
            Passed, Partial, Failed, Failed, Passed, Passed, Skipped, Failed, Skipped,
        ],
    );
    assert!(
        feedback(&grade, LOGGED_IN).starts_with(
            "sv2 is not logged in to iqn.2012-03.com.thecus:n7700pro.iscsi1: discover 10.10.1.10"
        ),
        "{}",
        feedback(&grade, LOGGED_IN)
    );
    assert!(
        grade
            .diagnostics
            .iter()
            .any(|d| d.contains("kvmlab::storage::msdos_2tib_limit")),
        "{:?}",
        grade.diagnostics
    );
}

#[test]
fn discovering_a_nas_without_a_target_scores_nothing() {
    let grade = corpus(&iscsi_storage(), "wrong-no-target.rhai");
    assert_grade(
        &grade,
        0.0,
        GradeStatus::Graded,
        &[
            Failed, Skipped, Failed, Failed, Skipped, Skipped, Skipped, Failed, Skipped,
        ],
    );
    assert!(feedback(&grade, TARGET).contains("nas.iscsi_target(NAME, \"50%\")"));
    assert_eq!((grade.own_checks.passed, grade.own_checks.failed), (1, 0));
}

#[test]
fn claiming_success_scores_zero() {
    let grade = corpus(&iscsi_storage(), "hostile-self-check.rhai");
    assert_grade(
        &grade,
        0.0,
        GradeStatus::Graded,
        &[
            Failed, Skipped, Failed, Failed, Skipped, Skipped, Skipped, Failed, Skipped,
        ],
    );
    assert_eq!((grade.own_checks.passed, grade.own_checks.failed), (2, 0));
}

#[test]
fn the_mutants_feedback_names_the_boot_problem() {
    let ex = iscsi_storage();
    let no_netdev = own(&ex, "mutants/no-netdev.rhai");
    assert_eq!(
        feedback(&no_netdev, FSTAB),
        "the /iscsi1 line of /etc/fstab is not right: its options `defaults` lack _netdev, so \
         rc.sysinit tries to mount it before the network and iSCSI are up: add _netdev to them"
    );
    // The mount is gone after the boot, but the file system is still on the LUN: the
    // feedback says to mount it, never to make it again.
    assert_eq!(
        feedback(&no_netdev, MOUNTED),
        "/iscsi1 on sv1 is not a file system on the iSCSI LUN: mount the LUN's partition there \
         (`sv1.mount(\"/dev/sdb1\", \"/iscsi1\", \"ext3\")`); only a new, empty LUN needs a \
         partition and mkfs first, and never the system disk /dev/sda; if it was mounted before a \
         reboot, the reboot's warnings say why it did not come back"
    );
    let off = own(&ex, "mutants/iscsi-off-at-boot.rhai");
    assert!(
        feedback(&off, INITIATOR).starts_with("on sv1, iscsi does not start at boot"),
        "{}",
        feedback(&off, INITIATOR)
    );
    let manual = own(&ex, "mutants/manual-startup.rhai");
    assert!(
        feedback(&manual, AUTOMATIC).contains("node.startup = manual"),
        "{}",
        feedback(&manual, AUTOMATIC)
    );
}

#[test]
fn the_mount_and_fstab_feedback_applied_gives_full_marks() {
    let ex = iscsi_storage();
    // What the feedback of the mutant without _netdev says: mount the LUN's partition (no
    // mkfs: its file system is there), add _netdev to the line's options; then the reboot.
    let advice = r#"
sv1.mount("/dev/sdb1", "/iscsi1", "ext3");
let fstab = sv1.read_file("/etc/fstab");
fstab.replace("/dev/sdb1 /iscsi1 ext3 defaults 0 0", "/dev/sdb1 /iscsi1 ext3 _netdev 0 0");
sv1.write_file("/etc/fstab", fstab);
sv1.reboot();
check_eq(sv1.df("/iscsi1")[0].filesystem, "/dev/sdb1", "the LUN is back after the boot");
"#;
    let text = text_of(&ex, "mutants/no-netdev.rhai") + advice;
    let fixed = grade_text(&ex, "no-netdev-fixed", &text);
    assert_grade(&fixed, 11.0, GradeStatus::Graded, &[Passed; 9]);
    assert_eq!(
        fixed.own_checks.failed, 1,
        "only the mutant's own check, before the fix, failed"
    );
}
