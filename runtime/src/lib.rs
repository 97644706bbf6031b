//! kvmlab's library: everything behind the `kvmlab` command.
//!
//! - [`error`]: the one error enum, with stable codes and help lines.
//! - [`backend`]: the boundary every world operation crosses; [`sim`] is the simulator behind it.
//! - [`units`]: sizes and rates as trainees write them.
//! - [`script`]: the sandboxed Rhai engine and the bindings; [`run`] runs a lab through it into
//!   a [`report::RunReport`], the one record the console, JSON output and graders read.
//! - [`console_session`]: the console's session (`kvmlab repl`): one world and scope across
//!   inputs.
//! - [`meter`]: the work world operations do, which the sandbox charges to a script.
//! - [`diagnostic`]: errors pinned to a file and line, rendered with miette; [`text`] makes
//!   script strings safe to show (controls escaped, long values cut).
//! - [`artifacts`]: the run's output folder, the only place a lab writes files.
//! - [`real`]: what real hosts need without libvirt: the generated file a guest serves, and
//!   downloads from guests inside the lab's network namespace.

pub mod artifacts;
pub mod backend;
pub mod calibration;
pub mod checkpoint;
pub mod checkpoint_file;
pub mod console_session;
pub mod diagnostic;
pub mod error;
pub mod fault;
pub mod grade;
pub mod lab_steps;
#[cfg(feature = "libvirt")]
pub mod libvirt;
pub mod meter;
pub mod migration;
#[doc(hidden)]
pub mod oracle;
pub mod plot;
pub mod real;
pub mod recorder;
pub mod report;
pub mod run;
pub mod script;
pub mod seeded;
pub mod shell;
pub mod sim;
pub mod site;
pub mod suggest;
pub mod text;
pub mod time;
pub mod transfer;
pub mod units;
pub mod world;

pub use error::{Error, Result, Severity};
