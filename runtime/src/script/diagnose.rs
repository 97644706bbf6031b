//! From Rhai's errors to kvmlab diagnostics: a code, a message a trainee understands, a
//! `help:` (with "did you mean …" where a near name exists) and the line in the trainee's file.

use super::engine::LimitReached;
use super::modules::STDLIB_PREFIX;
use crate::diagnostic::{Diagnostic, Location};
use crate::error::{Error, Severity};
use rhai::{Engine, EvalAltResult, ParseErrorType, Position};

/// A Rhai error read as a kvmlab error.
pub enum Classified {
    /// A sandbox limit: never catchable by the script (`expect_error` re-raises it).
    Sandbox(Error),
    Catchable(Error),
}

impl Classified {
    pub fn into_error(self) -> Error {
        match self {
            Classified::Sandbox(e) | Classified::Catchable(e) => e,
        }
    }
}

/// Pins a Rhai error to the innermost line of the trainee's own files; a position inside a
/// stdlib module is kept as `inside`.
pub fn diagnose(
    err: &EvalAltResult,
    engine: &Engine,
    main_file: &str,
    sources: &dyn Fn(&str) -> Option<String>,
) -> Diagnostic {
    let mut source = main_file.to_string();
    let mut in_user_file: Option<(String, Position)> = None;
    let mut innermost: Option<(String, Position)> = None;
    let mut current = err;
    loop {
        let pos = current.position();
        if !pos.is_none() {
            innermost = Some((source.clone(), pos));
            if !source.starts_with(STDLIB_PREFIX) {
                in_user_file = Some((source.clone(), pos));
            }
        }
        match current {
            EvalAltResult::ErrorInFunctionCall(_, fn_source, inner, _) => {
                if !fn_source.is_empty() {
                    source = fn_source.clone();
                }
                current = inner;
            }
            EvalAltResult::ErrorInModule(path, inner, _) => {
                source = path.clone();
                current = inner;
            }
            _ => break,
        }
    }
    let error = classify(current, engine).into_error();
    let error = match error {
        Error::ValueInUse { .. } => innermost
            .as_ref()
            .and_then(|(f, p)| Some((sources(f)?, *p)))
            .and_then(|(text, pos)| closure_calling_itself(&text, pos, engine))
            .unwrap_or(error),
        other => other,
    };
    let error = with_suggestions(
        error,
        innermost.as_ref().and_then(|(f, _)| sources(f)).as_deref(),
    );
    let (file, pos) = in_user_file
        .clone()
        .or_else(|| innermost.clone())
        .unwrap_or((main_file.to_string(), Position::NONE));
    let mut diagnostic = Diagnostic::new(
        &error,
        Severity::Error,
        &file,
        pos.line().unwrap_or(0),
        pos.position().unwrap_or(0),
    );
    if let (Some((inner_file, inner_pos)), Some(_)) = (&innermost, &in_user_file) {
        if inner_file.starts_with(STDLIB_PREFIX) {
            diagnostic.inside = Some(Location {
                file: inner_file.clone(),
                line: inner_pos.line().unwrap_or(0),
                column: inner_pos.position().unwrap_or(0),
            });
        }
    }
    diagnostic
}

const VALUE_IN_USE_HELP: &str = "a method locks the value it runs on until it returns, so its closure cannot change or call that value: work on a copy, or collect the results and apply them after the call";

/// `f.call(..)` inside the closure `f` itself: the method call locks `f`, so the closure's
/// own `f.call(..)` finds it in use. `call(f, ..)` does not lock it.
fn closure_calling_itself(source: &str, pos: Position, engine: &Engine) -> Option<Error> {
    let line = source.lines().nth(pos.line()?.checked_sub(1)?)?;
    let column = pos.position()?.checked_sub(1)?;
    let before = line.get(..column)?;
    let rest = line.get(column..)?;
    if !rest.starts_with("call") || !before.ends_with('.') {
        return None;
    }
    let receiver = &before[..before.len() - 1];
    let name_start = receiver
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let name = &receiver[name_start..];
    if name.is_empty() {
        return None;
    }
    Some(Error::ValueInUse {
        message: format!(
            "the closure in `{name}` calls itself with `{name}.call(..)`, but `{name}` is locked by the call that is running"
        ),
        help: format!(
            "write `call({name}, ..)` instead: it calls the closure without locking `{name}`, and a recursion that never ends then stops at the call-depth limit ({} nested calls)",
            engine.max_call_levels()
        ),
    })
}

/// Reads one (innermost) Rhai error as a kvmlab error.
pub fn classify(err: &EvalAltResult, engine: &Engine) -> Classified {
    use EvalAltResult as E;
    let limits = |e| Classified::Sandbox(e);
    let plain = || {
        let text = err.to_string();
        match text.rfind(" (line ") {
            Some(at) if text.ends_with(')') => text[..at].to_string(),
            _ => text,
        }
    };
    let error = match err {
        E::ErrorInFunctionCall(_, _, inner, _) | E::ErrorInModule(_, inner, _) => {
            return classify(inner, engine)
        }
        E::ErrorParsing(parse, _) => return parse_error(parse, engine),
        E::ErrorTooManyOperations(_) => {
            return limits(Error::OperationBudget {
                limit: engine.max_operations(),
            })
        }
        E::ErrorStackOverflow(_) => {
            return limits(Error::CallDepth {
                limit: engine.max_call_levels(),
            })
        }
        E::ErrorDataTooLarge(what, _) => {
            let limit = match what.to_ascii_lowercase() {
                w if w.contains("string") => engine.max_string_size(),
                w if w.contains("array") => engine.max_array_size(),
                w if w.contains("map") => engine.max_map_size(),
                _ => 0,
            };
            return limits(Error::DataTooLarge {
                what: what.clone(),
                limit,
            });
        }
        E::ErrorTooManyVariables(_) => {
            return limits(Error::TooMany {
                what: "variables".into(),
                limit: engine.max_variables(),
            })
        }
        E::ErrorTooManyModules(_) => {
            return limits(Error::TooMany {
                what: "imported modules".into(),
                limit: engine.max_modules(),
            })
        }
        E::ErrorTerminated(token, _) => {
            return limits(match token.clone().try_cast::<LimitReached>() {
                Some(LimitReached::Operations) => Error::OperationBudget {
                    limit: engine.max_operations(),
                },
                Some(LimitReached::WallTime(seconds)) => Error::WallTime { seconds },
                Some(LimitReached::Memory(bytes)) => Error::MemoryLimit {
                    limit: crate::units::human_size(bytes),
                },
                Some(LimitReached::Interrupted) => Error::Interrupted,
                None => Error::WallTime { seconds: 0 },
            });
        }
        E::ErrorRuntime(value, _) => match value.clone().try_cast::<Error>() {
            // A limit a world operation reached (a file's size, the number of hosts) is a
            // sandbox limit like the engine's own: not catchable.
            Some(error) if error.is_sandbox_limit() => return limits(error),
            Some(error) => error,
            None => Error::Thrown {
                message: value.to_string(),
            },
        },
        E::ErrorVariableNotFound(name, _) => Error::UnknownVariable {
            name: name.clone(),
            help: String::new(),
        },
        E::ErrorFunctionNotFound(signature, _) => unknown_function(signature, engine),
        E::ErrorDotExpr(message, _) if message.starts_with("Unknown property '") => {
            // "Unknown property 'p' - a getter is not registered for type 'T'"
            let mut quoted = message.split('\'').skip(1).step_by(2);
            let property = quoted.next().unwrap_or_default();
            let type_name = quoted.next().unwrap_or_default();
            unknown_function(&format!("get${property} ({type_name})"), engine)
        }
        E::ErrorPropertyNotFound(property, _) => Error::UnknownProperty {
            property: property.clone(),
            type_name: "this object".into(),
            help: String::new(),
        },
        E::ErrorModuleNotFound(path, _) => Error::ModuleNotFound {
            path: path.clone(),
            help: format!("stdlib modules are imported as \"{STDLIB_PREFIX}NAME\""),
        },
        E::ErrorMismatchDataType(expected, found, _)
        | E::ErrorMismatchOutputType(expected, found, _) => Error::TypeMismatch {
            expected: engine.map_type_name(expected).to_string(),
            found: engine.map_type_name(found).to_string(),
        },
        E::ErrorArrayBounds(len, index, _) => Error::Index {
            message: format!("array index {index} is out of bounds: the array has {len} elements"),
            help: "indices run from 0 to len() - 1; negative indices count from the end".into(),
        },
        E::ErrorStringBounds(len, index, _) => Error::Index {
            message: format!(
                "string index {index} is out of bounds: the string has {len} characters"
            ),
            help: "indices run from 0 to len() - 1".into(),
        },
        E::ErrorIndexNotFound(..) | E::ErrorIndexingType(..) | E::ErrorBitFieldBounds(..) => {
            Error::Index {
                message: plain(),
                help: "check the value being indexed and the index's type".into(),
            }
        }
        E::ErrorArithmetic(message, _) => Error::Arithmetic {
            message: message.clone(),
        },
        E::ErrorDataRace(detail, _) => Error::ValueInUse {
            message: if detail.is_empty() {
                "a value is used inside a method call that is running on it".into()
            } else {
                format!("{detail} is a value that the call running already uses")
            },
            help: VALUE_IN_USE_HELP.into(),
        },
        E::ErrorAssignmentToConstant(name, _) => Error::Runtime {
            message: format!("`{name}` is a constant: it cannot be given another value"),
            help: format!(
                "a constant (a `const`, or a variable an exercise's setup hands over) keeps its value; to work with another one, make a variable of another name: `let other_{name} = ...;`"
            ),
        },
        E::ErrorFor(_) => Error::Runtime {
            message: "`for` needs an array, a range or an iterator".into(),
            help: "loop over e.g. `0..10` or an array".into(),
        },
        _ => Error::Runtime {
            message: plain(),
            help: "see the book's chapter \"Scripts\" for the language rules".into(),
        },
    };
    Classified::Catchable(error)
}

fn parse_error(parse: &ParseErrorType, engine: &Engine) -> Classified {
    use ParseErrorType as P;
    let syntax = |message: String, help: &str| Error::Syntax {
        message,
        help: help.to_string(),
    };
    let error = match parse {
        P::Reserved(word) if word == "eval" => Error::EvalDisabled,
        P::BadInput(lex) if lex.to_string().contains("'eval'") => Error::EvalDisabled,
        P::ExprTooDeep => return Classified::Sandbox(Error::ExpressionDepth),
        P::TooManyFunctions => {
            return Classified::Sandbox(Error::TooMany {
                what: "functions".into(),
                limit: engine.max_functions(),
            })
        }
        P::LiteralTooLarge(what, limit) => {
            return Classified::Sandbox(Error::DataTooLarge {
                what: what.clone(),
                limit: *limit,
            })
        }
        P::UnexpectedEOF => syntax(
            "the script ends in the middle of a statement".into(),
            "close every `(`, `[`, `{` and string you opened",
        ),
        P::MissingToken(token, description) if super::check::is_check_syntax(description) => {
            syntax(
                format!("expected `{token}` {description}"),
                &format!("write {}", super::check::USAGE),
            )
        }
        P::MissingToken(token, description) => syntax(
            format!("expected `{token}` {description}"),
            &format!("add the missing `{token}`"),
        ),
        P::VariableUndefined(name) => Error::UnknownVariable {
            name: name.clone(),
            help: String::new(),
        },
        other => syntax(
            other.to_string(),
            "statements end with `;`, blocks use `{ }`, strings use double quotes",
        ),
    };
    Classified::Catchable(error)
}

/// Unknown function: name its real signatures when only the arguments were wrong, otherwise
/// the nearest known name.
fn unknown_function(signature: &str, engine: &Engine) -> Error {
    let name = signature.split(" (").next().unwrap_or(signature).trim();
    if let Some(property) = name
        .strip_prefix("get$")
        .or_else(|| name.strip_prefix("set$"))
    {
        let type_name = signature
            .split(" (")
            .nth(1)
            .map(|rest| {
                // One `)` closes the list; `()` itself ends in another.
                rest.strip_suffix(')')
                    .unwrap_or(rest)
                    .split(',')
                    .next()
                    .unwrap_or("")
                    .trim()
            })
            .map(|t| engine.map_type_name(t).to_string())
            .unwrap_or_else(|| "this value".into());
        let properties = engine
            .gen_fn_signatures(false)
            .into_iter()
            .filter_map(|sig| {
                let prop = sig.strip_prefix("get$")?;
                let (prop, args) = prop.split_once('(')?;
                let args = args.replace("&mut ", "");
                args.starts_with(&format!("_: {type_name})"))
                    .then(|| prop.to_string())
            })
            .collect::<Vec<_>>();
        let help = if type_name == "()" {
            "the value is `()`, nothing: the map or object it came from has no such key".to_string()
        } else {
            suggest(property, properties.iter().map(String::as_str))
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| {
                    if properties.is_empty() {
                        format!("{type_name} has no properties")
                    } else {
                        format!("{type_name} has: {}", properties.join(", "))
                    }
                })
        };
        return Error::UnknownProperty {
            property: property.to_string(),
            type_name: type_name.clone(),
            help,
        };
    }
    let signatures: Vec<String> = engine
        .gen_fn_signatures(false)
        .iter()
        .map(|s| readable_signature(s))
        .collect();
    let same_name: Vec<&String> = signatures
        .iter()
        .filter(|s| s.split('(').next() == Some(name))
        .collect();
    let help = if !same_name.is_empty() {
        format!(
            "`{name}` takes other arguments: {}",
            same_name
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" | ")
        )
    } else {
        let own = signatures.iter().filter_map(|s| s.split('(').next());
        let builtin = engine
            .gen_fn_signatures(true)
            .into_iter()
            .filter_map(|s| s.split('(').next().map(str::to_string))
            .collect::<Vec<_>>();
        match suggest(name, own.chain(builtin.iter().map(String::as_str))) {
            Some(near) => format!("did you mean `{near}`?"),
            None => "`kvmlab doc` lists every function (the book's page \"Reference\")".to_string(),
        }
    };
    Error::UnknownFunction {
        signature: readable_signature(signature),
        help,
    }
}

/// A signature as a trainee reads it: script type names, no Rust paths.
pub(crate) fn readable_signature(signature: &str) -> String {
    let mut text = signature
        .replace("&mut ", "")
        .replace("&str | ImmutableString | String", "String")
        .replace("rhai::types::dynamic::Dynamic", "?")
        .replace("types::dynamic::Dynamic", "?");
    // `core::result::Result<T,alloc::boxed::Box<…EvalAltResult>>` is just T to a script.
    while let Some(start) = text.find("core::result::Result<") {
        let inner = start + "core::result::Result<".len();
        let Some(comma) = text[inner..].find(',').map(|c| inner + c) else {
            break;
        };
        let Some(end) = text[comma..].find(">>").map(|e| comma + e + 2) else {
            break;
        };
        let ok_type = text[inner..comma].to_string();
        text.replace_range(start..end, &ok_type);
    }
    text.replace("-> ()", "").trim_end().to_string()
}

/// Fills in "did you mean" for unknown variables, from the names the source declares.
fn with_suggestions(error: Error, source: Option<&str>) -> Error {
    match error {
        Error::UnknownVariable { name, help } if help.is_empty() => {
            let declared = source.map(declared_names).unwrap_or_default();
            let help = suggest(&name, declared.iter().map(String::as_str))
                .map(|near| format!("did you mean `{near}`?"))
                .unwrap_or_else(|| format!("declare it first: `let {name} = ...;`"));
            Error::UnknownVariable { name, help }
        }
        other => other,
    }
}

fn declared_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut words = source
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .peekable();
    while let Some(word) = words.next() {
        if matches!(word, "let" | "const" | "for" | "fn" | "as") {
            if let Some(next) = words.peek() {
                names.push(next.to_string());
            }
        }
    }
    names
}

/// The candidate nearest to `name`, other than `name` itself, if it is a likely typo.
fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    crate::suggest::closest(name, candidates.filter(|c| *c != name)).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_pick_the_nearest_name() {
        let names = ["check", "check_eq", "step", "record"];
        assert_eq!(suggest("chek", names.into_iter()).as_deref(), Some("check"));
        assert_eq!(
            suggest("recrod", names.into_iter()).as_deref(),
            Some("record")
        );
        assert_eq!(suggest("zzzzzz", names.into_iter()), None);
    }

    #[test]
    fn signatures_read_as_script_types() {
        assert_eq!(
            readable_signature("index$get$(_: &mut Rows, _: i64) -> core::result::Result<rhai::types::dynamic::Dynamic,alloc::boxed::Box<rhai::types::error::EvalAltResult>>"),
            "index$get$(_: Rows, _: i64) -> ?"
        );
        assert_eq!(
            readable_signature("check(condition: bool, name: String) -> ()"),
            "check(condition: bool, name: String)"
        );
    }

    #[test]
    fn declared_names_come_from_let_const_for_and_fn() {
        let src = "let host = 1; const LIMIT = 2; for (i, n) in x {} fn boot(a) {}";
        assert_eq!(declared_names(src), ["host", "LIMIT", "i", "boot"]);
    }
}
