//! What a run did that the world does not keep: every migration a script asked for, in the
//! order they ran, with its outcome (a refused one with its error's code), for
//! `lab().migrations`. Plain values, filled where the migration binding runs.

use crate::error::{Error, Result};

/// The most migrations one run asks for; one more is refused (`kvmlab::sandbox::too_many`).
/// A lab migrates a handful of times; the cap keeps a loop of refused migrations from
/// filling memory with records.
pub const MAX_MIGRATIONS: usize = 4096;

/// How a migration ended; `Refused` when libvirt (or the options) refused it before it began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrationStatus {
    Completed,
    Failed,
    Cancelled,
    Refused,
}

impl MigrationStatus {
    pub fn name(self) -> &'static str {
        match self {
            MigrationStatus::Completed => "completed",
            MigrationStatus::Failed => "failed",
            MigrationStatus::Cancelled => "cancelled",
            MigrationStatus::Refused => "refused",
        }
    }
}

/// One migration as `lab().migrations` lists it. A refused one sent nothing: its numbers
/// are zero and `memory_intact` is false (no memory reached the destination).
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationRecord {
    pub guest: String,
    pub from: String,
    pub to: String,
    pub status: MigrationStatus,
    pub downtime_ms: f64,
    /// Seconds from start to end.
    pub total_time: f64,
    /// Bytes sent.
    pub transferred: u64,
    pub iterations: u32,
    pub memory_intact: bool,
    pub postcopy: bool,
    /// Lab time (s) it began, or was refused.
    pub started: f64,
    /// The refusal's error code; `None` unless refused.
    pub code: Option<String>,
}

impl MigrationRecord {
    /// A migration refused with `error` before anything was sent.
    pub fn refused(guest: &str, from: &str, to: &str, started: f64, error: &Error) -> Self {
        MigrationRecord {
            guest: guest.into(),
            from: from.into(),
            to: to.into(),
            status: MigrationStatus::Refused,
            downtime_ms: 0.0,
            total_time: 0.0,
            transferred: 0,
            iterations: 0,
            memory_intact: false,
            postcopy: false,
            started,
            code: Some(error.code_str()),
        }
    }
}

/// The run's history, kept in the session.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub migrations: Vec<MigrationRecord>,
}

impl History {
    /// Refuses one more migration past [`MAX_MIGRATIONS`].
    pub fn room_for_migration(&self) -> Result<()> {
        if self.migrations.len() >= MAX_MIGRATIONS {
            return Err(Error::TooMany {
                what: "migrations".into(),
                limit: MAX_MIGRATIONS,
            });
        }
        Ok(())
    }
}
