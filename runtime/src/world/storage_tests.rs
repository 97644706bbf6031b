//! The report's storage (§2.3–2.4) end to end on both hosts, errata included, and every
//! storage, package and service diagnostic by its code.

use super::host::hardware::HostSpec;
use super::host::os::OsSpec;
use super::host::packages::INITIATOR_NAME_PATH;
use super::nas::{NasId, NasSpec};
use super::net::ip::Ipv4Cidr;
use super::pool::{PoolKind, PoolSpec, VolumeSpec};
use super::services::{ServiceAction, BOOT_TIME, LOGIN_RETRY_TIME};
use super::storage::blockdev::VolumeFormat;
use super::storage::fs::{ExtLayout, FsType};
use super::storage::iscsi::Chap;
use super::tests::{report_lab, restart_both, Lab};
use super::*;
use crate::time::LabTime;
use crate::Severity;

const IQN: &str = "iqn.2006-01.com.openfiler:tsn.b5ffc134d692";
const DISCOVERED: &str = "10.10.1.10:3260,1 iqn.2006-01.com.openfiler:tsn.b5ffc134d692";
/// 50 % of the report's RAID 6 (see `storage::nas`).
const LUN_SIZE: u64 = 4_995_964_170_240;
const GIB: u64 = 1 << 30;

struct StorageLab {
    lab: Lab,
    nas: NasId,
}

/// The report's two servers with their network up, and the NAS on NET2 with its target.
fn storage_lab() -> StorageLab {
    let mut lab = report_lab();
    restart_both(&mut lab);
    let world = &mut lab.world;
    let nas = world.add_nas("nas", NasSpec::report()).unwrap();
    let net2 = world.switch_id("net2").unwrap();
    world.connect(nas, "eth0", net2).unwrap();
    world
        .set_nas_address(nas, "eth0", Ipv4Cidr::parse("10.10.1.10/16").unwrap())
        .unwrap();
    let size = world.nas(nas).volume().percent_of_capacity(50);
    assert_eq!(size, LUN_SIZE);
    let warnings = world.nas_create_target(nas, IQN, size).unwrap();
    let codes: Vec<String> = warnings.iter().map(Error::code_str).collect();
    assert_eq!(codes, ["kvmlab::storage::iqn_vendor_mismatch"]);
    StorageLab { lab, nas }
}

/// §2.4's initiator commands up to the login, on one host.
fn log_in(world: &mut World, host: HostId) -> Vec<String> {
    let yum = world
        .host_mut(host)
        .yum_install("iscsi-initiator-utils")
        .unwrap();
    assert_eq!(
        yum.lines,
        [
            "Package iscsi-initiator-utils-6.2.0.872.x86_64 already installed and latest version",
            "Nothing to do"
        ]
    );
    let started = world.service(host, "iscsi", ServiceAction::Start).unwrap();
    assert_eq!(
        started.lines,
        ["Starting iscsi:                                            [  OK  ]"]
    );
    world.chkconfig(host, "iscsid", true).unwrap();
    world.chkconfig(host, "iscsi", true).unwrap();
    assert_eq!(
        world.iscsi_discover(host, "10.10.1.10").unwrap(),
        [DISCOVERED]
    );
    assert_eq!(world.iscsi_nodes(host).unwrap(), [DISCOVERED]);
    let login = world.iscsi_login(host, IQN).unwrap();
    assert_eq!(
        login.lines[1],
        "Login to [iface: default, target: iqn.2006-01.com.openfiler:tsn.b5ffc134d692, portal: 10.10.1.10,3260] successful."
    );
    login.devices
}

/// sv1 after the whole of §2.4: the LUN as /dev/sdb, a GPT label, a 95 GB ext3 partition
/// mounted on /iscsi1 and listed in fstab with `_netdev`.
fn sv1_with_iscsi1() -> StorageLab {
    let mut s = storage_lab();
    let sv1 = s.lab.sv1;
    let world = &mut s.lab.world;
    assert_eq!(log_in(world, sv1), ["/dev/sdb"]);
    world.parted_mklabel(sv1, "/dev/sdb", "gpt").unwrap();
    world
        .parted_mkpart(sv1, "/dev/sdb", "primary", "ext3", "0%", "95GB")
        .unwrap();
    world.mkfs(sv1, "ext3", "/dev/sdb1").unwrap();
    world.mkdir(sv1, "/iscsi1").unwrap();
    assert_eq!(
        world.mount(sv1, "/dev/sdb1", "/iscsi1", "ext3").unwrap(),
        []
    );
    let findings = world
        .host_mut(sv1)
        .append_file("/etc/fstab", "/dev/sdb1 /iscsi1 ext3 _netdev 0 0\n")
        .unwrap();
    assert_eq!(findings, []);
    s
}

/// The code of an operation's error.
fn code<T: std::fmt::Debug>(result: Result<T>) -> String {
    result.unwrap_err().code_str()
}

fn codes(findings: &[net::Finding]) -> Vec<String> {
    findings.iter().map(net::Finding::code).collect()
}

#[test]
fn the_reports_section_2_4_on_both_hosts() {
    let mut s = storage_lab();
    let (sv1, sv2) = (s.lab.sv1, s.lab.sv2);
    let world = &mut s.lab.world;

    // sv1: §2.4 in the report's order
    assert_eq!(log_in(world, sv1), ["/dev/sdb"]);
    let disks = world.disks(sv1).unwrap();
    let names: Vec<&str> = disks.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(names, ["/dev/sda", "/dev/sdb"]);
    assert_eq!(disks[1].size, LUN_SIZE);
    assert_eq!(
        disks[1].by_path.as_deref(),
        Some("/dev/disk/by-path/ip-10.10.1.10:3260-iscsi-iqn.2006-01.com.openfiler:tsn.b5ffc134d692-lun-0")
    );
    // RHEL 6's fdisk: decimal sizes and cylinders; the fresh LUN has no table yet
    let fdisk = world.fdisk_l(sv1, false).unwrap();
    assert!(fdisk[0]
        .1
        .stdout
        .starts_with("\nDisk /dev/sda: 1000.0 GB, 1000000000000 bytes\n"));
    assert_eq!(fdisk[1].0, "/dev/sdb");
    assert!(fdisk[1].1.stdout.starts_with(
        "\nDisk /dev/sdb: 4996.0 GB, 4995964170240 bytes\n255 heads, 63 sectors/track, 607391 cylinders\n"
    ));
    assert_eq!(
        fdisk[1].1.stderr,
        "Disk /dev/sdb doesn't contain a valid partition table\n"
    );

    // erratum: an msdos label cannot address the 5 TB LUN
    world.parted_mklabel(sv1, "/dev/sdb", "msdos").unwrap();
    let e = world
        .parted_mkpart(sv1, "/dev/sdb", "primary", "ext3", "0%", "100%")
        .unwrap_err();
    assert_eq!(e.code_str(), "kvmlab::storage::msdos_2tib_limit");

    world.parted_mklabel(sv1, "/dev/sdb", "gpt").unwrap();
    let part = world
        .parted_mkpart(sv1, "/dev/sdb", "primary", "ext3", "0%", "95GB")
        .unwrap()
        .partition;
    assert_eq!((part.start, part.end), (2048, 185_546_751));
    assert!(world
        .parted_print(sv1, "/dev/sdb")
        .unwrap()
        .contains("Disk /dev/sdb: 4996GB\n"));

    let mkfs = world.mkfs(sv1, "ext3", "/dev/sdb1").unwrap();
    let layout = ExtLayout::mkfs(
        FsType::Ext3,
        part.size_bytes(),
        host::storage::HOST_E2FSPROGS,
    )
    .unwrap();
    // the RAID's 100 MB/s is slower than the gigabit link's 117.7 MB/s of TCP payload
    assert_eq!(mkfs.write_rate, 100e6);
    assert_eq!(
        mkfs.duration,
        LabTime::from_secs_f64(layout.mkfs_bytes_written() as f64 / 100e6)
    );
    assert!(mkfs.duration > LabTime::from_secs_f64(10.0));
    assert!(world
        .parted_print(sv1, "/dev/sdb")
        .unwrap()
        .contains(" 1      1049kB  95.0GB  95.0GB  ext3         primary\n"));

    world.mkdir(sv1, "/iscsi1").unwrap();
    assert_eq!(
        world.mount(sv1, "/dev/sdb1", "/iscsi1", "ext3").unwrap(),
        []
    );
    let df = world.df(sv1, "/dev/sdb1").unwrap();
    assert_eq!(
        df.text,
        "Filesystem      Size  Used Avail Use% Mounted on\n/dev/sdb1        88G  184M   83G   1% /iscsi1\n"
    );
    assert_eq!(world.df(sv1, "/iscsi1").unwrap().row, df.row);
    let appended = world
        .host_mut(sv1)
        .append_file("/etc/fstab", "/dev/sdb1 /iscsi1 ext3 _netdev 0 0\n")
        .unwrap();
    assert_eq!(appended, []);
    let fstab = world.host(sv1).fstab().unwrap();
    let last = fstab.entries.last().unwrap();
    assert_eq!(last.option_list(), ["_netdev"]);

    // sv2: the same commands; the LUN's table and file system are sv1's
    assert_eq!(log_in(world, sv2), ["/dev/sdb"]);
    let on_sv2 = &world.disks(sv2).unwrap()[1];
    assert_eq!(on_sv2.partitions[0].path, "/dev/sdb1");
    assert_eq!(on_sv2.partitions[0].fstype.as_deref(), Some("ext3"));
    assert_eq!(
        on_sv2.partitions[0].uuid.as_deref(),
        Some(mkfs.uuid.as_str())
    );
    let lun_listing = |world: &World, host| world.fdisk_l(host, true).unwrap().remove(1);
    assert_eq!(lun_listing(world, sv1), lun_listing(world, sv2));
    world.mkdir(sv2, "/iscsi1").unwrap();
    let warnings = world.mount(sv2, "/dev/sdb1", "/iscsi1", "ext3").unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(
        warnings[0].code_str(),
        "kvmlab::storage::shared_non_cluster_fs"
    );
    assert_eq!(
        warnings[0].to_string(),
        "ext3 on /dev/sdb1 is mounted read-write on sv1 and sv2 at once, but ext3 is not a cluster file system"
    );
    assert_eq!(world.df(sv2, "/iscsi1").unwrap().row, df.row);
    world
        .host_mut(sv2)
        .append_file("/etc/fstab", "/dev/sdb1 /iscsi1 ext3 _netdev 0 0\n")
        .unwrap();

    // libvirt: a dir pool `iscsi1` on each host, the report's sparse 20 GB guest image
    let w = world
        .define_pool(sv1, PoolSpec::dir("iscsi1", "/iscsi1"))
        .unwrap();
    assert_eq!(w, []);
    let info = world.pool_info(sv1, "iscsi1").unwrap();
    assert_eq!(info.capacity, df.statfs.blocks * 4096);
    assert_eq!(info.available, df.statfs.available * 4096);
    let created = world
        .create_volume(
            sv1,
            "iscsi1",
            VolumeSpec {
                name: "centos-nz2.img".into(),
                capacity: 20 * GIB,
                format: VolumeFormat::Raw,
                allocation: 0,
            },
        )
        .unwrap();
    assert_eq!(created.volume.path, "/iscsi1/centos-nz2.img");
    assert_eq!(created.volume.allocation, 0);
    assert_eq!(created.duration, LabTime::ZERO);
    assert_eq!(world.df(sv1, "/iscsi1").unwrap().row.used, "184M");
    world
        .define_pool(sv2, PoolSpec::dir("iscsi1", "/iscsi1"))
        .unwrap();
    let seen: Vec<String> = world
        .volumes(sv2, "iscsi1")
        .unwrap()
        .into_iter()
        .map(|v| v.path)
        .collect();
    assert_eq!(seen, ["/iscsi1/centos-nz2.img"]);
    assert!(world.pool_shared_with(sv1, "iscsi1", sv2).unwrap());
    assert!(world.pool_shared_with(sv2, "iscsi1", sv1).unwrap());

    // the mount survives a reboot: fstab's _netdev line is mounted by netfs after iscsi
    let boot = world.reboot(sv1).unwrap();
    assert_eq!(boot.duration, BOOT_TIME);
    let lines: Vec<&str> = boot.log.iter().map(String::as_str).collect();
    let at = |prefix: &str| lines.iter().position(|l| l.starts_with(prefix)).unwrap();
    assert!(at("Mounting local filesystems:") < at("Bringing up interface eth1:"));
    assert!(at("Bringing up interface eth1:") < at("Login to [iface: default"));
    assert!(at("Login to [iface: default") < at("Mounting other filesystems:"));
    assert!(at("Mounting other filesystems:") < at("Starting libvirtd daemon:"));
    assert!(lines.contains(&"Mounting other filesystems:                                [  OK  ]"));
    assert_eq!(
        codes(&boot.findings),
        [
            "kvmlab::net::gateway_off_link",
            "kvmlab::storage::shared_non_cluster_fs"
        ]
    );
    assert_eq!(boot.findings[1].severity, Severity::Warning);
    assert_eq!(world.df(sv1, "/iscsi1").unwrap().row, df.row);
    assert!(world.pool(sv1, "iscsi1").unwrap().active());
    assert_eq!(world.volumes(sv1, "iscsi1").unwrap().len(), 1);
    assert!(world.pool_shared_with(sv1, "iscsi1", sv2).unwrap());
}

#[test]
fn without_netdev_the_boot_mounts_before_the_lun_exists() {
    let mut s = sv1_with_iscsi1();
    let sv1 = s.lab.sv1;
    let world = &mut s.lab.world;
    let fstab = world.host(sv1).read_file("/etc/fstab").unwrap().replace(
        "/dev/sdb1 /iscsi1 ext3 _netdev 0 0",
        "/dev/sdb1 /iscsi1 ext3 defaults 0 0",
    );
    world
        .host_mut(sv1)
        .write_file("/etc/fstab", &fstab)
        .unwrap();
    world
        .define_pool(sv1, PoolSpec::dir("iscsi1", "/iscsi1"))
        .unwrap();
    let image = VolumeSpec {
        name: "centos-nz2.img".into(),
        capacity: 20 * GIB,
        format: VolumeFormat::Raw,
        allocation: 0,
    };
    world.create_volume(sv1, "iscsi1", image).unwrap();
    let boot = world.reboot(sv1).unwrap();
    assert!(boot
        .log
        .contains(&"mount: special device /dev/sdb1 does not exist".to_string()));
    assert!(boot.log.contains(
        &"Mounting local filesystems:                                [FAILED]".to_string()
    ));
    let netdev = boot
        .findings
        .iter()
        .find(|f| f.code() == "kvmlab::storage::netdev_missing")
        .unwrap();
    assert_eq!((netdev.line, netdev.severity), (Some(16), Severity::Error));
    assert_eq!(
        netdev.error.to_string(),
        "/etc/fstab line 16: /dev/sdb1 on /iscsi1 is network storage but the entry lacks `_netdev`"
    );
    // the LUN is logged in again, but nothing mounts it: /iscsi1 is the root disk's
    assert_eq!(world.iscsi_sessions(sv1).unwrap().len(), 1);
    assert_eq!(
        world.df(sv1, "/iscsi1").unwrap().row.filesystem,
        "/dev/sda1"
    );
    // the pool came back on the empty directory of the root file system
    assert!(world.pool(sv1, "iscsi1").unwrap().active());
    assert_eq!(world.volumes(sv1, "iscsi1").unwrap(), []);
    assert!(!world.pool_shared_with(sv1, "iscsi1", s.lab.sv2).unwrap());
}

#[test]
fn chkconfig_decides_what_runs_after_a_reboot() {
    let mut s = sv1_with_iscsi1();
    let sv1 = s.lab.sv1;
    let world = &mut s.lab.world;
    world.chkconfig(sv1, "iscsi", false).unwrap();
    world.chkconfig(sv1, "vsftpd", false).unwrap_err();
    let boot = world.reboot(sv1).unwrap();
    assert!(!boot.log.iter().any(|l| l.starts_with("Starting iscsi:")));
    assert!(boot.log.contains(
        &"Mounting other filesystems:                                [FAILED]".to_string()
    ));
    assert!(codes(&boot.findings).contains(&"kvmlab::storage::special_device_missing".to_string()));
    let status = world.service(sv1, "iscsi", ServiceAction::Status).unwrap();
    assert_eq!(status.lines, ["iscsi is stopped"]);
    let iscsid = world.service(sv1, "iscsid", ServiceAction::Status).unwrap();
    assert!(iscsid.lines[0].starts_with("iscsid (pid  "));
    assert!(iscsid.lines[0].ends_with(") is running..."));
    assert_eq!(world.iscsi_sessions(sv1).unwrap(), Vec::<String>::new());
    // mounts not in fstab are gone too
    world.mkdir(sv1, "/scratch").unwrap();
    let started = world.service(sv1, "iscsi", ServiceAction::Start).unwrap();
    assert_eq!(started.lines.len(), 3);
    world.mount(sv1, "/dev/sdb1", "/scratch", "auto").unwrap();
    world.chkconfig(sv1, "iscsi", true).unwrap();
    world.reboot(sv1).unwrap();
    assert_eq!(
        world.df(sv1, "/iscsi1").unwrap().row.filesystem,
        "/dev/sdb1"
    );
    assert_eq!(
        world.df(sv1, "/scratch").unwrap().row.filesystem,
        "/dev/sda1"
    );
    // a node set to manual startup is not logged in at boot
    world.iscsi_set_startup(sv1, IQN, false).unwrap();
    let boot = world.reboot(sv1).unwrap();
    assert!(!boot.log.iter().any(|l| l.starts_with("Login to")));
    let network = world
        .service(sv1, "network", ServiceAction::Status)
        .unwrap();
    assert_eq!(
        network.lines,
        [
            "Configured devices:",
            "br0 eth0 eth1 lo",
            "Currently active devices:",
            "lo eth0 eth1 br0"
        ]
    );
}

#[test]
fn an_unreachable_portal_delays_the_boot() {
    let mut s = sv1_with_iscsi1();
    let sv1 = s.lab.sv1;
    let world = &mut s.lab.world;
    world.disconnect(s.nas, "eth0").unwrap();
    let boot = world.reboot(sv1).unwrap();
    assert_eq!(boot.duration, LabTime(BOOT_TIME.0 + LOGIN_RETRY_TIME.0));
    assert!(boot.log.contains(&"iscsiadm: Could not login to [iface: default, target: iqn.2006-01.com.openfiler:tsn.b5ffc134d692, portal: 10.10.1.10,3260].".to_string()));
    assert!(codes(&boot.findings).contains(&"kvmlab::storage::portal_unreachable".to_string()));
}

#[test]
fn a_host_without_the_initiator_installs_it() {
    let mut s = storage_lab();
    let world = &mut s.lab.world;
    let id = world.add_host("sv3", HostSpec::report_server()).unwrap();
    let mut os = OsSpec::report();
    os.package_groups = vec!["Desktop".into()];
    world.host_mut(id).install_os(&os).unwrap();
    let e = world.iscsi_discover(id, "10.10.1.10").unwrap_err();
    assert_eq!(e.code_str(), "kvmlab::host::command_not_found");
    assert_eq!(e.to_string(), "sv3: bash: iscsiadm: command not found");
    assert_eq!(
        e.help_str().unwrap(),
        "iscsiadm comes with the package iscsi-initiator-utils: `yum install iscsi-initiator-utils`"
    );
    let e = world
        .service(id, "iscsi", ServiceAction::Start)
        .unwrap_err();
    assert_eq!(e.code_str(), "kvmlab::host::unknown_service");
    assert_eq!(
        e.help_str().unwrap(),
        "the iscsi service comes with the package iscsi-initiator-utils: `yum install iscsi-initiator-utils`"
    );
    let e = world
        .host_mut(id)
        .yum_install("iscsi-initiator-util")
        .unwrap_err();
    assert_eq!(e.code_str(), "kvmlab::host::unknown_package");
    assert!(e
        .help_str()
        .unwrap()
        .starts_with("did you mean `iscsi-initiator-utils`?"));
    let e = world
        .mount(id, "10.10.1.10:/raid0/data/vm", "/mnt", "nfs")
        .unwrap_err();
    assert_eq!(e.code_str(), "kvmlab::storage::wrong_fs_type");
    assert_eq!(
        e.help_str().unwrap(),
        "NFS mounts need nfs-utils: `yum install nfs-utils`"
    );
    let yum = world
        .host_mut(id)
        .yum_install("iscsi-initiator-utils")
        .unwrap();
    assert_eq!(
        yum.lines,
        [
            "Installed:",
            "  iscsi-initiator-utils.x86_64 0:6.2.0.872",
            "",
            "Complete!"
        ]
    );
    let name = world
        .host(id)
        .read_file(INITIATOR_NAME_PATH)
        .unwrap()
        .to_string();
    assert!(name.starts_with("InitiatorName=iqn.1994-05.com.redhat:"));
    assert_eq!(
        name.len(),
        "InitiatorName=iqn.1994-05.com.redhat:".len() + 13
    );
    let libvirt = world.host_mut(id).yum_install("libvirt").unwrap();
    assert_eq!(
        libvirt.installed,
        [
            "libvirt-client",
            "qemu-img",
            "rpcbind",
            "nfs-utils",
            "libvirt"
        ]
    );
    assert!(world.host(id).packages().is_enabled("iscsi"));
    assert_eq!(
        world
            .service(id, "iscsi", ServiceAction::Status)
            .unwrap()
            .lines,
        ["iscsi is stopped"]
    );
    // RHEL 6's iscsiadm starts iscsid itself, but sv3 is not cabled to NET2
    let e = world.iscsi_discover(id, "10.10.1.10").unwrap_err();
    assert_eq!(e.code_str(), "kvmlab::storage::portal_unreachable");
    assert!(world.host(id).packages().is_running("iscsid"));
    let e = world
        .service(id, "iscsd", ServiceAction::Status)
        .unwrap_err();
    assert!(e.help_str().unwrap().starts_with("did you mean `iscsid`?"));
    assert_eq!(
        ServiceAction::parse("reload").unwrap_err().code_str(),
        "kvmlab::spec::bad_value"
    );
    let e = world.chkconfig(id, "vsftpd", true).unwrap_err();
    assert_eq!(
        e.help_str().unwrap(),
        "the vsftpd service comes with the package vsftpd: `yum install vsftpd`"
    );
}

#[test]
fn discovery_says_why_the_portal_is_unreachable() {
    let mut s = storage_lab();
    let (sv1, sv2) = (s.lab.sv1, s.lab.sv2);
    let world = &mut s.lab.world;
    let reason = |world: &mut World, portal: &str| match world.iscsi_discover(sv1, portal) {
        Err(Error::PortalUnreachable { errno, .. }) => errno,
        other => panic!("{other:?}"),
    };
    assert_eq!(reason(world, "10.10.1.12"), "Connection refused");
    assert_eq!(reason(world, "10.10.1.10:3261"), "Connection refused");
    assert_eq!(reason(world, "10.10.1.99"), "No route to host");
    assert_eq!(reason(world, "172.16.0.1"), "Connection timed out");
    let e = world.iscsi_discover(sv1, "10.10.1.12").unwrap_err();
    assert_eq!(
        e.to_string(),
        "sv1: iscsiadm: cannot make connection to 10.10.1.12: Connection refused (SendTargets discovery failed)"
    );
    assert_eq!(
        e.help_str().unwrap(),
        "10.10.1.12 is sv2, which is no NAS; the NAS answers at 10.10.1.10"
    );
    world.disconnect(sv1, "eth1").unwrap();
    let e = world.iscsi_discover(sv1, "10.10.1.10").unwrap_err();
    assert!(e.help_str().unwrap().contains("eth1 has no carrier"));
    assert_eq!(
        world.iscsi_discover(sv1, "10.10.1").unwrap_err().code_str(),
        "kvmlab::storage::bad_portal"
    );
    // ping works to and from the NAS
    assert!(world.ping(sv2, "10.10.1.10").reachable);
    assert!(world.ping_from(s.nas, "10.10.1.12").reachable);
    assert!(!world.ping_from(s.nas, "sv2").reachable);
}

#[test]
fn login_errors_follow_iscsiadm() {
    let mut s = storage_lab();
    let (sv1, sv2) = (s.lab.sv1, s.lab.sv2);
    let nas = s.nas;
    let world = &mut s.lab.world;
    assert_eq!(
        code(world.iscsi_login(sv1, IQN)),
        "kvmlab::storage::not_discovered"
    );
    world.iscsi_discover(sv1, "10.10.1.10").unwrap();
    let sv2_name = world.iscsi_initiator_name(sv2).unwrap().to_string();
    world.nas_allow_initiator(nas, IQN, &sv2_name).unwrap();
    assert_eq!(
        code(world.iscsi_login(sv1, IQN)),
        "kvmlab::storage::acl_denied"
    );
    // the initiator presents the name in the file as it is now
    world
        .host_mut(sv1)
        .write_file(INITIATOR_NAME_PATH, &format!("InitiatorName={sv2_name}\n"))
        .unwrap();
    world
        .nas_set_chap(nas, IQN, Some(Chap::new("sv", "twelve-chars").unwrap()))
        .unwrap();
    assert_eq!(
        code(world.iscsi_login(sv1, IQN)),
        "kvmlab::storage::chap_failed"
    );
    world
        .iscsi_set_chap(sv1, IQN, Some(Chap::new("sv", "twelve-chars").unwrap()))
        .unwrap();
    assert_eq!(world.iscsi_login(sv1, IQN).unwrap().devices, ["/dev/sdb"]);
    assert_eq!(
        code(world.iscsi_login(sv1, IQN)),
        "kvmlab::storage::already_logged_in"
    );
    assert_eq!(
        world.iscsi_sessions(sv1).unwrap(),
        ["tcp: [1] 10.10.1.10:3260,1 iqn.2006-01.com.openfiler:tsn.b5ffc134d692 (non-flash)"]
    );
    let out = world.iscsi_logout(sv1, IQN).unwrap();
    assert!(out[1].starts_with("Logout of [sid: 1, target: iqn.2006-01"));
    assert_eq!(world.disks(sv1).unwrap().len(), 1);
    assert_eq!(
        code(world.iscsi_logout(sv1, IQN)),
        "kvmlab::storage::not_logged_in"
    );
    world
        .host_mut(sv1)
        .write_file(INITIATOR_NAME_PATH, "# nothing\n")
        .unwrap();
    assert_eq!(
        code(world.iscsi_login(sv1, IQN)),
        "kvmlab::storage::bad_iqn"
    );
}

#[test]
fn a_second_lun_takes_the_next_free_name() {
    let mut s = storage_lab();
    let sv1 = s.lab.sv1;
    let world = &mut s.lab.world;
    let mut small = NasSpec::report();
    small.data_percent = 90;
    let other = world.add_nas("nas2", small).unwrap();
    let net2 = world.switch_id("net2").unwrap();
    world.connect(other, "eth1", net2).unwrap();
    world
        .set_nas_address(other, "eth1", Ipv4Cidr::parse("10.10.1.20/16").unwrap())
        .unwrap();
    let thecus = "iqn.2012-01.com.thecus:vm";
    assert_eq!(
        world.nas_create_target(other, thecus, 10 * GIB).unwrap(),
        []
    );
    assert_eq!(world.nas_add_lun(other, thecus, 20 * GIB).unwrap(), 1);
    world.iscsi_discover(sv1, "10.10.1.20").unwrap();
    world.iscsi_discover(sv1, "10.10.1.10").unwrap();
    assert_eq!(
        world.iscsi_login(sv1, thecus).unwrap().devices,
        ["/dev/sdb", "/dev/sdc"]
    );
    assert_eq!(world.iscsi_login(sv1, IQN).unwrap().devices, ["/dev/sdd"]);
    world.iscsi_logout(sv1, thecus).unwrap();
    let names: Vec<String> = world
        .disks(sv1)
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(names, ["sda", "sdd"]);
    world.iscsi_login(sv1, thecus).unwrap();
    let sizes: Vec<(String, u64)> = world
        .disks(sv1)
        .unwrap()
        .into_iter()
        .map(|d| (d.name, d.size))
        .collect();
    assert_eq!(
        sizes[..3],
        [
            ("sda".to_string(), 1_000_000_000_000),
            ("sdb".to_string(), 10 * GIB),
            ("sdc".to_string(), 20 * GIB)
        ]
    );
}

#[test]
fn block_device_and_mount_errors() {
    let mut s = sv1_with_iscsi1();
    let sv1 = s.lab.sv1;
    let world = &mut s.lab.world;
    let e = world.parted_print(sv1, "/dev/sdc").unwrap_err();
    assert_eq!(e.code_str(), "kvmlab::storage::no_such_block_device");
    assert_eq!(
        e.to_string(),
        "sv1: Error: Could not stat device /dev/sdc - No such file or directory."
    );
    // The did-you-mean never offers the system disk.
    assert!(e.help_str().unwrap().starts_with(
        "did you mean `/dev/sdb`? this host's disks: /dev/sda (its system disk), /dev/sdb (LUN 0 of"
    ));
    let e = world.parted_print(sv1, "/dev/sdb1").unwrap_err();
    assert!(e
        .help_str()
        .unwrap()
        .starts_with("/dev/sdb1 is a partition: parted works on the whole disk"));
    assert_eq!(
        code(world.parted_mklabel(sv1, "/dev/sdb", "gpt")),
        "kvmlab::storage::partitions_in_use"
    );
    // The help keeps the mounted disk as it is: unmounting and relabelling would wipe it.
    let help = world
        .parted_mklabel(sv1, "/dev/sdb", "gpt")
        .unwrap_err()
        .help_str()
        .unwrap();
    assert!(
        help.starts_with("/dev/sdb already holds the file system mounted on /iscsi1: a new table or a removed partition would destroy it and its files, so leave this disk as it is; to partition a new disk, check which one is new with `disks()`"),
        "{help}"
    );
    assert_eq!(
        code(world.parted_rm(sv1, "/dev/sdb", 1)),
        "kvmlab::storage::partitions_in_use"
    );
    let e = world.mkfs(sv1, "ext3", "/dev/sdb1").unwrap_err();
    assert_eq!(e.code_str(), "kvmlab::storage::device_mounted");
    assert_eq!(
        e.to_string(),
        "sv1: /dev/sdb1 is mounted; will not make a filesystem here!"
    );
    assert_eq!(
        code(world.mkfs(sv1, "ext3", "/dev/sdb")),
        "kvmlab::storage::entire_device"
    );
    assert_eq!(
        code(world.mkfs(sv1, "xfs", "/dev/sdb1")),
        "kvmlab::storage::fs_type"
    );
    assert_eq!(
        code(world.mkfs(sv1, "ext3", "/dev/sdb2")),
        "kvmlab::storage::no_such_block_device"
    );
    assert_eq!(
        code(world.iscsi_logout(sv1, IQN)),
        "kvmlab::storage::session_in_use"
    );
    let e = world
        .mount(sv1, "/dev/sdb1", "/iscsi1", "ext3")
        .unwrap_err();
    assert_eq!(e.code_str(), "kvmlab::storage::already_mounted");
    assert_eq!(
        e.to_string(),
        "sv1: mount: /dev/sdb1 already mounted or /iscsi1 busy"
    );
    let e = world
        .mount(sv1, "/dev/sdc1", "/iscsi1", "ext3")
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "sv1: mount: special device /dev/sdc1 does not exist"
    );
    let e = world
        .mount(sv1, "/dev/sdb1", "/iscsi2", "ext3")
        .unwrap_err();
    assert_eq!(e.code_str(), "kvmlab::storage::mount_point_missing");
    assert_eq!(
        e.help_str().unwrap(),
        "create the directory first: `mkdir /iscsi2`"
    );
    world.mkdir(sv1, "/iscsi2").unwrap();
    // the local /guest is ext4: the ext3 driver cannot mount it, the ext4 one can
    let e = world
        .mount(sv1, "/dev/sda3", "/iscsi2", "ext3")
        .unwrap_err();
    assert_eq!(e.code_str(), "kvmlab::storage::wrong_fs_type");
    assert!(e
        .to_string()
        .ends_with("(it holds ext4, which the ext3 driver cannot mount)"));
    assert_eq!(
        world.mount(sv1, "/dev/sdb1", "/iscsi2", "ext4").unwrap(),
        []
    );
    assert_eq!(
        world
            .mount(sv1, "UUID=nope", "/iscsi2", "ext3")
            .unwrap_err()
            .code_str(),
        "kvmlab::storage::special_device_missing"
    );
    world.umount(sv1, "/iscsi2").unwrap();
    assert_eq!(
        code(world.umount(sv1, "/iscsi2")),
        "kvmlab::storage::not_mounted"
    );
    // a partition without a file system
    world
        .parted_mkpart(sv1, "/dev/sdb", "scratch", "", "95GB", "96GB")
        .unwrap();
    let e = world
        .mount(sv1, "/dev/sdb2", "/iscsi2", "auto")
        .unwrap_err();
    assert!(e.to_string().ends_with("(it holds no file system)"));
    world.mkfs(sv1, "ext2", "/dev/sdb2").unwrap();
    world.mkdir(sv1, "/iscsi1/inner").unwrap();
    world
        .mount(sv1, "/dev/sdb2", "/iscsi1/inner", "ext2")
        .unwrap();
    let e = world.umount(sv1, "/iscsi1").unwrap_err();
    assert_eq!(e.code_str(), "kvmlab::storage::target_busy");
    assert_eq!(
        e.help_str().unwrap(),
        "/iscsi1/inner is mounted inside /iscsi1: unmount it first"
    );
    world.umount(sv1, "/dev/sdb2").unwrap();
    world.umount(sv1, "/iscsi1").unwrap();
    assert_eq!(
        world.df(sv1, "/iscsi1").unwrap().row.filesystem,
        "/dev/sda1"
    );
    assert_eq!(
        code(world.df(sv1, "/nowhere")),
        "kvmlab::host::no_such_file"
    );
    assert_eq!(
        code(world.df(sv1, "/dev/sdb1")),
        "kvmlab::storage::not_mounted"
    );
    // stable names find the file system whatever the host calls the disk
    let uuid = world.disks(sv1).unwrap()[1].partitions[0]
        .uuid
        .clone()
        .unwrap();
    world
        .mount(sv1, &format!("UUID={uuid}"), "/iscsi1", "ext3")
        .unwrap();
    assert_eq!(
        world.df(sv1, "/iscsi1").unwrap().row.filesystem,
        "/dev/sdb1"
    );
    let by_path = "/dev/disk/by-path/ip-10.10.1.10:3260-iscsi-iqn.2006-01.com.openfiler:tsn.b5ffc134d692-lun-0-part1";
    world.mount(sv1, by_path, "/iscsi2", "ext3").unwrap();
    assert_eq!(
        world.df(sv1, "/iscsi2").unwrap().row.filesystem,
        "/dev/sdb1"
    );
}

#[test]
fn mkfs_time_grows_with_size_and_follows_the_slower_side() {
    let mut s = storage_lab();
    let sv1 = s.lab.sv1;
    let world = &mut s.lab.world;
    world.iscsi_discover(sv1, "10.10.1.10").unwrap();
    world.iscsi_login(sv1, IQN).unwrap();
    world.parted_mklabel(sv1, "/dev/sdb", "gpt").unwrap();
    world
        .parted_mkpart(sv1, "/dev/sdb", "small", "ext3", "1MiB", "10GiB")
        .unwrap();
    world
        .parted_mkpart(sv1, "/dev/sdb", "large", "ext3", "10GiB", "1TiB")
        .unwrap();
    let small = world.mkfs(sv1, "ext3", "/dev/sdb1").unwrap();
    let large = world.mkfs(sv1, "ext3", "/dev/sdb2").unwrap();
    assert!(large.duration.0 > 30 * small.duration.0);
    // ext4 leaves its inode tables to the kernel: far quicker on the same partition
    world
        .parted_mkpart(sv1, "/dev/sdb", "ext4", "ext4", "1TiB", "2TiB")
        .unwrap();
    let ext4 = world.mkfs(sv1, "ext4", "/dev/sdb3").unwrap();
    assert!(ext4.duration.0 * 10 < large.duration.0);
    // a faster RAID behind a gigabit link: the link's TCP payload is the limit
    let mut fast = NasSpec::report();
    fast.write_rate = 1e9;
    let nas = world.add_nas("fast", fast).unwrap();
    let net2 = world.switch_id("net2").unwrap();
    world.connect(nas, "eth0", net2).unwrap();
    world
        .set_nas_address(nas, "eth0", Ipv4Cidr::parse("10.10.2.10/16").unwrap())
        .unwrap();
    world
        .nas_create_target(nas, "iqn.2012-01.com.thecus:fast", 20 * GIB)
        .unwrap();
    world.iscsi_discover(sv1, "10.10.2.10").unwrap_err();
    // sv1's eth1 is a /24: 10.10.2.10 is off its network, so it needs the NAS on its subnet
    world
        .set_nas_address(nas, "eth0", Ipv4Cidr::parse("10.10.1.30/16").unwrap())
        .unwrap();
    world.iscsi_discover(sv1, "10.10.1.30").unwrap();
    world
        .iscsi_login(sv1, "iqn.2012-01.com.thecus:fast")
        .unwrap();
    world.parted_mklabel(sv1, "/dev/sdc", "msdos").unwrap();
    world
        .parted_mkpart(sv1, "/dev/sdc", "primary", "ext3", "0%", "100%")
        .unwrap();
    let linked = world.mkfs(sv1, "ext3", "/dev/sdc1").unwrap();
    assert_eq!(linked.write_rate, 125e6 * crate::world::net::TCP_GOODPUT);
}

#[test]
fn mount_all_reports_fstab_problems() {
    let mut s = sv1_with_iscsi1();
    let sv1 = s.lab.sv1;
    let world = &mut s.lab.world;
    world.umount(sv1, "/iscsi1").unwrap();
    let findings = world
        .host_mut(sv1)
        .append_file("/etc/fstab", "/dev/sdc1 /data ext3\nbroken\n")
        .unwrap();
    assert_eq!(codes(&findings), ["kvmlab::storage::fstab_syntax"]);
    let findings = world.mount_all(sv1).unwrap();
    let lines: Vec<(Option<usize>, String)> = findings.iter().map(|f| (f.line, f.code())).collect();
    assert_eq!(
        lines,
        [
            (Some(18), "kvmlab::storage::fstab_syntax".to_string()),
            (Some(17), "kvmlab::storage::mount_point_missing".to_string())
        ]
    );
    assert_eq!(
        world.df(sv1, "/iscsi1").unwrap().row.filesystem,
        "/dev/sdb1"
    );
}

#[test]
fn pools_of_every_kind_and_their_errors() {
    let mut s = sv1_with_iscsi1();
    let (sv1, sv2) = (s.lab.sv1, s.lab.sv2);
    let nas = s.nas;
    let world = &mut s.lab.world;
    world
        .define_pool(sv1, PoolSpec::dir("iscsi1", "/iscsi1"))
        .unwrap();
    let dir = "iscsi1";
    assert_eq!(
        code(world.define_pool(sv1, PoolSpec::dir("iscsi1", "/iscsi1"))),
        "kvmlab::storage::duplicate_pool"
    );
    assert_eq!(
        code(world.define_pool(sv1, PoolSpec::dir("nope", "/nope"))),
        "kvmlab::storage::pool_target_missing"
    );
    let e = world.pool(sv1, "nope").unwrap_err();
    assert_eq!(e.code_str(), "kvmlab::storage::unknown_pool");
    assert_eq!(e.help_str().unwrap(), "this host's pools: iscsi1");
    assert!(world
        .pool(sv1, "iscs1")
        .unwrap_err()
        .help_str()
        .unwrap()
        .starts_with("did you mean `iscsi1`?"));
    let raw = |name: &str, capacity: u64, allocation: u64| VolumeSpec {
        name: name.into(),
        capacity,
        format: VolumeFormat::Raw,
        allocation,
    };
    world.create_volume(sv1, dir, raw("a.img", GIB, 0)).unwrap();
    assert_eq!(
        code(world.create_volume(sv1, dir, raw("a.img", GIB, 0))),
        "kvmlab::storage::duplicate_volume"
    );
    assert_eq!(
        code(world.create_volume(sv1, dir, raw("a/b.img", GIB, 0))),
        "kvmlab::spec::bad_value"
    );
    let e = world
        .create_volume(sv1, dir, raw("huge.img", 100 * GIB, 100 * GIB))
        .unwrap_err();
    assert_eq!(e.code_str(), "kvmlab::storage::no_space");
    // a non-sparse raw image on ext3 over iSCSI writes every block: 20 GiB at 100 MB/s
    let before = world.pool_info(sv1, dir).unwrap();
    let full = world
        .create_volume(sv1, dir, raw("full.img", 20 * GIB, 20 * GIB))
        .unwrap();
    assert_eq!(
        full.duration,
        LabTime::from_secs_f64(20.0 * GIB as f64 / 100e6)
    );
    let after = world.pool_info(sv1, dir).unwrap();
    assert_eq!(after.allocation - before.allocation, 20 * GIB);
    assert_eq!(before.available - after.available, 20 * GIB);
    let qcow = world
        .create_volume(
            sv1,
            dir,
            VolumeSpec {
                name: "q.qcow2".into(),
                capacity: 20 * GIB,
                format: VolumeFormat::Qcow2,
                allocation: 0,
            },
        )
        .unwrap();
    assert_eq!(qcow.volume.allocation, 256 << 10);

    // an fs pool: libvirt mounts the device itself; sv2 sees it shared only once mounted
    world.mkdir(sv2, "/vm").unwrap();
    world.iscsi_discover(sv2, "10.10.1.10").unwrap();
    let spec = PoolSpec {
        kind: PoolKind::Fs,
        source_device: Some("/dev/sdb1".into()),
        ..PoolSpec::dir("vm", "/vm")
    };
    let missing = PoolSpec {
        source_device: None,
        ..spec.clone()
    };
    assert_eq!(
        code(world.define_pool(sv2, missing)),
        "kvmlab::spec::missing_key"
    );
    assert_eq!(
        code(world.define_pool(sv2, spec.clone())),
        "kvmlab::storage::special_device_missing"
    );
    world.iscsi_login(sv2, IQN).unwrap();
    let warnings = world.define_pool(sv2, spec).unwrap();
    assert_eq!(
        warnings[0].code_str(),
        "kvmlab::storage::shared_non_cluster_fs"
    );
    assert_eq!(world.volumes(sv2, "vm").unwrap().len(), 3);
    // /vm on sv2 is not /iscsi1 on sv1: same bytes, another path
    assert!(!world.pool_shared_with(sv2, "vm", sv1).unwrap());
    assert!(!world.pool_shared_with(sv1, dir, sv2).unwrap());

    // an iscsi pool: the LUNs are the volumes, shared when both hosts are logged in
    let iscsi = PoolSpec {
        kind: PoolKind::Iscsi,
        target: "/dev/disk/by-path".into(),
        source_host: Some("10.10.1.10".into()),
        source_target: Some(IQN.into()),
        ..PoolSpec::dir("lun", "/dev/disk/by-path")
    };
    world.define_pool(sv1, iscsi).unwrap();
    let volumes = world.volumes(sv1, "lun").unwrap();
    assert_eq!(volumes[0].name, "unit:0:0:0");
    assert_eq!(world.pool_info(sv1, "lun").unwrap().capacity, LUN_SIZE);
    assert_eq!(world.pool_info(sv1, "lun").unwrap().available, 0);
    assert!(world.pool_shared_with(sv1, "lun", sv2).unwrap());
    assert_eq!(
        code(world.create_volume(sv1, "lun", raw("x", GIB, 0))),
        "kvmlab::storage::pool_cannot_create_volumes"
    );

    // a netfs pool on an NFS share of the NAS's data space
    let export = world.nas_create_share(nas, "vm").unwrap();
    world.mkdir(sv1, "/nfs").unwrap();
    let netfs = |path: &str| PoolSpec {
        kind: PoolKind::Netfs,
        source_host: Some("10.10.1.10".into()),
        source_path: Some(path.into()),
        ..PoolSpec::dir("nfs", "/nfs")
    };
    let e = world
        .define_pool(sv1, netfs("/raid0/data/other"))
        .unwrap_err();
    assert_eq!(e.code_str(), "kvmlab::storage::nfs_mount_failed");
    assert_eq!(
        e.to_string(),
        "sv1: mount.nfs: access denied by server while mounting 10.10.1.10:/raid0/data/other"
    );
    assert_eq!(e.help_str().unwrap(), "nas exports /raid0/data/vm");
    world.define_pool(sv1, netfs(&export)).unwrap();
    world.mkdir(sv2, "/nfs").unwrap();
    let warnings = world.define_pool(sv2, netfs(&export)).unwrap();
    assert_eq!(warnings, []);
    world
        .create_volume(sv1, "nfs", raw("guest.img", GIB, 0))
        .unwrap();
    assert_eq!(world.volumes(sv2, "nfs").unwrap()[0].path, "/nfs/guest.img");
    assert!(world.pool_shared_with(sv1, "nfs", sv2).unwrap());
    assert_eq!(
        world.df(sv2, "/nfs").unwrap().row.filesystem,
        "10.10.1.10:/raid0/data/vm"
    );

    // libvirtd chkconfig'd off: after a reboot the pools stay down
    world.chkconfig(sv1, "libvirtd", false).unwrap();
    world.reboot(sv1).unwrap();
    assert!(!world.pool(sv1, dir).unwrap().active());
    assert_eq!(world.pool_info(sv1, dir).unwrap().capacity, 0);
    assert_eq!(
        code(world.create_volume(sv1, dir, raw("b.img", GIB, 0))),
        "kvmlab::storage::pool_inactive"
    );
    assert_eq!(
        code(world.volumes(sv1, dir)),
        "kvmlab::storage::pool_inactive"
    );
    assert!(!world.pool_shared_with(sv1, dir, sv2).unwrap());
    assert_eq!(
        code(world.define_pool(sv1, PoolSpec::dir("x", "/iscsi1"))),
        "kvmlab::host::service_not_running"
    );
    world
        .service(sv1, "libvirtd", ServiceAction::Start)
        .unwrap();
    assert!(world.pool(sv1, dir).unwrap().active());
    assert!(world.pool(sv1, "nfs").unwrap().active());
    assert_eq!(
        PoolKind::parse("logical").unwrap_err().code_str(),
        "kvmlab::spec::bad_value"
    );
    // a reinstall wipes libvirt's pools with the rest of the system
    world.host_mut(sv1).install_os(&OsSpec::report()).unwrap();
    assert_eq!(code(world.pool(sv1, dir)), "kvmlab::storage::unknown_pool");
    assert_eq!(world.iscsi_sessions(sv1).unwrap(), Vec::<String>::new());
    assert_eq!(world.disks(sv1).unwrap().len(), 1);
}

#[test]
fn stopping_services_undoes_what_they_started() {
    let mut s = sv1_with_iscsi1();
    let sv1 = s.lab.sv1;
    let world = &mut s.lab.world;
    assert_eq!(
        code(world.service(sv1, "iscsi", ServiceAction::Stop)),
        "kvmlab::storage::session_in_use"
    );
    let netfs = world.service(sv1, "netfs", ServiceAction::Stop).unwrap();
    assert_eq!(
        netfs.lines,
        ["Unmounting network block filesystems:                      [  OK  ]"]
    );
    assert_eq!(
        world.df(sv1, "/iscsi1").unwrap().row.filesystem,
        "/dev/sda1"
    );
    let iscsi = world.service(sv1, "iscsi", ServiceAction::Stop).unwrap();
    assert_eq!(iscsi.lines.len(), 3);
    assert!(iscsi.lines[1].starts_with("Logout of [sid: 1"));
    assert_eq!(world.disks(sv1).unwrap().len(), 1);
    let restarted = world.service(sv1, "iscsi", ServiceAction::Restart).unwrap();
    assert_eq!(
        restarted.lines.last().unwrap(),
        "Starting iscsi:                                            [  OK  ]"
    );
    assert_eq!(world.disks(sv1).unwrap().len(), 2);
    world.service(sv1, "netfs", ServiceAction::Start).unwrap();
    assert_eq!(
        world.df(sv1, "/iscsi1").unwrap().row.filesystem,
        "/dev/sdb1"
    );
    let network = world.service(sv1, "network", ServiceAction::Stop).unwrap();
    assert_eq!(
        network.lines.last().unwrap(),
        "Shutting down loopback interface:                          [  OK  ]"
    );
    assert!(!world.ping(sv1, "10.10.1.10").reachable);
    let up = world.service(sv1, "network", ServiceAction::Start).unwrap();
    assert_eq!(codes(&up.findings), ["kvmlab::net::gateway_off_link"]);
    assert!(world.ping(sv1, "10.10.1.10").reachable);
    let sshd = world.service(sv1, "sshd", ServiceAction::Restart).unwrap();
    assert_eq!(
        sshd.lines,
        [
            "Stopping sshd:                                             [  OK  ]",
            "Starting sshd:                                             [  OK  ]"
        ]
    );
    assert_eq!(
        world.host(sv1).chkconfig_list()[..3],
        [("iscsid", true), ("network", true), ("iscsi", true)]
    );
}
