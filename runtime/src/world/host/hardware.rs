//! A host's hardware, as the report's Table 1 lists it.

use super::super::node::NicSpec;
use super::super::switch::{check_name, check_speed};
use crate::error::{Error, Result};

/// The most physical memory an x86-64 Linux host maps with 4-level page tables (46-bit
/// physical addresses): 64 TiB. The migration engine's costs are sized from this bound.
pub const MAX_HOST_MEMORY: u64 = 64 << 40;

/// Hardware virtualization support in the CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum VirtExtension {
    /// AMD's SVM; /proc/cpuinfo flag `svm`.
    #[serde(rename = "AMD-V")]
    AmdV,
    /// Intel VT-x; /proc/cpuinfo flag `vmx`.
    #[serde(rename = "VT-x")]
    VtX,
}

impl VirtExtension {
    pub fn name(self) -> &'static str {
        match self {
            VirtExtension::AmdV => "AMD-V",
            VirtExtension::VtX => "VT-x",
        }
    }

    /// How BIOS setup screens usually label the switch.
    pub fn bios_setting(self) -> &'static str {
        match self {
            VirtExtension::AmdV => "often labelled \"SVM Mode\" or \"Secure Virtual Machine\"",
            VirtExtension::VtX => "often labelled \"Intel Virtualization Technology\"",
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Cpu {
    pub model: String,
    pub cores: u32,
    pub ghz: f64,
    /// `None` for a CPU without hardware virtualization.
    pub virt: Option<VirtExtension>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Disk {
    /// Kernel name, e.g. `sda`.
    pub name: String,
    pub model: String,
    /// Capacity in bytes (drive makers count decimal: 1 TB = 10^12 bytes).
    pub size: u64,
    pub rpm: Option<u32>,
}

/// Everything about a host that exists before an OS is installed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HostSpec {
    pub cpu: Cpu,
    /// Memory in bytes.
    pub memory: u64,
    pub disks: Vec<Disk>,
    pub nics: Vec<NicSpec>,
    /// Whether the BIOS has the CPU's virtualization extension switched on.
    pub bios_virt_enabled: bool,
}

const GBIT: f64 = 125_000_000.0;

impl HostSpec {
    /// The report's SV1/SV2 (Table 1): AMD Phenom II with 4 cores at 2.5 GHz and AMD-V,
    /// 2 × 8 GB PC3-10600, a Seagate 1 TB 7200 rpm disk, an added Intel gigabit NIC as eth0
    /// and the board's gigabit NIC as eth1. The BIOS ships with AMD-V enabled here; a lab
    /// that wants the "disabled in BIOS" lesson turns it off.
    pub fn report_server() -> HostSpec {
        HostSpec {
            cpu: Cpu {
                model: "AMD Phenom II".into(),
                cores: 4,
                ghz: 2.5,
                virt: Some(VirtExtension::AmdV),
            },
            memory: 16 << 30,
            disks: vec![Disk {
                name: "sda".into(),
                model: "Seagate 1 TB".into(),
                size: 1_000_000_000_000,
                rpm: Some(7200),
            }],
            nics: vec![
                NicSpec {
                    name: "eth0".into(),
                    model: "Intel PCI-E gigabit".into(),
                    speed: GBIT,
                },
                NicSpec {
                    name: "eth1".into(),
                    model: "on-board gigabit".into(),
                    speed: GBIT,
                },
            ],
            bios_virt_enabled: true,
        }
    }

    /// Refuses hardware that cannot exist: no cores, no memory, no disk, duplicate names.
    pub fn validate(&self) -> Result<()> {
        let bad = |key: &str, reason: String, help: &str| {
            Err(Error::BadValue {
                key: key.into(),
                what: "host spec".into(),
                reason,
                help: help.into(),
            })
        };
        if self.cpu.cores == 0 {
            return bad(
                "cores",
                "a CPU has at least one core".into(),
                "write e.g. cores: 4",
            );
        }
        if !(self.cpu.ghz.is_finite() && self.cpu.ghz > 0.0) {
            return bad(
                "ghz",
                format!("{} GHz is not a clock speed", self.cpu.ghz),
                "write e.g. ghz: 2.5",
            );
        }
        if self.memory == 0 {
            return bad(
                "memory",
                "a host needs memory".into(),
                "write e.g. memory: \"16G\"",
            );
        }
        if self.memory > MAX_HOST_MEMORY {
            return bad(
                "memory",
                format!(
                    "{} bytes is more memory than an x86-64 KVM host takes: Linux maps at most 64 TiB ({MAX_HOST_MEMORY} bytes) of physical memory with 4-level page tables",
                    self.memory
                ),
                "give the host's real memory, at most \"64T\", e.g. memory: \"16G\"",
            );
        }
        if self.disks.is_empty() {
            return bad(
                "disks",
                "a host needs a disk to install on".into(),
                "give at least one disk, e.g. #{name: \"sda\", size: \"1TB\"}",
            );
        }
        for (i, disk) in self.disks.iter().enumerate() {
            check_name(&disk.name, "host spec")?;
            if disk.size == 0 {
                return bad(
                    "disks",
                    format!("disk {} has no capacity", disk.name),
                    "give the disk's size, e.g. \"1TB\"",
                );
            }
            if self.disks[..i].iter().any(|d| d.name == disk.name) {
                return bad(
                    "disks",
                    format!("two disks are named {}", disk.name),
                    "name disks sda, sdb, …",
                );
            }
        }
        for (i, nic) in self.nics.iter().enumerate() {
            check_name(&nic.name, "host spec")?;
            if nic.name.len() > 15 || nic.name == "lo" {
                return bad(
                    "nics",
                    format!("`{}` cannot name a network card", nic.name),
                    "name cards eth0, eth1, … (at most 15 characters, not lo)",
                );
            }
            check_speed(nic.speed, "host spec")?;
            if self.nics[..i].iter().any(|n| n.name == nic.name) {
                return bad(
                    "nics",
                    format!("two cards are named {}", nic.name),
                    "name cards eth0, eth1, …",
                );
            }
        }
        Ok(())
    }
}
