//! An iSCSI session losing its path to the NAS under a running guest: the I/O held for the
//! replacement timeout, then failed; ext3 on the host and the guest's own file system going
//! read-only, or QEMU pausing the guest with `error_policy: "stop"`; and every step the
//! help lines name, applied, bringing the lab back.

use crate::faults::{run, said, ON_ISCSI};
use serde_json::json;

/// The NAS with a second target whose LUN is a libvirt iscsi pool on both hosts, and db on
/// it with `error_policy`. Lines 11 to 20 (after ON_ISCSI): a test's own lines start at 21.
fn on_a_lun(policy: &str) -> String {
    format!(
        "{ON_ISCSI}let box = nas(\"nas2\", #{{model: \"Thecus N7700PRO\", disks: 4, disk_size: \"1T\", raid: 5, data_percent: 50}});
box.nic(\"eth0\").connect(lab.net2);
box.ip(\"eth0\", \"10.10.1.20/16\");
box.iscsi_target(\"iqn.2011-06.com.thecus:vm\", \"30G\");
for h in [sv1, sv2] {{ h.iscsi_discover(\"10.10.1.20\"); h.iscsi_login(\"iqn.2011-06.com.thecus:vm\"); }}
let luns = [];
for h in [sv1, sv2] {{ luns.push(h.define_pool(#{{name: \"lun\", type: \"iscsi\", target: \"/dev/disk/by-path\", host: \"10.10.1.20\", iqn: \"iqn.2011-06.com.thecus:vm\"}})); }}
let db = sv1.define_guest(#{{name: \"db\", memory: \"512M\", iso: \"/guest/iso/c.iso\", disk: luns[0].volumes()[0], error_policy: {policy}, network: #{{bridge: \"br0\", address: \"192.168.1.21/24\"}}}});
db.install();
"
    )
}

#[test]
fn a_path_back_within_the_replacement_timeout_only_held_the_io() {
    let out = run(
        ON_ISCSI,
        "let t = clock();
fault(#{at: t + 10.0, kind: \"unplug\", host: \"sv1\", nic: \"eth1\"});
fault(#{at: t + 70.0, kind: \"plug\", host: \"sv1\", nic: \"eth1\"});
sleep(40.0);
record(\"during\", [g.disk_state, g.state]);
let tree = sv1.sh(\"iscsiadm -m session -P 3\").stdout.split(\"\\n\");
record(\"tree\", tree.filter(|l| l.contains(\"State\")).map(|l| { let s = l; s.trim(); s }));
let refused = expect_error(|| g.migrate(sv2), \"kvmlab::guest::disk_path_down\");
sleep(40.0);
record(\"after\", [g.disk_state, g.state, sv1.sh(\"iscsiadm -m session -P 1\").stdout.contains(\"Session State: LOGGED_IN\")]);
record(\"migrated\", g.migrate(sv2).status);
",
        0,
    );
    let values = &out.report["values"];
    assert_eq!(values["during"], json!(["waiting", "running"]));
    assert_eq!(
        values["tree"],
        json!([
            "iSCSI Connection State: TRANSPORT WAIT",
            "iSCSI Session State: FAILED",
            "Internal iscsid Session State: REOPEN",
            "Host Number: 1\tState: running",
            "Attached scsi disk sdb\t\tState: blocked"
        ])
    );
    assert_eq!(values["after"], json!(["ok", "running", true]));
    assert_eq!(values["migrated"], "completed");
    let (message, help) = said(&out, "kvmlab::storage::path_lost");
    assert_eq!(
        message,
        "sv1 lost its path to the NAS at 10.10.1.10:3260,1 at 358.8 s (no route to host): the I/O of its iSCSI session 1 to iqn.2006-01.com.openfiler:tsn.b5ffc134d692 waits, and with it web1's disk /iscsi1/web1.img"
    );
    assert_eq!(
        help,
        "sv1 cannot reach 10.10.1.10: on sv1, eth1 has no carrier: its cable is pulled out; plug eth1's cable back in (`sv1.nic(\"eth1\").plug()`); open-iscsi notices in 10 s (its 5 s NOP-Out goes unanswered for 5 s) and holds the I/O for node.session.timeo.replacement_timeout, 120 s: with the path back before 488.8 s, nothing fails"
    );
    let (message, _) = said(&out, "kvmlab::storage::path_back");
    assert_eq!(
        message,
        "sv1's iSCSI session 1 to iqn.2006-01.com.openfiler:tsn.b5ffc134d692 has its path back after 60.0 s and logged in again: the I/O held for web1 goes on, and nothing failed"
    );
    let checks = out.report["steps"][0]["checks"].to_string();
    assert!(
        checks.contains("migration refused: web1's disk /iscsi1/web1.img is on sv1's iSCSI session to iqn.2006-01.com.openfiler:tsn.b5ffc134d692, which has had no path to the NAS since 358.8 s: its I/O is held until the replacement timeout ends at 488.8 s"),
        "{checks}"
    );
    assert!(out.report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["code"] != "kvmlab::storage::io_failed"));
}

#[test]
fn past_the_replacement_timeout_ext3_goes_read_only_and_the_help_brings_it_back() {
    let out = run(
        ON_ISCSI,
        "fault(#{at: clock() + 10.0, kind: \"unplug\", host: \"sv1\", nic: \"eth1\"});
sleep(200.0);
record(\"failed\", [g.disk_state, g.state, sv1.sh(\"mount | grep iscsi1\").stdout]);
sv1.nic(\"eth1\").plug();
sleep(1.0);
let copy = expect_error(|| g.serve_file(\"/var/ftp/pub/a.iso\", size(\"1M\")), \"kvmlab::guest::read_only_disk\");
record(\"back\", g.disk_state);
g.shutdown();
let early = expect_error(|| g.start(), \"kvmlab::guest::read_only_disk\");
sv1.sh(\"umount /iscsi1\");
sv1.sh(\"mount /dev/sdb1 /iscsi1\");
g.start();
record(\"mended\", [g.disk_state, g.state, sv1.sh(\"mount | grep iscsi1\").stdout]);
record(\"migrated\", g.migrate(sv2).status);
",
        0,
    );
    let values = &out.report["values"];
    assert_eq!(
        values["failed"],
        json!([
            "read-only",
            "running",
            "/dev/sdb1 on /iscsi1 type ext3 (ro)\n"
        ])
    );
    assert_eq!(values["back"], "read-only");
    assert_eq!(
        values["mended"],
        json!(["ok", "running", "/dev/sdb1 on /iscsi1 type ext3 (rw)\n"])
    );
    assert_eq!(values["migrated"], "completed");
    let (message, help) = said(&out, "kvmlab::storage::io_failed");
    assert_eq!(
        message,
        "sv1: session1: session recovery timed out after 120 secs: I/O to /dev/sdb fails: ext3 on /iscsi1 aborted its journal and went read-only; web1 saw the write errors (QEMU's default, werror=enospc, reports it) and its file system went read-only"
    );
    assert_eq!(
        help,
        "bring the path back (sv1 cannot reach 10.10.1.10: on sv1, eth1 has no carrier: its cable is pulled out; plug eth1's cable back in (`sv1.nic(\"eth1\").plug()`)) and the session logs in again by itself; then shut web1 down (`web1.shutdown()`); mount /iscsi1 again once no guest runs from it (`sv1.sh(\"umount /iscsi1\")`, then `sv1.sh(\"mount /dev/sdb1 /iscsi1\")`: ext3 replays its journal); start it again (`web1.start()`): a guest's file system is checked as it boots"
    );
    let (message, _) = said(&out, "kvmlab::storage::path_back");
    assert_eq!(
        message,
        "sv1's iSCSI session 1 to iqn.2006-01.com.openfiler:tsn.b5ffc134d692 has its path back after 190.0 s and logged in again: new I/O works, but what failed stays failed"
    );
    let checks = out.report["steps"][0]["checks"].to_string();
    assert!(
        checks.contains(
            "web1 cannot write its disk /iscsi1/web1.img: sv1's ext3 /iscsi1 is read-only since ext3 aborted its journal"
        ),
        "{checks}"
    );
}

#[test]
fn error_policy_stop_pauses_the_guest_and_a_resume_after_the_path_returns_loses_nothing() {
    let out = run(
        &on_a_lun("\"stop\""),
        "fault(#{at: clock() + 5.0, kind: \"unplug\", host: \"sv1\", nic: \"eth1\"});
sleep(200.0);
record(\"failed\", [db.state, db.disk_state, g.state, g.disk_state, sv1.sh(\"virsh domstate db --reason\").stdout]);
let early = expect_error(|| db.resume(), \"kvmlab::guest::disk_path_down\");
sv1.nic(\"eth1\").plug();
sleep(1.0);
db.resume();
record(\"resumed\", [db.state, db.disk_state]);
let xml = sv1.sh(\"virsh dumpxml db | grep error_policy\").stdout;
xml.trim();
record(\"xml\", xml);
record(\"migrated\", db.migrate(sv2).status);
",
        0,
    );
    let values = &out.report["values"];
    // web1's image is on /iscsi1, on the NAS's first target: sv1's eth1 carries both.
    assert_eq!(
        values["failed"],
        json!([
            "paused",
            "paused on I/O error",
            "running",
            "read-only",
            "paused (I/O error)\n\n"
        ])
    );
    assert_eq!(values["resumed"], json!(["running", "ok"]));
    assert_eq!(
        values["xml"],
        "<driver name='qemu' type='raw' cache='none' error_policy='stop'/>"
    );
    assert_eq!(values["migrated"], "completed");
    let failed: Vec<String> = out.report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "kvmlab::storage::io_failed")
        .map(|d| d["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        failed.contains(&"sv1: session2: session recovery timed out after 120 secs: I/O to /dev/sdc fails: QEMU paused db (error_policy stop)".to_string()),
        "{failed:?}"
    );
}

#[test]
fn error_policy_ignore_drops_the_writes_and_a_bad_policy_is_refused_by_name() {
    let out = run(
        &on_a_lun("\"ignore\""),
        "fault(#{at: clock() + 5.0, kind: \"unplug\", host: \"sv1\", nic: \"eth1\"});
sleep(200.0);
sv1.nic(\"eth1\").plug();
sleep(1.0);
record(\"after\", [db.state, db.disk_state]);
let moved = expect_error(|| db.migrate(sv2), \"kvmlab::guest::disk_io_error\");
",
        0,
    );
    assert_eq!(out.report["values"]["after"], json!(["running", "damaged"]));
    let checks = out.report["steps"][0]["checks"].to_string();
    assert!(checks.contains("its writes were dropped when sv1's iSCSI session to iqn.2011-06.com.thecus:vm failed its I/O, and it was told they succeeded (error_policy ignore)"), "{checks}");

    let out = run(&on_a_lun("\"pause\""), "", 2);
    let (message, help) = said(&out, "kvmlab::spec::bad_value");
    assert!(
        message.contains("`pause` is not an error policy"),
        "{message}"
    );
    assert_eq!(help, "write one of default, report, stop, enospace, ignore");
}

#[test]
fn the_nas_cable_pulled_holds_every_hosts_io_and_names_the_cable() {
    let out = run(
        ON_ISCSI,
        "st.nas.nic(\"eth0\").unplug();
sleep(20.0);
record(\"during\", g.disk_state);
st.nas.nic(\"eth0\").plug();
sleep(1.0);
record(\"after\", g.disk_state);
",
        0,
    );
    assert_eq!(out.report["values"]["during"], "waiting");
    assert_eq!(out.report["values"]["after"], "ok");
    let lost: Vec<(String, String)> = out.report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "kvmlab::storage::path_lost")
        .map(|d| {
            (
                d["message"].as_str().unwrap()[..3].to_string(),
                d["help"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(lost.len(), 2, "{lost:?}");
    assert_eq!(lost[0].0, "sv1");
    assert_eq!(lost[1].0, "sv2");
    assert!(
        lost[1].1.starts_with("sv2 cannot reach 10.10.1.10: sv2 sends to 10.10.1.10 out of eth1, but nothing on NET2 answers for it; 10.10.1.10 is iscsi1's eth0, whose cable is pulled out: plug it back in (`iscsi1.nic(\"eth0\").plug()`); open-iscsi notices in 10 s"),
        "{}",
        lost[1].1
    );
    let (message, _) = said(&out, "kvmlab::storage::path_back");
    assert!(message.ends_with("has its path back after 20.0 s and logged in again: the I/O held for web1 goes on, and nothing failed"), "{message}");
}
