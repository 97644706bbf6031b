//! `virt-install` of python-virtinst 0.500.5 (RHEL 6.1) with the options the report's guest
//! needs: it makes the disk's volume when it is missing, defines the guest and installs its
//! OS from the ISO, the same three operations as `create_volume`, `define_guest` and
//! `g.install()`.
//!
//! The install runs to its end before the prompt returns, whether or not `--noautoconsole`
//! was given: the report installed CentOS in virt-manager's console, and the lab does that
//! install at once, so the last line is virtinst's "Guest installation complete".

use super::virsh::domains::pool_volume;
use super::LongOptions;
use crate::error::Error;
use crate::shell::exec::{Output, Shell};
use crate::world::guest::{GuestDisk, GuestSpec};
use crate::world::pool::VolumeSpec;
use crate::world::storage::blockdev::VolumeFormat;

/// Options that take a value, with their short forms.
const VALUED: &[(&str, Option<char>)] = &[
    ("name", Some('n')),
    ("ram", Some('r')),
    ("vcpus", None),
    ("cdrom", Some('c')),
    ("disk", None),
    ("file", Some('f')),
    ("file-size", Some('s')),
    ("network", Some('w')),
    ("bridge", Some('b')),
    ("os-type", None),
    ("os-variant", None),
    ("arch", None),
    ("virt-type", None),
    ("graphics", None),
    ("connect", None),
    ("location", Some('l')),
];

/// Options without a value (the display and console ones change nothing in the lab).
const FLAGS: &[&str] = &[
    "accelerate",
    "hvm",
    "vnc",
    "noautoconsole",
    "nographics",
    "noreboot",
    "sparse",
    "nonsparse",
    "force",
    "import",
];

/// The options as `--name` words, for completion.
pub const OPTION_WORDS: &[&str] = &[
    "--name",
    "--ram",
    "--vcpus",
    "--cdrom",
    "--disk",
    "--network",
    "--os-type",
    "--os-variant",
    "--arch",
    "--virt-type",
    "--accelerate",
    "--hvm",
    "--vnc",
    "--noautoconsole",
    "--connect",
];

fn error(message: &str) -> Output {
    Output::failed(1, format!("ERROR    {message}\n"))
}

/// The options as given.
type Given = LongOptions;

/// The install media: `--cdrom`, or a `--disk ...,device=cdrom`.
fn cdrom(given: &Given) -> Option<String> {
    given.get("cdrom").map(str::to_string).or_else(|| {
        given.all("disk").find_map(|d| {
            let f = fields(d);
            f.iter()
                .any(|(k, v)| k == "device" && v == "cdrom")
                .then(|| {
                    f.into_iter()
                        .find(|(k, _)| k.is_empty() || k == "path")
                        .map(|(_, v)| v)
                })
                .flatten()
        })
    })
}

fn parse(args: &[String]) -> Result<Given, Output> {
    let mut given = Given::default();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        let (name, inline) = if let Some(long) = word.strip_prefix("--") {
            match long.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (long.to_string(), None),
            }
        } else if let Some(short) = word.strip_prefix('-').filter(|s| !s.is_empty()) {
            let letter = short.chars().next().unwrap_or_default();
            let rest = &short[letter.len_utf8()..];
            let Some((long, _)) = VALUED.iter().find(|(_, s)| *s == Some(letter)) else {
                return Err(usage(&format!("no such option: -{letter}")));
            };
            (
                long.to_string(),
                (!rest.is_empty()).then(|| rest.to_string()),
            )
        } else {
            return Err(usage(&format!("unexpected argument '{word}'")));
        };
        if let Some(flag) = FLAGS.iter().find(|f| **f == name) {
            given.flags.push(flag);
            continue;
        }
        let Some((long, _)) = VALUED.iter().find(|(n, _)| *n == name) else {
            return Err(usage(&format!("no such option: --{name}")));
        };
        let Some(value) = inline.or_else(|| words.next().cloned()) else {
            return Err(usage(&format!("--{name} option requires an argument")));
        };
        given.values.push((long, value));
    }
    Ok(given)
}

/// optparse's usage error, status 2.
fn usage(message: &str) -> Output {
    Output::failed(
        2,
        format!("Usage: virt-install --name NAME --ram RAM STORAGE INSTALL [options]\n\nvirt-install: error: {message}\n"),
    )
}

/// `key=value,key=value` as virtinst reads `--disk` and `--network`; a first word without
/// `=` is the path (disk) or the kind (network).
fn fields(text: &str) -> Vec<(String, String)> {
    text.split(',')
        .map(|part| match part.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (String::new(), part.to_string()),
        })
        .collect()
}

/// The disk as `--disk path=…,size=…`, `vol=POOL/NAME` or `pool=POOL,size=…`, or the old
/// `--file PATH --file-size GB`.
struct DiskRequest {
    path: Option<String>,
    pool: Option<String>,
    volume: Option<String>,
    size_gb: Option<f64>,
    sparse: bool,
    format: VolumeFormat,
    cache: Option<String>,
}

fn disk_request(given: &Given) -> Result<DiskRequest, Output> {
    let mut request = DiskRequest {
        path: given.get("file").map(str::to_string),
        pool: None,
        volume: None,
        size_gb: None,
        sparse: !given.has("nonsparse"),
        format: VolumeFormat::Raw,
        cache: None,
    };
    if let Some(size) = given.get("file-size") {
        request.size_gb = Some(
            size.parse()
                .map_err(|_| error(&format!("Invalid file size '{size}'")))?,
        );
    }
    let disks: Vec<Vec<(String, String)>> = given
        .all("disk")
        .map(fields)
        .filter(|f| !f.iter().any(|(k, v)| k == "device" && v == "cdrom"))
        .collect();
    if disks.len() > 1 {
        return Err(error(
            "kvmlab's guests have one disk: give one --disk (and the install media as --cdrom)",
        ));
    }
    for (key, value) in disks.into_iter().flatten() {
        match key.as_str() {
            "" | "path" => request.path = Some(value),
            "pool" => request.pool = Some(value),
            "vol" => request.volume = Some(value),
            "size" => {
                request.size_gb = Some(
                    value
                        .parse()
                        .map_err(|_| error(&format!("Improper value for 'size': {value}")))?,
                )
            }
            "sparse" => request.sparse = !matches!(value.as_str(), "false" | "no" | "off"),
            "format" => {
                request.format = VolumeFormat::parse(&value)
                    .map_err(|_| error(&format!("Unknown storage format '{value}'")))?
            }
            "cache" => request.cache = Some(value),
            "bus" | "device" | "perms" => {}
            other => return Err(error(&format!("Unknown '--disk' option '{other}'"))),
        }
    }
    Ok(request)
}

pub fn virt_install(shell: &mut Shell, args: &[String], _: &str) -> Output {
    let given = match parse(args) {
        Ok(g) => g,
        Err(out) => return out,
    };
    if let Some(uri) = given
        .get("connect")
        .filter(|u| !matches!(*u, "qemu:///system"))
    {
        return error(&format!("kvmlab's virt-install installs on this host's own libvirtd (qemu:///system), not {uri}: run it at the other host's prompt"));
    }
    let Some(name) = given.get("name").map(str::to_string) else {
        return error("--name is required");
    };
    let Some(ram) = given.get("ram") else {
        return error("--ram amount in MB is required");
    };
    let Ok(ram_mb) = ram.parse::<u64>() else {
        return error(&format!("Invalid memory amount '{ram}'"));
    };
    let vcpus = match given.get("vcpus").map(str::parse::<u32>) {
        None => 1,
        Some(Ok(n)) => n,
        Some(Err(_)) => return error("Invalid number of vcpus"),
    };
    if given.has("import") || given.get("location").is_some() {
        let error = Error::ShellUnsupported {
            what: "virt-install installs from --cdrom ISO in the lab (not --location or --import)".into(),
            help: "put the ISO on the host (`h.store_file(\"/guest/iso/CentOS-5.6-i386-bin-DVD.iso\", size(\"3.9G\"))`) and give `--cdrom` it".into(),
        };
        return shell.failure("virt-install", error);
    }
    let Some(iso) = cdrom(&given) else {
        return error("An install method must be specified\n(--location URL, --cdrom CD/ISO, --pxe, --import, --boot hd|cdrom|...)");
    };
    let world = shell.backend.world();
    if world.host_blob(shell.host, &iso).is_none()
        && world.host(shell.host).read_file(&iso).is_err()
    {
        return error(&format!("Error validating install location: Could not find an installable distribution at '{iso}'"));
    }
    let bridge = match network_bridge(&given) {
        Ok(b) => b,
        Err(out) => return out,
    };
    let request = match disk_request(&given) {
        Ok(r) => r,
        Err(out) => return out,
    };
    let virt_type = match (given.get("virt-type"), given.has("accelerate")) {
        (Some(kind), _) => kind.to_string(),
        _ => "kvm".to_string(),
    };
    let mut text = String::from("\nStarting install...\n");
    let disk = match disk(shell, &name, &request, &mut text) {
        Ok(d) => d,
        Err(out) => return out,
    };
    let spec = GuestSpec {
        name: name.clone(),
        memory: ram_mb << 20,
        vcpus,
        os_variant: given.get("os-variant").unwrap_or("rhel5.4").to_string(),
        arch: given.get("arch").unwrap_or("x86_64").to_string(),
        virt_type,
        iso: Some(iso),
        disk,
        bridge,
        address: None,
        cache: request.cache.unwrap_or_else(|| "default".into()),
        error_policy: Default::default(),
    };
    let guest = match shell.backend.define_guest(shell.host, spec) {
        Ok(id) => id,
        Err(e) => return failed(shell, text, e),
    };
    text.push_str(&progress("Creating domain...", "0 B", 0.0));
    match shell.backend.install_guest(guest) {
        Ok(warnings) => {
            shell.warn_all(warnings);
            text.push_str("Domain installation still in progress. Waiting for installation to complete.\nGuest installation complete... restarting guest.\n");
            Output::ok(text)
        }
        Err(e) => failed(shell, text, e),
    }
}

/// What virt-install printed before it failed, then its ERROR line.
fn failed(shell: &mut Shell, printed: String, e: Error) -> Output {
    let mut out = shell.failure("virt-install", e);
    let message = out.stderr.trim_start_matches("virt-install: ").to_string();
    out.stdout = printed;
    out.stderr = format!("ERROR    {message}");
    out
}

/// The bridge the guest's NIC joins: `--network bridge=br0` or `--bridge br0`.
fn network_bridge(given: &Given) -> Result<String, Output> {
    if let Some(bridge) = given.get("bridge") {
        return Ok(bridge.to_string());
    }
    let Some(network) = given.get("network") else {
        return Err(error(
            "kvmlab's guests need a bridged NIC: --network bridge=br0",
        ));
    };
    let fields = fields(network);
    let bridge = fields.iter().find_map(|(k, v)| match k.as_str() {
        "bridge" => Some(v.clone()),
        "" => v.strip_prefix("bridge:").map(str::to_string),
        _ => None,
    });
    bridge.ok_or_else(|| {
        error(&format!("kvmlab's guests sit on a host bridge, not `{network}`: --network bridge=br0 (the report's \"host device eth0 (Bridge 'br0')\")"))
    })
}

/// The guest's disk: the volume named, or one made in its pool as virt-install makes it.
fn disk(
    shell: &mut Shell,
    name: &str,
    request: &DiskRequest,
    text: &mut String,
) -> Result<GuestDisk, Output> {
    let (path, pool) = match (&request.volume, &request.pool, &request.path) {
        (Some(vol), _, _) => {
            let Some((pool, volume)) = vol.split_once('/') else {
                return Err(error(&format!(
                    "Storage volume must be specified as vol=poolname/volname, not '{vol}'"
                )));
            };
            let path = shell
                .backend
                .world()
                .volumes(shell.host, pool)
                .ok()
                .and_then(|vs| vs.into_iter().find(|v| v.name == volume).map(|v| v.path));
            let Some(path) = path else {
                return Err(error(&format!("Couldn't lookup volume object: Storage volume not found: no storage vol with matching name '{volume}'")));
            };
            (path, Some(pool.to_string()))
        }
        (None, Some(pool), _) => {
            let target = shell
                .backend
                .world()
                .pool(shell.host, pool)
                .map(|p| p.spec.target.clone());
            let Ok(target) = target else {
                return Err(error(&format!("Couldn't lookup pool object: Storage pool not found: no pool with matching name '{pool}'")));
            };
            (
                format!("{}/{name}.img", target.trim_end_matches('/')),
                Some(pool.clone()),
            )
        }
        (None, None, Some(path)) => (path.clone(), None),
        (None, None, None) => {
            return Err(error(
                "--disk storage must be specified (override with --nodisks)",
            ))
        }
    };
    if let Some(found) = pool_volume(shell, &path) {
        return Ok(found);
    }
    let (dir, file) = path.rsplit_once('/').unwrap_or(("", &path));
    let dir = if dir.is_empty() { "/" } else { dir };
    let pool = pool.or_else(|| {
        shell
            .backend
            .world()
            .host(shell.host)
            .storage()
            .pools()
            .iter()
            .find(|p| p.active() && p.spec.target.trim_end_matches('/') == dir)
            .map(|p| p.spec.name.clone())
    });
    let Some(pool) = pool else {
        let error = Error::ShellUnsupported {
            what: format!("`{path}` is not in an active storage pool on this host"),
            help: "the lab's guests keep their disks in pools: define one on the folder first (`virsh pool-define-as iscsi1 dir --target /iscsi1 && virsh pool-start iscsi1`)".into(),
        };
        let message = error.to_string();
        shell.note(error);
        return Err(self::error(&message));
    };
    let Some(size_gb) = request.size_gb else {
        return Err(error("Size must be specified for non existent volumes"));
    };
    let capacity = (size_gb * f64::from(1u32 << 30)) as u64;
    let spec = VolumeSpec {
        name: file.to_string(),
        capacity,
        format: request.format,
        allocation: if request.sparse { 0 } else { capacity },
    };
    let started = shell.backend.now();
    if let Err(e) = shell.backend.create_volume(shell.host, &pool, spec) {
        let out = failed(shell, text.clone(), e);
        return Err(out);
    }
    let seconds = shell.backend.now().as_secs_f64() - started.as_secs_f64();
    text.push_str(&progress(
        &format!("Allocating '{file}'"),
        &format!("{} GB", size_gb),
        seconds,
    ));
    pool_volume(shell, &path)
        .ok_or_else(|| error(&format!("the volume {path} was created but is not found")))
}

/// A line of urlgrabber's progress meter at its end: what, its size, the time taken.
fn progress(what: &str, size: &str, seconds: f64) -> String {
    let seconds = seconds.round() as u64;
    format!(
        "{what:<57}| {size:>6}     {:02}:{:02}     \n",
        seconds / 60,
        seconds % 60
    )
}
