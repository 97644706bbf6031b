//! Starting a program inside one of the lab's network namespaces, optionally in a private mount
//! namespace of its own with folders bind-mounted over the paths it insists on. The mounts
//! exist only in that namespace: they vanish with the process, and the host never sees them.

use super::namespace;
use std::ffi::CString;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// What the child does between fork and exec: join a namespace, leave the caller's session
/// (so it outlives `kvmlab up`), and mount its folders.
pub struct Confinement {
    /// The network namespace, by its name under /run/netns.
    pub netns: &'static str,
    /// (source on the host, path it hides) pairs, mounted in a private mount namespace.
    pub binds: Vec<(PathBuf, PathBuf)>,
    /// Start in a new session, detached from the terminal.
    pub detach: bool,
}

/// Configures `command` to run under `confinement`.
pub fn confine(command: &mut Command, confinement: Confinement) -> std::io::Result<()> {
    let netns = File::open(namespace::path(confinement.netns))?;
    let binds: Vec<(CString, CString)> = confinement
        .binds
        .iter()
        .map(|(from, to)| Ok((c_path(from)?, c_path(to)?)))
        .collect::<std::io::Result<_>>()?;
    let root = CString::new("/").expect("no NUL");
    let sys = CString::new("/sys").expect("no NUL");
    let sysfs = CString::new("sysfs").expect("no NUL");
    let detach = confinement.detach;
    // SAFETY: the closure only makes async-signal-safe system calls on data prepared before
    // the fork; `netns` stays open in the parent until spawn returns.
    unsafe {
        command.pre_exec(move || {
            if detach && libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::setns(netns.as_raw_fd(), libc::CLONE_NEWNET) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if binds.is_empty() {
                return Ok(());
            }
            if libc::unshare(libc::CLONE_NEWNS) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            let private = libc::MS_REC | libc::MS_PRIVATE;
            if libc::mount(
                std::ptr::null(),
                root.as_ptr(),
                std::ptr::null(),
                private,
                std::ptr::null(),
            ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            // As `ip netns exec` does: a sysfs of the namespace, so the daemon sees its
            // network devices (its bridge, for its guests' cards), not the machine's.
            libc::umount2(sys.as_ptr(), libc::MNT_DETACH);
            if libc::mount(
                sysfs.as_ptr(),
                sys.as_ptr(),
                sysfs.as_ptr(),
                0,
                std::ptr::null(),
            ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            for (from, to) in &binds {
                if libc::mount(
                    from.as_ptr(),
                    to.as_ptr(),
                    std::ptr::null(),
                    libc::MS_BIND,
                    std::ptr::null(),
                ) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    Ok(())
}

fn c_path(path: &Path) -> std::io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "NUL in a path"))
}

/// Starts a daemon in the namespace `netns` with its output appended to `log`.
pub fn daemon(
    mut command: Command,
    netns: &'static str,
    binds: Vec<(PathBuf, PathBuf)>,
    log: &Path,
) -> std::io::Result<Child> {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;
    command
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out);
    confine(
        &mut command,
        Confinement {
            netns,
            binds,
            detach: true,
        },
    )?;
    command.spawn()
}

/// A command that runs in the lab's namespace (a client such as virsh over TCP, which reaches
/// each host over its link), to completion.
pub fn client(program: &Path) -> std::io::Result<Command> {
    let mut command = Command::new(program);
    confine(
        &mut command,
        Confinement {
            netns: super::layout::NETNS,
            binds: Vec::new(),
            detach: false,
        },
    )?;
    Ok(command)
}
