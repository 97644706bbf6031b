//! The points `kvmlab calibrate` migrates on a real lab: one guest (the calibration guest of
//! the recorded QEMU 7.2 runs: 512 MiB, 496 MiB used, a 128 MiB working set) across dirty
//! rate × bandwidth cap × downtime limit × auto-converge.

use super::{predict, Point};

const MIB: u64 = 1 << 20;

/// The guest every sweep point migrates.
pub const GUEST_MEMORY: u64 = 512 * MIB;
pub const GUEST_USED: u64 = 496 * MIB;
pub const GUEST_WSS: u64 = 128 * MIB;

/// A real run that has not finished by then is abandoned (the guest stays on the source),
/// and the prediction is cut at the same moment: QEMU itself never gives up.
pub const GIVE_UP_S: f64 = 90.0;

/// What a real point costs besides its migration: define, boot, fill 496 MiB, tear down.
pub const BOOT_AND_TEARDOWN_S: f64 = 3.0;

/// About how long `points` take on a real lab: the simulator's migration times plus a boot
/// and a teardown each.
pub fn expected_seconds(points: &[Point]) -> f64 {
    points
        .iter()
        .map(|p| predict(p).map_or(GIVE_UP_S, |f| f.total_time_s) + BOOT_AND_TEARDOWN_S)
        .sum()
}

/// Dirty rates of the full sweep, MiB/s of distinct pages.
const DIRTY_MIB_S: [u64; 3] = [0, 16, 48];
/// Bandwidth caps of the full sweep, MiB/s.
const BANDWIDTH_MIB_S: [u64; 3] = [32, 64, 128];
/// Downtime limits of the full sweep, ms.
const DOWNTIME_MS: [u64; 2] = [100, 300];

fn point(dirty_mib_s: u64, bandwidth_mib_s: u64, downtime_ms: u64, auto_converge: bool) -> Point {
    Point {
        memory: GUEST_MEMORY,
        used: GUEST_USED,
        // As in the published calibration runs of this guest, whose data pages still at the
        // end of RAM when they stopped put their free pages among the used ones.
        untouched: 0,
        wss: GUEST_WSS,
        dirty_pages_per_s: (dirty_mib_s * MIB / 4096) as f64,
        bandwidth: (bandwidth_mib_s * MIB) as f64,
        downtime_limit_ms: downtime_ms as f64,
        auto_converge,
        timeout_s: Some(GIVE_UP_S),
    }
}

/// Every combination: 3 dirty rates × 3 caps × 2 downtime limits × auto-converge off and on,
/// 36 migrations, in that order (auto-converge varying fastest); 12 to 15 minutes on a real
/// lab. At 48 MiB/s against a 32 MiB/s cap the simulator brings the guest home only with
/// auto-converge; without it, it and QEMU are still copying when [`GIVE_UP_S`] ends the run.
pub fn full() -> Vec<Point> {
    let mut points = Vec::new();
    for dirty in DIRTY_MIB_S {
        for bandwidth in BANDWIDTH_MIB_S {
            for downtime in DOWNTIME_MS {
                for auto_converge in [false, true] {
                    points.push(point(dirty, bandwidth, downtime, auto_converge));
                }
            }
        }
    }
    points
}

/// Five points for CI, about a minute of migrations: the three recorded calibration runs
/// (0, 16, 48 MiB/s at 64 MiB/s, 300 ms), the idle guest at 128 MiB/s, and the 48 MiB/s
/// guest again with auto-converge, which throttles it.
pub fn quick() -> Vec<Point> {
    vec![
        point(0, 64, 300, false),
        point(16, 64, 300, false),
        point(48, 64, 300, false),
        point(0, 128, 300, false),
        point(48, 64, 300, true),
    ]
}
