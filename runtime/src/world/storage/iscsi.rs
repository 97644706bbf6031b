//! iSCSI as open-iscsi's `iscsiadm` shows it: targets (name, LUNs, ACL, CHAP, portal), the
//! initiator's node records written by discovery, and sessions made by login.
//!
//! Login follows iscsiadm's order of checks: a node record must exist (discovery first), no
//! session may exist yet, then the target checks its ACL and CHAP. Discovery lists every
//! target the portal serves (sendtargets, as IET-based NAS firmware answers it); the ACL is
//! enforced at login. Hosts decide whether the portal is reachable and the service runs.

use std::fmt;
use std::net::Ipv4Addr;

use super::iqn::Iqn;
use crate::error::{Error, Result};
use crate::time::LabTime;

/// iSCSI's registered TCP port.
pub const ISCSI_PORT: u16 = 3260;

/// A target portal: address, TCP port and target portal group tag, printed by iscsiadm as
/// `10.10.1.10:3260,1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Portal {
    pub ip: Ipv4Addr,
    pub port: u16,
    pub tpgt: u16,
}

impl Portal {
    pub fn new(ip: Ipv4Addr) -> Portal {
        Portal {
            ip,
            port: ISCSI_PORT,
            tpgt: 1,
        }
    }

    /// Parses `"10.10.1.10"` or `"10.10.1.10:3260"`, as `iscsiadm --portal` takes it.
    pub fn parse(text: &str) -> Result<Portal> {
        let bad = || Error::BadPortal { text: text.into() };
        let (ip, port) = match text.trim().split_once(':') {
            Some((ip, port)) => (ip, port.parse::<u16>().map_err(|_| bad())?),
            None => (text.trim(), ISCSI_PORT),
        };
        if port == 0 {
            return Err(bad());
        }
        let ip: Ipv4Addr = ip.parse().map_err(|_| bad())?;
        Ok(Portal {
            port,
            ..Portal::new(ip)
        })
    }

    /// The form login messages use: `10.10.1.10,3260`.
    pub fn address_comma_port(&self) -> String {
        format!("{},{}", self.ip, self.port)
    }
}

impl fmt::Display for Portal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{},{}", self.ip, self.port, self.tpgt)
    }
}

/// CHAP credentials: what a target demands and what an initiator's node record presents.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Chap {
    pub user: String,
    #[serde(skip)]
    pub secret: String,
}

impl Chap {
    pub fn new(user: &str, secret: &str) -> Result<Chap> {
        if user.trim().is_empty() {
            return Err(Error::ChapUser);
        }
        let length = secret.chars().count();
        if !(12..=16).contains(&length) {
            return Err(Error::ChapSecretLength { length });
        }
        Ok(Chap {
            user: user.into(),
            secret: secret.into(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Lun {
    pub id: u32,
    pub size: u64,
}

/// A target on a NAS: its name, LUNs, who may log in, and how.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Target {
    pub iqn: Iqn,
    pub portal: Portal,
    pub luns: Vec<Lun>,
    /// Initiator names allowed to log in; empty means anyone may.
    pub acl: Vec<Iqn>,
    pub chap: Option<Chap>,
}

impl Target {
    /// A target with one LUN (LUN 0) of `size` bytes, open to every initiator, no CHAP.
    pub fn new(iqn: Iqn, portal: Portal, size: u64) -> Target {
        Target {
            iqn,
            portal,
            luns: vec![Lun { id: 0, size }],
            acl: Vec::new(),
            chap: None,
        }
    }

    /// Adds a LUN numbered after the last one; returns its number.
    pub fn add_lun(&mut self, size: u64) -> u32 {
        let id = self.luns.last().map_or(0, |lun| lun.id + 1);
        self.luns.push(Lun { id, size });
        id
    }

    pub fn allow(&mut self, initiator: Iqn) {
        if !self.acl.contains(&initiator) {
            self.acl.push(initiator);
        }
    }

    pub fn size(&self) -> u64 {
        self.luns.iter().map(|lun| lun.size).sum()
    }

    pub fn admits(&self, initiator: &Iqn) -> bool {
        self.acl.is_empty() || self.acl.contains(initiator)
    }

    /// The line sendtargets discovery prints for this target.
    pub fn discovery_line(&self) -> String {
        format!("{} {}", self.portal, self.iqn)
    }
}

/// What discovery writes into the initiator's node database; `iscsiadm -m node` lists them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NodeRecord {
    pub portal: Portal,
    pub target: Iqn,
    /// `node.session.auth.*`: the credentials this node presents at login.
    pub chap: Option<Chap>,
    /// `node.startup`: whether the iscsi service logs in to it at boot.
    pub automatic: bool,
}

impl NodeRecord {
    pub fn line(&self) -> String {
        format!("{} {}", self.portal, self.target)
    }
}

/// A logged-in session; each LUN became a SCSI disk on the host.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Session {
    pub sid: u32,
    pub portal: Portal,
    pub target: Iqn,
    pub luns: Vec<Lun>,
    /// Whether its connection carries traffic ([`crate::world::iscsi_paths`]).
    #[serde(skip)]
    pub path: SessionPath,
}

/// A session's connection as open-iscsi's recovery sees it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SessionPath {
    #[default]
    Up,
    /// Nothing has come back since `lost_at`: the kernel holds the I/O and iscsid keeps
    /// logging in again, until `fails_at`.
    Recovering { lost_at: LabTime, fails_at: LabTime },
    /// The replacement timeout passed: I/O to the session's disks fails until the path
    /// returns.
    Failed { lost_at: LabTime },
}

impl Session {
    /// What `iscsiadm -m session` prints: `tcp: [1] 10.10.1.10:3260,1 iqn… (non-flash)`.
    pub fn line(&self) -> String {
        format!(
            "tcp: [{}] {} {} (non-flash)",
            self.sid, self.portal, self.target
        )
    }

    pub fn login_messages(&self) -> [String; 2] {
        let what = format!(
            "[iface: default, target: {}, portal: {}]",
            self.target,
            self.portal.address_comma_port()
        );
        [
            format!("Logging in to {what} (multiple)"),
            format!("Login to {what} successful."),
        ]
    }

    pub fn logout_messages(&self) -> [String; 2] {
        let what = format!(
            "[sid: {}, target: {}, portal: {}]",
            self.sid,
            self.target,
            self.portal.address_comma_port()
        );
        [
            format!("Logging out of session {what}"),
            format!("Logout of {what} successful."),
        ]
    }
}

/// A host's open-iscsi initiator: its name (`/etc/iscsi/initiatorname.iscsi`), node records
/// and sessions. Records and names survive a reboot; sessions do not.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Initiator {
    pub name: Iqn,
    nodes: Vec<NodeRecord>,
    sessions: Vec<Session>,
    next_sid: u32,
    /// Targets whose session the last reboot ended, for help lines that say why a LUN went.
    ended_by_reboot: Vec<Iqn>,
}

impl Initiator {
    pub fn new(name: Iqn) -> Initiator {
        Initiator {
            name,
            nodes: Vec::new(),
            sessions: Vec::new(),
            next_sid: 1,
            ended_by_reboot: Vec::new(),
        }
    }

    /// sendtargets discovery against `portal`, given the targets the portal serves. Records
    /// a node for each (keeping credentials already set on a known node) and returns the
    /// lines iscsiadm prints, e.g. `10.10.1.10:3260,1 iqn.2006-01.com.openfiler:tsn.b5ffc134d692`.
    pub fn discover<'a>(
        &mut self,
        portal: Portal,
        served: impl IntoIterator<Item = &'a Target>,
    ) -> Vec<String> {
        let mut lines = Vec::new();
        for target in served {
            if target.portal.ip != portal.ip || target.portal.port != portal.port {
                continue;
            }
            lines.push(target.discovery_line());
            let known = self
                .nodes
                .iter()
                .any(|node| node.target == target.iqn && node.portal == target.portal);
            if !known {
                self.nodes.push(NodeRecord {
                    portal: target.portal,
                    target: target.iqn.clone(),
                    chap: None,
                    automatic: true,
                });
            }
        }
        lines
    }

    pub fn nodes(&self) -> &[NodeRecord] {
        &self.nodes
    }

    /// `iscsiadm -m node` output, one line per record.
    pub fn node_lines(&self) -> Vec<String> {
        self.nodes.iter().map(NodeRecord::line).collect()
    }

    pub fn sessions(&self) -> &[Session] {
        &self.sessions
    }

    pub fn session(&self, target: &Iqn) -> Option<&Session> {
        self.sessions.iter().find(|s| &s.target == target)
    }

    pub(crate) fn session_mut(&mut self, target: &Iqn) -> Option<&mut Session> {
        self.sessions.iter_mut().find(|s| &s.target == target)
    }

    /// `iscsiadm -m node -T TARGET -o update -n node.session.auth.*`: the credentials the
    /// node presents at login.
    pub fn set_chap(&mut self, target: &Iqn, chap: Option<Chap>) -> Result<()> {
        let node = self.node_mut(target)?;
        node.chap = chap;
        Ok(())
    }

    /// `node.startup = automatic | manual`.
    pub fn set_automatic(&mut self, target: &Iqn, automatic: bool) -> Result<()> {
        self.node_mut(target)?.automatic = automatic;
        Ok(())
    }

    /// The node record discovery made for `target`.
    pub fn node(&self, target: &Iqn) -> Result<&NodeRecord> {
        self.nodes
            .iter()
            .find(|node| &node.target == target)
            .ok_or_else(|| self.not_discovered(target))
    }

    fn node_mut(&mut self, target: &Iqn) -> Result<&mut NodeRecord> {
        let missing = self.not_discovered(target);
        self.nodes
            .iter_mut()
            .find(|node| &node.target == target)
            .ok_or(missing)
    }

    /// Whether the last reboot ended a session to `target` that no login has restored.
    pub fn lost_at_reboot(&self, target: &Iqn) -> bool {
        self.ended_by_reboot.contains(target)
    }

    /// Refuses a target discovery never found, naming the nearest one it did.
    fn not_discovered(&self, target: &Iqn) -> Error {
        let discovered: Vec<String> = self.nodes.iter().map(|n| n.target.to_string()).collect();
        let refs: Vec<&str> = discovered.iter().map(String::as_str).collect();
        let known = if refs.is_empty() {
            "no node records exist yet".to_string()
        } else {
            crate::suggest::help_for(target.as_str(), "known targets", &refs)
        };
        Error::NotDiscovered {
            target: target.to_string(),
            help: format!(
                "run discovery first (`iscsiadm --mode discovery --type sendtargets --portal ADDRESS`), then log in to a name it printed; {known}"
            ),
        }
    }

    /// `iscsiadm -m node -T TARGET --login`. `target` is the target as the NAS serves it now
    /// (its ACL and CHAP may have changed since discovery).
    pub fn login(&mut self, target: &Target) -> Result<&Session> {
        let node = self.node(&target.iqn)?;
        if let Some(session) = self.session(&target.iqn) {
            return Err(Error::AlreadyLoggedIn {
                target: target.iqn.to_string(),
                portal: session.portal.to_string(),
            });
        }
        if !target.admits(&self.name) {
            let allowed: Vec<String> = target.acl.iter().map(Iqn::to_string).collect();
            return Err(Error::AclDenied {
                target: target.iqn.to_string(),
                initiator: self.name.to_string(),
                help: format!(
                    "the target admits only {}; add `{}` (this host's /etc/iscsi/initiatorname.iscsi) to the target's allowed initiators on the NAS",
                    allowed.join(", "),
                    self.name
                ),
            });
        }
        check_chap(&target.iqn, target.chap.as_ref(), node.chap.as_ref())?;
        let session = Session {
            sid: self.next_sid,
            portal: node.portal,
            target: target.iqn.clone(),
            luns: target.luns.clone(),
            path: SessionPath::Up,
        };
        self.next_sid += 1;
        self.ended_by_reboot.retain(|t| *t != target.iqn);
        self.sessions.push(session);
        Ok(self.sessions.last().expect("just pushed"))
    }

    /// `iscsiadm -m node -T TARGET --logout`: ends the session and returns it.
    pub fn logout(&mut self, target: &Iqn) -> Result<Session> {
        let index = self
            .sessions
            .iter()
            .position(|s| &s.target == target)
            .ok_or_else(|| Error::NotLoggedIn {
                target: target.to_string(),
            })?;
        Ok(self.sessions.remove(index))
    }

    /// A reboot drops every session; the records stay. Returns the targets the iscsi service
    /// logs in to at boot (`node.startup = automatic`), in record order.
    pub fn reboot(&mut self) -> Vec<Iqn> {
        self.ended_by_reboot = self.sessions.drain(..).map(|s| s.target).collect();
        self.nodes
            .iter()
            .filter(|node| node.automatic)
            .map(|node| node.target.clone())
            .collect()
    }
}

fn check_chap(target: &Iqn, demanded: Option<&Chap>, presented: Option<&Chap>) -> Result<()> {
    let Some(demanded) = demanded else {
        return Ok(());
    };
    let reason = match presented {
        None => "the target requires CHAP and the node record has no credentials",
        Some(p) if p.user != demanded.user => "the CHAP user name does not match the target's",
        Some(p) if p.secret != demanded.secret => "the CHAP secret does not match the target's",
        Some(_) => return Ok(()),
    };
    Err(Error::ChapFailed {
        target: target.to_string(),
        reason: reason.into(),
        help: format!(
            "set the node's credentials to the target's: `iscsiadm -m node -T {target} -o update -n node.session.auth.authmethod -v CHAP`, then `-n node.session.auth.username -v USER` and `-n node.session.auth.password -v SECRET`"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT_IQN: &str = "iqn.2006-01.com.openfiler:tsn.b5ffc134d692";

    fn report_target() -> Target {
        let portal = Portal::parse("10.10.1.10").unwrap();
        Target::new(Iqn::parse(REPORT_IQN).unwrap(), portal, 5_000_000_000_000)
    }

    fn sv1() -> Initiator {
        Initiator::new(Iqn::parse("iqn.1994-05.com.redhat:sv1").unwrap())
    }

    #[test]
    fn discovery_prints_what_iscsiadm_prints() {
        let target = report_target();
        let mut initiator = sv1();
        let lines = initiator.discover(Portal::parse("10.10.1.10").unwrap(), [&target]);
        assert_eq!(
            lines,
            ["10.10.1.10:3260,1 iqn.2006-01.com.openfiler:tsn.b5ffc134d692"]
        );
        assert_eq!(
            initiator.node_lines(),
            ["10.10.1.10:3260,1 iqn.2006-01.com.openfiler:tsn.b5ffc134d692"]
        );
        // discovering again keeps one record
        initiator.discover(Portal::parse("10.10.1.10:3260").unwrap(), [&target]);
        assert_eq!(initiator.nodes().len(), 1);
        // another portal serves nothing here
        assert!(initiator
            .discover(Portal::parse("10.10.1.99").unwrap(), [&target])
            .is_empty());
    }

    #[test]
    fn login_then_logout() {
        let target = report_target();
        let mut initiator = sv1();
        initiator.discover(target.portal, [&target]);
        let session = initiator.login(&target).unwrap().clone();
        assert_eq!(session.sid, 1);
        assert_eq!(
            session.luns,
            [Lun {
                id: 0,
                size: 5_000_000_000_000
            }]
        );
        assert_eq!(
            session.login_messages()[1],
            "Login to [iface: default, target: iqn.2006-01.com.openfiler:tsn.b5ffc134d692, portal: 10.10.1.10,3260] successful."
        );
        assert_eq!(
            session.line(),
            "tcp: [1] 10.10.1.10:3260,1 iqn.2006-01.com.openfiler:tsn.b5ffc134d692 (non-flash)"
        );
        let again = initiator.login(&target).unwrap_err();
        assert_eq!(again.code_str(), "kvmlab::storage::already_logged_in");
        let ended = initiator.logout(&target.iqn).unwrap();
        assert_eq!(
            ended.logout_messages()[0],
            "Logging out of session [sid: 1, target: iqn.2006-01.com.openfiler:tsn.b5ffc134d692, portal: 10.10.1.10,3260]"
        );
        assert_eq!(
            initiator.logout(&target.iqn).unwrap_err().code_str(),
            "kvmlab::storage::not_logged_in"
        );
        assert_eq!(initiator.login(&target).unwrap().sid, 2);
    }

    #[test]
    fn login_without_discovery_says_so() {
        let target = report_target();
        let err = sv1().login(&target).unwrap_err();
        assert_eq!(err.code_str(), "kvmlab::storage::not_discovered");
        assert!(err
            .help_str()
            .unwrap()
            .ends_with("no node records exist yet"));
    }

    #[test]
    fn the_acl_refuses_strangers() {
        let mut target = report_target();
        target.allow(Iqn::parse("iqn.1994-05.com.redhat:sv2").unwrap());
        let mut initiator = sv1();
        initiator.discover(target.portal, [&target]);
        let err = initiator.login(&target).unwrap_err();
        assert_eq!(err.code_str(), "kvmlab::storage::acl_denied");
        assert_eq!(
            err.help_str().unwrap(),
            "the target admits only iqn.1994-05.com.redhat:sv2; add `iqn.1994-05.com.redhat:sv1` (this host's /etc/iscsi/initiatorname.iscsi) to the target's allowed initiators on the NAS"
        );
        target.allow(initiator.name.clone());
        assert!(initiator.login(&target).is_ok());
    }

    #[test]
    fn chap_must_match() {
        let mut target = report_target();
        target.chap = Some(Chap::new("sv", "twelve-chars").unwrap());
        let mut initiator = sv1();
        initiator.discover(target.portal, [&target]);
        let reason = |e: Error| match e {
            Error::ChapFailed { reason, .. } => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            reason(initiator.login(&target).unwrap_err()),
            "the target requires CHAP and the node record has no credentials"
        );
        initiator
            .set_chap(&target.iqn, Some(Chap::new("sv", "wrong-secret").unwrap()))
            .unwrap();
        assert_eq!(
            reason(initiator.login(&target).unwrap_err()),
            "the CHAP secret does not match the target's"
        );
        initiator
            .set_chap(&target.iqn, Some(Chap::new("sv", "twelve-chars").unwrap()))
            .unwrap();
        assert!(initiator.login(&target).is_ok());
    }

    #[test]
    fn chap_secrets_are_12_to_16_characters() {
        assert_eq!(
            Chap::new("u", "short").unwrap_err(),
            Error::ChapSecretLength { length: 5 }
        );
        assert_eq!(
            Chap::new("u", "seventeen-chars!!").unwrap_err(),
            Error::ChapSecretLength { length: 17 }
        );
        assert!(Chap::new("u", "sixteen-chars-ok").is_ok());
        assert_eq!(Chap::new(" ", "twelve-chars").unwrap_err(), Error::ChapUser);
    }

    #[test]
    fn a_reboot_keeps_records_and_drops_sessions() {
        let target = report_target();
        let mut initiator = sv1();
        initiator.discover(target.portal, [&target]);
        initiator.login(&target).unwrap();
        assert_eq!(initiator.reboot(), std::slice::from_ref(&target.iqn));
        assert!(initiator.sessions().is_empty());
        initiator.set_automatic(&target.iqn, false).unwrap();
        assert!(initiator.reboot().is_empty());
    }

    #[test]
    fn portals_parse_like_iscsiadm_takes_them() {
        assert_eq!(
            Portal::parse("10.10.1.10:3261").unwrap().to_string(),
            "10.10.1.10:3261,1"
        );
        for bad in ["10.10.1", "nas:3260", "10.10.1.10:0", "10.10.1.10:x"] {
            assert_eq!(
                Portal::parse(bad).unwrap_err().code_str(),
                "kvmlab::storage::bad_portal"
            );
        }
    }
}
