//! The libvirt backend: the same labs on real KVM hosts reached through libvirt URIs, built
//! only with the `libvirt` feature.
//!
//! The model stays the truth of what the lab is: [`LibvirtBackend`] owns a
//! [`crate::world::World`] and checks every operation with the world model's own functions,
//! as the simulator does, so a refusal has the same code on both backends. Where an
//! operation has a real counterpart (hosts, dir pools and their volumes, guests and their
//! states, workloads, migrations, files served and downloaded) it is then performed through libvirt; where it has none a
//! script could perform on a real host (installing an OS, a host's config files, the NAS's
//! targets) it is checked and counted, and the run's report lists it.
//!
//! `backend.rs` (the backend, its clock and migrations), `hosts.rs` (connections to the
//! site's hosts), `checked.rs` (host and storage operations, checked only), `guests.rs`
//! (pools, volumes and guests, performed), `migrate.rs` (a guest moved live between two
//! hosts), `job.rs` (a long libvirt job watched while its blocking call runs),
//! `downloads.rs` (files served by guests booted on the Linux image, and downloads of
//! them). The plain data they use is in [`crate::real`].

mod backend;
mod checked;
mod downloads;
mod guests;
mod hosts;
mod job;
pub mod migrate;

pub use backend::{show_jobs_with, JobDisplay, LibvirtBackend};
