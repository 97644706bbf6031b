//! Things that break in a lab, as the world sees them when they happen: a card's cable
//! pulled and plugged back, a host losing its power and being switched on again, and a
//! guest whose host went down started on another host that sees its disk. When they happen
//! (lab time) and what they do to traffic is the backend's.

use super::guest::{GuestId, GuestState};
use super::services::BootReport;
use super::switch::Impairment;
use super::NodeId;
use super::{HostId, SwitchId, World};
use crate::error::{Error, Result};

impl World {
    /// Refuses a card that is not there or has no cable.
    pub fn check_cable(&self, node: NodeId, nic: &str) -> Result<()> {
        let machine = self.node_name(node).to_string();
        let stack = self.stack(node);
        let Some(card) = stack.nic(nic) else {
            let names: Vec<&str> = stack.nics.iter().map(|n| n.name.as_str()).collect();
            return Err(Error::UnknownNic {
                host: machine,
                nic: nic.into(),
                help: crate::suggest::help_for(nic, "its cards", &names),
            });
        };
        if card.link.is_none() {
            return Err(Error::NoCableToPull {
                machine,
                nic: nic.into(),
            });
        }
        Ok(())
    }

    /// Pulls a card's cable out (`unplugged`) or pushes it back in. The cable stays with
    /// the switch it came from.
    pub fn set_unplugged(&mut self, node: NodeId, nic: &str, unplugged: bool) -> Result<()> {
        self.check_cable(node, nic)?;
        if let Some(card) = self.stack_mut(node).nic_mut(nic) {
            card.unplugged = unplugged;
        }
        Ok(())
    }

    /// The host loses its power: everything running on it stops where it is (its guests
    /// are shut off, their memory gone), and it answers nothing until it is switched on.
    /// Returns the guests that were running on it.
    pub fn power_loss(&mut self, host: HostId) -> Result<Vec<GuestId>> {
        if self.host(host).is_powered_off() {
            return Err(Error::HostPoweredOff {
                host: self.host(host).name().into(),
            });
        }
        let lost: Vec<GuestId> = self
            .guests()
            .filter(|(_, g)| {
                g.host == host && matches!(g.state, GuestState::Running | GuestState::Paused)
            })
            .map(|(id, _)| id)
            .collect();
        for &guest in &lost {
            self.guest_mut(guest).state = GuestState::ShutOff;
        }
        self.rehome_disks(host);
        self.shut_down(host);
        self.hosts[host.0].set_powered_off(true);
        Ok(lost)
    }

    /// Degrades a switch (loss and delay on every frame), or mends it with `None`.
    pub fn set_impairment(&mut self, switch: SwitchId, impairment: Option<Impairment>) {
        self.switches[switch.0].impairment = impairment;
    }

    /// The guests whose volume is in a pool of `host` that another running host shares:
    /// from now on that host's pool holds them, as its libvirt lists them, so they can start
    /// there while `host` is down.
    fn rehome_disks(&mut self, host: HostId) {
        let moves: Vec<(GuestId, HostId, String)> = self
            .guests()
            .filter(|(_, g)| g.spec.disk.host == host)
            .filter_map(|(id, g)| {
                let disk = &g.spec.disk;
                let target = &self.pool(host, &disk.pool).ok()?.spec.target;
                self.hosts().find_map(|(other, h)| {
                    if other == host || h.is_powered_off() {
                        return None;
                    }
                    let shared = h.storage().pools().iter().find(|p| {
                        &p.spec.target == target
                            && self
                                .pool_shared_with(other, &p.spec.name, host)
                                .unwrap_or(false)
                    })?;
                    Some((id, other, shared.spec.name.clone()))
                })
            })
            .collect();
        for (guest, other, pool) in moves {
            let disk = &mut self.guest_mut(guest).spec.disk;
            disk.host = other;
            disk.pool = pool;
        }
    }

    /// The power button of a host whose power went: it boots as after `reboot`.
    pub fn power_on(&mut self, host: HostId) -> Result<BootReport> {
        let h = self.host(host);
        if !h.is_powered_off() {
            return Err(Error::HostAlreadyOn {
                host: h.name().into(),
            });
        }
        self.hosts[host.0].set_powered_off(false);
        self.hosts[host.0].count_boot();
        self.boot(host)
    }

    /// Starts a shut-off guest on another host (`virsh define` of its XML there, then
    /// `virsh start`): only a host that sees the guest's disk can, which is what shared
    /// storage is for.
    pub fn start_guest_on(&mut self, guest: GuestId, host: HostId) -> Result<Vec<Error>> {
        let g = self.guest(guest);
        let name = g.name().to_string();
        let there = self.host(host).name().to_string();
        if g.state != GuestState::ShutOff {
            return Err(Error::GuestState {
                guest: name,
                state: g.state.name().into(),
                action: format!("start on {there}"),
                help: "a guest runs on one host at a time: shut it down first, or migrate it"
                    .into(),
            });
        }
        if g.host != host {
            if !self.disk_visible_from(guest, host) {
                let disk = &g.spec.disk;
                return Err(Error::DiskNotVisible {
                    guest: name,
                    host: there,
                    path: disk.path.clone(),
                    owner: self.host(disk.host).name().into(),
                    pool: disk.pool.clone(),
                });
            }
            let is_bridge = self
                .host(host)
                .net()
                .interface(&g.spec.bridge)
                .is_some_and(|i| i.kind == super::node::InterfaceKind::Bridge);
            if !is_bridge {
                return Err(Error::BadValue {
                    key: "bridge".into(),
                    what: "guest network".into(),
                    reason: format!("{there} has no bridge {}", g.spec.bridge),
                    help: format!(
                        "give {there} the same bridge as the guest's first host (ifcfg-{0} with TYPE=Bridge) and restart its network",
                        g.spec.bridge
                    ),
                });
            }
            let memory = g.spec.memory;
            let free = self.free_guest_memory(host);
            if memory > free {
                let (needed, free) = crate::units::human_sizes_apart(memory, free);
                return Err(Error::BadValue {
                    key: "memory".into(),
                    what: "guest spec".into(),
                    reason: format!("{needed} does not fit: {there} has {free} free for guests"),
                    help: "shut a guest down on that host first".into(),
                });
            }
        }
        self.host(host).require_command("virsh")?;
        let from = self.guest(guest).host;
        self.guest_mut(guest).host = host;
        match self.set_guest_state(guest, GuestState::Running) {
            Ok(warnings) => {
                if from != host {
                    self.guest_mut(guest).migration_limits = Default::default();
                }
                Ok(warnings)
            }
            Err(refused) => {
                self.guest_mut(guest).host = from;
                Err(refused)
            }
        }
    }
}
