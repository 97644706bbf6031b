//! The console's root prompt on a lab host. `:sh sv1` enters it (`[root@sv1 ~]# `), each
//! line runs on sv1 until `exit`; at the Rhai prompt, `sv1 ping -c 1 sv2` (a host's name,
//! then a command) runs one line there. Every line is typed into the session as the input
//! `sh("sv1", "LINE")`, so its warnings show, and `:save` keeps it, as any input's.

use super::show::{self, View};
use kvmlab_runtime::console_session::ConsoleSession;
use kvmlab_runtime::script::network::ShellResult;
use kvmlab_runtime::text::escaped_line;

/// The prompt of a root shell on `host`.
pub fn prompt(host: &str) -> String {
    format!("[root@{host} ~]# ")
}

/// Whether a line typed at the root prompt leaves it.
pub fn leaves(line: &str) -> bool {
    matches!(line.trim(), "exit" | "logout")
}

/// Whether the lines typed so far are a whole command line (here-documents and quotes
/// closed, and an interactive parted session ended with `quit`).
pub fn is_complete(lines: &str) -> bool {
    match parted_session(lines) {
        Some((_, commands)) => commands.last().is_some_and(|c| is_quit(c)),
        None => kvmlab_runtime::shell::parse::is_complete(lines),
    }
}

/// `parted DEVICE` typed alone opens parted's own prompt, as the report used it: the
/// lines after it are parted's commands up to `quit`. Gives the first line and the
/// commands.
fn parted_session(lines: &str) -> Option<(&str, Vec<&str>)> {
    let mut all = lines.lines();
    let first = all.next()?.trim();
    let words: Vec<&str> = first.split_whitespace().collect();
    if !matches!(words.as_slice(), ["parted" | "/sbin/parted", device] if device.starts_with("/dev/"))
    {
        return None;
    }
    Some((
        first,
        all.map(str::trim).filter(|c| !c.is_empty()).collect(),
    ))
}

fn is_quit(command: &str) -> bool {
    matches!(command, "quit" | "q")
}

/// The line as the shell runs it: an interactive parted session becomes parted reading
/// the same commands from a here-document, as the lab's scripts type it.
fn as_run(lines: &str) -> String {
    match parted_session(lines) {
        Some((first, commands)) if !commands.is_empty() => {
            format!("{first} <<'EOF'\n{}\nEOF", commands.join("\n"))
        }
        _ => lines.to_string(),
    }
}

/// The lab host `name`, or why `:sh` cannot enter it.
pub fn host(session: &ConsoleSession, name: &str) -> Result<String, String> {
    let session = session.session().borrow();
    let world = session.backend.world();
    match world.host_named(name) {
        Ok(id) if world.host(id).os().is_some() => Ok(name.to_string()),
        Ok(_) => Err(format!(
            "{name} has no OS installed yet, so no shell: install_os first"
        )),
        Err(e) => Err(format!("{e}; {}", e.help_str().unwrap_or_default())),
    }
}

/// `sv1 ping -c 1 sv2` typed at the Rhai prompt: the host and its command line, when the
/// input's first word is a lab host's name and the next one starts a command (a letter,
/// not a Rhai operator or `in`).
pub fn host_line(session: &ConsoleSession, input: &str) -> Option<(String, String)> {
    let (first, rest) = input.trim().split_once(char::is_whitespace)?;
    let rest = rest.trim_start();
    let command = rest.split_whitespace().next()?;
    if command == "in" || !command.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let session_ref = session.session().borrow();
    session_ref.backend.world().host_named(first).ok()?;
    Some((first.to_string(), rest.to_string()))
}

/// Runs `line` on `host` and prints its streams as a terminal shows them; whether it ran
/// (a command's failing status is still a line that ran).
pub fn run(session: &mut ConsoleSession, host: &str, line: &str, view: &View) -> bool {
    let quote = |text: &str| serde_json::to_string(text).unwrap_or_default();
    let input = format!(
        "sh({}, {})",
        quote(host),
        quote(&as_run(line.trim_end_matches('\n')))
    );
    let mut evaluated = session.eval(&input);
    if let Some(result) = evaluated.value.read_lock::<ShellResult>() {
        for text in result.0.stdout.lines() {
            println!("{}", escaped_line(text));
        }
        for text in result.0.stderr.lines() {
            eprintln!("{}", escaped_line(text));
        }
    }
    evaluated.shown = None;
    show::evaluated(session, &evaluated, view);
    !evaluated.failed()
}

/// Tab completion at the root prompt: a command's name where a command starts (the line's
/// start, or after `|`, `&&`, `||`, `;`), virsh's commands after `virsh`, the host's files
/// and directories in a word that starts with `/`. Gives where the word starts and each
/// candidate as it replaces the word (a command and a file followed by a space, a directory
/// by `/`).
pub fn complete(
    session: &ConsoleSession,
    host: &str,
    line: &str,
    pos: usize,
) -> (usize, Vec<String>) {
    let before = &line[..pos.min(line.len())];
    let start = before.rfind(char::is_whitespace).map_or(0, |at| at + 1);
    let word = &before[start..];
    let earlier: Vec<&str> = before[..start].split_whitespace().collect();
    let mut found: Vec<String> = Vec::new();
    if word.starts_with('/') {
        let shared = session.session().borrow();
        let world = shared.backend.world();
        let Ok(id) = world.host_named(host) else {
            return (start, found);
        };
        let h = world.host(id);
        let dirs = h
            .dirs()
            .into_iter()
            .filter(|d| *d != "/")
            .map(|d| format!("{d}/"));
        let files = h.files().into_iter().map(|f| format!("{f} "));
        for path in dirs.chain(files) {
            let Some(rest) = path.strip_prefix(word) else {
                continue;
            };
            // One level at a time, as bash completes: up to the next `/`.
            let cut = rest.trim_end_matches(['/', ' ']).find('/').map(|at| at + 1);
            let candidate = match cut {
                Some(at) => format!("{word}{}", &rest[..at]),
                None => path.clone(),
            };
            if !found.contains(&candidate) {
                found.push(candidate);
            }
        }
    } else if matches!(earlier.last(), None | Some(&"|" | &"&&" | &"||" | &";")) {
        found = kvmlab_runtime::shell::command_names()
            .into_iter()
            .filter(|c| c.starts_with(word))
            .map(|c| format!("{c} "))
            .collect();
    } else if earlier.first() == Some(&"virsh") && earlier.len() == 1 {
        found = kvmlab_runtime::shell::virsh_commands()
            .into_iter()
            .filter(|c| c.starts_with(word))
            .map(|c| format!("{c} "))
            .collect();
    } else if let Some(command) = earlier.first().filter(|_| word.starts_with('-')) {
        let sub = (*command == "virsh")
            .then(|| earlier.get(1).copied())
            .flatten();
        found = kvmlab_runtime::shell::option_words(command, sub)
            .into_iter()
            .filter(|o| o.starts_with(word))
            .map(|o| format!("{o} "))
            .collect();
    } else if earlier.first() == Some(&"virsh") {
        found = virsh_names(session, host, earlier.get(1).copied().unwrap_or_default())
            .into_iter()
            .filter(|n| n.starts_with(word))
            .map(|n| format!("{n} "))
            .collect();
    }
    found.sort();
    (start, found)
}

/// What a virsh command's first word names on `host`: its guests, or its pools.
fn virsh_names(session: &ConsoleSession, host: &str, command: &str) -> Vec<String> {
    let shared = session.session().borrow();
    let world = shared.backend.world();
    let Ok(id) = world.host_named(host) else {
        return Vec::new();
    };
    if command.starts_with("pool-") && command != "pool-define-as" || command == "vol-list" {
        return world
            .host(id)
            .storage()
            .pools()
            .iter()
            .map(|p| p.spec.name.clone())
            .collect();
    }
    if kvmlab_runtime::shell::option_words("virsh", Some(command)).contains(&"--domain".to_string())
    {
        return world
            .defined_guests()
            .filter(|(_, g)| g.host == id)
            .map(|(_, g)| g.name().to_string())
            .collect();
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kvmlab_runtime::script::engine::Limits;

    fn lab() -> ConsoleSession {
        let mut session = ConsoleSession::new(0, Limits::default(), None);
        let built = session.eval("import \"kvmlab/hosts\" as hosts;\nlet lab = hosts::build();");
        assert!(!built.failed());
        session
    }

    #[test]
    fn an_interactive_parted_session_runs_up_to_quit_as_a_here_document() {
        assert!(!is_complete("parted /dev/sdb"));
        assert!(!is_complete(
            "parted /dev/sdb\nmklabel gpt\nmkpart primary ext3 0% 95GB"
        ));
        assert!(is_complete("parted /dev/sdb\nmklabel gpt\nquit"));
        assert!(is_complete("parted /dev/sdb print"));
        assert_eq!(
            as_run("parted /dev/sdb\nmklabel gpt\n\nquit"),
            "parted /dev/sdb <<'EOF'\nmklabel gpt\nquit\nEOF"
        );
        assert_eq!(as_run("parted -l"), "parted -l");
    }

    #[test]
    fn a_command_then_its_paths_complete_one_level_at_a_time() {
        let session = lab();
        let at = |line: &str| complete(&session, "sv1", line, line.len());
        assert_eq!(at("isc"), (0, vec!["iscsiadm ".to_string()]));
        assert_eq!(
            at("mk").1,
            [
                "mkdir ",
                "mke2fs ",
                "mkfs ",
                "mkfs.ext2 ",
                "mkfs.ext3 ",
                "mkfs.ext4 "
            ]
        );
        assert_eq!(at("cat /etc/hosts | gr"), (17, vec!["grep ".to_string()]));
        assert_eq!(
            at("virsh mi").1,
            [
                "migrate ",
                "migrate-getspeed ",
                "migrate-setmaxdowntime ",
                "migrate-setspeed "
            ]
        );
        assert_eq!(at("virsh migrate --li"), (14, vec!["--live ".to_string()]));
        assert_eq!(at("iscsiadm --mode discovery --ty").1, ["--type "]);
        assert_eq!(at("df -").1, ["-T ", "-h "]);
        assert_eq!(
            at("cat /etc/sysconfig/network-s").1,
            ["/etc/sysconfig/network-scripts/"]
        );
        let scripts = at("cat /etc/sysconfig/network-scripts/ifcfg-e").1;
        assert_eq!(
            scripts,
            [
                "/etc/sysconfig/network-scripts/ifcfg-eth0 ",
                "/etc/sysconfig/network-scripts/ifcfg-eth1 "
            ]
        );
        assert_eq!(at("cat /etc/hos").1, ["/etc/hosts "]);
        assert!(complete(&session, "sv9", "cat /e", 6).1.is_empty());
    }
}
