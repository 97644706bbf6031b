//! What a block device holds, wherever its bytes live: the partition table, the ext file
//! systems made on the whole device or on its partitions, and the image files libvirt keeps
//! in them.
//!
//! Contents belong to the device, not to a host: a LUN's contents are stored with the NAS,
//! so a second host that logs in to the same target reads the table and the file system the
//! first host wrote. A host only has a name for the device (`/dev/sdb`), and that name is
//! the host's own.
//!
//! Image files count toward `df` by their allocation rounded up to whole blocks; the indirect
//! blocks ext3 spends mapping a large file (about 0.1 %) are not modelled.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::fs::{E2fsprogs, ExtLayout, FsType, Kernel, Statfs};
use super::partition::{Disk, LabelKind, Mkpart};
use crate::error::{Error, Result};

/// The key of a file system made on the whole device rather than on a partition.
pub const WHOLE_DEVICE: u32 = 0;

/// qemu-img's qcow2 cluster size.
const QCOW2_CLUSTER: u64 = 64 << 10;

/// An image file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VolumeFormat {
    Raw,
    Qcow2,
}

impl VolumeFormat {
    pub fn parse(text: &str) -> Result<VolumeFormat> {
        match text.trim().to_ascii_lowercase().as_str() {
            "raw" => Ok(VolumeFormat::Raw),
            "qcow2" => Ok(VolumeFormat::Qcow2),
            _ => Err(Error::VolumeFormat {
                format: text.into(),
            }),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            VolumeFormat::Raw => "raw",
            VolumeFormat::Qcow2 => "qcow2",
        }
    }

    /// Bytes a new image occupies before the guest writes anything. A raw image takes what
    /// was asked (0 makes it sparse). A qcow2 image takes its metadata only, as
    /// `qemu-img create -f qcow2` writes it: a header cluster, the L1 table (one 8-byte entry
    /// per 512 MiB of capacity with 64 KiB clusters), a refcount table cluster and a
    /// refcount block cluster; a 20 GiB image starts at 256 KiB.
    pub fn initial_allocation(self, capacity: u64, requested: u64) -> u64 {
        match self {
            VolumeFormat::Raw => requested.min(capacity),
            VolumeFormat::Qcow2 => {
                let per_l2_table = QCOW2_CLUSTER * (QCOW2_CLUSTER / 8);
                let l1_entries = capacity.div_ceil(per_l2_table);
                let l1_clusters = (l1_entries * 8).div_ceil(QCOW2_CLUSTER).max(1);
                (3 + l1_clusters) * QCOW2_CLUSTER
            }
        }
    }
}

/// A disk image file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImageFile {
    /// The size the guest sees.
    pub capacity: u64,
    /// Bytes the file occupies in the file system.
    pub allocation: u64,
    pub format: VolumeFormat,
    /// Written by two guests at once: what it holds cannot be trusted.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub corrupted: bool,
}

/// An ext2/3/4 file system as made by mkfs, and the image files written into it since.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExtFs {
    pub layout: ExtLayout,
    /// The file system UUID mke2fs printed, as `UUID=` in fstab names it.
    pub uuid: String,
    /// Image files by absolute path inside the file system (`/centos-nz2.img`).
    files: BTreeMap<String, ImageFile>,
    /// What this file system was written over, when that held images: a guest whose image
    /// was there finds it gone, and the help says why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced: Option<String>,
}

impl ExtFs {
    pub fn new(layout: ExtLayout, uuid: String) -> ExtFs {
        ExtFs {
            layout,
            uuid,
            files: BTreeMap::new(),
            replaced: None,
        }
    }

    pub fn fstype(&self) -> FsType {
        self.layout.fstype
    }

    /// Bytes the image files occupy, each rounded up to whole blocks.
    pub fn used_bytes(&self) -> u64 {
        let block = self.layout.block_size;
        self.files
            .values()
            .map(|f| f.allocation.div_ceil(block) * block)
            .sum()
    }

    /// statfs(2) under `kernel`, with the image files counted.
    pub fn statfs(&self, kernel: Kernel) -> Statfs {
        self.layout.statfs_with_used(kernel, self.used_bytes())
    }

    pub fn file(&self, path: &str) -> Option<&ImageFile> {
        self.files.get(path)
    }

    /// The files directly in `dir` (an absolute path inside the file system), by name.
    pub fn files_in(&self, dir: &str) -> Vec<(&str, &ImageFile)> {
        let prefix = if dir == "/" {
            "/".to_string()
        } else {
            format!("{dir}/")
        };
        self.files
            .iter()
            .filter_map(|(path, file)| {
                let name = path.strip_prefix(&prefix)?;
                (!name.contains('/')).then_some((name, file))
            })
            .collect()
    }

    /// How many image files the file system holds.
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// Marks an image file as corrupted (two guests wrote it at once).
    pub fn mark_corrupted(&mut self, path: &str) {
        if let Some(file) = self.files.get_mut(path) {
            file.corrupted = true;
        }
    }

    /// The files anywhere below `dir` (an absolute path inside the file system).
    pub fn paths_under(&self, dir: &str) -> Vec<&str> {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        self.files
            .keys()
            .filter(|path| path.starts_with(&prefix))
            .map(String::as_str)
            .collect()
    }

    /// Removes a file, giving its blocks back; whether it was there.
    pub fn remove_file(&mut self, path: &str) -> bool {
        self.files.remove(path).is_some()
    }

    /// Grows an image file's allocation to `allocation` (a guest wrote that much into it),
    /// as far as the file system's free blocks allow; it never shrinks.
    pub fn grow_file(&mut self, path: &str, allocation: u64, kernel: Kernel) {
        let free = {
            let s = self.statfs(kernel);
            s.free * s.block_size
        };
        if let Some(file) = self.files.get_mut(path) {
            let wanted = allocation.min(file.capacity);
            if wanted > file.allocation {
                file.allocation += (wanted - file.allocation).min(free);
            }
        }
    }

    /// Adds a file; the caller has checked the name is free and the space suffices.
    pub fn add_file(&mut self, path: &str, file: ImageFile) {
        self.files.insert(path.into(), file);
    }
}

/// A block device's contents: its partition table and its file systems.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BlockContents {
    pub disk: Disk,
    /// File systems by partition number ([`WHOLE_DEVICE`] for the device itself).
    filesystems: BTreeMap<u32, ExtFs>,
    /// How many times mkfs ran on this device: it seeds each new file system's UUID.
    mkfs_runs: u32,
}

impl BlockContents {
    pub fn new(disk: Disk) -> BlockContents {
        BlockContents {
            disk,
            filesystems: BTreeMap::new(),
            mkfs_runs: 0,
        }
    }

    /// Bytes of the whole device or of partition `partition`.
    pub fn region_size(&self, partition: u32) -> Result<u64> {
        if partition == WHOLE_DEVICE {
            Ok(self.disk.size_bytes())
        } else {
            Ok(self.disk.partition(partition)?.size_bytes())
        }
    }

    pub fn has_region(&self, partition: u32) -> bool {
        self.region_size(partition).is_ok()
    }

    pub fn fs(&self, partition: u32) -> Option<&ExtFs> {
        self.filesystems.get(&partition)
    }

    pub fn fs_mut(&mut self, partition: u32) -> Option<&mut ExtFs> {
        self.filesystems.get_mut(&partition)
    }

    /// The partition (or [`WHOLE_DEVICE`]) holding the file system with this UUID.
    pub fn find_uuid(&self, uuid: &str) -> Option<u32> {
        self.filesystems
            .iter()
            .find(|(_, fs)| fs.uuid.eq_ignore_ascii_case(uuid))
            .map(|(n, _)| *n)
    }

    /// `mkfs.<fstype>` on the whole device or a partition: a fresh, empty file system. A
    /// partitioned device is refused as a whole, as mke2fs asks before destroying the table.
    pub fn mkfs(
        &mut self,
        partition: u32,
        fstype: FsType,
        tools: E2fsprogs,
        seed: &str,
    ) -> Result<&ExtFs> {
        if partition == WHOLE_DEVICE && self.disk.label().is_some() {
            return Err(Error::EntireDevice {
                device: self.disk.path.clone(),
                label: self.disk.label().map_or("", LabelKind::name).into(),
                first: self.disk.partition_path(1),
            });
        }
        let layout = ExtLayout::mkfs(fstype, self.region_size(partition)?, tools)?;
        self.mkfs_runs += 1;
        let uuid = derived_uuid(&format!("{seed}#{partition}#{}", self.mkfs_runs));
        if partition != WHOLE_DEVICE {
            self.disk.set_filesystem(partition, Some(fstype.name()))?;
        }
        self.filesystems
            .insert(partition, ExtFs::new(layout, uuid.clone()));
        Ok(&self.filesystems[&partition])
    }

    /// `parted mklabel`: a new table; every file system on the device is gone with it.
    pub fn mklabel(&mut self, label: &str) -> Result<()> {
        self.disk.mklabel(label)?;
        self.filesystems.clear();
        Ok(())
    }

    /// `parted mkpart`.
    pub fn mkpart(&mut self, name: &str, fstype: &str, start: &str, end: &str) -> Result<Mkpart> {
        self.disk.mkpart(name, fstype, start, end)
    }

    /// `parted rm`: the partition and its file system.
    pub fn rm(&mut self, number: u32) -> Result<()> {
        self.disk.rm(number)?;
        self.filesystems.remove(&number);
        Ok(())
    }
}

/// A random-looking (version 4) UUID derived from `seed`, as libuuid prints one.
pub fn derived_uuid(seed: &str) -> String {
    let digest = Sha256::digest(seed.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Whether RHEL 6's kernel mounts a file system made as `made` when asked for `requested`:
/// the ext2 driver reads ext3 (ignoring the journal) but not ext4's extents, ext3 needs a
/// journal and cannot read extents, ext4 reads all three.
pub fn mountable_as(made: FsType, requested: FsType) -> bool {
    match requested {
        FsType::Ext2 => made != FsType::Ext4,
        FsType::Ext3 => made == FsType::Ext3,
        FsType::Ext4 => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1 << 30;

    #[test]
    fn qcow2_starts_with_its_metadata() {
        assert_eq!(
            VolumeFormat::Qcow2.initial_allocation(20 * GIB, 0),
            256 << 10
        );
        // 1 TiB needs 2048 L1 entries = 16 KiB: still one cluster
        assert_eq!(
            VolumeFormat::Qcow2.initial_allocation(1 << 40, 1 << 40),
            256 << 10
        );
        // 8 TiB: 16384 entries = 128 KiB of L1 table, two clusters
        assert_eq!(
            VolumeFormat::Qcow2.initial_allocation(8 << 40, 0),
            320 << 10
        );
        assert_eq!(VolumeFormat::Raw.initial_allocation(20 * GIB, 0), 0);
        assert_eq!(VolumeFormat::Raw.initial_allocation(GIB, 2 * GIB), GIB);
        assert_eq!(
            VolumeFormat::parse("vmdk").unwrap_err().code_str(),
            "kvmlab::storage::volume_format"
        );
    }

    #[test]
    fn files_count_in_whole_blocks() {
        let layout = ExtLayout::mkfs(FsType::Ext3, GIB, E2fsprogs::V1_41Rhel6).unwrap();
        let before = layout.statfs(Kernel::Linux2_6_32);
        let mut fs = ExtFs::new(layout, derived_uuid("x"));
        let raw = |allocation| ImageFile {
            corrupted: false,
            capacity: GIB,
            allocation,
            format: VolumeFormat::Raw,
        };
        fs.add_file("/a.img", raw(1));
        fs.add_file("/b.img", raw(0));
        fs.add_file("/sub/c.img", raw(8192));
        assert_eq!(fs.used_bytes(), 4096 + 8192);
        assert_eq!(fs.statfs(Kernel::Linux2_6_32).free, before.free - 3);
        let names: Vec<&str> = fs.files_in("/").iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["a.img", "b.img"]);
        assert_eq!(fs.files_in("/sub").len(), 1);
    }

    #[test]
    fn file_systems_go_with_their_table() {
        let mut lun = BlockContents::new(Disk::new("/dev/sdb", "", 10 * GIB));
        let e = lun
            .mkfs(1, FsType::Ext3, E2fsprogs::V1_41Rhel6, "lun")
            .unwrap_err();
        assert_eq!(e.code_str(), "kvmlab::storage::no_partition");
        lun.mklabel("gpt").unwrap();
        lun.mkpart("p1", "ext3", "0%", "100%").unwrap();
        let uuid = lun
            .mkfs(1, FsType::Ext3, E2fsprogs::V1_41Rhel6, "lun")
            .unwrap()
            .uuid
            .clone();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        assert_eq!(lun.find_uuid(&uuid.to_uppercase()), Some(1));
        assert_eq!(lun.disk.partitions()[0].filesystem.as_deref(), Some("ext3"));
        // a second mkfs makes a new file system with a new UUID
        let again = lun
            .mkfs(1, FsType::Ext3, E2fsprogs::V1_41Rhel6, "lun")
            .unwrap()
            .uuid
            .clone();
        assert_ne!(again, uuid);
        let e = lun
            .mkfs(WHOLE_DEVICE, FsType::Ext3, E2fsprogs::V1_41Rhel6, "lun")
            .unwrap_err();
        assert_eq!(e.code_str(), "kvmlab::storage::entire_device");
        lun.mklabel("msdos").unwrap();
        assert!(lun.fs(1).is_none());
        assert!(!lun.has_region(1));
    }

    #[test]
    fn which_driver_reads_which_ext() {
        use FsType::*;
        assert!(mountable_as(Ext3, Ext2));
        assert!(!mountable_as(Ext4, Ext2));
        assert!(!mountable_as(Ext2, Ext3));
        assert!(!mountable_as(Ext4, Ext3));
        assert!(mountable_as(Ext2, Ext4) && mountable_as(Ext3, Ext4));
    }
}
