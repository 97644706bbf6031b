//! Live migration in the vocabulary every backend shares: what a lab asks for
//! ([`MigrationRequest`]: QEMU's settings and libvirt's safety flags) and what a migration
//! did ([`MigrationReport`], with QEMU's statistics as `query-migrate` and libvirt's job
//! statistics give them). The simulator's engine (`sim::migration`) fills the report from
//! its model of QEMU; a real backend fills it from libvirt.

use crate::error::{Error, Result};

/// Bytes in a mebibyte.
const MIB: f64 = 1024.0 * 1024.0;

/// How long kvmlab lets a migration run before giving up on it (QEMU never does; a lab
/// must end).
pub const HORIZON_S: f64 = 3600.0;

/// Which QEMU's migration rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// QEMU 5.x–9.x: a migration thread, sync on demand, 128 MiB/s and 300 ms defaults.
    Modern,
    /// qemu-kvm 0.12 (RHEL 6): migration in the main loop, sync every iteration,
    /// 32 MiB/s and 30 ms defaults.
    QemuKvm012,
}

impl Profile {
    /// Default max-bandwidth in bytes/s.
    pub fn default_bandwidth(self) -> f64 {
        match self {
            Profile::Modern => 128.0 * MIB,
            Profile::QemuKvm012 => 32.0 * MIB,
        }
    }

    /// Default downtime limit in milliseconds.
    pub fn default_downtime_ms(self) -> f64 {
        match self {
            Profile::Modern => 300.0,
            Profile::QemuKvm012 => 30.0,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Profile::Modern => "modern",
            Profile::QemuKvm012 => "qemu-kvm-0.12",
        }
    }
}

/// What happens when the migration outlives its timeout (`virsh migrate --timeout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutAction {
    /// Cancel the migration; the guest keeps running on the source.
    Abort,
    /// Pause the guest and let the migration finish (`--timeout-suspend`).
    Suspend,
    /// Switch to post-copy (`--timeout-postcopy`).
    Postcopy,
}

/// How the migration is run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MigrationConfig {
    pub profile: Profile,
    /// Live (`--live`): the guest runs during pre-copy. Otherwise it is paused first.
    pub live: bool,
    /// Bytes/s; `None` = the profile's default; `f64::INFINITY` = unlimited (libvirt).
    pub bandwidth_cap: Option<f64>,
    /// `None` = the profile's default.
    pub downtime_limit_ms: Option<f64>,
    pub auto_converge: bool,
    /// Switch to post-copy this many seconds after the start (`migrate-postcopy`).
    pub postcopy_after: Option<f64>,
    /// Seconds after the start at which `timeout_action` is taken.
    pub timeout: Option<f64>,
    pub timeout_action: TimeoutAction,
    /// Round trip of the migration link in seconds (a post-copy page fault waits one).
    pub rtt: f64,
}

impl MigrationConfig {
    /// A live migration with the profile's defaults and a LAN round trip of 0.2 ms.
    pub fn new(profile: Profile) -> MigrationConfig {
        MigrationConfig {
            profile,
            live: true,
            bandwidth_cap: None,
            downtime_limit_ms: None,
            auto_converge: false,
            postcopy_after: None,
            timeout: None,
            timeout_action: TimeoutAction::Abort,
            rtt: 0.0002,
        }
    }

    /// The bandwidth cap in bytes/s, the profile's default when none was given.
    pub fn bandwidth(&self) -> f64 {
        self.bandwidth_cap
            .unwrap_or_else(|| self.profile.default_bandwidth())
    }

    /// The downtime limit in ms, the profile's default when none was given.
    pub fn downtime_ms(&self) -> f64 {
        self.downtime_limit_ms
            .unwrap_or_else(|| self.profile.default_downtime_ms())
    }

    /// The settings' own rules, the same on every backend: positive rates and limits,
    /// times of zero or more seconds, the features the profile's QEMU has, post-copy only
    /// live.
    pub fn check(&self) -> Result<()> {
        let bad = |parameter: &str, value: f64, reason: &str| {
            Err(Error::MigrateBadParameter {
                parameter: parameter.into(),
                value: value.to_string(),
                reason: reason.into(),
            })
        };
        let bandwidth = self.bandwidth();
        if bandwidth.is_nan() || bandwidth <= 0.0 {
            return bad("bandwidth", bandwidth, "must be more than 0 bytes/s");
        }
        let downtime = self.downtime_ms();
        if !downtime.is_finite() || downtime <= 0.0 {
            return bad(
                "downtime_limit",
                downtime,
                "must be a positive number of milliseconds",
            );
        }
        for (parameter, value) in [
            ("postcopy_after", self.postcopy_after),
            ("timeout", self.timeout),
        ] {
            if let Some(seconds) = value {
                if !seconds.is_finite() || seconds < 0.0 {
                    return bad(
                        parameter,
                        seconds,
                        "must be a number of seconds, zero or more",
                    );
                }
            }
        }
        if !self.rtt.is_finite() || self.rtt < 0.0 {
            return bad("rtt", self.rtt, "must be a number of seconds, zero or more");
        }
        if self.profile == Profile::QemuKvm012 {
            let feature = if self.postcopy_enabled() {
                Some("post-copy")
            } else if self.auto_converge {
                Some("auto-converge")
            } else {
                None
            };
            if let Some(feature) = feature {
                return Err(Error::MigrateUnsupported {
                    feature: feature.into(),
                    profile: self.profile.name().into(),
                });
            }
        }
        if self.postcopy_enabled() && !self.live {
            return Err(Error::MigratePostcopyNeedsLive);
        }
        Ok(())
    }

    /// Whether the migration may switch to post-copy.
    pub fn postcopy_enabled(&self) -> bool {
        self.postcopy_after.is_some()
            || (self.timeout.is_some() && self.timeout_action == TimeoutAction::Postcopy)
    }

    /// What to change when this migration did not converge, in the script's option names
    /// and from the options it ran with: auto-converge is advised only when it was off.
    pub fn convergence_help(&self) -> String {
        let downtime = self.downtime_ms();
        let mut remedies = vec![format!(
            "allow a longer final pause with `downtime_limit` (now {downtime} ms, e.g. `#{{downtime_limit: {}}}`)",
            (downtime * 4.0).max(1000.0)
        )];
        let bandwidth = self.bandwidth();
        if bandwidth.is_finite() {
            remedies.push(format!(
                "raise `bandwidth` (now {} MiB/s, e.g. `#{{bandwidth: \"unlimited\"}}`)",
                (bandwidth / MIB).round()
            ));
        }
        remedies.push(
            "switch to post-copy with `#{postcopy_after: 10}`, which always completes".into(),
        );
        let mut help = if self.auto_converge {
            "auto-converge is on and the throttled guest still dirties memory faster than it is sent: ".to_string()
        } else {
            remedies.insert(0, "throttle the guest with `#{auto_converge: true}`".into());
            "the guest dirties memory faster than it is sent: ".to_string()
        };
        let last = remedies.pop().unwrap_or_default();
        help.push_str(&remedies.join(", "));
        help.push_str(", or ");
        help.push_str(&last);
        match self.timeout {
            Some(t) if t > HORIZON_S => help.push_str(&format!(
                "; the `timeout` of {t} s is past the {HORIZON_S} s kvmlab waits for a migration: give a shorter one"
            )),
            None => help.push_str(
                "; to end it in time instead, give it a `timeout` and a `timeout_action` (\"abort\", \"suspend\" or \"postcopy\")",
            ),
            Some(_) => {}
        }
        help
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Completed,
    Failed,
    Cancelled,
}

/// One dirty-bitmap sync (one row of the migration's iteration table).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Round {
    /// The dirty-sync-count after this sync.
    pub index: u32,
    /// Seconds since the migration began.
    pub start: f64,
    /// Pages left to send right after the sync.
    pub dirty_pages: u64,
    /// Bytes put on the wire since the previous sync.
    pub bytes_sent: u64,
    pub throttle_pct: u32,
}

/// The statistics of a finished migration (`query-migrate`, `virsh domjobinfo`).
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationOutcome {
    pub status: Status,
    /// Seconds from start to end.
    pub total_time: f64,
    /// How long the guest ran nowhere, in ms (from its pause to its start on the destination).
    pub downtime_ms: f64,
    pub setup_time_ms: f64,
    /// Bytes put on the wire.
    pub transferred: u64,
    /// dirty-sync-count (libvirt: memory_iteration).
    pub iterations: u32,
    /// Zero pages sent (QEMU: duplicate).
    pub zero_pages: u64,
    pub normal_pages: u64,
    pub throttle_pct: u32,
    pub postcopy: bool,
    pub postcopy_faults: u64,
    pub rounds: Vec<Round>,
    pub guest_on_destination: bool,
    pub guest_paused: bool,
    /// Every page the guest wrote reached the destination in its latest version.
    pub memory_intact: bool,
}

/// What the caller asked for, beyond the migration engine's own settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Safety {
    /// `--unsafe`: skip the storage and cache checks.
    pub unsafe_: bool,
    /// `--copy-storage-all`: the disk goes along with the memory.
    pub copy_storage: bool,
}

/// A live migration as a lab asks for it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MigrationRequest {
    pub config: MigrationConfig,
    pub safety: Safety,
}

/// What a migration did, in the vocabulary every backend shares.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationReport {
    pub guest: String,
    pub from: String,
    pub to: String,
    /// The address the destination's name resolved to on the source.
    pub address: String,
    pub profile: &'static str,
    /// Lab time at which it started, in seconds.
    pub started: f64,
    pub outcome: MigrationOutcome,
}
