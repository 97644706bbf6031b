//! ext2/ext3/ext4 as `mke2fs` lays them out, and the `df` figures the kernel reports for a
//! fresh file system.
//!
//! The layout follows mke2fs's arithmetic: the size picks a usage type (floppy < 3 MiB,
//! small < 512 MiB, default, big ≥ 4 TiB, huge ≥ 16 TiB) whose block size and bytes per
//! inode come from `mke2fs.conf`; 8 × block-size blocks per group; the inode count rounded
//! so each group's inode table fills whole blocks; reserved GDT blocks so `resize2fs` can
//! grow the file system 1024-fold (or to 2^32 blocks); a last group too small for its own
//! metadata (plus 50 blocks) is dropped; the journal sized by the block count; 5 % of the
//! blocks reserved for root. Blocks in use at birth: the group metadata (superblock and
//! descriptor copies in groups 0, 1 and powers of 3, 5 and 7; bitmaps; inode tables), the
//! journal and its block map, the root directory, lost+found (16 KiB) and the resize inode's
//! double-indirect block.
//!
//! `df` shows what statfs returns: f_blocks is the block count less the "overhead" the
//! kernel computes (without the `minixdf` mount option), so Size is smaller than the
//! partition and Used starts near zero. Which blocks count as overhead changed: the 2.6.32
//! ext3 driver of RHEL 6 (the report's hosts) counts superblock and descriptor copies, bitmaps
//! and inode tables, so the journal and reserved GDT blocks show as Used (the report's
//! `184M` on a fresh file system); today's ext4 driver also counts those two and, for extent
//! file systems, keeps back min(2 %, 4096) blocks from Avail for delayed allocation.

use crate::error::{Error, Result};
use crate::time::LabTime;
use crate::units::human_size;

/// The first inode number for ordinary files: inodes 1–10 are reserved, 11 is lost+found.
const FIRST_INODE: u64 = 11;
/// The longest extent of initialized blocks.
const MAX_EXTENT_BLOCKS: u64 = 32_768;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FsType {
    Ext2,
    Ext3,
    Ext4,
}

impl FsType {
    pub fn parse(text: &str) -> Result<FsType> {
        match text.trim().to_ascii_lowercase().as_str() {
            "ext2" => Ok(FsType::Ext2),
            "ext3" => Ok(FsType::Ext3),
            "ext4" => Ok(FsType::Ext4),
            _ => Err(Error::FsType {
                fstype: text.into(),
                help: "kvmlab's mkfs makes ext2, ext3 and ext4 (the report uses ext3: `mkfs.ext3` on the LUN's partition)".into(),
            }),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            FsType::Ext2 => "ext2",
            FsType::Ext3 => "ext3",
            FsType::Ext4 => "ext4",
        }
    }

    pub fn has_journal(self) -> bool {
        self != FsType::Ext2
    }
}

/// Which e2fsprogs made the file system: defaults differ between releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum E2fsprogs {
    /// e2fsprogs 1.41.12 of RHEL 6 / Scientific Linux 6 (the report's hosts): journals of at
    /// most 128 MiB, 128-byte inodes on small file systems, no `big`/`huge` types, ext4
    /// without 64-bit descriptors.
    V1_41Rhel6,
    /// e2fsprogs 1.47 with its stock `mke2fs.conf` (Debian 12 and later).
    V1_47,
}

/// Which kernel's statfs reports the figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kernel {
    /// RHEL 6's 2.6.32 ext3/ext4 drivers.
    Linux2_6_32,
    /// Linux 4.x and later (ext2/ext3 mounted by the ext4 driver).
    Modern,
}

/// The layout mke2fs gives a file system of a given size.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExtLayout {
    pub fstype: FsType,
    pub block_size: u64,
    pub blocks: u64,
    pub first_data_block: u64,
    pub blocks_per_group: u64,
    pub groups: u64,
    /// Groups holding a superblock and descriptor copy.
    pub backup_groups: u64,
    pub descriptor_blocks: u64,
    pub reserved_gdt_blocks: u64,
    pub inode_size: u64,
    pub inodes_per_group: u64,
    pub inode_table_blocks: u64,
    pub inodes: u64,
    pub journal_blocks: u64,
    /// Blocks mapping the journal (indirect blocks, or an extent leaf).
    pub journal_map_blocks: u64,
    /// Blocks reserved for root (`-m 5`).
    pub reserved_blocks: u64,
    pub free_blocks: u64,
    pub free_inodes: u64,
    /// Whether inode tables are zeroed later by the kernel (ext4's lazy init).
    pub lazy_inode_tables: bool,
}

/// What statfs(2) returns for a mounted file system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Statfs {
    pub block_size: u64,
    pub blocks: u64,
    pub free: u64,
    pub available: u64,
    pub files: u64,
    pub files_free: u64,
}

/// One line of `df -h`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DfRow {
    pub filesystem: String,
    pub size: String,
    pub used: String,
    pub avail: String,
    pub use_percent: String,
    pub mounted_on: String,
}

struct Profile {
    block_size: u64,
    inode_size: u64,
    inode_ratio: u64,
}

fn profile(size: u64, tools: E2fsprogs) -> Profile {
    const MIB: u64 = 1 << 20;
    let (block_size, inode_ratio, small_inode) = if size < 3 * MIB {
        (1024, 8192, true)
    } else if size < 512 * MIB {
        (1024, 4096, true)
    } else if tools == E2fsprogs::V1_41Rhel6 || size < 4 << 40 {
        (4096, 16_384, false)
    } else if size < 16 << 40 {
        (4096, 32_768, false)
    } else {
        (4096, 65_536, false)
    };
    let inode_size = if small_inode && tools == E2fsprogs::V1_41Rhel6 {
        128
    } else {
        256
    };
    Profile {
        block_size,
        inode_size,
        inode_ratio,
    }
}

/// mke2fs's default journal size, in blocks, for a file system of `blocks` blocks.
pub fn default_journal_blocks(blocks: u64, tools: E2fsprogs) -> Option<u64> {
    let table: &[(u64, u64)] = match tools {
        E2fsprogs::V1_41Rhel6 => &[
            (32_768, 1024),
            (256 << 10, 4096),
            (512 << 10, 8192),
            (1 << 20, 16_384),
        ],
        E2fsprogs::V1_47 => &[
            (32_768, 1024),
            (256 << 10, 4096),
            (512 << 10, 8192),
            (4 << 20, 16_384),
            (8 << 20, 32_768),
            (16 << 20, 65_536),
            (32 << 20, 131_072),
        ],
    };
    if blocks < 2048 {
        return None;
    }
    let largest = match tools {
        E2fsprogs::V1_41Rhel6 => 32_768,
        E2fsprogs::V1_47 => 262_144,
    };
    Some(
        table
            .iter()
            .find(|(below, _)| blocks < *below)
            .map_or(largest, |(_, journal)| *journal),
    )
}

/// Whether group `g` holds a superblock copy (sparse_super: 0, 1, powers of 3, 5 and 7).
/// How many of the first `groups` groups hold a superblock: 0, 1 and the powers of 3, 5
/// and 7, counted by their powers rather than by walking millions of groups.
pub fn superblock_groups(groups: u64) -> u64 {
    let powers_below = |base: u64| {
        let mut count = 0;
        let mut power = base;
        while power < groups {
            count += 1;
            power = power.saturating_mul(base);
        }
        count
    };
    groups.min(2) + powers_below(3) + powers_below(5) + powers_below(7)
}

pub fn has_superblock(group: u64) -> bool {
    if group <= 1 {
        return true;
    }
    if group % 2 == 0 {
        return false;
    }
    [3u64, 5, 7].iter().any(|&base| {
        let mut power = base;
        while power < group {
            power *= base;
        }
        power == group
    })
}

/// Indirect blocks mapping `blocks` data blocks with `per_block` addresses per block:
/// 12 direct pointers, then a single-, double- and triple-indirect tree.
fn indirect_blocks(blocks: u64, per_block: u64) -> u64 {
    let mut left = blocks.saturating_sub(12);
    if left == 0 {
        return 0;
    }
    let single = left.min(per_block);
    let mut count = 1;
    left -= single;
    if left == 0 {
        return count;
    }
    let double = left.min(per_block * per_block);
    count += 1 + double.div_ceil(per_block);
    left -= double;
    if left == 0 {
        return count;
    }
    let triple = left.min(per_block.pow(3));
    count + 1 + triple.div_ceil(per_block * per_block) + triple.div_ceil(per_block)
}

/// Blocks of lost+found: mke2fs grows it one block at a time until it holds 16 KiB (and at
/// least two blocks), using at most its 12 direct blocks.
fn lost_found_blocks(block_size: u64) -> u64 {
    let mut blocks = 1;
    let mut size = 0;
    for _ in 1..12 {
        size += block_size;
        if size >= 16 * 1024 && size >= 2 * block_size {
            break;
        }
        blocks += 1;
    }
    blocks
}

impl ExtLayout {
    /// `mkfs.<fstype> DEVICE` on a device of `size` bytes.
    pub fn mkfs(fstype: FsType, size: u64, tools: E2fsprogs) -> Result<ExtLayout> {
        let profile = profile(size, tools);
        let bs = profile.block_size;
        let original_blocks = size / bs;
        let bit64 = fstype == FsType::Ext4 && tools == E2fsprogs::V1_47;
        if !bit64 && original_blocks > u32::MAX as u64 {
            return Err(Error::FsTooLarge {
                fstype: fstype.name().into(),
                size,
                maximum: u32::MAX as u64 * bs,
                help: format!(
                    "{} counts blocks in 32 bits: at most 2^32 blocks of {bs} bytes (16 TiB); use ext4 (64-bit) or XFS, or a smaller partition",
                    fstype.name()
                ),
            });
        }
        let resize_inode = !(bit64 && original_blocks > u32::MAX as u64);
        let first_data_block = u64::from(bs == 1024);
        let descriptor_size = if bit64 { 64 } else { 32 };
        let per_block = bs / descriptor_size;
        let addresses_per_block = bs / 4;
        let too_small = |minimum: u64| Error::FsTooSmall {
            fstype: fstype.name().into(),
            size,
            minimum,
        };
        let requested_inodes = (original_blocks * bs / profile.inode_ratio).max(FIRST_INODE + 1);
        let reserved_ratio = 5.0;
        let mut blocks = original_blocks;
        let mut reserved_blocks = (reserved_ratio * blocks as f64 / 100.0) as u64;
        let mut blocks_per_group = bs * 8;
        loop {
            if blocks <= first_data_block {
                return Err(too_small(64 * 1024));
            }
            let groups = (blocks - first_data_block).div_ceil(blocks_per_group);
            let descriptor_blocks = groups.div_ceil(per_block);
            let mut inodes_per_group = requested_inodes.div_ceil(groups);
            if inodes_per_group > bs * 8 {
                if blocks_per_group >= 256 {
                    blocks_per_group -= 8;
                    blocks = original_blocks;
                    continue;
                }
                return Err(too_small(size * 2));
            }
            let max_per_group = (1 << 16) - bs / profile.inode_size;
            inodes_per_group = inodes_per_group.min(max_per_group);
            let inode_table_blocks = loop {
                let table = (inodes_per_group * profile.inode_size).div_ceil(bs);
                let filled = (table * bs / profile.inode_size).max(8) & !7;
                if filled * groups > u32::MAX as u64 {
                    inodes_per_group -= 1;
                    continue;
                }
                inodes_per_group = filled;
                break (filled * profile.inode_size).div_ceil(bs);
            };
            let reserved_gdt_blocks = if resize_inode {
                let max_blocks = if blocks < u32::MAX as u64 / 1024 {
                    blocks * 1024
                } else {
                    u32::MAX as u64
                };
                let reserve_groups = (max_blocks - first_data_block).div_ceil(blocks_per_group);
                reserve_groups
                    .div_ceil(per_block)
                    .saturating_sub(descriptor_blocks)
                    .min(addresses_per_block)
            } else {
                0
            };
            if reserved_gdt_blocks + descriptor_blocks > blocks_per_group * 3 / 4 {
                return Err(Error::FsTooLarge {
                    fstype: fstype.name().into(),
                    size,
                    maximum: size - 1,
                    help: "this size needs ext4's meta_bg layout, which kvmlab does not model; keep lab file systems below 100 TiB".into(),
                });
            }
            let last = groups - 1;
            let mut last_overhead = 2 + inode_table_blocks;
            if has_superblock(last) {
                last_overhead += 1 + descriptor_blocks + reserved_gdt_blocks;
            }
            let remainder = (blocks - first_data_block) % blocks_per_group;
            if groups == 1 && remainder != 0 && remainder < last_overhead {
                return Err(too_small((last_overhead + first_data_block + 50) * bs));
            }
            if remainder != 0 && remainder < last_overhead + 50 {
                let ratio = 100.0 * reserved_blocks as f64 / blocks as f64;
                blocks -= remainder;
                reserved_blocks = (ratio * blocks as f64 / 100.0) as u64;
                continue;
            }
            let backup_groups = superblock_groups(groups);
            let journal_blocks = if fstype.has_journal() {
                default_journal_blocks(blocks, tools).unwrap_or(0)
            } else {
                0
            };
            let journal_map_blocks = if journal_blocks == 0 {
                0
            } else if fstype == FsType::Ext4 {
                let extents = journal_blocks.div_ceil(MAX_EXTENT_BLOCKS);
                if extents <= 4 {
                    0
                } else {
                    extents.div_ceil((bs - 12) / 12)
                }
            } else {
                indirect_blocks(journal_blocks, addresses_per_block)
            };
            let metadata = backup_groups * (1 + descriptor_blocks + reserved_gdt_blocks)
                + groups * (2 + inode_table_blocks);
            let born_used = 1
                + lost_found_blocks(bs)
                + u64::from(resize_inode)
                + journal_blocks
                + journal_map_blocks;
            let used = first_data_block + metadata + born_used;
            if used >= blocks {
                return Err(too_small((used + 50) * bs));
            }
            let inodes = inodes_per_group * groups;
            return Ok(ExtLayout {
                fstype,
                block_size: bs,
                blocks,
                first_data_block,
                blocks_per_group,
                groups,
                backup_groups,
                descriptor_blocks,
                reserved_gdt_blocks,
                inode_size: profile.inode_size,
                inodes_per_group,
                inode_table_blocks,
                inodes,
                journal_blocks,
                journal_map_blocks,
                reserved_blocks,
                free_blocks: blocks - used,
                free_inodes: inodes - FIRST_INODE,
                lazy_inode_tables: fstype == FsType::Ext4,
            });
        }
    }

    /// The blocks the kernel does not count in f_blocks (`minixdf` off).
    pub fn overhead(&self, kernel: Kernel) -> u64 {
        let per_backup = match kernel {
            Kernel::Linux2_6_32 => 1 + self.descriptor_blocks,
            Kernel::Modern => 1 + self.descriptor_blocks + self.reserved_gdt_blocks,
        };
        let journal = match kernel {
            Kernel::Linux2_6_32 => 0,
            Kernel::Modern => self.journal_blocks,
        };
        self.first_data_block
            + self.backup_groups * per_backup
            + self.groups * (2 + self.inode_table_blocks)
            + journal
    }

    /// statfs(2) of the fresh file system under `kernel`.
    pub fn statfs(&self, kernel: Kernel) -> Statfs {
        self.statfs_with_used(kernel, 0)
    }

    /// statfs(2) after `bytes` of files were written (rounded up to whole blocks).
    pub fn statfs_with_used(&self, kernel: Kernel, bytes: u64) -> Statfs {
        let free = self
            .free_blocks
            .saturating_sub(bytes.div_ceil(self.block_size));
        let delalloc_reserve = if kernel == Kernel::Modern && self.fstype == FsType::Ext4 {
            (self.blocks / 50).min(4096)
        } else {
            0
        };
        Statfs {
            block_size: self.block_size,
            blocks: self.blocks - self.overhead(kernel),
            free,
            available: free.saturating_sub(self.reserved_blocks + delalloc_reserve),
            files: self.inodes,
            files_free: self.free_inodes,
        }
    }

    /// Bytes mke2fs writes: every group's bitmaps, each backup's superblock and descriptor
    /// copies (reserved GDT blocks included), the zeroed journal, and the inode tables unless
    /// the kernel zeroes them lazily after mount (ext4's `lazy_itable_init`).
    pub fn mkfs_bytes_written(&self) -> u64 {
        let tables = if self.lazy_inode_tables {
            0
        } else {
            self.groups * self.inode_table_blocks
        };
        let metadata = self.backup_groups * (1 + self.descriptor_blocks + self.reserved_gdt_blocks)
            + self.groups * 2;
        (tables + metadata + self.journal_blocks) * self.block_size
    }

    /// How long mkfs runs when the device absorbs `write_rate` bytes per second: the writes
    /// above at that rate. On the report's ~4.5 TiB ext3 LUN that is 73 GiB of inode tables,
    /// about 13 minutes at 100 MB/s: the "considerable time" it warns about.
    pub fn mkfs_duration(&self, write_rate: f64) -> LabTime {
        LabTime::from_secs_f64(self.mkfs_bytes_written() as f64 / write_rate.max(1.0))
    }
}

impl Statfs {
    pub fn size_bytes(&self) -> u64 {
        self.blocks * self.block_size
    }

    pub fn used_bytes(&self) -> u64 {
        self.blocks.saturating_sub(self.free) * self.block_size
    }

    pub fn avail_bytes(&self) -> u64 {
        self.available * self.block_size
    }

    /// df's Use%: used / (used + available), rounded up.
    pub fn use_percent(&self) -> u64 {
        let used = self.blocks.saturating_sub(self.free);
        let total = used + self.available;
        if total == 0 {
            return 0;
        }
        (used * 100).div_ceil(total)
    }

    pub fn df_h_row(&self, filesystem: &str, mounted_on: &str) -> DfRow {
        DfRow {
            filesystem: filesystem.into(),
            size: human_size(self.size_bytes()),
            used: human_size(self.used_bytes()),
            avail: human_size(self.avail_bytes()),
            use_percent: format!("{}%", self.use_percent()),
            mounted_on: mounted_on.into(),
        }
    }
}

/// `df -h` output: coreutils' header and column widths (Filesystem ≥ 14 wide, left; sizes
/// ≥ 5 wide and Use% ≥ 4 wide, right; one space between).
pub fn df_h(rows: &[DfRow]) -> String {
    let header = DfRow {
        filesystem: "Filesystem".into(),
        size: "Size".into(),
        used: "Used".into(),
        avail: "Avail".into(),
        use_percent: "Use%".into(),
        mounted_on: "Mounted on".into(),
    };
    let all: Vec<&DfRow> = std::iter::once(&header).chain(rows).collect();
    let width = |f: fn(&DfRow) -> &String, minimum: usize| {
        all.iter()
            .map(|r| f(r).len())
            .max()
            .unwrap_or(0)
            .max(minimum)
    };
    let w_fs = width(|r| &r.filesystem, 14);
    let w_size = width(|r| &r.size, 5);
    let w_used = width(|r| &r.used, 5);
    let w_avail = width(|r| &r.avail, 5);
    let w_pct = width(|r| &r.use_percent, 4);
    all.iter()
        .map(|r| {
            format!(
                "{:<w_fs$} {:>w_size$} {:>w_used$} {:>w_avail$} {:>w_pct$} {}\n",
                r.filesystem, r.size, r.used, r.avail, r.use_percent, r.mounted_on
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;

    #[test]
    fn ext3_on_1_gib_by_hand() {
        // 262144 blocks of 4 KiB in 8 groups; 65536 inodes (8192 per group, 512 table blocks);
        // backups in groups 0, 1, 3, 5, 7; one descriptor block; 63 reserved GDT blocks
        // (1024-fold growth: 8192 groups / 128 per block − 1); journal 8192 blocks + 9 indirect.
        let fs = ExtLayout::mkfs(FsType::Ext3, GIB, E2fsprogs::V1_47).unwrap();
        assert_eq!((fs.blocks, fs.groups, fs.backup_groups), (262_144, 8, 5));
        assert_eq!(
            (fs.inodes, fs.inodes_per_group, fs.inode_table_blocks),
            (65_536, 8192, 512)
        );
        assert_eq!((fs.descriptor_blocks, fs.reserved_gdt_blocks), (1, 63));
        assert_eq!((fs.journal_blocks, fs.journal_map_blocks), (8192, 9));
        assert_eq!(fs.reserved_blocks, 13_107);
        // overhead 5 × (1 + 1 + 63) + 8 × (2 + 512) + 8192 = 12629; used 1 + 4 + 1 + 9
        assert_eq!(fs.overhead(Kernel::Modern), 12_629);
        assert_eq!(fs.free_blocks, 249_500);
        assert_eq!(fs.free_inodes, 65_525);
    }

    #[test]
    fn small_file_systems_use_1k_blocks() {
        let fs = ExtLayout::mkfs(FsType::Ext3, 100 * MIB, E2fsprogs::V1_47).unwrap();
        assert_eq!(
            (fs.block_size, fs.first_data_block, fs.groups),
            (1024, 1, 13)
        );
        assert_eq!(
            (fs.inodes, fs.inode_table_blocks, fs.reserved_gdt_blocks),
            (25_584, 492, 256)
        );
        assert_eq!((fs.journal_blocks, fs.journal_map_blocks), (4096, 17));
        assert_eq!(
            (fs.overhead(Kernel::Modern), fs.free_blocks),
            (12_067, 90_302)
        );
        // RHEL 6's mke2fs used 128-byte inodes there: half the inode table
        let old = ExtLayout::mkfs(FsType::Ext3, 100 * MIB, E2fsprogs::V1_41Rhel6).unwrap();
        assert_eq!((old.inode_size, old.inode_table_blocks), (128, 247));
    }

    #[test]
    fn a_runt_last_group_is_dropped() {
        // 1 GiB + 1 MiB: the 9th group would hold 256 blocks, fewer than its 514 blocks of
        // metadata + 50, so mke2fs trims the file system to 8 whole groups.
        let fs = ExtLayout::mkfs(FsType::Ext2, GIB + MIB, E2fsprogs::V1_47).unwrap();
        assert_eq!((fs.blocks, fs.groups), (262_144, 8));
        assert_eq!(fs.reserved_blocks, 13_107);
    }

    #[test]
    fn journal_sizes_by_release() {
        let blocks_88g = 88 * GIB / 4096;
        assert_eq!(
            default_journal_blocks(blocks_88g, E2fsprogs::V1_47),
            Some(131_072)
        );
        assert_eq!(
            default_journal_blocks(blocks_88g, E2fsprogs::V1_41Rhel6),
            Some(32_768)
        );
        assert_eq!(default_journal_blocks(2047, E2fsprogs::V1_47), None);
        assert_eq!(
            default_journal_blocks(1 << 30, E2fsprogs::V1_47),
            Some(262_144)
        );
    }

    #[test]
    fn indirect_block_counts() {
        assert_eq!(indirect_blocks(12, 1024), 0);
        assert_eq!(indirect_blocks(13, 1024), 1);
        assert_eq!(indirect_blocks(12 + 1024, 1024), 1);
        assert_eq!(indirect_blocks(12 + 1024 + 1, 1024), 3);
        assert_eq!(indirect_blocks(32_768, 1024), 33);
        assert_eq!(indirect_blocks(4096, 256), 17);
        assert_eq!(indirect_blocks(12 + 256 + 65_536 + 1, 256), 1 + 1 + 256 + 3);
    }

    #[test]
    fn backup_groups() {
        for groups in [0, 1, 2, 3, 4, 26, 27, 28, 50, 7451] {
            let walked = (0..groups).filter(|g| has_superblock(*g)).count() as u64;
            assert_eq!(superblock_groups(groups), walked, "{groups} groups");
        }
        let with: Vec<u64> = (0..100).filter(|g| has_superblock(*g)).collect();
        assert_eq!(with, [0, 1, 3, 5, 7, 9, 25, 27, 49, 81]);
    }

    #[test]
    fn ext3_stops_at_16_tib() {
        let err = ExtLayout::mkfs(FsType::Ext3, 17 << 40, E2fsprogs::V1_47).unwrap_err();
        assert_eq!(err.code_str(), "kvmlab::storage::fs_too_large");
        assert!(ExtLayout::mkfs(FsType::Ext4, 17 << 40, E2fsprogs::V1_47).is_ok());
        assert_eq!(
            ExtLayout::mkfs(FsType::Ext3, 4096, E2fsprogs::V1_47)
                .unwrap_err()
                .code_str(),
            "kvmlab::storage::fs_too_small"
        );
        assert_eq!(
            FsType::parse("xfs").unwrap_err().code_str(),
            "kvmlab::storage::fs_type"
        );
    }

    /// The report's LUN: 50 % of its RAID 6, 4995964170240 bytes (see `nas.rs`).
    const REPORT_LUN: u64 = 4_995_964_170_240;

    fn report_df(partition_end: &str, kernel: Kernel) -> DfRow {
        use crate::world::storage::partition::Disk;
        let mut lun = Disk::new("/dev/sda", "", REPORT_LUN);
        lun.mklabel("gpt").unwrap();
        let part = lun
            .mkpart("primary", "ext3", "0%", partition_end)
            .unwrap()
            .partition;
        let fs = ExtLayout::mkfs(FsType::Ext3, part.size_bytes(), E2fsprogs::V1_41Rhel6).unwrap();
        fs.statfs(kernel).df_h_row("/dev/sda1", "/iscsi1")
    }

    #[test]
    fn the_reports_df_line_is_a_95_gb_partition_on_rhel6() {
        // `df -h /dev/sda1` printed "88G 184M 83G 1%". RHEL 6's mke2fs and 2.6.32 ext3
        // statfs give exactly that for a partition ending at 95 GB: Used is the 128 MiB
        // journal plus 14 copies of 1018 reserved GDT blocks, which that kernel counted as
        // used. Today's kernel counts both as overhead and shows 156K used.
        let row = report_df("95GB", Kernel::Linux2_6_32);
        assert_eq!(
            (
                row.size.as_str(),
                row.used.as_str(),
                row.avail.as_str(),
                row.use_percent.as_str()
            ),
            ("88G", "184M", "83G", "1%")
        );
        let modern = report_df("95GB", Kernel::Modern);
        assert_eq!(
            (modern.size.as_str(), modern.used.as_str()),
            ("87G", "156K")
        );
    }

    #[test]
    fn the_whole_5_tb_lun_would_show_4_5t() {
        // Erratum: the report's df shows 88G for what it calls a 5 TB target. A partition
        // spanning the whole LUN (4652.9 GiB = 5.0 TB) shows 4.5T, so the 88G file system sat
        // on a ~95 GB partition, not on the whole target.
        let row = report_df("100%", Kernel::Linux2_6_32);
        assert_eq!(
            (row.size.as_str(), row.used.as_str(), row.avail.as_str()),
            ("4.5T", "192M", "4.3T")
        );
    }

    #[test]
    fn mkfs_takes_longer_on_larger_devices() {
        // ext3 zeroes every inode table: 1/64 of the device with 256-byte inodes per 16 KiB.
        let lun =
            ExtLayout::mkfs(FsType::Ext3, REPORT_LUN - (2 << 20), E2fsprogs::V1_41Rhel6).unwrap();
        assert_eq!(lun.mkfs_bytes_written(), 78_593_802_240);
        assert_eq!(lun.mkfs_duration(100e6), LabTime(785_938_022_400));
        let small = ExtLayout::mkfs(FsType::Ext3, 95_000_000_000, E2fsprogs::V1_41Rhel6).unwrap();
        assert!(small.mkfs_duration(100e6) < LabTime::from_secs_f64(20.0));
        // ext4 leaves the inode tables to the kernel's lazy init: seconds, not minutes
        let ext4 = ExtLayout::mkfs(FsType::Ext4, REPORT_LUN, E2fsprogs::V1_47).unwrap();
        assert!(ext4.mkfs_duration(100e6) < LabTime::from_secs_f64(30.0));
    }

    #[test]
    fn df_h_renders_like_coreutils() {
        let row = DfRow {
            filesystem: "/dev/sda1".into(),
            size: "88G".into(),
            used: "184M".into(),
            avail: "83G".into(),
            use_percent: "1%".into(),
            mounted_on: "/iscsi1".into(),
        };
        assert_eq!(
            df_h(&[row]),
            "Filesystem      Size  Used Avail Use% Mounted on\n/dev/sda1        88G  184M   83G   1% /iscsi1\n"
        );
    }

    #[test]
    fn use_percent_rounds_up() {
        let s = Statfs {
            block_size: 4096,
            blocks: 1000,
            free: 990,
            available: 940,
            files: 0,
            files_free: 0,
        };
        // used 10 of 10 + 940 → 1.05 % → 2 %
        assert_eq!(s.use_percent(), 2);
    }
}
