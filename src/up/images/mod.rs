//! The guest images `kvmlab up` builds into DIR/images: the workload kernel (always; from
//! the C and assembly in `src/up/guest/`) and the Linux image (when Debian's packages can be
//! had), then which libvirt domain type boots each here: each is booted on sv1 under KVM
//! and, if its ready line does not come, under software emulation.

pub mod boot;
mod compile;
mod cpio;
pub mod linux;

use super::daemons::io_error;
use super::lab_file::ImagesEntry;
use boot::{BootSpec, Patience};
use kvmlab_runtime::error::Error;
use linux::LinuxImage;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where downloaded Debian packages are kept across labs (`down` leaves it: it is a cache
/// of Debian's own files, about 28 MB, so the next `up` needs no network; delete it freely).
pub const PACKAGE_CACHE: &str = "/var/cache/kvmlab/packages";

/// The workload's first line on COM1 once its memory is filled.
pub const WORKLOAD_READY: &str = "kvmlab-workload ready";
/// The Linux guest's line on ttyS0 once httpd serves.
pub const LINUX_READY: &str = "kvmlab-linux ready";

/// The probe's workload: 64 MiB to fill (a fraction of a second under KVM, and under
/// software emulation too), so a KVM that boots the kernel but runs it crawling (on some
/// nested hosts every write to another page traps, about 1 MB/s) fails the probe.
const WORKLOAD_PROBE: &str = "kvmlab.used=67108864 kvmlab.wss=1048576 kvmlab.rate=1048576";
const WORKLOAD_PROBE_MIB: u32 = 128;
/// The Linux probe's address: the subnet's last, never given to a lab's guests.
const LINUX_PROBE_IP: &str = "10.20.0.254";

/// What `build` made.
#[derive(Debug)]
pub struct Images {
    pub workload_kernel: PathBuf,
    /// The Linux image, or why it could not be built.
    pub linux: Result<LinuxImage, String>,
}

/// Builds the images into `dir`, Debian's packages fetched into (or found in) `cache`.
pub fn build(gcc: &Path, dir: &Path, cache: &Path) -> Result<Images, Box<Error>> {
    std::fs::create_dir_all(dir).map_err(|e| io_error("create", dir, e))?;
    let workload_kernel = compile::workload_kernel(gcc, dir)?;
    let linux = compile::generator(gcc, dir)
        .map_err(|e| e.to_string())
        .and_then(|gen| linux::build(dir, cache, &gen));
    let _ = std::fs::remove_dir_all(dir.join("src"));
    let _ = std::fs::remove_file(dir.join("gen"));
    Ok(Images {
        workload_kernel,
        linux,
    })
}

/// A workload guest booted from `kernel` with `cmdline` (`kvmlab.used=… kvmlab.wss=…
/// kvmlab.rate=…`).
pub fn workload_spec(
    name: &str,
    domain_type: &str,
    kernel: &Path,
    cmdline: &str,
    memory_mib: u32,
    serial: PathBuf,
) -> BootSpec {
    BootSpec {
        name: name.into(),
        domain_type: domain_type.into(),
        kernel: kernel.to_path_buf(),
        initrd: None,
        cmdline: cmdline.into(),
        memory_mib,
        serial,
        bridge: None,
    }
}

/// A Linux guest at `ip/prefix` on `bridge`, its gateway `gateway`.
pub fn linux_spec(
    name: &str,
    domain_type: &str,
    image: &LinuxImage,
    network: (&str, &str, u8, &str),
    serial: PathBuf,
) -> BootSpec {
    let (bridge, ip, prefix, gateway) = network;
    BootSpec {
        name: name.into(),
        domain_type: domain_type.into(),
        kernel: image.kernel.clone(),
        initrd: Some(image.initramfs.clone()),
        cmdline: kvmlab_runtime::real::domain::linux_cmdline(&format!("{ip}/{prefix}"), gateway),
        memory_mib: 256,
        serial,
        bridge: Some(bridge.into()),
    }
}

/// Under KVM an image answers in about a second, or never.
const UNDER_KVM: Patience = Patience {
    ready: Duration::from_secs(10),
    first_output: Duration::from_secs(5),
};
/// Software emulation is slower, more so on a busy machine.
const UNDER_SOFTWARE: Patience = Patience {
    ready: Duration::from_secs(90),
    first_output: Duration::from_secs(30),
};

/// The domain type that boots `spec` here ("kvm" or "qemu"), and why not KVM when KVM was
/// tried and failed; with `try_kvm` false (no usable /dev/kvm, already warned) only "qemu".
fn domain_type(
    virsh: &Path,
    uri: &str,
    spec: &BootSpec,
    ready: &str,
    try_kvm: bool,
) -> Result<(String, Option<String>), String> {
    let mut why_not_kvm = None;
    if try_kvm {
        let kvm = BootSpec {
            domain_type: "kvm".into(),
            ..spec.clone()
        };
        match boot::probe(virsh, uri, &kvm, ready, UNDER_KVM) {
            Ok(_) => return Ok(("kvm".into(), None)),
            Err(reason) => why_not_kvm = Some(reason),
        }
    }
    let software = BootSpec {
        domain_type: "qemu".into(),
        ..spec.clone()
    };
    match boot::probe(virsh, uri, &software, ready, UNDER_SOFTWARE) {
        Ok(_) => Ok(("qemu".into(), why_not_kvm)),
        Err(reason) => Err(match why_not_kvm {
            Some(kvm) => format!("under KVM {kvm}; under software emulation {reason}"),
            None => format!("under software emulation {reason}"),
        }),
    }
}

/// Where and how `detect` boots its probes.
pub struct ProbeHost<'a> {
    pub virsh: &'a Path,
    /// sv1's URI from the host (its socket).
    pub uri: &'a str,
    pub libvirtd_log: &'a Path,
    /// Whether /dev/kvm answered at `up`.
    pub kvm: bool,
}

/// Probes the images on `host` (both at once; the bridge must exist), prints a warning for
/// each that needs software emulation or is missing, and returns lab.toml's entry.
pub fn detect(
    host: &ProbeHost,
    images: &Images,
    dir: &Path,
    lab_dir: &Path,
) -> Result<ImagesEntry, Box<Error>> {
    let warn = |error: Error| eprintln!("{:?}", miette::Report::new(error));
    let workload_serial = dir.join("probe-workload.log");
    let workload = workload_spec(
        "kvmlab-probe-workload",
        "kvm",
        &images.workload_kernel,
        WORKLOAD_PROBE,
        WORKLOAD_PROBE_MIB,
        workload_serial.clone(),
    );
    let linux_serial = dir.join("probe-linux.log");
    let network = (
        super::bridge::BRIDGE,
        LINUX_PROBE_IP,
        super::bridge::PREFIX,
        super::bridge::GATEWAY,
    );
    let linux = images.linux.as_ref().map(|linux| {
        (
            linux,
            linux_spec(
                "kvmlab-probe-linux",
                "kvm",
                linux,
                network,
                linux_serial.clone(),
            ),
        )
    });
    let (workload_type, linux_type) = std::thread::scope(|scope| {
        let linux_probe = linux.as_ref().ok().map(|(_, spec)| {
            scope.spawn(|| domain_type(host.virsh, host.uri, spec, LINUX_READY, host.kvm))
        });
        let workload_type = domain_type(host.virsh, host.uri, &workload, WORKLOAD_READY, host.kvm);
        let linux_type = linux_probe.map(|probe| {
            probe
                .join()
                .unwrap_or_else(|_| Err("its probe stopped unexpectedly".into()))
        });
        (workload_type, linux_type)
    });
    let (workload_domain_type, why) = workload_type.map_err(|reason| {
        Box::new(Error::UpGuestSilent {
            image: "workload kernel".into(),
            reason,
            serial: workload_serial.display().to_string(),
            log: host.libvirtd_log.display().to_string(),
            dir: lab_dir.display().to_string(),
        })
    })?;
    if let Some(reason) = why {
        warn(Error::UpSoftwareGuest {
            image: "workload kernel".into(),
            reason,
        });
    }
    let mut entry = ImagesEntry {
        workload_kernel: images.workload_kernel.clone(),
        workload_domain_type,
        linux_kernel: None,
        linux_initramfs: None,
        // What a Linux guest would need where KVM cannot boot Debian's kernel.
        linux_domain_type: "qemu".into(),
    };
    match (linux, linux_type) {
        (Err(reason), _) => warn(Error::UpNoLinuxImage {
            reason: reason.clone(),
            cache: PACKAGE_CACHE.into(),
        }),
        (Ok((linux, _)), Some(Ok((domain_type, why)))) => {
            if let Some(reason) = why {
                warn(Error::UpSoftwareGuest {
                    image: format!("Linux image ({})", linux.package),
                    reason,
                });
            }
            entry.linux_kernel = Some(linux.kernel.clone());
            entry.linux_initramfs = Some(linux.initramfs.clone());
            entry.linux_domain_type = domain_type;
        }
        (Ok(_), outcome) => warn(Error::UpNoLinuxImage {
            reason: format!(
                "it was built but did not start ({}; its serial output: {})",
                outcome.and_then(Result::err).unwrap_or_default(),
                linux_serial.display()
            ),
            cache: PACKAGE_CACHE.into(),
        }),
    }
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};

    /// The workload kernel under QEMU's software emulation, its COM1 on stdin/stdout: no
    /// root and no libvirt needed.
    #[test]
    fn the_workload_kernel_fills_memory_says_ready_and_obeys_its_serial_commands() {
        let (Some(gcc), Some(qemu)) = (
            crate::up::preflight::find_program("gcc"),
            crate::up::preflight::find_program("qemu-system-x86_64"),
        ) else {
            eprintln!("skipped: needs gcc gcc-multilib and qemu-system-x86");
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let kernel = compile::workload_kernel(&gcc, dir.path()).unwrap();
        let mut child = Command::new(qemu)
            .args([
                "-accel", "tcg", "-m", "64", "-display", "none", "-monitor", "none",
            ])
            .args(["-serial", "stdio", "-no-reboot", "-kernel"])
            .arg(&kernel)
            .args([
                "-append",
                "kvmlab.used=8388608 kvmlab.wss=100000 kvmlab.rate=4096000",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut next_line = |prefix: &str| -> String {
            for line in lines.by_ref() {
                let line = line.unwrap();
                let line = line.trim_end_matches('\r');
                if line.starts_with(prefix) {
                    return line.to_string();
                }
            }
            panic!("the kernel's output ended before a `{prefix}` line");
        };
        assert!(next_line("kvmlab-workload filled ")
            .starts_with("kvmlab-workload filled 8388608 bytes in "));
        assert_eq!(
            next_line("kvmlab-workload ready"),
            "kvmlab-workload ready used=8388608 wss=100000 rate=4096000"
        );
        input
            .write_all(b"workload used=16777216 wss=2000000 rate=0\n")
            .unwrap();
        assert_eq!(next_line("ok"), "ok used=16777216 wss=2000000 rate=0");
        input.write_all(b"workload rate=1000\n").unwrap();
        assert_eq!(next_line("ok"), "ok used=16777216 wss=2000000 rate=1000");
        // 64 MiB of RAM: the region above the kernel ends before 64 MiB, so it clamps.
        input
            .write_all(b"workload used=99999999999 wss=99999999999\n")
            .unwrap();
        let clamped = next_line("kvmlab-workload clamped used=99999999999 to ");
        let limit: u64 = clamped.split_whitespace().nth(4).unwrap().parse().unwrap();
        assert!(limit > 60 << 20 && limit < 64 << 20, "{clamped}");
        assert_eq!(
            next_line("kvmlab-workload clamped wss="),
            format!("kvmlab-workload clamped wss=99999999999 to {limit} (the filled region)")
        );
        assert_eq!(
            next_line("ok"),
            format!("ok used={limit} wss={limit} rate=1000")
        );
        input.write_all(b"resize 5\n").unwrap();
        assert_eq!(
            next_line("error"),
            "error: expected `workload used=U wss=W rate=R`"
        );
        let _ = child.kill();
        let _ = child.wait();
    }

    /// QEMU's own dirty-rate estimate (page sampling, QMP `calc-dirty-rate`) of the workload
    /// kernel rewriting its working set at 20 000 000 bytes/s: 19.07 MiB/s.
    #[test]
    fn the_workload_kernel_dirties_memory_at_the_rate_it_is_given() {
        let (Some(gcc), Some(qemu)) = (
            crate::up::preflight::find_program("gcc"),
            crate::up::preflight::find_program("qemu-system-x86_64"),
        ) else {
            eprintln!("skipped: needs gcc gcc-multilib and qemu-system-x86");
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let kernel = compile::workload_kernel(&gcc, dir.path()).unwrap();
        let serial = dir.path().join("serial.log");
        let qmp = dir.path().join("qmp.sock");
        let mut child = Command::new(qemu)
            .args([
                "-accel",
                "tcg",
                "-m",
                "256",
                "-display",
                "none",
                "-no-reboot",
            ])
            .arg("-serial")
            .arg(format!("file:{}", serial.display()))
            .arg("-qmp")
            .arg(format!("unix:{},server=on,wait=off", qmp.display()))
            .arg("-kernel")
            .arg(&kernel)
            .args([
                "-append",
                "kvmlab.used=134217728 kvmlab.wss=67108864 kvmlab.rate=20000000",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        while !std::fs::read_to_string(&serial).is_ok_and(|t| t.contains(WORKLOAD_READY)) {
            assert!(started.elapsed().as_secs() < 60, "no ready line in 60 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        let socket = std::os::unix::net::UnixStream::connect(&qmp).unwrap();
        let mut reader = BufReader::new(socket.try_clone().unwrap());
        let mut writer = socket;
        let mut ask = |command: serde_json::Value| -> serde_json::Value {
            writeln!(writer, "{command}").unwrap();
            loop {
                let mut line = String::new();
                assert!(reader.read_line(&mut line).unwrap() > 0, "QMP closed");
                let answer: serde_json::Value = serde_json::from_str(&line).unwrap();
                if answer.get("return").is_some() || answer.get("error").is_some() {
                    return answer;
                }
            }
        };
        // The greeting has neither `return` nor `error`: `ask` reads past it.
        ask(serde_json::json!({"execute": "qmp_capabilities"}));
        ask(serde_json::json!({"execute": "calc-dirty-rate",
            "arguments": {"calc-time": 2, "sample-pages": 8192}}));
        let rate = loop {
            std::thread::sleep(Duration::from_millis(500));
            let answer = ask(serde_json::json!({"execute": "query-dirty-rate"}));
            if answer["return"]["status"] == "measured" {
                break answer["return"]["dirty-rate"].as_i64().unwrap();
            }
            assert!(started.elapsed().as_secs() < 90, "{answer}");
        };
        let _ = child.kill();
        let _ = child.wait();
        assert!((16..=22).contains(&rate), "QEMU measured {rate} MiB/s");
    }

    /// The real-lab tests below run on the lab at KVMLAB_REAL_LAB (default /var/lib/kvmlab)
    /// with KVMLAB_REAL_TESTS=1, as root.
    fn real_lab_sv1() -> Option<String> {
        if std::env::var("KVMLAB_REAL_TESTS").as_deref() != Ok("1") {
            eprintln!("skipped: set KVMLAB_REAL_TESTS=1 (root, a lab up at KVMLAB_REAL_LAB)");
            return None;
        }
        let dir = std::env::var("KVMLAB_REAL_LAB").unwrap_or_else(|_| "/var/lib/kvmlab".into());
        let text = std::fs::read_to_string(Path::new(&dir).join("lab.toml"))
            .unwrap_or_else(|e| panic!("no lab up at {dir}: {e}"));
        let lab =
            crate::up::lab_file::LabFile::parse(&text, Path::new(&dir), Path::new(&dir)).unwrap();
        Some(lab.hosts[0].socket_uri.clone())
    }

    /// The images, built once for the tests of this run into one folder (the next run
    /// replaces it: the guests read it while they run, so it outlives each test).
    fn built() -> &'static (PathBuf, Images) {
        static BUILT: std::sync::OnceLock<(PathBuf, Images)> = std::sync::OnceLock::new();
        BUILT.get_or_init(|| {
            let dir = std::env::temp_dir().join("kvmlab-real-images");
            let _ = std::fs::remove_dir_all(&dir);
            let gcc = crate::up::preflight::find_program("gcc").expect("gcc");
            let started = std::time::Instant::now();
            let images = build(&gcc, &dir, Path::new(PACKAGE_CACHE)).unwrap();
            eprintln!("images built in {:.1} s", started.elapsed().as_secs_f64());
            (dir, images)
        })
    }

    #[test]
    fn real_the_workload_kernel_boots_on_sv1() {
        let Some(uri) = real_lab_sv1() else { return };
        let virsh = crate::up::preflight::find_program("virsh").unwrap();
        let (dir, images) = built();
        let spec = workload_spec(
            "c-workload",
            "kvm",
            &images.workload_kernel,
            WORKLOAD_PROBE,
            WORKLOAD_PROBE_MIB,
            dir.join("c-workload.log"),
        );
        let (domain_type, why) = domain_type(&virsh, &uri, &spec, WORKLOAD_READY, true).unwrap();
        eprintln!("workload kernel: domain type {domain_type} ({why:?})");
        let guest = boot::start(
            &virsh,
            &uri,
            &BootSpec {
                domain_type,
                ..spec
            },
        )
        .unwrap();
        let line = guest.await_line(WORKLOAD_READY, UNDER_SOFTWARE).unwrap();
        assert_eq!(
            line,
            "kvmlab-workload ready used=67108864 wss=1048576 rate=1048576"
        );
    }

    #[test]
    fn real_the_linux_guest_serves_the_generated_file_on_a_bridge() {
        let Some(uri) = real_lab_sv1() else { return };
        let virsh = crate::up::preflight::find_program("virsh").unwrap();
        let ip = crate::up::preflight::find_program("ip").unwrap();
        let (dir, images) = built();
        let linux = images.linux.as_ref().expect("the Linux image builds");
        // On sv1's side of its link, where sv1's guests' cards are: the download comes from
        // there too, so the test needs nothing of the lab's network but sv1's namespace.
        let netns = crate::up::layout::HOSTS[0].netns;
        struct Bridge(PathBuf, &'static str);
        impl Drop for Bridge {
            fn drop(&mut self) {
                let _ = Command::new(&self.0)
                    .args(["-n", self.1, "link", "delete", "c-br0"])
                    .status();
            }
        }
        crate::up::bridge::create(&ip, netns, "c-br0", "10.21.0.1", 24).unwrap();
        let _bridge = Bridge(ip.clone(), netns);
        assert_eq!(
            crate::up::bridge::address(&ip, netns, "c-br0").as_deref(),
            Some("10.21.0.1/24")
        );
        let spec = linux_spec(
            "c-linux",
            "qemu",
            linux,
            ("c-br0", "10.21.0.10", 24, "10.21.0.1"),
            dir.join("c-linux.log"),
        );
        let started = std::time::Instant::now();
        let guest = boot::start(&virsh, &uri, &spec).unwrap();
        let line = guest.await_line(LINUX_READY, UNDER_SOFTWARE).unwrap();
        assert_eq!(line, "kvmlab-linux ready ip=10.21.0.10");
        eprintln!(
            "Linux guest ready in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let started = std::time::Instant::now();
        let download = kvmlab_runtime::real::download::start(
            Some(netns),
            "10.21.0.10:80".parse().unwrap(),
            "/cgi-bin/file?seed=7&size=10000000",
        )
        .unwrap()
        .wait();
        eprintln!(
            "10 MB downloaded in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        assert_eq!(download.error, None);
        assert_eq!(download.bytes, 10_000_000);
        assert_eq!(download.content_length, Some(10_000_000));
        assert_eq!(
            download.sha256,
            Some(kvmlab_runtime::real::generated::sha256_of(7, 10_000_000))
        );
    }
}
