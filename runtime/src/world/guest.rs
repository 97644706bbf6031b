//! Guests, their workloads and files, and the client PCs that use them (report §2.5, §3).
//!
//! A guest is defined on a host with its disk on a storage volume and its card on a host
//! bridge; it runs on exactly one host at a time (live migration moves it). What it holds
//! in memory is its [`Workload`]; files it serves have content by identity
//! ([`crate::world::content`]), so a 4 GB ISO costs nothing to hold or to check.

use super::net::ip::Ipv4Cidr;
use super::{HostId, SwitchId, World};
use crate::error::{Error, Result};
use crate::world::content::{ContentId, Contents};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct GuestId(pub(crate) usize);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct ClientId(pub(crate) usize);

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GuestState {
    /// Defined, never installed: its disk is empty.
    Defined,
    Running,
    Paused,
    #[serde(rename = "shut off")]
    ShutOff,
    /// Its definition is gone: it was on a host's disks that a reinstall erased.
    Undefined,
}

impl GuestState {
    pub fn name(self) -> &'static str {
        match self {
            GuestState::Defined => "defined",
            GuestState::Running => "running",
            GuestState::Paused => "paused",
            GuestState::ShutOff => "shut off",
            GuestState::Undefined => "undefined",
        }
    }
}

/// Where the guest's disk is: a volume of a storage pool.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GuestDisk {
    /// The host and pool the volume was created in.
    pub host: HostId,
    pub pool: String,
    /// The volume's path as the defining host sees it, e.g. /iscsi1/centos-nz2.img.
    pub path: String,
    /// raw or qcow2.
    pub format: String,
    pub capacity: u64,
    /// Bytes the volume takes on its storage (sparse volumes grow as the guest writes).
    pub allocation: u64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GuestSpec {
    pub name: String,
    pub memory: u64,
    pub vcpus: u32,
    pub os_variant: String,
    /// i686 or x86_64.
    pub arch: String,
    /// kvm or qemu.
    pub virt_type: String,
    pub iso: Option<String>,
    pub disk: GuestDisk,
    pub bridge: String,
    /// The guest's address on the bridge's network (its own ifcfg-eth0), if configured.
    pub address: Option<Ipv4Cidr>,
    /// none, directsync, writethrough, writeback, unsafe or default.
    pub cache: String,
    /// What QEMU does when the disk's I/O fails (libvirt's `error_policy`).
    #[serde(skip_serializing_if = "ErrorPolicy::is_default")]
    pub error_policy: ErrorPolicy,
}

/// libvirt's `<driver error_policy=...>`: what QEMU does with a failed write (and a failed
/// read, as libvirt sets `rerror` alike). Unset, QEMU's own defaults apply: `werror=enospc`,
/// `rerror=report`, so an I/O error other than a full disk reaches the guest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorPolicy {
    #[default]
    Default,
    /// The guest sees the error.
    Report,
    /// QEMU pauses the guest and keeps the request to retry at `virsh resume`.
    Stop,
    /// Pauses on a full disk only, reports other errors (QEMU's default for writes).
    Enospace,
    /// The request is dropped and the guest told it succeeded.
    Ignore,
}

impl ErrorPolicy {
    pub const NAMES: &'static [&'static str] = &["default", "report", "stop", "enospace", "ignore"];

    pub fn parse(name: &str) -> Option<ErrorPolicy> {
        Some(match name {
            "default" => ErrorPolicy::Default,
            "report" => ErrorPolicy::Report,
            "stop" => ErrorPolicy::Stop,
            "enospace" => ErrorPolicy::Enospace,
            "ignore" => ErrorPolicy::Ignore,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    pub fn is_default(&self) -> bool {
        *self == ErrorPolicy::Default
    }

    /// The `<driver>` element's attribute for it, with its leading space; none for the
    /// default, which leaves QEMU's own.
    pub fn driver_attribute(self) -> String {
        match self {
            ErrorPolicy::Default => String::new(),
            policy => format!(" error_policy='{}'", policy.name()),
        }
    }
}

/// What failed I/O on a lost storage path did to a guest ([`crate::world::iscsi_paths`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IoFailure {
    /// Lab time the I/O failed.
    pub at: crate::time::LabTime,
    pub effect: IoEffect,
    /// What failed it, in words.
    pub cause: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IoEffect {
    /// The guest saw the errors and its file system went read-only, until it restarts.
    ReadOnly,
    /// QEMU paused it (`paused (ioerror)`) until `virsh resume`.
    Paused,
}

/// The fastest a guest can dirty memory: 64 GiB/s, beyond any machine's memory bus.
pub const MAX_DIRTY_RATE: f64 = 64.0 * 1024.0 * 1024.0 * 1024.0;

/// What the guest keeps in memory and how fast it rewrites it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Workload {
    /// Bytes holding data (not zero pages).
    pub used: u64,
    /// The working set the guest keeps writing.
    pub wss: u64,
    /// Unique pages dirtied per second, as bytes per second.
    pub dirty_rate: f64,
    /// Memory at the top of RAM the guest never touched (the rest of what is not used was
    /// touched and zeroed, as a running OS's free memory is).
    pub untouched: u64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Guest {
    pub spec: GuestSpec,
    pub host: HostId,
    pub state: GuestState,
    pub mac: String,
    pub uuid: String,
    pub workload: Workload,
    #[serde(skip)]
    pub files: BTreeMap<String, Contents>,
    /// Why the guest's disk gives I/O errors (its file system was written over, or another
    /// guest writes its image too); see [`crate::world::damage`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disk_fault: Option<String>,
    /// What a lost storage path did to it, until it is resumed or restarted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub io_failure: Option<IoFailure>,
    /// What `virsh migrate-setspeed` and `migrate-setmaxdowntime` set for its migrations.
    #[serde(skip_serializing_if = "MigrationLimits::is_unset")]
    pub migration_limits: MigrationLimits,
}

/// A guest's own migration settings, kept by libvirt with the running domain and used by
/// every later `virsh migrate` of it; `None` leaves the migration's own setting.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct MigrationLimits {
    /// Bytes/s.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bandwidth: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub downtime_ms: Option<f64>,
}

impl MigrationLimits {
    pub fn is_unset(&self) -> bool {
        *self == MigrationLimits::default()
    }
}

impl Guest {
    pub fn name(&self) -> &str {
        &self.spec.name
    }
}

/// A PC on a switch, such as the report's Windows FTP client.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Client {
    pub name: String,
    pub switch: SwitchId,
    pub address: Ipv4Cidr,
    /// The card's speed in bytes/s.
    pub nic_speed: f64,
}

/// Memory a host keeps for itself and its qemu processes.
const HOST_RESERVED_MEMORY: u64 = 1 << 30;

/// Memory a freshly booted CentOS 5 guest holds: kernel, daemons, a little page cache.
const BOOTED_GUEST_USED: u64 = 96 << 20;

impl World {
    pub fn add_guest(&mut self, host: HostId, spec: GuestSpec, seed: u64) -> Result<GuestId> {
        self.require_libvirtd(host)?;
        self.check_guest_name(&spec.name)?;
        super::capacity::room("guests", self.guests.len(), super::capacity::GUESTS)?;
        let (mac, uuid) = super::domain_xml::identity(seed, &spec.name);
        let workload = Workload {
            used: BOOTED_GUEST_USED.min(spec.memory),
            wss: 0,
            dirty_rate: 0.0,
            untouched: 0,
        };
        self.guests.push(Guest {
            spec,
            host,
            state: GuestState::Defined,
            mac,
            uuid,
            workload,
            files: BTreeMap::new(),
            disk_fault: None,
            io_failure: None,
            migration_limits: MigrationLimits::default(),
        });
        Ok(GuestId(self.guests.len() - 1))
    }

    fn check_guest_name(&self, name: &str) -> Result<()> {
        if let Some(g) = self
            .guests
            .iter()
            .find(|g| g.name() == name && g.state != GuestState::Undefined)
        {
            let host = self.host(g.host).name();
            return Err(Error::DuplicateName {
                kind: "guest".into(),
                name: name.into(),
                help: format!(
                    "{name} is defined on {host} ({}): one guest is one machine, whichever host runs it; to run it on another host, migrate it (`migrate(HOST)`); a second guest needs its own name and its own volume",
                    g.state.name()
                ),
            });
        }
        Ok(())
    }

    pub fn guest(&self, id: GuestId) -> &Guest {
        &self.guests[id.0]
    }

    pub fn guest_mut(&mut self, id: GuestId) -> &mut Guest {
        &mut self.guests[id.0]
    }

    pub fn guests(&self) -> impl Iterator<Item = (GuestId, &Guest)> {
        self.guests.iter().enumerate().map(|(i, g)| (GuestId(i), g))
    }

    /// Memory taken by the running or paused guests of a host.
    pub fn guest_memory_on(&self, host: HostId) -> u64 {
        self.guests
            .iter()
            .filter(|g| {
                g.host == host && matches!(g.state, GuestState::Running | GuestState::Paused)
            })
            .map(|g| g.spec.memory)
            .sum()
    }

    /// Memory a host can still give guests: its RAM less its own share and running guests.
    pub fn free_guest_memory(&self, host: HostId) -> u64 {
        self.host(host)
            .spec()
            .memory
            .saturating_sub(HOST_RESERVED_MEMORY)
            .saturating_sub(self.guest_memory_on(host))
    }

    pub fn add_client(&mut self, client: Client) -> Result<ClientId> {
        super::switch::check_name(&client.name, "client spec")?;
        super::switch::check_speed(client.nic_speed, "client spec")?;
        if self.clients.iter().any(|c| c.name == client.name) {
            return Err(Error::DuplicateName {
                kind: "client".into(),
                name: client.name,
                help: "names identify the lab's machines in reports: give each client its own"
                    .into(),
            });
        }
        super::capacity::room("clients", self.clients.len(), super::capacity::CLIENTS)?;
        self.clients.push(client);
        Ok(ClientId(self.clients.len() - 1))
    }

    pub fn client(&self, id: ClientId) -> &Client {
        &self.clients[id.0]
    }

    pub fn clients(&self) -> impl Iterator<Item = (ClientId, &Client)> {
        self.clients
            .iter()
            .enumerate()
            .map(|(i, c)| (ClientId(i), c))
    }

    /// A file of `size` bytes of fresh content on a host, e.g. an ISO image.
    pub fn put_host_blob(&mut self, host: HostId, path: &str, size: u64) -> Contents {
        let contents = Contents::original(self.fresh_content(), size);
        self.blobs
            .insert((host, path.to_string()), contents.clone());
        contents
    }

    /// An id no content of this world has had: every new file is different data.
    fn fresh_content(&mut self) -> ContentId {
        self.contents_made += 1;
        ContentId(self.contents_made)
    }

    pub fn host_blob(&self, host: HostId, path: &str) -> Option<&Contents> {
        self.blobs.get(&(host, path.to_string()))
    }

    /// Puts a file on a guest (fresh content when `contents` is `None`); returns its digest.
    pub fn put_guest_file(
        &mut self,
        guest: GuestId,
        path: &str,
        size: u64,
        contents: Option<Contents>,
    ) -> Result<String> {
        let g = &self.guests[guest.0];
        if !g.files.contains_key(path) {
            let what = format!("files served by {}", g.name());
            super::capacity::room(&what, g.files.len(), super::capacity::GUEST_FILES)?;
        }
        let contents = contents.unwrap_or_else(|| Contents::original(self.fresh_content(), size));
        let digest = contents.sha256();
        self.guests[guest.0]
            .files
            .insert(path.to_string(), contents);
        Ok(digest)
    }

    /// Writes a copy of the guest's image from `from`'s file system into `to`'s at the same
    /// path (a migration's `copy_storage`), so the guest can boot there later.
    pub(crate) fn copy_image(&mut self, guest: GuestId, from: HostId, to: HostId) {
        let path = self.guests[guest.0].spec.disk.path.clone();
        let image = self
            .locate(from, &path)
            .and_then(|(m, inner)| self.fs_at(from, &m.location)?.file(&inner).cloned());
        let target = self
            .locate(to, &path)
            .map(|(m, inner)| (m.location.clone(), inner));
        if let (Some(image), Some((location, inner))) = (image, target) {
            if let Some(fs) = self.fs_at_mut(to, &location) {
                if fs.file(&inner).is_none() {
                    fs.add_file(&inner, image);
                }
            }
        }
    }

    /// Whether `host` sees the guest's disk: the same bytes at the same path.
    pub fn disk_visible_from(&self, guest: GuestId, host: HostId) -> bool {
        let disk = &self.guests[guest.0].spec.disk;
        self.pool_shared_with(disk.host, &disk.pool, host)
            .unwrap_or(false)
    }
}
