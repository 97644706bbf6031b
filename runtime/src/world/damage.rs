//! Mistakes that destroy data while the real system says nothing, and the marks they leave.
//!
//! mke2fs refuses a device mounted on its own host, and parted a disk with a partition
//! mounted there, but neither knows another host's mounts: from sv2, `mkfs` on the shared
//! LUN's partition, a new label or `rm` succeeds while sv1 has the file system mounted. sv1's
//! kernel keeps caching the old file system over blocks that now hold other data, so its
//! files are lost. A second `mklabel` on a partitioned disk (parted's "destroy all data?" is
//! answered yes in a script), and mkfs over an unmounted file system that holds images, lose
//! data the same way. libvirt without a lock manager lets two guests, on one host or two,
//! run from one image; both write it and it is corrupted.
//!
//! Each proceeds as on the real machine and raises a warning at the line that did it. What
//! it damaged stays damaged for later calls: the other host's mount is marked
//! [`Mount::lost`] (writing through it fails with `mounted_fs_lost`), the guests running
//! from it, and the guests of a doubly-run image, get I/O errors (they cannot serve files
//! or migrate), and the image is marked corrupted for whoever starts it next.

use super::guest::{GuestId, GuestState};
use super::host::os::OsSpec;
use super::host::storage::{DiskRef, FsLocation, Mount};
use super::{HostId, World};
use crate::error::{Error, Result};

/// Mounts on other hosts that a change to a disk destroys, with the guests running from
/// them; found before the change, applied after it succeeds.
#[derive(Debug, Default)]
pub(crate) struct Overwrite {
    /// (host, index of the mount, why it is lost).
    victims: Vec<(HostId, usize, String)>,
    guests: Vec<(GuestId, String)>,
    warnings: Vec<Error>,
}

/// "no guest images yet", "1 guest image", "2 guest images (web1 runs from one)".
fn describe_images(images: usize, guests: &[&str]) -> String {
    let mut text = match images {
        0 => "no guest images yet".to_string(),
        1 => "1 guest image".to_string(),
        n => format!("{n} guest images"),
    };
    match guests {
        [] => {}
        [one] => text.push_str(&format!(" ({one} runs from one)")),
        many => text.push_str(&format!(" ({} run from them)", and_list(many))),
    }
    text
}

fn and_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

impl World {
    /// Running or paused guests whose disk image is in the file system at `location`.
    pub(crate) fn guests_running_on(&self, location: &FsLocation) -> Vec<GuestId> {
        self.guests()
            .filter(|(_, g)| matches!(g.state, GuestState::Running | GuestState::Paused))
            .filter(|(_, g)| {
                self.locate(g.host, &g.spec.disk.path)
                    .is_some_and(|(m, _)| m.location == *location)
            })
            .map(|(id, _)| id)
            .collect()
    }

    /// What a mount holds, in words: its images and the guests running from them.
    fn mount_contents(&self, host: HostId, mount: &Mount, guests: &[GuestId]) -> String {
        let images = self
            .fs_at(host, &mount.location)
            .map_or(0, |fs| fs.file_count());
        let names: Vec<&str> = guests.iter().map(|g| self.guest(*g).name()).collect();
        describe_images(images, &names)
    }

    /// The other hosts' mounts of the file systems on `disk` whose partition `hit` selects,
    /// which `action` on host `by` is about to destroy (`damage` says how).
    pub(crate) fn plan_overwrite(
        &self,
        by: HostId,
        disk: &DiskRef,
        hit: impl Fn(u32) -> bool,
        action: &str,
        damage: &str,
    ) -> Overwrite {
        let mut plan = Overwrite::default();
        if matches!(disk, DiskRef::Local { .. }) {
            return plan;
        }
        let by_name = self.host(by).name();
        for (id, h) in self.hosts().filter(|(id, _)| *id != by) {
            for (index, m) in h.storage().mounts().iter().enumerate() {
                let FsLocation::Block { disk: d, partition } = &m.location else {
                    continue;
                };
                if d != disk || !hit(*partition) || m.lost.is_some() {
                    continue;
                }
                let guests = self.guests_running_on(&m.location);
                let cause = format!("{action} on {by_name} {damage}");
                plan.warnings.push(Error::MountedFsDestroyed {
                    host: h.name().into(),
                    device: m.source.clone(),
                    dir: m.dir.clone(),
                    contents: self.mount_contents(id, m, &guests),
                    cause: cause.clone(),
                });
                for guest in guests {
                    plan.guests
                        .push((guest, format!("{cause} ({} on {})", m.dir, h.name())));
                }
                plan.victims.push((id, index, cause));
            }
        }
        plan
    }

    /// After the change `plan` was made for: marks the mounts lost and the guests faulty;
    /// returns the warnings.
    pub(crate) fn apply_overwrite(&mut self, plan: Overwrite) -> Vec<Error> {
        for (host, index, cause) in plan.victims {
            self.hosts[host.0]
                .storage_mut()
                .mark_mount_lost(index, &cause);
        }
        for (guest, cause) in plan.guests {
            let g = self.guest_mut(guest);
            g.disk_fault.get_or_insert(cause);
        }
        plan.warnings
    }

    /// Refuses to write through a mount whose file system was written over.
    pub(crate) fn require_intact(&self, host: HostId, mount: &Mount) -> Result<()> {
        match mount.lost {
            None => Ok(()),
            Some(_) => Err(self.mount_lost(host, mount)),
        }
    }

    /// The error for using a mount whose file system is no longer on the device.
    pub(crate) fn mount_lost(&self, host: HostId, mount: &Mount) -> Error {
        Error::MountedFsLost {
            host: self.host(host).name().into(),
            dir: mount.dir.clone(),
            device: mount.source.clone(),
            cause: mount
                .lost
                .clone()
                .unwrap_or_else(|| "the device holds no file system now".into()),
        }
    }

    /// The I/O error a guest's disk gives, if it has one.
    pub fn guest_disk_error(&self, guest: GuestId) -> Option<Error> {
        let g = self.guest(guest);
        let cause = g.disk_fault.as_ref()?;
        Some(Error::GuestDiskIoError {
            guest: g.name().into(),
            host: self.host(g.host).name().into(),
            path: g.spec.disk.path.clone(),
            cause: cause.clone(),
            help: "the guest's file system sees write errors and goes read-only, and nothing on its disk can be trusted; in the lab, `destroy()` it, then define a new guest on a new volume and install it".into(),
        })
    }

    /// Where a guest's image is, seen from the host it runs on: the host, the file system's
    /// location and the path inside it.
    fn image_location(&self, guest: GuestId) -> Option<(HostId, FsLocation, String)> {
        let g = self.guest(guest);
        let (mount, inner) = self.locate(g.host, &g.spec.disk.path)?;
        Some((g.host, mount.location.clone(), inner))
    }

    /// Installs a host's OS ([`Host::install_os`]). Installing again clears the host's
    /// disks, as a kickstart's `clearpart --all` does: the guests running there stop, the
    /// images on its own disks are gone, and so are libvirt's definitions of its guests
    /// (they become [`GuestState::Undefined`]). Returns the warning saying what was lost.
    ///
    /// [`Host::install_os`]: super::host::Host::install_os
    pub fn install_os(&mut self, host: HostId, spec: &OsSpec) -> Result<Vec<Error>> {
        let reinstall = self.host(host).os().is_some();
        let images: usize = if reinstall {
            self.host(host)
                .storage()
                .mounts()
                .iter()
                .filter(|m| {
                    matches!(
                        m.location,
                        FsLocation::Block {
                            disk: DiskRef::Local { .. },
                            ..
                        }
                    )
                })
                .filter_map(|m| self.fs_at(host, &m.location))
                .map(|fs| fs.file_count())
                .sum()
        } else {
            0
        };
        let defined: Vec<GuestId> = self
            .guests()
            .filter(|(_, g)| g.host == host && g.state != GuestState::Undefined)
            .map(|(id, _)| id)
            .collect();
        self.hosts[host.0].install_os(spec)?;
        let named = |world: &World, running: bool| -> Vec<String> {
            defined
                .iter()
                .map(|g| world.guest(*g))
                .filter(|g| matches!(g.state, GuestState::Running | GuestState::Paused) == running)
                .map(|g| g.name().to_string())
                .collect()
        };
        let running = named(self, true);
        let stopped = named(self, false);
        // Their definitions were in /etc/libvirt on the erased disks.
        for guest in &defined {
            self.guest_mut(*guest).state = GuestState::Undefined;
        }
        if !reinstall || (images == 0 && defined.is_empty()) {
            return Ok(Vec::new());
        }
        let mut lost = vec![match images {
            0 => "no guest images were on its own disks".to_string(),
            1 => "1 guest image on its own disks is gone".to_string(),
            n => format!("{n} guest images on its own disks are gone"),
        }];
        let running: Vec<&str> = running.iter().map(String::as_str).collect();
        match running.as_slice() {
            [] => {}
            [one] => lost.push(format!("{one} was running and stopped")),
            many => lost.push(format!("{} were running and stopped", and_list(many))),
        }
        let all: Vec<&str> = running
            .iter()
            .copied()
            .chain(stopped.iter().map(String::as_str))
            .collect();
        match all.as_slice() {
            [] => {}
            [one] => lost.push(format!("libvirt's definition of {one} is gone")),
            many => lost.push(format!(
                "libvirt's definitions of {} are gone",
                and_list(many)
            )),
        }
        Ok(vec![Error::ReinstallErased {
            host: self.host(host).name().into(),
            lost: lost.join("; "),
        }])
    }

    /// Refuses to boot a guest where libvirt cannot: libvirtd stopped, KVM unusable for a
    /// `kvm` guest (a reinstall without the Virtualization group), or its image missing.
    pub fn require_bootable(&self, guest: GuestId) -> Result<()> {
        let g = self.guest(guest);
        self.require_libvirtd(g.host)?;
        if g.spec.virt_type == "kvm" {
            self.host(g.host).kvm_check()?;
        }
        self.require_image(guest)
    }

    /// Refuses to boot a guest whose image file is not there, as qemu cannot open it: its
    /// file system is not mounted, or was written over.
    pub fn require_image(&self, guest: GuestId) -> Result<()> {
        let g = self.guest(guest);
        let path = &g.spec.disk.path;
        if path.starts_with("/dev/") {
            return Ok(());
        }
        let Some((mount, inner)) = self.locate(g.host, path) else {
            return Ok(());
        };
        let found = mount.lost.is_none()
            && self
                .fs_at(g.host, &mount.location)
                .is_some_and(|fs| fs.file(&inner).is_some());
        if found {
            return Ok(());
        }
        let host = self.host(g.host).name();
        let help = match &mount.lost {
            Some(cause) => format!(
                "the file system that held it on {host} is gone ({cause}): unmount {} and mount it again, then define the guest on a new volume",
                mount.dir
            ),
            None if mount.dir == "/" => format!(
                "nothing is mounted over its directory on {host}, so the path is on the root file system: mount the file system that holds the pool's images first (`df` shows what is mounted; an fstab entry with `_netdev` mounts it at boot)"
            ),
            None => match self.fs_at(g.host, &mount.location).and_then(|fs| fs.replaced.as_ref()) {
                Some(cause) => format!(
                    "the file system on {} was made anew ({cause}), so the image is gone: define the guest on a new volume and install it",
                    mount.dir
                ),
                None => format!(
                    "{} on {host} holds no such file: `volumes()` lists the pool's images; define the guest on one of them",
                    mount.dir
                ),
            },
        };
        Err(Error::GuestDiskMissing {
            guest: g.name().into(),
            host: host.into(),
            path: path.clone(),
            help,
        })
    }

    /// Whether two guests' disks are one image file: the same file on one host, or on
    /// storage both hosts share.
    fn same_image(&self, a: GuestId, b: GuestId) -> bool {
        let (Some((host, location, inner)), Some((other_host, other_location, other_inner))) =
            (self.image_location(a), self.image_location(b))
        else {
            return false;
        };
        other_inner == inner
            && (location.same_storage(&other_location)
                || (other_host == host && other_location == location))
    }

    /// Another guest that installed a system into this guest's image: a guest defined on
    /// an existing image boots from it (virt-manager's "import existing disk image").
    pub fn installed_by(&self, guest: GuestId) -> Option<GuestId> {
        self.guests()
            .filter(|(id, g)| *id != guest && g.state != GuestState::Defined)
            .map(|(id, _)| id)
            .find(|other| self.same_image(guest, *other))
    }

    /// The warning for installing `guest` over an image another guest's system is on.
    pub fn install_over_image(&self, guest: GuestId) -> Option<Error> {
        let other = self.installed_by(guest)?;
        let (g, o) = (self.guest(guest), self.guest(other));
        Some(Error::InstallOverImage {
            guest: g.name().into(),
            host: self.host(g.host).name().into(),
            path: g.spec.disk.path.clone(),
            other: o.name().into(),
            other_where: format!("{} on {}", o.state.name(), self.host(o.host).name()),
        })
    }

    /// Sets a guest's state. Booting it (from shut off or defined) needs its image. A guest
    /// that starts running from an image another running guest uses corrupts it (warned,
    /// both guests faulty, the image marked), and one that starts from a corrupted image gets
    /// I/O errors. Returns the warnings.
    pub fn set_guest_state(&mut self, guest: GuestId, state: GuestState) -> Result<Vec<Error>> {
        let booting = matches!(
            self.guest(guest).state,
            GuestState::ShutOff | GuestState::Defined
        );
        if state == GuestState::Running && booting {
            self.require_bootable(guest)?;
        } else {
            self.require_libvirtd(self.guest(guest).host)?;
        }
        self.guest_mut(guest).state = state;
        if state != GuestState::Running || !booting {
            return Ok(Vec::new());
        }
        let Some((host, location, inner)) = self.image_location(guest) else {
            return Ok(Vec::new());
        };
        let path = self.guest(guest).spec.disk.path.clone();
        let sharers: Vec<GuestId> = self
            .guests()
            .filter(|(id, g)| {
                *id != guest && matches!(g.state, GuestState::Running | GuestState::Paused)
            })
            .map(|(id, _)| id)
            .filter(|other| self.same_image(guest, *other))
            .collect();
        let mut warnings = Vec::new();
        let name = self.guest(guest).name().to_string();
        let host_name = self.host(self.guest(guest).host).name().to_string();
        for other in sharers {
            let other_name = self.guest(other).name().to_string();
            let other_host = self.host(self.guest(other).host).name().to_string();
            warnings.push(Error::GuestImageInUse {
                guest: name.clone(),
                host: host_name.clone(),
                other: other_name.clone(),
                other_host: other_host.clone(),
                path: path.clone(),
            });
            self.guest_mut(other)
                .disk_fault
                .get_or_insert(format!("{name} on {host_name} writes its image {path} too"));
            self.guest_mut(guest).disk_fault.get_or_insert(format!(
                "{other_name} on {other_host} writes its image {path} too"
            ));
            if let Some(fs) = self.fs_at_mut(host, &location) {
                fs.mark_corrupted(&inner);
            }
        }
        let corrupted = self
            .fs_at(host, &location)
            .and_then(|fs| fs.file(&inner))
            .is_some_and(|f| f.corrupted);
        if warnings.is_empty() && corrupted {
            self.guest_mut(guest).disk_fault = Some(format!(
                "its image {path} was corrupted when two guests wrote it at once"
            ));
            warnings.extend(self.guest_disk_error(guest));
        }
        Ok(warnings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contents_read_like_english() {
        assert_eq!(describe_images(0, &[]), "no guest images yet");
        assert_eq!(
            describe_images(1, &["web1"]),
            "1 guest image (web1 runs from one)"
        );
        assert_eq!(
            describe_images(3, &["a", "b"]),
            "3 guest images (a and b run from them)"
        );
    }
}
