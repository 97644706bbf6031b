//! The terminal view of a graded class, within 80 columns: one row per student (score,
//! status, what did not pass or why it was not graded), then the class summary: each check's
//! pass rate, the score distribution as bars, the slowest submissions by operations.
//! Names and reasons come from files and scripts, so they are shown escaped.

use super::class::{points, Class};
use crate::console::WIDTH;
use comfy_table::{presets, Cell, CellAlignment, ContentArrangement, Table};
use kvmlab_runtime::grade::{CheckStatus, GradeStatus};
use kvmlab_runtime::text::{clipped, escaped};
use std::fmt::Write;

/// Characters of a student's name, check name or reason shown in a cell.
const CELL_CHARS: usize = 240;
/// Columns of the longest distribution bar.
const BAR_COLUMNS: usize = 40;

fn shown(text: &str) -> String {
    clipped(&escaped(text), CELL_CHARS).into_owned()
}

fn table(color: bool) -> Table {
    let mut table = Table::new();
    table
        .load_preset(if color {
            presets::UTF8_FULL_CONDENSED
        } else {
            presets::ASCII_FULL_CONDENSED
        })
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(WIDTH as u16);
    table
}

pub fn status_word(status: GradeStatus) -> &'static str {
    match status {
        GradeStatus::Graded => "graded",
        GradeStatus::Rejected => "rejected",
        GradeStatus::Stopped => "stopped",
        GradeStatus::InternalError => "internal error",
    }
}

pub fn render(class: &Class, color: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}): {} submission(s), {} point(s) each",
        shown(&class.title),
        shown(&class.exercise),
        class.submissions.len(),
        points(class.max_score)
    );
    let mut students = table(color);
    students.set_header(vec![
        "Student",
        "Score",
        "Status",
        "Not passed in full / reason",
    ]);
    for grade in &class.submissions {
        let detail = if grade.status == GradeStatus::Graded {
            let missed: Vec<String> = grade
                .checks
                .iter()
                .filter(|c| c.status != CheckStatus::Passed)
                .map(|c| match c.status {
                    CheckStatus::Partial => {
                        format!(
                            "{} ({}/{})",
                            shown(&c.name),
                            points(c.score),
                            points(c.points)
                        )
                    }
                    CheckStatus::Skipped => format!("{} (skipped)", shown(&c.name)),
                    _ => shown(&c.name),
                })
                .collect();
            missed.join(", ")
        } else {
            grade.reason.as_deref().map(shown).unwrap_or_default()
        };
        students.add_row(vec![
            Cell::new(shown(&grade.student)),
            Cell::new(format!(
                "{}/{}",
                points(grade.score),
                points(grade.max_score)
            ))
            .set_alignment(CellAlignment::Right),
            Cell::new(status_word(grade.status)),
            Cell::new(detail),
        ]);
    }
    let _ = writeln!(out, "{students}");
    let summary = &class.summary;
    if !summary.checks.is_empty() {
        let mut checks = table(color);
        checks.set_header(vec![
            "Check", "Points", "Passed", "Partial", "Failed", "Skipped",
        ]);
        for check in &summary.checks {
            let right = |text: String| Cell::new(text).set_alignment(CellAlignment::Right);
            checks.add_row(vec![
                Cell::new(shown(&check.name)),
                right(points(check.points)),
                right(format!(
                    "{} ({:.0}%)",
                    check.passed,
                    check.pass_rate * 100.0
                )),
                right(check.partial.to_string()),
                right(check.failed.to_string()),
                right(check.skipped.to_string()),
            ]);
        }
        let _ = writeln!(out, "{checks}");
    }
    let _ = writeln!(
        out,
        "Scores: mean {}, median {}, {} of {} graded",
        points(summary.mean),
        points(summary.median),
        summary.graded,
        summary.students
    );
    let most = summary
        .distribution
        .iter()
        .map(|b| b.students)
        .max()
        .unwrap_or(0)
        .max(1);
    for bin in &summary.distribution {
        let bar = "#".repeat(bin.students * BAR_COLUMNS / most);
        let line = format!(
            "  {:>6} - {:<6} {:>4} {bar}",
            points(bin.from),
            points(bin.to),
            bin.students
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
    if !summary.slowest.is_empty() {
        let _ = writeln!(
            out,
            "Slowest submissions, by operations (deterministic cost):"
        );
        for slow in &summary.slowest {
            let _ = writeln!(out, "  {:>14}  {}", slow.operations, shown(&slow.student));
        }
    }
    out
}
