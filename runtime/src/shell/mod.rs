//! A root shell on a lab host: the report's commands typed as the report typed them.
//!
//! `run` takes one command line (`service network restart && ping -c 1 sv2`), runs it on a
//! host through the same [`Backend`] operations as the script methods, and answers what a
//! RHEL 6 root shell would: exit status, stdout and stderr, in the tools' own words. A
//! lab error a command meets (a missing package, an unknown service) is its tool's message
//! on stderr and its exit code, and the result keeps the error's code and help; warnings
//! about what a command wrote (a config file's findings) reach the run as from the methods.
//!
//! - `parse`: the line's grammar (brush-parser), reduced to what the prompt runs;
//! - `exec`: lists, pipelines, redirections and here-documents;
//! - `commands/`: the commands, one family per file.

mod commands;
mod exec;
pub mod parse;

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::migration::{MigrationReport, MigrationRequest};
use crate::world::guest::GuestId;
use crate::world::HostId;

pub use commands::storage::mke2fs_report;
pub use commands::superblock::superblock_listing;
pub use commands::virsh::{command_names as virsh_commands, option_words as virsh_options};
pub use commands::{command_names, option_words};

/// The longest command line a host takes (bash's own limit is the kernel's `ARG_MAX`, 2 MiB;
/// a lab's lines are short, and the parser's work grows with the line).
pub const MAX_LINE: usize = 64 * 1024;
/// The most output one line may leave (stdout and stderr each); the rest is cut with a note.
pub const MAX_OUTPUT: usize = 1024 * 1024;

/// What a command line left: as a terminal shows it, and the lab error behind a failure.
#[derive(Debug, Clone, PartialEq)]
pub struct ShellOutput {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
    /// The first lab error a command met, with its code and help.
    pub error: Option<Error>,
    /// The records behind the last command's output (`df -h`'s rows, `virsh list`'s
    /// domains), when it printed to the terminal; empty for a command that has none.
    pub rows: Vec<serde_json::Value>,
}

/// How a line's `virsh migrate` migrates: the caller keeps the run's record of migrations.
pub type Migrator<'m> =
    dyn FnMut(&mut dyn Backend, GuestId, HostId, MigrationRequest) -> Result<MigrationReport> + 'm;

/// Runs `line` as root on `host`. Fails only when the host has no shell to run it (no OS)
/// or the line is longer than [`MAX_LINE`]; everything else is the shell's own answer.
pub fn run(
    backend: &mut dyn Backend,
    migrate: &mut Migrator,
    host: HostId,
    line: &str,
) -> Result<ShellOutput> {
    let h = backend.world().host(host);
    if h.is_powered_off() {
        return Err(Error::HostPoweredOff {
            host: h.name().into(),
        });
    }
    h.os().ok_or_else(|| Error::NoOs {
        host: h.name().into(),
    })?;
    if line.len() > MAX_LINE {
        return Err(Error::ShellLineTooLong {
            length: line.len(),
            max: MAX_LINE,
        });
    }
    let shell = exec::Shell::new(backend, migrate, host);
    let output = match parse::parse(line) {
        Ok(parsed) => shell.run_line(&parsed),
        Err(refusal) => shell.refuse(refusal),
    };
    Ok(output)
}
