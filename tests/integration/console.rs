//! The console as a trainee reads it: 80 columns, expected warnings counted not printed,
//! `--strict`, rounded numbers, the files a run wrote, failed checks that explain themselves,
//! and colors.

use crate::harness::{kvmlab, repo_root, Test};

const HOST: &str = "import \"kvmlab/report\" as report;\n\
    let net1 = switch(\"NET1\", \"192.168.1.0/24\", #{speed: \"100Mbit/s\"});\n\
    let sv1 = host(\"sv1\", report::server_spec());\n\
    sv1.install_os(report::os_spec(\"sv1\"));\n";

/// A line of `/etc/hosts` with its fields reversed: a warning at the line that writes it.
const REVERSED_HOSTS: &str = "sv1.append_file(\"/etc/hosts\", \"sv2 192.168.1.12\\n\");\n";
/// The report's `/etc/hosts`, five lines reversed: five warnings at one line.
const REPORT_HOSTS: &str = "sv1.append_file(\"/etc/hosts\", report::hosts_as_printed());\n";

fn lines_wider_than_80(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.chars().count() > 80)
        .map(str::to_string)
        .collect()
}

#[test]
fn every_line_of_the_main_lab_fits_80_columns() {
    for verbose in [false, true] {
        let out_dir = tempfile::tempdir().unwrap();
        let mut command = kvmlab();
        command
            .current_dir(repo_root())
            .args(["run", "labs/live-migration.rhai", "--out"])
            .arg(out_dir.path());
        if verbose {
            command.arg("--verbose");
        }
        let out = command.output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(lines_wider_than_80(&stdout), Vec::<String>::new());
        assert_eq!(lines_wider_than_80(&stderr), Vec::<String>::new());
        // Rounded for people, not every digit of a float.
        assert!(
            stdout.contains("about 6 minutes for the 4 GB file: 402.2 vs 360: 11.7 % off"),
            "{stdout}"
        );
        // The files the run wrote, at the end.
        let listed: Vec<&str> = stdout
            .lines()
            .skip_while(|l| *l != "files written:")
            .skip(1)
            .collect();
        let dir = out_dir.path().display();
        assert_eq!(
            listed,
            [
                format!("  {dir}/centos-nz2.xml"),
                format!("  {dir}/ftp-rate.svg"),
                format!("  {dir}/migration-time-vs-memory-in-use.svg"),
                format!("  {dir}/migration-time-vs-memory-allocated.svg"),
                format!("  {dir}/report-vs-kvmlab.txt"),
            ]
        );
        // The FTP plot marks when the migration ran.
        let svg = std::fs::read_to_string(out_dir.path().join("ftp-rate.svg")).unwrap();
        assert!(svg.contains(">\nlive migration\n<"), "no legend entry");
        // kvmlab/storage's two documented warnings: counted, shown only with --verbose.
        if verbose {
            assert!(
                stderr.contains("kvmlab::storage::iqn_vendor_mismatch"),
                "{stderr}"
            );
            assert!(stdout.contains("  expected warning[kvmlab::storage::shared_non_cluster_fs]"));
            assert!(!stdout.contains("--verbose shows them"), "{stdout}");
        } else {
            assert_eq!(stderr, "");
            assert!(
                stdout.contains("\n2 warnings the lab expects (--verbose shows them)\n"),
                "{stdout}"
            );
            assert!(!stdout.contains("warning["), "{stdout}");
        }
    }
}

#[test]
fn expected_warnings_are_counted_and_the_trainees_own_come_first() {
    let script = format!(
        "{HOST}expect_warning(|| sv1.append_file(\"/etc/hosts\", \"sv1 192.168.1.11\\n\"), \
         \"kvmlab::net::hosts_reversed\");\n{REVERSED_HOSTS}"
    );
    let out = Test::new().script(&script).status(0).run();
    assert!(
        out.stdout
            .contains("\n1 warning the lab expects (--verbose shows them)\n"),
        "{}",
        out.stdout
    );
    // stderr holds one block: the unexpected warning at line 6, first thing on the screen.
    assert!(
        out.stderr.starts_with("kvmlab::net::hosts_reversed\n"),
        "{}",
        out.stderr
    );
    let blocks = |stderr: &str| {
        stderr
            .lines()
            .filter(|l| *l == "kvmlab::net::hosts_reversed")
            .count()
    };
    assert_eq!(blocks(&out.stderr), 1);
    assert!(out.stderr.contains("[lab.rhai:6:5]"), "{}", out.stderr);
    assert!(
        out.stdout
            .contains("  warning[kvmlab::net::hosts_reversed]"),
        "{}",
        out.stdout
    );
    let out = Test::new()
        .script(&script)
        .args(&["run", "lab.rhai", "--verbose"])
        .status(0)
        .run();
    assert_eq!(blocks(&out.stderr), 2);
    assert!(out
        .stdout
        .contains("  expected warning[kvmlab::net::hosts_reversed]"));
}

#[test]
fn the_json_report_marks_each_warning_expected_or_not() {
    let out = Test::new()
        .script(&format!(
            "{HOST}import \"kvmlab/hosts\" as hosts;\n\
             expect_warning(|| sv1.append_file(\"/etc/hosts\", \"sv1 192.168.1.11\\n\"), \
             \"kvmlab::net::hosts_reversed\");\n{REVERSED_HOSTS}throw \"stop\";\n"
        ))
        .status(2)
        .json()
        .run();
    let marks: Vec<(String, u64, serde_json::Value)> = out.report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["expected"].clone(),
            )
        })
        .collect();
    assert_eq!(
        marks,
        [
            ("kvmlab::net::hosts_reversed".into(), 6, true.into()),
            ("kvmlab::net::hosts_reversed".into(), 7, false.into()),
            // Errors carry no `expected`.
            ("kvmlab::script::thrown".into(), 8, serde_json::Value::Null),
        ]
    );
}

#[test]
fn warnings_a_stdlib_module_documents_are_expected() {
    let out = Test::new()
        .script(
            "import \"kvmlab/hosts\" as hosts;\nimport \"kvmlab/storage\" as storage;\n\
             let lab = hosts::build();\nlet st = storage::build(lab);\n",
        )
        .status(0)
        .json()
        .run();
    let diagnostics = out.report["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 2, "{diagnostics:?}");
    for d in diagnostics {
        assert_eq!(d["file"], "kvmlab/storage");
        assert_eq!(d["expected"], true, "{d}");
    }
    assert_eq!(out.stderr, "");
}

#[test]
fn strict_fails_a_run_on_an_unexpected_warning_and_names_it() {
    let script = format!("{HOST}{REPORT_HOSTS}check(true, \"fine\");\n");
    Test::new().script(&script).status(0).run();
    let out = Test::new()
        .script(&script)
        .args(&["run", "lab.rhai", "--strict"])
        .status(1)
        .run();
    let tail: Vec<&str> = out.stdout.lines().rev().take(2).collect();
    assert_eq!(
        tail,
        [
            "  kvmlab::net::hosts_reversed at lab.rhai:5:5 (5 times)",
            "FAIL: 5 unexpected warnings (--strict), all 1 checks passed; lab time 0.000 s",
        ]
    );
    // Expected warnings do not fail a strict run.
    Test::new()
        .script(&format!(
            "{HOST}expect_warning(|| sv1.append_file(\"/etc/hosts\", report::hosts_as_printed()), \
             \"kvmlab::net::hosts_reversed\");\n"
        ))
        .args(&["run", "lab.rhai", "--strict"])
        .status(0)
        .run();
}

/// The message of every check in the report, in order.
fn messages(report: &serde_json::Value) -> Vec<String> {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["checks"].as_array().unwrap().iter())
        .map(|c| c["message"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_failed_check_shows_its_condition_and_the_values_in_it() {
    let out = Test::new()
        .script(
            "import \"kvmlab/hosts\" as hosts;\n\
             let lab = hosts::build();\n\
             let sv1 = lab.sv1;\n\
             sv1.nic(\"eth0\").disconnect();\n\
             check(sv1.ping(\"sv2\").reachable == true, \"sv1 reaches sv2\");\n\
             let t = 402.28982009000003;\n\
             check(t < 360.0 && sv1.name == \"sv1\", \"fast\", \"the download took too long\");\n\
             let name = \"a very long name that goes on and on and on and on and on\";\n\
             check(\n    name == \"short\",\n    \"long values are cut\");\n\
             check(!(t > 400), \"negated\");\n\
             let m = #{a: 1};\n\
             check(m.b == 1, \"a missing key\");\n\
             check(true, \"passes\", \"all good\");\n",
        )
        .status(1)
        .json()
        .run();
    assert_eq!(
        messages(&out.report),
        [
            "`sv1.ping(\"sv2\").reachable == true` is false, where sv1.ping(\"sv2\").reachable = false; \
             sv1.ping(\"sv2\"): sv1 cannot reach 192.168.1.12: on sv1, bridge br0 has no cabled port \
             (eth0 not connected to a switch); help: br0's port eth0 is not cabled: connect it to NET1, \
             the switch of br0's network (`sv1.nic(\"eth0\").connect(...)`)",
            "the download took too long (`t < 360.0 && sv1.name == \"sv1\"` is false, \
             where t = 402.3, sv1.name = \"sv1\")",
            "`name == \"short\"` is false, where name = \"a very long name that goes on and on a…",
            "`!(t > 400)` is false, where t = 402.3",
            "`m.b == 1` is false, where m.b = ()",
            "all good",
        ]
    );
    let lines: Vec<u64> = out.report["steps"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["line"].as_u64().unwrap())
        .collect();
    // A check spread over lines is at its `check` keyword.
    assert_eq!(lines, [5, 7, 9, 12, 14, 15]);
    // The console shows the same, wrapped to 80 columns.
    let out = Test::new()
        .script("let state = \"stopped\";\ncheck(state == \"running\", \"the guest runs\");\n")
        .status(1)
        .run();
    assert!(
        out.stdout.contains(
            "  FAIL the guest runs: `state == \"running\"` is false, where state = \"stopped\"\n"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn a_check_evaluates_its_condition_once() {
    let out = Test::new()
        .script(
            "let runs = 0;\n\
             let probe = || { runs += 1; runs };\n\
             check(probe.call() == 5, \"compared\");\n\
             check(probe.call() > 9 || probe.call() > 9, \"either\");\n\
             check_eq(runs, 3, \"each call ran once\");\n",
        )
        .status(1)
        .json()
        .run();
    assert_eq!(
        messages(&out.report),
        [
            "`probe.call() == 5` is false, where probe.call() = 1",
            "`probe.call() > 9 || probe.call() > 9` is false, where probe.call() = 2",
            "3",
        ]
    );
}

#[test]
fn check_works_in_lab_modules_closures_and_through_a_pointer() {
    let out = Test::new()
        .file(
            "helpers.rhai",
            b"/// Checks a guest count.\nfn enough(n) {\n    check(n >= 2, \"two guests\");\n}\n",
        )
        .script(
            "import \"helpers\" as h;\n\
             h::enough(1);\n\
             let limit = 3;\n\
             let verify = |x| check(x < limit, `under ${limit}`);\n\
             verify.call(4);\n\
             Fn(\"check\").call(false, \"through a pointer\");\n\
             check(1, \"not a condition\");\n",
        )
        .status(2)
        .diagnostic("kvmlab::script::unknown_function", 7)
        .stderr("check(condition: bool, name: String)")
        .run();
    let checks = &out.report["steps"][0]["checks"];
    assert_eq!(checks[0]["file"], "helpers.rhai");
    assert_eq!(checks[0]["line"], 3);
    assert_eq!(checks[0]["message"], "`n >= 2` is false, where n = 1");
    assert_eq!(checks[1]["name"], "under 3");
    assert_eq!(checks[1]["line"], 4);
    assert_eq!(
        checks[1]["message"],
        "`x < limit` is false, where x = 4, limit = 3"
    );
    assert_eq!(checks[2]["message"], "the condition was false");
}

#[test]
fn numbers_are_rounded_for_people_and_kept_whole_in_the_report() {
    let out = Test::new()
        .script(
            "let t = 402.28982009000003;\n\
             check_within(t, 360.0, 15, \"about 6 minutes\");\n\
             check_eq(t, 402.3, \"rounded alike, still different\");\n\
             check_eq(t / 2.0, 100, \"half\");\n\
             record(\"t\", t);\n",
        )
        .status(1)
        .json()
        .run();
    assert_eq!(
        messages(&out.report),
        [
            "402.3 vs 360: 11.7 % off (allowed 15 %)",
            "expected 402.3, got 402.28982009000003",
            "expected 100, got 201.1",
        ]
    );
    // Every digit, as the JSON text has it (serde_json's parser would round the last one).
    assert!(
        out.stdout.contains("\"t\": 402.28982009000003"),
        "{}",
        out.stdout
    );
}

#[test]
fn colors_follow_the_color_flag_and_a_non_empty_no_color() {
    let script = "check(true, \"fine\");\nthrow \"x\";\n";
    let out = Test::new()
        .script(script)
        .args(&["run", "lab.rhai", "--color", "always"])
        .status(2)
        .run();
    assert!(out.stdout.contains("\x1b[32mPASS\x1b[0m"), "{}", out.stdout);
    assert!(out.stderr.contains('\x1b'), "{}", out.stderr);
    let out = Test::new()
        .script(script)
        .args(&["run", "lab.rhai", "--color", "never"])
        .status(2)
        .run();
    assert!(!out.stdout.contains('\x1b') && !out.stderr.contains('\x1b'));
    Test::new()
        .script(script)
        .args(&["check", "lab.rhai", "--color", "always"])
        .status(0)
        .run();
    Test::new()
        .script(script)
        .args(&["run", "lab.rhai", "--color", "sometimes"])
        .status(64)
        .stderr("possible values: auto, always, never")
        .run();
}

/// `auto` needs a terminal: `script` (util-linux) runs kvmlab on a pseudo-terminal.
#[test]
fn on_a_terminal_an_empty_no_color_still_colors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lab.rhai"), "check(true, \"fine\");\n").unwrap();
    let on_terminal = |no_color: &str| {
        let command = format!("{} run lab.rhai", env!("CARGO_BIN_EXE_kvmlab"));
        let out = std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .current_dir(dir.path())
            .env("NO_COLOR", no_color)
            .output()
            .expect("util-linux `script` runs kvmlab on a terminal");
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(on_terminal("").contains("\x1b[32mPASS"));
    assert!(!on_terminal("1").contains('\x1b'));
}

#[test]
fn a_failed_check_on_a_ping_says_why_the_ping_failed_and_how_to_fix_it() {
    // The network files are written but `service network restart` never ran: the check's
    // `false` alone would not say so; the ping's cause and help follow it.
    let setup = "import \"kvmlab/report\" as report;\n\
         let net1 = switch(\"NET1\", \"192.168.1.0/24\", #{speed: \"100Mbit/s\"});\n\
         let sv1 = host(\"sv1\", report::server_spec());\n\
         sv1.install_os(report::os_spec(\"sv1\"));\n\
         sv1.nic(\"eth0\").connect(net1);\n\
         let gw = router(\"gateway\", [#{net: net1, address: \"192.168.1.1/24\"}]);\n\
         sv1.write_file(\"/etc/sysconfig/network-scripts/ifcfg-br0\", report::ifcfg_br0(\"192.168.1.11\"));\n\
         sv1.append_file(\"/etc/sysconfig/network-scripts/ifcfg-eth0\", \"BRIDGE=br0\\n\");\n";
    let ping =
        "let r = sv1.ping(\"192.168.1.1\");\ncheck(r.reachable, \"sv1 reaches the gateway\");\n";
    Test::new()
        .script(&format!("{setup}{ping}"))
        .status(1)
        .stdout("FAIL sv1 reaches the gateway: `r.reachable` is false")
        .stdout("restart` (`sv1.service(\"network\").restart()`)")
        .run();
    let out = Test::new()
        .script(&format!("{setup}{ping}"))
        .status(1)
        .json()
        .run();
    let message = &messages(&out.report)[0];
    assert!(
        message.starts_with(
            "`r.reachable` is false, where r.reachable = false; r: sv1 has no route to \
             192.168.1.1: Network is unreachable; help: the network service has not run since \
             the install, so /etc/sysconfig/network-scripts/ifcfg-br0, \
             /etc/sysconfig/network-scripts/ifcfg-eth0"
        ),
        "{message}"
    );
    assert!(
        message.contains("run `service network restart` (`sv1.service(\"network\").restart()`)")
    );
    // The advice, applied, passes the check.
    Test::new()
        .script(&format!(
            "{setup}sv1.service(\"network\").restart();\n{ping}"
        ))
        .status(0)
        .run();
}
