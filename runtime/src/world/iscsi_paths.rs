//! An iSCSI session losing its path to the NAS under running guests, and getting it back,
//! as RHEL 6's open-iscsi (2.0-872), ext3 and QEMU handle it.
//!
//! - The initiator sends a NOP-Out when nothing has come from the target for
//!   `node.conn[0].timeo.noop_out_interval` (5 s) and fails the connection when no answer
//!   comes within `noop_out_timeout` (5 s): a session in use notices a dead path 10 s
//!   after it died ([`DEAD_PATH_NOTICED`]).
//! - The kernel then holds the session's I/O while iscsid logs in again and again, for
//!   `node.session.timeo.replacement_timeout` (120 s, [`REPLACEMENT_TIMEOUT`]). A path
//!   back in time: the held I/O goes on, and the guests only waited.
//! - After it, the SCSI layer fails the held and all new I/O. An ext3 file system on the
//!   LUN that a running guest writes (its image is a file there) aborts its journal at the
//!   first failed write and the kernel remounts it read-only, until it is mounted again.
//!   QEMU then meets the errors and does what the disk's error policy says
//!   ([`ErrorPolicy`]): unset (QEMU's `werror=enospc,rerror=report`), `report` or
//!   `enospace` pass them to the guest, whose own file system goes read-only until it
//!   restarts; `stop` pauses the guest (`paused (ioerror)`) and keeps the request, to retry
//!   at `virsh resume`; `ignore` drops the writes and tells the guest they succeeded.
//! - iscsid never gives up: when the path returns, the session logs in again by itself.
//!   What failed stays failed until the step that mends it.
//!
//! Sources: open-iscsi's README §8 and RHEL 6's /etc/iscsi/iscsid.conf (the timeouts);
//! QEMU's `-drive werror=,rerror=` documentation and libvirt's domain XML `error_policy`;
//! ext3's `Aborting journal` / `Remounting filesystem read-only` on a failed journal write.

use std::collections::BTreeSet;

use super::guest::{ErrorPolicy, GuestId, GuestState, IoEffect, IoFailure};
use super::host::storage::{DiskRef, FsLocation};
use super::storage::iqn::Iqn;
use super::storage::iscsi::{SessionPath, ISCSI_PORT};
use super::{HostId, World};
use crate::error::Error;
use crate::time::LabTime;

/// open-iscsi's `noop_out_interval` plus `noop_out_timeout`, 5 s each in RHEL 6's
/// iscsid.conf: how long a session in use takes to notice that its path is dead.
pub const DEAD_PATH_NOTICED: LabTime = LabTime(10_000_000_000);

/// `node.session.timeo.replacement_timeout` in RHEL 6's iscsid.conf: how long the kernel
/// holds a failed session's I/O before it fails it.
pub const REPLACEMENT_TIMEOUT: LabTime = LabTime(120_000_000_000);

/// Where a guest's disk meets an iSCSI session: the host it runs on, the session's target,
/// and the host's mount between them when the disk is a file on a file system of the LUN.
struct DiskThrough {
    host: HostId,
    target: Iqn,
    mount: Option<usize>,
}

impl World {
    /// Follows every session's path to its portal at `now`: a session whose NAS no longer
    /// answers starts recovering, one past its replacement timeout fails its I/O, and one
    /// whose NAS answers again is back. Returns what changed, as warnings.
    pub fn watch_iscsi_paths(&mut self, now: LabTime) -> Vec<Error> {
        let sessions: Vec<(HostId, Iqn, super::storage::iscsi::Portal, SessionPath)> = self
            .hosts()
            .filter(|(_, h)| !h.is_powered_off())
            .filter_map(|(id, h)| Some((id, h.storage().initiator()?)))
            .flat_map(|(id, initiator)| {
                initiator
                    .sessions()
                    .iter()
                    .map(move |s| (id, s.target.clone(), s.portal, s.path))
            })
            .collect();
        let mut said = Vec::new();
        for (host, target, portal, path) in sessions {
            let reached = self.tcp_connect(host, portal.ip, portal.port, &[ISCSI_PORT]);
            match (path, reached) {
                (SessionPath::Up, Err(refusal)) => {
                    let fails_at = now.saturating_add(DEAD_PATH_NOTICED.0 + REPLACEMENT_TIMEOUT.0);
                    self.set_session_path(
                        host,
                        &target,
                        SessionPath::Recovering {
                            lost_at: now,
                            fails_at,
                        },
                    );
                    said.push(self.path_lost(host, &target, now, fails_at, &refusal));
                }
                (SessionPath::Recovering { lost_at, fails_at }, Err(refusal))
                    if now >= fails_at =>
                {
                    self.set_session_path(host, &target, SessionPath::Failed { lost_at });
                    said.push(self.fail_io(host, &target, now, &refusal.help));
                }
                (
                    SessionPath::Recovering { lost_at, .. } | SessionPath::Failed { lost_at },
                    Ok(_),
                ) => {
                    self.set_session_path(host, &target, SessionPath::Up);
                    let failed = matches!(path, SessionPath::Failed { .. });
                    said.push(self.path_back(host, &target, now.0 - lost_at.0, failed));
                }
                _ => {}
            }
        }
        said
    }

    /// The earliest replacement timeout still running out.
    pub fn next_iscsi_deadline(&self) -> Option<LabTime> {
        self.hosts()
            .filter_map(|(_, h)| h.storage().initiator())
            .flat_map(|i| i.sessions())
            .filter_map(|s| match s.path {
                SessionPath::Recovering { fails_at, .. } => Some(fails_at),
                _ => None,
            })
            .min()
    }

    fn set_session_path(&mut self, host: HostId, target: &Iqn, path: SessionPath) {
        let session = self.hosts[host.0]
            .storage_mut()
            .initiator_mut()
            .and_then(|i| i.session_mut(target));
        if let Some(session) = session {
            session.path = path;
        }
    }

    fn session_path(&self, host: HostId, target: &Iqn) -> Option<(u32, SessionPath)> {
        let session = self.host(host).storage().initiator()?.session(target)?;
        Some((session.sid, session.path))
    }

    /// The iSCSI session a guest's disk goes through on the host it runs on, if any.
    fn disk_through(&self, guest: GuestId) -> Option<DiskThrough> {
        let g = self.guest(guest);
        let storage = self.host(g.host).storage();
        let path = &g.spec.disk.path;
        if let Some(device) = storage
            .devices()
            .into_iter()
            .find(|d| d.path() == *path || d.iscsi.as_ref().is_some_and(|p| p.by_path() == *path))
        {
            return device.iscsi.as_ref().map(|p| DiskThrough {
                host: g.host,
                target: p.target.clone(),
                mount: None,
            });
        }
        let (index, mount) = storage.mount_for(path)?;
        match &mount.location {
            FsLocation::Block {
                disk: DiskRef::Lun { target, .. },
                ..
            } => Some(DiskThrough {
                host: g.host,
                target: target.clone(),
                mount: Some(index),
            }),
            _ => None,
        }
    }

    /// Running or paused guests whose disks go through `host`'s session to `target`, with
    /// the host mount their image is on.
    fn guests_through(&self, host: HostId, target: &Iqn) -> Vec<(GuestId, Option<usize>)> {
        self.guests()
            .filter(|(_, g)| matches!(g.state, GuestState::Running | GuestState::Paused))
            .filter_map(|(id, _)| {
                let through = self.disk_through(id)?;
                (through.host == host && through.target == *target).then_some((id, through.mount))
            })
            .collect()
    }

    fn path_lost(
        &self,
        host: HostId,
        target: &Iqn,
        now: LabTime,
        fails_at: LabTime,
        refusal: &super::initiator::Refusal,
    ) -> Error {
        let (sid, _) = self
            .session_path(host, target)
            .expect("the session is there");
        let session = self.session_portal(host, target);
        let disks: Vec<String> = self
            .guests_through(host, target)
            .iter()
            .map(|(id, _)| {
                let g = self.guest(*id);
                format!("{}'s disk {}", g.name(), g.spec.disk.path)
            })
            .collect();
        Error::IscsiPathLost {
            host: self.host(host).name().into(),
            portal: session.to_string(),
            when: format!(
                "{:.1} s ({})",
                now.as_secs_f64(),
                refusal.errno.to_lowercase()
            ),
            waits: format!(
                "the I/O of its iSCSI session {sid} to {target} waits{}",
                if disks.is_empty() {
                    String::new()
                } else {
                    format!(", and with it {}", disks.join(", "))
                }
            ),
            help: format!(
                "{}; open-iscsi notices in 10 s (its 5 s NOP-Out goes unanswered for 5 s) and holds the I/O for node.session.timeo.replacement_timeout, 120 s: with the path back before {:.1} s, nothing fails",
                refusal.help,
                fails_at.as_secs_f64()
            ),
        }
    }

    fn session_portal(&self, host: HostId, target: &Iqn) -> super::storage::iscsi::Portal {
        self.host(host)
            .storage()
            .initiator()
            .and_then(|i| i.session(target))
            .map(|s| s.portal)
            .expect("the session is there")
    }

    /// The replacement timeout ran out: the session's I/O fails, and what writes through
    /// it meets the errors.
    fn fail_io(&mut self, host: HostId, target: &Iqn, now: LabTime, fix: &str) -> Error {
        let (sid, _) = self
            .session_path(host, target)
            .expect("the session is there");
        let devices: Vec<String> = self
            .host(host)
            .storage()
            .devices()
            .iter()
            .filter(|d| d.iscsi.as_ref().is_some_and(|p| p.target == *target))
            .map(|d| d.path())
            .collect();
        let writing: Vec<(GuestId, Option<usize>)> = self
            .guests_through(host, target)
            .into_iter()
            .filter(|(id, _)| self.guest(*id).state == GuestState::Running)
            .collect();
        let mut effects = Vec::new();
        let written: BTreeSet<usize> = writing.iter().filter_map(|(_, m)| *m).collect();
        for &index in &written {
            let mount = &self.host(host).storage().mounts()[index];
            effects.push(format!(
                "{} on {} aborted its journal and went read-only",
                mount.fstype, mount.dir
            ));
            self.hosts[host.0].storage_mut().abort_journal(index);
        }
        let cause = format!(
            "{}'s iSCSI session to {target} failed its I/O",
            self.host(host).name()
        );
        for (guest, _) in writing {
            let g = self.guest(guest);
            let name = g.name().to_string();
            let policy = g.spec.error_policy;
            let failure = |effect| IoFailure {
                at: now,
                effect,
                cause: cause.clone(),
            };
            match policy {
                ErrorPolicy::Stop => {
                    effects.push(format!("QEMU paused {name} (error_policy stop)"));
                    let g = self.guest_mut(guest);
                    g.state = GuestState::Paused;
                    g.io_failure = Some(failure(IoEffect::Paused));
                }
                ErrorPolicy::Ignore => {
                    effects.push(format!(
                        "{name} was told its writes succeeded, and they were dropped (error_policy ignore)"
                    ));
                    self.guest_mut(guest).disk_fault.get_or_insert(format!(
                        "its writes were dropped when {cause}, and it was told they succeeded (error_policy ignore)"
                    ));
                }
                ErrorPolicy::Default | ErrorPolicy::Report | ErrorPolicy::Enospace => {
                    effects.push(format!(
                        "{name} saw the write errors ({}) and its file system went read-only",
                        policy_words(policy)
                    ));
                    self.guest_mut(guest).io_failure = Some(failure(IoEffect::ReadOnly));
                }
            }
        }
        let steps = self.recovery_steps(host, target);
        Error::IscsiIoFailed {
            host: self.host(host).name().into(),
            sid,
            devices: devices.join(", "),
            effects: if effects.is_empty() {
                String::new()
            } else {
                format!(": {}", effects.join("; "))
            },
            help: match steps {
                Some(steps) => format!(
                    "bring the path back ({fix}) and the session logs in again by itself; then {steps}"
                ),
                None => format!(
                    "bring the path back ({fix}) and the session logs in again by itself"
                ),
            },
        }
    }

    fn path_back(&self, host: HostId, target: &Iqn, after_ns: u64, failed: bool) -> Error {
        let (sid, _) = self
            .session_path(host, target)
            .expect("the session is there");
        let name = self.host(host).name().to_string();
        let after_s = after_ns as f64 / 1e9;
        let (outcome, help) = if !failed {
            let waited: Vec<String> = self
                .guests_through(host, target)
                .iter()
                .map(|(id, _)| self.guest(*id).name().to_string())
                .collect();
            let who = if waited.is_empty() {
                String::new()
            } else {
                format!(" for {}", waited.join(", "))
            };
            (
                format!("the I/O held{who} goes on, and nothing failed"),
                "nothing to mend; a path gone for more than 130 s (10 s to notice, then the 120 s replacement timeout) fails the I/O".to_string(),
            )
        } else {
            match self.recovery_steps(host, target) {
                Some(steps) => (
                    "new I/O works, but what failed stays failed".to_string(),
                    steps,
                ),
                None => (
                    "new I/O works, and nothing was writing when the I/O failed".to_string(),
                    "nothing to mend".to_string(),
                ),
            }
        };
        Error::IscsiPathBack {
            host: name,
            sid,
            target: target.to_string(),
            after_s,
            outcome,
            help,
        }
    }

    /// What mends what `host`'s failed session to `target` left behind: guests paused or
    /// read-only, host file systems read-only. `None`: nothing is left to mend.
    fn recovery_steps(&self, host: HostId, target: &Iqn) -> Option<String> {
        let through = self.guests_through(host, target);
        let storage = self.host(host).storage();
        let mut steps = Vec::new();
        let mounts: BTreeSet<usize> = storage
            .mounts()
            .iter()
            .enumerate()
            .filter(|(_, m)| {
                m.journal_aborted
                    && matches!(&m.location, FsLocation::Block { disk: DiskRef::Lun { target: t, .. }, .. } if t == target)
            })
            .map(|(i, _)| i)
            .collect();
        for (guest, mount) in &through {
            let g = self.guest(*guest);
            let name = g.name();
            let on_aborted = mount.is_some_and(|m| mounts.contains(&m));
            match (g.io_failure.as_ref().map(|f| f.effect), on_aborted) {
                (Some(IoEffect::Paused), false) => steps.push(format!(
                    "resume {name} (`{name}.resume()`): QEMU retries the request it kept, and nothing is lost"
                )),
                (Some(IoEffect::Paused), true) => steps.push(format!(
                    "power {name} off (`{name}.destroy()`: it cannot go on while its image's file system is read-only)"
                )),
                (Some(IoEffect::ReadOnly), _) | (None, true) => steps.push(format!(
                    "shut {name} down (`{name}.shutdown()`)"
                )),
                (None, false) => {}
            }
        }
        for index in &mounts {
            let m = &storage.mounts()[*index];
            steps.push(format!(
                "mount {dir} again once no guest runs from it (`{host}.sh(\"umount {dir}\")`, then `{host}.sh(\"mount {source} {dir}\")`: ext3 replays its journal)",
                dir = m.dir,
                source = m.source,
                host = self.host(host).name()
            ));
        }
        let restarts: Vec<String> = through
            .iter()
            .filter(|(id, mount)| {
                let g = self.guest(*id);
                g.io_failure
                    .as_ref()
                    .is_some_and(|f| f.effect == IoEffect::ReadOnly)
                    || mount.is_some_and(|m| mounts.contains(&m))
            })
            .map(|(id, _)| format!("`{}.start()`", self.guest(*id).name()))
            .collect();
        if !restarts.is_empty() {
            let whom = if restarts.len() == 1 { "it" } else { "them" };
            steps.push(format!(
                "start {whom} again ({}): a guest's file system is checked as it boots",
                restarts.join(", ")
            ));
        }
        (!steps.is_empty()).then(|| steps.join("; "))
    }

    /// Refuses `action` on a guest whose disk's iSCSI session has no path now.
    pub(crate) fn guest_path_refusal(&self, guest: GuestId, action: &str) -> Option<Error> {
        let through = self.disk_through(guest)?;
        let (_, path) = self.session_path(through.host, &through.target)?;
        let (since, state) = match path {
            SessionPath::Up => return None,
            SessionPath::Recovering { lost_at, fails_at } => (
                lost_at,
                format!(
                    "its I/O is held until the replacement timeout ends at {:.1} s",
                    fails_at.as_secs_f64()
                ),
            ),
            SessionPath::Failed { lost_at } => (lost_at, "its I/O fails".to_string()),
        };
        let portal = self.session_portal(through.host, &through.target);
        let fix = self
            .tcp_connect(through.host, portal.ip, portal.port, &[ISCSI_PORT])
            .err()
            .map_or_else(|| "the path is back".to_string(), |r| r.help);
        let g = self.guest(guest);
        Some(Error::GuestDiskPathDown {
            action: action.into(),
            guest: g.name().into(),
            disk: format!(
                "{} is on {}'s iSCSI session to {}, which has had no path to the NAS since {:.1} s",
                g.spec.disk.path,
                self.host(through.host).name(),
                through.target,
                since.as_secs_f64()
            ),
            state,
            help: format!("bring the path back ({fix}): the session logs in again by itself, and then the {action} can go ahead"),
        })
    }

    /// Refuses writing a guest's disk while its own file system or its host's is read-only
    /// after failed I/O.
    pub fn guest_write_refusal(&self, guest: GuestId) -> Option<Error> {
        let g = self.guest(guest);
        let through = self.disk_through(guest);
        let aborted = through.as_ref().and_then(|t| {
            let index = t.mount?;
            let m = &self.host(t.host).storage().mounts()[index];
            m.journal_aborted.then_some((t, m))
        });
        let (cause, help) = match (&g.io_failure, aborted) {
            (_, Some((t, m))) => (
                format!(
                    "{}'s {} {} is read-only since ext3 aborted its journal",
                    self.host(t.host).name(),
                    m.fstype,
                    m.dir
                ),
                self.recovery_steps(t.host, &t.target)
                    .unwrap_or_else(|| "mount it again".into()),
            ),
            (Some(failure), None)
                if failure.effect == IoEffect::ReadOnly
                    && matches!(g.state, GuestState::Running | GuestState::Paused) =>
            {
                (
                    format!(
                        "its file system went read-only at {:.1} s when {}",
                        failure.at.as_secs_f64(),
                        failure.cause
                    ),
                    format!(
                        "restart it (`{0}.shutdown()`, then `{0}.start()`): it checks its file system as it boots",
                        g.name()
                    ),
                )
            }
            _ => return None,
        };
        Some(Error::GuestDiskReadOnly {
            guest: g.name().into(),
            path: g.spec.disk.path.clone(),
            cause,
            help,
        })
    }

    /// The guest's disk as it sees it: `ok`, `waiting` (its session recovers), `failing`
    /// (the session's I/O fails), `read-only`, `paused on I/O error` or `damaged`.
    pub fn guest_disk_state(&self, guest: GuestId) -> &'static str {
        let g = self.guest(guest);
        if g.disk_fault.is_some() {
            return "damaged";
        }
        let live = matches!(g.state, GuestState::Running | GuestState::Paused);
        match g.io_failure.as_ref().filter(|_| live).map(|f| f.effect) {
            Some(IoEffect::Paused) => return "paused on I/O error",
            Some(IoEffect::ReadOnly) => return "read-only",
            None => {}
        }
        let Some(through) = self.disk_through(guest) else {
            return "ok";
        };
        match self.session_path(through.host, &through.target) {
            Some((_, SessionPath::Recovering { .. })) => "waiting",
            Some((_, SessionPath::Failed { .. })) => "failing",
            _ if self.guest_write_refusal(guest).is_some() => "read-only",
            _ => "ok",
        }
    }
}

/// How an error policy passes a failed write to the guest, in words.
fn policy_words(policy: ErrorPolicy) -> &'static str {
    match policy {
        ErrorPolicy::Default => "QEMU's default, werror=enospc, reports it",
        ErrorPolicy::Enospace => "error_policy enospace reports it",
        _ => "error_policy report",
    }
}
