//! The read-only query API: `lab()` and its views of hosts, guests and NAS boxes, for
//! graders' checks, the REPL and labs that look at what they built. A view holds the session
//! and a name's id; every query borrows the session for one native call, reads the world
//! (through `&self` methods only) and the run's record, and answers in plain Rhai values:
//! strings, numbers, booleans, arrays and maps, `()` for "there is none". No query changes
//! the world or moves the clock. A name the lab does not have raises
//! `kvmlab::query::no_such_host` (`no_such_guest`, `no_such_nas`) with the names it has.

use super::{finish, reg, Outcome, Session, SharedSession};
use crate::error::{Error, Result, Severity};
use crate::world::guest::GuestId;
use crate::world::nas::NasId;
use crate::world::HostId;
use rhai::{Array, Dynamic, Engine, Map, NativeCallContext, INT};

/// The whole lab, as `lab()` gives it.
#[derive(Clone)]
pub struct Lab {
    pub session: SharedSession,
}

/// One host of the lab, by name.
#[derive(Clone)]
pub struct HostView {
    pub session: SharedSession,
    pub id: HostId,
}

/// One guest of the lab, by name.
#[derive(Clone)]
pub struct GuestView {
    pub session: SharedSession,
    pub id: GuestId,
}

/// One NAS of the lab, by name.
#[derive(Clone)]
pub struct NasView {
    pub session: SharedSession,
    pub id: NasId,
}

/// Operations one row of an answer (a mount, a migration, a diagnostic) costs: building its
/// map is work like a few script operations per field.
const ROW_OPERATIONS: u64 = 16;

pub fn register(engine: &mut Engine, session: &SharedSession) {
    engine
        .register_type_with_name::<Lab>("Lab")
        .register_type_with_name::<HostView>("HostView")
        .register_type_with_name::<GuestView>("GuestView")
        .register_type_with_name::<NasView>("NasView");
    let s = session.clone();
    reg(
        "lab",
        &["Lab"],
        "The lab as it is now, to query: its hosts, guests, NAS boxes, migrations, downloads, diagnostics and output. Read-only.",
    )
    .register_into_engine(engine, move || Lab { session: s.clone() });
    register_lab(engine);
    register_lab_record(engine);
    register_host(engine);
    register_host_network(engine);
    register_host_storage(engine);
    register_guest_and_nas(engine);
}

/// Answers one query: reads the session, then charges the work and hands back the answer.
fn ask<T>(
    session: &SharedSession,
    ctx: &NativeCallContext,
    query: impl FnOnce(&Session) -> Result<T>,
) -> Outcome<T> {
    let answer = query(&session.borrow());
    finish(session, ctx, answer)
}

fn int(n: u64) -> INT {
    INT::try_from(n).unwrap_or(INT::MAX)
}

fn text_or_unit(text: Option<String>) -> Dynamic {
    text.map_or(Dynamic::UNIT, Dynamic::from)
}

fn strings<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Array {
    items.into_iter().map(|s| Dynamic::from(s.into())).collect()
}

/// A map from `(key, value)` pairs.
fn map<const N: usize>(fields: [(&str, Dynamic); N]) -> Dynamic {
    let map: Map = fields
        .into_iter()
        .map(|(key, value)| (key.into(), value))
        .collect();
    Dynamic::from(map)
}

/// Rows of an answer, charged to the run by their count.
fn rows(rows: Vec<Dynamic>) -> Array {
    crate::meter::charge(rows.len() as u64 * ROW_OPERATIONS);
    rows
}

fn register_lab(engine: &mut Engine) {
    engine
        .register_fn("to_string", |_: &mut Lab| {
            "the lab (query it: lab().hosts, lab().host(\"sv1\"), …)".to_string()
        })
        .register_fn("to_debug", |_: &mut Lab| "lab()".to_string())
        .register_get("hosts", |ctx: NativeCallContext, l: &mut Lab| {
            ask(&l.session, &ctx, |s| {
                let world = s.backend.world();
                Ok(strings(world.hosts().map(|(_, h)| h.name())))
            })
        })
        .register_get("guests", |ctx: NativeCallContext, l: &mut Lab| {
            ask(&l.session, &ctx, |s| {
                let world = s.backend.world();
                Ok(strings(world.defined_guests().map(|(_, g)| g.name())))
            })
        })
        .register_get("nases", |ctx: NativeCallContext, l: &mut Lab| {
            ask(&l.session, &ctx, |s| {
                Ok(strings(s.backend.world().nases().map(|(_, n)| n.name())))
            })
        })
        .register_get("switches", |ctx: NativeCallContext, l: &mut Lab| {
            ask(&l.session, &ctx, |s| {
                let world = s.backend.world();
                Ok(strings(world.switches().map(|(_, sw)| sw.name.as_str())))
            })
        })
        .register_get("clock", |l: &mut Lab| {
            l.session.borrow().backend.now().as_secs_f64()
        });

    reg(
        "has_host",
        &["lab: Lab", "name: String", "bool"],
        "Whether the lab has a host of that name.",
    )
    .register_into_engine(engine, |l: &mut Lab, name: &str| {
        l.session.borrow().backend.world().host_named(name).is_ok()
    });
    reg(
        "host",
        &["lab: Lab", "name: String", "HostView"],
        "The host of that name, to query; fails with `kvmlab::query::no_such_host` when there is none.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, l: &mut Lab, name: &str| -> Outcome<HostView> {
            let id = ask(&l.session, &ctx, |s| s.backend.world().host_named(name))?;
            Ok(HostView {
                session: l.session.clone(),
                id,
            })
        },
    );
    reg(
        "has_guest",
        &["lab: Lab", "name: String", "bool"],
        "Whether the lab has a guest of that name.",
    )
    .register_into_engine(engine, |l: &mut Lab, name: &str| {
        l.session.borrow().backend.world().guest_named(name).is_ok()
    });
    reg(
        "guest",
        &["lab: Lab", "name: String", "GuestView"],
        "The guest of that name, to query; fails with `kvmlab::query::no_such_guest` when there is none.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, l: &mut Lab, name: &str| -> Outcome<GuestView> {
            let id = ask(&l.session, &ctx, |s| s.backend.world().guest_named(name))?;
            Ok(GuestView {
                session: l.session.clone(),
                id,
            })
        },
    );
    reg(
        "has_nas",
        &["lab: Lab", "name: String", "bool"],
        "Whether the lab has a NAS of that name.",
    )
    .register_into_engine(engine, |l: &mut Lab, name: &str| {
        l.session.borrow().backend.world().nas_named(name).is_ok()
    });
    reg(
        "nas",
        &["lab: Lab", "name: String", "NasView"],
        "The NAS of that name, to query; fails with `kvmlab::query::no_such_nas` when there is none.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, l: &mut Lab, name: &str| -> Outcome<NasView> {
            let id = ask(&l.session, &ctx, |s| s.backend.world().nas_named(name))?;
            Ok(NasView {
                session: l.session.clone(),
                id,
            })
        },
    );
}

/// What the run did: migrations, downloads, diagnostics and output.
fn register_lab_record(engine: &mut Engine) {
    engine
        .register_get("migrations", |ctx: NativeCallContext, l: &mut Lab| {
            ask(&l.session, &ctx, |s| {
                let migrations = s.history.migrations.iter().map(|m| {
                    map([
                        ("guest", Dynamic::from(m.guest.clone())),
                        ("from", Dynamic::from(m.from.clone())),
                        ("to", Dynamic::from(m.to.clone())),
                        ("status", Dynamic::from(m.status.name().to_string())),
                        ("downtime_ms", Dynamic::from(m.downtime_ms)),
                        ("total_time", Dynamic::from(m.total_time)),
                        ("transferred", Dynamic::from(int(m.transferred))),
                        ("iterations", Dynamic::from(INT::from(m.iterations))),
                        ("memory_intact", Dynamic::from(m.memory_intact)),
                        ("postcopy", Dynamic::from(m.postcopy)),
                        ("started", Dynamic::from(m.started)),
                        ("code", text_or_unit(m.code.clone())),
                    ])
                });
                Ok(rows(migrations.collect()))
            })
        })
        .register_get("downloads", |ctx: NativeCallContext, l: &mut Lab| {
            ask(&l.session, &ctx, |s| {
                let world = s.backend.world();
                let downloads = s.backend.downloads().into_iter().map(|d| {
                    map([
                        ("client", Dynamic::from(world.client(d.client).name.clone())),
                        (
                            "guest",
                            Dynamic::from(world.guest(d.guest).name().to_string()),
                        ),
                        ("path", Dynamic::from(d.path)),
                        ("size", Dynamic::from(int(d.size))),
                        ("bytes", Dynamic::from(int(d.bytes))),
                        ("done", Dynamic::from(d.finished.is_some())),
                        ("intact", Dynamic::from(d.intact)),
                        ("started", Dynamic::from(d.started)),
                        ("finished", d.finished.map_or(Dynamic::UNIT, Dynamic::from)),
                    ])
                });
                Ok(rows(downloads.collect()))
            })
        })
        .register_get("diagnostics", |ctx: NativeCallContext, l: &mut Lab| {
            ask(&l.session, &ctx, |s| {
                let diagnostics = s.recorder.diagnostics().iter().map(|d| {
                    let severity = match d.severity {
                        Severity::Warning => "warning",
                        Severity::Error => "error",
                    };
                    map([
                        ("code", Dynamic::from(d.code.clone())),
                        ("severity", Dynamic::from(severity.to_string())),
                        ("file", Dynamic::from(d.file.clone())),
                        ("line", Dynamic::from(int(d.line as u64))),
                        ("message", Dynamic::from(d.message.clone())),
                    ])
                });
                Ok(rows(diagnostics.collect()))
            })
        })
        .register_get("output", |ctx: NativeCallContext, l: &mut Lab| {
            // An answer longer than the engine's arrays may be would stop the asking script.
            let most = match ctx.engine().max_array_size() {
                0 => usize::MAX,
                most => most,
            };
            ask(&l.session, &ctx, |s| {
                let lines: Vec<&str> = s.recorder.output_lines().take(most).collect();
                crate::meter::bytes(lines.iter().map(|l| l.len()).sum());
                Ok(strings(lines))
            })
        });

    reg(
        "raised",
        &["lab: Lab", "code: String", "i64"],
        "How many times a diagnostic of that code was raised (repeats of a warning that were only counted included).",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, l: &mut Lab, code: &str| -> Outcome<INT> {
            ask(&l.session, &ctx, |s| {
                let found = s.recorder.diagnostics().iter().filter(|d| d.code == code);
                let times: usize = found.map(|d| 1 + d.more_like_this).sum();
                Ok(int(times as u64))
            })
        },
    );
    reg(
        "raised_at",
        &["lab: Lab", "code: String", "Array"],
        "The script lines a diagnostic of that code was raised at, one per recorded diagnostic, in order.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, l: &mut Lab, code: &str| -> Outcome<Array> {
            ask(&l.session, &ctx, |s| {
                let lines = s.recorder.diagnostics().iter().filter(|d| d.code == code);
                Ok(rows(lines.map(|d| Dynamic::from(int(d.line as u64))).collect()))
            })
        },
    );
}

fn register_host(engine: &mut Engine) {
    engine
        .register_fn("to_string", |h: &mut HostView| {
            let s = h.session.borrow();
            format!("HostView({})", s.backend.world().host(h.id).name())
        })
        .register_fn("to_debug", |h: &mut HostView| {
            let s = h.session.borrow();
            format!("HostView({})", s.backend.world().host(h.id).name())
        })
        .register_get("name", |h: &mut HostView| {
            let s = h.session.borrow();
            s.backend.world().host(h.id).name().to_string()
        })
        .register_get("installed", |h: &mut HostView| {
            h.session.borrow().backend.world().host(h.id).os().is_some()
        })
        .register_get("kvm", |h: &mut HostView| {
            h.session.borrow().backend.world().host(h.id).kvm_usable()
        })
        .register_get("boots", |h: &mut HostView| {
            INT::from(h.session.borrow().backend.world().host(h.id).boots())
        })
        .register_get("files", |ctx: NativeCallContext, h: &mut HostView| {
            ask(&h.session, &ctx, |s| {
                Ok(strings(s.backend.world().host(h.id).file_paths()))
            })
        })
        .register_get("guests", |ctx: NativeCallContext, h: &mut HostView| {
            ask(&h.session, &ctx, |s| {
                let world = s.backend.world();
                let here = world.defined_guests().filter(|(_, g)| g.host == h.id);
                Ok(strings(here.map(|(_, g)| g.name())))
            })
        });

    reg(
        "file",
        &["host: HostView", "path: String", "?"],
        "The file's text, or `()` when the host has no such file.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostView, path: &str| -> Outcome<Dynamic> {
            ask(&h.session, &ctx, |s| {
                let host = s.backend.world().host(h.id);
                Ok(text_or_unit(host.file_text(path).map(str::to_string)))
            })
        },
    );
    reg(
        "has_file",
        &["host: HostView", "path: String", "bool"],
        "Whether the host has that file.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostView, path: &str| -> Outcome<bool> {
            ask(&h.session, &ctx, |s| {
                Ok(s.backend.world().host(h.id).file_text(path).is_some())
            })
        },
    );
    reg(
        "service",
        &["host: HostView", "name: String", "Map"],
        "#{running, enabled}: whether the service runs, and whether it starts at boot (chkconfig on). A service whose package is not installed does neither.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostView, name: &str| -> Outcome<Map> {
            ask(&h.session, &ctx, |s| {
                let state = s.backend.world().host(h.id).service_state(name)?;
                let mut map = Map::new();
                map.insert("running".into(), Dynamic::from(state.running));
                map.insert("enabled".into(), Dynamic::from(state.enabled));
                Ok(map)
            })
        },
    );
    reg(
        "has_package",
        &["host: HostView", "name: String", "bool"],
        "Whether the package is installed.",
    )
    .register_into_engine(engine, |h: &mut HostView, name: &str| {
        h.session
            .borrow()
            .backend
            .world()
            .host(h.id)
            .has_package(name)
    });
}

fn register_host_network(engine: &mut Engine) {
    engine
        .register_get("interfaces", |ctx: NativeCallContext, h: &mut HostView| {
            ask(&h.session, &ctx, |s| {
                let host = s.backend.world().host(h.id);
                let interfaces = host.interface_states().into_iter().map(|i| {
                    let switch = i.switch.unwrap_or_default();
                    map([
                        ("name", Dynamic::from(i.name)),
                        (
                            "address",
                            Dynamic::from(i.address.map(|a| a.to_string()).unwrap_or_default()),
                        ),
                        ("up", Dynamic::from(i.up)),
                        // `switch` is a keyword (`i.switch` does not parse): `net` too.
                        ("net", Dynamic::from(switch.clone())),
                        ("switch", Dynamic::from(switch)),
                    ])
                });
                Ok(rows(interfaces.collect()))
            })
        })
        .register_get("gateway", |h: &mut HostView| {
            let s = h.session.borrow();
            let gateway = s.backend.world().host(h.id).default_gateway();
            text_or_unit(gateway.map(|a| a.to_string()))
        });

    reg(
        "resolve",
        &["host: HostView", "name: String", "?"],
        "The address `name` resolves to on this host (through /etc/hosts), or `()` when it does not resolve.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostView, name: &str| -> Outcome<Dynamic> {
            ask(&h.session, &ctx, |s| {
                let resolved = s.backend.world().resolve(h.id, name).ok();
                Ok(text_or_unit(resolved.map(|r| r.address.to_string())))
            })
        },
    );
    reg(
        "ping",
        &["host: HostView", "target: String", "bool"],
        "Whether a name or address answers a ping from this host.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostView, target: &str| -> Outcome<bool> {
            ask(&h.session, &ctx, |s| {
                Ok(s.backend.world().ping(h.id, target).reachable)
            })
        },
    );
    reg(
        "address",
        &["host: HostView", "interface: String", "?"],
        "The interface's address (\"192.168.1.11\"), or `()` when it has none; fails when the host has no such interface.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostView, interface: &str| -> Outcome<Dynamic> {
            ask(&h.session, &ctx, |s| {
                let host = s.backend.world().host(h.id);
                let states = host.interface_states();
                match states.iter().find(|i| i.name == interface) {
                    Some(i) => Ok(text_or_unit(i.address.map(|a| a.addr().to_string()))),
                    None => {
                        let names: Vec<&str> = states.iter().map(|i| i.name.as_str()).collect();
                        Err(Error::UnknownNic {
                            host: host.name().into(),
                            nic: interface.into(),
                            help: crate::suggest::help_for(
                                interface,
                                &format!("{}'s interfaces", host.name()),
                                &names,
                            ),
                        })
                    }
                }
            })
        },
    );
}

fn mount_map(m: &crate::world::host::storage::Mount) -> Dynamic {
    map([
        ("source", Dynamic::from(m.source.clone())),
        ("target", Dynamic::from(m.dir.clone())),
        ("fstype", Dynamic::from(m.fstype.clone())),
        ("options", Dynamic::from(m.options.clone())),
        ("lost", Dynamic::from(m.lost.is_some())),
    ])
}

fn pool_map(p: &crate::world::pool::Pool) -> Dynamic {
    map([
        ("name", Dynamic::from(p.spec.name.clone())),
        ("kind", Dynamic::from(p.spec.kind.name().to_string())),
        ("active", Dynamic::from(p.active())),
        ("autostart", Dynamic::from(p.spec.autostart)),
        ("target", Dynamic::from(p.spec.target.clone())),
    ])
}

fn register_host_storage(engine: &mut Engine) {
    engine
        .register_get("mounts", |ctx: NativeCallContext, h: &mut HostView| {
            ask(&h.session, &ctx, |s| {
                let mounts = s.backend.world().host(h.id).storage().mounts();
                Ok(rows(mounts.iter().map(mount_map).collect()))
            })
        })
        .register_get("fstab", |ctx: NativeCallContext, h: &mut HostView| {
            ask(&h.session, &ctx, |s| {
                let host = s.backend.world().host(h.id);
                let Some(text) = host.file_text(crate::world::storage::fstab::FSTAB_PATH) else {
                    return Ok(Array::new());
                };
                let fstab = crate::world::storage::fstab::Fstab::parse(text);
                let entries = fstab.entries.into_iter().map(|e| {
                    map([
                        ("device", Dynamic::from(e.source)),
                        ("target", Dynamic::from(e.target)),
                        ("fstype", Dynamic::from(e.fstype)),
                        ("options", Dynamic::from(e.options.unwrap_or_default())),
                        ("dump", Dynamic::from(INT::from(e.freq))),
                        ("pass", Dynamic::from(INT::from(e.passno))),
                    ])
                });
                Ok(rows(entries.collect()))
            })
        })
        .register_get(
            "iscsi_sessions",
            |ctx: NativeCallContext, h: &mut HostView| {
                ask(&h.session, &ctx, |s| {
                    Ok(strings(s.backend.world().iscsi_session_targets(h.id)))
                })
            },
        )
        .register_get("iscsi_nodes", |ctx: NativeCallContext, h: &mut HostView| {
            ask(&h.session, &ctx, |s| {
                Ok(strings(s.backend.world().iscsi_node_targets(h.id)))
            })
        })
        .register_get("pools", |ctx: NativeCallContext, h: &mut HostView| {
            ask(&h.session, &ctx, |s| {
                let pools = s.backend.world().pools_of(h.id);
                Ok(rows(pools.iter().map(pool_map).collect()))
            })
        });

    reg(
        "mounted",
        &["host: HostView", "target: String", "bool"],
        "Whether a file system is mounted on that directory.",
    )
    .register_into_engine(engine, |h: &mut HostView, target: &str| {
        let s = h.session.borrow();
        let mounts = s.backend.world().host(h.id).storage().mounts();
        mounts.iter().any(|m| m.dir == target)
    });
    reg(
        "mount",
        &["host: HostView", "target: String", "?"],
        "What is mounted on that directory, #{source, target, fstype, options, lost}, or `()`.",
    )
    .register_into_engine(engine, |h: &mut HostView, target: &str| {
        let s = h.session.borrow();
        let mounts = s.backend.world().host(h.id).storage().mounts();
        // The last mount on a directory is the one a path there reaches.
        mounts
            .iter()
            .rev()
            .find(|m| m.dir == target)
            .map_or(Dynamic::UNIT, mount_map)
    });
    reg(
        "iscsi_automatic",
        &["host: HostView", "target: String", "bool"],
        "Whether the iscsi service logs in to the target at boot (its node record's node.startup = automatic).",
    )
    .register_into_engine(engine, |h: &mut HostView, target: &str| {
        let s = h.session.borrow();
        s.backend.world().iscsi_automatic(h.id, target)
    });
    reg(
        "pool",
        &["host: HostView", "name: String", "?"],
        "The libvirt pool of that name, #{name, kind, active, autostart, target}, or `()`.",
    )
    .register_into_engine(engine, |h: &mut HostView, name: &str| {
        let s = h.session.borrow();
        let pools = s.backend.world().pools_of(h.id);
        pools
            .iter()
            .find(|p| p.spec.name == name)
            .map_or(Dynamic::UNIT, pool_map)
    });
    reg(
        "volumes",
        &["host: HostView", "pool: String", "Array"],
        "The volumes of a started pool, each #{name, path, capacity}; fails when there is no such pool or it is not started.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostView, pool: &str| -> Outcome<Array> {
            ask(&h.session, &ctx, |s| {
                let volumes = s.backend.world().volumes(h.id, pool)?;
                let volumes = volumes.into_iter().map(|v| {
                    map([
                        ("name", Dynamic::from(v.name)),
                        ("path", Dynamic::from(v.path)),
                        ("capacity", Dynamic::from(int(v.capacity))),
                    ])
                });
                Ok(rows(volumes.collect()))
            })
        },
    );
    reg(
        "df",
        &["host: HostView", "path: String", "Map"],
        "The file system holding a path, #{filesystem, size, used, available, mounted_on}, sizes in bytes, as `df` counts them.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostView, path: &str| -> Outcome<Map> {
            ask(&h.session, &ctx, |s| {
                let df = s.backend.world().df(h.id, path)?;
                let mut map = Map::new();
                map.insert("filesystem".into(), Dynamic::from(df.row.filesystem));
                map.insert(
                    "size".into(),
                    Dynamic::from(int(df.statfs.size_bytes())),
                );
                map.insert(
                    "used".into(),
                    Dynamic::from(int(df.statfs.used_bytes())),
                );
                map.insert(
                    "available".into(),
                    Dynamic::from(int(df.statfs.avail_bytes())),
                );
                map.insert("mounted_on".into(), Dynamic::from(df.row.mounted_on));
                Ok(map)
            })
        },
    );
}

fn register_guest_and_nas(engine: &mut Engine) {
    engine
        .register_fn("to_string", |g: &mut GuestView| {
            let s = g.session.borrow();
            format!("GuestView({})", s.backend.world().guest(g.id).name())
        })
        .register_fn("to_debug", |g: &mut GuestView| {
            let s = g.session.borrow();
            format!("GuestView({})", s.backend.world().guest(g.id).name())
        })
        .register_get("name", |g: &mut GuestView| {
            let s = g.session.borrow();
            s.backend.world().guest(g.id).name().to_string()
        })
        .register_get("host", |g: &mut GuestView| {
            let s = g.session.borrow();
            let world = s.backend.world();
            world.host(world.guest(g.id).host).name().to_string()
        })
        .register_get("state", |g: &mut GuestView| {
            let s = g.session.borrow();
            s.backend.world().guest(g.id).state.name().to_string()
        })
        .register_get("disk", |g: &mut GuestView| {
            let s = g.session.borrow();
            s.backend.world().guest(g.id).spec.disk.path.clone()
        })
        .register_get("memory", |g: &mut GuestView| {
            int(g.session.borrow().backend.world().guest(g.id).spec.memory)
        })
        .register_get("vcpus", |g: &mut GuestView| {
            INT::from(g.session.borrow().backend.world().guest(g.id).spec.vcpus)
        })
        .register_get("disk_error", |g: &mut GuestView| {
            let s = g.session.borrow();
            let world = s.backend.world();
            let error = world
                .guest_disk_error(g.id)
                .or_else(|| world.guest_write_refusal(g.id));
            text_or_unit(error.map(|e| e.to_string()))
        })
        .register_get("disk_state", |g: &mut GuestView| {
            let s = g.session.borrow();
            s.backend.world().guest_disk_state(g.id).to_string()
        })
        .register_get("files", |ctx: NativeCallContext, g: &mut GuestView| {
            ask(&g.session, &ctx, |s| {
                let files = s.backend.world().guest(g.id).files.keys();
                Ok(rows(strings(files.map(String::as_str))))
            })
        });
    reg(
        "disk_visible_from",
        &["guest: GuestView", "host: String", "bool"],
        "Whether that host sees the guest's disk (the same bytes at the same path), as a migration needs.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, g: &mut GuestView, host: &str| -> Outcome<bool> {
            ask(&g.session, &ctx, |s| {
                let world = s.backend.world();
                let host = world.host_named(host)?;
                Ok(world.disk_visible_from(g.id, host))
            })
        },
    );

    engine
        .register_fn("to_string", |n: &mut NasView| {
            let s = n.session.borrow();
            format!("NasView({})", s.backend.world().nas(n.id).name())
        })
        .register_fn("to_debug", |n: &mut NasView| {
            let s = n.session.borrow();
            format!("NasView({})", s.backend.world().nas(n.id).name())
        })
        .register_get("name", |n: &mut NasView| {
            n.session
                .borrow()
                .backend
                .world()
                .nas(n.id)
                .name()
                .to_string()
        })
        .register_get("targets", |ctx: NativeCallContext, n: &mut NasView| {
            ask(&n.session, &ctx, |s| {
                let targets = s.backend.world().nas(n.id).volume().targets();
                Ok(rows(strings(targets.iter().map(|t| t.iqn.to_string()))))
            })
        })
        .register_get("shares", |ctx: NativeCallContext, n: &mut NasView| {
            ask(&n.session, &ctx, |s| {
                let shares = s.backend.world().nas(n.id).shares();
                Ok(strings(shares.iter().map(String::as_str)))
            })
        });
}
