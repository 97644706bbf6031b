//! Script objects for the report's storage (§2.3–2.4): the NAS and its iSCSI targets, and on
//! each host the packages, iSCSI initiator, block devices, file systems, mounts and reboots.
//! Every method reads the backend's world or is one call to a backend operation
//! ([`crate::backend::StorageOperations`], [`crate::backend::HostOperations`]); what the real
//! command prints comes back as text, what it warns about becomes a warning at the calling
//! line.

use super::network::{nic_of, nic_spec, HostRef};
use super::rows::Rows;
use super::spec::{describe, Key, Spec, SpecTable};
use super::SharedSession;
use super::{call, reg, warn_all, warn_findings, Outcome};
use crate::error::{Error, Result};
use crate::units;
use crate::world::nas::{NasId, NasSpec};
use crate::world::net::ip::Ipv4Cidr;
use crate::world::storage::fstab::FSTAB_PATH;
use crate::world::storage::iscsi::Chap;
use crate::world::storage::nas::{LunSize, NasModel};
use crate::world::storage::raid::RaidLevel;
use crate::world::{HostId, World};
use rhai::{Array, Dynamic, Engine, Map, NativeCallContext, INT};

#[derive(Clone)]
pub struct NasRef {
    pub session: SharedSession,
    pub id: NasId,
}

/// A whole disk of a host as `parted DEV` addresses it.
#[derive(Clone)]
pub struct BlockDeviceRef {
    pub session: SharedSession,
    pub host: HostId,
    pub path: String,
}

pub fn register(engine: &mut Engine, session: &SharedSession) {
    engine
        .register_type_with_name::<NasRef>("Nas")
        .register_type_with_name::<BlockDeviceRef>("BlockDevice");
    register_nas(engine, session);
    register_packages_and_boot(engine);
    register_initiator(engine);
    register_block_devices(engine);
    register_file_systems(engine);
}

pub const NAS_SPEC: SpecTable = SpecTable {
    what: "NAS spec",
    keys: &[
        Key::new("model", "The NAS product.", r#""Thecus N7700PRO""#),
        Key::new("disks", "Drives in the RAID.", "7"),
        Key::new(
            "disk_size",
            "Each drive's size (decimal, as vendors count).",
            r#""2TB""#,
        ),
        Key::new("raid", "The RAID level: 0, 1, 5, 6, 10 or \"JBOD\".", "6"),
        Key::new(
            "data_percent",
            "Percent of the RAID kept for the data volume; the rest is for iSCSI.",
            "50",
        ),
        Key::new(
            "nics",
            "The network cards, a list of NIC maps (default: the model's).",
            r#"[#{name: "eth0", speed: "1Gbit/s"}]"#,
        )
        .holding(&super::network::NIC_SPEC),
        Key::new(
            "write_rate",
            "The RAID's sustained write rate.",
            r#""100MB/s""#,
        ),
    ],
};

/// The NAS products kvmlab models.
fn nas_model(spec: &Spec) -> Result<NasModel> {
    let models = [NasModel::thecus_n7700pro()];
    let name = spec.string("model", "\"Thecus N7700PRO\"")?;
    if let Some(model) = models.iter().find(|m| m.name.eq_ignore_ascii_case(&name)) {
        return Ok(model.clone());
    }
    let names: Vec<&str> = models.iter().map(|m| m.name.as_str()).collect();
    Err(spec.bad(
        "model",
        format!("`{name}` is not a NAS model kvmlab knows"),
        crate::suggest::help_for(&name, "the NAS models kvmlab knows", &names),
    ))
}

/// A NAS as the trainee sets it up in the web UI's RAID wizard. Model, disks, disk size and
/// RAID level are required; the data percentage, ports and write rate default to the
/// report's NAS ([`NasSpec::report`]).
fn nas_spec(map: Map) -> Result<NasSpec> {
    let spec = Spec::new(&NAS_SPEC, map)?;
    let report = NasSpec::report();
    let model = nas_model(&spec)?;
    let disks = spec.int("disks", "7")?;
    let disks = usize::try_from(disks).map_err(|_| {
        spec.bad(
            "disks",
            format!("{disks} is not a number of disks"),
            format!("a {} holds 1 to {} disks", model.name, model.bays),
        )
    })?;
    let raid = match spec.opt_value("raid") {
        None => {
            return Err(Error::MissingKey {
                key: "raid".into(),
                what: "NAS spec".into(),
                help: "add it, e.g. `#{raid: 6}`".into(),
            })
        }
        Some(v) if v.is_int() => RaidLevel::from_number(v.as_int().unwrap_or_default())?,
        Some(v) if v.is_string() => RaidLevel::parse(&v.to_string())?,
        Some(v) => {
            return Err(Error::WrongType {
                key: "raid".into(),
                what: "NAS spec".into(),
                expected: "a RAID level".into(),
                found: describe(&v),
                help: "write it like `raid: 6`".into(),
            })
        }
    };
    let nics = match spec.opt_maps("nics", "[#{name: \"eth0\", speed: \"1Gbit/s\"}]")? {
        None => report.nics,
        Some(nics) => nics.into_iter().map(nic_spec).collect::<Result<Vec<_>>>()?,
    };
    Ok(NasSpec {
        model,
        disks,
        disk_size: spec.size("disk_size", "\"2TB\"")?,
        raid,
        data_percent: spec
            .opt_int("data_percent", "50")?
            .unwrap_or(report.data_percent),
        nics,
        write_rate: spec
            .opt_rate("write_rate", "\"100MB/s\"")?
            .unwrap_or(report.write_rate),
    })
}

/// A target or LUN size: bytes, a size string ("20G", "4TB"), or a percentage of the RAID's
/// capacity ("50%"), as the UI's allocation slider gives it.
fn lun_size(size: &Dynamic) -> Result<LunSize> {
    let bad = |reason: String| Error::BadValue {
        key: "size".into(),
        what: "iSCSI target".into(),
        reason,
        help: "give bytes, a size such as \"4TB\", or a share of the RAID such as \"50%\"".into(),
    };
    if let Ok(bytes) = size.as_int() {
        return u64::try_from(bytes)
            .map(LunSize::Bytes)
            .map_err(|_| bad(format!("{bytes} is negative")));
    }
    if !size.is_string() {
        return Err(bad(format!("{} is not a size", describe(size))));
    }
    let text = size.to_string();
    match text.trim().strip_suffix('%') {
        Some(percent) => match percent.trim().parse::<u8>() {
            Ok(p) if p <= 100 => Ok(LunSize::PercentOfRaid(p)),
            _ => Err(bad(format!("`{text}` is not a percentage from 0 to 100"))),
        },
        None => units::parse_size(&text).map(LunSize::Bytes),
    }
}

/// The NAS UI's RAID information page, in its units ("GB" that are GiB).
fn nas_summary(world: &World, nas: NasId) -> String {
    let n = world.nas(nas);
    let volume = n.volume();
    let s = volume.summary();
    let fs = if n.data_fs().is_some() {
        "EXT3"
    } else {
        "none"
    };
    let gib = |bytes: u64| format!("{:.1} GB", bytes as f64 / (1u64 << 30) as f64);
    format!(
        "{} ({}): {} of {} disks, {fs}, Healthy\n\
         Total capacity  {}\n\
         Data capacity   {}\n\
         iSCSI capacity  {} ({} allocated, {} free, {} target(s))",
        n.name(),
        volume.model.name,
        s.level,
        s.disks,
        s.capacity_ui,
        s.data_ui,
        s.iscsi_ui,
        gib(s.iscsi_allocated),
        gib(s.iscsi_free),
        volume.targets().len()
    )
}

fn register_nas(engine: &mut Engine, session: &SharedSession) {
    let s = session.clone();
    reg(
        "nas",
        &["name: String", "spec: Map", "Nas"],
        "A NAS set up in its web UI: #{model, disks, disk_size, raid, data_percent, nics, write_rate}.",
    )
    .register_into_engine(
        engine,
        move |ctx: NativeCallContext, name: &str, spec: Map| -> Outcome<NasRef> {
            let id = call(&s, &ctx, |b| b.add_nas(name, nas_spec(spec)?))?;
            Ok(NasRef {
                session: s.clone(),
                id,
            })
        },
    );

    let volume = |n: &NasRef| {
        n.session
            .borrow()
            .backend
            .world()
            .nas(n.id)
            .volume()
            .summary()
    };
    engine
        .register_get("name", |n: &mut NasRef| {
            n.session
                .borrow()
                .backend
                .world()
                .nas(n.id)
                .name()
                .to_string()
        })
        .register_get("model", |n: &mut NasRef| {
            let s = n.session.borrow();
            s.backend.world().nas(n.id).volume().model.name.clone()
        })
        .register_get("raid", move |n: &mut NasRef| volume(n).level)
        .register_get("disks", move |n: &mut NasRef| volume(n).disks as INT)
        .register_get("raid_state", |n: &mut NasRef| {
            let s = n.session.borrow();
            s.backend.world().nas(n.id).volume().raid.state()
        })
        .register_get("tolerated_failures", |n: &mut NasRef| {
            let s = n.session.borrow();
            s.backend
                .world()
                .nas(n.id)
                .volume()
                .raid
                .tolerated_failures() as INT
        })
        .register_get("capacity", move |n: &mut NasRef| volume(n).capacity as INT)
        .register_get("data_capacity", move |n: &mut NasRef| volume(n).data as INT)
        .register_get("iscsi_capacity", move |n: &mut NasRef| {
            volume(n).iscsi as INT
        })
        .register_get("iscsi_allocated", move |n: &mut NasRef| {
            volume(n).iscsi_allocated as INT
        })
        .register_get("iscsi_free", move |n: &mut NasRef| {
            volume(n).iscsi_free as INT
        })
        .register_get("capacity_ui", move |n: &mut NasRef| volume(n).capacity_ui)
        .register_get("data_ui", move |n: &mut NasRef| volume(n).data_ui)
        .register_get("iscsi_ui", move |n: &mut NasRef| volume(n).iscsi_ui)
        .register_fn("to_string", |n: &mut NasRef| {
            nas_summary(n.session.borrow().backend.world(), n.id)
        })
        .register_fn("to_debug", |n: &mut NasRef| {
            format!(
                "Nas({})",
                n.session.borrow().backend.world().nas(n.id).name()
            )
        });

    reg(
        "nic",
        &["nas: Nas", "name: String", "Nic"],
        "One of the NAS's network ports, e.g. \"eth0\".",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, n: &mut NasRef, name: &str| {
            nic_of(&n.session, &ctx, n.id.into(), name)
        },
    );
    reg(
        "ip",
        &["nas: Nas", "nic: String", "address: String", "()"],
        "The UI's network page: a port's static address, e.g. \"10.10.1.10/16\", in effect at once.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, n: &mut NasRef, nic: &str, address: &str| {
            call(&n.session, &ctx, |b| {
                let address = Ipv4Cidr::parse(address)?;
                b.set_nas_address(n.id, nic, address)
            })
        },
    );
    reg(
        "iscsi_target",
        &["nas: Nas", "iqn: String", "size: ?", "()"],
        "Creates an iSCSI target of one LUN: size in bytes, \"4TB\", or \"50%\" of the RAID.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, n: &mut NasRef, iqn: &str, size: Dynamic| {
            call(&n.session, &ctx, |b| {
                let warnings = b.nas_create_target(n.id, iqn, lun_size(&size)?)?;
                warn_all(b, warnings);
                Ok(())
            })
        },
    );
    reg(
        "add_lun",
        &["nas: Nas", "iqn: String", "size: ?", "i64"],
        "Adds a LUN to a target; returns its number.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, n: &mut NasRef, iqn: &str, size: Dynamic| -> Outcome<INT> {
            call(&n.session, &ctx, |b| {
                b.nas_add_lun(n.id, iqn, lun_size(&size)?)
                    .map(|lun| lun as INT)
            })
        },
    );
    reg(
        "allow",
        &["nas: Nas", "iqn: String", "initiator: String", "()"],
        "Adds an initiator name to the target's ACL (an empty ACL admits every initiator).",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, n: &mut NasRef, iqn: &str, initiator: &str| {
            call(&n.session, &ctx, |b| {
                b.nas_allow_initiator(n.id, iqn, initiator)
            })
        },
    );
    reg(
        "chap",
        &[
            "nas: Nas",
            "iqn: String",
            "user: String",
            "secret: String",
            "()",
        ],
        "Makes the target demand CHAP with these credentials (secret of 12 to 16 characters).",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, n: &mut NasRef, iqn: &str, user: &str, secret: &str| {
            call(&n.session, &ctx, |b| {
                let chap = Chap::new(user, secret)?;
                b.nas_set_chap(n.id, iqn, Some(chap))
            })
        },
    );
    reg(
        "nfs_share",
        &["nas: Nas", "name: String", "String"],
        "An NFS share in the data space; returns its export path (/raid0/data/NAME).",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, n: &mut NasRef, name: &str| -> Outcome<String> {
            call(&n.session, &ctx, |b| b.nas_create_share(n.id, name))
        },
    );
}

fn strings(lines: Vec<String>) -> Array {
    lines.into_iter().map(Dynamic::from).collect()
}

fn register_packages_and_boot(engine: &mut Engine) {
    reg(
        "yum_install",
        &["host: Host", "package: String", "String"],
        "`yum install PACKAGE`; returns what yum prints at the end.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef, package: &str| -> Outcome<String> {
            call(&h.session, &ctx, |b| {
                let report = b.yum_install(h.id, package)?;
                Ok(report.lines.join("\n"))
            })
        },
    );
    reg(
        "chkconfig",
        &["host: Host", "service: String", "on: bool", "()"],
        "`chkconfig NAME on|off`: whether the service starts at boot.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef, name: &str, on: bool| {
            call(&h.session, &ctx, |b| b.chkconfig(h.id, name, on))
        },
    );
    reg(
        "reboot",
        &["host: Host", "String"],
        "Reboots the host: services and mounts come back as chkconfig and /etc/fstab say; returns the console log.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef| -> Outcome<String> {
            call(&h.session, &ctx, |b| {
                let boot = b.reboot(h.id)?;
                warn_findings(b, boot.findings);
                Ok(boot.log.join("\n"))
            })
        },
    );
}

fn register_initiator(engine: &mut Engine) {
    reg(
        "iscsi_discover",
        &["host: Host", "portal: String", "Array"],
        "`iscsiadm --mode discovery --type sendtargets --portal PORTAL`: its lines, one per target.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef, portal: &str| -> Outcome<Array> {
            call(&h.session, &ctx, |b| {
                b.iscsi_discover(h.id, portal).map(strings)
            })
        },
    );
    reg(
        "iscsi_nodes",
        &["host: Host", "Array"],
        "`iscsiadm -m node`: the node records discovery left, one line each.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef| -> Outcome<Array> {
            call(&h.session, &ctx, |b| {
                b.world().iscsi_nodes(h.id).map(strings)
            })
        },
    );
    reg(
        "iscsi_sessions",
        &["host: Host", "Array"],
        "`iscsiadm -m session`: the logged-in targets, one line each.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef| -> Outcome<Array> {
            call(&h.session, &ctx, |b| {
                b.world().iscsi_sessions(h.id).map(strings)
            })
        },
    );
    reg(
        "iscsi_login",
        &["host: Host", "iqn: String", "String"],
        "`iscsiadm --mode node --targetname IQN --login`; returns the disk LUN 0 appears as, e.g. \"/dev/sdb\".",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef, iqn: &str| -> Outcome<String> {
            call(&h.session, &ctx, |b| {
                let login = b.iscsi_login(h.id, iqn)?;
                Ok(login.devices.into_iter().next().unwrap_or_default())
            })
        },
    );
    reg(
        "iscsi_logout",
        &["host: Host", "iqn: String", "Array"],
        "`iscsiadm --mode node --targetname IQN --logout`: the session ends, its disks go.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef, iqn: &str| -> Outcome<Array> {
            call(&h.session, &ctx, |b| b.iscsi_logout(h.id, iqn).map(strings))
        },
    );
    reg(
        "iscsi_startup",
        &["host: Host", "iqn: String", "automatic: bool", "()"],
        "Sets the node record's `node.startup` (automatic: logged in when the iscsi service starts).",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef, iqn: &str, automatic: bool| {
            call(&h.session, &ctx, |b| {
                b.iscsi_set_startup(h.id, iqn, automatic)
            })
        },
    );
    reg(
        "iscsi_chap",
        &[
            "host: Host",
            "iqn: String",
            "user: String",
            "secret: String",
            "()",
        ],
        "Sets the CHAP credentials the node record presents at login.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef, iqn: &str, user: &str, secret: &str| {
            call(&h.session, &ctx, |b| {
                let chap = Chap::new(user, secret)?;
                b.iscsi_set_chap(h.id, iqn, Some(chap))
            })
        },
    );
    reg(
        "initiator_name",
        &["host: Host", "String"],
        "The initiator's IQN, as /etc/iscsi/initiatorname.iscsi gives it now.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef| -> Outcome<String> {
            call(&h.session, &ctx, |b| {
                b.world().iscsi_initiator_name(h.id).map(|i| i.to_string())
            })
        },
    );
}

fn register_block_devices(engine: &mut Engine) {
    reg(
        "disks",
        &["host: Host", "Rows"],
        "The host's disks, like `fdisk -l`; a row per disk with its partitions.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef| -> Outcome<Rows> {
            call(&h.session, &ctx, |b| {
                let disks = b.world().disks(h.id)?;
                let text: String = disks.iter().map(|d| d.fdisk.as_str()).collect();
                Ok(Rows::new(text, &disks))
            })
        },
    );
    reg(
        "disk",
        &["host: Host", "device: String", "BlockDevice"],
        "A whole disk for parted, e.g. \"/dev/sdb\".",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef, dev: &str| -> Outcome<BlockDeviceRef> {
            call(&h.session, &ctx, |b| {
                b.world().parted_print(h.id, dev).map(|_| ())
            })?;
            Ok(BlockDeviceRef {
                session: h.session.clone(),
                host: h.id,
                path: dev.into(),
            })
        },
    );

    // `print` is a Rhai keyword: `print(disk)` shows what `parted DEV print` prints.
    engine
        .register_get("path", |d: &mut BlockDeviceRef| d.path.clone())
        .register_fn("to_string", |d: &mut BlockDeviceRef| {
            let s = d.session.borrow();
            s.backend
                .world()
                .parted_print(d.host, &d.path)
                .unwrap_or_else(|e| format!("{}: {e}", d.path))
        })
        .register_fn("to_debug", |d: &mut BlockDeviceRef| {
            format!("BlockDevice({})", d.path)
        });
    reg(
        "mklabel",
        &["disk: BlockDevice", "label: String", "()"],
        "`parted DEV mklabel gpt|msdos`: a new, empty partition table.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, d: &mut BlockDeviceRef, label: &str| {
            call(&d.session, &ctx, |b| {
                let warnings = b.parted_mklabel(d.host, &d.path, label)?;
                warn_all(b, warnings);
                Ok(())
            })
        },
    );
    reg(
        "mkpart",
        &[
            "disk: BlockDevice",
            "name: String",
            "fstype: String",
            "start: String",
            "end: String",
            "()",
        ],
        "`parted DEV mkpart NAME FSTYPE START END`, START and END in %, MB, GB, TB, MiB, … .",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext,
         d: &mut BlockDeviceRef,
         name: &str,
         fstype: &str,
         start: &str,
         end: &str| {
            call(&d.session, &ctx, |b| {
                let made = b.parted_mkpart(d.host, &d.path, name, fstype, start, end)?;
                warn_all(b, made.warnings);
                Ok(())
            })
        },
    );
    reg(
        "mkpartfs",
        &[
            "disk: BlockDevice",
            "name: String",
            "fstype: String",
            "start: String",
            "end: String",
            "()",
        ],
        "The report's `mkpartfs`: gone from parted; use `mkpart`, then `mkfs`.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext,
         d: &mut BlockDeviceRef,
         _name: &str,
         _fstype: &str,
         _start: &str,
         _end: &str|
         -> Outcome<()> {
            let disk = d.path.clone();
            call(&d.session, &ctx, |_| Err(Error::MkpartfsRemoved { disk }))
        },
    );
    reg(
        "rm",
        &["disk: BlockDevice", "number: i64", "()"],
        "`parted DEV rm NUMBER`: removes a partition.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, d: &mut BlockDeviceRef, number: INT| {
            call(&d.session, &ctx, |b| {
                let number = u32::try_from(number).map_err(|_| Error::BadValue {
                    key: "number".into(),
                    what: "parted rm".into(),
                    reason: format!("{number} is not a partition number"),
                    help: "`print` lists the partitions and their numbers".into(),
                })?;
                let warnings = b.parted_rm(d.host, &d.path, number)?;
                warn_all(b, warnings);
                Ok(())
            })
        },
    );
    reg(
        "parted_print",
        &["disk: BlockDevice", "String"],
        "`parted DEV print`: the label and the partitions.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, d: &mut BlockDeviceRef| -> Outcome<String> {
            call(&d.session, &ctx, |b| {
                b.world().parted_print(d.host, &d.path)
            })
        },
    );
}

fn register_file_systems(engine: &mut Engine) {
    reg(
        "mkdir",
        &["host: Host", "path: String", "()"],
        "`mkdir PATH` (the parent must exist).",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef, path: &str| {
            call(&h.session, &ctx, |b| b.mkdir(h.id, path))
        },
    );
    reg(
        "mkfs",
        &["host: Host", "fstype: String", "device: String", "String"],
        "`mkfs.FSTYPE DEV`: takes lab time that grows with the size; returns the file system's UUID.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef, fstype: &str, dev: &str| -> Outcome<String> {
            call(&h.session, &ctx, |b| {
                let made = b.mkfs(h.id, fstype, dev)?;
                warn_all(b, made.warnings);
                Ok(made.uuid)
            })
        },
    );
    reg(
        "mount",
        &[
            "host: Host",
            "device: String",
            "dir: String",
            "fstype: String",
            "()",
        ],
        "`mount -t FSTYPE DEVICE DIR` (\"auto\" detects the type).",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef, dev: &str, dir: &str, fstype: &str| {
            call(&h.session, &ctx, |b| {
                let warnings = b.mount(h.id, dev, dir, fstype, "defaults")?;
                warn_all(b, warnings);
                Ok(())
            })
        },
    );
    reg(
        "mount",
        &[
            "host: Host",
            "device: String",
            "dir: String",
            "fstype: String",
            "options: String",
            "()",
        ],
        "`mount -t FSTYPE -o OPTIONS DEVICE DIR`, e.g. options \"ro\".",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext,
         h: &mut HostRef,
         dev: &str,
         dir: &str,
         fstype: &str,
         options: &str| {
            call(&h.session, &ctx, |b| {
                let warnings = b.mount(h.id, dev, dir, fstype, options)?;
                warn_all(b, warnings);
                Ok(())
            })
        },
    );
    reg(
        "umount",
        &["host: Host", "dir_or_device: String", "()"],
        "`umount DIR` or `umount DEVICE`.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef, target: &str| {
            call(&h.session, &ctx, |b| b.umount(h.id, target))
        },
    );
    reg(
        "mount_all",
        &["host: Host", "()"],
        "`mount -a`: mounts what /etc/fstab lists and is not mounted; its problems are warnings.",
    )
    .register_into_engine(engine, |ctx: NativeCallContext, h: &mut HostRef| {
        call(&h.session, &ctx, |b| {
            let findings = b.mount_all(h.id)?;
            warn_findings(b, findings);
            Ok(())
        })
    });
    reg(
        "df",
        &["host: Host", "path: String", "Rows"],
        "`df -h PATH`: the file system holding a path (or a mounted device), in human units.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef, path: &str| -> Outcome<Rows> {
            call(&h.session, &ctx, |b| {
                let df = b.world().df(h.id, path)?;
                Ok(Rows::new(df.text, std::slice::from_ref(&df.row)))
            })
        },
    );
    reg(
        "fstab",
        &["host: Host", "Rows"],
        "/etc/fstab: the file's text, and a row per entry as mount reads it.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef| -> Outcome<Rows> {
            call(&h.session, &ctx, |b| {
                let host = b.world().host(h.id);
                let fstab = host.fstab()?;
                let text = host.read_file(FSTAB_PATH);
                Ok(Rows::new(
                    text.map(str::to_string).unwrap_or_default(),
                    &fstab.entries,
                ))
            })
        },
    );
}
