//! The sandboxed Rhai engine, built fresh for every run.
//!
//! Scripts are untrusted (trainees write them, graders run them), so the engine has limits on
//! operations, call depth, expression depth, data sizes and wall time, no `eval`, and reaches
//! the file system only through [`super::modules`] and the world model. Native calls are
//! charged by their work ([`Budget`]), so a loop of heavy calls meets the operation budget
//! and the wall clock like a loop of script operations.

use super::modules::LabModules;
use super::{
    check, checkpoints, faults, guests, lab_api, network, pools, query, rows, storage,
    SharedSession,
};
use rhai::{Dynamic, Engine, EvalAltResult, Position};
use std::cell::{Cell, OnceCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The sandbox's limits. The defaults leave every lab ample room and stop runaway scripts in
/// well under a second of CPU.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    pub max_operations: u64,
    pub max_call_depth: usize,
    pub max_expression_depth: usize,
    pub max_string_bytes: usize,
    pub max_array_len: usize,
    pub max_map_len: usize,
    pub max_variables: usize,
    pub max_functions: usize,
    pub max_modules: usize,
    pub wall_time: Duration,
    /// How much the process's resident memory may grow during the run, in bytes; 0 for no
    /// limit. Rhai's own limits hold each value, not their sum.
    pub max_memory_growth: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_operations: 5_000_000,
            max_call_depth: 48,
            max_expression_depth: 48,
            max_string_bytes: 1 << 20,
            max_array_len: 100_000,
            max_map_len: 10_000,
            max_variables: 10_000,
            max_functions: 1_000,
            max_modules: 32,
            wall_time: Duration::from_secs(30),
            max_memory_growth: 256 << 20,
        }
    }
}

/// Carried by `ErrorTerminated` when a limit the engine cannot see by itself stops a script:
/// the operation budget with native work counted, or the wall clock (in seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitReached {
    Operations,
    WallTime(u64),
    /// The memory limit, in bytes.
    Memory(u64),
    /// The console's user stopped the input (Ctrl-C).
    Interrupted,
}

impl LimitReached {
    /// The error Rhai carries back out of the script, at the call that reached the limit.
    pub fn into_error(self, position: Position) -> Box<EvalAltResult> {
        EvalAltResult::ErrorTerminated(Dynamic::from(self), position).into()
    }
}

/// What a run spends beyond Rhai's own operation count: the work native calls did (from
/// [`crate::meter`]) and the wall clock. Shared by the engine's progress callback and the
/// session, which charges it after every native call.
#[derive(Debug)]
pub struct Budget {
    max_operations: u64,
    wall_time: Duration,
    started: Cell<Instant>,
    /// The wall-clock limit as a moment, shared with the world's long loops via the meter.
    deadline: Cell<Option<Instant>>,
    native: Cell<u64>,
    /// Rhai's operation count as last reported to the progress callback.
    operations: Cell<u64>,
    memory: MemoryWatch,
    /// Set from another thread (the console's Ctrl-C) to stop the script at its next
    /// operation or native call.
    interrupt: OnceCell<Arc<AtomicBool>>,
}

impl Drop for Budget {
    fn drop(&mut self) {
        if let Some(deadline) = self.deadline.get() {
            crate::meter::clear_deadline(deadline);
        }
        if self.interrupt.get().is_some() {
            crate::meter::set_interrupt(None);
        }
    }
}

/// How often (in operations) the progress callback reads the clock and the meter; reading
/// both costs tens of nanoseconds, so checking every 256 operations is free and keeps a
/// pure-script loop within microseconds of its limit.
const CHECK_EVERY: u64 = 256;

impl Budget {
    pub fn new(limits: &Limits) -> Budget {
        crate::meter::take();
        let started = Instant::now();
        let deadline = started.checked_add(limits.wall_time);
        if let Some(deadline) = deadline {
            crate::meter::set_deadline(deadline, limits.wall_time.as_secs());
        }
        Budget {
            max_operations: limits.max_operations,
            wall_time: limits.wall_time,
            started: Cell::new(started),
            deadline: Cell::new(deadline),
            native: Cell::new(0),
            operations: Cell::new(0),
            memory: MemoryWatch::new(limits.max_memory_growth),
            interrupt: OnceCell::new(),
        }
    }

    /// Starts the budget again from nothing: the console gives every input the whole of
    /// the sandbox's limits.
    pub fn restart(&self) {
        crate::meter::take();
        if let Some(deadline) = self.deadline.get() {
            crate::meter::clear_deadline(deadline);
        }
        let started = Instant::now();
        let deadline = started.checked_add(self.wall_time);
        if let Some(deadline) = deadline {
            crate::meter::set_deadline(deadline, self.wall_time.as_secs());
        }
        self.started.set(started);
        self.deadline.set(deadline);
        self.native.set(0);
        self.operations.set(0);
        self.memory.restart();
        if let Some(flag) = self.interrupt.get() {
            crate::meter::set_interrupt(Some(flag.clone()));
        }
    }

    /// Lets `flag` stop the script: read at every operation, after every native call and in
    /// the world's long loops (through [`crate::meter`]). Set once per budget.
    pub fn watch_interrupt(&self, flag: Arc<AtomicBool>) {
        crate::meter::set_interrupt(Some(flag.clone()));
        let _ = self.interrupt.set(flag);
    }

    fn interrupted(&self) -> Result<(), LimitReached> {
        match self.interrupt.get() {
            Some(flag) if flag.load(Ordering::Relaxed) => Err(LimitReached::Interrupted),
            _ => Ok(()),
        }
    }

    /// Charges the meter's work and checks both limits; `operations` is Rhai's count.
    pub fn spend(&self, operations: u64) -> Result<(), LimitReached> {
        self.native
            .set(self.native.get().saturating_add(crate::meter::take()));
        self.interrupted()?;
        self.within_operations(operations)?;
        let elapsed = self.started.get().elapsed();
        if elapsed > self.wall_time {
            return Err(LimitReached::WallTime(self.wall_time.as_secs()));
        }
        self.memory.check(elapsed)
    }

    fn within_operations(&self, operations: u64) -> Result<(), LimitReached> {
        if self.max_operations > 0
            && operations.saturating_add(self.native.get()) > self.max_operations
        {
            return Err(LimitReached::Operations);
        }
        Ok(())
    }

    /// Everything the run has spent: script operations plus native work. The same script
    /// spends the same on every machine, so graders can rank submissions by it.
    pub fn spent(&self) -> u64 {
        self.operations.get().saturating_add(self.native.get())
    }

    fn on_progress(&self, operations: u64) -> Option<Dynamic> {
        self.operations.set(operations);
        let checked = if operations % CHECK_EVERY == 0 {
            self.spend(operations)
        } else {
            self.interrupted()
                .and_then(|()| self.within_operations(operations))
        };
        checked.err().map(Dynamic::from)
    }
}

/// The run's memory limit. The resident set is read from `/proc/self/status` at most every
/// [`MEMORY_CHECK_INTERVAL`] of wall time (a few microseconds a read), so a script that
/// fills memory fast overshoots by what it allocates in that interval, tens of MiB at most.
/// Where there is no `/proc` (not Linux) the limit is not enforced.
#[derive(Debug)]
struct MemoryWatch {
    limit: u64,
    baseline: Cell<Option<u64>>,
    last_read: Cell<Duration>,
}

const MEMORY_CHECK_INTERVAL: Duration = Duration::from_millis(5);

impl MemoryWatch {
    fn new(limit: u64) -> MemoryWatch {
        MemoryWatch {
            limit,
            baseline: Cell::new(if limit > 0 { resident_bytes() } else { None }),
            last_read: Cell::new(Duration::ZERO),
        }
    }

    fn restart(&self) {
        if self.limit > 0 {
            self.baseline.set(resident_bytes());
        }
        self.last_read.set(Duration::ZERO);
    }

    fn check(&self, elapsed: Duration) -> Result<(), LimitReached> {
        let Some(baseline) = self.baseline.get() else {
            return Ok(());
        };
        if elapsed.saturating_sub(self.last_read.get()) < MEMORY_CHECK_INTERVAL {
            return Ok(());
        }
        self.last_read.set(elapsed);
        match resident_bytes() {
            Some(now) if now.saturating_sub(baseline) > self.limit => {
                Err(LimitReached::Memory(self.limit))
            }
            _ => Ok(()),
        }
    }
}

/// The process's resident set in bytes (`VmRSS`), where the system says.
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Builds the engine for one run: sandbox, module resolver, lab primitives and world bindings.
pub fn build(session: &SharedSession, limits: &Limits, modules: LabModules) -> Engine {
    let mut engine = Engine::new();
    apply_limits(&mut engine, limits);
    let budget = Rc::new(Budget::new(limits));
    session.borrow_mut().budget = budget.clone();
    engine.on_progress(move |operations| budget.on_progress(operations));
    engine.disable_symbol("eval");
    let sources = modules.sources();
    engine.set_module_resolver(modules);

    let printer = session.clone();
    engine.on_print(move |text| {
        let mut s = printer.borrow_mut();
        for line in text.split('\n') {
            s.recorder.output(line.strip_suffix('\r').unwrap_or(line));
        }
    });
    let debugger = session.clone();
    engine.on_debug(move |text, _, _| debugger.borrow_mut().recorder.output(text));

    lab_api::register(&mut engine, session);
    check::register(&mut engine, session, &sources);
    rows::register(&mut engine);
    network::register(&mut engine, session);
    storage::register(&mut engine, session);
    pools::register(&mut engine);
    guests::register(&mut engine, session);
    faults::register(&mut engine, session);
    checkpoints::register(&mut engine, session);
    query::register(&mut engine, session);
    engine
}

/// Builds the grader's engine for an exercise's `checks.rhai`: the same sandbox, the stdlib
/// and the exercise's own modules, the read-only queries and the rubric, but none of the lab
/// primitives, so a rubric cannot change the world it grades. What it prints is dropped.
pub fn build_checks(
    session: &SharedSession,
    limits: &Limits,
    modules: LabModules,
    rubric: &super::rubric::Rubric,
) -> Engine {
    let mut engine = Engine::new();
    apply_limits(&mut engine, limits);
    let budget = Rc::new(Budget::new(limits));
    session.borrow_mut().budget = budget.clone();
    engine.on_progress(move |operations| budget.on_progress(operations));
    engine.disable_symbol("eval");
    engine.set_module_resolver(modules);
    engine.on_print(|_| {});
    engine.on_debug(|_, _, _| {});
    // Rhai's own `sleep` would hold the grader's thread; lab time is not the rubric's to move.
    let still = || -> super::Outcome<()> {
        Err(super::raise(crate::error::Error::Rubric {
            message: "`sleep` in a rubric: checks look at the lab and cannot let time pass".into(),
            help: "grade what the submission left; a rubric item that needs time to pass belongs in the exercise's setup or the task".into(),
        }))
    };
    engine.register_fn("sleep", move |_: rhai::INT| still());
    engine.register_fn("sleep", move |_: rhai::FLOAT| still());
    rows::register(&mut engine);
    lab_api::register_units(&mut engine);
    super::query::register(&mut engine, session);
    super::rubric::register(&mut engine, rubric);
    engine
}

fn apply_limits(engine: &mut Engine, limits: &Limits) {
    engine
        .set_max_operations(limits.max_operations)
        .set_max_call_levels(limits.max_call_depth)
        .set_max_expr_depths(limits.max_expression_depth, limits.max_expression_depth)
        .set_max_string_size(limits.max_string_bytes)
        .set_max_array_size(limits.max_array_len)
        .set_max_map_size(limits.max_map_len)
        .set_max_variables(limits.max_variables)
        .set_max_functions(limits.max_functions)
        .set_max_modules(limits.max_modules);
}
