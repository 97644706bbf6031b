//! Live migration between the two libvirt hosts of a real lab, through
//! `kvmlab_runtime::libvirt::migrate::migrate_domain`. Built with `--features libvirt`; run
//! only with `KVMLAB_REAL_TESTS=1` as root. They use the lab in `KVMLAB_REAL_LAB` (a folder
//! `kvmlab up` wrote) when it is set, otherwise each brings a lab of its own up and down;
//! the test that kills a daemon always brings up its own. The guests have no kernel: SeaBIOS
//! finds nothing to boot and waits, a real KVM guest to start and migrate. Most have no
//! disk either; those whose destination dies or is cut off have the NAS LUN, checksummed
//! around it.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use kvmlab_runtime::libvirt::migrate::migrate_domain;
use kvmlab_runtime::migration::{
    MigrationConfig, MigrationRequest, Profile, Safety, Status, TimeoutAction,
};
use kvmlab_runtime::real::job_stats::JobProgress;
use virt::connect::Connect;

use crate::harness::kvmlab;
use crate::real_lab::{await_ping, ONE_LAB};

const MIB: f64 = 1024.0 * 1024.0;

fn real_tests() -> bool {
    if std::env::var("KVMLAB_REAL_TESTS").as_deref() == Ok("1") {
        return true;
    }
    eprintln!(
        "skipped: set KVMLAB_REAL_TESTS=1 to run the real migration tests (they need root, \
         /dev/kvm and what `kvmlab up` needs; KVMLAB_REAL_LAB=DIR runs them on a lab already up)"
    );
    false
}

/// The lab's NAS LUN: how QEMU reaches it, and the file tgtd serves it from.
struct Nas {
    host: String,
    port: String,
    iqn: String,
    lun: String,
    lun_file: PathBuf,
}

/// A lab's two hosts as lab.toml names them.
struct Host {
    connect: Connect,
    uri: String,
    pid_file: PathBuf,
    /// Where a migration to it goes: its address without a port, so its libvirtd picks a
    /// free one from its migration range (lab.toml's `migration_ports`), and a port a
    /// migration just left, or another user of the lab holds, cannot clash.
    migration_uri: String,
    /// Its link's end in the lab's namespace.
    link: String,
    /// Its own namespace, and its address there.
    netns: String,
    address: String,
}

struct Lab {
    sv1: Host,
    sv2: Host,
    /// The lab's own network namespace, where each host's link ends.
    netns: String,
    domain_type: &'static str,
    nas: Nas,
    /// Where this test brought a lab up, to take it down after.
    own: Option<tempfile::TempDir>,
}

impl Lab {
    /// The lab in `KVMLAB_REAL_LAB`, or one of the test's own when `own` or none is given.
    fn open(own: bool) -> Lab {
        // The guests' clean-up asks for guests that may not exist: no libvirt print of it.
        virt::error::clear_error_callback();
        let shared = std::env::var_os("KVMLAB_REAL_LAB").filter(|_| !own);
        let (dir, own) = match shared {
            Some(dir) => (PathBuf::from(dir), None),
            None => {
                let temp = tempfile::tempdir().expect("a temporary folder");
                let output = kvmlab()
                    .args(["up", "--dir"])
                    .arg(temp.path())
                    .output()
                    .expect("kvmlab runs");
                assert_eq!(
                    output.status.code(),
                    Some(0),
                    "kvmlab up: {}{}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                );
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        let file: toml::Table = std::fs::read_to_string(dir.join("lab.toml"))
            .expect("the lab has a lab.toml")
            .parse()
            .expect("lab.toml is TOML");
        let hosts = file["hosts"].as_array().expect("hosts");
        let host = |name: &str| {
            let entry = hosts
                .iter()
                .find(|h| h["name"].as_str() == Some(name))
                .expect("the host is in lab.toml");
            let socket_uri = entry["socket_uri"].as_str().expect("socket_uri");
            Host {
                connect: Connect::open(Some(socket_uri)).expect("libvirtd answers on its socket"),
                uri: socket_uri.to_string(),
                pid_file: PathBuf::from(entry["pid_file"].as_str().expect("pid_file")),
                migration_uri: entry["migration_uri"]
                    .as_str()
                    .expect("migration_uri")
                    .into(),
                link: entry["link"].as_str().expect("link").into(),
                netns: entry["netns"].as_str().expect("netns").into(),
                address: entry["address"].as_str().expect("address").into(),
            }
        };
        let nas = &file["nas"];
        let (portal_host, portal_port) = nas["portal"]
            .as_str()
            .and_then(|p| p.rsplit_once(':'))
            .expect("the NAS's portal is HOST:PORT");
        Lab {
            nas: Nas {
                host: portal_host.into(),
                port: portal_port.into(),
                iqn: nas["iqn"].as_str().expect("the NAS's IQN").into(),
                lun: nas["uri"]
                    .as_str()
                    .and_then(|uri| uri.rsplit('/').next())
                    .expect("the NAS's URI ends in its LUN")
                    .into(),
                lun_file: PathBuf::from(nas["lun_file"].as_str().expect("the LUN's file")),
            },
            sv1: host("sv1"),
            sv2: host("sv2"),
            netns: file["netns"].as_str().expect("netns").into(),
            domain_type: match file.get("acceleration").and_then(|a| a.as_str()) {
                Some("kvm") => "kvm",
                _ => "qemu",
            },
            own,
        }
    }

    fn dir(&self) -> Option<&Path> {
        self.own.as_ref().map(|d| d.path())
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(dir) = self.dir() {
            let _ = kvmlab().args(["down", "--dir"]).arg(dir).output();
        }
    }
}

/// A diskless guest defined and started on a host; removed from both hosts when dropped.
struct Guest<'a> {
    name: &'static str,
    lab: &'a Lab,
}

impl<'a> Guest<'a> {
    fn start(lab: &'a Lab, on: &Host, name: &'static str, memory_mib: u64) -> Guest<'a> {
        Guest::start_with(lab, on, name, memory_mib, "")
    }

    /// A guest whose disk is the NAS LUN through QEMU's iSCSI initiator, as the libvirt
    /// backend gives guests on the NAS.
    fn start_on_nas(lab: &'a Lab, on: &Host, name: &'static str, memory_mib: u64) -> Guest<'a> {
        let nas = &lab.nas;
        let disk = format!(
            "<disk type='network' device='disk'><driver name='qemu' type='raw' cache='none'/>\
             <source protocol='iscsi' name='{}/{}'><host name='{}' port='{}'/></source>\
             <target dev='vda' bus='virtio'/></disk>",
            nas.iqn, nas.lun, nas.host, nas.port
        );
        Guest::start_with(lab, on, name, memory_mib, &disk)
    }

    fn start_with(
        lab: &'a Lab,
        on: &Host,
        name: &'static str,
        memory_mib: u64,
        devices: &str,
    ) -> Guest<'a> {
        let guest = Guest { name, lab };
        guest.remove();
        let xml = format!(
            "<domain type='{}'><name>{name}</name><memory unit='MiB'>{memory_mib}</memory>\
             <vcpu>1</vcpu><os><type arch='x86_64'>hvm</type><boot dev='hd'/></os>\
             <on_poweroff>destroy</on_poweroff><devices>{devices}<memballoon model='none'/>\
             </devices></domain>",
            lab.domain_type
        );
        let domain = on
            .connect
            .define_domain_xml(&xml)
            .expect("the guest is defined");
        domain.create().expect("the guest starts");
        guest
    }

    fn remove(&self) {
        for host in [&self.lab.sv1, &self.lab.sv2] {
            if let Ok(domain) = host.connect.lookup_domain_by_name(self.name) {
                let _ = domain.destroy();
                let _ = domain.undefine();
            }
        }
    }

    /// Whether it runs on `host`.
    fn runs_on(&self, host: &Host) -> bool {
        host.connect
            .lookup_domain_by_name(self.name)
            .and_then(|d| d.is_active())
            .unwrap_or(false)
    }
}

impl Drop for Guest<'_> {
    fn drop(&mut self) {
        self.remove();
    }
}

fn request(edit: impl FnOnce(&mut MigrationConfig)) -> MigrationRequest {
    let mut config = MigrationConfig::new(Profile::Modern);
    edit(&mut config);
    MigrationRequest {
        config,
        safety: Safety::default(),
    }
}

#[test]
fn a_guest_migrates_to_sv2_and_back_with_libvirts_figures() {
    if !real_tests() {
        return;
    }
    let _turn = ONE_LAB.lock().unwrap_or_else(|e| e.into_inner());
    let lab = Lab::open(false);
    let guest = Guest::start(&lab, &lab.sv1, "b-mig", 256);
    let never = AtomicBool::new(false);
    for (from, to) in [(&lab.sv1, &lab.sv2), (&lab.sv2, &lab.sv1)] {
        let outcome = migrate_domain(
            &from.connect,
            &to.connect,
            guest.name,
            &request(|_| {}),
            Some(&to.migration_uri),
            &never,
            &mut |_| {},
        )
        .expect("the migration completes");
        eprintln!("{} -> {}: {outcome:?}", from.uri, to.uri);
        assert_eq!(outcome.status, Status::Completed);
        assert!(outcome.total_time > 0.0, "{outcome:?}");
        assert!(outcome.transferred > 0, "{outcome:?}");
        assert!(outcome.iterations >= 1, "{outcome:?}");
        assert!(outcome.zero_pages > 0, "{outcome:?}");
        assert!(
            outcome.guest_on_destination && outcome.memory_intact && !outcome.guest_paused,
            "{outcome:?}"
        );
        assert_eq!(
            outcome.rounds.last().map(|r| r.index),
            Some(outcome.iterations)
        );
        assert!(guest.runs_on(to) && !guest.runs_on(from));
        // PERSIST_DEST and UNDEFINE_SOURCE: the definition moved with the guest.
        assert!(from.connect.lookup_domain_by_name(guest.name).is_err());
    }
}

#[test]
fn an_interrupted_migration_is_cancelled_and_the_guest_runs_on_the_source() {
    if !real_tests() {
        return;
    }
    let _turn = ONE_LAB.lock().unwrap_or_else(|e| e.into_inner());
    let lab = Lab::open(false);
    // 2 GiB of zero pages cost 9 B each on the wire: about 4.5 s at 1 MiB/s.
    let guest = Guest::start(&lab, &lab.sv1, "b-slow", 2048);
    let interrupt = AtomicBool::new(false);
    let mut seen: Vec<JobProgress> = Vec::new();
    let outcome = migrate_domain(
        &lab.sv1.connect,
        &lab.sv2.connect,
        guest.name,
        &request(|c| c.bandwidth_cap = Some(MIB)),
        Some(&lab.sv2.migration_uri),
        &interrupt,
        &mut |progress| {
            seen.push(*progress);
            if progress.elapsed_ms >= 1000 {
                interrupt.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        },
    )
    .expect("a cancelled migration is an outcome, not an error");
    eprintln!("{outcome:?}; {} readings", seen.len());
    assert_eq!(outcome.status, Status::Cancelled);
    assert!(!outcome.guest_on_destination && !outcome.memory_intact);
    assert_eq!(outcome.downtime_ms, 0.0, "the guest never stopped");
    assert!(
        (1.0..3.0).contains(&outcome.total_time),
        "aborted after about 1 s: {outcome:?}"
    );
    assert!(guest.runs_on(&lab.sv1) && !guest.runs_on(&lab.sv2));
    // The bar saw the job move, and at the cap: about 1 MiB per second.
    assert!(seen.len() >= 5, "{seen:?}");
    let last = seen.last().unwrap();
    let rate = last.transferred as f64 / (last.elapsed_ms.max(1) as f64 / 1000.0);
    assert!(last.transferred > 0 && rate < 2.0 * MIB, "{last:?}");
    assert!(
        last.total.is_some_and(|t| t >= 2048 * 1024 * 1024),
        "{last:?}"
    );
}

#[test]
fn ctrl_c_cancels_the_migration_and_gives_sigint_back_after() {
    if !real_tests() {
        return;
    }
    let _turn = ONE_LAB.lock().unwrap_or_else(|e| e.into_inner());
    let lab = Lab::open(false);
    let guest = Guest::start(&lab, &lab.sv1, "b-ctrlc", 2048);
    let sigint_now = || {
        // SAFETY: reads the current SIGINT action only.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            libc::sigaction(libc::SIGINT, std::ptr::null(), &mut action);
            action.sa_sigaction
        }
    };
    let before = sigint_now();
    let never = AtomicBool::new(false);
    let mut pressed = false;
    let outcome = migrate_domain(
        &lab.sv1.connect,
        &lab.sv2.connect,
        guest.name,
        &request(|c| c.bandwidth_cap = Some(MIB)),
        Some(&lab.sv2.migration_uri),
        &never,
        &mut |progress| {
            if progress.elapsed_ms >= 1000 && !pressed {
                // SAFETY: the signal a terminal's Ctrl-C sends, to this process.
                unsafe { libc::kill(libc::getpid(), libc::SIGINT) };
                pressed = true;
            }
        },
    )
    .expect("a cancelled migration is an outcome");
    assert!(pressed);
    assert_eq!(outcome.status, Status::Cancelled, "{outcome:?}");
    assert!(guest.runs_on(&lab.sv1) && !guest.runs_on(&lab.sv2));
    // Outside a job, Ctrl-C does again what it did before (here: the default, ending the
    // process), not tokio's.
    assert_eq!(sigint_now(), before);
}

#[test]
fn a_timeout_with_the_abort_action_cancels_the_migration_on_time() {
    if !real_tests() {
        return;
    }
    let _turn = ONE_LAB.lock().unwrap_or_else(|e| e.into_inner());
    let lab = Lab::open(false);
    let guest = Guest::start(&lab, &lab.sv1, "b-timeout", 2048);
    let never = AtomicBool::new(false);
    let outcome = migrate_domain(
        &lab.sv1.connect,
        &lab.sv2.connect,
        guest.name,
        &request(|c| {
            c.bandwidth_cap = Some(MIB);
            c.timeout = Some(1.5);
            c.timeout_action = TimeoutAction::Abort;
        }),
        Some(&lab.sv2.migration_uri),
        &never,
        &mut |_| {},
    )
    .expect("a migration its timeout aborted is an outcome");
    eprintln!("{outcome:?}");
    assert_eq!(outcome.status, Status::Cancelled);
    assert!(
        (1.4..3.0).contains(&outcome.total_time),
        "aborted at 1.5 s: {outcome:?}"
    );
    assert!(guest.runs_on(&lab.sv1) && !guest.runs_on(&lab.sv2));
}

#[test]
fn a_timeout_with_the_suspend_action_pauses_the_guest_and_the_migration_completes() {
    if !real_tests() {
        return;
    }
    let _turn = ONE_LAB.lock().unwrap_or_else(|e| e.into_inner());
    let lab = Lab::open(false);
    let guest = Guest::start(&lab, &lab.sv1, "b-suspend", 2048);
    let never = AtomicBool::new(false);
    let outcome = migrate_domain(
        &lab.sv1.connect,
        &lab.sv2.connect,
        guest.name,
        &request(|c| {
            c.bandwidth_cap = Some(2.0 * MIB);
            c.timeout = Some(1.0);
            c.timeout_action = TimeoutAction::Suspend;
        }),
        Some(&lab.sv2.migration_uri),
        &never,
        &mut |_| {},
    )
    .expect("a suspended guest's migration completes");
    eprintln!("{outcome:?}");
    assert_eq!(outcome.status, Status::Completed);
    assert!(outcome.guest_on_destination && outcome.memory_intact);
    // Paused at 1 s, it stayed stopped until it ran on the destination.
    assert!(outcome.total_time > 1.0, "{outcome:?}");
    assert!(guest.runs_on(&lab.sv2));
}

#[test]
fn post_copy_after_a_second_moves_the_guest_at_once() {
    if !real_tests() {
        return;
    }
    let _turn = ONE_LAB.lock().unwrap_or_else(|e| e.into_inner());
    let lab = Lab::open(false);
    let guest = Guest::start(&lab, &lab.sv1, "b-postcopy", 2048);
    let never = AtomicBool::new(false);
    let outcome = migrate_domain(
        &lab.sv1.connect,
        &lab.sv2.connect,
        guest.name,
        &request(|c| {
            c.bandwidth_cap = Some(MIB);
            c.postcopy_after = Some(1.0);
        }),
        Some(&lab.sv2.migration_uri),
        &never,
        &mut |_| {},
    )
    .expect("a post-copy migration completes");
    eprintln!("{outcome:?}");
    assert_eq!(outcome.status, Status::Completed);
    assert!(outcome.postcopy, "{outcome:?}");
    assert!(outcome.guest_on_destination && !outcome.guest_paused);
    // At 1 MiB/s pre-copy alone would take about 4.5 s.
    assert!(outcome.total_time < 4.0, "{outcome:?}");
    assert!(guest.runs_on(&lab.sv2) && !guest.runs_on(&lab.sv1));
}

#[test]
fn a_destination_that_already_runs_a_guest_of_that_name_refuses_clearly() {
    if !real_tests() {
        return;
    }
    let _turn = ONE_LAB.lock().unwrap_or_else(|e| e.into_inner());
    let lab = Lab::open(false);
    let guest = Guest::start(&lab, &lab.sv1, "b-clash", 128);
    // Another guest of the same name (its own UUID) already runs on sv2.
    let xml = format!(
        "<domain type='{}'><name>b-clash</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>\
         <os><type arch='x86_64'>hvm</type></os><devices><memballoon model='none'/></devices>\
         </domain>",
        lab.domain_type
    );
    lab.sv2
        .connect
        .create_domain_xml(&xml, 0)
        .expect("the other guest starts on sv2");
    let never = AtomicBool::new(false);
    let err = migrate_domain(
        &lab.sv1.connect,
        &lab.sv2.connect,
        guest.name,
        &request(|_| {}),
        Some(&lab.sv2.migration_uri),
        &never,
        &mut |_| {},
    )
    .expect_err("sv2 refuses");
    eprintln!("{err}\nhelp: {}", err.help_str().unwrap_or_default());
    assert_eq!(err.code_str(), "kvmlab::libvirt::migration_failed");
    let message = err.to_string();
    assert!(message.contains("b-clash"), "{message}");
    assert!(
        message.ends_with(&format!("b-clash still runs on {}", lab.sv1.uri)),
        "{message}"
    );
    let help = err.help_str().unwrap();
    assert!(
        help.starts_with(&format!(
            "{} already has a guest named b-clash",
            lab.sv2.uri
        )),
        "{help}"
    );
    assert!(guest.runs_on(&lab.sv1));
}

/// Kills sv2's libvirtd while a migration to it runs, so it always runs on a lab of its own.
#[test]
fn the_destination_daemon_killed_during_a_migration_leaves_the_guest_on_the_source() {
    if !real_tests() {
        return;
    }
    let _turn = ONE_LAB.lock().unwrap_or_else(|e| e.into_inner());
    let lab = Lab::open(true);
    // Data of the guest's own on its disk, the NAS LUN, before it starts.
    write_pattern(&lab.nas.lun_file);
    let guest = Guest::start_on_nas(&lab, &lab.sv1, "b-kill", 2048);
    let disk_before = sha256sum(&lab.nas.lun_file);
    let pid: i32 = std::fs::read_to_string(&lab.sv2.pid_file)
        .expect("sv2's pid file")
        .trim()
        .parse()
        .expect("a pid");
    let never = AtomicBool::new(false);
    let mut killed = false;
    let result = migrate_domain(
        &lab.sv1.connect,
        &lab.sv2.connect,
        guest.name,
        &request(|c| c.bandwidth_cap = Some(MIB)),
        Some(&lab.sv2.migration_uri),
        &never,
        &mut |progress| {
            if progress.elapsed_ms >= 1000 && !killed {
                // SAFETY: a plain kill(2) of the lab's own daemon, read from its pid file.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                killed = true;
            }
        },
    );
    assert!(killed, "the migration ran long enough to kill the daemon");
    let err = result.expect_err("the migration fails without its destination");
    eprintln!("{err}\nhelp: {}", err.help_str().unwrap_or_default());
    assert_eq!(err.code_str(), "kvmlab::libvirt::migration_failed");
    assert!(
        err.to_string()
            .ends_with(&format!("b-kill still runs on {}", lab.sv1.uri)),
        "{err}"
    );
    assert!(err.help_str().unwrap().starts_with(&format!(
        "nothing changed on {}, where b-kill carries on",
        lab.sv1.uri
    )));
    assert!(guest.runs_on(&lab.sv1));
    let disk_after = sha256sum(&lab.nas.lun_file);
    eprintln!("the LUN's SHA-256 before and after: {disk_before} {disk_after}");
    assert_eq!(disk_after, disk_before, "the guest's disk is intact");
}

/// A host's link set down in the lab's namespace (`ip -n kvmlab link set kv-sv2 down`), as a
/// cable pulled from the host's card; set up again when dropped, even when the test fails.
struct Unplugged<'a> {
    netns: &'a str,
    link: &'a str,
    since: Instant,
}

impl<'a> Unplugged<'a> {
    fn unplug(lab: &'a Lab, host: &'a Host) -> Unplugged<'a> {
        let out = set_link(&lab.netns, &host.link, "down");
        assert!(
            out.status.success(),
            "ip -n {} link set {} down: {}",
            lab.netns,
            host.link,
            String::from_utf8_lossy(&out.stderr)
        );
        Unplugged {
            netns: &lab.netns,
            link: &host.link,
            since: Instant::now(),
        }
    }
}

impl Drop for Unplugged<'_> {
    fn drop(&mut self) {
        let out = set_link(self.netns, self.link, "up");
        if !out.status.success() {
            eprintln!(
                "could not plug {} back: {}",
                self.link,
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

fn set_link(netns: &str, link: &str, state: &str) -> std::process::Output {
    std::process::Command::new("ip")
        .args(["-n", netns, "link", "set", link, state])
        .output()
        .expect("ip runs")
}

/// sv2's link unplugged a second into a migration to it: the stream stalls with no word
/// from libvirt or QEMU, kvmlab gives the migration up after libvirt's keepalive time as the
/// simulator does, and the guest carries on on sv1 with its disk intact; with the link back
/// it migrates.
#[test]
fn sv2_unplugged_during_a_migration_loses_the_connection_and_the_guest_carries_on_on_sv1() {
    if !real_tests() {
        return;
    }
    let _turn = ONE_LAB.lock().unwrap_or_else(|e| e.into_inner());
    let lab = Lab::open(false);
    let guest = Guest::start_on_nas(&lab, &lab.sv1, "b-unplug", 2048);
    let disk_before = sha256sum(&lab.nas.lun_file);
    let never = AtomicBool::new(false);
    let mut unplugged: Option<Unplugged> = None;
    let result = migrate_domain(
        &lab.sv1.connect,
        &lab.sv2.connect,
        guest.name,
        &request(|c| c.bandwidth_cap = Some(MIB)),
        Some(&lab.sv2.migration_uri),
        &never,
        &mut |progress| {
            if progress.elapsed_ms >= 1000 && unplugged.is_none() {
                unplugged = Some(Unplugged::unplug(&lab, &lab.sv2));
            }
        },
    );
    let since_unplugged = unplugged
        .as_ref()
        .map(|u| u.since.elapsed())
        .expect("the migration ran long enough to unplug sv2");
    let err = result.expect_err("the migration fails without its link");
    eprintln!(
        "{err}\nhelp: {}\nthe call returned {:.1} s after the unplug",
        err.help_str().unwrap_or_default(),
        since_unplugged.as_secs_f64()
    );
    assert_eq!(err.code_str(), "kvmlab::migrate::connection_lost");
    let message = err.to_string();
    let opening = format!(
        "the migration of b-unplug to {} lost its connection at ",
        lab.sv2.uri
    );
    assert!(message.starts_with(&opening), "{message}");
    let at_s: f64 = message[opening.len()..]
        .split(' ')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("the time it was given up");
    // libvirt's keepalive time after the unplug a second in, give or take the polls.
    assert!((31.0..45.0).contains(&at_s), "{message}");
    assert!(
        message.contains(": its stream stalled, and nothing crossed for 30 s since "),
        "{message}"
    );
    assert!(
        message.ends_with(&format!(
            "; b-unplug carries on on {}, where it ran",
            lab.sv1.uri
        )),
        "{message}"
    );
    assert!(err.help_str().unwrap().starts_with(&format!(
        "nothing changed on {}: check the link between {} and {}",
        lab.sv1.uri, lab.sv1.uri, lab.sv2.uri
    )));
    assert!(guest.runs_on(&lab.sv1) && !guest.runs_on(&lab.sv2));
    assert_eq!(
        sha256sum(&lab.nas.lun_file),
        disk_before,
        "the guest's disk is intact"
    );

    // Plugged back, and `ping` crossing as the help says to check, the guest migrates.
    drop(unplugged);
    let plugged = Instant::now();
    await_ping(&lab.sv2.netns, &[&lab.sv1.address, &lab.nas.host]);
    eprintln!(
        "ping crossed {:.1} s after the link came back",
        plugged.elapsed().as_secs_f64()
    );
    let outcome = migrate_domain(
        &lab.sv1.connect,
        &lab.sv2.connect,
        guest.name,
        &request(|_| {}),
        Some(&lab.sv2.migration_uri),
        &never,
        &mut |_| {},
    )
    .expect("with its link back the guest migrates");
    assert_eq!(outcome.status, Status::Completed, "{outcome:?}");
    assert!(guest.runs_on(&lab.sv2) && !guest.runs_on(&lab.sv1));
    assert_eq!(sha256sum(&lab.nas.lun_file), disk_before);
}

/// sv2's link down for 5 s, well within libvirt's keepalive time: the stream stalls, goes on
/// when the link is back, and the migration completes, only later.
#[test]
fn sv2_unplugged_for_five_seconds_only_delays_the_migration() {
    if !real_tests() {
        return;
    }
    let _turn = ONE_LAB.lock().unwrap_or_else(|e| e.into_inner());
    let lab = Lab::open(false);
    let guest = Guest::start_on_nas(&lab, &lab.sv1, "b-blip", 2048);
    let never = AtomicBool::new(false);
    let mut unplugged: Option<Unplugged> = None;
    let mut plugged_back = false;
    let outcome = migrate_domain(
        &lab.sv1.connect,
        &lab.sv2.connect,
        guest.name,
        &request(|c| c.bandwidth_cap = Some(MIB)),
        Some(&lab.sv2.migration_uri),
        &never,
        &mut |progress| {
            if progress.elapsed_ms >= 1000 && unplugged.is_none() && !plugged_back {
                unplugged = Some(Unplugged::unplug(&lab, &lab.sv2));
            }
            if unplugged
                .as_ref()
                .is_some_and(|u| u.since.elapsed() >= Duration::from_secs(5))
            {
                unplugged = None;
                plugged_back = true;
            }
        },
    )
    .expect("the migration goes on once the link is back");
    eprintln!("{outcome:?}");
    assert!(
        plugged_back,
        "the link was down for 5 s during the migration"
    );
    assert_eq!(outcome.status, Status::Completed);
    assert!(outcome.guest_on_destination && outcome.memory_intact);
    // Nothing crossed from 1 s to 6 s.
    assert!(outcome.total_time > 6.0, "{outcome:?}");
    assert!(guest.runs_on(&lab.sv2) && !guest.runs_on(&lab.sv1));
}

/// 8 MiB of a counting pattern at the start of the LUN's file, the rest left as it is.
fn write_pattern(lun_file: &Path) {
    use std::io::Write;
    let pattern: Vec<u8> = (0..8u32 << 20).map(|i| (i % 251) as u8).collect();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(lun_file)
        .expect("the LUN's file opens for writing");
    file.write_all(&pattern).expect("the pattern is written");
    file.sync_all().expect("the pattern reaches the disk");
}

/// The whole LUN's SHA-256, by coreutils (the 2 GiB are mostly holes it reads fast).
fn sha256sum(file: &Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(file)
        .output()
        .expect("sha256sum runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .expect("a digest")
        .to_string()
}
