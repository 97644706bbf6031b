//! The reference's examples, one runnable Rhai snippet per registered item, the docs of the
//! items Rhai cannot carry a doc comment for (property getters), and the preludes the examples
//! run after. A test runs every example and fails when a registered item has none.

use super::catalog::TypeDoc;

/// A doc (empty when the registration carries one) and an example for one catalog item.
pub struct Entry {
    /// `host`, `Host.ping`, `Rows.[]`.
    pub item: &'static str,
    pub doc: &'static str,
    pub example: &'static str,
}

const fn e(item: &'static str, doc: &'static str, example: &'static str) -> Entry {
    Entry { item, doc, example }
}

/// Setup an example can assume, each building on the ones before it. An example gets the
/// preludes up to the last one whose names it uses, so most examples skip the costly ones.
pub struct Prelude {
    /// The variables it defines.
    pub defines: &'static [&'static str],
    pub code: &'static str,
}

pub const PRELUDES: &[Prelude] = &[
    Prelude {
        defines: &["checks", "hosts", "report", "storage"],
        code: r#"import "kvmlab/checks" as checks;
import "kvmlab/hosts" as hosts;
import "kvmlab/report" as report;
import "kvmlab/storage" as storage;"#,
    },
    Prelude {
        defines: &["lab", "sv1", "sv2", "net1", "net2"],
        code: r#"let lab = hosts::build();
let sv1 = lab.sv1;
let sv2 = lab.sv2;
let net1 = lab.net1;
let net2 = lab.net2;"#,
    },
    Prelude {
        defines: &["st", "nas", "pool"],
        code: r#"let st = storage::build(lab);
let nas = st.nas;
let pool = st.pools.sv1;"#,
    },
    Prelude {
        defines: &["vm"],
        code: r#"sv1.store_file("/guest/iso/CentOS-5.6-i386-bin-DVD.iso", size("3.9G"));
let vm = sv1.define_guest(#{
    name: "centos-nz2", memory: "512M", iso: "/guest/iso/CentOS-5.6-i386-bin-DVD.iso",
    disk: pool.create_volume(#{name: "centos-nz2.img", capacity: "20G", allocation: 0}),
    network: #{bridge: "br0", address: "192.168.1.20/24"}
});
vm.install();"#,
    },
    Prelude {
        defines: &["moved"],
        code: r#"vm.workload(#{used: "200M"});
let moved = vm.migrate(sv2);"#,
    },
    Prelude {
        defines: &["pc", "ftp"],
        code: r#"vm.serve_file("/var/ftp/pub/big.iso", size("200M"));
let pc = client("pc", #{net: net1, address: "192.168.1.100/24", speed: "100Mbit/s"});
let ftp = pc.download(vm, "/var/ftp/pub/big.iso");"#,
    },
];

/// The preludes an example needs, joined, followed by the example.
pub fn with_prelude(example: &str) -> String {
    format!("{}\n{example}", prelude_for(example))
}

/// The preludes an example needs, joined: the imports, then every part up to the last one
/// that defines a name it uses. A name the example declares itself (`let lab =
/// hosts::build();`) does not call for a prelude.
pub fn prelude_for(example: &str) -> String {
    let words = names(example);
    let declared: Vec<&str> = words
        .windows(2)
        .filter(|pair| pair[0] == "let" || pair[0] == "const")
        .map(|pair| pair[1])
        .collect();
    let used = |name: &&str| words.contains(name) && !declared.contains(name);
    let needed = PRELUDES
        .iter()
        .rposition(|p| p.defines.iter().any(used))
        .unwrap_or(0);
    let text: Vec<&str> = PRELUDES[..=needed].iter().map(|p| p.code).collect();
    text.join("\n")
}

/// The variables an example's code uses: words outside strings and comments, not after a
/// `.` (a property) and not before a `:` (a map key) or a `(` (a call).
fn names(code: &str) -> Vec<&str> {
    let bytes = code.as_bytes();
    let mut names = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'"' || c == b'`' {
            i += 1;
            while i < bytes.len() && bytes[i] != c {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else if code[i..].starts_with("//") {
            i += code[i..].find('\n').unwrap_or(code.len() - i);
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let after_dot = code[..start].trim_end().ends_with('.');
            let next = code[i..].trim_start();
            let key_or_call =
                next.starts_with('(') || (next.starts_with(':') && !next.starts_with("::"));
            if !after_dot && !key_or_call {
                names.push(&code[start..i]);
            }
        } else {
            i += 1;
        }
    }
    names
}

pub const TYPES: &[TypeDoc] = &[
    TypeDoc {
        name: "BlockDevice",
        doc: "A disk or partition of a host (`/dev/sdb`), for parted.",
        sample: r#"sv1.disk("/dev/sda")"#,
    },
    TypeDoc {
        name: "Client",
        doc: "A machine outside the lab (a trainee's PC) that downloads from guests.",
        sample: "pc",
    },
    TypeDoc {
        name: "Download",
        doc: "A file transfer from a guest to a client, running in the background.",
        sample: "ftp",
    },
    TypeDoc {
        name: "Error",
        doc: "What `catch (e)` holds when a lab operation failed.",
        sample: r#"{ let e = (); try { size("lots"); } catch (err) { e = err; } e }"#,
    },
    TypeDoc {
        name: "Guest",
        doc: "A libvirt domain (a virtual machine) on a host.",
        sample: "vm",
    },
    TypeDoc {
        name: "GuestView",
        doc: "A guest as the query API sees it (`lab().guest(name)`): read-only facts.",
        sample: "lab().guest(vm.name)",
    },
    TypeDoc {
        name: "Host",
        doc: "A physical server of the lab.",
        sample: "sv1",
    },
    TypeDoc {
        name: "HostView",
        doc: "A host as the query API sees it (`lab().host(name)`): read-only facts.",
        sample: "lab().host(sv1.name)",
    },
    TypeDoc {
        name: "Lab",
        doc: "The whole lab as the query API sees it (`lab()`): names, views and what the run did.",
        sample: "lab()",
    },
    TypeDoc {
        name: "MigrationResult",
        doc: "What one migration did: its outcome, times and page counts.",
        sample: "moved",
    },
    TypeDoc {
        name: "Nas",
        doc: "The network storage box with its RAID and iSCSI targets.",
        sample: "nas",
    },
    TypeDoc {
        name: "NasView",
        doc: "A NAS as the query API sees it (`lab().nas(name)`): read-only facts.",
        sample: "lab().nas(nas.name)",
    },
    TypeDoc {
        name: "Nic",
        doc: "A network card of a host or NAS.",
        sample: r#"sv1.nic("eth0")"#,
    },
    TypeDoc {
        name: "PingResult",
        doc: "The outcome of one ping: whether the target answered, and why not.",
        sample: r#"sv1.ping("sv2")"#,
    },
    TypeDoc {
        name: "ShellResult",
        doc: "What a command line left on a host's shell: exit status, stdout, stderr.",
        sample: r#"sv1.sh("hostname")"#,
    },
    TypeDoc {
        name: "Pool",
        doc: "A libvirt storage pool on a host.",
        sample: "pool",
    },
    TypeDoc {
        name: "Router",
        doc: "A router between switches (the default gateway).",
        sample: "lab.gateway",
    },
    TypeDoc {
        name: "Rows",
        doc: "Command output: the text as printed, and its rows as maps.",
        sample: "sv1.routes()",
    },
    TypeDoc {
        name: "Service",
        doc: "An init script of a host (`service NAME start`).",
        sample: r#"sv1.service("network")"#,
    },
    TypeDoc {
        name: "Switch",
        doc: "A network switch carrying one IPv4 network.",
        sample: "net1",
    },
    TypeDoc {
        name: "Volume",
        doc: "A volume (disk image) of a storage pool.",
        sample: r#"pool.create_volume(#{name: "a.img", capacity: "1G"})"#,
    },
];

/// The examples of what only an exercise's `checks.rhai` has; they run in the checks engine.
pub const RUBRIC_ENTRIES: &[Entry] = &[
    e(
        "rubric",
        "",
        r#"rubric("sv2 resolves on sv1", #{
    points: 2,
    feedback: "sv1 cannot resolve sv2: add `192.168.10.12 sv2` to sv1's /etc/hosts",
    visibility: "visible",
}, |lab| lab.has_host("sv1") && lab.host("sv1").resolve("sv2") == "192.168.10.12");"#,
    ),
    e(
        "partial",
        "",
        r#"rubric("both hosts resolve sv2", #{points: 2}, |lab| {
    let sv1 = lab.has_host("sv1") && lab.host("sv1").resolve("sv2") != ();
    let sv2 = lab.has_host("sv2") && lab.host("sv2").resolve("sv2") != ();
    if sv1 && sv2 { true } else if sv1 || sv2 { partial(0.5, "only one host resolves sv2") } else { false }
});"#,
    ),
];

pub const ENTRIES: &[Entry] = &[
    // Lab primitives.
    e("step", "", r#"step("Hosts and networks");"#),
    e("check", "", r#"check(1 + 1 == 2, "arithmetic works");
check(true, "with a message", "it explains the result");"#),
    e("check_eq", "", r#"check_eq(size("1K"), 1024, "1K is 1024 bytes");"#),
    e("check_within", "", r#"check_within(37.1, 36, 5, "about 36 s");"#),
    e("record", "", r#"record("idle_migration_s", 36.2);"#),
    e("expect_error", "", r#"expect_error(|| size("lots"), "kvmlab::units::size");"#),
    e("expect_warning", "", r#"expect_warning(|| sv1.write_file("/etc/sysconfig/network-scripts/ifcfg-eth3", "DEVICE=eth3\nIPADR=10.0.0.1\n"), "IPADR");"#),
    e("expect_no_warning", "", r#"expect_no_warning(|| sv1.mkdir("/data"));"#),
    e("clock", "", r#"let t0 = clock();
sleep(2);
check_eq(clock() - t0, 2.0, "two seconds of lab time passed");"#),
    e("sleep", "", r#"sleep(0.5);
sleep(1);"#),
    e("save_text", "", r#"let path = save_text("notes.txt", "hello\n");
print(path);"#),
    e("save_plot", "", r#"save_plot("time.svg", #{title: "Migration time", x_label: "MiB", y_label: "s",
    series: [#{name: "idle", points: [[64, 6.1], [128, 11.8]]}]});"#),
    e("fixed", "", r#"check_eq(fixed(11.1111, 2), "11.11", "two decimals");
check_eq(fixed(3, 1), "3.0", "an integer too");"#),
    e("size", "", r#"check_eq(size("512M"), 536870912, "binary units");
check_eq(size("100GB"), 100000000000, "decimal units");"#),
    e("rate", "", r#"check_eq(rate("100Mbit/s"), 12500000.0, "bytes per second");"#),
    e("Error.code", "The diagnostic code, e.g. `kvmlab::units::size`.", r#"try { size("lots"); } catch (err) { check_eq(err.code, "kvmlab::units::size", "the code"); }"#),
    e("Error.message", "The message, with the values that were wrong.", r#"try { size("lots"); } catch (err) { print(err.message); }"#),
    e("Error.help", "The help line: what to do about it.", r#"try { size("lots"); } catch (err) { print(err.help); }"#),
    // Hosts and networks.
    e("host", "", r#"let h = host("sv3", report::server_spec());
check_eq(h.cores, 4, "a quad-core server");"#),
    e("connect", "", r#"let sv3 = connect("sv3", "qemu+ssh://root@sv3/system");
check(sv3.kvm_usable, "ready for KVM");"#),
    e("segment", "", r#"let net3 = segment("NET3", "10.20.0.0/16", #{speed: "1Gbit/s"});
check_eq(net3.cidr, "10.20.0.0/16", "its network");"#),
    e("router", "", r#"let net3 = switch("NET3", "10.20.0.0/16", #{});
let gw = router("gw3", [#{net: net3, address: "10.20.0.1/16"}]);
print(gw);"#),
    e("Host.name", "The host's name.", r#"check_eq(sv1.name, "sv1", "its name");"#),
    e("Host.cores", "CPU cores.", r#"check_eq(sv1.cores, 4, "four cores");"#),
    e("Host.memory", "RAM in bytes.", r#"check_eq(sv1.memory, size("16G"), "16 GiB of RAM");"#),
    e("Host.kvm_usable", "Whether KVM can run guests: the CPU has the extension, the BIOS enables it and the kvm module is loaded.", r#"check(sv1.kvm_usable, "KVM is usable");"#),
    e("Host.install_os", "", r#"let h = host("sv3", report::server_spec());
h.install_os(report::os_spec("sv3"));"#),
    e("Host.install_group", "", r#"sv1.install_group("Virtualization Client");"#),
    e("Host.set_bios_virt", "", r#"sv1.set_bios_virt(true);"#),
    e("Host.check_kvm", "", r#"sv1.check_kvm();"#),
    e("Host.nic", "", r#"let eth0 = sv1.nic("eth0");
check_eq(eth0.name, "eth0", "the card");"#),
    e("Host.write_file", "", r#"sv1.write_file("/root/notes.txt", "hello\n");"#),
    e("Host.append_file", "", r#"sv1.append_file("/etc/hosts", "10.10.1.10 iscsi1\n");"#),
    e("Host.set_vars", "", r#"sv1.set_vars("/etc/sysconfig/network", #{HOSTNAME: "sv1"});"#),
    e("Host.read_file", "", r#"check(sv1.read_file("/etc/hosts").contains("sv2"), "sv2 is in /etc/hosts");"#),
    e("Host.service", "", r#"print(sv1.service("network").status());"#),
    e("Host.resolve", "", r#"check_eq(sv1.resolve("sv2"), "192.168.1.12", "sv2 resolves on NET1");"#),
    e("Host.ping", "", r#"check(sv1.ping("sv2").reachable, "sv1 reaches sv2");"#),
    e("sh", "", r#"let r = sh(sv1.name, "hostname");
check_eq(r.stdout, "sv1\n", "the host of that name answered");"#),
    e("Host.sh", "", r#"let r = sv1.sh("service network restart && ping -c 1 sv2 | tail -1");
check_eq(r.status, 0, "the network came back and sv2 answers");"#),
    e("Host.interfaces", "", r#"print(sv1.interfaces());"#),
    e("ShellResult.status", "The exit status: 0 for success, 127 for a command the host lacks.", r#"check_eq(sv1.sh("grep -q sv2 /etc/hosts").status, 0, "sv2 is in /etc/hosts");"#),
    e("ShellResult.ok", "Whether the status is 0.", r#"check(sv1.sh("true").ok, "true succeeds");"#),
    e("ShellResult.stdout", "What the line printed on stdout.", r#"check_eq(sv1.sh("hostname").stdout, "sv1\n", "its name");"#),
    e("ShellResult.stderr", "What the line printed on stderr.", r#"check_eq(sv1.sh("cat /etc/nothing").stderr, "cat: /etc/nothing: No such file or directory\n", "cat's words");"#),
    e("ShellResult.lines", "stdout's lines.", r#"check_eq(sv1.sh("grep sv /etc/hosts | wc -l").lines, ["4"], "four lines name a server");"#),
    e("ShellResult.rows", "The records behind the last command's output, when it printed to the terminal (df -h, virsh list, pool-list and vol-list, iscsiadm's targets), for checks; empty for others.", r#"check_eq(sv1.sh("df -h /").rows[0].mounted_on, "/", "the root file system");"#),
    e("ShellResult.code", "The diagnostic code of the first lab error a command met, or `()`.", r#"check_eq(sv1.sh("iscsiadmin -m session").code, "kvmlab::host::command_not_found", "a typo");"#),
    e("ShellResult.help", "What to do about that error, or `()`.", r#"print(sv1.sh("iscsiadmin -m session").help);"#),
    e("Host.routes", "", r#"print(sv1.routes().text);"#),
    e("Nic.name", "The card's name.", r#"check_eq(sv1.nic("eth1").name, "eth1", "its name");"#),
    e("Nic.connect", "", r#"let net3 = switch("NET3", "10.20.0.0/16", #{});
sv1.nic("eth1").disconnect();
sv1.nic("eth1").connect(net3);"#),
    e("Nic.disconnect", "", r#"sv2.nic("eth1").disconnect();
check(!sv1.ping("sv20").reachable, "sv20 is unplugged");"#),
    e("Nic.unplug", "", r#"sv2.nic("eth1").unplug();
check(!sv1.ping("sv20").reachable, "sv20's cable is out");"#),
    e("Nic.plug", "", r#"sv2.nic("eth1").unplug();
sv2.nic("eth1").plug();
check(sv1.ping("sv20").reachable, "sv20 answers again");"#),
    e("checkpoint", "", r#"let cp = checkpoint("cabled");
sv2.nic("eth1").unplug();
restore(cp);
check(sv1.ping("sv20").reachable, "back to the cabled lab");"#),
    e("Checkpoint.to_string", "Its name and lab time, as `print` shows it.", r#"print(checkpoint("before the fault"));"#),
    e("Checkpoint.restore", "", r#"let cp = checkpoint("at rest");
sleep(60.0);
restore(cp);
check_eq(clock(), cp.at, "lab time went back with the lab");"#),
    e("Checkpoint.name", "The name it was taken under.", r#"check_eq(checkpoint("before").name, "before", "its name");"#),
    e("Checkpoint.at", "The lab time it was taken at, in seconds.", r#"let cp = checkpoint("now");
check_eq(cp.at, clock(), "taken now");"#),
    e("fault", "", r#"fault(#{at: clock() + 10.0, kind: "unplug", host: "sv2", nic: "eth1"});
sleep(11.0);
check(!sv1.ping("sv20").reachable, "NET2 lost sv2 at 10 s");"#),
    e("Service.name", "The service's name.", r#"check_eq(sv1.service("network").name, "network", "its name");"#),
    e("Service.start", "", r#"print(sv1.service("network").start());"#),
    e("Service.stop", "", r#"print(sv1.service("network").stop());"#),
    e("Service.restart", "", r#"print(sv1.service("network").restart());"#),
    e("Service.status", "", r#"print(sv1.service("network").status());"#),
    e("Switch.name", "The switch's name.", r#"check_eq(net1.name, "NET1", "its name");"#),
    e("Switch.cidr", "The network it carries.", r#"check_eq(net1.cidr, "192.168.1.0/24", "NET1's network");"#),
    e("Switch.degrade", "", r#"net1.degrade(#{loss: "0.1%", delay: "5ms"});
check(sv1.ping("sv2").rtt_ms > 10.0, "5 ms each way");"#),
    e("Switch.restore", "", r#"net1.degrade(#{delay: "5ms"});
net1.restore();
check(sv1.ping("sv2").rtt_ms < 1.0, "back to the switch's own time");"#),
    e("Switch.speed", "Its port speed in bytes per second.", r#"check_eq(net1.speed, rate("100Mbit/s"), "100 Mbit/s");"#),
    e("Router.name", "The router's name.", r#"check_eq(lab.gateway.name, "gateway", "its name");"#),
    e("PingResult.reachable", "Whether the target answered.", r#"check(sv1.ping("sv20").reachable, "sv20 answers on NET2");"#),
    e("PingResult.address", "The address the name resolved to, or `()`.", r#"check_eq(sv1.ping("sv20").address, "10.10.1.12", "sv20 is on NET2");"#),
    e("PingResult.rtt_ms", "The round trip in ms, or `()` when it failed.", r#"print(sv1.ping("sv2").rtt_ms);"#),
    e("PingResult.path", "The hops the packets took.", r#"print(sv1.ping("sv2").path);"#),
    e("PingResult.code", "The diagnostic code of why it failed, or `()`.", r#"print(sv1.ping("nowhere").code);"#),
    e("PingResult.help", "How to make it answer, from the lab as it is, or `()` when it answered.", r#"print(sv1.ping("nowhere").help);"#),
    e("PingResult.reason", "Why it failed, as ping would say, or `()`.", r#"print(sv1.ping("nowhere").reason);"#),
    e("Rows.rows", "The rows, each a map of column to value.", r#"for row in sv1.routes().rows { print(row); }"#),
    e("Rows.text", "The output as the command prints it.", r#"print(sv1.df("/").text);"#),
    e("Rows.len", "The number of rows.", r#"check(sv1.routes().len() > 0, "there are routes");"#),
    e("Rows.find", "", r#"print(sv1.interfaces().find("name", "br0"));"#),
    e("Rows.[]", "Row number `i` (from 0) as a map.", r#"print(sv1.routes()[0]);"#),
    // Storage.
    e("nas", "", r#"let box = nas("nas2", report::nas_spec());
check_eq(box.raid, "RAID 6", "RAID 6");"#),
    e("Nas.name", "The NAS's name.", r#"check_eq(nas.name, "iscsi1", "its name");"#),
    e("Nas.model", "The product.", r#"print(nas.model);"#),
    e("Nas.raid", "The RAID level, as the UI names it.", r#"print(nas.raid);"#),
    e("Nas.disks", "Drives in the RAID.", r#"check_eq(nas.disks, 7, "seven drives");"#),
    e("Nas.tolerated_failures", "How many drives may fail without data loss.", r#"check_eq(nas.tolerated_failures, 2, "RAID 6 survives two");"#),
    e("Nas.raid_state", "\"healthy\", \"degraded\" (a disk failed), \"rebuilding\" (a replaced disk is being written) or \"lost\".", r#"check_eq(nas.raid_state, "healthy", "every disk works");"#),
    e("Nas.disk", "", r#"check_eq(nas.disk(3).state, "active", "bay 3 works");"#),
    e("NasDisk.bay", "Its bay, from 1.", r#"check_eq(nas.disk(3).bay, 3, "bay 3");"#),
    e("NasDisk.state", "\"active\", \"failed\" or \"rebuilding\".", r#"nas.disk(3).fail();
check_eq(nas.disk(3).state, "failed", "bay 3 failed");"#),
    e("NasDisk.fail", "", r#"nas.disk(3).fail();
check_eq(nas.raid_state, "degraded", "RAID 6 serves on with one disk out");"#),
    e("NasDisk.replace", "", r#"nas.disk(3).fail();
nas.disk(3).replace();
sleep(20000.0);
check_eq(nas.raid_state, "healthy", "rebuilt in 5.6 h");"#),
    e("Nas.capacity", "The RAID's capacity in bytes.", r#"print(nas.capacity);"#),
    e("Nas.data_capacity", "Bytes kept for the data volume.", r#"print(nas.data_capacity);"#),
    e("Nas.iscsi_capacity", "Bytes kept for iSCSI targets.", r#"print(nas.iscsi_capacity);"#),
    e("Nas.iscsi_allocated", "Bytes the targets take.", r#"print(nas.iscsi_allocated);"#),
    e("Nas.iscsi_free", "Bytes left for more targets.", r#"print(nas.iscsi_free);"#),
    e("Nas.capacity_ui", "The capacity as the web UI shows it.", r#"print(nas.capacity_ui);"#),
    e("Nas.data_ui", "The data volume as the web UI shows it.", r#"print(nas.data_ui);"#),
    e("Nas.iscsi_ui", "The iSCSI space as the web UI shows it.", r#"print(nas.iscsi_ui);"#),
    e("Nas.nic", "", r#"print(nas.nic("eth0"));"#),
    e("Nas.ip", "", r#"let box = nas("nas2", report::nas_spec());
box.nic("eth0").connect(net2);
box.ip("eth0", "10.10.1.20/16");"#),
    e("Nas.iscsi_target", "", r#"let box = nas("nas2", report::nas_spec());
box.iscsi_target("iqn.2011-06.com.thecus:n7700.lab", "50%");
print(box.iscsi_free);"#),
    e("Nas.add_lun", "", r#"let box = nas("nas2", report::nas_spec());
box.iscsi_target("iqn.2011-06.com.thecus:n7700.lab", "10G");
check_eq(box.add_lun("iqn.2011-06.com.thecus:n7700.lab", "5G"), 1, "LUN 1 after LUN 0");"#),
    e("Nas.allow", "", r#"nas.allow(st.target, sv1.initiator_name());"#),
    e("Nas.chap", "", r#"nas.chap(st.target, "lab", "secret123456");"#),
    e("Nas.nfs_share", "", r#"print(nas.nfs_share("guests"));"#),
    e("Host.yum_install", "", r#"print(sv1.yum_install("iscsi-initiator-utils"));"#),
    e("Host.chkconfig", "", r#"sv1.chkconfig("iscsi", true);"#),
    e("Host.reboot", "", r#"print(sv2.reboot());"#),
    e("Host.iscsi_discover", "", r#"let found = sv1.iscsi_discover(report::addresses().nas);
check(found[0].contains(st.target), "the NAS offers the target");"#),
    e("Host.iscsi_nodes", "", r#"print(st.target);
print(sv1.iscsi_nodes());"#),
    e("Host.iscsi_sessions", "", r#"print(st.target);
check_eq(sv1.iscsi_sessions().len(), 1, "one session");"#),
    e("Host.iscsi_login", "", r#"let box = nas("nas2", report::nas_spec());
box.nic("eth0").connect(net2);
box.ip("eth0", "10.10.1.20/16");
box.iscsi_target("iqn.2011-06.com.thecus:n7700.lab", "10G");
sv1.yum_install("iscsi-initiator-utils");
sv1.service("iscsi").start();
sv1.iscsi_discover("10.10.1.20");
print(sv1.iscsi_login("iqn.2011-06.com.thecus:n7700.lab"));"#),
    e("Host.iscsi_logout", "", r#"sv2.umount("/iscsi1");
print(sv2.iscsi_logout(st.target));"#),
    e("Host.iscsi_startup", "", r#"sv1.iscsi_startup(st.target, true);"#),
    e("Host.iscsi_chap", "", r#"sv1.iscsi_chap(st.target, "lab", "secret123456");"#),
    e("Host.initiator_name", "", r#"print(sv1.initiator_name());"#),
    e("Host.disks", "", r#"print(sv1.disks().text);"#),
    e("Host.disk", "", r#"print(sv1.disk(st.devices.sv1).parted_print());"#),
    e("BlockDevice.path", "The device's path.", r#"check_eq(sv1.disk("/dev/sda").path, "/dev/sda", "its path");"#),
    e("BlockDevice.mklabel", "", r#"sv2.umount("/iscsi1");
sv1.umount("/iscsi1");
sv1.disk(st.devices.sv1).mklabel("gpt");"#),
    e("BlockDevice.mkpart", "", r#"sv2.umount("/iscsi1");
sv1.umount("/iscsi1");
let d = sv1.disk(st.devices.sv1);
d.rm(1);
d.mkpart("primary", "ext3", "0%", "10GB");"#),
    e("BlockDevice.mkpartfs", "", r#"sv2.umount("/iscsi1");
sv1.umount("/iscsi1");
let d = sv1.disk(st.devices.sv1);
d.rm(1);
expect_error(|| d.mkpartfs("primary", "ext2", "0%", "10GB"), "kvmlab::storage::mkpartfs_removed");"#),
    e("BlockDevice.rm", "", r#"sv2.umount("/iscsi1");
sv1.umount("/iscsi1");
sv1.disk(st.devices.sv1).rm(1);"#),
    e("BlockDevice.parted_print", "", r#"print(sv1.disk(st.devices.sv1).parted_print());"#),
    e("Host.mkdir", "", r#"sv1.mkdir("/data");"#),
    e("Host.mkfs", "", r#"sv2.umount("/iscsi1");
sv1.umount("/iscsi1");
print(sv1.mkfs("ext4", st.devices.sv1 + "1"));"#),
    e("Host.mount", "", r#"let partition = st.devices.sv1 + "1";
sv1.umount("/iscsi1");
sv1.mount(partition, "/iscsi1", "ext3");
sv1.umount("/iscsi1");
sv1.mount(partition, "/iscsi1", "ext3", "_netdev");"#),
    e("Host.umount", "", r#"sv2.umount(st.devices.sv2 + "1");"#),
    e("Host.mount_all", "", r#"sv1.mount_all();"#),
    e("Host.df", "", r#"print(sv1.df("/").text);"#),
    e("Host.fstab", "", r#"print(sv1.fstab().text);"#),
    e("Host.store_file", "", r#"print(sv1.store_file("/guest/iso/disc.iso", size("700M")));"#),
    // Pools and volumes.
    e("Host.define_pool", "", r#"sv1.mkdir("/guest/images");
let p = sv1.define_pool(#{name: "images", type: "dir", target: "/guest/images"});
check(p.active, "the pool runs");"#),
    e("Host.pool", "", r#"check_eq(sv2.pool("iscsi1").name, st.pools.sv2.name, "sv2 has the pool too");"#),
    e("Pool.name", "The pool's name.", r#"check_eq(pool.name, "iscsi1", "its name");"#),
    e("Pool.capacity", "Bytes of the file system under the pool.", r#"print(pool.capacity);"#),
    e("Pool.allocation", "Bytes its volumes take.", r#"print(pool.allocation);"#),
    e("Pool.available", "Bytes still free.", r#"print(pool.available);"#),
    e("Pool.active", "Whether the pool is started.", r#"check(pool.active, "it runs");"#),
    e("Pool.start", "", r#"pool.start();"#),
    e("Pool.create_volume", "", r#"let v = pool.create_volume(#{name: "disk.img", capacity: "20G", format: "raw", allocation: 0});
check_eq(v.allocation, 0, "sparse");"#),
    e("Pool.volumes", "", r#"pool.create_volume(#{name: "disk.img", capacity: "1G"});
check_eq(pool.volumes().len(), 1, "one volume");"#),
    e("Pool.shared_with", "", r#"check(pool.shared_with(sv2), "sv2 sees the same storage");"#),
    e("Volume.name", "The volume's file name.", r#"check_eq(pool.create_volume(#{name: "a.img", capacity: "1G"}).name, "a.img", "its name");"#),
    e("Volume.path", "Its path on the host.", r#"check_eq(pool.create_volume(#{name: "a.img", capacity: "1G"}).path, "/iscsi1/a.img", "in the pool's folder");"#),
    e("Volume.capacity", "The size the guest sees, in bytes.", r#"check_eq(pool.create_volume(#{name: "a.img", capacity: "1G"}).capacity, size("1G"), "1 GiB");"#),
    e("Volume.allocation", "Bytes it takes now.", r#"check_eq(pool.create_volume(#{name: "a.img", capacity: "1G", allocation: 0}).allocation, 0, "sparse");"#),
    e("Volume.format", "raw or qcow2.", r#"check_eq(pool.create_volume(#{name: "a.img", capacity: "1G"}).format, "raw", "raw by default");"#),
    e("Volume.pool", "The name of its pool.", r#"check_eq(pool.create_volume(#{name: "a.img", capacity: "1G"}).pool, "iscsi1", "its pool");"#),
    // Guests.
    e("Host.define_guest", "", r#"sv1.store_file("/guest/iso/CentOS-5.6-i386-bin-DVD.iso", size("3.9G"));
let g = sv1.define_guest(#{name: "web", memory: "256M", iso: "/guest/iso/CentOS-5.6-i386-bin-DVD.iso",
    disk: pool.create_volume(#{name: "web.img", capacity: "8G", allocation: 0}),
    network: #{bridge: "br0", address: "192.168.1.21/24"}});
check_eq(g.state, "defined", "defined, not yet installed");"#),
    e("Host.guests", "", r#"check_eq(sv1.guests().len(), 1, "centos-nz2 runs on sv1");
print(vm);"#),
    e("Guest.name", "The domain's name.", r#"check_eq(vm.name, "centos-nz2", "its name");"#),
    e("Guest.state", "running, paused, shut off, …, as virsh domstate says.", r#"check_eq(vm.state, "running", "it runs");"#),
    e("Guest.disk_state", "Its disk as it sees it: \"ok\", \"waiting\" (its iSCSI session recovers), \"failing\", \"read-only\", \"paused on I/O error\" or \"damaged\".", r#"check_eq(vm.disk_state, "ok", "its disk answers");"#),
    e("Guest.disk_error", "Why its disk fails (I/O errors after the image was destroyed or shared), or \"\" while it is healthy.", r#"check_eq(vm.disk_error, "", "its disk is healthy");"#),
    e("Guest.memory", "Its RAM in bytes.", r#"check_eq(vm.memory, size("512M"), "512 MiB");"#),
    e("Guest.host", "The host it runs on.", r#"check_eq(vm.host.name, "sv1", "on sv1");"#),
    e("Guest.install", "", r#"check_eq(vm.state, "running", "installed and running");"#),
    e("Guest.start", "", r#"vm.shutdown();
vm.start();"#),
    e("Guest.start_on", "", r#"vm.migrate(sv2);
sv2.crash();
vm.start_on(sv1);
check_eq(vm.host.name, "sv1", "its disk is on the NAS: sv1 starts it");"#),
    e("Host.crash", "", r#"vm.migrate(sv2);
sv2.crash();
check_eq(vm.state, "shut off", "the guest went down with sv2");"#),
    e("Host.power_on", "", r#"sv2.crash();
print(sv2.power_on());"#),
    e("Guest.shutdown", "", r#"vm.shutdown();"#),
    e("Guest.destroy", "", r#"vm.destroy();"#),
    e("Guest.suspend", "", r#"vm.suspend();
vm.resume();"#),
    e("Guest.resume", "", r#"vm.suspend();
vm.resume();"#),
    e("Guest.set_memory", "", r#"vm.shutdown();
vm.set_memory("256M");"#),
    e("Guest.workload", "", r#"vm.workload(#{used: "410M", wss: "128M", dirty_rate: "4M/s"});"#),
    e("Guest.serve_file", "", r#"print(vm.serve_file("/var/ftp/pub/small.iso", size("10M")));"#),
    e("Guest.file_sha256", "", r#"let sum = vm.serve_file("/var/ftp/pub/small.iso", size("10M"));
check_eq(vm.file_sha256("/var/ftp/pub/small.iso"), sum, "the same file");"#),
    e("Guest.to_xml", "", r#"save_text("centos-nz2.xml", vm.to_xml());"#),
    e("Guest.migrate", "", r#"let r = vm.migrate(sv2, #{profile: "qemu-kvm-0.12"});
check_eq(r.status, "completed", "it completed");"#),
    e("client", "", r#"let pc = client("laptop", #{net: net1, address: "192.168.1.101/24", speed: "100Mbit/s"});
print(pc.name);"#),
    e("Client.name", "The client's name.", r#"check_eq(pc.name, "pc", "its name");"#),
    e("Client.download", "", r#"let sum = vm.serve_file("/var/ftp/pub/small.iso", size("10M"));
let d = pc.download(vm, "/var/ftp/pub/small.iso");
d.wait();
check_eq(d.sha256, sum, "the file arrived whole");"#),
    e("Download.done", "Whether the transfer finished.", r#"ftp.wait();
check(ftp.done, "finished");"#),
    e("Download.bytes", "Bytes received so far.", r#"sleep(5);
print(ftp.bytes);"#),
    e("Download.size", "The file's size in bytes.", r#"check_eq(ftp.size, size("200M"), "200 MiB");"#),
    e("Download.sha256", "The SHA-256 of what was received.", r#"ftp.wait();
print(ftp.sha256);"#),
    e("Download.started", "Lab time (s) the transfer began.", r#"print(ftp.started);"#),
    e("Download.finished", "Lab time (s) it ended, or `()` while it runs.", r#"ftp.wait();
print(ftp.finished);"#),
    e("Download.duration", "Seconds it took, or `()` while it runs.", r#"ftp.wait();
check(ftp.duration > 0.0, "it took a while");"#),
    e("Download.wait", "", r#"ftp.wait();"#),
    e("Download.rate_timeline", "", r#"ftp.wait();
print(ftp.rate_timeline().len());"#),
    e("Download.rate_steps", "", r#"ftp.wait();
print(ftp.rate_steps().len());"#),
    e("Download.mean_rate", "", r#"ftp.wait();
print(ftp.mean_rate(0.0, 10.0));"#),
    e("MigrationResult.status", "completed or failed.", r#"check_eq(moved.status, "completed", "it completed");"#),
    e("MigrationResult.total_time", "Seconds from start to end.", r#"print(moved.total_time);"#),
    e("MigrationResult.downtime", "Milliseconds the guest was paused.", r#"check(moved.downtime < 1000.0, "under a second");"#),
    e("MigrationResult.setup_time", "Milliseconds before the first page was sent.", r#"print(moved.setup_time);"#),
    e("MigrationResult.transferred", "Bytes sent.", r#"print(moved.transferred);"#),
    e("MigrationResult.iterations", "Pre-copy rounds.", r#"print(moved.iterations);"#),
    e("MigrationResult.zero_pages", "Pages sent as zero pages.", r#"print(moved.zero_pages);"#),
    e("MigrationResult.normal_pages", "Pages sent in full.", r#"print(moved.normal_pages);"#),
    e("MigrationResult.throttle", "The CPU throttle auto-converge reached, in percent.", r#"print(moved.throttle);"#),
    e("MigrationResult.postcopy", "Whether it switched to post-copy.", r#"check(!moved.postcopy, "pre-copy only");"#),
    e("MigrationResult.postcopy_faults", "Pages the destination fetched on demand in post-copy.", r#"print(moved.postcopy_faults);"#),
    e("MigrationResult.memory_intact", "Whether every page arrived in its latest version.", r#"check(moved.memory_intact, "memory intact");"#),
    e("MigrationResult.started", "Lab time (s) the migration began.", r#"print(moved.started);"#),
    e("MigrationResult.from", "The source host's name.", r#"check_eq(moved.from, "sv1", "from sv1");"#),
    e("MigrationResult.to", "The destination host's name.", r#"check_eq(moved.to, "sv2", "to sv2");"#),
    e("MigrationResult.address", "The address the destination's name resolved to.", r#"print(moved.address);"#),
    e("MigrationResult.profile", "The QEMU profile used.", r#"check_eq(moved.profile, "modern", "modern QEMU");"#),
    e("MigrationResult.rounds", "One map per pre-copy round.", r#"print(moved.rounds.len());"#),
    e("MigrationResult.table", "The rounds as a table.", r#"print(moved.table().text);"#),
    // The query API.
    e("lab", "", r#"print(sv1);
let q = lab();
check_eq(q.hosts, ["sv1", "sv2"], "two hosts");
check_eq(q.host("sv1").resolve("sv2"), "192.168.1.12", "sv2 resolves on sv1");"#),
    e("Lab.hosts", "The hosts' names, in creation order.", r#"print(sv1);
check_eq(lab().hosts, ["sv1", "sv2"], "two hosts");"#),
    e("Lab.has_host", "", r#"print(sv1);
check(lab().has_host("sv2"), "sv2 is there");
check(!lab().has_host("sv3"), "sv3 is not");"#),
    e("Lab.host", "", r#"print(sv1);
check_eq(lab().host("sv1").address("br0"), "192.168.1.11", "sv1's bridge address");
expect_error(|| lab().host("sv3"), "kvmlab::query::no_such_host");"#),
    e("Lab.guests", "The guests' names (those libvirt knows), in definition order.", r#"print(vm);
check_eq(lab().guests, ["centos-nz2"], "one guest");"#),
    e("Lab.has_guest", "", r#"print(vm);
check(lab().has_guest("centos-nz2"), "the guest is defined");"#),
    e("Lab.guest", "", r#"print(vm);
check_eq(lab().guest("centos-nz2").state, "running", "it runs");
expect_error(|| lab().guest("centos"), "kvmlab::query::no_such_guest");"#),
    e("Lab.nases", "The NAS boxes' names.", r#"print(nas);
check_eq(lab().nases, ["iscsi1"], "one NAS");"#),
    e("Lab.has_nas", "", r#"print(nas);
check(lab().has_nas("iscsi1"), "the NAS is there");"#),
    e("Lab.nas", "", r#"print(nas);
check_eq(lab().nas("iscsi1").targets.len(), 1, "one target");
expect_error(|| lab().nas("iscsi2"), "kvmlab::query::no_such_nas");"#),
    e("Lab.switches", "The switches' names.", r#"print(net1);
check_eq(lab().switches, ["NET1", "NET2"], "two networks");"#),
    e("Lab.migrations", "Every migration the run asked for, in order: #{guest, from, to, status (completed, failed, cancelled or refused), downtime_ms, total_time, transferred, iterations, memory_intact, postcopy, started, code} (`code`: the refusal's error code, else `()`).", r#"print(moved);
let m = lab().migrations[0];
check_eq([m.guest, m.from, m.to, m.status], ["centos-nz2", "sv1", "sv2", "completed"], "sv1 to sv2");
check(m.downtime_ms < 1000.0, "under a second of downtime");"#),
    e("Lab.downloads", "Every download, in start order: #{client, guest, path, size, bytes, done, intact, started, finished} (`intact`: done, and what arrived is the guest's file; `finished` is `()` while it runs).", r#"ftp.wait();
let d = lab().downloads[0];
check(d.done && d.intact, "the file arrived whole");
check_eq(d.bytes, d.size, "every byte");"#),
    e("Lab.diagnostics", "The diagnostics raised so far: #{code, severity (warning or error), file, line, message}.", r#"expect_warning(|| sv1.write_file("/etc/hosts", "sv1 192.168.1.11\n"), "kvmlab::net::hosts_reversed");
let d = lab().diagnostics[0];
check_eq([d.code, d.severity], ["kvmlab::net::hosts_reversed", "warning"], "a warning");
check(d.line > 0, "at the line of the write");"#),
    e("Lab.raised", "", r#"expect_warning(|| sv1.write_file("/etc/hosts", "sv1 192.168.1.11\n"), "kvmlab::net::hosts_reversed");
check_eq(lab().raised("kvmlab::net::hosts_reversed"), 1, "raised once");"#),
    e("Lab.raised_at", "", r#"expect_warning(|| sv1.write_file("/etc/hosts", "sv1 192.168.1.11\n"), "kvmlab::net::hosts_reversed");
check_eq(lab().raised_at("kvmlab::net::hosts_reversed").len(), 1, "at one line");"#),
    e("Lab.clock", "Seconds of lab time since the lab began, as `clock()`.", r#"sleep(2);
check_eq(lab().clock, 2.0, "two seconds");"#),
    e("Lab.output", "The lines printed so far (at most as many as an array may hold).", r#"print("hello");
check_eq(lab().output, ["hello"], "one line");"#),
    e("HostView.name", "The host's name.", r#"check_eq(lab().host(sv1.name).name, "sv1", "its name");"#),
    e("HostView.installed", "Whether an OS is installed.", r#"check(lab().host(sv1.name).installed, "sv1 has its OS");"#),
    e("HostView.kvm", "Whether KVM is usable (the CPU's extension, enabled in the BIOS).", r#"check(lab().host(sv1.name).kvm, "KVM is usable");"#),
    e("HostView.boots", "How many times the host was rebooted during the lab; 0 = never.", r#"sv2.reboot();
check_eq(lab().host("sv2").boots, 1, "rebooted once");"#),
    e("HostView.file", "", r#"check(lab().host(sv1.name).file("/etc/hosts").contains("sv2"), "sv2 is in /etc/hosts");
check_eq(lab().host("sv1").file("/etc/nothing"), (), "no such file");"#),
    e("HostView.has_file", "", r#"check(lab().host(sv1.name).has_file("/etc/fstab"), "sv1 has an fstab");"#),
    e("HostView.files", "Every file's path, sorted.", r#"check(lab().host(sv1.name).files.contains("/etc/hosts"), "/etc/hosts is there");"#),
    e("HostView.resolve", "", r#"check_eq(lab().host(sv1.name).resolve("sv2"), "192.168.1.12", "sv2 resolves");
check_eq(lab().host("sv1").resolve("nowhere"), (), "nowhere does not");"#),
    e("HostView.ping", "", r#"check(lab().host(sv1.name).ping("sv2"), "sv2 answers");"#),
    e("HostView.interfaces", "The interfaces: #{name, address (\"192.168.1.11/24\" or \"\"), up, switch (the switch's name, \"\" when unplugged; `switch` is a keyword, so read it as `i[\"switch\"]` or by its other name `i.net`)}.", r#"let br0 = lab().host(sv1.name).interfaces.filter(|i| i.name == "br0")[0];
check_eq([br0.address, br0.up, br0.net, br0["switch"]], ["192.168.1.11/24", true, "NET1", "NET1"], "sv1's bridge");"#),
    e("HostView.address", "", r#"check_eq(lab().host(sv1.name).address("eth1"), "10.10.1.11", "sv1 on NET2");
check_eq(lab().host("sv1").address("eth0"), (), "eth0 is a port of br0");"#),
    e("HostView.gateway", "The default gateway's address, or `()`.", r#"check_eq(lab().host(sv1.name).gateway, "192.168.1.1", "the router");"#),
    e("HostView.mounts", "What is mounted: #{source, target, fstype, options, lost} (`lost`: another host wrote over the file system).", r#"print(st);
let m = lab().host(sv1.name).mount("/iscsi1");
check_eq([m.source, m.fstype], ["/dev/sdb1", "ext3"], "the LUN's partition");
check_eq(lab().host("sv1").mounts.len(), 3, "/, /guest and /iscsi1");"#),
    e("HostView.mounted", "", r#"print(st);
check(lab().host(sv1.name).mounted("/iscsi1"), "the LUN is mounted");"#),
    e("HostView.mount", "", r#"print(st);
check_eq(lab().host(sv1.name).mount("/iscsi1").source, "/dev/sdb1", "the LUN's partition");
check_eq(lab().host("sv1").mount("/data"), (), "nothing on /data");"#),
    e("HostView.fstab", "The entries of /etc/fstab as mount reads them: #{device, target, fstype, options, dump, pass}; [] without the file.", r#"print(st);
let e = lab().host(sv1.name).fstab.filter(|e| e.target == "/iscsi1")[0];
check_eq([e.device, e.options, e.dump, e.pass], ["/dev/sdb1", "_netdev", 0, 0], "mounted after the network");"#),
    e("HostView.service", "", r#"print(st);
let iscsi = lab().host(sv1.name).service("iscsi");
check(iscsi.running && iscsi.enabled, "iscsi runs and starts at boot");"#),
    e("HostView.has_package", "", r#"print(st);
check(lab().host(sv1.name).has_package("iscsi-initiator-utils"), "the initiator is installed");"#),
    e("HostView.iscsi_sessions", "The IQNs of the targets the host is logged in to.", r#"check_eq(lab().host(sv1.name).iscsi_sessions, [st.target], "one session");"#),
    e("HostView.iscsi_nodes", "The IQNs of the targets discovery recorded.", r#"check_eq(lab().host(sv1.name).iscsi_nodes, [st.target], "one node record");"#),
    e("HostView.iscsi_automatic", "", r#"check(lab().host(sv1.name).iscsi_automatic(st.target), "logged in at boot");"#),
    e("HostView.pools", "The libvirt pools: #{name, kind, active, autostart, target}.", r#"print(pool);
check_eq(lab().host(sv1.name).pools.map(|p| p.name), ["iscsi1"], "one pool");"#),
    e("HostView.pool", "", r#"print(pool);
let p = lab().host(sv1.name).pool("iscsi1");
check_eq([p.kind, p.active, p.target], ["dir", true, "/iscsi1"], "a started dir pool");"#),
    e("HostView.volumes", "", r#"pool.create_volume(#{name: "disk.img", capacity: "1G"});
check_eq(lab().host(sv1.name).volumes("iscsi1")[0].path, "/iscsi1/disk.img", "the new volume");"#),
    e("HostView.guests", "The names of the guests defined on this host.", r#"print(vm);
check_eq(lab().host(sv1.name).guests, ["centos-nz2"], "centos-nz2 is on sv1");"#),
    e("HostView.df", "", r#"print(st);
let df = lab().host(sv1.name).df("/iscsi1");
check_eq(df.filesystem, "/dev/sdb1", "the LUN");
check(df.used + df.available <= df.size, "sizes in bytes");"#),
    e("GuestView.name", "The guest's name.", r#"check_eq(lab().guest(vm.name).name, "centos-nz2", "its name");"#),
    e("GuestView.host", "The name of the host it runs on.", r#"check_eq(lab().guest(vm.name).host, "sv1", "on sv1");"#),
    e("GuestView.state", "running, paused, shut off, …, as virsh domstate says.", r#"check_eq(lab().guest(vm.name).state, "running", "it runs");"#),
    e("GuestView.disk", "Its disk image's path.", r#"check_eq(lab().guest(vm.name).disk, "/iscsi1/centos-nz2.img", "on the shared pool");"#),
    e("GuestView.memory", "Its RAM in bytes.", r#"check_eq(lab().guest(vm.name).memory, size("512M"), "512 MiB");"#),
    e("GuestView.vcpus", "Its virtual CPUs.", r#"check_eq(lab().guest(vm.name).vcpus, 1, "one vCPU");"#),
    e("GuestView.disk_state", "Its disk as it sees it: ok, waiting, failing, read-only, paused on I/O error or damaged.", r#"check_eq(lab().guest(vm.name).disk_state, "ok", "its disk answers");"#),
    e("GuestView.disk_error", "Why its disk fails, or `()` while it is healthy.", r#"check_eq(lab().guest(vm.name).disk_error, (), "a healthy disk");"#),
    e("GuestView.disk_visible_from", "", r#"check(lab().guest(vm.name).disk_visible_from("sv2"), "sv2 sees the disk: it can migrate");"#),
    e("GuestView.files", "The paths of the files it serves.", r#"vm.serve_file("/var/ftp/pub/small.iso", size("10M"));
check_eq(lab().guest(vm.name).files, ["/var/ftp/pub/small.iso"], "one file");"#),
    e("NasView.name", "The NAS's name.", r#"check_eq(lab().nas(nas.name).name, "iscsi1", "its name");"#),
    e("NasView.targets", "The IQNs of its iSCSI targets.", r#"check_eq(lab().nas(nas.name).targets, [st.target], "the lab's target");"#),
    e("NasView.shares", "The names of its NFS shares.", r#"nas.nfs_share("guests");
check_eq(lab().nas(nas.name).shares, ["guests"], "one share");"#),
];
