//! `kvmlab repl`: the interactive console. One [`ConsoleSession`] lasts the whole session;
//! on a terminal the line editor drives it ([`editor`]), from a pipe the lines are read as
//! they come ([`piped`]). [`commands`] are the `:` commands, [`show`] prints what an input
//! did; [`complete`] and [`hint`] are the editor's tab completion and call hints; [`walk`]
//! is `:step LAB`, a lab walked one step at a time.

mod commands;
pub mod complete;
mod editor;
pub mod hint;
mod piped;
mod show;
mod walk;

use kvmlab_runtime::console_session::ConsoleSession;
use kvmlab_runtime::script::engine::Limits;
use std::io::IsTerminal;
use std::path::PathBuf;

/// How the console was started.
pub struct Options {
    pub file: Option<PathBuf>,
    pub seed: u64,
    pub color: bool,
}

/// Runs the console to its end; the exit status: 0, or 1 when an input failed (piped).
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
    let mut session = ConsoleSession::new(options.seed, Limits::default(), lab_dir);
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
