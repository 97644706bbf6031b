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
            stdout.contains("about 6 minutes for the 4 GB file: 402.3 vs 360: 11.7 % off"),
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
            assert!(stderr.contains("kvmlab::storage::iqn_vendor_mismatch"), "{stderr}");
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
        out.stdout.contains("\n1 warning the lab expects (--verbose shows them)\n"),
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
        out.stdout.contains("  warning[kvmlab::net::hosts_reversed]"),
        "{}",
        out.stdout
    );
    let out = Test::new()
        .script(&script)
        .args(&["run", "lab.rhai", "--verbose"])
        .status(0)
        .run();
    assert_eq!(blocks(&out.stderr), 2);
    assert!(out.stdout.contains("  expected warning[kvmlab::net::hosts_reversed]"));
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
