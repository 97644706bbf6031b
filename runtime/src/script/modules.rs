//! `import` for untrusted scripts: stdlib modules by name (`import "kvmlab/checks"`), and
//! `.rhai` files inside the lab's own folder by a relative path. Nothing else: no absolute
//! paths, no `..`, no symlinks leading out of the folder.

use super::{raise, stdlib};
use crate::error::Error;
use rhai::{Engine, EvalAltResult, Module, Position, Scope};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

type SharedModule = Rc<Module>;

/// The text of every file a run has loaded, by the name diagnostics show for it.
pub type Sources = Rc<RefCell<BTreeMap<String, String>>>;

pub const STDLIB_PREFIX: &str = "kvmlab/";

pub struct LabModules {
    /// The lab's folder on disk; `None` for scripts that come from no file (REPL, tests).
    lab_dir: Option<PathBuf>,
    /// The same folder as the user named it, for diagnostics.
    shown_dir: PathBuf,
    sources: Sources,
    loaded: RefCell<BTreeMap<String, SharedModule>>,
}

impl LabModules {
    pub fn new(lab_dir: Option<PathBuf>, shown_dir: PathBuf, sources: Sources) -> LabModules {
        LabModules {
            lab_dir,
            shown_dir,
            sources,
            loaded: RefCell::default(),
        }
    }

    /// The text of every file loaded so far, by the name diagnostics show.
    pub fn sources(&self) -> Sources {
        self.sources.clone()
    }

    /// The name diagnostics show for module `path` and its text, by the rules `import` follows.
    pub fn load(&self, path: &str) -> Result<(String, String), Error> {
        if let Some(name) = path.strip_prefix(STDLIB_PREFIX) {
            return stdlib::source(name)
                .map(|text| (path.to_string(), text.to_string()))
                .ok_or_else(|| Error::ModuleNotFound {
                    path: path.to_string(),
                    help: format!(
                        "the stdlib has: {}",
                        stdlib::names()
                            .map(|n| format!("\"{STDLIB_PREFIX}{n}\""))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
        }
        let forbidden = |reason: &str| Error::ImportForbidden {
            path: path.to_string(),
            reason: reason.to_string(),
        };
        let relative = Path::new(path);
        if path.is_empty() {
            return Err(forbidden("the path is empty"));
        }
        for component in relative.components() {
            match component {
                Component::Normal(_) | Component::CurDir => {}
                Component::ParentDir => return Err(forbidden("`..` leaves the lab's folder")),
                Component::RootDir | Component::Prefix(_) => {
                    return Err(forbidden("absolute paths are not allowed"))
                }
            }
        }
        let lab_dir = self
            .lab_dir
            .as_ref()
            .ok_or_else(|| forbidden("this script has no lab folder to import from"))?;
        let file = if relative.extension().is_some_and(|e| e == "rhai") {
            relative.to_path_buf()
        } else {
            relative.with_extension("rhai")
        };
        let shown = self.shown_dir.join(&file).to_string_lossy().into_owned();
        let not_found = || {
            Error::ModuleNotFound {
            path: path.to_string(),
            help: format!(
                "looked for `{shown}`: put the module beside the lab, or import a stdlib module as \"{STDLIB_PREFIX}NAME\""
            ),
        }
        };
        let on_disk = lab_dir
            .join(&file)
            .canonicalize()
            .map_err(|_| not_found())?;
        let root = lab_dir.canonicalize().map_err(|_| not_found())?;
        if !on_disk.starts_with(&root) {
            return Err(forbidden("it links to a file outside the lab's folder"));
        }
        let bytes = std::fs::read(&on_disk).map_err(|e| Error::Unreadable {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
        let text = String::from_utf8(bytes).map_err(|e| Error::NotText {
            byte: e.as_bytes()[e.utf8_error().valid_up_to()],
        })?;
        Ok((shown, text))
    }
}

impl rhai::ModuleResolver for LabModules {
    fn resolve(
        &self,
        engine: &Engine,
        _source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<SharedModule, Box<EvalAltResult>> {
        if let Some(module) = self.loaded.borrow().get(path) {
            return Ok(module.clone());
        }
        let (shown, text) = self.load(path).map_err(|e| {
            let mut err = raise(e);
            err.set_position(pos);
            err
        })?;
        self.sources
            .borrow_mut()
            .insert(shown.clone(), text.clone());
        let in_module = |err: Box<EvalAltResult>| {
            Box::new(EvalAltResult::ErrorInModule(shown.clone(), err, pos))
        };
        let mut ast = engine.compile(&text).map_err(|e| in_module(e.into()))?;
        ast.set_source(shown.as_str());
        let module = Module::eval_ast_as_new(Scope::new(), &ast, engine).map_err(in_module)?;
        let module: SharedModule = module.into();
        self.loaded
            .borrow_mut()
            .insert(path.to_string(), module.clone());
        Ok(module)
    }
}
