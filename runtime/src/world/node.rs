//! The network side of any machine in the lab: network cards cabled to switches, the
//! interfaces the kernel shows (`ip addr`), and the routing table (`ip route`).
//!
//! Hosts, routers, and later NAS boxes and PC clients all carry a [`NetStack`]; reachability
//! ([`crate::world::World::ping`]) only looks at stacks, so a new kind of node needs no new
//! routing code.

use std::fmt;
use std::net::Ipv4Addr;

use sha2::{Digest, Sha256};

use super::net::ip::Ipv4Cidr;
use super::SwitchId;

/// A MAC address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// A stable, locally administered address derived from the machine's and the card's
    /// names, so every run of a lab sees the same MACs.
    pub fn derived(machine: &str, nic: &str) -> MacAddr {
        let digest = Sha256::digest(format!("{machine}/{nic}").as_bytes());
        let mut mac = [0x02, 0, 0, 0, 0, 0];
        mac[1..].copy_from_slice(&digest[..5]);
        MacAddr(mac)
    }

    /// Upper case, as RHEL 6's installer writes HWADDR.
    pub fn to_upper(self) -> String {
        self.to_string().to_ascii_uppercase()
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

impl serde::Serialize for MacAddr {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A network card as bought.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NicSpec {
    /// The kernel's name for it, e.g. `eth0`.
    pub name: String,
    pub model: String,
    /// Link speed in bytes per second (1 Gbit/s = 125 000 000).
    pub speed: f64,
}

/// A card's cable: the switch at its other end and the speed both ends agree on.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Link {
    #[serde(skip)]
    pub switch: SwitchId,
    pub switch_name: String,
    /// The slower of the card and the switch port, in bytes per second.
    pub rate: f64,
}

/// A network card in a machine.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Nic {
    pub name: String,
    pub model: String,
    pub speed: f64,
    pub mac: MacAddr,
    pub link: Option<Link>,
    /// Its cable pulled out (`nic.unplug()`): the link is there to plug back, but carries
    /// nothing.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unplugged: bool,
}

impl Nic {
    /// The cable, when it is plugged in.
    pub fn carrier(&self) -> Option<&Link> {
        self.link.as_ref().filter(|_| !self.unplugged)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InterfaceKind {
    Loopback,
    Ethernet,
    Bridge,
}

/// A kernel network interface.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Interface {
    pub name: String,
    pub kind: InterfaceKind,
    /// Brought up (`ip link set up`); carrier is separate, see [`NetStack::has_carrier`].
    pub admin_up: bool,
    pub addresses: Vec<Ipv4Cidr>,
    /// The bridge this interface is a port of.
    pub master: Option<String>,
}

/// A route in the main table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Route {
    pub destination: Ipv4Cidr,
    /// The gateway; `None` for an on-link route.
    pub via: Option<Ipv4Addr>,
    pub dev: String,
    /// Preferred source address (connected routes).
    pub src: Option<Ipv4Addr>,
}

impl Route {
    pub fn is_default(&self) -> bool {
        self.destination.prefix() == 0
    }
}

/// One line of `ip -br addr`, plus the bridge and the switches the interface reaches.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct InterfaceRow {
    pub name: String,
    pub kind: InterfaceKind,
    /// `UP`, `DOWN` or `UNKNOWN` (the loopback), as `ip` prints the operational state.
    pub state: String,
    pub addresses: Vec<Ipv4Cidr>,
    pub master: Option<String>,
    pub mac: Option<MacAddr>,
    pub switches: Vec<String>,
}

impl fmt::Display for InterfaceRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let addresses: Vec<String> = self.addresses.iter().map(|a| a.to_string()).collect();
        let line = format!(
            "{:<16} {:<14} {}",
            self.name,
            self.state,
            addresses.join(" ")
        );
        f.write_str(line.trim_end())
    }
}

/// One line of `ip route`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RouteRow {
    #[serde(flatten)]
    pub route: Route,
    /// The route's device has no carrier.
    pub linkdown: bool,
}

impl fmt::Display for RouteRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.route;
        if r.is_default() {
            f.write_str("default")?;
        } else {
            write!(f, "{}", r.destination)?;
        }
        if let Some(via) = r.via {
            write!(f, " via {via}")?;
        }
        write!(f, " dev {}", r.dev)?;
        match (r.via, r.src) {
            (None, Some(src)) => write!(f, " proto kernel scope link src {src}")?,
            (None, None) => f.write_str(" scope link")?,
            _ => {}
        }
        if self.linkdown {
            f.write_str(" linkdown")?;
        }
        Ok(())
    }
}

/// A machine's cards, interfaces and routes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NetStack {
    pub nics: Vec<Nic>,
    pub interfaces: Vec<Interface>,
    pub routes: Vec<Route>,
    /// Forwards packets between its interfaces (a router; hosts keep RHEL's ip_forward=0).
    pub forwarding: bool,
}

impl NetStack {
    /// A stack with the given cards, every interface down.
    pub fn new(machine: &str, nics: &[NicSpec], forwarding: bool) -> NetStack {
        let nics = nics
            .iter()
            .map(|spec| Nic {
                name: spec.name.clone(),
                model: spec.model.clone(),
                speed: spec.speed,
                mac: MacAddr::derived(machine, &spec.name),
                link: None,
                unplugged: false,
            })
            .collect();
        let mut stack = NetStack {
            nics,
            interfaces: Vec::new(),
            routes: Vec::new(),
            forwarding,
        };
        stack.reset();
        stack
    }

    /// Back to a just-booted kernel: the loopback and one interface per card, all down, no
    /// addresses, no bridges, no routes.
    pub fn reset(&mut self) {
        self.interfaces = std::iter::once(Interface {
            name: "lo".into(),
            kind: InterfaceKind::Loopback,
            admin_up: false,
            addresses: Vec::new(),
            master: None,
        })
        .chain(self.nics.iter().map(|nic| Interface {
            name: nic.name.clone(),
            kind: InterfaceKind::Ethernet,
            admin_up: false,
            addresses: Vec::new(),
            master: None,
        }))
        .collect();
        self.routes.clear();
    }

    pub fn nic(&self, name: &str) -> Option<&Nic> {
        self.nics.iter().find(|n| n.name == name)
    }

    pub fn nic_mut(&mut self, name: &str) -> Option<&mut Nic> {
        self.nics.iter_mut().find(|n| n.name == name)
    }

    pub fn interface(&self, name: &str) -> Option<&Interface> {
        self.interfaces.iter().find(|i| i.name == name)
    }

    pub fn interface_mut(&mut self, name: &str) -> Option<&mut Interface> {
        self.interfaces.iter_mut().find(|i| i.name == name)
    }

    /// Whether the interface can pass packets: up, and (for a card) cabled, (for a bridge)
    /// with at least one such port.
    pub fn has_carrier(&self, iface: &Interface) -> bool {
        match iface.kind {
            InterfaceKind::Loopback => iface.admin_up,
            _ => !self.attachments(iface).is_empty(),
        }
    }

    /// The cabled cards this interface sends through: its own card, or a bridge's up ports.
    pub fn attachments(&self, iface: &Interface) -> Vec<&Nic> {
        if !iface.admin_up {
            return Vec::new();
        }
        match iface.kind {
            InterfaceKind::Loopback => Vec::new(),
            InterfaceKind::Ethernet => self
                .nic(&iface.name)
                .filter(|n| n.carrier().is_some())
                .into_iter()
                .collect(),
            InterfaceKind::Bridge => self
                .interfaces
                .iter()
                .filter(|port| {
                    port.kind == InterfaceKind::Ethernet
                        && port.master.as_deref() == Some(iface.name.as_str())
                })
                .flat_map(|port| self.attachments(port))
                .collect(),
        }
    }

    fn state(&self, iface: &Interface) -> &'static str {
        match (iface.kind, iface.admin_up) {
            (InterfaceKind::Loopback, true) => "UNKNOWN",
            _ if self.has_carrier(iface) => "UP",
            _ => "DOWN",
        }
    }

    /// Whether a packet to `address` is delivered locally (Linux accepts any address of any
    /// up interface, and all of 127.0.0.0/8 while the loopback is up).
    pub fn owns(&self, address: Ipv4Addr) -> bool {
        self.interfaces.iter().any(|i| {
            i.admin_up
                && (i.addresses.iter().any(|a| a.addr() == address)
                    || (i.kind == InterfaceKind::Loopback && address.is_loopback()))
        })
    }

    /// The route the kernel picks for `destination`: longest prefix, first one on a tie.
    pub fn lookup(&self, destination: Ipv4Addr) -> Option<&Route> {
        self.routes
            .iter()
            .filter(|r| r.destination.contains(destination))
            .fold(None, |best: Option<&Route>, r| match best {
                Some(b) if b.destination.prefix() >= r.destination.prefix() => Some(b),
                _ => Some(r),
            })
    }

    /// The source address of packets sent by `route`.
    pub fn source_for(&self, route: &Route) -> Option<Ipv4Addr> {
        route.src.or_else(|| {
            self.interface(&route.dev)
                .and_then(|i| i.addresses.first())
                .map(|a| a.addr())
        })
    }

    /// Adds the connected route of every address on an up interface (not the loopback, whose
    /// routes live in the local table), as the kernel does when an address is added.
    pub fn add_connected_routes(&mut self) {
        let mut connected = Vec::new();
        for iface in &self.interfaces {
            if !iface.admin_up || iface.kind == InterfaceKind::Loopback {
                continue;
            }
            for address in &iface.addresses {
                let destination = address.network_cidr();
                let exists = connected
                    .iter()
                    .any(|r: &Route| r.destination == destination && r.dev == iface.name);
                if !exists {
                    connected.push(Route {
                        destination,
                        via: None,
                        dev: iface.name.clone(),
                        src: Some(address.addr()),
                    });
                }
            }
        }
        self.routes.retain(|r| r.via.is_some() || r.is_default());
        self.routes.extend(connected);
    }

    /// `ip -br addr`.
    pub fn interface_rows(&self) -> Vec<InterfaceRow> {
        self.interfaces
            .iter()
            .map(|i| InterfaceRow {
                name: i.name.clone(),
                kind: i.kind,
                state: self.state(i).into(),
                addresses: i.addresses.clone(),
                master: i.master.clone(),
                mac: self.nic(&i.name).map(|n| n.mac),
                switches: self
                    .attachments(i)
                    .iter()
                    .filter_map(|n| n.link.as_ref().map(|l| l.switch_name.clone()))
                    .collect(),
            })
            .collect()
    }

    /// `ip route`, in the kernel's order: by destination address, then prefix length.
    pub fn route_rows(&self) -> Vec<RouteRow> {
        let mut rows: Vec<RouteRow> = self
            .routes
            .iter()
            .map(|r| RouteRow {
                route: r.clone(),
                linkdown: !self.interface(&r.dev).is_some_and(|i| self.has_carrier(i)),
            })
            .collect();
        rows.sort_by_key(|r| (r.route.destination.network(), r.route.destination.prefix()));
        rows
    }
}

/// `ip -br addr` text for a set of rows.
pub fn format_ip_br_addr(rows: &[InterfaceRow]) -> String {
    rows.iter().map(|r| format!("{r}\n")).collect()
}

/// `ip route` text for a set of rows.
pub fn format_ip_route(rows: &[RouteRow]) -> String {
    rows.iter().map(|r| format!("{r}\n")).collect()
}
