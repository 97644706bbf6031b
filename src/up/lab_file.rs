//! lab.toml: what `kvmlab up` started and where to reach it, written once the lab answers and
//! read by `kvmlab status` (and by whatever connects to the lab later).

use kvmlab_runtime::error::Error;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabFile {
    /// The lab's own network namespace: the NAS, the guests' bridge and each host's link.
    pub netns: String,
    /// "kvm" when /dev/kvm answered at `up`, "software" (TCG) otherwise.
    pub acceleration: String,
    /// Mount points `up` had to create on this machine (removed by `down` when empty).
    #[serde(default)]
    pub created_mount_points: Vec<PathBuf>,
    pub hosts: Vec<HostEntry>,
    pub nas: NasEntry,
    /// The guest images `up` built (none when it could not build them).
    #[serde(default)]
    pub images: Option<ImagesEntry>,
    /// The bridge inside the namespace that guests' cards join.
    #[serde(default)]
    pub network: Option<NetworkEntry>,
}

/// Guest images for real hosts: a purpose-built workload kernel and a small Linux.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImagesEntry {
    /// The multiboot workload kernel (fills and rewrites memory as told).
    pub workload_kernel: PathBuf,
    /// libvirt's domain type that boots it here: "kvm", or "qemu" (software).
    pub workload_domain_type: String,
    /// A Linux kernel and a busybox initramfs serving files over HTTP.
    pub linux_kernel: Option<PathBuf>,
    pub linux_initramfs: Option<PathBuf>,
    pub linux_domain_type: String,
}

/// The guests' network: a bridge in the lab's namespace with the NAS's address, and one of
/// the same name in each host's namespace, joined by the host's link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkEntry {
    pub bridge: String,
    /// The bridge's own address, the guests' gateway, e.g. `10.20.0.1`.
    pub gateway: String,
    pub prefix: u8,
    /// The first address given to a guest; the next ones follow.
    pub first_guest: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostEntry {
    pub name: String,
    /// Its libvirtd over TCP at its address, from the lab's namespaces, e.g.
    /// `qemu+tcp://10.20.0.2:16509/system`.
    pub uri: String,
    /// The same daemon from this machine, through its socket file.
    pub socket_uri: String,
    /// The network namespace its libvirtd and its guests run in, e.g. `kvmlab-sv1`.
    pub netns: String,
    /// Its address on the guests' network, e.g. `10.20.0.2`.
    pub address: String,
    /// Its link's end in the lab's namespace, e.g. `kv-sv1`: `ip -n kvmlab link set kv-sv1
    /// down` unplugs the host, `up` plugs it back.
    pub link: String,
    /// Where a migration to it sends the guest, e.g. `tcp://10.20.0.2`.
    pub migration_uri: String,
    pub host_uuid: String,
    pub migration_ports: [u16; 2],
    pub pid_file: PathBuf,
    pub log: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NasEntry {
    /// LUN 1 of the target, e.g. `iscsi://10.20.0.1:3260/iqn.2006-01.com.thecus:iscsi1/1`.
    pub uri: String,
    pub portal: String,
    pub iqn: String,
    pub lun_file: PathBuf,
    pub lun_bytes: u64,
    pub pid_file: PathBuf,
    /// tgtd's control socket, for `TGT_IPC_SOCKET=… tgtadm`.
    pub control_socket: PathBuf,
    pub log: PathBuf,
}

impl LabFile {
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a lab file is plain strings and numbers")
    }

    pub fn parse(text: &str, path: &Path, dir: &Path) -> Result<LabFile, Box<Error>> {
        toml::from_str(text).map_err(|e| {
            Box::new(Error::UpLabFile {
                path: path.display().to_string(),
                reason: e.message().to_string(),
                dir: dir.display().to_string(),
            })
        })
    }

    /// The lab file at `path`, or None when there is none.
    pub fn read(path: &Path, dir: &Path) -> Result<Option<LabFile>, Box<Error>> {
        match std::fs::read_to_string(path) {
            Ok(text) => LabFile::parse(&text, path, dir).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Box::new(Error::UpLabFile {
                path: path.display().to_string(),
                reason: e.to_string(),
                dir: dir.display().to_string(),
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::up::layout::{lun_uri, Layout, HOSTS, LUN_SIZE, PORTAL, TARGET_IQN};

    fn sample() -> LabFile {
        let layout = Layout::new(Path::new("/var/lib/kvmlab"));
        LabFile {
            netns: "kvmlab".into(),
            acceleration: "kvm".into(),
            created_mount_points: vec![PathBuf::from("/run/libvirt")],
            hosts: HOSTS
                .iter()
                .map(|h| HostEntry {
                    name: h.name.into(),
                    uri: h.tcp_uri(),
                    socket_uri: layout.socket_uri(h.name),
                    netns: h.netns.into(),
                    address: h.address.into(),
                    link: h.link.into(),
                    migration_uri: h.migration_uri(),
                    host_uuid: h.host_uuid.into(),
                    migration_ports: [h.migration_ports.0, h.migration_ports.1],
                    pid_file: layout.libvirtd_pid(h.name),
                    log: layout.libvirtd_log(h.name),
                })
                .collect(),
            nas: NasEntry {
                uri: lun_uri(),
                portal: PORTAL.into(),
                iqn: TARGET_IQN.into(),
                lun_file: layout.lun_file(),
                lun_bytes: LUN_SIZE,
                pid_file: layout.tgtd_pid(),
                control_socket: layout.tgtd_socket(),
                log: layout.tgtd_log(),
            },
            images: None,
            network: None,
        }
    }

    #[test]
    fn lab_file_round_trips_and_names_the_uris() {
        let lab = sample();
        let text = lab.to_toml();
        for (address, netns, link) in [
            ("10.20.0.2", "kvmlab-sv1", "kv-sv1"),
            ("10.20.0.3", "kvmlab-sv2", "kv-sv2"),
        ] {
            for line in [
                format!("uri = \"qemu+tcp://{address}:16509/system\""),
                format!("netns = \"{netns}\""),
                format!("address = \"{address}\""),
                format!("link = \"{link}\""),
                format!("migration_uri = \"tcp://{address}\""),
            ] {
                assert!(text.contains(&line), "{line} in {text}");
            }
        }
        assert!(
            text.contains(
                "socket_uri = \"qemu+unix:///system?socket=/var/lib/kvmlab/sv1/run/libvirt-sock\""
            ),
            "{text}"
        );
        assert!(
            text.contains("uri = \"iscsi://10.20.0.1:3260/iqn.2006-01.com.thecus:iscsi1/1\""),
            "{text}"
        );
        let back = LabFile::parse(&text, Path::new("lab.toml"), Path::new("/d")).unwrap();
        assert_eq!(back, lab);
    }

    #[test]
    fn a_damaged_lab_file_is_refused_with_the_way_down() {
        let error =
            LabFile::parse("netns = 3", Path::new("/d/lab.toml"), Path::new("/d")).unwrap_err();
        assert_eq!(error.code_str(), "kvmlab::up::lab_file");
        assert!(error
            .to_string()
            .starts_with("`/d/lab.toml` is not a lab file kvmlab wrote: "));
        assert_eq!(
            error.help_str().unwrap(),
            "`kvmlab down --dir /d` takes the lab down without it (it finds what runs in the `kvmlab` network namespace)"
        );
    }

    #[test]
    fn the_iqn_is_a_valid_name_under_the_nas_vendors_domain() {
        let iqn = kvmlab_runtime::world::storage::iqn::Iqn::parse(TARGET_IQN).unwrap();
        let nas = kvmlab_runtime::world::storage::nas::NasModel::thecus_n7700pro();
        assert_eq!(nas.check_target_name(&iqn), None);
    }
}
