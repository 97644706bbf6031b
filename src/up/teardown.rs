//! Taking a lab down: every process the lab runs (by pid file and by namespace), the hosts'
//! links, the namespaces, the mount points `up` had to create and the lab's files. Each step
//! tolerates what is already gone, so `down` is idempotent and works after a crash or without
//! lab.toml; nothing outside what `up` made is touched.

use super::daemons::io_error;
use super::lab_file::LabFile;
use super::layout::{self, Layout, HOSTS};
use super::link;
use super::namespace;
use super::preflight::find_program;
use super::process;
use kvmlab_runtime::error::Error;
use std::path::{Path, PathBuf};
use std::time::Duration;

const GRACE: Duration = Duration::from_secs(10);

/// The lab's processes: those named by its pid files (if they are provably the lab's) and
/// every process in its namespaces.
fn lab_processes(layout: &Layout) -> Vec<(String, u32)> {
    let mut found: Vec<(String, u32)> = HOSTS
        .iter()
        .map(|h| (format!("{} libvirtd", h.name), layout.libvirtd_pid(h.name)))
        .chain([("nas tgtd".to_string(), layout.tgtd_pid())])
        .filter_map(|(name, file)| Some((name, process::read_pid(&file)?)))
        .filter(|(_, pid)| process::alive(*pid) && process::belongs_to_lab(*pid, &layout.dir))
        .collect();
    for pid in namespace::processes() {
        if !found.iter().any(|(_, p)| *p == pid) {
            let name = std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .map(|c| c.trim().to_string())
                .unwrap_or_else(|_| "process".into());
            found.push((name, pid));
        }
    }
    found
}

/// Stops every process of the lab, deletes the hosts' links and the namespaces (what a failed
/// `up` undoes).
pub fn stop_everything(layout: &Layout) -> Vec<String> {
    let mut done = Vec::new();
    let processes = lab_processes(layout);
    shut_down_tgtd(layout);
    if !processes.is_empty() {
        let pids: Vec<u32> = processes.iter().map(|(_, pid)| *pid).collect();
        let killed = process::stop(&pids, GRACE);
        for (name, pid) in &processes {
            let how = if killed.contains(pid) {
                "killed"
            } else {
                "stopped"
            };
            done.push(format!("{how} {name} (pid {pid})"));
        }
    }
    let Some(ip) = find_program("ip") else {
        return done;
    };
    // A link goes with either namespace; deleted first, so that none outlives a namespace
    // something still holds open.
    if namespace::exists(layout::NETNS) {
        for host in &HOSTS {
            if link::delete(&ip, host.link) {
                done.push(format!("deleted link {}", host.link));
            }
        }
    }
    for name in namespace::existing().into_iter().rev() {
        if namespace::delete(&ip, name).is_ok() {
            done.push(format!("deleted network namespace {name}"));
        }
    }
    done
}

/// Asks the lab's tgtd to shut down: it ignores SIGTERM while it exports a target.
fn shut_down_tgtd(layout: &Layout) {
    let Some(pid) = process::read_pid(&layout.tgtd_pid()) else {
        return;
    };
    if !process::alive(pid) || !process::belongs_to_lab(pid, &layout.dir) {
        return;
    }
    let Some(tgtadm) = find_program("tgtadm") else {
        return;
    };
    // tgtd refuses to shut down while it has a target. A failure leaves tgtd to SIGTERM and
    // SIGKILL below.
    let steps: [&[&str]; 2] = [
        &[
            "--op", "delete", "--mode", "target", "--tid", "1", "--force",
        ],
        &["--op", "delete", "--mode", "system"],
    ];
    for step in steps {
        let _ = std::process::Command::new(&tgtadm)
            .env("TGT_IPC_SOCKET", layout.tgtd_socket())
            .args(["--lld", "iscsi"])
            .args(step)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// `down`: processes, links, namespaces, leftover mounts under the lab's folder, created mount
/// points, then the lab's files.
pub fn down(layout: &Layout) -> Result<Vec<String>, Box<Error>> {
    let recorded = LabFile::read(&layout.lab_file(), &layout.dir)
        .ok()
        .flatten();
    let mut done = stop_everything(layout);
    for name in namespace::existing() {
        // `ip netns delete` failed above: say so rather than leave it silently.
        let ip = find_program("ip").unwrap_or_else(|| PathBuf::from("ip"));
        namespace::delete(&ip, name)?;
    }
    for point in mounts_under(&layout.created()) {
        unmount(&point)?;
        done.push(format!("unmounted {}", point.display()));
    }
    if let Some(lab) = &recorded {
        for point in &lab.created_mount_points {
            // Only an empty folder goes: something else may have put files there since.
            if std::fs::remove_dir(point).is_ok() {
                done.push(format!("removed mount point {}", point.display()));
            }
        }
    }
    if layout.marker().exists() {
        for path in layout.created() {
            if remove(&path)? {
                done.push(format!("removed {}", path.display()));
            }
        }
    } else if layout.created().iter().any(|p| p.exists()) {
        done.push(format!(
            "left the files in {}: `kvmlab up` did not make that folder",
            layout.dir.display()
        ));
    }
    if std::fs::remove_dir(&layout.dir).is_ok() {
        done.push(format!("removed {}", layout.dir.display()));
    }
    let cache = Path::new(super::images::PACKAGE_CACHE);
    if !done.is_empty() && cache.is_dir() {
        done.push(format!(
            "kept the package cache {} (Debian's .deb files for the next `up`; delete it freely)",
            cache.display()
        ));
    }
    Ok(done)
}

/// Mount points at or below the folders `up` created, deepest first (never the lab's folder
/// itself, which may be a mount the user made).
fn mounts_under(created: &[PathBuf]) -> Vec<PathBuf> {
    let Ok(mounts) = std::fs::read_to_string("/proc/self/mounts") else {
        return Vec::new();
    };
    let mut points: Vec<PathBuf> = mounts
        .lines()
        .filter_map(|line| line.split_whitespace().nth(1))
        .map(|field| PathBuf::from(field.replace("\\040", " ")))
        .filter(|point| created.iter().any(|c| point.starts_with(c)))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    points.dedup();
    points
}

fn unmount(point: &Path) -> Result<(), Box<Error>> {
    let c = std::ffi::CString::new(point.as_os_str().as_encoded_bytes())
        .map_err(|_| io_error("unmount", point, std::io::ErrorKind::InvalidInput.into()))?;
    // SAFETY: umount2 reads a NUL-terminated path; MNT_DETACH only lazily detaches it.
    if unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) } != 0 {
        return Err(io_error("unmount", point, std::io::Error::last_os_error()));
    }
    Ok(())
}

/// Removes a file or folder `up` created; false when it was not there.
fn remove(path: &Path) -> Result<bool, Box<Error>> {
    let result = match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => Err(e),
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
    };
    result
        .map(|()| true)
        .map_err(|e| io_error("remove", path, e))
}
