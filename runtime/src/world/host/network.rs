//! `service network restart` on a RHEL 6 host: initscripts applied to the kernel's
//! interfaces and routes.
//!
//! The order is the `network` service's: everything is taken down; nothing comes up if
//! /etc/sysconfig/network is missing or says NETWORKING=no; the loopback comes up; then every
//! ifcfg file (backups and aliases skipped) in the service's order, `br0` < `eth0` < `eth1`
//! < `eth10` (name, then number), except bridges; then the bridges. Each `ifup` reads its
//! file on top of /etc/sysconfig/network and:
//! - refuses a device the kernel does not have ("does not seem to be present"), a HWADDR
//!   that is not the card's, or an address another machine on the segment already answers
//!   for (`arping -D`, unless ARPCHECK=no);
//! - for BRIDGE=NAME, creates the bridge if needed, makes the card its port and stops: a port
//!   carries no address and sets no route;
//! - for DHCP, gets no lease (the lab runs no DHCP server);
//! - otherwise adds the addresses, then the default route `ip route replace default via
//!   GATEWAY` if DEFROUTE is not `no`, GATEWAYDEV is unset or this device, and GATEWAY is on
//!   the network of the first address. An off-link GATEWAY is skipped (a warning when the
//!   ifcfg file itself set it; a GATEWAY inherited from /etc/sysconfig/network is meant for
//!   whichever interface it fits). Because each `ifup` replaces the default route, the
//!   interface brought up last wins; a different gateway replacing an earlier one is a
//!   warning.
//!
//! Not modelled: static routes (route-DEV files), IPv6, the 169.254.0.0/16 zeroconf route,
//! bonding and VLANs, and NetworkManager (NM_CONTROLLED is accepted and ignored).

use std::net::Ipv4Addr;

use super::fs::FileSystem;
use crate::error::Error;
use crate::world::net::ifcfg::{self, InterfaceConfig, NETWORK_PATH, SCRIPTS_DIR};
use crate::world::net::ip::Ipv4Cidr;
use crate::world::net::shell::ShellVars;
use crate::world::net::Finding;
use crate::world::node::{Interface, InterfaceKind, NetStack, Route};
use crate::world::SwitchId;

/// What the rest of the lab looks like from a host's cables, for the checks `ifup` makes on
/// the wire. Empty for a host on its own.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SegmentView {
    /// Every switch: id, name and network.
    pub switches: Vec<(SwitchId, String, Ipv4Cidr)>,
    /// Addresses other machines answer for, by switch: (switch, address with its prefix,
    /// "host device").
    pub claims: Vec<(SwitchId, Ipv4Cidr, String)>,
}

/// The `network` service's order: name without digits, then the number, then the name.
fn service_order(device: &str) -> (String, u64, String) {
    let split = device
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(device.len());
    let (word, rest) = device.split_at(split);
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    (
        word.to_string(),
        digits.parse().unwrap_or(0),
        device.to_string(),
    )
}

struct Restart<'a> {
    host: &'a str,
    net: &'a mut NetStack,
    view: &'a SegmentView,
    findings: Vec<Finding>,
    /// What the config files themselves get wrong, raised already where a script wrote them;
    /// kept to explain their effect (an interface left without an address).
    file_findings: Vec<Finding>,
    /// The current default route and where it came from.
    default_from: Option<(String, Ipv4Addr, String)>,
    /// Bridges named by some BRIDGE= key, for help texts.
    bridge_names: Vec<String>,
    /// Each bridge's configured first address, from its ifcfg file.
    bridge_addresses: Vec<(String, Ipv4Cidr)>,
    /// Bridges whose port is a card on another network than the bridge's address, with
    /// the fix.
    wrong_ports: Vec<(String, String)>,
    /// Keys of the ifcfg files that initscripts ignore, as (file, line, key, help).
    ignored_keys: Vec<(String, usize, String, String)>,
}

/// A network as the lab has it: the switch, its name and the prefix its machines use.
struct Segment {
    name: String,
    network: Ipv4Cidr,
    prefix: u8,
}

impl Segment {
    fn netmask(&self) -> String {
        format!(
            "NETMASK={} (PREFIX={})",
            crate::world::net::ip::netmask(self.prefix),
            self.prefix
        )
    }
}

/// Restarts the network of `host` from the config files in `fs`.
pub fn restart(
    host: &str,
    fs: &FileSystem,
    net: &mut NetStack,
    view: &SegmentView,
) -> Vec<Finding> {
    net.reset();
    let Ok(network_text) = fs.read(host, NETWORK_PATH) else {
        return vec![Finding::error(
            NETWORK_PATH,
            None,
            Error::NoNetworkConfig {
                file: NETWORK_PATH.into(),
            },
        )];
    };
    let network = ShellVars::parse(NETWORK_PATH, network_text);
    if let Some(a) = network.get("NETWORKING").filter(|a| a.value == "no") {
        return vec![Finding::warning(
            NETWORK_PATH,
            Some(a.line),
            Error::NetworkingDisabled {
                file: NETWORK_PATH.into(),
                line: a.line,
            },
        )];
    }
    loopback_up(net);
    let configs = read_configs(host, fs, &network);
    let mut restart = Restart::new(host, fs, net, view, &configs);
    for bridges in [false, true] {
        for (config, read_findings) in &configs {
            if config.is_bridge == bridges && config.onboot {
                restart.ifup(config, read_findings);
            }
        }
    }
    let findings = restart.findings;
    net.add_connected_routes();
    findings
}

/// `ifup CONFIG`: the one file `ifcfg-CONFIG` applied as the network service applies it,
/// on top of /etc/sysconfig/network when there is one (ifup ignores NETWORKING and ONBOOT).
/// The interface is flushed first, so bringing up an up interface changes nothing. `None`
/// when the file does not exist.
pub fn ifup(
    host: &str,
    fs: &FileSystem,
    net: &mut NetStack,
    view: &SegmentView,
    config: &str,
) -> Option<Vec<Finding>> {
    let path = format!("{SCRIPTS_DIR}/ifcfg-{config}");
    fs.read(host, &path).ok()?;
    if config == "lo" {
        loopback_up(net);
        return Some(Vec::new());
    }
    let network = ShellVars::parse(NETWORK_PATH, fs.read(host, NETWORK_PATH).unwrap_or(""));
    let configs = read_configs(host, fs, &network);
    let (config, read_findings) = configs.iter().find(|(c, _)| c.file == path)?;
    ifdown(net, &config.device);
    let mut restart = Restart::new(host, fs, net, view, &configs);
    restart.ifup(config, read_findings);
    let findings = restart.findings;
    net.add_connected_routes();
    Some(findings)
}

/// `ifdown DEVICE`: the interface down, its addresses flushed and the routes through it
/// gone, as the kernel drops them; a bridge's port leaves its bridge (`brctl delif`). A
/// bridge itself stays, down (RHEL 6 deletes it; kvmlab keeps its ports for the next ifup).
pub fn ifdown(net: &mut NetStack, device: &str) {
    let Some(iface) = net.interface_mut(device) else {
        return;
    };
    iface.admin_up = false;
    iface.addresses.clear();
    iface.master = None;
    net.routes.retain(|r| r.dev != device);
}

fn loopback_up(net: &mut NetStack) {
    if let Some(lo) = net.interface_mut("lo") {
        lo.admin_up = true;
        lo.addresses = vec![Ipv4Cidr::from_parsed(Ipv4Addr::LOCALHOST, 8)];
    }
}

/// Every interface's ifcfg file (backups, aliases and the loopback's skipped), read on top
/// of /etc/sysconfig/network, in the network service's order.
fn read_configs(
    host: &str,
    fs: &FileSystem,
    network: &ShellVars,
) -> Vec<(InterfaceConfig, Vec<Finding>)> {
    let mut configs: Vec<(InterfaceConfig, Vec<Finding>)> = fs
        .files_in(SCRIPTS_DIR)
        .into_iter()
        .filter(|path| ifcfg::interface_suffix(path).is_some_and(|s| s != "lo"))
        .filter_map(|path| {
            let text = fs.read(host, path).ok()?;
            let vars = ShellVars::parse(path, text);
            Some(InterfaceConfig::read(path, &vars, network))
        })
        .collect();
    configs
        .sort_by_key(|(c, _)| service_order(ifcfg::interface_suffix(&c.file).unwrap_or(&c.device)));
    configs
}

impl<'a> Restart<'a> {
    fn new(
        host: &'a str,
        fs: &FileSystem,
        net: &'a mut NetStack,
        view: &'a SegmentView,
        configs: &[(InterfaceConfig, Vec<Finding>)],
    ) -> Restart<'a> {
        Restart {
            host,
            net,
            view,
            findings: Vec::new(),
            file_findings: Vec::new(),
            default_from: None,
            bridge_names: configs
                .iter()
                .filter_map(|(c, _)| c.bridge.as_ref().map(|b| b.0.clone()))
                .collect(),
            bridge_addresses: configs
                .iter()
                .filter(|(c, _)| c.is_bridge && c.onboot)
                .filter_map(|(c, _)| Some((c.device.clone(), c.addresses.first()?.cidr)))
                .collect(),
            wrong_ports: Vec::new(),
            ignored_keys: fs
                .files_in(SCRIPTS_DIR)
                .into_iter()
                .filter_map(|path| Some((path, fs.read(host, path).ok()?)))
                .flat_map(|(path, text)| ifcfg::lint(ifcfg::ConfigKind::Interface, path, text))
                .filter_map(|f| match f.error {
                    Error::UnknownIfcfgKey {
                        file,
                        line,
                        key,
                        help,
                    } => Some((file, line, key, help)),
                    _ => None,
                })
                .collect(),
        }
    }

    fn ifup(&mut self, config: &InterfaceConfig, read_findings: &[Finding]) {
        let device = config.device.as_str();
        let kind = self.net.interface(device).map(|i| i.kind);
        match (kind, config.is_bridge) {
            (None, false) => return self.missing_device(config),
            (None, true) => self.create_bridge(device),
            (Some(InterfaceKind::Bridge), _) | (Some(_), false) => {}
            (Some(_), true) => {
                // TYPE=Bridge was read from the file, so it has a line.
                let line = config.type_line.unwrap_or_default();
                return self.findings.push(Finding::error(
                    &config.file,
                    Some(line),
                    Error::BadIfcfgValue {
                        file: config.file.clone(),
                        line,
                        setting: "TYPE=Bridge".into(),
                        reason: format!("{device} is a network card, so no bridge of that name can be created"),
                        help: "give the bridge its own name, e.g. DEVICE=br0, and make the card its port with BRIDGE=br0".into(),
                    },
                ));
            }
        }
        if let (Some((mac, written, line)), Some(nic)) = (&config.hwaddr, self.net.nic(device)) {
            if nic.mac.0 != *mac {
                let actual = nic.mac.to_upper();
                return self.findings.push(Finding::error(
                    &config.file,
                    Some(*line),
                    Error::HwaddrMismatch {
                        file: config.file.clone(),
                        line: *line,
                        device: device.into(),
                        configured: written.clone(),
                        actual,
                    },
                ));
            }
        }
        if let Some((bridge, line)) = &config.bridge {
            return self.enslave(config, bridge, *line);
        }
        if let Some(line) = config.dhcp_line {
            self.set_up(device);
            let finding = Finding::warning(
                &config.file,
                Some(line),
                Error::NoDhcpServer {
                    file: config.file.clone(),
                    line,
                    device: device.into(),
                    help: "configure a static address: BOOTPROTO=none, IPADDR=..., NETMASK=..."
                        .into(),
                },
            );
            let advised = self.with_segment_advice(device, finding);
            return self.findings.push(advised);
        }
        self.set_up(device);
        for finding in read_findings {
            // The write raised it with the file's line; the restart adds only what it knows
            // more: the netmask of the segment the card is cabled to.
            let advised = self.with_segment_advice(device, finding.clone());
            if advised != *finding {
                self.findings.push(advised);
            }
            self.file_findings.push(finding.clone());
        }
        let switches = self.switches_of(device);
        for address in &config.addresses {
            if config.arpcheck {
                let taken =
                    self.view.claims.iter().find(|(sw, a, _)| {
                        switches.contains(sw) && a.addr() == address.cidr.addr()
                    });
                if let Some((_, _, other)) = taken {
                    return self.findings.push(Finding::error(
                        &config.file,
                        Some(address.line),
                        Error::DuplicateAddress {
                            host: self.host.into(),
                            device: device.into(),
                            address: address.cidr.addr().to_string(),
                            other: other.clone(),
                        },
                    ));
                }
            }
            for (id, name, network) in &self.view.switches {
                if switches.contains(id) && !network.contains(address.cidr.addr()) {
                    let help = self
                        .wrong_ports
                        .iter()
                        .find(|(bridge, _)| bridge == device)
                        .map_or_else(
                            || format!("use an address inside {network}, or cable {device} to the switch of the address's network"),
                            |(_, fix)| fix.clone(),
                        );
                    self.findings.push(Finding::warning(
                        &config.file,
                        Some(address.line),
                        Error::AddressOutsideSegment {
                            host: self.host.into(),
                            device: device.into(),
                            address: address.cidr,
                            switch: name.clone(),
                            network: *network,
                            help,
                        },
                    ));
                }
            }
            if let Some(iface) = self.net.interface_mut(device) {
                iface.addresses.push(address.cidr);
            }
        }
        self.default_route(config);
    }

    fn default_route(&mut self, config: &InterfaceConfig) {
        let device = config.device.as_str();
        let for_this_device = config.gatewaydev.as_deref().is_none_or(|g| g == device);
        if !config.defroute || !for_this_device {
            return;
        }
        let first = config.addresses.first().map(|a| a.cidr);
        match &config.gateway {
            Some(gw) if first.is_some_and(|f| f.on_link(gw.address)) => {
                if let Some((file, previous, previous_device)) = &self.default_from {
                    if *previous != gw.address {
                        self.findings.push(Finding::warning(
                            &gw.file,
                            Some(gw.line),
                            Error::DefaultRouteReplaced {
                                file: gw.file.clone(),
                                line: gw.line,
                                device: device.into(),
                                gateway: gw.address.to_string(),
                                previous: format!("{previous} on {previous_device} (from {file})"),
                            },
                        ));
                    }
                }
                self.replace_default(Route {
                    destination: Ipv4Cidr::from_parsed(Ipv4Addr::UNSPECIFIED, 0),
                    via: Some(gw.address),
                    dev: device.into(),
                    src: None,
                });
                self.default_from = Some((gw.file.clone(), gw.address, device.into()));
            }
            Some(gw) if !gw.global => {
                let help = self.gateway_off_link_help(config, gw.address, first);
                self.findings.push(Finding::warning(
                    &gw.file,
                    Some(gw.line),
                    Error::GatewayOffLink {
                        file: gw.file.clone(),
                        line: gw.line,
                        device: device.into(),
                        gateway: gw.address,
                        network: first
                            .map_or("(no address)".to_string(), |f| f.network_cidr().to_string()),
                        help,
                    },
                ))
            }
            Some(_) => {}
            None if config.gatewaydev.as_deref() == Some(device) => self.replace_default(Route {
                destination: Ipv4Cidr::from_parsed(Ipv4Addr::UNSPECIFIED, 0),
                via: None,
                dev: device.into(),
                src: None,
            }),
            None => {}
        }
    }

    fn replace_default(&mut self, route: Route) {
        self.net.routes.retain(|r| !r.is_default());
        self.net.routes.push(route);
    }

    fn missing_device(&mut self, config: &InterfaceConfig) {
        let device = &config.device;
        let cards: Vec<&str> = self.net.nics.iter().map(|n| n.name.as_str()).collect();
        let help = if config.bridge_type_miscased {
            "write TYPE=Bridge: initscripts compare TYPE case-sensitively, so this file describes a network card".to_string()
        } else if self.bridge_names.contains(device) {
            format!("add TYPE=Bridge to {}: without it, {device} is brought up as a network card, before any port has created the bridge", config.file)
        } else {
            crate::suggest::help_for(device, "this host's network cards", &cards)
        };
        self.findings.push(Finding::error(
            &config.file,
            None,
            Error::NoSuchDevice {
                file: config.file.clone(),
                device: device.clone(),
                help,
            },
        ));
    }

    fn enslave(&mut self, config: &InterfaceConfig, bridge: &str, line: usize) {
        let device = config.device.as_str();
        let port_is_bridge = config.is_bridge
            || self
                .net
                .interface(device)
                .is_some_and(|i| i.kind == InterfaceKind::Bridge);
        if port_is_bridge {
            // The kernel refuses: "Can not enslave a bridge to a bridge" (ELOOP).
            return self.findings.push(Finding::error(
                &config.file,
                Some(line),
                Error::BadIfcfgValue {
                    file: config.file.clone(),
                    line,
                    setting: format!("BRIDGE={bridge}"),
                    reason: format!("{device} is a bridge itself, and a bridge cannot be a port of a bridge"),
                    help: "put BRIDGE= in the ifcfg file of the card that joins the bridge (e.g. ifcfg-eth0), not in the bridge's own".into(),
                },
            ));
        }
        match self.net.interface(bridge).map(|i| i.kind) {
            Some(InterfaceKind::Bridge) => {}
            None => self.create_bridge(bridge),
            Some(_) => {
                return self.findings.push(Finding::error(
                    &config.file,
                    Some(line),
                    Error::BadIfcfgValue {
                        file: config.file.clone(),
                        line,
                        setting: format!("BRIDGE={bridge}"),
                        reason: format!("{bridge} is not a bridge"),
                        help: "name the bridge, e.g. BRIDGE=br0, and describe it in ifcfg-br0 with TYPE=Bridge".into(),
                    },
                ))
            }
        }
        if let Some(iface) = self.net.interface_mut(device) {
            iface.master = Some(bridge.into());
            iface.admin_up = true;
        }
        let wrong_card = self.check_port_network(config, bridge, line);
        if let Some(ipaddr_line) = config.ipaddr_line {
            let help = match &wrong_card {
                Some(switch) => format!("this is {device}'s own address on {switch}: it works again once BRIDGE={bridge} is gone from {} (line {line})", config.file),
                None => format!("move IPADDR, NETMASK and GATEWAY to ifcfg-{bridge}: the address of a bridged network lives on the bridge"),
            };
            self.findings.push(Finding::warning(
                &config.file,
                Some(ipaddr_line),
                Error::AddressOnBridgePort {
                    file: config.file.clone(),
                    line: ipaddr_line,
                    device: device.into(),
                    bridge: bridge.into(),
                    help,
                },
            ));
        }
    }

    /// The network of the switch `device` is cabled to, with the prefix the machines on it
    /// use (the most common among their addresses on that network; the switch's own when
    /// none has one).
    fn segment(&self, device: &str) -> Option<Segment> {
        let switches = self.switches_of(device);
        let (id, name, network) = self
            .view
            .switches
            .iter()
            .find(|(id, ..)| switches.contains(id))?;
        let mut counts: Vec<(u8, usize)> = Vec::new();
        for (_, cidr, _) in self
            .view
            .claims
            .iter()
            .filter(|(sw, a, _)| sw == id && network.contains(a.addr()))
        {
            match counts.iter_mut().find(|(p, _)| *p == cidr.prefix()) {
                Some((_, n)) => *n += 1,
                None => counts.push((cidr.prefix(), 1)),
            }
        }
        let prefix = counts
            .iter()
            .max_by_key(|(p, n)| (*n, *p))
            .map_or(network.prefix(), |(p, _)| *p);
        Some(Segment {
            name: name.clone(),
            network: *network,
            prefix,
        })
    }

    /// A card of this host cabled to a switch whose network contains `address`.
    fn card_on_network_of(&self, address: Ipv4Addr) -> Option<(String, String, Ipv4Cidr)> {
        self.net.nics.iter().find_map(|nic| {
            let link = nic.link.as_ref()?;
            let (_, name, network) = self
                .view
                .switches
                .iter()
                .find(|(id, ..)| *id == link.switch)?;
            network
                .contains(address)
                .then(|| (nic.name.clone(), name.clone(), *network))
        })
    }

    /// Replaces a config finding's generic netmask advice with the segment's netmask.
    fn with_segment_advice(&self, device: &str, mut finding: Finding) -> Finding {
        let Some(segment) = self.segment(device) else {
            return finding;
        };
        let on = format!(
            "{}, where {device} is cabled, is {} and its machines use /{}",
            segment.name, segment.network, segment.prefix
        );
        match &mut finding.error {
            Error::BadIfcfgValue { setting, help, .. }
                if setting.starts_with("NETMASK") || setting.starts_with("PREFIX") =>
            {
                let key = if setting.starts_with("NETMASK") {
                    format!("NETMASK={}", crate::world::net::ip::netmask(segment.prefix))
                } else {
                    format!("PREFIX={}", segment.prefix)
                };
                *help = format!("{on}: write {key}");
            }
            Error::ClassfulNetmask { help, prefix, .. } if *prefix != segment.prefix => {
                *help = format!("{on}: add {}", segment.netmask());
            }
            Error::ClassfulNetmask { help, .. } => {
                *help = format!(
                    "{on}, which the classful mask happens to match: add {} to say so",
                    segment.netmask()
                );
            }
            Error::NoDhcpServer { help, .. } => {
                let range = if segment.prefix == segment.network.prefix() {
                    format!("of {}", segment.network)
                } else {
                    format!("in the /{} its machines use", segment.prefix)
                };
                *help = format!(
                    "{on}: configure a static address there: BOOTPROTO=none, IPADDR=an unused address {range}, NETMASK={}",
                    crate::world::net::ip::netmask(segment.prefix)
                );
            }
            _ => {}
        }
        finding
    }

    /// Why GATEWAY is off the device's network, and the fix: the gateway line only when it
    /// is the gateway that is on the wrong network.
    fn gateway_off_link_help(
        &self,
        config: &InterfaceConfig,
        gateway: Ipv4Addr,
        first: Option<Ipv4Cidr>,
    ) -> String {
        let device = config.device.as_str();
        let file = &config.file;
        let segment = self.segment(device).filter(|s| s.network.contains(gateway));
        let Some(segment) = segment else {
            let elsewhere = self
                .card_on_network_of(gateway)
                .map(|(card, switch, _)| {
                    match self.net.interface(&card).and_then(|i| i.master.clone()) {
                        Some(bridge) => format!(" ({gateway} is on {switch}, where {card}, the port of {bridge}, is cabled: ifcfg-{bridge})"),
                        None => format!(" ({gateway} is on {switch}, where {card} is cabled: ifcfg-{card})"),
                    }
                })
                .unwrap_or_default();
            return format!("delete the GATEWAY line from {file}: the default gateway belongs in the config of the interface whose network contains it{elsewhere}");
        };
        let right = format!(
            "GATEWAY={gateway} is right for {} ({}), where {device} is cabled: keep it",
            segment.name, segment.network
        );
        let Some(first) = first else {
            let cause = self
                .file_findings
                .iter()
                .chain(&self.findings)
                .find(|f| f.file == *file && f.line.is_some());
            let ignored = self.ignored_keys.iter().find(|(f, ..)| f == file);
            return match (cause, ignored) {
                (Some(f), _) => {
                    let line = f.line.unwrap_or_default();
                    let message = f.error.to_string();
                    let message = message
                        .strip_prefix(&format!("{file} line {line}: "))
                        .unwrap_or(&message);
                    format!("{device} got no address because of line {line} ({message}): fix that line and restart the network. {right}")
                }
                (None, Some((_, line, key, help))) => {
                    format!("{device} got no address: line {line} sets `{key}`, which initscripts ignore ({help}); fix that line and restart the network. {right}")
                }
                (None, None) => format!(
                    "{device} has no address: add IPADDR=ADDRESS and {} for {} to {file}, then restart the network. {right}",
                    segment.netmask(),
                    segment.network
                ),
            };
        };
        if segment.network.contains(first.addr()) {
            format!(
                "the netmask is wrong: /{} makes {device}'s network {}, but {} uses /{}: write {} in {file}. {right}",
                first.prefix(),
                first.network_cidr(),
                segment.name,
                segment.prefix,
                segment.netmask()
            )
        } else {
            format!(
                "IPADDR={} is not on {} ({}): give {device} an address in {}. {right}",
                first.addr(),
                segment.name,
                segment.network,
                segment.network
            )
        }
    }

    /// Warns when a card joins a bridge whose address is on another switch's network than
    /// the card's; returns the card's switch name then.
    fn check_port_network(
        &mut self,
        config: &InterfaceConfig,
        bridge: &str,
        line: usize,
    ) -> Option<String> {
        let device = config.device.as_str();
        let address = self
            .bridge_addresses
            .iter()
            .find(|(b, _)| b == bridge)
            .map(|(_, a)| *a)?;
        let segment = self.segment(device)?;
        if segment.network.contains(address.addr()) {
            return None;
        }
        let restart = format!("`{}.service(\"network\").restart()`", self.host);
        let help = match self.card_on_network_of(address.addr()) {
            Some((card, switch, network)) => format!(
                "{card} is the card cabled to {switch} ({network}), the network of {bridge}'s address: put BRIDGE={bridge} in ifcfg-{card} instead and delete it from {} (line {line}), then restart the network ({restart})",
                config.file
            ),
            None => format!(
                "no card of {} is cabled to the network of {address}: cable one to it, make that card the port (BRIDGE={bridge} in its ifcfg file) and delete line {line} of {}, then restart the network ({restart})",
                self.host, config.file
            ),
        };
        self.wrong_ports.push((bridge.into(), help.clone()));
        self.findings.push(Finding::warning(
            &config.file,
            Some(line),
            Error::BridgeOnWrongCard {
                file: config.file.clone(),
                line,
                port: format!("{device} (cabled to {})", segment.name),
                bridge: bridge.into(),
                address,
                help,
            },
        ));
        Some(segment.name)
    }

    fn create_bridge(&mut self, name: &str) {
        self.net.interfaces.push(Interface {
            name: name.into(),
            kind: InterfaceKind::Bridge,
            admin_up: false,
            addresses: Vec::new(),
            master: None,
        });
    }

    fn set_up(&mut self, device: &str) {
        if let Some(iface) = self.net.interface_mut(device) {
            iface.admin_up = true;
        }
    }

    fn switches_of(&self, device: &str) -> Vec<SwitchId> {
        self.net
            .interface(device)
            .map(|i| {
                self.net
                    .attachments(i)
                    .iter()
                    .filter_map(|n| n.link.as_ref().map(|l| l.switch))
                    .collect()
            })
            .unwrap_or_default()
    }
}
