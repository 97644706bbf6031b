//! The boundary between the script layer and whatever runs the lab.
//!
//! Scripts never touch the simulator or libvirt directly: every operation goes through
//! [`Backend`], and every answer comes back in the world model's vocabulary, so a lab reads
//! the same on the simulator ([`crate::sim::Simulator`]) and on real hosts.

use crate::error::{Error, Result};
use crate::sim::clock::SimTime;

pub trait Backend {
    /// Short name shown in reports: `sim` or `libvirt`.
    fn name(&self) -> &'static str;

    /// The seed of the run's randomness.
    fn seed(&self) -> u64;

    /// Time since the lab began (simulated on the simulator, measured on real hosts).
    fn now(&self) -> SimTime;

    /// Lets `seconds` pass, with everything running in the background progressing.
    fn sleep(&mut self, seconds: f64) -> Result<()>;

    /// Warnings raised since the last call, oldest first.
    fn take_warnings(&mut self) -> Vec<Error>;
}
