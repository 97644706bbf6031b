//! The simulator's host, network and storage operations: each is the world model's own.

use super::Simulator;
use crate::backend::HostOperations;

impl HostOperations for Simulator {}
