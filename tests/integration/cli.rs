//! The command line: subcommands, help, version, exit codes.

use crate::harness::{kvmlab, Test};

#[test]
fn help_names_every_command() {
    let out = kvmlab().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for word in ["run", "check", "doc", "Usage: kvmlab"] {
        assert!(text.contains(word), "{text}");
    }
    for sub in ["run", "check", "doc"] {
        let out = kvmlab().args([sub, "--help"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{sub} --help");
    }
    let out = kvmlab().args(["run", "--help"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--report",
        "--seed",
        "--out",
        "--verbose",
        "--strict",
        "--color",
    ] {
        assert!(text.contains(flag), "{text}");
    }
}

#[test]
fn version_is_the_crate_version() {
    let out = kvmlab().arg("--version").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        format!("kvmlab {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_64() {
    Test::new().args(&[]).status(64).stderr("Usage").run();
    Test::new().args(&["fly"]).status(64).run();
    Test::new().args(&["run"]).status(64).stderr("<FILE>").run();
    Test::new()
        .script("step(\"x\");")
        .args(&["run", "lab.rhai", "--report", "xml"])
        .status(64)
        .stderr("possible values: console, json")
        .run();
    Test::new()
        .script("")
        .args(&["run", "lab.rhai", "--seed", "-3"])
        .status(64)
        .run();
}

#[test]
fn exit_status_says_how_the_lab_went() {
    Test::new().script("check(true, \"fine\");").status(0).run();
    Test::new()
        .script("let bridges = 0;\ncheck(true, \"fine\");\ncheck(bridges > 0, \"broken\");")
        .status(1)
        .stdout("FAIL broken: `bridges > 0` is false, where bridges = 0")
        .stdout("FAIL: 1 of 2 checks failed")
        .run();
    Test::new()
        .script("check(true, \"fine\");\nthrow \"stop\";")
        .status(2)
        .diagnostic("kvmlab::script::thrown", 2)
        .run();
}

#[test]
fn a_missing_file_or_a_folder_is_a_usage_error_in_one_line() {
    // `kvmlab check` has its own usage status (2), tested in the check module.
    let command = "run";
    let out = Test::new()
        .args(&[command, "nowhere.rhai"])
        .status(64)
        .run();
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert_eq!(
        out.stderr.lines().collect::<Vec<_>>(),
        ["kvmlab: cannot read `nowhere.rhai`: No such file or directory (os error 2)"]
    );
    let out = Test::new()
        .file("labs/lab.rhai", b"")
        .args(&[command, "labs"])
        .status(64)
        .run();
    assert_eq!(
        out.stderr.lines().collect::<Vec<_>>(),
        ["kvmlab: `labs` is a directory; give a lab file, e.g. `labs/lab.rhai`"]
    );
    let out = Test::new().args(&[command, "."]).status(64).run();
    assert_eq!(
        out.stderr,
        "kvmlab: `.` is a directory with no .rhai lab in it\n"
    );
}

#[test]
fn check_parses_without_running() {
    Test::new()
        .script("check(false, \"never runs\");")
        .args(&["check", "lab.rhai"])
        .status(0)
        .stdout("lab.rhai: ok")
        .run();
    let out = Test::new()
        .script("let a = 1;\nlet b = (a + ;\n")
        .args(&["check", "lab.rhai"])
        .status(1)
        .stderr("kvmlab::script::syntax")
        .stderr("lab.rhai:2:")
        .run();
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn plain_output_when_not_a_terminal() {
    let out = Test::new()
        .script("check(true, \"fine\");\nthrow \"x\";")
        .status(2)
        .run();
    assert!(!out.stdout.contains('\x1b'), "{}", out.stdout);
    assert!(!out.stderr.contains('\x1b'), "{}", out.stderr);
}
