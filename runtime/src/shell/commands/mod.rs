//! The prompt's commands by name, and what happens to a name it does not run: a command
//! of an installed package the prompt does not run yet says so, a command of a package the
//! host lacks is bash's `command not found` with the package to install, and any other name
//! is `command not found` with a did-you-mean.

mod basics;
mod interfaces;
mod net;
pub(super) mod storage;
pub(super) mod superblock;
mod system;
mod text;
pub(super) mod virsh;
mod virt_install;

use super::exec::{Output, Shell};
use crate::error::Error;
use crate::suggest;
use crate::world::host::packages::command_provider;

type Run = fn(&mut Shell, &[String], &str) -> Output;

/// Every command the prompt runs, with its implementation.
const COMMANDS: &[(&str, Run)] = &[
    ("blkid", superblock::blkid),
    ("brctl", interfaces::brctl),
    ("cat", text::cat),
    ("chkconfig", system::chkconfig),
    ("cp", system::cp),
    ("df", storage::df),
    ("echo", text::echo),
    ("egrep", text::egrep),
    ("false", text::false_),
    ("fdisk", storage::fdisk),
    ("grep", text::grep),
    ("head", text::head),
    ("hostname", system::hostname),
    ("ifconfig", interfaces::ifconfig),
    ("ifdown", net::ifdown),
    ("ifup", net::ifup),
    ("ip", interfaces::ip),
    ("iscsiadm", storage::iscsiadm),
    ("ls", system::ls),
    ("mkdir", system::mkdir),
    ("mount", storage::mount),
    ("netstat", interfaces::netstat),
    ("parted", storage::parted),
    ("ping", net::ping),
    ("pwd", basics::pwd),
    ("reboot", system::reboot),
    ("rm", system::rm),
    ("route", interfaces::route),
    ("rpm", system::rpm),
    ("service", system::service),
    ("sort", basics::sort),
    ("tail", text::tail),
    ("tee", basics::tee),
    ("touch", basics::touch),
    ("true", text::true_),
    ("tune2fs", superblock::tune2fs),
    ("umount", storage::umount),
    ("uname", basics::uname),
    ("virsh", virsh::virsh),
    ("virt-install", virt_install::virt_install),
    ("wc", text::wc),
    ("whoami", basics::whoami),
    ("yum", system::yum),
];

/// mke2fs under its names: which file system each makes is in its name or its `-t`.
const MKFS: &[&str] = &["mke2fs", "mkfs", "mkfs.ext2", "mkfs.ext3", "mkfs.ext4"];

/// The names of the commands the prompt runs, sorted.
pub fn command_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = COMMANDS
        .iter()
        .map(|(name, _)| *name)
        .chain(MKFS.iter().copied())
        .collect();
    names.sort_unstable();
    names
}

/// The options tab completion offers after each command (the commands read more).
const COMPLETED_OPTIONS: &[(&str, &[&str])] = &[
    ("cat", &["-n"]),
    ("chkconfig", &["--list", "--add", "--del"]),
    ("df", &["-h", "-T"]),
    ("fdisk", &["-l"]),
    ("grep", &["-c", "-e", "-i", "-n", "-v"]),
    ("head", &["-n"]),
    (
        "iscsiadm",
        &[
            "--mode",
            "--type",
            "--portal",
            "--targetname",
            "--login",
            "--logout",
            "--op",
            "--name",
            "--value",
            "--print",
        ],
    ),
    ("ls", &["-a", "-d"]),
    ("mkdir", &["-p", "-v"]),
    ("mount", &["-a", "-o", "-t"]),
    ("netstat", &["-n", "-r"]),
    ("parted", &["--script", "-s"]),
    ("ping", &["-c"]),
    ("route", &["-e", "-n"]),
    ("rpm", &["-q", "-qa"]),
    ("tail", &["-n"]),
    ("virt-install", virt_install::OPTION_WORDS),
    ("wc", &["-c", "-l", "-w"]),
    ("yum", &["-y"]),
];

/// The options tab completion offers for `command` (for virsh, of its command `sub`).
pub fn option_words(command: &str, sub: Option<&str>) -> Vec<String> {
    if command == "virsh" {
        return sub.map(virsh::option_words).unwrap_or_default();
    }
    COMPLETED_OPTIONS
        .iter()
        .find(|(name, _)| *name == command)
        .map(|(_, options)| options.iter().map(|o| o.to_string()).collect())
        .unwrap_or_default()
}

/// Where RHEL 6 keeps the commands, so `/sbin/service` is `service`.
const COMMAND_DIRS: &[&str] = &["/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/"];

/// Runs `argv` with `input` as its stdin.
pub fn run(shell: &mut Shell, argv: &[String], input: &str) -> Output {
    if let Some(service) = argv[0].strip_prefix("/etc/init.d/") {
        // An init script run by its path is `service NAME ACTION`.
        let mut as_service = vec!["service".to_string(), service.to_string()];
        as_service.extend(argv[1..].iter().cloned());
        return run(shell, &as_service, input);
    }
    let name = COMMAND_DIRS
        .iter()
        .find_map(|dir| argv[0].strip_prefix(dir))
        .unwrap_or(&argv[0]);
    if name.contains('/') {
        return Output::failed(
            127,
            format!("bash: {}: No such file or directory\n", argv[0]),
        );
    }
    let host = shell.backend.world().host(shell.host);
    if command_provider(name).is_some() {
        if let Err(missing) = host.require_command(name) {
            return shell.failure(name, missing);
        }
    }
    if let Some((_, run)) = COMMANDS.iter().find(|(n, _)| *n == name) {
        return run(shell, &argv[1..], input);
    }
    if MKFS.contains(&name) {
        return storage::mkfs(shell, name, &argv[1..]);
    }
    if let Some(error) = basics::not_at_the_prompt(name) {
        let mut out = shell.failure(name, error);
        out.status = 2;
        return out;
    }
    let error = if command_provider(name).is_some() {
        Error::ShellUnsupported {
            what: format!("`{name}` is not one of this prompt's commands yet"),
            help: format!(
                "use the script method that does the same (see `kvmlab doc`); the prompt runs {}",
                command_names().join(", ")
            ),
        }
    } else {
        let mut known = command_names();
        known.extend(
            crate::world::host::packages::PACKAGES
                .iter()
                .filter(|p| host.packages().is_installed(p.name))
                .flat_map(|p| p.commands.iter().copied()),
        );
        known.sort_unstable();
        known.dedup();
        Error::CommandNotFound {
            host: host.name().into(),
            command: name.into(),
            help: suggest::help_for(name, "commands on this host", &known),
        }
    };
    let status = if matches!(error, Error::CommandNotFound { .. }) {
        127
    } else {
        2
    };
    let mut out = shell.failure(name, error);
    out.status = status;
    out
}

/// A usage error as coreutils words it: `TOOL: MESSAGE` and the `--help` hint, status 1
/// (2 for grep, which passes its own status).
pub fn usage(tool: &str, message: &str, status: i32) -> Output {
    Output::failed(
        status,
        format!("{tool}: {message}\nTry `{tool} --help' for more information.\n"),
    )
}

/// Long options as a tool with its own reader takes them (virsh, virt-install): each value
/// under its option's name, in the order given, and the flags.
#[derive(Debug, Default)]
pub struct LongOptions {
    pub values: Vec<(&'static str, String)>,
    pub flags: Vec<&'static str>,
}

impl LongOptions {
    /// The last value given to `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of an option the reader made sure was given.
    pub fn required(&self, name: &str) -> &str {
        self.get(name).unwrap_or_default()
    }

    pub fn has(&self, name: &str) -> bool {
        self.flags.contains(&name)
    }

    /// Every value given to `name`, in order (virt-install's `--disk`, more than once).
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.values
            .iter()
            .filter(move |(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Options and operands of a command line, split as getopt does: `-abc` is `-a -b -c`, an
/// option in `with_value` takes the rest of its word or the next word, `--` ends options.
pub struct Args {
    pub options: Vec<(char, Option<String>)>,
    pub operands: Vec<String>,
}

/// [`getopt`], and when it refuses an option, the lab error that names the options the
/// prompt's tool takes (the tool's own words stay on stderr).
pub fn options(
    shell: &mut Shell,
    tool: &str,
    args: &[String],
    flags: &str,
    with_value: &str,
) -> Result<Args, Output> {
    getopt(tool, args, flags, with_value).inspect_err(|_| {
        let option = args
            .iter()
            .take_while(|a| *a != "--")
            .find_map(|a| unknown_option(a, flags, with_value))
            .unwrap_or_default();
        let mut supported: Vec<String> = flags.chars().map(|c| format!("-{c}")).collect();
        supported.extend(with_value.chars().map(|c| format!("-{c} VALUE")));
        if !option.is_empty() {
            shell.note(Error::ShellOption {
                tool: tool.into(),
                option,
                supported: supported.join(", "),
            });
        }
    })
}

/// The option of `word` getopt does not take, if any.
fn unknown_option(word: &str, flags: &str, with_value: &str) -> Option<String> {
    if word.starts_with("--") {
        return Some(word.to_string());
    }
    let letters = word.strip_prefix('-')?;
    for letter in letters.chars() {
        if with_value.contains(letter) {
            return None;
        }
        if !flags.contains(letter) {
            return Some(format!("-{letter}"));
        }
    }
    None
}

pub fn getopt(tool: &str, args: &[String], flags: &str, with_value: &str) -> Result<Args, Output> {
    let mut options = Vec::new();
    let mut operands = Vec::new();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        if word == "--" {
            operands.extend(words.by_ref().cloned());
            break;
        }
        let Some(letters) = word.strip_prefix('-').filter(|l| !l.is_empty()) else {
            operands.push(word.clone());
            continue;
        };
        if letters.starts_with('-') {
            return Err(usage(tool, &format!("unrecognized option '{word}'"), 1));
        }
        for (i, letter) in letters.char_indices() {
            if with_value.contains(letter) {
                let rest = &letters[i + letter.len_utf8()..];
                let value = if rest.is_empty() {
                    match words.next() {
                        Some(v) => v.clone(),
                        None => {
                            return Err(usage(
                                tool,
                                &format!("option requires an argument -- '{letter}'"),
                                1,
                            ))
                        }
                    }
                } else {
                    rest.to_string()
                };
                options.push((letter, Some(value)));
                break;
            }
            if !flags.contains(letter) {
                return Err(usage(tool, &format!("invalid option -- '{letter}'"), 1));
            }
            options.push((letter, None));
        }
    }
    Ok(Args { options, operands })
}

impl Args {
    pub fn has(&self, flag: char) -> bool {
        self.options.iter().any(|(f, _)| *f == flag)
    }

    /// Every value given to `flag`, in order (`grep -e A -e B`).
    pub fn values(&self, flag: char) -> Vec<&str> {
        self.options
            .iter()
            .filter(|(f, _)| *f == flag)
            .filter_map(|(_, v)| v.as_deref())
            .collect()
    }

    /// The last value given to `flag`.
    pub fn value(&self, flag: char) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(f, _)| *f == flag)
            .and_then(|(_, v)| v.as_deref())
    }
}
