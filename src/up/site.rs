//! A `kvmlab up` lab as the libvirt backend's [`Site`]: its hosts through their socket files
//! (kvmlab runs outside the lab's namespaces), each receiving migrations at its address on the
//! far end of its link (its libvirtd picks a free port of its range, so migrations at once do
//! not clash), the NAS's LUN as the hosts' QEMU reaches it, the guest images and bridge `up`
//! made, and dir pools under the lab's folder. `kvmlab run --backend libvirt` finds its site
//! here: `--lab DIR`, else `--host` flags alone, else the default lab when it is up.

use super::lab_file::LabFile;
use super::layout::Layout;
use kvmlab_runtime::error::Error;
use kvmlab_runtime::site::{Site, SiteHost, SiteImages, SiteNas, SiteNetwork};
use std::path::Path;
#[cfg(test)]
use std::path::PathBuf;

/// The site of the lab whose state folder is `dir`, as its lab.toml says.
pub fn from_lab_file(lab: &LabFile, dir: &Path) -> Site {
    Site {
        hosts: lab
            .hosts
            .iter()
            .map(|h| SiteHost {
                name: h.name.clone(),
                uri: h.socket_uri.clone(),
                migration_uri: Some(h.migration_uri.clone()),
            })
            .collect(),
        nas: nas_of(lab),
        images: lab.images.as_ref().map(|i| SiteImages {
            workload_kernel: i.workload_kernel.clone(),
            workload_domain_type: i.workload_domain_type.clone(),
            linux_kernel: i.linux_kernel.clone(),
            linux_initramfs: i.linux_initramfs.clone(),
            linux_domain_type: i.linux_domain_type.clone(),
        }),
        network: lab.network.as_ref().map(|n| SiteNetwork {
            bridge: n.bridge.clone(),
            gateway: n.gateway.clone(),
            prefix: n.prefix,
            first_guest: n.first_guest.clone(),
        }),
        netns: Some(lab.netns.clone()),
        pool_root: Layout::new(dir).pools_dir(),
    }
}

/// The LUN of lab.toml's `[nas]`: the portal's address and port, the target, the LUN of its URI.
fn nas_of(lab: &LabFile) -> Option<SiteNas> {
    let (host, port) = lab.nas.portal.rsplit_once(':')?;
    let lun = lab.nas.uri.rsplit('/').next()?.parse().ok()?;
    Some(SiteNas {
        host: host.into(),
        port: port.parse().ok()?,
        iqn: lab.nas.iqn.clone(),
        lun,
    })
}

/// The site a run on real hosts drives: the lab in `lab_dir` (plus any `--host`), or the
/// `--host` flags alone, or the default lab's folder when it holds a lab.toml.
pub fn for_run(
    host_flags: &[String],
    lab_dir: Option<&Path>,
    nas: Option<&str>,
) -> Result<Site, Box<Error>> {
    let dir = match lab_dir {
        Some(dir) => dir.to_path_buf(),
        None if !host_flags.is_empty() => {
            let mut site = Site::from_host_flags(host_flags).map_err(Box::new)?;
            if let Some(nas) = nas {
                site.set_nas(nas).map_err(Box::new)?;
            }
            return Ok(site);
        }
        None => super::state_dir(None),
    };
    let path = Layout::new(&dir).lab_file();
    let Some(lab) = LabFile::read(&path, &dir)? else {
        let reason = match lab_dir {
            Some(_) => format!("`{}` does not exist", path.display()),
            None => format!(
                "no --host or --lab was given, and the default lab `{}` does not exist",
                path.display()
            ),
        };
        return Err(Box::new(Error::LibvirtNoSite { reason }));
    };
    let mut site = from_lab_file(&lab, &dir);
    site.add_host_flags(host_flags).map_err(Box::new)?;
    if let Some(nas) = nas {
        site.set_nas(nas).map_err(Box::new)?;
    }
    Ok(site)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAB_TOML: &str = r#"netns = "kvmlab"
acceleration = "kvm"
created_mount_points = []

[[hosts]]
name = "sv1"
uri = "qemu+tcp://10.20.0.2:16509/system"
socket_uri = "qemu+unix:///system?socket=/srv/lab/sv1/run/libvirt-sock"
netns = "kvmlab-sv1"
address = "10.20.0.2"
link = "kv-sv1"
migration_uri = "tcp://10.20.0.2"
host_uuid = "6b766d6c-6162-4001-8000-000000000001"
migration_ports = [49152, 49167]
pid_file = "/srv/lab/sv1/libvirtd.pid"
log = "/srv/lab/sv1/log/libvirtd.log"

[[hosts]]
name = "sv2"
uri = "qemu+tcp://10.20.0.3:16509/system"
socket_uri = "qemu+unix:///system?socket=/srv/lab/sv2/run/libvirt-sock"
netns = "kvmlab-sv2"
address = "10.20.0.3"
link = "kv-sv2"
migration_uri = "tcp://10.20.0.3"
host_uuid = "6b766d6c-6162-4001-8000-000000000002"
migration_ports = [49168, 49183]
pid_file = "/srv/lab/sv2/libvirtd.pid"
log = "/srv/lab/sv2/log/libvirtd.log"

[nas]
uri = "iscsi://10.20.0.1:3260/iqn.2006-01.com.thecus:iscsi1/1"
portal = "10.20.0.1:3260"
iqn = "iqn.2006-01.com.thecus:iscsi1"
lun_file = "/srv/lab/nas/lun1.img"
lun_bytes = 2147483648
pid_file = "/srv/lab/nas/tgtd.pid"
control_socket = "/srv/lab/nas/tgtd.sock"
log = "/srv/lab/nas/tgtd.log"

[images]
workload_kernel = "/srv/lab/images/workload.elf"
workload_domain_type = "kvm"
linux_domain_type = "qemu"

[network]
bridge = "kvmbr0"
gateway = "10.20.0.1"
prefix = 24
first_guest = "10.20.0.10"
"#;

    fn lab_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("lab.toml"), LAB_TOML).unwrap();
        dir
    }

    #[test]
    fn a_lab_file_is_a_site_reached_through_the_socket_files() {
        let dir = lab_dir();
        let site = for_run(&[], Some(dir.path()), None).unwrap();
        assert_eq!(site.host_names(), "sv1, sv2");
        let sv2 = site.host("sv2").unwrap();
        assert_eq!(
            sv2.uri,
            "qemu+unix:///system?socket=/srv/lab/sv2/run/libvirt-sock"
        );
        assert_eq!(sv2.migration_uri.as_deref(), Some("tcp://10.20.0.3"));
        assert_eq!(
            site.nas,
            Some(SiteNas {
                host: "10.20.0.1".into(),
                port: 3260,
                iqn: "iqn.2006-01.com.thecus:iscsi1".into(),
                lun: 1,
            })
        );
        let images = site.images.unwrap();
        assert_eq!(
            images.workload_kernel,
            PathBuf::from("/srv/lab/images/workload.elf")
        );
        assert_eq!(site.network.unwrap().bridge, "kvmbr0");
        assert_eq!(site.netns.as_deref(), Some("kvmlab"));
        assert_eq!(site.pool_root, dir.path().join("pools"));
    }

    #[test]
    fn host_flags_add_hosts_to_a_lab() {
        let dir = lab_dir();
        let flags = vec!["sv3=qemu+ssh://root@sv3/system".to_string()];
        let site = for_run(&flags, Some(dir.path()), None).unwrap();
        assert_eq!(site.host_names(), "sv1, sv2, sv3");
        let twice =
            for_run(&["sv1=qemu:///system".to_string()], Some(dir.path()), None).unwrap_err();
        assert_eq!(twice.code_str(), "kvmlab::libvirt::bad_host_flag");
    }

    #[test]
    fn a_folder_without_a_lab_says_to_bring_one_up() {
        let dir = tempfile::tempdir().unwrap();
        let error = for_run(&[], Some(dir.path()), None).unwrap_err();
        assert_eq!(error.code_str(), "kvmlab::libvirt::no_site");
        assert_eq!(
            error.to_string(),
            format!(
                "no real lab to run on: `{}` does not exist",
                dir.path().join("lab.toml").display()
            )
        );
        assert!(error
            .help_str()
            .unwrap()
            .starts_with("bring one up with `kvmlab up`"));
    }
}
