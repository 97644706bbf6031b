//! Plain data for driving real hosts, kept free of any C library so the default build tests
//! it: how a lab's request becomes libvirt's flags and parameters (`migration_plan`), how
//! libvirt's job statistics become the lab's progress and results (`job_stats`), and how
//! libvirt's refusals become the lab's diagnostics (`refusal`). The `libvirt` backend
//! applies them.

pub mod job_stats;
pub mod migration_plan;
pub mod refusal;
