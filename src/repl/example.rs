//! `:help NAME`'s running example: the entry's example run in a scratch lab of its own
//! ([`ConsoleSession::try_example`]), its printed lines, checks, error and value, cut to a
//! few lines so the doc stays on the screen.

use super::show::View;
use kvmlab_runtime::console_session::ConsoleSession;
use kvmlab_runtime::recorder::PREAMBLE_STEP;
use kvmlab_runtime::report::Entry;
use kvmlab_runtime::text::{clipped, escaped_line};
use kvmlab_runtime::Severity;

/// Lines of an example's result shown; the rest are counted.
const RESULT_LINES: usize = 12;
/// Characters of one line shown.
const LINE_CHARS: usize = 200;

/// What running `example` printed and gave, as the lines `:help` shows after the example.
pub fn result(session: &ConsoleSession, example: &str, view: &View) -> Vec<String> {
    let (scratch, evaluated) = session.try_example(example);
    let mut lines = Vec::new();
    for step in &evaluated.report.steps {
        if step.title != PREAMBLE_STEP {
            lines.push(step.title.clone());
        }
        for entry in &step.entries {
            match entry {
                Entry::Output(line) => lines.extend(line.lines().map(str::to_string)),
                Entry::Check(check) if check.passed => lines.push(format!("PASS {}", check.name)),
                Entry::Check(check) => {
                    lines.push(format!("FAIL {}: {}", check.name, check.message))
                }
                Entry::Diagnostic(_) => {}
            }
        }
    }
    for d in &evaluated.report.diagnostics {
        if d.severity == Severity::Error || d.is_unexpected_warning() {
            let severity = match d.severity {
                Severity::Error => "error",
                _ => "warning",
            };
            lines.push(format!("{severity}[{}]: {}", d.code, d.message));
        }
    }
    if evaluated.shown.is_some() {
        let shown = kvmlab_runtime::script::show::show(
            &evaluated.value,
            &scratch.session().borrow(),
            view.width,
        );
        match shown.contains('\n') {
            true => {
                lines.push("=>".into());
                lines.extend(shown.lines().map(str::to_string));
            }
            false => lines.push(format!("=> {shown}")),
        }
    }
    if lines.is_empty() {
        lines.push("(it prints nothing and gives no value)".into());
    }
    let more = lines.len().saturating_sub(RESULT_LINES);
    lines.truncate(RESULT_LINES);
    let mut lines: Vec<String> = lines
        .iter()
        .map(|line| escaped_line(&clipped(line, LINE_CHARS)).into_owned())
        .collect();
    if more > 0 {
        lines.push(format!("… {more} more line(s)"));
    }
    lines
}
