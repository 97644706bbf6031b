//! Faults in scripts: a card's cable pulled and plugged back (`nic.unplug()`, `nic.plug()`),
//! a host's power lost and restored (`h.crash()`, `h.power_on()`), a guest started again on
//! another host (`g.start_on(h)`), and any of them scheduled on lab time with
//! `fault(#{at, kind, host, nic})`. Each is one call to [`crate::backend::Backend::inject_fault`]
//! or a guest or host operation.

use super::guests::GuestRef;
use super::network::{HostRef, NicRef};
use super::spec::{Key, Spec, SpecTable};
use super::{call, reg, warn_all, warn_findings, Outcome, SharedSession};
use crate::error::{Error, Result};
use crate::fault::{Fault, FAULT_KINDS};
use crate::time::LabTime;
use crate::world::{NodeId, World};
use rhai::{Engine, Map, NativeCallContext};

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
            "\"unplug\" or \"plug\" (a card's cable, with `nic`), \"power_loss\" or \"power_on\" (a host).",
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
    let fault = match kind.as_str() {
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
    };
    if spec.has("nic") && matches!(fault, Fault::PowerLoss { .. } | Fault::PowerOn { .. }) {
        return Err(spec.bad(
            "nic",
            format!("a {kind} acts on the whole host"),
            "leave `nic` out, or use \"unplug\" for one card",
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
