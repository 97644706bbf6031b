//! Starting the lab's daemons: a libvirtd per host in the host's network namespace, each in a
//! private mount namespace over its own folders, and tgtd as the NAS with one sparse LUN in
//! the lab's own namespace. Each start waits until the daemon answers.

use super::config;
use super::layout::{self, HostPlan, Layout, LIBVIRT_DIRS};
use super::namespace;
use super::preflight::require;
use super::probe;
use super::process;
use super::spawn;
use kvmlab_runtime::error::Error;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// How long a daemon may take to answer after it starts.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

pub fn io_error(action: &str, path: &Path, e: std::io::Error) -> Box<Error> {
    Box::new(Error::UpIo {
        action: action.into(),
        path: path.display().to_string(),
        reason: e.to_string(),
        help: "check the folder's permissions and free space; `kvmlab up --dir DIR` picks another folder".into(),
    })
}

/// Writes a host's folders and configuration files.
pub fn prepare_host(layout: &Layout, host: &HostPlan) -> Result<(), Box<Error>> {
    for (sub, _) in LIBVIRT_DIRS {
        let dir = layout.host_subdir(host.name, sub);
        std::fs::create_dir_all(&dir).map_err(|e| io_error("create", &dir, e))?;
    }
    let files = [
        (layout.libvirtd_conf(host.name), config::libvirtd_conf(host)),
        (layout.qemu_conf(host.name), config::qemu_conf(host)),
    ];
    for (path, text) in files {
        std::fs::write(&path, text).map_err(|e| io_error("write", &path, e))?;
    }
    Ok(())
}

/// The mount points libvirtd's folders hide that do not exist on this machine yet.
pub fn missing_mount_points() -> Vec<PathBuf> {
    LIBVIRT_DIRS
        .iter()
        .map(|(_, target)| PathBuf::from(target))
        .filter(|target| !target.exists())
        .collect()
}

/// Starts libvirtd for `host`; [`await_libvirtd`] waits for it, so both hosts start at once.
pub fn start_libvirtd(layout: &Layout, host: &HostPlan) -> Result<Child, Box<Error>> {
    let program = require("libvirtd")?;
    let mut command = Command::new(program);
    command
        .arg("--listen")
        .arg("--pid-file")
        .arg(layout.libvirtd_pid(host.name))
        .arg("--config")
        .arg(layout.libvirtd_conf(host.name));
    let binds = LIBVIRT_DIRS
        .iter()
        .map(|(sub, target)| (layout.host_subdir(host.name, sub), PathBuf::from(target)))
        .collect();
    let stderr = layout.libvirtd_stderr(host.name);
    spawn::daemon(command, host.netns, binds, &stderr)
        .map_err(|e| io_error("start libvirtd with its log", &stderr, e))
}

/// Waits until `host`'s libvirtd answers on its socket, and over TCP from the lab's namespace
/// (across the host's link), with its own host UUID.
pub fn await_libvirtd(layout: &Layout, host: &HostPlan, child: Child) -> Result<(), Box<Error>> {
    let socket_uri = layout.socket_uri(host.name);
    let tcp_uri = host.tcp_uri();
    wait_for(
        child,
        &format!("libvirtd of {}", host.name),
        &tcp_uri,
        &layout.libvirtd_stderr(host.name),
        layout,
        || probe::libvirt_answers(&socket_uri, false) && probe::libvirt_answers(&tcp_uri, true),
    )?;
    // Migration between the two needs distinct host UUIDs: check libvirt took its own.
    let reported = probe::libvirt_host_uuid(&socket_uri, false).unwrap_or_default();
    if reported != host.host_uuid {
        return Err(Box::new(Error::UpCommandFailed {
            command: format!("virsh -c {socket_uri} capabilities"),
            status: "wrong host UUID".into(),
            output: format!("reports host UUID `{reported}`, not `{}`", host.host_uuid),
            help: format!(
                "check `host_uuid` in {}; `kvmlab down` then `kvmlab up` rewrites it",
                layout.libvirtd_conf(host.name).display()
            ),
        }));
    }
    Ok(())
}

/// Starts tgtd on the portal, creates the target with its sparse LUN and opens it to every
/// initiator that reaches the portal (the hosts, over their links).
pub fn start_nas(layout: &Layout) -> Result<(), Box<Error>> {
    let dir = layout.nas_dir();
    std::fs::create_dir_all(&dir).map_err(|e| io_error("create", &dir, e))?;
    let lun = layout.lun_file();
    let file = std::fs::File::create(&lun).map_err(|e| io_error("create", &lun, e))?;
    file.set_len(layout::LUN_SIZE)
        .map_err(|e| io_error("size", &lun, e))?;
    let mut command = Command::new(require("tgtd")?);
    command.env("TGT_IPC_SOCKET", layout.tgtd_socket()).args([
        "-f",
        "--iscsi",
        &format!("portal={}", layout::PORTAL),
    ]);
    let log = layout.tgtd_log();
    let child = spawn::daemon(command, layout::NETNS, Vec::new(), &log)
        .map_err(|e| io_error("start tgtd with its log", &log, e))?;
    let pid_file = layout.tgtd_pid();
    std::fs::write(&pid_file, format!("{}\n", child.id()))
        .map_err(|e| io_error("write", &pid_file, e))?;
    wait_for(
        child,
        "tgtd",
        &layout.tgtd_socket().display().to_string(),
        &log,
        layout,
        || probe::tgtadm_show(layout).is_some(),
    )?;
    let tgtadm = require("tgtadm")?;
    let socket = layout.tgtd_socket();
    let lun_arg = lun.display().to_string();
    let steps: [&[&str]; 3] = [
        &[
            "--op",
            "new",
            "--mode",
            "target",
            "--tid",
            "1",
            "-T",
            layout::TARGET_IQN,
        ],
        &[
            "--op",
            "new",
            "--mode",
            "logicalunit",
            "--tid",
            "1",
            "--lun",
            "1",
            "-b",
            &lun_arg,
        ],
        &[
            "--op", "bind", "--mode", "target", "--tid", "1", "-I", "ALL",
        ],
    ];
    for step in steps {
        namespace::run(
            Command::new(&tgtadm)
                .env("TGT_IPC_SOCKET", &socket)
                .args(["--lld", "iscsi"])
                .args(step),
        )?;
    }
    let started = Instant::now();
    while !probe::lun_visible() {
        if started.elapsed() > ANSWER_TIMEOUT {
            return Err(Box::new(Error::UpDaemonSilent {
                daemon: "the NAS's LUN (iscsi-ls)".into(),
                why: format!(
                    "iscsi-ls did not list {} within {} s",
                    layout::lun_uri(),
                    ANSWER_TIMEOUT.as_secs()
                ),
                log: log.display().to_string(),
                dir: layout.dir.display().to_string(),
            }));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// Polls `answers` until it holds; fails early when the daemon exits, or after the timeout.
fn wait_for(
    mut child: Child,
    daemon: &str,
    address: &str,
    log: &Path,
    layout: &Layout,
    answers: impl Fn() -> bool,
) -> Result<(), Box<Error>> {
    let started = Instant::now();
    loop {
        if answers() {
            return Ok(());
        }
        // libvirtd and tgtd stay in the foreground: an exit is a failure to start.
        let exited = match child.try_wait() {
            Ok(Some(status)) => Some(format!(
                "it exited ({status}) before answering on {address}"
            )),
            _ => None,
        };
        if exited.is_some() || started.elapsed() > ANSWER_TIMEOUT {
            if exited.is_none() {
                process::stop(&[child.id()], Duration::from_secs(2));
            }
            return Err(Box::new(Error::UpDaemonSilent {
                daemon: daemon.into(),
                why: exited.unwrap_or_else(|| {
                    format!(
                        "no answer on {address} within {} s",
                        ANSWER_TIMEOUT.as_secs()
                    )
                }),
                log: log.display().to_string(),
                dir: layout.dir.display().to_string(),
            }));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
