//! What the real lab refuses, kvmlab refuses: an unmount under a running guest, virsh without
//! libvirtd, iscsiadm before its package, a router whose ports do not fit their networks.
//! And each diagnostic says what is true: a slow transfer is not a stalled one, a closure
//! calling itself is not a data race, the migration advice reads the migration's own
//! options, and a config file's findings are raised at the line that writes it. Every help
//! that is an action is applied in a second run, and the lab then works.

use crate::harness::{Output, Test};
use serde_json::json;

/// The report's hosts, the iSCSI LUN mounted on /iscsi1 on both, and the guest web1 running
/// from an image in sv1's `iscsi1` pool. 9 lines: a test's own lines start at line 10.
const ON_ISCSI: &str = "import \"kvmlab/hosts\" as hosts;
import \"kvmlab/storage\" as storage;
let lab = hosts::build();
let st = storage::build(lab);
let sv1 = lab.sv1; let sv2 = lab.sv2;
sv1.store_file(\"/guest/iso/c.iso\", size(\"3.9G\"));
let vol = st.pools.sv1.create_volume(#{name: \"web1.img\", capacity: \"20G\", allocation: 0});
let g = sv1.define_guest(#{name: \"web1\", memory: \"512M\", iso: \"/guest/iso/c.iso\", disk: vol, network: #{bridge: \"br0\", address: \"192.168.1.20/24\"}});
g.install();
";

/// The report's hosts and a guest on sv1's local /guest, installed and running, serving
/// files to a client on NET1. 10 lines.
const SERVING: &str = "import \"kvmlab/hosts\" as hosts;
let lab = hosts::build();
let sv1 = lab.sv1; let sv2 = lab.sv2;
sv1.store_file(\"/guest/iso/c.iso\", size(\"3.9G\"));
let local = sv1.define_pool(#{name: \"guest\", type: \"dir\", target: \"/guest\"});
let vol = local.create_volume(#{name: \"g.img\", capacity: \"20G\", allocation: 0});
let g = sv1.define_guest(#{name: \"g\", memory: \"512M\", iso: \"/guest/iso/c.iso\",
    disk: vol, network: #{bridge: \"br0\", address: \"192.168.1.20/24\"}, cache: \"none\"});
g.install();
let c = client(\"c\", #{net: lab.net1, address: \"192.168.1.50/24\"});
";

/// The message and help of the first diagnostic with `code`.
fn said(out: &Output, code: &str) -> (String, String) {
    let d = out.report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {}", out.report));
    (
        d["message"].as_str().unwrap_or_default().to_string(),
        d["help"].as_str().unwrap_or_default().to_string(),
    )
}

/// The lines of the diagnostics with `code`, in report order.
fn lines_of(out: &Output, code: &str) -> Vec<u64> {
    out.report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["code"] == code)
        .filter_map(|d| d["line"].as_u64())
        .collect()
}

#[test]
fn umount_under_a_running_guest_is_busy_and_names_it() {
    let out = Test::new()
        .script(&format!("{ON_ISCSI}sv1.umount(\"/iscsi1\");\n"))
        .status(2)
        .diagnostic("kvmlab::storage::target_busy", 10)
        .run();
    let (message, help) = said(&out, "kvmlab::storage::target_busy");
    assert_eq!(message, "sv1: umount: /iscsi1: device is busy.");
    assert_eq!(
        help,
        "web1 runs from /iscsi1/web1.img on it and qemu holds the file open: shut it down (`shutdown()`) or migrate it to a host that keeps /iscsi1 mounted, then unmount"
    );
    // A paused guest holds its image open too.
    Test::new()
        .script(&format!(
            "{ON_ISCSI}g.suspend();\nsv1.umount(\"/iscsi1\");\n"
        ))
        .status(2)
        .diagnostic("kvmlab::storage::target_busy", 11)
        .run();
    // Either advice applied: the unmount goes through, and the guest is where it was put.
    for (advice, on, state) in [
        ("g.shutdown();", "sv1", "shut off"),
        ("g.migrate(sv2);", "sv2", "running"),
    ] {
        let out = Test::new()
            .script(&format!(
                "{ON_ISCSI}{advice}\nsv1.umount(\"/iscsi1\");\n\
                 record(\"fs\", sv1.df(\"/iscsi1\")[0].filesystem);\n\
                 record(\"guest\", [g.host.name, g.state]);\n"
            ))
            .json()
            .status(0)
            .run();
        assert_eq!(
            out.report["values"],
            json!({"fs": "/dev/sda1", "guest": [on, state]}),
            "{advice}"
        );
    }
}

#[test]
fn virsh_needs_libvirtd_running() {
    let stop = "sv1.service(\"libvirtd\").stop();\n";
    for (line, call) in [
        ("g.shutdown();", "the guest's state change"),
        (
            "sv1.define_guest(#{name: \"g2\", memory: \"512M\", disk: vol, network: #{bridge: \"br0\"}});",
            "a definition",
        ),
        ("g.migrate(sv2);", "a migration from this host"),
    ] {
        let out = Test::new()
            .script(&format!("{ON_ISCSI}{stop}{line}\n"))
            .status(2)
            .diagnostic("kvmlab::host::service_not_running", 11)
            .run();
        let (message, help) = said(&out, "kvmlab::host::service_not_running");
        assert_eq!(
            message,
            "sv1: virsh cannot connect to the hypervisor: the libvirtd service is not running",
            "{call}"
        );
        assert!(help.starts_with("start it: `service libvirtd start`"), "{help}");
    }
    // The guest kept running meanwhile; started again, libvirtd takes commands.
    let out = Test::new()
        .script(&format!(
            "{ON_ISCSI}{stop}record(\"while\", g.state);\n\
             sv1.service(\"libvirtd\").start();\ng.shutdown();\ng.start();\n\
             record(\"after\", g.state);\n"
        ))
        .json()
        .status(0)
        .run();
    assert_eq!(
        out.report["values"],
        json!({"while": "running", "after": "running"})
    );
}

#[test]
fn iscsi_discovery_needs_the_initiator_package() {
    // sv3 installed without the Virtualization group, which brings iscsi-initiator-utils.
    let script = |rest: &str| {
        format!(
            "import \"kvmlab/hosts\" as hosts;\nimport \"kvmlab/report\" as report;\n\
             let lab = hosts::build();\n\
             let box = nas(\"nas2\", report::nas_spec());\nbox.nic(\"eth0\").connect(lab.net2);\n\
             box.ip(\"eth0\", \"10.10.1.10/16\");\nbox.iscsi_target(\"iqn.2011-06.com.thecus:lab\", \"10G\");\n\
             let sv3 = host(\"sv3\", report::server_spec());\nlet os = report::os_spec(\"sv3\");\n\
             os.groups = [\"Desktop\"];\nsv3.install_os(os);\nsv3.nic(\"eth1\").connect(lab.net2);\n\
             sv3.write_file(\"/etc/sysconfig/network-scripts/ifcfg-eth1\", report::ifcfg_eth1_corrected(\"10.10.1.13\"));\n\
             sv3.service(\"network\").restart();\n{rest}"
        )
    };
    let out = Test::new()
        .script(&script("sv3.iscsi_discover(\"10.10.1.10\");\n"))
        .status(2)
        .diagnostic("kvmlab::host::command_not_found", 15)
        .run();
    let (message, help) = said(&out, "kvmlab::host::command_not_found");
    assert_eq!(message, "sv3: bash: iscsiadm: command not found");
    assert_eq!(
        help,
        "iscsiadm comes with the package iscsi-initiator-utils: `yum install iscsi-initiator-utils`"
    );
    let out = Test::new()
        .script(&script(
            "sv3.yum_install(\"iscsi-initiator-utils\");\n\
             record(\"found\", sv3.iscsi_discover(\"10.10.1.10\"));\n",
        ))
        .json()
        .status(0)
        .run();
    // The first iscsiadm call starts iscsid, as on the real host.
    assert_eq!(
        out.report["values"]["found"],
        json!([
            "Starting iscsid:                                           [  OK  ]",
            "10.10.1.10:3260,1 iqn.2011-06.com.thecus:lab"
        ])
    );
}

#[test]
fn a_router_port_must_fit_its_network_and_have_it_alone() {
    let nets = "let n1 = switch(\"NET1\", \"192.168.1.0/24\", #{speed: \"100Mbit/s\"});\n\
                let n2 = switch(\"NET2\", \"10.10.0.0/16\", #{speed: \"1Gbit/s\"});\n";
    let run = |ports: &str| {
        Test::new()
            .script(&format!("{nets}let r = router(\"gw\", [{ports}]);\n"))
            .status(2)
    };
    let out =
        run("#{net: n1, address: \"192.168.1.1/24\"}, #{net: n1, address: \"192.168.1.2/24\"}")
            .diagnostic("kvmlab::net::router_ports_overlap", 3)
            .run();
    assert_eq!(
        said(&out, "kvmlab::net::router_ports_overlap"),
        (
            "router gw: port0 and port1 are both on NET1 (192.168.1.0/24): a router has one port per network".into(),
            "both ports are cabled to NET1: keep one port there and cable port1 to another network's switch".into()
        )
    );
    for (address, help) in [
        (
            "10.0.0.1/24",
            "give port0 an address from 192.168.1.1 to 192.168.1.254 with /24, or cable it to the switch of 10.0.0.0/24",
        ),
        (
            "192.168.1.1/16",
            "write its address with NET1's prefix: 192.168.1.1/24",
        ),
        (
            "192.168.1.255/24",
            "192.168.1.255 is the broadcast address of 192.168.1.0/24: give port0 an address from 192.168.1.1 to 192.168.1.254 with /24",
        ),
    ] {
        let out = run(&format!("#{{net: n1, address: \"{address}\"}}"))
            .diagnostic("kvmlab::net::router_port_off_network", 3)
            .run();
        assert_eq!(
            said(&out, "kvmlab::net::router_port_off_network"),
            (
                format!("router gw: port0 has address {address}, which does not fit NET1 (192.168.1.0/24), where it is cabled"),
                help.to_string()
            )
        );
    }
    // The advice applied: one port per network, each inside its network.
    let out = Test::new()
        .script(&format!(
            "{nets}let r = router(\"gw\", [#{{net: n1, address: \"192.168.1.1/24\"}}, #{{net: n2, address: \"10.10.0.1/16\"}}]);\n\
             let c = client(\"c\", #{{net: n1, address: \"192.168.1.50/24\"}});\n\
             record(\"router\", r.to_string());\n"
        ))
        .json()
        .status(0)
        .run();
    assert_eq!(out.report["values"]["router"], "router gw");
}

#[test]
fn a_client_refuses_its_networks_own_addresses() {
    let net = "let n1 = switch(\"NET1\", \"192.168.1.0/24\", #{speed: \"100Mbit/s\"});\n";
    for (address, role) in [
        ("192.168.1.255/24", "broadcast"),
        ("192.168.1.0/24", "network"),
    ] {
        let out = Test::new()
            .script(&format!(
                "{net}let c = client(\"c\", #{{net: n1, address: \"{address}\"}});\n"
            ))
            .status(2)
            .diagnostic("kvmlab::spec::bad_value", 2)
            .run();
        let (message, help) = said(&out, "kvmlab::spec::bad_value");
        assert!(
            message.ends_with(&format!("is the {role} address of 192.168.1.0/24")),
            "{message}"
        );
        assert_eq!(help, "give an address from 192.168.1.1 to 192.168.1.254");
    }
    Test::new()
        .script(&format!(
            "{net}let c = client(\"c\", #{{net: n1, address: \"192.168.1.254/24\"}});\n"
        ))
        .status(0)
        .run();
}

#[test]
fn a_slow_transfer_is_told_from_a_stalled_one() {
    // 10 TiB over NET1's 100 Mbit/s: it moves, but needs more than the 7 days `wait` gives.
    let serve =
        "g.serve_file(\"/big.iso\", size(\"10T\"));\nlet t = c.download(g, \"/big.iso\");\n";
    let out = Test::new()
        .script(&format!("{SERVING}{serve}t.wait();\n"))
        .status(2)
        .diagnostic("kvmlab::guest::transfer_too_slow", 13)
        .run();
    let (message, help) = said(&out, "kvmlab::guest::transfer_too_slow");
    assert_eq!(
        message,
        "the transfer of /big.iso is slow, not stalled: 6.5T of 10T after 7 days, at 94.15 Mbit/s; the rest needs 3.8 days more"
    );
    assert!(
        help.starts_with("`wait()` waits at most 7 days of lab time: serve a smaller file"),
        "{help}"
    );
    assert!(
        out.report["diagnostics"].as_array().unwrap().len() == 1,
        "{}",
        out.report
    );
    // Nothing carries a shut-off guest's data: that one is stalled.
    let out = Test::new()
        .script(&format!("{SERVING}{serve}g.shutdown();\nt.wait();\n"))
        .status(2)
        .diagnostic("kvmlab::guest::transfer_stalled", 14)
        .run();
    assert_eq!(
        said(&out, "kvmlab::guest::transfer_stalled").0,
        "the transfer of /big.iso stalled: nothing carries its data"
    );
    // The advice applied: a file the link carries within the wait.
    let out = Test::new()
        .script(&format!(
            "{SERVING}g.serve_file(\"/f.iso\", size(\"4G\"));\nlet t = c.download(g, \"/f.iso\");\n\
             t.wait();\nrecord(\"done\", t.done);\n"
        ))
        .json()
        .status(0)
        .run();
    assert_eq!(out.report["values"]["done"], true);
}

#[test]
fn a_reinstall_under_a_serving_guest_leaves_a_consistent_lab() {
    // The guest stops and libvirt forgets it with the reinstall; the download from it stops, lab time still
    // passes (the host's bridge is gone with its network files), and waiting says why.
    let out = Test::new()
        .script(&format!(
            "{SERVING}import \"kvmlab/report\" as report;\n\
             g.serve_file(\"/f.iso\", size(\"1G\"));\nlet t = c.download(g, \"/f.iso\");\nsleep(1);\n\
             sv1.install_os(report::os_spec(\"sv1\"));\nlet before = t.bytes;\nsleep(60);\n\
             record(\"state\", g.state);\nrecord(\"moved\", t.bytes - before);\nt.wait();\n"
        ))
        .status(2)
        .diagnostic("kvmlab::storage::reinstall_erased", 15)
        .diagnostic("kvmlab::guest::transfer_stalled", 20)
        .run();
    assert_eq!(
        out.report["values"],
        json!({"state": "undefined", "moved": 0})
    );
}

#[test]
fn no_convergence_advises_from_the_options_the_migration_had() {
    let hot = "g.workload(#{used: \"410M\", wss: \"256M\", dirty_rate: \"2G/s\"});\n";
    let migrate = |options: &str| {
        format!("{SERVING}{hot}let r = g.migrate(sv2, #{{unsafe: true, {options}}});\nrecord(\"status\", r.status);\n")
    };
    let out = Test::new()
        .script(&migrate("bandwidth: \"2M/s\""))
        .status(2)
        .diagnostic("kvmlab::migrate::no_convergence", 12)
        .run();
    assert_eq!(
        said(&out, "kvmlab::migrate::no_convergence").1,
        "the guest dirties memory faster than it is sent: throttle the guest with `#{auto_converge: true}`, \
         allow a longer final pause with `downtime_limit` (now 300 ms, e.g. `#{downtime_limit: 1200}`), \
         raise `bandwidth` (now 2 MiB/s, e.g. `#{bandwidth: \"unlimited\"}`), \
         or switch to post-copy with `#{postcopy_after: 10}`, which always completes; \
         to end it in time instead, give it a `timeout` and a `timeout_action` (\"abort\", \"suspend\" or \"postcopy\")"
    );
    // Auto-converge on already: it is not advised again, and no virsh flag is named.
    let out = Test::new()
        .script(&migrate("bandwidth: \"2M/s\", auto_converge: true"))
        .status(2)
        .diagnostic("kvmlab::migrate::no_convergence", 12)
        .run();
    let help = said(&out, "kvmlab::migrate::no_convergence").1;
    assert!(
        help.starts_with("auto-converge is on and the throttled guest still dirties memory faster than it is sent: allow a longer final pause"),
        "{help}"
    );
    assert!(!help.contains("auto_converge: true"), "{help}");
    assert!(!help.contains("--"), "{help}");
    // The advice applied: post-copy completes, with the guest's memory intact.
    let out = Test::new()
        .script(&format!(
            "{}record(\"intact\", r.memory_intact);\nrecord(\"on\", g.host.name);\n",
            migrate("bandwidth: \"2M/s\", auto_converge: true, postcopy_after: 10")
        ))
        .json()
        .status(0)
        .run();
    assert_eq!(
        out.report["values"],
        json!({"status": "completed", "intact": true, "on": "sv2"})
    );
}

#[test]
fn a_closure_calling_itself_is_told_how_not_a_data_race() {
    let out = Test::new()
        .script("let fact = 0;\nfact = |n| if n <= 1 { 1 } else { n * fact.call(n - 1) };\nprint(fact.call(5));\n")
        .status(2)
        .diagnostic("kvmlab::script::value_in_use", 3)
        .run();
    assert_eq!(
        said(&out, "kvmlab::script::value_in_use"),
        (
            "the closure in `fact` calls itself with `fact.call(..)`, but `fact` is locked by the call that is running".into(),
            "write `call(fact, ..)` instead: it calls the closure without locking `fact`, and a recursion that never ends then stops at the call-depth limit (48 nested calls)".into()
        )
    );
    assert!(!out.stderr.contains("Data race"), "{}", out.stderr);
    // The advice applied: the closure recurses; one without a base case meets the limit.
    let out = Test::new()
        .script("let fact = 0;\nfact = |n| if n <= 1 { 1 } else { n * call(fact, n - 1) };\nrecord(\"f\", call(fact, 5));\n")
        .json()
        .status(0)
        .run();
    assert_eq!(out.report["values"]["f"], 120);
    Test::new()
        .script("let f = 0;\nf = || call(f);\ncall(f);\n")
        .status(2)
        .diagnostic("kvmlab::sandbox::call_depth", 3)
        .run();
    // A closure changing the array its method walks is the other case of the same lock
    // (Rhai gives this one no position, so it has no line).
    let out = Test::new()
        .script("let a = [1, 2];\na.for_each(|x| a.push(x));\n")
        .json()
        .status(2)
        .run();
    assert!(
        said(&out, "kvmlab::script::value_in_use")
            .1
            .starts_with("a method locks the value it runs on until it returns"),
        "{}",
        out.stderr
    );
}

#[test]
fn ifcfg_findings_are_raised_at_the_line_that_writes_the_file() {
    let script = "import \"kvmlab/hosts\" as hosts;\nlet lab = hosts::build();\nlet sv1 = lab.sv1;\n\
         let p = \"/etc/sysconfig/network-scripts/\";\n\
         sv1.write_file(p + \"ifcfg-eth1\", \"DEVICE=eth1\\nONBOOT=yes\\nBOOTPROTO=none\\nIPADDR=10.10.300.1\\nNETMASK=255.255.255.0\\n\");\n\
         sv1.service(\"network\").restart();\n\
         sv1.write_file(\"/etc/sysconfig/network\", \"NETWORKING=yes\\nHOSTNAME=sv1\\nGATEWAY=192.168.1.x\\n\");\n\
         sv1.service(\"network\").restart();\n";
    let out = Test::new()
        .script(script)
        .status(0)
        .diagnostic("kvmlab::net::bad_ifcfg_value", 5)
        .diagnostic("kvmlab::net::bad_ifcfg_value", 7)
        .run();
    // Once each, at the writes; the restarts do not repeat them.
    assert_eq!(lines_of(&out, "kvmlab::net::bad_ifcfg_value"), [5, 7]);
    let (message, help) = said(&out, "kvmlab::net::bad_ifcfg_value");
    assert_eq!(
        message,
        "/etc/sysconfig/network-scripts/ifcfg-eth1 line 4: IPADDR=10.10.300.1 is not valid: not an IPv4 address, so the interface gets no address from it"
    );
    assert_eq!(help, "write a dotted quad such as 192.168.1.11");
    // The advice applied: eth1 gets its address at the restart.
    let out = Test::new()
        .script(&format!(
            "{}record(\"eth1\", sv1.interfaces().find(\"name\", \"eth1\").addresses);\n",
            script
                .replace("10.10.300.1", "10.10.1.11")
                .replace("192.168.1.x", "192.168.1.1")
        ))
        .json()
        .status(0)
        .run();
    assert_eq!(
        out.report["diagnostics"].as_array().map(Vec::len),
        Some(0),
        "{}",
        out.report
    );
    assert_eq!(out.report["values"]["eth1"], json!(["10.10.1.11/24"]));
}
