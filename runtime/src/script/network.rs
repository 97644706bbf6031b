//! Script objects for the report's first stages (§2.1–2.2): hosts, their NICs, files and
//! services, switches and routers. Each is a handle (session + id); every method reads the
//! backend's world or is one call to a backend operation ([`crate::backend::HostOperations`]).

use super::rows::Rows;
use super::spec::{Key, Spec, SpecTable};
use super::{call, finish, reg, warn_all, warn_findings, Outcome, SharedSession};
use crate::error::{Error, Result};
use crate::shell::{self, ShellOutput};
use crate::world::host::hardware::{Cpu, Disk, HostSpec, VirtExtension};
use crate::world::host::os::{OsSpec, PartitionSpec};
use crate::world::net::ip::Ipv4Cidr;
use crate::world::node::{format_ip_br_addr, format_ip_route, NicSpec};
use crate::world::reach::PingReport;
use crate::world::services::ServiceAction;
use crate::world::switch::{RouterPort, SwitchSpec};
use crate::world::{HostId, NodeId, RouterId, SwitchId};
use rhai::{Array, Dynamic, Engine, Map, NativeCallContext};

#[derive(Clone)]
pub struct HostRef {
    pub session: SharedSession,
    pub id: HostId,
}

#[derive(Clone)]
pub struct SwitchRef {
    pub session: SharedSession,
    pub id: SwitchId,
}

#[derive(Clone)]
pub struct RouterRef {
    pub session: SharedSession,
    pub id: RouterId,
}

#[derive(Clone)]
pub struct NicRef {
    pub session: SharedSession,
    pub node: NodeId,
    pub name: String,
}

#[derive(Clone)]
pub struct ServiceRef {
    pub session: SharedSession,
    pub host: HostId,
    pub name: String,
}

#[derive(Clone)]
pub struct PingResult(pub PingReport);

/// What a command line left on a host's shell (`h.sh(..)`).
#[derive(Clone)]
pub struct ShellResult(pub ShellOutput);

pub fn register(engine: &mut Engine, session: &SharedSession) {
    engine
        .register_type_with_name::<HostRef>("Host")
        .register_type_with_name::<SwitchRef>("Switch")
        .register_type_with_name::<RouterRef>("Router")
        .register_type_with_name::<NicRef>("Nic")
        .register_type_with_name::<ServiceRef>("Service")
        .register_type_with_name::<PingResult>("PingResult")
        .register_type_with_name::<ShellResult>("ShellResult");
    register_constructors(engine, session);
    register_switch_syntax(engine);
    register_host(engine);
    register_nic_and_service(engine);
    register_switch_and_ping(engine);
    register_shell_result(engine);
}

pub const HOST_SPEC: SpecTable = SpecTable {
    what: "host spec",
    keys: &[
        Key::new(
            "cpu",
            "The CPU model, as /proc/cpuinfo names it.",
            r#""AMD Phenom II""#,
        ),
        Key::new("cores", "Number of CPU cores.", "4"),
        Key::new("ghz", "Clock rate in GHz.", "2.5"),
        Key::new(
            "virt",
            "The CPU's virtualization extension: \"AMD-V\", \"VT-x\" or \"none\".",
            r#""AMD-V""#,
        ),
        Key::new(
            "bios_virt",
            "Whether the BIOS enables the extension (default true).",
            "true",
        ),
        Key::new("memory", "RAM, a size.", r#""16G""#),
        Key::new(
            "disks",
            "The local disks, a list of disk maps.",
            r#"[#{name: "sda", size: "1TB"}]"#,
        )
        .holding(&DISK_SPEC),
        Key::new(
            "nics",
            "The network cards, a list of NIC maps.",
            r#"[#{name: "eth0", speed: "1Gbit/s"}]"#,
        )
        .holding(&NIC_SPEC),
    ],
};

pub const DISK_SPEC: SpecTable = SpecTable {
    what: "disk",
    keys: &[
        Key::new("name", "The kernel's name for the disk.", r#""sda""#),
        Key::new(
            "size",
            "Its capacity, a size (disk vendors' decimal units).",
            r#""1TB""#,
        ),
        Key::new("model", "The vendor's model name.", r#""Seagate 1 TB""#),
        Key::new("rpm", "Spindle speed.", "7200"),
    ],
};

pub const NIC_SPEC: SpecTable = SpecTable {
    what: "nic",
    keys: &[
        Key::new("name", "The interface name.", r#""eth0""#),
        Key::new(
            "speed",
            "Link speed, a rate (default 1 Gbit/s).",
            r#""1Gbit/s""#,
        ),
        Key::new("model", "The card's model name.", r#""Intel PCI-E""#),
    ],
};

pub const OS_SPEC: SpecTable = SpecTable {
    what: "OS spec",
    keys: &[
        Key::new(
            "distro",
            "The distribution and release.",
            r#""Scientific Linux 6.1""#,
        ),
        Key::new("arch", "The architecture (default x86_64).", r#""x86_64""#),
        Key::new(
            "partitions",
            "The installer's partitions; the last one without a size takes the rest.",
            r#"[#{mount: "/", size: "100G"}, #{mount: "/guest"}]"#,
        )
        .holding(&PARTITION_SPEC),
        Key::new(
            "groups",
            "Package groups to install.",
            r#"["Desktop", "Virtualization"]"#,
        ),
        Key::new(
            "hostname",
            "The host name set at install (default: the host's name).",
            r#""sv1""#,
        ),
    ],
};

pub const PARTITION_SPEC: SpecTable = SpecTable {
    what: "partition",
    keys: &[
        Key::new("mount", "Where the partition is mounted.", r#""/""#),
        Key::new(
            "size",
            "Its size; without one it takes the rest of the disk.",
            r#""100G""#,
        ),
        Key::new(
            "disk",
            "The disk it is on (default: the first).",
            r#""sda""#,
        ),
    ],
};

pub const SWITCH_SPEC: SpecTable = SpecTable {
    what: "switch spec",
    keys: &[Key::new(
        "speed",
        "Port speed, a rate (default 1 Gbit/s).",
        r#""1Gbit/s""#,
    )],
};

pub const ROUTER_PORT_SPEC: SpecTable = SpecTable {
    what: "router port",
    keys: &[
        Key::new("net", "The switch the port is plugged into.", "net1"),
        Key::new(
            "address",
            "The port's address with its prefix length.",
            r#""192.168.1.1/24""#,
        ),
    ],
};

fn host_spec(map: Map) -> Result<HostSpec> {
    let spec = Spec::new(&HOST_SPEC, map)?;
    let virt = match spec.opt_string("virt", "\"AMD-V\"")?.as_deref() {
        None | Some("none") => None,
        Some("AMD-V") | Some("amd-v") | Some("svm") => Some(VirtExtension::AmdV),
        Some("VT-x") | Some("vt-x") | Some("vmx") => Some(VirtExtension::VtX),
        Some(other) => {
            return Err(spec.bad(
                "virt",
                format!("`{other}` is not a virtualization extension"),
                "write \"AMD-V\", \"VT-x\" or \"none\"",
            ))
        }
    };
    let disks = spec
        .maps("disks", "[#{name: \"sda\", size: \"1TB\"}]")?
        .into_iter()
        .map(|d| {
            let d = Spec::new(&DISK_SPEC, d)?;
            Ok(Disk {
                name: d.string("name", "\"sda\"")?,
                size: d.size("size", "\"1TB\"")?,
                model: d
                    .opt_string("model", "\"Seagate 1 TB\"")?
                    .unwrap_or_default(),
                rpm: d
                    .opt_int("rpm", "7200")?
                    .map(|r| r.clamp(0, u32::MAX as i64) as u32),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let nics = spec
        .maps("nics", "[#{name: \"eth0\", speed: \"1Gbit/s\"}]")?
        .into_iter()
        .map(nic_spec)
        .collect::<Result<Vec<_>>>()?;
    let cores = spec.int("cores", "4")?;
    Ok(HostSpec {
        cpu: Cpu {
            model: spec.string("cpu", "\"AMD Phenom II\"")?,
            cores: u32::try_from(cores).map_err(|_| {
                spec.bad(
                    "cores",
                    format!("{cores} is not a core count"),
                    "a CPU has 1 or more cores",
                )
            })?,
            ghz: spec.float("ghz", "2.5")?,
            virt,
        },
        memory: spec.size("memory", "\"16G\"")?,
        disks,
        nics,
        bios_virt_enabled: spec.opt_bool("bios_virt", "true")?.unwrap_or(true),
    })
}

/// One network card of a spec's `nics` list: #{name, speed, model}.
pub fn nic_spec(map: Map) -> Result<NicSpec> {
    let n = Spec::new(&NIC_SPEC, map)?;
    Ok(NicSpec {
        name: n.string("name", "\"eth0\"")?,
        speed: n.opt_rate("speed", "\"1Gbit/s\"")?.unwrap_or(125e6),
        model: n
            .opt_string("model", "\"Intel PCI-E\"")?
            .unwrap_or_default(),
    })
}

fn os_spec(map: Map) -> Result<OsSpec> {
    let spec = Spec::new(&OS_SPEC, map)?;
    let partitions = spec
        .opt_maps(
            "partitions",
            "[#{mount: \"/\", size: \"100G\"}, #{mount: \"/guest\"}]",
        )?
        .unwrap_or_default()
        .into_iter()
        .map(|map| {
            let p = Spec::new(&PARTITION_SPEC, map)?;
            Ok(PartitionSpec {
                mount: p.string("mount", "\"/\"")?,
                size: p.opt_size("size", "\"100G\"")?,
                disk: p.opt_string("disk", "\"sda\"")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(OsSpec {
        distro: spec.string("distro", "\"Scientific Linux 6.1\"")?,
        arch: spec
            .opt_string("arch", "\"x86_64\"")?
            .unwrap_or_else(|| "x86_64".into()),
        partitions,
        package_groups: spec
            .opt_strings("groups", "[\"Desktop\", \"Virtualization\"]")?
            .unwrap_or_default(),
        hostname: spec.opt_string("hostname", "\"sv1\"")?,
    })
}

fn register_constructors(engine: &mut Engine, session: &SharedSession) {
    let s = session.clone();
    reg(
        "sh",
        &["host: String", "line: String", "ShellResult"],
        "Runs a command line as root on the lab host of that name (`sh(\"sv1\", \"ping -c 1 sv2\")`), as `host.sh(line)` does; the console's root prompt (`:sh sv1`) types these.",
    )
    .register_into_engine(
        engine,
        move |ctx: NativeCallContext, host: &str, line: &str| -> Outcome<ShellResult> {
            let id = s.borrow().backend.world().host_named(host);
            let result = id.and_then(|id| run_shell(&s, id, line));
            finish(&s, &ctx, result.map(ShellResult))
        },
    );
    let s = session.clone();
    reg(
        "host",
        &["name: String", "spec: Map", "Host"],
        "A physical server: its hardware as in the report's Table 1.",
    )
    .register_into_engine(
        engine,
        move |ctx: NativeCallContext, name: &str, spec: Map| -> Outcome<HostRef> {
            let id = call(&s, &ctx, |b| b.add_host(name, host_spec(spec)?))?;
            Ok(HostRef {
                session: s.clone(),
                id,
            })
        },
    );

    let s = session.clone();
    reg(
        "connect",
        &["name: String", "uri: String", "Host"],
        "A host reached at a libvirt URI (`qemu+ssh://root@sv3/system`), ready for KVM: its OS installed with the Virtualization group, AMD-V on, libvirtd running. On real hosts it joins the run's site; on the simulator it is the same ready host.",
    )
    .register_into_engine(
        engine,
        move |ctx: NativeCallContext, name: &str, uri: &str| -> Outcome<HostRef> {
            let id = call(&s, &ctx, |b| b.connect_host(name, uri))?;
            Ok(HostRef {
                session: s.clone(),
                id,
            })
        },
    );

    let s = session.clone();
    reg("segment", &["name: String", "cidr: String", "spec: Map", "Switch"], "A network switch carrying `cidr`, with a port speed: #{speed: \"100Mbit/s\"}. Also written `switch(name, cidr, spec)`.")
        .register_into_engine(engine, move |ctx: NativeCallContext, name: &str, cidr: &str, spec: Map| -> Outcome<SwitchRef> {
            let id = call(&s, &ctx, |b| {
                let spec = Spec::new(&SWITCH_SPEC, spec)?;
                let speed = spec.opt_rate("speed", "\"1Gbit/s\"")?.unwrap_or(125e6);
                b.add_switch(SwitchSpec {
                    name: name.into(),
                    cidr: Ipv4Cidr::parse_network(cidr)?,
                    speed,
                })
            })?;
            Ok(SwitchRef { session: s.clone(), id })
        });

    let s = session.clone();
    reg("router", &["name: String", "ports: Array", "Router"], "A router (e.g. the default gateway): ports [#{net: net1, address: \"192.168.1.1/24\"}].")
        .register_into_engine(engine, move |ctx: NativeCallContext, name: &str, ports: Array| -> Outcome<RouterRef> {
            let id = call(&s, &ctx, |b| {
                let ports = ports
                    .into_iter()
                    .map(|p| {
                        let bad = || Error::BadValue {
                            key: "ports".into(),
                            what: "router".into(),
                            reason: "each port is a map #{net, address}".into(),
                            help: "write `router(\"gw\", [#{net: net1, address: \"192.168.1.1/24\"}])`".into(),
                        };
                        let map = p.try_cast::<Map>().ok_or_else(bad)?;
                        let port = Spec::new(&ROUTER_PORT_SPEC, map)?;
                        let switch = port
                            .opt_value("net")
                            .and_then(|v| v.try_cast::<SwitchRef>())
                            .ok_or_else(bad)?;
                        Ok(RouterPort {
                            switch: switch.id,
                            address: Ipv4Cidr::parse(&port.string("address", "\"192.168.1.1/24\"")?)?,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                b.add_router(name, &ports)
            })?;
            Ok(RouterRef { session: s.clone(), id })
        });
}

pub const SWITCH_SYNTAX: super::catalog::Syntax = super::catalog::Syntax {
    keyword: "switch",
    form: "switch(name, cidr, spec)",
    doc: "A network switch carrying `cidr`; the same as `segment(name, cidr, spec)`.",
    example: r#"let net3 = switch("NET3", "10.20.0.0/16", #{speed: "1Gbit/s"});"#,
    spec: Some((2, &SWITCH_SPEC)),
};

/// `switch` is a Rhai keyword (the switch expression); labs use the word for the network
/// device, so the keyword is disabled and `switch(name, cidr, spec)` calls `segment`.
fn register_switch_syntax(engine: &mut Engine) {
    engine.disable_symbol("switch");
    let syntax = ["switch", "(", "$expr$", ",", "$expr$", ",", "$expr$", ")"];
    engine
        .register_custom_syntax(syntax, false, |ctx, inputs| {
            let name = ctx.eval_expression_tree(&inputs[0])?;
            let cidr = ctx.eval_expression_tree(&inputs[1])?;
            let spec = ctx.eval_expression_tree(&inputs[2])?;
            // A native call's error has no position: pin it to the `switch(..)` line.
            let at = inputs[0].position();
            ctx.call_fn::<Dynamic>("segment", (name, cidr, spec))
                .map_err(|mut err| {
                    if err.position().is_none() {
                        err.set_position(at);
                    }
                    err
                })
        })
        .expect("the switch syntax is well-formed");
}

fn register_host(engine: &mut Engine) {
    engine
        .register_get("name", |h: &mut HostRef| {
            h.session
                .borrow()
                .backend
                .world()
                .host(h.id)
                .name()
                .to_string()
        })
        .register_fn("to_string", |h: &mut HostRef| {
            h.session.borrow().backend.world().host(h.id).to_string()
        })
        .register_fn("to_debug", |h: &mut HostRef| {
            format!(
                "Host({})",
                h.session.borrow().backend.world().host(h.id).name()
            )
        })
        .register_get("kvm_usable", |h: &mut HostRef| {
            h.session.borrow().backend.world().host(h.id).kvm_usable()
        })
        .register_get("memory", |h: &mut HostRef| {
            h.session.borrow().backend.world().host(h.id).spec().memory as i64
        })
        .register_get("cores", |h: &mut HostRef| {
            h.session
                .borrow()
                .backend
                .world()
                .host(h.id)
                .spec()
                .cpu
                .cores as i64
        });

    reg(
        "install_os",
        &["host: Host", "spec: Map", "()"],
        "Installs the OS: #{distro, arch, partitions, groups, hostname}.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef, spec: Map| {
            call(&h.session, &ctx, |b| {
                let spec = os_spec(spec)?;
                let warnings = b.install_os(h.id, &spec)?;
                warn_all(b, warnings);
                Ok(())
            })
        },
    );
    reg(
        "install_group",
        &["host: Host", "group: String", "()"],
        "Installs a package group, e.g. \"Virtualization\".",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef, group: &str| {
            call(&h.session, &ctx, |b| b.install_group(h.id, group))
        },
    );
    reg(
        "set_bios_virt",
        &["host: Host", "enabled: bool", "()"],
        "Turns AMD-V/VT-x on or off in the BIOS setup.",
    )
    .register_into_engine(engine, |h: &mut HostRef, enabled: bool| {
        let mut s = h.session.borrow_mut();
        s.backend.set_bios_virt(h.id, enabled);
    });
    reg(
        "check_kvm",
        &["host: Host", "()"],
        "Fails with the reason when KVM is not usable on this host.",
    )
    .register_into_engine(engine, |ctx: NativeCallContext, h: &mut HostRef| {
        call(&h.session, &ctx, |b| b.world().host(h.id).kvm_check())
    });
    reg(
        "nic",
        &["host: Host", "name: String", "Nic"],
        "One of the host's network cards, e.g. \"eth0\".",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef, name: &str| {
            nic_of(&h.session, &ctx, h.id.into(), name)
        },
    );
    reg(
        "write_file",
        &["host: Host", "path: String", "text: String", "()"],
        "Replaces a file's text, as an editor would.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef, path: &str, text: &str| {
            call(&h.session, &ctx, |b| {
                let findings = b.write_host_file(h.id, path, text)?;
                warn_findings(b, findings);
                Ok(())
            })
        },
    );
    reg(
        "append_file",
        &["host: Host", "path: String", "text: String", "()"],
        "Appends text to a file, like `cat >> path`.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef, path: &str, text: &str| {
            call(&h.session, &ctx, |b| {
                let findings = b.append_host_file(h.id, path, text)?;
                warn_findings(b, findings);
                Ok(())
            })
        },
    );
    reg(
        "set_vars",
        &["host: Host", "path: String", "vars: Map", "()"],
        "Sets KEY=value lines in a config file, replacing same-named keys.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef, path: &str, vars: Map| {
            call(&h.session, &ctx, |b| {
                let pairs: Vec<(String, String)> = vars
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                let borrowed: Vec<(&str, &str)> = pairs
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let findings = b.set_host_vars(h.id, path, &borrowed)?;
                warn_findings(b, findings);
                Ok(())
            })
        },
    );
    reg(
        "read_file",
        &["host: Host", "path: String", "String"],
        "A file's text.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef, path: &str| -> Outcome<String> {
            call(&h.session, &ctx, |b| {
                b.world().host(h.id).read_file(path).map(str::to_string)
            })
        },
    );
    reg(
        "service",
        &["host: Host", "name: String", "Service"],
        "A system service, e.g. \"network\" or \"iscsi\".",
    )
    .register_into_engine(engine, |h: &mut HostRef, name: &str| ServiceRef {
        session: h.session.clone(),
        host: h.id,
        name: name.into(),
    });
    reg(
        "resolve",
        &["host: Host", "name: String", "String"],
        "The address the host resolves `name` to, through /etc/hosts.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef, name: &str| -> Outcome<String> {
            call(&h.session, &ctx, |b| {
                b.world().resolve(h.id, name).map(|r| r.address.to_string())
            })
        },
    );
    reg(
        "ping",
        &["host: Host", "target: String", "PingResult"],
        "Pings a name or address; the result tells whether it answered, and why not.",
    )
    .register_into_engine(engine, |h: &mut HostRef, target: &str| {
        PingResult(h.session.borrow().backend.world().ping(h.id, target))
    });
    reg(
        "sh",
        &["host: Host", "line: String", "ShellResult"],
        "Runs a command line as root on the host, as its shell would: `&&`, `||`, `;`, pipes, `>`, `>>` and here-documents; the result has the exit status, stdout and stderr.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, h: &mut HostRef, line: &str| -> Outcome<ShellResult> {
            let result = run_shell(&h.session, h.id, line);
            finish(&h.session, &ctx, result.map(ShellResult))
        },
    );
    reg(
        "interfaces",
        &["host: Host", "Rows"],
        "The host's interfaces, like `ip -br addr`.",
    )
    .register_into_engine(engine, |h: &mut HostRef| {
        let rows = h.session.borrow().backend.world().host(h.id).interfaces();
        Rows::new(format_ip_br_addr(&rows), &rows)
    });
    reg(
        "routes",
        &["host: Host", "Rows"],
        "The host's routing table, like `ip route`.",
    )
    .register_into_engine(engine, |h: &mut HostRef| {
        let rows = h.session.borrow().backend.world().host(h.id).routes();
        Rows::new(format_ip_route(&rows), &rows)
    });
}

/// The error for a card a node does not have, with a "did you mean" among its cards.
/// A machine's network card by name (a host's or the NAS's), with a "did you mean" when
/// there is no such card.
pub fn nic_of(
    session: &SharedSession,
    ctx: &NativeCallContext,
    node: NodeId,
    name: &str,
) -> Outcome<NicRef> {
    call(session, ctx, |b| {
        let stack = b.world().stack(node);
        if stack.nic(name).is_some() {
            return Ok(());
        }
        let machine = b.world().node_name(node);
        let known: Vec<&str> = stack.nics.iter().map(|n| n.name.as_str()).collect();
        Err(Error::UnknownNic {
            host: machine.into(),
            nic: name.into(),
            help: crate::suggest::help_for(name, &format!("{machine}'s cards"), &known),
        })
    })?;
    Ok(NicRef {
        session: session.clone(),
        node,
        name: name.into(),
    })
}

fn register_nic_and_service(engine: &mut Engine) {
    engine
        .register_get("name", |n: &mut NicRef| n.name.clone())
        .register_fn("to_string", |n: &mut NicRef| {
            let s = n.session.borrow();
            format!("{} {}", s.backend.world().node_name(n.node), n.name)
        })
        .register_fn("to_debug", |n: &mut NicRef| {
            let s = n.session.borrow();
            format!("Nic({} {})", s.backend.world().node_name(n.node), n.name)
        })
        .register_fn("to_string", |s: &mut ServiceRef| {
            let session = s.session.borrow();
            format!(
                "service {}",
                super::show::service_line(session.backend.world(), s.host, &s.name)
            )
        })
        .register_fn("to_debug", |s: &mut ServiceRef| {
            let session = s.session.borrow();
            let host = session.backend.world().host(s.host).name().to_string();
            format!("Service({} on {host})", s.name)
        });
    reg(
        "connect",
        &["nic: Nic", "switch: Switch", "()"],
        "Cables the card to a switch.",
    )
    .register_into_engine(
        engine,
        |ctx: NativeCallContext, n: &mut NicRef, sw: SwitchRef| {
            call(&n.session, &ctx, |b| b.connect(n.node, &n.name, sw.id))
        },
    );
    reg("disconnect", &["nic: Nic", "()"], "Pulls the card's cable.").register_into_engine(
        engine,
        |ctx: NativeCallContext, n: &mut NicRef| {
            call(&n.session, &ctx, |b| b.disconnect(n.node, &n.name))
        },
    );

    engine.register_get("name", |s: &mut ServiceRef| s.name.clone());
    let actions = [
        (
            "start",
            ServiceAction::Start,
            "Starts the service (`service NAME start`); returns what the init script prints.",
        ),
        (
            "stop",
            ServiceAction::Stop,
            "Stops the service; returns what the init script prints.",
        ),
        (
            "restart",
            ServiceAction::Restart,
            "Stops and starts the service; `network` applies the ifcfg files.",
        ),
        (
            "status",
            ServiceAction::Status,
            "What `service NAME status` prints: running (with its pid) or stopped.",
        ),
    ];
    for (name, action, doc) in actions {
        reg(name, &["service: Service", "String"], doc).register_into_engine(
            engine,
            move |ctx: NativeCallContext, svc: &mut ServiceRef| -> Outcome<String> {
                call(&svc.session, &ctx, |b| {
                    let report = b.service(svc.host, &svc.name, action)?;
                    warn_findings(b, report.findings);
                    Ok(report.lines.join("\n"))
                })
            },
        );
    }
}

fn register_shell_result(engine: &mut Engine) {
    engine
        .register_get("status", |r: &mut ShellResult| i64::from(r.0.status))
        .register_get("ok", |r: &mut ShellResult| r.0.status == 0)
        .register_get("stdout", |r: &mut ShellResult| r.0.stdout.clone())
        .register_get("stderr", |r: &mut ShellResult| r.0.stderr.clone())
        .register_get("lines", |r: &mut ShellResult| {
            r.0.stdout
                .lines()
                .map(|l| Dynamic::from(l.to_string()))
                .collect::<Array>()
        })
        .register_get("rows", |r: &mut ShellResult| {
            super::rows::Rows::new(r.0.stdout.clone(), &r.0.rows)
        })
        .register_get("code", |r: &mut ShellResult| {
            r.0.error
                .as_ref()
                .map_or(Dynamic::UNIT, |e| e.code_str().into())
        })
        .register_get("help", |r: &mut ShellResult| {
            r.0.error
                .as_ref()
                .and_then(|e| e.help_str())
                .map_or(Dynamic::UNIT, Dynamic::from)
        })
        .register_fn("to_string", |r: &mut ShellResult| terminal_text(&r.0))
        .register_fn("to_debug", |r: &mut ShellResult| {
            format!("ShellResult(status {})", r.0.status)
        });
}

/// Runs a command line on a host; a `virsh migrate` it types joins the run's migrations as
/// `g.migrate(..)` would.
fn run_shell(session: &SharedSession, host: HostId, line: &str) -> Result<ShellOutput> {
    let mut s = session.borrow_mut();
    let s = &mut *s;
    let history = &mut s.history;
    let mut migrate = |b: &mut dyn crate::backend::Backend, guest, dest, request| {
        super::guests::migrate_recorded(b, history, guest, dest, Ok(request))
    };
    shell::run(s.backend.as_mut(), &mut migrate, host, line)
}

/// A command's streams as a terminal shows them: stdout, then stderr.
pub fn terminal_text(output: &ShellOutput) -> String {
    format!("{}{}", output.stdout, output.stderr)
}

fn register_switch_and_ping(engine: &mut Engine) {
    engine
        .register_get("name", |s: &mut SwitchRef| {
            s.session.borrow().backend.world().switch(s.id).name.clone()
        })
        .register_get("cidr", |s: &mut SwitchRef| {
            s.session
                .borrow()
                .backend
                .world()
                .switch(s.id)
                .cidr
                .to_string()
        })
        .register_get("speed", |s: &mut SwitchRef| {
            s.session.borrow().backend.world().switch(s.id).speed
        })
        .register_fn("to_debug", |s: &mut SwitchRef| {
            format!(
                "Switch({})",
                s.session.borrow().backend.world().switch(s.id).name
            )
        })
        .register_fn("to_string", |s: &mut SwitchRef| {
            let session = s.session.borrow();
            let sw = session.backend.world().switch(s.id);
            format!(
                "switch {} {} at {}",
                sw.name,
                sw.cidr,
                crate::units::human_rate(sw.speed)
            )
        })
        .register_get("name", |r: &mut RouterRef| {
            r.session.borrow().backend.world().router(r.id).name.clone()
        })
        .register_fn("to_debug", |r: &mut RouterRef| {
            format!(
                "Router({})",
                r.session.borrow().backend.world().router(r.id).name
            )
        })
        .register_fn("to_string", |r: &mut RouterRef| {
            format!(
                "router {}",
                r.session.borrow().backend.world().router(r.id).name
            )
        });

    engine
        .register_get("reachable", |p: &mut PingResult| p.0.reachable)
        .register_get("address", |p: &mut PingResult| {
            p.0.address
                .map(|a| Dynamic::from(a.to_string()))
                .unwrap_or(Dynamic::UNIT)
        })
        .register_get("rtt_ms", |p: &mut PingResult| {
            p.0.rtt_ms().map(Dynamic::from).unwrap_or(Dynamic::UNIT)
        })
        .register_get("reason", |p: &mut PingResult| {
            p.0.failure
                .as_ref()
                .map(|e| Dynamic::from(e.to_string()))
                .unwrap_or(Dynamic::UNIT)
        })
        .register_get("help", |p: &mut PingResult| {
            p.0.failure
                .as_ref()
                .and_then(Error::help_str)
                .map(Dynamic::from)
                .unwrap_or(Dynamic::UNIT)
        })
        .register_get("code", |p: &mut PingResult| {
            p.0.failure
                .as_ref()
                .map(|e| Dynamic::from(e.code_str()))
                .unwrap_or(Dynamic::UNIT)
        })
        .register_get("path", |p: &mut PingResult| {
            p.0.path
                .iter()
                .map(|h| Dynamic::from(h.to_string()))
                .collect::<Array>()
        })
        .register_fn("to_debug", |p: &mut PingResult| {
            format!("PingResult({} → {})", p.0.source, p.0.target)
        })
        .register_fn("to_string", |p: &mut PingResult| p.0.to_string());
}
