//! Packages and services on a RHEL 6 host: the catalog kvmlab knows, what an install's
//! groups bring, `yum install` with dependencies, `chkconfig`, and the init scripts' start
//! order.
//!
//! Installing a package registers its services with their init script's default
//! (`chkconfig --add` reads `# chkconfig: 345 NN MM`) but starts nothing. At boot, enabled
//! services start in their `S` order (ties by name, as `/etc/rc3.d/S*` sorts). Versions are
//! those of Scientific Linux 6.1; `yum` reads a local repository (the install DVDs), so it
//! needs no network.
//!
//! kvmlab's "Virtualization" group stands for the installer's virtualization selection as
//! the report made it: the hypervisor, libvirt and virt-manager. libvirt of that era
//! requires iscsi-initiator-utils, nfs-utils and parted for its storage drivers, so the
//! report's hosts already had the initiator and the report's `yum install
//! iscsi-initiator-utils` had nothing to do.

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};

use super::Host;
use crate::error::{Error, Result};
use crate::suggest;
use crate::world::storage::iqn::Iqn;
use crate::world::storage::iscsi::Initiator;

/// A package of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackageInfo {
    pub name: &'static str,
    pub version: &'static str,
    pub requires: &'static [&'static str],
    pub commands: &'static [&'static str],
    pub services: &'static [&'static str],
}

/// An init script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceInfo {
    pub name: &'static str,
    /// Its `S` number: the order it starts in at boot.
    pub start_order: u8,
    /// Whether `chkconfig --add` turns it on for runlevels 3–5.
    pub default_on: bool,
    /// What its start and stop lines name, e.g. `libvirtd daemon`.
    pub label: &'static str,
}

const fn package(
    name: &'static str,
    version: &'static str,
    requires: &'static [&'static str],
    commands: &'static [&'static str],
    services: &'static [&'static str],
) -> PackageInfo {
    PackageInfo {
        name,
        version,
        requires,
        commands,
        services,
    }
}

/// The packages kvmlab models.
pub const PACKAGES: &[PackageInfo] = &[
    package(
        "initscripts",
        "9.03.23",
        &[],
        &["service", "chkconfig", "ifup", "ifdown"],
        &["network", "netfs"],
    ),
    package(
        "util-linux-ng",
        "2.17.2",
        &[],
        &["mount", "umount", "fdisk", "blkid", "findfs"],
        &[],
    ),
    package(
        "e2fsprogs",
        "1.41.12",
        &[],
        &[
            "mke2fs",
            "mkfs.ext2",
            "mkfs.ext3",
            "mkfs.ext4",
            "dumpe2fs",
            "tune2fs",
            "e2fsck",
        ],
        &[],
    ),
    package("parted", "2.1", &[], &["parted"], &[]),
    package("yum", "3.2.29", &[], &["yum"], &[]),
    package("openssh-server", "5.3p1", &[], &["sshd"], &["sshd"]),
    package("qemu-img", "0.12.1.2", &[], &["qemu-img"], &[]),
    package("qemu-kvm", "0.12.1.2", &["qemu-img"], &[], &[]),
    package("libvirt-client", "0.8.7", &[], &["virsh"], &[]),
    package(
        "libvirt",
        "0.8.7",
        &[
            "libvirt-client",
            "qemu-img",
            "iscsi-initiator-utils",
            "nfs-utils",
            "parted",
        ],
        &["libvirtd"],
        &["libvirtd"],
    ),
    package(
        "python-virtinst",
        "0.500.5",
        &["libvirt-client"],
        &["virt-install", "virt-clone", "virt-image"],
        &[],
    ),
    package(
        "virt-manager",
        "0.8.6",
        &["libvirt-client", "python-virtinst"],
        &["virt-manager"],
        &[],
    ),
    package(
        "iscsi-initiator-utils",
        "6.2.0.872",
        &[],
        &["iscsiadm", "iscsi-iname"],
        &["iscsid", "iscsi"],
    ),
    package(
        "rpcbind",
        "0.2.0",
        &[],
        &["rpcbind", "rpcinfo"],
        &["rpcbind"],
    ),
    package(
        "nfs-utils",
        "1.2.3",
        &["rpcbind"],
        &["showmount", "mount.nfs"],
        &["nfs", "nfslock"],
    ),
    package("vsftpd", "2.2.2", &[], &["vsftpd"], &["vsftpd"]),
    package("httpd", "2.2.15", &[], &["httpd", "apachectl"], &["httpd"]),
    package(
        "device-mapper-multipath",
        "0.4.9",
        &[],
        &["multipath"],
        &["multipathd"],
    ),
];

/// The init scripts of the catalog's packages.
pub const SERVICES: &[ServiceInfo] = &[
    service("iscsid", 7, true, "iscsid"),
    service("network", 10, true, "network"),
    service("iscsi", 13, true, "iscsi"),
    service("multipathd", 13, false, "multipathd daemon"),
    service("rpcbind", 13, true, "rpcbind"),
    service("nfslock", 14, true, "NFS statd"),
    service("netfs", 25, true, "netfs"),
    service("nfs", 30, false, "NFS services"),
    service("sshd", 55, true, "sshd"),
    service("vsftpd", 60, false, "vsftpd for vsftpd"),
    service("httpd", 85, false, "httpd"),
    service("libvirtd", 97, true, "libvirtd daemon"),
];

const fn service(
    name: &'static str,
    start_order: u8,
    default_on: bool,
    label: &'static str,
) -> ServiceInfo {
    ServiceInfo {
        name,
        start_order,
        default_on,
        label,
    }
}

/// Packages every install has (the Core and Base groups, as far as kvmlab models them).
const BASE_PACKAGES: &[&str] = &[
    "initscripts",
    "util-linux-ng",
    "e2fsprogs",
    "parted",
    "yum",
    "openssh-server",
];

/// The packages an installer group brings (by its installer name).
pub fn group_packages(group: &str) -> &'static [&'static str] {
    match group {
        "Virtualization" => &["qemu-kvm", "libvirt", "virt-manager"],
        "Virtualization Platform" => &["libvirt"],
        "Virtualization Client" => &["virt-manager", "libvirt-client"],
        "iSCSI Storage Client" => &["iscsi-initiator-utils"],
        "Network File System Client" | "NFS File Server" => &["nfs-utils"],
        "FTP Server" => &["vsftpd"],
        "Web Server" => &["httpd"],
        "Storage Availability Tools" => &["device-mapper-multipath"],
        _ => &[],
    }
}

pub fn package_info(name: &str) -> Option<&'static PackageInfo> {
    PACKAGES.iter().find(|p| p.name == name)
}

pub fn service_info(name: &str) -> Option<&'static ServiceInfo> {
    SERVICES.iter().find(|s| s.name == name)
}

/// The package that provides a command.
pub fn command_provider(command: &str) -> Option<&'static PackageInfo> {
    PACKAGES.iter().find(|p| p.commands.contains(&command))
}

/// The package whose init script `service` is.
pub fn service_provider(service: &str) -> Option<&'static PackageInfo> {
    PACKAGES.iter().find(|p| p.services.contains(&service))
}

/// What is installed, enabled and running on a host.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Packages {
    installed: BTreeSet<String>,
    /// Services `chkconfig` has on for the default runlevel.
    enabled: BTreeSet<String>,
    running: BTreeSet<String>,
}

impl Packages {
    /// A fresh install with these groups: the base packages and the groups' packages,
    /// their services registered, nothing running.
    pub fn for_groups(groups: &[String]) -> Packages {
        let mut packages = Packages::default();
        for name in BASE_PACKAGES {
            packages.install(name);
        }
        for group in groups {
            for name in group_packages(group) {
                packages.install(name);
            }
        }
        packages
    }

    /// Installs a catalog package and what it requires, dependencies first; returns the
    /// packages newly installed.
    pub fn install(&mut self, name: &str) -> Vec<&'static str> {
        let mut added = Vec::new();
        self.install_into(name, &mut added);
        added
    }

    fn install_into(&mut self, name: &str, added: &mut Vec<&'static str>) {
        let Some(info) = package_info(name) else {
            return;
        };
        if self.installed.contains(name) {
            return;
        }
        self.installed.insert(name.into());
        for dependency in info.requires {
            self.install_into(dependency, added);
        }
        for service in info.services {
            if service_info(service).is_some_and(|s| s.default_on) {
                self.enabled.insert((*service).into());
            }
        }
        added.push(info.name);
    }

    pub fn is_installed(&self, name: &str) -> bool {
        self.installed.contains(name)
    }

    pub fn installed(&self) -> impl Iterator<Item = &str> {
        self.installed.iter().map(String::as_str)
    }

    pub fn has_command(&self, command: &str) -> bool {
        command_provider(command).is_some_and(|p| self.is_installed(p.name))
    }

    /// The installed services, in boot order.
    pub fn services(&self) -> Vec<&'static ServiceInfo> {
        let mut services: Vec<&'static ServiceInfo> = SERVICES
            .iter()
            .filter(|s| service_provider(s.name).is_some_and(|p| self.is_installed(p.name)))
            .collect();
        services.sort_by_key(|s| (s.start_order, s.name));
        services
    }

    pub fn is_enabled(&self, service: &str) -> bool {
        self.enabled.contains(service)
    }

    pub fn is_running(&self, service: &str) -> bool {
        self.running.contains(service)
    }

    pub fn set_enabled(&mut self, service: &str, on: bool) {
        if on {
            self.enabled.insert(service.into());
        } else {
            self.enabled.remove(service);
        }
    }

    pub fn set_running(&mut self, service: &str, running: bool) {
        if running {
            self.running.insert(service.into());
        } else {
            self.running.remove(service);
        }
    }

    /// Every service stops (a shutdown).
    pub fn stop_all(&mut self) {
        self.running.clear();
    }
}

/// What `yum install` did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct YumReport {
    /// Packages newly installed, dependencies first.
    pub installed: Vec<String>,
    /// yum's closing lines.
    pub lines: Vec<String>,
}

/// Where open-iscsi keeps the initiator's name.
pub const INITIATOR_NAME_PATH: &str = "/etc/iscsi/initiatorname.iscsi";

/// A line as `/etc/init.d/functions` prints it: the text, then the status at column 60.
pub fn status_line(text: &str, ok: bool) -> String {
    let status = if ok { "[  OK  ]" } else { "[FAILED]" };
    format!("{text:<59}{status}")
}

impl Host {
    pub fn packages(&self) -> &Packages {
        &self.packages
    }

    pub(crate) fn packages_mut(&mut self) -> &mut Packages {
        &mut self.packages
    }

    /// Fails as bash does when no installed package provides `command`.
    pub fn require_command(&self, command: &str) -> Result<()> {
        let os = self.installed()?;
        if self.packages.has_command(command) {
            return Ok(());
        }
        let help = match command_provider(command) {
            Some(p) => format!(
                "{command} comes with the package {}: `yum install {}`",
                p.name, p.name
            ),
            None => format!("no package of {} provides {command}", os.distro),
        };
        Err(Error::CommandNotFound {
            host: self.name.clone(),
            command: command.into(),
            help,
        })
    }

    /// `yum install PACKAGE`.
    pub fn yum_install(&mut self, package: &str) -> Result<YumReport> {
        let arch = self.installed()?.arch.clone();
        let Some(info) = package_info(package) else {
            let names: Vec<&str> = PACKAGES.iter().map(|p| p.name).collect();
            return Err(Error::UnknownPackage {
                package: package.into(),
                help: suggest::help_for(package, "the lab's repository has", &names),
            });
        };
        if self.packages.is_installed(package) {
            return Ok(YumReport {
                installed: Vec::new(),
                lines: vec![
                    format!(
                        "Package {}-{}.{arch} already installed and latest version",
                        info.name, info.version
                    ),
                    "Nothing to do".into(),
                ],
            });
        }
        let added = self.packages.install(package);
        self.after_install(&added)?;
        let mut lines = vec!["Installed:".to_string()];
        lines.push(format!("  {}.{arch} 0:{}", info.name, info.version));
        let dependencies: Vec<&str> = added.iter().copied().filter(|p| *p != package).collect();
        if !dependencies.is_empty() {
            lines.push(String::new());
            lines.push("Dependency Installed:".into());
            for name in &dependencies {
                let version = package_info(name).map_or("", |p| p.version);
                lines.push(format!("  {name}.{arch} 0:{version}"));
            }
        }
        lines.push(String::new());
        lines.push("Complete!".into());
        Ok(YumReport {
            installed: added.iter().map(|p| p.to_string()).collect(),
            lines,
        })
    }

    /// What packages' install scripts leave behind: iscsi-initiator-utils writes the
    /// initiator's name (`iscsi-iname`, here derived from the host's name).
    pub(crate) fn after_install(&mut self, added: &[&str]) -> Result<()> {
        if added.contains(&"iscsi-initiator-utils") {
            let digest = Sha256::digest(format!("{}/iscsi-iname", self.name).as_bytes());
            let suffix: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
            let name = Iqn::parse(&format!("iqn.1994-05.com.redhat:{suffix}"))?;
            self.fs.create_dir(&self.name, "/etc/iscsi", true)?;
            self.fs.write(
                &self.name,
                INITIATOR_NAME_PATH,
                &format!("InitiatorName={name}\n"),
            )?;
            self.storage.set_initiator(Initiator::new(name));
        }
        Ok(())
    }

    /// The installed service `name`, or iscsiadm's "unrecognized service".
    pub fn service_info(&self, name: &str) -> Result<&'static ServiceInfo> {
        self.installed()?;
        let found = service_info(name).filter(|s| {
            service_provider(s.name).is_some_and(|p| self.packages.is_installed(p.name))
        });
        found.ok_or_else(|| {
            let help = match service_provider(name) {
                Some(p) => format!(
                    "the {name} service comes with the package {}: `yum install {}`",
                    p.name, p.name
                ),
                None => {
                    let names: Vec<&str> =
                        self.packages.services().iter().map(|s| s.name).collect();
                    suggest::help_for(name, "this host's services", &names)
                }
            };
            Error::UnknownService {
                host: self.name.clone(),
                service: name.into(),
                help,
            }
        })
    }

    /// `chkconfig NAME on|off`: whether the service starts at the next boot.
    pub fn chkconfig(&mut self, name: &str, on: bool) -> Result<()> {
        self.service_info(name)?;
        self.packages.set_enabled(name, on);
        Ok(())
    }

    /// `chkconfig --list`, reduced to the default runlevel: each service and whether it is on.
    pub fn chkconfig_list(&self) -> Vec<(&'static str, bool)> {
        self.packages
            .services()
            .iter()
            .map(|s| (s.name, self.packages.is_enabled(s.name)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_in_the_catalog_exists() {
        for p in PACKAGES {
            for r in p.requires {
                assert!(package_info(r).is_some(), "{} requires {r}", p.name);
            }
            for s in p.services {
                assert!(service_info(s).is_some(), "{} has service {s}", p.name);
            }
        }
        for s in SERVICES {
            assert!(service_provider(s.name).is_some(), "{}", s.name);
        }
        for g in crate::world::host::os::PACKAGE_GROUPS {
            for p in group_packages(g) {
                assert!(package_info(p).is_some(), "{g} brings {p}");
            }
        }
    }

    #[test]
    fn libvirt_brings_the_initiator() {
        let mut p = Packages::for_groups(&[]);
        assert!(!p.has_command("iscsiadm"));
        assert_eq!(
            p.install("libvirt"),
            [
                "libvirt-client",
                "qemu-img",
                "iscsi-initiator-utils",
                "rpcbind",
                "nfs-utils",
                "libvirt"
            ]
        );
        assert!(p.has_command("iscsiadm"));
        assert!(p.is_enabled("iscsid") && p.is_enabled("libvirtd"));
        assert!(!p.is_enabled("nfs") && !p.is_running("libvirtd"));
        assert!(p.install("libvirt").is_empty());
        let order: Vec<&str> = p.services().iter().map(|s| s.name).collect();
        assert_eq!(
            order,
            [
                "iscsid", "network", "iscsi", "rpcbind", "nfslock", "netfs", "nfs", "sshd",
                "libvirtd"
            ]
        );
    }

    #[test]
    fn status_lines_put_the_status_at_column_60() {
        let line = status_line("Starting iscsid: ", true);
        assert_eq!(line.find('['), Some(59));
        assert!(line.ends_with("[  OK  ]"));
        assert!(status_line("x", false).ends_with("[FAILED]"));
    }
}
