//! The simulator's guest, pool and volume operations: each is the world model's own, with
//! the simulated time an operation takes.

use super::Simulator;
use crate::backend::{Backend, GuestOperations};
use crate::error::{Error, Result};
use crate::time::LabTime;
use crate::world::guest::{Client, ClientId, GuestId, GuestSpec, MigrationLimits, Workload};
use crate::world::guest_life::GuestAction;
use crate::world::pool::{PoolSpec, Volume, VolumeSpec};
use crate::world::HostId;

impl GuestOperations for Simulator {
    fn define_pool(&mut self, host: HostId, spec: PoolSpec) -> Result<Vec<Error>> {
        self.world.define_pool(host, spec)
    }

    fn define_pool_inactive(&mut self, host: HostId, spec: PoolSpec) -> Result<()> {
        self.world.define_pool_inactive(host, spec)
    }

    fn set_pool_autostart(&mut self, host: HostId, pool: &str, on: bool) -> Result<()> {
        self.world.set_pool_autostart(host, pool, on)
    }

    fn start_pool(&mut self, host: HostId, pool: &str) -> Result<Vec<Error>> {
        self.world.start_pool(host, pool)
    }

    fn create_volume(&mut self, host: HostId, pool: &str, spec: VolumeSpec) -> Result<Volume> {
        let created = self.world.create_volume(host, pool, spec)?;
        self.spend(created.duration)?;
        Ok(created.volume)
    }

    fn store_host_file(&mut self, host: HostId, path: &str, size: u64) -> Result<String> {
        Ok(self.world.put_host_blob(host, path, size).sha256())
    }

    fn define_guest(&mut self, host: HostId, spec: GuestSpec) -> Result<GuestId> {
        let seed = self.seed;
        self.world.define_guest(host, spec, seed)
    }

    fn install_guest(&mut self, guest: GuestId) -> Result<Vec<Error>> {
        let install = self.world.prepare_install(guest)?;
        self.spend(LabTime::from_secs_f64(install.seconds))?;
        let warnings = self.world.finish_install(guest)?;
        Ok(install.warning.into_iter().chain(warnings).collect())
    }

    fn act_on_guest(&mut self, guest: GuestId, action: GuestAction) -> Result<Vec<Error>> {
        self.world.act_on_guest(guest, action)
    }

    fn start_guest_on(&mut self, guest: GuestId, host: HostId) -> Result<Vec<Error>> {
        self.world.start_guest_on(guest, host)
    }

    fn set_guest_memory(&mut self, guest: GuestId, memory: u64) -> Result<()> {
        self.world.set_guest_memory(guest, memory)
    }

    fn set_migration_limits(&mut self, guest: GuestId, limits: MigrationLimits) -> Result<()> {
        self.world.set_migration_limits(guest, limits)
    }

    fn set_workload(&mut self, guest: GuestId, workload: Workload) -> Result<()> {
        self.world.set_workload(guest, workload)
    }

    fn serve_file(&mut self, guest: GuestId, path: &str, size: u64) -> Result<String> {
        self.world.serve_file(guest, path, size, None)
    }

    fn connect_client(&mut self, client: Client) -> Result<ClientId> {
        self.world.connect_client(client)
    }
}
