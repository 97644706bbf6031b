//! What is up: the namespaces; for each daemon its pid, whether it lives and whether it
//! answers; for the NAS whether the target exports its LUN and an initiator in the lab's
//! namespace sees it; the bridge and each host's link. Also the text `up` prints once the lab
//! answers.

use super::bridge;
use super::lab_file::{ImagesEntry, LabFile};
use super::layout::{self, Layout, HOSTS};
use super::link;
use super::namespace;
use super::preflight::find_program;
use super::probe;
use super::process;
use std::fmt::Write;
use std::path::PathBuf;
use std::time::Duration;

/// One daemon's state.
pub struct DaemonState {
    pub name: String,
    pub pid: Option<u32>,
    pub alive: bool,
    pub answering: bool,
    pub address: String,
}

/// One host's link: its end in the lab's namespace and the host's address at the other.
pub struct LinkState {
    pub host: &'static str,
    pub name: &'static str,
    /// Whether it is set up; None when it is missing.
    pub up: Option<bool>,
    pub netns: &'static str,
    /// The host's address on its bridge (None: missing).
    pub address: Option<String>,
}

pub struct LabStatus {
    pub dir: String,
    pub lab_file: bool,
    /// Each of the lab's namespaces and whether it exists.
    pub namespaces: Vec<(&'static str, bool)>,
    pub daemons: Vec<DaemonState>,
    pub lun_visible: bool,
    /// The guests' bridge lab.toml names, and its address in the lab's namespace (None:
    /// missing).
    pub bridge: Option<(String, Option<String>)>,
    pub links: Vec<LinkState>,
    /// Each image lab.toml names: what, its files, domain type, whether the files exist.
    pub images: Vec<ImageState>,
}

pub struct ImageState {
    pub name: &'static str,
    pub files: Vec<PathBuf>,
    pub domain_type: String,
    pub present: bool,
}

impl LabStatus {
    pub fn all_up(&self) -> bool {
        self.lab_file
            && self.namespaces.iter().all(|(_, present)| *present)
            && self.lun_visible
            && self.daemons.iter().all(|d| d.alive && d.answering)
            && self
                .bridge
                .as_ref()
                .is_none_or(|(_, address)| address.is_some())
            && self
                .links
                .iter()
                .all(|l| l.up == Some(true) && l.address.is_some())
            && self.images.iter().all(|image| image.present)
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let yes = |b: bool| if b { "yes" } else { "no" };
        let _ = writeln!(out, "lab at {}", self.dir);
        let present = |b: bool| if b { "present" } else { "missing" };
        let namespaces: Vec<String> = self
            .namespaces
            .iter()
            .map(|(name, there)| format!("{name} {}", present(*there)))
            .collect();
        let _ = writeln!(
            out,
            "  lab.toml: {}; network namespaces: {}",
            present(self.lab_file),
            namespaces.join(", ")
        );
        for d in &self.daemons {
            let pid = d.pid.map_or("-".to_string(), |p| p.to_string());
            let _ = writeln!(
                out,
                "  {:<12} pid {:<8} alive: {:<3}  answering: {:<3}  {}",
                d.name,
                pid,
                yes(d.alive),
                yes(d.answering),
                d.address
            );
        }
        let _ = writeln!(
            out,
            "  LUN 1        seen by iscsi-ls: {:<3}  {}",
            yes(self.lun_visible),
            layout::lun_uri()
        );
        if let Some((name, address)) = &self.bridge {
            let _ = writeln!(
                out,
                "  bridge       {name}: {}",
                address.as_deref().unwrap_or("missing")
            );
        }
        for l in &self.links {
            let state = match l.up {
                Some(true) => "up",
                Some(false) => "down",
                None => "missing",
            };
            let _ = writeln!(
                out,
                "  {:<12} {}: {state}  {} at {} in {}",
                format!("link {}", l.host),
                l.name,
                l.host,
                l.address.as_deref().unwrap_or("(no address)"),
                l.netns
            );
        }
        for image in &self.images {
            let files: Vec<String> = image
                .files
                .iter()
                .map(|f| f.display().to_string())
                .collect();
            let _ = writeln!(
                out,
                "  {:<12} present: {:<3}  domain type {}  {}",
                image.name,
                yes(image.present),
                image.domain_type,
                files.join(" ")
            );
        }
        let _ = writeln!(
            out,
            "{}",
            if self.all_up() {
                "all up".to_string()
            } else if let Some(l) = self.links.iter().find(|l| l.up == Some(false)) {
                // What a cut link stops (its host's TCP, a LUN it cannot reach) comes back
                // with it: no need to start afresh.
                format!(
                    "not all up: `ip -n {} link set {} up` plugs {} back in",
                    layout::NETNS,
                    l.name,
                    l.host
                )
            } else {
                format!(
                    "not all up: `kvmlab down --dir {0}` then `kvmlab up --dir {0}` starts afresh",
                    self.dir
                )
            }
        );
        out
    }
}

/// The lab's state from its files and live checks.
pub fn check(layout: &Layout, lab: Option<&LabFile>) -> LabStatus {
    let namespaces: Vec<(&'static str, bool)> = layout::namespaces()
        .into_iter()
        .map(|name| (name, namespace::exists(name)))
        .collect();
    let netns = namespace::exists(layout::NETNS);
    let ip = find_program("ip");
    let mut daemons = Vec::new();
    for host in &HOSTS {
        let pid = process::read_pid(&layout.libvirtd_pid(host.name));
        let alive =
            pid.is_some_and(|pid| process::alive(pid) && process::belongs_to_lab(pid, &layout.dir));
        let answering = alive
            && probe::libvirt_answers(&layout.socket_uri(host.name), false)
            && probe::libvirt_answers(&host.tcp_uri(), true);
        daemons.push(DaemonState {
            name: format!("{} libvirtd", host.name),
            pid,
            alive,
            answering,
            address: host.tcp_uri(),
        });
    }
    let pid = process::read_pid(&layout.tgtd_pid());
    let alive =
        pid.is_some_and(|pid| process::alive(pid) && process::belongs_to_lab(pid, &layout.dir));
    let answering = alive && probe::target_exported(layout, &layout.lun_file());
    daemons.push(DaemonState {
        name: "nas tgtd".into(),
        pid,
        alive,
        answering,
        address: format!("iscsi://{}", layout::PORTAL),
    });
    let bridge = lab.and_then(|lab| lab.network.as_ref()).map(|network| {
        let address = ip
            .as_ref()
            .filter(|_| netns)
            .and_then(|ip| bridge::address(ip, layout::NETNS, &network.bridge));
        (network.bridge.clone(), address)
    });
    let links = HOSTS
        .iter()
        .map(|host| LinkState {
            host: host.name,
            name: host.link,
            up: ip
                .as_ref()
                .filter(|_| netns)
                .and_then(|ip| link::is_up(ip, host.link)),
            netns: host.netns,
            address: ip
                .as_ref()
                .filter(|_| namespace::exists(host.netns))
                .and_then(|ip| bridge::address(ip, host.netns, bridge::BRIDGE)),
        })
        .collect();
    LabStatus {
        dir: layout.dir.display().to_string(),
        lab_file: lab.is_some(),
        namespaces,
        daemons,
        lun_visible: netns && answering && probe::lun_visible(),
        bridge,
        links,
        images: lab
            .and_then(|lab| lab.images.as_ref())
            .map_or_else(Vec::new, images),
    }
}

/// The images lab.toml names (the Linux image only when it was built).
fn images(entry: &ImagesEntry) -> Vec<ImageState> {
    let mut states = vec![ImageState {
        name: "workload",
        files: vec![entry.workload_kernel.clone()],
        domain_type: entry.workload_domain_type.clone(),
        present: entry.workload_kernel.is_file(),
    }];
    if let (Some(kernel), Some(initramfs)) = (&entry.linux_kernel, &entry.linux_initramfs) {
        states.push(ImageState {
            name: "linux",
            files: vec![kernel.clone(), initramfs.clone()],
            domain_type: entry.linux_domain_type.clone(),
            present: kernel.is_file() && initramfs.is_file(),
        });
    }
    states
}

/// What `up` prints: the URIs, how to reach them, and how long it took.
pub fn render_up(lab: &LabFile, took: Duration) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "lab up in {:.1} s (network namespace `{}`, acceleration: {})",
        took.as_secs_f64(),
        lab.netns,
        lab.acceleration
    );
    for host in &lab.hosts {
        let _ = writeln!(out, "{}  {}", host.name, host.uri);
        let _ = writeln!(out, "     from the host: {}", host.socket_uri);
        let _ = writeln!(
            out,
            "     in namespace {} at {}, cabled by {} (in {})",
            host.netns, host.address, host.link, lab.netns
        );
    }
    let _ = writeln!(out, "nas  {}", lab.nas.uri);
    if let Some(network) = &lab.network {
        let _ = writeln!(
            out,
            "guests' bridge {} {}/{} (guests from {})",
            network.bridge, network.gateway, network.prefix, network.first_guest
        );
    }
    match &lab.images {
        Some(images) => {
            let _ = writeln!(
                out,
                "workload kernel {} (domain type {})",
                images.workload_kernel.display(),
                images.workload_domain_type
            );
            match (&images.linux_kernel, &images.linux_initramfs) {
                (Some(kernel), Some(initramfs)) => {
                    let _ = writeln!(
                        out,
                        "Linux image {} {} (domain type {})",
                        kernel.display(),
                        initramfs.display(),
                        images.linux_domain_type
                    );
                }
                _ => {
                    let _ = writeln!(out, "Linux image: not built (see the warning above)");
                }
            }
        }
        None => {
            let _ = writeln!(out, "no guest images");
        }
    }
    let _ = writeln!(
        out,
        "TCP URIs work inside the lab's namespaces: `ip netns exec {} virsh -c {}`",
        lab.netns,
        lab.hosts.first().map_or("", |h| h.uri.as_str())
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(bridge_address: Option<&str>, image_present: bool, link_up: bool) -> LabStatus {
        LabStatus {
            dir: "/lab".into(),
            lab_file: true,
            namespaces: vec![("kvmlab", true), ("kvmlab-sv1", true)],
            daemons: vec![DaemonState {
                name: "sv1 libvirtd".into(),
                pid: Some(7),
                alive: true,
                answering: true,
                address: "qemu+tcp://10.20.0.2:16509/system".into(),
            }],
            lun_visible: true,
            bridge: Some(("kvmlab0".into(), bridge_address.map(str::to_string))),
            links: vec![LinkState {
                host: "sv1",
                name: "kv-sv1",
                up: Some(link_up),
                netns: "kvmlab-sv1",
                address: Some("10.20.0.2/24".into()),
            }],
            images: vec![ImageState {
                name: "workload",
                files: vec![PathBuf::from("/lab/images/workload.elf")],
                domain_type: "qemu".into(),
                present: image_present,
            }],
        }
    }

    #[test]
    fn status_shows_the_bridge_the_links_and_the_images_and_counts_them() {
        let up = status(Some("10.20.0.1/24"), true, true);
        let text = up.render();
        assert!(
            text.contains(
                "  lab.toml: present; network namespaces: kvmlab present, kvmlab-sv1 present\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("  bridge       kvmlab0: 10.20.0.1/24\n"),
            "{text}"
        );
        assert!(
            text.contains("  link sv1     kv-sv1: up  sv1 at 10.20.0.2/24 in kvmlab-sv1\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "  workload     present: yes  domain type qemu  /lab/images/workload.elf\n"
            ),
            "{text}"
        );
        assert!(up.all_up());
        let no_bridge = status(None, true, true);
        assert!(no_bridge
            .render()
            .contains("  bridge       kvmlab0: missing\n"));
        assert!(!no_bridge.all_up());
        let no_image = status(Some("10.20.0.1/24"), false, true);
        assert!(no_image.render().contains("  workload     present: no "));
        assert!(!no_image.all_up());
        // An unplugged host is not all up, and status says which link.
        let unplugged = status(Some("10.20.0.1/24"), true, false);
        let text = unplugged.render();
        assert!(text.contains("  link sv1     kv-sv1: down  "), "{text}");
        assert!(
            text.ends_with("not all up: `ip -n kvmlab link set kv-sv1 up` plugs sv1 back in\n"),
            "{text}"
        );
        assert!(!unplugged.all_up());
        let mut no_namespace = status(Some("10.20.0.1/24"), true, true);
        no_namespace.namespaces[1].1 = false;
        assert!(no_namespace.render().contains("kvmlab-sv1 missing\n"));
        assert!(!no_namespace.all_up());
    }
}
