//! Pools, volumes and guests on real hosts: each operation is checked by the world model
//! first, as on the simulator, then performed through libvirt.
//!
//! - A dir pool is a real dir pool, its folder under the site's pool root
//!   (`ROOT/HOST/POOL`: the model keeps the script's path); its volumes are real sparse raw
//!   files. Pools of other kinds (fs, netfs, iscsi) are the NAS's in the model: no real pool
//!   stands for them, and guests on them get the site's NAS LUN.
//! - A guest's real disk is the NAS LUN when the model's disk is on shared storage (so
//!   libvirt too sees shared storage when it migrates), else its volume's real file.
//! - The OS install is checked, not performed: `install` defines nothing more and starts the
//!   guest. Its workload goes on the workload kernel's command line before it starts, and to
//!   its console while it runs.

use super::LibvirtBackend;
use crate::backend::{Backend, GuestOperations};
use crate::error::{Error, Result};
use crate::real::domain::{workload_command, RealDisk, RealDomain};
use crate::world::guest::{
    Client, ClientId, GuestId, GuestSpec, GuestState, MigrationLimits, Workload,
};
use crate::world::guest_life::GuestAction;
use crate::world::pool::{PoolKind, PoolSpec, Volume, VolumeSpec};
use crate::world::HostId;
use std::time::{Duration, Instant};
use virt::domain::Domain;
use virt::storage_vol::StorageVol;
use virt::stream::Stream;

/// How long a guest's OS gets to obey an ACPI shutdown before the lab says it did not.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

impl LibvirtBackend {
    /// Whether the model keeps the guest's disk on the NAS: in a pool of the NAS's kinds, or
    /// in a dir pool another host sees too (a LUN's file system mounted on both).
    fn disk_on_nas(&self, guest: GuestId) -> bool {
        let disk = &self.world.guest(guest).spec.disk;
        let kind = self
            .world
            .pool(disk.host, &disk.pool)
            .map(|p| p.spec.kind)
            .unwrap_or(PoolKind::Dir);
        kind != PoolKind::Dir
            || self
                .world
                .hosts()
                .any(|(h, _)| h != disk.host && self.world.disk_visible_from(guest, h))
    }

    /// The real guest of a model guest, as its host is to define it.
    fn real_domain(&self, guest: GuestId) -> Result<RealDomain> {
        let g = self.world.guest(guest);
        let disk = if self.disk_on_nas(guest) {
            let nas = self.site.nas.clone().ok_or_else(|| Error::LibvirtUnsupported {
                operation: format!("{} on the NAS", g.name()),
                help: "the site names no NAS: run on a `kvmlab up` lab (`--lab DIR`), or put the guest's disk in a dir pool".into(),
            })?;
            RealDisk::Nas(nas)
        } else {
            let file = self
                .volumes
                .get(&(g.spec.disk.host, g.spec.disk.path.clone()))
                .cloned()
                .ok_or_else(|| Error::LibvirtUnsupported {
                    operation: format!("{}'s disk {}", g.name(), g.spec.disk.path),
                    help: "on real hosts a guest's own disk is a volume of a dir pool the lab created: `pool.create_volume(#{name, capacity})`".into(),
                })?;
            RealDisk::File(file)
        };
        Ok(RealDomain::of(
            g,
            &self.site,
            disk,
            self.linux_address(guest),
        ))
    }

    /// Defines (or redefines) the guest on its host from the model.
    pub(super) fn define_real(&mut self, guest: GuestId) -> Result<Domain> {
        let xml = self.real_domain(guest)?.to_xml();
        let g = self.world.guest(guest);
        let real = self.real(g.host)?;
        let action = format!("define the guest {}", g.name());
        let inspect = format!("dominfo {}", g.name());
        real.conn
            .define_domain_xml(&xml)
            .map_err(|e| real.refused_making(&action, "guest", &inspect, &e))
    }

    /// The guest's domain on its host.
    pub(super) fn domain(&self, guest: GuestId) -> Result<Domain> {
        let g = self.world.guest(guest);
        let real = self.real(g.host)?;
        real.conn
            .lookup_domain_by_name(g.name())
            .map_err(|e| real.refused(&format!("find {}", g.name()), Some(g.name()), &e))
    }

    /// Runs a libvirt call on the guest's domain, naming `action` if it is refused.
    pub(super) fn on_domain(
        &self,
        guest: GuestId,
        action: &str,
        call: impl FnOnce(&Domain) -> std::result::Result<(), virt::error::Error>,
    ) -> Result<Domain> {
        let dom = self.domain(guest)?;
        let g = self.world.guest(guest);
        let real = self.real(g.host)?;
        call(&dom)
            .map_err(|e| real.refused(&format!("{action} {}", g.name()), Some(g.name()), &e))?;
        Ok(dom)
    }

    /// The real guest's state in the model's words.
    fn real_state(dom: &Domain) -> Option<GuestState> {
        use virt::sys;
        let (state, _) = dom.state().ok()?;
        Some(match state.to_raw() {
            sys::VIR_DOMAIN_RUNNING | sys::VIR_DOMAIN_BLOCKED => GuestState::Running,
            sys::VIR_DOMAIN_PAUSED | sys::VIR_DOMAIN_PMSUSPENDED => GuestState::Paused,
            _ => GuestState::ShutOff,
        })
    }

    /// Reads the real state back after `action`: a guest not where the model put it is a
    /// warning (the lab goes on from the model's state).
    fn confirm_state(&mut self, guest: GuestId, dom: &Domain, action: GuestAction) {
        let expected = self.world.guest(guest).state;
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        let mut real = Self::real_state(dom);
        while action == GuestAction::Shutdown
            && real != Some(expected)
            && Instant::now() < deadline
            && crate::meter::check_deadline().is_ok()
        {
            std::thread::sleep(Duration::from_millis(200));
            real = Self::real_state(dom);
        }
        if real == Some(expected) {
            return;
        }
        let g = self.world.guest(guest);
        let help = if action == GuestAction::Shutdown {
            format!(
                "the guest's OS did not obey the ACPI shutdown in {} s; `{}.destroy()` powers it off",
                SHUTDOWN_GRACE.as_secs(),
                g.name()
            )
        } else {
            "something outside the lab acts on this guest too: `virsh domstate` shows its state"
                .into()
        };
        let warning = Error::LibvirtStateDiffers {
            guest_on_host: format!("{} on {}", g.name(), self.world.host(g.host).name()),
            action: action.name().into(),
            real: real.map_or("unknown", GuestState::name).into(),
            expected: expected.name().into(),
            help,
        };
        self.warn(warning);
    }

    /// Defines a pool in the model and, for a dir pool, a real one, started (and marked
    /// autostart) only when `start` asks.
    fn define_pool_started(
        &mut self,
        host: HostId,
        spec: PoolSpec,
        start: bool,
    ) -> Result<Vec<Error>> {
        self.together(|b| {
            let warnings = if start {
                b.world.define_pool(host, spec.clone())?
            } else {
                b.world.define_pool_inactive(host, spec.clone())?;
                Vec::new()
            };
            if spec.kind != PoolKind::Dir {
                b.count("define_pool (fs, netfs, iscsi: the site's NAS LUN stands in)");
                return Ok(warnings);
            }
            let real = b.real(host)?;
            let folder = b.site.pool_root.join(&real.site.name).join(&spec.name);
            let xml = format!(
                "<pool type='dir'>\n  <name>{}</name>\n  <target>\n    <path>{}</path>\n  </target>\n</pool>\n",
                xml_text(&spec.name),
                xml_text(&folder.to_string_lossy())
            );
            let action = format!("define the pool {}", spec.name);
            let inspect = format!("pool-info {}", spec.name);
            let refused =
                |e: virt::error::Error| real.refused_making(&action, "pool", &inspect, &e);
            let pool = real.conn.define_storage_pool_xml(&xml, 0).map_err(refused)?;
            pool.build(0).map_err(refused)?;
            if start {
                pool.create(0).map_err(refused)?;
            }
            pool.set_autostart(spec.autostart).map_err(refused)?;
            b.pools.insert((host, spec.name.clone()), folder);
            b.count("define_pool (dir: real, its folder under the site's pool root)");
            Ok(warnings)
        })
    }

    /// Tells a running workload kernel its new workload on its serial console.
    fn tell_workload(&self, guest: GuestId, workload: &Workload) -> Result<()> {
        let dom = self.domain(guest)?;
        let g = self.world.guest(guest);
        let real = self.real(g.host)?;
        let refused = |e: virt::error::Error| {
            real.refused(
                &format!("write to {}'s console", g.name()),
                Some(g.name()),
                &e,
            )
        };
        let stream = Stream::new(&real.conn, 0).map_err(refused)?;
        dom.open_console(None, &stream, 0).map_err(refused)?;
        let line = workload_command(workload);
        let mut sent = 0;
        while sent < line.len() {
            let n = stream.send(&line.as_bytes()[sent..]).map_err(refused)?;
            sent += usize::try_from(n).unwrap_or(0).max(1);
        }
        stream.finish().map_err(refused)
    }
}

impl GuestOperations for LibvirtBackend {
    fn define_pool(&mut self, host: HostId, spec: PoolSpec) -> Result<Vec<Error>> {
        self.define_pool_started(host, spec, true)
    }

    fn define_pool_inactive(&mut self, host: HostId, spec: PoolSpec) -> Result<()> {
        self.define_pool_started(host, spec, false).map(drop)
    }

    fn set_pool_autostart(&mut self, host: HostId, pool: &str, on: bool) -> Result<()> {
        self.together(|b| {
            b.world.set_pool_autostart(host, pool, on)?;
            if b.pools.contains_key(&(host, pool.to_string())) {
                let real = b.real(host)?;
                let action = format!("mark the pool {pool} autostart");
                let refused = |e: virt::error::Error| real.refused(&action, None, &e);
                real.conn
                    .lookup_storage_pool_by_name(pool)
                    .and_then(|p| p.set_autostart(on))
                    .map_err(refused)?;
            }
            Ok(())
        })
    }

    fn start_pool(&mut self, host: HostId, pool: &str) -> Result<Vec<Error>> {
        self.together(|b| {
            let warnings = b.world.start_pool(host, pool)?;
            if b.pools.contains_key(&(host, pool.to_string())) {
                let real = b.real(host)?;
                let action = format!("start the pool {pool}");
                let refused = |e: virt::error::Error| real.refused(&action, None, &e);
                let p = real
                    .conn
                    .lookup_storage_pool_by_name(pool)
                    .map_err(refused)?;
                if !p.is_active().map_err(refused)? {
                    p.create(0).map_err(refused)?;
                }
            }
            Ok(warnings)
        })
    }

    fn create_volume(&mut self, host: HostId, pool: &str, spec: VolumeSpec) -> Result<Volume> {
        self.together(|b| {
            let created = b.world.create_volume(host, pool, spec.clone())?;
            if !b.pools.contains_key(&(host, pool.to_string())) {
                b.count("create_volume (in a pool the NAS stands in for)");
                return Ok(created.volume);
            }
            let real = b.real(host)?;
            let action = format!("create the volume {} in {pool}", spec.name);
            let inspect = format!("vol-info {} --pool {pool}", spec.name);
            let refused =
                |e: virt::error::Error| real.refused_making(&action, "volume", &inspect, &e);
            let p = real.conn.lookup_storage_pool_by_name(pool).map_err(refused)?;
            let xml = format!(
                "<volume>\n  <name>{}</name>\n  <capacity unit='bytes'>{}</capacity>\n  <allocation unit='bytes'>0</allocation>\n  <target>\n    <format type='raw'/>\n  </target>\n</volume>\n",
                xml_text(&spec.name),
                spec.capacity
            );
            let vol = StorageVol::create_xml(&p, &xml, 0).map_err(refused)?;
            let path = vol.path().map_err(refused)?;
            b.volumes.insert((host, created.volume.path.clone()), path);
            Ok(created.volume)
        })
    }

    fn store_host_file(&mut self, host: HostId, path: &str, size: u64) -> Result<String> {
        let sha = self.world.put_host_blob(host, path, size).sha256();
        self.count("store_file");
        Ok(sha)
    }

    fn define_guest(&mut self, host: HostId, spec: GuestSpec) -> Result<GuestId> {
        let seed = self.seed();
        self.together(|b| {
            let id = b.world.define_guest(host, spec, seed)?;
            b.define_real(id)?;
            if b.site.images.is_none() && !b.told_no_images {
                b.told_no_images = true;
                let guest = b.world.guest(id).name().to_string();
                b.warn(Error::LibvirtNoImages { guest });
            }
            Ok(id)
        })
    }

    fn install_guest(&mut self, guest: GuestId) -> Result<Vec<Error>> {
        self.together(|b| {
            let install = b.world.prepare_install(guest)?;
            let warnings = b.world.finish_install(guest)?;
            b.count("install (the guest's OS install)");
            // A definition the host lost (a host reinstalled in the lab) is made again.
            if b.domain(guest).is_err() {
                b.define_real(guest)?;
            }
            b.on_domain(guest, "start", Domain::create)?;
            b.linux_ready.remove(&guest);
            Ok(install.warning.into_iter().chain(warnings).collect())
        })
    }

    fn start_guest_on(&mut self, _guest: GuestId, _host: HostId) -> Result<Vec<Error>> {
        Err(super::backend::faults_unsupported("start_on"))
    }

    fn act_on_guest(&mut self, guest: GuestId, action: GuestAction) -> Result<Vec<Error>> {
        let (warnings, dom) = self.together(|b| {
            let warnings = b.world.act_on_guest(guest, action)?;
            let call: fn(&Domain) -> std::result::Result<(), virt::error::Error> = match action {
                GuestAction::Start => Domain::create,
                GuestAction::Shutdown => Domain::shutdown,
                GuestAction::Destroy => Domain::destroy,
                GuestAction::Suspend => Domain::suspend,
                GuestAction::Resume => Domain::resume,
            };
            let dom = b.on_domain(guest, action.name(), call)?;
            if matches!(
                action,
                GuestAction::Start | GuestAction::Shutdown | GuestAction::Destroy
            ) {
                b.linux_ready.remove(&guest);
            }
            Ok((warnings, dom))
        })?;
        self.confirm_state(guest, &dom, action);
        Ok(warnings)
    }

    fn set_guest_memory(&mut self, guest: GuestId, memory: u64) -> Result<()> {
        self.together(|b| {
            b.world.set_guest_memory(guest, memory)?;
            b.define_real(guest).map(drop)
        })
    }

    fn set_migration_limits(&mut self, guest: GuestId, limits: MigrationLimits) -> Result<()> {
        // The limits join the migration's settings when `virsh migrate` starts it.
        self.world.set_migration_limits(guest, limits)
    }

    fn set_workload(&mut self, guest: GuestId, workload: Workload) -> Result<()> {
        self.together(|b| {
            b.world.set_workload(guest, workload)?;
            if b.site.images.is_none() {
                b.count("set_workload (no workload kernel in the site)");
                return Ok(());
            }
            if b.file_servers.contains(&guest) {
                b.count("set_workload (a guest serving files runs Linux, not the workload kernel)");
                return Ok(());
            }
            match b.world.guest(guest).state {
                GuestState::Running | GuestState::Paused => b.tell_workload(guest, &workload),
                _ => b.define_real(guest).map(drop),
            }
        })
    }

    fn serve_file(&mut self, guest: GuestId, path: &str, size: u64) -> Result<String> {
        self.serve_real_file(guest, path, size)
    }

    fn connect_client(&mut self, client: Client) -> Result<ClientId> {
        let id = self.world.connect_client(client)?;
        self.count("client");
        Ok(id)
    }
}

fn xml_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
}
