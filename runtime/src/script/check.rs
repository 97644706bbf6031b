//! `check(condition, name)` and `check(condition, name, message)` as syntax, so that a failed
//! check can say why: the condition's source text and the values in it
//! (`` `pool.volumes().len() == 1` is false, where pool.volumes().len() = 0 ``).
//!
//! A native function sees only the final `false`; the syntax sees the condition's expression
//! tree. Comparisons, `!`, `&&` and `||` are evaluated part by part (each part exactly once,
//! so a `ping` or `migrate` in a condition runs once), and plain variables and property paths
//! in the condition are read again afterwards, which has no side effect. The native `check`
//! functions stay registered: they document `check` in the engine's metadata and serve calls
//! through a function pointer (`Fn("check")`).

use super::lab_api::record_check_at;
use super::modules::Sources;
use super::network::PingResult;
use super::SharedSession;
use crate::error::Error;
use crate::units::human_number;
use rhai::{
    BinaryExpr, Dynamic, Engine, EvalAltResult, EvalContext, Expr, Expression, ImmutableString,
    ParseError, ParseErrorType, Position,
};

const COMPARISONS: [&str; 6] = ["==", "!=", "<", "<=", ">", ">="];
/// Values longer than this are cut in a check's message.
const MAX_VALUE_CHARS: usize = 40;
/// At most this many values follow `where`.
const MAX_FACTS: usize = 4;
/// An expression [`printed`] cannot show; its value is not listed.
const UNPRINTED: &str = "…";

/// How `check` is written, for syntax errors' help.
pub const USAGE: &str = "`check(condition, name)` or `check(condition, name, message)`";

/// Ends the syntax: Rhai then adds an input holding the position of the `check` keyword.
const END: &str = "$$check";

pub fn register(engine: &mut Engine, session: &SharedSession, sources: &Sources) {
    let (s, sources) = (session.clone(), sources.clone());
    engine.register_custom_syntax_with_state_raw(
        "check",
        |symbols, look_ahead, _| {
            let missing = |token: &str, after: &str| {
                let error = ParseErrorType::MissingToken(token.into(), after.into());
                Err(ParseError(Box::new(error), Position::NONE))
            };
            if symbols.last().is_some_and(|s| s == ")") {
                return Ok(Some(ImmutableString::from(END)));
            }
            let next = match (symbols.len(), look_ahead) {
                (1, "(") => "(",
                (1, _) => return missing("(", "after `check`"),
                (2 | 4 | 6, _) => "$expr$",
                (3, ",") => ",",
                (3, "=") => return missing("==", "to compare in check's condition (`=` assigns)"),
                (3, _) => return missing(",", "and a name after check's condition"),
                (5, ",") => ",",
                (5 | 7, ")") => ")",
                _ => return missing(")", "to close check"),
            };
            Ok(Some(ImmutableString::from(next)))
        },
        false,
        move |ctx, inputs, _| run_check(ctx, inputs, &s, &sources),
    );
}

/// Whether a missing-token parse error is about `check`'s arguments.
pub fn is_check_syntax(description: &str) -> bool {
    [
        "after `check`",
        "check's condition",
        "to close check",
        "for 'check'",
    ]
    .iter()
    .any(|marker| description.contains(marker))
}

fn run_check(
    ctx: &mut EvalContext,
    inputs: &[Expression],
    session: &SharedSession,
    sources: &Sources,
) -> Result<Dynamic, Box<EvalAltResult>> {
    let (keyword, inputs) = inputs
        .split_last()
        .expect("the syntax ends with its marker");
    let keyword = keyword.position();
    let condition: &Expr = &inputs[0];
    let file = ctx
        .source()
        .map(str::to_string)
        .unwrap_or_else(|| session.borrow().main_file.clone());

    let mut facts = Facts::default();
    let value = evaluate(ctx, condition, &mut facts)?;
    let mut arguments = vec![value];
    for input in &inputs[1..] {
        arguments.push(ctx.eval_expression_tree(input)?);
    }
    let texts: Vec<String> = arguments[1..]
        .iter()
        .filter_map(|a| a.clone().into_immutable_string().ok())
        .map(|t| t.to_string())
        .collect();
    let (passed, name, message) = match (arguments[0].as_bool(), texts.as_slice()) {
        (Ok(passed), [name]) => (passed, name.clone(), None),
        (Ok(passed), [name, message]) => (passed, name.clone(), Some(message.clone())),
        _ => {
            // Wrong types: the function's own error lists the signatures `check` takes.
            let call = ctx.call_fn::<Dynamic>("check", arguments);
            return call.map_err(|mut err| {
                err.set_position(keyword);
                err
            });
        }
    };
    let message = if passed {
        message.unwrap_or_else(|| "ok".to_string())
    } else {
        for (path, text) in pure_paths(condition) {
            if facts.knows(&text) {
                continue;
            }
            // Only to explain: a path that cannot be read (a variable an `||` never reached
            // defines) is left out rather than turned into an error.
            let value = ctx.eval_expression_tree(&Expression::from(path));
            if let Some(value) = value.ok().filter(is_plain_data) {
                facts.push(text, &value);
            }
        }
        let source = sources
            .borrow()
            .get(&file)
            .and_then(|text| condition_text(text, keyword))
            .unwrap_or_else(|| printed(condition));
        note_path_roots(ctx, condition, &mut facts);
        let why = format!(
            "`{source}` is false{}{}",
            facts.where_clause(),
            facts.failed_pings()
        );
        match message {
            Some(message) if is_literal(condition) => message,
            Some(message) => format!("{message} ({why})"),
            None => why,
        }
    };
    record_check_at(
        session,
        &file,
        keyword.line().unwrap_or(0),
        &name,
        passed,
        message,
    )
    .map_err(|mut err| {
        err.set_position(keyword);
        err
    })?;
    Ok(Dynamic::UNIT)
}

/// Reads the root variable of each property path in `condition` (`r` in `r.reachable`),
/// for the results whose failure explains a `false`.
fn note_path_roots(ctx: &mut EvalContext, condition: &Expr, facts: &mut Facts) {
    for (path, _) in pure_paths(condition) {
        let root = match path {
            Expr::Dot(x, ..) => &x.lhs,
            other => other,
        };
        if let Ok(value) = ctx.eval_expression_tree(&Expression::from(root)) {
            facts.note_result(printed(root), &value);
        }
    }
}

/// What a failed condition held: (printed sub-expression, value for people).
#[derive(Default)]
struct Facts {
    values: Vec<(String, String)>,
    /// Pings in the condition that failed, by their text: their failure explains a `false`.
    pings: Vec<(String, Error)>,
}

impl Facts {
    fn knows(&self, text: &str) -> bool {
        self.values.iter().any(|(t, _)| t == text)
    }

    /// Keeps `value`'s failure when it is a ping that did not get through.
    fn note_result(&mut self, text: String, value: &Dynamic) {
        let failure = value
            .read_lock::<PingResult>()
            .and_then(|p| p.0.failure.clone());
        if let Some(failure) = failure {
            if text != UNPRINTED && !self.pings.iter().any(|(t, _)| *t == text) {
                self.pings.push((text, failure));
            }
        }
    }

    /// "; r: sv1 has no route to …; help: …" for each failed ping.
    fn failed_pings(&self) -> String {
        let mut text = String::new();
        for (name, failure) in &self.pings {
            text.push_str(&format!("; {name}: {failure}"));
            if let Some(help) = failure.help_str() {
                text.push_str(&format!("; help: {help}"));
            }
        }
        text
    }

    fn push(&mut self, text: String, value: &Dynamic) {
        let unnamed = text == UNPRINTED;
        if !unnamed && !self.knows(&text) && self.values.len() < MAX_FACTS {
            self.values.push((
                text,
                crate::text::cut(&shown_value(value, true), MAX_VALUE_CHARS),
            ));
        }
    }

    fn where_clause(&self) -> String {
        if self.values.is_empty() {
            return String::new();
        }
        let facts: Vec<String> = self
            .values
            .iter()
            .map(|(t, v)| format!("{t} = {v}"))
            .collect();
        format!(", where {}", facts.join(", "))
    }
}

/// Evaluates `expr` once; the operands of comparisons, `!`, `&&` and `||` are evaluated
/// separately and remembered in `facts` (literals excepted).
fn evaluate(
    ctx: &mut EvalContext,
    expr: &Expr,
    facts: &mut Facts,
) -> Result<Dynamic, Box<EvalAltResult>> {
    match expr {
        Expr::FnCall(call, pos) if is_operator(call) => {
            let mut operands = Vec::with_capacity(call.args.len());
            for arg in call.args.iter() {
                let value = evaluate(ctx, arg, facts)?;
                if !is_literal(arg) && !is_operator_call(arg) {
                    facts.push(printed(arg), &value);
                }
                operands.push(Expr::DynamicConstant(Box::new(value), arg.position()));
            }
            let mut call = call.clone();
            call.args = operands.into_iter().collect();
            ctx.eval_expression_tree(&Expression::from(&Expr::FnCall(call, *pos)))
        }
        Expr::And(parts, _) | Expr::Or(parts, _) => {
            let stop_at = matches!(expr, Expr::Or(..));
            for part in parts.iter() {
                let value = evaluate(ctx, part, facts)?;
                let truth = value.as_bool().map_err(|_| {
                    Box::new(EvalAltResult::ErrorMismatchDataType(
                        "bool".into(),
                        value.type_name().into(),
                        part.position(),
                    ))
                })?;
                if truth == stop_at {
                    return Ok(Dynamic::from(truth));
                }
                if !is_operator_call(part) && !is_literal(part) {
                    facts.push(printed(part), &value);
                }
            }
            Ok(Dynamic::from(!stop_at))
        }
        // `sv1.ping("sv2").reachable`: the call runs once, and its result is kept.
        Expr::Dot(x, flags, pos) => match &x.rhs {
            Expr::Dot(y, inner_flags, inner_pos)
                if matches!(y.lhs, Expr::MethodCall(..)) && matches!(y.rhs, Expr::Property(..)) =>
            {
                let call = Expr::Dot(
                    Box::new(BinaryExpr {
                        lhs: x.lhs.clone(),
                        rhs: y.lhs.clone(),
                    }),
                    *flags,
                    *pos,
                );
                let target = ctx.eval_expression_tree(&Expression::from(&call))?;
                facts.note_result(printed(&call), &target);
                let read = Expr::Dot(
                    Box::new(BinaryExpr {
                        lhs: Expr::DynamicConstant(Box::new(target), *pos),
                        rhs: y.rhs.clone(),
                    }),
                    *inner_flags,
                    *inner_pos,
                );
                ctx.eval_expression_tree(&Expression::from(&read))
            }
            _ => ctx.eval_expression_tree(&Expression::from(expr)),
        },
        _ => ctx.eval_expression_tree(&Expression::from(expr)),
    }
}

/// A comparison or `!`: evaluated operand by operand.
fn is_operator(call: &rhai::FnCallExpr) -> bool {
    let name = call.name.as_str();
    let comparison = call.args.len() == 2 && COMPARISONS.contains(&name);
    let negation = call.args.len() == 1 && name == "!";
    call.namespace.is_empty() && (comparison || negation)
}

fn is_operator_call(expr: &Expr) -> bool {
    matches!(expr, Expr::FnCall(call, _) if is_operator(call))
        || matches!(expr, Expr::And(..) | Expr::Or(..))
}

fn is_literal(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::DynamicConstant(..)
            | Expr::BoolConstant(..)
            | Expr::IntegerConstant(..)
            | Expr::FloatConstant(..)
            | Expr::CharConstant(..)
            | Expr::StringConstant(..)
            | Expr::Unit(..)
    )
}

/// Variables and property paths (`g.host.name`) in `expr`, outside closures: reading them
/// again has no side effect.
fn pure_paths(expr: &Expr) -> Vec<(&Expr, String)> {
    fn is_pure(expr: &Expr) -> bool {
        match expr {
            Expr::Variable(..) | Expr::ThisPtr(..) => true,
            Expr::Dot(x, ..) => is_pure(&x.lhs) && is_property_chain(&x.rhs),
            _ => false,
        }
    }
    fn is_property_chain(expr: &Expr) -> bool {
        match expr {
            Expr::Property(..) => true,
            Expr::Dot(x, ..) => is_property_chain(&x.lhs) && is_property_chain(&x.rhs),
            _ => false,
        }
    }
    fn walk<'e>(expr: &'e Expr, found: &mut Vec<(&'e Expr, String)>) {
        if is_pure(expr) {
            if !matches!(expr, Expr::Variable(v, ..) if !v.2.is_empty()) {
                found.push((expr, printed(expr)));
            }
            return;
        }
        match expr {
            Expr::FnCall(call, _) | Expr::MethodCall(call, _) => {
                call.args.iter().for_each(|a| walk(a, found));
            }
            Expr::Dot(x, ..) | Expr::Index(x, ..) => {
                walk(&x.lhs, found);
                if let Expr::MethodCall(call, _) = &x.rhs {
                    call.args.iter().for_each(|a| walk(a, found));
                } else if matches!(expr, Expr::Index(..)) {
                    walk(&x.rhs, found);
                }
            }
            Expr::And(parts, _) | Expr::Or(parts, _) | Expr::Coalesce(parts, _) => {
                parts.iter().for_each(|p| walk(p, found));
            }
            Expr::Array(items, _) | Expr::InterpolatedString(items, _) => {
                items.iter().for_each(|i| walk(i, found));
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(expr, &mut found);
    found
}

/// A sub-expression printed back as Rhai text, for the names of the values after `where`.
fn printed(expr: &Expr) -> String {
    let args =
        |call: &rhai::FnCallExpr| call.args.iter().map(printed).collect::<Vec<_>>().join(", ");
    let operand = |expr: &Expr| {
        let binary = matches!(expr, Expr::FnCall(call, _) if call.op_token.is_some() && call.args.len() == 2);
        if binary || matches!(expr, Expr::And(..) | Expr::Or(..)) {
            format!("({})", printed(expr))
        } else {
            printed(expr)
        }
    };
    match expr {
        Expr::DynamicConstant(value, _) if value.is_fnptr() => "|…| …".to_string(),
        Expr::DynamicConstant(value, _) => shown_value(value, true),
        Expr::BoolConstant(b, _) => b.to_string(),
        Expr::IntegerConstant(i, _) => i.to_string(),
        Expr::FloatConstant(f, _) => format!("{:?}", **f),
        Expr::CharConstant(c, _) => format!("{c:?}"),
        Expr::StringConstant(s, _) => format!("{:?}", s.as_str()),
        Expr::Unit(_) => "()".to_string(),
        Expr::Variable(v, ..) if v.2.is_empty() => v.1.to_string(),
        Expr::Variable(v, ..) => format!("{}::{}", v.2, v.1),
        Expr::ThisPtr(_) => "this".to_string(),
        Expr::Property(p, _) => p.2.to_string(),
        Expr::MethodCall(call, _) => format!("{}({})", call.name, args(call)),
        Expr::FnCall(call, _) if call.op_token.is_some() && call.args.len() == 2 => format!(
            "{} {} {}",
            operand(&call.args[0]),
            call.name,
            operand(&call.args[1])
        ),
        Expr::FnCall(call, _) if call.op_token.is_some() && call.args.len() == 1 => {
            format!("{}{}", call.name, operand(&call.args[0]))
        }
        Expr::FnCall(call, _) if call.namespace.is_empty() => {
            format!("{}({})", call.name, args(call))
        }
        Expr::FnCall(call, _) => format!("{}::{}({})", call.namespace, call.name, args(call)),
        Expr::Dot(x, ..) => format!("{}.{}", printed(&x.lhs), printed(&x.rhs)),
        Expr::Index(x, ..) => format!("{}[{}]", printed(&x.lhs), printed(&x.rhs)),
        Expr::And(parts, _) | Expr::Or(parts, _) => {
            let op = if matches!(expr, Expr::And(..)) {
                " && "
            } else {
                " || "
            };
            parts.iter().map(operand).collect::<Vec<_>>().join(op)
        }
        Expr::Array(items, _) => format!(
            "[{}]",
            items.iter().map(printed).collect::<Vec<_>>().join(", ")
        ),
        _ => UNPRINTED.to_string(),
    }
}

/// The condition's text in `source`: from the `(` after the `check` keyword at `keyword` to
/// the comma at the condition's own nesting level, blanks folded.
fn condition_text(source: &str, keyword: Position) -> Option<String> {
    let (line, column) = (keyword.line()?, keyword.position()?);
    let line_start: usize = source
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let offset = line_start
        + source
            .get(line_start..)?
            .char_indices()
            .nth(column.saturating_sub(1))?
            .0;
    let open = offset + source[offset..].find('(')? + 1;
    let end = open + top_level_comma(&source[open..])?;
    Some(
        source[open..end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Byte offset of the first `,` outside brackets, strings and comments.
fn top_level_comma(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.checked_sub(1)?,
            ',' if depth == 0 => return Some(i),
            '"' | '`' | '\'' => {
                let mut escaped = false;
                for (_, d) in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if d == '\\' {
                        escaped = true;
                    } else if d == c {
                        break;
                    }
                }
            }
            '/' if chars.peek().map(|(_, d)| *d) == Some('/') => {
                for (_, d) in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    None
}

fn is_plain_data(value: &Dynamic) -> bool {
    value.is_unit()
        || value.is_bool()
        || value.is_int()
        || value.is_float()
        || value.is_string()
        || value.is_char()
        || value.is_array()
        || value.is_map()
}

/// A value as people read it in a check's message: numbers rounded ([`human_number`](crate::units::human_number)),
/// strings quoted when `quote` is set.
pub fn shown_value(value: &Dynamic, quote: bool) -> String {
    let value = &value.flatten_clone();
    if value.is_unit() {
        // A map's missing key, a function that returns nothing.
        "()".to_string()
    } else if let Ok(f) = value.as_float() {
        human_number(f)
    } else if let Some(text) = value.read_lock::<ImmutableString>() {
        if quote {
            format!("{:?}", text.as_str())
        } else {
            text.to_string()
        }
    } else if let Some(items) = value.read_lock::<rhai::Array>() {
        let items: Vec<String> = items.iter().map(|v| shown_value(v, true)).collect();
        format!("[{}]", items.join(", "))
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_condition_is_found_between_check_and_its_comma() {
        let source = "let a = 1;\n  check( (a + 1) == f(\"x, y\", [1, 2]) // a, b\n, \"name\");\n";
        assert_eq!(
            condition_text(source, Position::new(2, 3)).as_deref(),
            Some("(a + 1) == f(\"x, y\", [1, 2]) // a, b")
        );
        assert_eq!(condition_text(source, Position::new(9, 1)), None);
    }
}
