//! The read-only query API (`lab()`): every query answers from a real lab's state with the
//! values the lab holds, a name the lab lacks is an error with its code, line and help, and
//! no query changes the world.

use crate::harness::Test;
use serde_json::{json, Value};

/// The report's hosts and networks, sv1 and sv2 (kvmlab/hosts), named as a lab names them.
const HOSTS: &str = "import \"kvmlab/hosts\" as hosts;\n\
    import \"kvmlab/storage\" as storage;\n\
    let net = hosts::build();\n\
    let sv1 = net.sv1;\n\
    let sv2 = net.sv2;\n";

/// The report's NAS, its target logged in and mounted on /iscsi1 on both hosts, a pool on it.
const STORAGE: &str = "let st = storage::build(net);\n";

/// centos-nz2 installed on the shared pool, running on sv1.
const GUEST: &str = "sv1.store_file(\"/guest/iso/CentOS-5.6-i386-bin-DVD.iso\", size(\"3.9G\"));\n\
    let vm = sv1.define_guest(#{name: \"centos-nz2\", memory: \"512M\", iso: \"/guest/iso/CentOS-5.6-i386-bin-DVD.iso\", disk: st.pools.sv1.create_volume(#{name: \"centos-nz2.img\", capacity: \"20G\", allocation: 0}), network: #{bridge: \"br0\", address: \"192.168.1.20/24\"}});\n\
    vm.install();\n\
    vm.workload(#{used: \"200M\"});\n";

/// Runs `script` (which exits 0) and gives its recorded values.
fn values(script: &str) -> Value {
    let out = Test::new().script(script).json().status(0).run();
    out.report["values"].clone()
}

#[test]
fn host_queries_answer_from_the_network_as_it_is() {
    let v = values(&format!(
        "{HOSTS}let h = lab().host(\"sv1\");\n\
         record(\"interfaces\", h.interfaces);\n\
         record(\"addresses\", [h.address(\"br0\"), h.address(\"eth1\"), h.address(\"eth0\")]);\n\
         record(\"gateway\", h.gateway);\n\
         record(\"resolve\", [h.resolve(\"sv2\"), h.resolve(\"sv20\"), h.resolve(\"sv3\")]);\n\
         record(\"ping\", [h.ping(\"sv2\"), h.ping(\"sv20\"), h.ping(\"192.168.1.99\")]);\n\
         record(\"host\", #{{name: h.name, installed: h.installed, kvm: h.kvm, boots: h.boots}});\n\
         record(\"files\", [h.has_file(\"/etc/hosts\"), h.has_file(\"/etc/nothing\"), h.file(\"/etc/nothing\"), h.files.contains(\"/etc/sysconfig/network\")]);\n\
         record(\"hosts_file\", h.file(\"/etc/hosts\") == sv1.read_file(\"/etc/hosts\"));\n\
         record(\"lab\", #{{hosts: lab().hosts, switches: lab().switches, has: [lab().has_host(\"sv2\"), lab().has_host(\"sv3\")]}});\n"
    ));
    assert_eq!(
        v["interfaces"],
        json!([
            {"name": "lo", "address": "127.0.0.1/8", "up": true, "switch": "", "net": ""},
            {"name": "eth0", "address": "", "up": true, "switch": "NET1", "net": "NET1"},
            {"name": "eth1", "address": "10.10.1.11/24", "up": true, "switch": "NET2", "net": "NET2"},
            {"name": "br0", "address": "192.168.1.11/24", "up": true, "switch": "NET1", "net": "NET1"},
        ])
    );
    assert_eq!(v["addresses"], json!(["192.168.1.11", "10.10.1.11", null]));
    assert_eq!(v["gateway"], json!("192.168.1.1"));
    assert_eq!(v["resolve"], json!(["192.168.1.12", "10.10.1.12", null]));
    assert_eq!(v["ping"], json!([true, true, false]));
    assert_eq!(
        v["host"],
        json!({"name": "sv1", "installed": true, "kvm": true, "boots": 0})
    );
    assert_eq!(v["files"], json!([true, false, null, true]));
    assert_eq!(v["hosts_file"], json!(true));
    assert_eq!(
        v["lab"],
        json!({"hosts": ["sv1", "sv2"], "switches": ["NET1", "NET2"], "has": [true, false]})
    );
}

#[test]
fn a_cable_pulled_and_a_reboot_show_in_the_answers() {
    let v = values(&format!(
        "{HOSTS}sv1.nic(\"eth1\").disconnect();\n\
         sv2.reboot();\n\
         sv2.reboot();\n\
         let eth1 = lab().host(\"sv1\").interfaces.filter(|i| i.name == \"eth1\")[0];\n\
         record(\"eth1\", eth1);\n\
         record(\"ping\", lab().host(\"sv1\").ping(\"sv20\"));\n\
         record(\"boots\", [lab().host(\"sv1\").boots, lab().host(\"sv2\").boots]);\n"
    ));
    assert_eq!(
        v["eth1"],
        json!({"name": "eth1", "address": "10.10.1.11/24", "up": false, "switch": "", "net": ""})
    );
    assert_eq!(v["ping"], json!(false));
    assert_eq!(v["boots"], json!([0, 2]));
}

#[test]
fn storage_queries_give_mounts_fstab_services_and_iscsi_sessions() {
    let v = values(&format!(
        "{HOSTS}{STORAGE}let h = lab().host(\"sv1\");\n\
         record(\"mount\", h.mount(\"/iscsi1\"));\n\
         record(\"mounted\", [h.mounted(\"/iscsi1\"), h.mounted(\"/data\"), h.mount(\"/data\")]);\n\
         record(\"targets\", h.mounts.map(|m| m.target));\n\
         record(\"fstab\", h.fstab.filter(|e| e.target == \"/iscsi1\" || e.target == \"/\").map(|e| [e.device.sub_string(0, 5), e.target, e.fstype, e.options, e.dump, e.pass]));\n\
         record(\"services\", [h.service(\"iscsi\"), h.service(\"libvirtd\"), h.service(\"nfs\")]);\n\
         record(\"packages\", [h.has_package(\"iscsi-initiator-utils\"), h.has_package(\"device-mapper-multipath\")]);\n\
         record(\"iscsi\", #{{sessions: h.iscsi_sessions, nodes: h.iscsi_nodes, automatic: h.iscsi_automatic(st.target), other: h.iscsi_automatic(\"iqn.2011-06.com.example:none\")}});\n\
         sv1.iscsi_startup(st.target, false);\n\
         record(\"manual\", lab().host(\"sv1\").iscsi_automatic(st.target));\n\
         record(\"pools\", h.pools);\n\
         record(\"pool\", [h.pool(\"iscsi1\").active, h.pool(\"images\")]);\n\
         st.pools.sv1.create_volume(#{{name: \"a.img\", capacity: \"1G\"}});\n\
         record(\"volumes\", h.volumes(\"iscsi1\"));\n\
         let df = h.df(\"/iscsi1\");\n\
         record(\"df\", df);\n\
         record(\"df_rows\", sv1.df(\"/iscsi1\").rows[0].filesystem);\n\
         record(\"nas\", #{{names: lab().nases, targets: lab().nas(\"iscsi1\").targets, shares: lab().nas(\"iscsi1\").shares, name: lab().nas(\"iscsi1\").name}});\n"
    ));
    assert_eq!(
        v["mount"],
        json!({"source": "/dev/sdb1", "target": "/iscsi1", "fstype": "ext3", "options": "defaults", "lost": false})
    );
    assert_eq!(v["mounted"], json!([true, false, null]));
    assert_eq!(v["targets"], json!(["/", "/guest", "/iscsi1"]));
    assert_eq!(
        v["fstab"],
        json!([
            ["UUID=", "/", "ext4", "defaults", 1, 1],
            ["/dev/", "/iscsi1", "ext3", "_netdev", 0, 0],
        ])
    );
    assert_eq!(
        v["services"],
        json!([
            {"running": true, "enabled": true},
            {"running": true, "enabled": true},
            {"running": false, "enabled": false},
        ])
    );
    assert_eq!(v["packages"], json!([true, false]));
    let target = "iqn.2006-01.com.openfiler:tsn.b5ffc134d692";
    assert_eq!(
        v["iscsi"],
        json!({"sessions": [target], "nodes": [target], "automatic": true, "other": false})
    );
    assert_eq!(v["manual"], json!(false));
    assert_eq!(
        v["pools"],
        json!([{"name": "iscsi1", "kind": "dir", "active": true, "autostart": true, "target": "/iscsi1"}])
    );
    assert_eq!(v["pool"], json!([true, null]));
    assert_eq!(
        v["volumes"],
        json!([{"name": "a.img", "path": "/iscsi1/a.img", "capacity": 1073741824}])
    );
    let df = &v["df"];
    assert_eq!(df["filesystem"], json!("/dev/sdb1"));
    assert_eq!(df["mounted_on"], json!("/iscsi1"));
    assert_eq!(df["size"], json!(93_507_903_488u64));
    let (used, available) = (
        df["used"].as_u64().unwrap(),
        df["available"].as_u64().unwrap(),
    );
    // ext3 keeps 5 % for root: used + available is less than the size.
    assert!(used + available < 93_507_903_488, "{df}");
    assert_eq!(v["df_rows"], json!("/dev/sdb1"));
    assert_eq!(
        v["nas"],
        json!({"names": ["iscsi1"], "targets": [target], "shares": [], "name": "iscsi1"})
    );
}

#[test]
fn a_host_without_an_os_answers_none_and_empty() {
    let v = values(
        "import \"kvmlab/report\" as report;\n\
         let h = host(\"bare\", report::server_spec());\n\
         let q = lab().host(\"bare\");\n\
         record(\"bare\", #{installed: q.installed, file: q.file(\"/etc/hosts\"), files: q.files, service: q.service(\"network\"), mounts: q.mounts, fstab: q.fstab, sessions: q.iscsi_sessions, pools: q.pools, resolve: q.resolve(\"sv1\"), gateway: q.gateway, boots: q.boots, pkg: q.has_package(\"initscripts\")});\n",
    );
    assert_eq!(
        v["bare"],
        json!({"installed": false, "file": null, "files": [], "service": {"running": false, "enabled": false}, "mounts": [], "fstab": [], "sessions": [], "pools": [], "resolve": null, "gateway": null, "boots": 0, "pkg": false})
    );
}

#[test]
fn guest_queries_and_a_completed_migration_with_its_downtime() {
    let v = values(&format!(
        "{HOSTS}{STORAGE}{GUEST}record(\"before\", #{{guests: lab().guests, on_sv1: lab().host(\"sv1\").guests, visible: lab().guest(\"centos-nz2\").disk_visible_from(\"sv2\")}});\n\
         let r = vm.migrate(sv2);\n\
         record(\"result\", #{{downtime: r.downtime, total_time: r.total_time, transferred: r.transferred, iterations: r.iterations, started: r.started}});\n\
         record(\"migrations\", lab().migrations);\n\
         let g = lab().guest(\"centos-nz2\");\n\
         record(\"guest\", #{{name: g.name, host: g.host, state: g.state, disk: g.disk, memory: g.memory, vcpus: g.vcpus, disk_error: g.disk_error, files: g.files, has: [lab().has_guest(\"centos-nz2\"), lab().has_guest(\"centos\")]}});\n"
    ));
    assert_eq!(
        v["before"],
        json!({"guests": ["centos-nz2"], "on_sv1": ["centos-nz2"], "visible": true})
    );
    let result = &v["result"];
    let migrations = v["migrations"].as_array().unwrap();
    assert_eq!(migrations.len(), 1);
    let m = &migrations[0];
    assert_eq!(
        (&m["guest"], &m["from"], &m["to"], &m["status"], &m["code"]),
        (
            &json!("centos-nz2"),
            &json!("sv1"),
            &json!("sv2"),
            &json!("completed"),
            &Value::Null
        )
    );
    // The history holds what the migration's own result says, to the last digit.
    assert_eq!(m["downtime_ms"], result["downtime"]);
    assert_eq!(m["total_time"], result["total_time"]);
    assert_eq!(m["transferred"], result["transferred"]);
    assert_eq!(m["iterations"], result["iterations"]);
    assert_eq!(m["started"], result["started"]);
    assert_eq!(m["downtime_ms"], json!(71.091617));
    assert_eq!(m["iterations"], json!(3));
    assert_eq!(
        (&m["memory_intact"], &m["postcopy"]),
        (&json!(true), &json!(false))
    );
    assert_eq!(
        v["guest"],
        json!({"name": "centos-nz2", "host": "sv2", "state": "running", "disk": "/iscsi1/centos-nz2.img", "memory": 536870912, "vcpus": 1, "disk_error": null, "files": [], "has": [true, false]})
    );
}

#[test]
fn a_refused_migration_is_listed_with_its_code() {
    // The guest's disk on sv1's own disk: sv2 cannot see it, libvirt refuses.
    let v = values(&format!(
        "{HOSTS}sv1.mkdir(\"/guest/images\");\n\
         let local = sv1.define_pool(#{{name: \"images\", type: \"dir\", target: \"/guest/images\"}});\n\
         sv1.store_file(\"/guest/iso/CentOS-5.6-i386-bin-DVD.iso\", size(\"3.9G\"));\n\
         let vm = sv1.define_guest(#{{name: \"web\", memory: \"256M\", iso: \"/guest/iso/CentOS-5.6-i386-bin-DVD.iso\", disk: local.create_volume(#{{name: \"web.img\", capacity: \"8G\", allocation: 0}}), network: #{{bridge: \"br0\", address: \"192.168.1.21/24\"}}}});\n\
         vm.install();\n\
         record(\"visible\", lab().guest(\"web\").disk_visible_from(\"sv2\"));\n\
         let t = clock();\n\
         expect_error(|| vm.migrate(sv2), \"kvmlab::migrate::unsafe_storage\");\n\
         record(\"clock\", t);\n\
         record(\"migrations\", lab().migrations);\n\
         record(\"where\", lab().guest(\"web\").host);\n"
    ));
    assert_eq!(v["visible"], json!(false));
    assert_eq!(
        v["migrations"],
        json!([{
            "guest": "web", "from": "sv1", "to": "sv2", "status": "refused",
            "code": "kvmlab::migrate::unsafe_storage",
            "downtime_ms": 0.0, "total_time": 0.0, "transferred": 0, "iterations": 0,
            "memory_intact": false, "postcopy": false, "started": v["clock"].clone(),
        }])
    );
    assert_eq!(v["where"], json!("sv1"));
}

#[test]
fn downloads_show_progress_then_whether_the_file_arrived_intact() {
    let v = values(&format!(
        "{HOSTS}{STORAGE}{GUEST}vm.serve_file(\"/var/ftp/pub/big.iso\", size(\"200M\"));\n\
         let pc = client(\"pc\", #{{net: net.net1, address: \"192.168.1.100/24\", speed: \"100Mbit/s\"}});\n\
         let ftp = pc.download(vm, \"/var/ftp/pub/big.iso\");\n\
         sleep(5);\n\
         record(\"running\", lab().downloads[0]);\n\
         record(\"bytes\", ftp.bytes);\n\
         ftp.wait();\n\
         record(\"done\", lab().downloads[0]);\n\
         record(\"finished\", ftp.finished);\n\
         vm.serve_file(\"/var/ftp/pub/big.iso\", size(\"200M\"));\n\
         record(\"replaced\", lab().downloads[0].intact);\n"
    ));
    let running = &v["running"];
    assert_eq!(
        (
            &running["client"],
            &running["guest"],
            &running["path"],
            &running["size"]
        ),
        (
            &json!("pc"),
            &json!("centos-nz2"),
            &json!("/var/ftp/pub/big.iso"),
            &json!(209_715_200)
        )
    );
    assert_eq!(running["bytes"], v["bytes"]);
    assert!(running["bytes"].as_u64().unwrap() > 0, "{running}");
    assert_eq!(
        (&running["done"], &running["intact"], &running["finished"]),
        (&json!(false), &json!(false), &Value::Null)
    );
    let done = &v["done"];
    assert_eq!(
        (&done["done"], &done["intact"], &done["bytes"]),
        (&json!(true), &json!(true), &json!(209_715_200))
    );
    assert_eq!(done["finished"], v["finished"]);
    assert_eq!(done["started"], running["started"]);
    // The guest's file is another one now: what arrived is not it.
    assert_eq!(v["replaced"], json!(false));
}

#[test]
fn diagnostics_are_found_by_code_and_line() {
    let script = format!(
        "{HOSTS}sv1.write_file(\"/etc/hosts\", \"127.0.0.1 localhost\\nsv2 192.168.1.12\\n\");\n\
         sv1.append_file(\"/etc/hosts\", \"sv20 10.10.1.12\\n\");\n\
         let d = lab().diagnostics;\n\
         record(\"diagnostics\", d.map(|d| [d.code, d.severity, d.file, d.line]));\n\
         record(\"message\", d[0].message);\n\
         record(\"raised\", [lab().raised(\"kvmlab::net::hosts_reversed\"), lab().raised(\"kvmlab::net::unresolved\")]);\n\
         record(\"raised_at\", lab().raised_at(\"kvmlab::net::hosts_reversed\"));\n"
    );
    let first = HOSTS.lines().count() + 1;
    let out = Test::new()
        .script(&script)
        .json()
        .status(0)
        .diagnostic("kvmlab::net::hosts_reversed", first)
        .diagnostic("kvmlab::net::hosts_reversed", first + 1)
        .run();
    let v = &out.report["values"];
    let reversed =
        |line: usize| json!(["kvmlab::net::hosts_reversed", "warning", "lab.rhai", line]);
    assert_eq!(
        v["diagnostics"],
        json!([reversed(first), reversed(first + 1)])
    );
    assert_eq!(
        v["message"],
        json!("/etc/hosts line 2: `sv2 192.168.1.12` has its fields reversed, so glibc ignores the line")
    );
    assert_eq!(v["raised"], json!([2, 0]));
    assert_eq!(v["raised_at"], json!([first, first + 1]));
}

#[test]
fn repeats_of_a_warning_count_in_raised() {
    let script = format!(
        "{HOSTS}for i in 0..8 {{ sv1.write_file(\"/etc/hosts\", \"sv2 192.168.1.12\\n\"); }}\n\
         record(\"raised\", lab().raised(\"kvmlab::net::hosts_reversed\"));\n\
         record(\"recorded\", lab().raised_at(\"kvmlab::net::hosts_reversed\").len());\n"
    );
    let v = values(&script);
    // Five are recorded at the line, the other three only counted: all eight were raised.
    assert_eq!(v["raised"], json!(8));
    assert_eq!(v["recorded"], json!(5));
}

#[test]
fn output_lists_the_lines_printed_so_far() {
    let v = values(
        "print(\"one\");\n\
         print(\"two\\nthree\");\n\
         debug(4);\n\
         record(\"output\", lab().output);\n\
         record(\"clock\", lab().clock);\n",
    );
    assert_eq!(v["output"], json!(["one", "two", "three", "4"]));
    assert_eq!(v["clock"], json!(0.0));
}

#[test]
fn a_host_the_lab_lacks_is_an_error_with_the_hosts_it_has() {
    let line = HOSTS.lines().count() + 1;
    Test::new()
        .script(&format!("{HOSTS}let h = lab().host(\"sv3\");\n"))
        .status(2)
        .diagnostic("kvmlab::query::no_such_host", line)
        .stderr("the lab has no host `sv3`")
        .stderr("help: did you mean `sv1`? hosts in the lab: sv1, sv2")
        .run();
    Test::new()
        .script("let h = lab().host(\"sv1\");\n")
        .status(2)
        .diagnostic("kvmlab::query::no_such_host", 1)
        .stderr("help: there are no hosts in the lab")
        .run();
    // A check can ask first, and a script can catch it.
    let v = values(&format!(
        "{HOSTS}let code = ();\n\
         try {{ lab().host(\"SV2\"); }} catch (e) {{ code = [e.code, e.help]; }}\n\
         record(\"caught\", code);\n"
    ));
    assert_eq!(
        v["caught"],
        json!([
            "kvmlab::query::no_such_host",
            "did you mean `sv2`? hosts in the lab: sv1, sv2"
        ])
    );
}

#[test]
fn a_guest_or_nas_the_lab_lacks_is_an_error_too() {
    let line = HOSTS.lines().count() + STORAGE.lines().count() + GUEST.lines().count() + 1;
    Test::new()
        .script(&format!(
            "{HOSTS}{STORAGE}{GUEST}let g = lab().guest(\"centos-nz\");\n"
        ))
        .status(2)
        .diagnostic("kvmlab::query::no_such_guest", line)
        .stderr("the lab has no guest `centos-nz`")
        .stderr("help: did you mean `centos-nz2`? guests in the lab: centos-nz2")
        .run();
    let line = HOSTS.lines().count() + STORAGE.lines().count() + 1;
    Test::new()
        .script(&format!("{HOSTS}{STORAGE}let n = lab().nas(\"iscsi2\");\n"))
        .status(2)
        .diagnostic("kvmlab::query::no_such_nas", line)
        .stderr("the lab has no NAS `iscsi2`")
        .stderr("help: did you mean `iscsi1`? NAS boxes in the lab: iscsi1")
        .run();
    Test::new()
        .script(&format!(
            "{HOSTS}let ok = lab().guest(\"sv1\").disk_visible_from(\"sv9\");\n"
        ))
        .status(2)
        .diagnostic("kvmlab::query::no_such_guest", HOSTS.lines().count() + 1)
        .stderr("help: there are no guests in the lab")
        .run();
}

#[test]
fn a_service_no_package_provides_is_named_with_a_guess() {
    let line = HOSTS.lines().count() + 1;
    Test::new()
        .script(&format!(
            "{HOSTS}let s = lab().host(\"sv1\").service(\"iscsci\");\n"
        ))
        .status(2)
        .diagnostic("kvmlab::host::unknown_service", line)
        .stderr("did you mean `iscsi`?")
        .run();
}

/// Every query, its answers kept in variables (and not recorded).
const QUERIES: &str = "let q = lab(); let h = q.host(\"sv1\"); let g = q.guest(\"centos-nz2\"); let n = q.nas(\"iscsi1\"); \
    let answers = [q.hosts, q.guests, q.nases, q.switches, q.migrations, q.downloads, q.diagnostics, q.output, q.clock, q.raised(\"kvmlab::net::hosts_reversed\"), q.raised_at(\"kvmlab::net::hosts_reversed\"), q.has_host(\"sv2\"), q.has_guest(\"x\"), q.has_nas(\"iscsi1\"), \
    h.name, h.installed, h.kvm, h.boots, h.file(\"/etc/hosts\"), h.has_file(\"/etc/fstab\"), h.files, h.resolve(\"sv2\"), h.ping(\"sv2\"), h.ping(\"nowhere\"), h.interfaces, h.address(\"br0\"), h.gateway, \
    h.mounts, h.mounted(\"/iscsi1\"), h.mount(\"/iscsi1\"), h.fstab, h.service(\"iscsi\"), h.has_package(\"libvirt\"), h.iscsi_sessions, h.iscsi_nodes, h.iscsi_automatic(st.target), h.pools, h.pool(\"iscsi1\"), h.volumes(\"iscsi1\"), h.guests, h.df(\"/iscsi1\"), \
    g.name, g.host, g.state, g.disk, g.memory, g.vcpus, g.disk_error, g.disk_visible_from(\"sv2\"), g.files, n.name, n.targets, n.shares];\n";

#[test]
fn queries_do_not_change_the_world() {
    // The same lab twice, once with every query asked in the middle of it (and again at
    // the end): the reports are byte-identical. The queries take one line, a comment
    // stands in for them, so every later line keeps its number.
    let lab = |queries: &str| {
        format!(
            "{HOSTS}{STORAGE}{GUEST}vm.serve_file(\"/var/ftp/pub/big.iso\", size(\"200M\"));\n\
             let pc = client(\"pc\", #{{net: net.net1, address: \"192.168.1.100/24\", speed: \"100Mbit/s\"}});\n\
             let ftp = pc.download(vm, \"/var/ftp/pub/big.iso\");\n\
             sv1.write_file(\"/etc/hosts\", \"127.0.0.1 localhost\\n192.168.1.11 sv1\\n192.168.1.12 sv2\\nsv3 192.168.1.13\\n\");\n\
             {queries}\
             let r = vm.migrate(sv2);\n\
             check(r.status == \"completed\", \"migrated\");\n\
             {queries}\
             ftp.wait();\n\
             record(\"downtime\", r.downtime);\n\
             record(\"clock\", clock());\n"
        )
    };
    let plain = Test::new()
        .script(&lab("// (no queries)\n"))
        .json()
        .status(0)
        .run();
    let queried = Test::new().script(&lab(QUERIES)).json().status(0).run();
    assert_eq!(plain.stdout, queried.stdout);
    assert!(plain.report["clock"].as_f64().unwrap() > 0.0);
}

#[test]
fn a_run_asks_for_at_most_4096_migrations() {
    // Refused migrations cost next to nothing; the history that lists them is capped.
    let line = HOSTS.lines().count() + STORAGE.lines().count() + GUEST.lines().count() + 1;
    let out = Test::new()
        .script(&format!(
            "{HOSTS}{STORAGE}{GUEST}for i in 0..5000 {{ try {{ vm.migrate(sv1); }} catch (e) {{ if e.code != \"kvmlab::migrate::same_host\" {{ throw e; }} }} }}\n"
        ))
        .status(2)
        .diagnostic("kvmlab::sandbox::too_many", line)
        .stderr("too many migrations: the limit is 4096")
        .run();
    assert_eq!(
        out.report["diagnostics"].as_array().unwrap().len(),
        3,
        "{}",
        out.report["diagnostics"]
    );
}

#[test]
fn kvmlab_check_knows_the_queries() {
    let out = Test::new()
        .script("let q = lab();\nprint(q.hots);\nprint(q.host(\"sv1\").adress(\"br0\"));\n")
        .args(&["check", "lab.rhai"])
        .status(1)
        .stderr("unknown property `hots` on Lab")
        .stderr("did you mean `hosts`? (`kvmlab doc Lab.hosts`)")
        .stderr("unknown method `HostView.adress` with 1 argument(s)")
        .stderr("did you mean `address`? (`kvmlab doc HostView.address`)")
        .run();
    assert!(out.stderr.contains("lab.rhai:2"), "{}", out.stderr);
    assert!(out.stderr.contains("lab.rhai:3"), "{}", out.stderr);
}
