//! Real migrations recorded as JSON lines, one object a line, as the QEMU 7.2 runs in the
//! project's data were recorded:
//!
//! ```json
//! {"set": "calibration", "ram_mib": 512, "used_mib": 496, "wss_mib": 128,
//!  "dirty_pages_per_s": 4096, "max_bandwidth_Bps": 67108864, "downtime_limit_ms": 300,
//!  "capabilities": [], "result": {"status": "completed", "total-time": 10018,
//!  "downtime": 7, "transferred": 689576112, "dirty-sync-count": 6}}
//! ```
//!
//! `result` holds `query-migrate`'s fields (times in ms); others are allowed and ignored.
//! `untouched_mib` (optional, 0 when left out) is the memory at the top of RAM the guest
//! never touched; the rest of what is not `used` was touched and zeroed.
//! `capabilities` may name `auto-converge`, the one capability the simulator models;
//! `timeout_s` (optional) is when the run was abandoned. Blank lines are skipped.

use super::{Ended, Figures, Point};
use crate::error::{Error, Result};
use crate::sim::migration::Migration;
use serde::Deserialize;

/// Records one file may hold: each costs a simulated migration, up to an hour of simulated
/// time for one that never converges.
pub const MAX_RECORDS: usize = 1_000;

const MIB: u64 = 1 << 20;

#[derive(Deserialize)]
struct Record {
    set: Option<String>,
    rep: Option<u64>,
    ram_mib: u64,
    used_mib: u64,
    #[serde(default)]
    untouched_mib: u64,
    wss_mib: u64,
    dirty_pages_per_s: f64,
    #[serde(rename = "max_bandwidth_Bps")]
    max_bandwidth: f64,
    downtime_limit_ms: f64,
    #[serde(default)]
    capabilities: Vec<String>,
    timeout_s: Option<f64>,
    result: QueryMigrate,
}

#[derive(Deserialize)]
struct QueryMigrate {
    status: String,
    #[serde(rename = "total-time")]
    total_time_ms: f64,
    downtime: Option<f64>,
    transferred: u64,
    #[serde(rename = "dirty-sync-count")]
    dirty_sync_count: u32,
}

/// One recorded run: where it came from (`set` and `rep`), its point and its figures.
pub type Recorded = (Option<String>, Point, Figures);

/// Reads every record of `text` (the file `file`); a bad line is an error naming it.
pub fn parse(text: &str, file: &str) -> Result<Vec<Recorded>> {
    let mut records = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if records.len() == MAX_RECORDS {
            return Err(bad(
                file,
                index + 1,
                format!("more than {MAX_RECORDS} records"),
            ));
        }
        let record: Record =
            serde_json::from_str(line).map_err(|e| bad(file, index + 1, json_reason(&e)))?;
        records.push(recorded(record).map_err(|reason| bad(file, index + 1, reason))?);
    }
    if records.is_empty() {
        return Err(Error::CalibrateNoRecords {
            file: file.to_string(),
            reason: "it holds no record".into(),
        });
    }
    Ok(records)
}

fn bad(file: &str, line: usize, reason: String) -> Error {
    Error::CalibrateBadRecord {
        file: file.to_string(),
        line,
        reason,
    }
}

/// serde_json's message with the column, but not its "line 1" (every record is one line).
fn json_reason(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(m, _)| m);
    format!("{message} (column {})", error.column())
}

fn recorded(record: Record) -> std::result::Result<Recorded, String> {
    let bytes = |field: &str, mib: u64| {
        mib.checked_mul(MIB)
            .ok_or_else(|| format!("`{field}` {mib} is more bytes than a number holds"))
    };
    let mut auto_converge = false;
    for capability in &record.capabilities {
        match capability.as_str() {
            "auto-converge" => auto_converge = true,
            other => {
                return Err(format!(
                    "capability `{}` is not one the simulator models (it models `auto-converge`)",
                    shown(other)
                ))
            }
        }
    }
    let status = match record.result.status.as_str() {
        "completed" => Ended::Completed,
        "cancelled" => Ended::Cancelled,
        "failed" => Ended::Failed,
        other => {
            return Err(format!(
            "`result.status` is `{}`: a finished migration is `completed`, `cancelled` or `failed`",
            shown(other)
        ))
        }
    };
    let result = &record.result;
    for (field, value) in [
        ("result.total-time", Some(result.total_time_ms)),
        ("result.downtime", result.downtime),
        ("timeout_s", record.timeout_s),
    ] {
        if let Some(value) = value.filter(|v| !(v.is_finite() && *v >= 0.0)) {
            return Err(format!("`{field}` is {value}: it must be zero or more"));
        }
    }
    let point = Point {
        memory: bytes("ram_mib", record.ram_mib)?,
        used: bytes("used_mib", record.used_mib)?,
        untouched: bytes("untouched_mib", record.untouched_mib)?,
        wss: bytes("wss_mib", record.wss_mib)?,
        dirty_pages_per_s: record.dirty_pages_per_s,
        bandwidth: record.max_bandwidth,
        downtime_limit_ms: record.downtime_limit_ms,
        auto_converge,
        timeout_s: record.timeout_s,
    };
    // The engine's own checks (memory that adds up, a positive cap and limit), here so that
    // a refusal names the line.
    if let Err(error) = Migration::new(point.guest_memory(), point.request().config) {
        let help = miette::Diagnostic::help(&error).map(|h| format!(" ({h})"));
        return Err(format!("{error}{}", help.unwrap_or_default()));
    }
    let figures = Figures {
        status,
        total_time_s: result.total_time_ms / 1000.0,
        downtime_ms: result.downtime,
        transferred: result.transferred,
        iterations: result.dirty_sync_count,
    };
    let source = match (record.set, record.rep) {
        (Some(set), Some(rep)) => Some(format!("{set} #{rep}")),
        (Some(set), None) => Some(set),
        (None, Some(rep)) => Some(format!("#{rep}")),
        (None, None) => None,
    };
    Ok((source, point, figures))
}

/// One real run as a line of this format, so that a lab's runs can be compared again later
/// with `--against`.
pub fn to_line(source: Option<&str>, point: &Point, real: &Figures) -> String {
    let mut capabilities = Vec::new();
    if point.auto_converge {
        capabilities.push("auto-converge");
    }
    let mut result = serde_json::json!({
        "status": real.status.name(),
        "total-time": (real.total_time_s * 1000.0).round(),
        "transferred": real.transferred,
        "dirty-sync-count": real.iterations,
    });
    if let Some(downtime) = real.downtime_ms {
        result["downtime"] = serde_json::json!(downtime);
    }
    let mut line = serde_json::json!({
        "ram_mib": point.memory / MIB,
        "used_mib": point.used / MIB,
        "untouched_mib": point.untouched / MIB,
        "wss_mib": point.wss / MIB,
        "dirty_pages_per_s": point.dirty_pages_per_s,
        "max_bandwidth_Bps": point.bandwidth,
        "downtime_limit_ms": point.downtime_limit_ms,
        "capabilities": capabilities,
        "result": result,
    });
    if let Some(set) = source {
        line["set"] = serde_json::json!(set);
    }
    if let Some(timeout) = point.timeout_s {
        line["timeout_s"] = serde_json::json!(timeout);
    }
    line.to_string()
}

/// A string from the file as a message may show it: one line, controls spelled out, cut.
pub(super) fn shown(text: &str) -> String {
    crate::text::clipped(&crate::text::escaped(text), crate::text::VALUE_CHARS).into_owned()
}
