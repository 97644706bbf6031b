//! The real tools are the oracle for the storage numbers a trainee sees: GNU parted places
//! partitions on sparse image files, mke2fs formats them and dumpe2fs reads back the block
//! counts, findmnt parses generated fstab files, and `ls -lh` rounds sizes as `df -h` does.
//! kvmlab's model must agree with each of them.
//!
//! A missing tool makes its test print why and pass, unless `KVMLAB_REQUIRE_ORACLES=1`
//! (CI sets it), which turns a missing tool into a failure. Debian packages: parted, fdisk,
//! e2fsprogs, util-linux (findmnt), coreutils.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use kvmlab_runtime::units::human_size;
use kvmlab_runtime::world::storage::fs::{E2fsprogs, ExtLayout, FsType, Kernel};
use kvmlab_runtime::world::storage::fstab::Fstab;
use kvmlab_runtime::world::storage::partition::{Disk, LabelKind, UtilLinux};

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;
const TIB: u64 = 1 << 40;

/// The stock mke2fs.conf of e2fsprogs 1.47, so the host's own configuration cannot change
/// the oracle's answers.
const MKE2FS_CONF_1_47: &str = "[defaults]
	base_features = sparse_super,large_file,filetype,resize_inode,dir_index,ext_attr
	default_mntopts = acl,user_xattr
	enable_periodic_fsck = 0
	blocksize = 4096
	inode_size = 256
	inode_ratio = 16384
[fs_types]
	ext3 = {
		features = has_journal
	}
	ext4 = {
		features = has_journal,extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize
	}
	small = {
		blocksize = 1024
		inode_ratio = 4096
	}
	floppy = {
		blocksize = 1024
		inode_ratio = 8192
	}
	big = {
		inode_ratio = 32768
	}
	huge = {
		inode_ratio = 65536
	}
";

/// RHEL 6's e2fsprogs 1.41.12 defaults (128-byte inodes on small file systems, no big/huge
/// types); its smaller journal table is passed as `-J size=`.
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

/// The tools a test needs, or `None` after saying why the test is skipped.
fn tools(names: &[&str]) -> Option<Vec<PathBuf>> {
    let mut found = Vec::new();
    for name in names {
        match find_tool(name) {
            Some(path) => found.push(path),
            None => {
                let message = format!("oracle `{name}` is not installed");
                if std::env::var("KVMLAB_REQUIRE_ORACLES").as_deref() == Ok("1") {
                    panic!("{message} and KVMLAB_REQUIRE_ORACLES=1");
                }
                eprintln!("skipping: {message} (set KVMLAB_REQUIRE_ORACLES=1 to make this fatal)");
                return None;
            }
        }
    }
    Some(found)
}

fn run(tool: &Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    run_in(Path::new("."), tool, args, env)
}

fn run_in(dir: &Path, tool: &Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let output = Command::new(tool)
        .current_dir(dir)
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

/// Where the images go: RAM-backed tmpfs when the machine has one. A formatted 5 TiB image
/// really holds 1.4 GB (journal and group descriptors), and several tests format at once, so
/// a build disk with little room left would fail them with `No space left on device`.
fn scratch_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(dir) = tempfile::tempdir_in(shm) {
            return dir;
        }
    }
    tempfile::tempdir().unwrap()
}

fn sparse_image(dir: &Path, name: &str, size: u64) -> PathBuf {
    let path = dir.join(name);
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(size).unwrap();
    path
}

/// One mkpart: name, START, END.
type Request = (&'static str, &'static str, &'static str);

/// Scenarios run on every size: whole disk, exact binary units, fuzzy decimal and percent
/// positions, adjacent and overlapping partitions, GPT's reserved sectors.
fn scenarios() -> Vec<Vec<Request>> {
    vec![
        vec![("p1", "0%", "100%")],
        vec![("p1", "1MiB", "100%")],
        vec![("p1", "1MB", "40%"), ("p2", "40%", "100%")],
        vec![
            ("p1", "1MiB", "30%"),
            ("p2", "30%", "60%"),
            ("p3", "60%", "-1s"),
        ],
        vec![("p1", "10%", "20%"), ("p2", "15%", "30%")],
        vec![("p1", "34s", "50%"), ("p2", "50%", "-34s")],
        vec![
            ("p1", "2048s", "10%"),
            ("p2", "33%", "66%"),
            ("p3", "11%", "32%"),
        ],
        vec![("p1", "1kB", "2kB")],
        vec![("p1", "0%", "2199GB")],
        vec![("p1", "1.5TiB", "100%")],
        vec![("p1", "1GB", "100%"), ("p2", "1MB", "900MB")],
        vec![("p1", "0%", "100%"), ("p2", "50%", "60%")],
    ]
}

/// parted's partitions, read back with `print` in a separate run: (number, start, end).
fn parted_partitions(parted: &Path, image: &str) -> Vec<(u32, u64, u64)> {
    let (_, out, _) = run(
        parted,
        &["-s", "-m", "--", image, "unit", "s", "print"],
        &[],
    );
    out.lines()
        .skip(2)
        .filter_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            let sector = |s: &str| s.trim_end_matches('s').parse::<u64>().ok();
            Some((
                f.first()?.parse().ok()?,
                sector(f.get(1)?)?,
                sector(f.get(2)?)?,
            ))
        })
        .collect()
}

fn expected_code(stderr: &str) -> &'static str {
    if stderr.contains("closest location") {
        "kvmlab::storage::partition_overlap"
    } else if stderr.contains("outside of the device") {
        "kvmlab::storage::outside_disk"
    } else if stderr.contains("msdos-partition-table-imposed") {
        "kvmlab::storage::msdos_2tib_limit"
    } else if stderr.contains("overlapping partitions")
        || stderr.contains("Unable to satisfy all constraints")
    {
        "kvmlab::storage::no_free_space"
    } else if stderr.contains("end before the start") {
        "kvmlab::storage::end_before_start"
    } else {
        "unknown parted error"
    }
}

#[test]
fn parted_places_partitions_where_kvmlab_does() {
    let Some(found) = tools(&["parted"]) else {
        return;
    };
    let parted = &found[0];
    let dir = scratch_dir();
    let mut compared = 0;
    for size in [100 * MIB, GIB, 20 * GIB, 88 * GIB, 3 * TIB, 5 * TIB] {
        for label in [LabelKind::Gpt, LabelKind::Msdos] {
            for requests in scenarios() {
                let image = sparse_image(dir.path(), "disk.img", size);
                let image_str = image.to_str().unwrap();
                let mut args = vec![
                    "-s",
                    "-m",
                    "--",
                    image_str,
                    "unit",
                    "s",
                    "mklabel",
                    label.name(),
                ];
                for (name, start, end) in &requests {
                    let kind = if label == LabelKind::Gpt {
                        *name
                    } else {
                        "primary"
                    };
                    args.extend([kind, "ext3", *start, *end]);
                    args.insert(args.len() - 4, "mkpart");
                }
                let (ok, _, stderr) = run(parted, &args, &[]);
                let theirs = parted_partitions(parted, image_str);

                let mut disk = Disk::new(image_str, " (file)", size);
                disk.mklabel(label.name()).unwrap();
                let mut our_error = None;
                for (name, start, end) in &requests {
                    let kind = if label == LabelKind::Gpt {
                        *name
                    } else {
                        "primary"
                    };
                    if let Err(e) = disk.mkpart(kind, "ext3", start, end) {
                        our_error = Some(e.code_str());
                        break;
                    }
                }
                let ours: Vec<(u32, u64, u64)> = disk
                    .partitions()
                    .iter()
                    .map(|p| (p.number, p.start, p.end))
                    .collect();
                let case = format!("{size} bytes, {}, {requests:?}", label.name());
                assert_eq!(
                    ours, theirs,
                    "{case}: partitions differ\nparted said: {stderr}"
                );
                let parted_error = (!ok).then(|| expected_code(&stderr).to_string());
                assert_eq!(our_error, parted_error, "{case}: parted said: {stderr}");
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 6 * 2 * scenarios().len());
}

#[test]
fn parted_print_and_fdisk_list_read_the_same() {
    let Some(found) = tools(&["parted", "fdisk"]) else {
        return;
    };
    let (parted, fdisk) = (&found[0], &found[1]);
    let dir = scratch_dir();
    for (size, label) in [
        (GIB, "gpt"),
        (GIB, "msdos"),
        (20 * GIB, "gpt"),
        (5 * TIB, "gpt"),
    ] {
        let image = sparse_image(dir.path(), "print.img", size);
        let image_str = image.to_str().unwrap();
        let kind = |name| if label == "gpt" { name } else { "primary" };
        let mut args = vec!["-s", image_str, "mklabel", label];
        args.extend(["mkpart", kind("boot"), "ext3", "1MiB", "100MiB"]);
        args.extend(["mkpart", kind("data"), "", "100MiB", "100%"]);
        args.retain(|a| !a.is_empty());
        assert!(run(parted, &args, &[]).0);
        let mut disk = Disk::new(image_str, " (file)", size);
        disk.mklabel(label).unwrap();
        disk.mkpart(kind("boot"), "ext3", "1MiB", "100MiB").unwrap();
        disk.mkpart(kind("data"), "", "100MiB", "100%").unwrap();

        let (_, printed, _) = run(parted, &["-s", image_str, "print"], &[]);
        assert_eq!(disk.parted_print(), printed, "{size} {label}");
        let (_, printed, _) = run(parted, &["-s", image_str, "unit", "s", "print"], &[]);
        assert_eq!(disk.parted_print_sectors(), printed, "{size} {label}");

        // fdisk names partitions after the path it was given (a short relative one keeps
        // its table within 80 columns) and picks a random identifier
        let (_, listed, _) = run_in(dir.path(), fdisk, &["-l", "print.img"], &[]);
        let without_identifier = |text: &str| -> Vec<String> {
            text.lines()
                .filter(|l| !l.starts_with("Disk identifier"))
                .map(str::to_string)
                .collect()
        };
        let mut ours = disk.clone();
        ours.model = String::new();
        ours.path = "print.img".into();
        assert_eq!(
            without_identifier(&ours.fdisk_list(UtilLinux::V2_38).stdout),
            without_identifier(&listed),
            "{size} {label}"
        );
    }
}

fn dumpe2fs_fields(dumpe2fs: &Path, image: &str) -> BTreeMap<String, String> {
    let (ok, out, err) = run(dumpe2fs, &["-h", image], &[]);
    assert!(ok, "dumpe2fs failed: {err}");
    out.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn field(fields: &BTreeMap<String, String>, name: &str) -> u64 {
    fields
        .get(name)
        .unwrap_or_else(|| panic!("dumpe2fs printed no `{name}`"))
        .parse()
        .unwrap()
}

/// How many groups hold a superblock, counted in dumpe2fs's full group listing.
fn superblock_copies(dumpe2fs: &Path, image: &str) -> u64 {
    let (_, out, _) = run(dumpe2fs, &[image], &[]);
    out.lines().filter(|l| l.contains("superblock at")).count() as u64
}

#[test]
fn mke2fs_lays_out_what_kvmlab_computes_and_df_follows() {
    let Some(found) = tools(&["mke2fs", "dumpe2fs"]) else {
        return;
    };
    let (mke2fs, dumpe2fs) = (&found[0], &found[1]);
    let dir = scratch_dir();
    let conf = dir.path().join("mke2fs.conf");
    std::fs::write(&conf, MKE2FS_CONF_1_47).unwrap();
    let conf = conf.to_str().unwrap().to_string();
    let cases = [
        (FsType::Ext3, 100 * MIB),
        (FsType::Ext3, GIB),
        (FsType::Ext3, GIB + MIB),
        (FsType::Ext3, 20 * GIB),
        (FsType::Ext3, 88 * GIB),
        (FsType::Ext3, 3 * TIB),
        (FsType::Ext3, 5 * TIB),
        (FsType::Ext2, 100 * MIB),
        (FsType::Ext2, 20 * GIB),
        (FsType::Ext4, 100 * MIB),
        (FsType::Ext4, 20 * GIB),
        (FsType::Ext4, 88 * GIB),
        (FsType::Ext4, 3 * TIB),
        (FsType::Ext4, 5 * TIB),
    ];
    for (fstype, size) in cases {
        let image = sparse_image(dir.path(), "fs.img", size);
        let image_str = image.to_str().unwrap();
        let (ok, _, err) = run(
            mke2fs,
            &["-F", "-q", "-t", fstype.name(), image_str],
            &[("MKE2FS_CONFIG", &conf)],
        );
        assert!(ok, "mke2fs failed: {err}");
        let real = dumpe2fs_fields(dumpe2fs, image_str);
        let ours = ExtLayout::mkfs(fstype, size, E2fsprogs::V1_47).unwrap();
        let case = format!("{} on {size} bytes", fstype.name());
        assert_eq!(ours.blocks, field(&real, "Block count"), "{case}");
        assert_eq!(ours.block_size, field(&real, "Block size"), "{case}");
        assert_eq!(ours.inodes, field(&real, "Inode count"), "{case}");
        assert_eq!(ours.free_inodes, field(&real, "Free inodes"), "{case}");
        assert_eq!(
            ours.reserved_blocks,
            field(&real, "Reserved block count"),
            "{case}"
        );
        assert_eq!(
            ours.reserved_gdt_blocks,
            field(&real, "Reserved GDT blocks"),
            "{case}"
        );
        assert_eq!(ours.free_blocks, field(&real, "Free blocks"), "{case}");
        let journal = real
            .get("Total journal blocks")
            .map_or(0, |v| v.parse().unwrap());
        assert_eq!(ours.journal_blocks, journal, "{case}");
        if size <= 20 * GIB {
            assert_eq!(
                ours.backup_groups,
                superblock_copies(dumpe2fs, image_str),
                "{case}"
            );
        }

        // The kernel's statfs: f_blocks = block count − overhead (superblock and descriptor
        // copies, reserved GDT, bitmaps, inode tables, journal; mke2fs 1.47 records the same
        // sum as "Overhead clusters"); f_bavail = free − reserved − (extents: min(2 %, 4096)).
        let overhead = field(&real, "Overhead clusters");
        let block_count = field(&real, "Block count");
        let free = field(&real, "Free blocks");
        let delalloc = if fstype == FsType::Ext4 {
            (block_count / 50).min(4096)
        } else {
            0
        };
        let avail = free - field(&real, "Reserved block count") - delalloc;
        let statfs = ours.statfs(Kernel::Modern);
        assert_eq!(statfs.blocks, block_count - overhead, "{case}");
        assert_eq!((statfs.free, statfs.available), (free, avail), "{case}");
        let bs = ours.block_size;
        let row = statfs.df_h_row("/dev/sda1", "/iscsi1");
        assert_eq!(
            row.size,
            human_size((block_count - overhead) * bs),
            "{case}"
        );
        assert_eq!(
            row.used,
            human_size((block_count - overhead - free) * bs),
            "{case}"
        );
        assert_eq!(row.avail, human_size(avail * bs), "{case}");
        std::fs::remove_file(&image).unwrap();
    }
}

#[test]
fn rhel6_defaults_lay_out_the_reports_file_system() {
    let Some(found) = tools(&["mke2fs", "dumpe2fs"]) else {
        return;
    };
    let (mke2fs, dumpe2fs) = (&found[0], &found[1]);
    let dir = scratch_dir();
    let conf = dir.path().join("mke2fs.conf");
    std::fs::write(&conf, MKE2FS_CONF_RHEL6).unwrap();
    let conf = conf.to_str().unwrap().to_string();
    for size in [100 * MIB, 88 * GIB, 95 * 1_000_000_000] {
        let ours = ExtLayout::mkfs(FsType::Ext3, size, E2fsprogs::V1_41Rhel6).unwrap();
        let image = sparse_image(dir.path(), "old.img", size);
        let image_str = image.to_str().unwrap();
        let journal = format!("size={}", (ours.journal_blocks * ours.block_size) >> 20);
        let (ok, _, err) = run(
            mke2fs,
            &["-F", "-q", "-t", "ext3", "-J", &journal, image_str],
            &[("MKE2FS_CONFIG", &conf)],
        );
        assert!(ok, "mke2fs failed: {err}");
        let real = dumpe2fs_fields(dumpe2fs, image_str);
        assert_eq!(ours.inodes, field(&real, "Inode count"), "{size}");
        assert_eq!(ours.inode_size, field(&real, "Inode size"), "{size}");
        assert_eq!(ours.free_blocks, field(&real, "Free blocks"), "{size}");
        assert_eq!(
            ours.reserved_gdt_blocks,
            field(&real, "Reserved GDT blocks"),
            "{size}"
        );
        std::fs::remove_file(&image).unwrap();
    }
}

/// mke2fs's own report beside the shell's `mkfs.ext3` (RHEL 6's defaults, e2fsprogs 1.47
/// here): the superblock backups, wrapped as mke2fs wraps them, and the journal line are
/// the same text. The era shows elsewhere: 1.47 opens with "Creating filesystem with N 4k
/// blocks and M inodes" and a UUID line where 1.41.12 lists the counts, and it does not
/// announce periodic checks, so those lines are not compared.
#[test]
fn mkfs_at_the_prompt_reports_the_superblock_backups_as_mke2fs_does() {
    let Some(found) = tools(&["mke2fs"]) else {
        return;
    };
    let mke2fs = &found[0];
    let dir = scratch_dir();
    let conf = dir.path().join("mke2fs.conf");
    std::fs::write(&conf, MKE2FS_CONF_RHEL6).unwrap();
    let conf = conf.to_str().unwrap().to_string();
    let section = |text: &str| -> String {
        let start = text.find("Superblock backups").map_or(String::new(), |at| {
            let rest = &text[at..];
            rest[..rest.find("\n\n").unwrap_or(rest.len())].to_string()
        });
        let journal = text
            .lines()
            .find(|l| l.starts_with("Creating journal"))
            .unwrap_or("")
            .to_string();
        format!("{start}\n{journal}")
    };
    for size in [100 * MIB, 88 * GIB, 95 * 1_000_000_000, 2 * TIB] {
        let ours = ExtLayout::mkfs(FsType::Ext3, size, E2fsprogs::V1_41Rhel6).unwrap();
        let image = sparse_image(dir.path(), "report.img", size);
        let image_str = image.to_str().unwrap();
        let journal = format!("size={}", (ours.journal_blocks * ours.block_size) >> 20);
        let (ok, out, err) = run(
            mke2fs,
            &["-F", "-t", "ext3", "-J", &journal, image_str],
            &[("MKE2FS_CONFIG", &conf)],
        );
        assert!(ok, "mke2fs failed: {err}");
        let shown = kvmlab_runtime::shell::mke2fs_report(&ours, "00");
        assert!(
            section(&out).starts_with("Superblock backups stored on blocks: \n\t")
                && section(&out).contains("\nCreating journal ("),
            "{size}: mke2fs said\n{out}"
        );
        assert_eq!(section(&shown), section(&out), "{size}:\n{out}");
        std::fs::remove_file(&image).unwrap();
    }
}

#[test]
fn findmnt_parses_fstab_as_kvmlab_does() {
    let Some(found) = tools(&["findmnt"]) else {
        return;
    };
    let findmnt = &found[0];
    let sources = ["/dev/sda1", "UUID=3f1c-77aa", "LABEL=iscsi1", "/dev/disk/by-path/ip-10.10.1.10:3260-iscsi-iqn.2006-01.com.openfiler:tsn.b5ffc134d692-lun-0", "nas:/export"];
    let targets = [
        "/iscsi1",
        "/guest",
        "/mnt/data\\040dir",
        "/srv/a\\011b",
        "/x\\y",
    ];
    let options = [
        "_netdev",
        "defaults",
        "rw,noatime,_netdev",
        "",
        "uid=500,gid=500",
    ];
    let tails = [
        "0 0",
        "1 2",
        "",
        "1",
        "+1 08",
        "0 0 extra fields",
        "x 0",
        "0 2x",
        "#c",
    ];
    let mut text = String::from("# generated fstab\n\n");
    let mut n = 0usize;
    for source in sources {
        for target in targets {
            for (i, option) in options.iter().enumerate() {
                let tail = tails[(n + i) % tails.len()];
                let sep = if n % 3 == 0 { "\t" } else { "  " };
                text.push_str(&format!("{source}{sep}{target} ext3 {option} {tail}\n"));
                n += 1;
            }
        }
        text.push_str(&format!("   # about {source}\nbroken {source}\n"));
    }
    let dir = scratch_dir();
    let file = dir.path().join("fstab");
    std::fs::write(&file, &text).unwrap();
    let (_, out, err) = run(
        findmnt,
        &[
            "--tab-file",
            file.to_str().unwrap(),
            "-J",
            "-o",
            "SOURCE,TARGET,FSTYPE,OPTIONS,FREQ,PASSNO",
        ],
        &[],
    );
    let json: serde_json::Value = serde_json::from_str(&out).expect("findmnt JSON");
    let theirs: Vec<(String, String, String, Option<String>, i64, i64)> = json["filesystems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|fs| {
            (
                fs["source"].as_str().unwrap().to_string(),
                fs["target"].as_str().unwrap().to_string(),
                fs["fstype"].as_str().unwrap().to_string(),
                fs["options"].as_str().map(str::to_string),
                fs["freq"].as_i64().unwrap(),
                fs["passno"].as_i64().unwrap(),
            )
        })
        .collect();
    let fstab = Fstab::parse(&text);
    let ours: Vec<_> = fstab
        .entries
        .iter()
        .map(|e| {
            (
                e.source.clone(),
                e.target.clone(),
                e.fstype.clone(),
                e.options.clone(),
                i64::from(e.freq),
                i64::from(e.passno),
            )
        })
        .collect();
    assert_eq!(ours, theirs);
    let their_errors: Vec<usize> = err
        .lines()
        .filter_map(|l| l.split("parse error at line ").nth(1))
        .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
        .collect();
    let our_errors: Vec<usize> = fstab
        .errors
        .iter()
        .map(|e| match e {
            kvmlab_runtime::Error::FstabSyntax { line, .. } => *line,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(our_errors, their_errors);
    assert!(
        ours.len() > 50 && our_errors.len() > 20,
        "{} entries, {} errors",
        ours.len(),
        our_errors.len()
    );
}

#[test]
fn ls_rounds_sizes_like_human_size() {
    let Some(found) = tools(&["ls"]) else {
        return;
    };
    let dir = scratch_dir();
    let sizes = [
        0,
        1023,
        1024,
        1025,
        10 * 1024 - 1,
        1_048_063,
        1_048_575,
        1_048_577,
        9_771_050_598,
        9_771_050_599,
        88 * GIB - 1,
        95_000_000_000,
        GIB * 1023 + 1,
        5_000_000_000_000,
    ];
    for size in sizes {
        let file = sparse_image(dir.path(), "sized", size);
        let (_, out, _) = run(&found[0], &["-lh", file.to_str().unwrap()], &[]);
        let column = out.split_whitespace().nth(4).unwrap().to_string();
        assert_eq!(human_size(size), column, "{size} bytes");
    }
}
