//! Plain data for driving real hosts, kept free of any C library so the default build tests
//! it: a model guest as a real host defines it (`domain`), how a lab's request becomes
//! libvirt's flags and parameters (`migration_plan`), how libvirt's job statistics become
//! the lab's progress and results (`job_stats`), when a migration's silent stream is given up
//! as libvirt's keepalive gives it up (`stall`), libvirt's refusals as the lab's
//! diagnostics (`host_refusal` for a host's operations, `refusal` for migrations), the
//! generated file a real guest serves (`generated`) and a download from a guest inside the
//! lab's network namespace (`download`). The `libvirt` backend applies them.

pub mod domain;
pub mod download;
pub mod generated;
pub mod host_refusal;
pub mod job_stats;
pub mod migration_plan;
pub mod refusal;
pub mod stall;
