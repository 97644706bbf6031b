//! Grading a class: `kvmlab grade` on classes of 50, 100 and 200 submissions of two
//! exercises, one with a short lab (`network`) and one with the report's whole lab and a live
//! migration under load (`migration-downtime`), at `--jobs 2`. A class is the exercise's own
//! solution, starter and mutants, over and over, as a real class mixes right and wrong work.
//! Each row is the best of three runs; peak memory is the most the grader and its workers held
//! at once (their resident sets summed, sampled every 2 ms from /proc).
//! `cargo bench --bench grading` prints the table the book's performance chapter shows.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn class(exercise: &Path, size: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut scripts = vec![
        exercise.join("solution.rhai"),
        exercise.join("starter.rhai"),
    ];
    let mut mutants: Vec<PathBuf> = std::fs::read_dir(exercise.join("mutants"))
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    mutants.sort();
    scripts.extend(mutants);
    for i in 0..size {
        let from = &scripts[i % scripts.len()];
        std::fs::copy(from, dir.path().join(format!("trainee-{i:03}.rhai"))).unwrap();
    }
    dir
}

/// Resident bytes of `pid` and all its descendants.
fn tree_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let own = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0)
        * 1024;
    let children =
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    own + children
        .split_whitespace()
        .filter_map(|c| c.parse().ok())
        .map(tree_rss)
        .sum::<u64>()
}

/// One graded class: wall time and the peak of the process tree's memory.
fn grade_once(exercise: &Path, class: &Path) -> (Duration, u64) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kvmlab"))
        .args([
            "grade",
            &exercise.to_string_lossy(),
            &class.to_string_lossy(),
        ])
        .args(["--format", "json", "--jobs", "2"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut peak = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        peak = peak.max(tree_rss(child.id()));
        std::thread::sleep(Duration::from_millis(2));
    };
    assert!(status.success(), "kvmlab grade failed: {status}");
    (started.elapsed(), peak)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    println!(
        "{:<20} {:>6} {:>9} {:>12} {:>10}",
        "exercise", "class", "seconds", "ms/trainee", "peak MiB"
    );
    for (name, sizes) in [
        ("network", &[200][..]),
        ("migration-downtime", &[50, 100, 200][..]),
    ] {
        let exercise = root.join("labs/exercises").join(name);
        for &size in sizes {
            let class = class(&exercise, size);
            let runs: Vec<(Duration, u64)> = (0..3)
                .map(|_| grade_once(&exercise, class.path()))
                .collect();
            let best = runs.iter().map(|r| r.0).min().unwrap();
            let peak = runs.iter().map(|r| r.1).max().unwrap();
            println!(
                "{:<20} {:>6} {:>9.2} {:>12.1} {:>10.1}",
                name,
                size,
                best.as_secs_f64(),
                best.as_secs_f64() * 1000.0 / size as f64,
                peak as f64 / (1 << 20) as f64
            );
        }
    }
}
