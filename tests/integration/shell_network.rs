//! The prompt's network and file commands: `ip`, `ifconfig` and `brctl show` in RHEL 6's
//! formats, `ifup` and `ifdown` changing what carries traffic, `cp` and `rm` on the host's
//! files through the same writes and refusals as the script methods, and `reboot`.

use crate::harness::Test;
use serde_json::{json, Value};

const LAB: &str =
    "import \"kvmlab/hosts\" as hosts;\nlet lab = hosts::build();\nlet sv1 = lab.sv1;\n";

/// The lab's shared storage and a guest whose disk is `/iscsi1/g1.img`, beside a spare
/// volume `/iscsi1/spare.img` no guest uses.
const GUEST: &str = "import \"kvmlab/storage\" as storage;\n\
    let st = storage::build(lab);\n\
    let disk = st.pools.sv1.create_volume(#{name: \"g1.img\", capacity: \"1G\", format: \"raw\", allocation: 0});\n\
    st.pools.sv1.create_volume(#{name: \"spare.img\", capacity: \"1G\", format: \"raw\", allocation: 0});\n\
    sv1.store_file(\"/root/boot.iso\", size(\"1G\"));\n\
    sv1.define_guest(#{name: \"g1\", memory: \"512M\", vcpus: 1, os_variant: \"rhel5.4\", arch: \"i686\", virt_type: \"kvm\", iso: \"/root/boot.iso\", disk: disk, cache: \"none\", network: #{bridge: \"br0\", address: \"192.168.1.20/24\"}});\n";

/// Runs each line on sv1 after `setup` and returns [status, stdout, stderr, code] of each.
fn on_sv1(setup: &str, lines: &[&str]) -> Vec<Value> {
    let mut script = format!("{LAB}{setup}");
    for (i, line) in lines.iter().enumerate() {
        let quoted = serde_json::to_string(line).unwrap();
        script.push_str(&format!(
            "let r = sv1.sh({quoted});\nrecord(\"r{i}\", [r.status, r.stdout, r.stderr, r.code]);\n"
        ));
    }
    let out = Test::new().script(&script).json().status(0).run();
    (0..lines.len())
        .map(|i| out.report["values"][format!("r{i}")].clone())
        .collect()
}

const ETH0: &str = "02:bb:a2:8b:a8:90";
const ETH1: &str = "02:f3:bb:2a:8e:83";

#[test]
fn ip_addr_and_ip_link_print_iproute_2_6_32s_lines() {
    let r = on_sv1(
        "",
        &[
            "ip addr",
            "ip a show dev br0",
            "ip link show eth1",
            "ip addr show eth9",
        ],
    );
    assert_eq!(
        r[0],
        json!([0, format!(
            "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 16436 qdisc noqueue state UNKNOWN \n\
             \x20   link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n\
             \x20   inet 127.0.0.1/8 scope host lo\n\
             2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast master br0 state UP qlen 1000\n\
             \x20   link/ether {ETH0} brd ff:ff:ff:ff:ff:ff\n\
             3: eth1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast state UP qlen 1000\n\
             \x20   link/ether {ETH1} brd ff:ff:ff:ff:ff:ff\n\
             \x20   inet 10.10.1.11/24 brd 10.10.1.255 scope global eth1\n\
             4: br0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UNKNOWN \n\
             \x20   link/ether {ETH0} brd ff:ff:ff:ff:ff:ff\n\
             \x20   inet 192.168.1.11/24 brd 192.168.1.255 scope global br0\n"
        ), "", null])
    );
    assert_eq!(
        r[1][1],
        format!(
            "4: br0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UNKNOWN \n\
             \x20   link/ether {ETH0} brd ff:ff:ff:ff:ff:ff\n\
             \x20   inet 192.168.1.11/24 brd 192.168.1.255 scope global br0\n"
        )
    );
    assert_eq!(
        r[2][1],
        format!(
            "3: eth1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast state UP qlen 1000\n\
             \x20   link/ether {ETH1} brd ff:ff:ff:ff:ff:ff\n"
        )
    );
    assert_eq!(
        r[3],
        json!([1, "", "Device \"eth9\" does not exist.\n", null])
    );
}

#[test]
fn ip_route_lists_the_default_route_last_with_fields_two_spaces_apart() {
    let r = on_sv1("", &["ip route", "ip r", "ip route show"]);
    let table = "10.10.1.0/24 dev eth1  proto kernel  scope link  src 10.10.1.11 \n\
                 192.168.1.0/24 dev br0  proto kernel  scope link  src 192.168.1.11 \n\
                 default via 192.168.1.1 dev br0 \n";
    for result in &r {
        assert_eq!(*result, json!([0, table, "", null]));
    }
}

#[test]
fn route_and_netstat_print_net_tools_tables_named_from_etc_hosts_unless_numeric() {
    let r = on_sv1(
        "sv1.sh(\"echo '192.168.1.1 gateway' >> /etc/hosts\");\n",
        &[
            "route -n",
            "route",
            "netstat -rn",
            "route -e",
            "route del default",
            "netstat -s",
        ],
    );
    assert_eq!(
        r[0],
        json!([
            0,
            "Kernel IP routing table\n\
Destination     Gateway         Genmask         Flags Metric Ref    Use Iface\n\
10.10.1.0       0.0.0.0         255.255.255.0   U     0      0        0 eth1\n\
192.168.1.0     0.0.0.0         255.255.255.0   U     0      0        0 br0\n\
0.0.0.0         192.168.1.1     0.0.0.0         UG    0      0        0 br0\n",
            "",
            null
        ])
    );
    assert_eq!(
        r[1][1],
        "Kernel IP routing table\n\
Destination     Gateway         Genmask         Flags Metric Ref    Use Iface\n\
10.10.1.0       *               255.255.255.0   U     0      0        0 eth1\n\
192.168.1.0     *               255.255.255.0   U     0      0        0 br0\n\
default         gateway         0.0.0.0         UG    0      0        0 br0\n"
    );
    let tcp_columns = "Kernel IP routing table\n\
Destination     Gateway         Genmask         Flags   MSS Window  irtt Iface\n\
10.10.1.0       0.0.0.0         255.255.255.0   U         0 0          0 eth1\n\
192.168.1.0     0.0.0.0         255.255.255.0   U         0 0          0 br0\n\
0.0.0.0         192.168.1.1     0.0.0.0         UG        0 0          0 br0\n";
    assert_eq!(r[2][1], tcp_columns);
    assert_eq!(
        r[3][1],
        "Kernel IP routing table\n\
Destination     Gateway         Genmask         Flags   MSS Window  irtt Iface\n\
10.10.1.0       *               255.255.255.0   U         0 0          0 eth1\n\
192.168.1.0     *               255.255.255.0   U         0 0          0 br0\n\
default         gateway         0.0.0.0         UG        0 0          0 br0\n"
    );
    assert_eq!(
        r[4],
        json!([1, "", "kvmlab: `route del default` is not run here: the prompt runs `route`, `route -n` and `route -e`, to show\n", "kvmlab::shell::unsupported"])
    );
    assert_eq!(
        r[5],
        json!([
            1,
            "",
            "netstat: invalid option -- 's'\nTry `netstat --help' for more information.\n",
            "kvmlab::shell::unknown_option"
        ])
    );
}

#[test]
fn what_ip_does_not_run_here_names_what_it_does_and_the_ifcfg_way() {
    let script = format!(
        "{LAB}for line in [\"ip addr add 10.10.1.99/24 dev eth1\", \"ip link set eth1 down\", \"ip route add default via 10.10.1.1\"] {{\n\
         let r = sv1.sh(line);\n\
         record(line, [r.status, r.stderr, r.code, r.help]);\n\
         }}\n\
         let bare = sv1.sh(\"ip\");\nrecord(\"bare\", [bare.status, bare.stderr]);\n\
         let odd = sv1.sh(\"ip frobnicate\");\nrecord(\"odd\", [odd.status, odd.stderr]);\n"
    );
    let out = Test::new().script(&script).json().status(0).run();
    let values = &out.report["values"];
    let addr = &values["ip addr add 10.10.1.99/24 dev eth1"];
    assert_eq!(
        addr,
        &json!([
            1,
            "kvmlab: `ip addr add 10.10.1.99/24 dev eth1` is not run here: the prompt runs `ip addr [show [dev] IFACE]`, `ip link [show [dev] IFACE]` and `ip route [show]`\n",
            "kvmlab::shell::unsupported",
            "change an interface through its file, /etc/sysconfig/network-scripts/ifcfg-IFACE, then `ifup IFACE` (or `service network restart`), as the report does; `ip` here only shows"
        ])
    );
    for line in [
        "ip link set eth1 down",
        "ip route add default via 10.10.1.1",
    ] {
        assert_eq!(values[line][0], 1, "{line}");
        assert_eq!(values[line][2], "kvmlab::shell::unsupported", "{line}");
    }
    assert_eq!(values["bare"][0], 255);
    assert!(
        values["bare"][1]
            .as_str()
            .unwrap()
            .starts_with("Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n"),
        "{}",
        values["bare"]
    );
    assert_eq!(
        values["odd"],
        json!([255, "Object \"frobnicate\" is unknown, try \"ip help\".\n"])
    );
}

/// ifconfig's counters: the model keeps none, so every one is zero.
const ZERO_COUNTERS: &str = "          RX packets:0 errors:0 dropped:0 overruns:0 frame:0\n\
    \x20         TX packets:0 errors:0 dropped:0 overruns:0 carrier:0\n";

#[test]
fn ifconfig_lists_the_up_interfaces_by_name_with_zero_counters() {
    let r = on_sv1(
        "",
        &[
            "ifconfig",
            "ifconfig eth1",
            "ifconfig eth9",
            "ifconfig eth1 10.10.1.99",
        ],
    );
    let counters = |txqueuelen: u32| {
        format!("{ZERO_COUNTERS}          collisions:0 txqueuelen:{txqueuelen} \n          RX bytes:0 (0.0 b)  TX bytes:0 (0.0 b)\n\n")
    };
    let eth1 = format!(
        "eth1      Link encap:Ethernet  HWaddr {}  \n\
         \x20         inet addr:10.10.1.11  Bcast:10.10.1.255  Mask:255.255.255.0\n\
         \x20         UP BROADCAST RUNNING MULTICAST  MTU:1500  Metric:1\n{}",
        ETH1.to_uppercase(),
        counters(1000)
    );
    let all = format!(
        "br0       Link encap:Ethernet  HWaddr {eth0}  \n\
         \x20         inet addr:192.168.1.11  Bcast:192.168.1.255  Mask:255.255.255.0\n\
         \x20         UP BROADCAST RUNNING MULTICAST  MTU:1500  Metric:1\n{bridge}\
         eth0      Link encap:Ethernet  HWaddr {eth0}  \n\
         \x20         UP BROADCAST RUNNING MULTICAST  MTU:1500  Metric:1\n{card}\
         {eth1}\
         lo        Link encap:Local Loopback  \n\
         \x20         inet addr:127.0.0.1  Mask:255.0.0.0\n\
         \x20         UP LOOPBACK RUNNING  MTU:16436  Metric:1\n{bridge}",
        eth0 = ETH0.to_uppercase(),
        bridge = counters(0),
        card = counters(1000),
    );
    assert_eq!(r[0], json!([0, all, "", null]));
    assert_eq!(r[1], json!([0, eth1, "", null]));
    assert_eq!(
        r[2],
        json!([
            1,
            "",
            "eth9: error fetching interface information: Device not found\n",
            null
        ])
    );
    assert_eq!(r[3][0], 1);
    assert_eq!(r[3][3], "kvmlab::shell::unsupported");
}

#[test]
fn brctl_show_names_the_bridge_by_its_ports_mac() {
    let r = on_sv1("", &["brctl show", "brctl addbr br1"]);
    assert_eq!(
        r[0],
        json!([
            0,
            format!(
                "bridge name\tbridge id\t\tSTP enabled\tinterfaces\nbr0\t\t8000.{}\tno\t\teth0\n",
                ETH0.replace(':', "")
            ),
            "",
            null
        ])
    );
    assert_eq!(r[1][0], 1);
    assert_eq!(r[1][3], "kvmlab::shell::unsupported");
}

#[test]
fn ifdown_stops_the_cards_traffic_and_ifup_brings_it_back() {
    let r = on_sv1(
        "",
        &[
            "ping -c 1 sv20",
            "ifdown eth1",
            "ping -c 1 sv20",
            "ip route",
            "ip link show eth1",
            "ifconfig eth1 | head -4",
            "ifconfig | grep -c Link",
            "ifup eth1",
            "ping -c 1 sv20",
            "ip route | head -1",
        ],
    );
    assert_eq!(r[0][0], 0, "sv20 answers before: {}", r[0]);
    assert_eq!(r[1], json!([0, "", "", null]), "ifdown is silent");
    // Without eth1's route the echo leaves by the default gateway, which has no route to
    // NET2: nothing answers, as on the real network.
    assert_eq!(
        r[2],
        json!([
            1,
            "PING sv20 (10.10.1.12) 56(84) bytes of data.\n\n--- sv20 ping statistics ---\n1 packets transmitted, 0 received, 100% packet loss, time 0ms\n",
            "",
            "kvmlab::net::no_reply"
        ])
    );
    assert_eq!(
        r[3][1],
        "192.168.1.0/24 dev br0  proto kernel  scope link  src 192.168.1.11 \ndefault via 192.168.1.1 dev br0 \n"
    );
    assert_eq!(
        r[4][1],
        format!("3: eth1: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN qlen 1000\n    link/ether {ETH1} brd ff:ff:ff:ff:ff:ff\n")
    );
    assert_eq!(
        r[5][1],
        format!(
            "eth1      Link encap:Ethernet  HWaddr {}  \n          BROADCAST MULTICAST  MTU:1500  Metric:1\n{ZERO_COUNTERS}",
            ETH1.to_uppercase()
        )
    );
    assert_eq!(r[6][1], "3\n", "ifconfig leaves out the down eth1");
    assert_eq!(r[7], json!([0, "", "", null]), "ifup is silent");
    assert_eq!(
        r[8],
        json!([
            0,
            "PING sv20 (10.10.1.12) 56(84) bytes of data.\n64 bytes from sv20 (10.10.1.12): icmp_seq=1 ttl=64 time=0.114 ms\n\n--- sv20 ping statistics ---\n1 packets transmitted, 1 received, 0% packet loss, time 0ms\nrtt min/avg/max/mdev = 0.114/0.114/0.114/0.000 ms\n",
            "",
            null
        ])
    );
    assert_eq!(
        r[9][1],
        "10.10.1.0/24 dev eth1  proto kernel  scope link  src 10.10.1.11 \n"
    );
}

#[test]
fn with_the_bridge_down_too_no_route_is_left_and_ping_says_so() {
    let r = on_sv1(
        "",
        &[
            "ifdown eth1 && ifdown br0",
            "ping -c 1 sv20",
            "ip route",
            "brctl show | tail -1",
            "ifup br0 && ping -c 1 sv2 | tail -2 | head -1",
        ],
    );
    assert_eq!(r[0][0], 0);
    assert_eq!(
        r[1],
        json!([
            2,
            "",
            "connect: Network is unreachable\n",
            "kvmlab::net::network_unreachable"
        ])
    );
    assert_eq!(r[2], json!([0, "", "", null]));
    assert_eq!(
        r[3][1],
        format!("br0\t\t8000.{}\tno\t\teth0\n", ETH0.replace(':', "")),
        "the port stays in the bridge"
    );
    assert_eq!(
        r[4][1],
        "1 packets transmitted, 1 received, 0% packet loss, time 0ms\n"
    );
}

#[test]
fn ifup_and_ifdown_answer_as_initscripts_for_a_missing_file_or_card() {
    let r = on_sv1(
        "",
        &[
            "ifup eth9",
            "ifdown eth9",
            "ifup",
            "echo -e 'DEVICE=eth2\\nONBOOT=yes\\nBOOTPROTO=none\\nIPADDR=10.10.1.99\\nNETMASK=255.255.255.0' > /etc/sysconfig/network-scripts/ifcfg-eth2",
            "ifup eth2",
        ],
    );
    assert_eq!(
        r[0],
        json!([
            1,
            "",
            "/sbin/ifup: configuration for eth9 not found.\nUsage: ifup <device name>\n",
            "kvmlab::net::no_ifcfg"
        ])
    );
    assert_eq!(
        r[1],
        json!([
            1,
            "",
            "usage: ifdown <device name>\n",
            "kvmlab::net::no_ifcfg"
        ])
    );
    assert_eq!(r[2], json!([1, "", "Usage: ifup <device name>\n", null]));
    assert_eq!(r[4][0], 1);
    assert_eq!(
        r[4][2],
        "Device eth2 does not seem to be present, delaying initialization.\n"
    );
}

#[test]
fn a_missing_card_met_by_ifup_is_the_restarts_warning() {
    let script = format!(
        "{LAB}sv1.write_file(\"/etc/sysconfig/network-scripts/ifcfg-eth2\", \"DEVICE=eth2\\nONBOOT=no\\n\");\n\
         sv1.sh(\"ifup eth2\");\n"
    );
    Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::net::no_such_device", 5)
        .run();
}

#[test]
fn ifup_eth1_after_the_file_changed_applies_only_that_file() {
    let r = on_sv1(
        "",
        &[
            "echo 'DEVICE=eth1\nONBOOT=yes\nBOOTPROTO=none\nIPADDR=10.10.1.31\nNETMASK=255.255.255.0' > /etc/sysconfig/network-scripts/ifcfg-eth1",
            "ifup eth1 && ip addr show eth1 | tail -1",
            "ip addr show br0 | tail -1",
        ],
    );
    assert_eq!(
        r[1][1],
        "    inet 10.10.1.31/24 brd 10.10.1.255 scope global eth1\n"
    );
    assert_eq!(
        r[2][1],
        "    inet 192.168.1.11/24 brd 192.168.1.255 scope global br0\n"
    );
}

#[test]
fn cp_writes_a_config_file_as_cat_does_so_its_mistakes_are_caught_at_the_cp() {
    // The netmask's last byte is a letter O: a mistake at the write, either way.
    let file =
        "DEVICE=eth1\\nONBOOT=yes\\nBOOTPROTO=none\\nIPADDR=10.10.1.11\\nNETMASK=255.255.255.O";
    let script = format!(
        "{LAB}sv1.sh(\"echo -e '{file}' > /root/ifcfg-eth1\");\n\
         sv1.sh(\"cp /root/ifcfg-eth1 /etc/sysconfig/network-scripts/\");\n\
         sv1.sh(\"echo -e '{file}' > /etc/sysconfig/network-scripts/ifcfg-eth1\");\n\
         sv1.sh(\"echo 'sv9 192.168.1.19' > /root/hosts && cp -f /root/hosts /etc/hosts\");\n\
         let same = sv1.sh(\"cp /etc/hosts /etc/hosts\");\n\
         record(\"same\", [same.status, same.stderr]);\n"
    );
    let out = Test::new()
        .script(&script)
        .json()
        .status(0)
        .diagnostic("kvmlab::net::bad_ifcfg_value", 5)
        .diagnostic("kvmlab::net::bad_ifcfg_value", 6)
        .diagnostic("kvmlab::net::hosts_reversed", 7)
        .run();
    let at_line = |line: u64| {
        out.report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["line"] == line)
            .map(|d| d["code"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        at_line(4),
        Vec::<String>::new(),
        "a file in /root is no config"
    );
    assert_eq!(at_line(5), at_line(6), "cp and echo > find the same");
    assert_eq!(
        out.report["values"]["same"],
        json!([1, "cp: `/etc/hosts' and `/etc/hosts' are the same file\n"])
    );
}

#[test]
fn cp_answers_in_coreutils_8_4s_words() {
    let r = on_sv1(
        "",
        &[
            "cp",
            "cp /etc/hosts",
            "cp /nope /root",
            "cp /etc/hosts /nodir/hosts",
            "cp /etc /root",
            "cp /etc/hosts /etc/sysconfig/network /root/notadir",
            "cp -v /etc/hosts /etc/sysconfig/network /root/ && ls /root",
            "cp -z a b",
            "cp -r /etc /root",
        ],
    );
    assert_eq!(
        r[0],
        json!([
            1,
            "",
            "cp: missing file operand\nTry `cp --help' for more information.\n",
            null
        ])
    );
    assert_eq!(
        r[1][2],
        "cp: missing destination file operand after `/etc/hosts'\nTry `cp --help' for more information.\n"
    );
    assert_eq!(
        r[2],
        json!([
            1,
            "",
            "cp: cannot stat `/nope': No such file or directory\n",
            "kvmlab::host::no_such_file"
        ])
    );
    assert_eq!(
        r[3][2],
        "cp: cannot create regular file `/nodir/hosts': No such file or directory\n"
    );
    assert_eq!(
        r[4],
        json!([1, "", "cp: omitting directory `/etc'\n", null])
    );
    assert_eq!(r[5][2], "cp: target `/root/notadir' is not a directory\n");
    assert_eq!(
        r[6],
        json!([
            0,
            "`/etc/hosts' -> `/root/hosts'\n`/etc/sysconfig/network' -> `/root/network'\nhosts\nnetwork\n",
            "",
            null
        ])
    );
    assert_eq!(
        r[7][2],
        "cp: invalid option -- 'z'\nTry `cp --help' for more information.\n"
    );
    assert_eq!(r[8][0], 1);
    assert_eq!(r[8][3], "kvmlab::shell::unsupported", "cp -r copies trees");
}

#[test]
fn rm_removes_files_and_trees_and_answers_in_coreutils_8_4s_words() {
    let r = on_sv1(
        "",
        &[
            "rm /root/nothing",
            "rm -f /root/nothing",
            "rm",
            "mkdir -p /srv/a/b && echo x > /srv/a/b/f && rm /srv",
            "rm -rv /srv && ls /srv",
            "echo x > /root/f && rm /root/f && cat /root/f",
            "rm -r /",
            "rm -i /root/x",
            "rm -x /root/x",
        ],
    );
    assert_eq!(
        r[0],
        json!([
            1,
            "",
            "rm: cannot remove `/root/nothing': No such file or directory\n",
            "kvmlab::host::no_such_file"
        ])
    );
    assert_eq!(r[1], json!([0, "", "", null]));
    assert_eq!(
        r[2][2],
        "rm: missing operand\nTry `rm --help' for more information.\n"
    );
    assert_eq!(
        r[3],
        json!([
            1,
            "",
            "rm: cannot remove `/srv': Is a directory\n",
            "kvmlab::host::is_a_directory"
        ])
    );
    assert_eq!(
        r[4],
        json!([
            2,
            "removed directory: `/srv'\n",
            "ls: cannot access /srv: No such file or directory\n",
            null
        ])
    );
    assert_eq!(r[5][2], "cat: /root/f: No such file or directory\n");
    assert_eq!(
        r[6][2],
        "rm: it is dangerous to operate recursively on `/'\nrm: use --no-preserve-root to override this failsafe\n"
    );
    assert_eq!(r[7][0], 1);
    assert_eq!(r[7][3], "kvmlab::shell::unsupported", "rm -i would ask");
    assert_eq!(
        r[8][2],
        "rm: invalid option -- 'x'\nTry `rm --help' for more information.\n"
    );
}

#[test]
fn rm_refuses_a_mount_point_and_a_guests_disk_but_removes_a_spare_image() {
    let r = on_sv1(
        GUEST,
        &[
            "rm /iscsi1",
            "rm -r /iscsi1",
            "rm /iscsi1/g1.img",
            "rm /iscsi1/spare.img && ls /iscsi1",
            "cp /iscsi1/g1.img /root",
        ],
    );
    assert_eq!(r[0][2], "rm: cannot remove `/iscsi1': Is a directory\n");
    assert_eq!(
        r[1],
        json!([
            1,
            "",
            "rm: cannot remove `/iscsi1': Device or resource busy\n",
            "kvmlab::host::cannot_remove"
        ])
    );
    assert_eq!(
        r[2],
        json!([
            1,
            "",
            "rm: cannot remove `/iscsi1/g1.img': it is the disk of guest g1 on sv1\n",
            "kvmlab::host::cannot_remove"
        ])
    );
    assert_eq!(r[3], json!([0, "g1.img\nlost+found\n", "", null]));
    assert_eq!(r[4][0], 1);
    assert_eq!(r[4][3], "kvmlab::shell::unsupported");
}

#[test]
fn a_spare_image_removed_at_sv1s_prompt_is_gone_from_sv2s_pool_too() {
    let script = format!(
        "{LAB}{GUEST}sv1.sh(\"rm /iscsi1/spare.img\");\n\
         record(\"names\", st.pools.sv2.volumes().map(|v| v.name));\n"
    );
    let out = Test::new().script(&script).json().status(0).run();
    assert_eq!(out.report["values"]["names"], json!(["g1.img"]));
}

#[test]
fn reboot_broadcasts_and_boots_as_the_method_does() {
    let script = format!(
        "{LAB}let t = lab().clock;\n\
         let r = sv1.sh(\"reboot\");\n\
         record(\"r\", [r.status, r.stdout, r.stderr]);\n\
         record(\"boots\", lab().host(\"sv1\").boots);\n\
         record(\"took\", lab().clock - t);\n\
         let after = sv1.sh(\"ping -c 1 sv20\");\n\
         record(\"after\", after.status);\n\
         let extra = sv1.sh(\"reboot now\");\n\
         record(\"extra\", extra.status);\n"
    );
    let out = Test::new().script(&script).json().status(0).run();
    let values = &out.report["values"];
    assert_eq!(
        values["r"],
        json!([
            0,
            "\nBroadcast message from root@sv1\n\t(/dev/pts/0) at 0:00 ...\n\nThe system is going down for reboot NOW!\n",
            ""
        ])
    );
    assert_eq!(values["boots"], 1);
    assert_eq!(values["took"], 60.0);
    assert_eq!(values["after"], 0, "the network came back at boot");
    assert_eq!(values["extra"], 1);
}

#[test]
fn a_reboot_at_the_prompt_warns_of_what_the_boot_found_as_the_method_does() {
    // An fstab line for the iSCSI disk without _netdev: the boot cannot mount it.
    let script = format!(
        "{LAB}import \"kvmlab/storage\" as storage;\n\
         let st = storage::build(lab);\n\
         let fstab = sv1.read_file(\"/etc/fstab\");\n\
         fstab.replace(\"_netdev\", \"defaults\");\n\
         sv1.write_file(\"/etc/fstab\", fstab);\n\
         sv1.sh(\"reboot\");\n"
    );
    Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::storage::netdev_missing", 9)
        .run();
}

#[test]
fn rm_r_of_a_pools_directory_takes_its_images_unless_a_guest_boots_from_one() {
    let setup = "sv1.sh(\"mkdir -p /guest/images /guest/spare\");\n\
        let images = sv1.define_pool(#{name: \"images\", type: \"dir\", target: \"/guest/images\"});\n\
        let spare = sv1.define_pool(#{name: \"spare\", type: \"dir\", target: \"/guest/spare\"});\n\
        let disk = images.create_volume(#{name: \"used.img\", capacity: \"1G\", format: \"raw\", allocation: 0});\n\
        images.create_volume(#{name: \"free.img\", capacity: \"1G\", format: \"raw\", allocation: 0});\n\
        spare.create_volume(#{name: \"old.img\", capacity: \"1G\", format: \"raw\", allocation: 0});\n\
        sv1.store_file(\"/root/boot.iso\", size(\"1G\"));\n\
        sv1.define_guest(#{name: \"g1\", memory: \"512M\", vcpus: 1, os_variant: \"rhel5.4\", arch: \"i686\", virt_type: \"kvm\", iso: \"/root/boot.iso\", disk: disk, cache: \"none\", network: #{bridge: \"br0\", address: \"192.168.1.20/24\"}});\n";
    let r = on_sv1(
        setup,
        &[
            "rm -r /guest",
            "rm -r /guest/images",
            "ls /guest/images",
            "rm -r /guest/spare && ls /guest",
        ],
    );
    assert_eq!(
        r[0][2], "rm: cannot remove `/guest': Device or resource busy\n",
        "/guest is the report's partition"
    );
    assert_eq!(
        r[1],
        json!([
            1,
            "",
            "rm: cannot remove `/guest/images/used.img': it is the disk of guest g1 on sv1\n",
            "kvmlab::host::cannot_remove"
        ])
    );
    assert_eq!(r[2][1], "free.img\nused.img\n", "a refusal removes nothing");
    assert_eq!(r[3], json!([0, "images\nlost+found\n", "", null]));
}
