//! What a script does to hosts, networks and storage: hardware and OS, cabling, config files
//! and services, the NAS and its iSCSI targets, the initiator, partitions, file systems and
//! mounts. Each operation takes typed values, validates them against the lab below this
//! boundary, and answers in the world model's types; the bindings only convert.

pub trait HostOperations {}
