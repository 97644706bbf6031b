//! The limits every run is held to, met by the hostile loops that once outlived them: each
//! stops at its limit's code on the line of the call, with nothing beyond the limit made.

use crate::harness::Test;

const HOST: &str = r#"import "kvmlab/report" as report;
let h = host("sv1", report::server_spec());
h.install_os(report::os_spec("sv1"));
"#;

/// A script line that leaves `s` holding `kib` KiB of `/etc/hosts` lines.
fn hosts_text(kib: usize) -> String {
    format!(
        "let s = \"10.0.0.1 sv9\\n\"; while s.len() < {} {{ s += s; }} s = s.sub_string(0, {});\n",
        kib * 1024,
        kib * 1024
    )
}

#[test]
fn appends_of_640_kib_stop_at_the_file_cap() {
    let script = format!(
        "{HOST}{}for i in 0..200 {{\n  h.append_file(\"/etc/hosts\", s);\n  record(\"hosts_bytes\", h.read_file(\"/etc/hosts\").len());\n}}\n",
        hosts_text(640)
    );
    let out = Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::sandbox::file_size", 6)
        .stderr("a file of the lab holds at most 1048576 bytes")
        .stderr("help:")
        .run();
    // One append fitted; the second was refused whole, so the file never passed the cap.
    let bytes = out.report["values"]["hosts_bytes"].as_i64().unwrap();
    assert!(bytes > 640 * 1024 && bytes <= 1 << 20, "{bytes}");
    let refusal = out.report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "kvmlab::sandbox::file_size")
        .unwrap();
    let message = refusal["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("would hold {}", bytes + 640 * 1024)),
        "{message}"
    );
}

#[test]
fn a_host_holds_four_mib_of_files() {
    let script = format!(
        "{HOST}{}for i in 0..100 {{\n  h.write_file(`/etc/big${{i}}`, s);\n}}\n",
        hosts_text(512)
    );
    Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::sandbox::host_files", 6)
        .stderr("a host of the lab holds at most 4194304 bytes of files")
        .run();
}

#[test]
fn cheap_natives_stay_cheap() {
    // Ten thousand small calls are well within the budget: native work is charged by size.
    let script = format!(
        "{HOST}for i in 0..10000 {{\n  h.read_file(\"/etc/sysconfig/network\");\n}}\nrecord(\"done\", true);\n"
    );
    let out = Test::new().script(&script).json().status(0).run();
    assert_eq!(out.report["values"]["done"], true);
}

#[test]
fn an_infinite_plot_point_is_refused() {
    let script = "let big = 1.0e308 * 10.0;\n\
                  save_plot(\"p.svg\", #{title: \"t\", series: [#{name: \"a\", points: [[0, 1], [1, big]]}]});\n";
    let test = Test::new().script(script);
    let out_dir = test.path().join("out");
    test.status(2)
        .diagnostic("kvmlab::script::not_finite", 2)
        .stderr("`points[1] y` of save_plot is inf: it must be a finite number")
        .run();
    assert!(!out_dir.join("p.svg").exists());
}

#[test]
fn non_finite_arguments_are_refused_by_name() {
    for (call, argument) in [
        ("sleep(1.0e308 * 10.0);", "`seconds` of sleep is inf"),
        (
            "record(\"rates\", [1.0, 1.0e308 * 10.0]);",
            "`rates` of record is inf",
        ),
        (
            "check_within(0.0 / 0.0, 1, 5, \"x\");",
            "`actual` of check_within is NaN",
        ),
        (
            "import \"kvmlab/report\" as r; let spec = r::server_spec(); spec.ghz = 1.0e308 * 10.0; host(\"sv1\", spec);",
            "`ghz` of host spec is inf",
        ),
        (
            "save_plot(\"p.svg\", #{title: \"t\", series: [], marks: [#{from: 0, to: 1.0e308 * 10.0, label: \"m\"}]});",
            "`to` of chart mark is inf",
        ),
    ] {
        Test::new()
            .script(&format!("\n{call}\n"))
            .status(2)
            .diagnostic("kvmlab::script::not_finite", 2)
            .stderr(argument)
            .run();
    }
}

#[test]
fn many_hosts_stop_at_the_entity_limit() {
    let script = "import \"kvmlab/report\" as report;\n\
                  for i in 0..100000 {\n  let h = host(`h${i}`, report::server_spec());\n  record(\"hosts\", i + 1);\n}\n";
    let out = Test::new()
        .script(script)
        .status(2)
        .diagnostic("kvmlab::sandbox::too_many", 3)
        .stderr("too many hosts: the limit is 256")
        .run();
    assert_eq!(out.report["values"]["hosts"], 256);
}

#[test]
fn world_limits_cannot_be_caught() {
    let script = "import \"kvmlab/report\" as report;\n\
                  for i in 0..300 {\n  expect_error(|| host(`h${i}`, report::server_spec()), \"kvmlab::sandbox::too_many\");\n}\n";
    Test::new()
        .script(script)
        .status(2)
        .diagnostic("kvmlab::sandbox::too_many", 3)
        .run();
}

#[test]
fn reinstalling_in_a_loop_meets_the_operation_budget() {
    let script =
        format!("{HOST}for i in 0..1000000 {{\n  h.install_os(report::os_spec(\"sv1\"));\n}}\n");
    Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::sandbox::operations", 5)
        .run();
}

#[test]
fn many_large_strings_stop_at_the_memory_limit() {
    // Each line keeps 512 KiB alive in a variable of its own: Rhai's limits hold each value
    // (1 MiB a string), not their sum, so 800 lines would hold 400 MiB.
    let lines = 800;
    let script: String = (1..=lines)
        .map(|n| format!("let v{n} = \"x\"; for i in 0..19 {{ v{n} += v{n}; }}\n"))
        .collect();
    let out = Test::new().script(&script).json().status(2).run();
    let diagnostics = out.report["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let d = &diagnostics[0];
    assert_eq!(d["code"], "kvmlab::sandbox::memory");
    assert_eq!(
        d["message"],
        "memory limit exceeded: the run grew by more than 256M"
    );
    // 256 MiB of live strings is line 512; the allocator and the check's interval move it.
    let line = d["line"].as_u64().expect("a line");
    assert!((100..lines).contains(&line), "stopped at line {line}");
    assert!(out
        .stderr
        .contains("help: a lab's data is small: check the loop or the lines that build"));
}
