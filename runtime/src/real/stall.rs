//! A migration whose stream carries nothing, given up as libvirt's keepalive gives it up.
//!
//! Between two daemons that talk to each other (a peer-to-peer migration), libvirt's
//! keepalive ends a migration whose peer stops answering. kvmlab drives each migration itself
//! through both daemons' socket files, so nothing watches the path between the hosts: when
//! the link goes, QEMU's stream stalls and TCP retries for many minutes, with no error from
//! libvirt or QEMU. The job's poller keeps libvirt's time instead ([`StallWatch`]), so a real
//! lab reads as the simulator does: `kvmlab::migrate::connection_lost`, the guest on its
//! source. After the switch to post-copy the guest runs on the destination and cannot go
//! back, so a stalled post-copy is left to wait for its link.

use std::time::Duration;

use crate::error::Error;

/// How long a pre-copy's stream may carry nothing before the migration is given up:
/// libvirt's keepalive, `keepalive_interval` 5 s × (`keepalive_count` 5 + 1) with
/// libvirtd.conf's defaults. The simulator's `sim::faults::KEEPALIVE_TIMEOUT` is the same
/// 30 s, so both backends fail a silent migration at the same moment.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The data-processed counter of one migration, reading by reading.
#[derive(Debug, Default)]
pub struct StallWatch {
    /// The counter, and when (seconds into the migration) it took that value.
    last: Option<(u64, f64)>,
}

/// A stream found silent: since when, and when that was seen (seconds into the migration).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stall {
    pub since_s: f64,
    pub at_s: f64,
}

impl StallWatch {
    pub fn new() -> StallWatch {
        StallWatch::default()
    }

    /// One reading: `processed` bytes sent `at_s` seconds into the migration, `postcopy`
    /// when the guest has switched to the destination. The stall, once the counter has not
    /// moved for [`STALL_TIMEOUT`] of a pre-copy.
    pub fn observe(&mut self, at_s: f64, processed: u64, postcopy: bool) -> Option<Stall> {
        let since_s = match self.last {
            Some((bytes, since_s)) if bytes == processed => since_s,
            _ => {
                self.last = Some((processed, at_s));
                return None;
            }
        };
        (!postcopy && at_s - since_s >= STALL_TIMEOUT.as_secs_f64())
            .then_some(Stall { since_s, at_s })
    }
}

impl Stall {
    /// The lab's error once the job was aborted: `guest` is back (or still) on `source`,
    /// running or, after a timeout's suspend, paused.
    pub fn to_error(&self, guest: &str, source: &str, destination: &str, paused: bool) -> Error {
        let whereabouts = if paused {
            format!("{guest} is paused on {source}, where it ran")
        } else {
            format!("{guest} carries on on {source}, where it ran")
        };
        let resume = if paused {
            format!(" (`virsh -c {source} resume {guest}` lets it run meanwhile)")
        } else {
            String::new()
        };
        Error::MigrateConnectionLost {
            migration: format!("{guest} to {destination}"),
            at_s: self.at_s,
            cause: format!(
                "its stream stalled, and nothing crossed for {:.0} s since {:.1} s",
                self.at_s - self.since_s,
                self.since_s
            ),
            whereabouts,
            help: format!(
                "nothing changed on {source}{resume}: check the link between {source} and {destination} (its cable in, its interfaces up, `ping` crossing from one to the other), then migrate again; a link back within {} s lets a migration go on by itself",
                STALL_TIMEOUT.as_secs()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Readings every 100 ms from `from_s`, `bytes(t)` sent at each.
    fn readings(
        watch: &mut StallWatch,
        from_s: f64,
        to_s: f64,
        postcopy: bool,
        bytes: impl Fn(f64) -> u64,
    ) -> Option<Stall> {
        let mut tick = 0;
        loop {
            let at_s = from_s + f64::from(tick) * 0.1;
            if at_s > to_s + 1e-9 {
                return None;
            }
            if let Some(stall) = watch.observe(at_s, bytes(at_s), postcopy) {
                return Some(stall);
            }
            tick += 1;
        }
    }

    #[test]
    fn a_moving_counter_never_stalls_however_slowly_it_moves() {
        let mut watch = StallWatch::new();
        // 1 byte every 20 s (a change every 200 readings): still moving.
        assert_eq!(
            readings(&mut watch, 0.0, 120.0, false, |t| (t / 20.0) as u64),
            None
        );
    }

    #[test]
    fn a_counter_stuck_for_30_s_of_a_pre_copy_is_a_stall() {
        let mut watch = StallWatch::new();
        // 1 MiB/s until 1.2 s, then nothing.
        let sent = |t: f64| (t.min(1.2) * 1_048_576.0) as u64;
        let stall = readings(&mut watch, 0.0, 60.0, false, sent).expect("a stall");
        assert!((stall.since_s - 1.2).abs() < 1e-9, "{stall:?}");
        assert!((stall.at_s - 31.2).abs() < 1e-9, "{stall:?}");
    }

    #[test]
    fn a_stream_back_within_30_s_is_no_stall() {
        let mut watch = StallWatch::new();
        // Silent from 1 s to 6 s (a link down for 5 s), then moving again.
        let sent = |t: f64| {
            let moving = t.min(1.0) + (t - 6.0).max(0.0);
            (moving * 1_048_576.0) as u64
        };
        assert_eq!(readings(&mut watch, 0.0, 60.0, false, sent), None);
        // Silent for 29.9 s, twice: neither is a stall.
        let mut watch = StallWatch::new();
        assert_eq!(watch.observe(0.0, 5, false), None);
        assert_eq!(watch.observe(29.9, 5, false), None);
        assert_eq!(watch.observe(30.0, 6, false), None);
        assert_eq!(watch.observe(59.9, 6, false), None);
        assert_eq!(
            watch.observe(60.0, 6, false),
            Some(Stall {
                since_s: 30.0,
                at_s: 60.0
            })
        );
    }

    #[test]
    fn a_stalled_post_copy_is_left_to_wait() {
        let mut watch = StallWatch::new();
        assert_eq!(readings(&mut watch, 0.0, 120.0, true, |_| 4096), None);
        // The switch came after the stream went silent: still no abort.
        let mut watch = StallWatch::new();
        assert_eq!(readings(&mut watch, 0.0, 20.0, false, |_| 4096), None);
        assert_eq!(readings(&mut watch, 20.1, 120.0, true, |_| 4096), None);
    }

    #[test]
    fn the_stall_reads_as_the_simulators_lost_connection() {
        let stall = Stall {
            since_s: 1.2,
            at_s: 31.25,
        };
        let e = stall.to_error("b-link", "sv1", "sv2", false);
        assert_eq!(e.code_str(), "kvmlab::migrate::connection_lost");
        assert_eq!(
            e.to_string(),
            "the migration of b-link to sv2 lost its connection at 31.2 s: its stream stalled, and nothing crossed for 30 s since 1.2 s; b-link carries on on sv1, where it ran"
        );
        assert_eq!(
            e.help_str().unwrap(),
            "nothing changed on sv1: check the link between sv1 and sv2 (its cable in, its interfaces up, `ping` crossing from one to the other), then migrate again; a link back within 30 s lets a migration go on by itself"
        );
        let e = stall.to_error("b-link", "sv1", "sv2", true);
        assert!(e
            .to_string()
            .ends_with("; b-link is paused on sv1, where it ran"));
        assert!(e.help_str().unwrap().starts_with(
            "nothing changed on sv1 (`virsh -c sv1 resume b-link` lets it run meanwhile): check the link"
        ));
    }
}
