use super::guest::{command_line, domain_xml};
use super::*;
use std::path::Path;

#[test]
fn only_a_guest_dirtying_faster_than_its_cap_without_auto_converge_is_given_up() {
    for point in sweep::full().iter().chain(&sweep::quick()) {
        let predicted = predict(point).unwrap();
        let hopeless = point.dirty_rate() > point.bandwidth && !point.auto_converge;
        if hopeless {
            assert_eq!(predicted.status, Ended::Cancelled, "{}", point.label());
            assert!((predicted.total_time_s - sweep::GIVE_UP_S).abs() < 0.2);
        } else {
            assert_eq!(predicted.status, Ended::Completed, "{}", point.label());
            assert!(
                predicted.total_time_s < sweep::GIVE_UP_S * 0.75,
                "{}: {} s",
                point.label(),
                predicted.total_time_s
            );
        }
    }
    let hopeless = sweep::full()
        .iter()
        .filter(|p| p.dirty_rate() > p.bandwidth && !p.auto_converge)
        .count();
    assert_eq!(hopeless, 2);
}

#[test]
fn the_full_sweep_takes_ten_to_fifteen_minutes_and_the_quick_one_under_two() {
    let full = sweep::full();
    assert_eq!(full.len(), 36);
    let minutes = sweep::expected_seconds(&full) / 60.0;
    assert!(
        (10.0..15.0).contains(&minutes),
        "full sweep: {minutes:.1} min"
    );
    let quick = sweep::quick();
    assert!((4..=6).contains(&quick.len()));
    let seconds = sweep::expected_seconds(&quick);
    assert!(seconds < 120.0, "quick sweep: {seconds:.0} s");
}

#[test]
fn the_full_sweep_covers_every_combination_once() {
    let full = sweep::full();
    let mut keys: Vec<String> = full.iter().map(Point::label).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), full.len());
    assert_eq!(full.iter().filter(|p| p.auto_converge).count(), 18);
    assert!(full
        .iter()
        .all(|p| p.memory == 512 << 20 && p.used == 496 << 20 && p.wss == 128 << 20));
}

#[test]
fn auto_converge_brings_home_a_guest_dirtying_faster_than_its_cap() {
    let hot = sweep::full()
        .into_iter()
        .find(|p| p.auto_converge && p.dirty_rate() > p.bandwidth)
        .unwrap();
    assert!(hot.auto_converge && hot.dirty_rate() > hot.bandwidth);
    let without = Point {
        auto_converge: false,
        ..hot.clone()
    };
    assert_eq!(predict(&without).unwrap().status, Ended::Cancelled);
    assert_eq!(predict(&hot).unwrap().status, Ended::Completed);
}

#[test]
fn a_point_that_never_converges_is_a_cancelled_prediction_at_the_horizon() {
    let point = Point {
        timeout_s: None,
        bandwidth: (32u64 << 20) as f64,
        auto_converge: false,
        ..sweep::quick().pop().unwrap()
    };
    let predicted = predict(&point).unwrap();
    assert_eq!(predicted.status, Ended::Cancelled);
    assert_eq!(predicted.downtime_ms, None);
    assert!((predicted.total_time_s - HORIZON_S).abs() < 0.2);
}

fn figures(status: Ended, seconds: f64, downtime: Option<f64>, bytes: u64, syncs: u32) -> Figures {
    Figures {
        status,
        total_time_s: seconds,
        downtime_ms: downtime,
        transferred: bytes,
        iterations: syncs,
    }
}

#[test]
fn errors_are_relative_to_the_real_run_and_absent_when_runs_ended_differently() {
    let real = figures(Ended::Completed, 10.0, Some(0.0), 1000, 4);
    let predicted = figures(Ended::Completed, 9.5, Some(20.0), 1100, 5);
    let errors = Errors::between(&real, &predicted);
    assert_eq!(errors.total_time, Some(-5.0));
    // A real downtime of 0 ms gives no percentage.
    assert_eq!(errors.downtime, None);
    assert!((errors.transferred.unwrap() - 10.0).abs() < 1e-9);
    assert_eq!(errors.iterations, Some(25.0));
    let cancelled = figures(Ended::Cancelled, 90.0, None, 9000, 40);
    let errors = Errors::between(&real, &cancelled);
    assert_eq!(errors.named().map(|(_, e)| e), [None; 4]);
}

#[test]
fn the_summary_takes_the_median_and_the_worst_absolute_error() {
    let run = |seconds: f64| {
        let text = format!(
            "{{\"ram_mib\": 512, \"used_mib\": 496, \"wss_mib\": 128, \"dirty_pages_per_s\": 0, \"max_bandwidth_Bps\": 67108864, \"downtime_limit_ms\": 300, \"capabilities\": [], \"result\": {{\"status\": \"completed\", \"total-time\": {seconds}, \"downtime\": 34, \"transferred\": 521589504, \"dirty-sync-count\": 3}}}}"
        );
        records::parse(&text, "f").unwrap().remove(0)
    };
    // kvmlab predicts 7.537 s for this guest.
    let calibration = compare("test".into(), vec![run(7537.0), run(7000.0), run(8000.0)]).unwrap();
    let time = calibration.summary.total_time.unwrap();
    let errors: Vec<f64> = calibration
        .rows
        .iter()
        .map(|r| r.error_pct.total_time.unwrap().abs())
        .collect();
    assert!(errors[0] < 0.01);
    assert_eq!(time.median_pct, errors[2]);
    assert_eq!(time.worst_pct, errors[1]);
    assert_eq!(time.worst_row, 2);
    assert_eq!(time.rows, 3);
    let syncs = calibration.summary.iterations.unwrap();
    assert_eq!((syncs.median_pct, syncs.worst_pct), (0.0, 0.0));
}

#[test]
fn a_real_run_written_as_a_record_reads_back_the_same() {
    let point = sweep::quick().pop().unwrap();
    let real = figures(Ended::Completed, 12.345, Some(17.5), 812_345_678, 9);
    let line = records::to_line(Some("lab"), &point, &real);
    let (source, read, figures) = records::parse(&line, "f").unwrap().remove(0);
    assert_eq!(source.as_deref(), Some("lab"));
    assert_eq!(read, point);
    assert_eq!(figures, real);
    let untouched = Point {
        untouched: 16 << 20,
        ..point.clone()
    };
    let line = records::to_line(None, &untouched, &real);
    assert!(line.contains("\"untouched_mib\":16"), "{line}");
    assert_eq!(records::parse(&line, "f").unwrap()[0].1, untouched);
    let cancelled = figures_cancelled();
    let line = records::to_line(None, &point, &cancelled);
    assert!(!line.contains("downtime\""), "{line}");
    assert_eq!(records::parse(&line, "f").unwrap()[0].2, cancelled);
}

fn figures_cancelled() -> Figures {
    figures(Ended::Cancelled, 90.0, None, 5_000_000_000, 120)
}

#[test]
fn blank_lines_are_skipped_and_line_numbers_count_them() {
    let good = records::to_line(None, &sweep::quick()[0], &figures_cancelled());
    let text = format!("\n{good}\n\n{{\"ram_mib\": -1}}\n");
    let error = records::parse(&text, "runs.jsonl").unwrap_err();
    assert_eq!(error.code_str(), "kvmlab::calibrate::bad_record");
    assert!(
        error.to_string().starts_with(
            "line 4 of `runs.jsonl` is not a recorded migration: invalid value: integer `-1`"
        ),
        "{error}"
    );
}

#[test]
fn a_status_from_the_file_is_shown_escaped() {
    let good = records::to_line(None, &sweep::quick()[0], &figures_cancelled());
    let text = good.replace("\"cancelled\"", "\"\\u001b[32mPASS\"");
    let error = records::parse(&text, "f").unwrap_err().to_string();
    assert!(
        error.contains("`result.status` is `\\x1b[32mPASS`"),
        "{error}"
    );
}

fn lab() -> RealLab {
    RealLab {
        dir: PathBuf::from("/var/lib/kvmlab"),
        source: RealHost {
            name: "sv1".into(),
            uri: "qemu+unix:///system?socket=/var/lib/kvmlab/sv1/run/libvirt-sock".into(),
            migration_uri: "tcp://127.0.0.1".into(),
        },
        destination: RealHost {
            name: "sv2".into(),
            uri: "qemu+unix:///system?socket=/var/lib/kvmlab/sv2/run/libvirt-sock".into(),
            migration_uri: "tcp://127.0.0.1".into(),
        },
        workload_kernel: PathBuf::from("/var/lib/kvmlab/images/workload.elf"),
        domain_type: "kvm".into(),
    }
}

#[test]
fn the_workload_kernel_is_told_the_points_memory_and_rate() {
    let point = &sweep::quick()[1];
    assert_eq!(
        command_line(point),
        "kvmlab.used=520093696 kvmlab.wss=134217728 kvmlab.rate=16777216"
    );
    let xml = domain_xml("d<1>", point, &lab(), Path::new("/tmp/x/point-2.log"));
    for part in [
        "<domain type='kvm'>",
        "<name>d&lt;1&gt;</name>",
        "<memory unit='KiB'>524288</memory>",
        "<kernel>/var/lib/kvmlab/images/workload.elf</kernel>",
        "<cmdline>kvmlab.used=520093696 kvmlab.wss=134217728 kvmlab.rate=16777216</cmdline>",
        "<serial type='file'>",
        "<source path='/tmp/x/point-2.log'/>",
    ] {
        assert!(xml.contains(part), "{part}\n{xml}");
    }
    assert!(!xml.contains("<disk"), "no disk: only memory to migrate");
}

/// libvirt's schema is the oracle: `virt-xml-validate` from libvirt-clients.
#[test]
fn libvirt_accepts_the_workload_guest() {
    let file = std::env::temp_dir().join(format!("kvmlab-calibrate-{}.xml", std::process::id()));
    let xml = domain_xml(
        "kvmlab-calibrate",
        &sweep::quick()[0],
        &lab(),
        Path::new("/tmp/serial.log"),
    );
    std::fs::write(&file, &xml).unwrap();
    let result = std::process::Command::new("virt-xml-validate")
        .arg(&file)
        .arg("domain")
        .output();
    let _ = std::fs::remove_file(&file);
    match result {
        Ok(out) => assert!(
            out.status.success(),
            "libvirt rejects the XML:\n{}\n{xml}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => crate::oracle::unavailable("virt-xml-validate", &e.to_string()),
    }
}

#[test]
fn a_file_holds_at_most_a_thousand_records() {
    let line = records::to_line(None, &sweep::quick()[0], &figures_cancelled());
    let text = format!("{line}\n").repeat(records::MAX_RECORDS + 1);
    let error = records::parse(&text, "f").unwrap_err();
    assert_eq!(
        error.to_string(),
        "line 1001 of `f` is not a recorded migration: more than 1000 records"
    );
    let text = format!("{line}\n").repeat(records::MAX_RECORDS);
    assert_eq!(records::parse(&text, "f").unwrap().len(), 1000);
}

/// Every published QEMU 7.2 run at layout seed 0: total time within 1 %, bytes within
/// 0.5 %, downtime within 2× or 10 ms, dirty-sync-count within 1.
#[test]
fn every_published_run_is_met_at_layout_seed_0() {
    let text = include_str!("../../../tests/calibration/qemu-7.2-migrations.jsonl");
    let runs = records::parse(text, "qemu-7.2-migrations.jsonl").unwrap();
    assert_eq!(runs.len(), 19);
    let mut misses = Vec::new();
    for (number, (source, point, real)) in runs.iter().enumerate() {
        let predicted = predict(point).unwrap();
        let time = (predicted.total_time_s - real.total_time_s) / real.total_time_s;
        let bytes =
            (predicted.transferred as f64 - real.transferred as f64) / real.transferred as f64;
        let (real_ms, ms) = (real.downtime_ms.unwrap(), predicted.downtime_ms.unwrap());
        let downtime_met =
            (ms - real_ms).abs() <= 10.0 || (ms <= 2.0 * real_ms && real_ms <= 2.0 * ms);
        let syncs = i64::from(predicted.iterations) - i64::from(real.iterations);
        if time.abs() > 0.01 || bytes.abs() > 0.005 || !downtime_met || syncs.abs() > 1 {
            misses.push(format!(
                "#{} {} {}: time {:+.2} %, bytes {:+.2} %, downtime {ms:.1} ms against {real_ms}, syncs {syncs:+}",
                number + 1,
                source.as_deref().unwrap_or(""),
                point.label(),
                time * 100.0,
                bytes * 100.0
            ));
        }
    }
    assert!(misses.is_empty(), "{}", misses.join("\n"));
}
