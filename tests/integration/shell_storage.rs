//! The prompt's storage commands on the report's LUN: `tune2fs -l` and `blkid` (e2fsprogs
//! 1.41.12's and util-linux-ng 2.17's exact text, read from the file system `mkfs.ext3` made, one
//! UUID for mke2fs, tune2fs, blkid and fstab's `UUID=`), and iscsiadm's own refusals.

use crate::harness::Test;

/// The report's LUN on sv1, logged in as /dev/sdb.
const LUN: &str = "import \"kvmlab/hosts\" as hosts;\n\
    import \"kvmlab/report\" as report;\n\
    let lab = hosts::build();\n\
    let sv1 = lab.sv1;\n\
    let nas = nas(\"iscsi1\", report::nas_spec());\n\
    nas.nic(\"eth0\").connect(lab.net2);\n\
    nas.ip(\"eth0\", report::nas_address());\n\
    nas.iscsi_target(\"iqn.2006-01.com.thecus:iscsi1\", \"50%\");\n\
    sv1.sh(\"iscsiadm -m discovery -t st -p 10.10.1.10\");\n\
    sv1.sh(\"iscsiadm -m node -T iqn.2006-01.com.thecus:iscsi1 -p 10.10.1.10 -l\");\n";

struct Answer {
    status: i64,
    stdout: String,
    stderr: String,
}

/// Runs each line on sv1 after the LUN is logged in.
fn on_sv1(lines: &[&str]) -> Vec<Answer> {
    let mut script = LUN.to_string();
    for (i, line) in lines.iter().enumerate() {
        let quoted = serde_json::to_string(line).unwrap();
        script.push_str(&format!(
            "let r = sv1.sh({quoted});\nrecord(\"r{i}\", #{{status: r.status, stdout: r.stdout, stderr: r.stderr}});\n"
        ));
    }
    let out = Test::new().script(&script).json().status(0).run();
    (0..lines.len())
        .map(|i| {
            let r = &out.report["values"][format!("r{i}")];
            Answer {
                status: r["status"].as_i64().unwrap(),
                stdout: r["stdout"].as_str().unwrap().to_string(),
                stderr: r["stderr"].as_str().unwrap().to_string(),
            }
        })
        .collect()
}

#[test]
fn tune2fs_lists_the_superblock_mkfs_wrote() {
    let r = on_sv1(&[
        "tune2fs -l /dev/sdb",
        "parted -s /dev/sdb mklabel gpt mkpart primary ext3 0% 95GB",
        "mkfs.ext3 /dev/sdb1",
        "tune2fs -l /dev/sdb1",
        "mkdir /iscsi1 && mount /dev/sdb1 /iscsi1 && tune2fs -l /dev/sdb1 | grep features",
        "tune2fs -l /dev/sdc",
        "tune2fs -c 30 /dev/sdb1",
    ]);
    assert_eq!(
        (r[0].status, r[0].stdout.as_str(), r[0].stderr.as_str()),
        (
            1,
            "tune2fs 1.41.12 (17-May-2010)\n",
            "tune2fs: Bad magic number in super-block while trying to open /dev/sdb\n\
             Couldn't find valid filesystem superblock.\n"
        )
    );
    let mkfs = &r[2].stdout;
    let uuid_seed = r[3]
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Filesystem UUID:          "))
        .expect("a UUID line")
        .to_string();
    let checks = mkfs
        .lines()
        .find_map(|l| l.strip_prefix("This filesystem will be automatically checked every "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap();
    let seed = r[3]
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Directory Hash Seed:      "))
        .unwrap()
        .to_string();
    assert_eq!(r[3].status, 0);
    assert_eq!(
        r[3].stdout,
        format!(
            "tune2fs 1.41.12 (17-May-2010)\n\
             Filesystem volume name:   <none>\n\
             Last mounted on:          <not available>\n\
             Filesystem UUID:          {uuid_seed}\n\
             Filesystem magic number:  0xEF53\n\
             Filesystem revision #:    1 (dynamic)\n\
             Filesystem features:      has_journal ext_attr resize_inode dir_index filetype sparse_super large_file\n\
             Filesystem flags:         signed_directory_hash \n\
             Default mount options:    (none)\n\
             Filesystem state:         clean\n\
             Errors behavior:          Continue\n\
             Filesystem OS type:       Linux\n\
             Inode count:              5799936\n\
             Block count:              23193088\n\
             Reserved block count:     1159654\n\
             Free blocks:              22782019\n\
             Free inodes:              5799925\n\
             First block:              0\n\
             Block size:               4096\n\
             Fragment size:            4096\n\
             Reserved GDT blocks:      1018\n\
             Blocks per group:         32768\n\
             Fragments per group:      32768\n\
             Inodes per group:         8192\n\
             Inode blocks per group:   512\n\
             Maximum mount count:      {checks}\n\
             Check interval:           15552000 (6 months)\n\
             Reserved blocks uid:      0 (user root)\n\
             Reserved blocks gid:      0 (group root)\n\
             First inode:              11\n\
             Inode size:\t          256\n\
             Journal inode:            8\n\
             Default directory hash:   half_md4\n\
             Directory Hash Seed:      {seed}\n\
             Journal backup:           inode blocks\n"
        )
    );
    // the figures are mke2fs's own
    assert!(mkfs.contains("5799936 inodes, 23193088 blocks\n1159654 blocks (5.00%) reserved"));
    assert_ne!(seed, uuid_seed);
    // mounted read-write, the journal is in use
    assert_eq!(
        r[4].stdout,
        "Filesystem features:      has_journal ext_attr resize_inode dir_index filetype needs_recovery sparse_super large_file\n"
    );
    assert_eq!(
        (r[5].status, r[5].stderr.as_str()),
        (
            1,
            "tune2fs: No such file or directory while trying to open /dev/sdc\n\
             Couldn't find valid filesystem superblock.\n"
        )
    );
    assert_eq!(r[6].status, 1);
    assert!(
        r[6].stderr
            .starts_with("kvmlab: kvmlab's tune2fs lists the superblock"),
        "{}",
        r[6].stderr
    );
}

#[test]
fn blkid_names_the_uuid_that_fstab_mounts_by() {
    let r = on_sv1(&[
        "parted -s /dev/sdb mklabel gpt mkpart primary ext3 0% 95GB",
        "blkid /dev/sdb /dev/sdb1",
        "mkfs.ext3 -q /dev/sdb1",
        "blkid /dev/sdb1",
        "blkid -o value -s UUID /dev/sdb1",
        "tune2fs -l /dev/sdb1 | grep UUID",
        "blkid",
        "blkid -s TYPE /dev/sda2 /dev/sdb1",
        "blkid -o device",
    ]);
    assert_eq!((r[1].status, r[1].stdout.as_str()), (2, ""));
    let uuid = r[4].stdout.trim_end().to_string();
    assert_eq!(uuid.len(), 36);
    assert_eq!(
        (r[3].status, r[3].stdout.as_str()),
        (
            0,
            format!("/dev/sdb1: UUID=\"{uuid}\" SEC_TYPE=\"ext2\" TYPE=\"ext3\" \n").as_str()
        )
    );
    assert_eq!(r[5].stdout, format!("Filesystem UUID:          {uuid}\n"));
    // every device of the host: the install's root, swap and /guest, then the LUN
    let all: Vec<&str> = r[6].stdout.lines().collect();
    assert_eq!(all.len(), 4, "{}", r[6].stdout);
    assert!(all[0].starts_with("/dev/sda1: UUID=\"") && all[0].ends_with("\" TYPE=\"ext4\" "));
    assert!(all[1].starts_with("/dev/sda2: UUID=\"") && all[1].ends_with("\" TYPE=\"swap\" "));
    assert!(all[2].starts_with("/dev/sda3: UUID=\""));
    assert_eq!(all[3], r[3].stdout.trim_end_matches('\n'));
    assert_eq!(
        r[7].stdout,
        "/dev/sda2: TYPE=\"swap\" \n/dev/sdb1: TYPE=\"ext3\" \n"
    );
    assert_eq!(r[8].stdout, "/dev/sda1\n/dev/sda2\n/dev/sda3\n/dev/sdb1\n");

    // the install's fstab names its file systems and swap by the UUIDs blkid shows
    let fstab = on_sv1(&["cat /etc/fstab", "blkid"]);
    for line in fstab[1].stdout.lines() {
        let uuid = line.split('"').nth(1).unwrap();
        assert!(
            fstab[0].stdout.contains(&format!("UUID={uuid} ")),
            "{uuid} is not in\n{}",
            fstab[0].stdout
        );
    }

    // and `UUID=` from blkid mounts the LUN's partition
    let mut script = LUN.to_string();
    script.push_str(
        "sv1.sh(\"parted -s /dev/sdb mklabel gpt mkpart primary ext3 0% 95GB\");\n\
         sv1.sh(\"mkfs.ext3 -q /dev/sdb1\");\n\
         let uuid = sv1.sh(\"blkid -o value -s UUID /dev/sdb1\").lines[0];\n\
         sv1.sh(`mkdir /iscsi1 && echo \"UUID=${uuid} /iscsi1 ext3 _netdev 0 0\" >> /etc/fstab`);\n\
         let m = sv1.sh(\"mount -a && df -h /iscsi1\");\n\
         record(\"mounted\", m.lines);\n\
         record(\"uuid\", uuid);\n\
         record(\"tune2fs\", sv1.sh(\"tune2fs -l UUID=\" + uuid).lines[3]);\n\
         record(\"blkid\", sv1.sh(\"blkid UUID=\" + uuid).status);\n",
    );
    let out = Test::new().script(&script).json().status(0).run();
    // tune2fs finds a device by `UUID=` as mount does; blkid takes its operands as paths
    let values = &out.report["values"];
    assert_eq!(
        values["tune2fs"],
        format!(
            "Filesystem UUID:          {}",
            values["uuid"].as_str().unwrap()
        )
    );
    assert_eq!(values["blkid"], 2);
    assert_eq!(
        out.report["values"]["mounted"][1],
        "/dev/sdb1        88G  184M   83G   1% /iscsi1"
    );
}

#[test]
fn blkid_and_tune2fs_refuse_what_they_do_not_take() {
    let r = on_sv1(&["blkid -o udev /dev/sdb", "blkid -x", "tune2fs"]);
    assert_eq!(r[0].status, 4);
    assert_eq!(
        r[0].stderr,
        "blkid: unsupported output format udev\nTry `blkid --help' for more information.\n"
    );
    assert_eq!(r[1].status, 4);
    assert_eq!(
        (r[2].status, r[2].stdout.as_str()),
        (1, "tune2fs 1.41.12 (17-May-2010)\n")
    );
    assert!(
        r[2].stderr
            .starts_with("Usage: tune2fs [-c max_mounts_count] ")
            && r[2].stderr.ends_with("\t[ -I new_inode_size ] device\n"),
        "{}",
        r[2].stderr
    );
}

/// iscsiadm refuses in its own words and exit statuses (`ISCSI_ERR_*`), while the result
/// keeps kvmlab's code and help for the console.
#[test]
fn iscsiadm_refuses_as_open_iscsi_does() {
    let iqn = "iqn.2006-01.com.thecus:iscsi1";
    let r = on_sv1(&[
        &format!("iscsiadm -m node -T {iqn} -p 10.10.1.10 -l"),
        &format!("iscsiadm -m node -T {iqn} -u && iscsiadm -m node -T {iqn} -u"),
        "iscsiadm -m node -T iqn.2006-01.com.thecus:nothere -l",
        "iscsiadm -m node -p",
        "iscsiadm -m session -z",
        "iscsiadm -m node --bogus",
        &format!("iscsiadm -m node -o new -T {iqn} -p 10.10.1.10"),
        &format!("iscsiadm -m node -T {iqn} -o update -n node.startup -v sometimes"),
    ]);
    let record = format!("[iface: default, target: {iqn}, portal: 10.10.1.10,3260]");
    let expected: [(i64, String); 8] = [
        (
            15,
            format!(
                "Logging in to {record}\niscsiadm: Could not login to {record}:\n\
                 iscsiadm: initiator reported error (15 - already exists)\n"
            ),
        ),
        (21, "iscsiadm: No matching sessions found\n".into()),
        (21, "iscsiadm: No records found\n".into()),
        (7, "iscsiadm: option requires an argument -- 'p'\n".into()),
        (7, "iscsiadm: invalid option -- 'z'\n".into()),
        (7, "iscsiadm: unrecognized option '--bogus'\n".into()),
        (
            7,
            "iscsiadm: kvmlab's iscsiadm makes node records by discovery (-m discovery -t st -p PORTAL) and changes them with -o update\n".into(),
        ),
        (
            7,
            "iscsiadm: unknown value format 'sometimes' for parameter name 'node.startup'\n".into(),
        ),
    ];
    for (i, (answer, (status, stderr))) in r.iter().zip(&expected).enumerate() {
        assert_eq!(
            (answer.status, answer.stderr.as_str()),
            (*status, stderr.as_str())
        );
        // The first logout of line 1 succeeds, and says so.
        let stdout = if i == 1 {
            format!("Logging out of session [sid: 1, target: {iqn}, portal: 10.10.1.10,3260]\nLogout of [sid: 1, target: {iqn}, portal: 10.10.1.10,3260] successful.\n")
        } else {
            String::new()
        };
        assert_eq!(answer.stdout, stdout, "line {i}");
    }
}

/// `-m session -P 3`, the usual way to learn which disk a LUN became: the session's
/// interface with the initiator's name and source address, and the disk its LUN is.
#[test]
fn iscsiadm_session_tree_names_the_disk_each_lun_became() {
    let r = on_sv1(&[
        "iscsiadm -m session -P 3 | grep -e 'Iface IPaddress' -e SID -e 'Attached scsi disk' -e 'Lun:'",
        "iscsiadm -m session -P 1 | wc -l",
        "iscsiadm -m session -P 2 | grep -c Length",
        "iscsiadm -m session -P 4",
        "iscsiadm -m node -P 1",
        "iscsiadm -m node -T iqn.2006-01.com.thecus:iscsi1 -u && iscsiadm -m session -P 3",
    ]);
    assert_eq!(
        r[0].stdout,
        "\t\tIface IPaddress: 10.10.1.11\n\t\tSID: 1\n\t\tscsi1 Channel 00 Id 0 Lun: 0\n\t\t\tAttached scsi disk sdb\t\tState: running\n"
    );
    assert_eq!((r[1].status, r[1].stdout.as_str()), (0, "16\n"));
    assert_eq!(r[2].stdout, "4\n");
    assert_eq!(
        (r[3].status, r[3].stderr.as_str()),
        (7, "iscsiadm: invalid print level '4': -P takes 0 to 3\n")
    );
    assert_eq!(
        (r[4].status, r[4].stderr.as_str()),
        (
            7,
            "iscsiadm: kvmlab's iscsiadm prints -P levels for -m session only\n"
        )
    );
    assert_eq!(
        (r[5].status, r[5].stderr.as_str()),
        (21, "iscsiadm: No active sessions.\n")
    );
}

#[test]
fn mkfs_on_a_device_the_host_lacks_answers_in_mke2fs_own_words() {
    let r = on_sv1(&["mkfs.ext3 /dev/sdc1", "mkfs -t ext3 /dev/sdb9"]);
    assert_eq!(r[0].status, 1);
    assert_eq!(r[0].stdout, "");
    assert_eq!(
        r[0].stderr,
        "mke2fs 1.41.12 (17-May-2010)\nCould not stat /dev/sdc1 --- No such file or directory\n\n\
         The device apparently does not exist; did you specify it correctly?\n"
    );
    assert_eq!(r[1].status, 1);
    assert!(
        r[1].stderr
            .contains("Could not stat /dev/sdb9 --- No such file or directory"),
        "{}",
        r[1].stderr
    );
}
