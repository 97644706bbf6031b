//! Services on a host as `service NAME start|stop|restart|status` and the boot run them,
//! and `reboot`.
//!
//! The init scripts kvmlab models: `network` is [`World::restart_network`]; `iscsi` starts
//! iscsid if needed and logs in to every node record with `node.startup = automatic`;
//! `netfs` mounts the fstab entries marked `_netdev` and the network file systems;
//! `libvirtd` starts its autostart storage pools. The others only change state.
//!
//! A reboot replays RHEL 6's boot. Everything stops: sessions end, mounts go (the root file
//! system is remounted from the install), interfaces go down. rc.sysinit mounts the local
//! file systems of /etc/fstab (neither `_netdev` nor a network type); then the services
//! chkconfig'd on start in their `S` order: iscsid (7), network (10), iscsi (13), netfs
//! (25), …, libvirtd (97). An iSCSI disk named in an entry without `_netdev` does not exist
//! yet when rc.sysinit mounts, the mount fails and nothing retries it: the `netdev_missing`
//! finding explains why. The log holds the console lines, as `/etc/init.d/functions`
//! prints them.
//!
//! Simplified: iscsid starts at boot whenever it is chkconfig'd on (RHEL 6's script skips
//! it while no node record is automatic; iscsiadm starts it on demand anyway), and every
//! start succeeds but for the network, the logins and the mounts.

use sha2::{Digest, Sha256};

use super::host::packages::{status_line, ServiceInfo};
use super::host::storage::{DiskRef, FsLocation};
use super::net::ifcfg::{interface_suffix, SCRIPTS_DIR};
use super::net::Finding;
use super::node::InterfaceKind;
use super::storage::fstab::FSTAB_PATH;
use super::volumes::fstab_finding;
use super::{HostId, World};
use crate::error::{Error, Result, Severity};
use crate::time::LabTime;

/// A boot of the report's servers: POST, GRUB's 5-second menu, the kernel and the init
/// scripts, about a minute (an assumption; the report timed no boot).
pub const BOOT_TIME: LabTime = LabTime(60_000_000_000);

/// How long iscsid keeps trying an unreachable portal at boot: RHEL 6's iscsid.conf has
/// `node.conn[0].timeo.login_timeout = 15` and `node.session.initial_login_retry_max = 8`.
pub const LOGIN_RETRY_TIME: LabTime = LabTime(120_000_000_000);

/// What `service NAME ACTION` is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceAction {
    Start,
    Stop,
    Restart,
    Status,
}

impl ServiceAction {
    pub fn parse(text: &str) -> Result<ServiceAction> {
        match text {
            "start" => Ok(ServiceAction::Start),
            "stop" => Ok(ServiceAction::Stop),
            "restart" => Ok(ServiceAction::Restart),
            "status" => Ok(ServiceAction::Status),
            _ => Err(Error::BadValue {
                key: "action".into(),
                what: "service".into(),
                reason: format!("`{text}` is not an init script action"),
                help: "write start, stop, restart or status".into(),
            }),
        }
    }
}

/// What a `service` command printed and found, and how long it took.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ServiceReport {
    pub lines: Vec<String>,
    pub findings: Vec<Finding>,
    #[serde(serialize_with = "super::volumes::serialize_seconds")]
    pub duration: LabTime,
}

impl ServiceReport {
    fn lines(lines: Vec<String>) -> ServiceReport {
        ServiceReport {
            lines,
            findings: Vec::new(),
            duration: LabTime::ZERO,
        }
    }

    fn then(mut self, other: ServiceReport) -> ServiceReport {
        self.lines.extend(other.lines);
        self.findings.extend(other.findings);
        self.duration = self.duration.saturating_add(other.duration.0);
        self
    }
}

/// What a reboot printed and found, and how long it took.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BootReport {
    /// Console lines, in order.
    pub log: Vec<String>,
    pub findings: Vec<Finding>,
    #[serde(serialize_with = "super::volumes::serialize_seconds")]
    pub duration: LabTime,
}

impl BootReport {
    /// The findings' codes, in order.
    pub fn codes(&self) -> Vec<String> {
        self.findings.iter().map(Finding::code).collect()
    }
}

/// An error as its command prints it on the console (without kvmlab's host prefix).
fn console(host: &str, error: &Error) -> String {
    let text = error.to_string();
    text.strip_prefix(&format!("{host}: "))
        .map_or(text.clone(), str::to_string)
}

impl World {
    /// `service NAME start|stop|restart|status`.
    pub fn service(
        &mut self,
        host: HostId,
        name: &str,
        action: ServiceAction,
    ) -> Result<ServiceReport> {
        let h = self.host(host);
        h.require_command("service")?;
        let info = h.service_info(name)?;
        match action {
            ServiceAction::Start => self.start_service(host, info),
            ServiceAction::Stop => self.stop_service(host, info),
            ServiceAction::Restart => {
                let stopped = self.stop_service(host, info)?;
                Ok(stopped.then(self.start_service(host, info)?))
            }
            ServiceAction::Status => Ok(ServiceReport::lines(self.service_status(host, info))),
        }
    }

    /// `chkconfig NAME on|off`.
    pub fn chkconfig(&mut self, host: HostId, name: &str, on: bool) -> Result<()> {
        self.hosts[host.0].chkconfig(name, on)
    }

    fn start_service(&mut self, host: HostId, info: &ServiceInfo) -> Result<ServiceReport> {
        let report = match info.name {
            "network" => {
                let findings = self.restart_network(host)?;
                let mut lines = vec![status_line("Bringing up loopback interface: ", true)];
                let stack = self.host(host).net();
                let mut up: Vec<String> = Vec::new();
                for iface in &stack.interfaces {
                    if iface.kind != InterfaceKind::Loopback && iface.admin_up {
                        up.push(iface.name.clone());
                        lines.push(status_line(
                            &format!("Bringing up interface {}: ", iface.name),
                            true,
                        ));
                    }
                }
                for f in findings.iter().filter(|f| f.severity == Severity::Error) {
                    if let Some(device) =
                        interface_suffix(&f.file).filter(|d| !up.iter().any(|u| u == d))
                    {
                        lines.push(status_line(
                            &format!("Bringing up interface {device}: "),
                            false,
                        ));
                    }
                }
                ServiceReport {
                    lines,
                    findings,
                    duration: LabTime::ZERO,
                }
            }
            "iscsi" => self.start_iscsi(host),
            "netfs" => {
                let done =
                    self.mount_fstab(host, |e| e.has_option("_netdev") || e.is_network_fstype())?;
                let name = self.host(host).name().to_string();
                let mut lines: Vec<String> = done
                    .failures
                    .iter()
                    .map(|(_, e)| console(&name, e))
                    .collect();
                if done.attempted > 0 {
                    lines.push(status_line(
                        "Mounting other filesystems: ",
                        done.failures.is_empty(),
                    ));
                }
                ServiceReport {
                    lines,
                    findings: done.mount_findings(),
                    duration: LabTime::ZERO,
                }
            }
            "libvirtd" => {
                self.hosts[host.0]
                    .packages_mut()
                    .set_running("libvirtd", true);
                let mut findings = Vec::new();
                let autostart: Vec<String> = self
                    .host(host)
                    .storage()
                    .pools()
                    .iter()
                    .filter(|p| !p.active() && p.spec.autostart)
                    .map(|p| p.spec.name.clone())
                    .collect();
                for name in autostart {
                    let file = format!("/etc/libvirt/storage/{name}.xml");
                    match self.start_pool(host, &name) {
                        Ok(warnings) => findings.extend(
                            warnings
                                .into_iter()
                                .map(|w| Finding::warning(&file, None, w)),
                        ),
                        Err(e) => findings.push(Finding::error(&file, None, e)),
                    }
                }
                ServiceReport {
                    lines: vec![status_line("Starting libvirtd daemon: ", true)],
                    findings,
                    duration: LabTime::ZERO,
                }
            }
            _ => ServiceReport::lines(vec![status_line(
                &format!("Starting {}: ", info.label),
                true,
            )]),
        };
        self.hosts[host.0]
            .packages_mut()
            .set_running(info.name, true);
        Ok(report)
    }

    /// The iscsi script's start: iscsid, then a login to every automatic node record.
    fn start_iscsi(&mut self, host: HostId) -> ServiceReport {
        let mut report = ServiceReport::lines(self.ensure_iscsid(host));
        let initiator = self
            .host(host)
            .storage()
            .initiator()
            .expect("the iscsi service comes with its initiator");
        let pending: Vec<_> = initiator
            .nodes()
            .iter()
            .filter(|n| n.automatic && initiator.session(&n.target).is_none())
            .map(|n| (n.target.clone(), n.portal))
            .collect();
        let mut ok = true;
        for (iqn, portal) in pending {
            match self.login_target(host, &iqn) {
                Ok(login) => report.lines.extend(login.lines),
                Err(e) => {
                    ok = false;
                    report.lines.push(format!(
                        "iscsiadm: Could not login to [iface: default, target: {iqn}, portal: {}].",
                        portal.address_comma_port()
                    ));
                    if matches!(e, Error::PortalUnreachable { .. }) {
                        report.duration = report.duration.saturating_add(LOGIN_RETRY_TIME.0);
                    }
                    let file = format!("/var/lib/iscsi/nodes/{iqn}");
                    report.findings.push(Finding::error(&file, None, e));
                }
            }
        }
        report.lines.push(status_line("Starting iscsi: ", ok));
        report
    }

    fn stop_service(&mut self, host: HostId, info: &ServiceInfo) -> Result<ServiceReport> {
        let lines = match info.name {
            "network" => {
                let net = self.hosts[host.0].net_mut();
                let mut lines: Vec<String> = net
                    .interfaces
                    .iter()
                    .rev()
                    .filter(|i| i.kind != InterfaceKind::Loopback && i.admin_up)
                    .map(|i| status_line(&format!("Shutting down interface {}: ", i.name), true))
                    .collect();
                lines.push(status_line("Shutting down loopback interface: ", true));
                net.reset();
                lines
            }
            "iscsi" => {
                let sessions: Vec<String> = self
                    .host(host)
                    .storage()
                    .initiator()
                    .map(|i| i.sessions().iter().map(|s| s.target.to_string()).collect())
                    .unwrap_or_default();
                let mut lines = Vec::new();
                for target in sessions {
                    lines.extend(self.iscsi_logout(host, &target)?);
                }
                lines.push(status_line("Stopping iscsi: ", true));
                lines
            }
            "netfs" => {
                let network: Vec<String> = self
                    .host(host)
                    .storage()
                    .mounts()
                    .iter()
                    .rev()
                    .filter(|m| {
                        matches!(
                            m.location,
                            FsLocation::NasData { .. }
                                | FsLocation::Block {
                                    disk: DiskRef::Lun { .. },
                                    ..
                                }
                        )
                    })
                    .map(|m| m.dir.clone())
                    .collect();
                for dir in &network {
                    self.umount(host, dir)?;
                }
                if network.is_empty() {
                    Vec::new()
                } else {
                    vec![status_line("Unmounting network block filesystems: ", true)]
                }
            }
            _ => vec![status_line(&format!("Stopping {}: ", info.label), true)],
        };
        self.hosts[host.0]
            .packages_mut()
            .set_running(info.name, false);
        Ok(ServiceReport::lines(lines))
    }

    fn service_status(&self, host: HostId, info: &ServiceInfo) -> Vec<String> {
        let h = self.host(host);
        if info.name == "network" {
            let mut configured: Vec<&str> = h
                .files()
                .into_iter()
                .filter(|p| p.starts_with(SCRIPTS_DIR))
                .filter_map(interface_suffix)
                .collect();
            configured.sort();
            let active: Vec<&str> = h
                .net()
                .interfaces
                .iter()
                .filter(|i| i.admin_up)
                .map(|i| i.name.as_str())
                .collect();
            return vec![
                "Configured devices:".into(),
                configured.join(" "),
                "Currently active devices:".into(),
                active.join(" "),
            ];
        }
        if h.packages().is_running(info.name) {
            let digest = Sha256::digest(format!("{}/{}", h.name(), info.name).as_bytes());
            let pid = 1000 + u32::from(u16::from_be_bytes([digest[0], digest[1]])) % 30_000;
            vec![format!("{} (pid  {pid}) is running...", info.name)]
        } else {
            vec![format!("{} is stopped", info.name)]
        }
    }

    /// `reboot`: shutdown, then RHEL 6's boot in order. Returns the console log, what went
    /// wrong, and how long the boot took.
    pub fn reboot(&mut self, host: HostId) -> Result<BootReport> {
        self.host(host).require_command("service")?;
        self.hosts[host.0].count_boot();
        self.shut_down(host);
        self.boot(host)
    }

    /// What a host loses when it stops, cleanly or not: its iSCSI sessions, every mount but
    /// the root, its services, its network and its active pools.
    pub(crate) fn shut_down(&mut self, host: HostId) {
        let h = &mut self.hosts[host.0];
        let storage = h.storage_mut();
        if let Some(initiator) = storage.initiator_mut() {
            initiator.reboot();
        }
        storage.detach_all_iscsi();
        let root = storage.mounts().iter().find(|m| m.dir == "/").cloned();
        storage.clear_mounts();
        if let Some(root) = root {
            storage.add_mount(root);
        }
        h.packages_mut().stop_all();
        h.net_mut().reset();
        for pool in h.storage_mut().pools_mut() {
            pool.set_active(false);
        }
    }

    /// RHEL 6's boot in order: local file systems, then the services chkconfig enables.
    pub(crate) fn boot(&mut self, host: HostId) -> Result<BootReport> {
        let name = self.host(host).name().to_string();

        let mut local =
            self.mount_fstab(host, |e| !e.has_option("_netdev") && !e.is_network_fstype())?;
        let mut findings: Vec<Finding> = std::mem::take(&mut local.syntax)
            .into_iter()
            .map(|e| fstab_finding(e, None))
            .collect();
        let mut log: Vec<String> = local
            .failures
            .iter()
            .map(|(_, e)| console(&name, e))
            .collect();
        log.push(status_line(
            "Mounting local filesystems: ",
            local.failures.is_empty(),
        ));
        let mut duration = BOOT_TIME;
        let mut later = Vec::new();
        let services: Vec<&ServiceInfo> = self
            .host(host)
            .packages()
            .services()
            .into_iter()
            .filter(|s| self.host(host).packages().is_enabled(s.name))
            .collect();
        for service in services {
            let report = self.start_service(host, service)?;
            log.extend(report.lines);
            later.extend(report.findings);
            duration = duration.saturating_add(report.duration.0);
        }
        for (entry, error) in local.failures {
            let on_lun = self
                .resolve_device(host, &entry.source)
                .is_some_and(|r| matches!(r.disk, DiskRef::Lun { .. }));
            let finding = match entry.check_netdev(on_lun) {
                Some(netdev) => Finding::error(FSTAB_PATH, Some(entry.line), netdev),
                None => fstab_finding(error, Some(entry.line)),
            };
            findings.push(finding);
        }
        findings.extend(
            local
                .warnings
                .into_iter()
                .map(|(entry, w)| Finding::warning(FSTAB_PATH, Some(entry.line), w)),
        );
        findings.extend(later);
        Ok(BootReport {
            log,
            findings,
            duration,
        })
    }
}
