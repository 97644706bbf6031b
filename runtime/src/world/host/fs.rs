//! A host's file system: text files by absolute path, and the directories that hold them.
//! Enough for config files; contents are text, paths are normalised absolute paths.
//!
//! A lab's files are config files of a few kilobytes, so sizes are capped: a file holds at
//! most [`MAX_FILE_BYTES`], a host at most [`MAX_HOST_FILE_BYTES`] in at most
//! [`MAX_HOST_PATHS`] files and directories. Every byte read or written is charged to the
//! script ([`crate::meter`]).

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{Error, Result};
use crate::{meter, suggest};

/// The largest file a host holds: 1 MiB, hundreds of times a lab's largest config file.
pub const MAX_FILE_BYTES: usize = 1 << 20;

/// The most bytes of files one host holds.
pub const MAX_HOST_FILE_BYTES: usize = 4 << 20;

/// The most files and directories one host holds.
pub const MAX_HOST_PATHS: usize = 4096;

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FileSystem {
    files: BTreeMap<String, String>,
    dirs: BTreeSet<String>,
    /// The bytes of every file together.
    #[serde(skip)]
    total: usize,
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// Refuses relative paths, `.`/`..`, repeated or trailing slashes and NUL.
pub fn check_path(path: &str) -> Result<()> {
    let reason = if !path.starts_with('/') {
        Some("it is not absolute")
    } else if path.contains('\0') {
        Some("it contains a NUL byte")
    } else if path.contains("//") || (path.len() > 1 && path.ends_with('/')) {
        Some("it has a repeated or trailing `/`")
    } else if path.split('/').any(|c| c == "." || c == "..") {
        Some("it contains `.` or `..`")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::BadPath {
            path: path.into(),
            reason: reason.into(),
        }),
        None => Ok(()),
    }
}

impl FileSystem {
    /// An empty file system: only `/`.
    pub fn new() -> FileSystem {
        FileSystem {
            files: BTreeMap::new(),
            dirs: BTreeSet::from(["/".to_string()]),
            total: 0,
        }
    }

    pub fn is_dir(&self, path: &str) -> bool {
        self.dirs.contains(path)
    }

    pub fn is_file(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    pub fn read(&self, host: &str, path: &str) -> Result<&str> {
        check_path(path)?;
        if self.is_dir(path) {
            return Err(Error::IsADirectory {
                host: host.into(),
                path: path.into(),
            });
        }
        if let Some(text) = self.files.get(path) {
            meter::bytes(text.len());
            return Ok(text);
        }
        Err({
            let siblings = self.files_in(parent(path));
            let help = match suggest::closest(path, siblings.iter().copied()) {
                Some(near) => format!("did you mean {near}?"),
                None if self.is_dir(parent(path)) => {
                    format!(
                        "the file does not exist yet: write it first (write_file(\"{path}\", ...))"
                    )
                }
                None => format!("directory {} does not exist either", parent(path)),
            };
            Error::NoSuchFile {
                host: host.into(),
                path: path.into(),
                help,
            }
        })
    }

    /// Refuses a write that would leave `path` holding `size` bytes beyond the caps.
    fn check_room(&self, host: &str, path: &str, size: usize) -> Result<()> {
        let old = self.files.get(path).map(String::len);
        if size > MAX_FILE_BYTES {
            return Err(Error::FileTooLarge {
                host: host.into(),
                path: path.into(),
                size: size as u64,
                limit: MAX_FILE_BYTES as u64,
            });
        }
        let total = self.total - old.unwrap_or(0) + size;
        if total > MAX_HOST_FILE_BYTES {
            return Err(Error::HostFilesTooLarge {
                host: host.into(),
                size: total as u64,
                limit: MAX_HOST_FILE_BYTES as u64,
            });
        }
        if old.is_none() {
            self.check_path_room(host)?;
        }
        Ok(())
    }

    fn check_path_room(&self, host: &str) -> Result<()> {
        if self.files.len() + self.dirs.len() >= MAX_HOST_PATHS {
            return Err(Error::TooMany {
                what: format!("files and directories on {host}"),
                limit: MAX_HOST_PATHS,
            });
        }
        Ok(())
    }

    /// Creates or replaces a file; its directory must exist.
    pub fn write(&mut self, host: &str, path: &str, text: &str) -> Result<()> {
        self.check_writable(host, path)?;
        self.check_room(host, path, text.len())?;
        meter::bytes(text.len());
        let old = self.files.insert(path.into(), text.into());
        self.total = self.total - old.map_or(0, |old| old.len()) + text.len();
        Ok(())
    }

    /// Appends to a file, creating it if missing (like `>>`).
    pub fn append(&mut self, host: &str, path: &str, text: &str) -> Result<()> {
        self.check_writable(host, path)?;
        let old = self.files.get(path).map_or(0, String::len);
        self.check_room(host, path, old + text.len())?;
        meter::bytes(text.len());
        self.files.entry(path.into()).or_default().push_str(text);
        self.total += text.len();
        Ok(())
    }

    fn check_writable(&self, host: &str, path: &str) -> Result<()> {
        check_path(path)?;
        if self.is_dir(path) {
            return Err(Error::IsADirectory {
                host: host.into(),
                path: path.into(),
            });
        }
        let dir = parent(path);
        if !self.is_dir(dir) {
            return Err(Error::NoSuchDirectory {
                host: host.into(),
                path: path.into(),
                dir: dir.into(),
            });
        }
        Ok(())
    }

    /// `rm`: removes a file.
    pub fn remove(&mut self, host: &str, path: &str) -> Result<()> {
        self.read(host, path)?;
        let removed = self.files.remove(path).map_or(0, |text| text.len());
        self.total -= removed;
        Ok(())
    }

    /// `rm -r`: removes a directory and everything under it; `/` stays.
    pub fn remove_dir_all(&mut self, host: &str, path: &str) -> Result<()> {
        check_path(path)?;
        if !self.is_dir(path) {
            return self.remove(host, path);
        }
        let inside = |p: &str| path == "/" || p == path || p.starts_with(&format!("{path}/"));
        let files: Vec<String> = self.files.keys().filter(|p| inside(p)).cloned().collect();
        for file in files {
            let removed = self.files.remove(&file).map_or(0, |text| text.len());
            self.total -= removed;
        }
        self.dirs.retain(|d| d == "/" || !inside(d));
        Ok(())
    }

    /// `mkdir` (or `mkdir -p` with `parents`).
    pub fn create_dir(&mut self, host: &str, path: &str, parents: bool) -> Result<()> {
        check_path(path)?;
        if self.is_file(path) || (self.is_dir(path) && !parents) {
            return Err(Error::FileExists {
                host: host.into(),
                path: path.into(),
            });
        }
        let dir = parent(path);
        if !self.is_dir(dir) {
            if !parents {
                return Err(Error::NoSuchDirectory {
                    host: host.into(),
                    path: path.into(),
                    dir: dir.into(),
                });
            }
            self.create_dir(host, dir, true)?;
        }
        if !self.is_dir(path) {
            self.check_path_room(host)?;
        }
        self.dirs.insert(path.into());
        Ok(())
    }

    /// Paths of the files directly in `dir`, sorted.
    pub fn files_in(&self, dir: &str) -> Vec<&str> {
        self.files
            .keys()
            .filter(|p| parent(p) == dir)
            .map(String::as_str)
            .collect()
    }

    /// Every file path, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Every directory path, sorted (`/` first).
    pub fn dir_paths(&self) -> impl Iterator<Item = &str> {
        self.dirs.iter().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_need_their_directory() {
        let mut fs = FileSystem::new();
        fs.create_dir("sv1", "/etc/sysconfig", true).unwrap();
        fs.write("sv1", "/etc/hosts", "x\n").unwrap();
        fs.append("sv1", "/etc/hosts", "y\n").unwrap();
        assert_eq!(fs.read("sv1", "/etc/hosts").unwrap(), "x\ny\n");
        let e = fs.write("sv1", "/iscsi1/a", "").unwrap_err();
        assert_eq!(e.code_str(), "kvmlab::host::no_such_directory");
        assert_eq!(
            e.to_string(),
            "sv1: cannot write /iscsi1/a: directory /iscsi1 does not exist"
        );
        assert_eq!(
            fs.write("sv1", "/etc", "").unwrap_err().code_str(),
            "kvmlab::host::is_a_directory"
        );
        assert_eq!(
            fs.create_dir("sv1", "/etc/hosts", false)
                .unwrap_err()
                .code_str(),
            "kvmlab::host::file_exists"
        );
        assert_eq!(
            fs.create_dir("sv1", "/a/b", false).unwrap_err().code_str(),
            "kvmlab::host::no_such_directory"
        );
        assert_eq!(fs.files_in("/etc"), ["/etc/hosts"]);
    }

    #[test]
    fn sizes_are_capped_per_file_and_per_host() {
        let mut fs = FileSystem::new();
        fs.create_dir("sv1", "/etc", false).unwrap();
        let big = "x".repeat(MAX_FILE_BYTES);
        fs.write("sv1", "/etc/hosts", &big).unwrap();
        let e = fs.append("sv1", "/etc/hosts", "y").unwrap_err();
        assert_eq!(e.code_str(), "kvmlab::sandbox::file_size");
        assert_eq!(
            e.to_string(),
            "sv1: /etc/hosts would hold 1048577 bytes; a file of the lab holds at most 1048576 bytes"
        );
        assert_eq!(fs.read("sv1", "/etc/hosts").unwrap().len(), MAX_FILE_BYTES);
        for i in 1..4 {
            fs.write("sv1", &format!("/etc/f{i}"), &big).unwrap();
        }
        let e = fs.write("sv1", "/etc/f4", "z").unwrap_err();
        assert_eq!(e.code_str(), "kvmlab::sandbox::host_files");
        // Replacing or removing a file gives its bytes back.
        fs.write("sv1", "/etc/f3", "small").unwrap();
        fs.remove("sv1", "/etc/f2").unwrap();
        fs.write("sv1", "/etc/f4", &big).unwrap();
    }

    #[test]
    fn a_tree_is_removed_with_its_files_and_gives_their_bytes_back() {
        let mut fs = FileSystem::new();
        fs.create_dir("sv1", "/srv/a/b", true).unwrap();
        fs.create_dir("sv1", "/srvx", false).unwrap();
        fs.write("sv1", "/srv/a/b/f", "12345").unwrap();
        fs.write("sv1", "/srvx/g", "1").unwrap();
        fs.remove_dir_all("sv1", "/srv").unwrap();
        assert!(!fs.is_dir("/srv") && !fs.is_dir("/srv/a/b") && !fs.is_file("/srv/a/b/f"));
        assert!(fs.is_file("/srvx/g"), "a sibling sharing the prefix stays");
        assert_eq!(fs.total, 1);
        fs.remove_dir_all("sv1", "/srvx/g").unwrap();
        assert_eq!(fs.total, 0);
        assert_eq!(
            fs.remove_dir_all("sv1", "/nope").unwrap_err().code_str(),
            "kvmlab::host::no_such_file"
        );
    }

    #[test]
    fn missing_files_suggest_the_near_one() {
        let mut fs = FileSystem::new();
        fs.create_dir("sv1", "/etc", false).unwrap();
        fs.write("sv1", "/etc/hosts", "").unwrap();
        let e = fs.read("sv1", "/etc/host").unwrap_err();
        assert_eq!(e.code_str(), "kvmlab::host::no_such_file");
        assert_eq!(e.help_str().unwrap(), "did you mean /etc/hosts?");
        assert_eq!(e.to_string(), "sv1: /etc/host: No such file or directory");
    }

    #[test]
    fn odd_paths_are_refused() {
        for bad in [
            "etc/hosts",
            "/etc//hosts",
            "/etc/",
            "/etc/../x",
            "/./x",
            "",
            "/a\0b",
        ] {
            assert_eq!(
                check_path(bad).unwrap_err().code_str(),
                "kvmlab::host::bad_path",
                "{bad:?}"
            );
        }
        assert!(check_path("/").is_ok());
    }
}
