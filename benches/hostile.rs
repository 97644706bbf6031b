//! The worst hostile loops, each run to its limit in a process of its own, with its wall
//! time and peak memory (`VmHWM` from /proc/self/status): the figures the book's "Limits a
//! run is held to" states. `cargo bench --bench hostile` prints one row per loop.

use kvmlab_runtime::run::{run_source, RunOptions};
use std::process::Command;
use std::time::Instant;

const HOST: &str = "import \"kvmlab/report\" as report;\n\
    let h = host(\"sv1\", report::server_spec());\n\
    h.install_os(report::os_spec(\"sv1\"));\n";

/// A line that leaves `s` holding `kib` KiB of /etc/hosts lines.
fn text(kib: usize) -> String {
    format!(
        "let s = \"10.0.0.1 sv9\\n\"; while s.len() < {n} {{ s += s; }} s = s.sub_string(0, {n});\n",
        n = kib * 1024
    )
}

/// (name, what it does, script)
fn loops() -> Vec<(&'static str, &'static str, String)> {
    vec![
        (
            "appends_640_kib",
            "200 appends of 640 KiB to /etc/hosts",
            format!("{HOST}{}for i in 0..200 {{ h.append_file(\"/etc/hosts\", s); }}\n", text(640)),
        ),
        (
            "files_512_kib",
            "100 files of 512 KiB on one host",
            format!("{HOST}{}for i in 0..100 {{ h.write_file(`/etc/f${{i}}`, s); }}\n", text(512)),
        ),
        (
            "lookups_512_kib",
            "10,000 name lookups in a 512 KiB /etc/hosts",
            format!(
                "{HOST}{}h.write_file(\"/etc/hosts\", s);\nfor i in 0..10000 {{ h.resolve(\"sv9\"); }}\n",
                text(512)
            ),
        ),
        (
            "hosts",
            "100,000 hosts, each installed",
            "import \"kvmlab/report\" as report;\n\
             for i in 0..100000 { let h = host(`h${i}`, report::server_spec()); h.install_os(report::os_spec(`h${i}`)); }\n"
                .into(),
        ),
        (
            "reinstalls",
            "a million installs of one host",
            format!("{HOST}for i in 0..1000000 {{ h.install_os(report::os_spec(\"sv1\")); }}\n"),
        ),
        (
            "infinite_plot",
            "a plot with an infinite point",
            "save_plot(\"p.svg\", #{title: \"t\", series: [#{name: \"a\", points: [[0, 1], [1, 1.0e308 * 10.0]]}]});\n"
                .into(),
        ),
        ("busy_loop", "an empty endless loop", "loop {}\n".into()),
        (
            "large_strings",
            "800 variables of 512 KiB each",
            (1..=800)
                .map(|n| format!("let v{n} = \"x\"; for i in 0..19 {{ v{n} += v{n}; }}\n"))
                .collect(),
        ),
    ]
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

/// In the child: runs one loop and prints `code milliseconds peak_kib`.
fn run_one(name: &str) {
    let (_, _, script) = loops()
        .into_iter()
        .find(|(n, _, _)| *n == name)
        .expect("a known loop");
    let out = tempfile::tempdir().unwrap();
    let options = RunOptions {
        out_dir: out.path().to_path_buf(),
        ..RunOptions::default()
    };
    let started = Instant::now();
    let run = run_source(name, &script, &options);
    let elapsed = started.elapsed();
    let code = run
        .report
        .diagnostics
        .iter()
        .find(|d| d.severity == kvmlab_runtime::Severity::Error)
        .map_or("none".to_string(), |d| d.code.clone());
    println!("{code} {} {}", elapsed.as_millis(), peak_rss_kib());
}

fn main() {
    if let Ok(name) = std::env::var("KVMLAB_HOSTILE") {
        return run_one(&name);
    }
    let me = std::env::current_exe().expect("the bench's own path");
    println!("| loop | stopped by | wall time | peak RSS |");
    println!("|---|---|---|---|");
    for (name, what, _) in loops() {
        let output = Command::new(&me)
            .env("KVMLAB_HOSTILE", name)
            .output()
            .expect("run the loop in a child process");
        let line = String::from_utf8_lossy(&output.stdout);
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            [code, ms, kib] => {
                let mib = kib.parse::<f64>().unwrap_or(0.0) / 1024.0;
                println!("| {what} | `{code}` | {ms} ms | {mib:.0} MiB |");
            }
            _ => println!("| {what} | the child failed: {line} | | |"),
        }
    }
}
