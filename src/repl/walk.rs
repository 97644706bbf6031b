//! `:step LAB`: a lab walked one step at a time ([`kvmlab_runtime::lab_steps`]). Each step is
//! shown (title, explanation, commands); the trainee types what they like, then Enter: the
//! step's own commands when they typed nothing that succeeded in this step, else only its
//! checks, against the world as they left it. A step that fails (an error in its commands, a
//! check failed) stays shown, and Enter then runs its checks again; one that passes moves on.
//! `:step LAB --from N` is for a trainee who joins late: the steps before N run first, as the
//! lab writes them, and the walk starts at step N on the state they leave.

use super::show::{self, View};
use kvmlab_runtime::console_session::{ConsoleSession, Evaluated};
use kvmlab_runtime::diagnostic::Diagnostic;
use kvmlab_runtime::lab_steps::{self, Lab};
use kvmlab_runtime::report::Entry;
use kvmlab_runtime::text::escaped_line;
use kvmlab_runtime::{Error, Severity};
use std::path::Path;

/// Where labs named without a path are looked for, from the current directory.
const LABS_DIR: &str = "labs";

/// What happened to a step, for the summary.
#[derive(Clone, Copy)]
enum Outcome {
    Pending,
    Skipped,
    Ran {
        passed: usize,
        failed: usize,
    },
    /// Run by `--from` to bring the lab to the step the walk started at.
    Replayed,
}

/// A walk under way.
pub struct Walk {
    lab: Lab,
    at: usize,
    /// An input the trainee typed in this step succeeded.
    typed: bool,
    /// The step's own commands already ran (or failed) once in this step.
    ran: bool,
    outcomes: Vec<Outcome>,
}

/// `:step …` while `walk` is on (or not): its argument is `run`, `skip`, `stop`, nothing, or
/// a lab to start. Whether it went well, and the walk that goes on.
pub fn command(
    session: &mut ConsoleSession,
    walk: Option<Walk>,
    argument: Option<&str>,
    view: &View,
) -> (bool, Option<Walk>) {
    match (walk, argument) {
        (Some(walk), None) => {
            walk.show();
            (true, Some(walk))
        }
        (Some(walk), Some("run")) => walk.run_own(session, view),
        (Some(mut walk), Some("skip")) => {
            walk.outcomes[walk.at] = Outcome::Skipped;
            println!("step {}/{} skipped", walk.at + 1, walk.lab.steps.len());
            (true, walk.advance())
        }
        (Some(walk), Some("stop")) => {
            println!(
                "left the walk of {} at step {}/{}; the lab and its variables stay",
                escaped_line(&walk.lab.path),
                walk.at + 1,
                walk.lab.steps.len()
            );
            (true, None)
        }
        (None, None | Some("run" | "skip" | "stop")) => {
            eprintln!(
                "kvmlab repl: no walk is on; `:step LAB` starts one (e.g. `:step 01`, or a lab's path)"
            );
            (false, None)
        }
        // A lab that cannot start leaves the walk under way, if one is.
        (walk, Some(argument)) => match lab_and_step(argument) {
            Ok((lab, from)) => match start(session, lab, from, view) {
                Some(started) => (true, Some(started)),
                None => (false, walk),
            },
            Err(usage) => {
                eprintln!("kvmlab repl: {usage}");
                (false, walk)
            }
        },
    }
}

/// `LAB` or `LAB --from N`: the lab and the step to start at (1 without `--from`).
fn lab_and_step(argument: &str) -> Result<(&str, usize), String> {
    let words: Vec<&str> = argument.split_whitespace().collect();
    let usage = "`:step LAB` walks a lab from its first step, `:step LAB --from N` from step N (e.g. `:step 02 --from 3`)";
    match words.as_slice() {
        [lab] => Ok((lab, 1)),
        [lab, "--from", n] => match n.parse::<usize>() {
            Ok(n) if n >= 1 => Ok((lab, n)),
            _ => Err(format!("`{n}` is not a step number: {usage}")),
        },
        _ => Err(usage.to_string()),
    }
}

/// Reads the lab `name` names, runs its preamble and the steps before `from`, and shows
/// step `from`.
fn start(session: &mut ConsoleSession, name: &str, from: usize, view: &View) -> Option<Walk> {
    let read = lab_steps::resolve(name, Path::new(LABS_DIR))
        .map_err(|e| {
            Box::new(Diagnostic::new(
                &e,
                Severity::Error,
                &format!(":step {name}"),
                0,
                0,
            ))
        })
        .and_then(|path| Lab::read(session.engine(), &path));
    let lab = match read {
        Ok(lab) => lab,
        Err(diagnostic) => {
            let source = std::fs::read_to_string(&diagnostic.file).ok();
            eprint!(
                "{}",
                diagnostic.render_width(source.as_deref(), view.color, view.width)
            );
            return None;
        }
    };
    println!(
        "walking {}: {} steps",
        escaped_line(&lab.path),
        lab.steps.len()
    );
    let preamble = lab.run(session, &lab.preamble.iter().collect::<Vec<_>>());
    for command in &lab.preamble {
        println!("ran {}", escaped_line(&command.text));
    }
    show::evaluated(session, &preamble, view);
    if preamble.failed() {
        eprintln!("kvmlab repl: the lab's preamble failed; the walk does not start");
        return None;
    }
    if from > lab.steps.len() {
        eprintln!(
            "kvmlab repl: {} has {} steps: there is no step {from} to start from",
            escaped_line(&lab.path),
            lab.steps.len()
        );
        return None;
    }
    let mut walk = Walk {
        outcomes: vec![Outcome::Pending; lab.steps.len()],
        lab,
        at: 0,
        typed: false,
        ran: false,
    };
    while walk.at + 1 < from {
        let step = &walk.lab.steps[walk.at];
        let replayed = walk
            .lab
            .run(session, &step.commands.iter().collect::<Vec<_>>());
        if replayed.failed() || replayed.report.failed > 0 {
            show::evaluated(session, &replayed, view);
            println!(
                "step {}/{} failed while bringing the lab to step {from}: the walk starts at it",
                walk.at + 1,
                walk.lab.steps.len()
            );
            walk.ran = true;
            walk.show();
            return Some(walk);
        }
        walk.outcomes[walk.at] = Outcome::Replayed;
        walk.at += 1;
    }
    if from > 1 {
        println!(
            "ran steps 1 to {} as the lab writes them: the lab is where step {from} starts",
            from - 1
        );
    }
    walk.show();
    Some(walk)
}

impl Walk {
    /// `:reset` ends the walk: the lab's preamble and steps so far are gone with the world.
    pub fn reset(&self) {
        println!(
            "the walk of {path} ends with the reset; `:step {path}` starts it again",
            path = escaped_line(&self.lab.path)
        );
    }

    /// The prompt while the walk is on: `step 2/10> `.
    pub fn prompt(&self) -> String {
        format!("step {}/{}> ", self.at + 1, self.lab.steps.len())
    }

    /// An input the trainee typed ran; one that succeeded makes Enter run only the checks.
    pub fn typed(&mut self, succeeded: bool) {
        self.typed |= succeeded;
    }

    /// Prints the current step: its header, explanation and commands.
    pub fn show(&self) {
        let step = &self.lab.steps[self.at];
        println!(
            "\nstep {}/{}: {}",
            self.at + 1,
            self.lab.steps.len(),
            escaped_line(&step.title)
        );
        for line in &step.explanation {
            match line.is_empty() {
                true => println!(),
                false => println!("  {}", escaped_line(line)),
            }
        }
        if step.commands.is_empty() {
            println!("(no commands: Enter goes on)");
        } else {
            println!("commands (type them, or Enter runs them):");
            for command in &step.commands {
                for line in command.text.lines() {
                    println!("    {}", escaped_line(line));
                }
            }
        }
    }

    /// Enter: the step's own commands, or its checks when the trainee did the step.
    pub fn enter(self, session: &mut ConsoleSession, view: &View) -> (bool, Option<Walk>) {
        if self.typed || self.ran {
            self.run_checks(session, view)
        } else {
            self.run_own(session, view)
        }
    }

    /// `:step run`: every command of the step, checks included.
    fn run_own(mut self, session: &mut ConsoleSession, view: &View) -> (bool, Option<Walk>) {
        let step = &self.lab.steps[self.at];
        let evaluated = self
            .lab
            .run(session, &step.commands.iter().collect::<Vec<_>>());
        self.ran = true;
        show::evaluated(session, &evaluated, view);
        self.finish(session, &evaluated, Vec::new(), view)
    }

    /// The step's checks alone; one that reads a variable only the lab's commands define
    /// fails with a diagnostic saying so, without running.
    fn run_checks(self, session: &mut ConsoleSession, view: &View) -> (bool, Option<Walk>) {
        let step = &self.lab.steps[self.at];
        let mut undefined = Vec::new();
        let mut runnable = Vec::new();
        for check in step.checks() {
            match self.lab.undefined_in(check, session.scope()) {
                Some(diagnostic) => undefined.push(diagnostic),
                None => runnable.push(check),
            }
        }
        let evaluated = self.lab.run(session, &runnable);
        show::evaluated(session, &evaluated, view);
        for diagnostic in &undefined {
            eprint!(
                "{}",
                diagnostic.render_width(Some(&self.lab.text), view.color, view.width)
            );
        }
        self.finish(session, &evaluated, undefined, view)
    }

    /// Counts the step's checks, shows each failed one in the lab, and moves on if all held.
    fn finish(
        mut self,
        session: &ConsoleSession,
        evaluated: &Evaluated,
        undefined: Vec<Diagnostic>,
        view: &View,
    ) -> (bool, Option<Walk>) {
        let (number, steps) = (self.at + 1, self.lab.steps.len());
        let checks = evaluated.report.steps.iter().flat_map(|s| &s.entries);
        let mut failed = undefined.len();
        for entry in checks {
            if let Entry::Check(check) = entry {
                if check.passed {
                    continue;
                }
                failed += 1;
                let error = Error::StepCheckFailed {
                    step: number,
                    steps,
                    name: check.name.clone(),
                    why: check.message.clone(),
                };
                let diagnostic =
                    Diagnostic::new(&error, Severity::Error, &check.file, check.line, 0);
                let source = session.source_text(&check.file);
                eprint!(
                    "{}",
                    diagnostic.render_width(source.as_deref(), view.color, view.width)
                );
            }
        }
        let passed = evaluated.report.passed;
        self.outcomes[self.at] = Outcome::Ran { passed, failed };
        if failed > 0 || evaluated.error().is_some() {
            println!(
                "step {number}/{steps} failed: it stays shown; Enter runs its checks again, `:step run` its commands, `:step skip` goes on"
            );
            return (false, Some(self));
        }
        println!("step {number}/{steps} done: {passed} check(s) passed");
        (true, self.advance())
    }

    /// The next step, or the summary after the last.
    fn advance(mut self) -> Option<Walk> {
        self.at += 1;
        self.typed = false;
        self.ran = false;
        if self.at < self.lab.steps.len() {
            self.show();
            return Some(self);
        }
        let (mut passed, mut failed, mut skipped, mut replayed) = (0, 0, 0, 0);
        for outcome in &self.outcomes {
            match outcome {
                Outcome::Ran {
                    passed: p,
                    failed: f,
                } => {
                    passed += p;
                    failed += f;
                }
                Outcome::Skipped => skipped += 1,
                Outcome::Replayed => replayed += 1,
                Outcome::Pending => {}
            }
        }
        let replayed = match replayed {
            0 => String::new(),
            n => format!(", {n} run before the walk began"),
        };
        println!(
            "\nwalk of {} over: {} steps, {passed} check(s) passed, {failed} failed, {skipped} step(s) skipped{replayed}",
            escaped_line(&self.lab.path),
            self.lab.steps.len()
        );
        None
    }
}
