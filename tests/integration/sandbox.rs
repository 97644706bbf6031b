//! Hostile and malformed scripts: each gives exit 2 and a diagnostic naming the file and the
//! line, never a panic or a hang.

use crate::harness::Test;

/// (script, expected code, expected line)
const CORPUS: &[(&str, &str, usize)] = &[
    ("let x = 1;\nlet y = (x + ;\n", "kvmlab::script::syntax", 2),
    ("let s = \"never closed\n", "kvmlab::script::syntax", 1),
    ("fn f( { }\n", "kvmlab::script::syntax", 1),
    (
        "step(\"a\");\nchek(true, \"x\");\n",
        "kvmlab::script::unknown_function",
        2,
    ),
    (
        "check(1, \"not a bool\");\n",
        "kvmlab::script::unknown_function",
        1,
    ),
    (
        "let a = 1;\nlet b = a + \"x\" - 2;\n",
        "kvmlab::script::unknown_function",
        2,
    ),
    (
        "let n = 1;\nprint(m);\n",
        "kvmlab::script::unknown_variable",
        2,
    ),
    (
        "let a = [1, 2];\nlet b = a[5];\n",
        "kvmlab::script::index",
        2,
    ),
    (
        "let z = 0;\nlet q = 10 / z;\n",
        "kvmlab::script::arithmetic",
        2,
    ),
    (
        "\n\nlet i = 0;\nwhile true { i += 1; }\n",
        "kvmlab::sandbox::operations",
        4,
    ),
    ("loop {}\n", "kvmlab::sandbox::operations", 1),
    (
        "fn f(n) { f(n + 1) }\nf(0);\n",
        "kvmlab::sandbox::call_depth",
        2,
    ),
    (
        "fn f(n) { 1 + f(n) }\n\nf(1);\n",
        "kvmlab::sandbox::call_depth",
        3,
    ),
    (
        "let s = \"xx\";\nloop { s += s; }\n",
        "kvmlab::sandbox::data_size",
        2,
    ),
    (
        "let a = [0];\nloop { a += a; }\n",
        "kvmlab::sandbox::data_size",
        2,
    ),
    (
        "let m = #{};\nfor i in 0..1000000 { m.set(`k${i}`, i); }\n",
        "kvmlab::sandbox::data_size",
        2,
    ),
    (
        "let x = eval(\"1 + 1\");\n",
        "kvmlab::script::eval_disabled",
        1,
    ),
    (
        "import \"/etc/passwd\" as p;\n",
        "kvmlab::import::forbidden",
        1,
    ),
    (
        "\nimport \"../secrets\" as s;\n",
        "kvmlab::import::forbidden",
        2,
    ),
    (
        "import \"sub/../../x\" as s;\n",
        "kvmlab::import::forbidden",
        1,
    ),
    ("import \"missing\" as m;\n", "kvmlab::import::not_found", 1),
    (
        "import \"kvmlab/nope\" as m;\n",
        "kvmlab::import::not_found",
        1,
    ),
    (
        "let s = \"日本語\";\nlet t = s.len() + ;\n",
        "kvmlab::script::syntax",
        2,
    ),
    ("let café = 1;\n", "kvmlab::script::syntax", 1),
    ("throw \"trainee gave up\";\n", "kvmlab::script::thrown", 1),
    ("sleep(\"ten\");\n", "kvmlab::script::unknown_function", 1),
    ("sleep(-2);\n", "kvmlab::lab::bad_duration", 1),
];

#[test]
fn every_hostile_script_is_a_clean_diagnostic() {
    for (script, code, line) in CORPUS {
        Test::new()
            .script(script)
            .status(2)
            .diagnostic(code, *line)
            .stderr("help:")
            .run();
    }
}

#[test]
fn deep_nesting_is_refused_by_the_parser() {
    let deep = format!("let x = {}1{};\n", "(".repeat(500), ")".repeat(500));
    Test::new()
        .script(&deep)
        .status(2)
        .diagnostic("kvmlab::sandbox::expression_depth", 1)
        .run();
}

#[test]
fn binary_junk_is_named_by_file_and_line() {
    let mut junk = b"let a = 1;\nlet b = 2;\nlet c = \xff\xfe\x00\x01;\n".to_vec();
    junk.extend((0u8..=255).cycle().take(4096));
    Test::new()
        .file("lab.rhai", &junk)
        .status(2)
        .diagnostic("kvmlab::script::not_text", 3)
        .stderr("lab.rhai:3:9")
        .run();
    // Valid UTF-8 that is not Rhai at all.
    Test::new()
        .file("lab.rhai", "\u{0}\u{1}\u{7f}☃☃☃\n".as_bytes())
        .status(2)
        .diagnostic("kvmlab::script::syntax", 1)
        .run();
}

#[test]
fn symlinks_cannot_lead_out_of_the_lab_folder() {
    let outside = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(outside.path(), "fn x() { 1 }").unwrap();
    let test = Test::new().script("import \"escape\" as e;\n");
    std::os::unix::fs::symlink(outside.path(), test.path().join("escape.rhai")).unwrap();
    test.status(2)
        .diagnostic("kvmlab::import::forbidden", 1)
        .stderr("it links to a file outside the lab's folder")
        .run();
}

#[test]
fn errors_inside_imported_files_point_into_them() {
    let out = Test::new()
        .file("helper.rhai", b"fn boom() {\n  let x = 1;\n  x / 0\n}\n")
        .script("import \"helper\" as h;\nh::boom();\n")
        .json()
        .status(2)
        .run();
    let d = &out.report["diagnostics"][0];
    assert_eq!(d["code"], "kvmlab::script::arithmetic");
    assert_eq!(d["file"], "helper.rhai");
    assert_eq!(d["line"], 3);
    assert!(out.stderr.contains("helper.rhai:3:"), "{}", out.stderr);

    let out = Test::new()
        .file("broken.rhai", b"fn ok() { 1 }\nfn bad( { }\n")
        .script("\nimport \"broken\" as b;\n")
        .json()
        .status(2)
        .run();
    let d = &out.report["diagnostics"][0];
    assert_eq!(d["code"], "kvmlab::script::syntax");
    assert_eq!(d["file"], "broken.rhai");
    assert_eq!(d["line"], 2);
}
