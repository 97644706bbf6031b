//! A guest as libvirt sees it: the domain XML that `virsh dumpxml` would show for the
//! guest virt-manager creates in the report (§2.5), valid by libvirt's own schema.

use sha2::{Digest, Sha256};
use std::fmt::Write;

/// Where a guest's disk lives, in libvirt's terms.
#[derive(Debug, Clone, PartialEq)]
pub enum DiskSource {
    /// An image file, e.g. a volume of a `dir` or `fs` pool: `/iscsi1/centos-nz2.img`.
    File(String),
    /// A whole block device, e.g. an iSCSI LUN seen by the host: `/dev/sdb`.
    Block(String),
    /// QEMU's own iSCSI initiator: `iqn…/LUN` at a portal.
    Iscsi {
        host: String,
        port: u16,
        target: String,
        lun: u32,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct DomainSpec {
    pub name: String,
    pub memory: u64,
    pub vcpus: u32,
    /// `kvm` or `qemu` (software emulation).
    pub virt_type: String,
    /// `i686` or `x86_64`.
    pub arch: String,
    pub disk: DiskSource,
    /// raw or qcow2.
    pub disk_format: String,
    /// none, directsync, writethrough, writeback, unsafe, default.
    pub cache: String,
    pub cdrom: Option<String>,
    pub bridge: String,
    pub mac: String,
    pub uuid: String,
    pub emulator: String,
    pub machine: String,
}

/// A deterministic identity for a guest: a MAC in QEMU's 52:54:00 range and a UUID, both
/// derived from the run's seed and the guest's name.
pub fn identity(seed: u64, name: &str) -> (String, String) {
    let digest = Sha256::new()
        .chain_update(seed.to_le_bytes())
        .chain_update(name.as_bytes())
        .finalize();
    let mac = format!(
        "52:54:00:{:02x}:{:02x}:{:02x}",
        digest[0], digest[1], digest[2]
    );
    let uuid = super::storage::blockdev::derived_uuid(&format!("domain:{seed}:{name}"));
    (mac, uuid)
}

pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
        .replace('"', "&quot;")
}

impl DomainSpec {
    pub fn to_xml(&self) -> String {
        let mut x = String::new();
        let e = escape;
        let _ = writeln!(x, "<domain type='{}'>", e(&self.virt_type));
        let _ = writeln!(x, "  <name>{}</name>", e(&self.name));
        let _ = writeln!(x, "  <uuid>{}</uuid>", self.uuid);
        let kib = self.memory / 1024;
        let _ = writeln!(x, "  <memory unit='KiB'>{kib}</memory>");
        let _ = writeln!(x, "  <currentMemory unit='KiB'>{kib}</currentMemory>");
        let _ = writeln!(x, "  <vcpu placement='static'>{}</vcpu>", self.vcpus);
        let _ = writeln!(x, "  <os>");
        let _ = writeln!(
            x,
            "    <type arch='{}' machine='{}'>hvm</type>",
            e(&self.arch),
            e(&self.machine)
        );
        if self.cdrom.is_some() {
            let _ = writeln!(x, "    <boot dev='cdrom'/>");
        }
        let _ = writeln!(x, "    <boot dev='hd'/>");
        let _ = writeln!(x, "  </os>");
        let _ = writeln!(
            x,
            "  <features>\n    <acpi/>\n    <apic/>\n    <pae/>\n  </features>"
        );
        let _ = writeln!(x, "  <clock offset='utc'/>");
        let _ = writeln!(x, "  <on_poweroff>destroy</on_poweroff>");
        let _ = writeln!(x, "  <on_reboot>restart</on_reboot>");
        let _ = writeln!(x, "  <on_crash>restart</on_crash>");
        let _ = writeln!(x, "  <devices>");
        let _ = writeln!(x, "    <emulator>{}</emulator>", e(&self.emulator));
        let driver = format!(
            "<driver name='qemu' type='{}' cache='{}'/>",
            e(&self.disk_format),
            e(&self.cache)
        );
        let (kind, source) = match &self.disk {
            DiskSource::File(path) => ("file", format!("<source file='{}'/>", e(path))),
            DiskSource::Block(dev) => ("block", format!("<source dev='{}'/>", e(dev))),
            DiskSource::Iscsi {
                host,
                port,
                target,
                lun,
            } => (
                "network",
                format!(
                    "<source protocol='iscsi' name='{}/{lun}'>\n        <host name='{}' port='{port}'/>\n      </source>",
                    e(target),
                    e(host)
                ),
            ),
        };
        let _ = writeln!(x, "    <disk type='{kind}' device='disk'>");
        let _ = writeln!(x, "      {driver}");
        let _ = writeln!(x, "      {source}");
        let _ = writeln!(x, "      <target dev='vda' bus='virtio'/>");
        let _ = writeln!(x, "    </disk>");
        if let Some(iso) = &self.cdrom {
            let _ = writeln!(x, "    <disk type='file' device='cdrom'>");
            let _ = writeln!(x, "      <driver name='qemu' type='raw'/>");
            let _ = writeln!(x, "      <source file='{}'/>", e(iso));
            let _ = writeln!(x, "      <target dev='hdc' bus='ide'/>");
            let _ = writeln!(x, "      <readonly/>");
            let _ = writeln!(x, "    </disk>");
        }
        let _ = writeln!(x, "    <interface type='bridge'>");
        let _ = writeln!(x, "      <mac address='{}'/>", self.mac);
        let _ = writeln!(x, "      <source bridge='{}'/>", e(&self.bridge));
        let _ = writeln!(x, "      <model type='virtio'/>");
        let _ = writeln!(x, "    </interface>");
        let _ = writeln!(
            x,
            "    <serial type='pty'>\n      <target port='0'/>\n    </serial>"
        );
        let _ = writeln!(
            x,
            "    <console type='pty'>\n      <target type='serial' port='0'/>\n    </console>"
        );
        let _ = writeln!(x, "    <input type='tablet' bus='usb'/>");
        let _ = writeln!(x, "    <graphics type='vnc' port='-1' autoport='yes'/>");
        let _ = writeln!(
            x,
            "    <video>\n      <model type='cirrus' vram='9216' heads='1'/>\n    </video>"
        );
        let _ = writeln!(x, "  </devices>");
        let _ = writeln!(x, "</domain>");
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn report_guest() -> DomainSpec {
        let (mac, uuid) = identity(0, "centos-nz2");
        DomainSpec {
            name: "centos-nz2".into(),
            memory: 512 << 20,
            vcpus: 1,
            virt_type: "kvm".into(),
            arch: "i686".into(),
            disk: DiskSource::File("/iscsi1/centos-nz2.img".into()),
            disk_format: "raw".into(),
            cache: "none".into(),
            cdrom: Some("/guest/iso/CentOS-5.6-i386-bin-DVD.iso".into()),
            bridge: "br0".into(),
            mac,
            uuid,
            emulator: "/usr/libexec/qemu-kvm".into(),
            machine: "rhel6.0.0".into(),
        }
    }

    #[test]
    fn identity_is_deterministic_and_well_formed() {
        let (mac, uuid) = identity(0, "centos-nz2");
        assert_eq!(identity(0, "centos-nz2"), (mac.clone(), uuid.clone()));
        assert_ne!(identity(1, "centos-nz2").0, mac);
        assert!(mac.starts_with("52:54:00:") && mac.len() == 17, "{mac}");
        let groups: Vec<_> = uuid.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12], "{uuid}");
        assert_eq!(&uuid[14..15], "4");
    }

    #[test]
    fn the_report_guest_as_xml() {
        let xml = report_guest().to_xml();
        assert!(xml.starts_with("<domain type='kvm'>\n  <name>centos-nz2</name>\n"));
        assert!(xml.contains("<memory unit='KiB'>524288</memory>"));
        assert!(xml.contains("<type arch='i686' machine='rhel6.0.0'>hvm</type>"));
        assert!(xml.contains("<driver name='qemu' type='raw' cache='none'/>"));
        assert!(xml.contains("<source file='/iscsi1/centos-nz2.img'/>"));
        assert!(xml.contains("<source bridge='br0'/>"));
    }

    #[test]
    fn names_are_escaped() {
        let mut guest = report_guest();
        guest.name = "a<b>&'c'".into();
        assert!(guest
            .to_xml()
            .contains("<name>a&lt;b&gt;&amp;&apos;c&apos;</name>"));
    }

    /// libvirt's schema is the oracle: `virt-xml-validate` from libvirt-clients.
    #[test]
    fn libvirt_accepts_the_xml() {
        let mut network = report_guest();
        network.disk = DiskSource::Iscsi {
            host: "10.10.1.10".into(),
            port: 3260,
            target: "iqn.2006-01.com.openfiler:tsn.b5ffc134d692".into(),
            lun: 1,
        };
        network.cdrom = None;
        let mut block = report_guest();
        block.disk = DiskSource::Block("/dev/sdb".into());
        for guest in [report_guest(), network, block] {
            let file = std::env::temp_dir().join(format!(
                "kvmlab-domain-{}-{}.xml",
                std::process::id(),
                guest.disk_kind()
            ));
            std::fs::write(&file, guest.to_xml()).unwrap();
            let result = std::process::Command::new("virt-xml-validate")
                .arg(&file)
                .arg("domain")
                .output();
            let _ = std::fs::remove_file(&file);
            match result {
                Ok(out) => assert!(
                    out.status.success(),
                    "libvirt rejects the XML:\n{}\n{}",
                    String::from_utf8_lossy(&out.stderr),
                    guest.to_xml()
                ),
                Err(e) => crate::oracle::unavailable("virt-xml-validate", &e.to_string()),
            }
        }
    }

    impl DomainSpec {
        fn disk_kind(&self) -> &'static str {
            match self.disk {
                DiskSource::File(_) => "file",
                DiskSource::Block(_) => "block",
                DiskSource::Iscsi { .. } => "iscsi",
            }
        }
    }
}
