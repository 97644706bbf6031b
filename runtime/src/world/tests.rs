//! The report's lab (§2.1–2.2) end to end, errata included.

use std::net::Ipv4Addr;

use super::host::hardware::{HostSpec, VirtExtension};
use super::host::os::{OsSpec, PartitionSpec};
use super::net::ip::Ipv4Cidr;
use super::net::Finding;
use super::switch::{RouterPort, SwitchSpec};
use super::*;
use crate::Severity;

const GBIT: f64 = 125_000_000.0;
const SCRIPTS: &str = "/etc/sysconfig/network-scripts";

pub(super) struct Lab {
    pub(super) world: World,
    pub(super) sv1: HostId,
    pub(super) sv2: HostId,
}

pub(super) fn switch(name: &str, cidr: &str) -> SwitchSpec {
    SwitchSpec {
        name: name.into(),
        cidr: Ipv4Cidr::parse_network(cidr).unwrap(),
        speed: GBIT,
    }
}

/// The report's ifcfg-br0, trailing comment included.
fn ifcfg_br0(n: u8) -> String {
    let other = if n == 1 { 2 } else { 1 };
    format!("DEVICE=br0\nONBOOT=yes\nBOOTPROTO=none\nIPADDR=192.168.1.1{n}        # 192.168.1.1{other} on SV{other}\nNETMASK=255.255.255.0\nGATEWAY=192.168.1.1\nTYPE=Bridge\n")
}

/// Both servers installed, cabled and configured exactly as the report prints it.
pub(super) fn report_lab() -> Lab {
    let mut world = World::new();
    let net1 = world.add_switch(switch("net1", "192.168.1.0/24")).unwrap();
    let net2 = world.add_switch(switch("net2", "10.10.0.0/16")).unwrap();
    world
        .add_router(
            "gw",
            &[RouterPort {
                switch: net1,
                address: Ipv4Cidr::parse("192.168.1.1/24").unwrap(),
            }],
        )
        .unwrap();
    let mut ids = Vec::new();
    for n in [1u8, 2] {
        let id = world
            .add_host(&format!("sv{n}"), HostSpec::report_server())
            .unwrap();
        world.host_mut(id).install_os(&OsSpec::report()).unwrap();
        world.connect(id, "eth0", net1).unwrap();
        world.connect(id, "eth1", net2).unwrap();
        let h = world.host_mut(id);
        assert!(h
            .write_file(&format!("{SCRIPTS}/ifcfg-br0"), &ifcfg_br0(n))
            .unwrap()
            .is_empty());
        assert!(h
            .append_file(&format!("{SCRIPTS}/ifcfg-eth0"), "BRIDGE=br0\n")
            .unwrap()
            .is_empty());
        let address = format!("10.10.1.1{n}");
        let written = h
            .set_vars(
                &format!("{SCRIPTS}/ifcfg-eth1"),
                &[
                    ("BOOTPROTO", "none"),
                    ("IPADDR", &address),
                    ("NETMASK", "255.255.255.0"),
                    ("GATEWAY", "192.168.1.1"),
                ],
            )
            .unwrap();
        assert!(written.is_empty(), "{written:?}");
        ids.push(id);
    }
    Lab {
        world,
        sv1: ids[0],
        sv2: ids[1],
    }
}

fn codes(findings: &[Finding]) -> Vec<(String, Option<usize>, String)> {
    findings
        .iter()
        .map(|f| (f.file.clone(), f.line, f.code()))
        .collect()
}

pub(super) fn restart_both(lab: &mut Lab) -> (Vec<Finding>, Vec<Finding>) {
    let a = lab.world.restart_network(lab.sv1).unwrap();
    let b = lab.world.restart_network(lab.sv2).unwrap();
    (a, b)
}

const REPORT_HOSTS: &str =
    "iscsi1 10.10.1.10\nsv1 192.168.1.11\nsv2 192.168.1.12\nsv10 10.10.1.11\nsv20 10.10.1.12\n";
const FIXED_HOSTS: &str =
    "10.10.1.10 iscsi1\n192.168.1.11 sv1\n192.168.1.12 sv2\n10.10.1.11 sv10\n10.10.1.12 sv20\n";

#[test]
fn the_reports_eth1_gateway_is_an_off_link_warning() {
    let mut lab = report_lab();
    let (sv1, sv2) = restart_both(&mut lab);
    let eth1 = format!("{SCRIPTS}/ifcfg-eth1");
    assert_eq!(
        codes(&sv1),
        [(
            eth1.clone(),
            Some(8),
            "kvmlab::net::gateway_off_link".to_string()
        )]
    );
    assert_eq!(codes(&sv2), codes(&sv1));
    assert_eq!(sv1[0].severity, Severity::Warning);
    assert_eq!(
        sv1[0].error.to_string(),
        format!("{eth1} line 8: GATEWAY=192.168.1.1 is not on eth1's network 10.10.1.0/24, so initscripts add no default route through eth1")
    );
    let text = lab.world.host(lab.sv1).read_file(&eth1).unwrap();
    assert_eq!(text.lines().nth(7), Some("GATEWAY=192.168.1.1"));

    // Fixed: the GATEWAY line goes, and nothing is left to warn about.
    let fixed: String = text
        .lines()
        .filter(|l| !l.starts_with("GATEWAY"))
        .map(|l| format!("{l}\n"))
        .collect();
    let h = lab.world.host_mut(lab.sv1);
    assert!(h.write_file(&eth1, &fixed).unwrap().is_empty());
    assert_eq!(lab.world.restart_network(lab.sv1).unwrap(), []);
}

#[test]
fn bridge_holds_eth0_and_the_default_route_goes_through_br0() {
    let mut lab = report_lab();
    restart_both(&mut lab);
    let h = lab.world.host(lab.sv1);
    assert_eq!(
        node::format_ip_br_addr(&h.interfaces()),
        "lo               UNKNOWN        127.0.0.1/8\neth0             UP\neth1             UP             10.10.1.11/24\nbr0              UP             192.168.1.11/24\n"
    );
    let eth0 = &h.interfaces()[1];
    assert_eq!(eth0.master.as_deref(), Some("br0"));
    assert_eq!(eth0.switches, ["net1"]);
    assert_eq!(
        h.interfaces()[3].switches,
        ["net1"],
        "the bridge reaches net1 through eth0"
    );
    assert_eq!(
        node::format_ip_route(&h.routes()),
        "default via 192.168.1.1 dev br0\n10.10.1.0/24 dev eth1 proto kernel scope link src 10.10.1.11\n192.168.1.0/24 dev br0 proto kernel scope link src 192.168.1.11\n"
    );
    let shown = h.to_string();
    assert!(shown.starts_with("host sv1: AMD Phenom II, 4 cores at 2.5 GHz (AMD-V enabled in BIOS), 16G memory\ndisk sda: Seagate 1 TB (932G, 7200 rpm)\n"), "{shown}");
    assert!(
        shown.contains("| br0       | UP      | 192.168.1.11/24"),
        "{shown}"
    );
}

#[test]
fn reversed_hosts_lines_are_caught_at_write_and_at_ping() {
    let mut lab = report_lab();
    restart_both(&mut lab);
    let findings = lab
        .world
        .host_mut(lab.sv1)
        .append_file("/etc/hosts", REPORT_HOSTS)
        .unwrap();
    let lines: Vec<Option<usize>> = findings.iter().map(|f| f.line).collect();
    assert_eq!(lines, [Some(3), Some(4), Some(5), Some(6), Some(7)]);
    assert!(findings
        .iter()
        .all(|f| f.code() == "kvmlab::net::hosts_reversed" && f.severity == Severity::Error));
    assert_eq!(
        findings[2].error.help_str().unwrap(),
        "the address comes first, then the names: `192.168.1.12 sv2`"
    );

    let ping = lab.world.ping(lab.sv1, "sv2");
    assert!(!ping.reachable);
    let failure = ping.failure.unwrap();
    assert_eq!(failure.code_str(), "kvmlab::net::unresolved");
    assert_eq!(
        failure.to_string(),
        "sv1 cannot resolve `sv2`: /etc/hosts line 5 has its fields reversed (`sv2 192.168.1.12`)"
    );
    assert_eq!(
        failure.help_str().unwrap(),
        "write the address first on line 5: `192.168.1.12 sv2`"
    );
    let unknown = lab.world.resolve(lab.sv1, "sv3").unwrap_err();
    assert_eq!(
        unknown.help_str().unwrap(),
        "add a line `ADDRESS sv3` to /etc/hosts on sv1"
    );
}

#[test]
fn sv1_reaches_sv2_and_sv20_by_name() {
    let mut lab = report_lab();
    restart_both(&mut lab);
    let hosts = format!(
        "{}{FIXED_HOSTS}",
        lab.world.host(lab.sv1).read_file("/etc/hosts").unwrap()
    );
    assert!(lab
        .world
        .host_mut(lab.sv1)
        .write_file("/etc/hosts", &hosts)
        .unwrap()
        .is_empty());

    let resolved = lab.world.resolve(lab.sv1, "SV20").unwrap();
    assert_eq!(
        (resolved.address, resolved.line),
        (Ipv4Addr::new(10, 10, 1, 12), Some(7))
    );

    // One hop each way on gigabit: 2 × (976 ns + 5 µs + 976 ns + 50 µs).
    let to_sv2 = lab.world.ping(lab.sv1, "sv2");
    assert!(to_sv2.reachable, "{to_sv2}");
    assert_eq!(to_sv2.rtt_ns, Some(113_904));
    assert_eq!(to_sv2.source_address, Some(Ipv4Addr::new(192, 168, 1, 11)));
    assert_eq!(
        to_sv2.to_string(),
        "sv1 → sv2 (192.168.1.12): reply in 0.114 ms via sv1 br0 → net1 → sv2 br0"
    );
    let to_sv20 = lab.world.ping(lab.sv1, "sv20");
    assert!(to_sv20.reachable);
    assert_eq!(to_sv20.path[0].to_string(), "sv1 eth1 → net2 → sv2 eth1");
    assert_eq!(
        to_sv20.reply_path[0].to_string(),
        "sv2 eth1 → net2 → sv1 eth1"
    );

    let gateway = lab.world.ping(lab.sv1, "192.168.1.1");
    assert!(gateway.reachable);
    assert_eq!(gateway.path[0].to, "gw");
    let local = lab.world.ping(lab.sv1, "localhost");
    assert_eq!((local.reachable, local.rtt_ns), (true, Some(20_000)));

    let outside = lab.world.ping(lab.sv1, "8.8.8.8");
    let failure = outside.failure.unwrap();
    assert_eq!(failure.code_str(), "kvmlab::net::no_reply");
    assert_eq!(
        failure.to_string(),
        "sv1 gets no reply from 8.8.8.8: gw has no route to 8.8.8.8"
    );
    assert_eq!(
        outside.path.len(),
        1,
        "the packet got as far as the gateway"
    );
}

#[test]
fn sv2_does_not_resolve_names_sv1_knows() {
    let mut lab = report_lab();
    restart_both(&mut lab);
    lab.world
        .host_mut(lab.sv1)
        .append_file("/etc/hosts", FIXED_HOSTS)
        .unwrap();
    let e = lab.world.ping(lab.sv2, "sv1").failure.unwrap();
    assert_eq!(
        e.to_string(),
        "sv2 cannot resolve `sv1`: no line of /etc/hosts names it, and the lab has no DNS server"
    );
    assert!(lab.world.ping(lab.sv2, "192.168.1.11").reachable);
}

#[test]
fn unplugged_and_unconfigured_paths_explain_themselves() {
    let mut lab = report_lab();
    restart_both(&mut lab);
    lab.world.disconnect(lab.sv1, "eth0").unwrap();
    let e = lab.world.ping(lab.sv1, "192.168.1.12").failure.unwrap();
    assert_eq!(e.code_str(), "kvmlab::net::host_unreachable");
    assert_eq!(e.to_string(), "sv1 cannot reach 192.168.1.12: on sv1, bridge br0 has no cabled port (eth0 not connected to a switch)");
    assert_eq!(
        lab.world.host(lab.sv1).routes()[2].to_string(),
        "192.168.1.0/24 dev br0 proto kernel scope link src 192.168.1.11 linkdown"
    );

    let e = lab.world.ping(lab.sv2, "192.168.1.99").failure.unwrap();
    assert_eq!(e.to_string(), "sv2 cannot reach 192.168.1.99: sv2 sends to 192.168.1.99 out of br0, but nothing on net1 answers for it");

    let bare = lab
        .world
        .add_host("bare", HostSpec::report_server())
        .unwrap();
    lab.world
        .host_mut(bare)
        .install_os(&OsSpec::report())
        .unwrap();
    let e = lab.world.ping(bare, "192.168.1.11").failure.unwrap();
    assert_eq!(e.code_str(), "kvmlab::net::network_unreachable");
    assert_eq!(e.help_str().unwrap(), "the network service has not run since the install, so /etc/sysconfig/network-scripts/ifcfg-eth0, /etc/sysconfig/network-scripts/ifcfg-eth1 are not in effect: run `service network restart` (`bare.service(\"network\").restart()`); otherwise bare has no address: configure IPADDR and NETMASK in an ifcfg file and restart the network");
    assert_eq!(
        lab.world
            .connect(bare, "eth2", SwitchId(0))
            .unwrap_err()
            .help_str()
            .unwrap(),
        "did you mean `eth0`? its cards: eth0, eth1"
    );
}

#[test]
fn the_reply_needs_a_way_back() {
    let mut lab = report_lab();
    restart_both(&mut lab);
    // sv1 believes all of 10.10.0.0/16 is on-link; sv2 only knows 10.10.1.0/24, so its reply
    // to 10.10.2.11 takes the default route to a router that knows no 10.10.x.x.
    let eth1 = format!("{SCRIPTS}/ifcfg-eth1");
    let h = lab.world.host_mut(lab.sv1);
    h.set_vars(
        &eth1,
        &[
            ("IPADDR", "10.10.2.11"),
            ("NETMASK", "255.255.0.0"),
            ("GATEWAY", ""),
        ],
    )
    .unwrap();
    assert_eq!(lab.world.restart_network(lab.sv1).unwrap(), []);
    let ping = lab.world.ping(lab.sv1, "10.10.1.12");
    assert!(!ping.reachable);
    assert_eq!(ping.path[0].to_string(), "sv1 eth1 → net2 → sv2 eth1");
    assert_eq!(ping.reply_path[0].to_string(), "sv2 br0 → net1 → gw port0");
    let e = ping.failure.unwrap();
    assert_eq!(e.code_str(), "kvmlab::net::no_reply");
    assert_eq!(
        e.to_string(),
        "sv1 gets no reply from 10.10.1.12: sv2 cannot send the reply back to 10.10.2.11: gw has no route to 10.10.2.11"
    );
}

#[test]
fn bridge_mistakes_are_named() {
    let mut lab = report_lab();
    let br0 = format!("{SCRIPTS}/ifcfg-br0");
    let h = lab.world.host_mut(lab.sv1);
    let lint = h
        .write_file(&br0, &ifcfg_br0(1).replace("TYPE=Bridge", "TYPE=bridge"))
        .unwrap();
    assert_eq!(
        codes(&lint),
        [(
            br0.clone(),
            Some(7),
            "kvmlab::net::bad_ifcfg_value".to_string()
        )]
    );
    assert_eq!(lint[0].error.help_str().unwrap(), "write TYPE=Bridge");
    let findings = lab.world.restart_network(lab.sv1).unwrap();
    assert_eq!(
        codes(&findings)[0],
        (br0.clone(), None, "kvmlab::net::no_such_device".to_string())
    );
    assert_eq!(findings[0].error.help_str().unwrap(), "write TYPE=Bridge: initscripts compare TYPE case-sensitively, so this file describes a network card");
    let rows = lab.world.host(lab.sv1).interfaces();
    assert_eq!(
        rows[3].to_string(),
        "br0              DOWN",
        "eth0 created the bridge, nothing brought it up"
    );

    let h = lab.world.host_mut(lab.sv1);
    h.write_file(&br0, &ifcfg_br0(1).replace("TYPE=Bridge\n", ""))
        .unwrap();
    let findings = lab.world.restart_network(lab.sv1).unwrap();
    assert_eq!(findings[0].error.help_str().unwrap(), format!("add TYPE=Bridge to {br0}: without it, br0 is brought up as a network card, before any port has created the bridge"));
}

#[test]
fn ifup_refusals_and_warnings_carry_file_and_line() {
    let mut lab = report_lab();
    restart_both(&mut lab);
    let eth1 = format!("{SCRIPTS}/ifcfg-eth1");
    let h = lab.world.host_mut(lab.sv2);
    // sv2 takes sv1's NET2 address.
    h.set_vars(&eth1, &[("IPADDR", "10.10.1.11"), ("GATEWAY", "")])
        .unwrap();
    let findings = lab.world.restart_network(lab.sv2).unwrap();
    assert_eq!(
        codes(&findings),
        [(
            eth1.clone(),
            Some(6),
            "kvmlab::net::duplicate_address".to_string()
        )]
    );
    assert_eq!(
        findings[0].error.to_string(),
        "10.10.1.11 on sv2 eth1 is already used by sv1 eth1, so initscripts refuse to configure it"
    );

    let h = lab.world.host_mut(lab.sv2);
    h.write_file(&eth1, "DEVICE=eth1\nHWADDR=00:11:22:33:44:55\nBOOTPROTO=none\nIPADDR=10.10.1.12\nNETMASK=255.255.255.0\n").unwrap();
    let findings = lab.world.restart_network(lab.sv2).unwrap();
    assert_eq!(
        codes(&findings),
        [(
            eth1.clone(),
            Some(2),
            "kvmlab::net::hwaddr_mismatch".to_string()
        )]
    );

    let h = lab.world.host_mut(lab.sv2);
    h.write_file(&eth1, "DEVICE=eth1\nBOOTPROTO=dhcp\n")
        .unwrap();
    let findings = lab.world.restart_network(lab.sv2).unwrap();
    assert_eq!(
        codes(&findings),
        [(
            eth1.clone(),
            Some(2),
            "kvmlab::net::no_dhcp_server".to_string()
        )]
    );

    let h = lab.world.host_mut(lab.sv2);
    h.write_file(
        &eth1,
        "DEVICE=eth1\nIPADDR=192.168.5.12\nGATEWAY=10.10.1.1\n",
    )
    .unwrap();
    let findings = lab.world.restart_network(lab.sv2).unwrap();
    let got = codes(&findings);
    assert_eq!(
        got,
        [
            (
                eth1.clone(),
                Some(2),
                "kvmlab::net::classful_netmask".to_string()
            ),
            (
                eth1.clone(),
                Some(2),
                "kvmlab::net::address_outside_segment".to_string()
            ),
            (
                eth1.clone(),
                Some(3),
                "kvmlab::net::gateway_off_link".to_string()
            ),
        ]
    );
    assert_eq!(
        lab.world.host(lab.sv2).interfaces()[2].addresses[0].to_string(),
        "192.168.5.12/24"
    );

    let h = lab.world.host_mut(lab.sv2);
    h.write_file(
        &eth1,
        "DEVICE=eth1\nIPADDR=10.10.1.12\nPREFIX=16\nGATEWAY=10.10.1.1\n",
    )
    .unwrap();
    let findings = lab.world.restart_network(lab.sv2).unwrap();
    let br0 = format!("{SCRIPTS}/ifcfg-br0");
    assert_eq!(
        codes(&findings),
        [(
            br0,
            Some(6),
            "kvmlab::net::default_route_replaced".to_string()
        )]
    );
    assert_eq!(
        lab.world.host(lab.sv2).routes()[0].to_string(),
        "default via 192.168.1.1 dev br0",
        "the bridge comes up last and wins"
    );

    let h = lab.world.host_mut(lab.sv2);
    h.set_vars("/etc/sysconfig/network", &[("NETWORKING", "no")])
        .unwrap();
    let findings = lab.world.restart_network(lab.sv2).unwrap();
    assert_eq!(
        codes(&findings),
        [(
            "/etc/sysconfig/network".to_string(),
            Some(1),
            "kvmlab::net::networking_disabled".to_string()
        )]
    );
    assert!(lab.world.host(lab.sv2).routes().is_empty());
}

#[test]
fn a_port_keeps_no_address() {
    let mut lab = report_lab();
    let eth0 = format!("{SCRIPTS}/ifcfg-eth0");
    let h = lab.world.host_mut(lab.sv1);
    h.set_vars(
        &eth0,
        &[("IPADDR", "192.168.1.21"), ("NETMASK", "255.255.255.0")],
    )
    .unwrap();
    let findings = lab.world.restart_network(lab.sv1).unwrap();
    let port: Vec<_> = codes(&findings)
        .into_iter()
        .filter(|(f, ..)| *f == eth0)
        .collect();
    assert_eq!(
        port,
        [(
            eth0.clone(),
            Some(7),
            "kvmlab::net::address_on_bridge_port".to_string()
        )]
    );
    assert!(lab.world.host(lab.sv1).interfaces()[1].addresses.is_empty());
}

#[test]
fn fresh_install_files_are_the_installers() {
    let lab = report_lab();
    let h = lab.world.host(lab.sv1);
    assert_eq!(
        h.read_file("/etc/sysconfig/network").unwrap(),
        "NETWORKING=yes\nHOSTNAME=sv1\n"
    );
    let mac = h.net().nic("eth1").unwrap().mac;
    assert_eq!(
        h.read_file(&format!("{SCRIPTS}/ifcfg-eth1")).unwrap(),
        format!("DEVICE=\"eth1\"\nBOOTPROTO=none\nHWADDR=\"{}\"\nNM_CONTROLLED=\"yes\"\nONBOOT=\"yes\"\nIPADDR=10.10.1.11\nNETMASK=255.255.255.0\nGATEWAY=192.168.1.1\n", mac.to_upper())
    );
    assert!(h
        .read_file("/etc/hosts")
        .unwrap()
        .starts_with("127.0.0.1   localhost localhost.localdomain"));
    assert_eq!(
        h.os().unwrap().partitions[2].size,
        1_000_000_000_000 - (1 << 20) - (116u64 << 30)
    );
    assert!(h
        .files()
        .contains(&"/etc/sysconfig/network-scripts/ifcfg-lo"));
    for path in h.files() {
        let text = h.read_file(path).unwrap();
        assert!(host::os::fresh_directories(&[])
            .iter()
            .any(|d| path.starts_with(d.as_str())));
        let mut copy = h.clone();
        assert_eq!(copy.write_file(path, text).unwrap(), [], "{path} is clean");
    }
}

#[test]
fn a_missing_network_file_stops_the_service() {
    let mut lab = report_lab();
    restart_both(&mut lab);
    let h = lab.world.host_mut(lab.sv2);
    h.remove_file("/etc/sysconfig/network").unwrap();
    assert_eq!(
        h.remove_file("/etc/sysconfig/network")
            .unwrap_err()
            .code_str(),
        "kvmlab::host::no_such_file"
    );
    let findings = lab.world.restart_network(lab.sv2).unwrap();
    assert_eq!(
        codes(&findings),
        [(
            "/etc/sysconfig/network".to_string(),
            None,
            "kvmlab::net::no_network_config".to_string()
        )]
    );
    assert!(lab
        .world
        .host(lab.sv2)
        .interfaces()
        .iter()
        .all(|r| r.state == "DOWN"));

    let h = lab.world.host_mut(lab.sv2);
    h.install_os(&OsSpec::report()).unwrap();
    assert!(
        h.interfaces().iter().all(|r| r.state == "DOWN"),
        "a reinstall leaves the network down"
    );
    let mut os = OsSpec::report();
    os.distro = "Debian 12".into();
    assert_eq!(
        h.install_os(&os).unwrap_err().code_str(),
        "kvmlab::host::unsupported_distro"
    );
    let mut os = OsSpec::report();
    os.arch = "ppc64".into();
    assert_eq!(
        h.install_os(&os).unwrap_err().to_string(),
        "`ppc64` is not an architecture of Scientific Linux 6.1"
    );
}

#[test]
fn kvm_needs_extension_bios_and_group() {
    let mut world = World::new();
    let mut spec = HostSpec::report_server();
    let id = world.add_host("sv1", spec.clone()).unwrap();
    let h = world.host_mut(id);
    assert_eq!(h.kvm_check().unwrap_err().code_str(), "kvmlab::host::no_os");
    let mut os = OsSpec::report();
    os.package_groups = vec!["Desktop".into()];
    h.install_os(&os).unwrap();
    assert_eq!(
        h.kvm_check().unwrap_err().code_str(),
        "kvmlab::host::virtualization_not_installed"
    );
    h.install_group("virtualization").unwrap();
    assert!(h.kvm_usable());
    h.set_bios_virt(false);
    let e = h.kvm_check().unwrap_err();
    assert_eq!(e.code_str(), "kvmlab::host::virt_disabled_in_bios");
    assert_eq!(e.help_str().unwrap(), "enter the BIOS setup, enable AMD-V (often labelled \"SVM Mode\" or \"Secure Virtual Machine\"), save and boot again");
    assert!(h.to_string().contains("AMD-V disabled in BIOS"));

    spec.cpu.virt = None;
    let old = world.add_host("old", spec.clone()).unwrap();
    assert_eq!(
        world.host(old).kvm_check().unwrap_err().code_str(),
        "kvmlab::host::no_virt_extension"
    );
    spec.cpu.virt = Some(VirtExtension::VtX);
    spec.bios_virt_enabled = false;
    let intel = world.add_host("intel", spec).unwrap();
    assert!(world
        .host(intel)
        .kvm_check()
        .unwrap_err()
        .to_string()
        .contains("VT-x is disabled in the BIOS"));

    let mut i686 = OsSpec::report();
    i686.arch = "i686".into();
    assert_eq!(
        world
            .host_mut(intel)
            .install_os(&i686)
            .unwrap_err()
            .code_str(),
        "kvmlab::host::virt_needs_x86_64"
    );
    i686.package_groups = vec!["Desktop".into(), "Virtualisation".into()];
    let e = world.host_mut(intel).install_os(&i686).unwrap_err();
    assert_eq!(e.code_str(), "kvmlab::host::unknown_package_group");
    assert!(e
        .help_str()
        .unwrap()
        .starts_with("did you mean `Virtualization`?"));
}

#[test]
fn partitions_must_fit_the_disk() {
    let mut world = World::new();
    let id = world.add_host("sv1", HostSpec::report_server()).unwrap();
    let h = world.host_mut(id);
    let mut os = OsSpec::report();
    os.partitions[0].size = Some(1000 << 30);
    let e = h.install_os(&os).unwrap_err();
    assert_eq!(e.code_str(), "kvmlab::host::partitions_do_not_fit");
    assert_eq!(
        e.to_string(),
        "the partitions do not fit on sv1's disk sda: they need 1016G, the disk holds 932G"
    );
    assert_eq!(
        e.help_str().unwrap(),
        "shrink the partitions by 85G (the partition table keeps 1 MiB)"
    );

    os.partitions[0].size = Some(1_000_000_000_000 - (1 << 20) - (16 << 30));
    let e = h.install_os(&os).unwrap_err();
    assert_eq!(
        e.help_str().unwrap(),
        "nothing is left for /guest: shrink the other partitions"
    );

    let mut os = OsSpec::report();
    os.partitions.push(PartitionSpec {
        mount: "/var".into(),
        size: None,
        disk: None,
    });
    assert_eq!(
        h.install_os(&os).unwrap_err().to_string(),
        "partition `/var`: /guest and /var both take the rest of sda"
    );
    let mut os = OsSpec::report();
    os.partitions.remove(0);
    assert_eq!(
        h.install_os(&os).unwrap_err().code_str(),
        "kvmlab::host::bad_partition"
    );
    let mut os = OsSpec::report();
    os.partitions[2].disk = Some("sdb".into());
    assert_eq!(
        h.install_os(&os).unwrap_err().help_str().unwrap(),
        "did you mean `sda`? this host's disks: sda"
    );
    assert!(
        h.os().is_none(),
        "a failed install leaves the host as it was"
    );
    assert_eq!(
        h.read_file("/etc/hosts").unwrap_err().code_str(),
        "kvmlab::host::no_os"
    );
}

#[test]
fn names_are_unique_and_specs_checked() {
    let mut world = World::new();
    world.add_switch(switch("net1", "192.168.1.0/24")).unwrap();
    assert_eq!(
        world
            .add_host("net1", HostSpec::report_server())
            .unwrap_err()
            .code_str(),
        "kvmlab::net::duplicate_name"
    );
    let mut spec = HostSpec::report_server();
    spec.cpu.cores = 0;
    assert_eq!(
        world.add_host("sv1", spec).unwrap_err().code_str(),
        "kvmlab::spec::bad_value"
    );
    let mut bad = switch("net2", "10.10.0.0/16");
    bad.cidr = Ipv4Cidr::parse("10.10.1.0/16").unwrap();
    assert_eq!(
        world.add_switch(bad).unwrap_err().to_string(),
        "`10.10.1.0/16` has host bits set: a network is written with its network address"
    );
    assert_eq!(world.switch_id("net1"), Some(SwitchId(0)));
    assert_eq!(world.nodes(), []);
}

#[test]
fn cards_are_not_bridges_and_gatewaydev_routes_without_a_gateway() {
    let mut lab = report_lab();
    let eth1 = format!("{SCRIPTS}/ifcfg-eth1");
    let h = lab.world.host_mut(lab.sv1);
    h.write_file(&eth1, "DEVICE=eth1\nTYPE=Bridge\n").unwrap();
    h.set_vars(&format!("{SCRIPTS}/ifcfg-eth0"), &[("BRIDGE", "eth1")])
        .unwrap();
    let findings = lab.world.restart_network(lab.sv1).unwrap();
    let got: Vec<(String, Option<usize>, String)> = findings
        .iter()
        .map(|f| (f.file.clone(), f.line, f.error.to_string()))
        .collect();
    assert_eq!(
        got,
        [
            (format!("{SCRIPTS}/ifcfg-eth0"), Some(6), format!("{SCRIPTS}/ifcfg-eth0 line 6: BRIDGE=eth1 is not valid: eth1 is not a bridge")),
            (eth1.clone(), Some(2), format!("{eth1} line 2: TYPE=Bridge is not valid: eth1 is a network card, so no bridge of that name can be created")),
        ]
    );

    let h = lab.world.host_mut(lab.sv1);
    h.write_file(&eth1, "DEVICE=eth1\nIPADDR=10.10.1.11\nPREFIX=24\n")
        .unwrap();
    h.write_file(
        &format!("{SCRIPTS}/ifcfg-br0"),
        &ifcfg_br0(1).replace("GATEWAY=192.168.1.1\n", ""),
    )
    .unwrap();
    h.set_vars(&format!("{SCRIPTS}/ifcfg-eth0"), &[("BRIDGE", "br0")])
        .unwrap();
    h.set_vars("/etc/sysconfig/network", &[("GATEWAYDEV", "eth1")])
        .unwrap();
    assert_eq!(lab.world.restart_network(lab.sv1).unwrap(), []);
    assert_eq!(
        lab.world.host(lab.sv1).routes()[0].to_string(),
        "default dev eth1 scope link"
    );
}

#[test]
fn ifup_applies_one_file_as_the_restart_does_and_ifdown_drops_its_routes() {
    let mut lab = report_lab();
    restart_both(&mut lab);
    let eth1 = format!("{SCRIPTS}/ifcfg-eth1");
    // The same off-link GATEWAY warning the restart gave, from this one file.
    assert_eq!(
        codes(&lab.world.ifup(lab.sv1, "eth1").unwrap()),
        [(
            eth1.clone(),
            Some(8),
            "kvmlab::net::gateway_off_link".to_string()
        )]
    );
    let on_eth1 = |world: &World| {
        world
            .host(lab.sv1)
            .routes()
            .iter()
            .filter(|r| r.route.dev == "eth1")
            .count()
    };
    assert_eq!(on_eth1(&lab.world), 1);
    lab.world.ifdown(lab.sv1, "eth1").unwrap();
    assert_eq!(on_eth1(&lab.world), 0);
    assert!(!lab.world.ping(lab.sv1, "10.10.1.12").reachable);
    assert!(
        lab.world.ping(lab.sv1, "192.168.1.12").reachable,
        "br0 is untouched"
    );

    // A changed file brought up by ifup counts as applied; the others stay as they were.
    let fixed =
        "DEVICE=eth1\nONBOOT=yes\nBOOTPROTO=none\nIPADDR=10.10.1.31\nNETMASK=255.255.255.0\n";
    lab.world.write_host_file(lab.sv1, &eth1, fixed).unwrap();
    assert_eq!(lab.world.host(lab.sv1).unapplied_network_files().0, [eth1]);
    assert_eq!(lab.world.ifup(lab.sv1, "eth1").unwrap(), []);
    assert!(lab
        .world
        .host(lab.sv1)
        .unapplied_network_files()
        .0
        .is_empty());
    assert!(lab.world.ping(lab.sv1, "10.10.1.12").reachable);
    assert_eq!(
        lab.world.ifup(lab.sv1, "eth7").unwrap_err().code_str(),
        "kvmlab::net::no_ifcfg"
    );
}
