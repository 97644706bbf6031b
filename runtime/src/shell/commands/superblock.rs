//! What a device's first blocks say: `tune2fs -l` (e2fsprogs 1.41.12's superblock listing)
//! and `blkid` (util-linux-ng 2.17.2's tags), both read from the file system the world holds,
//! the same layout mke2fs's report was printed from, and the UUID `UUID=` in fstab mounts by.
//!
//! The lab keeps no dates and no count of mounts, so the superblock's timestamps (created,
//! last mount, last write, last checked, next check) and its mount count are left out of the
//! listing rather than invented; everything else is the line e2fsprogs prints.

use super::{options, usage};
use crate::error::Error;
use crate::shell::exec::{Output, Shell};
use crate::world::storage::blockdev::{derived_uuid, ExtFs};
use crate::world::storage::fs::FsType;
use crate::world::volumes::{Probed, HOST_KERNEL};

/// e2fsprogs' banner, which tune2fs prints on stdout before anything else.
const TUNE2FS_BANNER: &str = "tune2fs 1.41.12 (17-May-2010)\n";

/// tune2fs 1.41.12's usage, on stderr.
const TUNE2FS_USAGE: &str = "Usage: tune2fs [-c max_mounts_count] [-e errors_behavior] [-g group]
\t[-i interval[d|m|w]] [-j] [-J journal_options] [-l]
\t[-m reserved_blocks_percent] [-o [^]mount_options[,...]]
\t[-r reserved_blocks_count] [-u user] [-C mount_count] [-L volume_label]
\t[-M last_mounted_dir] [-O [^]feature[,...]]
\t[-E extended-option[,...]] [-T last_check_time] [-U UUID]
\t[ -I new_inode_size ] device
";

/// `tune2fs -l DEVICE`: the superblock listing. The options that change a file system are
/// not at the prompt.
pub fn tune2fs(shell: &mut Shell, args: &[String], _: &str) -> Output {
    let args = match options(shell, "tune2fs", args, "lj", "cCeEgiIJLmMoOrTuU") {
        Ok(a) => a,
        Err(out) => return out,
    };
    let [device] = args.operands.as_slice() else {
        let mut out = Output::failed(1, TUNE2FS_USAGE);
        out.stdout = TUNE2FS_BANNER.into();
        return out;
    };
    if !args.has('l') || args.options.iter().any(|(flag, _)| *flag != 'l') {
        let error = Error::ShellUnsupported {
            what: "kvmlab's tune2fs lists the superblock (`tune2fs -l DEVICE`); it changes nothing"
                .into(),
            help: format!("e.g. `tune2fs -l {device}`"),
        };
        let mut out = shell.failure("tune2fs", error);
        out.stdout = TUNE2FS_BANNER.into();
        return out;
    }
    let world = shell.backend.world();
    let probe = world.probe_device(shell.host, device);
    let reason = match &probe {
        Some(found) => match found.holds {
            Probed::Ext(fs) => {
                return Output::ok(format!(
                    "{TUNE2FS_BANNER}{}",
                    superblock_listing(fs, found.mounted_rw)
                ))
            }
            _ => "Bad magic number in super-block",
        },
        None => "No such file or directory",
    };
    Output {
        status: 1,
        stdout: TUNE2FS_BANNER.into(),
        stderr: format!(
            "tune2fs: {reason} while trying to open {device}\nCouldn't find valid filesystem superblock.\n"
        ),
    }
}

/// The features RHEL 6's mke2fs.conf gives each type, in e2fsprogs' order (compatible,
/// incompatible, read-only compatible, each by bit); `needs_recovery` while the journal is
/// in use (mounted read-write). `large_file` comes with the resize inode once its size
/// needs 64 bits (4 KiB blocks).
fn features(fs: &ExtFs, mounted_rw: bool) -> Vec<&'static str> {
    let l = &fs.layout;
    let journal = l.fstype.has_journal();
    let ext4 = l.fstype == FsType::Ext4;
    let resize = l.reserved_gdt_blocks > 0;
    let large_file = resize && l.block_size >= 4096;
    [
        (journal, "has_journal"),
        (true, "ext_attr"),
        (resize, "resize_inode"),
        (true, "dir_index"),
        (true, "filetype"),
        (journal && mounted_rw, "needs_recovery"),
        (ext4, "extent"),
        (ext4, "flex_bg"),
        (true, "sparse_super"),
        (large_file || ext4, "large_file"),
        (ext4, "huge_file"),
        (ext4, "uninit_bg"),
        (ext4, "dir_nlink"),
        (ext4, "extra_isize"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect()
}

/// e2fsprogs 1.41.12's `list_super2` for the file system, without the lines the lab cannot
/// know (see the module's doc); `mounted_rw` while a host has it mounted read-write.
pub fn superblock_listing(fs: &ExtFs, mounted_rw: bool) -> String {
    let l = &fs.layout;
    let statfs = fs.statfs(HOST_KERNEL);
    let ext4 = l.fstype == FsType::Ext4;
    // ext2 marks itself unclean while mounted; a journal makes that unnecessary
    let state = if mounted_rw && !l.fstype.has_journal() {
        "not clean"
    } else {
        "clean"
    };
    let mut rows: Vec<(&str, String)> = vec![
        ("Filesystem volume name", "<none>".into()),
        ("Last mounted on", "<not available>".into()),
        ("Filesystem UUID", fs.uuid.clone()),
        ("Filesystem magic number", "0xEF53".into()),
        ("Filesystem revision #", "1 (dynamic)".into()),
        ("Filesystem features", features(fs, mounted_rw).join(" ")),
        ("Filesystem flags", "signed_directory_hash ".into()),
        ("Default mount options", "(none)".into()),
        ("Filesystem state", state.into()),
        ("Errors behavior", "Continue".into()),
        ("Filesystem OS type", "Linux".into()),
        ("Inode count", l.inodes.to_string()),
        ("Block count", l.blocks.to_string()),
        ("Reserved block count", l.reserved_blocks.to_string()),
        ("Free blocks", statfs.free.to_string()),
        ("Free inodes", statfs.files_free.to_string()),
        ("First block", l.first_data_block.to_string()),
        ("Block size", l.block_size.to_string()),
        ("Fragment size", l.block_size.to_string()),
    ];
    if l.reserved_gdt_blocks > 0 {
        rows.push(("Reserved GDT blocks", l.reserved_gdt_blocks.to_string()));
    }
    rows.extend([
        ("Blocks per group", l.blocks_per_group.to_string()),
        ("Fragments per group", l.blocks_per_group.to_string()),
        ("Inodes per group", l.inodes_per_group.to_string()),
        ("Inode blocks per group", l.inode_table_blocks.to_string()),
    ]);
    if ext4 {
        rows.push(("Flex block group size", "16".into()));
    }
    rows.extend([
        ("Maximum mount count", max_mount_count(&fs.uuid).to_string()),
        // RHEL 6's mke2fs 1.41.12 sets a check every 180 days
        ("Check interval", "15552000 (6 months)".into()),
        ("Reserved blocks uid", "0 (user root)".into()),
        ("Reserved blocks gid", "0 (group root)".into()),
        ("First inode", "11".into()),
        // e2fsprogs' own format string has a tab after "Inode size:"
        ("Inode size:\t          ", l.inode_size.to_string()),
    ]);
    if ext4 {
        rows.push(("Required extra isize", "28".into()));
        rows.push(("Desired extra isize", "28".into()));
    }
    if l.fstype.has_journal() {
        rows.push(("Journal inode", "8".into()));
    }
    rows.extend([
        ("Default directory hash", "half_md4".into()),
        // mke2fs draws the seed at random; here it follows from the UUID, as the UUID
        // follows from the device and the mkfs run.
        (
            "Directory Hash Seed",
            derived_uuid(&format!("{}#hash-seed", fs.uuid)),
        ),
    ]);
    if l.fstype.has_journal() {
        rows.push(("Journal backup", "inode blocks".into()));
    }
    rows.iter()
        .map(|(name, value)| {
            if name.contains('\t') {
                format!("{name}{value}\n")
            } else {
                format!("{:<26}{value}\n", format!("{name}:"))
            }
        })
        .collect()
}

/// The mount count between checks mke2fs chose, as its report said (`mke2fs_report`).
pub fn max_mount_count(uuid: &str) -> u32 {
    20 + u32::from_str_radix(uuid.get(..2).unwrap_or("0"), 16).unwrap_or(0) % 20
}

/// `blkid [-o value|device|full] [-s TAG]... [DEVICE...]`: the tags of each device that
/// holds something; with no device, every device of the host. Status 2 when nothing is found.
pub fn blkid(shell: &mut Shell, args: &[String], _: &str) -> Output {
    let args = match options(shell, "blkid", args, "", "os") {
        Ok(a) => a,
        Err(mut out) => {
            out.status = 4;
            return out;
        }
    };
    let format = args.value('o').unwrap_or("full");
    if !matches!(format, "full" | "value" | "device") {
        return usage("blkid", &format!("unsupported output format {format}"), 4);
    }
    let wanted: Vec<&str> = args
        .options
        .iter()
        .filter(|(flag, _)| *flag == 's')
        .filter_map(|(_, tag)| tag.as_deref())
        .collect();
    let world = shell.backend.world();
    let probes = if args.operands.is_empty() {
        world.probe_all(shell.host)
    } else {
        // blkid opens its operands as paths: `UUID=…` is no device to it (`-U` would be)
        args.operands
            .iter()
            .filter(|dev| !dev.starts_with("UUID=") && !dev.starts_with("LABEL="))
            .filter_map(|dev| {
                world.probe_device(shell.host, dev).map(|mut p| {
                    // blkid names a device as it was asked for
                    p.device = dev.clone();
                    p
                })
            })
            .collect()
    };
    let mut out = Output::failed(2, "");
    for probe in probes {
        let tags: Vec<(&str, String)> = match &probe.holds {
            Probed::Ext(fs) => {
                let mut tags = vec![("UUID", fs.uuid.clone())];
                // libblkid 2.17 marks ext3 as mountable by the ext2 driver too
                if fs.fstype() == FsType::Ext3 {
                    tags.push(("SEC_TYPE", "ext2".into()));
                }
                tags.push(("TYPE", fs.fstype().name().into()));
                tags
            }
            Probed::Swap(uuid) => vec![("UUID", uuid.clone()), ("TYPE", "swap".into())],
            Probed::Nothing => continue,
        };
        let shown: Vec<&(&str, String)> = tags
            .iter()
            .filter(|(tag, _)| wanted.is_empty() || wanted.contains(tag))
            .collect();
        if shown.is_empty() {
            continue;
        }
        out.status = 0;
        match format {
            "value" => {
                for (_, value) in shown {
                    out.stdout.push_str(&format!("{value}\n"));
                }
            }
            "device" => out.stdout.push_str(&format!("{}\n", probe.device)),
            // util-linux-ng 2.17 writes a space after every tag, the last one too
            _ => {
                out.stdout.push_str(&format!("{}: ", probe.device));
                for (tag, value) in shown {
                    out.stdout.push_str(&format!("{tag}=\"{value}\" "));
                }
                out.stdout.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::world::storage::fs::{E2fsprogs, ExtLayout};

    fn listed(fstype: FsType, size: u64, mounted_rw: bool) -> BTreeMap<String, String> {
        let layout = ExtLayout::mkfs(fstype, size, E2fsprogs::V1_41Rhel6).unwrap();
        let fs = ExtFs::new(layout, derived_uuid("test"));
        superblock_listing(&fs, mounted_rw)
            .lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.to_string(), v.trim().to_string()))
            .collect()
    }

    #[test]
    fn each_type_lists_its_own_features_and_state() {
        let ext2 = listed(FsType::Ext2, 100 << 20, true);
        assert_eq!(
            ext2["Filesystem features"],
            "ext_attr resize_inode dir_index filetype sparse_super"
        );
        assert_eq!(ext2["Filesystem state"], "not clean");
        assert!(!ext2.contains_key("Journal inode") && !ext2.contains_key("Journal backup"));
        let ext3 = listed(FsType::Ext3, 1 << 30, false);
        assert_eq!(ext3["Filesystem state"], "clean");
        assert_eq!(ext3["Inode size"], "256");
        let ext4 = listed(FsType::Ext4, 1 << 30, true);
        assert_eq!(
            ext4["Filesystem features"],
            "has_journal ext_attr resize_inode dir_index filetype needs_recovery extent flex_bg sparse_super large_file huge_file uninit_bg dir_nlink extra_isize"
        );
        assert_eq!(ext4["Filesystem state"], "clean");
        assert_eq!(
            (
                ext4["Flex block group size"].as_str(),
                ext4["Required extra isize"].as_str()
            ),
            ("16", "28")
        );
    }
}
