//! Running a parsed line: `&&` and `||` by exit status, a pipeline's stdout into the next
//! command's stdin, redirections in bash's left-to-right order, here-documents as input.
//! Files a line writes are written through the backend once the command has run.

use super::commands;
use super::parse::{
    self, AndOrList, Command, Connector, Line, LineError, Piece, Pipeline, Redirect, Word,
};
use super::{Migrator, ShellOutput, MAX_OUTPUT};
use crate::backend::Backend;
use crate::error::Error;
use crate::world::HostId;

/// Root's home, where relative paths start.
pub const HOME: &str = "/root";

/// What one command left.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn ok(stdout: impl Into<String>) -> Output {
        Output {
            status: 0,
            stdout: stdout.into(),
            stderr: String::new(),
        }
    }

    pub fn failed(status: i32, stderr: impl Into<String>) -> Output {
        Output {
            status,
            stdout: String::new(),
            stderr: stderr.into(),
        }
    }
}

/// Where a stream goes after the redirections.
#[derive(Debug, Clone, PartialEq)]
enum Sink {
    Stdout,
    Stderr,
    File { path: String, append: bool },
    Null,
}

pub struct Shell<'a, 'm> {
    pub backend: &'a mut dyn Backend,
    pub migrate: &'a mut Migrator<'m>,
    pub host: HostId,
    last_status: i32,
    error: Option<Error>,
    stdout: String,
    stderr: String,
    /// The records the running command gave with its output.
    given_rows: Option<Vec<serde_json::Value>>,
    /// The records of the line's last command, when its stdout reached the terminal.
    rows: Vec<serde_json::Value>,
}

impl<'a, 'm> Shell<'a, 'm> {
    pub fn new(
        backend: &'a mut dyn Backend,
        migrate: &'a mut Migrator<'m>,
        host: HostId,
    ) -> Shell<'a, 'm> {
        Shell {
            backend,
            migrate,
            host,
            last_status: 0,
            error: None,
            stdout: String::new(),
            stderr: String::new(),
            given_rows: None,
            rows: Vec::new(),
        }
    }

    /// Warnings an operation returned (a config file's findings are passed as their
    /// errors) reach the run as from the script methods.
    pub fn warn_all(&mut self, warnings: impl IntoIterator<Item = Error>) {
        for warning in warnings {
            self.backend.warn(warning);
        }
    }

    /// The records behind what the running command prints (`df`'s rows, virsh's domains),
    /// for the result's `rows` when its stdout reaches the terminal.
    pub fn give_rows<T: serde::Serialize>(&mut self, records: &[T]) {
        self.given_rows = Some(
            records
                .iter()
                .map(|r| serde_json::to_value(r).unwrap_or(serde_json::Value::Null))
                .collect(),
        );
    }

    /// Keeps the first lab error of the line for the result.
    pub fn note(&mut self, error: Error) {
        self.error.get_or_insert(error);
    }

    pub fn run_line(mut self, line: &Line) -> ShellOutput {
        for list in &line.lists {
            self.last_status = self.and_or(list);
        }
        self.finish()
    }

    /// A line that cannot run: bash's syntax error (status 2), or the construct refused.
    pub fn refuse(mut self, refusal: LineError) -> ShellOutput {
        let error = match refusal {
            LineError::Syntax(message) => Error::ShellSyntax {
                message,
                help: "quote text with spaces or special characters ('...'), and close every quote and here-document".into(),
            },
            LineError::Unsupported(what) => Error::ShellUnsupported {
                what,
                help: "run the parts one `sh(..)` at a time".into(),
            },
        };
        self.stderr = format!("{}\n", error);
        self.last_status = 2;
        self.note(error);
        self.finish()
    }

    fn finish(self) -> ShellOutput {
        ShellOutput {
            status: self.last_status,
            stdout: capped(self.stdout),
            stderr: capped(self.stderr),
            error: self.error,
            rows: self.rows,
        }
    }

    fn and_or(&mut self, list: &AndOrList) -> i32 {
        let mut status = self.pipeline(&list.first);
        for (connector, next) in &list.rest {
            let runs = match connector {
                Connector::And => status == 0,
                Connector::Or => status != 0,
            };
            if runs {
                status = self.pipeline(next);
            }
        }
        status
    }

    fn pipeline(&mut self, pipeline: &Pipeline) -> i32 {
        let mut input = String::new();
        let mut status = 0;
        let last = pipeline.commands.len().saturating_sub(1);
        for (i, command) in pipeline.commands.iter().enumerate() {
            let (out, rows) = self.command(command, std::mem::take(&mut input));
            status = out.status;
            push_capped(&mut self.stderr, &out.stderr);
            if i == last {
                self.rows = rows.unwrap_or_default();
                push_capped(&mut self.stdout, &out.stdout);
            } else {
                input = out.stdout;
            }
            self.last_status = status;
        }
        if pipeline.negated {
            i32::from(status == 0)
        } else {
            status
        }
    }

    /// One command with its redirections: input chosen first, the command run, then each
    /// stream sent where the redirections left it; with the records it gave, when its
    /// stdout was left to the terminal.
    fn command(
        &mut self,
        command: &Command,
        piped: String,
    ) -> (Output, Option<Vec<serde_json::Value>>) {
        self.given_rows = None;
        let (out, to_terminal) = self.redirected(command, piped);
        let rows = self.given_rows.take().filter(|_| to_terminal);
        (out, rows)
    }

    fn redirected(&mut self, command: &Command, piped: String) -> (Output, bool) {
        let argv: Vec<String> = command
            .words
            .iter()
            .flat_map(|w| self.expand_paths(w))
            .collect();
        let mut input = piped;
        let mut sinks = [Sink::Stdout, Sink::Stderr];
        for redirect in &command.redirects {
            match redirect {
                Redirect::Input(file) => {
                    let path = absolute(&self.expand(file));
                    match self.backend.world().host(self.host).read_file(&path) {
                        Ok(text) => input = text.to_string(),
                        Err(e) => return (self.failure("bash", e), false),
                    }
                }
                Redirect::HereDocument { text, expand } => {
                    input = if *expand {
                        match parse::heredoc(text) {
                            Ok(word) => self.expand(&word),
                            Err(_) => text.clone(),
                        }
                    } else {
                        text.clone()
                    };
                }
                Redirect::HereString(word) => input = format!("{}\n", self.expand(word)),
                Redirect::Output { fd, target, append } => {
                    let Some(slot) = slot(*fd) else {
                        return (
                            Output::failed(1, format!("bash: {fd}: Bad file descriptor\n")),
                            false,
                        );
                    };
                    sinks[slot] = self.sink(target, *append);
                }
                Redirect::Both { target, append } => {
                    let sink = self.sink(target, *append);
                    sinks = [sink.clone(), sink];
                }
                Redirect::Duplicate { from, to } => {
                    let (Some(from), Some(to)) = (slot(*from), slot(*to)) else {
                        return (
                            Output::failed(1, format!("bash: {to}: Bad file descriptor\n")),
                            false,
                        );
                    };
                    sinks[from] = sinks[to].clone();
                }
            }
        }
        let out = if argv.is_empty() {
            Output::default()
        } else {
            commands::run(self, &argv, &input)
        };
        let to_terminal = sinks[0] == Sink::Stdout;
        (self.route(out, &sinks), to_terminal)
    }

    fn sink(&self, target: &Word, append: bool) -> Sink {
        let path = absolute(&self.expand(target));
        if path == "/dev/null" {
            Sink::Null
        } else {
            Sink::File { path, append }
        }
    }

    /// Sends a command's streams to their sinks; a file both streams go to gets stdout's
    /// text, then stderr's, in one write.
    fn route(&mut self, out: Output, sinks: &[Sink; 2]) -> Output {
        let mut routed = Output {
            status: out.status,
            ..Output::default()
        };
        let mut files: Vec<(String, bool, String)> = Vec::new();
        for (text, sink) in [(out.stdout, &sinks[0]), (out.stderr, &sinks[1])] {
            match sink {
                Sink::Stdout => routed.stdout.push_str(&text),
                Sink::Stderr => routed.stderr.push_str(&text),
                Sink::Null => {}
                Sink::File { path, append } => match files.iter_mut().find(|f| &f.0 == path) {
                    Some(file) => file.2.push_str(&text),
                    None => files.push((path.clone(), *append, text)),
                },
            }
        }
        for (path, append, text) in files {
            if let Err(message) = self.write_file("bash", &path, &text, append) {
                routed.stderr.push_str(&message);
                routed.status = 1;
            }
        }
        routed
    }

    /// Writes (or appends to) a host file through the backend, so a config file's findings
    /// reach the run as from `write_file`; a failure is `tool`'s message.
    pub fn write_file(
        &mut self,
        tool: &str,
        path: &str,
        text: &str,
        append: bool,
    ) -> Result<(), String> {
        let written = if append {
            self.backend.append_host_file(self.host, path, text)
        } else {
            self.backend.write_host_file(self.host, path, text)
        };
        match written {
            Ok(findings) => {
                self.warn_all(findings.into_iter().map(|f| f.error));
                Ok(())
            }
            Err(e) => Err(self.failure(tool, e).stderr),
        }
    }

    /// A command's word: the paths its pattern matches on the host, sorted, as bash expands
    /// `ifcfg-*`; the word itself when it has no pattern or the pattern matches nothing.
    fn expand_paths(&self, word: &Word) -> Vec<String> {
        if !word.0.iter().any(|p| matches!(p, Piece::Pattern(_))) {
            return vec![self.expand(word)];
        }
        let pattern: String = word
            .0
            .iter()
            .map(|piece| match piece {
                Piece::Pattern(p) => p.clone(),
                _ => glob::Pattern::escape(&self.expand(&Word(vec![piece.clone()]))),
            })
            .collect();
        let relative = !pattern.starts_with('/');
        let mut found = vec![if relative {
            HOME.to_string()
        } else {
            String::new()
        }];
        for part in pattern.split('/').filter(|p| !p.is_empty()) {
            let Ok(glob) = glob::Pattern::new(part) else {
                return vec![self.expand(word)];
            };
            let literal = glob::Pattern::escape(part) == part;
            let mut next = Vec::new();
            for dir in &found {
                let shown = if dir.is_empty() { "/" } else { dir.as_str() };
                if literal {
                    next.push(format!("{dir}/{part}"));
                    continue;
                }
                let entries = self
                    .backend
                    .world()
                    .list_dir(self.host, shown)
                    .unwrap_or_default();
                for entry in entries {
                    // A leading dot is matched only by a pattern that starts with one.
                    if entry.name.starts_with('.') && !part.starts_with('.') {
                        continue;
                    }
                    if glob.matches(&entry.name) {
                        next.push(format!("{dir}/{}", entry.name));
                    }
                }
            }
            found = next;
        }
        let mut paths: Vec<String> = found
            .into_iter()
            .filter(|p| self.exists_in_listing(p))
            .map(|p| match p.strip_prefix(&format!("{HOME}/")) {
                Some(rest) if relative => rest.to_string(),
                _ => p,
            })
            .collect();
        paths.sort();
        if paths.is_empty() {
            vec![self.expand(word)]
        } else {
            paths
        }
    }

    /// Whether `path` is an entry its directory lists (an image in a mounted file system).
    fn exists_in_listing(&self, path: &str) -> bool {
        let Some((dir, name)) = path.rsplit_once('/') else {
            return false;
        };
        let dir = if dir.is_empty() { "/" } else { dir };
        self.backend
            .world()
            .list_dir(self.host, dir)
            .is_some_and(|entries| entries.iter().any(|e| e.name == name))
    }

    /// A word's text: `$NAME` from root's environment (unset names are empty, as in bash),
    /// `$?` the last status, `~` root's home.
    pub fn expand(&self, word: &Word) -> String {
        word.0
            .iter()
            .map(|piece| match piece {
                Piece::Text(t) | Piece::Pattern(t) => t.clone(),
                Piece::LastStatus => self.last_status.to_string(),
                Piece::Home => HOME.into(),
                Piece::Variable(name) => self.variable(name),
            })
            .collect()
    }

    fn variable(&self, name: &str) -> String {
        match name {
            "HOME" | "PWD" => HOME.into(),
            "USER" | "LOGNAME" => "root".into(),
            "SHELL" => "/bin/bash".into(),
            "HOSTNAME" => self.hostname(),
            "PATH" => "/usr/lib64/qt-3.3/bin:/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin:/root/bin".into(),
            _ => String::new(),
        }
    }

    pub fn hostname(&self) -> String {
        let host = self.backend.world().host(self.host);
        host.os()
            .map_or_else(|| host.name().to_string(), |os| os.hostname.clone())
    }

    /// A lab error as the tool prints it, with the exit code bash gives a missing command
    /// (127) or the tool's failure (1). The error is kept for the result.
    pub fn failure(&mut self, tool: &str, error: Error) -> Output {
        let status = match error {
            Error::CommandNotFound { .. } => 127,
            _ => 1,
        };
        let host = self.backend.world().host(self.host).name().to_string();
        let full = error.to_string();
        let mut text = full
            .strip_prefix(&format!("{host}: "))
            .map_or(full.clone(), str::to_string);
        if !["bash:", "kvmlab:", &format!("{tool}:")]
            .iter()
            .any(|p| text.starts_with(p))
        {
            text = format!("{tool}: {text}");
        }
        self.note(error);
        Output::failed(status, format!("{text}\n"))
    }
}

/// Index of stdout (1) or stderr (2) in the sinks.
fn slot(fd: i32) -> Option<usize> {
    match fd {
        1 => Some(0),
        2 => Some(1),
        _ => None,
    }
}

/// A path from root's home when it is relative.
pub fn absolute(path: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{HOME}/{path}")
    }
}

/// Appends while the text is under twice the cap, so a long line cannot grow it further;
/// [`capped`] cuts it to the cap at the end.
fn push_capped(text: &mut String, more: &str) {
    if text.len() <= MAX_OUTPUT {
        text.push_str(more);
    }
}

fn capped(mut text: String) -> String {
    if text.len() > MAX_OUTPUT {
        let mut cut = MAX_OUTPUT;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let total = text.len();
        text.truncate(cut);
        text.push_str(&format!(
            "\n[kvmlab: output cut at {MAX_OUTPUT} of {total} bytes]\n"
        ));
    }
    text
}
