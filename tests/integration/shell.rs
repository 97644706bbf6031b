//! `h.sh(..)`: the report's commands typed on a host, answering in their tools' words, the
//! report's errata caught in command form as in method form, and hostile lines ending
//! cleanly.

use crate::harness::Test;
use serde_json::Value;

const LAB: &str =
    "import \"kvmlab/hosts\" as hosts;\nlet lab = hosts::build();\nlet sv1 = lab.sv1;\n";

/// Runs each line on sv1 and returns (status, stdout, stderr, code) of each.
fn on_sv1(lines: &[&str]) -> Vec<(i64, String, String, Value)> {
    let mut script = LAB.to_string();
    for (i, line) in lines.iter().enumerate() {
        let quoted = serde_json::to_string(line).unwrap();
        script.push_str(&format!(
            "let r = sv1.sh({quoted});\nrecord(\"r{i}\", #{{status: r.status, stdout: r.stdout, stderr: r.stderr, code: r.code}});\n"
        ));
    }
    let out = Test::new().script(&script).json().status(0).run();
    (0..lines.len())
        .map(|i| {
            let r = &out.report["values"][format!("r{i}")];
            (
                r["status"].as_i64().unwrap(),
                r["stdout"].as_str().unwrap().to_string(),
                r["stderr"].as_str().unwrap().to_string(),
                r["code"].clone(),
            )
        })
        .collect()
}

#[test]
fn the_reports_commands_answer_in_their_tools_words() {
    let results = on_sv1(&[
        "hostname",
        "ping -c 3 sv2",
        "grep sv /etc/hosts | wc -l",
        "service network restart",
        "chkconfig --list libvirtd",
        "rpm -q libvirt vsftpd",
        "false || echo $?",
    ]);
    assert_eq!(results[0], (0, "sv1\n".into(), String::new(), Value::Null));
    assert_eq!(
        results[1].1,
        "PING sv2 (192.168.1.12) 56(84) bytes of data.\n\
         64 bytes from sv2 (192.168.1.12): icmp_seq=1 ttl=64 time=0.149 ms\n\
         64 bytes from sv2 (192.168.1.12): icmp_seq=2 ttl=64 time=0.149 ms\n\
         64 bytes from sv2 (192.168.1.12): icmp_seq=3 ttl=64 time=0.149 ms\n\
         \n\
         --- sv2 ping statistics ---\n\
         3 packets transmitted, 3 received, 0% packet loss, time 2000ms\n\
         rtt min/avg/max/mdev = 0.149/0.149/0.149/0.000 ms\n"
    );
    assert_eq!(results[2].1, "4\n");
    assert_eq!(results[3].0, 0);
    assert!(
        results[3]
            .1
            .ends_with("Bringing up interface br0:                                 [  OK  ]\n"),
        "{}",
        results[3].1
    );
    assert_eq!(
        results[4].1,
        "libvirtd        \t0:off\t1:off\t2:on\t3:on\t4:on\t5:on\t6:off\n"
    );
    assert_eq!(
        (results[5].0, results[5].1.as_str()),
        (1, "libvirt-0.8.7.x86_64\npackage vsftpd is not installed\n")
    );
    assert_eq!(results[6].1, "1\n");
}

#[test]
fn ping_takes_a_second_of_lab_time_between_echoes_and_fails_as_iputils_does() {
    let script = format!(
        "{LAB}let t = lab().clock;\nlet r = sv1.sh(\"ping -c 4 sv2\");\nrecord(\"took\", lab().clock - t);\n\
         let unknown = sv1.sh(\"ping -c 1 nowhere\");\nrecord(\"unknown\", [unknown.status, unknown.stderr, unknown.code]);\n\
         let forever = sv1.sh(\"ping sv2\");\nrecord(\"forever\", [forever.status, forever.code, forever.help]);\n"
    );
    let out = Test::new().script(&script).json().status(0).run();
    let values = &out.report["values"];
    assert_eq!(values["took"], 3.0);
    assert_eq!(
        values["unknown"],
        serde_json::json!([2, "ping: unknown host nowhere\n", "kvmlab::net::unresolved"])
    );
    assert_eq!(
        values["forever"],
        serde_json::json!([
            0,
            "kvmlab::shell::stopped",
            "give the count to send: `ping -c 4 sv2`"
        ])
    );
}

#[test]
fn a_here_document_writes_a_file_and_redirections_go_where_bash_sends_them() {
    let results = on_sv1(&[
        "cat > /root/notes <<EOF\nhost $HOSTNAME\nhome ~ and '$HOME'\nEOF",
        "cat /root/notes",
        "cat <<'EOF' >> /root/notes\nkept $HOSTNAME\nEOF",
        "tail -n 1 /root/notes",
        "cat /root/missing 2>&1 | grep -c 'No such'",
        "cat /root/missing > /root/out 2>&1; cat /root/out",
        "grep -n home /root/notes /root/missing",
    ]);
    assert_eq!(results[1].1, "host sv1\nhome ~ and '/root'\n");
    assert_eq!(results[3].1, "kept $HOSTNAME\n");
    assert_eq!((results[4].0, results[4].1.as_str()), (0, "1\n"));
    assert_eq!(
        results[5].1,
        "cat: /root/missing: No such file or directory\n"
    );
    assert_eq!(
        (results[6].0, results[6].1.as_str(), results[6].2.as_str()),
        (
            2,
            "/root/notes:2:home ~ and '/root'\n",
            "grep: /root/missing: No such file or directory\n"
        )
    );
}

#[test]
fn a_mistyped_command_is_bashs_127_with_the_command_it_meant() {
    let script = format!(
        "{LAB}let r = sv1.sh(\"iscsiadmin -m session\");\nrecord(\"r\", [r.status, r.stderr, r.code]);\nrecord(\"help\", r.help);\n"
    );
    let out = Test::new().script(&script).json().status(0).run();
    assert_eq!(
        out.report["values"]["r"],
        serde_json::json!([
            127,
            "bash: iscsiadmin: command not found\n",
            "kvmlab::host::command_not_found"
        ])
    );
    let help = out.report["values"]["help"].as_str().unwrap();
    assert!(help.starts_with("did you mean `iscsiadm`?"), "{help}");
}

#[test]
fn a_missing_package_names_the_package_and_a_service_it_lacks_is_unrecognized() {
    let results = on_sv1(&[
        "vsftpd -v",
        "service vsftpd start",
        "yum install vsftpd",
        "service vsftpd start",
    ]);
    assert_eq!(
        (results[0].0, results[0].2.as_str()),
        (127, "bash: vsftpd: command not found\n")
    );
    assert_eq!(
        (results[1].0, results[1].2.as_str()),
        (1, "vsftpd: unrecognized service\n")
    );
    assert_eq!(
        results[2].1,
        "Loaded plugins: refresh-packagekit, security\nInstalled:\n  vsftpd.x86_64 0:2.2.2\n\nComplete!\n"
    );
    assert_eq!(results[3].0, 0);
}

#[test]
fn an_etc_hosts_line_reversed_with_echo_is_caught_as_with_append_file() {
    let script = format!("{LAB}sv1.sh(\"echo 'sv2 192.168.1.12' >> /etc/hosts\");\n");
    Test::new()
        .script(&script)
        .status(0)
        .diagnostic("kvmlab::net::hosts_reversed", 4)
        .run();
}

#[test]
fn the_reports_gateway_on_eth1_written_with_a_here_document_is_caught() {
    let script = "import \"kvmlab/report\" as report;\n\
        let net1 = switch(\"NET1\", \"192.168.1.0/24\", #{speed: \"100Mbit/s\"});\n\
        let net2 = switch(\"NET2\", \"10.10.0.0/16\", #{speed: \"1Gbit/s\"});\n\
        let gateway = router(\"gateway\", [#{net: net1, address: \"192.168.1.1/24\"}]);\n\
        let h = host(\"sv1\", report::server_spec());\n\
        h.install_os(report::os_spec(\"sv1\"));\n\
        h.nic(\"eth0\").connect(net1);\n\
        h.nic(\"eth1\").connect(net2);\n\
        h.sh(`cat > /etc/sysconfig/network-scripts/ifcfg-br0 <<EOF\nDEVICE=br0\nONBOOT=yes\nBOOTPROTO=none\nIPADDR=192.168.1.11\nNETMASK=255.255.255.0\nTYPE=Bridge\nEOF`);\n\
        h.sh(\"echo BRIDGE=br0 >> /etc/sysconfig/network-scripts/ifcfg-eth0\");\n\
        h.sh(`cat > /etc/sysconfig/network-scripts/ifcfg-eth1 <<EOF\nDEVICE=eth1\nONBOOT=yes\nBOOTPROTO=none\nIPADDR=10.10.1.11\nNETMASK=255.255.255.0\nGATEWAY=192.168.1.1\nEOF`);\n\
        let r = h.sh(\"service network restart\");\n\
        check_eq(r.status, 0, \"the network restarts\");\n";
    Test::new()
        .script(script)
        .status(0)
        .diagnostic("kvmlab::net::gateway_off_link", 26)
        .run();
}

#[test]
fn what_the_prompt_does_not_run_is_refused_whole_and_runs_nothing() {
    let results = on_sv1(&[
        "echo one > /root/first; for h in sv1 sv2; do ping -c 1 $h; done",
        "cat /root/first",
        "echo a ;; echo b",
        "echo $(hostname)",
        "e2fsck -n /dev/sda1",
    ]);
    assert_eq!(results[0].0, 2);
    assert_eq!(
        results[0].2,
        "kvmlab: `for` loops are not run at this prompt: type one command at a time, or write the loop in Rhai around `sh(..)`\n"
    );
    assert_eq!(results[0].3, "kvmlab::shell::unsupported");
    assert_eq!(results[1].0, 1, "nothing of the refused line ran");
    assert_eq!(
        (results[2].0, results[2].2.as_str(), &results[2].3),
        (
            2,
            "bash: syntax error near unexpected token `;;'\n",
            &Value::from("kvmlab::shell::syntax_error")
        )
    );
    assert_eq!(results[3].3, "kvmlab::shell::unsupported");
    assert_eq!(
        (results[4].0, results[4].2.as_str()),
        (
            2,
            "kvmlab: `e2fsck` is not one of this prompt's commands yet\n"
        )
    );
}

#[test]
fn hostile_lines_end_cleanly_and_fast() {
    // Nested `(` cost the grammar exponential time, `{ ` and `$(` memory: each is refused.
    let script = format!(
        "{LAB}let statuses = [];\n\
         for unit in [\"(\", \"{{ \", \"$(\", \"`\", \"a|\", \"<<E\\n\", \"${{\", \"[[ \"] {{\n\
           let s = \"\";\n\
           for i in 0..15000 {{ s += unit; }}\n\
           statuses.push(sv1.sh(s).status);\n\
         }}\n\
         record(\"statuses\", statuses);\n\
         let long = \"\";\n\
         for i in 0..70000 {{ long += \"a\"; }}\n\
         sv1.sh(long);\n"
    );
    let out = Test::new()
        .script(&script)
        .json()
        .status(2)
        .diagnostic("kvmlab::shell::line_too_long", 13)
        .run();
    assert_eq!(
        out.report["values"]["statuses"],
        serde_json::json!([2, 2, 2, 2, 2, 2, 2, 2])
    );
}

#[test]
fn a_host_without_an_os_has_no_shell() {
    let script = "import \"kvmlab/report\" as report;\nlet h = host(\"sv9\", report::server_spec());\nh.sh(\"hostname\");\n";
    Test::new()
        .script(script)
        .status(2)
        .diagnostic("kvmlab::host::no_os", 3)
        .run();
}

/// The report's NAS on NET2, as `kvmlab/storage` builds it, before any host logs in.
const NAS: &str = "import \"kvmlab/report\" as report;\n\
    let nas = nas(\"iscsi1\", report::nas_spec());\n\
    nas.nic(\"eth0\").connect(lab.net2);\n\
    nas.ip(\"eth0\", report::nas_address());\n\
    nas.iscsi_target(\"iqn.2006-01.com.thecus:iscsi1\", \"50%\");\n";

#[test]
fn the_reports_storage_steps_typed_as_commands() {
    let mut script = format!("{LAB}{NAS}");
    let lines = [
        "iscsiadm -m session",
        "iscsiadm -m discovery -t sendtargets -p 10.10.1.10",
        "iscsiadm -m node -T iqn.2006-01.com.thecus:iscsi1 -p 10.10.1.10 -l",
        "iscsiadm -m session",
        "parted -s /dev/sdb mklabel gpt mkpart primary ext3 0% 95GB print",
        "mkfs.ext3 /dev/sdb1",
        "mkdir /iscsi1 && mount -t ext3 /dev/sdb1 /iscsi1 && mount | tail -1",
        "df -h /iscsi1",
        "umount /iscsi1; mkfs.ext3 /dev/sdz",
    ];
    for (i, line) in lines.iter().enumerate() {
        let quoted = serde_json::to_string(line).unwrap();
        script.push_str(&format!(
            "let r = sv1.sh({quoted});\nrecord(\"r{i}\", [r.status, r.stdout, r.stderr, r.code]);\n"
        ));
    }
    let out = Test::new().script(&script).json().status(0).run();
    let r = |i: usize| out.report["values"][format!("r{i}")].clone();
    assert_eq!(
        r(0),
        serde_json::json!([21, "", "iscsiadm: No active sessions.\n", null])
    );
    assert_eq!(r(1)[1], "10.10.1.10:3260,1 iqn.2006-01.com.thecus:iscsi1\n");
    assert_eq!(
        r(2)[1],
        "Logging in to [iface: default, target: iqn.2006-01.com.thecus:iscsi1, portal: 10.10.1.10,3260] (multiple)\n\
         Login to [iface: default, target: iqn.2006-01.com.thecus:iscsi1, portal: 10.10.1.10,3260] successful.\n"
    );
    assert_eq!(
        r(3)[1],
        "tcp: [1] 10.10.1.10:3260,1 iqn.2006-01.com.thecus:iscsi1 (non-flash)\n"
    );
    let print = r(4)[1].as_str().unwrap().to_string();
    assert!(
        print.contains(" 1      1049kB  95.0GB  95.0GB               primary\n"),
        "{print}"
    );
    assert_eq!(
        r(5)[1],
        "mke2fs 1.41.12 (17-May-2010)\nFilesystem label=\nOS type: Linux\n\
         Block size=4096 (log=2)\nFragment size=4096 (log=2)\n\
         Stride=0 blocks, Stripe width=0 blocks\n5799936 inodes, 23193088 blocks\n\
         1159654 blocks (5.00%) reserved for the super user\nFirst data block=0\n\
         Maximum filesystem blocks=4294967296\n708 block groups\n\
         32768 blocks per group, 32768 fragments per group\n8192 inodes per group\n\
         Superblock backups stored on blocks: \n\
         \t32768, 98304, 163840, 229376, 294912, 819200, 884736, 1605632, 2654208, \n\
         \t4096000, 7962624, 11239424, 20480000\n\n\
         Writing inode tables: done                            \n\
         Creating journal (32768 blocks): done\n\
         Writing superblocks and filesystem accounting information: done\n\n\
         This filesystem will be automatically checked every 28 mounts or\n\
         180 days, whichever comes first.  Use tune2fs -c or -i to override.\n"
    );
    assert_eq!(r(6)[1], "/dev/sdb1 on /iscsi1 type ext3 (rw)\n");
    assert_eq!(
        r(7)[1],
        "Filesystem      Size  Used Avail Use% Mounted on\n/dev/sdb1        88G  184M   83G   1% /iscsi1\n"
    );
    assert_eq!(r(8)[0], 1);
    assert_eq!(r(8)[3], "kvmlab::storage::no_such_block_device");
}

#[test]
fn the_consoles_root_prompt_runs_the_reports_commands_and_save_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let typed = "import \"kvmlab/hosts\" as hosts;\nlet lab = hosts::build();\n\
        sv1 ping -c 1 sv2\n:sh sv9\n:sh sv1\nhostname\ncat > /root/n <<EOF\nhello $HOSTNAME\nEOF\n\
        cat n\niscsiadmin\nexit\nlab.sv1.name\n:save lab.rhai\n";
    let out = crate::repl::repl_in(dir.path(), &[], typed);
    assert_eq!(out.status, 1, "the unknown host failed: {}", out.stderr);
    assert!(
        out.stdout.starts_with(
            "PING sv2 (192.168.1.12) 56(84) bytes of data.\n64 bytes from sv2 (192.168.1.12): icmp_seq=1 ttl=64 time=0.149 ms\n"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            "root on sv1: the report's commands, `exit` to come back to Rhai\nsv1\nhello sv1\n"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("=> \"sv1\""),
        "Rhai again after exit: {}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("kvmlab repl: the lab has no host `sv9`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("bash: iscsiadmin: command not found\n"),
        "{}",
        out.stderr
    );
    let saved = std::fs::read_to_string(dir.path().join("lab.rhai")).unwrap();
    assert!(
        saved.contains("sh(\"sv1\", \"cat > /root/n <<EOF\\nhello $HOSTNAME\\nEOF\");\nsh(\"sv1\", \"cat n\");\n"),
        "{saved}"
    );
    // The saved session runs to the same lab.
    let rerun = crate::harness::kvmlab()
        .args(["run", "lab.rhai"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        rerun.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&rerun.stderr)
    );
}

#[test]
fn the_reports_parted_session_types_as_a_here_document_and_commands_run_by_path() {
    let mut script = format!("{LAB}{NAS}");
    script.push_str("sv1.sh(\"iscsiadm -m discovery -t st -p 10.10.1.10 && iscsiadm -m node -T iqn.2006-01.com.thecus:iscsi1 -l\");\n");
    let lines = [
        "parted /dev/sdb <<EOF\nmklabel gpt\nmkpart primary ext3 0% 95GB\nprint\nquit\nEOF",
        "/etc/init.d/network status",
        "/sbin/service network status",
        "/opt/tools/iscsiadm -m session",
    ];
    for (i, line) in lines.iter().enumerate() {
        let quoted = serde_json::to_string(line).unwrap();
        script.push_str(&format!(
            "let r = sv1.sh({quoted});\nrecord(\"r{i}\", [r.status, r.stdout, r.stderr]);\n"
        ));
    }
    let out = Test::new().script(&script).json().status(0).run();
    let r = |i: usize| out.report["values"][format!("r{i}")].clone();
    assert!(
        r(0)[1]
            .as_str()
            .unwrap()
            .contains(" 1      1049kB  95.0GB  95.0GB               primary\n"),
        "{}",
        r(0)
    );
    assert_eq!(r(1), r(2), "an init script by its path is `service`");
    assert_eq!(r(1)[0], 0);
    assert_eq!(
        r(3),
        serde_json::json!([
            127,
            "",
            "bash: /opt/tools/iscsiadm: No such file or directory\n"
        ])
    );
}

#[test]
fn virsh_lists_and_drives_the_hosts_own_domains() {
    let mut script = crate::repl::migration_lab_setup().to_string();
    let lines = [
        ("sv1", "virsh list"),
        ("sv1", "virsh suspend g && virsh domstate g"),
        ("sv1", "virsh destroy g; virsh list --all"),
        ("sv2", "virsh start g"),
        ("sv1", "virsh start g"),
        ("sv1", "virsh migrate --live g qemu+ssh://sv2/system"),
    ];
    for (i, (host, line)) in lines.iter().enumerate() {
        let quoted = serde_json::to_string(line).unwrap();
        script.push_str(&format!(
            "let r = {host}.sh({quoted});\nrecord(\"r{i}\", [r.status, r.stdout, r.stderr, r.code]);\n"
        ));
    }
    script.push_str("record(\"state\", g.state);\nrecord(\"migrations\", lab().migrations.map(|m| [m.guest, m.from, m.to, m.code]));\n");
    let out = Test::new().script(&script).json().status(0).run();
    let r = |i: usize| out.report["values"][format!("r{i}")].clone();
    assert_eq!(
        r(0)[1],
        " Id Name                 State\n----------------------------------\n  1 g                    running\n\n"
    );
    assert_eq!(r(1)[1], "Domain g suspended\n\npaused\n\n");
    assert_eq!(
        r(2)[1],
        "Domain g destroyed\n\n Id Name                 State\n----------------------------------\n  - g                    shut off\n\n"
    );
    assert_eq!(
        r(3),
        serde_json::json!([1, "", "error: failed to get domain 'g'\nerror: Domain not found: no domain with matching name 'g'\n\n", null])
    );
    assert_eq!(r(4)[1], "Domain g started\n\n");
    // g is on sv1's local disk: refused with the method's own code, and recorded.
    assert_eq!(r(5)[0], 1);
    assert_eq!(r(5)[3], "kvmlab::migrate::unsafe_storage");
    assert!(r(5)[2].as_str().unwrap().starts_with("error: "), "{}", r(5));
    assert_eq!(out.report["values"]["state"], "running");
    assert_eq!(
        out.report["values"]["migrations"],
        serde_json::json!([["g", "sv1", "sv2", "kvmlab::migrate::unsafe_storage"]])
    );
}

#[test]
fn virsh_migrate_live_moves_a_guest_on_the_nas_as_g_migrate_does() {
    let script = "import \"kvmlab/hosts\" as hosts;\nimport \"kvmlab/storage\" as storage;\n\
        let lab = hosts::build();\nlet sv1 = lab.sv1;\nlet sv2 = lab.sv2;\n\
        let nas = storage::build(lab);\n\
        sv1.store_file(\"/guest/iso/CentOS-5.6-i386-bin-DVD.iso\", size(\"3.9G\"));\n\
        let disk = nas.pools.sv1.create_volume(#{name: \"g.img\", capacity: \"20G\", allocation: 0});\n\
        let g = sv1.define_guest(#{name: \"g\", memory: \"512M\", iso: \"/guest/iso/CentOS-5.6-i386-bin-DVD.iso\",\n\
            disk: disk, cache: \"none\", network: #{bridge: \"br0\", address: \"192.168.1.20/24\"}});\n\
        g.install();\n\
        let r = sv1.sh(\"virsh migrate --live --verbose g qemu+ssh://sv2/system\");\n\
        record(\"r\", [r.status, r.stdout, r.stderr]);\n\
        record(\"there\", [g.host.name, sv2.sh(\"virsh domstate g\").stdout]);\n\
        let m = lab().migrations[0];\n\
        record(\"m\", [m.status, m.from, m.to]);\n\
        let bad = sv2.sh(\"virsh migrate --live g qemu+ssh://sv9/system\");\n\
        record(\"bad\", [bad.status, bad.stderr, bad.code]);\n";
    let out = Test::new().script(script).json().status(0).run();
    let values = &out.report["values"];
    assert_eq!(
        values["r"],
        serde_json::json!([0, "Migration: [100 %]\n", ""])
    );
    assert_eq!(values["there"], serde_json::json!(["sv2", "running\n\n"]));
    assert_eq!(values["m"], serde_json::json!(["completed", "sv1", "sv2"]));
    assert_eq!(
        values["bad"],
        serde_json::json!([1, "error: unable to connect to server at 'sv9:22': Name or service not known\nerror: failed to connect to the hypervisor\n", "kvmlab::query::no_such_host"])
    );
}

#[test]
fn ls_lists_the_hosts_files_and_the_images_of_a_mounted_file_system() {
    let script = "import \"kvmlab/hosts\" as hosts;\nimport \"kvmlab/storage\" as storage;\n\
        let lab = hosts::build();\nlet sv1 = lab.sv1;\nlet nas = storage::build(lab);\n\
        nas.pools.sv1.create_volume(#{name: \"g.img\", capacity: \"20G\", allocation: 0});\n\
        for (line, i) in [\"ls /etc/sysconfig/network-scripts\", \"ls -F /iscsi1 /etc/hosts\", \"ls /nowhere\", \"ls -l /\"] {\n\
            let r = sv1.sh(line);\n\
            record(`r${i}`, [r.status, r.stdout, r.stderr]);\n\
        }\n";
    let out = Test::new().script(script).json().status(0).run();
    let r = |i: usize| out.report["values"][format!("r{i}")].clone();
    assert_eq!(
        r(0),
        serde_json::json!([0, "ifcfg-br0\nifcfg-eth0\nifcfg-eth1\nifcfg-lo\n", ""])
    );
    assert_eq!(
        r(1),
        serde_json::json!([0, "/etc/hosts\n\n/iscsi1:\ng.img\nlost+found/\n", ""])
    );
    assert_eq!(
        r(2),
        serde_json::json!([
            2,
            "",
            "ls: cannot access /nowhere: No such file or directory\n"
        ])
    );
    assert_eq!(
        r(3),
        serde_json::json!([
            1,
            "",
            "kvmlab: `ls -l` prints dates and owners the lab does not keep\n"
        ])
    );
}

#[test]
fn unquoted_patterns_expand_to_the_hosts_paths_as_bash_expands_them() {
    let results = on_sv1(&[
        "echo note > notes.txt && echo *.txt",
        "ls /etc/sysconfig/network-scripts/ifcfg-eth?",
        "grep -c IPADDR /etc/sysconfig/network-scripts/ifcfg-*",
        "echo '*.txt' \"ifcfg-*\" /nope/*",
        "echo /e*/host[s]",
    ]);
    assert_eq!(results[0].1, "notes.txt\n");
    assert_eq!(
        results[1].1,
        "/etc/sysconfig/network-scripts/ifcfg-eth0\n/etc/sysconfig/network-scripts/ifcfg-eth1\n"
    );
    assert_eq!(
        results[2].1,
        "/etc/sysconfig/network-scripts/ifcfg-br0:1\n/etc/sysconfig/network-scripts/ifcfg-eth0:0\n/etc/sysconfig/network-scripts/ifcfg-eth1:1\n/etc/sysconfig/network-scripts/ifcfg-lo:1\n"
    );
    // Quoted, or matching nothing, a pattern stays as typed.
    assert_eq!(results[3].1, "*.txt ifcfg-* /nope/*\n");
    assert_eq!(results[4].1, "/etc/hosts\n");
}

#[test]
fn parted_typed_alone_at_the_console_reads_its_commands_up_to_quit() {
    let dir = tempfile::tempdir().unwrap();
    let typed = "import \"kvmlab/hosts\" as hosts;\nimport \"kvmlab/report\" as report;\n\
        import \"kvmlab/storage\" as storage;\nlet lab = hosts::build();\n\
        let box = nas(\"iscsi1\", report::nas_spec());\nbox.nic(\"eth0\").connect(lab.net2);\n\
        box.ip(\"eth0\", \"10.10.1.10/16\");\nbox.iscsi_target(\"iqn.2006-01.com.thecus:iscsi1\", \"100G\");\n\
        storage::log_in(lab.sv1, \"iqn.2006-01.com.thecus:iscsi1\");\n\
        :sh sv1\nparted /dev/sdb\nmklabel gpt\nmkpart primary ext3 0% 95GB\nquit\n\
        parted -s /dev/sdb print | grep primary\nexit\n:save lab.rhai\n";
    let out = crate::repl::repl_in(dir.path(), &[], typed);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let row = out.stdout.lines().find(|l| l.contains("primary"));
    assert_eq!(
        row.map(|l| l.split_whitespace().collect::<Vec<_>>()),
        Some(vec!["1", "1049kB", "95.0GB", "95.0GB", "primary"]),
        "{}",
        out.stdout
    );
    let saved = std::fs::read_to_string(dir.path().join("lab.rhai")).unwrap();
    assert!(
        saved.contains("sh(\"sv1\", \"parted /dev/sdb <<'EOF'\\nmklabel gpt\\nmkpart primary ext3 0% 95GB\\nquit\\nEOF\");\n"),
        "{saved}"
    );
}

/// The prompt's shell grammar and text tools against the real bash, coreutils and grep on
/// the same files: every line's stdout, stderr and status agree. Era differences would
/// show in messages (coreutils 8.4 quotes `like this', 9.x 'like this'); the lines here
/// are chosen among those whose words did not change.
#[test]
fn text_tools_and_the_grammar_agree_with_bash_and_coreutils() {
    let setup = "cat > a.txt <<EOF\nsv1 one\nsv2 two\nSV3 three\n\nlast line\nEOF";
    let lines = [
        "grep -i sv a.txt | wc -l",
        "grep -v one a.txt",
        "grep -c sv a.txt",
        "grep -n two a.txt",
        "grep -E 'one|two' a.txt",
        "grep -w sv a.txt; echo $?",
        "grep -e one -e three a.txt",
        "grep -c -e sv1 -e sv2 a.txt",
        "grep nothing a.txt || echo none",
        "head -n 2 a.txt",
        "tail -1 a.txt",
        "head -n 1 a.txt a.txt",
        "cat -n a.txt",
        "wc a.txt",
        "wc -l < a.txt",
        "echo \"a  b\" 'c $X' \\$x",
        "echo -e 'x\\ty'",
        "echo -n hi; echo",
        "false || echo $?",
        "true && echo yes; false && echo no",
        "cat a.txt missing.txt 2>&1 | tail -1",
        "echo one > b.txt && echo two >> b.txt && cat b.txt",
        "grep sv a.txt > c.txt; wc -c c.txt",
        "cat <<< 'here string'",
        "cat <<'EOF'\n$NOT expanded\nEOF",
        "grep -c '' a.txt",
        "tail -n 2 a.txt | head -n 1",
    ];
    let mut ours_lines = vec![setup];
    ours_lines.extend(lines.iter());
    let ours = on_sv1(&ours_lines);
    let dir = tempfile::tempdir().unwrap();
    let bash = |line: &str| {
        let out = std::process::Command::new("bash")
            .args(["--norc", "--noprofile", "-c", line])
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("LC_ALL", "C")
            .output()
            .expect("bash runs");
        (
            i64::from(out.status.code().unwrap()),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    assert_eq!(bash(setup).0, 0);
    for (i, line) in lines.iter().enumerate() {
        let (status, stdout, stderr, _) = &ours[i + 1];
        assert_eq!(
            (*status, stdout.clone(), stderr.clone()),
            bash(line),
            "{line}"
        );
    }
}

#[test]
fn an_option_the_prompts_tool_lacks_is_the_tools_error_and_names_the_ones_it_takes() {
    let results = on_sv1(&["grep -P x /etc/hosts", "wc --bytes /etc/hosts", "df -hx"]);
    assert_eq!(
        results[0],
        (
            2,
            String::new(),
            "grep: invalid option -- 'P'\nUsage: grep [OPTION]... PATTERN [FILE]...\nTry `grep --help' for more information.\n".into(),
            Value::from("kvmlab::shell::unknown_option")
        )
    );
    assert_eq!(
        results[1].2,
        "wc: unrecognized option '--bytes'\nTry `wc --help' for more information.\n"
    );
    assert_eq!(results[1].3, "kvmlab::shell::unknown_option");
    assert_eq!(
        results[2].2,
        "df: invalid option -- 'x'\nTry `df --help' for more information.\n"
    );
    let out = Test::new()
        .script(&format!(
            "{LAB}let r = sv1.sh(\"df -hx\");\nrecord(\"help\", r.help);\n"
        ))
        .json()
        .status(0)
        .run();
    assert_eq!(out.report["values"]["help"], "df here takes -h, -P");
}

#[test]
fn the_base_commands_a_lab_leans_on_answer_as_rhel_6s() {
    let results = on_sv1(&[
        "pwd && whoami && uname -r && uname -n",
        "egrep -c '(vmx|svm)' /proc/cpuinfo",
        "grep -c processor /proc/cpuinfo",
        "grep MemTotal /proc/meminfo",
        "echo '10.10.1.20 sv30' | tee -a /etc/hosts && tail -1 /etc/hosts",
        "touch /root/empty && wc -c /root/empty",
        "printf x; echo 3 > n && echo 10 >> n && echo 2 >> n && sort -n n && sort n && sort -ru n",
    ]);
    assert_eq!(
        results[0].1,
        "/root\nroot\n2.6.32-131.0.15.el6.x86_64\nsv1\n"
    );
    // The report's Phenom II: four cores with AMD-V.
    assert_eq!(results[1].1, "4\n");
    assert_eq!(results[2].1, "4\n");
    assert_eq!(results[3].1, "MemTotal:       16777216 kB\n");
    assert_eq!(results[4].1, "10.10.1.20 sv30\n10.10.1.20 sv30\n");
    assert_eq!(results[5].1, "0 /root/empty\n");
    // printf is not at the prompt (status 2), and `;` goes on as bash's does.
    assert_eq!(results[6].1, "2\n3\n10\n10\n2\n3\n3\n2\n10\n");
}

#[test]
fn a_rhel_6_command_the_prompt_does_not_run_says_what_to_do_instead() {
    let results = on_sv1(&["vi /etc/hosts", "cd /etc", "ssh sv2", "lsblk"]);
    assert_eq!(
        results[0],
        (
            2,
            String::new(),
            "kvmlab: `vi` is on RHEL 6 but not at this prompt\n".into(),
            Value::from("kvmlab::shell::unsupported")
        )
    );
    assert_eq!(
        results[1].2,
        "kvmlab: `cd` is on RHEL 6 but not at this prompt\n"
    );
    assert_eq!(results[2].0, 2);
    // lsblk came with util-linux 2.19, after RHEL 6.1's 2.17.
    assert_eq!(
        (results[3].0, results[3].3.clone()),
        (127, Value::from("kvmlab::host::command_not_found"))
    );
    let out = Test::new()
        .script(&format!(
            "{LAB}record(\"help\", sv1.sh(\"vi /etc/hosts\").help);\n"
        ))
        .json()
        .status(0)
        .run();
    assert!(
        out.report["values"]["help"]
            .as_str()
            .unwrap()
            .contains("cat > /etc/hosts <<EOF"),
        "{}",
        out.report["values"]["help"]
    );
}

#[test]
fn ping_without_a_count_stops_after_four_echoes_as_a_trainee_would_stop_it() {
    let results = on_sv1(&["ping sv2", "ping nowhere"]);
    assert_eq!(results[0].0, 0);
    assert!(
        results[0].1.ends_with("4 packets transmitted, 4 received, 0% packet loss, time 3000ms\nrtt min/avg/max/mdev = 0.149/0.149/0.149/0.000 ms\n"),
        "{}",
        results[0].1
    );
    assert_eq!(results[0].1.matches("icmp_seq=").count(), 4);
    assert_eq!(results[0].3, "kvmlab::shell::stopped");
    // A name that does not resolve is ping's error, not the stop.
    assert_eq!(results[1].2, "ping: unknown host nowhere\n");
    assert_ne!(results[1].3, "kvmlab::shell::stopped");
}
