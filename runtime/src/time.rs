//! Lab time: integer nanoseconds since the lab began. The simulator advances it on its own
//! clock; a real backend measures it. Every backend reports time in this one type.
//!
//! Integer time keeps runs byte-identical: no floating-point drift decides event order.

use std::fmt;

/// A point in lab time, in nanoseconds since the lab began.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct LabTime(pub u64);

impl LabTime {
    pub const ZERO: LabTime = LabTime(0);
    /// The lab clock's cap: a lab spans at most a century (365-day years), beyond which its
    /// seconds as `f64` would no longer be exact to the microsecond.
    pub const LONGEST_LAB: LabTime = LabTime(100 * 365 * 86_400 * 1_000_000_000);

    pub fn from_secs_f64(seconds: f64) -> LabTime {
        LabTime((seconds * 1e9).round() as u64)
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    pub fn saturating_add(self, nanos: u64) -> LabTime {
        LabTime(self.0.saturating_add(nanos))
    }
}

impl fmt::Display for LabTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3} s", self.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_round_trip_at_nanosecond_resolution() {
        assert_eq!(LabTime::from_secs_f64(1.5).0, 1_500_000_000);
        assert_eq!(LabTime::from_secs_f64(0.1).as_secs_f64(), 0.1);
        assert_eq!(LabTime(2_250_000_000).to_string(), "2.250 s");
    }
}
