//! The console without a terminal: lines are read from stdin and joined until Rhai's parser
//! says the input is whole, each input's results printed, no prompt and no colour, so a
//! session can be scripted and its transcript tested. During a `:step` walk an empty line is
//! Enter (it runs the step); otherwise empty lines are skipped. At a root prompt (`:sh
//! HOST`) lines are joined until the command line is whole and run on the host.

use super::commands::{self, Command};
use super::root_shell;
use super::show::{self, View};
use super::walk::{self, Walk};
use kvmlab_runtime::console_session::ConsoleSession;
use std::io::BufRead;

/// Reads stdin to its end (or `:quit`); whether any input failed.
pub fn run(session: &mut ConsoleSession, view: &View) -> bool {
    let mut failed = false;
    let mut pending = String::new();
    let mut walking: Option<Walk> = None;
    let mut root: Option<String> = None;
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let Ok(line) = line else {
            eprintln!("kvmlab repl: stdin is not text; stopping");
            return true;
        };
        if let Some(host) = &root {
            pending.push_str(&line);
            pending.push('\n');
            if !root_shell::is_complete(&pending) {
                continue;
            }
            let typed = std::mem::take(&mut pending);
            if root_shell::leaves(&typed) {
                root = None;
            } else if !typed.trim().is_empty() {
                failed |= !root_shell::run(session, host, &typed, view);
            }
            continue;
        }
        if pending.is_empty() {
            if line.trim().is_empty() {
                if let Some(walk) = walking.take() {
                    let (ok, next) = walk.enter(session, view);
                    (failed, walking) = (failed | !ok, next);
                }
                continue;
            }
            if let Some(command) = commands::parse(&line) {
                if matches!(command, commands::Request::Reset) {
                    if let Some(walk) = walking.take() {
                        walk.reset();
                    }
                }
                match commands::run(session, command, view) {
                    Command::Quit => return failed,
                    Command::Done { ok } => failed |= !ok,
                    Command::Shell(host) => root = Some(host),
                    Command::Step(argument) => {
                        let (ok, next) =
                            walk::command(session, walking.take(), argument.as_deref(), view);
                        (failed, walking) = (failed | !ok, next);
                    }
                }
                continue;
            }
            if let Some((host, command)) = root_shell::host_line(session, &line) {
                failed |= !root_shell::run(session, &host, &command, view);
                continue;
            }
        }
        pending.push_str(&line);
        pending.push('\n');
        if session.is_complete(&pending) {
            let input_failed = eval(session, &std::mem::take(&mut pending), view);
            if let Some(walk) = walking.as_mut() {
                walk.typed(!input_failed);
            }
            failed |= input_failed;
        }
    }
    if !pending.is_empty() {
        // Still open at the end of the input: running it says what is missing.
        failed |= match &root {
            Some(host) => !root_shell::run(session, host, &pending, view),
            None => eval(session, &pending, view),
        };
    }
    failed
}

fn eval(session: &mut ConsoleSession, input: &str, view: &View) -> bool {
    let evaluated = session.eval(input);
    show::evaluated(session, &evaluated, view);
    evaluated.failed()
}
