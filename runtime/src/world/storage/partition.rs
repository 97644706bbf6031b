//! A block device's partition table, placed the way GNU parted 3.x places partitions.
//!
//! `mkpart` reads START and END as parted does: a number with a unit (`s`, `B`, decimal `kB`
//! `MB` `GB` `TB`, binary `KiB` `MiB` `GiB` `TiB`, or `%` of the disk; a bare number is MB;
//! a leading `-` counts from the end). A decimal or percent location is fuzzy: parted may
//! move it by up to half a unit to find a 1 MiB-aligned spot (its "optimal" alignment for a
//! device without I/O hints); an exact location (sectors, bytes, binary units) is not moved,
//! and an END in binary units means "up to", so `1MiB 100MiB` ends on the sector before
//! 100 MiB. Each location first snaps to a nearby free-space or partition boundary within
//! its range; then the nearest aligned start and end inside the free space and the label's
//! usable area are chosen. If none exists, the nearest unaligned placement is accepted when
//! it lies within the ranges (with parted's misalignment warning), and refused otherwise.
//!
//! GPT keeps sectors 0–33 (protective MBR, header, 128 entries) and the last 33 (backup
//! entries and header), so partitions live in 34 … n − 34. msdos (MBR) keeps sector 0 and
//! stores 32-bit sector numbers: a partition must start below 2^32 sectors and be shorter
//! than 2^32 sectors, which is the 2 TiB limit that makes large LUNs need GPT.

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Logical sector size of every device kvmlab models.
pub const SECTOR: u64 = 512;
/// parted's optimal alignment grain for a device without I/O hints: 1 MiB.
pub const ALIGNMENT_GRAIN: u64 = (1 << 20) / SECTOR;
/// Partition entries in a GPT table as parted writes it.
const GPT_ENTRIES: usize = 128;

/// GPT's reserved sectors at the start: protective MBR, header, 32 sectors of entries.
pub const GPT_RESERVED_START: u64 = 34;
/// GPT's reserved sectors at the end: 32 sectors of backup entries and the backup header.
pub const GPT_RESERVED_END: u64 = 33;
/// The largest sector number or sector count an msdos partition entry holds.
pub const MSDOS_LIMIT: u64 = u32::MAX as u64;

/// File system types parted's `mkpart` accepts (it only records a partition type for them).
const PARTED_FS_TYPES: [&str; 21] = [
    "ext2",
    "ext3",
    "ext4",
    "xfs",
    "btrfs",
    "linux-swap",
    "fat16",
    "fat32",
    "ntfs",
    "hfs",
    "hfs+",
    "hfsx",
    "jfs",
    "reiserfs",
    "nilfs2",
    "udf",
    "zfs",
    "f2fs",
    "bcachefs",
    "swsusp",
    "linux-swap(v1)",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LabelKind {
    Gpt,
    Msdos,
}

impl LabelKind {
    pub fn parse(label: &str) -> Result<LabelKind> {
        match label.trim().to_ascii_lowercase().as_str() {
            "gpt" => Ok(LabelKind::Gpt),
            "msdos" | "dos" | "mbr" => Ok(LabelKind::Msdos),
            _ => Err(Error::LabelType {
                label: label.into(),
            }),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            LabelKind::Gpt => "gpt",
            LabelKind::Msdos => "msdos",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Partition {
    pub number: u32,
    /// First sector.
    pub start: u64,
    /// Last sector (inclusive, as parted prints it).
    pub end: u64,
    /// The GPT partition name; empty on msdos.
    pub name: String,
    /// The file system type given to `mkpart` (it only sets the partition's type).
    pub fs_hint: Option<String>,
    /// The file system found on it (set after mkfs), which `parted print` shows.
    pub filesystem: Option<String>,
}

impl Partition {
    pub fn sectors(&self) -> u64 {
        self.end - self.start + 1
    }

    pub fn size_bytes(&self) -> u64 {
        self.sectors() * SECTOR
    }
}

/// What `mkpart` did: the partition, and parted's warnings (misalignment).
#[derive(Debug, Clone, PartialEq)]
pub struct Mkpart {
    pub partition: Partition,
    pub warnings: Vec<Error>,
}

/// The BIOS geometry the sd driver reports for a disk above 1 GB, which RHEL 6's fdisk
/// counts cylinders in.
const BIOS_HEADS: u64 = 255;
const BIOS_SECTORS: u64 = 63;
const CYLINDER: u64 = BIOS_HEADS * BIOS_SECTORS;

/// Which util-linux prints `fdisk -l`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UtilLinux {
    /// util-linux-ng 2.17.2 of RHEL 6 (the report's hosts); `sectors` is `-u`.
    V2_17Rhel6 { sectors: bool },
    /// util-linux 2.38 (Debian 12), the oracle tests' fdisk.
    V2_38,
}

/// An MBR entry as RHEL 6's fdisk lists it: number, first sector, sectors, type id, type
/// name.
type MbrEntry = (u32, u64, u64, &'static str, &'static str);

/// What `fdisk -l` prints for one disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdiskListing {
    pub stdout: String,
    /// RHEL 6's fdisk warns of a GPT it does not read, and of a disk without a table.
    pub stderr: String,
}

/// A disk as parted and fdisk see it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Disk {
    /// `/dev/sda`.
    pub path: String,
    /// What parted prints after `Model:`, e.g. `IET VIRTUAL-DISK (scsi)`.
    pub model: String,
    pub sectors: u64,
    label: Option<LabelKind>,
    partitions: Vec<Partition>,
    labels_made: u32,
    /// What the disk identifier derives from: the path it was created under, so a shared
    /// LUN keeps its identifier whichever host's name for it `path` holds.
    identity: String,
}

/// The SCSI disk name of the `index`-th disk (0 → `sda`, 25 → `sdz`, 26 → `sdaa`).
pub fn scsi_disk_name(index: usize) -> String {
    let mut letters = Vec::new();
    let mut n = index + 1;
    while n > 0 {
        n -= 1;
        letters.push(b'a' + (n % 26) as u8);
        n /= 26;
    }
    letters.reverse();
    format!("sd{}", String::from_utf8(letters).expect("ascii letters"))
}

/// A parsed location: the sector it names and the range parted may move it within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Location {
    sector: u64,
    range: (u64, u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Region {
    Metadata(u64, u64),
    Free(u64, u64),
    Partition(u64, u64),
}

impl Region {
    fn bounds(self) -> (u64, u64) {
        match self {
            Region::Metadata(s, e) | Region::Free(s, e) | Region::Partition(s, e) => (s, e),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Move {
    Still,
    Up,
    Down,
}

/// Sectors `offset (mod grain)`, inside `[lo, hi]`, nearest to `target` (ties go down).
fn nearest_aligned(lo: u64, hi: u64, target: u64, grain: u64, offset: u64) -> Option<u64> {
    if lo > hi {
        return None;
    }
    let first = lo + (offset + grain - lo % grain) % grain;
    if first > hi {
        return None;
    }
    let last = hi - (hi + grain - offset % grain) % grain;
    let clamped = target.clamp(first, last);
    let below = clamped - (clamped + grain - offset % grain) % grain;
    let above = if below == clamped {
        clamped
    } else {
        below + grain
    };
    let below = below.max(first);
    let above = above.min(last);
    Some(if above.abs_diff(target) < below.abs_diff(target) {
        above
    } else {
        below
    })
}

impl Disk {
    pub fn new(path: &str, model: &str, size_bytes: u64) -> Disk {
        Disk {
            path: path.into(),
            model: model.into(),
            sectors: size_bytes / SECTOR,
            label: None,
            partitions: Vec::new(),
            labels_made: 0,
            identity: path.into(),
        }
    }

    pub fn size_bytes(&self) -> u64 {
        self.sectors * SECTOR
    }

    pub fn label(&self) -> Option<LabelKind> {
        self.label
    }

    pub fn partitions(&self) -> &[Partition] {
        &self.partitions
    }

    pub fn partition(&self, number: u32) -> Result<&Partition> {
        self.partitions
            .iter()
            .find(|p| p.number == number)
            .ok_or_else(|| Error::NoPartition {
                device: self.path.clone(),
                number,
            })
    }

    /// The device node of partition `number`: `/dev/sda1` (`/dev/nvme0n1p1` after a digit).
    pub fn partition_path(&self, number: u32) -> String {
        if self.path.ends_with(|c: char| c.is_ascii_digit()) {
            format!("{}p{number}", self.path)
        } else {
            format!("{}{number}", self.path)
        }
    }

    /// `parted DEVICE mklabel gpt|msdos`: a new, empty table (old partitions are gone).
    pub fn mklabel(&mut self, label: &str) -> Result<()> {
        let kind = LabelKind::parse(label)?;
        // The label's own sectors, plus one for a partition.
        let needed = match kind {
            LabelKind::Gpt => GPT_RESERVED_START + GPT_RESERVED_END + 1,
            LabelKind::Msdos => 2,
        };
        if self.sectors < needed {
            return Err(Error::DiskTooSmall {
                device: self.path.clone(),
                label: label.to_string(),
                sectors: self.sectors,
                needed,
            });
        }
        self.label = Some(kind);
        self.partitions.clear();
        self.labels_made += 1;
        Ok(())
    }

    /// Records the file system mkfs made on partition `number` (what `parted print` shows).
    pub fn set_filesystem(&mut self, number: u32, fstype: Option<&str>) -> Result<()> {
        let device = self.path.clone();
        let partition = self
            .partitions
            .iter_mut()
            .find(|p| p.number == number)
            .ok_or(Error::NoPartition { device, number })?;
        partition.filesystem = fstype.map(str::to_string);
        Ok(())
    }

    /// `parted DEVICE rm NUMBER`.
    pub fn rm(&mut self, number: u32) -> Result<Partition> {
        let index = self
            .partitions
            .iter()
            .position(|p| p.number == number)
            .ok_or_else(|| Error::NoPartition {
                device: self.path.clone(),
                number,
            })?;
        Ok(self.partitions.remove(index))
    }

    /// The sectors partitions may use: `(first, last)`.
    pub fn usable(&self) -> Option<(u64, u64)> {
        match self.label? {
            LabelKind::Gpt => Some((GPT_RESERVED_START, self.sectors - GPT_RESERVED_END - 1)),
            LabelKind::Msdos => Some((1, self.sectors - 1)),
        }
    }

    /// `parted DEVICE mkpart NAME FSTYPE START END` on GPT, or `mkpart primary FSTYPE START
    /// END` on msdos (`name` is then the partition type). `fstype` may be empty.
    pub fn mkpart(&mut self, name: &str, fstype: &str, start: &str, end: &str) -> Result<Mkpart> {
        let label = self.label.ok_or_else(|| Error::NoLabel {
            device: self.path.clone(),
        })?;
        if label == LabelKind::Msdos {
            if !name.eq_ignore_ascii_case("primary") {
                return Err(Error::MsdosPartType {
                    part_type: name.into(),
                });
            }
            if self.partitions.len() >= 4 {
                return Err(Error::MsdosPrimaryLimit);
            }
        } else if self.partitions.len() >= GPT_ENTRIES {
            return Err(Error::GptFull {
                device: self.path.clone(),
            });
        }
        let fs_hint = match fstype.trim() {
            "" => None,
            given => {
                let lower = given.to_ascii_lowercase();
                if !PARTED_FS_TYPES.contains(&lower.as_str()) {
                    return Err(Error::FsType {
                        fstype: given.into(),
                        help: format!(
                            "parted's mkpart takes one of: {}",
                            PARTED_FS_TYPES.join(", ")
                        ),
                    });
                }
                Some(lower)
            }
        };
        let start_loc = self.parse_location(start)?;
        let mut end_loc = self.parse_location(end)?;
        if start_loc.sector != end_loc.sector && ends_with_iec_unit(end) {
            end_loc.sector = end_loc.sector.saturating_sub(1);
            end_loc.range = (
                end_loc.range.0.saturating_sub(1),
                end_loc.range.1.saturating_sub(1),
            );
        }
        if end_loc.sector < start_loc.sector {
            return Err(Error::EndBeforeStart {
                start: start.into(),
                end: end.into(),
            });
        }
        let (snapped_start, snapped_end) = self.snap_to_boundaries(start_loc, end_loc);
        let (start_sector, end_sector, aligned) =
            self.place(label, start_loc, end_loc, snapped_start, snapped_end)?;
        if label == LabelKind::Msdos {
            let help = format!(
                "an msdos (MBR) label stores sector numbers in 32 bits, so with 512-byte sectors no partition starts or extends past 2 TiB from its start; this disk is {}: make a GPT label instead (`mklabel(\"gpt\")`), which addresses 8 ZiB",
                parted_compact(self.size_bytes())
            );
            if start_sector > MSDOS_LIMIT {
                return Err(Error::Msdos2TibLimit {
                    what: "the starting sector".into(),
                    value: start_sector,
                    help,
                });
            }
            let length = end_sector - start_sector + 1;
            if length > MSDOS_LIMIT {
                return Err(Error::Msdos2TibLimit {
                    what: "the partition length".into(),
                    value: length,
                    help,
                });
            }
        }
        let number = (1..)
            .find(|n| self.partitions.iter().all(|p| p.number != *n))
            .expect("a free partition number");
        let partition = Partition {
            number,
            start: start_sector,
            end: end_sector,
            name: if label == LabelKind::Gpt {
                name.into()
            } else {
                String::new()
            },
            fs_hint,
            filesystem: None,
        };
        let warnings = if !aligned && start_sector % ALIGNMENT_GRAIN != 0 {
            vec![Error::PartitionMisaligned {
                number,
                start: start_sector,
                grain: ALIGNMENT_GRAIN,
            }]
        } else {
            Vec::new()
        };
        self.partitions.push(partition.clone());
        self.partitions.sort_by_key(|p| p.start);
        Ok(Mkpart {
            partition,
            warnings,
        })
    }

    /// parted's `ped_unit_parse_custom`: a location and the range it may move within.
    fn parse_location(&self, text: &str) -> Result<Location> {
        let bad = |reason: &str| Error::BadLocation {
            text: text.into(),
            reason: reason.into(),
        };
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let split = compact
            .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | ',' | '-')))
            .unwrap_or(compact.len());
        let (number_text, suffix) = compact.split_at(split);
        let number: f64 = number_text.parse().map_err(|_| bad("invalid number"))?;
        if number > 0.0 && number < 1.0 {
            return Err(bad("use a smaller unit instead of a value < 1"));
        }
        let lower = suffix.to_ascii_lowercase();
        let unit_size: u64 = match lower.as_str() {
            "kib" => 1 << 10,
            "mib" => 1 << 20,
            "gib" => 1 << 30,
            "tib" => 1 << 40,
            "" | "m" | "mb" => 1_000_000,
            "s" => SECTOR,
            "b" => 1,
            "k" | "kb" => 1_000,
            "g" | "gb" => 1_000_000_000,
            "t" | "tb" => 1_000_000_000_000,
            "%" => self.sectors * SECTOR / 100,
            _ => return Err(bad("unknown unit")),
        };
        let is_percent = lower == "%";
        let radius = if unit_size.is_power_of_two() && !is_percent {
            0
        } else {
            (unit_size.div_ceil(SECTOR) / 2).saturating_sub(1) as i64
        };
        let last = self.sectors as i64 - 1;
        // Anything this far beyond the disk is outside it, however far; bounding it keeps the
        // sums below exact.
        let bound = 2 * (self.sectors as i64 + radius + 1);
        let mut sector = ((number * unit_size as f64 / SECTOR as f64) as i64).clamp(-bound, bound);
        if compact.starts_with('-') {
            sector += self.sectors as i64;
        }
        let low = (sector - radius).clamp(0, last);
        let high = (sector + radius).clamp(0, last);
        if sector - high > radius || low - sector > radius {
            return Err(Error::OutsideDisk {
                text: text.into(),
                device: self.path.clone(),
                size: parted_compact(self.size_bytes()),
            });
        }
        Ok(Location {
            sector: sector.clamp(0, last) as u64,
            range: (low as u64, high as u64),
        })
    }

    /// The disk as parted's partition list sees it: metadata, partitions and free space,
    /// in order, covering every sector.
    fn regions(&self) -> Vec<Region> {
        let (first, last) = self.usable().expect("a label");
        let mut regions = vec![Region::Metadata(0, first - 1)];
        let mut cursor = first;
        for p in &self.partitions {
            if p.start > cursor {
                regions.push(Region::Free(cursor, p.start - 1));
            }
            regions.push(Region::Partition(p.start, p.end));
            cursor = p.end + 1;
        }
        if cursor <= last {
            regions.push(Region::Free(cursor, last));
        }
        if last + 1 < self.sectors {
            regions.push(Region::Metadata(last + 1, self.sectors - 1));
        }
        regions
    }

    /// parted's `snap_to_boundaries`: pulls START and END to the edges of the free region
    /// (or partition) they fall in, when an edge lies within their ranges.
    fn snap_to_boundaries(&self, start: Location, end: Location) -> (u64, u64) {
        let regions = self.regions();
        let containing = |sector: u64| {
            regions
                .iter()
                .map(|r| r.bounds())
                .find(|(s, e)| (*s..=*e).contains(&sector))
                .expect("regions cover the disk")
        };
        let start_part = containing(start.sector);
        let end_part = containing(end.sector);
        let adjacent = start_part.1 + 1 == end_part.0;
        let (mut start_up, mut start_down) = (true, true);
        let (mut end_up, mut end_down) = (true, true);
        if start_part == end_part {
            start_up = false;
            end_down = false;
        }
        let inside = |range: (u64, u64), s: i64| s >= range.0 as i64 && s <= range.1 as i64;
        // what = 0 for a start, -1 for an end, as in parted.
        let prefer =
            |s: u64, what: i64, range, up: &mut bool, down: &mut bool, part: (u64, u64)| {
                let s = s as i64;
                let mut up_dist = -1;
                let mut down_dist = -1;
                if *up {
                    let candidate = part.1 as i64 + 1 + what;
                    if inside(range, candidate) {
                        up_dist = candidate - s;
                    } else {
                        *up = false;
                    }
                }
                if *down {
                    let candidate = part.0 as i64 + what;
                    if inside(range, candidate) {
                        down_dist = s - candidate;
                    } else {
                        *down = false;
                    }
                }
                match (*up, *down) {
                    (true, true) => {
                        if down_dist < up_dist || (down_dist == up_dist && what == 0) {
                            (Move::Down, down_dist)
                        } else {
                            (Move::Up, up_dist)
                        }
                    }
                    (true, false) => (Move::Up, up_dist),
                    (false, true) => (Move::Down, down_dist),
                    (false, false) => (Move::Still, 0),
                }
            };
        let (mut start_want, start_dist) = prefer(
            start.sector,
            0,
            start.range,
            &mut start_up,
            &mut start_down,
            start_part,
        );
        let (mut end_want, end_dist) = prefer(
            end.sector,
            -1,
            end.range,
            &mut end_up,
            &mut end_down,
            end_part,
        );
        if adjacent && start_want == Move::Up && end_want == Move::Down {
            if end_dist < start_dist {
                start_up = false;
                start_want = prefer(
                    start.sector,
                    0,
                    start.range,
                    &mut start_up,
                    &mut start_down,
                    start_part,
                )
                .0;
            } else {
                end_down = false;
                end_want = prefer(
                    end.sector,
                    -1,
                    end.range,
                    &mut end_up,
                    &mut end_down,
                    end_part,
                )
                .0;
            }
        }
        let snapped_start = match start_want {
            Move::Down => start_part.0,
            Move::Up => start_part.1 + 1,
            Move::Still => start.sector,
        };
        let snapped_end = match end_want {
            Move::Down => end_part.0 - 1,
            Move::Up => end_part.1,
            Move::Still => end.sector,
        };
        (snapped_start, snapped_end)
    }

    /// The free space a new partition starting near `start` may occupy (parted's overlap
    /// constraint): after the last partition starting before it, up to the next one.
    fn free_around(&self, start: u64) -> Option<(u64, u64)> {
        let mut min_start = 0;
        let mut max_end = self.sectors - 1;
        for p in &self.partitions {
            if p.start < start || min_start >= p.start {
                min_start = p.end + 1;
            } else {
                max_end = p.start - 1;
                break;
            }
        }
        (min_start < max_end).then_some((min_start, max_end))
    }

    /// Chooses the sectors: aligned if possible, else the nearest placement within the
    /// requested ranges. Returns `(start, end, aligned)`.
    fn place(
        &self,
        label: LabelKind,
        start: Location,
        end: Location,
        snapped_start: u64,
        snapped_end: u64,
    ) -> Result<(u64, u64, bool)> {
        let describe = |s: u64, e: u64| {
            format!(
                "{} to {} (sectors {s}..{e})",
                parted_compact(s * SECTOR),
                parted_compact(e * SECTOR)
            )
        };
        let free = self
            .free_around(snapped_start)
            .ok_or_else(|| Error::NoFreeSpace {
                device: self.path.clone(),
                requested: describe(start.sector, end.sector),
            })?;
        let usable = self.usable().expect("a label");
        let area = (free.0.max(usable.0), free.1.min(usable.1));
        let intersect = |a: (u64, u64), b: (u64, u64)| (a.0.max(b.0), a.1.min(b.1));
        let solve = |start_range: (u64, u64), end_range: (u64, u64), grain: u64| {
            let end_offset = grain - 1;
            // the latest end solution bounds the start (minimum size 1 sector)
            let last_end = nearest_aligned(
                end_range.0,
                end_range.1,
                end_range.1,
                grain,
                end_offset % grain,
            )?;
            let first_end = nearest_aligned(
                end_range.0,
                end_range.1,
                end_range.0,
                grain,
                end_offset % grain,
            )?;
            let max_size = area.1 - area.0 + 1;
            let min_start = (first_end + 1).saturating_sub(max_size);
            let start_lo = start_range.0.max(min_start);
            let start_hi = start_range.1.min(last_end);
            let s = nearest_aligned(start_lo, start_hi, snapped_start, grain, 0)?;
            let e_lo = end_range.0.max(s);
            let e_hi = end_range.1.min(s + max_size - 1);
            let e = nearest_aligned(e_lo, e_hi, snapped_end, grain, end_offset % grain)?;
            Some((s, e))
        };
        let aligned = solve(
            intersect(start.range, area),
            intersect(end.range, area),
            ALIGNMENT_GRAIN,
        );
        if let Some((s, e)) = aligned {
            return Ok((s, e, true));
        }
        let (s, e) = solve(area, area, 1).ok_or_else(|| Error::NoFreeSpace {
            device: self.path.clone(),
            requested: describe(start.sector, end.sector),
        })?;
        let within = |range: (u64, u64), x: u64| (range.0..=range.1).contains(&x);
        if !within(start.range, s) || !within(end.range, e) {
            let help = if self
                .partitions
                .iter()
                .any(|p| p.start <= end.sector && start.sector <= p.end)
            {
                "the request overlaps an existing partition: `print` shows where the partitions are; start after the previous one ends".to_string()
            } else {
                format!(
                    "the {} label keeps sectors outside {}..{} for itself; start at \"1MiB\" (or \"0%\") and end at \"100%\" to use the whole disk",
                    label.name(),
                    usable.0,
                    usable.1
                )
            };
            return Err(Error::PartitionPlacement {
                requested: describe(start.sector, end.sector),
                closest: describe(s, e),
                help,
            });
        }
        Ok((s, e, false))
    }

    /// `parted -s DEVICE print` in parted's default (compact) unit.
    pub fn parted_print(&self) -> String {
        self.parted_print_with(parted_compact, &parted_compact(self.size_bytes()))
    }

    /// `parted -s DEVICE unit s print`.
    pub fn parted_print_sectors(&self) -> String {
        self.parted_print_with(
            |bytes| format!("{}s", bytes / SECTOR),
            &format!("{}s", self.sectors),
        )
    }

    fn parted_print_with(&self, unit: impl Fn(u64) -> String, disk_size: &str) -> String {
        let mut out = format!(
            "Model: {}\nDisk {}: {disk_size}\nSector size (logical/physical): 512B/512B\nPartition Table: {}\nDisk Flags: \n",
            self.model,
            self.path,
            self.label.map_or("unknown", LabelKind::name)
        );
        let Some(label) = self.label else {
            return out;
        };
        let mut rows: Vec<Vec<String>> = vec![match label {
            LabelKind::Gpt => [
                "Number",
                "Start",
                "End",
                "Size",
                "File system",
                "Name",
                "Flags",
            ]
            .map(String::from)
            .to_vec(),
            LabelKind::Msdos => [
                "Number",
                "Start",
                "End",
                "Size",
                "Type",
                "File system",
                "Flags",
            ]
            .map(String::from)
            .to_vec(),
        }];
        for p in &self.partitions {
            let fs = p.filesystem.clone().unwrap_or_default();
            let (fifth, sixth) = match label {
                LabelKind::Gpt => (fs, p.name.clone()),
                LabelKind::Msdos => ("primary".to_string(), fs),
            };
            rows.push(vec![
                format!("{:2}", p.number),
                unit(p.start * SECTOR),
                unit((p.end + 1) * SECTOR - 1),
                unit(p.sectors() * SECTOR),
                fifth,
                sixth,
            ]);
        }
        out.push('\n');
        out.push_str(&render_columns(&rows));
        out.push('\n');
        out
    }

    /// `parted -s -m DEVICE unit s print`: the machine-readable form scripts parse.
    pub fn parted_machine_sectors(&self) -> String {
        let mut out = format!(
            "BYT;\n{}:{}s:scsi:512:512:{}:{}:;\n",
            self.path,
            self.sectors,
            self.label.map_or("unknown", LabelKind::name),
            self.model
        );
        for p in &self.partitions {
            out.push_str(&format!(
                "{}:{}s:{}s:{}s:{}:{}:;\n",
                p.number,
                p.start,
                p.end,
                p.sectors(),
                p.filesystem.clone().unwrap_or_default(),
                p.name
            ));
        }
        out
    }

    /// `fdisk -l DEVICE` as `era`'s util-linux prints it.
    pub fn fdisk_list(&self, era: UtilLinux) -> FdiskListing {
        match era {
            UtilLinux::V2_17Rhel6 { sectors } => self.fdisk_list_2_17(sectors),
            UtilLinux::V2_38 => FdiskListing {
                stdout: self.fdisk_list_2_38(),
                stderr: String::new(),
            },
        }
    }

    /// The msdos label's disk identifier: random when parted writes the label, derived
    /// here from the disk and the label's number so both hosts of a LUN read the same.
    fn msdos_identifier(&self) -> String {
        let digest = Sha256::digest(format!("{}#{}", self.identity, self.labels_made));
        format!(
            "0x{:02x}{:02x}{:02x}{:02x}",
            digest[0], digest[1], digest[2], digest[3]
        )
    }

    /// util-linux-ng 2.17.2: the BIOS geometry (255 heads, 63 sectors a track, as the sd
    /// driver reports for disks above 1 GB), positions in cylinders unless `sectors`
    /// (`-u`), the size in decimal MB or GB, and a GPT disk shown as its protective MBR
    /// (one `ee` entry from sector 1, at most 2^32 − 1 sectors) after a warning on stderr.
    fn fdisk_list_2_17(&self, sectors: bool) -> FdiskListing {
        let bytes = self.size_bytes();
        let megabytes = bytes / 1_000_000;
        let size = if megabytes < 10_000 {
            format!("{megabytes} MB")
        } else {
            let hectomega = (megabytes + 50) / 100;
            format!("{}.{} GB", hectomega / 10, hectomega % 10)
        };
        let mut stdout = format!(
            "\nDisk {}: {size}, {bytes} bytes\n{BIOS_HEADS} heads, {BIOS_SECTORS} sectors/track, {} cylinders",
            self.path,
            self.sectors / CYLINDER
        );
        let (unit, per_unit) = if sectors {
            stdout.push_str(&format!(", total {} sectors", self.sectors));
            ("sectors", 1)
        } else {
            ("cylinders", CYLINDER)
        };
        stdout.push_str(&format!(
            "\nUnits = {unit} of {per_unit} * 512 = {} bytes\n\
             Sector size (logical/physical): 512 bytes / 512 bytes\n\
             I/O size (minimum/optimal): 512 bytes / 512 bytes\n",
            per_unit * SECTOR
        ));
        let (entries, stderr): (Vec<MbrEntry>, String) = match self.label {
            None => {
                stdout.push('\n');
                return FdiskListing {
                    stdout,
                    stderr: format!(
                        "Disk {} doesn't contain a valid partition table\n",
                        self.path
                    ),
                };
            }
            Some(LabelKind::Gpt) => {
                // parted keeps the MBR's identifier bytes, zero on a fresh disk
                stdout.push_str("Disk identifier: 0x00000000\n");
                let protective = (self.sectors - 1).min(MSDOS_LIMIT);
                (
                    vec![(1, 1, protective, "ee", "GPT")],
                    format!(
                        "\nWARNING: GPT (GUID Partition Table) detected on '{}'! The util fdisk doesn't support GPT. Use GNU Parted.\n\n",
                        self.path
                    ),
                )
            }
            Some(LabelKind::Msdos) => {
                stdout.push_str(&format!("Disk identifier: {}\n", self.msdos_identifier()));
                // fdisk lists the table's entries in their slots' order
                let mut entries: Vec<_> = self
                    .partitions
                    .iter()
                    .map(|p| {
                        let (id, _) = partition_type(LabelKind::Msdos, p.fs_hint.as_deref());
                        (p.number, p.start, p.sectors(), id, mbr_type_2_17(id))
                    })
                    .collect();
                entries.sort_by_key(|e| e.0);
                (entries, String::new())
            }
        };
        stdout.push('\n');
        // fdisk pads the device column to the name's length (one more after a digit), at
        // least 5, and names each partition in two columns after it
        let digit = self.path.ends_with(|c: char| c.is_ascii_digit());
        let width = (self.path.len() + usize::from(digit)).max(5);
        stdout.push_str(&format!(
            "{:>w$} Boot      Start         End      Blocks   Id  System\n",
            "Device",
            w = width + 1
        ));
        let shown = |sector: u64| {
            if sectors {
                sector
            } else {
                sector / CYLINDER + 1
            }
        };
        for &(number, start, count, id, name) in &entries {
            let last = start + count.saturating_sub(1);
            let odd = if count % 2 == 1 { '+' } else { ' ' };
            stdout.push_str(&format!(
                "{:>pad$}{}{number:<2}    {:>11} {:>11} {:>11}{odd}  {id:>2}  {name}\n",
                self.path,
                if digit { "p" } else { "" },
                shown(start),
                shown(last),
                count / 2,
                pad = width - usize::from(digit),
            ));
            // parted writes a partition's CHS end; below cylinder 1024 fdisk checks that
            // it is the last sector of a cylinder
            let cylinder = last / CYLINDER;
            let in_cylinder = last % CYLINDER;
            if id != "ee"
                && cylinder < 1024
                && (in_cylinder / BIOS_SECTORS != BIOS_HEADS - 1
                    || in_cylinder % BIOS_SECTORS != BIOS_SECTORS - 1)
            {
                stdout.push_str(&format!(
                    "Partition {number} does not end on cylinder boundary.\n"
                ));
            }
        }
        if entries.windows(2).any(|pair| pair[1].1 < pair[0].1) {
            stdout.push_str("\nPartition table entries are not in disk order\n");
        }
        FdiskListing { stdout, stderr }
    }

    /// util-linux 2.38 (Debian 12): sectors, binary sizes, the GPT itself.
    fn fdisk_list_2_38(&self) -> String {
        let bytes = self.size_bytes();
        let mut out = format!(
            "Disk {}: {}, {bytes} bytes, {} sectors\n",
            self.path,
            util_linux_size(bytes, true),
            self.sectors
        );
        if !self.model.is_empty() {
            out.push_str(&format!(
                "Disk model: {}\n",
                self.model.trim_end_matches(" (scsi)")
            ));
        }
        out.push_str(
            "Units: sectors of 1 * 512 = 512 bytes\n\
             Sector size (logical/physical): 512 bytes / 512 bytes\n\
             I/O size (minimum/optimal): 512 bytes / 512 bytes\n",
        );
        let Some(label) = self.label else {
            return out;
        };
        let identifier = match label {
            LabelKind::Gpt => {
                super::blockdev::derived_uuid(&format!("{}#{}", self.identity, self.labels_made))
                    .to_uppercase()
            }
            LabelKind::Msdos => self.msdos_identifier(),
        };
        out.push_str(&format!(
            "Disklabel type: {}\nDisk identifier: {identifier}\n",
            if label == LabelKind::Gpt {
                "gpt"
            } else {
                "dos"
            }
        ));
        if self.partitions.is_empty() {
            return out;
        }
        let (headers, minimum): (Vec<&str>, Vec<usize>) = match label {
            LabelKind::Gpt => (
                vec!["Device", "Start", "End", "Sectors", "Size", "Type"],
                vec![10, 0, 0, 0, 0, 0],
            ),
            LabelKind::Msdos => (
                vec![
                    "Device", "Boot", "Start", "End", "Sectors", "Size", "Id", "Type",
                ],
                vec![10, 0, 0, 0, 0, 0, 0, 0],
            ),
        };
        let mut rows = vec![headers.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
        for p in &self.partitions {
            let size = util_linux_size(p.size_bytes(), false);
            let (id, type_name) = partition_type(label, p.fs_hint.as_deref());
            let mut row = vec![
                self.partition_path(p.number),
                p.start.to_string(),
                p.end.to_string(),
                p.sectors().to_string(),
                size,
                type_name.to_string(),
            ];
            if label == LabelKind::Msdos {
                row.insert(1, String::new());
                row.insert(6, id.to_string());
            }
            rows.push(row);
        }
        let columns = rows[0].len();
        let size_column = headers
            .iter()
            .position(|h| *h == "Size")
            .expect("a Size column");
        // libsmartcols as util-linux 2.38 drives it: a column is as wide as its header and
        // values, Device at least 10; Size widens to its hint of 5 once a value fills its
        // 4-character header (measured: "99M" → 4, "923M" → 5, "19.9G" → 5, "1023.5G" → 7)
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                let data = rows[1..].iter().map(|r| r[c].len()).max().unwrap_or(0);
                let width = data.max(rows[0][c].len()).max(minimum[c]);
                if c == size_column && data >= 4 {
                    width.max(5)
                } else {
                    width
                }
            })
            .collect();
        let left_aligned = |c: usize| {
            c == 0 || c == columns - 1 || (label == LabelKind::Msdos && (c == 1 || c == 6))
        };
        out.push('\n');
        for row in &rows {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(c, cell)| {
                    if c == columns - 1 {
                        cell.clone()
                    } else if left_aligned(c) {
                        format!("{cell:<width$}", width = widths[c])
                    } else {
                        format!("{cell:>width$}", width = widths[c])
                    }
                })
                .collect();
            out.push_str(cells.join(" ").trim_end());
            out.push('\n');
        }
        out
    }
}

/// Whether parted reads END as "up to" this position: an explicit binary unit (`MiB`…).
fn ends_with_iec_unit(text: &str) -> bool {
    let trimmed = text.trim_end();
    let Some(tail) = trimmed
        .len()
        .checked_sub(3)
        .and_then(|at| trimmed.get(at..))
    else {
        return false;
    };
    trimmed.len() > 3
        && b"kMGTPEZY".contains(&tail.as_bytes()[0])
        && tail[1..].eq_ignore_ascii_case("iB")
}

/// parted's compact unit: B, kB, MB, GB or TB by size, 3 significant digits.
pub fn parted_compact(bytes: u64) -> String {
    let (unit, name) = match bytes {
        b if b >= 10_000_000_000_000 => (1e12, "TB"),
        b if b >= 10_000_000_000 => (1e9, "GB"),
        b if b >= 10_000_000 => (1e6, "MB"),
        b if b >= 10_000 => (1e3, "kB"),
        _ => return format!("{bytes}B"),
    };
    let value = bytes as f64 / unit * (1.0 + f64::EPSILON);
    let widened = value
        + if value < 10.0 {
            0.005
        } else if value < 100.0 {
            0.05
        } else {
            0.5
        };
    let precision = if widened < 10.0 {
        2
    } else if widened < 100.0 {
        1
    } else {
        0
    };
    format!("{value:.precision$}{name}")
}

/// util-linux's `size_to_human_string`: binary units, one decimal rounded half up and
/// dropped when zero; `three_letter` gives `GiB` with a space (fdisk's disk line).
pub fn util_linux_size(bytes: u64, three_letter: bool) -> String {
    let mut exponent = 0;
    while exponent < 60 && bytes >= 1u64 << (exponent + 10) {
        exponent += 10;
    }
    let letter = b"BKMGTPE"[exponent / 10] as char;
    let suffix = match (three_letter, letter) {
        (true, 'B') => " B".to_string(),
        (true, l) => format!(" {l}iB"),
        (false, l) => l.to_string(),
    };
    let mut whole = bytes >> exponent;
    let remainder = if exponent == 0 {
        0
    } else {
        bytes & ((1u64 << exponent) - 1)
    };
    let mut tenths = 0;
    if remainder > 0 {
        let thousandths = ((remainder as u128 * 1000) >> exponent) as u64;
        tenths = (thousandths + 50) / 100;
        if tenths == 10 {
            whole += 1;
            tenths = 0;
        }
    }
    if tenths > 0 {
        format!("{whole}.{tenths}{suffix}")
    } else {
        format!("{whole}{suffix}")
    }
}

/// The partition type fdisk shows for a `mkpart` file system hint: (MBR id, name).
fn partition_type(label: LabelKind, fs_hint: Option<&str>) -> (&'static str, &'static str) {
    let kind = match fs_hint {
        Some("linux-swap") | Some("linux-swap(v1)") | Some("swsusp") => "swap",
        Some("fat16") | Some("fat32") | Some("ntfs") => "windows",
        _ => "linux",
    };
    match (label, kind) {
        (LabelKind::Gpt, "swap") => ("", "Linux swap"),
        (LabelKind::Gpt, "windows") => ("", "Microsoft basic data"),
        (LabelKind::Gpt, _) => ("", "Linux filesystem"),
        (LabelKind::Msdos, "swap") => ("82", "Linux swap / Solaris"),
        (LabelKind::Msdos, "windows") => match fs_hint {
            Some("fat16") => ("e", "W95 FAT16 (LBA)"),
            Some("fat32") => ("c", "W95 FAT32 (LBA)"),
            _ => ("7", "HPFS/NTFS/exFAT"),
        },
        (LabelKind::Msdos, _) => ("83", "Linux"),
    }
}

/// util-linux-ng 2.17's name for an MBR partition type id.
fn mbr_type_2_17(id: &str) -> &'static str {
    match id {
        "82" => "Linux swap / Solaris",
        "7" => "HPFS/NTFS",
        "c" => "W95 FAT32 (LBA)",
        "e" => "W95 FAT16 (LBA)",
        _ => "Linux",
    }
}

/// Left-aligned columns two spaces apart, trailing blanks trimmed (parted's table).
fn render_columns(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, String::len))
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|row| {
            let line: String = row
                .iter()
                .enumerate()
                .map(|(c, cell)| format!("{cell:<width$}  ", width = widths[c]))
                .collect();
            format!("{}\n", line.trim_end())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;
    const TIB: u64 = 1 << 40;

    fn disk(size: u64, label: &str) -> Disk {
        let mut d = Disk::new("/dev/sda", "IET VIRTUAL-DISK (scsi)", size);
        d.mklabel(label).unwrap();
        d
    }

    fn span(d: &mut Disk, start: &str, end: &str) -> (u64, u64) {
        let name = if d.label() == Some(LabelKind::Msdos) {
            "primary"
        } else {
            "p"
        };
        let made = d.mkpart(name, "ext3", start, end).unwrap();
        (made.partition.start, made.partition.end)
    }

    #[test]
    fn whole_disk_gpt_aligns_to_1mib() {
        // parted 3.5: 1 GiB image, `mkpart p1 ext3 0% 100%` → 2048s..2095103s
        let mut d = disk(GIB, "gpt");
        assert_eq!(span(&mut d, "0%", "100%"), (2048, 2_095_103));
        // 20 GiB, decimal units move to the nearest MiB boundary within ±half a unit
        let mut d = disk(20 * GIB, "gpt");
        assert_eq!(span(&mut d, "1GB", "5GB"), (1_953_792, 9_764_863));
    }

    #[test]
    fn binary_units_are_exact_and_end_up_to() {
        let mut d = disk(GIB, "gpt");
        assert_eq!(span(&mut d, "1MiB", "100MiB"), (2048, 204_799));
        assert_eq!(span(&mut d, "100MiB", "200MiB"), (204_800, 409_599));
        let mut d = disk(GIB, "gpt");
        assert_eq!(span(&mut d, "1MB", "100MB"), (2048, 194_559));
        assert_eq!(span(&mut d, "100MB", "200MB"), (194_560, 391_167));
    }

    #[test]
    fn percent_of_a_power_of_two_disk_is_still_fuzzy() {
        // 1 % of 100 MiB is exactly 1 MiB, but percentages keep their range: no aligned
        // start fits within ±1023 sectors of 0, so parted takes the first usable sector.
        let mut d = disk(100 * MIB, "gpt");
        let made = d.mkpart("p1", "ext3", "0%", "100%").unwrap();
        assert_eq!((made.partition.start, made.partition.end), (34, 204_766));
        assert_eq!(
            made.warnings,
            [Error::PartitionMisaligned {
                number: 1,
                start: 34,
                grain: 2048
            }]
        );
        let mut d = disk(100 * MIB, "msdos");
        assert_eq!(span(&mut d, "0%", "100%"), (1, 204_799));
    }

    #[test]
    fn gpt_reserves_34_sectors_in_front_and_33_behind() {
        let mut d = disk(GIB, "gpt");
        assert_eq!(d.usable(), Some((34, 2_097_118)));
        assert_eq!(span(&mut d, "34s", "-34s"), (34, 2_097_118));
        let mut d = disk(GIB, "gpt");
        let err = d.mkpart("p", "ext3", "1kB", "2kB").unwrap_err();
        assert_eq!(err.code_str(), "kvmlab::storage::partition_overlap");
        assert_eq!(
            err.to_string(),
            "you requested a partition from 512B to 1536B (sectors 1..3); the closest location parted can manage is 17.4kB to 17.4kB (sectors 34..34)"
        );
    }

    #[test]
    fn overlaps_are_refused_with_the_closest_location() {
        let mut d = disk(100 * MIB, "gpt");
        span(&mut d, "1MiB", "50MiB");
        let err = d.mkpart("p2", "ext3", "40MiB", "100%").unwrap_err();
        assert_eq!(
            err.to_string(),
            "you requested a partition from 41.9MB to 105MB (sectors 81920..204799); the closest location parted can manage is 52.4MB to 105MB (sectors 102400..204766)"
        );
        assert!(err.help_str().unwrap().starts_with("the request overlaps"));
        assert_eq!(span(&mut d, "50MiB", "100%"), (102_400, 204_766));
    }

    #[test]
    fn location_errors() {
        let mut d = disk(GIB, "gpt");
        let code =
            |d: &mut Disk, s: &str, e: &str| d.mkpart("p", "ext3", s, e).unwrap_err().code_str();
        assert_eq!(code(&mut d, "1GB", "2GB"), "kvmlab::storage::outside_disk");
        assert_eq!(
            code(&mut d, "0.5GB", "1GB"),
            "kvmlab::storage::bad_location"
        );
        assert_eq!(code(&mut d, "abc", "1GB"), "kvmlab::storage::bad_location");
        assert_eq!(
            code(&mut d, "100MB", "50MB"),
            "kvmlab::storage::end_before_start"
        );
        assert_eq!(
            d.mkpart("p", "ext9", "1MiB", "2MiB")
                .unwrap_err()
                .code_str(),
            "kvmlab::storage::fs_type"
        );
        let mut bare = Disk::new("/dev/sdb", "", GIB);
        assert_eq!(
            bare.mkpart("p", "ext3", "0%", "100%").unwrap_err(),
            Error::NoLabel {
                device: "/dev/sdb".into()
            }
        );
        assert_eq!(
            bare.mklabel("bsd").unwrap_err().code_str(),
            "kvmlab::storage::label_type"
        );
    }

    #[test]
    fn msdos_stops_at_2_tib() {
        let mut d = disk(3 * TIB, "msdos");
        let err = d.mkpart("primary", "ext3", "0%", "100%").unwrap_err();
        assert_eq!(err.code_str(), "kvmlab::storage::msdos_2tib_limit");
        assert_eq!(
            err.to_string(),
            "msdos partition tables address at most 2 TiB: the partition length (6442448896 sectors) exceeds the maximum 4294967295"
        );
        assert!(err.help_str().unwrap().contains("make a GPT label instead"));
        let err = d.mkpart("primary", "ext3", "2.5TiB", "100%").unwrap_err();
        assert!(err
            .to_string()
            .contains("the starting sector (5368709120 sectors)"));
        // a partition may end past 2 TiB when it starts late enough
        assert_eq!(
            span(&mut d, "1.5TiB", "2.5TiB"),
            (3_221_225_472, 5_368_709_119)
        );
        let mut d = disk(3 * TIB, "msdos");
        assert_eq!(span(&mut d, "0%", "2TiB"), (2048, 4_294_967_295));
        let mut g = disk(3 * TIB, "gpt");
        assert_eq!(span(&mut g, "0%", "100%"), (2048, 6_442_448_895));
    }

    #[test]
    fn msdos_holds_four_primaries() {
        let mut d = disk(GIB, "msdos");
        for i in 0..4 {
            span(
                &mut d,
                &format!("{}MiB", 1 + i * 100),
                &format!("{}MiB", 100 + i * 100),
            );
        }
        assert_eq!(
            d.mkpart("primary", "", "500MiB", "600MiB").unwrap_err(),
            Error::MsdosPrimaryLimit
        );
        assert_eq!(
            d.mkpart("logical", "", "500MiB", "600MiB")
                .unwrap_err()
                .code_str(),
            "kvmlab::storage::msdos_part_type"
        );
    }

    #[test]
    fn parted_print_matches_parted() {
        let mut d = Disk::new("/tmp/pt/a.img", " (file)", GIB);
        d.mklabel("gpt").unwrap();
        d.mkpart("p1", "ext3", "1MiB", "100MiB").unwrap();
        d.mkpart("data", "xfs", "100MiB", "100%").unwrap();
        assert_eq!(
            d.parted_print(),
            "Model:  (file)\nDisk /tmp/pt/a.img: 1074MB\nSector size (logical/physical): 512B/512B\nPartition Table: gpt\nDisk Flags: \n\n\
             Number  Start   End     Size   File system  Name  Flags\n \
             1      1049kB  105MB   104MB               p1\n \
             2      105MB   1073MB  968MB               data\n\n"
        );
        assert_eq!(
            d.parted_machine_sectors(),
            "BYT;\n/tmp/pt/a.img:2097152s:scsi:512:512:gpt: (file):;\n1:2048s:204799s:202752s::p1:;\n2:204800s:2095103s:1890304s::data:;\n"
        );
        assert_eq!(
            d.parted_print_sectors().lines().nth(7).unwrap(),
            " 1      2048s    204799s   202752s                p1"
        );
    }

    #[test]
    fn fdisk_list_matches_util_linux() {
        let mut d = Disk::new("b.img", "", GIB);
        d.mklabel("msdos").unwrap();
        d.mkpart("primary", "ext3", "1MiB", "100MiB").unwrap();
        d.mkpart("primary", "", "100MiB", "100%").unwrap();
        let listing = d.fdisk_list(UtilLinux::V2_38).stdout;
        let lines: Vec<&str> = listing.lines().collect();
        assert_eq!(
            lines[0],
            "Disk b.img: 1 GiB, 1073741824 bytes, 2097152 sectors"
        );
        assert_eq!(lines[4], "Disklabel type: dos");
        assert_eq!(
            lines[7],
            "Device     Boot  Start     End Sectors  Size Id Type"
        );
        assert_eq!(
            lines[8],
            "b.img1            2048  204799  202752   99M 83 Linux"
        );
        assert_eq!(
            lines[9],
            "b.img2          204800 2097151 1892352  924M 83 Linux"
        );
    }

    #[test]
    fn rhel6_fdisk_counts_cylinders_and_shows_gpt_as_its_protective_mbr() {
        // The report's LUN as util-linux-ng 2.17.2 lists it: 4995964170240 bytes are
        // 4996.0 GB, 9757742520 sectors 607391 cylinders of 16065; the protective entry
        // spans 2^32 − 1 sectors from sector 1, ending in cylinder 267350.
        let mut lun = Disk::new("/dev/sdb", "IET VIRTUAL-DISK (scsi)", 4_995_964_170_240);
        lun.mklabel("gpt").unwrap();
        lun.mkpart("primary", "ext3", "0%", "95GB").unwrap();
        let listing = lun.fdisk_list(UtilLinux::V2_17Rhel6 { sectors: false });
        assert_eq!(
            listing.stdout,
            "\nDisk /dev/sdb: 4996.0 GB, 4995964170240 bytes\n\
             255 heads, 63 sectors/track, 607391 cylinders\n\
             Units = cylinders of 16065 * 512 = 8225280 bytes\n\
             Sector size (logical/physical): 512 bytes / 512 bytes\n\
             I/O size (minimum/optimal): 512 bytes / 512 bytes\n\
             Disk identifier: 0x00000000\n\
             \n   Device Boot      Start         End      Blocks   Id  System\n\
             /dev/sdb1               1      267350  2147483647+  ee  GPT\n"
        );
        assert_eq!(
            listing.stderr,
            "\nWARNING: GPT (GUID Partition Table) detected on '/dev/sdb'! The util fdisk doesn't support GPT. Use GNU Parted.\n\n"
        );
        // msdos in sectors (-u); a partition ending below cylinder 1024 off a cylinder's
        // end is named, and entries out of disk order are noted
        let mut d = Disk::new("/dev/sda", "", 20 * GIB);
        d.mklabel("msdos").unwrap();
        d.mkpart("primary", "ext3", "1GiB", "100%").unwrap();
        d.mkpart("primary", "linux-swap", "1MiB", "1GiB").unwrap();
        let listing = d.fdisk_list(UtilLinux::V2_17Rhel6 { sectors: true });
        let lines: Vec<&str> = listing.stdout.lines().collect();
        assert_eq!(lines[1], "Disk /dev/sda: 21.5 GB, 21474836480 bytes");
        assert_eq!(
            lines[2],
            "255 heads, 63 sectors/track, 2610 cylinders, total 41943040 sectors"
        );
        assert_eq!(lines[3], "Units = sectors of 1 * 512 = 512 bytes");
        assert_eq!(
            &lines[8..],
            [
                "   Device Boot      Start         End      Blocks   Id  System",
                "/dev/sda1         2097152    41943039    19922944   83  Linux",
                "/dev/sda2            2048     2097151     1047552   82  Linux swap / Solaris",
                "Partition 2 does not end on cylinder boundary.",
                "",
                "Partition table entries are not in disk order",
            ]
        );
        let bare =
            Disk::new("/dev/sdc", "", GIB).fdisk_list(UtilLinux::V2_17Rhel6 { sectors: false });
        assert!(bare
            .stdout
            .ends_with("I/O size (minimum/optimal): 512 bytes / 512 bytes\n\n"));
        assert_eq!(
            bare.stderr,
            "Disk /dev/sdc doesn't contain a valid partition table\n"
        );
        assert!(bare
            .stdout
            .starts_with("\nDisk /dev/sdc: 1073 MB, 1073741824 bytes\n"));
    }

    #[test]
    fn util_linux_sizes() {
        assert_eq!(util_linux_size(GIB, true), "1 GiB");
        assert_eq!(util_linux_size(202_752 * 512, false), "99M");
        assert_eq!(util_linux_size(1_890_304 * 512, false), "923M");
        assert_eq!(util_linux_size(1536 * MIB, false), "1.5G");
        assert_eq!(util_linux_size(512, false), "512B");
        assert_eq!(util_linux_size(1024 * MIB - 1, false), "1024M");
    }

    #[test]
    fn a_full_disk_has_no_room_and_mkfs_shows_in_print() {
        // GPT keeps 33 sectors behind the last partition: parted offers them and refuses
        let mut d = disk(GIB, "gpt");
        span(&mut d, "0%", "100%");
        let err = d.mkpart("p2", "ext3", "50%", "60%").unwrap_err();
        assert_eq!(
            err.to_string(),
            "you requested a partition from 537MB to 644MB (sectors 1048575..1258291); the closest location parted can manage is 1073MB to 1073MB (sectors 2095104..2095104)"
        );
        // msdos has nothing behind it: "Can't have overlapping partitions."
        let mut full = disk(GIB, "msdos");
        span(&mut full, "0%", "100%");
        let err = full.mkpart("primary", "ext3", "50%", "60%").unwrap_err();
        assert_eq!(err.code_str(), "kvmlab::storage::no_free_space");
        d.set_filesystem(1, Some("ext3")).unwrap();
        assert!(d
            .parted_print()
            .contains(" 1      1049kB  1073MB  1072MB  ext3         p\n"));
        assert_eq!(
            d.rm(2).unwrap_err(),
            Error::NoPartition {
                device: "/dev/sda".into(),
                number: 2
            }
        );
        assert_eq!(d.rm(1).unwrap().number, 1);
        assert_eq!(span(&mut d, "1MiB", "2MiB"), (2048, 4095));
    }

    #[test]
    fn scsi_disk_names() {
        assert_eq!(scsi_disk_name(0), "sda");
        assert_eq!(scsi_disk_name(25), "sdz");
        assert_eq!(scsi_disk_name(26), "sdaa");
        assert_eq!(scsi_disk_name(27), "sdab");
        let d = Disk::new("/dev/sda", "", GIB);
        assert_eq!(d.partition_path(1), "/dev/sda1");
        assert_eq!(
            Disk::new("/dev/nvme0n1", "", GIB).partition_path(2),
            "/dev/nvme0n1p2"
        );
    }

    #[test]
    fn parted_compact_units() {
        assert_eq!(parted_compact(1_048_576), "1049kB");
        assert_eq!(parted_compact(104_857_599), "105MB");
        assert_eq!(parted_compact(41_943_040), "41.9MB");
        assert_eq!(parted_compact(5_000_000_000_000), "5000GB");
        assert_eq!(parted_compact(9_999), "9999B");
    }
}
