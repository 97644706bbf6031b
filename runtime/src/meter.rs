//! The work meter: world and simulator operations add the work they do (bytes of files
//! read, parsed or written, entities made or walked), so the sandbox charges a native call
//! by its work instead of one operation for a call that parses a megabyte.
//!
//! The meter counts in script operations, the unit of the sandbox's operation budget, and
//! belongs to the thread that runs the lab (each run has its own interpreter thread). The
//! world only adds to it; [`crate::script::engine`] takes it after every native call.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Bytes of file text worth one script operation: parsing 4 bytes of a config file costs
/// about what one interpreted operation does.
pub const BYTES_PER_OPERATION: u64 = 4;

/// Operations one new entity (a host, a guest, a download) costs: building it, and the
/// walks over every entity that later calls make.
pub const OPERATIONS_PER_ENTITY: u64 = 1_000;

thread_local! {
    static WORK: Cell<u64> = const { Cell::new(0) };
    /// When the run's wall-clock limit passes, and the limit in seconds.
    static DEADLINE: Cell<Option<(Instant, u64)>> = const { Cell::new(None) };
    /// The console's interrupt flag (Ctrl-C), while an input runs.
    static INTERRUPT: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
}

/// Lets `flag` stop the world's long loops on this thread; `None` forgets it.
pub fn set_interrupt(flag: Option<Arc<AtomicBool>>) {
    INTERRUPT.with(|interrupt| *interrupt.borrow_mut() = flag);
}

/// The interrupt flag set on this thread, for work that runs off it (a real migration).
pub fn interrupt_flag() -> Option<Arc<AtomicBool>> {
    INTERRUPT.with(|interrupt| interrupt.borrow().clone())
}

/// Sets the moment the run's wall-clock limit (of `seconds`) passes.
pub fn set_deadline(at: Instant, seconds: u64) {
    DEADLINE.with(|deadline| deadline.set(Some((at, seconds))));
}

/// Forgets the deadline set at `at`, when it is still the thread's: a run's limit ends with
/// its run.
pub fn clear_deadline(at: Instant) {
    DEADLINE.with(|deadline| {
        if deadline.get().is_some_and(|(set, _)| set == at) {
            deadline.set(None);
        }
    });
}

/// For the world's long loops (a migration's windows, a long sleep's traffic steps): the
/// wall-clock limit, reached in the middle of one call. The run's outcome does not depend
/// on it unless the limit stops the run.
pub fn check_deadline() -> crate::Result<()> {
    let interrupted = INTERRUPT.with(|interrupt| {
        interrupt
            .borrow()
            .as_ref()
            .is_some_and(|flag| flag.load(Ordering::Relaxed))
    });
    if interrupted {
        return Err(crate::Error::Interrupted);
    }
    match DEADLINE.with(Cell::get) {
        Some((at, seconds)) if Instant::now() > at => Err(crate::Error::WallTime { seconds }),
        _ => Ok(()),
    }
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

    #[test]
    fn a_passed_deadline_stops_long_world_loops_until_cleared() {
        assert!(check_deadline().is_ok());
        let past = Instant::now();
        set_deadline(past, 30);
        let error = check_deadline().unwrap_err();
        assert_eq!(error.code_str(), "kvmlab::sandbox::wall_time");
        assert_eq!(error.to_string(), "wall-clock limit of 30 s exceeded");
        clear_deadline(past + std::time::Duration::from_secs(1));
        assert!(
            check_deadline().is_err(),
            "another run's deadline is not cleared"
        );
        clear_deadline(past);
        assert!(check_deadline().is_ok());
    }
}
