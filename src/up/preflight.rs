//! What `kvmlab up` checks before it starts anything: root, the programs it runs (each named
//! with its Debian package), the accounts libvirt's QEMU driver insists on, and whether
//! /dev/kvm can run guests.

use kvmlab_runtime::error::Error;
use std::path::{Path, PathBuf};

/// A program the lab runs, what for, and the Debian package that installs it.
pub struct Program {
    pub name: &'static str,
    pub purpose: &'static str,
    pub package: &'static str,
}

pub const PROGRAMS: [Program; 8] = [
    Program {
        name: "ip",
        purpose: "the lab's network namespace",
        package: "iproute2",
    },
    Program {
        name: "libvirtd",
        purpose: "the two libvirt hosts sv1 and sv2",
        package: "libvirt-daemon libvirt-daemon-driver-qemu",
    },
    Program {
        name: "virsh",
        purpose: "asking each libvirt host whether it answers",
        package: "libvirt-clients",
    },
    Program {
        name: "qemu-system-x86_64",
        purpose: "the guests",
        package: "qemu-system-x86",
    },
    Program {
        name: "tgtd",
        purpose: "the NAS's iSCSI target",
        package: "tgt",
    },
    Program {
        name: "tgtadm",
        purpose: "configuring the NAS's target and LUN",
        package: "tgt",
    },
    Program {
        name: "iscsi-ls",
        purpose: "checking that the LUN can be seen over iSCSI",
        package: "libiscsi-bin",
    },
    Program {
        name: "gcc",
        purpose: "building the guest images: the 32-bit workload kernel and a static program of the Linux guest",
        package: "gcc gcc-multilib libc6-dev",
    },
];

/// Where programs are looked for: PATH, then the sbin folders a non-login root shell may lack.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The program's path, or the refusal naming the package to install.
pub fn require(name: &str) -> Result<PathBuf, Box<Error>> {
    let program = PROGRAMS
        .iter()
        .find(|p| p.name == name)
        .expect("every program the lab runs is listed in PROGRAMS");
    find_program(name).ok_or_else(|| {
        Box::new(Error::UpMissingBinary {
            binary: program.name.into(),
            purpose: program.purpose.into(),
            package: program.package.into(),
        })
    })
}

/// QEMU's iSCSI initiator: without it a guest cannot use the NAS's LUN.
pub fn require_qemu_iscsi() -> Result<(), Box<Error>> {
    let module = Path::new("/usr/lib/x86_64-linux-gnu/qemu/block-iscsi.so");
    if module.exists() {
        Ok(())
    } else {
        Err(Box::new(Error::UpMissingBinary {
            binary: module.display().to_string(),
            purpose: "QEMU's own iSCSI initiator, for guests on the NAS".into(),
            package: "qemu-block-extra".into(),
        }))
    }
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Refuses `command` unless run as root; `reason` says what it does that needs root.
pub fn require_root(command: &str, reason: &str) -> Result<(), Box<Error>> {
    if is_root() {
        Ok(())
    } else {
        Err(Box::new(Error::UpNotRoot {
            command: command.into(),
            reason: reason.into(),
        }))
    }
}

/// libvirt's QEMU driver refuses to start without the `libvirt-qemu` user and `kvm` group,
/// even when qemu.conf runs QEMU as root.
pub fn require_accounts() -> Result<(), Box<Error>> {
    let group = "kvm";
    let user = "libvirt-qemu";
    if !name_listed(Path::new("/etc/group"), group) {
        return Err(Box::new(Error::UpMissingAccount {
            what: "group".into(),
            name: group.into(),
            help: format!(
                "create the system group: `groupadd -r {group}` (Debian's libvirt-daemon-system creates it too)"
            ),
        }));
    }
    if !name_listed(Path::new("/etc/passwd"), user) {
        return Err(Box::new(Error::UpMissingAccount {
            what: "user".into(),
            name: user.into(),
            help: format!(
                "create the system user: `useradd -r -g {group} -d /var/lib/libvirt -s /usr/sbin/nologin {user}` (Debian's libvirt-daemon-system creates it too)"
            ),
        }));
    }
    Ok(())
}

fn name_listed(file: &Path, name: &str) -> bool {
    std::fs::read_to_string(file).is_ok_and(|text| {
        text.lines()
            .any(|line| line.split(':').next() == Some(name))
    })
}

/// Whether /dev/kvm can run guests: it opens and answers KVM_GET_API_VERSION with 12. The
/// warning says why not, when it cannot.
pub fn kvm_usable() -> Result<(), Box<Error>> {
    use std::os::fd::AsRawFd;
    const KVM_GET_API_VERSION: libc::c_ulong = 0xAE00;
    let device = match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
    {
        Ok(device) => device,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Box::new(Error::UpNoKvm {
                reason: "is missing".into(),
            }))
        }
        Err(e) => {
            return Err(Box::new(Error::UpNoKvm {
                reason: format!("cannot be opened ({e})"),
            }))
        }
    };
    // SAFETY: KVM_GET_API_VERSION takes no argument and only returns a number.
    let version = unsafe { libc::ioctl(device.as_raw_fd(), KVM_GET_API_VERSION as _, 0) };
    if version < 0 {
        return Err(Box::new(Error::UpNoKvm {
            reason: format!(
                "does not answer KVM's API query ({})",
                std::io::Error::last_os_error()
            ),
        }));
    }
    if version == 12 {
        Ok(())
    } else {
        Err(Box::new(Error::UpNoKvm {
            reason: format!("answers API version {version}, not 12"),
        }))
    }
}
