//! Speed goals, measured (figures go into the book's "Performance" chapter):
//! - `engine_ready`: a run of an empty script (interpreter thread, sandboxed engine, report);
//!   goal under 5 ms.
//! - `first_lab_in_process`: `labs/00-first-lab.rhai` through the runtime.
//! - `first_lab_process`: the whole `kvmlab run labs/00-first-lab.rhai` process, as a user
//!   runs it; goal under 10 ms wall in release.
//! - `hosts_lab_process`, `storage_lab_process`: the whole process for
//!   `labs/01-hosts-and-network.rhai` and `labs/02-nas-and-iscsi.rhai`; goal under 20 ms.
//! - `live_migration_lab_process`: `kvmlab run labs/live-migration.rhai`, the whole report
//!   (about 40 simulated migrations and two 4 GB downloads); goal under 1 s.
//! - `report_lab_setup` and `report_lab_100_checkpoints`: the report's lab built and
//!   centos-nz2 installed on the NAS, then the same with 100 `checkpoint` + `restore`
//!   pairs; the difference over 100 is one pair's cost, goal under 1 ms (a console
//!   `:restore` is instant, and the tests restore before every step of every lab).

use criterion::{criterion_group, criterion_main, Criterion};
use kvmlab_runtime::run::{run_file, run_source, RunOptions};
use std::path::Path;
use std::process::Command;

fn lab(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("labs")
        .join(name)
}

fn engine_ready(c: &mut Criterion) {
    let options = RunOptions::default();
    c.bench_function("engine_ready", |b| {
        b.iter(|| run_source("empty", "", &options))
    });
}

fn first_lab(c: &mut Criterion) {
    let out = tempfile::tempdir().unwrap();
    let options = RunOptions {
        out_dir: out.path().to_path_buf(),
        ..RunOptions::default()
    };
    let path = lab("00-first-lab.rhai");
    c.bench_function("first_lab_in_process", |b| {
        b.iter(|| {
            let run = run_file(&path, &options);
            assert_eq!(run.report.exit_code(), 0);
        })
    });
    c.bench_function("first_lab_process", |b| {
        b.iter(|| run_process(&path, out.path()))
    });
}

fn lab_processes(c: &mut Criterion) {
    let out = tempfile::tempdir().unwrap();
    for (name, file) in [
        ("hosts_lab_process", "01-hosts-and-network.rhai"),
        ("storage_lab_process", "02-nas-and-iscsi.rhai"),
        ("live_migration_lab_process", "live-migration.rhai"),
    ] {
        let path = lab(file);
        c.bench_function(name, |b| b.iter(|| run_process(&path, out.path())));
    }
}

/// The report's lab with centos-nz2 installed on the NAS's LUN and running.
const REPORT_LAB: &str = r#"import "kvmlab/hosts" as hosts;
import "kvmlab/storage" as storage;
let lab = hosts::build();
let st = storage::build(lab);
lab.sv1.store_file("/guest/iso/c.iso", size("3.9G"));
let vol = st.pools.sv1.create_volume(#{name: "centos-nz2.img", capacity: "20G", allocation: 0});
let g = lab.sv1.define_guest(#{name: "centos-nz2", memory: "512M", iso: "/guest/iso/c.iso",
    disk: vol, cache: "none", network: #{bridge: "br0", address: "192.168.1.20/24"}});
g.install();
"#;

fn checkpoints(c: &mut Criterion) {
    let options = RunOptions::default();
    c.bench_function("report_lab_setup", |b| {
        b.iter(|| {
            let run = run_source("setup", REPORT_LAB, &options);
            assert_eq!(run.report.exit_code(), 0);
        })
    });
    let with_checkpoints =
        format!("{REPORT_LAB}for i in 0..100 {{ let cp = checkpoint(\"x\"); restore(cp); }}\n");
    c.bench_function("report_lab_100_checkpoints", |b| {
        b.iter(|| {
            let run = run_source("checkpoints", &with_checkpoints, &options);
            assert_eq!(run.report.exit_code(), 0);
        })
    });
}

fn run_process(lab: &Path, out: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_kvmlab"))
        .arg("run")
        .arg(lab)
        .arg("--out")
        .arg(out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}

criterion_group!(benches, engine_ready, first_lab, lab_processes, checkpoints);
criterion_main!(benches);
