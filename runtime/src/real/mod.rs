//! What the lab's real hosts need beside the libvirt backend, and what builds without it:
//! the generated file a real guest serves ([`generated`]) and a download from a guest inside
//! the lab's network namespace ([`download`]).

pub mod download;
pub mod generated;
