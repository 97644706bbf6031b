//! An exercise folder (`labs/exercises/NAME/`): `exercise.toml`, the trainee's README, the
//! optional setup, the starter, the solution, the rubric and the mutants, read and checked
//! once so that a broken exercise is found before any trainee is graded by it.

use crate::diagnostic::Diagnostic;
use crate::error::{Error, Severity};
use crate::script::engine::Limits;
use crate::script::rubric::{RubricItem, Visibility};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `exercise.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExerciseConfig {
    pub title: String,
    pub summary: String,
    /// The exercise's total: the rubric's items must add up to it.
    pub points: f64,
    #[serde(default)]
    pub seed: u64,
    #[serde(default)]
    pub limits: LimitsConfig,
    #[serde(default)]
    pub submission: SubmissionConfig,
    #[serde(default)]
    pub setup: SetupConfig,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    pub operations: Option<u64>,
    pub seconds: Option<u64>,
    pub memory_mib: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmissionConfig {
    /// The file run when a submission is a folder.
    #[serde(default = "default_main")]
    pub main: String,
    /// Patterns of the file names a submission folder may hold.
    #[serde(default = "default_files")]
    pub files: Vec<String>,
}

impl Default for SubmissionConfig {
    fn default() -> Self {
        SubmissionConfig {
            main: default_main(),
            files: default_files(),
        }
    }
}

fn default_main() -> String {
    "lab.rhai".into()
}

fn default_files() -> Vec<String> {
    vec!["*.rhai".into()]
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupConfig {
    /// Setup's variables the submission sees, as constants of the same names.
    #[serde(default)]
    pub hand_over: Vec<String>,
    /// A lab whose steps before `before_step` are the setup, instead of `setup.rhai`: its
    /// path from the exercise's folder (`../../02-nas-and-iscsi.rhai`).
    pub lab: Option<String>,
    /// With `lab`: the step the submission starts at, as `:step` numbers the lab's
    /// `step(..)` calls, from 1; left out, the whole lab is the setup.
    pub before_step: Option<usize>,
    /// A checkpoint file (`kvmlab checkpoint LAB --step N`) whose state the submission
    /// starts from, instead of `setup.rhai` or `lab`: its path from the exercise's folder.
    pub checkpoint: Option<String>,
}

/// One script of the exercise, read.
#[derive(Debug, Clone)]
pub struct Script {
    /// The name diagnostics show (`labs/exercises/network/solution.rhai`).
    pub shown: String,
    pub path: PathBuf,
    pub text: String,
}

/// A rubric item as the exercise declares it (what graders and exports list).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ItemInfo {
    pub name: String,
    pub points: f64,
    pub visibility: Visibility,
    pub needs: Vec<String>,
    pub line: usize,
}

impl From<&RubricItem> for ItemInfo {
    fn from(item: &RubricItem) -> Self {
        ItemInfo {
            name: item.name.clone(),
            points: item.points,
            visibility: item.visibility,
            needs: item.needs.clone(),
            line: item.line,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Exercise {
    /// The folder's name.
    pub name: String,
    pub dir: PathBuf,
    pub config: ExerciseConfig,
    pub readme: String,
    pub setup: Option<Script>,
    /// The checkpoint file the setup came from, which the lab it makes must match.
    pub setup_checkpoint: Option<crate::checkpoint_file::CheckpointFile>,
    pub starter: Script,
    pub solution: Script,
    pub checks: Script,
    /// `mutants/*.rhai`, by name.
    pub mutants: Vec<Script>,
    pub items: Vec<ItemInfo>,
}

/// Bounds on what exercise.toml may ask for: a grader runs many submissions.
const MAX_OPERATIONS: u64 = 1_000_000_000;
const MAX_SECONDS: u64 = 600;
const MAX_MEMORY_MIB: u64 = 4096;

impl Exercise {
    /// Reads and checks the exercise in `dir`: every file there, `exercise.toml`'s fields, each
    /// script's syntax, and the rubric (names, points adding up to the total, needs, visibility).
    pub fn load(dir: &Path) -> Result<Exercise, Vec<Diagnostic>> {
        Exercise::read(dir, true)
    }

    /// Reads an exercise that [`Exercise::load`] has checked already (a grading worker, after
    /// the class run loaded it): the scripts' syntax checks, most of loading's cost, are
    /// skipped; a script that does not compile still fails where it runs.
    pub fn reopen(dir: &Path) -> Result<Exercise, Vec<Diagnostic>> {
        Exercise::read(dir, false)
    }

    fn read(dir: &Path, check_syntax: bool) -> Result<Exercise, Vec<Diagnostic>> {
        let shown_dir = dir.to_string_lossy().into_owned();
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| shown_dir.clone());
        let mut problems = Vec::new();
        let mut read = |file: &str, help: &str| -> Option<Script> {
            let path = dir.join(file);
            let shown = path.to_string_lossy().into_owned();
            match std::fs::read_to_string(&path) {
                Ok(text) => Some(Script { shown, path, text }),
                Err(e) => {
                    let error = if e.kind() == std::io::ErrorKind::NotFound {
                        Error::ExerciseMissingFile {
                            exercise: name.clone(),
                            file: file.to_string(),
                            help: help.to_string(),
                        }
                    } else {
                        Error::Unreadable {
                            path: shown.clone(),
                            reason: e.to_string(),
                        }
                    };
                    problems.push(Diagnostic::new(&error, Severity::Error, &shown, 0, 0));
                    None
                }
            }
        };
        let toml = read(
            "exercise.toml",
            "write exercise.toml with the exercise's title, summary and points",
        );
        let readme = read(
            "README.md",
            "write README.md: the task as the trainee reads it",
        );
        let starter = read(
            "starter.rhai",
            "write starter.rhai: the script trainees start from",
        );
        let solution = read(
            "solution.rhai",
            "write solution.rhai: the reference solution, which must get full marks",
        );
        let checks = read(
            "checks.rhai",
            "write checks.rhai: the rubric, one rubric(..) per graded item",
        );
        let setup_path = dir.join("setup.rhai");
        let setup_file = setup_path
            .exists()
            .then(|| read("setup.rhai", ""))
            .flatten();
        let mutants = read_mutants(dir, &mut problems);

        let config = toml.as_ref().and_then(|t| match parse_config(t) {
            Ok(config) => Some(config),
            Err(diagnostic) => {
                problems.push(*diagnostic);
                None
            }
        });
        let from_checkpoint = config
            .as_ref()
            .and_then(|c| Some((c.setup.checkpoint.as_ref()?, c)))
            .and_then(
                |(file, c)| match checkpoint_setup(dir, file, c, setup_file.is_some()) {
                    Ok(found) => Some(found),
                    Err(diagnostic) => {
                        problems.push(*diagnostic);
                        None
                    }
                },
            );
        let (setup_file, setup_checkpoint) = match from_checkpoint {
            Some((script, checkpoint)) => (Some(script), Some(checkpoint)),
            None => (setup_file, None),
        };
        let setup = match config.as_ref().and_then(|c| c.setup.lab.as_ref()) {
            None => setup_file,
            Some(lab) => match lab_setup(
                dir,
                lab,
                config.as_ref().and_then(|c| c.setup.before_step),
                setup_file.is_some(),
            ) {
                Ok(script) => Some(script),
                Err(diagnostic) => {
                    problems.push(*diagnostic);
                    None
                }
            },
        };
        if check_syntax {
            let lab_scripts = [&setup, &starter, &solution].into_iter().flatten();
            let scripts = lab_scripts
                .chain(&mutants)
                .map(|script| (script, super::RunsIn::Lab))
                .chain(checks.iter().map(|script| (script, super::RunsIn::Checks)));
            let compilers = super::Compilers::new();
            for (script, runs_in) in scripts {
                if let Some(diagnostic) = compilers.syntax_error(script, runs_in) {
                    problems.push(diagnostic);
                }
            }
        }
        let (Some(config), Some(readme), Some(starter), Some(solution), Some(checks)) =
            (config, readme, starter, solution, checks)
        else {
            return Err(problems);
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut exercise = Exercise {
            name,
            dir: dir.to_path_buf(),
            config,
            readme: readme.text,
            setup,
            setup_checkpoint,
            starter,
            solution,
            checks,
            mutants,
            items: Vec::new(),
        };
        exercise.items = super::declared_items(&exercise)
            .map_err(|d| vec![*d])?
            .iter()
            .map(ItemInfo::from)
            .collect();
        let sum: f64 = exercise.items.iter().map(|i| i.points).sum();
        if (sum - exercise.config.points).abs() > 1e-9 {
            let error = Error::PointsMismatch {
                sum: super::points_text(sum),
                declared: super::points_text(exercise.config.points),
            };
            let shown = dir.join("exercise.toml").to_string_lossy().into_owned();
            return Err(vec![Diagnostic::new(&error, Severity::Error, &shown, 0, 0)]);
        }
        Ok(exercise)
    }

    /// The sandbox limits a submission runs under.
    pub fn limits(&self) -> Limits {
        let defaults = Limits::default();
        let wanted = &self.config.limits;
        Limits {
            max_operations: wanted.operations.unwrap_or(defaults.max_operations),
            wall_time: Duration::from_secs(wanted.seconds.unwrap_or(10)),
            max_memory_growth: wanted
                .memory_mib
                .map_or(defaults.max_memory_growth, |m| m << 20),
            ..defaults
        }
    }

    /// The total a submission can score.
    pub fn max_score(&self) -> f64 {
        self.config.points
    }
}

fn parse_config(script: &Script) -> Result<ExerciseConfig, Box<Diagnostic>> {
    let at = |error: Error, line: usize, column: usize| {
        Box::new(Diagnostic::new(
            &error,
            Severity::Error,
            &script.shown,
            line,
            column,
        ))
    };
    let config: ExerciseConfig = toml::from_str(&script.text).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|span| line_and_column(&script.text, span.start))
            .unwrap_or((0, 0));
        at(
            Error::ExerciseToml {
                message: e.message().to_string(),
            },
            line,
            column,
        )
    })?;
    let line_of = |key: &str| {
        script
            .text
            .lines()
            .position(|l| l.trim_start().starts_with(key))
            .map_or(0, |i| i + 1)
    };
    let out_of_range =
        |key: &str, what: String| at(Error::ExerciseToml { message: what }, line_of(key), 1);
    if !(config.points.is_finite() && config.points > 0.0) {
        return Err(out_of_range(
            "points",
            format!(
                "points is {}; an exercise is worth more than 0 points",
                config.points
            ),
        ));
    }
    let limits = &config.limits;
    let checks = [
        ("operations", limits.operations, MAX_OPERATIONS),
        ("seconds", limits.seconds, MAX_SECONDS),
        ("memory_mib", limits.memory_mib, MAX_MEMORY_MIB),
    ];
    for (key, value, most) in checks {
        if let Some(value) = value {
            if value == 0 || value > most {
                return Err(out_of_range(
                    key,
                    format!("limits.{key} is {value}; it must be between 1 and {most}"),
                ));
            }
        }
    }
    for pattern in &config.submission.files {
        if let Err(e) = glob::Pattern::new(pattern) {
            return Err(out_of_range(
                "files",
                format!("submission.files has a bad pattern `{pattern}`: {}", e.msg),
            ));
        }
        if pattern.contains('/') {
            return Err(out_of_range(
                "files",
                format!(
                    "submission.files has `{pattern}`; patterns match file names, without folders"
                ),
            ));
        }
    }
    let main = &config.submission.main;
    if main.contains('/') || !main.ends_with(".rhai") {
        return Err(out_of_range(
            "main",
            format!("submission.main is `{main}`; it is a `.rhai` file name, without folders"),
        ));
    }
    Ok(config)
}

fn read_mutants(dir: &Path, problems: &mut Vec<Diagnostic>) -> Vec<Script> {
    let Ok(entries) = std::fs::read_dir(dir.join("mutants")) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "rhai"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|path| {
            let shown = path.to_string_lossy().into_owned();
            match std::fs::read_to_string(&path) {
                Ok(text) => Some(Script { shown, path, text }),
                Err(e) => {
                    let error = Error::Unreadable {
                        path: shown.clone(),
                        reason: e.to_string(),
                    };
                    problems.push(Diagnostic::new(&error, Severity::Error, &shown, 0, 0));
                    None
                }
            }
        })
        .collect()
}

/// 1-based line and column of byte `offset` in `text`.
pub(crate) fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The setup an exercise takes from a checkpoint file, and the file: its lab's text up to
/// the step, which must make the state the file recorded.
fn checkpoint_setup(
    dir: &Path,
    file: &str,
    config: &ExerciseConfig,
    has_setup_file: bool,
) -> Result<(Script, crate::checkpoint_file::CheckpointFile), Box<Diagnostic>> {
    let path = dir.join(file);
    let shown = path.to_string_lossy().into_owned();
    let toml = dir.join("exercise.toml").to_string_lossy().into_owned();
    let refuse = |error: Error| Box::new(Diagnostic::new(&error, Severity::Error, &toml, 0, 0));
    if has_setup_file || config.setup.lab.is_some() {
        return Err(refuse(Error::ExerciseTwoSetups { lab: file.into() }));
    }
    let checkpoint = crate::checkpoint_file::CheckpointFile::read(&path).map_err(refuse)?;
    if checkpoint.seed != config.seed {
        return Err(refuse(Error::CheckpointOtherSeed {
            path: shown,
            made: checkpoint.seed,
            wanted: config.seed,
        }));
    }
    let script = Script {
        shown: format!("{} (from {shown})", checkpoint.lab),
        path,
        text: checkpoint.setup.clone(),
    };
    Ok((script, checkpoint))
}

/// The setup an exercise takes from a lab: the lab's text up to the line of its
/// `before_step`-th top-level `step(..)` (all of it without one), read as the console's walk
/// reads a lab's steps. Diagnostics point into the lab at its own lines.
fn lab_setup(
    dir: &Path,
    lab: &str,
    before_step: Option<usize>,
    has_setup_file: bool,
) -> Result<Script, Box<Diagnostic>> {
    let path = dir.join(lab);
    let shown = path.to_string_lossy().into_owned();
    let toml = dir.join("exercise.toml").to_string_lossy().into_owned();
    let refuse = |error: Error| Box::new(Diagnostic::new(&error, Severity::Error, &toml, 0, 0));
    if has_setup_file {
        return Err(refuse(Error::ExerciseTwoSetups { lab: lab.into() }));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| {
        refuse(Error::Unreadable {
            path: shown.clone(),
            reason: e.to_string(),
        })
    })?;
    let text = crate::checkpoint_file::text_before_step(&shown, &text, before_step, |steps| {
        refuse(Error::ExerciseSetupStep {
            lab: lab.into(),
            step: before_step.unwrap_or_default(),
            steps,
        })
    })?;
    Ok(Script { shown, path, text })
}
