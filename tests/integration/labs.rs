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

/// The main lab records the report's five measurements, reproduced.
#[test]
fn the_live_migration_lab_reproduces_the_report() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = kvmlab()
        .current_dir(repo_root())
        .args([
            "run",
            "labs/live-migration.rhai",
            "--report",
            "json",
            "--out",
        ])
        .arg(out_dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let values = &report["values"];
    let number = |key: &str| {
        values[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key}: {values}"))
    };
    assert!(
        (number("idle_migration_s") - 36.71).abs() < 0.05,
        "{values}"
    );
    assert!((number("app_migration_s") - 50.17).abs() < 0.05, "{values}");
    assert!(
        (360.0..420.0).contains(&number("ftp_transfer_s")),
        "{values}"
    );
    assert!(
        (2.5..3.5).contains(&number("ftp_rate_during_migration_pct")),
        "{values}"
    );
    assert_eq!(values["ftp_sha256_match"], true);
    let artifacts: Vec<&str> = report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    for plot in [
        "ftp-rate.svg",
        "migration-time-vs-memory-in-use.svg",
        "migration-time-vs-memory-allocated.svg",
    ] {
        let path = out_dir.path().join(plot);
        assert!(artifacts.contains(&path.to_str().unwrap()), "{artifacts:?}");
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg"), "{plot}");
    }
}
