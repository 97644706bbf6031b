//! Asking the lab's daemons whether they answer: libvirtd through virsh (on its socket from
//! the host, and over TCP from the lab's namespace, across the host's link), tgtd through
//! tgtadm on its control socket, and the LUN through libiscsi's iscsi-ls in the lab's
//! namespace, at the portal a guest's QEMU uses.

use super::layout::{self, Layout};
use super::preflight::find_program;
use super::spawn;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one probe may take: a daemon that accepts but never replies counts as silent.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// The command's stdout when it succeeds within [`PROBE_TIMEOUT`]; killed otherwise.
fn quiet(command: &mut Command) -> Option<String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdout = child.stdout.take()?;
    // Read while waiting, so a long answer cannot fill the pipe and stall the child.
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout.read_to_end(&mut bytes);
        bytes
    });
    let deadline = Instant::now() + PROBE_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let bytes = reader.join().ok()?;
                return status
                    .success()
                    .then(|| String::from_utf8_lossy(&bytes).into_owned());
            }
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

fn virsh(uri: &str, args: &[&str], in_netns: bool) -> Option<String> {
    let program = find_program("virsh")?;
    let mut command = if in_netns {
        spawn::client(&program).ok()?
    } else {
        Command::new(program)
    };
    command
        .env("LIBVIRT_DEFAULT_URI", uri)
        .args(["-c", uri])
        .args(args);
    quiet(&mut command)
}

/// Whether the libvirtd at `uri` answers `virsh version` (`in_netns` for the TCP URI).
pub fn libvirt_answers(uri: &str, in_netns: bool) -> bool {
    virsh(uri, &["version"], in_netns).is_some()
}

/// The host UUID libvirt reports in its capabilities.
pub fn libvirt_host_uuid(uri: &str, in_netns: bool) -> Option<String> {
    let capabilities = virsh(uri, &["capabilities"], in_netns)?;
    let start = capabilities.find("<uuid>")? + "<uuid>".len();
    let end = start + capabilities[start..].find("</uuid>")?;
    Some(capabilities[start..end].trim().to_string())
}

/// `tgtadm … --op show --mode target` on the lab's control socket.
pub fn tgtadm_show(layout: &Layout) -> Option<String> {
    let mut command = Command::new(find_program("tgtadm")?);
    command
        .env("TGT_IPC_SOCKET", layout.tgtd_socket())
        .args(["--lld", "iscsi", "--op", "show", "--mode", "target"]);
    quiet(&mut command)
}

/// Whether tgtd exports the lab's target with LUN 1 backed by `lun_file`.
pub fn target_exported(layout: &Layout, lun_file: &Path) -> bool {
    tgtadm_show(layout).is_some_and(|shown| {
        shown.contains(layout::TARGET_IQN)
            && shown.contains("LUN: 1")
            && shown.contains(&format!("Backing store path: {}", lun_file.display()))
    })
}

/// What iscsi-ls lists at the portal, from the lab's namespace (targets and LUNs with sizes).
pub fn iscsi_ls() -> Option<String> {
    let program = find_program("iscsi-ls")?;
    let mut command = spawn::client(&program).ok()?;
    command.args(["-s", &format!("iscsi://{}", layout::PORTAL)]);
    quiet(&mut command)
}

/// Whether iscsi-ls sees LUN 1 of the lab's target.
pub fn lun_visible() -> bool {
    iscsi_ls().is_some_and(|listing| {
        listing.contains(layout::TARGET_IQN) && listing.lines().any(|line| line.contains("Lun:1"))
    })
}
