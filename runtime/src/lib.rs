//! kvmlab's library: everything behind the `kvmlab` command.
//!
//! - [`error`]: the one error enum, with stable codes and help lines.
//! - [`backend`]: the boundary every world operation crosses; [`sim`] is the simulator behind it.
//! - [`units`]: sizes and rates as trainees write them.

pub mod backend;
pub mod error;
pub mod sim;
pub mod units;
pub mod world;

pub use error::{Error, Result, Severity};
