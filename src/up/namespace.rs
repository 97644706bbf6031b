//! The lab's network namespace: created with `ip netns add`, entered by the lab's daemons
//! (and by the checks that talk to them over TCP) with setns(2), and found again by inode so
//! that `down` can stop whatever still runs in it.

use super::layout::NETNS;
use kvmlab_runtime::error::Error;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::Command;

pub fn path() -> PathBuf {
    PathBuf::from("/run/netns").join(NETNS)
}

pub fn exists() -> bool {
    path().exists()
}

/// The namespace's identity (device, inode), as /proc/PID/ns/net shows it.
pub fn identity() -> Option<(u64, u64)> {
    std::fs::metadata(path()).ok().map(|m| (m.dev(), m.ino()))
}

/// Creates the namespace and brings its loopback up.
pub fn create(ip: &std::path::Path) -> Result<(), Box<Error>> {
    run(Command::new(ip).args(["netns", "add", NETNS]))?;
    run(Command::new(ip).args(["-n", NETNS, "link", "set", "lo", "up"])).map(drop)
}

pub fn delete(ip: &std::path::Path) -> Result<(), Box<Error>> {
    run(Command::new(ip).args(["netns", "delete", NETNS])).map(drop)
}

/// Every process whose network namespace is the lab's, this process excepted.
pub fn processes() -> Vec<u32> {
    let Some((dev, ino)) = identity() else {
        return Vec::new();
    };
    let me = std::process::id();
    let mut pids: Vec<u32> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != me)
        .filter(|pid| {
            std::fs::metadata(format!("/proc/{pid}/ns/net"))
                .is_ok_and(|m| m.dev() == dev && m.ino() == ino)
        })
        .collect();
    pids.sort_unstable();
    pids
}

/// Whether `pid` runs in the lab's namespace.
pub fn holds(pid: u32) -> bool {
    let Some((dev, ino)) = identity() else {
        return false;
    };
    std::fs::metadata(format!("/proc/{pid}/ns/net")).is_ok_and(|m| m.dev() == dev && m.ino() == ino)
}

/// Runs a command to completion; a failure carries its output.
pub fn run(command: &mut Command) -> Result<String, Box<Error>> {
    let shown = format!(
        "{} {}",
        command.get_program().to_string_lossy(),
        command
            .get_args()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let output = command.output().map_err(|e| Error::UpCommandFailed {
        command: shown.clone(),
        status: "not started".into(),
        output: e.to_string(),
        help: "check that the program is installed and executable".into(),
    })?;
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    let mut text = String::from_utf8_lossy(&output.stderr).trim().to_string();
    if text.is_empty() {
        text = String::from_utf8_lossy(&output.stdout).trim().to_string();
    }
    Err(Box::new(Error::UpCommandFailed {
        command: shown,
        status: output.status.to_string(),
        output: text,
        help: "`kvmlab down` removes whatever the lab left behind; then try again".into(),
    }))
}
