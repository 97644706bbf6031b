//! Storage in the lab, free of any host: the NAS's RAID arithmetic and iSCSI targets, the
//! initiator's node records and sessions, partition tables, file system geometry and `df`,
//! and `/etc/fstab`. Hosts (packages, services, reboot) wire these together; every number a
//! trainee sees here is the one the real tool prints, checked against the tools themselves
//! in `tests/storage_oracles.rs`.

pub mod blockdev;
pub mod fs;
pub mod fstab;
pub mod iqn;
pub mod iscsi;
pub mod nas;
pub mod partition;
pub mod raid;
