//! Script objects for libvirt storage pools and their volumes (report §2.4–2.5): where guest
//! disks live, and whether another host sees them (live migration asks).

use super::network::HostRef;
use super::spec::{Key, Spec, SpecTable};
use super::SharedSession;
use super::{call, reg, warn_all, Outcome};
use crate::error::Result;
use crate::units::human_size;
use crate::world::pool::{PoolKind, PoolSpec, Volume, VolumeSpec};
use crate::world::storage::blockdev::VolumeFormat;
use crate::world::HostId;
use rhai::{Array, Dynamic, Engine, Map, NativeCallContext};

#[derive(Clone)]
pub struct PoolRef {
    pub session: SharedSession,
    pub host: HostId,
    pub name: String,
}

/// A volume as its pool listed it when the script got it.
#[derive(Clone)]
pub struct VolumeRef {
    pub host: HostId,
    pub pool: String,
    pub volume: Volume,
}

pub const POOL_SPEC: SpecTable = SpecTable {
    what: "pool spec",
    keys: &[
        Key::new(
            "name",
            "The pool's name, as virsh pool-list shows it.",
            r#""iscsi1""#,
        ),
        Key::new(
            "type",
            "dir, fs, netfs, logical or iscsi (default dir).",
            r#""dir""#,
        ),
        Key::new(
            "target",
            "The folder the pool's volumes are in.",
            r#""/iscsi1""#,
        ),
        Key::new(
            "source",
            "The block device of a fs or logical pool.",
            r#""/dev/sdb1""#,
        ),
        Key::new(
            "host",
            "The server of a netfs or iscsi pool.",
            r#""10.10.1.10""#,
        ),
        Key::new(
            "path",
            "The exported folder of a netfs pool.",
            r#""/raid0/data/guests""#,
        ),
        Key::new(
            "iqn",
            "The target of an iscsi pool.",
            r#""iqn.2006-01.com.openfiler:tsn.b5ffc134d692""#,
        ),
        Key::new(
            "autostart",
            "Start the pool at boot (default true).",
            "true",
        ),
    ],
};

pub const VOLUME_SPEC: SpecTable = SpecTable {
    what: "volume spec",
    keys: &[
        Key::new(
            "name",
            "The volume's file name in the pool.",
            r#""centos-nz2.img""#,
        ),
        Key::new("capacity", "The size the guest sees.", r#""20G""#),
        Key::new("format", "\"raw\" (the default) or \"qcow2\".", r#""raw""#),
        Key::new(
            "allocation",
            "Space taken now (0 = sparse; default: all of it).",
            "0",
        ),
    ],
};

fn pool_spec(map: Map) -> Result<PoolSpec> {
    let spec = Spec::new(&POOL_SPEC, map)?;
    Ok(PoolSpec {
        name: spec.string("name", "\"iscsi1\"")?,
        kind: PoolKind::parse(
            &spec
                .opt_string("type", "\"dir\"")?
                .unwrap_or_else(|| "dir".into()),
        )?,
        target: spec.string("target", "\"/iscsi1\"")?,
        source_device: spec.opt_string("source", "\"/dev/sdb1\"")?,
        source_host: spec.opt_string("host", "\"10.10.1.10\"")?,
        source_path: spec.opt_string("path", "\"/raid0/data/guests\"")?,
        source_target: spec.opt_string("iqn", "\"iqn.2006-01.com.openfiler:tsn.b5ffc134d692\"")?,
        autostart: spec.opt_bool("autostart", "true")?.unwrap_or(true),
    })
}

pub fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<PoolRef>("Pool")
        .register_type_with_name::<VolumeRef>("Volume");

    reg("define_pool", &["host: Host", "spec: Map", "Pool"], "Defines and starts a libvirt storage pool: #{name, type: \"dir\"|\"fs\"|\"netfs\"|\"iscsi\", target, source, host, path, iqn}.")
        .register_into_engine(engine, |ctx: NativeCallContext, h: &mut HostRef, spec: Map| -> Outcome<PoolRef> {
            let name = call(&h.session, &ctx, |b| {
                let spec = pool_spec(spec)?;
                let name = spec.name.clone();
                let warnings = b.define_pool(h.id, spec)?;
                warn_all(b, warnings);
                Ok(name)
            })?;
            Ok(PoolRef { session: h.session.clone(), host: h.id, name })
        });
    reg(
        "pool",
        &["host: Host", "name: String", "Pool"],
        "A pool defined on this host.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef, name: &str| -> Outcome<PoolRef> {
            call(&h.session, &ctx, |b| b.world().pool(h.id, name).map(|_| ()))?;
            Ok(PoolRef {
                session: h.session.clone(),
                host: h.id,
                name: name.into(),
            })
        },
    );

    let info = |p: &PoolRef| {
        p.session
            .borrow()
            .backend
            .world()
            .pool_info(p.host, &p.name)
    };
    engine
        .register_get("name", |p: &mut PoolRef| p.name.clone())
        .register_get("capacity", move |p: &mut PoolRef| {
            info(p).map_or(0, |i| i.capacity as i64)
        })
        .register_get("allocation", move |p: &mut PoolRef| {
            info(p).map_or(0, |i| i.allocation as i64)
        })
        .register_get("available", move |p: &mut PoolRef| {
            info(p).map_or(0, |i| i.available as i64)
        })
        .register_get("active", move |p: &mut PoolRef| {
            info(p).is_ok_and(|i| i.active)
        })
        .register_fn("to_debug", |p: &mut PoolRef| {
            let s = p.session.borrow();
            format!(
                "Pool({} on {})",
                p.name,
                s.backend.world().host(p.host).name()
            )
        })
        .register_fn("to_string", move |p: &mut PoolRef| match info(p) {
            Ok(i) => format!(
                "pool {} ({}): {}, capacity {}, allocation {}, available {}",
                i.name,
                i.kind.name(),
                if i.active { "active" } else { "inactive" },
                human_size(i.capacity),
                human_size(i.allocation),
                human_size(i.available)
            ),
            Err(e) => format!("pool {}: {e}", p.name),
        });

    reg(
        "start",
        &["pool: Pool", "()"],
        "Starts the pool (virsh pool-start).",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, p: &mut PoolRef| -> Outcome<()> {
            call(&p.session, &ctx, |b| {
                let warnings = b.start_pool(p.host, &p.name)?;
                warn_all(b, warnings);
                Ok(())
            })
        },
    );
    reg("create_volume", &["pool: Pool", "spec: Map", "Volume"], "Creates a volume: #{name, capacity, format: \"raw\"|\"qcow2\", allocation} (allocation 0 = sparse).")
        .register_into_engine(engine, |ctx: NativeCallContext, p: &mut PoolRef, spec: Map| -> Outcome<VolumeRef> {
            let volume = call(&p.session, &ctx, |b| {
                let spec = Spec::new(&VOLUME_SPEC, spec)?;
                let capacity = spec.size("capacity", "\"20G\"")?;
                let volume = VolumeSpec {
                    name: spec.string("name", "\"centos-nz2.img\"")?,
                    capacity,
                    format: VolumeFormat::parse(&spec.opt_string("format", "\"raw\"")?.unwrap_or_else(|| "raw".into()))?,
                    allocation: spec.opt_size("allocation", "0")?.unwrap_or(capacity),
                };
                b.create_volume(p.host, &p.name, volume)
            })?;
            Ok(VolumeRef { host: p.host, pool: p.name.clone(), volume })
        });
    reg(
        "volumes",
        &["pool: Pool", "Array"],
        "The pool's volumes, as `virsh vol-list` sees them now.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, p: &mut PoolRef| -> Outcome<Array> {
            let volumes = call(&p.session, &ctx, |b| b.world().volumes(p.host, &p.name))?;
            Ok(volumes
                .into_iter()
                .map(|volume| {
                    Dynamic::from(VolumeRef {
                        host: p.host,
                        pool: p.name.clone(),
                        volume,
                    })
                })
                .collect())
        },
    );
    reg(
        "shared_with",
        &["pool: Pool", "host: Host", "bool"],
        "Whether the other host sees this pool's volumes (the same bytes at the same paths).",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, p: &mut PoolRef, other: HostRef| -> Outcome<bool> {
            call(&p.session, &ctx, |b| {
                b.world().pool_shared_with(p.host, &p.name, other.id)
            })
        },
    );

    engine
        .register_get("name", |v: &mut VolumeRef| v.volume.name.clone())
        .register_get("path", |v: &mut VolumeRef| v.volume.path.clone())
        .register_get("capacity", |v: &mut VolumeRef| v.volume.capacity as i64)
        .register_get("allocation", |v: &mut VolumeRef| v.volume.allocation as i64)
        .register_get("format", |v: &mut VolumeRef| {
            v.volume.format.name().to_string()
        })
        .register_get("pool", |v: &mut VolumeRef| v.pool.clone())
        .register_fn("to_debug", |v: &mut VolumeRef| {
            format!("Volume({})", v.volume.path)
        })
        .register_fn("to_string", |v: &mut VolumeRef| {
            format!(
                "volume {} in pool {}: {}, {} ({} allocated)",
                v.volume.name,
                v.pool,
                v.volume.path,
                human_size(v.volume.capacity),
                human_size(v.volume.allocation)
            )
        });
}
