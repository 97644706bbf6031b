//! The console view of a run report, for people: steps as they happened, a summary table,
//! the verdict and the files the run wrote, all within 80 columns. Warnings the lab expects
//! are counted, not shown, unless `--verbose`: the trainee's own problems come first.
//!
//! Every string a script made (titles, check names, messages, printed lines, file names) is
//! shown escaped and cut ([`kvmlab_runtime::text`]), and every line a script fills is
//! indented, so no script can draw a line that starts like a verdict, a `PASS`/`FAIL` line
//! or a row of the summary.

use comfy_table::{presets, Cell, CellAlignment, ContentArrangement, Table};
use kvmlab_runtime::diagnostic::Diagnostic;
use kvmlab_runtime::report::{Entry, RunReport};
use kvmlab_runtime::run::LabRun;
use kvmlab_runtime::text::{clipped, escaped, escaped_line};
use kvmlab_runtime::Severity;
use std::fmt::Write;

/// Characters of a printed line shown.
const LINE_CHARS: usize = 2_000;
/// Columns of a step title in the summary table: one line per step, always.
const TABLE_TITLE_COLUMNS: usize = 40;

/// A script's name, title or message as the console shows it: one line (the report keeps
/// them short already).
fn name(text: &str) -> String {
    escaped(text).into_owned()
}

/// Every console line fits this many columns.
pub const WIDTH: usize = 80;

/// How to show a run.
#[derive(Debug, Clone, Copy)]
pub struct View {
    pub color: bool,
    /// Show expected warnings too.
    pub verbose: bool,
    /// Unexpected warnings fail the run.
    pub strict: bool,
}

impl View {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn pass(&self) -> String {
        self.paint("32", "PASS")
    }
    fn fail(&self) -> String {
        self.paint("31;1", "FAIL")
    }
    fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }
    fn shows(&self, diagnostic: &Diagnostic) -> bool {
        self.verbose || diagnostic.expected != Some(true)
    }
}

/// `text` wrapped to [`WIDTH`] columns: the first line starts with `first`, the others with
/// `rest`. Lines break at spaces only (names such as `iqn.2006-01.com…` stay whole), except
/// that a word longer than a line (a digest) is cut.
fn wrapped(out: &mut String, first: &str, rest: &str, text: &str) {
    let options = textwrap::Options::new(WIDTH)
        .initial_indent(first)
        .subsequent_indent(rest)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .break_words(true);
    for line in textwrap::wrap(text, options) {
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

pub fn render_run(report: &RunReport, view: &View) -> String {
    let mut out = String::new();
    wrapped(
        &mut out,
        "",
        "  ",
        &format!(
            "{} {} (backend {}, seed {})",
            view.bold("lab"),
            escaped(&report.lab),
            report.backend,
            report.seed
        ),
    );
    let first = report.from_step.unwrap_or(1);
    if first > 1 {
        out.push_str(&format!(
            "steps 1 to {} ran to bring the lab to where step {first} starts; they are left out\n",
            first - 1
        ));
    }
    for (number, step) in (first..).zip(&report.steps) {
        out.push('\n');
        let title = format!("{number}. {}", name(&step.title));
        let indent = " ".repeat(format!("{number}. ").len());
        wrapped(&mut out, "", &indent, &view.bold(&title));
        for entry in &step.entries {
            match entry {
                Entry::Check(c) => {
                    let mark = if c.passed { view.pass() } else { view.fail() };
                    let first = format!("  {mark} ");
                    wrapped(
                        &mut out,
                        &first,
                        "       ",
                        &format!("{}: {}", name(&c.name), name(&c.message)),
                    );
                }
                Entry::Output(line) => wrapped(
                    &mut out,
                    "  | ",
                    "  |   ",
                    &escaped_line(&clipped(line, LINE_CHARS)),
                ),
                Entry::Diagnostic(index) => {
                    let d = &report.diagnostics[*index];
                    if !view.shows(d) {
                        continue;
                    }
                    let label = match (d.severity, d.expected) {
                        (Severity::Error, _) => view.paint("31;1", "error"),
                        (Severity::Warning, Some(true)) => "expected warning".to_string(),
                        (Severity::Warning, _) => view.paint("33;1", "warning"),
                    };
                    let position = escaped(&d.position()).into_owned();
                    let text = format!("{label}[{}] {} ({position})", d.code, escaped(&d.message));
                    wrapped(&mut out, "  ", "    ", &text);
                    if d.more_like_this > 0 {
                        let more = format!("… and {} more like this", d.more_like_this);
                        wrapped(&mut out, "    ", "    ", &more);
                    }
                }
            }
        }
    }
    out.push('\n');
    out.push_str(&summary_table(report, view.color).to_string());
    out.push('\n');
    if !report.checked_only.is_empty() {
        let list: Vec<String> = report
            .checked_only
            .iter()
            .map(|c| format!("{} ×{}", c.operation, c.count))
            .collect();
        wrapped(
            &mut out,
            "",
            "  ",
            &format!("checked, not performed on real hosts: {}", list.join(", ")),
        );
    }
    let unexpected: Vec<&Diagnostic> = report.unexpected_warnings().collect();
    let verdict = if report.has_errors() {
        view.fail() + ": the lab stopped on an error (details on stderr)"
    } else if report.failed > 0 {
        format!(
            "{}: {} of {} checks failed",
            view.fail(),
            report.failed,
            report.passed + report.failed
        )
    } else if view.strict && !unexpected.is_empty() {
        format!(
            "{}: {} (--strict), all {} checks passed",
            view.fail(),
            count(
                unexpected.iter().map(|d| 1 + d.more_like_this).sum(),
                "unexpected warning"
            ),
            report.passed
        )
    } else {
        format!("{}: all {} checks passed", view.pass(), report.passed)
    };
    wrapped(
        &mut out,
        "",
        "  ",
        &format!("{verdict}; lab time {:.3} s", report.clock),
    );
    if view.strict {
        // One line per code and place: a file with five bad lines warns five times there.
        let mut places: Vec<(String, usize)> = Vec::new();
        for d in &unexpected {
            let place = format!("{} at {}", d.code, escaped(&d.position()));
            let times = 1 + d.more_like_this;
            match places.iter_mut().find(|(p, _)| *p == place) {
                Some((_, n)) => *n += times,
                None => places.push((place, times)),
            }
        }
        for (place, n) in places {
            let times = if n > 1 {
                format!(" ({n} times)")
            } else {
                String::new()
            };
            wrapped(&mut out, "  ", "    ", &format!("{place}{times}"));
        }
    }
    let expected = report
        .diagnostics
        .iter()
        .filter(|d| d.expected == Some(true))
        .count();
    if expected > 0 && !view.verbose {
        let _ = writeln!(
            out,
            "{} the lab expects (--verbose shows them)",
            count(expected, "warning")
        );
    }
    if !report.artifacts.is_empty() {
        let _ = writeln!(out, "files written:");
        for path in &report.artifacts {
            wrapped(&mut out, "  ", "    ", &escaped(path));
        }
    }
    out
}

/// `3 warnings`, `1 warning`.
fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn summary_table(report: &RunReport, color: bool) -> Table {
    let mut table = Table::new();
    table.load_preset(if color {
        presets::UTF8_FULL_CONDENSED
    } else {
        presets::ASCII_FULL_CONDENSED
    });
    table
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(WIDTH as u16);
    table.set_header(["step", "checks", "passed", "failed"]);
    for (number, step) in (report.from_step.unwrap_or(1)..).zip(&report.steps) {
        let (passed, failed) =
            step.checks().fold(
                (0, 0),
                |(p, f), c| if c.passed { (p + 1, f) } else { (p, f + 1) },
            );
        table.add_row(vec![
            Cell::new(format!("{number}. {}", table_title(&step.title))),
            Cell::new(passed + failed).set_alignment(CellAlignment::Right),
            Cell::new(passed).set_alignment(CellAlignment::Right),
            Cell::new(failed).set_alignment(CellAlignment::Right),
        ]);
    }
    table.add_row(vec![
        Cell::new("total"),
        Cell::new(report.passed + report.failed).set_alignment(CellAlignment::Right),
        Cell::new(report.passed).set_alignment(CellAlignment::Right),
        Cell::new(report.failed).set_alignment(CellAlignment::Right),
    ]);
    table
}

/// A step title cut to fit its column on one line, so a title cannot wrap into a line of its
/// own that reads like the table's `total` row.
fn table_title(title: &str) -> String {
    let title = escaped(title);
    if textwrap::core::display_width(&title) <= TABLE_TITLE_COLUMNS {
        return title.into_owned();
    }
    let mut cut = String::new();
    for c in title.chars() {
        if textwrap::core::display_width(&cut) + 3 > TABLE_TITLE_COLUMNS {
            break;
        }
        cut.push(c);
    }
    cut + "…"
}

/// The run's diagnostics rendered by miette with their source lines, in 80 columns; expected
/// warnings only when `--verbose`.
pub fn render_diagnostics(lab: &LabRun, view: &View) -> String {
    lab.report
        .diagnostics
        .iter()
        .filter(|d| view.shows(d))
        .map(|d| d.render_width(lab.source_of(d), view.color, WIDTH))
        .collect()
}
