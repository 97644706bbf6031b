//! A lab read as its steps, for the console's `:step LAB` walk: the preamble (what comes
//! before the first top-level `step("title")`), then each step's title, explanation (its
//! `//` comment lines), commands (each top-level statement's text as written, with its line)
//! and which of them are checks. Read from Rhai's own AST and token stream, compiled with the
//! console's engine, so the steps are what `kvmlab run` would run.
//!
//! A statement's text runs from its first token to the start of the next statement or
//! function definition, without the comment lines that follow it (those explain what comes
//! next).

use crate::console_session::{ConsoleSession, Evaluated};
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Severity};
use crate::script::catalog::{Catalog, Kind};
use crate::script::diagnose;
use rhai::{ASTNode, Engine, EvalAltResult, Expr, Position, Scope, Stmt, Token, AST};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// One top-level statement of a lab.
#[derive(Debug, Clone)]
pub struct Command {
    /// The statement as written in the lab.
    pub text: String,
    /// Its first line in the lab file.
    pub line: usize,
    /// Whether it is a call of the check family (`check`, `check_eq`, …).
    pub check: bool,
    /// Its bytes in the lab's text.
    span: std::ops::Range<usize>,
    statement: Stmt,
}

/// One step: from a top-level `step("title")` to the next.
#[derive(Debug, Clone)]
pub struct LabStep {
    pub title: String,
    /// The line of its `step(..)` call.
    pub line: usize,
    /// The comment lines inside the step (the lab's header comment before the first step's),
    /// without their `//`.
    pub explanation: Vec<String>,
    /// Its statements after the `step(..)` call, in order.
    pub commands: Vec<Command>,
}

impl LabStep {
    pub fn checks(&self) -> impl Iterator<Item = &Command> {
        self.commands.iter().filter(|c| c.check)
    }
}

/// A lab read into steps; see the module's doc.
pub struct Lab {
    /// The lab's file as shown in diagnostics.
    pub path: String,
    pub text: String,
    /// The top-level statements before the first step: imports, constants, variables.
    pub preamble: Vec<Command>,
    pub steps: Vec<LabStep>,
    /// Every function the lab defines, with no statements.
    functions: AST,
    /// The variables and constants the lab's top-level statements define.
    defines: BTreeSet<String>,
}

impl Lab {
    /// Reads and parses the lab at `path` with `engine` (the console's).
    pub fn read(engine: &Engine, path: &Path) -> Result<Lab, Box<Diagnostic>> {
        let shown = path.to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).map_err(|e| {
            let error = Error::Unreadable {
                path: shown.clone(),
                reason: e.to_string(),
            };
            Box::new(Diagnostic::new(&error, Severity::Error, &shown, 0, 0))
        })?;
        Lab::parse(engine, &shown, text)
    }

    /// Parses `text`, shown as `path` in diagnostics.
    pub fn parse(engine: &Engine, path: &str, text: String) -> Result<Lab, Box<Diagnostic>> {
        let ast = engine.compile(&text).map_err(|e| {
            let err = EvalAltResult::from(e);
            let source = text.clone();
            Box::new(diagnose::diagnose(&err, engine, path, &|_| {
                Some(source.clone())
            }))
        })?;
        let checks = check_family(engine);
        let lines = Lines::new(&text);
        let tokens = tokens(engine, &text);
        let starts = item_starts(&ast, &tokens);
        let mut preamble = Vec::new();
        let mut steps: Vec<LabStep> = Vec::new();
        let mut defines = BTreeSet::new();
        for (index, statement) in ast.statements().iter().enumerate() {
            let start = starts.statements[index];
            let next = starts.after(start);
            let span = statement_span(&text, &lines, &tokens, start, next);
            let command = Command {
                text: text[span.clone()].to_string(),
                span,
                line: start.line().unwrap_or(0),
                check: is_check(statement, &checks),
                statement: statement.clone(),
            };
            if let Stmt::Var(x, ..) = statement {
                defines.insert(x.0.name.to_string());
            }
            match step_title(statement, &command.text) {
                Some(title) => steps.push(LabStep {
                    title,
                    line: command.line,
                    explanation: Vec::new(),
                    commands: Vec::new(),
                }),
                None => match steps.last_mut() {
                    Some(step) => step.commands.push(command),
                    None => preamble.push(command),
                },
            }
        }
        if steps.is_empty() {
            let error = Error::LabWithoutSteps {
                path: path.to_string(),
            };
            return Err(Box::new(Diagnostic::new(
                &error,
                Severity::Error,
                path,
                1,
                1,
            )));
        }
        let comments = comment_lines(&text, &lines, &tokens);
        let first_code = tokens
            .iter()
            .find(|(t, _)| !matches!(t, Token::Comment(_)))
            .and_then(|(_, p)| p.line())
            .unwrap_or(usize::MAX);
        let ends: Vec<usize> = steps
            .iter()
            .skip(1)
            .map(|s| s.line)
            .chain([usize::MAX])
            .collect();
        for (index, step) in steps.iter_mut().enumerate() {
            let from = if index == 0 { 0 } else { step.line };
            let header = |line: usize| index == 0 && line < first_code;
            step.explanation = comments
                .iter()
                .filter(|(line, _)| {
                    header(*line) || (*line >= from.max(step.line) && *line < ends[index])
                })
                .map(|(_, text)| text.clone())
                .collect();
        }
        Ok(Lab {
            path: path.to_string(),
            text,
            preamble,
            steps,
            functions: ast.clone_functions_only(),
            defines,
        })
    }

    /// The lab's functions, defined when a walk starts.
    pub fn functions(&self) -> &AST {
        &self.functions
    }

    /// Runs `commands` of the lab in `session` as one input, with the lab's functions; what
    /// `:save` keeps is their text. They are compiled again, in the lab's text with all else
    /// blanked: against the session's variables as they are now (the trainee's own among
    /// them), at the lab's own lines and columns.
    pub fn run(&self, session: &mut ConsoleSession, commands: &[&Command]) -> Evaluated {
        let mut spans: Vec<&std::ops::Range<usize>> = commands.iter().map(|c| &c.span).collect();
        spans.sort_by_key(|span| span.start);
        let mut spans = spans.into_iter().peekable();
        let code: String = self
            .text
            .char_indices()
            .map(|(offset, c)| {
                while spans.next_if(|span| span.end <= offset).is_some() {}
                match c {
                    '\n' => '\n',
                    c if spans.peek().is_some_and(|span| span.contains(&offset)) => c,
                    _ => ' ',
                }
            })
            .collect();
        let saved: Vec<&str> = commands.iter().map(|c| c.text.as_str()).collect();
        session.eval_in_file(
            &self.path,
            &self.text,
            &code,
            &self.functions,
            &saved.join("\n"),
        )
    }

    /// A diagnostic for each variable `check` reads that is not in `scope` but that the
    /// lab's own statements define: the trainee's inputs did not make it.
    pub fn undefined_in(&self, check: &Command, scope: &Scope) -> Option<Diagnostic> {
        let mut missing = None;
        check
            .statement
            .walk(&mut Vec::new(), &mut |path: &[ASTNode]| {
                if let Some(ASTNode::Expr(Expr::Variable(x, _, position))) = path.last() {
                    let name = x.1.as_str();
                    if x.2.is_empty() && !scope.contains(name) && self.defines.contains(name) {
                        missing = Some((name.to_string(), *position));
                        return false;
                    }
                }
                true
            });
        let (variable, position) = missing?;
        let error = Error::StepVariableUndefined { variable };
        Some(Diagnostic::new(
            &error,
            Severity::Error,
            &self.path,
            position.line().unwrap_or(check.line),
            position.position().unwrap_or(0),
        ))
    }
}

/// The global functions whose name is `check` or starts with `check_`: the calls that
/// record a check.
fn check_family(engine: &Engine) -> BTreeSet<String> {
    Catalog::from_engine(engine)
        .items
        .into_iter()
        .filter(|i| i.kind == Kind::Function && i.on.is_none())
        .map(|i| i.name)
        .filter(|n| n == "check" || n.starts_with("check_"))
        .collect()
}

fn is_check(statement: &Stmt, checks: &BTreeSet<String>) -> bool {
    let call = match statement {
        Stmt::FnCall(call, _) => call,
        Stmt::Expr(expr) => match &**expr {
            Expr::FnCall(call, _) => call,
            // `check(..)` is syntax of its own (`script::check`).
            Expr::Custom(custom, _) => return custom.tokens.first().is_some_and(|t| t == "check"),
            _ => return false,
        },
        _ => return false,
    };
    call.namespace.is_empty() && checks.contains(call.name.as_str())
}

/// The title of a top-level `step("title")`, or `None` when the statement is not one. A
/// title that is not a literal string is shown as written.
fn step_title(statement: &Stmt, text: &str) -> Option<String> {
    let call = match statement {
        Stmt::FnCall(call, _) => call,
        Stmt::Expr(expr) => match &**expr {
            Expr::FnCall(call, _) => call,
            _ => return None,
        },
        _ => return None,
    };
    if !call.namespace.is_empty() || call.name != "step" || call.args.len() != 1 {
        return None;
    }
    Some(match &call.args[0] {
        Expr::StringConstant(title, _) => title.to_string(),
        _ => text.to_string(),
    })
}

/// Byte offsets of the lines' starts, to turn positions into slices.
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { starts }
    }

    fn offset(&self, text: &str, position: Position) -> usize {
        let (Some(line), Some(column)) = (position.line(), position.position()) else {
            return text.len();
        };
        let Some(&start) = self.starts.get(line - 1) else {
            return text.len();
        };
        text[start..]
            .char_indices()
            .nth(column - 1)
            .map_or(text.len(), |(i, _)| start + i)
    }
}

/// The lab's tokens with comments, in order.
fn tokens(engine: &Engine, text: &str) -> Vec<(Token, Position)> {
    let inputs = [text];
    let (mut stream, control) = engine.lex(&inputs);
    stream.state.include_comments = true;
    let mut tokens = Vec::new();
    let mut depth = 0_usize;
    // The brace depths at which an interpolation (`${ … }`) in a back-tick string opened.
    let mut interpolations = Vec::new();
    for (token, position) in stream {
        match &token {
            Token::EOF => break,
            Token::InterpolatedString(_) => interpolations.push(depth),
            Token::LeftBrace | Token::MapStart => depth += 1,
            Token::RightBrace => {
                depth = depth.saturating_sub(1);
                if interpolations.last() == Some(&depth) {
                    interpolations.pop();
                    // What follows is the string's text again, as Rhai's parser tells its
                    // tokenizer.
                    control.borrow_mut().is_within_text = true;
                }
            }
            _ => {}
        }
        if !position.is_none() {
            tokens.push((token, position));
        }
    }
    tokens
}

/// Where each top-level statement and function definition starts.
struct Starts {
    statements: Vec<Position>,
    /// Every item's start (statements and `fn`s), in order.
    all: Vec<Position>,
}

impl Starts {
    /// The start of the item after the one starting at `start`.
    fn after(&self, start: Position) -> Option<Position> {
        let at = self.all.partition_point(|p| !before(start, *p));
        self.all.get(at).copied()
    }
}

fn before(a: Position, b: Position) -> bool {
    (a.line(), a.position()) < (b.line(), b.position())
}

fn item_starts(ast: &AST, tokens: &[(Token, Position)]) -> Starts {
    let statements: Vec<Position> = ast
        .statements()
        .iter()
        .map(|s| opening(earliest(s), tokens))
        .collect();
    let mut all = statements.clone();
    // A `fn` (or `private fn`) token starts a definition: functions are only top-level.
    for (index, (token, position)) in tokens.iter().enumerate() {
        if matches!(token, Token::Fn) {
            let private = index > 0 && matches!(tokens[index - 1].0, Token::Private);
            all.push(if private {
                tokens[index - 1].1
            } else {
                *position
            });
        }
    }
    all.sort_by_key(|p| (p.line(), p.position()));
    Starts { statements, all }
}

/// The earliest position in a statement's tree: its first token but for brackets.
fn earliest(statement: &Stmt) -> Position {
    let mut first = statement.position();
    statement.walk(&mut Vec::new(), &mut |path: &[ASTNode]| {
        if let Some(node) = path.last() {
            let position = node.position();
            if !position.is_none() && (first.is_none() || before(position, first)) {
                first = position;
            }
        }
        true
    });
    first
}

/// `start` moved back over the opening brackets just before it (`(a + b).c()`).
fn opening(start: Position, tokens: &[(Token, Position)]) -> Position {
    let at = tokens.partition_point(|(_, p)| before(*p, start));
    let mut first = at;
    while first > 0 && matches!(tokens[first - 1].0, Token::LeftParen) {
        first -= 1;
    }
    tokens.get(first).map_or(start, |(_, p)| *p)
}

/// The text from `start` to the next item, without the comment lines after its last token.
fn statement_span(
    text: &str,
    lines: &Lines,
    tokens: &[(Token, Position)],
    start: Position,
    next: Option<Position>,
) -> std::ops::Range<usize> {
    // The tokens are in the text's order.
    let from_token = tokens.partition_point(|(_, p)| before(*p, start));
    let to_token = next.map_or(tokens.len(), |n| {
        tokens.partition_point(|(_, p)| before(*p, n))
    });
    let own = &tokens[from_token..to_token.max(from_token)];
    let last_line = own
        .iter()
        .rev()
        .find(|(t, _)| !matches!(t, Token::Comment(_)))
        .and_then(|(_, p)| p.line());
    let end = own
        .iter()
        .find(|(t, p)| matches!(t, Token::Comment(_)) && p.line() > last_line)
        .map(|(_, p)| *p)
        .or(next)
        .map_or(text.len(), |p| lines.offset(text, p));
    let from = lines.offset(text, start);
    from..from + text[from..end.max(from)].trim_end().len()
}

/// The `//` comments that stand alone on their lines, by line, without their slashes.
fn comment_lines(text: &str, lines: &Lines, tokens: &[(Token, Position)]) -> Vec<(usize, String)> {
    tokens
        .iter()
        .filter_map(|(token, position)| {
            let Token::Comment(comment) = token else {
                return None;
            };
            let line = position.line()?;
            let offset = lines.offset(text, *position);
            let line_start = *lines.starts.get(line - 1)?;
            let alone = text.get(line_start..offset)?.trim().is_empty();
            let body = comment.strip_prefix("//")?;
            let body = body.trim_start_matches('/');
            (alone && !body.starts_with('!')).then(|| {
                (
                    line,
                    body.strip_prefix(' ')
                        .unwrap_or(body)
                        .trim_end()
                        .to_string(),
                )
            })
        })
        .collect()
}

/// The lab `name` names: a path to a file, or a lab in `labs_dir` by its name or the start of
/// it (`01`, `01-hosts-and-network`).
pub fn resolve(name: &str, labs_dir: &Path) -> Result<PathBuf, Error> {
    let path = Path::new(name);
    if path.is_file() {
        return Ok(path.to_path_buf());
    }
    let mut labs: Vec<String> = std::fs::read_dir(labs_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_file())
        .filter_map(|e| {
            let file = e.file_name().to_string_lossy().into_owned();
            file.strip_suffix(".rhai").map(str::to_string)
        })
        .collect();
    labs.sort();
    let wanted = name.strip_suffix(".rhai").unwrap_or(name);
    // The whole name, else the labs numbered so (`02` is `02-nas`, not `021-more`), else
    // those the name begins.
    let numbered = format!("{wanted}-");
    let mut matching: Vec<&String> = labs.iter().filter(|l| *l == wanted).collect();
    if matching.is_empty() {
        matching = labs.iter().filter(|l| l.starts_with(&numbered)).collect();
    }
    if matching.is_empty() {
        matching = labs.iter().filter(|l| l.starts_with(wanted)).collect();
    }
    let dir = labs_dir.display().to_string();
    match matching.as_slice() {
        [one] => Ok(labs_dir.join(format!("{one}.rhai"))),
        [] => {
            let names: Vec<&str> = labs.iter().map(String::as_str).collect();
            let suggestion = if names.is_empty() {
                format!("{dir} holds no .rhai lab here; give the lab's path, e.g. `:step path/to/lab.rhai`")
            } else {
                crate::suggest::help_for(wanted, "the labs there", &names)
            };
            Err(Error::NoSuchLab {
                name: name.to_string(),
                dir,
                suggestion,
            })
        }
        many => Err(Error::AmbiguousLab {
            name: name.to_string(),
            dir,
            count: many.len(),
            labs: many
                .iter()
                .map(|l| l.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            first: many[0].clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::engine::Limits;

    fn lab(text: &str) -> Result<Lab, Box<Diagnostic>> {
        let console = ConsoleSession::new(0, Limits::default(), None);
        Lab::parse(console.engine(), "lab.rhai", text.to_string())
    }

    const LAB: &str = "// A small lab.
//
// It has two steps.

import \"kvmlab/report\" as report;
const N = 4;

step(\"One host\");
// sv1 from the report's spec.
let sv1 = host(\"sv1\", report::server_spec());
check_eq(sv1.cores, N, \"4 cores\"); // trailing note

fn twice(n) {
    n * 2
}

step(\"Its memory\");
let memory = sv1.memory;
check(memory == size(\"16G\"),
      \"16 GB\");
(memory).to_string();
print(`${memory / 2} is #{half}: ${#{a: 1}.a}`); // not a `string
// the end
";

    #[test]
    fn a_lab_reads_into_its_preamble_and_steps() {
        let lab = lab(LAB).unwrap();
        let preamble: Vec<(&str, usize)> = lab
            .preamble
            .iter()
            .map(|c| (c.text.as_str(), c.line))
            .collect();
        assert_eq!(
            preamble,
            [
                ("import \"kvmlab/report\" as report;", 5),
                ("const N = 4;", 6)
            ]
        );
        let titles: Vec<(&str, usize)> = lab
            .steps
            .iter()
            .map(|s| (s.title.as_str(), s.line))
            .collect();
        assert_eq!(titles, [("One host", 8), ("Its memory", 17)]);
        let first = &lab.steps[0];
        assert_eq!(
            first.explanation,
            [
                "A small lab.",
                "",
                "It has two steps.",
                "sv1 from the report's spec."
            ]
        );
        let commands: Vec<(&str, usize, bool)> = first
            .commands
            .iter()
            .map(|c| (c.text.as_str(), c.line, c.check))
            .collect();
        assert_eq!(
            commands,
            [
                ("let sv1 = host(\"sv1\", report::server_spec());", 10, false),
                (
                    "check_eq(sv1.cores, N, \"4 cores\"); // trailing note",
                    11,
                    true
                ),
            ],
            "the function after it is no command"
        );
        let second: Vec<(&str, bool)> = lab.steps[1]
            .commands
            .iter()
            .map(|c| (c.text.as_str(), c.check))
            .collect();
        assert_eq!(
            second,
            [
                ("let memory = sv1.memory;", false),
                ("check(memory == size(\"16G\"),\n      \"16 GB\");", true),
                ("(memory).to_string();", false),
                (
                    "print(`${memory / 2} is #{half}: ${#{a: 1}.a}`); // not a `string",
                    false
                ),
            ]
        );
        assert_eq!(lab.steps[1].explanation, ["the end"]);
        assert_eq!(lab.functions().iter_functions().count(), 1);
    }

    #[test]
    fn the_check_family_is_what_the_engine_registers() {
        let console = ConsoleSession::new(0, Limits::default(), None);
        let family = check_family(console.engine());
        for name in ["check", "check_eq", "check_within"] {
            assert!(family.contains(name), "{family:?}");
        }
        assert!(!family.contains("check_kvm"), "a host's method is no check");
    }

    #[test]
    fn a_lab_without_steps_or_that_does_not_compile_is_diagnosed() {
        let none = lab("let a = 1;\nfn f() { step(\"inside\"); }\n")
            .err()
            .unwrap();
        assert_eq!(none.code, "kvmlab::console::lab_without_steps");
        assert_eq!((none.file.as_str(), none.line), ("lab.rhai", 1));
        assert!(none.help.unwrap().contains(":load lab.rhai"));
        let broken = lab("step(\"a\");\nlet = 2;\n").err().unwrap();
        assert_eq!((broken.file.as_str(), broken.line), ("lab.rhai", 2));
        assert!(broken.code.starts_with("kvmlab::"), "{}", broken.code);
    }

    #[test]
    fn a_check_reading_a_variable_only_the_lab_defines_is_named() {
        let lab = lab(LAB).unwrap();
        let check = lab.steps[1].checks().next().unwrap();
        let scope = Scope::new();
        let missing = lab.undefined_in(check, &scope).unwrap();
        assert_eq!(missing.code, "kvmlab::console::step_variable_undefined");
        assert_eq!(missing.line, 19);
        assert!(missing.message.contains("`memory`"), "{}", missing.message);
        assert!(missing.help.unwrap().starts_with("`:step run` runs"));
        let mut defined = Scope::new();
        defined.push("memory", 1_i64);
        assert!(lab.undefined_in(check, &defined).is_none());
    }

    #[test]
    fn lab_names_resolve_in_the_labs_folder() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["01-hosts.rhai", "02-nas.rhai", "021-more.rhai"] {
            std::fs::write(dir.path().join(name), "step(\"a\");\n").unwrap();
        }
        let labs = dir.path();
        assert_eq!(resolve("01", labs).unwrap(), labs.join("01-hosts.rhai"));
        assert_eq!(
            resolve("01-hosts", labs).unwrap(),
            labs.join("01-hosts.rhai")
        );
        assert_eq!(
            resolve("02-nas.rhai", labs).unwrap(),
            labs.join("02-nas.rhai")
        );
        let full = labs.join("021-more.rhai");
        assert_eq!(resolve(full.to_str().unwrap(), labs).unwrap(), full);
        assert_eq!(resolve("01-ho", labs).unwrap(), labs.join("01-hosts.rhai"));
        assert_eq!(resolve("02", labs).unwrap(), labs.join("02-nas.rhai"));
        let near = resolve("01-hostz", labs).unwrap_err();
        assert_eq!(near.code_str(), "kvmlab::console::no_such_lab");
        assert_eq!(
            near.help_str().unwrap(),
            "did you mean `01-hosts`? the labs there: 01-hosts, 02-nas, 021-more"
        );
        let both = resolve("0", labs).unwrap_err();
        assert_eq!(both.code_str(), "kvmlab::console::ambiguous_lab");
    }
}
