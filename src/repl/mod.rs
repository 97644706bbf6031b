//! `kvmlab repl`: the interactive console. One [`ConsoleSession`] lasts the whole session;
//! on a terminal the line editor drives it ([`editor`]), from a pipe the lines are read as
//! they come ([`piped`]). [`commands`] are the `:` commands, [`show`] prints what an input
//! did; [`complete`] and [`hint`] are the editor's tab completion and call hints;
//! [`exercise`] is the console on an exercise (`--exercise`, `:check`); [`example`] shows
//! the run of a `:help` entry's example; [`walk`] is `:step LAB`, a lab walked one step at
//! a time; [`root_shell`] is `:sh HOST`, a root prompt on a lab host.

mod commands;
pub mod complete;
mod editor;
mod example;
pub mod exercise;
pub mod hint;
mod piped;
mod root_shell;
mod show;
mod walk;

use kvmlab_runtime::console_session::ConsoleSession;
use kvmlab_runtime::grade::Exercise;
use kvmlab_runtime::script::engine::Limits;
use std::io::IsTerminal;
use std::path::PathBuf;

/// How the console was started.
pub struct Options {
    pub file: Option<PathBuf>,
    /// The exercise whose setup builds the lab and whose checks `:check` runs.
    pub exercise: Option<Exercise>,
    pub seed: u64,
    /// Where files the inputs save go (`kvmlab run`'s `--out`).
    pub out: PathBuf,
    pub color: bool,
}

/// Runs the console to its end; the exit status: 0, or 1 when an input failed (piped), or
/// 2 when the exercise's setup failed.
pub fn run(options: Options) -> i32 {
    match kvmlab_runtime::run::on_interpreter_thread("console", move || console(options)) {
        Ok(status) => status,
        _ => {
            eprintln!("kvmlab repl: internal error: the console thread stopped; this is a bug in kvmlab, please report it");
            2
        }
    }
}

fn console(options: Options) -> i32 {
    let lab_dir = options.file.as_ref().map(|file| match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    });
    let mut session = match options.exercise {
        None => ConsoleSession::new(options.seed, Limits::default(), lab_dir),
        Some(exercise) => match ConsoleSession::with_exercise(exercise, options.seed, lab_dir) {
            Ok(session) => session,
            Err(reason) => {
                eprintln!("kvmlab repl: {reason}");
                return 2;
            }
        },
    };
    session.save_files_in(options.out);
    if let Some(exercise) = session.exercise() {
        exercise::introduce(exercise);
    }
    let terminal = std::io::stdin().is_terminal();
    let view = show::View {
        color: options.color && terminal,
        width: if terminal { terminal_width() } else { 80 },
    };
    let mut failed = false;
    if let Some(file) = &options.file {
        let loaded = session.load(file);
        failed |= loaded.failed();
        show::evaluated(&session, &loaded, &view);
    }
    if terminal {
        editor::run(session, &view);
        0
    } else {
        failed |= piped::run(&mut session, &view);
        i32::from(failed)
    }
}

/// The terminal's width in columns (80 when the system does not say), so tables fit.
fn terminal_width() -> usize {
    // SAFETY: TIOCGWINSZ only writes a `winsize` into the struct it is given.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    let read = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) };
    match (read, size.ws_col) {
        (0, columns) if columns >= 40 => usize::from(columns),
        _ => 80,
    }
}
