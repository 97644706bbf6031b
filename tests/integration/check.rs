//! `kvmlab check FILE...`: mistakes found without running the lab, each with its code, line
//! and help; several files and glob patterns; exit 0 clean, 1 findings, 2 usage.

use crate::harness::{kvmlab, repo_root, Test};

/// Checks `script` as `lab.rhai` and expects one finding: `code` at `line` with `help`.
fn finds(script: &str, code: &str, line: usize, help: &str) {
    let out = Test::new()
        .script(script)
        .args(&["check", "lab.rhai"])
        .status(1)
        .stderr(code)
        .stderr(&format!("[lab.rhai:{line}:"))
        .stderr(help)
        .stderr("1 finding(s) in 1 file(s)")
        .run();
    assert!(!out.stdout.contains("lab.rhai: ok"), "{}", out.stdout);
}

#[test]
fn a_syntax_error_is_a_finding() {
    finds(
        "let a = 1;\nlet b = (a + ;\n",
        "kvmlab::script::syntax",
        2,
        "help:",
    );
}

#[test]
fn unknown_functions_by_name_and_by_argument_count() {
    finds(
        "step(\"one\");\nstepp(\"two\");\n",
        "kvmlab::script::unknown_function",
        2,
        "did you mean `step`? (`kvmlab doc step`)",
    );
    finds(
        "check(true, \"fine\");\ncheck_eq(1, 2);\n",
        "kvmlab::script::unknown_function",
        2,
        "`check_eq` takes other arguments: check_eq(actual, expected, name: String)",
    );
    // A function pointer is called with `.call`, not like a function.
    finds(
        "let f = |x| x * 2;\nprint(f.call(1));\nprint(f(2));\n",
        "kvmlab::script::unknown_function",
        3,
        "`f` is a variable: call the function it holds as `f.call(_)`",
    );
    // A method called as a function, without its object.
    finds(
        "let p = ping(\"sv2\");\n",
        "kvmlab::script::unknown_function",
        1,
        "`ping` is a method of Host, HostView: call it on the object, e.g. `x.ping(..)` (`kvmlab doc ping`)",
    );
    // Functions the lab defines are known, with their own argument counts.
    finds(
        "fn twice(x) { x * 2 }\ncheck_eq(twice(2), 4, \"4\");\ntwice(1, 2);\n",
        "kvmlab::script::unknown_function",
        3,
        "`twice` takes 1 argument(s)",
    );
}

#[test]
fn unknown_methods_and_properties_of_a_known_type() {
    let lab = "import \"kvmlab/hosts\" as hosts;\nlet lab = hosts::build();\nlet sv1 = lab.sv1;\n";
    finds(
        &format!("{lab}sv1.pign(\"sv2\");\n"),
        "kvmlab::script::unknown_method",
        4,
        "did you mean `ping`? (`kvmlab doc ping`)",
    );
    // `nic` returns a Nic, which cannot ping although a Host can.
    finds(
        &format!("{lab}sv1.nic(\"eth0\").ping(\"sv2\");\n"),
        "unknown method `Nic.ping` with 1 argument(s)",
        4,
        "Nic has: connect, disconnect",
    );
    finds(
        &format!("{lab}let p = sv1.ping(\"sv2\");\ncheck(p.reachabel, \"up\");\n"),
        "kvmlab::script::unknown_property",
        5,
        "did you mean `reachable`? (`kvmlab doc PingResult.reachable`)",
    );
    // A chain: the NIC's type comes from `nic`.
    finds(
        &format!("{lab}print(sv1.nic(\"eth0\").nmae);\n"),
        "kvmlab::script::unknown_property",
        4,
        "did you mean `name`?",
    );
}

#[test]
fn a_method_no_type_has() {
    finds(
        "let x = [1, 2];\nx.frobnicate(1);\n",
        "kvmlab::script::unknown_method",
        2,
        "`kvmlab doc` lists every type's methods",
    );
}

#[test]
fn maps_and_rows_take_any_key() {
    // `lab.sv1` is a map key set by index, `find(..).addresses` a column of command output.
    Test::new()
        .script(
            "import \"kvmlab/hosts\" as hosts;\nlet lab = hosts::build();\nlet m = #{speed: 1};\n\
             print(m.sped);\nprint(lab.sv1.interfaces().find(\"name\", \"br0\").addresses);\n",
        )
        .args(&["check", "lab.rhai"])
        .status(0)
        .stdout("lab.rhai: ok")
        .run();
}

#[test]
fn imports_that_do_not_resolve() {
    finds(
        "import \"kvmlab/hots\" as hosts;\n",
        "kvmlab::import::not_found",
        1,
        "did you mean \"kvmlab/hosts\"?",
    );
    finds(
        "let x = 1;\nimport \"helpers\" as h;\n",
        "kvmlab::import::not_found",
        2,
        "no file `helpers.rhai` beside the lab",
    );
    finds(
        "import \"../outside\" as o;\n",
        "kvmlab::import::forbidden",
        1,
        "import a stdlib module",
    );
    finds(
        "import \"kvmlab/hosts\" as hosts;\nlet lab = hosts::biuld();\n",
        "kvmlab::script::unknown_function",
        2,
        "did you mean `hosts::build`?",
    );
}

#[test]
fn functions_of_a_lab_module_are_known() {
    Test::new()
        .file("helpers.rhai", b"fn double(x) { x * 2 }\n")
        .script("import \"helpers\" as h;\ncheck_eq(h::double(2), 4, \"four\");\n")
        .args(&["check", "lab.rhai"])
        .status(0)
        .run();
    finds(
        "import \"helpers\" as h;\nh::tripel(2);\n",
        "kvmlab::import::not_found",
        1,
        "helpers.rhai",
    );
    Test::new()
        .file("helpers.rhai", b"fn double(x) { x * 2 }\n")
        .script("import \"helpers\" as h;\nh::duble(2);\n")
        .args(&["check", "lab.rhai"])
        .status(1)
        .stderr("[lab.rhai:2:")
        .stderr("did you mean `h::double`?")
        .run();
}

#[test]
fn unknown_spec_keys_in_map_literals() {
    finds(
        "let h = host(\"sv3\", #{cpu: \"x\", coers: 4});\n",
        "kvmlab::spec::unknown_key",
        1,
        "did you mean `cores`?",
    );
    // Nested maps: a host's disks.
    finds(
        "let h = host(\"sv3\", #{\n  disks: [#{name: \"sda\", sise: \"1TB\"}]\n});\n",
        "kvmlab::spec::unknown_key",
        2,
        "did you mean `size`?",
    );
    // A method's keyword map.
    finds(
        "import \"kvmlab/hosts\" as hosts;\nlet lab = hosts::build();\nlab.sv1.define_pool(#{name: \"p\", taget: \"/p\"});\n",
        "kvmlab::spec::unknown_key",
        3,
        "did you mean `target`?",
    );
    // A map literal given to a variable once, then passed.
    finds(
        "let spec = #{cpu: \"x\", memroy: \"16G\"};\nlet h = host(\"sv3\", spec);\n",
        "kvmlab::spec::unknown_key",
        1,
        "did you mean `memory`?",
    );
    // The custom syntax `switch(name, cidr, spec)` and router ports.
    finds(
        "let n = switch(\"N\", \"10.0.0.0/8\", #{sped: \"1Gbit/s\"});\n",
        "kvmlab::spec::unknown_key",
        1,
        "did you mean `speed`?",
    );
    finds(
        "let n = switch(\"N\", \"10.0.0.0/8\", #{});\nlet r = router(\"gw\", [#{net: n, adress: \"10.0.0.1/8\"}]);\n",
        "kvmlab::spec::unknown_key",
        2,
        "did you mean `address`?",
    );
}

#[test]
fn the_help_applied_makes_the_lab_check_clean_and_run() {
    // The advice of the finding above, applied: `coers` becomes `cores`.
    let fixed = "import \"kvmlab/report\" as report;\nlet spec = report::server_spec();\n\
                 let h = host(\"sv3\", #{cpu: spec.cpu, cores: 4, ghz: 2.5, memory: \"16G\", disks: spec.disks, nics: spec.nics});\n\
                 check_eq(h.cores, 4, \"four cores\");\n";
    Test::new()
        .script(fixed)
        .args(&["check", "lab.rhai"])
        .status(0)
        .run();
    Test::new().script(fixed).status(0).run();
}

#[test]
fn several_files_and_globs() {
    let test = Test::new()
        .file("a.rhai", b"step(\"a\");\n")
        .file("b.rhai", b"stepp(\"b\");\n")
        .file("c.rhai", b"check(true, \"c\");\n");
    let out = kvmlab()
        .args(["check", "a.rhai", "c.rhai"])
        .current_dir(test.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("a.rhai: ok") && stdout.contains("c.rhai: ok"),
        "{stdout}"
    );
    // The CLI expands a quoted pattern itself, in name order.
    let out = kvmlab()
        .args(["check", "*.rhai"])
        .current_dir(test.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stdout, "a.rhai: ok\nc.rhai: ok\n");
    assert!(stderr.contains("[b.rhai:1:"), "{stderr}");
    assert!(stderr.contains("1 finding(s) in 3 file(s)"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    let test = Test::new().file("a.rhai", b"step(\"a\");\n");
    for args in [
        vec!["check"],
        vec!["check", "missing.rhai"],
        vec!["check", "*.lab"],
        vec!["check", "."],
    ] {
        let out = kvmlab()
            .args(&args)
            .current_dir(test.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("kvmlab check: "), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}

#[test]
fn every_lab_and_stdlib_module_checks_clean() {
    let root = repo_root();
    let mut files = Vec::new();
    for dir in ["labs", "stdlib"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rhai") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 8, "{files:?}");
    let out = kvmlab().arg("check").args(&files).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        files.len()
    );
}

#[test]
fn a_lab_module_that_does_not_parse_is_a_finding_in_its_file() {
    Test::new()
        .file("helpers.rhai", b"fn double(x) {\n  x * \n}\n")
        .script("import \"helpers\" as h;\nprint(h::double(2));\n")
        .args(&["check", "lab.rhai"])
        .status(1)
        .stderr("kvmlab::script::syntax")
        .stderr("[helpers.rhai:3:")
        .run();
}

#[test]
fn an_exercises_rubric_is_checked_with_the_rubric_and_the_queries() {
    let checks = "rubric(\"sv1 is installed\", #{points: 1}, |lab| lab.host(\"sv1\").instaled);\n\
                  rubric(\"half\", #{points: 1}, |lab| partial(0.5, \"half\"));\n";
    Test::new()
        .file(
            "ex/exercise.toml",
            b"title = \"T\"\nsummary = \"S\"\npoints = 2\n",
        )
        .file("ex/checks.rhai", checks.as_bytes())
        .args(&["check", "ex/checks.rhai"])
        .status(1)
        .stderr("kvmlab::script::unknown_property")
        .stderr("[ex/checks.rhai:1:")
        .stderr("did you mean `installed`?")
        .stderr("1 finding(s) in 1 file(s)")
        .run();
    // The same file outside an exercise is a lab, where `rubric` is no function.
    Test::new()
        .file("checks.rhai", checks.as_bytes())
        .args(&["check", "checks.rhai"])
        .status(1)
        .stderr("unknown function `rubric(")
        .run();
}
