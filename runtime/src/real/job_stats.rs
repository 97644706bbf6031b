//! libvirt's job statistics (`virDomainGetJobStats`) as plain data, and what the lab reads
//! from them: [`JobProgress`] for a progress bar while a migration runs, and the same
//! [`MigrationOutcome`] the simulator gives once it has ended. [`MigrationWatch`] keeps what
//! only polling shows (each change of the iteration count becomes a round).

use crate::migration::{MigrationOutcome, Round, Status};

/// QEMU's page size, when libvirt does not report it.
const DEFAULT_PAGE_SIZE: u64 = 4096;

/// What kind of job libvirt reports (`virDomainJobType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JobKind {
    /// No job is running.
    #[default]
    None,
    /// A job whose end is known.
    Bounded,
    /// A job whose end is not known (a migration).
    Unbounded,
    Completed,
    Failed,
    Cancelled,
}

impl JobKind {
    /// From libvirt's `virDomainJobType` number.
    pub fn from_raw(raw: i32) -> JobKind {
        match raw {
            1 => JobKind::Bounded,
            2 => JobKind::Unbounded,
            3 => JobKind::Completed,
            4 => JobKind::Failed,
            5 => JobKind::Cancelled,
            _ => JobKind::None,
        }
    }

    pub fn is_running(self) -> bool {
        matches!(self, JobKind::Bounded | JobKind::Unbounded)
    }
}

/// One reading of a job's statistics: libvirt's typed job parameters, each absent when the
/// hypervisor did not give it. Times in ms, sizes in bytes, rates in bytes/s (the dirty rate
/// in pages/s).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JobStats {
    pub kind: JobKind,
    pub time_elapsed_ms: Option<u64>,
    pub downtime_ms: Option<u64>,
    pub setup_time_ms: Option<u64>,
    pub data_total: Option<u64>,
    pub data_processed: Option<u64>,
    pub data_remaining: Option<u64>,
    pub memory_total: Option<u64>,
    pub memory_processed: Option<u64>,
    pub memory_remaining: Option<u64>,
    /// Zero pages (QEMU: duplicate).
    pub memory_constant: Option<u64>,
    pub memory_normal: Option<u64>,
    pub memory_normal_bytes: Option<u64>,
    pub memory_bps: Option<u64>,
    pub memory_dirty_rate: Option<u64>,
    /// QEMU's dirty-sync-count.
    pub memory_iteration: Option<u64>,
    pub memory_page_size: Option<u64>,
    pub memory_postcopy_requests: Option<u64>,
    pub auto_converge_throttle: Option<u32>,
    pub disk_total: Option<u64>,
    pub disk_processed: Option<u64>,
    pub disk_remaining: Option<u64>,
    pub disk_bps: Option<u64>,
    pub error_message: Option<String>,
}

impl JobStats {
    /// Bytes sent so far: memory and disk when libvirt sums them, memory otherwise.
    pub fn transferred(&self) -> u64 {
        self.data_processed
            .or(self.memory_processed)
            .unwrap_or_default()
    }

    fn page_size(&self) -> u64 {
        self.memory_page_size
            .filter(|&size| size > 0)
            .unwrap_or(DEFAULT_PAGE_SIZE)
    }

    /// What a progress bar shows of this reading.
    pub fn progress(&self) -> JobProgress {
        JobProgress {
            elapsed_ms: self.time_elapsed_ms.unwrap_or_default(),
            transferred: self.transferred(),
            total: self.data_total.or(self.memory_total),
            remaining: self.data_remaining.or(self.memory_remaining),
            rate_bps: self.memory_bps.unwrap_or_default() + self.disk_bps.unwrap_or_default(),
            iteration: self.memory_iteration.unwrap_or_default(),
            throttle_pct: self.auto_converge_throttle.unwrap_or_default(),
            dirty_pages_per_s: self.memory_dirty_rate.unwrap_or_default(),
            done: false,
        }
    }
}

/// A running job as a progress bar shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JobProgress {
    pub elapsed_ms: u64,
    pub transferred: u64,
    /// What the job has to send as far as libvirt knows (it grows as the guest dirties).
    pub total: Option<u64>,
    pub remaining: Option<u64>,
    pub rate_bps: u64,
    pub iteration: u64,
    pub throttle_pct: u32,
    pub dirty_pages_per_s: u64,
    /// The job has ended: the last reading again, for a bar to close.
    pub done: bool,
}

/// How a migration ended, as the backend saw it (libvirt's statistics do not say where the
/// guest is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ending {
    pub status: Status,
    pub guest_on_destination: bool,
    pub guest_paused: bool,
    /// The poller switched the migration to post-copy.
    pub postcopy: bool,
}

/// A migration's statistics gathered while polling it.
#[derive(Debug, Clone, Default)]
pub struct MigrationWatch {
    rounds: Vec<Round>,
    last_iteration: u64,
    bytes_at_last_round: u64,
    latest: JobStats,
}

impl MigrationWatch {
    pub fn new() -> MigrationWatch {
        MigrationWatch::default()
    }

    /// Takes one reading of a running job: a new iteration count is a new round.
    pub fn observe(&mut self, stats: &JobStats) {
        if !stats.kind.is_running() {
            return;
        }
        if let Some(iteration) = stats.memory_iteration {
            if iteration > self.last_iteration {
                self.push_round(iteration, stats.time_elapsed_ms.unwrap_or_default(), stats);
            }
        }
        self.latest = stats.clone();
    }

    /// The last reading of a running job, what remains when libvirt keeps no completed
    /// statistics (a cancelled or failed job).
    pub fn latest(&self) -> &JobStats {
        &self.latest
    }

    fn push_round(&mut self, iteration: u64, at_ms: u64, stats: &JobStats) {
        let transferred = stats.transferred();
        self.rounds.push(Round {
            index: u32::try_from(iteration).unwrap_or(u32::MAX),
            start: at_ms as f64 / 1000.0,
            dirty_pages: stats.memory_remaining.unwrap_or_default() / stats.page_size(),
            bytes_sent: transferred.saturating_sub(self.bytes_at_last_round),
            throttle_pct: stats.auto_converge_throttle.unwrap_or_default(),
        });
        self.last_iteration = iteration;
        self.bytes_at_last_round = transferred;
    }

    /// The outcome from the job's final statistics (`final_stats`: the completed job's, or
    /// the last reading when libvirt kept none, as after post-copy, whose figures then stop
    /// at that reading). The final sync, if polling missed it, is
    /// the last round, taken when the guest stopped.
    pub fn finish(mut self, final_stats: &JobStats, ending: Ending) -> MigrationOutcome {
        let elapsed_ms = final_stats.time_elapsed_ms.unwrap_or_default();
        // While a job runs, libvirt's downtime is the one it expects at the switch-over, not
        // one measured: only a completed job's counts (a migration that never switched over
        // stopped the guest for none; after post-copy libvirt keeps no completed figures).
        let downtime_ms = match (ending.status, final_stats.kind) {
            (Status::Completed, JobKind::Completed) => final_stats.downtime_ms.unwrap_or_default(),
            _ => 0,
        };
        let iterations = final_stats
            .memory_iteration
            .unwrap_or(self.last_iteration)
            .max(self.last_iteration);
        if iterations > self.last_iteration && ending.status == Status::Completed {
            let stopped_at = elapsed_ms.saturating_sub(downtime_ms);
            self.push_round(iterations, stopped_at, final_stats);
        }
        let postcopy_faults = final_stats.memory_postcopy_requests.unwrap_or_default();
        MigrationOutcome {
            status: ending.status,
            total_time: elapsed_ms as f64 / 1000.0,
            downtime_ms: downtime_ms as f64,
            setup_time_ms: final_stats.setup_time_ms.unwrap_or_default() as f64,
            transferred: final_stats.transferred(),
            iterations: u32::try_from(iterations).unwrap_or(u32::MAX),
            zero_pages: final_stats.memory_constant.unwrap_or_default(),
            normal_pages: final_stats.memory_normal.unwrap_or_default(),
            throttle_pct: final_stats.auto_converge_throttle.unwrap_or_default(),
            postcopy: ending.postcopy || postcopy_faults > 0,
            postcopy_faults,
            rounds: self.rounds,
            guest_on_destination: ending.guest_on_destination,
            guest_paused: ending.guest_paused,
            // QEMU completes only once every dirty page has been sent; a migration that
            // did not complete left the destination's copy unfinished.
            memory_intact: ending.status == Status::Completed && ending.guest_on_destination,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    /// The completed statistics of a 512 MiB KVM guest on iSCSI migrated sv1 → sv2 on this
    /// kind of machine (QEMU 7.2, libvirt 9.0), the fields that run recorded: 363 ms, 23 ms
    /// of downtime, 2 iterations, 132064 zero pages.
    fn measured_completed() -> JobStats {
        JobStats {
            kind: JobKind::Completed,
            time_elapsed_ms: Some(363),
            downtime_ms: Some(23),
            memory_constant: Some(132_064),
            memory_iteration: Some(2),
            ..JobStats::default()
        }
    }

    fn running(elapsed_ms: u64, processed: u64, remaining: u64, iteration: u64) -> JobStats {
        JobStats {
            kind: JobKind::Unbounded,
            time_elapsed_ms: Some(elapsed_ms),
            data_total: Some(512 * MIB),
            data_processed: Some(processed),
            data_remaining: Some(remaining),
            memory_remaining: Some(remaining),
            memory_bps: Some(64 * MIB),
            memory_iteration: Some(iteration),
            memory_page_size: Some(4096),
            ..JobStats::default()
        }
    }

    fn completed_on_destination() -> Ending {
        Ending {
            status: Status::Completed,
            guest_on_destination: true,
            guest_paused: false,
            postcopy: false,
        }
    }

    #[test]
    fn the_measured_run_reads_as_the_simulators_outcome() {
        let mut watch = MigrationWatch::new();
        watch.observe(&running(100, 2 * MIB, 500 * MIB, 1));
        let outcome = watch.finish(&measured_completed(), completed_on_destination());
        assert_eq!(outcome.status, Status::Completed);
        assert_eq!(outcome.total_time, 0.363);
        assert_eq!(outcome.downtime_ms, 23.0);
        assert_eq!(outcome.iterations, 2);
        assert_eq!(outcome.zero_pages, 132_064);
        // What libvirt did not report stays zero, it is not made up.
        assert_eq!((outcome.setup_time_ms, outcome.normal_pages), (0.0, 0));
        assert!(outcome.guest_on_destination && outcome.memory_intact);
        assert!(!outcome.postcopy && !outcome.guest_paused);
        // The sync seen while polling, and the final one at the guest's stop (363 - 23 ms).
        assert_eq!(outcome.rounds.len(), 2);
        assert_eq!((outcome.rounds[0].index, outcome.rounds[0].start), (1, 0.1));
        assert_eq!(outcome.rounds[0].dirty_pages, 500 * 256);
        assert_eq!(
            (outcome.rounds[1].index, outcome.rounds[1].start),
            (2, 0.34)
        );
        assert_eq!(outcome.rounds[1].bytes_sent, 0);
    }

    #[test]
    fn an_idle_calibration_run_keeps_every_figure() {
        // QEMU 7.2, 512 MiB guest (496 MiB used) at 64 MiB/s, no dirtying: query-migrate's
        // total-time 7543, downtime 36, setup-time 1, transferred 521365257, duplicate
        // 4173, normal 127029, dirty-sync-count 3, as libvirt names them.
        let completed = JobStats {
            kind: JobKind::Completed,
            time_elapsed_ms: Some(7543),
            downtime_ms: Some(36),
            setup_time_ms: Some(1),
            memory_processed: Some(521_365_257),
            memory_constant: Some(4173),
            memory_normal: Some(127_029),
            memory_iteration: Some(3),
            ..JobStats::default()
        };
        let outcome = MigrationWatch::new().finish(&completed, completed_on_destination());
        assert_eq!(
            (
                outcome.total_time,
                outcome.downtime_ms,
                outcome.setup_time_ms
            ),
            (7.543, 36.0, 1.0)
        );
        assert_eq!(outcome.transferred, 521_365_257);
        assert_eq!((outcome.zero_pages, outcome.normal_pages), (4173, 127_029));
        assert_eq!(outcome.iterations, 3);
        // Nothing was polled: the one round known is the final sync.
        assert_eq!(outcome.rounds.len(), 1);
        assert_eq!(
            (outcome.rounds[0].index, outcome.rounds[0].start),
            (3, 7.507)
        );
    }

    #[test]
    fn a_calibration_run_with_dirtying_has_one_round_per_iteration_seen() {
        // QEMU 7.2, 512 MiB guest dirtying 48 MiB/s at 64 MiB/s: 14.43 s, 986.4 MB,
        // dirty-sync-count 16 (the calibration set); polling sees some of the syncs.
        let completed = JobStats {
            kind: JobKind::Completed,
            time_elapsed_ms: Some(14_427),
            downtime_ms: Some(11),
            setup_time_ms: Some(5),
            memory_processed: Some(986_369_536),
            memory_constant: Some(4173),
            memory_normal: Some(240_334),
            memory_iteration: Some(16),
            ..JobStats::default()
        };
        let mut watch = MigrationWatch::new();
        watch.observe(&running(100, 6 * MIB, 490 * MIB, 1));
        watch.observe(&running(200, 12 * MIB, 484 * MIB, 1));
        watch.observe(&running(8_000, 500 * MIB, 100 * MIB, 2));
        watch.observe(&running(12_000, 800 * MIB, 30 * MIB, 9));
        let outcome = watch.finish(&completed, completed_on_destination());
        assert_eq!(outcome.transferred, 986_369_536);
        assert_eq!(outcome.iterations, 16);
        assert_eq!(outcome.total_time, 14.427);
        let indexes: Vec<u32> = outcome.rounds.iter().map(|r| r.index).collect();
        assert_eq!(indexes, [1, 2, 9, 16]);
        assert_eq!(outcome.rounds[1].bytes_sent, 494 * MIB);
        assert_eq!(outcome.rounds[2].dirty_pages, 30 * 256);
        assert_eq!(outcome.rounds[3].start, 14.416);
    }

    #[test]
    fn a_cancelled_migration_is_read_from_the_last_reading() {
        let mut watch = MigrationWatch::new();
        let mut reading = running(900, MIB, 255 * MIB, 1);
        reading.downtime_ms = Some(300);
        watch.observe(&reading);
        let last = watch.latest().clone();
        let outcome = watch.finish(
            &last,
            Ending {
                status: Status::Cancelled,
                guest_on_destination: false,
                guest_paused: false,
                postcopy: false,
            },
        );
        assert_eq!(outcome.status, Status::Cancelled);
        assert_eq!(outcome.total_time, 0.9);
        assert_eq!(outcome.downtime_ms, 0.0);
        assert_eq!(outcome.transferred, MIB);
        assert_eq!(outcome.iterations, 1);
        assert_eq!(outcome.rounds.len(), 1);
        assert!(!outcome.guest_on_destination && !outcome.memory_intact);
    }

    #[test]
    fn after_post_copy_the_last_reading_gives_the_figures_but_no_expected_downtime() {
        let mut watch = MigrationWatch::new();
        let mut reading = running(1_505, 5 * MIB, 345 * MIB, 2);
        reading.downtime_ms = Some(300);
        reading.memory_postcopy_requests = Some(1);
        watch.observe(&reading);
        let last = watch.latest().clone();
        let outcome = watch.finish(
            &last,
            Ending {
                status: Status::Completed,
                guest_on_destination: true,
                guest_paused: false,
                postcopy: true,
            },
        );
        assert_eq!((outcome.total_time, outcome.downtime_ms), (1.505, 0.0));
        assert_eq!((outcome.transferred, outcome.iterations), (5 * MIB, 2));
        assert!(outcome.postcopy && outcome.memory_intact);
        assert_eq!(outcome.postcopy_faults, 1);
    }

    #[test]
    fn readings_of_no_job_change_nothing() {
        let mut watch = MigrationWatch::new();
        watch.observe(&JobStats::default());
        assert_eq!(watch.latest(), &JobStats::default());
        assert_eq!(JobKind::from_raw(2), JobKind::Unbounded);
        assert_eq!(JobKind::from_raw(99), JobKind::None);
    }

    #[test]
    fn progress_reads_what_a_bar_shows() {
        let mut stats = running(1500, 100 * MIB, 412 * MIB, 3);
        stats.auto_converge_throttle = Some(30);
        stats.memory_dirty_rate = Some(4096);
        stats.disk_bps = Some(MIB);
        assert_eq!(
            stats.progress(),
            JobProgress {
                elapsed_ms: 1500,
                transferred: 100 * MIB,
                total: Some(512 * MIB),
                remaining: Some(412 * MIB),
                rate_bps: 65 * MIB,
                iteration: 3,
                throttle_pct: 30,
                dirty_pages_per_s: 4096,
                done: false,
            }
        );
    }
}
