//! libvirt's refusals of a host's operations (defining, starting, pools, volumes) in kvmlab's
//! codes: `kvmlab::libvirt::refused` with libvirt's own message and where to look. A failed
//! migration is [`super::refusal`]'s. Pure: it reads libvirt's error number and message, so
//! it is tested without libvirt.

use crate::error::Error;

/// libvirt's error numbers (`virErrorNumber`) that kvmlab tells apart.
pub mod number {
    pub const NO_CONNECT: u32 = 5;
    pub const DOM_EXIST: u32 = 28;
    pub const SYSTEM_ERROR: u32 = 38;
    pub const RPC: u32 = 39;
    pub const NO_DOMAIN: u32 = 42;
    pub const AUTH_FAILED: u32 = 45;
    pub const OPERATION_INVALID: u32 = 55;
    pub const OPERATION_TIMEOUT: u32 = 68;
    pub const STORAGE_POOL_BUILT: u32 = 76;
    pub const OPERATION_ABORTED: u32 = 78;
}

/// What kvmlab was doing when libvirt refused, to name it in the diagnostic.
#[derive(Debug, Clone, Default)]
pub struct Attempt<'a> {
    /// The model host whose libvirtd answered.
    pub host: &'a str,
    /// The host's libvirt URI, for the `virsh -c` in help lines.
    pub uri: &'a str,
    /// What was asked, e.g. `define the guest web1`.
    pub action: &'a str,
    /// The guest concerned, when there is one.
    pub guest: Option<&'a str>,
    /// What kind of object was being made (`guest`, `pool`, `volume`), and the virsh
    /// command that shows one of that name.
    pub object: Option<&'a str>,
    pub inspect: Option<&'a str>,
}

/// The diagnostic for libvirt's error `code` with `message`, raised while doing `attempt`.
pub fn refusal(code: u32, message: &str, attempt: &Attempt) -> Error {
    let virsh = format!("virsh -c '{}'", attempt.uri);
    let guest = attempt.guest.unwrap_or("the guest");
    let help = match code {
        number::NO_CONNECT | number::RPC | number::SYSTEM_ERROR
            if is_connection_lost(message) =>
        {
            format!(
                "the connection to {}'s libvirtd broke: check that it still runs and answers (`{virsh} version`); on a `kvmlab up` lab, `kvmlab status` shows what is up",
                attempt.host
            )
        }
        number::AUTH_FAILED => format!(
            "libvirtd on {} did not accept kvmlab's credentials: for qemu+ssh, `ssh` to the host must work without a password (an SSH key)",
            attempt.host
        ),
        _ if code == number::DOM_EXIST || message.contains("already exists") => format!(
            "{} already has one of that name, made outside this lab: give the lab's {} another name (`{virsh} {}` shows the one there)",
            attempt.host,
            attempt.object.unwrap_or("guest"),
            attempt.inspect.unwrap_or("list --all"),
        ),
        number::NO_DOMAIN => format!(
            "{guest} is not defined on {} any more: something outside the lab removed it (`{virsh} list --all` shows what is there)",
            attempt.host
        ),
        number::OPERATION_INVALID => format!(
            "the real guest is not in the state the lab expects: `{virsh} domstate {guest}` shows it"
        ),
        number::OPERATION_TIMEOUT => format!(
            "libvirtd on {} is busy with another job on {guest}: wait for it (`{virsh} domjobinfo {guest}`) and try again",
            attempt.host
        ),
        number::OPERATION_ABORTED => format!(
            "the job was cancelled; {guest} keeps running where it was (`{virsh} domstate {guest}`)"
        ),
        number::STORAGE_POOL_BUILT => format!(
            "the pool's target exists already on {}: pick a pool name of its own",
            attempt.host
        ),
        _ if message.contains("KVM") => format!(
            "{}'s KVM cannot run this guest: define it with `virt_type: \"qemu\"` (software emulation), or run it on a host with /dev/kvm",
            attempt.host
        ),
        _ => format!(
            "libvirt's message says why; `{virsh}` reaches the same libvirtd to look closer"
        ),
    };
    Error::LibvirtRefused {
        host: attempt.host.into(),
        action: attempt.action.into(),
        message: message.into(),
        help,
    }
}

fn is_connection_lost(message: &str) -> bool {
    [
        "closed",
        "broken",
        "End of file",
        "Cannot recv",
        "Cannot write",
        "not connected",
    ]
    .iter()
    .any(|m| message.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_refusals_keep_libvirts_message_and_say_where_to_look() {
        let attempt = Attempt {
            host: "sv1",
            uri: "qemu+tcp://127.0.0.1:16509/system",
            action: "define the guest web1",
            guest: Some("web1"),
            object: Some("guest"),
            inspect: Some("dominfo web1"),
        };
        let error = refusal(
            9,
            "operation failed: domain 'web1' already exists with uuid 1234",
            &attempt,
        );
        assert_eq!(error.code_str(), "kvmlab::libvirt::refused");
        assert_eq!(
            error.to_string(),
            "libvirt on sv1 refused to define the guest web1: operation failed: domain 'web1' already exists with uuid 1234"
        );
        assert_eq!(
            error.help_str().unwrap(),
            "sv1 already has one of that name, made outside this lab: give the lab's guest another name (`virsh -c 'qemu+tcp://127.0.0.1:16509/system' dominfo web1` shows the one there)"
        );
        let lost = refusal(
            number::SYSTEM_ERROR,
            "Cannot recv data: Connection reset by peer",
            &attempt,
        );
        assert!(lost
            .help_str()
            .unwrap()
            .starts_with("the connection to sv1's libvirtd broke"));
        let kvm = refusal(
            67,
            "unsupported configuration: Domain requires KVM, but it is not available",
            &attempt,
        );
        assert!(kvm.help_str().unwrap().contains("`virt_type: \"qemu\"`"));
    }
}
