//! libvirt's checks before a live migration (`qemuMigrationSrcIsSafe` and friends): a
//! migration that would fail or corrupt the guest is refused before any page moves, with
//! libvirt's own reasons.

use super::guest::{GuestId, GuestState};
use super::{HostId, World};
use crate::error::{Error, Result};
use crate::migration::Safety;
use crate::units::human_sizes_apart;

/// The cards a migration crosses: the source's and the destination's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationRoute {
    pub from_nic: String,
    pub to_nic: String,
    pub address: String,
}

/// Checks a live migration of `guest` to `dest`; answers the route it will take.
/// `disk_shared` says whether `dest` sees the guest's disk (the storage model decides).
pub fn check(
    world: &World,
    guest: GuestId,
    dest: HostId,
    safety: Safety,
    disk_shared: bool,
) -> Result<MigrationRoute> {
    let g = world.guest(guest);
    let name = g.name().to_string();
    if g.state != GuestState::Running {
        return Err(Error::MigrateNotRunning {
            guest: name,
            state: g.state.name().into(),
        });
    }
    if let Some(e) = world.guest_disk_error(guest) {
        return Err(e);
    }
    if let Some(e) = world.guest_path_refusal(guest, "migration") {
        return Err(e);
    }
    // virsh on the source talks to its own libvirtd first.
    world.require_libvirtd(g.host)?;
    let source = world.host(g.host);
    let target = world.host(dest);
    if g.host == dest {
        return Err(Error::MigrateSameHost {
            guest: name,
            host: target.name().into(),
            uuid: host_uuid(target.name()),
        });
    }
    if let Err(e) = target.kvm_check() {
        return Err(Error::MigrateDestinationNotReady {
            host: target.name().into(),
            reason: e.to_string(),
            help: e.help_str().unwrap_or_default(),
        });
    }
    if !target.packages().is_running("libvirtd") {
        return Err(Error::MigrateDestinationNotReady {
            host: target.name().into(),
            reason: "libvirtd is not running, so nothing answers the source's connection".into(),
            help: format!(
                "start it on {0}: `{0}.service(\"libvirtd\").start()`, and `chkconfig libvirtd on` so it survives a reboot",
                target.name()
            ),
        });
    }
    let ping = world.ping(g.host, target.name());
    if !ping.reachable {
        return Err(Error::MigrateUnreachable {
            source_host: source.name().into(),
            destination: target.name().into(),
            reason: ping
                .failure
                .map(|e| e.to_string())
                .unwrap_or_else(|| "no reply".into()),
        });
    }
    let address = ping.address.map(|a| a.to_string()).unwrap_or_default();
    let (Some(first), Some(last)) = (ping.path.first(), ping.path.last()) else {
        // The name resolves to the source itself: libvirt connects to its own daemon.
        return Err(Error::MigrateSameHost {
            guest: name,
            host: source.name().into(),
            uuid: host_uuid(source.name()),
        });
    };
    if last.to != target.name() {
        return Err(Error::MigrateUnreachable {
            source_host: source.name().into(),
            destination: target.name().into(),
            reason: format!("the name resolves to {address}, which is {}", last.to),
        });
    }
    let bridge_ok = target
        .net()
        .interface(&g.spec.bridge)
        .is_some_and(|i| i.kind == crate::world::node::InterfaceKind::Bridge);
    if !bridge_ok {
        return Err(Error::MigrateNoBridge {
            host: target.name().into(),
            bridge: g.spec.bridge.clone(),
        });
    }
    let free = world.free_guest_memory(dest);
    if free < g.spec.memory {
        let (free, needed) = human_sizes_apart(free, g.spec.memory);
        return Err(Error::MigrateNoMemory {
            host: target.name().into(),
            guest: name,
            free,
            needed,
        });
    }
    let (source_cpu, target_cpu) = (&source.spec().cpu, &target.spec().cpu);
    if source_cpu.virt != target_cpu.virt {
        let describe = |cpu: &crate::world::host::hardware::Cpu| {
            format!(
                "{}, {}",
                cpu.model,
                cpu.virt.map_or("no virtualization extension", |v| v.name())
            )
        };
        return Err(Error::MigrateCpuIncompatible {
            source_host: source.name().into(),
            source_cpu: describe(source_cpu),
            host: target.name().into(),
            cpu: describe(target_cpu),
        });
    }
    if !safety.unsafe_ {
        if !disk_shared && !safety.copy_storage {
            return Err(Error::MigrateUnsafeStorage {
                path: g.spec.disk.path.clone(),
                host: target.name().into(),
            });
        }
        if disk_shared && !matches!(g.spec.cache.as_str(), "none" | "directsync") {
            return Err(Error::MigrateUnsafeCache {
                cache: g.spec.cache.clone(),
            });
        }
    }
    Ok(MigrationRoute {
        from_nic: uplink_card(world, g.host, &first.from_interface)?,
        to_nic: uplink_card(world, dest, &last.to_interface)?,
        address,
    })
}

/// The physical card under a host interface (a bridge's cabled port, or the card itself).
pub fn uplink_card(world: &World, host: HostId, interface: &str) -> Result<String> {
    let net = world.host(host).net();
    net.interface(interface)
        .and_then(|iface| net.attachments(iface).first().map(|nic| nic.name.clone()))
        .ok_or_else(|| Error::NoUplink {
            host: world.host(host).name().to_string(),
            interface: interface.to_string(),
        })
}

/// A host's UUID as libvirt reports it (derived from its name: stable across runs).
fn host_uuid(name: &str) -> String {
    super::domain_xml::identity(0, &format!("host:{name}")).1
}
