//! `virsh migrate` and its settings: `migrate-setspeed`, `migrate-getspeed`,
//! `migrate-setmaxdowntime`, and `domjobinfo`.
//!
//! The prompt is RHEL 6's, whose qemu-kvm 0.12 migrates (the `"qemu-kvm-0.12"` profile of
//! `g.migrate`); the options of later virsh releases are read, and a feature 0.12 lacks
//! (auto-converge, post-copy) is refused by the migration's own check.
//!
//! Two differences from libvirt 0.8.7, which a prompt that runs one line at a time needs:
//! `migrate-setspeed` and `migrate-setmaxdowntime` are kept with the running guest for its
//! next migrations, as libvirt 1.x keeps them, where 0.8.7 took them only from a second
//! terminal while the migration ran; and `domjobinfo` between commands finds no job, so it
//! answers `None` as virsh does outside a migration (the run's `lab().migrations` keeps every
//! migration's figures).

use super::{domain, flag, optional_data, refused, value, Given, Opt};
use crate::migration::{MigrationConfig, MigrationRequest, Profile, Safety, Status, TimeoutAction};
use crate::shell::exec::{Output, Shell};

const MIB: f64 = 1024.0 * 1024.0;

/// libvirt's "unlimited" migration speed in MiB/s, as `migrate-getspeed` shows it.
const UNLIMITED_MIB_S: u64 = 8_796_093_022_207;

/// `virsh migrate [OPTIONS] DOMAIN DESTURI [MIGRATEURI]`.
pub(super) const MIGRATE_OPTIONS: &[Opt] = &[
    flag("live"),
    flag("p2p"),
    flag("tunnelled"),
    flag("persistent"),
    flag("undefinesource"),
    flag("copy-storage-all"),
    flag("unsafe"),
    flag("verbose"),
    flag("auto-converge"),
    flag("postcopy"),
    flag("timeout-postcopy"),
    super::data("domain"),
    super::data("desturi"),
    optional_data("migrateuri"),
    value("timeout"),
    value("bandwidth"),
];

pub(super) fn migrate(shell: &mut Shell, given: &Given) -> Output {
    let guest = match domain(shell, given.required("domain")) {
        Ok(id) => id,
        Err(out) => return out,
    };
    let mut config = MigrationConfig::new(Profile::QemuKvm012);
    config.live = given.has("live");
    config.auto_converge = given.has("auto-converge");
    let limits = shell.backend.world().guest(guest).migration_limits;
    config.bandwidth_cap = limits.bandwidth;
    config.downtime_limit_ms = limits.downtime_ms;
    if let Some(text) = given.get("bandwidth") {
        match text.parse::<u64>() {
            Ok(mib) if mib > 0 => config.bandwidth_cap = Some(mib as f64 * MIB),
            _ => return Output::failed(1, "error: migrate: Invalid bandwidth\n"),
        }
    }
    if given.has("timeout-postcopy") && !given.has("postcopy") {
        return Output::failed(1, "error: --timeout-postcopy requires --postcopy\n");
    }
    if let Some(text) = given.get("timeout") {
        match text.parse::<u32>() {
            Ok(seconds) if seconds > 0 => {
                config.timeout = Some(f64::from(seconds));
                config.timeout_action = if given.has("timeout-postcopy") {
                    TimeoutAction::Postcopy
                } else {
                    TimeoutAction::Suspend
                };
            }
            _ => return Output::failed(1, "error: migrate: Invalid timeout\n"),
        }
    }
    if given.has("postcopy") && config.timeout_action != TimeoutAction::Postcopy {
        // Post-copy switched on from the start: what `migrate-postcopy` typed at once does.
        config.postcopy_after = Some(0.0);
    }
    let safety = Safety {
        unsafe_: given.has("unsafe"),
        copy_storage: given.has("copy-storage-all"),
    };
    let uri = given.required("desturi");
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
            Status::Completed if given.has("verbose") => Output::ok("Migration: [100 %]\n"),
            Status::Completed => Output::ok(""),
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

/// `virsh migrate-setspeed DOMAIN MiB/s`.
pub(super) fn setspeed(shell: &mut Shell, given: &Given) -> Output {
    let guest = match domain(shell, given.required("domain")) {
        Ok(id) => id,
        Err(out) => return out,
    };
    let Ok(mib) = given.required("bandwidth").parse::<u64>() else {
        return Output::failed(1, "error: migrate: Invalid bandwidth\n");
    };
    let mut limits = shell.backend.world().guest(guest).migration_limits;
    limits.bandwidth = Some(if mib == 0 {
        f64::INFINITY
    } else {
        mib as f64 * MIB
    });
    match shell.backend.set_migration_limits(guest, limits) {
        Ok(()) => Output::ok("\n"),
        Err(e) => refused(
            shell,
            "Requested operation is not valid: domain is not running".into(),
            e,
        ),
    }
}

/// `virsh migrate-getspeed DOMAIN`: MiB/s, the profile's default until one is set.
pub(super) fn getspeed(shell: &mut Shell, given: &Given) -> Output {
    let guest = match domain(shell, given.required("domain")) {
        Ok(id) => id,
        Err(out) => return out,
    };
    let mut config = MigrationConfig::new(Profile::QemuKvm012);
    config.bandwidth_cap = shell
        .backend
        .world()
        .guest(guest)
        .migration_limits
        .bandwidth;
    let speed = config.bandwidth();
    let mib = if speed.is_finite() {
        (speed / MIB).round() as u64
    } else {
        UNLIMITED_MIB_S
    };
    Output::ok(format!("{mib}\n\n"))
}

/// `virsh migrate-setmaxdowntime DOMAIN MS`.
pub(super) fn setmaxdowntime(shell: &mut Shell, given: &Given) -> Output {
    let guest = match domain(shell, given.required("domain")) {
        Ok(id) => id,
        Err(out) => return out,
    };
    let downtime = match given.required("downtime").parse::<u64>() {
        Ok(ms) if ms >= 1 => ms,
        _ => return Output::failed(1, "error: migrate: Invalid downtime\n"),
    };
    let mut limits = shell.backend.world().guest(guest).migration_limits;
    limits.downtime_ms = Some(downtime as f64);
    match shell.backend.set_migration_limits(guest, limits) {
        Ok(()) => Output::ok("\n"),
        Err(e) => refused(
            shell,
            "Requested operation is not valid: domain is not running".into(),
            e,
        ),
    }
}

/// `virsh domjobinfo DOMAIN`: between commands no job runs.
pub(super) fn domjobinfo(shell: &mut Shell, given: &Given) -> Output {
    match domain(shell, given.required("domain")) {
        Ok(_) => Output::ok(format!("{:<17} {:<12}\n\n", "Job type:", "None")),
        Err(out) => out,
    }
}
