//! What a script does to hosts and their networks: hardware and OS, switches and routers,
//! cabling, config files, services, packages and reboots. Each operation takes typed values,
//! validates them against the lab below this boundary, and answers in the world model's
//! types; the bindings only convert. The storage a host uses is [`super::StorageOperations`].

use crate::error::{Error, Result};
use crate::world::host::hardware::HostSpec;
use crate::world::host::os::OsSpec;
use crate::world::host::packages::YumReport;
use crate::world::net::Finding;
use crate::world::services::{BootReport, ServiceAction, ServiceReport};
use crate::world::switch::{RouterPort, SwitchSpec};
use crate::world::{HostId, NodeId, RouterId, SwitchId};

pub trait HostOperations {
    // Hosts and their hardware

    /// A physical server with this hardware, no OS yet.
    fn add_host(&mut self, name: &str, spec: HostSpec) -> Result<HostId>;

    /// Installs the OS (a reinstall wipes the previous system); returns its warnings.
    fn install_os(&mut self, host: HostId, spec: &OsSpec) -> Result<Vec<Error>>;

    /// Installs a package group, e.g. "Virtualization".
    fn install_group(&mut self, host: HostId, group: &str) -> Result<()>;

    /// Turns the CPU's virtualization extension on or off in the BIOS setup.
    fn set_bios_virt(&mut self, host: HostId, enabled: bool);

    // Networks and cabling

    /// A switch carrying one network.
    fn add_switch(&mut self, spec: SwitchSpec) -> Result<SwitchId>;

    /// A router with one addressed port per entry, forwarding between them.
    fn add_router(&mut self, name: &str, ports: &[RouterPort]) -> Result<RouterId>;

    /// Cables a machine's card to a switch.
    fn connect(&mut self, node: NodeId, nic: &str, switch: SwitchId) -> Result<()>;

    /// Pulls a machine's card's cable.
    fn disconnect(&mut self, node: NodeId, nic: &str) -> Result<()>;

    // Files, services and packages

    /// Replaces a host file's text; returns what is wrong in a config file.
    fn write_host_file(&mut self, host: HostId, path: &str, text: &str) -> Result<Vec<Finding>>;

    /// Appends text to a host file; returns what is wrong in a config file.
    fn append_host_file(&mut self, host: HostId, path: &str, text: &str) -> Result<Vec<Finding>>;

    /// Sets `KEY=value` lines in a config file, replacing same-named keys.
    fn set_host_vars(
        &mut self,
        host: HostId,
        path: &str,
        vars: &[(&str, &str)],
    ) -> Result<Vec<Finding>>;

    /// `rm PATH` (`rm -r` with `recursive`): a host file, a mounted file system's image
    /// file, or a directory; refuses what the lab still uses (a mount point, a guest's disk).
    fn remove_host_path(&mut self, host: HostId, path: &str, recursive: bool) -> Result<()>;

    /// `ifup NAME`: applies ifcfg-NAME as the network service does; returns what is wrong.
    fn ifup(&mut self, host: HostId, config: &str) -> Result<Vec<Finding>>;

    /// `ifdown NAME`: the interface ifcfg-NAME describes goes down, with its addresses and
    /// the routes through it.
    fn ifdown(&mut self, host: HostId, config: &str) -> Result<()>;

    /// `service NAME start|stop|restart|status`, taking the time the init script takes.
    fn service(&mut self, host: HostId, name: &str, action: ServiceAction)
        -> Result<ServiceReport>;

    /// `chkconfig NAME on|off`: whether the service starts at boot.
    fn chkconfig(&mut self, host: HostId, name: &str, on: bool) -> Result<()>;

    /// `yum install PACKAGE`.
    fn yum_install(&mut self, host: HostId, package: &str) -> Result<YumReport>;

    /// Reboots the host, taking the time the boot takes: services and mounts come back as
    /// chkconfig and /etc/fstab say.
    fn reboot(&mut self, host: HostId) -> Result<BootReport>;

    /// Switches on a host whose power went, and lets its boot take its time.
    fn power_on(&mut self, host: HostId) -> Result<BootReport>;
}
