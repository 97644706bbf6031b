//! Watching a libvirt job while its blocking call runs: the job's statistics polled every
//! 100 ms on a tokio timer and handed to an observer, the actions a plan times (abort,
//! post-copy, suspend), and cancelling on Ctrl-C or an interrupt flag. libvirt's connections
//! are thread-safe and serve calls concurrently, so the poller reads the job on the same
//! connection the migration call is blocked on, as `virsh migrate --verbose` does.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use virt::domain::Domain;
use virt::sys;

use crate::real::job_stats::{JobKind, JobProgress, JobStats, MigrationWatch};
use crate::real::migration_plan::{JobAction, TimedAction};

/// How often the job's statistics are read.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// What the poller did to the job, besides watching it.
#[derive(Debug, Default)]
pub(crate) struct Interventions {
    /// The job was aborted on request (Ctrl-C or the interrupt flag) or by the timeout.
    pub aborted: bool,
    pub postcopy: bool,
    pub suspended: bool,
    /// libvirt refused an action: (the call, its message).
    pub refused: Vec<(&'static str, String)>,
}

/// The end of a watched job: the blocking call's result and what polling saw.
pub(crate) struct Watched<T> {
    pub result: T,
    pub watch: MigrationWatch,
    pub interventions: Interventions,
}

/// libvirt's statistics as the plain [`JobStats`].
pub(crate) fn read_stats(stats: &virt::domain::JobStats) -> JobStats {
    JobStats {
        kind: JobKind::from_raw(stats.r#type),
        time_elapsed_ms: stats.time_elapsed,
        downtime_ms: stats.downtime,
        setup_time_ms: stats.setup_time,
        data_total: stats.data_total,
        data_processed: stats.data_processed,
        data_remaining: stats.data_remaining,
        memory_total: stats.mem_total,
        memory_processed: stats.mem_processed,
        memory_remaining: stats.mem_remaining,
        memory_constant: stats.mem_constant,
        memory_normal: stats.mem_normal,
        memory_normal_bytes: stats.mem_normal_bytes,
        memory_bps: stats.mem_bps,
        memory_dirty_rate: stats.mem_dirty_rate,
        memory_iteration: stats.mem_iteration,
        memory_page_size: stats.mem_page_size,
        memory_postcopy_requests: stats.mem_postcopy_reqs,
        auto_converge_throttle: stats
            .auto_converge_throttle
            .and_then(|pct| u32::try_from(pct).ok()),
        disk_total: stats.disk_total,
        disk_processed: stats.disk_processed,
        disk_remaining: stats.disk_remaining,
        disk_bps: stats.disk_bps,
        error_message: stats.error_message.clone(),
    }
}

/// `virDomainAbortJob` (the `virt` crate does not wrap it).
pub(crate) fn abort_job(domain: &Domain) -> Result<(), virt::error::Error> {
    // SAFETY: the pointer is the live domain `domain` holds for the length of the call.
    let status = unsafe { sys::virDomainAbortJob(domain.as_ptr()) };
    if status < 0 {
        Err(virt::error::Error::last_error())
    } else {
        Ok(())
    }
}

/// `virDomainMigrateStartPostCopy` (the `virt` crate does not wrap it).
pub(crate) fn start_post_copy(domain: &Domain) -> Result<(), virt::error::Error> {
    // SAFETY: as in `abort_job`.
    let status = unsafe { sys::virDomainMigrateStartPostCopy(domain.as_ptr(), 0) };
    if status < 0 {
        Err(virt::error::Error::last_error())
    } else {
        Ok(())
    }
}

/// Runs `call` to its end while watching `domain`'s job: every poll feeds `watch` and the
/// observer, takes the timed actions that are due and aborts the job once `interrupt` is
/// set or Ctrl-C is pressed. A job that has ended is not polled further; the call's end is
/// always awaited, so nothing outlives this function.
pub(crate) async fn watch_job<T>(
    call: impl Future<Output = T>,
    domain: &Domain,
    timed: &[TimedAction],
    interrupt: &AtomicBool,
    observer: &mut dyn FnMut(&JobProgress),
) -> Watched<T> {
    let started = Instant::now();
    let mut watch = MigrationWatch::new();
    let mut interventions = Interventions::default();
    let mut pending: Vec<TimedAction> = timed.to_vec();
    let mut ctrl_c = sigint::Listener::new();
    let mut ticks = tokio::time::interval(POLL_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(call);
    let result = loop {
        tokio::select! {
            result = &mut call => break result,
            _ = ctrl_c.pressed(), if !interventions.aborted => {
                interrupt.store(true, Ordering::Relaxed);
            }
            _ = ticks.tick() => {
                if let Ok(stats) = domain.job_stats(0) {
                    let stats = read_stats(&stats);
                    if stats.kind.is_running() {
                        watch.observe(&stats);
                        observer(&stats.progress());
                    }
                }
            }
        }
        if interrupt.load(Ordering::Relaxed) && !interventions.aborted {
            act(domain, JobAction::Abort, &mut interventions);
        }
        let elapsed = started.elapsed().as_secs_f64();
        while pending.first().is_some_and(|t| t.after_s <= elapsed) {
            let due = pending.remove(0);
            act(domain, due.action, &mut interventions);
        }
    };
    Watched {
        result,
        watch,
        interventions,
    }
}

/// Takes one action on the running job, noting what libvirt refused (a job already ended,
/// an abort after the switch to post-copy).
fn act(domain: &Domain, action: JobAction, interventions: &mut Interventions) {
    if interventions.aborted {
        return;
    }
    let done = match action {
        JobAction::Abort if interventions.postcopy => {
            // After the switch the guest's memory is split: QEMU cannot go back.
            interventions.refused.push((
                action.call(),
                "the migration is in post-copy and cannot be aborted".into(),
            ));
            return;
        }
        JobAction::Abort => abort_job(domain),
        JobAction::StartPostCopy => start_post_copy(domain),
        JobAction::Suspend => domain.suspend(),
    };
    match done {
        Ok(()) => match action {
            JobAction::Abort => interventions.aborted = true,
            JobAction::StartPostCopy => interventions.postcopy = true,
            JobAction::Suspend => interventions.suspended = true,
        },
        Err(e) => interventions
            .refused
            .push((action.call(), e.message().to_string())),
    }
}

/// Ctrl-C while a job runs. tokio's handler stays installed for the life of the process
/// once made, so it is put in place only while a job is watched and the process's own
/// SIGINT disposition (the default, or the console's handler) is restored after.
mod sigint {
    use std::sync::OnceLock;

    /// tokio's handler, as first installed, to put back for each later job.
    static TOKIO_ACTION: OnceLock<Option<libc::sigaction>> = OnceLock::new();

    pub(super) struct Listener {
        signal: Option<tokio::signal::unix::Signal>,
        previous: Option<libc::sigaction>,
    }

    fn current() -> Option<libc::sigaction> {
        // SAFETY: sigaction with no new action only reads the current one into `old`.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            (libc::sigaction(libc::SIGINT, std::ptr::null(), &mut old) == 0).then_some(old)
        }
    }

    fn install(action: &libc::sigaction) {
        // SAFETY: `action` is a complete sigaction read earlier from this process.
        unsafe {
            libc::sigaction(libc::SIGINT, action, std::ptr::null_mut());
        }
    }

    impl Listener {
        /// Starts listening; without a signal driver (no tokio I/O) only the flag cancels.
        pub(super) fn new() -> Listener {
            let previous = current();
            let signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
            let tokio_action = TOKIO_ACTION.get_or_init(current);
            if let Some(action) = tokio_action {
                install(action);
            }
            Listener { signal, previous }
        }

        /// Resolves on each Ctrl-C; never when there is no listener.
        pub(super) async fn pressed(&mut self) {
            match self.signal.as_mut() {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        }
    }

    impl Drop for Listener {
        fn drop(&mut self) {
            if let Some(previous) = &self.previous {
                install(previous);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libvirts_statistics_keep_every_figure() {
        let stats = virt::domain::JobStats {
            r#type: sys::VIR_DOMAIN_JOB_COMPLETED as i32,
            time_elapsed: Some(363),
            downtime: Some(23),
            mem_iteration: Some(2),
            mem_constant: Some(132_064),
            auto_converge_throttle: Some(30),
            ..Default::default()
        };
        let plain = read_stats(&stats);
        assert_eq!(plain.kind, JobKind::Completed);
        assert_eq!(
            (
                plain.time_elapsed_ms,
                plain.downtime_ms,
                plain.memory_iteration,
                plain.memory_constant,
                plain.auto_converge_throttle
            ),
            (Some(363), Some(23), Some(2), Some(132_064), Some(30))
        );
    }
}
