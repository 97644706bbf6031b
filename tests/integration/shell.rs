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
            1,
            "kvmlab::shell::unsupported",
            "give a count: `ping -c 4 sv2`"
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
        "iscsiadm -m session",
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
            "kvmlab: `iscsiadm` is not one of this prompt's commands yet\n"
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
