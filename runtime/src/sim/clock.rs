//! The simulator's clock: lab time advanced only by the simulator, and only forward.

use crate::time::LabTime;

/// The lab's clock. Only the simulator moves it, and only forward; a restore puts back the
/// whole simulator of a checkpoint, its clock with it.
#[derive(Debug, Default, Clone)]
pub struct Clock {
    now: LabTime,
}

impl Clock {
    pub fn now(&self) -> LabTime {
        self.now
    }

    pub fn advance_to(&mut self, t: LabTime) {
        debug_assert!(t >= self.now, "simulated time never runs backwards");
        self.now = self.now.max(t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_never_runs_backwards() {
        let mut c = Clock::default();
        c.advance_to(LabTime(10));
        assert_eq!(c.now(), LabTime(10));
    }
}
