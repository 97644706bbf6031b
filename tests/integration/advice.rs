//! Help lines are right for the machine as it is: they name the device, file or line that is
//! wrong on this host, never an action that damages it (formatting the system disk, deleting
//! a correct GATEWAY line). Each advice that is an action is applied in a second run, and the
//! lab then works.

use crate::harness::{Output, Test};
use serde_json::json;

/// The report's hosts and NAS, sv1 logged in to the LUN (`dev` is /dev/sdb here).
const LOGGED_IN: &str = "import \"kvmlab/hosts\" as hosts;\n\
    import \"kvmlab/report\" as report;\n\
    let lab = hosts::build();\n\
    let sv1 = lab.sv1;\n\
    let iqn = report::iqn();\n\
    let n = nas(\"iscsi1\", report::nas_spec());\n\
    n.nic(\"eth0\").connect(lab.net2);\n\
    n.ip(\"eth0\", report::nas_address());\n\
    n.iscsi_target(iqn, \"50%\");\n\
    sv1.iscsi_discover(\"10.10.1.10\");\n\
    let dev = sv1.iscsi_login(iqn);\n\
    sv1.mkdir(\"/iscsi1\");\n";

/// One server cabled to NET1 (eth0) and NET2 (eth1), its network not configured yet.
const BARE: &str = "import \"kvmlab/report\" as report;\n\
    let net1 = switch(\"NET1\", \"192.168.1.0/24\", #{speed: \"100Mbit/s\"});\n\
    let net2 = switch(\"NET2\", \"10.10.0.0/16\", #{speed: \"1Gbit/s\"});\n\
    let gateway = router(\"gateway\", [#{net: net1, address: \"192.168.1.1/24\"}]);\n\
    let h = host(\"sv1\", report::server_spec());\n\
    h.install_os(report::os_spec(\"sv1\"));\n\
    h.nic(\"eth0\").connect(net1);\n\
    h.nic(\"eth1\").connect(net2);\n\
    let scripts = \"/etc/sysconfig/network-scripts/\";\n";

/// ifcfg-br0 with this NETMASK.
fn br0(netmask: &str) -> String {
    format!(
        "h.write_file(scripts + \"ifcfg-br0\", \"DEVICE=br0\\nONBOOT=yes\\nBOOTPROTO=none\\nIPADDR=192.168.1.11\\nNETMASK={netmask}\\nGATEWAY=192.168.1.1\\nTYPE=Bridge\\n\");\n"
    )
}

/// `prelude` then `rest`, and the line number of `rest`'s line `n` (1-based).
fn lab(prelude: &str, rest: &str) -> (String, usize) {
    (format!("{prelude}{rest}"), prelude.lines().count())
}

/// The help of the first diagnostic with `code` in a JSON report.
fn help(out: &Output, code: &str) -> String {
    out.report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["code"] == code)
        .and_then(|d| d["help"].as_str())
        .unwrap_or_else(|| panic!("no {code} in {}", out.report))
        .to_string()
}

/// The codes of every diagnostic in a JSON report.
fn codes(out: &Output) -> Vec<String> {
    out.report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| d["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn mounting_the_system_partition_names_it_and_the_iscsi_disk() {
    let (script, at) = lab(
        LOGGED_IN,
        "sv1.mount(\"/dev/sda1\", \"/iscsi1\", \"ext3\");\n",
    );
    let out = Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::wrong_fs_type", at + 1)
        .run();
    let help = help(&out, "kvmlab::storage::wrong_fs_type");
    assert!(
        help.starts_with("/dev/sda1 is sv1's own system partition (ext4, mounted on /), not the iSCSI disk; the iSCSI disk on sv1 is /dev/sdb (LUN 0 of iqn.2006-01.com.openfiler:tsn.b5ffc134d692): partition it first: `sv1.disk(\"/dev/sdb\").mklabel(\"gpt\")`"),
        "{help}"
    );
    assert!(!help.contains("mount it as ext4"), "{help}");

    // As ext4 it would mount a second time: a warning says what it is.
    let (script, at) = lab(
        LOGGED_IN,
        "sv1.mount(\"/dev/sda1\", \"/iscsi1\", \"ext4\");\n",
    );
    let out = Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::storage::system_disk", at + 1)
        .run();
    assert_eq!(
        out.report["diagnostics"][1]["message"],
        "sv1: mount /dev/sda1: it is sv1's own system partition (ext4, mounted on /), not a disk of the lab's storage"
    );

    // The advice applied: the LUN partitioned, a file system made and mounted.
    let (script, _) = lab(
        LOGGED_IN,
        "let disk = sv1.disk(\"/dev/sdb\");\ndisk.mklabel(\"gpt\");\n\
         disk.mkpart(\"primary\", \"ext3\", \"0%\", \"100%\");\n\
         sv1.mkfs(\"ext3\", \"/dev/sdb1\");\nsv1.mount(\"/dev/sdb1\", \"/iscsi1\", \"ext3\");\n\
         record(\"fs\", sv1.df(\"/iscsi1\")[0].filesystem);\n",
    );
    let out = Test::new().script(&script).json().status(0).run();
    assert_eq!(out.report["values"], json!({"fs": "/dev/sdb1"}));
}

#[test]
fn mkfs_and_parted_on_the_system_disk_point_at_the_lun() {
    let (script, at) = lab(LOGGED_IN, "sv1.mkfs(\"ext3\", \"/dev/sda1\");\n");
    let out = Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::system_disk", at + 1)
        .run();
    assert_eq!(
        help(&out, "kvmlab::storage::system_disk"),
        "the iSCSI disk on sv1 is /dev/sdb (LUN 0 of iqn.2006-01.com.openfiler:tsn.b5ffc134d692): partition it first: `sv1.disk(\"/dev/sdb\").mklabel(\"gpt\")`, then `mkpart`; `sv1.disks()` (fdisk -l) shows which disk is which"
    );
    assert!(!out.stderr.contains("umount /"), "{}", out.stderr);

    for (call, operation) in [
        (
            "sv1.disk(\"/dev/sda\").mklabel(\"gpt\");",
            "parted mklabel /dev/sda",
        ),
        ("sv1.disk(\"/dev/sda\").rm(3);", "parted rm /dev/sda"),
        ("sv1.mkfs(\"ext4\", \"/dev/sda\");", "mkfs.ext4 /dev/sda"),
    ] {
        let (script, at) = lab(LOGGED_IN, &format!("{call}\n"));
        let out = Test::new()
            .script(&script)
            .status(2)
            .diagnostic("kvmlab::storage::system_disk", at + 1)
            .stderr(operation)
            .run();
        assert!(
            help(&out, "kvmlab::storage::system_disk")
                .starts_with("the iSCSI disk on sv1 is /dev/sdb"),
            "{call}"
        );
    }

    // Once the LUN has a partition, the advice names it.
    let (script, at) = lab(
        LOGGED_IN,
        "let disk = sv1.disk(dev);\ndisk.mklabel(\"gpt\");\n\
         disk.mkpart(\"primary\", \"ext3\", \"0%\", \"100%\");\nsv1.mkfs(\"ext3\", \"/dev/sda1\");\n",
    );
    let out = Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::system_disk", at + 4)
        .run();
    assert!(help(&out, "kvmlab::storage::system_disk")
        .contains("make the file system there: `sv1.mkfs(\"ext3\", \"/dev/sdb1\")`"));
}

#[test]
fn a_system_disk_without_a_lun_says_how_to_attach_one() {
    let script = "import \"kvmlab/hosts\" as hosts;\nlet lab = hosts::build();\n\
                  lab.sv1.mkfs(\"ext3\", \"/dev/sda1\");\n";
    let out = Test::new()
        .script(script)
        .status(2)
        .diagnostic("kvmlab::storage::system_disk", 3)
        .run();
    assert_eq!(
        help(&out, "kvmlab::storage::system_disk"),
        "sv1 has no iSCSI disk yet: discover the NAS and log in (`sv1.iscsi_discover(PORTAL)`, `sv1.iscsi_login(IQN)`); the LUN then appears as /dev/sdb"
    );
}

/// sv1's LUN formatted, the iscsi service off, then a reboot.
fn rebooted_without_iscsi(fix: &str) -> (String, usize) {
    lab(
        LOGGED_IN,
        &format!(
            "let disk = sv1.disk(dev);\ndisk.mklabel(\"gpt\");\n\
             disk.mkpart(\"primary\", \"ext3\", \"0%\", \"100%\");\nsv1.mkfs(\"ext3\", dev + \"1\");\n\
             sv1.chkconfig(\"iscsi\", false);\nsv1.reboot();\n{fix}\
             sv1.mount(dev + \"1\", \"/iscsi1\", \"ext3\");\n"
        ),
    )
}

#[test]
fn a_lun_gone_after_reboot_names_the_iscsi_service() {
    let (script, at) = rebooted_without_iscsi("");
    let out = Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::special_device_missing", at + 7)
        .run();
    assert_eq!(
        help(&out, "kvmlab::storage::special_device_missing"),
        "the iSCSI session to iqn.2006-01.com.openfiler:tsn.b5ffc134d692 was not restored at boot because the iscsi service is off: run `chkconfig iscsi on` (`sv1.chkconfig(\"iscsi\", true)`) so the next boot logs in, and `service iscsi start` (`sv1.service(\"iscsi\").start()`) to log in now"
    );
    assert!(
        !out.stderr.contains("did you mean `/dev/sda`"),
        "{}",
        out.stderr
    );

    for fix in [
        "sv1.chkconfig(\"iscsi\", true);\nsv1.reboot();\n",
        "sv1.chkconfig(\"iscsi\", true);\nsv1.service(\"iscsi\").start();\n",
    ] {
        let (script, _) = rebooted_without_iscsi(fix);
        Test::new().script(&script).status(0).run();
    }
}

#[test]
fn a_bad_netmask_gets_the_segments_netmask_and_keeps_gateway() {
    let (script, at) = lab(
        BARE,
        &format!(
            "{}h.append_file(scripts + \"ifcfg-eth0\", \"BRIDGE=br0\\n\");\n\
             h.service(\"network\").restart();\n",
            br0("255.255.225.0")
        ),
    );
    // The write says the netmask is not one; the restart, knowing where br0 is cabled,
    // adds the segment's own.
    let out = Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::net::bad_ifcfg_value", at + 1)
        .diagnostic("kvmlab::net::bad_ifcfg_value", at + 3)
        .diagnostic("kvmlab::net::gateway_off_link", at + 3)
        .run();
    let helps: Vec<(u64, &str)> = out.report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["code"] == "kvmlab::net::bad_ifcfg_value")
        .map(|d| {
            (
                d["line"].as_u64().unwrap_or(0),
                d["help"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        helps,
        [
            (
                at as u64 + 1,
                "write the netmask of the interface's network, e.g. NETMASK=255.255.255.0 for a /24; `service network restart` names the network's own once the card is cabled"
            ),
            (
                at as u64 + 3,
                "NET1, where br0 is cabled, is 192.168.1.0/24 and its machines use /24: write NETMASK=255.255.255.0"
            )
        ]
    );
    let gateway = help(&out, "kvmlab::net::gateway_off_link");
    assert_eq!(
        gateway,
        "br0 got no address because of line 5 (NETMASK=255.255.225.0 is not valid: not a valid netmask, so the address is not configured): fix that line and restart the network. GATEWAY=192.168.1.1 is right for NET1 (192.168.1.0/24), where br0 is cabled: keep it"
    );
    assert!(!out.stderr.contains("/19"), "{}", out.stderr);

    // A netmask too narrow for the gateway: the netmask is named, not the GATEWAY line.
    let (script, at) = lab(
        BARE,
        &format!(
            "{}h.append_file(scripts + \"ifcfg-eth0\", \"BRIDGE=br0\\n\");\n\
             h.service(\"network\").restart();\n",
            br0("255.255.255.248")
        ),
    );
    let out = Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::net::gateway_off_link", at + 3)
        .run();
    assert!(help(&out, "kvmlab::net::gateway_off_link").starts_with(
        "the netmask is wrong: /29 makes br0's network 192.168.1.8/29, but NET1 uses /24: write NETMASK=255.255.255.0 (PREFIX=24)"
    ));

    // The advice applied: the gateway answers and nothing warns about br0.
    let (script, _) = lab(
        BARE,
        &format!(
            "{}h.append_file(scripts + \"ifcfg-eth0\", \"BRIDGE=br0\\n\");\n\
             h.write_file(scripts + \"ifcfg-eth1\", \"DEVICE=eth1\\nONBOOT=yes\\nBOOTPROTO=none\\nIPADDR=10.10.1.11\\nNETMASK=255.255.255.0\\n\");\n\
             h.service(\"network\").restart();\nrecord(\"up\", h.ping(\"192.168.1.1\").reachable);\n",
            br0("255.255.255.0")
        ),
    );
    let out = Test::new().script(&script).json().status(0).run();
    assert_eq!(out.report["values"], json!({"up": true}));
    assert_eq!(codes(&out), Vec::<String>::new());
}

#[test]
fn the_reports_off_link_gateway_is_still_the_gateway_line() {
    let (script, at) = lab(
        BARE,
        &format!(
            "{}h.append_file(scripts + \"ifcfg-eth0\", \"BRIDGE=br0\\n\");\n\
             h.write_file(scripts + \"ifcfg-eth1\", \"DEVICE=eth1\\nONBOOT=yes\\nBOOTPROTO=none\\nIPADDR=10.10.1.11\\nNETMASK=255.255.255.0\\nGATEWAY=192.168.1.1\\n\");\n\
             h.service(\"network\").restart();\n",
            br0("255.255.255.0")
        ),
    );
    let out = Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::net::gateway_off_link", at + 4)
        .run();
    assert_eq!(
        help(&out, "kvmlab::net::gateway_off_link"),
        "delete the GATEWAY line from /etc/sysconfig/network-scripts/ifcfg-eth1: the default gateway belongs in the config of the interface whose network contains it (192.168.1.1 is on NET1, where eth0, the port of br0, is cabled: ifcfg-br0)"
    );
}

#[test]
fn a_bridge_on_the_wrong_card_names_the_right_one() {
    let (script, at) = lab(
        BARE,
        &format!(
            "{}h.append_file(scripts + \"ifcfg-eth1\", \"BRIDGE=br0\\n\");\n\
             h.service(\"network\").restart();\nrecord(\"up\", h.ping(\"192.168.1.1\").reachable);\n",
            br0("255.255.255.0")
        ),
    );
    let out = Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::net::bridge_on_wrong_card", at + 3)
        .run();
    let fix = "eth0 is the card cabled to NET1 (192.168.1.0/24), the network of br0's address: put BRIDGE=br0 in ifcfg-eth0 instead and delete it from /etc/sysconfig/network-scripts/ifcfg-eth1 (line 6), then restart the network (`sv1.service(\"network\").restart()`)";
    assert_eq!(help(&out, "kvmlab::net::bridge_on_wrong_card"), fix);
    assert_eq!(help(&out, "kvmlab::net::address_outside_segment"), fix);
    assert_eq!(out.report["values"], json!({"up": false}));

    // The advice applied: eth1 back to its own file, eth0 the port.
    let (script, _) = lab(
        BARE,
        &format!(
            "{}h.append_file(scripts + \"ifcfg-eth1\", \"BRIDGE=br0\\n\");\n\
             h.service(\"network\").restart();\n\
             h.write_file(scripts + \"ifcfg-eth1\", \"DEVICE=eth1\\nONBOOT=yes\\nBOOTPROTO=none\\nIPADDR=10.10.1.11\\nNETMASK=255.255.255.0\\n\");\n\
             h.append_file(scripts + \"ifcfg-eth0\", \"BRIDGE=br0\\n\");\n\
             h.service(\"network\").restart();\nrecord(\"up\", h.ping(\"192.168.1.1\").reachable);\n",
            br0("255.255.255.0")
        ),
    );
    let out = Test::new().script(&script).json().status(0).run();
    assert_eq!(out.report["values"], json!({"up": true}));
}

#[test]
fn a_ping_before_the_restart_names_the_files_and_the_command() {
    let (script, _) = lab(
        BARE,
        &format!(
            "{}h.append_file(scripts + \"ifcfg-eth0\", \"BRIDGE=br0\\n\");\n\
             let p = h.ping(\"192.168.1.1\");\nrecord(\"code\", p.code);\nrecord(\"help\", p.help);\n",
            br0("255.255.255.0")
        ),
    );
    let out = Test::new().script(&script).json().status(0).run();
    assert_eq!(
        out.report["values"]["code"],
        "kvmlab::net::network_unreachable"
    );
    assert_eq!(
        out.report["values"]["help"].as_str().unwrap().split("; otherwise").next().unwrap(),
        "the network service has not run since the install, so /etc/sysconfig/network-scripts/ifcfg-br0, /etc/sysconfig/network-scripts/ifcfg-eth0, /etc/sysconfig/network-scripts/ifcfg-eth1 are not in effect: run `service network restart` (`sv1.service(\"network\").restart()`)"
    );

    // After a restart, an edit is named alone.
    let (script, _) = lab(
        BARE,
        &format!(
            "h.service(\"network\").restart();\n{}h.append_file(scripts + \"ifcfg-eth0\", \"BRIDGE=br0\\n\");\n\
             let p = h.ping(\"192.168.1.1\");\nrecord(\"help\", p.help);\n\
             h.service(\"network\").restart();\nrecord(\"up\", h.ping(\"192.168.1.1\").reachable);\n",
            br0("255.255.255.0")
        ),
    );
    let out = Test::new().script(&script).json().status(0).run();
    assert!(out.report["values"]["help"]
        .as_str()
        .unwrap()
        .starts_with("/etc/sysconfig/network-scripts/ifcfg-br0, /etc/sysconfig/network-scripts/ifcfg-eth0 changed since the last `service network restart`"));
    assert_eq!(out.report["values"]["up"], true);
}

#[test]
fn sizes_with_a_lowercase_b_ask_bits_or_bytes() {
    let script = "import \"kvmlab/report\" as report;\nlet spec = report::server_spec();\n\
                  spec.memory = \"16Gb\";\nlet h = host(\"sv1\", spec);\n";
    let out = Test::new()
        .script(script)
        .status(2)
        .diagnostic("kvmlab::units::ambiguous_size", 4)
        .stderr("`16Gb` is ambiguous: did you mean 16 gigabytes or 16 gigabits?")
        .run();
    assert_eq!(
        help(&out, "kvmlab::units::ambiguous_size"),
        "a lowercase `b` is bits, and sizes of storage and memory are in bytes: write \"16GB\" for 16 gigabytes (B is bytes); 16 gigabits would be \"2GB\". Rates may be in bits: \"100Mbit/s\""
    );
    let fixed = script.replace("16Gb", "16GB") + "record(\"ok\", true);\n";
    Test::new().script(&fixed).status(0).run();
    // A rate keeps its bits.
    Test::new()
        .script("let s = switch(\"NET1\", \"192.168.1.0/24\", #{speed: \"100Mb/s\"});\nrecord(\"speed\", s.speed);\n")
        .status(0)
        .run();
}

#[test]
fn a_rate_without_per_second_asks_bits_or_bytes_at_its_line() {
    // `switch(..)` is syntax: its errors are pinned to its line like any call's.
    let script = "let n = 1;\nlet s = switch(\"NET1\", \"192.168.1.0/24\", #{speed: \"100Mb\"});\n";
    let out = Test::new()
        .script(script)
        .status(2)
        .diagnostic("kvmlab::units::rate", 2)
        .stderr("`100Mb` is not a rate")
        .run();
    assert_eq!(
        help(&out, "kvmlab::units::rate"),
        "a rate is an amount per second, and `Mb` has no `/s`: write \"100Mbit/s\" for 100 \
         megabits per second (network speeds) or \"100MB/s\" for 100 megabytes per second"
    );
    let fixed = script.replace("100Mb", "100Mbit/s") + "record(\"speed\", s.speed);\n";
    let out = Test::new().script(&fixed).json().status(0).run();
    assert_eq!(out.report["values"]["speed"], 12_500_000.0);
    // One of a unit is singular.
    Test::new()
        .script("let m = size(\"1Gb\");\n")
        .status(2)
        .diagnostic("kvmlab::units::ambiguous_size", 1)
        .stderr("`1Gb` is ambiguous: did you mean 1 gigabyte or 1 gigabit?")
        .stderr("write \"1GB\" for 1 gigabyte (B is bytes); 1 gigabit would be \"125MB\"")
        .run();
}

#[test]
fn iscsi_discover_resolves_a_host_name() {
    let prelude = LOGGED_IN.split("sv1.iscsi_discover").next().unwrap();
    let (script, _) = lab(
        prelude,
        "record(\"found\", sv1.iscsi_discover(\"iscsi1\"));\nrecord(\"dev\", sv1.iscsi_login(iqn));\n",
    );
    let out = Test::new().script(&script).json().status(0).run();
    assert_eq!(
        out.report["values"],
        json!({"found": ["10.10.1.10:3260,1 iqn.2006-01.com.openfiler:tsn.b5ffc134d692"], "dev": "/dev/sdb"})
    );
    let (script, at) = lab(prelude, "sv1.iscsi_discover(\"iscsi9:3260\");\n");
    let out = Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::net::unresolved", at + 1)
        .run();
    assert_eq!(
        help(&out, "kvmlab::net::unresolved"),
        "did you mean `iscsi1`? otherwise add `ADDRESS iscsi9` to /etc/hosts on sv1; the lab's NAS answers at 10.10.1.10"
    );
}

#[test]
fn the_reports_mkpartfs_points_at_the_luns_partition() {
    let (script, at) = lab(
        LOGGED_IN,
        "sv1.disk(dev).mkpartfs(\"primary\", \"ext3\", \"0%\", \"95GB\");\n",
    );
    let out = Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::mkpartfs_removed", at + 1)
        .run();
    assert_eq!(
        help(&out, "kvmlab::storage::mkpartfs_removed"),
        "make the partition with `mkpart`, then its file system with `mkfs.ext3` (on /dev/sdb, partition 1 is /dev/sdb1); the report's `mkpartfs ... ext3` worked only with parted before 2.4"
    );
}

#[test]
fn an_unreachable_gateway_names_the_router_on_the_switch() {
    let routed = BARE.replace(
        "[#{net: net1, address: \"192.168.1.1/24\"}]",
        "[#{net: net1, address: \"192.168.1.1/24\"}, #{net: switch(\"NET3\", \"172.16.0.0/24\", #{speed: \"1Gbit/s\"}), address: \"172.16.0.1/24\"}]",
    );
    assert_ne!(routed, BARE);
    let run = |gateway: &str| {
        let (script, _) = lab(
            &routed,
            &format!(
                "{}h.append_file(scripts + \"ifcfg-eth0\", \"BRIDGE=br0\\n\");\n\
                 h.write_file(scripts + \"ifcfg-eth1\", \"DEVICE=eth1\\nONBOOT=yes\\nBOOTPROTO=none\\nIPADDR=10.10.1.11\\nNETMASK=255.255.255.0\\n\");\n\
                 h.service(\"network\").restart();\nlet p = h.ping(\"172.16.0.1\");\n\
                 record(\"up\", p.reachable);\nrecord(\"help\", p.help);\n\
                 record(\"stray\", h.ping(\"192.168.1.99\").help);\n",
                br0("255.255.255.0").replace("GATEWAY=192.168.1.1", &format!("GATEWAY={gateway}"))
            ),
        );
        Test::new().script(&script).json().status(0).run()
    };
    let out = run("192.168.1.254");
    assert_eq!(
        out.report["values"],
        json!({
            "up": false,
            "help": "192.168.1.254 is no router's address on NET1; the router there is gateway at 192.168.1.1: set GATEWAY=192.168.1.1",
            "stray": "no machine in the lab has 192.168.1.99: check the address (the target's `interfaces()` lists its own)"
        })
    );
    let out = run("192.168.1.1");
    assert_eq!(out.report["values"]["up"], true);
}

#[test]
fn a_mistyped_ipaddr_is_named_and_gateway_kept() {
    let (script, at) = lab(
        BARE,
        &format!(
            "{}h.append_file(scripts + \"ifcfg-eth0\", \"BRIDGE=br0\\n\");\n\
             h.service(\"network\").restart();\n",
            br0("255.255.255.0").replace("IPADDR=", "IPADR=")
        ),
    );
    let out = Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::net::unknown_ifcfg_key", at + 1)
        .diagnostic("kvmlab::net::gateway_off_link", at + 3)
        .run();
    assert_eq!(
        help(&out, "kvmlab::net::gateway_off_link"),
        "br0 got no address: line 4 sets `IPADR`, which initscripts ignore (did you mean `IPADDR`? initscripts ignore keys they do not know); fix that line and restart the network. GATEWAY=192.168.1.1 is right for NET1 (192.168.1.0/24), where br0 is cabled: keep it"
    );
    assert!(!out.stderr.contains("delete the GATEWAY"), "{}", out.stderr);
}

#[test]
fn a_manual_node_record_after_reboot_says_to_log_in_again() {
    let run = |fix: &str| {
        let (script, at) = rebooted_without_iscsi(fix);
        let script = script.replace(
            "sv1.chkconfig(\"iscsi\", false);",
            "sv1.iscsi_startup(iqn, false);",
        );
        (script, at)
    };
    let (script, at) = run("");
    let out = Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::special_device_missing", at + 7)
        .run();
    assert_eq!(
        help(&out, "kvmlab::storage::special_device_missing"),
        "the iSCSI session to iqn.2006-01.com.openfiler:tsn.b5ffc134d692 ended with the reboot and its node record is not logged in at boot (node.startup = manual): log in again (`sv1.iscsi_login(\"iqn.2006-01.com.openfiler:tsn.b5ffc134d692\")`)"
    );
    let (script, _) = run("sv1.iscsi_login(iqn);\n");
    Test::new().script(&script).status(0).run();
}

#[test]
fn a_missing_lun_never_suggests_the_system_disk() {
    let discovered = LOGGED_IN.replace("let dev = sv1.iscsi_login(iqn);\n", "");
    let (script, at) = lab(&discovered, "sv1.mkfs(\"ext3\", \"/dev/sdb1\");\n");
    let out = Test::new()
        .script(&script)
        .status(2)
        .diagnostic("kvmlab::storage::no_such_block_device", at + 1)
        .run();
    assert_eq!(
        help(&out, "kvmlab::storage::no_such_block_device"),
        "this host's disks: /dev/sda (its system disk); sv1 has no session to iqn.2006-01.com.openfiler:tsn.b5ffc134d692: log in (`sv1.iscsi_login(\"iqn.2006-01.com.openfiler:tsn.b5ffc134d692\")`), and the LUN appears as /dev/sdb"
    );
    let (script, _) = lab(
        &discovered,
        "sv1.iscsi_login(iqn);\nlet disk = sv1.disk(\"/dev/sdb\");\ndisk.mklabel(\"gpt\");\n\
         disk.mkpart(\"primary\", \"ext3\", \"0%\", \"100%\");\nsv1.mkfs(\"ext3\", \"/dev/sdb1\");\n",
    );
    Test::new().script(&script).status(0).run();
}

#[test]
fn a_system_partition_away_from_its_fstab_place_warns() {
    let (script, at) = lab(
        LOGGED_IN,
        "sv1.umount(\"/guest\");\nsv1.mount(\"/dev/sda3\", \"/iscsi1\", \"ext4\");\n",
    );
    let out = Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::storage::system_disk", at + 2)
        .stderr("sv1: mount /dev/sda3: it is sv1's own system partition (ext4, a partition of /dev/sda)")
        .run();
    assert!(
        help(&out, "kvmlab::storage::system_disk").starts_with("the iSCSI disk on sv1 is /dev/sdb")
    );
    // Back on its own mount point it is the system's own mount: no warning.
    let (script, _) = lab(
        LOGGED_IN,
        "sv1.umount(\"/guest\");\nsv1.mount(\"/dev/sda3\", \"/guest\", \"ext4\");\n",
    );
    let out = Test::new().script(&script).json().status(0).run();
    assert!(!codes(&out).contains(&"kvmlab::storage::system_disk".to_string()));
}

#[test]
fn an_address_set_on_another_host_but_not_applied_names_that_host_and_the_command() {
    // sv2's ifcfg-br0 gives it 192.168.1.12, but sv2's network was never restarted: the
    // ping from sv1 must not say that no machine has the address.
    let (script, _) = lab(
        BARE,
        &format!(
            "{}h.append_file(scripts + \"ifcfg-eth0\", \"BRIDGE=br0\\n\");\n\
             h.service(\"network\").restart();\n\
             let sv2 = host(\"sv2\", report::server_spec());\n\
             sv2.install_os(report::os_spec(\"sv2\"));\n\
             sv2.nic(\"eth0\").connect(net1);\n\
             sv2.write_file(scripts + \"ifcfg-br0\", report::ifcfg_br0(\"192.168.1.12\"));\n\
             sv2.append_file(scripts + \"ifcfg-eth0\", \"BRIDGE=br0\\n\");\n\
             let p = h.ping(\"192.168.1.12\");\nrecord(\"help\", p.help);\n\
             sv2.service(\"network\").restart();\n\
             record(\"up\", h.ping(\"192.168.1.12\").reachable);\n",
            br0("255.255.255.0")
        ),
    );
    let out = Test::new().script(&script).json().status(0).run();
    assert_eq!(
        out.report["values"]["help"],
        "192.168.1.12 is set in sv2's /etc/sysconfig/network-scripts/ifcfg-br0, which is not in \
         effect yet: run `service network restart` on sv2 (`sv2.service(\"network\").restart()`)"
    );
    assert_eq!(out.report["values"]["up"], true);
}

#[test]
fn the_reports_fstab_line_for_sda1_is_warned_when_written_and_names_the_lun() {
    // On these hosts /dev/sda is the host's own disk: the report's `/dev/sda1 /iscsi1` line
    // would have the next boot mount the root partition on /iscsi1.
    let prelude = format!(
        "{LOGGED_IN}let disk = sv1.disk(dev);\ndisk.mklabel(\"gpt\");\n\
         disk.mkpart(\"primary\", \"ext3\", \"0%\", \"95GB\");\nsv1.mkfs(\"ext3\", dev + \"1\");\n\
         sv1.mount(dev + \"1\", \"/iscsi1\", \"ext3\");\n"
    );
    let (script, at) = lab(
        &prelude,
        "sv1.append_file(\"/etc/fstab\", report::fstab_line(\"/dev/sda1\"));\n",
    );
    let out = Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::storage::system_disk", at + 1)
        .run();
    let said = out.report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "kvmlab::storage::system_disk")
        .unwrap();
    assert_eq!(
        said["message"],
        "sv1: /etc/fstab line 16 mounts /dev/sda1: it is sv1's own system partition (ext4, mounted on /), not a disk of the lab's storage"
    );
    assert_eq!(
        help(&out, "kvmlab::storage::system_disk"),
        "the iSCSI disk on sv1 is /dev/sdb (LUN 0 of iqn.2006-01.com.openfiler:tsn.b5ffc134d692): name its partition in the line instead (/dev/sdb1, or its UUID=), with `_netdev`; `sv1.disks()` (fdisk -l) shows which disk is which"
    );
    // Applied: the LUN's partition in the line, no warning, and the boot mounts it.
    let (script, _) = lab(
        &prelude,
        "expect_no_warning(|| sv1.append_file(\"/etc/fstab\", report::fstab_line(\"/dev/sdb1\")));\n\
         sv1.reboot();\nrecord(\"fs\", sv1.df(\"/iscsi1\")[0].filesystem);\n",
    );
    let out = Test::new().script(&script).json().status(0).run();
    assert_eq!(out.report["values"]["fs"], "/dev/sdb1");
}

#[test]
fn a_bridge_line_naming_another_bridge_names_the_card_and_the_fix() {
    let (script, _) = lab(
        BARE,
        &format!(
            "{}h.append_file(scripts + \"ifcfg-eth0\", \"BRIDGE=br1\\n\");\n\
             h.service(\"network\").restart();\n\
             record(\"help\", h.ping(\"192.168.1.1\").help);\n\
             h.set_vars(scripts + \"ifcfg-eth0\", #{{BRIDGE: \"br0\"}});\n\
             h.service(\"network\").restart();\n\
             record(\"up\", h.ping(\"192.168.1.1\").reachable);\n",
            br0("255.255.255.0")
        ),
    );
    let out = Test::new().script(&script).json().status(0).run();
    assert_eq!(
        out.report["values"]["help"],
        "eth0 is a port of br1, not of br0 (BRIDGE=br1 in ifcfg-eth0; ifup made br1 for it): \
         write BRIDGE=br0 there, then restart the network"
    );
    assert_eq!(out.report["values"]["up"], true);
}

#[test]
fn a_card_left_on_dhcp_gets_the_network_it_is_cabled_to() {
    // The installer leaves ifcfg-eth1 with BOOTPROTO=dhcp; the lab has no DHCP server.
    let (script, at) = lab(
        BARE,
        &format!(
            "{}h.append_file(scripts + \"ifcfg-eth0\", \"BRIDGE=br0\\n\");\n\
             h.service(\"network\").restart();\n",
            br0("255.255.255.0")
        ),
    );
    let out = Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::net::no_dhcp_server", at + 3)
        .run();
    assert_eq!(
        help(&out, "kvmlab::net::no_dhcp_server"),
        "NET2, where eth1 is cabled, is 10.10.0.0/16 and its machines use /16: configure a \
         static address there: BOOTPROTO=none, IPADDR=an unused address of 10.10.0.0/16, \
         NETMASK=255.255.0.0"
    );
    // Applied: a static address on NET2 and the warning is gone.
    let (script, _) = lab(
        BARE,
        &format!(
            "{}h.append_file(scripts + \"ifcfg-eth0\", \"BRIDGE=br0\\n\");\n\
             h.set_vars(scripts + \"ifcfg-eth1\", #{{BOOTPROTO: \"none\", IPADDR: \"10.10.1.11\", NETMASK: \"255.255.0.0\"}});\n\
             expect_no_warning(|| h.service(\"network\").restart());\n",
            br0("255.255.255.0")
        ),
    );
    Test::new().script(&script).status(0).run();
}

#[test]
fn a_mistyped_name_is_not_guessed_as_the_pinging_host_itself() {
    let script = "import \"kvmlab/hosts\" as hosts;\nlet lab = hosts::build();\n\
                  record(\"help\", lab.sv1.ping(\"sv3\").help);\n\
                  record(\"up\", lab.sv1.ping(\"sv2\").reachable);\n";
    let out = Test::new().script(script).json().status(0).run();
    assert_eq!(
        out.report["values"]["help"],
        "did you mean `sv2`? otherwise add `ADDRESS sv3` to /etc/hosts on sv1"
    );
    assert_eq!(out.report["values"]["up"], true);
}
