//! A guest as libvirt sees it: the domain XML that `virsh dumpxml` would show for the
//! guest virt-manager creates in the report (§2.5), valid by libvirt's own schema, and the
//! parts of such a file `virsh define` reads back (quick-xml's serde reader).

use super::guest::ErrorPolicy;
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
    pub error_policy: ErrorPolicy,
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

impl super::guest::Guest {
    /// The guest's domain as RHEL 6's libvirt defines it (qemu-kvm at /usr/libexec).
    pub fn domain_spec(&self) -> DomainSpec {
        DomainSpec {
            name: self.name().into(),
            memory: self.spec.memory,
            vcpus: self.spec.vcpus,
            virt_type: self.spec.virt_type.clone(),
            arch: self.spec.arch.clone(),
            disk: DiskSource::File(self.spec.disk.path.clone()),
            disk_format: self.spec.disk.format.clone(),
            cache: self.spec.cache.clone(),
            error_policy: self.spec.error_policy,
            cdrom: self.spec.iso.clone(),
            bridge: self.spec.bridge.clone(),
            mac: self.mac.clone(),
            uuid: self.uuid.clone(),
            emulator: "/usr/libexec/qemu-kvm".into(),
            machine: "rhel6.0.0".into(),
        }
    }
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
            "<driver name='qemu' type='{}' cache='{}'{}/>",
            e(&self.disk_format),
            e(&self.cache),
            self.error_policy.driver_attribute()
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

/// The elements of a domain XML `virsh define` reads; the rest is libvirt's defaults.
#[derive(serde::Deserialize)]
struct DomainFile {
    #[serde(rename = "@type")]
    kind: String,
    name: String,
    uuid: Option<String>,
    memory: Amount,
    vcpu: Option<Amount>,
    os: Option<OsFile>,
    devices: Option<DevicesFile>,
}

#[derive(serde::Deserialize)]
struct Amount {
    #[serde(rename = "@unit")]
    unit: Option<String>,
    #[serde(rename = "$text")]
    value: u64,
}

#[derive(serde::Deserialize)]
struct OsFile {
    #[serde(rename = "type")]
    kind: OsTypeFile,
}

#[derive(serde::Deserialize)]
struct OsTypeFile {
    #[serde(rename = "@arch")]
    arch: Option<String>,
    #[serde(rename = "@machine")]
    machine: Option<String>,
}

#[derive(serde::Deserialize)]
struct DevicesFile {
    emulator: Option<String>,
    #[serde(default)]
    disk: Vec<DiskFile>,
    #[serde(default)]
    interface: Vec<InterfaceFile>,
}

#[derive(serde::Deserialize)]
struct DiskFile {
    #[serde(rename = "@device")]
    device: Option<String>,
    driver: Option<DriverFile>,
    source: Option<SourceFile>,
}

#[derive(serde::Deserialize)]
struct DriverFile {
    #[serde(rename = "@type")]
    format: Option<String>,
    #[serde(rename = "@cache")]
    cache: Option<String>,
    #[serde(rename = "@error_policy")]
    error_policy: Option<String>,
}

#[derive(serde::Deserialize)]
struct SourceFile {
    #[serde(rename = "@file")]
    file: Option<String>,
    #[serde(rename = "@dev")]
    dev: Option<String>,
    #[serde(rename = "@bridge")]
    bridge: Option<String>,
}

#[derive(serde::Deserialize)]
struct InterfaceFile {
    #[serde(rename = "@type")]
    kind: String,
    mac: Option<MacFile>,
    source: Option<SourceFile>,
}

#[derive(serde::Deserialize)]
struct MacFile {
    #[serde(rename = "@address")]
    address: String,
}

/// Bytes in `value` of libvirt's `unit` (KiB when none is given, as libvirt reads it).
fn bytes(amount: &Amount) -> Result<u64, String> {
    let scale: u64 = match amount.unit.as_deref().unwrap_or("KiB") {
        "b" | "bytes" => 1,
        "k" | "KiB" => 1 << 10,
        "KB" => 1000,
        "M" | "MiB" => 1 << 20,
        "MB" => 1_000_000,
        "G" | "GiB" => 1 << 30,
        "GB" => 1_000_000_000,
        other => return Err(format!("unknown memory unit '{other}'")),
    };
    amount
        .value
        .checked_mul(scale)
        .ok_or_else(|| "memory size too large".to_string())
}

impl DomainSpec {
    /// Reads a domain XML as `virsh define` takes it: one disk, an optional CD-ROM and a
    /// bridged interface; a MAC or UUID left out is `identity`'s. Errors are libvirt's
    /// words for what is wrong.
    pub fn from_xml(text: &str, seed: u64) -> Result<DomainSpec, String> {
        let file: DomainFile =
            quick_xml::de::from_str(text).map_err(|e| format!("XML error: {e}"))?;
        if file.name.trim().is_empty() {
            return Err("XML error: missing domain name".into());
        }
        let memory = bytes(&file.memory)?;
        let vcpus = match &file.vcpu {
            Some(v) => {
                u32::try_from(v.value).map_err(|_| "XML error: vcpu count too large".to_string())?
            }
            None => 1,
        };
        let devices = file
            .devices
            .ok_or("XML error: the domain has no <devices>")?;
        let mut disks = devices
            .disk
            .iter()
            .filter(|d| d.device.as_deref().unwrap_or("disk") == "disk");
        let disk = disks.next().ok_or("XML error: the domain has no disk")?;
        if disks.next().is_some() {
            return Err("XML error: kvmlab's guests have one disk".into());
        }
        let source = disk.source.as_ref();
        let disk_source = match (
            source.and_then(|s| s.file.clone()),
            source.and_then(|s| s.dev.clone()),
        ) {
            (Some(file), _) => DiskSource::File(file),
            (None, Some(dev)) => DiskSource::Block(dev),
            (None, None) => return Err("XML error: the disk has no <source file=...>".into()),
        };
        let cdrom = devices
            .disk
            .iter()
            .find(|d| d.device.as_deref() == Some("cdrom"))
            .and_then(|d| d.source.as_ref().and_then(|s| s.file.clone()));
        let interface = devices
            .interface
            .iter()
            .find(|i| i.kind == "bridge")
            .ok_or("XML error: the domain has no <interface type='bridge'>")?;
        let bridge = interface
            .source
            .as_ref()
            .and_then(|s| s.bridge.clone())
            .ok_or("XML error: the interface has no <source bridge=...>")?;
        let error_policy = match disk.driver.as_ref().and_then(|d| d.error_policy.as_deref()) {
            None => ErrorPolicy::Default,
            Some(name) => ErrorPolicy::parse(name)
                .filter(|p| !p.is_default())
                .ok_or_else(|| format!("unknown disk error policy '{name}'"))?,
        };
        let (mac, uuid) = identity(seed, &file.name);
        let os = file.os.map(|o| o.kind);
        Ok(DomainSpec {
            virt_type: file.kind,
            memory,
            vcpus,
            arch: os
                .as_ref()
                .and_then(|o| o.arch.clone())
                .unwrap_or_else(|| "x86_64".into()),
            machine: os
                .and_then(|o| o.machine)
                .unwrap_or_else(|| "rhel6.0.0".into()),
            disk: disk_source,
            disk_format: disk
                .driver
                .as_ref()
                .and_then(|d| d.format.clone())
                .unwrap_or_else(|| "raw".into()),
            cache: disk
                .driver
                .as_ref()
                .and_then(|d| d.cache.clone())
                .unwrap_or_else(|| "default".into()),
            error_policy,
            cdrom,
            bridge,
            mac: interface.mac.as_ref().map_or(mac, |m| m.address.clone()),
            uuid: file.uuid.unwrap_or(uuid),
            emulator: devices
                .emulator
                .unwrap_or_else(|| "/usr/libexec/qemu-kvm".into()),
            name: file.name,
        })
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
            error_policy: ErrorPolicy::Default,
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
    fn a_dumped_domain_defines_the_same_domain() {
        let guest = report_guest();
        assert_eq!(DomainSpec::from_xml(&guest.to_xml(), 0), Ok(guest));
    }

    #[test]
    fn define_reads_units_and_refuses_what_libvirt_refuses() {
        let xml = "<domain type='kvm'><name>g</name><memory unit='MiB'>256</memory><devices><disk type='file' device='disk'><source file='/iscsi1/g.img'/></disk><interface type='bridge'><source bridge='br0'/></interface></devices></domain>";
        let spec = DomainSpec::from_xml(xml, 0).unwrap();
        assert_eq!(
            (spec.memory, spec.vcpus, spec.cache.as_str()),
            (256 << 20, 1, "default")
        );
        assert_eq!(spec.disk, DiskSource::File("/iscsi1/g.img".into()));
        let no_disk = xml.replace(
            "<disk type='file' device='disk'><source file='/iscsi1/g.img'/></disk>",
            "",
        );
        assert_eq!(
            DomainSpec::from_xml(&no_disk, 0),
            Err("XML error: the domain has no disk".into())
        );
        let bad_unit = xml.replace("MiB", "parsecs");
        assert_eq!(
            DomainSpec::from_xml(&bad_unit, 0),
            Err("unknown memory unit 'parsecs'".into())
        );
        assert!(DomainSpec::from_xml("<domain", 0)
            .unwrap_err()
            .starts_with("XML error: "));
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
