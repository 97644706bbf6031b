//! The NAS as a machine of the lab: network cards cabled to switches and addressed through
//! its web UI (no ifcfg files, so an address takes effect at once), one RAID volume
//! ([`NasVolume`]) whose iSCSI space holds the targets, the contents of every LUN, and NFS
//! shares in the data space.
//!
//! A LUN's contents (partition table, file systems, image files) are stored here, with the
//! bytes, so every host logged in to a target sees what any of them wrote. The data space
//! carries the ext3 file system the report's UI shows ("EXT3"), made by the firmware with
//! RHEL 6-era e2fsprogs defaults; NFS shares are directories in it, exported as
//! `/raid0/data/NAME` (Thecus firmware mounts its first RAID on /raid0).

use std::net::Ipv4Addr;

use super::node::{NetStack, NicSpec};
use super::storage::blockdev::{BlockContents, ExtFs};
use super::storage::fs::{E2fsprogs, ExtLayout, FsType};
use super::storage::iqn::Iqn;
use super::storage::iscsi::{Chap, Portal, Target};
use super::storage::nas::{NasModel, NasVolume};
use super::storage::partition::Disk;
use super::storage::raid::RaidLevel;
use super::switch::{check_name, check_speed};
use super::{NodeId, World};
use crate::error::{Error, Result};
use crate::suggest;
use crate::world::net::ip::Ipv4Cidr;

/// A NAS of this world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct NasId(pub(crate) usize);

impl From<NasId> for NodeId {
    fn from(id: NasId) -> NodeId {
        NodeId::Nas(id)
    }
}

/// What the SCSI inquiry of a LUN answers: IET-based firmware (the Thecus's) reports
/// `IET VIRTUAL-DISK`.
pub const LUN_MODEL: &str = "IET VIRTUAL-DISK (scsi)";

/// Where the firmware mounts the data space; NFS exports live below it.
pub const DATA_ROOT: &str = "/raid0/data";

const GBIT: f64 = 125_000_000.0;

/// A NAS as bought and set up in its web UI's RAID wizard.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NasSpec {
    pub model: NasModel,
    /// Disks installed (at most the model's bays).
    pub disks: usize,
    /// Bytes of each disk (drive makers count decimal).
    pub disk_size: u64,
    pub raid: RaidLevel,
    /// Share of the RAID kept for file shares, in percent; the rest is iSCSI space.
    pub data_percent: i64,
    pub nics: Vec<NicSpec>,
    /// Sustained sequential write rate of the RAID volume, bytes per second.
    pub write_rate: f64,
}

impl NasSpec {
    /// The report's NAS (§2.3): a Thecus N7700PRO with seven 2 TB drives in RAID 6, half the
    /// volume for data, two gigabit ports. The write rate is an assumption (the report
    /// measured none): about 100 MB/s, what a 2010 7-bay SATA NAS sustained for large
    /// writes, below one gigabit link's payload.
    pub fn report() -> NasSpec {
        let port = |name: &str| NicSpec {
            name: name.into(),
            model: "on-board gigabit".into(),
            speed: GBIT,
        };
        NasSpec {
            model: NasModel::thecus_n7700pro(),
            disks: 7,
            disk_size: 2_000_398_934_016,
            raid: RaidLevel::Raid6,
            data_percent: 50,
            nics: vec![port("eth0"), port("eth1")],
            write_rate: 100e6,
        }
    }

    fn validate(&self) -> Result<()> {
        let bad = |key: &str, reason: String, help: &str| {
            Err(Error::BadValue {
                key: key.into(),
                what: "NAS spec".into(),
                reason,
                help: help.into(),
            })
        };
        if self.nics.is_empty() {
            return bad(
                "nics",
                "a NAS needs a network port".into(),
                "give at least one card, e.g. eth0 at 1 Gbit/s",
            );
        }
        for (i, nic) in self.nics.iter().enumerate() {
            check_name(&nic.name, "NAS spec")?;
            check_speed(nic.speed, "NAS spec")?;
            if nic.name == "lo" || self.nics[..i].iter().any(|n| n.name == nic.name) {
                return bad(
                    "nics",
                    format!("`{}` cannot name a second port", nic.name),
                    "name the ports eth0, eth1, …",
                );
            }
        }
        if self.disk_size == 0 {
            return bad(
                "disk_size",
                "disks need a capacity".into(),
                "give the drives' size, e.g. \"2TB\"",
            );
        }
        check_speed(self.write_rate, "NAS spec")?;
        if self.write_rate < MIN_WRITE_RATE {
            return bad(
                "write_rate",
                format!(
                    "{} bytes/s is slower than any disk writes: the slowest, a floppy drive, writes about 60 KB/s, and a RAID of hard disks at least 1 MB/s",
                    self.write_rate
                ),
                "give the RAID's sustained write rate, at least \"1MB/s\", e.g. \"100MB/s\"",
            );
        }
        Ok(())
    }
}

/// The slowest sustained write rate a NAS's RAID can have: 1 MB/s, below any hard disk
/// since the 1990s. Slower figures would make one mkfs outlast the lab clock.
pub const MIN_WRITE_RATE: f64 = 1e6;

/// A LUN's contents, filed under its target and number.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
struct StoredLun {
    target: Iqn,
    lun: u32,
    contents: BlockContents,
}

/// A NAS in the lab.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Nas {
    name: String,
    net: NetStack,
    volume: NasVolume,
    luns: Vec<StoredLun>,
    /// The data space's file system; `None` when the data percentage leaves none.
    data: Option<ExtFs>,
    shares: Vec<String>,
    write_rate: f64,
}

impl Nas {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn net(&self) -> &NetStack {
        &self.net
    }

    pub(crate) fn net_mut(&mut self) -> &mut NetStack {
        &mut self.net
    }

    pub fn volume(&self) -> &NasVolume {
        &self.volume
    }

    pub(crate) fn volume_mut(&mut self) -> &mut NasVolume {
        &mut self.volume
    }

    /// Sustained write rate of the RAID volume, bytes per second.
    pub fn write_rate(&self) -> f64 {
        self.write_rate
    }

    pub fn lun(&self, target: &Iqn, lun: u32) -> Option<&BlockContents> {
        self.luns
            .iter()
            .find(|l| &l.target == target && l.lun == lun)
            .map(|l| &l.contents)
    }

    pub(crate) fn lun_mut(&mut self, target: &Iqn, lun: u32) -> Option<&mut BlockContents> {
        self.luns
            .iter_mut()
            .find(|l| &l.target == target && l.lun == lun)
            .map(|l| &mut l.contents)
    }

    pub fn data_fs(&self) -> Option<&ExtFs> {
        self.data.as_ref()
    }

    pub(crate) fn data_fs_mut(&mut self) -> Option<&mut ExtFs> {
        self.data.as_mut()
    }

    /// The NFS shares' names.
    pub fn shares(&self) -> &[String] {
        &self.shares
    }

    /// The share exported as `path` (`/raid0/data/NAME`), if any.
    pub fn share_for_export(&self, path: &str) -> Option<&str> {
        let name = path.strip_prefix(DATA_ROOT)?.strip_prefix('/')?;
        self.shares
            .iter()
            .find(|s| s.as_str() == name)
            .map(String::as_str)
    }

    pub fn target(&self, iqn: &Iqn) -> Result<&Target> {
        self.volume
            .target(iqn)
            .ok_or_else(|| self.unknown_target(iqn))
    }

    fn unknown_target(&self, iqn: &Iqn) -> Error {
        let names: Vec<String> = self
            .volume
            .targets()
            .iter()
            .map(|t| t.iqn.to_string())
            .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        Error::UnknownTarget {
            nas: self.name.clone(),
            iqn: iqn.to_string(),
            help: suggest::help_for(iqn.as_str(), "its targets", &refs),
        }
    }

    /// The portal targets print: the address of the first port that has one.
    fn refresh_portal(&mut self) {
        let address = self
            .net
            .nics
            .iter()
            .filter_map(|n| self.net.interface(&n.name))
            .find_map(|i| i.addresses.first().map(|a| a.addr()))
            .unwrap_or(Ipv4Addr::UNSPECIFIED);
        let portal = Portal::new(address);
        self.volume.portal = portal;
        let names: Vec<Iqn> = self
            .volume
            .targets()
            .iter()
            .map(|t| t.iqn.clone())
            .collect();
        for iqn in names {
            if let Some(t) = self.volume.target_mut(&iqn) {
                t.portal = portal;
            }
        }
    }

    fn store_lun(&mut self, target: &Iqn, lun: u32, size: u64) {
        let path = format!("{}-lun-{lun}", target);
        self.luns.push(StoredLun {
            target: target.clone(),
            lun,
            contents: BlockContents::new(Disk::new(&path, LUN_MODEL, size)),
        });
    }
}

impl World {
    /// A NAS: its RAID volume built as the UI's wizard builds it, every port down and
    /// unaddressed until [`World::set_nas_address`].
    pub fn add_nas(&mut self, name: &str, spec: NasSpec) -> Result<NasId> {
        self.check_unique("NAS", name)?;
        super::capacity::room("NAS", self.nases.len(), super::capacity::NASES)?;
        check_name(name, "NAS spec")?;
        spec.validate()?;
        let volume = NasVolume::new(
            spec.model.clone(),
            spec.raid,
            spec.disks,
            spec.disk_size,
            spec.data_percent,
            Portal::new(Ipv4Addr::UNSPECIFIED),
        )?;
        let data_size = volume.data_capacity();
        let data = if data_size == 0 {
            None
        } else {
            let layout = ExtLayout::mkfs(FsType::Ext3, data_size, E2fsprogs::V1_41Rhel6)?;
            let uuid = super::storage::blockdev::derived_uuid(&format!("{name}:data"));
            Some(ExtFs::new(layout, uuid))
        };
        self.nases.push(Nas {
            name: name.into(),
            net: NetStack::new(name, &spec.nics, false),
            volume,
            luns: Vec::new(),
            data,
            shares: Vec::new(),
            write_rate: spec.write_rate,
        });
        Ok(NasId(self.nases.len() - 1))
    }

    pub fn nas(&self, id: NasId) -> &Nas {
        &self.nases[id.0]
    }

    pub(crate) fn nas_mut(&mut self, id: NasId) -> &mut Nas {
        &mut self.nases[id.0]
    }

    pub fn nases(&self) -> impl Iterator<Item = (NasId, &Nas)> {
        self.nases.iter().enumerate().map(|(i, n)| (NasId(i), n))
    }

    /// The NAS UI's network page: a port's one static address, in effect at once. The
    /// port comes up with its connected route.
    pub fn set_nas_address(&mut self, nas: NasId, nic: &str, address: Ipv4Cidr) -> Result<()> {
        let node = NodeId::Nas(nas);
        self.nic_speed(node, nic)?;
        if let Some(role) = address.reserved_role() {
            let (first, last) = address.host_range();
            return Err(Error::BadValue {
                key: "address".into(),
                what: format!("{} {nic}", self.nases[nas.0].name),
                reason: format!(
                    "{} is the {role} address of {}",
                    address.addr(),
                    address.network_cidr()
                ),
                help: format!("pick a host address from {first} to {last}"),
            });
        }
        let n = &mut self.nases[nas.0];
        if let Some(lo) = n.net.interface_mut("lo") {
            lo.admin_up = true;
            lo.addresses = vec![Ipv4Cidr::from_parsed(Ipv4Addr::LOCALHOST, 8)];
        }
        if let Some(iface) = n.net.interface_mut(nic) {
            iface.admin_up = true;
            iface.addresses = vec![address];
        }
        n.net.add_connected_routes();
        n.refresh_portal();
        Ok(())
    }

    /// The UI's "create iSCSI target": one LUN of `size` bytes. Returns the warnings it
    /// raises (`iqn_vendor_mismatch` for the report's Openfiler name on a Thecus).
    pub fn nas_create_target(&mut self, nas: NasId, iqn: &str, size: u64) -> Result<Vec<Error>> {
        let iqn = Iqn::parse(iqn)?;
        let n = &mut self.nases[nas.0];
        let what = format!("iSCSI targets on {}", n.name);
        super::capacity::room(
            &what,
            n.volume.targets().len(),
            super::capacity::NAS_TARGETS,
        )?;
        let what = format!("LUNs on {}", n.name);
        super::capacity::room(&what, n.luns.len(), super::capacity::NAS_LUNS)?;
        let warnings = n.volume.create_target(iqn.clone(), size)?;
        n.refresh_portal();
        n.store_lun(&iqn, 0, size);
        Ok(warnings)
    }

    /// Adds a LUN of `size` bytes to a target; returns its number.
    pub fn nas_add_lun(&mut self, nas: NasId, iqn: &str, size: u64) -> Result<u32> {
        let iqn = Iqn::parse(iqn)?;
        let n = &mut self.nases[nas.0];
        n.target(&iqn)?;
        let what = format!("LUNs on {}", n.name);
        super::capacity::room(&what, n.luns.len(), super::capacity::NAS_LUNS)?;
        let lun = n.volume.add_lun(&iqn, size)?;
        n.store_lun(&iqn, lun, size);
        Ok(lun)
    }

    /// Adds an initiator to the target's ACL (an empty ACL admits everyone).
    pub fn nas_allow_initiator(&mut self, nas: NasId, iqn: &str, initiator: &str) -> Result<()> {
        let iqn = Iqn::parse(iqn)?;
        let initiator = Iqn::parse(initiator)?;
        let n = &mut self.nases[nas.0];
        n.target(&iqn)?;
        if let Some(t) = n.volume.target_mut(&iqn) {
            t.allow(initiator);
        }
        Ok(())
    }

    /// Sets or clears the CHAP credentials a target demands.
    pub fn nas_set_chap(&mut self, nas: NasId, iqn: &str, chap: Option<Chap>) -> Result<()> {
        let iqn = Iqn::parse(iqn)?;
        let n = &mut self.nases[nas.0];
        n.target(&iqn)?;
        if let Some(t) = n.volume.target_mut(&iqn) {
            t.chap = chap;
        }
        Ok(())
    }

    /// An NFS share in the data space; returns its export path (`/raid0/data/NAME`).
    pub fn nas_create_share(&mut self, nas: NasId, name: &str) -> Result<String> {
        let n = &mut self.nases[nas.0];
        check_name(name, "NAS share")?;
        if n.data.is_none() {
            return Err(Error::NoDataSpace {
                nas: n.name.clone(),
                percent: n.volume.data_percent,
            });
        }
        if n.shares.iter().any(|s| s == name) {
            return Err(Error::DuplicateShare {
                nas: n.name.clone(),
                name: name.into(),
            });
        }
        let what = format!("NFS shares on {}", n.name);
        super::capacity::room(&what, n.shares.len(), super::capacity::NAS_SHARES)?;
        n.shares.push(name.into());
        Ok(format!("{DATA_ROOT}/{name}"))
    }

    /// The NAS that answers for `address` on an up port.
    pub(crate) fn nas_at(&self, address: Ipv4Addr) -> Option<NasId> {
        self.nases
            .iter()
            .position(|n| n.net.owns(address))
            .map(NasId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nas_is_a_node_with_a_web_ui_address() {
        let mut world = World::new();
        let nas = world.add_nas("iscsi1", NasSpec::report()).unwrap();
        assert_eq!(
            world
                .add_nas("iscsi1", NasSpec::report())
                .unwrap_err()
                .code_str(),
            "kvmlab::net::duplicate_name"
        );
        let e = world
            .set_nas_address(nas, "eth2", Ipv4Cidr::parse("10.10.1.10/16").unwrap())
            .unwrap_err();
        assert_eq!(e.code_str(), "kvmlab::net::unknown_nic");
        let e = world
            .set_nas_address(nas, "eth0", Ipv4Cidr::parse("10.10.0.0/16").unwrap())
            .unwrap_err();
        assert_eq!(e.code_str(), "kvmlab::spec::bad_value");
        world
            .set_nas_address(nas, "eth0", Ipv4Cidr::parse("10.10.1.10/16").unwrap())
            .unwrap();
        assert!(world.nas(nas).net().owns("10.10.1.10".parse().unwrap()));
        assert_eq!(world.nas_at("10.10.1.10".parse().unwrap()), Some(nas));
        assert_eq!(world.node_name(NodeId::Nas(nas)), "iscsi1");
        assert!(world.nodes().contains(&NodeId::Nas(nas)));
    }

    #[test]
    fn targets_luns_and_shares() {
        let mut world = World::new();
        let nas = world.add_nas("iscsi1", NasSpec::report()).unwrap();
        world
            .set_nas_address(nas, "eth0", Ipv4Cidr::parse("10.10.1.10/16").unwrap())
            .unwrap();
        let iqn = "iqn.2006-01.com.openfiler:tsn.b5ffc134d692";
        let size = world.nas(nas).volume().percent_of_capacity(50);
        let warnings = world.nas_create_target(nas, iqn, size).unwrap();
        assert_eq!(
            warnings[0].code_str(),
            "kvmlab::storage::iqn_vendor_mismatch"
        );
        let parsed = Iqn::parse(iqn).unwrap();
        let target = world.nas(nas).target(&parsed).unwrap();
        assert_eq!(target.discovery_line(), format!("10.10.1.10:3260,1 {iqn}"));
        assert_eq!(
            world.nas(nas).lun(&parsed, 0).unwrap().disk.size_bytes(),
            size - size % 512
        );
        let e = world
            .nas_add_lun(nas, "iqn.2006-01.com.thecus:x", 1)
            .unwrap_err();
        assert_eq!(e.code_str(), "kvmlab::storage::unknown_target");
        assert!(e.help_str().unwrap().contains(iqn));
        assert_eq!(
            world
                .nas_create_target(nas, "iqn.2006-01.com.thecus:b", 1)
                .unwrap_err()
                .code_str(),
            "kvmlab::storage::target_too_large"
        );
        assert_eq!(
            world
                .nas_allow_initiator(nas, iqn, "iqn.bad")
                .unwrap_err()
                .code_str(),
            "kvmlab::storage::bad_iqn"
        );
        assert_eq!(world.nas_create_share(nas, "vm").unwrap(), "/raid0/data/vm");
        assert_eq!(
            world.nas_create_share(nas, "vm").unwrap_err().code_str(),
            "kvmlab::storage::duplicate_share"
        );
        assert_eq!(
            world.nas(nas).share_for_export("/raid0/data/vm"),
            Some("vm")
        );
        assert_eq!(world.nas(nas).share_for_export("/raid0/data/v"), None);
        let mut iscsi_only = NasSpec::report();
        iscsi_only.data_percent = 0;
        let bare = world.add_nas("bare", iscsi_only).unwrap();
        assert_eq!(
            world.nas_create_share(bare, "vm").unwrap_err().code_str(),
            "kvmlab::storage::no_data_space"
        );
        let mut no_ports = NasSpec::report();
        no_ports.nics.clear();
        assert_eq!(
            world.add_nas("x", no_ports).unwrap_err().code_str(),
            "kvmlab::spec::bad_value"
        );
    }
}
