//! The simulator's storage operations (the NAS, the iSCSI initiator, partitions, file
//! systems, mounts): each is the world model's own, with the simulated time a mkfs takes.

use super::Simulator;
use crate::backend::StorageOperations;
use crate::error::{Error, Result};
use crate::world::initiator::IscsiLogin;
use crate::world::nas::{NasId, NasSpec};
use crate::world::net::ip::Ipv4Cidr;
use crate::world::net::Finding;
use crate::world::storage::iscsi::Chap;
use crate::world::storage::nas::LunSize;
use crate::world::storage::partition::Mkpart;
use crate::world::volumes::MkfsReport;
use crate::world::HostId;

impl StorageOperations for Simulator {
    fn add_nas(&mut self, name: &str, spec: NasSpec) -> Result<NasId> {
        self.world.add_nas(name, spec)
    }

    fn set_nas_address(&mut self, nas: NasId, nic: &str, address: Ipv4Cidr) -> Result<()> {
        self.world.set_nas_address(nas, nic, address)
    }

    fn nas_create_target(&mut self, nas: NasId, iqn: &str, size: LunSize) -> Result<Vec<Error>> {
        let bytes = self.world.nas(nas).volume().lun_bytes(size);
        self.world.nas_create_target(nas, iqn, bytes)
    }

    fn nas_add_lun(&mut self, nas: NasId, iqn: &str, size: LunSize) -> Result<u32> {
        let bytes = self.world.nas(nas).volume().lun_bytes(size);
        self.world.nas_add_lun(nas, iqn, bytes)
    }

    fn nas_allow_initiator(&mut self, nas: NasId, iqn: &str, initiator: &str) -> Result<()> {
        self.world.nas_allow_initiator(nas, iqn, initiator)
    }

    fn nas_set_chap(&mut self, nas: NasId, iqn: &str, chap: Option<Chap>) -> Result<()> {
        self.world.nas_set_chap(nas, iqn, chap)
    }

    fn nas_create_share(&mut self, nas: NasId, name: &str) -> Result<String> {
        self.world.nas_create_share(nas, name)
    }

    fn iscsi_discover(&mut self, host: HostId, portal: &str) -> Result<Vec<String>> {
        self.world.iscsi_discover(host, portal)
    }

    fn iscsi_login(&mut self, host: HostId, iqn: &str) -> Result<IscsiLogin> {
        self.world.iscsi_login(host, iqn)
    }

    fn iscsi_logout(&mut self, host: HostId, iqn: &str) -> Result<Vec<String>> {
        self.world.iscsi_logout(host, iqn)
    }

    fn iscsi_set_startup(&mut self, host: HostId, iqn: &str, automatic: bool) -> Result<()> {
        self.world.iscsi_set_startup(host, iqn, automatic)
    }

    fn iscsi_set_chap(&mut self, host: HostId, iqn: &str, chap: Option<Chap>) -> Result<()> {
        self.world.iscsi_set_chap(host, iqn, chap)
    }

    fn parted_mklabel(&mut self, host: HostId, dev: &str, label: &str) -> Result<Vec<Error>> {
        self.world.parted_mklabel(host, dev, label)
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
        self.world
            .parted_mkpart(host, dev, name, fstype, start, end)
    }

    fn parted_rm(&mut self, host: HostId, dev: &str, number: u32) -> Result<Vec<Error>> {
        self.world.parted_rm(host, dev, number)
    }

    fn mkdir(&mut self, host: HostId, path: &str) -> Result<()> {
        self.world.mkdir(host, path)
    }

    fn mkfs(&mut self, host: HostId, fstype: &str, dev: &str) -> Result<MkfsReport> {
        let made = self.world.mkfs(host, fstype, dev)?;
        self.take_time(made.duration, || made.warnings.clone())?;
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
        self.world
            .mount_with_options(host, source, dir, fstype, options)
    }

    fn umount(&mut self, host: HostId, target: &str) -> Result<()> {
        self.world.umount(host, target)
    }

    fn mount_all(&mut self, host: HostId) -> Result<Vec<Finding>> {
        self.world.mount_all(host)
    }
}
