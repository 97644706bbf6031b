//! The libvirt backend: real hosts driven through libvirt (the `virt` crate), built only
//! with the `libvirt` feature. `migrate` moves a guest live between two hosts; `job` watches
//! a long libvirt job while its blocking call runs.

mod job;
pub mod migrate;
