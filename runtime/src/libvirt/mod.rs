//! The libvirt backend: the same labs on real KVM hosts reached through libvirt URIs.
//!
//! The model stays the truth of what the lab is: [`LibvirtBackend`] owns a
//! [`crate::world::World`] and checks every operation with the world model's own functions,
//! as the simulator does, so a refusal has the same code on both backends. Where an
//! operation has a real counterpart (hosts, dir pools and their volumes, guests and their
//! states, workloads, migrations) it is then performed through libvirt; where it has none a
//! script could perform on a real host (installing an OS, a host's config files, the NAS's
//! targets) it is checked and counted, and the run's report lists it.
//!
//! - [`refusal`]: libvirt's errors in kvmlab's codes (pure, tested without libvirt).
//! - [`domain`]: a model guest as a real host defines it (pure).
//! - with the `libvirt` feature: `backend.rs` (the backend, its clock and migrations),
//!   `hosts.rs` (connections to the site's hosts), `checked.rs` (host and storage
//!   operations, checked only), `guests.rs` (pools, volumes and guests, performed).

pub mod domain;
pub mod refusal;

#[cfg(feature = "libvirt")]
mod backend;
#[cfg(feature = "libvirt")]
mod checked;
#[cfg(feature = "libvirt")]
mod guests;
#[cfg(feature = "libvirt")]
mod hosts;
// Stands in for the migration driver with job polling and progress until it lands.
#[cfg(feature = "libvirt")]
mod interim_migrate;
#[cfg(feature = "libvirt")]
use interim_migrate as migrate;

#[cfg(feature = "libvirt")]
pub use backend::LibvirtBackend;
