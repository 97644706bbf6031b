//! Simulated time: integer nanoseconds since the lab began, advanced only by the simulator.
//!
//! Integer time keeps runs byte-identical: no floating-point drift decides event order.

use std::fmt;

/// A point in simulated time, in nanoseconds since the lab began.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    /// The lab clock's cap: a lab spans at most a century (365-day years), beyond which its
    /// seconds as `f64` would no longer be exact to the microsecond.
    pub const LONGEST_LAB: SimTime = SimTime(100 * 365 * 86_400 * 1_000_000_000);

    pub fn from_secs_f64(seconds: f64) -> SimTime {
        SimTime((seconds * 1e9).round() as u64)
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    pub fn saturating_add(self, nanos: u64) -> SimTime {
        SimTime(self.0.saturating_add(nanos))
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3} s", self.as_secs_f64())
    }
}

/// The lab's clock. Only the simulator moves it, and only forward.
#[derive(Debug, Default)]
pub struct Clock {
    now: SimTime,
}

impl Clock {
    pub fn now(&self) -> SimTime {
        self.now
    }

    pub fn advance_to(&mut self, t: SimTime) {
        debug_assert!(t >= self.now, "simulated time never runs backwards");
        self.now = self.now.max(t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_round_trip_at_nanosecond_resolution() {
        assert_eq!(SimTime::from_secs_f64(1.5).0, 1_500_000_000);
        assert_eq!(SimTime::from_secs_f64(0.1).as_secs_f64(), 0.1);
        assert_eq!(SimTime(2_250_000_000).to_string(), "2.250 s");
    }

    #[test]
    fn the_clock_never_runs_backwards() {
        let mut c = Clock::default();
        c.advance_to(SimTime(10));
        assert_eq!(c.now(), SimTime(10));
    }
}
