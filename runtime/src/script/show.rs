//! Values as a person at the console wants to read them: hosts, guests, pools, volumes,
//! migrations and downloads as tables sized to the terminal, numbers rounded with units,
//! script-made strings quoted and escaped; and the lab at a glance (`:world`, `:time`).
//! Everything is read through the world's `&self` methods: showing never changes the lab.

use super::guests::{ClientRef, DownloadRef, GuestRef, MigrationResult};
use super::network::{HostRef, NicRef, PingResult, RouterRef, ServiceRef, ShellResult, SwitchRef};
use super::pools::{PoolRef, VolumeRef};
use super::query::{GuestView, HostView, Lab, NasView};
use super::rows::Rows;
use super::storage::{BlockDeviceRef, NasRef};
use super::Session;
use crate::error::Error;
use crate::text::{escaped, escaped_line};
use crate::units::{human_duration, human_number};
use crate::world::guest::GuestId;
use crate::world::host::packages::SERVICES;
use crate::world::node::InterfaceKind;
use crate::world::pool::Volume;
use crate::world::{HostId, NodeId, World};
use comfy_table::{presets, ContentArrangement, Table};
use rhai::{Array, Dynamic, Map};

/// How the REPL prints `value`, at most `width` columns wide.
pub fn show(value: &Dynamic, session: &Session, width: usize) -> String {
    if let Some(text) = show_entity(value, session, width) {
        return text;
    }
    if let Some(rows) = value.read_lock::<Rows>() {
        return rows
            .text
            .lines()
            .map(|line| escaped_line(line).into_owned())
            .collect::<Vec<_>>()
            .join("\n");
    }
    if let Some(array) = value.read_lock::<Array>() {
        if let Some(text) = entity_array(&array, session, width) {
            return text;
        }
        // Entities of no table of their own: one a row, wrapped to the width.
        if !array.is_empty() && array.iter().all(Dynamic::is_variant) {
            let mut table = table(width);
            for item in array.iter() {
                table.add_row([cell(item, session)]);
            }
            return table.to_string();
        }
    }
    if let Some(map) = value.read_lock::<Map>() {
        let mut table = table(width);
        table.set_header(["key", "value"]);
        for (key, item) in map.iter() {
            table.add_row([escaped(key).into_owned(), cell(item, session)]);
        }
        return table.to_string();
    }
    cell(value, session)
}

/// A value in one table cell: numbers rounded, strings quoted, entities by name.
fn cell(value: &Dynamic, session: &Session) -> String {
    if let Some(s) = value.read_lock::<rhai::ImmutableString>() {
        return format!("\"{}\"", escaped(&s));
    }
    if let Ok(x) = value.as_float() {
        return human_number(x);
    }
    if let Some(name) = entity_name(value, session) {
        return name;
    }
    if let Some(array) = value.read_lock::<Array>() {
        let items: Vec<String> = array.iter().map(|v| cell(v, session)).collect();
        return format!("[{}]", items.join(", "));
    }
    if let Some(map) = value.read_lock::<Map>() {
        let items: Vec<String> = map
            .iter()
            .map(|(k, v)| format!("{}: {}", escaped(k), cell(v, session)))
            .collect();
        return format!("#{{{}}}", items.join(", "));
    }
    if value.is_variant() {
        // A type no case above knows: its script name, never a Rust path.
        let name = value.type_name();
        return name.rsplit("::").next().unwrap_or(name).to_string();
    }
    escaped(&value.to_string()).into_owned()
}

/// An entity in one line, as a cell of a table shows it: by its name, or what names it.
fn entity_name(value: &Dynamic, session: &Session) -> Option<String> {
    let world = session.backend.world();
    let name = |text: &str| Some(escaped(text).into_owned());
    if let Some(id) = host_id(value) {
        return name(world.host(id).name());
    }
    if let Some(id) = guest_id(value) {
        return name(world.guest(id).name());
    }
    if let Some(id) = nas_id(value) {
        return name(world.nas(id).name());
    }
    if let Some(s) = value.read_lock::<SwitchRef>() {
        return name(&world.switch(s.id).name);
    }
    if let Some(r) = value.read_lock::<RouterRef>() {
        return name(&world.router(r.id).name);
    }
    if let Some(n) = value.read_lock::<NicRef>() {
        return Some(nic_line(world, n.node, &n.name));
    }
    if let Some(s) = value.read_lock::<ServiceRef>() {
        return Some(service_line(world, s.host, &s.name));
    }
    if let Some(p) = value.read_lock::<PingResult>() {
        return Some(escaped_line(&p.0.to_string()).into_owned());
    }
    if let Some(r) = value.read_lock::<ShellResult>() {
        let first =
            r.0.stdout
                .lines()
                .chain(r.0.stderr.lines())
                .next()
                .unwrap_or("");
        return Some(escaped_line(&format!("exit {}: {first}", r.0.status)).into_owned());
    }
    if let Some(c) = value.read_lock::<ClientRef>() {
        return name(&world.client(c.id).name);
    }
    if let Some(d) = value.read_lock::<DownloadRef>() {
        return name(&session.backend.transfer(d.id).path);
    }
    if let Some(m) = value.read_lock::<MigrationResult>() {
        let r = &m.0;
        return Some(format!(
            "{} {} → {} {}",
            escaped(&r.guest),
            escaped(&r.from),
            escaped(&r.to),
            migration_status(&m)
        ));
    }
    if let Some(p) = value.read_lock::<PoolRef>() {
        return Some(format!(
            "{} on {}",
            escaped(&p.name),
            escaped(world.host(p.host).name())
        ));
    }
    if let Some(v) = value.read_lock::<VolumeRef>() {
        return name(&v.volume.path);
    }
    if let Some(d) = value.read_lock::<BlockDeviceRef>() {
        return Some(format!(
            "{} {}",
            escaped(world.host(d.host).name()),
            escaped(&d.path)
        ));
    }
    if let Some(e) = value.read_lock::<Error>() {
        return Some(escaped_line(&format!("{}: {}", e.code_str(), *e)).into_owned());
    }
    if value.is::<Lab>() {
        return Some("the lab".into());
    }
    if let Some(r) = value.read_lock::<Rows>() {
        return Some(format!("{} rows", r.rows.len()));
    }
    None
}

/// A card as `eth1 10.10.1.11/24 up NET2` reads, with its machine first.
fn nic_line(world: &World, node: NodeId, nic: &str) -> String {
    let stack = world.stack(node);
    let mut line = format!("{} {}", escaped(world.node_name(node)), escaped(nic));
    if let Some(iface) = stack.interface(nic) {
        if let Some(address) = iface.addresses.first() {
            line.push_str(&format!(" {address}"));
        }
        let up = iface.admin_up && stack.has_carrier(iface);
        line.push_str(if up { " up" } else { " down" });
    }
    match stack.nic(nic).and_then(|n| n.link.as_ref()) {
        Some(link) => line.push_str(&format!(" {}", escaped(&link.switch_name))),
        None => line.push_str(" unplugged"),
    }
    line
}

/// `network on sv1: running, starts at boot`, as `service` and `chkconfig` would say.
pub(super) fn service_line(world: &World, host: HostId, service: &str) -> String {
    let host_ref = world.host(host);
    let state = match host_ref.service_state(service) {
        Ok(state) => format!(
            "{}, {}",
            if state.running { "running" } else { "stopped" },
            if state.enabled {
                "starts at boot"
            } else {
                "off at boot"
            }
        ),
        Err(e) => e.to_string(),
    };
    format!(
        "{} on {}: {}",
        escaped(service),
        escaped(host_ref.name()),
        escaped_line(&state)
    )
}

fn nas_id(value: &Dynamic) -> Option<crate::world::nas::NasId> {
    let nas = value.read_lock::<NasRef>().map(|n| n.id);
    nas.or_else(|| value.read_lock::<NasView>().map(|n| n.id))
}

fn table(width: usize) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::ASCII_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(u16::try_from(width).unwrap_or(u16::MAX));
    table
}

/// A two-column table of `(field, value)` rows.
fn fields(rows: Vec<(&str, String)>, width: usize) -> String {
    let mut table = table(width);
    for (field, value) in rows {
        table.add_row([field.to_string(), value]);
    }
    table.to_string()
}

/// One host or guest (or pool, volume, migration, download) as a field table.
fn show_entity(value: &Dynamic, session: &Session, width: usize) -> Option<String> {
    let world = session.backend.world();
    if let Some(id) = host_id(value) {
        return Some(fields(host_fields(world, id), width));
    }
    if let Some(id) = guest_id(value) {
        return Some(fields(guest_fields(world, id), width));
    }
    if let Some(m) = value.read_lock::<MigrationResult>() {
        return Some(fields(migration_fields(&m), width));
    }
    if let Some(d) = value.read_lock::<DownloadRef>() {
        return Some(fields(download_fields(session, &d), width));
    }
    if let Some(v) = value.read_lock::<VolumeRef>() {
        let mut rows = volume_fields(&v.volume);
        rows.push(("pool", escaped(&v.pool).into_owned()));
        rows.push(("host", escaped(world.host(v.host).name()).into_owned()));
        return Some(fields(rows, width));
    }
    if let Some(p) = value.read_lock::<PoolRef>() {
        return Some(pool_text(world, p.host, &p.name, width));
    }
    if let Some(id) = nas_id(value) {
        let nas = world.nas(id);
        let targets = nas.volume().targets().iter().map(|t| t.iqn.to_string());
        let rows = vec![
            ("NAS", escaped(nas.name()).into_owned()),
            ("targets", none_if_empty(targets.collect())),
        ];
        return Some(fields(rows, width));
    }
    if let Some(s) = value.read_lock::<SwitchRef>() {
        let switch = world.switch(s.id);
        let rows = vec![
            ("network", escaped(&switch.name).into_owned()),
            ("subnet", switch.cidr.to_string()),
            ("speed", crate::units::human_rate(switch.speed)),
            ("attached", attached_to(world, &switch.name)),
        ];
        return Some(fields(rows, width));
    }
    if let Some(r) = value.read_lock::<RouterRef>() {
        let router = world.router(r.id);
        let ports = router
            .net
            .interfaces
            .iter()
            .filter(|i| !matches!(i.kind, InterfaceKind::Loopback))
            .map(|i| nic_line(world, NodeId::Router(r.id), &i.name));
        let ports: Vec<String> = ports
            .map(|line| line.split_once(' ').map_or(line.clone(), |(_, l)| l.into()))
            .collect();
        let rows = vec![
            ("router", escaped(&router.name).into_owned()),
            ("ports", none_if_empty(ports)),
        ];
        return Some(fields(rows, width));
    }
    if let Some(p) = value.read_lock::<PingResult>() {
        return Some(fields(ping_fields(&p), width));
    }
    if let Some(r) = value.read_lock::<ShellResult>() {
        return Some(fields(shell_fields(&r), width));
    }
    if let Some(c) = value.read_lock::<ClientRef>() {
        let client = world.client(c.id);
        let downloads = session
            .backend
            .downloads()
            .iter()
            .filter(|d| d.client == c.id)
            .count();
        let rows = vec![
            ("client", escaped(&client.name).into_owned()),
            ("address", client.address.to_string()),
            (
                "network",
                escaped(&world.switch(client.switch).name).into_owned(),
            ),
            ("speed", crate::units::human_rate(client.nic_speed)),
            ("downloads", downloads.to_string()),
        ];
        return Some(fields(rows, width));
    }
    if let Some(d) = value.read_lock::<BlockDeviceRef>() {
        // What `parted DEV print` prints, as `print(disk)` shows it.
        let text = world
            .parted_print(d.host, &d.path)
            .unwrap_or_else(|e| format!("{}: {e}", d.path));
        let lines: Vec<String> = text
            .trim_end()
            .lines()
            .map(|line| escaped_line(line).into_owned())
            .collect();
        return Some(lines.join("\n"));
    }
    if let Some(e) = value.read_lock::<Error>() {
        let rows = vec![
            ("error", e.code_str()),
            ("message", escaped_line(&e.to_string()).into_owned()),
            (
                "help",
                escaped_line(&e.help_str().unwrap_or_default()).into_owned(),
            ),
        ];
        return Some(fields(rows, width));
    }
    if value.is::<Lab>() {
        return Some(world_summary(session, width));
    }
    None
}

/// A command line's exit status, its streams (when not empty), and the lab error behind a
/// failure with what to do.
fn shell_fields(r: &ShellResult) -> Vec<(&'static str, String)> {
    let text = |t: &str| {
        t.lines()
            .map(|l| escaped(l).into_owned())
            .collect::<Vec<_>>()
    };
    let mut rows = vec![("exit", r.0.status.to_string())];
    for (name, stream) in [("stdout", &r.0.stdout), ("stderr", &r.0.stderr)] {
        if !stream.is_empty() {
            rows.push((name, text(stream).join("\n")));
        }
    }
    if let Some(e) = &r.0.error {
        rows.push(("code", e.code_str()));
        if let Some(help) = e.help_str() {
            rows.push(("help", escaped(&help).into_owned()));
        }
    }
    rows
}

/// A ping's source and target, answer, path and, when it failed, why and what to do.
fn ping_fields(p: &PingResult) -> Vec<(&'static str, String)> {
    let r = &p.0;
    let mut rows = vec![
        (
            "ping",
            format!("{} → {}", escaped(&r.source), escaped(&r.target)),
        ),
        (
            "address",
            r.address.map_or("not resolved".into(), |a| a.to_string()),
        ),
    ];
    match (&r.failure, r.rtt_ns) {
        (None, Some(ns)) => {
            rows.push(("reply", format!("in {} ms", human_number(ns as f64 / 1e6))));
            let hops: Vec<String> = r.path.iter().map(|h| h.to_string()).collect();
            rows.push(("path", none_if_empty(hops)));
        }
        (failure, _) => {
            rows.push(("reply", "none".into()));
            if let Some(e) = failure {
                rows.push(("reason", escaped_line(&e.to_string()).into_owned()));
                if let Some(help) = e.help_str() {
                    rows.push(("help", escaped_line(&help).into_owned()));
                }
            }
        }
    }
    rows
}

/// The host interfaces cabled to a switch, `sv1:eth0` one a line.
fn attached_to(world: &World, switch: &str) -> String {
    let attached: Vec<String> = world
        .hosts()
        .flat_map(|(_, h)| {
            h.interface_states()
                .into_iter()
                .filter(|i| i.switch.as_deref() == Some(switch))
                .map(move |i| format!("{}:{}", escaped(h.name()), escaped(&i.name)))
        })
        .collect();
    none_if_empty(attached)
}

fn host_id(value: &Dynamic) -> Option<HostId> {
    if let Some(h) = value.read_lock::<HostRef>() {
        return Some(h.id);
    }
    value.read_lock::<HostView>().map(|h| h.id)
}

fn guest_id(value: &Dynamic) -> Option<GuestId> {
    if let Some(g) = value.read_lock::<GuestRef>() {
        return Some(g.id);
    }
    value.read_lock::<GuestView>().map(|g| g.id)
}

fn os_text(world: &World, id: HostId) -> String {
    match world.host(id).os() {
        Some(os) => format!("{} {}", escaped(&os.distro), escaped(&os.arch)),
        None => "not installed".into(),
    }
}

/// Each interface as `eth0 192.168.1.11/24 up net1`, one a line.
fn interfaces_text(world: &World, id: HostId) -> String {
    let lines: Vec<String> = world
        .host(id)
        .interface_states()
        .into_iter()
        .map(|i| {
            let mut line = escaped(&i.name).into_owned();
            if let Some(address) = i.address {
                line.push_str(&format!(" {address}"));
            }
            line.push_str(if i.up { " up" } else { " down" });
            if let Some(switch) = i.switch {
                line.push_str(&format!(" {}", escaped(&switch)));
            }
            line
        })
        .collect();
    lines.join("\n")
}

fn mounts_text(world: &World, id: HostId) -> String {
    let lines: Vec<String> = world
        .host(id)
        .storage()
        .mounts()
        .iter()
        .map(|m| {
            format!(
                "{} on {} ({})",
                escaped(&m.source),
                escaped(&m.dir),
                escaped(&m.fstype)
            )
        })
        .collect();
    none_if_empty(lines)
}

fn guests_on(world: &World, id: HostId) -> String {
    let lines: Vec<String> = world
        .defined_guests()
        .filter(|(_, g)| g.host == id)
        .map(|(_, g)| format!("{} ({})", escaped(g.name()), g.state.name()))
        .collect();
    none_if_empty(lines)
}

fn services_running(world: &World, id: HostId) -> String {
    let host = world.host(id);
    let running: Vec<&str> = SERVICES
        .iter()
        .filter(|s| host.service_state(s.name).is_ok_and(|state| state.running))
        .map(|s| s.name)
        .collect();
    if running.is_empty() {
        "none".into()
    } else {
        running.join(" ")
    }
}

fn none_if_empty(lines: Vec<String>) -> String {
    if lines.is_empty() {
        "none".into()
    } else {
        lines.join("\n")
    }
}

fn host_fields(world: &World, id: HostId) -> Vec<(&'static str, String)> {
    vec![
        ("host", escaped(world.host(id).name()).into_owned()),
        ("OS", os_text(world, id)),
        ("interfaces", interfaces_text(world, id)),
        ("mounts", mounts_text(world, id)),
        ("guests", guests_on(world, id)),
    ]
}

fn guest_fields(world: &World, id: GuestId) -> Vec<(&'static str, String)> {
    let guest = world.guest(id);
    vec![
        ("guest", escaped(guest.name()).into_owned()),
        ("host", escaped(world.host(guest.host).name()).into_owned()),
        ("state", guest.state.name().to_string()),
        ("memory", bytes(guest.spec.memory)),
        ("vcpus", guest.spec.vcpus.to_string()),
        ("disk", escaped(&guest.spec.disk.path).into_owned()),
    ]
}

/// Bytes in powers of 1024 with the unit spelled out: "512 MiB", "1.2 GiB".
fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        return format!("{n} B");
    }
    let text = format!("{value:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text} {}", UNITS[unit])
}

/// Seconds as people read them: "49 ms" below a second, else as [`human_duration`].
fn seconds(s: f64) -> String {
    if s.is_finite() && s < 1.0 {
        return format!("{} ms", human_number((s * 1000.0).round()));
    }
    human_duration(s)
}

fn migration_status(m: &MigrationResult) -> String {
    // The status's Debug name is the word libvirt's job info uses, lower-cased.
    format!("{:?}", m.0.outcome.status).to_lowercase()
}

fn migration_fields(m: &MigrationResult) -> Vec<(&'static str, String)> {
    let r = &m.0;
    let o = &r.outcome;
    vec![
        (
            "migration",
            format!(
                "{} {} → {}",
                escaped(&r.guest),
                escaped(&r.from),
                escaped(&r.to)
            ),
        ),
        ("status", migration_status(m)),
        ("total time", seconds(o.total_time)),
        ("downtime", seconds(o.downtime_ms / 1000.0)),
        ("transferred", bytes(o.transferred)),
        ("iterations", o.iterations.to_string()),
    ]
}

/// The rate a download gets now (its last rate while it runs), or its mean rate when done.
fn download_rate(session: &Session, d: &DownloadRef) -> f64 {
    let t = session.backend.transfer(d.id);
    match t.finished {
        Some(end) => {
            let span = end.as_secs_f64() - t.started.as_secs_f64();
            if span > 0.0 {
                t.bytes() as f64 / span
            } else {
                0.0
            }
        }
        None => t.timeline.last().map_or(0.0, |&(_, rate)| rate),
    }
}

fn download_fields(session: &Session, d: &DownloadRef) -> Vec<(&'static str, String)> {
    let t = session.backend.transfer(d.id);
    vec![
        ("download", escaped(&t.path).into_owned()),
        (
            "bytes",
            format!("{} of {}", bytes(t.bytes()), bytes(t.size)),
        ),
        (
            "rate",
            format!("{}/s", bytes(download_rate(session, d) as u64)),
        ),
        ("done", if t.is_done() { "yes" } else { "no" }.into()),
    ]
}

fn volume_fields(v: &Volume) -> Vec<(&'static str, String)> {
    vec![
        ("volume", escaped(&v.name).into_owned()),
        ("path", escaped(&v.path).into_owned()),
        ("capacity", bytes(v.capacity)),
        ("allocation", bytes(v.allocation)),
    ]
}

/// A pool's fields, then its volumes (a pool not started lists none).
fn pool_text(world: &World, host: HostId, name: &str, width: usize) -> String {
    let Some(pool) = world.pools_of(host).iter().find(|p| p.spec.name == name) else {
        return format!("pool {} (no longer defined)", escaped(name));
    };
    let rows = vec![
        ("pool", escaped(&pool.spec.name).into_owned()),
        ("host", escaped(world.host(host).name()).into_owned()),
        ("type", pool.spec.kind.name().to_string()),
        ("target", escaped(&pool.spec.target).into_owned()),
        ("active", yes_no(pool.active())),
        ("autostart", yes_no(pool.spec.autostart)),
    ];
    let mut text = fields(rows, width);
    if let Ok(volumes) = world.volumes(host, name) {
        let mut table = table(width);
        table.set_header(["volume", "path", "capacity", "allocation"]);
        for v in &volumes {
            table.add_row(volume_fields(v).into_iter().map(|(_, value)| value));
        }
        if !volumes.is_empty() {
            text.push('\n');
            text.push_str(&table.to_string());
        }
    }
    text
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

/// An array whose items are all entities of one kind: one table, a row each.
fn entity_array(array: &Array, session: &Session, width: usize) -> Option<String> {
    let first = array.first()?;
    let world = session.backend.world();
    let rows: Option<Vec<Vec<(&'static str, String)>>> = if host_id(first).is_some() {
        array
            .iter()
            .map(|v| host_id(v).map(|id| host_fields(world, id)))
            .collect()
    } else if guest_id(first).is_some() {
        array
            .iter()
            .map(|v| guest_id(v).map(|id| guest_fields(world, id)))
            .collect()
    } else if first.is::<MigrationResult>() {
        array
            .iter()
            .map(|v| {
                v.read_lock::<MigrationResult>()
                    .map(|m| migration_fields(&m))
            })
            .collect()
    } else if first.is::<DownloadRef>() {
        array
            .iter()
            .map(|v| {
                v.read_lock::<DownloadRef>()
                    .map(|d| download_fields(session, &d))
            })
            .collect()
    } else if first.is::<VolumeRef>() {
        array
            .iter()
            .map(|v| v.read_lock::<VolumeRef>().map(|v| volume_fields(&v.volume)))
            .collect()
    } else {
        None
    };
    let rows = rows?;
    let mut table = table(width);
    table.set_header(rows[0].iter().map(|(field, _)| *field));
    for row in rows {
        table.add_row(row.into_iter().map(|(_, value)| value));
    }
    Some(table.to_string())
}

/// A titled section of a summary.
fn section(text: &mut String, title: &str, table: Table) {
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str(title);
    text.push('\n');
    text.push_str(&table.to_string());
    text.push('\n');
}

fn clock_line(session: &Session) -> String {
    let now = session.backend.now().as_secs_f64();
    format!(
        "lab time: {} s ({})",
        human_number(now),
        human_duration(now)
    )
}

/// The lab at a glance (`:world`): hosts, networks, the NAS, pools, guests, downloads and
/// migrations so far, and the lab clock.
pub fn world_summary(session: &Session, width: usize) -> String {
    let world = session.backend.world();
    let mut text = String::new();

    let mut hosts = table(width);
    hosts.set_header(["host", "OS", "interfaces", "mounts"]);
    let mut services = table(width);
    services.set_header(["host", "iSCSI sessions", "services running"]);
    for (id, host) in world.hosts() {
        let name = escaped(host.name()).into_owned();
        hosts.add_row([
            name.clone(),
            os_text(world, id),
            interfaces_text(world, id),
            mounts_text(world, id),
        ]);
        let sessions = world.iscsi_session_targets(id);
        services.add_row([
            name,
            none_if_empty(sessions.iter().map(|t| escaped(t).into_owned()).collect()),
            services_running(world, id),
        ]);
    }
    section(&mut text, "hosts", hosts);
    section(&mut text, "host services", services);

    let mut switches = table(width);
    switches.set_header(["network", "subnet", "speed", "attached"]);
    for (_, switch) in world.switches() {
        switches.add_row([
            escaped(&switch.name).into_owned(),
            switch.cidr.to_string(),
            crate::units::human_rate(switch.speed),
            attached_to(world, &switch.name),
        ]);
    }
    section(&mut text, "networks", switches);

    if world.nases().next().is_some() {
        let mut nases = table(width);
        nases.set_header(["NAS", "targets"]);
        for (_, nas) in world.nases() {
            let targets = nas.volume().targets();
            nases.add_row([
                escaped(nas.name()).into_owned(),
                none_if_empty(targets.iter().map(|t| t.iqn.to_string()).collect()),
            ]);
        }
        section(&mut text, "storage", nases);
    }

    let mut pools = table(width);
    pools.set_header(["host", "pool", "type", "target", "active", "volumes"]);
    let mut any_pool = false;
    for (id, host) in world.hosts() {
        for pool in world.pools_of(id) {
            any_pool = true;
            let volumes = world
                .volumes(id, &pool.spec.name)
                .map_or(0, |volumes| volumes.len());
            pools.add_row([
                escaped(host.name()).into_owned(),
                escaped(&pool.spec.name).into_owned(),
                pool.spec.kind.name().to_string(),
                escaped(&pool.spec.target).into_owned(),
                yes_no(pool.active()),
                volumes.to_string(),
            ]);
        }
    }
    if any_pool {
        section(&mut text, "pools", pools);
    }

    if world.defined_guests().next().is_some() {
        let mut guests = table(width);
        guests.set_header(["guest", "host", "state", "memory", "disk"]);
        for (_, guest) in world.defined_guests() {
            guests.add_row([
                escaped(guest.name()).into_owned(),
                escaped(world.host(guest.host).name()).into_owned(),
                guest.state.name().to_string(),
                bytes(guest.spec.memory),
                escaped(&guest.spec.disk.path).into_owned(),
            ]);
        }
        section(&mut text, "guests", guests);
    }

    if let Some(downloads) = downloads_table(session, width, false) {
        section(&mut text, "downloads", downloads);
    }

    if !session.history.migrations.is_empty() {
        let mut migrations = table(width);
        migrations.set_header(["guest", "from → to", "status", "downtime", "total time"]);
        for m in &session.history.migrations {
            migrations.add_row([
                escaped(&m.guest).into_owned(),
                format!("{} → {}", escaped(&m.from), escaped(&m.to)),
                m.status.name().to_string(),
                seconds(m.downtime_ms / 1000.0),
                seconds(m.total_time),
            ]);
        }
        section(&mut text, "migrations", migrations);
    }

    text.push('\n');
    text.push_str(&clock_line(session));
    text
}

/// The downloads so far (or those still running) with their progress; `None` when none.
fn downloads_table(session: &Session, width: usize, only_running: bool) -> Option<Table> {
    let world = session.backend.world();
    let mut downloads = session.backend.downloads();
    if only_running {
        downloads.retain(|d| d.finished.is_none());
    }
    if downloads.is_empty() {
        return None;
    }
    let mut table = table(width);
    table.set_header(["client", "from", "file", "progress"]);
    for d in downloads {
        let percent = if d.size == 0 {
            100.0
        } else {
            d.bytes as f64 * 100.0 / d.size as f64
        };
        let progress = match d.finished {
            Some(_) => format!("done, {}", bytes(d.size)),
            None => format!(
                "{} % of {}",
                human_number((percent * 10.0).floor() / 10.0),
                bytes(d.size)
            ),
        };
        table.add_row([
            escaped(&world.client(d.client).name).into_owned(),
            escaped(world.guest(d.guest).name()).into_owned(),
            escaped(&d.path).into_owned(),
            progress,
        ]);
    }
    Some(table)
}

/// Lab time and what is running (`:time`): the downloads not yet done.
pub fn time_summary(session: &Session, width: usize) -> String {
    let mut text = clock_line(session);
    match downloads_table(session, width, true) {
        Some(downloads) => text.push_str(&format!("\ndownloads running:\n{downloads}")),
        None => text.push_str("\nnothing running"),
    }
    text
}

#[cfg(test)]
mod tests;
