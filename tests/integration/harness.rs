//! A fluent builder for driving the real `kvmlab` binary:
//! `Test::new().script("...").status(2).diagnostic("kvmlab::...", 3).run()`.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

pub struct Test {
    dir: tempfile::TempDir,
    args: Vec<String>,
    expected_status: Option<i32>,
    stdout_has: Vec<String>,
    stderr_has: Vec<String>,
    diagnostics: Vec<(String, usize)>,
    json: bool,
}

pub struct Output {
    pub stdout: String,
    pub stderr: String,
    /// The parsed report, when the test asked for `--report json`.
    pub report: Value,
}

/// Text as words, without the line breaks and `|` gutters miette adds to fit 80 columns, so
/// a test can look for a sentence wherever the console wrapped it.
pub fn unwrapped(text: &str) -> String {
    text.split_whitespace()
        .filter(|word| !matches!(*word, "|" | "│"))
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn kvmlab() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kvmlab"));
    command.env_remove("NO_COLOR");
    command
}

/// The repository's root, where `labs/` and `book/` are.
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

impl Test {
    pub fn new() -> Test {
        Test {
            dir: tempfile::tempdir().expect("a temporary directory"),
            args: vec!["run".into(), "lab.rhai".into()],
            expected_status: None,
            stdout_has: Vec::new(),
            stderr_has: Vec::new(),
            diagnostics: Vec::new(),
            json: false,
        }
    }

    /// The lab's folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The lab under test, written as `lab.rhai`.
    pub fn script(self, text: &str) -> Test {
        self.file("lab.rhai", text.as_bytes())
    }

    /// Any further file in the lab's folder.
    pub fn file(self, name: &str, bytes: &[u8]) -> Test {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create the folder");
        }
        std::fs::write(path, bytes).expect("write the file");
        self
    }

    pub fn args(mut self, args: &[&str]) -> Test {
        self.args = args.iter().map(|a| a.to_string()).collect();
        self
    }

    /// Runs with `--report json` and parses stdout.
    pub fn json(mut self) -> Test {
        self.json = true;
        self
    }

    pub fn status(mut self, status: i32) -> Test {
        self.expected_status = Some(status);
        self
    }

    pub fn stdout(mut self, text: &str) -> Test {
        self.stdout_has.push(text.into());
        self
    }

    pub fn stderr(mut self, text: &str) -> Test {
        self.stderr_has.push(text.into());
        self
    }

    /// Expects a diagnostic with this code at this line of `lab.rhai`, both in the JSON
    /// report and in the rendered text on stderr (a warning the lab expects is only in the
    /// report, unless the test passes `--verbose`).
    pub fn diagnostic(mut self, code: &str, line: usize) -> Test {
        self.json = true;
        self.diagnostics.push((code.into(), line));
        self
    }

    pub fn run(self) -> Output {
        let mut args = self.args.clone();
        if self.json {
            args.extend(["--report".into(), "json".into()]);
        }
        let output = kvmlab()
            .args(&args)
            .current_dir(self.dir.path())
            .output()
            .expect("run kvmlab");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let status = output
            .status
            .code()
            .expect("kvmlab exited, not killed by a signal");
        assert!(!stderr.contains("panicked"), "kvmlab panicked:\n{stderr}");
        let context = format!("args {args:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
        if let Some(expected) = self.expected_status {
            assert_eq!(status, expected, "exit status\n{context}");
        }
        for text in &self.stdout_has {
            assert!(
                stdout.contains(text.as_str()),
                "stdout lacks {text:?}\n{context}"
            );
        }
        let unwrapped = unwrapped(&stderr);
        for text in &self.stderr_has {
            assert!(
                stderr.contains(text.as_str()) || unwrapped.contains(&self::unwrapped(text)),
                "stderr lacks {text:?}\n{context}"
            );
        }
        let report = if self.json {
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("bad JSON ({e})\n{context}"))
        } else {
            Value::Null
        };
        for (code, line) in &self.diagnostics {
            let found = report["diagnostics"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|d| {
                    d["code"] == code.as_str() && d["line"] == *line && d["file"] == "lab.rhai"
                });
            let Some(found) = found else {
                panic!("no diagnostic {code} at line {line}\n{context}");
            };
            if found["expected"] == true && !args.iter().any(|a| a == "--verbose") {
                // The console keeps a warning the lab expects off stderr; the report has it.
                continue;
            }
            assert!(
                stderr.contains(code.as_str()),
                "stderr lacks {code}\n{context}"
            );
            assert!(
                stderr.contains(&format!("lab.rhai:{line}")),
                "stderr does not point at lab.rhai:{line}\n{context}"
            );
        }
        Output {
            stdout,
            stderr,
            report,
        }
    }
}
