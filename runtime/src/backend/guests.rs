//! What a script does to guests and their storage: libvirt pools and volumes, guests and
//! their life cycle, memory and workload, files on a guest, and the clients that reach it.
//! Each operation takes typed values, validates them against the lab below this boundary,
//! and answers in the world model's types, with the warnings it raised; the bindings only
//! convert.

use crate::error::{Error, Result};
use crate::world::guest::{Client, ClientId, GuestId, GuestSpec, MigrationLimits, Workload};
use crate::world::guest_life::GuestAction;
use crate::world::pool::{PoolSpec, Volume, VolumeSpec};
use crate::world::HostId;

pub trait GuestOperations {
    /// Defines and starts a libvirt storage pool on a host (`virsh pool-define` + start).
    fn define_pool(&mut self, host: HostId, spec: PoolSpec) -> Result<Vec<Error>>;

    /// Defines a pool without starting it (`virsh pool-define-as`).
    fn define_pool_inactive(&mut self, host: HostId, spec: PoolSpec) -> Result<()>;

    /// Marks a pool to start, or not, when libvirtd starts (`virsh pool-autostart`).
    fn set_pool_autostart(&mut self, host: HostId, pool: &str, on: bool) -> Result<()>;

    /// Starts a defined pool (`virsh pool-start`).
    fn start_pool(&mut self, host: HostId, pool: &str) -> Result<Vec<Error>>;

    /// Creates a volume in an active pool (`virsh vol-create-as`), taking the time it takes.
    fn create_volume(&mut self, host: HostId, pool: &str, spec: VolumeSpec) -> Result<Volume>;

    /// Puts a file of `size` bytes on a host (an installation ISO); answers its SHA-256.
    fn store_host_file(&mut self, host: HostId, path: &str, size: u64) -> Result<String>;

    /// Defines a guest on a host (`virt-install`), refusing what the host cannot give it.
    fn define_guest(&mut self, host: HostId, spec: GuestSpec) -> Result<GuestId>;

    /// Installs the guest's OS from its ISO, taking the install's time; then it runs.
    fn install_guest(&mut self, guest: GuestId) -> Result<Vec<Error>>;

    /// Starts, shuts down, destroys, suspends or resumes a guest.
    fn act_on_guest(&mut self, guest: GuestId, action: GuestAction) -> Result<Vec<Error>>;

    /// Starts a shut-off guest on another host that sees its disk (`virsh define` there,
    /// then `virsh start`), as after its own host went down.
    fn start_guest_on(&mut self, guest: GuestId, host: HostId) -> Result<Vec<Error>>;

    /// Changes a shut-off guest's memory (`virsh setmaxmem` + `setmem`).
    fn set_guest_memory(&mut self, guest: GuestId, memory: u64) -> Result<()>;

    /// Sets the bandwidth and downtime a running guest's migrations keep to
    /// (`virsh migrate-setspeed`, `migrate-setmaxdowntime`).
    fn set_migration_limits(&mut self, guest: GuestId, limits: MigrationLimits) -> Result<()>;

    /// Sets what the guest holds in memory and how fast it rewrites it.
    fn set_workload(&mut self, guest: GuestId, workload: Workload) -> Result<()>;

    /// Puts a file of `size` bytes on the guest for it to serve; answers its SHA-256.
    fn serve_file(&mut self, guest: GuestId, path: &str, size: u64) -> Result<String>;

    /// Puts a client PC on a switch.
    fn connect_client(&mut self, client: Client) -> Result<ClientId>;
}
