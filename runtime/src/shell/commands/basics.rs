//! The small commands of RHEL 6's base system a lab's lines lean on: `pwd`, `whoami`,
//! `uname`, `tee`, `touch` and `sort` (coreutils 8.4), and the commands RHEL 6 has that the
//! prompt does not run, each answered with what to do instead rather than bash's
//! `command not found`, which would be untrue on a RHEL 6 host.

use super::{options, usage};
use crate::error::Error;
use crate::shell::exec::{absolute, Output, Shell, HOME};

/// Scientific Linux 6.1's kernel.
const KERNEL_RELEASE: &str = "2.6.32-131.0.15.el6.x86_64";

pub fn pwd(_: &mut Shell, _: &[String], _: &str) -> Output {
    Output::ok(format!("{HOME}\n"))
}

pub fn whoami(_: &mut Shell, _: &[String], _: &str) -> Output {
    Output::ok("root\n")
}

/// `uname [-snrvmpioa]`. The lab does not know the kernel's build date, so the version
/// (`-v`, and in `-a`) is `#1 SMP` without it.
pub fn uname(shell: &mut Shell, args: &[String], _: &str) -> Output {
    let args = match options(shell, "uname", args, "snrvmpioa", "") {
        Ok(a) => a,
        Err(out) => return out,
    };
    let hostname = shell.hostname();
    let fields = [
        ('s', "Linux".to_string()),
        ('n', hostname),
        ('r', KERNEL_RELEASE.to_string()),
        ('v', "#1 SMP".to_string()),
        ('m', "x86_64".to_string()),
        ('p', "x86_64".to_string()),
        ('i', "x86_64".to_string()),
        ('o', "GNU/Linux".to_string()),
    ];
    let wanted: Vec<&str> = fields
        .iter()
        .filter(|(flag, _)| args.has(*flag) || args.has('a'))
        .map(|(_, value)| value.as_str())
        .collect();
    let line = if wanted.is_empty() {
        "Linux".to_string()
    } else {
        wanted.join(" ")
    };
    Output::ok(format!("{line}\n"))
}

/// `tee [-a] FILE...`: stdin to stdout and to each file, written as `>` or `>>` writes.
pub fn tee(shell: &mut Shell, args: &[String], input: &str) -> Output {
    let args = match options(shell, "tee", args, "ai", "") {
        Ok(a) => a,
        Err(out) => return out,
    };
    let mut out = Output::ok(input);
    for file in &args.operands {
        if let Err(message) = shell.write_file("tee", &absolute(file), input, args.has('a')) {
            out.stderr.push_str(&message);
            out.status = 1;
        }
    }
    out
}

/// `touch FILE...`: an empty file where none is; one that exists is left as it is (the lab
/// keeps no times to change).
pub fn touch(shell: &mut Shell, args: &[String], _: &str) -> Output {
    let args = match options(shell, "touch", args, "acm", "") {
        Ok(a) => a,
        Err(out) => return out,
    };
    if args.operands.is_empty() {
        return usage("touch", "missing file operand", 1);
    }
    let mut out = Output::default();
    for file in &args.operands {
        let path = absolute(file);
        let host = shell.backend.world().host(shell.host);
        if host.read_file(&path).is_ok() || host.is_dir(&path) {
            continue;
        }
        if let Err(message) = shell.write_file("touch", &path, "", true) {
            out.stderr.push_str(&message);
            out.status = 1;
        }
    }
    out
}

/// `sort [-r] [-n] [-u] [FILE...]`, in the C locale's byte order.
pub fn sort(shell: &mut Shell, args: &[String], input: &str) -> Output {
    let args = match options(shell, "sort", args, "rnu", "") {
        Ok(a) => a,
        Err(out) => return out,
    };
    let mut text = String::new();
    if args.operands.is_empty() {
        text.push_str(input);
    }
    for file in &args.operands {
        let host = shell.backend.world().host(shell.host);
        match host.read_file(&absolute(file)) {
            Ok(t) => {
                text.push_str(t);
                if !t.is_empty() && !t.ends_with('\n') {
                    text.push('\n');
                }
            }
            Err(_) => {
                return Output::failed(
                    2,
                    format!("sort: open failed: {file}: No such file or directory\n"),
                )
            }
        }
    }
    let mut lines: Vec<&str> = text.lines().collect();
    if args.has('n') {
        let number = |l: &str| -> f64 {
            let t = l.trim_start();
            let end = t
                .char_indices()
                .find(|(i, c)| !(c.is_ascii_digit() || (*i == 0 && *c == '-') || *c == '.'))
                .map_or(t.len(), |(i, _)| i);
            t[..end].parse().unwrap_or(0.0)
        };
        lines.sort_by(|a, b| number(a).total_cmp(&number(b)).then_with(|| a.cmp(b)));
    } else {
        lines.sort_unstable();
    }
    if args.has('r') {
        lines.reverse();
    }
    if args.has('u') {
        lines.dedup();
    }
    Output::ok(lines.iter().map(|l| format!("{l}\n")).collect::<String>())
}

/// What to do instead of an editor at a prompt that reads one line at a time.
const EDITOR: &str = "the prompt runs one line at a time, with no screen to edit on: write a file with a here-document (`cat > /etc/hosts <<EOF` ... `EOF`), add a line with `echo 'LINE' >> FILE`";

/// Commands of a RHEL 6 install that the prompt does not run, with what to do instead.
const NOT_AT_THE_PROMPT: &[(&str, &str)] = &[
    ("vi", EDITOR),
    ("vim", EDITOR),
    ("nano", EDITOR),
    ("sed", EDITOR),
    ("cd", "every line starts in /root: give the path in full (`cat /etc/sysconfig/network-scripts/ifcfg-eth0`)"),
    ("ssh", "type the command at the other host's prompt: `:sh sv2` in the console, or `sh(\"sv2\", LINE)`"),
    ("scp", "write the file on the other host: `sh(\"sv2\", \"cat > FILE <<EOF ...\")`"),
    ("less", "the output is all there: `cat FILE`, or `head`/`tail` for a part"),
    ("more", "the output is all there: `cat FILE`, or `head`/`tail` for a part"),
    ("man", "the book's chapter \"At the prompt\" lists each command's options"),
    ("printf", "`echo` prints (`echo -n` without the newline, `echo -e` with escapes)"),
    ("export", "assignments are not at the prompt: write the value into the command itself"),
    ("source", "the prompt runs no shell scripts: type their commands one line at a time"),
    ("top", "the lab has no processes to watch: `virsh list` shows the guests, `lab().migrations` the migrations"),
    ("free", "the host's memory is in /proc/meminfo: `grep Mem /proc/meminfo`"),
    ("ps", "the lab has no processes to list: `service NAME status` says whether a daemon runs"),
    ("date", "the lab keeps lab time, not dates: `lab().time` in a script"),
    ("lsmod", "whether KVM is ready is `h.kvm_usable` (the CPU's extension, the BIOS and the Virtualization group)"),
    ("modprobe", "the kvm modules load with the Virtualization group: `h.kvm_usable` says whether KVM is ready"),
    ("awk", "filter with `grep` (`grep -E`, `-v`, `-c`) and `head`/`tail`"),
    ("cut", "filter with `grep` (`grep -E`, `-v`, `-c`) and `head`/`tail`"),
    ("uniq", "`sort -u` sorts and drops repeated lines"),
    ("mv", "copy, then remove the original: `cp FROM TO && rm FROM`"),
    ("chmod", "the lab keeps no permissions: root may read and write every file"),
    ("chown", "the lab keeps no owners: every file is root's"),
    ("shutdown", "shut a guest down with `virsh shutdown NAME`; a host is restarted with `h.reboot()`"),
    ("poweroff", "a host is restarted with `h.reboot()`; the lab does not leave hosts off"),
    ("su", "the prompt is root's already"),
    ("sudo", "the prompt is root's already: type the command alone"),
    ("clear", "the console's screen scrolls; nothing to clear in a script"),
    ("history", "the console keeps its history (up arrow), and `:save` writes the session as a script"),
];

/// The refusal of a RHEL 6 command the prompt does not run, if `name` is one.
pub fn not_at_the_prompt(name: &str) -> Option<Error> {
    NOT_AT_THE_PROMPT
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, help)| Error::ShellUnsupported {
            what: format!("`{n}` is on RHEL 6 but not at this prompt"),
            help: (*help).to_string(),
        })
}

/// The flags every x86-64 CPU of the report's era shows in /proc/cpuinfo; the CPU's
/// virtualization extension adds `svm` or `vmx` (the flag is the CPU's: a BIOS that turns
/// the extension off leaves it there, and only the kvm module's load fails).
const X86_64_FLAGS: &str = "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx lm constant_tsc pni cx16 popcnt lahf_lm";

/// The files of /proc the lab can fill from what it models: `cpuinfo` (one block a core,
/// with the fields the lab knows) and `meminfo` (the host's memory, and what its guests
/// leave free).
pub fn proc_file(shell: &Shell, path: &str) -> Option<String> {
    let world = shell.backend.world();
    let spec = world.host(shell.host).spec();
    match path {
        "/proc/cpuinfo" => {
            let cpu = &spec.cpu;
            let vendor = if cpu.model.contains("Intel")
                || cpu.virt == Some(crate::world::host::hardware::VirtExtension::VtX)
            {
                "GenuineIntel"
            } else {
                "AuthenticAMD"
            };
            let flag = match cpu.virt {
                Some(crate::world::host::hardware::VirtExtension::AmdV) => " svm",
                Some(crate::world::host::hardware::VirtExtension::VtX) => " vmx",
                None => "",
            };
            let blocks: Vec<String> = (0..cpu.cores)
                .map(|n| {
                    format!(
                        "processor\t: {n}\nvendor_id\t: {vendor}\nmodel name\t: {}\ncpu MHz\t\t: {:.3}\ncpu cores\t: {}\nflags\t\t: {X86_64_FLAGS}{flag}\n",
                        cpu.model,
                        cpu.ghz * 1000.0,
                        cpu.cores
                    )
                })
                .collect();
            Some(format!("{}\n", blocks.join("\n")))
        }
        "/proc/meminfo" => {
            let total = spec.memory / 1024;
            let free = world.free_guest_memory(shell.host) / 1024;
            Some(format!(
                "MemTotal:     {total:>10} kB\nMemFree:      {free:>10} kB\n"
            ))
        }
        _ => None,
    }
}
