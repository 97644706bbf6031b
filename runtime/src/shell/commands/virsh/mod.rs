//! `virsh` of libvirt 0.8.7 (RHEL 6.1) against the host's own libvirtd: one command per
//! line, its options read as virsh reads them (`--name value`, `--name=value`, or in order
//! without their names), each command the backend operation the script methods call.
//!
//! - `domains`: list, domstate, dominfo, dumpxml, define, undefine and a domain's life;
//! - `pools`: storage pools and their volumes;
//! - `migrate`: migrate, its speed and downtime, domjobinfo.

pub(super) mod domains;
mod migrate;
mod pools;

use super::LongOptions;
use crate::error::Error;
use crate::shell::exec::{Output, Shell};
use crate::suggest;
use crate::world::guest::{GuestId, GuestState};

type Run = fn(&mut Shell, &Given) -> Output;

/// A virsh command: its name, its options, what runs it.
struct Command {
    name: &'static str,
    /// virsh's one-line help.
    help: &'static str,
    options: &'static [Opt],
    run: Run,
}

/// The virsh commands the prompt runs, with their options.
const COMMANDS: &[Command] = &[
    Command {
        name: "define",
        help: "define (but don't start) a domain from an XML file",
        options: &[data("file")],
        run: domains::define,
    },
    Command {
        name: "destroy",
        help: "destroy a domain",
        options: &[data("domain")],
        run: domains::destroy,
    },
    Command {
        name: "domid",
        help: "convert a domain name or UUID to domain id",
        options: &[data("domain")],
        run: domains::domid,
    },
    Command {
        name: "dominfo",
        help: "domain information",
        options: &[data("domain")],
        run: domains::dominfo,
    },
    Command {
        name: "domjobinfo",
        help: "domain job information",
        options: &[data("domain")],
        run: migrate::domjobinfo,
    },
    Command {
        name: "domstate",
        help: "domain state",
        options: &[data("domain"), flag("reason")],
        run: domains::domstate,
    },
    Command {
        name: "domuuid",
        help: "convert a domain name or id to domain UUID",
        options: &[data("domain")],
        run: domains::domuuid,
    },
    Command {
        name: "dumpxml",
        help: "domain information in XML",
        options: &[data("domain"), flag("inactive"), flag("security-info")],
        run: domains::dumpxml,
    },
    Command {
        name: "help",
        help: "print help",
        options: &[optional_data("command")],
        run: help,
    },
    Command {
        name: "hostname",
        help: "print the hypervisor hostname",
        options: &[],
        run: hostname,
    },
    Command {
        name: "list",
        help: "list domains",
        options: &[flag("all"), flag("inactive")],
        run: domains::list,
    },
    Command {
        name: "migrate",
        help: "migrate domain to another host",
        options: migrate::MIGRATE_OPTIONS,
        run: migrate::migrate,
    },
    Command {
        name: "migrate-getspeed",
        help: "Get the maximum migration bandwidth",
        options: &[data("domain")],
        run: migrate::getspeed,
    },
    Command {
        name: "migrate-setmaxdowntime",
        help: "set maximum tolerable downtime",
        options: &[data("domain"), data("downtime")],
        run: migrate::setmaxdowntime,
    },
    Command {
        name: "migrate-setspeed",
        help: "Set the maximum migration bandwidth",
        options: &[data("domain"), data("bandwidth")],
        run: migrate::setspeed,
    },
    Command {
        name: "nodeinfo",
        help: "node information",
        options: &[],
        run: nodeinfo,
    },
    Command {
        name: "pool-autostart",
        help: "autostart a pool",
        options: &[data("pool"), flag("disable")],
        run: pools::autostart,
    },
    Command {
        name: "pool-define-as",
        help: "define a pool from a set of args",
        options: pools::DEFINE_AS_OPTIONS,
        run: pools::define_as,
    },
    Command {
        name: "pool-info",
        help: "storage pool information",
        options: &[data("pool")],
        run: pools::info,
    },
    Command {
        name: "pool-list",
        help: "list pools",
        options: &[flag("all"), flag("inactive")],
        run: pools::list,
    },
    Command {
        name: "pool-start",
        help: "start a (previously defined) inactive pool",
        options: &[data("pool")],
        run: pools::start,
    },
    Command {
        name: "resume",
        help: "resume a domain",
        options: &[data("domain")],
        run: domains::resume,
    },
    Command {
        name: "shutdown",
        help: "gracefully shutdown a domain",
        options: &[data("domain")],
        run: domains::shutdown,
    },
    Command {
        name: "start",
        help: "start a (previously defined) inactive domain",
        options: &[data("domain"), flag("paused")],
        run: domains::start,
    },
    Command {
        name: "suspend",
        help: "suspend a domain",
        options: &[data("domain")],
        run: domains::suspend,
    },
    Command {
        name: "uri",
        help: "print the hypervisor canonical URI",
        options: &[],
        run: uri,
    },
    Command {
        name: "version",
        help: "show version",
        options: &[],
        run: version,
    },
    Command {
        name: "vol-create-as",
        help: "create a volume from a set of args",
        options: pools::VOL_CREATE_AS_OPTIONS,
        run: pools::vol_create_as,
    },
    Command {
        name: "vol-info",
        help: "storage vol information",
        options: &[data("vol"), value("pool")],
        run: pools::vol_info,
    },
    Command {
        name: "vol-list",
        help: "list vols",
        options: &[data("pool")],
        run: pools::vol_list,
    },
    Command {
        name: "vol-path",
        help: "returns the volume path for a given volume name or key",
        options: &[data("vol"), value("pool")],
        run: pools::vol_path,
    },
];

/// The virsh commands the prompt runs, sorted.
pub fn command_names() -> Vec<&'static str> {
    COMMANDS.iter().map(|c| c.name).collect()
}

/// The options of virsh command `name`, as `--option` words, for completion.
pub fn option_words(name: &str) -> Vec<String> {
    COMMANDS
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.options.iter().map(|o| format!("--{}", o.name)).collect())
        .unwrap_or_default()
}

/// Commands virsh 0.8.7 has that the prompt does not run: they answer what to do instead.
const OTHER_VIRSH_COMMANDS: &[&str] = &[
    "attach-disk",
    "attach-interface",
    "autostart",
    "console",
    "create",
    "domblkstat",
    "domifstat",
    "domjobabort",
    "edit",
    "managedsave",
    "net-list",
    "nodeinfo",
    "pool-build",
    "pool-create-as",
    "pool-define",
    "pool-delete",
    "pool-destroy",
    "pool-dumpxml",
    "pool-undefine",
    "reboot",
    "undefine",
    "restore",
    "save",
    "setmaxmem",
    "setmem",
    "setvcpus",
    "vcpuinfo",
    "vol-create",
    "vol-delete",
    "vol-dumpxml",
    "vncdisplay",
];

pub fn virsh(shell: &mut Shell, args: &[String], _: &str) -> Output {
    let mut args = args;
    // `virsh -c qemu:///system CMD` and `--connect URI` name the local libvirtd.
    while let Some(first) = args.first() {
        match first.as_str() {
            "-c" | "--connect" if args.len() > 1 => {
                if !local_uri(&args[1]) {
                    return Output::failed(
                        1,
                        format!("error: kvmlab's virsh talks to this host's own libvirtd (qemu:///system); run it on the other host's prompt instead of connecting to {}\nerror: failed to connect to the hypervisor\n", args[1]),
                    );
                }
                args = &args[2..];
            }
            "-q" | "--quiet" => args = &args[1..],
            _ => break,
        }
    }
    let Some((name, rest)) = args.split_first() else {
        return Output::failed(
            1,
            "kvmlab's virsh runs one command per line: virsh list, virsh start NAME, ...\n",
        );
    };
    if let Err(e) = shell.backend.world().require_libvirtd(shell.host) {
        shell.note(e);
        return Output::failed(
            1,
            "error: unable to connect to '/var/run/libvirt/libvirt-sock', libvirtd may need to be started: No such file or directory\nerror: failed to connect to the hypervisor\n",
        );
    }
    let Some(command) = COMMANDS.iter().find(|c| c.name == name) else {
        if OTHER_VIRSH_COMMANDS.contains(&name.as_str()) {
            let error = Error::ShellUnsupported {
                what: format!("`virsh {name}` is not one of this prompt's virsh commands"),
                help: format!(
                    "the prompt's virsh runs {}; the script methods (`kvmlab doc`) do the rest",
                    command_names().join(", ")
                ),
            };
            return shell.failure("virsh", error);
        }
        let error = Error::CommandNotFound {
            host: shell.backend.world().host(shell.host).name().into(),
            command: format!("virsh {name}"),
            help: suggest::help_for(name, "virsh commands", &command_names()),
        };
        shell.note(error);
        return Output::failed(1, format!("error: unknown command: '{name}'\n"));
    };
    match parse(command, rest) {
        Ok(given) => (command.run)(shell, &given),
        Err(out) => out,
    }
}

/// `virsh help [COMMAND]`: the commands, or one command's options.
fn help(_: &mut Shell, given: &Given) -> Output {
    match given.get("command") {
        None => {
            let mut text = String::from("Commands:\n\n");
            for command in COMMANDS {
                text.push_str(&format!("    {:<15} {}\n", command.name, command.help));
            }
            text.push('\n');
            Output::ok(text)
        }
        Some(name) => match COMMANDS.iter().find(|c| c.name == name) {
            Some(command) => {
                let options: Vec<String> = command
                    .options
                    .iter()
                    .map(|o| match o.kind {
                        Kind::Flag => format!("[--{}]", o.name),
                        Kind::Value => format!("[--{} <string>]", o.name),
                        Kind::Data => format!("<{}>", o.name),
                        Kind::OptionalData => format!("[<{}>]", o.name),
                    })
                    .collect();
                Output::ok(format!(
                    "  NAME\n    {} - {}\n\n  SYNOPSIS\n    {} {}\n\n",
                    command.name,
                    command.help,
                    command.name,
                    options.join(" ")
                ))
            }
            None => Output::failed(
                1,
                format!("error: command or command group '{name}' doesn't exist\n"),
            ),
        },
    }
}

/// `virsh version`: RHEL 6.1's libvirt and qemu-kvm.
fn version(_: &mut Shell, _: &Given) -> Output {
    Output::ok("Compiled against library: libvir 0.8.7\nUsing library: libvir 0.8.7\nUsing API: QEMU 0.8.7\nRunning hypervisor: QEMU 0.12.1\n\n")
}

/// `virsh nodeinfo`: the host's hardware as libvirt reports it (one socket of the CPU's
/// cores, the memory the lab gives the host).
fn nodeinfo(shell: &mut Shell, _: &Given) -> Output {
    let spec = shell.backend.world().host(shell.host).spec();
    let rows = [
        ("CPU model:", "x86_64".to_string()),
        ("CPU(s):", spec.cpu.cores.to_string()),
        (
            "CPU frequency:",
            format!("{:.0} MHz", spec.cpu.ghz * 1000.0),
        ),
        ("CPU socket(s):", "1".to_string()),
        ("Core(s) per socket:", spec.cpu.cores.to_string()),
        ("Thread(s) per core:", "1".to_string()),
        ("NUMA cell(s):", "1".to_string()),
        ("Memory size:", format!("{} kB", spec.memory / 1024)),
    ];
    let mut text: String = rows.iter().map(|(l, v)| format!("{l:<20} {v}\n")).collect();
    text.push('\n');
    Output::ok(text)
}

fn hostname(shell: &mut Shell, _: &Given) -> Output {
    Output::ok(format!("{}\n\n", shell.hostname()))
}

fn uri(_: &mut Shell, _: &Given) -> Output {
    Output::ok("qemu:///system\n\n")
}

/// Whether a connection URI names the host's own libvirtd.
fn local_uri(uri: &str) -> bool {
    matches!(uri, "qemu:///system" | "qemu+unix:///system")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `--name`.
    Flag,
    /// `--name VALUE` only.
    Value,
    /// `--name VALUE`, or the next word that is not an option; required.
    Data,
    /// Like `Data`, but it may be left out.
    OptionalData,
}

/// An option of a virsh command.
#[derive(Debug, Clone, Copy)]
struct Opt {
    name: &'static str,
    kind: Kind,
}

const fn flag(name: &'static str) -> Opt {
    Opt {
        name,
        kind: Kind::Flag,
    }
}

const fn value(name: &'static str) -> Opt {
    Opt {
        name,
        kind: Kind::Value,
    }
}

const fn data(name: &'static str) -> Opt {
    Opt {
        name,
        kind: Kind::Data,
    }
}

const fn optional_data(name: &'static str) -> Opt {
    Opt {
        name,
        kind: Kind::OptionalData,
    }
}

/// A command's options as given.
type Given = LongOptions;

/// Reads the words after the command name as virsh 0.8.7 does, answering its errors.
fn parse(command: &Command, words: &[String]) -> Result<Given, Output> {
    let name = command.name;
    let error = |message: String| Output::failed(1, format!("error: {message}\n"));
    let mut given = LongOptions::default();
    let mut words = words.iter();
    let mut data_only = false;
    while let Some(word) = words.next() {
        let option = word
            .strip_prefix("--")
            .filter(|o| !data_only && o.chars().next().is_some_and(|c| c.is_ascii_alphanumeric()));
        if let Some(option) = option {
            let (option, inline) = match option.split_once('=') {
                Some((o, v)) => (o, Some(v.to_string())),
                None => (option, None),
            };
            let Some(opt) = command.options.iter().find(|o| o.name == option) else {
                return Err(error(format!(
                    "command '{name}' doesn't support option --{option}"
                )));
            };
            if given.flags.contains(&opt.name) || given.get(opt.name).is_some() {
                return Err(error(format!("option --{option} already seen")));
            }
            if opt.kind == Kind::Flag {
                if inline.is_some() {
                    return Err(error(format!("invalid '=' after option --{option}")));
                }
                given.flags.push(opt.name);
                continue;
            }
            let Some(v) = inline.or_else(|| words.next().cloned()) else {
                return Err(error(format!("expected syntax: --{option} <string>")));
            };
            given.values.push((opt.name, v));
        } else if word == "--" && !data_only {
            data_only = true;
        } else {
            let slot = command.options.iter().find(|o| {
                matches!(o.kind, Kind::Data | Kind::OptionalData) && given.get(o.name).is_none()
            });
            let Some(slot) = slot else {
                return Err(error(format!("unexpected data '{word}'")));
            };
            given.values.push((slot.name, word.clone()));
        }
    }
    if let Some(missing) = command
        .options
        .iter()
        .find(|o| o.kind == Kind::Data && given.get(o.name).is_none())
    {
        return Err(error(format!(
            "command '{name}' requires <{}> option",
            missing.name
        )));
    }
    Ok(given)
}

/// A state as virsh 0.8.7 words it.
fn shown_state(state: GuestState) -> &'static str {
    match state {
        GuestState::Running => "running",
        GuestState::Paused => "paused",
        _ => "shut off",
    }
}

fn is_active(state: GuestState) -> bool {
    matches!(state, GuestState::Running | GuestState::Paused)
}

/// The host's defined domains in definition order: libvirt numbers running domains as it
/// starts them, and kvmlab keeps no such counter, so a running domain's Id is its place
/// among the host's running domains in this order.
fn domains_here(shell: &Shell) -> Vec<GuestId> {
    shell
        .backend
        .world()
        .defined_guests()
        .filter(|(_, g)| g.host == shell.host)
        .map(|(id, _)| id)
        .collect()
}

/// A running domain's Id.
fn domain_id(shell: &Shell, guest: GuestId) -> Option<usize> {
    let world = shell.backend.world();
    domains_here(shell)
        .into_iter()
        .filter(|id| is_active(world.guest(*id).state))
        .position(|id| id == guest)
        .map(|n| n + 1)
}

/// The domain a command names on this host, by name, Id or UUID, or virsh's two error
/// lines.
fn domain(shell: &Shell, name: &str) -> Result<GuestId, Output> {
    let world = shell.backend.world();
    let found = domains_here(shell).into_iter().find(|id| {
        let g = world.guest(*id);
        g.name() == name
            || g.uuid == name
            || name
                .parse::<usize>()
                .is_ok_and(|n| domain_id(shell, *id) == Some(n))
    });
    found.ok_or_else(|| {
        Output::failed(
            1,
            format!("error: failed to get domain '{name}'\nerror: Domain not found: no domain with matching name '{name}'\n\n"),
        )
    })
}

/// A backend error as virsh reports a failed command: its own line, then libvirt's.
fn refused(shell: &mut Shell, first: String, error: Error) -> Output {
    let reason = error.to_string();
    shell.note(error);
    Output::failed(1, format!("error: {first}\nerror: {reason}\n\n"))
}
