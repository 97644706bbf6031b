//! The kernel's interfaces and routes as RHEL 6's tools print them: `ip addr`, `ip link` and
//! `ip route` (iproute 2.6.32), `ifconfig`, `route` and `netstat -r` (net-tools 1.60) and
//! `brctl show` (bridge-utils 1.2). They only read the host's network stack; changes go through the ifcfg files and
//! `ifup`, `ifdown` or `service network restart`, as on the report's servers.
//!
//! The model keeps no packet counters, so ifconfig's RX and TX lines are zeros; it has no
//! IPv6, so no `inet6` lines; and a card that is down shows `qdisc noop` whether or not it
//! was ever up.

use super::options;
use crate::error::Error;
use crate::shell::exec::{Output, Shell};
use crate::world::net::hosts_file::HostsFile;
use crate::world::node::{Interface, InterfaceKind, NetStack, RouteRow};

/// `ip` without an object, as iproute 2.6.32 answers it (status 255).
const IP_USAGE: &str = "Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n       ip [ -force ] -batch filename\nwhere  OBJECT := { link | addr | addrlabel | route | rule | neigh | ntable |\n                   tunnel | maddr | mroute | monitor | xfrm }\n       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] | -r[esolve] |\n                    -f[amily] { inet | inet6 | ipx | dnet | link } |\n                    -o[neline] | -t[imestamp] | -b[atch] [filename] |\n                    -rc[vbuf] [size]}\n";

/// What the prompt's `ip` runs, for the refusal of the rest.
const IP_SUPPORTED: &str =
    "the prompt runs `ip addr [show [dev] IFACE]`, `ip link [show [dev] IFACE]` and `ip route [show]`";

/// The ifcfg way to change what `ip` and `ifconfig` would change by hand.
const IFCFG_WAY: &str = "change an interface through its file, /etc/sysconfig/network-scripts/ifcfg-IFACE, then `ifup IFACE` (or `service network restart`), as the report does";

#[derive(Clone, Copy, PartialEq)]
enum Object {
    Address,
    Link,
    Route,
}

/// `ip addr`, `ip link`, `ip route`, each with `show` or `list` (or none) and, for the first
/// two, an optional `[dev] IFACE`. Objects and commands may be shortened as iproute allows.
pub fn ip(shell: &mut Shell, args: &[String], _: &str) -> Output {
    let Some((object, rest)) = args.split_first() else {
        return Output::failed(255, IP_USAGE);
    };
    let abbreviates = |word: &str, full: &str| !word.is_empty() && full.starts_with(word);
    let object = if abbreviates(object, "address") {
        Object::Address
    } else if abbreviates(object, "route") {
        Object::Route
    } else if abbreviates(object, "link") {
        Object::Link
    } else if object.starts_with('-')
        || ["rule", "neigh", "maddr", "tunnel", "monitor"]
            .iter()
            .any(|o| abbreviates(object, o))
    {
        return ip_unsupported(shell, &args.join(" "));
    } else {
        return Output::failed(
            255,
            format!("Object \"{object}\" is unknown, try \"ip help\".\n"),
        );
    };
    let filter = match rest.split_first() {
        None => rest,
        Some((c, filter)) if abbreviates(c, "show") || abbreviates(c, "list") || c == "lst" => {
            filter
        }
        Some(_) => return ip_unsupported(shell, &args.join(" ")),
    };
    let stack = shell.backend.world().host(shell.host).net();
    if object == Object::Route {
        if !filter.is_empty() {
            return ip_unsupported(shell, &args.join(" "));
        }
        return Output::ok(ip_route(&stack.route_rows()));
    }
    let device = match filter {
        [] => None,
        [dev] | [_, dev] if filter.len() == 1 || filter[0] == "dev" => Some(dev.as_str()),
        _ => return ip_unsupported(shell, &args.join(" ")),
    };
    let shown: Vec<(usize, &Interface)> = stack
        .interfaces
        .iter()
        .enumerate()
        .filter(|(_, i)| device.is_none_or(|d| i.name == d))
        .collect();
    if let (Some(device), true) = (device, shown.is_empty()) {
        return Output::failed(1, format!("Device \"{device}\" does not exist.\n"));
    }
    let mut text = String::new();
    for (at, iface) in shown {
        text.push_str(&link_lines(stack, at + 1, iface));
        if object == Object::Address {
            text.push_str(&address_lines(iface));
        }
    }
    Output::ok(text)
}

fn ip_unsupported(shell: &mut Shell, typed: &str) -> Output {
    let error = Error::ShellUnsupported {
        what: format!("`ip {typed}` is not run here: {IP_SUPPORTED}"),
        help: format!("{IFCFG_WAY}; `ip` here only shows"),
    };
    shell.failure("ip", error)
}

/// The main table in the order RHEL 6's kernel (fib_hash) dumps it to iproute and to
/// /proc/net/route: longest prefix first (by address within a length), the default last.
fn kernel_order(rows: &[RouteRow]) -> Vec<&RouteRow> {
    let mut rows: Vec<&RouteRow> = rows.iter().collect();
    rows.sort_by_key(|r| {
        (
            std::cmp::Reverse(r.route.destination.prefix()),
            r.route.destination.network(),
        )
    });
    rows
}

/// `ip route`: the kernel's table, fields two spaces apart as iproute prints them.
pub fn ip_route(rows: &[RouteRow]) -> String {
    kernel_order(rows)
        .iter()
        .map(|row| {
            let r = &row.route;
            let mut line = if r.is_default() {
                "default ".to_string()
            } else {
                format!("{} ", r.destination)
            };
            if let Some(via) = r.via {
                line.push_str(&format!("via {via} "));
            }
            line.push_str(&format!("dev {} ", r.dev));
            if r.via.is_none() && !r.is_default() {
                line.push_str(" proto kernel  scope link ");
            }
            if let Some(src) = r.src {
                line.push_str(&format!(" src {src} "));
            }
            line.push('\n');
            line
        })
        .collect()
}

/// Which columns net-tools prints after the flags: `route`'s metric, references and uses,
/// or `netstat -r`'s (and `route -e`'s) MSS, window and initial RTT.
#[derive(Clone, Copy, PartialEq)]
enum RouteColumns {
    Usage,
    Tcp,
}

/// net-tools 1.60's routing table (lib/inet_gr.c). Without `numeric`, the default route is
/// `default`, an on-link route's gateway `*`, and a gateway /etc/hosts names is its name
/// (the lab has no DNS to ask for the rest, so those stay numbers).
fn net_tools_routes(
    rows: &[RouteRow],
    numeric: bool,
    columns: RouteColumns,
    hosts: Option<&HostsFile>,
) -> String {
    let mut text = String::from("Kernel IP routing table\n");
    text.push_str(match columns {
        RouteColumns::Usage => {
            "Destination     Gateway         Genmask         Flags Metric Ref    Use Iface\n"
        }
        RouteColumns::Tcp => {
            "Destination     Gateway         Genmask         Flags   MSS Window  irtt Iface\n"
        }
    });
    for row in kernel_order(rows) {
        let r = &row.route;
        let destination = if r.is_default() && !numeric {
            "default".to_string()
        } else {
            r.destination.network().to_string()
        };
        let gateway = match r.via {
            None if numeric => "0.0.0.0".to_string(),
            None => "*".to_string(),
            Some(via) if numeric => via.to_string(),
            Some(via) => hosts
                .and_then(|h| h.name_of(via))
                .map_or(via.to_string(), |name| name.chars().take(15).collect()),
        };
        let flags = if r.via.is_some() { "UG" } else { "U" };
        let mask = r.destination.netmask();
        text.push_str(&match columns {
            RouteColumns::Usage => format!(
                "{destination:<15} {gateway:<15} {mask:<15} {flags:<5} {:<6} {:<3} {:>6} {}\n",
                0, 0, 0, r.dev
            ),
            RouteColumns::Tcp => format!(
                "{destination:<15} {gateway:<15} {mask:<15} {flags:<5} {:>5} {:<6} {:>5} {}\n",
                0, 0, 0, r.dev
            ),
        });
    }
    text
}

/// The command as typed, for a refusal that quotes it.
fn typed_line(tool: &str, args: &[String]) -> String {
    std::iter::once(tool)
        .chain(args.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `route [-n] [-e]`: the table; `route add` and `route del` are refused, since the
/// report's routes come from the ifcfg files.
pub fn route(shell: &mut Shell, args: &[String], _: &str) -> Output {
    let typed = typed_line("route", args);
    let args = match options(shell, "route", args, "ne", "") {
        Ok(a) => a,
        Err(out) => return out,
    };
    if !args.operands.is_empty() {
        let error = Error::ShellUnsupported {
            what: format!(
                "`{typed}` is not run here: the prompt runs `route`, `route -n` and `route -e`, to show"
            ),
            help: format!("a default route is GATEWAY= in the file of the interface whose network holds the gateway; {IFCFG_WAY}"),
        };
        return shell.failure("route", error);
    }
    let host = shell.backend.world().host(shell.host);
    let columns = if args.has('e') {
        RouteColumns::Tcp
    } else {
        RouteColumns::Usage
    };
    let hosts = host.hosts_file();
    Output::ok(net_tools_routes(
        &host.net().route_rows(),
        args.has('n'),
        columns,
        hosts.as_ref(),
    ))
}

/// `netstat -r [-n]`: the routing table with netstat's TCP columns; the lab keeps no sockets,
/// so the rest of netstat is refused.
pub fn netstat(shell: &mut Shell, args: &[String], _: &str) -> Output {
    let typed = typed_line("netstat", args);
    let args = match options(shell, "netstat", args, "nr", "") {
        Ok(a) => a,
        Err(out) => return out,
    };
    if !args.has('r') || !args.operands.is_empty() {
        let error = Error::ShellUnsupported {
            what: format!("`{typed}` is not run here: the prompt runs `netstat -r` and `netstat -rn`, the routing table"),
            help: "the lab keeps no sockets to list; `service NAME status` says whether a daemon runs".into(),
        };
        return shell.failure("netstat", error);
    }
    let host = shell.backend.world().host(shell.host);
    let hosts = host.hosts_file();
    Output::ok(net_tools_routes(
        &host.net().route_rows(),
        args.has('n'),
        RouteColumns::Tcp,
        hosts.as_ref(),
    ))
}

/// The MAC an interface shows: its card's, a bridge's lowest port's (all zeros with no
/// port, as 2.6.32's bridges start), none for the loopback.
fn mac_of(stack: &NetStack, iface: &Interface) -> Option<String> {
    match iface.kind {
        InterfaceKind::Loopback => None,
        InterfaceKind::Ethernet => stack.nic(&iface.name).map(|n| n.mac.to_string()),
        InterfaceKind::Bridge => Some(
            bridge_ports(stack, &iface.name)
                .iter()
                .filter_map(|p| stack.nic(p).map(|n| n.mac))
                .min()
                .map_or_else(|| "00:00:00:00:00:00".to_string(), |m| m.to_string()),
        ),
    }
}

fn bridge_ports<'s>(stack: &'s NetStack, bridge: &str) -> Vec<&'s str> {
    let mut ports: Vec<&str> = stack
        .interfaces
        .iter()
        .filter(|i| i.master.as_deref() == Some(bridge))
        .map(|i| i.name.as_str())
        .collect();
    ports.sort_unstable();
    ports
}

fn mtu(iface: &Interface) -> u32 {
    if iface.kind == InterfaceKind::Loopback {
        16436
    } else {
        1500
    }
}

/// `N: NAME: <FLAGS> mtu .. qdisc .. [master ..] state .. [qlen ..]` and the `link/` line.
fn link_lines(stack: &NetStack, index: usize, iface: &Interface) -> String {
    let carrier = stack.has_carrier(iface);
    let mut flags = Vec::new();
    if iface.admin_up && !carrier {
        flags.push("NO-CARRIER");
    }
    if iface.kind == InterfaceKind::Loopback {
        flags.push("LOOPBACK");
    } else {
        flags.extend(["BROADCAST", "MULTICAST"]);
    }
    if iface.admin_up {
        flags.push("UP");
    }
    if carrier {
        flags.push("LOWER_UP");
    }
    let qdisc = match (iface.admin_up, iface.kind) {
        (false, _) => "noop",
        (true, InterfaceKind::Ethernet) => "pfifo_fast",
        (true, _) => "noqueue",
    };
    let master = iface
        .master
        .as_ref()
        .map(|m| format!("master {m} "))
        .unwrap_or_default();
    // 2.6.32's loopback and bridges report no operational state of their own.
    let state = match iface.kind {
        InterfaceKind::Ethernet if carrier => "UP",
        _ if iface.admin_up && carrier => "UNKNOWN",
        _ => "DOWN",
    };
    let qlen = if iface.kind == InterfaceKind::Ethernet {
        "qlen 1000"
    } else {
        ""
    };
    let link = match mac_of(stack, iface) {
        None => "link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00".to_string(),
        Some(mac) => format!("link/ether {mac} brd ff:ff:ff:ff:ff:ff"),
    };
    format!(
        "{index}: {}: <{}> mtu {} qdisc {qdisc} {master}state {state} {qlen}\n    {link}\n",
        iface.name,
        flags.join(","),
        mtu(iface)
    )
}

/// An interface's `inet` lines; a second address on an earlier one's network is secondary.
fn address_lines(iface: &Interface) -> String {
    let mut text = String::new();
    for (i, address) in iface.addresses.iter().enumerate() {
        let secondary = iface.addresses[..i]
            .iter()
            .any(|earlier| earlier.network_cidr() == address.network_cidr());
        let (brd, scope) = if iface.kind == InterfaceKind::Loopback {
            (String::new(), "host")
        } else if address.prefix() < 31 {
            (format!("brd {} ", address.broadcast()), "global")
        } else {
            (String::new(), "global")
        };
        let secondary = if secondary { "secondary " } else { "" };
        text.push_str(&format!(
            "    inet {}/{} {brd}scope {scope} {secondary}{}\n",
            address.addr(),
            address.prefix(),
            iface.name
        ));
    }
    text
}

/// The order net-tools lists interfaces in: by name, numbers compared as numbers.
fn natural_order(name: &str) -> (String, u64, String) {
    let split = name
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(name.len());
    let (word, digits) = name.split_at(split);
    let number: String = digits.chars().take_while(char::is_ascii_digit).collect();
    (
        word.to_string(),
        number.parse().unwrap_or(0),
        name.to_string(),
    )
}

/// `ifconfig` (the interfaces that are up), `ifconfig -a` (all), `ifconfig IFACE`.
pub fn ifconfig(shell: &mut Shell, args: &[String], _: &str) -> Output {
    let all = args.first().is_some_and(|a| a == "-a");
    let operands = if all { &args[1..] } else { args };
    let device = match operands {
        [] => None,
        [device] if !device.starts_with('-') => Some(device.as_str()),
        _ => {
            let error = Error::ShellUnsupported {
                what: format!(
                    "`ifconfig {}` is not run here: the prompt runs `ifconfig`, `ifconfig -a` and `ifconfig IFACE`, to show",
                    args.join(" ")
                ),
                help: format!("to take an interface down or up, `ifdown IFACE` or `ifup IFACE`; {IFCFG_WAY}"),
            };
            return shell.failure("ifconfig", error);
        }
    };
    let stack = shell.backend.world().host(shell.host).net();
    let mut shown: Vec<&Interface> = stack
        .interfaces
        .iter()
        .filter(|i| match device {
            Some(d) => i.name == d,
            None => all || i.admin_up,
        })
        .collect();
    if let (Some(device), true) = (device, shown.is_empty()) {
        return Output::failed(
            1,
            format!("{device}: error fetching interface information: Device not found\n"),
        );
    }
    shown.sort_by_key(|i| natural_order(&i.name));
    Output::ok(
        shown
            .iter()
            .map(|iface| ifconfig_block(stack, iface))
            .collect::<String>(),
    )
}

fn ifconfig_block(stack: &NetStack, iface: &Interface) -> String {
    let loopback = iface.kind == InterfaceKind::Loopback;
    let mut text = match mac_of(stack, iface) {
        None => format!("{:<9} Link encap:Local Loopback  \n", iface.name),
        Some(mac) => format!(
            "{:<9} Link encap:Ethernet  HWaddr {}  \n",
            iface.name,
            mac.to_ascii_uppercase()
        ),
    };
    // ifconfig asks for one address per interface: the primary, never a secondary.
    if let Some(address) = iface.addresses.first() {
        let bcast = if loopback {
            String::new()
        } else {
            format!(" Bcast:{} ", address.broadcast())
        };
        text.push_str(&format!(
            "          inet addr:{} {bcast} Mask:{}\n",
            address.addr(),
            address.netmask()
        ));
    }
    let running = stack.has_carrier(iface);
    let mut flags = String::new();
    for (flag, on) in [
        ("UP", iface.admin_up),
        ("BROADCAST", !loopback),
        ("LOOPBACK", loopback),
        ("RUNNING", running),
        ("MULTICAST", !loopback),
    ] {
        if on {
            flags.push_str(flag);
            flags.push(' ');
        }
    }
    let txqueuelen = if iface.kind == InterfaceKind::Ethernet {
        1000
    } else {
        0
    };
    text.push_str(&format!(
        "          {flags} MTU:{}  Metric:1\n\
         \x20         RX packets:0 errors:0 dropped:0 overruns:0 frame:0\n\
         \x20         TX packets:0 errors:0 dropped:0 overruns:0 carrier:0\n\
         \x20         collisions:0 txqueuelen:{txqueuelen} \n\
         \x20         RX bytes:0 (0.0 b)  TX bytes:0 (0.0 b)\n\n",
        mtu(iface)
    ));
    text
}

/// `brctl show`: each bridge, its id (priority 8000 and its MAC), STP off as RHEL 6's ifcfg
/// files leave it, and its ports.
pub fn brctl(shell: &mut Shell, args: &[String], _: &str) -> Output {
    if args.len() != 1 || args[0] != "show" {
        let error = Error::ShellUnsupported {
            what: format!(
                "`brctl {}` is not run here: the prompt runs `brctl show`",
                args.join(" ")
            ),
            help: "a bridge is made by its ifcfg file (DEVICE=br0, TYPE=Bridge) and a card joins it with BRIDGE=br0 in the card's file; then `service network restart`".into(),
        };
        return shell.failure("brctl", error);
    }
    let stack = shell.backend.world().host(shell.host).net();
    let mut bridges: Vec<&Interface> = stack
        .interfaces
        .iter()
        .filter(|i| i.kind == InterfaceKind::Bridge)
        .collect();
    bridges.sort_by(|a, b| a.name.cmp(&b.name));
    let mut text = String::from("bridge name\tbridge id\t\tSTP enabled\tinterfaces\n");
    for bridge in bridges {
        let id = mac_of(stack, bridge).unwrap_or_default().replace(':', "");
        text.push_str(&format!("{}\t\t8000.{id}\tno\t\t", bridge.name));
        let ports = bridge_ports(stack, &bridge.name);
        match ports.split_first() {
            None => text.push('\n'),
            Some((first, rest)) => {
                text.push_str(&format!("{first}\n"));
                for port in rest {
                    text.push_str(&format!("\t\t\t\t\t\t\t{port}\n"));
                }
            }
        }
    }
    Output::ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::net::ip::Ipv4Cidr;
    use crate::world::node::Route;

    #[test]
    fn routes_are_listed_longest_prefix_first_with_iproutes_spacing() {
        let route = |dest: &str, via: Option<&str>, dev: &str, src: Option<&str>| RouteRow {
            route: Route {
                destination: Ipv4Cidr::parse(dest).unwrap(),
                via: via.map(|v| v.parse().unwrap()),
                dev: dev.into(),
                src: src.map(|s| s.parse().unwrap()),
            },
            linkdown: false,
        };
        let rows = [
            route("0.0.0.0/0", Some("192.168.1.1"), "br0", None),
            route("10.10.0.0/16", None, "eth1", Some("10.10.1.11")),
            route("192.168.1.0/24", None, "br0", Some("192.168.1.11")),
        ];
        assert_eq!(
            ip_route(&rows),
            "192.168.1.0/24 dev br0  proto kernel  scope link  src 192.168.1.11 \n\
             10.10.0.0/16 dev eth1  proto kernel  scope link  src 10.10.1.11 \n\
             default via 192.168.1.1 dev br0 \n"
        );
    }

    #[test]
    fn names_sort_as_net_tools_sorts_them() {
        let mut names = vec!["lo", "eth10", "eth2", "br0", "eth0"];
        names.sort_by_key(|n| natural_order(n));
        assert_eq!(names, ["br0", "eth0", "eth2", "eth10", "lo"]);
    }
}
