//! Where a lab's real hosts are: the plain data the libvirt backend drives. A site names each
//! host with its libvirt URI (and the URI its migrations arrive on), the NAS whose LUN guests
//! use as shared storage, the guest images and the guests' network, and the folder real dir
//! pools go under. It comes from `--host NAME=URI` flags, from a `kvmlab up` lab's lab.toml,
//! or grows by a script's `connect(name, uri)`. Nothing here links libvirt.

use crate::error::{Error, Result};
use std::path::PathBuf;

/// The folder under which real dir pools go when the site does not say (a host's own disk).
pub const DEFAULT_POOL_ROOT: &str = "/var/lib/libvirt/images/kvmlab";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub hosts: Vec<SiteHost>,
    pub nas: Option<SiteNas>,
    pub images: Option<SiteImages>,
    pub network: Option<SiteNetwork>,
    /// The network namespace the hosts' daemons and guests run in (a `kvmlab up` lab's).
    pub netns: Option<String>,
    /// Real dir pools go in `pool_root/HOST/POOL` (the model keeps the script's path).
    pub pool_root: PathBuf,
}

/// A real host: its name in labs, the URI kvmlab reaches its libvirtd at, and the URI its
/// incoming migrations use (its address on the lab's link, `tcp://10.20.0.3`), when
/// libvirt's default would not do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteHost {
    pub name: String,
    pub uri: String,
    pub migration_uri: Option<String>,
}

/// The NAS's iSCSI LUN as QEMU's own initiator reaches it from the hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteNas {
    pub host: String,
    pub port: u16,
    pub iqn: String,
    pub lun: u32,
}

impl SiteNas {
    /// `iscsi://HOST[:PORT]/IQN/LUN`, as QEMU names an iSCSI LUN (port 3260 when none).
    pub fn parse(uri: &str) -> Result<SiteNas> {
        let bad = |reason: &str| Error::LibvirtBadNasUri {
            uri: uri.into(),
            reason: reason.into(),
        };
        let rest = uri
            .strip_prefix("iscsi://")
            .ok_or_else(|| bad("it does not begin with `iscsi://`"))?;
        let (portal, path) = rest
            .split_once('/')
            .ok_or_else(|| bad("it names no target after the portal"))?;
        let (host, port) = match portal.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| bad("its port is not a number from 1 to 65535"))?,
            ),
            None => (portal, 3260),
        };
        if host.is_empty() || !is_host_name(host) {
            return Err(bad("it names no portal host"));
        }
        let (iqn, lun) = path
            .rsplit_once('/')
            .ok_or_else(|| bad("it names no LUN after the target"))?;
        if !iqn.starts_with("iqn.") || iqn.contains(char::is_whitespace) {
            return Err(bad(
                "its target is not an IQN (`iqn.YYYY-MM.reversed.domain:name`)",
            ));
        }
        let lun = lun
            .parse::<u32>()
            .map_err(|_| bad("its LUN is not a number"))?;
        Ok(SiteNas {
            host: host.into(),
            port,
            iqn: iqn.into(),
            lun,
        })
    }
}

/// Guest images: the purpose-built workload kernel and the small Linux that serves files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteImages {
    pub workload_kernel: PathBuf,
    /// libvirt's domain type that boots the workload kernel here: `kvm` or `qemu`.
    pub workload_domain_type: String,
    pub linux_kernel: Option<PathBuf>,
    pub linux_initramfs: Option<PathBuf>,
    pub linux_domain_type: String,
}

/// The bridge guests' cards join on every host, and the addresses guests get on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteNetwork {
    pub bridge: String,
    pub gateway: String,
    pub prefix: u8,
    pub first_guest: String,
}

impl SiteNetwork {
    /// The address of the lab's guest number `index` (from 0) on the bridge: `first_guest`
    /// and up, with the prefix, e.g. `10.20.0.12/24`; `None` past the network's last host.
    pub fn guest_address(&self, index: usize) -> Option<String> {
        let first: std::net::Ipv4Addr = self.first_guest.parse().ok()?;
        let gateway: std::net::Ipv4Addr = self.gateway.parse().ok()?;
        let host_bits = 32u32.checked_sub(u32::from(self.prefix))?;
        let mask = u32::MAX.checked_shl(host_bits).unwrap_or(0);
        let address = u32::from(first).checked_add(u32::try_from(index).ok()?)?;
        let broadcast = (u32::from(gateway) & mask) | !mask;
        (address & mask == u32::from(gateway) & mask && address < broadcast)
            .then(|| format!("{}/{}", std::net::Ipv4Addr::from(address), self.prefix))
    }
}

impl Default for Site {
    fn default() -> Self {
        Site {
            hosts: Vec::new(),
            nas: None,
            images: None,
            network: None,
            netns: None,
            pool_root: PathBuf::from(DEFAULT_POOL_ROOT),
        }
    }
}

impl Site {
    /// A site of the hosts `--host NAME=URI` names, in the order given.
    pub fn from_host_flags(flags: &[String]) -> Result<Site> {
        let mut site = Site::default();
        site.add_host_flags(flags)?;
        Ok(site)
    }

    /// Adds the hosts `--host NAME=URI` flags name.
    pub fn add_host_flags(&mut self, flags: &[String]) -> Result<()> {
        for flag in flags {
            let bad = |reason: &str| Error::LibvirtBadHostFlag {
                flag: flag.clone(),
                reason: reason.into(),
            };
            let (name, uri) = flag
                .split_once('=')
                .ok_or_else(|| bad("has no `=`: it names no URI"))?;
            self.add_host(name, uri)?;
        }
        Ok(())
    }

    /// Adds a host, refusing a name that is not a host name, a URI libvirt cannot parse as
    /// one, and a name the site already has.
    pub fn add_host(&mut self, name: &str, uri: &str) -> Result<()> {
        let bad = |reason: String| Error::LibvirtBadHostFlag {
            flag: format!("{name}={uri}"),
            reason,
        };
        if !is_host_name(name) {
            return Err(bad(format!(
                "names the host `{name}`: a host name is letters, digits, `-`, `_` and `.`"
            )));
        }
        if !is_libvirt_uri(uri) {
            return Err(bad(format!(
                "gives `{uri}`, which is not a libvirt URI (DRIVER[+TRANSPORT]://[HOST]/PATH)"
            )));
        }
        if self.host(name).is_some() {
            return Err(bad(format!("names `{name}` a second time")));
        }
        self.hosts.push(SiteHost {
            name: name.into(),
            uri: uri.into(),
            migration_uri: None,
        });
        Ok(())
    }

    /// Sets the NAS from `--nas iscsi://HOST[:PORT]/IQN/LUN`, the LUN every host's QEMU
    /// reaches with its own iSCSI initiator.
    pub fn set_nas(&mut self, uri: &str) -> Result<()> {
        self.nas = Some(SiteNas::parse(uri)?);
        Ok(())
    }

    pub fn host(&self, name: &str) -> Option<&SiteHost> {
        self.hosts.iter().find(|h| h.name == name)
    }

    /// The site's host names, for messages: `sv1, sv2`, or `none`.
    pub fn host_names(&self) -> String {
        if self.hosts.is_empty() {
            return "none".into();
        }
        self.hosts
            .iter()
            .map(|h| h.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The refusal for a lab's `host(name, ...)` that the site does not have.
    pub fn unknown_host(&self, name: &str) -> Error {
        let near = crate::suggest::closest(name, self.hosts.iter().map(|h| h.name.as_str()));
        let did_you_mean = near.map_or(String::new(), |n| format!("did you mean `{n}`? "));
        Error::LibvirtUnknownHost {
            host: name.into(),
            known: self.host_names(),
            help: format!(
                "{did_you_mean}give it on the command line, `--host {name}=qemu+ssh://root@{name}/system`, or in the lab: `connect(\"{name}\", \"qemu+ssh://root@{name}/system\")`"
            ),
        }
    }
}

/// Refuses what is not a libvirt URI, as `connect(name, uri)` is given it.
pub fn check_uri(uri: &str) -> Result<()> {
    if is_libvirt_uri(uri) {
        Ok(())
    } else {
        Err(Error::LibvirtBadUri { uri: uri.into() })
    }
}

fn is_host_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// `driver[+transport]://[host]/path[?query]`, as `virConnectOpen` takes it.
fn is_libvirt_uri(uri: &str) -> bool {
    let Some((scheme, rest)) = uri.split_once("://") else {
        return false;
    };
    let scheme_ok = !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-');
    scheme_ok && rest.contains('/') && !uri.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    #[test]
    fn guests_get_addresses_from_the_first_until_the_network_ends() {
        let net = super::SiteNetwork {
            bridge: "kvmlab0".into(),
            gateway: "10.20.0.1".into(),
            prefix: 24,
            first_guest: "10.20.0.10".into(),
        };
        assert_eq!(net.guest_address(0).as_deref(), Some("10.20.0.10/24"));
        assert_eq!(net.guest_address(2).as_deref(), Some("10.20.0.12/24"));
        assert_eq!(net.guest_address(244).as_deref(), Some("10.20.0.254/24"));
        assert_eq!(net.guest_address(245), None, "the broadcast address");
        assert_eq!(net.guest_address(usize::MAX), None);
    }

    #[test]
    fn a_nas_flag_names_the_portal_target_and_lun() {
        let nas =
            super::SiteNas::parse("iscsi://192.168.0.240/iqn.2006-01.com.thecus:iscsi1/1").unwrap();
        assert_eq!(
            (nas.host.as_str(), nas.port, nas.iqn.as_str(), nas.lun),
            ("192.168.0.240", 3260, "iqn.2006-01.com.thecus:iscsi1", 1)
        );
        let nas =
            super::SiteNas::parse("iscsi://nas:3261/iqn.2006-01.com.thecus:iscsi1/2").unwrap();
        assert_eq!((nas.host.as_str(), nas.port, nas.lun), ("nas", 3261, 2));
        for (uri, reason) in [
            (
                "nas/iqn.2006-01.com.thecus:iscsi1/1",
                "does not begin with `iscsi://`",
            ),
            ("iscsi://nas", "names no target"),
            (
                "iscsi://nas:0/iqn.2006-01.com.thecus:iscsi1/1",
                "port is not a number",
            ),
            ("iscsi://nas/iqn.2006-01.com.thecus:iscsi1", "names no LUN"),
            ("iscsi://nas/disk/1", "not an IQN"),
            (
                "iscsi://nas/iqn.2006-01.com.thecus:iscsi1/one",
                "LUN is not a number",
            ),
        ] {
            let error = super::SiteNas::parse(uri).unwrap_err();
            assert_eq!(error.code_str(), "kvmlab::libvirt::bad_nas_uri", "{uri}");
            assert!(error.to_string().contains(reason), "{uri}: {error}");
        }
    }

    use super::*;

    fn flags(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn host_flags_name_the_hosts_in_order() {
        let site = Site::from_host_flags(&flags(&[
            "sv1=qemu+ssh://root@sv1/system",
            "sv2=qemu+tcp://10.10.1.12/system",
        ]))
        .unwrap();
        assert_eq!(site.host_names(), "sv1, sv2");
        assert_eq!(
            site.host("sv2").unwrap().uri,
            "qemu+tcp://10.10.1.12/system"
        );
        assert_eq!(site.pool_root, PathBuf::from(DEFAULT_POOL_ROOT));
        assert!(site.nas.is_none() && site.images.is_none());
    }

    #[test]
    fn a_bad_host_flag_says_what_is_wrong_with_it() {
        let cases = [
            ("sv1", "`--host sv1` has no `=`: it names no URI"),
            (
                "sv1=localhost",
                "`--host sv1=localhost` gives `localhost`, which is not a libvirt URI (DRIVER[+TRANSPORT]://[HOST]/PATH)",
            ),
            (
                "s v1=qemu:///system",
                "`--host s v1=qemu:///system` names the host `s v1`: a host name is letters, digits, `-`, `_` and `.`",
            ),
        ];
        for (flag, message) in cases {
            let error = Site::from_host_flags(&flags(&[flag])).unwrap_err();
            assert_eq!(error.code_str(), "kvmlab::libvirt::bad_host_flag");
            assert_eq!(error.to_string(), message);
        }
        let twice = Site::from_host_flags(&flags(&["sv1=qemu:///system", "sv1=qemu:///session"]))
            .unwrap_err();
        assert_eq!(
            twice.to_string(),
            "`--host sv1=qemu:///session` names `sv1` a second time"
        );
    }

    #[test]
    fn an_unknown_host_names_the_sites_hosts_and_how_to_add_it() {
        let site = Site::from_host_flags(&flags(&["sv1=qemu:///system"])).unwrap();
        let error = site.unknown_host("sv11");
        assert_eq!(error.code_str(), "kvmlab::libvirt::unknown_host");
        assert_eq!(
            error.to_string(),
            "the real lab has no host `sv11`; its hosts: sv1"
        );
        assert_eq!(
            error.help_str().unwrap(),
            "did you mean `sv1`? give it on the command line, `--host sv11=qemu+ssh://root@sv11/system`, or in the lab: `connect(\"sv11\", \"qemu+ssh://root@sv11/system\")`"
        );
    }
}
