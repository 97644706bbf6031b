//! The lab's world model: hosts, switches, storage, guests, in the vocabulary every backend
//! shares. Nothing here knows about Rhai; the script layer binds to it.
//!
//! [`World`] owns every entity in `Vec`s, addressed by typed ids ([`HostId`], [`SwitchId`],
//! [`RouterId`]) in creation order, so iteration and reports are deterministic. Anything with
//! network cards is a node ([`NodeId`]) carrying a [`node::NetStack`]; cabling, address
//! checks and reachability ([`reach`]) work on nodes.
//!
//! Storage: the NAS ([`nas`]) serves iSCSI targets whose LUN contents it keeps; hosts log in
//! ([`initiator`]), partition, format and mount what they see ([`volumes`]), run services
//! and reboot ([`services`]), and give libvirt storage pools ([`pool`]).

pub mod advice;
pub mod content;
pub mod damage;
pub mod domain_xml;
pub mod faults;
pub mod guest;
pub mod guest_life;
pub mod host;
pub mod initiator;
pub mod inspect;
pub mod iscsi_paths;
pub mod nas;
pub mod nas_disks;
pub mod net;
pub mod node;
pub mod pool;
pub mod preflight;
pub mod reach;
pub mod services;
pub mod storage;
pub mod switch;
pub mod volumes;

use std::net::Ipv4Addr;

use self::host::hardware::HostSpec;
use self::host::network::SegmentView;
use self::host::{Host, Resolution};
use self::nas::{Nas, NasId};
use self::net::Finding;
use self::node::NetStack;
use self::reach::PingReport;
use self::switch::{Router, RouterPort, Switch, SwitchSpec};
use crate::error::{Error, Result};

/// The most entities of each kind one lab holds. A lab has a handful of each; the limits
/// stop a loop that makes them long before it eats the machine's memory or time, and every
/// entity made is charged to the script ([`crate::meter::entity`]).
pub mod capacity {
    pub const HOSTS: usize = 256;
    pub const SWITCHES: usize = 256;
    pub const ROUTERS: usize = 256;
    pub const NASES: usize = 64;
    pub const GUESTS: usize = 1024;
    pub const CLIENTS: usize = 1024;
    /// Downloads started over the whole run.
    pub const DOWNLOADS: usize = 4096;
    /// Files one guest serves.
    pub const GUEST_FILES: usize = 1024;
    /// iSCSI targets, LUNs (over all targets) and NFS shares of one NAS.
    pub const NAS_TARGETS: usize = 256;
    pub const NAS_LUNS: usize = 1024;
    pub const NAS_SHARES: usize = 256;
    /// libvirt pools defined on one host.
    pub const POOLS: usize = 256;
    /// Faults waiting for their time.
    pub const FAULTS: usize = 4096;

    /// Refuses one more of `what` when `count` already reach `limit`; charges the new one.
    pub fn room(what: &str, count: usize, limit: usize) -> crate::Result<()> {
        if count >= limit {
            return Err(crate::Error::TooMany {
                what: what.into(),
                limit,
            });
        }
        crate::meter::entity();
        Ok(())
    }
}

/// A host of this world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct HostId(usize);

/// A switch of this world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct SwitchId(usize);

/// A router of this world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct RouterId(usize);

/// Anything with network cards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum NodeId {
    Host(HostId),
    Router(RouterId),
    Nas(NasId),
}

impl From<HostId> for NodeId {
    fn from(id: HostId) -> NodeId {
        NodeId::Host(id)
    }
}

impl From<RouterId> for NodeId {
    fn from(id: RouterId) -> NodeId {
        NodeId::Router(id)
    }
}

/// Everything in the lab. Ids index into it; an id from another world is a programming error
/// and panics.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct World {
    hosts: Vec<Host>,
    switches: Vec<Switch>,
    routers: Vec<Router>,
    nases: Vec<Nas>,
    guests: Vec<guest::Guest>,
    clients: Vec<guest::Client>,
    #[serde(skip)]
    blobs: std::collections::BTreeMap<(HostId, String), crate::world::content::Contents>,
    /// How many file contents the world has made (their ids).
    contents_made: u64,
}

impl World {
    pub fn new() -> World {
        World::default()
    }

    fn check_unique(&self, kind: &str, name: &str) -> Result<()> {
        let taken = self.hosts.iter().any(|h| h.name() == name)
            || self.switches.iter().any(|s| s.name == name)
            || self.routers.iter().any(|r| r.name == name)
            || self.nases.iter().any(|n| n.name() == name);
        if taken {
            return Err(Error::DuplicateName {
                kind: kind.into(),
                name: name.into(),
                help: "names identify hosts, switches and routers in reports: give each its own"
                    .into(),
            });
        }
        Ok(())
    }

    pub fn add_host(&mut self, name: &str, spec: HostSpec) -> Result<HostId> {
        self.check_unique("host", name)?;
        capacity::room("hosts", self.hosts.len(), capacity::HOSTS)?;
        self.hosts.push(Host::new(name, spec)?);
        Ok(HostId(self.hosts.len() - 1))
    }

    pub fn add_switch(&mut self, spec: SwitchSpec) -> Result<SwitchId> {
        self.check_unique("switch", &spec.name)?;
        capacity::room("switches", self.switches.len(), capacity::SWITCHES)?;
        self.switches.push(Switch::new(spec)?);
        Ok(SwitchId(self.switches.len() - 1))
    }

    /// A router with one port per entry, cabled and addressed, forwarding between them.
    pub fn add_router(&mut self, name: &str, ports: &[RouterPort]) -> Result<RouterId> {
        self.check_unique("router", name)?;
        capacity::room("routers", self.routers.len(), capacity::ROUTERS)?;
        let switches: Vec<&Switch> = ports.iter().map(|p| &self.switches[p.switch.0]).collect();
        let router = Router::new(name, ports, &switches)?;
        self.routers.push(router);
        Ok(RouterId(self.routers.len() - 1))
    }

    pub fn host(&self, id: HostId) -> &Host {
        &self.hosts[id.0]
    }

    pub fn host_mut(&mut self, id: HostId) -> &mut Host {
        &mut self.hosts[id.0]
    }

    pub fn switch(&self, id: SwitchId) -> &Switch {
        &self.switches[id.0]
    }

    pub fn router(&self, id: RouterId) -> &Router {
        &self.routers[id.0]
    }

    pub fn switch_id(&self, name: &str) -> Option<SwitchId> {
        self.switches
            .iter()
            .position(|s| s.name == name)
            .map(SwitchId)
    }

    pub fn hosts(&self) -> impl Iterator<Item = (HostId, &Host)> {
        self.hosts.iter().enumerate().map(|(i, h)| (HostId(i), h))
    }

    pub fn switches(&self) -> impl Iterator<Item = (SwitchId, &Switch)> {
        self.switches
            .iter()
            .enumerate()
            .map(|(i, s)| (SwitchId(i), s))
    }

    pub fn routers(&self) -> impl Iterator<Item = (RouterId, &Router)> {
        self.routers
            .iter()
            .enumerate()
            .map(|(i, r)| (RouterId(i), r))
    }

    /// Every node, hosts first, then routers, then NAS boxes, each kind in creation order.
    pub fn nodes(&self) -> Vec<NodeId> {
        let hosts = (0..self.hosts.len()).map(|i| NodeId::Host(HostId(i)));
        let routers = (0..self.routers.len()).map(|i| NodeId::Router(RouterId(i)));
        let nases = (0..self.nases.len()).map(|i| NodeId::Nas(NasId(i)));
        hosts.chain(routers).chain(nases).collect()
    }

    pub fn node_name(&self, node: NodeId) -> &str {
        match node {
            NodeId::Host(id) => self.host(id).name(),
            NodeId::Router(id) => &self.router(id).name,
            NodeId::Nas(id) => self.nas(id).name(),
        }
    }

    pub fn stack(&self, node: NodeId) -> &NetStack {
        match node {
            NodeId::Host(id) => self.host(id).net(),
            NodeId::Router(id) => &self.router(id).net,
            NodeId::Nas(id) => self.nas(id).net(),
        }
    }

    fn stack_mut(&mut self, node: NodeId) -> &mut NetStack {
        match node {
            NodeId::Host(id) => self.hosts[id.0].net_mut(),
            NodeId::Router(id) => &mut self.routers[id.0].net,
            NodeId::Nas(id) => self.nases[id.0].net_mut(),
        }
    }

    /// Plugs a card's cable into a switch (moving it if it was plugged elsewhere).
    pub fn connect(&mut self, node: impl Into<NodeId>, nic: &str, switch: SwitchId) -> Result<()> {
        let node = node.into();
        let speed = self.nic_speed(node, nic)?;
        let link = self.switches[switch.0].link(switch, speed);
        if let Some(card) = self.stack_mut(node).nic_mut(nic) {
            card.link = Some(link);
            card.unplugged = false;
        }
        Ok(())
    }

    /// Unplugs a card's cable.
    pub fn disconnect(&mut self, node: impl Into<NodeId>, nic: &str) -> Result<()> {
        let node = node.into();
        self.nic_speed(node, nic)?;
        if let Some(card) = self.stack_mut(node).nic_mut(nic) {
            card.link = None;
            card.unplugged = false;
        }
        Ok(())
    }

    fn nic_speed(&self, node: NodeId, nic: &str) -> Result<f64> {
        let stack = self.stack(node);
        stack.nic(nic).map(|n| n.speed).ok_or_else(|| {
            let names: Vec<&str> = stack.nics.iter().map(|n| n.name.as_str()).collect();
            Error::UnknownNic {
                host: self.node_name(node).into(),
                nic: nic.into(),
                help: crate::suggest::help_for(nic, "its cards", &names),
            }
        })
    }

    /// `service network restart` on a host, with the checks `ifup` makes on the wire
    /// (duplicate addresses, addresses outside the switch's network).
    pub fn restart_network(&mut self, host: HostId) -> Result<Vec<Finding>> {
        let view = self.segment_view(NodeId::Host(host));
        self.hosts[host.0].restart_network(&view)
    }

    /// `ifup CONFIG` on a host, with the same checks on the wire as a network restart.
    pub fn ifup(&mut self, host: HostId, config: &str) -> Result<Vec<Finding>> {
        let view = self.segment_view(NodeId::Host(host));
        self.hosts[host.0].ifup(&view, config)
    }

    /// `ifdown CONFIG` on a host.
    pub fn ifdown(&mut self, host: HostId, config: &str) -> Result<()> {
        self.hosts[host.0].ifdown(config)
    }

    /// The switches, and the addresses every node but `except` answers for on them.
    fn segment_view(&self, except: NodeId) -> SegmentView {
        let switches = self
            .switches()
            .map(|(id, s)| (id, s.name.clone(), s.cidr))
            .collect();
        let mut claims = Vec::new();
        for node in self.nodes().into_iter().filter(|n| *n != except) {
            let stack = self.stack(node);
            for iface in &stack.interfaces {
                for nic in stack.attachments(iface) {
                    let Some(link) = &nic.link else { continue };
                    for address in &iface.addresses {
                        let owner = format!("{} {}", self.node_name(node), iface.name);
                        claims.push((link.switch, *address, owner));
                    }
                }
            }
        }
        SegmentView { switches, claims }
    }

    /// Resolves a name on a host (see [`Host::resolve`]).
    pub fn resolve(&self, host: HostId, name: &str) -> Result<Resolution> {
        self.host(host).resolve(name)
    }

    /// `ping TARGET` from a host, by name or address (see [`reach`]).
    pub fn ping(&self, host: HostId, target: &str) -> PingReport {
        reach::ping(self, NodeId::Host(host), target)
    }

    /// `ping TARGET` from any node; only hosts resolve names (the others have no
    /// /etc/hosts in the lab).
    pub fn ping_from(&self, node: impl Into<NodeId>, target: &str) -> PingReport {
        reach::ping(self, node.into(), target)
    }

    /// The node that answers for `address` on `switch`, and its interface.
    pub(crate) fn neighbor(
        &self,
        switch: SwitchId,
        address: Ipv4Addr,
    ) -> Option<(NodeId, String, f64)> {
        for node in self.nodes() {
            let stack = self.stack(node);
            for iface in &stack.interfaces {
                if !iface.addresses.iter().any(|a| a.addr() == address) {
                    continue;
                }
                let on_switch = stack.attachments(iface).into_iter().find_map(|n| {
                    n.link
                        .as_ref()
                        .filter(|l| l.switch == switch)
                        .map(|l| l.rate)
                });
                if let Some(rate) = on_switch {
                    return Some((node, iface.name.clone(), rate));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod storage_tests;
#[cfg(test)]
mod tests;
