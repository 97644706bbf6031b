//! `:step LAB` through a pipe: a lab walked one step at a time, Enter (an empty line) running
//! the step's own commands, or only its checks once the trainee did the step.

use crate::harness::repo_root;
use crate::repl::{passed_by_run, repl_in, Transcript};

const LAB: &str = "labs/01-hosts-and-network.rhai";

/// Types `input` into `kvmlab repl` run in the repository, where `labs/` is.
fn walk(input: &str) -> Transcript {
    repl_in(repo_root(), &[], input)
}

/// What the console printed after `marker` (the first time it printed it).
fn after<'a>(text: &'a str, marker: &str) -> &'a str {
    let at = text
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker:?} in:\n{text}"));
    &text[at + marker.len()..]
}

#[test]
fn lab_01_walked_with_enter_only_passes_every_check_kvmlab_run_passes() {
    let titles: Vec<String> = std::fs::read_to_string(repo_root().join(LAB))
        .unwrap()
        .lines()
        .filter_map(|l| {
            l.strip_prefix("step(\"")?
                .strip_suffix("\");")
                .map(str::to_string)
        })
        .collect();
    assert_eq!(titles.len(), 10);
    let t = walk(&format!(":step 01\n{}", "\n".repeat(titles.len())));
    assert_eq!((t.status, t.stderr.as_str()), (0, ""), "{}", t.stdout);
    assert!(
        t.stdout.starts_with(
            "walking labs/01-hosts-and-network.rhai: 10 steps\n\
         ran import \"kvmlab/report\" as report;\n\
         ran const SCRIPTS = \"/etc/sysconfig/network-scripts/\";\n\
         \nstep 1/10: The hardware (Table 1)\n  Lab 01: hosts and networks (report §2.1–2.2).\n"
        ),
        "{}",
        t.stdout
    );
    // `step 2/10: title`, not `step 2/10 done: …`.
    let headers: Vec<&str> = t
        .stdout
        .lines()
        .filter(|l| {
            l.split_once(": ").is_some_and(|(head, _)| {
                head.starts_with("step ") && head.matches(' ').count() == 1
            })
        })
        .collect();
    let expected: Vec<String> = titles
        .iter()
        .enumerate()
        .map(|(i, title)| format!("step {}/10: {title}", i + 1))
        .collect();
    assert_eq!(headers, expected);
    assert!(t.stdout.contains("commands (type them, or Enter runs them):\n    let net1 = switch(\"NET1\", \"192.168.1.0/24\", #{speed: \"100Mbit/s\"});\n"));
    let passed = passed_by_run(&repo_root().join(LAB));
    assert_eq!(
        t.stdout.lines().filter(|l| l.starts_with("PASS ")).count() as u64,
        passed
    );
    assert!(
        t.stdout.ends_with(&format!(
            "step 10/10 done: 6 check(s) passed\n\nwalk of labs/01-hosts-and-network.rhai over: 10 steps, {passed} check(s) passed, 0 failed, 0 step(s) skipped\n"
        )),
        "{}",
        t.stdout
    );
}

#[test]
fn a_step_typed_by_the_trainee_then_enter_runs_only_its_checks() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("typed.rhai");
    let t = walk(&format!(
        ":step 01\n\
         let net1 = switch(\"NET1\", \"192.168.1.0/24\", #{{speed: \"100Mbit/s\"}});\n\
         let sv1 = host(\"sv1\", report::server_spec());\n\
         \n\
         :save {}\n:step stop\n",
        saved.display()
    ));
    assert_eq!((t.status, t.stderr.as_str()), (0, ""), "{}", t.stdout);
    let checks = after(&t.stdout, "    print(sv1);\n");
    assert!(
        checks.starts_with(
            "PASS 4 cores per server\nPASS 16 GB of memory (2 x 8 GB PC3-10600)\nstep 1/10 done: 2 check(s) passed\n\nstep 2/10: "
        ),
        "only the checks ran, not `print(sv1)`: {checks}"
    );
    // `:save` keeps the preamble, the trainee's lines and the checks that ran on them.
    assert_eq!(
        std::fs::read_to_string(&saved).unwrap(),
        "import \"kvmlab/report\" as report;\n\
         const SCRIPTS = \"/etc/sysconfig/network-scripts/\";\n\
         let net1 = switch(\"NET1\", \"192.168.1.0/24\", #{speed: \"100Mbit/s\"});\n\
         let sv1 = host(\"sv1\", report::server_spec());\n\
         check_eq(sv1.cores, 4, \"4 cores per server\");\n\
         check_eq(sv1.memory, size(\"16G\"), \"16 GB of memory (2 x 8 GB PC3-10600)\");\n"
    );
    let run = crate::harness::kvmlab()
        .arg("run")
        .arg(&saved)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "the saved walk runs");
}

#[test]
fn a_wrong_own_command_fails_the_steps_check_at_the_labs_line_and_the_fix_passes_it() {
    // Step 2 typed without the virtualization group: its check fails, the walk stays; the
    // trainee adds the group and presses Enter again, as the help says.
    let t = walk(
        ":step 01\n\n\
         sv1.install_os(#{distro: \"Scientific Linux 6.1\", arch: \"x86_64\", hostname: \"sv1\", partitions: [#{mount: \"/\", size: \"100G\"}, #{mount: \"swap\", size: \"16G\"}, #{mount: \"/guest\"}], groups: [\"Desktop\"]});\n\
         \n\
         :step\n\
         sv1.install_group(\"Virtualization\");\n\
         \n",
    );
    assert_eq!(t.status, 1, "a step failed: {}", t.stdout);
    assert!(
        t.stderr.contains("kvmlab::console::step_check_failed"),
        "{}",
        t.stderr
    );
    assert!(
        t.stderr
            .contains("step 2/10: check `KVM is usable on sv1 once all three hold` failed:"),
        "{}",
        t.stderr
    );
    assert!(
        t.stderr.contains("[labs/01-hosts-and-network.rhai:35]"),
        "{}",
        t.stderr
    );
    assert!(
        t.stderr
            .contains(" 35 | check(sv1.kvm_usable, \"KVM is usable on sv1 once all three hold\");"),
        "{}",
        t.stderr
    );
    assert!(
        t.stderr
            .contains("help: the walk stays on this step: fix the lab with your own inputs and\n"),
        "{}",
        t.stderr
    );
    let failed = after(&t.stdout, "FAIL KVM is usable on sv1 once all three hold");
    let shown_again = after(failed, "step 2/10 failed: it stays shown; Enter runs its checks again, `:step run` its commands, `:step skip` goes on\n");
    let fixed = after(
        shown_again,
        "\nstep 2/10: KVM needs AMD-V, enabled in the BIOS, and the virtualization group\n",
    );
    assert!(
        after(fixed, "PASS KVM is usable on sv1 once all three hold\n")
            .starts_with("step 2/10 done: 1 check(s) passed\n\nstep 3/10: "),
        "{fixed}"
    );
}

#[test]
fn a_check_on_a_variable_only_the_labs_commands_define_says_step_run_and_step_run_passes() {
    let t = walk(&format!(
        ":step 01\n{}\
         for h in [sv1, sv2] {{ h.set_vars(SCRIPTS + \"ifcfg-eth1\", report::eth1_as_printed(addresses[h.name].net2)); }}\n\
         let mine = sv1.routes();\n\
         \n\
         :step run\n",
        "\n".repeat(5)
    ));
    assert!(t.stdout.contains("step 6/10: eth1 on NET2"), "{}", t.stdout);
    assert!(
        t.stderr
            .contains("kvmlab::console::step_variable_undefined"),
        "{}",
        t.stderr
    );
    assert!(
        t.stderr.contains("x the check uses `routes`, which is not defined: the lab's own commands\n  | define it"),
        "{}",
        t.stderr
    );
    assert!(
        t.stderr.contains("[labs/01-hosts-and-network.rhai:66:"),
        "{}",
        t.stderr
    );
    assert!(
        t.stderr.contains(
            "help: `:step run` runs the lab's own commands of this step, then its checks;"
        ),
        "{}",
        t.stderr
    );
    assert_eq!(
        t.stderr
            .matches("kvmlab::console::step_variable_undefined")
            .count(),
        3
    );
    // The advice applied: the lab's own commands define `routes` and the checks pass.
    let ran = after(&t.stdout, "step 6/10 failed:");
    assert!(ran.contains("PASS one default route\nPASS it goes via 192.168.1.1\nPASS through br0, not eth1\nstep 6/10 done: 5 check(s) passed\n\nstep 7/10: "), "{ran}");
}

#[test]
fn skip_and_stop_leave_the_world_as_it_is() {
    let t = walk(":step 01\n\n:step skip\n:step stop\n\nsv1.kvm_usable\n:step run\n");
    assert_eq!(t.status, 1, "`:step run` with no walk fails");
    let skipped = after(&t.stdout, "step 2/10 skipped\n\nstep 3/10: ");
    assert!(
        skipped.contains("left the walk of labs/01-hosts-and-network.rhai at step 3/10; the lab and its variables stay\n=> false\n"),
        "{skipped}"
    );
    assert_eq!(
        t.stderr,
        "kvmlab repl: no walk is on; `:step LAB` starts one (e.g. `:step 01`, or a lab's path)\n"
    );
}

#[test]
fn reset_ends_the_walk() {
    let t = walk(":step 01\n:reset\n\n1 + 1\n");
    assert!(
        t.stdout.ends_with("the walk of labs/01-hosts-and-network.rhai ends with the reset; `:step labs/01-hosts-and-network.rhai` starts it again\na fresh lab: lab time 0 s, no variables\n=> 2\n"),
        "{}",
        t.stdout
    );
    assert_eq!((t.status, t.stderr.as_str()), (0, ""));
}

#[test]
fn the_walk_ends_with_a_summary_of_checks_and_skipped_steps() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("labs")).unwrap();
    std::fs::write(
        dir.path().join("labs/small.rhai"),
        "// Two steps.\nfn twice(n) { n * 2 }\nstep(\"One\");\nlet a = twice(2);\ncheck_eq(a, 4, \"twice 2\");\nstep(\"Two\");\ncheck(a > 100, \"a is big\");\n",
    )
    .unwrap();
    let t = repl_in(dir.path(), &[], ":step small\n\n\n:step skip\ntwice(5)\n");
    assert_eq!(t.status, 1);
    assert!(t.stdout.starts_with("walking labs/small.rhai: 2 steps\n\nstep 1/2: One\n  Two steps.\ncommands (type them, or Enter runs them):\n    let a = twice(2);\n    check_eq(a, 4, \"twice 2\");\nPASS twice 2\n"), "{}", t.stdout);
    assert!(t.stdout.contains("FAIL a is big"), "{}", t.stdout);
    assert!(
        t.stdout.ends_with("step 2/2 skipped\n\nwalk of labs/small.rhai over: 2 steps, 1 check(s) passed, 0 failed, 1 step(s) skipped\n=> 10\n"),
        "{}",
        t.stdout
    );
    assert!(t.stderr.contains("[labs/small.rhai:7]"), "{}", t.stderr);
}

#[test]
fn a_bad_lab_name_lists_the_labs_with_the_closest_first() {
    let t = walk(":step 01-hosts-and-netwrk\n:step 03\n1 + 1\n:step 01\n:step 03\n:step\n");
    assert_eq!(t.status, 1);
    assert!(
        t.stderr.contains("kvmlab::console::no_such_lab"),
        "{}",
        t.stderr
    );
    assert!(
        t.stderr.contains("no lab `01-hosts-and-netwrk` in labs"),
        "{}",
        t.stderr
    );
    assert!(t.stderr.contains("help: did you mean `01-hosts-and-network`? the labs there: 00-first-lab,\n        01-hosts-and-network, 02-nas-and-iscsi, live-migration,\n        report-commands, when-things-fail\n  at :step 01-hosts-and-netwrk\n"), "{}", t.stderr);
    assert!(t.stderr.contains("no lab `03` in labs"), "{}", t.stderr);
    let (before, walking) = t.stdout.split_once("walking ").unwrap();
    assert_eq!(before, "=> 2\n", "the console goes on");
    assert_eq!(
        walking
            .matches("\nstep 1/10: The hardware (Table 1)\n")
            .count(),
        2,
        "a bad name leaves the walk under way: {walking}"
    );
}

#[test]
fn a_file_without_steps_or_that_does_not_compile_is_told_and_the_console_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flat.rhai"), "let a = 1;\n").unwrap();
    std::fs::write(dir.path().join("broken.rhai"), "step(\"a\");\nlet = 2;\n").unwrap();
    let t = repl_in(
        dir.path(),
        &[],
        ":step flat.rhai\n:step broken.rhai\n2 * 3\n",
    );
    assert_eq!(t.status, 1);
    assert!(
        t.stderr.contains("kvmlab::console::lab_without_steps"),
        "{}",
        t.stderr
    );
    assert!(
        t.stderr
            .contains("help: `:step` walks a lab that opens each step with `step(\"title\")`"),
        "{}",
        t.stderr
    );
    assert!(t.stderr.contains("[broken.rhai:2:"), "{}", t.stderr);
    assert_eq!(t.stdout, "=> 6\n");
}

#[test]
fn help_lists_the_walks_commands() {
    let t = walk(":help\n:frobnicate\n");
    for line in [
        "  :step LAB      walk a lab a step at a time",
        "  :step          during a walk: show the step again\n",
        "  :step run      during a walk: run the step's own commands, checks included\n",
        "  :step skip     during a walk: go on to the next step without running this one\n",
        "  :step stop     leave the walk; the lab and the variables stay\n",
    ] {
        assert!(t.stdout.contains(line), "{line}: {}", t.stdout);
    }
    assert_eq!(t.stderr.matches(":step").count(), 1, "{}", t.stderr);
}

#[test]
fn labs_00_and_02_walked_with_enter_only_pass_what_kvmlab_run_passes() {
    // Lab 02's steps use back-tick strings with `${…}` in them, lab 00's checks too.
    for (lab, steps) in [
        ("labs/00-first-lab.rhai", 4),
        ("labs/02-nas-and-iscsi.rhai", 12),
    ] {
        let t = walk(&format!(":step {lab}\n{}", "\n".repeat(steps)));
        assert_eq!(
            (t.status, t.stderr.as_str()),
            (0, ""),
            "{lab}: {}",
            t.stdout
        );
        let passed = passed_by_run(&repo_root().join(lab));
        assert!(
            t.stdout.ends_with(&format!(
                "walk of {lab} over: {steps} steps, {passed} check(s) passed, 0 failed, 0 step(s) skipped\n"
            )),
            "{lab}: {}",
            t.stdout
        );
    }
}

/// A trainee who joins at step 7: the six steps before run as the lab writes them, and
/// Enter from step 7 on passes every check `kvmlab run --from 7` reports.
#[test]
fn step_from_n_runs_the_steps_before_and_walks_from_n() {
    let t = walk(&format!(":step 01 --from 7\n{}", "\n".repeat(4)));
    assert_eq!((t.status, t.stderr.as_str()), (0, ""), "{}", t.stdout);
    let joined = after(
        &t.stdout,
        "ran steps 1 to 6 as the lab writes them: the lab is where step 7 starts\n\nstep 7/10: ",
    );
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_kvmlab"))
        .current_dir(repo_root())
        .args(["run", LAB, "--from", "7", "--report", "json", "--out"])
        .arg(tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let passed = report["passed"].as_u64().unwrap();
    assert!(passed > 0);
    assert_eq!(
        joined.lines().filter(|l| l.starts_with("PASS ")).count() as u64,
        passed,
        "{joined}"
    );
    assert!(
        t.stdout.ends_with(&format!(
            "over: 10 steps, {passed} check(s) passed, 0 failed, 0 step(s) skipped, 6 run before the walk began\n"
        )),
        "{}",
        t.stdout
    );
    let refused = walk(":step 01 --from 11\n:step 01 --from x\n");
    assert_eq!(refused.status, 1);
    assert!(
        refused.stderr.contains(
            "kvmlab repl: labs/01-hosts-and-network.rhai has 10 steps: there is no step 11 to start from"
        ),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("kvmlab repl: `x` is not a step number: `:step LAB` walks a lab from its first step, `:step LAB --from N` from step N (e.g. `:step 02 --from 3`)"),
        "{}",
        refused.stderr
    );
}
