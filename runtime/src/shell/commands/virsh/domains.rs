//! virsh's domain commands: `list`, `domstate`, `dominfo`, `domid`, `domuuid`, `dumpxml`,
//! `define` and a domain's life (`start`, `shutdown`, `destroy`, `suspend`, `resume`).
//!
//! `dominfo` leaves out what the lab does not model: `CPU time` (the lab counts no CPU
//! cycles) and the SELinux lines (`Security model`, `Security DOI`, `Security label`).

use super::{domain, domain_id, domains_here, is_active, refused, shown_state, Given};
use crate::error::Error;
use crate::shell::exec::{absolute, Output, Shell};
use crate::world::domain_xml::{DiskSource, DomainSpec};
use crate::world::guest::{GuestDisk, GuestId, GuestSpec, IoEffect};
use crate::world::guest_life::GuestAction;

pub(super) fn list(shell: &mut Shell, given: &Given) -> Output {
    let world = shell.backend.world();
    let (active, inactive) = match (given.has("all"), given.has("inactive")) {
        (true, _) => (true, true),
        (false, true) => (false, true),
        (false, false) => (true, false),
    };
    let here = domains_here(shell);
    let running = here.iter().filter(|id| is_active(world.guest(**id).state));
    let stopped = here.iter().filter(|id| !is_active(world.guest(**id).state));
    let mut rows = Vec::new();
    if active {
        for id in running {
            let guest = world.guest(*id);
            let n = domain_id(shell, *id).unwrap_or_default();
            rows.push((n.to_string(), guest.name(), shown_state(guest.state)));
        }
    }
    if inactive {
        for id in stopped {
            rows.push(("-".to_string(), world.guest(*id).name(), "shut off"));
        }
    }
    let mut text =
        String::from(" Id Name                 State\n----------------------------------\n");
    for (id, name, state) in &rows {
        text.push_str(&format!("{id:>3} {name:<20} {state}\n"));
    }
    text.push('\n');
    let records: Vec<_> = rows
        .iter()
        .map(|(id, name, state)| serde_json::json!({"id": id, "name": name, "state": state}))
        .collect();
    shell.give_rows(&records);
    Output::ok(text)
}

pub(super) fn domstate(shell: &mut Shell, given: &Given) -> Output {
    match domain(shell, given.required("domain")) {
        Ok(id) => {
            let guest = shell.backend.world().guest(id);
            let state = guest.state;
            let on_io_error = guest
                .io_failure
                .as_ref()
                .is_some_and(|f| f.effect == IoEffect::Paused);
            let reason = if given.has("reason") {
                match shown_state(state) {
                    "running" => " (booted)",
                    "paused" if on_io_error => " (I/O error)",
                    "paused" => " (user)",
                    _ => " (shutdown)",
                }
            } else {
                ""
            };
            Output::ok(format!("{}{reason}\n\n", shown_state(state)))
        }
        Err(out) => out,
    }
}

pub(super) fn domid(shell: &mut Shell, given: &Given) -> Output {
    match domain(shell, given.required("domain")) {
        Ok(id) => match domain_id(shell, id) {
            Some(n) => Output::ok(format!("{n}\n\n")),
            None => Output::ok("-\n\n"),
        },
        Err(out) => out,
    }
}

pub(super) fn domuuid(shell: &mut Shell, given: &Given) -> Output {
    match domain(shell, given.required("domain")) {
        Ok(id) => Output::ok(format!("{}\n\n", shell.backend.world().guest(id).uuid)),
        Err(out) => out,
    }
}

/// `virsh dominfo`, as 0.8.7 lays it out: a 15-column label, then the value.
pub(super) fn dominfo(shell: &mut Shell, given: &Given) -> Output {
    let id = match domain(shell, given.required("domain")) {
        Ok(id) => id,
        Err(out) => return out,
    };
    let guest = shell.backend.world().guest(id);
    let kib = guest.spec.memory / 1024;
    let shown_id = domain_id(shell, id).map_or("-".to_string(), |n| n.to_string());
    let rows = [
        ("Id:", shown_id),
        ("Name:", guest.name().to_string()),
        ("UUID:", guest.uuid.clone()),
        ("OS Type:", "hvm".to_string()),
        ("State:", shown_state(guest.state).to_string()),
        ("CPU(s):", guest.spec.vcpus.to_string()),
        ("Max memory:", format!("{kib} kB")),
        ("Used memory:", format!("{kib} kB")),
        ("Persistent:", "yes".to_string()),
        ("Autostart:", "disable".to_string()),
        ("Managed save:", "no".to_string()),
    ];
    let mut text: String = rows
        .iter()
        .map(|(label, value)| format!("{label:<15} {value}\n"))
        .collect();
    text.push('\n');
    Output::ok(text)
}

/// `virsh dumpxml`: the domain's XML; a running domain's carries its Id.
pub(super) fn dumpxml(shell: &mut Shell, given: &Given) -> Output {
    let id = match domain(shell, given.required("domain")) {
        Ok(id) => id,
        Err(out) => return out,
    };
    let xml = shell.backend.world().guest(id).domain_spec().to_xml();
    let xml = match domain_id(shell, id) {
        // libvirt's live XML: `<domain type='kvm' id='1'>`.
        Some(n) if !given.has("inactive") => xml.replacen('>', &format!(" id='{n}'>"), 1),
        _ => xml,
    };
    Output::ok(xml)
}

/// `virsh define FILE`: a domain from its XML, its disk a volume of one of the host's
/// active pools (the lab's guests live in pools).
pub(super) fn define(shell: &mut Shell, given: &Given) -> Output {
    let file = given.required("file");
    let path = absolute(file);
    let text = match shell.backend.world().host(shell.host).read_file(&path) {
        Ok(text) => text.to_string(),
        Err(_) => {
            return Output::failed(
                1,
                format!("error: Failed to read file '{file}' to define domain\nerror: Failed to open file '{file}': No such file or directory\n\n"),
            )
        }
    };
    let failed = |reason: String| {
        Output::failed(
            1,
            format!("error: Failed to define domain from {file}\nerror: {reason}\n\n"),
        )
    };
    let spec = match DomainSpec::from_xml(&text, shell.backend.seed()) {
        Ok(spec) => spec,
        Err(reason) => return failed(reason),
    };
    let DiskSource::File(image) = &spec.disk else {
        return failed("unsupported configuration: kvmlab's guests keep their disk in a storage pool's volume: <source file='/iscsi1/NAME.img'/>".into());
    };
    let Some(disk) = pool_volume(shell, image) else {
        let error = Error::ShellUnsupported {
            what: format!("`{image}` is not a volume of an active storage pool on this host"),
            help: "create it first: `virsh vol-create-as POOL NAME.img 20G --allocation 0`, in a pool `virsh pool-list` shows active".into(),
        };
        let reason = error.to_string();
        shell.note(error);
        return failed(reason);
    };
    let guest = GuestSpec {
        name: spec.name.clone(),
        memory: spec.memory,
        vcpus: spec.vcpus,
        os_variant: "rhel5.4".into(),
        arch: spec.arch,
        virt_type: spec.virt_type,
        iso: spec.cdrom,
        disk: GuestDisk {
            format: spec.disk_format,
            ..disk
        },
        bridge: spec.bridge,
        address: None,
        cache: spec.cache,
        error_policy: spec.error_policy,
    };
    match shell.backend.define_guest(shell.host, guest) {
        Ok(_) => Output::ok(format!("Domain {} defined from {file}\n\n", spec.name)),
        Err(e) => refused(shell, format!("Failed to define domain from {file}"), e),
    }
}

/// The volume at `path` in one of the host's active pools, as a guest's disk.
pub(in crate::shell::commands) fn pool_volume(shell: &Shell, path: &str) -> Option<GuestDisk> {
    let world = shell.backend.world();
    world
        .host(shell.host)
        .storage()
        .pools()
        .iter()
        .filter(|p| p.active())
        .find_map(|pool| {
            let volume = world
                .volumes(shell.host, &pool.spec.name)
                .ok()?
                .into_iter()
                .find(|v| v.path == path)?;
            Some(GuestDisk {
                host: shell.host,
                pool: pool.spec.name.clone(),
                path: volume.path,
                format: volume.format.name().into(),
                capacity: volume.capacity,
                allocation: volume.allocation,
            })
        })
}

pub(super) fn start(shell: &mut Shell, given: &Given) -> Output {
    act(shell, given, GuestAction::Start, "started", "start")
}

pub(super) fn shutdown(shell: &mut Shell, given: &Given) -> Output {
    act(
        shell,
        given,
        GuestAction::Shutdown,
        "is being shutdown",
        "shutdown",
    )
}

pub(super) fn destroy(shell: &mut Shell, given: &Given) -> Output {
    act(shell, given, GuestAction::Destroy, "destroyed", "destroy")
}

pub(super) fn suspend(shell: &mut Shell, given: &Given) -> Output {
    act(shell, given, GuestAction::Suspend, "suspended", "suspend")
}

pub(super) fn resume(shell: &mut Shell, given: &Given) -> Output {
    act(shell, given, GuestAction::Resume, "resumed", "resume")
}

fn act(shell: &mut Shell, given: &Given, action: GuestAction, done: &str, verb: &str) -> Output {
    let name = given.required("domain");
    let id: GuestId = match domain(shell, name) {
        Ok(id) => id,
        Err(out) => return out,
    };
    let name = shell.backend.world().guest(id).name().to_string();
    match shell.backend.act_on_guest(id, action) {
        Ok(warnings) => {
            shell.warn_all(warnings);
            Output::ok(format!("Domain {name} {done}\n\n"))
        }
        Err(e) => refused(shell, format!("Failed to {verb} domain {name}"), e),
    }
}
