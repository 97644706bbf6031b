//! A live migration through libvirt, in its plainest form: one blocking `virDomainMigrate`
//! (live, persistent on the destination, undefined on the source) with the request's
//! bandwidth cap and downtime limit, and the outcome read from the destination's completed
//! job statistics. The migration driver that maps every option to libvirt's parameters,
//! polls the job for a progress bar and cancels it on an interrupt takes this one's place.

use crate::error::{Error, Result};
use crate::migration::{MigrationOutcome, MigrationRequest, Status};
use std::sync::atomic::AtomicBool;
use virt::connect::Connect;
use virt::sys;

/// A running migration's progress; this driver only reports the end.
pub struct JobProgress;

pub fn migrate_domain(
    source: &Connect,
    dest: &Connect,
    domain: &str,
    request: &MigrationRequest,
    migration_uri: Option<&str>,
    _interrupt: &AtomicBool,
    observer: &mut dyn FnMut(&JobProgress),
) -> Result<MigrationOutcome> {
    let refused = |action: &str, e: virt::error::Error| {
        crate::real::host_refusal::refusal(
            e.code().to_raw(),
            e.message(),
            &crate::real::host_refusal::Attempt {
                host: "the source",
                uri: "",
                action,
                guest: Some(domain),
                ..Default::default()
            },
        )
    };
    let dom = source
        .lookup_domain_by_name(domain)
        .map_err(|e| refused("find the guest", e))?;
    let config = &request.config;
    if let Some(cap) = config.bandwidth_cap {
        let mib_per_s = (cap / 1048576.0).max(1.0) as u64;
        dom.migrate_set_max_speed(mib_per_s, 0)
            .map_err(|e| refused("set the migration bandwidth", e))?;
    }
    if let Some(ms) = config.downtime_limit_ms {
        dom.migrate_set_max_downtime(ms.max(1.0) as u64, 0)
            .map_err(|e| refused("set the downtime limit", e))?;
    }
    let mut flags = sys::VIR_MIGRATE_PERSIST_DEST | sys::VIR_MIGRATE_UNDEFINE_SOURCE;
    if config.live {
        flags |= sys::VIR_MIGRATE_LIVE;
    }
    if config.auto_converge {
        flags |= sys::VIR_MIGRATE_AUTO_CONVERGE;
    }
    if request.safety.unsafe_ {
        flags |= sys::VIR_MIGRATE_UNSAFE;
    }
    let moved = dom
        .migrate(dest, flags, None, migration_uri, 0)
        .map_err(|e| refused("migrate", e))?;
    let stats = moved
        .job_stats(sys::VIR_DOMAIN_JOB_STATS_COMPLETED)
        .map_err(|e| refused("read the migration's statistics", e))?;
    observer(&JobProgress);
    let page = stats.mem_page_size.unwrap_or(4096);
    let paused = matches!(
        moved.state().map(|(s, _)| s.to_raw()),
        Ok(sys::VIR_DOMAIN_PAUSED)
    );
    if stats.success == Some(false) {
        return Err(Error::LibvirtRefused {
            host: "the source".into(),
            action: format!("migrate {domain}"),
            message: stats.error_message.unwrap_or_default(),
            help: "the guest keeps running on its source; libvirt's message says why".into(),
        });
    }
    Ok(MigrationOutcome {
        status: Status::Completed,
        total_time: stats.time_elapsed.unwrap_or(0) as f64 / 1000.0,
        downtime_ms: stats.downtime.unwrap_or(0) as f64,
        setup_time_ms: stats.setup_time.unwrap_or(0) as f64,
        transferred: stats.data_processed.unwrap_or(0),
        iterations: u32::try_from(stats.mem_iteration.unwrap_or(0)).unwrap_or(u32::MAX),
        zero_pages: stats.mem_constant.unwrap_or(0),
        normal_pages: stats
            .mem_normal
            .unwrap_or(stats.mem_normal_bytes.unwrap_or(0) / page),
        throttle_pct: u32::try_from(stats.auto_converge_throttle.unwrap_or(0)).unwrap_or(0),
        postcopy: false,
        postcopy_faults: stats.mem_postcopy_reqs.unwrap_or(0),
        rounds: Vec::new(),
        guest_on_destination: true,
        guest_paused: paused,
        memory_intact: true,
    })
}
