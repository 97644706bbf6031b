//! Mistakes that destroy data or break the next boot while the real system says nothing:
//! each proceeds as it would on the real machine, is warned at the line that did it, and
//! leaves the damage for later calls to see.

use crate::harness::{Output, Test};

/// The report's storage on both hosts (kvmlab/storage), two images in sv1's pool and the
/// guest web1 running from one of them. 11 lines.
const RUNNING: &str = "import \"kvmlab/hosts\" as hosts;
import \"kvmlab/storage\" as storage;
let lab = hosts::build();
let st = storage::build(lab);
let sv1 = lab.sv1;
let sv2 = lab.sv2;
sv1.store_file(\"/guest/iso/c.iso\", size(\"3.9G\"));
let vol = st.pools.sv1.create_volume(#{name: \"web1.img\", capacity: \"20G\", allocation: 0});
st.pools.sv1.create_volume(#{name: \"spare.img\", capacity: \"20G\", allocation: 0});
let g = sv1.define_guest(#{name: \"web1\", memory: \"512M\", iso: \"/guest/iso/c.iso\", disk: vol, network: #{bridge: \"br0\", address: \"192.168.1.20/24\"}});
g.install();
";

/// The line of `rest`'s line `n` after [`RUNNING`].
fn line(n: usize) -> usize {
    RUNNING.lines().count() + n
}

/// The message and help of the run's first diagnostic with `code`, from the JSON report
/// (the console wraps long lines).
fn said(out: &Output, code: &str) -> (String, String) {
    let d = out.report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {}", out.report["diagnostics"]));
    (
        d["message"].as_str().unwrap().to_string(),
        d["help"].as_str().unwrap_or_default().to_string(),
    )
}

/// Asserts that the diagnostic `code` says `message` (exactly) and that its help holds every
/// one of `help`.
fn says(out: &Output, code: &str, message: &str, help: &[&str]) {
    let (said_message, said_help) = said(out, code);
    assert_eq!(said_message, message);
    for part in help {
        assert!(
            said_help.contains(part),
            "{code} help lacks {part:?}: {said_help}"
        );
    }
}

#[test]
fn mkfs_on_the_other_host_destroys_the_mounted_file_system() {
    let script = format!(
        "{RUNNING}sv2.umount(\"/iscsi1\");\n\
         sv2.mkfs(\"ext3\", \"/dev/sdb1\");\n\
         record(\"volumes\", st.pools.sv1.volumes().len());\n\
         record(\"used\", sv1.df(\"/iscsi1\")[0].used);\n\
         expect_error(|| sv1.df(\"/iscsi1/web1.img\"), \"kvmlab::storage::mounted_fs_lost\");\n\
         record(\"disk_error\", g.disk_error);\n\
         record(\"guest\", g.to_string());\n\
         expect_error(|| g.serve_file(\"/var/ftp/a.iso\", \"1G\"), \"kvmlab::guest::disk_io_error\");\n\
         expect_error(|| g.migrate(sv2), \"kvmlab::guest::disk_io_error\");\n\
         st.pools.sv1.create_volume(#{{name: \"new.img\", capacity: \"1G\", allocation: 0}});\n"
    );
    let out = Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::mounted_fs_destroyed", line(2))
        .diagnostic("kvmlab::storage::mounted_fs_lost", line(10))
        .run();
    says(
        &out,
        "kvmlab::storage::mounted_fs_destroyed",
        "sv1 has /dev/sdb1 mounted on /iscsi1 with 2 guest images (web1 runs from one); `mkfs.ext3 /dev/sdb1` on sv2 wrote a new file system over it",
        &[
            "next time make a shared LUN's partitions and file system once, from one host, before any other host mounts it",
            "on sv1 `umount /iscsi1`, mount the device again, and recreate the pool's volumes",
        ],
    );
    says(
        &out,
        "kvmlab::storage::mounted_fs_lost",
        "sv1: /iscsi1 (/dev/sdb1) no longer holds the file system mounted there: `mkfs.ext3 /dev/sdb1` on sv2 wrote a new file system over it",
        &["on sv1, `umount /iscsi1` and mount the device again"],
    );
    let values = &out.report["values"];
    // the pool lists the new, empty file system; df shows its 184M of metadata only
    assert_eq!(values["volumes"], 0);
    assert_eq!(values["used"], "184M");
    assert_eq!(
        values["disk_error"],
        "web1 on sv1 gets I/O errors from its disk /iscsi1/web1.img: `mkfs.ext3 /dev/sdb1` on sv2 wrote a new file system over it (/iscsi1 on sv1)"
    );
    assert!(
        values["guest"]
            .as_str()
            .unwrap()
            .contains("running (disk I/O errors) on sv1"),
        "{}",
        values["guest"]
    );
    let help = out.report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| {
            d["code"]
                .as_str()
                .unwrap()
                .starts_with("kvmlab::storage::mounted_fs")
        })
        .map(|d| d.to_string())
        .collect::<String>();
    assert!(!help.contains("fsck"), "{help}");
}

/// The help, applied (unmount on sv1, mount again, recreate the volume and the guest), gives
/// a working lab.
#[test]
fn remounting_and_recreating_after_the_overwrite_works() {
    let script = format!(
        "{RUNNING}sv2.umount(\"/iscsi1\");\n\
         sv2.mkfs(\"ext3\", \"/dev/sdb1\");\n\
         g.destroy();\n\
         sv1.umount(\"/iscsi1\");\n\
         sv1.mount(\"/dev/sdb1\", \"/iscsi1\", \"ext3\");\n\
         let again = st.pools.sv1.create_volume(#{{name: \"web2.img\", capacity: \"20G\", allocation: 0}});\n\
         let g2 = sv1.define_guest(#{{name: \"web2\", memory: \"512M\", iso: \"/guest/iso/c.iso\", disk: again, network: #{{bridge: \"br0\", address: \"192.168.1.21/24\"}}}});\n\
         g2.install();\n\
         g2.serve_file(\"/var/ftp/a.iso\", \"1G\");\n\
         record(\"state\", g2.state);\nrecord(\"error\", g2.disk_error);\n\
         record(\"volumes\", st.pools.sv1.volumes().len());\n"
    );
    let out = Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::storage::mounted_fs_destroyed", line(2))
        .run();
    let values = &out.report["values"];
    assert_eq!(values["state"], "running");
    assert_eq!(values["error"], "");
    assert_eq!(values["volumes"], 1);
}

#[test]
fn a_new_label_from_the_other_host_destroys_the_mounted_file_system() {
    let script = format!(
        "{RUNNING}sv2.umount(\"/iscsi1\");\n\
         sv2.disk(\"/dev/sdb\").mklabel(\"gpt\");\n\
         sv1.df(\"/iscsi1\");\n"
    );
    let out = Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::label_replaced_partitions", line(2))
        .diagnostic("kvmlab::storage::mounted_fs_destroyed", line(2))
        .diagnostic("kvmlab::storage::mounted_fs_lost", line(3))
        .run();
    says(
        &out,
        "kvmlab::storage::label_replaced_partitions",
        "sv2: mklabel gpt on /dev/sdb replaced a partition table holding /dev/sdb1 (ext3, 2 guest images)",
        &["label a disk once, when it is new"],
    );
    says(
        &out,
        "kvmlab::storage::mounted_fs_destroyed",
        "sv1 has /dev/sdb1 mounted on /iscsi1 with 2 guest images (web1 runs from one); `parted /dev/sdb mklabel gpt` on sv2 wrote a new partition table over it",
        &[],
    );
}

#[test]
fn removing_the_partition_from_the_other_host_destroys_the_mount() {
    let script = format!(
        "{RUNNING}sv2.umount(\"/iscsi1\");\n\
         sv2.disk(\"/dev/sdb\").rm(1);\n\
         record(\"error\", g.disk_error != \"\");\n\
         sv1.df(\"/iscsi1\");\n"
    );
    let out = Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::mounted_fs_destroyed", line(2))
        .diagnostic("kvmlab::storage::mounted_fs_lost", line(4))
        .run();
    says(
        &out,
        "kvmlab::storage::mounted_fs_destroyed",
        "sv1 has /dev/sdb1 mounted on /iscsi1 with 2 guest images (web1 runs from one); `parted /dev/sdb rm 1` on sv2 removed its partition",
        &[],
    );
    assert_eq!(out.report["values"]["error"], true);
}

/// sv1 alone, the LUN labelled, partitioned and formatted but not mounted.
const FORMATTED: &str = "import \"kvmlab/hosts\" as hosts;
import \"kvmlab/storage\" as storage;
let lab = hosts::build();
let sv1 = lab.sv1;
let n = nas(\"iscsi1\", #{model: \"Thecus N7700PRO\", disks: 7, disk_size: \"1TB\", raid: 6});
n.nic(\"eth0\").connect(lab.net2);
n.ip(\"eth0\", \"10.10.1.10/16\");
n.iscsi_target(\"iqn.2006-01.com.thecus:lun1\", \"50%\");
let dev = storage::log_in(sv1, \"iqn.2006-01.com.thecus:lun1\");
let disk = sv1.disk(dev);
disk.mklabel(\"gpt\");
disk.mkpart(\"primary\", \"ext3\", \"0%\", \"95GB\");
sv1.mkfs(\"ext3\", dev + \"1\");
";

#[test]
fn a_second_mklabel_loses_the_partitions() {
    let first = FORMATTED.lines().count();
    let script = format!(
        "{FORMATTED}disk.mklabel(\"gpt\");\n\
         record(\"print\", disk.parted_print());\n\
         sv1.mkdir(\"/iscsi1\");\n\
         sv1.mount(dev + \"1\", \"/iscsi1\", \"ext3\");\n"
    );
    let out = Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::label_replaced_partitions", first + 1)
        .diagnostic("kvmlab::storage::special_device_missing", first + 4)
        .run();
    says(
        &out,
        "kvmlab::storage::label_replaced_partitions",
        "sv1: mklabel gpt on /dev/sdb replaced a partition table holding /dev/sdb1 (ext3, empty)",
        &["parted asks"],
    );
    let print = out.report["values"]["print"].as_str().unwrap();
    assert!(!print.contains(" 1 "), "{print}");
    // the first label, on a disk without partitions, loses nothing and says nothing
    let labels = out.report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "kvmlab::storage::label_replaced_partitions")
        .count();
    assert_eq!(labels, 1);
}

#[test]
fn mkfs_over_a_file_system_with_images_is_warned() {
    let first = FORMATTED.lines().count();
    let script = format!(
        "{FORMATTED}sv1.mkdir(\"/iscsi1\");\n\
         sv1.mount(dev + \"1\", \"/iscsi1\", \"ext3\");\n\
         let pool = sv1.define_pool(#{{name: \"iscsi1\", type: \"dir\", target: \"/iscsi1\"}});\n\
         pool.create_volume(#{{name: \"a.img\", capacity: \"20G\", allocation: 0}});\n\
         sv1.umount(\"/iscsi1\");\n\
         sv1.mkfs(\"ext3\", dev + \"1\");\n\
         sv1.mount(dev + \"1\", \"/iscsi1\", \"ext3\");\n\
         record(\"volumes\", pool.volumes().len());\n"
    );
    let out = Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::storage::mkfs_replaced_files", first + 6)
        .run();
    says(
        &out,
        "kvmlab::storage::mkfs_replaced_files",
        "sv1: mkfs.ext3 on /dev/sdb1 replaced the ext3 file system holding 1 guest image",
        &["mke2fs does not ask"],
    );
    assert_eq!(out.report["values"]["volumes"], 0);
    // the same host's mounted file system is refused, as mke2fs does
    let script = format!(
        "{FORMATTED}sv1.mkdir(\"/iscsi1\");\n\
         sv1.mount(dev + \"1\", \"/iscsi1\", \"ext3\");\n\
         sv1.mkfs(\"ext3\", dev + \"1\");\n"
    );
    Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::device_mounted", first + 3)
        .stderr("sv1: /dev/sdb1 is mounted; will not make a filesystem here!")
        .run();
}

#[test]
fn a_second_mkfs_of_the_mounted_file_system_says_it_is_made_not_how_to_wipe_it() {
    // The trainee ran the report's mkfs twice: the help must not walk them into unmounting
    // and formatting a file system that holds their files.
    let first = FORMATTED.lines().count();
    let script = format!(
        "{FORMATTED}sv1.mkdir(\"/iscsi1\");\n\
         sv1.mount(dev + \"1\", \"/iscsi1\", \"ext3\");\n\
         let pool = sv1.define_pool(#{{name: \"iscsi1\", type: \"dir\", target: \"/iscsi1\"}});\n\
         pool.create_volume(#{{name: \"a.img\", capacity: \"1G\", allocation: 0}});\n\
         sv1.mkfs(\"ext3\", dev + \"1\");\n"
    );
    let out = Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::device_mounted", first + 5)
        .run();
    let (_, help) = said(&out, "kvmlab::storage::device_mounted");
    assert_eq!(
        help,
        "/dev/sdb1 already holds an ext3 file system, mounted on /iscsi1 with 1 file: it is \
         made and in use, so skip this mkfs (a new file system would lose every file on it)"
    );
    assert!(!help.contains("umount"), "{help}");
}

#[test]
fn mounting_a_device_without_a_file_system_names_the_partition_or_the_mkfs_for_it() {
    let first = FORMATTED.lines().count();
    // The whole disk: mkfs on it would wipe the partition table, so the help mounts the
    // partition instead, and that works.
    let script =
        format!("{FORMATTED}sv1.mkdir(\"/iscsi1\");\nsv1.mount(dev, \"/iscsi1\", \"ext3\");\n");
    let out = Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::wrong_fs_type", first + 2)
        .run();
    let (_, help) = said(&out, "kvmlab::storage::wrong_fs_type");
    assert_eq!(
        help,
        "/dev/sdb is the whole disk and holds a partition table (/dev/sdb1: ext3): mount the \
         partition: `sv1.mount(\"/dev/sdb1\", DIR, \"ext3\")`; mkfs on the whole disk would \
         wipe that table"
    );
    let applied = format!(
        "{FORMATTED}sv1.mkdir(\"/iscsi1\");\nsv1.mount(\"/dev/sdb1\", \"/iscsi1\", \"ext3\");\n"
    );
    Test::new().script(&applied).status(0).run();

    // A new partition: the mkfs call for that very partition, which then mounts.
    let fresh = FORMATTED.replace("sv1.mkfs(\"ext3\", dev + \"1\");\n", "");
    let first = fresh.lines().count();
    let script =
        format!("{fresh}sv1.mkdir(\"/iscsi1\");\nsv1.mount(dev + \"1\", \"/iscsi1\", \"ext3\");\n");
    let out = Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::wrong_fs_type", first + 2)
        .run();
    let (_, help) = said(&out, "kvmlab::storage::wrong_fs_type");
    assert_eq!(
        help,
        "/dev/sdb1 holds no file system yet: make one there (`sv1.mkfs(\"ext3\", \"/dev/sdb1\")`), \
         then mount it"
    );
    let applied = format!(
        "{fresh}sv1.mkdir(\"/iscsi1\");\nsv1.mkfs(\"ext3\", \"/dev/sdb1\");\n\
         sv1.mount(dev + \"1\", \"/iscsi1\", \"ext3\");\n"
    );
    Test::new().script(&applied).status(0).run();
}

#[test]
fn an_fstab_line_without_netdev_is_warned_when_written() {
    let first = FORMATTED.lines().count();
    let script = format!(
        "{FORMATTED}sv1.mkdir(\"/iscsi1\");\n\
         sv1.append_file(\"/etc/fstab\", dev + \"1 /iscsi1 ext3 defaults 0 0\\n\");\n\
         sv1.append_file(\"/etc/fstab\", \"/dev/disk/by-path/ip-10.10.1.10:3260-iscsi-iqn.2006-01.com.thecus:lun1-lun-0-part1 /mnt ext3 noauto 0 0\\n\");\n"
    );
    let out = Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::storage::netdev_missing", first + 2)
        .run();
    says(
        &out,
        "kvmlab::storage::netdev_missing",
        "/etc/fstab line 16: /dev/sdb1 on /iscsi1 is network storage but the entry lacks `_netdev`",
        &["add `_netdev` to the options"],
    );
    let netdev = out.report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "kvmlab::storage::netdev_missing")
        .count();
    assert_eq!(netdev, 1, "a noauto line is not mounted at boot");
    // the same line with `_netdev`, as the help says, boots with /iscsi1 mounted
    let script = format!(
        "{FORMATTED}sv1.mkdir(\"/iscsi1\");\n\
         sv1.append_file(\"/etc/fstab\", dev + \"1 /iscsi1 ext3 _netdev 0 0\\n\");\n\
         sv1.reboot();\n\
         record(\"on\", sv1.df(\"/iscsi1\")[0].filesystem);\n"
    );
    let out = Test::new().script(&script).json().status(0).run();
    assert_eq!(out.report["values"]["on"], "/dev/sdb1");
    assert_eq!(out.report["diagnostics"].as_array().unwrap().len(), 0);
}

#[test]
fn a_guest_started_on_both_hosts_from_one_image_corrupts_it() {
    let script = format!(
        "{RUNNING}g.shutdown();\n\
         let same = st.pools.sv2.volumes().filter(|v| v.name == \"web1.img\")[0];\n\
         sv2.store_file(\"/guest/iso/c.iso\", size(\"3.9G\"));\n\
         let twin = sv2.define_guest(#{{name: \"web1-b\", memory: \"512M\", iso: \"/guest/iso/c.iso\", disk: same, network: #{{bridge: \"br0\", address: \"192.168.1.21/24\"}}}});\n\
         twin.install();\n\
         g.start();\n\
         record(\"errors\", [g.disk_error, twin.disk_error]);\n\
         expect_error(|| twin.serve_file(\"/var/ftp/a.iso\", \"1G\"), \"kvmlab::guest::disk_io_error\");\n\
         g.destroy();\ntwin.destroy();\n\
         g.start();\n"
    );
    let out = Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::guest::image_in_use", line(6))
        .diagnostic("kvmlab::guest::disk_io_error", line(11))
        .run();
    says(
        &out,
        "kvmlab::guest::image_in_use",
        "web1 on sv1 and web1-b on sv2 both write the image /iscsi1/web1.img: it is corrupted",
        &["libvirt without a lock manager (sanlock or virtlockd)"],
    );
    says(
        &out,
        "kvmlab::guest::disk_io_error",
        "web1 on sv1 gets I/O errors from its disk /iscsi1/web1.img: its image /iscsi1/web1.img was corrupted when two guests wrote it at once",
        &["`destroy()` it"],
    );
    assert_eq!(
        out.report["values"]["errors"],
        serde_json::json!([
            "web1 on sv1 gets I/O errors from its disk /iscsi1/web1.img: web1-b on sv2 writes its image /iscsi1/web1.img too",
            "web1-b on sv2 gets I/O errors from its disk /iscsi1/web1.img: web1 on sv1 writes its image /iscsi1/web1.img too"
        ])
    );
}

#[test]
fn a_guest_whose_image_is_gone_does_not_start() {
    let script = format!(
        "{RUNNING}g.shutdown();\n\
         sv2.umount(\"/iscsi1\");\n\
         sv2.mkfs(\"ext3\", \"/dev/sdb1\");\n\
         g.start();\n"
    );
    let out = Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::mounted_fs_destroyed", line(3))
        .diagnostic("kvmlab::guest::disk_missing", line(4))
        .run();
    says(
        &out,
        "kvmlab::storage::mounted_fs_destroyed",
        "sv1 has /dev/sdb1 mounted on /iscsi1 with 2 guest images; `mkfs.ext3 /dev/sdb1` on sv2 wrote a new file system over it",
        &[],
    );
    says(
        &out,
        "kvmlab::guest::disk_missing",
        "sv1: error: Failed to start domain web1: Cannot access storage file '/iscsi1/web1.img': No such file or directory",
        &["the file system that held it on sv1 is gone"],
    );
}

/// Unmounted, the image's path is on the root file system; mounting it, as the help says,
/// lets the guest start.
#[test]
fn a_guest_needs_its_file_system_mounted_to_start() {
    let script = format!(
        "{RUNNING}g.shutdown();\n\
         sv1.umount(\"/iscsi1\");\n\
         expect_error(|| g.start(), \"kvmlab::guest::disk_missing\");\n\
         sv1.mount(\"/dev/sdb1\", \"/iscsi1\", \"ext3\");\n\
         g.start();\n\
         record(\"state\", g.state);\n\
         g.start();\n"
    );
    let out = Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::guest::state", line(7))
        .run();
    assert_eq!(out.report["values"]["state"], "running");
    let script = format!("{RUNNING}g.shutdown();\nsv1.umount(\"/iscsi1\");\ng.start();\n");
    let out = Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::guest::disk_missing", line(3))
        .run();
    says(
        &out,
        "kvmlab::guest::disk_missing",
        "sv1: error: Failed to start domain web1: Cannot access storage file '/iscsi1/web1.img': No such file or directory",
        &["mount the file system that holds the pool's images first"],
    );
}

/// sv1 as kvmlab/hosts installs it, the guest g running from an image on its own /guest.
/// 9 lines.
const LOCAL_GUEST: &str = "import \"kvmlab/hosts\" as hosts;
import \"kvmlab/report\" as report;
let lab = hosts::build();
let sv1 = lab.sv1;
sv1.store_file(\"/guest/iso/c.iso\", size(\"3.9G\"));
let pool = sv1.define_pool(#{name: \"guest\", type: \"dir\", target: \"/guest\"});
let vol = pool.create_volume(#{name: \"g.img\", capacity: \"20G\", allocation: 0});
let g = sv1.define_guest(#{name: \"g\", memory: \"512M\", iso: \"/guest/iso/c.iso\", disk: vol, network: #{bridge: \"br0\", address: \"192.168.1.20/24\"}});
g.install();
";

#[test]
fn reinstalling_a_host_erases_its_guests_images() {
    let script = format!(
        "{LOCAL_GUEST}sv1.install_os(report::os_spec(\"sv1\"));\n\
         record(\"state\", g.state);\n\
         g.start();\n"
    );
    let out = Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::reinstall_erased", 10)
        .diagnostic("kvmlab::guest::state", 12)
        .run();
    says(
        &out,
        "kvmlab::storage::reinstall_erased",
        "sv1: installing the OS again erased its disks: 1 guest image on its own disks is gone; g was running and stopped; libvirt's definition of g is gone",
        &["install a host once"],
    );
    says(
        &out,
        "kvmlab::guest::state",
        "g is undefined: it cannot start",
        &["libvirt's definition of g was on sv1's disks, which the reinstall erased: define it again with `define_guest`"],
    );
    assert_eq!(out.report["values"]["state"], "undefined");
    // The advice applied: the guest defined again, on a new volume, installs and runs.
    let out = Test::new()
        .script(&format!(
            "{LOCAL_GUEST}sv1.install_os(report::os_spec(\"sv1\"));\n\
             let scripts = \"/etc/sysconfig/network-scripts/\";\n\
             sv1.write_file(scripts + \"ifcfg-br0\", report::ifcfg_br0(\"192.168.1.11\"));\n\
             sv1.append_file(scripts + \"ifcfg-eth0\", \"BRIDGE=br0\\n\");\n\
             sv1.service(\"network\").restart();\n\
             sv1.store_file(\"/guest/iso/c.iso\", size(\"3.9G\"));\n\
             let pool = sv1.define_pool(#{{name: \"guest\", type: \"dir\", target: \"/guest\"}});\n\
             let vol = pool.create_volume(#{{name: \"g.img\", capacity: \"20G\", allocation: 0}});\n\
             let g = sv1.define_guest(#{{name: \"g\", memory: \"512M\", iso: \"/guest/iso/c.iso\", disk: vol, network: #{{bridge: \"br0\"}}}});\n\
             g.install();\nrecord(\"state\", g.state);\nrecord(\"guests\", sv1.guests().len());\n"
        ))
        .json()
        .status(0)
        .run();
    assert_eq!(out.report["values"]["state"], "running");
    assert_eq!(out.report["values"]["guests"], 1);
    // the first install erases nothing and says nothing
    let out = Test::new().script(LOCAL_GUEST).json().status(0).run();
    assert_eq!(out.report["diagnostics"].as_array().unwrap().len(), 0);
}

#[test]
fn rewriting_fstab_without_a_mounted_line_is_warned() {
    let first = LOCAL_GUEST.lines().count();
    let script = format!(
        "{LOCAL_GUEST}sv1.write_file(\"/etc/fstab\", \"proc /proc proc defaults 0 0\\n\");\n\
         sv1.reboot();\n\
         record(\"on\", sv1.df(\"/guest\")[0].mounted_on);\n"
    );
    let out = Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::storage::fstab_dropped_mount", first + 1)
        .run();
    let (message, help) = said(&out, "kvmlab::storage::fstab_dropped_mount");
    assert!(
        message.starts_with("sv1: /etc/fstab no longer lists /guest (UUID="),
        "{message}"
    );
    assert!(
        message.ends_with("), which it mounted at boot"),
        "{message}"
    );
    assert!(help.contains(
        "read it (`read_file(\"/etc/fstab\")`), change only what you need and write it back"
    ));
    assert_eq!(out.report["values"]["on"], "/");
    // the help applied: read, change, write back; the boot mounts /guest again
    let script = format!(
        "{LOCAL_GUEST}let fstab = sv1.read_file(\"/etc/fstab\");\n\
         fstab.replace(\"# Created by anaconda\", \"# Created by anaconda, edited\");\n\
         sv1.write_file(\"/etc/fstab\", fstab);\n\
         sv1.reboot();\n\
         record(\"on\", sv1.df(\"/guest\")[0].mounted_on);\n"
    );
    let out = Test::new().script(&script).json().status(0).run();
    assert_eq!(out.report["values"]["on"], "/guest");
    assert_eq!(out.report["diagnostics"].as_array().unwrap().len(), 0);
}

/// A disk moved by `copy_storage` is on the new host, so the guest boots there later.
#[test]
fn a_guest_moved_with_its_disk_starts_on_the_new_host() {
    let script = format!(
        "{LOCAL_GUEST}lab.sv2.define_pool(#{{name: \"guest\", type: \"dir\", target: \"/guest\"}});\n\
         g.migrate(lab.sv2, #{{copy_storage: true}});\n\
         g.shutdown();\ng.start();\n\
         record(\"on\", [g.host.name, g.state]);\n\
         record(\"images\", lab.sv2.pool(\"guest\").volumes().len());\n"
    );
    let out = Test::new().script(&script).json().status(0).run();
    assert_eq!(
        out.report["values"]["on"],
        serde_json::json!(["sv2", "running"])
    );
    assert_eq!(out.report["values"]["images"], 1);
}

/// The help of `image_in_use`, applied: both destroyed, a new guest on a new volume runs and
/// serves files.
#[test]
fn a_new_guest_on_a_new_volume_runs_after_the_corruption() {
    let script = format!(
        "{RUNNING}g.shutdown();\n\
         let same = st.pools.sv2.volumes().filter(|v| v.name == \"web1.img\")[0];\n\
         sv2.store_file(\"/guest/iso/c.iso\", size(\"3.9G\"));\n\
         let twin = sv2.define_guest(#{{name: \"web1-b\", memory: \"512M\", iso: \"/guest/iso/c.iso\", disk: same, network: #{{bridge: \"br0\", address: \"192.168.1.21/24\"}}}});\n\
         twin.install();\n\
         g.start();\n\
         g.destroy();\ntwin.destroy();\n\
         let fresh = st.pools.sv1.create_volume(#{{name: \"web3.img\", capacity: \"20G\", allocation: 0}});\n\
         let g3 = sv1.define_guest(#{{name: \"web3\", memory: \"512M\", iso: \"/guest/iso/c.iso\", disk: fresh, network: #{{bridge: \"br0\", address: \"192.168.1.23/24\"}}}});\n\
         g3.install();\n\
         g3.serve_file(\"/var/ftp/a.iso\", \"1G\");\n\
         record(\"g3\", [g3.state, g3.disk_error]);\n"
    );
    let out = Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::guest::image_in_use", line(6))
        .run();
    assert_eq!(
        out.report["values"]["g3"],
        serde_json::json!(["running", ""])
    );
}

#[test]
fn a_second_guest_defined_on_an_installed_image_boots_it_and_two_writers_are_warned() {
    // virt-manager's "import existing disk image": the new guest boots web1's system; while
    // web1 runs on sv1, that is two writers on one image. The old help said "install it
    // first", which would have written a new system over web1's image.
    let script = format!(
        "{RUNNING}let same = st.pools.sv2.volumes().filter(|v| v.name == \"web1.img\")[0];\n\
         let twin = sv2.define_guest(#{{name: \"web1-b\", memory: \"512M\", disk: same, network: #{{bridge: \"br0\", address: \"192.168.1.21/24\"}}}});\n\
         twin.start();\n\
         record(\"state\", twin.state);\n"
    );
    let out = Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::guest::image_in_use", line(3))
        .run();
    says(
        &out,
        "kvmlab::guest::image_in_use",
        "web1-b on sv2 and web1 on sv1 both write the image /iscsi1/web1.img: it is corrupted",
        &["run a guest on one host at a time and move it with `migrate`"],
    );
    assert_eq!(out.report["values"]["state"], "running");
    // A guest defined on a new, empty volume still needs its install.
    let script = format!(
        "{RUNNING}let spare = st.pools.sv1.volumes().filter(|v| v.name == \"spare.img\")[0];\n\
         let other = sv1.define_guest(#{{name: \"web2\", memory: \"512M\", disk: spare, network: #{{bridge: \"br0\", address: \"192.168.1.22/24\"}}}});\n\
         other.start();\n"
    );
    Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::guest::state", line(3))
        .stderr("install it first")
        .run();
}

#[test]
fn installing_a_guest_over_another_guests_image_is_warned() {
    let script = format!(
        "{RUNNING}g.shutdown();\n\
         let same = st.pools.sv1.volumes().filter(|v| v.name == \"web1.img\")[0];\n\
         let twin = sv1.define_guest(#{{name: \"web1-b\", memory: \"512M\", iso: \"/guest/iso/c.iso\", disk: same, network: #{{bridge: \"br0\", address: \"192.168.1.21/24\"}}}});\n\
         twin.install();\n"
    );
    let out = Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::guest::install_over_image", line(4))
        .run();
    says(
        &out,
        "kvmlab::guest::install_over_image",
        "installing web1-b on sv1 writes a new system over /iscsi1/web1.img, which holds the system web1 (shut off on sv1) was installed into",
        &[
            "so web1's system and files are gone",
            "`pool.create_volume(#{name: \"web1-b.img\", capacity: \"20G\", allocation: 0})`",
        ],
    );
    // The help, applied: a new volume installs without a word.
    let script = format!(
        "{RUNNING}g.shutdown();\n\
         let fresh = st.pools.sv1.create_volume(#{{name: \"web1-b.img\", capacity: \"20G\", allocation: 0}});\n\
         let twin = sv1.define_guest(#{{name: \"web1-b\", memory: \"512M\", iso: \"/guest/iso/c.iso\", disk: fresh, network: #{{bridge: \"br0\", address: \"192.168.1.21/24\"}}}});\n\
         expect_no_warning(|| twin.install());\n"
    );
    Test::new().script(&script).status(0).run();
}

#[test]
fn a_guest_defined_twice_under_one_name_says_where_it_is_and_to_migrate() {
    let script = format!(
        "{RUNNING}let again = sv2.define_guest(#{{name: \"web1\", memory: \"512M\", disk: vol, network: #{{bridge: \"br0\", address: \"192.168.1.21/24\"}}}});\n"
    );
    let out = Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::net::duplicate_name", line(1))
        .run();
    says(
        &out,
        "kvmlab::net::duplicate_name",
        "there is already a guest named `web1`",
        &[
            "web1 is defined on sv1 (running)",
            "migrate it (`migrate(HOST)`)",
        ],
    );
    // Applied: the guest moves to sv2.
    let script = format!("{RUNNING}g.migrate(sv2);\nrecord(\"host\", g.host.name);\n");
    let out = Test::new().script(&script).json().status(0).run();
    assert_eq!(out.report["values"]["host"], "sv2");
}

#[test]
fn a_guest_whose_file_system_was_made_anew_says_which_mkfs_took_its_image() {
    // Both hosts unmounted, so mke2fs on sv2 ran without a word about sv1; sv1 mounts the
    // new file system and the guest's start is the first sign. The help names the mkfs.
    let script = format!(
        "{RUNNING}g.shutdown();\n\
         sv1.umount(\"/iscsi1\");\n\
         sv2.umount(\"/iscsi1\");\n\
         sv2.mkfs(\"ext3\", \"/dev/sdb1\");\n\
         sv1.mount(\"/dev/sdb1\", \"/iscsi1\", \"ext3\");\n\
         g.start();\n"
    );
    let out = Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::mkfs_replaced_files", line(4))
        .diagnostic("kvmlab::guest::disk_missing", line(6))
        .run();
    let (_, help) = said(&out, "kvmlab::guest::disk_missing");
    assert_eq!(
        help,
        "the file system on /iscsi1 was made anew (`mkfs.ext3 /dev/sdb1` on sv2 wrote it over \
         the ext3 file system that held 2 guest images), so the image is gone: define the guest \
         on a new volume and install it"
    );
    // Applied: a new volume and an install run.
    let script = format!(
        "{RUNNING}g.shutdown();\n\
         sv1.umount(\"/iscsi1\");\n\
         sv2.umount(\"/iscsi1\");\n\
         sv2.mkfs(\"ext3\", \"/dev/sdb1\");\n\
         sv1.mount(\"/dev/sdb1\", \"/iscsi1\", \"ext3\");\n\
         let fresh = st.pools.sv1.create_volume(#{{name: \"web9.img\", capacity: \"20G\", allocation: 0}});\n\
         let g9 = sv1.define_guest(#{{name: \"web9\", memory: \"512M\", iso: \"/guest/iso/c.iso\", disk: fresh, network: #{{bridge: \"br0\", address: \"192.168.1.29/24\"}}}});\n\
         g9.install();\n\
         record(\"state\", g9.state);\n"
    );
    let out = Test::new().script(&script).json().run();
    assert_eq!(out.report["values"]["state"], "running", "{}", out.stderr);
}

#[test]
fn a_mount_over_images_made_before_it_says_they_are_hidden_on_the_host_disk() {
    // The pool was defined and a volume made on /iscsi1 before the LUN was mounted there:
    // the image is on sv1's root file system, and the mount covers it without a word.
    let script = format!(
        "{FORMATTED}sv1.mkdir(\"/iscsi1\");\n\
         let pool = sv1.define_pool(#{{name: \"iscsi1\", type: \"dir\", target: \"/iscsi1\"}});\n\
         pool.create_volume(#{{name: \"web1.img\", capacity: \"20G\", allocation: 0}});\n\
         sv1.mount(dev + \"1\", \"/iscsi1\", \"ext3\");\n\
         record(\"listed\", pool.volumes().len());\n"
    );
    let first = FORMATTED.lines().count();
    let out = Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::storage::mount_hides_files", first + 4)
        .run();
    says(
        &out,
        "kvmlab::storage::mount_hides_files",
        "sv1: mounting on /iscsi1 hides web1.img, which is in /iscsi1 on /dev/sda1 (ext4 on /)",
        &["Create a pool's volumes after its file system is mounted"],
    );
    assert_eq!(out.report["values"]["listed"], 0);
    // Applied: mounted first, the volume lands on the LUN and nothing is hidden.
    let script = format!(
        "{FORMATTED}sv1.mkdir(\"/iscsi1\");\n\
         sv1.mount(dev + \"1\", \"/iscsi1\", \"ext3\");\n\
         let pool = sv1.define_pool(#{{name: \"iscsi1\", type: \"dir\", target: \"/iscsi1\"}});\n\
         pool.create_volume(#{{name: \"web1.img\", capacity: \"20G\", allocation: 0}});\n\
         sv1.umount(\"/iscsi1\");\n\
         expect_no_warning(|| sv1.mount(dev + \"1\", \"/iscsi1\", \"ext3\"));\n\
         record(\"listed\", pool.volumes().len());\n"
    );
    let out = Test::new().script(&script).json().status(0).run();
    assert_eq!(out.report["values"]["listed"], 1);
}

#[test]
fn a_boot_refused_at_the_clock_cap_still_warns_what_it_found() {
    // The boot runs, finds the line without `_netdev`, and its time cannot pass: the refusal
    // and the boot's warning both show at the reboot's line.
    let reboot = FORMATTED.lines().count() + 4;
    let script = format!(
        "{FORMATTED}sv1.mkdir(\"/iscsi1\");\n\
         sv1.append_file(\"/etc/fstab\", dev + \"1 /iscsi1 ext3 defaults 0 0\\n\");\n\
         sleep(3153600000.0 - clock() - 1.0);\n\
         sv1.reboot();\n"
    );
    let out = Test::new()
        .script(&script)
        .json()
        .status(2)
        .diagnostic("kvmlab::lab::clock_cap", reboot)
        .diagnostic("kvmlab::storage::netdev_missing", reboot)
        .run();
    let (message, _) = said(&out, "kvmlab::lab::clock_cap");
    assert!(message.contains("past its cap of a century"), "{message}");
}
