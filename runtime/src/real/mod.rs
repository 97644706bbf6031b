//! Plain data for driving real hosts, kept free of any C library so the default build tests
//! it: a model guest as a real host defines it (`domain`), and libvirt's refusals of a
//! host's operations as the lab's diagnostics (`host_refusal`). The `libvirt` backend
//! applies them.

pub mod domain;
pub mod host_refusal;
