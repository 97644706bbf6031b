//! The iSCSI initiator on a host as `iscsiadm` drives it across the lab's network:
//! sendtargets discovery, node records, login and logout.
//!
//! iscsiadm comes with iscsi-initiator-utils. It talks to iscsid, and RHEL 6's iscsiadm
//! starts the daemon itself when it is not running (`iscsid.startup =
//! /etc/rc.d/init.d/iscsid force-start` in iscsid.conf), printing the init script's line.
//! A TCP connection to the portal needs the packet's way there and back
//! ([`crate::world::reach`]) and a NAS listening on the address and port; otherwise
//! iscsiadm reports the socket error: `Network is unreachable` without a route, `No route to
//! host` when nothing answers ARP, `Connection timed out` when replies cannot come back,
//! `Connection refused` from a machine that serves no iSCSI there.
//!
//! Logging in attaches each LUN of the target as a SCSI disk with the lowest free `sdX`
//! name; the initiator presents the name in /etc/iscsi/initiatorname.iscsi as read at that
//! moment, so editing the file changes what the target's ACL sees.

use std::net::Ipv4Addr;

use super::host::packages::{status_line, INITIATOR_NAME_PATH};
use super::host::storage::{DiskRef, FsLocation, IscsiPath};
use super::nas::NasId;
use super::storage::iqn::Iqn;
use super::storage::iscsi::{Chap, Portal, SessionPath, Target, ISCSI_PORT};
use super::{reach, HostId, NodeId, World};
use crate::error::{Error, Result};

/// What a login did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IscsiLogin {
    /// iscsiadm's two lines.
    pub lines: Vec<String>,
    /// The disks that appeared, e.g. `/dev/sdb`, one per LUN.
    pub devices: Vec<String>,
}

/// Why a TCP connection was not made: the socket error and what explains it.
pub(crate) struct Refusal {
    pub errno: String,
    pub help: String,
}

impl World {
    /// Opens a TCP connection from `host` to `address:port`: the NAS that accepts it, or
    /// why none does (the NAS listens on `served_ports`).
    pub(crate) fn tcp_connect(
        &self,
        host: HostId,
        address: Ipv4Addr,
        port: u16,
        served_ports: &[u16],
    ) -> std::result::Result<NasId, Refusal> {
        let report = reach::ping(self, NodeId::Host(host), &address.to_string());
        if let Some(failure) = &report.failure {
            let errno = match failure {
                Error::NetworkUnreachable { .. } => "Network is unreachable",
                Error::NoReply { .. } => "Connection timed out",
                _ => "No route to host",
            };
            let help = match failure.help_str() {
                Some(help) => format!("{failure}; {help}"),
                None => failure.to_string(),
            };
            return Err(Refusal {
                errno: errno.into(),
                help,
            });
        }
        let reached = report.path.last().map(|hop| hop.to.clone());
        let nas = self
            .nas_at(address)
            .filter(|nas| reached.as_deref() == Some(self.nas(*nas).name()));
        let portals = self.nas_portals();
        match nas {
            Some(nas) if served_ports.contains(&port) => Ok(nas),
            Some(nas) => Err(Refusal {
                errno: "Connection refused".into(),
                help: format!(
                    "{} listens on TCP {} only",
                    self.nas(nas).name(),
                    served_ports
                        .iter()
                        .map(u16::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
            None => {
                let who = reached.unwrap_or_else(|| self.host(host).name().to_string());
                let help = if portals.is_empty() {
                    format!(
                        "{address} is {who}, which is no NAS; no NAS in the lab has an address yet"
                    )
                } else {
                    format!(
                        "{address} is {who}, which is no NAS; the NAS answers at {}",
                        portals.join(", ")
                    )
                };
                Err(Refusal {
                    errno: "Connection refused".into(),
                    help,
                })
            }
        }
    }

    /// A portal as iscsiadm takes it: an address, or a host name resolved through the
    /// host's /etc/hosts, with an optional port.
    fn resolve_portal(&self, host: HostId, text: &str) -> Result<Portal> {
        let (name, port) = text.trim().split_once(':').unwrap_or((text.trim(), ""));
        let is_name = name.chars().any(|c| c.is_ascii_alphabetic());
        if !is_name {
            return Portal::parse(text);
        }
        let with_port = |ip: Ipv4Addr| -> Result<Portal> {
            if port.is_empty() {
                Ok(Portal::new(ip))
            } else {
                Portal::parse(&format!("{ip}:{port}"))
                    .map_err(|_| Error::BadPortal { text: text.into() })
            }
        };
        match self.resolve(host, name) {
            Ok(found) => with_port(found.address),
            Err(Error::Unresolved {
                host: on,
                name,
                reason,
                help,
            }) => {
                let portals = self.nas_portals();
                let help = if portals.is_empty() {
                    help
                } else {
                    format!("{help}; the lab's NAS answers at {}", portals.join(", "))
                };
                Err(Error::Unresolved {
                    host: on,
                    name,
                    reason: format!("{reason} (iscsiadm: cannot resolve host name)"),
                    help,
                })
            }
            Err(other) => Err(other),
        }
    }

    /// The addresses the lab's NAS boxes answer on.
    fn nas_portals(&self) -> Vec<String> {
        self.nases()
            .flat_map(|(_, n)| {
                n.net()
                    .interfaces
                    .iter()
                    .flat_map(|i| i.addresses.iter().map(|a| a.addr().to_string()))
                    .filter(|a| !a.starts_with("127."))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    fn connect_portal(&self, host: HostId, portal: Portal, operation: &str) -> Result<NasId> {
        self.tcp_connect(host, portal.ip, portal.port, &[ISCSI_PORT])
            .map_err(|refusal| Error::PortalUnreachable {
                host: self.host(host).name().into(),
                address: portal.ip.to_string(),
                errno: refusal.errno,
                operation: operation.into(),
                help: refusal.help,
            })
    }

    /// Starts iscsid if it is not running, as RHEL 6's iscsiadm does; returns the line the
    /// init script prints.
    pub(crate) fn ensure_iscsid(&mut self, host: HostId) -> Vec<String> {
        let packages = self.hosts[host.0].packages_mut();
        if packages.is_running("iscsid") {
            return Vec::new();
        }
        packages.set_running("iscsid", true);
        vec![status_line("Starting iscsid: ", true)]
    }

    /// The initiator name as /etc/iscsi/initiatorname.iscsi gives it now.
    pub fn iscsi_initiator_name(&self, host: HostId) -> Result<Iqn> {
        let h = self.host(host);
        h.require_command("iscsiadm")?;
        let text = h.read_file(INITIATOR_NAME_PATH)?;
        let value = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .find_map(|l| l.trim().strip_prefix("InitiatorName="))
            .unwrap_or("");
        if value.is_empty() {
            return Err(Error::BadIqn {
                iqn: String::new(),
                part: "name".into(),
                reason: format!("is missing from {INITIATOR_NAME_PATH}"),
                help: format!("write a line `InitiatorName=iqn.1994-05.com.redhat:NAME` to {INITIATOR_NAME_PATH}"),
            });
        }
        Iqn::parse(value)
    }

    /// `iscsiadm --mode discovery --type sendtargets --portal PORTAL`: the lines it prints
    /// (iscsid's start line first when iscsiadm had to start it), one per target, e.g.
    /// `10.10.1.10:3260,1 iqn.2006-01.com.openfiler:tsn.b5ffc134d692`. Records a node for
    /// each target.
    pub fn iscsi_discover(&mut self, host: HostId, portal: &str) -> Result<Vec<String>> {
        self.host(host).require_command("iscsiadm")?;
        let portal = self.resolve_portal(host, portal)?;
        let mut lines = self.ensure_iscsid(host);
        let nas = self.connect_portal(host, portal, "SendTargets discovery")?;
        self.require_array(nas, "SendTargets discovery")?;
        let served: Vec<Target> = self
            .nas(nas)
            .volume()
            .targets()
            .iter()
            .map(|t| Target {
                portal: Portal {
                    ip: portal.ip,
                    port: portal.port,
                    tpgt: 1,
                },
                ..t.clone()
            })
            .collect();
        let initiator = self.hosts[host.0]
            .storage_mut()
            .initiator_mut()
            .expect("iscsiadm is installed with its initiator");
        let found = initiator.discover(portal, &served);
        if found.is_empty() {
            lines.push("iscsiadm: No portals found".into());
        }
        lines.extend(found);
        Ok(lines)
    }

    /// `iscsiadm -m node`: one line per node record (none prints nothing here; iscsiadm
    /// says "No records found").
    pub fn iscsi_nodes(&self, host: HostId) -> Result<Vec<String>> {
        self.host(host).require_command("iscsiadm")?;
        Ok(self.initiator(host).node_lines())
    }

    /// `iscsiadm -m session`.
    pub fn iscsi_sessions(&self, host: HostId) -> Result<Vec<String>> {
        self.host(host).require_command("iscsiadm")?;
        Ok(self
            .initiator(host)
            .sessions()
            .iter()
            .map(|s| s.line())
            .collect())
    }

    /// `iscsiadm -m session -P LEVEL` (0 to 3), as open-iscsi 2.0-872 prints its session
    /// tree: level 1 adds each session's portals and interface, 2 the negotiated
    /// parameters, 3 the SCSI disks its LUNs became.
    ///
    /// The negotiated parameters are open-iscsi's defaults met by an IET target's (the
    /// NAS's target software, the `IET VIRTUAL-DISK` its LUNs report): the target accepts
    /// 8 KiB data segments and a 64 KiB first burst. The SCSI host numbers count the local
    /// controller as host 0 and one host per session, in login order.
    pub fn iscsi_session_tree(&self, host: HostId, level: u8) -> Result<Vec<String>> {
        if level == 0 {
            return self.iscsi_sessions(host);
        }
        let name = self.iscsi_initiator_name(host)?;
        let storage = self.host(host).storage();
        let mut lines = Vec::new();
        if level >= 3 {
            lines.push("iSCSI Transport Class version 2.0-870".to_string());
            lines.push("version 2.0-872".to_string());
        }
        for session in self.initiator(host).sessions() {
            let address = reach::ping(self, NodeId::Host(host), &session.portal.ip.to_string())
                .source_address
                .map_or("<empty>".to_string(), |a| a.to_string());
            // A session without its path waits for the transport while iscsid reopens it;
            // its disks are blocked until the replacement timeout fails their I/O.
            let (connection, session_state, iscsid, disk_state) = match session.path {
                SessionPath::Up => ("LOGGED IN", "LOGGED_IN", "NO CHANGE", "running"),
                SessionPath::Recovering { .. } => ("TRANSPORT WAIT", "FAILED", "REOPEN", "blocked"),
                SessionPath::Failed { .. } => ("TRANSPORT WAIT", "FAILED", "REOPEN", "running"),
            };
            lines.push(format!("Target: {}", session.target));
            lines.push(format!("\tCurrent Portal: {}", session.portal));
            lines.push(format!("\tPersistent Portal: {}", session.portal));
            // iscsiadm's banners: ten stars over the interface, 24 over the others.
            let banner = |title: &str, lines: &mut Vec<String>| {
                let stars = "*".repeat(if title == "Interface:" { 10 } else { 24 });
                lines.extend([
                    format!("\t\t{stars}"),
                    format!("\t\t{title}"),
                    format!("\t\t{stars}"),
                ]);
            };
            banner("Interface:", &mut lines);
            lines.extend(
                [
                    "Iface Name: default".to_string(),
                    "Iface Transport: tcp".into(),
                    format!("Iface Initiatorname: {name}"),
                    format!("Iface IPaddress: {address}"),
                    "Iface HWaddress: <empty>".into(),
                    "Iface Netdev: <empty>".into(),
                    format!("SID: {}", session.sid),
                    format!("iSCSI Connection State: {connection}"),
                    format!("iSCSI Session State: {session_state}"),
                    format!("Internal iscsid Session State: {iscsid}"),
                ]
                .map(|l| format!("\t\t{l}")),
            );
            if level >= 2 {
                banner("Negotiated iSCSI params:", &mut lines);
                lines.extend(
                    [
                        "HeaderDigest: None",
                        "DataDigest: None",
                        "MaxRecvDataSegmentLength: 262144",
                        "MaxXmitDataSegmentLength: 8192",
                        "FirstBurstLength: 65536",
                        "MaxBurstLength: 262144",
                        "ImmediateData: Yes",
                        "InitialR2T: Yes",
                        "MaxOutstandingR2T: 1",
                    ]
                    .map(|l| format!("\t\t{l}")),
                );
            }
            if level >= 3 {
                banner("Attached SCSI devices:", &mut lines);
                let scsi_host = session.sid;
                lines.push(format!("\t\tHost Number: {scsi_host}\tState: running"));
                for lun in &session.luns {
                    lines.push(format!(
                        "\t\tscsi{scsi_host} Channel 00 Id 0 Lun: {}",
                        lun.id
                    ));
                    let disk = storage.devices().into_iter().find(|d| {
                        d.iscsi
                            .as_ref()
                            .is_some_and(|p| p.target == session.target && p.lun == lun.id)
                    });
                    if let Some(disk) = disk {
                        lines.push(format!(
                            "\t\t\tAttached scsi disk {}\t\tState: {disk_state}",
                            disk.name
                        ));
                    }
                }
            }
        }
        Ok(lines)
    }

    fn initiator(&self, host: HostId) -> &super::storage::iscsi::Initiator {
        self.host(host)
            .storage()
            .initiator()
            .expect("iscsiadm is installed with its initiator")
    }

    /// `iscsiadm --mode node --targetname IQN --login`.
    pub fn iscsi_login(&mut self, host: HostId, target: &str) -> Result<IscsiLogin> {
        self.host(host).require_command("iscsiadm")?;
        let iqn = Iqn::parse(target)?;
        let started = self.ensure_iscsid(host);
        let mut login = self.login_target(host, &iqn)?;
        login.lines.splice(0..0, started);
        Ok(login)
    }

    /// Logs in to a discovered target (the command and the daemon are the caller's).
    pub(crate) fn login_target(&mut self, host: HostId, iqn: &Iqn) -> Result<IscsiLogin> {
        let name = self.iscsi_initiator_name(host)?;
        let portal = self.initiator(host).node(iqn)?.portal;
        let nas = self.connect_portal(host, portal, &format!("login to {iqn}"))?;
        self.require_array(nas, &format!("login to {iqn}"))?;
        let target = self.nas(nas).target(iqn)?.clone();
        let storage = self.hosts[host.0].storage_mut();
        let initiator = storage
            .initiator_mut()
            .expect("iscsiadm is installed with its initiator");
        initiator.name = name;
        let session = initiator.login(&target)?.clone();
        let devices = session
            .luns
            .iter()
            .map(|lun| {
                let name = storage.attach(
                    DiskRef::Lun {
                        nas,
                        target: iqn.clone(),
                        lun: lun.id,
                    },
                    IscsiPath {
                        portal,
                        target: iqn.clone(),
                        lun: lun.id,
                    },
                );
                format!("/dev/{name}")
            })
            .collect();
        Ok(IscsiLogin {
            lines: session.login_messages().to_vec(),
            devices,
        })
    }

    /// `iscsiadm --mode node --targetname IQN --logout`: the session ends and its disks go.
    /// Refused while one of them is mounted.
    pub fn iscsi_logout(&mut self, host: HostId, target: &str) -> Result<Vec<String>> {
        self.host(host).require_command("iscsiadm")?;
        let iqn = Iqn::parse(target)?;
        let h = self.host(host);
        if h.storage()
            .initiator()
            .and_then(|i| i.session(&iqn))
            .is_none()
        {
            return Err(Error::NotLoggedIn {
                target: iqn.to_string(),
            });
        }
        let in_use = h.storage().mounts().iter().find(|m| {
            matches!(&m.location, FsLocation::Block { disk: DiskRef::Lun { target, .. }, .. } if *target == iqn)
        });
        if let Some(m) = in_use {
            return Err(Error::SessionInUse {
                host: h.name().into(),
                target: iqn.to_string(),
                device: m.source.clone(),
                dir: m.dir.clone(),
            });
        }
        let storage = self.hosts[host.0].storage_mut();
        let session = storage
            .initiator_mut()
            .expect("iscsiadm is installed with its initiator")
            .logout(&iqn)?;
        storage.detach_target(&iqn);
        Ok(session.logout_messages().to_vec())
    }

    /// `iscsiadm -m node -T IQN -o update -n node.startup -v automatic|manual`.
    pub fn iscsi_set_startup(&mut self, host: HostId, target: &str, automatic: bool) -> Result<()> {
        self.host(host).require_command("iscsiadm")?;
        let iqn = Iqn::parse(target)?;
        self.hosts[host.0]
            .storage_mut()
            .initiator_mut()
            .expect("iscsiadm is installed with its initiator")
            .set_automatic(&iqn, automatic)
    }

    /// `iscsiadm -m node -T IQN -o update -n node.session.auth.*`.
    pub fn iscsi_set_chap(&mut self, host: HostId, target: &str, chap: Option<Chap>) -> Result<()> {
        self.host(host).require_command("iscsiadm")?;
        let iqn = Iqn::parse(target)?;
        self.hosts[host.0]
            .storage_mut()
            .initiator_mut()
            .expect("iscsiadm is installed with its initiator")
            .set_chap(&iqn, chap)
    }
}
