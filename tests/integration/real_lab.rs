//! `kvmlab up`, `status` and `down` on this machine's real libvirt and tgt. These start
//! daemons as root, so they run only with `KVMLAB_REAL_TESTS=1` (then they must pass) and
//! otherwise say why they skipped; the refusal of a user who is not root always runs.

use crate::harness::{kvmlab, unwrapped};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Mutex;

/// One lab per machine: the tests that bring one up, or drive the one that is up, take turns.
pub(crate) static ONE_LAB: Mutex<()> = Mutex::new(());

fn real_tests() -> bool {
    if std::env::var("KVMLAB_REAL_TESTS").as_deref() == Ok("1") {
        return true;
    }
    eprintln!(
        "skipped: set KVMLAB_REAL_TESTS=1 to run the real-lab tests (they need root, /dev/kvm, \
         and Debian's libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients \
         qemu-system-x86 qemu-block-extra tgt libiscsi-bin)"
    );
    false
}

fn lab(command: &str, dir: &Path) -> Output {
    kvmlab()
        .args([command, "--dir"])
        .arg(dir)
        .output()
        .expect("kvmlab runs")
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Brings a lab up; lab.toml and what `up` said on stderr (its warnings).
fn up(dir: &Path) -> (toml::Table, String) {
    let started = std::time::Instant::now();
    let output = lab("up", dir);
    eprintln!("up took {:.1} s", started.elapsed().as_secs_f64());
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    for line in [
        "sv1  qemu+tcp://10.20.0.2:16509/system\n",
        "     in namespace kvmlab-sv1 at 10.20.0.2, cabled by kv-sv1 (in kvmlab)\n",
        "sv2  qemu+tcp://10.20.0.3:16509/system\n",
        "     in namespace kvmlab-sv2 at 10.20.0.3, cabled by kv-sv2 (in kvmlab)\n",
        "nas  iscsi://10.20.0.1:3260/iqn.2006-01.com.thecus:iscsi1/1\n",
    ] {
        assert!(stdout.contains(line), "{line} in {stdout}");
    }
    let file = std::fs::read_to_string(dir.join("lab.toml")).expect("up writes lab.toml");
    (file.parse().expect("lab.toml is TOML"), stderr)
}

fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program).args(args).output().expect(program);
    let (stdout, stderr) = text(&output);
    assert!(
        output.status.success(),
        "{program} {args:?}: {stdout}{stderr}"
    );
    stdout
}

/// Waits until `ping` crosses from the namespace `netns` to each of `addresses`. Right after
/// a link comes back, its host's ARP entries for the other end can still be failed for a few
/// seconds, and a connection tried then ends with `No route to host`.
pub(crate) fn await_ping(netns: &str, addresses: &[&str]) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    for address in addresses {
        loop {
            let ping = Command::new("ip")
                .args([
                    "netns", "exec", netns, "busybox", "ping", "-c", "1", "-W", "1",
                ])
                .arg(address)
                .output()
                .expect("busybox runs");
            if ping.status.success() {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "ping from {netns} to {address} did not cross within 30 s: {}",
                String::from_utf8_lossy(&ping.stdout)
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }
}

/// The pids `kvmlab status` shows, by daemon.
fn pids(status: &str) -> Vec<(String, u32)> {
    status
        .lines()
        .filter_map(|line| {
            let (name, rest) = line.trim().split_once(" pid ")?;
            Some((
                name.to_string(),
                rest.split_whitespace().next()?.parse().ok()?,
            ))
        })
        .collect()
}

fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
    })
}

/// The lab's network namespaces: its own and each host's.
const NAMESPACES: [&str; 3] = ["kvmlab", "kvmlab-sv1", "kvmlab-sv2"];

/// What `down` must leave: no namespace, no link, none of the lab's processes, no mount, no
/// files.
fn assert_nothing_left(dir: &Path, daemons: &[(String, u32)]) {
    let namespaces = run("ip", &["netns", "list"]);
    assert!(
        !namespaces.lines().any(|l| l
            .split_whitespace()
            .next()
            .is_some_and(|n| NAMESPACES.contains(&n))),
        "{namespaces}"
    );
    // Nor a link of the lab in the machine's own namespace.
    let links = run("ip", &["-o", "link", "show"]);
    assert!(!links.contains("kv-sv"), "{links}");
    for (name, pid) in daemons {
        assert!(!running(*pid), "{name} (pid {pid}) still runs");
    }
    let shown = dir.display().to_string();
    let by_dir = Command::new("pgrep")
        .args(["-a", "-f", &shown])
        .output()
        .expect("pgrep");
    assert_eq!(
        by_dir.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&by_dir.stdout)
    );
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap();
    assert!(
        !mounts
            .lines()
            .any(|l| l.contains(&shown) || l.contains("/run/netns/kvmlab")),
        "{mounts}"
    );
    assert!(!dir.exists(), "{shown} is still there");
    let status = lab("status", dir);
    assert_eq!(status.status.code(), Some(1));
}

#[test]
fn up_gives_two_hosts_and_a_lun_and_down_leaves_nothing() {
    if !real_tests() {
        return;
    }
    let _turn = ONE_LAB.lock().unwrap_or_else(|e| e.into_inner());
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("lab");
    let (file, warnings) = up(&dir);
    let hosts = file["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 2);

    let status = lab("status", &dir);
    let (stdout, _) = text(&status);
    assert_eq!(status.status.code(), Some(0), "{stdout}");
    assert!(stdout.ends_with("all up\n"), "{stdout}");
    let daemons = pids(&stdout);
    assert_eq!(daemons.len(), 3, "{stdout}");
    assert!(
        stdout.contains(
            "  lab.toml: present; network namespaces: kvmlab present, kvmlab-sv1 present, kvmlab-sv2 present\n"
        ),
        "{stdout}"
    );
    // Nothing of the lab listens in the machine's own namespace.
    let listening = run("ss", &["-Htlnp"]);
    for (name, pid) in &daemons {
        assert!(
            !listening.contains(&format!("pid={pid},")),
            "{name} listens outside the lab: {listening}"
        );
    }

    // Each host in a namespace of its own, cabled to the lab's bridge.
    for (host, address) in [("sv1", "10.20.0.2"), ("sv2", "10.20.0.3")] {
        let entry = hosts
            .iter()
            .find(|h| h["name"].as_str() == Some(host))
            .unwrap();
        let netns = format!("kvmlab-{host}");
        let link = format!("kv-{host}");
        assert_eq!(entry["netns"].as_str(), Some(netns.as_str()));
        assert_eq!(entry["address"].as_str(), Some(address));
        assert_eq!(entry["link"].as_str(), Some(link.as_str()));
        assert_eq!(
            entry["migration_uri"].as_str(),
            Some(format!("tcp://{address}").as_str())
        );
        assert!(
            stdout.contains(&format!(
                "  link {host}     {link}: up  {host} at {address}/24 in {netns}\n"
            )),
            "{stdout}"
        );
        let port = run("ip", &["-n", "kvmlab", "-o", "link", "show", &link]);
        assert!(port.contains(" master kvmlab0 "), "{port}");
    }

    // The guests' bridge and the images, named in lab.toml and shown by status.
    let network = &file["network"];
    assert_eq!(network["bridge"].as_str(), Some("kvmlab0"));
    assert_eq!(network["gateway"].as_str(), Some("10.20.0.1"));
    assert_eq!(network["prefix"].as_integer(), Some(24));
    assert_eq!(network["first_guest"].as_str(), Some("10.20.0.10"));
    assert!(
        stdout.contains("  bridge       kvmlab0: 10.20.0.1/24\n"),
        "{stdout}"
    );
    let images = &file["images"];
    let workload = dir.join("images/workload.elf");
    assert_eq!(
        images["workload_kernel"].as_str(),
        Some(workload.to_str().unwrap())
    );
    assert!(workload.is_file());
    let warnings = unwrapped(&warnings);
    for (key, image, warned_as) in [
        (
            "workload_domain_type",
            "workload",
            "the workload kernel does not run under KVM here",
        ),
        (
            "linux_domain_type",
            "linux",
            "the Linux image (linux-image-",
        ),
    ] {
        let domain_type = images[key].as_str().unwrap();
        assert!(
            ["kvm", "qemu"].contains(&domain_type),
            "{key} = {domain_type}"
        );
        // Software emulation is never chosen silently.
        assert_eq!(
            domain_type == "qemu",
            warnings.contains(warned_as) || file["acceleration"].as_str() == Some("software"),
            "{key} = {domain_type}: {warnings}"
        );
        assert!(
            stdout.contains(&format!(
                "  {image:<12} present: yes  domain type {domain_type}  "
            )),
            "{stdout}"
        );
    }
    // This machine reaches Debian's archive (or has the package cache): the Linux image is
    // there.
    let kernel = dir.join("images/linux-vmlinuz");
    assert_eq!(
        images["linux_kernel"].as_str(),
        Some(kernel.to_str().unwrap())
    );
    assert!(kernel.is_file() && dir.join("images/linux-initramfs.cpio").is_file());

    let mut uuids = Vec::new();
    for host in hosts {
        let socket_uri = host["socket_uri"].as_str().unwrap();
        let tcp_uri = host["uri"].as_str().unwrap();
        let listed = run("virsh", &["-c", socket_uri, "list", "--all", "--name"]);
        assert_eq!(listed.trim(), "", "{socket_uri} lists domains");
        let listed = run(
            "ip",
            &[
                "netns", "exec", "kvmlab", "virsh", "-c", tcp_uri, "list", "--all", "--name",
            ],
        );
        assert_eq!(listed.trim(), "", "{tcp_uri} lists domains");
        let capabilities = run("virsh", &["-c", socket_uri, "capabilities"]);
        let uuid = capabilities
            .split("<uuid>")
            .nth(1)
            .unwrap()
            .split("</uuid>")
            .next()
            .unwrap();
        assert_eq!(uuid, host["host_uuid"].as_str().unwrap());
        uuids.push(uuid.to_string());
    }
    assert_ne!(uuids[0], uuids[1]);

    // sv2's side of its link sees the NAS, as its guests' QEMU does.
    let listing = run(
        "ip",
        &[
            "netns",
            "exec",
            "kvmlab-sv2",
            "iscsi-ls",
            "-s",
            "iscsi://10.20.0.1:3260",
        ],
    );
    assert!(
        listing.contains("Target:iqn.2006-01.com.thecus:iscsi1 Portal:10.20.0.1:3260"),
        "{listing}"
    );
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("Lun:1") && l.contains("DIRECT_ACCESS")),
        "{listing}"
    );

    // sv2 unplugged: out of reach over TCP, still there through its socket, and status says
    // how to plug it back in.
    run("ip", &["-n", "kvmlab", "link", "set", "kv-sv2", "down"]);
    let status = lab("status", &dir);
    let sv2_socket = hosts
        .iter()
        .find(|h| h["name"].as_str() == Some("sv2"))
        .and_then(|h| h["socket_uri"].as_str())
        .unwrap();
    run("virsh", &["-c", sv2_socket, "version"]);
    run("ip", &["-n", "kvmlab", "link", "set", "kv-sv2", "up"]);
    let (unplugged, _) = text(&status);
    assert_eq!(status.status.code(), Some(1), "{unplugged}");
    assert!(
        unplugged.contains("  link sv2     kv-sv2: down  sv2 at 10.20.0.3/24 in kvmlab-sv2\n"),
        "{unplugged}"
    );
    assert!(
        unplugged.contains("alive: yes  answering: no   qemu+tcp://10.20.0.3:16509/system"),
        "{unplugged}"
    );
    assert!(
        unplugged.ends_with("not all up: `ip -n kvmlab link set kv-sv2 up` plugs sv2 back in\n"),
        "{unplugged}"
    );
    await_ping("kvmlab", &["10.20.0.3"]);
    let status = lab("status", &dir);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status).0);

    let again = lab("up", &dir);
    let (_, stderr) = text(&again);
    assert_eq!(again.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("kvmlab::up::already_up"), "{stderr}");
    assert!(
        unwrapped(&stderr).contains(&format!(
            "take it down first with `kvmlab down --dir {}`",
            dir.display()
        )),
        "{stderr}"
    );

    let down = lab("down", &dir);
    let (stdout, stderr) = text(&down);
    assert_eq!(down.status.code(), Some(0), "{stdout}{stderr}");
    for line in [
        "deleted link kv-sv1\n",
        "deleted link kv-sv2\n",
        "deleted network namespace kvmlab-sv2\n",
        "deleted network namespace kvmlab-sv1\n",
        "deleted network namespace kvmlab\n",
    ] {
        assert!(stdout.contains(line), "{line} in {stdout}");
    }
    assert_nothing_left(&dir, &daemons);

    let twice = lab("down", &dir);
    let (stdout, _) = text(&twice);
    assert_eq!(twice.status.code(), Some(0));
    assert_eq!(
        stdout,
        format!("no lab at {}: nothing to take down\n", dir.display())
    );
}

#[test]
fn down_cleans_up_after_a_daemon_is_killed() {
    if !real_tests() {
        return;
    }
    let _turn = ONE_LAB.lock().unwrap_or_else(|e| e.into_inner());
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("lab");
    up(&dir);
    let (stdout, _) = text(&lab("status", &dir));
    let daemons = pids(&stdout);
    let sv1 = daemons
        .iter()
        .find(|(name, _)| name == "sv1 libvirtd")
        .unwrap()
        .1;
    run("kill", &["-9", &sv1.to_string()]);
    while running(sv1) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = lab("status", &dir);
    let (stdout, _) = text(&status);
    assert_eq!(status.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!("sv1 libvirtd pid {sv1:<8} alive: no ")),
        "{stdout}"
    );
    assert!(
        stdout.contains("sv2 libvirtd") && stdout.contains("answering: yes"),
        "{stdout}"
    );

    let down = lab("down", &dir);
    assert_eq!(down.status.code(), Some(0), "{:?}", text(&down));
    assert_nothing_left(&dir, &daemons);
    // The lab comes up again where the killed one was.
    up(&dir);
    assert_eq!(lab("down", &dir).status.code(), Some(0));
}

#[test]
fn down_without_the_lab_file_finds_the_lab_by_its_namespaces() {
    if !real_tests() {
        return;
    }
    let _turn = ONE_LAB.lock().unwrap_or_else(|e| e.into_inner());
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("lab");
    up(&dir);
    let (stdout, _) = text(&lab("status", &dir));
    let daemons = pids(&stdout);
    std::fs::remove_file(dir.join("lab.toml")).unwrap();
    // Without their pid files too, only the namespaces say which processes are the lab's.
    for host in ["sv1", "sv2"] {
        std::fs::remove_file(dir.join(host).join("libvirtd.pid")).unwrap();
    }
    std::fs::remove_file(dir.join("nas/tgtd.pid")).unwrap();
    let down = lab("down", &dir);
    let (stdout, stderr) = text(&down);
    assert_eq!(down.status.code(), Some(0), "{stdout}{stderr}");
    for namespace in NAMESPACES {
        assert!(
            stdout.contains(&format!("deleted network namespace {namespace}\n")),
            "{stdout}"
        );
    }
    assert_nothing_left(&dir, &daemons);
}

#[test]
fn up_refuses_a_user_who_is_not_root() {
    // SAFETY: geteuid cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("lab");
    let output = if root {
        // As `nobody`, from a copy of the binary in a folder `nobody` may enter (the
        // checkout's own folder may let nobody else in).
        let (_copy, binary) = binary_for_nobody();
        as_nobody(&binary, &["up", "--dir", dir.to_str().unwrap()])
    } else {
        lab("up", &dir)
    };
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("kvmlab::up::not_root"), "{stderr}");
    let shown = unwrapped(&stderr);
    assert!(
        shown.contains(
            "`kvmlab up` needs root: it creates network namespaces and starts daemons as root"
        ),
        "{shown}"
    );
    assert!(
        shown.contains("help: run it as root, e.g. `sudo kvmlab up`"),
        "{shown}"
    );
    assert!(!dir.exists(), "a refused up made {}", dir.display());
}

#[test]
fn a_failed_up_stops_what_it_started() {
    if !real_tests() {
        return;
    }
    let _turn = ONE_LAB.lock().unwrap_or_else(|e| e.into_inner());
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("lab");
    // A lab folder a crash left (kvmlab's marker in it), with a file where sv2's folder
    // goes: sv2's folder cannot be made, and sv1 is already running when up fails.
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(".kvmlab-lab"), "").unwrap();
    std::fs::write(dir.join("sv2"), "not a folder").unwrap();
    let output = lab("up", &dir);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("kvmlab::up::io"), "{stderr}");
    assert!(
        unwrapped(&stderr).contains(&format!(
            "cannot create `{}`: Not a directory",
            dir.join("sv2/run").display()
        )),
        "{stderr}"
    );
    let namespaces = run("ip", &["netns", "list"]);
    assert!(!namespaces.contains("kvmlab"), "{namespaces}");
    let links = run("ip", &["-o", "link", "show"]);
    assert!(!links.contains("kv-sv"), "{links}");
    let by_dir = Command::new("pgrep")
        .args(["-a", "-f"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(
        by_dir.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&by_dir.stdout)
    );
    // What is left is files, which down removes.
    assert_eq!(lab("down", &dir).status.code(), Some(0));
    assert!(!dir.exists());
}

#[test]
fn status_and_down_refuse_a_user_who_is_not_root_and_say_why() {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        // Not root already: the refusal is the plain run.
        let output = lab("status", Path::new("/nonexistent"));
        assert!(text(&output).1.contains("kvmlab::up::not_root"));
        return;
    }
    for (command, reason) in [
        (
            "status",
            "the lab's daemons answer only root, on sockets only root may open",
        ),
        (
            "down",
            "it stops the lab's daemons, which run as root, and deletes its network namespaces",
        ),
    ] {
        let (_copy, binary) = binary_for_nobody();
        let output = as_nobody(&binary, &[command, "--dir", "/nonexistent"]);
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        let shown = unwrapped(&stderr);
        assert!(
            shown.contains(&format!("`kvmlab {command}` needs root: {reason}")),
            "{shown}"
        );
        assert!(
            shown.contains(&format!(
                "help: run it as root, e.g. `sudo kvmlab {command}`"
            )),
            "{shown}"
        );
    }
}

#[test]
fn a_folder_kvmlab_did_not_make_is_neither_used_nor_emptied() {
    if !real_tests() {
        return;
    }
    let _turn = ONE_LAB.lock().unwrap_or_else(|e| e.into_inner());
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("mine");
    std::fs::create_dir_all(dir.join("sv1")).unwrap();
    std::fs::write(dir.join("sv1/notes.txt"), "the trainee's own").unwrap();
    let output = lab("up", &dir);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("kvmlab::up::dir_in_use"), "{stderr}");
    assert!(
        unwrapped(&stderr).contains("give a new folder with `--dir`"),
        "{stderr}"
    );
    let output = lab("down", &dir);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!(
            "left the files in {}: `kvmlab up` did not make that folder",
            dir.display()
        )),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("sv1/notes.txt")).unwrap(),
        "the trainee's own"
    );
}

/// A copy of the kvmlab binary in a folder everyone may enter, for running it as `nobody`.
fn binary_for_nobody() -> (tempfile::TempDir, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let binary = dir.path().join("kvmlab");
    std::fs::copy(env!("CARGO_BIN_EXE_kvmlab"), &binary).unwrap();
    std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
    (dir, binary)
}

/// Runs the copy as `nobody`. A child another test forks while the copy is being written
/// holds it open for writing until it execs, and the kernel refuses to run a file open for
/// writing ("Text file busy"): that passes, so it is tried again.
fn as_nobody(binary: &Path, args: &[&str]) -> Output {
    for _ in 0..50 {
        let output = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(binary)
            .args(args)
            .output()
            .expect("setpriv runs");
        if !String::from_utf8_lossy(&output.stderr).contains("Text file busy") {
            return output;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{} stayed busy for 5 s", binary.display());
}
