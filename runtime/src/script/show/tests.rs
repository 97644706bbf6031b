//! Exact renderings at 80 columns of the report's lab, built with the stdlib helpers the
//! reference's examples use.

use super::*;
use crate::script::engine::{self, Limits};
use crate::script::examples::PRELUDES;
use crate::script::modules::{LabModules, Sources};
use crate::script::SharedSession;
// A test needs a backend to build a lab on; the simulator is the one there is.
use crate::sim::Simulator;
use rhai::Scope;
use std::path::PathBuf;

/// The session and scope after the first `preludes` of the reference's preludes, then `code`.
fn lab(preludes: usize, code: &str) -> (SharedSession, Scope<'static>) {
    let session = Session::new(Box::new(Simulator::new(0)), "lab.rhai", PathBuf::new());
    let modules = LabModules::new(None, PathBuf::new(), Sources::default());
    let engine = engine::build(&session, &Limits::default(), modules);
    let mut scope = Scope::new();
    let mut text: Vec<&str> = PRELUDES[..preludes].iter().map(|p| p.code).collect();
    text.push(code);
    if let Err(e) = engine.run_with_scope(&mut scope, &text.join("\n")) {
        panic!("the lab did not build: {e}");
    }
    (session, scope)
}

fn shown(session: &SharedSession, scope: &Scope, name: &str) -> String {
    let value = scope
        .get_value::<Dynamic>(name)
        .expect("a variable of the lab");
    let text = show(&value, &session.borrow(), 80);
    assert_widths(&text);
    text
}

fn assert_widths(text: &str) {
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "wider than 80: {line}");
    }
}

/// `text` without the newline that opens a raw string literal.
fn expected(text: &str) -> &str {
    text.strip_prefix('\n').unwrap_or(text)
}

#[test]
fn a_host_shows_its_os_addresses_mounts_and_guests() {
    let (session, scope) = lab(5, "");
    let want = r#"
+------------+-----------------------------+
| host       | sv1                         |
| OS         | Scientific Linux 6.1 x86_64 |
| interfaces | lo 127.0.0.1/8 up           |
|            | eth0 up NET1                |
|            | eth1 10.10.1.11/24 up NET2  |
|            | br0 192.168.1.11/24 up NET1 |
| mounts     | /dev/sda1 on / (ext4)       |
|            | /dev/sda3 on /guest (ext4)  |
|            | /dev/sdb1 on /iscsi1 (ext3) |
| guests     | none                        |
+------------+-----------------------------+"#;
    assert_eq!(shown(&session, &scope, "sv1"), expected(want));
}

#[test]
fn a_guest_shows_its_host_state_memory_vcpus_and_disk() {
    let (session, scope) = lab(5, "");
    let want = r#"
+--------+------------------------+
| guest  | centos-nz2             |
| host   | sv2                    |
| state  | running                |
| memory | 512 MiB                |
| vcpus  | 1                      |
| disk   | /iscsi1/centos-nz2.img |
+--------+------------------------+"#;
    assert_eq!(shown(&session, &scope, "vm"), expected(want));
}

#[test]
fn a_migration_result_is_rounded_with_units() {
    let (session, scope) = lab(5, "");
    let want = r#"
+-------------+----------------------+
| migration   | centos-nz2 sv1 → sv2 |
| status      | completed            |
| total time  | 18 s                 |
| downtime    | 71 ms                |
| transferred | 201.5 MiB            |
| iterations  | 3                    |
+-------------+----------------------+"#;
    assert_eq!(shown(&session, &scope, "moved"), expected(want));
}

#[test]
fn an_array_of_hosts_is_one_table_with_a_row_each() {
    let (session, scope) = lab(5, "let both = [sv1, sv2];");
    let want = r#"
+------+------------+----------------------+----------------------+------------+
| host | OS         | interfaces           | mounts               | guests     |
+==============================================================================+
| sv1  | Scientific | lo 127.0.0.1/8 up    | /dev/sda1 on /       | none       |
|      | Linux 6.1  | eth0 up NET1         | (ext4)               |            |
|      | x86_64     | eth1 10.10.1.11/24   | /dev/sda3 on /guest  |            |
|      |            | up NET2              | (ext4)               |            |
|      |            | br0 192.168.1.11/24  | /dev/sdb1 on /iscsi1 |            |
|      |            | up NET1              | (ext3)               |            |
| sv2  | Scientific | lo 127.0.0.1/8 up    | /dev/sda1 on /       | centos-nz2 |
|      | Linux 6.1  | eth0 up NET1         | (ext4)               | (running)  |
|      | x86_64     | eth1 10.10.1.12/24   | /dev/sda3 on /guest  |            |
|      |            | up NET2              | (ext4)               |            |
|      |            | br0 192.168.1.12/24  | /dev/sdb1 on /iscsi1 |            |
|      |            | up NET1              | (ext3)               |            |
+------+------------+----------------------+----------------------+------------+"#;
    assert_eq!(shown(&session, &scope, "both"), expected(want));
}

#[test]
fn a_map_is_a_key_value_table_with_strings_quoted_escaped_and_floats_rounded() {
    let (session, scope) = lab(
        5,
        r#"let m = #{name: "a\nb", rate: 2.0/3.0, n: 3, host: sv1};"#,
    );
    let want = r#"
+------+--------+
| key  | value  |
+===============+
| host | sv1    |
| n    | 3      |
| name | "a\nb" |
| rate | 0.6667 |
+------+--------+"#;
    assert_eq!(shown(&session, &scope, "m"), expected(want));
}

#[test]
fn a_running_download_shows_its_bytes_rate_and_progress() {
    let (session, scope) = lab(6, "sleep(5);");
    let want = r#"
+----------+----------------------+
| download | /var/ftp/pub/big.iso |
| bytes    | 56.1 MiB of 200 MiB  |
| rate     | 11.2 MiB/s           |
| done     | no                   |
+----------+----------------------+"#;
    assert_eq!(shown(&session, &scope, "ftp"), expected(want));
    let want = r#"
lab time: 371.8 s (6.2 min)
downloads running:
+--------+------------+----------------------+-----------------+
| client | from       | file                 | progress        |
+==============================================================+
| pc     | centos-nz2 | /var/ftp/pub/big.iso | 28 % of 200 MiB |
+--------+------------+----------------------+-----------------+"#;
    let time = time_summary(&session.borrow(), 80);
    assert_widths(&time);
    assert_eq!(time, expected(want));
}

#[test]
fn time_with_nothing_running_says_so() {
    let (session, _) = lab(2, "sleep(90);");
    assert_eq!(
        time_summary(&session.borrow(), 80),
        "lab time: 90 s (1.5 min)\nnothing running"
    );
}

#[test]
fn the_world_summary_of_the_reports_lab() {
    let (session, _) = lab(5, "");
    let want = r#"
hosts
+------+-----------------------+-----------------------+-----------------------+
| host | OS                    | interfaces            | mounts                |
+==============================================================================+
| sv1  | Scientific Linux 6.1  | lo 127.0.0.1/8 up     | /dev/sda1 on / (ext4) |
|      | x86_64                | eth0 up NET1          | /dev/sda3 on /guest   |
|      |                       | eth1 10.10.1.11/24 up | (ext4)                |
|      |                       | NET2                  | /dev/sdb1 on /iscsi1  |
|      |                       | br0 192.168.1.11/24   | (ext3)                |
|      |                       | up NET1               |                       |
| sv2  | Scientific Linux 6.1  | lo 127.0.0.1/8 up     | /dev/sda1 on / (ext4) |
|      | x86_64                | eth0 up NET1          | /dev/sda3 on /guest   |
|      |                       | eth1 10.10.1.12/24 up | (ext4)                |
|      |                       | NET2                  | /dev/sdb1 on /iscsi1  |
|      |                       | br0 192.168.1.12/24   | (ext3)                |
|      |                       | up NET1               |                       |
+------+-----------------------+-----------------------+-----------------------+

host services
+------+----------------------------------------+------------------------------+
| host | iSCSI sessions                         | services running             |
+==============================================================================+
| sv1  | iqn.2006-01.com.openfiler:tsn.b5ffc134 | iscsid network iscsi rpcbind |
|      | d692                                   | nfslock netfs sshd libvirtd  |
| sv2  | iqn.2006-01.com.openfiler:tsn.b5ffc134 | iscsid network iscsi rpcbind |
|      | d692                                   | nfslock netfs sshd libvirtd  |
+------+----------------------------------------+------------------------------+

networks
+---------+----------------+------------+----------+
| network | subnet         | speed      | attached |
+==================================================+
| NET1    | 192.168.1.0/24 | 100 Mbit/s | sv1:eth0 |
|         |                |            | sv1:br0  |
|         |                |            | sv2:eth0 |
|         |                |            | sv2:br0  |
| NET2    | 10.10.0.0/16   | 1 Gbit/s   | sv1:eth1 |
|         |                |            | sv2:eth1 |
+---------+----------------+------------+----------+

storage
+--------+--------------------------------------------+
| NAS    | targets                                    |
+=====================================================+
| iscsi1 | iqn.2006-01.com.openfiler:tsn.b5ffc134d692 |
+--------+--------------------------------------------+

pools
+------+--------+------+---------+--------+---------+
| host | pool   | type | target  | active | volumes |
+===================================================+
| sv1  | iscsi1 | dir  | /iscsi1 | yes    | 1       |
| sv2  | iscsi1 | dir  | /iscsi1 | yes    | 1       |
+------+--------+------+---------+--------+---------+

guests
+------------+------+---------+---------+------------------------+
| guest      | host | state   | memory  | disk                   |
+================================================================+
| centos-nz2 | sv2  | running | 512 MiB | /iscsi1/centos-nz2.img |
+------------+------+---------+---------+------------------------+

migrations
+------------+-----------+-----------+----------+------------+
| guest      | from → to | status    | downtime | total time |
+============================================================+
| centos-nz2 | sv1 → sv2 | completed | 71 ms    | 18 s       |
+------------+-----------+-----------+----------+------------+

lab time: 366.8 s (6.1 min)"#;
    let world = world_summary(&session.borrow(), 80);
    assert_widths(&world);
    assert_eq!(world, expected(want));
}

#[test]
fn a_script_string_cannot_draw_on_the_terminal() {
    let (session, scope) = lab(2, "let s = \"ok\u{1b}[2J\";");
    assert_eq!(shown(&session, &scope, "s"), r#""ok\x1b[2J""#);
}

#[test]
fn numbers_are_rounded_for_people() {
    let (session, scope) = lab(2, "let x = 402.28982009; let y = 360.0; let z = 7;");
    assert_eq!(shown(&session, &scope, "x"), "402.3");
    assert_eq!(shown(&session, &scope, "y"), "360");
    assert_eq!(shown(&session, &scope, "z"), "7");
}

#[test]
fn a_narrow_terminal_gets_a_narrow_world() {
    let (session, _) = lab(5, "");
    let world = world_summary(&session.borrow(), 60);
    for line in world.lines() {
        assert!(line.chars().count() <= 60, "wider than 60: {line}");
    }
}

#[test]
fn command_output_shows_as_the_tools_text() {
    let (session, scope) = lab(2, "let routes = sv1.routes();");
    let want = r#"
default via 192.168.1.1 dev br0
10.10.1.0/24 dev eth1 proto kernel scope link src 10.10.1.11
192.168.1.0/24 dev br0 proto kernel scope link src 192.168.1.11"#;
    assert_eq!(shown(&session, &scope, "routes"), expected(want));
}

#[test]
fn a_pool_shows_its_fields_then_its_volumes() {
    let (session, scope) = lab(5, "");
    let want = r#"
+-----------+---------+
| pool      | iscsi1  |
| host      | sv1     |
| type      | dir     |
| target    | /iscsi1 |
| active    | yes     |
| autostart | yes     |
+-----------+---------+
+----------------+------------------------+----------+------------+
| volume         | path                   | capacity | allocation |
+=================================================================+
| centos-nz2.img | /iscsi1/centos-nz2.img | 20 GiB   | 2.1 GiB    |
+----------------+------------------------+----------+------------+"#;
    assert_eq!(shown(&session, &scope, "pool"), expected(want));
}

#[test]
fn a_nas_and_a_network_show_as_field_tables() {
    let (session, scope) = lab(5, "");
    let nas = r#"
+---------+--------------------------------------------+
| NAS     | iscsi1                                     |
| targets | iqn.2006-01.com.openfiler:tsn.b5ffc134d692 |
+---------+--------------------------------------------+"#;
    assert_eq!(shown(&session, &scope, "nas"), expected(nas));
    let net2 = r#"
+----------+--------------+
| network  | NET2         |
| subnet   | 10.10.0.0/16 |
| speed    | 1 Gbit/s     |
| attached | sv1:eth1     |
|          | sv2:eth1     |
+----------+--------------+"#;
    assert_eq!(shown(&session, &scope, "net2"), expected(net2));
}

/// Whether `text` names a Rust type by its path (`kvmlab_runtime::script::network::NicRef`,
/// `network::NicRef`): a `::` before a capital. Diagnostic codes (`kvmlab::units::size`)
/// are lower case.
fn has_rust_path(text: &str) -> bool {
    text.contains("kvmlab_runtime::")
        || text
            .match_indices("::")
            .any(|(at, _)| text[at + 2..].starts_with(|c: char| c.is_ascii_uppercase()))
}

#[test]
fn every_type_a_script_can_get_prints_and_shows_as_people_read_it() {
    use crate::console_session::ConsoleSession;
    use crate::script::examples::TYPES;
    let mut c = ConsoleSession::new(0, Limits::default(), None);
    let setup: Vec<&str> = PRELUDES.iter().map(|p| p.code).collect();
    assert!(
        !c.eval(&setup.join("\n")).failed(),
        "the examples' lab builds"
    );
    for ty in TYPES {
        let made = c.eval(&format!("let it = {};", ty.sample));
        assert!(!made.failed(), "{}: {:?}", ty.name, made.error());
        assert_eq!(c.eval("type_of(it)").value.to_string(), ty.name);
        for expr in ["it", "[it]", "#{v: it}", "[it, it]"] {
            let e = c.eval(&format!("print({expr});\ndebug({expr});\n{expr}"));
            assert!(!e.failed(), "{}: {expr}: {:?}", ty.name, e.error());
            let printed: Vec<&str> = e.output().collect();
            let shown = show(&e.value, &c.session().borrow(), 80);
            assert_widths(&shown);
            for text in printed.iter().copied().chain([shown.as_str()]) {
                assert!(!has_rust_path(text), "{}: {expr} shows {text}", ty.name);
                // A bare type name says nothing of the value.
                for bare in [ty.name.to_string(), format!("[{}]", ty.name)] {
                    assert_ne!(text, bare, "{}: {expr}", ty.name);
                }
            }
        }
    }
}

#[test]
fn a_router_a_ping_and_a_client_show_as_field_tables() {
    let (session, scope) = lab(
        6,
        r#"let gw = lab.gateway; let answered = sv1.ping("sv2"); let lost = sv1.ping("nowhere");"#,
    );
    let gw = r#"
+--------+------------------------------+
| router | gateway                      |
| ports  | port0 192.168.1.1/24 up NET1 |
+--------+------------------------------+"#;
    assert_eq!(shown(&session, &scope, "gw"), expected(gw));
    let answered = r#"
+---------+--------------------------+
| ping    | sv1 → sv2                |
| address | 192.168.1.12             |
| reply   | in 0.149 ms              |
| path    | sv1 br0 → NET1 → sv2 br0 |
+---------+--------------------------+"#;
    assert_eq!(shown(&session, &scope, "answered"), expected(answered));
    let lost = r#"
+---------+--------------------------------------------------------------------+
| ping    | sv1 → nowhere                                                      |
| address | not resolved                                                       |
| reply   | none                                                               |
| reason  | sv1 cannot resolve `nowhere`: no line of /etc/hosts names it, and  |
|         | the lab has no DNS server                                          |
| help    | add a line `ADDRESS nowhere` to /etc/hosts on sv1                  |
+---------+--------------------------------------------------------------------+"#;
    assert_eq!(shown(&session, &scope, "lost"), expected(lost));
    let pc = r#"
+-----------+------------------+
| client    | pc               |
| address   | 192.168.1.100/24 |
| network   | NET1             |
| speed     | 100 Mbit/s       |
| downloads | 1                |
+-----------+------------------+"#;
    assert_eq!(shown(&session, &scope, "pc"), expected(pc));
}

#[test]
fn an_error_shows_its_code_message_and_help() {
    let (session, scope) = lab(
        0,
        r#"let e = (); try { size("lots"); } catch (err) { e = err; }"#,
    );
    let want = r#"
+---------+--------------------------------------------------------------------+
| error   | kvmlab::units::size                                                |
| message | `lots` is not a size                                               |
| help    | write bytes as an integer, or a number with a unit: "512M", "20G", |
|         | "1.5TiB", "100GB" (K/M/G/T are binary)                             |
+---------+--------------------------------------------------------------------+"#;
    assert_eq!(shown(&session, &scope, "e"), expected(want));
}

#[test]
fn cards_and_services_are_one_line_and_entities_in_lists_and_maps_are_named() {
    let (session, scope) = lab(
        2,
        r#"let eth1 = sv1.nic("eth1"); let network = sv1.service("network");
let cards = [sv1.nic("eth0"), sv2.nic("eth1")];
let seen = #{card: sv1.nic("eth0"), net: net1, via: lab.gateway};"#,
    );
    assert_eq!(
        shown(&session, &scope, "eth1"),
        "sv1 eth1 10.10.1.11/24 up NET2"
    );
    assert_eq!(
        shown(&session, &scope, "network"),
        "network on sv1: running, starts at boot"
    );
    let cards = r#"
+--------------------------------+
| sv1 eth0 up NET1               |
| sv2 eth1 10.10.1.12/24 up NET2 |
+--------------------------------+"#;
    assert_eq!(shown(&session, &scope, "cards"), expected(cards));
    let seen = r#"
+------+------------------+
| key  | value            |
+=========================+
| card | sv1 eth0 up NET1 |
| net  | NET1             |
| via  | gateway          |
+------+------------------+"#;
    assert_eq!(shown(&session, &scope, "seen"), expected(seen));
}
