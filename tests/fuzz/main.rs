//! The fuzz target over the script API. It replays the corpus (`tests/fuzz/corpus/*.rhai`),
//! then runs generated cases (see `generate.rs`) from a seed that changes per run and is
//! printed. Every case runs in a child process (this binary again, so an abort is a signal
//! exit, not a lost test run) under tight limits, then through the `kvmlab` binary's console
//! view, and must: not panic or abort, finish within its wall-time limit, give every error a
//! code and a help line, and write nothing outside its `--out` folder.
//!
//! Environment: `KVMLAB_FUZZ_SEED` (replay a run), `KVMLAB_FUZZ_CASES` (how many, default 40),
//! `KVMLAB_FUZZ_SECONDS` (stop starting cases after this long), `KVMLAB_FUZZ_CASE` (run one
//! case of the seed), `KVMLAB_FUZZ_KNOWN` (also replay `tests/fuzz/known/`: holes being fixed,
//! each of which must still fail as its first line says, until it moves to the corpus). Failures are shrunk and written under the target's `fuzz-failures/`.

mod generate;

use generate::{case_seed, Generator, Script};
use kvmlab_runtime::run::{self, RunOptions};
use kvmlab_runtime::script::catalog::{Catalog, Kind};
use kvmlab_runtime::script::engine::Limits;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Set in a child: the lab to run and where to write its JSON report.
const CHILD_LAB: &str = "KVMLAB_FUZZ_CHILD_LAB";
const CHILD_REPORT: &str = "KVMLAB_FUZZ_CHILD_REPORT";

/// The limits a case runs under: far below the defaults, so a runaway case ends quickly.
fn case_limits() -> Limits {
    Limits {
        max_operations: 1_000_000,
        wall_time: Duration::from_secs(5),
        ..Limits::default()
    }
}

/// How long past its wall-time limit a run may take before it counts as escaping it: a
/// generous bound (the start of a debug-build process, a loaded CI machine) that cannot flake.
const GRACE: Duration = Duration::from_secs(10);

/// The console run uses the binary's default limits (30 s of wall time).
const CONSOLE_TIMEOUT: Duration = Duration::from_secs(30 + 30);

const DEFAULT_CASES: usize = 40;

fn main() {
    if let Some(lab) = std::env::var_os(CHILD_LAB) {
        child(Path::new(&lab));
        return;
    }
    // `cargo test NAME` passes NAME on: run only when it names this target.
    let mut filters: Vec<String> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if matches!(
            arg.as_str(),
            "--test-threads" | "--skip" | "--format" | "--color" | "--logfile" | "-Z"
        ) {
            args.next();
        } else if !arg.starts_with('-') {
            filters.push(arg);
        }
    }
    if !filters.is_empty() && !filters.iter().any(|f| "fuzz".contains(f.as_str())) {
        println!("test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 2 filtered out");
        return;
    }
    let started = Instant::now();
    // Two tests, as the totals count them: the replays, and the generated cases.
    let mut replayed = Vec::new();
    let corpus = replay_corpus(&mut replayed);
    let known = known_cases();
    if std::env::var_os("KVMLAB_FUZZ_KNOWN").is_some() {
        replay_known(&known, &mut replayed);
    }
    let mut generated_failures = Vec::new();
    let generated = run_generated(&known, &mut generated_failures);
    let failures: Vec<&String> = replayed.iter().chain(&generated_failures).collect();
    for failure in &failures {
        eprintln!("{failure}");
    }
    println!(
        "fuzz: corpus {corpus} files; {generated}; {} failures",
        failures.len()
    );
    let failed = usize::from(!replayed.is_empty()) + usize::from(!generated_failures.is_empty());
    println!(
        "test result: {}. {} passed; {failed} failed; 0 ignored; 0 measured; 0 filtered out; finished in {:.2}s",
        if failed == 0 { "ok" } else { "FAILED" },
        2 - failed,
        started.elapsed().as_secs_f64()
    );
    if failed > 0 {
        std::process::exit(101);
    }
}

/// In the child: one run, its report as JSON.
fn child(lab: &Path) {
    let options = RunOptions {
        seed: 0,
        out_dir: PathBuf::from("out"),
        limits: case_limits(),
        ..RunOptions::default()
    };
    let lab_run = run::run_file(lab, &options);
    let json = serde_json::to_string(&lab_run.report).expect("a report serializes");
    let report = std::env::var_os(CHILD_REPORT).expect("the report path");
    std::fs::write(report, json).expect("write the report");
}

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn replay_corpus(failures: &mut Vec<String>) -> usize {
    let dir = repo_root().join("tests/fuzz/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/fuzz/corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "rhai"))
        .collect();
    files.sort();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a corpus file");
        if let Err(problem) = run_case(&text) {
            failures.push(format!(
                "corpus {}: {problem}",
                file.strip_prefix(repo_root()).unwrap_or(file).display()
            ));
        }
    }
    files.len()
}

/// A case of a hole being fixed elsewhere, kept out of the corpus until the fix lands. Its
/// first line says the problem it shows: `// known: abort: memory allocation`, a kind and,
/// optionally, text the problem's detail contains.
struct Known {
    file: PathBuf,
    kind: String,
    detail: String,
}

impl Known {
    fn matches(&self, problem: &Problem) -> bool {
        problem.kind == self.kind && problem.detail.contains(&self.detail)
    }
}

fn known_cases() -> Vec<Known> {
    let dir = repo_root().join("tests/fuzz/known");
    let mut known: Vec<Known> = std::fs::read_dir(&dir)
        .expect("tests/fuzz/known")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "rhai"))
        .map(|file| {
            let text = std::fs::read_to_string(&file).expect("a known case");
            let first = text.lines().next().unwrap_or_default();
            let what = first
                .strip_prefix("// known: ")
                .unwrap_or_else(|| panic!("{} opens with no `// known: KIND`", file.display()));
            let (kind, detail) = what.split_once(": ").unwrap_or((what, ""));
            Known {
                kind: kind.trim().to_string(),
                detail: detail.trim().to_string(),
                file,
            }
        })
        .collect();
    known.sort_by(|a, b| a.file.cmp(&b.file));
    known
}

/// Each known case must still show its problem: one that passes belongs in the corpus.
fn replay_known(known: &[Known], failures: &mut Vec<String>) {
    // Side by side: most of them hang until their timeout.
    let outcomes: Vec<Result<(), Problem>> = std::thread::scope(|scope| {
        let runs: Vec<_> = known
            .iter()
            .map(|case| {
                scope.spawn(|| run_case(&std::fs::read_to_string(&case.file).expect("a case")))
            })
            .collect();
        runs.into_iter()
            .map(|run| run.join().expect("a known case ran"))
            .collect()
    });
    for (case, outcome) in known.iter().zip(outcomes) {
        let shown = case.file.strip_prefix(repo_root()).unwrap_or(&case.file);
        match outcome {
            Err(problem) if case.matches(&problem) => {
                println!("fuzz: known {}: still {problem}", shown.display())
            }
            Err(problem) => failures.push(format!(
                "known {}: now fails differently: {problem}",
                shown.display()
            )),
            Ok(()) => failures.push(format!(
                "known {} passes now: move it to tests/fuzz/corpus/",
                shown.display()
            )),
        }
    }
}

fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    Some(
        text.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text} is not a number")),
    )
}

/// Runs the generated cases two at a time; says what ran.
/// A failure that matches a known case is listed, not counted.
fn run_generated(known: &[Known], failures: &mut Vec<String>) -> String {
    let seed = env_number("KVMLAB_FUZZ_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    });
    println!("fuzz: seed {seed} (replay with KVMLAB_FUZZ_SEED={seed})");
    let cases: Vec<u64> = match env_number("KVMLAB_FUZZ_CASE") {
        Some(one) => vec![one],
        None => {
            let count = env_number("KVMLAB_FUZZ_CASES").map_or(DEFAULT_CASES, |n| n as usize);
            (0..count as u64).collect()
        }
    };
    let budget = env_number("KVMLAB_FUZZ_SECONDS").map(Duration::from_secs);
    let catalog = run::catalog();
    let generator = Generator::new(&catalog);
    failures.extend(uncalled(&generator, &catalog));
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let ran = AtomicUsize::new(0);
    let found = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| loop {
                if budget.is_some_and(|b| started.elapsed() > b) {
                    break;
                }
                let Some(&index) = cases.get(next.fetch_add(1, Ordering::SeqCst)) else {
                    break;
                };
                let script = generator.script(case_seed(seed, index));
                if let Err(problem) = run_case(&script.text()) {
                    let replay = format!("KVMLAB_FUZZ_SEED={seed} KVMLAB_FUZZ_CASE={index}");
                    let alike: Vec<String> = known
                        .iter()
                        .filter(|k| k.matches(&problem))
                        .map(|k| {
                            k.file
                                .file_name()
                                .unwrap_or_default()
                                .to_string_lossy()
                                .into()
                        })
                        .collect();
                    if !alike.is_empty() {
                        let saved = save_failure(seed, index, &script);
                        println!(
                            "fuzz: case {index} ({replay}): {problem}; known, as in {}; in {}",
                            alike.join(", "),
                            saved.display()
                        );
                        ran.fetch_add(1, Ordering::SeqCst);
                        continue;
                    }
                    let shrunk = shrink(script, &problem);
                    let saved = save_failure(seed, index, &shrunk);
                    found.lock().unwrap().push(format!(
                        "case {index} ({replay}): {problem}\n  shrunk to {}:\n{}",
                        saved.display(),
                        shrunk.text()
                    ));
                }
                ran.fetch_add(1, Ordering::SeqCst);
            });
        }
    });
    let mut found = found.into_inner().unwrap();
    found.sort();
    failures.extend(found);
    let ran = ran.into_inner();
    let seconds = started.elapsed().as_secs_f64();
    format!(
        "seed {seed}: {ran} cases in {seconds:.1} s ({:.0} cases per minute)",
        ran as f64 * 60.0 / seconds.max(0.001)
    )
}

/// The catalog's items that 2,000 generated scripts never call: the generator must reach the
/// whole API, a function added to it included.
fn uncalled(generator: &Generator, catalog: &Catalog) -> Vec<String> {
    let scripts: Vec<String> = (0..2000)
        .map(|i| generator.script(case_seed(0, i)).statements.join("\n"))
        .collect();
    let mut missing = Vec::new();
    for item in &catalog.items {
        let called = |text: &String| match item.kind {
            Kind::Function => text.contains(&format!("{}(", item.name)),
            Kind::Method => text.contains(&format!(".{}(", item.name)),
            Kind::Property => text.contains(&format!(".{}", item.name)),
            // `rows[0]`: a `[` right after a name or a `)`, not one opening a list.
            Kind::Indexer => text
                .as_bytes()
                .windows(2)
                .any(|w| w[1] == b'[' && (w[0].is_ascii_alphanumeric() || w[0] == b')')),
        };
        if !scripts.iter().any(called) {
            missing.push(format!("the generator never calls {}", item.key()));
        }
    }
    for module in &catalog.stdlib {
        for function in &module.functions {
            let short = module.name.rsplit('/').next().unwrap_or(module.name);
            let call = format!("{short}::{}(", function.name);
            if !scripts.iter().any(|text| text.contains(&call)) {
                missing.push(format!("the generator never calls {call}..)"));
            }
        }
    }
    missing
}

/// What went wrong in a case; shrinking keeps a statement out only while the kind stays.
#[derive(Debug)]
struct Problem {
    kind: &'static str,
    detail: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind, self.detail)
    }
}

fn problem(kind: &'static str, detail: impl Into<String>) -> Problem {
    Problem {
        kind,
        detail: detail.into(),
    }
}

/// Runs one script both ways and checks everything a case must keep to.
fn run_case(text: &str) -> Result<(), Problem> {
    let root = tempfile::tempdir().expect("a temporary directory");
    let dir = root.path().join("case");
    std::fs::create_dir(&dir).expect("the case folder");
    std::fs::write(dir.join("lab.rhai"), text).expect("write the lab");

    let report_path = root.path().join("report.json");
    let mut command = Command::new(std::env::current_exe().expect("this binary"));
    command
        .env(CHILD_LAB, "lab.rhai")
        .env(CHILD_REPORT, &report_path);
    let limit = case_limits().wall_time + GRACE;
    let outcome = run_child(command, &dir, limit)?;
    check_exit(&outcome, &[0])?;
    let json = std::fs::read_to_string(&report_path)
        .map_err(|e| problem("no report", format!("the child wrote none: {e}")))?;
    let report: serde_json::Value =
        serde_json::from_str(&json).map_err(|e| problem("bad report", format!("not JSON: {e}")))?;
    check_report(&report)?;
    check_artifacts(&report, "out")?;
    std::fs::remove_file(&report_path).expect("remove the report");
    check_written(root.path(), &["case/lab.rhai", "case/out"])?;

    let mut console = Command::new(env!("CARGO_BIN_EXE_kvmlab"));
    console.args([
        "run",
        "lab.rhai",
        "--out",
        "console-out",
        "--color",
        "always",
    ]);
    let outcome = run_child(console, &dir, CONSOLE_TIMEOUT)?;
    check_exit(&outcome, &[0, 1, 2])?;
    check_written(
        root.path(),
        &["case/lab.rhai", "case/out", "case/console-out"],
    )
}

struct Outcome {
    status: std::process::ExitStatus,
    stderr: String,
    stdout: String,
}

/// Runs `command` in `dir`, killing it after `limit`.
fn run_child(mut command: Command, dir: &Path, limit: Duration) -> Result<Outcome, Problem> {
    let started = Instant::now();
    let mut child = command
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start a child");
    // Read the pipes on threads, so a child that floods them cannot block on a full pipe.
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let stdout = std::thread::spawn(move || read_capped(&mut out));
    let stderr = std::thread::spawn(move || read_capped(&mut err));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(problem(
                "hang",
                format!("still running after {} s, killed", limit.as_secs()),
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Ok(Outcome {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

/// A stream's text, keeping the first 64 KiB (enough to show a panic message).
fn read_capped(stream: &mut impl std::io::Read) -> String {
    let mut kept = Vec::new();
    let mut buffer = [0u8; 8192];
    while let Ok(n) = stream.read(&mut buffer) {
        if n == 0 {
            break;
        }
        if kept.len() < 64 << 10 {
            kept.extend_from_slice(&buffer[..n]);
        }
    }
    String::from_utf8_lossy(&kept).into_owned()
}

fn check_exit(outcome: &Outcome, allowed: &[i32]) -> Result<(), Problem> {
    for text in [&outcome.stderr, &outcome.stdout] {
        if let Some(at) = text.find("panicked at") {
            let line = text[at..].lines().take(2).collect::<Vec<_>>().join(" ");
            return Err(problem("panic", line));
        }
    }
    match outcome.status.code() {
        Some(code) if allowed.contains(&code) => Ok(()),
        Some(code) => Err(problem(
            "bad exit",
            format!("exit {code}: {}", first_lines(&outcome.stderr)),
        )),
        None => Err(problem(
            "abort",
            format!("{}: {}", outcome.status, first_lines(&outcome.stderr)),
        )),
    }
}

/// What a dying process said first (an allocation failure, a panic's message).
fn first_lines(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(2)
        .collect();
    lines.join(" / ")
}

/// No internal error, and every diagnostic with a code and a help line.
fn check_report(report: &serde_json::Value) -> Result<(), Problem> {
    let diagnostics = report["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for d in &diagnostics {
        let code = d["code"].as_str().unwrap_or_default();
        let message = d["message"].as_str().unwrap_or_default();
        let help = d["help"].as_str().unwrap_or_default();
        if code.starts_with("kvmlab::internal") || message.starts_with("internal error") {
            return Err(problem("panic", format!("{code}: {message}")));
        }
        if !code.starts_with("kvmlab::") {
            return Err(problem("no code", format!("`{code}`: {message}")));
        }
        if help.trim().is_empty() {
            return Err(problem("no help", format!("{code}: {message}")));
        }
        if code == "kvmlab::script::syntax" && d["file"] == "lab.rhai" {
            return Err(problem(
                "generator wrote bad syntax",
                format!("line {}: {message}", d["line"]),
            ));
        }
    }
    Ok(())
}

/// Every file the report lists is inside the output folder: a write elsewhere (an absolute
/// path, `..`) would land beyond the case's folder, where no walk of it finds it.
fn check_artifacts(report: &serde_json::Value, out: &str) -> Result<(), Problem> {
    let artifacts = report["artifacts"].as_array().cloned().unwrap_or_default();
    for artifact in &artifacts {
        let path = Path::new(artifact.as_str().unwrap_or_default());
        let inside = path.starts_with(out)
            && path
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !inside {
            return Err(problem("wrote outside --out", path.display().to_string()));
        }
    }
    Ok(())
}

/// Everything under `root` must be one of `allowed` (relative paths) or inside one, and no
/// link: a run may write only inside its output folder.
fn check_written(root: &Path, allowed: &[&str]) -> Result<(), Problem> {
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read a folder") {
            let path = entry.expect("an entry").path();
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let inside = allowed.iter().any(|a| relative.starts_with(a));
            let meta = std::fs::symlink_metadata(&path).expect("metadata");
            if meta.file_type().is_symlink() {
                return Err(problem("wrote a link", relative.display().to_string()));
            }
            let on_the_way = allowed
                .iter()
                .any(|a| Path::new(a).starts_with(relative) && meta.is_dir());
            if !inside && !on_the_way {
                return Err(problem(
                    "wrote outside --out",
                    relative.display().to_string(),
                ));
            }
            if meta.is_dir() {
                stack.push(path);
            }
        }
    }
    Ok(())
}

/// Time spent shrinking one failure at most.
const SHRINK_TIME: Duration = Duration::from_secs(90);

/// Drops runs of statements, halves first, then smaller runs down to single statements,
/// while the same kind of problem remains (for up to [`SHRINK_TIME`]), so a failure is shown
/// in few statements even when each try costs a hang's timeout.
fn shrink(mut script: Script, problem: &Problem) -> Script {
    let started = Instant::now();
    let mut chunk = script.statements.len().div_ceil(2).max(1);
    loop {
        let mut start = 0;
        while start < script.statements.len() {
            if started.elapsed() > SHRINK_TIME {
                return script;
            }
            let mut smaller = script.clone();
            let end = (start + chunk).min(smaller.statements.len());
            smaller.statements.drain(start..end);
            if matches!(run_case(&smaller.text()), Err(p) if p.kind == problem.kind) {
                script = smaller;
            } else {
                start = end;
            }
        }
        if chunk == 1 {
            return script;
        }
        chunk = chunk.div_ceil(2);
    }
}

fn save_failure(seed: u64, index: u64, script: &Script) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
    std::fs::create_dir_all(&dir).expect("the failures folder");
    let path = dir.join(format!("seed-{seed}-case-{index}.rhai"));
    std::fs::write(&path, script.text()).expect("write the failure");
    path
}
