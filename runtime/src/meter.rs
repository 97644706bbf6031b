//! The work meter: world and simulator operations add the work they do (bytes of files
//! read, parsed or written, entities made or walked), so the sandbox charges a native call
//! by its work instead of one operation for a call that parses a megabyte.
//!
//! The meter counts in script operations, the unit of the sandbox's operation budget, and
//! belongs to the thread that runs the lab (each run has its own interpreter thread). The
//! world only adds to it; [`crate::script::engine`] takes it after every native call.

use std::cell::Cell;

/// Bytes of file text worth one script operation: parsing 4 bytes of a config file costs
/// about what one interpreted operation does.
pub const BYTES_PER_OPERATION: u64 = 4;

/// Operations one new entity (a host, a guest, a download) costs: building it, and the
/// walks over every entity that later calls make.
pub const OPERATIONS_PER_ENTITY: u64 = 1_000;

thread_local! {
    static WORK: Cell<u64> = const { Cell::new(0) };
}

/// Adds `operations` of work.
pub fn charge(operations: u64) {
    WORK.with(|work| work.set(work.get().saturating_add(operations)));
}

/// Adds the work of reading, parsing or writing `bytes` of text.
pub fn bytes(bytes: usize) {
    charge((bytes as u64).div_ceil(BYTES_PER_OPERATION));
}

/// Adds the work of making one entity.
pub fn entity() {
    charge(OPERATIONS_PER_ENTITY);
}

/// The work added since the last take, and the meter back at zero.
pub fn take() -> u64 {
    WORK.with(|work| work.replace(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_is_counted_in_operations_and_taken_once() {
        take();
        bytes(1);
        bytes(8);
        entity();
        assert_eq!(take(), 1 + 2 + OPERATIONS_PER_ENTITY);
        assert_eq!(take(), 0);
    }
}
