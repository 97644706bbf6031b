//! `kvmlab up`, `kvmlab status`, `kvmlab down`: a real two-host KVM lab on this machine. A
//! tgtd iSCSI target (the NAS) and the bridge `kvmlab0` live in the network namespace
//! `kvmlab`; each libvirt daemon (sv1, sv2), with the QEMU it starts, lives in a namespace of
//! its own (`kvmlab-sv1`, `kvmlab-sv2`) cabled to that bridge by a veth pair, so the hosts
//! reach each other and the NAS over a link a test can unplug, and no traffic leaves the lab.
//! Guest images are built into the lab's folder (`images`). This machine reaches each
//! libvirtd through its socket file (`qemu+unix:///system?socket=…`), which no network
//! namespace stands in the way of.
//!
//! Exit codes: 0 done (for `status`: everything up), 1 refused, failed or (for `status`)
//! something down.

mod bridge;
mod config;
mod daemons;
mod images;
pub mod lab_file;
mod layout;
mod link;
mod namespace;
mod preflight;
mod probe;
mod process;
pub mod site;
mod spawn;
mod status;
mod teardown;

use kvmlab_runtime::error::Error;
use lab_file::{HostEntry, LabFile, NasEntry};
use layout::{Layout, HOSTS};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The state directory: `--dir`, or the default for this user.
pub fn state_dir(dir: Option<PathBuf>) -> PathBuf {
    dir.unwrap_or_else(|| Layout::default_dir(preflight::is_root()))
}

/// Prints a refusal or failure as miette renders diagnostics, code and help included.
fn report(error: Box<Error>) -> i32 {
    eprintln!("{:?}", miette::Report::new_boxed(error));
    1
}

/// `kvmlab up`: checks, then starts the lab; on a failure stops what it started.
pub fn up(dir: &Path) -> i32 {
    let layout = Layout::new(dir);
    let started = Instant::now();
    let acceleration = match preflight_up(&layout) {
        Ok(acceleration) => acceleration,
        Err(error) => return report(error),
    };
    match start(&layout, &acceleration) {
        Ok(lab) => {
            print!("{}", status::render_up(&lab, started.elapsed()));
            0
        }
        Err(error) => {
            teardown::stop_everything(&layout);
            report(error)
        }
    }
}

/// Root, the programs, the accounts, no lab yet; then /dev/kvm (only a warning).
fn preflight_up(layout: &Layout) -> Result<String, Box<Error>> {
    preflight::require_root(
        "up",
        "it creates network namespaces and starts daemons as root",
    )?;
    for program in &preflight::PROGRAMS {
        preflight::require(program.name)?;
    }
    preflight::require_qemu_iscsi()?;
    preflight::require_accounts()?;
    let evidence = if layout.lab_file().exists() {
        Some(format!("`{}` exists", layout.lab_file().display()))
    } else {
        namespace::existing()
            .first()
            .map(|name| format!("the network namespace `{name}` exists"))
    };
    if let Some(evidence) = evidence {
        return Err(Box::new(Error::UpAlreadyUp {
            evidence,
            dir: layout.dir.display().to_string(),
        }));
    }
    let holds_files =
        std::fs::read_dir(&layout.dir).is_ok_and(|mut entries| entries.next().is_some());
    if holds_files && !layout.marker().exists() {
        return Err(Box::new(Error::UpDirInUse {
            dir: layout.dir.display().to_string(),
        }));
    }
    Ok(match preflight::kvm_usable() {
        Ok(()) => "kvm".into(),
        Err(warning) => {
            eprintln!("{:?}", miette::Report::new(*warning));
            "software".into()
        }
    })
}

fn start(layout: &Layout, acceleration: &str) -> Result<LabFile, Box<Error>> {
    std::fs::create_dir_all(&layout.dir)
        .map_err(|e| daemons::io_error("create", &layout.dir, e))?;
    std::fs::write(
        layout.marker(),
        "a kvmlab lab's state; `kvmlab down` removes it\n",
    )
    .map_err(|e| daemons::io_error("create", &layout.marker(), e))?;
    let created_mount_points = daemons::missing_mount_points();
    for point in &created_mount_points {
        std::fs::create_dir_all(point).map_err(|e| daemons::io_error("create", point, e))?;
    }
    let mut lab = LabFile {
        netns: layout::NETNS.into(),
        acceleration: acceleration.into(),
        created_mount_points,
        hosts: Vec::new(),
        nas: NasEntry {
            uri: layout::lun_uri(),
            portal: layout::PORTAL.into(),
            iqn: layout::TARGET_IQN.into(),
            lun_file: layout.lun_file(),
            lun_bytes: layout::LUN_SIZE,
            pid_file: layout.tgtd_pid(),
            control_socket: layout.tgtd_socket(),
            log: layout.tgtd_log(),
        },
        images: None,
        network: None,
    };
    // Recorded first, so that `down` finds the mount points to remove even if a start fails.
    write_lab_file(layout, &lab)?;
    let gcc = preflight::require("gcc")?;
    // The images build while the daemons start: neither needs the other until the probes.
    let (built, started) = std::thread::scope(|scope| {
        let building = scope
            .spawn(|| images::build(&gcc, &layout.images_dir(), Path::new(images::PACKAGE_CACHE)));
        let started = start_daemons(layout, &mut lab);
        let built = building.join().unwrap_or_else(|_| {
            Err(daemons::io_error(
                "build the guest images in",
                &layout.images_dir(),
                std::io::Error::other("the build stopped unexpectedly"),
            ))
        });
        (built, started)
    });
    started?;
    let built = built?;
    let sv1 = HOSTS[0].name;
    let probe_host = images::ProbeHost {
        virsh: &preflight::require("virsh")?,
        uri: &layout.socket_uri(sv1),
        libvirtd_log: &layout.libvirtd_log(sv1),
        kvm: acceleration == "kvm",
    };
    lab.images = Some(images::detect(
        &probe_host,
        &built,
        &layout.images_dir(),
        &layout.dir,
    )?);
    write_lab_file(layout, &lab)?;
    Ok(lab)
}

/// The namespaces, the bridge and the hosts' links, both libvirtd and the NAS, recorded in
/// `lab` as they answer.
fn start_daemons(layout: &Layout, lab: &mut LabFile) -> Result<(), Box<Error>> {
    let ip = preflight::require("ip")?;
    namespace::create(&ip, layout::NETNS)?;
    bridge::create(
        &ip,
        layout::NETNS,
        bridge::BRIDGE,
        bridge::GATEWAY,
        bridge::PREFIX,
    )?;
    lab.network = Some(bridge::entry());
    for host in &HOSTS {
        namespace::create(&ip, host.netns)?;
        link::create(&ip, host)?;
    }
    let mut children = Vec::new();
    for host in &HOSTS {
        daemons::prepare_host(layout, host)?;
        children.push(daemons::start_libvirtd(layout, host)?);
    }
    for (host, child) in HOSTS.iter().zip(children) {
        daemons::await_libvirtd(layout, host, child)?;
        lab.hosts.push(HostEntry {
            name: host.name.into(),
            uri: host.tcp_uri(),
            socket_uri: layout.socket_uri(host.name),
            netns: host.netns.into(),
            address: host.address.into(),
            link: host.link.into(),
            migration_uri: host.migration_uri(),
            host_uuid: host.host_uuid.into(),
            migration_ports: [host.migration_ports.0, host.migration_ports.1],
            pid_file: layout.libvirtd_pid(host.name),
            log: layout.libvirtd_log(host.name),
        });
    }
    daemons::start_nas(layout)?;
    Ok(())
}

fn write_lab_file(layout: &Layout, lab: &LabFile) -> Result<(), Box<Error>> {
    let path = layout.lab_file();
    std::fs::write(&path, lab.to_toml()).map_err(|e| daemons::io_error("write", &path, e))
}

/// `kvmlab status`: each daemon's pid, whether it lives and answers, and the LUN.
pub fn status(dir: &Path) -> i32 {
    let layout = Layout::new(dir);
    if let Err(error) = preflight::require_root(
        "status",
        "the lab's daemons answer only root, on sockets only root may open",
    ) {
        return report(error);
    }
    match LabFile::read(&layout.lab_file(), &layout.dir) {
        Ok(lab) => {
            let status = status::check(&layout, lab.as_ref());
            print!("{}", status.render());
            if status.all_up() {
                0
            } else {
                1
            }
        }
        Err(error) => report(error),
    }
}

/// `kvmlab down`: stops, unmounts and removes everything the lab made; idempotent.
pub fn down(dir: &Path) -> i32 {
    let layout = Layout::new(dir);
    if let Err(error) = preflight::require_root(
        "down",
        "it stops the lab's daemons, which run as root, and deletes its network namespaces",
    ) {
        return report(error);
    }
    let started = Instant::now();
    match teardown::down(&layout) {
        Ok(done) => {
            for line in &done {
                println!("{line}");
            }
            if done.is_empty() {
                println!("no lab at {}: nothing to take down", layout.dir.display());
            } else {
                println!("down in {:.1} s", started.elapsed().as_secs_f64());
            }
            0
        }
        Err(error) => report(error),
    }
}
