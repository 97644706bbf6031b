//! The lab primitives every script can call: `step`, `check` and friends, `record`,
//! `expect_error`, `clock`, `sleep`, and unit helpers `size` and `rate`.

use super::check::shown_value;
use super::diagnose::{self, Classified};
use super::{finish, finite, raise, Outcome, SharedSession};
use crate::error::Error;
use crate::plot::{LineChart, Mark, Series};
use crate::report::Check;
use crate::script::spec::{Key, Spec, SpecTable};
use crate::units;
use crate::units::human_number;
use rhai::{Dynamic, Engine, FnPtr, FuncRegistration, NativeCallContext, INT};

pub fn register(engine: &mut Engine, session: &SharedSession) {
    // What `catch (e)` holds when a world operation failed.
    engine
        .register_type_with_name::<Error>("Error")
        .register_fn("to_string", |e: &mut Error| {
            format!("{}: {e}", e.code_str())
        })
        .register_fn("to_debug", |e: &mut Error| format!("{}: {e}", e.code_str()))
        .register_get("code", |e: &mut Error| e.code_str())
        .register_get("message", |e: &mut Error| e.to_string())
        .register_get("help", |e: &mut Error| e.help_str().unwrap_or_default());

    let s = session.clone();
    FuncRegistration::new("step")
        .with_params_info(["title: String", "()"])
        .with_comments([
            "/// Starts a new step of the lab; checks and output that follow belong to it.",
        ])
        .register_into_engine(engine, move |title: &str| -> Outcome<()> {
            s.borrow_mut().recorder.step(title).map_err(raise)
        });

    let s = session.clone();
    FuncRegistration::new("check")
        .with_params_info(["condition: bool", "name: String", "()"])
        .with_comments([
            "/// Records a check that passes when `condition` is true.",
            "/// A failed check shows the condition's source text and the values in it.",
        ])
        .register_into_engine(
            engine,
            move |ctx: NativeCallContext, ok: bool, name: &str| -> Outcome<()> {
                // Only a call through `Fn("check")` lands here: the syntax sees the condition.
                let message = if ok { "ok" } else { "the condition was false" };
                record_check(&s, &ctx, name, ok, message.to_string())
            },
        );

    let s = session.clone();
    FuncRegistration::new("check")
        .with_params_info(["condition: bool", "name: String", "message: String", "()"])
        .with_comments([
            "/// Records a check with a message that explains the result.",
            "/// A failed check adds the condition's source text and the values in it.",
        ])
        .register_into_engine(
            engine,
            move |ctx: NativeCallContext, ok: bool, name: &str, message: &str| -> Outcome<()> {
                record_check(&s, &ctx, name, ok, message.to_string())
            },
        );

    let s = session.clone();
    FuncRegistration::new("check_eq")
        .with_params_info(["actual: ?", "expected: ?", "name: String", "()"])
        .with_comments([
            "/// Passes when `actual` equals `expected` (integers and floats compare by value).",
        ])
        .register_into_engine(
            engine,
            move |ctx: NativeCallContext,
                  actual: Dynamic,
                  expected: Dynamic,
                  name: &str|
                  -> Outcome<()> {
                let ok = values_equal(&actual, &expected);
                let message = if ok {
                    shown_value(&actual, false)
                } else {
                    let (wanted, got) = (shown_value(&expected, true), shown_value(&actual, true));
                    if wanted == got {
                        // Rounded alike, yet different: show every digit.
                        format!("expected {expected}, got {actual}")
                    } else {
                        format!("expected {wanted}, got {got}")
                    }
                };
                record_check(&s, &ctx, name, ok, message)
            },
        );

    let s = session.clone();
    FuncRegistration::new("check_within")
        .with_params_info([
            "actual: ?",
            "expected: ?",
            "percent: ?",
            "name: String",
            "()",
        ])
        .with_comments(["/// Passes when `actual` is within `percent` % of `expected`."])
        .register_into_engine(
            engine,
            move |ctx: NativeCallContext,
                  actual: Dynamic,
                  expected: Dynamic,
                  percent: Dynamic,
                  name: &str|
                  -> Outcome<()> {
                let actual_f = number(&actual, "actual")?;
                let expected_f = number(&expected, "expected")?;
                let percent_f = number(&percent, "percent")?;
                let off = if expected_f == 0.0 {
                    if actual_f == 0.0 {
                        0.0
                    } else {
                        f64::INFINITY
                    }
                } else {
                    (actual_f - expected_f).abs() / expected_f.abs() * 100.0
                };
                let ok = off <= percent_f;
                let message = format!(
                    "{} vs {}: {} % off (allowed {} %)",
                    human_number(actual_f),
                    human_number(expected_f),
                    human_number((off * 10.0).round() / 10.0),
                    human_number(percent_f)
                );
                record_check(&s, &ctx, name, ok, message)
            },
        );

    let s = session.clone();
    FuncRegistration::new("record")
        .with_params_info(["key: String", "value: ?", "()"])
        .with_comments(["/// Records a named value in the run report's `values`."])
        .register_into_engine(
            engine,
            move |ctx: NativeCallContext, key: &str, value: Dynamic| -> Outcome<()> {
                let result = to_json(key, &value).map(|json| {
                    s.borrow_mut().recorder.record(key, json);
                });
                finish(&s, &ctx, result)
            },
        );

    let s = session.clone();
    FuncRegistration::new("expect_error")
        .with_params_info(["action: FnPtr", "code_or_text: String", "()"])
        .with_comments([
            "/// Runs `action` and passes when it fails with the given diagnostic code or a message containing the text.",
        ])
        .register_into_engine(
            engine,
            move |ctx: NativeCallContext, action: FnPtr, expected: &str| -> Outcome<()> {
                let outcome = action.call_within_context::<Dynamic>(&ctx, ());
                let (ok, message) = match outcome {
                    Ok(_) => (
                        false,
                        format!("expected an error `{expected}`, but the call succeeded"),
                    ),
                    Err(err) => {
                        let error = match diagnose::classify(&err, ctx.engine()) {
                            Classified::Sandbox(_) => return Err(err),
                            Classified::Catchable(error) => error,
                        };
                        let code = error.code_str();
                        if code == expected || error.to_string().contains(expected) {
                            (true, format!("failed as expected: {code}: {error}"))
                        } else {
                            let unknown = unknown_code(expected)
                                .map(|u| format!("{u}; "))
                                .unwrap_or_default();
                            (
                                false,
                                format!("{unknown}expected `{expected}`, got {code}: {error}"),
                            )
                        }
                    }
                };
                let name = format!("fails with {expected}");
                record_check(&s, &ctx, &name, ok, message)
            },
        );

    for (name, expect) in [("expect_warning", true), ("expect_no_warning", false)] {
        let s = session.clone();
        let (params, doc): (&[&str], _) = if expect {
            (
                &["action: FnPtr", "code_or_text: String", "()"],
                "/// Runs `action` and passes when it raises a warning with that code (or text); the lab goes on.",
            )
        } else {
            (
                &["action: FnPtr", "()"],
                "/// Runs `action` and passes when it raises no warning.",
            )
        };
        let registration = FuncRegistration::new(name)
            .with_params_info(params)
            .with_comments([doc]);
        let run =
            move |ctx: &NativeCallContext, action: FnPtr, expected: Option<&str>| -> Outcome<()> {
                let watch = s.borrow_mut().recorder.watch();
                let called = action.call_within_context::<Dynamic>(ctx, ());
                let raised = s.borrow().recorder.raised_since(watch);
                s.borrow_mut().recorder.unwatch();
                let _ = called?;
                let codes = counted(raised.iter().map(|r| r.code.as_str()));
                let (name, ok, message) = match expected {
                    Some(expected) => {
                        let hits: Vec<Option<usize>> = raised
                            .iter()
                            .filter(|r| r.code == expected || r.message.contains(expected))
                            .map(|r| r.index)
                            .collect();
                        let mut session = s.borrow_mut();
                        hits.iter()
                            .flatten()
                            .for_each(|&index| session.recorder.mark_expected(index));
                        drop(session);
                        let hits = hits.len();
                        (
                            format!("warns {expected}"),
                            hits > 0,
                            if hits > 0 {
                                format!("{hits} warning(s) {expected} as expected")
                            } else if raised.is_empty() {
                                "no warning was raised".to_string()
                            } else {
                                let unknown = unknown_code(expected)
                                    .map(|u| format!("{u}; "))
                                    .unwrap_or_default();
                                format!("{unknown}other warnings were raised: {codes}")
                            },
                        )
                    }
                    None => (
                        "raises no warning".to_string(),
                        raised.is_empty(),
                        if raised.is_empty() {
                            "no warnings".to_string()
                        } else {
                            format!("warnings: {codes}")
                        },
                    ),
                };
                record_check(&s, ctx, &name, ok, message)
            };
        if expect {
            registration.register_into_engine(
                engine,
                move |ctx: NativeCallContext, action: FnPtr, expected: &str| {
                    run(&ctx, action, Some(expected))
                },
            );
        } else {
            registration
                .register_into_engine(engine, move |ctx: NativeCallContext, action: FnPtr| {
                    run(&ctx, action, None)
                });
        }
    }

    let s = session.clone();
    FuncRegistration::new("clock")
        .with_params_info(["f64"])
        .with_comments([
            "/// Seconds of lab time since the lab began (simulated on the simulator).",
        ])
        .register_into_engine(engine, move || s.borrow().backend.now().as_secs_f64());

    for seconds_type in ["seconds: f64", "seconds: i64"] {
        let s = session.clone();
        let sleep = move |ctx: NativeCallContext, seconds: f64| -> Outcome<()> {
            let result = finite(seconds, "seconds", "sleep")
                .and_then(|_| s.borrow_mut().backend.sleep(seconds));
            finish(&s, &ctx, result)
        };
        let registration = FuncRegistration::new("sleep")
            .with_params_info([seconds_type, "()"])
            .with_comments(["/// Lets `seconds` of lab time pass; background work (downloads, migrations) goes on."]);
        if seconds_type.ends_with("f64") {
            registration.register_into_engine(engine, sleep);
        } else {
            registration
                .register_into_engine(engine, move |ctx: NativeCallContext, seconds: INT| {
                    sleep(ctx, seconds as f64)
                });
        }
    }

    let s = session.clone();
    FuncRegistration::new("save_text")
        .with_params_info(["file: String", "text: String", "String"])
        .with_comments([
            "/// Writes `text` to `file` under the run's output directory (`--out`); returns its path.",
            "/// `file` is a relative path inside `--out`, e.g. `notes/x.txt`; no link is followed.",
        ])
        .register_into_engine(
            engine,
            move |ctx: NativeCallContext, file: &str, text: &str| -> Outcome<String> {
                let result = s.borrow_mut().write_artifact(file, text.as_bytes());
                finish(&s, &ctx, result)
            },
        );

    let s = session.clone();
    FuncRegistration::new("save_plot")
        .with_params_info(["file: String", "chart: Map", "String"])
        .with_comments([
            "/// Draws a line chart as SVG under the output directory; returns its path.",
            "/// `chart`: #{title, x_label, y_label, series: [#{name, points: [[x, y], ...]}]}",
            "/// and optionally `marks: [#{from, to, label}]`, shaded x ranges with a legend entry.",
        ])
        .register_into_engine(
            engine,
            move |ctx: NativeCallContext, file: &str, chart: rhai::Map| -> Outcome<String> {
                let result = line_chart(chart)
                    .and_then(|chart| {
                        chart.to_svg().map_err(|reason| Error::Artifact {
                            path: file.to_string(),
                            reason,
                        })
                    })
                    .and_then(|svg| s.borrow_mut().write_artifact(file, svg.as_bytes()));
                finish(&s, &ctx, result)
            },
        );

    register_units(engine);
}

/// Numbers and units for people, pure functions a rubric uses too: `fixed`, `size`, `rate`.
pub fn register_units(engine: &mut Engine) {
    FuncRegistration::new("fixed")
        .with_params_info(["value: f64", "decimals: i64", "String"])
        .with_comments(["/// `value` printed with a fixed number of decimals: `fixed(11.1111, 2)` is \"11.11\"."])
        .register_into_engine(engine, |value: f64, decimals: INT| {
            format!("{value:.*}", decimals.clamp(0, 12) as usize)
        });
    FuncRegistration::new("fixed")
        .with_params_info(["value: i64", "decimals: i64", "String"])
        .register_into_engine(engine, |value: INT, decimals: INT| {
            format!("{:.*}", decimals.clamp(0, 12) as usize, value as f64)
        });

    FuncRegistration::new("size")
        .with_params_info(["text: String", "i64"])
        .with_comments(["/// Bytes in a size such as \"512M\" (binary) or \"100GB\" (decimal)."])
        .register_into_engine(engine, |text: &str| -> Outcome<INT> {
            let bytes = units::parse_size(text).map_err(raise)?;
            INT::try_from(bytes).map_err(|_| {
                raise(Error::SizeTooLarge {
                    text: text.into(),
                    bytes: format!("{bytes} bytes"),
                })
            })
        });

    FuncRegistration::new("rate")
        .with_params_info(["text: String", "f64"])
        .with_comments(["/// Bytes per second in a rate such as \"64M/s\" or \"100Mbit/s\"."])
        .register_into_engine(engine, |text: &str| -> Outcome<f64> {
            units::parse_rate(text).map_err(raise)
        });
}

const SERIES_EXAMPLE: &str = r#"[#{name: "idle", points: [[64, 6.1], [128, 11.8]]}]"#;

pub const CHART_SPEC: SpecTable = SpecTable {
    what: "chart",
    keys: &[
        Key::new("title", "The chart's title.", r#""Migration time""#),
        Key::new("x_label", "The x axis' label.", r#""MiB""#),
        Key::new("y_label", "The y axis' label.", r#""s""#),
        Key::new(
            "series",
            "The lines, each #{name, points: [[x, y], ...]}.",
            SERIES_EXAMPLE,
        )
        .holding(&SERIES_SPEC),
        Key::new(
            "marks",
            "Shaded x ranges, each with a legend entry.",
            MARKS_EXAMPLE,
        )
        .holding(&MARK_SPEC),
    ],
};

const MARKS_EXAMPLE: &str = r#"[#{from: 120, to: 158, label: "live migration"}]"#;

pub const MARK_SPEC: SpecTable = SpecTable {
    what: "chart mark",
    keys: &[
        Key::new("from", "Where the band starts on the x axis.", "120"),
        Key::new("to", "Where it ends (at least `from`).", "158"),
        Key::new(
            "label",
            "The band's name in the legend.",
            r#""live migration""#,
        ),
    ],
};

pub const SERIES_SPEC: SpecTable = SpecTable {
    what: "chart series",
    keys: &[
        Key::new("name", "The line's name in the legend.", r#""idle""#),
        Key::new(
            "points",
            "Its points, a list of [x, y] pairs of numbers.",
            "[[64, 6.1], [128, 11.8]]",
        ),
    ],
};

fn line_chart(chart: rhai::Map) -> crate::Result<LineChart> {
    let spec = Spec::new(&CHART_SPEC, chart)?;
    let bad_series = |reason: &str| {
        spec.bad(
            "series",
            reason,
            format!("give a list of lines: `series: {SERIES_EXAMPLE}`"),
        )
    };
    let series = spec
        .maps("series", SERIES_EXAMPLE)?
        .into_iter()
        .map(|line| {
            let line = Spec::new(&SERIES_SPEC, line)?;
            let points = line
                .opt_value("points")
                .and_then(|v| v.try_cast::<rhai::Array>())
                .ok_or_else(|| bad_series("each line has `points`, a list of [x, y]"))?;
            let points = points
                .into_iter()
                .enumerate()
                .map(|(index, p)| {
                    let pair = p.try_cast::<rhai::Array>().filter(|a| a.len() == 2);
                    let xy = pair.and_then(|a| Some((as_number(&a[0])?, as_number(&a[1])?)));
                    let (x, y) =
                        xy.ok_or_else(|| bad_series("each point is a pair of numbers [x, y]"))?;
                    let argument = |axis: &str| format!("points[{index}] {axis}");
                    Ok((
                        finite(x, &argument("x"), "save_plot")?,
                        finite(y, &argument("y"), "save_plot")?,
                    ))
                })
                .collect::<crate::Result<Vec<_>>>()?;
            Ok(Series {
                name: line.string("name", "\"idle\"")?,
                points,
            })
        })
        .collect::<crate::Result<Vec<_>>>()?;
    let marks = spec
        .opt_maps("marks", MARKS_EXAMPLE)?
        .unwrap_or_default()
        .into_iter()
        .map(|mark| {
            let mark = Spec::new(&MARK_SPEC, mark)?;
            let (from, to) = (mark.float("from", "120")?, mark.float("to", "158")?);
            if !(from.is_finite() && to.is_finite() && from <= to) {
                return Err(mark.bad(
                    "to",
                    format!("the band runs from {from} to {to}"),
                    format!("a mark spans x from `from` to `to`, with from <= to: {MARKS_EXAMPLE}"),
                ));
            }
            Ok(Mark {
                from,
                to,
                label: mark.string("label", "\"live migration\"")?,
            })
        })
        .collect::<crate::Result<Vec<_>>>()?;
    Ok(LineChart {
        marks,
        title: spec.string("title", "\"Migration time\"")?,
        x_label: spec.opt_string("x_label", "\"MiB\"")?.unwrap_or_default(),
        y_label: spec.opt_string("y_label", "\"s\"")?.unwrap_or_default(),
        series,
    })
}

fn as_number(value: &Dynamic) -> Option<f64> {
    value
        .as_float()
        .ok()
        .or_else(|| value.as_int().ok().map(|i| i as f64))
}

fn record_check(
    s: &SharedSession,
    ctx: &NativeCallContext,
    name: &str,
    passed: bool,
    message: String,
) -> Outcome<()> {
    let file = ctx
        .call_source()
        .map(str::to_string)
        .unwrap_or_else(|| s.borrow().main_file.clone());
    let line = ctx.call_position().line().unwrap_or(0);
    record_check_at(s, &file, line, name, passed, message)
}

/// Records a check at `file:line` in the current step.
pub(crate) fn record_check_at(
    s: &SharedSession,
    file: &str,
    line: usize,
    name: &str,
    passed: bool,
    message: String,
) -> Outcome<()> {
    s.borrow_mut()
        .recorder
        .check(Check {
            name: name.to_string(),
            passed,
            message,
            file: file.to_string(),
            line,
        })
        .map_err(raise)
}

fn values_equal(a: &Dynamic, b: &Dynamic) -> bool {
    match (
        a.as_float().ok().or(a.as_int().ok().map(|i| i as f64)),
        b.as_float().ok().or(b.as_int().ok().map(|i| i as f64)),
    ) {
        (Some(x), Some(y)) => x == y,
        _ => a.type_name() == b.type_name() && a.to_string() == b.to_string(),
    }
}

fn number(value: &Dynamic, what: &str) -> Outcome<f64> {
    let x = as_number(value).ok_or_else(|| {
        raise(Error::WrongType {
            key: what.to_string(),
            what: "check_within".to_string(),
            expected: "a number".to_string(),
            found: value.type_name().to_string(),
            help: "pass integers or floats, e.g. `check_within(t, 36.0, 10, \"about 36 s\")`"
                .to_string(),
        })
    })?;
    finite(x, what, "check_within").map_err(raise)
}

fn to_json(key: &str, value: &Dynamic) -> crate::Result<serde_json::Value> {
    if key.trim().is_empty() {
        return Err(Error::BadRecord {
            key: key.to_string(),
            reason: "the key is empty".to_string(),
            help: "name the value, e.g. `record(\"idle_migration_s\", t)`".to_string(),
        });
    }
    let refuse = |type_name: &str| Error::BadRecord {
        key: key.to_string(),
        reason: format!("a {type_name} has no JSON form"),
        help:
            "record numbers, strings, booleans, arrays or maps; for an object use `x.to_string()`"
                .to_string(),
    };
    if let Some(type_name) = first_non_data(value) {
        return Err(refuse(&type_name));
    }
    // JSON has no infinity or NaN: the report would read `null`.
    if let Some(x) = first_non_finite(value) {
        finite(x, key, "record")?;
    }
    serde_json::to_value(value).map_err(|_| refuse(value.type_name()))
}

/// The first infinite or NaN number inside `value`, if any.
fn first_non_finite(value: &Dynamic) -> Option<f64> {
    if let Ok(x) = value.as_float() {
        Some(x).filter(|x| !x.is_finite())
    } else if let Some(array) = value.read_lock::<rhai::Array>() {
        array.iter().find_map(first_non_finite)
    } else if let Some(map) = value.read_lock::<rhai::Map>() {
        map.values().find_map(first_non_finite)
    } else {
        None
    }
}

/// The type name of the first value inside `value` that is not plain data, if any.
fn first_non_data(value: &Dynamic) -> Option<String> {
    if value.is_unit()
        || value.is_bool()
        || value.is_int()
        || value.is_float()
        || value.is_string()
        || value.is_char()
    {
        None
    } else if let Some(array) = value.read_lock::<rhai::Array>() {
        array.iter().find_map(first_non_data)
    } else if let Some(map) = value.read_lock::<rhai::Map>() {
        map.values().find_map(first_non_data)
    } else {
        Some(value.type_name().to_string())
    }
}

/// "`kvmlab::net::hosts_reverse` is no kvmlab code (did you mean `…reversed`?)" when a lab
/// expects a code that does not exist: no run could ever raise it.
fn unknown_code(expected: &str) -> Option<String> {
    if !expected.starts_with("kvmlab::") {
        return None;
    }
    let codes = crate::error::all_codes();
    if codes.contains(&expected) {
        return None;
    }
    let guess = crate::suggest::closest(expected, codes.iter().copied())
        .map(|c| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default();
    Some(format!("`{expected}` is no kvmlab code{guess}"))
}

/// Codes in the order first raised, each once, with how many times when more than once:
/// "kvmlab::net::hosts_reversed (5 times), kvmlab::net::unresolved".
fn counted<'a>(codes: impl IntoIterator<Item = &'a str>) -> String {
    let mut seen: Vec<(&str, usize)> = Vec::new();
    for code in codes {
        match seen.iter_mut().find(|(c, _)| *c == code) {
            Some((_, n)) => *n += 1,
            None => seen.push((code, 1)),
        }
    }
    seen.iter()
        .map(|(code, n)| match n {
            1 => code.to_string(),
            n => format!("{code} ({n} times)"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
