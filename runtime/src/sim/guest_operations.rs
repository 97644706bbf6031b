//! The simulator's guest, pool and volume operations: each is the world model's own, with
//! the simulated time an operation takes.

use super::Simulator;
use crate::backend::GuestOperations;

impl GuestOperations for Simulator {}
