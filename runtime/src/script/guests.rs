//! Script objects for guests, clients, downloads and live migration (report §2.5, §3).

use super::history::{History, MigrationRecord, MigrationStatus};
use super::network::{HostRef, SwitchRef};
use super::pools::VolumeRef;
use super::rows::Rows;
use super::spec::{Key, Spec, SpecTable};
use super::SharedSession;
use super::{call, finish, finite, reg, warn_all, Outcome};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::migration::{
    MigrationConfig, MigrationReport, MigrationRequest, Profile, Safety, Status, TimeoutAction,
};
use crate::transfer::TransferId;
use crate::units::human_size;
use crate::world::guest::{
    Client, ClientId, ErrorPolicy, GuestDisk, GuestId, GuestSpec, GuestState, Workload,
};
use crate::world::guest_life::GuestAction;
use crate::world::net::ip::Ipv4Cidr;
use crate::world::HostId;
use rhai::{Array, Dynamic, Engine, Map, NativeCallContext};

#[derive(Clone)]
pub struct GuestRef {
    pub session: SharedSession,
    pub id: GuestId,
}

#[derive(Clone)]
pub struct ClientRef {
    pub session: SharedSession,
    pub id: ClientId,
}

#[derive(Clone)]
pub struct DownloadRef {
    pub session: SharedSession,
    pub id: TransferId,
}

#[derive(Clone)]
pub struct MigrationResult(pub MigrationReport);

pub fn register(engine: &mut Engine, session: &SharedSession) {
    engine
        .register_type_with_name::<GuestRef>("Guest")
        .register_type_with_name::<ClientRef>("Client")
        .register_type_with_name::<DownloadRef>("Download")
        .register_type_with_name::<MigrationResult>("MigrationResult");
    register_define(engine);
    register_guest(engine);
    register_client(engine, session);
    register_download(engine);
    register_migration(engine);
}

pub const GUEST_SPEC: SpecTable = SpecTable {
    what: "guest spec",
    keys: &[
        Key::new("name", "The domain's name.", r#""centos-nz2""#),
        Key::new(
            "memory",
            "Its RAM, a size (at most the host's).",
            r#""512M""#,
        ),
        Key::new(
            "vcpus",
            "Virtual CPUs (default 1, at most the host's cores).",
            "1",
        ),
        Key::new(
            "os_variant",
            "virt-install's OS variant (default rhel5.4).",
            r#""rhel5.4""#,
        ),
        Key::new(
            "arch",
            "The guest's architecture (default x86_64).",
            r#""i686""#,
        ),
        Key::new(
            "virt_type",
            "\"kvm\" (hardware, needs a usable KVM) or \"qemu\" (emulation).",
            r#""kvm""#,
        ),
        Key::new(
            "iso",
            "The installation image, a file on the host.",
            r#""/guest/iso/CentOS-5.6-i386-bin-DVD.iso""#,
        ),
        Key::new(
            "disk",
            "The guest's disk: a volume of a storage pool.",
            r#"pool.create_volume(#{name: "centos-nz2.img", capacity: "20G", allocation: 0})"#,
        ),
        Key::new(
            "network",
            "Its network card: the bridge it joins and its address.",
            r#"#{bridge: "br0"}"#,
        )
        .holding(&GUEST_NETWORK_SPEC),
        Key::new(
            "cache",
            "The disk cache mode (default none, the one safe for migration).",
            r#""none""#,
        ),
        Key::new(
            "error_policy",
            "What QEMU does when the disk's I/O fails: report (the guest sees it), stop (the guest pauses until resumed), enospace, ignore, or default (QEMU's: report).",
            r#""stop""#,
        ),
    ],
};

pub const GUEST_NETWORK_SPEC: SpecTable = SpecTable {
    what: "guest network",
    keys: &[
        Key::new(
            "bridge",
            "The host bridge the guest's card joins.",
            r#""br0""#,
        ),
        Key::new(
            "address",
            "The guest's address with its prefix length.",
            r#""192.168.1.20/24""#,
        ),
    ],
};

pub const WORKLOAD_SPEC: SpecTable = SpecTable {
    what: "workload",
    keys: &[
        Key::new(
            "used",
            "Memory the guest has written (page cache included), a size.",
            r#""430M""#,
        ),
        Key::new(
            "wss",
            "The working set an application keeps rewriting, a size.",
            r#""64M""#,
        ),
        Key::new(
            "dirty_rate",
            "How fast it rewrites it, a rate (0 for none).",
            r#""2M/s""#,
        ),
        Key::new(
            "untouched",
            "Memory it never touched since it booted, a size (0, the default, for an OS whose free memory was touched and zeroed); a migration finds it zero almost for free.",
            r#""256M""#,
        ),
    ],
};

pub const CLIENT_SPEC: SpecTable = SpecTable {
    what: "client spec",
    keys: &[
        Key::new("net", "The switch the client is plugged into.", "net1"),
        Key::new(
            "address",
            "Its address with the prefix length, on that switch's network.",
            r#""192.168.1.100/24""#,
        ),
        Key::new("speed", "Its link speed, a rate.", r#""100Mbit/s""#),
    ],
};

/// Reads a guest spec and checks it against the host, as virt-install would.
fn guest_spec(map: Map) -> Result<GuestSpec> {
    let spec = Spec::new(&GUEST_SPEC, map)?;
    let name = spec.string("name", "\"centos-nz2\"")?;
    let memory = spec.size("memory", "\"512M\"")?;
    let vcpus = spec.opt_int("vcpus", "1")?.unwrap_or(1);
    let virt_type = spec
        .opt_string("virt_type", "\"kvm\"")?
        .unwrap_or_else(|| "kvm".into());
    if virt_type != "kvm" && virt_type != "qemu" {
        return Err(spec.bad(
            "virt_type",
            format!("`{virt_type}` is not a domain type"),
            "write \"kvm\" (hardware) or \"qemu\" (software emulation)",
        ));
    }
    let iso = spec.opt_string("iso", "\"/guest/iso/CentOS-5.6-i386-bin-DVD.iso\"")?;
    let network = spec
        .opt_map("network", "#{bridge: \"br0\"}")?
        .ok_or_else(|| {
            spec.bad(
                "network",
                "the guest needs a network",
                "write `network: #{bridge: \"br0\", address: \"192.168.1.20/24\"}`",
            )
        })?;
    let network = Spec::new(&GUEST_NETWORK_SPEC, network)?;
    let bridge = network.string("bridge", "\"br0\"")?;
    let address = network
        .opt_string("address", "\"192.168.1.20/24\"")?
        .map(|a| Ipv4Cidr::parse(&a))
        .transpose()?;
    let volume = spec
        .opt_value("disk")
        .and_then(|v| v.try_cast::<VolumeRef>())
        .ok_or_else(|| spec.bad("disk", "the guest needs a volume of a storage pool", "create one: `disk: pool.create_volume(#{name: \"centos-nz2.img\", capacity: \"20G\", allocation: 0})`"))?;
    let cache = spec
        .opt_string("cache", "\"none\"")?
        .unwrap_or_else(|| "none".into());
    if ![
        "none",
        "directsync",
        "writethrough",
        "writeback",
        "unsafe",
        "default",
    ]
    .contains(&cache.as_str())
    {
        return Err(spec.bad(
            "cache",
            format!("`{cache}` is not a cache mode"),
            "write one of none, directsync, writethrough, writeback, unsafe, default",
        ));
    }
    let error_policy = match spec.opt_string("error_policy", "\"stop\"")? {
        None => ErrorPolicy::Default,
        Some(name) => ErrorPolicy::parse(&name).ok_or_else(|| {
            spec.bad(
                "error_policy",
                format!("`{name}` is not an error policy"),
                format!("write one of {}", ErrorPolicy::NAMES.join(", ")),
            )
        })?,
    };
    Ok(GuestSpec {
        name,
        memory,
        // Out of range either way: the host refuses it with its core count.
        vcpus: u32::try_from(vcpus.max(0)).unwrap_or(u32::MAX),
        os_variant: spec
            .opt_string("os_variant", "\"rhel5.4\"")?
            .unwrap_or_else(|| "rhel5.4".into()),
        arch: spec
            .opt_string("arch", "\"i686\"")?
            .unwrap_or_else(|| "x86_64".into()),
        virt_type,
        iso,
        disk: GuestDisk {
            host: volume.host,
            pool: volume.pool,
            path: volume.volume.path,
            format: volume.volume.format.name().to_string(),
            capacity: volume.volume.capacity,
            allocation: volume.volume.allocation,
        },
        bridge,
        address,
        cache,
        error_policy,
    })
}

fn register_define(engine: &mut Engine) {
    reg("define_guest", &["host: Host", "spec: Map", "Guest"], "Defines a guest on the host: #{name, memory, vcpus, os_variant, arch, virt_type, iso, disk, network, cache}.")
        .register_into_engine(engine, |ctx: NativeCallContext, h: &mut HostRef, spec: Map| -> Outcome<GuestRef> {
            let id = call(&h.session, &ctx, |b| {
                let spec = guest_spec(spec)?;
                b.define_guest(h.id, spec)
            })?;
            Ok(GuestRef { session: h.session.clone(), id })
        });
    reg(
        "guests",
        &["host: Host", "Array"],
        "The guests that run (or are defined) on this host.",
    )
    .register_into_engine(engine, |h: &mut HostRef| -> Array {
        let s = h.session.borrow();
        s.backend
            .world()
            .guests()
            .filter(|(_, g)| g.host == h.id && g.state != GuestState::Undefined)
            .map(|(id, _)| {
                Dynamic::from(GuestRef {
                    session: h.session.clone(),
                    id,
                })
            })
            .collect()
    });
    reg(
        "store_file",
        &["host: Host", "path: String", "size: ?", "String"],
        "Puts a file of `size` bytes on the host (an ISO image); returns its SHA-256.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef, path: &str, size: Dynamic| -> Outcome<String> {
            call(&h.session, &ctx, |b| {
                let size = size_of(&size, "size")?;
                b.store_host_file(h.id, path, size)
            })
        },
    );
}

/// A size argument: integer bytes or a string such as "4G".
fn size_of(value: &Dynamic, what: &str) -> Result<u64> {
    if value.is_string() {
        crate::units::parse_size(&value.to_string())
    } else {
        value
            .as_int()
            .ok()
            .and_then(|n| u64::try_from(n).ok())
            .ok_or_else(|| Error::BadSize {
                text: format!("{what} {value}"),
            })
    }
}

fn register_guest(engine: &mut Engine) {
    engine
        .register_get("name", |g: &mut GuestRef| {
            g.session
                .borrow()
                .backend
                .world()
                .guest(g.id)
                .name()
                .to_string()
        })
        .register_get("state", |g: &mut GuestRef| {
            g.session
                .borrow()
                .backend
                .world()
                .guest(g.id)
                .state
                .name()
                .to_string()
        })
        .register_get("disk_error", |g: &mut GuestRef| {
            let s = g.session.borrow();
            let world = s.backend.world();
            world
                .guest_disk_error(g.id)
                .or_else(|| world.guest_write_refusal(g.id))
                .map_or(String::new(), |e| e.to_string())
        })
        .register_get("disk_state", |g: &mut GuestRef| {
            g.session
                .borrow()
                .backend
                .world()
                .guest_disk_state(g.id)
                .to_string()
        })
        .register_get("memory", |g: &mut GuestRef| {
            g.session.borrow().backend.world().guest(g.id).spec.memory as i64
        })
        .register_get("host", |g: &mut GuestRef| {
            let host = g.session.borrow().backend.world().guest(g.id).host;
            HostRef {
                session: g.session.clone(),
                id: host,
            }
        })
        .register_fn("to_debug", |g: &mut GuestRef| {
            format!(
                "Guest({})",
                g.session.borrow().backend.world().guest(g.id).name()
            )
        })
        .register_fn("to_string", |g: &mut GuestRef| {
            let s = g.session.borrow();
            let world = s.backend.world();
            let guest = world.guest(g.id);
            format!(
                "guest {}: {} memory, {} vCPU, {}{} on {}, disk {} ({}), bridge {}{}",
                guest.name(),
                human_size(guest.spec.memory),
                guest.spec.vcpus,
                guest.state.name(),
                match world.guest_disk_state(g.id) {
                    "ok" => String::new(),
                    "damaged" => " (disk I/O errors)".into(),
                    state => format!(" (disk {state})"),
                },
                world.host(guest.host).name(),
                guest.spec.disk.path,
                human_size(guest.spec.disk.capacity),
                guest.spec.bridge,
                guest
                    .spec
                    .address
                    .map(|a| format!(" ({a})"))
                    .unwrap_or_default()
            )
        });

    reg(
        "install",
        &["guest: Guest", "()"],
        "Installs the OS from the ISO; takes lab time, then the guest runs.",
    )
    .register_into_engine(engine, |ctx: NativeCallContext, g: &mut GuestRef| {
        call(&g.session, &ctx, |b| {
            let warnings = b.install_guest(g.id)?;
            warn_all(b, warnings);
            Ok(())
        })
    });
    for (action, doc) in [
        (GuestAction::Start, "Starts the guest (virsh start)."),
        (
            GuestAction::Shutdown,
            "Shuts the guest down cleanly (virsh shutdown).",
        ),
        (
            GuestAction::Destroy,
            "Pulls the guest's plug (virsh destroy).",
        ),
        (GuestAction::Suspend, "Pauses the guest (virsh suspend)."),
        (
            GuestAction::Resume,
            "Resumes a paused guest (virsh resume).",
        ),
    ] {
        reg(action.name(), &["guest: Guest", "()"], doc).register_into_engine(
            engine,
            move |ctx: NativeCallContext, g: &mut GuestRef| {
                call(&g.session, &ctx, |b| {
                    let warnings = b.act_on_guest(g.id, action)?;
                    warn_all(b, warnings);
                    Ok(())
                })
            },
        );
    }
    reg(
        "set_memory",
        &["guest: Guest", "memory: ?", "()"],
        "Changes a shut-off guest's memory allocation (virsh setmaxmem + setmem).",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, g: &mut GuestRef, memory: Dynamic| {
            call(&g.session, &ctx, |b| {
                let memory = size_of(&memory, "memory")?;
                b.set_guest_memory(g.id, memory)
            })
        },
    );
    reg(
        "workload",
        &["guest: Guest", "spec: Map", "()"],
        "What the guest holds in memory: #{used, wss, dirty_rate, untouched}.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, g: &mut GuestRef, spec: Map| {
            call(&g.session, &ctx, |b| {
                let spec = Spec::new(&WORKLOAD_SPEC, spec)?;
                let used = spec.size("used", "\"430M\"")?;
                let wss = spec.opt_size("wss", "\"64M\"")?.unwrap_or(0);
                let dirty_rate = match spec.opt_value("dirty_rate") {
                    None => 0.0,
                    Some(v) if v.as_int() == Ok(0) => 0.0,
                    Some(_) => spec.opt_rate("dirty_rate", "\"2M/s\"")?.unwrap_or(0.0),
                };
                let untouched = spec.opt_size("untouched", "\"256M\"")?.unwrap_or(0);
                b.set_workload(
                    g.id,
                    Workload {
                        used,
                        wss,
                        dirty_rate,
                        untouched,
                    },
                )
            })
        },
    );
    reg("serve_file", &["guest: Guest", "path: String", "size: ?", "String"], "Puts a file of `size` bytes on the guest (e.g. an ISO its FTP server offers); returns its SHA-256.")
        .register_into_engine(engine, |ctx: NativeCallContext, g: &mut GuestRef, path: &str, size: Dynamic| -> Outcome<String> {
            call(&g.session, &ctx, |b| {
                let size = size_of(&size, "size")?;
                b.serve_file(g.id, path, size)
            })
        });
    reg(
        "file_sha256",
        &["guest: Guest", "path: String", "String"],
        "The SHA-256 of a file on the guest.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, g: &mut GuestRef, path: &str| -> Outcome<String> {
            call(&g.session, &ctx, |b| {
                let guest = b.world().guest(g.id);
                guest
                    .files
                    .get(path)
                    .map(|c| c.sha256())
                    .ok_or_else(|| Error::NoSuchFile {
                        host: guest.name().into(),
                        path: path.into(),
                        help: "put it there first with `g.serve_file(path, size)`".into(),
                    })
            })
        },
    );
    reg(
        "to_xml",
        &["guest: Guest", "String"],
        "The guest's libvirt domain XML (virsh dumpxml).",
    )
    .register_into_engine(engine, |g: &mut GuestRef| {
        let s = g.session.borrow();
        s.backend.world().guest(g.id).domain_spec().to_xml()
    });
}

fn register_client(engine: &mut Engine, session: &SharedSession) {
    let s = session.clone();
    reg(
        "client",
        &["name: String", "spec: Map", "Client"],
        "A PC on a switch, e.g. the report's FTP client: #{net, address, speed}.",
    )
    .register_into_engine(
        engine,
        move |ctx: NativeCallContext, name: &str, spec: Map| -> Outcome<ClientRef> {
            let id = call(&s, &ctx, |b| {
                let spec = Spec::new(&CLIENT_SPEC, spec)?;
                let switch = spec
                    .opt_value("net")
                    .and_then(|v| v.try_cast::<SwitchRef>())
                    .ok_or_else(|| {
                        spec.bad("net", "the client needs a switch", "write `net: net1`")
                    })?;
                let address = Ipv4Cidr::parse(&spec.string("address", "\"192.168.1.100/24\"")?)?;
                b.connect_client(Client {
                    name: name.into(),
                    switch: switch.id,
                    address,
                    nic_speed: spec.opt_rate("speed", "\"100Mbit/s\"")?.unwrap_or(12.5e6),
                })
            })?;
            Ok(ClientRef {
                session: s.clone(),
                id,
            })
        },
    );
    engine
        .register_get("name", |c: &mut ClientRef| {
            c.session.borrow().backend.world().client(c.id).name.clone()
        })
        .register_fn("to_string", |c: &mut ClientRef| {
            let s = c.session.borrow();
            let world = s.backend.world();
            let client = world.client(c.id);
            format!(
                "client {} {} on {} at {}",
                client.name,
                client.address,
                world.switch(client.switch).name,
                crate::units::human_rate(client.nic_speed)
            )
        })
        .register_fn("to_debug", |c: &mut ClientRef| {
            format!(
                "Client({})",
                c.session.borrow().backend.world().client(c.id).name
            )
        });
    reg(
        "download",
        &["client: Client", "guest: Guest", "path: String", "Download"],
        "Starts fetching a file from the guest (FTP); it runs in the background of lab time.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext,
         c: &mut ClientRef,
         g: GuestRef,
         path: &str|
         -> Outcome<DownloadRef> {
            let id = call(&c.session, &ctx, |b| b.start_transfer(c.id, g.id, path))?;
            Ok(DownloadRef {
                session: c.session.clone(),
                id,
            })
        },
    );
}

fn register_download(engine: &mut Engine) {
    reg(
        "wait",
        &["download: Download", "()"],
        "Lets lab time pass until the download is done.",
    )
    .register_into_engine(engine, |ctx: NativeCallContext, d: &mut DownloadRef| {
        call(&d.session, &ctx, |b| b.wait_transfer(d.id))
    });
    engine
        .register_get("done", |d: &mut DownloadRef| {
            d.session.borrow().backend.transfer(d.id).is_done()
        })
        .register_get("bytes", |d: &mut DownloadRef| {
            d.session.borrow().backend.transfer(d.id).bytes() as i64
        })
        .register_get("size", |d: &mut DownloadRef| {
            d.session.borrow().backend.transfer(d.id).size as i64
        })
        .register_get("sha256", |d: &mut DownloadRef| {
            d.session.borrow().backend.transfer(d.id).received.sha256()
        })
        .register_get("started", |d: &mut DownloadRef| {
            d.session
                .borrow()
                .backend
                .transfer(d.id)
                .started
                .as_secs_f64()
        })
        .register_get("finished", |d: &mut DownloadRef| {
            d.session
                .borrow()
                .backend
                .transfer(d.id)
                .finished
                .map_or(Dynamic::UNIT, |t| Dynamic::from(t.as_secs_f64()))
        })
        .register_get("duration", |d: &mut DownloadRef| {
            let s = d.session.borrow();
            let t = s.backend.transfer(d.id);
            t.finished.map_or(Dynamic::UNIT, |f| {
                Dynamic::from(f.as_secs_f64() - t.started.as_secs_f64())
            })
        })
        .register_fn("to_debug", |d: &mut DownloadRef| {
            format!(
                "Download({})",
                d.session.borrow().backend.transfer(d.id).path
            )
        })
        .register_fn("to_string", |d: &mut DownloadRef| {
            let s = d.session.borrow();
            let t = s.backend.transfer(d.id);
            format!(
                "download of {}: {} of {}{}",
                t.path,
                human_size(t.bytes()),
                human_size(t.size),
                if t.is_done() { ", done" } else { "" }
            )
        });
    reg(
        "rate_timeline",
        &["download: Download", "Array"],
        "The download's rate over time: [[seconds, bytes/s], ...] at each change.",
    )
    .register_into_engine(engine, |d: &mut DownloadRef| -> Array {
        d.session
            .borrow()
            .backend
            .transfer(d.id)
            .timeline
            .iter()
            .map(|&(t, r)| Dynamic::from(vec![Dynamic::from(t), Dynamic::from(r)]))
            .collect()
    });
    reg("rate_steps", &["download: Download", "Array"], "The rate as a step line for plotting: [[seconds since the start, bytes/s], ...], two points per constant stretch.")
        .register_into_engine(engine, |d: &mut DownloadRef| -> Array {
            let s = d.session.borrow();
            let t = s.backend.transfer(d.id);
            let start = t.started.as_secs_f64();
            let end = t.finished.unwrap_or(s.backend.now()).as_secs_f64();
            let point = |x: f64, y: f64| Dynamic::from(vec![Dynamic::from(x - start), Dynamic::from(y)]);
            t.timeline
                .iter()
                .enumerate()
                .flat_map(|(i, &(at, rate))| {
                    let until = t.timeline.get(i + 1).map_or(end, |next| next.0);
                    [point(at, rate), point(until, rate)]
                })
                .collect()
        });
    reg(
        "mean_rate",
        &["download: Download", "from: f64", "to: f64", "f64"],
        "The mean rate in bytes/s between two lab times (seconds).",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, d: &mut DownloadRef, from: f64, to: f64| -> Outcome<f64> {
            let rate = finite(from, "from", "mean_rate")
                .and_then(|_| finite(to, "to", "mean_rate"))
                .map(|_| {
                    d.session
                        .borrow()
                        .backend
                        .transfer(d.id)
                        .mean_rate(from, to)
                });
            finish(&d.session, &ctx, rate)
        },
    );
}

pub const MIGRATE_SPEC: SpecTable = SpecTable {
    what: "migration options",
    keys: &[
        Key::new(
            "live",
            "Live (true, the default) or paused for the whole copy (false).",
            "true",
        ),
        Key::new(
            "bandwidth",
            "A cap on the copy's rate, a rate or \"unlimited\".",
            r#""64M/s""#,
        ),
        Key::new(
            "downtime_limit",
            "The pause the last round may take, in ms.",
            "300",
        ),
        Key::new(
            "profile",
            "\"modern\" (QEMU 5.x-9.x, the default) or \"qemu-kvm-0.12\" (the report's RHEL 6).",
            r#""modern""#,
        ),
        Key::new(
            "auto_converge",
            "Throttle the guest's CPUs when dirtying outruns the copy.",
            "true",
        ),
        Key::new(
            "postcopy_after",
            "Switch to post-copy after this many seconds.",
            "10",
        ),
        Key::new("timeout", "Seconds before `timeout_action` is taken.", "60"),
        Key::new(
            "timeout_action",
            "\"abort\" (the default), \"suspend\" or \"postcopy\".",
            r#""abort""#,
        ),
        Key::new(
            "unsafe",
            "Migrate although libvirt finds the setup unsafe (virsh --unsafe).",
            "true",
        ),
        Key::new(
            "copy_storage",
            "Copy the disk too, for guests on unshared storage.",
            "true",
        ),
    ],
};

fn migration_request(map: Map) -> Result<MigrationRequest> {
    let spec = Spec::new(&MIGRATE_SPEC, map)?;
    let profile =
        match spec.opt_string("profile", "\"modern\"")?.as_deref() {
            None | Some("modern") => Profile::Modern,
            Some("qemu-kvm-0.12") => Profile::QemuKvm012,
            Some(other) => return Err(spec.bad(
                "profile",
                format!("`{other}` is not a profile"),
                "write \"modern\" (QEMU 5.x-9.x) or \"qemu-kvm-0.12\" (the report's RHEL 6 era)",
            )),
        };
    let mut config = MigrationConfig::new(profile);
    config.live = spec.opt_bool("live", "true")?.unwrap_or(true);
    config.bandwidth_cap = match spec.opt_value("bandwidth") {
        Some(v) if v.is_string() && v.to_string() == "unlimited" => Some(f64::INFINITY),
        Some(_) => spec.opt_rate("bandwidth", "\"64M/s\"")?,
        None => None,
    };
    config.downtime_limit_ms = spec.opt_float("downtime_limit", "300")?;
    config.auto_converge = spec.opt_bool("auto_converge", "true")?.unwrap_or(false);
    config.postcopy_after = spec.opt_float("postcopy_after", "10")?;
    config.timeout = spec.opt_float("timeout", "60")?;
    config.timeout_action = match spec.opt_string("timeout_action", "\"abort\"")?.as_deref() {
        None | Some("abort") => TimeoutAction::Abort,
        Some("suspend") => TimeoutAction::Suspend,
        Some("postcopy") => TimeoutAction::Postcopy,
        Some(other) => {
            return Err(spec.bad(
                "timeout_action",
                format!("`{other}` is not a timeout action"),
                "write \"abort\", \"suspend\" or \"postcopy\"",
            ))
        }
    };
    Ok(MigrationRequest {
        config,
        safety: Safety {
            unsafe_: spec.opt_bool("unsafe", "true")?.unwrap_or(false),
            copy_storage: spec.opt_bool("copy_storage", "true")?.unwrap_or(false),
        },
    })
}

fn register_migration(engine: &mut Engine) {
    for with_options in [false, true] {
        let params: &[&str] = if with_options {
            &[
                "guest: Guest",
                "destination: Host",
                "options: Map",
                "MigrationResult",
            ]
        } else {
            &["guest: Guest", "destination: Host", "MigrationResult"]
        };
        let migrate = |ctx: NativeCallContext,
                       g: &mut GuestRef,
                       dest: HostRef,
                       options: Map|
         -> Outcome<MigrationResult> {
            let result = {
                let mut session = g.session.borrow_mut();
                let session = &mut *session;
                migrate_recorded(
                    session.backend.as_mut(),
                    &mut session.history,
                    g.id,
                    dest.id,
                    migration_request(options),
                )
            };
            finish(&g.session, &ctx, result.map(MigrationResult))
        };
        let registration = reg("migrate", params, "Live-migrates the guest to another host (virt-manager's Migrate, virsh migrate --live).");
        if with_options {
            registration.register_into_engine(engine, migrate);
        } else {
            registration.register_into_engine(
                engine,
                move |ctx: NativeCallContext, g: &mut GuestRef, dest: HostRef| {
                    migrate(ctx, g, dest, Map::new())
                },
            );
        }
    }

    engine
        .register_get("status", |m: &mut MigrationResult| {
            match m.0.outcome.status {
                Status::Completed => "completed".to_string(),
                Status::Failed => "failed".to_string(),
                Status::Cancelled => "cancelled".to_string(),
            }
        })
        .register_get("total_time", |m: &mut MigrationResult| {
            m.0.outcome.total_time
        })
        .register_get("downtime", |m: &mut MigrationResult| {
            m.0.outcome.downtime_ms
        })
        .register_get("setup_time", |m: &mut MigrationResult| {
            m.0.outcome.setup_time_ms
        })
        .register_get("transferred", |m: &mut MigrationResult| {
            m.0.outcome.transferred as i64
        })
        .register_get("iterations", |m: &mut MigrationResult| {
            m.0.outcome.iterations as i64
        })
        .register_get("zero_pages", |m: &mut MigrationResult| {
            m.0.outcome.zero_pages as i64
        })
        .register_get("normal_pages", |m: &mut MigrationResult| {
            m.0.outcome.normal_pages as i64
        })
        .register_get("throttle", |m: &mut MigrationResult| {
            m.0.outcome.throttle_pct as i64
        })
        .register_get("postcopy", |m: &mut MigrationResult| m.0.outcome.postcopy)
        .register_get("postcopy_faults", |m: &mut MigrationResult| {
            m.0.outcome.postcopy_faults as i64
        })
        .register_get("memory_intact", |m: &mut MigrationResult| {
            m.0.outcome.memory_intact
        })
        .register_get("started", |m: &mut MigrationResult| m.0.started)
        .register_get("from", |m: &mut MigrationResult| m.0.from.clone())
        .register_get("to", |m: &mut MigrationResult| m.0.to.clone())
        .register_get("address", |m: &mut MigrationResult| m.0.address.clone())
        .register_get("profile", |m: &mut MigrationResult| m.0.profile.to_string())
        .register_get("rounds", |m: &mut MigrationResult| round_rows(&m.0))
        .register_fn("table", |m: &mut MigrationResult| rounds_table(&m.0))
        .register_fn("to_debug", |m: &mut MigrationResult| {
            format!("MigrationResult({} {} → {})", m.0.guest, m.0.from, m.0.to)
        })
        .register_fn("to_string", |m: &mut MigrationResult| summary(&m.0));
}

/// Runs one migration and adds it to the run's history, a refused one too (with its
/// error's code); a sandbox limit stops the run instead and is not a refusal.
pub(super) fn migrate_recorded(
    b: &mut dyn Backend,
    history: &mut History,
    guest: GuestId,
    dest: HostId,
    request: Result<MigrationRequest>,
) -> Result<MigrationReport> {
    history.room_for_migration()?;
    let started = b.now().as_secs_f64();
    let result = request.and_then(|request| b.migrate(guest, dest, request));
    let record = match &result {
        Ok(report) => {
            let o = &report.outcome;
            MigrationRecord {
                guest: report.guest.clone(),
                from: report.from.clone(),
                to: report.to.clone(),
                status: match o.status {
                    Status::Completed => MigrationStatus::Completed,
                    Status::Failed => MigrationStatus::Failed,
                    Status::Cancelled => MigrationStatus::Cancelled,
                },
                downtime_ms: o.downtime_ms,
                total_time: o.total_time,
                transferred: o.transferred,
                iterations: o.iterations,
                memory_intact: o.memory_intact,
                postcopy: o.postcopy,
                started: report.started,
                code: None,
            }
        }
        Err(error) if error.is_sandbox_limit() => return result,
        Err(error) => {
            let world = b.world();
            let g = world.guest(guest);
            MigrationRecord::refused(
                g.name(),
                world.host(g.host).name(),
                world.host(dest).name(),
                started,
                error,
            )
        }
    };
    history.migrations.push(record);
    result
}

fn summary(r: &MigrationReport) -> String {
    let o = &r.outcome;
    let status = match o.status {
        Status::Completed => "completed",
        Status::Failed => "failed",
        Status::Cancelled => "cancelled",
    };
    format!(
        "migration of {} {} → {} ({}, via {}): {status} in {:.2} s, downtime {:.0} ms, {:.1} MB sent, {} syncs, {} zero + {} normal pages{}{}",
        r.guest,
        r.from,
        r.to,
        r.profile,
        r.address,
        o.total_time,
        o.downtime_ms,
        o.transferred as f64 / 1e6,
        o.iterations,
        o.zero_pages,
        o.normal_pages,
        if o.throttle_pct > 0 { format!(", throttle {} %", o.throttle_pct) } else { String::new() },
        if o.postcopy { format!(", post-copy with {} page faults", o.postcopy_faults) } else { String::new() },
    )
}

fn rounds_table(r: &MigrationReport) -> Rows {
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::ASCII_MARKDOWN);
    table.set_header([
        "sync",
        "at (s)",
        "dirty pages after sync",
        "MB sent since last",
        "throttle %",
    ]);
    for round in &r.outcome.rounds {
        table.add_row(vec![
            round.index.to_string(),
            format!("{:.2}", round.start),
            round.dirty_pages.to_string(),
            format!("{:.1}", round.bytes_sent as f64 / 1e6),
            round.throttle_pct.to_string(),
        ]);
    }
    Rows {
        text: format!("{}\n{table}", summary(r)),
        rows: round_rows(r),
    }
}

/// One map per dirty-bitmap sync: `sync`, `start` (s), `dirty_pages`, `bytes_sent`, `throttle`.
fn round_rows(r: &MigrationReport) -> Array {
    r.outcome
        .rounds
        .iter()
        .map(|round| {
            let mut row = Map::new();
            row.insert("sync".into(), Dynamic::from(round.index as i64));
            row.insert("start".into(), Dynamic::from(round.start));
            row.insert(
                "dirty_pages".into(),
                Dynamic::from(round.dirty_pages as i64),
            );
            row.insert("bytes_sent".into(), Dynamic::from(round.bytes_sent as i64));
            row.insert("throttle".into(), Dynamic::from(round.throttle_pct as i64));
            Dynamic::from(row)
        })
        .collect()
}
