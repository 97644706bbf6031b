//! A lab's [`MigrationRequest`] as libvirt takes it: the `VIR_MIGRATE_*` flags, the typed
//! parameters of `virDomainMigrate3`, the downtime limit (set on the domain before the call,
//! libvirt has no parameter for it) and the steps the job's poller takes on its own, because
//! libvirt has no flag for them (a timeout and its action, a switch to post-copy after some
//! seconds). Plain data, so what a lab asks of libvirt can be read and tested without it.

use crate::error::Result;
use crate::migration::{MigrationRequest, TimeoutAction};

/// Bytes in a mebibyte: libvirt's bandwidth unit is MiB/s.
const MIB: f64 = 1024.0 * 1024.0;

/// libvirt's "unlimited" bandwidth in MiB/s (`QEMU_DOMAIN_MIG_BANDWIDTH_MAX`, `INT64_MAX`
/// bytes/s), given explicitly so that an earlier `migrate-setspeed` does not linger.
pub const UNLIMITED_BANDWIDTH_MIB: u64 = (i64::MAX as u64) / (1024 * 1024);

/// QEMU's auto-converge throttle: the first step and each further one, in percent. The
/// simulator models these defaults; they are passed so both backends throttle alike.
pub const AUTO_CONVERGE_INITIAL_PCT: i32 = 20;
pub const AUTO_CONVERGE_INCREMENT_PCT: i32 = 10;

/// One `VIR_MIGRATE_*` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MigrateFlag {
    Live,
    PersistDest,
    UndefineSource,
    NonSharedDisk,
    Unsafe,
    AutoConverge,
    Postcopy,
}

impl MigrateFlag {
    /// The flag's name in libvirt's API.
    pub fn name(self) -> &'static str {
        match self {
            MigrateFlag::Live => "VIR_MIGRATE_LIVE",
            MigrateFlag::PersistDest => "VIR_MIGRATE_PERSIST_DEST",
            MigrateFlag::UndefineSource => "VIR_MIGRATE_UNDEFINE_SOURCE",
            MigrateFlag::NonSharedDisk => "VIR_MIGRATE_NON_SHARED_DISK",
            MigrateFlag::Unsafe => "VIR_MIGRATE_UNSAFE",
            MigrateFlag::AutoConverge => "VIR_MIGRATE_AUTO_CONVERGE",
            MigrateFlag::Postcopy => "VIR_MIGRATE_POSTCOPY",
        }
    }

    /// The flag's value in `virDomainMigrateFlags` (libvirt's stable ABI).
    pub fn bit(self) -> u32 {
        match self {
            MigrateFlag::Live => 1,
            MigrateFlag::PersistDest => 8,
            MigrateFlag::UndefineSource => 16,
            MigrateFlag::NonSharedDisk => 64,
            MigrateFlag::Unsafe => 512,
            MigrateFlag::AutoConverge => 8192,
            MigrateFlag::Postcopy => 32768,
        }
    }
}

/// One typed parameter of `virDomainMigrate3`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrateParameter {
    /// `VIR_MIGRATE_PARAM_URI`: where the destination's QEMU listens.
    Uri(String),
    /// `VIR_MIGRATE_PARAM_BANDWIDTH`, in MiB/s.
    BandwidthMib(u64),
    /// `VIR_MIGRATE_PARAM_AUTO_CONVERGE_INITIAL`, percent.
    AutoConvergeInitial(i32),
    /// `VIR_MIGRATE_PARAM_AUTO_CONVERGE_INCREMENT`, percent.
    AutoConvergeIncrement(i32),
}

impl MigrateParameter {
    /// The parameter's name as libvirt spells it (the value of its `VIR_MIGRATE_PARAM_*`).
    pub fn name(&self) -> &'static str {
        match self {
            MigrateParameter::Uri(_) => "migrate_uri",
            MigrateParameter::BandwidthMib(_) => "bandwidth",
            MigrateParameter::AutoConvergeInitial(_) => "auto_converge.initial",
            MigrateParameter::AutoConvergeIncrement(_) => "auto_converge.increment",
        }
    }

    pub fn value(&self) -> String {
        match self {
            MigrateParameter::Uri(uri) => uri.clone(),
            MigrateParameter::BandwidthMib(mib) => mib.to_string(),
            MigrateParameter::AutoConvergeInitial(pct)
            | MigrateParameter::AutoConvergeIncrement(pct) => pct.to_string(),
        }
    }
}

/// What the job's poller does to a running migration, and the libvirt call that does it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobAction {
    /// `virDomainAbortJob`: the migration is cancelled, the guest runs on in the source.
    Abort,
    /// `virDomainMigrateStartPostCopy`: the guest runs on the destination at once.
    StartPostCopy,
    /// `virDomainSuspend`: the guest pauses so that the migration finishes.
    Suspend,
}

impl JobAction {
    pub fn call(self) -> &'static str {
        match self {
            JobAction::Abort => "virDomainAbortJob",
            JobAction::StartPostCopy => "virDomainMigrateStartPostCopy",
            JobAction::Suspend => "virDomainSuspend",
        }
    }
}

/// An action the poller takes once the migration has run `after_s` seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimedAction {
    pub after_s: f64,
    pub action: JobAction,
}

/// Everything libvirt is told for one migration.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationPlan {
    /// In the order of their bits.
    pub flags: Vec<MigrateFlag>,
    pub parameters: Vec<MigrateParameter>,
    /// `virDomainMigrateSetMaxDowntime`, in ms, set before the migration starts.
    pub max_downtime_ms: u64,
    /// The poller's actions, earliest first.
    pub timed: Vec<TimedAction>,
    /// The bandwidth the lab asked for, in bytes/s, when libvirt's whole MiB/s cannot say it
    /// exactly (the plan rounds it up to the next MiB/s).
    pub bandwidth_rounded_from: Option<f64>,
}

impl MigrationPlan {
    /// The plan for `request`, the migration stream going to `migration_uri` when given
    /// (otherwise libvirt picks the destination's own address). The request is checked by
    /// the same rules as on the simulator.
    pub fn new(request: &MigrationRequest, migration_uri: Option<&str>) -> Result<MigrationPlan> {
        let config = &request.config;
        config.check()?;
        let mut flags = vec![MigrateFlag::PersistDest, MigrateFlag::UndefineSource];
        if config.live {
            flags.push(MigrateFlag::Live);
        }
        if request.safety.copy_storage {
            flags.push(MigrateFlag::NonSharedDisk);
        }
        if request.safety.unsafe_ {
            flags.push(MigrateFlag::Unsafe);
        }
        if config.auto_converge {
            flags.push(MigrateFlag::AutoConverge);
        }
        if config.postcopy_enabled() {
            flags.push(MigrateFlag::Postcopy);
        }
        flags.sort();

        let mut parameters = Vec::new();
        if let Some(uri) = migration_uri {
            parameters.push(MigrateParameter::Uri(uri.to_string()));
        }
        let bandwidth = config.bandwidth();
        let mut bandwidth_rounded_from = None;
        let mib = if bandwidth.is_finite() {
            let mib = (bandwidth / MIB).ceil().max(1.0);
            if mib * MIB != bandwidth {
                bandwidth_rounded_from = Some(bandwidth);
            }
            (mib as u64).min(UNLIMITED_BANDWIDTH_MIB)
        } else {
            UNLIMITED_BANDWIDTH_MIB
        };
        parameters.push(MigrateParameter::BandwidthMib(mib));
        if config.auto_converge {
            parameters.push(MigrateParameter::AutoConvergeInitial(
                AUTO_CONVERGE_INITIAL_PCT,
            ));
            parameters.push(MigrateParameter::AutoConvergeIncrement(
                AUTO_CONVERGE_INCREMENT_PCT,
            ));
        }

        let mut timed = Vec::new();
        if let Some(after_s) = config.postcopy_after {
            timed.push(TimedAction {
                after_s,
                action: JobAction::StartPostCopy,
            });
        }
        if let Some(after_s) = config.timeout {
            let action = match config.timeout_action {
                TimeoutAction::Abort => JobAction::Abort,
                TimeoutAction::Suspend => JobAction::Suspend,
                TimeoutAction::Postcopy => JobAction::StartPostCopy,
            };
            timed.push(TimedAction { after_s, action });
        }
        timed.sort_by(|a, b| a.after_s.total_cmp(&b.after_s));
        // A second switch to post-copy has nothing left to switch.
        let mut switched = false;
        timed.retain(|t| {
            let repeat = switched && t.action == JobAction::StartPostCopy;
            switched |= t.action == JobAction::StartPostCopy;
            !repeat
        });

        Ok(MigrationPlan {
            flags,
            parameters,
            max_downtime_ms: (config.downtime_ms().round() as u64).max(1),
            timed,
            bandwidth_rounded_from,
        })
    }

    /// The flags as one `virDomainMigrateFlags` value.
    pub fn flag_bits(&self) -> u32 {
        self.flags.iter().fold(0, |bits, f| bits | f.bit())
    }

    pub fn flag_names(&self) -> Vec<&'static str> {
        self.flags.iter().map(|f| f.name()).collect()
    }

    /// The typed parameters as (libvirt's name, value).
    pub fn parameter_pairs(&self) -> Vec<(&'static str, String)> {
        self.parameters
            .iter()
            .map(|p| (p.name(), p.value()))
            .collect()
    }

    pub fn bandwidth_mib(&self) -> Option<u64> {
        self.parameters.iter().find_map(|p| match p {
            MigrateParameter::BandwidthMib(mib) => Some(*mib),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::migration::{MigrationConfig, Profile, Safety};

    fn request(edit: impl FnOnce(&mut MigrationConfig, &mut Safety)) -> MigrationRequest {
        let mut config = MigrationConfig::new(Profile::Modern);
        let mut safety = Safety::default();
        edit(&mut config, &mut safety);
        MigrationRequest { config, safety }
    }

    #[test]
    fn a_default_live_migration_keeps_qemus_defaults_explicit() {
        let plan = MigrationPlan::new(&request(|_, _| {}), Some("tcp://127.0.0.1:49168")).unwrap();
        assert_eq!(
            plan.flag_names(),
            [
                "VIR_MIGRATE_LIVE",
                "VIR_MIGRATE_PERSIST_DEST",
                "VIR_MIGRATE_UNDEFINE_SOURCE"
            ]
        );
        assert_eq!(plan.flag_bits(), 1 | 8 | 16);
        assert_eq!(
            plan.parameter_pairs(),
            [
                ("migrate_uri", "tcp://127.0.0.1:49168".to_string()),
                ("bandwidth", "128".to_string()),
            ]
        );
        assert_eq!(plan.max_downtime_ms, 300);
        assert!(plan.timed.is_empty());
        assert_eq!(plan.bandwidth_rounded_from, None);
    }

    #[test]
    fn every_option_maps_to_its_flag_or_parameter() {
        let req = request(|c, s| {
            c.bandwidth_cap = Some(64.0 * MIB);
            c.downtime_limit_ms = Some(50.0);
            c.auto_converge = true;
            c.postcopy_after = Some(10.0);
            s.unsafe_ = true;
            s.copy_storage = true;
        });
        let plan = MigrationPlan::new(&req, None).unwrap();
        assert_eq!(
            plan.flag_names(),
            [
                "VIR_MIGRATE_LIVE",
                "VIR_MIGRATE_PERSIST_DEST",
                "VIR_MIGRATE_UNDEFINE_SOURCE",
                "VIR_MIGRATE_NON_SHARED_DISK",
                "VIR_MIGRATE_UNSAFE",
                "VIR_MIGRATE_AUTO_CONVERGE",
                "VIR_MIGRATE_POSTCOPY",
            ]
        );
        assert_eq!(plan.flag_bits(), 1 | 8 | 16 | 64 | 512 | 8192 | 32768);
        assert_eq!(
            plan.parameter_pairs(),
            [
                ("bandwidth", "64".to_string()),
                ("auto_converge.initial", "20".to_string()),
                ("auto_converge.increment", "10".to_string()),
            ]
        );
        assert_eq!(plan.max_downtime_ms, 50);
        assert_eq!(
            plan.timed,
            [TimedAction {
                after_s: 10.0,
                action: JobAction::StartPostCopy
            }]
        );
    }

    #[test]
    fn an_offline_migration_has_no_live_flag() {
        let plan = MigrationPlan::new(&request(|c, _| c.live = false), None).unwrap();
        assert!(!plan.flags.contains(&MigrateFlag::Live));
        assert_eq!(plan.flag_bits(), 8 | 16);
    }

    #[test]
    fn unlimited_bandwidth_is_libvirts_maximum_and_odd_rates_round_up() {
        let plan = MigrationPlan::new(&request(|c, _| c.bandwidth_cap = Some(f64::INFINITY)), None)
            .unwrap();
        assert_eq!(plan.bandwidth_mib(), Some(8_796_093_022_207));
        let plan = MigrationPlan::new(
            &request(|c, _| c.bandwidth_cap = Some(500.0 * 1024.0)),
            None,
        )
        .unwrap();
        assert_eq!(plan.bandwidth_mib(), Some(1));
        assert_eq!(plan.bandwidth_rounded_from, Some(512_000.0));
        let plan =
            MigrationPlan::new(&request(|c, _| c.profile = Profile::QemuKvm012), None).unwrap();
        assert_eq!(plan.bandwidth_mib(), Some(32));
        assert_eq!(plan.max_downtime_ms, 30);
    }

    #[test]
    fn the_timeout_becomes_the_pollers_action() {
        for (action, expected) in [
            (TimeoutAction::Abort, JobAction::Abort),
            (TimeoutAction::Suspend, JobAction::Suspend),
            (TimeoutAction::Postcopy, JobAction::StartPostCopy),
        ] {
            let plan = MigrationPlan::new(
                &request(|c, _| {
                    c.timeout = Some(30.0);
                    c.timeout_action = action;
                }),
                None,
            )
            .unwrap();
            assert_eq!(
                plan.timed,
                [TimedAction {
                    after_s: 30.0,
                    action: expected
                }]
            );
            assert_eq!(
                plan.flags.contains(&MigrateFlag::Postcopy),
                action == TimeoutAction::Postcopy
            );
        }
        assert_eq!(JobAction::Abort.call(), "virDomainAbortJob");
    }

    #[test]
    fn actions_run_earliest_first_and_post_copy_switches_once() {
        let plan = MigrationPlan::new(
            &request(|c, _| {
                c.postcopy_after = Some(20.0);
                c.timeout = Some(5.0);
                c.timeout_action = TimeoutAction::Postcopy;
            }),
            None,
        )
        .unwrap();
        assert_eq!(
            plan.timed,
            [TimedAction {
                after_s: 5.0,
                action: JobAction::StartPostCopy
            }]
        );
        let plan = MigrationPlan::new(
            &request(|c, _| {
                c.postcopy_after = Some(20.0);
                c.timeout = Some(60.0);
            }),
            None,
        )
        .unwrap();
        let actions: Vec<_> = plan.timed.iter().map(|t| t.action).collect();
        assert_eq!(actions, [JobAction::StartPostCopy, JobAction::Abort]);
    }

    #[test]
    fn a_request_the_simulator_refuses_is_refused_alike() {
        let err = MigrationPlan::new(
            &request(|c, _| {
                c.live = false;
                c.postcopy_after = Some(1.0);
            }),
            None,
        )
        .unwrap_err();
        assert_eq!(err, Error::MigratePostcopyNeedsLive);
        let err = MigrationPlan::new(&request(|c, _| c.timeout = Some(-1.0)), None).unwrap_err();
        assert!(
            matches!(err, Error::MigrateBadParameter { ref parameter, .. } if parameter == "timeout")
        );
    }
}
