//! Installing the host OS: distribution, architecture, partitions that must fit the disk,
//! package groups, and the files a fresh RHEL 6 family install leaves behind.

use super::hardware::{Disk, HostSpec};
use crate::error::{Error, Result};
use crate::suggest;
use crate::units::{human_size, human_sizes_apart};
use crate::world::node::NicSpec;

/// A partition as the installer's custom layout asks for it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PartitionSpec {
    /// A mount point such as `/` or `/guest`, or `swap`.
    pub mount: String,
    /// Size in bytes; `None` takes the rest of the disk ("fill to maximum allowable size").
    pub size: Option<u64>,
    /// The disk to put it on; `None` for the host's first disk.
    pub disk: Option<String>,
}

/// What to install.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OsSpec {
    pub distro: String,
    pub arch: String,
    pub partitions: Vec<PartitionSpec>,
    /// Package groups as the installer names them, e.g. "Desktop", "Virtualization".
    pub package_groups: Vec<String>,
    /// The host name written to /etc/sysconfig/network; `None` for the host's own name.
    pub hostname: Option<String>,
}

impl OsSpec {
    /// The report's install (§2.1): Scientific Linux 6.1 x86_64, `/` 100 GB, swap 16 GB,
    /// `/guest` the rest, the Desktop selection plus the Virtualization group.
    pub fn report() -> OsSpec {
        let part = |mount: &str, size: Option<u64>| PartitionSpec {
            mount: mount.into(),
            size,
            disk: None,
        };
        OsSpec {
            distro: "Scientific Linux 6.1".into(),
            arch: "x86_64".into(),
            partitions: vec![
                part("/", Some(100 << 30)),
                part("swap", Some(16 << 30)),
                part("/guest", None),
            ],
            package_groups: vec!["Desktop".into(), "Virtualization".into()],
            hostname: None,
        }
    }
}

/// A partition as installed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Partition {
    pub mount: String,
    pub disk: String,
    pub size: u64,
}

/// The installed system.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InstalledOs {
    pub distro: String,
    pub arch: String,
    pub partitions: Vec<Partition>,
    /// Installed groups, by their installer names, in install order.
    pub groups: Vec<String>,
    pub hostname: String,
}

/// RHEL 6's package groups a lab may ask for (installer names).
pub const PACKAGE_GROUPS: &[&str] = &[
    "Base",
    "Core",
    "Desktop",
    "Desktop Platform",
    "General Purpose Desktop",
    "X Window System",
    "Fonts",
    "Graphical Administration Tools",
    "Internet Browser",
    "Virtualization",
    "Virtualization Client",
    "Virtualization Platform",
    "Virtualization Tools",
    "Development Tools",
    "Server Platform",
    "Web Server",
    "FTP Server",
    "NFS File Server",
    "Network File System Client",
    "iSCSI Storage Client",
    "Storage Availability Tools",
    "Compatibility Libraries",
];

/// The group that brings qemu-kvm.
pub const VIRTUALIZATION_GROUP: &str = "Virtualization";

/// The installer name of `group`, accepting any case and the yum id form
/// (`virtualization-client`).
pub fn canonical_group(group: &str) -> Result<&'static str> {
    let wanted = group.replace('-', " ");
    PACKAGE_GROUPS
        .iter()
        .find(|g| g.eq_ignore_ascii_case(&wanted))
        .copied()
        .ok_or_else(|| Error::UnknownPackageGroup {
            group: group.into(),
            help: suggest::help_for(group, "RHEL 6 groups", PACKAGE_GROUPS),
        })
}

/// RHEL 6 rebuilds kvmlab can install, by name prefix.
const DISTROS: [&str; 4] = [
    "Scientific Linux 6",
    "CentOS 6",
    "Red Hat Enterprise Linux 6",
    "RHEL 6",
];

/// Alignment the installer leaves before the first partition (1 MiB).
const LABEL_OVERHEAD: u64 = 1 << 20;

/// Checks `os` against the hardware and lays out its partitions.
pub fn plan(host: &str, spec: &HostSpec, os: &OsSpec) -> Result<InstalledOs> {
    if !DISTROS.iter().any(|d| os.distro.starts_with(d)) {
        return Err(Error::UnsupportedDistro {
            distro: os.distro.clone(),
        });
    }
    let arch = match os.arch.as_str() {
        "x86_64" => "x86_64",
        "i686" | "i386" => "i686",
        _ => {
            return Err(Error::UnsupportedArch {
                arch: os.arch.clone(),
                distro: os.distro.clone(),
            })
        }
    };
    let mut groups: Vec<String> = Vec::new();
    for group in &os.package_groups {
        let name = canonical_group(group)?;
        check_group_arch(name, arch)?;
        if !groups.iter().any(|g| g == name) {
            groups.push(name.into());
        }
    }
    let partitions = layout(host, &spec.disks, &os.partitions)?;
    Ok(InstalledOs {
        distro: os.distro.clone(),
        arch: arch.into(),
        partitions,
        groups,
        hostname: os.hostname.clone().unwrap_or_else(|| host.to_string()),
    })
}

/// RHEL 6 ships KVM for x86_64 only.
pub fn check_group_arch(group: &str, arch: &str) -> Result<()> {
    if group.starts_with(VIRTUALIZATION_GROUP) && arch != "x86_64" {
        return Err(Error::VirtNeedsX86_64 { arch: arch.into() });
    }
    Ok(())
}

fn layout(host: &str, disks: &[Disk], wanted: &[PartitionSpec]) -> Result<Vec<Partition>> {
    let bad = |mount: &str, reason: String, help: String| Error::BadPartition {
        mount: mount.into(),
        reason,
        help,
    };
    let disk_names: Vec<&str> = disks.iter().map(|d| d.name.as_str()).collect();
    let mut placed: Vec<(&PartitionSpec, &Disk)> = Vec::new();
    for (i, p) in wanted.iter().enumerate() {
        let valid_mount = p.mount == "swap" || super::fs::check_path(&p.mount).is_ok();
        if !valid_mount {
            return Err(bad(
                &p.mount,
                "not a mount point".into(),
                "write an absolute directory such as /, /home or /guest, or swap".into(),
            ));
        }
        if p.mount != "swap" && wanted[..i].iter().any(|q| q.mount == p.mount) {
            return Err(bad(
                &p.mount,
                "mounted twice".into(),
                "give each mount point one partition".into(),
            ));
        }
        if p.size == Some(0) {
            return Err(bad(
                &p.mount,
                "a partition needs a size".into(),
                "give a size such as \"100G\", or leave it out to take the rest of the disk".into(),
            ));
        }
        let disk = match &p.disk {
            None => &disks[0],
            Some(name) => disks.iter().find(|d| &d.name == name).ok_or_else(|| {
                bad(
                    &p.mount,
                    format!("there is no disk {name}"),
                    suggest::help_for(name, "this host's disks", &disk_names),
                )
            })?,
        };
        placed.push((p, disk));
    }
    if !wanted.iter().any(|p| p.mount == "/") {
        return Err(bad(
            "/",
            "there is no root partition".into(),
            "add a partition mounted on /, e.g. 100 GB as in the report".into(),
        ));
    }
    let mut partitions = Vec::new();
    for disk in disks {
        let on_disk: Vec<&PartitionSpec> = placed
            .iter()
            .filter(|(_, d)| d.name == disk.name)
            .map(|(p, _)| *p)
            .collect();
        if on_disk.is_empty() {
            continue;
        }
        let rest: Vec<&&PartitionSpec> = on_disk.iter().filter(|p| p.size.is_none()).collect();
        if rest.len() > 1 {
            return Err(bad(
                &rest[1].mount,
                format!(
                    "{} and {} both take the rest of {}",
                    rest[0].mount, rest[1].mount, disk.name
                ),
                "give all but one of them a size".into(),
            ));
        }
        let fixed: u64 = on_disk
            .iter()
            .filter_map(|p| p.size)
            .fold(0u64, |a, b| a.saturating_add(b));
        let usable = disk.size.saturating_sub(LABEL_OVERHEAD);
        let remaining = usable
            .checked_sub(fixed)
            .filter(|r| *r > 0 || rest.is_empty());
        let Some(remaining) = remaining else {
            let needed = fixed;
            let help = match rest.first() {
                Some(r) if fixed <= usable => format!(
                    "nothing is left for {}: shrink the other partitions",
                    r.mount
                ),
                _ => format!(
                    "shrink the partitions by {} (the partition table keeps 1 MiB)",
                    human_size(needed.saturating_sub(usable))
                ),
            };
            let (needed, available) = human_sizes_apart(needed, usable);
            return Err(Error::PartitionsDoNotFit {
                host: host.into(),
                disk: disk.name.clone(),
                needed,
                available,
                help,
            });
        };
        for p in on_disk {
            partitions.push(Partition {
                mount: p.mount.clone(),
                disk: disk.name.clone(),
                size: p.size.unwrap_or(remaining),
            });
        }
    }
    Ok(partitions)
}

/// The files a fresh install leaves for the network, as RHEL 6.1's installer writes them:
/// `/etc/hosts` with the two localhost lines, `/etc/sysconfig/network`, the loopback config
/// and one DHCP ifcfg file per card (quoted values, HWADDR, NetworkManager in control).
/// Both cards come up at boot, as they were set to connect automatically during install.
pub fn fresh_network_files(hostname: &str, nics: &[(NicSpec, String)]) -> Vec<(String, String)> {
    let mut files = vec![
        (
            "/etc/hosts".to_string(),
            "127.0.0.1   localhost localhost.localdomain localhost4 localhost4.localdomain4\n::1         localhost localhost.localdomain localhost6 localhost6.localdomain6\n".to_string(),
        ),
        (
            "/etc/sysconfig/network".to_string(),
            format!("NETWORKING=yes\nHOSTNAME={hostname}\n"),
        ),
        (
            "/etc/sysconfig/network-scripts/ifcfg-lo".to_string(),
            "DEVICE=lo\nIPADDR=127.0.0.1\nNETMASK=255.0.0.0\nNETWORK=127.0.0.0\nBROADCAST=127.255.255.255\nONBOOT=yes\nNAME=loopback\n".to_string(),
        ),
    ];
    for (nic, hwaddr) in nics {
        files.push((
            format!("/etc/sysconfig/network-scripts/ifcfg-{}", nic.name),
            format!(
                "DEVICE=\"{}\"\nBOOTPROTO=\"dhcp\"\nHWADDR=\"{hwaddr}\"\nNM_CONTROLLED=\"yes\"\nONBOOT=\"yes\"\n",
                nic.name
            ),
        ));
    }
    files
}

/// Directories of a fresh install, plus the partitions' mount points.
pub fn fresh_directories(partitions: &[Partition]) -> Vec<String> {
    let mut dirs: Vec<String> = [
        "/",
        "/boot",
        "/etc",
        "/etc/sysconfig",
        "/etc/sysconfig/network-scripts",
        "/home",
        "/mnt",
        "/root",
        "/tmp",
        "/var",
        "/var/lib",
        "/var/log",
    ]
    .iter()
    .map(|d| d.to_string())
    .collect();
    for p in partitions {
        if p.mount != "swap" && !dirs.contains(&p.mount) {
            dirs.push(p.mount.clone());
        }
    }
    dirs
}
