//! The guests' network: a Linux bridge inside the lab's namespace holding the host side's
//! address, which guests' cards join (libvirt's `<interface type='bridge'>`). It lives and
//! dies with the namespace, so `down` needs no step of its own for it.

use super::lab_file::NetworkEntry;
use super::layout::NETNS;
use super::namespace::run;
use kvmlab_runtime::error::Error;
use std::path::Path;
use std::process::Command;

pub const BRIDGE: &str = "kvmlab0";
pub const GATEWAY: &str = "10.20.0.1";
pub const PREFIX: u8 = 24;
/// Guests get 10.20.0.10, .11, …: the low addresses stay free for the host side.
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

/// Creates the bridge `name` in the namespace with `address/prefix` and brings it up.
pub fn create(ip: &Path, name: &str, address: &str, prefix: u8) -> Result<(), Box<Error>> {
    run(Command::new(ip).args(["-n", NETNS, "link", "add", name, "type", "bridge"]))?;
    run(Command::new(ip).args([
        "-n",
        NETNS,
        "addr",
        "add",
        &format!("{address}/{prefix}"),
        "dev",
        name,
    ]))?;
    run(Command::new(ip).args(["-n", NETNS, "link", "set", name, "up"])).map(drop)
}

/// The bridge's IPv4 address with its prefix, e.g. `10.20.0.1/24`, if it exists.
pub fn address(ip: &Path, name: &str) -> Option<String> {
    let text =
        run(Command::new(ip).args(["-n", NETNS, "-4", "-o", "addr", "show", "dev", name])).ok()?;
    text.split_whitespace()
        .skip_while(|word| *word != "inet")
        .nth(1)
        .map(str::to_string)
}
