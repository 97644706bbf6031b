//! `virsh` of libvirt 0.8.7 against the host's own libvirtd: `list [--all]`, `domstate`,
//! and a domain's life (`start`, `shutdown`, `destroy`, `suspend`, `resume`), each the
//! backend operation the guest's methods call. libvirt numbers running domains as it starts
//! them; kvmlab keeps no such counter, so a running domain's Id is its place among the
//! host's running domains in definition order.

use crate::error::Error;
use crate::shell::exec::{Output, Shell};
use crate::world::guest::{GuestId, GuestState};
use crate::world::guest_life::GuestAction;

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
        (other, _) => {
            let error = Error::ShellUnsupported {
                what: format!(
                    "`virsh {other}` is not one of this prompt's virsh commands yet (it runs list, domstate, start, shutdown, destroy, suspend and resume, each with one domain)"
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
            for warning in warnings {
                shell.backend.warn(warning);
            }
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
