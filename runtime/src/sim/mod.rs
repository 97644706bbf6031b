//! The deterministic simulator: kvmlab's default backend.
//!
//! Everything here runs on simulated time ([`clock`]) and seeded randomness, so the same
//! script and seed give byte-identical results on any machine, with no root and no KVM.

pub mod clock;
pub mod content;
pub mod fairshare;
pub mod migration;
pub mod traffic;

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::world::World;
use clock::{Clock, SimTime};

/// The simulated lab: the world model plus the clock that drives it.
#[derive(Debug)]
pub struct Simulator {
    clock: Clock,
    seed: u64,
    warnings: Vec<Error>,
    world: World,
}

impl Simulator {
    pub fn new(seed: u64) -> Simulator {
        Simulator {
            clock: Clock::default(),
            seed,
            warnings: Vec::new(),
            world: World::new(),
        }
    }
}

impl Backend for Simulator {
    fn name(&self) -> &'static str {
        "sim"
    }

    fn seed(&self) -> u64 {
        self.seed
    }

    fn now(&self) -> SimTime {
        self.clock.now()
    }

    fn sleep(&mut self, seconds: f64) -> Result<()> {
        if !seconds.is_finite() || seconds < 0.0 {
            return Err(Error::BadDuration { seconds });
        }
        let until = self
            .clock
            .now()
            .saturating_add(SimTime::from_secs_f64(seconds).0);
        self.clock.advance_to(until);
        Ok(())
    }

    fn spend(&mut self, duration: SimTime) {
        let until = self.clock.now().saturating_add(duration.0);
        self.clock.advance_to(until);
    }

    fn warn(&mut self, warning: Error) {
        self.warnings.push(warning);
    }

    fn take_warnings(&mut self) -> Vec<Error> {
        std::mem::take(&mut self.warnings)
    }

    fn world(&self) -> &World {
        &self.world
    }

    fn world_mut(&mut self) -> &mut World {
        &mut self.world
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleep_advances_simulated_time_only() {
        let mut sim = Simulator::new(7);
        sim.sleep(2.5).unwrap();
        sim.sleep(0.0).unwrap();
        assert_eq!(sim.now(), SimTime(2_500_000_000));
        assert_eq!(sim.seed(), 7);
    }

    #[test]
    fn negative_or_nan_sleep_is_refused() {
        let mut sim = Simulator::new(0);
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            let err = sim.sleep(bad).unwrap_err();
            assert_eq!(err.code_str(), "kvmlab::lab::bad_duration");
        }
        assert_eq!(sim.now(), SimTime::ZERO);
    }
}
