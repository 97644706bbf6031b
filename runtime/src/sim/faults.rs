//! Faults on the simulator's clock: the queue of scheduled faults, each applied at the first
//! step boundary at or after its time (a migration steps in 100 ms windows), and what a
//! fault does to the migration on the wire.
//!
//! A migration whose stream carries nothing (a cable pulled on its path, its destination
//! powered off) is not failed at once: TCP retransmits and the stream resumes if the path
//! comes back. libvirt gives up when its keepalive to the other daemon goes unanswered,
//! `keepalive_interval` × (`keepalive_count` + 1) = 5 s × 6 = 30 s with libvirtd.conf's
//! defaults (libvirt ≥ 0.9.8); the pre-copy then fails and the guest carries on on its
//! source. After the switch to post-copy the guest runs on the destination and waits
//! there, stalled, for the pages still on the source, as QEMU's postcopy-paused state
//! does, until the path returns. A host that loses its power takes the guest with it when
//! the guest runs there, or when its memory is split between the two hosts (post-copy).

use super::traffic::{ActiveMigration, DiskCopy};
use super::Simulator;
use crate::error::{Error, Result};
use crate::fault::{Fault, ScheduledFault};
use crate::migration::MigrationOutcome;
use crate::time::LabTime;
use crate::world::guest::{GuestId, GuestState};
use crate::world::{HostId, NodeId};

/// How long libvirt waits for its peer before it declares the migration's connection lost.
pub const KEEPALIVE_TIMEOUT: LabTime = LabTime(30_000_000_000);

impl Simulator {
    /// Queues a fault for `at`, in time order (faults at the same instant in the order
    /// given), after checking now what can be checked (the card has a cable).
    pub(super) fn schedule(&mut self, at: LabTime, fault: Fault) -> Result<()> {
        if let Fault::Unplug { node, nic } | Fault::Plug { node, nic } = &fault {
            self.world.check_cable(*node, nic)?;
        }
        crate::world::capacity::room(
            "scheduled faults",
            self.faults.len(),
            crate::world::capacity::FAULTS,
        )?;
        let place = self.faults.partition_point(|f| f.at <= at);
        self.faults.insert(place, ScheduledFault { at, fault });
        Ok(())
    }

    /// The time of the next scheduled fault, rebuild to end or iSCSI replacement timeout
    /// to run out.
    pub(super) fn next_event(&self) -> Option<LabTime> {
        let fault = self.faults.first().map(|f| f.at);
        fault
            .into_iter()
            .chain(self.world.next_rebuild_done())
            .chain(self.world.next_iscsi_deadline())
            .min()
    }

    /// Applies every fault due by now. One that no longer applies (a host switched on
    /// that is on) is a warning at the call during which its time came. The iSCSI
    /// sessions' paths are followed when a fault changed the lab, when a replacement
    /// timeout ran out, or when `lab_changed` (the script acted since time last passed).
    pub(super) fn apply_due_faults(&mut self, lab_changed: bool) {
        let now = self.clock.now();
        self.world.finish_rebuilds(now);
        let mut changed = lab_changed;
        while self.faults.first().is_some_and(|f| f.at <= now) {
            let due = self.faults.remove(0);
            changed = true;
            if let Err(refused) = self.apply(&due.fault) {
                self.warnings.push(refused);
            }
        }
        if changed || self.world.next_iscsi_deadline().is_some_and(|t| t <= now) {
            self.watch_iscsi_paths();
        }
    }

    /// What the iSCSI sessions' paths did by now, as warnings.
    pub(super) fn watch_iscsi_paths(&mut self) {
        let said = self.world.watch_iscsi_paths(self.clock.now());
        self.warnings.extend(said);
    }

    /// What a fault does, now.
    pub(super) fn apply(&mut self, fault: &Fault) -> Result<()> {
        match fault {
            Fault::Unplug { node, nic } => self.world.set_unplugged(*node, nic, true),
            Fault::Plug { node, nic } => self.world.set_unplugged(*node, nic, false),
            Fault::PowerLoss { host } => {
                self.lose_migrating_guest(*host);
                self.world.power_loss(*host).map(|_| ())
            }
            Fault::Degrade { switch, impairment } => {
                self.world.set_impairment(*switch, Some(*impairment));
                Ok(())
            }
            Fault::Restore { switch } => {
                self.world.set_impairment(*switch, None);
                Ok(())
            }
            Fault::DiskFail { nas, bay } => {
                let what_is_left = self.world.nas_disk_fail(*nas, *bay)?;
                self.warnings.push(what_is_left);
                Ok(())
            }
            Fault::DiskReplace { nas, bay } => self
                .world
                .nas_disk_replace(*nas, *bay, self.clock.now())
                .map(|_| ()),
            Fault::PowerOn { host } => {
                let boot = self.world.power_on(*host)?;
                for finding in boot.findings {
                    self.warnings.push(finding.error);
                }
                Ok(())
            }
        }
    }

    /// A host losing its power mid-migration: the guest dies with it when it ran there
    /// (its source before the switch, its destination after) or when its memory is split
    /// between the two (post-copy). A destination lost before the switch only silences the
    /// stream, which the keepalive then ends.
    fn lose_migrating_guest(&mut self, host: HostId) {
        let Some(m) = &self.traffic.migration else {
            return;
        };
        let on_destination = m.engine.guest_on_destination();
        if m.from != host && !(m.to == host && on_destination) {
            return;
        }
        let mut m = self.traffic.migration.take().expect("checked above");
        m.engine.connection_lost();
        let world = &self.world;
        let (guest, source, destination) = (
            world.guest(m.guest).name().to_string(),
            world.host(m.from).name().to_string(),
            world.host(m.to).name().to_string(),
        );
        let died = world.host(host).name().to_string();
        let cause = if on_destination {
            format!("{died} lost its power during the post-copy, with the memory split between {source} and {destination}")
        } else {
            format!("{died}, where it ran, lost its power during the migration")
        };
        // The persistent definition stays on the source; after a post-copy switch libvirt
        // keeps the failed domain where it ran, the destination.
        let keeper = if host == m.from && on_destination {
            m.to
        } else {
            m.from
        };
        let g = self.world.guest_mut(m.guest);
        g.host = keeper;
        g.state = GuestState::ShutOff;
        self.finished_migration = m.engine.outcome().cloned().map(|o| MigrationOutcome {
            guest_on_destination: false,
            guest_paused: false,
            ..o
        });
        self.migration_failure = Some(Error::MigrateGuestLost { guest, cause });
    }

    /// After a step: a migration whose stream has carried nothing for the keepalive's time
    /// before the switch is failed, and so is a disk copy ahead of it; the guest goes on on
    /// its source.
    pub(super) fn check_keepalive(&mut self) {
        let now = self.clock.now();
        let timed_out = |since: Option<LabTime>| {
            since.filter(|s| now.0.saturating_sub(s.0) >= KEEPALIVE_TIMEOUT.0)
        };
        if let Some(since) = self
            .traffic
            .disk_copy
            .as_ref()
            .and_then(|c| timed_out(c.silent_since))
        {
            let copy = self.traffic.disk_copy.take().expect("checked above");
            let ends = Stream::of_copy(&copy);
            let elapsed = now.0.saturating_sub(copy.started.0) as f64 / 1e9;
            self.migration_failure = Some(self.connection_lost(&ends, since, elapsed, false));
            return;
        }
        let Some(m) = &self.traffic.migration else {
            return;
        };
        let Some(since) = timed_out(m.silent_since) else {
            return;
        };
        if m.engine.guest_on_destination() {
            return;
        }
        let mut m = self.traffic.migration.take().expect("checked above");
        m.engine.connection_lost();
        let failure =
            self.connection_lost(&Stream::of_migration(&m), since, m.engine.elapsed(), false);
        if let Some(outcome) = m.engine.outcome().cloned() {
            self.settle(&m, outcome);
        }
        self.migration_failure = Some(failure);
    }

    /// A post-copy still waiting on a silent stream when the migration's horizon comes:
    /// it ends there, the guest paused on the destination.
    pub(super) fn give_up_silent_postcopy<T>(&mut self, mut m: ActiveMigration) -> Result<T> {
        let since = m.silent_since.unwrap_or(self.clock.now());
        m.engine.connection_lost();
        let failure =
            self.connection_lost(&Stream::of_migration(&m), since, m.engine.elapsed(), true);
        let outcome = m.engine.outcome().cloned();
        if let Some(outcome) = outcome {
            self.settle(&m, outcome);
        }
        Err(failure)
    }

    /// `kvmlab::migrate::connection_lost`, with what silenced the stream and what mends it;
    /// `elapsed` is the migration's time so far, `on_destination` whether the guest had
    /// switched to the destination (post-copy).
    fn connection_lost(
        &self,
        ends: &Stream,
        since: LabTime,
        elapsed: f64,
        on_destination: bool,
    ) -> Error {
        let world = &self.world;
        let guest = world.guest(ends.guest).name().to_string();
        let (source, destination) = (world.host(ends.from).name(), world.host(ends.to).name());
        let (cause, help) = self.silence_cause(ends);
        let whereabouts = if on_destination {
            format!("{guest} waits paused on {destination} for the pages still on {source}: a post-copy cannot go back")
        } else {
            format!("{guest} carries on on {source}, where it ran")
        };
        Error::MigrateConnectionLost {
            migration: format!("{guest} to {destination}"),
            at_s: elapsed,
            cause: format!(
                "{cause}, and nothing crossed for {:.0} s since {:.1} s",
                (self.clock.now().0 - since.0) as f64 / 1e9,
                since.0.saturating_sub(ends.started.0) as f64 / 1e9
            ),
            whereabouts,
            help,
        }
    }

    /// Why the migration's path carries nothing, and the fix.
    fn silence_cause(&self, ends: &Stream) -> (String, String) {
        let world = &self.world;
        for (host, card) in [(ends.to, ends.to_nic), (ends.from, ends.from_nic)] {
            let name = world.host(host).name();
            if world.host(host).is_powered_off() {
                return (
                    format!("{name} lost its power"),
                    format!("switch {name} on (`{name}.power_on()`), check that libvirtd runs there, and migrate again"),
                );
            }
            match world.stack(NodeId::Host(host)).nic(card) {
                Some(nic) if nic.unplugged => {
                    return (
                        format!("{name}'s {card} has no cable"),
                        format!("plug it back (`{name}.nic(\"{card}\").plug()`) and migrate again; within {} s the migration would have gone on by itself", KEEPALIVE_TIMEOUT.as_secs_f64()),
                    )
                }
                Some(nic) if nic.link.is_none() => {
                    return (
                        format!("{name}'s {card} is not cabled"),
                        format!("cable it to the migration network's switch again (`{name}.nic(\"{card}\").connect(switch)`) and migrate again"),
                    )
                }
                _ => {}
            }
        }
        (
            "the path between the hosts carries nothing".into(),
            "check the cards and the switch between the hosts (`ping`), then migrate again".into(),
        )
    }
}

/// The two ends of a stream between hosts (a migration's, or its disk copy's), and when it
/// began.
struct Stream<'a> {
    guest: GuestId,
    from: HostId,
    from_nic: &'a str,
    to: HostId,
    to_nic: &'a str,
    started: LabTime,
}

impl Stream<'_> {
    fn of_migration(m: &ActiveMigration) -> Stream<'_> {
        Stream {
            guest: m.guest,
            from: m.from,
            from_nic: &m.from_nic,
            to: m.to,
            to_nic: &m.to_nic,
            started: m.started,
        }
    }

    fn of_copy(c: &DiskCopy) -> Stream<'_> {
        Stream {
            guest: c.guest,
            from: c.from,
            from_nic: &c.from_nic,
            to: c.to,
            to_nic: &c.to_nic,
            started: c.started,
        }
    }
}
