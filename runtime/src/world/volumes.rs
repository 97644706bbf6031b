//! Block devices and file systems on a host: `fdisk -l`, `parted`, `mkfs`, `mkdir`,
//! `mount` (block devices and NFS), `umount`, `df`, and `mount -a` over /etc/fstab.
//!
//! A device is named the host's way: `/dev/sdb`, `/dev/sdb1`, or by a stable name
//! (`UUID=…`, `/dev/disk/by-uuid/…`, `/dev/disk/by-path/ip-…-lun-0-part1`). Operations act
//! on the contents where they live (the host's disk, or the LUN on the NAS), so what one
//! host does to a shared LUN, another host logged in to it sees at once (kvmlab skips the
//! `partprobe` or re-login a real second host would need).
//!
//! mkfs takes simulated time: mke2fs's writes ([`ExtLayout::mkfs_bytes_written`]) at the
//! rate the storage absorbs them, which for a LUN is the slower of the NAS's RAID write rate
//! and the TCP payload rate of the host's link to the portal. Mounting an ext file system
//! read-write while another host has it mounted read-write succeeds, with the
//! `shared_non_cluster_fs` warning naming the hosts.
//!
//! mkfs and parted refuse what is mounted on their own host only; what they destroy on
//! another host's mount, a second label, mkfs over images, and fstab lines the next boot
//! fails on are warned at their line ([`super::damage`] keeps the damage).
//!
//! [`ExtLayout::mkfs_bytes_written`]: crate::world::storage::fs::ExtLayout::mkfs_bytes_written

use std::net::Ipv4Addr;

use super::advice::DiskUse;
use super::guest::GuestId;
use super::host::storage::{swap_uuid, DiskRef, FsLocation, Mount, HOST_E2FSPROGS};
use super::nas::{NasId, DATA_ROOT};
use super::net::Finding;
use super::storage::blockdev::{mountable_as, BlockContents, ExtFs, WHOLE_DEVICE};
use super::storage::fs::{df_h, DfRow, ExtLayout, FsType, Kernel, Statfs};
use super::storage::fstab::{Fstab, FstabEntry, FSTAB_PATH};
use super::storage::partition::{FdiskListing, Mkpart, UtilLinux};
use super::{HostId, World};
use crate::error::{Error, Result};
use crate::time::LabTime;

/// The kernel of the hosts kvmlab models (RHEL 6): its statfs decides what `df` shows.
pub const HOST_KERNEL: Kernel = Kernel::Linux2_6_32;

/// The util-linux of the hosts kvmlab models (RHEL 6), positions in cylinders as its
/// `fdisk -l` prints them without `-u`.
const HOST_FDISK: UtilLinux = UtilLinux::V2_17Rhel6 { sectors: false };

/// Sequential write rate assumed for a host's own disk: a 2010 7200 rpm SATA disk
/// (an assumption; the report measured none).
pub const LOCAL_DISK_WRITE_RATE: f64 = 120e6;

/// The NFS server's port.
pub const NFS_PORT: u16 = 2049;

/// File system types fstab lists that are not on a device kvmlab models.
const PSEUDO_FSTYPES: [&str; 5] = ["swap", "tmpfs", "devpts", "sysfs", "proc"];

/// One disk of `fdisk -l`, with what `blkid` would add.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BlockDeviceInfo {
    /// `sdb`.
    pub name: String,
    /// `/dev/sdb`.
    pub path: String,
    pub size: u64,
    pub model: String,
    /// The stable udev name of an iSCSI disk.
    pub by_path: Option<String>,
    pub partitions: Vec<PartitionInfo>,
    /// `fdisk -l` for this disk, as RHEL 6's fdisk prints it (its stdout).
    pub fdisk: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PartitionInfo {
    pub path: String,
    pub size: u64,
    pub fstype: Option<String>,
    pub uuid: Option<String>,
}

/// What a device holds, as `tune2fs` and `blkid` read it from its first blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probed<'w> {
    Ext(&'w ExtFs),
    /// The swap area the install made, by its UUID.
    Swap(String),
    Nothing,
}

/// A device looked up for `tune2fs` or `blkid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceProbe<'w> {
    /// The kernel's name for it, `/dev/sdb1`.
    pub device: String,
    pub holds: Probed<'w>,
    /// Mounted read-write on some host: a journal then is in use (e2fsprogs shows the
    /// `needs_recovery` feature) and ext2 is marked not clean.
    pub mounted_rw: bool,
}

/// One name `ls` lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub dir: bool,
}

/// What mkfs did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MkfsReport {
    pub device: String,
    pub fstype: String,
    /// mke2fs's "Filesystem UUID:" line, for `UUID=` in fstab.
    pub uuid: String,
    pub block_size: u64,
    pub blocks: u64,
    pub inodes: u64,
    /// Bytes per second the device absorbed mke2fs's writes at.
    pub write_rate: f64,
    #[serde(serialize_with = "serialize_seconds")]
    pub duration: LabTime,
    /// How mke2fs laid it out, for its report.
    #[serde(skip)]
    pub layout: ExtLayout,
    /// What the new file system destroyed (another host's mount, images).
    #[serde(skip)]
    pub warnings: Vec<Error>,
}

/// `df -h PATH`: the row, the statfs figures behind it, and the text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DfReport {
    pub row: DfRow,
    pub statfs: Statfs,
    pub text: String,
}

pub(crate) fn serialize_seconds<S: serde::Serializer>(
    time: &LabTime,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    serializer.serialize_f64(time.as_secs_f64())
}

/// A device path resolved on a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// The kernel's name for it, `/dev/sdb1`.
    pub device: String,
    /// The whole disk's name, `/dev/sdb`.
    pub disk_path: String,
    pub disk: DiskRef,
    pub partition: u32,
    /// The iSCSI portal's address, for a LUN.
    pub portal: Option<Ipv4Addr>,
}

impl Resolved {
    pub fn location(&self) -> FsLocation {
        FsLocation::Block {
            disk: self.disk.clone(),
            partition: self.partition,
        }
    }
}

/// What `mount -a` (or a boot stage) did with the fstab entries it chose.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct FstabMounts {
    /// The file's malformed lines.
    pub syntax: Vec<Error>,
    pub failures: Vec<(FstabEntry, Error)>,
    pub warnings: Vec<(FstabEntry, Error)>,
    pub attempted: usize,
}

impl FstabMounts {
    /// The failed mounts and the mounts' warnings, as findings on their fstab lines.
    pub fn mount_findings(self) -> Vec<Finding> {
        let failures = self
            .failures
            .into_iter()
            .map(|(entry, e)| fstab_finding(e, Some(entry.line)));
        let warnings = self
            .warnings
            .into_iter()
            .map(|(entry, w)| Finding::warning(FSTAB_PATH, Some(entry.line), w));
        failures.chain(warnings).collect()
    }
}

/// "sv1 and sv2", "sv1, sv2 and sv3".
fn and_list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

impl World {
    pub fn contents(&self, host: HostId, disk: &DiskRef) -> &BlockContents {
        match disk {
            DiskRef::Local { disk } => self.host(host).storage().local(*disk),
            DiskRef::Lun { nas, target, lun } => self
                .nas(*nas)
                .lun(target, *lun)
                .expect("a LUN a host is logged in to exists"),
        }
    }

    pub(crate) fn contents_mut(&mut self, host: HostId, disk: &DiskRef) -> &mut BlockContents {
        match disk {
            DiskRef::Local { disk } => self.hosts[host.0].storage_mut().local_mut(*disk),
            DiskRef::Lun { nas, target, lun } => self
                .nas_mut(*nas)
                .lun_mut(target, *lun)
                .expect("a LUN a host is logged in to exists"),
        }
    }

    /// The file system at a location, if one was made there.
    pub fn fs_at(&self, host: HostId, location: &FsLocation) -> Option<&ExtFs> {
        match location {
            FsLocation::Block { disk, partition } => self.contents(host, disk).fs(*partition),
            FsLocation::NasData { nas } => self.nas(*nas).data_fs(),
        }
    }

    pub(crate) fn fs_at_mut(&mut self, host: HostId, location: &FsLocation) -> Option<&mut ExtFs> {
        match location {
            FsLocation::Block { disk, partition } => {
                self.contents_mut(host, disk).fs_mut(*partition)
            }
            FsLocation::NasData { nas } => self.nas_mut(*nas).data_fs_mut(),
        }
    }

    /// Resolves a device as mount and mkfs do; `None` when it does not exist on the host.
    pub(crate) fn resolve_device(&self, host: HostId, source: &str) -> Option<Resolved> {
        let storage = self.host(host).storage();
        let devices = storage.devices();
        let make = |disk: &super::host::storage::BlockDevice, partition: u32| {
            let contents = self.contents(host, &disk.disk);
            if !contents.has_region(partition) {
                return None;
            }
            let device = if partition == WHOLE_DEVICE {
                disk.path()
            } else {
                let mut view = contents.disk.clone();
                view.path = disk.path();
                view.partition_path(partition)
            };
            Some(Resolved {
                device,
                disk_path: disk.path(),
                disk: disk.disk.clone(),
                partition,
                portal: disk.iscsi.as_ref().map(|p| p.portal.ip),
            })
        };
        let uuid = source
            .strip_prefix("UUID=")
            .or_else(|| source.strip_prefix("/dev/disk/by-uuid/"));
        if let Some(uuid) = uuid {
            let uuid = uuid.trim_matches('"');
            return devices.iter().find_map(|d| {
                let partition = self.contents(host, &d.disk).find_uuid(uuid)?;
                make(d, partition)
            });
        }
        if source.starts_with("/dev/disk/by-path/") {
            return devices.iter().find_map(|d| {
                let by_path = d.iscsi.as_ref()?.by_path();
                let rest = source.strip_prefix(by_path.as_str())?;
                let partition = match rest.strip_prefix("-part") {
                    Some(n) => n.parse().ok().filter(|n| *n > 0)?,
                    None if rest.is_empty() => WHOLE_DEVICE,
                    None => return None,
                };
                make(d, partition)
            });
        }
        let name = source.strip_prefix("/dev/")?;
        let disk_name = name.trim_end_matches(|c: char| c.is_ascii_digit());
        let digits = &name[disk_name.len()..];
        let partition = if digits.is_empty() {
            WHOLE_DEVICE
        } else {
            digits.parse().ok().filter(|n| *n > 0)?
        };
        make(storage.device(disk_name)?, partition)
    }

    fn device_help(&self, host: HostId, asked: &str) -> String {
        self.missing_device_help(host, asked)
    }

    /// The whole disk `dev` (`/dev/sdb`) for parted.
    fn parted_disk(&self, host: HostId, dev: &str) -> Result<(DiskRef, String)> {
        self.host(host).require_command("parted")?;
        match self.resolve_device(host, dev) {
            Some(r) if r.partition == WHOLE_DEVICE => Ok((r.disk, r.device)),
            other => {
                let mut help = self.device_help(host, dev);
                if let Some(r) = other {
                    help = format!(
                        "{} is a partition: parted works on the whole disk; {help}",
                        r.device
                    );
                }
                Err(Error::NoSuchBlockDevice {
                    host: self.host(host).name().into(),
                    device: dev.into(),
                    help,
                })
            }
        }
    }

    /// Refuses a parted change to the host's own system disk.
    fn refuse_parted_on_system_disk(&self, host: HostId, path: &str, command: &str) -> Result<()> {
        match self.resolve_device(host, path) {
            Some(r) => {
                self.refuse_system_disk(host, &r, &format!("parted {command}"), DiskUse::Parted)
            }
            None => Ok(()),
        }
    }

    /// Runs `f` on a disk's contents with the disk carrying this host's name for it.
    fn with_disk<T>(
        &mut self,
        host: HostId,
        disk: &DiskRef,
        path: &str,
        f: impl FnOnce(&mut BlockContents) -> Result<T>,
    ) -> Result<T> {
        let contents = self.contents_mut(host, disk);
        let stored = std::mem::replace(&mut contents.disk.path, path.into());
        let result = f(contents);
        contents.disk.path = stored;
        result
    }

    /// Mounts on this host of file systems on `disk` (any partition, or only `partition`).
    fn mounted_on_disk(&self, host: HostId, disk: &DiskRef, partition: Option<u32>) -> Vec<&Mount> {
        self.host(host)
            .storage()
            .mounts()
            .iter()
            .filter(|m| match &m.location {
                FsLocation::Block {
                    disk: d,
                    partition: p,
                } => d == disk && partition.is_none_or(|want| want == *p),
                FsLocation::NasData { .. } => false,
            })
            .collect()
    }

    fn refuse_in_use(
        &self,
        host: HostId,
        disk: &DiskRef,
        partition: Option<u32>,
        device: &str,
    ) -> Result<()> {
        let mounted = self.mounted_on_disk(host, disk, partition);
        if mounted.is_empty() {
            return Ok(());
        }
        let dirs: Vec<String> = mounted.iter().map(|m| m.dir.clone()).collect();
        Err(Error::PartitionsInUse {
            host: self.host(host).name().into(),
            device: device.into(),
            mounted: dirs.join(", "),
        })
    }

    /// `fdisk -l`: every disk of the host, by name.
    pub fn disks(&self, host: HostId) -> Result<Vec<BlockDeviceInfo>> {
        self.host(host).require_command("fdisk")?;
        Ok(self
            .host(host)
            .storage()
            .devices()
            .iter()
            .map(|d| {
                let contents = self.contents(host, &d.disk);
                let mut view = contents.disk.clone();
                view.path = d.path();
                let partitions = view
                    .partitions()
                    .iter()
                    .map(|p| {
                        let fs = contents.fs(p.number);
                        PartitionInfo {
                            path: view.partition_path(p.number),
                            size: p.size_bytes(),
                            fstype: fs.map(|f| f.fstype().name().to_string()),
                            uuid: fs.map(|f| f.uuid.clone()),
                        }
                    })
                    .collect();
                BlockDeviceInfo {
                    name: d.name.clone(),
                    path: d.path(),
                    size: view.size_bytes(),
                    model: view.model.clone(),
                    by_path: d.iscsi.as_ref().map(|p| p.by_path()),
                    partitions,
                    fdisk: view.fdisk_list(HOST_FDISK).stdout,
                }
            })
            .collect())
    }

    /// What `tune2fs DEV` and `blkid DEV` read: `None` when the host has no such device.
    pub fn probe_device(&self, host: HostId, dev: &str) -> Option<DeviceProbe<'_>> {
        let resolved = self.resolve_device(host, dev)?;
        Some(self.probe(host, &resolved))
    }

    /// Every device and partition of the host, in `/proc/partitions` order, for `blkid`.
    pub fn probe_all(&self, host: HostId) -> Vec<DeviceProbe<'_>> {
        let mut found = Vec::new();
        for device in self.host(host).storage().devices() {
            let path = device.path();
            let numbers: Vec<u32> = self
                .contents(host, &device.disk)
                .disk
                .partitions()
                .iter()
                .map(|p| p.number)
                .collect();
            for number in std::iter::once(WHOLE_DEVICE).chain(numbers) {
                let name = if number == WHOLE_DEVICE {
                    path.clone()
                } else {
                    let mut view = self.contents(host, &device.disk).disk.clone();
                    view.path = path.clone();
                    view.partition_path(number)
                };
                found.extend(self.probe_device(host, &name));
            }
        }
        found
    }

    fn probe(&self, host: HostId, resolved: &Resolved) -> DeviceProbe<'_> {
        let location = resolved.location();
        let contents = self.contents(host, &resolved.disk);
        let holds = match self.fs_at(host, &location) {
            Some(fs) => Probed::Ext(fs),
            // Only the install makes swap areas, on the system disk (kvmlab has no mkswap).
            None if self.is_system_disk(host, &resolved.disk) => contents
                .disk
                .partition(resolved.partition)
                .ok()
                .filter(|p| p.fs_hint.as_deref() == Some("linux-swap"))
                .map_or(Probed::Nothing, |p| {
                    let device = contents.disk.partition_path(p.number);
                    Probed::Swap(swap_uuid(self.host(host).name(), &device))
                }),
            None => Probed::Nothing,
        };
        // A local disk is only this host's; a LUN is the same storage on every host.
        let mounted_rw = self.hosts().any(|(id, h)| {
            h.storage().mounts().iter().any(|m| {
                !m.read_only
                    && ((id == host && m.location == location)
                        || m.location.same_storage(&location))
            })
        });
        DeviceProbe {
            device: resolved.device.clone(),
            holds,
            mounted_rw,
        }
    }

    /// `fdisk -l [-u]`: each disk's path and listing, as RHEL 6's fdisk prints them.
    pub fn fdisk_l(&self, host: HostId, sectors: bool) -> Result<Vec<(String, FdiskListing)>> {
        self.host(host).require_command("fdisk")?;
        Ok(self
            .host(host)
            .storage()
            .devices()
            .iter()
            .map(|d| {
                let mut view = self.contents(host, &d.disk).disk.clone();
                view.path = d.path();
                let listing = view.fdisk_list(UtilLinux::V2_17Rhel6 { sectors });
                (view.path, listing)
            })
            .collect())
    }

    /// `parted DEV print`.
    pub fn parted_print(&self, host: HostId, dev: &str) -> Result<String> {
        let (disk, path) = self.parted_disk(host, dev)?;
        let mut view = self.contents(host, &disk).disk.clone();
        view.path = path;
        Ok(view.parted_print())
    }

    /// `parted DEV unit s print`.
    pub fn parted_print_sectors(&self, host: HostId, dev: &str) -> Result<String> {
        let (disk, path) = self.parted_disk(host, dev)?;
        let mut view = self.contents(host, &disk).disk.clone();
        view.path = path;
        Ok(view.parted_print_sectors())
    }

    /// `parted DEV mklabel gpt|msdos`. Refused while a partition of the disk is mounted here;
    /// returns the warnings for what the new table destroyed (partitions, another host's
    /// mounts).
    pub fn parted_mklabel(&mut self, host: HostId, dev: &str, label: &str) -> Result<Vec<Error>> {
        let (disk, path) = self.parted_disk(host, dev)?;
        self.refuse_parted_on_system_disk(host, &path, "mklabel")?;
        self.refuse_in_use(host, &disk, None, &path)?;
        let lost = self.partitions_described(host, &disk, &path);
        let plan = self.plan_overwrite(
            host,
            &disk,
            |_| true,
            &format!("`parted {path} mklabel {label}`"),
            "wrote a new partition table over it",
        );
        self.with_disk(host, &disk, &path, |c| c.mklabel(label))?;
        let mut warnings = Vec::new();
        if let Some(lost) = lost {
            warnings.push(Error::LabelReplacedPartitions {
                host: self.host(host).name().into(),
                device: path,
                label: label.into(),
                lost,
            });
        }
        warnings.extend(self.apply_overwrite(plan));
        Ok(warnings)
    }

    /// "/dev/sdb1 (ext3, 2 guest images) and /dev/sdb2 (no file system)", or `None` for a
    /// disk without partitions.
    fn partitions_described(&self, host: HostId, disk: &DiskRef, path: &str) -> Option<String> {
        let contents = self.contents(host, disk);
        let parts: Vec<String> = contents
            .disk
            .partitions()
            .iter()
            .map(|p| {
                let what = match contents.fs(p.number) {
                    None => "no file system".to_string(),
                    Some(fs) => match fs.file_count() {
                        0 => format!("{}, empty", fs.fstype().name()),
                        1 => format!("{}, 1 guest image", fs.fstype().name()),
                        n => format!("{}, {n} guest images", fs.fstype().name()),
                    },
                };
                let mut view = contents.disk.clone();
                view.path = path.into();
                format!("{} ({what})", view.partition_path(p.number))
            })
            .collect();
        match parts.as_slice() {
            [] => None,
            [one] => Some(one.clone()),
            [init @ .., last] => Some(format!("{} and {last}", init.join(", "))),
        }
    }

    /// `parted DEV mkpart NAME FSTYPE START END` (see [`crate::world::storage::partition`]).
    pub fn parted_mkpart(
        &mut self,
        host: HostId,
        dev: &str,
        name: &str,
        fstype: &str,
        start: &str,
        end: &str,
    ) -> Result<Mkpart> {
        let (disk, path) = self.parted_disk(host, dev)?;
        self.refuse_parted_on_system_disk(host, &path, "mkpart")?;
        self.with_disk(host, &disk, &path, |c| c.mkpart(name, fstype, start, end))
    }

    /// `parted DEV rm NUMBER`. Refused while that partition is mounted here; returns the
    /// warnings for another host's mount of it.
    pub fn parted_rm(&mut self, host: HostId, dev: &str, number: u32) -> Result<Vec<Error>> {
        let (disk, path) = self.parted_disk(host, dev)?;
        self.refuse_parted_on_system_disk(host, &path, "rm")?;
        self.refuse_in_use(host, &disk, Some(number), &path)?;
        let plan = self.plan_overwrite(
            host,
            &disk,
            |p| p == number,
            &format!("`parted {path} rm {number}`"),
            "removed its partition",
        );
        self.with_disk(host, &disk, &path, |c| c.rm(number))?;
        Ok(self.apply_overwrite(plan))
    }

    /// `mkdir PATH`.
    pub fn mkdir(&mut self, host: HostId, path: &str) -> Result<()> {
        self.hosts[host.0].create_dir(path, false)
    }

    /// `mkfs.FSTYPE DEV`: a new file system, and how long mke2fs runs.
    pub fn mkfs(&mut self, host: HostId, fstype: &str, dev: &str) -> Result<MkfsReport> {
        let kind = FsType::parse(fstype)?;
        self.host(host)
            .require_command(&format!("mkfs.{}", kind.name()))?;
        let Some(resolved) = self.resolve_device(host, dev) else {
            return Err(Error::NoSuchBlockDevice {
                host: self.host(host).name().into(),
                device: dev.into(),
                help: self.device_help(host, dev),
            });
        };
        self.refuse_system_disk(
            host,
            &resolved,
            &format!("mkfs.{}", kind.name()),
            DiskUse::Mkfs,
        )?;
        if let Some(m) = self
            .mounted_on_disk(host, &resolved.disk, Some(resolved.partition))
            .first()
        {
            let fs = self.fs_at(host, &m.location);
            let held = match fs.map_or(0, |fs| fs.file_count()) {
                0 => "no files yet".to_string(),
                1 => "1 file".to_string(),
                n => format!("{n} files"),
            };
            let made = fs.map_or("a".to_string(), |fs| format!("an {}", fs.fstype().name()));
            return Err(Error::DeviceMounted {
                host: self.host(host).name().into(),
                device: resolved.device.clone(),
                dir: m.dir.clone(),
                help: format!(
                    "{} already holds {made} file system, mounted on {} with {held}: it is made and in use, so skip this mkfs (a new file system would lose every file on it)",
                    resolved.device, m.dir
                ),
            });
        }
        let seed = match &resolved.disk {
            DiskRef::Local { disk } => format!("{}:{disk}", self.host(host).name()),
            DiskRef::Lun { nas, target, lun } => {
                format!("{}:{target}:{lun}", self.nas(*nas).name())
            }
        };
        let location = resolved.location();
        let rate = self.write_rate(host, &location, resolved.portal);
        let device = resolved.device.clone();
        let plan = self.plan_overwrite(
            host,
            &resolved.disk,
            |p| p == resolved.partition,
            &format!("`mkfs.{} {dev}`", kind.name()),
            "wrote a new file system over it",
        );
        let replaced_images = self
            .fs_at(host, &location)
            .filter(|fs| fs.file_count() > 0)
            .map(|fs| {
                format!(
                    "`mkfs.{} {dev}` on {} wrote it over the {} file system that held {}",
                    kind.name(),
                    self.host(host).name(),
                    fs.fstype().name(),
                    match fs.file_count() {
                        1 => "1 guest image".to_string(),
                        n => format!("{n} guest images"),
                    }
                )
            });
        let replaced = self
            .fs_at(host, &location)
            .filter(|fs| fs.file_count() > 0)
            .map(|fs| Error::MkfsReplacedFiles {
                host: self.host(host).name().into(),
                fstype: kind.name().into(),
                device: device.clone(),
                old: fs.fstype().name().into(),
                contents: match fs.file_count() {
                    1 => "1 guest image".into(),
                    n => format!("{n} guest images"),
                },
            });
        let fs = self.with_disk(host, &resolved.disk, &resolved.disk_path, |c| {
            c.mkfs(resolved.partition, kind, HOST_E2FSPROGS, &seed)
                .cloned()
        })?;
        if let Some(new_fs) = self.fs_at_mut(host, &location) {
            new_fs.replaced = replaced_images;
        }
        let mut warnings = self.apply_overwrite(plan);
        if warnings.is_empty() {
            warnings.extend(replaced);
        }
        Ok(MkfsReport {
            warnings,
            device,
            fstype: kind.name().into(),
            uuid: fs.uuid.clone(),
            block_size: fs.layout.block_size,
            blocks: fs.layout.blocks,
            inodes: fs.layout.inodes,
            write_rate: rate,
            duration: fs.layout.mkfs_duration(rate),
            layout: fs.layout.clone(),
        })
    }

    /// Bytes per second a file system's storage absorbs writes from `host`: a local disk's
    /// rate, or for NAS storage the slower of the RAID and the link's TCP payload.
    pub(crate) fn write_rate(
        &self,
        host: HostId,
        location: &FsLocation,
        address: Option<Ipv4Addr>,
    ) -> f64 {
        let nas = match location {
            FsLocation::Block {
                disk: DiskRef::Local { .. },
                ..
            } => return LOCAL_DISK_WRITE_RATE,
            FsLocation::Block {
                disk: DiskRef::Lun { nas, .. },
                ..
            }
            | FsLocation::NasData { nas } => *nas,
        };
        let raid = self.nas(nas).write_rate();
        let Some(address) = address else { return raid };
        // iSCSI's 48-byte PDU headers are negligible beside TCP's own framing.
        raid.min(self.link_rate(host, nas, address) * crate::world::net::TCP_GOODPUT)
    }

    /// The slower of the host's link toward `address` and the NAS port that has it.
    fn link_rate(&self, host: HostId, nas: NasId, address: Ipv4Addr) -> f64 {
        let best = |stack: &super::node::NetStack, iface: Option<&super::node::Interface>| {
            iface
                .map(|i| {
                    stack
                        .attachments(i)
                        .iter()
                        .filter_map(|n| n.link.as_ref().map(|l| l.rate))
                        .fold(0.0, f64::max)
                })
                .filter(|r| *r > 0.0)
                .unwrap_or(f64::INFINITY)
        };
        let stack = self.host(host).net();
        let host_side = best(
            stack,
            stack.lookup(address).and_then(|r| stack.interface(&r.dev)),
        );
        let nas_stack = self.nas(nas).net();
        let nas_side = best(
            nas_stack,
            nas_stack
                .interfaces
                .iter()
                .find(|i| i.addresses.iter().any(|a| a.addr() == address)),
        );
        host_side.min(nas_side)
    }

    /// `mount -t FSTYPE SOURCE DIR`. Returns the warnings it raises.
    pub fn mount(
        &mut self,
        host: HostId,
        source: &str,
        dir: &str,
        fstype: &str,
    ) -> Result<Vec<Error>> {
        self.mount_with_options(host, source, dir, fstype, "defaults")
    }

    /// `mount -t FSTYPE -o OPTIONS SOURCE DIR`; `auto` (or empty) detects the type.
    pub fn mount_with_options(
        &mut self,
        host: HostId,
        source: &str,
        dir: &str,
        fstype: &str,
        options: &str,
    ) -> Result<Vec<Error>> {
        let h = self.host(host);
        h.require_command("mount")?;
        let host_name = h.name().to_string();
        super::host::fs::check_path(dir)?;
        if !h.is_dir(dir) {
            return Err(Error::MountPointMissing {
                host: host_name,
                dir: dir.into(),
            });
        }
        let read_only = options.split(',').any(|o| o == "ro");
        if matches!(fstype, "nfs" | "nfs4") || (!source.starts_with('/') && source.contains(':')) {
            return self.mount_nfs(host, source, dir, fstype, options, read_only);
        }
        let Some(resolved) = self.resolve_device(host, source) else {
            return Err(Error::SpecialDeviceMissing {
                host: host_name,
                device: source.into(),
                help: self.device_help(host, source),
            });
        };
        let location = resolved.location();
        let system = self.is_system_disk(host, &resolved.disk);
        let Some(fs) = self.fs_at(host, &location) else {
            let help = if system {
                self.system_disk_help(host, &resolved, DiskUse::Mount)
            } else {
                self.no_file_system_help(host, &resolved, fstype)
            };
            return Err(Error::WrongFsType {
                host: host_name,
                device: resolved.device.clone(),
                reason: "it holds no file system".into(),
                help,
            });
        };
        let made = fs.fstype();
        let driver = match fstype {
            "" | "auto" => made,
            other => FsType::parse(other)?,
        };
        if !mountable_as(made, driver) {
            return Err(Error::WrongFsType {
                host: host_name,
                device: resolved.device.clone(),
                reason: format!(
                    "it holds {}, which the {} driver cannot mount",
                    made.name(),
                    driver.name()
                ),
                help: if system {
                    self.system_disk_help(host, &resolved, DiskUse::Mount)
                } else {
                    format!(
                        "mount it as {} (`-t {}`), or as auto",
                        made.name(),
                        made.name()
                    )
                },
            });
        }
        let mounts = self.host(host).storage().mounts();
        if mounts
            .iter()
            .any(|m| m.dir == dir && m.location == location)
        {
            return Err(Error::AlreadyMounted {
                host: host_name,
                device: resolved.device,
                dir: dir.into(),
            });
        }
        let mut warnings = Vec::new();
        // A system file system mounted a second time or away from its fstab place: real
        // mount allows it, but the trainee meant the iSCSI disk.
        if system && !self.is_own_system_mount(host, &resolved, dir) {
            warnings.push(self.system_disk_error(host, &resolved, "mount", DiskUse::Mount));
        }
        if !read_only {
            let others: Vec<String> = self
                .hosts()
                .filter(|(id, _)| *id != host)
                .filter(|(_, other)| {
                    other
                        .storage()
                        .mounts()
                        .iter()
                        .any(|m| !m.read_only && m.location.same_storage(&location))
                })
                .map(|(_, other)| other.name().to_string())
                .collect();
            if !others.is_empty() {
                let mut names: Vec<(HostId, String)> = self
                    .hosts()
                    .filter(|(id, h)| *id == host || others.iter().any(|o| o == h.name()))
                    .map(|(id, h)| (id, h.name().to_string()))
                    .collect();
                names.sort();
                let names: Vec<String> = names.into_iter().map(|(_, n)| n).collect();
                warnings.push(Error::SharedNonClusterFs {
                    fstype: made.name().into(),
                    device: resolved.device.clone(),
                    hosts: and_list(&names),
                });
            }
        }
        warnings.extend(self.files_hidden_by_mount(host, dir));
        self.hosts[host.0].storage_mut().add_mount(Mount {
            source: resolved.device,
            location,
            root: "/".into(),
            dir: dir.into(),
            fstype: driver.name().into(),
            options: options.into(),
            read_only,
            lost: None,
            journal_aborted: false,
        });
        Ok(warnings)
    }

    /// The files in `dir` that a mount there is about to cover: images made before the
    /// file system they were meant for was mounted.
    fn files_hidden_by_mount(&self, host: HostId, dir: &str) -> Option<Error> {
        let (under, inner) = self.locate(host, dir)?;
        let names: Vec<String> = self
            .fs_at(host, &under.location)?
            .files_in(&inner)
            .into_iter()
            .map(|(name, _)| name.to_string())
            .collect();
        if names.is_empty() {
            return None;
        }
        Some(Error::MountHidesFiles {
            host: self.host(host).name().into(),
            dir: dir.into(),
            are: if names.len() == 1 { "is" } else { "are" }.into(),
            files: and_list(&names),
            under: format!("{} ({} on {})", under.source, under.fstype, under.dir),
        })
    }

    fn mount_nfs(
        &mut self,
        host: HostId,
        source: &str,
        dir: &str,
        fstype: &str,
        options: &str,
        read_only: bool,
    ) -> Result<Vec<Error>> {
        let h = self.host(host);
        let host_name = h.name().to_string();
        if !h.packages().has_command("mount.nfs") {
            return Err(Error::WrongFsType {
                host: host_name,
                device: source.into(),
                reason: "there is no /sbin/mount.nfs helper".into(),
                help: "NFS mounts need nfs-utils: `yum install nfs-utils`".into(),
            });
        }
        let failed = |reason: &str, help: String| Error::NfsMountFailed {
            host: host_name.clone(),
            source_spec: source.into(),
            reason: reason.into(),
            help,
        };
        let Some((server, export)) = source.split_once(':') else {
            return Err(failed(
                "remote share not in 'host:dir' format",
                "write SERVER:/EXPORT, e.g. 10.10.1.10:/raid0/data/vm".into(),
            ));
        };
        let address = match server.parse::<Ipv4Addr>() {
            Ok(a) => a,
            Err(_) => h.resolve(server)?.address,
        };
        let nas = self
            .tcp_connect(host, address, NFS_PORT, &[NFS_PORT])
            .map_err(|refusal| failed(&refusal.errno, refusal.help))?;
        let n = self.nas(nas);
        let Some(share) = n.share_for_export(export) else {
            let exports: Vec<String> = n
                .shares()
                .iter()
                .map(|s| format!("{DATA_ROOT}/{s}"))
                .collect();
            let help = if exports.is_empty() {
                format!("{} exports nothing: create a share on it first", n.name())
            } else {
                format!("{} exports {}", n.name(), exports.join(", "))
            };
            return Err(failed("access denied by server", help));
        };
        let root = format!("/{share}");
        let canonical = format!("{address}:{export}");
        let location = FsLocation::NasData { nas };
        let mounts = self.host(host).storage().mounts();
        if mounts.iter().any(|m| m.dir == dir && m.source == canonical) {
            return Err(Error::AlreadyMounted {
                host: host_name,
                device: canonical,
                dir: dir.into(),
            });
        }
        self.hosts[host.0].storage_mut().add_mount(Mount {
            source: canonical,
            location,
            root,
            dir: dir.into(),
            fstype: if fstype.is_empty() { "nfs" } else { fstype }.into(),
            options: options.into(),
            read_only,
            lost: None,
            journal_aborted: false,
        });
        Ok(Vec::new())
    }

    /// `umount DIR` or `umount DEVICE`: the latest mount of it goes.
    pub fn umount(&mut self, host: HostId, target: &str) -> Result<()> {
        let h = self.host(host);
        h.require_command("umount")?;
        let device = self.resolve_device(host, target).map(|r| r.device);
        let mounts = h.storage().mounts();
        let Some(index) = mounts.iter().rposition(|m| {
            m.dir == target || m.source == target || Some(&m.source) == device.as_ref()
        }) else {
            return Err(Error::NotMounted {
                host: h.name().into(),
                path: target.into(),
            });
        };
        let dir = &mounts[index].dir;
        if let Some(inner) = mounts
            .iter()
            .find(|m| m.dir != *dir && mounts[index].covers(&m.dir))
        {
            return Err(Error::TargetBusy {
                host: h.name().into(),
                dir: dir.clone(),
                help: format!("{} is mounted inside {dir}: unmount it first", inner.dir),
            });
        }
        // qemu keeps a running guest's image open, so the kernel refuses the umount.
        let location = mounts[index].location.clone();
        let users: Vec<GuestId> = self
            .guests_running_on(&location)
            .into_iter()
            .filter(|g| self.guest(*g).host == host)
            .collect();
        if let Some(first) = users.first() {
            let guest = self.guest(*first);
            return Err(Error::TargetBusy {
                host: h.name().into(),
                dir: dir.clone(),
                help: format!(
                    "{} runs from {} on it and qemu holds the file open: shut it down (`shutdown()`) or migrate it to a host that keeps {dir} mounted, then unmount",
                    guest.name(),
                    guest.spec.disk.path
                ),
            });
        }
        self.hosts[host.0].storage_mut().remove_mount(index);
        Ok(())
    }

    /// What `ls DIR` lists on a host: the directories and files under `dir` in the host's
    /// files, the guest images of the file system mounted there, and `lost+found` at the
    /// top of an ext file system; sorted by name. `None` when `dir` is not a directory.
    pub fn list_dir(&self, host: HostId, dir: &str) -> Option<Vec<DirEntry>> {
        let h = self.host(host);
        if !h.is_dir(dir) {
            return None;
        }
        let inside = |path: &str| {
            let rest = if dir == "/" {
                path.strip_prefix('/')
            } else {
                path.strip_prefix(dir).and_then(|r| r.strip_prefix('/'))
            };
            rest.filter(|name| !name.is_empty() && !name.contains('/'))
                .map(str::to_string)
        };
        let mut entries: Vec<DirEntry> = h
            .dirs()
            .into_iter()
            .filter_map(|d| inside(d).map(|name| DirEntry { name, dir: true }))
            .chain(
                h.files()
                    .into_iter()
                    .filter_map(|f| inside(f).map(|name| DirEntry { name, dir: false })),
            )
            .collect();
        if let Some((mount, inner)) = self.locate(host, dir) {
            if let Some(fs) = self
                .fs_at(host, &mount.location)
                .filter(|_| mount.lost.is_none())
            {
                let inner = match inner.trim_matches('/') {
                    "" => "/".to_string(),
                    rest => format!("/{rest}"),
                };
                for (name, _) in fs.files_in(&inner) {
                    entries.push(DirEntry {
                        name: name.to_string(),
                        dir: false,
                    });
                }
                if inner == "/" {
                    entries.push(DirEntry {
                        name: "lost+found".into(),
                        dir: true,
                    });
                }
            }
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        entries.dedup_by(|a, b| a.name == b.name);
        Some(entries)
    }

    /// The mount holding `path` and the path inside its file system.
    pub(crate) fn locate(&self, host: HostId, path: &str) -> Option<(&Mount, String)> {
        let (_, mount) = self.host(host).storage().mount_for(path)?;
        Some((mount, mount.inner_path(path)))
    }

    /// `df -h PATH`: the file system holding a path, or a mounted device.
    pub fn df(&self, host: HostId, path: &str) -> Result<DfReport> {
        let h = self.host(host);
        h.require_command("mount")?;
        let mount = if path.starts_with("/dev/") {
            let device = self.resolve_device(host, path).map(|r| r.device);
            h.storage()
                .mounts()
                .iter()
                .rev()
                .find(|m| Some(&m.source) == device.as_ref())
                .ok_or_else(|| Error::NotMounted {
                    host: h.name().into(),
                    path: path.into(),
                })?
        } else {
            let exists = h.is_dir(path)
                || h.read_file(path).is_ok()
                || self.locate(host, path).is_some_and(|(m, inner)| {
                    self.fs_at(host, &m.location)
                        .is_some_and(|fs| fs.file(&inner).is_some())
                });
            if !exists {
                if let Some((mount, _)) = self.locate(host, path).filter(|(m, _)| m.lost.is_some())
                {
                    return Err(self.mount_lost(host, mount));
                }
                return Err(Error::NoSuchFile {
                    host: h.name().into(),
                    path: path.into(),
                    help: "df reports the file system holding an existing path: check the path"
                        .into(),
                });
            }
            self.locate(host, path)
                .map(|(m, _)| m)
                .expect("the root file system holds every path")
        };
        let statfs = self
            .fs_at(host, &mount.location)
            .ok_or_else(|| self.mount_lost(host, mount))?
            .statfs(HOST_KERNEL);
        let row = statfs.df_h_row(&mount.source, &mount.dir);
        let text = df_h(std::slice::from_ref(&row));
        Ok(DfReport { row, statfs, text })
    }

    /// Mounts the fstab entries `select` picks that are not mounted yet, in file order.
    pub(crate) fn mount_fstab(
        &mut self,
        host: HostId,
        select: impl Fn(&FstabEntry) -> bool,
    ) -> Result<FstabMounts> {
        let fstab = self.host(host).fstab()?;
        let mut done = FstabMounts {
            syntax: fstab.errors,
            ..FstabMounts::default()
        };
        for entry in fstab.entries {
            let pseudo = PSEUDO_FSTYPES.contains(&entry.fstype.as_str()) || entry.target == "swap";
            let mounted = self
                .host(host)
                .storage()
                .mounts()
                .iter()
                .any(|m| m.dir == entry.target);
            if pseudo
                || mounted
                || entry.target == "/"
                || entry.has_option("noauto")
                || !select(&entry)
            {
                continue;
            }
            done.attempted += 1;
            let options = entry.options.clone().unwrap_or_else(|| "defaults".into());
            match self.mount_with_options(
                host,
                &entry.source,
                &entry.target,
                &entry.fstype,
                &options,
            ) {
                Ok(warnings) => done
                    .warnings
                    .extend(warnings.into_iter().map(|w| (entry.clone(), w))),
                Err(e) => done.failures.push((entry, e)),
            }
        }
        Ok(done)
    }

    /// Writes a file of the host as [`Host::write_file`] does, and warns at once of the
    /// fstab lines the next boot will fail on: an iSCSI device without `_netdev`, or
    /// a file system mounted now whose line is gone.
    ///
    /// [`Host::write_file`]: super::host::Host::write_file
    pub fn write_host_file(
        &mut self,
        host: HostId,
        path: &str,
        text: &str,
    ) -> Result<Vec<Finding>> {
        let before = if path == FSTAB_PATH {
            self.host(host).fstab().ok()
        } else {
            None
        };
        let mut findings = self.hosts[host.0].write_file(path, text)?;
        findings.extend(self.fstab_boot_findings(host, path, 1));
        if let Some(before) = before {
            findings.extend(self.fstab_dropped_findings(host, &before));
        }
        Ok(findings)
    }

    /// `rm PATH`, or `rm -r PATH` with `recursive`: a host file, an image file of a mounted
    /// file system, or a directory with everything in it, images included. Refused: a
    /// directory without `recursive`, a directory that is or holds a mount point (the kernel
    /// keeps a mount point, and kvmlab does not empty a mounted file system through rm),
    /// and an image a guest has as its disk, on this host or another that mounts the same
    /// file system; a refusal removes nothing.
    pub fn remove_host_path(&mut self, host: HostId, path: &str, recursive: bool) -> Result<()> {
        crate::world::host::fs::check_path(path)?;
        let h = self.host(host);
        let is_dir = h.is_dir(path);
        if is_dir {
            if !recursive {
                return Err(Error::IsADirectory {
                    host: h.name().into(),
                    path: path.into(),
                });
            }
            let below =
                |dir: &str| path == "/" || dir == path || dir.starts_with(&format!("{path}/"));
            if let Some(mount) = h.storage().mounts().iter().find(|m| below(&m.dir)) {
                return Err(Error::CannotRemove {
                    host: h.name().into(),
                    path: mount.dir.clone(),
                    reason: "Device or resource busy".into(),
                    help: format!(
                        "{} is a mount point of {}: unmount it first (`umount {}`)",
                        mount.dir, mount.source, mount.dir
                    ),
                });
            }
        } else if h.read_file(path).is_ok() {
            return self.hosts[host.0].remove_file(path);
        }
        let images = self.images_at(host, path, is_dir);
        if images.is_empty() && !is_dir {
            return self.hosts[host.0].remove_file(path);
        }
        for (location, inner, shown) in &images {
            self.check_image_unused(host, location, inner, shown)?;
        }
        for (location, inner, _) in &images {
            if let Some(fs) = self.fs_at_mut(host, location) {
                fs.remove_file(inner);
            }
        }
        if is_dir {
            self.hosts[host.0].remove_dir_all(path)?;
        }
        Ok(())
    }

    /// The image files of a mounted file system at `path`, or below it for a directory:
    /// where each lives, its path inside the file system and its path on the host.
    fn images_at(&self, host: HostId, path: &str, dir: bool) -> Vec<(FsLocation, String, String)> {
        let Some((mount, inner)) = self.locate(host, path) else {
            return Vec::new();
        };
        let Some(fs) = self.fs_at(host, &mount.location) else {
            return Vec::new();
        };
        let found: Vec<&str> = if dir {
            fs.paths_under(&inner)
        } else {
            fs.file(&inner)
                .map(|_| inner.as_str())
                .into_iter()
                .collect()
        };
        found
            .into_iter()
            .map(|file| {
                let shown = format!("{path}{}", &file[inner.len()..]);
                (mount.location.clone(), file.to_string(), shown)
            })
            .collect()
    }

    /// Refuses removing an image some guest has as its disk.
    fn check_image_unused(
        &self,
        host: HostId,
        location: &FsLocation,
        inner: &str,
        shown: &str,
    ) -> Result<()> {
        let user = self.guests().find(|(_, g)| {
            self.locate(g.spec.disk.host, &g.spec.disk.path)
                .is_some_and(|(m, other)| m.location == *location && other == inner)
        });
        match user {
            Some((_, guest)) => Err(Error::CannotRemove {
                host: self.host(host).name().into(),
                path: shown.into(),
                reason: format!("it is the disk of guest {} on {}", guest.name(), self.host(guest.host).name()),
                help: format!("{} boots from this image: kvmlab keeps the image of a defined guest; make a new volume (`pool.create_volume(..)`) for another guest", guest.name()),
            }),
            None => Ok(()),
        }
    }

    /// The entries of the old fstab, mounted now, that the new one no longer lists: the next
    /// boot will not mount them. The root is left out (the kernel mounts it).
    fn fstab_dropped_findings(&self, host: HostId, before: &Fstab) -> Vec<Finding> {
        let Ok(after) = self.host(host).fstab() else {
            return Vec::new();
        };
        let h = self.host(host);
        before
            .entries
            .iter()
            .filter(|e| e.target != "/" && !e.has_option("noauto"))
            .filter(|e| h.storage().mounts().iter().any(|m| m.dir == e.target))
            .filter(|e| !after.entries.iter().any(|a| a.target == e.target))
            .map(|e| {
                Finding::warning(
                    FSTAB_PATH,
                    None,
                    Error::FstabDroppedMount {
                        host: h.name().into(),
                        dir: e.target.clone(),
                        source_spec: e.source.clone(),
                    },
                )
            })
            .collect()
    }

    /// Appends to a file of the host as [`Host::append_file`] does, and warns at once of
    /// the appended fstab lines the next boot will fail on.
    ///
    /// [`Host::append_file`]: super::host::Host::append_file
    pub fn append_host_file(
        &mut self,
        host: HostId,
        path: &str,
        text: &str,
    ) -> Result<Vec<Finding>> {
        let first_touched = self
            .host(host)
            .read_file(path)
            .map_or(1, |old| old.matches('\n').count() + 1);
        let mut findings = self.hosts[host.0].append_file(path, text)?;
        findings.extend(self.fstab_boot_findings(host, path, first_touched));
        Ok(findings)
    }

    /// When `path` is /etc/fstab: its entries from line `from_line` on that name an iSCSI
    /// device without `_netdev`, as warnings. rc.sysinit mounts them before the network and
    /// the iSCSI login, so the next boot fails on them; saying so when the line is written
    /// spares the trainee finding out at a reboot.
    fn fstab_boot_findings(&self, host: HostId, path: &str, from_line: usize) -> Vec<Finding> {
        if path != FSTAB_PATH {
            return Vec::new();
        }
        let Ok(fstab) = self.host(host).fstab() else {
            return Vec::new();
        };
        fstab
            .entries
            .iter()
            .filter(|e| e.line >= from_line && !e.has_option("noauto"))
            .filter_map(|e| {
                let on_lun = e.source.starts_with("/dev/disk/by-path/ip-")
                    || self
                        .resolve_device(host, &e.source)
                        .is_some_and(|r| matches!(r.disk, DiskRef::Lun { .. }));
                let error = self
                    .fstab_system_partition(host, e)
                    .or_else(|| e.check_netdev(on_lun))?;
                Some(Finding::warning(FSTAB_PATH, Some(e.line), error))
            })
            .collect()
    }

    /// An fstab entry that mounts a partition of the host's own system disk somewhere the
    /// system does not have it (the report's `/dev/sda1 /iscsi1`, where sda is the host's
    /// disk): the next boot fails on it, or mounts the root file system a second time.
    fn fstab_system_partition(&self, host: HostId, entry: &FstabEntry) -> Option<Error> {
        if entry.fstype == "swap" {
            return None;
        }
        let resolved = self.resolve_device(host, &entry.source)?;
        if !self.is_system_disk(host, &resolved.disk) {
            return None;
        }
        let location = resolved.location();
        let in_place = self
            .host(host)
            .storage()
            .mounts()
            .iter()
            .any(|m| m.location == location && m.dir == entry.target);
        (!in_place).then(|| {
            self.system_disk_error(
                host,
                &resolved,
                &format!("/etc/fstab line {} mounts", entry.line),
                DiskUse::Fstab,
            )
        })
    }

    /// `mount -a`: every fstab entry not mounted yet (`noauto` aside). Returns the findings:
    /// malformed lines, failed mounts, warnings.
    pub fn mount_all(&mut self, host: HostId) -> Result<Vec<Finding>> {
        self.host(host).require_command("mount")?;
        let mut done = self.mount_fstab(host, |_| true)?;
        let mut findings: Vec<Finding> = std::mem::take(&mut done.syntax)
            .into_iter()
            .map(|e| fstab_finding(e, None))
            .collect();
        findings.extend(done.mount_findings());
        Ok(findings)
    }
}

/// An fstab problem as a finding on its line.
pub(crate) fn fstab_finding(error: Error, line: Option<usize>) -> Finding {
    let line = line.or(match &error {
        Error::FstabSyntax { line, .. } => Some(*line),
        _ => None,
    });
    Finding::error(FSTAB_PATH, line, error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_lists_read_like_english() {
        assert_eq!(and_list(&["sv1".into()]), "sv1");
        assert_eq!(and_list(&["sv1".into(), "sv2".into()]), "sv1 and sv2");
        assert_eq!(
            and_list(&["a".into(), "b".into(), "c".into()]),
            "a, b and c"
        );
        assert!((crate::world::net::TCP_GOODPUT * 125e6 - 117.685e6).abs() < 1e3);
    }
}
