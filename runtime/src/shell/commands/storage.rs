//! The report's storage commands (§3): `iscsiadm` (open-iscsi 2.0-872), `fdisk -l`,
//! `parted` in script mode, `mkfs.ext3` and its kin (e2fsprogs 1.41.12), `mount`, `umount`
//! and `df -h`. Each is the backend operation the script method calls; the output is the
//! world's own text where it has one, and mke2fs's report is laid out from the file system
//! it made.

use super::{options, usage};
use crate::error::Error;
use crate::shell::exec::{absolute, Output, Shell};
use crate::world::storage::fs::{df_h, ExtLayout, FsType};

/// iscsiadm's exit statuses (open-iscsi's `ISCSI_ERR_*`): nothing to list or act on,
/// invalid arguments, a failed login, a session that already exists.
const ISCSI_NO_OBJECTS: i32 = 21;
const ISCSI_ERR_INVAL: i32 = 7;
const ISCSI_ERR_LOGIN: i32 = 4;
const ISCSI_ERR_SESS_EXISTS: i32 = 15;

fn lines(lines: Vec<String>) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// `iscsiadm -m discovery -t sendtargets -p PORTAL`, `-m node [-T IQN [-p PORTAL]] -l|-u`,
/// `-m node -T IQN -o update -n node.startup -v automatic|manual`, `-m session`.
pub fn iscsiadm(shell: &mut Shell, args: &[String], _: &str) -> Output {
    let mut mode = None;
    let mut kind = None;
    let mut portal = None;
    let mut target = None;
    let mut action = None;
    let mut op = None;
    let mut name = None;
    let mut value = None;
    let mut level = None;
    let mut words = args.iter();
    while let Some(word) = words.next() {
        let slot = match word.as_str() {
            "-m" | "--mode" => &mut mode,
            "-t" | "--type" => &mut kind,
            "-p" | "--portal" => &mut portal,
            "-T" | "--targetname" => &mut target,
            "-o" | "--op" => &mut op,
            "-n" | "--name" => &mut name,
            "-v" | "--value" => &mut value,
            "-P" | "--print" => &mut level,
            "-l" | "--login" => {
                action = Some("login");
                continue;
            }
            "-u" | "--logout" => {
                action = Some("logout");
                continue;
            }
            other => {
                shell.note(Error::ShellOption {
                    tool: "iscsiadm".into(),
                    option: other.into(),
                    supported: "-m, -t, -p, -T, -o, -n, -v, -P, -l, -u and their long forms".into(),
                });
                return Output::failed(ISCSI_ERR_INVAL, getopt_refusal(other, false));
            }
        };
        match words.next() {
            Some(v) => *slot = Some(v.clone()),
            None => return Output::failed(ISCSI_ERR_INVAL, getopt_refusal(word, true)),
        }
    }
    if level.is_some() && mode.as_deref() != Some("session") {
        return Output::failed(
            ISCSI_ERR_INVAL,
            "iscsiadm: kvmlab's iscsiadm prints -P levels for -m session only\n",
        );
    }
    let result = match (mode.as_deref(), action) {
        (Some("discovery" | "discoverydb"), None) => {
            if !matches!(kind.as_deref(), Some("sendtargets" | "st")) {
                return Output::failed(
                    ISCSI_ERR_INVAL,
                    "iscsiadm: kvmlab's initiator discovers with `-t sendtargets` (or `-t st`)\n",
                );
            }
            let Some(portal) = portal else {
                return Output::failed(
                    ISCSI_ERR_INVAL,
                    "iscsiadm: discovery mode: option '-p' is required\n",
                );
            };
            let found = shell.backend.iscsi_discover(shell.host, &portal);
            if let Ok(targets) = &found {
                let rows: Vec<_> = targets.iter().filter_map(|l| target_row(l)).collect();
                shell.give_rows(&rows);
            }
            found.map(lines)
        }
        (Some("node"), Some(action)) => {
            let Some(iqn) = target else {
                return Output::failed(
                    ISCSI_ERR_INVAL,
                    format!("iscsiadm: kvmlab logs in one target at a time: give it with -T IQN (then --{action})\n"),
                );
            };
            if action == "login" {
                shell
                    .backend
                    .iscsi_login(shell.host, &iqn)
                    .map(|login| lines(login.lines))
            } else {
                shell.backend.iscsi_logout(shell.host, &iqn).map(lines)
            }
        }
        (Some("node"), None) if op.as_deref() == Some("update") => {
            let (Some(iqn), Some("node.startup"), Some(value)) =
                (target, name.as_deref(), value.as_deref())
            else {
                return Output::failed(
                    ISCSI_ERR_INVAL,
                    "iscsiadm: kvmlab updates `-T IQN -o update -n node.startup -v automatic|manual`\n",
                );
            };
            let automatic = match value {
                "automatic" => true,
                "manual" => false,
                other => {
                    return Output::failed(
                        ISCSI_ERR_INVAL,
                        format!("iscsiadm: unknown value format '{other}' for parameter name 'node.startup'\n"),
                    )
                }
            };
            shell
                .backend
                .iscsi_set_startup(shell.host, &iqn, automatic)
                .map(|()| String::new())
        }
        (Some("node"), None) if op.is_some() => {
            return Output::failed(
                ISCSI_ERR_INVAL,
                "iscsiadm: kvmlab's iscsiadm makes node records by discovery (-m discovery -t st -p PORTAL) and changes them with -o update\n",
            )
        }
        (Some("node"), None) => {
            return listing(
                shell,
                shell.backend.world().iscsi_nodes(shell.host),
                "No records found",
            )
        }
        (Some("session"), None) => {
            let level = match level.as_deref().map(str::parse::<u8>) {
                None => 0,
                Some(Ok(level @ 0..=3)) => level,
                Some(_) => {
                    return Output::failed(
                        ISCSI_ERR_INVAL,
                        format!(
                            "iscsiadm: invalid print level '{}': -P takes 0 to 3\n",
                            level.unwrap_or_default()
                        ),
                    )
                }
            };
            let sessions = shell.backend.world().iscsi_sessions(shell.host);
            if level == 0 || sessions.as_ref().is_ok_and(Vec::is_empty) {
                return listing(shell, sessions, "No active sessions.");
            }
            shell
                .backend
                .world()
                .iscsi_session_tree(shell.host, level)
                .map(lines)
        }
        (None, _) => {
            return Output::failed(
                ISCSI_ERR_INVAL,
                "iscsiadm: no mode specified (-m discovery, node or session)\n",
            )
        }
        (Some(other), _) => {
            return Output::failed(
                ISCSI_ERR_INVAL,
                format!(
                "iscsiadm: kvmlab's iscsiadm runs -m discovery, node and session, not {other}\n"
            ),
            )
        }
    };
    match result {
        Ok(text) => Output::ok(text),
        Err(e) => iscsiadm_failure(shell, e),
    }
}

/// iscsiadm's own words and exit status for a refusal the real tool makes too (its
/// ISCSI_ERR_* codes), the diagnostic behind it kept for the result's code and help.
fn iscsiadm_failure(shell: &mut Shell, error: Error) -> Output {
    let own = match &error {
        // iscsiadm looks the record up by name and never judges the name itself.
        Error::NotDiscovered { .. } | Error::BadIqn { .. } => {
            Some((ISCSI_NO_OBJECTS, "iscsiadm: No records found\n".to_string()))
        }
        Error::NotLoggedIn { .. } => Some((
            ISCSI_NO_OBJECTS,
            "iscsiadm: No matching sessions found\n".to_string(),
        )),
        Error::AlreadyLoggedIn { target, portal } => {
            let (address, _) = portal.split_once(',').unwrap_or((portal, ""));
            let portal = address.replace(':', ",");
            let record = format!("[iface: default, target: {target}, portal: {portal}]");
            Some((
                ISCSI_ERR_SESS_EXISTS,
                format!(
                    "Logging in to {record}\n\
                     iscsiadm: Could not login to {record}:\n\
                     iscsiadm: initiator reported error (15 - already exists)\n"
                ),
            ))
        }
        _ => None,
    };
    match own {
        Some((status, text)) => {
            shell.note(error);
            Output::failed(status, text)
        }
        None => {
            let mut out = shell.failure("iscsiadm", error);
            if out.status == 1 {
                out.status = ISCSI_ERR_LOGIN;
            }
            out
        }
    }
}

/// glibc getopt's complaint about a word iscsiadm does not take, or an option left
/// without its value.
fn getopt_refusal(word: &str, missing_value: bool) -> String {
    let name = word.trim_start_matches('-');
    match (missing_value, word.starts_with("--")) {
        (true, true) => format!("iscsiadm: option '{word}' requires an argument\n"),
        (true, false) => format!("iscsiadm: option requires an argument -- '{name}'\n"),
        (false, true) => format!("iscsiadm: unrecognized option '{word}'\n"),
        (false, false) if word.starts_with('-') => {
            format!(
                "iscsiadm: invalid option -- '{}'\n",
                &name[..name.len().min(1)]
            )
        }
        (false, false) => format!("iscsiadm: unexpected operand '{word}'\n"),
    }
}

fn listing(shell: &mut Shell, found: crate::error::Result<Vec<String>>, none: &str) -> Output {
    match found {
        Ok(rows) if rows.is_empty() => {
            Output::failed(ISCSI_NO_OBJECTS, format!("iscsiadm: {none}\n"))
        }
        Ok(rows) => {
            let records: Vec<_> = rows.iter().filter_map(|l| target_row(l)).collect();
            shell.give_rows(&records);
            Output::ok(lines(rows))
        }
        Err(e) => shell.failure("iscsiadm", e),
    }
}

/// A target line of iscsiadm (`[tcp: [1] ]10.10.1.10:3260,1 IQN[ (non-flash)]`) as a row:
/// its portal and its target.
fn target_row(line: &str) -> Option<serde_json::Value> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words
        .iter()
        .position(|w| w.contains(":3260") || w.contains(','))?;
    Some(serde_json::json!({"portal": words[at], "target": words.get(at + 1)?}))
}

/// `fdisk -l [-u] [DEVICE...]`, as util-linux-ng 2.17.2 lists disks.
pub fn fdisk(shell: &mut Shell, args: &[String], _: &str) -> Output {
    let args = match options(shell, "fdisk", args, "lu", "") {
        Ok(a) => a,
        Err(out) => return out,
    };
    if !args.has('l') {
        let error = Error::ShellUnsupported {
            what: "fdisk's interactive menu is not at this prompt: `fdisk -l` lists, and `parted -s` partitions".into(),
            help: "partition with `parted -s DEVICE mklabel gpt mkpart primary ext3 0% 95GB`".into(),
        };
        return shell.failure("fdisk", error);
    }
    let disks = match shell.backend.world().fdisk_l(shell.host, args.has('u')) {
        Ok(d) => d,
        Err(e) => return shell.failure("fdisk", e),
    };
    let mut out = Output::default();
    let wanted: Vec<&String> = args.operands.iter().collect();
    for (path, listing) in &disks {
        if wanted.is_empty() || wanted.contains(&path) {
            out.stdout.push_str(&listing.stdout);
            out.stderr.push_str(&listing.stderr);
        }
    }
    for missing in wanted
        .iter()
        .filter(|w| !disks.iter().any(|(path, _)| path == **w))
    {
        out.stderr.push_str(&format!("Cannot open {missing}\n"));
        out.status = 1;
    }
    out
}

/// `parted [-s] DEVICE COMMAND...`: mklabel, mkpart, rm, `unit s|compact` and print, as
/// many as given.
pub fn parted(shell: &mut Shell, args: &[String], stdin: &str) -> Output {
    let mut words: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "-s" && *a != "--script")
        .collect();
    if words.len() == 1 {
        // Without commands parted reads them from its input: a here-document types the
        // report's session (`mklabel gpt`, `mkpart ...`, `quit`).
        words.extend(
            stdin
                .lines()
                .take_while(|l| !matches!(l.trim(), "quit" | "q"))
                .flat_map(str::split_whitespace),
        );
    }
    let Some((device, commands)) = words.split_first() else {
        return usage("parted", "a device is needed: parted -s DEVICE COMMAND", 1);
    };
    if commands.is_empty() {
        let error = Error::ShellUnsupported {
            what:
                "parted's interactive prompt is not at this prompt: give the commands on the line, or in a here-document"
                    .into(),
            help: format!("e.g. `parted -s {device} mklabel gpt mkpart primary ext3 0% 95GB`"),
        };
        return shell.failure("parted", error);
    }
    let mut out = Output::default();
    let mut rest = commands;
    // `unit s` switches later `print`s to sectors, `unit compact` back
    let mut sectors = false;
    while let Some((command, after)) = rest.split_first() {
        let (result, used) = match *command {
            "unit" => match after.first() {
                Some(&"s") => {
                    sectors = true;
                    (Ok((Vec::new(), String::new())), 1)
                }
                Some(&"compact") => {
                    sectors = false;
                    (Ok((Vec::new(), String::new())), 1)
                }
                Some(other) => {
                    return Output::failed(
                        1,
                        format!("parted: kvmlab's parted prints in compact units or sectors (`unit s`), not {other}\n"),
                    )
                }
                None => return Output::failed(1, "Error: Expecting a unit.\n"),
            },
            "mklabel" => match after.first() {
                Some(label) => (
                    shell
                        .backend
                        .parted_mklabel(shell.host, device, label)
                        .map(|w| (w, String::new())),
                    1,
                ),
                None => return Output::failed(1, "Error: Expecting a disk label type.\n"),
            },
            "mkpart" => {
                if after.len() < 4 {
                    return Output::failed(
                        1,
                        "Error: kvmlab's parted takes `mkpart NAME FSTYPE START END`.\n",
                    );
                }
                (
                    shell
                        .backend
                        .parted_mkpart(shell.host, device, after[0], after[1], after[2], after[3])
                        .map(|made| (made.warnings, String::new())),
                    4,
                )
            }
            "mkpartfs" => (
                Err(Error::MkpartfsRemoved {
                    disk: device.to_string(),
                }),
                0,
            ),
            "rm" => match after.first().and_then(|n| n.parse::<u32>().ok()) {
                Some(number) => (
                    shell
                        .backend
                        .parted_rm(shell.host, device, number)
                        .map(|w| (w, String::new())),
                    1,
                ),
                None => return Output::failed(1, "Error: Expecting a partition number.\n"),
            },
            "print" => {
                let world = shell.backend.world();
                let printed = if sectors {
                    world.parted_print_sectors(shell.host, device)
                } else {
                    world.parted_print(shell.host, device)
                };
                (printed.map(|text| (Vec::new(), text)), 0)
            }
            other => {
                return Output::failed(
                    1,
                    format!("parted: invalid token: {other}\nkvmlab's parted runs mklabel, mkpart, rm, unit and print\n"),
                )
            }
        };
        match result {
            Ok((warnings, text)) => {
                shell.warn_all(warnings);
                out.stdout.push_str(&text);
                if !text.is_empty() && !text.ends_with('\n') {
                    out.stdout.push('\n');
                }
            }
            Err(e) => {
                let failed = shell.failure("parted", e);
                out.stderr.push_str(&failed.stderr);
                out.status = 1;
                return out;
            }
        }
        rest = &after[used..];
    }
    out
}

/// `mkfs.TYPE DEVICE`, `mkfs -t TYPE DEVICE`, `mke2fs [-t TYPE] [-j] DEVICE`.
pub fn mkfs(shell: &mut Shell, tool: &str, args: &[String]) -> Output {
    let args = match options(shell, tool, args, "jqF", "tL") {
        Ok(a) => a,
        Err(out) => return out,
    };
    let fstype = match tool.strip_prefix("mkfs.") {
        Some(t) => t.to_string(),
        None => match args.value('t') {
            Some(t) => t.to_string(),
            None if tool == "mke2fs" && args.has('j') => "ext3".into(),
            None if tool == "mke2fs" => "ext2".into(),
            None => "ext2".into(),
        },
    };
    let [device] = args.operands.as_slice() else {
        return Output::failed(1, format!("Usage: {tool} [-t fs-type] [-j] device\n"));
    };
    match shell.backend.mkfs(shell.host, &fstype, device) {
        Ok(report) => {
            let text = if args.has('q') {
                String::new()
            } else {
                mke2fs_report(&report.layout, &report.uuid)
            };
            shell.warn_all(report.warnings);
            Output::ok(text)
        }
        Err(e @ Error::NoSuchBlockDevice { .. }) => {
            // mke2fs's own words (misc/util.c, check_plausibility), after its banner.
            let mut out = shell.failure(tool, e);
            out.stderr = format!(
                "mke2fs 1.41.12 (17-May-2010)\nCould not stat {device} --- No such file or directory\n\n\
                 The device apparently does not exist; did you specify it correctly?\n"
            );
            out
        }
        Err(e) => shell.failure(tool, e),
    }
}

/// What mke2fs 1.41.12 prints for the file system it laid out as `layout`; the UUID picks
/// the mount count between checks, as mke2fs's random number does.
pub fn mke2fs_report(layout: &ExtLayout, uuid: &str) -> String {
    let l = layout;
    let log = l.block_size.trailing_zeros().saturating_sub(10);
    let descriptors_per_block = l.block_size / 32;
    let maximum =
        (l.reserved_gdt_blocks + l.descriptor_blocks) * descriptors_per_block * l.blocks_per_group;
    let reserved_percent = if l.blocks == 0 {
        0.0
    } else {
        l.reserved_blocks as f64 * 100.0 / l.blocks as f64
    };
    let mut text = format!(
        "mke2fs 1.41.12 (17-May-2010)\nFilesystem label=\nOS type: Linux\n\
         Block size={bs} (log={log})\nFragment size={bs} (log={log})\n\
         Stride=0 blocks, Stripe width=0 blocks\n{inodes} inodes, {blocks} blocks\n\
         {reserved} blocks ({reserved_percent:.2}%) reserved for the super user\n\
         First data block={first}\nMaximum filesystem blocks={maximum}\n{groups} block group{s}\n\
         {bpg} blocks per group, {bpg} fragments per group\n{ipg} inodes per group\n",
        bs = l.block_size,
        inodes = l.inodes,
        blocks = l.blocks,
        reserved = l.reserved_blocks,
        first = l.first_data_block,
        groups = l.groups,
        s = if l.groups == 1 { "" } else { "s" },
        bpg = l.blocks_per_group,
        ipg = l.inodes_per_group,
    );
    if l.groups > 1 {
        text.push_str("Superblock backups stored on blocks: ");
    }
    // mke2fs wraps the list at 72 columns, a tab in front of each line.
    let mut room = 0usize;
    for group in (1..l.groups).filter(|g| has_superblock(*g)) {
        let block = l.first_data_block + group * l.blocks_per_group;
        if group != 1 {
            text.push_str(", ");
        }
        // mke2fs counts a number's digits and two more for the separator.
        let need = block.to_string().len() + 2;
        if need > room {
            text.push_str("\n\t");
            room = 72;
        }
        room -= need;
        text.push_str(&block.to_string());
    }
    text.push_str("\n\nWriting inode tables: done                            \n");
    if l.fstype != FsType::Ext2 {
        text.push_str(&format!(
            "Creating journal ({} blocks): done\n",
            l.journal_blocks
        ));
    }
    text.push_str("Writing superblocks and filesystem accounting information: done\n\n");
    // mke2fs picks 20 + a random 0..20; here the file system's UUID picks it.
    let checked_every = super::superblock::max_mount_count(uuid);
    text.push_str(&format!(
        "This filesystem will be automatically checked every {checked_every} mounts or\n\
         180 days, whichever comes first.  Use tune2fs -c or -i to override.\n"
    ));
    text
}

/// Whether block group `group` holds a superblock copy (sparse_super: 0, 1 and the powers
/// of 3, 5 and 7).
fn has_superblock(group: u64) -> bool {
    if group <= 1 {
        return true;
    }
    [3u64, 5, 7].iter().any(|&base| {
        let mut power = base;
        while power < group {
            power *= base;
        }
        power == group
    })
}

/// `mount` (the table), `mount -a`, `mount [-t TYPE] [-o OPTIONS] DEVICE DIR`.
pub fn mount(shell: &mut Shell, args: &[String], _: &str) -> Output {
    let args = match options(shell, "mount", args, "av", "to") {
        Ok(a) => a,
        Err(out) => return out,
    };
    if args.has('a') {
        return match shell.backend.mount_all(shell.host) {
            Ok(findings) => {
                shell.warn_all(findings.into_iter().map(|f| f.error));
                Output::default()
            }
            Err(e) => shell.failure("mount", e),
        };
    }
    match args.operands.as_slice() {
        [] => {
            let host = shell.backend.world().host(shell.host);
            let table: String = host
                .storage()
                .mounts()
                .iter()
                .map(|m| {
                    let options = match m.options.as_str() {
                        "defaults" | "" => {
                            if m.read_only {
                                "ro".into()
                            } else {
                                "rw".to_string()
                            }
                        }
                        other if other.split(',').any(|o| o == "ro" || o == "rw") => {
                            other.to_string()
                        }
                        other if m.read_only => format!("ro,{other}"),
                        other => format!("rw,{other}"),
                    };
                    format!("{} on {} type {} ({options})\n", m.source, m.dir, m.fstype)
                })
                .collect();
            Output::ok(table)
        }
        [device, dir] => {
            let fstype = args.value('t').unwrap_or("auto").to_string();
            let options = args.value('o').unwrap_or("defaults").to_string();
            match shell
                .backend
                .mount(shell.host, device, &absolute(dir), &fstype, &options)
            {
                Ok(warnings) => {
                    shell.warn_all(warnings);
                    Output::default()
                }
                Err(e) => {
                    let mut out = shell.failure("mount", e);
                    out.status = 32;
                    out
                }
            }
        }
        _ => {
            let error = Error::ShellUnsupported {
                what: "kvmlab's mount takes a device and a directory (or -a, or nothing to list)"
                    .into(),
                help: "e.g. `mount -t ext3 /dev/sdb1 /iscsi1`".into(),
            };
            shell.failure("mount", error)
        }
    }
}

/// `umount DIR|DEVICE...`.
pub fn umount(shell: &mut Shell, args: &[String], _: &str) -> Output {
    if args.is_empty() {
        return Output::failed(1, "Usage: umount -h | -V\n       umount -a [options]\n       umount [options] <source> | <directory>\n");
    }
    let mut out = Output::default();
    for target in args {
        let path = if target.starts_with("/dev/") {
            target.clone()
        } else {
            absolute(target)
        };
        if let Err(e) = shell.backend.umount(shell.host, &path) {
            let failed = shell.failure("umount", e);
            out.stderr.push_str(&failed.stderr);
            out.status = 1;
        }
    }
    out
}

/// `df -h [PATH...]`; with no path, every mounted file system.
pub fn df(shell: &mut Shell, args: &[String], _: &str) -> Output {
    let args = match options(shell, "df", args, "hP", "") {
        Ok(a) => a,
        Err(out) => return out,
    };
    if !args.has('h') {
        let error = Error::ShellUnsupported {
            what: "kvmlab's df prints human sizes only: `df -h`".into(),
            help: "add -h".into(),
        };
        return shell.failure("df", error);
    }
    let world = shell.backend.world();
    let paths: Vec<String> = if args.operands.is_empty() {
        world
            .host(shell.host)
            .storage()
            .mounts()
            .iter()
            .map(|m| m.dir.clone())
            .collect()
    } else {
        args.operands
            .iter()
            .map(|p| {
                if p.starts_with("/dev/") {
                    p.clone()
                } else {
                    absolute(p)
                }
            })
            .collect()
    };
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for path in &paths {
        match world.df(shell.host, path) {
            Ok(report) => rows.push(report.row),
            Err(e) => errors.push(e),
        }
    }
    shell.give_rows(&rows);
    let mut out = Output::ok(if rows.is_empty() {
        String::new()
    } else {
        df_h(&rows)
    });
    for e in errors {
        let failed = shell.failure("df", e);
        out.stderr.push_str(&failed.stderr);
        out.status = 1;
    }
    out
}
