//! `kvmlab calibrate`: recorded QEMU 7.2 runs beside the simulator's prediction (default
//! build, no lab), and on a real `kvmlab up` lab (`--features libvirt`, `KVMLAB_REAL_TESTS=1`).

use crate::harness::{repo_root, Test};
use serde_json::Value;

/// Four real QEMU 7.2 / KVM migrations: the three calibration runs and one of fig. 19's.
fn sample() -> Vec<u8> {
    std::fs::read(repo_root().join("tests/calibration/qemu-7.2-sample.jsonl")).unwrap()
}

fn against(args: &[&str]) -> Test {
    let mut all = vec!["calibrate", "--against", "runs.jsonl"];
    all.extend_from_slice(args);
    Test::new().file("runs.jsonl", &sample()).args(&all)
}

#[test]
fn each_record_is_a_row_of_real_beside_predicted_with_the_error() {
    let out = against(&["--color", "never"])
        .status(0)
        .stdout("real: records runs.jsonl, 4 migration(s)\n")
        .stdout("a 20 Gbit/s link: loopback is faster than every cap here, so pre-copy runs at each point's cap and only the stop-and-copy at link speed")
        .run();
    let header = out
        .stdout
        .lines()
        .find(|l| l.starts_with("| #"))
        .expect("a header row");
    let columns: Vec<&str> = header.trim_matches('|').split('|').map(str::trim).collect();
    assert_eq!(
        columns,
        [
            "#",
            "point",
            "time s",
            "kvmlab",
            "err",
            "downtime ms",
            "kvmlab",
            "err",
            "MB",
            "kvmlab",
            "err",
            "syncs",
            "kvmlab",
            "err"
        ]
    );
    let rows: Vec<Vec<&str>> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| #") && !l.starts_with("|  "))
        .map(|l| l.trim_matches('|').split('|').map(str::trim).collect())
        .collect();
    assert_eq!(rows.len(), 4, "{}", out.stdout);
    // The idle calibration guest: 7.543 s in QEMU, 7.537 s predicted.
    assert_eq!(
        rows[0],
        [
            "1",
            "0 MiB/s dirty, 64 MiB/s cap, 300 ms",
            "7.543",
            "7.537",
            "−0.08 %",
            "36.0",
            "37.3",
            "+3.55 %",
            "521.4",
            "521.6",
            "+0.04 %",
            "3",
            "3",
            "+0.00 %"
        ]
    );
    // 16 MiB/s: one sync more than QEMU, and 3.4 ms more of downtime.
    assert_eq!(
        rows[1],
        [
            "2",
            "16 MiB/s dirty, 64 MiB/s cap, 300 ms",
            "10.018",
            "10.010",
            "−0.08 %",
            "7.0",
            "10.4",
            "+48.95 %",
            "689.6",
            "687.5",
            "−0.30 %",
            "6",
            "7",
            "+16.67 %"
        ]
    );
    assert_eq!(rows[3][1], "16 MiB/s dirty, 128 MiB/s cap, 300 ms");
    assert!(
        out.stdout
            .contains("| 512 MiB, 384 used, 128 wss · fig19-D #1 "),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.ends_with(
            "median |error|: total time 0.09 % (worst 0.45 %, #4; 4 compared); downtime 19.06 % (worst 48.95 %, #2; 4 compared); bytes 0.05 % (worst 0.30 %, #2; 4 compared); syncs 0.00 % (worst 16.67 %, #2; 4 compared)\n"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn json_has_each_point_its_figures_errors_and_the_summary() {
    let results = tempfile::tempdir().unwrap();
    let out_dir = results.path().to_str().unwrap();
    let written = results.path().join("calibration.json");
    let out = against(&["--json", "calibration.json", "--out", out_dir])
        .status(0)
        .run();
    assert!(
        out.stdout.contains(&format!("wrote {}", written.display())),
        "{}",
        out.stdout
    );
    let json: Value = serde_json::from_str(&std::fs::read_to_string(written).unwrap()).unwrap();
    assert_eq!(json["real_source"], "records runs.jsonl");
    assert_eq!(json["profile"], "modern");
    assert_eq!(json["link_bytes_per_s"], 2.5e9);
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    let third = &rows[2];
    assert_eq!(third["source"], "calibration");
    assert_eq!(third["point"]["memory"], 512u64 << 20);
    assert_eq!(third["point"]["used"], 496u64 << 20);
    assert_eq!(third["point"]["wss"], 128u64 << 20);
    assert_eq!(third["point"]["dirty_pages_per_s"], 12288.0);
    assert_eq!(third["point"]["bandwidth"], 67108864.0);
    assert_eq!(third["point"]["downtime_limit_ms"], 300.0);
    assert_eq!(third["point"]["auto_converge"], false);
    assert_eq!(third["real"]["status"], "completed");
    assert_eq!(third["real"]["total_time_s"], 14.427);
    assert_eq!(third["real"]["downtime_ms"], 11.0);
    assert_eq!(third["real"]["transferred"], 986369536u64);
    assert_eq!(third["real"]["iterations"], 16);
    assert_eq!(third["predicted"]["status"], "completed");
    assert_eq!(third["predicted"]["iterations"], 16);
    let predicted = third["predicted"]["total_time_s"].as_f64().unwrap();
    let error = third["error_pct"]["total_time"].as_f64().unwrap();
    assert!((error - (predicted - 14.427) / 14.427 * 100.0).abs() < 1e-9);
    assert_eq!(third["error_pct"]["iterations"], 0.0);
    let summary = &json["summary"]["iterations"];
    assert_eq!(summary["worst_row"], 2);
    assert_eq!(summary["rows"], 4);
    assert!((summary["worst_pct"].as_f64().unwrap() - 100.0 / 6.0).abs() < 1e-9);
}

#[test]
fn the_svg_plots_predicted_against_real_under_out() {
    let results = tempfile::tempdir().unwrap();
    let out_dir = results.path().to_str().unwrap();
    let written = results.path().join("plots/calibration.svg");
    let out = against(&["--svg", "plots/calibration.svg", "--out", out_dir])
        .status(0)
        .run();
    assert!(out.stdout.contains(&format!("wrote {}", written.display())));
    let svg = std::fs::read_to_string(written).unwrap();
    assert!(
        svg.starts_with("<svg width=\"960\" height=\"440\""),
        "{svg}"
    );
    for text in [
        "Total time",
        "Downtime",
        "real QEMU (s)",
        "kvmlab (ms)",
        "exact",
    ] {
        assert!(svg.contains(text), "{text}");
    }
    // A dot per point in each panel, and each panel's legend swatch.
    assert_eq!(svg.matches("<circle").count(), 2 * 4 + 2);
}

#[test]
fn files_go_only_under_out() {
    against(&["--json", "../escape.json"])
        .status(1)
        .stderr("kvmlab::artifact::bad_name")
        .run();
}

#[test]
fn a_bad_line_names_its_number_and_fixing_it_as_the_help_says_works() {
    let sample = String::from_utf8(sample()).unwrap();
    let lines: Vec<String> = sample
        .lines()
        .enumerate()
        .map(|(i, line)| match i {
            // A copy that lost the bandwidth field.
            2 => line.replace("\"max_bandwidth_Bps\": 67108864, ", ""),
            _ => line.to_string(),
        })
        .collect();
    let out = Test::new()
        .file("runs.jsonl", lines.join("\n").as_bytes())
        .args(&["calibrate", "--against", "runs.jsonl"])
        .status(1)
        .stderr("kvmlab::calibrate::bad_record")
        .stderr("line 3 of `runs.jsonl` is not a recorded migration: missing field `max_bandwidth_Bps` (column")
        .stderr("`max_bandwidth_Bps`, `downtime_limit_ms`")
        .run();
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    // The help names the field: put it back and the file compares.
    Test::new()
        .file("runs.jsonl", sample.as_bytes())
        .args(&["calibrate", "--against", "runs.jsonl"])
        .status(0)
        .stdout("4 migration(s)")
        .run();
}

#[test]
fn a_capability_the_simulator_does_not_model_is_refused_by_line() {
    let mut text = sample();
    text.extend_from_slice(b"\n");
    let xbzrle = String::from_utf8(sample())
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .replace("\"capabilities\": []", "\"capabilities\": [\"xbzrle\"]");
    text.extend_from_slice(xbzrle.as_bytes());
    Test::new()
        .file("runs.jsonl", &text)
        .args(&["calibrate", "--against", "runs.jsonl"])
        .status(1)
        .stderr("line 6 of `runs.jsonl` is not a recorded migration: capability `xbzrle` is not one the simulator models (it models `auto-converge`)")
        .run();
}

#[test]
fn a_record_the_engine_refuses_is_refused_by_line() {
    let line = String::from_utf8(sample())
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .replace("\"used_mib\": 496", "\"used_mib\": 600");
    Test::new()
        .file("runs.jsonl", line.as_bytes())
        .args(&["calibrate", "--against", "runs.jsonl"])
        .status(1)
        .stderr("kvmlab::calibrate::bad_record")
        .stderr("line 1 of `runs.jsonl` is not a recorded migration: guest memory does not add up: size 536870912 B, used 629145600 B, working set 134217728 B, never touched 0 B (the working set is part of the used memory")
        .run();
}

#[test]
fn an_empty_or_missing_file_has_nothing_to_compare() {
    Test::new()
        .file("runs.jsonl", b"\n\n")
        .args(&["calibrate", "--against", "runs.jsonl"])
        .status(1)
        .stderr("kvmlab::calibrate::no_records")
        .stderr("cannot compare against `runs.jsonl`: it holds no record")
        .run();
    Test::new()
        .args(&["calibrate", "--against", "none.jsonl"])
        .status(1)
        .stderr("cannot compare against `none.jsonl`: No such file or directory")
        .run();
}

#[test]
fn a_lab_flag_with_against_is_a_usage_error() {
    against(&["--quick"])
        .status(64)
        .stderr("cannot be used with")
        .run();
}

#[cfg(not(feature = "libvirt"))]
#[test]
fn a_real_calibration_needs_the_libvirt_build() {
    Test::new()
        .args(&["calibrate", "--quick"])
        .status(1)
        .stderr("kvmlab::libvirt::not_built")
        .stderr("this kvmlab was built without the libvirt backend")
        .stderr("cargo build --features libvirt")
        .run();
}

/// The quick sweep on a `kvmlab up` lab (`KVMLAB_REAL_LAB`, default /var/lib/kvmlab), whose
/// lab.toml names the workload kernel: a row per point with real figures.
#[cfg(feature = "libvirt")]
#[test]
fn the_quick_sweep_migrates_each_point_on_a_real_lab() {
    if std::env::var("KVMLAB_REAL_TESTS").as_deref() != Ok("1") {
        eprintln!(
            "skipped: set KVMLAB_REAL_TESTS=1 (root, a `kvmlab up` lab) to migrate on real hosts"
        );
        return;
    }
    // Its migrations load the hosts that the migration tests time.
    let _turn = crate::real_lab::ONE_LAB
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let lab = std::env::var("KVMLAB_REAL_LAB").unwrap_or_else(|_| "/var/lib/kvmlab".into());
    let results = tempfile::tempdir().unwrap();
    let out_dir = results.path().to_str().unwrap();
    let json = results.path().join("quick.json");
    let test = Test::new().args(&[
        "calibrate",
        "--quick",
        "--lab",
        &lab,
        "--guest",
        "d-calibrate",
        "--json",
        "quick.json",
        "--record",
        "quick.jsonl",
        "--out",
        out_dir,
        "--color",
        "never",
    ]);
    let out = test
        .status(0)
        .stdout(&format!("real: lab {lab}, 5 migration(s)"))
        .run();
    println!("{}", out.stdout);
    let json: Value = serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    for row in rows {
        assert_eq!(row["real"]["status"], "completed", "{row}");
        assert!(row["real"]["total_time_s"].as_f64().unwrap() > 0.5, "{row}");
        assert!(
            row["real"]["transferred"].as_u64().unwrap() > 400 << 20,
            "{row}"
        );
        assert!(row["real"]["iterations"].as_u64().unwrap() >= 2, "{row}");
    }
}

/// The book's figures: every recorded QEMU 7.2 run.
#[test]
fn the_books_summary_of_all_recorded_runs() {
    let runs =
        std::fs::read(repo_root().join("tests/calibration/qemu-7.2-migrations.jsonl")).unwrap();
    let out = Test::new()
        .file("runs.jsonl", &runs)
        .args(&["calibrate", "--against", "runs.jsonl"])
        .status(0)
        .stdout("19 migration(s)")
        .stdout("median |error|: total time 0.32 % (worst 0.63 %, #12; 19 compared); downtime 33.01 % (worst 301.97 %, #5; 19 compared); bytes 0.00 % (worst 0.30 %, #2; 19 compared); syncs 0.00 % (worst 16.67 %, #2; 19 compared)\n")
        .run();
    assert!(
        out.stdout
            .contains("|  3.015 |  3.005 | −0.32 % |         3.0 |    4.0 |"),
        "{}",
        out.stdout
    );
    // Nothing was left to send when the guest stopped: the 4 ms of stopping, against 1 ms.
    assert!(
        out.stdout.contains("|         1.0 |    4.0 | +301.97 % |"),
        "{}",
        out.stdout
    );
}

/// The book's table of the quick sweep measured on a `kvmlab up` lab of this machine.
#[test]
fn the_books_quick_sweep_on_this_machine() {
    let runs =
        std::fs::read(repo_root().join("tests/calibration/kvmlab-up-quick-tcg.jsonl")).unwrap();
    let out = Test::new()
        .file("runs.jsonl", &runs)
        .args(&["calibrate", "--against", "runs.jsonl"])
        .status(0)
        .stdout("5 migration(s)")
        .stdout("median |error|: total time 9.73 % (worst 13.96 %, #5; 5 compared); downtime 62.76 % (worst 74.87 %, #3; 5 compared); bytes 0.54 % (worst 11.35 %, #5; 5 compared); syncs 0.00 % (worst 25.00 %, #5; 5 compared)\n")
        .run();
    for row in [
        "|  8.350 |  7.537 |  −9.73 % |        27.0 |   37.3 |",
        "| 15.238 | 13.111 | −13.96 % |        43.0 |   11.5 |",
        "| 1013.3 |  898.3 | −11.35 % |    16 |     12 | −25.00 % |",
    ] {
        assert!(out.stdout.contains(row), "{row}\n{}", out.stdout);
    }
}

/// The book's summary of the full sweep measured on this machine.
#[test]
fn the_books_full_sweep_on_this_machine() {
    let runs =
        std::fs::read(repo_root().join("tests/calibration/kvmlab-up-full-tcg.jsonl")).unwrap();
    let out = Test::new()
        .file("runs.jsonl", &runs)
        .args(&["calibrate", "--against", "runs.jsonl"])
        .status(0)
        .stdout("36 migration(s)")
        .stdout("median |error|: total time 4.42 % (worst 14.80 %, #21; 34 compared); downtime 68.44 % (worst 95.63 %, #34; 32 compared); bytes 0.19 % (worst 11.86 %, #32; 34 compared); syncs 0.00 % (worst 31.25 %, #30; 34 compared)\n")
        .run();
    // Auto-converge at 48 MiB/s against 32 MiB/s: QEMU gave up at 90 s, kvmlab did not.
    assert_eq!(
        out.stdout.matches("real cancelled at 90.").count(),
        4,
        "{}",
        out.stdout
    );
    assert_eq!(
        out.stdout.matches("kvmlab cancelled at 90.0 s").count(),
        2,
        "{}",
        out.stdout
    );
}
