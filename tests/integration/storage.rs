//! The NAS, iSCSI, block devices, mounts and pools from scripts (report §2.3–2.4): each
//! mistake is a diagnostic with its code and the script line it came from, and the happy path
//! shows the report's numbers.

use crate::harness::Test;
use serde_json::json;

/// The report's two hosts (kvmlab/hosts) and the NAS cabled to NET2 at 10.10.1.10/16.
const NAS: &str = "import \"kvmlab/hosts\" as hosts;\n\
    import \"kvmlab/report\" as report;\n\
    let lab = hosts::build();\n\
    let sv1 = lab.sv1;\n\
    let sv2 = lab.sv2;\n\
    let iqn = report::iqn();\n\
    let n = nas(\"iscsi1\", report::nas_spec());\n\
    n.nic(\"eth0\").connect(lab.net2);\n\
    n.ip(\"eth0\", report::nas_address());\n";

/// The report's target on the NAS (its vendor-mismatch warning at its line).
const TARGET: &str = "n.iscsi_target(iqn, \"50%\");\n";

/// sv1 discovers the target and logs in; `dev` is the LUN's disk.
const LOGIN: &str = "sv1.iscsi_discover(\"10.10.1.10\");\nlet dev = sv1.iscsi_login(iqn);\n";

/// sv1's LUN with a GPT label and one 95 GB ext3 partition mounted on /iscsi1.
const MOUNTED: &str = "let disk = sv1.disk(dev);\n\
    disk.mklabel(\"gpt\");\n\
    disk.mkpart(\"primary\", \"ext3\", \"0%\", \"95GB\");\n\
    sv1.mkfs(\"ext3\", dev + \"1\");\n\
    sv1.mkdir(\"/iscsi1\");\n\
    sv1.mount(dev + \"1\", \"/iscsi1\", \"ext3\");\n";

/// A lab of `parts` then `rest`, and the line number of `rest`'s line `n` (1-based).
fn lab(parts: &[&str], rest: &str) -> (String, impl Fn(usize) -> usize) {
    let prelude = parts.concat();
    let lines = prelude.lines().count();
    (format!("{prelude}{rest}"), move |n| lines + n)
}

#[test]
fn nas_specs_follow_the_raid_wizard() {
    Test::new()
        .script("let n = nas(\"x\", #{model: \"Thecus N7700PRO\", disks: 3, disk_size: \"2TB\", raid: 6});")
        .status(2)
        .diagnostic("kvmlab::storage::raid_too_few_disks", 1)
        .stderr("RAID 6 needs 4 disks")
        .run();
    Test::new()
        .script("\nlet n = nas(\"x\", #{model: \"Thecus N7700\", disks: 7, disk_size: \"2TB\", raid: 6});")
        .status(2)
        .diagnostic("kvmlab::spec::bad_value", 2)
        .stderr("help: did you mean `Thecus N7700PRO`?")
        .run();
    Test::new()
        .script("let n = nas(\"x\", #{model: \"Thecus N7700PRO\", disks: 7, disk_size: \"2TB\"});")
        .status(2)
        .diagnostic("kvmlab::spec::missing_key", 1)
        .stderr("add it, e.g. `#{raid: 6}`")
        .run();
    Test::new()
        .script("let n = nas(\"x\", #{model: \"Thecus N7700PRO\", disks: 8, disk_size: \"2TB\", raid: 6});")
        .status(2)
        .diagnostic("kvmlab::storage::nas_bays", 1)
        .run();
    let (script, line) = lab(&[NAS], "n.nic(\"eth2\");\n");
    Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::net::unknown_nic", line(1))
        .run();
}

#[test]
fn the_reports_raid_6_figures() {
    let (script, _) = lab(
        &[NAS],
        "record(\"raid\", n.raid);\nrecord(\"capacity\", n.capacity);\n\
         record(\"ui\", [n.capacity_ui, n.data_ui, n.iscsi_ui]);\n\
         record(\"two_tb\", nas(\"b\", #{model: \"Thecus N7700PRO\", disks: 7, disk_size: \"2TB\", raid: 6}).capacity_ui);\n\
         record(\"raid5\", nas(\"c\", #{model: \"Thecus N7700PRO\", disks: 7, disk_size: \"2TB\", raid: \"RAID 5\"}).disks);\n\
         record(\"summary\", n.to_string());\n",
    );
    let out = Test::new().script(&script).json().status(0).run();
    let values = &out.report["values"];
    assert_eq!(values["raid"], "RAID 6");
    // 5 data disks × (2,000,398,934,016 − 1920 MiB) bytes.
    assert_eq!(values["capacity"], 9_991_928_340_480_u64);
    assert_eq!(values["ui"], json!(["9305.7 GB", "4652.9 GB", "4652.9 GB"]));
    // 5 × (2 × 10^12 − 1920 MiB) = 9,989,933,670,400 bytes = 9303.9 GiB.
    assert_eq!(values["two_tb"], "9303.9 GB");
    assert_eq!(values["raid5"], 7);
    assert_eq!(
        values["summary"],
        "iscsi1 (Thecus N7700PRO): RAID 6 of 7 disks, EXT3, Healthy\n\
         Total capacity  9305.7 GB\n\
         Data capacity   4652.9 GB\n\
         iSCSI capacity  4652.9 GB (0.0 GB allocated, 4652.9 GB free, 0 target(s))"
    );
}

#[test]
fn target_names_and_sizes_are_checked() {
    let (script, line) = lab(
        &[NAS],
        "n.iscsi_target(\"iqn.2006-1.com.thecus:x\", \"50%\");\n",
    );
    Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::bad_iqn", line(1))
        .run();
    let (script, line) = lab(&[NAS], "n.iscsi_target(iqn, \"5TB\");\n");
    Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::target_too_large", line(1))
        .stderr("the iSCSI space is 50 %")
        .run();
    let (script, line) = lab(&[NAS], "n.iscsi_target(iqn, \"150%\");\n");
    Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::spec::bad_value", line(1))
        .stderr("`150%` is not a percentage from 0 to 100")
        .run();
    let (script, line) = lab(&[NAS], TARGET);
    Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::storage::iqn_vendor_mismatch", line(1))
        .stderr("belongs to Openfiler")
        .run();
}

#[test]
fn packages_and_services() {
    let (script, line) = lab(&[NAS], "sv1.yum_install(\"iscsi-initiator-util\");\n");
    Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::host::unknown_package", line(1))
        .stderr("did you mean `iscsi-initiator-utils`?")
        .run();
    let (script, _) = lab(
        &[NAS],
        "record(\"yum\", sv1.yum_install(\"iscsi-initiator-utils\"));\n\
         record(\"start\", sv1.service(\"iscsi\").start());\n\
         record(\"status\", sv1.service(\"iscsi\").status());\n\
         record(\"stop\", sv1.service(\"iscsi\").stop());\n\
         record(\"stopped\", sv1.service(\"iscsi\").status());\n\
         sv1.chkconfig(\"iscsi\", false);\n\
         record(\"boot\", sv1.reboot().contains(\"Starting iscsi:\"));\n\
         record(\"clock\", clock());\n",
    );
    let out = Test::new().script(&script).json().status(0).run();
    let values = &out.report["values"];
    assert_eq!(
        values["yum"],
        "Package iscsi-initiator-utils-6.2.0.872.x86_64 already installed and latest version\nNothing to do"
    );
    assert_eq!(
        values["start"],
        "Starting iscsi:                                            [  OK  ]"
    );
    assert!(values["status"]
        .as_str()
        .unwrap()
        .starts_with("iscsi (pid  "));
    assert_eq!(
        values["stop"],
        "Stopping iscsi:                                            [  OK  ]"
    );
    assert_eq!(values["stopped"], "iscsi is stopped");
    assert_eq!(values["boot"], false);
    // a reboot takes the boot's minute of lab time
    assert_eq!(values["clock"], 60.0);
    let (script, line) = lab(&[NAS], "sv1.chkconfig(\"vsftpd\", true);\n");
    Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::host::unknown_service", line(1))
        .stderr("`yum install vsftpd`")
        .run();
}

#[test]
fn discovery_and_login_errors() {
    let (script, line) = lab(&[NAS, TARGET], "sv1.iscsi_login(iqn);\n");
    Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::not_discovered", line(1))
        .run();
    let (script, line) = lab(&[NAS, TARGET], "sv1.iscsi_discover(\"10.10.1.12\");\n");
    Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::portal_unreachable", line(1))
        .stderr("Connection refused")
        .stderr("10.10.1.12 is sv2, which is no NAS")
        .run();
    let (script, line) = lab(
        &[NAS, TARGET],
        "n.allow(iqn, sv2.initiator_name());\nsv1.iscsi_discover(\"10.10.1.10\");\nsv1.iscsi_login(iqn);\n",
    );
    Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::acl_denied", line(3))
        .run();
    let (script, line) = lab(&[NAS, TARGET, LOGIN], "sv1.iscsi_login(iqn);\n");
    Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::already_logged_in", line(1))
        .run();
}

#[test]
fn discovery_and_login_print_like_iscsiadm() {
    let (script, _) = lab(
        &[NAS, TARGET],
        "record(\"discovered\", sv1.iscsi_discover(\"10.10.1.10\"));\n\
         record(\"nodes\", sv1.iscsi_nodes());\n\
         record(\"dev\", sv1.iscsi_login(iqn));\n\
         record(\"sessions\", sv1.iscsi_sessions());\n\
         let disks = sv1.disks();\n\
         record(\"disks\", disks.len());\n\
         record(\"lun\", disks[1].size);\n\
         record(\"fdisk\", disks.text.contains(\"Disk /dev/sdb: 4996.0 GB, 4995964170240 bytes\"));\n\
         record(\"logout\", sv1.iscsi_logout(iqn).len());\n\
         record(\"after\", sv1.disks().len());\n",
    );
    let out = Test::new().script(&script).json().status(0).run();
    let values = &out.report["values"];
    let line = "10.10.1.10:3260,1 iqn.2006-01.com.openfiler:tsn.b5ffc134d692";
    assert_eq!(values["discovered"], json!([line]));
    assert_eq!(values["nodes"], json!([line]));
    assert_eq!(values["dev"], "/dev/sdb");
    assert_eq!(
        values["sessions"],
        json!([
            "tcp: [1] 10.10.1.10:3260,1 iqn.2006-01.com.openfiler:tsn.b5ffc134d692 (non-flash)"
        ])
    );
    assert_eq!(values["disks"], 2);
    assert_eq!(values["lun"], 4_995_964_170_240_u64);
    assert_eq!(values["fdisk"], true);
    assert_eq!(values["logout"], 2);
    assert_eq!(values["after"], 1);
}

#[test]
fn partitions_and_file_systems() {
    let (script, line) = lab(
        &[NAS, TARGET, LOGIN],
        "let disk = sv1.disk(dev);\ndisk.mklabel(\"msdos\");\ndisk.mkpart(\"primary\", \"ext3\", \"0%\", \"100%\");\n",
    );
    Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::msdos_2tib_limit", line(3))
        .run();
    let (script, line) = lab(
        &[NAS, TARGET, LOGIN],
        "sv1.disk(dev).mkpartfs(\"primary\", \"ext3\", \"0%\", \"95GB\");\n",
    );
    Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::mkpartfs_removed", line(1))
        .run();
    let (script, line) = lab(&[NAS, TARGET, LOGIN], "sv1.disk(\"/dev/sdc\");\n");
    Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::no_such_block_device", line(1))
        .run();
    let (script, line) = lab(
        &[NAS, TARGET, LOGIN],
        "let disk = sv1.disk(dev);\ndisk.mklabel(\"gpt\");\ndisk.mkpart(\"p\", \"ext3\", \"0%\", \"95GB\");\n\
         sv1.mkfs(\"ext3\", dev + \"1\");\nsv1.mount(dev + \"1\", \"/iscsi1\", \"ext3\");\n",
    );
    Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::mount_point_missing", line(5))
        .stderr("mkdir /iscsi1")
        .run();
    let (script, line) = lab(
        &[NAS, TARGET, LOGIN],
        "let disk = sv1.disk(dev);\ndisk.mklabel(\"gpt\");\ndisk.mkpart(\"p\", \"ext3\", \"0%\", \"95GB\");\n\
         sv1.mkdir(\"/iscsi1\");\nsv1.mount(dev + \"1\", \"/iscsi1\", \"ext3\");\n",
    );
    Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::wrong_fs_type", line(5))
        .stderr("(it holds no file system)")
        .run();
    // a partition that starts off the 1 MiB grid is made, with a warning
    let (script, line) = lab(
        &[NAS, TARGET, LOGIN],
        "let disk = sv1.disk(dev);\ndisk.mklabel(\"gpt\");\ndisk.mkpart(\"p\", \"ext3\", \"100kB\", \"95GB\");\n",
    );
    Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::storage::partition_misaligned", line(3))
        .run();
}

#[test]
fn mkfs_df_and_fstab() {
    let (script, _) = lab(
        &[NAS, TARGET, LOGIN],
        "let disk = sv1.disk(dev);\ndisk.mklabel(\"gpt\");\ndisk.mkpart(\"primary\", \"ext3\", \"0%\", \"95GB\");\n\
         let before = clock();\nlet uuid = sv1.mkfs(\"ext3\", dev + \"1\");\nrecord(\"mkfs\", clock() - before);\n\
         sv1.mkdir(\"/iscsi1\");\nsv1.mount(dev + \"1\", \"/iscsi1\", \"ext3\");\n\
         let df = sv1.df(\"/iscsi1\");\nrecord(\"df\", df.text);\nrecord(\"row\", df[0]);\n\
         record(\"print\", disk.to_string().contains(\" 1      1049kB  95.0GB  95.0GB  ext3         primary\"));\n\
         record(\"uuid\", sv1.disks()[1].partitions[0].uuid == uuid);\n\
         sv1.append_file(\"/etc/fstab\", report::fstab_line(dev + \"1\"));\n\
         record(\"fstab\", sv1.fstab()[-1]);\n\
         sv1.umount(\"/iscsi1\");\nsv1.mount_all();\nrecord(\"again\", sv1.df(\"/iscsi1\")[0].filesystem);\n",
    );
    let out = Test::new().script(&script).json().status(0).run();
    let values = &out.report["values"];
    // mke2fs's writes for 95 GB of ext3 at the NAS's 100 MB/s
    let mkfs = values["mkfs"].as_f64().unwrap();
    assert!((16.8..16.9).contains(&mkfs), "{mkfs}");
    assert_eq!(
        values["df"],
        "Filesystem      Size  Used Avail Use% Mounted on\n/dev/sdb1        88G  184M   83G   1% /iscsi1\n"
    );
    assert_eq!(
        values["row"],
        json!({"filesystem": "/dev/sdb1", "size": "88G", "used": "184M", "avail": "83G",
               "use_percent": "1%", "mounted_on": "/iscsi1"})
    );
    assert_eq!(values["print"], true);
    assert_eq!(values["uuid"], true);
    assert_eq!(values["fstab"]["source"], "/dev/sdb1");
    assert_eq!(values["fstab"]["options"], "_netdev");
    assert_eq!(values["fstab"]["line"], 16);
    assert_eq!(values["again"], "/dev/sdb1");
}

#[test]
fn an_fstab_line_without_netdev_fails_at_boot() {
    let (script, line) = lab(
        &[NAS, TARGET, LOGIN, MOUNTED],
        "sv1.append_file(\"/etc/fstab\", dev + \"1 /iscsi1 ext3 defaults 0 0\\n\");\n\
         let log = sv1.reboot();\n\
         record(\"failed\", log.contains(\"Mounting local filesystems:                                [FAILED]\"));\n\
         record(\"on\", sv1.df(\"/iscsi1\")[0].filesystem);\n",
    );
    let out = Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::storage::netdev_missing", line(2))
        .stderr("add `_netdev` to the options")
        .run();
    assert_eq!(out.report["values"]["failed"], true);
    assert_eq!(out.report["values"]["on"], "/dev/sda1");
}

#[test]
fn a_second_host_mounting_ext3_is_warned() {
    let (script, line) = lab(
        &[NAS, TARGET, LOGIN, MOUNTED],
        "sv2.iscsi_discover(\"10.10.1.10\");\nsv2.iscsi_login(iqn);\nsv2.mkdir(\"/iscsi1\");\n\
         sv2.mount(\"/dev/sdb1\", \"/iscsi1\", \"ext3\");\n",
    );
    Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::storage::shared_non_cluster_fs", line(4))
        .stderr("GFS2, OCFS2")
        .run();
}

#[test]
fn pools_see_the_shared_file_system() {
    let (script, line) = lab(&[NAS], "sv1.pool(\"iscsi1\");\n");
    Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::unknown_pool", line(1))
        .run();
    let image = "#{name: \"centos-nz2.img\", capacity: \"20G\", format: \"raw\", allocation: 0}";
    let (script, line) = lab(
        &[NAS, TARGET, LOGIN, MOUNTED],
        &format!(
            "let pool = sv1.define_pool(#{{name: \"iscsi1\", type: \"dir\", target: \"/iscsi1\"}});\n\
             pool.create_volume({image});\npool.create_volume({image});\n"
        ),
    );
    Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::duplicate_volume", line(3))
        .run();
    let (script, _) = lab(
        &[NAS, TARGET, LOGIN, MOUNTED],
        &format!(
            "sv2.iscsi_discover(\"10.10.1.10\");\nsv2.iscsi_login(iqn);\nsv2.mkdir(\"/iscsi1\");\n\
             sv2.mount(\"/dev/sdb1\", \"/iscsi1\", \"ext3\");\n\
             let p1 = sv1.define_pool(#{{name: \"iscsi1\", type: \"dir\", target: \"/iscsi1\"}});\n\
             let p2 = sv2.define_pool(#{{name: \"iscsi1\", type: \"dir\", target: \"/iscsi1\"}});\n\
             record(\"capacity\", p1.capacity);\nrecord(\"available\", p1.available);\n\
             let v = p1.create_volume({image});\nrecord(\"allocation\", v.allocation);\n\
             record(\"seen\", p2.volumes()[0].path);\nrecord(\"shared\", p1.shared_with(sv2));\n"
        ),
    );
    let out = Test::new().script(&script).json().status(0).run();
    let values = &out.report["values"];
    // statfs of the 95 GB ext3 file system in 4 KiB blocks: f_blocks 22,829,078 (23,193,088
    // less the inode tables, bitmaps and journal) is df's Size 88G (87.1 GiB, rounded up);
    // f_bavail 21,622,365 (free less the 5 % reserved for root) is its Avail 83G (82.5 GiB).
    assert_eq!(values["capacity"], 22_829_078_u64 * 4096);
    assert_eq!(values["available"], 21_622_365_u64 * 4096);
    assert_eq!(values["allocation"], 0);
    assert_eq!(values["seen"], "/iscsi1/centos-nz2.img");
    assert_eq!(values["shared"], true);
}

#[test]
fn the_stdlib_sets_up_the_reports_storage_in_one_call() {
    let out = Test::new()
        .script(
            "import \"kvmlab/hosts\" as hosts;\nimport \"kvmlab/storage\" as storage;\n\
             let lab = hosts::build();\nlet st = storage::build(lab);\n\
             record(\"target\", st.target);\n\
             record(\"sv2\", lab.sv2.df(\"/iscsi1\").text);\n\
             record(\"fstab\", lab.sv2.fstab()[-1].options);\n\
             record(\"label\", lab.sv1.disk(\"/dev/sdb\").to_string().contains(\"Partition Table: gpt\"));\n\
             record(\"shared\", st.pools.sv1.shared_with(lab.sv2));\n\
             record(\"nas\", st.nas.iscsi_free);\n",
        )
        .json()
        .status(0)
        .run();
    let values = &out.report["values"];
    assert_eq!(
        values["target"],
        "iqn.2006-01.com.openfiler:tsn.b5ffc134d692"
    );
    assert_eq!(
        values["sv2"],
        "Filesystem      Size  Used Avail Use% Mounted on\n/dev/sdb1        88G  184M   83G   1% /iscsi1\n"
    );
    assert_eq!(values["fstab"], "_netdev");
    assert_eq!(values["label"], true);
    assert_eq!(values["shared"], true);
    assert_eq!(values["nas"], 0);
    let codes: Vec<&str> = out.report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "kvmlab::storage::iqn_vendor_mismatch",
            "kvmlab::storage::shared_non_cluster_fs"
        ]
    );
}

/// Inputs at the edges of the number range are refused, never a crash.
#[test]
fn extreme_sizes_and_locations_are_refused() {
    let login = |size: &str| {
        format!(
            "import \"kvmlab/hosts\" as hosts;\nimport \"kvmlab/report\" as report;\n\
             let lab = hosts::build();\nlet sv1 = lab.sv1;\n\
             let n = nas(\"iscsi1\", report::nas_spec());\nn.nic(\"eth0\").connect(lab.net2);\n\
             n.ip(\"eth0\", report::nas_address());\nn.iscsi_target(\"iqn.2006-01.com.thecus:t0\", {size});\n\
             sv1.iscsi_discover(\"10.10.1.10\");\nlet disk = sv1.disk(sv1.iscsi_login(\"iqn.2006-01.com.thecus:t0\"));\n"
        )
    };
    Test::new()
        .script(&(login("0") + "disk.mklabel(\"gpt\");\n"))
        .status(2)
        .diagnostic("kvmlab::storage::disk_too_small", 11)
        .run();
    Test::new()
        .script(&(login("8192") + "disk.mklabel(\"gpt\");\n"))
        .status(2)
        .diagnostic("kvmlab::storage::disk_too_small", 11)
        .run();
    let labelled = login("\"10GB\"") + "disk.mklabel(\"gpt\");\n";
    Test::new()
        .script(
            &(labelled.clone()
                + "disk.mkpart(\"primary\", \"ext3\", \"0%\", \"99999999999999999999999\");\n"),
        )
        .status(2)
        .diagnostic("kvmlab::storage::outside_disk", 12)
        .run();
    Test::new()
        .script(
            &(labelled.clone()
                + "disk.mkpart(\"primary\", \"ext3\", \"-99999999999999999999\", \"100%\");\n"),
        )
        .status(2)
        .diagnostic("kvmlab::storage::outside_disk", 12)
        .run();
    Test::new()
        .script(&(labelled + "disk.mkpart(\"primary\", \"ext3\", \"0%\", \"10Méab\");\n"))
        .status(2)
        .diagnostic("kvmlab::storage::bad_location", 12)
        .run();
    Test::new()
        .script("let n = nas(\"big\", #{model: \"Thecus N7700PRO\", disks: 7, disk_size: \"10000000TB\", raid: 0});")
        .status(2)
        .diagnostic("kvmlab::units::size_too_large", 1)
        .stderr("above the largest size, 8 EiB - 1")
        .run();
}

#[test]
fn a_write_rate_slower_than_any_disk_is_refused_at_the_nas() {
    // 1e-300 B/s once made one mkfs last 390 days of lab time.
    Test::new()
        .script("let n = nas(\"x\", #{model: \"Thecus N7700PRO\", disks: 7, disk_size: \"2TB\", raid: 6,\n    write_rate: 1.0e-300});")
        .status(2)
        .diagnostic("kvmlab::spec::bad_value", 1)
        .stderr("slower than any disk writes")
        .stderr("at least \"1MB/s\"")
        .run();
    // The advice applied: the slowest rate kvmlab takes is a NAS.
    Test::new()
        .script("let n = nas(\"x\", #{model: \"Thecus N7700PRO\", disks: 7, disk_size: \"2TB\", raid: 6, write_rate: \"1MB/s\"});\nrecord(\"disks\", n.disks);")
        .status(0)
        .run();
}

#[test]
fn a_gpt_table_holds_128_partitions() {
    let labelled = "import \"kvmlab/hosts\" as hosts;\nimport \"kvmlab/report\" as report;\n\
         let lab = hosts::build();\nlet sv1 = lab.sv1;\n\
         let n = nas(\"iscsi1\", report::nas_spec());\nn.nic(\"eth0\").connect(lab.net2);\n\
         n.ip(\"eth0\", report::nas_address());\nn.iscsi_target(\"iqn.2006-01.com.thecus:t0\", \"10GB\");\n\
         sv1.iscsi_discover(\"10.10.1.10\");\nlet disk = sv1.disk(sv1.iscsi_login(\"iqn.2006-01.com.thecus:t0\"));\n\
         disk.mklabel(\"gpt\");\n".to_string();
    let out = Test::new()
        .script(&(labelled
            + "for i in 0..129 { disk.mkpart(\"p\", \"ext3\", `${16 + i * 16}MiB`, `${32 + i * 16}MiB`); }\n"))
        .json()
        .status(2)
        .diagnostic("kvmlab::storage::gpt_full", 12)
        .stderr("at most 128 partitions")
        .stderr("another disk or LUN")
        .run();
    assert_eq!(out.report["diagnostics"].as_array().unwrap().len(), 1);
}
