//! The lab primitives as a script sees them: steps, checks, records, expected errors, time.

use crate::harness::Test;
use serde_json::json;

#[test]
fn checks_land_in_their_steps_with_file_and_line() {
    let out = Test::new()
        .script(
            "check(true, \"early\");\n\
             step(\"One\");\n\
             check(1 + 1 == 2, \"sums\");\n\
             check(false, \"broken\", \"the bridge has no port\");\n\
             step(\"Two\");\n\
             check_eq(2 * 3, 6.0, \"ints and floats compare by value\");\n\
             check_eq(\"a\", \"b\", \"strings\");\n",
        )
        .json()
        .status(1)
        .run();
    let steps = &out.report["steps"];
    assert_eq!(steps[0]["title"], "(before the first step)");
    assert_eq!(steps[1]["title"], "One");
    assert_eq!(
        steps[1]["checks"][1],
        json!({"name": "broken", "passed": false, "message": "the bridge has no port",
               "file": "lab.rhai", "line": 4})
    );
    assert_eq!(steps[2]["checks"][0]["passed"], true);
    assert_eq!(
        steps[2]["checks"][1]["message"],
        "expected \"b\", got \"a\""
    );
    assert_eq!(steps[2]["checks"][1]["line"], 7);
    assert_eq!(out.report["passed"], 3);
    assert_eq!(out.report["failed"], 2);
}

#[test]
fn check_within_reports_how_far_off() {
    let out = Test::new()
        .script(
            "check_within(37.5, 36, 5, \"close\");\n\
             check_within(50, 36, 10, \"far\");\n\
             check_within(0, 0, 1, \"zero\");\n",
        )
        .json()
        .status(1)
        .run();
    let checks = &out.report["steps"][0]["checks"];
    assert_eq!(checks[0]["message"], "37.5 vs 36: 4.2 % off (allowed 5 %)");
    assert_eq!(checks[0]["passed"], true);
    assert_eq!(checks[1]["message"], "50 vs 36: 38.9 % off (allowed 10 %)");
    assert_eq!(checks[1]["passed"], false);
    assert_eq!(checks[2]["passed"], true);
}

#[test]
fn record_puts_values_in_the_report() {
    let out = Test::new()
        .script(
            "record(\"idle_migration_s\", 36.5);\n\
             record(\"hosts\", [\"sv1\", \"sv2\"]);\n\
             record(\"nested\", #{ok: true, n: 3});\n\
             record(\"idle_migration_s\", 36.0);\n",
        )
        .json()
        .status(0)
        .run();
    assert_eq!(
        out.report["values"],
        json!({"hosts": ["sv1", "sv2"], "idle_migration_s": 36.0, "nested": {"n": 3, "ok": true}})
    );
}

#[test]
fn record_refuses_values_without_a_json_form() {
    Test::new()
        .script("record(\"ok\", 1);\nrecord(\"f\", || 1);\n")
        .status(2)
        .diagnostic("kvmlab::lab::bad_record", 2)
        .stderr("help: record numbers, strings")
        .run();
    Test::new()
        .script("record(\"\", 1);")
        .status(2)
        .diagnostic("kvmlab::lab::bad_record", 1)
        .run();
}

#[test]
fn expect_error_matches_codes_and_text() {
    let out = Test::new()
        .script(
            "expect_error(|| sleep(-1), \"kvmlab::lab::bad_duration\");\n\
             expect_error(|| size(\"9Q\"), \"is not a size\");\n\
             expect_error(|| sleep(1), \"kvmlab::lab::bad_duration\");\n\
             expect_error(|| throw \"boom\", \"kvmlab::units::rate\");\n\
             expect_error(|| nosuch(), \"kvmlab::script::unknown_function\");\n",
        )
        .json()
        .status(1)
        .run();
    let checks = &out.report["steps"][0]["checks"];
    let passed: Vec<_> = checks
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["passed"].clone())
        .collect();
    assert_eq!(passed, [true, true, false, false, true]);
    assert_eq!(
        checks[2]["message"],
        "expected an error `kvmlab::lab::bad_duration`, but the call succeeded"
    );
    assert_eq!(
        checks[3]["message"],
        "expected `kvmlab::units::rate`, got kvmlab::script::thrown: boom"
    );
}

#[test]
fn an_expected_code_that_does_not_exist_gets_a_did_you_mean() {
    let out = Test::new()
        .script(
            "import \"kvmlab/report\" as report;\n\
             let h = host(\"sv1\", report::server_spec());\n\
             h.install_os(report::os_spec(\"sv1\"));\n\
             expect_warning(|| h.append_file(\"/etc/hosts\", report::hosts_as_printed()), \"kvmlab::net::hosts_reverse\");\n\
             expect_error(|| sleep(-1), \"kvmlab::lab::bad_durations\");\n\
             expect_warning(|| h.append_file(\"/etc/hosts\", report::hosts_as_printed()), \"kvmlab::net::hosts_reversed\");\n",
        )
        .json()
        .status(1)
        .run();
    let checks = &out.report["steps"][0]["checks"];
    assert_eq!(
        checks[0]["message"],
        "`kvmlab::net::hosts_reverse` is no kvmlab code (did you mean \
         `kvmlab::net::hosts_reversed`?); other warnings were raised: \
         kvmlab::net::hosts_reversed (5 times)"
    );
    assert_eq!(checks[0]["line"], 4);
    assert!(checks[1]["message"]
        .as_str()
        .unwrap()
        .starts_with("`kvmlab::lab::bad_durations` is no kvmlab code (did you mean `kvmlab::lab::bad_duration`?); expected"));
    // The code the help names, applied, passes.
    assert_eq!(checks[2]["passed"], true);
}

#[test]
fn expect_error_cannot_swallow_sandbox_limits() {
    Test::new()
        .script("expect_error(|| { loop {} }, \"anything\");\ncheck(true, \"unreached\");")
        .status(2)
        .diagnostic("kvmlab::sandbox::operations", 1)
        .run();
}

#[test]
fn simulated_time_moves_only_on_sleep() {
    let out = Test::new()
        .script(
            "let t0 = clock();\nsleep(1.5);\nsleep(2);\nrecord(\"t0\", t0);\nrecord(\"t1\", clock());\n",
        )
        .json()
        .status(0)
        .run();
    assert_eq!(out.report["values"], json!({"t0": 0.0, "t1": 3.5}));
    assert_eq!(out.report["clock"], 3.5);
}

#[test]
fn units_helpers_follow_libvirt() {
    let out = Test::new()
        .script(
            "record(\"m\", size(\"512M\"));\nrecord(\"g\", size(\"20GB\"));\n\
             record(\"r\", rate(\"100Mbit/s\"));\nrecord(\"f\", fixed(11.1111, 2));\n\
             record(\"i\", fixed(3, 1));\n",
        )
        .json()
        .status(0)
        .run();
    assert_eq!(
        out.report["values"],
        json!({"m": 536870912, "g": 20000000000i64, "r": 12500000.0, "f": "11.11", "i": "3.0"})
    );
    Test::new()
        .script("let r = rate(\"fast\");")
        .status(2)
        .diagnostic("kvmlab::units::rate", 1)
        .stderr("help: write a rate as \"64M/s\"")
        .run();
}

#[test]
fn printed_lines_belong_to_their_step() {
    let out = Test::new()
        .script("step(\"A\");\nprint(\"one\\ntwo\");\nstep(\"B\");\ndebug(\"three\");\n")
        .json()
        .status(0)
        .run();
    assert_eq!(out.report["steps"][0]["output"], json!(["one", "two"]));
    assert_eq!(out.report["steps"][1]["output"], json!(["\"three\""]));
}

#[test]
fn stdlib_modules_import_by_name() {
    let out = Test::new()
        .script(
            "import \"kvmlab/checks\" as c;\n\
             check(c::within(37.0, 36.0, 5), \"within\");\n\
             check(c::between(5, 1, 10), \"between\");\n\
             record(\"pct\", c::percent(1, 3));\n",
        )
        .json()
        .status(0)
        .run();
    assert_eq!(out.report["values"]["pct"], 33.3);
}

#[test]
fn lab_files_import_from_the_lab_folder() {
    Test::new()
        .file("helpers/net.rhai", b"fn double(x) { x * 2 }\n")
        .script("import \"helpers/net\" as net;\ncheck_eq(net::double(21), 42, \"imported\");\n")
        .status(0)
        .run();
}

#[test]
fn artifacts_are_written_under_out_and_listed() {
    let out = Test::new()
        .script(
            "let p = save_plot(\"plots/time.svg\", #{title: \"Time\", x_label: \"MiB\", y_label: \"s\",\n\
               series: [#{name: \"idle\", points: [[64, 6.1], [128, 11.8]]}]});\n\
             let t = save_text(\"notes.txt\", \"hello\");\n\
             record(\"plot\", p);\n",
        )
        .args(&["run", "lab.rhai", "--out", "results"])
        .json()
        .status(0)
        .run();
    assert_eq!(
        out.report["artifacts"],
        json!(["results/plots/time.svg", "results/notes.txt"])
    );
    assert_eq!(out.report["values"]["plot"], "results/plots/time.svg");
}

#[test]
fn artifacts_stay_inside_the_output_directory() {
    Test::new()
        .script("save_text(\"../escape.txt\", \"x\");")
        .status(2)
        .diagnostic("kvmlab::artifact::bad_name", 1)
        .stderr("`..` would leave the output folder")
        .run();
    Test::new()
        .script("save_plot(\"p.svg\", #{title: \"T\", series: [#{name: \"a\", points: [[1]]}]});")
        .status(2)
        .diagnostic("kvmlab::spec::bad_value", 1)
        .stderr("each point is a pair of numbers [x, y]")
        .run();
    Test::new()
        .script("save_plot(\"p.svg\", #{titel: \"T\", series: []});")
        .status(2)
        .diagnostic("kvmlab::spec::unknown_key", 1)
        .stderr("did you mean `title`?")
        .run();
}

#[test]
fn plot_marks_are_checked_like_the_other_keys() {
    let plot = |marks: &str| {
        format!(
            "\nsave_plot(\"p.svg\", #{{title: \"T\", series: [#{{name: \"a\", points: [[1, 2]]}}],\n  marks: {marks}}});\n"
        )
    };
    let results = tempfile::tempdir().unwrap();
    let shown = results.path().display().to_string();
    let out = Test::new()
        .script(&plot(
            "[#{from: 120, to: 158.5, label: \"live migration\"}]",
        ))
        .args(&["run", "lab.rhai", "--out", &shown])
        .status(0)
        .run();
    let listed = format!("files written:\n  {shown}/p.svg\n");
    assert!(out.stdout.contains(&listed), "{}", out.stdout);
    let svg = std::fs::read_to_string(results.path().join("p.svg")).unwrap();
    assert!(svg.contains(">\nlive migration\n<"), "{svg}");
    Test::new()
        .script(&plot("[#{from: 120, til: 158, label: \"m\"}]"))
        .status(2)
        .diagnostic("kvmlab::spec::unknown_key", 2)
        .stderr("help: chart mark takes: from, to, label")
        .run();
    Test::new()
        .script(&plot("[#{from: 158, to: 120, label: \"m\"}]"))
        .status(2)
        .diagnostic("kvmlab::spec::bad_value", 2)
        .stderr("the band runs from 158 to 120")
        .stderr("with from <= to")
        .run();
    Test::new()
        .script(&plot("[#{from: \"start\", to: 120, label: \"m\"}]"))
        .status(2)
        .diagnostic("kvmlab::spec::wrong_type", 2)
        .run();
}

#[test]
fn caught_errors_carry_their_code_message_and_help() {
    let out = Test::new()
        .script(
            "try { sleep(-1); } catch (e) {\n\
               record(\"code\", e.code);\n  record(\"text\", `${e}`);\n  record(\"help\", e.help);\n}\n",
        )
        .json()
        .status(0)
        .run();
    assert_eq!(
        out.report["values"],
        json!({
            "code": "kvmlab::lab::bad_duration",
            "text": "kvmlab::lab::bad_duration: cannot sleep for -1 s",
            "help": "durations are zero or positive seconds, e.g. `sleep(1.5)`, and a lab lasts at most a century of lab time"
        })
    );
}
