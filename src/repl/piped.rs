//! The console without a terminal: lines are read from stdin and joined until Rhai's parser
//! says the input is whole, each input's results printed, no prompt and no colour, so a
//! session can be scripted and its transcript tested.

use super::commands::{self, Command};
use super::show::{self, View};
use kvmlab_runtime::console_session::ConsoleSession;
use std::io::BufRead;

/// Reads stdin to its end (or `:quit`); whether any input failed.
pub fn run(session: &mut ConsoleSession, view: &View) -> bool {
    let mut failed = false;
    let mut pending = String::new();
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let Ok(line) = line else {
            eprintln!("kvmlab repl: stdin is not text; stopping");
            return true;
        };
        if pending.is_empty() {
            if line.trim().is_empty() {
                continue;
            }
            if let Some(command) = commands::parse(&line) {
                match commands::run(session, command, view) {
                    Command::Quit => return failed,
                    Command::Done { ok } => failed |= !ok,
                }
                continue;
            }
        }
        pending.push_str(&line);
        pending.push('\n');
        if session.is_complete(&pending) {
            failed |= eval(session, &std::mem::take(&mut pending), view);
        }
    }
    if !pending.is_empty() {
        // Still open at the end of the input: running it says what is missing.
        failed |= eval(session, &pending, view);
    }
    failed
}

fn eval(session: &mut ConsoleSession, input: &str, view: &View) -> bool {
    let evaluated = session.eval(input);
    show::evaluated(session, &evaluated, view);
    evaluated.failed()
}
