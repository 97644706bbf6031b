//! The lab's processes by pid: read from their pid files, checked alive, and stopped (TERM,
//! then KILL after a grace period). A pid is only ever signalled when it is provably the lab's:
//! it runs in the lab's namespace, or its command line or environment names the lab's folder.

use super::namespace;
use std::path::Path;
use std::time::{Duration, Instant};

/// The pid a pid file holds, if it holds one.
pub fn read_pid(file: &Path) -> Option<u32> {
    std::fs::read_to_string(file)
        .ok()?
        .trim()
        .parse()
        .ok()
        .filter(|pid| *pid > 1)
}

/// Whether `pid` is a live process (a zombie counts as gone).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name in parentheses, which may itself hold spaces.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

/// Whether `pid` belongs to the lab in `dir`: it is in the lab's namespace, or its command line
/// or environment names `dir` (a daemon whose namespace was deleted under it).
pub fn belongs_to_lab(pid: u32, dir: &Path) -> bool {
    if namespace::holds(pid) {
        return true;
    }
    let needle = dir.as_os_str().as_encoded_bytes();
    ["cmdline", "environ"].iter().any(|file| {
        std::fs::read(format!("/proc/{pid}/{file}")).is_ok_and(|bytes| {
            bytes
                .split(|b| *b == 0)
                .any(|part| part.windows(needle.len()).any(|w| w == needle))
        })
    })
}

fn signal(pid: u32, signal: libc::c_int) {
    // SAFETY: kill has no memory-safety preconditions; a gone pid only returns ESRCH.
    unsafe {
        libc::kill(pid as libc::pid_t, signal);
    }
}

/// Stops `pids`: SIGTERM, up to `grace` to exit, then SIGKILL. Returns those that needed KILL.
pub fn stop(pids: &[u32], grace: Duration) -> Vec<u32> {
    for pid in pids {
        signal(*pid, libc::SIGTERM);
    }
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline && pids.iter().any(|pid| alive(*pid)) {
        reap();
        std::thread::sleep(Duration::from_millis(50));
    }
    let stubborn: Vec<u32> = pids.iter().copied().filter(|pid| alive(*pid)).collect();
    for pid in &stubborn {
        signal(*pid, libc::SIGKILL);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline && stubborn.iter().any(|pid| alive(*pid)) {
        reap();
        std::thread::sleep(Duration::from_millis(20));
    }
    stubborn
}

/// Collects exited children of this process (daemons `up` started and is stopping itself).
fn reap() {
    // SAFETY: waitpid with WNOHANG on any child only reads exit statuses.
    unsafe { while libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) > 0 {} }
}
