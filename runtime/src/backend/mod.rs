//! The boundary between the script layer and whatever runs the lab.
//!
//! Scripts never touch the simulator or libvirt directly: every operation goes through
//! [`Backend`], and every answer comes back in the world model's vocabulary, so a lab reads
//! the same on the simulator ([`crate::sim::Simulator`]) and on real hosts.
//!
//! The [`World`] is that vocabulary: on the simulator it is the lab itself; a real backend
//! keeps its world in step with the machines it drives. Operations that take time or act
//! outside the model (waiting, long-running commands) are methods of the backend itself.

mod guests;
mod hosts;
mod storage;

pub use guests::GuestOperations;
pub use hosts::HostOperations;
pub use storage::StorageOperations;

use crate::checkpoint::Checkpoint;
use crate::error::{Error, Result};
use crate::fault::Fault;
use crate::migration::{MigrationReport, MigrationRequest};
use crate::time::LabTime;
use crate::transfer::{Transfer, TransferId};
use crate::world::guest::{ClientId, GuestId};
use crate::world::host::hardware::HostSpec;
use crate::world::host::os::OsSpec;
use crate::world::services::ServiceAction;
use crate::world::{HostId, World};

/// A backend: its clock, its warnings, the world as it knows it, and every operation a
/// script performs on the lab ([`HostOperations`], [`StorageOperations`],
/// [`GuestOperations`]).
pub trait Backend: HostOperations + StorageOperations + GuestOperations {
    /// Short name shown in reports: `sim` or `libvirt`.
    fn name(&self) -> &'static str;

    /// The seed of the run's randomness.
    fn seed(&self) -> u64;

    /// Time since the lab began (simulated on the simulator, measured on real hosts).
    fn now(&self) -> LabTime;

    /// Lets `seconds` pass, with everything running in the background progressing.
    fn sleep(&mut self, seconds: f64) -> Result<()>;

    /// Lets an operation of known length (a `mkfs`, an install) take its time; background
    /// work goes on meanwhile.
    fn spend(&mut self, duration: LabTime) -> Result<()>;

    /// Records a warning: valid but dangerous; the lab goes on.
    fn warn(&mut self, warning: Error);

    /// Warnings raised since the last call, oldest first.
    fn take_warnings(&mut self) -> Vec<Error>;

    /// The lab as this backend knows it, to read: scripts change it only through the
    /// operations, so a backend can refuse, perform or check each one.
    fn world(&self) -> &World;

    /// Starts a download of a guest's file by a client, refusing one the client cannot
    /// reach or the guest cannot serve; it runs in the background.
    fn start_transfer(
        &mut self,
        client: ClientId,
        guest: GuestId,
        path: &str,
    ) -> Result<TransferId>;

    fn transfer(&self, id: TransferId) -> &Transfer;

    /// Every download started so far, in start order, in plain values.
    fn downloads(&self) -> Vec<DownloadStatus>;

    /// Lets time pass until the transfer is done.
    fn wait_transfer(&mut self, id: TransferId) -> Result<()>;

    /// Operations this backend checked in the model but did not perform (a real host's OS
    /// install, its config files), each with how often, in the order first met. The
    /// simulator performs everything: none.
    fn checked_only(&self) -> Vec<(&'static str, u32)> {
        Vec::new()
    }

    /// `connect(name, uri)`: a host reached at a libvirt URI, ready for KVM (its OS
    /// installed with the Virtualization group, the CPU's extension on in the BIOS,
    /// libvirtd running). A backend without real hosts makes the same ready host in the
    /// model, so a lab written for real hosts runs on it too.
    fn connect_host(&mut self, name: &str, uri: &str) -> Result<HostId> {
        crate::site::check_uri(uri)?;
        let host = self.add_host(name, HostSpec::report_server())?;
        make_ready_for_kvm(self, host)?;
        Ok(host)
    }

    /// The lab's whole state now, named, to go back to with [`Backend::restore`].
    fn checkpoint(&self, name: &str) -> Result<Checkpoint>;

    /// Puts the lab back as `checkpoint` found it: the world, lab time, what was in flight
    /// and the faults still to come, so what follows runs as it ran after the checkpoint.
    fn restore(&mut self, checkpoint: &Checkpoint) -> Result<()>;

    /// Breaks, or mends, something in the lab (`fault`): now when `at` is `None`, else at
    /// that lab time, while whatever runs then goes on. A time already past is refused.
    fn inject_fault(&mut self, at: Option<LabTime>, fault: Fault) -> Result<()>;

    /// Live-migrates a guest, refusing first what libvirt refuses (a disk the destination
    /// does not see, an unsafe cache mode, ...); background work goes on while it runs.
    fn migrate(
        &mut self,
        guest: GuestId,
        dest: HostId,
        request: MigrationRequest,
    ) -> Result<MigrationReport>;
}

/// Makes a freshly added host what a reachable libvirt host is: the report's OS with the
/// Virtualization group, the BIOS extension on, libvirtd running.
pub fn make_ready_for_kvm<B: Backend + ?Sized>(backend: &mut B, host: HostId) -> Result<()> {
    let name = backend.world().host(host).name().to_string();
    let os = OsSpec {
        hostname: Some(name),
        ..OsSpec::report()
    };
    backend.set_bios_virt(host, true);
    backend.install_os(host, &os)?;
    if !backend.world().host(host).packages().is_running("libvirtd") {
        backend.service(host, "libvirtd", ServiceAction::Start)?;
    }
    Ok(())
}

/// A download as the query API reports it (`lab().downloads`).
#[derive(Debug, Clone, PartialEq)]
pub struct DownloadStatus {
    pub client: ClientId,
    pub guest: GuestId,
    pub path: String,
    /// The file's size and the bytes received so far.
    pub size: u64,
    pub bytes: u64,
    /// Done, and what arrived is the guest's file as it is now, byte for byte.
    pub intact: bool,
    /// Lab times (s) it began and ended; `finished` is `None` while it runs.
    pub started: f64,
    pub finished: Option<f64>,
}

impl DownloadStatus {
    /// The status of `transfer`, judged against its guest's file in `world`.
    pub fn of(transfer: &Transfer, world: &World) -> DownloadStatus {
        DownloadStatus {
            client: transfer.client,
            guest: transfer.guest,
            path: transfer.path.clone(),
            size: transfer.size,
            bytes: transfer.bytes(),
            intact: transfer.is_done()
                && world.guest(transfer.guest).files.get(&transfer.path)
                    == Some(&transfer.received),
            started: transfer.started.as_secs_f64(),
            finished: transfer.finished.map(LabTime::as_secs_f64),
        }
    }
}
