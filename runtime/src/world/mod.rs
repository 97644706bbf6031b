//! The lab's world model: hosts, switches, storage, guests, in the vocabulary every backend
//! shares. Nothing here knows about Rhai; the script layer binds to it.

pub mod net;
pub mod suggest;
