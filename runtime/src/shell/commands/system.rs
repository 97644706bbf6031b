//! The system's commands as RHEL 6 has them: `hostname`, `mkdir`, `ls`, `cp`, `rm`,
//! `service`, `chkconfig`, `yum install`, `rpm -q` and `reboot`. Each is one backend
//! operation, the same the script methods call; what the operation reports (an init
//! script's lines, yum's summary) is the output.

use super::{options, usage};
use crate::error::Error;
use crate::shell::exec::{absolute, Output, Shell};
use crate::world::host::packages::package_info;
use crate::world::services::ServiceAction;

pub fn hostname(shell: &mut Shell, args: &[String], _: &str) -> Output {
    if let Some(name) = args.first() {
        return Output::failed(
            1,
            format!("hostname: kvmlab sets the name at boot from /etc/sysconfig/network: write HOSTNAME={name} there and reboot\n"),
        );
    }
    Output::ok(format!("{}\n", shell.hostname()))
}

/// `mkdir [-p] DIR...`, in coreutils 8.4's words.
pub fn mkdir(shell: &mut Shell, args: &[String], _: &str) -> Output {
    let args = match options(shell, "mkdir", args, "pv", "m") {
        Ok(a) => a,
        Err(out) => return out,
    };
    if args.operands.is_empty() {
        return usage("mkdir", "missing operand", 1);
    }
    let mut out = Output::default();
    for dir in &args.operands {
        let path = absolute(dir);
        let steps: Vec<String> = if args.has('p') {
            let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
            (1..=parts.len())
                .map(|n| format!("/{}", parts[..n].join("/")))
                .collect()
        } else {
            vec![path.clone()]
        };
        for step in steps {
            if args.has('p') && shell.backend.world().host(shell.host).is_dir(&step) {
                continue;
            }
            let made = shell.backend.mkdir(shell.host, &step);
            if let Err(e) = made {
                let reason = match e {
                    Error::FileExists { .. } => "File exists",
                    Error::NoSuchDirectory { .. } | Error::NoSuchFile { .. } => {
                        "No such file or directory"
                    }
                    _ => {
                        let failed = shell.failure("mkdir", e);
                        out.stderr.push_str(&failed.stderr);
                        out.status = 1;
                        break;
                    }
                };
                shell.note(e);
                out.stderr.push_str(&format!(
                    "mkdir: cannot create directory `{dir}': {reason}\n"
                ));
                out.status = 1;
                break;
            }
            if args.has('v') {
                out.stdout
                    .push_str(&format!("mkdir: created directory `{step}'\n"));
            }
        }
    }
    out
}

/// `service NAME start|stop|restart|status`: the init script's lines; status 1 when one of
/// them failed, and for `status` the LSB code (0 running, 3 stopped).
pub fn service(shell: &mut Shell, args: &[String], _: &str) -> Output {
    let (Some(name), Some(action)) = (args.first(), args.get(1)) else {
        return Output::failed(1, "Usage: service < option > | --status-all | [ service_name [ command | --full-restart ] ]\n");
    };
    let Ok(parsed) = ServiceAction::parse(action) else {
        return Output::failed(
            2,
            format!("Usage: /etc/init.d/{name} {{start|stop|restart|status}}\n"),
        );
    };
    match shell.backend.service(shell.host, name, parsed) {
        Ok(report) => {
            shell.warn_all(report.findings.into_iter().map(|f| f.error));
            let text: String = report.lines.iter().map(|l| format!("{l}\n")).collect();
            let failed = report.lines.iter().any(|l| l.ends_with("[FAILED]"));
            let status = if parsed == ServiceAction::Status {
                let running = shell
                    .backend
                    .world()
                    .host(shell.host)
                    .packages()
                    .is_running(name);
                if running {
                    0
                } else {
                    3
                }
            } else {
                i32::from(failed)
            };
            Output {
                status,
                stdout: text,
                stderr: String::new(),
            }
        }
        Err(e @ Error::UnknownService { .. }) => {
            let out = shell.failure("service", e);
            Output::failed(1, out.stderr.trim_start_matches("service: ").to_string())
        }
        Err(e) => shell.failure("service", e),
    }
}

/// `chkconfig NAME on|off`, `chkconfig NAME` (status 0 when on), `chkconfig --list [NAME]`.
pub fn chkconfig(shell: &mut Shell, args: &[String], _: &str) -> Output {
    let levels = |on: bool| {
        let state = if on { "on" } else { "off" };
        format!("0:off\t1:off\t2:{state}\t3:{state}\t4:{state}\t5:{state}\t6:off")
    };
    match args {
        [list] | [list, _] if list == "--list" => {
            let host = shell.backend.world().host(shell.host);
            let mut rows = host.chkconfig_list();
            rows.sort_by_key(|(name, _)| *name);
            if let Some(only) = args.get(1) {
                rows.retain(|(name, _)| name == only);
                if rows.is_empty() {
                    return Output::failed(
                        1,
                        format!("error reading information on service {only}: No such file or directory\n"),
                    );
                }
            }
            let text: String = rows
                .iter()
                .map(|(name, on)| format!("{name:<15} \t{}\n", levels(*on)))
                .collect();
            Output::ok(text)
        }
        [name] => {
            let host = shell.backend.world().host(shell.host);
            match host.service_info(name) {
                Ok(_) => Output::failed(i32::from(!host.packages().is_enabled(name)), ""),
                Err(_) => Output::failed(
                    1,
                    format!("error reading information on service {name}: No such file or directory\n"),
                ),
            }
        }
        [name, state] if state == "on" || state == "off" => {
            match shell.backend.chkconfig(shell.host, name, state == "on") {
                Ok(()) => Output::default(),
                Err(e @ Error::UnknownService { .. }) => {
                    shell.note(e);
                    Output::failed(
                        1,
                        format!("error reading information on service {name}: No such file or directory\n"),
                    )
                }
                Err(e) => shell.failure("chkconfig", e),
            }
        }
        _ => Output::failed(
            2,
            "usage:   chkconfig [--list] [--type <type>] [name]\n         chkconfig --add <name>\n         chkconfig --del <name>\n         chkconfig [--level <levels>] [--type <type>] <name> <on|off|reset|resetpriorities>\n",
        ),
    }
}

/// `yum [-y] install PACKAGE...`: yum's summary of each.
pub fn yum(shell: &mut Shell, args: &[String], _: &str) -> Output {
    let words: Vec<&String> = args.iter().filter(|a| *a != "-y" && *a != "-q").collect();
    let Some((command, packages)) = words.split_first() else {
        return Output::failed(1, "You need to give some command\n");
    };
    if command.as_str() != "install" {
        let error = Error::ShellUnsupported {
            what: format!("`yum {command}` is not one of this prompt's commands yet (it runs `yum install`)"),
            help: "install packages with `yum install NAME`, or a group with the host's install_group(..)".into(),
        };
        return shell.failure("yum", error);
    }
    if packages.is_empty() {
        return Output::failed(1, "Error: Need to pass a list of pkgs to install\n");
    }
    let mut out = Output::ok("Loaded plugins: refresh-packagekit, security\n");
    for package in packages {
        match shell.backend.yum_install(shell.host, package) {
            Ok(report) => {
                for line in report.lines {
                    out.stdout.push_str(&line);
                    out.stdout.push('\n');
                }
            }
            Err(e @ Error::UnknownPackage { .. }) => {
                out.stdout
                    .push_str(&format!("Setting up Install Process\n{e}\n"));
                shell.note(e);
                out.stdout.push_str("Error: Nothing to do\n");
                out.status = 1;
            }
            Err(e) => {
                let failed = shell.failure("yum", e);
                out.stderr.push_str(&failed.stderr);
                out.status = 1;
            }
        }
    }
    out
}

/// `rpm -q PACKAGE...` and `rpm -qa`: `NAME-VERSION.ARCH` of each installed package.
pub fn rpm(shell: &mut Shell, args: &[String], _: &str) -> Output {
    let host = shell.backend.world().host(shell.host);
    let arch = host
        .os()
        .map_or("x86_64", |os| os.arch.as_str())
        .to_string();
    let label = |name: &str| {
        let version = package_info(name).map_or("", |p| p.version);
        format!("{name}-{version}.{arch}\n")
    };
    match args.first().map(String::as_str) {
        Some("-qa") => {
            let mut names: Vec<&str> = host.packages().installed().collect();
            names.sort_unstable();
            Output::ok(names.iter().map(|n| label(n)).collect::<String>())
        }
        Some("-q") if args.len() > 1 => {
            let mut out = Output::default();
            for name in &args[1..] {
                if host.packages().is_installed(name) {
                    out.stdout.push_str(&label(name));
                } else {
                    out.stdout
                        .push_str(&format!("package {name} is not installed\n"));
                    out.status = 1;
                }
            }
            out
        }
        _ => Output::failed(
            1,
            "kvmlab: rpm runs here as `rpm -q PACKAGE...` and `rpm -qa`\n",
        ),
    }
}

/// `ls [-a] [-1] [PATH...]`: one name a line, as ls writes to a pipe; a directory's names,
/// or a file's own path. Long listings (`-l`) need dates the lab does not keep.
pub fn ls(shell: &mut Shell, args: &[String], _: &str) -> Output {
    let long = args
        .iter()
        .any(|a| a.starts_with('-') && !a.starts_with("--") && a.contains('l'));
    if long {
        let error = Error::ShellUnsupported {
            what: "`ls -l` prints dates and owners the lab does not keep".into(),
            help: "`ls` lists the names; a volume's size is in `pool.volumes()`, a file system's use in `df -h`".into(),
        };
        return shell.failure("ls", error);
    }
    let args = match options(shell, "ls", args, "a1dF", "") {
        Ok(a) => a,
        Err(out) => return out,
    };
    let paths: Vec<String> = if args.operands.is_empty() {
        vec![crate::shell::exec::HOME.to_string()]
    } else {
        args.operands.clone()
    };
    let world = shell.backend.world();
    let host = world.host(shell.host);
    let mut out = Output::default();
    // GNU ls lists the files named first, then each directory under its name.
    let mut listings = Vec::new();
    for shown in &paths {
        let path = absolute(shown);
        let path = if path.len() > 1 {
            path.trim_end_matches('/').to_string()
        } else {
            path
        };
        if host.read_file(&path).is_ok() || (args.has('d') && host.is_dir(&path)) {
            out.stdout.push_str(&format!("{shown}\n"));
            continue;
        }
        match world.list_dir(shell.host, &path) {
            Some(entries) => listings.push((shown, entries)),
            None => {
                out.stderr.push_str(&format!(
                    "ls: cannot access {shown}: No such file or directory\n"
                ));
                out.status = 2;
            }
        }
    }
    let many = paths.len() > 1;
    for (shown, entries) in listings {
        if many {
            let gap = if out.stdout.is_empty() { "" } else { "\n" };
            out.stdout.push_str(&format!("{gap}{shown}:\n"));
        }
        if args.has('a') {
            out.stdout.push_str(".\n..\n");
        }
        for entry in entries {
            if entry.name.starts_with('.') && !args.has('a') {
                continue;
            }
            let mark = if entry.dir && args.has('F') { "/" } else { "" };
            out.stdout.push_str(&format!("{}{mark}\n", entry.name));
        }
    }
    out
}

/// A path without the trailing `/` a user may type after a directory.
fn trimmed(path: &str) -> String {
    let path = absolute(path);
    match path.trim_end_matches('/') {
        "" => "/".to_string(),
        rest => rest.to_string(),
    }
}

/// Whether `path` is an image file of a file system mounted on the host.
fn is_image_file(shell: &Shell, path: &str) -> bool {
    let world = shell.backend.world();
    world
        .locate(shell.host, path)
        .is_some_and(|(mount, inner)| {
            world
                .fs_at(shell.host, &mount.location)
                .is_some_and(|fs| fs.file(&inner).is_some())
        })
}

/// `cp [-f] [-v] SRC... DEST`, in coreutils 8.4's words. The copy is written as `cat >`
/// writes, so a config file copied into place is checked as one written there.
pub fn cp(shell: &mut Shell, args: &[String], _: &str) -> Output {
    let args = match options(shell, "cp", args, "fpvrRa", "") {
        Ok(a) => a,
        Err(out) => return out,
    };
    if ['r', 'R', 'a'].iter().any(|f| args.has(*f)) {
        let error = Error::ShellUnsupported {
            what: "`cp -r` copies directory trees, and the prompt copies files".into(),
            help: "copy the files one by one (`cp SRC... DIR`), after `mkdir -p DIR`".into(),
        };
        return shell.failure("cp", error);
    }
    let (dest, sources) = match args.operands.split_last() {
        None => return usage("cp", "missing file operand", 1),
        Some((only, [])) => {
            return usage(
                "cp",
                &format!("missing destination file operand after `{only}'"),
                1,
            )
        }
        Some(split) => split,
    };
    let dest_path = trimmed(dest);
    let into_dir = shell.backend.world().host(shell.host).is_dir(&dest_path);
    if sources.len() > 1 && !into_dir {
        return Output::failed(1, format!("cp: target `{dest}' is not a directory\n"));
    }
    let mut out = Output::default();
    for source in sources {
        let source_path = trimmed(source);
        let name = source_path.rsplit('/').next().unwrap_or_default();
        let (target, shown) = if into_dir {
            let dir = if dest_path == "/" {
                ""
            } else {
                dest_path.as_str()
            };
            (
                format!("{dir}/{name}"),
                format!("{}/{name}", dest.trim_end_matches('/')),
            )
        } else {
            (dest_path.clone(), dest.clone())
        };
        let host = shell.backend.world().host(shell.host);
        let text = match host.read_file(&source_path) {
            Ok(text) => text.to_string(),
            Err(Error::IsADirectory { .. }) => {
                out.stderr
                    .push_str(&format!("cp: omitting directory `{source}'\n"));
                out.status = 1;
                continue;
            }
            Err(_) if is_image_file(shell, &source_path) => {
                let error = Error::ShellUnsupported {
                    what: format!(
                        "`cp {source}` copies a disk image, and the prompt copies text files"
                    ),
                    help: "make a new image as a volume of the pool (`pool.create_volume(..)`)"
                        .into(),
                };
                let failed = shell.failure("cp", error);
                out.stderr.push_str(&failed.stderr);
                out.status = 1;
                continue;
            }
            Err(e) => {
                shell.note(e);
                out.stderr.push_str(&format!(
                    "cp: cannot stat `{source}': No such file or directory\n"
                ));
                out.status = 1;
                continue;
            }
        };
        if target == source_path {
            out.stderr
                .push_str(&format!("cp: `{source}' and `{shown}' are the same file\n"));
            out.status = 1;
            continue;
        }
        match shell.backend.write_host_file(shell.host, &target, &text) {
            Ok(findings) => {
                shell.warn_all(findings.into_iter().map(|f| f.error));
                if args.has('v') {
                    out.stdout.push_str(&format!("`{source}' -> `{shown}'\n"));
                }
            }
            Err(e @ Error::NoSuchDirectory { .. }) => {
                shell.note(e);
                out.stderr.push_str(&format!(
                    "cp: cannot create regular file `{shown}': No such file or directory\n"
                ));
                out.status = 1;
            }
            Err(e) => {
                let failed = shell.failure("cp", e);
                out.stderr.push_str(&failed.stderr);
                out.status = 1;
            }
        }
    }
    out
}

/// `rm [-f] [-r] [-v] PATH...`, in coreutils 8.4's words; what the lab still uses (a mount
/// point, a guest's disk image) is refused by the backend.
pub fn rm(shell: &mut Shell, args: &[String], _: &str) -> Output {
    let args = match options(shell, "rm", args, "frRvi", "") {
        Ok(a) => a,
        Err(out) => return out,
    };
    if args.has('i') {
        let error = Error::ShellUnsupported {
            what: "`rm -i` asks before each removal, and a lab line cannot answer".into(),
            help: "name what to remove: `rm PATH`, or `rm -f PATH` to ignore a missing one".into(),
        };
        return shell.failure("rm", error);
    }
    let force = args.has('f');
    let recursive = args.has('r') || args.has('R');
    if args.operands.is_empty() && !force {
        return usage("rm", "missing operand", 1);
    }
    let mut out = Output::default();
    for shown in &args.operands {
        let path = trimmed(shown);
        if recursive && path == "/" {
            out.stderr.push_str("rm: it is dangerous to operate recursively on `/'\nrm: use --no-preserve-root to override this failsafe\n");
            out.status = 1;
            continue;
        }
        let was_dir = shell.backend.world().host(shell.host).is_dir(&path);
        let reason = match shell.backend.remove_host_path(shell.host, &path, recursive) {
            Ok(()) => {
                if args.has('v') {
                    let what = if was_dir { "directory: " } else { "" };
                    out.stdout.push_str(&format!("removed {what}`{shown}'\n"));
                }
                continue;
            }
            // -f: a missing file is what the user wanted.
            Err(Error::NoSuchFile { .. }) if force => continue,
            Err(e @ (Error::NoSuchFile { .. } | Error::NoSuchDirectory { .. })) => {
                shell.note(e);
                format!("`{shown}': No such file or directory")
            }
            Err(e @ Error::IsADirectory { .. }) => {
                shell.note(e);
                format!("`{shown}': Is a directory")
            }
            Err(Error::CannotRemove {
                host,
                path: refused,
                reason,
                help,
            }) => {
                let named = if refused == path {
                    shown.clone()
                } else {
                    refused.clone()
                };
                let text = format!("`{named}': {reason}");
                shell.note(Error::CannotRemove {
                    host,
                    path: refused,
                    reason,
                    help,
                });
                text
            }
            Err(e) => {
                let failed = shell.failure("rm", e);
                out.stderr.push_str(&failed.stderr);
                out.status = 1;
                continue;
            }
        };
        out.stderr
            .push_str(&format!("rm: cannot remove {reason}\n"));
        out.status = 1;
    }
    out
}

/// `reboot`: the broadcast shutdown writes to every terminal, then the backend's reboot,
/// as `h.reboot()` does; what the boot found reaches the run as warnings. The broadcast's
/// clock is the lab's, from midnight.
pub fn reboot(shell: &mut Shell, args: &[String], _: &str) -> Output {
    if let Some(word) = args.first() {
        return Output::failed(
            1,
            format!(
                "reboot: kvmlab reboots without options or arguments (`{word}`): type `reboot`\n"
            ),
        );
    }
    let minutes = (shell.backend.now().as_secs_f64() / 60.0) as u64;
    let banner = format!(
        "\nBroadcast message from root@{}\n\t(/dev/pts/0) at {}:{:02} ...\n\nThe system is going down for reboot NOW!\n",
        shell.hostname(),
        (minutes / 60) % 24,
        minutes % 60
    );
    match shell.backend.reboot(shell.host) {
        Ok(boot) => {
            shell.warn_all(boot.findings.into_iter().map(|f| f.error));
            Output::ok(banner)
        }
        Err(e) => shell.failure("reboot", e),
    }
}
