use super::*;

/// 10 Gbit/s.
const LINK_10G: f64 = 1.25e9;
/// 100 Mbit/s, line rate.
const FAST_ETHERNET: f64 = 12.5e6;

fn calibration_guest(dirty_mib_s: f64) -> GuestMemory {
    GuestMemory::new(512 << 20, 496 << 20, 128 << 20, dirty_mib_s * MIB)
}

fn calibration_config() -> MigrationConfig {
    MigrationConfig {
        bandwidth_cap: Some(64.0 * MIB),
        downtime_limit_ms: Some(300.0),
        ..MigrationConfig::new(Profile::Modern)
    }
}

/// Dirties 96 MiB/s over 256 MiB: more than a 64 MiB/s cap can ever catch up with.
fn hot_guest() -> GuestMemory {
    GuestMemory::new(512 << 20, 496 << 20, 256 << 20, 96.0 * MIB)
}

fn run(memory: GuestMemory, config: MigrationConfig, link_rate: f64) -> MigrationOutcome {
    migrate_on_dedicated_link(memory, config, link_rate).unwrap()
}

/// Advances until the migration finishes, checking the windows add up.
fn drive(migration: &mut Migration, link_rate: f64) -> Vec<Window> {
    let (start_ns, start_bytes) = (migration.now_ns, migration.transferred());
    let mut windows = vec![migration.advance(link_rate)];
    while !windows[windows.len() - 1].finished {
        windows.push(migration.advance(link_rate));
        assert!(windows.len() < 100_000, "runaway migration");
    }
    let outcome = migration.outcome().unwrap();
    let total_ns: u64 = windows.iter().map(|w| w.duration_ns).sum();
    assert_eq!((start_ns + total_ns) as f64 / 1e9, outcome.total_time);
    let bytes: u64 = windows.iter().map(|w| w.bytes_on_wire).sum();
    assert_eq!(start_bytes + bytes, outcome.transferred);
    windows
}

fn assert_close(what: &str, actual: f64, expected: f64, tolerance_pct: f64) {
    let error = (actual - expected) / expected * 100.0;
    assert!(
        error.abs() <= tolerance_pct,
        "{what}: {actual} vs {expected} ({error:+.2} %, allowed ±{tolerance_pct} %)"
    );
}

fn assert_completed(outcome: &MigrationOutcome) {
    assert_eq!(outcome.status, Status::Completed);
    assert!(
        outcome.memory_intact,
        "a completed migration carries every write"
    );
    assert!(outcome.guest_on_destination);
    assert!(!outcome.guest_paused);
}

/// QEMU 7.2 / KVM, loopback: see the notes' calibration table.
fn check_calibration(dirty_mib_s: f64, seconds: f64, megabytes: f64, syncs: u32) {
    let outcome = run(
        calibration_guest(dirty_mib_s),
        calibration_config(),
        LINK_10G,
    );
    assert_completed(&outcome);
    assert_close("total time", outcome.total_time, seconds, 3.0);
    assert_close(
        "transferred",
        outcome.transferred as f64 / 1e6,
        megabytes,
        3.0,
    );
    assert!(
        outcome.iterations.abs_diff(syncs) <= 1,
        "dirty-sync-count {} vs {syncs}",
        outcome.iterations
    );
    // The last ~20 MB goes at link speed: milliseconds, where the 64 MiB/s cap would need
    // about 300 ms.
    assert!(
        (15.0..60.0).contains(&outcome.downtime_ms),
        "downtime {} ms",
        outcome.downtime_ms
    );
    assert!(
        outcome.zero_pages >= 4096,
        "the free pages go as zero pages"
    );
    assert!(outcome.normal_pages >= 126_976 + FIRMWARE_PAGES);
}

#[test]
fn calibration_idle_guest() {
    check_calibration(0.0, 7.54, 521.4, 3);
}

#[test]
fn calibration_16_mib_s() {
    check_calibration(16.0, 10.02, 689.6, 6);
}

#[test]
fn calibration_48_mib_s() {
    check_calibration(48.0, 14.43, 986.4, 16);
}

#[test]
fn a_zeroed_guest_costs_its_scan_and_a_never_touched_one_almost_nothing() {
    let zeroed = GuestMemory::new(1 << 30, 0, 0, 0.0);
    let untouched = GuestMemory {
        untouched: 1 << 30,
        ..zeroed
    };
    let [zeroed, untouched] = [zeroed, untouched]
        .map(|memory| run(memory, MigrationConfig::new(Profile::Modern), LINK_10G));
    for outcome in [&zeroed, &untouched] {
        assert_completed(outcome);
        // QEMU sent 2.80 MB for a 1 GiB zero guest: 262 144 zero pages of 9 B, the
        // firmware and the device state.
        assert_close("transferred", outcome.transferred as f64 / 1e6, 2.80, 3.0);
        assert_eq!(outcome.zero_pages, 262_144);
        // Setup, then the one pass; the final sync at completion.
        assert_eq!(outcome.iterations, 2);
    }
    // 1 ms of setup, 4 ms stopped, and the scan with the zero pages' 9 B on the wire: 44 ms
    // for zeroed memory, 8.4 ms for memory the host never allocated.
    assert_close("zeroed", zeroed.total_time, 0.0496, 1.0);
    assert_close("never touched", untouched.total_time, 0.0138, 1.0);
}

#[test]
fn scanning_zero_pages_costs_time() {
    let zero = |gib: u64| {
        let outcome = run(
            GuestMemory::new(gib << 30, 0, 0, 0.0),
            MigrationConfig::new(Profile::Modern),
            LINK_10G,
        );
        outcome.total_time
    };
    // 42 ms of scanning and 1.9 ms on the wire per GiB.
    assert_close("3 GiB more", zero(4) - zero(1), 3.0 * 0.0439, 3.0);
}

#[test]
fn the_idle_guest_switches_before_its_first_pass_ends() {
    let outcome = run(calibration_guest(0.0), calibration_config(), LINK_10G);
    // Sync #2 came when the estimate fell under the threshold (bytes of one 100 ms window
    // × 3): part of the first pass was still dirty and went in the stop-and-copy.
    let threshold_pages = (64.0 * MIB / 10.0 * 3.0 / 4096.0) as u64;
    let second = outcome.rounds[1];
    assert!(
        (1..threshold_pages).contains(&second.dirty_pages),
        "{second:?}"
    );
    assert_eq!(outcome.rounds[0].dirty_pages, 131_072 + FIRMWARE_PAGES);
    assert_eq!(outcome.rounds.len() as u32, outcome.iterations);
}

#[test]
fn windows_are_100_ms_and_the_first_shares_its_window_with_setup() {
    let mut migration = Migration::new(calibration_guest(16.0), calibration_config()).unwrap();
    assert_eq!(migration.demand(), 0.0);
    let windows = drive(&mut migration, LINK_10G);
    let outcome = migration.outcome().unwrap().clone();
    let setup_ns = (outcome.setup_time_ms * 1e6) as u64;
    assert_eq!(windows[0].phase, Phase::Setup);
    assert_eq!(windows[0].duration_ns, setup_ns);
    assert_eq!(windows[0].bytes_on_wire, 0);
    assert_eq!(windows[1].phase, Phase::PreCopy);
    assert_eq!(windows[1].duration_ns, WINDOW_NS - setup_ns);
    let precopy: Vec<&Window> = windows
        .iter()
        .filter(|w| w.phase == Phase::PreCopy)
        .collect();
    let quota = 64.0 * MIB / 10.0;
    for window in &precopy[1..precopy.len() - 1] {
        assert_eq!(window.duration_ns, WINDOW_NS);
        // The quota, overshot by less than one page.
        let over = window.bytes_on_wire as f64 - quota;
        assert!((0.0..NORMAL_PAGE_WIRE as f64).contains(&over), "{window:?}");
    }
    let last = windows.last().unwrap();
    assert_eq!(last.phase, Phase::StopAndCopy);
    assert!(last.finished);
    assert_eq!(last.duration_ns as f64 / 1e6, outcome.downtime_ms);
    assert_eq!(migration.phase(), Phase::Finished);
    assert_eq!(migration.demand(), 0.0);
}

#[test]
fn demand_is_the_cap_while_precopying_and_everything_once_stopped() {
    let mut migration = Migration::new(calibration_guest(0.0), calibration_config()).unwrap();
    migration.advance(LINK_10G);
    assert_eq!(migration.phase(), Phase::PreCopy);
    assert_eq!(migration.demand(), 64.0 * MIB);
    while migration.phase() == Phase::PreCopy {
        migration.advance(LINK_10G);
    }
    assert_eq!(migration.phase(), Phase::StopAndCopy);
    assert_eq!(migration.demand(), f64::INFINITY);
    assert!(migration.guest_paused());
    assert_eq!(migration.guest_cpu_share(), 0.0);

    let defaults = |profile| {
        let mut m = Migration::new(calibration_guest(0.0), MigrationConfig::new(profile)).unwrap();
        m.advance(LINK_10G);
        m.demand()
    };
    assert_eq!(defaults(Profile::Modern), 128.0 * MIB);
    assert_eq!(defaults(Profile::QemuKvm012), 32.0 * MIB);
    assert_eq!(Profile::Modern.default_downtime_ms(), 300.0);
    assert_eq!(Profile::QemuKvm012.default_downtime_ms(), 30.0);
}

#[test]
fn an_unlimited_cap_runs_at_link_speed_and_stops_early() {
    let libvirt = MigrationConfig {
        bandwidth_cap: Some(f64::INFINITY),
        ..MigrationConfig::new(Profile::Modern)
    };
    let outcome = run(calibration_guest(0.0), libvirt, LINK_10G);
    assert_completed(&outcome);
    // A window at 1.25 GB/s measures a threshold of 371 MB over 300 ms: after two, the
    // 273 MB the first pass has not reached are under it and go while the guest is stopped,
    // each page read for the first time (540 MB/s).
    assert_close("downtime", outcome.downtime_ms, 510.0, 1.0);
    assert_close("total time", outcome.total_time, 0.2 + 0.51, 1.0);
}

#[test]
fn a_shared_link_slows_the_migration_down() {
    let libvirt = MigrationConfig {
        bandwidth_cap: Some(f64::INFINITY),
        ..MigrationConfig::new(Profile::Modern)
    };
    let alone = run(calibration_guest(0.0), libvirt, FAST_ETHERNET);
    let mut shared = Migration::new(calibration_guest(0.0), libvirt).unwrap();
    // An FTP download takes half of the link for the first 20 s.
    while !shared
        .advance(if shared.elapsed() < 20.0 {
            FAST_ETHERNET / 2.0
        } else {
            FAST_ETHERNET
        })
        .finished
    {}
    let shared = shared.outcome().unwrap();
    assert_completed(shared);
    assert_close(
        "10 s lost to sharing",
        shared.total_time - alone.total_time,
        10.0,
        2.0,
    );
}

#[test]
fn a_guest_dirtying_faster_than_the_cap_never_converges() {
    let err = migrate_on_dedicated_link(hot_guest(), calibration_config(), LINK_10G).unwrap_err();
    assert_eq!(err.code_str(), "kvmlab::migrate::no_convergence");
}

#[test]
fn timeout_abort_leaves_the_guest_running_on_the_source() {
    let config = MigrationConfig {
        timeout: Some(20.0),
        timeout_action: TimeoutAction::Abort,
        ..calibration_config()
    };
    let outcome = run(hot_guest(), config, LINK_10G);
    assert_eq!(outcome.status, Status::Cancelled);
    assert!(!outcome.guest_on_destination);
    assert!(!outcome.guest_paused);
    assert!(!outcome.memory_intact);
    assert_eq!(outcome.downtime_ms, 0.0);
    assert!(
        (20.0..20.1).contains(&outcome.total_time),
        "{}",
        outcome.total_time
    );
}

#[test]
fn timeout_suspend_pauses_the_guest_and_finishes_at_link_speed() {
    // libvirt's unlimited cap on Fast Ethernet, and a guest dirtying 24 MiB/s.
    let config = MigrationConfig {
        bandwidth_cap: Some(f64::INFINITY),
        timeout: Some(20.0),
        timeout_action: TimeoutAction::Suspend,
        ..MigrationConfig::new(Profile::Modern)
    };
    let mut migration = Migration::new(calibration_guest(24.0), config).unwrap();
    while !migration.guest_paused() {
        migration.advance(FAST_ETHERNET);
    }
    let paused_at = migration.elapsed();
    assert!((20.0..20.1).contains(&paused_at));
    // Still to go: the dirty bitmap, and the working set the guest rewrote since the last
    // sync (which the next sync adds).
    let wss = migration.layout.wss_pages();
    assert!(migration.guest.unlogged() >= wss);
    let left = (migration.bitmap.dirty() + wss - migration.bitmap.count(0, wss)) * PAGE_SIZE;
    drive(&mut migration, FAST_ETHERNET);
    let outcome = migration.outcome().unwrap();
    assert_completed(outcome);
    assert_close(
        "downtime",
        outcome.downtime_ms,
        (outcome.total_time - paused_at) * 1e3,
        0.01,
    );
    // At 12.5 MB/s (a few percent are 9-byte zero pages).
    assert_close(
        "downtime",
        outcome.downtime_ms / 1e3,
        left as f64 / FAST_ETHERNET,
        5.0,
    );
}

#[test]
fn timeout_postcopy_switches_and_completes() {
    let config = MigrationConfig {
        timeout: Some(10.0),
        timeout_action: TimeoutAction::Postcopy,
        ..calibration_config()
    };
    let outcome = run(hot_guest(), config, LINK_10G);
    assert_completed(&outcome);
    assert!(outcome.postcopy);
    assert!(outcome.downtime_ms < 25.0, "{} ms", outcome.downtime_ms);
    assert!(outcome.postcopy_faults > 0);
    // The rest streams at link speed: well under a second.
    assert!(
        (10.0..10.7).contains(&outcome.total_time),
        "{}",
        outcome.total_time
    );
}

#[test]
fn postcopy_faults_slow_the_guest_more_on_a_slow_link() {
    // Post-copy is requested at once: the switch comes at the end of the first window,
    // before pre-copy could converge (at 10 Gbit/s it would after two windows).
    let config = MigrationConfig {
        bandwidth_cap: Some(f64::INFINITY),
        postcopy_after: Some(0.0),
        rtt: 0.0005,
        ..MigrationConfig::new(Profile::Modern)
    };
    let faults = |link_rate| {
        let mut migration = Migration::new(calibration_guest(48.0), config).unwrap();
        while migration.phase() != Phase::PostCopy {
            assert!(!migration.advance(link_rate).finished);
        }
        assert!(migration.guest_on_destination());
        assert_eq!(migration.demand(), f64::INFINITY);
        migration.advance(link_rate);
        let share = migration.guest_cpu_share();
        drive(&mut migration, link_rate);
        let outcome = migration.outcome().unwrap().clone();
        assert_completed(&outcome);
        assert!(outcome.postcopy);
        assert!(outcome.postcopy_faults <= 128 * 256);
        (outcome.postcopy_faults, share)
    };
    let (fast_faults, fast_share) = faults(LINK_10G);
    let (slow_faults, slow_share) = faults(FAST_ETHERNET);
    // On 10 Gbit/s the first window sent most of the working set before the switch, and the
    // stream brings the rest within the first post-copy window: the guest waits a round trip
    // for a page 18 times and runs 91 % of that window. On Fast Ethernet every fault waits
    // 0.5 ms + 0.33 ms and the stream takes 40 s: the guest barely runs (11 020 faults).
    assert!(
        slow_faults > 100 * fast_faults,
        "{slow_faults} vs {fast_faults}"
    );
    assert!((0.85..0.95).contains(&fast_share), "{fast_share}");
    assert!(slow_share < 0.05, "{slow_share}");
}

#[test]
fn auto_converge_throttles_20_30_40_and_converges_a_hot_guest() {
    let with_timeout = |auto_converge| MigrationConfig {
        auto_converge,
        timeout: Some(60.0),
        ..calibration_config()
    };
    let stuck = run(hot_guest(), with_timeout(false), LINK_10G);
    assert_eq!(stuck.status, Status::Cancelled);
    assert_eq!(stuck.throttle_pct, 0);

    let outcome = run(hot_guest(), with_timeout(true), LINK_10G);
    assert_completed(&outcome);
    let mut steps: Vec<u32> = outcome.rounds.iter().map(|r| r.throttle_pct).collect();
    steps.dedup();
    assert_eq!(steps[..3], [0, 20, 30]);
    assert!(
        steps.windows(2).skip(1).all(|w| w[1] == w[0] + 10),
        "{steps:?}"
    );
    assert_eq!(*steps.last().unwrap(), outcome.throttle_pct);
    // 96 MiB/s must fall well under the 64 MiB/s cap.
    assert!(outcome.throttle_pct >= 50, "{}", outcome.throttle_pct);
}

#[test]
fn the_throttle_stops_at_99_percent() {
    let config = MigrationConfig {
        auto_converge: true,
        timeout: Some(120.0),
        ..calibration_config()
    };
    // Even at 1 % of its CPU this guest dirties 655 MiB/s.
    let furnace = GuestMemory::new(512 << 20, 496 << 20, 64 << 20, 65536.0 * MIB);
    let mut migration = Migration::new(furnace, config).unwrap();
    drive(&mut migration, LINK_10G);
    let outcome = migration.outcome().unwrap();
    assert_eq!(outcome.status, Status::Cancelled);
    assert_eq!(outcome.throttle_pct, 99);
    assert_eq!(
        migration.guest_cpu_share(),
        1.0,
        "the throttle ends with the migration"
    );
}

#[test]
fn qemu_kvm_012_on_fast_ethernet_takes_about_36_s() {
    // The report's idle guest: 512 MB with ~430 MB of page cache, no dirtying.
    let idle = GuestMemory::new(512 << 20, 430_000_000, 0, 0.0);
    let config = MigrationConfig::new(Profile::QemuKvm012);
    let mut migration = Migration::new(idle, config).unwrap();
    migration.advance(FAST_ETHERNET);
    assert!(migration.starves_guest_io());
    drive(&mut migration, FAST_ETHERNET);
    assert!(!migration.starves_guest_io());
    let outcome = migration.outcome().unwrap();
    assert_completed(outcome);
    // 431.5 MB (104,981 data pages at 4104 B, 26,091 zero pages, firmware, device state)
    // at the 12.5 MB/s line rate.
    assert_close("transferred", outcome.transferred as f64 / 1e6, 431.5, 0.1);
    assert_close("total time", outcome.total_time, 34.6, 0.5);
    // One bitmap sync per 100 ms iteration.
    assert!(outcome.iterations > 340, "{}", outcome.iterations);
    assert!(outcome.downtime_ms < 60.0, "{}", outcome.downtime_ms);

    // TCP/IP over Ethernet carries 1448 payload bytes per 1538 on the wire: 11.77 MB/s,
    // which is the report's "about 36 s".
    let goodput = FAST_ETHERNET * 1448.0 / 1538.0;
    let outcome = run(idle, config, goodput);
    assert_close("total time", outcome.total_time, 36.0, 3.0);
}

#[test]
fn qemu_kvm_012_syncs_every_iteration_where_modern_syncs_on_demand() {
    let guest = calibration_guest(4.0);
    let old = run(
        guest,
        MigrationConfig::new(Profile::QemuKvm012),
        FAST_ETHERNET,
    );
    let modern = MigrationConfig {
        bandwidth_cap: Some(32.0 * MIB),
        ..MigrationConfig::new(Profile::Modern)
    };
    let new = run(guest, modern, FAST_ETHERNET);
    assert_completed(&old);
    assert_completed(&new);
    let windows = (old.total_time * 10.0) as u32;
    assert!(
        old.iterations.abs_diff(windows) <= 3,
        "{} syncs",
        old.iterations
    );
    assert!(new.iterations < 20, "{} syncs", new.iterations);
}

#[test]
fn changing_the_dirty_rate_between_windows() {
    let base = run(calibration_guest(16.0), calibration_config(), LINK_10G);
    let mut busier = Migration::new(calibration_guest(16.0), calibration_config()).unwrap();
    while busier.elapsed() < 5.0 {
        busier.advance(LINK_10G);
    }
    busier.set_dirty_rate(48.0 * MIB).unwrap();
    drive(&mut busier, LINK_10G);
    let busier = busier.outcome().unwrap();
    assert_completed(busier);
    assert!(busier.transferred > base.transferred + 100_000_000);

    // A hot guest that calms down lets the migration converge.
    let mut calming = Migration::new(hot_guest(), calibration_config()).unwrap();
    while calming.elapsed() < 30.0 {
        calming.advance(LINK_10G);
    }
    assert_eq!(calming.phase(), Phase::PreCopy);
    calming.set_dirty_rate(0.0).unwrap();
    drive(&mut calming, LINK_10G);
    let calming = calming.outcome().unwrap();
    assert_completed(calming);
    assert!(calming.total_time < 40.0, "{}", calming.total_time);
    let err = Migration::new(hot_guest(), calibration_config())
        .unwrap()
        .set_dirty_rate(f64::NAN)
        .unwrap_err();
    assert_eq!(err.code_str(), "kvmlab::migrate::bad_parameter");
}

#[test]
fn an_offline_migration_pauses_the_guest_throughout() {
    let config = MigrationConfig {
        live: false,
        ..calibration_config()
    };
    let outcome = run(calibration_guest(48.0), config, LINK_10G);
    assert_completed(&outcome);
    assert_close(
        "downtime",
        outcome.downtime_ms,
        outcome.total_time * 1e3,
        0.01,
    );
    // Nothing is dirtied again: one pass.
    assert_close("transferred", outcome.transferred as f64 / 1e6, 521.6, 0.1);
}

#[test]
fn cancelled_and_failed_runs_leave_the_guest_running_on_the_source() {
    let stopped_in = |phase: Phase, fail: bool| {
        let mut migration = Migration::new(calibration_guest(16.0), calibration_config()).unwrap();
        while migration.phase() != phase {
            migration.advance(LINK_10G);
        }
        if fail {
            migration.connection_lost();
        } else {
            migration.cancel().unwrap();
        }
        assert!(!migration.guest_paused());
        assert_eq!(migration.guest_cpu_share(), 1.0);
        migration.outcome().unwrap().clone()
    };
    for (phase, fail, status) in [
        (Phase::PreCopy, false, Status::Cancelled),
        (Phase::PreCopy, true, Status::Failed),
        (Phase::StopAndCopy, true, Status::Failed),
        (Phase::StopAndCopy, false, Status::Cancelled),
    ] {
        let outcome = stopped_in(phase, fail);
        assert_eq!(outcome.status, status);
        assert!(!outcome.guest_on_destination);
        assert!(!outcome.guest_paused);
        assert!(!outcome.memory_intact);
    }
    let mut done = Migration::new(calibration_guest(0.0), calibration_config()).unwrap();
    drive(&mut done, LINK_10G);
    assert_eq!(
        done.cancel().unwrap_err().code_str(),
        "kvmlab::migrate::not_active"
    );
    assert_eq!(done.advance(LINK_10G).duration_ns, 0);
}

#[test]
fn after_the_postcopy_switch_there_is_no_way_back() {
    let config = MigrationConfig {
        postcopy_after: Some(2.0),
        ..calibration_config()
    };
    let mut migration = Migration::new(calibration_guest(48.0), config).unwrap();
    while migration.phase() != Phase::PostCopy {
        migration.advance(LINK_10G);
    }
    assert_eq!(
        migration.cancel().unwrap_err().code_str(),
        "kvmlab::migrate::abort_in_postcopy"
    );
    migration.connection_lost();
    let outcome = migration.outcome().unwrap();
    assert_eq!(outcome.status, Status::Failed);
    assert!(outcome.guest_on_destination);
    assert!(
        outcome.guest_paused,
        "the guest waits for pages that cannot come"
    );
    assert!(!outcome.memory_intact);
    assert!(outcome.postcopy);
}

#[test]
fn invalid_settings_are_refused_with_their_codes() {
    let refused = |memory: GuestMemory, config: MigrationConfig| {
        Migration::new(memory, config).unwrap_err().code_str()
    };
    let guest = calibration_guest(0.0);
    let modern = MigrationConfig::new(Profile::Modern);
    let old = MigrationConfig::new(Profile::QemuKvm012);
    for bad in [
        MigrationConfig {
            downtime_limit_ms: Some(0.0),
            ..modern
        },
        MigrationConfig {
            bandwidth_cap: Some(f64::NAN),
            ..modern
        },
        MigrationConfig {
            bandwidth_cap: Some(0.0),
            ..modern
        },
        MigrationConfig {
            timeout: Some(-1.0),
            ..modern
        },
        MigrationConfig {
            rtt: -0.1,
            ..modern
        },
    ] {
        assert_eq!(refused(guest, bad), "kvmlab::migrate::bad_parameter");
    }
    let offline_postcopy = MigrationConfig {
        live: false,
        postcopy_after: Some(1.0),
        ..modern
    };
    assert_eq!(
        refused(guest, offline_postcopy),
        "kvmlab::migrate::postcopy_needs_live"
    );
    for bad in [
        MigrationConfig {
            auto_converge: true,
            ..old
        },
        MigrationConfig {
            timeout: Some(10.0),
            timeout_action: TimeoutAction::Postcopy,
            ..old
        },
    ] {
        assert_eq!(refused(guest, bad), "kvmlab::migrate::unsupported");
    }
    for bad in [
        GuestMemory::new(0, 0, 0, 0.0),
        GuestMemory::new(1 << 20, 2 << 20, 0, 0.0),
        GuestMemory::new(4 << 20, 1 << 20, 2 << 20, 0.0),
    ] {
        assert_eq!(refused(bad, modern), "kvmlab::migrate::bad_memory");
    }
    assert_eq!(
        refused(GuestMemory::new(1 << 20, 0, 0, -1.0), modern),
        "kvmlab::migrate::bad_parameter"
    );
}

#[test]
fn runs_are_deterministic() {
    let varying = |migration: &mut Migration| {
        let mut windows: Vec<Window> = Vec::new();
        for step in 0u64.. {
            let link = if step % 7 < 3 {
                LINK_10G
            } else {
                LINK_10G / 3.0
            };
            windows.push(migration.advance(link));
            if windows[windows.len() - 1].finished {
                break;
            }
        }
        windows
    };
    let config = MigrationConfig {
        auto_converge: true,
        ..calibration_config()
    };
    let mut a = Migration::new(calibration_guest(48.0), config).unwrap();
    let mut b = Migration::new(calibration_guest(48.0), config).unwrap();
    assert_eq!(varying(&mut a), varying(&mut b));
    assert_eq!(a.outcome(), b.outcome());
    let c = run(calibration_guest(48.0), calibration_config(), LINK_10G);
    let d = run(calibration_guest(48.0), calibration_config(), LINK_10G);
    assert_eq!(c, d);
    let other_layout = run(
        GuestMemory {
            layout_seed: 13,
            ..calibration_guest(48.0)
        },
        calibration_config(),
        LINK_10G,
    );
    assert_ne!(c.transferred, other_layout.transferred);
}

#[test]
fn a_64_gib_guest_with_auto_converge_completes() {
    let big = GuestMemory::new(64 << 30, 48 << 30, 8 << 30, (1u64 << 30) as f64);
    let config = MigrationConfig {
        bandwidth_cap: Some(f64::INFINITY),
        auto_converge: true,
        ..MigrationConfig::new(Profile::Modern)
    };
    let outcome = run(big, config, LINK_10G);
    assert_completed(&outcome);
    assert!(outcome.throttle_pct >= 20);
    // At least the 48 GiB of data once, at 1.25 GB/s.
    assert!(outcome.transferred > 48 << 30);
    assert!(outcome.total_time > (48u64 << 30) as f64 / LINK_10G);
    assert_eq!(outcome.zero_pages, (16u64 << 30) / PAGE_SIZE);
}

#[test]
fn migrate_errors_carry_their_codes_values_and_help() {
    let cases = [
        (
            Error::MigrateBadParameter {
                parameter: "downtime_limit".into(),
                value: "0".into(),
                reason: "must be a positive number of milliseconds".into(),
            },
            "kvmlab::migrate::bad_parameter",
            "migration parameter `downtime_limit` = 0: must be a positive number of milliseconds",
        ),
        (
            Error::MigrateBadMemory {
                size: 1024,
                used: 2048,
                wss: 0,
                untouched: 0,
            },
            "kvmlab::migrate::bad_memory",
            "guest memory does not add up: size 1024 B, used 2048 B, working set 0 B, never touched 0 B",
        ),
        (
            Error::MigratePostcopyNeedsLive,
            "kvmlab::migrate::postcopy_needs_live",
            "post-copy needs a live migration",
        ),
        (
            Error::MigrateUnsupported {
                feature: "post-copy".into(),
                profile: "qemu-kvm-0.12".into(),
            },
            "kvmlab::migrate::unsupported",
            "post-copy is not available in qemu-kvm-0.12",
        ),
        (
            Error::MigrateAbortInPostcopy,
            "kvmlab::migrate::abort_in_postcopy",
            "cannot abort a migration in post-copy mode",
        ),
        (
            Error::MigrateNotActive,
            "kvmlab::migrate::not_active",
            "no migration is in progress",
        ),
        (
            Error::MigrateNoConvergence {
                seconds: 3600.0,
                remaining: 4096,
                help: MigrationConfig::new(Profile::Modern).convergence_help(),
            },
            "kvmlab::migrate::no_convergence",
            "the migration did not converge in 3600 s (4096 bytes still dirty)",
        ),
    ];
    for (error, code, message) in cases {
        assert_eq!(error.code_str(), code);
        assert_eq!(error.to_string(), message);
        assert!(error.help_str().is_some(), "{code} has no help");
    }
}

#[test]
fn a_guest_larger_than_any_x86_64_host_is_refused_before_its_bitmaps_exist() {
    let config = MigrationConfig::new(Profile::Modern);
    // 4000000T once asked for 134 TB of bitmap and aborted the process.
    let huge = GuestMemory::new(4_000_000 << 40, 1 << 30, 0, 0.0);
    let error = Migration::new(huge, config).unwrap_err();
    assert_eq!(error.code_str(), "kvmlab::migrate::memory_too_large");
    assert!(
        error.to_string().contains("4398046511104000000 B"),
        "{error}"
    );
    let largest = GuestMemory::new(MAX_HOST_MEMORY, 1 << 30, 0, 0.0);
    assert!(Migration::new(largest, config).is_ok());
    let over = GuestMemory::new(MAX_HOST_MEMORY + 4096, 1 << 30, 0, 0.0);
    assert!(Migration::new(over, config).is_err());
}
