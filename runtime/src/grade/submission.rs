//! A trainee's submission: one `.rhai` file, or a folder named after the trainee holding the
//! exercise's main file and the modules it imports. A class folder holds one of either per
//! trainee.

use super::exercise::Exercise;
use crate::error::Error;
use crate::units::human_size;
use std::path::{Path, PathBuf};

/// Bytes one submitted file may hold: lab scripts are a few kilobytes.
pub const MAX_FILE_BYTES: u64 = 256 << 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// The trainee: the file's stem or the folder's name.
    pub student: String,
    /// The path as given.
    pub path: PathBuf,
    pub is_folder: bool,
}

/// A submission read and checked against the exercise's rules, ready to run.
#[derive(Debug, Clone)]
pub struct Submitted {
    /// The main file's name as diagnostics show it.
    pub shown: String,
    pub text: String,
    /// The folder its imports come from; `None` for a single file (the stdlib only).
    pub folder: Option<PathBuf>,
}

impl Submission {
    /// The submissions `paths` name, sorted by trainee. A path is a trainee's `.rhai` file, a
    /// trainee's folder (it holds the exercise's main file, `main`), or a class folder.
    pub fn discover(paths: &[PathBuf], main: &str) -> Result<Vec<Submission>, Error> {
        let mut found = Vec::new();
        for path in paths {
            let shown = path.to_string_lossy().into_owned();
            let meta = std::fs::metadata(path).map_err(|_| Error::NoSubmission {
                path: shown.clone(),
            })?;
            if !meta.is_dir() {
                found.push(Submission::file(path));
            } else if path.join(main).is_file() {
                found.push(Submission::folder(path));
            } else {
                let class = class_members(path);
                if class.is_empty() {
                    return Err(Error::EmptyClass { path: shown });
                }
                found.extend(class);
            }
        }
        found.sort_by(|a, b| a.student.cmp(&b.student).then(a.path.cmp(&b.path)));
        for pair in found.windows(2) {
            if pair[0].student == pair[1].student {
                return Err(Error::DuplicateStudent {
                    student: pair[0].student.clone(),
                    first: pair[0].path.to_string_lossy().into_owned(),
                    second: pair[1].path.to_string_lossy().into_owned(),
                });
            }
        }
        Ok(found)
    }

    pub fn file(path: &Path) -> Submission {
        Submission {
            student: name_of(path, true),
            path: path.to_path_buf(),
            is_folder: false,
        }
    }

    pub fn folder(path: &Path) -> Submission {
        Submission {
            student: name_of(path, false),
            path: path.to_path_buf(),
            is_folder: true,
        }
    }

    /// Reads the submission, refusing what the exercise does not accept: a file its patterns
    /// do not name, a link, a sub-folder, a file over [`MAX_FILE_BYTES`], a missing main file.
    pub fn read(&self, exercise: &Exercise) -> Result<Submitted, Error> {
        let rules = &exercise.config.submission;
        if !self.is_folder {
            let shown = self.path.to_string_lossy().into_owned();
            if std::fs::symlink_metadata(&self.path).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(Error::FileNotAllowed {
                    file: shown,
                    help: "a submission is a file, not a link: copy the trainee's file itself"
                        .into(),
                });
            }
            let text = read_capped(&self.path, &shown)?;
            return Ok(Submitted {
                shown,
                text,
                folder: None,
            });
        }
        let patterns: Vec<glob::Pattern> = rules
            .files
            .iter()
            .filter_map(|p| glob::Pattern::new(p).ok())
            .collect();
        let accepted = rules.files.join(", ");
        let entries = std::fs::read_dir(&self.path).map_err(|e| Error::Unreadable {
            path: self.path.to_string_lossy().into_owned(),
            reason: e.to_string(),
        })?;
        let mut names: Vec<(String, std::fs::FileType)> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| Some((e.file_name().into_string().ok()?, e.file_type().ok()?)))
            .collect();
        names.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, kind) in &names {
            let not_allowed = |why: &str| Error::FileNotAllowed {
                file: name.clone(),
                help: format!("{why}; this exercise accepts files named {accepted}"),
            };
            if kind.is_symlink() {
                return Err(not_allowed("a submission holds files, not links"));
            }
            if kind.is_dir() {
                return Err(not_allowed("a submission holds no folders"));
            }
            if !patterns.iter().any(|p| p.matches(name)) {
                return Err(not_allowed("remove it from the folder"));
            }
            let path = self.path.join(name);
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            if size > MAX_FILE_BYTES {
                return Err(too_large(name, size));
            }
        }
        let main = self.path.join(&rules.main);
        let shown = main.to_string_lossy().into_owned();
        if !names.iter().any(|(n, _)| *n == rules.main) {
            return Err(Error::MissingMain {
                main: rules.main.clone(),
                help: format!(
                    "the exercise runs `{}`: name the trainee's main script so",
                    rules.main
                ),
            });
        }
        let text = read_capped(&main, &rules.main)?;
        Ok(Submitted {
            shown,
            text,
            folder: Some(self.path.clone()),
        })
    }
}

/// Every trainee's submission directly inside a class folder: `.rhai` files and folders,
/// skipping hidden entries.
fn class_members(dir: &Path) -> Vec<Submission> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(|e| {
            let path = e.path();
            let kind = e.file_type().ok()?;
            if kind.is_dir() {
                Some(Submission::folder(&path))
            } else if path.extension().is_some_and(|x| x == "rhai") {
                Some(Submission::file(&path))
            } else {
                None
            }
        })
        .collect()
}

fn name_of(path: &Path, stem: bool) -> String {
    let name = if stem {
        path.file_stem()
    } else {
        path.file_name()
    };
    name.map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string_lossy().into_owned())
}

fn too_large(name: &str, size: u64) -> Error {
    Error::SubmissionTooLarge {
        file: name.to_string(),
        size: human_size(size),
        limit: human_size(MAX_FILE_BYTES),
    }
}

fn read_capped(path: &Path, name: &str) -> Result<String, Error> {
    let unreadable = |e: std::io::Error| Error::Unreadable {
        path: path.to_string_lossy().into_owned(),
        reason: e.to_string(),
    };
    let size = std::fs::metadata(path).map_err(unreadable)?.len();
    if size > MAX_FILE_BYTES {
        return Err(too_large(name, size));
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    String::from_utf8(bytes).map_err(|e| Error::NotText {
        byte: e.as_bytes()[e.utf8_error().valid_up_to()],
    })
}
