//! The terminal view of a graded class, within 80 columns: one row per student (score, one
//! mark per check, why it was not graded), then the class summary: each check, numbered in
//! the order of the marks, with its pass rate; the score distribution as bars; the slowest
//! submissions by operations.
//! Names and reasons come from files and scripts, so they are shown escaped.

use super::class::{points, Class};
use crate::console::WIDTH;
use comfy_table::{presets, Cell, CellAlignment, ContentArrangement, Table};
use kvmlab_runtime::grade::{CheckGrade, CheckStatus, GradeStatus};
use kvmlab_runtime::text::{clipped, escaped};
use std::fmt::Write;

/// Characters of a student's name, check name or reason shown in a cell.
const CELL_CHARS: usize = 240;
/// Characters of a reason shown in a student's row; the JSON export holds it whole.
const NOTE_CHARS: usize = 100;
/// Marks per group in the Checks column, so that a check is easy to count to.
const MARKS_PER_GROUP: usize = 5;
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

/// One mark per check, in the rubric's order: `++~x- ++`.
fn marks(checks: &[CheckGrade]) -> String {
    let mut marks = String::new();
    for (i, check) in checks.iter().enumerate() {
        if i > 0 && i % MARKS_PER_GROUP == 0 {
            marks.push(' ');
        }
        marks.push(mark(check.status));
    }
    marks
}

/// A check's mark: `+` passed, `~` partial, `x` failed, `-` skipped.
pub fn mark(status: CheckStatus) -> char {
    match status {
        CheckStatus::Passed => '+',
        CheckStatus::Partial => '~',
        CheckStatus::Failed => 'x',
        CheckStatus::Skipped => '-',
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
    students.set_header(vec!["Student", "Score", "Checks", "Note"]);
    for grade in &class.submissions {
        let escaped_reason = escaped(grade.reason.as_deref().unwrap_or(""));
        let reason = clipped(&escaped_reason, NOTE_CHARS);
        let note = match status_word(grade.status) {
            _ if grade.status == GradeStatus::Graded => String::new(),
            word if reason.starts_with(word) => reason.into_owned(),
            word => format!("{word}: {reason}"),
        };
        students.add_row(vec![
            Cell::new(shown(&grade.student)),
            Cell::new(format!(
                "{}/{}",
                points(grade.score),
                points(grade.max_score)
            ))
            .set_alignment(CellAlignment::Right),
            Cell::new(marks(&grade.checks)),
            Cell::new(note),
        ]);
    }
    let _ = writeln!(out, "{students}");
    let _ = writeln!(
        out,
        "Checks, in the order numbered below: + passed, ~ partial, x failed, - skipped"
    );
    let summary = &class.summary;
    if !summary.checks.is_empty() {
        let mut checks = table(color);
        checks.set_header(vec![
            "#", "Check", "Points", "Passed", "Partial", "Failed", "Skipped",
        ]);
        for (number, check) in summary.checks.iter().enumerate() {
            let right = |text: String| Cell::new(text).set_alignment(CellAlignment::Right);
            checks.add_row(vec![
                right((number + 1).to_string()),
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
