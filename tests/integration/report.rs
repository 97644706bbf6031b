//! The JSON report's shape and its determinism.

use crate::harness::{kvmlab, repo_root};
use serde_json::Value;

/// Runs a lab with its files written under `out_dir`.
fn json_of(lab: &str, seed: &str, out_dir: &std::path::Path) -> (String, Value) {
    let out = kvmlab()
        .current_dir(repo_root())
        .args(["run", lab, "--report", "json", "--seed", seed, "--out"])
        .arg(out_dir)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let value = serde_json::from_str(&text).unwrap();
    (text, value)
}

#[test]
fn the_report_has_the_documented_shape() {
    let (_, report) = json_of(
        "labs/00-first-lab.rhai",
        "0",
        tempfile::tempdir().unwrap().path(),
    );
    let keys: Vec<_> = report.as_object().unwrap().keys().cloned().collect();
    for key in [
        "lab",
        "backend",
        "passed",
        "failed",
        "steps",
        "values",
        "artifacts",
        "diagnostics",
    ] {
        assert!(keys.contains(&key.to_string()), "missing {key}: {keys:?}");
    }
    assert_eq!(report["lab"], "00-first-lab");
    assert_eq!(report["backend"], "sim");
    assert_eq!(report["failed"], 0);
    assert_eq!(report["passed"], 9);
    let step = &report["steps"][0];
    assert_eq!(step["title"], "Simulated time");
    let check = &step["checks"][0];
    assert_eq!(check["name"], "the clock starts at zero");
    assert_eq!(check["passed"], true);
    assert!(check["message"].is_string());
}

#[test]
fn same_script_and_seed_give_byte_identical_reports() {
    let labs = std::fs::read_dir(repo_root().join("labs")).unwrap();
    for entry in labs {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rhai") {
            let lab = format!("labs/{}", path.file_name().unwrap().to_string_lossy());
            let out_dir = tempfile::tempdir().unwrap();
            let (first, _) = json_of(&lab, "42", out_dir.path());
            let (second, _) = json_of(&lab, "42", out_dir.path());
            assert_eq!(first, second, "{lab} is not deterministic");
        }
    }
}
