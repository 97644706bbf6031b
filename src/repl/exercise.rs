//! The console on an exercise (`kvmlab repl --exercise NAME`): finding the exercise by its
//! folder or by its name under `labs/exercises/`, saying what it asks when the console
//! starts, and `:check`, the exercise's visible rubric items graded on the world as it is
//! now, as `kvmlab grade` grades them. Hidden items are counted, never named.

use super::show::View;
use crate::grade::{mark, points};
use comfy_table::{presets, Cell, CellAlignment, ContentArrangement, Table};
use kvmlab_runtime::console_session::ConsoleSession;
use kvmlab_runtime::grade::{CheckGrade, Exercise};
use kvmlab_runtime::script::rubric::Visibility;
use kvmlab_runtime::text::{clipped, escaped};
use kvmlab_runtime::Error;
use std::path::{Path, PathBuf};

/// Where a bare exercise name is looked up, from the current directory.
const EXERCISES: &str = "labs/exercises";

/// Characters of a check's name or feedback shown in a cell.
const CELL_CHARS: usize = 240;

/// The folder of the exercise `name`: a path to an exercise's folder, or a bare name
/// (`network`) looked up in `labs/exercises/` of the current directory.
pub fn find(name: &str) -> Result<PathBuf, Box<Error>> {
    let typed = Path::new(name);
    let bare = typed.components().count() == 1 && !name.contains('/');
    let wanted = if bare {
        Path::new(EXERCISES).join(name)
    } else {
        typed.to_path_buf()
    };
    if wanted.is_dir() {
        // A folder of exercises is not one: name one of them. Any other folder is taken as
        // an exercise, and loading it says what it lacks.
        let inside = exercises_in(&wanted);
        if wanted.join("exercise.toml").is_file() || inside.is_empty() {
            return Ok(wanted);
        }
        let first = wanted.join(&inside[0]);
        return Err(Box::new(Error::NoExercise {
            name: name.to_string(),
            why: "it is a folder of exercises".into(),
            help: format!(
                "give one of its exercises, e.g. `--exercise {}`; the exercises there are {}",
                first.display(),
                inside.join(", ")
            ),
        }));
    }
    let folder = match wanted.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let leaf = wanted
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let known = exercises_in(&folder);
    let shown = |exercise: &str| match bare {
        true => exercise.to_string(),
        false => folder.join(exercise).to_string_lossy().into_owned(),
    };
    let help = if known.is_empty() {
        let why = match folder.is_dir() {
            true => "holds no exercise (a folder with an exercise.toml)",
            false => "does not exist here",
        };
        format!(
            "`{}` {why}: start kvmlab in the course's folder, the one holding `{EXERCISES}/`, or give the exercise's folder, e.g. `--exercise path/to/{EXERCISES}/network`",
            folder.display()
        )
    } else {
        let listed = known.join(", ");
        match kvmlab_runtime::suggest::closest(&leaf, known.iter().map(String::as_str)) {
            Some(near) => format!(
                "did you mean `{}`? the exercises there are {listed}",
                shown(near)
            ),
            None => format!("the exercises there are {listed}"),
        }
    };
    Err(Box::new(Error::NoExercise {
        name: name.to_string(),
        why: format!("there is no such folder in `{}/`", folder.display()),
        help,
    }))
}

/// An error of the console's own, with its code and help line: `kvmlab repl: ... [code]`.
pub fn refusal(error: &Error) -> String {
    let help = error.help_str().unwrap_or_default();
    format!(
        "kvmlab repl: {error} [{}]\n  help: {help}\n",
        error.code_str()
    )
}

/// The names of the folders of `folder` that hold an `exercise.toml`, sorted.
fn exercises_in(folder: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.join("exercise.toml").is_file())
        .filter_map(|path| path.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    names.sort();
    names
}

/// What the console says when it starts on `exercise`: what the exercise asks, and the
/// variables its setup handed over.
pub fn introduce(exercise: &Exercise) {
    let config = &exercise.config;
    println!(
        "exercise {}: {}",
        escaped(&exercise.name),
        escaped(&config.title)
    );
    println!("{}", escaped(&config.summary));
    let handed = &config.setup.hand_over;
    if exercise.setup.is_some() && !handed.is_empty() {
        println!(
            "the setup built the lab and handed over {}",
            handed.join(", ")
        );
    }
    println!("`:check` grades your work so far; `:save FILE` writes it as a submission");
}

/// `:check`: the visible items graded on the world as it is now; whether it could grade.
pub fn check(session: &ConsoleSession, view: &View) -> bool {
    match session.check() {
        None => {
            eprint!("{}", refusal(&Error::NoExerciseStarted));
            false
        }
        Some(Err(reason)) => {
            eprintln!("kvmlab repl: {reason}");
            false
        }
        Some(Ok(grades)) => {
            print!("{}", visible_grades(&grades, view));
            true
        }
    }
}

/// The visible items as a table, their score out of their points, and how many items are
/// hidden. Items shown after the due date are hidden here: the console runs before it.
fn visible_grades(grades: &[CheckGrade], view: &View) -> String {
    let visible: Vec<&CheckGrade> = grades
        .iter()
        .filter(|g| g.visibility == Visibility::Visible)
        .collect();
    let hidden = grades.len() - visible.len();
    let mut out = String::new();
    if !visible.is_empty() {
        let mut table = Table::new();
        table
            .load_preset(presets::ASCII_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(u16::try_from(view.width).unwrap_or(u16::MAX))
            .set_header(vec!["Check", "Points", "Score", "", "Feedback"]);
        for grade in &visible {
            let right = |text: String| Cell::new(text).set_alignment(CellAlignment::Right);
            let feedback = grade.feedback.as_deref().unwrap_or("");
            table.add_row(vec![
                Cell::new(clipped(&escaped(&grade.name), CELL_CHARS)),
                right(points(grade.points)),
                right(points(grade.score)),
                Cell::new(mark(grade.status)),
                Cell::new(clipped(&escaped(feedback), CELL_CHARS)),
            ]);
        }
        out.push_str(&format!("{table}\n"));
        out.push_str("+ passed, ~ partial, x failed, - skipped\n");
    }
    let score: f64 = visible.iter().map(|g| g.score).sum();
    let total: f64 = visible.iter().map(|g| g.points).sum();
    out.push_str(&format!(
        "visible checks: {}/{} point(s)\n",
        points(score),
        points(total)
    ));
    match hidden {
        0 => {}
        1 => out.push_str("1 more check is hidden: `kvmlab grade` grades it with the rest\n"),
        _ => out.push_str(&format!(
            "{hidden} more checks are hidden: `kvmlab grade` grades them with the rest\n"
        )),
    }
    out
}
