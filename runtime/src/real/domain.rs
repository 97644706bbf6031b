//! A model guest as a real host defines it. The model's domain XML
//! ([`crate::world::domain_xml`]) is the report's CentOS guest installed from an ISO; a real
//! host boots one of the site's images directly instead: the workload kernel with the
//! workload on its command line (its console a pty it reads new workloads from), or, for a
//! guest that serves files, the small Linux with its address on the guests' bridge. Its disk
//! is the real NAS LUN (shared storage, so migration moves only memory) or a file of a real
//! dir pool. Plain data: rendered and validated without libvirt.

use crate::site::{Site, SiteNas};
use crate::world::guest::{ErrorPolicy, Guest, Workload};
use std::fmt::Write;
use std::path::PathBuf;

/// Where the real guest's disk is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RealDisk {
    /// The NAS's LUN through QEMU's own iSCSI initiator.
    Nas(SiteNas),
    /// A raw file, a volume of a real dir pool.
    File(String),
}

/// What a real host is asked to define.
#[derive(Debug, Clone, PartialEq)]
pub struct RealDomain {
    pub name: String,
    pub uuid: String,
    pub mac: String,
    pub memory: u64,
    pub vcpus: u32,
    /// `kvm` or `qemu` (software emulation).
    pub domain_type: String,
    pub disk: RealDisk,
    pub cache: String,
    /// What QEMU does when the disk's I/O fails, as the model guest asks.
    pub error_policy: ErrorPolicy,
    pub boot: RealBoot,
    /// The bridge the guest's card joins; `None`: no card.
    pub bridge: Option<String>,
}

/// What a real guest boots.
#[derive(Debug, Clone, PartialEq)]
pub enum RealBoot {
    /// Nothing: SeaBIOS finds no bootable disk and waits (a site without images).
    Bios,
    /// The workload kernel, told its workload on the command line.
    Workload { kernel: PathBuf, workload: Workload },
    /// The small Linux serving files over HTTP, at `address` (`A.B.C.D/NN`) on the bridge.
    Linux {
        kernel: PathBuf,
        initramfs: PathBuf,
        address: String,
        gateway: String,
    },
}

impl RealDomain {
    /// The real counterpart of a model guest on `site`, its disk at `disk`; `linux_at` is
    /// the bridge address of a guest that serves files (the site's Linux image boots it).
    pub fn of(guest: &Guest, site: &Site, disk: RealDisk, linux_at: Option<String>) -> RealDomain {
        let images = site.images.as_ref();
        let linux =
            images.and_then(|i| Some((i, i.linux_kernel.clone()?, i.linux_initramfs.clone()?)));
        let network = site.network.as_ref();
        let (domain_type, boot) = match (images, linux, linux_at, network) {
            (_, Some((i, kernel, initramfs)), Some(address), Some(net)) => (
                i.linux_domain_type.clone(),
                RealBoot::Linux {
                    kernel,
                    initramfs,
                    address,
                    gateway: net.gateway.clone(),
                },
            ),
            (Some(i), ..) => (
                i.workload_domain_type.clone(),
                RealBoot::Workload {
                    kernel: i.workload_kernel.clone(),
                    workload: guest.workload,
                },
            ),
            (None, ..) => (guest.spec.virt_type.clone(), RealBoot::Bios),
        };
        RealDomain {
            name: guest.name().into(),
            uuid: guest.uuid.clone(),
            mac: guest.mac.clone(),
            memory: guest.spec.memory,
            vcpus: guest.spec.vcpus,
            domain_type,
            disk,
            cache: guest.spec.cache.clone(),
            error_policy: guest.spec.error_policy,
            boot,
            bridge: network.map(|n| n.bridge.clone()),
        }
    }

    pub fn to_xml(&self) -> String {
        let e = escape;
        let mut x = String::new();
        let _ = writeln!(x, "<domain type='{}'>", e(&self.domain_type));
        let _ = writeln!(x, "  <name>{}</name>", e(&self.name));
        let _ = writeln!(x, "  <uuid>{}</uuid>", e(&self.uuid));
        let kib = self.memory / 1024;
        let _ = writeln!(x, "  <memory unit='KiB'>{kib}</memory>");
        let _ = writeln!(x, "  <currentMemory unit='KiB'>{kib}</currentMemory>");
        let _ = writeln!(x, "  <vcpu placement='static'>{}</vcpu>", self.vcpus);
        let _ = writeln!(x, "  <os>");
        let _ = writeln!(x, "    <type arch='x86_64' machine='pc'>hvm</type>");
        match &self.boot {
            RealBoot::Workload { kernel, workload } => {
                let _ = writeln!(x, "    <kernel>{}</kernel>", e(&kernel.to_string_lossy()));
                let _ = writeln!(
                    x,
                    "    <cmdline>{}</cmdline>",
                    e(&workload_cmdline(workload))
                );
            }
            RealBoot::Linux {
                kernel,
                initramfs,
                address,
                gateway,
            } => {
                let _ = writeln!(x, "    <kernel>{}</kernel>", e(&kernel.to_string_lossy()));
                let _ = writeln!(
                    x,
                    "    <initrd>{}</initrd>",
                    e(&initramfs.to_string_lossy())
                );
                let _ = writeln!(
                    x,
                    "    <cmdline>{}</cmdline>",
                    e(&linux_cmdline(address, gateway))
                );
            }
            RealBoot::Bios => {
                let _ = writeln!(x, "    <boot dev='hd'/>");
            }
        }
        let _ = writeln!(x, "  </os>");
        let _ = writeln!(x, "  <features>\n    <acpi/>\n    <apic/>\n  </features>");
        let _ = writeln!(x, "  <clock offset='utc'/>");
        let _ = writeln!(x, "  <on_poweroff>destroy</on_poweroff>");
        let _ = writeln!(x, "  <on_reboot>restart</on_reboot>");
        let _ = writeln!(x, "  <on_crash>destroy</on_crash>");
        let _ = writeln!(x, "  <devices>");
        let driver = format!(
            "<driver name='qemu' type='raw' cache='{}'{}/>",
            e(&self.cache),
            self.error_policy.driver_attribute()
        );
        match &self.disk {
            RealDisk::Nas(nas) => {
                let _ = writeln!(x, "    <disk type='network' device='disk'>");
                let _ = writeln!(x, "      {driver}");
                let _ = writeln!(
                    x,
                    "      <source protocol='iscsi' name='{}/{}'>\n        <host name='{}' port='{}'/>\n      </source>",
                    e(&nas.iqn),
                    nas.lun,
                    e(&nas.host),
                    nas.port
                );
            }
            RealDisk::File(path) => {
                let _ = writeln!(x, "    <disk type='file' device='disk'>");
                let _ = writeln!(x, "      {driver}");
                let _ = writeln!(x, "      <source file='{}'/>", e(path));
            }
        }
        let _ = writeln!(x, "      <target dev='vda' bus='virtio'/>");
        let _ = writeln!(x, "    </disk>");
        if let Some(bridge) = &self.bridge {
            let _ = writeln!(x, "    <interface type='bridge'>");
            let _ = writeln!(x, "      <mac address='{}'/>", e(&self.mac));
            let _ = writeln!(x, "      <source bridge='{}'/>", e(bridge));
            let _ = writeln!(x, "      <model type='virtio'/>");
            let _ = writeln!(x, "    </interface>");
        }
        let _ = writeln!(
            x,
            "    <serial type='pty'>\n      <target port='0'/>\n    </serial>"
        );
        let _ = writeln!(
            x,
            "    <console type='pty'>\n      <target type='serial' port='0'/>\n    </console>"
        );
        let _ = writeln!(x, "  </devices>");
        let _ = writeln!(x, "</domain>");
        x
    }
}

/// The kernel command line that starts the workload kernel with this workload.
pub fn workload_cmdline(workload: &Workload) -> String {
    format!(
        "console=ttyS0 kvmlab.used={} kvmlab.wss={} kvmlab.rate={}",
        workload.used, workload.wss, workload.dirty_rate as u64
    )
}

/// The kernel command line that starts the Linux image at `address` (`A.B.C.D/NN`).
pub fn linux_cmdline(address: &str, gateway: &str) -> String {
    format!("console=ttyS0 quiet kvmlab.ip={address} kvmlab.gw={gateway}")
}

/// The line a running workload kernel reads on its console to change what it does.
pub fn workload_command(workload: &Workload) -> String {
    format!(
        "workload used={} wss={} rate={}\n",
        workload.used, workload.wss, workload.dirty_rate as u64
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nas() -> SiteNas {
        SiteNas {
            host: "127.0.0.1".into(),
            port: 3260,
            iqn: "iqn.2006-01.com.thecus:iscsi1".into(),
            lun: 1,
        }
    }

    fn workload() -> Workload {
        Workload {
            used: 150 << 20,
            wss: 16 << 20,
            dirty_rate: 8.0 * 1048576.0,
            untouched: 0,
        }
    }

    fn linux() -> RealDomain {
        RealDomain {
            boot: RealBoot::Linux {
                kernel: PathBuf::from("/var/lib/kvmlab/images/linux-vmlinuz"),
                initramfs: PathBuf::from("/var/lib/kvmlab/images/linux-initramfs.cpio"),
                address: "10.20.0.10/24".into(),
                gateway: "10.20.0.1".into(),
            },
            domain_type: "qemu".into(),
            ..domain()
        }
    }

    fn domain() -> RealDomain {
        RealDomain {
            name: "a-guest1".into(),
            uuid: "6b766d6c-6162-4001-8000-0000000000a1".into(),
            mac: "52:54:00:12:34:56".into(),
            memory: 256 << 20,
            vcpus: 1,
            domain_type: "kvm".into(),
            disk: RealDisk::Nas(nas()),
            cache: "none".into(),
            error_policy: ErrorPolicy::Default,
            boot: RealBoot::Workload {
                kernel: PathBuf::from("/var/lib/kvmlab/images/workload.elf"),
                workload: workload(),
            },
            bridge: Some("kvmlab-br0".into()),
        }
    }

    #[test]
    fn a_nas_guest_is_a_network_disk_booting_the_workload_kernel() {
        let xml = domain().to_xml();
        assert!(xml.contains(
            "<source protocol='iscsi' name='iqn.2006-01.com.thecus:iscsi1/1'>\n        <host name='127.0.0.1' port='3260'/>"
        ), "{xml}");
        assert!(xml.contains("<kernel>/var/lib/kvmlab/images/workload.elf</kernel>"));
        assert!(xml.contains(
            "<cmdline>console=ttyS0 kvmlab.used=157286400 kvmlab.wss=16777216 kvmlab.rate=8388608</cmdline>"
        ));
        assert!(xml.contains("<memory unit='KiB'>262144</memory>"));
        assert!(xml.contains("<source bridge='kvmlab-br0'/>"));
        assert!(xml.contains("<serial type='pty'>"));
    }

    #[test]
    fn without_images_or_network_the_guest_waits_in_the_bios_with_no_card() {
        let mut bare = domain();
        bare.boot = RealBoot::Bios;
        bare.bridge = None;
        bare.disk = RealDisk::File("/var/lib/kvmlab/pools/sv1/images/a.img".into());
        let xml = bare.to_xml();
        assert!(!xml.contains("<kernel>") && !xml.contains("<interface"));
        assert!(xml.contains("<boot dev='hd'/>"));
        assert!(xml.contains("<source file='/var/lib/kvmlab/pools/sv1/images/a.img'/>"));
    }

    #[test]
    fn a_guest_serving_files_boots_linux_at_its_bridge_address() {
        let xml = linux().to_xml();
        assert!(xml.contains("<domain type='qemu'>"), "{xml}");
        assert!(xml.contains("<kernel>/var/lib/kvmlab/images/linux-vmlinuz</kernel>"));
        assert!(xml.contains("<initrd>/var/lib/kvmlab/images/linux-initramfs.cpio</initrd>"));
        assert!(xml.contains(
            "<cmdline>console=ttyS0 quiet kvmlab.ip=10.20.0.10/24 kvmlab.gw=10.20.0.1</cmdline>"
        ));
        assert!(
            xml.contains("<mac address='52:54:00:12:34:56'/>\n      <source bridge='kvmlab-br0'/>")
        );
    }

    /// The model guest's `error_policy` reaches QEMU on a real host too, so a lost NAS
    /// path pauses or reports there as the simulator says it does.
    #[test]
    fn the_error_policy_is_the_disk_drivers_and_the_default_leaves_qemus() {
        let xml = domain().to_xml();
        assert!(
            xml.contains("<driver name='qemu' type='raw' cache='none'/>"),
            "{xml}"
        );
        let stop = RealDomain {
            error_policy: ErrorPolicy::Stop,
            ..domain()
        };
        assert!(stop
            .to_xml()
            .contains("<driver name='qemu' type='raw' cache='none' error_policy='stop'/>"));
    }

    #[test]
    fn the_workload_command_is_one_line() {
        assert_eq!(
            workload_command(&workload()),
            "workload used=157286400 wss=16777216 rate=8388608\n"
        );
    }

    /// libvirt's schema is the oracle, as for the model's own XML.
    #[test]
    fn libvirt_accepts_the_real_xml() {
        let mut bare = domain();
        bare.boot = RealBoot::Bios;
        bare.bridge = None;
        bare.disk = RealDisk::File("/var/lib/kvmlab/pools/sv1/images/a.img".into());
        let stop = RealDomain {
            error_policy: ErrorPolicy::Stop,
            ..domain()
        };
        for (kind, guest) in [
            ("nas", domain()),
            ("stop", stop),
            ("file", bare),
            ("linux", linux()),
        ] {
            let file = std::env::temp_dir().join(format!(
                "kvmlab-real-domain-{}-{kind}.xml",
                std::process::id()
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
}
