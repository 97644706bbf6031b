//! `kvmlab run --backend libvirt`: choosing the backend and its site, `connect(name, uri)`,
//! and (with `KVMLAB_REAL_TESTS=1` on a kvmlab built with `--features libvirt`) a lab on the
//! shared real lab: guests defined, started and live-migrated on real libvirt hosts.

use crate::harness::{unwrapped, Test};

const READY_HOST: &str = r#"let sv3 = connect("sv3", "qemu+ssh://root@sv3/system");
check(sv3.kvm_usable, "sv3 is ready for KVM");
check_eq(sv3.name, "sv3", "its name");
sv3.define_pool(#{name: "images", type: "dir", target: "/guest"});
"#;

#[test]
fn connect_makes_a_ready_host_on_the_simulator() {
    Test::new()
        .script(READY_HOST)
        .status(0)
        .stdout("PASS sv3 is ready for KVM")
        .stdout("PASS its name")
        .run();
}

#[test]
fn connect_refuses_what_is_not_a_libvirt_uri() {
    Test::new()
        .script("connect(\"sv3\", \"sv3.example.com\");\n")
        .status(2)
        .diagnostic("kvmlab::libvirt::bad_uri", 1)
        .stderr("`sv3.example.com` is not a libvirt URI")
        .stderr("help: write DRIVER[+TRANSPORT]://[HOST]/PATH")
        .run();
}

#[test]
fn the_simulators_report_has_no_checked_only_list() {
    let out = Test::new().script(READY_HOST).json().status(0).run();
    assert!(out.report.get("checked_only").is_none(), "{}", out.report);
    assert_eq!(out.report["backend"], "sim");
}

#[test]
fn real_host_flags_need_the_libvirt_backend() {
    let out = Test::new()
        .script(READY_HOST)
        .args(&["run", "lab.rhai", "--host", "sv1=qemu:///system"])
        .status(64)
        .run();
    assert!(
        out.stderr.contains(
            "`--host`, `--lab` and `--nas` name real hosts: give `--backend libvirt` with them"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn a_lab_folder_without_a_lab_is_refused_with_the_way_to_bring_one_up() {
    let out = Test::new()
        .script(READY_HOST)
        .args(&[
            "run",
            "lab.rhai",
            "--backend",
            "libvirt",
            "--lab",
            "no-lab-here",
        ])
        .status(2)
        .run();
    let text = unwrapped(&out.stderr);
    assert!(text.contains("kvmlab::libvirt::no_site"), "{text}");
    assert!(
        text.contains("no real lab to run on: `no-lab-here/lab.toml` does not exist"),
        "{text}"
    );
    assert!(
        text.contains("help: bring one up with `kvmlab up`"),
        "{text}"
    );
}

#[test]
fn a_bad_host_flag_is_refused_before_the_lab_runs() {
    let out = Test::new()
        .script(READY_HOST)
        .args(&["run", "lab.rhai", "--backend", "libvirt", "--host", "sv1"])
        .status(2)
        .run();
    let text = unwrapped(&out.stderr);
    assert!(text.contains("kvmlab::libvirt::bad_host_flag"), "{text}");
    assert!(
        text.contains("`--host sv1` has no `=`: it names no URI"),
        "{text}"
    );
}

#[test]
fn a_nas_that_is_not_an_iscsi_lun_is_refused_with_the_form_it_takes() {
    let out = Test::new()
        .script(READY_HOST)
        .args(&[
            "run",
            "lab.rhai",
            "--backend",
            "libvirt",
            "--host",
            "sv1=qemu+ssh://root@sv1/system",
            "--nas",
            "iscsi://192.168.0.240/iqn.2006-01.com.thecus:iscsi1",
        ])
        .status(2)
        .run();
    let text = unwrapped(&out.stderr);
    assert!(text.contains("kvmlab::libvirt::bad_nas_uri"), "{text}");
    assert!(
        text.contains("is not an iSCSI LUN: it names no LUN after the target"),
        "{text}"
    );
    assert!(
        text.contains("--nas iscsi://PORTAL[:PORT]/IQN/LUN"),
        "{text}"
    );
}

#[cfg(not(feature = "libvirt"))]
#[test]
fn the_libvirt_backend_is_refused_when_kvmlab_was_built_without_it() {
    Test::new()
        .script(READY_HOST)
        .args(&[
            "run",
            "lab.rhai",
            "--backend",
            "libvirt",
            "--host",
            "sv3=qemu:///system",
        ])
        .status(2)
        .stderr("this kvmlab was built without the libvirt backend")
        .stderr("help: build it with `cargo build --features libvirt`")
        .run();
}

#[cfg(feature = "libvirt")]
mod test_driver {
    //! libvirt's own test driver (`test:///default`): a libvirt host in the process, with no
    //! daemon and no root, that defines, starts and pauses domains but runs nothing.

    use crate::harness::Test;

    const HOSTS: [&str; 4] = [
        "--host",
        "sv1=test:///default",
        "--host",
        "sv2=test:///default",
    ];

    fn args(extra: &[&'static str]) -> Vec<&'static str> {
        let mut args = vec!["run", "lab.rhai", "--backend", "libvirt"];
        args.extend_from_slice(extra);
        args
    }

    const GUEST: &str = r#"import "kvmlab/hosts" as hosts;
const ISO = "/guest/iso/CentOS-5.6-i386-bin-DVD.iso";
let lab = hosts::build();
let sv1 = lab.sv1;
let pool = sv1.define_pool(#{name: "a-local", type: "dir", target: "/guest"});
let vol = pool.create_volume(#{name: "a-disk.img", capacity: "1G", allocation: 0});
sv1.store_file(ISO, size("3.9G"));
let g = sv1.define_guest(#{name: "NAME", memory: "128M", virt_type: "kvm", iso: ISO,
    disk: vol, cache: "none", network: #{bridge: "br0"}});
g.install();
check_eq(g.state, "running", "it runs");
g.suspend();
check_eq(g.state, "paused", "it pauses");
g.resume();
g.destroy();
check_eq(g.state, "shut off", "it is off");
"#;

    #[test]
    fn a_guest_lives_its_life_on_a_libvirt_host() {
        let out = Test::new()
            .script(&GUEST.replace("NAME", "a-guest1"))
            .args(&args(&HOSTS))
            .json()
            .status(0)
            .run();
        assert_eq!(out.report["passed"], 3, "{}", out.report);
        let codes: Vec<&str> = out.report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap())
            .collect();
        // The real states matched the model's after every action.
        assert_eq!(codes, ["kvmlab::libvirt::no_images"], "{}", out.report);
        let checked = &out.report["checked_only"];
        assert_eq!(checked[0]["operation"], "switch");
        assert_eq!(checked[0]["count"], 2);
        assert!(checked
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["operation"] == "install_os" && c["count"] == 2));
    }

    #[test]
    fn a_site_without_the_linux_image_refuses_to_serve_files_and_says_where_it_can() {
        let script = GUEST.replace("NAME", "a-guest1").replace(
            "g.suspend();",
            "g.serve_file(\"/var/ftp/pub/big.iso\", size(\"1G\"));\ng.suspend();",
        );
        Test::new()
            .script(&script)
            .args(&args(&HOSTS))
            .status(2)
            .diagnostic("kvmlab::libvirt::unsupported", 12)
            .stderr("`serve_file on a-guest1` is not available on real hosts yet")
            .stderr("help: the site has no Linux image, the guest that serves files: run on a `kvmlab up` lab")
            .run();
    }

    #[test]
    fn the_console_lists_what_was_only_checked() {
        Test::new()
            .script(&GUEST.replace("NAME", "a-guest1"))
            .args(&args(&HOSTS))
            .status(0)
            .stdout("checked, not performed on real hosts: switch ×2, router ×1, install_os ×2,")
            .run();
    }

    #[test]
    fn a_name_the_host_already_has_is_refused_and_another_name_works() {
        // The test driver comes with a domain named `test`.
        let refused = Test::new()
            .script(&GUEST.replace("NAME", "test"))
            .args(&args(&HOSTS))
            .status(2)
            .diagnostic("kvmlab::libvirt::refused", 8)
            .stderr("libvirt on sv1 refused to define the guest test: operation failed: domain 'test' already exists")
            .stderr("help: sv1 already has one of that name, made outside this lab: give the lab's guest another name")
            .run();
        assert!(
            !refused.stderr.contains("libvirt: "),
            "libvirt printed: {}",
            refused.stderr
        );
        // As the help says: another name, and the lab runs.
        Test::new()
            .script(&GUEST.replace("NAME", "a-test"))
            .args(&args(&HOSTS))
            .status(0)
            .run();
    }

    #[test]
    fn a_host_the_site_lacks_is_refused_and_adding_it_works() {
        let lab = "import \"kvmlab/report\" as report;\nlet sv1 = host(\"sv1\", report::server_spec());\nlet sv2 = host(\"sv2\", report::server_spec());\n";
        Test::new()
            .script(lab)
            .args(&args(&["--host", "sv1=test:///default"]))
            .status(2)
            .diagnostic("kvmlab::libvirt::unknown_host", 3)
            .stderr("the real lab has no host `sv2`; its hosts: sv1")
            .stderr("give it on the command line, `--host sv2=qemu+ssh://root@sv2/system`")
            .run();
        Test::new().script(lab).args(&args(&HOSTS)).status(0).run();
    }

    #[test]
    fn sleep_is_wall_time_on_real_hosts() {
        let out = Test::new()
            .script("sleep(0.3);\nrecord(\"slept\", clock());\nsleep(-1);\n")
            .args(&args(&HOSTS))
            .status(2)
            .diagnostic("kvmlab::lab::bad_duration", 3)
            .run();
        let slept = out.report["values"]["slept"].as_f64().unwrap();
        assert!((0.3..5.0).contains(&slept), "{slept}");
    }

    #[test]
    fn faults_are_the_simulators_and_real_hosts_refuse_them_by_name() {
        let lab = "let sv1 = connect(\"sv1\", \"test:///default\");\n";
        for (line, operation) in [
            (
                "fault(#{kind: \"power_loss\", host: \"sv1\"});",
                "`power_loss`",
            ),
            ("sv1.crash();", "`power_loss`"),
            ("sv1.power_on();", "`power_on`"),
        ] {
            Test::new()
                .script(&format!("{lab}{line}\n"))
                .args(&args(&HOSTS))
                .status(2)
                .diagnostic("kvmlab::libvirt::unsupported", 2)
                .stderr(&format!("{operation} is not available on real hosts yet"))
                .stderr("faults and the recoveries after them run on the simulator")
                .run();
        }
    }

    #[test]
    fn checkpoints_are_the_simulators_and_from_replays_on_real_hosts() {
        let lab = "let sv1 = connect(\"sv1\", \"test:///default\");\n";
        Test::new()
            .script(&format!("{lab}let cp = checkpoint(\"x\");\n"))
            .args(&args(&HOSTS))
            .status(2)
            .diagnostic("kvmlab::libvirt::unsupported", 2)
            .stderr("`checkpoint` is not available on real hosts yet")
            .stderr("run the lab from a step with `kvmlab run LAB --from N`")
            .run();
        let steps = format!(
            "step(\"one\");\n{lab}step(\"two\");\ncheck_eq(sv1.name, \"sv1\", \"connected in step 1\");\n"
        );
        let mut from = args(&HOSTS);
        from.extend(["--from", "2"]);
        Test::new()
            .script(&steps)
            .args(&from)
            .status(0)
            .stdout("2. two")
            .stdout("PASS connected in step 1")
            .run();
    }

    #[test]
    fn an_unreachable_host_names_its_uri_and_libvirts_reason() {
        Test::new()
            .script("import \"kvmlab/report\" as report;\nhost(\"sv1\", report::server_spec());\n")
            .args(&args(&["--host", "sv1=qemu+tcp://127.0.0.1:1/system"]))
            .status(2)
            .diagnostic("kvmlab::libvirt::unreachable", 2)
            .stderr("cannot reach sv1 at `qemu+tcp://127.0.0.1:1/system`")
            .stderr("Connection refused")
            .run();
    }
}

#[cfg(feature = "libvirt")]
mod real {
    //! On the lab up at `KVMLAB_REAL_LAB` (default /var/lib/kvmlab), every libvirt object
    //! named with the prefix `a-` and removed when the test ends. One test drives the lab at
    //! a time: they share its names.

    use crate::harness::Test;
    use crate::real_lab::ONE_LAB;
    use std::path::PathBuf;
    use std::process::Command;
    use std::sync::MutexGuard;

    /// The lab's folder, and this test's turn on it.
    fn shared_lab() -> Option<(MutexGuard<'static, ()>, PathBuf)> {
        if std::env::var("KVMLAB_REAL_TESTS").as_deref() != Ok("1") {
            eprintln!("skipped: set KVMLAB_REAL_TESTS=1 (root, a `kvmlab up` lab) to run the libvirt backend on real hosts");
            return None;
        }
        let dir = std::env::var_os("KVMLAB_REAL_LAB")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/var/lib/kvmlab"));
        assert!(
            dir.join("lab.toml").is_file(),
            "no lab is up at {}: `kvmlab up --dir {0}` first",
            dir.display()
        );
        let turn = ONE_LAB.lock().unwrap_or_else(|e| e.into_inner());
        Some((turn, dir))
    }

    fn virsh(dir: &std::path::Path, host: &str, args: &[&str]) -> String {
        let uri = format!(
            "qemu+unix:///system?socket={}/{host}/run/libvirt-sock",
            dir.display()
        );
        let out = Command::new("virsh")
            .args(["-q", "-c", &uri])
            .args(args)
            .output()
            .expect("virsh runs");
        // virsh pads names to its columns.
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Removes every `a-` domain and pool (with its volumes) from both hosts.
    struct CleanUp(PathBuf);

    impl Drop for CleanUp {
        fn drop(&mut self) {
            for host in ["sv1", "sv2"] {
                for domain in virsh(&self.0, host, &["list", "--all", "--name"]).lines() {
                    if domain.starts_with("a-") {
                        virsh(&self.0, host, &["destroy", domain]);
                        virsh(&self.0, host, &["undefine", domain]);
                    }
                }
                for pool in virsh(&self.0, host, &["pool-list", "--all", "--name"]).lines() {
                    if !pool.starts_with("a-") {
                        continue;
                    }
                    virsh(&self.0, host, &["pool-start", pool]);
                    for line in virsh(&self.0, host, &["vol-list", pool]).lines() {
                        if let Some(volume) = line.split_whitespace().next() {
                            virsh(&self.0, host, &["vol-delete", volume, "--pool", pool]);
                        }
                    }
                    virsh(&self.0, host, &["pool-destroy", pool]);
                    virsh(&self.0, host, &["pool-delete", pool]);
                    virsh(&self.0, host, &["pool-undefine", pool]);
                }
            }
        }
    }

    const LAB: &str = r#"import "kvmlab/hosts" as hosts;
import "kvmlab/report" as report;
import "kvmlab/storage" as storage;
const ISO = "/guest/iso/CentOS-5.6-i386-bin-DVD.iso";
let lab = hosts::build();
let sv1 = lab.sv1;
let sv2 = lab.sv2;
let nas = nas("iscsi1", report::nas_spec());
nas.nic("eth0").connect(lab.net2);
nas.ip("eth0", report::nas_address());
nas.iscsi_target(report::iqn(), "50%");
let dev = storage::log_in(sv1, report::iqn());
storage::log_in(sv2, report::iqn());
sv1.disk(dev).mklabel("gpt");
sv1.disk(dev).mkpart("primary", "ext3", "0%", "95GB");
sv1.mkfs("ext3", dev + "1");
let pools = [];
for h in [sv1, sv2] {
    h.mkdir("/iscsi1");
    h.mount(dev + "1", "/iscsi1", "ext3");
    pools.push(h.define_pool(#{name: "a-iscsi1", type: "dir", target: "/iscsi1"}));
}
sv1.store_file(ISO, size("3.9G"));
let vol = pools[0].create_volume(#{name: "a-guest1.img", capacity: "1G", allocation: 0});
let g = sv1.define_guest(#{name: "a-guest1", memory: "256M", virt_type: "kvm", iso: ISO,
    disk: vol, cache: "none", network: #{bridge: "br0", address: "192.168.1.20/24"}});
g.install();
check_eq(g.state, "running", "a-guest1 runs on sv1");
let there = g.migrate(sv2, #{});
check_eq(g.host.name, "sv2", "a-guest1 moved to sv2");
check(there.total_time > 0.0 && there.transferred > 0, "libvirt's job statistics fill the result");
let back = g.migrate(sv1, #{});
check_eq(g.host.name, "sv1", "a-guest1 came back to sv1");
let local = sv1.define_pool(#{name: "a-local", type: "dir", target: "/guest"});
let lvol = local.create_volume(#{name: "a-guest2.img", capacity: "1G", allocation: 0});
let g2 = sv1.define_guest(#{name: "a-guest2", memory: "128M", virt_type: "kvm", iso: ISO,
    disk: lvol, cache: "none", network: #{bridge: "br0"}});
g2.install();
g2.migrate(sv2, #{});
"#;

    #[test]
    fn a_guest_on_the_nas_migrates_between_real_hosts_and_one_on_a_local_disk_is_refused() {
        let Some((_turn, dir)) = shared_lab() else {
            return;
        };
        let _clean = CleanUp(dir.clone());
        let lab_dir = dir.to_string_lossy().into_owned();
        let out = Test::new()
            .script(LAB)
            .args(&["run", "lab.rhai", "--backend", "libvirt", "--lab", &lab_dir])
            .status(2)
            .diagnostic("kvmlab::migrate::unsafe_storage", 39)
            .run();
        assert_eq!(out.report["backend"], "libvirt");
        let checks: Vec<(String, bool)> = out.report["steps"][0]["checks"]
            .as_array()
            .expect("the lab's checks")
            .iter()
            .map(|c| (c["name"].as_str().unwrap().to_string(), c["passed"] == true))
            .collect();
        let names = [
            "a-guest1 runs on sv1",
            "a-guest1 moved to sv2",
            "libvirt's job statistics fill the result",
            "a-guest1 came back to sv1",
        ];
        assert_eq!(
            checks,
            names.map(|n| (n.to_string(), true)).to_vec(),
            "{}",
            out.stderr
        );
        let checked = out.report["checked_only"]
            .as_array()
            .expect("a checked list");
        let count_of = |name: &str| {
            checked
                .iter()
                .find(|c| c["operation"] == name)
                .map(|c| c["count"].as_u64().unwrap())
        };
        assert_eq!(count_of("install_os"), Some(2), "{checked:?}");
        assert_eq!(count_of("install (the guest's OS install)"), Some(2));
        // libvirt says where the guests are: a-guest1 back on sv1, a-guest2 never moved.
        let on_sv1 = virsh(&dir, "sv1", &["list", "--name"]);
        assert!(on_sv1.lines().any(|l| l == "a-guest1"), "{on_sv1}");
        assert!(on_sv1.lines().any(|l| l == "a-guest2"), "{on_sv1}");
        let on_sv2 = virsh(&dir, "sv2", &["list", "--all", "--name"]);
        assert!(
            !on_sv2.lines().any(|l| l.starts_with("a-guest")),
            "{on_sv2}"
        );
        let disk = virsh(&dir, "sv1", &["domblklist", "a-guest1"]);
        assert!(
            disk.contains("iqn.2006-01.com.thecus:iscsi1/1"),
            "a-guest1's disk is the NAS LUN: {disk}"
        );
    }

    /// The report's §2.5 and §3 typed at the prompts of real hosts.
    const AT_THE_PROMPT: &str = r#"import "kvmlab/hosts" as hosts;
import "kvmlab/report" as report;
import "kvmlab/storage" as storage;
const ISO = "/guest/iso/CentOS-5.6-i386-bin-DVD.iso";
let lab = hosts::build();
let sv1 = lab.sv1;
let sv2 = lab.sv2;
let nas = nas("iscsi1", report::nas_spec());
nas.nic("eth0").connect(lab.net2);
nas.ip("eth0", report::nas_address());
nas.iscsi_target(report::iqn(), "50%");
let dev = storage::log_in(sv1, report::iqn());
storage::log_in(sv2, report::iqn());
sv1.sh(`parted -s ${dev} mklabel gpt mkpart primary ext3 0% 95GB && mkfs.ext3 ${dev}1`);
for h in [sv1, sv2] {
    h.sh(`mkdir /iscsi1 && mount -t ext3 ${dev}1 /iscsi1`);
    let r = h.sh("virsh pool-define-as a-vsh dir --target /iscsi1 && virsh pool-start a-vsh");
    check_eq(r.status, 0, `${h.name} has the pool: ${r.stderr}`);
}
sv1.store_file(ISO, size("3.9G"));
let r = sv1.sh(`virt-install --name a-vsh1 --ram 128 --cdrom ${ISO} --disk path=/iscsi1/a-vsh1.img,size=1,cache=none --network bridge=br0 --noautoconsole`);
check_eq(r.status, 0, `virt-install at sv1's prompt: ${r.stderr}`);
let r = sv1.sh("virsh migrate --live a-vsh1 qemu+ssh://sv2/system");
check_eq(r.status, 0, `virsh migrate at sv1's prompt: ${r.stderr}`);
record("list", sv2.sh("virsh list --all").stdout);
record("dominfo", sv2.sh("virsh dominfo a-vsh1").stdout);
record("pools", sv2.sh("virsh pool-list --all").stdout);
"#;

    /// The prompt's virsh and virt-install make real pools, volumes and domains and migrate
    /// them, and what the prompt lists afterwards is what libvirt's own virsh lists (row by
    /// row, leaving out the Id, which libvirt counts per daemon, and 9.0's `KiB` for 0.8.7's
    /// `kB`).
    #[test]
    fn the_prompts_virsh_drives_real_hosts_and_lists_what_libvirt_lists() {
        let Some((_turn, dir)) = shared_lab() else {
            return;
        };
        let _clean = CleanUp(dir.clone());
        let lab_dir = dir.to_string_lossy().into_owned();
        let out = Test::new()
            .script(AT_THE_PROMPT)
            .args(&["run", "lab.rhai", "--backend", "libvirt", "--lab", &lab_dir])
            .json()
            .run();
        assert_eq!(out.report["failed"], 0, "{}\n{}", out.report, out.stderr);
        assert_eq!(out.report["passed"], 4, "{}", out.report);
        let values = &out.report["values"];
        let ours_list: Vec<Vec<String>> = values["list"]
            .as_str()
            .unwrap()
            .lines()
            .skip(2)
            .map(|l| l.split_whitespace().skip(1).map(str::to_string).collect())
            .filter(|w: &Vec<String>| w.first().is_some_and(|n| n.starts_with("a-")))
            .collect();
        let real_list: Vec<Vec<String>> = virsh(&dir, "sv2", &["list", "--all"])
            .lines()
            .map(|l| l.split_whitespace().skip(1).map(str::to_string).collect())
            .filter(|w: &Vec<String>| w.first().is_some_and(|n| n.starts_with("a-")))
            .collect();
        assert_eq!(ours_list, [["a-vsh1", "running"]]);
        assert_eq!(real_list, ours_list);
        let fields = |text: &str| -> Vec<(String, String)> {
            text.lines()
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.to_string(), v.trim().replace(" KiB", " kB")))
                .filter(|(k, _)| {
                    [
                        "Name",
                        "UUID",
                        "State",
                        "CPU(s)",
                        "Max memory",
                        "Persistent",
                    ]
                    .contains(&k.as_str())
                })
                .collect()
        };
        let ours = fields(values["dominfo"].as_str().unwrap());
        assert_eq!(ours.len(), 6, "{ours:?}");
        assert_eq!(fields(&virsh(&dir, "sv2", &["dominfo", "a-vsh1"])), ours);
        let pools = values["pools"].as_str().unwrap();
        assert!(
            pools.contains("a-vsh                active     no"),
            "{pools}"
        );
        let real_pools = virsh(&dir, "sv2", &["pool-list", "--all"]);
        assert!(
            real_pools
                .lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["a-vsh", "active", "no"]),
            "{real_pools}"
        );
    }

    /// The NAS guest of [`LAB`] serving a file on the guests' bridge while it migrates.
    const DOWNLOAD: &str = r#"let file = g.serve_file("/var/ftp/pub/big.iso", size("300M"));
let pc = client("a-pc", #{net: lab.net1, address: "192.168.1.100/24", speed: "100Mbit/s"});
let d = pc.download(g, "/var/ftp/pub/big.iso");
sleep(1.0);
record("bytes_before", d.bytes);
let during = g.migrate(sv2, #{});
record("bytes_after", d.bytes);
check_eq(during.status, "completed", "the guest moved while it served the download");
d.wait();
check(d.done, "the download finished");
check_eq(d.sha256, file, "the file arrived intact");
check_eq(lab().downloads[0].intact, true, "the lab's downloads say it arrived intact");
check_eq(g.host.name, "sv2", "and the guest served the rest from sv2");
record("duration", d.duration);
record("bytes", d.bytes);
record("migration_s", during.total_time);
record("downtime_ms", during.downtime);
record("rate_during", d.mean_rate(during.started, during.started + during.total_time));
"#;

    #[test]
    fn a_file_downloaded_during_a_migration_arrives_intact() {
        let Some((_turn, dir)) = shared_lab() else {
            return;
        };
        let _clean = CleanUp(dir.clone());
        let lab_dir = dir.to_string_lossy().into_owned();
        // The NAS guest only: the lab's last lines (a guest on a local disk) go.
        let nas_guest = &LAB[..LAB.find("let local =").unwrap()];
        let script = format!("{nas_guest}{DOWNLOAD}");
        let out = Test::new()
            .script(&script)
            .args(&["run", "lab.rhai", "--backend", "libvirt", "--lab", &lab_dir])
            .json()
            .status(0)
            .run();
        let values = &out.report["values"];
        eprintln!("{values}");
        let before = values["bytes_before"].as_i64().unwrap();
        let after = values["bytes_after"].as_i64().unwrap();
        // The migration began while the download ran and it went on meanwhile.
        assert!(before > 0 && before < 300 << 20, "{values}");
        assert!(after > before, "{values}");
        assert!(values["rate_during"].as_f64().unwrap() > 0.0, "{values}");
        assert_eq!(values["bytes"], 300 << 20, "{values}");
        let checked = out.report["checked_only"].as_array().unwrap();
        assert!(
            checked.iter().any(|c| c["operation"]
                == "serve_file (the guest restarted on the Linux image)"
                && c["count"] == 1),
            "{checked:?}"
        );
    }
}
