//! The console on a terminal: rustyline's line editor with multi-line input (Rhai's parser
//! decides when an input is whole), tab completion and call hints ([`super::complete`],
//! [`super::hint`]), history kept across sessions, Ctrl-C to cancel the line being typed or
//! stop the input running, Ctrl-D to quit (at a root prompt, to leave it).

use super::commands::{self, Command};
use super::root_shell;
use super::show::{self, View};
use super::walk::{self, Walk};
use super::{complete, hint};
use kvmlab_runtime::console_session::ConsoleSession;
use kvmlab_runtime::script::catalog::Catalog;
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::{Hint, Hinter};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Editor, Helper};
use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};
use std::path::PathBuf;
use std::rc::Rc;
use std::thread::JoinHandle;

const PROMPT: &str = "kvmlab> ";

/// The editor's view of the session: whether the lines typed so far are a whole input,
/// what the word at the cursor may become, and the signature of the call being typed.
struct ConsoleHelper {
    session: Rc<RefCell<ConsoleSession>>,
    catalog: OnceCell<Catalog>,
    /// The catalog being read on a thread of its own, so the first prompt does not wait
    /// for it; the first completion or hint takes it.
    reading: RefCell<Option<JoinHandle<Catalog>>>,
    color: bool,
    /// The host of the root prompt (`:sh HOST`) while one is open.
    root: Rc<RefCell<Option<String>>>,
}

impl ConsoleHelper {
    fn catalog(&self) -> &Catalog {
        self.catalog.get_or_init(|| {
            let read = self.reading.borrow_mut().take().and_then(|t| t.join().ok());
            read.unwrap_or_else(kvmlab_runtime::run::catalog)
        })
    }

    /// The session's variables with the Rhai type of their values (`("sv1", "Host")`).
    fn variables(&self) -> Vec<(String, String)> {
        self.session.borrow().variable_types()
    }
}

/// A call's signature shown after the cursor; never inserted into the line.
struct SignatureHint(String);

impl Hint for SignatureHint {
    fn display(&self) -> &str {
        &self.0
    }

    fn completion(&self) -> Option<&str> {
        None
    }
}

impl Validator for ConsoleHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        let input = ctx.input();
        let whole = if self.root.borrow().is_some() {
            root_shell::is_complete(input)
        } else {
            input.trim_start().starts_with(':') || self.session.borrow().is_complete(input)
        };
        Ok(if whole {
            ValidationResult::Valid(None)
        } else {
            ValidationResult::Incomplete
        })
    }
}

impl Completer for ConsoleHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        if let Some(host) = self.root.borrow().as_deref() {
            let (start, found) = root_shell::complete(&self.session.borrow(), host, line, pos);
            let pairs = found
                .into_iter()
                .map(|c| Pair {
                    display: c.trim_end().to_string(),
                    replacement: c,
                })
                .collect();
            return Ok((start, pairs));
        }
        let (start, found) = complete::complete(line, pos, self.catalog(), &self.variables());
        let pairs = found
            .into_iter()
            .map(|c| Pair {
                display: c.display,
                replacement: c.replacement,
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for ConsoleHelper {
    type Hint = SignatureHint;

    fn hint(&self, line: &str, pos: usize, _: &Context<'_>) -> Option<SignatureHint> {
        // Shown after the cursor: only while typing at the end of the line. An empty line
        // (the prompt just shown) has no call, and does not wait for the catalog.
        if pos < line.len() || line.trim().is_empty() {
            return None;
        }
        let found = hint::hint(line, pos, self.catalog(), &self.variables())?;
        Some(SignatureHint(format!("  {found}")))
    }
}

impl Highlighter for ConsoleHelper {
    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.color {
            Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
        } else {
            Cow::Borrowed(hint)
        }
    }
}

impl Helper for ConsoleHelper {}

/// The history file: `KVMLAB_HISTORY` when set, else `history.txt` in the user's data
/// directory for kvmlab (none where the system names no home).
pub fn history_file() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("KVMLAB_HISTORY").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let dirs = directories::ProjectDirs::from("", "", "kvmlab")?;
    Some(dirs.data_dir().join("history.txt"))
}

/// Runs the console until `:quit` or Ctrl-D.
pub fn run(session: ConsoleSession, view: &View) {
    let interrupt = session.interrupt_flag();
    let session = Rc::new(RefCell::new(session));
    let root: Rc<RefCell<Option<String>>> = Rc::new(RefCell::new(None));
    let mut editor: Editor<ConsoleHelper, rustyline::history::FileHistory> = match Editor::new() {
        Ok(editor) => editor,
        Err(e) => {
            eprintln!("kvmlab repl: cannot start the line editor: {e}");
            return;
        }
    };
    // The terminal is raw while a line is typed, so Ctrl-C reaches the handler only while
    // an input runs: then it stops that input. Installed after the editor, whose own
    // handler it replaces.
    if let Err(e) =
        ctrlc::set_handler(move || interrupt.store(true, std::sync::atomic::Ordering::Relaxed))
    {
        eprintln!("kvmlab repl: Ctrl-C cannot stop a running input here ({e})");
    }
    editor.set_helper(Some(ConsoleHelper {
        session: session.clone(),
        catalog: OnceCell::new(),
        reading: RefCell::new(
            std::thread::Builder::new()
                .name("catalog".into())
                .stack_size(8 << 20)
                .spawn(kvmlab_runtime::run::catalog)
                .ok(),
        ),
        color: view.color,
        root: root.clone(),
    }));
    let history = history_file();
    if let Some(path) = &history {
        // A first session has no history yet.
        let _ = editor.load_history(path);
    }
    println!("kvmlab console: type Rhai, :help for the commands, Ctrl-D to leave");
    let mut walking: Option<Walk> = None;
    loop {
        let host = root.borrow().clone();
        let prompt = match &host {
            Some(host) => root_shell::prompt(host),
            None => walking.as_ref().map_or(PROMPT.to_string(), Walk::prompt),
        };
        match editor.readline(&prompt) {
            Ok(line) if host.is_some() => {
                let host = host.unwrap_or_default();
                let _ = editor.add_history_entry(line.as_str());
                if root_shell::leaves(&line) {
                    *root.borrow_mut() = None;
                } else if !line.trim().is_empty() {
                    root_shell::run(&mut session.borrow_mut(), &host, &line, view);
                }
            }
            Err(ReadlineError::Eof) if host.is_some() => *root.borrow_mut() = None,
            Ok(line) => {
                let mut session = session.borrow_mut();
                if line.trim().is_empty() {
                    // Enter on an empty line runs the step being walked.
                    if let Some(walk) = walking.take() {
                        walking = walk.enter(&mut session, view).1;
                    }
                    continue;
                }
                let _ = editor.add_history_entry(line.as_str());
                if let Some(request) = commands::parse(&line) {
                    if matches!(request, commands::Request::Reset) {
                        if let Some(walk) = walking.take() {
                            walk.reset();
                        }
                    }
                    match commands::run(&mut session, request, view) {
                        Command::Quit => break,
                        Command::Done { .. } => {}
                        Command::Shell(host) => *root.borrow_mut() = Some(host),
                        Command::Step(argument) => {
                            let taken = walking.take();
                            walking =
                                walk::command(&mut session, taken, argument.as_deref(), view).1;
                        }
                    }
                    continue;
                }
                if let Some((host, command)) = root_shell::host_line(&session, &line) {
                    root_shell::run(&mut session, &host, &command, view);
                    continue;
                }
                let evaluated = session.eval(&line);
                show::evaluated(&session, &evaluated, view);
                if let Some(walk) = walking.as_mut() {
                    walk.typed(!evaluated.failed());
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("kvmlab repl: cannot read the terminal: {e}");
                break;
            }
        }
    }
    if let Some(path) = &history {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Err(e) = editor.save_history(path) {
            eprintln!("kvmlab repl: history not kept in {}: {e}", path.display());
        }
    }
}
