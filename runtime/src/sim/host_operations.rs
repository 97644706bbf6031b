//! The simulator's host and network operations: each is the world model's own, with the
//! simulated time an init script or a boot takes.

use super::Simulator;
use crate::backend::HostOperations;
use crate::error::{Error, Result};
use crate::world::host::hardware::HostSpec;
use crate::world::host::os::OsSpec;
use crate::world::host::packages::YumReport;
use crate::world::net::Finding;
use crate::world::services::{BootReport, ServiceAction, ServiceReport};
use crate::world::switch::{RouterPort, SwitchSpec};
use crate::world::{HostId, NodeId, RouterId, SwitchId};

impl HostOperations for Simulator {
    fn add_host(&mut self, name: &str, spec: HostSpec) -> Result<HostId> {
        self.world.add_host(name, spec)
    }

    fn install_os(&mut self, host: HostId, spec: &OsSpec) -> Result<Vec<Error>> {
        self.world.install_os(host, spec)
    }

    fn install_group(&mut self, host: HostId, group: &str) -> Result<()> {
        self.world.host_mut(host).install_group(group)
    }

    fn set_bios_virt(&mut self, host: HostId, enabled: bool) {
        self.world.host_mut(host).set_bios_virt(enabled);
    }

    fn add_switch(&mut self, spec: SwitchSpec) -> Result<SwitchId> {
        self.world.add_switch(spec)
    }

    fn add_router(&mut self, name: &str, ports: &[RouterPort]) -> Result<RouterId> {
        self.world.add_router(name, ports)
    }

    fn connect(&mut self, node: NodeId, nic: &str, switch: SwitchId) -> Result<()> {
        self.world.connect(node, nic, switch)
    }

    fn disconnect(&mut self, node: NodeId, nic: &str) -> Result<()> {
        self.world.disconnect(node, nic)
    }

    fn write_host_file(&mut self, host: HostId, path: &str, text: &str) -> Result<Vec<Finding>> {
        self.world.write_host_file(host, path, text)
    }

    fn append_host_file(&mut self, host: HostId, path: &str, text: &str) -> Result<Vec<Finding>> {
        self.world.append_host_file(host, path, text)
    }

    fn set_host_vars(
        &mut self,
        host: HostId,
        path: &str,
        vars: &[(&str, &str)],
    ) -> Result<Vec<Finding>> {
        self.world.host_mut(host).set_vars(path, vars)
    }

    fn remove_host_path(&mut self, host: HostId, path: &str, recursive: bool) -> Result<()> {
        self.world.remove_host_path(host, path, recursive)
    }

    fn ifup(&mut self, host: HostId, config: &str) -> Result<Vec<Finding>> {
        self.world.ifup(host, config)
    }

    fn ifdown(&mut self, host: HostId, config: &str) -> Result<()> {
        self.world.ifdown(host, config)
    }

    fn service(
        &mut self,
        host: HostId,
        name: &str,
        action: ServiceAction,
    ) -> Result<ServiceReport> {
        let report = self.world.service(host, name, action)?;
        self.take_time(report.duration, || findings_as_warnings(&report.findings))?;
        Ok(report)
    }

    fn chkconfig(&mut self, host: HostId, name: &str, on: bool) -> Result<()> {
        self.world.chkconfig(host, name, on)
    }

    fn yum_install(&mut self, host: HostId, package: &str) -> Result<YumReport> {
        self.world.host_mut(host).yum_install(package)
    }

    fn reboot(&mut self, host: HostId) -> Result<BootReport> {
        let boot = self.world.reboot(host)?;
        self.take_time(boot.duration, || findings_as_warnings(&boot.findings))?;
        Ok(boot)
    }

    fn power_on(&mut self, host: HostId) -> Result<BootReport> {
        let boot = self.world.power_on(host)?;
        self.take_time(boot.duration, || findings_as_warnings(&boot.findings))?;
        Ok(boot)
    }
}

fn findings_as_warnings(findings: &[Finding]) -> Vec<Error> {
    findings.iter().map(|f| f.error.clone()).collect()
}
