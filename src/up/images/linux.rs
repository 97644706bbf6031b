//! The Linux guest image: Debian's cloud kernel and busybox-static, fetched with
//! `apt-get download` into a package cache and unpacked with `dpkg-deb -x` (nothing is
//! installed on this machine), and an initramfs (cpio newc) holding busybox, the virtio
//! modules with their dependencies (read from each module's `.modinfo`: the package has no
//! modules.dep, depmod makes it at install), the init script and the `gen` CGI.
//! Failures are reasons, not errors: `up` goes on with the workload kernel alone.

use super::cpio::Archive;
use crate::up::namespace::run;
use crate::up::preflight::find_program;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The metapackage that depends on the current cloud kernel.
const KERNEL_METAPACKAGE: &str = "linux-image-cloud-amd64";
const BUSYBOX_PACKAGE: &str = "busybox-static";
/// What the guest needs to load: its network card and disk on the PCI bus.
const ROOT_MODULES: [&str; 3] = ["virtio_pci", "virtio_net", "virtio_blk"];

const INIT: &str = include_str!("../guest/init.sh");
const CMDLINE: &str = include_str!("../guest/cmdline.sh");

/// A Linux kernel and its initramfs, ready to boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinuxImage {
    pub kernel: PathBuf,
    pub initramfs: PathBuf,
    /// The kernel's Debian package, e.g. `linux-image-6.1.0-57-cloud-amd64`.
    pub package: String,
}

/// Builds `dir/linux-vmlinuz` and `dir/linux-initramfs.cpio`, the packages fetched into (or
/// found in) `cache`; `gen` is the generated-file program to serve.
pub fn build(dir: &Path, cache: &Path, gen: &Path) -> Result<LinuxImage, String> {
    std::fs::create_dir_all(cache)
        .map_err(|e| format!("cannot create {}: {e}", cache.display()))?;
    let package = kernel_package(cache)?;
    let kernel_deb = fetch(&package, cache)?;
    let busybox_deb = fetch(BUSYBOX_PACKAGE, cache)?;
    let work = dir.join("linux-build");
    let _ = std::fs::remove_dir_all(&work);
    let result = assemble(dir, &work, &kernel_deb, &busybox_deb, gen).map(|(kernel, initramfs)| {
        LinuxImage {
            kernel,
            initramfs,
            package,
        }
    });
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn assemble(
    dir: &Path,
    work: &Path,
    kernel_deb: &Path,
    busybox_deb: &Path,
    gen: &Path,
) -> Result<(PathBuf, PathBuf), String> {
    let kernel_tree = work.join("kernel");
    let busybox_tree = work.join("busybox");
    extract(kernel_deb, &kernel_tree)?;
    extract(busybox_deb, &busybox_tree)?;
    let vmlinuz = single_file(&kernel_tree.join("boot"), "vmlinuz-")?;
    let modules_root = ["lib/modules", "usr/lib/modules"]
        .iter()
        .map(|sub| kernel_tree.join(sub))
        .find(|path| path.is_dir())
        .ok_or_else(|| format!("{} holds no lib/modules", kernel_deb.display()))?;
    let version_dir = only_subdirectory(&modules_root)?;
    let modules = load_order(&index_modules(&version_dir)?, &ROOT_MODULES)?;
    let busybox = ["bin/busybox", "usr/bin/busybox"]
        .iter()
        .map(|sub| busybox_tree.join(sub))
        .find(|path| path.is_file())
        .ok_or_else(|| format!("{} holds no bin/busybox", busybox_deb.display()))?;

    let read = |path: &Path| {
        std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    let mut archive = Archive::new();
    for folder in [
        "/bin",
        "/sbin",
        "/usr",
        "/usr/bin",
        "/usr/sbin",
        "/proc",
        "/sys",
        "/dev",
        "/tmp",
        "/etc",
        "/etc/kvmlab",
        "/lib",
        "/lib/modules",
        "/www",
        "/www/cgi-bin",
    ] {
        archive.directory(folder);
    }
    archive.file("/bin/busybox", 0o755, &read(&busybox)?);
    archive.file("/init", 0o755, INIT.as_bytes());
    archive.file("/etc/kvmlab/cmdline.sh", 0o644, CMDLINE.as_bytes());
    let mut list = String::new();
    for (name, path) in &modules {
        let file = format!("{name}.ko");
        archive.file(&format!("/lib/modules/{file}"), 0o644, &read(path)?);
        list.push_str(&file);
        list.push('\n');
    }
    archive.file("/etc/kvmlab/modules", 0o644, list.as_bytes());
    archive.file("/www/cgi-bin/file", 0o755, &read(gen)?);
    archive.file(
        "/www/index.html",
        0o644,
        b"kvmlab Linux guest: GET /cgi-bin/file?seed=S&size=N\n",
    );
    let kernel = dir.join("linux-vmlinuz");
    let initramfs = dir.join("linux-initramfs.cpio");
    std::fs::copy(&vmlinuz, &kernel)
        .map_err(|e| format!("cannot copy {}: {e}", vmlinuz.display()))?;
    std::fs::write(&initramfs, archive.finish())
        .map_err(|e| format!("cannot write {}: {e}", initramfs.display()))?;
    Ok((kernel, initramfs))
}

/// The current cloud kernel's package from apt's lists; offline with no lists, the kernel
/// already in the cache.
fn kernel_package(cache: &Path) -> Result<String, String> {
    let asked = find_program("apt-cache")
        .ok_or_else(|| "`apt-cache` is not installed (Debian package apt)".to_string())
        .and_then(|apt_cache| {
            run(Command::new(apt_cache).args(["depends", KERNEL_METAPACKAGE]))
                .map_err(|e| e.to_string())
        })
        .and_then(|text| {
            depended_kernel(&text).ok_or_else(|| {
                format!("apt does not know which kernel {KERNEL_METAPACKAGE} depends on (`apt-get update` fetches its lists)")
            })
        });
    asked.or_else(|reason| {
        cached_files(cache, "linux-image-")
            .into_iter()
            .filter_map(|file| file.split('_').next().map(str::to_string))
            .rfind(|name| name.ends_with("-cloud-amd64"))
            .ok_or(reason)
    })
}

/// `linux-image-6.1.0-57-cloud-amd64` from `apt-cache depends linux-image-cloud-amd64`.
fn depended_kernel(text: &str) -> Option<String> {
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("Depends: "))
        .map(str::trim)
        .find(|name| name.starts_with("linux-image-") && name.ends_with("-cloud-amd64"))
        .map(str::to_string)
}

/// The .deb file names in `cache` starting with `prefix`, sorted.
fn cached_files(cache: &Path, prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(cache)
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with(prefix) && name.ends_with(".deb"))
        .collect();
    names.sort();
    names
}

/// The package's .deb: from the cache, or downloaded into it (a kernel replacing the older
/// kernels there).
fn fetch(package: &str, cache: &Path) -> Result<PathBuf, String> {
    if let Some(name) = cached_files(cache, &format!("{package}_")).pop() {
        return Ok(cache.join(name));
    }
    let apt_get = find_program("apt-get")
        .ok_or_else(|| "`apt-get` is not installed (Debian package apt)".to_string())?;
    let partial = cache.join(format!(".{package}.partial"));
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial)
        .map_err(|e| format!("cannot create {}: {e}", partial.display()))?;
    let downloaded = run(Command::new(apt_get)
        .args(["download", "-q", package])
        .current_dir(&partial))
    .map_err(|e| format!("`apt-get download {package}` failed: {e}"))
    .and_then(|_| {
        cached_files(&partial, &format!("{package}_"))
            .pop()
            .ok_or_else(|| format!("`apt-get download {package}` left no .deb"))
    });
    let result = downloaded.and_then(|name| {
        if package.starts_with("linux-image-") {
            for old in cached_files(cache, "linux-image-") {
                let _ = std::fs::remove_file(cache.join(old));
            }
        }
        let into = cache.join(&name);
        std::fs::rename(partial.join(&name), &into)
            .map_err(|e| format!("cannot move {name} into {}: {e}", cache.display()))?;
        Ok(into)
    });
    let _ = std::fs::remove_dir_all(&partial);
    result
}

fn extract(deb: &Path, into: &Path) -> Result<(), String> {
    let dpkg_deb = find_program("dpkg-deb")
        .ok_or_else(|| "`dpkg-deb` is not installed (Debian package dpkg)".to_string())?;
    std::fs::create_dir_all(into).map_err(|e| format!("cannot create {}: {e}", into.display()))?;
    run(Command::new(dpkg_deb).arg("-x").arg(deb).arg(into))
        .map(drop)
        .map_err(|e| e.to_string())
}

fn single_file(dir: &Path, prefix: &str) -> Result<PathBuf, String> {
    std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path())
        .find(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .ok_or_else(|| format!("no {prefix}* in {}", dir.display()))
}

fn only_subdirectory(dir: &Path) -> Result<PathBuf, String> {
    std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path())
        .find(|path| path.is_dir())
        .ok_or_else(|| format!("no kernel version folder in {}", dir.display()))
}

/// Every module file under `dir`, by module name (`-` read as `_`, as the kernel does).
fn index_modules(dir: &Path) -> Result<BTreeMap<String, PathBuf>, String> {
    let mut found = BTreeMap::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder)
            .map_err(|e| format!("cannot read {}: {e}", folder.display()))?;
        for entry in entries.filter_map(|entry| entry.ok()) {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
                if let Some(stem) = name.strip_suffix(".ko") {
                    found.insert(stem.replace('-', "_"), path);
                }
            }
        }
    }
    Ok(found)
}

/// The modules to load, dependencies first, each once.
fn load_order(
    modules: &BTreeMap<String, PathBuf>,
    roots: &[&str],
) -> Result<Vec<(String, PathBuf)>, String> {
    fn visit(
        name: &str,
        modules: &BTreeMap<String, PathBuf>,
        order: &mut Vec<(String, PathBuf)>,
        visiting: &mut Vec<String>,
    ) -> Result<(), String> {
        if order.iter().any(|(done, _)| done == name) {
            return Ok(());
        }
        if visiting.iter().any(|v| v == name) {
            return Err(format!(
                "the modules depend on each other in a circle: {visiting:?}"
            ));
        }
        let path = modules.get(name).ok_or_else(|| {
            format!("the kernel package has no module {name} (is it built in or compressed?)")
        })?;
        let image =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        visiting.push(name.to_string());
        for dependency in module_depends(&image) {
            visit(&dependency, modules, order, visiting)?;
        }
        visiting.pop();
        order.push((name.to_string(), path.clone()));
        Ok(())
    }
    let mut order = Vec::new();
    for root in roots {
        visit(root, modules, &mut order, &mut Vec::new())?;
    }
    Ok(order)
}

/// The `depends=` list of a kernel module (an ELF64 file), from its `.modinfo` section.
fn module_depends(image: &[u8]) -> Vec<String> {
    modinfo(image)
        .and_then(|info| {
            info.split(|b| *b == 0)
                .find_map(|entry| entry.strip_prefix(b"depends="))
                .map(|list| {
                    String::from_utf8_lossy(list)
                        .split(',')
                        .filter(|name| !name.is_empty())
                        .map(|name| name.replace('-', "_"))
                        .collect()
                })
        })
        .unwrap_or_default()
}

fn modinfo(image: &[u8]) -> Option<&[u8]> {
    let u16_at = |at: usize| Some(u16::from_le_bytes(image.get(at..at + 2)?.try_into().ok()?));
    let u32_at = |at: usize| Some(u32::from_le_bytes(image.get(at..at + 4)?.try_into().ok()?));
    let u64_at = |at: usize| Some(u64::from_le_bytes(image.get(at..at + 8)?.try_into().ok()?));
    if image.get(..5)? != b"\x7fELF\x02" {
        return None;
    }
    let section_table = usize::try_from(u64_at(0x28)?).ok()?;
    let entry_size = usize::from(u16_at(0x3A)?);
    let count = usize::from(u16_at(0x3C)?);
    let names_index = usize::from(u16_at(0x3E)?);
    let section = |index: usize| -> Option<(u32, &[u8])> {
        let at = section_table.checked_add(index.checked_mul(entry_size)?)?;
        let offset = usize::try_from(u64_at(at + 0x18)?).ok()?;
        let size = usize::try_from(u64_at(at + 0x20)?).ok()?;
        Some((u32_at(at)?, image.get(offset..offset.checked_add(size)?)?))
    };
    let (_, names) = section(names_index)?;
    (0..count).find_map(|index| {
        let (name_at, data) = section(index)?;
        let name = names.get(usize::try_from(name_at).ok()?..)?;
        name.starts_with(b".modinfo\0").then_some(data)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ELF64 with a section-name table and one `.modinfo` section.
    fn module(modinfo: &[u8]) -> Vec<u8> {
        let names = b"\0.shstrtab\0.modinfo\0";
        let mut image = vec![0u8; 64];
        image[..5].copy_from_slice(b"\x7fELF\x02");
        let names_at = image.len();
        image.extend_from_slice(names);
        let info_at = image.len();
        image.extend_from_slice(modinfo);
        let table_at = image.len();
        image[0x28..0x30].copy_from_slice(&(table_at as u64).to_le_bytes());
        image[0x3A..0x3C].copy_from_slice(&64u16.to_le_bytes());
        image[0x3C..0x3E].copy_from_slice(&3u16.to_le_bytes());
        image[0x3E..0x40].copy_from_slice(&1u16.to_le_bytes());
        let header = |name: u32, offset: usize, size: usize| {
            let mut h = vec![0u8; 64];
            h[..4].copy_from_slice(&name.to_le_bytes());
            h[0x18..0x20].copy_from_slice(&(offset as u64).to_le_bytes());
            h[0x20..0x28].copy_from_slice(&(size as u64).to_le_bytes());
            h
        };
        image.extend(header(0, 0, 0));
        image.extend(header(1, names_at, names.len()));
        image.extend(header(11, info_at, modinfo.len()));
        image
    }

    #[test]
    fn a_modules_dependencies_come_from_its_modinfo() {
        let image = module(b"license=GPL\0depends=net_failover,virtio_ring,virtio\0vermagic=6.1\0");
        assert_eq!(
            module_depends(&image),
            ["net_failover", "virtio_ring", "virtio"]
        );
        assert!(module_depends(&module(b"depends=\0")).is_empty());
        assert!(module_depends(b"not an elf").is_empty());
        let mut cut = image.clone();
        cut.truncate(image.len() - 60);
        assert!(
            module_depends(&cut).is_empty(),
            "a cut file is read as no dependencies, not a panic"
        );
    }

    #[test]
    fn modules_load_dependencies_first_each_once() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, depends: &str| {
            let path = dir.path().join(format!("{name}.ko"));
            std::fs::write(&path, module(format!("depends={depends}\0").as_bytes())).unwrap();
        };
        write("virtio", "");
        write("virtio_ring", "");
        write("failover", "");
        write("net_failover", "failover");
        write("virtio_net", "net_failover,virtio_ring,virtio");
        write("virtio_pci", "virtio_ring,virtio");
        let modules = index_modules(dir.path()).unwrap();
        let order: Vec<String> = load_order(&modules, &["virtio_pci", "virtio_net"])
            .unwrap()
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(
            order,
            [
                "virtio_ring",
                "virtio",
                "virtio_pci",
                "failover",
                "net_failover",
                "virtio_net"
            ]
        );
        assert_eq!(
            load_order(&modules, &["virtio_blk"]).unwrap_err(),
            "the kernel package has no module virtio_blk (is it built in or compressed?)"
        );
    }

    #[test]
    fn the_kernel_is_the_one_the_metapackage_depends_on() {
        let text = "linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-57-cloud-amd64\n";
        assert_eq!(
            depended_kernel(text).as_deref(),
            Some("linux-image-6.1.0-57-cloud-amd64")
        );
        assert_eq!(depended_kernel("linux-image-cloud-amd64\n"), None);
    }

    #[test]
    fn the_init_scripts_reader_takes_the_address_and_gateway_from_the_command_line() {
        let Some(busybox) = find_program("busybox") else {
            eprintln!("skipped: no busybox (Debian package busybox-static)");
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("cmdline.sh");
        std::fs::write(&script, CMDLINE).unwrap();
        let parse = |cmdline: &str| {
            let output = Command::new(&busybox)
                .args(["sh", "-c"])
                .arg(format!(
                    ". {}; kvmlab_parse_cmdline {cmdline}; echo \"[$ip] [$gw]\"",
                    script.display()
                ))
                .output()
                .unwrap();
            String::from_utf8_lossy(&output.stdout).trim().to_string()
        };
        assert_eq!(
            parse("console=ttyS0 kvmlab.ip=10.20.0.10/24 quiet kvmlab.gw=10.20.0.1"),
            "[10.20.0.10/24] [10.20.0.1]"
        );
        assert_eq!(parse("console=ttyS0"), "[] []");
        assert_eq!(parse("kvmlab.ip=10.20.0.11/24"), "[10.20.0.11/24] []");
    }
}
