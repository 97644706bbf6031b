//! Booting an image on a libvirt host as a transient domain (`virsh create`) with its serial
//! port in a file, and waiting for the image's ready line: how `up` learns whether this
//! machine's KVM runs an image or only software emulation does, and how the real tests boot
//! the images.

use crate::up::namespace::run;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A transient guest to boot.
#[derive(Debug, Clone)]
pub struct BootSpec {
    pub name: String,
    /// libvirt's domain type: "kvm" or "qemu".
    pub domain_type: String,
    pub kernel: PathBuf,
    pub initrd: Option<PathBuf>,
    pub cmdline: String,
    pub memory_mib: u32,
    /// Where QEMU writes the guest's COM1 / ttyS0.
    pub serial: PathBuf,
    /// A bridge the guest's virtio card joins, if any.
    pub bridge: Option<String>,
}

/// How long to wait: in all, and for the first byte on the serial port (a kernel that hangs
/// at entry, as Debian's does on some nested KVMs, says nothing at all).
#[derive(Debug, Clone, Copy)]
pub struct Patience {
    pub ready: Duration,
    pub first_output: Duration,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
        .replace('"', "&quot;")
}

/// The domain XML of a guest booted straight from a kernel: no disk, no display.
pub fn domain_xml(spec: &BootSpec) -> String {
    let initrd = spec.initrd.as_ref().map_or(String::new(), |path| {
        format!(
            "\n    <initrd>{}</initrd>",
            escape(&path.display().to_string())
        )
    });
    let interface = spec.bridge.as_ref().map_or(String::new(), |bridge| {
        format!(
            "\n    <interface type='bridge'><source bridge='{}'/><model type='virtio'/></interface>",
            escape(bridge)
        )
    });
    format!(
        "<domain type='{kind}'>
  <name>{name}</name>
  <memory unit='MiB'>{memory}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>{kernel}</kernel>{initrd}
    <cmdline>{cmdline}</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <serial type='file'><source path='{serial}'/><target port='0'/></serial>{interface}
    <video><model type='none'/></video>
    <memballoon model='none'/>
  </devices>
</domain>
",
        kind = escape(&spec.domain_type),
        name = escape(&spec.name),
        memory = spec.memory_mib,
        kernel = escape(&spec.kernel.display().to_string()),
        cmdline = escape(&spec.cmdline),
        serial = escape(&spec.serial.display().to_string()),
    )
}

/// A transient guest that is destroyed (and so gone from libvirt) when dropped.
pub struct Running {
    virsh: PathBuf,
    uri: String,
    pub name: String,
    pub serial: PathBuf,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = Command::new(&self.virsh)
            .args(["-q", "-c", &self.uri, "destroy", &self.name])
            .output();
    }
}

/// Starts the guest on the libvirt host at `uri`.
pub fn start(virsh: &Path, uri: &str, spec: &BootSpec) -> Result<Running, String> {
    let xml = spec.serial.with_extension("xml");
    let _ = std::fs::remove_file(&spec.serial);
    std::fs::write(&xml, domain_xml(spec))
        .map_err(|e| format!("cannot write {}: {e}", xml.display()))?;
    let created = run(Command::new(virsh)
        .args(["-q", "-c", uri, "create"])
        .arg(&xml));
    let _ = std::fs::remove_file(&xml);
    created.map_err(|e| e.to_string())?;
    Ok(Running {
        virsh: virsh.to_path_buf(),
        uri: uri.to_string(),
        name: spec.name.clone(),
        serial: spec.serial.clone(),
    })
}

impl Running {
    /// Waits for a serial line starting with `prefix` and returns it; the reason otherwise.
    pub fn await_line(&self, prefix: &str, patience: Patience) -> Result<String, String> {
        let started = Instant::now();
        loop {
            let text = std::fs::read(&self.serial).unwrap_or_default();
            let text = String::from_utf8_lossy(&text);
            if let Some(line) = text
                .lines()
                .map(|line| line.trim_end_matches('\r'))
                .find(|line| line.starts_with(prefix))
            {
                return Ok(line.to_string());
            }
            let waited = started.elapsed();
            if text.is_empty() && waited >= patience.first_output {
                return Err(format!(
                    "it printed nothing in {} s",
                    patience.first_output.as_secs()
                ));
            }
            if waited >= patience.ready {
                let last = text.lines().last().unwrap_or_default().trim();
                return Err(format!(
                    "no `{prefix}` line in {} s (last line: {last:?})",
                    patience.ready.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Boots the guest, waits for its ready line, and destroys it.
pub fn probe(
    virsh: &Path,
    uri: &str,
    spec: &BootSpec,
    ready: &str,
    patience: Patience,
) -> Result<String, String> {
    let guest = start(virsh, uri, spec)?;
    guest.await_line(ready, patience)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_domain_boots_the_kernel_with_its_serial_in_a_file_and_escapes_paths() {
        let xml = domain_xml(&BootSpec {
            name: "probe-workload".into(),
            domain_type: "kvm".into(),
            kernel: PathBuf::from("/lab/images/workload.elf"),
            initrd: None,
            cmdline: "kvmlab.used=16777216 a&b".into(),
            memory_mib: 64,
            serial: PathBuf::from("/lab/images/probe<1>.log"),
            bridge: Some("kvmlab0".into()),
        });
        assert!(xml.starts_with("<domain type='kvm'>"), "{xml}");
        assert!(xml.contains("<kernel>/lab/images/workload.elf</kernel>\n    <cmdline>kvmlab.used=16777216 a&amp;b</cmdline>"), "{xml}");
        assert!(
            xml.contains("<source path='/lab/images/probe&lt;1&gt;.log'/>"),
            "{xml}"
        );
        assert!(xml.contains("<interface type='bridge'><source bridge='kvmlab0'/><model type='virtio'/></interface>"), "{xml}");
        assert!(!xml.contains("<initrd>"));
    }
}
