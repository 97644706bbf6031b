//! The console view of a run report: steps as they happened, then a summary table.

use comfy_table::{presets, Cell, CellAlignment, Table};
use kvmlab_runtime::report::{Entry, RunReport};
use kvmlab_runtime::run::LabRun;
use kvmlab_runtime::Severity;
use std::fmt::Write;

struct Style {
    color: bool,
}

impl Style {
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
}

pub fn render_run(report: &RunReport, color: bool) -> String {
    let style = Style { color };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} (backend {}, seed {})",
        style.bold("lab"),
        report.lab,
        report.backend,
        report.seed
    );
    for (number, step) in report.steps.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n{}",
            style.bold(&format!("{}. {}", number + 1, step.title))
        );
        for entry in &step.entries {
            match entry {
                Entry::Check(c) => {
                    let mark = if c.passed { style.pass() } else { style.fail() };
                    let _ = writeln!(out, "  {mark} {}: {}", c.name, c.message);
                }
                Entry::Output(line) => {
                    let _ = writeln!(out, "  | {line}");
                }
                Entry::Diagnostic(index) => {
                    let d = &report.diagnostics[*index];
                    let label = match d.severity {
                        Severity::Error => style.paint("31;1", "error"),
                        Severity::Warning => style.paint("33;1", "warning"),
                    };
                    let _ = writeln!(
                        out,
                        "  {label}[{}] {} ({})",
                        d.code,
                        d.message,
                        d.position()
                    );
                }
            }
        }
    }
    out.push('\n');
    out.push_str(&summary_table(report, color).to_string());
    out.push('\n');
    let verdict = if report.has_errors() {
        style.fail() + ": the lab stopped on an error (details on stderr)"
    } else if report.failed > 0 {
        format!(
            "{}: {} of {} checks failed",
            style.fail(),
            report.failed,
            report.passed + report.failed
        )
    } else {
        format!("{}: all {} checks passed", style.pass(), report.passed)
    };
    let _ = writeln!(out, "{verdict}; lab time {:.3} s", report.clock);
    out
}

fn summary_table(report: &RunReport, color: bool) -> Table {
    let mut table = Table::new();
    table.load_preset(if color {
        presets::UTF8_FULL_CONDENSED
    } else {
        presets::ASCII_FULL_CONDENSED
    });
    table.set_header(["step", "checks", "passed", "failed"]);
    for (number, step) in report.steps.iter().enumerate() {
        let (passed, failed) =
            step.checks().fold(
                (0, 0),
                |(p, f), c| if c.passed { (p + 1, f) } else { (p, f + 1) },
            );
        table.add_row(vec![
            Cell::new(format!("{}. {}", number + 1, step.title)),
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

/// Every diagnostic of the run, rendered by miette with its source line.
pub fn render_diagnostics(lab: &LabRun, color: bool) -> String {
    lab.report
        .diagnostics
        .iter()
        .map(|d| d.render(lab.source_of(d), color))
        .collect()
}
