//! kvmlab's migration engine beside SimGrid's live-migration plugin, timed the same way: the
//! wall time of one whole simulated migration in a warm process, the median of many, for each
//! of the 19 published QEMU 7.2 runs (kvmlab: `calibration::predict`, what `kvmlab calibrate
//! --against` runs; SimGrid: `sg_vm_migrate` in `benches/simgrid/migrate.cpp`, built here
//! against Debian's libsimgrid-dev). Prints a table of both engines' time per migration and
//! their predicted total times beside QEMU's, and checks the goal: every row under 40 µs.
//!
//! `cargo bench --bench versus_simgrid`; without SimGrid installed it times kvmlab alone and
//! says how to install it. The two models differ (SimGrid moves the RAM as one transfer and
//! then the dirtied bytes, at a fixed 30 ms downtime target), so the times compare engines
//! doing the same job, not the same arithmetic.

use kvmlab_runtime::calibration::{predict, records, Point};
use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const REPETITIONS: usize = 400;
const GOAL_US: f64 = 40.0;
const MIB: f64 = 1024.0 * 1024.0;

struct Timed {
    median_us: f64,
    simulated_s: f64,
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn time_kvmlab(point: &Point) -> Timed {
    let figures = predict(point).expect("a prediction");
    for _ in 0..REPETITIONS / 10 {
        black_box(predict(black_box(point)).ok());
    }
    let samples = (0..REPETITIONS)
        .map(|_| {
            let start = Instant::now();
            black_box(predict(black_box(point)).ok());
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    Timed {
        median_us: median(samples),
        simulated_s: figures.total_time_s,
    }
}

/// Builds the SimGrid program, or says why it cannot.
fn build_simgrid(out: &Path) -> Result<PathBuf, String> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/simgrid/migrate.cpp");
    let binary = out.join("simgrid-migrate");
    let built = Command::new("g++")
        .args(["-O2", "-std=c++17"])
        .arg(&source)
        .arg("-o")
        .arg(&binary)
        .arg("-lsimgrid")
        .output()
        .map_err(|e| format!("g++ could not run: {e}"))?;
    if built.status.success() {
        Ok(binary)
    } else {
        Err(format!(
            "{} did not build against SimGrid (install it with `apt-get install libsimgrid-dev`):\n{}",
            source.display(),
            String::from_utf8_lossy(&built.stderr)
        ))
    }
}

/// Runs every point through SimGrid, `REPETITIONS` times each, in one process.
fn time_simgrid(binary: &Path, points: &[&Point]) -> Result<Vec<Timed>, String> {
    let mut child = Command::new(binary)
        .arg(REPETITIONS.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{} could not run: {e}", binary.display()))?;
    let mut input = String::new();
    for (number, point) in points.iter().enumerate() {
        input.push_str(&format!(
            "{} {} {} {} {}\n",
            number + 1,
            point.memory >> 20,
            point.wss as f64 / MIB,
            point.bandwidth / MIB,
            point.dirty_rate() / MIB
        ));
    }
    child
        .stdin
        .take()
        .expect("a piped stdin")
        .write_all(input.as_bytes())
        .map_err(|e| e.to_string())?;
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&output.stdout);
    let rows: Vec<Timed> = text
        .lines()
        .map(|line| {
            let fields: Vec<f64> = line
                .split_whitespace()
                .skip(1)
                .map(|f| f.parse().expect("a number"))
                .collect();
            Timed {
                simulated_s: fields[0],
                median_us: median(fields[1..].iter().map(|ns| ns / 1e3).collect()),
            }
        })
        .collect();
    if rows.len() == points.len() {
        Ok(rows)
    } else {
        Err(format!(
            "SimGrid answered {} of {} migrations (status {})",
            rows.len(),
            points.len(),
            output.status
        ))
    }
}

fn main() {
    // `cargo test --benches` runs bench targets with `--bench` absent: nothing to time then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let text = include_str!("../tests/calibration/qemu-7.2-migrations.jsonl");
    let runs = records::parse(text, "qemu-7.2-migrations.jsonl").expect("the published runs");
    let points: Vec<&Point> = runs.iter().map(|(_, point, _)| point).collect();
    let kvmlab: Vec<Timed> = points.iter().map(|point| time_kvmlab(point)).collect();
    let simgrid = build_simgrid(Path::new(env!("CARGO_TARGET_TMPDIR")))
        .and_then(|binary| time_simgrid(&binary, &points));
    if let Err(why) = &simgrid {
        eprintln!("SimGrid is left out: {why}");
    }
    println!("| run | guest | QEMU total | kvmlab total | SimGrid total | kvmlab µs | SimGrid µs | SimGrid ÷ kvmlab |");
    println!("|---|---|---|---|---|---|---|---|");
    for (number, ((source, point, real), ours)) in runs.iter().zip(&kvmlab).enumerate() {
        let theirs = simgrid.as_ref().ok().map(|rows| &rows[number]);
        let cell = |value: Option<String>| value.unwrap_or_else(|| "–".to_string());
        println!(
            "| {} {} | {} MiB, {} | {:.3} s | {:.3} s | {} | {:.1} | {} | {} |",
            number + 1,
            source.as_deref().unwrap_or(""),
            point.memory >> 20,
            point.label(),
            real.total_time_s,
            ours.simulated_s,
            cell(theirs.map(|t| format!("{:.3} s", t.simulated_s))),
            ours.median_us,
            cell(theirs.map(|t| format!("{:.1}", t.median_us))),
            cell(theirs.map(|t| format!("{:.1}×", t.median_us / ours.median_us))),
        );
    }
    let slowest = kvmlab.iter().map(|t| t.median_us).fold(0.0, f64::max);
    println!(
        "\nslowest kvmlab row: {slowest:.1} µs; goal under {GOAL_US} µs: {}",
        if slowest < GOAL_US { "met" } else { "missed" }
    );
}
