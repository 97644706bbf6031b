//! How diagnostics read: codes, positions in characters, help lines with suggestions.

use crate::harness::Test;

#[test]
fn columns_count_characters_on_multibyte_lines() {
    // `ü`, `漢` and `😀` take 2, 3 and 4 bytes; the column counts each as one.
    let out = Test::new()
        .script("let s = \"ü漢😀\"; let t = nope;\n")
        .json()
        .status(2)
        .run();
    let d = &out.report["diagnostics"][0];
    assert_eq!(d["code"], "kvmlab::script::unknown_variable");
    assert_eq!(d["line"], 1);
    assert_eq!(d["column"], 24);
    assert!(out.stderr.contains("[lab.rhai:1:24]"), "{}", out.stderr);
    assert!(
        out.stderr.contains("let s = \"ü漢😀\"; let t = nope;"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_property_of_nothing_names_the_unit_value() {
    let out = Test::new()
        .script("let s = \"\";\nlet t = s.pad(10, \"A\");\nprint(t.len);\n")
        .json()
        .status(2)
        .diagnostic("kvmlab::script::unknown_property", 3)
        .run();
    let d = &out.report["diagnostics"][0];
    assert_eq!(d["message"], "unknown property `len` on ()");
    assert_eq!(
        d["help"],
        "the value is `()`, nothing: the map or object it came from has no such key"
    );
}

#[test]
fn crlf_line_endings_keep_lines_right() {
    Test::new()
        .script("let a = 1;\r\nlet b = 2;\r\nprint(c);\r\n")
        .status(2)
        .diagnostic("kvmlab::script::unknown_variable", 3)
        .stderr("lab.rhai:3:7")
        .run();
}

#[test]
fn unknown_functions_suggest_the_near_name() {
    Test::new()
        .script("step(\"a\");\nchek(true, \"x\");\n")
        .status(2)
        .diagnostic("kvmlab::script::unknown_function", 2)
        .stderr("help: did you mean `check`?")
        .run();
    Test::new()
        .script("recrod(\"k\", 1);\n")
        .status(2)
        .stderr("help: did you mean `record`?")
        .run();
}

#[test]
fn wrong_arguments_list_the_real_signatures() {
    Test::new()
        .script("check(1, \"not a bool\");\n")
        .status(2)
        .diagnostic("kvmlab::script::unknown_function", 1)
        .stderr("`check` takes other arguments:")
        .stderr("check(condition: bool, name: String)")
        .run();
}

#[test]
fn a_misshapen_check_says_how_check_is_written() {
    let usage = "help: write `check(condition, name)` or `check(condition, name, message)`";
    for (script, message) in [
        (
            "let n = 1;\ncheck(n == 1);\n",
            "expected `,` and a name after check's condition",
        ),
        (
            "let n = 1;\ncheck n == 1, \"one\";\n",
            "expected `(` after `check`",
        ),
        (
            "let n = 1;\ncheck(n == 1, \"one\", \"a\", \"b\");\n",
            "expected `)` to close check",
        ),
        (
            "let n = 1;\ncheck(n = 1, \"one\");\n",
            "expected `==` to compare in check's condition (`=` assigns)",
        ),
    ] {
        Test::new()
            .script(script)
            .status(2)
            .diagnostic("kvmlab::script::syntax", 2)
            .stderr(message)
            .stderr(usage)
            .run();
    }
    // The advice, applied, makes a lab that runs.
    Test::new()
        .script("let n = 1;\ncheck(n == 1, \"one\");\n")
        .status(0)
        .run();
}

#[test]
fn unknown_variables_suggest_declared_names() {
    Test::new()
        .script("let host = 1;\nprint(hsot);\n")
        .status(2)
        .diagnostic("kvmlab::script::unknown_variable", 2)
        .stderr("help: did you mean `host`?")
        .run();
    Test::new()
        .script("print(bridge);\n")
        .status(2)
        .stderr("help: declare it first: `let bridge = ...;`")
        .run();
}

#[test]
fn errors_raised_inside_the_stdlib_point_at_the_trainees_line() {
    let out = Test::new()
        .script("import \"kvmlab/checks\" as c;\n\nlet p = c::percent(1, 0);\n")
        .json()
        .status(2)
        .run();
    let d = &out.report["diagnostics"][0];
    assert_eq!(d["code"], "kvmlab::script::thrown");
    assert_eq!(d["file"], "lab.rhai");
    assert_eq!(d["line"], 3);
    assert_eq!(d["inside"]["file"], "kvmlab/checks");
    assert!(
        out.stderr.contains("raised inside kvmlab/checks:"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_report_keeps_everything_before_the_error() {
    let out = Test::new()
        .script("step(\"One\");\ncheck(true, \"kept\");\nrecord(\"v\", 1);\nstep(\"Two\");\nsleep(-1);\ncheck(true, \"never\");\n")
        .json()
        .status(2)
        .run();
    assert_eq!(out.report["passed"], 1);
    assert_eq!(out.report["values"]["v"], 1);
    assert_eq!(out.report["steps"][1]["title"], "Two");
    let d = &out.report["diagnostics"][0];
    assert_eq!(d["code"], "kvmlab::lab::bad_duration");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["message"], "cannot sleep for -1 s");
    assert_eq!(d["line"], 5);
}
