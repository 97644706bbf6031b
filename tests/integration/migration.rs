//! Guests and live migration from scripts (report §2.5, §3): libvirt's refusals with their
//! codes and lines, the timeout actions, auto-converge, post-copy, and the guest's data
//! surviving every outcome.

use crate::harness::Test;
use serde_json::{json, Value};

/// Two report hosts, a guest on sv1's local `/guest` pool, installed and running.
/// It is 11 lines long: a test's own lines start at line 12.
const GUEST_ON_LOCAL_DISK: &str = "import \"kvmlab/hosts\" as hosts;
import \"kvmlab/report\" as report;
let lab = hosts::build();
let sv1 = lab.sv1; let sv2 = lab.sv2;
sv1.store_file(\"/guest/iso/CentOS-5.6-i386-bin-DVD.iso\", size(\"3.9G\"));
let local = sv1.define_pool(#{name: \"guest\", type: \"dir\", target: \"/guest\"});
let vol = local.create_volume(#{name: \"g.img\", capacity: \"20G\", allocation: 0});
let g = sv1.define_guest(#{name: \"g\", memory: \"512M\", iso: \"/guest/iso/CentOS-5.6-i386-bin-DVD.iso\",
    disk: vol, network: #{bridge: \"br0\", address: \"192.168.1.20/24\"}, cache: \"none\"});
g.install();
g.workload(#{used: \"410M\"});
";

fn lab(rest: &str) -> String {
    format!("{GUEST_ON_LOCAL_DISK}{rest}")
}

fn values(rest: &str) -> Value {
    let out = Test::new().script(&lab(rest)).json().status(0).run();
    out.report["values"].clone()
}

#[test]
fn a_disk_only_the_source_sees_is_refused() {
    Test::new()
        .script(&lab("let r = g.migrate(sv2);"))
        .status(2)
        .diagnostic("kvmlab::migrate::unsafe_storage", 12)
        .stderr("Unsafe migration: Migration without shared storage is unsafe")
        .run();
    let v = values(
        "let r = g.migrate(sv2, #{unsafe: true});\nrecord(\"status\", r.status);\nrecord(\"on\", g.host.name);\n",
    );
    assert_eq!(v, json!({"status": "completed", "on": "sv2"}));
}

#[test]
fn copy_storage_moves_the_disk_first() {
    Test::new()
        .script(&lab("g.migrate(sv2, #{copy_storage: true});"))
        .status(2)
        .diagnostic("kvmlab::migrate::no_target_pool", 12)
        .run();
    // The installed system takes 2.3 GB of the sparse volume: about 195 s at 11.77 MB/s.
    let v = values(
        "sv2.define_pool(#{name: \"guest\", type: \"dir\", target: \"/guest\"});\n\
         let t0 = clock();\nlet r = g.migrate(sv2, #{copy_storage: true, profile: \"qemu-kvm-0.12\"});\n\
         record(\"took\", clock() - t0);\nrecord(\"memory\", r.total_time);\nrecord(\"on\", g.host.name);\n",
    );
    assert_eq!(v["on"], "sv2");
    let copy = v["took"].as_f64().unwrap() - v["memory"].as_f64().unwrap();
    assert!((copy - 2.3e9 / 11.7685e6).abs() < 1.0, "{v}");
}

#[test]
fn refusals_name_libvirts_reason() {
    Test::new()
        .script(&lab("g.migrate(sv1, #{unsafe: true});"))
        .status(2)
        .diagnostic("kvmlab::migrate::same_host", 12)
        .stderr("Attempt to migrate guest to the same host")
        .run();
    Test::new()
        .script(&lab(
            "sv1.write_file(\"/etc/hosts\", \"127.0.0.1 localhost sv2\\n\");\ng.migrate(sv2, #{unsafe: true});",
        ))
        .status(2)
        .diagnostic("kvmlab::migrate::same_host", 13)
        .run();
    Test::new()
        .script(&lab("g.shutdown();\ng.migrate(sv2, #{unsafe: true});"))
        .status(2)
        .diagnostic("kvmlab::migrate::not_running", 13)
        .run();
    Test::new()
        .script(&lab(
            "sv1.write_file(\"/etc/hosts\", \"127.0.0.1 localhost\\n\");\ng.migrate(sv2, #{unsafe: true});",
        ))
        .status(2)
        .diagnostic("kvmlab::migrate::unreachable", 13)
        .stderr("sv1 cannot reach the destination `sv2`")
        .run();
    Test::new()
        .script(&lab("g.migrate(sv2, #{profile: \"qemu-kvm-0.13\"});"))
        .status(2)
        .diagnostic("kvmlab::spec::bad_value", 12)
        .run();
    Test::new()
        .script(&lab("g.migrate(sv2, #{bandwith: \"64M/s\"});"))
        .status(2)
        .diagnostic("kvmlab::spec::unknown_key", 12)
        .stderr("did you mean `bandwidth`?")
        .run();
}

/// A third host on NET1 that differs from sv2 in one way.
fn third_host(change: &str) -> String {
    lab(&format!(
        "let spec = report::server_spec();\n{change}\nlet sv3 = host(\"sv3\", spec);\n\
         sv3.install_os(report::os_spec(\"sv3\"));\nsv3.nic(\"eth0\").connect(lab.net1);\n\
         sv3.write_file(\"/etc/sysconfig/network-scripts/ifcfg-br0\", report::ifcfg_br0(\"192.168.1.13\"));\n\
         sv3.append_file(\"/etc/sysconfig/network-scripts/ifcfg-eth0\", \"BRIDGE=br0\\n\");\n\
         sv3.service(\"network\").restart();\n\
         sv1.append_file(\"/etc/hosts\", \"192.168.1.13 sv3\\n\");\n\
         g.migrate(sv3, #{{unsafe: true}});\n"
    ))
}

#[test]
fn the_destination_must_be_able_to_run_the_guest() {
    // The migrate call is the 10th line after the 11-line preamble.
    Test::new()
        .script(&third_host("spec.memory = \"1G\";"))
        .status(2)
        .diagnostic("kvmlab::migrate::no_memory", 21)
        .run();
    Test::new()
        .script(&third_host("spec.virt = \"VT-x\";"))
        .status(2)
        .diagnostic("kvmlab::migrate::cpu_incompatible", 21)
        .run();
    Test::new()
        .script(&third_host("spec.bios_virt = false;"))
        .status(2)
        .diagnostic("kvmlab::migrate::destination_not_ready", 21)
        .run();
    // sv3's card carries the address itself: no bridge for the guest's card to join.
    Test::new()
        .script(&lab(
            "sv2.service(\"libvirtd\").stop();\ng.migrate(sv2, #{unsafe: true});",
        ))
        .status(2)
        .diagnostic("kvmlab::migrate::destination_not_ready", 13)
        .stderr("libvirtd is not running")
        .run();
    let no_bridge = third_host("")
        .replace("ifcfg-br0\", report::ifcfg_br0(\"192.168.1.13\")", "ifcfg-eth0\", \"DEVICE=eth0\\nONBOOT=yes\\nBOOTPROTO=none\\nIPADDR=192.168.1.13\\nNETMASK=255.255.255.0\\n\"")
        .replace("\"BRIDGE=br0\\n\"", "\"\"");
    assert!(!no_bridge.contains("ifcfg-br0"), "{no_bridge}");
    Test::new()
        .script(&no_bridge)
        .status(2)
        .diagnostic("kvmlab::migrate::no_bridge", 21)
        .run();
}

#[test]
fn the_reports_idle_guest_takes_about_36_seconds() {
    let v = values(
        "let r = g.migrate(sv2, #{profile: \"qemu-kvm-0.12\", unsafe: true});\n\
         record(\"t\", r.total_time);\nrecord(\"via\", r.address);\nrecord(\"intact\", r.memory_intact);\n\
         record(\"downtime\", r.downtime);\n",
    );
    let t = v["t"].as_f64().unwrap();
    assert!((t - 36.8).abs() < 0.3, "{t}");
    assert_eq!(
        v["via"], "192.168.1.12",
        "the migration takes NET1, where sv2 resolves"
    );
    assert_eq!(v["intact"], true);
    assert!(v["downtime"].as_f64().unwrap() < 100.0);
}

#[test]
fn a_guest_that_outruns_the_link_never_converges() {
    let hot = "g.workload(#{used: \"410M\", wss: \"256M\", dirty_rate: \"20M/s\"});\n";
    Test::new()
        .script(&lab(&format!("{hot}g.migrate(sv2, #{{unsafe: true}});")))
        .status(2)
        .diagnostic("kvmlab::migrate::no_convergence", 13)
        .run();
    let v = values(&format!(
        "{hot}let r = g.migrate(sv2, #{{unsafe: true, timeout: 60}});\n\
         record(\"status\", r.status);\nrecord(\"on\", g.host.name);\nrecord(\"state\", g.state);\n\
         record(\"t\", r.total_time);\n"
    ));
    assert_eq!(v["status"], "cancelled");
    assert_eq!(
        v["on"], "sv1",
        "an aborted migration leaves the guest on the source"
    );
    assert_eq!(v["state"], "running");
    let t = v["t"].as_f64().unwrap();
    assert!((60.0..60.2).contains(&t), "{t}");
}

#[test]
fn timeout_actions_finish_the_migration_their_way() {
    let hot = "g.workload(#{used: \"410M\", wss: \"256M\", dirty_rate: \"20M/s\"});\n";
    let v = values(&format!(
        "{hot}let r = g.migrate(sv2, #{{unsafe: true, timeout: 60, timeout_action: \"suspend\"}});\n\
         record(\"status\", r.status);\nrecord(\"on\", g.host.name);\nrecord(\"downtime\", r.downtime);\n"
    ));
    assert_eq!(v["status"], "completed");
    assert_eq!(v["on"], "sv2");
    assert!(v["downtime"].as_f64().unwrap() > 5000.0, "{v}");
    let v = values(&format!(
        "{hot}let r = g.migrate(sv2, #{{unsafe: true, timeout: 60, timeout_action: \"postcopy\"}});\n\
         record(\"status\", r.status);\nrecord(\"postcopy\", r.postcopy);\nrecord(\"downtime\", r.downtime);\n\
         record(\"faults\", r.postcopy_faults);\nrecord(\"intact\", r.memory_intact);\n"
    ));
    assert_eq!(v["status"], "completed");
    assert_eq!(v["postcopy"], true);
    assert_eq!(v["intact"], true);
    assert!(v["downtime"].as_f64().unwrap() < 1000.0, "{v}");
    assert!(v["faults"].as_i64().unwrap() > 0, "{v}");
}

#[test]
fn auto_converge_throttles_a_busy_guest_until_it_fits() {
    let v = values(
        "g.workload(#{used: \"410M\", wss: \"256M\", dirty_rate: \"20M/s\"});\n\
         let r = g.migrate(sv2, #{unsafe: true, auto_converge: true});\n\
         record(\"status\", r.status);\nrecord(\"throttle\", r.throttle);\n",
    );
    assert_eq!(v["status"], "completed");
    assert!(v["throttle"].as_i64().unwrap() >= 20, "{v}");
}

#[test]
fn files_survive_migrations_and_downloads_arrive_whole() {
    let v = values(
        "let iso = g.serve_file(\"/var/ftp/pub/dvd.iso\", size(\"4G\"));\n\
         let pc = client(\"pc\", #{net: lab.net1, address: \"192.168.1.100/24\", speed: \"100Mbit/s\"});\n\
         let d = pc.download(g, \"/var/ftp/pub/dvd.iso\");\n\
         sleep(100);\n\
         let t0 = clock();\n\
         let r = g.migrate(sv2, #{profile: \"qemu-kvm-0.12\", unsafe: true});\n\
         let t1 = clock();\n\
         d.wait();\n\
         record(\"same\", d.sha256 == iso && g.file_sha256(\"/var/ftp/pub/dvd.iso\") == iso);\n\
         record(\"bytes\", d.bytes);\n\
         record(\"before\", d.mean_rate(t0 - 50.0, t0));\n\
         record(\"during\", d.mean_rate(t0, t1));\n\
         record(\"on\", g.host.name);\n",
    );
    assert_eq!(v["same"], true);
    assert_eq!(v["bytes"], 4294967296_i64);
    assert_eq!(v["on"], "sv2");
    let before = v["before"].as_f64().unwrap();
    let during = v["during"].as_f64().unwrap();
    assert!((before - 11.77e6).abs() < 0.01e6, "{before}");
    let pct = during / before * 100.0;
    assert!((1.0..6.0).contains(&pct), "the rate fell to {pct} %");
}

#[test]
fn a_download_from_a_guest_that_stopped_stalls() {
    Test::new()
        .script(&lab(
            "g.serve_file(\"/iso\", size(\"1G\"));\n\
             let pc = client(\"pc\", #{net: lab.net1, address: \"192.168.1.100/24\", speed: \"100Mbit/s\"});\n\
             let d = pc.download(g, \"/iso\");\nsleep(10);\ng.shutdown();\nd.wait();\n",
        ))
        .status(2)
        .diagnostic("kvmlab::guest::transfer_stalled", 17)
        .run();
}

#[test]
fn guest_specs_are_checked_like_virt_install() {
    Test::new()
        .script(&lab(
            "let h = sv1.define_guest(#{name: \"big\", memory: \"20G\", disk: vol, network: #{bridge: \"br0\"}});",
        ))
        .status(2)
        .diagnostic("kvmlab::spec::bad_value", 12)
        .stderr("20G does not fit")
        .run();
    Test::new()
        .script(&lab(
            "let h = sv1.define_guest(#{name: \"x\", memory: \"256M\", disk: vol, network: #{bridge: \"br1\"}});",
        ))
        .status(2)
        .diagnostic("kvmlab::spec::bad_value", 12)
        .stderr("sv1 has no bridge br1")
        .run();
    Test::new()
        .script(&lab(
            "let h = sv1.define_guest(#{name: \"x\", memory: \"256M\", disk: \"/guest/x.img\", network: #{bridge: \"br0\"}});",
        ))
        .status(2)
        .diagnostic("kvmlab::spec::bad_value", 12)
        .stderr("the guest needs a volume of a storage pool")
        .run();
    Test::new()
        .script(&lab("g.workload(#{used: \"600M\"});"))
        .status(2)
        .diagnostic("kvmlab::spec::bad_value", 12)
        .run();
}

#[test]
fn the_domain_xml_is_libvirts() {
    let v = values("record(\"xml\", g.to_xml());\n");
    let xml = v["xml"].as_str().unwrap();
    assert!(xml.contains("<name>g</name>"), "{xml}");
    assert!(xml.contains("<source file='/guest/g.img'/>"), "{xml}");
    assert!(xml.contains("<memory unit='KiB'>524288</memory>"), "{xml}");
}

/// The report's lab: the guest's disk on the NAS, seen by both hosts. 9 lines.
const GUEST_ON_THE_NAS: &str = "import \"kvmlab/hosts\" as hosts;
import \"kvmlab/storage\" as storage;
let lab = hosts::build();
let nas = storage::build(lab);
lab.sv1.store_file(\"/guest/iso/c.iso\", size(\"3.9G\"));
let disk = nas.pools.sv1.create_volume(#{name: \"g.img\", capacity: \"20G\", allocation: 0});
let spec = #{name: \"g\", memory: \"512M\", iso: \"/guest/iso/c.iso\", disk: disk,
    network: #{bridge: \"br0\", address: \"192.168.1.20/24\"}};
let g = lab.sv1.define_guest(spec + CACHE);
";

#[test]
fn shared_storage_migrates_only_with_a_safe_cache_mode() {
    let script = |cache: &str, rest: &str| {
        GUEST_ON_THE_NAS.replace("CACHE", &format!("#{{cache: \"{cache}\"}}")) + rest
    };
    Test::new()
        .script(&script("writeback", "g.install();\ng.migrate(lab.sv2);\n"))
        .status(2)
        .diagnostic("kvmlab::migrate::unsafe_cache", 11)
        .stderr("directsync (cache='writeback')")
        .run();
    let out = Test::new()
        .script(&script(
            "directsync",
            "g.install();\nlet r = g.migrate(lab.sv2);\nrecord(\"status\", r.status);\nrecord(\"on\", g.host.name);\n",
        ))
        .json()
        .status(0)
        .run();
    assert_eq!(
        out.report["values"],
        json!({"status": "completed", "on": "sv2"})
    );
}

/// Inputs that once crashed, hung or misled the simulator.
#[test]
fn edge_inputs_end_with_a_diagnostic() {
    // A bridge named as a port of itself.
    Test::new()
        .script(&lab(
            "sv1.append_file(\"/etc/sysconfig/network-scripts/ifcfg-br0\", \"BRIDGE=br0\\n\");\n\
             sv1.service(\"network\").restart();\nprint(sv1.interfaces());\n",
        ))
        .status(0)
        .diagnostic("kvmlab::net::bad_ifcfg_value", 13)
        .run();
    // A century of lab time is the most a lab has.
    Test::new()
        .script(&lab("sleep(1e11);"))
        .status(2)
        .diagnostic("kvmlab::lab::bad_duration", 12)
        .run();
    // A timeout beyond the hour kvmlab waits for a migration: it still ends.
    Test::new()
        .script(&lab(
            "g.workload(#{used: \"410M\", wss: \"256M\", dirty_rate: \"20M/s\"});\n\
             g.migrate(sv2, #{unsafe: true, timeout: 1e9});\n",
        ))
        .status(2)
        .diagnostic("kvmlab::migrate::no_convergence", 13)
        .run();
    // Settings are checked before the disk is copied.
    let out = Test::new()
        .script(&lab(
            "sv2.define_pool(#{name: \"guest\", type: \"dir\", target: \"/guest\"});\nlet t = clock();\n\
             try { g.migrate(sv2, #{copy_storage: true, downtime_limit: -1}); } catch (e) { record(\"code\", e.code); }\n\
             record(\"spent\", clock() - t);\n",
        ))
        .json()
        .status(0)
        .run();
    assert_eq!(
        out.report["values"],
        json!({"code": "kvmlab::migrate::bad_parameter", "spent": 0.0})
    );
    // Two files stored one after the other are different data, whatever their paths.
    let v = values(
        "let a = sv1.store_file(\"/a.iso\", 100);\nsv1.store_file(\"/b.iso\", 100);\n\
         let a2 = sv1.store_file(\"/a.iso\", 100);\nlet c = sv1.store_file(\"/c.iso\", 100);\n\
         record(\"distinct\", a != a2 && a2 != c && a != c);\n",
    );
    assert_eq!(v["distinct"], true);
    Test::new()
        .script(&lab(
            "client(\"pc\", #{net: lab.net1, address: \"192.168.1.100/24\", speed: 0});",
        ))
        .status(2)
        .diagnostic("kvmlab::spec::bad_value", 12)
        .run();
}

#[test]
fn a_host_with_more_memory_than_x86_64_takes_is_refused_before_anything_is_allocated() {
    // 8000000T once reached the migration engine and aborted the process allocating its
    // bitmaps; now the host line is refused, with the figure and why.
    let out = Test::new()
        .script(&third_host("spec.memory = \"8000000T\";"))
        .status(2)
        .diagnostic("kvmlab::spec::bad_value", 14)
        .stderr("Linux maps at most 64 TiB (70368744177664 bytes) of physical memory")
        .stderr("at most \"64T\"")
        .run();
    assert!(!out.stderr.contains("memory allocation"), "{}", out.stderr);
    // The advice applied: a 64 TiB host is a host, and the guest migrates to it.
    Test::new()
        .script(&third_host("spec.memory = \"64T\";"))
        .status(0)
        .run();
}

#[test]
fn a_dirty_rate_no_cpu_reaches_is_refused_at_workload_not_at_migrate() {
    // Line 12: the workload, before any migration is asked for.
    Test::new()
        .script(&lab(
            "g.workload(#{used: \"410M\", wss: \"64M\", dirty_rate: \"1000000G/s\"});\ng.migrate(sv2, #{unsafe: true});",
        ))
        .status(2)
        .diagnostic("kvmlab::spec::bad_value", 12)
        .stderr("more than a CPU can dirty (at most 64 GiB/s")
        .stderr("all 512M of the guest 2000000 times a second")
        .run();
    // The advice applied: a busy guest's rate migrates.
    let v = values(
        "g.workload(#{used: \"410M\", wss: \"64M\", dirty_rate: \"2M/s\"});\nlet r = g.migrate(sv2, #{unsafe: true});\nrecord(\"status\", r.status);\n",
    );
    assert_eq!(v["status"], "completed");
}

#[test]
fn no_operation_takes_the_clock_past_its_century() {
    // A reboot that would cross the cap is refused at its line; the clock stays below it.
    let near_the_cap = "sleep(3153600000.0 - clock() - 10.0);\n";
    Test::new()
        .script(&lab(&format!("{near_the_cap}sv1.reboot();\n")))
        .status(2)
        .diagnostic("kvmlab::lab::clock_cap", 13)
        .stderr("past its cap of a century (3153600000 s)")
        .run();
    // The advice holds: later calls, `sleep(0)` among them, still work.
    let v = values(&format!(
        "{near_the_cap}expect_error(|| sv1.reboot(), \"kvmlab::lab::clock_cap\");\nlet before = clock();\nsleep(0);\nsleep(10);\nrecord(\"gap\", 3153600000.0 - before);\nrecord(\"end\", clock());\n"
    ));
    assert_eq!(v["gap"], 10.0);
    assert_eq!(v["end"], 3153600000.0);
}

#[test]
fn a_served_file_larger_than_any_size_is_refused_at_its_line() {
    // 2^64 - 1 bytes once read back as -1.
    Test::new()
        .script(&lab("g.serve_file(\"/var/ftp/pub/dvd.iso\", \"18446744073709551615\");"))
        .status(2)
        .diagnostic("kvmlab::units::size_too_large", 12)
        .stderr("`18446744073709551615` is 18446744073709551615 bytes, above the largest size, 8 EiB - 1")
        .run();
    Test::new()
        .script("let s = size(\"9223372036854775808\");")
        .status(2)
        .diagnostic("kvmlab::units::size_too_large", 1)
        .stderr("above the largest size, 8 EiB - 1 (9223372036854775807 bytes)")
        .run();
    let out = Test::new()
        .script("record(\"largest\", size(\"9223372036854775807\"));")
        .json()
        .status(0)
        .run();
    assert_eq!(out.report["values"]["largest"], i64::MAX);
}

#[test]
fn sizes_that_print_alike_but_differ_show_their_bytes() {
    // A 16T guest on a 16T host: 1 GiB is the host's own, so 16T does not fit in "16T".
    Test::new()
        .script(&lab(
            "let spec = report::server_spec();\nspec.memory = \"16T\";\nlet sv3 = host(\"sv3\", spec);\n\
             sv3.install_os(report::os_spec(\"sv3\"));\n\
             let h = sv3.define_guest(#{name: \"big\", memory: \"16T\", disk: vol, network: #{bridge: \"br0\"}});",
        ))
        .status(2)
        .diagnostic("kvmlab::spec::bad_value", 16)
        .stderr("16T (17592186044416 B) does not fit: sv3 has 16T (17591112302592 B) free for guests")
        .run();
}

/// Memory the guest never touched is found zero almost for free and sits at the top of RAM:
/// nothing of it is left for the pause. Memory it touched and zeroed is spread among its
/// data, so data pages from the end of RAM are still to go when it stops.
#[test]
fn memory_never_touched_migrates_with_a_shorter_pause_than_zeroed_memory() {
    let run = |workload: &str| {
        values(&format!(
            "g.workload(#{{{workload}}});\nlet r = g.migrate(sv2, #{{unsafe: true}});\n\
             record(\"t\", r.total_time);\nrecord(\"downtime\", r.downtime);\nrecord(\"bytes\", r.transferred);\n"
        ))
    };
    let zeroed = run("used: \"256M\"");
    let untouched = run("used: \"256M\", untouched: \"256M\"");
    assert_eq!(zeroed["bytes"], untouched["bytes"]);
    // 38 data pages' worth of the end of RAM at NET1's 11.77 MB/s, against the 4 ms stop and
    // the device state alone.
    assert_eq!(zeroed["downtime"], json!(157.059619));
    assert_eq!(untouched["downtime"], json!(8.176562));
    assert!(untouched["t"].as_f64() < zeroed["t"].as_f64());
}

#[test]
fn memory_in_use_and_never_touched_cannot_exceed_the_guests_ram() {
    Test::new()
        .script(&lab("g.workload(#{used: \"256M\", untouched: \"300M\"});"))
        .status(2)
        .diagnostic("kvmlab::spec::bad_value", 12)
        .stderr("`untouched` in workload: 256M in use and 300M never touched are more than")
        .run();
}
