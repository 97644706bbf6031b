//! The host, network and storage operations of a real lab, checked in the model and not
//! performed: a script cannot install a real host's OS, edit its ifcfg files, cable it or
//! build the NAS's targets, so each is the world model's own check, counted by name for the
//! run's report ("checked, not performed on real hosts"). Binding a host (`host(name, ..)`)
//! is performed: it connects to the site's host of that name. Work of known length takes no
//! real time here.

use super::LibvirtBackend;
use crate::backend::{HostOperations, StorageOperations};
use crate::error::{Error, Result};
use crate::world::host::hardware::HostSpec;
use crate::world::host::os::OsSpec;
use crate::world::host::packages::YumReport;
use crate::world::initiator::IscsiLogin;
use crate::world::nas::{NasId, NasSpec};
use crate::world::net::ip::Ipv4Cidr;
use crate::world::net::Finding;
use crate::world::services::{BootReport, ServiceAction, ServiceReport};
use crate::world::storage::iscsi::Chap;
use crate::world::storage::nas::LunSize;
use crate::world::storage::partition::Mkpart;
use crate::world::switch::{RouterPort, SwitchSpec};
use crate::world::volumes::MkfsReport;
use crate::world::{HostId, NodeId, RouterId, SwitchId};

impl HostOperations for LibvirtBackend {
    fn add_host(&mut self, name: &str, spec: HostSpec) -> Result<HostId> {
        self.bind(name, spec)
    }

    fn install_os(&mut self, host: HostId, spec: &OsSpec) -> Result<Vec<Error>> {
        let warnings = self.world.install_os(host, spec)?;
        self.count("install_os");
        Ok(warnings)
    }

    fn install_group(&mut self, host: HostId, group: &str) -> Result<()> {
        self.world.host_mut(host).install_group(group)?;
        self.count("install_group");
        Ok(())
    }

    fn set_bios_virt(&mut self, host: HostId, enabled: bool) {
        self.world.host_mut(host).set_bios_virt(enabled);
        self.count("set_bios_virt");
    }

    fn add_switch(&mut self, spec: SwitchSpec) -> Result<SwitchId> {
        let id = self.world.add_switch(spec)?;
        self.count("switch");
        Ok(id)
    }

    fn add_router(&mut self, name: &str, ports: &[RouterPort]) -> Result<RouterId> {
        let id = self.world.add_router(name, ports)?;
        self.count("router");
        Ok(id)
    }

    fn connect(&mut self, node: NodeId, nic: &str, switch: SwitchId) -> Result<()> {
        self.world.connect(node, nic, switch)?;
        self.count("connect (cabling)");
        Ok(())
    }

    fn disconnect(&mut self, node: NodeId, nic: &str) -> Result<()> {
        self.world.disconnect(node, nic)?;
        self.count("disconnect (cabling)");
        Ok(())
    }

    fn write_host_file(&mut self, host: HostId, path: &str, text: &str) -> Result<Vec<Finding>> {
        let findings = self.world.write_host_file(host, path, text)?;
        self.count("write_host_file");
        Ok(findings)
    }

    fn append_host_file(&mut self, host: HostId, path: &str, text: &str) -> Result<Vec<Finding>> {
        let findings = self.world.append_host_file(host, path, text)?;
        self.count("append_host_file");
        Ok(findings)
    }

    fn set_host_vars(
        &mut self,
        host: HostId,
        path: &str,
        vars: &[(&str, &str)],
    ) -> Result<Vec<Finding>> {
        let findings = self.world.host_mut(host).set_vars(path, vars)?;
        self.count("set_host_vars");
        Ok(findings)
    }

    fn remove_host_path(&mut self, host: HostId, path: &str, recursive: bool) -> Result<()> {
        self.world.remove_host_path(host, path, recursive)?;
        self.count("remove_host_path");
        Ok(())
    }

    fn ifup(&mut self, host: HostId, config: &str) -> Result<Vec<Finding>> {
        let findings = self.world.ifup(host, config)?;
        self.count("ifup");
        Ok(findings)
    }

    fn ifdown(&mut self, host: HostId, config: &str) -> Result<()> {
        self.world.ifdown(host, config)?;
        self.count("ifdown");
        Ok(())
    }

    fn service(
        &mut self,
        host: HostId,
        name: &str,
        action: ServiceAction,
    ) -> Result<ServiceReport> {
        let report = self.world.service(host, name, action)?;
        self.count("service");
        Ok(report)
    }

    fn chkconfig(&mut self, host: HostId, name: &str, on: bool) -> Result<()> {
        self.world.chkconfig(host, name, on)?;
        self.count("chkconfig");
        Ok(())
    }

    fn yum_install(&mut self, host: HostId, package: &str) -> Result<YumReport> {
        let report = self.world.host_mut(host).yum_install(package)?;
        self.count("yum_install");
        Ok(report)
    }

    fn reboot(&mut self, host: HostId) -> Result<BootReport> {
        let boot = self.world.reboot(host)?;
        self.count("reboot");
        Ok(boot)
    }

    fn power_on(&mut self, _host: HostId) -> Result<BootReport> {
        Err(super::backend::faults_unsupported("power_on"))
    }
}

impl StorageOperations for LibvirtBackend {
    fn add_nas(&mut self, name: &str, spec: NasSpec) -> Result<NasId> {
        let id = self.world.add_nas(name, spec)?;
        self.count("nas");
        Ok(id)
    }

    fn set_nas_address(&mut self, nas: NasId, nic: &str, address: Ipv4Cidr) -> Result<()> {
        self.world.set_nas_address(nas, nic, address)?;
        self.count("nas set_address");
        Ok(())
    }

    fn nas_create_target(&mut self, nas: NasId, iqn: &str, size: LunSize) -> Result<Vec<Error>> {
        let bytes = self.world.nas(nas).volume().lun_bytes(size);
        let warnings = self.world.nas_create_target(nas, iqn, bytes)?;
        self.count("nas create_target");
        Ok(warnings)
    }

    fn nas_add_lun(&mut self, nas: NasId, iqn: &str, size: LunSize) -> Result<u32> {
        let bytes = self.world.nas(nas).volume().lun_bytes(size);
        let lun = self.world.nas_add_lun(nas, iqn, bytes)?;
        self.count("nas add_lun");
        Ok(lun)
    }

    fn nas_allow_initiator(&mut self, nas: NasId, iqn: &str, initiator: &str) -> Result<()> {
        self.world.nas_allow_initiator(nas, iqn, initiator)?;
        self.count("nas allow_initiator");
        Ok(())
    }

    fn nas_set_chap(&mut self, nas: NasId, iqn: &str, chap: Option<Chap>) -> Result<()> {
        self.world.nas_set_chap(nas, iqn, chap)?;
        self.count("nas set_chap");
        Ok(())
    }

    fn nas_create_share(&mut self, nas: NasId, name: &str) -> Result<String> {
        let export = self.world.nas_create_share(nas, name)?;
        self.count("nas create_share");
        Ok(export)
    }

    fn iscsi_discover(&mut self, host: HostId, portal: &str) -> Result<Vec<String>> {
        let lines = self.world.iscsi_discover(host, portal)?;
        self.count("iscsi_discover");
        Ok(lines)
    }

    fn iscsi_login(&mut self, host: HostId, iqn: &str) -> Result<IscsiLogin> {
        let login = self.world.iscsi_login(host, iqn)?;
        self.count("iscsi_login");
        Ok(login)
    }

    fn iscsi_logout(&mut self, host: HostId, iqn: &str) -> Result<Vec<String>> {
        let lines = self.world.iscsi_logout(host, iqn)?;
        self.count("iscsi_logout");
        Ok(lines)
    }

    fn iscsi_set_startup(&mut self, host: HostId, iqn: &str, automatic: bool) -> Result<()> {
        self.world.iscsi_set_startup(host, iqn, automatic)?;
        self.count("iscsi_set_startup");
        Ok(())
    }

    fn iscsi_set_chap(&mut self, host: HostId, iqn: &str, chap: Option<Chap>) -> Result<()> {
        self.world.iscsi_set_chap(host, iqn, chap)?;
        self.count("iscsi_set_chap");
        Ok(())
    }

    fn parted_mklabel(&mut self, host: HostId, dev: &str, label: &str) -> Result<Vec<Error>> {
        let warnings = self.world.parted_mklabel(host, dev, label)?;
        self.count("parted mklabel");
        Ok(warnings)
    }

    fn parted_mkpart(
        &mut self,
        host: HostId,
        dev: &str,
        name: &str,
        fstype: &str,
        start: &str,
        end: &str,
    ) -> Result<Mkpart> {
        let made = self
            .world
            .parted_mkpart(host, dev, name, fstype, start, end)?;
        self.count("parted mkpart");
        Ok(made)
    }

    fn parted_rm(&mut self, host: HostId, dev: &str, number: u32) -> Result<Vec<Error>> {
        let warnings = self.world.parted_rm(host, dev, number)?;
        self.count("parted rm");
        Ok(warnings)
    }

    fn mkdir(&mut self, host: HostId, path: &str) -> Result<()> {
        self.world.mkdir(host, path)?;
        self.count("mkdir");
        Ok(())
    }

    fn mkfs(&mut self, host: HostId, fstype: &str, dev: &str) -> Result<MkfsReport> {
        let made = self.world.mkfs(host, fstype, dev)?;
        self.count("mkfs");
        Ok(made)
    }

    fn mount(
        &mut self,
        host: HostId,
        source: &str,
        dir: &str,
        fstype: &str,
        options: &str,
    ) -> Result<Vec<Error>> {
        let warnings = self
            .world
            .mount_with_options(host, source, dir, fstype, options)?;
        self.count("mount");
        Ok(warnings)
    }

    fn umount(&mut self, host: HostId, target: &str) -> Result<()> {
        self.world.umount(host, target)?;
        self.count("umount");
        Ok(())
    }

    fn mount_all(&mut self, host: HostId) -> Result<Vec<Finding>> {
        let findings = self.world.mount_all(host)?;
        self.count("mount -a");
        Ok(findings)
    }
}
