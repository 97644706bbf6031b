//! kvmlab's integration tests: one binary, a module per feature, all driving the real
//! `kvmlab` executable (or the runtime, for the book's examples).

mod harness;

mod advice;
mod book;
mod calibrate;
mod check;
mod checkpoints;
mod cli;
mod console;
mod containment;
mod diagnostics;
mod exercises;
mod faults;
mod grading;
mod labs;
mod libvirt_backend;
mod limits;
mod migration;
mod mistakes;
mod network;
mod primitives;
mod queries;
mod real_lab;
#[cfg(feature = "libvirt")]
mod real_migration;
mod reference;
mod refusals;
mod repl;
mod repl_exercise;
mod repl_steps;
mod report;
mod sandbox;
mod shell;
mod shell_network;
mod shell_storage;
mod shell_virsh;
mod storage;
mod storage_paths;
