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
/// closed).
pub fn is_complete(lines: &str) -> bool {
    kvmlab_runtime::shell::parse::is_complete(lines)
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
        quote(line.trim_end_matches('\n'))
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
