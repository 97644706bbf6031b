//! initscripts' network configuration: `/etc/sysconfig/network` and
//! `/etc/sysconfig/network-scripts/ifcfg-*` as RHEL 6 reads them.
//!
//! [`lint`] checks a file when it is written (syntax, unknown keys, values initscripts do not
//! recognise). [`InterfaceConfig::read`] turns an ifcfg file into what `ifup` acts on, with
//! the rules of RHEL 6's initscripts: the device is DEVICE or the file's suffix; an interface
//! comes up at boot unless ONBOOT starts with "no"; BOOTPROTO dhcp or bootp means DHCP,
//! anything else a static address; TYPE must be exactly `Bridge` for a bridge; addresses come
//! from IPADDR, IPADDR0, IPADDR1, … (stopping at the first gap from index 2 on), each with
//! PREFIXn (which wins) or NETMASKn, or the classful mask when neither is given; GATEWAY
//! defaults to the one in /etc/sysconfig/network, which the ifcfg file overrides.

use std::net::Ipv4Addr;

use super::ip::{self, Ipv4Cidr};
use super::shell::ShellVars;
use super::Finding;
use crate::error::Error;
use crate::suggest;

/// The global network settings.
pub const NETWORK_PATH: &str = "/etc/sysconfig/network";
/// Where the ifcfg files live.
pub const SCRIPTS_DIR: &str = "/etc/sysconfig/network-scripts";

/// Suffixes of backup files the `network` service skips.
const IGNORED_SUFFIXES: [&str; 6] = ["~", ".bak", ".orig", ".rpmnew", ".rpmorig", ".rpmsave"];

/// Which kind of shell-variable config a path holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ConfigKind {
    /// `/etc/sysconfig/network-scripts/ifcfg-NAME`
    Interface,
    /// `/etc/sysconfig/network`
    Network,
}

impl ConfigKind {
    /// The kind of config at `path`, if it is one the network service reads.
    pub fn of_path(path: &str) -> Option<ConfigKind> {
        if path == NETWORK_PATH {
            return Some(ConfigKind::Network);
        }
        interface_suffix(path).map(|_| ConfigKind::Interface)
    }
}

/// `eth0` for `/etc/sysconfig/network-scripts/ifcfg-eth0`; `None` for paths the network
/// service does not treat as an interface config (backups, aliases `eth0:1`, ranges).
pub fn interface_suffix(path: &str) -> Option<&str> {
    let name = path.strip_prefix(SCRIPTS_DIR)?.strip_prefix("/ifcfg-")?;
    let usable = !name.is_empty()
        && !name.contains('/')
        && !name.contains(':')
        && !name.ends_with("-range")
        && !IGNORED_SUFFIXES.iter().any(|s| name.ends_with(s));
    usable.then_some(name)
}

/// What a key's value may be.
#[derive(Clone, Copy)]
enum Values {
    Any,
    YesNo,
    OneOf(&'static [&'static str]),
    Mac,
}

const INTERFACE_KEYS: &[(&str, Values)] = &[
    ("DEVICE", Values::Any),
    (
        "TYPE",
        Values::OneOf(&[
            "Ethernet",
            "Bridge",
            "Bond",
            "Vlan",
            "Wireless",
            "InfiniBand",
            "xDSL",
        ]),
    ),
    ("ONBOOT", Values::OneOf(&["yes", "no"])),
    (
        "BOOTPROTO",
        Values::OneOf(&["none", "static", "dhcp", "bootp"]),
    ),
    ("IPADDR", Values::Any),
    ("NETMASK", Values::Any),
    ("PREFIX", Values::Any),
    ("GATEWAY", Values::Any),
    ("BROADCAST", Values::Any),
    ("NETWORK", Values::Any),
    ("HWADDR", Values::Mac),
    ("MACADDR", Values::Mac),
    ("NM_CONTROLLED", Values::YesNo),
    ("UUID", Values::Any),
    ("NAME", Values::Any),
    ("DNS1", Values::Any),
    ("DNS2", Values::Any),
    ("DNS3", Values::Any),
    ("DOMAIN", Values::Any),
    ("DEFROUTE", Values::YesNo),
    ("PEERDNS", Values::YesNo),
    ("PEERROUTES", Values::YesNo),
    ("IPV4_FAILURE_FATAL", Values::YesNo),
    ("IPV6INIT", Values::YesNo),
    ("IPV6_AUTOCONF", Values::YesNo),
    ("IPV6ADDR", Values::Any),
    ("IPV6ADDR_SECONDARIES", Values::Any),
    ("IPV6_DEFAULTGW", Values::Any),
    ("IPV6_PEERDNS", Values::YesNo),
    ("IPV6_PEERROUTES", Values::YesNo),
    ("IPV6_FAILURE_FATAL", Values::YesNo),
    ("IPV6_MTU", Values::Any),
    ("USERCTL", Values::YesNo),
    ("MTU", Values::Any),
    ("BRIDGE", Values::Any),
    ("STP", Values::OneOf(&["on", "off", "yes", "no"])),
    ("DELAY", Values::Any),
    ("BRIDGING_OPTS", Values::Any),
    ("SLAVE", Values::YesNo),
    ("MASTER", Values::Any),
    ("BONDING_OPTS", Values::Any),
    ("ETHTOOL_OPTS", Values::Any),
    ("LINKDELAY", Values::Any),
    ("DHCP_HOSTNAME", Values::Any),
    ("PERSISTENT_DHCLIENT", Values::Any),
    ("METRIC", Values::Any),
    ("ARPCHECK", Values::YesNo),
    ("ZONE", Values::Any),
    ("VLAN", Values::YesNo),
    ("PHYSDEV", Values::Any),
    ("LAST_CONNECT", Values::Any),
    ("SRCADDR", Values::Any),
    ("GATEWAYDEV", Values::Any),
    ("NOZEROCONF", Values::Any),
    ("HOTPLUG", Values::YesNo),
];

/// Keys that may carry an index: IPADDR1, PREFIX1, …
const NUMBERED_KEYS: [&str; 4] = ["IPADDR", "PREFIX", "NETMASK", "BROADCAST"];

const NETWORK_KEYS: &[(&str, Values)] = &[
    ("NETWORKING", Values::YesNo),
    ("HOSTNAME", Values::Any),
    ("GATEWAY", Values::Any),
    ("GATEWAYDEV", Values::Any),
    ("NETWORKING_IPV6", Values::YesNo),
    ("IPV6_DEFAULTGW", Values::Any),
    ("IPV6_DEFAULTDEV", Values::Any),
    ("IPV6FORWARDING", Values::YesNo),
    ("IPV6_AUTOCONF", Values::YesNo),
    ("IPV6_ROUTER", Values::YesNo),
    ("NOZEROCONF", Values::Any),
    ("NISDOMAIN", Values::Any),
    ("NETWORKWAIT", Values::Any),
    ("NETWORKDELAY", Values::Any),
    ("VLAN", Values::YesNo),
];

/// `Some(12)` for `IPADDR12` and base `IPADDR`.
fn numbered_index(key: &str, base: &str) -> Option<u64> {
    let digits = key.strip_prefix(base)?;
    let all_digits = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    all_digits.then(|| digits.parse().unwrap_or(u64::MAX))
}

fn keys(kind: ConfigKind) -> &'static [(&'static str, Values)] {
    match kind {
        ConfigKind::Interface => INTERFACE_KEYS,
        ConfigKind::Network => NETWORK_KEYS,
    }
}

fn known(kind: ConfigKind, key: &str) -> Option<Values> {
    if let Some((_, values)) = keys(kind).iter().find(|(k, _)| *k == key) {
        return Some(*values);
    }
    let numbered = kind == ConfigKind::Interface
        && NUMBERED_KEYS
            .iter()
            .any(|base| numbered_index(key, base).is_some_and(|n| n <= 255));
    numbered.then_some(Values::Any)
}

/// Checks a config file's text as written: the shell syntax, unknown keys (warnings, with
/// "did you mean"), and values initscripts do not recognise.
pub fn lint(kind: ConfigKind, file: &str, text: &str) -> Vec<Finding> {
    let vars = ShellVars::parse(file, text);
    let mut findings = vars.findings.clone();
    for a in &vars.assignments {
        match known(kind, &a.key) {
            None => findings.push(Finding::warning(
                file,
                Some(a.line),
                Error::UnknownIfcfgKey {
                    file: file.into(),
                    line: a.line,
                    key: a.key.clone(),
                    help: unknown_key_help(kind, &a.key),
                },
            )),
            Some(values) => findings.extend(check_value(file, &a.key, &a.value, a.line, values)),
        }
    }
    // The addresses and gateway as `ifup` will read them: a wrong one is said at the line
    // that writes the file, not first at the next `service network restart`.
    match kind {
        ConfigKind::Interface => {
            let no_globals = ShellVars::parse(NETWORK_PATH, "");
            let read = InterfaceConfig::read(file, &vars, &no_globals).1;
            findings.extend(read.into_iter().map(netmask_help_before_restart));
        }
        ConfigKind::Network => {
            if let Some(a) = vars.get("GATEWAY") {
                parse_gateway(file, a.line, &a.value, true, &mut findings);
            }
        }
    }
    findings
}

/// At the write, the network the interface will be on is not known yet, so a bad netmask is
/// not answered with the written value's nearest valid one (which may be far from the
/// network's); the restart names the network's own.
fn netmask_help_before_restart(mut finding: Finding) -> Finding {
    if let Error::BadIfcfgValue { setting, help, .. } = &mut finding.error {
        if setting.starts_with("NETMASK") {
            *help = "write the netmask of the interface's network, e.g. NETMASK=255.255.255.0 for a /24; `service network restart` names the network's own once the card is cabled".into();
        }
    }
    finding
}

fn unknown_key_help(kind: ConfigKind, key: &str) -> String {
    let numbered = NUMBERED_KEYS
        .iter()
        .find(|b| numbered_index(key, b).is_some());
    if let (Some(base), ConfigKind::Interface) = (numbered, kind) {
        return format!("initscripts read {base}0 to {base}255 only");
    }
    let upper = key.to_ascii_uppercase();
    if upper != key && known(kind, &upper).is_some() {
        return format!("keys are upper case: write `{upper}`");
    }
    let other = match kind {
        ConfigKind::Interface => ConfigKind::Network,
        ConfigKind::Network => ConfigKind::Interface,
    };
    if known(other, &upper).is_some() {
        let place = match other {
            ConfigKind::Network => NETWORK_PATH.to_string(),
            ConfigKind::Interface => format!("{SCRIPTS_DIR}/ifcfg-DEVICE"),
        };
        return format!("`{upper}` belongs in {place}");
    }
    let names: Vec<&str> = keys(kind).iter().map(|(k, _)| *k).collect();
    match suggest::closest(key, names.iter().copied()) {
        Some(near) => format!("did you mean `{near}`? initscripts ignore keys they do not know"),
        None => {
            let common = match kind {
                ConfigKind::Interface => "DEVICE, TYPE, ONBOOT, BOOTPROTO, IPADDR, NETMASK, PREFIX, GATEWAY, BRIDGE, HWADDR",
                ConfigKind::Network => "NETWORKING, HOSTNAME, GATEWAY, GATEWAYDEV",
            };
            format!("initscripts ignore keys they do not know; the usual keys are {common}")
        }
    }
}

fn check_value(file: &str, key: &str, value: &str, line: usize, values: Values) -> Option<Finding> {
    let bad = |reason: String, help: String| Error::BadIfcfgValue {
        file: file.into(),
        line,
        setting: format!("{key}={value}"),
        reason,
        help,
    };
    let value = value.trim_end_matches('\r');
    match values {
        Values::Any => None,
        Values::YesNo => {
            let ok = ["yes", "no"].iter().any(|v| v.eq_ignore_ascii_case(value));
            (!ok).then(|| {
                Finding::warning(
                    file,
                    Some(line),
                    bad(
                        "expected yes or no".into(),
                        format!("write {key}=yes or {key}=no"),
                    ),
                )
            })
        }
        Values::OneOf(choices) => {
            let exact = choices.contains(&value);
            let loose = choices.iter().find(|c| c.eq_ignore_ascii_case(value));
            let reason = match (key, loose) {
                ("ONBOOT", _) => "initscripts treat only values starting with `no` as no, so this interface comes up at boot".to_string(),
                ("BOOTPROTO", _) => "initscripts treat it as a static address (like none)".to_string(),
                ("TYPE", Some(c)) => format!("initscripts compare TYPE case-sensitively with `{c}`"),
                _ => format!("expected one of {}", choices.join(", ")),
            };
            let help = match loose
                .copied()
                .or_else(|| suggest::closest(value, choices.iter().copied()))
            {
                Some(c) => format!("write {key}={c}"),
                None => format!("write {key}= one of {}", choices.join(", ")),
            };
            let case_only = key != "TYPE" && loose.is_some();
            (!exact && !case_only).then(|| Finding::warning(file, Some(line), bad(reason, help)))
        }
        Values::Mac => parse_mac(value).is_none().then(|| {
            Finding::error(
                file,
                Some(line),
                bad(
                    "a MAC address is six two-digit hex numbers separated by colons".into(),
                    format!(
                        "copy the card's address from `ip link show`, e.g. {key}=00:1B:21:0A:0B:0C"
                    ),
                ),
            )
        }),
    }
}

/// Parses `00:1B:21:0A:0B:0C` (either case).
pub fn parse_mac(text: &str) -> Option<[u8; 6]> {
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() != 6 {
        return None;
    }
    let mut mac = [0u8; 6];
    for (byte, part) in mac.iter_mut().zip(parts) {
        if part.len() != 2 {
            return None;
        }
        *byte = u8::from_str_radix(part, 16).ok()?;
    }
    Some(mac)
}

/// An address an ifcfg file configures.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConfiguredAddress {
    pub cidr: Ipv4Cidr,
    /// Line of the IPADDR key.
    pub line: usize,
}

/// A default gateway and where it was written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConfiguredGateway {
    pub address: Ipv4Addr,
    pub file: String,
    pub line: usize,
    /// True when it comes from /etc/sysconfig/network rather than the ifcfg file.
    pub global: bool,
}

/// What `ifup` acts on for one ifcfg file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InterfaceConfig {
    pub file: String,
    pub device: String,
    /// TYPE=Bridge exactly.
    pub is_bridge: bool,
    /// Line of the TYPE key.
    pub type_line: Option<usize>,
    /// The TYPE value as written, when it is not exactly `Bridge` but reads as one.
    pub bridge_type_miscased: bool,
    pub onboot: bool,
    /// Line of BOOTPROTO when it asks for DHCP.
    pub dhcp_line: Option<usize>,
    /// BRIDGE=NAME: this device is a port of that bridge.
    pub bridge: Option<(String, usize)>,
    pub hwaddr: Option<([u8; 6], String, usize)>,
    pub addresses: Vec<ConfiguredAddress>,
    /// Line of the first IPADDR key, valid or not.
    pub ipaddr_line: Option<usize>,
    pub gateway: Option<ConfiguredGateway>,
    pub defroute: bool,
    pub gatewaydev: Option<String>,
    /// ARPCHECK=no turns off duplicate address detection.
    pub arpcheck: bool,
}

impl InterfaceConfig {
    /// Reads the config at `file` (whose suffix names the device when DEVICE is absent) on
    /// top of the global `network` settings. Findings are the problems that decide what
    /// `ifup` does: malformed addresses (the address is skipped), a classful fallback mask,
    /// a network or broadcast address used as a host address.
    pub fn read(
        file: &str,
        vars: &ShellVars,
        network: &ShellVars,
    ) -> (InterfaceConfig, Vec<Finding>) {
        let mut findings = Vec::new();
        let value = |key: &str| vars.value(key).map(|v| v.to_string());
        let suffix = file.rsplit("ifcfg-").next().unwrap_or(file);
        let device = value("DEVICE")
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| suffix.to_string());
        let type_value = value("TYPE").unwrap_or_default();
        let onboot = !value("ONBOOT").is_some_and(|v| v.to_ascii_lowercase().starts_with("no"));
        let dhcp_line = vars
            .get("BOOTPROTO")
            .filter(|a| a.value == "dhcp" || a.value == "bootp")
            .map(|a| a.line);
        let bridge = vars
            .get("BRIDGE")
            .filter(|a| !a.value.is_empty())
            .map(|a| (a.value.clone(), a.line));
        let hwaddr = vars.get("HWADDR").and_then(|a| {
            parse_mac(a.value.trim_end_matches('\r')).map(|m| (m, a.value.clone(), a.line))
        });
        let (addresses, ipaddr_line) = read_addresses(file, vars, &mut findings);
        let gateway = match vars.get("GATEWAY") {
            Some(a) => parse_gateway(file, a.line, &a.value, false, &mut findings),
            None => network
                .get("GATEWAY")
                .and_then(|a| parse_gateway(NETWORK_PATH, a.line, &a.value, true, &mut findings)),
        };
        let gatewaydev = value("GATEWAYDEV")
            .or_else(|| network.value("GATEWAYDEV").map(str::to_string))
            .filter(|d| !d.is_empty());
        let config = InterfaceConfig {
            file: file.into(),
            device,
            is_bridge: type_value == "Bridge",
            type_line: vars.get("TYPE").map(|a| a.line),
            bridge_type_miscased: type_value != "Bridge"
                && type_value.eq_ignore_ascii_case("bridge"),
            onboot,
            dhcp_line,
            bridge,
            hwaddr,
            addresses,
            ipaddr_line,
            gateway,
            defroute: value("DEFROUTE").as_deref() != Some("no"),
            gatewaydev,
            arpcheck: value("ARPCHECK").as_deref() != Some("no"),
        };
        (config, findings)
    }
}

fn read_addresses(
    file: &str,
    vars: &ShellVars,
    findings: &mut Vec<Finding>,
) -> (Vec<ConfiguredAddress>, Option<usize>) {
    let mut addresses = Vec::new();
    let mut first_line = None;
    let indexes = std::iter::once(String::new()).chain((0..=255).map(|i| i.to_string()));
    for (n, index) in indexes.enumerate() {
        let Some(ipaddr) = vars
            .get(&format!("IPADDR{index}"))
            .filter(|a| !a.value.is_empty())
        else {
            // initscripts tolerate gaps at IPADDR, IPADDR0 and IPADDR1 only.
            if n >= 3 {
                break;
            }
            continue;
        };
        first_line.get_or_insert(ipaddr.line);
        let bad = |key: String, value: &str, line: usize, reason: &str, help: String| {
            Finding::error(
                file,
                Some(line),
                Error::BadIfcfgValue {
                    file: file.into(),
                    line,
                    setting: format!("{key}={value}"),
                    reason: reason.into(),
                    help,
                },
            )
        };
        let Ok(address) = ip::parse_addr(&ipaddr.value) else {
            findings.push(bad(
                format!("IPADDR{index}"),
                &ipaddr.value,
                ipaddr.line,
                "not an IPv4 address, so the interface gets no address from it",
                "write a dotted quad such as 192.168.1.11".into(),
            ));
            continue;
        };
        let prefix = vars
            .get(&format!("PREFIX{index}"))
            .filter(|a| !a.value.is_empty());
        let netmask = vars
            .get(&format!("NETMASK{index}"))
            .filter(|a| !a.value.is_empty());
        let prefix = match (prefix, netmask) {
            (Some(p), _) => match ip::parse_prefix(&p.value) {
                Ok(len) => len,
                Err(_) => {
                    findings.push(bad(
                        format!("PREFIX{index}"),
                        &p.value,
                        p.line,
                        "not a prefix length, so the address is not configured",
                        "write a whole number from 0 to 32, e.g. PREFIX=24".into(),
                    ));
                    continue;
                }
            },
            (None, Some(m)) => match ip::parse_netmask(&m.value) {
                Ok(len) => len,
                Err(e) => {
                    let help = match &e {
                        Error::NoncontiguousNetmask { help, .. } => help.clone(),
                        _ => "write a netmask such as 255.255.255.0".into(),
                    };
                    findings.push(bad(
                        format!("NETMASK{index}"),
                        &m.value,
                        m.line,
                        "not a valid netmask, so the address is not configured",
                        help,
                    ));
                    continue;
                }
            },
            (None, None) => {
                let prefix = ip::classful_prefix(address);
                findings.push(Finding::warning(
                    file,
                    Some(ipaddr.line),
                    Error::ClassfulNetmask {
                        file: file.into(),
                        line: ipaddr.line,
                        address: address.to_string(),
                        prefix,
                        help: "state the network size: add NETMASK=255.255.255.0 or PREFIX=24 (or whatever the network uses)".into(),
                    },
                ));
                prefix
            }
        };
        let cidr = Ipv4Cidr::from_parsed(address, prefix);
        if let Some(role) = cidr.reserved_role() {
            let (first, last) = cidr.host_range();
            findings.push(Finding::warning(
                file,
                Some(ipaddr.line),
                Error::ReservedHostAddress {
                    file: file.into(),
                    line: ipaddr.line,
                    address: address.to_string(),
                    role: format!("{role} address of {}", cidr.network_cidr()),
                    range: format!("{first} to {last}"),
                },
            ));
        }
        addresses.push(ConfiguredAddress {
            cidr,
            line: ipaddr.line,
        });
    }
    (addresses, first_line)
}

fn parse_gateway(
    file: &str,
    line: usize,
    value: &str,
    global: bool,
    findings: &mut Vec<Finding>,
) -> Option<ConfiguredGateway> {
    if value.is_empty() {
        return None;
    }
    match ip::parse_addr(value) {
        Ok(address) => Some(ConfiguredGateway {
            address,
            file: file.into(),
            line,
            global,
        }),
        Err(_) => {
            findings.push(Finding::error(
                file,
                Some(line),
                Error::BadIfcfgValue {
                    file: file.into(),
                    line,
                    setting: format!("GATEWAY={value}"),
                    reason: "not an IPv4 address, so no default route is added".into(),
                    help: "write the router's address, e.g. GATEWAY=192.168.1.1".into(),
                },
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ETH1: &str = "/etc/sysconfig/network-scripts/ifcfg-eth1";

    #[test]
    fn numbered_keys_stop_at_255_as_initscripts_do() {
        let findings = lint(
            ConfigKind::Interface,
            ETH1,
            "IPADDR255=10.0.0.1\nIPADDR256=10.0.0.2\n",
        );
        let codes: Vec<_> = findings.iter().map(|f| (f.code(), f.line)).collect();
        assert_eq!(
            codes,
            [("kvmlab::net::unknown_ifcfg_key".to_string(), Some(2))]
        );
    }

    fn lint_codes(kind: ConfigKind, text: &str) -> Vec<(Option<usize>, String, String)> {
        lint(kind, ETH1, text)
            .into_iter()
            .map(|f| (f.line, f.code(), f.error.help_str().unwrap_or_default()))
            .collect()
    }

    #[test]
    fn unknown_keys_warn_with_a_suggestion() {
        let text = "DEVICE=eth1\nIPADR=10.10.1.11\nnetmask=255.255.255.0\nHOSTNAME=sv1\nFOO=1\nIPADDR1=10.10.1.21\nPREFIX1=24\nIPADDR1000=1\n";
        let got = lint_codes(ConfigKind::Interface, text);
        let code = "kvmlab::net::unknown_ifcfg_key".to_string();
        assert_eq!(
            got,
            [
                (Some(2), code.clone(), "did you mean `IPADDR`? initscripts ignore keys they do not know".into()),
                (Some(3), code.clone(), "keys are upper case: write `NETMASK`".into()),
                (Some(4), code.clone(), "`HOSTNAME` belongs in /etc/sysconfig/network".into()),
                (Some(5), code.clone(), "initscripts ignore keys they do not know; the usual keys are DEVICE, TYPE, ONBOOT, BOOTPROTO, IPADDR, NETMASK, PREFIX, GATEWAY, BRIDGE, HWADDR".into()),
                (Some(8), code, "initscripts read IPADDR0 to IPADDR255 only".into()),
            ]
        );
        let network = lint_codes(ConfigKind::Network, "NETWORKING=yes\nIPADDR=1.2.3.4\n");
        assert_eq!(
            network[0].2,
            "`IPADDR` belongs in /etc/sysconfig/network-scripts/ifcfg-DEVICE"
        );
    }

    #[test]
    fn values_initscripts_would_misread() {
        let text = "ONBOOT=false\nBOOTPROTO=manual\nTYPE=bridge\nHWADDR=00:1B:21:0A:0B\nNM_CONTROLLED=maybe\nONBOOT=YES\nTYPE=Ethernet\n";
        let got: Vec<(Option<usize>, String)> = lint(ConfigKind::Interface, ETH1, text)
            .into_iter()
            .map(|f| (f.line, f.error.to_string()))
            .collect();
        let want = [
            (1, "ONBOOT=false is not valid: initscripts treat only values starting with `no` as no, so this interface comes up at boot"),
            (2, "BOOTPROTO=manual is not valid: initscripts treat it as a static address (like none)"),
            (3, "TYPE=bridge is not valid: initscripts compare TYPE case-sensitively with `Bridge`"),
            (4, "HWADDR=00:1B:21:0A:0B is not valid: a MAC address is six two-digit hex numbers separated by colons"),
            (5, "NM_CONTROLLED=maybe is not valid: expected yes or no"),
        ];
        assert_eq!(got.len(), want.len(), "{got:?}");
        for ((line, message), (want_line, want_message)) in got.iter().zip(want) {
            assert_eq!(*line, Some(want_line));
            assert_eq!(message, &format!("{ETH1} line {want_line}: {want_message}"));
        }
    }

    fn read(text: &str, network: &str) -> (InterfaceConfig, Vec<(Option<usize>, String)>) {
        let vars = ShellVars::parse(ETH1, text);
        let network = ShellVars::parse(NETWORK_PATH, network);
        let (config, findings) = InterfaceConfig::read(ETH1, &vars, &network);
        (
            config,
            findings.iter().map(|f| (f.line, f.code())).collect(),
        )
    }

    #[test]
    fn addresses_follow_expand_config() {
        let (config, findings) = read(
            "IPADDR=10.10.1.11\nNETMASK=255.255.0.0\nPREFIX=24\nIPADDR2=10.10.1.12\nIPADDR3=10.10.1.255\nNETMASK3=255.255.255.0\nIPADDR5=10.10.1.15\n",
            "NETWORKING=yes\nGATEWAY=10.10.1.1\n",
        );
        assert_eq!(config.device, "eth1", "the file name names the device");
        let cidrs: Vec<String> = config
            .addresses
            .iter()
            .map(|a| a.cidr.to_string())
            .collect();
        assert_eq!(
            cidrs,
            ["10.10.1.11/24", "10.10.1.12/8", "10.10.1.255/24"],
            "PREFIX wins; IPADDR5 is past the gap"
        );
        assert_eq!(
            findings,
            [
                (Some(4), "kvmlab::net::classful_netmask".to_string()),
                (Some(5), "kvmlab::net::reserved_host_address".to_string()),
            ]
        );
        let gateway = config.gateway.unwrap();
        assert!(gateway.global, "GATEWAY comes from /etc/sysconfig/network");
        assert_eq!(
            (gateway.address, gateway.line),
            (Ipv4Addr::new(10, 10, 1, 1), 2)
        );
        assert!(config.onboot && config.defroute && config.arpcheck);
    }

    #[test]
    fn broken_values_skip_the_address() {
        let (config, findings) = read(
            "DEVICE=eth1\nONBOOT=No\nBOOTPROTO=dhcp\nIPADDR=10.10.1.311\nIPADDR1=10.10.1.12\nNETMASK1=255.0.255.0\nIPADDR2=10.10.1.13\nPREFIX2=40\nGATEWAY=10.10.1.x\nDEFROUTE=no\n",
            "",
        );
        assert!(config.addresses.is_empty());
        assert!(!config.onboot && !config.defroute);
        assert_eq!(config.dhcp_line, Some(3));
        assert_eq!(config.gateway, None);
        let lines: Vec<Option<usize>> = findings.iter().map(|f| f.0).collect();
        assert_eq!(lines, [Some(4), Some(6), Some(8), Some(9)]);
        assert!(findings
            .iter()
            .all(|f| f.1 == "kvmlab::net::bad_ifcfg_value"));
    }

    #[test]
    fn which_files_the_network_service_reads() {
        assert_eq!(
            interface_suffix("/etc/sysconfig/network-scripts/ifcfg-br0"),
            Some("br0")
        );
        for skipped in [
            "ifcfg-eth0.bak",
            "ifcfg-eth0~",
            "ifcfg-eth0:1",
            "ifcfg-eth0-range",
            "ifcfg-",
            "route-eth0",
        ] {
            assert_eq!(
                interface_suffix(&format!("{SCRIPTS_DIR}/{skipped}")),
                None,
                "{skipped}"
            );
        }
        assert_eq!(ConfigKind::of_path(NETWORK_PATH), Some(ConfigKind::Network));
        assert_eq!(ConfigKind::of_path("/etc/hosts"), None);
        assert_eq!(
            parse_mac("00:1b:21:0A:0b:0C"),
            Some([0, 0x1b, 0x21, 0x0a, 0x0b, 0x0c])
        );
        assert_eq!(parse_mac("00:1b:21:0A:0b:0C:00"), None);
        assert_eq!(parse_mac("0:1b:21:0A:0b:0C"), None);
    }

    #[test]
    fn no_panic_on_junk() {
        let mut seed = 0x1234_5678_9abc_def0u64;
        let alphabet: Vec<char> = "AZ=_\"'\\$#;() \t\n\r{}x09.:/-éI".chars().collect();
        for _ in 0..2000 {
            let text: String = (0..40)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    alphabet[(seed >> 33) as usize % alphabet.len()]
                })
                .collect();
            let _ = lint(ConfigKind::Interface, ETH1, &text);
            let _ = read(&text, &text);
        }
    }
}
