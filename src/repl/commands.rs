//! The console's `:` commands: `:help [NAME]`, `:world`, `:time`, `:reset`, `:load FILE`,
//! `:save FILE` (`:save! FILE` to replace a file), `:check` (an exercise's visible items,
//! [`super::exercise`]), `:step …` (handed to [`super::walk`]), `:sh HOST` (handed to
//! [`super::root_shell`]), `:checkpoint [NAME]`, `:restore NAME`, `:quit`.

use super::show::{self, View};
use kvmlab_runtime::console_session::ConsoleSession;
use kvmlab_runtime::run;
use kvmlab_runtime::script::show as summary;
use std::path::Path;

/// A command as typed.
#[derive(Debug, PartialEq)]
pub enum Request<'a> {
    Help(Option<&'a str>),
    World,
    Time,
    Reset,
    Load(&'a str),
    Save { file: &'a str, replace: bool },
    Check,
    Step(Option<&'a str>),
    Shell(&'a str),
    Checkpoint(Option<&'a str>),
    Restore(&'a str),
    Quit,
    Unknown(&'a str),
}

/// What the console does after a command.
pub enum Command {
    Quit,
    Done {
        ok: bool,
    },
    /// `:step` with its argument: the console's walk takes it.
    Step(Option<String>),
    /// `:sh HOST`: the console's root prompt on that host.
    Shell(String),
}

/// The commands and what they do, for `:help`.
const COMMANDS: &[(&str, &str)] = &[
    (
        ":help [NAME]",
        "this list, or the reference entry of a function, type or stdlib module",
    ),
    (
        ":world",
        "the whole lab at a glance: hosts, networks, storage, guests, transfers",
    ),
    (
        ":time",
        "the lab's simulated time and the downloads still running",
    ),
    (
        ":reset",
        "a fresh lab: a new world with the same seed, no variables, no functions",
    ),
    (
        ":load FILE",
        "run a lab file into the session; its variables and world stay",
    ),
    (
        ":save FILE",
        "write the inputs that succeeded as a script `kvmlab run` runs (:save! replaces a file)",
    ),
    (
        ":check",
        "grade the lab as it is now with the exercise's visible checks (--exercise)",
    ),
    (
        ":step LAB",
        "walk a lab a step at a time (its path, or its name in labs/: `:step 01`); Enter runs a step",
    ),
    (
        ":step LAB --from N",
        "walk it from step N: the steps before run first, as the lab writes them",
    ),
    (":step", "during a walk: show the step again"),
    (":step run", "during a walk: run the step's own commands, checks included"),
    (":step skip", "during a walk: go on to the next step without running this one"),
    (":step stop", "leave the walk; the lab and the variables stay"),
    (
        ":sh HOST",
        "a root prompt on a lab host ([root@sv1 ~]#): the report's commands; `exit` comes back",
    ),
    (
        ":checkpoint NAME",
        "keep the lab, its time and the variables as they are now, under NAME (alone: list them)",
    ),
    (
        ":restore NAME",
        "go back to checkpoint NAME: the lab, its time, the variables and the inputs :save keeps",
    ),
    (":quit", "leave the console (Ctrl-D too)"),
];

/// The command on `line`, when it is one (it starts with `:`).
pub fn parse(line: &str) -> Option<Request<'_>> {
    let line = line.trim();
    let rest = line.strip_prefix(':')?;
    let (name, argument) = match rest.split_once(char::is_whitespace) {
        Some((name, argument)) => (name, Some(argument.trim()).filter(|a| !a.is_empty())),
        None => (rest, None),
    };
    Some(match (name, argument) {
        ("help" | "h" | "?", name) => Request::Help(name),
        ("world", None) => Request::World,
        ("time", None) => Request::Time,
        ("reset", None) => Request::Reset,
        ("load", Some(file)) => Request::Load(file),
        ("save", Some(file)) => Request::Save {
            file,
            replace: false,
        },
        ("save!", Some(file)) => Request::Save {
            file,
            replace: true,
        },
        ("check", None) => Request::Check,
        ("step", argument) => Request::Step(argument),
        ("sh", Some(host)) => Request::Shell(host),
        ("checkpoint", name) => Request::Checkpoint(name),
        ("restore", Some(name)) => Request::Restore(name),
        ("quit" | "q" | "exit", None) => Request::Quit,
        _ => Request::Unknown(line),
    })
}

/// Runs a command against the session, printing what it says.
pub fn run(session: &mut ConsoleSession, request: Request, view: &View) -> Command {
    let ok = match request {
        Request::Quit => return Command::Quit,
        Request::Step(argument) => return Command::Step(argument.map(str::to_string)),
        Request::Shell(host) => match super::root_shell::host(session, host) {
            Ok(host) => {
                println!("root on {host}: the report's commands, `exit` to come back to Rhai");
                return Command::Shell(host);
            }
            Err(reason) => {
                eprintln!("kvmlab repl: {reason}");
                false
            }
        },
        Request::Help(None) => {
            println!("Type Rhai: each input runs in one lab that lasts the session.");
            for (command, what) in COMMANDS {
                println!("  {command:<14} {what}");
            }
            true
        }
        Request::Help(Some(name)) => help(session, name, view),
        Request::World => {
            println!(
                "{}",
                summary::world_summary(&session.session().borrow(), view.width)
            );
            true
        }
        Request::Time => {
            println!(
                "{}",
                summary::time_summary(&session.session().borrow(), view.width)
            );
            true
        }
        Request::Reset => match (session.checkpoints().len(), session.reset()) {
            (dropped, Ok(())) if session.exercise().is_some() => {
                println!("a fresh lab: the exercise's setup ran again, lab time {} s, only its variables{}", session.lab_time(), checkpoints_dropped(dropped));
                true
            }
            (dropped, Ok(())) => {
                println!(
                    "a fresh lab: lab time 0 s, no variables{}",
                    checkpoints_dropped(dropped)
                );
                true
            }
            (_, Err(reason)) => {
                eprintln!("kvmlab repl: {reason}; the lab is as it was");
                false
            }
        },
        Request::Check => super::exercise::check(session, view),
        Request::Checkpoint(None) => {
            let kept = session.checkpoints();
            if kept.is_empty() {
                println!("no checkpoints yet: `:checkpoint NAME` keeps the lab as it is now");
            }
            for (name, at) in kept {
                println!(
                    "  {name:<20} the lab at {}",
                    kvmlab_runtime::units::human_duration(at)
                );
            }
            true
        }
        Request::Checkpoint(Some(name)) => said(session.checkpoint(name)),
        Request::Restore(name) => said(session.restore(name)),
        Request::Load(file) => {
            let loaded = session.load(Path::new(file));
            show::evaluated(session, &loaded, view);
            !loaded.failed()
        }
        Request::Save { file, replace } => save(session, Path::new(file), replace),
        Request::Unknown(line) => {
            let mut known: Vec<&str> = COMMANDS
                .iter()
                .filter_map(|(c, _)| c.split_whitespace().next())
                .collect();
            known.dedup();
            eprintln!(
                "kvmlab repl: `{line}` is not a command; the commands are {} (:help says more)",
                known.join(", ")
            );
            false
        }
    };
    Command::Done { ok }
}

/// What a reset says of the checkpoints it dropped with the old lab.
fn checkpoints_dropped(count: usize) -> String {
    match count {
        0 => String::new(),
        n => format!(", and the {n} checkpoint(s) of the old lab are gone"),
    }
}

/// Prints what a checkpoint command did, or its refusal with code and help.
fn said(result: Result<String, kvmlab_runtime::Error>) -> bool {
    match result {
        Ok(text) => {
            println!("{text}");
            true
        }
        Err(error) => {
            eprint!("{}", super::exercise::refusal(&error));
            false
        }
    }
}

/// The entry's doc, each example followed by what it does in a scratch lab.
fn help(session: &ConsoleSession, name: &str, view: &View) -> bool {
    let catalog = run::catalog();
    let entries = catalog.entries(name);
    match entries.is_empty() {
        false => {
            for entry in entries {
                print!("{}", entry.text);
                if let Some(example) = entry.example {
                    println!("The example, run in a lab of its own:");
                    for line in super::example::result(session, &example, view) {
                        println!("  {line}");
                    }
                    println!();
                }
            }
            true
        }
        true => {
            let names = catalog.doc_names();
            match kvmlab_runtime::suggest::closest(name, names.iter().map(String::as_str)) {
                Some(near) => eprintln!("nothing is called `{name}`; did you mean `{near}`?"),
                None => eprintln!("nothing is called `{name}`; `kvmlab doc` lists everything"),
            }
            false
        }
    }
}

fn save(session: &ConsoleSession, file: &Path, replace: bool) -> bool {
    let shown = file.display();
    if !replace && file.exists() {
        eprintln!("kvmlab repl: `{shown}` exists; `:save! {shown}` replaces it");
        return false;
    }
    let script = session.script();
    match std::fs::write(file, &script) {
        Ok(()) => {
            let lines = script.lines().count();
            match session.exercise() {
                Some(exercise) => println!(
                    "saved {lines} line(s) to {shown}, without the setup: `kvmlab grade {} {shown}` grades it",
                    exercise.dir.display()
                ),
                None => println!("saved {lines} line(s) to {shown}; `kvmlab run {shown}` runs them"),
            }
            true
        }
        Err(e) => {
            eprintln!("kvmlab repl: cannot write `{shown}`: {e}");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_with_their_arguments() {
        assert_eq!(parse("1 + 2"), None);
        assert_eq!(parse(":help"), Some(Request::Help(None)));
        assert_eq!(parse(" :help host "), Some(Request::Help(Some("host"))));
        assert_eq!(
            parse(":load labs/a.rhai"),
            Some(Request::Load("labs/a.rhai"))
        );
        assert_eq!(
            parse(":save! s.rhai"),
            Some(Request::Save {
                file: "s.rhai",
                replace: true
            })
        );
        assert_eq!(parse(":save"), Some(Request::Unknown(":save")));
        assert_eq!(parse(":quit"), Some(Request::Quit));
        assert_eq!(parse(":check"), Some(Request::Check));
        assert_eq!(parse(":step 01"), Some(Request::Step(Some("01"))));
        assert_eq!(parse(":step"), Some(Request::Step(None)));
    }

    #[test]
    fn every_command_the_editor_completes_is_one() {
        for command in super::super::complete::COMMANDS {
            let typed = format!("{command} x");
            let request = parse(command).filter(|r| !matches!(r, Request::Unknown(_)));
            let with_argument = parse(&typed).filter(|r| !matches!(r, Request::Unknown(_)));
            assert!(request.or(with_argument).is_some(), "{command}");
        }
    }
}
