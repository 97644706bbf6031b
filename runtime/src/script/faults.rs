//! Faults in scripts: a card's cable pulled and plugged back (`nic.unplug()`, `nic.plug()`),
//! a host's power lost and restored (`h.crash()`, `h.power_on()`), a guest started again on
//! another host (`g.start_on(h)`), a switch losing and delaying frames (`net.degrade(..)`,
//! `net.restore()`), and any of them scheduled on lab time with
//! `fault(#{at, kind, host, nic})`. Each is one call to [`crate::backend::Backend::inject_fault`]
//! or a guest or host operation.

use super::guests::GuestRef;
use super::network::{HostRef, NicRef, SwitchRef};
use super::spec::{Key, Spec, SpecTable};
use super::storage::NasRef;
use super::{call, reg, warn_all, warn_findings, Outcome, SharedSession};
use crate::error::{Error, Result};
use crate::fault::{Fault, FAULT_KINDS};
use crate::time::LabTime;
use crate::world::nas::NasId;
use crate::world::storage::raid::MemberState;
use crate::world::switch::Impairment;
use crate::world::{NodeId, SwitchId, World};
use rhai::{Engine, Map, NativeCallContext, INT};

/// A disk of a NAS, by its bay (from 1).
#[derive(Clone)]
pub struct NasDiskRef {
    pub session: SharedSession,
    pub nas: NasId,
    pub bay: usize,
}

pub const FAULT_SPEC: SpecTable = SpecTable {
    what: "fault",
    keys: &[
        Key::new(
            "at",
            "The lab time it happens, in seconds (`clock()` is now); left out: now.",
            "20.0",
        ),
        Key::new(
            "kind",
            "\"unplug\" or \"plug\" (a card's cable: `host`, `nic`), \"power_loss\" or \"power_on\" (`host`), \"degrade\" or \"restore\" (`net`), \"disk_fail\" or \"disk_replace\" (a NAS's disk: `host`, `disk`).",
            r#""unplug""#,
        ),
        Key::new(
            "host",
            "The machine it happens to: a host, or the NAS for its cards.",
            r#""sv2""#,
        ),
        Key::new(
            "nic",
            "The card whose cable is pulled or plugged back.",
            r#""eth1""#,
        ),
        Key::new(
            "disk",
            "For \"disk_fail\" and \"disk_replace\": the NAS's bay, from 1.",
            "3",
        ),
        Key::new(
            "net",
            "The switch a \"degrade\" or \"restore\" acts on, by name.",
            r#""NET1""#,
        ),
        Key::new(
            "loss",
            "For \"degrade\": the share of frames lost, a percentage.",
            r#""2%""#,
        ),
        Key::new(
            "delay",
            "For \"degrade\": the delay added to every frame each way, in ms or s.",
            r#""50ms""#,
        ),
    ],
};

pub const DEGRADE_SPEC: SpecTable = SpecTable {
    what: "degradation",
    keys: &[
        Key::new(
            "loss",
            "The share of frames lost, a percentage (default \"0%\").",
            r#""2%""#,
        ),
        Key::new(
            "delay",
            "The delay added to every frame each way, in ms or s (default \"0ms\").",
            r#""50ms""#,
        ),
    ],
};

pub fn register(engine: &mut Engine, session: &SharedSession) {
    let s = session.clone();
    reg(
        "fault",
        &["spec: Map", "()"],
        "Schedules a fault on lab time: it happens at `at` while whatever runs then (a migration, a download) goes on.",
    )
    .register_into_engine(engine, move |ctx: NativeCallContext, spec: Map| {
        call(&s, &ctx, |b| {
            let (at, fault) = read_fault(b.world(), spec)?;
            b.inject_fault(at, fault)
        })
    });
    reg(
        "unplug",
        &["nic: Nic", "()"],
        "Pulls the card's cable out; it stays with its switch, to plug back.",
    )
    .register_into_engine(engine, |ctx: NativeCallContext, n: &mut NicRef| {
        let fault = Fault::Unplug {
            node: n.node,
            nic: n.name.clone(),
        };
        call(&n.session, &ctx, |b| b.inject_fault(None, fault))
    });
    reg(
        "plug",
        &["nic: Nic", "()"],
        "Pushes the card's pulled cable back in.",
    )
    .register_into_engine(engine, |ctx: NativeCallContext, n: &mut NicRef| {
        let fault = Fault::Plug {
            node: n.node,
            nic: n.name.clone(),
        };
        call(&n.session, &ctx, |b| b.inject_fault(None, fault))
    });
    reg(
        "degrade",
        &["switch: Switch", "spec: Map", "()"],
        "Makes the switch lose and delay frames, as `tc qdisc add .. netem loss 2% delay 50ms` on its ports; TCP flows across it slow down.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, sw: &mut SwitchRef, map: Map| {
            call(&sw.session, &ctx, |b| {
                let impairment = read_impairment(&Spec::new(&DEGRADE_SPEC, map)?)?;
                b.inject_fault(
                    None,
                    Fault::Degrade {
                        switch: sw.id,
                        impairment,
                    },
                )
            })
        },
    );
    reg(
        "restore",
        &["switch: Switch", "()"],
        "Ends the switch's degradation: every frame passes at once again.",
    )
    .register_into_engine(engine, |ctx: NativeCallContext, sw: &mut SwitchRef| {
        call(&sw.session, &ctx, |b| {
            b.inject_fault(None, Fault::Restore { switch: sw.id })
        })
    });
    engine
        .register_type_with_name::<NasDiskRef>("NasDisk")
        .register_get("bay", |d: &mut NasDiskRef| d.bay as INT)
        .register_get("state", |d: &mut NasDiskRef| {
            let s = d.session.borrow();
            let members = s
                .backend
                .world()
                .nas(d.nas)
                .volume()
                .raid
                .members()
                .to_vec();
            match members.get(d.bay - 1) {
                Some(MemberState::Active) => "active",
                Some(MemberState::Failed) => "failed",
                Some(MemberState::Rebuilding { .. }) => "rebuilding",
                None => "absent",
            }
        });
    reg(
        "disk",
        &["nas: Nas", "bay: int", "NasDisk"],
        "The disk in one of the NAS's bays, numbered from 1 as its UI numbers them.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, n: &mut NasRef, bay: INT| -> Outcome<NasDiskRef> {
            let disks = n
                .session
                .borrow()
                .backend
                .world()
                .nas(n.id)
                .volume()
                .raid
                .disks;
            let bay = usize::try_from(bay)
                .ok()
                .filter(|b| (1..=disks).contains(b))
                .ok_or(Error::RaidNoBay {
                    bay: bay.max(0) as usize,
                    disks,
                });
            let bay = super::finish(&n.session, &ctx, bay)?;
            Ok(NasDiskRef {
                session: n.session.clone(),
                nas: n.id,
                bay,
            })
        },
    );
    reg(
        "fail",
        &["disk: NasDisk", "()"],
        "The disk fails: the array runs degraded while its level survives the failures, and is lost with everything on it one failure later.",
    )
    .register_into_engine(engine, |ctx: NativeCallContext, d: &mut NasDiskRef| {
        let fault = Fault::DiskFail {
            nas: d.nas,
            bay: d.bay,
        };
        call(&d.session, &ctx, |b| b.inject_fault(None, fault))
    });
    reg(
        "replace",
        &["disk: NasDisk", "()"],
        "A new disk goes into the failed disk's bay and is rebuilt from the others while lab time passes (2 TB: 5.6 h).",
    )
    .register_into_engine(engine, |ctx: NativeCallContext, d: &mut NasDiskRef| {
        let fault = Fault::DiskReplace {
            nas: d.nas,
            bay: d.bay,
        };
        call(&d.session, &ctx, |b| b.inject_fault(None, fault))
    });
    reg(
        "crash",
        &["host: Host", "()"],
        "The host loses its power: its guests stop with it, and it answers nothing until `power_on()`.",
    )
    .register_into_engine(engine, |ctx: NativeCallContext, h: &mut HostRef| {
        call(&h.session, &ctx, |b| {
            b.inject_fault(None, Fault::PowerLoss { host: h.id })
        })
    });
    reg(
        "power_on",
        &["host: Host", "String"],
        "Switches on a host whose power went; it boots as after a reboot. Returns the console log.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef| -> Outcome<String> {
            call(&h.session, &ctx, |b| {
                let boot = b.power_on(h.id)?;
                warn_findings(b, boot.findings);
                Ok(boot.log.join("\n"))
            })
        },
    );
    reg(
        "start_on",
        &["guest: Guest", "host: Host", "()"],
        "Starts a shut-off guest on another host (virsh define there, then start): only one that sees its disk.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, g: &mut GuestRef, h: HostRef| {
            call(&g.session, &ctx, |b| {
                let warnings = b.start_guest_on(g.id, h.id)?;
                warn_all(b, warnings);
                Ok(())
            })
        },
    );
}

/// `fault(#{..})`'s map as a fault and its time.
fn read_fault(world: &World, map: Map) -> Result<(Option<LabTime>, Fault)> {
    let spec = Spec::new(&FAULT_SPEC, map)?;
    let at = match spec.opt_float("at", "20.0")? {
        Some(seconds) if !(0.0..=LabTime::LONGEST_LAB.as_secs_f64()).contains(&seconds) => {
            return Err(spec.bad(
                "at",
                format!("{seconds} s is not a lab time"),
                "give seconds since the lab began, e.g. `clock() + 5.0`",
            ))
        }
        Some(seconds) => Some(LabTime::from_secs_f64(seconds)),
        None => None,
    };
    let kind = spec.string("kind", r#""unplug""#)?;
    let switch = || -> Result<SwitchId> {
        let name = spec.string("net", r#""NET1""#)?;
        switch_named(world, &name).ok_or_else(|| {
            let names: Vec<&str> = world.switches().map(|(_, s)| s.name.as_str()).collect();
            spec.bad(
                "net",
                format!("the lab has no switch `{name}`"),
                crate::suggest::help_for(&name, "switches", &names),
            )
        })
    };
    let fault = match kind.as_str() {
        "degrade" => Fault::Degrade {
            switch: switch()?,
            impairment: read_impairment(&spec)?,
        },
        "restore" => Fault::Restore { switch: switch()? },
        _ => {
            let machine = spec.string("host", r#""sv2""#)?;
            let node = machine_named(world, &machine)?;
            let host = || match node {
                NodeId::Host(host) => Ok(host),
                _ => Err(spec.bad(
                    "host",
                    format!("{machine} is not a host: only a host's power is modelled"),
                    "name a host, e.g. \"sv2\"",
                )),
            };
            let nic = || spec.string("nic", r#""eth1""#);
            let nas = || match node {
                NodeId::Nas(nas) => Ok(nas),
                _ => Err(spec.bad(
                    "host",
                    format!("{machine} is not a NAS: only a NAS's disks are modelled"),
                    "name the NAS, e.g. \"iscsi1\"",
                )),
            };
            let bay = || -> Result<usize> {
                let bay = spec.int("disk", "3")?;
                usize::try_from(bay).map_err(|_| {
                    spec.bad(
                        "disk",
                        format!("{bay} is no bay"),
                        "bays are numbered from 1",
                    )
                })
            };
            match kind.as_str() {
                "disk_fail" => Fault::DiskFail {
                    nas: nas()?,
                    bay: bay()?,
                },
                "disk_replace" => Fault::DiskReplace {
                    nas: nas()?,
                    bay: bay()?,
                },
                "unplug" => Fault::Unplug { node, nic: nic()? },
                "plug" => Fault::Plug { node, nic: nic()? },
                "power_loss" => Fault::PowerLoss { host: host()? },
                "power_on" => Fault::PowerOn { host: host()? },
                other => {
                    return Err(spec.bad(
                        "kind",
                        format!("`{other}` is not a fault kvmlab knows"),
                        crate::suggest::help_for(other, "faults", FAULT_KINDS),
                    ))
                }
            }
        }
    };
    let foreign: &[&str] = match fault {
        Fault::PowerLoss { .. } | Fault::PowerOn { .. } => &["nic", "net", "loss", "delay", "disk"],
        Fault::Unplug { .. } | Fault::Plug { .. } => &["net", "loss", "delay", "disk"],
        Fault::Degrade { .. } => &["host", "nic", "disk"],
        Fault::Restore { .. } => &["host", "nic", "loss", "delay", "disk"],
        Fault::DiskFail { .. } | Fault::DiskReplace { .. } => &["nic", "net", "loss", "delay"],
    };
    let wrong_key = foreign.iter().find(|k| spec.has(k));
    if let Some(key) = wrong_key {
        return Err(spec.bad(
            key,
            format!("a {kind} does not take `{key}`"),
            "give each kind its own keys: unplug and plug take host and nic, power_loss and power_on host, degrade net, loss and delay, restore net, disk_fail and disk_replace host (the NAS) and disk",
        ));
    }
    Ok((at, fault))
}

/// A host or a NAS by name, with the hosts' "did you mean" when it is neither.
fn machine_named(world: &World, name: &str) -> Result<NodeId> {
    match world.host_named(name) {
        Ok(host) => Ok(NodeId::Host(host)),
        Err(not_a_host) => world
            .nas_named(name)
            .map(NodeId::Nas)
            .map_err(|_: Error| not_a_host),
    }
}

fn switch_named(world: &World, name: &str) -> Option<SwitchId> {
    world
        .switches()
        .find(|(_, s)| s.name == name)
        .map(|(id, _)| id)
}

/// `loss` ("2%") and `delay` ("50ms", "0.2s") of a degradation; both default to none.
fn read_impairment(spec: &Spec) -> Result<Impairment> {
    let loss = match spec.opt_string("loss", r#""2%""#)? {
        None => 0.0,
        Some(text) => {
            let percent = text
                .trim()
                .strip_suffix('%')
                .and_then(|n| n.trim().parse::<f64>().ok())
                .filter(|p| (0.0..=100.0).contains(p))
                .ok_or_else(|| {
                    spec.bad(
                        "loss",
                        format!("`{text}` is not a percentage from 0% to 100%"),
                        "write the share of frames lost with a percent sign, e.g. \"2%\" or \"0.5%\"",
                    )
                })?;
            percent / 100.0
        }
    };
    let delay_s = match spec.opt_string("delay", r#""50ms""#)? {
        None => 0.0,
        Some(text) => parse_delay(&text).ok_or_else(|| {
            spec.bad(
                "delay",
                format!("`{text}` is not a delay from 0 to 10 s"),
                "write milliseconds or seconds with their unit, e.g. \"50ms\" or \"0.2s\"",
            )
        })?,
    };
    Ok(Impairment { loss, delay_s })
}

/// "50ms" or "0.2s" in seconds, up to netem's practical 10 s.
fn parse_delay(text: &str) -> Option<f64> {
    let text = text.trim();
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 1e-3)
    } else {
        (text.strip_suffix('s')?, 1.0)
    };
    let seconds = number.trim().parse::<f64>().ok()? * scale;
    (0.0..=10.0).contains(&seconds).then_some(seconds)
}
