//! `labs/exercises/network`: the report's /etc/hosts and GATEWAY errata to repair.

use super::graded::{
    assert_grade, assert_self_test, corpus, exercise, feedback, grade_text, own, text_of,
};
use kvmlab_runtime::grade::CheckStatus::{Failed, Partial, Passed, Skipped};
use kvmlab_runtime::grade::{Exercise, GradeStatus};

const SV2_ON_SV1: &str = "sv2 resolves on sv1";
const SV1_ON_SV2: &str = "sv1 resolves on sv2";
const EVERY_NAME: &str = "every name of the report resolves on both hosts";
const LOCALHOST: &str = "localhost still resolves";
const NO_REVERSED: &str = "no reversed lines are left in /etc/hosts";
const NO_GATEWAY: &str = "ifcfg-eth1 has no GATEWAY";
const DEFAULT_ROUTE: &str = "the default route goes via the NET1 gateway";
const REACH: &str = "the hosts reach each other by name on both networks";

fn network() -> Exercise {
    exercise("network")
}

#[test]
fn the_solution_scores_full_marks_the_starter_does_not_and_each_mutant_fails_its_items() {
    let ex = network();
    assert_self_test(
        &ex,
        &[
            ("gateway-kept", &[NO_GATEWAY]),
            ("gateway-removed-everywhere", &[DEFAULT_ROUTE]),
            ("hosts-appended", &[NO_REVERSED]),
            (
                "hosts-on-sv1-only",
                &[SV1_ON_SV2, EVERY_NAME, NO_REVERSED, REACH],
            ),
            (
                "hosts-on-sv2-only",
                &[SV2_ON_SV1, EVERY_NAME, LOCALHOST, NO_REVERSED, REACH],
            ),
            (
                "hosts-untouched",
                &[
                    SV2_ON_SV1,
                    SV1_ON_SV2,
                    EVERY_NAME,
                    LOCALHOST,
                    NO_REVERSED,
                    REACH,
                ],
            ),
            ("hosts-without-localhost", &[LOCALHOST]),
            ("no-restart", &[DEFAULT_ROUTE, REACH]),
        ],
    );
}

#[test]
fn the_starter_scores_nothing_and_says_what_each_erratum_is() {
    let grade = own(&network(), "starter.rhai");
    assert_grade(
        &grade,
        0.0,
        GradeStatus::Graded,
        &[
            Failed, Failed, Failed, Skipped, Failed, Failed, Failed, Skipped,
        ],
    );
    assert_eq!(
        feedback(&grade, EVERY_NAME),
        "10 of the 10 do not resolve to the report's address: iscsi1, sv1, sv10, sv2, sv20 on sv1; \
         iscsi1, sv1, sv10, sv2, sv20 on sv2; each host's /etc/hosts needs the five lines of §2.2, address first"
    );
    assert_eq!(
        feedback(&grade, NO_REVERSED),
        "/etc/hosts still holds lines that do not start with an address, which glibc skips: \
         sv1 has 5, the first `iscsi1 10.10.1.10`; sv2 has 5, the first `iscsi1 10.10.1.10`; \
         write each as `ADDRESS NAME` instead of adding corrected lines below them"
    );
    assert_eq!(
        feedback(&grade, LOCALHOST),
        "skipped: it needs \"sv2 resolves on sv1\", which did not pass"
    );
    assert!(
        feedback(&grade, NO_GATEWAY)
            .contains("ifcfg-eth1 on sv1, sv2 is missing or still sets GATEWAY"),
        "{}",
        feedback(&grade, NO_GATEWAY)
    );
}

#[test]
fn submissions_written_differently_also_score_full_marks() {
    let ex = network();
    for name in [
        "good-solution.rhai",
        "good-edits-in-place.rhai",
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
fn hosts_repaired_without_the_network_scores_the_name_items_only() {
    let grade = corpus(&network(), "partial-hosts-only.rhai");
    assert_grade(
        &grade,
        6.0,
        GradeStatus::Graded,
        &[
            Passed, Passed, Passed, Passed, Passed, Failed, Failed, Failed,
        ],
    );
    assert_eq!(
        feedback(&grade, REACH),
        "no answer from sv1 to sv2 (NET1), sv1 to sv20 (NET2), sv2 to sv1 (NET1), sv2 to sv10 \
         (NET2): restart the network on both hosts (`service network restart`) so that br0 and \
         eth1 get their addresses"
    );
}

#[test]
fn work_on_sv1_alone_earns_half_of_the_per_host_items() {
    let grade = corpus(&network(), "partial-sv1-only.rhai");
    assert_grade(
        &grade,
        4.0,
        GradeStatus::Graded,
        &[
            Passed, Failed, Partial, Passed, Failed, Partial, Failed, Failed,
        ],
    );
    assert_eq!(
        feedback(&grade, DEFAULT_ROUTE),
        "sv2 has no default route via 192.168.1.1: keep GATEWAY=192.168.1.1 in ifcfg-br0 and run \
         `service network restart` on it"
    );
    let every = grade.checks.iter().find(|c| c.name == EVERY_NAME).unwrap();
    assert_eq!((every.score, every.points), (1.0, 2.0));
    assert_eq!(
        feedback(&grade, NO_GATEWAY),
        "ifcfg-eth1 on sv2 is missing or still sets GATEWAY: keep its DEVICE, ONBOOT, BOOTPROTO, \
         IPADDR and NETMASK and remove the GATEWAY line (br0's GATEWAY is the default route)"
    );
}

#[test]
fn a_restart_with_the_errata_in_place_earns_only_the_route() {
    let grade = corpus(&network(), "wrong-restart-only.rhai");
    assert_grade(
        &grade,
        1.0,
        GradeStatus::Graded,
        &[
            Failed, Failed, Failed, Skipped, Failed, Failed, Passed, Skipped,
        ],
    );
    assert_eq!(
        feedback(&grade, REACH),
        "skipped: it needs \"sv2 resolves on sv1\", which did not pass"
    );
    assert!(
        grade
            .diagnostics
            .iter()
            .any(|d| d.contains("kvmlab::net::gateway_off_link")),
        "{:?}",
        grade.diagnostics
    );
}

#[test]
fn a_script_that_stops_on_an_error_is_graded_on_what_it_left() {
    let grade = corpus(&network(), "wrong-stops-on-a-typo.rhai");
    assert_grade(
        &grade,
        0.0,
        GradeStatus::Graded,
        &[
            Failed, Failed, Failed, Skipped, Failed, Failed, Failed, Skipped,
        ],
    );
    assert!(
        grade
            .diagnostics
            .iter()
            .any(|d| d.contains("kvmlab::script::unknown_function") && d.contains("write_fille")),
        "{:?}",
        grade.diagnostics
    );
}

#[test]
fn claiming_success_or_submitting_nothing_scores_zero() {
    let ex = network();
    for name in ["hostile-self-check.rhai", "hostile-empty.rhai"] {
        let grade = corpus(&ex, name);
        assert_grade(
            &grade,
            0.0,
            GradeStatus::Graded,
            &[
                Failed, Failed, Failed, Skipped, Failed, Failed, Failed, Skipped,
            ],
        );
    }
    let claimed = corpus(&ex, "hostile-self-check.rhai");
    assert_eq!(
        (claimed.own_checks.passed, claimed.own_checks.failed),
        (1, 0)
    );
}

#[test]
fn a_submission_cannot_call_the_graders_rubric() {
    let grade = corpus(&network(), "hostile-calls-rubric.rhai");
    assert_grade(
        &grade,
        0.0,
        GradeStatus::Graded,
        &[
            Failed, Failed, Failed, Skipped, Failed, Failed, Failed, Skipped,
        ],
    );
    assert_eq!(
        grade.checks.len(),
        8,
        "no item of the submission's own joins the rubric"
    );
    assert!(
        grade
            .diagnostics
            .iter()
            .any(|d| d.contains("kvmlab::script::unknown_function") && d.contains("rubric")),
        "{:?}",
        grade.diagnostics
    );
    assert_eq!(
        grade.own_checks.passed, 0,
        "the script stopped before its own check"
    );
}

#[test]
fn importing_the_checks_or_the_solution_is_refused() {
    let ex = network();
    for name in [
        "hostile-imports-checks.rhai",
        "hostile-folder-imports-solution",
    ] {
        let grade = corpus(&ex, name);
        assert_grade(
            &grade,
            0.0,
            GradeStatus::Graded,
            &[
                Failed, Failed, Failed, Skipped, Failed, Failed, Failed, Skipped,
            ],
        );
        assert!(
            grade
                .diagnostics
                .iter()
                .any(|d| d.contains("kvmlab::import::forbidden")
                    && d.contains("`..` leaves the lab's folder")),
            "{name}: {:?}",
            grade.diagnostics
        );
    }
}

#[test]
fn shadowing_the_query_api_and_the_rubric_changes_nothing() {
    let grade = corpus(&network(), "hostile-shadows.rhai");
    assert_grade(
        &grade,
        0.0,
        GradeStatus::Graded,
        &[
            Failed, Failed, Failed, Skipped, Failed, Failed, Failed, Skipped,
        ],
    );
}

#[test]
fn eval_is_refused() {
    let grade = corpus(&network(), "hostile-eval.rhai");
    assert_eq!(grade.score, 0.0);
    assert!(
        grade
            .diagnostics
            .iter()
            .any(|d| d.contains("kvmlab::script::eval_disabled")),
        "{:?}",
        grade.diagnostics
    );
}

#[test]
fn a_folder_with_a_file_that_is_no_script_is_rejected() {
    let grade = corpus(&network(), "hostile-folder-extra-file");
    assert_eq!(grade.status, GradeStatus::Rejected, "{grade:?}");
    assert_eq!(grade.score, 0.0);
    let reason = grade.reason.as_deref().unwrap();
    assert!(reason.contains("tool.exe"), "{reason}");
    assert!(reason.contains("*.rhai"), "{reason}");
}

#[test]
fn an_endless_loop_after_the_work_is_stopped_and_scores_zero() {
    let grade = corpus(&network(), "hostile-endless-loop.rhai");
    assert_eq!(grade.status, GradeStatus::Stopped, "{grade:?}");
    assert_eq!(grade.score, 0.0);
    let reason = grade.reason.as_deref().unwrap();
    assert!(reason.contains("kvmlab::sandbox::operations"), "{reason}");
    assert!(reason.contains("line 10"), "{reason}");
}

#[test]
fn the_gateway_feedback_applied_gives_full_marks() {
    let ex = network();
    let kept = own(&ex, "mutants/gateway-kept.rhai");
    assert!(feedback(&kept, NO_GATEWAY).contains("remove the GATEWAY line"));
    // What the feedback says: the GATEWAY line out of ifcfg-eth1, then the network restarted.
    let advice = r#"
for h in [sv1, sv2] {
    let path = "/etc/sysconfig/network-scripts/ifcfg-eth1";
    let kept = [];
    for line in h.read_file(path).split("\n") {
        if !line.starts_with("GATEWAY=") && line != "" { kept.push(line); }
    }
    h.write_file(path, kept.reduce(|text, line| text + line + "\n", ""));
    h.service("network").restart();
}
"#;
    let text = text_of(&ex, "mutants/gateway-kept.rhai") + advice;
    let fixed = grade_text(&ex, "gateway-fixed", &text);
    assert_grade(&fixed, 10.0, GradeStatus::Graded, &[Passed; 8]);
}

#[test]
fn grading_the_same_submission_twice_gives_the_same_grade() {
    let ex = network();
    let first = corpus(&ex, "partial-sv1-only.rhai");
    let second = corpus(&ex, "partial-sv1-only.rhai");
    assert_eq!(
        serde_json::to_string(&first).unwrap(),
        serde_json::to_string(&second).unwrap()
    );
    assert!(first.operations > 0);
}

#[test]
fn a_flood_of_output_is_capped_and_the_work_still_counts() {
    let grade = corpus(&network(), "hostile-prints-a-flood.rhai");
    assert_grade(&grade, 10.0, GradeStatus::Graded, &[Passed; 8]);
    assert_eq!(grade.output.len(), 200);
    assert_eq!(grade.output_cut, 4800);
    assert_eq!(grade.output[0], "PASS all checks passed 0");
}
