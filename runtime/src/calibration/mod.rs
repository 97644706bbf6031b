//! `kvmlab calibrate`: real QEMU migrations beside the simulator's prediction of each.
//!
//! A [`Point`] is one migration to try: the guest (memory, used, working set, dirty rate)
//! and QEMU's settings (bandwidth cap, downtime limit, auto-converge), always with the
//! modern profile (QEMU 7.2). [`sweep`] chooses the points; [`predict`] runs one through the
//! simulator's own migration engine; [`records`] reads real runs recorded as JSON lines, and
//! `real` (feature `libvirt`) measures them on a `kvmlab up` lab. [`compare`] pairs the two
//! into a [`Calibration`], and [`render`] shows it as a table, JSON or an SVG plot.
//!
//! This module sits above both backends: it drives the simulator's engine directly and, on a
//! real lab, libvirt.

pub mod guest;
pub mod records;
pub mod render;
pub mod sweep;

#[cfg(feature = "libvirt")]
pub mod real;

use crate::error::Result;
use crate::migration::{
    MigrationConfig, MigrationOutcome, MigrationRequest, Profile, Safety, Status, TimeoutAction,
    HORIZON_S,
};
use crate::sim::migration::{migrate_on_dedicated_link, GuestMemory, PAGE_SIZE};
use serde::Serialize;
use std::path::PathBuf;

/// The link the prediction runs on: 20 Gbit/s, what QEMU's stop-and-copy reaches over
/// loopback TCP with pages it sent before (the published dirtying runs sent 18–40 MB in
/// 7–28 ms while stopped). Every cap in a sweep is far below it, so pre-copy runs at the
/// point's cap and only the final copy, with the rate limit off, runs at this speed.
pub const LOOPBACK_LINK_RATE: f64 = 2.5e9;

/// A `kvmlab up` lab as calibration uses it: the guest starts on `source` and migrates to
/// `destination`, booting the lab's workload kernel.
#[derive(Debug, Clone, PartialEq)]
pub struct RealLab {
    /// The lab's state folder.
    pub dir: PathBuf,
    pub source: RealHost,
    pub destination: RealHost,
    /// The multiboot kernel that fills and rewrites memory as its command line says.
    pub workload_kernel: PathBuf,
    /// libvirt's domain type that boots it on this lab: `kvm` or `qemu`.
    pub domain_type: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RealHost {
    pub name: String,
    /// Where this program reaches the host's libvirtd.
    pub uri: String,
    /// Where the source's QEMU reaches this host's QEMU: its address on the lab's link
    /// (`tcp://10.20.0.3`, from lab.toml), the port left to the host's libvirtd.
    pub migration_uri: String,
}

/// One migration of a calibration run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// Guest RAM in bytes.
    pub memory: u64,
    /// Bytes of it holding data; the working set is part of it.
    pub used: u64,
    /// Bytes at the top of it the guest never touched; the rest of the free memory was
    /// touched and zeroed.
    pub untouched: u64,
    /// The working set the guest keeps rewriting, one word per page.
    pub wss: u64,
    /// Distinct pages dirtied per second.
    pub dirty_pages_per_s: f64,
    /// QEMU's max-bandwidth in bytes/s.
    pub bandwidth: f64,
    pub downtime_limit_ms: f64,
    pub auto_converge: bool,
    /// Seconds after which the migration is abandoned (the guest stays on the source);
    /// `None`: kvmlab's own horizon for the prediction, QEMU's "never" for a real run.
    pub timeout_s: Option<f64>,
}

impl Point {
    /// The dirty rate in bytes/s of distinct pages.
    pub fn dirty_rate(&self) -> f64 {
        self.dirty_pages_per_s * PAGE_SIZE as f64
    }

    pub fn guest_memory(&self) -> GuestMemory {
        GuestMemory {
            untouched: self.untouched,
            ..GuestMemory::new(self.memory, self.used, self.wss, self.dirty_rate())
        }
    }

    /// The migration as a lab would ask for it, on either backend.
    pub fn request(&self) -> MigrationRequest {
        MigrationRequest {
            config: MigrationConfig {
                bandwidth_cap: Some(self.bandwidth),
                downtime_limit_ms: Some(self.downtime_limit_ms),
                auto_converge: self.auto_converge,
                timeout: self.timeout_s,
                timeout_action: TimeoutAction::Abort,
                ..MigrationConfig::new(Profile::Modern)
            },
            safety: Safety::default(),
        }
    }

    /// A short name for the point's settings: `16 MiB/s dirty, 64 MiB/s, 300 ms, AC`.
    pub fn label(&self) -> String {
        let mut label = format!(
            "{} dirty, {} cap, {} ms",
            mib_per_s(self.dirty_rate()),
            mib_per_s(self.bandwidth),
            trim(self.downtime_limit_ms)
        );
        if self.auto_converge {
            label.push_str(", auto-converge");
        }
        label
    }
}

/// How a migration ended, as `query-migrate` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ended {
    Completed,
    Cancelled,
    Failed,
}

impl Ended {
    pub fn name(self) -> &'static str {
        match self {
            Ended::Completed => "completed",
            Ended::Cancelled => "cancelled",
            Ended::Failed => "failed",
        }
    }
}

impl From<Status> for Ended {
    fn from(status: Status) -> Ended {
        match status {
            Status::Completed => Ended::Completed,
            Status::Cancelled => Ended::Cancelled,
            Status::Failed => Ended::Failed,
        }
    }
}

/// The four figures compared, from a real run or from the simulator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub status: Ended,
    /// QEMU's total-time in seconds.
    pub total_time_s: f64,
    /// The guest's pause in ms; QEMU gives none for a migration that did not complete.
    pub downtime_ms: Option<f64>,
    /// Bytes put on the wire.
    pub transferred: u64,
    /// dirty-sync-count (libvirt: memory_iteration).
    pub iterations: u32,
}

impl From<&MigrationOutcome> for Figures {
    fn from(outcome: &MigrationOutcome) -> Figures {
        Figures {
            status: outcome.status.into(),
            total_time_s: outcome.total_time,
            downtime_ms: (outcome.status == Status::Completed).then_some(outcome.downtime_ms),
            transferred: outcome.transferred,
            iterations: outcome.iterations,
        }
    }
}

/// The simulator's prediction for a point: its engine, alone on a loopback-speed link
/// ([`LOOPBACK_LINK_RATE`]), layout seed 0. With no timeout, it gives up where a lab would
/// ([`HORIZON_S`]), so a point that never converges is a cancelled prediction, not an error.
pub fn predict(point: &Point) -> Result<Figures> {
    let mut config = point.request().config;
    if config.timeout.is_none() {
        config.timeout = Some(HORIZON_S);
    }
    let outcome = migrate_on_dedicated_link(point.guest_memory(), config, LOOPBACK_LINK_RATE)?;
    Ok(Figures::from(&outcome))
}

/// One point measured and predicted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// Where the real run came from (a record's set and repetition), if it says.
    pub source: Option<String>,
    pub point: Point,
    pub real: Figures,
    pub predicted: Figures,
    pub error_pct: Errors,
}

/// The prediction's error against the real run in percent, `(predicted − real) / real`;
/// `None` where the two did not end alike or the real figure is zero or missing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Errors {
    pub total_time: Option<f64>,
    pub downtime: Option<f64>,
    pub transferred: Option<f64>,
    pub iterations: Option<f64>,
}

impl Errors {
    fn between(real: &Figures, predicted: &Figures) -> Errors {
        if real.status != predicted.status {
            return Errors {
                total_time: None,
                downtime: None,
                transferred: None,
                iterations: None,
            };
        }
        let pct =
            |real: f64, predicted: f64| (real != 0.0).then(|| (predicted - real) / real * 100.0);
        Errors {
            total_time: pct(real.total_time_s, predicted.total_time_s),
            downtime: real
                .downtime_ms
                .zip(predicted.downtime_ms)
                .and_then(|(r, p)| pct(r, p)),
            transferred: pct(real.transferred as f64, predicted.transferred as f64),
            iterations: pct(f64::from(real.iterations), f64::from(predicted.iterations)),
        }
    }

    /// The four in the table's order, with their names.
    pub fn named(&self) -> [(&'static str, Option<f64>); 4] {
        [
            ("total time", self.total_time),
            ("downtime", self.downtime),
            ("bytes", self.transferred),
            ("syncs", self.iterations),
        ]
    }
}

/// Median and worst absolute error of one quantity over the rows that have it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    pub median_pct: f64,
    pub worst_pct: f64,
    /// The row (from 1) of the worst error.
    pub worst_row: usize,
    /// Rows compared.
    pub rows: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub total_time: Option<Spread>,
    pub downtime: Option<Spread>,
    pub transferred: Option<Spread>,
    pub iterations: Option<Spread>,
}

impl Summary {
    pub fn named(&self) -> [(&'static str, Option<Spread>); 4] {
        [
            ("total time", self.total_time),
            ("downtime", self.downtime),
            ("bytes", self.transferred),
            ("syncs", self.iterations),
        ]
    }
}

/// A whole comparison: where the real runs came from, each row, and the summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    /// `records FILE` or `lab DIR`.
    pub real_source: String,
    pub profile: &'static str,
    /// The prediction's link in bytes/s.
    pub link_bytes_per_s: f64,
    pub rows: Vec<Row>,
    pub summary: Summary,
}

/// Pairs each real run with the simulator's prediction for its point.
pub fn compare(
    real_source: String,
    runs: Vec<(Option<String>, Point, Figures)>,
) -> Result<Calibration> {
    let mut rows = Vec::with_capacity(runs.len());
    for (source, point, real) in runs {
        let predicted = predict(&point)?;
        let error_pct = Errors::between(&real, &predicted);
        rows.push(Row {
            source,
            point,
            real,
            predicted,
            error_pct,
        });
    }
    let summary = summarize(&rows);
    Ok(Calibration {
        real_source,
        profile: Profile::Modern.name(),
        link_bytes_per_s: LOOPBACK_LINK_RATE,
        rows,
        summary,
    })
}

fn summarize(rows: &[Row]) -> Summary {
    let spread = |pick: fn(&Errors) -> Option<f64>| {
        let errors: Vec<(usize, f64)> = rows
            .iter()
            .enumerate()
            .filter_map(|(i, row)| pick(&row.error_pct).map(|e| (i + 1, e.abs())))
            .collect();
        let (worst_row, worst_pct) = errors.iter().copied().fold(
            None,
            |worst: Option<(usize, f64)>, (row, e)| match worst {
                Some((_, w)) if w >= e => worst,
                _ => Some((row, e)),
            },
        )?;
        let mut sorted: Vec<f64> = errors.iter().map(|&(_, e)| e).collect();
        sorted.sort_by(f64::total_cmp);
        let middle = sorted.len() / 2;
        let median_pct = if sorted.len() % 2 == 1 {
            sorted[middle]
        } else {
            (sorted[middle - 1] + sorted[middle]) / 2.0
        };
        Some(Spread {
            median_pct,
            worst_pct,
            worst_row,
            rows: sorted.len(),
        })
    };
    Summary {
        total_time: spread(|e| e.total_time),
        downtime: spread(|e| e.downtime),
        transferred: spread(|e| e.transferred),
        iterations: spread(|e| e.iterations),
    }
}

const MIB: f64 = 1024.0 * 1024.0;

/// Bytes/s as MiB/s, without a needless fraction.
fn mib_per_s(bytes_per_s: f64) -> String {
    format!("{} MiB/s", trim(bytes_per_s / MIB))
}

/// A number with at most two decimals and no trailing zeros.
fn trim(value: f64) -> String {
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_string()
}

#[cfg(test)]
mod tests;
