//! The guest programs compiled at `up` with this machine's gcc from the sources in
//! `src/up/guest/`: the workload kernel (32-bit multiboot ELF, freestanding, its own linker
//! script; libgcc gives it 64-bit division) and `gen`, the Linux guest's generated-file CGI
//! (static, so it needs nothing of the initramfs).

use crate::up::daemons::io_error;
use crate::up::namespace::run;
use kvmlab_runtime::error::Error;
use std::path::{Path, PathBuf};
use std::process::Command;

const START: &str = include_str!("../guest/start.S");
const WORKLOAD: &str = include_str!("../guest/workload.c");
const LINK: &str = include_str!("../guest/link.ld");
const GEN: &str = include_str!("../guest/gen.c");

fn write_sources(dir: &Path, files: &[(&str, &str)]) -> Result<(), Box<Error>> {
    let src = dir.join("src");
    std::fs::create_dir_all(&src).map_err(|e| io_error("create", &src, e))?;
    for (name, text) in files {
        let path = src.join(name);
        std::fs::write(&path, text).map_err(|e| io_error("write", &path, e))?;
    }
    Ok(())
}

fn compile(command: &mut Command, what: &str) -> Result<(), Box<Error>> {
    run(command).map(drop).map_err(|error| match *error {
        Error::UpCommandFailed {
            command,
            status,
            output,
            ..
        } => Box::new(Error::UpCommandFailed {
            command,
            status,
            output,
            help: format!(
                "{what} needs gcc with 32-bit and static support: `apt-get install --no-install-recommends gcc gcc-multilib libc6-dev`"
            ),
        }),
        other => Box::new(other),
    })
}

/// Builds `dir/workload.elf` from the embedded sources (written to `dir/src/`).
pub fn workload_kernel(gcc: &Path, dir: &Path) -> Result<PathBuf, Box<Error>> {
    write_sources(
        dir,
        &[
            ("start.S", START),
            ("workload.c", WORKLOAD),
            ("link.ld", LINK),
        ],
    )?;
    let src = dir.join("src");
    let out = dir.join("workload.elf");
    compile(
        Command::new(gcc)
            .args([
                "-m32",
                "-ffreestanding",
                "-nostdlib",
                "-fno-pic",
                "-no-pie",
                "-static",
                "-O2",
                "-fno-stack-protector",
                "-mgeneral-regs-only",
                "-fno-asynchronous-unwind-tables",
                "-Wl,--build-id=none",
            ])
            .arg(format!("-Wl,-T,{}", src.join("link.ld").display()))
            .arg("-o")
            .arg(&out)
            .arg(src.join("start.S"))
            .arg(src.join("workload.c"))
            .arg("-lgcc"),
        "the workload kernel",
    )?;
    Ok(out)
}

/// Builds `dir/gen`, the static generated-file program.
pub fn generator(gcc: &Path, dir: &Path) -> Result<PathBuf, Box<Error>> {
    write_sources(dir, &[("gen.c", GEN)])?;
    let out = dir.join("gen");
    compile(
        Command::new(gcc)
            .args(["-static", "-O2", "-o"])
            .arg(&out)
            .arg(dir.join("src").join("gen.c")),
        "the Linux guest's file generator",
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kvmlab_runtime::real::generated::{bytes, sha256_hex, sha256_of};

    fn gcc() -> Option<PathBuf> {
        let found = crate::up::preflight::find_program("gcc");
        if found.is_none() {
            eprintln!("skipped: no gcc (Debian packages gcc gcc-multilib libc6-dev)");
        }
        found
    }

    #[test]
    fn the_guest_generator_gives_the_same_stream_as_the_runtime() {
        let Some(gcc) = gcc() else { return };
        let dir = tempfile::tempdir().unwrap();
        let gen = generator(&gcc, dir.path()).unwrap();
        let output = Command::new(&gen).args(["7", "1000"]).output().unwrap();
        assert!(output.status.success());
        assert_eq!(output.stdout, bytes(7, 1000));
        let cgi = Command::new(&gen)
            .env("QUERY_STRING", "seed=7&size=10000000")
            .output()
            .unwrap();
        let head = b"Content-Type: application/octet-stream\r\nContent-Length: 10000000\r\n\r\n";
        assert!(cgi.stdout.starts_with(head));
        assert_eq!(
            sha256_hex(&cgi.stdout[head.len()..]),
            sha256_of(7, 10_000_000)
        );
        let refused = Command::new(&gen)
            .env("QUERY_STRING", "seed=x&size=1")
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&refused.stdout).starts_with("Status: 400 Bad Request"));
    }

    /// gcc with its 32-bit libgcc (gcc-multilib): without it gcc -m32 names the 64-bit one.
    fn gcc_32() -> Option<PathBuf> {
        let gcc = gcc()?;
        let libgcc = Command::new(&gcc)
            .args(["-m32", "-print-libgcc-file-name"])
            .output()
            .ok()?;
        let libgcc = PathBuf::from(String::from_utf8_lossy(&libgcc.stdout).trim());
        if !libgcc.components().any(|c| c.as_os_str() == "32") || !libgcc.is_file() {
            eprintln!("skipped: gcc has no 32-bit libgcc (Debian package gcc-multilib)");
            return None;
        }
        Some(gcc)
    }

    #[test]
    fn the_workload_kernel_is_a_32_bit_multiboot_elf() {
        let Some(gcc) = gcc_32() else { return };
        let dir = tempfile::tempdir().unwrap();
        let kernel = workload_kernel(&gcc, dir.path()).unwrap();
        let image = std::fs::read(kernel).unwrap();
        assert_eq!(&image[..5], b"\x7fELF\x01", "an ELF of class 32");
        // The multiboot v1 header: magic, flags, checksum summing to 0, in the first 8 KiB,
        // 4-byte aligned.
        let header = (0..8192 - 12)
            .step_by(4)
            .find(|&at| image[at..at + 4] == 0x1BAD_B002u32.to_le_bytes())
            .expect("a multiboot header in the first 8 KiB");
        let word = |i: usize| {
            u32::from_le_bytes(
                image[header + 4 * i..header + 4 * i + 4]
                    .try_into()
                    .unwrap(),
            )
        };
        assert_eq!(word(1), 3);
        assert_eq!(word(0).wrapping_add(word(1)).wrapping_add(word(2)), 0);
    }
}
