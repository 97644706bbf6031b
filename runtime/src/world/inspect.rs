//! Read-only answers about the lab, for the query API (`lab()` in scripts and the grader's
//! checks): entities by name, and facts about a host as plain values. Nothing here changes
//! the world; a question about something that is not there (a host without an OS, a file
//! that does not exist) has an answer (none, false, empty), not an error, except a name
//! the lab does not know at all.

use std::net::Ipv4Addr;

use super::guest::{Guest, GuestId, GuestState};
use super::host::Host;
use super::nas::NasId;
use super::net::ip::Ipv4Cidr;
use super::node::InterfaceKind;
use super::pool::Pool;
use super::storage::iqn::Iqn;
use super::{HostId, World};
use crate::error::{Error, Result};
use crate::{meter, suggest};

/// An interface as `ip addr` shows it, reduced to what a check asks about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceState {
    pub name: String,
    /// Its first address with the prefix length, if it has one.
    pub address: Option<Ipv4Cidr>,
    /// Up with a carrier (the loopback: up): it can pass packets.
    pub up: bool,
    /// The switch its cable (a bridge: its first cabled port's) is plugged into.
    pub switch: Option<String>,
}

/// A service as `service NAME status` and `chkconfig --list NAME` show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceState {
    pub running: bool,
    /// Starts at boot (`chkconfig NAME on`).
    pub enabled: bool,
}

impl World {
    /// The host named `name`, or `kvmlab::query::no_such_host` listing the lab's hosts.
    pub fn host_named(&self, name: &str) -> Result<HostId> {
        if let Some((id, _)) = self.hosts().find(|(_, h)| h.name() == name) {
            return Ok(id);
        }
        let names: Vec<&str> = self.hosts().map(|(_, h)| h.name()).collect();
        Err(Error::NoSuchHost {
            name: name.into(),
            help: suggest::help_for(name, "hosts in the lab", &names),
        })
    }

    /// The guests libvirt knows (not those a reinstall erased), in definition order.
    pub fn defined_guests(&self) -> impl Iterator<Item = (GuestId, &Guest)> {
        self.guests()
            .filter(|(_, g)| g.state != GuestState::Undefined)
    }

    /// The guest named `name`: the defined one, else the last one a reinstall erased (its
    /// state says so), or `kvmlab::query::no_such_guest` listing the defined guests.
    pub fn guest_named(&self, name: &str) -> Result<GuestId> {
        let defined = self.defined_guests().find(|(_, g)| g.name() == name);
        let erased = || self.guests().filter(|(_, g)| g.name() == name).last();
        if let Some((id, _)) = defined.or_else(erased) {
            return Ok(id);
        }
        let names: Vec<&str> = self.defined_guests().map(|(_, g)| g.name()).collect();
        Err(Error::NoSuchGuest {
            name: name.into(),
            help: suggest::help_for(name, "guests in the lab", &names),
        })
    }

    /// The NAS named `name`, or `kvmlab::query::no_such_nas` listing the lab's NAS boxes.
    pub fn nas_named(&self, name: &str) -> Result<NasId> {
        if let Some((id, _)) = self.nases().find(|(_, n)| n.name() == name) {
            return Ok(id);
        }
        let names: Vec<&str> = self.nases().map(|(_, n)| n.name()).collect();
        Err(Error::NoSuchNas {
            name: name.into(),
            help: suggest::help_for(name, "NAS boxes in the lab", &names),
        })
    }

    /// The targets the host has a session with (`iscsiadm -m session`), none without
    /// iscsi-initiator-utils.
    pub fn iscsi_session_targets(&self, host: HostId) -> Vec<String> {
        self.host(host)
            .storage()
            .initiator()
            .map(|i| i.sessions().iter().map(|s| s.target.to_string()).collect())
            .unwrap_or_default()
    }

    /// The targets discovery recorded a node for (`iscsiadm -m node`).
    pub fn iscsi_node_targets(&self, host: HostId) -> Vec<String> {
        self.host(host)
            .storage()
            .initiator()
            .map(|i| i.nodes().iter().map(|n| n.target.to_string()).collect())
            .unwrap_or_default()
    }

    /// Whether the iscsi service logs in to `target` at boot: a node record for it with
    /// `node.startup = automatic`. A text that is no IQN names no node.
    pub fn iscsi_automatic(&self, host: HostId, target: &str) -> bool {
        let Ok(iqn) = Iqn::parse(target) else {
            return false;
        };
        self.host(host)
            .storage()
            .initiator()
            .and_then(|i| i.node(&iqn).ok())
            .is_some_and(|node| node.automatic)
    }

    /// The host's libvirt pools, in definition order.
    pub fn pools_of(&self, host: HostId) -> &[Pool] {
        self.host(host).storage().pools()
    }
}

impl Host {
    /// A file's text; `None` when there is no such file (or no OS to hold it).
    pub fn file_text(&self, path: &str) -> Option<&str> {
        self.read_file(path).ok()
    }

    /// Every file's path, sorted; none before an OS is installed. Charged by the bytes of
    /// the paths.
    pub fn file_paths(&self) -> Vec<&str> {
        let paths = self.files();
        meter::bytes(paths.iter().map(|p| p.len()).sum());
        paths
    }

    /// The interfaces, in the kernel's order (`ip addr`).
    pub fn interface_states(&self) -> Vec<InterfaceState> {
        let net = self.net();
        let cabled = |name: &str| {
            net.nic(name)
                .and_then(|n| n.link.as_ref())
                .map(|l| l.switch_name.clone())
        };
        net.interfaces
            .iter()
            .map(|iface| {
                let switch = match iface.kind {
                    InterfaceKind::Loopback => None,
                    InterfaceKind::Ethernet => cabled(&iface.name),
                    InterfaceKind::Bridge => net
                        .interfaces
                        .iter()
                        .filter(|port| port.master.as_deref() == Some(iface.name.as_str()))
                        .find_map(|port| cabled(&port.name)),
                };
                InterfaceState {
                    name: iface.name.clone(),
                    address: iface.addresses.first().copied(),
                    up: iface.admin_up && net.has_carrier(iface),
                    switch,
                }
            })
            .collect()
    }

    /// The default route's gateway, if the host has one.
    pub fn default_gateway(&self) -> Option<Ipv4Addr> {
        self.net()
            .routes
            .iter()
            .find(|r| r.is_default())
            .and_then(|r| r.via)
    }

    /// Whether the service runs and starts at boot. A service of a package that is not
    /// installed (or a host without an OS) neither runs nor starts; a name no package of
    /// the lab provides is `kvmlab::host::unknown_service`, with a "did you mean".
    pub fn service_state(&self, name: &str) -> Result<ServiceState> {
        if super::host::packages::service_provider(name).is_none() {
            let names: Vec<&str> = super::host::packages::SERVICES
                .iter()
                .map(|s| s.name)
                .collect();
            return Err(Error::UnknownService {
                host: self.name().into(),
                service: name.into(),
                help: suggest::help_for(name, "the lab's services", &names),
            });
        }
        let installed = self.os().is_some();
        let packages = self.packages();
        Ok(ServiceState {
            running: installed && packages.is_running(name),
            enabled: installed && packages.is_enabled(name),
        })
    }

    /// Whether the package is installed.
    pub fn has_package(&self, name: &str) -> bool {
        self.os().is_some() && self.packages().is_installed(name)
    }
}
