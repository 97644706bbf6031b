//! The prompt's storage commands against the real tools on the same input: a lab's LUN at
//! sv1's root prompt beside a sparse image file of the same size, partitioned and formatted
//! the same way with Debian's parted, mke2fs (under RHEL 6's mke2fs.conf), fdisk, tune2fs,
//! blkid and, as root, a loop mount for df, mount and umount; and iscsiadm beside tgt, the
//! target the real backend's NAS runs, in a network namespace of the test's own (as root).
//!
//! The prompt answers as RHEL 6 / Scientific Linux 6.1 (parted 2.1, util-linux-ng 2.17.2,
//! e2fsprogs 1.41.12, kernel 2.6.32); the oracles are Debian 12's (parted 3.5, util-linux
//! 2.38, e2fsprogs 1.47, a 6.x kernel). What the eras print differently is listed where it
//! is compared, and everything else must agree.
//!
//! A missing tool makes a test print why and pass, unless `KVMLAB_REQUIRE_ORACLES=1` (CI
//! sets it), which turns it into a failure. The df, mount and iscsiadm tests also need root
//! (a loop mount, a namespace): without root each prints why and passes even under
//! `KVMLAB_REQUIRE_ORACLES=1`, which is about installed tools, not privileges (CI runs as
//! root).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use kvmlab_runtime::run::{run_source, RunOptions};
use kvmlab_runtime::units::human_size;
use kvmlab_runtime::world::storage::fs::{E2fsprogs, ExtLayout, FsType};

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;
/// The report's LUN: half of the Thecus' RAID 6.
const REPORT_LUN: u64 = 4_995_964_170_240;

/// RHEL 6's e2fsprogs 1.41.12 defaults, as `storage_oracles.rs` pins them; its smaller
/// journal table is passed as `-J size=`.
const MKE2FS_CONF_RHEL6: &str = "[defaults]
	base_features = sparse_super,filetype,resize_inode,dir_index,ext_attr
	blocksize = 4096
	inode_size = 256
	inode_ratio = 16384
[fs_types]
	ext3 = {
		features = has_journal
	}
	small = {
		blocksize = 1024
		inode_size = 128
		inode_ratio = 4096
	}
	floppy = {
		blocksize = 1024
		inode_size = 128
		inode_ratio = 8192
	}
";

fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    let found = path
        .split(':')
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
        .map(|dir| Path::new(dir).join(name))
        .find(|candidate| candidate.is_file());
    found
}

/// The tools a test needs, or `None` after `oracle::unavailable` said why it is skipped.
fn tools(names: &[&str]) -> Option<Vec<PathBuf>> {
    let mut found = Vec::new();
    for name in names {
        match find_tool(name) {
            Some(path) => found.push(path),
            None => {
                kvmlab_runtime::oracle::unavailable(name, "not installed");
                return None;
            }
        }
    }
    Some(found)
}

/// Runs a real tool with `LC_ALL=C`: (success, stdout, stderr).
fn run(tool: &Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let output = Command::new(tool)
        .args(args)
        .envs(env.iter().copied())
        .env("LC_ALL", "C")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", tool.display()));
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn ok(tool: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let (success, stdout, stderr) = run(tool, args, env);
    assert!(success, "{} {args:?} failed: {stderr}", tool.display());
    stdout
}

fn sparse_image(dir: &Path, name: &str, size: u64) -> PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path).unwrap().set_len(size).unwrap();
    path
}

/// What a line at the prompt left.
#[derive(Debug)]
struct Answer {
    status: i64,
    stdout: String,
    stderr: String,
}

/// The report's target.
const REPORT_IQN: &str = "iqn.2006-01.com.thecus:iscsi1";

/// Runs `lines` at sv1's root prompt after it logged in to a LUN of `lun` bytes, which it
/// names /dev/sdb.
fn prompt(lun: u64, lines: &[&str]) -> Vec<Answer> {
    let login = format!("iscsiadm -m node -T {REPORT_IQN} -p 10.10.1.10 -l");
    let mut all = vec!["iscsiadm -m discovery -t st -p 10.10.1.10", login.as_str()];
    all.extend_from_slice(lines);
    prompt_beside(&[(REPORT_IQN, lun)], &all).split_off(2)
}

/// Runs `lines` at sv1's root prompt, the NAS at 10.10.1.10 exporting `targets` (IQN,
/// bytes) in that order.
fn prompt_beside(targets: &[(&str, u64)], lines: &[&str]) -> Vec<Answer> {
    let mut script = "import \"kvmlab/hosts\" as hosts;\n\
         import \"kvmlab/report\" as report;\n\
         let lab = hosts::build();\n\
         let sv1 = lab.sv1;\n\
         let nas = nas(\"iscsi1\", report::nas_spec());\n\
         nas.nic(\"eth0\").connect(lab.net2);\n\
         nas.ip(\"eth0\", report::nas_address());\n"
        .to_string();
    for (iqn, size) in targets {
        script.push_str(&format!("nas.iscsi_target(\"{iqn}\", {size});\n"));
    }
    for (i, line) in lines.iter().enumerate() {
        let quoted = serde_json::to_string(line).unwrap();
        script.push_str(&format!(
            "let r = sv1.sh({quoted});\n\
             record(\"r{i}\", #{{status: r.status, stdout: r.stdout, stderr: r.stderr}});\n"
        ));
    }
    let out = tempfile::tempdir().unwrap();
    let options = RunOptions {
        out_dir: out.path().to_path_buf(),
        ..RunOptions::default()
    };
    let report = run_source("shell-oracle", &script, &options).report;
    (0..lines.len())
        .map(|i| {
            let r = report
                .values
                .get(&format!("r{i}"))
                .unwrap_or_else(|| panic!("the lab stopped before line {i}: {report:?}"));
            Answer {
                status: r["status"].as_i64().unwrap(),
                stdout: r["stdout"].as_str().unwrap().to_string(),
                stderr: r["stderr"].as_str().unwrap().to_string(),
            }
        })
        .collect()
}

/// A partition table as both sides are given it: the label, then (name, fs type, start,
/// end) per `mkpart`; partition 1 is formatted ext3.
struct Layout {
    size: u64,
    label: &'static str,
    parts: &'static [(&'static str, &'static str, &'static str, &'static str)],
}

/// The report's GPT on its 5 TB LUN, and a small msdos disk with two partitions.
const LAYOUTS: &[Layout] = &[
    Layout {
        size: REPORT_LUN,
        label: "gpt",
        parts: &[("primary", "ext3", "0%", "95GB")],
    },
    Layout {
        size: GIB,
        label: "msdos",
        parts: &[
            ("primary", "ext3", "1MiB", "100MiB"),
            ("primary", "ext3", "100MiB", "100%"),
        ],
    },
];

/// The parted command line for a layout, after `parted -s DEVICE`.
fn parted_words(layout: &Layout) -> Vec<String> {
    let mut words = vec!["mklabel".to_string(), layout.label.to_string()];
    for (name, fstype, start, end) in layout.parts {
        words.extend(["mkpart", name, fstype, start, end].map(String::from));
    }
    words
}

/// The table of `parted print`: the lines from the `Number` header on.
fn parted_rows(printed: &str) -> Vec<String> {
    printed
        .lines()
        .skip_while(|l| !l.starts_with("Number"))
        .map(str::to_string)
        .collect()
}

/// (start sector, sectors) of partition 1, read from `parted -m unit s print`.
fn first_partition(parted: &Path, image: &str) -> (u64, u64) {
    let machine = ok(parted, &["-s", "-m", image, "unit", "s", "print"], &[]);
    let row: Vec<&str> = machine.lines().nth(2).unwrap().split(':').collect();
    let sector = |s: &str| s.trim_end_matches('s').parse::<u64>().unwrap();
    (sector(row[1]), sector(row[3]))
}

/// Partitions an image as `layout` says and formats its first partition ext3 in place
/// (mke2fs's `-E offset=`), under RHEL 6's mke2fs.conf.
fn real_disk(parted: &Path, mke2fs: &Path, dir: &Path, layout: &Layout) -> PathBuf {
    let image = sparse_image(dir, "disk.img", layout.size);
    let image_str = image.to_str().unwrap();
    let mut args = vec!["-s".to_string(), image_str.to_string()];
    args.extend(parted_words(layout));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(parted, &args, &[]);
    let (start, sectors) = first_partition(parted, image_str);
    let conf = dir.join("mke2fs.conf");
    std::fs::write(&conf, MKE2FS_CONF_RHEL6).unwrap();
    let ours = ExtLayout::mkfs(FsType::Ext3, sectors * 512, E2fsprogs::V1_41Rhel6).unwrap();
    let journal = format!("size={}", (ours.journal_blocks * ours.block_size) >> 20);
    let offset = format!("offset={}", start * 512);
    let blocks = format!("{}k", sectors / 2);
    ok(
        mke2fs,
        &[
            "-F", "-q", "-t", "ext3", "-J", &journal, "-E", &offset, image_str, &blocks,
        ],
        &[("MKE2FS_CONFIG", conf.to_str().unwrap())],
    );
    image
}

/// `parted -s DEV print` and `unit s print` at the prompt list the partition table rows
/// parted 3.5 lists for the same table on an image: Number, Start, End, Size, File system
/// (ext3 once formatted), Name (GPT) or Type (msdos), Flags.
///
/// Era: RHEL 6's parted is 2.1, Debian's 3.5; the rows are the same. The lines above the
/// table name the device (`/dev/sdb` and its model `IET VIRTUAL-DISK (scsi)` against the
/// image's path and ` (file)`), so only the size and label lines are compared there.
///
/// Mutation tried: the Size column one sector short (`(p.sectors() - 1) * SECTOR`) → the
/// GPT row read `185544703s` against parted's `185544704s` and this failed.
#[test]
fn parted_print_at_the_prompt_lists_the_rows_parted_lists() {
    let Some(found) = tools(&["parted", "mke2fs"]) else {
        return;
    };
    let (parted, mke2fs) = (&found[0], &found[1]);
    let dir = tempfile::tempdir().unwrap();
    for layout in LAYOUTS {
        let image = real_disk(parted, mke2fs, dir.path(), layout);
        let image_str = image.to_str().unwrap();
        let partition = format!("parted -s /dev/sdb {}", parted_words(layout).join(" "));
        let answers = prompt(
            layout.size,
            &[
                &partition,
                "mkfs.ext3 -q /dev/sdb1",
                "parted -s /dev/sdb print",
                "parted -s /dev/sdb unit s print",
            ],
        );
        assert!(answers.iter().all(|a| a.status == 0), "{answers:?}");
        let case = format!("{} bytes, {}", layout.size, layout.label);
        for (ours, unit) in [(&answers[2].stdout, None), (&answers[3].stdout, Some("s"))] {
            let mut args = vec!["-s", image_str];
            if let Some(unit) = unit {
                args.extend(["unit", unit]);
            }
            args.push("print");
            let theirs = ok(parted, &args, &[]);
            assert_eq!(parted_rows(ours), parted_rows(&theirs), "{case}\n{theirs}");
            assert!(
                parted_rows(ours).len() > layout.parts.len(),
                "{case}: {ours}"
            );
            let size_line = |text: &str| {
                let disk = text.lines().find(|l| l.starts_with("Disk /")).unwrap();
                disk.rsplit(": ").next().unwrap().to_string()
            };
            assert_eq!(size_line(ours), size_line(&theirs), "{case}");
            let label = |text: &str| {
                text.lines()
                    .find(|l| l.starts_with("Partition Table:"))
                    .map(str::to_string)
            };
            assert_eq!(label(ours), label(&theirs), "{case}");
        }
        std::fs::remove_file(&image).unwrap();
    }
}

/// One partition row of `fdisk -l`, by sectors: (start, end, sectors, type id).
type FdiskRow = (u64, u64, u64, String);

/// The rows of RHEL 6's `fdisk -lu`: `DEV  [*] START END BLOCKS[+] ID SYSTEM`, sectors from
/// the 1 KiB blocks (`+` for an odd sector).
fn rhel6_rows(listing: &str, device: &str) -> Vec<FdiskRow> {
    listing
        .lines()
        .filter(|l| l.starts_with(device) && !l.starts_with(&format!("{device}:")))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().filter(|w| *w != "*").collect();
            let blocks = f[3].trim_end_matches('+').parse::<u64>().unwrap();
            let odd = u64::from(f[3].ends_with('+'));
            (
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                blocks * 2 + odd,
                f[4].to_string(),
            )
        })
        .collect()
}

/// The rows of util-linux 2.38's `fdisk -l` of a DOS table: `DEV START END SECTORS SIZE ID
/// TYPE` (no boot flag is set here).
fn debian_rows(listing: &str, image: &str) -> Vec<FdiskRow> {
    listing
        .lines()
        .filter(|l| l.starts_with(image) && !l.starts_with(&format!("{image}:")))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                f[3].parse().unwrap(),
                f[5].to_string(),
            )
        })
        .collect()
}

/// `fdisk -lu` at the prompt counts the bytes, the sectors and each MBR entry's first
/// sector, last sector, length and type as util-linux 2.38's fdisk does on the image.
///
/// Era: RHEL 6's fdisk (util-linux-ng 2.17.2) reads only the MBR: a GPT disk is its
/// protective entry (`ee`, sector 1 on, 2^32 − 1 sectors at most) after a warning, which
/// Debian's fdisk shows when told to read the DOS table (`-t dos`); it prints the size in
/// decimal MB or GB, the BIOS geometry and 1 KiB blocks where 2.38 prints binary units and
/// sectors; without `-u` it counts cylinders (checked in `partition.rs`'s unit tests).
///
/// Mutation tried: the protective entry's length capped at `MSDOS_LIMIT - 1` → the row's
/// sectors read 4294967294 against fdisk's 4294967295 and this failed.
#[test]
fn fdisk_at_the_prompt_counts_what_fdisk_counts() {
    let Some(found) = tools(&["parted", "mke2fs", "fdisk"]) else {
        return;
    };
    let (parted, mke2fs, fdisk) = (&found[0], &found[1], &found[2]);
    let dir = tempfile::tempdir().unwrap();
    for layout in LAYOUTS {
        let image = real_disk(parted, mke2fs, dir.path(), layout);
        let image_str = image.to_str().unwrap();
        let partition = format!("parted -s /dev/sdb {}", parted_words(layout).join(" "));
        let answers = prompt(layout.size, &[&partition, "fdisk -lu /dev/sdb"]);
        let ours = &answers[1].stdout;
        let theirs = ok(fdisk, &["-l", "-t", "dos", image_str], &[]);
        let case = format!(
            "{} bytes, {}\nours:{ours}\ntheirs:\n{theirs}",
            layout.size, layout.label
        );

        let sectors = layout.size / 512;
        assert!(
            ours.contains(&format!(", {} bytes\n", layout.size))
                && ours.contains(&format!(", total {sectors} sectors\n")),
            "{case}"
        );
        assert!(
            theirs.contains(&format!(", {} bytes, {sectors} sectors\n", layout.size)),
            "{case}"
        );
        let rows = rhel6_rows(ours, "/dev/sdb");
        assert_eq!(rows, debian_rows(&theirs, image_str), "{case}");
        assert_eq!(
            rows.len(),
            if layout.label == "gpt" { 1 } else { 2 },
            "{case}"
        );
        std::fs::remove_file(&image).unwrap();
    }
}

/// `key: value` lines (a listing's first line, the banner, has no colon).
fn fields(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// What e2fsprogs 1.47 and RHEL 6's 1.41.12 list differently, and why.
const TUNE2FS_ERA: &[(&str, &str)] = &[
    (
        "Default mount options",
        "1.47 sets user_xattr,acl by default; RHEL 6's mke2fs.conf has no default_mntopts",
    ),
    (
        "Maximum mount count",
        "RHEL 6's mke2fs sets 20 + a random 0..19 mounts; 1.47 sets none (-1)",
    ),
    (
        "Check interval",
        "RHEL 6's mke2fs sets 180 days; 1.47 sets none",
    ),
    ("Overhead clusters", "a superblock field 1.47 added"),
    (
        "Required extra isize",
        "1.47 reserves extra inode space in 256-byte inodes; 1.41.12 only with extra_isize",
    ),
    ("Desired extra isize", "as Required extra isize"),
    ("Filesystem created", "a date: the lab keeps none"),
    ("Last mount time", "a date: the lab keeps none"),
    ("Last write time", "a date: the lab keeps none"),
    ("Last checked", "a date: the lab keeps none"),
    ("Mount count", "the lab does not count mounts"),
];

/// The tags of one `blkid` line, without the device.
fn blkid_tags(line: &str) -> Vec<(String, String)> {
    let (_, tags) = line.split_once(": ").expect("DEVICE: TAGS");
    tags.split("\" ")
        .filter_map(|tag| tag.trim().trim_end_matches('"').split_once("=\""))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// `tune2fs -l` and `blkid` at the prompt read the file system `mkfs.ext3` made as Debian's
/// tune2fs and blkid read an image mke2fs formatted under RHEL 6's mke2fs.conf: block and
/// inode counts, per-group figures, reserved and free blocks and inodes, features, sizes,
/// every line but the era's. The image gets the prompt's UUID and hash seed (`-U`, `-E
/// hash_seed=`), which mke2fs draws at random, so those lines are compared too.
///
/// Era: the lines of `TUNE2FS_ERA`; the banner (`tune2fs 1.41.12 (17-May-2010)` against
/// 1.47.0's); blkid's `BLOCK_SIZE` tag (util-linux 2.34 on) and the space 2.17 writes after
/// the last tag.
///
/// Mutation tried: `large_file` dropped from the features → on 1 GiB ours ended
/// `sparse_super` against tune2fs's `sparse_super large_file` and this failed (100 MiB, with
/// 1 KiB blocks and no `large_file`, passed).
#[test]
fn tune2fs_and_blkid_at_the_prompt_read_what_mke2fs_wrote() {
    let Some(found) = tools(&["mke2fs", "tune2fs", "blkid"]) else {
        return;
    };
    let (mke2fs, tune2fs, blkid) = (&found[0], &found[1], &found[2]);
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("mke2fs.conf");
    std::fs::write(&conf, MKE2FS_CONF_RHEL6).unwrap();
    let conf = conf.to_str().unwrap().to_string();
    for size in [100 * MIB, GIB, 20 * GIB, 95_000_000_000] {
        let answers = prompt(
            size,
            &[
                "mkfs.ext3 -q /dev/sdb",
                "tune2fs -l /dev/sdb",
                "blkid /dev/sdb",
            ],
        );
        let ours = fields(&answers[1].stdout);
        assert!(answers[1]
            .stdout
            .starts_with("tune2fs 1.41.12 (17-May-2010)\n"));

        let image = sparse_image(dir.path(), "fs.img", size);
        let image_str = image.to_str().unwrap();
        let layout = ExtLayout::mkfs(FsType::Ext3, size, E2fsprogs::V1_41Rhel6).unwrap();
        let journal = format!("size={}", (layout.journal_blocks * layout.block_size) >> 20);
        let extended = format!("hash_seed={}", ours["Directory Hash Seed"]);
        ok(
            mke2fs,
            &[
                "-F",
                "-q",
                "-t",
                "ext3",
                "-J",
                &journal,
                "-U",
                &ours["Filesystem UUID"],
                "-E",
                &extended,
                image_str,
            ],
            &[("MKE2FS_CONFIG", &conf)],
        );
        let theirs = fields(&ok(tune2fs, &["-l", image_str], &[]));
        let era = |key: &String| TUNE2FS_ERA.iter().any(|(k, _)| k == key);
        let compared: Vec<&String> = ours.keys().filter(|k| !era(k)).collect();
        for key in &compared {
            assert_eq!(
                ours.get(*key),
                theirs.get(*key),
                "{size} bytes: `{key}`\nours:\n{}",
                answers[1].stdout
            );
        }
        let only_theirs: Vec<&String> = theirs
            .keys()
            .filter(|k| !era(k) && !ours.contains_key(*k))
            .collect();
        assert!(
            only_theirs.is_empty(),
            "{size}: only tune2fs lists {only_theirs:?}"
        );
        assert!(compared.len() >= 30, "{size}: {compared:?}");

        let (_, real, _) = run(blkid, &[image_str], &[]);
        let mut real_tags = blkid_tags(real.trim_end());
        real_tags.retain(|(k, _)| k != "BLOCK_SIZE");
        let line = answers[2]
            .stdout
            .strip_suffix(" \n")
            .expect("2.17's trailing space");
        assert_eq!(blkid_tags(line), real_tags, "{size}: blkid said {real}");
        assert_eq!(
            real_tags[0],
            ("UUID".to_string(), ours["Filesystem UUID"].clone())
        );
        std::fs::remove_file(&image).unwrap();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `df -h` at the prompt shows the figures of the image mke2fs formatted, loop-mounted
/// read-only, once the kernels' difference is accounted for from the real tools' numbers.
///
/// Era: RHEL 6's 2.6.32 ext3 driver leaves the journal and the reserved GDT blocks in
/// f_blocks, so they show as Used; today's kernel counts them as overhead. The expected
/// RHEL 6 Size is the mounted image's f_blocks (`stat -f`) plus the journal (dumpe2fs) and
/// the reserved GDT blocks of every superblock copy (dumpe2fs's group listing); Used is that
/// less f_bfree; Avail (f_bavail: free less reserved) is the same on both kernels and is
/// compared with df's own column. Sizes are rendered by `human_size`, itself checked against
/// `ls -lh` in `storage_oracles.rs`.
///
/// Mutation tried: 2.6.32's overhead counting the reserved GDT blocks (as the modern
/// kernel's does) → on 100 MiB ours read `96M 4.1M 87M 5%` against `97M 5.6M 87M 7%` and
/// this failed.
#[test]
fn df_at_the_prompt_matches_the_mounted_image() {
    let Some(found) = tools(&["mke2fs", "dumpe2fs", "mount", "umount", "df", "stat"]) else {
        return;
    };
    let (mke2fs, dumpe2fs, mount, umount, df, stat) = (
        &found[0], &found[1], &found[2], &found[3], &found[4], &found[5],
    );
    if !is_root() {
        eprintln!(
            "skipping: loop-mounting an image needs root (KVMLAB_REQUIRE_ORACLES asks for tools, not privileges)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("mke2fs.conf");
    std::fs::write(&conf, MKE2FS_CONF_RHEL6).unwrap();
    let conf = conf.to_str().unwrap().to_string();
    let mnt = dir.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let mnt_str = mnt.to_str().unwrap();
    for size in [100 * MIB, GIB, 95_000_000_000] {
        let answers = prompt(
            size,
            &[
                "mkfs.ext3 -q /dev/sdb",
                "mkdir /iscsi1 && mount /dev/sdb /iscsi1",
                "df -h /iscsi1",
            ],
        );
        let row: Vec<String> = answers[2]
            .stdout
            .lines()
            .nth(1)
            .unwrap()
            .split_whitespace()
            .map(str::to_string)
            .collect();

        let image = sparse_image(dir.path(), "df.img", size);
        let image_str = image.to_str().unwrap();
        let layout = ExtLayout::mkfs(FsType::Ext3, size, E2fsprogs::V1_41Rhel6).unwrap();
        let journal = format!("size={}", (layout.journal_blocks * layout.block_size) >> 20);
        ok(
            mke2fs,
            &["-F", "-q", "-t", "ext3", "-J", &journal, image_str],
            &[("MKE2FS_CONFIG", &conf)],
        );
        let listing = ok(dumpe2fs, &[image_str], &[]);
        let header = fields(&listing);
        let number = |key: &str| -> u64 { header[key].parse().unwrap() };
        let copies = listing
            .lines()
            .filter(|l| l.contains("superblock at"))
            .count() as u64;
        let (mounted, _, err) = run(mount, &["-o", "ro,loop", image_str, mnt_str], &[]);
        if !mounted {
            kvmlab_runtime::oracle::unavailable("mount -o loop", err.trim());
            return;
        }
        let statfs = ok(stat, &["-f", "-c", "%b %f %a %S", mnt_str], &[]);
        let real_df = ok(df, &["-h", mnt_str], &[]);
        ok(umount, &[mnt_str], &[]);
        let s: Vec<u64> = statfs
            .split_whitespace()
            .map(|n| n.parse().unwrap())
            .collect();
        let (blocks, free, avail, bsize) = (s[0], s[1], s[2], s[3]);
        let rhel6_blocks =
            blocks + number("Total journal blocks") + copies * number("Reserved GDT blocks");
        let used = rhel6_blocks - free;
        let expected = [
            human_size(rhel6_blocks * bsize),
            human_size(used * bsize),
            human_size(avail * bsize),
            format!("{}%", (used * 100).div_ceil(used + avail)),
        ];
        let case = format!("{size} bytes\nours: {}\ndf: {real_df}", answers[2].stdout);
        assert_eq!(row[1..5], expected, "{case}");
        let real_avail = real_df.lines().nth(1).unwrap().split_whitespace().nth(3);
        assert_eq!(Some(row[3].as_str()), real_avail, "{case}");
        std::fs::remove_file(&image).unwrap();
    }
}

/// What a real command left: its status, stdout and stderr.
#[derive(Debug)]
struct RealAnswer {
    status: i64,
    stdout: String,
    stderr: String,
}

/// Runs `setup`, then each of `lines`, in a bash of its own network and mount namespace
/// (`unshare -mn`, so nothing it starts is reachable from outside and nothing it writes
/// under /etc/iscsi or /run/tgtd outlives it); `teardown` runs last whatever happened.
/// `None` after `oracle::unavailable` when the namespace cannot be made.
fn in_a_namespace(setup: &str, lines: &[&str], teardown: &str) -> Option<Vec<RealAnswer>> {
    let dir = tempfile::tempdir().unwrap();
    let mut program = format!("set -u\ntrap '{teardown}' EXIT\n{setup}\n");
    for (i, line) in lines.iter().enumerate() {
        let d = dir.path().display();
        program.push_str(&format!(
            "{line} > {d}/{i}.out 2> {d}/{i}.err; echo $? > {d}/{i}.rc\n"
        ));
    }
    let (ran, _, err) = run(
        Path::new("timeout"),
        &["120", "unshare", "-mn", "bash", "-c", &program],
        &[],
    );
    let read = |i: usize, ext: &str| std::fs::read_to_string(dir.path().join(format!("{i}.{ext}")));
    if !ran || read(lines.len() - 1, "rc").is_err() {
        kvmlab_runtime::oracle::unavailable("unshare -mn", err.trim());
        return None;
    }
    Some(
        (0..lines.len())
            .map(|i| RealAnswer {
                status: read(i, "rc").unwrap().trim().parse().unwrap(),
                stdout: read(i, "out").unwrap(),
                stderr: read(i, "err").unwrap(),
            })
            .collect(),
    )
}

/// The lines of `text` that are not the host's complaints about having no systemd or
/// iscsid, which Debian's iscsiadm prints before it does without them.
fn iscsiadm_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| {
            !(l.contains("not been booted with systemd")
                || l.starts_with("Failed to connect to bus")
                || l.contains("can not connect to iSCSI daemon"))
        })
        .collect()
}

/// `iscsiadm` at the prompt answers as open-iscsi's iscsiadm does, beside tgt, the target
/// the real backend's NAS runs, exporting the same targets on the same portal inside a
/// network namespace.
///
/// iscsiadm cannot discover or log in here: it loads the kernel's iscsi_tcp transport
/// before it sends a SendTargets request, and this machine's kernel has no modules. What
/// the target answers to a discovery is therefore read with libiscsi's `iscsi-ls`, which
/// speaks iSCSI in user space; iscsiadm itself is compared where it needs no kernel: its
/// node records, made with `-o new` from what iscsi-ls found, empty listings, logins and
/// logouts with no record or no session, and getopt's refusals.
///
/// Era (open-iscsi 2.1.8 against RHEL 6's 2.0-872): a record made with `-o new` has no
/// portal group tag yet, which 2.1.8 lists as 4294967295 (2.0-872 as -1); a discovered
/// record has the target's tag, 1. 2.1.8 adds a second line to getopt's refusals naming
/// the mode. tgt sends its targets newest first, so the sets are compared.
///
/// Mutations tried: a login with no record answered kvmlab's "never discovered" (status 4),
/// a logout with no session "no session to" (4), getopt's "invalid option" as "unrecognized
/// character": each failed here.
#[test]
fn iscsiadm_at_the_prompt_answers_as_iscsiadm_and_tgt_do() {
    let Some(found) = tools(&["iscsiadm", "tgtd", "tgtadm", "iscsi-ls", "unshare", "ip"]) else {
        return;
    };
    if !is_root() {
        eprintln!("skipping: a network namespace with a target in it needs root");
        return;
    }
    // Called by its name, as getopt's refusals name argv[0].
    let iscsiadm = "iscsiadm";
    let (sbin, tgtd, tgtadm, iscsi_ls) = (
        found[0].parent().unwrap().display(),
        found[1].display(),
        found[2].display(),
        found[3].display(),
    );
    let second = "iqn.2006-01.com.thecus:iscsi2";
    let scratch = tempfile::tempdir().unwrap();
    let lun = sparse_image(scratch.path(), "lun.img", 64 * MIB);
    let setup = format!(
        "export PATH={sbin}:$PATH\n\
         ip link set lo up && ip addr add 10.10.1.10/24 dev lo\n\
         mount -t tmpfs tmpfs /etc/iscsi\n\
         echo InitiatorName=iqn.1994-05.com.redhat:sv1 > /etc/iscsi/initiatorname.iscsi\n\
         mkdir -p /run/tgtd && mount -t tmpfs tmpfs /run/tgtd\n\
         {tgtd} -f --iscsi portal=10.10.1.10:3260 >/dev/null 2>&1 &\n\
         tgtd_pid=$!\n\
         for _ in $(seq 50); do {tgtadm} --lld iscsi --op show --mode sys >/dev/null 2>&1 && break; sleep 0.1; done\n\
         {tgtadm} --lld iscsi --op new --mode target --tid 1 -T {REPORT_IQN}\n\
         {tgtadm} --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b {}\n\
         {tgtadm} --lld iscsi --op bind --mode target --tid 1 -I ALL\n\
         {tgtadm} --lld iscsi --op new --mode target --tid 2 -T {second}\n\
         {tgtadm} --lld iscsi --op bind --mode target --tid 2 -I ALL",
        lun.display()
    );
    let login = format!("-m node -T {REPORT_IQN} -p 10.10.1.10 -l");
    let logout = format!("-m node -T {REPORT_IQN} -u");
    let startup =
        format!("-m node -T {REPORT_IQN} -p 10.10.1.10 -o update -n node.startup -v automatic");
    let bad_startup = format!("-m node -T {REPORT_IQN} -o update -n node.startup -v bogus");
    // Compared line by line: (iscsiadm's words, compared whole or on the first line only).
    let before_records: [(&str, bool); 8] = [
        ("-m node", true),
        ("-m session", true),
        (&login, true),
        (&logout, true),
        ("-m node -T iqn.other -l", true),
        ("-m node -p", false),
        ("-m node -z", false),
        ("-m node --bogus", false),
    ];
    let after_records: [(&str, bool); 4] = [
        (&startup, true),
        ("-m session", true),
        (&logout, true),
        (&bad_startup, false),
    ];
    let mut real_lines: Vec<String> = before_records
        .iter()
        .map(|(args, _)| format!("{iscsiadm} {args}"))
        .collect();
    real_lines.push(format!("{iscsi_ls} iscsi://10.10.1.10"));
    for iqn in [REPORT_IQN, second] {
        real_lines.push(format!("{iscsiadm} -m node -o new -T {iqn} -p 10.10.1.10"));
    }
    real_lines.push(format!("{iscsiadm} -m node"));
    real_lines.extend(
        after_records
            .iter()
            .map(|(args, _)| format!("{iscsiadm} {args}")),
    );
    let real_refs: Vec<&str> = real_lines.iter().map(String::as_str).collect();
    let teardown = "kill -9 $tgtd_pid 2>/dev/null; wait";
    let Some(real) = in_a_namespace(&setup, &real_refs, teardown) else {
        return;
    };

    let mut ours_lines: Vec<String> = before_records
        .iter()
        .map(|(args, _)| format!("iscsiadm {args}"))
        .collect();
    ours_lines.push("iscsiadm -m discovery -t st -p 10.10.1.10".into());
    ours_lines.push("iscsiadm -m node".into());
    ours_lines.extend(
        after_records
            .iter()
            .map(|(args, _)| format!("iscsiadm {args}")),
    );
    let ours_refs: Vec<&str> = ours_lines.iter().map(String::as_str).collect();
    let ours = prompt_beside(&[(REPORT_IQN, 64 * MIB), (second, 64 * MIB)], &ours_refs);

    let compare = |ours: &Answer, real: &RealAnswer, whole: bool, line: &str| {
        let case = format!("`{line}`\nours: {ours:?}\nreal: {real:?}");
        assert_eq!(ours.status, real.status, "{case}");
        assert_eq!(ours.stdout, real.stdout, "{case}");
        let (ours_err, real_err) = (iscsiadm_lines(&ours.stderr), iscsiadm_lines(&real.stderr));
        if whole {
            assert_eq!(ours_err, real_err, "{case}");
        } else {
            assert_eq!(ours_err.first(), real_err.first(), "{case}");
        }
    };
    let n = before_records.len();
    for (i, (args, whole)) in before_records.iter().enumerate() {
        compare(&ours[i], &real[i], *whole, args);
    }

    // Discovery: the targets tgt offers on the portal, with their portal group tag.
    let offered: std::collections::BTreeSet<String> = real[n]
        .stdout
        .lines()
        .map(|l| {
            let (target, portal) = l
                .strip_prefix("Target:")
                .and_then(|rest| rest.split_once(" Portal:"))
                .unwrap_or_else(|| panic!("iscsi-ls printed {l:?}"));
            format!("{portal} {target}")
        })
        .collect();
    assert_eq!(real[n].status, 0, "{:?}", real[n]);
    assert_eq!(ours[n].status, 0, "{:?}", ours[n]);
    let discovered: std::collections::BTreeSet<String> =
        ours[n].stdout.lines().map(str::to_string).collect();
    assert_eq!(discovered, offered, "ours: {:?}", ours[n]);

    // The node records: the same lines but for the tag a record made by hand lacks.
    for made in &real[n + 1..n + 3] {
        assert_eq!(made.status, 0, "{made:?}");
        assert!(made.stdout.starts_with("New iSCSI node [tcp:"), "{made:?}");
    }
    let untagged = |text: &str| -> std::collections::BTreeSet<String> {
        text.lines()
            .map(|l| {
                let (portal, target) = l.split_once(' ').unwrap();
                let (address, _tag) = portal.rsplit_once(',').unwrap();
                format!("{address} {target}")
            })
            .collect()
    };
    let real_records = &real[n + 3];
    assert_eq!(real_records.status, 0, "{real_records:?}");
    assert!(
        real_records
            .stdout
            .lines()
            .all(|l| l.contains(",4294967295 ")),
        "{real_records:?}"
    );
    assert_eq!(
        untagged(&ours[n + 1].stdout),
        untagged(&real_records.stdout)
    );
    assert!(
        ours[n + 1].stdout.lines().all(|l| l.contains(",1 ")),
        "{:?}",
        ours[n + 1]
    );

    for (i, (args, whole)) in after_records.iter().enumerate() {
        compare(&ours[n + 2 + i], &real[n + 4 + i], *whole, args);
    }
}

/// `mount` and `umount` at the prompt list and refuse as util-linux does, beside a real
/// loop mount of an image formatted the same way (as root).
///
/// Era (util-linux 2.38 against RHEL 6's util-linux-ng 2.17.2): 2.38 lists the kernel's
/// mount table, so it shows the kernel's options (`rw,relatime`); 2.17.2 listed /etc/mtab,
/// the options as typed (`rw`). 2.38 puts the path first in its errors (`mount: /mnt: mount
/// point does not exist.`), where 2.17.2 wrote `mount: mount point /mnt does not exist`;
/// 2.38's umount exits 32 as mount does, 2.17.2's exited 1. Each case below gives both
/// forms: the real tool must print the one, the prompt the other, with the same status
/// where the eras agree.
///
/// Mutation tried: the prompt's listing giving `defaults` as typed for the options → the
/// first-option check failed.
#[test]
fn mount_at_the_prompt_lists_and_refuses_as_mount_does() {
    let Some(found) = tools(&["mke2fs", "mount", "umount", "losetup"]) else {
        return;
    };
    if !is_root() {
        eprintln!("skipping: loop-mounting an image needs root");
        return;
    }
    let (mke2fs, mount, umount, losetup) = (
        found[0].display(),
        found[1].display(),
        found[2].display(),
        found[3].display(),
    );
    let dir = tempfile::tempdir().unwrap();
    let blank = sparse_image(dir.path(), "blank.img", 64 * MIB);
    let formatted = sparse_image(dir.path(), "ext3.img", 64 * MIB);
    let (made, _, err) = run(
        Path::new(&mke2fs.to_string()),
        &["-F", "-q", "-t", "ext3", formatted.to_str().unwrap()],
        &[],
    );
    assert!(made, "{err}");
    let mnt = dir.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let (mnt, blank, formatted) = (mnt.display(), blank.display(), formatted.display());
    let missing = dir.path().join("nowhere");
    let missing = missing.display();
    let missing_device = "/dev/kvmlab-no-such-disk";
    let setup = format!(
        "loop=$({losetup} -f --show {formatted}) && blank=$({losetup} -f --show {blank}) || exit 1"
    );
    let teardown = format!("{umount} {mnt} 2>/dev/null; {losetup} -d $loop $blank 2>/dev/null");
    let real_lines = [
        format!("{mount} {missing_device} {mnt}"),
        format!("{mount} $loop {missing}"),
        format!("{mount} -t ext3 $blank {mnt}"),
        format!("{mount} -t ext3 $loop {mnt}"),
        format!("{mount} | grep ' on {mnt} '"),
        format!("{mount} -t ext3 $loop {mnt}"),
        format!("{umount} {mnt}"),
        format!("{umount} {mnt}"),
        format!("{mount} -t ext3 -o ro $loop {mnt}"),
        format!("{mount} | grep ' on {mnt} '"),
        format!("{umount} {mnt}"),
    ];
    let real_refs: Vec<&str> = real_lines.iter().map(String::as_str).collect();
    let Some(real) = in_a_namespace(&setup, &real_refs, &teardown) else {
        return;
    };
    // sv1's /dev/sdb is the blank LUN, /dev/sdc the formatted one.
    let blank_iqn = "iqn.2006-01.com.thecus:blank";
    let ours = prompt_beside(
        &[(blank_iqn, 64 * MIB), (REPORT_IQN, 64 * MIB)],
        &[
            "iscsiadm -m discovery -t st -p 10.10.1.10",
            &format!("iscsiadm -m node -T {blank_iqn} -p 10.10.1.10 -l"),
            &format!("iscsiadm -m node -T {REPORT_IQN} -p 10.10.1.10 -l"),
            "mkfs.ext3 -q /dev/sdc && mkdir /mnt",
            &format!("mount {missing_device} /mnt"),
            "mount /dev/sdc /nowhere",
            "mount -t ext3 /dev/sdb /mnt",
            "mount -t ext3 /dev/sdc /mnt",
            "mount | grep ' on /mnt '",
            "mount -t ext3 /dev/sdc /mnt",
            "umount /mnt",
            "umount /mnt",
            "mount -t ext3 -o ro /dev/sdc /mnt",
            "mount | grep ' on /mnt '",
            "umount /mnt",
        ],
    )
    .split_off(4);
    let real_loop = real[4]
        .stdout
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_string();
    // Per line: (the real tool's stderr, the prompt's), with the statuses each era gives.
    let refusals: [(usize, String, String, i64); 6] = [
        (
            0,
            format!("mount: {mnt}: special device {missing_device} does not exist."),
            format!("mount: special device {missing_device} does not exist"),
            32,
        ),
        (
            1,
            format!("mount: {missing}: mount point does not exist."),
            "mount: mount point /nowhere does not exist".into(),
            32,
        ),
        (
            2,
            format!("mount: {mnt}: wrong fs type, bad option, bad superblock on "),
            "mount: wrong fs type, bad option, bad superblock on /dev/sdb, ".into(),
            32,
        ),
        (
            5,
            format!("mount: {mnt}: {real_loop} already mounted on {mnt}."),
            "mount: /dev/sdc already mounted or /mnt busy".into(),
            32,
        ),
        (
            7,
            format!("umount: {mnt}: not mounted."),
            "umount: /mnt: not mounted".into(),
            1,
        ),
        (10, String::new(), String::new(), 0),
    ];
    for (i, real_words, our_words, our_status) in &refusals {
        let case = format!("line {i}\nours: {:?}\nreal: {:?}", ours[*i], real[*i]);
        assert!(real[*i].stderr.starts_with(real_words.as_str()), "{case}");
        assert!(ours[*i].stderr.starts_with(our_words.as_str()), "{case}");
        let real_status = if *i == 7 { 32 } else { *our_status };
        assert_eq!(real[*i].status, real_status, "{case}");
        assert_eq!(ours[*i].status, *our_status, "{case}");
    }
    for (listing, mode) in [(4, "rw"), (9, "ro")] {
        let case = format!("ours: {:?}\nreal: {:?}", ours[listing], real[listing]);
        // `SOURCE on DIR type TYPE (OPTIONS)`: the type, the first option, all options.
        let shape = |line: &str| -> (String, String, String) {
            let (_, rest) = line.split_once(" type ").unwrap();
            let (fstype, options) = rest.trim_end().split_once(" (").unwrap();
            let first = options.trim_end_matches(')').split(',').next().unwrap();
            (fstype.to_string(), first.to_string(), options.to_string())
        };
        let (real_type, real_first, real_options) = shape(&real[listing].stdout);
        let (our_type, our_first, our_options) = shape(&ours[listing].stdout);
        assert_eq!(
            (real_type.as_str(), real_first.as_str()),
            ("ext3", mode),
            "{case}"
        );
        assert_eq!(
            (our_type.as_str(), our_first.as_str()),
            ("ext3", mode),
            "{case}"
        );
        assert_eq!(our_options, format!("{mode})"), "{case}");
        assert!(real_options.contains("relatime"), "{case}");
        assert!(
            ours[listing]
                .stdout
                .starts_with("/dev/sdc on /mnt type ext3 ("),
            "{case}"
        );
        assert!(
            real[listing]
                .stdout
                .starts_with(&format!("{real_loop} on {mnt} type ext3 (")),
            "{case}"
        );
    }
    for i in [3, 6, 8] {
        assert_eq!(
            (real[i].status, ours[i].status),
            (0, 0),
            "line {i}: {:?} {:?}",
            real[i],
            ours[i]
        );
    }
}
