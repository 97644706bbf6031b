//! Downloads in the vocabulary every backend shares: a client fetching a guest's file, what
//! has arrived so far (by content, so its integrity can be checked), and the rate over time.

use crate::time::LabTime;
use crate::world::content::Contents;
use crate::world::guest::{ClientId, GuestId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct TransferId(pub usize);

/// A download from a guest's file to a client.
#[derive(Debug, Clone)]
pub struct Transfer {
    pub client: ClientId,
    pub guest: GuestId,
    pub path: String,
    pub size: u64,
    pub received: Contents,
    pub started: LabTime,
    pub finished: Option<LabTime>,
    /// (seconds since the lab began, bytes/s) whenever the rate changes.
    pub timeline: Vec<(f64, f64)>,
}

impl Transfer {
    pub fn bytes(&self) -> u64 {
        self.received.len()
    }

    pub fn is_done(&self) -> bool {
        self.finished.is_some()
    }

    /// Mean rate over `[from, to)` seconds, from the timeline.
    pub fn mean_rate(&self, from: f64, to: f64) -> f64 {
        if to <= from {
            return 0.0;
        }
        let end = self.finished.map_or(f64::INFINITY, LabTime::as_secs_f64);
        let mut bytes = 0.0;
        for (i, &(t, rate)) in self.timeline.iter().enumerate() {
            let next = self.timeline.get(i + 1).map_or(end, |p| p.0);
            let (a, b) = (t.max(from), next.min(to));
            if b > a {
                bytes += rate * (b - a);
            }
        }
        bytes / (to - from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_rate_integrates_the_timeline() {
        let mut t = Transfer {
            client: ClientId(0),
            guest: GuestId(0),
            path: "/x".into(),
            size: 300,
            received: Contents::default(),
            started: LabTime::ZERO,
            finished: Some(LabTime::from_secs_f64(30.0)),
            timeline: vec![(0.0, 10.0), (10.0, 1.0), (20.0, 10.0)],
        };
        assert_eq!(t.mean_rate(0.0, 10.0), 10.0);
        assert_eq!(t.mean_rate(10.0, 20.0), 1.0);
        assert_eq!(t.mean_rate(5.0, 15.0), 5.5);
        t.finished = Some(LabTime::from_secs_f64(25.0));
        assert_eq!(t.mean_rate(20.0, 30.0), 5.0);
    }
}
