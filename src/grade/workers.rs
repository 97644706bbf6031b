//! Every submission is graded in a child process of its own, at most `jobs` at once: a
//! submission that crashes, exhausts memory or hangs its process takes down only that child,
//! and the class run goes on. The child prints its `SubmissionGrade` as JSON on stdout; its
//! address space is held by `RLIMIT_AS`, and the parent kills it once it outlives its
//! deadline. Anything else than one valid grade on stdout becomes that student's
//! `internal_error` (or `stopped`, for the time and memory limits) with the reason.

use kvmlab_runtime::grade::{Exercise, GradeStatus, Submission, SubmissionGrade};
use kvmlab_runtime::text::{clipped, escaped};
use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Bytes of a worker's stdout kept: a grade's JSON is far smaller (the core caps the output
/// and diagnostics it holds), so a longer one is broken anyway.
const STDOUT_CAP: usize = 16 << 20;
/// Bytes of a worker's stderr kept for the reason of a failure.
const STDERR_CAP: usize = 16 << 10;
/// Characters of the worker's stderr quoted in a reason.
const REASON_STDERR_CHARS: usize = 300;
/// How often the parent looks at its children.
const POLL: Duration = Duration::from_millis(2);

/// One submission to grade in a child process.
pub struct Job {
    pub exercise: Arc<Exercise>,
    pub submission: Submission,
    /// The worker command, ready to spawn (arguments set; stdio and limits are set here).
    pub command: Command,
    /// The child is killed when it runs longer than this.
    pub deadline: Duration,
    /// `RLIMIT_AS` for the child, in bytes.
    pub address_space: u64,
    /// The memory limit the exercise states, named in the reason when the child runs out.
    pub memory_mib: u64,
}

struct Running {
    job: Job,
    child: Child,
    started: Instant,
    stdout: JoinHandle<Vec<u8>>,
    stderr: JoinHandle<Vec<u8>>,
}

/// Grades every job, at most `parallel` children at once, and returns the grades in the
/// jobs' order (whatever order the children finish in).
pub fn run_all(jobs: Vec<Job>, parallel: usize) -> Vec<SubmissionGrade> {
    let parallel = parallel.max(1);
    let mut grades: Vec<Option<SubmissionGrade>> = (0..jobs.len()).map(|_| None).collect();
    let mut queue = jobs.into_iter().enumerate();
    let mut running: Vec<(usize, Running)> = Vec::new();
    loop {
        while running.len() < parallel {
            let Some((index, job)) = queue.next() else {
                break;
            };
            match start(job) {
                Ok(child) => running.push((index, child)),
                Err(grade) => grades[index] = Some(*grade),
            }
        }
        if running.is_empty() {
            break;
        }
        let mut still = Vec::with_capacity(running.len());
        for (index, mut child) in running {
            match child.child.try_wait() {
                Ok(Some(status)) => grades[index] = Some(finish(child, status)),
                Ok(None) if child.started.elapsed() > child.job.deadline => {
                    grades[index] = Some(kill(child))
                }
                Ok(None) => still.push((index, child)),
                Err(e) => {
                    let reason = format!("kvmlab could not watch the grading process: {e}");
                    kill_group(&mut child.child);
                    let _ = child.child.wait();
                    grades[index] = Some(failed(&child.job, GradeStatus::InternalError, reason));
                }
            }
        }
        running = still;
        if !running.is_empty() {
            std::thread::sleep(POLL);
        }
    }
    grades.into_iter().flatten().collect()
}

fn start(mut job: Job) -> Result<Running, Box<SubmissionGrade>> {
    job.command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    limit_child(&mut job.command, job.address_space);
    let mut child = match job.command.spawn() {
        Ok(child) => child,
        Err(e) => {
            let reason = format!("kvmlab could not start a grading process: {e}");
            return Err(Box::new(failed(&job, GradeStatus::InternalError, reason)));
        }
    };
    let stdout = child.stdout.take().map(|pipe| drain(pipe, STDOUT_CAP));
    let stderr = child.stderr.take().map(|pipe| drain(pipe, STDERR_CAP));
    let (Some(stdout), Some(stderr)) = (stdout, stderr) else {
        let _ = child.kill();
        let _ = child.wait();
        let reason = "kvmlab could not read the grading process's output".to_string();
        return Err(Box::new(failed(&job, GradeStatus::InternalError, reason)));
    };
    Ok(Running {
        job,
        child,
        started: Instant::now(),
        stdout,
        stderr,
    })
}

/// Reads a pipe to its end on a thread of its own, keeping the first `cap` bytes: the child
/// never blocks on a full pipe, and a flood costs the parent no memory.
fn drain(mut pipe: impl Read + Send + 'static, cap: usize) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buffer = [0u8; 64 << 10];
        loop {
            match pipe.read(&mut buffer) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let room = cap.saturating_sub(kept.len());
                    kept.extend_from_slice(&buffer[..n.min(room)]);
                }
            }
        }
        kept
    })
}

#[cfg(unix)]
fn limit_child(command: &mut Command, address_space: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the forked child before exec and calls only setrlimit,
    // setpgid and prctl, which are async-signal-safe; it allocates nothing.
    unsafe {
        command.pre_exec(move || {
            let memory = libc::rlimit {
                rlim_cur: address_space as libc::rlim_t,
                rlim_max: address_space as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &memory) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // A crashed worker leaves no core file in the class's folder.
            let no_core = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &no_core);
            // A group of its own, so that a kill reaches whatever the worker started too.
            libc::setpgid(0, 0);
            // Out of the terminal's group, a worker would miss a Ctrl-C: it dies with the
            // parent instead.
            #[cfg(target_os = "linux")]
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}

#[cfg(not(unix))]
fn limit_child(_command: &mut Command, _address_space: u64) {}

fn finish(running: Running, status: ExitStatus) -> SubmissionGrade {
    let stdout = running.stdout.join().unwrap_or_default();
    let stderr = running.stderr.join().unwrap_or_default();
    let job = &running.job;
    if status.success() {
        match serde_json::from_slice::<SubmissionGrade>(&stdout) {
            Ok(mut grade) => {
                // The parent names the student: a grade is filed where it was asked for.
                grade.student.clone_from(&job.submission.student);
                grade.submission = job.submission.path.to_string_lossy().into_owned();
                return grade;
            }
            Err(e) => {
                let reason = format!(
                    "the grading process printed no valid grade ({e}){}",
                    stderr_said(&stderr)
                );
                return failed(job, GradeStatus::InternalError, reason);
            }
        }
    }
    let stderr_text = String::from_utf8_lossy(&stderr);
    if stderr_text.contains("memory allocation of") {
        let reason = format!(
            "the submission ran out of memory: it needed more than the exercise's {} MiB",
            job.memory_mib
        );
        return failed(job, GradeStatus::Stopped, reason);
    }
    let how = match (status.code(), signal_of(status)) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => format!("was killed by signal {signal} ({})", signal_name(signal)),
        (None, None) => "ended abnormally".to_string(),
    };
    let reason = format!(
        "the grading process {how} without a grade{}",
        stderr_said(&stderr)
    );
    failed(job, GradeStatus::InternalError, reason)
}

fn kill(mut running: Running) -> SubmissionGrade {
    kill_group(&mut running.child);
    let _ = running.child.wait();
    // The pipes close with the child's group; their threads end.
    let _ = running.stdout.join();
    let _ = running.stderr.join();
    let reason = format!(
        "the submission ran longer than {:.0} s and was stopped (the exercise's time limit plus a grace)",
        running.job.deadline.as_secs_f64()
    );
    failed(&running.job, GradeStatus::Stopped, reason)
}

/// What the worker said on stderr, as ": ..." (or nothing): its first lines that are not
/// Rust's notes ("note: run with `RUST_BACKTRACE=1`"), escaped and cut. A panic's location
/// and message come first, so that is what the reason quotes.
fn stderr_said(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let said: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("note:"))
        .take(2)
        .collect();
    if said.is_empty() {
        return String::new();
    }
    format!(
        ": {}",
        clipped(&escaped(&said.join(" ")), REASON_STDERR_CHARS)
    )
}

/// Kills the worker's process group (the worker and anything it started).
#[cfg(unix)]
fn kill_group(child: &mut Child) {
    match libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) on the group this parent created for its own child.
        Ok(pid) if pid > 0 => unsafe {
            libc::kill(-pid, libc::SIGKILL);
        },
        _ => {
            let _ = child.kill();
        }
    }
}

#[cfg(not(unix))]
fn kill_group(child: &mut Child) {
    let _ = child.kill();
}

#[cfg(unix)]
fn signal_of(status: ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    status.signal()
}

#[cfg(not(unix))]
fn signal_of(_status: ExitStatus) -> Option<i32> {
    None
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGSEGV => "SIGSEGV, a crash",
        libc::SIGABRT => "SIGABRT, an abort",
        libc::SIGKILL => "SIGKILL",
        libc::SIGBUS => "SIGBUS, a crash",
        libc::SIGILL => "SIGILL, a crash",
        libc::SIGFPE => "SIGFPE, a crash",
        libc::SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}

/// A zero grade with the reason, for a submission whose worker gave no grade: every rubric
/// item listed, none graded.
fn failed(job: &Job, status: GradeStatus, reason: String) -> SubmissionGrade {
    SubmissionGrade::zero(&job.exercise, &job.submission, status, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exercise() -> Arc<Exercise> {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/grading/window");
        Arc::new(Exercise::load(&dir).expect("the fixture exercise loads"))
    }

    fn shell(student: &str, script: &str, deadline_ms: u64) -> Job {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        Job {
            exercise: exercise(),
            submission: Submission::file(std::path::Path::new(&format!("{student}.rhai"))),
            command,
            deadline: Duration::from_millis(deadline_ms),
            address_space: 1 << 30,
            memory_mib: 256,
        }
    }

    fn grade_json(student: &str, score: f64) -> String {
        let job = shell(student, "", 0);
        let mut grade = failed(&job, GradeStatus::Graded, String::new());
        grade.score = score;
        grade.reason = None;
        serde_json::to_string(&grade).unwrap()
    }

    #[test]
    fn a_hanging_child_is_stopped_and_the_others_are_graded() {
        let good = format!("printf '%s' '{}'", grade_json("ann", 7.0));
        let jobs = vec![
            shell("ann", &good, 10_000),
            shell("bob", "sleep 30", 300),
            shell("cid", &good, 10_000),
        ];
        let started = Instant::now();
        let grades = run_all(jobs, 2);
        assert!(started.elapsed() < Duration::from_secs(10));
        let statuses: Vec<_> = grades
            .iter()
            .map(|g| (g.student.as_str(), g.status))
            .collect();
        assert_eq!(
            statuses,
            [
                ("ann", GradeStatus::Graded),
                ("bob", GradeStatus::Stopped),
                ("cid", GradeStatus::Graded)
            ]
        );
        assert_eq!(grades[0].score, 7.0);
        // The parent files the grade under the student it asked for.
        assert_eq!(grades[2].student, "cid");
        assert!(grades[1]
            .reason
            .as_deref()
            .unwrap()
            .contains("ran longer than 0 s"));
    }

    #[test]
    fn a_crash_garbage_or_an_out_of_memory_abort_is_that_students_alone() {
        let jobs = vec![
            shell(
                "crash",
                "echo 'thread main has overflowed its stack' >&2; kill -SEGV $$",
                10_000,
            ),
            shell("garbage", "echo 'not json'", 10_000),
            shell("status", "echo oops >&2; exit 3", 10_000),
            shell(
                "panic",
                "printf \"thread 'main' panicked at src/x.rs:1:2:\\nindex out of bounds\\nnote: run with RUST_BACKTRACE=1\\n\" >&2; exit 101",
                10_000,
            ),
            shell("flood", "yes 'flood of stderr' | head -c 50000000 >&2; exit 1", 10_000),
            shell(
                "oom",
                "echo 'memory allocation of 314572800 bytes failed' >&2; kill -ABRT $$",
                10_000,
            ),
        ];
        let grades = run_all(jobs, 1);
        let reason = |i: usize| grades[i].reason.clone().unwrap();
        assert_eq!(grades[0].status, GradeStatus::InternalError);
        assert_eq!(
            reason(0),
            "the grading process was killed by signal 11 (SIGSEGV, a crash) without a grade: \
             thread main has overflowed its stack"
        );
        assert_eq!(grades[1].status, GradeStatus::InternalError);
        assert!(reason(1).starts_with("the grading process printed no valid grade"));
        assert_eq!(
            reason(2),
            "the grading process exited with status 3 without a grade: oops"
        );
        assert_eq!(
            reason(3),
            "the grading process exited with status 101 without a grade: thread 'main' \
             panicked at src/x.rs:1:2: index out of bounds"
        );
        // 50 MB of stderr: the parent keeps the first 16 KiB and quotes two lines.
        assert_eq!(
            reason(4),
            "the grading process exited with status 1 without a grade: flood of stderr flood \
             of stderr"
        );
        assert_eq!(grades[5].status, GradeStatus::Stopped);
        assert_eq!(
            reason(5),
            "the submission ran out of memory: it needed more than the exercise's 256 MiB"
        );
        assert!(grades.iter().all(|g| g.score == 0.0));
    }

    #[test]
    fn the_address_space_limit_holds_the_child() {
        // sort holds its one 200 MB line in memory: 64 MiB of address space cannot.
        let sort = "head -c 200000000 /dev/zero | tr '\\0' x | sort > /dev/null";
        let mut held = shell("held", sort, 10_000);
        held.address_space = 64 << 20;
        let free = shell("free", sort, 10_000);
        let grades = run_all(vec![held, free], 2);
        let reason = |i: usize| grades[i].reason.clone().unwrap();
        assert_eq!(
            reason(0),
            "the grading process exited with status 2 without a grade: sort: memory exhausted"
        );
        assert!(reason(1).starts_with("the grading process printed no valid grade"));
    }
}
