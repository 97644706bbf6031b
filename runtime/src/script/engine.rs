//! The sandboxed Rhai engine, built fresh for every run.
//!
//! Scripts are untrusted (trainees write them, graders run them), so the engine has limits on
//! operations, call depth, expression depth, data sizes and wall time, no `eval`, and reaches
//! the file system only through [`super::modules`] and the world model.

use super::modules::LabModules;
use super::{check, guests, lab_api, network, pools, rows, storage, SharedSession};
use rhai::{Dynamic, Engine};
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
        }
    }
}

/// Carried by `ErrorTerminated` when the wall-clock limit (in seconds) stops a script.
#[derive(Debug, Clone, Copy)]
pub struct WallTimeExceeded(pub u64);

/// Builds the engine for one run: sandbox, module resolver, lab primitives and world bindings.
pub fn build(session: &SharedSession, limits: &Limits, modules: LabModules) -> Engine {
    let mut engine = Engine::new();
    apply_limits(&mut engine, limits);
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
    let started = Instant::now();
    let wall_time = limits.wall_time;
    engine.on_progress(move |operations| {
        // Reading the clock is cheap, but not free: look every 4096 operations.
        if operations % 4096 == 0 && started.elapsed() > wall_time {
            Some(Dynamic::from(WallTimeExceeded(wall_time.as_secs())))
        } else {
            None
        }
    });
}
