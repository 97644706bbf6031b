//! RAID levels and their capacity arithmetic, as a NAS's volume wizard computes them.
//!
//! A level decides how many disks' worth of space holds data and how many disk failures the
//! array survives: RAID 6 of n disks keeps n − 2 disks of data, RAID 5 n − 1, a RAID 1 mirror
//! one disk whatever n is, RAID 10 n / 2 (mirrored pairs, so n is even), RAID 0 all n and
//! survives nothing. Capacity counts whole disks of the smallest size, as md and NAS
//! firmware do.

use std::fmt;

use crate::error::{Error, Result};

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
        })
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
