//! Where a lab's files live under its state directory, and the fixed names and ports of
//! the lab: one place, so `up`, `status` and `down` agree even when lab.toml is gone.

use std::path::{Path, PathBuf};

/// The lab's own network namespace: the NAS, and the bridge `kvmlab0` that every host's link
/// joins, as a switch would (one lab per machine). Each host has a namespace of its own.
pub const NETNS: &str = "kvmlab";

/// The NAS's iSCSI portal: tgtd on the bridge's address in [`NETNS`], which each host's QEMU
/// reaches over its link.
pub const PORTAL: &str = "10.20.0.1:3260";

/// The port each host's libvirtd listens on at its own address (libvirt's default).
pub const LIBVIRTD_PORT: u16 = 16509;

/// A host's end of its link, in the host's namespace: a port of the host's own bridge.
pub const HOST_CARD: &str = "eth0";

/// The NAS's target, named as the report's Thecus NAS names its targets (target `iscsi1`).
pub const TARGET_IQN: &str = "iqn.2006-01.com.thecus:iscsi1";

/// The sparse file behind LUN 1: 2 GiB, taking no disk space until written.
pub const LUN_SIZE: u64 = 2 << 30;

/// The two libvirt hosts: name, namespace, address, link, host UUID, migration port range.
pub const HOSTS: [HostPlan; 2] = [
    HostPlan {
        name: "sv1",
        netns: "kvmlab-sv1",
        address: "10.20.0.2",
        link: "kv-sv1",
        host_uuid: "6b766d6c-6162-4001-8000-000000000001",
        migration_ports: (49152, 49167),
    },
    HostPlan {
        name: "sv2",
        netns: "kvmlab-sv2",
        address: "10.20.0.3",
        link: "kv-sv2",
        host_uuid: "6b766d6c-6162-4001-8000-000000000002",
        migration_ports: (49168, 49183),
    },
];

/// What makes one libvirt host of the lab distinct from the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostPlan {
    pub name: &'static str,
    /// The network namespace its libvirtd, and so its guests' QEMU, runs in.
    pub netns: &'static str,
    /// Its address on the guests' network (10.20.0.0/24), on its own bridge.
    pub address: &'static str,
    /// The [`NETNS`] end of its link, a port of the lab's bridge: set it down and the host
    /// is cut off, as by an unplugged cable.
    pub link: &'static str,
    pub host_uuid: &'static str,
    pub migration_ports: (u16, u16),
}

impl HostPlan {
    /// Its libvirtd over TCP at its address, e.g. `qemu+tcp://10.20.0.2:16509/system`.
    pub fn tcp_uri(&self) -> String {
        format!("qemu+tcp://{}:{LIBVIRTD_PORT}/system", self.address)
    }

    /// Where another host's QEMU sends it a guest: its address, no port (its libvirtd picks
    /// a free one from its migration range).
    pub fn migration_uri(&self) -> String {
        format!("tcp://{}", self.address)
    }
}

/// Every network namespace of the lab: its own, then each host's.
pub fn namespaces() -> [&'static str; 3] {
    [NETNS, HOSTS[0].netns, HOSTS[1].netns]
}

/// The directories libvirtd keeps its state in, each bind-mounted from the host's own folder.
pub const LIBVIRT_DIRS: [(&str, &str); 5] = [
    ("run", "/run/libvirt"),
    ("lib", "/var/lib/libvirt"),
    ("cache", "/var/cache/libvirt"),
    ("log", "/var/log/libvirt"),
    ("etc", "/etc/libvirt"),
];

/// The files of a lab under its state directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub dir: PathBuf,
}

impl Layout {
    pub fn new(dir: &Path) -> Layout {
        Layout {
            dir: dir.to_path_buf(),
        }
    }

    /// The state directory when none is given: /var/lib/kvmlab for root (the daemons run as
    /// root and keep system state), otherwise the user's data directory.
    pub fn default_dir(root: bool) -> PathBuf {
        if root {
            return PathBuf::from("/var/lib/kvmlab");
        }
        directories::ProjectDirs::from("", "", "kvmlab")
            .map(|dirs| dirs.data_dir().join("lab"))
            .unwrap_or_else(|| PathBuf::from("/var/lib/kvmlab"))
    }

    pub fn lab_file(&self) -> PathBuf {
        self.dir.join("lab.toml")
    }

    /// The file `up` writes first in the folder: only a folder holding it is one `down` may
    /// empty, so a wrong `--dir` never loses anything that was there before.
    pub fn marker(&self) -> PathBuf {
        self.dir.join(".kvmlab-lab")
    }

    /// A libvirt host's folder, holding one subfolder per directory of [`LIBVIRT_DIRS`].
    pub fn host_dir(&self, host: &str) -> PathBuf {
        self.dir.join(host)
    }

    pub fn host_subdir(&self, host: &str, sub: &str) -> PathBuf {
        self.host_dir(host).join(sub)
    }

    pub fn libvirtd_conf(&self, host: &str) -> PathBuf {
        self.host_subdir(host, "etc").join("libvirtd.conf")
    }

    pub fn qemu_conf(&self, host: &str) -> PathBuf {
        self.host_subdir(host, "etc").join("qemu.conf")
    }

    pub fn libvirtd_pid(&self, host: &str) -> PathBuf {
        self.host_dir(host).join("libvirtd.pid")
    }

    /// libvirtd's own log (log_outputs) and what it writes on stderr before logging starts.
    pub fn libvirtd_log(&self, host: &str) -> PathBuf {
        self.host_subdir(host, "log").join("libvirtd.log")
    }

    pub fn libvirtd_stderr(&self, host: &str) -> PathBuf {
        self.host_dir(host).join("libvirtd.stderr")
    }

    /// libvirtd's read-write socket: a file, so the host reaches the daemon without entering
    /// its namespace.
    pub fn libvirt_socket(&self, host: &str) -> PathBuf {
        self.host_subdir(host, "run").join("libvirt-sock")
    }

    pub fn socket_uri(&self, host: &str) -> String {
        format!(
            "qemu+unix:///system?socket={}",
            self.libvirt_socket(host).display()
        )
    }

    pub fn nas_dir(&self) -> PathBuf {
        self.dir.join("nas")
    }

    /// tgtd's control socket (TGT_IPC_SOCKET); tgtd and tgtadm add `.0`.
    pub fn tgtd_socket(&self) -> PathBuf {
        self.nas_dir().join("tgtd.sock")
    }

    pub fn tgtd_pid(&self) -> PathBuf {
        self.nas_dir().join("tgtd.pid")
    }

    pub fn tgtd_log(&self) -> PathBuf {
        self.nas_dir().join("tgtd.log")
    }

    pub fn lun_file(&self) -> PathBuf {
        self.nas_dir().join("lun1.img")
    }

    /// The guest images `up` builds, and the probes' serial output.
    pub fn images_dir(&self) -> PathBuf {
        self.dir.join("images")
    }

    /// Real dir pools a lab run on the libvirt backend defines, one folder per host.
    pub fn pools_dir(&self) -> PathBuf {
        self.dir.join("pools")
    }

    /// Everything `up` creates under the state directory, removed by `down`.
    pub fn created(&self) -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = HOSTS.iter().map(|h| self.host_dir(h.name)).collect();
        paths.push(self.nas_dir());
        paths.push(self.images_dir());
        paths.push(self.pools_dir());
        paths.push(self.lab_file());
        paths.push(self.marker());
        paths
    }
}

/// The NAS's LUN as an iSCSI URI, e.g. `iscsi://10.20.0.1:3260/iqn…:iscsi1/1`.
pub fn lun_uri() -> String {
    format!("iscsi://{PORTAL}/{TARGET_IQN}/1")
}
