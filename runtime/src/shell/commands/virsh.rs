//! `virsh` of libvirt 0.8.7 against the host's own libvirtd: `list [--all]`, `domstate`,
//! a domain's life (`start`, `shutdown`, `destroy`, `suspend`, `resume`) and `migrate`,
//! each the backend operation the guest's methods call (a migration also joins the run's
//! record of migrations, as `g.migrate(..)` does). libvirt numbers running domains as it starts
//! them; kvmlab keeps no such counter, so a running domain's Id is its place among the
//! host's running domains in definition order.

use crate::error::Error;
use crate::migration::{MigrationConfig, MigrationRequest, Profile, Safety, Status, TimeoutAction};
use crate::shell::exec::{Output, Shell};
use crate::world::guest::{GuestId, GuestState};
use crate::world::guest_life::GuestAction;

/// The virsh commands the prompt runs.
pub const VIRSH_COMMANDS: &[&str] = &[
    "destroy", "domstate", "list", "migrate", "resume", "shutdown", "start", "suspend",
];

pub fn virsh(shell: &mut Shell, args: &[String], _: &str) -> Output {
    let Some((command, rest)) = args.split_first() else {
        return Output::failed(
            1,
            "kvmlab's virsh runs one command per line: virsh list, virsh start NAME, ...\n",
        );
    };
    match (command.as_str(), rest) {
        ("list", []) => list(shell, false),
        ("list", [all]) if all == "--all" => list(shell, true),
        ("domstate", [name]) => match domain(shell, name) {
            Ok(id) => {
                let state = shown_state(shell.backend.world().guest(id).state);
                Output::ok(format!("{state}\n\n"))
            }
            Err(out) => out,
        },
        ("start", [name]) => act(shell, name, GuestAction::Start, "started", "start"),
        ("shutdown", [name]) => act(
            shell,
            name,
            GuestAction::Shutdown,
            "is being shutdown",
            "shutdown",
        ),
        ("destroy", [name]) => act(shell, name, GuestAction::Destroy, "destroyed", "destroy"),
        ("suspend", [name]) => act(shell, name, GuestAction::Suspend, "suspended", "suspend"),
        ("resume", [name]) => act(shell, name, GuestAction::Resume, "resumed", "resume"),
        ("migrate", options) => migrate(shell, options),
        (other, _) => {
            let error = Error::ShellUnsupported {
                what: format!(
                    "`virsh {other}` is not one of this prompt's virsh commands yet (it runs list, domstate, start, shutdown, destroy, suspend, resume and migrate)"
                ),
                help: "do it with the guest's method (g.migrate(..), define_guest(..), lab().guest(..)); `kvmlab doc` lists them".into(),
            };
            shell.failure("virsh", error)
        }
    }
}

/// A state as virsh 0.8.7 words it.
fn shown_state(state: GuestState) -> &'static str {
    match state {
        GuestState::Running => "running",
        GuestState::Paused => "paused",
        _ => "shut off",
    }
}

/// The domain `name` on this host, or virsh's two error lines.
fn domain(shell: &Shell, name: &str) -> Result<GuestId, Output> {
    let world = shell.backend.world();
    match world.guest_named(name) {
        Ok(id)
            if world.guest(id).host == shell.host
                && world.guest(id).state != GuestState::Undefined =>
        {
            Ok(id)
        }
        _ => Err(Output::failed(
            1,
            format!("error: failed to get domain '{name}'\nerror: Domain not found: no domain with matching name '{name}'\n\n"),
        )),
    }
}

fn list(shell: &Shell, all: bool) -> Output {
    let world = shell.backend.world();
    let mut text =
        String::from(" Id Name                 State\n----------------------------------\n");
    let here: Vec<_> = world
        .defined_guests()
        .filter(|(_, g)| g.host == shell.host)
        .collect();
    let running = here
        .iter()
        .filter(|(_, g)| matches!(g.state, GuestState::Running | GuestState::Paused));
    for (n, (_, guest)) in running.enumerate() {
        text.push_str(&format!(
            "{:>3} {:<20} {}\n",
            n + 1,
            guest.name(),
            shown_state(guest.state)
        ));
    }
    if all {
        for (_, guest) in here
            .iter()
            .filter(|(_, g)| !matches!(g.state, GuestState::Running | GuestState::Paused))
        {
            text.push_str(&format!("{:>3} {:<20} {}\n", "-", guest.name(), "shut off"));
        }
    }
    text.push('\n');
    Output::ok(text)
}

fn act(shell: &mut Shell, name: &str, action: GuestAction, done: &str, verb: &str) -> Output {
    let id = match domain(shell, name) {
        Ok(id) => id,
        Err(out) => return out,
    };
    match shell.backend.act_on_guest(id, action) {
        Ok(warnings) => {
            shell.warn_all(warnings);
            Output::ok(format!("Domain {name} {done}\n\n"))
        }
        Err(e) => {
            let reason = e.to_string();
            shell.note(e);
            Output::failed(
                1,
                format!("error: Failed to {verb} domain {name}\nerror: {reason}\n\n"),
            )
        }
    }
}

/// `virsh migrate [--live] [--unsafe] [--copy-storage-all] [--timeout N] [--auto-converge]
/// [--verbose] DOMAIN DESTURI`: the destination is the host the URI names
/// (`qemu+ssh://sv2/system`), by RHEL 6's qemu-kvm 0.12 (the `"qemu-kvm-0.12"` profile of
/// `g.migrate`). virsh's `--timeout` suspends the guest when it is reached.
fn migrate(shell: &mut Shell, args: &[String]) -> Output {
    // The prompt is RHEL 6's, whose qemu-kvm 0.12 migrates.
    let mut config = MigrationConfig::new(Profile::QemuKvm012);
    config.live = false;
    let mut safety = Safety {
        unsafe_: false,
        copy_storage: false,
    };
    let mut verbose = false;
    let mut operands = Vec::new();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        match word.as_str() {
            "--live" => config.live = true,
            "--unsafe" => safety.unsafe_ = true,
            "--copy-storage-all" => safety.copy_storage = true,
            "--auto-converge" => config.auto_converge = true,
            "--verbose" => verbose = true,
            // The model always moves the definition with the guest.
            "--persistent" | "--undefinesource" | "--p2p" => {}
            "--timeout" => match words.next().and_then(|v| v.parse::<u32>().ok()) {
                Some(seconds) if seconds > 0 => {
                    config.timeout = Some(f64::from(seconds));
                    config.timeout_action = TimeoutAction::Suspend;
                }
                _ => return Output::failed(1, "error: migrate: Invalid timeout\n"),
            },
            other if other.starts_with("--") => {
                let error = Error::ShellUnsupported {
                    what: format!("`virsh migrate {other}` is not at this prompt (it takes --live, --unsafe, --copy-storage-all, --timeout N, --auto-converge, --verbose)"),
                    help: "post-copy and the rest are options of g.migrate(dest, #{..})".into(),
                };
                return shell.failure("virsh", error);
            }
            _ => operands.push(word.clone()),
        }
    }
    let [name, uri] = operands.as_slice() else {
        return Output::failed(
            1,
            "error: command 'migrate' requires <domain> and <desturi> options\n",
        );
    };
    let guest = match domain(shell, name) {
        Ok(id) => id,
        Err(out) => return out,
    };
    let Some(dest_name) = uri_host(uri) else {
        return Output::failed(
            1,
            format!("error: no connection driver available for {uri}\nerror: failed to connect to the hypervisor\n"),
        );
    };
    let dest = match shell.backend.world().host_named(dest_name) {
        Ok(id) => id,
        Err(e) => {
            shell.note(e);
            return Output::failed(
                1,
                format!("error: unable to connect to server at '{dest_name}:22': Name or service not known\nerror: failed to connect to the hypervisor\n"),
            );
        }
    };
    let request = MigrationRequest { config, safety };
    match (shell.migrate)(shell.backend, guest, dest, request) {
        Ok(report) => match report.outcome.status {
            Status::Completed => Output::ok(if verbose { "Migration: [100 %]\n" } else { "" }),
            Status::Cancelled => Output::failed(
                1,
                "error: operation aborted: migration job: canceled by client\n",
            ),
            Status::Failed => Output::failed(
                1,
                "error: operation failed: migration job: unexpectedly failed\n",
            ),
        },
        Err(e) => {
            let reason = e.to_string();
            shell.note(e);
            Output::failed(1, format!("error: {reason}\n"))
        }
    }
}

/// The host a libvirt URI names: `qemu+ssh://root@sv2/system` is sv2.
fn uri_host(uri: &str) -> Option<&str> {
    let rest = uri.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    let host = authority.rsplit('@').next()?;
    let host = host.split(':').next()?;
    (!host.is_empty()).then_some(host)
}
