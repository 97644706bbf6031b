//! Watching a libvirt job while its blocking call runs: the job's statistics polled every
//! 100 ms on a tokio timer and handed to an observer, the actions a plan times (abort,
//! post-copy, suspend), cancelling on Ctrl-C or an interrupt flag, and aborting a pre-copy
//! whose stream has carried nothing for libvirt's keepalive time (`real::stall`). libvirt's
//! connections are thread-safe and serve calls concurrently, so the poller reads the job on
//! the same connection the migration call is blocked on, as `virsh migrate --verbose` does.

use std::ffi::CStr;
use std::future::Future;
use std::os::raw::c_int;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::task::JoinHandle;

use virt::domain::Domain;
use virt::sys;

use crate::real::job_stats::{JobKind, JobProgress, JobStats, MigrationWatch};
use crate::real::migration_plan::{JobAction, TimedAction};
use crate::real::stall::{Stall, StallWatch};

/// How often the job's statistics are read.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// What the poller did to the job, besides watching it.
#[derive(Debug, Default)]
pub(crate) struct Interventions {
    /// The job was aborted on request (Ctrl-C or the interrupt flag) or by the timeout.
    pub aborted: bool,
    pub postcopy: bool,
    pub suspended: bool,
    /// The job was aborted because its stream carried nothing for the keepalive's time.
    pub stalled: Option<Stall>,
    /// libvirt refused an action: (the call, its message).
    pub refused: Vec<(&'static str, String)>,
}

/// The end of a watched job: the blocking call's result and what polling saw.
pub(crate) struct Watched<T> {
    pub result: T,
    pub watch: MigrationWatch,
    pub interventions: Interventions,
}

/// `virDomainGetJobStats` read into the plain [`JobStats`]. Read here rather than through
/// the `virt` crate, whose wrapper makes a `Vec` of libvirt's pointer, which is null when
/// no job runs.
pub(crate) fn job_stats(domain: &Domain, flags: u32) -> Result<JobStats, virt::error::Error> {
    let mut kind: c_int = 0;
    let mut params: sys::virTypedParameterPtr = std::ptr::null_mut();
    let mut count: c_int = 0;
    // SAFETY: the out-pointers are valid locals; libvirt allocates `params` for `count`.
    let status = unsafe {
        sys::virDomainGetJobStats(domain.as_ptr(), &mut kind, &mut params, &mut count, flags)
    };
    if status < 0 {
        return Err(virt::error::Error::last_error());
    }
    let mut stats = JobStats {
        kind: JobKind::from_raw(kind),
        ..JobStats::default()
    };
    if !params.is_null() {
        // SAFETY: libvirt returned `count` initialised parameters at `params`.
        let list =
            unsafe { std::slice::from_raw_parts(params, usize::try_from(count).unwrap_or(0)) };
        for parameter in list {
            read_parameter(&mut stats, parameter);
        }
        // SAFETY: `params` came from libvirt with `count` entries and is not used after.
        unsafe { sys::virTypedParamsFree(params, count) };
    }
    Ok(stats)
}

/// One typed parameter into its field of `stats`; a parameter kvmlab does not use is left.
fn read_parameter(stats: &mut JobStats, parameter: &sys::virTypedParameter) {
    // SAFETY: libvirt's field names are NUL-terminated within their 80 bytes.
    let name = unsafe { CStr::from_ptr(parameter.field.as_ptr()) };
    let kind = u32::try_from(parameter.type_).unwrap_or(0);
    // SAFETY: each union member is read only under the type libvirt tagged it with.
    let number: Option<u64> = unsafe {
        match kind {
            sys::VIR_TYPED_PARAM_UINT => Some(u64::from(parameter.value.ui)),
            sys::VIR_TYPED_PARAM_ULLONG => Some(parameter.value.ul),
            sys::VIR_TYPED_PARAM_INT => u64::try_from(parameter.value.i).ok(),
            sys::VIR_TYPED_PARAM_LLONG => u64::try_from(parameter.value.l).ok(),
            _ => None,
        }
    };
    if name == sys::VIR_DOMAIN_JOB_ERRMSG && kind == sys::VIR_TYPED_PARAM_STRING {
        // SAFETY: a string parameter holds a NUL-terminated string (or null).
        let text = unsafe { parameter.value.s };
        if !text.is_null() {
            let text = unsafe { CStr::from_ptr(text) };
            stats.error_message = Some(text.to_string_lossy().into_owned());
        }
        return;
    }
    if name == sys::VIR_DOMAIN_JOB_AUTO_CONVERGE_THROTTLE {
        stats.auto_converge_throttle = number.and_then(|pct| u32::try_from(pct).ok());
        return;
    }
    let fields: [(&CStr, &mut Option<u64>); 21] = [
        (sys::VIR_DOMAIN_JOB_TIME_ELAPSED, &mut stats.time_elapsed_ms),
        (sys::VIR_DOMAIN_JOB_DOWNTIME, &mut stats.downtime_ms),
        (sys::VIR_DOMAIN_JOB_SETUP_TIME, &mut stats.setup_time_ms),
        (sys::VIR_DOMAIN_JOB_DATA_TOTAL, &mut stats.data_total),
        (
            sys::VIR_DOMAIN_JOB_DATA_PROCESSED,
            &mut stats.data_processed,
        ),
        (
            sys::VIR_DOMAIN_JOB_DATA_REMAINING,
            &mut stats.data_remaining,
        ),
        (sys::VIR_DOMAIN_JOB_MEMORY_TOTAL, &mut stats.memory_total),
        (
            sys::VIR_DOMAIN_JOB_MEMORY_PROCESSED,
            &mut stats.memory_processed,
        ),
        (
            sys::VIR_DOMAIN_JOB_MEMORY_REMAINING,
            &mut stats.memory_remaining,
        ),
        (
            sys::VIR_DOMAIN_JOB_MEMORY_CONSTANT,
            &mut stats.memory_constant,
        ),
        (sys::VIR_DOMAIN_JOB_MEMORY_NORMAL, &mut stats.memory_normal),
        (
            sys::VIR_DOMAIN_JOB_MEMORY_NORMAL_BYTES,
            &mut stats.memory_normal_bytes,
        ),
        (sys::VIR_DOMAIN_JOB_MEMORY_BPS, &mut stats.memory_bps),
        (
            sys::VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE,
            &mut stats.memory_dirty_rate,
        ),
        (
            sys::VIR_DOMAIN_JOB_MEMORY_ITERATION,
            &mut stats.memory_iteration,
        ),
        (
            sys::VIR_DOMAIN_JOB_MEMORY_PAGE_SIZE,
            &mut stats.memory_page_size,
        ),
        (
            sys::VIR_DOMAIN_JOB_MEMORY_POSTCOPY_REQS,
            &mut stats.memory_postcopy_requests,
        ),
        (sys::VIR_DOMAIN_JOB_DISK_TOTAL, &mut stats.disk_total),
        (
            sys::VIR_DOMAIN_JOB_DISK_PROCESSED,
            &mut stats.disk_processed,
        ),
        (
            sys::VIR_DOMAIN_JOB_DISK_REMAINING,
            &mut stats.disk_remaining,
        ),
        (sys::VIR_DOMAIN_JOB_DISK_BPS, &mut stats.disk_bps),
    ];
    if let Some((_, field)) = fields
        .into_iter()
        .find(|(field_name, _)| *field_name == name)
    {
        *field = number;
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
/// observer (told once more, `done`, at the end if it saw the job), the timed actions are
/// taken when due and the job is aborted once `interrupt` is set, Ctrl-C is pressed, or a
/// pre-copy's data-processed counter has not moved for [`crate::real::stall::STALL_TIMEOUT`].
/// A poll runs off the timer's thread: on a loaded host libvirt can take seconds to answer
/// one, and a timed abort must not wait for it. The call's end and any poll in flight are
/// always awaited, so nothing outlives this function.
pub(crate) async fn watch_job<T>(
    call: impl Future<Output = T>,
    domain: &Domain,
    timed: &[TimedAction],
    interrupt: &AtomicBool,
    observer: &mut dyn FnMut(&JobProgress),
) -> Watched<T> {
    let started = tokio::time::Instant::now();
    let mut watch = MigrationWatch::new();
    let mut interventions = Interventions::default();
    let mut pending: Vec<TimedAction> = timed.to_vec();
    let mut ctrl_c = sigint::Listener::new();
    let mut ticks = tokio::time::interval(POLL_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_shown: Option<JobProgress> = None;
    let mut stream = StallWatch::new();
    let mut gave_up = false;
    let mut poll: Option<JoinHandle<Result<JobStats, virt::error::Error>>> = None;
    tokio::pin!(call);
    let result = loop {
        let next_due = pending
            .first()
            .map(|t| started + Duration::from_secs_f64(t.after_s));
        tokio::select! {
            result = &mut call => break result,
            _ = ctrl_c.pressed(), if !interventions.aborted => {
                interrupt.store(true, Ordering::Relaxed);
            }
            _ = ticks.tick(), if poll.is_none() => {
                let polled = domain.clone();
                poll = Some(tokio::task::spawn_blocking(move || job_stats(&polled, 0)));
            }
            answer = in_flight(&mut poll) => {
                poll = None;
                if let Ok(Ok(stats)) = answer {
                    let progress = stats.progress();
                    // A job QEMU is cancelling still reads as running, with its counters
                    // at zero; what was sent never shrinks, so such a reading says nothing.
                    let regressed = last_shown.is_some_and(|l| progress.transferred < l.transferred);
                    if stats.kind.is_running() && !regressed {
                        watch.observe(&stats);
                        observer(&progress);
                        last_shown = Some(progress);
                        let at_s = started.elapsed().as_secs_f64();
                        let postcopy = interventions.postcopy;
                        if let Some(stall) = stream.observe(at_s, stats.transferred(), postcopy) {
                            // Once: an abort libvirt refused is noted, not repeated.
                            if !gave_up && !interventions.aborted {
                                gave_up = true;
                                act(domain, JobAction::Abort, &mut interventions);
                                if interventions.aborted {
                                    interventions.stalled = Some(stall);
                                }
                            }
                        }
                    }
                }
            }
            _ = tokio::time::sleep_until(next_due.unwrap_or(started)), if next_due.is_some() => {}
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
    if let Some(unanswered) = poll {
        // The job has ended; what the poll says now adds nothing.
        let _ = unanswered.await;
    }
    if let Some(last) = last_shown {
        observer(&JobProgress { done: true, ..last });
    }
    Watched {
        result,
        watch,
        interventions,
    }
}

/// The answer of the poll in flight; never ready when there is none.
async fn in_flight<T>(poll: &mut Option<JoinHandle<T>>) -> Result<T, tokio::task::JoinError> {
    match poll {
        Some(handle) => handle.await,
        None => std::future::pending().await,
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
/// once made, so it is put in place only while jobs are watched, and the process's own
/// SIGINT disposition (the default, or the console's handler) is restored when the last
/// watched job ends.
mod sigint {
    use std::sync::{Mutex, OnceLock};

    /// tokio's handler, as first installed, to put back for each later job.
    static TOKIO_ACTION: OnceLock<Option<libc::sigaction>> = OnceLock::new();
    /// The jobs watched at once, and the disposition to restore after the last.
    static WATCHERS: Mutex<(usize, Option<libc::sigaction>)> = Mutex::new((0, None));

    pub(super) struct Listener {
        signal: Option<tokio::signal::unix::Signal>,
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
            let mut watchers = WATCHERS.lock().unwrap_or_else(|e| e.into_inner());
            if watchers.0 == 0 {
                watchers.1 = current();
            }
            watchers.0 += 1;
            let signal =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
            if let Some(action) = TOKIO_ACTION.get_or_init(current) {
                install(action);
            }
            Listener { signal }
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
            let mut watchers = WATCHERS.lock().unwrap_or_else(|e| e.into_inner());
            watchers.0 -= 1;
            if watchers.0 == 0 {
                if let Some(previous) = watchers.1.take() {
                    install(&previous);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unsigned(name: &CStr, value: u64) -> sys::virTypedParameter {
        let mut field = [0; 80];
        for (to, from) in field.iter_mut().zip(name.to_bytes()) {
            *to = *from as std::os::raw::c_char;
        }
        sys::virTypedParameter {
            field,
            type_: sys::VIR_TYPED_PARAM_ULLONG as c_int,
            value: sys::_virTypedParameterValue { ul: value },
        }
    }

    #[test]
    fn libvirts_typed_parameters_fill_their_fields() {
        let mut stats = JobStats::default();
        for (name, value) in [
            (sys::VIR_DOMAIN_JOB_TIME_ELAPSED, 363),
            (sys::VIR_DOMAIN_JOB_DOWNTIME, 23),
            (sys::VIR_DOMAIN_JOB_MEMORY_ITERATION, 2),
            (sys::VIR_DOMAIN_JOB_MEMORY_CONSTANT, 132_064),
            (sys::VIR_DOMAIN_JOB_COMPRESSION_BYTES, 7),
        ] {
            read_parameter(&mut stats, &unsigned(name, value));
        }
        let mut throttle = unsigned(sys::VIR_DOMAIN_JOB_AUTO_CONVERGE_THROTTLE, 0);
        throttle.type_ = sys::VIR_TYPED_PARAM_INT as c_int;
        throttle.value = sys::_virTypedParameterValue { i: 30 };
        read_parameter(&mut stats, &throttle);
        assert_eq!(
            stats,
            JobStats {
                time_elapsed_ms: Some(363),
                downtime_ms: Some(23),
                memory_iteration: Some(2),
                memory_constant: Some(132_064),
                auto_converge_throttle: Some(30),
                ..JobStats::default()
            }
        );
    }
}
