//! IPv4 subnet arithmetic on [`std::net::Ipv4Addr`]: the questions ifcfg files, switches and
//! routing ask ("which network is this address on?", "is the gateway on-link?").
//!
//! Parsing follows what the tools a trainee meets accept: dotted quads without leading zeros
//! (glibc's `inet_pton`, Python's `ipaddress`), prefix lengths 0–32, and netmasks whose one
//! bits are contiguous (`ipcalc` refuses the others).

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use crate::error::{Error, Result};

/// Parses a dotted quad such as `192.168.1.11`.
pub fn parse_addr(text: &str) -> Result<Ipv4Addr> {
    Ipv4Addr::from_str(text).map_err(|_| Error::BadAddress { text: text.into() })
}

/// Parses a prefix length: decimal digits only, 0 to 32.
pub fn parse_prefix(text: &str) -> Result<u8> {
    let bad = || Error::BadPrefix { text: text.into() };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    // Digits only, so the sole failure left is overflow; "024" is 24, as ipaddress reads it.
    match text.parse::<u64>() {
        Ok(p) if p <= 32 => Ok(p as u8),
        _ => Err(bad()),
    }
}

/// The netmask of a prefix length: 24 → 255.255.255.0. Lengths above 32 saturate to 32.
pub fn netmask(prefix: u8) -> Ipv4Addr {
    Ipv4Addr::from(mask_bits(prefix))
}

/// The prefix length of a netmask: 255.255.255.0 → 24. Non-contiguous masks are refused.
pub fn prefix_of_netmask(mask: Ipv4Addr) -> Result<u8> {
    let bits = u32::from(mask);
    let ones = bits.leading_ones();
    if bits.checked_shl(ones).unwrap_or(0) != 0 {
        let nearest = ones as u8;
        return Err(Error::NoncontiguousNetmask {
            mask: mask.to_string(),
            help: format!(
                "the one bits must come first; the nearest valid netmask is {} (/{nearest})",
                netmask(nearest)
            ),
        });
    }
    Ok(ones as u8)
}

/// Parses a netmask in dotted form (`255.255.255.0`) into a prefix length.
pub fn parse_netmask(text: &str) -> Result<u8> {
    prefix_of_netmask(parse_addr(text)?)
}

fn mask_bits(prefix: u8) -> u32 {
    match prefix {
        0 => 0,
        p if p >= 32 => u32::MAX,
        p => u32::MAX << (32 - p),
    }
}

/// An address together with its prefix length, like `192.168.1.11/24` on an interface.
/// The address may have host bits set; [`Ipv4Cidr::network_cidr`] clears them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4Cidr {
    addr: Ipv4Addr,
    prefix: u8,
}

impl serde::Serialize for Ipv4Cidr {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl Ipv4Cidr {
    /// `prefix` above 32 is refused.
    pub fn new(addr: Ipv4Addr, prefix: u8) -> Result<Ipv4Cidr> {
        if prefix > 32 {
            return Err(Error::BadPrefix {
                text: prefix.to_string(),
            });
        }
        Ok(Ipv4Cidr { addr, prefix })
    }

    /// For a prefix that [`parse_prefix`] or [`parse_netmask`] produced (so at most 32).
    pub(crate) fn from_parsed(addr: Ipv4Addr, prefix: u8) -> Ipv4Cidr {
        Ipv4Cidr {
            addr,
            prefix: prefix.min(32),
        }
    }

    /// Parses `a.b.c.d/len` or `a.b.c.d/255.255.255.0`.
    pub fn parse(text: &str) -> Result<Ipv4Cidr> {
        let Some((addr, suffix)) = text.split_once('/') else {
            return Err(Error::BadCidr { text: text.into() });
        };
        let addr = parse_addr(addr)?;
        let prefix = if suffix.contains('.') {
            parse_netmask(suffix)?
        } else {
            parse_prefix(suffix)?
        };
        Ok(Ipv4Cidr { addr, prefix })
    }

    /// Parses a network such as `192.168.1.0/24`: host bits must be zero, as a switch's or a
    /// route's destination is a network, not an address on it.
    pub fn parse_network(text: &str) -> Result<Ipv4Cidr> {
        let cidr = Ipv4Cidr::parse(text)?;
        cidr.check_network()?;
        Ok(cidr)
    }

    /// Refuses a network written with host bits set (`192.168.1.5/24`).
    pub fn check_network(&self) -> Result<()> {
        if self.addr != self.network() {
            return Err(Error::HostBitsSet {
                text: self.to_string(),
                network: self.network_cidr().to_string(),
            });
        }
        Ok(())
    }

    pub fn addr(&self) -> Ipv4Addr {
        self.addr
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    pub fn netmask(&self) -> Ipv4Addr {
        netmask(self.prefix)
    }

    /// The network address: the address with the host bits cleared.
    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) & mask_bits(self.prefix))
    }

    /// The broadcast address: the address with the host bits set.
    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) | !mask_bits(self.prefix))
    }

    /// The network this address is on, e.g. 192.168.1.11/24 → 192.168.1.0/24.
    pub fn network_cidr(&self) -> Ipv4Cidr {
        Ipv4Cidr {
            addr: self.network(),
            prefix: self.prefix,
        }
    }

    /// Whether `ip` lies on this network.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        let mask = mask_bits(self.prefix);
        u32::from(ip) & mask == u32::from(self.addr) & mask
    }

    /// Whether `other` is on the same network as this address, judged by this prefix: the
    /// test initscripts apply to a GATEWAY (`ipcalc --network GATEWAY NETMASK`).
    pub fn on_link(&self, other: Ipv4Addr) -> bool {
        self.contains(other)
    }

    /// Number of addresses on the network, 2^(32 − prefix).
    pub fn size(&self) -> u64 {
        1u64 << (32 - u32::from(self.prefix))
    }

    /// First and last usable host address. /31 has two usable addresses (RFC 3021) and /32
    /// one, as Python's `ipaddress` counts them; otherwise network and broadcast are excluded.
    pub fn host_range(&self) -> (Ipv4Addr, Ipv4Addr) {
        let (network, broadcast) = (u32::from(self.network()), u32::from(self.broadcast()));
        if self.prefix >= 31 {
            (Ipv4Addr::from(network), Ipv4Addr::from(broadcast))
        } else {
            (Ipv4Addr::from(network + 1), Ipv4Addr::from(broadcast - 1))
        }
    }

    /// Whether the address is this network's network or broadcast address, which an
    /// interface must not use (below /31, where those are ordinary hosts).
    pub fn reserved_role(&self) -> Option<&'static str> {
        if self.prefix >= 31 {
            None
        } else if self.addr == self.network() {
            Some("network")
        } else if self.addr == self.broadcast() {
            Some("broadcast")
        } else {
            None
        }
    }

    /// Whether two networks share any address.
    pub fn overlaps(&self, other: &Ipv4Cidr) -> bool {
        self.contains(other.network()) || other.contains(self.network())
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl FromStr for Ipv4Cidr {
    type Err = Error;

    fn from_str(text: &str) -> Result<Ipv4Cidr> {
        Ipv4Cidr::parse(text)
    }
}

/// The classful prefix initscripts fall back to when IPADDR has neither NETMASK nor PREFIX
/// (`ipcalc --netmask ADDRESS`): first octet up to 127 → /8, up to 191 → /16, else /24.
pub fn classful_prefix(addr: Ipv4Addr) -> u8 {
    match addr.octets()[0] {
        0..=127 => 8,
        128..=191 => 16,
        _ => 24,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(text: &str) -> Ipv4Cidr {
        Ipv4Cidr::parse(text).unwrap()
    }

    #[test]
    fn the_reports_networks() {
        let net1 = cidr("192.168.1.11/24");
        assert_eq!(net1.network(), Ipv4Addr::new(192, 168, 1, 0));
        assert_eq!(net1.broadcast(), Ipv4Addr::new(192, 168, 1, 255));
        assert_eq!(net1.netmask(), Ipv4Addr::new(255, 255, 255, 0));
        assert!(net1.on_link(Ipv4Addr::new(192, 168, 1, 1)));
        let eth1 = cidr("10.10.1.11/255.255.255.0");
        assert_eq!(eth1.prefix(), 24);
        assert!(
            !eth1.on_link(Ipv4Addr::new(192, 168, 1, 1)),
            "the report's eth1 GATEWAY is off-link"
        );
        let net2 = cidr("10.10.0.0/16");
        assert!(net2.contains(Ipv4Addr::new(10, 10, 1, 10)));
        assert_eq!(
            net2.host_range(),
            (Ipv4Addr::new(10, 10, 0, 1), Ipv4Addr::new(10, 10, 255, 254))
        );
        assert_eq!(net2.size(), 65536);
        assert!(net2.overlaps(&eth1));
        assert_eq!(eth1.network_cidr().to_string(), "10.10.1.0/24");
    }

    #[test]
    fn edges_of_the_prefix_range() {
        let all = cidr("10.1.2.3/0");
        assert_eq!(all.network(), Ipv4Addr::UNSPECIFIED);
        assert_eq!(all.broadcast(), Ipv4Addr::BROADCAST);
        assert_eq!(all.size(), 1 << 32);
        assert!(all.contains(Ipv4Addr::new(255, 0, 0, 1)));
        let one = cidr("10.1.2.3/32");
        assert_eq!(one.host_range(), (one.addr(), one.addr()));
        assert_eq!(one.reserved_role(), None);
        let pair = cidr("10.1.2.2/31");
        assert_eq!(
            pair.host_range(),
            (Ipv4Addr::new(10, 1, 2, 2), Ipv4Addr::new(10, 1, 2, 3))
        );
        assert_eq!(cidr("10.1.2.0/24").reserved_role(), Some("network"));
        assert_eq!(cidr("10.1.2.255/24").reserved_role(), Some("broadcast"));
        assert_eq!(
            cidr("1.2.3.4/024").prefix(),
            24,
            "leading zeros in a prefix are fine"
        );
    }

    #[test]
    fn netmasks_and_prefixes() {
        for p in 0..=32u8 {
            assert_eq!(prefix_of_netmask(netmask(p)).unwrap(), p);
        }
        assert_eq!(parse_netmask("255.255.240.0").unwrap(), 20);
        let e = parse_netmask("255.0.255.0").unwrap_err();
        assert_eq!(e.code_str(), "kvmlab::net::noncontiguous_netmask");
        assert_eq!(
            e.help_str().unwrap(),
            "the one bits must come first; the nearest valid netmask is 255.0.0.0 (/8)"
        );
        assert_eq!(classful_prefix(Ipv4Addr::new(10, 10, 1, 11)), 8);
        assert_eq!(classful_prefix(Ipv4Addr::new(172, 16, 0, 1)), 16);
        assert_eq!(classful_prefix(Ipv4Addr::new(192, 168, 1, 11)), 24);
        assert_eq!(classful_prefix(Ipv4Addr::new(224, 0, 0, 1)), 24);
    }

    #[test]
    fn bad_text_gets_its_code() {
        let cases = [
            ("192.168.1.0", "kvmlab::net::bad_cidr"),
            ("192.168.1.300/24", "kvmlab::net::bad_address"),
            ("01.2.3.4/8", "kvmlab::net::bad_address"),
            ("1.2.3.4/33", "kvmlab::net::bad_prefix"),
            ("1.2.3.4/+8", "kvmlab::net::bad_prefix"),
            ("1.2.3.4/", "kvmlab::net::bad_prefix"),
            ("1.2.3.4/99999999999999999999", "kvmlab::net::bad_prefix"),
            (
                "1.2.3.4/255.255.0.255",
                "kvmlab::net::noncontiguous_netmask",
            ),
        ];
        for (text, code) in cases {
            assert_eq!(
                Ipv4Cidr::parse(text).unwrap_err().code_str(),
                code,
                "{text}"
            );
        }
        let e = Ipv4Cidr::parse_network("192.168.1.11/24").unwrap_err();
        assert_eq!(e.code_str(), "kvmlab::net::host_bits_set");
        assert_eq!(e.help_str().unwrap(), "write 192.168.1.0/24");
        assert_eq!(
            Ipv4Cidr::new(Ipv4Addr::LOCALHOST, 33)
                .unwrap_err()
                .code_str(),
            "kvmlab::net::bad_prefix"
        );
    }
}
