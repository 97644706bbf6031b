//! A NAS's disks failing and being replaced ([`crate::world::storage::raid`] keeps the
//! array's arithmetic): the array runs degraded, a replaced disk rebuilds on lab time, and a
//! failure too many loses the array with every LUN and file on it. Its targets then answer
//! no discovery or login, and the guests whose disks it held get I/O errors from them (their
//! `disk_fault`, as a disk overwritten under them does): they run on from memory, and
//! migrating them, starting them or serving files from them is refused.

use super::guest::GuestId;
use super::host::storage::{DiskRef, FsLocation};
use super::nas::NasId;
use super::storage::raid::{AfterFailure, REBUILD_RATE};
use super::World;
use crate::error::{Error, Result};
use crate::time::LabTime;
use crate::units::human_duration;

impl World {
    /// The disk in `bay` of the NAS fails. A warning says what the array has left: degraded
    /// and how many more failures it survives, or lost and what went with it.
    pub fn nas_disk_fail(&mut self, nas: NasId, bay: usize) -> Result<Error> {
        let level = self.nas(nas).volume().raid.level;
        let after = self.nas_mut(nas).volume_mut().raid.fail(bay)?;
        let name = self.nas(nas).name().to_string();
        Ok(match after {
            AfterFailure::Degraded { out } => {
                let raid = &self.nas(nas).volume().raid;
                Error::RaidDegraded {
                    nas: name,
                    level: format!("RAID {}", level.number()),
                    bay,
                    out,
                    left: raid.tolerated_failures().saturating_sub(out),
                    rebuild: human_duration(raid.member_size as f64 / REBUILD_RATE),
                }
            }
            AfterFailure::Lost => {
                let lost = self.lost_with(nas);
                let cause = format!(
                    "{name}'s RAID {} array, which held it, is lost",
                    level.number()
                );
                let on_it: Vec<GuestId> = self
                    .guests()
                    .filter(|(id, _)| self.guest_storage_nas(*id) == Some(nas))
                    .map(|(id, _)| id)
                    .collect();
                for guest in on_it {
                    self.guest_mut(guest)
                        .disk_fault
                        .get_or_insert(cause.clone());
                }
                Error::RaidArrayLost {
                    nas: name,
                    level: format!("RAID {}", level.number()),
                    lost,
                }
            }
        })
    }

    /// A new disk in `bay`, whose disk failed, rebuilt from `now` on; returns when it is done.
    pub fn nas_disk_replace(&mut self, nas: NasId, bay: usize, now: LabTime) -> Result<LabTime> {
        self.nas_mut(nas).volume_mut().raid.replace(bay, now)
    }

    /// Ends every rebuild done by `now`.
    pub fn finish_rebuilds(&mut self, now: LabTime) {
        for nas in &mut self.nases {
            nas.volume_mut().raid.finish_rebuilds(now);
        }
    }

    /// The earliest lab time a rebuild ends.
    pub fn next_rebuild_done(&self) -> Option<LabTime> {
        self.nases
            .iter()
            .filter_map(|n| n.volume().raid.next_rebuild_done())
            .min()
    }

    /// Refuses to reach a NAS whose array is lost: its targets are gone.
    pub(crate) fn require_array(&self, nas: NasId, operation: &str) -> Result<()> {
        if !self.nas(nas).volume().raid.is_lost() {
            return Ok(());
        }
        Err(Error::NasArrayLost {
            nas: self.nas(nas).name().into(),
            operation: operation.into(),
        })
    }

    /// The NAS whose array holds the guest's disk, if one does: an iSCSI LUN, or a file on
    /// a file system on one, or on its NFS data space.
    pub fn guest_storage_nas(&self, guest: GuestId) -> Option<NasId> {
        let disk = &self.guest(guest).spec.disk;
        let storage = self.host(disk.host).storage();
        if let Some(device) = storage.devices().into_iter().find(|d| {
            d.path() == disk.path || d.iscsi.as_ref().is_some_and(|p| p.by_path() == disk.path)
        }) {
            return match device.disk {
                DiskRef::Lun { nas, .. } => Some(nas),
                _ => None,
            };
        }
        let (mount, _) = self.locate(disk.host, &disk.path)?;
        match &mount.location {
            FsLocation::Block {
                disk: DiskRef::Lun { nas, .. },
                ..
            }
            | FsLocation::NasData { nas } => Some(*nas),
            FsLocation::Block { .. } => None,
        }
    }

    /// What a lost array took with it: its targets, the hosts' disks and mounts from them,
    /// and the guests whose disks it held.
    fn lost_with(&self, nas: NasId) -> String {
        let mut lost = Vec::new();
        for target in self.nas(nas).volume().targets() {
            lost.push(format!("target {}", target.iqn));
        }
        for (_, host) in self.hosts() {
            for device in host.storage().devices() {
                if matches!(&device.disk, DiskRef::Lun { nas: n, .. } if *n == nas) {
                    let mounted: Vec<String> = host
                        .storage()
                        .mounts()
                        .iter()
                        .filter(|m| matches!(&m.location, FsLocation::Block { disk, .. } if *disk == device.disk))
                        .map(|m| format!(" (on {})", m.dir))
                        .collect();
                    lost.push(format!(
                        "{}'s {}{}",
                        host.name(),
                        device.path(),
                        mounted.concat()
                    ));
                }
            }
        }
        for (id, guest) in self.guests() {
            if self.guest_storage_nas(id) == Some(nas) {
                lost.push(format!("the disk of {}", guest.name()));
            }
        }
        if lost.is_empty() {
            "nothing the lab had put on it yet".into()
        } else {
            lost.join(", ")
        }
    }
}
