//! Speed of the live-migration engine (`kvmlab_runtime::sim::migration`), one whole migration
//! per iteration, on a link of its own (figures go into the book's "Live migration" chapter):
//! - `calibration_512mib_dirty_{0,16,48}`: the three calibration runs against QEMU 7.2
//!   (512 MiB guest, 496 MiB used, 128 MiB working set dirtied at 0, 16 and 48 MiB/s;
//!   64 MiB/s cap, 300 ms downtime limit, 10 Gbit/s link); goal under 0.3 ms each.
//! - `guest_64gib_autoconverge`: a 64 GiB guest with 48 GiB used and an 8 GiB working set
//!   dirtied at 1 GiB/s, libvirt's unlimited cap on 10 Gbit/s, auto-converge on; about
//!   17 million pages, several passes; goal under 100 ms.
//! - `guest_16tib_mostly_free`: a 16 TiB guest (the engine's memory must not grow with it)
//!   with 64 GiB used and an 8 GiB working set dirtied at 64 MiB/s, unlimited cap on
//!   10 Gbit/s: 4.3 billion pages, most of them zero; goal under 2 s.
//! - `qemu_kvm_012_idle_fast_ethernet`: the report's idle guest (512 MiB, 430 MB of page
//!   cache) under qemu-kvm 0.12's rules on Fast Ethernet's TCP goodput: one 100 ms iteration
//!   and one bitmap sync per window, about 370 of them.
//! - `published_run_NN`: each of the 19 published QEMU 7.2 runs as `kvmlab calibrate
//!   --against` predicts it (the engine alone on the 20 Gbit/s loopback); goal under 40 µs.
//!
//! Each benchmark first checks that its migration completes with the guest's memory intact,
//! so it times the real thing.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use kvmlab_runtime::calibration::{predict, records};
use kvmlab_runtime::migration::{MigrationConfig, MigrationOutcome, Profile, Status};
use kvmlab_runtime::sim::migration::{migrate_on_dedicated_link, GuestMemory};

const MIB: f64 = 1024.0 * 1024.0;
/// 10 Gbit/s.
const LINK_10G: f64 = 1.25e9;
/// 100 Mbit/s Fast Ethernet as TCP sees it: 1448 bytes of payload per 1538 on the wire.
const FAST_ETHERNET_GOODPUT: f64 = 12.5e6 * 1448.0 / 1538.0;

fn migrate(memory: GuestMemory, config: MigrationConfig, link_rate: f64) -> MigrationOutcome {
    migrate_on_dedicated_link(memory, config, link_rate).expect("the migration converges")
}

/// Checks the run, then times it (only when the benchmark is selected, so that a filtered
/// run's peak memory is that benchmark's).
fn bench_migration(
    c: &mut Criterion,
    name: &str,
    memory: GuestMemory,
    config: MigrationConfig,
    link_rate: f64,
) {
    c.bench_function(name, |b| {
        let outcome = migrate(memory, config, link_rate);
        assert_eq!(outcome.status, Status::Completed, "{name}");
        assert!(outcome.memory_intact, "{name}");
        b.iter(|| migrate(black_box(memory), black_box(config), black_box(link_rate)))
    });
}

fn calibration(c: &mut Criterion) {
    let config = MigrationConfig {
        bandwidth_cap: Some(64.0 * MIB),
        downtime_limit_ms: Some(300.0),
        ..MigrationConfig::new(Profile::Modern)
    };
    for dirty_mib_s in [0u32, 16, 48] {
        let guest = GuestMemory::new(
            512 << 20,
            496 << 20,
            128 << 20,
            f64::from(dirty_mib_s) * MIB,
        );
        let name = format!("calibration_512mib_dirty_{dirty_mib_s}");
        bench_migration(c, &name, guest, config, LINK_10G);
    }
}

fn big_guest(c: &mut Criterion) {
    let guest = GuestMemory::new(64 << 30, 48 << 30, 8 << 30, (1u64 << 30) as f64);
    let config = MigrationConfig {
        bandwidth_cap: Some(f64::INFINITY),
        auto_converge: true,
        ..MigrationConfig::new(Profile::Modern)
    };
    bench_migration(c, "guest_64gib_autoconverge", guest, config, LINK_10G);
}

fn huge_guest(c: &mut Criterion) {
    let guest = GuestMemory::new(16 << 40, 64 << 30, 8 << 30, 64.0 * MIB);
    let config = MigrationConfig {
        bandwidth_cap: Some(f64::INFINITY),
        ..MigrationConfig::new(Profile::Modern)
    };
    bench_migration(c, "guest_16tib_mostly_free", guest, config, LINK_10G);
}

fn report_era(c: &mut Criterion) {
    let idle = GuestMemory::new(512 << 20, 430_000_000, 0, 0.0);
    let config = MigrationConfig::new(Profile::QemuKvm012);
    bench_migration(
        c,
        "qemu_kvm_012_idle_fast_ethernet",
        idle,
        config,
        FAST_ETHERNET_GOODPUT,
    );
}

fn published_runs(c: &mut Criterion) {
    let text = include_str!("../tests/calibration/qemu-7.2-migrations.jsonl");
    let runs = records::parse(text, "qemu-7.2-migrations.jsonl").expect("the published runs");
    for (number, (_, point, real)) in runs.iter().enumerate() {
        let name = format!("published_run_{:02}", number + 1);
        c.bench_function(&name, |b| {
            let predicted = predict(point).expect("a prediction");
            assert_eq!(predicted.status, real.status, "{name}");
            b.iter(|| predict(black_box(point)).ok())
        });
    }
}

criterion_group! {
    name = fast;
    config = Criterion::default();
    targets = calibration, report_era, published_runs
}
criterion_group! {
    name = slow;
    config = Criterion::default().sample_size(20);
    targets = big_guest
}
criterion_group! {
    name = huge;
    config = Criterion::default().sample_size(10);
    targets = huge_guest
}
criterion_main!(fast, slow, huge);
