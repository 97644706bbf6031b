//! A live migration between two libvirt hosts, as a lab asks for it: the request's plan
//! (`real::migration_plan`) applied to `virDomainMigrate3`, the blocking call on a tokio
//! blocking task while `job` polls its statistics for the progress bar and takes the timed
//! actions, and the end read back into the simulator's [`MigrationOutcome`], or into the
//! simulator's diagnostic when libvirt refused (`real::refusal`).

use std::sync::atomic::AtomicBool;

use virt::connect::Connect;
use virt::domain::{Domain, MigrateParameters};
use virt::sys;

use super::job::{job_stats, watch_job, Watched};
use crate::error::{Error, Result};
use crate::migration::{MigrationOutcome, MigrationRequest, Status};
use crate::real::job_stats::{Ending, JobKind, JobProgress, JobStats};
use crate::real::migration_plan::{MigrateParameter, MigrationPlan};
use crate::real::refusal::{FailedMigration, Whereabouts};

/// Migrates the domain `domain` from `source` to `dest` as `request` asks, the migration
/// stream going to `migration_uri` when given (e.g. `tcp://10.20.0.3:49168`; otherwise
/// libvirt uses the destination's host name). `observer` sees the job's progress every
/// 100 ms. Setting `interrupt`, or Ctrl-C, aborts the job: the guest stays running on the
/// source and the outcome's status is `Cancelled`. A pre-copy whose stream carries nothing
/// for libvirt's keepalive time is aborted too, and is `kvmlab::migrate::connection_lost`, as
/// on the simulator. A migration libvirt refuses or loses is an error that says where the
/// guest is.
pub fn migrate_domain(
    source: &Connect,
    dest: &Connect,
    domain: &str,
    request: &MigrationRequest,
    migration_uri: Option<&str>,
    interrupt: &AtomicBool,
    observer: &mut dyn FnMut(&JobProgress),
) -> Result<MigrationOutcome> {
    let plan = MigrationPlan::new(request, migration_uri)?;
    // libvirt's default handler prints every error, even an expected "no such domain",
    // to stderr; the errors reach the lab as diagnostics instead.
    virt::error::clear_error_callback();
    let hosts = Hosts {
        source,
        dest,
        source_uri: uri_of(source),
        dest_uri: uri_of(dest),
        guest: domain,
    };
    let guest = source
        .lookup_domain_by_name(domain)
        .map_err(|e| hosts.failure(&e, None))?;
    let xml = guest.xml_desc(0).ok();
    guest
        .migrate_set_max_downtime(plan.max_downtime_ms, 0)
        .map_err(|e| hosts.failure(&e, xml.as_deref()))?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| hosts.failed_locally(&format!("cannot start the job's runtime: {e}")))?;
    let parameters = parameters(&plan);
    let flags = plan.flag_bits();
    let watched = runtime.block_on(async {
        let (moving, to) = (guest.clone(), dest.clone());
        let call = tokio::task::spawn_blocking(move || moving.migrate3(&to, parameters, flags));
        watch_job(call, &guest, &plan.timed, interrupt, observer).await
    });
    let Watched {
        result,
        watch,
        interventions,
    } = watched;
    let result = result
        .map_err(|e| hosts.failed_locally(&format!("the migration call ended abnormally: {e}")))?;
    match (result, interventions.stalled) {
        (Ok(moved), _) => {
            let completed = completed_stats(&moved, &[JobKind::Completed])
                .unwrap_or_else(|| watch.latest().clone());
            let (active, paused) = running_and_paused(&moved);
            Ok(watch.finish(
                &completed,
                Ending {
                    status: Status::Completed,
                    guest_on_destination: active,
                    guest_paused: paused,
                    postcopy: interventions.postcopy,
                },
            ))
        }
        (Err(e), Some(stall)) => match hosts.locate() {
            whereabouts @ (Whereabouts::RunningOnSource | Whereabouts::PausedOnSource) => {
                Err(stall.to_error(
                    domain,
                    &hosts.source_uri,
                    &hosts.dest_uri,
                    whereabouts == Whereabouts::PausedOnSource,
                ))
            }
            _ => Err(hosts.failure(&e, xml.as_deref())),
        },
        (Err(e), None) if interventions.aborted => match hosts.locate() {
            whereabouts @ (Whereabouts::RunningOnSource | Whereabouts::PausedOnSource) => {
                let last = completed_stats(&guest, &[JobKind::Cancelled, JobKind::Failed])
                    .unwrap_or_else(|| watch.latest().clone());
                Ok(watch.finish(
                    &last,
                    Ending {
                        status: Status::Cancelled,
                        guest_on_destination: false,
                        guest_paused: whereabouts == Whereabouts::PausedOnSource,
                        postcopy: false,
                    },
                ))
            }
            _ => Err(hosts.failure(&e, xml.as_deref())),
        },
        (Err(e), None) => Err(hosts.failure(&e, xml.as_deref())),
    }
}

/// The plan's typed parameters in the `virt` crate's form.
fn parameters(plan: &MigrationPlan) -> MigrateParameters {
    let mut parameters = MigrateParameters::default();
    for parameter in &plan.parameters {
        match parameter {
            MigrateParameter::Uri(uri) => parameters.uri = Some(uri.clone()),
            MigrateParameter::BandwidthMib(mib) => parameters.bandwidth = Some(*mib),
            MigrateParameter::AutoConvergeInitial(pct) => {
                parameters.auto_converge_initial = Some(*pct)
            }
            MigrateParameter::AutoConvergeIncrement(pct) => {
                parameters.auto_converge_increment = Some(*pct)
            }
        }
    }
    parameters
}

/// The statistics libvirt kept of the domain's last job, when it ended as one of `kinds`.
fn completed_stats(domain: &Domain, kinds: &[JobKind]) -> Option<JobStats> {
    let stats = job_stats(domain, sys::VIR_DOMAIN_JOB_STATS_COMPLETED).ok()?;
    kinds.contains(&stats.kind).then_some(stats)
}

/// Whether the domain is active, and whether it is paused.
fn running_and_paused(domain: &Domain) -> (bool, bool) {
    match domain.state() {
        Ok((state, _)) => {
            let raw = state.to_raw();
            (
                domain.is_active().unwrap_or(raw != sys::VIR_DOMAIN_SHUTOFF),
                raw == sys::VIR_DOMAIN_PAUSED,
            )
        }
        Err(_) => (domain.is_active().unwrap_or(false), false),
    }
}

fn uri_of(connect: &Connect) -> String {
    connect
        .uri()
        .unwrap_or_else(|e| format!("(a host whose URI libvirt does not give: {})", e.message()))
}

/// The two ends of one migration, for reading where the guest is after a failure.
struct Hosts<'a> {
    source: &'a Connect,
    dest: &'a Connect,
    source_uri: String,
    dest_uri: String,
    guest: &'a str,
}

/// The guest's state on one host: `None` when the host has no such domain.
enum HostState {
    Absent,
    Inactive,
    Running,
    Paused,
}

impl Hosts<'_> {
    fn state_on(&self, connect: &Connect) -> std::result::Result<HostState, virt::error::Error> {
        let domain = match connect.lookup_domain_by_name(self.guest) {
            Ok(domain) => domain,
            Err(e) if e.code().to_raw() == sys::VIR_ERR_NO_DOMAIN => return Ok(HostState::Absent),
            Err(e) => return Err(e),
        };
        let (state, _) = domain.state()?;
        Ok(match state.to_raw() {
            sys::VIR_DOMAIN_PAUSED => HostState::Paused,
            sys::VIR_DOMAIN_SHUTOFF | sys::VIR_DOMAIN_CRASHED | sys::VIR_DOMAIN_NOSTATE => {
                HostState::Inactive
            }
            _ => HostState::Running,
        })
    }

    /// Where the guest is now, the source asked first (a failed migration leaves it there).
    fn locate(&self) -> Whereabouts {
        let unanswered = |uri: &str, e: virt::error::Error| Whereabouts::Unknown {
            reason: format!("{uri} did not answer: {}", e.message()),
        };
        let on_source = match self.state_on(self.source) {
            Ok(state) => state,
            Err(e) => return unanswered(&self.source_uri, e),
        };
        if matches!(on_source, HostState::Running) {
            return Whereabouts::RunningOnSource;
        }
        let on_dest = match self.state_on(self.dest) {
            Ok(state) => state,
            Err(_) if matches!(on_source, HostState::Paused) => {
                return Whereabouts::PausedOnSource;
            }
            Err(e) => return unanswered(&self.dest_uri, e),
        };
        match (on_source, on_dest) {
            (_, HostState::Running) => Whereabouts::OnDestination { paused: false },
            (_, HostState::Paused) => Whereabouts::OnDestination { paused: true },
            (HostState::Paused, _) => Whereabouts::PausedOnSource,
            _ => Whereabouts::Nowhere,
        }
    }

    /// libvirt's error as the lab's, with where the guest is now.
    fn failure(&self, e: &virt::error::Error, domain_xml: Option<&str>) -> Error {
        FailedMigration {
            guest: self.guest,
            source: &self.source_uri,
            destination: &self.dest_uri,
            source_uri: &self.source_uri,
            destination_uri: &self.dest_uri,
            code: e.code().to_raw(),
            message: e.message(),
            domain_xml,
            whereabouts: self.locate(),
        }
        .to_error()
    }

    /// A failure on this side before libvirt was asked to move anything.
    fn failed_locally(&self, message: &str) -> Error {
        FailedMigration {
            guest: self.guest,
            source: &self.source_uri,
            destination: &self.dest_uri,
            source_uri: &self.source_uri,
            destination_uri: &self.dest_uri,
            code: sys::VIR_ERR_INTERNAL_ERROR,
            message,
            domain_xml: None,
            whereabouts: self.locate(),
        }
        .to_error()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migration::{MigrationConfig, Profile, Safety};
    use crate::real::migration_plan::MigrateFlag;

    #[test]
    fn the_plans_flags_and_names_are_libvirts() {
        for (flag, bit) in [
            (MigrateFlag::Live, sys::VIR_MIGRATE_LIVE),
            (MigrateFlag::PersistDest, sys::VIR_MIGRATE_PERSIST_DEST),
            (
                MigrateFlag::UndefineSource,
                sys::VIR_MIGRATE_UNDEFINE_SOURCE,
            ),
            (MigrateFlag::NonSharedDisk, sys::VIR_MIGRATE_NON_SHARED_DISK),
            (MigrateFlag::Unsafe, sys::VIR_MIGRATE_UNSAFE),
            (MigrateFlag::AutoConverge, sys::VIR_MIGRATE_AUTO_CONVERGE),
            (MigrateFlag::Postcopy, sys::VIR_MIGRATE_POSTCOPY),
        ] {
            assert_eq!(flag.bit(), bit, "{}", flag.name());
        }
        for (parameter, name) in [
            (
                MigrateParameter::Uri(String::new()),
                sys::VIR_MIGRATE_PARAM_URI,
            ),
            (
                MigrateParameter::BandwidthMib(1),
                sys::VIR_MIGRATE_PARAM_BANDWIDTH,
            ),
            (
                MigrateParameter::AutoConvergeInitial(1),
                sys::VIR_MIGRATE_PARAM_AUTO_CONVERGE_INITIAL,
            ),
            (
                MigrateParameter::AutoConvergeIncrement(1),
                sys::VIR_MIGRATE_PARAM_AUTO_CONVERGE_INCREMENT,
            ),
        ] {
            assert_eq!(parameter.name(), name.to_str().unwrap());
        }
        assert_eq!(
            crate::real::refusal::VIR_ERR_MIGRATE_UNSAFE,
            sys::VIR_ERR_MIGRATE_UNSAFE
        );
        assert_eq!(
            crate::real::refusal::VIR_ERR_NO_STORAGE_POOL,
            sys::VIR_ERR_NO_STORAGE_POOL
        );
    }

    #[test]
    fn the_plan_fills_virts_parameters() {
        let mut config = MigrationConfig::new(Profile::Modern);
        config.auto_converge = true;
        config.bandwidth_cap = Some(8.0 * 1024.0 * 1024.0);
        let request = MigrationRequest {
            config,
            safety: Safety::default(),
        };
        let plan = MigrationPlan::new(&request, Some("tcp://127.0.0.1:49168")).unwrap();
        let filled = parameters(&plan);
        assert_eq!(filled.uri.as_deref(), Some("tcp://127.0.0.1:49168"));
        assert_eq!(filled.bandwidth, Some(8));
        assert_eq!(
            (filled.auto_converge_initial, filled.auto_converge_increment),
            (Some(20), Some(10))
        );
    }
}
