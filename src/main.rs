//! `kvmlab`: run KVM training labs on the simulator. See `kvmlab --help`.

mod calibrate;
mod cli;
mod console;
mod grade;
#[cfg(feature = "libvirt")]
mod progress;
mod repl;
mod up;

fn main() {
    std::process::exit(cli::main());
}
