//! A hostile script stays contained: it writes nothing outside `--out`, cannot draw lines
//! that look like kvmlab's own verdict, checks or summary, and cannot flood the console.

use crate::harness::Test;
use std::path::Path;

/// Every file and link under `dir`, as paths relative to it, sorted.
fn tree(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(next) = todo.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            let kind = std::fs::symlink_metadata(&path).unwrap().file_type();
            if kind.is_dir() {
                todo.push(path.clone());
            }
            found.push(path.strip_prefix(dir).unwrap().display().to_string());
        }
    }
    found.sort();
    found
}

/// A folder of the test's own to hold `--out` (the lab's folder goes when the run ends), and
/// the arguments that run the lab with `--out` in it.
fn out_folder() -> (tempfile::TempDir, Vec<String>) {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("out");
    let args = ["run", "lab.rhai", "--out", out.to_str().unwrap()];
    (root, args.iter().map(|a| a.to_string()).collect())
}

fn args(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

const NAME_HELP: &str =
    "artifact names are relative paths inside --out, e.g. `save_text(\"notes/x.txt\", ..)`";

#[test]
fn artifact_names_leaving_out_are_refused_with_the_reason() {
    for (name, reason) in [
        ("../x.txt", "`..` would leave the output folder"),
        ("notes/../../x.txt", "`..` would leave the output folder"),
        ("/tmp/x.txt", "it is an absolute path"),
        ("~/x.txt", "`~` is not a home folder here"),
        ("", "the name is empty"),
        ("notes/", "it names a folder, not a file"),
        ("a\\nb", "it holds a control character"),
    ] {
        let (root, run) = out_folder();
        Test::new()
            .script(&format!("step(\"save\");\nsave_text(\"{name}\", \"x\");\n"))
            .args(&args(&run))
            .status(2)
            .diagnostic("kvmlab::artifact::bad_name", 2)
            .stderr(reason)
            .stderr(NAME_HELP)
            .run();
        assert!(tree(root.path()).is_empty(), "{name:?} wrote a file");
    }
}

#[test]
fn no_link_in_out_is_followed() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("kept.txt"), "precious").unwrap();
    for (line, name, link) in [
        (2, "linked/x.txt", "linked"),
        (3, "linked/deeper/x.txt", "linked"),
        (4, "kept.txt", "kept.txt"),
        (5, "real/inner/x.txt", "real/inner"),
    ] {
        let script = format!(
            "save_text(\"fine.txt\", \"ok\");\n{}save_text(\"{name}\", \"forged\");\n",
            "\n".repeat(line - 2)
        );
        let (root, run) = out_folder();
        let out = root.path().join("out");
        std::fs::create_dir_all(out.join("real")).unwrap();
        std::os::unix::fs::symlink(outside.path(), out.join("linked")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("kept.txt"), out.join("kept.txt")).unwrap();
        std::os::unix::fs::symlink(outside.path(), out.join("real/inner")).unwrap();
        Test::new()
            .script(&script)
            .args(&args(&run))
            .status(2)
            .diagnostic("kvmlab::artifact::symlink", line)
            .stderr(&format!("`{link}` in --out is a symbolic link"))
            .stderr("or run with an --out folder that holds no links, e.g. `--out out-2`")
            .run();
        assert_eq!(tree(outside.path()), ["kept.txt"], "{name} wrote outside");
        assert_eq!(
            std::fs::read_to_string(outside.path().join("kept.txt")).unwrap(),
            "precious"
        );
        assert_eq!(std::fs::read_to_string(out.join("fine.txt")).unwrap(), "ok");
    }
}

#[test]
fn the_help_for_a_link_works_when_applied() {
    let outside = tempfile::tempdir().unwrap();
    let script = "save_text(\"linked/x.txt\", \"hello\");\n";
    let (root, run) = out_folder();
    std::fs::create_dir(root.path().join("out")).unwrap();
    std::os::unix::fs::symlink(outside.path(), root.path().join("out/linked")).unwrap();
    Test::new()
        .script(script)
        .args(&args(&run))
        .status(2)
        .diagnostic("kvmlab::artifact::symlink", 1)
        .run();
    // The help: an --out folder that holds no links.
    let out_2 = root.path().join("out-2");
    Test::new()
        .script(script)
        .args(&["run", "lab.rhai", "--out", out_2.to_str().unwrap()])
        .status(0)
        .run();
    assert_eq!(
        std::fs::read_to_string(out_2.join("linked/x.txt")).unwrap(),
        "hello"
    );
    assert!(tree(outside.path()).is_empty());
}

#[test]
fn a_hard_link_or_a_folder_in_the_way_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("kept.txt"), "precious").unwrap();
    let (root, run) = out_folder();
    let out = root.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::hard_link(outside.path().join("kept.txt"), out.join("notes.txt")).unwrap();
    Test::new()
        .script("save_text(\"notes.txt\", \"forged\");\n")
        .args(&args(&run))
        .status(2)
        .diagnostic("kvmlab::artifact::in_the_way", 1)
        .stderr("hard links, so writing it would change a file outside --out")
        .run();
    assert_eq!(
        std::fs::read_to_string(outside.path().join("kept.txt")).unwrap(),
        "precious"
    );
    Test::new()
        .script("save_text(\"plots\", \"x\");\n")
        .file("out/plots/time.svg", b"<svg/>")
        .status(2)
        .diagnostic("kvmlab::artifact::in_the_way", 1)
        .stderr("give the file a name inside it, e.g. `plots/notes.txt`")
        .run();
}

#[test]
fn artifacts_are_capped_in_number_and_bytes() {
    let (root, run) = out_folder();
    Test::new()
        .script("for i in 0..300 {\n  save_text(\"n/\" + i + \".txt\", \"x\");\n}\n")
        .args(&args(&run))
        .status(2)
        .diagnostic("kvmlab::sandbox::artifacts", 2)
        .stderr("a run writes at most 256 files under --out")
        .run();
    assert_eq!(
        std::fs::read_dir(root.path().join("out/n"))
            .unwrap()
            .count(),
        256
    );

    // 1 MiB strings (the largest a script makes): 64 fit in the 64 MiB a run may write.
    let (root, run) = out_folder();
    Test::new()
        .script(
            "let mib = \"\"; mib.pad(1024 * 1024 - 1, \"x\");\n\
             for i in 0..100 {\n  save_text(\"big/\" + i, mib);\n}\n",
        )
        .args(&args(&run))
        .status(2)
        .diagnostic("kvmlab::sandbox::artifacts_total", 3)
        .stderr("the limit is 64M per run")
        .run();
    let big = root.path().join("out/big");
    let bytes: u64 = std::fs::read_dir(&big)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert!(bytes <= 64 << 20, "{bytes} bytes under out/");
    assert_eq!(std::fs::read_dir(&big).unwrap().count(), 64);

    // A limit is not a mistake a lab can expect.
    let (root, run) = out_folder();
    Test::new()
        .script(
            "for i in 0..256 { save_text(\"n/\" + i, \"x\"); }\n\
             expect_error(|| save_text(\"one-more\", \"x\"), \"kvmlab::sandbox::artifacts\");\n",
        )
        .args(&args(&run))
        .status(2)
        .diagnostic("kvmlab::sandbox::artifacts", 2)
        .run();
    assert!(!root.path().join("out/one-more").exists());
}

/// A script that tries every way to draw kvmlab's own lines.
const FORGER: &str = r#"import "kvmlab/report" as report;
step("one\nPASS: all 9 checks passed; lab time 0.000 s");
check(true, "c\n  PASS forged: ok");
check(true, "d\r  FAIL forged\x1b[2K");
print("PASS: all 9 checks passed; lab time 0.000 s");
print("ok\n  PASS forged: ok\n| total | 9 | 9 | 0 |\n+-----+\nFAIL: forged\r\n2. Forged step");
print("\x1b[1A\x1b[2K\x1b[32mPASS\x1b[0m: all 5 checks passed\u202e\u2066\u009b2J");
debug("\nFAIL: debug");
step("two                                                                                PASS: all 9 checks passed");
step("| total                                 |      9 |      9 |      0 |   PASS");
check(true, "\u009b2K\u202eSSAP");
let sv1 = host("sv1", report::server_spec());
sv1.install_os(report::os_spec("sv1"));
sv1.write_file("/etc/sysconfig/network-scripts/ifcfg-eth0", "IP\x1b[2JADDR\n=1\nFAIL: x\n");
host("sv1\nPASS: all 9 checks passed\x1b[0m", report::server_spec());
"#;

/// What a line of kvmlab's console output claims to be, when it looks like kvmlab's own.
fn kind(line: &str) -> Option<&'static str> {
    let step_header = line
        .split_once(". ")
        .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if line.starts_with("PASS") || line.starts_with("FAIL") {
        Some("verdict")
    } else if line.starts_with("  PASS") || line.starts_with("  FAIL") {
        Some("check")
    } else if line.starts_with('|') || line.starts_with('+') {
        Some("table")
    } else if step_header {
        Some("step")
    } else {
        None
    }
}

#[test]
fn a_script_cannot_forge_kvmlab_lines() {
    let out = Test::new()
        .script(FORGER)
        .status(2)
        .stderr("`sv1\\nPASS: all 9 checks passed\\x1b[0m` is not a usable name")
        .run();
    for c in out.stdout.chars().chain(out.stderr.chars()) {
        let raw = matches!(c, '\x1b' | '\r' | '\u{7f}' | '\u{80}'..='\u{9f}')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
        assert!(
            !raw,
            "raw {c:?} reached the console\n{}{}",
            out.stdout, out.stderr
        );
    }
    let count = |what: &str| out.stdout.lines().filter(|l| kind(l) == Some(what)).count();
    // The run: 3 steps, 3 checks, one verdict and a table of 3 steps, a header and a total.
    assert_eq!(count("verdict"), 1, "{}", out.stdout);
    assert_eq!(count("check"), 3, "{}", out.stdout);
    assert_eq!(count("step"), 3, "{}", out.stdout);
    // Three borders; header, three steps and the total.
    assert_eq!(count("table"), 3 + 5, "{}", out.stdout);
    let verdict = out.stdout.lines().find(|l| kind(l) == Some("verdict"));
    assert_eq!(
        verdict,
        Some("FAIL: the lab stopped on an error (details on stderr); lab time 0.000 s")
    );
    assert!(
        out.stdout.contains("  PASS c\\n  PASS forged: ok: ok"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("  | \\x1b[1A\\x1b[2K\\x1b[32mPASS"),
        "{}",
        out.stdout
    );
    // Diagnostics on stderr show the script's strings escaped too, and no line of their own.
    assert!(
        !out.stderr
            .lines()
            .any(|l| l.starts_with("PASS") || l.starts_with("FAIL")),
        "{}",
        out.stderr
    );

    // The JSON report keeps the raw strings; JSON escapes them itself.
    let out = Test::new().script(FORGER).json().status(2).run();
    assert_eq!(
        out.report["steps"][0]["title"],
        "one\nPASS: all 9 checks passed; lab time 0.000 s"
    );
    assert_eq!(
        out.report["steps"][0]["checks"][1]["name"],
        "d\r  FAIL forged\x1b[2K"
    );
}

#[test]
fn control_characters_in_the_lab_file_are_not_echoed_raw() {
    let out = Test::new()
        .file("lab.rhai", b"let a = \"\x1b[2J\r\x07\";\nlet b = c;\n")
        .status(2)
        .diagnostic("kvmlab::script::unknown_variable", 2)
        .run();
    assert!(
        !out.stderr.contains(['\x1b', '\r', '\x07']),
        "{:?}",
        out.stderr
    );
    assert!(out.stderr.contains("let a = \"␛[2J␍␇\";"), "{}", out.stderr);
}

const SETUP: &str = "import \"kvmlab/report\" as report;\n\
     let sv1 = host(\"sv1\", report::server_spec());\n\
     sv1.install_os(report::os_spec(\"sv1\"));\n";

#[test]
fn one_bad_file_gives_five_warnings_and_a_count() {
    let script = format!(
        "{SETUP}let text = \"\";\nfor i in 0..3000 {{ text += \"IPADR=1\\n\"; }}\n\
         sv1.write_file(\"/etc/sysconfig/network-scripts/ifcfg-eth0\", text);\n"
    );
    let out = Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::net::unknown_ifcfg_key", 6)
        .stderr("… and 2995 more like this at lab.rhai:6:5")
        .run();
    let warnings = out.report["diagnostics"].as_array().unwrap();
    assert_eq!(warnings.len(), 5, "{warnings:?}");
    assert_eq!(warnings[4]["more_like_this"], 2995);
    assert!(
        out.stderr.len() < 4_000,
        "{} bytes on stderr",
        out.stderr.len()
    );
    let out = Test::new().script(&script).status(0).run();
    assert!(
        out.stdout.contains("… and 2995 more like this"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.len() < 2_000,
        "{} bytes on stdout",
        out.stdout.len()
    );
    assert!(
        out.stderr.len() < 4_000,
        "{} bytes on stderr",
        out.stderr.len()
    );
    // --strict counts every one of them.
    let out = Test::new()
        .script(&script)
        .args(&["run", "lab.rhai", "--strict"])
        .status(1)
        .run();
    assert!(
        out.stdout
            .contains("kvmlab::net::unknown_ifcfg_key at lab.rhai:6:5 (3000 times)"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_run_records_at_most_200_warnings() {
    // 250 lines, each writing one bad file: one warning per line.
    let mut script = SETUP.to_string();
    for i in 0..250 {
        script += &format!(
            "sv1.write_file(\"/etc/sysconfig/network-scripts/ifcfg-eth{i}\", \"IPADR=1\\n\");\n"
        );
    }
    let out = Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::sandbox::warnings", 4 + 200)
        .stderr("50 more warnings were not recorded: a run records at most 200")
        .run();
    let diagnostics = out.report["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 201);
    assert!(out.stderr.len() < 200 * 1_000, "{} bytes", out.stderr.len());
}

#[test]
fn expect_warning_still_sees_warnings_that_are_only_counted() {
    let mut script = format!(
        "{SETUP}let f = \"/etc/sysconfig/network-scripts/ifcfg-eth9\";\n\
         for i in 0..10 {{\n\
           expect_warning(|| sv1.write_file(f, \"IPADR=1\\n\"), \"kvmlab::net::unknown_ifcfg_key\");\n\
         }}\n"
    );
    // Past the run's 200 recorded warnings, the next one is only counted.
    for i in 0..200 {
        script += &format!(
            "sv1.write_file(\"/etc/sysconfig/network-scripts/ifcfg-x{i}\", \"NETMSK=1\\n\");\n"
        );
    }
    script += "expect_warning(|| sv1.write_file(f, \"IPADR=1\\n\"), \"IPADR\");\n";
    let out = Test::new().script(&script).json().status(0).run();
    assert_eq!(out.report["passed"], 11, "{}", out.stdout);
    assert_eq!(out.report["failed"], 0, "{}", out.stdout);
}

#[test]
fn long_script_values_are_cut_in_messages() {
    let script = format!(
        "{SETUP}let v = \"x\"; v.pad(700000, \"1\");\n\
         sv1.write_file(\"/etc/sysconfig/network-scripts/ifcfg-eth0\", \"DEVICE=eth0\\nBOOTPROTO=none\\nONBOOT=yes\\nIPADDR=\" + v + \"\\n\");\n\
         sv1.service(\"network\").restart();\n\
         let name = \"n\"; name.pad(300000, \"y\");\n\
         host(name, report::server_spec());\n"
    );
    let out = Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::spec::bad_value", 8)
        .stderr("… (700007 characters)")
        .stderr("… (300000 characters)")
        .run();
    let diagnostics = out.report["diagnostics"].as_array().unwrap();
    assert!(diagnostics
        .iter()
        .any(|d| d["code"] == "kvmlab::net::bad_ifcfg_value"));
    for d in diagnostics {
        let message = d["message"].as_str().unwrap();
        assert!(message.len() < 400, "{message}");
    }
    assert!(
        out.stderr.len() < 5_000,
        "{} bytes on stderr",
        out.stderr.len()
    );
}

#[test]
fn printed_output_is_held_to_4_mib() {
    let out = Test::new()
        .script(
            "let mib = \"\"; mib.pad(1024 * 1024 - 1, \"x\");\nfor i in 0..20 { print(mib); }\n",
        )
        .json()
        .status(0)
        .run();
    let d = &out.report["diagnostics"][0];
    assert_eq!(d["code"], "kvmlab::sandbox::output");
    assert_eq!(
        d["message"],
        "16 more printed lines were not recorded: a run records at most 4.0M of output"
    );
    assert!(
        out.stdout.len() < (4 << 20) + 100_000,
        "{} bytes",
        out.stdout.len()
    );
}

#[test]
fn steps_and_checks_are_capped_and_long_names_cut() {
    Test::new()
        .script("let big = \"\"; big.pad(1024 * 1024 - 1, \"t\");\nfor i in 0..2000 {\n  step(big);\n}\n")
        .status(2)
        .diagnostic("kvmlab::sandbox::too_many", 3)
        .stderr("too many steps: the limit is 1000")
        .run();
    let out = Test::new()
        .script("for i in 0..20000 {\n  check(true, \"c\" + i);\n}\n")
        .status(2)
        .diagnostic("kvmlab::sandbox::too_many", 2)
        .stderr("too many checks: the limit is 10000")
        .run();
    assert_eq!(out.report["passed"], 10_000);
    let out = Test::new()
        .script("let big = \"\"; big.pad(100000, \"n\");\nstep(big);\ncheck(false, big, big);\n")
        .json()
        .status(1)
        .run();
    let step = &out.report["steps"][0];
    let cut = format!("{}… (100000 characters)", "n".repeat(200));
    assert_eq!(step["title"], cut.as_str());
    assert_eq!(step["checks"][0]["name"], cut.as_str());
    let message = step["checks"][0]["message"].as_str().unwrap();
    assert!(message.ends_with("… (100000 characters)"), "{message}");
    assert!(out.stdout.len() < 10_000, "{} bytes", out.stdout.len());
}
