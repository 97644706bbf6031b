//! The lab's network namespaces: its own (`kvmlab`, the NAS and the bridge) and one per host,
//! created with `ip netns add`, entered by the lab's daemons (and by the checks that talk to
//! them over TCP) with setns(2), and found again by inode so that `down` can stop whatever
//! still runs in any of them.

use super::layout;
use kvmlab_runtime::error::Error;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn path(name: &str) -> PathBuf {
    PathBuf::from("/run/netns").join(name)
}

pub fn exists(name: &str) -> bool {
    path(name).exists()
}

/// The lab's namespaces that exist now.
pub fn existing() -> Vec<&'static str> {
    layout::namespaces()
        .into_iter()
        .filter(|name| exists(name))
        .collect()
}

/// Each existing lab namespace's identity (device, inode), as /proc/PID/ns/net shows it.
fn identities() -> Vec<(u64, u64)> {
    layout::namespaces()
        .iter()
        .filter_map(|name| std::fs::metadata(path(name)).ok())
        .map(|m| (m.dev(), m.ino()))
        .collect()
}

/// Creates the namespace `name` and brings its loopback up.
pub fn create(ip: &Path, name: &str) -> Result<(), Box<Error>> {
    run(Command::new(ip).args(["netns", "add", name]))?;
    run(Command::new(ip).args(["-n", name, "link", "set", "lo", "up"])).map(drop)
}

pub fn delete(ip: &Path, name: &str) -> Result<(), Box<Error>> {
    run(Command::new(ip).args(["netns", "delete", name])).map(drop)
}

/// Whether `pid`'s network namespace is one of `identities`.
fn in_one_of(pid: u32, identities: &[(u64, u64)]) -> bool {
    std::fs::metadata(format!("/proc/{pid}/ns/net"))
        .is_ok_and(|m| identities.contains(&(m.dev(), m.ino())))
}

/// Every process in one of the lab's namespaces, this process excepted.
pub fn processes() -> Vec<u32> {
    let identities = identities();
    if identities.is_empty() {
        return Vec::new();
    }
    let me = std::process::id();
    let mut pids: Vec<u32> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != me && in_one_of(*pid, &identities))
        .collect();
    pids.sort_unstable();
    pids
}

/// Whether `pid` runs in one of the lab's namespaces.
pub fn holds(pid: u32) -> bool {
    in_one_of(pid, &identities())
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
