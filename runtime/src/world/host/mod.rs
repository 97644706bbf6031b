//! A KVM host: hardware ([`hardware`]), its installed OS ([`os`]) with its packages and
//! services ([`packages`]), its files ([`fs`]), its network as initscripts configure it
//! ([`network`]), and its disks, mounts and iSCSI initiator ([`storage`]).
//!
//! KVM is usable only when the CPU has AMD-V or VT-x, the BIOS enables it, and the
//! Virtualization group is installed; [`Host::kvm_check`] names the first missing piece.

pub mod fs;
pub mod hardware;
pub mod network;
pub mod os;
pub mod packages;
pub mod storage;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use comfy_table::{presets, Table};

use self::fs::FileSystem;
use self::hardware::HostSpec;
use self::network::SegmentView;
use self::os::{InstalledOs, OsSpec};
use self::packages::Packages;
use self::storage::HostStorage;
use super::net::hosts_file::{Family, HostsFile, HOSTS_PATH};
use super::net::ifcfg::{self, ConfigKind};
use super::net::shell::is_name;
use super::net::Finding;
use super::node::{InterfaceRow, NetStack, RouteRow};
use super::storage::fstab::{Fstab, FSTAB_PATH};
use super::switch::check_name;
use crate::error::{Error, Result};
use crate::suggest;
use crate::units::human_size;

/// A name resolved to an address.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Resolution {
    /// The name as asked.
    pub name: String,
    /// The address programs use (the first matching line's).
    pub address: Ipv4Addr,
    /// The /etc/hosts line it came from; `None` when the name is itself an address.
    pub line: Option<usize>,
    /// Every IPv4 address /etc/hosts gives the name, in file order.
    pub addresses: Vec<Ipv4Addr>,
}

/// A physical server of the lab.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Host {
    name: String,
    spec: HostSpec,
    os: Option<InstalledOs>,
    fs: FileSystem,
    net: NetStack,
    packages: Packages,
    storage: HostStorage,
    /// The network config files as the last `service network start` read them; `None`
    /// until the network service has run on this install.
    applied_network: Option<Vec<(String, String)>>,
    /// How many times the host was rebooted during the lab (an install is no reboot).
    boots: u32,
    /// Its power went (`h.crash()`): nothing runs on it until `h.power_on()`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    powered_off: bool,
}

impl Host {
    /// A host with the given hardware, powered on with no OS.
    pub fn new(name: &str, spec: HostSpec) -> Result<Host> {
        check_name(name, "host spec")?;
        spec.validate()?;
        Ok(Host {
            name: name.into(),
            net: NetStack::new(name, &spec.nics, false),
            storage: HostStorage::new(&spec.disks),
            spec,
            os: None,
            fs: FileSystem::new(),
            packages: Packages::default(),
            applied_network: None,
            boots: 0,
            powered_off: false,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn spec(&self) -> &HostSpec {
        &self.spec
    }

    pub fn os(&self) -> Option<&InstalledOs> {
        self.os.as_ref()
    }

    pub fn net(&self) -> &NetStack {
        &self.net
    }

    pub(crate) fn net_mut(&mut self) -> &mut NetStack {
        &mut self.net
    }

    /// How many times the host was rebooted during the lab; 0 when never.
    pub fn boots(&self) -> u32 {
        self.boots
    }

    pub(crate) fn count_boot(&mut self) {
        self.boots = self.boots.saturating_add(1);
    }

    pub fn bios_virt_enabled(&self) -> bool {
        self.spec.bios_virt_enabled
    }

    /// Flips the BIOS switch for AMD-V/VT-x (takes effect at the next boot, which kvmlab
    /// folds into the change).
    pub fn set_bios_virt(&mut self, enabled: bool) {
        self.spec.bios_virt_enabled = enabled;
    }

    /// Installs the OS: checks distribution, architecture, package groups and that the
    /// partitions fit, then lays down a fresh file system. Cables stay; every interface is
    /// down until the network is (re)started. Reinstalling wipes the previous system.
    ///
    /// The install leaves the system as its first boot does, but for the network: local
    /// file systems mounted, services chkconfig'd on running (the lab configures the
    /// network next, then starts it).
    pub fn install_os(&mut self, spec: &OsSpec) -> Result<()> {
        // An install lays down partitions, file systems and packages: work like making a
        // new entity, charged as one.
        crate::meter::entity();
        let installed = os::plan(&self.name, &self.spec, spec)?;
        let (storage, fstab) =
            HostStorage::installed(&self.name, &self.spec.disks, &installed.partitions)?;
        let mut fs = FileSystem::new();
        for dir in os::fresh_directories(&installed.partitions) {
            fs.create_dir(&self.name, &dir, true)?;
        }
        let nics: Vec<_> = self
            .spec
            .nics
            .iter()
            .zip(&self.net.nics)
            .map(|(spec, nic)| (spec.clone(), nic.mac.to_upper()))
            .collect();
        for (path, text) in os::fresh_network_files(&installed.hostname, &nics) {
            fs.write(&self.name, &path, &text)?;
        }
        fs.write(&self.name, FSTAB_PATH, &fstab)?;
        let packages = Packages::for_groups(&installed.groups);
        self.fs = fs;
        self.os = Some(installed);
        self.net.reset();
        self.applied_network = None;
        self.storage = storage;
        self.packages = packages;
        let installed_packages: Vec<&str> = packages::PACKAGES
            .iter()
            .map(|p| p.name)
            .filter(|p| self.packages.is_installed(p))
            .collect();
        self.after_install(&installed_packages)?;
        for service in self.packages.services() {
            let on = self.packages.is_enabled(service.name) && service.name != "network";
            self.packages.set_running(service.name, on);
        }
        Ok(())
    }

    /// The OS, when it is installed and running: a powered-off host answers nothing.
    fn installed(&self) -> Result<&InstalledOs> {
        if self.powered_off {
            return Err(Error::HostPoweredOff {
                host: self.name.clone(),
            });
        }
        self.os.as_ref().ok_or_else(|| Error::NoOs {
            host: self.name.clone(),
        })
    }

    pub fn is_powered_off(&self) -> bool {
        self.powered_off
    }

    pub(crate) fn set_powered_off(&mut self, off: bool) {
        self.powered_off = off;
    }

    /// `yum groupinstall GROUP`.
    pub fn install_group(&mut self, group: &str) -> Result<()> {
        let name = os::canonical_group(group)?;
        let installed = self.os.as_mut().ok_or_else(|| Error::NoOs {
            host: self.name.clone(),
        })?;
        os::check_group_arch(name, &installed.arch)?;
        if !installed.groups.iter().any(|g| g == name) {
            installed.groups.push(name.into());
        }
        let mut added = Vec::new();
        for package in packages::group_packages(name) {
            added.extend(self.packages.install(package));
        }
        self.after_install(&added)
    }

    /// Why KVM cannot run here, checked in the order a trainee meets them: the CPU, the
    /// BIOS, the OS, the package group.
    pub fn kvm_check(&self) -> Result<()> {
        let Some(extension) = self.spec.cpu.virt else {
            return Err(Error::NoVirtExtension {
                host: self.name.clone(),
                cpu: self.spec.cpu.model.clone(),
            });
        };
        if !self.spec.bios_virt_enabled {
            return Err(Error::VirtDisabledInBios {
                host: self.name.clone(),
                extension: extension.name().into(),
                setting: extension.bios_setting().into(),
            });
        }
        let installed = self.installed()?;
        if !installed
            .groups
            .iter()
            .any(|g| g == os::VIRTUALIZATION_GROUP)
        {
            return Err(Error::VirtualizationNotInstalled {
                host: self.name.clone(),
            });
        }
        Ok(())
    }

    pub fn kvm_usable(&self) -> bool {
        self.kvm_check().is_ok()
    }

    /// Reads a file.
    pub fn read_file(&self, path: &str) -> Result<&str> {
        self.installed()?;
        self.fs.read(&self.name, path)
    }

    /// Writes a file (replacing it). Returns the lint findings of the file when it is one the
    /// network reads (/etc/hosts, /etc/sysconfig/network, ifcfg-*).
    pub fn write_file(&mut self, path: &str, text: &str) -> Result<Vec<Finding>> {
        self.installed()?;
        self.fs.write(&self.name, path, text)?;
        Ok(lint(path, text))
    }

    /// Appends to a file (creating it). Returns the lint findings on the lines the appended
    /// text touches.
    pub fn append_file(&mut self, path: &str, text: &str) -> Result<Vec<Finding>> {
        self.installed()?;
        let first_touched = self
            .fs
            .read(&self.name, path)
            .map_or(1, |old| old.matches('\n').count() + 1);
        self.fs.append(&self.name, path, text)?;
        let whole = self.fs.read(&self.name, path)?;
        Ok(lint(path, whole)
            .into_iter()
            .filter(|f| f.line.is_none_or(|l| l >= first_touched))
            .collect())
    }

    /// Sets shell variables in a config file the way an editor would: each key's first
    /// `KEY=` line is replaced by `KEY=value`, its later ones removed, and keys not present
    /// are appended. Returns the lint findings on the lines written.
    pub fn set_vars(&mut self, path: &str, vars: &[(&str, &str)]) -> Result<Vec<Finding>> {
        self.installed()?;
        for (key, _) in vars {
            if !is_name(key) {
                return Err(Error::BadValue {
                    key: (*key).into(),
                    what: format!("settings for {path}"),
                    reason: "not a shell variable name".into(),
                    help: "keys are letters, digits and `_`, e.g. IPADDR".into(),
                });
            }
        }
        let old = match self.fs.read(&self.name, path) {
            Ok(text) => text.to_string(),
            Err(Error::NoSuchFile { .. }) => String::new(),
            Err(e) => return Err(e),
        };
        let (text, written) = edit_vars(&old, vars);
        self.fs.write(&self.name, path, &text)?;
        Ok(lint(path, &text)
            .into_iter()
            .filter(|f| f.line.is_some_and(|l| written.contains(&l)))
            .collect())
    }

    /// `rm PATH`.
    pub fn remove_file(&mut self, path: &str) -> Result<()> {
        self.installed()?;
        self.fs.remove(&self.name, path)
    }

    /// `rm -r DIR`: the directory, its files and its directories.
    pub fn remove_dir_all(&mut self, path: &str) -> Result<()> {
        self.installed()?;
        self.fs.remove_dir_all(&self.name, path)
    }

    /// `mkdir` (`mkdir -p` with `parents`).
    pub fn create_dir(&mut self, path: &str, parents: bool) -> Result<()> {
        self.installed()?;
        self.fs.create_dir(&self.name, path, parents)
    }

    /// Every file path, sorted.
    pub fn files(&self) -> Vec<&str> {
        self.fs.paths().collect()
    }

    /// Every directory path, sorted.
    pub fn dirs(&self) -> Vec<&str> {
        self.fs.dir_paths().collect()
    }

    /// /etc/hosts as glibc reads it; `None` when the file is missing.
    pub fn hosts_file(&self) -> Option<HostsFile> {
        self.fs
            .read(&self.name, HOSTS_PATH)
            .ok()
            .map(HostsFile::parse)
    }

    /// Resolves a name as `ping` does on this host: a dotted quad is itself, anything else
    /// goes through /etc/hosts (the lab has no DNS, and RHEL 6 has no nss-myhostname, so
    /// not even the host's own name resolves without a line for it).
    pub fn resolve(&self, name: &str) -> Result<Resolution> {
        self.installed()?;
        let unresolved = |reason: String, help: String| Error::Unresolved {
            host: self.name.clone(),
            name: name.into(),
            reason,
            help,
        };
        let Some(hosts) = self.hosts_file() else {
            return Err(unresolved(
                "/etc/hosts does not exist and the lab has no DNS server".into(),
                "create /etc/hosts with the localhost lines and `ADDRESS NAME` lines".into(),
            ));
        };
        if let Some((address, line)) = hosts.resolve_v4(name) {
            // An IPv4 lookup only ever answers IPv4 addresses.
            let addresses = match hosts.lookup(name, Family::V4) {
                Some(found) => found
                    .addresses
                    .iter()
                    .filter_map(|a| match a {
                        IpAddr::V4(v4) => Some(*v4),
                        IpAddr::V6(_) => None,
                    })
                    .collect(),
                None => vec![address],
            };
            return Ok(Resolution {
                name: name.into(),
                address,
                line,
                addresses,
            });
        }
        if let Some(finding) = hosts.finding_naming(name) {
            let (line, text, corrected) = match &finding.error {
                Error::HostsReversed {
                    line,
                    text,
                    corrected,
                } => (*line, text.clone(), corrected.clone()),
                _ => (0, String::new(), String::new()),
            };
            return Err(unresolved(
                format!("/etc/hosts line {line} has its fields reversed (`{text}`)"),
                format!("write the address first on line {line}: `{corrected}`"),
            ));
        }
        if hosts.names_only_ipv6(name) {
            return Err(unresolved(
                "/etc/hosts gives it only IPv6 addresses".into(),
                format!("add an IPv4 line to /etc/hosts: `ADDRESS {name}`"),
            ));
        }
        let known: Vec<&str> = hosts
            .entries
            .iter()
            .flat_map(|e| {
                std::iter::once(e.canonical.as_str()).chain(e.aliases.iter().map(String::as_str))
            })
            .collect();
        // A host rarely pings itself: its own name is the guess only when nothing else is.
        let others = known.iter().copied().filter(|k| *k != self.name);
        let guess = suggest::closest(name, others)
            .or_else(|| suggest::closest(name, known.iter().copied()));
        let help = match guess {
            Some(near) => format!(
                "did you mean `{near}`? otherwise add `ADDRESS {name}` to /etc/hosts on {}",
                self.name
            ),
            None => format!("add a line `ADDRESS {name}` to /etc/hosts on {}", self.name),
        };
        Err(unresolved(
            "no line of /etc/hosts names it, and the lab has no DNS server".into(),
            help,
        ))
    }

    /// `service network restart` (see [`network`]) with no knowledge of other machines;
    /// [`crate::world::World::restart_network`] adds the checks made on the wire.
    pub fn restart_network(&mut self, view: &SegmentView) -> Result<Vec<Finding>> {
        self.installed()?;
        self.packages.set_running("network", true);
        self.applied_network = Some(self.network_files());
        Ok(network::restart(&self.name, &self.fs, &mut self.net, view))
    }

    /// `ifup CONFIG` (see [`network::ifup`]) with no knowledge of other machines;
    /// [`crate::world::World::ifup`] adds the checks made on the wire. The file counts as
    /// applied from now on.
    pub fn ifup(&mut self, view: &SegmentView, config: &str) -> Result<Vec<Finding>> {
        self.installed()?;
        let Some(findings) = network::ifup(&self.name, &self.fs, &mut self.net, view, config)
        else {
            return Err(self.no_ifcfg("ifup", config));
        };
        let path = format!("{}/ifcfg-{config}", ifcfg::SCRIPTS_DIR);
        if let (Some(applied), Ok(text)) =
            (&mut self.applied_network, self.fs.read(&self.name, &path))
        {
            applied.retain(|(p, _)| *p != path);
            applied.push((path, text.to_string()));
            applied.sort();
        }
        Ok(findings)
    }

    /// `ifdown CONFIG`: the device its ifcfg file names goes down (see [`network::ifdown`]).
    pub fn ifdown(&mut self, config: &str) -> Result<()> {
        self.installed()?;
        let path = format!("{}/ifcfg-{config}", ifcfg::SCRIPTS_DIR);
        let Ok(text) = self.fs.read(&self.name, &path) else {
            return Err(self.no_ifcfg("ifdown", config));
        };
        let vars = super::net::shell::ShellVars::parse(&path, text);
        let device = vars.value("DEVICE").unwrap_or(config).to_string();
        network::ifdown(&mut self.net, &device);
        Ok(())
    }

    fn no_ifcfg(&self, command: &str, config: &str) -> Error {
        let configs: Vec<&str> = self
            .fs
            .files_in(ifcfg::SCRIPTS_DIR)
            .into_iter()
            .filter_map(ifcfg::interface_suffix)
            .collect();
        Error::NoIfcfg {
            host: self.name.clone(),
            command: command.into(),
            config: config.into(),
            help: match suggest::closest(config, configs.iter().copied()) {
                Some(near) => format!("did you mean `{command} {near}`? {command} takes the NAME of an ifcfg-NAME file in {}", ifcfg::SCRIPTS_DIR),
                None => format!("write {}/ifcfg-{config} first (DEVICE={config}, ONBOOT, BOOTPROTO, IPADDR, NETMASK)", ifcfg::SCRIPTS_DIR),
            },
        }
    }

    /// /etc/sysconfig/network and the ifcfg files, with their text.
    fn network_files(&self) -> Vec<(String, String)> {
        let mut files: Vec<(String, String)> = std::iter::once(ifcfg::NETWORK_PATH)
            .chain(
                self.fs
                    .files_in(ifcfg::SCRIPTS_DIR)
                    .into_iter()
                    .filter(|p| ifcfg::interface_suffix(p).is_some_and(|s| s != "lo")),
            )
            .filter_map(|p| Some((p.to_string(), self.fs.read(&self.name, p).ok()?.to_string())))
            .collect();
        files.sort();
        files
    }

    /// The network config files written, changed or removed since the network service
    /// last read them (all of them before it first runs), and whether it ever ran.
    pub fn unapplied_network_files(&self) -> (Vec<String>, bool) {
        let now = self.network_files();
        let Some(applied) = &self.applied_network else {
            let written = now
                .into_iter()
                .map(|(p, _)| p)
                .filter(|p| p != ifcfg::NETWORK_PATH);
            return (written.collect(), false);
        };
        let mut changed: Vec<String> = now
            .iter()
            .filter(|f| !applied.contains(f))
            .map(|(p, _)| p.clone())
            .chain(
                applied
                    .iter()
                    .filter(|(p, _)| !now.iter().any(|(q, _)| q == p))
                    .map(|(p, _)| p.clone()),
            )
            .collect();
        changed.sort();
        (changed, true)
    }

    pub fn storage(&self) -> &HostStorage {
        &self.storage
    }

    pub(crate) fn storage_mut(&mut self) -> &mut HostStorage {
        &mut self.storage
    }

    /// /etc/fstab as `mount -a` reads it (a missing file reads as empty).
    pub fn fstab(&self) -> Result<Fstab> {
        match self.read_file(FSTAB_PATH) {
            Ok(text) => Ok(Fstab::parse(text)),
            Err(Error::NoSuchFile { .. }) => Ok(Fstab::parse("")),
            Err(e) => Err(e),
        }
    }

    /// Whether `path` is a directory of the host's files.
    pub fn is_dir(&self, path: &str) -> bool {
        self.fs.is_dir(path)
    }

    /// `ip -br addr`.
    pub fn interfaces(&self) -> Vec<InterfaceRow> {
        self.net.interface_rows()
    }

    /// `ip route`.
    pub fn routes(&self) -> Vec<RouteRow> {
        self.net.route_rows()
    }
}

fn lint(path: &str, text: &str) -> Vec<Finding> {
    if path == HOSTS_PATH {
        return HostsFile::parse(text).findings;
    }
    if path == FSTAB_PATH {
        let errors = Fstab::parse(text).errors;
        return errors
            .into_iter()
            .map(|e| super::volumes::fstab_finding(e, None))
            .collect();
    }
    match ConfigKind::of_path(path) {
        Some(kind) => ifcfg::lint(kind, path, text),
        None => Vec::new(),
    }
}

/// Replaces or appends `KEY=value` lines; returns the text and the 1-based lines written.
fn edit_vars(old: &str, vars: &[(&str, &str)]) -> (String, Vec<usize>) {
    let mut lines: Vec<String> = old.lines().map(str::to_string).collect();
    let mut written = Vec::new();
    for (key, value) in vars {
        let assignment = format!("{key}={}", shell_quote(value));
        let assigns = |line: &str| {
            let line = line.trim_start();
            let line = line.strip_prefix("export ").map_or(line, str::trim_start);
            line.strip_prefix(key)
                .is_some_and(|rest| rest.starts_with('='))
        };
        match lines.iter().position(|l| assigns(l)) {
            Some(at) => {
                lines[at] = assignment;
                let mut index = 0;
                lines.retain(|l| {
                    index += 1;
                    index - 1 <= at || !assigns(l)
                });
                written.push(at + 1);
            }
            None => {
                lines.push(assignment);
                written.push(lines.len());
            }
        }
    }
    let mut text = lines.join("\n");
    text.push('\n');
    (text, written)
}

/// A value as a config file needs it: bare when safe, else double-quoted.
fn shell_quote(value: &str) -> String {
    let bare = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._:/-,+@%".contains(c));
    if bare {
        return value.into();
    }
    let mut quoted = String::from("\"");
    for c in value.chars() {
        if matches!(c, '"' | '\\' | '$' | '`') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cpu = &self.spec.cpu;
        let virt = match cpu.virt {
            Some(v) if self.spec.bios_virt_enabled => format!("{} enabled in BIOS", v.name()),
            Some(v) => format!("{} disabled in BIOS", v.name()),
            None => "no AMD-V/VT-x".into(),
        };
        writeln!(
            f,
            "host {}: {}, {} cores at {} GHz ({virt}), {} memory",
            self.name,
            cpu.model,
            cpu.cores,
            cpu.ghz,
            human_size(self.spec.memory)
        )?;
        for disk in &self.spec.disks {
            let rpm = disk.rpm.map(|r| format!(", {r} rpm")).unwrap_or_default();
            writeln!(
                f,
                "disk {}: {} ({}{rpm})",
                disk.name,
                disk.model,
                human_size(disk.size)
            )?;
        }
        match &self.os {
            Some(os) => {
                let parts: Vec<String> = os
                    .partitions
                    .iter()
                    .map(|p| format!("{} {}", p.mount, human_size(p.size)))
                    .collect();
                let kvm = match self.kvm_check() {
                    Ok(()) => "KVM usable".to_string(),
                    Err(e) => format!("KVM not usable: {e}"),
                };
                writeln!(
                    f,
                    "os: {} {}, hostname {}; {}",
                    os.distro,
                    os.arch,
                    os.hostname,
                    parts.join(", ")
                )?;
                writeln!(f, "groups: {}; {kvm}", os.groups.join(", "))?;
            }
            None => writeln!(f, "os: not installed")?,
        }
        let mut table = Table::new();
        table.load_preset(presets::ASCII_MARKDOWN);
        table.set_header([
            "interface",
            "state",
            "addresses",
            "bridge",
            "card",
            "speed",
            "mac",
            "switch",
        ]);
        for row in self.interfaces() {
            let nic = self.net.nic(&row.name);
            let addresses: Vec<String> = row.addresses.iter().map(|a| a.to_string()).collect();
            let speed = nic.map(|n| match &n.link {
                Some(link) => format!("{} Mbit/s", (link.rate * 8.0 / 1e6).round()),
                None => format!("{} Mbit/s (no cable)", (n.speed * 8.0 / 1e6).round()),
            });
            table.add_row([
                row.name.clone(),
                row.state.clone(),
                addresses.join(" "),
                row.master.clone().unwrap_or_default(),
                nic.map(|n| n.model.clone()).unwrap_or_default(),
                speed.unwrap_or_default(),
                row.mac.map(|m| m.to_string()).unwrap_or_default(),
                row.switches.join(" "),
            ]);
        }
        write!(f, "{table}")
    }
}
