//! The run's output folder (`--out`): the only place a lab writes files (`save_text`,
//! `save_plot`). Scripts are untrusted, so a name is a relative path checked part by part:
//! no `..`, no absolute paths, no control characters, folders created one by one, and no
//! symbolic link followed at any level (an existing one is refused; one planted while the
//! file is opened is not followed: the file is opened with `O_NOFOLLOW`). A run writes at
//! most [`MAX_FILES`] files of [`MAX_FILE_BYTES`] each and [`MAX_TOTAL_BYTES`] in all.

use crate::error::{Error, Result};
use crate::units::human_size;
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

/// Files one run may write under `--out` (saving to a name again replaces that file).
pub const MAX_FILES: usize = 256;
/// Bytes one artifact may hold.
pub const MAX_FILE_BYTES: u64 = 16 << 20;
/// Bytes all of a run's artifacts may hold together.
pub const MAX_TOTAL_BYTES: u64 = 64 << 20;
/// Folders an artifact name may nest (`a/b/c.txt` nests 2).
pub const MAX_FOLDERS: usize = 8;
/// Bytes of one part of a name: the file system's limit.
const MAX_PART_BYTES: usize = 255;

/// The output folder of one run and what the run has written there.
#[derive(Debug)]
pub struct OutputDir {
    /// `None` when the run writes nowhere (a graded submission): names and limits are still
    /// checked, so a lab behaves as it would with `--out`, but nothing reaches the disk.
    root: Option<PathBuf>,
    /// Bytes of each file written, by its normalized name.
    written: BTreeMap<String, u64>,
}

impl OutputDir {
    pub fn new(root: PathBuf) -> OutputDir {
        OutputDir {
            root: Some(root),
            written: BTreeMap::new(),
        }
    }

    /// An output folder that keeps nothing: see [`OutputDir::root`].
    pub fn discarding() -> OutputDir {
        OutputDir {
            root: None,
            written: BTreeMap::new(),
        }
    }

    /// Writes `contents` to `name` inside the folder; returns the path written.
    pub fn write(&mut self, name: &str, contents: &[u8]) -> Result<PathBuf> {
        let parts = parts_of(name)?;
        let key = parts.join("/");
        self.check_limits(name, &key, contents.len() as u64)?;
        let Some(root) = &self.root else {
            let path = PathBuf::from(&key);
            self.written.insert(key, contents.len() as u64);
            return Ok(path);
        };
        let io = |e: std::io::Error| Error::Artifact {
            path: name.to_string(),
            reason: e.to_string(),
        };
        // `--out` itself is the operator's choice and may be anywhere, a link included.
        fs::create_dir_all(root).map_err(io)?;
        let (file_name, folders) = parts.split_last().expect("a name has a part");
        let mut dir = root.clone();
        for (depth, folder) in folders.iter().enumerate() {
            dir.push(folder);
            let shown = parts[..=depth].join("/");
            enter_folder(&dir, name, &shown)?;
        }
        let path = dir.join(file_name);
        refuse_existing(&path, name, &key)?;
        // A folder swapped for a link during the walk would lead the file out: look again.
        let real_root = fs::canonicalize(root).map_err(io)?;
        let real_dir = fs::canonicalize(&dir).map_err(io)?;
        if !real_dir.starts_with(&real_root) {
            return Err(Error::ArtifactLink {
                path: name.to_string(),
                link: folders.join("/"),
            });
        }
        let mut file = open_no_follow(&path).map_err(|e| {
            if is_link_error(&e) {
                Error::ArtifactLink {
                    path: name.to_string(),
                    link: key.clone(),
                }
            } else {
                io(e)
            }
        })?;
        refuse_shared(&file, name, &key)?;
        file.set_len(0).map_err(io)?;
        file.write_all(contents).map_err(io)?;
        self.written.insert(key, contents.len() as u64);
        Ok(path)
    }

    fn check_limits(&self, name: &str, key: &str, size: u64) -> Result<()> {
        if size > MAX_FILE_BYTES {
            return Err(Error::ArtifactTooLarge {
                path: name.to_string(),
                size: human_size(size),
                limit: human_size(MAX_FILE_BYTES),
            });
        }
        let replaced = self.written.get(key).copied();
        if replaced.is_none() && self.written.len() >= MAX_FILES {
            return Err(Error::TooManyArtifacts {
                path: name.to_string(),
                limit: MAX_FILES,
            });
        }
        let total = self.written.values().sum::<u64>() - replaced.unwrap_or(0) + size;
        if total > MAX_TOTAL_BYTES {
            return Err(Error::ArtifactsTotal {
                path: name.to_string(),
                total: human_size(total),
                limit: human_size(MAX_TOTAL_BYTES),
            });
        }
        Ok(())
    }
}

/// The parts of an artifact name, or why it is not one.
fn parts_of(name: &str) -> Result<Vec<&str>> {
    let refuse = |reason: &str| Error::ArtifactName {
        path: name.to_string(),
        reason: reason.to_string(),
    };
    if name.is_empty() {
        return Err(refuse("the name is empty"));
    }
    if name.chars().any(|c| crate::text::is_unsafe(c) || c == '\0') {
        return Err(refuse("it holds a control character"));
    }
    if name.starts_with('/') {
        return Err(refuse(
            "it is an absolute path, and artifacts are written inside --out",
        ));
    }
    if name.contains('\\') {
        return Err(refuse("it holds `\\`; folders are separated by `/`"));
    }
    if name.ends_with('/') {
        return Err(refuse("it ends with `/`, so it names a folder, not a file"));
    }
    let mut parts = Vec::new();
    for part in name.split('/') {
        match part {
            // `a//b` and `./a` name what `a/b` and `a` name.
            "" | "." => continue,
            ".." => return Err(refuse("`..` would leave the output folder")),
            _ if part.starts_with('~') => {
                return Err(refuse(
                    "`~` is not a home folder here; names are relative to --out",
                ))
            }
            _ if part.len() > MAX_PART_BYTES => {
                return Err(refuse(&format!(
                    "a part of it is {} bytes long; the file system allows {MAX_PART_BYTES}",
                    part.len()
                )))
            }
            _ => parts.push(part),
        }
    }
    if parts.is_empty() {
        return Err(refuse(
            "it names the output folder itself, not a file in it",
        ));
    }
    if parts.len() > MAX_FOLDERS + 1 {
        return Err(refuse(&format!(
            "it nests {} folders; artifacts nest at most {MAX_FOLDERS}",
            parts.len() - 1
        )));
    }
    Ok(parts)
}

/// Makes sure `dir` is a real folder (creating it if missing), never a link.
fn enter_folder(dir: &Path, name: &str, shown: &str) -> Result<()> {
    let metadata = match fs::symlink_metadata(dir) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == ErrorKind::NotFound => match fs::create_dir(dir) {
            Ok(()) => return Ok(()),
            // Made meanwhile by someone else: look at what it is.
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                fs::symlink_metadata(dir).map_err(|e| io_error(name, e))?
            }
            Err(e) => return Err(io_error(name, e)),
        },
        Err(e) => return Err(io_error(name, e)),
    };
    if metadata.file_type().is_symlink() {
        return Err(Error::ArtifactLink {
            path: name.to_string(),
            link: shown.to_string(),
        });
    }
    if !metadata.is_dir() {
        return Err(Error::ArtifactInTheWay {
            path: name.to_string(),
            existing: shown.to_string(),
            what: "a file, so it cannot hold other files".into(),
            help: format!(
                "save under a folder name that is not taken, e.g. `{shown}-files/{}`",
                name.rsplit('/').next().unwrap_or(name)
            ),
        });
    }
    Ok(())
}

fn io_error(name: &str, e: std::io::Error) -> Error {
    Error::Artifact {
        path: name.to_string(),
        reason: e.to_string(),
    }
}

/// Refuses a link, a folder or a special file where the artifact goes.
fn refuse_existing(path: &Path, name: &str, key: &str) -> Result<()> {
    let metadata = match fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(Error::Artifact {
                path: name.to_string(),
                reason: e.to_string(),
            })
        }
    };
    if metadata.file_type().is_symlink() {
        return Err(Error::ArtifactLink {
            path: name.to_string(),
            link: key.to_string(),
        });
    }
    if metadata.is_dir() {
        return Err(Error::ArtifactInTheWay {
            path: name.to_string(),
            existing: key.to_string(),
            what: "a folder".into(),
            help: format!("give the file a name inside it, e.g. `{key}/notes.txt`"),
        });
    }
    if !metadata.is_file() {
        return Err(special_file(name, key));
    }
    Ok(())
}

fn special_file(name: &str, key: &str) -> Error {
    Error::ArtifactInTheWay {
        path: name.to_string(),
        existing: key.to_string(),
        what: "not a regular file (a pipe, socket or device)".into(),
        help: "save under another name, or run with an --out folder of its own, e.g. `--out out-2`"
            .into(),
    }
}

/// Refuses to write into a file that is also elsewhere on disk (a hard link), or that turned
/// out not to be a regular file once open.
fn refuse_shared(file: &File, name: &str, key: &str) -> Result<()> {
    let metadata = file.metadata().map_err(|e| Error::Artifact {
        path: name.to_string(),
        reason: e.to_string(),
    })?;
    if !metadata.is_file() {
        return Err(special_file(name, key));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if metadata.nlink() > 1 {
            return Err(Error::ArtifactInTheWay {
                path: name.to_string(),
                existing: key.to_string(),
                what: format!(
                    "a file with {} hard links, so writing it would change a file outside --out",
                    metadata.nlink()
                ),
                help: "save under another name, or run with an --out folder of its own, e.g. `--out out-2`"
                    .into(),
            });
        }
    }
    Ok(())
}

/// Opens `path` for writing, creating it, without following a link in its last part and
/// without blocking on a pipe. The file is not truncated until it is known to be ours.
#[cfg(unix)]
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .write(true)
        .create(true)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().write(true).create(true).open(path)
}

#[cfg(unix)]
fn is_link_error(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}

#[cfg(not(unix))]
fn is_link_error(_: &std::io::Error) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(result: Result<PathBuf>) -> String {
        result.expect_err("refused").code_str()
    }

    #[test]
    fn names_stay_inside_the_folder() {
        let out = tempfile::tempdir().unwrap();
        let mut dir = OutputDir::new(out.path().join("out"));
        for bad in [
            "",
            "../x",
            "a/../../x",
            "/etc/passwd",
            "a\\b",
            "x/",
            ".",
            "~/x",
            "a\nb",
        ] {
            assert_eq!(
                code(dir.write(bad, b"x")),
                "kvmlab::artifact::bad_name",
                "{bad:?}"
            );
        }
        let path = dir.write("./notes//x.txt", b"hello").unwrap();
        assert_eq!(path, out.path().join("out/notes/x.txt"));
        assert_eq!(fs::read(&path).unwrap(), b"hello");
        // Writing again replaces the file, shorter contents included.
        dir.write("notes/x.txt", b"hi").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"hi");
    }

    #[cfg(unix)]
    #[test]
    fn links_are_never_followed() {
        let out = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let root = out.path().to_path_buf();
        std::os::unix::fs::symlink(outside.path(), root.join("linked")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("f"), root.join("file")).unwrap();
        let target = outside.path().join("kept");
        fs::write(&target, b"precious").unwrap();
        fs::hard_link(&target, root.join("hard")).unwrap();
        let mut dir = OutputDir::new(root);
        assert_eq!(
            code(dir.write("linked/x", b"x")),
            "kvmlab::artifact::symlink"
        );
        assert_eq!(code(dir.write("file", b"x")), "kvmlab::artifact::symlink");
        assert_eq!(
            code(dir.write("hard", b"x")),
            "kvmlab::artifact::in_the_way"
        );
        assert_eq!(fs::read(&target).unwrap(), b"precious");
        assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 1);
        // Opened directly, a link in the last part is not followed either.
        let e = open_no_follow(&out.path().join("file")).unwrap_err();
        assert!(is_link_error(&e), "{e}");
    }

    #[test]
    fn files_and_bytes_are_capped() {
        let out = tempfile::tempdir().unwrap();
        let mut dir = OutputDir::new(out.path().to_path_buf());
        let big = vec![b'x'; MAX_FILE_BYTES as usize + 1];
        assert_eq!(
            code(dir.write("big", &big)),
            "kvmlab::sandbox::artifact_size"
        );
        assert!(!out.path().join("big").exists());
        let part = vec![b'x'; MAX_FILE_BYTES as usize];
        for i in 0..(MAX_TOTAL_BYTES / MAX_FILE_BYTES) {
            dir.write(&format!("part{i}"), &part).unwrap();
        }
        assert_eq!(
            code(dir.write("one-more", b"x")),
            "kvmlab::sandbox::artifacts_total"
        );
        // Replacing a file with a smaller one frees room.
        dir.write("part0", b"small").unwrap();
        for i in 0..(MAX_FILES - 4) {
            dir.write(&format!("n/{i}"), b"x").unwrap();
        }
        assert_eq!(
            code(dir.write("n/last", b"x")),
            "kvmlab::sandbox::artifacts"
        );
        dir.write("n/0", b"again").unwrap();
    }
}
