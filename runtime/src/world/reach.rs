//! `ping`: name resolution, then the packet's walk through routing tables and switches, and
//! the reply's walk back.
//!
//! At each node the kernel's route lookup picks the outgoing interface and the next hop (the
//! destination itself on a connected route, else the gateway). The interface must have
//! carrier; the next hop must be an address some node has on an interface cabled to the same
//! switch (ARP). A node that does not own the destination forwards only if it is a router
//! (hosts keep ip_forward=0). The reply makes the same walk from the target back to the
//! request's source address.
//!
//! The round-trip time is deterministic: for each hop, the frame's serialization on the
//! sender's and the receiver's link plus a switch and a receiving-host latency, summed over
//! request and reply.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use super::net::serialize_optional_diagnostic;
use super::node::{InterfaceKind, NetStack};
use super::{NodeId, World};
use crate::error::Error;

/// A default `ping` frame on the wire: 56 data + 8 ICMP + 20 IP + 14 Ethernet + 4 FCS bytes,
/// plus 8 preamble and 12 inter-frame gap.
const FRAME_BYTES: f64 = 122.0;
/// Store-and-forward switching latency.
const SWITCH_NS: u64 = 5_000;
/// Interrupt, stack and ICMP handling in the receiving machine.
const RECEIVE_NS: u64 = 50_000;
/// A ping to one of the host's own addresses.
const LOCAL_RTT_NS: u64 = 20_000;
/// The IP TTL of a ping.
const HOP_LIMIT: usize = 64;

/// One frame's trip across a switch.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hop {
    pub from: String,
    pub from_interface: String,
    pub switch: String,
    pub to: String,
    pub to_interface: String,
    /// The address the frame was sent to (ARP target): the destination or a gateway.
    pub next_hop: Ipv4Addr,
    pub time_ns: u64,
}

impl fmt::Display for Hop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} → {} → {} {}",
            self.from, self.from_interface, self.switch, self.to, self.to_interface
        )
    }
}

/// What `ping` found.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PingReport {
    /// The pinging host.
    pub source: String,
    /// The target as given.
    pub target: String,
    /// The target's address, once resolved.
    pub address: Option<Ipv4Addr>,
    /// The request's source address.
    pub source_address: Option<Ipv4Addr>,
    pub reachable: bool,
    pub path: Vec<Hop>,
    pub reply_path: Vec<Hop>,
    pub rtt_ns: Option<u64>,
    /// Why the target is not reachable.
    #[serde(serialize_with = "serialize_optional_diagnostic")]
    pub failure: Option<Error>,
}

impl PingReport {
    pub fn rtt_ms(&self) -> Option<f64> {
        self.rtt_ns.map(|ns| ns as f64 / 1e6)
    }
}

impl fmt::Display for PingReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let address = self.address.map(|a| format!(" ({a})")).unwrap_or_default();
        match (&self.failure, self.rtt_ns) {
            (None, Some(ns)) => {
                write!(
                    f,
                    "{} → {}{address}: reply in {:.3} ms",
                    self.source,
                    self.target,
                    ns as f64 / 1e6
                )?;
                let hops: Vec<String> = self.path.iter().map(|h| h.to_string()).collect();
                if !hops.is_empty() {
                    write!(f, " via {}", hops.join(", "))?;
                }
                Ok(())
            }
            (Some(e), _) => write!(
                f,
                "{} → {}{address}: unreachable: {e}",
                self.source, self.target
            ),
            (None, None) => write!(f, "{} → {}{address}: unreachable", self.source, self.target),
        }
    }
}

/// Why a walk stopped.
enum Stop {
    NoRoute {
        at: NodeId,
    },
    NoCarrier {
        at: NodeId,
        dev: String,
    },
    NoNeighbor {
        at: NodeId,
        dev: String,
        next_hop: Ipv4Addr,
        gateway: bool,
        switches: Vec<String>,
    },
    NotForwarding {
        at: NodeId,
    },
    HopLimit,
}

pub(crate) fn ping(world: &World, start: NodeId, target: &str) -> PingReport {
    let source = world.node_name(start).to_string();
    let mut report = PingReport {
        source: source.clone(),
        target: target.into(),
        address: None,
        source_address: None,
        reachable: false,
        path: Vec::new(),
        reply_path: Vec::new(),
        rtt_ns: None,
        failure: None,
    };
    let resolved = match (Ipv4Addr::from_str(target), start) {
        (Ok(a), _) => Ok(a),
        (Err(_), NodeId::Host(host)) => world.resolve(host, target).map(|r| r.address),
        (Err(_), _) => Err(Error::Unresolved {
            host: source.clone(),
            name: target.into(),
            reason: "only hosts resolve names in the lab".into(),
            help: "give the address itself".into(),
        }),
    };
    let address = match resolved {
        Ok(a) => a,
        Err(e) => {
            report.failure = Some(e);
            return report;
        }
    };
    report.address = Some(address);
    let stack = world.stack(start);
    if stack.owns(address) {
        report.source_address = Some(address);
        report.reachable = true;
        report.rtt_ns = Some(LOCAL_RTT_NS);
        return report;
    }
    let source_address = stack.lookup(address).and_then(|r| stack.source_for(r));
    report.source_address = source_address;
    let (path, arrived) = walk(world, start, address);
    report.path = path;
    let end = match arrived {
        Ok(end) => end,
        Err(stop) => {
            report.failure = Some(forward_failure(world, start, &source, address, stop));
            return report;
        }
    };
    let Some(source_address) = source_address else {
        return report;
    };
    let (reply_path, returned) = walk(world, end, source_address);
    report.reply_path = reply_path;
    match returned {
        Ok(_) => {
            let hops = report.path.iter().chain(&report.reply_path);
            report.rtt_ns = Some(hops.map(|h| h.time_ns).sum());
            report.reachable = true;
        }
        Err(stop) => {
            let target_name = world.node_name(end).to_string();
            let reason = format!(
                "{target_name} cannot send the reply back to {source_address}: {}",
                describe(world, &stop, source_address)
            );
            report.failure = Some(Error::NoReply {
                host: source,
                address: address.to_string(),
                reason,
                help: format!("check {target_name}'s addresses and routes (`interfaces()`, `routes()`): it needs a route back to {source_address}"),
            });
        }
    }
    report
}

/// Walks a packet from `start` towards whichever node owns `destination`: the hops made,
/// and the node it arrived at or why it stopped.
fn walk(world: &World, start: NodeId, destination: Ipv4Addr) -> (Vec<Hop>, Result<NodeId, Stop>) {
    let mut hops = Vec::new();
    let arrived = walk_into(world, start, destination, &mut hops);
    (hops, arrived)
}

fn walk_into(
    world: &World,
    start: NodeId,
    destination: Ipv4Addr,
    hops: &mut Vec<Hop>,
) -> Result<NodeId, Stop> {
    let mut at = start;
    for _ in 0..HOP_LIMIT {
        let stack = world.stack(at);
        if stack.owns(destination) {
            return Ok(at);
        }
        if at != start && !stack.forwarding {
            return Err(Stop::NotForwarding { at });
        }
        let route = stack.lookup(destination).ok_or(Stop::NoRoute { at })?;
        let next_hop = route.via.unwrap_or(destination);
        let Some(iface) = stack.interface(&route.dev) else {
            return Err(Stop::NoRoute { at });
        };
        let cards = stack.attachments(iface);
        if cards.is_empty() {
            return Err(Stop::NoCarrier {
                at,
                dev: route.dev.clone(),
            });
        }
        let found = cards.iter().find_map(|card| {
            let link = card.link.as_ref()?;
            let (node, to_interface, rate) = world.neighbor(link.switch, next_hop)?;
            Some((link, node, to_interface, rate))
        });
        let Some((link, next, to_interface, rate)) = found else {
            return Err(Stop::NoNeighbor {
                at,
                dev: route.dev.clone(),
                next_hop,
                gateway: route.via.is_some(),
                switches: cards
                    .iter()
                    .filter_map(|c| c.link.as_ref().map(|l| l.switch_name.clone()))
                    .collect(),
            });
        };
        hops.push(Hop {
            from: world.node_name(at).into(),
            from_interface: route.dev.clone(),
            switch: link.switch_name.clone(),
            to: world.node_name(next).into(),
            to_interface,
            next_hop,
            time_ns: serialization_ns(link.rate)
                + SWITCH_NS
                + serialization_ns(rate)
                + RECEIVE_NS
                + world
                    .switch(link.switch)
                    .impairment
                    .map_or(0, |i| (i.delay_s * 1e9).round() as u64),
        });
        at = next;
    }
    Err(Stop::HopLimit)
}

fn serialization_ns(rate: f64) -> u64 {
    (FRAME_BYTES * 1e9 / rate).round() as u64
}

/// A bridge whose ports are all uncabled needs a cable, not another port: which card, and
/// the switch of the bridge's network when one carries it.
fn uncabled_port_help(world: &World, at: NodeId, bridge: &str) -> Option<String> {
    let stack = world.stack(at);
    let port = stack
        .interfaces
        .iter()
        .find(|p| p.master.as_deref() == Some(bridge))?;
    let node = world.node_name(at);
    let network = stack.interface(bridge)?.addresses.first().and_then(|a| {
        world
            .switches()
            .find(|(_, s)| s.cidr.contains(a.addr()))
            .map(|(_, s)| s.name.clone())
    });
    Some(match network {
        Some(switch) => format!(
            "{bridge}'s port {} is not cabled: connect it to {switch}, the switch of {bridge}'s network (`{node}.nic(\"{}\").connect(...)`)",
            port.name, port.name
        ),
        None => format!(
            "{bridge}'s port {} is not cabled: connect it to the switch of {bridge}'s network (`{node}.nic(\"{}\").connect(...)`)",
            port.name, port.name
        ),
    })
}

/// A bridge without ports while a card is the port of another bridge: a `BRIDGE=` line
/// that names the wrong one (ifup creates any bridge a card names).
fn other_bridge_help(stack: &NetStack, bridge: &str) -> Option<String> {
    let (port, other) = stack.interfaces.iter().find_map(|i| {
        let other = i.master.as_deref()?;
        (other != bridge).then_some((i.name.as_str(), other))
    })?;
    Some(format!(
        "{port} is a port of {other}, not of {bridge} (BRIDGE={other} in ifcfg-{port}; ifup made {other} for it): write BRIDGE={bridge} there, then restart the network"
    ))
}

fn carrier_reason(stack: &NetStack, dev: &str) -> String {
    match stack.interface(dev) {
        Some(i) if i.kind == InterfaceKind::Bridge => {
            let ports: Vec<&str> = stack
                .interfaces
                .iter()
                .filter(|p| p.master.as_deref() == Some(dev))
                .map(|p| p.name.as_str())
                .collect();
            if ports.is_empty() {
                format!("bridge {dev} has no port (no up interface has BRIDGE={dev})")
            } else {
                format!(
                    "bridge {dev} has no cabled port ({} not connected to a switch)",
                    ports.join(", ")
                )
            }
        }
        _ if is_unplugged(stack, dev) => format!("{dev} has no carrier: its cable is pulled out"),
        _ => format!("{dev} has no carrier: its card is not connected to a switch"),
    }
}

/// Whether `dev` is a card whose cable a fault pulled out.
fn is_unplugged(stack: &NetStack, dev: &str) -> bool {
    stack.nic(dev).is_some_and(|n| n.unplugged)
}

fn describe(world: &World, stop: &Stop, destination: Ipv4Addr) -> String {
    match stop {
        Stop::NoRoute { at } => format!("{} has no route to {destination}", world.node_name(*at)),
        Stop::NoCarrier { at, dev } => format!(
            "on {}, {}",
            world.node_name(*at),
            carrier_reason(world.stack(*at), dev)
        ),
        Stop::NoNeighbor {
            at,
            dev,
            next_hop,
            gateway,
            switches,
        } => {
            let what = if *gateway { "the gateway " } else { "" };
            format!(
                "{} sends to {what}{next_hop} out of {dev}, but nothing on {} answers for it",
                world.node_name(*at),
                switches.join(", ")
            )
        }
        Stop::NotForwarding { at } => format!(
            "{} received the packet but does not forward (ip_forward=0)",
            world.node_name(*at)
        ),
        Stop::HopLimit => format!("the packet looped for {HOP_LIMIT} hops"),
    }
}

/// The failure, with the advice to apply the network files written since the last restart
/// first when the pinging host has such files.
fn forward_failure(
    world: &World,
    start: NodeId,
    source: &str,
    address: Ipv4Addr,
    stop: Stop,
) -> Error {
    let unapplied = match start {
        NodeId::Host(host) => world.unapplied_network_advice(host),
        _ => None,
    };
    let mut error = walk_failure(world, source, address, stop);
    if let Some(advice) = unapplied {
        if let Error::NetworkUnreachable { help, .. }
        | Error::HostUnreachable { help, .. }
        | Error::NoReply { help, .. } = &mut error
        {
            *help = format!("{advice}; otherwise {help}");
        }
    }
    error
}

fn walk_failure(world: &World, source: &str, address: Ipv4Addr, stop: Stop) -> Error {
    let host = source.to_string();
    let target = address.to_string();
    match &stop {
        Stop::NoRoute { at } if world.node_name(*at) == source => {
            let stack = world.stack(*at);
            let known: Vec<String> = stack.routes.iter().map(|r| format!("{} ({})", if r.is_default() { "default".to_string() } else { r.destination.to_string() }, r.dev)).collect();
            let help = if known.is_empty() {
                format!("{source} has no address: configure IPADDR and NETMASK in an ifcfg file and restart the network")
            } else {
                format!("{source} has routes to {} only: give it an address on {target}'s network, or a GATEWAY on one of its networks", known.join(", "))
            };
            Error::NetworkUnreachable { host, address: target, help }
        }
        Stop::NoCarrier { at, dev } => Error::HostUnreachable {
            host,
            address: target,
            reason: describe(world, &stop, address),
            help: if world.stack(*at).interface(dev).is_some_and(|i| i.kind == InterfaceKind::Bridge) {
                uncabled_port_help(world, *at, dev)
                    .or_else(|| other_bridge_help(world.stack(*at), dev))
                    .unwrap_or_else(|| {
                        format!("make a cabled card a port of {dev} (BRIDGE={dev} in its ifcfg file), then restart the network")
                    })
            } else if is_unplugged(world.stack(*at), dev) {
                format!("plug {dev}'s cable back in (`{}.nic(\"{dev}\").plug()`)", world.node_name(*at))
            } else {
                format!("connect {dev}'s card to the switch of its network")
            },
        },
        Stop::NoNeighbor { gateway: true, next_hop, switches, .. } => {
            let routers = routers_on(world, switches);
            let help = match routers.first() {
                Some((router, first)) => format!(
                    "{next_hop} is no router's address on {}; the router there is {router} at {}: set GATEWAY={first}",
                    switches.join(", "),
                    routers.iter().map(|(_, a)| a.to_string()).collect::<Vec<_>>().join(", ")
                ),
                None => format!("no router in the lab has {next_hop}: add one, or fix GATEWAY"),
            };
            Error::HostUnreachable {
                host,
                address: target,
                reason: describe(world, &stop, address),
                help,
            }
        }
        Stop::NoNeighbor { next_hop, switches, .. } => Error::HostUnreachable {
            host,
            address: target,
            reason: describe(world, &stop, address),
            help: match owner_of(world, *next_hop) {
                Some((node, iface, _)) if pulled_card(world, &node, &iface).is_some() => format!(
                    "{next_hop} is {node}'s {iface}, whose cable is pulled out: plug it back in (`{node}.nic(\"{}\").plug()`)",
                    pulled_card(world, &node, &iface).unwrap_or_default()
                ),
                Some((node, iface, cabled)) if cabled.is_empty() => format!(
                    "{next_hop} is {node}'s {iface}, which is down or has no cabled card: connect {node}'s card to {} and restart {node}'s network",
                    switches.join(", ")
                ),
                Some((node, iface, cabled)) => format!(
                    "{next_hop} is {node}'s {iface}, cabled to {}, not to {}: cable it to the same switch, or ping the address {node} has there",
                    cabled.join(", "),
                    switches.join(", ")
                ),
                None => world.unapplied_address_advice(*next_hop).unwrap_or_else(|| {
                    format!("no machine in the lab has {next_hop}: check the address (the target's `interfaces()` lists its own)")
                }),
            },
        },
        Stop::NoRoute { .. } | Stop::NotForwarding { .. } | Stop::HopLimit => Error::NoReply {
            host,
            address: target,
            reason: describe(world, &stop, address),
            help: "the packet left the host but got lost on the way: check the routers' networks".into(),
        },
    }
}

/// The node and interface that have `address`, and the switches that interface reaches.
fn owner_of(world: &World, address: Ipv4Addr) -> Option<(String, String, Vec<String>)> {
    world.nodes().into_iter().find_map(|node| {
        let stack = world.stack(node);
        let iface = stack
            .interfaces
            .iter()
            .find(|i| i.addresses.iter().any(|a| a.addr() == address))?;
        let switches = stack
            .attachments(iface)
            .iter()
            .filter_map(|n| n.link.as_ref().map(|l| l.switch_name.clone()))
            .collect();
        Some((
            world.node_name(node).to_string(),
            iface.name.clone(),
            switches,
        ))
    })
}

/// The card under `node`'s interface `iface` (itself, or a port of the bridge) whose cable a
/// fault pulled out.
fn pulled_card(world: &World, node: &str, iface: &str) -> Option<String> {
    let at = world
        .nodes()
        .into_iter()
        .find(|n| world.node_name(*n) == node)?;
    let stack = world.stack(at);
    stack
        .interfaces
        .iter()
        .filter(|i| i.name == iface || i.master.as_deref() == Some(iface))
        .find(|i| is_unplugged(stack, &i.name))
        .map(|i| i.name.clone())
}

/// The forwarding nodes cabled to one of `switches`, with their addresses on them.
fn routers_on(world: &World, switches: &[String]) -> Vec<(String, Ipv4Addr)> {
    let mut found = Vec::new();
    for node in world.nodes() {
        let stack = world.stack(node);
        if !stack.forwarding {
            continue;
        }
        for iface in &stack.interfaces {
            let on_switch = stack.attachments(iface).iter().any(|n| {
                n.link
                    .as_ref()
                    .is_some_and(|l| switches.contains(&l.switch_name))
            });
            if on_switch {
                for a in &iface.addresses {
                    found.push((world.node_name(node).to_string(), a.addr()));
                }
            }
        }
    }
    found
}
