//! Hosts and networks from scripts (report §2.1–2.2): each mistake is a diagnostic with its
//! code and the script line it came from.

use crate::harness::Test;
use serde_json::json;

const TWO_HOSTS: &str = "import \"kvmlab/report\" as report;\n\
    let net1 = switch(\"NET1\", \"192.168.1.0/24\", #{speed: \"100Mbit/s\"});\n\
    let net2 = switch(\"NET2\", \"10.10.0.0/16\", #{speed: \"1Gbit/s\"});\n\
    let sv1 = host(\"sv1\", report::server_spec());\n\
    sv1.install_os(report::os_spec(\"sv1\"));\n\
    sv1.nic(\"eth0\").connect(net1);\n\
    sv1.nic(\"eth1\").connect(net2);\n";

/// The 7 lines of TWO_HOSTS come first; `rest` starts on line 8.
fn lab(rest: &str) -> String {
    format!("{TWO_HOSTS}{rest}")
}

#[test]
fn host_specs_name_the_wrong_key() {
    Test::new()
        .script("let h = host(\"sv1\", #{cpu: \"x\", coers: 4});")
        .status(2)
        .diagnostic("kvmlab::spec::unknown_key", 1)
        .stderr("help: did you mean `cores`?")
        .run();
    Test::new()
        .script("\nlet h = host(\"sv1\", #{cpu: \"x\", cores: \"four\", ghz: 2.5, memory: \"1G\", disks: [], nics: []});")
        .status(2)
        .diagnostic("kvmlab::spec::wrong_type", 2)
        .stderr("`cores` in host spec must be an integer, found string \"four\"")
        .run();
    Test::new()
        .script("let h = host(\"sv1\", #{cpu: \"x\", cores: 4, ghz: 2.5, disks: [], nics: []});")
        .status(2)
        .diagnostic("kvmlab::spec::missing_key", 1)
        .stderr("missing key `memory` in host spec")
        .run();
    Test::new()
        .script(&lab("let again = host(\"sv1\", report::server_spec());"))
        .status(2)
        .diagnostic("kvmlab::net::duplicate_name", 8)
        .run();
}

#[test]
fn kvm_needs_the_extension_the_bios_and_the_group() {
    Test::new()
        .script(&lab("sv1.set_bios_virt(false);\nsv1.check_kvm();"))
        .status(2)
        .diagnostic("kvmlab::host::virt_disabled_in_bios", 9)
        .run();
    Test::new()
        .script("import \"kvmlab/report\" as report;\nlet spec = report::server_spec();\nspec.virt = \"none\";\n\
                 let h = host(\"old\", spec);\nh.install_os(report::os_spec(\"old\"));\nh.check_kvm();")
        .status(2)
        .diagnostic("kvmlab::host::no_virt_extension", 6)
        .run();
    Test::new()
        .script("import \"kvmlab/report\" as report;\nlet h = host(\"a\", report::server_spec());\n\
                 h.install_os(#{distro: \"Scientific Linux 6.1\", partitions: [#{mount: \"/\", size: \"2TB\"}]});")
        .status(2)
        .diagnostic("kvmlab::host::partitions_do_not_fit", 3)
        .run();
}

#[test]
fn reversed_hosts_lines_warn_at_the_writing_line() {
    let out = Test::new()
        .script(&lab(
            "sv1.append_file(\"/etc/hosts\", report::hosts_as_printed());\n\
             let p = sv1.ping(\"sv2\");\nrecord(\"reachable\", p.reachable);\nrecord(\"code\", p.code);\n",
        ))
        .json()
        .status(0)
        .run();
    let warnings: Vec<_> = out.report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap(),
                d["line"].as_u64().unwrap(),
                d["severity"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        warnings,
        vec![("kvmlab::net::hosts_reversed", 8, "warning"); 5]
    );
    let first = &out.report["diagnostics"][0];
    assert_eq!(
        first["message"],
        "/etc/hosts line 3: `iscsi1 10.10.1.10` has its fields reversed, so glibc ignores the line"
    );
    assert_eq!(
        first["help"],
        "the address comes first, then the names: `10.10.1.10 iscsi1`"
    );
    assert_eq!(
        out.report["values"],
        json!({"reachable": false, "code": "kvmlab::net::unresolved"})
    );
    assert!(out.stderr.contains("lab.rhai:8:5"), "{}", out.stderr);
}

#[test]
fn the_off_link_gateway_warns_at_the_restart() {
    Test::new()
        .script(&lab(
            "sv1.set_vars(\"/etc/sysconfig/network-scripts/ifcfg-eth1\", report::eth1_as_printed(\"10.10.1.11\"));\n\
             sv1.service(\"network\").restart();\n",
        ))
        .status(0)
        .diagnostic("kvmlab::net::gateway_off_link", 9)
        .stderr("help: delete the GATEWAY line from /etc/sysconfig/network-scripts/ifcfg-eth1")
        .run();
}

#[test]
fn resolve_fails_with_the_reason() {
    Test::new()
        .script(&lab("let a = sv1.resolve(\"nas\");"))
        .status(2)
        .diagnostic("kvmlab::net::unresolved", 8)
        .run();
}

#[test]
fn typos_get_suggestions() {
    Test::new()
        .script(&lab("sv1.nic(\"eht0\");"))
        .status(2)
        .diagnostic("kvmlab::net::unknown_nic", 8)
        .stderr("help: did you mean `eth0`?")
        .run();
    Test::new()
        .script(&lab("print(sv1.nmae);"))
        .status(2)
        .diagnostic("kvmlab::script::unknown_property", 8)
        .stderr("help: did you mean `name`?")
        .run();
    Test::new()
        .script(&lab("sv1.service(\"netwrok\").restart();"))
        .status(2)
        .diagnostic("kvmlab::host::unknown_service", 8)
        .run();
}

#[test]
fn the_stdlib_builds_the_report_lab_in_one_call() {
    let out = Test::new()
        .script(
            "import \"kvmlab/hosts\" as hosts;\nlet lab = hosts::build();\n\
             record(\"sv2\", lab.sv1.resolve(\"sv2\"));\n\
             record(\"net1\", lab.sv1.ping(\"sv2\").reachable);\n\
             record(\"net2\", lab.sv2.ping(\"sv10\").reachable);\n\
             record(\"routes\", lab.sv1.routes().text);\n",
        )
        .json()
        .status(0)
        .run();
    assert_eq!(out.report["values"]["sv2"], "192.168.1.12");
    assert_eq!(out.report["values"]["net1"], true);
    assert_eq!(out.report["values"]["net2"], true);
    assert_eq!(
        out.report["values"]["routes"],
        "default via 192.168.1.1 dev br0\n10.10.1.0/24 dev eth1 proto kernel scope link src 10.10.1.11\n192.168.1.0/24 dev br0 proto kernel scope link src 192.168.1.11\n"
    );
    assert_eq!(out.report["diagnostics"], json!([]));
}
