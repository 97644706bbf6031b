//! The deterministic simulator: kvmlab's default backend.
//!
//! Everything here runs on simulated time ([`clock`]) and seeded randomness, so the same
//! script and seed give byte-identical results on any machine, with no root and no KVM.

pub mod clock;
pub mod fairshare;
mod faults;
mod guest_operations;
mod host_operations;
pub mod migration;
mod storage_operations;
pub mod traffic;

use crate::backend::{Backend, DownloadStatus};
use crate::checkpoint::{Checkpoint, EntityCounts};
use crate::error::{Error, Result};
use crate::fault::{Fault, ScheduledFault};
use crate::migration::{MigrationOutcome, MigrationReport, MigrationRequest, HORIZON_S};
use crate::time::LabTime;
use crate::transfer::{Transfer, TransferId};
use crate::units::{human_duration, human_rate, human_size};
use crate::world::guest::{ClientId, GuestId, GuestState};
use crate::world::{HostId, World};
use clock::Clock;
use migration::{GuestMemory, Migration};
use std::rc::Rc;
use traffic::{ActiveMigration, DiskCopy, Traffic};

/// How long `wait` waits for a transfer before calling it stalled.
const TRANSFER_HORIZON_S: f64 = 7.0 * 86400.0;

/// The simulated lab: the world model plus the clock that drives it.
#[derive(Clone)]
pub struct Simulator {
    clock: Clock,
    seed: u64,
    warnings: Vec<Error>,
    world: World,
    traffic: Traffic,
    /// The outcome of the migration that ended last.
    finished_migration: Option<MigrationOutcome>,
    /// Why the migration that ended last failed, when a fault ended it.
    migration_failure: Option<Error>,
    /// Faults still to come, in time order.
    faults: Vec<ScheduledFault>,
}

impl Simulator {
    pub fn new(seed: u64) -> Simulator {
        Simulator {
            clock: Clock::default(),
            seed,
            warnings: Vec::new(),
            world: World::new(),
            traffic: Traffic::default(),
            finished_migration: None,
            migration_failure: None,
            faults: Vec::new(),
        }
    }

    /// Runs the background traffic until `done` holds or the clock reaches `deadline`. The
    /// clock stops at its cap: waiting on past it is refused there.
    fn run(&mut self, deadline: LabTime, done: impl Fn(&Traffic) -> bool) -> Result<()> {
        let until = deadline.min(LabTime::LONGEST_LAB);
        self.run_until(until, &done)?;
        if deadline > until && !done(&self.traffic) {
            return Err(self.clock_cap(deadline.0 - self.clock.now().0));
        }
        Ok(())
    }

    fn clock_cap(&self, needed_ns: u64) -> Error {
        Error::LabClockCap {
            now_s: self.clock.now().as_secs_f64(),
            needed_s: needed_ns as f64 / 1e9,
            cap_s: LabTime::LONGEST_LAB.as_secs_f64(),
        }
    }

    /// Steps the traffic up to `deadline`, each step ending at the next fault at the
    /// latest, and applies the faults whose time has come.
    fn run_until(&mut self, deadline: LabTime, done: &impl Fn(&Traffic) -> bool) -> Result<()> {
        let mut steps: u64 = 0;
        self.apply_due_faults(true);
        while !done(&self.traffic) && self.clock.now() < deadline {
            let limit = self.next_event().map_or(deadline, |at| at.min(deadline));
            if self.traffic.is_idle() {
                self.clock.advance_to(limit);
                self.apply_due_faults(false);
                continue;
            }
            // Hours of lab time are many steps: the run's wall-clock limit may pass within.
            steps += 1;
            if steps % 64 == 0 {
                crate::meter::check_deadline()?;
            }
            let (t, ended) = self.traffic.step(&self.world, self.clock.now(), limit)?;
            self.clock.advance_to(t);
            if let Some((migration, outcome)) = ended {
                self.settle(&migration, outcome);
            }
            self.check_keepalive();
            self.apply_due_faults(false);
        }
        Ok(())
    }

    /// Where the guest runs after its migration: on the destination only when it completed.
    fn settle(&mut self, migration: &ActiveMigration, outcome: MigrationOutcome) {
        let guest = self.world.guest_mut(migration.guest);
        if outcome.guest_on_destination {
            guest.host = migration.to;
            // The destination's libvirtd keeps its own settings for the guest.
            guest.migration_limits = Default::default();
        }
        guest.state = if outcome.guest_paused {
            GuestState::Paused
        } else {
            GuestState::Running
        };
        self.finished_migration = Some(outcome);
    }

    /// Lets a done operation's time pass. When the clock cannot give it, the refusal goes
    /// back in place of the operation's report, so its warnings are recorded here.
    fn take_time(
        &mut self,
        duration: LabTime,
        warnings: impl FnOnce() -> Vec<Error>,
    ) -> Result<()> {
        if let Err(refused) = self.spend(duration) {
            for warning in warnings() {
                self.warn(warning);
            }
            return Err(refused);
        }
        Ok(())
    }
}

impl Backend for Simulator {
    fn name(&self) -> &'static str {
        "sim"
    }

    fn seed(&self) -> u64 {
        self.seed
    }

    fn now(&self) -> LabTime {
        self.clock.now()
    }

    fn sleep(&mut self, seconds: f64) -> Result<()> {
        let until = self.clock.now().as_secs_f64() + seconds;
        if !seconds.is_finite() || seconds < 0.0 || until > LabTime::LONGEST_LAB.as_secs_f64() {
            return Err(Error::BadDuration { seconds });
        }
        let deadline = self
            .clock
            .now()
            .saturating_add(LabTime::from_secs_f64(seconds).0);
        self.run(deadline, |_| false)
    }

    fn spend(&mut self, duration: LabTime) -> Result<()> {
        let deadline = self.clock.now().saturating_add(duration.0);
        if deadline > LabTime::LONGEST_LAB {
            return Err(self.clock_cap(duration.0));
        }
        self.run(deadline, |_| false)
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
        self.world.check_download(client, guest)?;
        crate::world::capacity::room(
            "downloads",
            self.traffic.downloads.len(),
            crate::world::capacity::DOWNLOADS,
        )?;
        let g = self.world.guest(guest);
        let source = g
            .files
            .get(path)
            .cloned()
            .ok_or_else(|| Error::NoSuchFile {
                host: g.name().to_string(),
                path: path.to_string(),
                help: format!("put the file on the guest first: `g.serve_file(\"{path}\", size)`"),
            })?;
        Ok(self
            .traffic
            .start_transfer(client, guest, path, source, self.clock.now()))
    }

    fn transfer(&self, id: TransferId) -> &Transfer {
        self.traffic.transfer(id)
    }

    fn downloads(&self) -> Vec<DownloadStatus> {
        self.traffic
            .transfers()
            .map(|t| DownloadStatus::of(t, &self.world))
            .collect()
    }

    fn wait_transfer(&mut self, id: TransferId) -> Result<()> {
        let deadline = self
            .clock
            .now()
            .saturating_add(LabTime::from_secs_f64(TRANSFER_HORIZON_S).0);
        self.run(deadline, |t| t.transfer(id).is_done())?;
        let transfer = self.traffic.transfer(id);
        if transfer.is_done() {
            return Ok(());
        }
        // Slow and stalled are told apart by the rate the transfer has now.
        let rate = transfer.timeline.last().map_or(0.0, |&(_, rate)| rate);
        if rate <= 0.0 {
            return Err(Error::TransferStalled {
                path: transfer.path.clone(),
            });
        }
        let done = transfer.bytes();
        let waited = human_duration(TRANSFER_HORIZON_S);
        Err(Error::TransferTooSlow {
            path: transfer.path.clone(),
            progress: format!(
                "{} of {} after {waited}, at {}; the rest needs {} more",
                human_size(done),
                human_size(transfer.size),
                human_rate(rate),
                human_duration(transfer.size.saturating_sub(done) as f64 / rate)
            ),
            waited,
        })
    }

    fn checkpoint(&self, name: &str) -> Result<Checkpoint> {
        let mut state = self.clone();
        state.warnings.clear();
        Ok(Checkpoint {
            name: name.to_string(),
            at: self.clock.now(),
            made: EntityCounts::of(&self.world, self.traffic.downloads.len()),
            state: Rc::new(state),
        })
    }

    fn restore(&mut self, checkpoint: &Checkpoint) -> Result<()> {
        let state = checkpoint
            .state
            .downcast_ref::<Simulator>()
            .ok_or_else(|| Error::CheckpointForeign {
                name: checkpoint.name.clone(),
            })?;
        let warnings = std::mem::take(&mut self.warnings);
        *self = state.clone();
        self.warnings = warnings;
        Ok(())
    }

    fn inject_fault(&mut self, at: Option<LabTime>, fault: Fault) -> Result<()> {
        let now = self.clock.now();
        match at {
            Some(at) if at < now => Err(Error::FaultInThePast {
                at_s: at.as_secs_f64(),
                now_s: now.as_secs_f64(),
            }),
            Some(at) if at > now => self.schedule(at, fault),
            _ => {
                self.apply(&fault)?;
                self.watch_iscsi_paths();
                Ok(())
            }
        }
    }

    fn migrate(
        &mut self,
        guest: GuestId,
        dest: HostId,
        request: MigrationRequest,
    ) -> Result<MigrationReport> {
        let destination = self.world.host(dest);
        if destination.is_powered_off() {
            return Err(Error::HostPoweredOff {
                host: destination.name().into(),
            });
        }
        let disk_shared = self.world.disk_visible_from(guest, dest);
        let route =
            crate::world::preflight::check(&self.world, guest, dest, request.safety, disk_shared)?;
        let g = self.world.guest(guest);
        // A guest serving a file through its page cache rewrites the whole cache as it goes.
        let serving = self
            .traffic
            .transfers()
            .any(|t| t.guest == guest && !t.is_done());
        let memory = GuestMemory {
            size: g.spec.memory,
            used: g.workload.used,
            untouched: g.workload.untouched,
            wss: if serving {
                g.workload.used
            } else {
                g.workload.wss
            },
            dirty_rate: g.workload.dirty_rate,
            layout_seed: self.seed,
        };
        let config = request.config;
        // Checked before the disk copy, which would spend lab time on a migration that fails.
        let engine = Migration::new(memory, config)?;
        let started = self.clock.now();
        let horizon = started.saturating_add(LabTime::from_secs_f64(HORIZON_S).0);
        let from = g.host;
        let copy_disk = request.safety.copy_storage && !disk_shared;
        let disk_bytes = g.spec.disk.allocation;
        if copy_disk {
            let pool = g.spec.disk.pool.clone();
            self.world
                .pool(dest, &pool)
                .map_err(|_| Error::MigrateNoTargetPool {
                    host: self.world.host(dest).name().to_string(),
                    pool: pool.clone(),
                })?;
            self.traffic.disk_copy = Some(DiskCopy {
                guest,
                from,
                to: dest,
                from_nic: route.from_nic.clone(),
                to_nic: route.to_nic.clone(),
                remaining: disk_bytes as f64,
                started,
                silent_since: None,
            });
            self.migration_failure = None;
            self.run(horizon, |t| t.disk_copy.is_none())?;
            if let Some(failure) = self.migration_failure.take() {
                return Err(failure);
            }
            if let Some(copy) = self.traffic.disk_copy.take() {
                return Err(Error::MigrateNoConvergence {
                    seconds: HORIZON_S,
                    remaining: copy.remaining.max(0.0) as u64,
                    help: format!(
                        "the copy of the {} disk did not finish in {} s: put the image on storage both hosts mount (the iSCSI pool), so that only memory moves",
                        crate::units::human_size(disk_bytes),
                        HORIZON_S
                    ),
                });
            }
        }
        self.traffic.migration = Some(ActiveMigration {
            guest,
            from,
            to: dest,
            from_nic: route.from_nic,
            to_nic: route.to_nic,
            engine,
            base_dirty_rate: memory.dirty_rate,
            started,
            silent_since: None,
        });
        self.migration_failure = None;
        self.run(horizon, |t| t.migration.is_none())?;
        if let Some(failure) = self.migration_failure.take() {
            self.finished_migration = None;
            return Err(failure);
        }
        if let Some(mut active) = self.traffic.migration.take() {
            if active.silent_since.is_some() && active.engine.guest_on_destination() {
                return self.give_up_silent_postcopy(active);
            }
            // Past the horizon. A pre-copy is cancelled (the guest stays on the source); a
            // post-copy cannot go back, and streams its last pages to the end.
            let remaining = active.engine.remaining();
            if active.engine.cancel().is_ok() {
                let outcome = active.engine.outcome().cloned();
                if let Some(outcome) = outcome {
                    self.settle(&active, outcome);
                }
                return Err(Error::MigrateNoConvergence {
                    seconds: HORIZON_S,
                    remaining,
                    help: config.convergence_help(),
                });
            }
            self.traffic.migration = Some(active);
            self.run(LabTime(u64::MAX), |t| t.migration.is_none())?;
        }
        let outcome =
            self.finished_migration
                .take()
                .ok_or_else(|| Error::MigrateNoConvergence {
                    seconds: HORIZON_S,
                    remaining: 0,
                    help: config.convergence_help(),
                })?;
        if copy_disk && outcome.guest_on_destination {
            self.world.copy_image(guest, from, dest);
            self.world.guest_mut(guest).spec.disk.host = dest;
        }
        Ok(MigrationReport {
            guest: self.world.guest(guest).name().to_string(),
            from: self.world.host(from).name().to_string(),
            to: self.world.host(dest).name().to_string(),
            address: route.address,
            profile: config.profile.name(),
            started: started.as_secs_f64(),
            outcome,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleep_advances_simulated_time_only() {
        let mut sim = Simulator::new(7);
        sim.sleep(2.5).unwrap();
        sim.sleep(0.0).unwrap();
        assert_eq!(sim.now(), LabTime(2_500_000_000));
        assert_eq!(sim.seed(), 7);
    }

    #[test]
    fn negative_or_nan_sleep_is_refused() {
        let mut sim = Simulator::new(0);
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            let err = sim.sleep(bad).unwrap_err();
            assert_eq!(err.code_str(), "kvmlab::lab::bad_duration");
        }
        assert_eq!(sim.now(), LabTime::ZERO);
    }
}
