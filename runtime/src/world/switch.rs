//! Network segments: switches with the network they carry and their port speed, and the
//! routers that join segments (the report's 192.168.1.1).

use super::net::ip::Ipv4Cidr;
use super::node::{Link, NetStack, NicSpec};
use super::SwitchId;
use crate::error::{Error, Result};

/// A switch as a lab declares it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SwitchSpec {
    pub name: String,
    /// The network the segment carries, e.g. 192.168.1.0/24 (host bits zero).
    pub cidr: Ipv4Cidr,
    /// Port speed in bytes per second.
    pub speed: f64,
}

/// A network segment: every card cabled to it shares one broadcast domain.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Switch {
    pub name: String,
    pub cidr: Ipv4Cidr,
    pub speed: f64,
    /// Loss and delay on every frame it carries (`net.degrade(..)`, as `tc qdisc .. netem`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impairment: Option<Impairment>,
}

/// A degraded segment: a share of the frames lost, and a delay added to each one way.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Impairment {
    /// The share of frames lost, 0 to 1.
    pub loss: f64,
    /// Seconds added to every frame, in each direction.
    pub delay_s: f64,
}

/// TCP's maximum segment on Ethernet with timestamps: 1500 − 20 (IP) − 32 (TCP).
const MSS: f64 = 1448.0;
/// A round trip on the lab's switches without impairment, as `ping` measures it.
const LAN_RTT_S: f64 = 0.000_15;
/// The window one flow can keep in flight: RHEL 6's `tcp_rmem` maximum of 4 MiB, of which
/// `tcp_adv_win_scale = 2` advertises three quarters.
const RECEIVE_WINDOW: f64 = 3.0 * 1024.0 * 1024.0;

impl Impairment {
    /// The round trip a flow across the segment sees.
    pub fn rtt_s(&self) -> f64 {
        LAN_RTT_S + 2.0 * self.delay_s
    }

    /// The rate one TCP flow sustains across the segment: its window over the round trip,
    /// and with loss at most Mathis et al.'s MSS / RTT × √(3/2) / √loss (1997).
    pub fn tcp_rate(&self) -> f64 {
        let rtt = self.rtt_s();
        let window_limit = RECEIVE_WINDOW / rtt;
        if self.loss >= 1.0 {
            return 0.0;
        }
        if self.loss <= 0.0 {
            return window_limit;
        }
        let loss_limit = MSS / rtt * (1.5f64).sqrt() / self.loss.sqrt();
        window_limit.min(loss_limit)
    }
}

impl Switch {
    pub fn new(spec: SwitchSpec) -> Result<Switch> {
        check_name(&spec.name, "switch spec")?;
        spec.cidr.check_network()?;
        check_speed(spec.speed, "switch spec")?;
        Ok(Switch {
            name: spec.name,
            cidr: spec.cidr,
            speed: spec.speed,
            impairment: None,
        })
    }

    /// The link a card of `nic_speed` gets on this switch.
    pub fn link(&self, id: SwitchId, nic_speed: f64) -> Link {
        Link {
            switch: id,
            switch_name: self.name.clone(),
            rate: nic_speed.min(self.speed),
        }
    }
}

/// A router port: the switch it is cabled to and its address there.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RouterPort {
    #[serde(skip)]
    pub switch: SwitchId,
    pub address: Ipv4Cidr,
}

/// A router: one port per segment, each with an address, forwarding between them. Its
/// interfaces are `port0`, `port1`, … in the order given.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Router {
    pub name: String,
    pub net: NetStack,
}

impl Router {
    /// A router whose ports are already cabled (`switches[i]` is port i's switch).
    pub fn new(name: &str, ports: &[RouterPort], switches: &[&Switch]) -> Result<Router> {
        check_name(name, "router spec")?;
        check_ports(name, ports, switches)?;
        let specs: Vec<NicSpec> = switches
            .iter()
            .enumerate()
            .map(|(i, sw)| NicSpec {
                name: format!("port{i}"),
                model: "router port".into(),
                speed: sw.speed,
            })
            .collect();
        let mut net = NetStack::new(name, &specs, true);
        for ((port, switch), (nic, iface)) in ports
            .iter()
            .zip(switches)
            .zip(net.nics.iter_mut().zip(net.interfaces.iter_mut().skip(1)))
        {
            nic.link = Some(switch.link(port.switch, nic.speed));
            iface.admin_up = true;
            iface.addresses = vec![port.address];
        }
        if let Some(lo) = net.interface_mut("lo") {
            lo.admin_up = true;
        }
        net.add_connected_routes();
        Ok(Router {
            name: name.into(),
            net,
        })
    }
}

/// Refuses what a router's configuration refuses: a port whose address does not fit the
/// network it is cabled to (outside it, another prefix, its network or broadcast address),
/// and two ports on one network (IOS: "% 192.168.1.0 overlaps with port0").
fn check_ports(router: &str, ports: &[RouterPort], switches: &[&Switch]) -> Result<()> {
    for (i, (port, switch)) in ports.iter().zip(switches).enumerate() {
        let network = switch.cidr;
        let (first, last) = network.host_range();
        let inside = format!(
            "an address from {first} to {last} with /{}",
            network.prefix()
        );
        let reason = if !network.contains(port.address.addr()) {
            Some(format!(
                "give port{i} {inside}, or cable it to the switch of {}",
                port.address.network_cidr()
            ))
        } else if port.address.prefix() != network.prefix() {
            Some(format!(
                "write its address with {}'s prefix: {}/{}",
                switch.name,
                port.address.addr(),
                network.prefix()
            ))
        } else {
            port.address.reserved_role().map(|role| {
                format!(
                    "{} is the {role} address of {network}: give port{i} {inside}",
                    port.address.addr()
                )
            })
        };
        if let Some(help) = reason {
            return Err(Error::RouterPortOffNetwork {
                router: router.into(),
                port: format!("port{i}"),
                address: port.address,
                switch: switch.name.clone(),
                network,
                help,
            });
        }
        let earlier = ports[..i].iter().position(|p| {
            p.address
                .network_cidr()
                .overlaps(&port.address.network_cidr())
        });
        if let Some(j) = earlier {
            let help = if ports[j].switch == port.switch {
                format!("both ports are cabled to {}: keep one port there and cable port{i} to another network's switch", switch.name)
            } else {
                format!(
                    "{} and {} have overlapping networks: give each switch its own network",
                    switches[j].name, switch.name
                )
            };
            return Err(Error::RouterPortsOverlap {
                router: router.into(),
                first: format!("port{j}"),
                second: format!("port{i}"),
                network: format!("{} ({network})", switch.name),
                help,
            });
        }
    }
    Ok(())
}

/// Names show in reports and tables: letters, digits, `-`, `_` and `.`.
pub(crate) fn check_name(name: &str, what: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(Error::BadValue {
            key: "name".into(),
            what: what.into(),
            reason: format!("`{name}` is not a usable name"),
            help: "use 1 to 63 letters, digits, `-`, `_` or `.`, e.g. \"sv1\" or \"net1\"".into(),
        })
    }
}

/// Speeds are positive bytes per second.
pub(crate) fn check_speed(speed: f64, what: &str) -> Result<()> {
    if speed.is_finite() && speed > 0.0 {
        Ok(())
    } else {
        Err(Error::BadValue {
            key: "speed".into(),
            what: what.into(),
            reason: format!("{speed} bytes/s is not a link speed"),
            help: "give a positive rate, e.g. \"1Gbit/s\" or \"100Mbit/s\"".into(),
        })
    }
}
