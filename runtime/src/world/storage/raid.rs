//! RAID levels and their capacity arithmetic, as a NAS's volume wizard computes them.
//!
//! A level decides how many disks' worth of space holds data and how many disk failures the
//! array survives: RAID 6 of n disks keeps n − 2 disks of data, RAID 5 n − 1, a RAID 1 mirror
//! one disk whatever n is, RAID 10 n / 2 (mirrored pairs, so n is even), RAID 0 all n and
//! survives nothing. Capacity counts whole disks of the smallest size, as md and NAS
//! firmware do.
//!
//! Disks fail and are replaced: an array runs degraded while it survives its failures
//! (RAID 6 two, RAID 5 one, RAID 10 one per mirrored pair, RAID 1 all but one), and a
//! replaced disk is rebuilt from the others at [`REBUILD_RATE`]. One failure more and the
//! array is lost with everything on it: md cannot assemble it, and no replacement brings
//! the data back.

use std::fmt;

use crate::error::{Error, Result};
use crate::time::LabTime;

/// Bytes per second a rebuild writes to the new disk: a 2 TB 7200 rpm SATA drive of the
/// report's era averaged over its surface (about 140 MB/s on the outer tracks, 65 MB/s on
/// the inner). md's `speed_limit_max` (200 000 KB/s) is above it, so the drive decides; a
/// 2 TB member takes 5.6 hours. The guests' own I/O during a rebuild is not modelled.
pub const REBUILD_RATE: f64 = 100e6;

/// One disk of an array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberState {
    Active,
    Failed,
    /// A replacement being written from the other members, done at that lab time.
    Rebuilding {
        done_at: LabTime,
    },
}

/// What a disk failure left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Serving, with this many disks out (failed or still rebuilding).
    Degraded { out: usize },
    /// Lost: the failures are more than the level survives.
    Lost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum RaidLevel {
    Raid0,
    Raid1,
    Raid5,
    Raid6,
    Raid10,
}

impl RaidLevel {
    pub const ALL: [RaidLevel; 5] = [
        RaidLevel::Raid0,
        RaidLevel::Raid1,
        RaidLevel::Raid5,
        RaidLevel::Raid6,
        RaidLevel::Raid10,
    ];

    /// Parses `"6"`, `"raid6"`, `"RAID 6"` or `"raid-10"`.
    pub fn parse(text: &str) -> Result<RaidLevel> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
            .collect::<String>()
            .to_ascii_lowercase();
        let digits = compact.strip_prefix("raid").unwrap_or(&compact);
        match digits {
            "0" => Ok(RaidLevel::Raid0),
            "1" => Ok(RaidLevel::Raid1),
            "5" => Ok(RaidLevel::Raid5),
            "6" => Ok(RaidLevel::Raid6),
            "10" | "1+0" => Ok(RaidLevel::Raid10),
            _ => Err(Error::RaidLevel { text: text.into() }),
        }
    }

    /// The level as the number a script writes: `raid(6)`.
    pub fn from_number(level: i64) -> Result<RaidLevel> {
        RaidLevel::parse(&level.to_string())
    }

    pub fn number(self) -> u32 {
        match self {
            RaidLevel::Raid0 => 0,
            RaidLevel::Raid1 => 1,
            RaidLevel::Raid5 => 5,
            RaidLevel::Raid6 => 6,
            RaidLevel::Raid10 => 10,
        }
    }

    /// The fewest disks the level can be built from.
    pub fn minimum_disks(self) -> usize {
        match self {
            RaidLevel::Raid0 | RaidLevel::Raid1 => 2,
            RaidLevel::Raid5 => 3,
            RaidLevel::Raid6 | RaidLevel::Raid10 => 4,
        }
    }

    /// How many disks' worth of capacity hold data in an array of `disks` disks.
    pub fn data_disks(self, disks: usize) -> usize {
        match self {
            RaidLevel::Raid0 => disks,
            RaidLevel::Raid1 => 1,
            RaidLevel::Raid5 => disks - 1,
            RaidLevel::Raid6 => disks - 2,
            RaidLevel::Raid10 => disks / 2,
        }
    }

    /// How many disk failures the array is guaranteed to survive. RAID 10 may survive more
    /// (one per mirrored pair), but not two in the same pair.
    pub fn tolerated_failures(self, disks: usize) -> usize {
        match self {
            RaidLevel::Raid0 => 0,
            RaidLevel::Raid1 => disks - 1,
            RaidLevel::Raid5 | RaidLevel::Raid10 => 1,
            RaidLevel::Raid6 => 2,
        }
    }

    /// Whether `disks` disks can form this level.
    pub fn accepts(self, disks: usize) -> bool {
        disks >= self.minimum_disks() && !(self == RaidLevel::Raid10 && disks % 2 == 1)
    }

    /// Checks that `disks` disks can form this level.
    pub fn check_disks(self, disks: usize) -> Result<()> {
        if disks < self.minimum_disks() {
            return Err(Error::RaidTooFewDisks {
                level: self.number().to_string(),
                disks,
                minimum: self.minimum_disks(),
                help: self.too_few_help(disks),
            });
        }
        if self == RaidLevel::Raid10 && disks % 2 == 1 {
            return Err(Error::Raid10OddDisks {
                disks,
                lower: disks - 1,
                upper: disks + 1,
            });
        }
        Ok(())
    }

    fn too_few_help(self, disks: usize) -> String {
        let why = match self {
            RaidLevel::Raid0 => "striping needs two disks to stripe over",
            RaidLevel::Raid1 => "a mirror needs two copies",
            RaidLevel::Raid5 => "one disk's worth of parity plus at least two of data",
            RaidLevel::Raid6 => "two disks' worth of parity plus at least two of data",
            RaidLevel::Raid10 => "it stripes over at least two mirrored pairs",
        };
        let fits: Vec<String> = RaidLevel::ALL
            .iter()
            .filter(|level| level.accepts(disks))
            .map(|level| format!("RAID {}", level.number()))
            .collect();
        if fits.is_empty() {
            format!(
                "RAID {} needs {} disks: {why}; add disks",
                self.number(),
                self.minimum_disks()
            )
        } else {
            format!(
                "RAID {} needs {} disks: {why}; add disks, or with {disks} use {}",
                self.number(),
                self.minimum_disks(),
                fits.join(" or ")
            )
        }
    }
}

impl fmt::Display for RaidLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RAID {}", self.number())
    }
}

/// An array of identical disks at one level.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RaidArray {
    pub level: RaidLevel,
    pub disks: usize,
    /// Bytes of each disk the array uses (the disk less any system area the NAS keeps).
    pub member_size: u64,
    /// Each disk's state, by bay (bay 1 first).
    members: Vec<MemberState>,
    /// Failed beyond what the level survives: the data is gone.
    lost: bool,
}

impl RaidArray {
    pub fn new(level: RaidLevel, disks: usize, member_size: u64) -> Result<RaidArray> {
        level.check_disks(disks)?;
        if (disks as u64).checked_mul(member_size).is_none() {
            return Err(Error::BadValue {
                key: "disk_size".into(),
                what: "RAID volume".into(),
                reason: format!(
                    "{disks} disks of {member_size} bytes is more than any volume can hold"
                ),
                help: "give the size of one real disk, e.g. \"2TB\"".into(),
            });
        }
        Ok(RaidArray {
            level,
            disks,
            member_size,
            members: vec![MemberState::Active; disks],
            lost: false,
        })
    }

    pub fn members(&self) -> &[MemberState] {
        &self.members
    }

    pub fn is_lost(&self) -> bool {
        self.lost
    }

    /// "healthy", "degraded", "rebuilding" or "lost", as the NAS's UI says it.
    pub fn state(&self) -> &'static str {
        if self.lost {
            "lost"
        } else if self.members.contains(&MemberState::Failed) {
            "degraded"
        } else if self
            .members
            .iter()
            .any(|m| matches!(m, MemberState::Rebuilding { .. }))
        {
            "rebuilding"
        } else {
            "healthy"
        }
    }

    /// The bays whose disk holds no current data: failed, or still being rebuilt.
    fn out(&self) -> Vec<usize> {
        (0..self.disks)
            .filter(|&i| self.members[i] != MemberState::Active)
            .collect()
    }

    /// Whether the data survives with the disks at `out` (bay indices from 0) missing.
    fn survives(&self, out: &[usize]) -> bool {
        match self.level {
            RaidLevel::Raid0 => out.is_empty(),
            RaidLevel::Raid1 => out.len() < self.disks,
            RaidLevel::Raid5 => out.len() <= 1,
            RaidLevel::Raid6 => out.len() <= 2,
            // md's near layout mirrors bays 1 and 2, 3 and 4, ...
            RaidLevel::Raid10 => !out.iter().any(|&i| i % 2 == 0 && out.contains(&(i + 1))),
        }
    }

    /// The disk in `bay` (from 1) fails; a rebuild on it stops.
    pub fn fail(&mut self, bay: usize) -> Result<AfterFailure> {
        let index = self.bay_index(bay)?;
        if self.lost {
            return Err(Error::RaidLost { bay });
        }
        if self.members[index] == MemberState::Failed {
            return Err(Error::RaidDiskFailed { bay });
        }
        self.members[index] = MemberState::Failed;
        let out = self.out();
        if self.survives(&out) {
            Ok(AfterFailure::Degraded { out: out.len() })
        } else {
            self.lost = true;
            Ok(AfterFailure::Lost)
        }
    }

    /// A new disk goes into `bay` (from 1), whose disk failed, and is rebuilt from the
    /// others from `now` on; returns when the rebuild is done.
    pub fn replace(&mut self, bay: usize, now: LabTime) -> Result<LabTime> {
        let index = self.bay_index(bay)?;
        if self.lost {
            return Err(Error::RaidLost { bay });
        }
        if self.members[index] != MemberState::Failed {
            return Err(Error::RaidDiskNotFailed {
                bay,
                state: match self.members[index] {
                    MemberState::Rebuilding { .. } => "being rebuilt".into(),
                    _ => "working".into(),
                },
            });
        }
        let seconds = self.member_size as f64 / REBUILD_RATE;
        let done_at = LabTime(now.0.saturating_add((seconds * 1e9).round() as u64));
        self.members[index] = MemberState::Rebuilding { done_at };
        Ok(done_at)
    }

    /// Ends the rebuilds done by `now`; returns their bays (from 1).
    pub fn finish_rebuilds(&mut self, now: LabTime) -> Vec<usize> {
        let mut done = Vec::new();
        for (index, member) in self.members.iter_mut().enumerate() {
            if matches!(member, MemberState::Rebuilding { done_at } if *done_at <= now) {
                *member = MemberState::Active;
                done.push(index + 1);
            }
        }
        done
    }

    /// The earliest time a rebuild ends, if one runs.
    pub fn next_rebuild_done(&self) -> Option<LabTime> {
        self.members
            .iter()
            .filter_map(|m| match m {
                MemberState::Rebuilding { done_at } => Some(*done_at),
                _ => None,
            })
            .min()
    }

    fn bay_index(&self, bay: usize) -> Result<usize> {
        if bay == 0 || bay > self.disks {
            return Err(Error::RaidNoBay {
                bay,
                disks: self.disks,
            });
        }
        Ok(bay - 1)
    }

    pub fn data_disks(&self) -> usize {
        self.level.data_disks(self.disks)
    }

    /// Usable bytes: data disks × member size.
    pub fn capacity(&self) -> u64 {
        self.data_disks() as u64 * self.member_size
    }

    /// Bytes spent on parity or mirror copies.
    pub fn redundancy(&self) -> u64 {
        self.disks as u64 * self.member_size - self.capacity()
    }

    pub fn tolerated_failures(&self) -> usize {
        self.level.tolerated_failures(self.disks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TB2: u64 = 2_000_398_934_016; // a "2 TB" drive: 3907029168 sectors of 512 bytes

    /// Fails the bays in order and says after each what the array has left.
    fn fail_in_turn(level: RaidLevel, disks: usize, bays: &[usize]) -> Vec<AfterFailure> {
        let mut array = RaidArray::new(level, disks, 1_000_000).unwrap();
        bays.iter().map(|&bay| array.fail(bay).unwrap()).collect()
    }

    #[test]
    fn each_level_survives_what_it_should_and_no_more() {
        use AfterFailure::{Degraded, Lost};
        let cases: [(RaidLevel, usize, &[usize], &[AfterFailure]); 6] = [
            (
                RaidLevel::Raid6,
                7,
                &[3, 5, 1],
                &[Degraded { out: 1 }, Degraded { out: 2 }, Lost],
            ),
            (RaidLevel::Raid5, 7, &[2, 7], &[Degraded { out: 1 }, Lost]),
            (RaidLevel::Raid0, 4, &[4], &[Lost]),
            (
                RaidLevel::Raid1,
                3,
                &[1, 2, 3],
                &[Degraded { out: 1 }, Degraded { out: 2 }, Lost],
            ),
            // Bays 1 and 3 are in different mirrored pairs; 3 and 4 are one pair.
            (
                RaidLevel::Raid10,
                4,
                &[1, 3, 4],
                &[Degraded { out: 1 }, Degraded { out: 2 }, Lost],
            ),
            (RaidLevel::Raid10, 4, &[2, 1], &[Degraded { out: 1 }, Lost]),
        ];
        for (level, disks, bays, expected) in cases {
            assert_eq!(
                fail_in_turn(level, disks, bays),
                expected,
                "{level} {bays:?}"
            );
        }
    }

    #[test]
    fn a_replaced_disk_rebuilds_at_the_drives_rate_and_a_failure_during_it_counts() {
        let member = TB2 - 1920 * 1024 * 1024;
        let mut array = RaidArray::new(RaidLevel::Raid6, 7, member).unwrap();
        array.fail(3).unwrap();
        let done = array.replace(3, LabTime(0)).unwrap();
        // 1 998 385 668 096 bytes at 100 MB/s.
        assert_eq!(done, LabTime(19_983_856_680_960));
        assert_eq!(array.state(), "rebuilding");
        assert_eq!(
            array.finish_rebuilds(LabTime(done.0 - 1)),
            Vec::<usize>::new()
        );
        // Two more failures while disk 3 is still being written: three disks hold no data.
        assert_eq!(array.fail(1).unwrap(), AfterFailure::Degraded { out: 2 });
        assert_eq!(array.fail(2).unwrap(), AfterFailure::Lost);
        assert_eq!(array.state(), "lost");
        assert_eq!(array.replace(1, done), Err(Error::RaidLost { bay: 1 }));
        let mut array = RaidArray::new(RaidLevel::Raid6, 7, member).unwrap();
        assert_eq!(
            array.replace(2, LabTime(0)),
            Err(Error::RaidDiskNotFailed {
                bay: 2,
                state: "working".into()
            })
        );
        array.fail(2).unwrap();
        assert_eq!(array.fail(2), Err(Error::RaidDiskFailed { bay: 2 }));
        assert_eq!(array.fail(8), Err(Error::RaidNoBay { bay: 8, disks: 7 }));
        let done = array.replace(2, LabTime(5)).unwrap();
        assert_eq!(array.finish_rebuilds(done), vec![2]);
        assert_eq!(array.state(), "healthy");
    }

    #[test]
    fn data_disks_per_level() {
        assert_eq!(RaidLevel::Raid6.data_disks(7), 5);
        assert_eq!(RaidLevel::Raid5.data_disks(7), 6);
        assert_eq!(RaidLevel::Raid1.data_disks(3), 1);
        assert_eq!(RaidLevel::Raid10.data_disks(6), 3);
        assert_eq!(RaidLevel::Raid0.data_disks(7), 7);
    }

    #[test]
    fn capacities_are_whole_disks() {
        let r6 = RaidArray::new(RaidLevel::Raid6, 7, TB2).unwrap();
        assert_eq!(r6.capacity(), 10_001_994_670_080);
        assert_eq!(r6.redundancy(), 2 * TB2);
        assert_eq!(r6.tolerated_failures(), 2);
        let r10 = RaidArray::new(RaidLevel::Raid10, 4, 1_000_000).unwrap();
        assert_eq!(r10.capacity(), 2_000_000);
        let r1 = RaidArray::new(RaidLevel::Raid1, 2, 1_000_000).unwrap();
        assert_eq!((r1.capacity(), r1.tolerated_failures()), (1_000_000, 1));
    }

    #[test]
    fn minimum_disk_counts() {
        let expected = [
            (RaidLevel::Raid0, 2),
            (RaidLevel::Raid1, 2),
            (RaidLevel::Raid5, 3),
        ];
        for (level, minimum) in expected {
            assert!(level.check_disks(minimum).is_ok(), "{level}");
            let err = level.check_disks(minimum - 1).unwrap_err();
            assert_eq!(err.code_str(), "kvmlab::storage::raid_too_few_disks");
        }
        let err = RaidLevel::Raid6.check_disks(3).unwrap_err();
        assert_eq!(
            err.to_string(),
            "RAID 6 needs at least 4 disks, the volume has 3"
        );
        assert_eq!(
            err.help_str().unwrap(),
            "RAID 6 needs 4 disks: two disks' worth of parity plus at least two of data; add disks, or with 3 use RAID 0 or RAID 1 or RAID 5"
        );
    }

    #[test]
    fn raid10_needs_an_even_count_of_at_least_four() {
        assert_eq!(
            RaidLevel::Raid10.check_disks(2).unwrap_err().code_str(),
            "kvmlab::storage::raid_too_few_disks"
        );
        let odd = RaidLevel::Raid10.check_disks(7).unwrap_err();
        assert_eq!(odd.code_str(), "kvmlab::storage::raid10_odd_disks");
        assert_eq!(
            odd.help_str().unwrap(),
            "RAID 10 stripes over mirrored pairs: use 6 or 8 disks, or RAID 6 to use all 7"
        );
        assert!(RaidLevel::Raid10.check_disks(8).is_ok());
    }

    #[test]
    fn levels_parse_as_written() {
        assert_eq!(RaidLevel::parse("RAID 6").unwrap(), RaidLevel::Raid6);
        assert_eq!(RaidLevel::parse("raid-10").unwrap(), RaidLevel::Raid10);
        assert_eq!(RaidLevel::from_number(5).unwrap(), RaidLevel::Raid5);
        let err = RaidLevel::from_number(4).unwrap_err();
        assert_eq!(err, Error::RaidLevel { text: "4".into() });
    }
}
