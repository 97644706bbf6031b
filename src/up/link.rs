//! Each host's link to the lab: a veth pair, one end (`kv-sv1`) a port of the bridge in the
//! lab's namespace, the other (`eth0`) a port of the host's own bridge in the host's
//! namespace, as a host's card is cabled to a switch. Everything between the hosts, and
//! between a host and the NAS, crosses it: `ip -n kvmlab link set kv-sv2 down` unplugs sv2.

use super::bridge;
use super::layout::{HostPlan, HOST_CARD, NETNS};
use super::namespace::run;
use kvmlab_runtime::error::Error;
use std::path::Path;
use std::process::Command;

/// Cables `host`, whose namespace exists, to the lab's bridge, and gives it its address on
/// its own bridge.
pub fn create(ip: &Path, host: &HostPlan) -> Result<(), Box<Error>> {
    run(Command::new(ip).args([
        "-n", NETNS, "link", "add", host.link, "type", "veth", "peer", "name", HOST_CARD, "netns",
        host.netns,
    ]))?;
    run(Command::new(ip).args([
        "-n",
        NETNS,
        "link",
        "set",
        host.link,
        "master",
        bridge::BRIDGE,
        "up",
    ]))?;
    bridge::create(ip, host.netns, bridge::BRIDGE, host.address, bridge::PREFIX)?;
    run(Command::new(ip).args([
        "-n",
        host.netns,
        "link",
        "set",
        HOST_CARD,
        "master",
        bridge::BRIDGE,
        "up",
    ]))
    .map(drop)
}

/// Whether the link `name` in the lab's namespace is set up (None: there is no such link).
pub fn is_up(ip: &Path, name: &str) -> Option<bool> {
    let text = run(Command::new(ip).args(["-n", NETNS, "-o", "link", "show", "dev", name])).ok()?;
    Some(is_up_in(&text))
}

/// Whether `ip -o link show`'s line has the UP flag (set up, cable in or not).
fn is_up_in(line: &str) -> bool {
    line.split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .is_some_and(|(flags, _)| flags.split(',').any(|flag| flag == "UP"))
}

/// Deletes the link `name` (both its ends); false when it was not there.
pub fn delete(ip: &Path, name: &str) -> bool {
    is_up(ip, name).is_some()
        && run(Command::new(ip).args(["-n", NETNS, "link", "delete", name])).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::up::layout::{HOSTS, PORTAL};

    #[test]
    fn the_up_flag_is_read_from_ip_links_line() {
        assert!(is_up_in(
            "5: kv-sv2@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master kvmlab0 state UP"
        ));
        assert!(!is_up_in(
            "5: kv-sv2@if2: <BROADCAST,MULTICAST> mtu 1500 master kvmlab0 state DOWN"
        ));
        assert!(!is_up_in(
            "5: kv-sv2@if2: <BROADCAST,MULTICAST,LOWER_UP> mtu 1500"
        ));
    }

    #[test]
    fn the_hosts_and_the_nas_have_their_own_addresses_below_the_guests() {
        assert_eq!(PORTAL, format!("{}:3260", bridge::GATEWAY));
        let last = |address: &str| address.rsplit('.').next().unwrap().parse::<u8>().unwrap();
        let first_guest = last(bridge::FIRST_GUEST);
        let mut seen = vec![last(bridge::GATEWAY)];
        for host in HOSTS {
            assert!(host.address.starts_with("10.20.0."), "{}", host.address);
            assert!(last(host.address) < first_guest, "{}", host.address);
            assert!(!seen.contains(&last(host.address)), "{}", host.address);
            seen.push(last(host.address));
            // Linux names a network device in at most 15 bytes.
            assert!(host.link.len() <= 15 && host.netns.starts_with(NETNS));
        }
    }

    #[test]
    fn each_bridge_has_a_fixed_mac_address_of_its_own() {
        assert_eq!(bridge::mac_of(bridge::GATEWAY), "02:6b:76:14:00:01");
        assert_eq!(bridge::mac_of(HOSTS[1].address), "02:6b:76:14:00:03");
        assert_ne!(
            bridge::mac_of(HOSTS[0].address),
            bridge::mac_of(HOSTS[1].address)
        );
    }
}
