//! What a script does to guests and their storage: libvirt pools and volumes, guests and
//! their life cycle, memory and workload, files on a guest, and the clients that reach it.
//! Each operation takes typed values, validates them against the lab below this boundary,
//! and answers in the world model's types; the bindings only convert.

pub trait GuestOperations {}
