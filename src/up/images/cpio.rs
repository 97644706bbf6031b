//! A cpio archive in the "newc" format, the one the Linux kernel unpacks as an initramfs:
//! directories and files, each with a 110-byte ASCII header, names and data
//! padded to 4 bytes, closed by the `TRAILER!!!` entry.

/// An archive being written in memory (an initramfs is a few megabytes).
#[derive(Default)]
pub struct Archive {
    bytes: Vec<u8>,
    next_inode: u32,
}

const DIRECTORY: u32 = 0o040000;
const FILE: u32 = 0o100000;

impl Archive {
    pub fn new() -> Archive {
        Archive::default()
    }

    pub fn directory(&mut self, path: &str) {
        self.entry(path, DIRECTORY | 0o755, 2, &[]);
    }

    /// A regular file; `mode` is its permission bits, e.g. 0o755.
    pub fn file(&mut self, path: &str, mode: u32, data: &[u8]) {
        self.entry(path, FILE | (mode & 0o7777), 1, data);
    }

    /// The archive with its trailer.
    pub fn finish(mut self) -> Vec<u8> {
        self.next_inode = 0;
        self.header("TRAILER!!!", 0, 1, 0);
        self.pad();
        self.bytes
    }

    fn entry(&mut self, path: &str, mode: u32, links: u32, data: &[u8]) {
        self.next_inode += 1;
        let size = u32::try_from(data.len()).expect("an initramfs entry is under 4 GiB");
        self.header(path.trim_start_matches('/'), mode, links, size);
        self.bytes.extend_from_slice(data);
        self.pad();
    }

    fn header(&mut self, name: &str, mode: u32, links: u32, size: u32) {
        let name_size = u32::try_from(name.len() + 1).expect("a short name");
        let fields = [
            self.next_inode,
            mode,
            0, // uid
            0, // gid
            links,
            0, // mtime: fixed, so the same inputs give the same archive
            size,
            0, // dev major
            0, // dev minor
            0, // rdev major
            0, // rdev minor
            name_size,
            0, // check
        ];
        self.bytes.extend_from_slice(b"070701");
        for field in fields {
            self.bytes
                .extend_from_slice(format!("{field:08X}").as_bytes());
        }
        self.bytes.extend_from_slice(name.as_bytes());
        self.bytes.push(0);
        self.pad();
    }

    fn pad(&mut self) {
        while self.bytes.len() % 4 != 0 {
            self.bytes.push(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads back (name, mode, data) entries, checking the format as the kernel does.
    fn entries(bytes: &[u8]) -> Vec<(String, u32, Vec<u8>)> {
        let mut out = Vec::new();
        let mut at = 0;
        loop {
            assert_eq!(&bytes[at..at + 6], b"070701", "magic at {at}");
            let field = |i: usize| {
                let text = std::str::from_utf8(&bytes[at + 6 + 8 * i..at + 14 + 8 * i]).unwrap();
                u32::from_str_radix(text, 16).unwrap() as usize
            };
            let (mode, size, name_size) = (field(1), field(6), field(11));
            let name_start = at + 110;
            let name = std::str::from_utf8(&bytes[name_start..name_start + name_size - 1]).unwrap();
            assert_eq!(bytes[name_start + name_size - 1], 0);
            let data_start = (name_start + name_size).next_multiple_of(4);
            if name == "TRAILER!!!" {
                assert_eq!(bytes.len(), data_start);
                return out;
            }
            out.push((
                name.to_string(),
                mode as u32,
                bytes[data_start..data_start + size].to_vec(),
            ));
            at = (data_start + size).next_multiple_of(4);
        }
    }

    #[test]
    fn an_archive_holds_its_entries_in_newc_with_4_byte_alignment() {
        let mut archive = Archive::new();
        archive.directory("/bin");
        archive.file("/init", 0o755, b"#!/bin/busybox sh\n");
        archive.file("/etc/x", 0o644, b"abcde");
        let bytes = archive.finish();
        assert_eq!(bytes.len() % 4, 0);
        assert_eq!(
            entries(&bytes),
            vec![
                ("bin".to_string(), 0o040755, vec![]),
                (
                    "init".to_string(),
                    0o100755,
                    b"#!/bin/busybox sh\n".to_vec()
                ),
                ("etc/x".to_string(), 0o100644, b"abcde".to_vec()),
            ]
        );
    }

    #[test]
    fn a_real_cpio_reads_the_archive_when_one_is_installed() {
        let Some(cpio) = crate::up::preflight::find_program("cpio") else {
            eprintln!("skipped the cross-check: no `cpio` program (Debian package cpio)");
            return;
        };
        let mut archive = Archive::new();
        archive.directory("/etc");
        archive.file("/etc/hello", 0o644, b"hello\n");
        let listing = std::process::Command::new(cpio)
            .args(["-it", "-H", "newc"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child.stdin.take().unwrap().write_all(&archive.finish())?;
                child.wait_with_output()
            })
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&listing.stdout), "etc\netc/hello\n");
    }
}
