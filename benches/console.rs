//! Speed goals of the console, measured (figures go into the book's "Performance" chapter):
//! - `startup_to_prompt`: from spawning `kvmlab repl` on a pseudo-terminal to its first
//!   prompt; goal under 50 ms. `startup_piped`: the same console with stdin a pipe that
//!   says `:quit`, to its exit.
//! - `catalog_build`: reading the script API's catalog out of a fresh engine (the
//!   completer's and the hint's data, built off the prompt's path).
//! - with `labs/live-migration.rhai` run into a console session first (its real variables):
//!   `complete_members` (`sv1.<TAB>`), `complete_global` (`ho<TAB>`), `complete_module`
//!   (`import "<TAB>`), `complete_spec_keys` (`host("sv1", #{cores: 4, <TAB>`) and
//!   `hint_call` (the hint of `sv1.ping(`), each with the variables read from the session
//!   as the editor does per keystroke; goal under 5 ms.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use kvmlab_runtime::artifacts::OutputDir;
use kvmlab_runtime::console_session::ConsoleSession;
use kvmlab_runtime::run::catalog;
use kvmlab_runtime::script::engine::Limits;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

// The completer and the hint are the binary's; pure functions of the catalog, read here.
#[path = "../src/repl/complete.rs"]
#[allow(dead_code)]
mod complete;
#[path = "../src/repl/hint.rs"]
#[allow(dead_code)]
mod hint;

const KVMLAB: &str = env!("CARGO_BIN_EXE_kvmlab");

/// One `kvmlab repl` on a pseudo-terminal of its own: the time until it shows its prompt.
fn time_to_prompt(history: &Path) -> Duration {
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two descriptors into the integers it is given.
    let opened = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(opened, 0, "a pseudo-terminal");
    // SAFETY: both descriptors are fresh and owned here.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut master = std::fs::File::from(master);
    let start = Instant::now();
    let mut child = Command::new(KVMLAB)
        .arg("repl")
        .env("KVMLAB_HISTORY", history)
        .env("TERM", "xterm")
        .stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave))
        .spawn()
        .expect("kvmlab starts");
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("kvmlab> ") {
        let n = master.read(&mut buffer).expect("the console writes");
        assert!(n > 0, "the console ended before its prompt");
        seen.extend_from_slice(&buffer[..n]);
    }
    let elapsed = start.elapsed();
    master.write_all(b":quit\r").unwrap();
    // Drain until it exits, so it never blocks writing.
    while child.try_wait().unwrap().is_none() {
        let _ = master.read(&mut buffer);
    }
    elapsed
}

fn startup_piped(history: &Path) {
    let mut child = Command::new(KVMLAB)
        .arg("repl")
        .env("KVMLAB_HISTORY", history)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("kvmlab starts");
    child.stdin.take().unwrap().write_all(b":quit\n").unwrap();
    assert!(child.wait().unwrap().success());
}

/// A console session with the whole report's lab loaded, its files written to `out`.
fn report_lab(out: &Path) -> ConsoleSession {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut session = ConsoleSession::new(0, Limits::default(), Some(root.join("labs")));
    session.session().borrow_mut().out_dir = OutputDir::new(out.to_path_buf());
    let loaded = session.load(&root.join("labs/live-migration.rhai"));
    assert!(!loaded.failed(), "{:?}", loaded.error());
    session
}

fn console(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.txt");
    c.bench_function("startup_to_prompt", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| time_to_prompt(&history)).sum())
    });
    c.bench_function("startup_piped", |b| b.iter(|| startup_piped(&history)));
    c.bench_function("catalog_build", |b| b.iter(catalog));

    let catalog = catalog();
    let session = report_lab(dir.path());
    let cases = [
        ("complete_members", "sv1."),
        ("complete_global", "ho"),
        ("complete_module", "import \""),
        ("complete_spec_keys", r#"host("sv1", #{cores: 4, "#),
    ];
    for (name, line) in cases {
        c.bench_function(name, |b| {
            b.iter(|| {
                let variables = session.variable_types();
                complete::complete(black_box(line), line.len(), &catalog, &variables)
            })
        });
    }
    let line = "sv1.ping(";
    c.bench_function("hint_call", |b| {
        b.iter(|| {
            let variables = session.variable_types();
            hint::hint(black_box(line), line.len(), &catalog, &variables)
        })
    });
}

criterion_group!(benches, console);
criterion_main!(benches);
