//! The guests' network: a Linux bridge in the lab's namespace holding the NAS's address, which
//! each host's link joins, and a bridge of the same name in each host's namespace holding the
//! host's address, which its guests' cards join (libvirt's `<interface type='bridge'>`), so a
//! guest reads the same on either host and moves between them. The bridges live and die with
//! their namespaces, so `down` needs no step of its own for them.

use super::lab_file::NetworkEntry;
use super::namespace::run;
use kvmlab_runtime::error::Error;
use std::path::Path;
use std::process::Command;

pub const BRIDGE: &str = "kvmlab0";
pub const GATEWAY: &str = "10.20.0.1";
pub const PREFIX: u8 = 24;
/// Guests get 10.20.0.10, .11, …: the low addresses stay free for the NAS and the hosts.
pub const FIRST_GUEST: &str = "10.20.0.10";

/// The lab's bridge as lab.toml names it.
pub fn entry() -> NetworkEntry {
    NetworkEntry {
        bridge: BRIDGE.into(),
        gateway: GATEWAY.into(),
        prefix: PREFIX,
        first_guest: FIRST_GUEST.into(),
    }
}

/// Creates the bridge `name` in the namespace `netns` with `address/prefix` and brings it up.
/// Its MAC address is set ([`mac_of`]): a bridge left to itself takes the lowest of its
/// ports' addresses and changes it as guests' cards join and leave, and every neighbour's
/// ARP entry for the host goes stale with each change.
pub fn create(
    ip: &Path,
    netns: &str,
    name: &str,
    address: &str,
    prefix: u8,
) -> Result<(), Box<Error>> {
    run(Command::new(ip).args([
        "-n",
        netns,
        "link",
        "add",
        name,
        "address",
        &mac_of(address),
        "type",
        "bridge",
    ]))?;
    run(Command::new(ip).args([
        "-n",
        netns,
        "addr",
        "add",
        &format!("{address}/{prefix}"),
        "dev",
        name,
    ]))?;
    run(Command::new(ip).args(["-n", netns, "link", "set", name, "up"])).map(drop)
}

/// The fixed, locally administered MAC address of the bridge holding the IPv4 `address`:
/// `02:6b:76` (`kv`) and the address's last three bytes, so each host's differs and a lab
/// brought up again has the same ones.
pub fn mac_of(address: &str) -> String {
    let bytes: Vec<u8> = address.split('.').filter_map(|b| b.parse().ok()).collect();
    let low = &bytes[bytes.len().saturating_sub(3)..];
    let mut mac = String::from("02:6b:76");
    for byte in low {
        mac.push_str(&format!(":{byte:02x}"));
    }
    mac
}

/// The IPv4 address with its prefix, e.g. `10.20.0.1/24`, of the bridge `name` in `netns`,
/// if it exists.
pub fn address(ip: &Path, netns: &str, name: &str) -> Option<String> {
    let text =
        run(Command::new(ip).args(["-n", netns, "-4", "-o", "addr", "show", "dev", name])).ok()?;
    text.split_whitespace()
        .skip_while(|word| *word != "inet")
        .nth(1)
        .map(str::to_string)
}
