//! What a script does to storage: the NAS and its iSCSI targets, and on each host the iSCSI
//! initiator, partitions, file systems and mounts. Each operation takes typed values,
//! validates them against the lab below this boundary, and answers in the world model's
//! types; the bindings only convert.

use crate::error::{Error, Result};
use crate::world::initiator::IscsiLogin;
use crate::world::nas::{NasId, NasSpec};
use crate::world::net::ip::Ipv4Cidr;
use crate::world::net::Finding;
use crate::world::storage::iscsi::Chap;
use crate::world::storage::nas::LunSize;
use crate::world::storage::partition::Mkpart;
use crate::world::volumes::MkfsReport;
use crate::world::HostId;

pub trait StorageOperations {
    // The NAS

    /// A NAS as its web UI's RAID wizard sets it up.
    fn add_nas(&mut self, name: &str, spec: NasSpec) -> Result<NasId>;

    /// A NAS port's static address, in effect at once.
    fn set_nas_address(&mut self, nas: NasId, nic: &str, address: Ipv4Cidr) -> Result<()>;

    /// An iSCSI target of one LUN; returns its warnings.
    fn nas_create_target(&mut self, nas: NasId, iqn: &str, size: LunSize) -> Result<Vec<Error>>;

    /// Adds a LUN to a target; returns its number.
    fn nas_add_lun(&mut self, nas: NasId, iqn: &str, size: LunSize) -> Result<u32>;

    /// Adds an initiator name to a target's ACL.
    fn nas_allow_initiator(&mut self, nas: NasId, iqn: &str, initiator: &str) -> Result<()>;

    /// Makes a target demand CHAP with these credentials (`None`: no CHAP).
    fn nas_set_chap(&mut self, nas: NasId, iqn: &str, chap: Option<Chap>) -> Result<()>;

    /// An NFS share in the data space; returns its export path.
    fn nas_create_share(&mut self, nas: NasId, name: &str) -> Result<String>;

    // The iSCSI initiator

    /// SendTargets discovery at a portal; returns iscsiadm's lines, one per target.
    fn iscsi_discover(&mut self, host: HostId, portal: &str) -> Result<Vec<String>>;

    /// Logs in to a discovered target; its LUNs appear as disks.
    fn iscsi_login(&mut self, host: HostId, iqn: &str) -> Result<IscsiLogin>;

    /// Logs out of a target: the session ends, its disks go. Returns iscsiadm's lines.
    fn iscsi_logout(&mut self, host: HostId, iqn: &str) -> Result<Vec<String>>;

    /// Sets a node record's `node.startup` (automatic: logged in when iscsi starts).
    fn iscsi_set_startup(&mut self, host: HostId, iqn: &str, automatic: bool) -> Result<()>;

    /// Sets the CHAP credentials a node record presents at login.
    fn iscsi_set_chap(&mut self, host: HostId, iqn: &str, chap: Option<Chap>) -> Result<()>;

    // Partitions

    /// `parted DEV mklabel LABEL`; returns its warnings.
    fn parted_mklabel(&mut self, host: HostId, dev: &str, label: &str) -> Result<Vec<Error>>;

    /// `parted DEV mkpart NAME FSTYPE START END`.
    fn parted_mkpart(
        &mut self,
        host: HostId,
        dev: &str,
        name: &str,
        fstype: &str,
        start: &str,
        end: &str,
    ) -> Result<Mkpart>;

    /// `parted DEV rm NUMBER`; returns its warnings.
    fn parted_rm(&mut self, host: HostId, dev: &str, number: u32) -> Result<Vec<Error>>;

    // File systems and mounts

    /// `mkdir PATH` (the parent must exist).
    fn mkdir(&mut self, host: HostId, path: &str) -> Result<()>;

    /// `mkfs.FSTYPE DEV`, taking the time mke2fs takes.
    fn mkfs(&mut self, host: HostId, fstype: &str, dev: &str) -> Result<MkfsReport>;

    /// `mount -t FSTYPE -o OPTIONS SOURCE DIR`; returns its warnings.
    fn mount(
        &mut self,
        host: HostId,
        source: &str,
        dir: &str,
        fstype: &str,
        options: &str,
    ) -> Result<Vec<Error>>;

    /// `umount DIR` or `umount DEVICE`.
    fn umount(&mut self, host: HostId, target: &str) -> Result<()>;

    /// `mount -a`: mounts what /etc/fstab lists and is not mounted; returns its problems.
    fn mount_all(&mut self, host: HostId) -> Result<Vec<Finding>>;
}
