//! A live migration libvirt refused or lost, as the lab's error: libvirt's refusals that the
//! simulator also makes get the simulator's code (unsafe storage or cache, the same host, no
//! pool for a copied disk, a missing bridge); any other failure is
//! `kvmlab::libvirt::migration_failed` with libvirt's own message, where the guest is now and
//! advice that fits that place.

use crate::error::Error;

/// libvirt's error numbers (`virErrorNumber`) the mapping reads.
pub const VIR_ERR_NO_STORAGE_POOL: u32 = 49;
pub const VIR_ERR_MIGRATE_UNSAFE: u32 = 81;

/// Where the guest is once a migration failed, as the hosts answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Whereabouts {
    RunningOnSource,
    /// Paused on the source and not running on the destination.
    PausedOnSource,
    OnDestination {
        paused: bool,
    },
    /// Defined nowhere active: neither host runs it.
    Nowhere,
    /// A host did not answer the question.
    Unknown {
        reason: String,
    },
}

/// A failed migration with what the backend knows around it.
#[derive(Debug, Clone)]
pub struct FailedMigration<'a> {
    pub guest: &'a str,
    /// The hosts as the lab names them.
    pub source: &'a str,
    pub destination: &'a str,
    /// Their libvirt URIs, for the commands the advice gives.
    pub source_uri: &'a str,
    pub destination_uri: &'a str,
    /// libvirt's `virErrorNumber`.
    pub code: u32,
    pub message: &'a str,
    /// The guest's domain XML on the source, for the disks a refusal is about.
    pub domain_xml: Option<&'a str>,
    pub whereabouts: Whereabouts,
}

impl FailedMigration<'_> {
    /// The lab's error for this failure.
    pub fn to_error(&self) -> Error {
        let disks = self.domain_xml.map(local_disks).unwrap_or_default();
        if self.code == VIR_ERR_MIGRATE_UNSAFE && self.message.contains("shared storage") {
            return Error::MigrateUnsafeStorage {
                path: if disks.is_empty() {
                    "its disk".into()
                } else {
                    disks
                        .iter()
                        .map(|d| d.path.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                host: self.destination.into(),
            };
        }
        if self.code == VIR_ERR_MIGRATE_UNSAFE && self.message.contains("cache") {
            let cache = self
                .domain_xml
                .map(disk_caches)
                .unwrap_or_default()
                .into_iter()
                .find(|c| c != "none" && c != "directsync")
                .unwrap_or_else(|| "default".into());
            return Error::MigrateUnsafeCache { cache };
        }
        if let Some(uuid) = after(self.message, "to the same host ") {
            return Error::MigrateSameHost {
                guest: self.guest.into(),
                host: self.destination.into(),
                uuid: uuid.trim().to_string(),
            };
        }
        if self.code == VIR_ERR_NO_STORAGE_POOL {
            let pool = quoted_after(self.message, "target path")
                .unwrap_or_else(|| "with the disk's folder".into());
            return Error::MigrateNoTargetPool {
                host: self.destination.into(),
                pool,
            };
        }
        if let Some(bridge) = quoted_after(self.message, "Cannot get interface MTU on") {
            return Error::MigrateNoBridge {
                host: self.destination.into(),
                bridge,
            };
        }
        Error::LibvirtMigrationFailed {
            guest: self.guest.into(),
            source_host: self.source.into(),
            destination: self.destination.into(),
            reason: format!("{}; {}", self.message.trim(), self.describe_whereabouts()),
            help: self.help(),
        }
    }

    fn describe_whereabouts(&self) -> String {
        let (guest, source, destination) = (self.guest, self.source, self.destination);
        match &self.whereabouts {
            Whereabouts::RunningOnSource => format!("{guest} still runs on {source}"),
            Whereabouts::PausedOnSource => format!("{guest} is paused on {source}"),
            Whereabouts::OnDestination { paused: false } => {
                format!("{guest} runs on {destination}")
            }
            Whereabouts::OnDestination { paused: true } => {
                format!("{guest} is paused on {destination}")
            }
            Whereabouts::Nowhere => format!("{guest} runs on neither {source} nor {destination}"),
            Whereabouts::Unknown { reason } => format!("where {guest} is now is unknown: {reason}"),
        }
    }

    fn help(&self) -> String {
        let (guest, source, destination) = (self.guest, self.source, self.destination);
        let (source_uri, destination_uri) = (self.source_uri, self.destination_uri);
        let name_taken =
            self.message.contains("already active") || self.message.contains("already exists");
        let port_taken = self.message.contains("Address already in use");
        match &self.whereabouts {
            Whereabouts::RunningOnSource if port_taken => format!(
                "nothing changed on {source}, where {guest} carries on; the port of the migration URI is taken on {destination} (another migration, or a program, listens there): give the URI without a port (`tcp://HOST`) so that libvirt picks a free one from the destination's migration range"
            ),
            Whereabouts::RunningOnSource if name_taken => format!(
                "{destination} already has a guest named {guest}: if it is this guest started there as well, both write its disk; shut that copy down cleanly (`virsh -c {destination_uri} shutdown {guest}`) and migrate again"
            ),
            Whereabouts::RunningOnSource => format!(
                "nothing changed on {source}, where {guest} carries on; make {destination} answer (its libvirtd running and reachable) and migrate again"
            ),
            Whereabouts::PausedOnSource => format!(
                "{destination} does not run {guest}, so it can carry on where it was: `virsh -c {source_uri} resume {guest}`"
            ),
            Whereabouts::OnDestination { paused: true } => format!(
                "after the switch to post-copy its memory is split between the hosts: do not start {guest} on {source}; bring {destination}'s libvirtd back and resume the migration (`virsh migrate --postcopy --postcopy-resume`)"
            ),
            Whereabouts::OnDestination { paused: false } => format!(
                "{guest} moved: use it on {destination}, and do not start it on {source} too (both would write its disk)"
            ),
            Whereabouts::Nowhere => format!(
                "look with `virsh -c {source_uri} list --all` and `virsh -c {destination_uri} list --all` before starting {guest} again, and start it on one host only"
            ),
            Whereabouts::Unknown { .. } => format!(
                "before starting {guest} anywhere, check with `virsh -c {source_uri} list --all` and `virsh -c {destination_uri} list --all` that neither host runs it: two copies would both write its disk"
            ),
        }
    }
}

/// A disk of the domain that lives in a file or on a block device of the host itself.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LocalDisk {
    path: String,
}

/// The `<disk>` elements of a domain XML, as text.
fn disk_elements(xml: &str) -> impl Iterator<Item = &str> {
    xml.split("<disk")
        .skip(1)
        .map(|rest| match rest.find("</disk>") {
            Some(end) => &rest[..end],
            None => rest,
        })
}

/// The file and block disks (a network disk, such as iSCSI through QEMU, is no local path).
fn local_disks(xml: &str) -> Vec<LocalDisk> {
    disk_elements(xml)
        .filter(|disk| attribute(disk, "device").is_none_or(|d| d != "cdrom"))
        .filter_map(|disk| {
            let source = tag(disk, "<source")?;
            attribute(source, "file")
                .or_else(|| attribute(source, "dev"))
                .map(|path| LocalDisk { path })
        })
        .collect()
}

/// Each disk's cache mode (`default` when its driver names none); CD-ROMs are read-only.
fn disk_caches(xml: &str) -> Vec<String> {
    disk_elements(xml)
        .filter(|disk| attribute(disk, "device").is_none_or(|d| d != "cdrom"))
        .map(|disk| {
            tag(disk, "<driver")
                .and_then(|driver| attribute(driver, "cache"))
                .unwrap_or_else(|| "default".into())
        })
        .collect()
}

/// The text of the first tag that opens with `opening`, to its `>`.
fn tag<'x>(xml: &'x str, opening: &str) -> Option<&'x str> {
    let rest = &xml[xml.find(opening)?..];
    Some(&rest[..rest.find('>').map_or(rest.len(), |end| end + 1)])
}

/// The value of the first attribute `name` in `text` (either quote).
fn attribute(text: &str, name: &str) -> Option<String> {
    let mut from = 0;
    while let Some(at) = text[from..].find(name) {
        let start = from + at;
        from = start + name.len();
        let before_ok = start == 0 || text[..start].ends_with(char::is_whitespace);
        let rest = &text[from..];
        if let (true, Some(rest)) = (before_ok, rest.strip_prefix('=')) {
            let quote = rest.chars().next()?;
            if quote == '\'' || quote == '"' {
                let value = &rest[1..];
                return value.find(quote).map(|end| value[..end].to_string());
            }
        }
    }
    None
}

fn after<'m>(message: &'m str, marker: &str) -> Option<&'m str> {
    message.find(marker).map(|at| &message[at + marker.len()..])
}

/// The first '…'-quoted word after `marker`.
fn quoted_after(message: &str, marker: &str) -> Option<String> {
    let rest = after(message, marker)?;
    let start = rest.find('\'')? + 1;
    let end = rest[start..].find('\'')?;
    Some(rest[start..start + end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCAL_DISK_XML: &str = "<domain type='kvm'><name>b-mig</name><devices>\
        <disk type='file' device='cdrom'><source file='/iso/centos.iso'/></disk>\
        <disk type='file' device='disk'><driver name='qemu' type='raw' cache='writeback'/>\
        <source file='/var/lib/libvirt/images/b-mig.img'/><target dev='vda'/></disk>\
        <disk type='network' device='disk'><driver name='qemu' type='raw' cache=\"none\"/>\
        <source protocol='iscsi' name='iqn.2006-01.com.thecus:iscsi1/1'>\
        <host name='127.0.0.1' port='3260'/></source><target dev='vdb'/></disk></devices></domain>";

    fn failed(code: u32, message: &str, whereabouts: Whereabouts) -> FailedMigration<'_> {
        FailedMigration {
            guest: "b-mig",
            source: "sv1",
            destination: "sv2",
            source_uri: "qemu+tcp://127.0.0.1:16509/system",
            destination_uri: "qemu+tcp://127.0.0.1:16510/system",
            code,
            message,
            domain_xml: Some(LOCAL_DISK_XML),
            whereabouts,
        }
    }

    #[test]
    fn libvirts_unsafe_refusals_get_the_simulators_codes() {
        let e = failed(
            VIR_ERR_MIGRATE_UNSAFE,
            "Unsafe migration: Migration without shared storage is unsafe",
            Whereabouts::RunningOnSource,
        )
        .to_error();
        assert_eq!(
            e,
            Error::MigrateUnsafeStorage {
                path: "/var/lib/libvirt/images/b-mig.img".into(),
                host: "sv2".into()
            }
        );
        assert_eq!(e.code_str(), "kvmlab::migrate::unsafe_storage");
        let e = failed(
            VIR_ERR_MIGRATE_UNSAFE,
            "Unsafe migration: Migration may lead to data corruption if disks use cache other than none or directsync",
            Whereabouts::RunningOnSource,
        )
        .to_error();
        assert_eq!(
            e,
            Error::MigrateUnsafeCache {
                cache: "writeback".into()
            }
        );
    }

    #[test]
    fn same_host_missing_pool_and_missing_bridge_read_libvirts_message() {
        let e = failed(
            55,
            "Requested operation is not valid: Attempt to migrate guest to the same host 6b766d6c-6162-4001-8000-000000000001",
            Whereabouts::RunningOnSource,
        )
        .to_error();
        assert_eq!(
            e,
            Error::MigrateSameHost {
                guest: "b-mig".into(),
                host: "sv2".into(),
                uuid: "6b766d6c-6162-4001-8000-000000000001".into()
            }
        );
        let e = failed(
            VIR_ERR_NO_STORAGE_POOL,
            "Storage pool not found: no storage pool with matching target path '/var/lib/libvirt/images'",
            Whereabouts::RunningOnSource,
        )
        .to_error();
        assert_eq!(
            e,
            Error::MigrateNoTargetPool {
                host: "sv2".into(),
                pool: "/var/lib/libvirt/images".into()
            }
        );
        let e = failed(
            38,
            "Cannot get interface MTU on 'br0': No such device",
            Whereabouts::RunningOnSource,
        )
        .to_error();
        assert_eq!(e.code_str(), "kvmlab::migrate::no_bridge");
        assert!(e.to_string().contains("no bridge br0"), "{e}");
    }

    #[test]
    fn any_other_failure_says_where_the_guest_is_and_what_is_safe() {
        let e = failed(
            9,
            "operation failed: domain 'b-mig' already exists with uuid 1b2c",
            Whereabouts::RunningOnSource,
        )
        .to_error();
        assert_eq!(e.code_str(), "kvmlab::libvirt::migration_failed");
        assert_eq!(
            e.to_string(),
            "libvirt could not migrate b-mig from sv1 to sv2: operation failed: domain 'b-mig' already exists with uuid 1b2c; b-mig still runs on sv1"
        );
        assert!(e
            .help_str()
            .unwrap()
            .starts_with("sv2 already has a guest named b-mig"));
        let e = failed(
            39,
            "End of file while reading data: Input/output error",
            Whereabouts::RunningOnSource,
        )
        .to_error();
        assert!(e.help_str().unwrap().starts_with("nothing changed on sv1"));
        let e = failed(
            1,
            "internal error: unable to execute QEMU command 'migrate-incoming': Failed to find an available port: Address already in use",
            Whereabouts::RunningOnSource,
        )
        .to_error();
        assert!(e
            .help_str()
            .unwrap()
            .contains("give the URI without a port"));
        let e = failed(1, "lost", Whereabouts::OnDestination { paused: true }).to_error();
        assert!(e.to_string().ends_with("b-mig is paused on sv2"));
        assert!(e.help_str().unwrap().contains("do not start b-mig on sv1"));
        let e = failed(1, "lost", Whereabouts::PausedOnSource).to_error();
        assert!(e
            .help_str()
            .unwrap()
            .ends_with("`virsh -c qemu+tcp://127.0.0.1:16509/system resume b-mig`"));
        let e = failed(
            1,
            "lost",
            Whereabouts::Unknown {
                reason: "sv1 did not answer".into(),
            },
        )
        .to_error();
        assert!(e
            .to_string()
            .ends_with("where b-mig is now is unknown: sv1 did not answer"));
        assert!(!e.help_str().unwrap().contains("start it on"));
    }

    #[test]
    fn disks_are_read_from_the_domain_xml() {
        assert_eq!(
            local_disks(LOCAL_DISK_XML),
            [LocalDisk {
                path: "/var/lib/libvirt/images/b-mig.img".into()
            }]
        );
        assert_eq!(disk_caches(LOCAL_DISK_XML), ["writeback", "none"]);
        assert_eq!(
            attribute("<a xfile='x' file=\"y\"/>", "file").as_deref(),
            Some("y")
        );
        assert_eq!(attribute("<a file=x/>", "file"), None);
        let unsafe_without_xml = FailedMigration {
            domain_xml: None,
            ..failed(
                VIR_ERR_MIGRATE_UNSAFE,
                "Migration without shared storage is unsafe",
                Whereabouts::RunningOnSource,
            )
        };
        assert!(matches!(
            unsafe_without_xml.to_error(),
            Error::MigrateUnsafeStorage { path, .. } if path == "its disk"
        ));
    }
}
