//! `kvmlab`: run KVM training labs on the simulator. See `kvmlab --help`.

mod cli;
mod console;
mod grade;
#[cfg(feature = "libvirt")]
// Its caller is the libvirt backend's run (`LibvirtBackend::set_progress`), wired with it.
#[allow(dead_code)]
mod progress;
mod repl;
mod up;

fn main() {
    std::process::exit(cli::main());
}
