//! virsh's storage commands: `pool-list`, `pool-info`, `pool-define-as`, `pool-start`,
//! `pool-autostart`, and `vol-list`, `vol-info`, `vol-path`, `vol-create-as`. A pool
//! defined here is inactive and not autostarted until `pool-start` and `pool-autostart`
//! say so, as with virsh; virt-manager (the script's `define_pool`) does all three at once.

use super::{optional_data, refused, value, Given, Opt};
use crate::shell::exec::{Output, Shell};
use crate::world::pool::{PoolKind, PoolSpec, Volume, VolumeSpec};
use crate::world::storage::blockdev::{derived_uuid, VolumeFormat};

/// `pool-define-as NAME TYPE [SOURCE-HOST] [SOURCE-PATH] [SOURCE-DEV] [SOURCE-NAME] [TARGET]`.
pub(super) const DEFINE_AS_OPTIONS: &[Opt] = &[
    super::data("name"),
    super::flag("print-xml"),
    super::data("type"),
    optional_data("source-host"),
    optional_data("source-path"),
    optional_data("source-dev"),
    optional_data("source-name"),
    optional_data("target"),
    value("source-format"),
];

/// `vol-create-as POOL NAME CAPACITY [--allocation SIZE] [--format raw|qcow2]`.
pub(super) const VOL_CREATE_AS_OPTIONS: &[Opt] = &[
    super::data("pool"),
    super::data("name"),
    super::data("capacity"),
    value("allocation"),
    value("format"),
];

/// A size as virsh reads it: bytes, or a number with k, M, G or T (powers of 1024).
fn virsh_size(text: &str) -> Option<u64> {
    let digits = text.trim_end_matches(['k', 'M', 'G', 'T']);
    let scale: u64 = match &text[digits.len()..] {
        "" => 1,
        "k" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(scale)
}

/// A size as virsh's `prettyCapacity` shows it: the largest binary unit under 1024.
fn pretty(bytes: u64) -> String {
    let units = [
        (1u64 << 40, "TB"),
        (1 << 30, "GB"),
        (1 << 20, "MB"),
        (1 << 10, "KB"),
    ];
    match units.iter().find(|(size, _)| bytes >= *size) {
        Some((size, unit)) => format!("{:.2} {unit}", bytes as f64 / *size as f64),
        None => format!("{:.2} ", bytes as f64),
    }
}

pub(super) fn list(shell: &mut Shell, given: &Given) -> Output {
    let (active, inactive) = match (given.has("all"), given.has("inactive")) {
        (true, _) => (true, true),
        (false, true) => (false, true),
        (false, false) => (true, false),
    };
    let mut text = format!("{:<20} {:<10} {:<10}\n", "Name", "State", "Autostart");
    text.push_str("-----------------------------------------\n");
    let mut pools: Vec<_> = shell
        .backend
        .world()
        .host(shell.host)
        .storage()
        .pools()
        .iter()
        .filter(|p| if p.active() { active } else { inactive })
        .collect();
    pools.sort_by_key(|p| p.spec.name.to_lowercase());
    let mut records = Vec::new();
    for pool in pools {
        let state = if pool.active() { "active" } else { "inactive" };
        let autostart = if pool.spec.autostart { "yes" } else { "no" };
        text.push_str(&format!(
            "{:<20} {state:<10} {autostart:<10}\n",
            pool.spec.name
        ));
        records.push(
            serde_json::json!({"name": pool.spec.name, "state": state, "autostart": autostart}),
        );
    }
    text.push('\n');
    shell.give_rows(&records);
    Output::ok(text)
}

/// The pool a command names, or virsh's error lines.
fn pool_named(shell: &mut Shell, name: &str) -> Result<(), Output> {
    match shell.backend.world().pool(shell.host, name) {
        Ok(_) => Ok(()),
        Err(e) => {
            shell.note(e);
            Err(Output::failed(
                1,
                format!("error: failed to get pool '{name}'\nerror: Storage pool not found: no pool with matching name '{name}'\n\n"),
            ))
        }
    }
}

pub(super) fn info(shell: &mut Shell, given: &Given) -> Output {
    let name = given.required("pool");
    if let Err(out) = pool_named(shell, name) {
        return out;
    }
    let world = shell.backend.world();
    let pool = world.pool(shell.host, name).expect("just found");
    let info = world.pool_info(shell.host, name).expect("just found");
    let host = world.host(shell.host).name();
    let mut rows = vec![
        ("Name:", name.to_string()),
        ("UUID:", derived_uuid(&format!("pool:{host}:{name}"))),
        (
            "State:",
            if info.active { "running" } else { "inactive" }.to_string(),
        ),
        ("Persistent:", "yes".to_string()),
        (
            "Autostart:",
            if pool.spec.autostart { "yes" } else { "no" }.to_string(),
        ),
    ];
    if info.active {
        rows.push(("Capacity:", pretty(info.capacity)));
        rows.push(("Allocation:", pretty(info.allocation)));
        rows.push(("Available:", pretty(info.available)));
    }
    let mut text: String = rows.iter().map(|(l, v)| format!("{l:<15} {v}\n")).collect();
    text.push('\n');
    Output::ok(text)
}

pub(super) fn define_as(shell: &mut Shell, given: &Given) -> Output {
    let name = given.required("name");
    let kind = match PoolKind::parse(given.required("type")) {
        Ok(kind) => kind,
        Err(e) => return refused(shell, format!("Failed to define pool {name}"), e),
    };
    let source = |key: &str| given.get(key).map(str::to_string);
    let spec = PoolSpec {
        name: name.to_string(),
        kind,
        target: source("target").unwrap_or_default(),
        source_device: if kind == PoolKind::Iscsi {
            None
        } else {
            source("source-dev")
        },
        source_host: source("source-host"),
        source_path: source("source-path"),
        source_target: if kind == PoolKind::Iscsi {
            source("source-dev")
        } else {
            None
        },
        autostart: false,
    };
    if given.has("print-xml") {
        return Output::ok(pool_xml(&spec));
    }
    match shell.backend.define_pool_inactive(shell.host, spec) {
        Ok(()) => Output::ok(format!("Pool {name} defined\n\n")),
        Err(e) => refused(shell, format!("Failed to define pool {name}"), e),
    }
}

/// The XML `pool-define-as --print-xml` shows, as virsh builds it from the options.
fn pool_xml(spec: &PoolSpec) -> String {
    let e = crate::world::domain_xml::escape;
    let mut xml = format!(
        "<pool type='{}'>\n  <name>{}</name>\n",
        spec.kind.name(),
        e(&spec.name)
    );
    let source: Vec<String> = [
        spec.source_host
            .as_ref()
            .map(|h| format!("    <host name='{}'/>\n", e(h))),
        spec.source_path
            .as_ref()
            .map(|p| format!("    <dir path='{}'/>\n", e(p))),
        spec.source_device
            .as_ref()
            .or(spec.source_target.as_ref())
            .map(|d| format!("    <device path='{}'/>\n", e(d))),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !source.is_empty() {
        xml.push_str(&format!("  <source>\n{}  </source>\n", source.concat()));
    }
    if !spec.target.is_empty() {
        xml.push_str(&format!(
            "  <target>\n    <path>{}</path>\n  </target>\n",
            e(&spec.target)
        ));
    }
    xml.push_str("</pool>\n");
    xml
}

pub(super) fn start(shell: &mut Shell, given: &Given) -> Output {
    let name = given.required("pool");
    if let Err(out) = pool_named(shell, name) {
        return out;
    }
    match shell.backend.start_pool(shell.host, name) {
        Ok(warnings) => {
            shell.warn_all(warnings);
            Output::ok(format!("Pool {name} started\n\n"))
        }
        Err(e) => refused(shell, format!("Failed to start pool {name}"), e),
    }
}

pub(super) fn autostart(shell: &mut Shell, given: &Given) -> Output {
    let name = given.required("pool");
    if let Err(out) = pool_named(shell, name) {
        return out;
    }
    let on = !given.has("disable");
    match shell.backend.set_pool_autostart(shell.host, name, on) {
        Ok(()) if on => Output::ok(format!("Pool {name} marked as autostarted\n\n")),
        Ok(()) => Output::ok(format!("Pool {name} unmarked as autostarted\n\n")),
        Err(e) => refused(
            shell,
            format!("failed to mark pool {name} as autostarted"),
            e,
        ),
    }
}

/// The active pool's volumes, or virsh's error lines.
fn volumes(shell: &mut Shell, pool: &str) -> Result<Vec<Volume>, Output> {
    pool_named(shell, pool)?;
    shell
        .backend
        .world()
        .volumes(shell.host, pool)
        .map_err(|e| refused(shell, "Failed to list active vols".into(), e))
}

pub(super) fn vol_list(shell: &mut Shell, given: &Given) -> Output {
    let volumes = match volumes(shell, given.required("pool")) {
        Ok(v) => v,
        Err(out) => return out,
    };
    let mut text = format!("{:<20} {:<40}\n", "Name", "Path");
    text.push_str("-----------------------------------------\n");
    for volume in &volumes {
        text.push_str(&format!("{:<20} {:<40}\n", volume.name, volume.path));
    }
    text.push('\n');
    shell.give_rows(&volumes);
    Output::ok(text)
}

/// The volume `vol` names (a path, or a name with `--pool`), or virsh's error lines.
fn volume(shell: &mut Shell, given: &Given) -> Result<Volume, Output> {
    let vol = given.required("vol");
    let not_found = || {
        Output::failed(
            1,
            format!("error: failed to get vol '{vol}'\nerror: Storage volume not found: no storage vol with matching path '{vol}'\n\n"),
        )
    };
    let pools: Vec<String> = match given.get("pool") {
        Some(pool) => vec![pool.to_string()],
        None => shell
            .backend
            .world()
            .host(shell.host)
            .storage()
            .pools()
            .iter()
            .filter(|p| p.active())
            .map(|p| p.spec.name.clone())
            .collect(),
    };
    for pool in pools {
        let found = volumes(shell, &pool)?
            .into_iter()
            .find(|v| v.path == vol || (given.get("pool").is_some() && v.name == vol));
        if let Some(volume) = found {
            return Ok(volume);
        }
    }
    Err(not_found())
}

pub(super) fn vol_info(shell: &mut Shell, given: &Given) -> Output {
    match volume(shell, given) {
        Ok(v) => {
            let kind = if v.path.starts_with("/dev/") {
                "block"
            } else {
                "file"
            };
            Output::ok(format!(
                "{:<15} {}\n{:<15} {kind}\n{:<15} {}\n{:<15} {}\n\n",
                "Name:",
                v.name,
                "Type:",
                "Capacity:",
                pretty(v.capacity),
                "Allocation:",
                pretty(v.allocation)
            ))
        }
        Err(out) => out,
    }
}

pub(super) fn vol_path(shell: &mut Shell, given: &Given) -> Output {
    match volume(shell, given) {
        Ok(v) => Output::ok(format!("{}\n\n", v.path)),
        Err(out) => out,
    }
}

pub(super) fn vol_create_as(shell: &mut Shell, given: &Given) -> Output {
    let (pool, name) = (given.required("pool"), given.required("name"));
    let malformed = |size: &str| Output::failed(1, format!("error: Malformed size {size}\n"));
    let capacity = given.required("capacity");
    let Some(capacity) = virsh_size(capacity) else {
        return malformed(capacity);
    };
    // Without --allocation virsh asks for the whole capacity: a fully allocated image.
    let allocation = match given.get("allocation") {
        Some(text) => match virsh_size(text) {
            Some(bytes) => bytes,
            None => return malformed(text),
        },
        None => capacity,
    };
    let format = match given.get("format").map(VolumeFormat::parse).transpose() {
        Ok(format) => format.unwrap_or(VolumeFormat::Raw),
        Err(e) => return refused(shell, format!("Failed to create vol {name}"), e),
    };
    if let Err(out) = pool_named(shell, pool) {
        return out;
    }
    let spec = VolumeSpec {
        name: name.to_string(),
        capacity,
        format,
        allocation,
    };
    match shell.backend.create_volume(shell.host, pool, spec) {
        Ok(_) => Output::ok(format!("Vol {name} created\n\n")),
        Err(e) => refused(shell, format!("Failed to create vol {name}"), e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_and_shown_as_virsh_does() {
        assert_eq!(virsh_size("20G"), Some(20 << 30));
        assert_eq!(virsh_size("512"), Some(512));
        assert_eq!(virsh_size("1k"), Some(1024));
        assert_eq!(virsh_size("20GB"), None);
        assert_eq!(virsh_size("G"), None);
        assert_eq!(virsh_size("99999999999T"), None);
        assert_eq!(pretty(0), "0.00 ");
        assert_eq!(pretty(20 << 30), "20.00 GB");
        assert_eq!(pretty(1536), "1.50 KB");
    }
}
