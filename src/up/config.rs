//! The configuration files of a lab's libvirt daemons: libvirtd.conf (where it listens, its
//! host UUID) and qemu.conf (QEMU as root, no security driver, no virtlogd, its own migration
//! ports and address), rendered from the host's plan.

use super::layout::{HostPlan, LIBVIRTD_PORT};

/// libvirtd.conf: TCP on the host's own address without authentication (only the lab's
/// namespaces reach it), a distinct host UUID (libvirt refuses to migrate to a host with the
/// same one) and a log file in the host's own log folder.
pub fn libvirtd_conf(host: &HostPlan) -> String {
    format!(
        "# kvmlab up: libvirtd of {name}\n\
         listen_tls = 0\n\
         listen_tcp = 1\n\
         listen_addr = \"{address}\"\n\
         tcp_port = \"{port}\"\n\
         auth_tcp = \"none\"\n\
         auth_unix_rw = \"none\"\n\
         unix_sock_group = \"root\"\n\
         unix_sock_rw_perms = \"0700\"\n\
         host_uuid = \"{uuid}\"\n\
         log_outputs = \"3:file:/var/log/libvirt/libvirtd.log\"\n",
        name = host.name,
        address = host.address,
        port = LIBVIRTD_PORT,
        uuid = host.host_uuid,
    )
}

/// qemu.conf: QEMU runs as root with no relabelling (the lab's files are root's), writes its
/// output to files itself (no virtlogd), and listens for incoming migrations on the host's own
/// address and port range, which is also where a source is told to send them when the
/// migration names no URI of its own.
pub fn qemu_conf(host: &HostPlan) -> String {
    let (min, max) = host.migration_ports;
    format!(
        "# kvmlab up: QEMU driver of {name}\n\
         user = \"root\"\n\
         group = \"root\"\n\
         dynamic_ownership = 0\n\
         remember_owner = 0\n\
         security_driver = \"none\"\n\
         stdio_handler = \"file\"\n\
         migration_address = \"{address}\"\n\
         migration_host = \"{address}\"\n\
         migration_port_min = {min}\n\
         migration_port_max = {max}\n",
        name = host.name,
        address = host.address,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::up::layout::HOSTS;

    fn value<'a>(conf: &'a str, key: &str) -> Option<&'a str> {
        conf.lines()
            .filter_map(|line| line.split_once(" = "))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }

    #[test]
    fn libvirtd_listens_on_tcp_at_its_own_address_with_its_own_uuid() {
        let conf = libvirtd_conf(&HOSTS[0]);
        assert_eq!(value(&conf, "listen_tcp"), Some("1"));
        assert_eq!(value(&conf, "listen_tls"), Some("0"));
        assert_eq!(value(&conf, "listen_addr"), Some("\"10.20.0.2\""));
        assert_eq!(value(&conf, "tcp_port"), Some("\"16509\""));
        assert_eq!(value(&conf, "auth_tcp"), Some("\"none\""));
        assert_eq!(
            value(&conf, "host_uuid"),
            Some("\"6b766d6c-6162-4001-8000-000000000001\"")
        );
        let other = libvirtd_conf(&HOSTS[1]);
        assert_eq!(value(&other, "listen_addr"), Some("\"10.20.0.3\""));
        assert_ne!(value(&conf, "host_uuid"), value(&other, "host_uuid"));
    }

    #[test]
    fn host_uuids_are_valid_and_not_one_repeated_digit() {
        for host in HOSTS {
            let hex: String = host.host_uuid.chars().filter(|c| *c != '-').collect();
            assert_eq!(hex.len(), 32, "{}", host.host_uuid);
            assert!(hex.chars().all(|c| c.is_ascii_hexdigit()));
            let first = hex.chars().next().unwrap();
            assert!(hex.chars().any(|c| c != first), "libvirt rejects {hex}");
        }
    }

    #[test]
    fn qemu_runs_as_root_without_virtlogd_on_distinct_migration_ports() {
        let conf = qemu_conf(&HOSTS[0]);
        assert_eq!(value(&conf, "user"), Some("\"root\""));
        assert_eq!(value(&conf, "group"), Some("\"root\""));
        assert_eq!(value(&conf, "dynamic_ownership"), Some("0"));
        assert_eq!(value(&conf, "remember_owner"), Some("0"));
        assert_eq!(value(&conf, "security_driver"), Some("\"none\""));
        assert_eq!(value(&conf, "stdio_handler"), Some("\"file\""));
        assert_eq!(value(&conf, "migration_port_min"), Some("49152"));
        assert_eq!(value(&conf, "migration_port_max"), Some("49167"));
        assert_eq!(value(&conf, "migration_address"), Some("\"10.20.0.2\""));
        assert_eq!(value(&conf, "migration_host"), Some("\"10.20.0.2\""));
        let other = qemu_conf(&HOSTS[1]);
        let (a, b) = (HOSTS[0].migration_ports, HOSTS[1].migration_ports);
        assert!(a.1 < b.0 || b.1 < a.0, "ranges overlap: {a:?} {b:?}");
        assert_eq!(value(&other, "migration_port_min"), Some("49168"));
    }
}
