//! A host's file system: text files by absolute path, and the directories that hold them.
//! Enough for config files; contents are text, paths are normalised absolute paths.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{Error, Result};
use crate::suggest;

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FileSystem {
    files: BTreeMap<String, String>,
    dirs: BTreeSet<String>,
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
        self.files.get(path).map(String::as_str).ok_or_else(|| {
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

    /// Creates or replaces a file; its directory must exist.
    pub fn write(&mut self, host: &str, path: &str, text: &str) -> Result<()> {
        self.check_writable(host, path)?;
        self.files.insert(path.into(), text.into());
        Ok(())
    }

    /// Appends to a file, creating it if missing (like `>>`).
    pub fn append(&mut self, host: &str, path: &str, text: &str) -> Result<()> {
        self.check_writable(host, path)?;
        self.files.entry(path.into()).or_default().push_str(text);
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
        self.files.remove(path);
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
