//! The rubric of an exercise: `rubric(name, #{points, feedback, visibility, needs}, |lab| ..)`
//! and `partial(fraction, why)`, registered only in the grader's checks engine
//! ([`super::engine::build_checks`]). Running `checks.rhai` collects the items; the grader
//! calls each item's closure later, against the world a submission left.

use super::{raise, reg, Outcome};
use crate::error::Error;
use rhai::{Dynamic, Engine, FnPtr, Map, NativeCallContext, INT};
use std::cell::RefCell;
use std::rc::Rc;

/// Who may see an item's result (Gradescope's visibility values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Visible,
    Hidden,
    AfterDueDate,
}

impl Visibility {
    fn parse(text: &str) -> Option<Visibility> {
        match text {
            "visible" => Some(Visibility::Visible),
            "hidden" => Some(Visibility::Hidden),
            "after_due_date" => Some(Visibility::AfterDueDate),
            _ => None,
        }
    }
}

/// One rubric item as `checks.rhai` declared it.
#[derive(Debug, Clone)]
pub struct RubricItem {
    pub name: String,
    pub points: f64,
    pub feedback: String,
    pub visibility: Visibility,
    pub needs: Vec<String>,
    pub closure: FnPtr,
    /// The line of `checks.rhai` that declared it.
    pub line: usize,
}

/// The items a checks script declared, in order.
pub type Rubric = Rc<RefCell<Vec<RubricItem>>>;

/// The type `partial(..)` returns: a fraction of an item's points and why not all.
#[derive(Debug, Clone, PartialEq)]
pub struct Partial {
    pub fraction: f64,
    pub feedback: String,
}

const OPTION_KEYS: [&str; 4] = ["points", "feedback", "visibility", "needs"];

pub fn register(engine: &mut Engine, rubric: &Rubric) {
    engine.register_type_with_name::<Partial>("Partial");
    let items = rubric.clone();
    reg(
        "rubric",
        &["name: String", "options: Map", "check: FnPtr", "()"],
        "Declares a rubric item: #{points, feedback, visibility, needs} and a closure |lab| answering true, false, a fraction or partial(..).",
    )
    .register_into_engine(
        engine,
        move |ctx: NativeCallContext, name: &str, options: Map, check: FnPtr| -> Outcome<()> {
            let line = ctx.call_position().line().unwrap_or(0);
            let item = item(name, options, check, line, &items.borrow()).map_err(raise)?;
            items.borrow_mut().push(item);
            Ok(())
        },
    );
    reg(
        "partial",
        &["fraction: f64", "feedback: String", "Partial"],
        "A rubric answer worth `fraction` (0 to 1) of the item's points, with feedback saying what is missing.",
    )
    .register_into_engine(engine, |fraction: f64, feedback: &str| -> Outcome<Partial> {
        let fraction = fraction_in_range(fraction).map_err(raise)?;
        Ok(Partial {
            fraction,
            feedback: feedback.to_string(),
        })
    });
    engine.register_fn(
        "partial",
        |fraction: INT, feedback: &str| -> Outcome<Partial> {
            let fraction = fraction_in_range(fraction as f64).map_err(raise)?;
            Ok(Partial {
                fraction,
                feedback: feedback.to_string(),
            })
        },
    );
}

fn invalid(message: String, help: &str) -> Error {
    Error::Rubric {
        message,
        help: help.to_string(),
    }
}

fn fraction_in_range(fraction: f64) -> crate::Result<f64> {
    if (0.0..=1.0).contains(&fraction) {
        return Ok(fraction);
    }
    Err(invalid(
        format!("a fraction of an item's points must be between 0 and 1, not {fraction}"),
        "answer partial(0.5, \"why\") for half the points",
    ))
}

fn item(
    name: &str,
    mut options: Map,
    closure: FnPtr,
    line: usize,
    earlier: &[RubricItem],
) -> crate::Result<RubricItem> {
    if name.trim().is_empty() {
        return Err(invalid(
            "an item has an empty name".into(),
            "name each item as the trainee will read it in the gradebook, e.g. \"sv2 resolves on sv1\"",
        ));
    }
    if earlier.iter().any(|i| i.name == name) {
        return Err(invalid(
            format!("two items are named `{name}`"),
            "give each item its own name: gradebooks have one column per item",
        ));
    }
    if let Some(unknown) = options.keys().find(|k| !OPTION_KEYS.contains(&k.as_str())) {
        return Err(invalid(
            format!("`{name}` has an unknown option `{unknown}`"),
            "an item's options are points, feedback, visibility and needs",
        ));
    }
    let points = match options.remove("points") {
        Some(p) if p.is_int() => p.as_int().unwrap_or_default() as f64,
        Some(p) if p.is_float() => p.as_float().unwrap_or_default(),
        _ => {
            return Err(invalid(
                format!("`{name}` has no points"),
                "give the item its points, e.g. #{points: 2}",
            ))
        }
    };
    if !(points.is_finite() && points > 0.0) {
        return Err(invalid(
            format!("`{name}` is worth {points} points"),
            "an item is worth more than 0 points",
        ));
    }
    let feedback = match options.remove("feedback") {
        Some(f) if f.is_string() => f.into_string().unwrap_or_default(),
        None => String::new(),
        Some(other) => {
            return Err(invalid(
                format!(
                    "`{name}`'s feedback is a {}, not a string",
                    other.type_name()
                ),
                "feedback is the sentence a trainee reads when the item fails",
            ))
        }
    };
    let visibility = match options.remove("visibility") {
        None => Visibility::Visible,
        Some(v) => v
            .into_string()
            .ok()
            .and_then(|v| Visibility::parse(&v))
            .ok_or_else(|| {
                invalid(
                    format!("`{name}` has a visibility that is not one of the three"),
                    "visibility is \"visible\", \"hidden\" or \"after_due_date\"",
                )
            })?,
    };
    let needs =
        match options.remove("needs") {
            None => Vec::new(),
            Some(n) if n.is_array() => n
                .into_array()
                .unwrap_or_default()
                .into_iter()
                .map(|d: Dynamic| d.into_string().ok())
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    invalid(
                        format!("`{name}` needs something that is not an item's name"),
                        "needs is an array of earlier items' names",
                    )
                })?,
            Some(_) => return Err(invalid(
                format!("`{name}`'s needs is not an array"),
                "needs is an array of earlier items' names, e.g. needs: [\"sv1 has an address\"]",
            )),
        };
    for need in &needs {
        if !earlier.iter().any(|i| &i.name == need) {
            let names: Vec<&str> = earlier.iter().map(|i| i.name.as_str()).collect();
            return Err(invalid(
                format!("`{name}` needs `{need}`, which is not an earlier item"),
                &match crate::suggest::closest(need, names.iter().copied()) {
                    Some(close) => {
                        format!("did you mean `{close}`? An item needs items declared before it")
                    }
                    None => {
                        "an item needs items declared before it, by their exact names".to_string()
                    }
                },
            ));
        }
    }
    Ok(RubricItem {
        name: name.to_string(),
        points,
        feedback,
        visibility,
        needs,
        closure,
        line,
    })
}
