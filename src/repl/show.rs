//! What an input did, for people: its printed lines and checks on stdout, its errors and
//! warnings as miette diagnostics on stderr against the text as typed, and its value as
//! `=> value` (entities as tables, [`kvmlab_runtime::script::show`]). Script strings are
//! shown escaped and cut, as `kvmlab run` shows them.

use kvmlab_runtime::console_session::{ConsoleSession, Evaluated};
use kvmlab_runtime::recorder::PREAMBLE_STEP;
use kvmlab_runtime::report::Entry;
use kvmlab_runtime::text::{clipped, escaped_line};
use kvmlab_runtime::Severity;

/// Characters of a printed line or value shown.
const LINE_CHARS: usize = 2_000;

pub struct View {
    pub color: bool,
    pub width: usize,
}

impl View {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Prints everything `evaluated` did, in the order it happened, then its value.
pub fn evaluated(session: &ConsoleSession, evaluated: &Evaluated, view: &View) {
    let report = &evaluated.report;
    for step in &report.steps {
        if step.title != PREAMBLE_STEP {
            println!(
                "{}",
                view.paint("1", &escaped_line(&clipped(&step.title, LINE_CHARS)))
            );
        }
        for entry in &step.entries {
            match entry {
                Entry::Output(line) => println!("{}", escaped_line(&clipped(line, LINE_CHARS))),
                Entry::Check(check) => {
                    let mark = if check.passed {
                        view.paint("32", "PASS")
                    } else {
                        view.paint("31;1", "FAIL")
                    };
                    let name = escaped_line(&clipped(&check.name, LINE_CHARS)).into_owned();
                    if check.passed {
                        println!("{mark} {name}");
                    } else {
                        let why = escaped_line(&clipped(&check.message, LINE_CHARS)).into_owned();
                        println!("{mark} {name}: {why}");
                    }
                }
                Entry::Diagnostic(_) => {}
            }
        }
    }
    for diagnostic in &report.diagnostics {
        // Warnings the lab meant (`expect_warning`, the stdlib's own) are not the trainee's.
        if diagnostic.severity == Severity::Warning && !diagnostic.is_unexpected_warning() {
            continue;
        }
        let source = session.source_text(&diagnostic.file);
        eprint!(
            "{}",
            diagnostic.render_width(source.as_deref(), view.color, view.width)
        );
    }
    if evaluated.shown.is_some() {
        let mut shown = kvmlab_runtime::script::show::show(
            &evaluated.value,
            &session.session().borrow(),
            view.width,
        );
        if evaluated.value.is_string() {
            shown = clipped(&shown, LINE_CHARS).into_owned();
        }
        // A table starts on a line of its own.
        match shown.contains('\n') {
            true => println!("=>\n{shown}"),
            false => println!("=> {shown}"),
        }
    }
}
