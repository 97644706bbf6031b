//! libvirt storage pools on a host, as virt-manager's "Add a New Storage Pool" makes them:
//! defined, started and marked autostart at once. Pools are the host's (a reinstall wipes
//! them) and are named as virsh names them, by host and pool name.
//!
//! - `dir`: an existing directory; its volumes are files in whatever file system holds it
//!   (a dir pool on /iscsi1 before the LUN is mounted fills the root disk).
//! - `fs`: a block device libvirt mounts on the target directory when the pool starts.
//! - `netfs`: an NFS export libvirt mounts on the target directory.
//! - `iscsi`: a target libvirt logs in to; its volumes are the LUNs (`unit:0:0:N`, reached
//!   by their /dev/disk/by-path names), and volumes cannot be created, only LUNs on the NAS.
//!
//! Capacity, allocation and available come from statfs of the file system (as libvirt
//! computes them: f_blocks, f_blocks − f_bfree and f_bavail, times the block size), or from
//! the LUN sizes. A raw volume allocates what was asked (0 = sparse); qcow2 starts with its
//! metadata. Allocating takes time on ext2/ext3 and NFS, which have no fallocate: glibc's
//! posix_fallocate writes every block. libvirtd runs as root, so it may use the blocks ext
//! reserves for root.
//!
//! [`World::pool_shared_with`] answers the question live migration asks: does the other
//! host see this pool's volumes, the same bytes at the same paths?

use super::host::storage::{DiskRef, FsLocation};
use super::storage::blockdev::{ImageFile, VolumeFormat};
use super::storage::fs::FsType;
use super::storage::iqn::Iqn;
use super::volumes::{serialize_seconds, HOST_KERNEL};
use super::{HostId, World};
use crate::error::{Error, Result};
use crate::suggest;
use crate::time::LabTime;
use crate::units::human_sizes_apart;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PoolKind {
    Dir,
    Fs,
    Netfs,
    Iscsi,
}

impl PoolKind {
    pub fn parse(text: &str) -> Result<PoolKind> {
        match text {
            "dir" => Ok(PoolKind::Dir),
            "fs" => Ok(PoolKind::Fs),
            "netfs" => Ok(PoolKind::Netfs),
            "iscsi" => Ok(PoolKind::Iscsi),
            _ => Err(Error::BadValue {
                key: "type".into(),
                what: "pool spec".into(),
                reason: format!("`{text}` is not a pool type kvmlab models"),
                help: "use \"dir\" (a directory), \"fs\" (a block device libvirt mounts), \"netfs\" (an NFS export) or \"iscsi\" (a target's LUNs)".into(),
            }),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            PoolKind::Dir => "dir",
            PoolKind::Fs => "fs",
            PoolKind::Netfs => "netfs",
            PoolKind::Iscsi => "iscsi",
        }
    }
}

/// A pool as virt-manager's wizard asks for it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PoolSpec {
    pub name: String,
    pub kind: PoolKind,
    /// The target path: the directory (dir, fs, netfs) or `/dev/disk/by-path` (iscsi).
    pub target: String,
    /// fs: the device to mount, e.g. `/dev/sdb1` or `UUID=…`.
    pub source_device: Option<String>,
    /// netfs: the NFS server; iscsi: the portal address.
    pub source_host: Option<String>,
    /// netfs: the exported directory.
    pub source_path: Option<String>,
    /// iscsi: the target's IQN.
    pub source_target: Option<String>,
    /// Started by libvirtd at boot (virt-manager's default).
    pub autostart: bool,
}

impl PoolSpec {
    /// A directory pool, autostarted: the report's `iscsi1` on /iscsi1.
    pub fn dir(name: &str, target: &str) -> PoolSpec {
        PoolSpec {
            name: name.into(),
            kind: PoolKind::Dir,
            target: target.into(),
            source_device: None,
            source_host: None,
            source_path: None,
            source_target: None,
            autostart: true,
        }
    }

    fn require(&self, value: &Option<String>, key: &str, example: &str) -> Result<String> {
        value.clone().ok_or_else(|| Error::MissingKey {
            key: key.into(),
            what: format!("{} pool spec", self.kind.name()),
            help: format!("a {} pool needs `{key}`, e.g. {example}", self.kind.name()),
        })
    }
}

/// A defined pool.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Pool {
    pub spec: PoolSpec,
    active: bool,
}

impl Pool {
    pub fn active(&self) -> bool {
        self.active
    }

    pub(crate) fn set_active(&mut self, active: bool) {
        self.active = active;
    }
}

/// `virsh pool-info`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PoolInfo {
    pub name: String,
    pub kind: PoolKind,
    pub active: bool,
    pub capacity: u64,
    pub allocation: u64,
    pub available: u64,
}

/// A volume of a pool.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Volume {
    pub name: String,
    /// The path guests' disks name, e.g. `/iscsi1/centos-nz2.img`.
    pub path: String,
    pub capacity: u64,
    pub allocation: u64,
    pub format: VolumeFormat,
}

/// A volume to create.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VolumeSpec {
    pub name: String,
    pub capacity: u64,
    pub format: VolumeFormat,
    /// Bytes to allocate now (raw; 0 = sparse). qcow2 always starts with its metadata.
    pub allocation: u64,
}

/// A new volume and how long allocating it took.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CreatedVolume {
    pub volume: Volume,
    #[serde(serialize_with = "serialize_seconds")]
    pub duration: LabTime,
}

fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

impl World {
    /// Refuses a virsh command on a host whose libvirtd is not running: virsh cannot
    /// connect to the hypervisor (the guests running there keep running).
    pub fn require_libvirtd(&self, host: HostId) -> Result<()> {
        let h = self.host(host);
        h.require_command("virsh")?;
        if !h.packages().is_running("libvirtd") {
            return Err(Error::ServiceNotRunning {
                host: h.name().into(),
                service: "libvirtd".into(),
                what: "virsh cannot connect to the hypervisor".into(),
                help: "start it: `service libvirtd start` (and `chkconfig libvirtd on` so it starts at boot)".into(),
            });
        }
        Ok(())
    }

    /// Defines a pool, starts it and marks it autostart as the spec says, like virt-manager.
    /// A pool that fails to start is not kept. Returns the warnings starting it raised
    /// (mounting a shared ext3 file system from a second host).
    pub fn define_pool(&mut self, host: HostId, spec: PoolSpec) -> Result<Vec<Error>> {
        let name = spec.name.clone();
        self.define_pool_inactive(host, spec)?;
        self.start_pool(host, &name).inspect_err(|_| {
            self.hosts[host.0].storage_mut().pools_mut().pop();
        })
    }

    /// `virsh pool-define-as`: the pool is defined, inactive, and starts at boot only if
    /// its spec says so; nothing on the host is checked until it starts.
    pub fn define_pool_inactive(&mut self, host: HostId, spec: PoolSpec) -> Result<()> {
        self.require_libvirtd(host)?;
        let h = self.host(host);
        if h.storage().pools().iter().any(|p| p.spec.name == spec.name) {
            return Err(Error::DuplicatePool {
                host: h.name().into(),
                name: spec.name.clone(),
            });
        }
        super::switch::check_name(&spec.name, "pool spec")?;
        let what = format!("storage pools on {}", h.name());
        super::capacity::room(&what, h.storage().pools().len(), super::capacity::POOLS)?;
        super::host::fs::check_path(&spec.target)?;
        match spec.kind {
            PoolKind::Dir => {}
            PoolKind::Fs => {
                spec.require(&spec.source_device, "source_device", "\"/dev/sdb1\"")?;
            }
            PoolKind::Netfs => {
                spec.require(&spec.source_host, "source_host", "\"10.10.1.10\"")?;
                spec.require(&spec.source_path, "source_path", "\"/raid0/data/vm\"")?;
            }
            PoolKind::Iscsi => {
                spec.require(&spec.source_host, "source_host", "\"10.10.1.10\"")?;
                spec.require(&spec.source_target, "source_target", "the target's IQN")?;
            }
        }
        self.hosts[host.0].storage_mut().pools_mut().push(Pool {
            spec,
            active: false,
        });
        Ok(())
    }

    /// `virsh pool-autostart [--disable]`.
    pub fn set_pool_autostart(&mut self, host: HostId, name: &str, on: bool) -> Result<()> {
        self.pool_mut(host, name)?.spec.autostart = on;
        Ok(())
    }

    /// The host's pool `name`, or libvirt's "Storage pool not found".
    pub fn pool(&self, host: HostId, name: &str) -> Result<&Pool> {
        let h = self.host(host);
        let pools = h.storage().pools();
        pools.iter().find(|p| p.spec.name == name).ok_or_else(|| {
            let names: Vec<&str> = pools.iter().map(|p| p.spec.name.as_str()).collect();
            Error::UnknownPool {
                host: h.name().into(),
                name: name.into(),
                help: suggest::help_for(name, "this host's pools", &names),
            }
        })
    }

    fn pool_mut(&mut self, host: HostId, name: &str) -> Result<&mut Pool> {
        self.pool(host, name)?;
        Ok(self.hosts[host.0]
            .storage_mut()
            .pools_mut()
            .iter_mut()
            .find(|p| p.spec.name == name)
            .expect("just found"))
    }

    /// `virsh pool-start`: mounts (fs, netfs) or logs in (iscsi) as the type needs.
    pub fn start_pool(&mut self, host: HostId, name: &str) -> Result<Vec<Error>> {
        let pool = self.pool(host, name)?.clone();
        let spec = &pool.spec;
        let missing_target = |world: &World| Error::PoolTargetMissing {
            host: world.host(host).name().into(),
            name: spec.name.clone(),
            path: spec.target.clone(),
        };
        let mut warnings = Vec::new();
        match spec.kind {
            PoolKind::Dir => {
                if !self.host(host).is_dir(&spec.target) {
                    return Err(missing_target(self));
                }
            }
            PoolKind::Fs | PoolKind::Netfs => {
                if !self.host(host).is_dir(&spec.target) {
                    return Err(missing_target(self));
                }
                let (source, fstype) = match spec.kind {
                    PoolKind::Fs => (spec.source_device.clone().unwrap_or_default(), "auto"),
                    _ => (
                        format!(
                            "{}:{}",
                            spec.source_host.clone().unwrap_or_default(),
                            spec.source_path.clone().unwrap_or_default()
                        ),
                        "nfs",
                    ),
                };
                let mounted = self
                    .host(host)
                    .storage()
                    .mounts()
                    .iter()
                    .any(|m| m.dir == spec.target);
                if !mounted {
                    warnings = self.mount(host, &source, &spec.target, fstype)?;
                }
            }
            PoolKind::Iscsi => {
                let portal = spec.source_host.clone().unwrap_or_default();
                let iqn = Iqn::parse(spec.source_target.as_deref().unwrap_or_default())?;
                let logged_in = self
                    .host(host)
                    .storage()
                    .initiator()
                    .is_some_and(|i| i.session(&iqn).is_some());
                if !logged_in {
                    self.iscsi_discover(host, &portal)?;
                    self.login_target(host, &iqn)?;
                }
            }
        }
        self.pool_mut(host, name)?.active = true;
        Ok(warnings)
    }

    fn require_active(&self, host: HostId, name: &str) -> Result<&Pool> {
        let pool = self.pool(host, name)?;
        if pool.active {
            Ok(pool)
        } else {
            Err(Error::PoolInactive {
                host: self.host(host).name().into(),
                name: pool.spec.name.clone(),
            })
        }
    }

    /// The LUNs of an iscsi pool's target the host sees: (lun, size, by-path name).
    fn pool_luns(&self, host: HostId, pool: &Pool) -> Vec<(u32, u64, String)> {
        let iqn = pool.spec.source_target.as_deref().unwrap_or_default();
        self.host(host)
            .storage()
            .devices()
            .into_iter()
            .filter_map(|d| {
                let path = d.iscsi.as_ref().filter(|p| p.target.as_str() == iqn)?;
                let size = self.contents(host, &d.disk).disk.size_bytes();
                Some((path.lun, size, path.by_path()))
            })
            .collect()
    }

    /// `virsh pool-info`: zeros while the pool is inactive, as libvirt reports it.
    pub fn pool_info(&self, host: HostId, name: &str) -> Result<PoolInfo> {
        let pool = self.pool(host, name)?;
        let mut info = PoolInfo {
            name: pool.spec.name.clone(),
            kind: pool.spec.kind,
            active: pool.active,
            capacity: 0,
            allocation: 0,
            available: 0,
        };
        if !pool.active {
            return Ok(info);
        }
        if pool.spec.kind == PoolKind::Iscsi {
            info.capacity = self
                .pool_luns(host, pool)
                .iter()
                .map(|(_, size, _)| size)
                .sum();
            info.allocation = info.capacity;
            return Ok(info);
        }
        if let Some((mount, _)) = self.locate(host, &pool.spec.target) {
            if let Some(fs) = self.fs_at(host, &mount.location) {
                let s = fs.statfs(HOST_KERNEL);
                info.capacity = s.size_bytes();
                info.allocation = s.used_bytes();
                info.available = s.avail_bytes();
            }
        }
        Ok(info)
    }

    /// `virsh vol-create-as POOL NAME CAPACITY --format F --allocation A`.
    pub fn create_volume(
        &mut self,
        host: HostId,
        pool: &str,
        spec: VolumeSpec,
    ) -> Result<CreatedVolume> {
        let pool = self.require_active(host, pool)?.clone();
        if pool.spec.kind == PoolKind::Iscsi {
            return Err(Error::PoolCannotCreateVolumes {
                pool: pool.spec.name.clone(),
                kind: pool.spec.kind.name().into(),
            });
        }
        if spec.name.is_empty() || spec.name.contains('/') || spec.name.starts_with('.') {
            return Err(Error::BadValue {
                key: "name".into(),
                what: "volume spec".into(),
                reason: format!("`{}` cannot name a file in the pool", spec.name),
                help: "give a file name without `/`, e.g. \"centos-nz2.img\"".into(),
            });
        }
        let path = join(&pool.spec.target, &spec.name);
        let (mount, inner) = self
            .locate(host, &path)
            .map(|(m, inner)| (m.clone(), inner))
            .expect("the root file system holds every path");
        self.require_intact(host, &mount)?;
        let fs = self
            .fs_at(host, &mount.location)
            .ok_or_else(|| self.mount_lost(host, &mount))?;
        if fs.file(&inner).is_some() {
            return Err(Error::DuplicateVolume {
                pool: pool.spec.name.clone(),
                name: spec.name.clone(),
            });
        }
        let allocation = spec
            .format
            .initial_allocation(spec.capacity, spec.allocation);
        let statfs = fs.statfs(HOST_KERNEL);
        let free = statfs.free * statfs.block_size;
        if allocation > free {
            let (needed, available) = human_sizes_apart(allocation, free);
            return Err(Error::NoSpace {
                path,
                needed,
                available,
            });
        }
        let fallocate =
            fs.fstype() == FsType::Ext4 && !matches!(mount.location, FsLocation::NasData { .. });
        let address = match &mount.location {
            FsLocation::NasData { .. } => mount
                .source
                .split_once(':')
                .and_then(|(ip, _)| ip.parse().ok()),
            FsLocation::Block { disk, .. } => match disk {
                DiskRef::Local { .. } => None,
                DiskRef::Lun { .. } => self
                    .resolve_device(host, &mount.source)
                    .and_then(|r| r.portal),
            },
        };
        let duration = if fallocate || allocation == 0 {
            LabTime::ZERO
        } else {
            let rate = self.write_rate(host, &mount.location, address);
            LabTime::from_secs_f64(allocation as f64 / rate)
        };
        self.fs_at_mut(host, &mount.location)
            .expect("a mounted file system exists")
            .add_file(
                &inner,
                ImageFile {
                    capacity: spec.capacity,
                    allocation,
                    format: spec.format,
                    corrupted: false,
                },
            );
        Ok(CreatedVolume {
            volume: Volume {
                name: spec.name,
                path,
                capacity: spec.capacity,
                allocation,
                format: spec.format,
            },
            duration,
        })
    }

    /// `virsh vol-list --details`: the files directly in the target directory (dir, fs,
    /// netfs), or the target's LUNs (iscsi).
    pub fn volumes(&self, host: HostId, pool: &str) -> Result<Vec<Volume>> {
        let pool = self.require_active(host, pool)?;
        if pool.spec.kind == PoolKind::Iscsi {
            return Ok(self
                .pool_luns(host, pool)
                .into_iter()
                .map(|(lun, size, by_path)| Volume {
                    name: format!("unit:0:0:{lun}"),
                    path: by_path,
                    capacity: size,
                    allocation: size,
                    format: VolumeFormat::Raw,
                })
                .collect());
        }
        let Some((mount, inner)) = self.locate(host, &pool.spec.target) else {
            return Ok(Vec::new());
        };
        let Some(fs) = self.fs_at(host, &mount.location) else {
            return Ok(Vec::new());
        };
        Ok(fs
            .files_in(&inner)
            .into_iter()
            .map(|(name, file)| Volume {
                name: name.into(),
                path: join(&pool.spec.target, name),
                capacity: file.capacity,
                allocation: file.allocation,
                format: file.format,
            })
            .collect())
    }

    /// Whether `other` sees this pool's volumes: the same bytes at the same paths. A dir,
    /// fs or netfs pool is shared when `other` has the same file system (a LUN's or an NFS
    /// export's, never a local disk's) mounted so that the pool's directory is the same
    /// directory there; an iscsi pool when `other` is logged in to the same target. An
    /// inactive pool shares nothing.
    pub fn pool_shared_with(&self, host: HostId, pool: &str, other: HostId) -> Result<bool> {
        let pool = self.pool(host, pool)?;
        if !pool.active {
            return Ok(false);
        }
        if other == host {
            return Ok(true);
        }
        if pool.spec.kind == PoolKind::Iscsi {
            let target = pool.spec.source_target.as_deref().unwrap_or_default();
            // The target's LUNs a host is logged in to.
            let luns_of = |h: HostId| -> Vec<DiskRef> {
                self.host(h)
                    .storage()
                    .devices()
                    .into_iter()
                    .map(|d| d.disk.clone())
                    .filter(|d| matches!(d, DiskRef::Lun { target: t, .. } if t.as_str() == target))
                    .collect()
            };
            let mine = luns_of(host);
            return Ok(!mine.is_empty() && {
                let theirs = luns_of(other);
                mine.iter().all(|d| theirs.contains(d))
            });
        }
        let (Some((mine, my_path)), Some((theirs, their_path))) = (
            self.locate(host, &pool.spec.target),
            self.locate(other, &pool.spec.target),
        ) else {
            return Ok(false);
        };
        Ok(mine.location.same_storage(&theirs.location) && my_path == their_path)
    }
}
