//! Help lines from what the world knows: which disk is the host's own and which is the
//! iSCSI LUN, why a LUN that was there is gone, and which network files are not in effect.
//!
//! A generic hint ("did you mean `/dev/sda`?", "mount it as ext4") can point a trainee at the
//! host's own system disk, where following it destroys the machine. These functions look at
//! the host as it is and name the right device, or the step that brings it back.

use super::host::storage::{BlockDevice, DiskRef, FsLocation};
use super::net::shell::ShellVars;
use super::storage::blockdev::WHOLE_DEVICE;
use super::volumes::Resolved;
use super::{HostId, World};
use crate::error::Error;

/// What the trainee was doing to a device, for the call the advice proposes instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DiskUse {
    /// `mkfs.TYPE DEVICE`.
    Mkfs,
    /// `mount DEVICE DIR`.
    Mount,
    /// `parted DISK mklabel|mkpart|rm`.
    Parted,
    /// A line of /etc/fstab.
    Fstab,
}

impl World {
    /// Whether `disk` is one of the host's own disks holding its system: a local disk with
    /// a file system of this host mounted from it.
    pub(crate) fn is_system_disk(&self, host: HostId, disk: &DiskRef) -> bool {
        matches!(disk, DiskRef::Local { .. })
            && self
                .host(host)
                .storage()
                .mounts()
                .iter()
                .any(|m| matches!(&m.location, FsLocation::Block { disk: d, .. } if d == disk))
    }

    /// Whether mounting a system-disk location on `dir` is the system's own mount: no
    /// other directory has it mounted, and /etc/fstab does not place it elsewhere.
    pub(crate) fn is_own_system_mount(&self, host: HostId, resolved: &Resolved, dir: &str) -> bool {
        let location = resolved.location();
        let h = self.host(host);
        if h.storage().mounts().iter().any(|m| m.location == location) {
            return false;
        }
        let Ok(fstab) = h.fstab() else {
            return true;
        };
        fstab
            .entries
            .iter()
            .filter(|e| {
                self.resolve_device(host, &e.source)
                    .is_some_and(|r| r.location() == location)
            })
            .all(|e| e.target == dir)
    }

    /// What a device of the system disk holds, e.g. `ext4, mounted on /` for a partition
    /// or `/dev/sda1 on /, /dev/sda2 on /guest` for the whole disk.
    fn system_contents(&self, host: HostId, resolved: &Resolved) -> String {
        let mounts: Vec<_> = self
            .host(host)
            .storage()
            .mounts()
            .iter()
            .filter(|m| match &m.location {
                FsLocation::Block { disk, partition } => {
                    *disk == resolved.disk
                        && (resolved.partition == WHOLE_DEVICE || *partition == resolved.partition)
                }
                FsLocation::NasData { .. } => false,
            })
            .collect();
        if resolved.partition == WHOLE_DEVICE {
            let list: Vec<String> = mounts
                .iter()
                .map(|m| format!("{} on {}", m.source, m.dir))
                .collect();
            return list.join(", ");
        }
        let fs = self
            .contents(host, &resolved.disk)
            .fs(resolved.partition)
            .map(|f| f.fstype().name().to_string());
        match (fs, mounts.first()) {
            (Some(fs), Some(m)) => format!("{fs}, mounted on {}", m.dir),
            (Some(fs), None) => format!("{fs}, a partition of {}", resolved.disk_path),
            (None, _) => format!(
                "a partition of {} with no file system, such as its swap",
                resolved.disk_path
            ),
        }
    }

    /// The `system_disk` error when `resolved` is on the host's own system disk.
    pub(crate) fn refuse_system_disk(
        &self,
        host: HostId,
        resolved: &Resolved,
        operation: &str,
        usage: DiskUse,
    ) -> Result<(), Error> {
        if !self.is_system_disk(host, &resolved.disk) {
            return Ok(());
        }
        Err(self.system_disk_error(host, resolved, operation, usage))
    }

    /// A help line for a device of the system disk: what it is here, and the iSCSI disk.
    pub(crate) fn system_disk_help(
        &self,
        host: HostId,
        resolved: &Resolved,
        usage: DiskUse,
    ) -> String {
        let what = if resolved.partition == WHOLE_DEVICE {
            "system disk"
        } else {
            "system partition"
        };
        format!(
            "{} is {}'s own {what} ({}), not the iSCSI disk; {}",
            resolved.device,
            self.host(host).name(),
            self.system_contents(host, resolved),
            self.iscsi_disk_advice(host, usage)
        )
    }

    pub(crate) fn system_disk_error(
        &self,
        host: HostId,
        resolved: &Resolved,
        operation: &str,
        usage: DiskUse,
    ) -> Error {
        let what = if resolved.partition == WHOLE_DEVICE {
            "system disk"
        } else {
            "system partition"
        };
        Error::SystemDisk {
            host: self.host(host).name().into(),
            operation: operation.into(),
            device: resolved.device.clone(),
            what: format!("{what} ({})", self.system_contents(host, resolved)),
            help: self.iscsi_disk_advice(host, usage),
        }
    }

    /// Where the iSCSI disk is on this host and the call to use on it; or why there is
    /// none and the step that attaches it.
    pub(crate) fn iscsi_disk_advice(&self, host: HostId, usage: DiskUse) -> String {
        let h = self.host(host);
        let name = h.name();
        let luns: Vec<&BlockDevice> = h
            .storage()
            .devices()
            .into_iter()
            .filter(|d| d.iscsi.is_some())
            .collect();
        if let Some(lun) = luns.first() {
            let list: Vec<String> = luns
                .iter()
                .filter_map(|d| {
                    let p = d.iscsi.as_ref()?;
                    Some(format!("{} (LUN {} of {})", d.path(), p.lun, p.target))
                })
                .collect();
            let disk = lun.path();
            let contents = self.contents(host, &lun.disk);
            let first = contents
                .disk
                .partitions()
                .first()
                .map(|p| format!("{disk}{}", p.number));
            let call = match (usage, first) {
                (DiskUse::Parted, _) => format!("partition it: `{name}.disk(\"{disk}\")`"),
                (DiskUse::Mkfs, Some(part)) => {
                    format!("make the file system there: `{name}.mkfs(\"ext3\", \"{part}\")`")
                }
                (DiskUse::Mount, Some(part)) => {
                    format!("mount its partition: `{name}.mount(\"{part}\", DIR, \"ext3\")`")
                }
                (DiskUse::Fstab, Some(part)) => {
                    format!("name its partition in the line instead ({part}, or its UUID=), with `_netdev`")
                }
                (_, None) => format!(
                    "partition it first: `{name}.disk(\"{disk}\").mklabel(\"gpt\")`, then `mkpart`"
                ),
            };
            return format!(
                "the iSCSI disk on {name} is {}: {call}; `{name}.disks()` (fdisk -l) shows which disk is which",
                list.join(", ")
            );
        }
        if let Some(advice) = self.lost_session_advice(host) {
            return advice;
        }
        let next = h.storage().next_disk_name();
        let discovered = h
            .storage()
            .initiator()
            .and_then(|i| i.nodes().iter().find(|n| i.session(&n.target).is_none()));
        match discovered {
            Some(node) => format!(
                "{name} has no session to {}: log in (`{name}.iscsi_login(\"{}\")`), and the LUN appears as /dev/{next}",
                node.target, node.target
            ),
            None => format!(
                "{name} has no iSCSI disk yet: discover the NAS and log in (`{name}.iscsi_discover(PORTAL)`, `{name}.iscsi_login(IQN)`); the LUN then appears as /dev/{next}"
            ),
        }
    }

    /// The help for a device name that does not exist on the host: a did-you-mean among
    /// the disks that are not the system disk, what each disk is, and how the LUN comes.
    pub(crate) fn missing_device_help(&self, host: HostId, asked: &str) -> String {
        if let Some(lost) = self.lost_session_advice(host) {
            return lost;
        }
        let devices = self.host(host).storage().devices();
        let usable: Vec<String> = devices
            .iter()
            .filter(|d| !self.is_system_disk(host, &d.disk))
            .map(|d| d.path())
            .collect();
        let guess = crate::suggest::closest(asked, usable.iter().map(String::as_str))
            .map(|c| format!("did you mean `{c}`? "))
            .unwrap_or_default();
        let list: Vec<String> = devices
            .iter()
            .map(|d| match &d.iscsi {
                Some(p) => format!("{} (LUN {} of {})", d.path(), p.lun, p.target),
                None if self.is_system_disk(host, &d.disk) => {
                    format!("{} (its system disk)", d.path())
                }
                None => d.path(),
            })
            .collect();
        let tail = if devices.iter().any(|d| d.iscsi.is_some()) {
            "disk names are this host's own: the same LUN may be sdb here and sdc elsewhere, which is why fstab should name it by UUID= or /dev/disk/by-path".to_string()
        } else {
            self.iscsi_disk_advice(host, DiskUse::Mount)
        };
        format!("{guess}this host's disks: {}; {tail}", list.join(", "))
    }

    /// Why a session the last reboot ended is still gone: the iscsi service is off at
    /// boot, the record is not logged in to automatically, or the boot's login failed.
    pub(crate) fn lost_session_advice(&self, host: HostId) -> Option<String> {
        let h = self.host(host);
        let name = h.name();
        let initiator = h.storage().initiator()?;
        let node = initiator.nodes().iter().find(|n| {
            initiator.session(&n.target).is_none() && initiator.lost_at_reboot(&n.target)
        })?;
        let target = &node.target;
        if node.automatic && !h.packages().is_enabled("iscsi") {
            return Some(format!(
                "the iSCSI session to {target} was not restored at boot because the iscsi service is off: run `chkconfig iscsi on` (`{name}.chkconfig(\"iscsi\", true)`) so the next boot logs in, and `service iscsi start` (`{name}.service(\"iscsi\").start()`) to log in now"
            ));
        }
        if !node.automatic {
            return Some(format!(
                "the iSCSI session to {target} ended with the reboot and its node record is not logged in at boot (node.startup = manual): log in again (`{name}.iscsi_login(\"{target}\")`)"
            ));
        }
        Some(format!(
            "the iscsi service could not log in to {target} at boot (the reboot's warnings say why): fix that, then log in (`{name}.iscsi_login(\"{target}\")`)"
        ))
    }
}

impl World {
    /// When network config files changed since `service network restart` last ran on
    /// `host`: which, and the command that applies them.
    pub(crate) fn unapplied_network_advice(&self, host: HostId) -> Option<String> {
        let h = self.host(host);
        let (files, ran) = h.unapplied_network_files();
        if files.is_empty() {
            return None;
        }
        let files_text = files.join(", ");
        let command = format!(
            "run `service network restart` (`{}.service(\"network\").restart()`)",
            h.name()
        );
        Some(if ran {
            format!("{files_text} changed since the last `service network restart`, so the interfaces do not use {}: {command}", if files.len() == 1 { "it" } else { "them" })
        } else {
            format!("the network service has not run since the install, so {files_text} {} not in effect: {command}", if files.len() == 1 { "is" } else { "are" })
        })
    }
}

impl World {
    /// The host whose network files, written but not yet applied, give it `address`: a ping
    /// to it fails only because that host's `service network restart` has not run.
    pub(crate) fn unapplied_address_advice(&self, address: std::net::Ipv4Addr) -> Option<String> {
        self.hosts().find_map(|(_, h)| {
            let (files, _) = h.unapplied_network_files();
            let file = files.into_iter().find(|file| {
                h.read_file(file).is_ok_and(|text| {
                    ShellVars::parse(file, text)
                        .value("IPADDR")
                        .and_then(|a| a.trim().parse::<std::net::Ipv4Addr>().ok())
                        == Some(address)
                })
            })?;
            let name = h.name();
            Some(format!(
                "{address} is set in {name}'s {file}, which is not in effect yet: run `service network restart` on {name} (`{name}.service(\"network\").restart()`)"
            ))
        })
    }
}

impl World {
    /// Help for mounting a device that holds no file system. For a whole disk with
    /// partitions, it names them: `mkfs` on the disk itself would wipe its partition table.
    /// For an empty partition, the `mkfs` call on that very partition.
    pub(crate) fn no_file_system_help(
        &self,
        host: HostId,
        resolved: &Resolved,
        fstype: &str,
    ) -> String {
        let name = self.host(host).name();
        let fstype = match fstype {
            "" | "auto" => "ext3",
            other => other,
        };
        let device = &resolved.device;
        if resolved.partition != WHOLE_DEVICE {
            return format!(
                "{device} holds no file system yet: make one there (`{name}.mkfs(\"{fstype}\", \"{device}\")`), then mount it"
            );
        }
        let contents = self.contents(host, &resolved.disk);
        let partitions: Vec<(String, Option<&str>)> = contents
            .disk
            .partitions()
            .iter()
            .map(|p| {
                (
                    format!("{}{}", resolved.disk_path, p.number),
                    contents.fs(p.number).map(|f| f.fstype().name()),
                )
            })
            .collect();
        let Some((first, _)) = partitions.first() else {
            return format!(
                "{device} is a whole disk with no partitions yet: partition it (`{name}.disk(\"{device}\").mklabel(\"gpt\")`, then `mkpart`), make the file system on the partition (`{name}.mkfs(\"{fstype}\", \"{device}1\")`) and mount the partition"
            );
        };
        let list: Vec<String> = partitions
            .iter()
            .map(|(p, fs)| format!("{p}: {}", fs.unwrap_or("no file system")))
            .collect();
        let call = match partitions.iter().find_map(|(p, fs)| Some((p, (*fs)?))) {
            Some((partition, fs)) => {
                format!("mount the partition: `{name}.mount(\"{partition}\", DIR, \"{fs}\")`")
            }
            None => format!(
                "make the file system on a partition (`{name}.mkfs(\"{fstype}\", \"{first}\")`) and mount the partition"
            ),
        };
        format!(
            "{device} is the whole disk and holds a partition table ({}): {call}; mkfs on the whole disk would wipe that table",
            list.join(", ")
        )
    }
}
