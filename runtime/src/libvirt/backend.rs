//! [`LibvirtBackend`]: the model of the lab plus the real hosts it is bound to. Its clock is
//! the wall clock; its migrations are libvirt's, checked first by the model as the
//! simulator checks them.

use super::downloads::{RealFile, RealTransfer};
use super::hosts::RealHost;
use crate::backend::{make_ready_for_kvm, Backend, DownloadStatus, HostOperations};
use crate::checkpoint::Checkpoint;
use crate::error::{Error, Result};
use crate::fault::Fault;
use crate::migration::{MigrationReport, MigrationRequest};
use crate::real::job_stats::JobProgress;
use crate::site::{Site, SiteHost};
use crate::time::LabTime;
use crate::transfer::{Transfer, TransferId};
use crate::world::guest::{ClientId, GuestId, GuestState};
use crate::world::host::hardware::HostSpec;
use crate::world::{HostId, World};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// How often a real sleep looks at the run's interrupt and wall-clock limit.
const SLEEP_SLICE: Duration = Duration::from_millis(100);

/// The lab on real hosts: the model checks, libvirt performs.
pub struct LibvirtBackend {
    pub(super) world: World,
    pub(super) site: Site,
    pub(super) seed: u64,
    started: Instant,
    warnings: Vec<Error>,
    /// Operations checked but not performed, with their counts, in the order first met.
    checked: Vec<(&'static str, u32)>,
    pub(super) hosts: BTreeMap<HostId, RealHost>,
    /// The real folder of each real dir pool, by model host and pool name.
    pub(super) pools: BTreeMap<(HostId, String), PathBuf>,
    /// The real file of each real volume, by model host and the volume's model path.
    pub(super) volumes: BTreeMap<(HostId, String), String>,
    /// Whether the run was told once that the site has no guest images.
    pub(super) told_no_images: bool,
    /// Stops a real migration when no console's interrupt flag is set on this thread.
    never_interrupted: Arc<AtomicBool>,
    /// The files guests serve, by guest and path.
    pub(super) served: BTreeMap<(GuestId, String), RealFile>,
    /// Guests that serve files: they boot the Linux image.
    pub(super) file_servers: BTreeSet<GuestId>,
    /// File-serving guests whose web server answered since they last started.
    pub(super) linux_ready: BTreeSet<GuestId>,
    pub(super) transfers: Vec<RealTransfer>,
}

impl LibvirtBackend {
    /// A backend on `site`'s hosts; nothing is connected until a lab binds a host.
    pub fn new(site: Site, seed: u64) -> LibvirtBackend {
        // libvirt's errors reach the lab as diagnostics, not as lines libvirt prints itself.
        virt::error::clear_error_callback();
        LibvirtBackend {
            world: World::new(),
            site,
            seed,
            started: Instant::now(),
            warnings: Vec::new(),
            checked: Vec::new(),
            hosts: BTreeMap::new(),
            pools: BTreeMap::new(),
            volumes: BTreeMap::new(),
            told_no_images: false,
            never_interrupted: Arc::new(AtomicBool::new(false)),
            served: BTreeMap::new(),
            file_servers: BTreeSet::new(),
            linux_ready: BTreeSet::new(),
            transfers: Vec::new(),
        }
    }

    /// Counts an operation checked in the model and not performed on the real hosts.
    pub(super) fn count(&mut self, operation: &'static str) {
        match self.checked.iter_mut().find(|(name, _)| *name == operation) {
            Some((_, n)) => *n += 1,
            None => self.checked.push((operation, 1)),
        }
    }

    /// Runs a model change and its real counterpart as one: when the real host refuses,
    /// the model goes back to what it was, so the two never disagree.
    pub(super) fn together<T>(&mut self, op: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let before = self.world.clone();
        let done = op(self);
        if done.is_err() {
            self.world = before;
        }
        done
    }

    /// The real host a model host is bound to.
    pub(super) fn real(&self, host: HostId) -> Result<&RealHost> {
        self.hosts.get(&host).ok_or_else(|| {
            let name = self.world.host(host).name().to_string();
            self.site.unknown_host(&name)
        })
    }

    /// Binds a new model host to the site's host of that name and opens its connection.
    pub(super) fn bind(&mut self, name: &str, spec: HostSpec) -> Result<HostId> {
        let site_host = self
            .site
            .host(name)
            .cloned()
            .ok_or_else(|| self.site.unknown_host(name))?;
        self.together(|b| {
            let id = b.world.add_host(name, spec)?;
            let real = RealHost::open(&site_host)?;
            b.hosts.insert(id, real);
            Ok(id)
        })
    }
}

impl Backend for LibvirtBackend {
    fn name(&self) -> &'static str {
        "libvirt"
    }

    fn seed(&self) -> u64 {
        self.seed
    }

    fn now(&self) -> LabTime {
        LabTime::from_secs_f64(self.started.elapsed().as_secs_f64())
    }

    fn sleep(&mut self, seconds: f64) -> Result<()> {
        if !seconds.is_finite() || seconds < 0.0 || seconds > LabTime::LONGEST_LAB.as_secs_f64() {
            return Err(Error::BadDuration { seconds });
        }
        let until = Instant::now() + Duration::from_secs_f64(seconds);
        loop {
            crate::meter::check_deadline()?;
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                self.refresh_transfers();
                return Ok(());
            }
            std::thread::sleep(left.min(SLEEP_SLICE));
        }
    }

    /// Work of known length is checked-only work here: it takes no real time.
    fn spend(&mut self, _duration: LabTime) -> Result<()> {
        Ok(())
    }

    fn warn(&mut self, warning: Error) {
        self.warnings.push(warning);
    }

    fn take_warnings(&mut self) -> Vec<Error> {
        std::mem::take(&mut self.warnings)
    }

    fn world(&self) -> &World {
        &self.world
    }

    fn start_transfer(
        &mut self,
        client: ClientId,
        guest: GuestId,
        path: &str,
    ) -> Result<TransferId> {
        self.start_real_transfer(client, guest, path)
    }

    fn transfer(&self, id: TransferId) -> &Transfer {
        self.real_transfer(id)
    }

    fn downloads(&self) -> Vec<DownloadStatus> {
        self.real_downloads()
    }

    fn wait_transfer(&mut self, id: TransferId) -> Result<()> {
        self.wait_real_transfer(id)
    }

    fn checked_only(&self) -> Vec<(&'static str, u32)> {
        self.checked.clone()
    }

    fn connect_host(&mut self, name: &str, uri: &str) -> Result<HostId> {
        crate::site::check_uri(uri)?;
        // The lab's URI for the host wins over the site's.
        let before = self.site.hosts.clone();
        self.site.hosts.retain(|h| h.name != name);
        self.site.hosts.push(SiteHost {
            name: name.into(),
            uri: uri.into(),
            migration_uri: before
                .iter()
                .find(|h| h.name == name)
                .and_then(|h| h.migration_uri.clone()),
        });
        let host = match self.add_host(name, HostSpec::report_server()) {
            Ok(host) => host,
            Err(e) => {
                self.site.hosts = before;
                return Err(e);
            }
        };
        // A reachable libvirt host is ready as it is: making the model so is no lab step.
        let counted = self.checked.clone();
        let ready = make_ready_for_kvm(self, host);
        self.checked = counted;
        ready?;
        Ok(host)
    }

    fn checkpoint(&self, _name: &str) -> Result<Checkpoint> {
        Err(checkpoints_unsupported("checkpoint"))
    }

    fn restore(&mut self, _checkpoint: &Checkpoint) -> Result<()> {
        Err(checkpoints_unsupported("restore"))
    }

    fn inject_fault(&mut self, _at: Option<LabTime>, fault: Fault) -> Result<()> {
        Err(faults_unsupported(fault.kind()))
    }

    fn migrate(
        &mut self,
        guest: GuestId,
        dest: HostId,
        request: MigrationRequest,
    ) -> Result<MigrationReport> {
        let disk_shared = self.world.disk_visible_from(guest, dest);
        let route =
            crate::world::preflight::check(&self.world, guest, dest, request.safety, disk_shared)?;
        let g = self.world.guest(guest);
        let (name, from) = (g.name().to_string(), g.host);
        if request.safety.copy_storage && !disk_shared {
            return Err(Error::LibvirtUnsupported {
                operation: "migrate with copy_storage".into(),
                help: "on real hosts kvmlab migrates guests on the NAS (shared storage): put the guest's disk in a pool on the NAS".into(),
            });
        }
        let started = self.now().as_secs_f64();
        let interrupt = crate::meter::interrupt_flag().unwrap_or(self.never_interrupted.clone());
        let source = self.real(from)?;
        let target = self.real(dest)?;
        let title = format!(
            "migrate {name} {} → {}",
            self.world.host(from).name(),
            self.world.host(dest).name()
        );
        let mut display = JOB_DISPLAY.get().and_then(|display| display(&title));
        let outcome = super::migrate::migrate_domain(
            &source.conn,
            &target.conn,
            &name,
            &request,
            target.site.migration_uri.as_deref(),
            &interrupt,
            &mut |progress| {
                if let Some(show) = display.as_mut() {
                    show(progress)
                }
            },
        );
        // Downloads ran on while the guest moved, or while the migration failed.
        self.refresh_transfers();
        let outcome = outcome?;
        let g = self.world.guest_mut(guest);
        if outcome.guest_on_destination {
            g.host = dest;
            // The destination's libvirtd keeps its own settings for the guest.
            g.migration_limits = Default::default();
        }
        g.state = if outcome.guest_paused {
            GuestState::Paused
        } else {
            GuestState::Running
        };
        Ok(MigrationReport {
            guest: name,
            from: self.world.host(from).name().to_string(),
            to: self.world.host(dest).name().to_string(),
            address: route.address,
            profile: request.config.profile.name(),
            started,
            outcome,
        })
    }
}

/// A live display for one long job, titled e.g. `migrate web1 sv1 → sv2`; `None` shows
/// nothing (output not on a terminal).
pub type JobDisplay = fn(&str) -> Option<Box<dyn FnMut(&JobProgress) + Send>>;

static JOB_DISPLAY: OnceLock<JobDisplay> = OnceLock::new();

/// Sets how the process shows real jobs while they run (the CLI's progress bar); once per
/// process, and none is shown without it.
pub fn show_jobs_with(display: JobDisplay) {
    let _ = JOB_DISPLAY.set(display);
}

/// Faults, and the recoveries after them, run on the simulator only: pulling a real cable or
/// a real host's power is not kvmlab's to do.
/// Real machines cannot be put back: a checkpoint would have to hold their disks, memory
/// and the network's state.
fn checkpoints_unsupported(operation: &str) -> Error {
    Error::LibvirtUnsupported {
        operation: operation.into(),
        help: "checkpoints hold the simulator's whole lab; on real hosts, run the lab from a step with `kvmlab run LAB --from N`, which replays the steps before it".into(),
    }
}

pub(super) fn faults_unsupported(operation: &str) -> Error {
    Error::LibvirtUnsupported {
        operation: operation.into(),
        help: "faults and the recoveries after them run on the simulator: run the lab without `--backend libvirt` to see them".into(),
    }
}
