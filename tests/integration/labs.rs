//! Every lab in `labs/` runs to the end with every check passing.

use crate::harness::{kvmlab, repo_root};

#[test]
fn every_lab_passes() {
    let mut ran = 0;
    for entry in std::fs::read_dir(repo_root().join("labs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rhai") {
            continue;
        }
        let lab = format!("labs/{}", path.file_name().unwrap().to_string_lossy());
        let out_dir = tempfile::tempdir().unwrap();
        let out = kvmlab()
            .current_dir(repo_root())
            .args(["run", &lab, "--report", "json", "--out"])
            .arg(out_dir.path())
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{lab}: {report:#}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(report["failed"], 0, "{lab}");
        assert!(
            report["passed"].as_u64().unwrap() > 0,
            "{lab} checks nothing"
        );
        ran += 1;
    }
    assert!(ran >= 1);
}
