//! A guest's life as a script drives it, checked against the lab: defining it on a host
//! (memory, vCPUs, ISO and bridge as the host has them), installing it, moving it between
//! libvirt's states, changing its memory and workload, files it serves, the clients that
//! reach it and whether a client can download from it now. Each check answers the error the script sees, naming the key it gave.

use super::content::Contents;
use super::guest::{
    Client, ClientId, GuestId, GuestSpec, GuestState, MigrationLimits, Workload, MAX_DIRTY_RATE,
};
use super::{HostId, World};
use crate::error::{Error, Result};
use crate::units::{human_size, human_sizes_apart};

/// How long installing from the DVD takes: the packages written to the new disk at the
/// disk's pace, plus the installer's own work.
const INSTALL_BYTES: u64 = 2_300_000_000;
const INSTALL_WRITE_RATE: f64 = 25e6;
const INSTALL_FIXED_S: f64 = 240.0;

/// What a script asks of a guest's state (`virsh start`, `shutdown`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuestAction {
    Start,
    Shutdown,
    Destroy,
    Suspend,
    Resume,
}

impl GuestAction {
    pub fn name(self) -> &'static str {
        match self {
            GuestAction::Start => "start",
            GuestAction::Shutdown => "shutdown",
            GuestAction::Destroy => "destroy",
            GuestAction::Suspend => "suspend",
            GuestAction::Resume => "resume",
        }
    }

    /// The states the action applies to, and the state it leaves.
    fn transition(self) -> (&'static [GuestState], GuestState) {
        match self {
            GuestAction::Start => (&[GuestState::ShutOff], GuestState::Running),
            GuestAction::Shutdown => (&[GuestState::Running], GuestState::ShutOff),
            GuestAction::Destroy => (
                &[GuestState::Running, GuestState::Paused],
                GuestState::ShutOff,
            ),
            GuestAction::Suspend => (&[GuestState::Running], GuestState::Paused),
            GuestAction::Resume => (&[GuestState::Paused], GuestState::Running),
        }
    }
}

/// An install checked and ready: how long it takes, and what it would overwrite.
pub struct PreparedInstall {
    pub seconds: f64,
    pub warning: Option<Error>,
}

fn bad(what: &str, key: &str, reason: impl Into<String>, help: impl Into<String>) -> Error {
    Error::BadValue {
        key: key.to_string(),
        what: what.to_string(),
        reason: reason.into(),
        help: help.into(),
    }
}

impl World {
    /// Defines a guest on `host` (`virt-install`), refusing what the host cannot give it.
    pub fn define_guest(&mut self, host: HostId, spec: GuestSpec, seed: u64) -> Result<GuestId> {
        const WHAT: &str = "guest spec";
        let h = self.host(host);
        if spec.virt_type == "kvm" {
            h.kvm_check()?;
        }
        let free = self.free_guest_memory(host);
        if spec.memory == 0 || spec.memory > free {
            let (needed, free) = human_sizes_apart(spec.memory, free);
            return Err(bad(
                WHAT,
                "memory",
                format!(
                    "{needed} does not fit: {} has {free} free for guests",
                    h.name()
                ),
                "give the guest less memory, e.g. \"512M\"",
            ));
        }
        let cpus = h.spec().cpu.cores;
        if spec.vcpus < 1 || spec.vcpus > cpus {
            return Err(bad(
                WHAT,
                "vcpus",
                format!("{} vCPUs on a host with {cpus} cores", spec.vcpus),
                "give 1 up to the host's core count",
            ));
        }
        if let Some(iso) = &spec.iso {
            if self.host_blob(host, iso).is_none() && h.read_file(iso).is_err() {
                return Err(bad(
                    WHAT,
                    "iso",
                    format!("{} has no file {iso}", h.name()),
                    "copy the image to the host first: `h.store_file(path, size)`",
                ));
            }
        }
        let is_bridge = h
            .net()
            .interface(&spec.bridge)
            .is_some_and(|i| i.kind == super::node::InterfaceKind::Bridge);
        if !is_bridge {
            return Err(bad(
                "guest network",
                "bridge",
                format!("{} has no bridge {}", h.name(), spec.bridge),
                "create it first (ifcfg-br0 with TYPE=Bridge, BRIDGE=br0 on the card) and restart the network",
            ));
        }
        self.add_guest(host, spec, seed)
    }

    /// What to do about a guest whose definition a reinstall erased.
    pub fn undefined_help(&self, guest: GuestId) -> String {
        let g = self.guest(guest);
        format!(
            "libvirt's definition of {} was on {}'s disks, which the reinstall erased: define it again with `define_guest`",
            g.name(),
            self.host(g.host).name()
        )
    }

    /// Checks that the guest can be installed from its ISO; the install's length and the
    /// warning for an image another guest runs.
    pub fn prepare_install(&self, guest: GuestId) -> Result<PreparedInstall> {
        let g = self.guest(guest);
        let refused = |help: String| Error::GuestState {
            guest: g.name().into(),
            state: g.state.name().into(),
            action: "install".into(),
            help,
        };
        if g.state == GuestState::Undefined {
            return Err(refused(self.undefined_help(guest)));
        }
        if g.spec.iso.is_none() {
            return Err(refused(
                "define the guest with `iso: \"/guest/iso/...iso\"` to install from it".into(),
            ));
        }
        self.require_bootable(guest)?;
        Ok(PreparedInstall {
            seconds: INSTALL_BYTES as f64 / INSTALL_WRITE_RATE + INSTALL_FIXED_S,
            warning: self.install_over_image(guest),
        })
    }

    /// The install's end: the OS is on the disk and the guest runs.
    pub fn finish_install(&mut self, guest: GuestId) -> Result<Vec<Error>> {
        let disk = &mut self.guest_mut(guest).spec.disk;
        disk.allocation = disk.allocation.max(INSTALL_BYTES.min(disk.capacity));
        let (host, path, allocation) = (disk.host, disk.path.clone(), disk.allocation);
        // The volume's file holds what the install wrote: `vol-info` and `df` see it.
        if let Some((mount, inner)) = self.locate(host, &path).map(|(m, i)| (m.clone(), i)) {
            if let Some(fs) = self.fs_at_mut(host, &mount.location) {
                fs.grow_file(&inner, allocation, super::volumes::HOST_KERNEL);
            }
        }
        self.set_guest_state(guest, GuestState::Running)
    }

    /// Starts, stops, pauses or resumes a guest as libvirt would, refusing an action its
    /// state does not allow.
    pub fn act_on_guest(&mut self, guest: GuestId, action: GuestAction) -> Result<Vec<Error>> {
        let (from, to) = action.transition();
        let g = self.guest(guest);
        let host = self.host(g.host);
        if host.is_powered_off() {
            return Err(Error::HostPoweredOff {
                host: host.name().into(),
            });
        }
        // A defined guest whose image another guest installed boots from it.
        let imported = action == GuestAction::Start
            && g.state == GuestState::Defined
            && self.installed_by(guest).is_some();
        if !from.contains(&g.state) && !imported {
            return Err(Error::GuestState {
                guest: g.name().into(),
                state: g.state.name().into(),
                action: action.name().into(),
                help: match g.state {
                    GuestState::Defined => "install it first: `g.install()`".into(),
                    GuestState::Undefined => self.undefined_help(guest),
                    _ => format!("it is {} already", g.state.name()),
                },
            });
        }
        let paused_on_error = g
            .io_failure
            .as_ref()
            .is_some_and(|f| f.effect == super::guest::IoEffect::Paused);
        if action == GuestAction::Start || (action == GuestAction::Resume && paused_on_error) {
            if let Some(refused) = self.guest_path_refusal(guest, action.name()) {
                return Err(refused);
            }
            // A shut-off guest's own read-only file system is checked as it boots, so only
            // its host's read-only mount refuses a start.
            if let Some(refused) = self.guest_write_refusal(guest) {
                return Err(refused);
            }
        }
        let warnings = self.set_guest_state(guest, to)?;
        if matches!(to, GuestState::Running | GuestState::ShutOff) {
            self.guest_mut(guest).io_failure = None;
        }
        Ok(warnings)
    }

    /// `virsh migrate-setspeed` / `migrate-setmaxdowntime`: libvirt keeps them with the
    /// running domain, so the guest must run (or be paused).
    pub fn set_migration_limits(&mut self, guest: GuestId, limits: MigrationLimits) -> Result<()> {
        let g = self.guest(guest);
        if !matches!(g.state, GuestState::Running | GuestState::Paused) {
            return Err(Error::GuestState {
                guest: g.name().into(),
                state: g.state.name().into(),
                action: "set its migration speed or downtime".into(),
                help: "libvirt keeps them with the running domain: start it first (`virsh start NAME`)".into(),
            });
        }
        self.guest_mut(guest).migration_limits = limits;
        Ok(())
    }

    /// Changes a shut-off guest's memory (`virsh setmaxmem` + `setmem`); what it holds
    /// shrinks with it.
    pub fn set_guest_memory(&mut self, guest: GuestId, memory: u64) -> Result<()> {
        let g = self.guest(guest);
        if g.state != GuestState::ShutOff {
            return Err(Error::GuestState {
                guest: g.name().into(),
                state: g.state.name().into(),
                action: "change its memory allocation".into(),
                help: "shut it down first: `g.shutdown()`".into(),
            });
        }
        let free = self.free_guest_memory(g.host);
        if memory == 0 || memory > free {
            let (needed, free) = human_sizes_apart(memory, free);
            return Err(bad(
                "set_memory",
                "memory",
                format!("{needed} does not fit: the host has {free} free for guests"),
                "give the guest less memory",
            ));
        }
        let g = self.guest_mut(guest);
        g.spec.memory = memory;
        g.workload.used = g.workload.used.min(memory);
        g.workload.wss = g.workload.wss.min(g.workload.used);
        Ok(())
    }

    /// Sets what the guest holds in memory and how fast it rewrites it.
    pub fn set_workload(&mut self, guest: GuestId, workload: Workload) -> Result<()> {
        const WHAT: &str = "workload";
        let memory = self.guest(guest).spec.memory;
        let Workload {
            used,
            wss,
            dirty_rate,
            untouched,
        } = workload;
        if used <= memory && untouched > memory - used {
            return Err(bad(
                WHAT,
                "untouched",
                format!(
                    "{} in use and {} never touched are more than the guest's {}",
                    human_size(used),
                    human_size(untouched),
                    human_size(memory)
                ),
                "the memory in use and the memory never touched are parts of the guest's RAM",
            ));
        }
        if used > memory {
            return Err(bad(
                WHAT,
                "used",
                format!(
                    "{} is more than the guest's {}",
                    human_size(used),
                    human_size(memory)
                ),
                "a guest cannot use more memory than it has",
            ));
        }
        if wss > used {
            return Err(bad(
                WHAT,
                "wss",
                format!(
                    "the working set {} is more than the {} in use",
                    human_size(wss),
                    human_size(used)
                ),
                "the working set is part of the memory in use",
            ));
        }
        if dirty_rate > MAX_DIRTY_RATE {
            return Err(bad(
                WHAT,
                "dirty_rate",
                format!(
                    "{dirty_rate} B/s is more than a CPU can dirty (at most 64 GiB/s, beyond any memory bus): it would rewrite all {} of the guest {:.0} times a second",
                    human_size(memory),
                    dirty_rate / memory as f64
                ),
                "give the rate the guest's writes reach, e.g. \"2M/s\"; 0 for an idle guest",
            ));
        }
        if dirty_rate > 0.0 && wss == 0 {
            return Err(bad(
                WHAT,
                "wss",
                "a guest that dirties memory needs a working set",
                "give `wss`, e.g. \"64M\"",
            ));
        }
        self.guest_mut(guest).workload = workload;
        Ok(())
    }

    /// Puts a file of `size` bytes on a guest whose disk can hold it; returns its digest.
    /// `real` is the file as a real guest holds it; `None`: fresh content of the model's.
    pub fn serve_file(
        &mut self,
        guest: GuestId,
        path: &str,
        size: u64,
        real: Option<Contents>,
    ) -> Result<String> {
        if let Some(e) = self.guest_disk_error(guest) {
            return Err(e);
        }
        if let Some(e) = self
            .guest_path_refusal(guest, "file copy")
            .or_else(|| self.guest_write_refusal(guest))
        {
            return Err(e);
        }
        self.put_guest_file(guest, path, size, real)
    }

    /// Puts a client PC on a switch at an address its network settings accept.
    pub fn connect_client(&mut self, client: Client) -> Result<ClientId> {
        const WHAT: &str = "client spec";
        let address = client.address;
        let cidr = self.switch(client.switch).cidr;
        if !cidr.contains(address.addr()) {
            return Err(bad(
                WHAT,
                "address",
                format!("{address} is not on {cidr}"),
                format!("give an address in {cidr}"),
            ));
        }
        // A PC's network settings refuse its network's all-zeros or all-ones host.
        if let Some(role) = address.reserved_role() {
            let (first, last) = address.host_range();
            return Err(bad(
                WHAT,
                "address",
                format!(
                    "{} is the {role} address of {}",
                    address.addr(),
                    address.network_cidr()
                ),
                format!("give an address from {first} to {last}"),
            ));
        }
        self.add_client(client)
    }

    /// Checks that `client` can fetch a file from `guest` now: the guest runs, its disk
    /// holds, and the client is on the guest's segment (same network, and the guest's
    /// bridge holds a card cabled to the client's switch).
    pub fn check_download(&self, client: ClientId, guest: GuestId) -> Result<()> {
        let c = self.client(client);
        let g = self.guest(guest);
        if g.state != GuestState::Running {
            return Err(Error::GuestState {
                guest: g.name().into(),
                state: g.state.name().into(),
                action: "serve a download".into(),
                help: "start the guest first".into(),
            });
        }
        if let Some(e) = self.guest_disk_error(guest) {
            return Err(e);
        }
        if let Some(e) = self.guest_path_refusal(guest, "download") {
            return Err(e);
        }
        let net = self.host(g.host).net();
        let reachable = g.spec.address.is_some_and(|a| c.address.on_link(a.addr()))
            && net
                .interface(&g.spec.bridge)
                .map(|i| net.attachments(i))
                .is_some_and(|cards| {
                    cards
                        .iter()
                        .any(|n| n.link.as_ref().is_some_and(|l| l.switch == c.switch))
                });
        if !reachable {
            return Err(Error::ClientCannotReach {
                client: c.name.clone(),
                guest: g.name().into(),
            });
        }
        Ok(())
    }
}
