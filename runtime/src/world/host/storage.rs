//! A host's side of storage: its block devices with the names this host gives them (its own
//! disks, then the LUNs of its iSCSI sessions), its mounts, its iSCSI initiator and its
//! libvirt storage pools (all wiped by a reinstall).
//!
//! A device's contents live where its bytes are ([`BlockContents`]): a local disk's here, a
//! LUN's on the NAS. A new SCSI disk takes the lowest free `sdX` name, as the sd driver
//! allocates them: on the report's servers the local disk is `sda`, so the LUN becomes
//! `sdb` (the report printed `/dev/sda`). Names depend on the host and on the order disks
//! appear; `UUID=` and `/dev/disk/by-path` names do not.
//!
//! The OS install lays the local disks out as anaconda does: an msdos label (GPT above
//! 2 TiB or 4 partitions, as kvmlab does not model logical partitions), partitions from
//! 1 MiB in the order given, ext4 on each mount point, swap, and an /etc/fstab naming them
//! by UUID.

use super::hardware;
use super::os::Partition;
use crate::error::Result;
use crate::world::nas::NasId;
use crate::world::pool::Pool;
use crate::world::storage::blockdev::{derived_uuid, BlockContents};
use crate::world::storage::fs::{E2fsprogs, FsType};
use crate::world::storage::iqn::Iqn;
use crate::world::storage::iscsi::{Initiator, Portal};
use crate::world::storage::partition::{scsi_disk_name, Disk, MSDOS_LIMIT, SECTOR};

/// The e2fsprogs of the hosts kvmlab models (RHEL 6).
pub const HOST_E2FSPROGS: E2fsprogs = E2fsprogs::V1_41Rhel6;

/// A block device's contents, seen from a host: one of its own disks (by index into its
/// hardware disks), or a LUN on a NAS.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum DiskRef {
    Local {
        disk: usize,
    },
    Lun {
        #[serde(skip)]
        nas: NasId,
        target: Iqn,
        lun: u32,
    },
}

/// Where a mounted file system's bytes are.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum FsLocation {
    /// On a block device: the whole device (partition 0) or a partition.
    Block { disk: DiskRef, partition: u32 },
    /// The NAS's data volume, exported by NFS.
    NasData {
        #[serde(skip)]
        nas: NasId,
    },
}

impl FsLocation {
    /// Whether two hosts mounting these locations see the same bytes (a host's own disk is
    /// never shared).
    pub fn same_storage(&self, other: &FsLocation) -> bool {
        match (self, other) {
            (
                FsLocation::Block {
                    disk: DiskRef::Local { .. },
                    ..
                },
                _,
            ) => false,
            _ => self == other,
        }
    }
}

/// How an iSCSI disk reached the host: `/dev/disk/by-path` names it by these.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IscsiPath {
    pub portal: Portal,
    pub target: Iqn,
    pub lun: u32,
}

impl IscsiPath {
    /// udev's stable name: `/dev/disk/by-path/ip-10.10.1.10:3260-iscsi-IQN-lun-0`.
    pub fn by_path(&self) -> String {
        format!(
            "/dev/disk/by-path/ip-{}:{}-iscsi-{}-lun-{}",
            self.portal.ip, self.portal.port, self.target, self.lun
        )
    }
}

/// A disk the host's kernel knows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BlockDevice {
    /// `sda`, `sdb`, …
    pub name: String,
    pub disk: DiskRef,
    pub iscsi: Option<IscsiPath>,
}

impl BlockDevice {
    pub fn path(&self) -> String {
        format!("/dev/{}", self.name)
    }
}

/// A mounted file system.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mount {
    /// The device as the kernel lists it (`/dev/sdb1`, `10.10.1.10:/raid0/data/vm`).
    pub source: String,
    pub location: FsLocation,
    /// The directory of the file system that is mounted (`/` except for NFS shares).
    pub root: String,
    pub dir: String,
    pub fstype: String,
    pub options: String,
    pub read_only: bool,
    /// Why the file system this mount holds is no longer the one on the device (another
    /// host's mkfs or parted wrote over it); the kernel's cached copy cannot be trusted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lost: Option<String>,
    /// ext3 aborted its journal when its device's I/O failed (a lost iSCSI path): the
    /// kernel remounted it read-only, and only mounting it again makes it writable.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub journal_aborted: bool,
}

impl Mount {
    /// The path inside the file system of `path`, which lies under this mount's `dir`.
    pub fn inner_path(&self, path: &str) -> String {
        let rest = if self.dir == "/" {
            path.strip_prefix('/').unwrap_or(path)
        } else {
            path.strip_prefix(self.dir.as_str())
                .map_or("", |r| r.trim_start_matches('/'))
        };
        match (self.root.as_str(), rest) {
            (root, "") => root.to_string(),
            ("/", rest) => format!("/{rest}"),
            (root, rest) => format!("{root}/{rest}"),
        }
    }

    /// Whether `path` is this mount's directory or lies below it.
    pub fn covers(&self, path: &str) -> bool {
        self.dir == "/"
            || path == self.dir
            || path
                .strip_prefix(self.dir.as_str())
                .is_some_and(|r| r.starts_with('/'))
    }
}

/// The UUID of the swap area the install made on a host's partition `device`, as mkswap
/// wrote it and fstab and blkid name it.
pub fn swap_uuid(host: &str, device: &str) -> String {
    derived_uuid(&format!("{host}:{device}#swap"))
}

/// A host's disks, sessions' disks, mounts and initiator.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HostStorage {
    /// The contents of the host's own disks, in hardware order.
    local: Vec<BlockContents>,
    devices: Vec<BlockDevice>,
    mounts: Vec<Mount>,
    /// open-iscsi's state; present once iscsi-initiator-utils is installed.
    initiator: Option<Initiator>,
    /// libvirt's storage pools, in definition order.
    pools: Vec<Pool>,
}

impl HostStorage {
    /// Blank disks, nothing mounted, no initiator.
    pub fn new(disks: &[hardware::Disk]) -> HostStorage {
        HostStorage {
            local: disks
                .iter()
                .map(|d| {
                    BlockContents::new(Disk::new(&format!("/dev/{}", d.name), &d.model, d.size))
                })
                .collect(),
            devices: disks
                .iter()
                .enumerate()
                .map(|(i, d)| BlockDevice {
                    name: d.name.clone(),
                    disk: DiskRef::Local { disk: i },
                    iscsi: None,
                })
                .collect(),
            mounts: Vec::new(),
            initiator: None,
            pools: Vec::new(),
        }
    }

    /// The disks as an install leaves them, their file systems mounted, and the
    /// /etc/fstab text anaconda writes.
    pub fn installed(
        host: &str,
        disks: &[hardware::Disk],
        partitions: &[Partition],
    ) -> Result<(HostStorage, String)> {
        let mut storage = HostStorage::new(disks);
        let mut fstab = String::from(
            "\n#\n# /etc/fstab\n# Created by anaconda\n#\n# Accessible filesystems, by reference, are maintained under '/dev/disk'\n# See man pages fstab(5), findfs(8), mount(8) and/or blkid(8) for more info\n#\n",
        );
        let mut entries = Vec::new();
        let mut lines = Vec::new();
        for (index, disk) in disks.iter().enumerate() {
            let on_disk: Vec<&Partition> =
                partitions.iter().filter(|p| p.disk == disk.name).collect();
            if on_disk.is_empty() {
                continue;
            }
            let contents = &mut storage.local[index];
            let gpt = contents.disk.sectors > MSDOS_LIMIT || on_disk.len() > 4;
            contents.mklabel(if gpt { "gpt" } else { "msdos" })?;
            let (_, last_usable) = contents.disk.usable().expect("just labelled");
            let mut start = 2048;
            for part in on_disk {
                let end = (start + part.size / SECTOR - 1).min(last_usable);
                let swap = part.mount == "swap";
                let name = if gpt { "" } else { "primary" };
                let hint = if swap { "linux-swap" } else { "ext4" };
                let made = contents.mkpart(name, hint, &format!("{start}s"), &format!("{end}s"))?;
                let number = made.partition.number;
                let device = contents.disk.partition_path(number);
                let uuid = if swap {
                    swap_uuid(host, &device)
                } else {
                    let fs = contents.mkfs(number, FsType::Ext4, HOST_E2FSPROGS, host)?;
                    fs.uuid.clone()
                };
                if !swap {
                    entries.push((part.mount.clone(), index, number, device));
                }
                let (target, fstype, dump, pass) = match part.mount.as_str() {
                    "swap" => ("swap", "swap", 0, 0),
                    "/" => ("/", "ext4", 1, 1),
                    other => (other, "ext4", 1, 2),
                };
                let line = format!(
                    "{:<23} {:<23} {:<7} {:<15} {dump} {pass}\n",
                    format!("UUID={uuid}"),
                    target,
                    fstype,
                    "defaults",
                );
                lines.push(((swap, part.mount.clone()), line));
                start = end + 1;
            }
        }
        // mount points in path order (the root first), swap after them
        lines.sort();
        for (_, line) in lines {
            fstab.push_str(&line);
        }
        for (source, target, fstype, options) in [
            ("tmpfs", "/dev/shm", "tmpfs", "defaults"),
            ("devpts", "/dev/pts", "devpts", "gid=5,mode=620"),
            ("sysfs", "/sys", "sysfs", "defaults"),
            ("proc", "/proc", "proc", "defaults"),
        ] {
            fstab.push_str(&format!(
                "{source:<23} {target:<23} {fstype:<7} {options:<15} 0 0\n"
            ));
        }
        // the root first, then the others in mount-point order (parents before children)
        entries.sort_by_key(|(mount, ..)| (mount != "/", mount.clone()));
        for (mount, index, number, device) in entries {
            storage.mounts.push(Mount {
                source: device,
                location: FsLocation::Block {
                    disk: DiskRef::Local { disk: index },
                    partition: number,
                },
                root: "/".into(),
                dir: mount,
                fstype: "ext4".into(),
                options: "defaults".into(),
                read_only: false,
                lost: None,
                journal_aborted: false,
            });
        }
        Ok((storage, fstab))
    }

    pub fn local(&self, disk: usize) -> &BlockContents {
        &self.local[disk]
    }

    pub(crate) fn local_mut(&mut self, disk: usize) -> &mut BlockContents {
        &mut self.local[disk]
    }

    /// Every block device, by name.
    pub fn devices(&self) -> Vec<&BlockDevice> {
        let mut devices: Vec<&BlockDevice> = self.devices.iter().collect();
        devices.sort_by_key(|d| (d.name.len(), d.name.clone()));
        devices
    }

    /// The device named `sdb` (no `/dev/`).
    pub fn device(&self, name: &str) -> Option<&BlockDevice> {
        self.devices.iter().find(|d| d.name == name)
    }

    /// The name the next SCSI disk gets: the lowest free `sdX`.
    pub fn next_disk_name(&self) -> String {
        (0..)
            .map(scsi_disk_name)
            .find(|n| self.device(n).is_none())
            .expect("a free name")
    }

    /// A new SCSI disk: it takes the lowest free `sdX` name. Returns the name.
    pub(crate) fn attach(&mut self, disk: DiskRef, iscsi: IscsiPath) -> String {
        let name = self.next_disk_name();
        self.devices.push(BlockDevice {
            name: name.clone(),
            disk,
            iscsi: Some(iscsi),
        });
        name
    }

    /// Removes the disks of a target's session; returns them.
    pub(crate) fn detach_target(&mut self, target: &Iqn) -> Vec<BlockDevice> {
        let (gone, kept) = std::mem::take(&mut self.devices)
            .into_iter()
            .partition(|d| d.iscsi.as_ref().is_some_and(|p| &p.target == target));
        self.devices = kept;
        gone
    }

    /// Removes every iSCSI disk (a shutdown).
    pub(crate) fn detach_all_iscsi(&mut self) {
        self.devices.retain(|d| d.iscsi.is_none());
    }

    /// Mounts in the order they were made (a later mount on the same directory hides an
    /// earlier one).
    pub fn mounts(&self) -> &[Mount] {
        &self.mounts
    }

    pub(crate) fn add_mount(&mut self, mount: Mount) {
        self.mounts.push(mount);
    }

    pub(crate) fn remove_mount(&mut self, index: usize) -> Mount {
        self.mounts.remove(index)
    }

    pub(crate) fn abort_journal(&mut self, index: usize) {
        let mount = &mut self.mounts[index];
        mount.read_only = true;
        mount.journal_aborted = true;
    }

    /// Marks a mount's file system as written over (see [`Mount::lost`]).
    pub(crate) fn mark_mount_lost(&mut self, index: usize, cause: &str) {
        self.mounts[index].lost = Some(cause.into());
    }

    pub(crate) fn clear_mounts(&mut self) {
        self.mounts.clear();
    }

    /// The mount holding `path`: the deepest mount directory above it, the latest on a tie.
    pub fn mount_for(&self, path: &str) -> Option<(usize, &Mount)> {
        self.mounts
            .iter()
            .enumerate()
            .filter(|(_, m)| m.covers(path))
            .max_by_key(|(i, m)| (if m.dir == "/" { 0 } else { m.dir.len() }, *i))
    }

    pub fn initiator(&self) -> Option<&Initiator> {
        self.initiator.as_ref()
    }

    pub(crate) fn initiator_mut(&mut self) -> Option<&mut Initiator> {
        self.initiator.as_mut()
    }

    pub(crate) fn set_initiator(&mut self, initiator: Initiator) {
        self.initiator = Some(initiator);
    }

    pub fn pools(&self) -> &[Pool] {
        &self.pools
    }

    pub(crate) fn pools_mut(&mut self) -> &mut Vec<Pool> {
        &mut self.pools
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mount(dir: &str, root: &str) -> Mount {
        Mount {
            source: "/dev/sdb1".into(),
            location: FsLocation::Block {
                disk: DiskRef::Local { disk: 0 },
                partition: 1,
            },
            root: root.into(),
            dir: dir.into(),
            fstype: "ext3".into(),
            options: "defaults".into(),
            read_only: false,
            lost: None,
            journal_aborted: false,
        }
    }

    #[test]
    fn paths_inside_mounts() {
        let m = mount("/iscsi1", "/");
        assert_eq!(m.inner_path("/iscsi1"), "/");
        assert_eq!(m.inner_path("/iscsi1/a.img"), "/a.img");
        assert!(m.covers("/iscsi1/a") && !m.covers("/iscsi10"));
        let share = mount("/vm", "/share");
        assert_eq!(share.inner_path("/vm/x/y.img"), "/share/x/y.img");
        assert_eq!(share.inner_path("/vm"), "/share");
        assert_eq!(mount("/", "/").inner_path("/guest/a"), "/guest/a");
    }

    #[test]
    fn the_report_servers_disk_after_install() {
        let spec = hardware::HostSpec::report_server();
        let plan =
            crate::world::host::os::plan("sv1", &spec, &crate::world::host::os::OsSpec::report())
                .unwrap();
        let (storage, fstab) =
            HostStorage::installed("sv1", &spec.disks, &plan.partitions).unwrap();
        let disk = &storage.local(0).disk;
        let spans: Vec<(u64, u64)> = disk.partitions().iter().map(|p| (p.start, p.end)).collect();
        // / 100 GiB, swap 16 GiB, /guest to the last sector
        assert_eq!(
            spans,
            [
                (2048, 209_717_247),
                (209_717_248, 243_271_679),
                (243_271_680, 1_953_124_999)
            ]
        );
        let dirs: Vec<&str> = storage.mounts().iter().map(|m| m.dir.as_str()).collect();
        assert_eq!(dirs, ["/", "/guest"]);
        let lines: Vec<&str> = fstab.lines().collect();
        assert_eq!(lines.len(), 15);
        let uuid = &storage.local(0).fs(1).unwrap().uuid;
        assert_eq!(
            lines[8],
            format!("UUID={uuid} /                       ext4    defaults        1 1")
        );
        assert!(lines[9].ends_with(" /guest                  ext4    defaults        1 2"));
        assert!(lines[10].ends_with(" swap                    swap    defaults        0 0"));
        assert_eq!(
            lines[12],
            "devpts                  /dev/pts                devpts  gid=5,mode=620  0 0"
        );
        let parsed = crate::world::storage::fstab::Fstab::parse(&fstab);
        assert!(parsed.errors.is_empty());
        assert_eq!(parsed.entries.len(), 7);
    }
}
